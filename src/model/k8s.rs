//! The Kubernetes side of the model: typed objects, serialised with keys in the conventional order.
//!
//! Field order in these structs is the order users read in the YAML (apiVersion, kind, metadata,
//! spec; name and image first in a container). Maps are `BTreeMap`, so output is sorted and
//! stable. Only the fields ecs2eks emits exist here.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub type Map = BTreeMap<String, String>;

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ObjectMeta {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub labels: Map,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub annotations: Map,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub finalizers: Vec<String>,
}

/// A Kubernetes object: apiVersion, kind and metadata, then its kind's body.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    pub api_version: &'static str,
    pub kind: &'static str,
    pub metadata: ObjectMeta,
    /// Everything after `metadata` (`spec`, `data`, …), a JSON object.
    body: Value,
}

impl Serialize for Object {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{Error, SerializeMap};
        let fields = self
            .body
            .as_object()
            .ok_or_else(|| S::Error::custom("a body is a JSON object"))?;
        let mut map = s.serialize_map(Some(3 + fields.len()))?;
        map.serialize_entry("apiVersion", self.api_version)?;
        map.serialize_entry("kind", self.kind)?;
        map.serialize_entry("metadata", &self.metadata)?;
        for (k, v) in fields {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Object {
    /// Builds an object from any serialisable body (`spec`, `data`, …).
    pub fn new(
        api_version: &'static str,
        kind: &'static str,
        metadata: ObjectMeta,
        body: impl Serialize,
    ) -> Object {
        let body = serde_json::to_value(body).expect("Kubernetes bodies serialise to JSON");
        Object {
            api_version,
            kind,
            metadata,
            body,
        }
    }

    pub fn body(&self) -> &Value {
        &self.body
    }

    pub fn body_mut(&mut self) -> &mut Value {
        &mut self.body
    }

    /// Where the object goes in a stream: what others depend on comes first.
    pub fn kind_rank(&self) -> usize {
        const ORDER: &[&str] = &[
            "Namespace",
            "ServiceAccount",
            "ClusterSecretStore",
            "IngressClassParams",
            "IngressClass",
            "SecretStore",
            "ExternalSecret",
            "ConfigMap",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "SecurityGroupPolicy",
            "Service",
            "Deployment",
            "DaemonSet",
            "Job",
            "CronJob",
            "CronWorkflow",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "Ingress",
            "TargetGroupBinding",
        ];
        ORDER
            .iter()
            .position(|k| *k == self.kind)
            .unwrap_or(ORDER.len())
    }

    /// Cluster-scoped kinds carry no namespace.
    pub fn is_cluster_scoped(&self) -> bool {
        matches!(
            self.kind,
            "Namespace"
                | "ClusterSecretStore"
                | "PersistentVolume"
                | "IngressClass"
                | "IngressClassParams"
        )
    }

    /// The whole object as JSON, keys in the conventional order. The body is moved in, not
    /// serialised again (exporters call this for every object of a batch).
    pub fn to_json(&self) -> Value {
        self.clone().into_json()
    }

    /// `to_json`, the body moved rather than copied.
    pub fn into_json(self) -> Value {
        let mut map = serde_json::Map::new();
        map.insert("apiVersion".into(), Value::String(self.api_version.into()));
        map.insert("kind".into(), Value::String(self.kind.into()));
        map.insert(
            "metadata".into(),
            serde_json::to_value(&self.metadata).expect("metadata serialises"),
        );
        if let Value::Object(body) = self.body {
            map.extend(body);
        }
        Value::Object(map)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    pub selector: LabelSelector,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strategy: Option<DeploymentStrategy>,
    pub template: PodTemplate,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DaemonSetSpec {
    pub selector: LabelSelector,
    pub template: PodTemplate,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    pub match_labels: Map,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentStrategy {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub rolling_update: RollingUpdate,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollingUpdate {
    pub max_surge: String,
    pub max_unavailable: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct PodTemplate {
    pub metadata: TemplateMeta,
    pub spec: PodSpec,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct TemplateMeta {
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub labels: Map,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub annotations: Map,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
    #[serde(skip_serializing_if = "is_false")]
    pub host_network: bool,
    #[serde(skip_serializing_if = "is_false")]
    #[serde(rename = "hostPID")]
    pub host_pid: bool,
    #[serde(skip_serializing_if = "is_false")]
    #[serde(rename = "hostIPC")]
    pub host_ipc: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub share_process_namespace: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub node_selector: Map,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub image_pull_secrets: Vec<NameRef>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub host_aliases: Vec<HostAlias>,
    /// `None` when the pod asks only the servers of its `dnsConfig` (mapping `dns.replace`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_policy: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns_config: Option<DnsConfig>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub init_containers: Vec<Container>,
    pub containers: Vec<Container>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<Volume>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NameRef {
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostAlias {
    pub ip: String,
    pub hostnames: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DnsConfig {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub searches: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Container {
    pub name: String,
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<EnvVar>,
    #[serde(skip_serializing_if = "Resources::is_empty")]
    pub resources: Resources,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: Vec<VolumeMount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_context: Option<SecurityContext>,
    #[serde(skip_serializing_if = "is_false")]
    pub stdin: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub tty: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerPort {
    pub name: String,
    pub container_port: i64,
    pub protocol: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVar {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_from: Option<EnvVarSource>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvVarSource {
    pub secret_key_ref: SecretKeySelector,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SecretKeySelector {
    pub name: String,
    pub key: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Resources {
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub requests: Map,
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub limits: Map,
}

impl Resources {
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.limits.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VolumeMount {
    pub name: String,
    pub mount_path: String,
    #[serde(skip_serializing_if = "is_false")]
    pub read_only: bool,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecAction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_get: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tcp_socket: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_delay_seconds: Option<i64>,
    pub period_seconds: i64,
    pub timeout_seconds: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<i64>,
    pub failure_threshold: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExecAction {
    pub command: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityContext {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_as_group: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only_root_filesystem: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<CapabilitiesSpec>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub windows_options: Option<WindowsOptions>,
}

impl SecurityContext {
    pub fn is_empty(&self) -> bool {
        self.run_as_user.is_none()
            && self.run_as_group.is_none()
            && self.privileged.is_none()
            && self.read_only_root_filesystem.is_none()
            && self.capabilities.is_none()
            && self.windows_options.is_none()
    }
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowsOptions {
    pub gmsa_credential_spec_name: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CapabilitiesSpec {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub add: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drop: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Volume {
    pub name: String,
    #[serde(flatten)]
    pub source: VolumeSource,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum VolumeSource {
    EmptyDir(EmptyDir),
    HostPath {
        path: String,
        /// `File`, `Socket`…: what must be there on the node, when ECS's use says so.
        #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
        kind: Option<&'static str>,
    },
    PersistentVolumeClaim {
        #[serde(rename = "claimName")]
        claim_name: String,
        #[serde(rename = "readOnly", skip_serializing_if = "is_false")]
        read_only: bool,
    },
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EmptyDir {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub medium: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_limit: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub selector: Map,
    pub ports: Vec<ServicePort>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServicePort {
    pub name: String,
    pub port: i64,
    pub target_port: String,
    pub protocol: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}
