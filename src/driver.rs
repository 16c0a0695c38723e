//! The order of the stages, and nothing else: the apps are planned from what was read, then
//! converted app by app on every core (each task definition and service read again whole as its
//! app comes, each app handed to `export::Apps` as soon as it is converted, so a large run never
//! holds every input or the repository), then the passes that need every app. No stage calls
//! another; they meet here.

use crate::diagnostics::Code;
use crate::error::InputError;
use crate::export::Apps;
use crate::import;
use crate::inventory::Inventory;
use crate::mappings::Mappings;
use crate::model::ecs::{Service, TaskDefinition};
use crate::model::read::Inputs;
use crate::model::target::cluster::Clusters;
use crate::model::target::iam::account_directory;
use crate::model::target::{Conversion, Translated, Workload};
use crate::translate::passes::apps::{Job, Plan};
use crate::translate::passes::store_sharing::{self, SharedPool, share_stores};
use crate::translate::passes::{
    apps, cross_account, dns_directory, iam_plan, secret_access, tenancy,
};
use crate::translate::{self, Context, Naming};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Told how far a conversion is: (apps done, apps in all), first with 0 done, then after each
/// app, from any thread. For a progress bar; the library itself prints nothing.
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// Converts everything `read` holds, handing each app to `apps` as soon as it is converted.
/// `inventory` is None when the user gave none.
pub fn convert(
    read: Inputs,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
    apps: &dyn Apps,
    progress: Progress,
) -> Conversion {
    let with_clusters;
    let mappings = match inventory.filter(|i| !i.environments.is_empty()) {
        Some(inv) => {
            with_clusters = translate::with_inventory_clusters(mappings, inv);
            &with_clusters
        }
        None => mappings,
    };
    let clusters = Clusters::new(mappings, inventory);
    let mut errors = input_errors(&read);
    let plan = apps::plan(&read, mappings, inventory.is_some());
    errors.extend(plan.errors.iter().cloned());
    let naming = Naming {
        mappings,
        inventory,
        split_by_account: plan.split_by_account,
    };
    let directory = dns_directory::build(&read, &plan, naming);
    let ctx = Context {
        inputs: &read,
        mappings,
        inventory,
        clusters: &clusters,
        alb_owners: &plan.alb_owners,
        split_by_account: plan.split_by_account,
        directory: &directory,
    };
    let shared = Shared::default();
    let (done, total) = (AtomicUsize::new(0), plan.apps.len());
    progress(0, total);
    use rayon::prelude::*;
    // Each app writes its workloads into its own part of one list made to measure: lists per
    // app, joined at the end, held every workload's fixed-size part twice just when the most is
    // held (at N = 5,000 of the bench, 148-150 MiB at peak instead of 141-142).
    let mut workloads: Vec<Workload> = std::iter::repeat_with(Workload::default)
        .take(plan.apps.iter().map(Vec::len).sum())
        .collect();
    plan.apps
        .par_iter()
        .zip(app_parts(&plan, &mut workloads))
        .for_each(|(jobs, (first, part))| {
            let mut app: Vec<Translated> = jobs
                .iter()
                .map(|job| convert_job(*job, &read, &plan, &ctx))
                .collect();
            shared.take(first, &mut app, &ctx);
            apps.app(first, &mut app);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            // Each workload is kept as a copy made to measure. Its texts and lists grew while it
            // was translated and while its app's passes added to it, and mimalloc shrinks a block
            // in place while at least half of it is used; a copy allocates each at its length.
            // At N = 20,000 of the bench the peak is 60 MiB lower (680 MiB instead of 740).
            for (kept, t) in part.iter_mut().zip(app) {
                *kept = t.workload.clone();
            }
        });
    // Only the IAM plan reads inputs from here on; a large run's load balancers, schedules and
    // identities (tens of MB) go now.
    drop(plan);
    let read = read.iam_only();
    crate::allocator::give_back_freed_memory();
    let conversion = after_apps(shared, workloads, &read, &clusters, mappings, inventory);
    crate::diagnostics::forget_unused_texts();
    Conversion {
        errors,
        clusters,
        ..conversion
    }
}

/// The passes that need every app: the shared objects, the IAM plan, what ESO reads and what
/// else crosses accounts, per Terraform root; the run's notes.
fn after_apps(
    shared: Shared,
    mut workloads: Vec<Workload>,
    read: &Inputs,
    clusters: &Clusters,
    mappings: &Mappings,
    inventory: Option<&Inventory>,
) -> Conversion {
    let mut access = shared.access.into_inner().expect("no conversion panics");
    let secret_stores = share_stores(shared.stores, &mut workloads, &mut access, clusters);
    let ingress_classes = shared.ingress_classes.share(&mut workloads);
    let ingress_classes = ingress_classes.into_iter().map(|(o, _)| o).collect();
    let iam_directory = |account: &str| account_directory(account_name(inventory, account));
    let iam_roles = iam_plan::plan(&mut workloads, read, clusters, &iam_directory);
    let mut secret_access = access.finish(&mappings.external_secrets.kms_keys);
    for a in &mut secret_access {
        a.directory = iam_directory(&a.account);
    }
    let cross_account = cross_account::plan(&workloads, clusters, &iam_directory);
    let notes = tenancy::notes(&workloads, mappings);
    Conversion {
        notes,
        workloads,
        iam_roles,
        secret_stores,
        ingress_classes,
        secret_access,
        cross_account,
        ..Conversion::default()
    }
}

