//! Reads AWS JSON files, recognises each by its shape, and hands typed ECS values on
//! (`model::read`).
//!
//! Adding an input shape is one new module and one row in `SHAPES`. Importers never build
//! Kubernetes objects; they return the ECS model and the errors of the inputs they could not read.
//! Task definitions and services are read twice: `read_files` keeps their identity, and
//! `read_again` reads each whole when its app is converted (`again`).

mod again;
mod autoscaling;
pub mod aws;
mod cloud_map;
mod elbv2;
mod iam;
mod schedules;
mod security_groups;
mod services;
mod task_definitions;

pub use again::read_again;

use crate::diagnostics::Finding;
use crate::error::InputError;
use crate::model::ecs::{Service, TaskDefinition};
use crate::model::read::{Inputs, Located, Sourced};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What reading one input gives: the other kinds as they go into `Inputs`, task definitions and
/// services whole (`read_files` keeps only their identity).
#[derive(Debug, Default)]
pub struct Read {
    pub inputs: Inputs,
    pub task_definitions: Vec<Sourced<TaskDefinition>>,
    pub services: Vec<Sourced<Service>>,
    /// The first read, which keeps only the identities of task definitions and services: their
    /// findings are made by the second read (`read_again`), so they are not made here.
    pub identities_only: bool,
}

/// One input shape: how to recognise it and how to read it.
struct Shape {
    /// What the README calls it.
    name: &'static str,
    recognise: fn(&Value) -> bool,
    read: fn(&str, Value, &mut Read),
}

/// The shapes ecs2eks reads, tried in order; the first that recognises a file reads it.
const SHAPES: &[Shape] = &[
    Shape {
        name: "aws application-autoscaling describe-scalable-targets",
        recognise: autoscaling::is_scalable_targets,
        read: autoscaling::read_scalable_targets,
    },
    Shape {
        name: "aws application-autoscaling describe-scaling-policies",
        recognise: autoscaling::is_scaling_policies,
        read: autoscaling::read_scaling_policies,
    },
    Shape {
        name: "aws application-autoscaling describe-scheduled-actions",
        recognise: autoscaling::is_scheduled_actions,
        read: autoscaling::read_scheduled_actions,
    },
    Shape {
        name: "aws events list-rules",
        recognise: schedules::is_list_rules,
        read: schedules::read_list_rules,
    },
    Shape {
        name: "aws events list-targets-by-rule, wrapped as {\"Rule\": name, \"Targets\": [...]}",
        recognise: schedules::is_targets_by_rule,
        read: schedules::read_targets_by_rule,
    },
    Shape {
        name: "aws scheduler get-schedule",
        recognise: schedules::is_get_schedule,
        read: schedules::read_get_schedule,
    },
    Shape {
        name: "aws ecs describe-task-definition",
        recognise: task_definitions::is_describe_output,
        read: task_definitions::read_describe_output,
    },
    Shape {
        name: "aws ecs register-task-definition --cli-input-json",
        recognise: task_definitions::is_register_input,
        read: task_definitions::read_register_input,
    },
    Shape {
        name: "an array of container definitions (Terraform container_definitions), or of task definitions",
        recognise: task_definitions::is_array,
        read: task_definitions::read_array,
    },
    Shape {
        name: "aws ecs describe-services",
        recognise: services::is_describe_output,
        read: services::read_describe_output,
    },
    Shape {
        name: "aws ecs create-service / update-service output",
        recognise: services::is_create_output,
        read: services::read_create_output,
    },
    Shape {
        name: "aws ecs create-service --cli-input-json",
        recognise: services::is_create_input,
        read: services::read_create_input,
    },
    Shape {
        name: "aws iam get-account-authorization-details",
        recognise: iam::is_authorization_details,
        read: iam::read_authorization_details,
    },
    Shape {
        name: "aws iam get-role",
        recognise: iam::is_get_role,
        read: iam::read_get_role,
    },
    Shape {
        name: "aws ec2 describe-security-groups",
        recognise: security_groups::is_describe_security_groups,
        read: security_groups::read_describe_security_groups,
    },
    Shape {
        name: "aws elbv2 describe-load-balancers",
        recognise: elbv2::is_load_balancers,
        read: elbv2::read_load_balancers,
    },
    Shape {
        name: "aws elbv2 describe-listeners",
        recognise: elbv2::is_listeners,
        read: elbv2::read_listeners,
    },
    Shape {
        name: "aws elbv2 describe-rules",
        recognise: elbv2::is_rules,
        read: elbv2::read_rules,
    },
    Shape {
        name: "aws elbv2 describe-target-groups",
        recognise: elbv2::is_target_groups,
        read: elbv2::read_target_groups,
    },
    Shape {
        name: "aws servicediscovery list-namespaces",
        recognise: cloud_map::is_list_namespaces,
        read: cloud_map::read_list_namespaces,
    },
    Shape {
        name: "aws servicediscovery list-services",
        recognise: cloud_map::is_list_services,
        read: cloud_map::read_list_services,
    },
    Shape {
        name: "ecs2eks import report (skipped)",
        recognise: aws::is_import_report,
        read: aws::read_import_report,
    },
];

