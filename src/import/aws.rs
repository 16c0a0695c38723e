//! `ecs2eks import`: reads live AWS accounts through the AWS SDK into a snapshot folder of the
//! JSON files `convert` reads (the JSON the AWS CLI prints for the same calls).
//!
//! Per account of the inventory: credentials (the inventory's `assumeRoleArn` through STS, or the
//! ambient credential chain), checked against the account id; then per region one *unit* reads
//! ECS (and the services' load balancers, roles, scaling, schedules and Cloud Map names). A unit either completes or fails as a
//! whole; one failing unit or account never stops the others, and each failure is an
//! `ImportError` that the report prints as one stable line. Only read-only APIs are called (see
//! docs/import.md for the IAM policy).
//!
//! The library returns the files and a report, and keeps a failed unit's files of the previous
//! import from the list it is given; `ecs2eks::import_into` reads and writes the folder.

/// A service client's configuration: the base, the unit's region and credentials, the counter.
macro_rules! client {
    ($sdk:ident, $base:expr, $region:expr, $credentials:expr, $counter:expr) => {
        $sdk::Client::from_conf(
            $sdk::config::Builder::from($base)
                .region(Region::new($region.to_string()))
                .credentials_provider($credentials.clone())
                .interceptor($counter.clone())
                .build(),
        )
    };
}

/// Every item of every page of a paginated call (`$request`, a fluent builder), or the error of
/// the page that failed; `$call` (a `Call`, evaluated on failure) says where it happened.
macro_rules! all_items {
    ($request:expr, $call:expr) => {
        $request
            .into_paginator()
            .items()
            .send()
            .try_collect()
            .await
            .map_err(|e| $call.failed(&e))
    };
}

/// Sends `$request` (a fluent builder) with a `BodyCapture`: `(output, the answer's body as JSON)`.
/// `$call` (a `Call`, evaluated on failure) says where a failure happened.
macro_rules! send_captured {
    ($request:expr, $call:expr) => {{
        let capture = $crate::import::aws::calls::BodyCapture::default();
        let output = $request
            .customize()
            .interceptor(capture.clone())
            .send()
            .await
            .map_err(|e| $call.failed(&e))?;
        let body = capture.json().map_err(|e| $call.unreadable(e))?;
        (output, body)
    }};
}

pub mod calls;
mod cloud_map;
mod credentials;
mod ecs;
mod elbv2;
pub mod error;
mod iam;
pub mod json;
mod mapped;
pub mod organizations;
mod scaling;

use crate::inventory::{Account, Inventory};
use aws_config::meta::region::RegionProviderChain;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ecs::config::{Region, SharedCredentialsProvider};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
pub use calls::{CallCount, CallCounter};
pub use error::{Call, ImportError, ProfileNote, SnapshotError};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;

pub use ecs::DESCRIBE_SERVICES_BATCH;

/// The report's file name, at the top of the snapshot.
pub const REPORT_FILE: &str = "import-report.json";
/// The key that marks the report (and lets `convert` skip it when reading the snapshot).
pub const REPORT_MARKER: &str = "ecs2eksImportReport";
/// The region of the Organizations endpoint, for `inventory init` when none is configured.
pub const ORGANIZATIONS_REGION: &str = "us-east-1";

/// How to import.
#[derive(Debug, Clone)]
pub struct Options {
    /// Regions to read in every account (overrides the inventory's `regions`).
    pub regions: Vec<String>,
    /// Only these clusters (names or ARNs); all when empty.
    pub clusters: Vec<String>,
    /// Send every call here (tests, emulators); `AWS_ENDPOINT_URL` works too.
    pub endpoint_url: Option<String>,
    /// At most this many account/region units at a time, and this many calls in flight per unit.
    pub concurrency: usize,
    /// Keep running counts, events, deployments and timestamps.
    pub keep_volatile: bool,
    /// Timeout of one HTTP attempt.
    pub attempt_timeout: Duration,
    /// Attempts per call (the SDK's standard retry with exponential backoff and jitter).
    pub max_attempts: u32,
    /// Called after each account/region unit (for a progress line on a terminal).
    pub progress: Progress,
}

/// A callback `(units done, units in all, "account region")`; none by default.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<ProgressFn>>);

type ProgressFn = dyn Fn(usize, usize, &str) + Send + Sync;