/// Each app's part of `workloads`, with where it starts: every job makes one workload, in the
/// conversion's order.
fn app_parts<'w>(plan: &Plan, workloads: &'w mut [Workload]) -> Vec<(usize, &'w mut [Workload])> {
    let (mut parts, mut first, mut rest) = (Vec::with_capacity(plan.apps.len()), 0, workloads);
    for jobs in &plan.apps {
        let (part, after) = rest.split_at_mut(jobs.len());
        parts.push((first, part));
        (first, rest) = (first + jobs.len(), after);
    }
    parts
}

/// The errors of the inputs: those that could not be read, and describe-services' failures.
fn input_errors(read: &Inputs) -> Vec<InputError> {
    let mut errors = read.errors.clone();
    errors.extend(read.service_failures.iter().map(|failure| {
        let text = |key: &str| failure.value.get(key).and_then(|a| a.as_str());
        let (arn, reason) = (text("arn").unwrap_or("?"), text("reason").unwrap_or("?"));
        InputError::Unconvertible {
            input: failure.input.clone(),
            message: format!(
                "at `{}`: describe-services failed for {arn}: {reason}",
                failure.path
            ),
        }
    }));
    errors
}

/// The account's name in the inventory, or its id (`unknown` when not even that is known).
fn account_name<'a>(inventory: Option<&'a Inventory>, account: &'a str) -> &'a str {
    let named = inventory
        .and_then(|i| i.account(account))
        .and_then(|a| a.name.as_deref());
    match named {
        Some(name) => name,
        None if account.is_empty() => "unknown",
        None => account,
    }
}

/// What the apps share, gathered as each is converted (from any thread).
struct Shared {
    stores: SharedPool,
    ingress_classes: SharedPool,
    access: Mutex<secret_access::Grouping>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            stores: SharedPool::new(store_sharing::STORES, Code::StoreConflict),
            ingress_classes: SharedPool::new(
                store_sharing::INGRESS_CLASSES,
                Code::IngressGroupConflict,
            ),
            access: Mutex::default(),
        }
    }
}

impl Shared {
    /// Settles one app's translations (sorted, duplicates failed) and takes what the apps share
    /// out of them: the ClusterSecretStores, the IngressGroups' classes, and what External
    /// Secrets Operator must read.
    fn take(&self, first: usize, app: &mut [Translated], ctx: &Context) {
        app.sort_by(|a, b| {
            let (a, b) = (&a.workload, &b.workload);
            (&a.app, &a.environment).cmp(&(&b.app, &b.environment))
        });
        translate::fail_duplicates(app);
        self.stores.take(first, app, ctx.clusters);
        self.ingress_classes.take(first, app, ctx.clusters);
        let mut access = self.access.lock().expect("no conversion panics");
        for t in app.iter().filter(|t| !t.workload.failed()) {
            let w = &t.workload;
            let reader = secret_access::Reader {
                name: w.reader(),
                environment: &w.environment,
                account: &w.account,
                cluster: ctx.clusters.of(&w.environment),
                direct: ctx.mappings.external_secrets.role.is_none(),
            };
            access.add(&t.secret_reads, &reader);
        }
    }
}

/// One job's translation, its task definition and service read again whole first.
fn convert_job(job: Job, read: &Inputs, plan: &Plan, ctx: &Context) -> Translated {
    match job {
        Job::Convert {
            task_definition,
            service,
            owns_schedules,
        } => {
            let td_at = &read.task_definitions[task_definition];
            let service_at = service.map(|k| &read.services[k]);
            let runs = match owns_schedules {
                true => plan.runs_by_td.get(&task_definition).map(Vec::as_slice),
                false => None,
            };
            let td = import::read_again::<TaskDefinition>(td_at);
            let service = service_at.map(import::read_again::<Service>).transpose();
            match (td, service) {
                (Ok(td), Ok(service)) => {
                    translate::convert(&td, service.as_ref(), runs.unwrap_or_default(), ctx)
                }
                (Err(e), _) | (_, Err(e)) => {
                    translate::unreadable(td_at, service_at, e, ctx.mappings)
                }
            }
        }
        Job::Missing(k) => translate::missing_task_definition(&read.services[k], ctx.mappings),
    }
}
