//! Placement: where and how the pod runs on a node: host namespaces, network mode and the launch
//! type (`platform` has OS and architecture); and from the service and task placement rules, capacity
//! (spot or on-demand) as node affinity, spread as topology spread constraints, and `memberOf`
//! constraints as node affinity where Kubernetes node labels can say the same.

use crate::diagnostics::{Code, Finding, Findings};
use crate::mappings::{CapacityTypeLabel, Placement};
use crate::model::ecs::{
    CapacityProviderStrategyItem, PlacementConstraint, Service, TaskDefinition,
};
use crate::model::fields::join;
use crate::model::k8s::{Container, Map, PodSpec};
use serde_json::{Value, json};

/// What the task definition says about the pod's namespaces: network, PID and IPC modes; and
/// that its execution role is not the pods'.
pub fn apply(td: &TaskDefinition, td_path: &str, pod: &mut PodSpec, findings: &mut Findings) {
    host_namespaces(td, td_path, pod, findings);
    if let Some(role) = td.execution_role_arn.as_deref().filter(|r| !r.is_empty()) {
        findings.push(
            Code::ExecutionRole,
            join(td_path, "executionRoleArn"),
            format!("execution role {role} is not used by pods"),
        );
    }
}

/// Network, PID and IPC modes: the host's namespaces, or the pod's own.
fn host_namespaces(td: &TaskDefinition, td_path: &str, pod: &mut PodSpec, findings: &mut Findings) {
    let mode = super::platform::network_mode(td);
    let at = join(td_path, "networkMode");
    let unset = td.network_mode.as_deref().is_none_or(str::is_empty);
    match mode {
        "awsvpc" => {}
        "bridge" if unset => findings.push(
            Code::NetworkMode,
            &at,
            "no network mode (bridge on EC2) became the pod's own network",
        ),
        "host" => {
            pod.host_network = true;
            findings.push(
                Code::NamespaceMode,
                &at,
                "network mode host became hostNetwork: true",
            );
        }
        other => findings.push(
            Code::NetworkMode,
            &at,
            format!("network mode {other} became the pod's own network"),
        ),
    }
    match td.pid_mode.as_deref() {
        Some("task") => pod.share_process_namespace = true,
        Some("host") => {
            pod.host_pid = true;
            findings.push(
                Code::NamespaceMode,
                join(td_path, "pidMode"),
                "pid mode host became hostPID: true",
            );
        }
        _ => {}
    }
    match td.ipc_mode.as_deref() {
        Some("host") => {
            pod.host_ipc = true;
            findings.push(
                Code::NamespaceMode,
                join(td_path, "ipcMode"),
                "ipc mode host became hostIPC: true",
            );
        }
        Some("none") => findings.push(
            Code::NamespaceMode,
            join(td_path, "ipcMode"),
            "ipc mode none: containers of a pod always share IPC",
        ),
        _ => {}
    }
}

/// The launch type (from the service, else the task's compatibilities): capacity is the cluster's.
/// `td` and `service` come with their input file and JSON path.
pub fn launch_type(
    td: (&TaskDefinition, &str, &str),
    service: Option<(&Service, &str, &str)>,
    findings: &mut Findings,
) {
    let from_service = service.and_then(|(s, input, p)| {
        s.launch_type
            .as_deref()
            .filter(|l| !l.is_empty())
            .map(|l| (l.to_string(), input, join(p, "launchType")))
    });
    let (t, td_input, td_path) = td;
    let launch = from_service.or_else(|| {
        (!t.requires_compatibilities.is_empty()).then(|| {
            (
                t.requires_compatibilities.join(", "),
                td_input,
                join(td_path, "requiresCompatibilities"),
            )
        })
    });
    if let Some((kind, input, at)) = launch {
        let mut f = Finding::new(
            Code::LaunchType,
            at,
            format!("launch type {kind}: pods run where the cluster puts them"),
        );
        f.input = input.to_string();
        findings.add(f);
    }
}

