//! The ecs2eks command line: parses flags, runs the library, prints, and picks the exit code.
#![allow(clippy::print_stdout, clippy::print_stderr)] // the binary is where output happens
//! It is the only place that prints or exits.

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use ecs2eks::export;
use ecs2eks::inventory::Inventory;
use ecs2eks::mappings::Mappings;
use ecs2eks::model::target::Conversion;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

// mimalloc: a batch allocates millions of small JSON nodes on several threads; glibc's malloc
// spent a third of the run there and fragmented.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Moves workloads from Amazon ECS to Amazon EKS.
#[derive(Parser)]
#[command(name = "ecs2eks", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Converts ECS task definitions and services (AWS CLI JSON) into Kubernetes objects.
    Convert(ConvertArgs),
    /// Reads live AWS accounts (read-only) into a snapshot folder of the JSON files `convert` reads.
    #[command(after_help = IMPORT_HELP)]
    Import(ImportArgs),
    /// Inventory helpers.
    #[command(subcommand)]
    Inventory(InventoryCommand),
    /// Prints a shell completion script, e.g. `ecs2eks completions bash > ~/.local/share/bash-completion/completions/ecs2eks`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand)]
enum InventoryCommand {
    /// Drafts an inventory from AWS Organizations (ListAccounts), guessing environments from
    /// account names and marking every guess.
    #[command(after_help = INVENTORY_INIT_HELP)]
    Init {
        /// Write the draft here (refuses to overwrite an existing file).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Fill in assumeRoleArn as arn:aws:iam::<account>:role/<NAME> for every account.
        #[arg(long, value_name = "NAME")]
        role_name: Option<String>,
        /// Send the call to this endpoint (emulators, tests); AWS_ENDPOINT_URL works too.
        #[arg(long, value_name = "URL")]
        endpoint_url: Option<String>,
    },
}

#[derive(Args)]
struct ImportArgs {
    /// Accounts to read (YAML: accounts: [{id, environment, regions, assumeRoleArn}]).
    #[arg(long, value_name = "FILE")]
    inventory: PathBuf,
    /// Write the snapshot here: <account>/<region>/… and import-report.json.
    #[arg(long, value_name = "SNAPSHOT_DIR")]
    out: PathBuf,
    /// Read these regions in every account (instead of the inventory's `regions`).
    #[arg(long = "region", value_name = "REGION")]
    regions: Vec<String>,
    /// Read only these clusters (name or ARN); all when not given.
    #[arg(long = "cluster", value_name = "NAME")]
    clusters: Vec<String>,
    /// Send every AWS call to this endpoint (emulators, tests); AWS_ENDPOINT_URL works too.
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
    /// Account/region units read at the same time, and calls in flight per unit.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Keep volatile fields (running counts, events, deployments, timestamps).
    #[arg(long)]
    keep_volatile: bool,
    /// Timeout of one HTTP attempt, in seconds (calls are retried with backoff).
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    timeout: u64,
    /// Attempts per call: throttling, 5xx answers, timeouts and failed connections are retried
    /// with exponential backoff and jitter.
    #[arg(long, value_name = "N", default_value_t = 5, value_parser = clap::value_parser!(u8).range(1..=20))]
    max_attempts: u8,
}

/// `import --help`: whose credentials, which permissions, where to read more.
const IMPORT_HELP: &str = "\
Credentials: each account is read with the standard AWS credential chain (AWS_ACCESS_KEY_ID and
AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws/config, `aws sso login` sessions, container and
instance roles) or, when the inventory gives the account an `assumeRoleArn`, with that role,
assumed from those credentials (sts:AssumeRole). Credentials of another account are refused.

Permissions, read-only: ecs:ListClusters, ecs:ListServices, ecs:DescribeServices,
ecs:DescribeTaskDefinition, ecs:ListTagsForResource, elasticloadbalancing:Describe{TargetGroups,
LoadBalancers,Listeners,Rules}, application-autoscaling:Describe{ScalableTargets,ScalingPolicies,
ScheduledActions}, events:ListRuleNamesByTarget, events:DescribeRule, events:ListTargetsByRule,
scheduler:ListSchedules, scheduler:GetSchedule, iam:GetRole, iam:ListRolePolicies,
iam:GetRolePolicy, iam:ListAttachedRolePolicies, iam:GetPolicy, iam:GetPolicyVersion; and
sts:AssumeRole on the accounts' roles. No secret value is read.

docs/import.md has the policy as JSON, the snapshot's layout, and what each failure line means.";

