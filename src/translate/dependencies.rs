//! Container dependencies: `dependsOn` decides which containers start first.
//!
//! A container others wait on to COMPLETE or SUCCEED becomes an init container that runs to
//! completion; one they wait on to START or be HEALTHY becomes a native sidecar (an init
//! container with `restartPolicy: Always`) that starts first and keeps running, gated by a
//! startup probe for HEALTHY. Init containers run in list order, so they are sorted by their own
//! dependencies.

use super::probes;
use crate::diagnostics::{Code, Findings};
use crate::model::ecs::{ContainerDefinition, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::{Container, PodSpec};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Role {
    Main,
    Sidecar { healthy: bool },
    RunToCompletion,
}

/// What the task's `dependsOn` says, by container position.
struct Dependencies {
    roles: Vec<Role>,
    /// `waits_for[i]`: the containers `i` waits for.
    waits_for: Vec<Vec<usize>>,
}

/// Moves `containers` (same order as the task's definitions) into the pod's init containers and
/// containers.
pub fn arrange(
    td: &TaskDefinition,
    td_path: &str,
    windows: bool,
    containers: Vec<Container>,
    pod: &mut PodSpec,
    findings: &mut Findings,
) {
    let defs = &td.container_definitions;
    let Dependencies {
        mut roles,
        waits_for,
    } = dependencies(td, td_path, findings);
    let init: Vec<usize> = (0..defs.len())
        .filter(|i| roles[*i] != Role::Main)
        .collect();
    let order = match topological(&init, &waits_for) {
        Some(order) => order,
        None => {
            findings.push(
                Code::DependencyCycle,
                join(td_path, "containerDefinitions"),
                "dependsOn forms a cycle; all containers start together",
            );
            roles.iter_mut().for_each(|r| *r = Role::Main);
            Vec::new()
        }
    };
    let mut slots: Vec<Option<Container>> = containers.into_iter().map(Some).collect();
    for i in order {
        let k = slots[i].take().expect("each container is placed once");
        let at = super::containers::path(td, td_path, i);
        let init = init_container(k, roles[i], &defs[i], &at, windows, findings);
        pod.init_containers.push(init);
    }
    for (i, slot) in slots.into_iter().enumerate() {
        let Some(k) = slot else { continue };
        if !defs[i].is_essential() && roles[i] == Role::Main {
            // A probe or a port makes its failures the pod's readiness.
            let (code, what) = match k.liveness_probe.is_some() || !k.ports.is_empty() {
                true => (
                    Code::NonEssentialReadiness,
                    "it has a health check or ports, and while it crash-loops the pod is NotReady and leaves its Service",
                ),
                false => (Code::NonEssentialContainer, "it is restarted when it fails"),
            };
            findings.push(
                code,
                join(&super::containers::path(td, td_path, i), "essential"),
                format!("{} is not essential in ECS; in the pod {what}", k.name),
            );
        }
        pod.containers.push(k);
    }
}

/// The role of each container (the strongest any other's `dependsOn` gives it) and what each
/// waits for; a dependency on an unknown container is reported and left out.
fn dependencies(td: &TaskDefinition, td_path: &str, findings: &mut Findings) -> Dependencies {
    let defs = &td.container_definitions;
    let index_of = |name: &str| defs.iter().position(|c| c.name.as_deref() == Some(name));
    let mut roles = vec![Role::Main; defs.len()];
    let mut waits_for: Vec<Vec<usize>> = vec![Vec::new(); defs.len()];
    for (i, c) in defs.iter().enumerate() {
        let at = super::containers::path(td, td_path, i);
        for (j, dep) in c.depends_on.iter().enumerate() {
            let here = join(&at, &format!("dependsOn[{j}]"));
            let target = dep.container_name.as_deref().unwrap_or("");
            let Some(t) = index_of(target).filter(|t| *t != i) else {
                findings.push(
                    Code::DependsOnUnknown,
                    here,
                    format!("container {target:?} is not in the task definition"),
                );
                continue;
            };
            waits_for[i].push(t);
            let condition = dep.condition.as_deref().unwrap_or("START");
            let role = role_for(condition, target, &here, findings);
            roles[t] = roles[t].max(role);
        }
    }
    Dependencies { roles, waits_for }
}

/// The role a container others wait on for `condition` takes.
fn role_for(condition: &str, target: &str, here: &str, findings: &mut Findings) -> Role {
    match condition.to_ascii_uppercase().as_str() {
        "COMPLETE" => {
            findings.push(
                Code::DependsOnComplete,
                here,
                format!("{target} must now exit 0 before the others start"),
            );
            Role::RunToCompletion
        }
        "SUCCESS" => Role::RunToCompletion,
        "HEALTHY" => Role::Sidecar { healthy: true },
        _ => Role::Sidecar { healthy: false },
    }
}

/// Container `k` (defined by `def`, at `at`) as an init container of `role`: one that runs to
/// completion loses its probes; a sidecar restarts always, gated by a startup probe when others
/// wait for it to be HEALTHY.
fn init_container(
    mut k: Container,
    role: Role,
    def: &ContainerDefinition,
    at: &str,
    windows: bool,
    findings: &mut Findings,
) -> Container {
    match role {
        Role::RunToCompletion => {
            if k.liveness_probe.take().is_some()
                | k.startup_probe.take().is_some()
                | k.readiness_probe.take().is_some()
            {
                findings.push(
                    Code::InitContainerProbe,
                    join(at, "healthCheck"),
                    format!(
                        "{} runs to completion first; its health check was dropped",
                        k.name
                    ),
                );
            }
        }
        Role::Sidecar { healthy } => {
            k.restart_policy = Some("Always");
            if healthy {
                match def
                    .health_check
                    .as_ref()
                    .and_then(|hc| probes::healthy_gate(hc, windows, at, &mut Findings::default()))
                {
                    Some(gate) => k.startup_probe = Some(gate),
                    None => findings.push(
                        Code::HealthyWithoutHealthCheck,
                        join(at, "name"),
                        format!(
                            "others wait for {} to be HEALTHY, but it has no healthCheck",
                            k.name
                        ),
                    ),
                }
            }
        }
        Role::Main => unreachable!("only init containers are ordered"),
    }
    k
}

/// Orders `nodes` so each comes after the nodes it waits for (ties by position); None on a cycle.
fn topological(nodes: &[usize], edges: &[Vec<usize>]) -> Option<Vec<usize>> {
    let mut done: Vec<usize> = Vec::new();
    let mut remaining: Vec<usize> = nodes.to_vec();
    while !remaining.is_empty() {
        let ready = remaining.iter().position(|n| {
            edges[*n]
                .iter()
                .all(|d| !nodes.contains(d) || done.contains(d))
        })?;
        done.push(remaining.remove(ready));
    }
    Some(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topological_order_and_cycles() {
        let edges = vec![vec![1], vec![2], vec![], vec![]];
        assert_eq!(topological(&[0, 1, 2], &edges), Some(vec![2, 1, 0]));
        let cyclic = vec![vec![1], vec![0]];
        assert_eq!(topological(&[0, 1], &cyclic), None);
    }
}
