//! Scheduled tasks: EventBridge `aws events list-rules` output, `list-targets-by-rule` output
//! wrapped as `{"Rule": "<rule name>", "Targets": [...]}` (the CLI output does not name its
//! rule), and EventBridge Scheduler `aws scheduler get-schedule` output.

use super::{Read, Sourced, typed};
use crate::model::aws::{EventRule, RuleTargets, Schedule};
use serde_json::Value;

/// `{"Rules": [...]}` is also the shape of `aws elbv2 describe-rules`; EventBridge rules have
/// no `RuleArn`.
pub fn is_list_rules(v: &Value) -> bool {
    v.get("Rules")
        .and_then(Value::as_array)
        .is_some_and(|rules| rules.iter().all(|r| r.get("RuleArn").is_none()))
}

pub fn is_targets_by_rule(v: &Value) -> bool {
    v.get("Targets").is_some_and(Value::is_array)
}

pub fn is_get_schedule(v: &Value) -> bool {
    v.get("ScheduleExpression").is_some() && v.get("Target").is_some_and(Value::is_object)
}

pub fn read_list_rules(input: &str, value: Value, read: &mut Read) {
    let rules =
        super::read_list::<EventRule>(input, value, "Rules", |_| true, &mut read.inputs.errors);
    read.inputs.event_rules.extend(rules);
}

pub fn read_targets_by_rule(input: &str, value: Value, read: &mut Read) {
    match typed::<RuleTargets>(input, "", value) {
        Ok(v) => read
            .inputs
            .rule_targets
            .push(sourced(input, String::new(), v)),
        Err(e) => read.inputs.errors.push(e),
    }
}

pub fn read_get_schedule(input: &str, value: Value, read: &mut Read) {
    match typed::<Schedule>(input, "", value) {
        Ok(v) => read.inputs.schedules.push(sourced(input, String::new(), v)),
        Err(e) => read.inputs.errors.push(e),
    }
}

fn sourced<T>(input: &str, path: String, value: T) -> Sourced<T> {
    Sourced {
        input: input.to_string(),
        path,
        value,
        findings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_are_recognised() {
        let rules = json!({"Rules": [{"Name": "r", "ScheduleExpression": "rate(1 hour)"}]});
        let targets = json!({"Rule": "r", "Targets": [{"Id": "t", "Arn": "arn:aws:ecs:eu-west-1:1:cluster/c",
            "EcsParameters": {"TaskDefinitionArn": "arn:aws:ecs:eu-west-1:1:task-definition/job:3", "TaskCount": 2}}]});
        let schedule =
            json!({"Name": "s", "ScheduleExpression": "rate(5 minutes)", "Target": {"Arn": "x"}});
        assert!(is_list_rules(&rules) && !is_targets_by_rule(&rules));
        assert!(is_targets_by_rule(&targets) && !is_get_schedule(&targets));
        assert!(is_get_schedule(&schedule));
        let mut read = Read::default();
        read_list_rules("r.json", rules, &mut read);
        read_targets_by_rule("t.json", targets, &mut read);
        read_get_schedule("s.json", schedule, &mut read);
        assert_eq!(read.inputs.event_rules[0].value.name.as_deref(), Some("r"));
        let t = &read.inputs.rule_targets[0].value;
        assert_eq!(t.rule.as_deref(), Some("r"));
        assert_eq!(
            t.targets[0].ecs_parameters.as_ref().unwrap().task_count,
            Some(2)
        );
        assert_eq!(read.inputs.schedules[0].value.name.as_deref(), Some("s"));
    }
}
