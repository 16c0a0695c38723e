//! Load balancing: a service's `loadBalancers[]` → what the AWS Load Balancer Controller needs.
//!
//! In ECS the routing lives in the load balancer (listeners, rules, target groups), not in the
//! service, so this module reads the `aws elbv2 describe-*` inputs and, per target group:
//! - `ingress` mode: one `Ingress` per listener rule that forwards to it (so that `group.order`
//!   reproduces each rule's priority and `conditions.*` apply to that rule only), all Ingresses
//!   of one ALB in one IngressGroup (`alb`); a `LoadBalancer` Service for an NLB (`nlb`);
//! - `targetGroupBinding` mode: a `TargetGroupBinding` that registers the pods in the existing
//!   target group, for a zero-downtime cutover (`target_group_binding`).
//!
//! In both, the container behind the target group gets a readiness probe from the target
//! group's health check (`readiness`), and the namespace the label for pod readiness-gate
//! injection. This module walks the service's entries and names what they make.

mod alb;
mod certificates;
mod nlb;
mod readiness;
mod target_group_binding;

use super::passes::alb_ownership::AlbOwners;
use crate::diagnostics::{self, Code, Finding, Findings};
use crate::mappings::{Cluster, LoadBalancingMode, Mappings};
use crate::model::ecs::{Service, ServiceLoadBalancer, TaskDefinition};
use crate::model::elbv2::{LoadBalancer, TargetGroup};
use crate::model::fields::join;
use crate::model::k8s::{Container, Map, Object, ObjectMeta, PodSpec};
use crate::model::names::{self, NameContext};
use crate::model::read::{Inputs, Sourced};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The namespace label that makes the controller inject pod readiness gates.
pub const READINESS_GATE_LABEL: &str = "elbv2.k8s.aws/pod-readiness-gate-inject";

pub use alb::GROUP_MEMBER_LABEL;

/// What the workload's Namespace must say for its load balancing.
#[derive(Debug, Default)]
pub struct NamespaceNeeds {
    /// A target group registers the pods: the readiness-gate label.
    pub readiness_gate: bool,
    /// The fenced IngressGroups its Ingresses join: a member label each.
    pub ingress_groups: Vec<String>,
}

impl NamespaceNeeds {
    /// The labels, added to `labels`.
    pub fn label(&self, labels: &mut Map) {
        if self.readiness_gate {
            labels.insert(READINESS_GATE_LABEL.into(), "enabled".into());
        }
        for group in &self.ingress_groups {
            labels.insert(format!("{GROUP_MEMBER_LABEL}{group}"), "true".into());
        }
    }
}

/// What the workload needs to know about one service's load balancing.
pub struct Context<'a> {
    pub service: &'a Sourced<Service>,
    pub td: &'a TaskDefinition,
    pub inputs: &'a Inputs,
    pub alb_owners: &'a AlbOwners,
    pub mappings: &'a Mappings,
    /// The workload's names (environment, account, region) and its cluster: a target group or
    /// certificate of another account than the cluster's needs wiring or a finding.
    pub names: &'a NameContext<'a>,
    pub cluster: &'a Cluster,
    /// The app name: the Kubernetes Service (as a DNS-1035 label) is named after it.
    pub app: &'a str,
    /// Kubernetes names of the task definition's containers, in order.
    pub container_names: &'a [String],
    pub network_mode: &'a str,
    pub meta: &'a dyn Fn(&str) -> ObjectMeta,
    pub selector: &'a Map,
}

/// Adds the Ingresses (with their groups' fenced IngressClasses), NLB Services or
/// TargetGroupBindings of the service to `objects`, turns its Service into a NodePort one where
/// the targets are instances, and sets readiness probes. Returns what the namespace must say.
pub fn apply(
    ctx: &Context<'_>,
    pod: &mut PodSpec,
    objects: &mut Vec<Object>,
    findings: &mut Findings,
) -> NamespaceNeeds {
    let service = &ctx.service.value;
    let ecs_name = service.service_name.as_deref().unwrap_or(ctx.app);
    let entries = Entries {
        ctx,
        mode: ctx.mappings.load_balancing.mode_of(ecs_name),
        svc: names::dns1035_label(ctx.app, "service"),
        port_names: service_port_names(pod),
    };
    let mut made = Made::default();
    for (i, entry) in service.load_balancers.iter().enumerate() {
        let at = join(&ctx.service.path, &format!("loadBalancers[{i}]"));
        entries.convert(entry, &at, pod, &mut made, findings);
    }
    if made.needs_node_port {
        for obj in objects.iter_mut() {
            if obj.kind == "Service" && obj.metadata.name == entries.svc {
                obj.body_mut()["spec"]["type"] = json!("NodePort");
            }
        }
    }
    let needs = NamespaceNeeds {
        readiness_gate: made.readiness_gate,
        ingress_groups: made.groups.keys().cloned().collect(),
    };
    let before = objects.len();
    made.add_named(ctx, &entries.svc, objects);
    certificates::check(ctx, &objects[before..], findings);
    needs
}

