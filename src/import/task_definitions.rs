//! Task definitions: `describe-task-definition` output and `register-task-definition` input.

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
        if c.image.as_deref().is_none_or(str::is_empty) {
            return Err(missing(
                at(&format!("containerDefinitions[{i}].image")),
                "the container's image",
            ));
        }
    }
    Ok(td)
}
