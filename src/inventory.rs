//! The inventory: which AWS account is which environment, its team, and each environment's
//! target cluster.

use crate::error::Error;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Per environment: the target cluster.
    #[serde(default)]
    pub environments: std::collections::BTreeMap<String, Environment>,
}

/// The EKS cluster an environment goes to.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Environment {
    /// Argo CD destination (`server` URL or cluster `name`); the mappings' default when absent.
    #[serde(default)]
    pub destination: Option<crate::mappings::Destination>,
    /// The cluster's OIDC issuer without `https://`, for IRSA trust policies.
    #[serde(default)]
    pub oidc_issuer: Option<String>,
    /// The EKS cluster name (Pod Identity associations).
    #[serde(default)]
    pub cluster_name: Option<String>,
    /// The AWS account of the EKS cluster.
    #[serde(default)]
    pub cluster_account: Option<String>,
    /// The region of the EKS cluster.
    #[serde(default)]
    pub cluster_region: Option<String>,
    /// ARN of External Secrets Operator's IAM role in the cluster's account.
    #[serde(default)]
    pub external_secrets_role: Option<String>,
    /// ARN of the AWS Load Balancer Controller's IAM role in the cluster's account.
    #[serde(default)]
    pub load_balancer_controller_role: Option<String>,
    /// ARN of the nodes' IAM role in the cluster's account.
    #[serde(default)]
    pub node_role: Option<String>,
    /// The VPC of the EKS cluster (`vpc-…`): the services' security groups must be in it to go on
    /// pods (SecurityGroupPolicy).
    #[serde(default)]
    pub cluster_vpc_id: Option<String>,
}

impl Environment {
    /// The cluster facts of this environment, in the mappings' shape (`iam.clusters.<env>`).
    pub fn cluster(&self) -> crate::mappings::Cluster {
        crate::mappings::Cluster {
            account: self.cluster_account.clone(),
            region: self.cluster_region.clone(),
            oidc_issuer: self.oidc_issuer.clone(),
            name: self.cluster_name.clone(),
            external_secrets_role: self.external_secrets_role.clone(),
            load_balancer_controller_role: self.load_balancer_controller_role.clone(),
            node_role: self.node_role.clone(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Account {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub environment: String,
    #[serde(default)]
    pub regions: Vec<String>,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub assume_role_arn: Option<String>,
}

impl Inventory {
    pub fn parse(path: &str, text: &str) -> Result<Inventory, Error> {
        let value: serde_json::Value = serde_norway::from_str(text).map_err(|e| Error::Config {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        let inventory: Inventory =
            serde_path_to_error::deserialize(&value).map_err(|e| Error::Config {
                path: path.to_string(),
                message: format!("at `{}`: {}", e.path(), e.inner()),
            })?;
        for (i, a) in inventory.accounts.iter().enumerate() {
            if a.id.len() != 12 || !a.id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::Config {
                    path: path.to_string(),
                    message: format!(
                        "at `accounts[{i}].id`: an account id is 12 digits, found {:?} (quote it in YAML)",
                        a.id
                    ),
                });
            }
        }
        Ok(inventory)
    }

    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.get(name)
    }

    pub fn account(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }

    /// Environments in the order the inventory first names them (dev before prod, as people list them).
    pub fn environment_order(&self) -> Vec<&str> {
        let mut order: Vec<&str> = Vec::new();
        for a in &self.accounts {
            if !order.contains(&a.environment.as_str()) {
                order.push(&a.environment);
            }
        }
        order
    }
}
