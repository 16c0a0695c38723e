//! Why: ECS scheduled tasks use EventBridge `cron()`/`rate()` expressions, while Kubernetes
//! CronJob and Argo CronWorkflow need five-field cron; this translates exactly or refuses.
//!
//! Sources: EventBridge "Cron expressions reference" and "Rate expressions reference"
//! (docs.aws.amazon.com/eventbridge/latest/userguide/eb-cron-expressions.html,
//! eb-rate-expressions.html) and EventBridge Scheduler "Schedule types"
//! (docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html).
//!
//! EventBridge cron is Quartz-like: six fields, day-of-week 1-7 = SUN-SAT, and exactly one of
//! day-of-month/day-of-week is `?`. Kubernetes parses `spec.schedule` with robfig/cron's
//! standard parser: five fields, day-of-week 0-6 = SUN-SAT, and when both day fields are
//! restricted it ORs them. Because AWS forces one day field to `?` (which becomes `*`), the
//! AND/OR difference never arises for what we emit.

use std::fmt;

/// A schedule Kubernetes can run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Five fields, e.g. `"0 3 * * 1-5"`; numbers only, no names.
    pub cron: String,
    /// Set when the translation is exact in cadence but something is worth telling the user
    /// (for example that a `rate()` now runs on clock boundaries instead of from creation time).
    pub note: Option<String>,
}

/// An expression that five-field cron cannot express exactly, or that is not valid at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Untranslatable {
    /// The expression as it was given.
    pub expression: String,
    /// One sentence naming the field or feature and why five-field cron cannot express it.
    pub reason: String,
}

impl fmt::Display for Untranslatable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot translate schedule `{}`: {}",
            self.expression, self.reason
        )
    }
}

impl std::error::Error for Untranslatable {}

/// Translates one EventBridge schedule expression (`cron(...)`, `rate(...)` or `at(...)`).
pub fn translate(expression: &str) -> Result<Schedule, Untranslatable> {
    translate_inner(expression.trim()).map_err(|reason| Untranslatable {
        expression: expression.to_string(),
        reason,
    })
}

/// Result type of the internals: the error is the `reason` sentence.
type Reason<T> = Result<T, String>;

fn translate_inner(s: &str) -> Reason<Schedule> {
    if let Some(body) = wrapped(s, "cron") {
        translate_cron(body)
    } else if let Some(body) = wrapped(s, "rate") {
        translate_rate(body)
    } else if let Some(body) = wrapped(s, "at") {
        Err(at_reason(body.trim()))
    } else if s.is_empty() {
        Err("the schedule expression is empty.".to_string())
    } else {
        Err(format!(
            "`{}` is not an EventBridge schedule expression; expected `cron(minutes hours day-of-month month day-of-week year)`, `rate(value unit)` or `at(yyyy-mm-ddThh:mm:ss)`.",
            clip(s)
        ))
    }
}

/// Returns the text between `keyword(` and the final `)`; the keyword is matched
/// ASCII-case-insensitively. `get` keeps multi-byte input from panicking on a slice.
fn wrapped<'a>(s: &'a str, keyword: &str) -> Option<&'a str> {
    let head = s.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    s[keyword.len()..]
        .trim_start()
        .strip_prefix('(')?
        .strip_suffix(')')
}

/// Shortens user text quoted inside a reason so one absurd input cannot flood the message.
fn clip(s: &str) -> String {
    const MAX: usize = 60;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// at()
// ---------------------------------------------------------------------------------------------

fn at_reason(body: &str) -> String {
    if is_at_timestamp(body) {
        format!(
            "`at({body})` is an EventBridge Scheduler one-time schedule, and a CronJob repeats forever; create a Kubernetes Job (or a one-off Argo Workflow) to run at {body} instead."
        )
    } else {
        format!(
            "`at({})` is malformed: a one-time schedule must be `at(yyyy-mm-ddThh:mm:ss)`, and even then it maps to a Kubernetes Job, not a CronJob.",
            clip(body)
        )
    }
}

/// `yyyy-mm-ddThh:mm:ss` by shape and ranges (not calendar-exact: Feb 30 passes).
fn is_at_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 19 {
        return false;
    }
    let shape = b.iter().enumerate().all(|(i, &c)| match i {
        4 | 7 => c == b'-',
        10 => c == b'T',
        13 | 16 => c == b':',
        _ => c.is_ascii_digit(),
    });
    let num = |r: std::ops::Range<usize>| s[r].parse::<u32>().unwrap_or(u32::MAX);
    shape
        && (1..=12).contains(&num(5..7))
        && (1..=31).contains(&num(8..10))
        && num(11..13) <= 23
        && num(14..16) <= 59
        && num(17..19) <= 59
}

// ---------------------------------------------------------------------------------------------
// rate()
// ---------------------------------------------------------------------------------------------

const MINUTES_PER_DAY: u64 = 24 * 60;
const MINUTES_PER_WEEK: u64 = 7 * MINUTES_PER_DAY;

fn translate_rate(body: &str) -> Reason<Schedule> {
    let parts: Vec<&str> = body.split_whitespace().collect();
    let [value, unit] = parts[..] else {
        return Err(format!(
            "`rate({})` must have exactly two parts, a positive integer and a unit, as in `rate(5 minutes)`.",
            clip(body)
        ));
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "rate value `{}` is not a positive integer.",
            clip(value)
        ));
    }
    // Over 12 digits is beyond any real schedule and would overflow the minute arithmetic.
    let n: u64 = match value.parse() {
        Ok(n) if value.len() <= 12 => n,
        _ => return Err(format!("rate value `{}` is too large.", clip(value))),
    };
    if n == 0 {
        return Err("rate value must be a positive integer, not 0.".to_string());
    }
    // AWS insists on `1 minute` / `5 minutes`; the meaning is unambiguous either way, so both
    // spellings are accepted.
    let per_unit = match unit.to_ascii_lowercase().as_str() {
        "minute" | "minutes" => 1,
        "hour" | "hours" => 60,
        "day" | "days" => MINUTES_PER_DAY,
        _ => {
            return Err(format!(
                "rate unit `{}` is not one of minute, minutes, hour, hours, day, days.",
                clip(unit)
            ));
        }
    };
    let total = n * per_unit; // n < 10^12, per_unit <= 1440: no overflow.
    let rate = format!("rate({value} {unit})");
    rate_to_cron(total)
        .map(|(cron, clock)| Schedule {
            cron,
            // Every minute has no phase to lose; anything coarser does.
            note: (total > 1).then(|| {
                format!(
                    "{rate} counts from when the rule or schedule was created, whereas this CronJob runs at fixed clock times ({clock}), so runs may shift within the interval."
                )
            }),
        })
        .ok_or_else(|| rate_reason(&rate, total))
}

/// The cron for an interval of `total` minutes and a description of its clock times,
/// if the interval repeats identically under cron (divides the hour, divides the day, is a
/// day, or is a week).
fn rate_to_cron(total: u64) -> Option<(String, String)> {
    match total {
        1 => Some(("* * * * *".into(), "every minute".into())),
        m if m < 60 && 60 % m == 0 => Some((
            format!("*/{m} * * * *"),
            format!("every {m} minutes from :00"),
        )),
        60 => Some(("0 * * * *".into(), "on the hour".into())),
        m if m % 60 == 0 && MINUTES_PER_DAY.is_multiple_of(m) && m < MINUTES_PER_DAY => {
            let h = m / 60;
            Some((
                format!("0 */{h} * * *"),
                format!("every {h} hours from 00:00"),
            ))
        }
        MINUTES_PER_DAY => Some(("0 0 * * *".into(), "daily at 00:00".into())),
        // A week is the one multi-day interval cron repeats exactly: weeks never restart.
        MINUTES_PER_WEEK => Some(("0 0 * * 0".into(), "Sundays at 00:00".into())),
        _ => None,
    }
}

