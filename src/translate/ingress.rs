//! Load balancing: a service's `loadBalancers[]` → what the AWS Load Balancer Controller needs.
//!
//! In ECS the routing lives in the load balancer (listeners, rules, target groups), not in the
//! service, so this module reads the `aws elbv2 describe-*` inputs and, per target group:
//! - `ingress` mode: one `Ingress` per listener rule that forwards to it (so that `group.order`
//!   reproduces each rule's priority and `conditions.*` apply to that rule only), all Ingresses
//!   of one ALB in one IngressGroup; a `LoadBalancer` Service for an NLB;
//! - `targetGroupBinding` mode: a `TargetGroupBinding` that registers the pods in the existing
//!   target group, for a zero-downtime cutover.
//!
//! In both, the container behind the target group gets a readiness probe from the target
//! group's health check, and the namespace the label for pod readiness-gate injection.

use super::passes::alb_ownership::AlbOwners;
use crate::diagnostics::{Code, Finding, Findings};
use crate::mappings::{LoadBalancingMode, Mappings};
use crate::model::ecs::{Service, TaskDefinition};
use crate::model::elbv2::{Action, Condition, Listener, LoadBalancer, Rule, TargetGroup};
use crate::model::fields::join;
use crate::model::k8s::{Map, Object, ObjectMeta, PodSpec, Probe};
use crate::model::names;
use crate::model::read::{Inputs, Sourced};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const ALB: &str = "alb.ingress.kubernetes.io/";
const NLB: &str = "service.beta.kubernetes.io/";
/// The namespace label that makes the controller inject pod readiness gates.
pub const READINESS_GATE_LABEL: &str = "elbv2.k8s.aws/pod-readiness-gate-inject";

/// What the workload needs to know about one service's load balancing.
pub struct Context<'a> {
    pub service: &'a Sourced<Service>,
    pub td: &'a TaskDefinition,
    pub inputs: &'a Inputs,
    pub alb_owners: &'a AlbOwners,
    pub mappings: &'a Mappings,
    /// The app name: the Kubernetes Service (as a DNS-1035 label) is named after it.
    pub app: &'a str,
    /// Kubernetes names of the task definition's containers, in order.
    pub container_names: &'a [String],
    pub network_mode: &'a str,
    pub meta: &'a dyn Fn(&str) -> ObjectMeta,
    pub selector: &'a Map,
}

/// Adds the Ingresses, NLB Services or TargetGroupBindings of the service to `objects`, turns
/// its Service into a NodePort one where the targets are instances, and sets readiness probes.
/// Returns true when the namespace needs the readiness-gate label.
pub fn apply(
    ctx: &Context<'_>,
    pod: &mut PodSpec,
    objects: &mut Vec<Object>,
    findings: &mut Findings,
) -> bool {
    let service = &ctx.service.value;
    let ecs_name = service.service_name.as_deref().unwrap_or(ctx.app);
    let mode = ctx.mappings.load_balancing.mode_of(ecs_name);
    let svc_name = names::dns1035_label(ctx.app, "service");
    let instance_targets = ctx.network_mode != "awsvpc";
    let mut readiness_gate = false;
    let mut needs_node_port = false;
    let mut ingresses: Vec<IngressDraft> = Vec::new();
    let mut others: Vec<Object> = Vec::new();
    let mut tgbs: Vec<(String, Object)> = Vec::new();
    // The Service's port names by number (network.rs names Service ports after container ports).
    let port_names: Vec<(i64, String)> = pod
        .init_containers
        .iter()
        .chain(pod.containers.iter())
        .flat_map(|c| &c.ports)
        .filter(|p| p.protocol == "TCP")
        .map(|p| (p.container_port, p.name.clone()))
        .collect();

    for (i, entry) in service.load_balancers.iter().enumerate() {
        let at = join(&ctx.service.path, &format!("loadBalancers[{i}]"));
        let Some(tg_arn) = entry.target_group_arn.as_deref().filter(|a| !a.is_empty()) else {
            if let Some(name) = entry.load_balancer_name.as_deref() {
                findings.push(
                    Code::ClassicLoadBalancer,
                    join(&at, "loadBalancerName"),
                    format!("the service is registered in the Classic Load Balancer {name}; it was not converted"),
                );
            }
            continue;
        };
        // The container and port the target group sends traffic to.
        let ecs_container = entry.container_name.as_deref().unwrap_or("");
        let port = entry.container_port.unwrap_or(0);
        let index = ctx
            .td
            .container_definitions
            .iter()
            .position(|c| c.name.as_deref() == Some(ecs_container));
        let k8s_container = index.map(|i| ctx.container_names[i].clone());
        // A sidecar that became a (restartable) init container serves traffic too.
        let found = k8s_container.as_deref().and_then(|name| {
            pod.containers
                .iter_mut()
                .chain(pod.init_containers.iter_mut())
                .find(|c| c.name == name && c.ports.iter().any(|p| p.container_port == port))
        });
        let Some(container) = found else {
            findings.push(
                Code::ContainerPortMissing,
                at.clone(),
                format!(
                    "target group {} sends traffic to container {ecs_container:?} port {port}, which the task definition does not expose; the load balancer was not converted",
                    short(tg_arn)
                ),
            );
            continue;
        };
        let Some(tg) = ctx
            .inputs
            .target_groups
            .iter()
            .find(|t| t.value.target_group_arn.as_deref() == Some(tg_arn))
        else {
            findings.push(
                Code::TargetGroupMissing,
                join(&at, "targetGroupArn"),
                format!(
                    "target group {} is not in the inputs: its routing and health check were not converted; the pods are reachable through Service {svc_name} port {port}",
                    short(tg_arn)
                ),
            );
            continue;
        };
        let target = Target {
            tg,
            svc: svc_name.clone(),
            port,
            instance: instance_targets,
            port_names: &port_names,
        };
        if matches!(tg.value.target_type.as_deref(), Some("lambda" | "alb")) {
            push_at(
                findings,
                tg,
                "TargetType",
                Code::UnsupportedLoadBalancer,
                format!(
                    "target group {} has target type {}; it was not converted",
                    tg_name(&tg.value),
                    tg.value.target_type.as_deref().unwrap_or("")
                ),
            );
            continue;
        }
        if let Some(probe) = readiness_probe(&tg.value, port, tg, findings)
            && container.readiness_probe.is_none()
        {
            container.readiness_probe = Some(probe);
        }
        readiness_gate = true;

        let lbs: Vec<&Sourced<LoadBalancer>> = tg
            .value
            .load_balancer_arns
            .iter()
            .filter_map(|arn| {
                let lb = ctx
                    .inputs
                    .load_balancers
                    .iter()
                    .find(|l| l.value.load_balancer_arn.as_deref() == Some(arn));
                if lb.is_none() {
                    push_at(
                        findings,
                        tg,
                        "LoadBalancerArns",
                        Code::LoadBalancerMissing,
                        if mode == LoadBalancingMode::TargetGroupBinding {
                            format!(
                                "load balancer {} of target group {} is not in the inputs; the TargetGroupBinding opens no security group to it",
                                short(arn),
                                tg_name(&tg.value)
                            )
                        } else {
                            format!(
                                "load balancer {} of target group {} is not in the inputs; its routing was not converted",
                                short(arn),
                                tg_name(&tg.value)
                            )
                        },
                    );
                }
                lb
            })
            .collect();
        if tg.value.load_balancer_arns.is_empty() {
            push_at(
                findings,
                tg,
                "LoadBalancerArns",
                Code::NoForwardingRule,
                format!(
                    "target group {} is attached to no load balancer",
                    tg_name(&tg.value)
                ),
            );
        }

        if mode == LoadBalancingMode::TargetGroupBinding {
            let (obj, node_port) = target_group_binding(ctx, &target, &lbs, findings, &at);
            needs_node_port |= node_port;
            tgbs.push((tg_name(&tg.value).to_string(), obj));
            continue;
        }
        for lb in lbs {
            match lb.value.kind.as_deref() {
                Some("network") => {
                    if let Some(obj) = nlb_service(ctx, &target, lb, findings) {
                        others.push(obj);
                    }
                }
                Some("application") | None => {
                    needs_node_port |= instance_targets;
                    alb_routes(ctx, &target, lb, &mut ingresses, findings);
                }
                Some(other) => push_at(
                    findings,
                    lb,
                    "Type",
                    Code::UnsupportedLoadBalancer,
                    format!(
                        "load balancer {} is of type {other}; it was not converted",
                        lb_name(&lb.value)
                    ),
                ),
            }
        }
    }

    if needs_node_port {
        for obj in objects.iter_mut() {
            if obj.kind == "Service" && obj.metadata.name == svc_name {
                obj.body_mut()["spec"]["type"] = json!("NodePort");
            }
        }
    }
    // Names: the app's name when it has one object of a kind, suffixed otherwise.
    let single = ingresses.len() == 1;
    let mut used = BTreeSet::new();
    for draft in ingresses {
        let base = if single {
            svc_name.clone()
        } else {
            format!("{svc_name}-{}", draft.suffix)
        };
        let name = unique(&names::dns_label(&base, "ingress"), &mut used);
        let mut meta = (ctx.meta)(&name);
        meta.annotations = draft.annotations;
        objects.push(Object::new(
            "networking.k8s.io/v1",
            "Ingress",
            meta,
            json!({ "spec": draft.spec }),
        ));
    }
    let single = tgbs.len() == 1;
    for (tg, mut obj) in tgbs {
        let base = if single {
            svc_name.clone()
        } else {
            format!("{svc_name}-{tg}")
        };
        obj.metadata.name = unique(&names::dns_label(&base, "targetgroupbinding"), &mut used);
        objects.push(obj);
    }
    for mut obj in others {
        obj.metadata.name = unique(&obj.metadata.name, &mut used);
        objects.push(obj);
    }
    readiness_gate
}

