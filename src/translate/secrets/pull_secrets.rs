//! Pull secrets: a container's `repositoryCredentials` (a Secrets Manager secret with `username`
//! and `password`) become a `kubernetes.io/dockerconfigjson` ExternalSecret and the pod's
//! `imagePullSecrets`.

use super::SecretsContext;
use super::external_secrets::{Stores, external_secret};
use super::references::{Provider, Reference, note_reference, parse_reference, remote_ref};
use crate::diagnostics::{Code, Findings};
use crate::model::ecs::ContainerDefinition;
use crate::model::fields::join;
use crate::model::k8s::{NameRef, Object, PodSpec};
use crate::model::names::dns_label;
use serde_json::json;

/// The `credentialsParameter` of a container's registry credentials, when it names one.
pub(super) fn credentials_parameter(c: &ContainerDefinition) -> Option<&str> {
    c.repository_credentials
        .as_ref()
        .and_then(|rc| rc.credentials_parameter.as_deref())
        .filter(|p| !p.trim().is_empty())
}

/// A container's pull secret: the ExternalSecret that syncs its registry credentials.
pub(super) struct PullSecret {
    name: String,
    external_secret: Object,
}

impl PullSecret {
    /// Adds the ExternalSecret to `pulls` unless one of its name is there (two containers whose
    /// names shorten alike share the first), and its name to the pod's `imagePullSecrets`.
    pub fn add_to(self, pulls: &mut Vec<Object>, pod: &mut PodSpec) {
        if !pulls.iter().any(|p| p.metadata.name == self.name) {
            pulls.push(self.external_secret);
        }
        let pull = NameRef { name: self.name };
        if !pod.image_pull_secrets.contains(&pull) {
            pod.image_pull_secrets.push(pull);
        }
    }
}

/// The pull secret of container `c` (at `at`, named `container` in Kubernetes), read through
/// the store of its credentials; None when it has no registry credentials or they are not a
/// Secrets Manager reference (E2K400).
pub(super) fn of(
    c: &ContainerDefinition,
    at: &str,
    container: &str,
    stores: &mut Stores<'_, '_>,
    findings: &mut Findings,
) -> Option<PullSecret> {
    let param = credentials_parameter(c)?;
    let here = join(at, "repositoryCredentials.credentialsParameter");
    let r = match parse_reference(param, Provider::SecretsManager) {
        Ok(r) if r.provider == Provider::SecretsManager => r,
        Ok(_) => {
            findings.push(
                Code::SecretReference,
                &here,
                "registry credentials must be a Secrets Manager secret",
            );
            return None;
        }
        Err(why) => {
            findings.push(
                Code::SecretReference,
                &here,
                format!("registry credentials: {why}"),
            );
            return None;
        }
    };
    note_reference(&r, "registry credentials", param, &here, findings);
    let ctx = stores.ctx;
    let image = c.image.as_deref().unwrap_or("");
    let store = stores.store_of(&r, &here, findings);
    let name = dns_label(&format!("{}-{container}-registry", ctx.app), "registry");
    let external_secret = dockerconfig(ctx, &name, (&store.name, store.object.kind), &r, image);
    findings.push(
        Code::PullSecret,
        &here,
        format!(
            "credentials for registry {} are synced into Secret {name}",
            registry(image)
        ),
    );
    Some(PullSecret {
        name,
        external_secret,
    })
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
/// `store` is the store's (name, kind).
fn dockerconfig(
    ctx: &SecretsContext<'_>,
    name: &str,
    (store, kind): (&str, &str),
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
    external_secret(ctx, name, spec)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
