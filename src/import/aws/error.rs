//! Why a live import (or `inventory init`) could not read something, as a typed error, and the
//! one line a person reads for it.
//!
//! The SDK's own errors print as a chain that ends in a debug dump of the HTTP exchange: its
//! `date` header, request ids, connector internals. Nobody can act on that, and two imports of the
//! same failing account would write different reports. So every failure here keeps only what a
//! user needs — where the call went (account, region, AWS action), the HTTP status and AWS error
//! code when there was an answer — and its `Display` is one stable line that ends in what to do.

use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::DispatchFailure;
use serde::Serialize;
use std::error::Error as StdError;
use std::fmt;

/// Where a failed call went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// The account read; empty for `inventory init` (the credentials' own account).
    pub account: String,
    /// `None` for the account as a whole (its credentials); `global` for IAM.
    pub region: Option<String>,
    /// The IAM action, i.e. the AWS service and operation: `ecs:ListClusters`.
    pub action: String,
    /// What the call was about, when there are several of it: `cluster shop`, `role web-task`.
    pub subject: Option<String>,
    /// The role the account is read through (the inventory's `assumeRoleArn`); `None` when the
    /// ambient credentials read it.
    pub role: Option<String>,
    /// `--endpoint-url`, when every call goes there instead of AWS.
    pub endpoint: Option<String>,
}

impl Call {
    /// The AWS service: `ecs` of `ecs:ListClusters`.
    pub fn service(&self) -> &str {
        self.action.split_once(':').map_or("", |(s, _)| s)
    }

    /// The operation: `ListClusters` of `ecs:ListClusters`.
    pub fn operation(&self) -> &str {
        self.action
            .split_once(':')
            .map_or(self.action.as_str(), |(_, o)| o)
    }

    /// The same call, about `subject` (a cluster, role, policy…).
    pub(crate) fn about(mut self, subject: impl Into<String>) -> Call {
        self.subject = Some(subject.into());
        self
    }

    /// The typed error of this call's failed `send()`.
    pub(crate) fn failed<E>(self, e: &SdkError<E, HttpResponse>) -> ImportError
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let call = Box::new(self);
        match e {
            SdkError::ServiceError(se) => {
                let status = se.raw().status().as_u16();
                answered(call, status, se.err().code(), se.err().message())
            }
            SdkError::ResponseError(re) => answered(call, re.raw().status().as_u16(), None, None),
            SdkError::TimeoutError(_) => ImportError::TimedOut { call },
            SdkError::DispatchFailure(d) => dispatch_failed(call, d, e),
            other => match credentials_problem(other) {
                Some(reason) => ImportError::NoCredentials {
                    call: Some(call),
                    profile: ProfileNote::of_environment(),
                    reason,
                },
                None => ImportError::NotSent {
                    detail: innermost(other),
                    call,
                },
            },
        }
    }

    /// An answer that holds no usable value (`detail` says what was wrong with it).
    pub(crate) fn unreadable(self, detail: impl Into<String>) -> ImportError {
        ImportError::Unreadable {
            call: Box::new(self),
            status: None,
            detail: Some(one_line(&detail.into())),
        }
    }
}

/// `123456789012 eu-west-1: ecs:ListServices (cluster shop)`.
impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place: Vec<&str> = [Some(self.account.as_str()), self.region.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect();
        if !place.is_empty() {
            write!(f, "{}: ", place.join(" "))?;
        }
        f.write_str(&self.action)?;
        if let Some(subject) = &self.subject {
            write!(f, " ({subject})")?;
        }
        Ok(())
    }
}

/// The profile the credential chain was told to use (`AWS_PROFILE`), for the credentials line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfileNote {
    /// The profile exists.
    Named(String),
    /// No `[profile NAME]` in the config file, no `[NAME]` in the credentials file.
    Missing { name: String, config_file: String },
}

