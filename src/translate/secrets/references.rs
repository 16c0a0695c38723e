//! Secret references: a `valueFrom` (or `credentialsParameter`) resolved the way ECS resolves it,
//! into what ESO reads (`remoteRef`) and what IAM grants (an ARN).

use crate::diagnostics::{Code, Findings};
use serde_json::{Value, json};

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
    if !value_from.starts_with("arn:") {
        return Ok(bare_name(value_from, bare));
    }
    let parts: Vec<&str> = value_from.splitn(6, ':').collect();
    let [_, partition, service, region, account, resource] = parts[..] else {
        return Err(format!("{value_from:?} is not a complete ARN"));
    };
    let arn = Reference {
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
        "secretsmanager" => secret_arn(arn, value_from, resource),
        "ssm" => parameter_arn(arn, value_from, resource),
        other => Err(format!(
            "{value_from:?} is an ARN of {other:?}, not of Secrets Manager or SSM"
        )),
    }
}

/// `s`, or None when it is empty (an unset field of a reference).
fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// A reference that is not an ARN: a name in the task's own account and region.
fn bare_name(value_from: &str, bare: Provider) -> Reference {
    let (name, version) = match value_from.split_once(':') {
        Some((n, v)) if bare == Provider::ParameterStore => (n, non_empty(v)),
        _ => (value_from, None),
    };
    Reference {
        provider: bare,
        partition: "aws".into(),
        account: String::new(),
        region: String::new(),
        key: name.to_string(),
        property: None,
        version_stage: None,
        version_id: version,
        ambiguous_name: false,
    }
}

/// A Secrets Manager ARN (`arn`: its partition, region and account), whose `resource` is
/// `secret:NAME[:json-key[:version-stage[:version-id]]]`.
fn secret_arn(mut arn: Reference, value_from: &str, resource: &str) -> Result<Reference, String> {
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
    let field = |i: usize| fields.get(i).copied().and_then(non_empty);
    arn.provider = Provider::SecretsManager;
    arn.key = format!(
        "arn:{}:secretsmanager:{}:{}:secret:{}",
        arn.partition, arn.region, arn.account, fields[0]
    );
    arn.property = field(1);
    arn.version_stage = field(2);
    arn.version_id = field(3);
    Ok(arn)
}

/// An SSM parameter ARN (`arn`: its partition, region and account), whose `resource` is
/// `parameter/NAME[:version-or-label]`.
fn parameter_arn(
    mut arn: Reference,
    value_from: &str,
    resource: &str,
) -> Result<Reference, String> {
    let Some(rest) = resource
        .strip_prefix("parameter/")
        .filter(|r| !r.is_empty())
    else {
        return Err(format!("{value_from:?} is not an SSM parameter ARN"));
    };
    let (name, version) = match rest.split_once(':') {
        Some((n, v)) => (n, non_empty(v)),
        None => (rest, None),
    };
    arn.provider = Provider::ParameterStore;
    arn.ambiguous_name = !name.contains('/');
    arn.key = if name.contains('/') {
        format!("/{name}")
    } else {
        name.to_string()
    };
    arn.version_id = version;
    Ok(arn)
}

/// An unrendered template placeholder (`${X}`, `{{x}}`, `<x>`, `$$$X$$$`…).
pub(super) fn placeholder(s: &str) -> bool {
    crate::model::fields::looks_like_placeholder(s)
}

/// Findings every resolved reference may carry.
pub(super) fn note_reference(
    r: &Reference,
    name: &str,
    raw: &str,
    at: &str,
    findings: &mut Findings,
) {
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

/// `remoteRef` of a reference.
pub(super) fn remote_ref(r: &Reference) -> Value {
    let mut v = json!({ "key": r.key });
    if let Some(p) = &r.property {
        v["property"] = json!(p);
    }
    if let Some(version) = r.version() {
        v["version"] = json!(version);
    }
    v
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
}
