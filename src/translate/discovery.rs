//! Service discovery: Cloud Map `serviceRegistries` and Service Connect names become the
//! Kubernetes Service DNS name `<service>.<namespace>.svc.cluster.local`. The old → new names go
//! to the report (`Workload::dns_names`); optionally (mapping `discovery.externalName`) an
//! `ExternalName` Service keeps a single-label Service Connect alias resolving in the namespace.

use crate::diagnostics::{Code, Findings};
use crate::model::ecs::{Arn, Service, ServiceConnectConfiguration, ServiceConnectService};
use crate::model::fields::{is_unset as unset, join};
use crate::model::k8s::{Object, ObjectMeta};
use crate::model::target::{DnsRename, DnsSource};
use serde_json::json;

/// The workload the names move to.
pub struct Target<'a> {
    pub app: &'a str,
    pub namespace: &'a str,
    /// The workload's objects; its Service, if any, is named `app`.
    pub objects: &'a [Object],
    /// Mapping `discovery.externalName`.
    pub external_name: bool,
    pub meta: &'a dyn Fn(&str) -> ObjectMeta,
}

/// Where the names move to: the workload's Service and its DNS name.
struct Destination<'a> {
    target: &'a Target<'a>,
    /// The workload's Service, if any.
    service: Option<&'a Object>,
    /// `<app>.<namespace>.svc.cluster.local`.
    fqdn: String,
    /// What the report says a name became: the DNS name, or why there is none yet.
    new: String,
}

impl<'a> Destination<'a> {
    fn of(target: &'a Target<'a>) -> Self {
        let service = target
            .objects
            .iter()
            .find(|o| o.kind == "Service" && o.metadata.name == target.app);
        let fqdn = format!("{}.{}.svc.cluster.local", target.app, target.namespace);
        let new = if service.is_some() {
            fqdn.clone()
        } else {
            format!("(no Service: the task has no container ports; {fqdn} once one is added)")
        };
        Destination {
            target,
            service,
            fqdn,
            new,
        }
    }

    /// The Service port named `name`.
    fn port_named(&self, name: &str) -> Option<i64> {
        self.service
            .and_then(|s| s.body()["spec"]["ports"].as_array().cloned())
            .into_iter()
            .flatten()
            .find(|p| p["name"] == name)
            .and_then(|p| p["port"].as_i64())
    }

    /// An ExternalName Service that keeps `old` resolving in the namespace, when the mappings
    /// ask for one and `old` is a single label that is not the Service's own name.
    fn alias(&self, old: &str) -> Option<Object> {
        let t = self.target;
        (t.external_name && self.service.is_some() && is_label(old) && old != t.app).then(|| {
            Object::new(
                "v1",
                "Service",
                (t.meta)(old),
                json!({ "spec": { "type": "ExternalName", "externalName": self.fqdn } }),
            )
        })
    }
}

/// What the service's names become; ExternalName Services are appended to `extra` when
/// `external_name` is on.
pub fn renames(
    service: &Service,
    at: &str,
    target: &Target<'_>,
    extra: &mut Vec<Object>,
    findings: &mut Findings,
) -> Vec<DnsRename> {
    let to = Destination::of(target);
    let mut out = cloud_map(service, at, &to, findings);
    if let Some(sc) = service
        .service_connect_configuration
        .as_ref()
        .filter(|c| c.enabled != Some(false))
    {
        out.extend(service_connect(sc, at, &to, extra, findings));
    }
    out
}

/// The Cloud Map services of `serviceRegistries`.
fn cloud_map(
    service: &Service,
    at: &str,
    to: &Destination<'_>,
    findings: &mut Findings,
) -> Vec<DnsRename> {
    let mut out = Vec::new();
    for (i, r) in service.service_registries.iter().enumerate() {
        let arn = r.registry_arn.as_deref().unwrap_or("");
        let id = Arn::parse(arn)
            .map(|a| a.resource.strip_prefix("service/").unwrap_or(a.resource))
            .unwrap_or(arn);
        let old = format!("Cloud Map service {id}");
        findings.push(
            Code::DnsRenamed,
            join(at, &format!("serviceRegistries[{i}]")),
            format!("{old} is now {}", to.new),
        );
        out.push(DnsRename {
            source: DnsSource::CloudMap,
            old,
            old_port: r.port.or(r.container_port),
            new: to.new.clone(),
            new_port: r.container_port,
        });
    }
    out
}

