//! The AWS side beyond ECS: Application Auto Scaling, EventBridge rules and targets,
//! EventBridge Scheduler schedules, Cloud Map namespaces and services and EC2 security groups, as
//! the AWS CLI spells them (PascalCase).
//!
//! Lenient like `model::ecs`: unknown fields are ignored, nulls mean "not set".

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// `aws application-autoscaling describe-scalable-targets`: `ScalableTargets[]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ScalableTarget {
    pub service_namespace: Option<String>,
    /// `service/<cluster>/<service>` for ECS.
    pub resource_id: Option<String>,
    pub scalable_dimension: Option<String>,
    pub min_capacity: Option<i64>,
    pub max_capacity: Option<i64>,
    pub suspended_state: Option<SuspendedState>,
    #[serde(rename = "ScalableTargetARN")]
    pub scalable_target_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SuspendedState {
    pub dynamic_scaling_in_suspended: Option<bool>,
    pub dynamic_scaling_out_suspended: Option<bool>,
    pub scheduled_scaling_suspended: Option<bool>,
}

/// `aws application-autoscaling describe-scaling-policies`: `ScalingPolicies[]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ScalingPolicy {
    pub policy_name: Option<String>,
    #[serde(rename = "PolicyARN")]
    pub policy_arn: Option<String>,
    pub service_namespace: Option<String>,
    pub resource_id: Option<String>,
    pub scalable_dimension: Option<String>,
    /// `TargetTrackingScaling`, `StepScaling` or `PredictiveScaling`.
    pub policy_type: Option<String>,
    pub target_tracking_scaling_policy_configuration: Option<TargetTracking>,
    pub step_scaling_policy_configuration: Option<Value>,
    pub predictive_scaling_policy_configuration: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TargetTracking {
    pub target_value: Option<f64>,
    pub predefined_metric_specification: Option<PredefinedMetric>,
    pub customized_metric_specification: Option<Value>,
    pub scale_out_cooldown: Option<i64>,
    pub scale_in_cooldown: Option<i64>,
    pub disable_scale_in: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PredefinedMetric {
    pub predefined_metric_type: Option<String>,
    pub resource_label: Option<String>,
}

/// `aws application-autoscaling describe-scheduled-actions`: `ScheduledActions[]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ScheduledAction {
    pub scheduled_action_name: Option<String>,
    pub service_namespace: Option<String>,
    pub resource_id: Option<String>,
    pub schedule: Option<String>,
    pub timezone: Option<String>,
    pub scalable_target_action: Option<Value>,
}

/// `aws events list-rules`: `Rules[]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct EventRule {
    pub name: Option<String>,
    pub arn: Option<String>,
    pub state: Option<String>,
    pub description: Option<String>,
    pub schedule_expression: Option<String>,
    pub event_pattern: Option<String>,
    pub event_bus_name: Option<String>,
}

/// `aws events list-targets-by-rule`, wrapped as `{"Rule": "<name>", "Targets": [...]}` because
/// the CLI output does not name its rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct RuleTargets {
    pub rule: Option<String>,
    pub event_bus_name: Option<String>,
    pub targets: Vec<EventTarget>,
}

/// One target of a rule, or the `Target` of a Scheduler schedule (same field names).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct EventTarget {
    pub id: Option<String>,
    /// The ECS cluster ARN for ECS targets.
    pub arn: Option<String>,
    pub role_arn: Option<String>,
    /// RunTask overrides as a JSON string (`{"containerOverrides": [...]}`).
    pub input: Option<String>,
    pub ecs_parameters: Option<EcsParameters>,
    pub retry_policy: Option<Value>,
    pub dead_letter_config: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EcsParameters {
    #[serde(default)]
    pub task_definition_arn: Option<String>,
    #[serde(default)]
    pub task_count: Option<i64>,
    #[serde(default)]
    pub launch_type: Option<String>,
    /// The other RunTask parameters (network, launch type, capacity providers, tags…), which a
    /// job does not carry; kept by name for the finding that says so.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

/// `aws scheduler get-schedule`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Schedule {
    pub name: Option<String>,
    pub arn: Option<String>,
    pub group_name: Option<String>,
    pub state: Option<String>,
    pub schedule_expression: Option<String>,
    pub schedule_expression_timezone: Option<String>,
    pub flexible_time_window: Option<FlexibleTimeWindow>,
    pub start_date: Option<String>,
    pub end_date: Option<String>,
    pub target: Option<EventTarget>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct FlexibleTimeWindow {
    pub mode: Option<String>,
    pub maximum_window_in_minutes: Option<i64>,
}

/// `aws servicediscovery list-namespaces`: `Namespaces[]`. Names the namespaces Service Connect
/// configurations and Cloud Map services give by id or ARN.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct CloudMapNamespace {
    pub id: Option<String>,
    pub arn: Option<String>,
    /// The DNS domain of a DNS namespace (`shop-prod.internal`), or an HTTP namespace's name.
    pub name: Option<String>,
    /// `DNS_PRIVATE`, `DNS_PUBLIC` or `HTTP`.
    #[serde(rename = "Type")]
    pub kind: Option<String>,
}

impl CloudMapNamespace {
    /// Its services have DNS names (`<service>.<namespace>`); an HTTP namespace's are found
    /// through the DiscoverInstances API only.
    pub fn is_dns(&self) -> bool {
        self.kind.as_deref().is_none_or(|k| k.starts_with("DNS"))
    }
}

/// `aws servicediscovery list-services`: `Services[]` (also `get-service`'s `Service`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct CloudMapService {
    pub id: Option<String>,
    pub arn: Option<String>,
    pub name: Option<String>,
    /// `get-service` (and `ecs2eks import`) name the namespace here; `list-services` only in
    /// `DnsConfig`.
    pub namespace_id: Option<String>,
    pub dns_config: Option<CloudMapDnsConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct CloudMapDnsConfig {
    pub namespace_id: Option<String>,
}

impl CloudMapService {
    /// The id of its namespace, where the input says it.
    pub fn namespace(&self) -> Option<&str> {
        let from_dns = self
            .dns_config
            .as_ref()
            .and_then(|d| d.namespace_id.as_deref());
        self.namespace_id.as_deref().or(from_dns)
    }
}

/// `aws ec2 describe-security-groups`: `SecurityGroups[]`. Read for each group's VPC: a
/// SecurityGroupPolicy can attach only groups of the cluster's VPC.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SecurityGroup {
    pub group_id: Option<String>,
    pub group_name: Option<String>,
    pub vpc_id: Option<String>,
    pub owner_id: Option<String>,
}