/// The ELBv2 input files that describe the service's target groups, their load balancers,
/// listeners and rules, sorted: the report lists them with the workload's inputs.
pub fn inputs_used(service: &Service, inputs: &Inputs) -> Vec<String> {
    let mut files = BTreeSet::new();
    for entry in &service.load_balancers {
        let Some(arn) = entry.target_group_arn.as_deref() else {
            continue;
        };
        for tg in inputs
            .target_groups
            .iter()
            .filter(|t| t.value.target_group_arn.as_deref() == Some(arn))
        {
            files.insert(tg.input.clone());
            for lb_arn in &tg.value.load_balancer_arns {
                for lb in inputs
                    .load_balancers
                    .iter()
                    .filter(|l| l.value.load_balancer_arn.as_ref() == Some(lb_arn))
                {
                    files.insert(lb.input.clone());
                }
                for l in inputs
                    .listeners
                    .iter()
                    .filter(|l| l.value.load_balancer_arn.as_ref() == Some(lb_arn))
                {
                    files.insert(l.input.clone());
                    for r in inputs.rules.iter().filter(|r| {
                        r.value.listener_arn().is_some()
                            && r.value.listener_arn() == l.value.listener_arn
                    }) {
                        files.insert(r.input.clone());
                    }
                }
            }
        }
    }
    files.into_iter().collect()
}

/// One target group of the service, and the Service port that reaches it.
struct Target<'a> {
    tg: &'a Sourced<TargetGroup>,
    svc: String,
    port: i64,
    /// bridge/host network mode: the targets are instances, reached through a NodePort.
    instance: bool,
    /// The Service's TCP port names by number.
    port_names: &'a [(i64, String)],
}

impl Target<'_> {
    /// `healthcheck-port`: with instance targets a port number would be a node port, so a port
    /// the pods expose is named after its Service port, which the controller maps to the
    /// NodePort.
    fn health_check_port(&self) -> Option<String> {
        let port = self.tg.value.health_check_port.clone()?;
        if !self.instance {
            return Some(port);
        }
        match port.parse::<i64>() {
            Ok(n) => Some(
                self.port_names
                    .iter()
                    .find(|(p, _)| *p == n)
                    .map_or(port, |(_, name)| name.clone()),
            ),
            Err(_) => Some(port),
        }
    }
}

/// An Ingress before it is named.
struct IngressDraft {
    suffix: String,
    annotations: Map,
    spec: Value,
}

fn unique(base: &str, used: &mut BTreeSet<String>) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while !used.insert(name.clone()) {
        name = format!("{}-{n}", &base[..base.len().min(58)]);
        n += 1;
    }
    name
}

/// The last two segments of an ARN (`targetgroup/name/id` → `name/id`), for messages.
fn short(arn: &str) -> &str {
    let mut it = arn.rmatch_indices('/');
    match (it.next(), it.next()) {
        (Some(_), Some((i, _))) => &arn[i + 1..],
        _ => arn,
    }
}

fn tg_name(tg: &TargetGroup) -> &str {
    tg.target_group_name
        .as_deref()
        .unwrap_or_else(|| short(tg.target_group_arn.as_deref().unwrap_or("?")))
}

fn lb_name(lb: &LoadBalancer) -> &str {
    lb.load_balancer_name
        .as_deref()
        .unwrap_or_else(|| short(lb.load_balancer_arn.as_deref().unwrap_or("?")))
}

/// A finding about a field of an ELBv2 input (not of the service).
fn push_at<T>(findings: &mut Findings, at: &Sourced<T>, field: &str, code: Code, message: String) {
    let mut f = Finding::new(code, join(&at.path, field), message);
    f.input = at.input.clone();
    findings.add(f);
}

// ----------------------------------------------------------------------------------------------
// Health check → readiness probe