impl ProfileNote {
    /// `AWS_PROFILE`, and whether the AWS config or credentials file has it (the chain does not
    /// say: it goes on to the next source and reports that one's failure instead).
    pub fn of_environment() -> Option<ProfileNote> {
        let name = std::env::var("AWS_PROFILE")
            .ok()
            .filter(|n| !n.trim().is_empty())?;
        let config_file = file_setting("AWS_CONFIG_FILE", "~/.aws/config");
        let credentials_file = file_setting("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials");
        // The config file names profiles `[profile NAME]` (only `default` may go without).
        let known = has_section(&config_file, |s| {
            (s == "default" && name == "default")
                || s.strip_prefix("profile ").map(str::trim) == Some(name.as_str())
        }) || has_section(&credentials_file, |s| s == name);
        Some(if known {
            ProfileNote::Named(name)
        } else {
            ProfileNote::Missing { name, config_file }
        })
    }
}

impl fmt::Display for ProfileNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileNote::Named(name) => write!(f, "profile `{name}`"),
            ProfileNote::Missing { name, config_file } => {
                write!(f, "profile `{name}` is not in {config_file}")
            }
        }
    }
}

/// The file an environment variable names, or the default (as written, with `~`).
fn file_setting(variable: &str, default: &str) -> String {
    std::env::var(variable)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// Whether an INI-style AWS file has a section `[name]` that `matches`.
fn has_section(file: &str, matches: impl Fn(&str) -> bool) -> bool {
    let path = match file.strip_prefix("~/") {
        Some(rest) => match std::env::var_os("HOME") {
            Some(home) => std::path::Path::new(&home).join(rest),
            None => return false,
        },
        None => std::path::PathBuf::from(file),
    };
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    text.lines().any(|line| {
        line.trim()
            .strip_prefix('[')
            .and_then(|l| l.strip_suffix(']'))
            .is_some_and(|s| matches(s.trim()))
    })
}

/// Why something could not be read, with where the call went; `Display` is the one line of the
/// report and of stderr: what failed, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The principal may not make the call (AccessDenied and its kin).
    #[error("{call}: access denied ({}); {}", answer(Some(*status), code.as_deref(), message.as_deref()), grant(call))]
    AccessDenied {
        call: Box<Call>,
        status: u16,
        code: Option<String>,
        /// AWS's message: it names the principal and what denied it (a policy, an SCP).
        message: Option<String>,
    },
    /// The credentials were refused: unknown, expired or badly signed.
    #[error("{call}: the credentials were refused ({}); run `aws sso login` or set AWS_PROFILE", answer(Some(*status), Some(code), None))]
    CredentialsRefused {
        call: Box<Call>,
        status: u16,
        code: String,
    },
    /// Still throttled when the retries ran out.
    #[error("{call}: throttled ({}), still after retries; lower --concurrency or try again later", answer(Some(*status), code.as_deref(), None))]
    Throttled {
        call: Box<Call>,
        status: u16,
        code: Option<String>,
    },
    /// The service failed (HTTP 5xx) on every attempt.
    #[error("{call}: the service failed ({}), still after retries; try again later, or {}", answer(Some(*status), code.as_deref(), None), endpoint_hint(call, "check the region name"))]
    Unavailable {
        call: Box<Call>,
        status: u16,
        code: Option<String>,
    },
    /// No connection to the endpoint (refused, reset, a name that does not resolve).
    #[error(
        "{call}: cannot reach {} ({cause}), still after retries; check the endpoint URL or your network",
        reach(call)
    )]
    Unreachable { call: Box<Call>, cause: String },
    /// No answer within the attempt timeout, on every attempt.
    #[error(
        "{call}: no answer in time, still after retries; check your network or raise --timeout"
    )]
    TimedOut { call: Box<Call> },
    /// An answer that could not be read as the service's.
    #[error("{call}: the answer{} could not be read{}; {}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), detail.as_ref().map(|d| format!(": {d}")).unwrap_or_default(), endpoint_hint(call, "try again; if it persists, report it"))]
    Unreadable {
        call: Box<Call>,
        status: Option<u16>,
        detail: Option<String>,
    },
    /// Any other error answer: a validation error, a resource that is gone.
    #[error("{call}: refused ({}); check the inventory and the options against the message", answer(Some(*status), Some(code), message.as_deref()))]
    Rejected {
        call: Box<Call>,
        status: u16,
        code: String,
        message: Option<String>,
    },
    /// The request could not be made (no region to sign for, an invalid endpoint URL).
    #[error(
        "{call}: the request could not be made ({detail}); check the region and --endpoint-url"
    )]
    NotSent { call: Box<Call>, detail: String },
    /// The credential chain found nothing, or failed; `call` is `None` when found before any call.
    #[error("{}{}; run `aws sso login` or set AWS_PROFILE", call.as_ref().map(|c| format!("{c}: ")).unwrap_or_default(), no_credentials(profile.as_ref(), reason.as_deref()))]
    NoCredentials {
        call: Option<Box<Call>>,
        profile: Option<ProfileNote>,
        /// Why the chain failed, when it did not simply find nothing.
        reason: Option<String>,
    },
    /// Credentials of another account: its data would be filed under the wrong id.
    #[error("{call}: {}", wrong_account(call, found))]
    WrongAccount { call: Box<Call>, found: String },
    /// No region to read in the account.
    #[error("{account}: no region; give `regions` in the inventory, --region, or AWS_REGION")]
    NoRegion { account: String },
    /// The async runtime could not start (the import made no call).
    #[error("cannot start the async runtime: {message}")]
    Runtime { message: String },
}

