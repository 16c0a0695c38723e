//! Mapping rules: how users steer the conversion, in YAML rather than flags.
//!
//! The defaults ship in `mappings/default.yaml`; a user's file is merged over them key by key and
//! then read strictly, so a misspelt key is an error naming its path, not a silent no-op.

use crate::error::Error;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub const DEFAULT_YAML: &str = include_str!("../mappings/default.yaml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mappings {
    pub names: Names,
    pub default_environment: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub argocd: ArgoCd,
    #[serde(default)]
    pub services: Services,
    #[serde(default)]
    pub iam: Iam,
    #[serde(default)]
    pub load_balancing: LoadBalancing,
    #[serde(default)]
    pub external_secrets: ExternalSecrets,
    #[serde(default)]
    pub schedules: Schedules,
    #[serde(default)]
    pub placement: Placement,
    #[serde(default)]
    pub discovery: Discovery,
    /// What a task definition that no service or schedule runs becomes.
    #[serde(default)]
    pub standalone_task_definitions: Standalone,
    #[serde(default)]
    pub logging: Logging,
    #[serde(default)]
    pub app_mesh: AppMesh,
    #[serde(default)]
    pub dns: Dns,
    #[serde(default)]
    pub network: Network,
    /// Task-level fields per task definition family, for task definitions that lack them
    /// (Terraform `container_definitions` files hold none).
    #[serde(default)]
    pub task_definitions: BTreeMap<String, TaskDefaults>,
}

/// A task definition given without a service (and run by no schedule).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Standalone {
    /// A Deployment of one replica, as a service would run it.
    #[default]
    Deployment,
    /// A suspended `batch/v1` Job that runs once, for a person to start.
    Job,
}

/// FireLens routing, carried to the cluster's node-level Fluent Bit (docs/surface.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Logging {
    /// The namespace of the node-level Fluent Bit, where its outputs' ConfigMap goes.
    pub namespace: String,
    /// Template of the `Match` of an app container's `[OUTPUT]`: the tag Fluent Bit gives its
    /// log file. Sees `namespace`, `app`, `container`.
    #[serde(rename = "match")]
    pub match_tag: String,
}

impl Default for Logging {
    fn default() -> Self {
        Logging {
            namespace: "amazon-cloudwatch".into(),
            match_tag: "kube.var.log.containers.*_{{namespace}}_{{container}}-*".into(),
        }
    }
}

/// App Mesh tasks: what replaces the retired mesh.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct AppMesh {
    pub replacement: MeshReplacement,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MeshReplacement {
    /// Amazon VPC Lattice, through the AWS Gateway API Controller.
    #[default]
    VpcLattice,
    /// Istio in ambient mode (no sidecars).
    IstioAmbient,
    /// No mesh: plain Kubernetes Services.
    None,
}

impl MeshReplacement {
    /// What the findings say to route through instead.
    pub fn describe(self) -> &'static str {
        match self {
            MeshReplacement::VpcLattice => {
                "VPC Lattice (AWS Gateway API Controller: a Gateway and HTTPRoutes per service)"
            }
            MeshReplacement::IstioAmbient => {
                "Istio ambient mode (label the namespace istio.io/dataplane-mode=ambient)"
            }
            MeshReplacement::None => "plain Kubernetes Services, with no mesh",
        }
    }
}

/// A pod's DNS when the task definition names `dnsServers`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Dns {
    /// The pod asks only those servers (`dnsPolicy: None`), as Docker's `--dns` did; otherwise
    /// they come after the cluster DNS.
    pub replace: bool,
}

/// The task-level fields a task definition of one family takes when it does not set them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaskDefaults {
    /// CPU units or `"1 vCPU"`, as in a task definition.
    pub cpu: Option<String>,
    /// MiB or `"2 GB"`, as in a task definition.
    pub memory: Option<String>,
    pub network_mode: Option<String>,
    pub task_role_arn: Option<String>,
    pub execution_role_arn: Option<String>,
    pub requires_compatibilities: Option<Vec<String>>,
}

/// Scheduled tasks (EventBridge rules and Scheduler schedules): what runs them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Schedules {
    pub kind: ScheduleKind,
    /// `Forbid`, `Allow` or `Replace`.
    pub concurrency_policy: ConcurrencyPolicy,
}