/// The readiness probe that mirrors the target group's health check: same path, port,
/// protocol, interval, timeout and thresholds.
fn readiness_probe(
    tg: &TargetGroup,
    container_port: i64,
    at: &Sourced<TargetGroup>,
    findings: &mut Findings,
) -> Option<Probe> {
    if tg.health_check_enabled == Some(false) {
        return None;
    }
    let port = match tg.health_check_port.as_deref() {
        None | Some("traffic-port") => container_port,
        Some(p) => p.trim().parse().unwrap_or(container_port),
    };
    let protocol = tg
        .health_check_protocol
        .as_deref()
        .or(tg.protocol.as_deref())
        .unwrap_or("HTTP")
        .to_ascii_uppercase();
    let (http_get, tcp_socket) = match protocol.as_str() {
        "HTTP" | "HTTPS" => {
            let path = tg.health_check_path.as_deref().unwrap_or("/");
            let mut get = json!({ "path": path, "port": port });
            if protocol == "HTTPS" {
                get["scheme"] = json!("HTTPS");
            }
            if let Some(codes) = tg.matcher.as_ref().and_then(|m| m.http_code.as_deref())
                && !codes_within_probe_range(codes)
            {
                push_at(
                    findings,
                    at,
                    "Matcher.HttpCode",
                    Code::HealthCheckProbe,
                    format!(
                        "target group {} accepts HTTP codes {codes}; the readiness probe accepts 200-399",
                        tg_name(tg)
                    ),
                );
            }
            if tg.matcher.as_ref().is_some_and(|m| m.grpc_code.is_some()) {
                push_at(
                    findings,
                    at,
                    "Matcher.GrpcCode",
                    Code::HealthCheckProbe,
                    format!(
                        "target group {} checks gRPC codes; the readiness probe is an HTTP GET of {path}",
                        tg_name(tg)
                    ),
                );
            }
            (Some(get), None)
        }
        _ => (None, Some(json!({ "port": port }))),
    };
    Some(Probe {
        exec: None,
        http_get,
        tcp_socket,
        initial_delay_seconds: None,
        // ELBv2 defaults: 30 s interval, 5 s timeout, 5 healthy and 2 unhealthy checks.
        period_seconds: tg.health_check_interval_seconds.unwrap_or(30),
        timeout_seconds: tg.health_check_timeout_seconds.unwrap_or(5),
        success_threshold: Some(tg.healthy_threshold_count.unwrap_or(5)),
        failure_threshold: tg.unhealthy_threshold_count.unwrap_or(2),
    })
}

/// True when every code of a matcher ("200", "200-299", "200,302") is within 200-399.
fn codes_within_probe_range(codes: &str) -> bool {
    codes.split(',').all(|part| {
        part.split('-').all(|c| {
            c.trim()
                .parse::<i64>()
                .is_ok_and(|n| (200..400).contains(&n))
        })
    })
}

// ----------------------------------------------------------------------------------------------
// Path patterns, hosts and conditions

/// ALB path-pattern values (ORed) → Ingress `(path, pathType)`s, read exactly as the controller
/// writes them back: `Exact /x` → `/x`; `Prefix /x` → `/x` and `/x/*`; `Prefix /` → `/*`;
/// `ImplementationSpecific` → the pattern as is, wildcards included. Values that no request path
/// can match (not starting with `/`, `*` or `?`) are returned apart.
pub fn path_types(values: &[String]) -> (Vec<(String, &'static str)>, Vec<String>) {
    let mut dropped = Vec::new();
    let mut normalised: Vec<String> = Vec::new();
    for v in values {
        // Request paths start with `/`: a leading `*` matches it, a leading `?` is it.
        let v = if v.starts_with('/') {
            v.clone()
        } else if v.starts_with('*') {
            format!("/{v}")
        } else if let Some(rest) = v.strip_prefix('?') {
            format!("/{rest}")
        } else {
            dropped.push(v.clone());
            continue;
        };
        if !normalised.contains(&v) {
            normalised.push(v);
        }
    }
    let wild = |s: &str| s.contains('*') || s.contains('?');
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let mut consumed = vec![false; normalised.len()];
    for (i, v) in normalised.iter().enumerate() {
        if consumed[i] {
            continue;
        }
        if v == "/*" {
            out.push(("/".to_string(), "Prefix"));
            continue;
        }
        if !wild(v) {
            // `/x` together with `/x/*` is exactly `Prefix /x`.
            let star = format!("{}/*", v.trim_end_matches('/'));
            if !v.ends_with('/')
                && let Some(j) = normalised.iter().position(|o| *o == star)
            {
                consumed[j] = true;
                out.push((v.clone(), "Prefix"));
            } else {
                out.push((v.clone(), "Exact"));
            }
            continue;
        }
        // `/x/*` whose `/x` comes first was consumed above; one that comes later pairs here.
        if let Some(base) = v.strip_suffix("/*")
            && !wild(base)
            && !base.is_empty()
            && let Some(j) = normalised.iter().position(|o| o == base)
            && !consumed[j]
        {
            consumed[j] = true;
            out.push((base.to_string(), "Prefix"));
            continue;
        }
        out.push((v.clone(), "ImplementationSpecific"));
    }
    (out, dropped)
}

/// A host the Ingress `host` field can hold: a DNS-1123 subdomain, or `*.` and one.
fn ingress_host(host: &str) -> Option<String> {
    let h = host.to_ascii_lowercase();
    let rest = h.strip_prefix("*.").unwrap_or(&h);
    let ok = !rest.is_empty()
        && rest.len() <= 253
        && rest.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    ok.then_some(h)
}

/// The routing of one listener rule, in Ingress terms.
#[derive(Debug, Default, PartialEq)]
pub struct Match {
    /// Hosts of the Ingress rules (one rule each; none: any host).
    pub hosts: Vec<String>,
    pub paths: Vec<(String, &'static str)>,
    /// The `conditions.<name>` annotation's entries (JSON objects).
    pub conditions: Vec<Value>,
    /// Path patterns left out (see `path_types`).
    pub dropped_paths: Vec<String>,
}

/// Conditions of a rule → Ingress hosts and paths, and the annotation conditions for the rest.
pub fn match_of(conditions: &[Condition]) -> Match {
    let mut m = Match::default();
    for c in conditions {
        let values = c.values();
        match c.field() {
            "host-header" => {
                let hosts: Vec<Option<String>> = values.iter().map(|h| ingress_host(h)).collect();
                if hosts.iter().all(Option::is_some) {
                    m.hosts.extend(hosts.into_iter().flatten());
                } else {
                    // Wildcards the Ingress cannot hold: the whole condition goes to the
                    // annotation, which the controller ORs with the (now empty) spec hosts.
                    m.conditions.push(json!({
                        "field": "host-header",
                        "hostHeaderConfig": { "values": values },
                    }));
                }
            }
            "path-pattern" => {
                let (paths, dropped) = path_types(&values);
                m.paths.extend(paths);
                m.dropped_paths.extend(dropped);
            }
            "http-header" => {
                let name = c
                    .http_header_config
                    .as_ref()
                    .and_then(|h| h.http_header_name.clone())
                    .unwrap_or_default();
                m.conditions.push(json!({
                    "field": "http-header",
                    "httpHeaderConfig": { "httpHeaderName": name, "values": values },
                }));
            }
            "query-string" => {
                let pairs: Vec<Value> = c
                    .query_string_config
                    .iter()
                    .flat_map(|q| &q.values)
                    .map(|kv| {
                        let mut o = serde_json::Map::new();
                        if let Some(k) = &kv.key {
                            o.insert("key".into(), json!(k));
                        }
                        o.insert("value".into(), json!(kv.value.clone().unwrap_or_default()));
                        Value::Object(o)
                    })
                    .collect();
                m.conditions.push(json!({
                    "field": "query-string",
                    "queryStringConfig": { "values": pairs },
                }));
            }
            "http-request-method" => m.conditions.push(json!({
                "field": "http-request-method",
                "httpRequestMethodConfig": { "values": values },
            })),
            "source-ip" => m.conditions.push(json!({
                "field": "source-ip",
                "sourceIpConfig": { "values": values },
            })),
            _ => {}
        }
    }
    m
}

// ----------------------------------------------------------------------------------------------
// Application Load Balancers → Ingresses

/// A listener's rules as read, or its default action when describe-rules was not given.
fn listener_rules(inputs: &Inputs, listener: &Listener) -> (Vec<Rule>, bool) {
    let arn = listener.listener_arn.as_deref();
    let mut rules: Vec<Rule> = inputs
        .rules
        .iter()
        .filter(|r| r.value.listener_arn().as_deref() == arn)
        .map(|r| r.value.clone())
        .collect();
    let known = !rules.is_empty();
    if !rules.iter().any(Rule::is_default) {
        rules.push(Rule {
            priority: Some("default".into()),
            actions: listener.default_actions.clone(),
            is_default: Some(true),
            ..Rule::default()
        });
    }
    rules.sort_by_key(|r| r.priority_number().unwrap_or(i64::MAX));
    (rules, known)
}

/// The action that decides a rule's outcome (authentication actions come before it).
fn final_action(rule: &Rule) -> Option<&Action> {
    let mut actions: Vec<&Action> = rule.actions.iter().collect();
    actions.sort_by_key(|a| a.order.unwrap_or(i64::MAX));
    actions
        .into_iter()
        .find(|a| matches!(a.kind(), "forward" | "redirect" | "fixed-response"))
}

/// An HTTP listener whose only action redirects to HTTPS: `ssl-redirect` in the group.
fn ssl_redirect(inputs: &Inputs, listener: &Listener) -> Option<i64> {
    if !listener
        .protocol
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("HTTP"))
    {
        return None;
    }
    let (rules, _) = listener_rules(inputs, listener);
    if rules.len() != 1 {
        return None;
    }
    let action = final_action(&rules[0])?;
    let redirect = action.redirect_config.as_ref()?;
    if action.kind() != "redirect"
        || !redirect
            .protocol
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("HTTPS"))
    {
        return None;
    }
    let same = |v: &Option<String>, default: &str| v.as_deref().is_none_or(|s| s == default);
    (same(&redirect.host, "#{host}")
        && same(&redirect.path, "/#{path}")
        && same(&redirect.query, "#{query}"))
    .then(|| {
        redirect
            .port
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(443)
    })
}

