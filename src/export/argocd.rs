//! Argo CD: an AppProject per team, and an Application per overlay (or an ApplicationSet per
//! project and environment whose Git directory generator lists exactly its overlays), plus a
//! kustomization over them so `kubectl apply -k argocd` (or an app of apps) installs them all.

use super::{Sink, Tree, yaml};
use crate::diagnostics::SpillSet;
use crate::inventory::Inventory;
use crate::mappings::{Destination, Generator, Mappings};
use crate::translate::{Workload, Workloads};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// The Application files (path, YAML) of one app's workloads, when the mappings ask for one
/// Application per overlay (else none: ApplicationSets are per project).
pub fn applications(
    app: &[Workload],
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Vec<(String, String)> {
    if mappings.argocd.generator != Generator::Applications {
        return Vec::new();
    }
    app.iter()
        .filter(|w| !w.failed())
        .map(|w| application_file(w, mappings, inventory))
        .collect()
}

/// The Application file (path, YAML) of one workload.
fn application_file(
    w: &Workload,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> (String, String) {
    let name = application_name(mappings, w);
    let doc = application(&name, w, mappings, inventory);
    (format!("argocd/{name}.yaml"), yaml::to_yaml(&doc))
}

/// What `render` takes of one live workload.
struct Member {
    project: String,
    team: String,
    /// Its destination as JSON text.
    destination: String,
    cluster_kinds: Vec<(String, String)>,
    /// Its environment and overlay, for ApplicationSets.
    overlay: Option<(String, String)>,
}

/// What `render` gathers of the live workloads of one project (team). The lists as long as the
/// run is large wait in its temporary file (`SpillSet`).
struct Project {
    teams: BTreeSet<String>,
    /// Its destinations as JSON text (sorted so).
    destinations: SpillSet,
    cluster_kinds: BTreeSet<(String, String)>,
    /// Its overlays' paths by environment (for ApplicationSets).
    overlays: BTreeMap<String, SpillSet>,
}

/// Writes `argocd/` for `workloads` into `sink`; `others` holds the Applications other
/// exporters made (listed in the kustomization too). `with_applications`: also the
/// Applications (else `applications` wrote them while the apps were converted).
pub fn render(
    workloads: &Workloads,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    others: &Tree,
    sink: &dyn Sink,
    with_applications: bool,
) {
    let a = &mappings.argocd;
    let spill = || SpillSet::new(workloads.file().cloned());
    // One pass over the workloads (a large run reads them back): what each project lists.
    let mut projects: BTreeMap<String, Project> = BTreeMap::new();
    workloads.for_each_live(
        |w| Member {
            project: project_of(mappings, w),
            team: w.team.clone(),
            destination: destination_json(
                destination(mappings, inventory, &w.environment),
                Some(&w.namespace),
            )
            .to_string(),
            cluster_kinds: w.facts.cluster_kinds.clone(),
            overlay: (a.generator == Generator::Applicationset)
                .then(|| (w.environment.clone(), overlay_path(w))),
        },
        |_, m| {
            let p = projects.entry(m.project).or_insert_with(|| Project {
                teams: BTreeSet::new(),
                destinations: spill(),
                cluster_kinds: BTreeSet::new(),
                overlays: BTreeMap::new(),
            });
            p.teams.insert(m.team);
            p.destinations.insert(&m.destination);
            p.cluster_kinds.extend(m.cluster_kinds);
            if let Some((environment, overlay)) = m.overlay {
                p.overlays
                    .entry(environment)
                    .or_insert_with(spill)
                    .insert(&overlay);
            }
        },
    );
    // The files the kustomization lists before the Applications (or ApplicationSets).
    let mut files: Vec<String> = Vec::new();

    // Projects: one per team, its destinations restricted to the team's namespaces.
    for (name, project) in &projects {
        if project.teams.iter().all(String::is_empty) {
            continue; // the mappings' project (e.g. `default`) exists already
        }
        let file = format!("project-{name}.yaml");
        sink.put_with(format!("argocd/{file}"), &|w| {
            let doc = yaml::to_yaml(&app_project(name, project, mappings));
            let mut destinations = project
                .destinations
                .iter()
                .map(|d| Ok(serde_json::from_str(&d?)?));
            yaml::splice(&doc, &mut [&mut destinations], w)
        });
        files.push(file);
    }

    match a.generator {
        Generator::Applications => {
            if with_applications {
                use rayon::prelude::*;
                let live: Vec<&Workload> = workloads.in_memory().filter(|w| !w.failed()).collect();
                let apps: Vec<(String, String)> = live
                    .par_iter()
                    .map(|w| application_file(w, mappings, inventory))
                    .collect();
                sink.put_all(apps.into_iter().collect());
            }
        }
        Generator::Applicationset => {
            for (name, project) in &projects {
                for (env, overlays) in &project.overlays {
                    let set = crate::translate::names::dns_label(&format!("{name}-{env}"), "apps");
                    let file = format!("applicationset-{set}.yaml");
                    sink.put_with(format!("argocd/{file}"), &|w| {
                        let doc =
                            yaml::to_yaml(&application_set(&set, name, env, mappings, inventory));
                        let mut directories = overlays.iter().map(|p| Ok(json!({ "path": p? })));
                        yaml::splice(&doc, &mut [&mut directories], w)
                    });
                    files.push(file);
                }
            }
        }
    }
    // Applications other exporters wrote before (platform/ apps such as the secret stores).
    let others: Vec<&str> = others
        .keys()
        .filter_map(|k| k.strip_prefix("argocd/"))
        .filter(|f| !f.contains('/') && *f != "kustomization.yaml")
        .collect();
    // Each live workload's Application, in order (read back again rather than held).
    let applications = || {
        (a.generator == Generator::Applications)
            .then(|| workloads.read_live())
            .into_iter()
            .flatten()
            .map(|w| format!("{}.yaml", application_name(mappings, &w)))
    };
    let listed = files.len() + others.len() + applications().take(1).count();
    if listed > 0 {
        sink.put_with("argocd/kustomization.yaml".into(), &|w| {
            let k = json!({
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [yaml::spliced_list(0)],
            });
            let mut resources = files
                .iter()
                .cloned()
                .chain(applications())
                .chain(others.iter().map(|f| f.to_string()))
                .map(|f| Ok(Value::String(f)));
            yaml::splice(&yaml::to_yaml(&k), &mut [&mut resources], w)
        });
    }
}

fn project_of(mappings: &Mappings, w: &Workload) -> String {
    if w.team.is_empty() {
        mappings.argocd.project.clone()
    } else {
        crate::translate::names::dns_label(&w.team, "team")
    }
}

/// The environment's cluster from the inventory, else the mappings' default.
fn destination<'a>(
    mappings: &'a Mappings,
    inventory: Option<&'a Inventory>,
    env: &str,
) -> &'a Destination {
    inventory
        .and_then(|i| i.environment(env))
        .and_then(|e| e.destination.as_ref())
        .unwrap_or(&mappings.argocd.destination)
}

