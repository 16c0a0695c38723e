//! Stores and ExternalSecrets: one store per (provider, account, region) a workload reads, and
//! one ExternalSecret per store whose `data` holds every reference read through it.

use super::references::{Provider, Reference, remote_ref};
use super::{API_VERSION, SecretsContext, secret_key};
use crate::diagnostics::{Code, Findings};
use crate::mappings::{ExternalSecrets, StoreKind};
use crate::model::k8s::Object;
use crate::model::names::{self, dns_label};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

/// Where a reference is read: the store's identity.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct StoreKey {
    provider: Provider,
    account: String,
    region: String,
}

#[derive(Serialize)]
struct StoreNameContext<'a> {
    provider: &'static str,
    account: &'a str,
    region: &'a str,
    environment: &'a str,
    app: &'a str,
    namespace: &'a str,
}

#[derive(Serialize)]
struct ExternalSecretNameContext<'a> {
    app: &'a str,
    store: &'a str,
    provider: &'static str,
    account: &'a str,
    region: &'a str,
    environment: &'a str,
    /// Empty for the workload's own account and region, else `<account>-<region>`.
    remote: String,
}

/// A resolved store: its name, its object, and the data of the workload's ExternalSecret.
pub(super) struct Store {
    pub name: String,
    pub object: Object,
    external_secret: String,
    /// secretKey → remoteRef
    data: BTreeMap<String, Value>,
}

/// The stores a workload reads through, by identity, made as references come.
pub(super) struct Stores<'c, 'a> {
    pub ctx: &'c SecretsContext<'a>,
    stores: BTreeMap<StoreKey, Store>,
}

impl<'c, 'a> Stores<'c, 'a> {
    pub fn new(ctx: &'c SecretsContext<'a>) -> Self {
        Stores {
            ctx,
            stores: BTreeMap::new(),
        }
    }

    /// The store `r` is read through: its own account and region, else the workload's.
    fn key(&self, r: &Reference) -> StoreKey {
        StoreKey {
            provider: r.provider,
            account: if r.account.is_empty() {
                self.ctx.account.to_string()
            } else {
                r.account.clone()
            },
            region: if r.region.is_empty() {
                self.ctx.region.to_string()
            } else {
                r.region.clone()
            },
        }
    }

    /// The store of `r`, made on first use (its findings at `at`).
    pub fn store_of(&mut self, r: &Reference, at: &str, findings: &mut Findings) -> &mut Store {
        let ctx = self.ctx;
        match self.stores.entry(self.key(r)) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let store = new_store(ctx, e.key(), at, findings);
                e.insert(store)
            }
        }
    }

    /// Adds `r` to its store's ExternalSecret for env var `name` (at `at`), under the Secret key
    /// `name` becomes, suffixed `-2`, `-3`… while another reference holds that key; returns the
    /// ExternalSecret's name and the key.
    pub fn add(
        &mut self,
        r: &Reference,
        name: &str,
        at: &str,
        findings: &mut Findings,
    ) -> (String, String) {
        let store = self.store_of(r, at, findings);
        let remote = remote_ref(r);
        let wanted = secret_key(name);
        let mut key = wanted.clone();
        let mut n = 2;
        while store.data.get(&key).is_some_and(|v| *v != remote) {
            key = format!("{wanted}-{n}");
            n += 1;
        }
        if key != name {
            findings.push(
                Code::SecretKeyRenamed,
                at,
                format!("{name} reads key {key} of Secret {}", store.external_secret),
            );
        }
        store.data.insert(key.clone(), remote);
        (store.external_secret.clone(), key)
    }

    /// The stores' names, in store order.
    pub fn names(&self) -> Vec<&str> {
        self.stores.values().map(|s| s.name.as_str()).collect()
    }

    /// In store order: each store's ExternalSecret (when something is read through it), then the
    /// store.
    pub fn into_objects(self) -> Vec<Object> {
        let ctx = self.ctx;
        let mut objects = Vec::new();
        for store in self.stores.into_values() {
            if !store.data.is_empty() {
                let data: Vec<Value> = store
                    .data
                    .into_iter()
                    .map(|(k, r)| json!({ "secretKey": k, "remoteRef": r }))
                    .collect();
                let spec = json!({
                    "refreshInterval": ctx.mappings.refresh_interval,
                    "secretStoreRef": { "name": store.name, "kind": store.object.kind },
                    "target": { "name": store.external_secret, "creationPolicy": "Owner" },
                    "data": data,
                });
                objects.push(external_secret(ctx, &store.external_secret, spec));
            }
            objects.push(store.object);
        }
        objects
    }
}

/// An ExternalSecret named `name`.
pub(super) fn external_secret(ctx: &SecretsContext<'_>, name: &str, spec: Value) -> Object {
    Object::new(
        API_VERSION,
        "ExternalSecret",
        (ctx.meta)(name),
        json!({ "spec": spec }),
    )
}

