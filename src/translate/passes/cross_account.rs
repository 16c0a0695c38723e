//! Cross-account wiring that needs every workload: the roles the AWS Load Balancer Controller
//! assumes in target groups' accounts (one per role ARN, with every target group bound through
//! it and every environment whose controller assumes it), what each cluster's controller may
//! assume, and one ECR repository policy per repository of another account than the cluster's.

use crate::model::target::Workload;
use crate::model::target::cluster::{Clusters, arn_account};
use crate::model::target::cross_account::{
    ControllerAccess, CrossAccount, RepositoryPolicy, TargetGroupRole,
};
use std::collections::BTreeMap;

/// The cross-account wiring of the workloads that were converted; `directory` names each
/// account's Terraform root.
pub fn plan(
    workloads: &[Workload],
    clusters: &Clusters,
    directory: &dyn Fn(&str) -> String,
) -> CrossAccount {
    let mut roles: BTreeMap<String, TargetGroupRole> = BTreeMap::new();
    let mut access: BTreeMap<(String, String), ControllerAccess> = BTreeMap::new();
    let mut policies: BTreeMap<(String, String, String), RepositoryPolicy> = BTreeMap::new();
    for w in workloads.iter().filter(|w| !w.failed()) {
        let cluster = clusters.of(&w.environment);
        let cluster_account = cluster.account(&w.account);
        for b in w.facts.target_group_bindings.iter() {
            if b.role.is_empty() {
                continue;
            }
            let account = arn_account(&b.role);
            let role = roles
                .entry(b.role.clone())
                .or_insert_with(|| TargetGroupRole {
                    account: account.to_string(),
                    directory: directory(account),
                    arn: b.role.clone(),
                    target_groups: Default::default(),
                    environments: Default::default(),
                });
            role.target_groups.insert(b.target_group_arn.clone());
            role.environments.insert(w.environment.clone());
            let key = (cluster_account.to_string(), w.environment.clone());
            let granted = access.entry(key).or_insert_with(|| ControllerAccess {
                account: cluster_account.to_string(),
                directory: directory(cluster_account),
                environment: w.environment.clone(),
                roles: Default::default(),
            });
            granted.roles.insert(b.role.clone());
        }
        for repo in &w.facts.foreign_images {
            let key = (repo.account.clone(), repo.region.clone(), repo.name.clone());
            let policy = policies.entry(key).or_insert_with(|| RepositoryPolicy {
                directory: directory(&repo.account),
                repository: repo.clone(),
                principals: Default::default(),
                users: Default::default(),
            });
            policy.principals.insert(cluster.image_puller(&w.account));
            // ECS keeps pulling with the workload's account until the service is gone.
            if w.account != repo.account && !w.account.is_empty() {
                policy
                    .principals
                    .insert(format!("arn:aws:iam::{}:root", w.account));
            }
            policy.users.insert(w.reader());
        }
    }
    let mut out = CrossAccount {
        target_group_roles: roles.into_values().collect(),
        controller_access: access.into_values().collect(),
        repository_policies: policies.into_values().collect(),
    };
    out.target_group_roles
        .sort_by(|a, b| (&a.directory, &a.arn).cmp(&(&b.directory, &b.arn)));
    out.controller_access
        .sort_by(|a, b| (&a.directory, &a.environment).cmp(&(&b.directory, &b.environment)));
    out.repository_policies
        .sort_by(|a, b| (&a.directory, &a.repository).cmp(&(&b.directory, &b.repository)));
    out
}
