//! Resources: ECS CPU units and MiB become Kubernetes requests and limits.
//!
//! 1024 CPU units are one vCPU, which is 1000m. Memory hard limits (`memory`) become limits,
//! soft limits (`memoryReservation`) requests; the task-level size goes to a single container
//! that sets none, since the whole task is that container.

use crate::diagnostics::{Code, Findings};
use crate::model::ecs::{ContainerDefinition, TaskDefinition};
use crate::model::fields::join;
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
    let task = TaskSize::of(td);
    let single = td.container_definitions.len() == 1;
    // The task's size is its only container's; several containers share it.
    let inherited = if single { task } else { TaskSize::default() };
    for (c, k) in td.container_definitions.iter().zip(containers.iter_mut()) {
        size(c, inherited, &mut k.resources);
    }
    if !single {
        shared_size(td, td_path, task, findings);
    }
    for (i, c) in td.container_definitions.iter().enumerate() {
        for (j, req) in c.resource_requirements.iter().enumerate() {
            if req.kind.as_deref() == Some("InferenceAccelerator") {
                findings.push(
                    Code::InferenceAccelerator,
                    join(
                        &super::containers::path(td_path, i),
                        &format!("resourceRequirements[{j}]"),
                    ),
                    "an Elastic Inference accelerator was not carried",
                );
            }
        }
    }
}

/// The requests and limits of container `c`: its own CPU and memory, else `inherited`; its GPUs.
fn size(c: &ContainerDefinition, inherited: TaskSize, r: &mut Resources) {
    if let Some(units) = c.cpu.filter(|c| *c > 0).or(inherited.cpu) {
        r.requests.insert("cpu".into(), cpu_quantity(units));
    }
    match (
        c.memory_reservation.filter(|m| *m > 0),
        c.memory.filter(|m| *m > 0),
    ) {
        (Some(soft), hard) => {
            r.requests.insert("memory".into(), memory_quantity(soft));
            if let Some(hard) = hard {
                r.limits.insert("memory".into(), memory_quantity(hard));
            }
        }
        (None, hard) => {
            if let Some(mib) = hard.or(inherited.memory) {
                r.requests.insert("memory".into(), memory_quantity(mib));
                r.limits.insert("memory".into(), memory_quantity(mib));
            }
        }
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

/// The task's size, shared by several containers: reported when some have no size of their own.
fn shared_size(td: &TaskDefinition, td_path: &str, task: TaskSize, findings: &mut Findings) {
    let unsized_containers = td
        .container_definitions
        .iter()
        .filter(|c| {
            c.cpu.unwrap_or(0) <= 0
                || (c.memory.unwrap_or(0) <= 0 && c.memory_reservation.unwrap_or(0) <= 0)
        })
        .count();
    if (task.cpu.is_some() || task.memory.is_some()) && unsized_containers > 0 {
        let size = [
            td.cpu.as_deref().map(|c| format!("cpu {c}")),
            td.memory.as_deref().map(|m| format!("memory {m}")),
        ];
        let size: Vec<_> = size.into_iter().flatten().collect();
        findings.push(
            Code::TaskSizeSplit,
            join(td_path, if task.cpu.is_some() { "cpu" } else { "memory" }),
            format!("the task's {} is shared by {} containers, {unsized_containers} without their own size", size.join(" and "), td.container_definitions.len()),
        );
    }
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
