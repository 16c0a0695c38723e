//! Plaintext secrets: variables in `environment` that look like secrets, found by name and value
//! shape (never by showing the value). By default (`redactPlaintext`) each one leaves Git: its env
//! var reads a key of a Secrets Manager secret named after the app and environment, which the
//! app's ExternalSecret syncs and the report tells how to create from the old task definition.
//! With the opt-out the value stays in the manifest, each one a warning.

use super::env_from;
use super::external_secrets::Stores;
use super::references::{Provider, parse_reference, placeholder};
use crate::diagnostics::{Code, Findings};
use crate::mappings::ExternalSecrets;
use crate::model::ecs::{ContainerDefinition, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::Container;
use crate::model::names;
use crate::model::target::secrets::{MovedKey, MovedSecret};
use serde::Serialize;

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

/// What the name template of the moved secret sees.
#[derive(Serialize)]
struct MovedNameContext<'a> {
    app: &'a str,
    environment: &'a str,
    account: &'a str,
    region: &'a str,
}

/// The Secrets Manager secret the plaintext secrets of `td` move to (for `app` in `environment`,
/// whose account and region read it), and which variable each of its keys holds. None when
/// `redactPlaintext` is off or nothing moves; Err with the message when the name template fails.
pub fn moved_secret(
    td: &TaskDefinition,
    m: &ExternalSecrets,
    app: &str,
    environment: &str,
    account: &str,
    region: &str,
) -> Result<Option<MovedSecret>, String> {
    if !m.redact_plaintext {
        return Ok(None);
    }
    let keys = moved_keys(td);
    if keys.is_empty() {
        return Ok(None);
    }
    let names_ctx = MovedNameContext {
        app,
        environment,
        account,
        region,
    };
    let name = names::render_text(&m.plaintext_secret_name, &names_ctx)?;
    if name.trim().is_empty() {
        return Err(format!(
            "plaintextSecretName {:?} renders to an empty name",
            m.plaintext_secret_name
        ));
    }
    let task_definition = match (&td.task_definition_arn, &td.family, td.revision) {
        (Some(arn), _, _) => arn.clone(),
        (None, Some(family), Some(revision)) => format!("{family}:{revision}"),
        (None, family, _) => family.clone().unwrap_or_default(),
    };
    Ok(Some(MovedSecret {
        name,
        account: account.to_string(),
        region: region.to_string(),
        task_definition,
        keys,
    }))
}

/// The plaintext secrets that move: each detected variable that `secrets` does not override (the
/// secret wins, and the value never reaches the manifest), the last of a name given twice (as
/// Docker keeps it). A name that two containers set to different values gets a key each.
fn moved_keys(td: &TaskDefinition) -> Vec<MovedKey> {
    let mut keys: Vec<(MovedKey, &str)> = Vec::new();
    for (i, c) in td.container_definitions.iter().enumerate() {
        for (name, value) in flagged(c).filter(|(name, _)| !in_secrets(c, name)) {
            let last = c
                .environment
                .iter()
                .rev()
                .find(|kv| kv.name.as_deref() == Some(name))
                .and_then(|kv| kv.value.as_deref());
            if last != Some(value)
                || keys
                    .iter()
                    .any(|(k, _)| k.container_index == i && k.variable == name)
            {
                continue;
            }
            let same = keys.iter().find(|(k, v)| k.variable == name && *v == value);
            let property = match same {
                Some((k, _)) => k.property.clone(),
                None => {
                    let taken = |p: &str| keys.iter().any(|(k, _)| k.property == p);
                    let mut property = name.to_string();
                    let mut n = 2;
                    while taken(&property) {
                        property = format!("{name}-{n}");
                        n += 1;
                    }
                    property
                }
            };
            let key = MovedKey {
                property,
                container: c.name.clone().unwrap_or_default(),
                variable: name.to_string(),
                container_index: i,
            };
            keys.push((key, value));
        }
    }
    keys.into_iter().map(|(k, _)| k).collect()
}

/// The variables of `c`'s `environment` that look like secrets, with their values.
fn flagged(c: &ContainerDefinition) -> impl Iterator<Item = (&str, &str)> {
    c.environment.iter().filter_map(|kv| {
        let (name, value) = (kv.name.as_deref()?, kv.value.as_deref()?);
        plaintext_reason(name, value).map(|_| (name, value))
    })
}

fn in_secrets(c: &ContainerDefinition, name: &str) -> bool {
    c.secrets.iter().any(|s| s.name.as_deref() == Some(name))
}

/// Container `i`'s plaintext secrets: each moved one (`moved`) reads its key through the store of
/// the workload's own Secrets Manager; without `moved` (the opt-out), each stays, with a warning.
/// A name `secrets` also sets is left to the secret (E2K401).
pub(super) fn check(
    (i, c, at): (usize, &ContainerDefinition, &str),
    k: &mut Container,
    moved: Option<&MovedSecret>,
    stores: &mut Stores<'_, '_>,
    findings: &mut Findings,
) {
    for (j, kv) in c.environment.iter().enumerate() {
        let (Some(name), Some(value)) = (kv.name.as_deref(), kv.value.as_deref()) else {
            continue;
        };
        let Some(why) = plaintext_reason(name, value).filter(|_| !in_secrets(c, name)) else {
            continue;
        };
        let here = join(at, &format!("environment[{j}]"));
        let Some((secret, property)) = moved.and_then(|m| Some((m, m.property_of(i, name)?)))
        else {
            findings.push(
                Code::PlaintextSecret,
                &here,
                format!(
                    "{name} looks like a secret in plain text ({why}); its value is in the manifest"
                ),
            );
            continue;
        };
        let mut r =
            parse_reference(&secret.name, Provider::SecretsManager).expect("a name is a reference");
        r.property = Some(property.to_string());
        let (external_secret, _) = env_from(stores, &r, (name, &here), k, findings);
        findings.push(
            Code::PlaintextMoved,
            &here,
            format!(
                "{name} looks like a secret in plain text ({why}); it now reads key {property} of Secrets Manager secret {} through ExternalSecret {external_secret}",
                secret.name
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
