//! Elastic Load Balancing v2: `aws elbv2 describe-load-balancers`, `describe-listeners`,
//! `describe-rules` and `describe-target-groups` output. Each is a top-level list; every entry
//! is read on its own, so one bad entry does not hide the others.

use super::{Read, Sourced, has_any};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// True when `v[key]` is a list whose entries carry `marker` (an empty list counts when
/// `empty_ok`). The markers keep look-alikes out: `aws events list-rules` also answers `Rules`.
fn is_list(v: &Value, key: &str, markers: &[&str], empty_ok: bool) -> bool {
    match v.get(key).and_then(Value::as_array) {
        Some(items) if items.is_empty() => empty_ok,
        Some(items) => items.iter().all(|i| has_any(i, markers)),
        None => false,
    }
}

pub fn is_load_balancers(v: &Value) -> bool {
    is_list(v, "LoadBalancers", &["LoadBalancerArn"], true)
}

pub fn is_listeners(v: &Value) -> bool {
    is_list(v, "Listeners", &["LoadBalancerArn", "DefaultActions"], true)
}

pub fn is_rules(v: &Value) -> bool {
    is_list(v, "Rules", &["RuleArn", "Conditions", "Actions"], false)
}

pub fn is_target_groups(v: &Value) -> bool {
    is_list(v, "TargetGroups", &["TargetGroupArn"], true)
}

pub fn read_load_balancers(input: &str, value: Value, read: &mut Read) {
    let list = read_list(input, value, "LoadBalancers", read);
    read.inputs.load_balancers.extend(list);
}

pub fn read_listeners(input: &str, value: Value, read: &mut Read) {
    let list = read_list(input, value, "Listeners", read);
    read.inputs.listeners.extend(list);
}

pub fn read_rules(input: &str, value: Value, read: &mut Read) {
    let list = read_list(input, value, "Rules", read);
    read.inputs.rules.extend(list);
}

pub fn read_target_groups(input: &str, value: Value, read: &mut Read) {
    let list = read_list(input, value, "TargetGroups", read);
    read.inputs.target_groups.extend(list);
}

fn read_list<T: DeserializeOwned>(
    input: &str,
    value: Value,
    key: &str,
    read: &mut Read,
) -> Vec<Sourced<T>> {
    super::read_list(input, value, key, |_| true, &mut read.inputs.errors)
}

#[cfg(test)]
mod tests {
    use super::super::read_bytes;
    use super::*;
    use crate::model::read::Inputs;

    #[test]
    fn shapes_are_recognised_and_read() {
        let mut inputs = Inputs::default();
        read_bytes(
            "rules.json",
            br#"{"Rules":[{"RuleArn":"arn:aws:elasticloadbalancing:r:1:listener-rule/app/a/1/2/3","Priority":"10","Conditions":[{"Field":"path-pattern","Values":["/x"]}],"Actions":[{"Type":"forward","TargetGroupArn":"tg"}]}]}"#,
            &mut inputs,
        );
        read_bytes(
            "tgs.json",
            br#"{"TargetGroups":[{"TargetGroupArn":"tg","Port":"8080","HealthCheckPort":"traffic-port"}]}"#,
            &mut inputs,
        );
        read_bytes(
            "lbs.json",
            br#"{"LoadBalancers":[{"LoadBalancerArn":"lb","Type":"application"}]}"#,
            &mut inputs,
        );
        read_bytes(
            "ls.json",
            br#"{"Listeners":[{"ListenerArn":"l","LoadBalancerArn":"lb","Port":443,"Protocol":"HTTPS"}]}"#,
            &mut inputs,
        );
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
        assert_eq!(inputs.rules.len(), 1);
        assert_eq!(inputs.target_groups[0].value.port, Some(8080));
        assert_eq!(inputs.load_balancers[0].path, "LoadBalancers[0]");
        assert_eq!(inputs.listeners[0].value.port, Some(443));
    }

    #[test]
    fn eventbridge_rules_are_not_listener_rules() {
        let events = serde_json::json!({"Rules": [{"Name": "nightly", "Arn": "arn:aws:events:r:1:rule/nightly", "ScheduleExpression": "cron(0 2 * * ? *)"}]});
        assert!(!is_rules(&events));
        let elb = serde_json::json!({"Rules": [{"RuleArn": "arn", "Priority": "default"}]});
        assert!(is_rules(&elb));
    }

    #[test]
    fn a_bad_entry_names_its_path() {
        let mut inputs = Inputs::default();
        read_bytes(
            "tgs.json",
            br#"{"TargetGroups":[{"TargetGroupArn":"a"},{"TargetGroupArn":"b","Port":"eighty"}]}"#,
            &mut inputs,
        );
        assert_eq!(inputs.target_groups.len(), 1);
        assert!(
            inputs.errors[0]
                .to_string()
                .contains("TargetGroups[1].Port")
        );
    }
}
