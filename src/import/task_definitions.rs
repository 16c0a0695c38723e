//! Task definitions: `describe-task-definition` output, `register-task-definition` input, and
//! the arrays repositories keep: a bare array of container definitions (what Terraform's
//! `aws_ecs_task_definition.container_definitions = file(...)` reads), or an array of whole task
//! definitions.

use super::{Read, Sourced, coverage, has_any, typed};
use crate::diagnostics::{Code, Finding};
use crate::error::InputError;
use crate::model::ecs::TaskDefinition;
use crate::model::fields::is_unset;
use serde_json::Value;

pub fn is_describe_output(v: &Value) -> bool {
    v.get("taskDefinition").is_some_and(Value::is_object)
}

pub fn is_register_input(v: &Value) -> bool {
    has_any(v, &["containerDefinitions"])
}

pub fn read_describe_output(input: &str, mut value: Value, read: &mut Read) {
    let raw = value["taskDefinition"].take();
    let mut findings = Vec::new();
    if let Some(tags) = value.get("tags").filter(|t| !is_unset(t)) {
        let count = tags.as_array().map_or(0, Vec::len);
        let mut f = Finding::new(
            Code::AwsTags,
            "tags",
            format!("{count} AWS tag(s) on the task definition were not converted"),
        );
        f.input = input.to_string();
        findings.push(f);
    }
    push(input, "taskDefinition", raw, findings, read);
}

pub fn read_register_input(input: &str, value: Value, read: &mut Read) {
    push(input, "", value, Vec::new(), read);
}

/// A top-level array of objects: container definitions, or whole task definitions.
pub fn is_array(v: &Value) -> bool {
    v.as_array()
        .is_some_and(|items| !items.is_empty() && items.iter().all(Value::is_object))
}

/// Each entry a task definition (bare or describe output), or together the containers of one
/// task definition named after the file; anything else is an error naming the file.
pub fn read_array(input: &str, value: Value, read: &mut Read) {
    let Value::Array(items) = value else {
        return;
    };
    let whole = |v: &Value| v.get("containerDefinitions").is_some() || is_describe_output(v);
    let container = |v: &Value| v.get("name").is_some() || v.get("image").is_some();
    if items.iter().all(whole) {
        for (i, raw) in items.into_iter().enumerate() {
            let path = format!("[{i}]");
            match is_describe_output(&raw) {
                true => {
                    let mut raw = raw;
                    let td = raw["taskDefinition"].take();
                    push(
                        input,
                        &format!("{path}.taskDefinition"),
                        td,
                        Vec::new(),
                        read,
                    );
                }
                false => push(input, &path, raw, Vec::new(), read),
            }
        }
    } else if items.iter().all(|v| container(v) && !whole(v)) {
        let td = serde_json::json!({"family": family_of(input), "containerDefinitions": items});
        let before = read.task_definitions.len();
        push(input, "", td, Vec::new(), read);
        if let Some(td) = read.task_definitions.get_mut(before) {
            td.value.containers_only = true;
        }
    } else {
        read.inputs.errors.push(InputError::UnknownShape {
            input: input.to_string(),
            message: "a JSON array whose entries are neither all container definitions nor all task definitions".to_string(),
        });
    }
}

/// The family of a file of container definitions: its name without `.json` (and without a
/// template extension such as `.tpl`), e.g. `web` for `web.json.tpl`.
fn family_of(input: &str) -> String {
    let name = std::path::Path::new(input)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name.split('.').next().unwrap_or("");
    match stem.chars().any(|c| c.is_ascii_alphanumeric()) {
        true => stem.to_string(),
        false => "containers".to_string(),
    }
}

fn push(input: &str, path: &str, raw: Value, findings: Vec<Finding>, read: &mut Read) {
    let mut findings = findings;
    if !read.identities_only {
        let table = crate::model::fields::TASK_DEFINITION;
        findings.extend(coverage(input, path, &raw, table));
    }
    match typed::<TaskDefinition>(input, path, raw).and_then(|td| validate(input, path, td)) {
        Ok(value) => read.task_definitions.push(Sourced {
            input: input.to_string(),
            path: path.to_string(),
            value,
            findings,
        }),
        Err(e) => read.inputs.errors.push(e),
    }
}

