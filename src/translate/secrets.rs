//! Secrets: ECS `secrets` become env vars read from Secrets that External Secrets Operator syncs.
//!
//! ECS reads Secrets Manager and SSM Parameter Store when a task starts; on EKS, ESO syncs them
//! into Kubernetes Secrets. For each workload this module:
//! - resolves every `secrets[].valueFrom` exactly (see [`parse_reference`]) and groups the
//!   references by store: one store per (account, region, provider);
//! - emits one `ExternalSecret` per store, whose `data[].secretKey` is the env var name, and
//!   points the container's env var at it with `valueFrom.secretKeyRef`;
//! - turns `repositoryCredentials` into a `kubernetes.io/dockerconfigjson` ExternalSecret and
//!   `imagePullSecrets`;
//! - reports `environmentFiles` (the tool never reads S3) and plaintext secrets in
//!   `environment` (by name and value shape, never printing the value).
//!
//! ClusterSecretStores are cluster-scoped and shared: the workload emits them, a [`StorePool`]
//! takes them out of each app's workloads as the app is converted, and shares them in one list
//! per environment once every app is, so that no two apps' overlays hold the same cluster object
//! (Argo CD apps would fight over it). The IAM policy ESO needs
//! comes from [`reads`]. No code here ever calls AWS or sees a secret value.

use super::containers;
use crate::diagnostics::{Code, Findings};
use crate::mappings::{ExternalSecrets, StoreKind};
use crate::model::ecs::{ContainerDefinition, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::{
    Container, EnvVar, EnvVarSource, NameRef, Object, ObjectMeta, PodSpec, SecretKeySelector,
};
use crate::model::names::{self, dns_label};
use crate::model::target::secrets::SecretRead;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

pub const API_VERSION: &str = "external-secrets.io/v1";

/// What the secrets translation needs to know about the workload.
pub struct SecretsContext<'a> {
    pub td: &'a TaskDefinition,
    pub td_path: &'a str,
    pub app: &'a str,
    pub namespace: &'a str,
    pub environment: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    pub mappings: &'a ExternalSecrets,
    /// Metadata to start every object from (labels, namespace).
    pub meta: &'a dyn Fn(&str) -> ObjectMeta,
}

/// The AWS service a reference reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Provider {
    SecretsManager,
    ParameterStore,
}

impl Provider {
    /// `spec.provider.aws.service` of a store.
    pub fn service(self) -> &'static str {
        match self {
            Provider::SecretsManager => "SecretsManager",
            Provider::ParameterStore => "ParameterStore",
        }
    }

    /// The `{{provider}}` of name templates.
    pub fn slug(self) -> &'static str {
        match self {
            Provider::SecretsManager => "secrets-manager",
            Provider::ParameterStore => "parameter-store",
        }
    }
}

/// One ECS secret reference, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub provider: Provider,
    pub partition: String,
    /// Account and region the reference names; empty for a bare name (the task's own).
    pub account: String,
    pub region: String,
    /// `remoteRef.key`: the secret ARN without the JSON-key suffix, or the parameter name.
    pub key: String,
    /// `remoteRef.property`: the JSON key.
    pub property: Option<String>,
    pub version_stage: Option<String>,
    pub version_id: Option<String>,
    /// A one-level parameter ARN, whose name may or may not start with `/`.
    pub ambiguous_name: bool,
}

impl Reference {
    /// `remoteRef.version`: a stage, `uuid/<id>` for a Secrets Manager version id (ESO's
    /// convention), or a Parameter Store version or label.
    pub fn version(&self) -> Option<String> {
        match (&self.version_id, &self.version_stage) {
            (Some(id), _) if self.provider == Provider::SecretsManager => {
                Some(format!("uuid/{id}"))
            }
            (Some(id), _) => Some(id.clone()),
            (None, Some(stage)) => Some(stage.clone()),
            (None, None) => None,
        }
    }

    /// The ARN an IAM policy grants, in `account` and `region` when the reference names none.
    pub fn iam_arn(&self, account: &str, region: &str) -> String {
        let region = if self.region.is_empty() {
            region
        } else {
            &self.region
        };
        let account = if self.account.is_empty() {
            account
        } else {
            &self.account
        };
        match self.provider {
            Provider::SecretsManager if self.key.starts_with("arn:") => {
                if has_random_suffix(&self.key) {
                    self.key.clone()
                } else {
                    format!("{}-??????", self.key)
                }
            }
            Provider::SecretsManager => format!(
                "arn:{}:secretsmanager:{region}:{account}:secret:{}-??????",
                self.partition, self.key
            ),
            Provider::ParameterStore => format!(
                "arn:{}:ssm:{region}:{account}:parameter/{}",
                self.partition,
                self.key.trim_start_matches('/')
            ),
        }
    }
}