impl Progress {
    pub fn new(f: impl Fn(usize, usize, &str) + Send + Sync + 'static) -> Progress {
        Progress(Some(Arc::new(f)))
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(..)"
        } else {
            "Progress(none)"
        })
    }
}

/// Counts finished units for the progress callback.
#[derive(Clone)]
struct Tally {
    progress: Progress,
    done: Arc<std::sync::atomic::AtomicUsize>,
    total: usize,
}

impl Tally {
    fn finished(&self, account: &str, region: &str) {
        let done = self.done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if let Some(f) = &self.progress.0 {
            f(done, self.total, &format!("{account} {region}"));
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            regions: Vec::new(),
            clusters: Vec::new(),
            endpoint_url: None,
            concurrency: 4,
            keep_volatile: false,
            attempt_timeout: Duration::from_secs(20),
            max_attempts: 5,
            progress: Progress::default(),
        }
    }
}

/// Files by path relative to the snapshot folder (or to a unit's `<account>/<region>/`).
pub type Files = BTreeMap<String, String>;

/// What an import read: the files (relative path → content) and the report.
#[derive(Debug)]
pub struct Snapshot {
    pub files: Files,
    pub report: Report,
}

/// `import-report.json`.
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Format version of this report.
    #[serde(rename = "ecs2eksImportReport")]
    pub version: u32,
    /// One entry per account and region, in inventory order.
    pub units: Vec<UnitReport>,
    /// What could not be read: each as `{account, region, operation, kind, httpStatus,
    /// errorCode, message}`, the message one line.
    pub failures: Vec<ImportError>,
    /// API calls made, by IAM action.
    pub calls: BTreeMap<String, CallCount>,
}

