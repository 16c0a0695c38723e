//! Secrets: ECS `secrets` become env vars read from Secrets that External Secrets Operator syncs.
//!
//! ECS reads Secrets Manager and SSM Parameter Store when a task starts; on EKS, ESO syncs them
//! into Kubernetes Secrets. For each workload this module:
//! - resolves every `secrets[].valueFrom` exactly (`references`, see [`parse_reference`]) and
//!   groups the references by store: one store per (account, region, provider);
//! - emits one `ExternalSecret` per store, whose `data[].secretKey` is the env var name, and
//!   points the container's env var at it with `valueFrom.secretKeyRef` (`external_secrets`);
//! - turns `repositoryCredentials` into a `kubernetes.io/dockerconfigjson` ExternalSecret and
//!   `imagePullSecrets` (`pull_secrets`);
//! - reports `environmentFiles` (the tool never reads S3) and plaintext secrets in
//!   `environment` (`plaintext`: by name and value shape, never printing the value).
//!
//! ClusterSecretStores are cluster-scoped and shared: the workload emits them, a [`StorePool`]
//! takes them out of each app's workloads as the app is converted, and shares them in one list
//! per environment once every app is, so that no two apps' overlays hold the same cluster object
//! (Argo CD apps would fight over it). The IAM policy ESO needs
//! comes from [`reads`]. No code here ever calls AWS or sees a secret value.

mod external_secrets;
mod plaintext;
mod pull_secrets;
mod references;

pub use plaintext::{moved_secret, plaintext_reason};
pub use references::{Provider, Reference, parse_reference};

use super::containers;
use crate::diagnostics::{Code, Findings};
use crate::mappings::{Cluster, ExternalSecrets};
use crate::model::ecs::{ContainerDefinition, Secret, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::{
    Container, EnvVar, EnvVarSource, Object, ObjectMeta, PodSpec, SecretKeySelector,
};
use crate::model::target::secrets::{MovedSecret, SecretRead};
use external_secrets::Stores;
use references::note_reference;
use std::collections::BTreeSet;

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
    /// The cluster the workload goes to: a store of another account assumes a role there.
    pub cluster: &'a Cluster,
    pub mappings: &'a ExternalSecrets,
    /// Metadata to start every object from (labels, namespace).
    pub meta: &'a dyn Fn(&str) -> ObjectMeta,
}

/// What the containers' secrets add up to, gathered container by container.
struct Gathered<'c, 'a> {
    stores: Stores<'c, 'a>,
    /// The pull secrets' ExternalSecrets.
    pulls: Vec<Object>,
    /// How many `secrets` became env vars, and where the first is (the summary's field).
    secret_count: usize,
    /// How many plaintext variables moved to Secrets Manager.
    moved_count: usize,
    first_secret_at: String,
}

/// Points each container's `secrets` and registry credentials at ExternalSecrets (added to
/// `objects` with their stores) and reports plaintext secrets and `environmentFiles`.
pub fn apply(
    ctx: &SecretsContext<'_>,
    containers: &mut [Container],
    pod: &mut PodSpec,
    objects: &mut Vec<Object>,
    findings: &mut Findings,
) {
    let mut gathered = Gathered {
        stores: Stores::new(ctx),
        pulls: Vec::new(),
        secret_count: 0,
        moved_count: 0,
        first_secret_at: String::new(),
    };
    let m = ctx.mappings;
    let moved = moved_secret(ctx.td, m, ctx.app, ctx.environment, ctx.account, ctx.region)
        .unwrap_or_else(|e| {
            findings.push(Code::NameTemplate, "", e);
            None
        });
    gathered.moved_count = moved.as_ref().map_or(0, |m| m.keys.len());
    for (i, c) in ctx.td.container_definitions.iter().enumerate() {
        let Some(k) = containers.get_mut(i) else {
            continue;
        };
        let at = containers::path(ctx.td, ctx.td_path, i);
        let moved = moved.as_ref();
        plaintext::check((i, c, &at), k, moved, &mut gathered.stores, findings);
        environment_files(c, &at, findings);
        env_secrets(c, &at, k, &mut gathered, findings);
        let pull = pull_secrets::of(c, &at, &k.name, &mut gathered.stores, findings);
        if let Some(pull) = pull {
            pull.add_to(&mut gathered.pulls, pod);
        }
    }
    summarize(ctx, &gathered, findings);
    objects.extend(gathered.stores.into_objects());
    objects.extend(gathered.pulls);
}

