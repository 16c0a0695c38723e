//! Application Auto Scaling and EventBridge for the services and clusters of a unit.
//!
//! Scaling: DescribeScalableTargets / DescribeScalingPolicies / DescribeScheduledActions for the
//! `ecs` namespace (one paginated call each per region, filtered to the services read: fewer calls
//! than one per service). EventBridge: ListRuleNamesByTarget per cluster (the rules that run tasks
//! in it) → DescribeRule + ListTargetsByRule per rule.

use super::json::{canonical, render};
use super::{Files, ImportError, Unit};
use aws_sdk_applicationautoscaling::types::ServiceNamespace;
use serde_json::{Value, json};
use std::collections::BTreeSet;

fn resource_id(v: &Value) -> &str {
    v.get("ResourceId").and_then(Value::as_str).unwrap_or("")
}

/// The items of a page that belong to `resource_ids`, timestamps as ISO 8601, by resource id.
fn of_services(items: &Value, resource_ids: &BTreeSet<String>) -> Vec<Value> {
    let mut items: Vec<Value> = items
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|v| resource_ids.contains(resource_id(v)))
        .map(|mut v| {
            super::json::epoch_to_iso(&mut v, &["CreationTime", "StartTime", "EndTime"]);
            v
        })
        .collect();
    items.sort_by(|a, b| resource_id(a).cmp(resource_id(b)));
    items
}

/// Every page of one of the three `ecs`-namespace Describe calls (they page alike, but the
/// SDK's fluent builders share no trait, hence a macro): the items of the unit's services.
macro_rules! all_pages {
    ($unit:expr, $client:expr, $resource_ids:expr, $op:literal, $call:ident, $key:literal) => {{
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request = $client
                .$call()
                .service_namespace(ServiceNamespace::Ecs)
                .set_next_token(token.take());
            let (page, body) = send_captured!(request, $unit.call($op));
            items.extend(of_services(&body[$key], $resource_ids));
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
        if !$unit.options.keep_volatile {
            for item in &mut items {
                super::json::strip(item, &["CreationTime"]);
            }
        }
        items
    }};
}

pub async fn read_scaling(
    unit: &Unit,
    client: &aws_sdk_applicationautoscaling::Client,
    resource_ids: &BTreeSet<String>,
) -> Result<Files, ImportError> {
    let mut files = Files::new();
    if resource_ids.is_empty() {
        return Ok(files);
    }
    let _permit = unit.permit().await;
    let targets = all_pages!(
        unit,
        client,
        resource_ids,
        "application-autoscaling:DescribeScalableTargets",
        describe_scalable_targets,
        "ScalableTargets"
    );
    // Policies and scheduled actions exist only for registered scalable targets.
    if targets.is_empty() {
        return Ok(files);
    }
    let policies = all_pages!(
        unit,
        client,
        resource_ids,
        "application-autoscaling:DescribeScalingPolicies",
        describe_scaling_policies,
        "ScalingPolicies"
    );
    let actions = all_pages!(
        unit,
        client,
        resource_ids,
        "application-autoscaling:DescribeScheduledActions",
        describe_scheduled_actions,
        "ScheduledActions"
    );
    for (file, key, items) in [
        ("describe-scalable-targets", "ScalableTargets", targets),
        ("describe-scaling-policies", "ScalingPolicies", policies),
        ("describe-scheduled-actions", "ScheduledActions", actions),
    ] {
        if !items.is_empty() {
            files.insert(
                format!("application-autoscaling/{file}.json"),
                render(&canonical(json!({ key: items }))),
            );
        }
    }
    Ok(files)
}

pub async fn read_events(
    unit: &Unit,
    client: &aws_sdk_eventbridge::Client,
    cluster_arns: &BTreeSet<String>,
) -> Result<Files, ImportError> {
    let mut files = Files::new();
    if cluster_arns.is_empty() {
        return Ok(files);
    }
    let _permit = unit.permit().await;
    let names = rule_names(unit, client, cluster_arns).await?;
    let mut rules = Vec::new();
    for name in &names {
        rules.push(describe_rule(unit, client, name).await?);
        let targets = rule_targets(unit, client, name).await?;
        // The CLI's output has no "Rule"; the file names it so that it stands alone.
        files.insert(
            format!(
                "events/list-targets-by-rule-{}.json",
                super::ecs::safe_name(name)
            ),
            render(&canonical(json!({ "Rule": name, "Targets": targets }))),
        );
    }
    if !rules.is_empty() {
        files.insert(
            "events/list-rules.json".into(),
            render(&canonical(json!({ "Rules": rules }))),
        );
    }
    Ok(files)
}

