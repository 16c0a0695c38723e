//! The IAM plan: the workloads' role bindings grouped by role (one task role is often shared by
//! several services and environments), each group made into one `IamRole` with a Terraform
//! resource name unique in its folder, and the findings about a role (shared, risky, too large a
//! trust policy) given to every workload that uses it.

use crate::diagnostics::{Code, Finding, Severity};
use crate::model::read::Inputs;
use crate::model::target::Workload;
use crate::model::target::cluster::Clusters;
use crate::model::target::iam::ident;
use crate::model::target::iam::{IamRole, RoleBinding};
use crate::translate::iam::roles::{self, Bound, TRUST_POLICY_LIMIT, trust_size};
use std::collections::{BTreeMap, BTreeSet};

/// The roles of `workloads` (failed ones have none), sorted by folder then name; their findings
/// are added to the workloads. A role goes to the folder `directory` names for its account.
pub fn plan(
    workloads: &mut [Workload],
    inputs: &Inputs,
    clusters: &Clusters,
    directory: &(dyn Fn(&str) -> String + Sync),
) -> Vec<IamRole> {
    // The users of each role, by folder and name, in the workloads' order.
    let mut by_role: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, w) in workloads.iter().enumerate().filter(|(_, w)| !w.failed()) {
        if let Some(b) = &w.role {
            by_role
                .entry((directory(&b.account), b.name.clone()))
                .or_default()
                .push(i);
        }
    }
    // Built in parallel: a large run has about one role per workload.
    use rayon::prelude::*;
    let groups: Vec<((String, String), Vec<usize>)> = by_role.into_iter().collect();
    type Built = (String, Option<IamRole>, Vec<(usize, Vec<Finding>)>);
    let workloads_read: &[Workload] = workloads;
    let built: Vec<Built> = groups
        .into_par_iter()
        .map(|((directory, name), members)| {
            let bound = bound(workloads_read, &members, clusters);
            let bindings: Vec<&RoleBinding> = bound.iter().map(|b| b.binding).collect();
            let mut role_findings = Vec::new();
            let role = roles::build_role(
                &directory,
                &name,
                &bound,
                inputs,
                clusters,
                &mut role_findings,
            );
            let size = role.as_ref().map(|r| trust_size(r, clusters));
            let findings = role_findings_of(&name, &bindings, &role_findings, role.is_some(), size);
            let findings = members.iter().copied().zip(findings).collect();
            (directory, role, findings)
        })
        .collect();
    let mut resources: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut out = Vec::new();
    for (directory, role, findings) in built {
        for (i, own) in findings {
            for f in own {
                // Which workloads failed is settled before the plan (their secret reads are
                // grouped by then).
                debug_assert!(f.severity < Severity::Error, "{f:?}");
                workloads[i].add_finding(f);
            }
        }
        if let Some(mut role) = role {
            // Unique per account name (two names may make one folder only if the user says so).
            let taken = resources.entry(directory).or_default();
            let base = ident(&role.name);
            let mut resource = base.clone();
            let mut n = 2;
            while !taken.insert(resource.clone()) {
                resource = format!("{base}_{n}");
                n += 1;
            }
            role.resource = resource;
            out.push(role);
        }
    }
    out
}

/// The bindings of the workloads at `members`, each with its cluster's account.
fn bound<'a>(
    workloads: &'a [Workload],
    members: &[usize],
    clusters: &'a Clusters,
) -> Vec<Bound<'a>> {
    members
        .iter()
        .filter_map(|&i| {
            let w = &workloads[i];
            Some(Bound {
                binding: w.role.as_ref()?,
                cluster_account: clusters.of(&w.environment).account(&w.account),
            })
        })
        .collect()
}

fn role_findings_of(
    name: &str,
    bindings: &[&RoleBinding],
    role_findings: &[Finding],
    built: bool,
    size: Option<usize>,
) -> Vec<Vec<Finding>> {
    let users: Vec<String> = bindings
        .iter()
        .map(|b| format!("{} ({})", b.app, b.environment))
        .collect();
    bindings
        .iter()
        .map(|b| {
            let located = |(code, message): (Code, String)| {
                let mut f = Finding::new(code, &b.field, message);
                f.input = b.input.clone();
                f
            };
            let mut out = Vec::new();
            if bindings.len() > 1 {
                out.push(located((
                    Code::RoleShared,
                    format!(
                        "role {name} is shared by {}: it trusts each of their ServiceAccounts",
                        users.join(", ")
                    ),
                )));
            }
            out.extend(role_findings.iter().cloned());
            let mut messages = Vec::new();
            if !built {
                messages.push((
                    Code::TaskRoleNotInInputs,
                    format!(
                        "role {name} is kept (extend-task-role) but its trust policy is not in the inputs: no Terraform was written for it"
                    ),
                ));
            }
            if let Some(size) = size.filter(|s| *s > TRUST_POLICY_LIMIT) {
                messages.push((
                    Code::TrustPolicyTooLarge,
                    format!(
                        "the trust policy of role {name} is about {size} characters, over IAM's default limit of {TRUST_POLICY_LIMIT}"
                    ),
                ));
            }
            out.extend(messages.into_iter().map(located));
            out
        })
        .collect()
}
