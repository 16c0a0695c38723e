//! Autoscaling: an Application Auto Scaling scalable target of an ECS service and its policies
//! become a `HorizontalPodAutoscaler` (autoscaling/v2).
//!
//! Only what an HPA expresses exactly is carried: min/max capacity, target tracking on the
//! service's average CPU or memory utilization (resource metrics at the same target), cooldowns
//! (stabilization windows) and disabled scale-in. Request-count targets, custom metrics, step
//! and scheduled scaling become findings naming what to use instead (KEDA or a custom metric).

use crate::diagnostics::{Code, Finding, Findings};
use crate::model::aws::{ScalableTarget, ScalingPolicy, TargetTracking};
use crate::model::ecs::Arn;
use crate::model::fields::join;
use crate::model::k8s::{Object, ObjectMeta, PodSpec};
use crate::model::read::{Inputs, Sourced};
use serde_json::{Value, json};

/// Where the service runs, to find its scalable target: `service/<cluster>/<service>`.
pub struct Target<'a> {
    pub cluster: &'a str,
    pub service: &'a str,
    pub account: &'a str,
}

/// HPA limits stabilization windows to one hour.
const MAX_WINDOW: i64 = 3600;

/// What the policies an HPA expresses (CPU or memory target tracking) add up to.
#[derive(Default)]
struct Tracking<'p> {
    /// One resource metric per policy.
    metrics: Vec<Value>,
    /// The longest scale-out and scale-in cooldowns: the stabilization windows.
    scale_up_window: Option<i64>,
    scale_down_window: Option<i64>,
    /// Each carried policy, and whether it disables scale-in.
    disable_scale_in: Vec<(bool, &'p Sourced<ScalingPolicy>)>,
}

/// The HPA of the service's Deployment `deployment`, or None when the service has no scalable
/// target or no policy an HPA can express (then the Deployment keeps its replicas).
pub fn hpa(
    inputs: &Inputs,
    target: &Target<'_>,
    meta: ObjectMeta,
    deployment: &str,
    pod: &PodSpec,
    findings: &mut Findings,
) -> Option<Object> {
    let scalable = inputs
        .scalable_targets
        .iter()
        .find(|t| is_for(t.value.resource_id.as_deref(), target_arn(&t.value), target))?;
    let resource_id = scalable.value.resource_id.as_deref().unwrap_or("");
    let policies: Vec<&Sourced<ScalingPolicy>> = inputs
        .scaling_policies
        .iter()
        .filter(|p| {
            p.value.resource_id.as_deref() == Some(resource_id)
                && account_matches(p.value.policy_arn.as_deref(), target.account)
        })
        .collect();
    let tracking = tracking(&policies, pod, findings);
    scheduled_actions(inputs, resource_id, findings);
    if tracking.metrics.is_empty() {
        push_at(
            findings,
            &scalable.input,
            Code::AutoscalingNotCarried,
            &scalable.path,
            format!(
                "scalable target {resource_id} has {} polic{} and none is CPU or memory target tracking",
                policies.len(),
                if policies.len() == 1 { "y" } else { "ies" }
            ),
        );
        return None;
    }
    let (min, max) = replicas(scalable, findings);
    let behavior = behavior(&scalable.value, &tracking, findings);
    let mut spec = serde_json::Map::new();
    spec.insert(
        "scaleTargetRef".into(),
        json!({ "apiVersion": "apps/v1", "kind": "Deployment", "name": deployment }),
    );
    spec.insert("minReplicas".into(), json!(min));
    spec.insert("maxReplicas".into(), json!(max));
    spec.insert("metrics".into(), Value::Array(tracking.metrics.clone()));
    if !behavior.is_empty() {
        spec.insert("behavior".into(), Value::Object(behavior));
    }
    let metrics = tracking.metrics.len();
    push_at(
        findings,
        &scalable.input,
        Code::Autoscaled,
        &scalable.path,
        format!(
            "scalable target {resource_id} became HPA {deployment} ({min}-{max} replicas, {metrics} metric{})",
            if metrics == 1 { "" } else { "s" }
        ),
    );
    Some(Object::new(
        "autoscaling/v2",
        "HorizontalPodAutoscaler",
        meta,
        json!({ "spec": spec }),
    ))
}

