//! Application Auto Scaling: `describe-scalable-targets`, `describe-scaling-policies` and
//! `describe-scheduled-actions` output. Only the `ecs` service namespace is kept; the other
//! namespaces (DynamoDB, Lambda…) are not this tool's business and are skipped silently.

use super::{Read, Sourced};
use crate::model::aws::{ScalableTarget, ScalingPolicy, ScheduledAction};
use serde::de::DeserializeOwned;
use serde_json::Value;

pub fn is_scalable_targets(v: &Value) -> bool {
    v.get("ScalableTargets").is_some_and(Value::is_array)
}

pub fn is_scaling_policies(v: &Value) -> bool {
    v.get("ScalingPolicies").is_some_and(Value::is_array)
}

pub fn is_scheduled_actions(v: &Value) -> bool {
    v.get("ScheduledActions").is_some_and(Value::is_array)
}

pub fn read_scalable_targets(input: &str, value: Value, read: &mut Read) {
    let list = read_list::<ScalableTarget>(input, value, "ScalableTargets", read);
    read.inputs.scalable_targets.extend(list);
}

pub fn read_scaling_policies(input: &str, value: Value, read: &mut Read) {
    let list = read_list::<ScalingPolicy>(input, value, "ScalingPolicies", read);
    read.inputs.scaling_policies.extend(list);
}

pub fn read_scheduled_actions(input: &str, value: Value, read: &mut Read) {
    let list = read_list::<ScheduledAction>(input, value, "ScheduledActions", read);
    read.inputs.scheduled_actions.extend(list);
}

/// Reads `value[key][]`, keeping the entries of the `ecs` service namespace.
fn read_list<T: DeserializeOwned>(
    input: &str,
    value: Value,
    key: &str,
    read: &mut Read,
) -> Vec<Sourced<T>> {
    let ecs = |raw: &Value| {
        raw.get("ServiceNamespace")
            .and_then(Value::as_str)
            .is_none_or(|n| n == "ecs")
    };
    super::read_list(input, value, key, ecs, &mut read.inputs.errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keeps_ecs_entries_and_names_bad_fields() {
        let mut read = Read::default();
        let v = json!({"ScalableTargets": [
            {"ServiceNamespace": "ecs", "ResourceId": "service/c/web", "MinCapacity": 2, "MaxCapacity": 5},
            {"ServiceNamespace": "dynamodb", "ResourceId": "table/t"},
            {"ServiceNamespace": "ecs", "ResourceId": "service/c/api", "MinCapacity": "two"}
        ]});
        assert!(is_scalable_targets(&v));
        read_scalable_targets("t.json", v, &mut read);
        assert_eq!(read.inputs.scalable_targets.len(), 1);
        assert_eq!(read.inputs.scalable_targets[0].value.max_capacity, Some(5));
        assert_eq!(read.inputs.errors.len(), 1);
        assert!(
            read.inputs.errors[0]
                .to_string()
                .contains("ScalableTargets[2].MinCapacity"),
            "{}",
            read.inputs.errors[0]
        );
    }
}