impl Report {
    pub fn failed(&self) -> bool {
        !self.failures.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UnitReport {
    pub account: String,
    pub region: String,
    /// `read` or `failed`.
    pub status: String,
    pub clusters: Vec<String>,
    pub services: usize,
    pub task_definitions: usize,
    /// IAM roles read (the `global` unit).
    #[serde(skip_serializing_if = "is_zero")]
    pub roles: usize,
    /// Roles a task definition names that do not exist.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing_roles: Vec<String>,
    /// Files written for this unit.
    pub files: usize,
    /// Files of a previous import kept because this unit failed (stale, but not lost).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub kept_from_previous_import: Vec<String>,
}

impl UnitReport {
    fn new(account: &str, region: &str, status: &str) -> UnitReport {
        UnitReport {
            account: account.to_string(),
            region: region.to_string(),
            status: status.to_string(),
            clusters: Vec::new(),
            services: 0,
            task_definitions: 0,
            roles: 0,
            missing_roles: Vec::new(),
            files: 0,
            kept_from_previous_import: Vec::new(),
        }
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The "region" of global services (IAM) in the snapshot and report.
pub const GLOBAL: &str = "global";

/// One account and region being read; cheap to clone into tasks.
#[derive(Clone)]
pub(crate) struct Unit {
    pub account: String,
    pub region: String,
    /// The role the account is read through (`assumeRoleArn`), for what to grant when denied.
    pub role: Option<String>,
    pub options: Arc<Options>,
    calls_in_flight: Arc<Semaphore>,
}

impl Unit {
    fn new(account: &Account, region: &str, options: &Arc<Options>) -> Unit {
        Unit {
            account: account.id.clone(),
            region: region.to_string(),
            role: account.assume_role_arn.clone(),
            options: options.clone(),
            calls_in_flight: Arc::new(Semaphore::new(options.concurrency.max(1))),
        }
    }

    async fn permit(&self) -> Option<OwnedSemaphorePermit> {
        self.calls_in_flight.clone().acquire_owned().await.ok()
    }

    /// A call of `action` (`ecs:ListClusters`) in this unit, to say where a failure happened.
    pub(crate) fn call(&self, action: &str) -> Call {
        Call {
            account: self.account.clone(),
            region: Some(self.region.clone()),
            action: action.to_string(),
            subject: None,
            role: self.role.clone(),
            endpoint: self.options.endpoint_url.clone(),
        }
    }
}

/// Runs `f` on every item at once (as tokio tasks) and returns the outputs in the items' order,
/// whichever finished first: a unit reports the first failure in that order, so that two imports
/// of the same failing account write the same report.
pub(crate) async fn all_in_order<I, T, Fut>(items: I, f: impl Fn(I::Item) -> Fut) -> Vec<T>
where
    I: IntoIterator,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let mut tasks = JoinSet::new();
    for (index, item) in items.into_iter().enumerate() {
        let task = f(item);
        tasks.spawn(async move { (index, task.await) });
    }
    let mut outputs = Vec::with_capacity(tasks.len());
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(output) => outputs.push(output),
            // A task only ends early when it panicked: that panic is ours to pass on.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    outputs.sort_by_key(|(index, _)| *index);
    outputs.into_iter().map(|(_, output)| output).collect()
}

/// Runs an import on a new tokio runtime (for callers without one, like `main`).
pub fn run_blocking(inventory: &Inventory, options: &Options) -> Result<Snapshot, ImportError> {
    runtime(options.concurrency.clamp(1, 8))?.block_on(run(inventory, options))
}

/// A multi-threaded runtime with `threads` workers.
fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, ImportError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| ImportError::Runtime {
            message: e.to_string(),
        })
}

/// The base configuration loader: the standard chain (environment, profiles, SSO, IMDS) for
/// credentials and region, with the retry, timeouts and endpoint of `options`. Tests override
/// region, credentials and environment on it.
pub fn config_loader(options: &Options) -> aws_config::ConfigLoader {
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .retry_config(RetryConfig::standard().with_max_attempts(options.max_attempts.max(1)))
        .timeout_config(
            TimeoutConfig::builder()
                .operation_attempt_timeout(options.attempt_timeout)
                .connect_timeout(Duration::from_secs(5))
                .build(),
        );
    if let Some(url) = &options.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader
}

/// Imports every account and region of the inventory. Fails as a whole only when there are no
/// credentials at all; everything else is a failure of one account or unit, in the report.
pub async fn run(inventory: &Inventory, options: &Options) -> Result<Snapshot, ImportError> {
    let base = config_loader(options).load().await;
    run_with_config(inventory, options, &base).await
}

/// Imports with an explicit base configuration (tests build a hermetic one).
pub async fn run_with_config(
    inventory: &Inventory,
    options: &Options,
    base: &SdkConfig,
) -> Result<Snapshot, ImportError> {
    if !inventory.accounts.is_empty() {
        credentials::check_ambient(base).await?;
    }
    let reader = Reader {
        base: base.clone(),
        options: Arc::new(options.clone()),
        counter: CallCounter::default(),
        units_at_once: Arc::new(Semaphore::new(options.concurrency.max(1))),
        tally: Tally {
            progress: options.progress.clone(),
            done: Arc::default(),
            total: inventory
                .accounts
                .iter()
                .map(|a| regions_of(a, options, base).len())
                .sum(),
        },
    };
    let accounts = all_in_order(inventory.accounts.iter().cloned(), |account| {
        let reader = reader.clone();
        async move { reader.read_account(&account).await }
    })
    .await;
    let mut snapshot = Snapshot {
        files: Files::new(),
        report: Report {
            version: 1,
            ..Report::default()
        },
    };
    for account in accounts {
        snapshot.files.extend(account.files);
        snapshot.report.units.extend(account.units);
        snapshot.report.failures.extend(account.failures);
    }
    snapshot.report.calls = reader.counter.snapshot();
    Ok(snapshot)
}

/// What one import shares between its accounts' tasks.
#[derive(Clone)]
struct Reader {
    base: SdkConfig,
    options: Arc<Options>,
    counter: CallCounter,
    units_at_once: Arc<Semaphore>,
    tally: Tally,
}

/// What was read of one account: its files, one report per unit, its failures.
#[derive(Default)]
struct AccountRead {
    files: Files,
    units: Vec<UnitReport>,
    failures: Vec<ImportError>,
}

impl AccountRead {
    /// A unit that failed: no files, the report says so.
    fn failed(&mut self, account: &str, region: &str, error: ImportError) {
        self.failures.push(error);
        self.units.push(UnitReport::new(account, region, "failed"));
    }

