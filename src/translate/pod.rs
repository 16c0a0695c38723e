//! The pod's containers: the task's containers less those whose work EKS does elsewhere.
//!
//! The FireLens log router leaves the pod: a node-level Fluent Bit ships the logs on EKS, and
//! `logging` carries each app container's routing there (kept in the pod, the router would run
//! with no configuration, and an app waiting for it to be HEALTHY would never start). The Envoy
//! proxy of an App Mesh task leaves too: the mesh reached its end of support and nothing routes
//! through the sidecar any more. The `dependsOn` edges to them and the volumes only they mounted
//! go with them. Every later step reads the task definition this gives (`View::td`); its
//! containers keep their input positions for the findings' paths.

use crate::diagnostics::{Code, Findings};
use crate::mappings::Mappings;
use crate::model::ecs::{ContainerDefinition, FirelensConfiguration, TaskDefinition};
use crate::model::fields::join;
use crate::model::read::Sourced;
use std::borrow::Cow;

/// The task definition as the pod runs it, and the log router that left it.
pub struct View<'a> {
    pub td: Cow<'a, Sourced<TaskDefinition>>,
    /// The FireLens router's configuration (its type and own config file), when it left the pod.
    pub log_router: Option<LogRouter>,
}

/// The FireLens log router of a task: what it was, for the findings about its app containers.
#[derive(Debug, Clone)]
pub struct LogRouter {
    pub name: String,
    /// The JSON path of its `firelensConfiguration`.
    pub at: String,
    pub config: FirelensConfiguration,
}

impl LogRouter {
    /// `fluentd` routers take Fluentd options, which Fluent Bit cannot read.
    pub fn is_fluentd(&self) -> bool {
        self.config
            .kind
            .as_deref()
            .is_some_and(|k| k.eq_ignore_ascii_case("fluentd"))
    }

    /// The router's own configuration file (`config-file-value`), which ecs2eks does not read.
    pub fn config_file(&self) -> Option<&str> {
        self.config
            .options
            .get("config-file-value")
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The pod's view of `td`: without its FireLens router and App Mesh Envoy, when other containers
/// remain.
pub fn view<'a>(
    td: &'a Sourced<TaskDefinition>,
    mappings: &Mappings,
    findings: &mut Findings,
) -> View<'a> {
    let defs = &td.value.container_definitions;
    let router = defs.iter().position(|c| c.firelens_configuration.is_some());
    let envoy = app_mesh_proxy(td, findings);
    let mut dropped: Vec<usize> = router.into_iter().chain(envoy).collect();
    dropped.sort_unstable();
    dropped.dedup();
    if dropped.is_empty() || dropped.len() == defs.len() {
        if let Some(r) = router {
            findings.push(
                Code::FireLens,
                firelens_path(td, r),
                format!(
                    "{} is the task's only container and was kept: on EKS, a log router runs once per node",
                    name(&defs[r])
                ),
            );
        }
        if let Some(e) = envoy {
            mesh_finding(
                td,
                &defs[e],
                "it is the task's only container and was kept",
                mappings,
                findings,
            );
        }
        return View {
            td: Cow::Borrowed(td),
            log_router: None,
        };
    }
    let log_router = router.map(|r| {
        let waiting = waiting_on(defs, &defs[r]);
        let config = defs[r].firelens_configuration.clone().unwrap_or_default();
        let router = LogRouter {
            name: name(&defs[r]).to_string(),
            at: firelens_path(td, r),
            config,
        };
        let own_file = router
            .config_file()
            .map(|f| format!("; its own configuration file {f} was not read: port what it does to the cluster's Fluent Bit"))
            .unwrap_or_default();
        findings.push(
            Code::FireLens,
            &router.at,
            format!(
                "log router {} ({}) left the pod{waiting}: the cluster's node-level Fluent Bit routes the logs{own_file}",
                router.name,
                defs[r].image.as_deref().unwrap_or("")
            ),
        );
        router
    });
    if let Some(e) = envoy {
        let waiting = waiting_on(defs, &defs[e]);
        let what = format!("Envoy container {} left the pod{waiting}", name(&defs[e]));
        mesh_finding(td, &defs[e], &what, mappings, findings);
    }
    View {
        td: Cow::Owned(without(td, &dropped)),
        log_router,
    }
}

/// The container an App Mesh `proxyConfiguration` names, or None (with the finding that the
/// proxy is not carried when it names none of the task's containers).
fn app_mesh_proxy(td: &Sourced<TaskDefinition>, findings: &mut Findings) -> Option<usize> {
    let proxy = td.value.proxy_configuration.as_ref()?;
    let name = proxy.container_name.as_deref().unwrap_or("");
    let found = td
        .value
        .container_definitions
        .iter()
        .position(|c| !name.is_empty() && c.name.as_deref() == Some(name));
    if found.is_none() {
        findings.push(
            Code::ProxyConfiguration,
            join(&td.path, "proxyConfiguration"),
            format!(
                "the {} proxy configuration names container {name:?}, which the task does not have; it was not carried",
                proxy.kind.as_deref().unwrap_or("APPMESH")
            ),
        );
    }
    found
}

/// The finding about App Mesh task `td`'s Envoy `envoy`: `what` became of it, and what routes
/// instead.
fn mesh_finding(
    td: &Sourced<TaskDefinition>,
    envoy: &ContainerDefinition,
    what: &str,
    mappings: &Mappings,
    findings: &mut Findings,
) {
    findings.push(
        Code::ProxyConfiguration,
        join(&td.path, "proxyConfiguration"),
        format!(
            "App Mesh proxy {}: {what}; route through {} instead",
            name(envoy),
            mappings.app_mesh.replacement.describe()
        ),
    );
}