/// The fields ECS itself requires; without them there is nothing to convert.
fn validate(input: &str, path: &str, td: TaskDefinition) -> Result<TaskDefinition, InputError> {
    let at = |field: &str| crate::model::fields::join(path, field);
    let missing = |field: String, what: &str| InputError::Field {
        input: input.to_string(),
        path: field,
        message: format!("missing required field: {what}"),
    };
    if td.family.as_deref().is_none_or(str::is_empty) {
        return Err(missing(at("family"), "the task definition's family"));
    }
    if td.container_definitions.is_empty() {
        return Err(missing(
            at("containerDefinitions"),
            "at least one container definition",
        ));
    }
    for (i, c) in td.container_definitions.iter().enumerate() {
        if c.name.as_deref().is_none_or(str::is_empty) {
            return Err(missing(
                at(&format!("containerDefinitions[{i}].name")),
                "the container's name",
            ));
        }
        // `"image": ""` is what CI fills in (amazon-ecs-render-task-definition): converted,
        // with a placeholder and a warning. No image at all is an error.
        if c.image.is_none() {
            return Err(missing(
                at(&format!("containerDefinitions[{i}].image")),
                "the container's image",
            ));
        }
    }
    Ok(td)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(input: &str, value: Value) -> Read {
        let mut read = Read::default();
        assert!(is_array(&value));
        read_array(input, value, &mut read);
        read
    }

    /// A bare container-definitions array is one task definition named after the file, its
    /// `${...}` placeholders reported; an array of task definitions is several.
    #[test]
    fn arrays_of_containers_or_task_definitions() {
        let r = read(
            "tf/web.json.tpl",
            json!([{"name": "app", "image": "${image}", "essential": true},
                   {"name": "envoy", "image": "envoyproxy/envoy:v1.31.2"}]),
        );
        assert!(r.inputs.errors.is_empty(), "{:?}", r.inputs.errors);
        let td = &r.task_definitions[0];
        assert_eq!(td.value.family.as_deref(), Some("web"));
        assert!(td.value.containers_only);
        assert_eq!(td.value.container_definitions.len(), 2);
        assert_eq!(
            td.findings
                .iter()
                .map(|f| (f.code, f.field.as_str()))
                .collect::<Vec<_>>(),
            [(Code::Placeholder, "containerDefinitions[0].image")]
        );
        let r = read(
            "tds.json",
            json!([{"family": "a", "containerDefinitions": [{"name": "x", "image": "nginx"}]},
                   {"taskDefinition": {"family": "b", "containerDefinitions": [{"name": "y", "image": ""}]}}]),
        );
        let found: Vec<(&str, &str)> = (r.task_definitions.iter())
            .map(|t| (t.value.family.as_deref().unwrap(), t.path.as_str()))
            .collect();
        assert_eq!(found, [("a", "[0]"), ("b", "[1].taskDefinition")]);
        assert!(!r.task_definitions[0].value.containers_only);
        let r = read(
            "mixed.json",
            json!([{"family": "a", "containerDefinitions": []}, {"name": "x"}]),
        );
        assert!(r.task_definitions.is_empty());
        assert!(r.inputs.errors[0].to_string().contains("neither"));
        assert!(!is_array(&json!([])) && !is_array(&json!([1, 2])));
    }

    /// An empty image is filled in by CI: read; a missing image is an error.
    #[test]
    fn an_empty_image_is_read_and_a_missing_one_is_an_error() {
        let mut r = Read::default();
        read_register_input(
            "a.json",
            json!({"family": "a", "containerDefinitions": [{"name": "x", "image": ""}]}),
            &mut r,
        );
        assert_eq!(r.task_definitions.len(), 1);
        read_register_input(
            "b.json",
            json!({"family": "b", "containerDefinitions": [{"name": "x"}]}),
            &mut r,
        );
        assert!(
            r.inputs.errors[0]
                .to_string()
                .contains("containerDefinitions[0].image")
        );
    }
}
