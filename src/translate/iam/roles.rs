//! One IAM role as Terraform, made from the bindings of the workloads that share it: its trust
//! policy (IRSA subjects, Pod Identity, or the kept role's own statements) and the permissions of
//! the task role it replaces.

use super::risk::risks;
use crate::diagnostics::{Code, Finding};
use crate::mappings::IamStrategy;
use crate::model::fields::join;
use crate::model::iam::{Role, split_role};
use crate::model::read::Inputs;
use crate::model::target::iam::account_directory;
use crate::model::target::iam::{
    IamRole, PodIdentityAssociation, RoleBinding, Text, TrustStatement,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// IAM's default quota for a role trust policy (characters, whitespace not counted); it can be
/// raised to 4,096.
pub const TRUST_POLICY_LIMIT: usize = 2048;

/// The length of the role's trust policy as IAM counts it (no whitespace); a variable issuer
/// counts as a typical one (`oidc.eks.<region>.amazonaws.com/id/<32 hex>`).
pub fn trust_size(role: &IamRole) -> usize {
    let typical = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
    let statements: Vec<Value> = role
        .trust
        .iter()
        .map(|st| match st {
            TrustStatement::Verbatim(v) => v.clone(),
            TrustStatement::Oidc {
                provider_account,
                issuer,
                subjects,
            } => {
                let issuer = match issuer {
                    Text::Literal(s) => s.as_str(),
                    Text::Var { .. } => typical,
                };
                json!({
                    "Effect": "Allow",
                    "Principal": {"Federated": format!("arn:aws:iam::{provider_account}:oidc-provider/{issuer}")},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {
                        format!("{issuer}:aud"): "sts.amazonaws.com",
                        format!("{issuer}:sub"): subjects,
                    }},
                })
            }
            TrustStatement::PodIdentity => json!({
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }),
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
        .to_string()
        .len()
}

pub fn build_role(
    directory: &str,
    name: &str,
    bindings: &[&RoleBinding],
    inputs: &Inputs,
    findings: &mut Vec<Finding>,
) -> Option<IamRole> {
    let first = bindings.first()?;
    let source = bindings
        .iter()
        .find_map(|b| b.source)
        .map(|i| &inputs.roles[i]);
    let adopt = bindings
        .iter()
        .any(|b| b.strategy == IamStrategy::ExtendTaskRole);
    let mut trust = Vec::new();
    if adopt {
        // Keeping a role whose trust policy is unknown would erase it: write nothing.
        let doc = source.and_then(|s| s.value.assume_role_policy_document.as_ref())?;
        match doc.get("Statement") {
            Some(Value::Array(statements)) => {
                trust.extend(statements.iter().cloned().map(TrustStatement::Verbatim))
            }
            Some(one @ Value::Object(_)) => trust.push(TrustStatement::Verbatim(one.clone())),
            _ => {}
        }
    }
    let mut oidc: BTreeMap<Text, BTreeSet<String>> = BTreeMap::new();
    let mut pod_identity = BTreeSet::new();
    for b in bindings {
        match b.strategy {
            IamStrategy::PodIdentity => {
                pod_identity.insert(PodIdentityAssociation {
                    cluster_name: b.cluster_name.clone(),
                    namespace: b.namespace.clone(),
                    service_account: b.service_account.clone(),
                });
            }
            _ => {
                oidc.entry(b.oidc_issuer.clone())
                    .or_default()
                    .insert(format!(
                        "system:serviceaccount:{}:{}",
                        b.namespace, b.service_account
                    ));
            }
        }
    }
    for (issuer, subjects) in oidc {
        trust.push(TrustStatement::Oidc {
            provider_account: first.account.clone(),
            issuer,
            subjects: subjects.into_iter().collect(),
        });
    }
    if !pod_identity.is_empty() {
        trust.push(TrustStatement::PodIdentity);
    }

    let mut inline_policies = Vec::new();
    let mut managed_policies = Vec::new();
    let mut description = None;
    let mut max_session_duration = None;
    let mut permissions_boundary = None;
    let mut tags = BTreeMap::new();
    if let Some(s) = source {
        let r = &s.value;
        for (i, p) in r.role_policy_list.iter().flatten().enumerate() {
            let at = format!("{}.RolePolicyList[{i}]", s.path);
            let policy_name = p
                .policy_name
                .clone()
                .unwrap_or_else(|| format!("policy-{i}"));
            if let Some(doc) = &p.policy_document {
                risks(
                    doc,
                    &s.input,
                    &join(&at, "PolicyDocument"),
                    &format!("inline policy {policy_name} of {name}"),
                    findings,
                );
                inline_policies.push((policy_name, doc.clone()));
            }
        }
        for (i, p) in r.attached_managed_policies.iter().flatten().enumerate() {
            let Some(arn) = p.policy_arn.clone() else {
                continue;
            };
            let at = format!("{}.AttachedManagedPolicies[{i}]", s.path);
            if arn == ADMINISTRATOR_ACCESS {
                let mut f = Finding::new(
                    Code::RiskyAdministratorAccess,
                    at,
                    format!("role {name} gets AdministratorAccess"),
                );
                f.input = s.input.clone();
                findings.push(f);
            } else if let Some(mp) = inputs.managed_policy_at(&arn)
                && let Some((v, doc)) = mp.value.default_document()
            {
                risks(
                    doc,
                    &mp.input,
                    &format!("{}.PolicyVersionList[{v}].Document", mp.path),
                    &format!(
                        "managed policy {} of {name}",
                        mp.value.policy_name.as_deref().unwrap_or(&arn)
                    ),
                    findings,
                );
            }
            managed_policies.push(arn);
        }
        inline_policies.sort_by(|a, b| a.0.cmp(&b.0));
        managed_policies.sort();
        managed_policies.dedup();
        // get-role output has what the account details lack (description, session duration).
        let (acct, _, source_name) = split_role(&first.source_arn);
        let all: Vec<&Role> = super::bindings::matching_roles(inputs, &acct, &source_name)
            .into_iter()
            .map(|i| &inputs.roles[i].value)
            .collect();
        max_session_duration = r
            .max_session_duration
            .or_else(|| all.iter().find_map(|o| o.max_session_duration));
        let source_description = r
            .description
            .clone()
            .or_else(|| all.iter().find_map(|o| o.description.clone()));
        permissions_boundary = r
            .permissions_boundary
            .as_ref()
            .and_then(|p| p.permissions_boundary_arn.clone());
        for t in &r.tags {
            if let (Some(k), Some(v)) = (&t.key, &t.value) {
                tags.insert(k.clone(), v.clone());
            }
        }
        description = if adopt {
            source_description
        } else {
            Some(format!(
                "EKS role for the pods of task role {}",
                first.source_arn
            ))
        };
    } else if !adopt {
        description = Some(format!(
            "EKS role for the pods of task role {}",
            first.source_arn
        ));
    }
    let mut used_by: Vec<String> = bindings
        .iter()
        .map(|b| {
            format!(
                "{} ({}): {}/{}",
                b.app, b.environment, b.namespace, b.service_account
            )
        })
        .collect();
    used_by.sort();
    used_by.dedup();
    Some(IamRole {
        directory: account_directory(directory),
        account: first.account.clone(),
        name: name.to_string(),
        path: first.path.clone(),
        resource: String::new(),
        source_arn: first.source_arn.clone(),
        adopt,
        description,
        max_session_duration,
        permissions_boundary,
        tags,
        trust,
        inline_policies,
        managed_policies,
        pod_identity: pod_identity.into_iter().collect(),
        permissions_known: source.is_some_and(|s| s.value.permissions_known()),
        used_by,
    })
}
