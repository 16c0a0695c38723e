//! ELBv2 for the target groups the services use: DescribeTargetGroups (by ARN, 20 per call) →
//! DescribeLoadBalancers (the groups' load balancers, 20 per call) → DescribeListeners (per load
//! balancer) → DescribeRules (per listener). Files in the shapes `aws elbv2 describe-*` prints.

use super::json::{canonical, render};
use super::mapped;
use super::{Failure, Unit, sdk_message};
use aws_sdk_elasticloadbalancingv2::Client;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

/// DescribeTargetGroups and DescribeLoadBalancers take at most 20 ARNs per call.
pub const ARNS_PER_CALL: usize = 20;

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// `app/<name>/<id>` → name; `targetgroup/<name>/<id>` → name.
fn short_name(arn: &str) -> &str {
    let mut parts = arn.rsplit('/');
    let _id = parts.next();
    parts.next().unwrap_or(arn)
}

pub async fn read(
    unit: &Unit,
    client: &Client,
    target_group_arns: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>, Failure> {
    let mut files = BTreeMap::new();
    if target_group_arns.is_empty() {
        return Ok(files);
    }
    let _permit = unit.permit().await;
    let arns: Vec<String> = target_group_arns.iter().cloned().collect();
    let mut groups = Vec::new();
    for batch in arns.chunks(ARNS_PER_CALL) {
        let mut pages = client
            .describe_target_groups()
            .set_target_group_arns(Some(batch.to_vec()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                unit.failure("elasticloadbalancing:DescribeTargetGroups", sdk_message(&e))
            })?;
            groups.extend(page.target_groups().iter().map(mapped::target_group));
        }
    }
    groups.sort_by(|a, b| str_of(a, "TargetGroupArn").cmp(str_of(b, "TargetGroupArn")));
    let lb_arns: BTreeSet<String> = groups
        .iter()
        .flat_map(|g| {
            g.get("LoadBalancerArns")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    files.insert(
        "elbv2/describe-target-groups.json".into(),
        render(&canonical(json!({ "TargetGroups": groups }))),
    );
    if lb_arns.is_empty() {
        return Ok(files);
    }

    let lb_arns: Vec<String> = lb_arns.into_iter().collect();
    let mut lbs = Vec::new();
    for batch in lb_arns.chunks(ARNS_PER_CALL) {
        let mut pages = client
            .describe_load_balancers()
            .set_load_balancer_arns(Some(batch.to_vec()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                unit.failure(
                    "elasticloadbalancing:DescribeLoadBalancers",
                    sdk_message(&e),
                )
            })?;
            lbs.extend(page.load_balancers().iter().map(mapped::load_balancer));
        }
    }
    lbs.sort_by(|a, b| str_of(a, "LoadBalancerArn").cmp(str_of(b, "LoadBalancerArn")));
    files.insert(
        "elbv2/describe-load-balancers.json".into(),
        render(&canonical(json!({ "LoadBalancers": lbs }))),
    );

    let mut listeners = Vec::new();
    for lb in &lb_arns {
        let mut pages = client
            .describe_listeners()
            .load_balancer_arn(lb)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                unit.failure(
                    "elasticloadbalancing:DescribeListeners",
                    format!("{}: {}", short_name(lb), sdk_message(&e)),
                )
            })?;
            listeners.extend(page.listeners().iter().map(mapped::listener));
        }
    }
    listeners.sort_by(|a, b| str_of(a, "ListenerArn").cmp(str_of(b, "ListenerArn")));
    for listener in &listeners {
        let arn = str_of(listener, "ListenerArn");
        let mut rules = Vec::new();
        let mut pages = client
            .describe_rules()
            .listener_arn(arn)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page
                .map_err(|e| unit.failure("elasticloadbalancing:DescribeRules", sdk_message(&e)))?;
            rules.extend(page.rules().iter().map(mapped::rule));
        }
        let lb_name = short_name(str_of(listener, "LoadBalancerArn"));
        let port = listener.get("Port").and_then(Value::as_i64).unwrap_or(0);
        let id = arn.rsplit('/').next().unwrap_or("");
        files.insert(
            format!(
                "elbv2/describe-rules-{}-{port}-{}.json",
                super::ecs::safe_name(lb_name),
                super::ecs::safe_name(id)
            ),
            render(&canonical(json!({ "Rules": rules }))),
        );
    }
    files.insert(
        "elbv2/describe-listeners.json".into(),
        render(&canonical(json!({ "Listeners": listeners }))),
    );
    Ok(files)
}