/// The ELBv2 input files that describe the service's target groups, their load balancers,
/// listeners and rules, sorted: the report lists them with the workload's inputs.
pub fn inputs_used(service: &Service, inputs: &Inputs) -> Vec<Arc<str>> {
    let mut files: BTreeSet<&str> = BTreeSet::new();
    let arns = service
        .load_balancers
        .iter()
        .filter_map(|e| e.target_group_arn.as_deref());
    for tg in arns.flat_map(|arn| inputs.target_groups_at(arn)) {
        files.insert(&tg.input);
        for lb_arn in &tg.value.load_balancer_arns {
            files.extend(inputs.load_balancers_at(lb_arn).map(|lb| lb.input.as_str()));
            for l in inputs.listeners_of(lb_arn) {
                files.insert(&l.input);
                let rules = l.value.listener_arn.iter().flat_map(|a| inputs.rules_of(a));
                files.extend(rules.map(|r| r.input.as_str()));
            }
        }
    }
    files.into_iter().map(diagnostics::shared).collect()
}

/// The Service's TCP port names by number (network.rs names Service ports after container ports).
fn service_port_names(pod: &PodSpec) -> Vec<(i64, String)> {
    pod.init_containers
        .iter()
        .chain(pod.containers.iter())
        .flat_map(|c| &c.ports)
        .filter(|p| p.protocol == "TCP")
        .map(|p| (p.container_port, p.name.clone()))
        .collect()
}

/// What every `loadBalancers[]` entry of one service shares.
struct Entries<'a> {
    ctx: &'a Context<'a>,
    mode: LoadBalancingMode,
    /// The app's Service, through which the target groups reach the pods.
    svc: String,
    /// Its TCP port names by number.
    port_names: Vec<(i64, String)>,
}

/// What the service's entries make, before the objects are named.
#[derive(Default)]
struct Made {
    ingresses: Vec<alb::IngressDraft>,
    /// The fenced classes of the IngressGroups the Ingresses join, by group.
    groups: BTreeMap<String, alb::GroupClass>,
    /// Named after the app's Service already.
    nlb_services: Vec<Object>,
    /// Each with the name of its target group.
    bindings: Vec<(String, Object)>,
    /// A target group registers the pods: the namespace needs the readiness-gate label.
    readiness_gate: bool,
    /// Instance targets behind an ALB or a binding: the app's Service must be a NodePort one.
    needs_node_port: bool,
}

impl<'a> Entries<'a> {
    /// One entry: the container behind its target group gets the readiness probe, and each load
    /// balancer of the target group what it becomes.
    fn convert(
        &self,
        entry: &ServiceLoadBalancer,
        at: &str,
        pod: &mut PodSpec,
        made: &mut Made,
        findings: &mut Findings,
    ) {
        let Some(tg_arn) = entry.target_group_arn.as_deref().filter(|a| !a.is_empty()) else {
            if let Some(name) = entry.load_balancer_name.as_deref() {
                findings.push(
                    Code::ClassicLoadBalancer,
                    join(at, "loadBalancerName"),
                    format!("the service is registered in the Classic Load Balancer {name}; it was not converted"),
                );
            }
            return;
        };
        let port = entry.container_port.unwrap_or(0);
        let Some(container) = self.serving_container(entry, pod) else {
            findings.push(
                Code::ContainerPortMissing,
                at,
                format!(
                    "target group {} sends traffic to container {:?} port {port}, which the task definition does not expose; the load balancer was not converted",
                    short(tg_arn),
                    entry.container_name.as_deref().unwrap_or("")
                ),
            );
            return;
        };
        let Some(tg) = self.ctx.inputs.target_groups_at(tg_arn).next() else {
            findings.push(
                Code::TargetGroupMissing,
                join(at, "targetGroupArn"),
                format!(
                    "target group {} is not in the inputs: its routing and health check were not converted; the pods are reachable through Service {} port {port}",
                    short(tg_arn),
                    self.svc
                ),
            );
            return;
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
            return;
        }
        if let Some(probe) = readiness::readiness_probe(tg, port, findings)
            && container.readiness_probe.is_none()
        {
            container.readiness_probe = Some(probe);
        }
        made.readiness_gate = true;
        let target = Target {
            tg,
            svc: self.svc.clone(),
            port,
            instance: self.ctx.network_mode != "awsvpc",
            port_names: &self.port_names,
        };
        let lbs = self.load_balancers_of(tg, findings);
        self.route(&target, &lbs, at, made, findings);
    }