fn rate_reason(rate: &str, total: u64) -> String {
    if total < 60 {
        // `*/m` restarts at :00, so the last gap of each hour is short.
        let last = 59 / total * total;
        format!(
            "{rate} does not divide the hour, and cron's `*/{total}` restarts at minute 0 every hour, so the gap after :{last:02} would be {} minutes instead of {total}.",
            60 - last
        )
    } else if !total.is_multiple_of(60) {
        format!(
            "{rate} is not a whole number of hours, so its runs fall on different minutes in different hours, which one five-field cron (independent fields) cannot express."
        )
    } else if total < MINUTES_PER_DAY {
        let h = total / 60;
        let last = 23 / h * h;
        format!(
            "{rate} does not divide the day, and cron's `*/{h}` in the hour field restarts at 00:00 every day, so the gap after {last:02}:00 would be {} hours instead of {h}.",
            24 - last
        )
    } else if !total.is_multiple_of(MINUTES_PER_DAY) {
        format!(
            "{rate} is not a whole number of days, so its runs fall at different hours on different days, which one five-field cron cannot express."
        )
    } else {
        let d = total / MINUTES_PER_DAY;
        format!(
            "{rate} cannot be expressed because cron's `*/{d}` in day-of-month restarts on the 1st of every month, making the gap across month ends uneven (only 1 day and 7 days translate exactly)."
        )
    }
}

// ---------------------------------------------------------------------------------------------
// cron()
// ---------------------------------------------------------------------------------------------

/// One cron field: its AWS domain, the accepted three-letter names (index 0 = `min`), and
/// how far Kubernetes' numbering is below AWS's (1 only for day-of-week: AWS 1 = SUN = k8s 0).
struct Field {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    shift: u32,
}

const MINUTES: Field = Field {
    name: "minutes",
    min: 0,
    max: 59,
    names: &[],
    shift: 0,
};
const HOURS: Field = Field {
    name: "hours",
    min: 0,
    max: 23,
    names: &[],
    shift: 0,
};
const DAY_OF_MONTH: Field = Field {
    name: "day-of-month",
    min: 1,
    max: 31,
    names: &[],
    shift: 0,
};
const MONTH: Field = Field {
    name: "month",
    min: 1,
    max: 12,
    names: &[
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ],
    shift: 0,
};
const DAY_OF_WEEK: Field = Field {
    name: "day-of-week",
    min: 1,
    max: 7,
    names: &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    shift: 1,
};
const YEAR: Field = Field {
    name: "year",
    min: 1970,
    max: 2199,
    names: &[],
    shift: 0,
};

const DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

impl Field {
    fn size(&self) -> u32 {
        self.max - self.min + 1
    }

    fn domain(&self) -> String {
        match (self.names.first(), self.names.last()) {
            (Some(first), Some(last)) => format!("{}-{} or {first}-{last}", self.min, self.max),
            _ => format!("{}-{}", self.min, self.max),
        }
    }

    /// A number or (where the field has names) a three-letter name, within the AWS domain.
    fn value(&self, tok: &str) -> Reason<u32> {
        if !tok.is_empty() && tok.bytes().all(|b| b.is_ascii_digit()) {
            // Longer than 4 digits cannot be in any domain; skip parsing to avoid overflow.
            let v = if tok.len() <= 4 {
                tok.parse().ok()
            } else {
                None
            };
            return match v {
                Some(v) if (self.min..=self.max).contains(&v) => Ok(v),
                _ => Err(format!(
                    "{} value `{}` is outside {}.",
                    self.name,
                    clip(tok),
                    self.domain()
                )),
            };
        }
        if let Some(i) = self.names.iter().position(|n| n.eq_ignore_ascii_case(tok)) {
            return Ok(self.min + i as u32);
        }
        Err(if tok.is_empty() {
            format!("{} has an empty value (stray `,`, `-` or `/`?).", self.name)
        } else {
            format!(
                "{} value `{}` is not a number or name in {}.",
                self.name,
                clip(tok),
                self.domain()
            )
        })
    }

    fn step(&self, tok: &str) -> Reason<u32> {
        let n = if !tok.is_empty() && tok.len() <= 4 && tok.bytes().all(|b| b.is_ascii_digit()) {
            tok.parse::<u32>().ok()
        } else {
            None
        };
        match n {
            Some(n) if (1..=self.size()).contains(&n) => Ok(n),
            _ => Err(format!(
                "{} increment `/{}` must be a whole number from 1 to {}.",
                self.name,
                clip(tok),
                self.size()
            )),
        }
    }

    /// Kubernetes number for an AWS value.
    fn k8s(&self, v: u32) -> u32 {
        v - self.shift
    }
}

/// One comma-separated element of a field, in the AWS domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    /// `*` or `*/step`.
    Star { step: u32 },
    /// `v` (from = to), `v/step` (to = max), `a-b`, `a-b/step`; `from > to` wraps around
    /// the end of the field (Quartz semantics, used by the AWS doc's hours `20-2`).
    Span { from: u32, to: u32, step: u32 },
}

impl Item {
    fn parse(tok: &str, field: &Field) -> Reason<Item> {
        let (range, step) = match tok.split_once('/') {
            Some((r, s)) => (r, Some(field.step(s)?)),
            None => (tok, None),
        };
        if range == "*" {
            return Ok(Item::Star {
                step: step.unwrap_or(1),
            });
        }
        let item = match range.split_once('-') {
            Some((a, b)) => Item::Span {
                from: field.value(a)?,
                to: field.value(b)?,
                step: step.unwrap_or(1),
            },
            None => {
                let v = field.value(range)?;
                match step {
                    // `5/10` means from 5 to the end of the field in steps of 10.
                    Some(step) => Item::Span {
                        from: v,
                        to: field.max,
                        step,
                    },
                    None => Item::Span {
                        from: v,
                        to: v,
                        step: 1,
                    },
                }
            }
        };
        Ok(item)
    }

    /// The AWS values the item selects (wrapping spans continue counting past the end,
    /// as Quartz does: hours `22-2/2` = 22, 0, 2).
    fn values(self, field: &Field) -> Vec<u32> {
        match self {
            Item::Star { step } => (field.min..=field.max).step_by(step as usize).collect(),
            Item::Span { from, to, step } if from <= to => {
                (from..=to).step_by(step as usize).collect()
            }
            Item::Span { from, to, step } => (from..=to + field.size())
                .step_by(step as usize)
                .map(|v| if v > field.max { v - field.size() } else { v })
                .collect(),
        }
    }

    /// Kubernetes text for the item. Explicit `a-b/s` rather than bare `a/s`, which not every
    /// cron implementation reads as "to the end of the field".
    fn render(self, field: &Field) -> String {
        let k = |v: u32| field.k8s(v);
        let seg = |a: u32, b: u32| {
            if a == b {
                k(a).to_string()
            } else {
                format!("{}-{}", k(a), k(b))
            }
        };
        match self {
            Item::Star { step: 1 } => "*".into(),
            Item::Star { step } => format!("*/{step}"),
            Item::Span { from, to, step: 1 } if from <= to => seg(from, to),
            Item::Span { from, to, step } if from <= to => {
                if from + step > to {
                    k(from).to_string()
                } else if from == field.min && to == field.max {
                    format!("*/{step}")
                } else {
                    format!("{}-{}/{step}", k(from), k(to))
                }
            }
            Item::Span { from, to, step: 1 } => {
                format!("{},{}", seg(from, field.max), seg(field.min, to))
            }
            wrapping => join(wrapping.values(field).into_iter().map(k)),
        }
    }
}

