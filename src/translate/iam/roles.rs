//! One IAM role as Terraform, made from the bindings of the workloads that share it: its trust
//! policy (IRSA subjects, Pod Identity, or the kept role's own statements) and the permissions of
//! the task role it replaces.

use super::risk::risks;
use crate::diagnostics::{Code, Finding};
use crate::mappings::IamStrategy;
use crate::model::fields::join;
use crate::model::iam::{PolicyDocument, Role, split_role};
use crate::model::read::{Inputs, Sourced};
use crate::model::target::cluster::{ClusterValue, Clusters};
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
pub fn trust_size(role: &IamRole, clusters: &Clusters) -> usize {
    let typical = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
    let statements: Vec<Value> = role
        .trust
        .iter()
        .map(|st| match st {
            TrustStatement::Verbatim(v) => v.clone(),
            TrustStatement::Oidc {
                environment,
                subjects,
                ..
            } => {
                let issuer = match clusters.value(environment, ClusterValue::OidcIssuer) {
                    Text::Literal(s) => s,
                    Text::Var { .. } => typical.to_string(),
                };
                json!({
                    "Effect": "Allow",
                    "Principal": {"Federated": format!("arn:aws:iam::{}:oidc-provider/{issuer}", role.account)},
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

/// What the task role says about itself besides its permissions, completed from `get-role`
/// output, which has what the account details lack (description, session duration).
#[derive(Default)]
struct Settings {
    description: Option<String>,
    max_session_duration: Option<i64>,
    permissions_boundary: Option<String>,
    tags: BTreeMap<String, String>,
}

/// A workload's binding, with the account of the workload's cluster.
pub struct Bound<'a> {
    pub binding: &'a RoleBinding,
    pub cluster_account: &'a str,
}

/// The role `name` of the workloads in `bound` (all bound to the same role), written to
/// `directory`; None when a kept role's trust policy is unknown.
pub fn build_role(
    directory: &str,
    name: &str,
    bound: &[Bound<'_>],
    inputs: &Inputs,
    clusters: &Clusters,
    findings: &mut Vec<Finding>,
) -> Option<IamRole> {
    let bindings: Vec<&RoleBinding> = bound.iter().map(|b| b.binding).collect();
    let bindings = bindings.as_slice();
    let first = bindings.first()?;
    let source = bindings
        .iter()
        .find_map(|b| b.source)
        .map(|i| &inputs.roles[i]);
    let adopt = bindings
        .iter()
        .any(|b| b.strategy == IamStrategy::ExtendTaskRole);
    let mut trust = if adopt {
        // Keeping a role whose trust policy is unknown would erase it: write nothing.
        kept_trust(source?)?
    } else {
        Vec::new()
    };
    let pod_identity = cluster_trust(bound, clusters, &mut trust);
    let (inline_policies, managed_policies, settings) = match source {
        Some(s) => (
            inline_policies(s, name, findings),
            managed_policies(s, name, inputs, findings),
            settings(s, &first.source_arn, inputs),
        ),
        None => (Vec::new(), Vec::new(), Settings::default()),
    };
    let description = if adopt {
        settings.description
    } else {
        Some(format!(
            "EKS role for the pods of task role {}",
            first.source_arn
        ))
    };
    Some(IamRole {
        directory: directory.to_string(),
        account: first.account.clone(),
        name: name.to_string(),
        path: first.path.clone(),
        resource: String::new(),
        source_arn: first.source_arn.clone(),
        adopt,
        description,
        max_session_duration: settings.max_session_duration,
        permissions_boundary: settings.permissions_boundary,
        tags: settings.tags,
        trust,
        inline_policies,
        managed_policies,
        pod_identity: pod_identity.into_iter().collect(),
        permissions_known: source.is_some_and(|s| s.value.permissions_known()),
        used_by: used_by(bindings),
    })
}

/// The trust statements of a kept role, as they are; None when its trust policy is unknown.
fn kept_trust(source: &Sourced<Role>) -> Option<Vec<TrustStatement>> {
    let doc = source.value.assume_role_policy_document.as_ref()?.value();
    Some(match doc.get("Statement") {
        Some(Value::Array(statements)) => statements
            .iter()
            .cloned()
            .map(TrustStatement::Verbatim)
            .collect(),
        Some(one @ Value::Object(_)) => vec![TrustStatement::Verbatim(one.clone())],
        _ => Vec::new(),
    })
}

/// Adds to `trust` what the clusters need: one IRSA statement per OIDC issuer, for every
/// ServiceAccount bound to the role (the provider created in the role's root when the role is
/// not in the cluster's account), then Pod Identity's when a binding uses it. Returns the Pod
/// Identity associations.
fn cluster_trust(
    bound: &[Bound<'_>],
    clusters: &Clusters,
    trust: &mut Vec<TrustStatement>,
) -> BTreeSet<PodIdentityAssociation> {
    // By issuer: the first environment with it, whether the provider is created here, subjects.
    let mut oidc: BTreeMap<Text, (&str, bool, BTreeSet<String>)> = BTreeMap::new();
    let mut pod_identity = BTreeSet::new();
    for Bound {
        binding: b,
        cluster_account,
    } in bound
    {
        match b.strategy {
            IamStrategy::PodIdentity => {
                pod_identity.insert(PodIdentityAssociation {
                    environment: b.environment.clone(),
                    namespace: b.namespace.clone(),
                    service_account: b.service_account.clone(),
                });
            }
            _ => {
                let issuer = clusters.value(&b.environment, ClusterValue::OidcIssuer);
                let (_, created, subjects) =
                    oidc.entry(issuer)
                        .or_insert((&b.environment, false, BTreeSet::new()));
                *created |= b.account != *cluster_account;
                subjects.insert(format!(
                    "system:serviceaccount:{}:{}",
                    b.namespace, b.service_account
                ));
            }
        }
    }
    for (environment, created, subjects) in oidc.into_values() {
        trust.push(TrustStatement::Oidc {
            environment: environment.to_string(),
            created,
            subjects: subjects.into_iter().collect(),
        });
    }
    if !pod_identity.is_empty() {
        trust.push(TrustStatement::PodIdentity);
    }
    pod_identity
}

/// The task role's inline policies by name, with the findings of their risks.
fn inline_policies(
    s: &Sourced<Role>,
    role: &str,
    findings: &mut Vec<Finding>,
) -> Vec<(String, PolicyDocument)> {
    let mut policies = Vec::new();
    for (i, p) in s.value.role_policy_list.iter().flatten().enumerate() {
        let at = format!("{}.RolePolicyList[{i}]", s.path);
        let policy_name = p
            .policy_name
            .clone()
            .unwrap_or_else(|| format!("policy-{i}"));
        if let Some(doc) = &p.policy_document {
            risks(
                &doc.value(),
                &s.input,
                &join(&at, "PolicyDocument"),
                &format!("inline policy {policy_name} of {role}"),
                findings,
            );
            policies.push((policy_name, doc.clone()));
        }
    }
    policies.sort_by(|a, b| a.0.cmp(&b.0));
    policies
}

/// The ARNs of the task role's managed policies, sorted, with the findings of their risks
/// (read from the inputs' policy documents) and of AdministratorAccess.
fn managed_policies(
    s: &Sourced<Role>,
    role: &str,
    inputs: &Inputs,
    findings: &mut Vec<Finding>,
) -> Vec<String> {
    let mut arns = Vec::new();
    for (i, p) in s
        .value
        .attached_managed_policies
        .iter()
        .flatten()
        .enumerate()
    {
        let Some(arn) = p.policy_arn.clone() else {
            continue;
        };
        let at = format!("{}.AttachedManagedPolicies[{i}]", s.path);
        if arn == ADMINISTRATOR_ACCESS {
            let mut f = Finding::new(
                Code::RiskyAdministratorAccess,
                at,
                format!("role {role} gets AdministratorAccess"),
            );
            f.input = s.input.clone();
            findings.push(f);
        } else if let Some(mp) = inputs.managed_policy_at(&arn)
            && let Some((v, doc)) = mp.value.default_document()
        {
            risks(
                &doc.value(),
                &mp.input,
                &format!("{}.PolicyVersionList[{v}].Document", mp.path),
                &format!(
                    "managed policy {} of {role}",
                    mp.value.policy_name.as_deref().unwrap_or(&arn)
                ),
                findings,
            );
        }
        arns.push(arn);
    }
    arns.sort();
    arns.dedup();
    arns
}

/// The settings of task role `s` (`source_arn`), each from the other inputs of the same role
/// when `s` lacks it.
fn settings(s: &Sourced<Role>, source_arn: &str, inputs: &Inputs) -> Settings {
    let r = &s.value;
    let (acct, _, source_name) = split_role(source_arn);
    let all: Vec<&Role> = super::bindings::matching_roles(inputs, &acct, &source_name)
        .into_iter()
        .map(|i| &inputs.roles[i].value)
        .collect();
    Settings {
        description: r
            .description
            .clone()
            .or_else(|| all.iter().find_map(|o| o.description.clone())),
        max_session_duration: r
            .max_session_duration
            .or_else(|| all.iter().find_map(|o| o.max_session_duration)),
        permissions_boundary: r
            .permissions_boundary
            .as_ref()
            .and_then(|p| p.permissions_boundary_arn.clone()),
        tags: r
            .tags
            .iter()
            .filter_map(|t| Some((t.key.clone()?, t.value.clone()?)))
            .collect(),
    }
}

/// `app (environment): namespace/serviceaccount` of each workload bound to the role, sorted.
fn used_by(bindings: &[&RoleBinding]) -> Vec<String> {
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
    used_by
}
