//! Network: the ClusterIP Service that gives the pods a stable name and the container ports.

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

/// ECS `http`, `http2`, `grpc` → the Service `appProtocol` names Kubernetes documents
/// (`kubernetes.io/h2c` for cleartext HTTP/2).
fn app_protocol(ecs: &str) -> String {
    match ecs.to_ascii_lowercase().as_str() {
        "http2" | "grpc" => "kubernetes.io/h2c".to_string(),
        other => other.to_string(),
    }
}
