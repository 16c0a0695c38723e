//! What the passes after an app is written read of its objects (Argo CD's whitelist, sharing the
//! secret stores, the report's cutover steps), so a workload need not keep its objects once they
//! are written. `translate::facts` takes them.

/// Facts about one workload's objects, taken before the app is handed to the renderer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectFacts {
    /// Its cluster-scoped kinds as (API group, kind), sorted: what its Argo CD project allows.
    pub cluster_kinds: Vec<(String, String)>,
    /// The stores its ExternalSecrets use, sorted, once each.
    pub stores: Vec<StoreUse>,
    /// A SecurityGroupPolicy puts security groups on its pods (the cluster needs Security Groups
    /// for Pods).
    pub security_group_policy: bool,
    /// Its TargetGroupBindings, in their order.
    pub target_group_bindings: Vec<TargetGroupBindingFacts>,
    /// The ECR repositories of its images in another account than its cluster's, sorted, once
    /// each (`translate::images`): that account's root grants the cluster pull.
    pub foreign_images: Vec<EcrRepository>,
}

/// An ECR repository, as an image reference names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct EcrRepository {
    pub account: String,
    pub region: String,
    /// The repository's name, with its namespace (`shop/orders`).
    pub name: String,
}

/// The store an ExternalSecret reads through.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum StoreUse {
    /// A store of the workload's own, with the role it assumes (None: it assumes none).
    Own(Option<String>),
    /// A shared ClusterSecretStore, by name: which one is kept is known only once every app is.
    Shared(String),
}

/// What the cutover steps list of a TargetGroupBinding.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetGroupBindingFacts {
    pub name: String,
    pub target_group_arn: String,
    pub service: String,
    /// The Service port as JSON text (a number or a name).
    pub port: String,
    pub target_type: String,
    /// The role the controller assumes in the target group's account (empty: none).
    pub role: String,
}