/// `group.order` of each numbered rule of the ALB: its priority when all fit in 1..1000,
/// otherwise its rank.
fn group_orders(inputs: &Inputs, listeners: &[&Sourced<Listener>]) -> (Vec<i64>, bool) {
    let mut prios: BTreeSet<i64> = BTreeSet::new();
    for l in listeners {
        for r in listener_rules(inputs, &l.value).0 {
            if let Some(p) = r.priority_number() {
                prios.insert(p);
            }
        }
    }
    let prios: Vec<i64> = prios.into_iter().collect();
    let renumber = prios.last().is_some_and(|p| *p > 1000);
    (prios, renumber)
}

fn alb_routes(
    ctx: &Context<'_>,
    target: &Target<'_>,
    lb: &Sourced<LoadBalancer>,
    out: &mut Vec<IngressDraft>,
    findings: &mut Findings,
) {
    let inputs = ctx.inputs;
    let lb_arn = lb.value.load_balancer_arn.as_deref().unwrap_or("");
    let tg = &target.tg.value;
    let tg_arn = tg.target_group_arn.as_deref().unwrap_or("");
    let mut listeners: Vec<&Sourced<Listener>> = inputs
        .listeners
        .iter()
        .filter(|l| l.value.load_balancer_arn.as_deref() == Some(lb_arn))
        .collect();
    listeners.sort_by_key(|l| l.value.port);
    if listeners.is_empty() {
        push_at(
            findings,
            lb,
            "LoadBalancerArn",
            Code::LoadBalancerMissing,
            format!(
                "the listeners of load balancer {} are not in the inputs (aws elbv2 describe-listeners); its routing was not converted",
                lb_name(&lb.value)
            ),
        );
        return;
    }
    let owner = ctx.alb_owners.of_lb(lb_arn) == ctx.service.value.service_name.as_deref();
    let (prios, renumber) = group_orders(inputs, &listeners);
    if renumber && owner {
        push_at(
            findings,
            lb,
            "LoadBalancerArn",
            Code::GroupOrderRenumbered,
            format!(
                "load balancer {} has rule priorities above 1000; group.order holds their rank",
                lb_name(&lb.value)
            ),
        );
    }
    // HTTP listeners that only redirect to HTTPS become `ssl-redirect`.
    let redirects: Vec<(i64, i64)> = listeners
        .iter()
        .filter_map(|l| Some((l.value.port?, ssl_redirect(inputs, &l.value)?)))
        .collect();

    let mut lb_annotations = Map::new();
    lb_annotations.insert(
        format!("{ALB}group.name"),
        names::dns_label(lb_name(&lb.value), "alb"),
    );
    if let Some(scheme) = lb.value.scheme.as_deref() {
        lb_annotations.insert(format!("{ALB}scheme"), scheme.to_string());
    }
    if let Some(ip) = lb.value.ip_address_type.as_deref().filter(|t| *t != "ipv4") {
        lb_annotations.insert(format!("{ALB}ip-address-type"), ip.to_string());
    }
    if let Some(attrs) = pairs(&lb.value.attributes, &[ALB_DEFAULTS]) {
        lb_annotations.insert(format!("{ALB}load-balancer-attributes"), attrs);
    }
    let mut tg_annotations = Map::new();
    tg_annotations.insert(
        format!("{ALB}target-type"),
        if target.instance { "instance" } else { "ip" }.to_string(),
    );
    if tg.health_check_enabled != Some(false) {
        let hc = |k: &str, v: Option<String>, m: &mut Map| {
            if let Some(v) = v {
                m.insert(format!("{ALB}{k}"), v);
            }
        };
        let hc_protocol = tg
            .health_check_protocol
            .clone()
            .filter(|p| p == "HTTP" || p == "HTTPS");
        hc(
            "healthcheck-path",
            tg.health_check_path.clone(),
            &mut tg_annotations,
        );
        hc(
            "healthcheck-port",
            target.health_check_port(),
            &mut tg_annotations,
        );
        hc("healthcheck-protocol", hc_protocol, &mut tg_annotations);
        let n = |v: Option<i64>| v.map(|n| n.to_string());
        hc(
            "healthcheck-interval-seconds",
            n(tg.health_check_interval_seconds),
            &mut tg_annotations,
        );
        hc(
            "healthcheck-timeout-seconds",
            n(tg.health_check_timeout_seconds),
            &mut tg_annotations,
        );
        hc(
            "healthy-threshold-count",
            n(tg.healthy_threshold_count),
            &mut tg_annotations,
        );
        hc(
            "unhealthy-threshold-count",
            n(tg.unhealthy_threshold_count),
            &mut tg_annotations,
        );
        let codes = tg
            .matcher
            .as_ref()
            .and_then(|m| m.http_code.clone().or_else(|| m.grpc_code.clone()));
        hc("success-codes", codes, &mut tg_annotations);
    }
    if tg.protocol.as_deref() == Some("HTTPS") {
        tg_annotations.insert(format!("{ALB}backend-protocol"), "HTTPS".into());
    }
    if let Some(v) = tg.protocol_version.as_deref().filter(|v| *v != "HTTP1") {
        tg_annotations.insert(format!("{ALB}backend-protocol-version"), v.to_string());
    }
    let tg_defaults = [TARGET_GROUP_HEALTH_DEFAULTS, ALB_TARGET_GROUP_DEFAULTS];
    if let Some(attrs) = pairs(&tg.attributes, &tg_defaults) {
        tg_annotations.insert(format!("{ALB}target-group-attributes"), attrs);
    }

    let mut routed = false;
    for listener in &listeners {
        let l = &listener.value;
        let Some(port) = l.port else { continue };
        if redirects.iter().any(|(p, _)| *p == port) {
            continue;
        }
        let (rules, known) = listener_rules(inputs, l);
        if !known && owner {
            push_at(
                findings,
                listener,
                "ListenerArn",
                Code::ListenerRulesMissing,
                format!(
                    "the rules of listener {}:{port} of {} are not in the inputs; only its default action was read",
                    l.protocol.as_deref().unwrap_or("?"),
                    lb_name(&lb.value)
                ),
            );
        }
        for rule in &rules {
            let Some(action) = final_action(rule) else {
                continue;
            };
            let prio = rule.priority.as_deref().unwrap_or("default");
            let weighted = action.target_groups();
            let ours = weighted.iter().any(|(a, _)| a == tg_arn);
            let backend = match action.kind() {
                "forward" if ours => {
                    routed = true;
                    if weighted.len() == 1 {
                        Backend::Service
                    } else {
                        // The target group with the largest weight carries the rule.
                        let first_max = weighted
                            .iter()
                            .max_by_key(|(a, w)| (*w, std::cmp::Reverse(a.clone())))
                            .map(|(a, _)| a.as_str());
                        if first_max != Some(tg_arn) {
                            continue;
                        }
                        let stick = action
                            .forward_config
                            .as_ref()
                            .and_then(|f| f.target_group_stickiness_config.as_ref());
                        Backend::Action(
                            names::dns1035_label(&format!("{}-weighted", target.svc), "weighted"),
                            weighted_action(target, &weighted, stick),
                        )
                    }
                }
                "redirect" | "fixed-response" if owner => {
                    let value = match action.kind() {
                        "redirect" => {
                            let r = action.redirect_config.clone().unwrap_or_default();
                            let c = set_fields([
                                ("host", r.host),
                                ("path", r.path),
                                ("port", r.port),
                                ("protocol", r.protocol),
                                ("query", r.query),
                                ("statusCode", r.status_code),
                            ]);
                            json!({ "type": "redirect", "redirectConfig": c })
                        }
                        _ => {
                            let r = action.fixed_response_config.clone().unwrap_or_default();
                            let c = set_fields([
                                ("contentType", r.content_type),
                                ("statusCode", r.status_code),
                                ("messageBody", r.message_body),
                            ]);
                            json!({ "type": "fixed-response", "fixedResponseConfig": c })
                        }
                    };
                    Backend::Action(
                        names::dns1035_label(&format!("{}-{port}-{prio}", action.kind()), "action"),
                        value,
                    )
                }
                _ => continue,
            };
            let rule_at = inputs
                .rules
                .iter()
                .find(|r| r.value.rule_arn.is_some() && r.value.rule_arn == rule.rule_arn);
            if rule
                .actions
                .iter()
                .any(|a| a.kind().starts_with("authenticate-"))
            {
                let (input, field) = match rule_at {
                    Some(r) => (r.input.clone(), join(&r.path, "Actions")),
                    None => (
                        listener.input.clone(),
                        join(&listener.path, "DefaultActions"),
                    ),
                };
                let mut f = Finding::new(
                    Code::RuleActionNotCarried,
                    field,
                    format!(
                        "rule {prio} of listener {port} authenticates users before forwarding; the authentication was not carried"
                    ),
                );
                f.input = input;
                findings.add(f);
            }
            if let Backend::Action(name, _) = &backend
                && action.kind() == "forward"
            {
                let (input, field) = match rule_at {
                    Some(r) => (r.input.clone(), join(&r.path, "Actions")),
                    None => (
                        listener.input.clone(),
                        join(&listener.path, "DefaultActions"),
                    ),
                };
                let mut f = Finding::new(
                    Code::WeightedForward,
                    field,
                    format!(
                        "rule {prio} of listener {port} splits traffic over {} target groups; annotation actions.{name} keeps the weights and names the other target groups by ARN",
                        weighted.len()
                    ),
                );
                f.input = input;
                findings.add(f);
            }
            let m = match_of(&rule.conditions);
            for p in &m.dropped_paths {
                let (input, field) = match rule_at {
                    Some(r) => (r.input.clone(), join(&r.path, "Conditions")),
                    None => (
                        listener.input.clone(),
                        join(&listener.path, "DefaultActions"),
                    ),
                };
                let mut f = Finding::new(
                    Code::PathPatternNotCarried,
                    field,
                    format!("path pattern {p:?} of rule {prio} was left out"),
                );
                f.input = input;
                findings.add(f);
            }
            // listen-ports: this listener, plus the HTTP listeners that redirect to it.
            let protocol = l.protocol.as_deref().unwrap_or("HTTP").to_ascii_uppercase();
            let mut listen: Vec<Value> = redirects
                .iter()
                .filter(|(_, to)| *to == port && protocol == "HTTPS")
                .map(|(from, _)| json!({ "HTTP": from }))
                .collect();
            listen.push(json!({ protocol.clone(): port }));
            let mut annotations = lb_annotations.clone();
            annotations.insert(
                format!("{ALB}listen-ports"),
                Value::Array(listen).to_string(),
            );
            if let Some((_, to)) = redirects.iter().find(|(_, to)| *to == port) {
                annotations.insert(format!("{ALB}ssl-redirect"), to.to_string());
            }
            if protocol == "HTTPS" {
                let certs: Vec<&str> = l
                    .certificates
                    .iter()
                    .filter_map(|c| c.certificate_arn.as_deref())
                    .collect();
                if !certs.is_empty() {
                    annotations.insert(format!("{ALB}certificate-arn"), certs.join(","));
                }
                if let Some(policy) = l.ssl_policy.as_deref() {
                    annotations.insert(format!("{ALB}ssl-policy"), policy.to_string());
                }
            }
            if let Some(p) = rule.priority_number() {
                let order = if renumber {
                    prios
                        .iter()
                        .position(|x| *x == p)
                        .map_or(p, |i| i as i64 + 1)
                } else {
                    p
                };
                annotations.insert(format!("{ALB}group.order"), order.min(1000).to_string());
            }
            let backend_name = match &backend {
                Backend::Service => {
                    annotations.extend(tg_annotations.clone());
                    target.svc.clone()
                }
                Backend::Action(name, value) => {
                    if action.kind() == "forward" {
                        annotations.extend(tg_annotations.clone());
                    }
                    annotations.insert(format!("{ALB}actions.{name}"), value.to_string());
                    name.clone()
                }
            };
            if !m.conditions.is_empty() {
                annotations.insert(
                    format!("{ALB}conditions.{backend_name}"),
                    Value::Array(m.conditions.clone()).to_string(),
                );
            }
            let backend_json = match &backend {
                Backend::Service => {
                    json!({ "service": { "name": target.svc, "port": { "number": target.port } } })
                }
                Backend::Action(name, _) => {
                    json!({ "service": { "name": name, "port": { "name": "use-annotation" } } })
                }
            };
            let spec = ingress_spec(rule, &m, backend_json);
            out.push(IngressDraft {
                suffix: format!("{port}-{prio}"),
                annotations,
                spec,
            });
        }
    }
    if !routed {
        push_at(
            findings,
            target.tg,
            "TargetGroupArn",
            Code::NoForwardingRule,
            format!(
                "no listener rule of {} in the inputs forwards to target group {}; no Ingress was made for it",
                lb_name(&lb.value),
                tg_name(tg)
            ),
        );
    }
}

