//! Plaintext secrets: variables in `environment` that look like secrets are reported by name and
//! value shape (never by value) and, on request, redacted into a Secret the user creates.

use super::references::placeholder;
use super::{SecretsContext, secret_key, secret_ref, set_env};
use crate::diagnostics::{Code, Findings};
use crate::model::ecs::ContainerDefinition;
use crate::model::fields::join;
use crate::model::k8s::{Container, EnvVar};
use crate::model::names::dns_label;

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
pub(super) fn check(
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
