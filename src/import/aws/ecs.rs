//! ECS: ListClusters → ListServices → DescribeServices (10 per call, with tags) →
//! DescribeTaskDefinition (each task definition once, with tags).

use super::json::{canonical, render, strip, to_value, to_values};
use super::{Call, ImportError, Unit, all_in_order};
use aws_sdk_ecs::Client;
use aws_sdk_ecs::types::{ServiceField, TaskDefinitionField};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

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
    /// A service registers in Cloud Map or uses Service Connect: Cloud Map is read too.
    pub uses_cloud_map: bool,
}

fn name_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

pub async fn read(unit: &Unit, client: &Client) -> Result<EcsRead, ImportError> {
    let mut out = EcsRead::default();
    let cluster_arns = list_clusters(unit, client).await?;
    // Per cluster: ListServices, then DescribeServices in batches of 10, concurrently.
    let clusters = all_in_order(cluster_arns, |cluster_arn| {
        let (unit, client) = (unit.clone(), client.clone());
        async move { read_cluster(&unit, &client, cluster_arn).await }
    })
    .await
    .into_iter()
    .collect::<Result<Vec<_>, _>>()?;
    for cluster in clusters {
        add_cluster(unit, &mut out, cluster);
    }
    // Each task definition once, however many services use it.
    let task_definitions = all_in_order(out.task_definition_arns.clone(), |arn| {
        let (unit, client) = (unit.clone(), client.clone());
        async move { read_task_definition(&unit, &client, &arn).await }
    })
    .await;
    for task_definition in task_definitions {
        let (path, file) = task_definition?;
        add_task_definition(unit, &mut out, path, file);
    }
    Ok(out)
}

/// ListClusters, to the end; the clusters asked for (`--cluster`), sorted.
async fn list_clusters(unit: &Unit, client: &Client) -> Result<Vec<String>, ImportError> {
    let _permit = unit.permit().await;
    let mut cluster_arns = all_items!(
        client.list_clusters().max_results(100),
        unit.call("ecs:ListClusters")
    )?;
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
    Ok(cluster_arns)
}

/// One cluster's services as describe-services prints them, and what they name: task
/// definitions, services (for scaling), target groups.
fn add_cluster(unit: &Unit, out: &mut EcsRead, cluster: ClusterServices) {
    let ClusterServices {
        cluster_arn,
        mut services,
        failures,
    } = cluster;
    let cluster = name_of(&cluster_arn).to_string();
    out.cluster_arns.insert(cluster_arn.clone());
    for s in &services {
        if let Some(td) = s.get("taskDefinition").and_then(Value::as_str) {
            out.task_definition_arns.insert(td.to_string());
        }
        if let Some(name) = s.get("serviceName").and_then(Value::as_str) {
            out.service_resource_ids
                .insert(format!("service/{cluster}/{name}"));
        }
        let set = |key: &str| {
            s.get(key)
                .is_some_and(|v| !crate::model::fields::is_unset(v))
        };
        out.uses_cloud_map |= set("serviceRegistries") || set("serviceConnectConfiguration");
        let load_balancers = s.get("loadBalancers").and_then(Value::as_array);
        for lb in load_balancers.into_iter().flatten() {
            if let Some(tg) = lb.get("targetGroupArn").and_then(Value::as_str) {
                out.target_group_arns.insert(tg.to_string());
            }
        }
    }
    out.services += services.len();
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

/// One describe-task-definition file, and the roles it names (for IAM).
fn add_task_definition(unit: &Unit, out: &mut EcsRead, path: String, mut file: Value) {
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

/// One cluster's services and failures as describe-services prints them, services by name.
struct ClusterServices {
    cluster_arn: String,
    services: Vec<Value>,
    failures: Vec<Value>,
}

async fn read_cluster(
    unit: &Unit,
    client: &Client,
    cluster_arn: String,
) -> Result<ClusterServices, ImportError> {
    let service_arns = list_services(unit, client, &cluster_arn).await?;
    let batches = service_arns
        .chunks(DESCRIBE_SERVICES_BATCH)
        .map(<[String]>::to_vec);
    let answers = all_in_order(batches, |batch| {
        let (unit, client, cluster_arn) = (unit.clone(), client.clone(), cluster_arn.clone());
        async move { describe_services(&unit, &client, &cluster_arn, batch).await }
    })
    .await;
    let mut services = Vec::new();
    let mut failures = Vec::new();
    for answer in answers {
        let (s, f) = answer?;
        services.extend(s.as_array().cloned().unwrap_or_default());
        failures.extend(f.as_array().cloned().unwrap_or_default());
    }
    let key = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    services.sort_by_key(|s| key(s, "serviceName"));
    failures.sort_by_key(|f| key(f, "arn"));
    Ok(ClusterServices {
        cluster_arn,
        services,
        failures,
    })
}

/// ListServices of one cluster, to the end, sorted.
async fn list_services(
    unit: &Unit,
    client: &Client,
    cluster_arn: &str,
) -> Result<Vec<String>, ImportError> {
    let _permit = unit.permit().await;
    let mut service_arns = all_items!(
        client.list_services().cluster(cluster_arn).max_results(100),
        cluster_call(unit, "ecs:ListServices", cluster_arn)
    )?;
    service_arns.sort();
    service_arns.dedup();
    Ok(service_arns)
}

/// One DescribeServices call (at most 10 services, with tags): `(services, failures)`.
async fn describe_services(
    unit: &Unit,
    client: &Client,
    cluster_arn: &str,
    batch: Vec<String>,
) -> Result<(Value, Value), ImportError> {
    let _permit = unit.permit().await;
    let call = || cluster_call(unit, "ecs:DescribeServices", cluster_arn);
    let answer = client
        .describe_services()
        .cluster(cluster_arn)
        .set_services(Some(batch))
        .include(ServiceField::Tags)
        .send()
        .await
        .map_err(|e| call().failed(&e))?;
    let services = to_values(answer.services()).map_err(|e| call().unreadable(e))?;
    let failures = to_values(answer.failures()).map_err(|e| call().unreadable(e))?;
    Ok((services, failures))
}

/// A call about one cluster.
fn cluster_call(unit: &Unit, action: &str, cluster_arn: &str) -> Call {
    unit.call(action)
        .about(format!("cluster {}", name_of(cluster_arn)))
}

/// `(relative path, describe-task-definition output)`.
async fn read_task_definition(
    unit: &Unit,
    client: &Client,
    arn: &str,
) -> Result<(String, Value), ImportError> {
    let _permit = unit.permit().await;
    let call = || {
        unit.call("ecs:DescribeTaskDefinition")
            .about(format!("task definition {}", name_of(arn)))
    };
    let answer = client
        .describe_task_definition()
        .task_definition(arn)
        .include(TaskDefinitionField::Tags)
        .send()
        .await
        .map_err(|e| call().failed(&e))?;
    let td = answer
        .task_definition()
        .ok_or_else(|| call().unreadable("the answer holds no task definition"))?;
    let td_value = to_value(td).map_err(|e| call().unreadable(e))?;
    let tags = to_values(answer.tags()).map_err(|e| call().unreadable(e))?;
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