fn policy_name(p: &ScalingPolicy) -> &str {
    p.policy_name.as_deref().unwrap_or("(unnamed)")
}

/// The target tracking policies an HPA expresses; the others become findings.
fn tracking<'p>(
    policies: &[&'p Sourced<ScalingPolicy>],
    pod: &PodSpec,
    findings: &mut Findings,
) -> Tracking<'p> {
    let mut tracking = Tracking::default();
    for &p in policies {
        let name = policy_name(&p.value);
        let kind = p.value.policy_type.as_deref().unwrap_or("");
        match (
            kind,
            p.value
                .target_tracking_scaling_policy_configuration
                .as_ref(),
        ) {
            ("TargetTrackingScaling", Some(tt)) => tracking.add(p, tt, pod, findings),
            ("StepScaling", _) => push_at(
                findings,
                &p.input,
                Code::StepScaling,
                join(&p.path, "StepScalingPolicyConfiguration"),
                format!("step scaling policy {name} was not carried"),
            ),
            (other, _) => push_at(
                findings,
                &p.input,
                Code::AutoscalingMetric,
                join(&p.path, "PolicyType"),
                format!(
                    "{} policy {name} was not carried",
                    if other.is_empty() { "untyped" } else { other }
                ),
            ),
        }
    }
    tracking
}

impl<'p> Tracking<'p> {
    /// Target tracking policy `p` (configured by `tt`): a resource metric when it tracks the
    /// service's average CPU or memory, else a finding naming what to use instead.
    fn add(
        &mut self,
        p: &'p Sourced<ScalingPolicy>,
        tt: &TargetTracking,
        pod: &PodSpec,
        findings: &mut Findings,
    ) {
        let name = policy_name(&p.value);
        let at = join(&p.path, "TargetTrackingScalingPolicyConfiguration");
        let predefined = tt
            .predefined_metric_specification
            .as_ref()
            .and_then(|m| m.predefined_metric_type.as_deref());
        let resource = match predefined {
            Some("ECSServiceAverageCPUUtilization") => Some("cpu"),
            Some("ECSServiceAverageMemoryUtilization") => Some("memory"),
            _ => None,
        };
        let (Some(resource), Some(value)) = (resource, tt.target_value) else {
            let what = untracked_metric(predefined, tt);
            push_at(
                findings,
                &p.input,
                Code::AutoscalingMetric,
                at,
                format!("target tracking policy {name} scales on {what}; not carried"),
            );
            return;
        };
        self.metrics.push(json!({
            "type": "Resource",
            "resource": {
                "name": resource,
                "target": { "type": "Utilization", "averageUtilization": value.round() as i64 },
            },
        }));
        if let Some(c) = tt.scale_out_cooldown {
            self.scale_up_window = Some(self.scale_up_window.unwrap_or(0).max(c));
        }
        if let Some(c) = tt.scale_in_cooldown {
            self.scale_down_window = Some(self.scale_down_window.unwrap_or(0).max(c));
        }
        self.disable_scale_in
            .push((tt.disable_scale_in == Some(true), p));
        check_requests(pod, resource, &p.input, &at, name, findings);
    }
}

/// What a target tracking policy an HPA does not express scales on, and what to use instead.
fn untracked_metric(predefined: Option<&str>, tt: &TargetTracking) -> String {
    match predefined {
        Some("ALBRequestCountPerTarget") => format!(
            "ALBRequestCountPerTarget at {} requests per target: use KEDA's aws-cloudwatch scaler on the target group's RequestCountPerTarget, or an Ingress request-rate metric through a metrics adapter",
            number(tt.target_value.unwrap_or(0.0))
        ),
        Some(other) => format!("predefined metric {other}"),
        None => {
            "a customized CloudWatch metric: use KEDA's aws-cloudwatch scaler on the same metric"
                .to_string()
        }
    }
}

