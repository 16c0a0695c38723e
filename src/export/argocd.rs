//! Argo CD: an AppProject per team, and an Application per overlay (or an ApplicationSet per
//! project and environment whose Git directory generator lists exactly its overlays), plus a
//! kustomization over them so `kubectl apply -k argocd` (or an app of apps) installs them all.

use super::{Tree, yaml};
use crate::inventory::Inventory;
use crate::mappings::{Destination, Generator, Mappings};
use crate::model::target::Workload;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// The Application files (path, YAML) of one app's workloads, when the mappings ask for one
/// Application per overlay (else none: ApplicationSets are per project).
pub fn applications<'a>(
    app: impl IntoIterator<Item = &'a Workload>,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Vec<(String, String)> {
    if mappings.argocd.generator != Generator::Applications {
        return Vec::new();
    }
    app.into_iter()
        .filter(|w| !w.failed())
        .map(|w| {
            let name = application_name(mappings, w);
            let doc = application(&name, w, mappings, inventory);
            (format!("argocd/{name}.yaml"), yaml::to_yaml(&doc))
        })
        .collect()
}

/// Writes `argocd/` for `workloads`, but for the Applications (`applications` wrote them with
/// their apps); the kustomization lists them, and the Applications already in `tree`.
pub fn render(
    workloads: &[Workload],
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    tree: &mut Tree,
) {
    let a = &mappings.argocd;
    let live: Vec<&Workload> = workloads.iter().filter(|w| !w.failed()).collect();
    let mut files = Vec::new();
    let mut emit = |file: String, doc: Value, tree: &mut Tree| {
        tree.insert(format!("argocd/{file}"), yaml::to_yaml(&doc));
        files.push(Value::String(file));
    };

    // Projects: one per team, its destinations restricted to the team's namespaces.
    let mut projects: BTreeMap<String, Vec<&Workload>> = BTreeMap::new();
    for w in &live {
        projects.entry(project_of(mappings, w)).or_default().push(w);
    }
    for (project, members) in &projects {
        if members.iter().all(|w| w.team.is_empty()) {
            continue; // the mappings' project (e.g. `default`) exists already
        }
        emit(
            format!("project-{project}.yaml"),
            app_project(project, members, mappings, inventory),
            tree,
        );
    }

    match a.generator {
        Generator::Applications => {
            for w in &live {
                files.push(Value::String(format!(
                    "{}.yaml",
                    application_name(mappings, w)
                )));
            }
        }
        Generator::Applicationset => {
            for (project, members) in &projects {
                let mut by_env: BTreeMap<&str, Vec<&Workload>> = BTreeMap::new();
                for w in members {
                    by_env.entry(&w.environment).or_default().push(w);
                }
                for (env, ws) in by_env {
                    let name = crate::model::names::dns_label(&format!("{project}-{env}"), "apps");
                    emit(
                        format!("applicationset-{name}.yaml"),
                        application_set(&name, project, env, &ws, mappings, inventory),
                        tree,
                    );
                }
            }
        }
    }
    // Applications other exporters wrote before (platform/ apps such as the secret stores).
    let listed: BTreeSet<&str> = files.iter().filter_map(Value::as_str).collect();
    let others: Vec<Value> = tree
        .keys()
        .filter_map(|k| k.strip_prefix("argocd/"))
        .filter(|f| !f.contains('/') && *f != "kustomization.yaml")
        .map(|f| Value::String(f.to_string()))
        .filter(|f| !listed.contains(f.as_str().unwrap_or_default()))
        .collect();
    files.extend(others);
    if !files.is_empty() {
        let k = json!({
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": files,
        });
        tree.insert("argocd/kustomization.yaml".into(), yaml::to_yaml(&k));
    }
}

fn project_of(mappings: &Mappings, w: &Workload) -> String {
    if w.team.is_empty() {
        mappings.argocd.project.clone()
    } else {
        crate::model::names::dns_label(&w.team, "team")
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

fn application_set(
    name: &str,
    project: &str,
    env: &str,
    ws: &[&Workload],
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Value {
    let a = &mappings.argocd;
    let directories: BTreeSet<String> = ws.iter().map(|w| overlay_path(w)).collect();
    let directories: Vec<Value> = directories
        .into_iter()
        .map(|p| json!({ "path": p }))
        .collect();
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

fn app_project(
    project: &str,
    members: &[&Workload],
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Value {
    let mut destinations: BTreeMap<String, Value> = BTreeMap::new();
    let mut cluster_kinds: BTreeSet<&(String, String)> = BTreeSet::new();
    for w in members {
        let d = destination_json(
            destination(mappings, inventory, &w.environment),
            Some(&w.namespace),
        );
        destinations.insert(d.to_string(), d);
        cluster_kinds.extend(&w.facts.cluster_kinds);
    }
    let destinations: Vec<Value> = destinations.into_values().collect();
    let whitelist: Vec<Value> = cluster_kinds
        .into_iter()
        .map(|(g, k)| json!({ "group": g, "kind": k }))
        .collect();
    let teams: BTreeSet<&str> = members.iter().map(|w| w.team.as_str()).collect();
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": metadata(project, mappings, None),
        "spec": {
            "description": format!("Apps of team {} migrated from ECS by ecs2eks", teams.into_iter().collect::<Vec<_>>().join(", ")),
            "sourceRepos": [mappings.argocd.repo_url],
            "destinations": destinations,
            "clusterResourceWhitelist": whitelist,
        },
    })
}

/// The Application's name: the mappings template, falling back to `<app>-<environment>`.
pub fn application_name(mappings: &Mappings, w: &Workload) -> String {
    let ctx = crate::model::names::NameContext {
        service: &w.app,
        environment: &w.environment,
        account: &w.account,
        account_name: &w.account,
        region: &w.region,
        cluster: &w.cluster,
        family: &w.app,
    };
    crate::model::names::render(&mappings.names.application, &ctx)
        .unwrap_or_else(|_| format!("{}-{}", w.app, w.environment))
}