enum Backend {
    Service,
    /// `actions.<name>` annotation: the name and its JSON value.
    Action(String, Value),
}

fn weighted_action(
    target: &Target<'_>,
    weighted: &[(String, i64)],
    stick: Option<&crate::model::elbv2::Stickiness>,
) -> Value {
    let tg_arn = target.tg.value.target_group_arn.as_deref().unwrap_or("");
    let groups: Vec<Value> = weighted
        .iter()
        .map(|(arn, w)| {
            if arn == tg_arn {
                json!({ "serviceName": target.svc, "servicePort": target.port.to_string(), "weight": w })
            } else {
                json!({ "targetGroupARN": arn, "weight": w })
            }
        })
        .collect();
    let mut forward = json!({ "targetGroups": groups });
    if let Some(s) = stick.filter(|s| s.enabled == Some(true)) {
        let mut c = json!({ "enabled": true });
        if let Some(d) = s.duration_seconds {
            c["durationSeconds"] = json!(d);
        }
        forward["targetGroupStickinessConfig"] = c;
    }
    json!({ "type": "forward", "forwardConfig": forward })
}

/// Attribute values AWS sets by default (Elastic Load Balancing user guides): describe-*-attributes
/// lists every attribute, and only those a team changed are worth carrying.
const TARGET_GROUP_HEALTH_DEFAULTS: &[(&str, &str)] = &[
    (
        "load_balancing.cross_zone.enabled",
        "use_load_balancer_configuration",
    ),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.count",
        "1",
    ),
    (
        "target_group_health.dns_failover.minimum_healthy_targets.percentage",
        "off",
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
        "1",
    ),
    (
        "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
        "off",
    ),
    ("deregistration_delay.timeout_seconds", "300"),
    ("stickiness.enabled", "false"),
];
const ALB_DEFAULTS: &[(&str, &str)] = &[
    ("access_logs.s3.enabled", "false"),
    ("client_keep_alive.seconds", "3600"),
    ("connection_logs.s3.enabled", "false"),
    ("deletion_protection.enabled", "false"),
    ("health_check_logs.s3.enabled", "false"),
    ("idle_timeout.timeout_seconds", "60"),
    ("load_balancing.cross_zone.enabled", "true"),
    ("routing.http.desync_mitigation_mode", "defensive"),
    ("routing.http.drop_invalid_header_fields.enabled", "false"),
    ("routing.http.preserve_host_header.enabled", "false"),
    (
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
        "false",
    ),
    ("routing.http.xff_client_port.enabled", "false"),
    ("routing.http.xff_header_processing.mode", "append"),
    ("routing.http2.enabled", "true"),
    ("waf.fail_open.enabled", "false"),
    ("zonal_shift.config.enabled", "false"),
];
const ALB_TARGET_GROUP_DEFAULTS: &[(&str, &str)] = &[
    ("stickiness.type", "lb_cookie"),
    ("stickiness.lb_cookie.duration_seconds", "86400"),
    ("stickiness.app_cookie.duration_seconds", "86400"),
    ("slow_start.duration_seconds", "0"),
    ("load_balancing.algorithm.type", "round_robin"),
    ("load_balancing.algorithm.anomaly_mitigation", "off"),
];
const NLB_DEFAULTS: &[(&str, &str)] = &[
    ("access_logs.s3.enabled", "false"),
    ("deletion_protection.enabled", "false"),
    ("load_balancing.cross_zone.enabled", "false"),
    ("dns_record.client_routing_policy", "any_availability_zone"),
    ("zonal_shift.config.enabled", "false"),
];
const NLB_TARGET_GROUP_DEFAULTS: &[(&str, &str)] = &[
    (
        "deregistration_delay.connection_termination.enabled",
        "false",
    ),
    ("proxy_protocol_v2.enabled", "false"),
    ("stickiness.type", "source_ip"),
    (
        "target_health_state.unhealthy.connection_termination.enabled",
        "true",
    ),
    (
        "target_health_state.unhealthy.draining_interval_seconds",
        "0",
    ),
];

