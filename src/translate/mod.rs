//! Translation: ECS task definitions and services in, Kubernetes workloads and findings out.
//!
//! One module per ECS concept; `workload` assembles them. Translators read the ECS model and
//! return Kubernetes objects and findings; they never touch files or print.

mod autoscaling;
mod containers;
pub mod cron;
mod dependencies;
pub mod discovery;
mod disruption;
mod logging;
pub mod names;
mod network;
mod placement;
mod probes;
mod resources;
mod rollout;
mod schedules;
mod secrets;
mod volumes;
mod workload;

use crate::diagnostics::{Code, Finding, Findings, Severity};
use crate::error::InputError;
use crate::import::{Inputs, Sourced};
use crate::inventory::Inventory;
use crate::mappings::Mappings;
use crate::model::ecs::{Arn, Service, TaskDefinition, task_definition_ref};
use crate::model::k8s::Object;
use std::collections::BTreeMap;

/// The result of a conversion: workloads, sorted by app and environment, and the inputs that
/// could not be read.
#[derive(Debug, Default)]
pub struct Conversion {
    pub workloads: Vec<Workload>,
    pub errors: Vec<InputError>,
}

/// One ECS service (or lone task definition) in one environment, as Kubernetes objects.
#[derive(Debug, Clone)]
pub struct Workload {
    /// The app's name: the service name (or the family), as a DNS-1123 label.
    pub app: String,
    pub environment: String,
    pub namespace: String,
    pub account: String,
    pub region: String,
    pub cluster: String,
    /// The input files it was made from.
    pub inputs: Vec<String>,
    /// Sorted by kind, then name.
    pub objects: Vec<Object>,
    pub findings: Vec<Finding>,
    /// Old service discovery names (Cloud Map, Service Connect) → Kubernetes Service DNS names.
    pub dns_names: Vec<discovery::DnsRename>,
}

impl Workload {
    /// `converted` (nothing to review), `review` (warnings) or `failed` (errors: no objects).
    pub fn status(&self) -> &'static str {
        match self.findings.iter().map(|f| f.severity).max() {
            Some(Severity::Error) => "failed",
            Some(Severity::Warning) => "review",
            _ => "converted",
        }
    }

    pub fn failed(&self) -> bool {
        self.status() == "failed"
    }
}

impl Conversion {
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.workloads.iter().any(Workload::failed)
    }

    pub fn has_warnings(&self) -> bool {
        self.workloads
            .iter()
            .any(|w| w.findings.iter().any(|f| f.severity >= Severity::Warning))
    }
}

/// Where a workload runs in AWS, read from its ARNs.
#[derive(Debug, Clone, Default)]
struct Identity {
    account: String,
    region: String,
    cluster: String,
}

fn identity(td: &TaskDefinition, service: Option<&Service>) -> Identity {
    let arns = [
        service.and_then(|s| s.service_arn.as_deref()),
        service.and_then(|s| s.cluster_arn.as_deref()),
        service.and_then(|s| s.cluster.as_deref()),
        td.task_definition_arn.as_deref(),
        td.task_role_arn.as_deref(),
        td.execution_role_arn.as_deref(),
    ];
    let parsed: Vec<Arn> = arns
        .iter()
        .flatten()
        .filter_map(|a| Arn::parse(a))
        .collect();
    let account = parsed
        .iter()
        .map(|a| a.account)
        .find(|a| !a.is_empty())
        .unwrap_or("");
    let region = parsed
        .iter()
        .map(|a| a.region)
        .find(|r| !r.is_empty())
        .unwrap_or("");
    let cluster = service
        .and_then(|s| s.cluster_arn.as_deref().or(s.cluster.as_deref()))
        .map(|c| match Arn::parse(c) {
            Some(arn) => arn
                .resource
                .strip_prefix("cluster/")
                .unwrap_or(arn.resource)
                .to_string(),
            None => c.to_string(),
        })
        .unwrap_or_default();
    Identity {
        account: account.to_string(),
        region: region.to_string(),
        cluster,
    }
}

