//! The IAM side of the inputs: roles and managed policies as `aws iam` prints them.
//!
//! Policy documents come as JSON objects from the AWS CLI, and as URL-encoded JSON strings from
//! the raw API (and from SDK dumps); both are read into one `PolicyDocument`, kept in source order
//! so that they can be carried verbatim.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// `null` and a missing field both mean "not set".
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A policy document, held as compact JSON text in the source's key order: an account lists
/// thousands of roles, and a document as a JSON tree takes ten times its text. `value` parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDocument(Box<str>);

impl PolicyDocument {
    pub fn new(value: &Value) -> PolicyDocument {
        PolicyDocument(value.to_string().into_boxed_str())
    }

    pub fn value(&self) -> Value {
        serde_json::from_str(&self.0).expect("the text of a JSON value")
    }
}

/// A policy document: a JSON object, or a (URL-encoded) JSON string.
fn document<'de, D>(d: D) -> Result<Option<PolicyDocument>, D::Error>
where
    D: Deserializer<'de>,
{
    match Option::<Value>::deserialize(d)? {
        None => Ok(None),
        Some(Value::String(s)) => parse_document(&s)
            .map(|v| Some(PolicyDocument::new(&v)))
            .map_err(serde::de::Error::custom),
        Some(v @ Value::Object(_)) => Ok(Some(PolicyDocument::new(&v))),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected a policy document (object or JSON string), found {}",
            kind(&other)
        ))),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reads a policy document given as text: plain JSON, or URL-encoded JSON as the IAM API
/// returns it (`%7B%22Version%22…`; some encoders also write spaces as `+`).
pub fn parse_document(text: &str) -> Result<Value, String> {
    let trimmed = text.trim_start();
    let attempts: Vec<String> = if trimmed.starts_with('{') {
        vec![text.to_string()]
    } else {
        let decoded = percent_decode(text, false)?;
        let plus = percent_decode(text, true)?;
        vec![decoded, plus]
    };
    let mut last = String::new();
    for attempt in &attempts {
        match serde_json::from_str::<Value>(attempt) {
            Ok(v @ Value::Object(_)) => return Ok(v),
            Ok(other) => last = format!("the policy document is {}", kind(&other)),
            Err(e) => last = format!("the policy document is not JSON: {e}"),
        }
    }
    Err(last)
}

fn percent_decode(text: &str, plus_is_space: bool) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or_else(|| format!("bad URL escape at character {i}"))?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "the decoded policy document is not UTF-8".to_string())
}

/// One role, from `RoleDetailList[]` of get-account-authorization-details or `Role` of get-role.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Role {
    pub role_name: Option<String>,
    pub arn: Option<String>,
    pub path: Option<String>,
    #[serde(deserialize_with = "document")]
    pub assume_role_policy_document: Option<PolicyDocument>,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    /// None when the input does not list permissions (get-role output).
    pub role_policy_list: Option<Vec<InlinePolicy>>,
    pub attached_managed_policies: Option<Vec<AttachedPolicy>>,
    pub permissions_boundary: Option<PermissionsBoundary>,
    #[serde(deserialize_with = "nullable")]
    pub tags: Vec<Tag>,
}

/// `(account, path, name)` of a role ARN (`arn:aws:iam::1:role/path/name`) or bare role name.
pub fn split_role(reference: &str) -> (String, String, String) {
    match crate::model::ecs::Arn::parse(reference) {
        Some(arn) => {
            let resource = arn.resource.strip_prefix("role").unwrap_or(arn.resource);
            let (path, name) = match resource.rfind('/') {
                Some(i) => (&resource[..=i], &resource[i + 1..]),
                None => ("/", resource),
            };
            let path = if path.is_empty() { "/" } else { path };
            (arn.account.to_string(), path.to_string(), name.to_string())
        }
        None => (String::new(), "/".to_string(), reference.to_string()),
    }
}

impl Role {
    /// The account (empty when only the name is known) and name the role is found by: from its
    /// ARN, else its name.
    pub fn account_and_name(&self) -> Option<(String, String)> {
        match (&self.arn, &self.role_name) {
            (Some(arn), _) => {
                let (account, _, name) = split_role(arn);
                Some((account, name))
            }
            (None, Some(name)) => Some((String::new(), name.clone())),
            (None, None) => None,
        }
    }

    /// True when the input lists the role's permissions (inline and managed policies).
    pub fn permissions_known(&self) -> bool {
        self.role_policy_list.is_some() || self.attached_managed_policies.is_some()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct InlinePolicy {
    pub policy_name: Option<String>,
    #[serde(deserialize_with = "document")]
    pub policy_document: Option<PolicyDocument>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AttachedPolicy {
    pub policy_name: Option<String>,
    pub policy_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PermissionsBoundary {
    pub permissions_boundary_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Tag {
    pub key: Option<String>,
    pub value: Option<String>,
}

/// A managed policy, from `Policies[]` of get-account-authorization-details.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ManagedPolicy {
    pub policy_name: Option<String>,
    pub arn: Option<String>,
    pub default_version_id: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub policy_version_list: Vec<PolicyVersion>,
}

impl ManagedPolicy {
    /// The document in force: the default version (by flag, else by `DefaultVersionId`), with
    /// its index in `PolicyVersionList`.
    pub fn default_document(&self) -> Option<(usize, &PolicyDocument)> {
        let by_flag = self
            .policy_version_list
            .iter()
            .position(|v| v.is_default_version == Some(true));
        let by_id = || {
            self.policy_version_list
                .iter()
                .position(|v| v.version_id.is_some() && v.version_id == self.default_version_id)
        };
        let i = by_flag.or_else(by_id)?;
        self.policy_version_list[i]
            .document
            .as_ref()
            .map(|d| (i, d))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct PolicyVersion {
    #[serde(deserialize_with = "document")]
    pub document: Option<PolicyDocument>,
    pub version_id: Option<String>,
    pub is_default_version: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn documents_are_read_from_objects_and_url_encoded_strings() {
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22s3%3AGetObject%22%2C%22Resource%22%3A%22*%22%7D%5D%7D";
        let role: Role = serde_json::from_value(json!({
            "RoleName": "r",
            "AssumeRolePolicyDocument": encoded,
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Version": "2012-10-17"}}],
        }))
        .unwrap();
        let trust = role.assume_role_policy_document.unwrap().value();
        assert_eq!(trust["Statement"][0]["Action"], "s3:GetObject");
        assert_eq!(
            role.role_policy_list.unwrap()[0].policy_document,
            Some(PolicyDocument::new(&json!({"Version": "2012-10-17"})))
        );
        assert!(parse_document("%7B%22a%22%3A+1%7D").is_ok());
        assert!(parse_document("{\"a\": 1}").is_ok());
        assert!(parse_document("%ZZ").is_err());
        assert!(parse_document("%5B%5D").is_err());
    }

    #[test]
    fn get_role_output_has_no_permissions() {
        let role: Role = serde_json::from_value(json!({"RoleName": "r"})).unwrap();
        assert!(!role.permissions_known());
    }

    #[test]
    fn default_version_is_the_flagged_one() {
        let p: ManagedPolicy = serde_json::from_value(json!({
            "DefaultVersionId": "v3",
            "PolicyVersionList": [
                {"VersionId": "v2", "IsDefaultVersion": false, "Document": {"n": 2}},
                {"VersionId": "v3", "IsDefaultVersion": true, "Document": {"n": 3}},
            ]
        }))
        .unwrap();
        assert_eq!(p.default_document().unwrap().1.value()["n"], 3);
    }
}
