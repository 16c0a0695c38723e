//! The ECS side of the model: task definitions and services as the AWS API spells them.
//!
//! Only the fields the translators read are typed here; `model::fields` holds the complete field
//! lists, so that a field nobody reads is still reported rather than dropped.

use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// `null` and a missing field both mean "not set" in AWS JSON; teams' exports are full of nulls.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Integers that people also write as strings ("512") in files kept in Git.
pub(crate) fn lenient_int<'de, D>(d: D) -> Result<Option<i64>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntOrString {
        Int(i64),
        Float(f64),
        Str(String),
    }
    match Option::<IntOrString>::deserialize(d)? {
        None => Ok(None),
        Some(IntOrString::Int(i)) => Ok(Some(i)),
        Some(IntOrString::Float(f)) if f.fract() == 0.0 => Ok(Some(f as i64)),
        Some(IntOrString::Float(f)) => Err(serde::de::Error::custom(format!(
            "expected an integer, found {f}"
        ))),
        Some(IntOrString::Str(s)) => s.trim().parse().map(Some).map_err(|_| {
            serde::de::Error::custom(format!("expected an integer, found the string {s:?}"))
        }),
    }
}

/// Task-level `cpu` and `memory` are strings in the API ("256", "1 vCPU", "2 GB") and numbers in
/// some files.
fn size_string<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrString {
        Int(i64),
        Float(f64),
        Str(String),
    }
    Ok(match Option::<NumOrString>::deserialize(d)? {
        None => None,
        Some(NumOrString::Int(i)) => Some(i.to_string()),
        Some(NumOrString::Float(f)) => Some(f.to_string()),
        Some(NumOrString::Str(s)) => Some(s),
    })
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct TaskDefinition {
    pub family: Option<String>,
    pub task_definition_arn: Option<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub revision: Option<i64>,
    pub task_role_arn: Option<String>,
    pub execution_role_arn: Option<String>,
    pub network_mode: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub container_definitions: Vec<ContainerDefinition>,
    #[serde(deserialize_with = "nullable")]
    pub volumes: Vec<Volume>,
    #[serde(deserialize_with = "nullable")]
    pub requires_compatibilities: Vec<String>,
    #[serde(deserialize_with = "size_string")]
    pub cpu: Option<String>,
    #[serde(deserialize_with = "size_string")]
    pub memory: Option<String>,
    pub pid_mode: Option<String>,
    pub ipc_mode: Option<String>,
    pub ephemeral_storage: Option<EphemeralStorage>,
    pub runtime_platform: Option<RuntimePlatform>,
    pub status: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub placement_constraints: Vec<PlacementConstraint>,
    /// What describe output says the task can run on (a Windows marker with EC2).
    #[serde(deserialize_with = "nullable")]
    pub compatibilities: Vec<String>,
    pub proxy_configuration: Option<ProxyConfiguration>,
    /// Where each container is in the input, when some were left out of the pod
    /// (`translate::pod`): findings name the input's positions. Empty: as listed.
    #[serde(skip)]
    pub container_positions: Vec<usize>,
    /// Read from a bare array of container definitions (Terraform's `container_definitions`):
    /// the file held no task-level field, and the family is the file's name.
    #[serde(skip)]
    pub containers_only: bool,
}

impl TaskDefinition {
    /// The position in the input of container `i` (of `container_definitions`).
    pub fn container_position(&self, i: usize) -> usize {
        self.container_positions.get(i).copied().unwrap_or(i)
    }
}