/// Converts everything that was read. `inventory` is None when the user gave none.
pub fn translate(inputs: Inputs, mappings: &Mappings, inventory: Option<&Inventory>) -> Conversion {
    let mut errors = inputs.errors.clone();
    for failure in &inputs.service_failures {
        let arn = failure
            .value
            .get("arn")
            .and_then(|a| a.as_str())
            .unwrap_or("?");
        let reason = failure
            .value
            .get("reason")
            .and_then(|a| a.as_str())
            .unwrap_or("?");
        errors.push(InputError::Unconvertible {
            input: failure.input.clone(),
            message: format!(
                "at `{}`: describe-services failed for {arn}: {reason}",
                failure.path
            ),
        });
    }

    // Scheduled runs of task definitions that are not in the inputs.
    errors.extend(schedules::orphans(&inputs));
    let index = TaskDefinitionIndex::new(&inputs.task_definitions);
    let mut used = vec![false; inputs.task_definitions.len()];
    let mut workloads = Vec::new();
    for service in &inputs.services {
        let reference = service.value.task_definition.as_deref().unwrap_or("");
        match index.find(reference, service.value.service_name.is_none()) {
            Some(i) => {
                used[i] = true;
                let td = &inputs.task_definitions[i];
                workloads.push(convert_one(td, Some(service), &inputs, mappings, inventory));
            }
            None => workloads.push(missing_task_definition(service, reference, mappings)),
        }
    }
    for (i, td) in inputs.task_definitions.iter().enumerate() {
        if !used[i] {
            workloads.push(convert_one(td, None, &inputs, mappings, inventory));
        }
    }

    workloads.sort_by(|a, b| (&a.app, &a.environment).cmp(&(&b.app, &b.environment)));
    // The same app in the same environment twice: keep the first, fail the others.
    for i in 1..workloads.len() {
        let (before, rest) = workloads.split_at_mut(i);
        let prev = &before[i - 1];
        let cur = &mut rest[0];
        if prev.app == cur.app && prev.environment == cur.environment && !prev.failed() {
            cur.objects.clear();
            cur.findings.push(Finding::new(
                Code::DuplicateWorkload,
                "",
                format!(
                    "{} in environment {} is also given by {}",
                    cur.app,
                    cur.environment,
                    prev.inputs.join(", ")
                ),
            ));
        }
    }
    Conversion { workloads, errors }
}

/// Finds task definitions by ARN, `family:revision` or family (the latest revision given).
struct TaskDefinitionIndex<'a> {
    by_family: BTreeMap<&'a str, Vec<(Option<i64>, usize)>>,
}

impl<'a> TaskDefinitionIndex<'a> {
    fn new(tds: &'a [Sourced<TaskDefinition>]) -> Self {
        let mut by_family: BTreeMap<&str, Vec<(Option<i64>, usize)>> = BTreeMap::new();
        for (i, td) in tds.iter().enumerate() {
            let family = td.value.family.as_deref().unwrap_or("");
            let revision = td.value.revision.or_else(|| {
                td.value
                    .task_definition_arn
                    .as_deref()
                    .and_then(|a| task_definition_ref(a).1)
            });
            by_family.entry(family).or_default().push((revision, i));
        }
        TaskDefinitionIndex { by_family }
    }

    /// `lone_fallback`: an ecspresso-style service (no name, no reference) takes the only task
    /// definition in its inputs.
    fn find(&self, reference: &str, lone_fallback: bool) -> Option<usize> {
        if reference.is_empty() {
            let all: Vec<_> = self.by_family.values().flatten().collect();
            return (lone_fallback && all.len() == 1).then(|| all[0].1);
        }
        let (family, revision) = task_definition_ref(reference);
        let candidates = self.by_family.get(family)?;
        match revision {
            Some(rev) => candidates
                .iter()
                .find(|(r, _)| *r == Some(rev))
                .or_else(|| candidates.iter().find(|(r, _)| r.is_none()))
                .map(|(_, i)| *i),
            None => candidates.iter().max_by_key(|(r, _)| *r).map(|(_, i)| *i),
        }
    }
}

