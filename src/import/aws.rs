//! `ecs2eks import`: reads live AWS accounts through the AWS SDK into a snapshot folder of the
//! JSON files `convert` reads (the JSON the AWS CLI prints for the same calls).
//!
//! Per account of the inventory: credentials (the inventory's `assumeRoleArn` through STS, or the
//! ambient credential chain), checked with `sts:GetCallerIdentity` against the account id; then per
//! region one *unit* reads ECS (and the services' load balancers, roles, scaling). A unit either
//! completes or fails as a whole; one failing unit or account never stops the others. Only
//! read-only APIs are called (see docs/import.md for the IAM policy).
//!
//! The library returns the files and a report; `main` writes and prints.

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

pub mod calls;
mod ecs;
mod elbv2;
mod iam;
pub mod json;
mod mapped;
pub mod organizations;
mod scaling;

use crate::export::Tree;
use crate::inventory::{Account, Inventory};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ecs::config::{Region, SharedCredentialsProvider};
use aws_sdk_ecs::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_types::retry::RetryConfig;
use aws_smithy_types::timeout::TimeoutConfig;
pub use calls::{CallCount, CallCounter};
use serde::Serialize;
use std::collections::BTreeMap;
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

/// What an import read: the files (relative path → content) and the report.
#[derive(Debug)]
pub struct Snapshot {
    pub files: Tree,
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
    pub failures: Vec<Failure>,
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

/// Something that could not be read.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    pub account: String,
    /// Absent when the whole account failed (credentials).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The IAM action that failed (`sts:AssumeRole`, `ecs:ListClusters`, …).
    pub operation: String,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.region {
            Some(r) => write!(
                f,
                "{} {}: {}: {}",
                self.account, r, self.operation, self.message
            ),
            None => write!(f, "{}: {}: {}", self.account, self.operation, self.message),
        }
    }
}

/// One account and region being read; cheap to clone into tasks.
#[derive(Clone)]
pub(crate) struct Unit {
    pub account: String,
    pub region: String,
    pub options: Arc<Options>,
    calls_in_flight: Arc<Semaphore>,
}

impl Unit {
    async fn permit(&self) -> Option<OwnedSemaphorePermit> {
        self.calls_in_flight.clone().acquire_owned().await.ok()
    }

    fn failure(&self, operation: &str, message: impl Into<String>) -> Failure {
        Failure {
            account: self.account.clone(),
            region: Some(self.region.clone()),
            operation: operation.to_string(),
            message: message.into(),
        }
    }
}

/// The error code and message of a failed call (`AccessDeniedException: …`), or the cause of a
/// call that never got an answer (timeout, connection refused).
pub(crate) fn sdk_message<E, R>(e: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e {
        SdkError::ServiceError(se) => {
            let err = se.err();
            match (err.code(), err.message()) {
                (Some(c), Some(m)) => format!("{c}: {m}"),
                (Some(c), None) => c.to_string(),
                _ => DisplayErrorContext(e).to_string(),
            }
        }
        _ => DisplayErrorContext(e).to_string(),
    }
}

/// Runs an import on a new tokio runtime (for callers without one, like `main`).
pub fn run_blocking(inventory: &Inventory, options: &Options) -> Result<Snapshot, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(options.concurrency.clamp(1, 8))
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok(runtime.block_on(run(inventory, options)))
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

/// Imports every account and region of the inventory.
pub async fn run(inventory: &Inventory, options: &Options) -> Snapshot {
    let base = config_loader(options).load().await;
    run_with_config(inventory, options, &base).await
}

/// Imports with an explicit base configuration (tests build a hermetic one).
pub async fn run_with_config(
    inventory: &Inventory,
    options: &Options,
    base: &SdkConfig,
) -> Snapshot {
    let options = Arc::new(options.clone());
    let counter = CallCounter::default();
    let units_at_once = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let tally = Tally {
        progress: options.progress.clone(),
        done: Arc::default(),
        total: inventory
            .accounts
            .iter()
            .map(|a| regions_of(a, &options, base).len())
            .sum(),
    };
    let mut tasks = JoinSet::new();
    for (index, account) in inventory.accounts.iter().enumerate() {
        let (base, account, options, counter, units_at_once, tally) = (
            base.clone(),
            account.clone(),
            options.clone(),
            counter.clone(),
            units_at_once.clone(),
            tally.clone(),
        );
        tasks.spawn(async move {
            let result =
                read_account(&base, &account, &options, &counter, &units_at_once, &tally).await;
            (index, result)
        });
    }
    let mut accounts = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(r) = joined {
            accounts.push(r);
        }
    }
    accounts.sort_by_key(|(i, _)| *i);

    let mut snapshot = Snapshot {
        files: Tree::new(),
        report: Report {
            version: 1,
            ..Report::default()
        },
    };
    for (_, account) in accounts {
        snapshot.files.extend(account.files);
        snapshot.report.units.extend(account.units);
        snapshot.report.failures.extend(account.failures);
    }
    snapshot.report.calls = counter.snapshot();
    snapshot
}

