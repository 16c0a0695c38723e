//! Translation: one ECS task definition (with the service that runs it) in, one workload's
//! Kubernetes objects and findings out.
//!
//! One module per ECS concept; `workload` assembles them. Translators read the ECS model and
//! return the target model; they never read files, write or print. What needs every app at once
//! is in `passes`; the driver (`crate::driver`) decides the order.

mod agents;
mod autoscaling;
mod calls;
mod containers;
pub mod cron;
mod dependencies;
pub(crate) mod discovery;
mod disruption;
mod facts;
mod footprint;
pub mod iam;
mod images;
mod ingress;
mod logging;

mod network;
pub mod passes;
mod placement;
mod platform;
mod pod;
mod pod_security_groups;
mod probes;
mod resources;
mod rollout;
pub mod schedules;
pub mod secrets;
mod task_defaults;
mod volumes;
mod workload;

use crate::diagnostics::{self, Code, Finding, Findings};
use crate::error::InputError;
use crate::inventory::Inventory;
use crate::mappings::Mappings;
use crate::model::ecs::{Place, Service, ServiceIdentity, TaskDefinition, TaskDefinitionIdentity};
use crate::model::k8s::{Object, ObjectMeta};
use crate::model::names;
use crate::model::read::{Inputs, Located, Sourced};
use crate::model::target::cluster::Clusters;
use crate::model::target::{Translated, Workload};
use passes::alb_ownership::AlbOwners;
use passes::apps::{missing_app_name, service_name};
use passes::dns_directory::Directory;
use std::sync::Arc;

/// Where a workload runs in AWS, read from its ARNs.
#[derive(Debug, Clone, Default)]
pub(crate) struct Identity {
    pub account: String,
    pub region: String,
    pub cluster: String,
}

impl Identity {
    /// The service's place first, then its task definition's.
    pub fn of(td: &Place, service: Option<&ServiceIdentity>) -> Identity {
        let place = match service {
            Some(s) => s.place.or(td),
            None => td.clone(),
        };
        Identity {
            account: place.account.into(),
            region: place.region.into(),
            cluster: service.map(|s| s.cluster.to_string()).unwrap_or_default(),
        }
    }
}

/// What every workload's translation reads besides its own task definition and service.
pub struct Context<'a> {
    /// Everything read, for what other inputs say about a workload (roles, load balancers…).
    pub inputs: &'a Inputs,
    pub mappings: &'a Mappings,
    pub inventory: Option<&'a Inventory>,
    /// The cluster of each environment: whose account is the cluster's.
    pub clusters: &'a Clusters,
    /// Which service owns each shared ALB (`passes::alb_ownership`).
    pub alb_owners: &'a AlbOwners,
    /// Several accounts and no inventory: each account's id is its environment.
    pub split_by_account: bool,
    /// Every discovery name of the run and where its traffic goes now.
    pub directory: &'a Directory,
}

/// The scheduled runs a workload makes jobs of, each with the revision it asks for when that is
/// not the task definition's.
pub type Runs<'a> = [(schedules::Run<'a>, Option<i64>)];

/// The app a service (or lone task definition) becomes: its name, renamed by the mappings, as a
/// DNS-1123 label.
pub(crate) fn app_name(service_name: &str, mappings: &Mappings) -> String {
    let renamed = mappings
        .services
        .rename
        .get(service_name)
        .map(String::as_str);
    names::dns_label(renamed.unwrap_or(service_name), "app")
}

/// The inventory's per-environment cluster facts (account, region, OIDC issuer, name, roles)
/// fill what the mappings' `iam.clusters.<env>` leaves unset, so the cluster is read in one
/// place (`model::target::cluster`).
pub fn with_inventory_clusters(mappings: &Mappings, inventory: &Inventory) -> Mappings {
    let mut m = mappings.clone();
    for (env, e) in &inventory.environments {
        let c = m.iam.clusters.entry(env.clone()).or_default();
        *c = std::mem::take(c).over(&e.cluster());
    }
    m
}

