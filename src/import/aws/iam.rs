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
use super::{Failure, Unit, sdk_message};
use aws_sdk_iam::Client;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

pub struct IamRead {
    pub files: BTreeMap<String, String>,
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
) -> Result<IamRead, Failure> {
    let mut out = IamRead {
        files: BTreeMap::new(),
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
        let answer = match client.get_role().role_name(name).send().await {
            Ok(a) => a,
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_no_such_entity_exception()) =>
            {
                out.missing.push(name.to_string());
                continue;
            }
            Err(e) => {
                return Err(unit.failure("iam:GetRole", format!("{name}: {}", sdk_message(&e))));
            }
        };
        let Some(role) = answer.role() else { continue };
        let mut v = mapped::role(role);
        if !unit.options.keep_volatile {
            strip(&mut v, &["RoleLastUsed"]);
        }

        let mut inline = Vec::new();
        let mut pages = client
            .list_role_policies()
            .role_name(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                unit.failure(
                    "iam:ListRolePolicies",
                    format!("{name}: {}", sdk_message(&e)),
                )
            })?;
            inline.extend(page.policy_names().iter().cloned());
        }
        let mut role_policies = Vec::new();
        for policy in &inline {
            let p = client
                .get_role_policy()
                .role_name(name)
                .policy_name(policy)
                .send()
                .await
                .map_err(|e| {
                    unit.failure(
                        "iam:GetRolePolicy",
                        format!("{name}/{policy}: {}", sdk_message(&e)),
                    )
                })?;
            role_policies.push(json!({
                "PolicyName": p.policy_name(),
                "PolicyDocument": decode_policy_document(p.policy_document()),
            }));
        }

        let mut attached = Vec::new();
        let mut pages = client
            .list_attached_role_policies()
            .role_name(name)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                unit.failure(
                    "iam:ListAttachedRolePolicies",
                    format!("{name}: {}", sdk_message(&e)),
                )
            })?;
            for p in page.attached_policies() {
                if let Some(arn) = p.policy_arn() {
                    managed.insert(arn.to_string());
                }
                attached.push(mapped::attached_policy(p));
            }
        }
        v["InstanceProfileList"] = json!([]);
        v["RolePolicyList"] = Value::Array(role_policies);
        v["AttachedManagedPolicies"] = Value::Array(attached);
        roles.push(v);
    }

    let mut policies = Vec::new();
    for arn in &managed {
        let p = client
            .get_policy()
            .policy_arn(arn)
            .send()
            .await
            .map_err(|e| unit.failure("iam:GetPolicy", format!("{arn}: {}", sdk_message(&e))))?;
        let Some(policy) = p.policy() else { continue };
        let mut v = mapped::policy(policy);
        let mut versions = Vec::new();
        if let Some(version) = policy.default_version_id() {
            let pv = client
                .get_policy_version()
                .policy_arn(arn)
                .version_id(version)
                .send()
                .await
                .map_err(|e| {
                    unit.failure(
                        "iam:GetPolicyVersion",
                        format!("{arn}: {}", sdk_message(&e)),
                    )
                })?;
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
        policies.push(v);
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
