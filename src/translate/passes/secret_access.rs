//! What External Secrets Operator must be allowed to read, grouped by AWS account as each app is
//! converted: one least-privilege policy per account (`export::eso_iam` renders it).

use crate::model::target::secrets::{SecretAccess, SecretRead};
use std::collections::BTreeMap;

/// Reads grouped by account, as the workloads come.
#[derive(Debug, Default)]
pub struct Grouping {
    by_account: BTreeMap<String, SecretAccess>,
}

impl Grouping {
    /// Adds the reads of one workload, `reader` (`app (environment)`).
    pub fn add<'a>(&mut self, reads: impl IntoIterator<Item = &'a SecretRead>, reader: &str) {
        for read in reads {
            let entry = self
                .by_account
                .entry(read.account().to_string())
                .or_insert_with(|| SecretAccess {
                    account: read.account().to_string(),
                    ..SecretAccess::default()
                });
            let (set, arn) = match read {
                SecretRead::Secret { arn, .. } => (&mut entry.secrets, arn),
                SecretRead::Parameter { arn, .. } => (&mut entry.parameters, arn),
                SecretRead::AssumeRole { arn, .. } => (&mut entry.assume_roles, arn),
            };
            if !set.contains(arn) {
                set.insert(arn.clone());
            }
            if !entry.readers.contains(reader) {
                entry.readers.insert(reader.to_string());
            }
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