/// The Service Connect names of the service's ports; what Service Connect does besides
/// naming is reported.
fn service_connect(
    sc: &ServiceConnectConfiguration,
    at: &str,
    to: &Destination<'_>,
    extra: &mut Vec<Object>,
    findings: &mut Findings,
) -> Vec<DnsRename> {
    let ns = sc
        .namespace
        .as_deref()
        .map(|n| match Arn::parse(n) {
            Some(a) => a.resource.rsplit('/').next().unwrap_or(a.resource),
            None => n,
        })
        .unwrap_or("");
    let sc_at = join(at, "serviceConnectConfiguration");
    for (key, _) in sc.other.iter().filter(|(_, v)| !unset(v)) {
        findings.push(
            Code::ServiceConnect,
            join(&sc_at, key),
            format!("Service Connect `{key}` was not carried"),
        );
    }
    let mut out = Vec::new();
    for (i, s) in sc.services.iter().enumerate() {
        let here = join(at, &format!("serviceConnectConfiguration.services[{i}]"));
        for (key, _) in s.other.iter().filter(|(_, v)| !unset(v)) {
            findings.push(
                Code::ServiceConnect,
                join(&here, key),
                format!("Service Connect `{key}` of port {} was not carried (a mesh or the Ingress does this in Kubernetes)", s.port_name.as_deref().unwrap_or("?")),
            );
        }
        let new_port = to.port_named(s.port_name.as_deref().unwrap_or(""));
        for (old, old_port) in client_names(s, ns) {
            findings.push(
                Code::DnsRenamed,
                &here,
                format!("Service Connect name {old} is now {}", to.new),
            );
            extra.extend(to.alias(&old));
            out.push(DnsRename {
                source: DnsSource::ServiceConnect,
                old,
                old_port,
                new: to.new.clone(),
                new_port,
            });
        }
    }
    out
}

/// The names (and ports) clients reach Service Connect port `s` by in namespace `ns`: its
/// client aliases, else its discovery name.
fn client_names(s: &ServiceConnectService, ns: &str) -> Vec<(String, Option<i64>)> {
    let port_name = s.port_name.as_deref().unwrap_or("");
    let discovery = s.discovery_name.as_deref().unwrap_or(port_name);
    let mut names: Vec<(String, Option<i64>)> = s
        .client_aliases
        .iter()
        .map(|a| {
            let dns = a.dns_name.clone();
            (dns.unwrap_or_else(|| join_dns(discovery, ns)), a.port)
        })
        .collect();
    if names.is_empty() {
        names.push((join_dns(discovery, ns), None));
    }
    names
}

fn join_dns(name: &str, namespace: &str) -> String {
    if namespace.is_empty() {
        name.to_string()
    } else {
        format!("{name}.{namespace}")
    }
}

/// A DNS-1035 label: a name a Service can have.
fn is_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(json: serde_json::Value) -> Service {
        serde_json::from_value(json).unwrap()
    }

    fn k8s_service() -> Object {
        Object::new(
            "v1",
            "Service",
            ObjectMeta {
                name: "orders".into(),
                ..ObjectMeta::default()
            },
            json!({"spec": {"ports": [{"name": "http", "port": 8080}]}}),
        )
    }

    fn run(
        s: &Service,
        objects: &[Object],
        external: bool,
    ) -> (Vec<DnsRename>, Vec<Object>, usize) {
        let mut extra = Vec::new();
        let mut f = Findings::default();
        let meta = |n: &str| ObjectMeta {
            name: n.into(),
            ..ObjectMeta::default()
        };
        let target = Target {
            app: "orders",
            namespace: "orders-prod",
            objects,
            external_name: external,
            meta: &meta,
        };
        let r = renames(s, "services[0]", &target, &mut extra, &mut f);
        (r, extra, f.list.len())
    }

    #[test]
    fn cloud_map_and_service_connect_names() {
        let s = service(json!({
            "serviceRegistries": [{"registryArn": "arn:aws:servicediscovery:eu-west-1:1:service/srv-abc"}],
            "serviceConnectConfiguration": {"enabled": true,
                "namespace": "arn:aws:servicediscovery:eu-west-1:1:namespace/ns-1",
                "services": [
                    {"portName": "http", "discoveryName": "orders-api", "timeout": {"idleTimeoutSeconds": 60},
                     "clientAliases": [{"port": 80, "dnsName": "orders-api"}, {"port": 80, "dnsName": "orders.shop.local"}]},
                    {"portName": "http"}]}
        }));
        let (r, extra, findings) = run(&s, &[k8s_service()], true);
        let table: Vec<(&str, &str, Option<i64>, Option<i64>)> = r
            .iter()
            .map(|d| (d.source.as_str(), d.old.as_str(), d.old_port, d.new_port))
            .collect();
        assert_eq!(
            table,
            vec![
                ("Cloud Map", "Cloud Map service srv-abc", None, None),
                ("Service Connect", "orders-api", Some(80), Some(8080)),
                ("Service Connect", "orders.shop.local", Some(80), Some(8080)),
                ("Service Connect", "http.ns-1", None, Some(8080)),
            ]
        );
        assert!(
            r.iter()
                .all(|d| d.new == "orders.orders-prod.svc.cluster.local")
        );
        assert_eq!(findings, 5);
        // Only the single-label alias can be a Service name.
        assert_eq!(extra.len(), 1);
        let e = extra[0].to_json();
        assert_eq!(e["metadata"]["name"], "orders-api");
        assert_eq!(
            e["spec"],
            json!({"type": "ExternalName", "externalName": "orders.orders-prod.svc.cluster.local"})
        );
        // Off by default.
        assert!(run(&s, &[k8s_service()], false).1.is_empty());
    }

    #[test]
    fn without_a_service_the_new_name_says_so() {
        let s = service(
            json!({"serviceRegistries": [{"registryArn": "arn:aws:servicediscovery:eu-west-1:1:service/srv-abc"}]}),
        );
        let (r, extra, _) = run(&s, &[], true);
        assert!(r[0].new.starts_with("(no Service"));
        assert!(extra.is_empty());
    }
}