struct AccountRead {
    files: Tree,
    units: Vec<UnitReport>,
    failures: Vec<Failure>,
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

fn unit_report(account: &str, region: &str, status: &str) -> UnitReport {
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

fn is_zero(n: &usize) -> bool {
    *n == 0
}

async fn read_account(
    base: &SdkConfig,
    account: &Account,
    options: &Arc<Options>,
    counter: &CallCounter,
    units_at_once: &Arc<Semaphore>,
    tally: &Tally,
) -> AccountRead {
    let mut out = AccountRead {
        files: Tree::new(),
        units: Vec::new(),
        failures: Vec::new(),
    };
    let regions = regions_of(account, options, base);
    if regions.is_empty() {
        out.failures.push(Failure {
            account: account.id.clone(),
            region: None,
            operation: "configuration".into(),
            message: "no region: give `regions` in the inventory, --region, or AWS_REGION".into(),
        });
        return out;
    }
    let credentials = {
        let _permit = units_at_once.clone().acquire_owned().await.ok();
        credentials(base, account, &regions[0], counter).await
    };
    let credentials = match credentials {
        Ok(c) => c,
        Err(f) => {
            out.failures.push(f);
            for r in &regions {
                out.units.push(unit_report(&account.id, r, "failed"));
                tally.finished(&account.id, r);
            }
            // Its IAM files of a previous import are kept too.
            out.units.push(unit_report(&account.id, GLOBAL, "failed"));
            return out;
        }
    };
    let mut tasks = JoinSet::new();
    for (index, region) in regions.iter().enumerate() {
        let unit = Unit {
            account: account.id.clone(),
            region: region.clone(),
            options: options.clone(),
            calls_in_flight: Arc::new(Semaphore::new(options.concurrency.max(1))),
        };
        let (base, credentials, counter, units_at_once, tally) = (
            base.clone(),
            credentials.clone(),
            counter.clone(),
            units_at_once.clone(),
            tally.clone(),
        );
        tasks.spawn(async move {
            let _permit = units_at_once.acquire_owned().await.ok();
            let result = read_unit(&unit, &base, credentials, &counter).await;
            tally.finished(&unit.account, &unit.region);
            (index, unit, result)
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(r) = joined {
            results.push(r);
        }
    }
    results.sort_by_key(|(i, _, _)| *i);
    let mut role_arns = std::collections::BTreeSet::new();
    for (_, unit, result) in results {
        match result {
            Ok(read) => {
                role_arns.extend(read.role_arns);
                let mut report = unit_report(&unit.account, &unit.region, "read");
                report.clusters = read.clusters;
                report.services = read.services;
                report.task_definitions = read.task_definitions;
                report.files = read.files.len();
                let prefix = format!("{}/{}/", unit.account, unit.region);
                for (rel, content) in read.files {
                    out.files.insert(format!("{prefix}{rel}"), content);
                }
                out.units.push(report);
            }
            Err(f) => {
                out.failures.push(f);
                out.units
                    .push(unit_report(&unit.account, &unit.region, "failed"));
            }
        }
    }
    // IAM is global: once per account, for the roles of every region.
    if !role_arns.is_empty() {
        let unit = Unit {
            account: account.id.clone(),
            region: GLOBAL.to_string(),
            options: options.clone(),
            calls_in_flight: Arc::new(Semaphore::new(options.concurrency.max(1))),
        };
        let client = client!(aws_sdk_iam, base, regions[0], credentials, counter);
        let _permit = units_at_once.clone().acquire_owned().await.ok();
        match iam::read(&unit, &client, &role_arns).await {
            Ok(read) => {
                let mut report = unit_report(&unit.account, GLOBAL, "read");
                report.files = read.files.len();
                report.roles = read.roles;
                report.missing_roles = read.missing;
                for (rel, content) in read.files {
                    out.files
                        .insert(format!("{}/{GLOBAL}/{rel}", unit.account), content);
                }
                out.units.push(report);
            }
            Err(f) => {
                out.failures.push(f);
                out.units.push(unit_report(&unit.account, GLOBAL, "failed"));
            }
        }
    }
    out
}

/// The "region" of global services (IAM) in the snapshot and report.
pub const GLOBAL: &str = "global";

/// The files one unit wrote, relative to `<account>/<region>/`, and what it found.
pub(crate) struct UnitRead {
    files: BTreeMap<String, String>,
    clusters: Vec<String>,
    services: usize,
    task_definitions: usize,
    role_arns: std::collections::BTreeSet<String>,
}

async fn read_unit(
    unit: &Unit,
    base: &SdkConfig,
    credentials: SharedCredentialsProvider,
    counter: &CallCounter,
) -> Result<UnitRead, Failure> {
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
    let (lb, scaling, events, schedules) = tokio::join!(
        elbv2::read(unit, &elbv2_client, &ecs.target_group_arns),
        scaling::read_scaling(unit, &scaling_client, &ecs.service_resource_ids),
        scaling::read_events(unit, &events_client, &ecs.cluster_arns),
        scaling::read_schedules(unit, &scheduler_client, &ecs.cluster_arns),
    );
    files.extend(lb?);
    files.extend(scaling?);
    files.extend(events?);
    files.extend(schedules?);
    Ok(UnitRead {
        files,
        clusters: ecs.clusters,
        services: ecs.services,
        task_definitions: ecs.task_definitions,
        role_arns: ecs.role_arns,
    })
}

/// The account's credentials: the assumed role, or the ambient chain; either way checked to
/// belong to the account, so that a wrong profile never files one account's data under another.
async fn credentials(
    base: &SdkConfig,
    account: &Account,
    region: &str,
    counter: &CallCounter,
) -> Result<SharedCredentialsProvider, Failure> {
    let fail = |operation: &str, message: String| Failure {
        account: account.id.clone(),
        region: None,
        operation: operation.to_string(),
        message,
    };
    let sts_with = |provider: Option<SharedCredentialsProvider>| {
        let mut b = aws_sdk_sts::config::Builder::from(base)
            .region(Region::new(region.to_string()))
            .interceptor(counter.clone());
        if let Some(p) = provider {
            b = b.credentials_provider(p);
        }
        aws_sdk_sts::Client::from_conf(b.build())
    };
    let check = |id: &str, operation: &str| {
        if id == account.id {
            Ok(())
        } else {
            Err(fail(
                operation,
                format!(
                    "the credentials belong to account {id}, not {}; set assumeRoleArn for this account or use a profile of it",
                    account.id
                ),
            ))
        }
    };
    match &account.assume_role_arn {
        Some(role_arn) => {
            let answer = sts_with(None)
                .assume_role()
                .role_arn(role_arn)
                .role_session_name("ecs2eks-import")
                .duration_seconds(3600)
                .send()
                .await
                .map_err(|e| fail("sts:AssumeRole", format!("{role_arn}: {}", sdk_message(&e))))?;
            let c = answer.credentials().ok_or_else(|| {
                fail(
                    "sts:AssumeRole",
                    format!("{role_arn}: the answer holds no credentials"),
                )
            })?;
            // The assumed role's ARN names its account: no GetCallerIdentity needed.
            let assumed = answer
                .assumed_role_user()
                .map(|u| u.arn())
                .and_then(|arn| arn.split(':').nth(4))
                .unwrap_or_default();
            check(assumed, "sts:AssumeRole")?;
            let expiry = std::time::SystemTime::try_from(*c.expiration()).ok();
            Ok(SharedCredentialsProvider::new(
                aws_sdk_ecs::config::Credentials::new(
                    c.access_key_id(),
                    c.secret_access_key(),
                    Some(c.session_token().to_string()),
                    expiry,
                    "ecs2eks-assume-role",
                ),
            ))
        }
        None => {
            let provider = base.credentials_provider().ok_or_else(|| {
                fail(
                    "credentials",
                    "no credentials: set assumeRoleArn in the inventory or configure the AWS credential chain".into(),
                )
            })?;
            let identity = sts_with(Some(provider.clone()))
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| fail("sts:GetCallerIdentity", sdk_message(&e)))?;
            check(
                identity.account().unwrap_or_default(),
                "sts:GetCallerIdentity",
            )?;
            Ok(provider)
        }
    }
}

/// When a unit or account failed, keeps its files of the previous import (listed in the snapshot's
/// manifest), so that a failed re-import does not delete them; the report names them.
pub fn keep_previous_files(
    snapshot: &mut Snapshot,
    out_dir: &Path,
) -> Result<(), crate::error::Error> {
    let previous = crate::export::files::previous(out_dir)?;
    if previous.is_empty() {
        return Ok(());
    }
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
            let path = out_dir.join(rel);
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

/// `inventory init`: the draft inventory (YAML) of the organization's accounts.
pub fn draft_inventory_blocking(
    options: &Options,
    role_name: Option<&str>,
) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let base = config_loader(options).load().await;
        let accounts = organizations::list_accounts(&base, &CallCounter::default()).await?;
        Ok(organizations::render_inventory(&accounts, role_name))
    })
}