/// Container `c`'s `secrets` (at `at`), each an env var of `k` read from its store's
/// ExternalSecret.
fn env_secrets(
    c: &ContainerDefinition,
    at: &str,
    k: &mut Container,
    gathered: &mut Gathered<'_, '_>,
    findings: &mut Findings,
) {
    let plain: BTreeSet<&str> = c
        .environment
        .iter()
        .filter_map(|kv| kv.name.as_deref())
        .collect();
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    for (j, s) in c.secrets.iter().enumerate() {
        let here = join(at, &format!("secrets[{j}]"));
        let Some((name, r)) = resolve(s, &here, findings) else {
            continue;
        };
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
        if gathered.secret_count == 0 {
            gathered.first_secret_at = here.clone();
        }
        gathered.secret_count += 1;
        env_from(&mut gathered.stores, &r, (name, &here), k, findings);
    }
}

/// Points env var `name` of `k` at reference `r` (read at `at`) through its store's
/// ExternalSecret; returns the ExternalSecret's name and the key.
fn env_from(
    stores: &mut Stores<'_, '_>,
    r: &Reference,
    (name, at): (&str, &str),
    k: &mut Container,
    findings: &mut Findings,
) -> (String, String) {
    let (external_secret, key) = stores.add(r, name, at, findings);
    set_env(
        &mut k.env,
        EnvVar {
            name: name.to_string(),
            value: None,
            value_from: secret_ref(&external_secret, &key),
        },
    );
    (external_secret, key)
}

/// The name and reference of secret `s` (at `here`), or None when it has no name or its
/// `valueFrom` cannot be read (E2K400).
fn resolve<'s>(s: &'s Secret, here: &str, findings: &mut Findings) -> Option<(&'s str, Reference)> {
    let Some(name) = s.name.as_deref().filter(|n| !n.is_empty()) else {
        findings.push(Code::SecretReference, here, "a secret has no name");
        return None;
    };
    let value_from = s.value_from.as_deref().unwrap_or("");
    match parse_reference(value_from, Provider::ParameterStore) {
        Ok(r) => {
            note_reference(&r, name, value_from, here, findings);
            Some((name, r))
        }
        Err(why) => {
            findings.push(
                Code::SecretReference,
                join(here, "valueFrom"),
                format!("secret {name}: {why}"),
            );
            None
        }
    }
}