impl Default for Schedules {
    fn default() -> Self {
        Schedules {
            kind: ScheduleKind::CronJob,
            concurrency_policy: ConcurrencyPolicy::Forbid,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ScheduleKind {
    /// Kubernetes `batch/v1` CronJob.
    CronJob,
    /// Argo Workflows `argoproj.io/v1alpha1` CronWorkflow.
    CronWorkflow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ConcurrencyPolicy {
    Forbid,
    Allow,
    Replace,
}

impl ConcurrencyPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ConcurrencyPolicy::Forbid => "Forbid",
            ConcurrencyPolicy::Allow => "Allow",
            ConcurrencyPolicy::Replace => "Replace",
        }
    }
}

/// Placement and capacity: which node label says spot or on-demand.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Placement {
    pub capacity_type_label: CapacityTypeLabel,
    /// GPU pods tolerate the `nvidia.com/gpu` taint GPU node groups commonly carry.
    pub gpu_toleration: bool,
}

impl Default for Placement {
    fn default() -> Self {
        Placement {
            capacity_type_label: CapacityTypeLabel::Karpenter,
            gpu_toleration: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CapacityTypeLabel {
    /// `karpenter.sh/capacity-type`: `spot` / `on-demand`.
    Karpenter,
    /// `eks.amazonaws.com/capacityType` (managed node groups): `SPOT` / `ON_DEMAND`.
    Eks,
}

impl CapacityTypeLabel {
    /// (label key, spot value, on-demand value).
    pub fn key_values(self) -> (&'static str, &'static str, &'static str) {
        match self {
            CapacityTypeLabel::Karpenter => ("karpenter.sh/capacity-type", "spot", "on-demand"),
            CapacityTypeLabel::Eks => ("eks.amazonaws.com/capacityType", "SPOT", "ON_DEMAND"),
        }
    }
}

/// The pods' network: what becomes of an `awsvpc` service's security groups.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Network {
    pub security_groups: SecurityGroups,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SecurityGroups {
    /// A SecurityGroupPolicy per workload puts the service's groups on its pods.
    #[default]
    SecurityGroupPolicy,
    /// Nothing: the pods use their nodes' groups (a warning names the groups).
    None,
}

/// Service discovery: Cloud Map and Service Connect names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Discovery {
    /// Also emit an `ExternalName` Service under each old Service Connect name.
    pub external_name: bool,
    /// Rewrite env values, commands and arguments that call a service of the run by its old
    /// discovery name to its Kubernetes Service name and port.
    pub rewrite_consumers: bool,
}

impl Default for Discovery {
    fn default() -> Self {
        Discovery {
            external_name: false,
            rewrite_consumers: true,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Services {
    /// ECS service name → app name, to merge services named differently per environment.
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
}

/// How ECS secrets reach pods through External Secrets Operator (see docs/secrets.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct ExternalSecrets {
    /// `ClusterSecretStore` (shared per environment, in platform/secret-stores) or `SecretStore`
    /// (one per app namespace). Unset: ClusterSecretStore in a repository, SecretStore on stdout
    /// (`Mappings::for_stream`), where each run's apply would replace the last one's shared store.
    pub store_kind: Option<StoreKind>,
    /// Name template of a store; sees provider, account, region, environment, app, namespace.
    pub store_name: String,
    /// Name template of an app's ExternalSecret (and its Secret); sees app, store, provider,
    /// account, region, environment, and remote (empty for the app's own account and region).
    pub external_secret_name: String,
    /// ServiceAccount whose IRSA token the stores use (`auth.jwt.serviceAccountRef`); none: the
    /// ESO controller's own credentials.
    pub service_account: Option<StoreServiceAccount>,
    /// Role template every store assumes (`provider.aws.role`); sees account, region.
    pub role: Option<String>,
    /// Role template the stores of another account than the workload's assume, when `role` is
    /// not set.
    pub cross_account_role: String,
    pub refresh_interval: String,
    /// Move plaintext secrets found in `environment` out of Git: each env var reads a key of a
    /// Secrets Manager secret (`plaintext_secret_name`) through the app's ExternalSecret. Off:
    /// the values stay in the manifests, each a warning.
    pub redact_plaintext: bool,
    /// Name template of that Secrets Manager secret; sees app, environment, account, region.
    pub plaintext_secret_name: String,
    /// KMS key ARNs that encrypt the referenced secrets: ESO's policy gets kms:Decrypt on them.
    pub kms_keys: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum StoreKind {
    ClusterSecretStore,
    SecretStore,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreServiceAccount {
    pub name: String,
    /// Required for a ClusterSecretStore; ignored by a SecretStore (the app's namespace).
    #[serde(default)]
    pub namespace: Option<String>,
}

impl ExternalSecrets {
    /// The kind of the stores: unset is ClusterSecretStore (a repository's).
    pub fn store_kind(&self) -> StoreKind {
        self.store_kind.unwrap_or(StoreKind::ClusterSecretStore)
    }
}

impl Default for ExternalSecrets {
    fn default() -> Self {
        ExternalSecrets {
            store_kind: None,
            store_name: "aws-{{provider}}-{{account}}-{{region}}".into(),
            external_secret_name: "{{app}}-{{provider}}{{#if remote}}-{{remote}}{{/if}}".into(),
            service_account: None,
            role: None,
            cross_account_role: "arn:aws:iam::{{account}}:role/external-secrets-reader".into(),
            refresh_interval: "1h".into(),
            redact_plaintext: true,
            plaintext_secret_name: "ecs2eks/{{environment}}/{{app}}".into(),
            kms_keys: Vec::new(),
        }
    }
}

/// How task roles reach the pods (see docs/iam.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Iam {
    /// The strategy of every workload not in `strategies`.
    pub strategy: IamStrategy,
    /// Per-app strategy (the app is the Kubernetes name of the service).
    pub strategies: BTreeMap<String, IamStrategy>,
    /// Name template of the IAM roles made for EKS (`new-role`, `pod-identity`). Workloads whose
    /// names render the same share one role.
    pub role_name: String,
    /// The cluster of every environment not in `clusters`.
    pub cluster: Cluster,
    /// Per-environment cluster.
    pub clusters: BTreeMap<String, Cluster>,
}

impl Default for Iam {
    fn default() -> Self {
        Iam {
            strategy: IamStrategy::NewRole,
            strategies: BTreeMap::new(),
            role_name: "{{role}}-eks".to_string(),
            cluster: Cluster::default(),
            clusters: BTreeMap::new(),
        }
    }
}

impl Iam {
    pub fn strategy_of(&self, app: &str) -> IamStrategy {
        self.strategies.get(app).copied().unwrap_or(self.strategy)
    }

    /// The cluster of an environment: its own keys, else the shared ones.
    pub fn cluster_of(&self, environment: &str) -> Cluster {
        let own = self.clusters.get(environment).cloned().unwrap_or_default();
        own.over(&self.cluster)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IamStrategy {
    /// A new role per task role, trusting the cluster's OIDC provider (IRSA).
    NewRole,
    /// The task role itself, with an OIDC trust statement added next to ecs-tasks (IRSA).
    ExtendTaskRole,
    /// A new role trusting `pods.eks.amazonaws.com`, bound by a Pod Identity association.
    PodIdentity,
}

impl IamStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            IamStrategy::NewRole => "new-role",
            IamStrategy::ExtendTaskRole => "extend-task-role",
            IamStrategy::PodIdentity => "pod-identity",
        }
    }
}

/// What ecs2eks needs to know about an EKS cluster; unset values become Terraform variables.
/// `model::target::cluster` answers what follows from it (whose account a resource is in).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Cluster {
    /// The cluster's AWS account. Unset: each workload's own account.
    pub account: Option<String>,
    /// The cluster's region. Unset: each workload's own region.
    pub region: Option<String>,
    /// The OIDC issuer URL (`https://` is optional).
    pub oidc_issuer: Option<String>,
    /// The EKS cluster name (for Pod Identity associations).
    pub name: Option<String>,
    /// ARN of External Secrets Operator's IAM role (its controller's IRSA role).
    pub external_secrets_role: Option<String>,
    /// ARN of the AWS Load Balancer Controller's IAM role.
    pub load_balancer_controller_role: Option<String>,
    /// ARN of the nodes' IAM role (the one that pulls images).
    pub node_role: Option<String>,
}

impl Cluster {
    /// These values, each taken from `under` where this one leaves it unset.
    pub fn over(self, under: &Cluster) -> Cluster {
        let pick = |own: Option<String>, other: &Option<String>| own.or_else(|| other.clone());
        Cluster {
            account: pick(self.account, &under.account),
            region: pick(self.region, &under.region),
            oidc_issuer: pick(self.oidc_issuer, &under.oidc_issuer),
            name: pick(self.name, &under.name),
            external_secrets_role: pick(self.external_secrets_role, &under.external_secrets_role),
            load_balancer_controller_role: pick(
                self.load_balancer_controller_role,
                &under.load_balancer_controller_role,
            ),
            node_role: pick(self.node_role, &under.node_role),
        }
    }
}

/// How services behind ELBv2 target groups reach their pods (docs/load-balancing.md).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct LoadBalancing {
    /// The mode of every service not listed in `services`.
    pub mode: LoadBalancingMode,
    /// Per ECS service name: its mode.
    pub services: BTreeMap<String, LoadBalancingMode>,
    /// None: one fenced IngressClass (and IngressClassParams) per IngressGroup, admitting only
    /// the namespaces of the apps with rules on that ALB. A name: every Ingress uses that existing
    /// class and names its group by annotation (no fence: anyone may join the group).
    pub ingress_class: Option<String>,
    /// Role template a TargetGroupBinding assumes (`iamRoleArnToAssume`) when its target group
    /// is in another account than the cluster's; sees account, region (the target group's) and
    /// environment.
    pub cross_account_role: String,
}

impl Default for LoadBalancing {
    fn default() -> Self {
        LoadBalancing {
            mode: LoadBalancingMode::default(),
            services: BTreeMap::new(),
            ingress_class: None,
            cross_account_role: "arn:aws:iam::{{account}}:role/eks-target-group-binding".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum LoadBalancingMode {
    /// Ingresses in IngressGroups: the controller creates new load balancers.
    #[default]
    Ingress,
    /// TargetGroupBindings: the pods join the existing target groups (zero-downtime cutover).
    TargetGroupBinding,
}

impl LoadBalancing {
    /// The mode of one ECS service.
    pub fn mode_of(&self, service: &str) -> LoadBalancingMode {
        self.services.get(service).copied().unwrap_or(self.mode)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Names {
    pub namespace: String,
    pub service_account: String,
    pub application: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgoCd {
    pub namespace: String,
    pub project: String,
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    pub target_revision: String,
    pub destination: Destination,
    pub automated: bool,
    pub prune: bool,
    pub self_heal: bool,
    pub generator: Generator,
    pub sync_waves: bool,
}

/// How Argo CD finds the overlays.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Generator {
    /// One Application per overlay.
    Applications,
    /// One ApplicationSet per project, with a Git directory generator listing its overlays.
    Applicationset,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Mappings {
    /// The shipped defaults.
    pub fn defaults() -> Mappings {
        Self::from_layers(&[("mappings/default.yaml", DEFAULT_YAML)])
            .expect("the shipped defaults are valid")
    }

    /// These mappings for a YAML stream (`convert` without `--out`), applied once per service: stores
    /// the mappings do not name a kind for are namespaced SecretStores, since a ClusterSecretStore
    /// applied by one app's run would lose the namespaces of the runs before it.
    pub fn for_stream(&self) -> Mappings {
        let mut m = self.clone();
        let kind = &mut m.external_secrets.store_kind;
        *kind = Some(kind.unwrap_or(StoreKind::SecretStore));
        m
    }

    /// The defaults with a user's file laid over them.
    pub fn load(user: Option<(&str, &str)>) -> Result<Mappings, Error> {
        let mut layers = vec![("mappings/default.yaml", DEFAULT_YAML)];
        layers.extend(user);
        Self::from_layers(&layers)
    }

    fn from_layers(layers: &[(&str, &str)]) -> Result<Mappings, Error> {
        let mut merged = Value::Null;
        for (path, text) in layers {
            let layer: Value = serde_norway::from_str(text).map_err(|e| Error::Config {
                path: path.to_string(),
                message: e.to_string(),
            })?;
            merge(&mut merged, layer);
        }
        let path = layers.last().map_or("mappings", |l| l.0).to_string();
        let mappings: Mappings =
            serde_path_to_error::deserialize(&merged).map_err(|e| Error::Config {
                path: path.clone(),
                message: format!("at `{}`: {}", e.path(), e.inner()),
            })?;
        let dest = &mappings.argocd.destination;
        if dest.server.is_some() == dest.name.is_some() {
            return Err(Error::Config {
                path,
                message: "argocd.destination needs exactly one of `server` and `name`".to_string(),
            });
        }
        Ok(mappings)
    }
}

/// Maps merge key by key; anything else in `over` replaces what is under it. A `null` in the
/// user's file leaves the default in place.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (_, Value::Null) => {}
        (b, o) => *b = o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_file_overrides_one_key_and_keeps_the_rest() {
        let m = Mappings::load(Some(("m.yaml", "names:\n  namespace: \"{{service}}\"\n"))).unwrap();
        assert_eq!(m.names.namespace, "{{service}}");
        assert_eq!(m.names.service_account, "{{service}}");
    }

    #[test]
    fn iam_strategy_per_app_and_cluster_per_environment() {
        let m = Mappings::load(Some((
            "m.yaml",
            "iam:\n  strategies: {payments: pod-identity}\n  cluster: {name: shared}\n  clusters:\n    prod: {oidcIssuer: oidc.example/id/1}\n",
        )))
        .unwrap();
        assert_eq!(m.iam.strategy_of("payments"), IamStrategy::PodIdentity);
        assert_eq!(m.iam.strategy_of("web"), IamStrategy::NewRole);
        let prod = m.iam.cluster_of("prod");
        assert_eq!(prod.name.as_deref(), Some("shared"));
        assert_eq!(prod.oidc_issuer.as_deref(), Some("oidc.example/id/1"));
        assert!(m.iam.cluster_of("dev").oidc_issuer.is_none());
        assert!(Mappings::load(Some(("m.yaml", "iam:\n  strategy: irsa\n"))).is_err());
    }

    #[test]
    fn load_balancing_mode_per_service_overrides_the_global_one() {
        let m = Mappings::load(Some((
            "m.yaml",
            "loadBalancing:\n  services:\n    admin: targetGroupBinding\n",
        )))
        .unwrap();
        assert_eq!(m.load_balancing.mode, LoadBalancingMode::Ingress);
        assert_eq!(
            m.load_balancing.mode_of("admin"),
            LoadBalancingMode::TargetGroupBinding
        );
        assert_eq!(m.load_balancing.mode_of("web"), LoadBalancingMode::Ingress);
        assert!(Mappings::load(Some(("m.yaml", "loadBalancing:\n  mode: alb\n"))).is_err());
    }

    #[test]
    fn surface_sections_default_and_override() {
        let m = Mappings::defaults();
        assert_eq!(m.schedules.kind, ScheduleKind::CronJob);
        assert_eq!(m.schedules.concurrency_policy, ConcurrencyPolicy::Forbid);
        assert_eq!(
            m.placement.capacity_type_label,
            CapacityTypeLabel::Karpenter
        );
        assert!(!m.discovery.external_name);
        assert!(m.discovery.rewrite_consumers);
        assert!(!m.dns.replace);
        assert!(m.task_definitions.is_empty());
        let m = Mappings::load(Some((
            "m.yaml",
            "schedules:\n  kind: CronWorkflow\nplacement:\n  capacityTypeLabel: eks\ndiscovery:\n  externalName: true\n",
        )))
        .unwrap();
        assert_eq!(m.schedules.kind, ScheduleKind::CronWorkflow);
        assert_eq!(m.schedules.concurrency_policy, ConcurrencyPolicy::Forbid);
        assert_eq!(m.placement.capacity_type_label, CapacityTypeLabel::Eks);
        assert!(m.discovery.external_name);
        assert!(m.discovery.rewrite_consumers);
        assert!(Mappings::load(Some(("m.yaml", "schedules:\n  kind: Job\n"))).is_err());
        let m = Mappings::load(Some((
            "m.yaml",
            "discovery:\n  rewriteConsumers: false\ndns:\n  replace: true\ntaskDefinitions:\n  web:\n    cpu: \"512\"\n    networkMode: awsvpc\n    taskRoleArn: arn:aws:iam::111111111111:role/web\n",
        )))
        .unwrap();
        assert!(!m.discovery.rewrite_consumers);
        assert!(m.dns.replace);
        let web = &m.task_definitions["web"];
        assert_eq!(
            (web.cpu.as_deref(), web.network_mode.as_deref()),
            (Some("512"), Some("awsvpc"))
        );
        assert!(
            Mappings::load(Some(("m.yaml", "taskDefinitions:\n  web:\n    image: x\n"))).is_err()
        );
    }

    #[test]
    fn misspelt_key_is_an_error_naming_it() {
        let err = Mappings::load(Some(("m.yaml", "names:\n  namespce: x\n"))).unwrap_err();
        assert!(err.to_string().contains("names.namespce"), "{err}");
    }
}