/// App Mesh: the Envoy container that proxies the task's traffic.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ProxyConfiguration {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub container_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlacementConstraint {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub expression: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CapacityProviderStrategyItem {
    pub capacity_provider: Option<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub weight: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub base: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceRegistry {
    pub registry_arn: Option<String>,
    pub container_name: Option<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub container_port: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub port: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectConfiguration {
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub services: Vec<ServiceConnectService>,
    /// `logConfiguration` and anything else: reported, not carried.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceConnectService {
    #[serde(default)]
    pub port_name: Option<String>,
    #[serde(default)]
    pub discovery_name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub client_aliases: Vec<ServiceConnectClientAlias>,
    /// `ingressPortOverride`, `timeout`, `tls`…: reported, not carried.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceConnectClientAlias {
    #[serde(deserialize_with = "lenient_int")]
    pub port: Option<i64>,
    pub dns_name: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EphemeralStorage {
    #[serde(deserialize_with = "lenient_int")]
    pub size_in_gi_b: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RuntimePlatform {
    pub cpu_architecture: Option<String>,
    pub operating_system_family: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerDefinition {
    pub name: Option<String>,
    pub image: Option<String>,
    pub repository_credentials: Option<RepositoryCredentials>,
    #[serde(deserialize_with = "lenient_int")]
    pub cpu: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub memory: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub memory_reservation: Option<i64>,
    #[serde(deserialize_with = "nullable")]
    pub port_mappings: Vec<PortMapping>,
    pub essential: Option<bool>,
    #[serde(deserialize_with = "nullable")]
    pub entry_point: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub command: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub environment: Vec<KeyValue>,
    #[serde(deserialize_with = "nullable")]
    pub environment_files: Vec<EnvironmentFile>,
    #[serde(deserialize_with = "nullable")]
    pub mount_points: Vec<MountPoint>,
    pub linux_parameters: Option<LinuxParameters>,
    #[serde(deserialize_with = "nullable")]
    pub secrets: Vec<Secret>,
    #[serde(deserialize_with = "nullable")]
    pub depends_on: Vec<ContainerDependency>,
    #[serde(deserialize_with = "lenient_int")]
    pub stop_timeout: Option<i64>,
    pub user: Option<String>,
    pub working_directory: Option<String>,
    pub privileged: Option<bool>,
    pub readonly_root_filesystem: Option<bool>,
    #[serde(deserialize_with = "nullable")]
    pub dns_servers: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub dns_search_domains: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub extra_hosts: Vec<HostEntry>,
    /// Docker links, `name` or `name:alias`.
    #[serde(deserialize_with = "nullable")]
    pub links: Vec<String>,
    pub interactive: Option<bool>,
    pub pseudo_terminal: Option<bool>,
    #[serde(deserialize_with = "nullable")]
    pub docker_labels: BTreeMap<String, String>,
    pub log_configuration: Option<LogConfiguration>,
    pub health_check: Option<HealthCheck>,
    #[serde(deserialize_with = "nullable")]
    pub resource_requirements: Vec<ResourceRequirement>,
    pub firelens_configuration: Option<FirelensConfiguration>,
    #[serde(deserialize_with = "nullable")]
    pub credential_specs: Vec<String>,
    /// Reported (E2K127); read for the Windows marker of its `credentialspec:` entries.
    #[serde(deserialize_with = "nullable")]
    pub docker_security_options: Vec<String>,
}

/// A FireLens log router: the Fluent Bit (or Fluentd) container the task's `awsfirelens` logs
/// go through.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FirelensConfiguration {
    /// `fluentbit` or `fluentd`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub options: BTreeMap<String, String>,
}

impl ContainerDefinition {
    /// ECS treats a container without `essential` as essential.
    pub fn is_essential(&self) -> bool {
        self.essential.unwrap_or(true)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RepositoryCredentials {
    pub credentials_parameter: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PortMapping {
    #[serde(deserialize_with = "lenient_int")]
    pub container_port: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub host_port: Option<i64>,
    pub protocol: Option<String>,
    pub name: Option<String>,
    pub app_protocol: Option<String>,
    pub container_port_range: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct KeyValue {
    pub name: Option<String>,
    pub value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EnvironmentFile {
    pub value: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct MountPoint {
    pub source_volume: Option<String>,
    pub container_path: Option<String>,
    pub read_only: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LinuxParameters {
    pub capabilities: Option<Capabilities>,
    #[serde(deserialize_with = "lenient_int")]
    pub shared_memory_size: Option<i64>,
    #[serde(deserialize_with = "nullable")]
    pub tmpfs: Vec<Tmpfs>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Capabilities {
    #[serde(deserialize_with = "nullable")]
    pub add: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub drop: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Tmpfs {
    pub container_path: Option<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub size: Option<i64>,
    #[serde(deserialize_with = "nullable")]
    pub mount_options: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Secret {
    pub name: Option<String>,
    pub value_from: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ContainerDependency {
    pub container_name: Option<String>,
    pub condition: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HostEntry {
    pub hostname: Option<String>,
    pub ip_address: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LogConfiguration {
    pub log_driver: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub options: BTreeMap<String, String>,
    #[serde(deserialize_with = "nullable")]
    pub secret_options: Vec<Secret>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HealthCheck {
    #[serde(deserialize_with = "nullable")]
    pub command: Vec<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub interval: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub timeout: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub retries: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub start_period: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ResourceRequirement {
    pub value: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Volume {
    pub name: Option<String>,
    pub host: Option<HostVolume>,
    pub docker_volume_configuration: Option<serde_json::Value>,
    pub efs_volume_configuration: Option<EfsVolumeConfiguration>,
    pub fsx_windows_file_server_volume_configuration: Option<serde_json::Value>,
    pub configured_at_launch: Option<bool>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct HostVolume {
    pub source_path: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EfsVolumeConfiguration {
    pub file_system_id: Option<String>,
    pub root_directory: Option<String>,
    pub transit_encryption: Option<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub transit_encryption_port: Option<i64>,
    pub authorization_config: Option<EfsAuthorizationConfig>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct EfsAuthorizationConfig {
    pub access_point_id: Option<String>,
    pub iam: Option<String>,
}

/// Where a task definition or service says it runs: the first account and the first region its
/// ARNs give (empty when none does).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub account: Box<str>,
    pub region: Box<str>,
}

impl Place {
    fn of<'a>(arns: impl IntoIterator<Item = Option<&'a str>>) -> Place {
        let parsed: Vec<Arn> = arns.into_iter().flatten().filter_map(Arn::parse).collect();
        let first = |part: fn(&Arn<'a>) -> &'a str| {
            parsed
                .iter()
                .map(part)
                .find(|p| !p.is_empty())
                .unwrap_or("")
                .into()
        };
        Place {
            account: first(|a| a.account),
            region: first(|a| a.region),
        }
    }

    /// This place, with what it does not give taken from `other`.
    pub fn or(&self, other: &Place) -> Place {
        let pick = |a: &str, b: &str| -> Box<str> { if a.is_empty() { b } else { a }.into() };
        Place {
            account: pick(&self.account, &other.account),
            region: pick(&self.region, &other.region),
        }
    }
}

/// What finds and places a task definition before it is converted: all a run keeps of it between
/// reading it and reading it again to convert it (`import::read_files`). Small on purpose: a
/// large run holds tens of thousands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskDefinitionIdentity {
    pub family: Option<Box<str>>,
    pub arn: Option<Box<str>>,
    /// Its revision, or the one its ARN names.
    pub revision: Option<i64>,
    pub place: Place,
    /// Its container ports, each with its ECS port name ("" when none): the new Service names
    /// and ports its service's discovery names move to.
    pub ports: Box<[(Box<str>, i64)]>,
}

impl TaskDefinition {
    /// From its ARN, then its task role's, then its execution role's.
    pub fn place(&self) -> Place {
        Place::of([
            self.task_definition_arn.as_deref(),
            self.task_role_arn.as_deref(),
            self.execution_role_arn.as_deref(),
        ])
    }

    pub fn identity(&self) -> TaskDefinitionIdentity {
        let arn = self.task_definition_arn.as_deref();
        TaskDefinitionIdentity {
            family: self.family.as_deref().map(Box::from),
            arn: arn.map(Box::from),
            revision: self
                .revision
                .or_else(|| arn.and_then(|a| task_definition_ref(a).1)),
            place: self.place(),
            ports: self.ports().collect(),
        }
    }

    /// The container ports a Service can expose, with their ECS port names ("" when none).
    pub fn ports(&self) -> impl Iterator<Item = (Box<str>, i64)> + '_ {
        self.container_definitions
            .iter()
            .flat_map(|c| &c.port_mappings)
            .filter_map(|pm| {
                let port = pm.container_port.filter(|p| (1..=65535).contains(p))?;
                Some((pm.name.as_deref().unwrap_or("").into(), port))
            })
    }
}

/// A name a service gives its clients on ECS, as its configuration says it; namespaces and
/// Cloud Map ids are resolved against the Cloud Map inputs by `translate::discovery`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advertised {
    /// A Service Connect name of `serviceConnectConfiguration.services[at]`: a client alias's
    /// `dnsName` (`qualified`), else the discovery name (or port name) in `namespace`.
    ServiceConnect {
        at: usize,
        name: Box<str>,
        qualified: bool,
        /// The namespace as the configuration gives it: a name, an id or an ARN.
        namespace: Box<str>,
        /// The client alias's port.
        port: Option<i64>,
        port_name: Box<str>,
    },
    /// The Cloud Map service of `serviceRegistries[at]`.
    CloudMap {
        at: usize,
        registry_arn: Box<str>,
        /// The SRV record's port, else the container port.
        port: Option<i64>,
        container_port: Option<i64>,
    },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Service {
    pub service_name: Option<String>,
    pub service_arn: Option<String>,
    pub cluster: Option<String>,
    pub cluster_arn: Option<String>,
    pub task_definition: Option<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub desired_count: Option<i64>,
    pub launch_type: Option<String>,
    pub deployment_configuration: Option<DeploymentConfiguration>,
    pub deployment_controller: Option<DeploymentController>,
    pub scheduling_strategy: Option<String>,
    pub status: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub load_balancers: Vec<ServiceLoadBalancer>,
    #[serde(deserialize_with = "nullable")]
    pub placement_strategy: Vec<PlacementStrategy>,
    #[serde(deserialize_with = "nullable")]
    pub placement_constraints: Vec<PlacementConstraint>,
    #[serde(deserialize_with = "nullable")]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategyItem>,
    #[serde(deserialize_with = "nullable")]
    pub service_registries: Vec<ServiceRegistry>,
    pub service_connect_configuration: Option<ServiceConnectConfiguration>,
    pub network_configuration: Option<NetworkConfiguration>,
}

/// `networkConfiguration` of an `awsvpc` service: where its tasks' ENIs go.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct NetworkConfiguration {
    pub awsvpc_configuration: Option<AwsVpcConfiguration>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct AwsVpcConfiguration {
    #[serde(deserialize_with = "nullable")]
    pub subnets: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub security_groups: Vec<String>,
    /// `ENABLED` or `DISABLED`.
    pub assign_public_ip: Option<String>,
}

/// What finds a service's task definition and places and groups the service, and its target
/// groups (which service carries a shared ALB's own actions, `translate::ingress`): all a run
/// keeps of it until it reads it again to convert it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceIdentity {
    pub name: Option<Box<str>>,
    pub task_definition: Option<Box<str>>,
    pub place: Place,
    pub cluster: Box<str>,
    pub target_group_arns: Box<[Box<str>]>,
    /// The names it gives its clients (Service Connect, Cloud Map), for the consumers of others.
    pub advertised: Box<[Advertised]>,
}

impl Service {
    /// From its ARN, then its cluster's.
    pub fn place(&self) -> Place {
        Place::of([
            self.service_arn.as_deref(),
            self.cluster_arn.as_deref(),
            self.cluster.as_deref(),
        ])
    }

    /// Its cluster's name (`cluster` may be a name or an ARN).
    pub fn cluster_name(&self) -> String {
        self.cluster_arn
            .as_deref()
            .or(self.cluster.as_deref())
            .map(|c| match Arn::parse(c) {
                Some(arn) => arn
                    .resource
                    .strip_prefix("cluster/")
                    .unwrap_or(arn.resource)
                    .to_string(),
                None => c.to_string(),
            })
            .unwrap_or_default()
    }

    pub fn identity(&self) -> ServiceIdentity {
        ServiceIdentity {
            name: self.service_name.as_deref().map(Box::from),
            task_definition: self.task_definition.as_deref().map(Box::from),
            place: self.place(),
            cluster: self.cluster_name().into(),
            target_group_arns: self
                .load_balancers
                .iter()
                .filter_map(|lb| lb.target_group_arn.as_deref().map(Box::from))
                .collect(),
            advertised: self.advertised().into(),
        }
    }

    /// The names it gives its clients: its Cloud Map registries, then its Service Connect names
    /// (each client alias, or the discovery name when a port has none).
    pub fn advertised(&self) -> Vec<Advertised> {
        let mut out: Vec<Advertised> = (self.service_registries.iter().enumerate())
            .map(|(at, r)| Advertised::CloudMap {
                at,
                registry_arn: r.registry_arn.as_deref().unwrap_or("").into(),
                port: r.port.or(r.container_port),
                container_port: r.container_port,
            })
            .collect();
        let Some(sc) =
            (self.service_connect_configuration.as_ref()).filter(|c| c.enabled != Some(false))
        else {
            return out;
        };
        let namespace: Box<str> = sc.namespace.as_deref().unwrap_or("").into();
        for (at, s) in sc.services.iter().enumerate() {
            let port_name = s.port_name.as_deref().unwrap_or("");
            let discovery = s.discovery_name.as_deref().unwrap_or(port_name);
            let name = |dns: Option<&str>, port| Advertised::ServiceConnect {
                at,
                name: dns.unwrap_or(discovery).into(),
                qualified: dns.is_some(),
                namespace: namespace.clone(),
                port,
                port_name: port_name.into(),
            };
            out.extend(
                s.client_aliases
                    .iter()
                    .map(|a| name(a.dns_name.as_deref(), a.port)),
            );
            if s.client_aliases.is_empty() {
                out.push(name(None, None));
            }
        }
        out
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct DeploymentConfiguration {
    #[serde(deserialize_with = "lenient_int")]
    pub maximum_percent: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub minimum_healthy_percent: Option<i64>,
    pub deployment_circuit_breaker: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DeploymentController {
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ServiceLoadBalancer {
    pub target_group_arn: Option<String>,
    pub load_balancer_name: Option<String>,
    pub container_name: Option<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub container_port: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlacementStrategy {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub field: Option<String>,
}

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    pub fn parse(s: &'a str) -> Option<Arn<'a>> {
        let mut parts = s.splitn(6, ':');
        if parts.next()? != "arn" {
            return None;
        }
        let _partition = parts.next()?;
        Some(Arn {
            service: parts.next()?,
            region: parts.next()?,
            account: parts.next()?,
            resource: parts.next()?,
        })
    }
}

/// Reads the family and revision out of `family`, `family:3` or a task-definition ARN.
pub fn task_definition_ref(reference: &str) -> (&str, Option<i64>) {
    let tail = match Arn::parse(reference) {
        Some(arn) => arn
            .resource
            .strip_prefix("task-definition/")
            .unwrap_or(arn.resource),
        None => reference,
    };
    match tail.rsplit_once(':') {
        Some((family, rev)) => match rev.parse() {
            Ok(rev) => (family, Some(rev)),
            Err(_) => (tail, None),
        },
        None => (tail, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The service's ARNs first (its own, its cluster's), then its task definition's (its own, its
    /// roles'); account and region each from the first ARN that gives one.
    #[test]
    fn a_place_takes_what_each_arn_gives_in_order() {
        let td = TaskDefinition {
            task_definition_arn: Some("web:3".into()),
            task_role_arn: Some("arn:aws:iam::111111111111:role/app".into()),
            ..TaskDefinition::default()
        };
        let service = Service {
            cluster: Some("arn:aws:ecs:eu-west-1:222222222222:cluster/shop".into()),
            ..Service::default()
        };
        let td_place = td.place();
        assert_eq!(
            (&*td_place.account, &*td_place.region),
            ("111111111111", "")
        );
        let both = service.place().or(&td_place);
        assert_eq!(
            (&*both.account, &*both.region),
            ("222222222222", "eu-west-1")
        );
        assert_eq!(service.cluster_name(), "shop");
        let id = td.identity();
        assert_eq!(
            (id.family, id.revision),
            (None, Some(3)),
            "the revision its ARN field names"
        );
        let only_td = Service::default().place().or(&td_place);
        assert_eq!(only_td, td_place);
    }

    #[test]
    fn task_definition_references() {
        assert_eq!(task_definition_ref("web"), ("web", None));
        assert_eq!(task_definition_ref("web:12"), ("web", Some(12)));
        assert_eq!(
            task_definition_ref("arn:aws:ecs:eu-west-1:111111111111:task-definition/web:7"),
            ("web", Some(7))
        );
    }

    #[test]
    fn nulls_and_numeric_strings_are_accepted() {
        let c: ContainerDefinition = serde_json::from_str(
            r#"{"name":"a","cpu":"256","command":null,"environment":null,"dockerLabels":null}"#,
        )
        .unwrap();
        assert_eq!(c.cpu, Some(256));
        assert!(c.command.is_empty());
    }
}
