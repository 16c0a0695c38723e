//! Resources: ECS CPU units and MiB become Kubernetes requests and limits.
//!
//! 1024 CPU units are one vCPU, which is 1000m. Memory hard limits (`memory`) become limits,
//! soft limits (`memoryReservation`) requests. The task-level size goes where the containers
//! leave it unset (the whole task is a single container; of several, the essential one runs the
//! app), so that Fargate-style task definitions do not become BestEffort pods.

use crate::diagnostics::{Code, Findings};
use crate::model::ecs::{ContainerDefinition, TaskDefinition};
use crate::model::fields::join;
#[cfg(test)]
use crate::model::k8s::Map;
use crate::model::k8s::{Container, Resources};

/// CPU units → millicores, rounded to the nearest (at least 1m).
pub fn cpu_quantity(units: i64) -> String {
    let milli = ((units * 1000 + 512) / 1024).max(1);
    format!("{milli}m")
}

pub fn memory_quantity(mib: i64) -> String {
    format!("{mib}Mi")
}

/// Task-level `cpu`: "256", "1 vCPU", "0.25 vcpu" → CPU units.
pub fn parse_task_cpu(s: &str) -> Option<i64> {
    let t = s.trim().to_ascii_lowercase();
    if let Some(v) = t.strip_suffix("vcpu") {
        let v: f64 = v.trim().parse().ok()?;
        return Some((v * 1024.0).round() as i64);
    }
    t.parse().ok()
}

/// Task-level `memory`: "512", "1 GB", "2gb" → MiB.
pub fn parse_task_memory(s: &str) -> Option<i64> {
    let t = s.trim().to_ascii_lowercase();
    if let Some(v) = t.strip_suffix("gb") {
        let v: f64 = v.trim().parse().ok()?;
        return Some((v * 1024.0).round() as i64);
    }
    if let Some(v) = t.strip_suffix("mb") {
        return v.trim().parse().ok();
    }
    t.parse().ok()
}

/// The task-level size, when it is set: CPU units and MiB.
#[derive(Clone, Copy, Default)]
struct TaskSize {
    cpu: Option<i64>,
    memory: Option<i64>,
}

impl TaskSize {
    fn of(td: &TaskDefinition) -> TaskSize {
        TaskSize {
            cpu: td
                .cpu
                .as_deref()
                .and_then(parse_task_cpu)
                .filter(|c| *c > 0),
            memory: td
                .memory
                .as_deref()
                .and_then(parse_task_memory)
                .filter(|m| *m > 0),
        }
    }
}

/// Sets requests and limits on `containers` (same order as the task's container definitions).
pub fn apply(
    td: &TaskDefinition,
    td_path: &str,
    containers: &mut [Container],
    findings: &mut Findings,
) {
    for (c, k) in td.container_definitions.iter().zip(containers.iter_mut()) {
        own_size(c, &mut k.resources);
    }
    task_size(td, td_path, containers, findings);
    for (i, c) in td.container_definitions.iter().enumerate() {
        for (j, req) in c.resource_requirements.iter().enumerate() {
            if req.kind.as_deref() == Some("InferenceAccelerator") {
                findings.push(
                    Code::InferenceAccelerator,
                    join(
                        &super::containers::path(td, td_path, i),
                        &format!("resourceRequirements[{j}]"),
                    ),
                    "an Elastic Inference accelerator was not carried",
                );
            }
        }
    }
}

/// The CPU units, memory reservation and hard memory limit a container sets itself.
fn own_cpu(c: &ContainerDefinition) -> Option<i64> {
    c.cpu.filter(|c| *c > 0)
}

fn own_reservation(c: &ContainerDefinition) -> Option<i64> {
    c.memory_reservation.filter(|m| *m > 0)
}

fn own_limit(c: &ContainerDefinition) -> Option<i64> {
    c.memory.filter(|m| *m > 0)
}

