//! Services: `describe-services` output, `create-service` output and `--cli-input-json` input.

use super::{Read, Sourced, coverage, has_any, typed};
use crate::error::InputError;
use crate::model::ecs::Service;
use serde_json::Value;

/// Keys only a service has (ecspresso-style files leave out `serviceName`).
const SERVICE_KEYS: &[&str] = &[
    "serviceName",
    "desiredCount",
    "launchType",
    "loadBalancers",
    "deploymentConfiguration",
    "schedulingStrategy",
    "serviceRegistries",
    "capacityProviderStrategy",
    "deploymentController",
    "networkConfiguration",
    "serviceConnectConfiguration",
];

pub fn is_describe_output(v: &Value) -> bool {
    v.get("services").is_some_and(Value::is_array)
}

pub fn is_create_output(v: &Value) -> bool {
    v.get("service").is_some_and(Value::is_object)
}

pub fn is_create_input(v: &Value) -> bool {
    has_any(v, SERVICE_KEYS)
}

pub fn read_describe_output(input: &str, mut value: Value, read: &mut Read) {
    if let Value::Array(services) = value["services"].take() {
        for (i, raw) in services.into_iter().enumerate() {
            push(input, &format!("services[{i}]"), raw, read);
        }
    }
    if let Some(Value::Array(failures)) = value.get_mut("failures").map(Value::take) {
        for (i, raw) in failures.into_iter().enumerate() {
            read.inputs.service_failures.push(Sourced {
                input: input.to_string(),
                path: format!("failures[{i}]"),
                value: raw,
                findings: Vec::new(),
            });
        }
    }
}

pub fn read_create_output(input: &str, mut value: Value, read: &mut Read) {
    let raw = value["service"].take();
    push(input, "service", raw, read);
}

pub fn read_create_input(input: &str, value: Value, read: &mut Read) {
    push(input, "", value, read);
}

fn push(input: &str, path: &str, raw: Value, read: &mut Read) {
    match one(input, path, raw, !read.identities_only) {
        Ok(service) => read.services.push(service),
        Err(e) => read.inputs.errors.push(e),
    }
}

/// One service, read from its JSON value at `path` of `input`, with the findings about its fields
/// when `with_findings`.
pub(super) fn one(
    input: &str,
    path: &str,
    raw: Value,
    with_findings: bool,
) -> Result<Sourced<Service>, InputError> {
    let findings = match with_findings {
        true => coverage(input, path, &raw, crate::model::fields::SERVICE),
        false => Vec::new(),
    };
    typed::<Service>(input, path, raw).map(|value| Sourced {
        input: input.to_string(),
        path: path.to_string(),
        value,
        findings,
    })
}
