//! Overlay patches that find what they change by name, never by list position alone. A team edits
//! the base once ECS is gone (an env var added at the front, a secret key inserted): every
//! overlay must then keep its own values, or fail to build, never deploy a neighbour's value.
//!
//! - Maps, and lists whose elements have a merge key Kustomize knows (the Kubernetes API's
//!   `patchMergeKey`s: containers, env vars and volumes by `name`, container ports by
//!   `containerPort`, Service ports by `port`, volume mounts by `mountPath`…), go into one
//!   strategic-merge patch.
//! - What only a JSON 6902 patch can say (lists without a merge key, and every list of a custom
//!   resource, whose schema Kustomize does not know, such as an ExternalSecret's `data`) goes into
//!   a JSON 6902 patch applied first. Each list index on an operation's path is guarded by an
//!   `op: test` of the element's identity (its `name`, `secretKey`…, or the whole element when it
//!   has none), and a list replaced whole is tested whole: an edited base fails `kustomize build`.
//!
//! Nothing here knows a kind's fields beyond the merge-key table, so a new per-environment value
//! (security groups, say) is patched by name without code of its own.

use super::yaml;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// The Kubernetes API's strategic-merge keys of the lists ecs2eks writes, by field name (Service
/// `spec.ports` merge by `port` instead: `Walk::merge_key`).
const MERGE_KEYS: &[(&str, &str)] = &[
    ("containers", "name"),
    ("initContainers", "name"),
    ("ephemeralContainers", "name"),
    ("env", "name"),
    ("volumes", "name"),
    ("imagePullSecrets", "name"),
    ("ports", "containerPort"),
    ("volumeMounts", "mountPath"),
    ("volumeDevices", "devicePath"),
    ("hostAliases", "ip"),
    ("topologySpreadConstraints", "topologyKey"),
];

/// What tells a list element from its neighbours in a JSON 6902 `test`, most specific first.
const IDENTITY_KEYS: &[&str] = &[
    "name",
    "secretKey",
    "key",
    "containerPort",
    "port",
    "mountPath",
    "devicePath",
    "ip",
    "topologyKey",
    "host",
    "path",
    "type",
];

/// The `patches:` entries that turn `base` into `mine`, one object of `kind` named `name`: a
/// JSON 6902 patch first (its paths index the base as written), then a strategic-merge patch.
/// None when they are equal.
pub fn patches(kind: &str, name: &str, base: &Value, mine: &Value) -> Vec<Value> {
    let api_version = mine.get("apiVersion").cloned().unwrap_or(Value::Null);
    let mut walk = Walk {
        schema: schema_known(api_version.as_str().unwrap_or("")),
        kind,
        path: String::new(),
        guards: Vec::new(),
        tested: BTreeSet::new(),
        ops: Vec::new(),
    };
    let merge = walk.merge("", base, mine);
    let target = json!({ "kind": kind, "name": name });
    let mut out = Vec::new();
    if !walk.ops.is_empty() {
        let ops = Value::Array(walk.ops);
        out.push(json!({ "target": target, "patch": yaml::to_yaml(&ops) }));
    }
    if let Some(Value::Object(mut merge)) = merge {
        let mut metadata = Map::new();
        metadata.insert("name".into(), json!(name));
        if let Some(Value::Object(m)) = merge.remove("metadata") {
            metadata.extend(m);
        }
        let mut doc = Map::new();
        doc.insert("apiVersion".into(), api_version);
        doc.insert("kind".into(), json!(kind));
        doc.insert("metadata".into(), Value::Object(metadata));
        doc.extend(merge);
        out.push(json!({ "target": target, "patch": yaml::to_yaml(&Value::Object(doc)) }));
    }
    out
}

/// Kustomize merges lists by key only in the kinds whose schema it has: the Kubernetes API's own
/// (the core group, groups without a dot, and `*.k8s.io`).
fn schema_known(api_version: &str) -> bool {
    match api_version.rsplit_once('/') {
        None => true,
        Some((group, _)) => !group.contains('.') || group.ends_with(".k8s.io"),
    }
}

/// Every element of `list` is an object with a scalar `key`, each value once.
fn keyed(list: &[Value], key: &str) -> bool {
    let mut seen = BTreeSet::new();
    list.iter().all(|e| match e.get(key) {
        Some(v) if !v.is_object() && !v.is_array() && !v.is_null() => seen.insert(v.to_string()),
        _ => false,
    })
}