fn missing_task_definition(
    service: &Sourced<Service>,
    reference: &str,
    mappings: &Mappings,
) -> Workload {
    let td = TaskDefinition::default();
    let id = identity(&td, Some(&service.value));
    let name = service.value.service_name.as_deref().unwrap_or(reference);
    let app = names::dns_label(name, "service");
    let field = crate::model::fields::join(&service.path, "taskDefinition");
    let message = if reference.is_empty() {
        "the service names no task definition, and the inputs do not hold exactly one".to_string()
    } else {
        format!("the service uses task definition {reference}, which is not in the inputs")
    };
    Workload {
        namespace: String::new(),
        environment: mappings.default_environment.clone(),
        app,
        account: id.account,
        region: id.region,
        cluster: id.cluster,
        inputs: vec![service.input.clone()],
        objects: Vec::new(),
        findings: vec![Finding::new(Code::TaskDefinitionNotFound, field, message)],
        dns_names: Vec::new(),
    }
}

fn convert_one(
    td: &Sourced<TaskDefinition>,
    service: Option<&Sourced<Service>>,
    inputs: &Inputs,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Workload {
    let mut findings = Findings::default();
    let id = identity(&td.value, service.map(|s| &s.value));
    let account = inventory.and_then(|inv| inv.account(&id.account));
    let environment = match (inventory, account) {
        (_, Some(a)) => a.environment.clone(),
        (Some(_), None) => {
            findings.push(
                Code::UnknownAccount,
                "",
                format!(
                    "account {} is not in the inventory; environment {} was used",
                    if id.account.is_empty() {
                        "(unknown)"
                    } else {
                        &id.account
                    },
                    mappings.default_environment
                ),
            );
            mappings.default_environment.clone()
        }
        (None, None) => mappings.default_environment.clone(),
    };
    let family = td.value.family.as_deref().unwrap_or("");
    let service_name = service
        .and_then(|s| s.value.service_name.as_deref())
        .unwrap_or(family);
    let app = names::dns_label(service_name, "app");
    if app != service_name {
        let field = match service.filter(|s| s.value.service_name.is_some()) {
            Some(s) => crate::model::fields::join(&s.path, "serviceName"),
            None => crate::model::fields::join(&td.path, "family"),
        };
        findings.push(
            Code::NameChanged,
            field,
            format!("{service_name:?} is named {app:?} in Kubernetes"),
        );
    }
    let ctx = names::NameContext {
        service: &app,
        environment: &environment,
        account: &id.account,
        account_name: account
            .and_then(|a| a.name.as_deref())
            .unwrap_or(&id.account),
        region: &id.region,
        cluster: &id.cluster,
        family,
    };
    let mut files = vec![td.input.clone()];
    if let Some(s) = service {
        files.insert(0, s.input.clone());
    }
    files.dedup();
    let mut workload = Workload {
        app: app.clone(),
        environment: environment.clone(),
        namespace: String::new(),
        account: id.account.clone(),
        region: id.region.clone(),
        cluster: id.cluster.clone(),
        inputs: files,
        objects: Vec::new(),
        findings: Vec::new(),
        dns_names: Vec::new(),
    };
    match workload::build(td, service, inputs, mappings, &ctx, &mut findings) {
        Ok((namespace, mut objects)) => {
            if let Some(s) = service {
                findings.input = s.input.clone();
                let meta = |name: &str| crate::model::k8s::ObjectMeta {
                    name: name.to_string(),
                    namespace: Some(namespace.clone()),
                    labels: {
                        let mut l = mappings.labels.clone();
                        l.insert("app.kubernetes.io/name".into(), app.clone());
                        l
                    },
                    ..Default::default()
                };
                let mut extra = Vec::new();
                let target = discovery::Target {
                    app: &app,
                    namespace: &namespace,
                    objects: &objects,
                    external_name: mappings.discovery.external_name,
                    meta: &meta,
                };
                workload.dns_names =
                    discovery::renames(&s.value, &s.path, &target, &mut extra, &mut findings);
                objects.extend(extra);
            }
            objects.sort_by(|a, b| {
                (a.kind_rank(), &a.metadata.name).cmp(&(b.kind_rank(), &b.metadata.name))
            });
            workload.namespace = namespace;
            workload.objects = objects;
        }
        Err(message) => findings.push(Code::NameTemplate, "", message),
    }
    // Inputs other than the service and task definition (autoscaling, schedules) that the
    // workload's findings come from.
    for f in &findings.list {
        if !f.input.is_empty() && !workload.inputs.contains(&f.input) {
            workload.inputs.push(f.input.clone());
        }
    }
    workload.findings = findings.list;
    workload
}
