//! Network: the ClusterIP Service that gives the pods a stable name and the container ports, and
//! which of those ports nothing outside the pod reached in ECS.

use crate::diagnostics::{Code, Findings};
use crate::model::ecs::{ContainerDefinition, PortMapping, Service, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::{Container, Map, Object, ObjectMeta, ServicePort, ServiceSpec};
use crate::model::names;
use serde_json::json;

/// A ClusterIP Service over every container port, or None when no container has a port.
/// `app_protocols` carries the ECS `appProtocol` per (port, protocol).
pub fn cluster_ip_service(
    metadata: ObjectMeta,
    selector: &Map,
    containers: &[&Container],
    app_protocols: &[(i64, &'static str, String)],
) -> Option<Object> {
    let mut ports: Vec<ServicePort> = Vec::new();
    for c in containers {
        for p in &c.ports {
            if ports
                .iter()
                .any(|s| s.port == p.container_port && s.protocol == p.protocol)
            {
                continue;
            }
            let app_protocol = app_protocols
                .iter()
                .find(|(port, proto, _)| *port == p.container_port && *proto == p.protocol)
                .map(|(_, _, a)| app_protocol(a));
            ports.push(ServicePort {
                name: p.name.clone(),
                port: p.container_port,
                target_port: p.name.clone(),
                protocol: p.protocol,
                app_protocol,
            });
        }
    }
    if ports.is_empty() {
        return None;
    }
    let metadata = ObjectMeta {
        name: names::dns1035_label(&metadata.name, "service"),
        ..metadata
    };
    let spec = ServiceSpec {
        kind: "ClusterIP",
        selector: selector.clone(),
        ports,
    };
    Some(Object::new(
        "v1",
        "Service",
        metadata,
        json!({ "spec": spec }),
    ))
}

/// Every port of the task gets a Service port, so a sidecar's (Envoy's admin `9901`, a log
/// router's forward port) is reachable by every pod of the cluster. An info finding names each
/// Service port that no load balancer, Service Connect service or Cloud Map registry of the
/// service named in ECS, so a reviewer can drop it. A registry without a container port names the
/// task's address, any port: then nothing is reported.
pub fn unreferenced_ports(
    td: &TaskDefinition,
    td_path: &str,
    service: &Service,
    object: &Object,
    findings: &mut Findings,
) {
    if service
        .service_registries
        .iter()
        .any(|r| r.container_port.or(r.port).is_none())
    {
        return;
    }
    let service_connect: Vec<&str> = service
        .service_connect_configuration
        .iter()
        .filter(|sc| sc.enabled != Some(false))
        .flat_map(|sc| &sc.services)
        .filter_map(|s| s.port_name.as_deref())
        .collect();
    let named = |c: &ContainerDefinition, pm: &PortMapping| {
        let at = |name: Option<&str>, port: Option<i64>| {
            name == c.name.as_deref() && port == pm.container_port
        };
        service
            .load_balancers
            .iter()
            .any(|lb| at(lb.container_name.as_deref(), lb.container_port))
            || service
                .service_registries
                .iter()
                .any(|r| at(r.container_name.as_deref(), r.container_port.or(r.port)))
            || pm
                .name
                .as_deref()
                .is_some_and(|n| service_connect.contains(&n))
    };
    let ports = object.body()["spec"]["ports"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut reported: Vec<&serde_json::Value> = Vec::new();
    for (i, c) in td.container_definitions.iter().enumerate() {
        for (j, pm) in c.port_mappings.iter().enumerate() {
            let udp = pm
                .protocol
                .as_deref()
                .is_some_and(|p| p.eq_ignore_ascii_case("udp"));
            let protocol = if udp { "UDP" } else { "TCP" };
            let Some(port) = ports
                .iter()
                .find(|p| p["port"].as_i64() == pm.container_port && p["protocol"] == protocol)
            else {
                continue;
            };
            if named(c, pm) || reported.contains(&port) {
                continue;
            }
            reported.push(port);
            findings.push(
                Code::UnreferencedPort,
                join(&crate::translate::containers::path(td, td_path, i), &format!("portMappings[{j}]")),
                format!(
                    "port {}/{} of container {} is named by no load balancer, Service Connect service or Cloud Map registry of the service; it is Service port {}",
                    port["port"],
                    protocol.to_ascii_lowercase(),
                    c.name.as_deref().unwrap_or("?"),
                    port["name"].as_str().unwrap_or("?")
                ),
            );
        }
    }
}

/// ECS `http`, `http2`, `grpc` → the Service `appProtocol` names Kubernetes documents
/// (`kubernetes.io/h2c` for cleartext HTTP/2).
fn app_protocol(ecs: &str) -> String {
    match ecs.to_ascii_lowercase().as_str() {
        "http2" | "grpc" => "kubernetes.io/h2c".to_string(),
        other => other.to_string(),
    }
}
