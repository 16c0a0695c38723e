//! The EKS cluster each environment's workloads go to, and the one answer to "is this in the
//! cluster's account?" that every translator and pass asks.
//!
//! Users consolidate many ECS accounts into one cluster in a platform account. A task role,
//! secret, target group, image, certificate or file system of a workload account is then in
//! *another* account than the cluster, and needs wiring (an OIDC provider, a role to assume, a
//! repository policy) or a finding. Without a cluster account (the inventory's
//! `environments.<env>.clusterAccount`, the mappings' `iam.clusters.<env>.account`), the cluster
//! is taken to be in each workload's own account, as a single-account migration has it.

use super::iam::{Text, ident};
use crate::inventory::Inventory;
use crate::mappings::{Cluster, Mappings};
use crate::model::ecs::Arn;
use std::collections::BTreeMap;

/// The cluster of every environment, resolved once (mappings laid over the inventory).
#[derive(Debug, Clone, Default)]
pub struct Clusters {
    shared: Cluster,
    by_environment: BTreeMap<String, Cluster>,
    /// Where Argo CD deploys each environment (`server:…` or `name:…`): environments with one
    /// destination share one cluster, and so its cluster-scoped objects.
    destinations: BTreeMap<String, String>,
    default_destination: String,
}

/// A value of the cluster that Terraform needs, a variable of the environment when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ClusterValue {
    /// The OIDC issuer without `https://`.
    OidcIssuer,
    Name,
    ExternalSecretsRoleArn,
    /// The role's name, for attaching policies to it in the cluster's account.
    ExternalSecretsRoleName,
    LoadBalancerControllerRoleArn,
    LoadBalancerControllerRoleName,
}

impl ClusterValue {
    /// The Terraform variable's name without the environment.
    fn prefix(self) -> &'static str {
        match self {
            ClusterValue::OidcIssuer => "oidc_issuer",
            ClusterValue::Name => "cluster_name",
            ClusterValue::ExternalSecretsRoleArn => "external_secrets_role_arn",
            ClusterValue::ExternalSecretsRoleName => "external_secrets_role_name",
            ClusterValue::LoadBalancerControllerRoleArn => "load_balancer_controller_role_arn",
            ClusterValue::LoadBalancerControllerRoleName => "load_balancer_controller_role_name",
        }
    }

    /// The key of `iam.clusters.<env>` (and of the inventory's `environments.<env>`) that sets it.
    pub fn mapping_key(self) -> &'static str {
        match self {
            ClusterValue::OidcIssuer => "oidcIssuer",
            ClusterValue::Name => "name",
            ClusterValue::ExternalSecretsRoleArn | ClusterValue::ExternalSecretsRoleName => {
                "externalSecretsRole"
            }
            ClusterValue::LoadBalancerControllerRoleArn
            | ClusterValue::LoadBalancerControllerRoleName => "loadBalancerControllerRole",
        }
    }

    /// The variable's description: what it is and where to find it.
    fn description(self, environment: &str) -> String {
        let of = format!("of the EKS cluster of environment {environment}");
        match self {
            ClusterValue::OidcIssuer => format!(
                "OIDC issuer {of}, without https:// (aws eks describe-cluster --query cluster.identity.oidc.issuer)"
            ),
            ClusterValue::Name => format!("Name {of}"),
            ClusterValue::ExternalSecretsRoleArn => {
                format!("ARN of the IAM role of External Secrets Operator {of}")
            }
            ClusterValue::ExternalSecretsRoleName => {
                format!("Name of the IAM role of External Secrets Operator {of}")
            }
            ClusterValue::LoadBalancerControllerRoleArn => {
                format!("ARN of the IAM role of the AWS Load Balancer Controller {of}")
            }
            ClusterValue::LoadBalancerControllerRoleName => {
                format!("Name of the IAM role of the AWS Load Balancer Controller {of}")
            }
        }
    }
}

impl Clusters {
    /// The clusters the mappings name (with the inventory's laid under them by the driver), and
    /// where Argo CD deploys each environment.
    pub fn new(mappings: &Mappings, inventory: Option<&Inventory>) -> Clusters {
        let iam = &mappings.iam;
        let destination = |d: &crate::mappings::Destination| match (&d.server, &d.name) {
            (Some(server), _) => format!("server:{server}"),
            (None, name) => format!("name:{}", name.as_deref().unwrap_or("")),
        };
        let destinations = inventory
            .into_iter()
            .flat_map(|i| &i.environments)
            .filter_map(|(env, e)| Some((env.clone(), destination(e.destination.as_ref()?))))
            .collect();
        Clusters {
            shared: iam.cluster.clone(),
            by_environment: iam
                .clusters
                .keys()
                .map(|env| (env.clone(), iam.cluster_of(env)))
                .collect(),
            destinations,
            default_destination: destination(&mappings.argocd.destination),
        }
    }

    /// The cluster of `environment`.
    pub fn of(&self, environment: &str) -> &Cluster {
        self.by_environment.get(environment).unwrap_or(&self.shared)
    }

    /// Which cluster `environment` is deployed to: environments with the same key share one.
    pub fn deployed_to(&self, environment: &str) -> &str {
        self.destinations
            .get(environment)
            .unwrap_or(&self.default_destination)
    }

