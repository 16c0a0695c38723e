//! ELBv2 for the target groups the services use: DescribeTargetGroups (by ARN, 20 per call) →
//! DescribeLoadBalancers (the groups' load balancers, 20 per call) → DescribeListeners (per load
//! balancer) → DescribeRules (per listener). Files in the shapes `aws elbv2 describe-*` prints.

use super::json::{canonical, render};
use super::mapped;
use super::{Files, ImportError, Unit};
use aws_sdk_elasticloadbalancingv2::Client;
use serde_json::{Value, json};
use std::collections::BTreeSet;

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
) -> Result<Files, ImportError> {
    let mut files = Files::new();
    if target_group_arns.is_empty() {
        return Ok(files);
    }
    let _permit = unit.permit().await;
    let groups = target_groups(unit, client, target_group_arns).await?;
    let lb_arns: Vec<String> = groups
        .iter()
        .flat_map(|g| {
            g.get("LoadBalancerArns")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    files.insert(
        "elbv2/describe-target-groups.json".into(),
        render(&canonical(json!({ "TargetGroups": groups }))),
    );
    if lb_arns.is_empty() {
        return Ok(files);
    }
    let lbs = load_balancers(unit, client, &lb_arns).await?;
    files.insert(
        "elbv2/describe-load-balancers.json".into(),
        render(&canonical(json!({ "LoadBalancers": lbs }))),
    );
    let listeners = listeners(unit, client, &lb_arns).await?;
    for listener in &listeners {
        let (path, content) = rules_file(unit, client, listener).await?;
        files.insert(path, content);
    }
    files.insert(
        "elbv2/describe-listeners.json".into(),
        render(&canonical(json!({ "Listeners": listeners }))),
    );
    Ok(files)
}

/// DescribeTargetGroups by ARN, 20 per call, sorted by ARN.
async fn target_groups(
    unit: &Unit,
    client: &Client,
    arns: &BTreeSet<String>,
) -> Result<Vec<Value>, ImportError> {
    let arns: Vec<String> = arns.iter().cloned().collect();
    let mut groups = Vec::new();
    for batch in arns.chunks(ARNS_PER_CALL) {
        let items = all_items!(
            client
                .describe_target_groups()
                .set_target_group_arns(Some(batch.to_vec())),
            unit.call("elasticloadbalancing:DescribeTargetGroups")
        )?;
        groups.extend(items.iter().map(mapped::target_group));
    }
    groups.sort_by(|a, b| str_of(a, "TargetGroupArn").cmp(str_of(b, "TargetGroupArn")));
    Ok(groups)
}

/// DescribeLoadBalancers by ARN, 20 per call, sorted by ARN.
async fn load_balancers(
    unit: &Unit,
    client: &Client,
    arns: &[String],
) -> Result<Vec<Value>, ImportError> {
    let mut lbs = Vec::new();
    for batch in arns.chunks(ARNS_PER_CALL) {
        let items = all_items!(
            client
                .describe_load_balancers()
                .set_load_balancer_arns(Some(batch.to_vec())),
            unit.call("elasticloadbalancing:DescribeLoadBalancers")
        )?;
        lbs.extend(items.iter().map(mapped::load_balancer));
    }
    lbs.sort_by(|a, b| str_of(a, "LoadBalancerArn").cmp(str_of(b, "LoadBalancerArn")));
    Ok(lbs)
}

/// DescribeListeners of every load balancer, sorted by ARN.
async fn listeners(
    unit: &Unit,
    client: &Client,
    lb_arns: &[String],
) -> Result<Vec<Value>, ImportError> {
    let mut listeners = Vec::new();
    for lb in lb_arns {
        let items = all_items!(
            client.describe_listeners().load_balancer_arn(lb),
            unit.call("elasticloadbalancing:DescribeListeners")
                .about(format!("load balancer {}", short_name(lb)))
        )?;
        listeners.extend(items.iter().map(mapped::listener));
    }
    listeners.sort_by(|a, b| str_of(a, "ListenerArn").cmp(str_of(b, "ListenerArn")));
    Ok(listeners)
}

/// DescribeRules of one listener: `(relative path, file)`, named by load balancer, port and id.
async fn rules_file(
    unit: &Unit,
    client: &Client,
    listener: &Value,
) -> Result<(String, String), ImportError> {
    let arn = str_of(listener, "ListenerArn");
    let lb_name = short_name(str_of(listener, "LoadBalancerArn"));
    let port = listener.get("Port").and_then(Value::as_i64).unwrap_or(0);
    let rules: Vec<Value> = all_items!(
        client.describe_rules().listener_arn(arn),
        unit.call("elasticloadbalancing:DescribeRules")
            .about(format!("listener {lb_name}:{port}"))
    )?
    .iter()
    .map(mapped::rule)
    .collect();
    let id = arn.rsplit('/').next().unwrap_or("");
    let path = format!(
        "elbv2/describe-rules-{}-{port}-{}.json",
        super::ecs::safe_name(lb_name),
        super::ecs::safe_name(id)
    );
    Ok((path, render(&canonical(json!({ "Rules": rules })))))
}