/// The `test` that tells element `i` of `list` (at `path`) is the one meant: its first identity
/// key whose value no other element has, else the whole element.
fn identity(list: &[Value], i: usize, path: &str) -> (String, Value) {
    let e = &list[i];
    for key in IDENTITY_KEYS {
        let Some(v) = e.get(*key).filter(|v| !v.is_object() && !v.is_array()) else {
            continue;
        };
        if list.iter().filter(|o| o.get(*key) == Some(v)).count() == 1 {
            return (format!("{path}/{key}"), v.clone());
        }
    }
    (path.to_string(), e.clone())
}

/// A walk of base and overlay side by side, collecting JSON 6902 operations as it goes.
struct Walk<'a> {
    /// Kustomize knows the kind's schema, so merge keys merge.
    schema: bool,
    kind: &'a str,
    /// JSON pointer, into the base, of the values compared.
    path: String,
    /// What must hold before any operation under `path`: a test per list index on the way.
    guards: Vec<(String, Value)>,
    /// The paths tested already (each test once, before the first operation that needs it).
    tested: BTreeSet<String>,
    ops: Vec<Value>,
}

impl Walk<'_> {
    /// The strategic-merge patch that makes `base` (the value of `field`) `mine`; None when there
    /// is nothing to merge (equal, or said by JSON 6902 operations).
    fn merge(&mut self, field: &str, base: &Value, mine: &Value) -> Option<Value> {
        match (base, mine) {
            (Value::Object(b), Value::Object(m)) => self.merge_map(b, m),
            (Value::Array(b), Value::Array(m)) if b != m => {
                let key = self.merge_key(field).filter(|k| keyed(b, k) && keyed(m, k));
                match key {
                    Some(key) => self.merge_list(key, b, m),
                    None => {
                        self.list_ops(b, m);
                        None
                    }
                }
            }
            _ if base == mine => None,
            _ => Some(mine.clone()),
        }
    }

    /// The merge key of the list in `field` at `path`, when Kustomize merges it by one.
    fn merge_key(&self, field: &str) -> Option<&'static str> {
        if !self.schema {
            return None;
        }
        if self.kind == "Service" && self.path == "/spec/ports" {
            return Some("port");
        }
        MERGE_KEYS
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, k)| *k)
    }

    /// Maps merge key by key; a key the overlay lacks is deleted with `null`.
    fn merge_map(&mut self, b: &Map<String, Value>, m: &Map<String, Value>) -> Option<Value> {
        let mut patch = Map::new();
        for (k, bv) in b {
            let len = self.path.len();
            push_key(&mut self.path, k);
            match m.get(k) {
                None => {
                    patch.insert(k.clone(), Value::Null);
                }
                Some(mv) => {
                    if let Some(p) = self.merge(k, bv, mv) {
                        patch.insert(k.clone(), p);
                    }
                }
            }
            self.path.truncate(len);
        }
        for (k, mv) in m {
            if !b.contains_key(k) {
                patch.insert(k.clone(), mv.clone());
            }
        }
        (!patch.is_empty()).then_some(Value::Object(patch))
    }

    /// A list merged by `key`: its changed and new elements, the unchanged ones before them by
    /// key alone, then the deletions. Kustomize puts a patch's elements first, in the patch's
    /// order, then the base's others in theirs: naming the overlay's elements up to the last one
    /// that changed (or further, until the rest is in the base's order) keeps its order exact.
    fn merge_list(&mut self, key: &str, b: &[Value], m: &[Value]) -> Option<Value> {
        // Per overlay element: its base index, and its patch (changed or new).
        let mut entries: Vec<(Option<usize>, Option<Value>)> = Vec::with_capacity(m.len());
        for me in m {
            let entry = match b.iter().position(|be| be[key] == me[key]) {
                Some(i) => {
                    let at = self.enter(b, i);
                    let patch = self
                        .merge("", &b[i], me)
                        .map(|p| key_first(key, &me[key], p));
                    self.leave(at);
                    (Some(i), patch)
                }
                None => (None, Some(me.clone())),
            };
            entries.push(entry);
        }
        let changed = entries
            .iter()
            .rposition(|(_, p)| p.is_some())
            .map_or(0, |j| j + 1);
        let in_base_order =
            |rest: &[(Option<usize>, Option<Value>)]| rest.windows(2).all(|w| w[0].0 < w[1].0);
        let named = (changed..entries.len())
            .find(|&k| in_base_order(&entries[k..]))
            .unwrap_or(entries.len());
        let mut list: Vec<Value> = entries[..named]
            .iter()
            .zip(m)
            .map(|((_, p), me)| p.clone().unwrap_or_else(|| json!({ key: me[key] })))
            .collect();
        for be in b.iter().filter(|be| !m.iter().any(|me| me[key] == be[key])) {
            list.push(json!({ key: be[key], "$patch": "delete" }));
        }
        (!list.is_empty()).then_some(Value::Array(list))
    }

    /// JSON 6902 operations for a list without a merge key: element by element when the lengths
    /// agree, else the whole list, tested whole first.
    fn list_ops(&mut self, b: &[Value], m: &[Value]) {
        if b.len() != m.len() {
            self.guards
                .push((self.path.clone(), Value::Array(b.to_vec())));
            self.op("replace", Some(&Value::Array(m.to_vec())));
            self.guards.pop();
            return;
        }
        for (i, (bv, mv)) in b.iter().zip(m).enumerate() {
            if bv != mv {
                let at = self.enter(b, i);
                self.ops(bv, mv);
                self.leave(at);
            }
        }
    }

    /// JSON 6902 operations that turn `b` into `m` at `path`.
    fn ops(&mut self, b: &Value, m: &Value) {
        match (b, m) {
            (Value::Object(bo), Value::Object(mo)) => {
                for (k, bv) in bo {
                    let len = self.path.len();
                    push_key(&mut self.path, k);
                    match mo.get(k) {
                        Some(mv) => self.ops(bv, mv),
                        None => self.op("remove", None),
                    }
                    self.path.truncate(len);
                }
                for (k, mv) in mo.iter().filter(|(k, _)| !bo.contains_key(*k)) {
                    let len = self.path.len();
                    push_key(&mut self.path, k);
                    self.op("add", Some(mv));
                    self.path.truncate(len);
                }
            }
            (Value::Array(ba), Value::Array(ma)) => self.list_ops(ba, ma),
            _ if b == m => {}
            _ => self.op("replace", Some(m)),
        }
    }

    /// One operation at `path`, after the tests of the list elements on its way.
    fn op(&mut self, op: &str, value: Option<&Value>) {
        for (path, v) in &self.guards {
            if self.tested.insert(path.clone()) {
                self.ops
                    .push(json!({ "op": "test", "path": path, "value": v }));
            }
        }
        let mut o = json!({ "op": op, "path": self.path });
        if let Some(v) = value {
            o["value"] = v.clone();
        }
        self.ops.push(o);
    }

    /// Steps into element `i` of `list` (at `path`), guarded by its identity; returns what
    /// `leave` restores.
    fn enter(&mut self, list: &[Value], i: usize) -> (usize, usize) {
        let at = (self.path.len(), self.guards.len());
        let _ = std::fmt::Write::write_fmt(&mut self.path, format_args!("/{i}"));
        self.guards.push(identity(list, i, &self.path));
        at
    }

    fn leave(&mut self, (path, guards): (usize, usize)) {
        self.path.truncate(path);
        self.guards.truncate(guards);
    }
}