/// Where the placement rules come from, with their files and JSON paths.
pub struct Rules<'a> {
    pub td: (&'a TaskDefinition, &'a str, &'a str),
    pub service: Option<(&'a Service, &'a str, &'a str)>,
    pub selector: &'a Map,
    pub mappings: &'a Placement,
}

/// Capacity provider strategy, placement strategy and placement constraints.
pub fn rules(r: &Rules<'_>, pod: &mut PodSpec, findings: &mut Findings) {
    if let Some((s, input, at)) = r.service {
        capacity(s, input, at, r.mappings.capacity_type_label, pod, findings);
        strategy(s, input, at, r.selector, pod, findings);
        for (i, c) in s.placement_constraints.iter().enumerate() {
            let here = join(at, &format!("placementConstraints[{i}]"));
            constraint(c, input, &here, r, pod, findings);
        }
    }
    let (td, input, at) = r.td;
    for (i, c) in td.placement_constraints.iter().enumerate() {
        let here = join(at, &format!("placementConstraints[{i}]"));
        constraint(c, input, &here, r, pod, findings);
    }
}

/// GPU node groups are commonly tainted `nvidia.com/gpu`: pods that ask for GPUs tolerate it,
/// when the mappings say so.
pub fn gpu_toleration(containers: &[Container], mappings: &Placement, pod: &mut PodSpec) {
    let gpu = containers
        .iter()
        .any(|c| c.resources.limits.contains_key("nvidia.com/gpu"));
    if gpu && mappings.gpu_toleration {
        pod.tolerations
            .push(json!({ "key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule" }));
    }
}

fn push_at(findings: &mut Findings, input: &str, code: Code, field: &str, message: String) {
    let mut f = Finding::new(code, field, message);
    f.input = input.to_string();
    findings.add(f);
}

fn is_spot(provider: &str) -> bool {
    provider.to_ascii_lowercase().contains("spot")
}

/// `FARGATE_SPOT` or a spot EC2 provider → node affinity on the capacity-type label: required
/// when every provider is spot, preferred by weight when spot and on-demand are mixed.
fn capacity(
    s: &Service,
    input: &str,
    at: &str,
    label: CapacityTypeLabel,
    pod: &mut PodSpec,
    findings: &mut Findings,
) {
    let items = &s.capacity_provider_strategy;
    if items.is_empty() {
        return;
    }
    let here = join(at, "capacityProviderStrategy");
    let (key, spot, _) = label.key_values();
    let any = |want_spot: bool| {
        items
            .iter()
            .any(|i| is_spot(i.capacity_provider.as_deref().unwrap_or("")) == want_spot)
    };
    if !any(true) {
        return;
    }
    if !any(false) {
        add_required(
            pod,
            json!({ "key": key, "operator": "In", "values": [spot] }),
        );
        push_at(
            findings,
            input,
            Code::SpotCapacity,
            &here,
            format!("every capacity provider is spot: required node affinity {key} In [{spot}]"),
        );
        return;
    }
    let parts = preferred_capacity(items, label, pod);
    push_at(
        findings,
        input,
        Code::SpotCapacity,
        &here,
        format!(
            "spot and on-demand providers: preferred node affinity on {key} ({})",
            parts.join(", ")
        ),
    );
    for (i, item) in items.iter().enumerate() {
        if let Some(base) = item.base.filter(|b| *b > 0) {
            push_at(
                findings,
                input,
                Code::CapacityBase,
                &join(&here, &format!("[{i}].base")),
                format!(
                    "base {base} on {} is only a preference",
                    item.capacity_provider.as_deref().unwrap_or("(unnamed)")
                ),
            );
        }
    }
}

/// Spot and on-demand providers mixed: preferred node affinity on each kind of capacity, by its
/// share of the weights. Returns `<value> weight <n>` of each preference.
fn preferred_capacity(
    items: &[CapacityProviderStrategyItem],
    label: CapacityTypeLabel,
    pod: &mut PodSpec,
) -> Vec<String> {
    let (key, spot, on_demand) = label.key_values();
    let weight = |want_spot: bool| -> i64 {
        items
            .iter()
            .filter(|i| is_spot(i.capacity_provider.as_deref().unwrap_or("")) == want_spot)
            .map(|i| i.weight.unwrap_or(0).max(0))
            .sum()
    };
    let (ws, wo) = (weight(true), weight(false));
    let total = (ws + wo).max(1);
    let pct = |w: i64| (w * 100 + total / 2) / total;
    let mut parts = Vec::new();
    for (w, value) in [(ws, spot), (wo, on_demand)] {
        let p = pct(w).clamp(1, 100);
        if w > 0 {
            add_preferred(
                pod,
                p,
                json!({ "key": key, "operator": "In", "values": [value] }),
            );
            parts.push(format!("{value} weight {p}"));
        }
    }
    // A base alone (weight 0) still says that kind of capacity is wanted.
    if wo == 0 {
        add_preferred(
            pod,
            1,
            json!({ "key": key, "operator": "In", "values": [on_demand] }),
        );
        parts.push(format!("{on_demand} weight 1"));
    }
    parts
}

fn strategy(
    s: &Service,
    input: &str,
    at: &str,
    selector: &Map,
    pod: &mut PodSpec,
    findings: &mut Findings,
) {
    for (i, p) in s.placement_strategy.iter().enumerate() {
        let here = join(at, &format!("placementStrategy[{i}]"));
        let kind = p.kind.as_deref().unwrap_or("").to_ascii_lowercase();
        let field = p.field.as_deref().unwrap_or("");
        match kind.as_str() {
            "spread" => {
                let key = match field.to_ascii_lowercase().as_str() {
                    "instanceid" | "host" => Some("kubernetes.io/hostname"),
                    f => f.strip_prefix("attribute:").and_then(node_label),
                };
                let Some(key) = key else {
                    push_at(
                        findings,
                        input,
                        Code::PlacementNotExpressible,
                        &here,
                        format!("spread over {field} has no node label"),
                    );
                    continue;
                };
                if pod
                    .topology_spread_constraints
                    .iter()
                    .any(|t| t["topologyKey"] == key)
                {
                    continue;
                }
                pod.topology_spread_constraints.push(json!({
                    "maxSkew": 1,
                    "topologyKey": key,
                    "whenUnsatisfiable": "ScheduleAnyway",
                    "labelSelector": { "matchLabels": selector },
                }));
                push_at(
                    findings,
                    input,
                    Code::TopologySpread,
                    &here,
                    format!("spread over {field} became a topology spread on {key}"),
                );
            }
            _ => push_at(
                findings,
                input,
                Code::PackingStrategy,
                &here,
                format!(
                    "{kind} placement{} was not carried",
                    if field.is_empty() {
                        String::new()
                    } else {
                        format!(" on {field}")
                    }
                ),
            ),
        }
    }
}

/// The node label of an ECS built-in attribute (`ecs.availability-zone` …).
fn node_label(attribute: &str) -> Option<&'static str> {
    match attribute {
        "ecs.availability-zone" => Some("topology.kubernetes.io/zone"),
        "ecs.instance-type" => Some("node.kubernetes.io/instance-type"),
        "ecs.os-type" => Some("kubernetes.io/os"),
        "ecs.cpu-architecture" => Some("kubernetes.io/arch"),
        _ => None,
    }
}

