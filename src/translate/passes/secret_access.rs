//! What External Secrets Operator must be allowed to read, grouped by AWS account as each app is
//! converted: one least-privilege policy per account (`export::eso_iam` renders it).

use crate::mappings::Cluster;
use crate::model::target::cluster::arn_account;
use crate::model::target::secrets::{SecretAccess, SecretRead};
use std::collections::BTreeMap;

/// Reads grouped by account, as the workloads come.
#[derive(Debug, Default)]
pub struct Grouping {
    by_account: BTreeMap<String, SecretAccess>,
}

/// Who reads: a workload, and the cluster whose External Secrets Operator reads for it.
pub struct Reader<'a> {
    /// `app (environment)`, for the policies' comments.
    pub name: String,
    pub environment: &'a str,
    /// The workload's account, and its cluster: reads in the cluster's account go through ESO's
    /// own role, unless every store assumes one (`direct` false: the mappings set `role`).
    pub account: &'a str,
    pub cluster: &'a Cluster,
    pub direct: bool,
}

impl Grouping {
    fn entry(&mut self, account: &str) -> &mut SecretAccess {
        self.by_account
            .entry(account.to_string())
            .or_insert_with(|| SecretAccess {
                account: account.to_string(),
                ..SecretAccess::default()
            })
    }

    /// Adds the reads of one workload.
    pub fn add<'a>(&mut self, reads: impl IntoIterator<Item = &'a SecretRead>, reader: &Reader) {
        for read in reads {
            let own_role = match read {
                SecretRead::AssumeRole { .. } => true,
                _ => reader.direct && reader.cluster.holds(read.account(), reader.account),
            };
            let entry = self.entry(read.account());
            let (set, arn) = match read {
                SecretRead::Secret { arn, .. } => (&mut entry.secrets, arn),
                SecretRead::Parameter { arn, .. } => (&mut entry.parameters, arn),
                SecretRead::AssumeRole { arn, .. } => (&mut entry.assume_roles, arn),
            };
            if !set.contains(arn) {
                set.insert(arn.clone());
            }
            if !entry.readers.contains(&reader.name) {
                entry.readers.insert(reader.name.clone());
            }
            if own_role && !entry.eso_environments.contains(reader.environment) {
                entry
                    .eso_environments
                    .insert(reader.environment.to_string());
            }
        }
    }

    /// A store of `environment` assumes `role`: its account's root creates it, trusting that
    /// environment's ESO role.
    pub fn reader_role(&mut self, role: &str, environment: &str) {
        let entry = self.entry(arn_account(role));
        let trusted = entry.reader_roles.entry(role.to_string()).or_default();
        if !trusted.contains(environment) {
            trusted.insert(environment.to_string());
        }
    }

    /// Per account, sorted; `kms_keys` go to the account named in their ARN.
    pub fn finish(self, kms_keys: &[String]) -> Vec<SecretAccess> {
        let mut by_account = self.by_account;
        // A role a store assumes in an account where nothing is read has nothing to grant.
        by_account.retain(|_, a| {
            !(a.secrets.is_empty() && a.parameters.is_empty() && a.assume_roles.is_empty())
        });
        for key in kms_keys {
            let account = key.split(':').nth(4).unwrap_or("");
            if let Some(entry) = by_account.get_mut(account) {
                entry.kms_keys.insert(key.clone());
            }
        }
        by_account.into_values().collect()
    }
}
