//! What the Terraform roots need besides the pods' roles and External Secrets Operator's policy
//! when the cluster is in another account than the workloads: roles the AWS Load Balancer
//! Controller assumes to register pods in another account's target groups, and ECR repository
//! policies that let the cluster's nodes pull another account's images.
//! `translate::passes::cross_account` makes them; `export::iam_roots` writes them into the roots.

use super::facts::EcrRepository;
use std::collections::BTreeSet;

/// What crosses accounts, besides IRSA and External Secrets Operator.
#[derive(Debug, Clone, Default)]
pub struct CrossAccount {
    /// Sorted by folder, then ARN.
    pub target_group_roles: Vec<TargetGroupRole>,
    /// Sorted by folder, then environment.
    pub controller_access: Vec<ControllerAccess>,
    /// Sorted by folder, then repository.
    pub repository_policies: Vec<RepositoryPolicy>,
}

impl CrossAccount {
    /// The Terraform roots (folders under `iam/`) that hold any of it.
    pub fn directories(&self) -> impl Iterator<Item = &str> {
        let roles = self.target_group_roles.iter().map(|r| r.directory.as_str());
        let access = self.controller_access.iter().map(|c| c.directory.as_str());
        let policies = self
            .repository_policies
            .iter()
            .map(|p| p.directory.as_str());
        roles.chain(access).chain(policies)
    }
}

/// A role in a target group's account that the controller of a cluster in another account
/// assumes (`iamRoleArnToAssume`) to register pods in exactly these target groups.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetGroupRole {
    /// The role's account and its Terraform root.
    pub account: String,
    pub directory: String,
    pub arn: String,
    /// The target groups it may register targets in.
    pub target_groups: BTreeSet<String>,
    /// The environments whose controller assumes it (it trusts each one's role).
    pub environments: BTreeSet<String>,
}

/// What the controller of one environment's cluster may assume, granted in the cluster's root.
#[derive(Debug, Clone, PartialEq)]
pub struct ControllerAccess {
    pub account: String,
    pub directory: String,
    pub environment: String,
    pub roles: BTreeSet<String>,
}

/// An ECR repository of another account than the cluster's, and who may pull from it.
#[derive(Debug, Clone, PartialEq)]
pub struct RepositoryPolicy {
    pub directory: String,
    pub repository: EcrRepository,
    /// The clusters' image pullers (node role, else account), and the ECS workloads' accounts,
    /// which keep pulling until the ECS services are gone.
    pub principals: BTreeSet<String>,
    /// `app (environment)` of the workloads that pull from it.
    pub users: BTreeSet<String>,
}
