//! What the containers call: addresses in env values, commands and arguments that resolve only
//! on ECS. The discovery names of the run's services (Service Connect aliases, Cloud Map names)
//! become their Kubernetes Service names and ports (mapping `discovery.rewriteConsumers`); the
//! Docker bridge gateway becomes localhost where the agent it meant is a container of the same
//! pod; what cannot be rewritten is a warning naming the variable.

use super::containers;
use super::passes::dns_directory::{Directory, Entry};
use crate::diagnostics::{Code, Findings};
use crate::model::ecs::{ContainerDefinition, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::Container;
use crate::model::target::DnsCall;

/// The docker0 gateway: how bridge-mode containers reached agents on the instance.
const DOCKER_BRIDGE: &str = "172.17.0.1";
/// The ECS task metadata and credentials endpoint.
const ECS_ENDPOINT: &str = "169.254.170.2";

/// Env var prefixes of well-known agents, and what their container's name or image holds.
const AGENTS: &[(&str, &[&str])] = &[
    ("DD_", &["datadog"]),
    ("DATADOG", &["datadog"]),
    ("AWS_XRAY", &["xray", "x-ray"]),
    ("XRAY", &["xray", "x-ray"]),
    ("OTEL_", &["otel", "opentelemetry", "adot"]),
    ("STATSD", &["statsd", "datadog"]),
    ("JAEGER", &["jaeger"]),
    ("ZIPKIN", &["zipkin"]),
    ("FLUENT", &["fluent"]),
];

/// Words of a variable name that say nothing about which agent it means.
const GENERIC: &[&str] = &[
    "host",
    "addr",
    "address",
    "agent",
    "port",
    "endpoint",
    "url",
    "uri",
    "server",
    "http",
    "https",
    "grpc",
    "trace",
    "traces",
    "tracing",
    "metrics",
    "exporter",
    "otlp",
    "collector",
    "daemon",
    "api",
];

/// What the scan of one workload reads.
pub struct Scan<'a> {
    pub td: &'a TaskDefinition,
    pub td_path: &'a str,
    pub directory: &'a Directory,
    /// The workload's environment: names are looked up there first.
    pub environment: &'a str,
    /// Mapping `discovery.rewriteConsumers`.
    pub rewrite: bool,
}

/// One string a container calls something with.
struct Slot<'a> {
    /// JSON path in the task definition.
    field: String,
    /// The env var's name ("" for a command or argument).
    var: &'a str,
    /// The ECS container it belongs to.
    own: usize,
}

impl Slot<'_> {
    /// How a finding names it: the variable, or the argument (`command[2]`).
    fn what(&self) -> &str {
        match self.var {
            "" => self.field.rsplit('.').next().unwrap_or(""),
            var => var,
        }
    }
}

/// The port the Service takes a call on: the old port's new one, else the port as called; a call
/// without a port gets one only when the scheme's default port (`wanted`) was the alias's and
/// the Service's differs.
fn new_port(called: Option<i64>, wanted: Option<i64>, entry: &Entry) -> Option<i64> {
    match (called, entry.new_port) {
        (Some(p), Some(n)) if entry.old_port == Some(p) => Some(n),
        (Some(p), _) => Some(p),
        (None, Some(n)) if wanted.is_some() && entry.old_port == wanted && wanted != Some(n) => {
            Some(n)
        }
        (None, _) => None,
    }
}