/// Secrets Manager appends `-` and six random characters to a secret's name in its ARN.
fn has_random_suffix(arn: &str) -> bool {
    let b = arn.as_bytes();
    b.len() > 7 && b[b.len() - 7] == b'-' && b[b.len() - 6..].iter().all(u8::is_ascii_alphanumeric)
}

/// Resolves a `valueFrom` (or `credentialsParameter`) the way ECS does:
/// - `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf[:json-key[:version-stage[:version-id]]]`
///   → key = the ARN up to the name, property = json-key, version = stage or `uuid/<id>`;
/// - `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME` → `/NAME` (`NAME` when it has one level);
/// - a bare name → `bare` (SSM for `secrets`, where ECS takes the parameter's name in the same
///   account and region; Secrets Manager for `repositoryCredentials`).
///
/// A `:version` or `:label` after a parameter name becomes `version`.
pub fn parse_reference(value_from: &str, bare: Provider) -> Result<Reference, String> {
    let value_from = value_from.trim();
    if value_from.is_empty() {
        return Err("the reference is empty".into());
    }
    let unset = |s: &str| (!s.is_empty()).then(|| s.to_string());
    if !value_from.starts_with("arn:") {
        let (name, version) = match value_from.split_once(':') {
            Some((n, v)) if bare == Provider::ParameterStore => (n, unset(v)),
            _ => (value_from, None),
        };
        return Ok(Reference {
            provider: bare,
            partition: "aws".into(),
            account: String::new(),
            region: String::new(),
            key: name.to_string(),
            property: None,
            version_stage: None,
            version_id: version,
            ambiguous_name: false,
        });
    }
    let parts: Vec<&str> = value_from.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts[..] else {
        return Err(format!("{value_from:?} is not a complete ARN"));
    };
    let mut r = Reference {
        provider: bare,
        partition: partition.to_string(),
        account: account.to_string(),
        region: region.to_string(),
        key: String::new(),
        property: None,
        version_stage: None,
        version_id: None,
        ambiguous_name: false,
    };
    match service {
        "secretsmanager" => {
            let Some(rest) = resource.strip_prefix("secret:") else {
                return Err(format!(
                    "{value_from:?} is not a Secrets Manager secret ARN"
                ));
            };
            let fields: Vec<&str> = rest.split(':').collect();
            if fields.len() > 4 || fields[0].is_empty() {
                return Err(format!(
                    "{value_from:?} is not `secret:NAME[:json-key[:version-stage[:version-id]]]`"
                ));
            }
            let field = |i: usize| fields.get(i).copied().and_then(unset);
            r.provider = Provider::SecretsManager;
            r.key = format!(
                "arn:{partition}:secretsmanager:{region}:{account}:secret:{}",
                fields[0]
            );
            r.property = field(1);
            r.version_stage = field(2);
            r.version_id = field(3);
        }
        "ssm" => {
            let Some(rest) = resource
                .strip_prefix("parameter/")
                .filter(|r| !r.is_empty())
            else {
                return Err(format!("{value_from:?} is not an SSM parameter ARN"));
            };
            let (name, version) = match rest.split_once(':') {
                Some((n, v)) => (n, unset(v)),
                None => (rest, None),
            };
            r.provider = Provider::ParameterStore;
            r.ambiguous_name = !name.contains('/');
            r.key = if name.contains('/') {
                format!("/{name}")
            } else {
                name.to_string()
            };
            r.version_id = version;
        }
        other => {
            return Err(format!(
                "{value_from:?} is an ARN of {other:?}, not of Secrets Manager or SSM"
            ));
        }
    }
    Ok(r)
}

/// An unrendered template placeholder (`${X}`, `{{x}}`, `<x>`, `$$$X$$$`).
fn placeholder(s: &str) -> bool {
    s.contains("${")
        || s.contains("{{")
        || s.contains("$$$")
        || (s.contains('<') && s.contains('>'))
}

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
struct Store {
    name: String,
    object: Object,
    external_secret: String,
    /// secretKey → remoteRef
    data: BTreeMap<String, Value>,
}

struct Builder<'c, 'a> {
    ctx: &'c SecretsContext<'a>,
    stores: BTreeMap<StoreKey, Store>,
}

