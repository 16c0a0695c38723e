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
pub mod facts;
pub mod footprint;
mod held;
pub mod iam;
mod ingress;
mod logging;
pub mod names;
mod network;
mod placement;
mod plan;
mod probes;
mod resources;
mod rollout;
mod schedules;
mod secrets;
mod volumes;
mod workload;

pub use held::{Held, Workloads};

use plan::{Job, missing_app_name, service_name};

use crate::diagnostics::{
    Code, Finding, Findings, FindingsFile, Severity, Spilled, WorkloadFindings,
};
use crate::error::InputError;
use crate::import::{Inputs, Kept, Sourced};
use crate::inventory::Inventory;
use crate::mappings::Mappings;
use crate::model::ecs::{Place, Service, ServiceIdentity, TaskDefinition, TaskDefinitionIdentity};
use crate::model::k8s::Object;
use crate::model::secret_access::{self, SecretAccess, SecretRead};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// The result of a conversion: workloads, sorted by app and environment, and the inputs that
/// could not be read.
#[derive(Debug, Default)]
pub struct Conversion {
    pub workloads: Workloads,
    pub errors: Vec<InputError>,
    /// The IAM roles the pods get, for `export::terraform`.
    pub iam: iam::IamPlan,
    /// ClusterSecretStores, shared by the apps of an environment (cluster): written once, apart
    /// from every app's overlay. Sorted by environment, then name.
    pub secret_stores: Vec<SharedStore>,
    /// What External Secrets Operator must be able to read, per AWS account (sorted).
    pub secret_access: Vec<SecretAccess>,
}

/// A ClusterSecretStore shared by the apps of one environment, limited to the namespaces that use
/// it. Those wait apart from the object (in a large run, in the run's file: a store may serve
/// every app of an environment), to be streamed into its `spec.conditions` where it is written
/// (`with_namespaces` puts them there).
#[derive(Debug, Clone)]
pub struct SharedStore {
    pub environment: String,
    /// The store, without its `conditions`.
    pub object: Object,
    pub namespaces: crate::diagnostics::SpillSet,
}

impl SharedStore {
    /// The store with its conditions: only the namespaces that use it may read through it.
    /// `namespaces`: the list to put there (the namespaces, or a marker to splice them into).
    pub fn with_conditions(&self, namespaces: Vec<String>) -> Object {
        let mut object = self.object.clone();
        if let Some(spec) = object
            .body_mut()
            .get_mut("spec")
            .and_then(serde_json::Value::as_object_mut)
        {
            let conditions = serde_json::json!([{ "namespaces": namespaces }]);
            spec.insert("conditions".into(), conditions);
        }
        object
    }

    /// The whole store, its namespaces read back.
    pub fn with_namespaces(&self) -> std::io::Result<Object> {
        let namespaces = self.namespaces.iter().collect::<std::io::Result<_>>()?;
        Ok(self.with_conditions(namespaces))
    }
}

/// One ECS service (or lone task definition) in one environment, as Kubernetes objects.
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
    /// The input files it was made from.
    pub inputs: Vec<String>,
    /// Sorted by kind, then name.
    pub objects: Vec<Object>,
    pub findings: Vec<Finding>,
    /// The secrets and parameters its pods read through External Secrets Operator (moved to the
    /// conversion's `secret_access` as its app is converted).
    pub secret_reads: Vec<SecretRead>,
    /// The IAM role its pods get (None: no task role, or not converted).
    pub role: Option<iam::HeldRole>,
    /// Old service discovery names (Cloud Map, Service Connect) → Kubernetes Service DNS names.
    pub dns_names: Vec<discovery::DnsRename>,
    /// What its pods ask of the cluster, for the capacity summary.
    pub footprint: footprint::Footprint,
    /// What later passes read of its objects (a large run drops the objects once written).
    pub facts: facts::ObjectFacts,
    /// Where its findings went when a large run moved them to a file (`Conversion::findings`);
    /// `findings` then holds only those added since.
    pub spilled: Option<Spilled>,
}

