//! The AWS side of secrets on EKS: what External Secrets Operator must be allowed to read, and
//! the Secrets Manager secrets that plaintext variables move to.
//!
//! The translator fills these from the ECS secret references it resolved; `export::eso_iam` and
//! `export::report` render them. They hold ARNs and names only, never a secret value.

use serde::Serialize;
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

/// The Secrets Manager secret the plaintext secrets of one workload's `environment` move to, so
/// that their values stay out of Git: the report tells how to create it, its values read from the
/// old task definition when the command runs, never by ecs2eks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MovedSecret {
    /// Its name in Secrets Manager (`externalSecrets.plaintextSecretName`).
    pub name: String,
    /// The workload's account and region, where the app's own store reads it.
    pub account: String,
    pub region: String,
    /// The task definition the values are read from: its ARN, else `family[:revision]`.
    pub task_definition: String,
    /// Its JSON keys, in the order the task definition gives the variables.
    pub keys: Vec<MovedKey>,
}

/// One JSON key of a moved secret: the plain variable whose value it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MovedKey {
    /// The JSON key: the variable's name, suffixed `-2`, `-3`… when containers give one name
    /// different values.
    pub property: String,
    /// The ECS container and variable.
    pub container: String,
    pub variable: String,
    /// The container's position in the task definition.
    #[serde(skip)]
    pub container_index: usize,
}

impl MovedSecret {
    /// The JSON key holding variable `name` of container `index`.
    pub fn property_of(&self, index: usize, name: &str) -> Option<&str> {
        self.keys
            .iter()
            .find(|k| k.container_index == index && k.variable == name)
            .map(|k| k.property.as_str())
    }
}
