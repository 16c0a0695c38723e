//! The AWS side of a workload's identity: which IAM role its pods get (`RoleBinding`), and the
//! roles to write as Terraform (`IamRole`), which `translate::passes::iam_plan` makes from the
//! bindings and `export::terraform` renders.

use crate::mappings::IamStrategy;
use serde_json::Value;
use std::collections::BTreeMap;

/// A Terraform string: a literal, or a variable the user sets at plan time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Text {
    Literal(String),
    Var { name: String, description: String },
}

/// Which role the pods of one workload get, and how. Kept per workload until the IAM plan:
/// what the cluster says (issuer, name) is read from `cluster::Clusters` by environment.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleBinding {
    pub strategy: IamStrategy,
    /// The task role as the task definition names it, and the role read from the inputs.
    pub source_arn: String,
    pub source: Option<usize>,
    /// The role on the EKS side: its account (its Terraform root), name, path.
    pub account: String,
    pub name: String,
    pub path: String,
    pub app: String,
    pub environment: String,
    pub namespace: String,
    pub service_account: String,
    /// Where the task role is named (input file, JSON path), for findings.
    pub input: String,
    pub field: String,
}

impl RoleBinding {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account, self.path, self.name
        )
    }
}

/// One IAM role as Terraform: the target-side model `export::terraform` renders.
#[derive(Debug, Clone, PartialEq)]
pub struct IamRole {
    /// Folder under `iam/`: one Terraform root per account (its name in the inventory, or id).
    pub directory: String,
    pub account: String,
    pub name: String,
    pub path: String,
    /// Terraform resource name, unique in its folder.
    pub resource: String,
    /// The task role it is made from.
    pub source_arn: String,
    /// The role exists already (extend-task-role): Terraform imports it rather than creates it.
    pub adopt: bool,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    pub permissions_boundary: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub trust: Vec<TrustStatement>,
    /// Inline policies, carried verbatim, sorted by name.
    pub inline_policies: Vec<(String, crate::model::iam::PolicyDocument)>,
    /// Managed policy ARNs, sorted.
    pub managed_policies: Vec<String>,
    pub pod_identity: Vec<PodIdentityAssociation>,
    /// False when the inputs did not list the source role's permissions.
    pub permissions_known: bool,
    /// `app (environment): namespace/serviceaccount`, sorted, for the file's header.
    pub used_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TrustStatement {
    /// A statement of the existing trust policy, kept as is.
    Verbatim(Value),
    /// IRSA: the OIDC provider of the cluster of `environment` (and of every environment with
    /// the same issuer), for exactly these `system:serviceaccount:ns:sa`. The provider is in
    /// the role's account: the cluster's own (made with the cluster, referenced by ARN), or
    /// another one, whose Terraform root creates it (`created`).
    Oidc {
        environment: String,
        created: bool,
        subjects: Vec<String>,
    },
    /// EKS Pod Identity.
    PodIdentity,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PodIdentityAssociation {
    /// The cluster's environment (its name is read from `cluster::Clusters`).
    pub environment: String,
    pub namespace: String,
    pub service_account: String,
}

/// A Terraform identifier made from any name: `orders-app` → `orders_app`.
pub fn ident(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("r_{out}")
    } else {
        out
    }
}

/// The folder under `iam/` of an account (its inventory name, or its id), made safe for a path:
/// other Terraform for that account (e.g. a policy for External Secrets Operator) goes there too.
pub fn account_directory(name: &str) -> String {
    let d = crate::model::names::dns_label(name, "account");
    if d.is_empty() { "account".into() } else { d }
}