/// Rewrites the calls of `containers` (in the task definition's container order) and returns the
/// discovery names they call.
pub fn apply(
    scan: &Scan<'_>,
    containers: &mut [Container],
    findings: &mut Findings,
) -> Vec<DnsCall> {
    let mut calls = Vec::new();
    let defs = &scan.td.container_definitions;
    for (i, (c, k)) in defs.iter().zip(containers.iter_mut()).enumerate() {
        let at = containers::path(scan.td, scan.td_path, i);
        for env in &mut k.env {
            let Some(value) = env.value.as_mut() else {
                continue;
            };
            let index = (c.environment.iter())
                .rposition(|kv| kv.name.as_deref() == Some(env.name.as_str()))
                .unwrap_or(0);
            let field = join(&at, &format!("environment[{index}]"));
            let slot = Slot {
                field,
                var: &env.name,
                own: i,
            };
            scan.value(&slot, value, &mut calls, findings);
        }
        for (key, list) in [("entryPoint", &mut k.command), ("command", &mut k.args)] {
            for (j, value) in list.iter_mut().enumerate() {
                let field = join(&at, &format!("{key}[{j}]"));
                let slot = Slot {
                    field,
                    var: "",
                    own: i,
                };
                scan.value(&slot, value, &mut calls, findings);
            }
        }
    }
    calls
}

/// A host-name-like run of `value`: `[start, end)`, without trailing dots.
fn host_runs(value: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let bytes = value.as_bytes();
    let is_host = |b: u8| b.is_ascii_alphanumeric() || b == b'.' || b == b'-';
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < bytes.len() && !is_host(bytes[i]) {
            i += 1;
        }
        if i >= bytes.len() {
            return None;
        }
        let start = i;
        while i < bytes.len() && is_host(bytes[i]) {
            i += 1;
        }
        let mut end = i;
        while end > start && bytes[end - 1] == b'.' {
            end -= 1;
        }
        Some((start, end))
    })
}

/// The `:port` right after `end`: (its value, where it ends).
fn port_after(value: &str, end: usize) -> Option<(i64, usize)> {
    let rest = value[end..].strip_prefix(':')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let port = rest[..digits].parse().ok()?;
    Some((port, end + 1 + digits))
}

/// The scheme of a URL whose host starts at `start` (`http` of `http://host`).
fn scheme_before(value: &str, start: usize) -> Option<&str> {
    let head = value[..start].strip_suffix("://")?;
    let from = head
        .rfind(|c: char| !(c.is_ascii_alphanumeric() || "+.-".contains(c)))
        .map_or(0, |i| i + 1);
    Some(&head[from..])
}

fn default_port(scheme: Option<&str>) -> Option<i64> {
    match scheme?.to_ascii_lowercase().as_str() {
        "http" | "ws" => Some(80),
        "https" | "wss" => Some(443),
        _ => None,
    }
}

/// A variable whose whole value is a host name.
fn names_a_host(var: &str) -> bool {
    let var = var.to_ascii_uppercase();
    ["HOST", "ADDR", "ENDPOINT", "SERVER", "URL", "URI"]
        .iter()
        .any(|w| var.contains(w))
}