/// `k=v,k2=v2`, the controller's string-map form, of the attributes that are set to something
/// other than empty or an AWS default; None when none is.
fn pairs(
    map: &std::collections::BTreeMap<String, String>,
    defaults: &[&[(&str, &str)]],
) -> Option<String> {
    let set: Vec<String> = map
        .iter()
        .filter(|(k, v)| {
            !v.is_empty()
                && !defaults
                    .iter()
                    .flat_map(|d| d.iter())
                    .any(|(dk, dv)| dk == k && dv == v)
        })
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    (!set.is_empty()).then(|| set.join(","))
}

/// The Ingress spec of one rule: a default backend for a listener's default action, or one
/// Ingress rule per host (one without host when the rule matches any host).
fn ingress_spec(rule: &Rule, m: &Match, backend: Value) -> Value {
    if rule.is_default() && m.hosts.is_empty() && m.paths.is_empty() && m.conditions.is_empty() {
        return json!({ "ingressClassName": "alb", "defaultBackend": backend });
    }
    let paths: Vec<(String, &str)> = if m.paths.is_empty() {
        vec![("/".to_string(), "Prefix")]
    } else {
        m.paths.clone()
    };
    let http = json!({
        "paths": paths
            .iter()
            .map(|(p, t)| json!({ "path": p, "pathType": t, "backend": backend }))
            .collect::<Vec<_>>()
    });
    let rules: Vec<Value> = if m.hosts.is_empty() {
        vec![json!({ "http": http })]
    } else {
        m.hosts
            .iter()
            .map(|h| json!({ "host": h, "http": http }))
            .collect()
    };
    json!({ "ingressClassName": "alb", "rules": rules })
}

// ----------------------------------------------------------------------------------------------
// Network Load Balancers → LoadBalancer Services