/// `, with the dependsOn of a, b on it` when other containers wait for `target`.
fn waiting_on(defs: &[ContainerDefinition], target: &ContainerDefinition) -> String {
    let waiting: Vec<&str> = defs
        .iter()
        .filter(|c| {
            c.depends_on
                .iter()
                .any(|d| d.container_name.is_some() && d.container_name == target.name)
        })
        .map(name)
        .collect();
    match waiting.is_empty() {
        true => String::new(),
        false => format!(", with the dependsOn of {} on it", waiting.join(", ")),
    }
}

fn name(c: &ContainerDefinition) -> &str {
    c.name.as_deref().unwrap_or("")
}

fn firelens_path(td: &Sourced<TaskDefinition>, i: usize) -> String {
    join(
        &super::containers::path(&td.value, &td.path, i),
        "firelensConfiguration",
    )
}

/// `td` without the containers at `dropped`, the dependsOn edges to them and the volumes only
/// they mounted; the others keep their input positions.
fn without(td: &Sourced<TaskDefinition>, dropped: &[usize]) -> Sourced<TaskDefinition> {
    let mut view = td.clone();
    let t = &mut view.value;
    let all = std::mem::take(&mut t.container_definitions);
    let gone: Vec<String> = dropped.iter().map(|&i| name(&all[i]).to_string()).collect();
    let mounted_by = |c: &ContainerDefinition, volume: &str| {
        c.mount_points
            .iter()
            .any(|m| m.source_volume.as_deref() == Some(volume))
    };
    let only_theirs = |volume: &str| {
        all.iter()
            .enumerate()
            .all(|(i, c)| dropped.contains(&i) || !mounted_by(c, volume))
            && dropped.iter().any(|&i| mounted_by(&all[i], volume))
    };
    t.volumes
        .retain(|v| !only_theirs(v.name.as_deref().unwrap_or("")));
    for (i, mut c) in all.into_iter().enumerate() {
        if dropped.contains(&i) {
            continue;
        }
        c.depends_on
            .retain(|d| !gone.iter().any(|g| d.container_name.as_deref() == Some(g)));
        t.container_definitions.push(c);
        t.container_positions.push(i);
    }
    view
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sourced(td: serde_json::Value) -> Sourced<TaskDefinition> {
        Sourced {
            input: "td.json".into(),
            path: "taskDefinition".into(),
            value: serde_json::from_value(td).unwrap(),
            findings: Vec::new(),
        }
    }

    /// The router and the Envoy leave with the edges to them and the router's own volume; the
    /// app keeps its input position for the findings' paths.
    #[test]
    fn log_router_and_envoy_leave_the_pod() {
        let td = sourced(serde_json::json!({
            "family": "web",
            "proxyConfiguration": {"type": "APPMESH", "containerName": "envoy"},
            "volumes": [{"name": "fb-config"}, {"name": "data"}],
            "containerDefinitions": [
                {"name": "log_router", "image": "amazon/aws-for-fluent-bit",
                 "firelensConfiguration": {"type": "fluentbit", "options": {"config-file-type": "s3", "config-file-value": "arn:aws:s3:::b/extra.conf"}},
                 "mountPoints": [{"sourceVolume": "fb-config", "containerPath": "/conf"}]},
                {"name": "envoy", "image": "envoy", "dependsOn": [{"containerName": "log_router", "condition": "START"}]},
                {"name": "app", "image": "app",
                 "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}],
                 "dependsOn": [{"containerName": "log_router", "condition": "HEALTHY"}, {"containerName": "envoy", "condition": "HEALTHY"}]}
            ]
        }));
        let mut findings = Findings::default();
        let v = view(&td, &Mappings::defaults(), &mut findings);
        let t = &v.td.value;
        assert_eq!(t.container_definitions.len(), 1);
        assert!(t.container_definitions[0].depends_on.is_empty());
        assert_eq!(t.container_position(0), 2);
        let volumes: Vec<_> = t.volumes.iter().filter_map(|v| v.name.as_deref()).collect();
        assert_eq!(volumes, ["data"]);
        assert_eq!(
            v.log_router.as_ref().unwrap().config_file(),
            Some("arn:aws:s3:::b/extra.conf")
        );
        assert_eq!(
            findings.code_fields(),
            [
                (
                    Code::FireLens,
                    "taskDefinition.containerDefinitions[0].firelensConfiguration"
                ),
                (
                    Code::ProxyConfiguration,
                    "taskDefinition.proxyConfiguration"
                ),
            ]
        );
        assert!(
            findings.list[0]
                .message
                .contains("with the dependsOn of envoy, app on it")
        );
        assert!(findings.list[1].message.contains("VPC Lattice"));
    }

    /// A router alone stays: nothing would be left of the pod.
    #[test]
    fn a_lone_router_stays() {
        let td = sourced(serde_json::json!({
            "family": "fluent-bit",
            "containerDefinitions": [{"name": "fb", "image": "fb", "firelensConfiguration": {"type": "fluentbit"}}]
        }));
        let mut findings = Findings::default();
        let v = view(&td, &Mappings::defaults(), &mut findings);
        assert!(matches!(v.td, Cow::Borrowed(_)) && v.log_router.is_none());
        assert_eq!(findings.list[0].code, Code::FireLens);
    }
}