    /// The container and port the entry's target group sends traffic to; a sidecar that became
    /// a (restartable) init container serves traffic too.
    fn serving_container<'p>(
        &self,
        entry: &ServiceLoadBalancer,
        pod: &'p mut PodSpec,
    ) -> Option<&'p mut Container> {
        let ecs_container = entry.container_name.as_deref().unwrap_or("");
        let port = entry.container_port.unwrap_or(0);
        let index = self
            .ctx
            .td
            .container_definitions
            .iter()
            .position(|c| c.name.as_deref() == Some(ecs_container))?;
        let name = &self.ctx.container_names[index];
        pod.containers
            .iter_mut()
            .chain(pod.init_containers.iter_mut())
            .find(|c| c.name == *name && c.ports.iter().any(|p| p.container_port == port))
    }

    /// The target group's load balancers that are in the inputs; a finding for each that is not,
    /// and for a target group attached to none.
    fn load_balancers_of(
        &self,
        tg: &Sourced<TargetGroup>,
        findings: &mut Findings,
    ) -> Vec<&'a Sourced<LoadBalancer>> {
        let inputs = self.ctx.inputs;
        let mut lbs = Vec::new();
        for arn in &tg.value.load_balancer_arns {
            match inputs.load_balancers_at(arn).next() {
                Some(lb) => lbs.push(lb),
                None => {
                    let lost = if self.mode == LoadBalancingMode::TargetGroupBinding {
                        "the TargetGroupBinding opens no security group to it"
                    } else {
                        "its routing was not converted"
                    };
                    push_at(
                        findings,
                        tg,
                        "LoadBalancerArns",
                        Code::LoadBalancerMissing,
                        format!(
                            "load balancer {} of target group {} is not in the inputs; {lost}",
                            short(arn),
                            tg_name(&tg.value)
                        ),
                    );
                }
            }
        }
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
        lbs
    }

    /// What the target group's load balancers become in the service's mode.
    fn route(
        &self,
        target: &Target<'_>,
        lbs: &[&Sourced<LoadBalancer>],
        at: &str,
        made: &mut Made,
        findings: &mut Findings,
    ) {
        if self.mode == LoadBalancingMode::TargetGroupBinding {
            let (obj, node_port) =
                target_group_binding::binding(self.ctx, target, lbs, findings, at);
            made.needs_node_port |= node_port;
            made.bindings
                .push((tg_name(&target.tg.value).to_string(), obj));
            return;
        }
        for lb in lbs {
            match lb.value.kind.as_deref() {
                Some("network") => {
                    if let Some(obj) = nlb::nlb_service(self.ctx, target, lb, findings) {
                        made.nlb_services.push(obj);
                    }
                }
                Some("application") | None => {
                    made.needs_node_port |= target.instance;
                    let class =
                        alb::alb_routes(self.ctx, target, lb, &mut made.ingresses, findings);
                    if let Some(class) = class {
                        made.groups.entry(class.group.clone()).or_insert(class);
                    }
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
}

impl Made {
    /// Names the objects and adds them to `objects`: after the app's Service when there is one
    /// object of a kind, suffixed otherwise; no two alike.
    fn add_named(self, ctx: &Context<'_>, svc_name: &str, objects: &mut Vec<Object>) {
        let mut used = BTreeSet::new();
        let single = self.ingresses.len() == 1;
        for draft in self.ingresses {
            let base = if single {
                svc_name.to_string()
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
        let single = self.bindings.len() == 1;
        for (tg, mut obj) in self.bindings {
            let base = if single {
                svc_name.to_string()
            } else {
                format!("{svc_name}-{tg}")
            };
            obj.metadata.name = unique(&names::dns_label(&base, "targetgroupbinding"), &mut used);
            objects.push(obj);
        }
        for mut obj in self.nlb_services {
            obj.metadata.name = unique(&obj.metadata.name, &mut used);
            objects.push(obj);
        }
        for class in self.groups.into_values() {
            objects.extend(group_class_objects(ctx, class));
        }
    }
}

/// A group's IngressClassParams and the IngressClass that points to them, both named after the
/// group. Cluster-scoped and shared by the group's apps: no namespace, no app label (the pass
/// after the apps writes each once, as a platform object).
fn group_class_objects(ctx: &Context<'_>, class: alb::GroupClass) -> [Object; 2] {
    let meta = || {
        let mut meta = (ctx.meta)(&class.group);
        meta.namespace = None;
        meta.labels.remove("app.kubernetes.io/name");
        meta
    };
    let mut params_meta = meta();
    params_meta.annotations.insert(
        "ecs2eks.io/source-load-balancer".into(),
        class.load_balancer_arn,
    );
    let params = Object::new(
        "elbv2.k8s.aws/v1beta1",
        "IngressClassParams",
        params_meta,
        json!({ "spec": class.params }),
    );
    let spec = json!({
        "controller": "ingress.k8s.aws/alb",
        "parameters": { "apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": class.group },
    });
    let ingress_class = Object::new(
        "networking.k8s.io/v1",
        "IngressClass",
        meta(),
        json!({ "spec": spec }),
    );
    [params, ingress_class]
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
    fn arn(&self) -> &str {
        self.tg.value.target_group_arn.as_deref().unwrap_or("")
    }

    /// The controller's `target-type` of an Ingress or NLB Service.
    fn target_type(&self) -> &'static str {
        if self.instance { "instance" } else { "ip" }
    }
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

/// No listener (rule) of `lb` forwards to the target group: no `kind` of the service is made for
/// it.
fn unrouted(
    findings: &mut Findings,
    target: &Target<'_>,
    lb: &LoadBalancer,
    forwarder: &str,
    kind: &str,
) {
    push_at(
        findings,
        target.tg,
        "TargetGroupArn",
        Code::NoForwardingRule,
        format!(
            "no {forwarder} of {} in the inputs forwards to target group {}; no {kind} was made for it",
            lb_name(lb),
            tg_name(&target.tg.value)
        ),
    );
}

/// Sets the annotations `prefix` + key of the values that are there.
fn annotate<'k>(
    annotations: &mut Map,
    prefix: &str,
    values: impl IntoIterator<Item = (&'k str, Option<String>)>,
) {
    for (key, value) in values {
        if let Some(value) = value {
            annotations.insert(format!("{prefix}{key}"), value);
        }
    }
}

/// Attribute values AWS sets by default (Elastic Load Balancing user guides): describe-*-attributes
/// lists every attribute, and only those a team changed are worth carrying. These are the target
/// group attributes of both ALBs and NLBs; `alb` and `nlb` hold the rest.
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

/// The attributes that are set to something other than empty or an AWS default, sorted.
fn set_attributes<'m>(
    map: &'m BTreeMap<String, String>,
    defaults: &[&[(&str, &str)]],
) -> Vec<(&'m str, &'m str)> {
    map.iter()
        .filter(|(k, v)| {
            !v.is_empty()
                && !defaults
                    .iter()
                    .flat_map(|d| d.iter())
                    .any(|(dk, dv)| dk == k && dv == v)
        })
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// `k=v,k2=v2`, the controller's string-map form, of `set_attributes`; None when none is set.
fn pairs(map: &BTreeMap<String, String>, defaults: &[&[(&str, &str)]]) -> Option<String> {
    let set: Vec<String> = set_attributes(map, defaults)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    (!set.is_empty()).then(|| set.join(","))
}

/// An ELBv2 input as if read from `input` at `path`.
#[cfg(test)]
fn sourced<T: serde::de::DeserializeOwned>(input: &str, path: &str, json: &str) -> Sourced<T> {
    Sourced {
        input: input.into(),
        path: path.into(),
        value: serde_json::from_str(json).unwrap(),
        findings: Vec::new(),
    }
}