impl Builder<'_, '_> {
    fn store_key(&self, r: &Reference) -> StoreKey {
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

    /// The store of `key`, made on first use (a failing name template gives E2K160 and the
    /// default name).
    fn store(&mut self, key: &StoreKey, at: &str, findings: &mut Findings) -> &mut Store {
        let ctx = self.ctx;
        let m = ctx.mappings;
        if !self.stores.contains_key(key) {
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
            let es_ctx = ExternalSecretNameContext {
                app: ctx.app,
                store: &name,
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
            let es_name = render_name(
                &m.external_secret_name,
                &es_ctx,
                &format!("{}-{fallback}", ctx.app),
                findings,
            );
            let cross = !ctx.account.is_empty() && key.account != ctx.account;
            let role_template = m
                .role
                .as_deref()
                .or(cross.then_some(m.cross_account_role.as_str()));
            let role = role_template.and_then(|t| match names::render_text(t, &names_ctx) {
                Ok(r) => Some(r),
                Err(e) => {
                    findings.push(Code::NameTemplate, "", e);
                    None
                }
            });
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
            self.stores.insert(
                key.clone(),
                Store {
                    name,
                    object,
                    external_secret: es_name,
                    data: BTreeMap::new(),
                },
            );
        }
        self.stores.get_mut(key).expect("inserted above")
    }
}

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
        if m.store_kind == StoreKind::ClusterSecretStore {
            sa_ref["namespace"] = json!(sa.namespace.as_deref().unwrap_or("external-secrets"));
        }
        aws["auth"] = json!({ "jwt": { "serviceAccountRef": sa_ref } });
    }
    let spec = json!({ "provider": { "aws": aws } });
    let mut meta = (ctx.meta)(name);
    match m.store_kind {
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

/// `remoteRef` of a reference.
fn remote_ref(r: &Reference) -> Value {
    let mut v = json!({ "key": r.key });
    if let Some(p) = &r.property {
        v["property"] = json!(p);
    }
    if let Some(version) = r.version() {
        v["version"] = json!(version);
    }
    v
}

/// A Secret key for env var `name`: `[-._a-zA-Z0-9]+`.
fn secret_key(name: &str) -> String {
    let key: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if key.is_empty() { "_".into() } else { key }
}

/// Puts `var` into `env`, replacing a variable of the same name, sorted by name.
fn set_env(env: &mut Vec<EnvVar>, var: EnvVar) {
    env.retain(|e| e.name != var.name);
    env.push(var);
    env.sort_by(|a, b| a.name.cmp(&b.name));
}

fn secret_ref(name: &str, key: &str) -> Option<EnvVarSource> {
    Some(EnvVarSource {
        secret_key_ref: SecretKeySelector {
            name: name.to_string(),
            key: key.to_string(),
        },
    })
}

pub fn apply(
    ctx: &SecretsContext<'_>,
    containers: &mut [Container],
    pod: &mut PodSpec,
    objects: &mut Vec<Object>,
    findings: &mut Findings,
) {
    let mut b = Builder {
        ctx,
        stores: BTreeMap::new(),
    };
    let mut pulls: Vec<Object> = Vec::new();
    let mut secret_count = 0;
    let mut first_secret_at = String::new();
    for (i, c) in ctx.td.container_definitions.iter().enumerate() {
        let Some(k) = containers.get_mut(i) else {
            continue;
        };
        let at = containers::path(ctx.td_path, i);
        plaintext(ctx, c, &at, k, findings);
        environment_files(c, &at, findings);
        let plain: BTreeSet<String> = c
            .environment
            .iter()
            .filter_map(|kv| kv.name.clone())
            .collect();
        let mut seen: BTreeSet<&str> = BTreeSet::new();
        for (j, s) in c.secrets.iter().enumerate() {
            let here = join(&at, &format!("secrets[{j}]"));
            let Some(name) = s.name.as_deref().filter(|n| !n.is_empty()) else {
                findings.push(Code::SecretReference, &here, "a secret has no name");
                continue;
            };
            let value_from = s.value_from.as_deref().unwrap_or("");
            let r = match parse_reference(value_from, Provider::ParameterStore) {
                Ok(r) => r,
                Err(why) => {
                    findings.push(
                        Code::SecretReference,
                        join(&here, "valueFrom"),
                        format!("secret {name}: {why}"),
                    );
                    continue;
                }
            };
            note_reference(&r, name, value_from, &here, findings);
            if plain.contains(name) {
                findings.push(
                    Code::SecretOverridesEnv,
                    &here,
                    format!("{name} is in both `environment` and `secrets`; the secret was kept"),
                );
            }
            if !seen.insert(name) {
                findings.push(
                    Code::DuplicateEnv,
                    &here,
                    format!("secret {name} is given more than once; the last was kept"),
                );
            }
            if secret_count == 0 {
                first_secret_at = here.clone();
            }
            secret_count += 1;
            let key = b.store_key(&r);
            let store = b.store(&key, &here, findings);
            let remote = remote_ref(&r);
            let wanted = secret_key(name);
            let mut sk = wanted.clone();
            let mut n = 2;
            while store.data.get(&sk).is_some_and(|v| *v != remote) {
                sk = format!("{}-{n}", wanted);
                n += 1;
            }
            if sk != name {
                findings.push(
                    Code::SecretKeyRenamed,
                    &here,
                    format!("{name} reads key {sk} of Secret {}", store.external_secret),
                );
            }
            store.data.insert(sk.clone(), remote);
            set_env(
                &mut k.env,
                EnvVar {
                    name: name.to_string(),
                    value: None,
                    value_from: secret_ref(&store.external_secret, &sk),
                },
            );
        }
        if let Some(param) = c
            .repository_credentials
            .as_ref()
            .and_then(|rc| rc.credentials_parameter.as_deref())
            .filter(|p| !p.trim().is_empty())
        {
            let here = join(&at, "repositoryCredentials.credentialsParameter");
            match parse_reference(param, Provider::SecretsManager) {
                Ok(r) if r.provider == Provider::SecretsManager => {
                    note_reference(&r, "registry credentials", param, &here, findings);
                    let image = c.image.as_deref().unwrap_or("");
                    let key = b.store_key(&r);
                    let store = b.store(&key, &here, findings);
                    let (store_name, kind) = (store.name.clone(), store.object.kind);
                    let name = dns_label(&format!("{}-{}-registry", ctx.app, k.name), "registry");
                    if !pulls.iter().any(|p| p.metadata.name == name) {
                        pulls.push(pull_secret(ctx, &name, &store_name, kind, &r, image));
                    }
                    let pull = NameRef { name: name.clone() };
                    if !pod.image_pull_secrets.contains(&pull) {
                        pod.image_pull_secrets.push(pull);
                    }
                    findings.push(
                        Code::PullSecret,
                        &here,
                        format!(
                            "credentials for registry {} are synced into Secret {name}",
                            registry(image)
                        ),
                    );
                }
                Ok(_) => findings.push(
                    Code::SecretReference,
                    &here,
                    "registry credentials must be a Secrets Manager secret",
                ),
                Err(why) => findings.push(
                    Code::SecretReference,
                    &here,
                    format!("registry credentials: {why}"),
                ),
            }
        }
    }
    if secret_count > 0 || !pulls.is_empty() {
        let stores: Vec<&str> = b.stores.values().map(|s| s.name.as_str()).collect();
        findings.push(
            Code::ExternalSecrets,
            if secret_count > 0 {
                first_secret_at
            } else {
                ctx.td_path.to_string()
            },
            format!(
                "{secret_count} secret(s) and {} registry credential(s) are read through {}",
                pulls.len(),
                stores.join(", ")
            ),
        );
    }
    for store in b.stores.into_values() {
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
            objects.push(Object::new(
                API_VERSION,
                "ExternalSecret",
                (ctx.meta)(&store.external_secret),
                json!({ "spec": spec }),
            ));
        }
        objects.push(store.object);
    }
    objects.extend(pulls);
}

/// Findings every resolved reference may carry.
fn note_reference(r: &Reference, name: &str, raw: &str, at: &str, findings: &mut Findings) {
    if placeholder(raw) {
        findings.push(
            Code::SecretPlaceholder,
            at,
            format!("{name} reads {raw}, which holds a template placeholder"),
        );
    }
    if r.version_stage.is_some() && r.version_id.is_some() && r.provider == Provider::SecretsManager
    {
        findings.push(
            Code::SecretVersion,
            at,
            format!("{name} names a version stage and a version id; the id was used"),
        );
    }
    if r.ambiguous_name {
        findings.push(
            Code::SsmParameterName,
            at,
            format!(
                "{name} reads parameter {:?} (not {:?})",
                r.key,
                format!("/{}", r.key)
            ),
        );
    }
}

/// The registry of an image as Docker config keys it.
fn registry(image: &str) -> String {
    match image.split_once('/') {
        Some((first, _)) if first.contains('.') || first.contains(':') || first == "localhost" => {
            first.to_string()
        }
        _ => "https://index.docker.io/v1/".to_string(),
    }
}

/// An ExternalSecret that builds a `kubernetes.io/dockerconfigjson` Secret from the
/// `username` and `password` keys of the registry credentials secret.
fn pull_secret(
    ctx: &SecretsContext<'_>,
    name: &str,
    store: &str,
    kind: &str,
    r: &Reference,
    image: &str,
) -> Object {
    let reg = registry(image);
    let config = format!(
        concat!(
            r#"{{"auths":{{"{reg}":{{"username":{{{{ .username | toJson }}}},"#,
            r#""password":{{{{ .password | toJson }}}},"#,
            r#""auth":{{{{ printf "%s:%s" .username .password | b64enc | toJson }}}}}}}}}}"#
        ),
        reg = reg
    );
    let item = |field: &str| {
        let mut remote = remote_ref(r);
        remote["property"] = json!(field);
        json!({ "secretKey": field, "remoteRef": remote })
    };
    let spec = json!({
        "refreshInterval": ctx.mappings.refresh_interval,
        "secretStoreRef": { "name": store, "kind": kind },
        "target": {
            "name": name,
            "creationPolicy": "Owner",
            "template": {
                "type": "kubernetes.io/dockerconfigjson",
                "engineVersion": "v2",
                "data": { ".dockerconfigjson": config },
            },
        },
        "data": [item("password"), item("username")],
    });
    Object::new(
        API_VERSION,
        "ExternalSecret",
        (ctx.meta)(name),
        json!({ "spec": spec }),
    )
}

/// `environmentFiles`: S3 objects the tool never reads.
fn environment_files(c: &ContainerDefinition, at: &str, findings: &mut Findings) {
    for (j, f) in c.environment_files.iter().enumerate() {
        findings.push(
            Code::EnvironmentFiles,
            join(at, &format!("environmentFiles[{j}]")),
            format!(
                "variables are loaded from {} at task start; they are not in the manifest",
                f.value.as_deref().unwrap_or("?")
            ),
        );
    }
}

/// Why a plain variable looks like a secret, or None. Never returns the value.
pub fn plaintext_reason(name: &str, value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.is_empty() || placeholder(v) {
        return None;
    }
    let bytes = v.as_bytes();
    let access_key = |s: &[u8]| {
        s.len() == 20
            && (s.starts_with(b"AKIA") || s.starts_with(b"ASIA"))
            && s[4..]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
    };
    if access_key(bytes) {
        return Some("its value has the shape of an AWS access key id");
    }
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return Some("its value is a private key");
    }
    let upper = name.to_ascii_uppercase();
    if upper == "AWS_SECRET_ACCESS_KEY" || upper == "AWS_SESSION_TOKEN" {
        return Some("it is an AWS credential");
    }
    const NOT_SECRET_SUFFIXES: &[&str] = &[
        "_FILE",
        "_PATH",
        "_ARN",
        "_NAME",
        "_URL",
        "_URI",
        "_ENDPOINT",
        "_ID",
        "_TTL",
        "_EXPIRY",
        "_LENGTH",
        "_HEADER",
        "_ENABLED",
    ];
    if NOT_SECRET_SUFFIXES.iter().any(|s| upper.ends_with(s))
        || v.chars().all(|c| c.is_ascii_digit())
        || ["true", "false"].contains(&v.to_ascii_lowercase().as_str())
    {
        return None;
    }
    const SECRET_WORDS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "API_KEY",
        "APIKEY",
        "PRIVATE_KEY",
        "ACCESS_KEY",
    ];
    SECRET_WORDS
        .iter()
        .any(|w| upper.contains(w))
        .then_some("its name says it is a secret")
}