/// ECS attribute values as Kubernetes labels carry them.
fn label_value(key: &str, value: &str) -> String {
    match (key, value.to_ascii_lowercase().as_str()) {
        ("kubernetes.io/arch", "x86_64") => "amd64".into(),
        ("kubernetes.io/os" | "kubernetes.io/arch", v) => v.to_string(),
        _ => value.to_string(),
    }
}

fn constraint(
    c: &PlacementConstraint,
    input: &str,
    at: &str,
    r: &Rules<'_>,
    pod: &mut PodSpec,
    findings: &mut Findings,
) {
    let kind = c.kind.as_deref().unwrap_or("");
    if kind.eq_ignore_ascii_case("distinctInstance") {
        add_anti_affinity(pod, r.selector);
        push_at(
            findings,
            input,
            Code::TopologySpread,
            at,
            "distinctInstance became required pod anti-affinity on kubernetes.io/hostname".into(),
        );
        return;
    }
    let expression = c.expression.as_deref().unwrap_or("");
    match member_of(expression, r.mappings.capacity_type_label) {
        Ok(exprs) => {
            let text: Vec<String> = exprs
                .iter()
                .map(|e| {
                    let values: Vec<&str> = e["values"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    format!(
                        "{} {} [{}]",
                        e["key"].as_str().unwrap_or(""),
                        e["operator"].as_str().unwrap_or(""),
                        values.join(", ")
                    )
                })
                .collect();
            for e in exprs {
                add_required(pod, e);
            }
            push_at(
                findings,
                input,
                Code::PlacementAffinity,
                at,
                format!(
                    "memberOf({expression}) became required node affinity ({})",
                    text.join(", ")
                ),
            );
        }
        Err(why) => push_at(
            findings,
            input,
            Code::PlacementNotExpressible,
            at,
            format!("memberOf({expression}): {why}"),
        ),
    }
}

/// Node selector requirements for a `memberOf` expression of `and`-joined
/// `attribute:<name> <op> <value>` terms, or why there are none.
fn member_of(expression: &str, label: CapacityTypeLabel) -> Result<Vec<Value>, String> {
    let mut out = Vec::new();
    if expression.contains(" or ") || expression.contains("||") {
        return Err("`or` needs several node selector terms; write them by hand".into());
    }
    for term in expression.split(" and ").flat_map(|t| t.split("&&")) {
        let term = term
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .trim();
        let Some(rest) = term.strip_prefix("attribute:") else {
            return Err(format!(
                "`{term}` is not a node attribute (task groups have no node label)"
            ));
        };
        let mut parts = rest.splitn(2, char::is_whitespace);
        let attribute = parts.next().unwrap_or("");
        let tail = parts.next().unwrap_or("").trim();
        let Some(key) = node_label(attribute) else {
            return Err(format!(
                "attribute {attribute} has no well-known node label; label the nodes and use nodeAffinity"
            ));
        };
        let (op, value) = tail
            .split_once(char::is_whitespace)
            .map(|(o, v)| (o, v.trim()))
            .unwrap_or((tail, ""));
        let list = |v: &str| -> Vec<String> {
            v.trim_start_matches(['[', '('])
                .trim_end_matches([']', ')'])
                .split(',')
                .map(|x| label_value(key, x.trim().trim_matches(['\'', '"'])))
                .filter(|x| !x.is_empty())
                .collect()
        };
        let requirement = match op.to_ascii_lowercase().as_str() {
            "==" | "equals" => json!({ "key": key, "operator": "In", "values": list(value) }),
            "!=" | "not_equals" => {
                json!({ "key": key, "operator": "NotIn", "values": list(value) })
            }
            "in" => json!({ "key": key, "operator": "In", "values": list(value) }),
            "not_in" => json!({ "key": key, "operator": "NotIn", "values": list(value) }),
            "exists" => json!({ "key": key, "operator": "Exists" }),
            "=~" => {
                let family = value.strip_suffix(".*").filter(|f| {
                    !f.is_empty() && f.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
                match (attribute, family, label) {
                    ("ecs.instance-type", Some(f), CapacityTypeLabel::Karpenter) => json!({
                        "key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": [f]
                    }),
                    _ => {
                        return Err(format!(
                            "the pattern {value} has no node label equivalent (node affinity matches exact values)"
                        ));
                    }
                }
            }
            other => return Err(format!("operator {other:?} is not supported")),
        };
        out.push(requirement);
    }
    if out.is_empty() {
        return Err("empty expression".into());
    }
    Ok(out)
}

fn affinity(pod: &mut PodSpec) -> &mut serde_json::Map<String, Value> {
    pod.affinity
        .get_or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("affinity is an object")
}

/// Required node affinity: one term whose expressions all hold (ECS constraints are ANDed).
fn add_required(pod: &mut PodSpec, expression: Value) {
    let node = affinity(pod)
        .entry("nodeAffinity")
        .or_insert_with(|| json!({}));
    let terms = node
        .as_object_mut()
        .expect("object")
        .entry("requiredDuringSchedulingIgnoredDuringExecution")
        .or_insert_with(|| json!({ "nodeSelectorTerms": [{ "matchExpressions": [] }] }));
    if let Some(list) = terms
        .pointer_mut("/nodeSelectorTerms/0/matchExpressions")
        .and_then(Value::as_array_mut)
        .filter(|l| !l.contains(&expression))
    {
        list.push(expression);
    }
}

fn add_preferred(pod: &mut PodSpec, weight: i64, expression: Value) {
    let node = affinity(pod)
        .entry("nodeAffinity")
        .or_insert_with(|| json!({}));
    let list = node
        .as_object_mut()
        .expect("object")
        .entry("preferredDuringSchedulingIgnoredDuringExecution")
        .or_insert_with(|| json!([]));
    if let Some(list) = list.as_array_mut() {
        list.push(json!({ "weight": weight, "preference": { "matchExpressions": [expression] } }));
    }
}

fn add_anti_affinity(pod: &mut PodSpec, selector: &Map) {
    affinity(pod).insert(
        "podAntiAffinity".into(),
        json!({ "requiredDuringSchedulingIgnoredDuringExecution": [{
            "labelSelector": { "matchLabels": selector },
            "topologyKey": "kubernetes.io/hostname",
        }]}),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ecs::{CapacityProviderStrategyItem, PlacementStrategy};

    fn item(name: &str, weight: i64, base: i64) -> CapacityProviderStrategyItem {
        CapacityProviderStrategyItem {
            capacity_provider: Some(name.into()),
            weight: Some(weight),
            base: Some(base),
        }
    }

    fn run(
        service: &Service,
        td: &TaskDefinition,
        label: CapacityTypeLabel,
    ) -> (PodSpec, Vec<String>) {
        let selector: Map = [("app.kubernetes.io/name".to_string(), "web".to_string())].into();
        let mappings = Placement {
            capacity_type_label: label,
            ..Placement::default()
        };
        let r = Rules {
            td: (td, "td.json", "taskDefinition"),
            service: Some((service, "s.json", "service")),
            selector: &selector,
            mappings: &mappings,
        };
        let mut pod = PodSpec::default();
        let mut findings = Findings::default();
        rules(&r, &mut pod, &mut findings);
        (
            pod,
            findings
                .list
                .iter()
                .map(|f| f.code.as_str().to_string())
                .collect(),
        )
    }

    #[test]
    fn spot_capacity_table() {
        // (strategy, label, affinity JSON expected, codes)
        let cases = vec![
            (
                vec![item("FARGATE_SPOT", 1, 0)],
                CapacityTypeLabel::Karpenter,
                json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot"]}]}]}}}),
                vec!["E2K580"],
            ),
            (
                vec![item("FARGATE_SPOT", 3, 0), item("FARGATE", 1, 1)],
                CapacityTypeLabel::Eks,
                json!({"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 75, "preference": {"matchExpressions": [{"key": "eks.amazonaws.com/capacityType", "operator": "In", "values": ["SPOT"]}]}},
                    {"weight": 25, "preference": {"matchExpressions": [{"key": "eks.amazonaws.com/capacityType", "operator": "In", "values": ["ON_DEMAND"]}]}}]}}),
                vec!["E2K580", "E2K581"],
            ),
        ];
        for (strategy, label, affinity, codes) in cases {
            let s = Service {
                capacity_provider_strategy: strategy,
                ..Service::default()
            };
            let (pod, found) = run(&s, &TaskDefinition::default(), label);
            assert_eq!(pod.affinity, Some(affinity));
            assert_eq!(found, codes);
        }
        // On-demand only: nothing to say about capacity type.
        let s = Service {
            capacity_provider_strategy: vec![item("FARGATE", 1, 0)],
            ..Service::default()
        };
        assert_eq!(
            run(&s, &TaskDefinition::default(), CapacityTypeLabel::Karpenter)
                .0
                .affinity,
            None
        );
    }

    #[test]
    fn spread_and_packing() {
        let s = Service {
            placement_strategy: vec![
                PlacementStrategy {
                    kind: Some("spread".into()),
                    field: Some("attribute:ecs.availability-zone".into()),
                },
                PlacementStrategy {
                    kind: Some("spread".into()),
                    field: Some("instanceId".into()),
                },
                PlacementStrategy {
                    kind: Some("binpack".into()),
                    field: Some("memory".into()),
                },
            ],
            ..Service::default()
        };
        let (pod, codes) = run(&s, &TaskDefinition::default(), CapacityTypeLabel::Karpenter);
        let keys: Vec<_> = pod
            .topology_spread_constraints
            .iter()
            .map(|t| t["topologyKey"].clone())
            .collect();
        assert_eq!(
            keys,
            vec![
                json!("topology.kubernetes.io/zone"),
                json!("kubernetes.io/hostname")
            ]
        );
        assert_eq!(
            pod.topology_spread_constraints[0]["whenUnsatisfiable"],
            "ScheduleAnyway"
        );
        assert_eq!(codes, vec!["E2K583", "E2K583", "E2K584"]);
    }

    #[test]
    fn member_of_table() {
        let k = CapacityTypeLabel::Karpenter;
        let ok = [
            (
                "attribute:ecs.instance-type == m6i.large",
                json!([{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["m6i.large"]}]),
            ),
            (
                "attribute:ecs.availability-zone in [eu-west-1a, eu-west-1b]",
                json!([{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-west-1a", "eu-west-1b"]}]),
            ),
            (
                "attribute:ecs.instance-type =~ g5.*",
                json!([{"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g5"]}]),
            ),
            (
                "attribute:ecs.cpu-architecture == x86_64 and attribute:ecs.availability-zone != eu-west-1c",
                json!([{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
                    {"key": "topology.kubernetes.io/zone", "operator": "NotIn", "values": ["eu-west-1c"]}]),
            ),
        ];
        for (e, want) in ok {
            assert_eq!(Value::Array(member_of(e, k).unwrap()), want, "{e}");
        }
        for e in [
            "task:group == web",
            "attribute:ecs.ami-id == ami-1",
            "attribute:ecs.instance-type =~ (m|c)5.*",
            "attribute:ecs.instance-type == a or attribute:ecs.instance-type == b",
        ] {
            assert!(member_of(e, k).is_err(), "{e}");
        }
        assert!(
            member_of(
                "attribute:ecs.instance-type =~ g5.*",
                CapacityTypeLabel::Eks
            )
            .is_err()
        );
    }
}