impl ImportError {
    /// Where the failed call went (`None`: no call was made).
    pub fn call(&self) -> Option<&Call> {
        match self {
            ImportError::AccessDenied { call, .. }
            | ImportError::CredentialsRefused { call, .. }
            | ImportError::Throttled { call, .. }
            | ImportError::Unavailable { call, .. }
            | ImportError::Unreachable { call, .. }
            | ImportError::TimedOut { call }
            | ImportError::Unreadable { call, .. }
            | ImportError::Rejected { call, .. }
            | ImportError::NotSent { call, .. }
            | ImportError::WrongAccount { call, .. } => Some(call.as_ref()),
            ImportError::NoCredentials { call, .. } => call.as_deref(),
            ImportError::NoRegion { .. } | ImportError::Runtime { .. } => None,
        }
    }

    /// The account it concerns (empty when none: `inventory init`, the runtime).
    pub fn account(&self) -> &str {
        match self {
            ImportError::NoRegion { account } => account,
            other => other.call().map_or("", |c| c.account.as_str()),
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            ImportError::AccessDenied { status, .. }
            | ImportError::CredentialsRefused { status, .. }
            | ImportError::Throttled { status, .. }
            | ImportError::Unavailable { status, .. }
            | ImportError::Rejected { status, .. } => Some(*status),
            ImportError::Unreadable { status, .. } => *status,
            _ => None,
        }
    }

    /// The AWS error code of the answer (`AccessDeniedException`), when it had one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ImportError::AccessDenied { code, .. }
            | ImportError::Throttled { code, .. }
            | ImportError::Unavailable { code, .. } => code.as_deref(),
            ImportError::CredentialsRefused { code, .. } | ImportError::Rejected { code, .. } => {
                Some(code)
            }
            _ => None,
        }
    }

    /// The variant's name in the report (`accessDenied`).
    pub fn kind(&self) -> &'static str {
        match self {
            ImportError::AccessDenied { .. } => "accessDenied",
            ImportError::CredentialsRefused { .. } => "credentialsRefused",
            ImportError::Throttled { .. } => "throttled",
            ImportError::Unavailable { .. } => "unavailable",
            ImportError::Unreachable { .. } => "unreachable",
            ImportError::TimedOut { .. } => "timedOut",
            ImportError::Unreadable { .. } => "unreadable",
            ImportError::Rejected { .. } => "rejected",
            ImportError::NotSent { .. } => "notSent",
            ImportError::NoCredentials { .. } => "noCredentials",
            ImportError::WrongAccount { .. } => "wrongAccount",
            ImportError::NoRegion { .. } => "noRegion",
            ImportError::Runtime { .. } => "runtime",
        }
    }
}