fn nlb_service(
    ctx: &Context<'_>,
    target: &Target<'_>,
    lb: &Sourced<LoadBalancer>,
    findings: &mut Findings,
) -> Option<Object> {
    let lb_arn = lb.value.load_balancer_arn.as_deref().unwrap_or("");
    let tg = &target.tg.value;
    let tg_arn = tg.target_group_arn.as_deref().unwrap_or("");
    let listeners: Vec<&Sourced<Listener>> = ctx
        .inputs
        .listeners
        .iter()
        .filter(|l| l.value.load_balancer_arn.as_deref() == Some(lb_arn))
        .filter(|l| {
            l.value
                .default_actions
                .iter()
                .any(|a| a.target_groups().iter().any(|(arn, _)| arn == tg_arn))
        })
        .collect();
    if listeners.is_empty() {
        push_at(
            findings,
            target.tg,
            "TargetGroupArn",
            Code::NoForwardingRule,
            format!(
                "no listener of {} in the inputs forwards to target group {}; no Service was made for it",
                lb_name(&lb.value),
                tg_name(tg)
            ),
        );
        return None;
    }
    let mut annotations = Map::new();
    let mut a = |k: &str, v: String| {
        annotations.insert(format!("{NLB}{k}"), v);
    };
    a(
        "aws-load-balancer-nlb-target-type",
        if target.instance { "instance" } else { "ip" }.into(),
    );
    if let Some(s) = lb.value.scheme.as_deref() {
        a("aws-load-balancer-scheme", s.into());
    }
    if let Some(ip) = lb.value.ip_address_type.as_deref().filter(|t| *t != "ipv4") {
        a("aws-load-balancer-ip-address-type", ip.into());
    }
    if tg.health_check_enabled != Some(false) {
        if let Some(p) = tg.health_check_protocol.as_deref() {
            a(
                "aws-load-balancer-healthcheck-protocol",
                p.to_ascii_lowercase(),
            );
        }
        if let Some(p) = tg.health_check_port.clone() {
            a("aws-load-balancer-healthcheck-port", p);
        }
        let http = tg
            .health_check_protocol
            .as_deref()
            .is_some_and(|p| p.starts_with("HTTP"));
        if http {
            if let Some(p) = tg.health_check_path.clone() {
                a("aws-load-balancer-healthcheck-path", p);
            }
            if let Some(c) = tg.matcher.as_ref().and_then(|m| m.http_code.clone()) {
                a("aws-load-balancer-healthcheck-success-codes", c);
            }
        }
        for (k, v) in [
            (
                "aws-load-balancer-healthcheck-interval",
                tg.health_check_interval_seconds,
            ),
            (
                "aws-load-balancer-healthcheck-timeout",
                tg.health_check_timeout_seconds,
            ),
            (
                "aws-load-balancer-healthcheck-healthy-threshold",
                tg.healthy_threshold_count,
            ),
            (
                "aws-load-balancer-healthcheck-unhealthy-threshold",
                tg.unhealthy_threshold_count,
            ),
        ] {
            if let Some(v) = v {
                a(k, v.to_string());
            }
        }
    }
    if let Some(attrs) = pairs(&lb.value.attributes, &[NLB_DEFAULTS]) {
        a("aws-load-balancer-attributes", attrs);
    }
    let tg_defaults = [TARGET_GROUP_HEALTH_DEFAULTS, NLB_TARGET_GROUP_DEFAULTS];
    if let Some(attrs) = pairs(&tg.attributes, &tg_defaults) {
        a("aws-load-balancer-target-group-attributes", attrs);
    }
    let mut ports = Vec::new();
    let mut tls_ports = Vec::new();
    let mut certs: Vec<String> = Vec::new();
    let mut policy = None;
    for l in &listeners {
        let Some(port) = l.value.port else { continue };
        let protocol = l
            .value
            .protocol
            .as_deref()
            .unwrap_or("TCP")
            .to_ascii_uppercase();
        let protocols: &[&str] = match protocol.as_str() {
            "UDP" => &["UDP"],
            "TCP_UDP" => &["TCP", "UDP"],
            _ => &["TCP"],
        };
        if protocol == "TLS" {
            tls_ports.push(port.to_string());
            certs.extend(
                l.value
                    .certificates
                    .iter()
                    .filter_map(|c| c.certificate_arn.clone()),
            );
            policy = policy.or(l.value.ssl_policy.clone());
        }
        for p in protocols {
            ports.push(json!({
                "name": format!("{}-{port}", p.to_ascii_lowercase()),
                "port": port,
                "targetPort": target.port,
                "protocol": p,
            }));
        }
    }
    if !tls_ports.is_empty() {
        certs.dedup();
        a("aws-load-balancer-ssl-cert", certs.join(","));
        a("aws-load-balancer-ssl-ports", tls_ports.join(","));
        if let Some(p) = policy {
            a("aws-load-balancer-ssl-negotiation-policy", p);
        }
    }
    let eips: Vec<&str> = lb
        .value
        .availability_zones
        .iter()
        .flat_map(|z| &z.load_balancer_addresses)
        .filter_map(|a| a.allocation_id.as_deref())
        .collect();
    if !eips.is_empty() {
        push_at(
            findings,
            lb,
            "AvailabilityZones",
            Code::NlbSettings,
            format!(
                "load balancer {} holds Elastic IPs {}; they move to the new NLB only once the old one releases them (annotation {NLB}aws-load-balancer-eip-allocations, one per subnet)",
                lb_name(&lb.value),
                eips.join(", ")
            ),
        );
    }
    let name = names::dns1035_label(&format!("{}-nlb", target.svc), "service");
    let mut meta = (ctx.meta)(&name);
    meta.annotations = annotations;
    Some(Object::new(
        "v1",
        "Service",
        meta,
        json!({ "spec": {
            "type": "LoadBalancer",
            "loadBalancerClass": "service.k8s.aws/nlb",
            "selector": ctx.selector,
            "ports": ports,
        }}),
    ))
}

// ----------------------------------------------------------------------------------------------
// TargetGroupBinding mode

/// `(TargetGroupBinding, needs a NodePort Service)`; the name is set by the caller.
fn target_group_binding(
    ctx: &Context<'_>,
    target: &Target<'_>,
    lbs: &[&Sourced<LoadBalancer>],
    findings: &mut Findings,
    at: &str,
) -> (Object, bool) {
    let tg = &target.tg.value;
    // The binding must use the target group's own type; ECS set it when it was created.
    let target_type = match tg.target_type.as_deref() {
        Some("instance") => "instance",
        Some("ip") => "ip",
        _ if target.instance => "instance",
        _ => "ip",
    };
    let mut spec = json!({
        "serviceRef": { "name": target.svc, "port": target.port },
        "targetGroupARN": tg.target_group_arn,
        "targetType": target_type,
        // Without it the controller deregisters every target it did not register: the ECS
        // tasks would be drained the moment the binding is created.
        "multiClusterTargetGroup": true,
    });
    let groups: BTreeSet<&str> = lbs
        .iter()
        .flat_map(|lb| lb.value.security_groups.iter().map(String::as_str))
        .collect();
    if !groups.is_empty() {
        let from: Vec<Value> = groups
            .iter()
            .map(|g| json!({ "securityGroup": { "groupID": g } }))
            .collect();
        spec["networking"] = json!({ "ingress": [{
            "from": from,
            "ports": [{ "port": target.port, "protocol": "TCP" }],
        }]});
    }
    findings.push(
        Code::TargetGroupBindingCutover,
        join(at, "targetGroupArn"),
        format!(
            "the pods join target group {} next to the ECS tasks (TargetGroupBinding); cut over as MIGRATION_REPORT.md says",
            tg_name(tg)
        ),
    );
    let obj = Object::new(
        "elbv2.k8s.aws/v1beta1",
        "TargetGroupBinding",
        (ctx.meta)(&target.svc),
        json!({ "spec": spec }),
    );
    (obj, target_type == "instance")
}