impl Workload {
    /// `converted` (nothing to review), `review` (warnings) or `failed` (errors: no objects).
    pub fn status(&self) -> &'static str {
        status_of(self.worst())
    }

    /// The worst of its findings, in memory or in the findings file.
    pub fn worst(&self) -> Option<Severity> {
        let in_memory = self.findings.iter().map(|f| f.severity).max();
        in_memory.max(self.spilled.and_then(|s| s.worst))
    }

    pub fn failed(&self) -> bool {
        self.status() == "failed"
    }

    /// `app (environment)`: who reads a secret, in the policies' comments.
    pub fn reader(&self) -> String {
        format!("{} ({})", self.app, self.environment)
    }
}

/// A workload's status from its worst finding.
fn status_of(worst: Option<Severity>) -> &'static str {
    match worst {
        Some(Severity::Error) => "failed",
        Some(Severity::Warning) => "review",
        _ => "converted",
    }
}

impl Conversion {
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || (0..self.workloads.len()).any(|i| self.workloads.failed(i))
    }

    pub fn has_warnings(&self) -> bool {
        (0..self.workloads.len()).any(|i| self.workloads.status(i) != "converted")
    }

    /// Every finding of `w`: those moved to the findings file (in a large run), then those
    /// added since.
    pub fn findings<'a>(&'a self, w: &'a Workload) -> WorkloadFindings<'a> {
        WorkloadFindings {
            file: self.workloads.file().map(|f| &**f).zip(w.spilled.as_ref()),
            in_memory: &w.findings,
        }
    }
}

/// Where a workload runs in AWS, read from its ARNs.
#[derive(Debug, Clone, Default)]
struct Identity {
    account: String,
    region: String,
    cluster: String,
}