/// `inventory init --help`: whose credentials, which permission, which region.
const INVENTORY_INIT_HELP: &str = "\
Credentials: the standard AWS credential chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,
AWS_PROFILE and ~/.aws/config, `aws sso login` sessions, container and instance roles), of the
organization's management account or of a delegated administrator.

Permission, read-only: organizations:ListAccounts. Region: AWS_REGION or the profile's, else
us-east-1 (the Organizations endpoint's).

docs/import.md says more (the inventory it drafts, and the policy `import` needs).";

#[derive(Args)]
struct ConvertArgs {
    /// Files or folders (read recursively, *.json) of `aws ecs describe-*` output or
    /// `--cli-input-json` input.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Write a Kustomize repository (apps/, argocd/, reports) here instead of YAML on stdout.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Accounts and their environments (YAML: accounts: [{id, name, environment}]).
    #[arg(long, value_name = "FILE")]
    inventory: Option<PathBuf>,
    /// Mapping rules laid over the shipped defaults (YAML; see mappings/README.md).
    #[arg(long, value_name = "FILE")]
    mappings: Option<PathBuf>,
    /// With --out: write nothing; print a unified diff of what would change and exit 1 if
    /// anything would (for CI on pull requests that change inputs or mappings).
    #[arg(long, requires = "out")]
    check: bool,
    /// Exit 1 when any finding is a warning or worse (for CI).
    #[arg(long)]
    fail_on_warnings: bool,
    /// Print no findings on stderr (errors are still printed).
    #[arg(long, short)]
    quiet: bool,
}

/// Exit codes: 0 converted, 1 some input failed (or warnings with --fail-on-warnings), 2 usage.
const EXIT_FAILED: u8 = 1;
const EXIT_USAGE: u8 = 2;

/// `convert --help` lists the input shapes, from the importer's own table.
fn parse() -> Result<Cli, clap::Error> {
    let shapes: Vec<String> = ecs2eks::import::shape_names()
        .into_iter()
        .filter(|n| !n.contains("(skipped)"))
        .map(|n| format!("  {n}"))
        .collect();
    let help = format!(
        "Input shapes (recognised by content, not file name):\n{}",
        shapes.join("\n")
    );
    let command = Cli::command().mut_subcommand("convert", |c| c.after_help(help));
    Cli::from_arg_matches(&command.try_get_matches()?)
}

fn main() -> ExitCode {
    ecs2eks::allocator::set_up();
    let cli = match parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match cli.command {
        Command::Convert(args) => convert(args),
        Command::Import(args) => import(args),
        Command::Inventory(InventoryCommand::Init {
            out,
            role_name,
            endpoint_url,
        }) => inventory_init(&out, role_name.as_deref(), endpoint_url),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "ecs2eks",
                &mut std::io::stdout(),
            );
            ExitCode::SUCCESS
        }
    }
}