    /// `value` of each of `environments`' clusters, once each (environments of one cluster share
    /// them), in the environments' order.
    pub fn values<'a>(
        &self,
        environments: impl IntoIterator<Item = &'a String>,
        value: ClusterValue,
    ) -> Vec<Text> {
        let mut out: Vec<Text> = Vec::new();
        for env in environments {
            let t = self.value(env, value);
            if !out.contains(&t) {
                out.push(t);
            }
        }
        out
    }

    /// `value` of `environment`'s cluster: the literal the mappings or inventory give, else a
    /// Terraform variable of the environment.
    pub fn value(&self, environment: &str, value: ClusterValue) -> Text {
        let c = self.of(environment);
        let literal = match value {
            ClusterValue::OidcIssuer => c.oidc_issuer.as_deref().map(issuer_host),
            ClusterValue::Name => c.name.clone(),
            ClusterValue::ExternalSecretsRoleArn => c.external_secrets_role.clone(),
            ClusterValue::ExternalSecretsRoleName => {
                c.external_secrets_role.as_deref().map(role_name)
            }
            ClusterValue::LoadBalancerControllerRoleArn => c.load_balancer_controller_role.clone(),
            ClusterValue::LoadBalancerControllerRoleName => {
                c.load_balancer_controller_role.as_deref().map(role_name)
            }
        };
        match literal {
            Some(l) => Text::Literal(l),
            None => Text::Var {
                name: format!("{}_{}", value.prefix(), ident(environment)),
                description: value.description(environment),
            },
        }
    }
}

impl Cluster {
    /// The cluster's account: the one given, else `workload_account` (the cluster is then taken
    /// to be in each workload's own account).
    pub fn account<'a>(&'a self, workload_account: &'a str) -> &'a str {
        self.account.as_deref().unwrap_or(workload_account)
    }

    /// The cluster's region: the one given, else the workload's.
    pub fn region<'a>(&'a self, workload_region: &'a str) -> &'a str {
        self.region.as_deref().unwrap_or(workload_region)
    }

    /// Whether `arn` (or a bare account id) is in the account of the cluster that a workload of
    /// `workload_account` goes to. What names no account is taken to be the cluster's.
    pub fn holds(&self, arn: &str, workload_account: &str) -> bool {
        let account = arn_account(arn);
        account.is_empty() || account == self.account(workload_account)
    }

    /// Principal that pulls images for the pods: the node role when known, else the account.
    pub fn image_puller(&self, workload_account: &str) -> String {
        match &self.node_role {
            Some(role) => role.clone(),
            None => format!("arn:aws:iam::{}:root", self.account(workload_account)),
        }
    }
}

/// The account of an ARN, or the text itself when it is not an ARN (a bare account id).
pub fn arn_account(arn: &str) -> &str {
    match Arn::parse(arn) {
        Some(a) => a.account,
        None if arn.starts_with("arn:") => "",
        None => arn,
    }
}

/// The region of an ARN, empty when it names none.
pub fn arn_region(arn: &str) -> &str {
    Arn::parse(arn).map_or("", |a| a.region)
}

/// A role's name out of its ARN (after the path).
pub fn role_name(arn: &str) -> String {
    crate::model::iam::split_role(arn).2
}

/// `oidc.eks.eu-west-1.amazonaws.com/id/X` out of an issuer URL.
pub fn issuer_host(issuer: &str) -> String {
    issuer
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clusters(yaml: &str) -> Clusters {
        let m = Mappings::load(Some(("m.yaml", yaml))).unwrap();
        Clusters::new(&m, None)
    }

    #[test]
    fn without_a_cluster_account_each_workload_account_is_the_clusters() {
        let c = clusters("");
        let dev = c.of("dev");
        assert!(dev.holds("arn:aws:iam::111111111111:role/x", "111111111111"));
        assert!(!dev.holds("arn:aws:iam::222222222222:role/x", "111111111111"));
        assert!(dev.holds("", "111111111111"), "no account: the cluster's");
        assert_eq!(
            dev.image_puller("111111111111"),
            "arn:aws:iam::111111111111:root"
        );
    }

    #[test]
    fn a_cluster_account_makes_the_workload_account_another_one() {
        let c = clusters(
            "iam:\n  cluster: {account: \"444444444444\"}\n  clusters:\n    prod: {nodeRole: \"arn:aws:iam::444444444444:role/nodes\", externalSecretsRole: \"arn:aws:iam::444444444444:role/eso/external-secrets\"}\n",
        );
        let prod = c.of("prod");
        assert_eq!(prod.account.as_deref(), Some("444444444444"));
        assert!(!prod.holds(
            "arn:aws:ecr:eu-west-1:333333333333:repository/x",
            "333333333333"
        ));
        assert!(prod.holds("444444444444", "333333333333"));
        assert_eq!(
            prod.image_puller("333333333333"),
            "arn:aws:iam::444444444444:role/nodes"
        );
        assert_eq!(
            c.value("prod", ClusterValue::ExternalSecretsRoleName),
            Text::Literal("external-secrets".into())
        );
        let Text::Var { name, .. } = c.value("dev", ClusterValue::ExternalSecretsRoleArn) else {
            panic!("dev's role is not known");
        };
        assert_eq!(name, "external_secrets_role_arn_dev");
    }
}