    /// A unit's files, under `<account>/<region>/`.
    fn add_files(&mut self, account: &str, region: &str, files: Files) {
        for (rel, content) in files {
            self.files
                .insert(format!("{account}/{region}/{rel}"), content);
        }
    }
}

/// The regions to read in `account`: `--region`, else the inventory's, else the default region.
fn regions_of(account: &Account, options: &Options, base: &SdkConfig) -> Vec<String> {
    let mut regions = if !options.regions.is_empty() {
        options.regions.clone()
    } else if !account.regions.is_empty() {
        account.regions.clone()
    } else {
        base.region()
            .map(|r| vec![r.to_string()])
            .unwrap_or_default()
    };
    regions.sort();
    regions.dedup();
    regions
}

impl Reader {
    /// One account: its credentials, then its regions, then IAM (global) for the roles found.
    async fn read_account(&self, account: &Account) -> AccountRead {
        let mut out = AccountRead::default();
        let regions = regions_of(account, &self.options, &self.base);
        if regions.is_empty() {
            out.failures.push(ImportError::NoRegion {
                account: account.id.clone(),
            });
            return out;
        }
        let credentials = {
            let _permit = self.units_at_once.clone().acquire_owned().await.ok();
            credentials::for_account(
                &self.base,
                account,
                &regions[0],
                &self.counter,
                &self.options,
            )
            .await
        };
        let credentials = match credentials {
            Ok(c) => c,
            Err(e) => {
                out.failures.push(e);
                for r in &regions {
                    out.units.push(UnitReport::new(&account.id, r, "failed"));
                    self.tally.finished(&account.id, r);
                }
                // Its IAM files of a previous import are kept too.
                out.units
                    .push(UnitReport::new(&account.id, GLOBAL, "failed"));
                return out;
            }
        };
        let role_arns = self
            .read_regions(account, &regions, &credentials, &mut out)
            .await;
        // IAM is global: once per account, for the roles of every region.
        if !role_arns.is_empty() {
            self.read_iam(account, &regions[0], &credentials, &role_arns, &mut out)
                .await;
        }
        out
    }

    /// Every region of the account, a unit each; returns the task roles they name.
    async fn read_regions(
        &self,
        account: &Account,
        regions: &[String],
        credentials: &SharedCredentialsProvider,
        out: &mut AccountRead,
    ) -> BTreeSet<String> {
        let results = all_in_order(regions, |region| {
            let (reader, credentials) = (self.clone(), credentials.clone());
            let unit = Unit::new(account, region, &self.options);
            async move {
                let _permit = reader.units_at_once.clone().acquire_owned().await.ok();
                let result = read_unit(&unit, &reader.base, credentials, &reader.counter).await;
                reader.tally.finished(&unit.account, &unit.region);
                (unit, result)
            }
        })
        .await;
        let mut role_arns = BTreeSet::new();
        for (unit, result) in results {
            match result {
                Ok(read) => {
                    role_arns.extend(read.role_arns);
                    let mut report = UnitReport::new(&unit.account, &unit.region, "read");
                    report.clusters = read.clusters;
                    report.services = read.services;
                    report.task_definitions = read.task_definitions;
                    report.files = read.files.len();
                    out.add_files(&unit.account, &unit.region, read.files);
                    out.units.push(report);
                }
                Err(e) => out.failed(&unit.account, &unit.region, e),
            }
        }
        role_arns
    }