/// The same app in the same environment twice (`app` sorted by environment): the first is kept,
/// the others fail.
pub fn fail_duplicates(app: &mut [Translated]) {
    for i in 1..app.len() {
        let (before, rest) = app.split_at_mut(i);
        let prev = &before[i - 1].workload;
        let cur = &mut rest[0];
        if prev.app == cur.workload.app
            && prev.environment == cur.workload.environment
            && !prev.failed()
        {
            cur.objects.clear();
            let w = &mut cur.workload;
            w.role = None;
            w.findings.push(&Finding::new(
                Code::DuplicateWorkload,
                "",
                format!(
                    "{} in environment {} is also given by {}",
                    w.app,
                    w.environment,
                    prev.inputs.join(", ")
                ),
            ));
        }
    }
}

/// A task definition or service that could not be read again when its app was converted (its
/// file changed or went away during the run): a failed workload, under the app it was planned in.
pub fn unreadable(
    td: &Located<TaskDefinitionIdentity>,
    service: Option<&Located<ServiceIdentity>>,
    error: InputError,
    mappings: &Mappings,
) -> Translated {
    let id = Identity::of(&td.id.place, service.map(|s| &s.id));
    let mut inputs: Vec<Arc<str>> = service
        .map(|s| diagnostics::shared(&s.input))
        .into_iter()
        .collect();
    inputs.push(diagnostics::shared(&td.input));
    let mut finding = Finding::new(Code::InputChanged, "", error.to_string());
    finding.input = error.input().to_string();
    let app = app_name(service_name(&td.id, service.map(|s| &s.id)), mappings);
    failed_before_translation(app, id, inputs, finding, mappings)
}

/// A service whose task definition is not in the inputs.
pub fn missing_task_definition(
    service: &Located<ServiceIdentity>,
    mappings: &Mappings,
) -> Translated {
    let reference = service.id.task_definition.as_deref().unwrap_or("");
    let id = Identity::of(&Place::default(), Some(&service.id));
    let app = missing_app_name(&service.id);
    let field = crate::model::fields::join(&service.path, "taskDefinition");
    let message = if reference.is_empty() {
        "the service names no task definition, and the inputs do not hold exactly one".to_string()
    } else {
        format!("the service uses task definition {reference}, which is not in the inputs")
    };
    let finding = Finding::new(Code::TaskDefinitionNotFound, field, message);
    let inputs = vec![diagnostics::shared(&service.input)];
    failed_before_translation(app, id, inputs, finding, mappings)
}

/// A workload that failed before it could be translated: no objects, one error finding, in the
/// default environment (its account is not known to be in the inventory).
fn failed_before_translation(
    app: String,
    id: Identity,
    inputs: Vec<Arc<str>>,
    finding: Finding,
    mappings: &Mappings,
) -> Translated {
    Translated {
        workload: Workload {
            environment: mappings.default_environment.clone(),
            app,
            account: id.account,
            region: id.region,
            cluster: id.cluster,
            inputs,
            findings: [finding].into_iter().collect(),
            ..Workload::default()
        },
        ..Translated::default()
    }
}

/// How a workload is named before it is translated: its environment and the variables of its
/// name templates. `convert` and the passes that plan ahead (`passes::dns_directory`) name it
/// alike.
#[derive(Clone, Copy)]
pub struct Naming<'a> {
    pub mappings: &'a Mappings,
    pub inventory: Option<&'a Inventory>,
    /// Several accounts and no inventory: each account's id is its environment.
    pub split_by_account: bool,
}

