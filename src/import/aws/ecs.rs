//! ECS: ListClusters → ListServices → DescribeServices (10 per call, with tags) →
//! DescribeTaskDefinition (each task definition once, with tags).

use super::json::{canonical, render, strip, to_value, to_values};
use super::{Failure, Unit, sdk_message};
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{ServiceField, TaskDefinitionField};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use tokio::task::JoinSet;

/// DescribeServices takes at most 10 services per call.
pub const DESCRIBE_SERVICES_BATCH: usize = 10;

/// Service fields that are state, not configuration (left out unless `--keep-volatile`).
const VOLATILE_SERVICE_FIELDS: &[&str] = &[
    "runningCount",
    "pendingCount",
    "events",
    "deployments",
    "taskSets",
    "createdAt",
    "currentServiceDeployment",
    "currentServiceRevisions",
];
/// Task-definition fields that change without a change of configuration.
const VOLATILE_TASK_DEFINITION_FIELDS: &[&str] = &["registeredAt", "deregisteredAt"];

/// What one account/region holds in ECS.
#[derive(Debug, Default)]
pub struct EcsRead {
    /// Relative path (under `<account>/<region>/`) → file content.
    pub files: BTreeMap<String, String>,
    pub clusters: Vec<String>,
    pub services: usize,
    pub task_definitions: usize,
    /// Target groups and task roles the services use, for the ELBv2 and IAM readers.
    pub target_group_arns: BTreeSet<String>,
    pub role_arns: BTreeSet<String>,
    /// `service/<cluster>/<service>` resource ids, for Application Auto Scaling.
    pub service_resource_ids: BTreeSet<String>,
    pub task_definition_arns: BTreeSet<String>,
    pub cluster_arns: BTreeSet<String>,
}

fn name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

pub async fn read(unit: &Unit, client: &Client) -> Result<EcsRead, Failure> {
    let mut out = EcsRead::default();

    // ListClusters, to the end.
    let mut cluster_arns = Vec::new();
    {
        let _permit = unit.permit().await;
        let mut pages = client
            .list_clusters()
            .max_results(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| unit.failure("ecs:ListClusters", sdk_message(&e)))?;
            cluster_arns.extend(page.cluster_arns().iter().cloned());
        }
    }
    cluster_arns.retain(|arn| {
        unit.options.clusters.is_empty()
            || unit
                .options
                .clusters
                .iter()
                .any(|c| c == arn || c == name_of(arn))
    });
    cluster_arns.sort();
    cluster_arns.dedup();

    // Per cluster: ListServices, then DescribeServices in batches of 10, concurrently.
    let mut tasks = JoinSet::new();
    for cluster_arn in &cluster_arns {
        let client = client.clone();
        let unit = unit.clone();
        let cluster_arn = cluster_arn.clone();
        tasks.spawn(async move { read_cluster(&unit, &client, &cluster_arn).await });
    }
    let mut clusters: Vec<(String, Vec<Value>, Vec<Value>)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let result = joined.map_err(|e| unit.failure("ecs", format!("task failed: {e}")))?;
        clusters.push(result?);
    }
    clusters.sort_by(|a, b| a.0.cmp(&b.0));

    // Each task definition once, however many services use it.
    let mut td_arns = BTreeSet::new();
    for (cluster_arn, services, failures) in clusters {
        let cluster = name_of(&cluster_arn).to_string();
        out.cluster_arns.insert(cluster_arn.clone());
        for s in &services {
            if let Some(td) = s.get("taskDefinition").and_then(Value::as_str) {
                td_arns.insert(td.to_string());
            }
            if let Some(name) = s.get("serviceName").and_then(Value::as_str) {
                out.service_resource_ids
                    .insert(format!("service/{cluster}/{name}"));
            }
            for lb in s
                .get("loadBalancers")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(tg) = lb.get("targetGroupArn").and_then(Value::as_str) {
                    out.target_group_arns.insert(tg.to_string());
                }
            }
        }
        out.services += services.len();
        let mut services = services;
        if !unit.options.keep_volatile {
            for s in &mut services {
                strip(s, VOLATILE_SERVICE_FIELDS);
            }
        }
        let file = canonical(json!({ "services": services, "failures": failures }));
        out.files.insert(
            format!("ecs/{cluster}/describe-services.json"),
            render(&file),
        );
        out.clusters.push(cluster);
    }

    let mut tasks = JoinSet::new();
    for arn in &td_arns {
        let client = client.clone();
        let unit = unit.clone();
        let arn = arn.clone();
        tasks.spawn(async move { read_task_definition(&unit, &client, &arn).await });
    }
    while let Some(joined) = tasks.join_next().await {
        let result = joined.map_err(|e| unit.failure("ecs", format!("task failed: {e}")))?;
        let (path, mut file) = result?;
        let td = &file["taskDefinition"];
        for key in ["taskRoleArn", "executionRoleArn"] {
            if let Some(role) = td.get(key).and_then(Value::as_str) {
                out.role_arns.insert(role.to_string());
            }
        }
        if !unit.options.keep_volatile {
            strip(&mut file["taskDefinition"], VOLATILE_TASK_DEFINITION_FIELDS);
        }
        out.files.insert(path, render(&canonical(file)));
        out.task_definitions += 1;
    }
    out.task_definition_arns = td_arns;
    Ok(out)
}