    /// The account's IAM unit: the task and execution roles of its task definitions.
    async fn read_iam(
        &self,
        account: &Account,
        region: &str,
        credentials: &SharedCredentialsProvider,
        role_arns: &BTreeSet<String>,
        out: &mut AccountRead,
    ) {
        let unit = Unit::new(account, GLOBAL, &self.options);
        let client = client!(aws_sdk_iam, &self.base, region, credentials, self.counter);
        let _permit = self.units_at_once.clone().acquire_owned().await.ok();
        match iam::read(&unit, &client, role_arns).await {
            Ok(read) => {
                let mut report = UnitReport::new(&unit.account, GLOBAL, "read");
                report.files = read.files.len();
                report.roles = read.roles;
                report.missing_roles = read.missing;
                out.add_files(&unit.account, GLOBAL, read.files);
                out.units.push(report);
            }
            Err(e) => out.failed(&unit.account, GLOBAL, e),
        }
    }
}

/// The files one unit wrote, relative to `<account>/<region>/`, and what it found.
pub(crate) struct UnitRead {
    files: Files,
    clusters: Vec<String>,
    services: usize,
    task_definitions: usize,
    role_arns: BTreeSet<String>,
}

async fn read_unit(
    unit: &Unit,
    base: &SdkConfig,
    credentials: SharedCredentialsProvider,
    counter: &CallCounter,
) -> Result<UnitRead, ImportError> {
    let ecs_client = client!(aws_sdk_ecs, base, unit.region, credentials, counter);
    let ecs = ecs::read(unit, &ecs_client).await?;
    let mut files = ecs.files;
    let elbv2_client = client!(
        aws_sdk_elasticloadbalancingv2,
        base,
        unit.region,
        credentials,
        counter
    );
    let scaling_client = client!(
        aws_sdk_applicationautoscaling,
        base,
        unit.region,
        credentials,
        counter
    );
    let events_client = client!(aws_sdk_eventbridge, base, unit.region, credentials, counter);
    let scheduler_client = client!(aws_sdk_scheduler, base, unit.region, credentials, counter);
    let discovery_client = client!(
        aws_sdk_servicediscovery,
        base,
        unit.region,
        credentials,
        counter
    );
    // Cloud Map only where a service registers in it or uses Service Connect: other units make
    // no call (and need no permission) for it.
    let cloud_map = async {
        match ecs.uses_cloud_map {
            true => cloud_map::read(unit, &discovery_client).await,
            false => Ok(Files::new()),
        }
    };
    let (lb, scaling, events, schedules, discovery) = tokio::join!(
        elbv2::read(unit, &elbv2_client, &ecs.target_group_arns),
        scaling::read_scaling(unit, &scaling_client, &ecs.service_resource_ids),
        scaling::read_events(unit, &events_client, &ecs.cluster_arns),
        scaling::read_schedules(unit, &scheduler_client, &ecs.cluster_arns),
        cloud_map,
    );
    files.extend(lb?);
    files.extend(scaling?);
    files.extend(events?);
    files.extend(schedules?);
    files.extend(discovery?);
    Ok(UnitRead {
        files,
        clusters: ecs.clusters,
        services: ecs.services,
        task_definitions: ecs.task_definitions,
        role_arns: ecs.role_arns,
    })
}

/// When a unit or account failed, keeps its files of the previous import (`previous`: the files
/// the snapshot folder's manifest lists, read from `dir`), so that a failed re-import does not
/// delete them; the report names them.
pub fn keep_previous_files(
    snapshot: &mut Snapshot,
    previous: &BTreeSet<String>,
    dir: &Path,
) -> Result<(), crate::error::Error> {
    for unit in snapshot
        .report
        .units
        .iter_mut()
        .filter(|u| u.status == "failed")
    {
        let prefix = format!("{}/{}/", unit.account, unit.region);
        for rel in previous.iter().filter(|r| r.starts_with(&prefix)) {
            if snapshot.files.contains_key(rel) {
                continue;
            }
            let path = dir.join(rel);
            let content = std::fs::read_to_string(&path)
                .map_err(|source| crate::error::Error::Io { path, source })?;
            snapshot.files.insert(rel.clone(), content);
            unit.kept_from_previous_import.push(rel.clone());
        }
    }
    Ok(())
}

/// The report as the file `import-report.json`.
pub fn report_json(report: &Report) -> String {
    json::render(&serde_json::to_value(report).unwrap_or_default())
}

/// `convert` reads a snapshot folder; the report in it is not an input.
pub(crate) fn is_import_report(v: &serde_json::Value) -> bool {
    v.get(REPORT_MARKER).is_some()
}

pub(crate) fn read_import_report(_input: &str, _value: serde_json::Value, _read: &mut super::Read) {
}

/// `inventory init`: the draft inventory (YAML) of the organization's accounts. The region is the
/// configured one, else the Organizations endpoint's (`us-east-1`).
pub fn draft_inventory_blocking(
    options: &Options,
    role_name: Option<&str>,
) -> Result<String, ImportError> {
    runtime(1)?.block_on(async {
        let region = RegionProviderChain::default_provider().or_else(ORGANIZATIONS_REGION);
        let base = config_loader(options).region(region).load().await;
        credentials::check_ambient(&base).await?;
        let accounts =
            organizations::list_accounts(&base, &CallCounter::default(), options).await?;
        Ok(organizations::render_inventory(&accounts, role_name))
    })
}