/// The progress display, on a terminal only: silent when stderr is piped or with --quiet, so
/// logs and CI output stay clean. A spinner with the current phase, and a bar with the count of
/// apps while they are converted (and written).
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new(quiet: bool) -> Progress {
        use std::io::IsTerminal;
        Progress((!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(std::time::Duration::from_millis(120));
            bar
        }))
    }

    /// Runs `f` with the display hidden, for lines of output.
    fn suspend(&self, f: impl FnOnce()) {
        match &self.0 {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    fn say(&self, message: String) {
        if let Some(bar) = &self.0 {
            bar.set_message(message);
        }
    }

    /// `done` of `total` apps converted (0 first, then one call per app): the spinner becomes a
    /// bar.
    fn apps(&self, done: usize, total: usize) {
        let Some(bar) = &self.0 else { return };
        if done == 0 {
            bar.set_length(total as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {msg} [{bar:30}] {pos}/{len} apps, {eta} left",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
            return;
        }
        bar.inc(1); // one call per app, from any thread: counting keeps the bar monotonic
    }

    /// Clears the display before the closing lines.
    fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

/// Prints what a write changed (or its error); false on error.
fn report_write(
    dir: &Path,
    result: Result<export::files::WriteSummary, ecs2eks::error::Error>,
) -> bool {
    match result {
        Ok(s) => {
            eprintln!(
                "wrote {}: {} file(s) written, {} unchanged, {} removed",
                dir.display(),
                s.written,
                s.unchanged,
                s.removed
            );
            true
        }
        Err(e) => {
            eprintln!("error: {e}");
            false
        }
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

/// The mappings and inventory `convert` is given.
fn setup(args: &ConvertArgs) -> Result<(Mappings, Option<Inventory>), String> {
    let mappings = match &args.mappings {
        Some(p) => {
            let text = read_text(p)?;
            Mappings::load(Some((&p.display().to_string(), &text))).map_err(|e| e.to_string())?
        }
        None => Mappings::defaults(),
    };
    let inventory = match &args.inventory {
        Some(p) => Some(
            Inventory::parse(&p.display().to_string(), &read_text(p)?)
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    Ok((mappings, inventory))
}

fn convert(args: ConvertArgs) -> ExitCode {
    let (mappings, inventory) = match setup(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let progress = Progress::new(args.quiet);
    let files = match ecs2eks::import::discover(&args.inputs) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    progress.say(format!("reading {} file(s)", files.len()));
    let read = ecs2eks::import::read_files(files);
    progress.say(format!(
        "converting {} service(s) and {} task definition(s){}",
        read.services.len(),
        read.task_definitions.len(),
        match &args.out {
            Some(dir) if !args.check => format!(", writing {}", dir.display()),
            _ => String::new(),
        }
    ));
    let apps = |done, total| progress.apps(done, total);
    let (m, inv) = (&mappings, inventory.as_ref());
    let (conversion, output) = match &args.out {
        Some(dir) if args.check => {
            let (conversion, diff) = ecs2eks::check(read, m, inv, dir, &apps);
            (conversion, Output::Diff(dir, diff))
        }
        Some(dir) => {
            let (conversion, written) = ecs2eks::convert_into(read, m, inv, dir, &apps);
            (conversion, Output::Written(dir, written))
        }
        None => {
            let (conversion, stream) = ecs2eks::stream(read, m, inv, &apps);
            (conversion, Output::Stream(stream))
        }
    };
    progress.finish();
    let mut failed = false;
    progress.suspend(|| {
        if !args.quiet
            && let Err(e) = print_findings(&conversion)
        {
            eprintln!("error: cannot print the findings: {e}");
            failed = true;
        }
        for e in &conversion.errors {
            eprintln!("error: {e}");
        }
    });
    match output.show() {
        Shown::Fine => {}
        Shown::Failed => failed = true,
        // The summary line is about a repository that was not written.
        Shown::NotWritten => return ExitCode::from(EXIT_FAILED),
    }
    let failures = conversion.workloads.iter().filter(|w| w.failed()).count();
    eprintln!(
        "{} workload(s) converted, {failures} failed, {} input error(s)",
        conversion.workloads.len() - failures,
        conversion.errors.len()
    );
    let code = if failed
        || conversion.has_errors()
        || (args.fail_on_warnings && conversion.has_warnings())
    {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    };
    // The process ends here: freeing a large conversion piece by piece only costs time.
    std::mem::forget(conversion);
    code
}

/// What `convert` gives besides the conversion: the stream, what writing the repository did, or
/// the diff against it (`--check`).
enum Output<'a> {
    Stream(String),
    Written(
        &'a Path,
        Result<export::files::WriteSummary, ecs2eks::error::Error>,
    ),
    Diff(&'a Path, Result<String, ecs2eks::error::Error>),
}

/// What showing an `Output` says about the run.
enum Shown {
    Fine,
    /// A diff, or a check that could not be made: exit 1.
    Failed,
    /// The repository could not be written: exit 1 at once.
    NotWritten,
}

impl Output<'_> {
    /// Prints the stream or the diff on stdout, or says what the write did on stderr.
    fn show(self) -> Shown {
        match self {
            Output::Stream(text) => print!("{text}"),
            Output::Written(dir, written) => {
                if !report_write(dir, written) {
                    return Shown::NotWritten;
                }
            }
            Output::Diff(dir, Ok(diff)) if diff.is_empty() => eprintln!(
                "{} is up to date with the inputs and mappings",
                dir.display()
            ),
            Output::Diff(dir, Ok(diff)) => {
                print!("{diff}");
                eprintln!(
                    "{} differs from what the inputs and mappings give (diff on stdout)",
                    dir.display()
                );
                return Shown::Failed;
            }
            Output::Diff(_, Err(e)) => {
                eprintln!("error: {e}");
                return Shown::Failed;
            }
        }
        Shown::Fine
    }
}

fn inventory_init(out: &Path, role_name: Option<&str>, endpoint_url: Option<String>) -> ExitCode {
    use ecs2eks::import::aws;
    if out.exists() {
        eprintln!(
            "error: {}: exists; move it away or choose another --out",
            out.display()
        );
        return ExitCode::from(EXIT_USAGE);
    }
    let options = aws::Options {
        endpoint_url,
        ..aws::Options::default()
    };
    match aws::draft_inventory_blocking(&options, role_name) {
        Ok(text) => match std::fs::write(out, &text) {
            Ok(()) => {
                let n = text.lines().filter(|l| l.starts_with("  - ")).count();
                let unknown = text.matches("# UNKNOWN").count();
                eprintln!(
                    "wrote {}: {n} account(s), {unknown} without a guessed environment; check the GUESSED lines",
                    out.display()
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {}: cannot write: {e}", out.display());
                ExitCode::from(EXIT_FAILED)
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

fn import(args: ImportArgs) -> ExitCode {
    let inventory = match read_text(&args.inventory).and_then(|text| {
        Inventory::parse(&args.inventory.display().to_string(), &text).map_err(|e| e.to_string())
    }) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let out = args.out.clone();
    match ecs2eks::import_into(&inventory, &import_options(args), &out) {
        Ok((report, written)) => {
            report_write(&out, Ok(written));
            print_import_report(&report);
            if report.failed() {
                ExitCode::from(EXIT_FAILED)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_FAILED)
        }
    }
}

/// The importer's options from the flags, with a progress line when stderr is a terminal.
fn import_options(args: ImportArgs) -> ecs2eks::import::aws::Options {
    use ecs2eks::import::aws;
    let progress = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        aws::Progress::new(|done, total, unit| {
            eprint!("\r\x1b[2K[{done}/{total}] read {unit}");
            if done == total {
                eprintln!();
            }
        })
    } else {
        aws::Progress::default()
    };
    aws::Options {
        progress,
        regions: args.regions,
        clusters: args.clusters,
        endpoint_url: args.endpoint_url,
        concurrency: usize::from(args.concurrency),
        keep_volatile: args.keep_volatile,
        attempt_timeout: std::time::Duration::from_secs(args.timeout.max(1)),
        max_attempts: u32::from(args.max_attempts),
    }
}

/// One line per unit, one per failure (what failed and what to do), and the totals.
fn print_import_report(report: &ecs2eks::import::aws::Report) {
    for u in &report.units {
        if u.region == ecs2eks::import::aws::GLOBAL {
            let missing = if u.missing_roles.is_empty() {
                String::new()
            } else {
                format!(
                    "; named by task definitions but not found: {}",
                    u.missing_roles.join(", ")
                )
            };
            eprintln!(
                "{} IAM: {}: {} role(s){missing}",
                u.account, u.status, u.roles
            );
            continue;
        }
        let kept = if u.kept_from_previous_import.is_empty() {
            String::new()
        } else {
            format!(
                "; kept {} file(s) of the previous import",
                u.kept_from_previous_import.len()
            )
        };
        eprintln!(
            "{} {}: {}: {} cluster(s), {} service(s), {} task definition(s){kept}",
            u.account,
            u.region,
            u.status,
            u.clusters.len(),
            u.services,
            u.task_definitions,
        );
    }
    for f in &report.failures {
        eprintln!("error: {f}");
    }
    let calls: u64 = report.calls.values().map(|c| c.calls).sum();
    eprintln!(
        "{} unit(s) read, {} failed, {calls} API call(s)",
        report.units.iter().filter(|u| u.status == "read").count(),
        report.failures.len()
    );
}

/// One line per finding: `input: field: severity[code] app (env): message`, then the run's notes.
fn print_findings(conversion: &Conversion) -> std::io::Result<()> {
    use std::io::Write;
    // One buffered writer: a large run prints hundreds of thousands of lines.
    let mut err = std::io::BufWriter::new(std::io::stderr().lock());
    for w in &conversion.workloads {
        for f in w.findings.iter() {
            if f.input.is_empty() {
                write!(err, "{}: ", w.inputs.join(", "))?;
            } else {
                write!(err, "{}: ", f.input)?;
            }
            if !f.field.is_empty() {
                write!(err, "{}: ", f.field)?;
            }
            writeln!(
                err,
                "{}[{}] {} ({}): {}",
                f.severity, f.code, w.app, w.environment, f.message
            )?;
        }
    }
    // What the run says once: `mappings: field: severity[code]: message`.
    for f in &conversion.notes {
        writeln!(
            err,
            "mappings: {}: {}[{}]: {}",
            f.field, f.severity, f.code, f.message
        )?;
    }
    err.flush()
}