/// `patch` of a list element, its merge key first (a strategic-merge element needs it).
fn key_first(key: &str, value: &Value, patch: Value) -> Value {
    let mut out = Map::new();
    out.insert(key.to_string(), value.clone());
    if let Value::Object(p) = patch {
        out.extend(p.into_iter().filter(|(k, _)| k != key));
    }
    Value::Object(out)
}

/// `/key`, escaped as a JSON pointer token (`~` → `~0`, `/` → `~1`).
fn push_key(path: &mut String, key: &str) {
    path.push('/');
    if key.bytes().any(|b| b == b'~' || b == b'/') {
        path.push_str(&key.replace('~', "~0").replace('/', "~1"));
    } else {
        path.push_str(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch_docs(kind: &str, base: Value, mine: Value) -> Vec<Value> {
        patches(kind, "x", &base, &mine)
            .into_iter()
            .map(|p| serde_norway::from_str(p["patch"].as_str().unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn env_vars_are_merged_by_name_and_a_value_becomes_a_reference() {
        let env = |vars: Value| {
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "spec": {"template": {"spec": {"containers": [{"name": "app", "env": vars}]}}}})
        };
        let base = env(
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "dev"},
            {"name": "C", "value": "3"}, {"name": "GONE", "value": "x"}]),
        );
        let mine = env(json!([{"name": "A", "value": "1"},
            {"name": "B", "valueFrom": {"secretKeyRef": {"name": "s", "key": "B"}}},
            {"name": "C", "value": "3"}]));
        let docs = patch_docs("Deployment", base, mine);
        assert_eq!(docs.len(), 1, "no JSON 6902 patch: {docs:?}");
        assert_eq!(
            docs[0]["spec"]["template"]["spec"]["containers"],
            json!([{"name": "app", "env": [
                {"name": "A"},
                {"name": "B", "value": null, "valueFrom": {"secretKeyRef": {"name": "s", "key": "B"}}},
                {"name": "GONE", "$patch": "delete"}]}])
        );
        assert_eq!(docs[0]["metadata"], json!({"name": "x"}));
    }

    #[test]
    fn custom_resource_lists_are_patched_by_index_behind_a_test_of_the_key() {
        let es = |key: &str| {
            json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                "spec": {"secretStoreRef": {"name": format!("store-{key}")},
                    "data": [{"secretKey": "A", "remoteRef": {"key": "a"}},
                             {"secretKey": "DB", "remoteRef": {"key": key}}]}})
        };
        let docs = patch_docs("ExternalSecret", es("dev"), es("prod"));
        assert_eq!(
            docs[0],
            json!([
                {"op": "test", "path": "/spec/data/1/secretKey", "value": "DB"},
                {"op": "replace", "path": "/spec/data/1/remoteRef/key", "value": "prod"},
            ])
        );
        assert_eq!(
            docs[1]["spec"],
            json!({"secretStoreRef": {"name": "store-prod"}})
        );
    }

    #[test]
    fn lists_of_other_lengths_are_replaced_whole_after_a_test_of_the_whole() {
        let ing =
            |hosts: Value| json!({"apiVersion": "networking.k8s.io/v1", "spec": {"rules": hosts}});
        let docs = patch_docs(
            "Ingress",
            ing(json!([{"host": "a"}])),
            ing(json!([{"host": "a"}, {"host": "b"}])),
        );
        assert_eq!(
            docs[0],
            json!([
                {"op": "test", "path": "/spec/rules", "value": [{"host": "a"}]},
                {"op": "replace", "path": "/spec/rules", "value": [{"host": "a"}, {"host": "b"}]},
            ])
        );
    }

    #[test]
    fn the_overlays_order_is_kept_by_naming_the_elements_before_a_change() {
        let ports = |list: Value| json!({"apiVersion": "v1", "spec": {"ports": list}});
        let p = |port: i64, name: &str| json!({"port": port, "name": name});
        // 81 changes: 80 is named before it; 82 follows in the base's order.
        let docs = patch_docs(
            "Service",
            ports(json!([p(80, "a"), p(81, "b"), p(82, "c")])),
            ports(json!([p(80, "a"), p(81, "bb"), p(82, "c")])),
        );
        assert_eq!(
            docs[0]["spec"]["ports"],
            json!([{"port": 80}, {"port": 81, "name": "bb"}])
        );
        // Nothing changes but the order: every element up to where the base's order holds.
        let docs = patch_docs(
            "Service",
            ports(json!([p(80, "a"), p(81, "b"), p(82, "c")])),
            ports(json!([p(81, "b"), p(80, "a"), p(82, "c")])),
        );
        assert_eq!(docs[0]["spec"]["ports"], json!([{"port": 81}]));
    }

    #[test]
    fn a_list_inside_a_merged_element_is_reached_through_the_elements_tested_index() {
        let d = |args: Value| {
            json!({"apiVersion": "apps/v1", "spec": {"template": {"spec": {"containers": [
                {"name": "side", "args": ["x"]}, {"name": "app", "args": args}]}}}})
        };
        let docs = patch_docs("Deployment", d(json!(["a", "b"])), d(json!(["a", "c"])));
        assert_eq!(
            docs[0],
            json!([
                {"op": "test", "path": "/spec/template/spec/containers/1/name", "value": "app"},
                {"op": "test", "path": "/spec/template/spec/containers/1/args/1", "value": "b"},
                {"op": "replace", "path": "/spec/template/spec/containers/1/args/1", "value": "c"},
            ])
        );
        assert_eq!(docs.len(), 1);
    }

    #[test]
    fn kinds_whose_schema_kustomize_has() {
        assert!(schema_known("v1") && schema_known("apps/v1"));
        assert!(schema_known("networking.k8s.io/v1"));
        assert!(!schema_known("external-secrets.io/v1") && !schema_known("elbv2.k8s.aws/v1beta1"));
    }
}