impl<'a> Naming<'a> {
    pub fn of(ctx: &Context<'a>) -> Naming<'a> {
        Naming {
            mappings: ctx.mappings,
            inventory: ctx.inventory,
            split_by_account: ctx.split_by_account,
        }
    }

    /// The environment of a workload in `account`; false when an inventory is given that does
    /// not know the account (the default environment is used).
    pub fn environment(&self, account: &str) -> (String, bool) {
        let default = || self.mappings.default_environment.clone();
        match (
            self.inventory,
            self.inventory.and_then(|inv| inv.account(account)),
        ) {
            (_, Some(a)) => (a.environment.clone(), true),
            (Some(_), None) => (default(), false),
            // Without an inventory, several accounts would collide in one environment: each
            // account's id is then its environment.
            (None, None) if self.split_by_account && !account.is_empty() => {
                (account.to_string(), true)
            }
            (None, None) => (default(), true),
        }
    }

    /// The variables of the name templates of `app` in `environment`.
    pub(crate) fn names<'b>(
        &self,
        app: &'b str,
        environment: &'b str,
        id: &'b Identity,
        family: &'b str,
    ) -> names::NameContext<'b>
    where
        'a: 'b,
    {
        let account = self.inventory.and_then(|inv| inv.account(&id.account));
        names::NameContext {
            service: app,
            environment,
            account: &id.account,
            account_name: account
                .and_then(|a| a.name.as_deref())
                .unwrap_or(&id.account),
            region: &id.region,
            cluster: &id.cluster,
            family,
        }
    }
}

/// The environment of a workload in `account`, and the finding when the inventory does not
/// know the account.
fn environment_of(account: &str, ctx: &Context<'_>, findings: &mut Findings) -> String {
    let (environment, known) = Naming::of(ctx).environment(account);
    if !known {
        findings.push(
            Code::UnknownAccount,
            "",
            format!(
                "account {} is not in the inventory; environment {environment} was used",
                if account.is_empty() {
                    "(unknown)"
                } else {
                    account
                },
            ),
        );
    }
    environment
}

/// Translates one task definition, with the service that runs it and the scheduled runs it owns.
pub fn convert(
    td: &Sourced<TaskDefinition>,
    service: Option<&Sourced<Service>>,
    runs: &Runs<'_>,
    ctx: &Context<'_>,
) -> Translated {
    let mut findings = Findings::default();
    // Identified as planned (`passes`), translated with the mappings' task-level fields.
    let td_id = td.value.identity();
    let filled = task_defaults::fill(td, ctx.mappings, &mut findings);
    let td = filled.as_ref();
    let service_id = service.map(|s| s.value.identity());
    let id = Identity::of(&td_id.place, service_id.as_ref());
    let account = ctx.inventory.and_then(|inv| inv.account(&id.account));
    let environment = environment_of(&id.account, ctx, &mut findings);
    let service_name = service_name(&td_id, service_id.as_ref());
    let app = renamed_app(td, service, service_name, ctx.mappings, &mut findings);
    let family = td.value.family.as_deref().unwrap_or("");
    let names = Naming::of(ctx).names(&app, &environment, &id, family);
    let mut workload = Workload {
        app: app.clone(),
        environment: environment.clone(),
        team: account.and_then(|a| a.team.clone()).unwrap_or_default(),
        account: id.account.clone(),
        region: id.region.clone(),
        cluster: id.cluster.clone(),
        inputs: inputs_read(td, service, ctx.inputs),
        ..Workload::default()
    };
    findings.input = td.input.clone();
    let view = pod::view(td, ctx.mappings, &mut findings);
    let mut secret_reads = secrets::reads(&view.td.value, &id.account, &id.region);
    // The name template's failure is the translation's finding (secrets::apply).
    let moved = secrets::moved_secret(
        &view.td.value,
        &ctx.mappings.external_secrets,
        &app,
        &environment,
        &id.account,
        &id.region,
    );
    if let Ok(Some(m)) = moved {
        secret_reads.push(secrets::moved_read(&m));
        workload.moved_secret = Some(Box::new(m));
    }
    let mut objects = Vec::new();
    let pod = (view.td.as_ref(), view.log_router.as_ref());
    match workload::build(pod, service, runs, ctx, &names, &mut findings) {
        Ok(built) => {
            workload.role = built.role.map(Box::new);
            workload.log_outputs = built.log_outputs;
            workload.dns_calls = built.calls;
            let (namespace, built) = (built.namespace, built.objects);
            let from = (&view.td.value, service);
            objects = complete(&mut workload, namespace, built, from, ctx, &mut findings);
            findings.input = td.input.clone();
            let cluster = ctx.clusters.of(&environment);
            workload.facts.foreign_images = images::foreign(
                &view.td.value,
                &td.path,
                cluster,
                &id.account,
                &mut findings,
            );
            // Fargate gives each pod a network interface of its own: no node's branch ENI.
            if workload.facts.security_group_policy && platform::fargate(td, service).is_none() {
                workload.footprint.branch_eni_pods = workload.footprint.pod_ips;
            }
        }
        Err(message) => findings.push(Code::NameTemplate, "", message),
    }
    add_finding_inputs(&mut workload, &findings);
    workload.findings = findings.list.into_iter().collect();
    Translated {
        workload,
        objects,
        secret_reads,
    }
}