fn destination_json(d: &Destination, namespace: Option<&str>) -> Value {
    let mut v = json!({});
    if let Some(ns) = namespace {
        v["namespace"] = json!(ns);
    }
    if let Some(server) = &d.server {
        v["server"] = json!(server);
    }
    if let Some(name) = &d.name {
        v["name"] = json!(name);
    }
    v
}

fn sync_policy(mappings: &Mappings) -> Option<Value> {
    let a = &mappings.argocd;
    a.automated
        .then(|| json!({ "automated": { "prune": a.prune, "selfHeal": a.self_heal } }))
}

fn metadata(name: &str, mappings: &Mappings, app: Option<&str>) -> Value {
    let mut m = json!({ "name": name, "namespace": mappings.argocd.namespace });
    if let Some(app) = app {
        m["labels"] =
            json!({ "app.kubernetes.io/name": app, "app.kubernetes.io/managed-by": "ecs2eks" });
    }
    m["finalizers"] = json!([FINALIZER]);
    m
}

fn application(
    name: &str,
    w: &Workload,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Value {
    let a = &mappings.argocd;
    let mut spec = json!({
        "project": project_of(mappings, w),
        "source": {
            "repoURL": a.repo_url,
            "targetRevision": a.target_revision,
            "path": overlay_path(w),
        },
        "destination": destination_json(destination(mappings, inventory, &w.environment), Some(&w.namespace)),
    });
    if let Some(p) = sync_policy(mappings) {
        spec["syncPolicy"] = p;
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": metadata(name, mappings, Some(&w.app)),
        "spec": spec,
    })
}