/// Why `ecs2eks::import_into` wrote no snapshot: the import could not run at all, or the
/// snapshot folder could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Folder(#[from] crate::error::Error),
}

/// A failure in `import-report.json`: the fields to filter on, and the line to read.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FailureEntry<'a> {
    account: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
    /// The IAM action (`ecs:ListClusters`), or `credentials` / `configuration` without a call.
    operation: &'a str,
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_code: Option<&'a str>,
    message: String,
}

impl Serialize for ImportError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let call = self.call();
        let operation = match (call, self) {
            (Some(c), _) => c.action.as_str(),
            (None, ImportError::NoCredentials { .. }) => "credentials",
            (None, _) => "configuration",
        };
        FailureEntry {
            account: self.account(),
            region: call.and_then(|c| c.region.as_deref()),
            operation,
            kind: self.kind(),
            http_status: self.http_status(),
            error_code: self.code(),
            message: self.to_string(),
        }
        .serialize(serializer)
    }
}

/// Error codes of credentials the service does not accept.
const CREDENTIALS_CODES: &[&str] = &[
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "InvalidSignatureException",
    "IncompleteSignature",
    "MissingAuthenticationToken",
];

/// Error codes of a call the principal may not make.
const ACCESS_DENIED_CODES: &[&str] = &[
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "AuthorizationError",
    "NotAuthorized",
];

/// Error codes the SDK retries as throttling (aws-runtime's list).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// An error answer, by its code and status.
fn answered(
    call: Box<Call>,
    status: u16,
    code: Option<&str>,
    message: Option<&str>,
) -> ImportError {
    let message = message.map(one_line).filter(|m| !m.is_empty());
    let owned = code.map(str::to_string);
    match code {
        Some(c) if CREDENTIALS_CODES.contains(&c) => ImportError::CredentialsRefused {
            call,
            status,
            code: c.to_string(),
        },
        Some(c) if ACCESS_DENIED_CODES.contains(&c) => ImportError::AccessDenied {
            call,
            status,
            code: owned,
            message,
        },
        Some(c) if THROTTLING_CODES.contains(&c) => ImportError::Throttled {
            call,
            status,
            code: owned,
        },
        _ if status == 429 => ImportError::Throttled {
            call,
            status,
            code: owned,
        },
        _ if status >= 500 => ImportError::Unavailable {
            call,
            status,
            code: owned,
        },
        Some(c) => ImportError::Rejected {
            call,
            status,
            code: c.to_string(),
            message,
        },
        None if status == 401 || status == 403 => ImportError::AccessDenied {
            call,
            status,
            code: None,
            message,
        },
        None => ImportError::Unreadable {
            call,
            status: Some(status),
            detail: None,
        },
    }
}