/// One cluster's services: `(cluster ARN, services, failures)` as describe-services prints them,
/// services sorted by name.
async fn read_cluster(
    unit: &Unit,
    client: &Client,
    cluster_arn: &str,
) -> Result<(String, Vec<Value>, Vec<Value>), Failure> {
    let mut service_arns = Vec::new();
    {
        let _permit = unit.permit().await;
        let mut pages = client
            .list_services()
            .cluster(cluster_arn)
            .max_results(100)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                unit.failure(
                    "ecs:ListServices",
                    format!("cluster {}: {}", name_of(cluster_arn), sdk_message(&e)),
                )
            })?;
            service_arns.extend(page.service_arns().iter().cloned());
        }
    }
    service_arns.sort();
    service_arns.dedup();

    let mut tasks = JoinSet::new();
    for batch in service_arns.chunks(DESCRIBE_SERVICES_BATCH) {
        let client = client.clone();
        let unit = unit.clone();
        let cluster_arn = cluster_arn.to_string();
        let batch = batch.to_vec();
        tasks.spawn(async move {
            let _permit = unit.permit().await;
            let answer = client
                .describe_services()
                .cluster(&cluster_arn)
                .set_services(Some(batch))
                .include(ServiceField::Tags)
                .send()
                .await
                .map_err(|e| {
                    unit.failure(
                        "ecs:DescribeServices",
                        format!("cluster {}: {}", name_of(&cluster_arn), sdk_message(&e)),
                    )
                })?;
            let services = to_values(answer.services())
                .map_err(|e| unit.failure("ecs:DescribeServices", e))?;
            let failures = to_values(answer.failures())
                .map_err(|e| unit.failure("ecs:DescribeServices", e))?;
            Ok::<_, Failure>((services, failures))
        });
    }
    let mut services = Vec::new();
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (s, f) = joined.map_err(|e| unit.failure("ecs", format!("task failed: {e}")))??;
        services.extend(s.as_array().cloned().unwrap_or_default());
        failures.extend(f.as_array().cloned().unwrap_or_default());
    }
    let key = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    services.sort_by_key(|s| key(s, "serviceName"));
    failures.sort_by_key(|f| key(f, "arn"));
    Ok((cluster_arn.to_string(), services, failures))
}

/// `(relative path, describe-task-definition output)`.
async fn read_task_definition(
    unit: &Unit,
    client: &Client,
    arn: &str,
) -> Result<(String, Value), Failure> {
    let _permit = unit.permit().await;
    let answer = client
        .describe_task_definition()
        .task_definition(arn)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .map_err(|e| {
            unit.failure(
                "ecs:DescribeTaskDefinition",
                format!("{}: {}", name_of(arn), sdk_message(&e)),
            )
        })?;
    let td = answer.task_definition().ok_or_else(|| {
        unit.failure(
            "ecs:DescribeTaskDefinition",
            format!("{}: the answer holds no task definition", name_of(arn)),
        )
    })?;
    let td_value = to_value(td).map_err(|e| unit.failure("ecs:DescribeTaskDefinition", e))?;
    let tags =
        to_values(answer.tags()).map_err(|e| unit.failure("ecs:DescribeTaskDefinition", e))?;
    let family = td.family().unwrap_or("unknown");
    let path = format!(
        "ecs/task-definitions/{}-{}.json",
        safe_name(family),
        td.revision()
    );
    Ok((path, json!({ "taskDefinition": td_value, "tags": tags })))
}

/// File-name-safe (family and cluster names are `[A-Za-z0-9_-]` in ECS already).
pub fn safe_name(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect()
}