/// The store of `key` and the name of its ExternalSecret (a failing name template gives E2K160
/// and the default name); findings for a store in another account or in no region.
fn new_store(ctx: &SecretsContext<'_>, key: &StoreKey, at: &str, findings: &mut Findings) -> Store {
    let m = ctx.mappings;
    let names_ctx = StoreNameContext {
        provider: key.provider.slug(),
        account: &key.account,
        region: &key.region,
        environment: ctx.environment,
        app: ctx.app,
        namespace: ctx.namespace,
    };
    let fallback = format!("aws-{}-{}-{}", key.provider.slug(), key.account, key.region);
    let name = render_name(&m.store_name, &names_ctx, &fallback, findings);
    let external_secret = external_secret_name(ctx, key, &name, &fallback, findings);
    let cross = !ctx.cluster.holds(&key.account, ctx.account);
    let role = store_role(m, cross, &names_ctx, findings);
    if cross {
        findings.push(
            Code::CrossAccountSecret,
            at,
            format!(
                "{} of account {} ({}) is read through store {name}, which assumes {}",
                key.provider.service(),
                key.account,
                key.region,
                role.as_deref().unwrap_or("no role")
            ),
        );
    }
    if key.region.is_empty() {
        findings.push(
            Code::StoreRegionUnknown,
            at,
            format!("store {name} has no region: the workload's region is unknown"),
        );
    }
    let object = store_object(ctx, &name, key, role.as_deref());
    Store {
        name,
        object,
        external_secret,
        data: BTreeMap::new(),
    }
}

/// The name of the workload's ExternalSecret that reads through store `store` (of `key`;
/// `fallback` is the store's default name).
fn external_secret_name(
    ctx: &SecretsContext<'_>,
    key: &StoreKey,
    store: &str,
    fallback: &str,
    findings: &mut Findings,
) -> String {
    let names_ctx = ExternalSecretNameContext {
        app: ctx.app,
        store,
        provider: key.provider.slug(),
        account: &key.account,
        region: &key.region,
        environment: ctx.environment,
        remote: if key.account == ctx.account && key.region == ctx.region {
            String::new()
        } else {
            format!("{}-{}", key.account, key.region)
        },
    };
    render_name(
        &ctx.mappings.external_secret_name,
        &names_ctx,
        &format!("{}-{fallback}", ctx.app),
        findings,
    )
}

/// The role a store assumes: the mappings' `role`, else the cross-account role when the store
/// reads another account.
fn store_role(
    m: &ExternalSecrets,
    cross: bool,
    names_ctx: &StoreNameContext<'_>,
    findings: &mut Findings,
) -> Option<String> {
    let template = m
        .role
        .as_deref()
        .or(cross.then_some(m.cross_account_role.as_str()))?;
    match names::render_text(template, names_ctx) {
        Ok(r) => Some(r),
        Err(e) => {
            findings.push(Code::NameTemplate, "", e);
            None
        }
    }
}

/// A name from `template`, as a DNS label; `fallback` when the template fails (E2K160).
fn render_name(
    template: &str,
    ctx: &impl Serialize,
    fallback: &str,
    findings: &mut Findings,
) -> String {
    match names::render_text(template, ctx) {
        Ok(s) => dns_label(&s, &dns_label(fallback, "secrets")),
        Err(e) => {
            findings.push(Code::NameTemplate, "", e);
            dns_label(fallback, "secrets")
        }
    }
}

/// The SecretStore or ClusterSecretStore `name` of `key`, assuming `role` when given.
fn store_object(
    ctx: &SecretsContext<'_>,
    name: &str,
    key: &StoreKey,
    role: Option<&str>,
) -> Object {
    let m = ctx.mappings;
    let mut aws = json!({ "service": key.provider.service(), "region": key.region });
    if let Some(role) = role {
        aws["role"] = json!(role);
    }
    if let Some(sa) = &m.service_account {
        let mut sa_ref = json!({ "name": sa.name });
        if m.store_kind() == StoreKind::ClusterSecretStore {
            sa_ref["namespace"] = json!(sa.namespace.as_deref().unwrap_or("external-secrets"));
        }
        aws["auth"] = json!({ "jwt": { "serviceAccountRef": sa_ref } });
    }
    let spec = json!({ "provider": { "aws": aws } });
    let mut meta = (ctx.meta)(name);
    match m.store_kind() {
        StoreKind::ClusterSecretStore => {
            // Shared by every app of the cluster: no namespace, no app label.
            meta.namespace = None;
            meta.labels.remove("app.kubernetes.io/name");
            Object::new(
                API_VERSION,
                "ClusterSecretStore",
                meta,
                json!({ "spec": spec }),
            )
        }
        StoreKind::SecretStore => {
            Object::new(API_VERSION, "SecretStore", meta, json!({ "spec": spec }))
        }
    }
}
