//! Application Auto Scaling and EventBridge for the services and clusters of a unit.
//!
//! Scaling: DescribeScalableTargets / DescribeScalingPolicies / DescribeScheduledActions for the
//! `ecs` namespace (one paginated call each per region, filtered to the services read: fewer calls
//! than one per service). EventBridge: ListRuleNamesByTarget per cluster (the rules that run tasks
//! in it) → DescribeRule + ListTargetsByRule per rule.

use super::calls::BodyCapture;
use super::json::{canonical, render};
use super::{Failure, Unit, sdk_message};
use aws_sdk_applicationautoscaling::types::ServiceNamespace;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

fn resource_id(v: &Value) -> &str {
    v.get("ResourceId").and_then(Value::as_str).unwrap_or("")
}

pub async fn read_scaling(
    unit: &Unit,
    client: &aws_sdk_applicationautoscaling::Client,
    resource_ids: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>, Failure> {
    let mut files = BTreeMap::new();
    if resource_ids.is_empty() {
        return Ok(files);
    }
    let _permit = unit.permit().await;
    let keep = |items: Value| -> Vec<Value> {
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
    };

    // The three calls page alike; the SDK's fluent builders share no trait, hence a macro.
    macro_rules! all_pages {
        ($op:literal, $call:ident, $key:literal) => {{
            let mut items = Vec::new();
            let mut token: Option<String> = None;
            loop {
                let capture = BodyCapture::default();
                let page = client
                    .$call()
                    .service_namespace(ServiceNamespace::Ecs)
                    .set_next_token(token.take())
                    .customize()
                    .interceptor(capture.clone())
                    .send()
                    .await
                    .map_err(|e| unit.failure($op, sdk_message(&e)))?;
                let body = capture.json().map_err(|e| unit.failure($op, e))?;
                items.extend(keep(body[$key].clone()));
                match page.next_token() {
                    Some(t) if !t.is_empty() => token = Some(t.to_string()),
                    _ => break,
                }
            }
            if !unit.options.keep_volatile {
                for item in &mut items {
                    super::json::strip(item, &["CreationTime"]);
                }
            }
            items
        }};
    }

    let targets = all_pages!(
        "application-autoscaling:DescribeScalableTargets",
        describe_scalable_targets,
        "ScalableTargets"
    );
    // Policies and scheduled actions exist only for registered scalable targets.
    if targets.is_empty() {
        return Ok(files);
    }
    let policies = all_pages!(
        "application-autoscaling:DescribeScalingPolicies",
        describe_scaling_policies,
        "ScalingPolicies"
    );
    let actions = all_pages!(
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
) -> Result<BTreeMap<String, String>, Failure> {
    let mut files = BTreeMap::new();
    if cluster_arns.is_empty() {
        return Ok(files);
    }
    let _permit = unit.permit().await;
    let mut names = BTreeSet::new();
    let op = "events:ListRuleNamesByTarget";
    for cluster in cluster_arns {
        let mut token: Option<String> = None;
        loop {
            let page = client
                .list_rule_names_by_target()
                .target_arn(cluster)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(|e| unit.failure(op, sdk_message(&e)))?;
            names.extend(page.rule_names().iter().cloned());
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
    }
    let mut rules = Vec::new();
    for name in &names {
        let capture = BodyCapture::default();
        client
            .describe_rule()
            .name(name)
            .customize()
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(|e| {
                unit.failure(
                    "events:DescribeRule",
                    format!("{name}: {}", sdk_message(&e)),
                )
            })?;
        let mut v = capture
            .json()
            .map_err(|e| unit.failure("events:DescribeRule", e))?;
        super::json::strip(&mut v, &["CreatedBy"]);
        rules.push(v);

        let op = "events:ListTargetsByRule";
        let mut targets = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let capture = BodyCapture::default();
            let page = client
                .list_targets_by_rule()
                .rule(name)
                .set_next_token(token.take())
                .customize()
                .interceptor(capture.clone())
                .send()
                .await
                .map_err(|e| unit.failure(op, format!("{name}: {}", sdk_message(&e))))?;
            let body = capture.json().map_err(|e| unit.failure(op, e))?;
            targets.extend(body["Targets"].as_array().cloned().unwrap_or_default());
            match page.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_string()),
                _ => break,
            }
        }
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

/// EventBridge Scheduler: ListSchedules (all groups, to the last page) → GetSchedule for each
/// schedule whose target is one of the unit's clusters.
pub async fn read_schedules(
    unit: &Unit,
    client: &aws_sdk_scheduler::Client,
    cluster_arns: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>, Failure> {
    let mut files = BTreeMap::new();
    if cluster_arns.is_empty() {
        return Ok(files);
    }
    let _permit = unit.permit().await;
    let op = "scheduler:ListSchedules";
    let mut wanted = BTreeSet::new();
    let mut token: Option<String> = None;
    loop {
        let page = client
            .list_schedules()
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| unit.failure(op, sdk_message(&e)))?;
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
    let op = "scheduler:GetSchedule";
    for (group, name) in wanted {
        let capture = BodyCapture::default();
        client
            .get_schedule()
            .group_name(&group)
            .name(&name)
            .customize()
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(|e| unit.failure(op, format!("{group}/{name}: {}", sdk_message(&e))))?;
        let mut v = capture.json().map_err(|e| unit.failure(op, e))?;
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