/// The names of the shapes, for the README and error messages.
pub fn shape_names() -> Vec<&'static str> {
    SHAPES.iter().map(|s| s.name).collect()
}

/// The input name that means standard input.
pub const STDIN: &str = "-";

/// Expands folders (recursively, `*.json`, hidden folders skipped) into a sorted file list. A
/// path that cannot be read stays in the list, so that it is an error of its own and the other
/// inputs are still converted; `-` is standard input. A folder that holds no `*.json` file is an
/// error of the run: there is nothing to convert.
pub fn discover(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, crate::error::Error> {
    let mut files = Vec::new();
    for input in inputs {
        match std::fs::metadata(input) {
            Ok(meta) if meta.is_dir() => {
                let before = files.len();
                walk(input, &mut files)?;
                if files.len() == before {
                    return Err(crate::error::Error::NoInputs {
                        path: input.clone(),
                    });
                }
            }
            _ => files.push(input.clone()),
        }
    }
    // Equal paths are one file: no order to keep among them, and no buffer of half the list.
    files.sort_unstable();
    files.dedup();
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), crate::error::Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| crate::error::Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    // The entry's type comes with the listing: no stat per file. Sorted by name, which in one
    // folder is the paths' order, without comparing them component by component. Only the names
    // are held while sorting (a large run's folders hold tens of thousands of files).
    let mut entries: Vec<(std::ffi::OsString, bool)> = entries
        .filter_map(Result::ok)
        .filter(|e| !e.file_name().as_encoded_bytes().starts_with(b"."))
        .map(|e| {
            let is_dir = match e.file_type() {
                Ok(t) if t.is_symlink() => e.path().is_dir(),
                Ok(t) => t.is_dir(),
                Err(_) => e.path().is_dir(),
            };
            (e.file_name(), is_dir)
        })
        .filter(|(name, is_dir)| {
            *is_dir || Path::new(name).extension().is_some_and(|e| e == "json")
        })
        .collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (name, is_dir) in entries {
        let path = dir.join(name);
        if is_dir {
            walk(&path, files)?;
        } else {
            files.push(path);
        }
    }
    Ok(())
}

/// Reads every file; a file that cannot be read becomes an error and the others go on.
/// Files are parsed in parallel and merged in file order, so the result does not depend on
/// thread timing. Task definitions and services, the bulk of a large run, are checked in full
/// here and kept by identity (`Located`); a pipe (`<(aws ecs …)`) cannot be read twice, so its
/// bytes are kept for `read_again`.
pub fn read_files(files: Vec<PathBuf>) -> Inputs {
    use rayon::prelude::*;
    // One `Inputs` per run of files a thread reads, merged once, in order.
    let parts = files
        .into_par_iter()
        .fold(Inputs::default, |mut inputs, file| {
            let name = file.display().to_string();
            match read_file(&file) {
                Ok((bytes, regular)) => {
                    let kept = (!regular).then(|| Arc::from(bytes.as_slice()));
                    locate(&name, &bytes, kept, &mut inputs);
                }
                Err(e) => inputs.errors.push(InputError::Read {
                    input: name,
                    message: e.to_string(),
                }),
            }
            inputs
        })
        .collect::<Vec<Inputs>>();
    Inputs::concat(parts)
}

/// A file's bytes, and whether it is a regular file (which can be read again).
fn read_file(file: &Path) -> std::io::Result<(Vec<u8>, bool)> {
    use std::io::Read;
    if file.as_os_str() == STDIN {
        let mut bytes = Vec::new();
        std::io::stdin().lock().read_to_end(&mut bytes)?;
        return Ok((bytes, false));
    }
    let mut f = std::fs::File::open(file)?;
    let meta = f.metadata()?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.read_to_end(&mut bytes)?;
    Ok((bytes, meta.is_file()))
}

/// Reads one input given as bytes (an import's answer, a test's file) into `inputs`, keeping
/// the bytes for the second read of its task definitions and services.
pub fn read_bytes(input: &str, bytes: &[u8], inputs: &mut Inputs) {
    locate(input, bytes, Some(Arc::from(bytes)), inputs);
}

/// Reads `bytes` of `input` into `inputs`, task definitions and services by identity.
fn locate(input: &str, bytes: &[u8], kept: Option<Arc<[u8]>>, inputs: &mut Inputs) {
    let read = read_whole(input, bytes, true);
    let Read {
        inputs: others,
        task_definitions,
        services,
        ..
    } = read;
    let located = |input: &str, path: String| (Box::<str>::from(input), path.into_boxed_str());
    for td in task_definitions {
        let (input, path) = located(&td.input, td.path);
        inputs.task_definitions.push(Located {
            input,
            path,
            id: td.value.identity(),
            kept: kept.clone(),
        });
    }
    for s in services {
        let (input, path) = located(&s.input, s.path);
        inputs.services.push(Located {
            input,
            path,
            id: s.value.identity(),
            kept: kept.clone(),
        });
    }
    inputs.append(others);
}