/// Warns about plaintext secrets in `environment`; with `redactPlaintext`, replaces each by a
/// reference to a Secret the user creates.
fn plaintext(
    ctx: &SecretsContext<'_>,
    c: &ContainerDefinition,
    at: &str,
    k: &mut Container,
    findings: &mut Findings,
) {
    let redacted = dns_label(&format!("{}-plaintext", ctx.app), "plaintext");
    for (j, kv) in c.environment.iter().enumerate() {
        let (Some(name), Some(value)) = (kv.name.as_deref(), kv.value.as_deref()) else {
            continue;
        };
        let Some(why) = plaintext_reason(name, value) else {
            continue;
        };
        let here = join(at, &format!("environment[{j}]"));
        findings.push(
            Code::PlaintextSecret,
            &here,
            format!("{name} looks like a secret in plain text: {why}"),
        );
        if ctx.mappings.redact_plaintext
            && c.secrets.iter().all(|s| s.name.as_deref() != Some(name))
        {
            let key = secret_key(name);
            set_env(
                &mut k.env,
                EnvVar {
                    name: name.to_string(),
                    value: None,
                    value_from: secret_ref(&redacted, &key),
                },
            );
            findings.push(
                Code::PlaintextRedacted,
                &here,
                format!("{name} now reads key {key} of Secret {redacted}, which is not generated"),
            );
        }
    }
}