/// Scheduled actions of the scalable target `resource_id`: reported, not carried.
fn scheduled_actions(inputs: &Inputs, resource_id: &str, findings: &mut Findings) {
    for a in inputs
        .scheduled_actions
        .iter()
        .filter(|a| a.value.resource_id.as_deref() == Some(resource_id))
    {
        push_at(
            findings,
            &a.input,
            Code::ScheduledScaling,
            join(&a.path, "Schedule"),
            format!(
                "scheduled action {} ({}) was not carried",
                a.value
                    .scheduled_action_name
                    .as_deref()
                    .unwrap_or("(unnamed)"),
                a.value.schedule.as_deref().unwrap_or("")
            ),
        );
    }
}

/// `(minReplicas, maxReplicas)`: the scalable target's capacity, at least 1 and min ≤ max.
fn replicas(scalable: &Sourced<ScalableTarget>, findings: &mut Findings) -> (i64, i64) {
    let st = &scalable.value;
    let mut max = st.max_capacity.unwrap_or(1);
    let mut min = st.min_capacity.unwrap_or(1);
    if min < 1 {
        push_at(
            findings,
            &scalable.input,
            Code::AutoscalingCapacity,
            join(&scalable.path, "MinCapacity"),
            format!("MinCapacity {min} became minReplicas 1"),
        );
        min = 1;
    }
    if max < min {
        push_at(
            findings,
            &scalable.input,
            Code::AutoscalingCapacity,
            join(&scalable.path, "MaxCapacity"),
            format!("MaxCapacity {max} is below the minimum; maxReplicas became {min}"),
        );
        max = min;
    }
    (min, max)
}

/// `spec.behavior`: cooldowns as stabilization windows; a direction suspended on the scalable
/// target, or scale-in disabled by every policy, is disabled. Scale-in disabled by some policies
/// only is reported: an HPA cannot disable it per metric.
fn behavior(
    st: &ScalableTarget,
    tracking: &Tracking<'_>,
    findings: &mut Findings,
) -> serde_json::Map<String, Value> {
    let suspended = st.suspended_state.as_ref();
    let out_suspended = suspended.and_then(|s| s.dynamic_scaling_out_suspended) == Some(true);
    let in_suspended = suspended.and_then(|s| s.dynamic_scaling_in_suspended) == Some(true);
    let all_disable = tracking.disable_scale_in.iter().all(|(d, _)| *d);
    if !all_disable {
        for (_, p) in tracking.disable_scale_in.iter().filter(|(d, _)| *d) {
            push_at(
                findings,
                &p.input,
                Code::ScaleInPerMetric,
                join(
                    &p.path,
                    "TargetTrackingScalingPolicyConfiguration.DisableScaleIn",
                ),
                format!(
                    "policy {} disables scale-in, but other policies scale in",
                    policy_name(&p.value)
                ),
            );
        }
    }
    let mut behavior = serde_json::Map::new();
    if let Some(up) = scaling_rules(tracking.scale_up_window, out_suspended) {
        behavior.insert("scaleUp".into(), up);
    }
    if let Some(down) = scaling_rules(tracking.scale_down_window, in_suspended || all_disable) {
        behavior.insert("scaleDown".into(), down);
    }
    behavior
}

/// The HPA scaling rules of one direction, or None when they would be empty.
fn scaling_rules(window: Option<i64>, disabled: bool) -> Option<Value> {
    let mut r = serde_json::Map::new();
    if disabled {
        r.insert("selectPolicy".into(), json!("Disabled"));
    } else if let Some(w) = window {
        r.insert(
            "stabilizationWindowSeconds".into(),
            json!(w.clamp(0, MAX_WINDOW)),
        );
    }
    (!r.is_empty()).then_some(Value::Object(r))
}

/// The account of a scalable target, from its ARN when the output has one.
fn target_arn(t: &ScalableTarget) -> Option<&str> {
    t.scalable_target_arn.as_deref()
}

