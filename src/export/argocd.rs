//! Argo CD: an Application per overlay, and a kustomization over them so `kubectl apply -k argocd`
//! (or an app of apps) installs them all.

use super::{Tree, yaml};
use crate::mappings::Mappings;
use crate::translate::Workload;
use serde_json::{Value, json};

pub fn render(workloads: &[Workload], mappings: &Mappings, tree: &mut Tree) {
    for w in workloads.iter().filter(|w| !w.failed()) {
        let name = application_name(mappings, w);
        let app = application(
            mappings,
            &name,
            &w.app,
            &format!("apps/{}/overlays/{}", w.app, w.environment),
            &w.namespace,
        );
        tree.insert(format!("argocd/{name}.yaml"), yaml::to_yaml(&app));
    }
    // Every Application in argocd/, also those other exporters wrote (platform/ apps).
    let files: Vec<Value> = tree
        .keys()
        .filter_map(|k| k.strip_prefix("argocd/"))
        .filter(|f| !f.contains('/') && *f != "kustomization.yaml")
        .map(|f| Value::String(f.to_string()))
        .collect();
    if !files.is_empty() {
        let k = json!({
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": files,
        });
        tree.insert("argocd/kustomization.yaml".into(), yaml::to_yaml(&k));
    }
}

/// An Application of the repository's `path`, deployed into `namespace`; `label` is its
/// `app.kubernetes.io/name`.
pub fn application(
    mappings: &Mappings,
    name: &str,
    label: &str,
    path: &str,
    namespace: &str,
) -> Value {
    let a = &mappings.argocd;
    let mut spec = json!({
        "project": a.project,
        "source": {
            "repoURL": a.repo_url,
            "targetRevision": a.target_revision,
            "path": path,
        },
        "destination": { "namespace": namespace },
    });
    let dest = &mut spec["destination"];
    if let Some(server) = &a.destination.server {
        dest["server"] = json!(server);
    }
    if let Some(name) = &a.destination.name {
        dest["name"] = json!(name);
    }
    if a.automated {
        spec["syncPolicy"] = json!({ "automated": { "prune": a.prune, "selfHeal": a.self_heal } });
    }
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": a.namespace,
            "labels": { "app.kubernetes.io/name": label, "app.kubernetes.io/managed-by": "ecs2eks" },
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": spec,
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
