//! The AWS side beyond ECS: Application Auto Scaling, EventBridge rules and targets, and
//! EventBridge Scheduler schedules, as the AWS CLI spells them (PascalCase).
//!
//! Lenient like `model::ecs`: unknown fields are ignored, nulls mean "not set".

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// `aws application-autoscaling describe-scalable-targets`: `ScalableTargets[]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalableTarget {
    #[serde(default)]
    pub service_namespace: Option<String>,
    /// `service/<cluster>/<service>` for ECS.
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub scalable_dimension: Option<String>,
    #[serde(default)]
    pub min_capacity: Option<i64>,
    #[serde(default)]
    pub max_capacity: Option<i64>,
    #[serde(default)]
    pub suspended_state: Option<SuspendedState>,
    #[serde(default, rename = "ScalableTargetARN")]
    pub scalable_target_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SuspendedState {
    #[serde(default)]
    pub dynamic_scaling_in_suspended: Option<bool>,
    #[serde(default)]
    pub dynamic_scaling_out_suspended: Option<bool>,
    #[serde(default)]
    pub scheduled_scaling_suspended: Option<bool>,
}

/// `aws application-autoscaling describe-scaling-policies`: `ScalingPolicies[]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalingPolicy {
    #[serde(default)]
    pub policy_name: Option<String>,
    #[serde(default, rename = "PolicyARN")]
    pub policy_arn: Option<String>,
    #[serde(default)]
    pub service_namespace: Option<String>,
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub scalable_dimension: Option<String>,
    /// `TargetTrackingScaling`, `StepScaling` or `PredictiveScaling`.
    #[serde(default)]
    pub policy_type: Option<String>,
    #[serde(default)]
    pub target_tracking_scaling_policy_configuration: Option<TargetTracking>,
    #[serde(default)]
    pub step_scaling_policy_configuration: Option<Value>,
    #[serde(default)]
    pub predictive_scaling_policy_configuration: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetTracking {
    #[serde(default)]
    pub target_value: Option<f64>,
    #[serde(default)]
    pub predefined_metric_specification: Option<PredefinedMetric>,
    #[serde(default)]
    pub customized_metric_specification: Option<Value>,
    #[serde(default)]
    pub scale_out_cooldown: Option<i64>,
    #[serde(default)]
    pub scale_in_cooldown: Option<i64>,
    #[serde(default)]
    pub disable_scale_in: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PredefinedMetric {
    #[serde(default)]
    pub predefined_metric_type: Option<String>,
    #[serde(default)]
    pub resource_label: Option<String>,
}

/// `aws application-autoscaling describe-scheduled-actions`: `ScheduledActions[]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduledAction {
    #[serde(default)]
    pub scheduled_action_name: Option<String>,
    #[serde(default)]
    pub service_namespace: Option<String>,
    #[serde(default)]
    pub resource_id: Option<String>,
    #[serde(default)]
    pub schedule: Option<String>,
    #[serde(default)]
    pub timezone: Option<String>,
    #[serde(default)]
    pub scalable_target_action: Option<Value>,
}

/// `aws events list-rules`: `Rules[]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventRule {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub schedule_expression: Option<String>,
    #[serde(default)]
    pub event_pattern: Option<String>,
    #[serde(default)]
    pub event_bus_name: Option<String>,
}

/// `aws events list-targets-by-rule`, wrapped as `{"Rule": "<name>", "Targets": [...]}` because
/// the CLI output does not name its rule.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleTargets {
    #[serde(default)]
    pub rule: Option<String>,
    #[serde(default)]
    pub event_bus_name: Option<String>,
    #[serde(default)]
    pub targets: Vec<EventTarget>,
}

/// One target of a rule, or the `Target` of a Scheduler schedule (same field names).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EventTarget {
    #[serde(default)]
    pub id: Option<String>,
    /// The ECS cluster ARN for ECS targets.
    #[serde(default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub role_arn: Option<String>,
    /// RunTask overrides as a JSON string (`{"containerOverrides": [...]}`).
    #[serde(default)]
    pub input: Option<String>,
    #[serde(default)]
    pub ecs_parameters: Option<EcsParameters>,
    #[serde(default)]
    pub retry_policy: Option<Value>,
    #[serde(default)]
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
#[serde(rename_all = "PascalCase")]
pub struct Schedule {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub arn: Option<String>,
    #[serde(default)]
    pub group_name: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub schedule_expression: Option<String>,
    #[serde(default)]
    pub schedule_expression_timezone: Option<String>,
    #[serde(default)]
    pub flexible_time_window: Option<FlexibleTimeWindow>,
    #[serde(default)]
    pub start_date: Option<String>,
    #[serde(default)]
    pub end_date: Option<String>,
    #[serde(default)]
    pub target: Option<EventTarget>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlexibleTimeWindow {
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub maximum_window_in_minutes: Option<i64>,
}