/// ListRuleNamesByTarget of every cluster, to the end: the rules that run tasks in them.
async fn rule_names(
    unit: &Unit,
    client: &aws_sdk_eventbridge::Client,
    cluster_arns: &BTreeSet<String>,
) -> Result<BTreeSet<String>, ImportError> {
    let mut names = BTreeSet::new();
    for cluster in cluster_arns {
        let mut token: Option<String> = None;
        loop {
            let page = client
                .list_rule_names_by_target()
                .target_arn(cluster)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| {
                    unit.call("events:ListRuleNamesByTarget")
                        .about(format!(
                            "cluster {}",
                            cluster.rsplit('/').next().unwrap_or(cluster)
                        ))
                        .failed(&e)
                })?;
            names.extend(page.rule_names().iter().cloned());
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
    }
    Ok(names)
}

/// DescribeRule, as the body was sent (without `CreatedBy`).
async fn describe_rule(
    unit: &Unit,
    client: &aws_sdk_eventbridge::Client,
    name: &str,
) -> Result<Value, ImportError> {
    let call = || {
        unit.call("events:DescribeRule")
            .about(format!("rule {name}"))
    };
    let (_, mut v) = send_captured!(client.describe_rule().name(name), call());
    super::json::strip(&mut v, &["CreatedBy"]);
    Ok(v)
}

/// ListTargetsByRule, to the end, as the bodies were sent.
async fn rule_targets(
    unit: &Unit,
    client: &aws_sdk_eventbridge::Client,
    name: &str,
) -> Result<Vec<Value>, ImportError> {
    let call = || {
        unit.call("events:ListTargetsByRule")
            .about(format!("rule {name}"))
    };
    let mut targets = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = client
            .list_targets_by_rule()
            .rule(name)
            .set_next_token(token.take());
        let (page, body) = send_captured!(request, call());
        targets.extend(body["Targets"].as_array().cloned().unwrap_or_default());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(targets)
}

/// EventBridge Scheduler: ListSchedules (all groups, to the last page) → GetSchedule for each
/// schedule whose target is one of the unit's clusters.
pub async fn read_schedules(
    unit: &Unit,
    client: &aws_sdk_scheduler::Client,
    cluster_arns: &BTreeSet<String>,
) -> Result<Files, ImportError> {
    let mut files = Files::new();
    if cluster_arns.is_empty() {
        return Ok(files);
    }
    let _permit = unit.permit().await;
    for (group, name) in schedules_of(unit, client, cluster_arns).await? {
        let call = || {
            unit.call("scheduler:GetSchedule")
                .about(format!("schedule {group}/{name}"))
        };
        let request = client.get_schedule().group_name(&group).name(&name);
        let (_, mut v) = send_captured!(request, call());
        super::json::epoch_to_iso(
            &mut v,
            &[
                "StartDate",
                "EndDate",
                "CreationDate",
                "LastModificationDate",
            ],
        );
        if !unit.options.keep_volatile {
            super::json::strip(&mut v, &["CreationDate", "LastModificationDate"]);
        }
        files.insert(
            format!(
                "scheduler/get-schedule-{}-{}.json",
                super::ecs::safe_name(&group),
                super::ecs::safe_name(&name)
            ),
            render(&canonical(v)),
        );
    }
    Ok(files)
}

/// ListSchedules, to the end: `(group, name)` of the schedules that target one of the clusters.
async fn schedules_of(
    unit: &Unit,
    client: &aws_sdk_scheduler::Client,
    cluster_arns: &BTreeSet<String>,
) -> Result<BTreeSet<(String, String)>, ImportError> {
    let mut wanted = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_schedules()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| unit.call("scheduler:ListSchedules").failed(&e))?;
        for s in page.schedules() {
            let target = s.target().map(|t| t.arn()).unwrap_or_default();
            if cluster_arns.contains(target)
                && let Some(name) = s.name()
            {
                wanted.insert((
                    s.group_name().unwrap_or("default").to_string(),
                    name.to_string(),
                ));
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(wanted)
}
