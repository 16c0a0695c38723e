//! The target model: what translation makes of the ECS inputs, and what the exporters write.
//!
//! A job's translation is a `Translated`: the workload's record (`Workload`), its Kubernetes
//! objects and the secrets it reads. The driver hands the objects to a sink as soon as the app is
//! converted and keeps the record, which is all the passes after every app (shared stores, IAM
//! plan, Argo CD projects, reports) read. The whole run is a `Conversion`.

pub mod cluster;
pub mod cross_account;
pub mod facts;
pub mod footprint;
pub mod iam;
pub mod secrets;

use crate::diagnostics::{Finding, FindingList, Severity};
use crate::error::InputError;
use crate::model::k8s::Object;
use serde::Serialize;

/// One ECS service (or lone task definition) in one environment, once translated: where it
/// comes from and goes to, and what the passes after its app read of it. Its objects are not
/// here: they go to the sink with its app (`Translated`).
#[derive(Debug, Clone, Default)]
pub struct Workload {
    /// The app's name: the service name (or the family), as a DNS-1123 label.
    pub app: String,
    pub environment: String,
    /// The owning team, from the inventory (empty when none is named).
    pub team: String,
    pub namespace: String,
    pub account: String,
    pub region: String,
    pub cluster: String,
    /// The input files it was made from, each name one copy for the run
    /// (`diagnostics::shared`): hundreds of workloads name the same load balancer files.
    pub inputs: Vec<std::sync::Arc<str>>,
    pub findings: FindingList,
    /// The IAM role its pods get (None: no task role, or not converted). This and
    /// `moved_secret` are boxed: every workload is kept until the reports are written, and
    /// inline they doubled its size.
    pub role: Option<Box<iam::RoleBinding>>,
    /// Old service discovery names (Cloud Map, Service Connect) → Kubernetes Service DNS names.
    pub dns_names: Vec<DnsRename>,
    /// The discovery names of other services its containers call, and what they call now.
    pub dns_calls: Vec<DnsCall>,
    /// What its pods ask of the cluster, for the capacity summary.
    pub footprint: footprint::Footprint,
    /// What later passes read of its objects.
    pub facts: facts::ObjectFacts,
    /// Its FireLens routing as node-level Fluent Bit configuration (`[OUTPUT]` sections), which
    /// the exporters put in a ConfigMap of the cluster's Fluent Bit.
    pub log_outputs: Option<String>,
    /// Where its plaintext secrets moved (`redactPlaintext`): the report says how to create it.
    pub moved_secret: Option<Box<secrets::MovedSecret>>,
}

/// What the report says of a workload, from its worst finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Nothing to review.
    Converted,
    /// Warnings: converted, to be reviewed.
    Review,
    /// Errors: no objects were written.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Converted => "converted",
            Status::Review => "review",
            Status::Failed => "failed",
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Workload {
    pub fn status(&self) -> Status {
        match self.findings.worst() {
            Some(Severity::Error) => Status::Failed,
            Some(Severity::Warning) => Status::Review,
            _ => Status::Converted,
        }
    }

    pub fn failed(&self) -> bool {
        self.status() == Status::Failed
    }

    /// `app (environment)`: who reads a secret, in the policies' comments.
    pub fn reader(&self) -> String {
        format!("{} ({})", self.app, self.environment)
    }

    /// Adds a finding made by a pass after translation, once.
    pub fn add_finding(&mut self, finding: Finding) {
        self.findings.add(&finding);
    }
}

/// What the translation of one job makes: the workload, its objects (sorted by kind, then name;
/// none when it failed) and the secrets its pods read through External Secrets Operator.
#[derive(Debug, Clone, Default)]
pub struct Translated {
    pub workload: Workload,
    pub objects: Vec<Object>,
    pub secret_reads: Vec<secrets::SecretRead>,
}

/// The result of a conversion: the workloads, sorted by app and environment, the inputs that
/// could not be read, and what the apps share.
#[derive(Debug, Default)]
pub struct Conversion {
    pub workloads: Vec<Workload>,
    pub errors: Vec<InputError>,
    /// The IAM roles the pods get, sorted by folder then name, for `export::terraform`.
    pub iam_roles: Vec<iam::IamRole>,
    /// ClusterSecretStores shared by the apps of an environment. Sorted by environment, then name.
    pub secret_stores: Vec<SharedObject>,
    /// The fenced IngressClasses and IngressClassParams of the IngressGroups, shared by the apps
    /// of an environment. Sorted by environment, kind, then name.
    pub ingress_classes: Vec<SharedObject>,
    /// What External Secrets Operator must be able to read, per AWS account (sorted).
    pub secret_access: Vec<secrets::SecretAccess>,
    /// The cluster of each environment.
    pub clusters: cluster::Clusters,
    /// Target group roles and image pulls across accounts.
    pub cross_account: cross_account::CrossAccount,
    /// What the report says once about the run as a whole (`passes::tenancy`).
    pub notes: Vec<Finding>,
}

impl Conversion {
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.workloads.iter().any(Workload::failed)
    }

    pub fn has_warnings(&self) -> bool {
        self.workloads
            .iter()
            .any(|w| w.status() != Status::Converted)
    }
}

/// A cluster-scoped object the apps of one environment (cluster) share: written once, apart from
/// every app's overlay, with one owning Argo CD Application.
#[derive(Debug, Clone)]
pub struct SharedObject {
    pub environment: String,
    pub object: Object,
}

/// Where clients found a service on ECS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DnsSource {
    CloudMap,
    ServiceConnect,
}

impl DnsSource {
    pub fn as_str(self) -> &'static str {
        match self {
            DnsSource::CloudMap => "Cloud Map",
            DnsSource::ServiceConnect => "Service Connect",
        }
    }
}

impl Serialize for DnsSource {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One name clients used in ECS and the name they use in Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DnsRename {
    pub source: DnsSource,
    /// The old name (for Cloud Map, the registry's service id: describe-services has no name).
    pub old: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_port: Option<i64>,
    /// The Service's cluster DNS name, or a note when the workload has no Service.
    pub new: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_port: Option<i64>,
}

/// A discovery name a workload's container calls (in an env value, its command or arguments).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsCall {
    /// JSON path of the env var or argument in the task definition.
    pub field: String,
    /// The name (and port) called.
    pub old: String,
    /// The Service name (and port) called now; None: left as it was (E2K597).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new: Option<String>,
}