impl Identity {
    /// The service's place first, then its task definition's.
    fn of(td: &Place, service: Option<&ServiceIdentity>) -> Identity {
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

/// Converts everything that was read. `inventory` is None when the user gave none.
pub fn translate(inputs: Inputs, mappings: &Mappings, inventory: Option<&Inventory>) -> Conversion {
    translate_each(inputs, mappings, inventory, None, &|_, _| {})
}

/// Told how far a conversion is: (apps done, apps in all), first with 0 done, then after each
/// app, from any thread. For a progress bar; the library itself prints nothing.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// How a large run (`convert --out`) takes the conversion as it goes.
pub struct Streaming<'a> {
    /// Each app's workloads (all its environments, sorted, duplicates failed), as soon as they
    /// are converted, in parallel. What later passes add (shared IAM roles, shared secret
    /// stores) are findings and shared objects, never an app's own objects, so it can render
    /// the app's files right away: the objects are dropped after it. ClusterSecretStores are not
    /// among them: they are taken out before, and the conversion has them, shared, in
    /// `secret_stores`.
    pub on_app: &'a (dyn Fn(&mut [Workload]) + Sync),
    /// The IAM roles, a chunk at a time, in order (`iam::plan_each`); the conversion's plan
    /// holds only their folders.
    pub on_roles: &'a mut dyn FnMut(Vec<iam::IamRole>),
    /// Where each workload goes once `on_app` has had it (`Held::moved`); None: they stay in
    /// memory.
    pub file: Option<Arc<FindingsFile>>,
}

/// `translate`, handing the conversion to `streaming` as it goes.
pub fn translate_each(
    mut inputs: Inputs,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    streaming: Option<Streaming>,
    progress: Progress,
) -> Conversion {
    let (on_app, on_roles, file) = match streaming {
        Some(s) => (s.on_app, Some(s.on_roles), s.file),
        None => (
            &(|_: &mut [Workload]| {}) as &(dyn Fn(&mut [Workload]) + Sync),
            None,
            None,
        ),
    };
    // Role bindings wait in the run's file until planned: the stream's, where the workloads go
    // too (`Held` reads them back with it), else the first read's.
    let role_file = file.clone().or_else(|| inputs.findings_file.clone());
    let with_clusters;
    let mappings = match inventory.filter(|i| !i.environments.is_empty()) {
        Some(inv) => {
            with_clusters = clusters_from_inventory(mappings, inv);
            &with_clusters
        }
        None => mappings,
    };
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

    // Task definitions and services are the bulk of the inputs: taken out, and read back (from
    // the run's file, where `read_files` parked them) as they are planned and converted.
    let tds = std::mem::take(&mut inputs.task_definitions);
    let services = std::mem::take(&mut inputs.services);
    let parked_in = inputs.findings_file.clone();
    let mut plan = plan::plan(
        &inputs,
        &tds,
        &services,
        parked_in.as_ref(),
        role_file.clone(),
        mappings,
        inventory.is_some(),
    );
    errors.append(&mut plan.errors);
    let no_runs = Vec::new();
    let others = workload::Others {
        inputs: &inputs,
        alb_owners: &plan.alb_owners,
    };
    let split_by_account = plan.split_by_account;
    use rayon::prelude::*;
    // Jobs grouped by app: an app's environments are converted together and handed to `on_app`
    // at once, then frozen, so a caller can render them while the rest is being converted.
    let groups = plan.groups();
    let (done, total) = (AtomicUsize::new(0), groups.len());
    progress(0, total);
    let stores = secrets::StorePool::new(file.clone());
    // What External Secrets Operator reads, grouped as each app is converted (no finding added
    // later is an error, so which workloads failed is known by then).
    let access = Mutex::new(secret_access::Grouping::new(file.clone()));
    // Inputs that could not be read back when converted: errors of the run.
    let unread = Mutex::new(Vec::new());
    // A slot per job, each app's in a slice of its own: each workload goes straight to its place
    // in the conversion's order (a list per app, or collecting them, would hold them twice). A
    // job whose inputs could not be read back leaves its slot empty.
    let mut slots: Vec<Option<Held>> = Vec::new();
    slots.resize_with(plan.jobs.len(), || None);
    let mut apps_slots = Vec::with_capacity(groups.len());
    let mut rest = slots.as_mut_slice();
    for group in &groups {
        let (here, after) = std::mem::take(&mut rest).split_at_mut(group.len());
        apps_slots.push(here);
        rest = after;
    }
    groups
        .par_iter()
        .zip(apps_slots)
        .enumerate()
        .for_each(|(g, (group, app_slots))| {
            let mut ws: Vec<Workload> = group
                .iter()
                .filter_map(|&job| {
                    let converted = match plan.jobs[job as usize] {
                        Job::Convert {
                            task_definition,
                            service,
                            owns_schedules,
                        } => {
                            let td = tds[task_definition].get(task_definition, parked_in.as_ref());
                            let service = service
                                .map(|k| services[k].get(k, parked_in.as_ref()))
                                .transpose();
                            let runs = match owns_schedules {
                                true => plan.runs_by_td.get(&task_definition).unwrap_or(&no_runs),
                                false => &no_runs,
                            };
                            td.and_then(|td| Ok((td, service?))).map(|(td, service)| {
                                let service = service.as_deref();
                                // Read again in full (files are kept by identity between reads).
                                let whole = crate::import::whole(&td).and_then(|t| {
                                    let s = service.map(crate::import::whole);
                                    Ok((t, s.transpose()?))
                                });
                                match whole {
                                    Ok((whole_td, whole_service)) => convert_one(
                                        Whole {
                                            td: &whole_td,
                                            td_id: &td.id,
                                            service: whole_service.as_deref(),
                                            service_id: service.map(|s| &s.id),
                                        },
                                        runs,
                                        split_by_account,
                                        &others,
                                        mappings,
                                        inventory,
                                    ),
                                    Err(e) => unreadable(&td, service, e, mappings),
                                }
                            })
                        }
                        Job::Missing(k) => services[k]
                            .get(k, parked_in.as_ref())
                            .map(|s| missing_task_definition(&s, mappings)),
                    };
                    converted
                        .map_err(|e| unread.lock().expect("no conversion panics").push(e))
                        .ok()
                })
                .collect();
            ws.sort_by(|a, b| (&a.app, &a.environment).cmp(&(&b.app, &b.environment)));
            fail_duplicates(&mut ws);
            stores.take(g, &mut ws);
            {
                let mut access = access.lock().expect("no conversion panics");
                for w in ws.iter_mut().filter(|w| !w.failed()) {
                    access.add(&std::mem::take(&mut w.secret_reads), &w.reader());
                }
            }
            for w in &mut ws {
                w.facts = facts::ObjectFacts::of(&w.objects);
                // Its binding waits in the findings file until the roles are planned (after
                // every app).
                if let (Some(role), Some(file)) = (&mut w.role, &role_file) {
                    role.move_to(file);
                }
            }
            on_app(&mut ws);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            let held = ws.into_iter().map(|mut w| match &file {
                // Written: what later passes read of it waits in the file.
                Some(file) => {
                    w.objects = Vec::new();
                    Held::moved(w, file)
                }
                // Kept until rendered, frozen to stay small; later passes read through `body()`.
                None => {
                    w.objects.iter_mut().for_each(Object::freeze);
                    Held::Here(Box::new(w))
                }
            });
            for (slot, held) in app_slots.iter_mut().zip(held) {
                *slot = Some(held);
            }
        });
    errors.extend(unread.into_inner().expect("no conversion panics"));
    // Where each group's workloads start in the conversion's order.
    let mut offsets = Vec::with_capacity(groups.len());
    let mut start = 0;
    let mut taken = 0;
    for group in &groups {
        offsets.push(taken);
        let app_slots = &slots[start..start + group.len()];
        taken += app_slots.iter().filter(|s| s.is_some()).count();
        start += group.len();
    }
    // In place: the slots' buffer becomes the workloads' (`filter_map` is collected in place,
    // `flatten` is not).
    #[allow(clippy::filter_map_identity)]
    let held: Vec<Held> = slots.into_iter().filter_map(|slot| slot).collect();
    let mut workloads = Workloads::new(held, file);
    drop((plan, tds, services));
    let secret_stores = stores.share(&mut workloads, &offsets, &access);
    let (iam, unread) = match on_roles {
        Some(on_roles) => {
            let (directories, unread) = iam::plan_each(&mut workloads, &inputs, on_roles);
            let roles = Vec::new();
            (iam::IamPlan { roles, directories }, unread)
        }
        None => iam::plan(&mut workloads, &inputs),
    };
    errors.extend(unread);
    let mut secret_access = access
        .into_inner()
        .expect("no conversion panics")
        .finish(&mappings.external_secrets.kms_keys);
    for a in &mut secret_access {
        let name = inventory
            .and_then(|i| i.account(&a.account))
            .and_then(|acc| acc.name.as_deref())
            .unwrap_or(if a.account.is_empty() {
                "unknown"
            } else {
                &a.account
            });
        a.directory = iam::account_directory(name);
    }
    Conversion {
        workloads,
        errors,
        iam,
        secret_stores,
        secret_access,
    }
}

/// A task definition or service that could not be read again when converted (its file changed
/// or went away during the run): a failed workload, under the app it would have been.
fn unreadable(
    td: &Kept<TaskDefinition>,
    service: Option<&Kept<Service>>,
    error: InputError,
    mappings: &Mappings,
) -> Workload {
    let id = Identity::of(&td.id.place, service.map(|s| &s.id));
    let mut inputs: Vec<String> = service.map(|s| s.input.to_string()).into_iter().collect();
    inputs.push(td.input.to_string());
    let mut finding = Finding::new(Code::InputChanged, "", error.to_string());
    finding.input = error.input().to_string();
    let app = app_name(service_name(&td.id, service.map(|s| &s.id)), mappings);
    failed_before_translation(app, id, inputs, finding, mappings)
}

/// The same app in the same environment twice: the first is kept, the others fail.
fn fail_duplicates(workloads: &mut [Workload]) {
    for i in 1..workloads.len() {
        let (before, rest) = workloads.split_at_mut(i);
        let prev = &before[i - 1];
        let cur = &mut rest[0];
        if prev.app == cur.app && prev.environment == cur.environment && !prev.failed() {
            cur.objects.clear();
            cur.role = None;
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
}

/// The app a service (or lone task definition) becomes: its name, renamed by the mappings, as a
/// DNS-1123 label.
fn app_name(service_name: &str, mappings: &Mappings) -> String {
    let renamed = mappings
        .services
        .rename
        .get(service_name)
        .map(String::as_str);
    names::dns_label(renamed.unwrap_or(service_name), "app")
}

/// The inventory's per-environment cluster facts (OIDC issuer, name, account) fill what the
/// mappings' `iam.clusters.<env>` leaves unset, so IAM reads one place.
fn clusters_from_inventory(mappings: &Mappings, inventory: &Inventory) -> Mappings {
    let mut m = mappings.clone();
    for (env, e) in &inventory.environments {
        let c = m.iam.clusters.entry(env.clone()).or_default();
        c.oidc_issuer = c.oidc_issuer.take().or_else(|| e.oidc_issuer.clone());
        c.name = c.name.take().or_else(|| e.cluster_name.clone());
        c.account = c.account.take().or_else(|| e.cluster_account.clone());
    }
    m
}

fn missing_task_definition(service: &Kept<Service>, mappings: &Mappings) -> Workload {
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
    failed_before_translation(app, id, vec![service.input.to_string()], finding, mappings)
}

/// A workload that failed before it could be translated: no objects, one error finding, in the
/// default environment (its account is not known to be in the inventory).
fn failed_before_translation(
    app: String,
    id: Identity,
    inputs: Vec<String>,
    finding: Finding,
    mappings: &Mappings,
) -> Workload {
    Workload {
        environment: mappings.default_environment.clone(),
        app,
        account: id.account,
        region: id.region,
        cluster: id.cluster,
        inputs,
        findings: vec![finding],
        ..Workload::default()
    }
}

/// A workload's task definition and service read whole, with the identities its app was planned
/// by (kept from the first read, so a value read again lands in the app it was grouped into).
struct Whole<'a> {
    td: &'a Sourced<TaskDefinition>,
    td_id: &'a TaskDefinitionIdentity,
    service: Option<&'a Sourced<Service>>,
    service_id: Option<&'a ServiceIdentity>,
}

fn convert_one(
    whole: Whole<'_>,
    runs: &[(schedules::Run<'_>, Option<i64>)],
    split_by_account: bool,
    others: &workload::Others<'_>,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Workload {
    let inputs = others.inputs;
    let mut findings = Findings::default();
    let Whole {
        td,
        td_id,
        service,
        service_id,
    } = whole;
    let id = Identity::of(&td_id.place, service_id);
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
        // Without an inventory, several accounts would collide in one environment: each
        // account's id is then its environment.
        (None, None) if split_by_account && !id.account.is_empty() => id.account.clone(),
        (None, None) => mappings.default_environment.clone(),
    };
    let family = td.value.family.as_deref().unwrap_or("");
    let service_name = service_name(td_id, service_id);
    // Services named differently per environment are merged into one app by the mappings.
    let renamed = mappings.services.rename.get(service_name);
    let app = app_name(service_name, mappings);
    if app != service_name && renamed.is_none() {
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
    if let Some(s) = service {
        files.extend(ingress::inputs_used(&s.value, inputs));
    }
    let mut workload = Workload {
        app: app.clone(),
        environment: environment.clone(),
        team: account.and_then(|a| a.team.clone()).unwrap_or_default(),
        account: id.account.clone(),
        region: id.region.clone(),
        cluster: id.cluster.clone(),
        inputs: files,
        secret_reads: secrets::reads(&td.value, &id.account, &id.region),
        ..Workload::default()
    };
    match workload::build(td, service, runs, others, mappings, &ctx, &mut findings) {
        Ok((namespace, mut objects, role)) => {
            workload.role = role.map(|r| iam::HeldRole::Here(Box::new(r)));
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
            workload.footprint = footprint::of(&objects);
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