fn join(values: impl Iterator<Item = u32>) -> String {
    values.map(|v| v.to_string()).collect::<Vec<_>>().join(",")
}

/// Splits a field into items; `?` and the `L`/`W`/`#` features are handled by the callers
/// before they get here, so any letter left over is simply invalid.
fn items(text: &str, field: &Field) -> Reason<Vec<Item>> {
    text.split(',').map(|tok| Item::parse(tok, field)).collect()
}

fn render_items(items: &[Item], field: &Field) -> String {
    items
        .iter()
        .map(|i| i.render(field))
        .collect::<Vec<_>>()
        .join(",")
}

/// Notes collected while translating, each one sentence.
type Notes = Vec<String>;

fn note_wraps(text: &str, items: &[Item], field: &Field, notes: &mut Notes) {
    if items
        .iter()
        .any(|i| matches!(i, Item::Span { from, to, .. } if from > to))
    {
        notes.push(format!(
            "The {} range `{text}` wraps around the end of the field and is written `{}`; each field still matches on its own, as in EventBridge.",
            field.name,
            render_items(items, field)
        ));
    }
}

/// Translates a plain field (minutes, hours, month), noting wrap-around ranges.
fn plain_field(text: &str, field: &Field, notes: &mut Notes) -> Reason<(String, Vec<Item>)> {
    if text.contains('?') {
        return Err(format!(
            "`?` is only allowed in day-of-month and day-of-week, not in {} (`{}`).",
            field.name,
            clip(text)
        ));
    }
    let parsed = items(text, field)?;
    note_wraps(text, &parsed, field, notes);
    Ok((render_items(&parsed, field), parsed))
}

fn translate_cron(body: &str) -> Reason<Schedule> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    let [minutes, hours, dom, month, dow, year] = fields[..] else {
        let hint = match fields.len() {
            5 => " (this looks like standard five-field cron; EventBridge adds a year field)",
            7 => " (this looks like Quartz cron with seconds; EventBridge has no seconds field)",
            _ => "",
        };
        return Err(format!(
            "EventBridge cron needs six fields (minutes hours day-of-month month day-of-week year) but `cron({})` has {}{hint}.",
            clip(body),
            fields.len()
        ));
    };
    let mut notes = Notes::new();

    let (minutes, _) = plain_field(minutes, &MINUTES, &mut notes)?;
    let (hours, _) = plain_field(hours, &HOURS, &mut notes)?;
    let (month_text, month_items) = plain_field(month, &MONTH, &mut notes)?;
    let months: Vec<u32> = month_items.iter().flat_map(|i| i.values(&MONTH)).collect();

    // AWS: "If you specify a value or a * in one of the fields, you must use a ? in the other."
    let (dom_text, dow_text) = match (dom == "?", dow == "?") {
        (true, true) => {
            return Err(
                "day-of-month and day-of-week are both `?`; EventBridge requires `?` in exactly one of them."
                    .to_string(),
            );
        }
        (false, false) => {
            return Err(format!(
                "day-of-month `{}` and day-of-week `{}` are both set; EventBridge requires `?` in exactly one of them.",
                clip(dom),
                clip(dow)
            ));
        }
        // `?` means "no restriction from this field", which is `*` in five-field cron; with
        // the other day field `*` or restricted this is exact (cron ANDs when one is `*`).
        (true, false) => ("*".to_string(), day_of_week(dow, &mut notes)?),
        (false, true) => (day_of_month(dom, &months, &mut notes)?, "*".to_string()),
    };

    check_year(year)?;

    Ok(Schedule {
        cron: format!("{minutes} {hours} {dom_text} {month_text} {dow_text}"),
        note: (!notes.is_empty()).then(|| notes.join(" ")),
    })
}

fn check_year(text: &str) -> Reason<()> {
    if text.contains('?') {
        return Err(format!(
            "`?` is only allowed in day-of-month and day-of-week, not in year (`{}`).",
            clip(text)
        ));
    }
    let parsed = items(text, &YEAR)?;
    let mut years = [false; (YEAR.max - YEAR.min + 1) as usize];
    for v in parsed.iter().flat_map(|i| i.values(&YEAR)) {
        years[(v - YEAR.min) as usize] = true;
    }
    // `*`, or anything that still covers 1970-2199, means every year: drop it.
    if years.iter().all(|&y| y) {
        Ok(())
    } else {
        Err(format!(
            "the year field `{}` limits the schedule to particular years, and five-field cron has no year field (translate it with `*` and remove the CronJob once the last year is over).",
            clip(text)
        ))
    }
}

/// Days in a month when every selected month has the same length (February never does).
fn fixed_month_length(months: &[u32]) -> Option<u32> {
    let len = |m: u32| match m {
        4 | 6 | 9 | 11 => Some(30),
        2 => None,
        _ => Some(31),
    };
    let first = len(*months.first()?)?;
    months
        .iter()
        .all(|&m| len(m) == Some(first))
        .then_some(first)
}

fn day_of_month(text: &str, months: &[u32], notes: &mut Notes) -> Reason<String> {
    if text.contains('?') {
        return Err(format!(
            "day-of-month `?` must stand alone, not inside `{}`.",
            clip(text)
        ));
    }
    let mut out = Vec::new();
    for tok in text.split(',') {
        let upper = tok.to_ascii_uppercase();
        if upper == "LW" {
            return Err(
                "day-of-month `LW` means the last weekday of the month, which five-field cron cannot express (schedule days 26-31 and have the job exit unless it is the month's last weekday)."
                    .to_string(),
            );
        }
        if let Some(day) = upper.strip_suffix('W') {
            return Err(nearest_weekday(tok, day));
        }
        if let Some(rest) = upper.strip_prefix('L') {
            out.push(last_day(tok, rest, months, notes)?.to_string());
            continue;
        }
        let parsed = Item::parse(tok, &DAY_OF_MONTH)?;
        note_wraps(tok, &[parsed], &DAY_OF_MONTH, notes);
        out.push(parsed.render(&DAY_OF_MONTH));
    }
    Ok(out.join(","))
}

/// Why day-of-month `tok` (`<day>W`, the weekday nearest `day`) has no five-field equivalent.
fn nearest_weekday(tok: &str, day: &str) -> String {
    match DAY_OF_MONTH.value(day) {
        Err(_) => format!(
            "day-of-month `{}` is malformed: `W` must follow a single day, as in `15W`.",
            clip(tok)
        ),
        Ok(n) => format!(
            "day-of-month `{tok}` means the weekday nearest day {n}, which five-field cron cannot express because that day moves with the calendar (schedule days {}-{} and have the job check the date).",
            n.saturating_sub(2).max(1),
            (n + 2).min(31)
        ),
    }
}

