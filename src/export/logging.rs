//! The cluster's node-level Fluent Bit outputs: the apps' FireLens routing (`Workload::
//! log_outputs`) in a ConfigMap of the logging namespace, one key per app namespace
//! (`<namespace>.conf`), for the platform's Fluent Bit to mount and `@INCLUDE`.
//!
//! A repository has one ConfigMap per environment (cluster) in `platform/logging/<env>/`, with its
//! own Argo CD Application `logging-<env>`, as the shared secret stores do. The stdout stream has
//! one per app instead: it is applied once per service, and one shared ConfigMap would hold only
//! the last service's outputs.

use super::Tree;
use super::platform::Platform;
use crate::inventory::Inventory;
use crate::mappings::Mappings;
use crate::model::k8s::{Object, ObjectMeta};
use crate::model::names;
use crate::model::target::{Conversion, SharedObject, Workload};
use serde_json::json;
use std::collections::BTreeMap;

/// The ConfigMap of an environment's outputs in a repository.
pub const CONFIG_MAP: &str = "ecs2eks-fluent-bit-outputs";

/// A ConfigMap `name` of the Fluent Bit outputs in `data` (key `<namespace>.conf`).
fn config_map(name: &str, data: BTreeMap<String, &str>, mappings: &Mappings) -> Object {
    let meta = ObjectMeta {
        name: name.to_string(),
        namespace: Some(mappings.logging.namespace.clone()),
        labels: mappings.labels.clone(),
        ..ObjectMeta::default()
    };
    Object::new("v1", "ConfigMap", meta, json!({ "data": data }))
}

fn live(workloads: &[Workload]) -> impl Iterator<Item = (&Workload, &str)> {
    workloads
        .iter()
        .filter(|w| !w.failed())
        .filter_map(|w| Some((w, w.log_outputs.as_deref()?)))
}

/// The stream's ConfigMaps: one per app that has outputs.
pub fn per_app(workloads: &[Workload], mappings: &Mappings) -> Vec<Object> {
    live(workloads)
        .map(|(w, outputs)| {
            let name = names::dns_label(&format!("ecs2eks-fluent-bit-{}", w.namespace), "logging");
            let data = [(format!("{}.conf", w.namespace), outputs)].into();
            config_map(&name, data, mappings)
        })
        .collect()
}

/// `platform/logging/<env>/`: each environment's ConfigMap, its kustomization and Application.
pub fn render(
    conversion: &Conversion,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    tree: &mut Tree,
) {
    let mut by_env: BTreeMap<&str, BTreeMap<String, &str>> = BTreeMap::new();
    for (w, outputs) in live(&conversion.workloads) {
        let data = by_env.entry(&w.environment).or_default();
        data.insert(format!("{}.conf", w.namespace), outputs);
    }
    let maps: Vec<SharedObject> = by_env
        .into_iter()
        .map(|(env, data)| SharedObject {
            environment: env.to_string(),
            object: config_map(CONFIG_MAP, data, mappings),
        })
        .collect();
    let platform = Platform {
        mappings,
        inventory,
    };
    platform.folder("logging", &maps, &mappings.logging.namespace, tree);
}
