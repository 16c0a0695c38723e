//! The scheduled runs of ECS tasks in the inputs: EventBridge rules with their targets, and
//! EventBridge Scheduler schedules.

use crate::model::aws::{EventRule, EventTarget, RuleTargets, Schedule};
use crate::model::ecs::Arn;
use crate::model::fields::join;
use crate::model::read::{Inputs, Sourced};
use std::collections::HashMap;

/// One scheduled run of an ECS task, from a rule and its target or from a Scheduler schedule.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    pub name: &'a str,
    /// "rule" or "schedule", for messages.
    pub what: &'static str,
    /// The expression with the file and JSON path it is in; None when the rule's
    /// `list-rules` output is not in the inputs.
    pub expression: Option<(&'a str, &'a str, String)>,
    /// IANA time zone; EventBridge rules always run in UTC.
    pub timezone: &'a str,
    /// The file and path of `State` when the rule or schedule is disabled.
    pub disabled: Option<(&'a str, String)>,
    /// Flexible time window in minutes, with its file and path.
    pub flexible_window: Option<(i64, &'a str, String)>,
    pub target: &'a EventTarget,
    pub target_input: &'a str,
    pub target_path: String,
}

impl Run<'_> {
    pub fn task_definition(&self) -> &str {
        self.target
            .ecs_parameters
            .as_ref()
            .and_then(|p| p.task_definition_arn.as_deref())
            .unwrap_or("")
    }

    pub fn account(&self) -> &str {
        fn from(a: &str) -> &str {
            Arn::parse(a).map(|a| a.account).unwrap_or("")
        }
        let td = from(self.task_definition());
        if td.is_empty() {
            from(self.target.arn.as_deref().unwrap_or(""))
        } else {
            td
        }
    }
}

fn is_ecs_target(t: &EventTarget) -> bool {
    t.ecs_parameters.is_some()
        && t.arn
            .as_deref()
            .and_then(Arn::parse)
            .is_some_and(|a| a.service == "ecs")
}

/// Every scheduled ECS run in the inputs, rules first (files in order), then schedules.
pub fn runs(inputs: &Inputs) -> Vec<Run<'_>> {
    let rules = rules_by_name(inputs);
    let mut out = Vec::new();
    for rt in &inputs.rule_targets {
        let rule_name = rt.value.rule.as_deref().unwrap_or("");
        // The first rule of that name on the targets' bus (either bus may be unnamed).
        let rule = rules.get(rule_name).and_then(|named| {
            named.iter().copied().find(|r| {
                match (
                    r.value.event_bus_name.as_deref(),
                    rt.value.event_bus_name.as_deref(),
                ) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                }
            })
        });
        // A rule with an event pattern and no schedule is not a scheduled task.
        if rule.is_some_and(|r| r.value.schedule_expression.is_none()) {
            continue;
        }
        out.extend(rule_runs(rt, rule_name, rule));
    }
    out.extend(inputs.schedules.iter().filter_map(schedule_run));
    out
}

/// The EventBridge rules by name, each list in the order read: one map for every target list,
/// so that finding the rules of many targets is no walk over every rule.
fn rules_by_name(inputs: &Inputs) -> HashMap<&str, Vec<&Sourced<EventRule>>> {
    let mut rules: HashMap<&str, Vec<&Sourced<EventRule>>> = HashMap::new();
    for r in &inputs.event_rules {
        if let Some(name) = r.value.name.as_deref() {
            rules.entry(name).or_default().push(r);
        }
    }
    rules
}

/// The runs of the ECS targets of rule `name` (`rule`: None when `list-rules` output does not
/// have it).
fn rule_runs<'a>(
    rt: &'a Sourced<RuleTargets>,
    name: &'a str,
    rule: Option<&'a Sourced<EventRule>>,
) -> impl Iterator<Item = Run<'a>> {
    let ecs_targets = rt.value.targets.iter().enumerate();
    ecs_targets
        .filter(|(_, t)| is_ecs_target(t))
        .map(move |(j, t)| Run {
            name,
            what: "rule",
            expression: rule.and_then(|r| {
                r.value
                    .schedule_expression
                    .as_deref()
                    .map(|e| (e, r.input.as_str(), join(&r.path, "ScheduleExpression")))
            }),
            timezone: "Etc/UTC",
            disabled: rule
                .filter(|r| is_disabled(r.value.state.as_deref()))
                .map(|r| (r.input.as_str(), join(&r.path, "State"))),
            flexible_window: None,
            target: t,
            target_input: &rt.input,
            target_path: join(&rt.path, &format!("Targets[{j}]")),
        })
}

/// The run of an EventBridge Scheduler schedule, when it runs an ECS task.
fn schedule_run(s: &Sourced<Schedule>) -> Option<Run<'_>> {
    let t = s.value.target.as_ref().filter(|t| is_ecs_target(t))?;
    let v = &s.value;
    Some(Run {
        name: v.name.as_deref().unwrap_or(""),
        what: "schedule",
        expression: v
            .schedule_expression
            .as_deref()
            .map(|e| (e, s.input.as_str(), join(&s.path, "ScheduleExpression"))),
        timezone: v
            .schedule_expression_timezone
            .as_deref()
            .filter(|z| !z.is_empty())
            .unwrap_or("Etc/UTC"),
        disabled: is_disabled(v.state.as_deref())
            .then(|| (s.input.as_str(), join(&s.path, "State"))),
        flexible_window: v
            .flexible_time_window
            .as_ref()
            .filter(|w| w.mode.as_deref() == Some("FLEXIBLE"))
            .map(|w| {
                (
                    w.maximum_window_in_minutes.unwrap_or(0),
                    s.input.as_str(),
                    join(&s.path, "FlexibleTimeWindow"),
                )
            }),
        target: t,
        target_input: &s.input,
        target_path: join(&s.path, "Target"),
    })
}

fn is_disabled(state: Option<&str>) -> bool {
    state.is_some_and(|s| s.eq_ignore_ascii_case("DISABLED"))
}
