//! The AWS side of secrets on EKS: what External Secrets Operator must be allowed to read, and
//! the ClusterSecretStores the apps of an environment share.
//!
//! The translator fills these from the ECS secret references it resolved; `export::eso_iam` and
//! `export::secret_stores` render them. They hold ARNs only, never a secret value.

use crate::model::k8s::Object;
use std::collections::{BTreeMap, BTreeSet};

/// Everything ESO reads in one AWS account: the least-privilege policy of the role that reads
/// there (ESO's IRSA role in the cluster's account, or the role a cross-account store assumes).
#[derive(Debug, Clone, Default)]
pub struct SecretAccess {
    pub account: String,
    /// The account's folder under `iam/` (its inventory name, or its id), shared with the task
    /// roles' Terraform: one Terraform root per account.
    pub directory: String,
    /// Secrets Manager secret ARNs (`secretsmanager:GetSecretValue`). A secret known only by name
    /// ends in `-??????`, the random suffix Secrets Manager adds.
    pub secrets: BTreeSet<String>,
    /// SSM parameter ARNs (`ssm:GetParameter`, `ssm:GetParameters`).
    pub parameters: BTreeSet<String>,
    /// KMS key ARNs (`kms:Decrypt` through Secrets Manager and SSM only).
    pub kms_keys: BTreeSet<String>,
    /// Roles the stores assume (`sts:AssumeRole`), granted in the account of the workloads'
    /// cluster, whose ESO role assumes them.
    pub assume_roles: BTreeSet<String>,
    /// `app (environment)` of the workloads that need it, for the comments.
    pub readers: BTreeSet<String>,
    /// The environments whose cluster is in this account and whose External Secrets Operator
    /// reads here with its own role, or assumes the stores' roles: the policy is attached to
    /// ESO's role of each.
    pub eso_environments: BTreeSet<String>,
    /// The roles in this account that stores assume, each with the environments whose ESO role
    /// it trusts: this root creates them, with the policy attached.
    pub reader_roles: BTreeMap<String, BTreeSet<String>>,
}

/// One reference a workload needs, before grouping by account.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SecretRead {
    Secret {
        account: String,
        arn: String,
    },
    Parameter {
        account: String,
        arn: String,
    },
    /// A store's `role`: ESO's role in `account` (the cluster's) must be allowed to assume it.
    AssumeRole {
        account: String,
        arn: String,
    },
}

impl SecretRead {
    pub fn account(&self) -> &str {
        match self {
            SecretRead::Secret { account, .. }
            | SecretRead::Parameter { account, .. }
            | SecretRead::AssumeRole { account, .. } => account,
        }
    }
}

/// A ClusterSecretStore shared by the apps of one cluster, its `conditions` limited to the
/// namespaces that use it: written once, apart from every app's overlay, with the environment
/// of its first user (whose `secret-stores-<env>` Application owns it).
#[derive(Debug, Clone)]
pub struct SharedStore {
    pub environment: String,
    pub object: Object,
}