/// The day day-of-month `tok` (`L` = last day, `L-n` = n days before it, as in Quartz; `rest` is
/// what follows the `L`) falls on: exact only when every selected month has the same length.
fn last_day(tok: &str, rest: &str, months: &[u32], notes: &mut Notes) -> Reason<u32> {
    let offset = match rest {
        "" => 0,
        _ => rest
            .strip_prefix('-')
            .and_then(|n| DAY_OF_MONTH.value(n).ok().filter(|&n| n <= 30))
            .ok_or_else(|| {
                format!(
                    "day-of-month `{}` is malformed: `L` takes only an optional offset, as in `L` or `L-3`.",
                    clip(tok)
                )
            })?,
    };
    let Some(len) = fixed_month_length(months) else {
        let (what, guard) = match offset {
            0 => (
                "the last day of the month".to_string(),
                "tomorrow is the 1st".to_string(),
            ),
            n => (
                format!("{n} days before the last day of the month"),
                format!("the 1st is {} days away", n + 1),
            ),
        };
        // The day falls within these dates in months of 28 to 31 days.
        let (first, last) = (28u32.saturating_sub(offset).max(1), 31 - offset);
        let days = if first == last {
            format!("day {first}")
        } else {
            format!("days {first}-{last}")
        };
        return Err(format!(
            "day-of-month `{tok}` means {what}, which five-field cron cannot express because month lengths differ (schedule {days} and have the job exit unless {guard})."
        ));
    };
    if offset >= len {
        return Err(format!(
            "day-of-month `{tok}` reaches before the 1st of a {len}-day month."
        ));
    }
    let day = len - offset;
    notes.push(format!(
        "Day-of-month `{tok}` is day {day} because every selected month has {len} days."
    ));
    Ok(day)
}