/// Adds the inputs other than the service and task definition (autoscaling, schedules) that the
/// workload's findings come from.
fn add_finding_inputs(workload: &mut Workload, findings: &Findings) {
    for f in &findings.list {
        if !f.input.is_empty() && !workload.inputs.iter().any(|i| **i == *f.input) {
            workload.inputs.push(diagnostics::shared(&f.input));
        }
    }
}

/// The app of `service_name`; a finding when it is named differently in Kubernetes without the
/// mappings saying so (services named differently per environment are merged into one app by
/// the mappings).
fn renamed_app(
    td: &Sourced<TaskDefinition>,
    service: Option<&Sourced<Service>>,
    service_name: &str,
    mappings: &Mappings,
    findings: &mut Findings,
) -> String {
    let app = app_name(service_name, mappings);
    if app != service_name && !mappings.services.rename.contains_key(service_name) {
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
    app
}

/// The files the workload is read from: its service's, its task definition's, and those of the
/// load balancers the service names.
fn inputs_read(
    td: &Sourced<TaskDefinition>,
    service: Option<&Sourced<Service>>,
    inputs: &Inputs,
) -> Vec<Arc<str>> {
    let mut files = vec![diagnostics::shared(&td.input)];
    if let Some(s) = service {
        files.insert(0, diagnostics::shared(&s.input));
    }
    files.dedup();
    if let Some(s) = service {
        files.extend(ingress::inputs_used(&s.value, inputs));
    }
    files
}

/// The workload's objects in their final order, with the ExternalName Services its service's
/// discovery names may add; fills what the workload says about them (namespace, DNS names,
/// footprint, facts).
fn complete(
    workload: &mut Workload,
    namespace: String,
    mut built: Vec<Object>,
    (td, service): (&TaskDefinition, Option<&Sourced<Service>>),
    ctx: &Context<'_>,
    findings: &mut Findings,
) -> Vec<Object> {
    if let Some(s) = service {
        findings.input = s.input.clone();
        let mappings = ctx.mappings;
        let app = &workload.app;
        let meta = |name: &str| ObjectMeta {
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
            app,
            namespace: &namespace,
            objects: &built,
            external_name: mappings.discovery.external_name,
            meta: &meta,
        };
        let ports: Vec<(Box<str>, i64)> = td.ports().collect();
        let (at, inputs) = (s.path.as_str(), (ports.as_slice(), ctx.inputs));
        workload.dns_names =
            discovery::renames(&s.value, at, inputs, &target, &mut extra, findings);
        built.extend(extra);
    }
    built.sort_by(|a, b| (a.kind_rank(), &a.metadata.name).cmp(&(b.kind_rank(), &b.metadata.name)));
    workload.namespace = namespace;
    let desired = service.and_then(|s| s.value.desired_count);
    workload.footprint = footprint::of(&built, desired);
    workload.facts = facts::of(&built);
    built
}
