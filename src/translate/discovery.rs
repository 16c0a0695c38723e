//! Service discovery: Cloud Map `serviceRegistries` and Service Connect names become the
//! Kubernetes Service DNS name `<service>.<namespace>.svc.cluster.local`. The old → new names go
//! to the report (`Workload::dns_names`); optionally (mapping `discovery.externalName`) an
//! `ExternalName` Service keeps a single-label Service Connect alias resolving in the namespace.

use crate::diagnostics::{Code, Findings};
use crate::model::aws::CloudMapService;
use crate::model::ecs::{Advertised, Arn, Service, ServiceConnectConfiguration};
use crate::model::fields::{is_unset as unset, join};
use crate::model::k8s::{Object, ObjectMeta};
use crate::model::read::Inputs;
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
        let fqdn = service_host(target.app, target.namespace);
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

/// A name a service advertises, resolved against the Cloud Map inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub source: DnsSource,
    /// The DNS name clients call, or (a Cloud Map service the inputs do not name) a description.
    pub old: String,
    /// `old` is a DNS name clients can call.
    pub dns: bool,
    pub old_port: Option<i64>,
    /// The port of the new Service that takes the traffic.
    pub new_port: Option<i64>,
}

/// What `advertised` is called by clients: a Service Connect alias as given, or the discovery
/// name in its namespace (named by the Cloud Map inputs, else by its ARN); a Cloud Map service
/// `<service>.<namespace>` when the inputs name both. `ports`: the task definition's container
/// ports by ECS port name.
pub fn resolve(advertised: &Advertised, ports: &[(Box<str>, i64)], inputs: &Inputs) -> Resolved {
    match advertised {
        Advertised::ServiceConnect {
            name,
            qualified,
            namespace,
            port,
            port_name,
            ..
        } => {
            let old = match qualified {
                true => name.to_string(),
                false => join_dns(name, &namespace_name(namespace, inputs)),
            };
            let new_port = ports
                .iter()
                .find(|(n, _)| !port_name.is_empty() && n == port_name)
                .map(|(_, p)| *p);
            Resolved {
                source: DnsSource::ServiceConnect,
                old,
                dns: true,
                old_port: *port,
                new_port,
            }
        }
        Advertised::CloudMap {
            registry_arn,
            port,
            container_port,
            ..
        } => {
            let named = cloud_map_name(registry_arn, inputs);
            Resolved {
                source: DnsSource::CloudMap,
                dns: named.is_some(),
                old: named
                    .unwrap_or_else(|| format!("Cloud Map service {}", service_id(registry_arn))),
                old_port: *port,
                new_port: *container_port,
            }
        }
    }
}

/// A Service Connect namespace's name: from the Cloud Map inputs when they hold it, else the
/// last part of its ARN, or the name as given.
fn namespace_name(namespace: &str, inputs: &Inputs) -> String {
    if let Some(name) = inputs
        .cloud_map_namespace(namespace)
        .and_then(|n| n.value.name.clone())
    {
        return name;
    }
    match Arn::parse(namespace) {
        Some(a) => a
            .resource
            .rsplit('/')
            .next()
            .unwrap_or(a.resource)
            .to_string(),
        None => namespace.to_string(),
    }
}

/// The id of a Cloud Map service ARN (`service/srv-abc`).
fn service_id(arn: &str) -> &str {
    Arn::parse(arn)
        .map(|a| a.resource.strip_prefix("service/").unwrap_or(a.resource))
        .unwrap_or(arn)
}

/// `<service>.<namespace>` of a Cloud Map service in a DNS namespace, when the inputs name both.
pub fn cloud_map_name(registry_arn: &str, inputs: &Inputs) -> Option<String> {
    let service = (inputs.cloud_map_service(registry_arn))
        .or_else(|| inputs.cloud_map_service(service_id(registry_arn)))?;
    cloud_map_dns_name(&service.value, inputs)
}

/// `<service>.<namespace>` of a Cloud Map service, when its namespace is a DNS one in the inputs.
pub fn cloud_map_dns_name(service: &CloudMapService, inputs: &Inputs) -> Option<String> {
    let namespace = inputs.cloud_map_namespace(service.namespace()?)?;
    let (name, domain) = (service.name.as_deref()?, namespace.value.name.as_deref()?);
    namespace.value.is_dns().then(|| join_dns(name, domain))
}

/// The cluster DNS name of an app's Service in `namespace`.
pub fn service_host(app: &str, namespace: &str) -> String {
    format!("{app}.{namespace}.svc.cluster.local")
}

/// What the service's names become; ExternalName Services are appended to `extra` when
/// `external_name` is on. `ports`: the task definition's container ports by ECS port name.
pub fn renames(
    service: &Service,
    at: &str,
    (ports, inputs): (&[(Box<str>, i64)], &Inputs),
    target: &Target<'_>,
    extra: &mut Vec<Object>,
    findings: &mut Findings,
) -> Vec<DnsRename> {
    let to = Destination::of(target);
    if let Some(sc) = service
        .service_connect_configuration
        .as_ref()
        .filter(|c| c.enabled != Some(false))
    {
        not_carried(sc, at, findings);
    }
    let mut out = Vec::new();
    for advertised in service.advertised() {
        let r = resolve(&advertised, ports, inputs);
        let (here, what) = match advertised {
            Advertised::CloudMap { at: i, .. } => (
                join(at, &format!("serviceRegistries[{i}]")),
                "Cloud Map name",
            ),
            Advertised::ServiceConnect { at: i, .. } => (
                join(at, &format!("serviceConnectConfiguration.services[{i}]")),
                "Service Connect name",
            ),
        };
        let old_name = match r.dns {
            true => format!("{what} {}", r.old),
            false => r.old.clone(),
        };
        findings.push(
            Code::DnsRenamed,
            here,
            format!("{old_name} is now {}", to.new),
        );
        if r.source == DnsSource::ServiceConnect {
            extra.extend(to.alias(&r.old));
        }
        out.push(DnsRename {
            source: r.source,
            old: r.old,
            old_port: r.old_port,
            new: to.new.clone(),
            new_port: r.new_port,
        });
    }
    out
}

/// What Service Connect does besides naming: reported.
fn not_carried(sc: &ServiceConnectConfiguration, at: &str, findings: &mut Findings) {
    let sc_at = join(at, "serviceConnectConfiguration");
    for (key, _) in sc.other.iter().filter(|(_, v)| !unset(v)) {
        findings.push(
            Code::ServiceConnect,
            join(&sc_at, key),
            format!("Service Connect `{key}` was not carried"),
        );
    }
    for (i, s) in sc.services.iter().enumerate() {
        let here = join(at, &format!("serviceConnectConfiguration.services[{i}]"));
        for (key, _) in s.other.iter().filter(|(_, v)| !unset(v)) {
            findings.push(
                Code::ServiceConnect,
                join(&here, key),
                format!("Service Connect `{key}` of port {} was not carried (a mesh or the Ingress does this in Kubernetes)", s.port_name.as_deref().unwrap_or("?")),
            );
        }
    }
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
        let ports: Vec<(Box<str>, i64)> = vec![("http".into(), 8080)];
        let inputs = Inputs::default();
        let r = renames(
            s,
            "services[0]",
            (&ports, &inputs),
            &target,
            &mut extra,
            &mut f,
        );
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