/// The fields of an action annotation that are set, in the given order.
fn set_fields<const N: usize>(
    fields: [(&str, Option<String>); N],
) -> serde_json::Map<String, Value> {
    fields
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), json!(v?))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn path_pattern_to_path_type_table() {
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
        let cases: &[Case] = &[
            (&["/checkout", "/checkout/*"], &[("/checkout", "Prefix")]),
            (&["/checkout/*", "/checkout"], &[("/checkout", "Prefix")]),
            (&["/*"], &[("/", "Prefix")]),
            (&["/api"], &[("/api", "Exact")]),
            (&["/"], &[("/", "Exact")]),
            (&["/api/*"], &[("/api/*", "ImplementationSpecific")]),
            (&["/img/*.png"], &[("/img/*.png", "ImplementationSpecific")]),
            (&["/v?/users"], &[("/v?/users", "ImplementationSpecific")]),
            (
                &["/a/", "/a/*"],
                &[("/a/", "Exact"), ("/a/*", "ImplementationSpecific")],
            ),
            (&["*.jpg"], &[("/*.jpg", "ImplementationSpecific")]),
            (&["/a", "/b", "/b/*"], &[("/a", "Exact"), ("/b", "Prefix")]),
        ];
        for (input, want) in cases {
            let (got, dropped) = path_types(&s(input));
            let want: Vec<(String, &str)> = want.iter().map(|(p, t)| (p.to_string(), *t)).collect();
            assert_eq!(got, want, "{input:?}");
            assert!(dropped.is_empty());
        }
        let (got, dropped) = path_types(&s(&["img", "/x"]));
        assert_eq!(got, vec![("/x".to_string(), "Exact")]);
        assert_eq!(dropped, ["img"]);
    }

    fn cond(json: &str) -> Condition {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn conditions_become_hosts_paths_and_annotation_conditions() {
        let m = match_of(&[
            cond(r#"{"Field":"host-header","Values":["Shop.Example.com"]}"#),
            cond(r#"{"Field":"path-pattern","PathPatternConfig":{"Values":["/api/cart/*"]}}"#),
            cond(
                r#"{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"X-Beta","Values":["on"]}}"#,
            ),
            cond(
                r#"{"Field":"query-string","QueryStringConfig":{"Values":[{"Key":"v","Value":"2"},{"Value":"x"}]}}"#,
            ),
            cond(
                r#"{"Field":"http-request-method","HttpRequestMethodConfig":{"Values":["GET","HEAD"]}}"#,
            ),
            cond(r#"{"Field":"source-ip","SourceIpConfig":{"Values":["10.0.0.0/8"]}}"#),
        ]);
        assert_eq!(m.hosts, ["shop.example.com"]);
        assert_eq!(
            m.paths,
            vec![("/api/cart/*".to_string(), "ImplementationSpecific")]
        );
        assert_eq!(
            Value::Array(m.conditions).to_string(),
            r#"[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-Beta","values":["on"]}},{"field":"query-string","queryStringConfig":{"values":[{"key":"v","value":"2"},{"value":"x"}]}},{"field":"http-request-method","httpRequestMethodConfig":{"values":["GET","HEAD"]}},{"field":"source-ip","sourceIpConfig":{"values":["10.0.0.0/8"]}}]"#
        );
    }

    #[test]
    fn hosts_the_ingress_cannot_hold_go_to_the_conditions() {
        let m = match_of(&[cond(
            r#"{"Field":"host-header","HostHeaderConfig":{"Values":["*.example.com","shop-?.example.com"]}}"#,
        )]);
        assert!(m.hosts.is_empty());
        assert_eq!(
            m.conditions[0]["hostHeaderConfig"]["values"][1],
            "shop-?.example.com"
        );
        let m = match_of(&[cond(
            r#"{"Field":"host-header","Values":["*.example.com"]}"#,
        )]);
        assert_eq!(m.hosts, ["*.example.com"]);
    }

    #[test]
    fn only_attributes_that_differ_from_the_aws_defaults_are_carried() {
        let attrs: std::collections::BTreeMap<String, String> = [
            ("idle_timeout.timeout_seconds", "120"),
            ("routing.http2.enabled", "true"),
            ("access_logs.s3.bucket", ""),
            ("deletion_protection.enabled", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            pairs(&attrs, &[ALB_DEFAULTS]).unwrap(),
            "deletion_protection.enabled=true,idle_timeout.timeout_seconds=120"
        );
        let defaults: std::collections::BTreeMap<String, String> = [(
            "deregistration_delay.timeout_seconds".to_string(),
            "300".to_string(),
        )]
        .into();
        assert_eq!(pairs(&defaults, &[TARGET_GROUP_HEALTH_DEFAULTS]), None);
    }

    #[test]
    fn matcher_codes_against_the_probe_range() {
        assert!(codes_within_probe_range("200-299"));
        assert!(codes_within_probe_range("200,302"));
        assert!(!codes_within_probe_range("200-499"));
        assert!(!codes_within_probe_range("404"));
    }

    #[test]
    fn readiness_probe_follows_the_health_check() {
        let tg: TargetGroup = serde_json::from_str(
            r#"{"HealthCheckProtocol":"HTTP","HealthCheckPort":"traffic-port","HealthCheckPath":"/health",
                "HealthCheckIntervalSeconds":15,"HealthCheckTimeoutSeconds":4,"HealthyThresholdCount":2,
                "UnhealthyThresholdCount":3,"Matcher":{"HttpCode":"200-499"}}"#,
        )
        .unwrap();
        let at = Sourced {
            input: "tg.json".into(),
            path: "TargetGroups[0]".into(),
            value: tg.clone(),
            findings: Vec::new(),
        };
        let mut f = Findings::default();
        let p = readiness_probe(&tg, 3000, &at, &mut f).unwrap();
        assert_eq!(
            p.http_get.unwrap(),
            json!({"path": "/health", "port": 3000})
        );
        assert_eq!(
            (
                p.period_seconds,
                p.timeout_seconds,
                p.success_threshold,
                p.failure_threshold
            ),
            (15, 4, Some(2), 3)
        );
        assert_eq!(f.list[0].code, Code::HealthCheckProbe);
        assert_eq!(f.list[0].input, "tg.json");
        let tcp: TargetGroup =
            serde_json::from_str(r#"{"HealthCheckProtocol":"TCP","HealthCheckPort":"1884"}"#)
                .unwrap();
        let p = readiness_probe(&tcp, 1883, &at, &mut f).unwrap();
        assert_eq!(p.tcp_socket.unwrap(), json!({"port": 1884}));
    }

    #[test]
    fn http_to_https_redirect_is_ssl_redirect() {
        let listener: Listener = serde_json::from_str(
            r##"{"ListenerArn":"l80","Protocol":"HTTP","Port":80,"DefaultActions":[{"Type":"redirect",
                "RedirectConfig":{"Protocol":"HTTPS","Port":"443","Host":"#{host}","Path":"/#{path}","Query":"#{query}","StatusCode":"HTTP_301"}}]}"##,
        )
        .unwrap();
        assert_eq!(ssl_redirect(&Inputs::default(), &listener), Some(443));
        let other: Listener = serde_json::from_str(
            r#"{"ListenerArn":"l80","Protocol":"HTTP","Port":80,"DefaultActions":[{"Type":"redirect",
                "RedirectConfig":{"Protocol":"HTTPS","Host":"www.example.com"}}]}"#,
        )
        .unwrap();
        assert_eq!(ssl_redirect(&Inputs::default(), &other), None);
    }
}
