//! Overlay patches that find what they change by name, never by list position alone. A team edits
//! the base once ECS is gone (an env var added at the front, a secret key inserted): every
//! overlay must then keep its own values, or fail to build, never deploy a neighbour's value.
//!
//! - Maps, and lists whose elements have merge keys Kustomize knows (the Kubernetes API's:
//!   containers, env vars and volumes by `name`, container ports by `containerPort` and
//!   `protocol`, Service ports by `port` and `protocol`, volume mounts by `mountPath`…), go into
//!   one strategic-merge patch.
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

/// The keys Kustomize matches the elements of a list by, per field name: the Kubernetes API's
/// strategic-merge key, then the other `x-kubernetes-list-map-keys` (Kustomize silently skips a
/// patch element that lacks one of them). Service `spec.ports` merge by `port` and `protocol`
/// instead: `Walk::merge_keys`.
const MERGE_KEYS: &[(&str, &[&str])] = &[
    ("containers", &["name"]),
    ("initContainers", &["name"]),
    ("ephemeralContainers", &["name"]),
    ("env", &["name"]),
    ("volumes", &["name"]),
    ("imagePullSecrets", &["name"]),
    ("ports", &["containerPort", "protocol"]),
    ("volumeMounts", &["mountPath"]),
    ("volumeDevices", &["devicePath"]),
    ("hostAliases", &["ip"]),
    (
        "topologySpreadConstraints",
        &["topologyKey", "whenUnsatisfiable"],
    ),
];
const SERVICE_PORT_KEYS: &[&str] = &["port", "protocol"];

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

/// The values of `keys` in element `e` (null where it has none): what Kustomize matches it by.
fn id(e: &Value, keys: &[&str]) -> Vec<Value> {
    keys.iter()
        .map(|k| e.get(*k).cloned().unwrap_or_default())
        .collect()
}

/// Every element of `list` is an object with a scalar first key, each set of key values once.
fn keyed(list: &[Value], keys: &[&str]) -> bool {
    let mut seen = BTreeSet::new();
    list.iter().all(|e| match e.get(keys[0]) {
        Some(v) if !v.is_object() && !v.is_array() && !v.is_null() => {
            seen.insert(Value::Array(id(e, keys)).to_string())
        }
        _ => false,
    })
}

