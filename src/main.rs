//! The ecs2eks command line: parses flags, runs the library, prints, and picks the exit code.
#![allow(clippy::print_stdout, clippy::print_stderr)] // the binary is where output happens
//! It is the only place that prints or exits.

use clap::{Args, Parser, Subcommand};
use ecs2eks::diagnostics::Severity;
use ecs2eks::export;
use ecs2eks::inventory::Inventory;
use ecs2eks::mappings::Mappings;
use ecs2eks::translate::Conversion;
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
}

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

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match cli.command {
        Command::Convert(args) => convert(args),
    }
}

fn read_text(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

fn convert(args: ConvertArgs) -> ExitCode {
    let setup = || -> Result<(Mappings, Option<Inventory>), String> {
        let mappings = match &args.mappings {
            Some(p) => {
                let text = read_text(p)?;
                Mappings::load(Some((&p.display().to_string(), &text)))
                    .map_err(|e| e.to_string())?
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
    };
    let (mappings, inventory) = match setup() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let conversion = match ecs2eks::convert(&args.inputs, &mappings, inventory.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    if !args.quiet {
        print_findings(&conversion);
    }
    for e in &conversion.errors {
        eprintln!("error: {e}");
    }
    match &args.out {
        None => print!("{}", export::stream::render(&conversion)),
        Some(dir) => {
            let tree = ecs2eks::generate_repo(&conversion, &mappings, inventory.as_ref());
            if args.check {
                return match export::files::check(dir, &tree) {
                    Ok(diff) if diff.is_empty() => {
                        eprintln!(
                            "{} is up to date with the inputs and mappings",
                            dir.display()
                        );
                        ExitCode::SUCCESS
                    }
                    Ok(diff) => {
                        print!("{diff}");
                        eprintln!(
                            "{} differs from what the inputs and mappings give (diff on stdout)",
                            dir.display()
                        );
                        ExitCode::from(EXIT_FAILED)
                    }
                    Err(e) => {
                        eprintln!("error: {e}");
                        ExitCode::from(EXIT_FAILED)
                    }
                };
            }
            match export::files::write(dir, &tree) {
                Ok(s) => eprintln!(
                    "wrote {}: {} file(s) written, {} unchanged, {} removed",
                    dir.display(),
                    s.written,
                    s.unchanged,
                    s.removed
                ),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(EXIT_FAILED);
                }
            }
        }
    }
    let failed = conversion.workloads.iter().filter(|w| w.failed()).count();
    eprintln!(
        "{} workload(s) converted, {failed} failed, {} input error(s)",
        conversion.workloads.len() - failed,
        conversion.errors.len()
    );
    if conversion.has_errors() || (args.fail_on_warnings && conversion.has_warnings()) {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    }
}

/// One line per finding: `input: field: severity[code] app (env): message`.
fn print_findings(conversion: &Conversion) {
    for w in &conversion.workloads {
        for f in &w.findings {
            let at = if f.field.is_empty() {
                String::new()
            } else {
                format!("{}: ", f.field)
            };
            let input = if f.input.is_empty() {
                w.inputs.join(", ")
            } else {
                f.input.clone()
            };
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            };
            eprintln!(
                "{input}: {at}{sev}[{}] {} ({}): {}",
                f.code, w.app, w.environment, f.message
            );
        }
    }
}