impl Scan<'_> {
    /// Rewrites one value in place; findings and calls for what it calls.
    fn value(
        &self,
        slot: &Slot<'_>,
        value: &mut String,
        calls: &mut Vec<DnsCall>,
        findings: &mut Findings,
    ) {
        let bridge = value.contains(DOCKER_BRIDGE) || value.contains(ECS_ENDPOINT);
        if self.directory.is_empty() && !bridge {
            return;
        }
        // Replacements (start, end, text), in order; applied at the end.
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        for (start, end) in host_runs(value) {
            let host = &value[start..end];
            if host == DOCKER_BRIDGE || host == ECS_ENDPOINT {
                edits.extend(self.bridge(slot, value, (start, end), findings));
                continue;
            }
            let entries = self.directory.lookup(host, self.environment);
            if entries.is_empty() || !self.is_call(slot, value, (start, end)) {
                continue;
            }
            edits.extend(self.discovery_call(slot, value, (start, end), entries, calls, findings));
        }
        for (start, end, text) in edits.into_iter().rev() {
            value.replace_range(start..end, &text);
        }
    }

    /// A single-label name is a call only where it is used as a host: after `://` or `@`, before
    /// `:port`, or as the whole value of a host-like variable; a dotted name anywhere.
    fn is_call(&self, slot: &Slot<'_>, value: &str, (start, end): (usize, usize)) -> bool {
        let host = &value[start..end];
        host.contains('.')
            || value[..start].ends_with("://")
            || value[..start].ends_with('@')
            || port_after(value, end).is_some()
            || (host.len() == value.len() && names_a_host(slot.var))
    }

    /// A call of a discovery name: rewritten to the Service that serves it now, or a warning.
    fn discovery_call(
        &self,
        slot: &Slot<'_>,
        value: &str,
        (start, end): (usize, usize),
        entries: &[Entry],
        calls: &mut Vec<DnsCall>,
        findings: &mut Findings,
    ) -> Option<(usize, usize, String)> {
        let host = &value[start..end];
        let port = port_after(value, end);
        let wanted = port
            .map(|(p, _)| p)
            .or(default_port(scheme_before(value, start)));
        let entry = (entries.iter())
            .find(|e| e.old_port.is_some() && e.old_port == wanted)
            .unwrap_or(&entries[0]);
        let old = match port {
            Some((p, _)) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let what = slot.what();
        let Some(target) = entry.target.as_ref() else {
            findings.push(
                Code::ConsumerOldName,
                &slot.field,
                format!(
                    "{what} calls {old}, a {} name no service of this run serves",
                    entry.source.as_str()
                ),
            );
            calls.push(DnsCall {
                field: slot.field.clone(),
                old,
                new: None,
            });
            return None;
        };
        let new_port = new_port(port.map(|(p, _)| p), wanted, entry);
        let new = match new_port {
            Some(p) => format!("{}:{p}", target.host),
            None => target.host.clone(),
        };
        if !self.rewrite {
            findings.push(
                Code::ConsumerOldName,
                &slot.field,
                format!(
                    "{what} calls {old}; app {} serves it now as {new}",
                    target.app
                ),
            );
            calls.push(DnsCall {
                field: slot.field.clone(),
                old,
                new: None,
            });
            return None;
        }
        findings.push(
            Code::ConsumerRewritten,
            &slot.field,
            format!(
                "{what} called {old}; it calls {new} now (app {})",
                target.app
            ),
        );
        calls.push(DnsCall {
            field: slot.field.clone(),
            old,
            new: Some(new.clone()),
        });
        let span_end = port.map_or(end, |(_, e)| e);
        Some((start, span_end, new))
    }

    /// The Docker bridge gateway or the ECS endpoint: localhost where the agent is a container of
    /// the same pod, else a warning.
    fn bridge(
        &self,
        slot: &Slot<'_>,
        value: &str,
        (start, end): (usize, usize),
        findings: &mut Findings,
    ) -> Option<(usize, usize, String)> {
        let address = &value[start..end];
        let what = slot.what();
        let agent = (address == DOCKER_BRIDGE)
            .then(|| self.agent_of(slot, port_after(value, end).map(|(p, _)| p)))
            .flatten();
        let Some(agent) = agent else {
            let meant = match address {
                DOCKER_BRIDGE => "the docker0 gateway of the ECS instance",
                _ => {
                    "the ECS task metadata and credentials endpoint (on EKS, SDKs take credentials from IRSA or Pod Identity)"
                }
            };
            findings.push(
                Code::DockerBridgeAddress,
                &slot.field,
                format!("{what} holds {address}, {meant}, which does not exist on EKS"),
            );
            return None;
        };
        findings.push(
            Code::BridgeToLocalhost,
            &slot.field,
            format!("{what} named the docker0 gateway {address}; container {agent:?} is in the same pod, so it is localhost now"),
        );
        Some((start, end, "localhost".to_string()))
    }

    /// The name of another container of the task that is the agent `slot` means: one that
    /// declares the port called, or whose name or image the variable's name points at.
    fn agent_of(&self, slot: &Slot<'_>, port: Option<i64>) -> Option<&str> {
        let others = (self.td.container_definitions.iter().enumerate())
            .filter(|(j, _)| *j != slot.own)
            .map(|(_, c)| c);
        let serves_port = |c: &&ContainerDefinition| {
            port.is_some_and(|p| {
                c.port_mappings
                    .iter()
                    .any(|pm| pm.container_port == Some(p))
            })
        };
        let var = slot.var.to_ascii_uppercase();
        let mut words: Vec<String> = AGENTS
            .iter()
            .filter(|(prefix, _)| var.starts_with(prefix))
            .flat_map(|(_, words)| words.iter().map(|w| w.to_string()))
            .collect();
        words.extend(
            var.to_ascii_lowercase()
                .split('_')
                .filter(|w| w.len() >= 4 && !GENERIC.contains(w))
                .map(str::to_string),
        );
        let named = |c: &&ContainerDefinition| {
            let text = format!(
                "{} {}",
                c.name.as_deref().unwrap_or(""),
                c.image.as_deref().unwrap_or("")
            )
            .to_ascii_lowercase();
            words.iter().any(|w| text.contains(w.as_str()))
        };
        let agent = others
            .clone()
            .find(serves_port)
            .or_else(|| others.clone().find(named))?;
        agent.name.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::EnvVar;
    use crate::model::target::DnsSource;
    use crate::translate::passes::dns_directory::Target;
    use serde_json::json;

    fn td(containers: serde_json::Value) -> TaskDefinition {
        serde_json::from_value(json!({"family": "web", "containerDefinitions": containers}))
            .unwrap()
    }

    /// The containers as `containers::container` makes them: env sorted, command and args.
    fn built(td: &TaskDefinition) -> Vec<Container> {
        td.container_definitions
            .iter()
            .map(|c| Container {
                env: c
                    .environment
                    .iter()
                    .map(|kv| EnvVar {
                        name: kv.name.clone().unwrap_or_default(),
                        value: kv.value.clone(),
                        value_from: None,
                    })
                    .collect(),
                command: c.entry_point.clone(),
                args: c.command.clone(),
                ..Container::default()
            })
            .collect()
    }

    fn run(
        td: &TaskDefinition,
        directory: &Directory,
        rewrite: bool,
    ) -> (Vec<Container>, Vec<DnsCall>, Findings) {
        let mut containers = built(td);
        let mut findings = Findings::default();
        let scan = Scan {
            td,
            td_path: "taskDefinition",
            directory,
            environment: "prod",
            rewrite,
        };
        let calls = apply(&scan, &mut containers, &mut findings);
        (containers, calls, findings)
    }

    fn env<'a>(c: &'a Container, name: &str) -> &'a str {
        c.env
            .iter()
            .find(|e| e.name == name)
            .and_then(|e| e.value.as_deref())
            .unwrap()
    }

    /// The docker0 gateway becomes localhost when the agent is a container of the task (by the
    /// variable's name or the port called); otherwise, and for the ECS endpoint, a warning.
    #[test]
    fn docker_bridge_addresses_become_localhost_or_warnings() {
        let td = td(json!([
            {"name": "worker", "environment": [
                {"name": "DD_AGENT_HOST", "value": "172.17.0.1"},
                {"name": "STATS", "value": "udp://172.17.0.1:8125"},
                {"name": "AWS_XRAY_DAEMON_ADDRESS", "value": "172.17.0.1:2000"},
                {"name": "CREDS", "value": "http://169.254.170.2/v2/credentials"}]},
            {"name": "datadog-agent", "image": "public.ecr.aws/datadog/agent:7",
             "essential": false, "portMappings": [{"containerPort": 8125, "protocol": "udp"}]}
        ]));
        let (containers, _, findings) = run(&td, &Directory::default(), true);
        assert_eq!(env(&containers[0], "DD_AGENT_HOST"), "localhost");
        assert_eq!(env(&containers[0], "STATS"), "udp://localhost:8125");
        assert_eq!(
            env(&containers[0], "AWS_XRAY_DAEMON_ADDRESS"),
            "172.17.0.1:2000"
        );
        assert_eq!(
            findings.code_fields(),
            [
                (
                    Code::BridgeToLocalhost,
                    "taskDefinition.containerDefinitions[0].environment[0]"
                ),
                (
                    Code::BridgeToLocalhost,
                    "taskDefinition.containerDefinitions[0].environment[1]"
                ),
                (
                    Code::DockerBridgeAddress,
                    "taskDefinition.containerDefinitions[0].environment[2]"
                ),
                (
                    Code::DockerBridgeAddress,
                    "taskDefinition.containerDefinitions[0].environment[3]"
                ),
            ]
        );
        assert!(findings.list[0].message.contains("\"datadog-agent\""));
    }

    fn directory() -> Directory {
        let target = |app: &str| {
            Some(Target {
                app: app.into(),
                host: format!("{app}.{app}-prod.svc.cluster.local"),
            })
        };
        let mut d = Directory::default();
        let entry = |target, old_port, new_port| Entry {
            environment: "prod".into(),
            source: DnsSource::ServiceConnect,
            target,
            old_port,
            new_port,
        };
        d.add(
            "payments.shop-prod.internal",
            entry(target("payments"), Some(9000), Some(8080)),
        );
        d.add("catalog", entry(target("catalog"), Some(80), Some(8080)));
        d.add("legacy.shop-prod.internal", entry(None, None, None));
        d
    }

    /// Discovery names of the run's services become their Service names and ports; a name no
    /// service of the run serves is a warning; a bare word is not a call.
    #[test]
    fn discovery_names_are_rewritten_to_the_new_services() {
        let td = td(json!([{"name": "web",
            "entryPoint": ["/app", "--catalog=http://catalog/v1"],
            "command": ["--payments", "payments.shop-prod.internal:9000"],
            "environment": [
                {"name": "PAYMENTS_URL", "value": "http://Payments.shop-prod.internal:9000/api"},
                {"name": "CATALOG_HOST", "value": "catalog"},
                {"name": "QUEUE", "value": "catalog"},
                {"name": "CATALOG_SERVICE", "value": "catalog-v2:80"},
                {"name": "LEGACY", "value": "legacy.shop-prod.internal"}]}]));
        let (containers, calls, findings) = run(&td, &directory(), true);
        let c = &containers[0];
        assert_eq!(
            env(c, "PAYMENTS_URL"),
            "http://payments.payments-prod.svc.cluster.local:8080/api"
        );
        assert_eq!(
            env(c, "CATALOG_HOST"),
            "catalog.catalog-prod.svc.cluster.local"
        );
        assert_eq!(env(c, "QUEUE"), "catalog");
        assert_eq!(env(c, "CATALOG_SERVICE"), "catalog-v2:80");
        assert_eq!(env(c, "LEGACY"), "legacy.shop-prod.internal");
        assert_eq!(
            c.command[1],
            "--catalog=http://catalog.catalog-prod.svc.cluster.local:8080/v1"
        );
        assert_eq!(c.args[1], "payments.payments-prod.svc.cluster.local:8080");
        let codes: Vec<Code> = findings.list.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [
                Code::ConsumerRewritten,
                Code::ConsumerRewritten,
                Code::ConsumerOldName,
                Code::ConsumerRewritten,
                Code::ConsumerRewritten
            ]
        );
        assert_eq!(
            findings.list[2].field,
            "taskDefinition.containerDefinitions[0].environment[4]"
        );
        assert!(
            findings.list[2]
                .message
                .starts_with("LEGACY calls legacy.shop-prod.internal")
        );
        assert_eq!(calls.len(), 5);
        assert_eq!(calls[2].new, None);
        // Off: left as they are, each a warning that names the new name.
        let (containers, _, findings) = run(&td, &directory(), false);
        assert_eq!(env(&containers[0], "CATALOG_HOST"), "catalog");
        assert!(
            findings
                .list
                .iter()
                .all(|f| f.code == Code::ConsumerOldName)
        );
        assert!(
            findings.list[0]
                .message
                .contains("payments.payments-prod.svc.cluster.local:8080")
        );
    }
}