/// The keys of `e` among `keys`, in order: how a patch element names its target.
fn key_values(e: &Value, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|k| Some((k.to_string(), e.get(*k)?.clone())))
        .collect()
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
                let keys = self
                    .merge_keys(field)
                    .filter(|k| keyed(b, k) && keyed(m, k));
                match keys {
                    Some(keys) => self.merge_list(keys, b, m),
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

    /// The keys of the list in `field` at `path`, when Kustomize merges it by key.
    fn merge_keys(&self, field: &str) -> Option<&'static [&'static str]> {
        if !self.schema {
            return None;
        }
        if self.kind == "Service" && self.path == "/spec/ports" {
            return Some(SERVICE_PORT_KEYS);
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

    /// A list merged by `keys`: its changed and new elements, then the deletions, in the order
    /// that makes Kustomize build the overlay's order exactly. Kustomize orders a list merged by
    /// one key with the patch's elements first, in the patch's order, then the base's others in
    /// theirs: the overlay names its elements up to the last one that changed (or further, until
    /// the rest is in the base's order), the unchanged ones by their keys alone. A list merged by
    /// several keys (ports by number and protocol) keeps the base's order, the new elements
    /// first: an overlay in another order is said in JSON 6902 instead.
    fn merge_list(&mut self, keys: &[&str], b: &[Value], m: &[Value]) -> Option<Value> {
        let matched: Vec<Option<usize>> = m
            .iter()
            .map(|me| b.iter().position(|be| id(be, keys) == id(me, keys)))
            .collect();
        let in_base_order = |rest: &[Option<usize>]| rest.windows(2).all(|w| w[0] < w[1]);
        let several = keys.len() > 1;
        if several && !in_base_order(&matched) {
            self.list_ops(b, m);
            return None;
        }
        // Per overlay element: its patch (changed or new).
        let patches: Vec<Option<Value>> = matched
            .iter()
            .zip(m)
            .map(|(i, me)| match *i {
                Some(i) => {
                    let at = self.enter(b, i);
                    let patch = self.merge("", &b[i], me).map(|p| keys_first(keys, me, p));
                    self.leave(at);
                    patch
                }
                None => Some(me.clone()),
            })
            .collect();
        let mut list: Vec<Value> = if several {
            patches.into_iter().flatten().collect()
        } else {
            let changed = patches
                .iter()
                .rposition(Option::is_some)
                .map_or(0, |j| j + 1);
            let named = (changed..m.len())
                .find(|&k| in_base_order(&matched[k..]))
                .unwrap_or(m.len());
            patches[..named]
                .iter()
                .zip(m)
                .map(|(p, me)| {
                    p.clone()
                        .unwrap_or_else(|| Value::Object(key_values(me, keys)))
                })
                .collect()
        };
        for be in b
            .iter()
            .filter(|be| !m.iter().any(|me| id(me, keys) == id(be, keys)))
        {
            let mut delete = key_values(be, keys);
            delete.insert("$patch".into(), json!("delete"));
            list.push(Value::Object(delete));
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

/// `patch` of list element `e`, its keys first (a strategic-merge element needs them all).
fn keys_first(keys: &[&str], e: &Value, patch: Value) -> Value {
    let mut out = key_values(e, keys);
    if let Value::Object(p) = patch {
        out.extend(p.into_iter().filter(|(k, _)| !keys.contains(&k.as_str())));
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
        let env = |list: Value| json!({"apiVersion": "v1", "kind": "Pod", "spec": {"containers": [{"name": "c", "env": list}]}});
        let e = |name: &str, value: &str| json!({"name": name, "value": value});
        let env_patch = |docs: &[Value]| docs[0]["spec"]["containers"][0]["env"].clone();
        // B changes: A is named before it; C follows in the base's order.
        let docs = patch_docs(
            "Pod",
            env(json!([e("A", "1"), e("B", "2"), e("C", "3")])),
            env(json!([e("A", "1"), e("B", "22"), e("C", "3")])),
        );
        assert_eq!(
            env_patch(&docs),
            json!([{"name": "A"}, {"name": "B", "value": "22"}])
        );
        // Nothing changes but the order: every element up to where the base's order holds.
        let docs = patch_docs(
            "Pod",
            env(json!([e("A", "1"), e("B", "2"), e("C", "3")])),
            env(json!([e("B", "2"), e("A", "1"), e("C", "3")])),
        );
        assert_eq!(env_patch(&docs), json!([{"name": "B"}]));
    }

    /// Ports merge by number and protocol, and Kustomize keeps the base's order there (the new
    /// ones first): changes need no naming of the others, another order is JSON 6902.
    #[test]
    fn service_ports_merge_by_port_and_protocol_in_the_bases_order() {
        let ports = |list: Value| json!({"apiVersion": "v1", "spec": {"ports": list}});
        let p = |port: i64, name: &str| json!({"port": port, "protocol": "TCP", "name": name});
        let docs = patch_docs(
            "Service",
            ports(json!([p(80, "a"), p(81, "b"), p(82, "c")])),
            ports(json!([p(79, "new"), p(80, "a"), p(81, "bb")])),
        );
        assert_eq!(
            docs[0]["spec"]["ports"],
            json!([p(79, "new"), {"port": 81, "protocol": "TCP", "name": "bb"},
                {"port": 82, "protocol": "TCP", "$patch": "delete"}])
        );
        let docs = patch_docs(
            "Service",
            ports(json!([p(80, "a"), p(81, "b")])),
            ports(json!([p(81, "b"), p(80, "a")])),
        );
        assert_eq!(docs[0][0]["op"], "test", "{docs:?}");
        assert_eq!(docs.len(), 1);
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
