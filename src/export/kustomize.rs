//! The Kustomize repository: `apps/<app>/base` with what the environments share and
//! `apps/<app>/overlays/<env>` with the namespace and what differs.
//!
//! The base holds the objects of the app's first environment (inventory order); every overlay
//! says only how its environment differs from that, as `images`, `replicas` and patches that find
//! what they change by name (`overlay_patch`), so `kubectl kustomize` of an overlay gives exactly
//! that environment's objects, and a base edited later never lends an overlay the wrong value.

use super::{Sink, Tree, overlay_patch, yaml};
use crate::model::k8s::Object;
use crate::model::target::{Translated, Workload};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Argo CD sync waves: what others need is applied first (Namespace, then identities and secret
/// stores, then secrets and volumes, then workloads in wave 0).
fn sync_wave(kind: &str) -> Option<&'static str> {
    match kind {
        "Namespace" => Some("-3"),
        "ServiceAccount" | "ClusterSecretStore" | "SecretStore" => Some("-2"),
        // A SecurityGroupPolicy acts on pods created after it.
        "ExternalSecret"
        | "ConfigMap"
        | "PersistentVolume"
        | "PersistentVolumeClaim"
        | "SecurityGroupPolicy" => Some("-1"),
        _ => None,
    }
}

/// The object as JSON, with its sync-wave annotation when `waves` is on.
fn with_wave(o: Object, waves: bool) -> Value {
    let wave = sync_wave(o.kind).filter(|_| waves);
    let mut v = o.into_json();
    if let Some(wave) = wave
        && let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut)
    {
        let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
        annotations["argocd.argoproj.io/sync-wave"] = json!(wave);
    }
    v
}

/// Writes `apps/<app>/` for the translations of one app (one per environment), their objects
/// moved into the documents; failed ones are left out. `env_order` is the inventory's order of
/// environments, `waves` adds Argo CD sync-wave annotations.
pub fn render_app(app: &mut [Translated], env_order: &[&str], waves: bool, sink: &dyn Sink) {
    let envs: Vec<(&Workload, Vec<Object>)> = app
        .iter_mut()
        .map(|t| (&t.workload, std::mem::take(&mut t.objects)))
        .collect();
    let mut envs: Vec<(&Workload, Vec<Object>)> =
        envs.into_iter().filter(|(w, _)| !w.failed()).collect();
    let Some(app) = envs.first().map(|(w, _)| w.app.as_str()) else {
        return;
    };
    let mut tree = Tree::new();
    envs.sort_by_key(|(w, _)| {
        (
            env_order
                .iter()
                .position(|e| *e == w.environment)
                .unwrap_or(usize::MAX),
            w.environment.clone(),
        )
    });
    let root = format!("apps/{app}");
    let mut base_objects = Vec::new();
    for (i, (w, objects)) in envs.into_iter().enumerate() {
        let (namespaces, objects): (Vec<Object>, Vec<Object>) =
            objects.into_iter().partition(|o| o.kind == "Namespace");
        let namespaces: Vec<Value> = namespaces
            .into_iter()
            .map(|o| with_wave(o, waves))
            .collect();
        // The base is the first environment's objects: its overlay has nothing to change.
        let mine = if i == 0 {
            base_objects = namespaced_objects(objects, waves);
            let mut resources = Vec::new();
            for (file, docs) in files_by_kind(&base_objects) {
                tree.insert(format!("{root}/base/{file}"), docs);
                resources.push(file);
            }
            tree.insert(
                format!("{root}/base/kustomization.yaml"),
                kustomization(&json!({ "resources": resources })),
            );
            None
        } else {
            Some(namespaced_objects(objects, waves))
        };
        overlay(&root, w, &base_objects, mine, namespaces, &mut tree);
    }
    sink.put_all(tree);
}

/// The objects as they go in a base: no namespace (the overlay sets it), no ClusterSecretStore
/// (shared: `platform` writes it). Namespace objects are per environment, taken out before.
fn namespaced_objects(objects: Vec<Object>, waves: bool) -> Vec<(&'static str, String, Value)> {
    objects
        .into_iter()
        .filter(|o| o.kind != "ClusterSecretStore")
        .map(|o| {
            let (kind, name) = (o.kind, o.metadata.name.clone());
            let mut v = with_wave(o, waves);
            if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                meta.remove("namespace");
            }
            (kind, name, v)
        })
        .collect()
}

