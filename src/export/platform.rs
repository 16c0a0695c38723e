//! Platform objects: the cluster-scoped objects the apps of an environment share, each kind of
//! them in `platform/<what>/<env>/` with its own Argo CD Application `<what>-<env>`:
//! - `secret-stores`: the ClusterSecretStores (docs/secrets.md);
//! - `ingress-classes`: the fenced IngressClasses and IngressClassParams of the IngressGroups
//!   (docs/load-balancing.md);
//! - `logging`: the Fluent Bit outputs of the apps' FireLens routing (`export::logging`).
//!
//! Put in an app's overlay, such an object would be owned by whichever Argo CD Application synced
//! it last, and pruning one app would delete it under all the others. So the objects of an
//! environment live in one kustomization (no `namespace:`: they have none), synced by one
//! Application, and the apps' overlays only reference them by name.

use super::{Tree, argocd, yaml};
use crate::inventory::Inventory;
use crate::mappings::Mappings;
use crate::model::target::{Conversion, SharedObject};
use serde_json::json;
use std::collections::BTreeMap;

/// The Application name prefix and folder of the ClusterSecretStores.
pub const SECRET_STORES: &str = "secret-stores";
/// The Application name prefix and folder of the IngressGroups' classes.
pub const INGRESS_CLASSES: &str = "ingress-classes";

pub fn render(
    conversion: &Conversion,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    tree: &mut Tree,
) {
    let eso = mappings
        .external_secrets
        .service_account
        .as_ref()
        .and_then(|sa| sa.namespace.as_deref())
        .unwrap_or("external-secrets");
    let platform = Platform {
        mappings,
        inventory,
    };
    platform.folder(SECRET_STORES, &conversion.secret_stores, eso, tree);
    // The AWS Load Balancer Controller's namespace (the objects themselves have none).
    platform.folder(
        INGRESS_CLASSES,
        &conversion.ingress_classes,
        "kube-system",
        tree,
    );
}

/// Where platform objects are deployed from: the mappings' Argo CD settings and the inventory's
/// clusters.
pub struct Platform<'a> {
    pub mappings: &'a Mappings,
    pub inventory: Option<&'a Inventory>,
}

impl Platform<'_> {
    /// `platform/<what>/<env>/`, a file per kind, and its Application deployed into `namespace`.
    pub fn folder(&self, what: &str, objects: &[SharedObject], namespace: &str, tree: &mut Tree) {
        let mut by_env: BTreeMap<&str, BTreeMap<String, Vec<_>>> = BTreeMap::new();
        for s in objects {
            let file = format!("{}.yaml", s.object.kind.to_ascii_lowercase());
            let files = by_env.entry(&s.environment).or_default();
            files.entry(file).or_default().push(&s.object);
        }
        for (env, files) in by_env {
            let dir = format!("platform/{what}/{env}");
            let resources: Vec<&String> = files.keys().collect();
            let k = json!({
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": resources,
            });
            tree.insert(format!("{dir}/kustomization.yaml"), yaml::to_yaml(&k));
            for (file, docs) in files {
                tree.insert(format!("{dir}/{file}"), yaml::documents(docs));
            }
            let name = format!("{what}-{env}");
            let (m, inv) = (self.mappings, self.inventory);
            let app = argocd::platform_application(&name, &dir, namespace, env, m, inv);
            tree.insert(format!("argocd/{name}.yaml"), yaml::to_yaml(&app));
        }
    }
}