/// One finding for the workload: how many secrets and registry credentials are read, through
/// which stores.
fn summarize(ctx: &SecretsContext<'_>, gathered: &Gathered<'_, '_>, findings: &mut Findings) {
    let (secret_count, pulls) = (gathered.secret_count, gathered.pulls.len());
    if secret_count == 0 && pulls == 0 && gathered.moved_count == 0 {
        return;
    }
    let moved = match gathered.moved_count {
        0 => String::new(),
        n => format!(", {n} plaintext variable(s) moved to Secrets Manager"),
    };
    findings.push(
        Code::ExternalSecrets,
        if secret_count > 0 {
            gathered.first_secret_at.clone()
        } else {
            ctx.td_path.to_string()
        },
        format!(
            "{secret_count} secret(s){moved} and {pulls} registry credential(s) are read through {}",
            gathered.stores.names().join(", ")
        ),
    );
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
        let pull = pull_secrets::credentials_parameter(c)
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

/// What ESO reads for a moved secret: a secret of the workload's own account, known by name.
pub fn moved_read(m: &MovedSecret) -> SecretRead {
    let r = parse_reference(&m.name, Provider::SecretsManager).expect("a name is a reference");
    SecretRead::Secret {
        account: m.account.clone(),
        arn: r.iam_arn(&m.account, &m.region),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mappings::StoreKind;
    use serde_json::json;

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
            cluster: &Cluster::default(),
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
            !codes(&findings).contains(&"E2K403") && !codes(&findings).contains(&"E2K413"),
            "the secret wins: the plain TOKEN_X never reaches the manifest"
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
            store_kind: Some(StoreKind::SecretStore),
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

    /// Issue 18: by default a plaintext secret leaves Git for a key of the app's Secrets Manager
    /// secret; a name two containers set to different values gets a key each.
    #[test]
    fn plaintext_secrets_move_to_secrets_manager_by_default() {
        let td = r#"{"containerDefinitions": [
            {"name": "api", "environment": [{"name": "DB_PASSWORD", "value": "one"}, {"name": "LOG", "value": "info"}]},
            {"name": "worker", "environment": [{"name": "DB_PASSWORD", "value": "two"}]},
            {"name": "cron", "environment": [{"name": "DB_PASSWORD", "value": "one"}]}]}"#;
        let (cs, _, objects, findings) = run(td, &ExternalSecrets::default());
        let sel = |i: usize| &cs[i].env[0].value_from.as_ref().unwrap().secret_key_ref;
        assert_eq!(cs[0].env[0].value, None);
        assert_eq!(
            [
                sel(0).key.as_str(),
                sel(1).key.as_str(),
                sel(2).key.as_str()
            ],
            ["DB_PASSWORD", "DB_PASSWORD-2", "DB_PASSWORD"]
        );
        assert_eq!(cs[0].env[1].value.as_deref(), Some("info"));
        let data = &objects[0].body()["spec"]["data"];
        assert_eq!(
            data[0]["remoteRef"],
            json!({"key": "ecs2eks/prod/web", "property": "DB_PASSWORD"})
        );
        assert_eq!(
            data[1]["remoteRef"],
            json!({"key": "ecs2eks/prod/web", "property": "DB_PASSWORD-2"})
        );
        assert_eq!(
            codes(&findings),
            ["E2K413", "E2K407", "E2K413", "E2K413", "E2K410"]
        );
        for f in &findings.list {
            assert!(!f.message.contains("one") && !f.message.contains("two"));
        }
        let td: TaskDefinition = serde_json::from_str(td).unwrap();
        let m = moved_secret(
            &td,
            &ExternalSecrets::default(),
            "web",
            "prod",
            "1",
            "eu-west-1",
        )
        .unwrap()
        .unwrap();
        let keys: Vec<(&str, &str, &str)> = m
            .keys
            .iter()
            .map(|k| {
                (
                    k.property.as_str(),
                    k.container.as_str(),
                    k.variable.as_str(),
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("DB_PASSWORD", "api", "DB_PASSWORD"),
                ("DB_PASSWORD-2", "worker", "DB_PASSWORD"),
                ("DB_PASSWORD", "cron", "DB_PASSWORD"),
            ]
        );
        assert_eq!(
            moved_read(&m),
            SecretRead::Secret {
                account: "1".into(),
                arn: "arn:aws:secretsmanager:eu-west-1:1:secret:ecs2eks/prod/web-??????".into()
            }
        );
    }

    #[test]
    fn with_the_opt_out_a_plaintext_secret_stays_and_warns() {
        let m = ExternalSecrets {
            redact_plaintext: false,
            ..ExternalSecrets::default()
        };
        let (cs, _, objects, findings) = run(
            r#"{"containerDefinitions": [{"name": "api", "environment": [{"name": "DB_PASSWORD", "value": "one"}]}]}"#,
            &m,
        );
        assert_eq!(cs[0].env[0].value.as_deref(), Some("one"));
        assert!(objects.is_empty());
        assert_eq!(codes(&findings), ["E2K403"]);
        assert_eq!(
            findings.list[0].severity,
            crate::diagnostics::Severity::Warning
        );
    }

    #[test]
    fn secret_keys() {
        assert_eq!(secret_key("DB_PASSWORD"), "DB_PASSWORD");
        assert_eq!(secret_key("my var"), "my_var");
    }
}