/// Everything `bytes` of `input` holds, read whole (`identities_only`: see `Read`).
fn read_whole(input: &str, bytes: &[u8], identities_only: bool) -> Read {
    let mut read = Read {
        identities_only,
        ..Read::default()
    };
    match parse(input, bytes) {
        Ok(value) => read_value(input, value, &mut read),
        Err(e) => read.inputs.errors.push(e),
    }
    read
}

fn parse(input: &str, bytes: &[u8]) -> Result<Value, InputError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(InputError::Empty {
            input: input.to_string(),
        });
    }
    let text = std::str::from_utf8(bytes)
        .ok()
        .filter(|t| !t.contains('\0'))
        .ok_or_else(|| InputError::Binary {
            input: input.to_string(),
        })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    serde_json::from_str(text).map_err(|e| {
        if looks_like_yaml(input, text) {
            return InputError::Yaml {
                input: input.to_string(),
            };
        }
        InputError::Syntax {
            input: input.to_string(),
            line: e.line(),
            column: e.column(),
            message: strip_position(&e.to_string()),
        }
    })
}

/// A YAML file given among the inputs (an inventory or mappings file, most likely): named so,
/// or made of `key:` lines rather than JSON.
fn looks_like_yaml(input: &str, text: &str) -> bool {
    let named = [".yaml", ".yml"].iter().any(|e| input.ends_with(e));
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'));
    let keyed = first.is_some_and(|l| {
        l == "---"
            || l.split_once(':').is_some_and(|(key, _)| {
                !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "_-".contains(c))
            })
    });
    named || keyed
}

/// serde_json appends " at line L column C"; we print the position in front instead.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn read_value(input: &str, value: Value, read: &mut Read) {
    match SHAPES.iter().find(|s| (s.recognise)(&value)) {
        Some(shape) => (shape.read)(input, value, read),
        None => read.inputs.errors.push(InputError::UnknownShape {
            input: input.to_string(),
            message: describe_unknown(&value),
        }),
    }
}

fn describe_unknown(value: &Value) -> String {
    match value {
        Value::Object(o) => {
            let keys: Vec<_> = o.keys().take(5).map(|k| format!("`{k}`")).collect();
            format!(
                "top-level keys {}; expected AWS CLI output such as `aws ecs describe-task-definition` (`ecs2eks convert --help` lists the {} shapes read)",
                keys.join(", "),
                shape_names()
                    .iter()
                    .filter(|n| !n.contains("(skipped)"))
                    .count()
            )
        }
        Value::Array(_) => "a JSON array at the top level".to_string(),
        _ => "a JSON scalar at the top level".to_string(),
    }
}

/// Deserialises `raw` into `T`, naming the JSON path of the first wrong field.
/// `raw` as a `T`, its strings moved rather than copied.
fn typed<T: DeserializeOwned>(input: &str, path: &str, raw: Value) -> Result<T, InputError> {
    serde_path_to_error::deserialize(raw).map_err(|e| {
        let inner = e.path().to_string();
        let full = match (path.is_empty(), inner == ".") {
            (true, _) => inner,
            (false, true) => path.to_string(),
            (false, false) => format!("{path}.{inner}"),
        };
        InputError::Field {
            input: input.to_string(),
            path: full,
            message: e.inner().to_string(),
        }
    })
}

/// Reads the list `value[key][]` of an output, each entry typed (or an error naming its path),
/// keeping the entries `wanted` accepts.
fn read_list<T: DeserializeOwned>(
    input: &str,
    mut value: Value,
    key: &str,
    wanted: impl Fn(&Value) -> bool,
    errors: &mut Vec<InputError>,
) -> Vec<Sourced<T>> {
    let Value::Array(items) = value[key].take() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, raw) in items.into_iter().enumerate().filter(|(_, raw)| wanted(raw)) {
        let path = format!("{key}[{i}]");
        match typed::<T>(input, &path, raw) {
            Ok(value) => out.push(Sourced {
                input: input.to_string(),
                path,
                value,
                findings: Vec::new(),
            }),
            Err(e) => errors.push(e),
        }
    }
    out
}

/// The field coverage check of one object read from `input`.
fn coverage(
    input: &str,
    path: &str,
    raw: &Value,
    table: &[crate::model::fields::Field],
) -> Vec<Finding> {
    let mut findings = crate::diagnostics::Findings {
        list: Vec::new(),
        input: input.to_string(),
    };
    crate::model::fields::check(raw, table, path, &mut findings);
    findings.list
}

/// True when `value` is an object holding any of `keys` set to something.
fn has_any(value: &Value, keys: &[&str]) -> bool {
    value
        .as_object()
        .is_some_and(|o| keys.iter().any(|k| o.contains_key(*k)))
}