fn day_of_week(text: &str, notes: &mut Notes) -> Reason<String> {
    if text.contains('?') {
        return Err(format!(
            "day-of-week `?` must stand alone, not inside `{}`.",
            clip(text)
        ));
    }
    let mut out = Vec::new();
    for tok in text.split(',') {
        if let Some((day, nth)) = tok.split_once('#') {
            let (Ok(d), Some(n)) = (
                DAY_OF_WEEK.value(day),
                nth.parse::<u32>()
                    .ok()
                    .filter(|n| (1..=5).contains(n) && nth.len() == 1),
            ) else {
                return Err(format!(
                    "day-of-week `{}` is malformed: `#` needs a day (1-7 or SUN-SAT) and an occurrence 1-5, as in `3#2`.",
                    clip(tok)
                ));
            };
            let ordinal = ["1st", "2nd", "3rd", "4th", "5th"][n as usize - 1];
            return Err(format!(
                "day-of-week `{tok}` means the {ordinal} {} of the month, which five-field cron cannot express because it ORs a restricted day-of-month with day-of-week instead of ANDing them (schedule {}s and have the job exit unless the date is {}-{}).",
                DAY_NAMES[d as usize - 1],
                DAY_NAMES[d as usize - 1],
                (n - 1) * 7 + 1,
                (n * 7).min(31)
            ));
        }
        let upper = tok.to_ascii_uppercase();
        if let Some(day) = upper.strip_suffix('L') {
            if day.is_empty() {
                // Quartz/AWS: `L` alone in day-of-week is the last day of the week, 7 = SAT.
                notes.push(
                    "Day-of-week `L` (last day of the week) is Saturday, written 6.".to_string(),
                );
                out.push(DAY_OF_WEEK.k8s(7).to_string());
                continue;
            }
            let d = DAY_OF_WEEK.value(day).map_err(|_| {
                format!(
                    "day-of-week `{}` is malformed: `L` must follow a single day, as in `6L` or `FRIL`.",
                    clip(tok)
                )
            })?;
            return Err(format!(
                "day-of-week `{tok}` means the last {} of the month, which five-field cron cannot express (schedule {}s and have the job exit unless the date is within the month's last 7 days).",
                DAY_NAMES[d as usize - 1],
                DAY_NAMES[d as usize - 1]
            ));
        }
        let parsed = Item::parse(tok, &DAY_OF_WEEK)?;
        note_wraps(tok, &[parsed], &DAY_OF_WEEK, notes);
        out.push(parsed.render(&DAY_OF_WEEK));
    }
    Ok(out.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ok(expr: &str) -> Schedule {
        translate(expr).unwrap_or_else(|e| panic!("{expr}: {e}"))
    }

    fn err(expr: &str) -> Untranslatable {
        match translate(expr) {
            Ok(s) => panic!("{expr} translated to {s:?}, expected Untranslatable"),
            Err(e) => e,
        }
    }

    /// Reads one five-field cron field the way robfig/cron's standard parser (Kubernetes,
    /// Argo) does, strictly: numbers only, `*`, `a`, `a-b` with a <= b, `/step` >= 1.
    fn k8s_field(text: &str, min: u32, max: u32) -> Option<BTreeSet<u32>> {
        let mut set = BTreeSet::new();
        for part in text.split(',') {
            let (range, step) = match part.split_once('/') {
                Some((r, s)) => (r, s.parse::<u32>().ok().filter(|&s| s >= 1)?),
                None => (part, 1),
            };
            let num = |t: &str| {
                t.bytes()
                    .all(|b| b.is_ascii_digit())
                    .then(|| t.parse::<u32>().ok())
                    .flatten()
                    .filter(|v| (min..=max).contains(v))
            };
            let (a, b) = if range == "*" {
                (min, max)
            } else if let Some((a, b)) = range.split_once('-') {
                (num(a)?, num(b)?)
            } else {
                let a = num(range)?;
                (a, if part.contains('/') { max } else { a })
            };
            if a > b {
                return None;
            }
            set.extend((a..=b).step_by(step as usize));
        }
        Some(set)
    }

    /// Splits a translated schedule into the five robfig value sets, or panics if invalid.
    fn k8s_sets(cron: &str) -> [BTreeSet<u32>; 5] {
        let f: Vec<&str> = cron.split(' ').collect();
        assert_eq!(
            f.len(),
            5,
            "not five single-space-separated fields: {cron:?}"
        );
        let bounds = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 6)];
        std::array::from_fn(|i| {
            k8s_field(f[i], bounds[i].0, bounds[i].1)
                .unwrap_or_else(|| panic!("field {i} of {cron:?} is not valid robfig cron"))
        })
    }

    // -----------------------------------------------------------------------------------------
    // The AWS documentation's own examples.
    // -----------------------------------------------------------------------------------------

    /// "Cron expressions reference" / eb-scheduled-rule-pattern, "Examples" table, plus the
    /// `put-rule` examples under it, and the older
    /// CloudWatch Events examples.
    #[test]
    fn aws_doc_cron_examples() {
        let table = [
            // "Run at 10:00 am (UTC+0) every day"
            ("cron(0 10 * * ? *)", "0 10 * * *"),
            // "Run at 12:15 pm (UTC+0) every day"
            ("cron(15 12 * * ? *)", "15 12 * * *"),
            // "Run at 6:00 pm (UTC+0) every Monday through Friday"
            ("cron(0 18 ? * MON-FRI *)", "0 18 * * 1-5"),
            // "Run at 8:00 am (UTC+0) every 1st day of the month"
            ("cron(0 8 1 * ? *)", "0 8 1 * *"),
            // "Run every 15 minutes"
            ("cron(0/15 * * * ? *)", "*/15 * * * *"),
            // "Run every 10 minutes Monday through Friday"
            ("cron(0/10 * ? * MON-FRI *)", "*/10 * * * 1-5"),
            // "Run every 5 minutes Monday through Friday between 8:00 am and 5:55 pm (UTC+0)"
            ("cron(0/5 8-17 ? * MON-FRI *)", "*/5 8-17 * * 1-5"),
            // The newer doc splits the next one into these two rows.
            ("cron(0/30 20-23 ? * MON-FRI *)", "*/30 20-23 * * 1-5"),
            ("cron(0/30 0-2 ? * MON-FRI *)", "*/30 0-2 * * 1-5"),
            // "runs every day at 12:00pm UTC+0"
            ("cron(0 12 * * ? *)", "0 12 * * *"),
            // "runs every day, at 2:05pm and 2:35pm UTC+0"
            ("cron(5,35 14 * * ? *)", "5,35 14 * * *"),
        ];
        for (aws, k8s) in table {
            let s = ok(aws);
            assert_eq!(s.cron, k8s, "{aws}");
            assert_eq!(s.note, None, "{aws}");
        }
    }

    /// Older doc row: `0/30 20-2 ? * MON-FRI *`, "between 10:00 pm on the starting day to
    /// 2:00 am on the following day": the hours range wraps past midnight.
    #[test]
    fn aws_doc_wrapping_hours_example() {
        let s = ok("cron(0/30 20-2 ? * MON-FRI *)");
        assert_eq!(s.cron, "*/30 20-23,0-2 * * 1-5");
        let note = s.note.expect("wrap is noted");
        assert!(
            note.contains("`20-2`") && note.contains("`20-23,0-2`"),
            "{note}"
        );
    }

    /// Examples AWS gives for features five-field cron lacks.
    #[test]
    fn aws_doc_untranslatable_examples() {
        // "runs at 10:15am UTC+0 on the last Friday of each month during the years 2019 to 2022"
        let e = err("cron(15 10 ? * 6L 2019-2022)");
        assert!(e.reason.contains("last Friday of the month"), "{e}");
        // "3#2 would be the second Tuesday of the month"
        let e = err("cron(0 9 ? * 3#2 *)");
        assert!(e.reason.contains("2nd Tuesday"), "{e}");
        // "Run at 9am (UTC) the first Monday of each month" (CloudWatch Events doc)
        let e = err("cron(0 9 ? * 2#1 *)");
        assert!(
            e.reason.contains("1st Monday") && e.reason.contains("1-7"),
            "{e}"
        );
        // "3W specifies the weekday closest to the third day of the month"
        let e = err("cron(0 9 3W * ? *)");
        assert!(e.reason.contains("weekday nearest day 3"), "{e}");
        // `"3#1,6#3"` is not valid in AWS either; we refuse at the first `#`.
        let e = err("cron(0 9 ? * 3#1,6#3 *)");
        assert!(e.reason.contains("1st Tuesday"), "{e}");
    }

    /// "Rate expressions reference" examples, plus `rate(7 days)`.
    #[test]
    fn aws_doc_rate_examples() {
        let table = [
            ("rate(1 minute)", "* * * * *"),
            ("rate(5 minutes)", "*/5 * * * *"),
            ("rate(1 hour)", "0 * * * *"),
            ("rate(1 day)", "0 0 * * *"),
            ("rate(7 days)", "0 0 * * 0"),
        ];
        for (aws, k8s) in table {
            assert_eq!(ok(aws).cron, k8s, "{aws}");
        }
        // Every minute has no phase; everything coarser says it loses the creation-time phase.
        assert_eq!(ok("rate(1 minute)").note, None);
        for aws in [
            "rate(5 minutes)",
            "rate(1 hour)",
            "rate(1 day)",
            "rate(7 days)",
        ] {
            let note = ok(aws).note.expect(aws);
            assert!(note.contains("created") && note.contains(aws), "{note}");
        }
        assert!(ok("rate(7 days)").note.unwrap().contains("Sundays"));
    }

    // -----------------------------------------------------------------------------------------
    // Every cron feature, field by field.
    // -----------------------------------------------------------------------------------------

    #[test]
    fn cron_feature_table() {
        let table = [
            // minutes: wildcard, value, list, range, increments
            ("cron(* * * * ? *)", "* * * * *"),
            ("cron(7 * * * ? *)", "7 * * * *"),
            ("cron(0,15,30,45 * * * ? *)", "0,15,30,45 * * * *"),
            ("cron(10-20 * * * ? *)", "10-20 * * * *"),
            ("cron(*/20 * * * ? *)", "*/20 * * * *"),
            ("cron(5/10 * * * ? *)", "5-59/10 * * * *"),
            // doc: "1/10 to specify every tenth minute, starting from the first minute"
            ("cron(1/10 * * * ? *)", "1-59/10 * * * *"),
            ("cron(10-40/15 * * * ? *)", "10-40/15 * * * *"),
            ("cron(0-59/20 * * * ? *)", "*/20 * * * *"),
            ("cron(0/1 * * * ? *)", "0-59 * * * *"),
            ("cron(59/10 * * * ? *)", "59 * * * *"),
            ("cron(0-59 * * * ? *)", "0-59 * * * *"),
            ("cron(5-5 * * * ? *)", "5 * * * *"),
            ("cron(1,*/30 * * * ? *)", "1,*/30 * * * *"),
            // hours
            ("cron(0 * * * ? *)", "0 * * * *"),
            ("cron(0 0,12 * * ? *)", "0 0,12 * * *"),
            ("cron(0 9-17 * * ? *)", "0 9-17 * * *"),
            ("cron(0 0/6 * * ? *)", "0 */6 * * *"),
            ("cron(0 1/6 * * ? *)", "0 1-23/6 * * *"),
            ("cron(0 11-23/2 * * ? *)", "0 11-23/2 * * *"),
            ("cron(0 1-7/2,11-23/2 * * ? *)", "0 1-7/2,11-23/2 * * *"),
            // day-of-month (day-of-week `?`)
            ("cron(0 0 15 * ? *)", "0 0 15 * *"),
            ("cron(0 0 1,15 * ? *)", "0 0 1,15 * *"),
            ("cron(0 0 1-7 * ? *)", "0 0 1-7 * *"),
            ("cron(0 0 1/2 * ? *)", "0 0 */2 * *"),
            ("cron(0 0 2/2 * ? *)", "0 0 2-31/2 * *"),
            ("cron(0 0 */10 * ? *)", "0 0 */10 * *"),
            ("cron(10 10 15,30,31 * ? *)", "10 10 15,30,31 * *"),
            // month: numbers, names (any case), lists, ranges, increments
            ("cron(0 0 1 6 ? *)", "0 0 1 6 *"),
            ("cron(0 0 1 JAN,FEB,MAR ? *)", "0 0 1 1,2,3 *"),
            ("cron(0 0 1 jan-jun ? *)", "0 0 1 1-6 *"),
            ("cron(0 0 1 Jul-Dec ? *)", "0 0 1 7-12 *"),
            ("cron(0 0 1 */3 ? *)", "0 0 1 */3 *"),
            ("cron(0 0 1 1-12/3 ? *)", "0 0 1 */3 *"),
            ("cron(0 0 1 2/2 ? *)", "0 0 1 2-12/2 *"),
            ("cron(10 10 31 04,09,12 ? *)", "10 10 31 4,9,12 *"),
            (
                "cron(30 0 1 JAN-APR,JUL-OCT/2,DEC ? *)",
                "30 0 1 1-4,7-10/2,12 *",
            ),
            // day-of-week: AWS 1=SUN..7=SAT becomes 0=SUN..6=SAT
            ("cron(0 0 ? * 1 *)", "0 0 * * 0"),
            ("cron(0 0 ? * 7 *)", "0 0 * * 6"),
            ("cron(0 0 ? * 2-6 *)", "0 0 * * 1-5"),
            ("cron(0 0 ? * 1-7 *)", "0 0 * * 0-6"),
            ("cron(0 0 ? * * *)", "0 0 * * *"),
            ("cron(0 0 ? * SUN *)", "0 0 * * 0"),
            ("cron(0 0 ? * sat *)", "0 0 * * 6"),
            ("cron(0 0 ? * MON,WED,FRI *)", "0 0 * * 1,3,5"),
            ("cron(0 0 ? * 1,7 *)", "0 0 * * 0,6"),
            ("cron(0 0 ? * mon-Fri *)", "0 0 * * 1-5"),
            ("cron(0 0 ? * */2 *)", "0 0 * * */2"),
            ("cron(0 0 ? * 2/2 *)", "0 0 * * 1-6/2"),
            ("cron(0,5 07/12 ? * 1,5,7 *)", "0,5 7-23/12 * * 0,4,6"),
            ("cron(0 11-23/4 ? * 2-6 *)", "0 11-23/4 * * 1-5"),
            // year: `*` and anything covering 1970-2199 is dropped
            ("cron(0 0 1 1 ? 1970-2199)", "0 0 1 1 *"),
            ("cron(0 0 1 1 ? 1970/1)", "0 0 1 1 *"),
            ("cron(0 0 1 1 ? 1970-2000,2001-2199)", "0 0 1 1 *"),
            // whitespace and keyword case are lenient
            ("  cron(0  10 * *\t? *)  ", "0 10 * * *"),
            ("CRON( 0 10 * * ? * )", "0 10 * * *"),
        ];
        for (aws, k8s) in table {
            let s = ok(aws);
            assert_eq!(s.cron, k8s, "{aws}");
            assert_eq!(s.note, None, "{aws}");
            k8s_sets(&s.cron);
        }
    }

    #[test]
    fn wrapping_ranges() {
        let table = [
            ("cron(50-10 * * * ? *)", "50-59,0-10 * * * *"),
            ("cron(0 22-2/2 * * ? *)", "0 22,0,2 * * *"),
            ("cron(50-10/15 * * * ? *)", "50,5 * * * *"),
            ("cron(0 0 ? * FRI-MON *)", "0 0 * * 5-6,0-1"),
            ("cron(0 0 ? * SAT-SUN *)", "0 0 * * 6,0"),
            ("cron(0 0 ? * 7-2 *)", "0 0 * * 6,0-1"),
            ("cron(0 0 1 NOV-FEB ? *)", "0 0 1 11-12,1-2 *"),
            ("cron(0 0 30-2 * ? *)", "0 0 30-31,1-2 * *"),
        ];
        for (aws, k8s) in table {
            let s = ok(aws);
            assert_eq!(s.cron, k8s, "{aws}");
            assert!(s.note.unwrap().contains("wraps"), "{aws}");
            k8s_sets(&s.cron);
        }
    }

    #[test]
    fn last_day_exact_when_month_lengths_agree() {
        let s = ok("cron(0 0 L 12 ? *)");
        assert_eq!(s.cron, "0 0 31 12 *");
        assert!(s.note.unwrap().contains("31 days"));
        assert_eq!(
            ok("cron(0 0 L APR,JUN,SEP,NOV ? *)").cron,
            "0 0 30 4,6,9,11 *"
        );
        assert_eq!(ok("cron(0 0 L-1 JAN,MAR ? *)").cron, "0 0 30 1,3 *");
        assert_eq!(ok("cron(0 0 1,L 1 ? *)").cron, "0 0 1,31 1 *");
        // `L` alone in day-of-week is the last day of the week, Saturday (AWS 7).
        let s = ok("cron(0 0 ? * L *)");
        assert_eq!(s.cron, "0 0 * * 6");
        assert!(s.note.unwrap().contains("Saturday"));
    }

    #[test]
    fn untranslatable_features() {
        // (expression, words the reason must contain)
        let table: &[(&str, &[&str])] = &[
            (
                "cron(0 0 L * ? *)",
                &["day-of-month `L`", "last day of the month", "28-31"],
            ),
            (
                "cron(0 0 L 2 ? *)",
                &["day-of-month `L`", "month lengths differ"],
            ),
            ("cron(0 0 L 1,4 ? *)", &["month lengths differ"]),
            ("cron(0 0 L-3 * ? *)", &["3 days before the last day"]),
            ("cron(0 0 LW * ? *)", &["`LW`", "last weekday"]),
            (
                "cron(0 0 15W * ? *)",
                &["`15W`", "weekday nearest day 15", "13-17"],
            ),
            ("cron(0 0 1W * ? *)", &["days 1-3"]),
            ("cron(0 0 ? * 5L *)", &["day-of-week `5L`", "last Thursday"]),
            ("cron(0 0 ? * FRIL *)", &["last Friday"]),
            ("cron(0 0 ? * MON#5 *)", &["5th Monday", "29-31"]),
            ("cron(0 0 ? * 1#3 *)", &["3rd Sunday", "15-21"]),
            (
                "cron(0 0 1 1 ? 2027)",
                &["year field `2027`", "no year field"],
            ),
            ("cron(0 0 1 1 ? 2019-2022)", &["year field"]),
            ("cron(0 0 1 1 ? 2020,2021)", &["year field"]),
            ("cron(0 0 1 1 ? 2020/2)", &["year field"]),
            (
                "at(2022-11-20T13:00:00)",
                &["one-time", "Job", "2022-11-20T13:00:00"],
            ),
            ("at(tomorrow)", &["malformed", "yyyy-mm-ddThh:mm:ss"]),
        ];
        for (aws, words) in table {
            let e = err(aws);
            assert_eq!(e.expression, *aws);
            for w in *words {
                assert!(e.reason.contains(w), "{aws}: {:?} lacks {w:?}", e.reason);
            }
        }
    }

    #[test]
    fn malformed_cron() {
        let table: &[(&str, &[&str])] = &[
            (
                "cron(0 10 * * *)",
                &["six fields", "has 5", "standard five-field"],
            ),
            ("cron(0 0 10 * * ? *)", &["has 7", "seconds"]),
            ("cron()", &["has 0"]),
            (
                "cron(60 * * * ? *)",
                &["minutes value `60` is outside 0-59"],
            ),
            ("cron(0 24 * * ? *)", &["hours value `24` is outside 0-23"]),
            (
                "cron(0 0 0 * ? *)",
                &["day-of-month value `0` is outside 1-31"],
            ),
            ("cron(0 0 32 * ? *)", &["day-of-month value `32`"]),
            (
                "cron(0 0 1 13 ? *)",
                &["month value `13` is outside 1-12 or JAN-DEC"],
            ),
            (
                "cron(0 0 1 JANUARY ? *)",
                &["month value `JANUARY` is not a number"],
            ),
            (
                "cron(0 0 ? * 0 *)",
                &["day-of-week value `0` is outside 1-7 or SUN-SAT"],
            ),
            ("cron(0 0 ? * 8 *)", &["day-of-week value `8`"]),
            ("cron(0 0 ? * MONDAY *)", &["`MONDAY`"]),
            (
                "cron(0 0 1 1 ? 1969)",
                &["year value `1969` is outside 1970-2199"],
            ),
            ("cron(0 0 * * * *)", &["both set"]),
            ("cron(0 0 1 * MON *)", &["both set"]),
            ("cron(0 0 ? * ? *)", &["both `?`"]),
            (
                "cron(? 0 * * ? *)",
                &["only allowed in day-of-month and day-of-week, not in minutes"],
            ),
            ("cron(0 0 1 1 ? ?)", &["not in year"]),
            ("cron(0 0 1,? * ? *)", &["must stand alone"]),
            ("cron(0/0 * * * ? *)", &["increment `/0`"]),
            ("cron(0/61 * * * ? *)", &["increment `/61`", "1 to 60"]),
            ("cron(1,,2 * * * ? *)", &["empty value"]),
            ("cron(1- * * * ? *)", &["empty value"]),
            ("cron(-1 * * * ? *)", &["empty value"]),
            ("cron(+1 * * * ? *)", &["`+1`"]),
            ("cron(JAN * * * ? *)", &["minutes value `JAN`"]),
            ("cron(0 0 ? * 3#6 *)", &["occurrence 1-5"]),
            ("cron(0 0 ? * 9#1 *)", &["malformed"]),
            ("cron(0 0 ? * XL *)", &["`L` must follow a single day"]),
            ("cron(0 0 L-31 * ? *)", &["malformed"]),
            ("cron(0 0 XW * ? *)", &["`W` must follow a single day"]),
            ("cron(0 0 L-30 2 ? *)", &["month lengths differ"]),
            (
                "cron(0 0 1 1 ? 99999999999999999999)",
                &["outside 1970-2199"],
            ),
            (
                "cron 0 10 * * ? *",
                &["not an EventBridge schedule expression"],
            ),
            (
                "cron(0 10 * * ? *",
                &["not an EventBridge schedule expression"],
            ),
            ("0 10 * * *", &["not an EventBridge schedule expression"]),
            ("", &["empty"]),
            ("   ", &["empty"]),
        ];
        for (aws, words) in table {
            let e = err(aws);
            for w in *words {
                assert!(e.reason.contains(w), "{aws}: {:?} lacks {w:?}", e.reason);
            }
        }
    }

    #[test]
    fn rate_units_and_intervals() {
        let table = [
            // minutes that divide the hour
            ("rate(2 minutes)", "*/2 * * * *"),
            ("rate(10 minutes)", "*/10 * * * *"),
            ("rate(15 minutes)", "*/15 * * * *"),
            ("rate(30 minutes)", "*/30 * * * *"),
            // whole hours that divide the day, however they are spelled
            ("rate(60 minutes)", "0 * * * *"),
            ("rate(120 minutes)", "0 */2 * * *"),
            ("rate(2 hours)", "0 */2 * * *"),
            ("rate(3 hours)", "0 */3 * * *"),
            ("rate(12 hours)", "0 */12 * * *"),
            ("rate(24 hours)", "0 0 * * *"),
            ("rate(1440 minutes)", "0 0 * * *"),
            ("rate(168 hours)", "0 0 * * 0"),
            // AWS demands singular for 1 and plural otherwise; we accept either, any case.
            ("rate(1 minutes)", "* * * * *"),
            ("rate(5 minute)", "*/5 * * * *"),
            ("rate(1 hours)", "0 * * * *"),
            ("rate(2 HOUR)", "0 */2 * * *"),
            ("rate(1 days)", "0 0 * * *"),
            ("RATE( 6 Hours )", "0 */6 * * *"),
        ];
        for (aws, k8s) in table {
            assert_eq!(ok(aws).cron, k8s, "{aws}");
        }
    }

    #[test]
    fn rate_untranslatable_and_malformed() {
        let table: &[(&str, &[&str])] = &[
            (
                "rate(7 minutes)",
                &["does not divide the hour", "after :56", "4 minutes"],
            ),
            ("rate(45 minutes)", &["after :45", "15 minutes"]),
            ("rate(90 minutes)", &["not a whole number of hours"]),
            (
                "rate(5 hours)",
                &["does not divide the day", "after 20:00", "4 hours"],
            ),
            ("rate(36 hours)", &["not a whole number of days"]),
            (
                "rate(2 days)",
                &["`*/2` in day-of-month", "1st of every month"],
            ),
            ("rate(14 days)", &["`*/14`"]),
            ("rate(30 days)", &["only 1 day and 7 days"]),
            ("rate(0 minutes)", &["not 0"]),
            ("rate(-5 minutes)", &["not a positive integer"]),
            ("rate(1.5 hours)", &["not a positive integer"]),
            ("rate(5 seconds)", &["unit `seconds`"]),
            ("rate(2 weeks)", &["unit `weeks`"]),
            ("rate(5)", &["exactly two parts"]),
            ("rate(5 minutes extra)", &["exactly two parts"]),
            ("rate()", &["exactly two parts"]),
            ("rate(9999999999999 minutes)", &["too large"]),
            ("rate(999999999999 days)", &["`*/999999999999`"]),
        ];
        for (aws, words) in table {
            let e = err(aws);
            for w in *words {
                assert!(e.reason.contains(w), "{aws}: {:?} lacks {w:?}", e.reason);
            }
        }
    }

    #[test]
    fn display_names_expression_and_reason() {
        let e = err("rate(7 minutes)");
        let shown = e.to_string();
        assert!(shown.starts_with("cannot translate schedule `rate(7 minutes)`: rate(7 minutes)"));
        let _: &dyn std::error::Error = &e;
    }

    // -----------------------------------------------------------------------------------------
    // Properties.
    // -----------------------------------------------------------------------------------------

    /// Small deterministic generator (no external crates).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (self.0 >> 33) as u32
        }
        fn below(&mut self, n: u32) -> u32 {
            self.next() % n
        }
        fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
            &xs[self.below(xs.len() as u32) as usize]
        }
    }

    /// A random AWS field text and the AWS values it selects, computed independently of the
    /// code under test: membership by modular distance, not by walking ranges.
    fn random_field(rng: &mut Lcg, field: &Field) -> (String, BTreeSet<u32>) {
        let size = field.size();
        let mut parts = Vec::new();
        let mut set = BTreeSet::new();
        let name = |rng: &mut Lcg, v: u32| -> String {
            if !field.names.is_empty() && rng.below(2) == 0 {
                let n = field.names[(v - field.min) as usize];
                if rng.below(2) == 0 {
                    n.to_ascii_lowercase()
                } else {
                    n.to_string()
                }
            } else {
                v.to_string()
            }
        };
        for _ in 0..=rng.below(3) {
            let a = field.min + rng.below(size);
            let b = field.min + rng.below(size);
            let step = 1 + rng.below(size.min(12));
            let (text, from, to, step) = match rng.below(6) {
                0 => ("*".to_string(), field.min, field.max, 1),
                1 => (format!("*/{step}"), field.min, field.max, step),
                2 => (name(rng, a), a, a, 1),
                3 => (format!("{}/{step}", name(rng, a)), a, field.max, step),
                4 => (format!("{}-{}", name(rng, a), name(rng, b)), a, b, 1),
                _ => (
                    format!("{}-{}/{step}", name(rng, a), name(rng, b)),
                    a,
                    b,
                    step,
                ),
            };
            let span = (to + size - from) % size;
            for v in field.min..=field.max {
                let d = (v + size - from) % size;
                if d <= span && d.is_multiple_of(step) {
                    set.insert(v);
                }
            }
            parts.push(text);
        }
        (parts.join(","), set)
    }

    /// Random valid AWS expressions translate to cron that robfig accepts and that selects
    /// exactly the same minutes, hours, days, months and weekdays.
    #[test]
    fn random_valid_expressions_translate_exactly() {
        let mut rng = Lcg(0x5eed);
        for _ in 0..3000 {
            let (min_t, min_s) = random_field(&mut rng, &MINUTES);
            let (hour_t, hour_s) = random_field(&mut rng, &HOURS);
            let (mon_t, mon_s) = random_field(&mut rng, &MONTH);
            let by_dom = rng.below(2) == 0;
            let (day_t, day_s) = if by_dom {
                random_field(&mut rng, &DAY_OF_MONTH)
            } else {
                let (t, s) = random_field(&mut rng, &DAY_OF_WEEK);
                (t, s.into_iter().map(|v| v - 1).collect())
            };
            let (dom_t, dow_t) = if by_dom {
                (day_t.as_str(), "?")
            } else {
                ("?", day_t.as_str())
            };
            let year = *rng.pick(&["*", "1970-2199"]);
            let aws = format!("cron({min_t} {hour_t} {dom_t} {mon_t} {dow_t} {year})");
            let s = ok(&aws);
            let [m, h, dom, mon, dow] = k8s_sets(&s.cron);
            assert_eq!(m, min_s, "minutes of {aws} -> {}", s.cron);
            assert_eq!(h, hour_s, "hours of {aws} -> {}", s.cron);
            assert_eq!(mon, mon_s, "month of {aws} -> {}", s.cron);
            // The `?` day field must come out as a literal `*`: robfig ANDs the day fields
            // only when one of them is `*`, and ORs them otherwise.
            let f: Vec<&str> = s.cron.split(' ').collect();
            if by_dom {
                assert_eq!((f[4], &dom), ("*", &day_s), "{aws} -> {}", s.cron);
            } else {
                assert_eq!((f[2], &dow), ("*", &day_s), "{aws} -> {}", s.cron);
            }
        }
    }

    /// Every rate from 1 to 20000 minutes either translates to cron whose runs are exactly
    /// `n` minutes apart around the clock for a fortnight, or is refused.
    #[test]
    fn every_rate_is_exact_or_refused() {
        for n in 1..=20_000u64 {
            let unit = if n == 1 { "minute" } else { "minutes" };
            let Ok(s) = translate(&format!("rate({n} {unit})")) else {
                continue;
            };
            let [m, h, dom, mon, dow] = k8s_sets(&s.cron);
            assert_eq!((dom.len(), mon.len()), (31, 12), "{n}: {}", s.cron);
            // Minute-of-fortnight of every run, starting on a Sunday.
            let runs: Vec<u64> = (0..14 * MINUTES_PER_DAY)
                .filter(|t| {
                    let (day, rem) = (t / MINUTES_PER_DAY, t % MINUTES_PER_DAY);
                    dow.contains(&((day % 7) as u32))
                        && h.contains(&((rem / 60) as u32))
                        && m.contains(&((rem % 60) as u32))
                })
                .collect();
            assert!(runs.len() >= 2, "{n}: {}", s.cron);
            assert!(runs.windows(2).all(|w| w[1] - w[0] == n), "{n}: {}", s.cron);
        }
    }

    /// Hundreds of odd inputs: nothing panics, every `Ok` is valid robfig cron, and every
    /// refusal is one non-empty sentence.
    #[test]
    fn weird_input_never_panics() {
        let mut inputs: Vec<String> = [
            "",
            " ",
            "\t\n",
            "(",
            ")",
            "()",
            "cron",
            "cron(",
            "cron)",
            "cron()",
            "rate",
            "rate(",
            "at",
            "at(",
            "at()",
            "at)",
            "cron(())",
            "rate(())",
            "cron(? ? ? ? ? ?)",
            "cron(* * * * * * *)",
            "cron(L L L L L L)",
            "cron(W W W W W W)",
            "cron(# # # # # #)",
            "cron(/ / / / / /)",
            "cron(- - - - - -)",
            "cron(, , , , , ,)",
            "cron(*/* * * * ? *)",
            "cron(0--5 * * * ? *)",
            "cron(0-5-10 * * * ? *)",
            "cron(0/5/10 * * * ? *)",
            "cron(0 0 ? * #2 *)",
            "cron(0 0 ? * 2# *)",
            "cron(0 0 ? * ## *)",
            "cron(0 0 L- * ? *)",
            "cron(0 0 LL * ? *)",
            "cron(0 0 WL * ? *)",
            "cron(0 0 ? * LL *)",
            "cron(0 0 ? * L-1 *)",
            "cron(0 0 -L * ? *)",
            "cron(0 0 ? * 2L,3L *)",
            "cron(0 0 L/2 * ? *)",
            "cron(0 0 ? * L#1 *)",
            "cron(0 0 ? * 2#1#1 *)",
            "cron(0 0 ? * 2#01 *)",
            "cron(0 0 ? * 2#+1 *)",
            "cron(0 0 ? * 2#99999999999999999999 *)",
            "rate(1 minute",
            "rate 1 minute",
            "rate(1  minute)",
            "rate(1minute)",
            "rate(01 minute)",
            "rate(18446744073709551616 minutes)",
            "rate(+1 minute)",
            "rate(1 minute))",
            "cron(0 10 * * ? *))",
            "cron((0 10 * * ? *)",
            "at(2022-13-01T00:00:00)",
            "at(2022-01-01T24:00:00)",
            "at(2022-01-01 00:00:00)",
            "at(２０２２-01-01T00:00:00)",
            "cron(０ 10 * * ? *)",
            "cron(0 10 * * ？ *)",
            "rate(５ minutes)",
            "rate(5 minutés)",
            "cron(0 10 * * ? *)\u{0}",
            "\u{feff}cron(0 10 * * ? *)",
            "cron(0\u{a0}10 * * ? *)",
            "cron(0 10 * * ? *)\u{200b}",
            "ｃｒｏｎ(0 10 * * ? *)",
            "cr\u{301}on(0 10 * * ? *)",
            "é",
            "日本語",
            "🦀🦀🦀",
            "cron(🦀 * * * ? *)",
            "rate(🦀 minutes)",
            "at(🦀)",
            "cron(0 0 ? * MON-🦀 *)",
            "cron(0 0 1 ＪＡＮ ? *)",
            "c",
            "ra",
            "at(",
            "CRON(",
            "cron(0 0 ? * ſun *)",
            "cron(0 0 1 ﬀ ? *)",
            "cron(0 0 1 K ? *)",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        inputs.push("cron(".repeat(500));
        inputs.push(format!("cron({})", "1,".repeat(5000)));
        inputs.push(format!("rate({} minutes)", "9".repeat(400)));
        inputs.push(format!("cron({} * * * ? *)", "é".repeat(200)));
        // Mutate valid expressions with characters from an awkward alphabet.
        let seeds = [
            "cron(0/5 8-17 ? * MON-FRI *)",
            "cron(15 10 ? * 6L 2019-2022)",
            "cron(0 9 ? * 2#1 *)",
            "cron(0 0 LW * ? *)",
            "rate(5 minutes)",
            "at(2022-11-20T13:00:00)",
        ];
        let alphabet: Vec<char> = "0123456789*/,-?LW#() aAzZ\t\u{0}é🦀ß∞ＪＡＮ\u{301}\u{200b}"
            .chars()
            .collect();
        let mut rng = Lcg(42);
        for _ in 0..600 {
            let mut chars: Vec<char> = rng.pick(&seeds).chars().collect();
            for _ in 0..=rng.below(4) {
                let at = rng.below(chars.len() as u32 + 1) as usize;
                let c = *rng.pick(&alphabet);
                match rng.below(3) {
                    0 => chars.insert(at, c),
                    1 if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ if at < chars.len() => chars[at] = c,
                    _ => chars.push(c),
                }
            }
            inputs.push(chars.into_iter().collect());
        }
        assert!(inputs.len() >= 600);
        for input in &inputs {
            match translate(input) {
                Ok(s) => {
                    k8s_sets(&s.cron);
                }
                Err(e) => {
                    assert_eq!(&e.expression, input);
                    assert!(!e.reason.is_empty() && e.reason.ends_with('.'), "{e}");
                    assert!(e.reason.chars().count() < 600, "{e}");
                }
            }
        }
    }
}