/// The requests and limits container `c` sets itself, and its GPUs.
fn own_size(c: &ContainerDefinition, r: &mut Resources) {
    if let Some(units) = own_cpu(c) {
        r.requests.insert("cpu".into(), cpu_quantity(units));
    }
    if let Some(mib) = own_reservation(c).or(own_limit(c)) {
        r.requests.insert("memory".into(), memory_quantity(mib));
    }
    if let Some(mib) = own_limit(c) {
        r.limits.insert("memory".into(), memory_quantity(mib));
    }
    for req in &c.resource_requirements {
        match (
            req.kind.as_deref(),
            req.value
                .as_deref()
                .and_then(|v| v.trim().parse::<i64>().ok()),
        ) {
            (Some("GPU"), Some(n)) if n > 0 => {
                r.limits.insert("nvidia.com/gpu".into(), n.to_string());
            }
            _ => {}
        }
    }
}

/// The task-level size, carried where the containers leave it unset: all of it to a single
/// container, else to the essential container, less what the others set themselves; the task's
/// memory is the pod's total limit, split the same way. Said in an info finding.
fn task_size(
    td: &TaskDefinition,
    td_path: &str,
    containers: &mut [Container],
    findings: &mut Findings,
) {
    let task = TaskSize::of(td);
    let Some(t) = size_target(td).filter(|_| task.cpu.is_some() || task.memory.is_some()) else {
        return;
    };
    let carried = carry(td, t, task, &mut containers[t].resources);
    if carried.is_empty() {
        return;
    }
    let size: Vec<String> = [
        td.cpu.as_deref().map(|c| format!("cpu {c}")),
        td.memory.as_deref().map(|m| format!("memory {m}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    let which = match td.container_definitions.len() {
        1 => "its only container",
        _ => "its essential container",
    };
    findings.push(
        Code::TaskSizeSplit,
        join(td_path, if task.cpu.is_some() { "cpu" } else { "memory" }),
        format!(
            "the task's {} went to {which} {}: {}",
            size.join(" and "),
            containers[t].name,
            carried.join(", ")
        ),
    );
}

/// The container the task's size goes to: the only one; of several, the essential one that sets
/// no size (sidecars set theirs), else the first essential one that lacks some.
fn size_target(td: &TaskDefinition) -> Option<usize> {
    let defs = &td.container_definitions;
    let unsized_essential = |c: &ContainerDefinition| {
        c.is_essential() && own_cpu(c).is_none() && own_reservation(c).or(own_limit(c)).is_none()
    };
    let partly_sized = |c: &ContainerDefinition| {
        c.is_essential() && (own_cpu(c).is_none() || own_limit(c).is_none())
    };
    match defs.len() {
        1 => Some(0),
        _ => defs
            .iter()
            .position(unsized_essential)
            .or_else(|| defs.iter().position(partly_sized)),
    }
}

/// Sets on `r` (container `t`'s) what it leaves unset of `task`, less what the others set;
/// returns what was set, for the finding.
fn carry(td: &TaskDefinition, t: usize, task: TaskSize, r: &mut Resources) -> Vec<String> {
    let defs = &td.container_definitions;
    let others = |own: fn(&ContainerDefinition) -> Option<i64>| -> i64 {
        let of_others = defs.iter().enumerate().filter(|(i, _)| *i != t);
        of_others.filter_map(|(_, c)| own(c)).sum()
    };
    let less = |n: i64, what: &str| match n {
        0 => String::new(),
        n => format!(" (the task's less the others' {n} {what})"),
    };
    let c = &defs[t];
    let mut carried = Vec::new();
    if let Some(units) = task.cpu.filter(|_| own_cpu(c).is_none()) {
        let theirs = others(own_cpu);
        if units > theirs {
            let cpu = cpu_quantity(units - theirs);
            carried.push(format!("requests.cpu {cpu}{}", less(theirs, "CPU units")));
            r.requests.insert("cpu".into(), cpu);
        }
    }
    let Some(mib) = task.memory else {
        return carried;
    };
    let requested = |c: &ContainerDefinition| own_reservation(c).or(own_limit(c));
    let theirs = others(requested);
    if requested(c).is_none() && mib > theirs {
        let memory = memory_quantity(mib - theirs);
        carried.push(format!("requests.memory {memory}{}", less(theirs, "MiB")));
        r.requests.insert("memory".into(), memory);
    }
    let request = requested(c).or((mib > theirs).then(|| mib - theirs));
    // Containers without a limit of their own count with what they reserve.
    let limit = mib - others(|c| own_limit(c).or(own_reservation(c)));
    if own_limit(c).is_none() && limit > 0 && request.is_none_or(|q| q <= limit) {
        let memory = memory_quantity(limit);
        carried.push(format!(
            "limits.memory {memory} (the pod's total limit is the task's)"
        ));
        r.limits.insert("memory".into(), memory);
    }
    carried
}

/// What Fargate gives every task without asking, image layers included, and the root volume of
/// EKS managed node groups and of Karpenter's default EC2NodeClass.
const DEFAULT_DISK_GIB: i64 = 20;

/// The task's ephemeral storage goes to the first container (the main one). Fargate's size is the
/// task's whole disk, image layers included, so only what exceeds the 20 GiB default is asked of
/// the node; the warning names the root volume a node needs for it.
pub fn ephemeral_storage(
    td: &TaskDefinition,
    td_path: &str,
    main: &mut Container,
    findings: &mut Findings,
) {
    let Some(gib) = td
        .ephemeral_storage
        .as_ref()
        .and_then(|e| e.size_in_gi_b)
        .filter(|g| *g > 0)
    else {
        return;
    };
    let at = join(td_path, "ephemeralStorage");
    let extra = gib - DEFAULT_DISK_GIB;
    if extra <= 0 {
        findings.push(
            Code::Ephemeral,
            at,
            format!("{gib} GiB of task storage fits a default {DEFAULT_DISK_GIB} GiB node volume: no ephemeral-storage request was set"),
        );
        return;
    }
    main.resources
        .requests
        .insert("ephemeral-storage".into(), format!("{extra}Gi"));
    findings.push(
        Code::Ephemeral,
        at.clone(),
        format!(
            "{gib} GiB of task storage (image layers included) became a {extra}Gi ephemeral-storage request on container {}",
            main.name
        ),
    );
    findings.push(
        Code::EphemeralNodeVolume,
        at,
        format!(
            "the pod's nodes need a root volume of at least {gib} GiB ({DEFAULT_DISK_GIB} GiB for the system and images, {extra} GiB for this pod), more where several such pods share a node"
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_units_to_millicores() {
        assert_eq!(cpu_quantity(1024), "1000m");
        assert_eq!(cpu_quantity(256), "250m");
        assert_eq!(cpu_quantity(512), "500m");
        assert_eq!(cpu_quantity(100), "98m");
        assert_eq!(cpu_quantity(1), "1m");
        assert_eq!(cpu_quantity(4096), "4000m");
    }

    /// `(requests, limits)` of each container of `td` and the findings' messages.
    fn sized(td: serde_json::Value) -> (Vec<(Map, Map)>, Vec<String>) {
        let td: TaskDefinition = serde_json::from_value(td).unwrap();
        let mut containers: Vec<Container> = td
            .container_definitions
            .iter()
            .map(|c| Container {
                name: c.name.clone().unwrap_or_default(),
                ..Container::default()
            })
            .collect();
        let mut findings = Findings::default();
        apply(&td, "taskDefinition", &mut containers, &mut findings);
        let sizes = containers
            .into_iter()
            .map(|k| (k.resources.requests, k.resources.limits))
            .collect();
        (
            sizes,
            findings.list.into_iter().map(|f| f.message).collect(),
        )
    }

    fn map(pairs: &[(&str, &str)]) -> Map {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// A single container that sets nothing gets the whole task, limit included.
    #[test]
    fn the_task_size_goes_to_a_single_container() {
        let (sizes, messages) = sized(serde_json::json!({
            "cpu": "1 vCPU", "memory": "2 GB", "containerDefinitions": [{"name": "app"}]
        }));
        assert_eq!(
            sizes,
            [(
                map(&[("cpu", "1000m"), ("memory", "2048Mi")]),
                map(&[("memory", "2048Mi")])
            )]
        );
        assert_eq!(
            messages,
            [
                "the task's cpu 1 vCPU and memory 2 GB went to its only container app: requests.cpu 1000m, requests.memory 2048Mi, limits.memory 2048Mi (the pod's total limit is the task's)"
            ]
        );
    }

    /// Of several containers, the essential one gets what the others' own sizes leave; one that
    /// reserves memory keeps its reservation and gets the task's limit.
    #[test]
    fn the_task_size_goes_to_the_essential_container_after_the_others() {
        let (sizes, messages) = sized(serde_json::json!({
            "cpu": "1024", "memory": "2048", "containerDefinitions": [
                {"name": "xray", "essential": false, "cpu": 32, "memoryReservation": 256},
                {"name": "app", "memoryReservation": 512},
                {"name": "envoy", "cpu": 224, "memory": 512}
            ]
        }));
        assert_eq!(
            sizes[1],
            (
                map(&[("cpu", "750m"), ("memory", "512Mi")]),
                map(&[("memory", "1280Mi")])
            )
        );
        assert_eq!(
            sizes[0],
            (map(&[("cpu", "31m"), ("memory", "256Mi")]), Map::new())
        );
        assert!(messages[0].contains("its essential container app: requests.cpu 750m (the task's less the others' 256 CPU units), limits.memory 1280Mi"), "{messages:?}");
    }

    #[test]
    fn task_sizes() {
        assert_eq!(parse_task_cpu("1 vCPU"), Some(1024));
        assert_eq!(parse_task_cpu("0.25 vcpu"), Some(256));
        assert_eq!(parse_task_cpu("512"), Some(512));
        assert_eq!(parse_task_memory("2 GB"), Some(2048));
        assert_eq!(parse_task_memory("0.5GB"), Some(512));
        assert_eq!(parse_task_memory("1024"), Some(1024));
        assert_eq!(parse_task_memory("{{ memory }}"), None);
    }

    /// Fargate's storage size holds the image layers: only what exceeds the 20 GiB default is
    /// requested, with the node volume it needs; 20 GiB or less asks nothing of the node.
    #[test]
    fn ephemeral_storage_beyond_fargates_default_is_requested() {
        let run = |gib: i64| {
            let td: TaskDefinition = serde_json::from_value(serde_json::json!({
                "family": "web", "ephemeralStorage": {"sizeInGiB": gib},
                "containerDefinitions": [{"name": "app", "image": "nginx"}]
            }))
            .unwrap();
            let mut main = Container::default();
            let mut f = Findings::default();
            ephemeral_storage(&td, "taskDefinition", &mut main, &mut f);
            let request = main.resources.requests.get("ephemeral-storage").cloned();
            (request, f)
        };
        let (request, f) = run(40);
        assert_eq!(request.as_deref(), Some("20Gi"));
        let codes: Vec<Code> = f.list.iter().map(|f| f.code).collect();
        assert_eq!(codes, [Code::Ephemeral, Code::EphemeralNodeVolume]);
        assert!(
            f.list[1].message.contains("at least 40 GiB"),
            "{}",
            f.list[1].message
        );
        let (request, f) = run(20);
        assert_eq!(request, None);
        assert_eq!(f.list.len(), 1);
        assert_eq!(f.list[0].code, Code::Ephemeral);
    }
}
