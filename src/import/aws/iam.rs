//! IAM (global, once per account) for the task and execution roles of the task definitions read:
//! GetRole → ListRolePolicies → GetRolePolicy (each inline policy) → ListAttachedRolePolicies →
//! GetPolicy + GetPolicyVersion (each attached managed policy once, its default version).
//!
//! Written as one `aws iam get-account-authorization-details` file holding only those roles and
//! policies (the shape the IAM importer reads), policy documents URL-decoded as the CLI prints
//! them. Per-role calls cost fewer calls than paging through the whole account's authorization
//! details when, as usual, a few roles of a large account are wanted.

use super::json::{canonical, decode_policy_document, render, strip};
use super::mapped;
use super::{Files, ImportError, Unit};
use aws_sdk_iam::Client;
use aws_sdk_iam::types::AttachedPolicy;
use serde_json::{Value, json};
use std::collections::BTreeSet;

pub struct IamRead {
    pub files: Files,
    pub roles: usize,
    /// Roles a task definition names that do not exist (not a failure: the finding is convert's).
    pub missing: Vec<String>,
}

fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

pub async fn read(
    unit: &Unit,
    client: &Client,
    role_arns: &BTreeSet<String>,
) -> Result<IamRead, ImportError> {
    let mut out = IamRead {
        files: Files::new(),
        roles: 0,
        missing: Vec::new(),
    };
    // Roles of this account only (a task definition may name another account's role).
    let names: BTreeSet<&str> = role_arns
        .iter()
        .filter(|a| a.split(':').nth(4) == Some(unit.account.as_str()))
        .map(|a| role_name(a))
        .collect();
    if names.is_empty() {
        return Ok(out);
    }
    let _permit = unit.permit().await;
    let mut roles = Vec::new();
    let mut managed = BTreeSet::new();
    for name in names {
        match read_role(unit, client, name, &mut managed).await? {
            Some(role) => roles.push(role),
            None => out.missing.push(name.to_string()),
        }
    }
    let mut policies = Vec::new();
    for arn in &managed {
        policies.push(read_managed_policy(unit, client, arn).await?);
    }
    out.roles = roles.len();
    if !roles.is_empty() {
        out.files.insert(
            "iam/get-account-authorization-details.json".into(),
            render(&canonical(json!({
                "UserDetailList": [],
                "GroupDetailList": [],
                "RoleDetailList": roles,
                "Policies": policies,
            }))),
        );
    }
    Ok(out)
}

/// A role as get-account-authorization-details lists it, with its inline policies and attached
/// managed policies (their ARNs added to `managed`); `None` when the role does not exist.
async fn read_role(
    unit: &Unit,
    client: &Client,
    name: &str,
    managed: &mut BTreeSet<String>,
) -> Result<Option<Value>, ImportError> {
    let call = |action: &str| unit.call(action).about(format!("role {name}"));
    let answer = match client.get_role().role_name(name).send().await {
        Ok(a) => a,
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_no_such_entity_exception()) =>
        {
            return Ok(None);
        }
        Err(e) => return Err(call("iam:GetRole").failed(&e)),
    };
    let role = answer
        .role()
        .ok_or_else(|| call("iam:GetRole").unreadable("the answer holds no role"))?;
    let mut v = mapped::role(role);
    if !unit.options.keep_volatile {
        strip(&mut v, &["RoleLastUsed"]);
    }
    v["InstanceProfileList"] = json!([]);
    v["RolePolicyList"] = Value::Array(inline_policies(unit, client, name).await?);
    let mut attached = Vec::new();
    for p in attached_policies(unit, client, name).await? {
        if let Some(arn) = p.policy_arn() {
            managed.insert(arn.to_string());
        }
        attached.push(mapped::attached_policy(&p));
    }
    v["AttachedManagedPolicies"] = Value::Array(attached);
    Ok(Some(v))
}

/// ListRolePolicies, then GetRolePolicy for each: `{PolicyName, PolicyDocument}` (decoded).
async fn inline_policies(
    unit: &Unit,
    client: &Client,
    name: &str,
) -> Result<Vec<Value>, ImportError> {
    let inline = all_items!(
        client.list_role_policies().role_name(name),
        unit.call("iam:ListRolePolicies")
            .about(format!("role {name}"))
    )?;
    let mut role_policies = Vec::new();
    for policy in &inline {
        let p = client
            .get_role_policy()
            .role_name(name)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| {
                unit.call("iam:GetRolePolicy")
                    .about(format!("role {name}, policy {policy}"))
                    .failed(&e)
            })?;
        role_policies.push(json!({
            "PolicyName": p.policy_name(),
            "PolicyDocument": decode_policy_document(p.policy_document()),
        }));
    }
    Ok(role_policies)
}

/// ListAttachedRolePolicies, to the end.
async fn attached_policies(
    unit: &Unit,
    client: &Client,
    name: &str,
) -> Result<Vec<AttachedPolicy>, ImportError> {
    all_items!(
        client.list_attached_role_policies().role_name(name),
        unit.call("iam:ListAttachedRolePolicies")
            .about(format!("role {name}"))
    )
}

/// GetPolicy, then GetPolicyVersion of its default version: the policy as
/// get-account-authorization-details lists it.
async fn read_managed_policy(
    unit: &Unit,
    client: &Client,
    arn: &str,
) -> Result<Value, ImportError> {
    let call = |action: &str| unit.call(action).about(format!("policy {arn}"));
    let p = client
        .get_policy()
        .policy_arn(arn)
        .send()
        .await
        .map_err(|e| call("iam:GetPolicy").failed(&e))?;
    let policy = p
        .policy()
        .ok_or_else(|| call("iam:GetPolicy").unreadable("the answer holds no policy"))?;
    let mut v = mapped::policy(policy);
    let mut versions = Vec::new();
    if let Some(version) = policy.default_version_id() {
        let pv = client
            .get_policy_version()
            .policy_arn(arn)
            .version_id(version)
            .send()
            .await
            .map_err(|e| call("iam:GetPolicyVersion").failed(&e))?;
        if let Some(pv) = pv.policy_version() {
            versions.push(mapped::policy_version(pv));
        }
    }
    v["PolicyVersionList"] = Value::Array(versions);
    if !unit.options.keep_volatile {
        strip(
            &mut v,
            &["AttachmentCount", "PermissionsBoundaryUsageCount"],
        );
    }
    Ok(v)
}