/// Every secret and parameter ARN a task definition makes ESO read (for the IAM policy);
/// `account` and `region` are the workload's.
pub fn reads(td: &TaskDefinition, account: &str, region: &str) -> Vec<SecretRead> {
    let mut out = BTreeSet::new();
    for c in &td.container_definitions {
        let refs = c
            .secrets
            .iter()
            .filter(|s| s.name.as_deref().is_some_and(|n| !n.is_empty()))
            .filter_map(|s| {
                parse_reference(s.value_from.as_deref()?, Provider::ParameterStore).ok()
            });
        let pull = c
            .repository_credentials
            .as_ref()
            .and_then(|rc| rc.credentials_parameter.as_deref())
            .filter(|p| !p.trim().is_empty())
            .and_then(|p| parse_reference(p, Provider::SecretsManager).ok())
            .filter(|r| r.provider == Provider::SecretsManager);
        for r in refs.chain(pull) {
            let acct = if r.account.is_empty() {
                account
            } else {
                &r.account
            }
            .to_string();
            let arn = r.iam_arn(account, region);
            out.insert(match r.provider {
                Provider::SecretsManager => SecretRead::Secret { account: acct, arn },
                Provider::ParameterStore => SecretRead::Parameter { account: acct, arn },
            });
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sm(s: &str) -> Reference {
        parse_reference(s, Provider::ParameterStore).unwrap()
    }

    const DB: &str = "arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/billing/db-AbCdEf";

    #[test]
    fn secrets_manager_full_arn() {
        let r = sm(DB);
        assert_eq!(r.provider, Provider::SecretsManager);
        assert_eq!(r.key, DB);
        assert_eq!(
            (r.account.as_str(), r.region.as_str()),
            ("333333333333", "eu-west-1")
        );
        assert_eq!((r.property.clone(), r.version()), (None, None));
        assert_eq!(r.iam_arn("1", "x"), DB);
    }

    #[test]
    fn secrets_manager_json_key_stage_and_id() {
        let r = sm(&format!("{DB}:username::"));
        assert_eq!(r.key, DB);
        assert_eq!(r.property.as_deref(), Some("username"));
        assert_eq!(r.version(), None);
        let r = sm(&format!("{DB}:password:AWSPREVIOUS:"));
        assert_eq!(r.property.as_deref(), Some("password"));
        assert_eq!(r.version().as_deref(), Some("AWSPREVIOUS"));
        let r = sm(&format!("{DB}:signingKey::3f2b6c1e-8d4a"));
        assert_eq!(r.version().as_deref(), Some("uuid/3f2b6c1e-8d4a"));
        let r = sm(&format!("{DB}::AWSCURRENT:"));
        assert_eq!(
            (r.property.clone(), r.version().as_deref()),
            (None, Some("AWSCURRENT"))
        );
        let r = sm(&format!("{DB}:k:AWSCURRENT:abc"));
        assert_eq!(r.version().as_deref(), Some("uuid/abc"));
        let r = sm(&format!("{DB}:"));
        assert_eq!((r.key.as_str(), r.property), (DB, None));
        assert!(parse_reference(&format!("{DB}:a:b:c:d"), Provider::ParameterStore).is_err());
    }

    #[test]
    fn secrets_manager_partial_arn_gets_wildcard_suffix_in_iam() {
        let r = sm("arn:aws:secretsmanager:eu-west-1:1:secret:prod/db");
        assert_eq!(
            r.iam_arn("1", "x"),
            "arn:aws:secretsmanager:eu-west-1:1:secret:prod/db-??????"
        );
    }

    #[test]
    fn ssm_arns_and_bare_names() {
        let r = sm("arn:aws:ssm:eu-west-1:333333333333:parameter/billing/db-host");
        assert_eq!(r.provider, Provider::ParameterStore);
        assert_eq!(r.key, "/billing/db-host");
        assert!(!r.ambiguous_name);
        assert_eq!(
            r.iam_arn("9", "x"),
            "arn:aws:ssm:eu-west-1:333333333333:parameter/billing/db-host"
        );
        let r = sm("arn:aws:ssm:eu-west-1:1:parameter/flat");
        assert_eq!((r.key.as_str(), r.ambiguous_name), ("flat", true));
        let r = sm("arn:aws:ssm:eu-west-1:1:parameter/a/b:3");
        assert_eq!(
            (r.key.as_str(), r.version().as_deref()),
            ("/a/b", Some("3"))
        );

        let r = sm("billing-stripe-key");
        assert_eq!(r.provider, Provider::ParameterStore);
        assert_eq!(
            (r.key.as_str(), r.account.as_str(), r.region.as_str()),
            ("billing-stripe-key", "", "")
        );
        assert_eq!(
            r.iam_arn("333333333333", "eu-west-1"),
            "arn:aws:ssm:eu-west-1:333333333333:parameter/billing-stripe-key"
        );
        let r = sm("/ecspresso-test/foo");
        assert_eq!(r.key, "/ecspresso-test/foo");
        assert_eq!(
            r.iam_arn("1", "r"),
            "arn:aws:ssm:r:1:parameter/ecspresso-test/foo"
        );
    }

    #[test]
    fn cross_account_and_partition() {
        let r = sm("arn:aws-cn:secretsmanager:cn-north-1:444444444444:secret:x-AbCdEf:k::");
        assert_eq!(r.account, "444444444444");
        assert_eq!(
            r.key,
            "arn:aws-cn:secretsmanager:cn-north-1:444444444444:secret:x-AbCdEf"
        );
    }

    #[test]
    fn registry_credentials_bare_name_is_secrets_manager() {
        let r = parse_reference("prod/registry", Provider::SecretsManager).unwrap();
        assert_eq!(r.provider, Provider::SecretsManager);
        assert_eq!(r.key, "prod/registry");
        assert_eq!(
            r.iam_arn("1", "eu-west-1"),
            "arn:aws:secretsmanager:eu-west-1:1:secret:prod/registry-??????"
        );
    }

    #[test]
    fn bad_references() {
        for bad in [
            "",
            "arn:arn-1234",
            "arn:aws:s3:::bucket/key",
            "arn:aws:secretsmanager:r:a:rotation:x",
            "arn:aws:ssm:r:a:parameter/",
        ] {
            assert!(
                parse_reference(bad, Provider::ParameterStore).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn plaintext_detection_never_needs_the_value_in_its_reason() {
        assert!(plaintext_reason("DB_PASSWORD", "hunter2").is_some());
        assert!(plaintext_reason("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG").is_some());
        assert!(plaintext_reason("STRIPE_API_KEY", "sk_test_x").is_some());
        assert!(plaintext_reason("REPORTING_CLIENT_REF", "AKIAIOSFODNN7EXAMPLE").is_some());
        assert!(plaintext_reason("TLS", "-----BEGIN RSA PRIVATE KEY-----\nabc").is_some());
        assert!(plaintext_reason("LOG_LEVEL", "info").is_none());
        assert!(plaintext_reason("DB_PASSWORD_FILE", "/run/secrets/db").is_none());
        assert!(plaintext_reason("TOKEN_TTL", "3600").is_none());
        assert!(plaintext_reason("DB_PASSWORD", "").is_none());
        assert!(plaintext_reason("DB_PASSWORD", "${DB_PASSWORD}").is_none());
    }

    #[test]
    fn registries() {
        assert_eq!(
            registry("registry.example.com/billing/api:2"),
            "registry.example.com"
        );
        assert_eq!(registry("localhost:5000/a"), "localhost:5000");
        assert_eq!(registry("org/app:1"), "https://index.docker.io/v1/");
        assert_eq!(registry("nginx"), "https://index.docker.io/v1/");
    }

    fn run(td_json: &str, m: &ExternalSecrets) -> (Vec<Container>, PodSpec, Vec<Object>, Findings) {
        let td: TaskDefinition = serde_json::from_str(td_json).unwrap();
        let meta = |name: &str| ObjectMeta {
            name: name.to_string(),
            namespace: Some("web-prod".into()),
            ..ObjectMeta::default()
        };
        let ctx = SecretsContext {
            td: &td,
            td_path: "taskDefinition",
            app: "web",
            namespace: "web-prod",
            environment: "prod",
            account: "111111111111",
            region: "eu-west-1",
            mappings: m,
            meta: &meta,
        };
        let mut findings = Findings::default();
        let mut containers: Vec<Container> = td
            .container_definitions
            .iter()
            .map(|c| Container {
                name: c.name.clone().unwrap_or_default(),
                env: c
                    .environment
                    .iter()
                    .map(|kv| EnvVar {
                        name: kv.name.clone().unwrap_or_default(),
                        value: kv.value.clone(),
                        value_from: None,
                    })
                    .collect(),
                ..Container::default()
            })
            .collect();
        let mut pod = PodSpec::default();
        let mut objects = Vec::new();
        apply(&ctx, &mut containers, &mut pod, &mut objects, &mut findings);
        (containers, pod, objects, findings)
    }

    fn codes(f: &Findings) -> Vec<&'static str> {
        f.list.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn a_secret_wins_over_a_plain_variable_and_env_stays_sorted() {
        let (cs, _, objects, findings) = run(
            r#"{"containerDefinitions": [{"name": "app",
                "environment": [{"name": "A", "value": "1"}, {"name": "TOKEN_X", "value": "v4lu3-xyz"}, {"name": "Z", "value": "2"}],
                "secrets": [{"name": "TOKEN_X", "valueFrom": "/app/token"},
                            {"name": "my.var name", "valueFrom": "/app/other"}]}]}"#,
            &ExternalSecrets::default(),
        );
        let names: Vec<&str> = cs[0].env.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["A", "TOKEN_X", "Z", "my.var name"]);
        let token = &cs[0].env[1];
        assert_eq!(token.value, None);
        let sel = &token.value_from.as_ref().unwrap().secret_key_ref;
        assert_eq!(
            (sel.name.as_str(), sel.key.as_str()),
            ("web-parameter-store", "TOKEN_X")
        );
        assert_eq!(
            cs[0].env[3].value_from.as_ref().unwrap().secret_key_ref.key,
            "my.var_name"
        );
        assert!(codes(&findings).contains(&"E2K401"));
        assert!(
            codes(&findings).contains(&"E2K403"),
            "the plain TOKEN_X is still reported"
        );
        assert!(codes(&findings).contains(&"E2K407"));
        let kinds: Vec<&str> = objects.iter().map(|o| o.kind).collect();
        assert_eq!(kinds, ["ExternalSecret", "ClusterSecretStore"]);
        assert_eq!(objects[1].metadata.namespace, None);
        for f in &findings.list {
            assert!(
                !f.message.contains("v4lu3"),
                "a value leaked: {}",
                f.message
            );
        }
    }

    #[test]
    fn same_key_from_two_containers_is_shared_or_renamed() {
        let (cs, _, objects, _) = run(
            r#"{"containerDefinitions": [
                {"name": "a", "secrets": [{"name": "K", "valueFrom": "/x"}]},
                {"name": "b", "secrets": [{"name": "K", "valueFrom": "/x"}]},
                {"name": "c", "secrets": [{"name": "K", "valueFrom": "/y"}]}]}"#,
            &ExternalSecrets::default(),
        );
        let key = |i: usize| {
            cs[i].env[0]
                .value_from
                .as_ref()
                .unwrap()
                .secret_key_ref
                .key
                .clone()
        };
        assert_eq!(
            (key(0), key(1), key(2)),
            ("K".into(), "K".into(), "K-2".into())
        );
        assert_eq!(
            objects[0].body()["spec"]["data"].as_array().unwrap().len(),
            2
        );
    }

    #[test]
    fn secret_store_kind_and_service_account_auth() {
        let m = ExternalSecrets {
            store_kind: StoreKind::SecretStore,
            service_account: Some(crate::mappings::StoreServiceAccount {
                name: "eso".into(),
                namespace: Some("ignored".into()),
            }),
            ..ExternalSecrets::default()
        };
        let (_, _, objects, _) = run(
            r#"{"containerDefinitions": [{"name": "a", "secrets": [{"name": "K", "valueFrom": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:k-AbCdEf"}]}]}"#,
            &m,
        );
        let store = objects.iter().find(|o| o.kind == "SecretStore").unwrap();
        assert_eq!(store.metadata.namespace.as_deref(), Some("web-prod"));
        assert_eq!(
            store.body()["spec"]["provider"]["aws"]["auth"],
            json!({"jwt": {"serviceAccountRef": {"name": "eso"}}})
        );
        assert!(
            store.body()["spec"]["provider"]["aws"]
                .get("role")
                .is_none()
        );
    }

    #[test]
    fn unreadable_references_make_no_variable() {
        let (cs, _, objects, findings) = run(
            r#"{"containerDefinitions": [{"name": "a", "secrets": [{"name": "K", "valueFrom": ""}, {"name": "S3", "valueFrom": "arn:aws:s3:::b/k"}]}]}"#,
            &ExternalSecrets::default(),
        );
        assert!(cs[0].env.is_empty() && objects.is_empty());
        assert_eq!(codes(&findings), ["E2K400", "E2K400"]);
    }

    #[test]
    fn secret_keys() {
        assert_eq!(secret_key("DB_PASSWORD"), "DB_PASSWORD");
        assert_eq!(secret_key("my var"), "my_var");
    }
}
