//! Shared ClusterSecretStores: `platform/secret-stores/<env>/` with its own Argo CD Application.
//!
//! A ClusterSecretStore is cluster-scoped and serves every app of the cluster. Put in an app's
//! overlay, it would be owned by whichever Argo CD Application synced it last, and pruning one
//! app would delete the store under all the others. So the stores of an environment live in
//! one kustomization (no `namespace:`: they have none), synced by one Application
//! `secret-stores-<env>`, and the apps' overlays only reference them by name.

use super::{Tree, argocd, yaml};
use crate::inventory::Inventory;
use crate::mappings::Mappings;
use crate::model::target::Conversion;
use std::collections::BTreeMap;

pub fn render(
    conversion: &Conversion,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    tree: &mut Tree,
) {
    let mut by_env: BTreeMap<&str, Vec<_>> = BTreeMap::new();
    for s in &conversion.secret_stores {
        by_env.entry(&s.environment).or_default().push(&s.object);
    }
    let namespace = mappings
        .external_secrets
        .service_account
        .as_ref()
        .and_then(|sa| sa.namespace.as_deref())
        .unwrap_or("external-secrets");
    for (env, stores) in by_env {
        let dir = format!("platform/secret-stores/{env}");
        tree.insert(
            format!("{dir}/clustersecretstore.yaml"),
            yaml::documents(stores),
        );
        let name = format!("secret-stores-{env}");
        let files = (dir.as_str(), &["clustersecretstore.yaml"][..]);
        argocd::platform_folder(tree, &name, files, (namespace, env), mappings, inventory);
    }
}
