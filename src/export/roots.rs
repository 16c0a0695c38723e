//! The Terraform roots of a repository: one folder `iam/<account>/` per AWS account, holding
//! everything ecs2eks writes for that account (the pods' roles, External Secrets Operator's
//! policy and reader roles, the OIDC providers of clusters in other accounts, target group
//! roles, ECR repository policies), and the cluster values it asks for as variables. The
//! Terraform writer and the report's "Cross-account wiring" both read them from here.

use crate::model::target::Conversion;
use crate::model::target::cluster::{ClusterValue, Clusters};
use crate::model::target::cross_account::{ControllerAccess, RepositoryPolicy, TargetGroupRole};
use crate::model::target::iam::{IamRole, Text, TrustStatement, ident};
use crate::model::target::secrets::SecretAccess;
use std::collections::{BTreeMap, BTreeSet};

/// What one root holds.
#[derive(Debug, Default)]
pub struct Root<'a> {
    pub account: &'a str,
    pub roles: Vec<&'a IamRole>,
    /// The OIDC providers this root creates (its roles trust a cluster of another account): by
    /// issuer, the resource name and the environments whose cluster it is.
    pub oidc_providers: BTreeMap<Text, (String, BTreeSet<&'a str>)>,
    pub secret_access: Option<&'a SecretAccess>,
    pub target_group_roles: Vec<&'a TargetGroupRole>,
    pub controller_access: Vec<&'a ControllerAccess>,
    pub repository_policies: Vec<&'a RepositoryPolicy>,
}

/// Every root of `conversion`, by folder.
pub fn roots(conversion: &Conversion) -> BTreeMap<&str, Root<'_>> {
    let mut roots: BTreeMap<&str, Root> = BTreeMap::new();
    let clusters = &conversion.clusters;
    for role in &conversion.iam_roles {
        let root = roots.entry(&role.directory).or_default();
        root.account = &role.account;
        root.roles.push(role);
        for st in &role.trust {
            if let TrustStatement::Oidc {
                environment,
                created: true,
                ..
            } = st
            {
                let issuer = clusters.value(environment, ClusterValue::OidcIssuer);
                let (_, envs) = root.oidc_providers.entry(issuer).or_default();
                envs.insert(environment);
            }
        }
    }
    for root in roots.values_mut() {
        // Named after the first environment of each issuer: one provider per issuer.
        for (name, envs) in root.oidc_providers.values_mut() {
            *name = format!("eks_{}", ident(envs.first().copied().unwrap_or("")));
        }
    }
    for a in &conversion.secret_access {
        let root = roots.entry(&a.directory).or_default();
        root.account = &a.account;
        root.secret_access = Some(a);
    }
    let x = &conversion.cross_account;
    for r in &x.target_group_roles {
        let root = roots.entry(&r.directory).or_default();
        root.account = &r.account;
        root.target_group_roles.push(r);
    }
    for c in &x.controller_access {
        let root = roots.entry(&c.directory).or_default();
        root.account = &c.account;
        root.controller_access.push(c);
    }
    for p in &x.repository_policies {
        let root = roots.entry(&p.directory).or_default();
        root.account = &p.repository.account;
        root.repository_policies.push(p);
    }
    roots
}

impl Root<'_> {
    /// The cluster values this root's files name, by environment.
    fn values(&self) -> BTreeSet<(&str, ClusterValue)> {
        let mut out = BTreeSet::new();
        for role in &self.roles {
            for st in &role.trust {
                if let TrustStatement::Oidc { environment, .. } = st {
                    out.insert((environment.as_str(), ClusterValue::OidcIssuer));
                }
            }
            for a in &role.pod_identity {
                out.insert((a.environment.as_str(), ClusterValue::Name));
            }
        }
        if let Some(a) = self.secret_access {
            for env in &a.eso_environments {
                out.insert((env.as_str(), ClusterValue::ExternalSecretsRoleName));
            }
            for env in a.reader_roles.values().flatten() {
                out.insert((env.as_str(), ClusterValue::ExternalSecretsRoleArn));
            }
        }
        for r in &self.target_group_roles {
            for env in &r.environments {
                out.insert((env.as_str(), ClusterValue::LoadBalancerControllerRoleArn));
            }
        }
        for c in &self.controller_access {
            out.insert((
                c.environment.as_str(),
                ClusterValue::LoadBalancerControllerRoleName,
            ));
        }
        out
    }

    /// The Terraform variables of this root: name → description.
    pub fn variables(&self, clusters: &Clusters) -> BTreeMap<String, String> {
        self.values()
            .into_iter()
            .filter_map(|(env, v)| match clusters.value(env, v) {
                Text::Var { name, description } => Some((name, description)),
                Text::Literal(_) => None,
            })
            .collect()
    }

    /// The regions of the ECR repositories whose policies this root writes: each gets a
    /// provider of its own (ECR is regional; IAM is not).
    pub fn regions(&self) -> BTreeSet<&str> {
        self.repository_policies
            .iter()
            .map(|p| p.repository.region.as_str())
            .collect()
    }
}