fn is_for(resource_id: Option<&str>, arn: Option<&str>, target: &Target<'_>) -> bool {
    let Some(rest) = resource_id.and_then(|r| r.strip_prefix("service/")) else {
        return false;
    };
    let (cluster, service) = match rest.split_once('/') {
        Some((c, s)) => (c, s),
        None => ("default", rest),
    };
    service == target.service
        && (target.cluster.is_empty() || cluster == target.cluster)
        && account_matches(arn, target.account)
}

/// True unless both accounts are known and differ.
fn account_matches(arn: Option<&str>, account: &str) -> bool {
    match arn.and_then(Arn::parse).map(|a| a.account) {
        Some(a) if !a.is_empty() && !account.is_empty() => a == account,
        _ => true,
    }
}

/// Every container whose usage counts (regular containers and native sidecars) needs a request.
fn check_requests(
    pod: &PodSpec,
    resource: &str,
    input: &str,
    at: &str,
    policy: &str,
    findings: &mut Findings,
) {
    let missing: Vec<&str> = pod
        .containers
        .iter()
        .chain(
            pod.init_containers
                .iter()
                .filter(|c| c.restart_policy == Some("Always")),
        )
        .filter(|c| !c.resources.requests.contains_key(resource))
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        push_at(
            findings,
            input,
            Code::AutoscalingRequests,
            at,
            format!(
                "policy {policy} targets {resource} utilization, but container(s) {} request no {resource}",
                missing.join(", ")
            ),
        );
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A finding about a field of another input file than the one being translated.
pub fn push_at(
    findings: &mut Findings,
    input: &str,
    code: Code,
    field: impl Into<String>,
    message: impl Into<String>,
) {
    let mut f = Finding::new(code, field, message);
    f.input = input.to_string();
    findings.add(f);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::Container;
    use serde_json::json;

    fn inputs(policies: Value, min: i64) -> Inputs {
        let mut inputs = Inputs::default();
        let targets = json!({"ScalableTargets": [{
            "ServiceNamespace": "ecs", "ResourceId": "service/c/web",
            "ScalableDimension": "ecs:service:DesiredCount", "MinCapacity": min, "MaxCapacity": 10,
            "ScalableTargetARN": "arn:aws:application-autoscaling:eu-west-1:111111111111:scalable-target/x"}]});
        crate::fixtures::read_into(&mut inputs, &[("t.json", &targets.to_string())]);
        let policies = json!({ "ScalingPolicies": policies });
        crate::fixtures::read_into(&mut inputs, &[("p.json", &policies.to_string())]);
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
        inputs
    }

    fn tt(name: &str, metric: &str, target: f64, disable: bool) -> Value {
        json!({"PolicyName": name, "ServiceNamespace": "ecs", "ResourceId": "service/c/web",
            "PolicyType": "TargetTrackingScaling",
            "TargetTrackingScalingPolicyConfiguration": {"TargetValue": target,
                "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
                "ScaleOutCooldown": 60, "ScaleInCooldown": 300, "DisableScaleIn": disable}})
    }

    fn pod(requests: &[&str]) -> PodSpec {
        let mut c = Container {
            name: "web".into(),
            ..Container::default()
        };
        for r in requests {
            c.resources.requests.insert(r.to_string(), "1".into());
        }
        PodSpec {
            containers: vec![c],
            ..PodSpec::default()
        }
    }

    fn run(inputs: &Inputs, account: &str, pod: &PodSpec) -> (Option<Value>, Vec<Finding>) {
        let mut findings = Findings::default();
        let target = Target {
            cluster: "c",
            service: "web",
            account,
        };
        let meta = ObjectMeta {
            name: "web".into(),
            ..ObjectMeta::default()
        };
        let hpa = hpa(inputs, &target, meta, "web", pod, &mut findings);
        (hpa.map(|o| o.to_json()), findings.list)
    }

    fn codes(f: &[Finding]) -> Vec<&str> {
        f.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn target_tracking_becomes_resource_metrics_and_behavior() {
        let i = inputs(
            json!([
                tt("cpu", "ECSServiceAverageCPUUtilization", 60.0, false),
                tt("mem", "ECSServiceAverageMemoryUtilization", 75.0, false)
            ]),
            2,
        );
        let (hpa, f) = run(&i, "111111111111", &pod(&["cpu", "memory"]));
        let hpa = hpa.unwrap();
        assert_eq!(hpa["apiVersion"], "autoscaling/v2");
        let spec = &hpa["spec"];
        assert_eq!(spec["minReplicas"], 2);
        assert_eq!(spec["maxReplicas"], 10);
        assert_eq!(spec["scaleTargetRef"]["kind"], "Deployment");
        assert_eq!(spec["metrics"][0]["resource"]["name"], "cpu");
        assert_eq!(
            spec["metrics"][0]["resource"]["target"]["averageUtilization"],
            60
        );
        assert_eq!(spec["metrics"][1]["resource"]["name"], "memory");
        assert_eq!(
            spec["behavior"]["scaleUp"]["stabilizationWindowSeconds"],
            60
        );
        assert_eq!(
            spec["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
            300
        );
        assert_eq!(codes(&f), vec!["E2K550"]);
    }

    #[test]
    fn table_of_policies_that_are_reported() {
        let step = json!({"PolicyName": "s", "ServiceNamespace": "ecs", "ResourceId": "service/c/web",
            "PolicyType": "StepScaling", "StepScalingPolicyConfiguration": {"AdjustmentType": "ChangeInCapacity"}});
        let cases: Vec<(Value, &str)> = vec![
            (tt("alb", "ALBRequestCountPerTarget", 400.0, true), "E2K551"),
            (step, "E2K552"),
        ];
        for (policy, code) in cases {
            let i = inputs(
                json!([
                    tt("cpu", "ECSServiceAverageCPUUtilization", 60.0, false),
                    policy.clone()
                ]),
                2,
            );
            let (hpa, f) = run(&i, "", &pod(&["cpu"]));
            assert!(hpa.is_some());
            assert!(codes(&f).contains(&code), "{policy}: {f:?}");
            // Alone, nothing is carried and the Deployment keeps replicas.
            let i = inputs(json!([policy]), 2);
            let (hpa, f) = run(&i, "", &pod(&["cpu"]));
            assert!(hpa.is_none());
            assert!(codes(&f).contains(&"E2K555"));
        }
    }

    #[test]
    fn disable_scale_in_everywhere_disables_scale_down() {
        let i = inputs(
            json!([tt("cpu", "ECSServiceAverageCPUUtilization", 50.0, true)]),
            0,
        );
        let (hpa, f) = run(&i, "", &pod(&[]));
        let spec = &hpa.unwrap()["spec"];
        assert_eq!(
            spec["behavior"]["scaleDown"],
            json!({"selectPolicy": "Disabled"})
        );
        assert_eq!(spec["minReplicas"], 1);
        let c = codes(&f);
        assert!(c.contains(&"E2K554") && c.contains(&"E2K557"), "{c:?}");
    }

    #[test]
    fn partial_disable_scale_in_is_reported() {
        let i = inputs(
            json!([
                tt("cpu", "ECSServiceAverageCPUUtilization", 50.0, true),
                tt("mem", "ECSServiceAverageMemoryUtilization", 50.0, false)
            ]),
            1,
        );
        let (hpa, f) = run(&i, "", &pod(&["cpu", "memory"]));
        assert_eq!(
            hpa.unwrap()["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"],
            300
        );
        assert!(codes(&f).contains(&"E2K556"));
    }

    #[test]
    fn other_accounts_and_services_do_not_match() {
        let i = inputs(
            json!([tt("cpu", "ECSServiceAverageCPUUtilization", 60.0, false)]),
            2,
        );
        assert!(run(&i, "222222222222", &pod(&["cpu"])).0.is_none());
        let mut findings = Findings::default();
        let target = Target {
            cluster: "other",
            service: "web",
            account: "",
        };
        assert!(
            hpa(
                &i,
                &target,
                ObjectMeta::default(),
                "web",
                &pod(&["cpu"]),
                &mut findings
            )
            .is_none()
        );
    }
}
