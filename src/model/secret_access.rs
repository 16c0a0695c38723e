//! The AWS side of secrets on EKS: what External Secrets Operator must be allowed to read.
//!
//! A target-side model, like the Kubernetes objects: the translator fills it from the ECS secret
//! references it resolved, and `export::eso_iam` renders it as Terraform. It holds ARNs only,
//! never a secret value.

use crate::diagnostics::{FindingsFile, SpillSet};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Everything ESO reads in one AWS account: the least-privilege policy of the role that reads
/// there (ESO's IRSA role in the cluster's account, or the role a cross-account store assumes).
/// A large run's lists wait in its temporary file (`SpillSet`): they name every secret read.
#[derive(Debug, Clone, Default)]
pub struct SecretAccess {
    pub account: String,
    /// The account's folder under `iam/` (its inventory name, or its id), shared with the task
    /// roles' Terraform: one Terraform root per account.
    pub directory: String,
    /// Secrets Manager secret ARNs (`secretsmanager:GetSecretValue`). A secret known only by name
    /// ends in `-??????`, the random suffix Secrets Manager adds.
    pub secrets: SpillSet,
    /// SSM parameter ARNs (`ssm:GetParameter`, `ssm:GetParameters`).
    pub parameters: SpillSet,
    /// KMS key ARNs (`kms:Decrypt` through Secrets Manager and SSM only).
    pub kms_keys: BTreeSet<String>,
    /// Roles the stores assume (`sts:AssumeRole`), granted in the account of the workloads'
    /// cluster, whose ESO role assumes them.
    pub assume_roles: SpillSet,
    /// `app (environment)` of the workloads that need it, for the comments.
    pub readers: SpillSet,
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
    /// A store's `role`: ESO's role in `account` (the workload's) must be allowed to assume it.
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

/// Reads grouped by account as the workloads come, one at a time (a large run then never holds
/// every workload's reads, only what the policies list, and that in `file` when given).
#[derive(Debug, Default)]
pub struct Grouping {
    by_account: BTreeMap<String, SecretAccess>,
    file: Option<Arc<FindingsFile>>,
}

impl Grouping {
    pub fn new(file: Option<Arc<FindingsFile>>) -> Grouping {
        Grouping {
            by_account: BTreeMap::new(),
            file,
        }
    }

    /// Adds the reads of one workload, `reader` (`app (environment)`).
    pub fn add<'a>(&mut self, reads: impl IntoIterator<Item = &'a SecretRead>, reader: &str) {
        for read in reads {
            let entry = self
                .by_account
                .entry(read.account().to_string())
                .or_insert_with(|| {
                    let set = || SpillSet::new(self.file.clone());
                    SecretAccess {
                        account: read.account().to_string(),
                        secrets: set(),
                        parameters: set(),
                        assume_roles: set(),
                        readers: set(),
                        ..SecretAccess::default()
                    }
                });
            match read {
                SecretRead::Secret { arn, .. } => entry.secrets.insert(arn),
                SecretRead::Parameter { arn, .. } => entry.parameters.insert(arn),
                SecretRead::AssumeRole { arn, .. } => entry.assume_roles.insert(arn),
            };
            entry.readers.insert(reader);
        }
    }

    /// Per account, sorted; `kms_keys` go to the account named in their ARN.
    pub fn finish(self, kms_keys: &[String]) -> Vec<SecretAccess> {
        let mut by_account = self.by_account;
        for key in kms_keys {
            let account = key.split(':').nth(4).unwrap_or("");
            if let Some(entry) = by_account.get_mut(account) {
                entry.kms_keys.insert(key.clone());
            }
        }
        by_account.into_values().collect()
    }
}
