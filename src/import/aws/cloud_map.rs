//! Cloud Map, for a unit whose ECS services register in it or use Service Connect:
//! ListNamespaces (to the end), then ListServices per namespace (filtered by its id), written
//! as `aws servicediscovery list-namespaces` and `list-services` print them. Each service gets
//! the `NamespaceId` of the namespace it was listed under (the field `get-service` prints), since
//! `list-services` names it only for DNS services; counts and dates are volatile.

use super::json::{canonical, render, strip};
use super::{Files, ImportError, Unit};
use aws_sdk_servicediscovery::types::{FilterCondition, ServiceFilter, ServiceFilterName};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Fields that change without a change of configuration.
const VOLATILE: &[&str] = &["CreateDate", "UpdateDate", "ServiceCount", "InstanceCount"];
/// An idempotency token some answers carry, which the CLI's list output does not print.
const NOT_CONFIGURATION: &[&str] = &["CreatorRequestId"];

fn id(v: &Value) -> &str {
    v.get("Id").and_then(Value::as_str).unwrap_or("")
}

pub async fn read(
    unit: &Unit,
    client: &aws_sdk_servicediscovery::Client,
) -> Result<Files, ImportError> {
    let mut files = Files::new();
    let _permit = unit.permit().await;
    let mut namespaces = list_namespaces(unit, client).await?;
    if namespaces.is_empty() {
        return Ok(files);
    }
    namespaces.sort_by(|a, b| id(a).cmp(id(b)));
    // By id: a service appears once, under the namespace it was first listed in.
    let mut services: BTreeMap<String, Value> = BTreeMap::new();
    for namespace in namespaces.iter().map(|n| id(n).to_string()) {
        for mut service in list_services(unit, client, &namespace).await? {
            if service.get("NamespaceId").is_none_or(Value::is_null) {
                service["NamespaceId"] = json!(namespace);
            }
            services.entry(id(&service).to_string()).or_insert(service);
        }
    }
    let mut services: Vec<Value> = services.into_values().collect();
    for item in namespaces.iter_mut().chain(services.iter_mut()) {
        strip(item, NOT_CONFIGURATION);
    }
    if !unit.options.keep_volatile {
        for item in namespaces.iter_mut().chain(services.iter_mut()) {
            strip(item, VOLATILE);
        }
    }
    files.insert(
        "servicediscovery/list-namespaces.json".into(),
        render(&canonical(json!({ "Namespaces": namespaces }))),
    );
    if !services.is_empty() {
        files.insert(
            "servicediscovery/list-services.json".into(),
            render(&canonical(json!({ "Services": services }))),
        );
    }
    Ok(files)
}

/// ListNamespaces, to the last page, as the bodies were sent.
async fn list_namespaces(
    unit: &Unit,
    client: &aws_sdk_servicediscovery::Client,
) -> Result<Vec<Value>, ImportError> {
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = client.list_namespaces().set_next_token(token.take());
        let (page, body) = send_captured!(request, unit.call("servicediscovery:ListNamespaces"));
        items.extend(body["Namespaces"].as_array().cloned().unwrap_or_default());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(items)
}

/// ListServices of one namespace, to the last page, as the bodies were sent.
async fn list_services(
    unit: &Unit,
    client: &aws_sdk_servicediscovery::Client,
    namespace: &str,
) -> Result<Vec<Value>, ImportError> {
    let call = || {
        unit.call("servicediscovery:ListServices")
            .about(format!("namespace {namespace}"))
    };
    let filter = ServiceFilter::builder()
        .name(ServiceFilterName::NamespaceId)
        .values(namespace)
        .condition(FilterCondition::Eq)
        .build()
        .map_err(|e| call().unreadable(e.to_string()))?;
    let mut items = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = client
            .list_services()
            .filters(filter.clone())
            .set_next_token(token.take());
        let (page, body) = send_captured!(request, call());
        items.extend(body["Services"].as_array().cloned().unwrap_or_default());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(items)
}