/// One file per kind (`deployment.yaml`, `service.yaml`, …), objects in their stream order.
fn files_by_kind(objects: &[(&'static str, String, Value)]) -> BTreeMap<String, String> {
    let mut files: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for (kind, _, v) in objects {
        files
            .entry(format!("{}.yaml", kind.to_ascii_lowercase()))
            .or_default()
            .push(v);
    }
    files
        .into_iter()
        .map(|(f, docs)| (f, yaml::documents(docs)))
        .collect()
}

fn kustomization(body: &Value) -> String {
    let mut doc = Map::new();
    doc.insert(
        "apiVersion".into(),
        json!("kustomize.config.k8s.io/v1beta1"),
    );
    doc.insert("kind".into(), json!("Kustomization"));
    if let Value::Object(b) = body {
        doc.extend(b.clone());
    }
    yaml::to_yaml(&Value::Object(doc))
}

/// How one environment's objects differ from the base's.
#[derive(Default)]
struct Differences {
    /// Base image name → (new name, tag or digest).
    images: BTreeMap<String, (String, String)>,
    replicas: Vec<Value>,
    patches: Vec<Value>,
    /// Objects the base does not have.
    only_here: Vec<(&'static str, String, Value)>,
}

fn overlay(
    root: &str,
    w: &Workload,
    base: &[(&'static str, String, Value)],
    // None: the same objects as the base.
    mine: Option<Vec<(&'static str, String, Value)>>,
    namespace: Vec<Value>,
    tree: &mut Tree,
) {
    let dir = format!("{root}/overlays/{}", w.environment);
    let mut resources = vec![json!("../../base")];
    if !namespace.is_empty() {
        tree.insert(format!("{dir}/namespace.yaml"), yaml::documents(&namespace));
        resources.push(json!("namespace.yaml"));
    }
    // Without objects of its own (the base's environment), nothing differs.
    let d = mine.map(|mine| differences(base, mine)).unwrap_or_default();
    for (file, docs) in files_by_kind(&d.only_here) {
        let file = format!("only-{file}");
        tree.insert(format!("{dir}/{file}"), docs);
        resources.push(json!(file));
    }
    let mut body = Map::new();
    body.insert("namespace".into(), json!(w.namespace));
    body.insert("resources".into(), Value::Array(resources));
    if !d.images.is_empty() {
        body.insert("images".into(), images_list(d.images));
    }
    if !d.replicas.is_empty() {
        body.insert("replicas".into(), Value::Array(d.replicas));
    }
    if !d.patches.is_empty() {
        body.insert("patches".into(), Value::Array(d.patches));
    }
    tree.insert(
        format!("{dir}/kustomization.yaml"),
        kustomization(&Value::Object(body)),
    );
}

/// What an overlay must say so that the base becomes `mine`: images, replicas, patches,
/// the objects only this environment has, and deletions of those it lacks.
fn differences(
    base: &[(&'static str, String, Value)],
    mine: Vec<(&'static str, String, Value)>,
) -> Differences {
    let mut d = Differences::default();
    let mine_keys: Vec<(&'static str, String)> =
        mine.iter().map(|(k, n, _)| (*k, n.clone())).collect();
    for (kind, name, mut v) in mine {
        let Some((_, _, b)) = base.iter().find(|(k, n, _)| *k == kind && *n == name) else {
            d.only_here.push((kind, name, v));
            continue;
        };
        lift_images(b, &mut v, &mut d.images);
        if let (Some(rb), Some(rv)) = (replicas_of(b), replicas_of(&v))
            && rb != rv
        {
            d.replicas.push(json!({ "name": name, "count": rv }));
            set_replicas(&mut v, rb);
        }
        d.patches.extend(overlay_patch::patches(kind, &name, b, &v));
    }
    for (kind, name, b) in base {
        if !mine_keys.iter().any(|(k, n)| k == kind && n == name) {
            let api = b.get("apiVersion").cloned().unwrap_or(Value::Null);
            let delete = json!({ "$patch": "delete", "apiVersion": api, "kind": kind, "metadata": { "name": name } });
            d.patches.push(json!({ "patch": yaml::to_yaml(&delete) }));
        }
    }
    d
}

/// Kustomize `images` entries: the base image's name, and the new name and tag (or digest).
fn images_list(images: BTreeMap<String, (String, String)>) -> Value {
    let list = images.into_iter().map(|(name, (new_name, tag))| {
        let mut e = Map::new();
        e.insert("name".into(), json!(name));
        if new_name != name {
            e.insert("newName".into(), json!(new_name));
        }
        let key = if tag.starts_with("sha256:") {
            "digest"
        } else {
            "newTag"
        };
        e.insert(key.into(), json!(tag));
        Value::Object(e)
    });
    Value::Array(list.collect())
}

/// Where base and overlay run a different image at the same container, the overlay's image goes
/// to Kustomize `images` (keyed by the base image's name, which Kustomize matches without its
/// tag) and out of the diff. Values are (newName, tag or digest).
fn lift_images(base: &Value, mine: &mut Value, images: &mut BTreeMap<String, (String, String)>) {
    let base_images = all_images(base);
    for list in ["initContainers", "containers"] {
        let path = ["spec", "template", "spec", list];
        let (Some(Value::Array(bc)), Some(Value::Array(mc))) = (
            path.iter().try_fold(base, |v, k| v.get(*k)),
            get_mut(mine, &path),
        ) else {
            continue;
        };
        for (b, m) in bc.iter().zip(mc.iter_mut()) {
            let (Some(bi), Some(mi)) = (
                b.get("image").and_then(Value::as_str),
                m.get("image").and_then(Value::as_str),
            ) else {
                continue;
            };
            if bi == mi || b.get("name") != m.get("name") {
                continue;
            }
            let (bn, _) = split_image(bi);
            let (mn, Some(mt)) = split_image(mi) else {
                continue;
            };
            // Kustomize re-points every image of that name: only when the base runs it once.
            if base_images
                .iter()
                .filter(|i| split_image(i).0 == bn)
                .count()
                != 1
            {
                continue;
            }
            let entry = (mn.to_string(), mt.to_string());
            match images.get(bn) {
                Some(existing) if *existing != entry => continue,
                _ => {}
            }
            images.insert(bn.to_string(), entry);
            m["image"] = json!(bi);
        }
    }
}

fn all_images(v: &Value) -> Vec<String> {
    ["initContainers", "containers"]
        .iter()
        .filter_map(|l| {
            v.pointer(&format!("/spec/template/spec/{l}"))
                .and_then(Value::as_array)
        })
        .flatten()
        .filter_map(|c| c.get("image").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn get_mut<'a>(v: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, k| v.get_mut(*k))
}

fn replicas_of(v: &Value) -> Option<i64> {
    v.pointer("/spec/replicas").and_then(Value::as_i64)
}

fn set_replicas(v: &mut Value, n: i64) {
    if let Some(r) = v.pointer_mut("/spec/replicas") {
        *r = json!(n);
    }
}

/// `registry/repo:tag` → (`registry/repo`, Some(tag)); `repo@sha256:…` → (`repo`, Some(digest)).
fn split_image(image: &str) -> (&str, Option<&str>) {
    if let Some((name, digest)) = image.split_once('@') {
        return (name, Some(digest));
    }
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(i) => (&image[..slash + i], Some(&image[slash + i + 1..])),
        None => (image, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        assert_eq!(split_image("nginx:1.25"), ("nginx", Some("1.25")));
        assert_eq!(
            split_image("localhost:5000/app"),
            ("localhost:5000/app", None)
        );
        assert_eq!(
            split_image("1.dkr.ecr.eu-west-1.amazonaws.com/a:v2"),
            ("1.dkr.ecr.eu-west-1.amazonaws.com/a", Some("v2"))
        );
        assert_eq!(split_image("a@sha256:abc"), ("a", Some("sha256:abc")));
    }
}