/// An Application of a platform kustomization at `path` (shared, cluster-scoped objects of
/// environment `env`), in the mappings' project, deployed into `namespace` of the environment's
/// cluster.
pub fn platform_application(
    name: &str,
    path: &str,
    namespace: &str,
    env: &str,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Value {
    let a = &mappings.argocd;
    let mut spec = json!({
        "project": a.project,
        "source": { "repoURL": a.repo_url, "targetRevision": a.target_revision, "path": path },
        "destination": destination_json(destination(mappings, inventory, env), Some(namespace)),
    });
    if let Some(p) = sync_policy(mappings) {
        spec["syncPolicy"] = p;
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": metadata(name, mappings, Some(name)),
        "spec": spec,
    })
}

fn overlay_path(w: &Workload) -> String {
    format!("apps/{}/overlays/{}", w.app, w.environment)
}

/// An ApplicationSet whose directories are `yaml::spliced_list(0)`.
fn application_set(
    name: &str,
    project: &str,
    env: &str,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Value {
    let a = &mappings.argocd;
    let directories = [yaml::spliced_list(0)];
    let mut template_spec = json!({
        "project": project,
        "source": { "repoURL": a.repo_url, "targetRevision": a.target_revision, "path": "{{.path.path}}" },
        // Each overlay's kustomization sets its namespace; the destination names only the cluster.
        "destination": destination_json(destination(mappings, inventory, env), None),
    });
    if let Some(p) = sync_policy(mappings) {
        template_spec["syncPolicy"] = p;
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": metadata(name, mappings, None),
        "spec": {
            "goTemplate": true,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{ "git": { "repoURL": a.repo_url, "revision": a.target_revision, "directories": directories } }],
            "template": {
                "metadata": {
                    "name": "{{index .path.segments 1}}-{{.path.basename}}",
                    "labels": { "app.kubernetes.io/name": "{{index .path.segments 1}}", "app.kubernetes.io/managed-by": "ecs2eks" },
                    "finalizers": [FINALIZER],
                },
                "spec": template_spec,
            },
        },
    })
}

/// An AppProject whose destinations are `yaml::spliced_list(0)`.
fn app_project(name: &str, project: &Project, mappings: &Mappings) -> Value {
    let destinations = [yaml::spliced_list(0)];
    let whitelist: Vec<Value> = project
        .cluster_kinds
        .iter()
        .map(|(g, k)| json!({ "group": g, "kind": k }))
        .collect();
    let teams: Vec<&str> = project.teams.iter().map(String::as_str).collect();
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": metadata(name, mappings, None),
        "spec": {
            "description": format!("Apps of team {} migrated from ECS by ecs2eks", teams.join(", ")),
            "sourceRepos": [mappings.argocd.repo_url],
            "destinations": destinations,
            "clusterResourceWhitelist": whitelist,
        },
    })
}

/// The Application's name: the mappings template, falling back to `<app>-<environment>`.
pub fn application_name(mappings: &Mappings, w: &Workload) -> String {
    let ctx = crate::translate::names::NameContext {
        service: &w.app,
        environment: &w.environment,
        account: &w.account,
        account_name: &w.account,
        region: &w.region,
        cluster: &w.cluster,
        family: &w.app,
    };
    crate::translate::names::render(&mappings.names.application, &ctx)
        .unwrap_or_else(|_| format!("{}-{}", w.app, w.environment))
}