/// A request that got no answer (`d`, the whole error `e`): a timeout, no credentials, no
/// connection.
fn dispatch_failed(
    call: Box<Call>,
    d: &DispatchFailure,
    e: &(dyn StdError + 'static),
) -> ImportError {
    if d.is_timeout() {
        return ImportError::TimedOut { call };
    }
    if let Some(reason) = credentials_problem(e) {
        return ImportError::NoCredentials {
            call: Some(call),
            profile: ProfileNote::of_environment(),
            reason,
        };
    }
    if d.is_io() {
        return ImportError::Unreachable {
            cause: connection_cause(e),
            call,
        };
    }
    ImportError::NotSent {
        detail: innermost(e),
        call,
    }
}

/// The errors a credential provider ends in (`CredentialsError`'s lines; the type is not
/// reachable from here). `None`: nothing found; `Some`: it failed.
const CREDENTIALS_FAILED: &[&str] = &[
    "an error occurred while loading credentials",
    "the credentials provider was not properly configured",
    "unexpected credentials error",
    "credentials provider timed out",
];
const CREDENTIALS_NOT_FOUND: &str = "the credential provider was not enabled";

/// When the chain of `e` holds a credential provider's error: `Some(None)` when the chain found
/// no credentials, `Some(Some(reason))` when a provider failed.
pub(crate) fn credentials_problem(e: &(dyn StdError + 'static)) -> Option<Option<String>> {
    let mut current = Some(e);
    while let Some(err) = current {
        let text = err.to_string();
        if text == CREDENTIALS_NOT_FOUND {
            return Some(None);
        }
        if CREDENTIALS_FAILED.iter().any(|f| text.starts_with(f)) {
            return Some(Some(chain_line(err)));
        }
        current = err.source();
    }
    None
}

/// Why a connection failed, in a few stable words.
fn connection_cause(e: &(dyn StdError + 'static)) -> String {
    let mut current = Some(e);
    while let Some(err) = current {
        if err.to_string().contains("dns error") {
            return "the name does not resolve".into();
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            return match io.kind() {
                ConnectionRefused => "connection refused".into(),
                ConnectionReset | ConnectionAborted => "connection reset".into(),
                TimedOut => "connection timed out".into(),
                _ => one_line(&io.to_string()),
            };
        }
        current = err.source();
    }
    innermost(e)
}

/// The innermost cause's message (the outer ones only wrap it), on one line.
fn innermost(e: &(dyn StdError + 'static)) -> String {
    let mut err = e;
    while let Some(source) = err.source() {
        err = source;
    }
    one_line(&err.to_string())
}

/// An error and its causes on one line, `: `-joined, each cause once (SDK errors often repeat
/// their source in their own message).
fn chain_line(e: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut current = Some(e);
    while let Some(err) = current {
        let text = one_line(&err.to_string());
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        current = err.source();
    }
    one_line(&parts.join(": "))
}

/// The first line of `s`, trimmed, at most 300 characters.
fn one_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// `HTTP 400 AccessDeniedException: User … is not authorized …`.
fn answer(status: Option<u16>, code: Option<&str>, message: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(status) = status {
        s.push_str(&format!("HTTP {status}"));
    }
    if let Some(code) = code {
        if !s.is_empty() {
            s.push(' ');
        }
        s.push_str(code);
    }
    if let Some(message) = message {
        s.push_str(": ");
        s.push_str(message);
    }
    s
}

/// What to grant, to whom, for a denied call.
fn grant(call: &Call) -> String {
    let action = &call.action;
    match (action.as_str(), &call.role) {
        ("sts:AssumeRole", Some(role)) => format!(
            "let the credentials ecs2eks runs with assume {role} (sts:AssumeRole, and the role's trust policy)"
        ),
        ("organizations:ListAccounts", _) => "run it with credentials of the management account or of a delegated administrator, with organizations:ListAccounts".into(),
        (_, Some(role)) => format!(
            "grant {action} to the role ecs2eks assumes, {role} (docs/import.md has the read-only policy)"
        ),
        (_, None) => format!(
            "grant {action} to the credentials ecs2eks runs with (docs/import.md has the read-only policy)"
        ),
    }
}

/// Where the call could not go: the endpoint given, or the service's endpoint in the region.
fn reach(call: &Call) -> String {
    match (&call.endpoint, &call.region) {
        (Some(url), _) => url.clone(),
        (None, Some(region)) if region != super::GLOBAL => {
            format!("the {} endpoint in {region}", call.service())
        }
        (None, _) => format!("the {} endpoint", call.service()),
    }
}

/// With `--endpoint-url`, an odd answer is most likely the endpoint's: say so; else `otherwise`.
fn endpoint_hint(call: &Call, otherwise: &str) -> String {
    match &call.endpoint {
        Some(url) => format!("check that {url} is an AWS API endpoint"),
        None => otherwise.to_string(),
    }
}

/// Whose the credentials are, and how to read the right account.
fn wrong_account(call: &Call, found: &str) -> String {
    let account = &call.account;
    match &call.role {
        Some(_) => format!(
            "the role is in account {found}, not {account}; set assumeRoleArn to a role of account {account}"
        ),
        None => format!(
            "the credentials belong to account {found}, not {account}; set assumeRoleArn for this account or use a profile of it"
        ),
    }
}

/// `no AWS credentials found (profile …)` or `the AWS credentials could not be loaded …`.
fn no_credentials(profile: Option<&ProfileNote>, reason: Option<&str>) -> String {
    match (profile, reason) {
        // A profile that does not exist explains whatever the chain tried next.
        (Some(p @ ProfileNote::Missing { .. }), _) | (Some(p), None) => {
            format!("no AWS credentials found ({p})")
        }
        (None, None) => "no AWS credentials found".into(),
        (Some(p), Some(reason)) => {
            format!("the AWS credentials could not be loaded ({p}): {reason}")
        }
        (None, Some(reason)) => format!("the AWS credentials could not be loaded: {reason}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(action: &str) -> Call {
        Call {
            account: "123456789012".into(),
            region: Some("eu-west-1".into()),
            action: action.into(),
            subject: None,
            role: Some("arn:aws:iam::123456789012:role/reader".into()),
            endpoint: None,
        }
    }

    #[test]
    fn answers_are_classified_by_code_then_status() {
        let c = || call("ecs:ListClusters");
        let kind = |status, code: Option<&str>| answered(Box::new(c()), status, code, None).kind();
        assert_eq!(kind(400, Some("AccessDeniedException")), "accessDenied");
        assert_eq!(kind(403, None), "accessDenied");
        assert_eq!(
            kind(403, Some("InvalidClientTokenId")),
            "credentialsRefused"
        );
        assert_eq!(kind(400, Some("ThrottlingException")), "throttled");
        assert_eq!(kind(429, None), "throttled");
        assert_eq!(kind(503, Some("ServiceUnavailable")), "unavailable");
        assert_eq!(kind(500, None), "unavailable");
        assert_eq!(kind(400, Some("ClusterNotFoundException")), "rejected");
        assert_eq!(kind(404, None), "unreadable");
    }

    #[test]
    fn each_failure_is_one_line_with_status_code_and_what_to_do() {
        let denied = answered(
            Box::new(call("ecs:ListClusters").about("cluster shop")),
            400,
            Some("AccessDeniedException"),
            Some("User: x is not authorized\nsecond line"),
        );
        assert_eq!(
            denied.to_string(),
            "123456789012 eu-west-1: ecs:ListClusters (cluster shop): access denied (HTTP 400 \
             AccessDeniedException: User: x is not authorized); grant ecs:ListClusters to the role \
             ecs2eks assumes, arn:aws:iam::123456789012:role/reader (docs/import.md has the \
             read-only policy)"
        );
        let unreachable = ImportError::Unreachable {
            call: Box::new(Call {
                endpoint: Some("http://127.0.0.1:1".into()),
                region: None,
                ..call("sts:GetCallerIdentity")
            }),
            cause: "connection refused".into(),
        };
        assert_eq!(
            unreachable.to_string(),
            "123456789012: sts:GetCallerIdentity: cannot reach http://127.0.0.1:1 (connection \
             refused), still after retries; check the endpoint URL or your network"
        );
        let none = ImportError::NoCredentials {
            call: None,
            profile: Some(ProfileNote::Missing {
                name: "nosuch".into(),
                config_file: "~/.aws/config".into(),
            }),
            reason: Some("IMDS said no".into()),
        };
        assert_eq!(
            none.to_string(),
            "no AWS credentials found (profile `nosuch` is not in ~/.aws/config); run `aws sso \
             login` or set AWS_PROFILE"
        );
        for e in [denied, unreachable, none] {
            assert!(!e.to_string().contains('\n'));
        }
    }

    #[test]
    fn the_report_entry_has_the_fields_and_the_line() {
        let e = answered(Box::new(call("iam:GetRole")), 503, None, None);
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["operation"], "iam:GetRole");
        assert_eq!(v["kind"], "unavailable");
        assert_eq!(v["httpStatus"], 503);
        assert!(v.get("errorCode").is_none());
        assert_eq!(v["message"], e.to_string());
    }

    #[test]
    fn long_or_multi_line_messages_are_cut() {
        assert_eq!(one_line("  a\nb"), "a");
        assert_eq!(one_line(&"x".repeat(400)).chars().count(), 301);
    }
}
