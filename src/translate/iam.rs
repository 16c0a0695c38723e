//! IAM: a task role becomes the pods' ServiceAccount and an IAM role written as Terraform.
//!
//! An ECS task gets AWS credentials from its `taskRoleArn`; a pod gets them from its
//! ServiceAccount, through IRSA (an annotated ServiceAccount and a role trusting the cluster's
//! OIDC provider for exactly that namespace and ServiceAccount) or EKS Pod Identity (an
//! association, no annotation). `service_account` does the per-workload half (the ServiceAccount
//! and which role it gets); `plan` then groups the workloads by role, since one task role is
//! often shared, and makes the target-side model that `export::terraform` renders.
//! The execution role is never given to pods (`placement` says so).

use super::Workloads;
use super::names::NameContext;
use crate::diagnostics::{Code, Finding, Findings, FindingsFile, Severity, SpillSet, Stored};
use crate::error::InputError;
use crate::import::{Inputs, Sourced};
use crate::mappings::{IamStrategy, Mappings};
use crate::model::ecs::{Arn, Service, TaskDefinition};
use crate::model::fields::join;
use crate::model::iam::Role;
use crate::model::k8s::{Object, ObjectMeta};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub const ROLE_ARN_ANNOTATION: &str = "eks.amazonaws.com/role-arn";
const ADMINISTRATOR_ACCESS: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// A Terraform string: a literal, or a variable the user sets at plan time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum Text {
    Literal(String),
    Var { name: String, description: String },
}

/// Which role the pods of one workload get, and how.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RoleBinding {
    pub strategy: IamStrategy,
    /// The task role as the task definition names it, and the role read from the inputs.
    pub source_arn: String,
    pub source: Option<usize>,
    /// The role on the EKS side: its account, account name (the Terraform folder), name, path.
    pub account: String,
    pub account_name: String,
    pub name: String,
    pub path: String,
    pub app: String,
    pub environment: String,
    pub namespace: String,
    pub service_account: String,
    pub oidc_issuer: Text,
    pub cluster_name: Text,
    /// Where the task role is named (input file, JSON path), for findings.
    pub input: String,
    pub field: String,
}

/// A workload's role binding until the roles are planned: in memory, or moved to the run's
/// findings file as its app is converted (a large run has one per workload), with the names the
/// plan sorts by.
#[derive(Debug, Clone)]
pub enum HeldRole {
    Here(Box<RoleBinding>),
    Moved {
        account_name: Box<str>,
        name: Box<str>,
        file: Arc<FindingsFile>,
        at: Stored,
        /// Where its task role is named, for an error if it cannot be read back.
        input: Box<str>,
    },
}

impl HeldRole {
    /// The role's folder (account name) and name.
    fn key(&self) -> (&str, &str) {
        match self {
            HeldRole::Here(b) => (&b.account_name, &b.name),
            HeldRole::Moved {
                account_name, name, ..
            } => (account_name, name),
        }
    }

    /// Moves the binding to `file`; it stays here if it cannot be written.
    pub fn move_to(&mut self, file: &Arc<FindingsFile>) {
        let HeldRole::Here(b) = self else {
            return;
        };
        let Some(at) = serde_json::to_vec(b)
            .ok()
            .and_then(|bytes| file.put_bytes(&bytes))
        else {
            return;
        };
        *self = HeldRole::Moved {
            account_name: b.account_name.as_str().into(),
            name: b.name.as_str().into(),
            file: file.clone(),
            at,
            input: b.input.as_str().into(),
        };
    }

    pub fn binding(&self) -> Result<std::borrow::Cow<'_, RoleBinding>, InputError> {
        match self {
            HeldRole::Here(b) => Ok(std::borrow::Cow::Borrowed(b)),
            HeldRole::Moved {
                file, at, input, ..
            } => file
                .get_bytes(at)
                .map_err(|e| e.to_string())
                .and_then(|bytes| serde_json::from_slice(&bytes).map_err(|e| e.to_string()))
                .map(std::borrow::Cow::Owned)
                .map_err(|e| InputError::Read {
                    input: input.to_string(),
                    message: format!(
                        "its IAM role binding could not be read back from the temporary file: {e}"
                    ),
                }),
        }
    }
}

impl RoleBinding {
    pub fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account, self.path, self.name
        )
    }
}

/// The IAM roles to write, sorted by folder then name.
#[derive(Debug, Clone, Default)]
pub struct IamPlan {
    pub roles: Vec<IamRole>,
    /// The folders the roles go to (kept when a large run drops the roles once written).
    pub directories: BTreeSet<String>,
}

/// One IAM role as Terraform: the target-side model `export::terraform` renders.
#[derive(Debug, Clone, PartialEq)]
pub struct IamRole {
    /// Folder under `iam/`: one Terraform root per account (its name in the inventory, or id).
    pub directory: String,
    pub account: String,
    pub name: String,
    pub path: String,
    /// Terraform resource name, unique in its folder.
    pub resource: String,
    /// The task role it is made from.
    pub source_arn: String,
    /// The role exists already (extend-task-role): Terraform imports it rather than creates it.
    pub adopt: bool,
    pub description: Option<String>,
    pub max_session_duration: Option<i64>,
    pub permissions_boundary: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub trust: Vec<TrustStatement>,
    /// Inline policies, carried verbatim, sorted by name.
    pub inline_policies: Vec<(String, Value)>,
    /// Managed policy ARNs, sorted.
    pub managed_policies: Vec<String>,
    pub pod_identity: Vec<PodIdentityAssociation>,
    /// False when the inputs did not list the source role's permissions.
    pub permissions_known: bool,
    /// `app (environment): namespace/serviceaccount`, sorted, for the file's header.
    pub used_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TrustStatement {
    /// A statement of the existing trust policy, kept as is.
    Verbatim(Value),
    /// IRSA: the cluster's OIDC provider, for exactly these `system:serviceaccount:ns:sa`.
    Oidc {
        provider_account: String,
        issuer: Text,
        subjects: Vec<String>,
    },
    /// EKS Pod Identity.
    PodIdentity,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PodIdentityAssociation {
    pub cluster_name: Text,
    pub namespace: String,
    pub service_account: String,
}

/// What `service_account` needs to know about the workload.
pub struct IamContext<'a> {
    pub td: &'a Sourced<TaskDefinition>,
    pub service: Option<&'a Sourced<Service>>,
    pub inputs: &'a Inputs,
    pub mappings: &'a Mappings,
    pub names: &'a NameContext<'a>,
    pub namespace: &'a str,
    pub service_account: &'a str,
}

/// The workload's ServiceAccount (`meta` carries its name), and the role its pods get.
pub fn service_account(
    c: &IamContext<'_>,
    mut meta: ObjectMeta,
    findings: &mut Findings,
) -> (Object, Option<RoleBinding>) {
    let binding = binding(c, findings);
    let body = match &binding {
        Some(b) => {
            if b.strategy != IamStrategy::PodIdentity {
                meta.annotations
                    .insert(ROLE_ARN_ANNOTATION.to_string(), b.arn());
            }
            json!({})
        }
        None => json!({ "automountServiceAccountToken": false }),
    };
    (Object::new("v1", "ServiceAccount", meta, body), binding)
}

fn binding(c: &IamContext<'_>, findings: &mut Findings) -> Option<RoleBinding> {
    let t = &c.td.value;
    let reference = t
        .task_role_arn
        .as_deref()
        .filter(|r| !r.trim().is_empty())?;
    let field = join(&c.td.path, "taskRoleArn");
    let app = c.names.service;
    let strategy = c.mappings.iam.strategy_of(app);
    if strategy == IamStrategy::PodIdentity
        && let Some((input, at, why)) = fargate(c.td, c.service)
    {
        let mut f = Finding::new(
            Code::PodIdentityOnFargate,
            at,
            format!(
                "{app} runs on Fargate ({why}) and Pod Identity is not available to Fargate pods"
            ),
        );
        f.input = input;
        findings.add(f);
        return None;
    }
    let (source_account, source_path, source_name) = split_role(reference);
    let source_account = if source_account.is_empty() {
        c.names.account.to_string()
    } else {
        source_account
    };
    let source = find_role(&c.inputs.roles, &source_account, &source_name);
    let role = source.map(|i| &c.inputs.roles[i]);
    let cluster = c.mappings.iam.cluster_of(c.names.environment);
    let account = if source_account.is_empty() {
        cluster.account.clone().unwrap_or_default()
    } else {
        source_account.clone()
    };

    let (name, path) = match strategy {
        IamStrategy::ExtendTaskRole => (source_name.clone(), source_path.clone()),
        IamStrategy::NewRole | IamStrategy::PodIdentity => {
            let rendered = render_role_name(&c.mappings.iam.role_name, &source_name, c.names);
            match rendered {
                Ok(n) => (n, source_path.clone()),
                Err(message) => {
                    findings.push(Code::NameTemplate, "", message);
                    return None;
                }
            }
        }
    };
    let target = format!("arn:aws:iam::{account}:role{path}{name}");
    if t.execution_role_arn.as_deref() == Some(reference) {
        findings.push(
            Code::TaskRoleIsExecutionRole,
            &field,
            format!(
                "task role {source_name} is also the execution role: its image-pull, log and secret permissions go to the pods' role too"
            ),
        );
    }
    if strategy == IamStrategy::PodIdentity
        && let Some(cluster_account) = cluster.account.as_deref()
        && !account.is_empty()
        && cluster_account != account
    {
        findings.push(
            Code::PodIdentityOtherAccount,
            &field,
            format!(
                "role {name} is in account {account}, the cluster of environment {} in account {cluster_account}: Pod Identity associates roles of the cluster's account only",
                c.names.environment
            ),
        );
    }
    match role {
        None => findings.push(
            Code::TaskRoleNotInInputs,
            &field,
            format!(
                "task role {source_name} is not in the inputs: the ServiceAccount gets {}, whose permissions could not be carried",
                if strategy == IamStrategy::PodIdentity {
                    format!("role {target} through Pod Identity")
                } else {
                    target.clone()
                }
            ),
        ),
        Some(r) if !r.value.permissions_known() => findings.push(
            Code::TaskRolePermissionsUnknown,
            &field,
            format!(
                "task role {source_name} was read from {} ({}), which lists no permissions: they could not be carried",
                r.input, r.path
            ),
        ),
        Some(_) => {}
    }
    let env_id = ident(c.names.environment);
    let oidc_issuer = match cluster.oidc_issuer {
        Some(i) => Text::Literal(issuer_host(&i)),
        None => Text::Var {
            name: format!("oidc_issuer_{env_id}"),
            description: format!(
                "OIDC issuer of the EKS cluster of environment {}, without https:// (aws eks describe-cluster --query cluster.identity.oidc.issuer)",
                c.names.environment
            ),
        },
    };
    let cluster_name = match cluster.name {
        Some(n) => Text::Literal(n),
        None => Text::Var {
            name: format!("cluster_name_{env_id}"),
            description: format!(
                "Name of the EKS cluster of environment {}",
                c.names.environment
            ),
        },
    };
    let unset = match strategy {
        IamStrategy::PodIdentity => &cluster_name,
        _ => &oidc_issuer,
    };
    if let Text::Var { name: var, .. } = unset {
        findings.push(
            Code::ClusterUnset,
            "",
            format!(
                "the {} of environment {}'s cluster is not in the mappings: Terraform asks for variable {var}",
                if strategy == IamStrategy::PodIdentity {
                    "name"
                } else {
                    "OIDC issuer"
                },
                c.names.environment
            ),
        );
    }
    Some(RoleBinding {
        strategy,
        source_arn: if reference.starts_with("arn:") {
            reference.to_string()
        } else {
            format!("arn:aws:iam::{source_account}:role{source_path}{source_name}")
        },
        source,
        account,
        account_name: if c.names.account_name.is_empty() {
            c.names.account.to_string()
        } else {
            c.names.account_name.to_string()
        },
        name,
        path,
        app: app.to_string(),
        environment: c.names.environment.to_string(),
        namespace: c.namespace.to_string(),
        service_account: c.service_account.to_string(),
        oidc_issuer,
        cluster_name,
        input: c.td.input.clone(),
        field,
    })
}

/// `(account, path, name)` of a role ARN (`arn:aws:iam::1:role/path/name`) or bare role name.
fn split_role(reference: &str) -> (String, String, String) {
    match Arn::parse(reference) {
        Some(arn) => {
            let resource = arn.resource.strip_prefix("role").unwrap_or(arn.resource);
            let (path, name) = match resource.rfind('/') {
                Some(i) => (&resource[..=i], &resource[i + 1..]),
                None => ("/", resource),
            };
            let path = if path.is_empty() { "/" } else { path };
            (arn.account.to_string(), path.to_string(), name.to_string())
        }
        None => (String::new(), "/".to_string(), reference.to_string()),
    }
}

/// The role of `account` named `name` (IAM role names are case-insensitive), preferring an
/// input that lists its permissions.
fn find_role(roles: &[Sourced<Role>], account: &str, name: &str) -> Option<usize> {
    let matches = matching_roles(roles, account, name);
    matches
        .iter()
        .copied()
        .find(|&i| roles[i].value.permissions_known())
        .or(matches.first().copied())
}

fn matching_roles(roles: &[Sourced<Role>], account: &str, name: &str) -> Vec<usize> {
    (0..roles.len())
        .filter(|&i| {
            let r = &roles[i].value;
            let (acct, _, n) = match (&r.arn, &r.role_name) {
                (Some(arn), _) => split_role(arn),
                (None, Some(n)) => (String::new(), "/".into(), n.clone()),
                (None, None) => return false,
            };
            n.eq_ignore_ascii_case(name)
                && (acct.is_empty() || account.is_empty() || acct == account)
        })
        .collect()
}

/// Where the workload says it runs on Fargate: `(input, JSON path, what says so)`.
fn fargate(
    td: &Sourced<TaskDefinition>,
    service: Option<&Sourced<Service>>,
) -> Option<(String, String, String)> {
    if let Some(s) = service {
        if let Some(lt) = s.value.launch_type.as_deref().filter(|l| !l.is_empty()) {
            return lt.eq_ignore_ascii_case("FARGATE").then(|| {
                (
                    s.input.clone(),
                    join(&s.path, "launchType"),
                    "launchType FARGATE".into(),
                )
            });
        }
        let providers: Vec<&str> = s
            .value
            .capacity_provider_strategy
            .iter()
            .filter_map(|p| p.capacity_provider.as_deref())
            .collect();
        if !providers.is_empty() {
            return providers.iter().all(|p| p.starts_with("FARGATE")).then(|| {
                (
                    s.input.clone(),
                    join(&s.path, "capacityProviderStrategy"),
                    format!("capacity providers {}", providers.join(", ")),
                )
            });
        }
    }
    let compat = &td.value.requires_compatibilities;
    let has = |k: &str| compat.iter().any(|c| c.eq_ignore_ascii_case(k));
    (has("FARGATE") && !has("EC2") && !has("EXTERNAL")).then(|| {
        (
            td.input.clone(),
            join(&td.path, "requiresCompatibilities"),
            "requiresCompatibilities FARGATE".into(),
        )
    })
}

/// Renders the role name template and makes a valid IAM role name of it (`[\w+=,.@-]`, ≤ 64).
fn render_role_name(template: &str, role: &str, names: &NameContext<'_>) -> Result<String, String> {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Ctx<'a> {
        role: &'a str,
        #[serde(flatten)]
        names: &'a NameContext<'a>,
    }
    let rendered =
        super::names::render_named("iam.roleName template", template, &Ctx { role, names })?;
    let mut name: String = rendered
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "+=,.@-_".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    name.truncate(64);
    if name.is_empty() {
        return Err(format!("iam.roleName template {template:?} renders empty"));
    }
    Ok(name)
}

/// `oidc.eks.eu-west-1.amazonaws.com/id/X` out of an issuer URL.
fn issuer_host(issuer: &str) -> String {
    issuer
        .trim()
        .trim_start_matches("https://")
        .trim_end_matches('/')
        .to_string()
}

/// A Terraform identifier made from any name: `orders-app` → `orders_app`.
pub fn ident(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("r_{out}")
    } else {
        out
    }
}

/// Groups the workloads' bindings by role and makes the roles; adds the findings about roles
/// (sharing, risky permissions) to every workload that uses them.
pub fn plan(workloads: &mut Workloads, inputs: &Inputs) -> (IamPlan, Vec<InputError>) {
    let mut roles = Vec::new();
    let (directories, errors) = plan_each(workloads, inputs, &mut |chunk| roles.extend(chunk));
    (IamPlan { roles, directories }, errors)
}

/// How many roles `plan_each` builds before handing them on.
const ROLES_AT_ONCE: usize = 1024;

/// `plan`, handing the roles to `on_roles` a chunk at a time, in the plan's order, so a large run
/// can write each chunk and drop it. Returns the folders the roles go to, and the bindings that
/// could not be read back from the findings file.
pub fn plan_each(
    workloads: &mut Workloads,
    inputs: &Inputs,
    on_roles: &mut dyn FnMut(Vec<IamRole>),
) -> (BTreeSet<String>, Vec<InputError>) {
    // The users of each role, in workload order: each position filed under `folder\0name`, in
    // the run's file as sorted runs in a large run (one per workload); each user's binding is
    // read back, a chunk of roles at a time, below.
    let mut by_role = SpillSet::new(workloads.file().cloned());
    workloads.for_each_live(
        |w| {
            let (folder, name) = w.role.as_ref()?.key();
            Some(format!("{folder}\0{name}"))
        },
        |i, key| {
            if let Some(key) = key {
                by_role.insert_keyed(&key, i);
            }
        },
    );
    let mut directories = BTreeSet::new();
    let mut resources: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut errors = Vec::new();
    use rayon::prelude::*;
    let mut entries = by_role.keyed().peekable();
    loop {
        // The next roles' users (positions), up to ROLES_AT_ONCE roles.
        let mut chunk: Vec<Vec<usize>> = Vec::new();
        let mut last: Option<String> = None;
        while let Some(entry) = entries.peek() {
            let (key, i) = match entry {
                Ok(entry) => entry,
                // The roles not read back are not planned (nothing follows an error).
                Err(_) => {
                    let e = entries.next().and_then(Result::err).expect("peeked");
                    errors.push(InputError::unread("IAM role user", 0, e));
                    break;
                }
            };
            if last.as_ref() != Some(key) {
                if chunk.len() == ROLES_AT_ONCE {
                    break;
                }
                last = Some(key.clone());
                chunk.push(Vec::new());
            }
            chunk.last_mut().expect("pushed above").push(*i);
            entries.next();
        }
        if chunk.is_empty() {
            break;
        }
        // Roles are built in parallel (a large run has one binding per workload); their findings
        // and Terraform names are given out in order.
        // Read back (from the findings file, in a large run) a chunk at a time; one that cannot
        // be is an error of the run, and its role is built from the others' bindings.
        let read_back: Vec<Vec<Result<(usize, RoleBinding), InputError>>> = chunk
            .par_iter()
            .map(|members| {
                members
                    .iter()
                    .map(|&i| {
                        let w = workloads.get(i)?;
                        let role = w.role.as_ref().expect("filed as a role's user");
                        Ok((i, role.binding()?.into_owned()))
                    })
                    .collect()
            })
            .collect();
        let read: Vec<(Vec<usize>, Vec<RoleBinding>)> = read_back
            .into_iter()
            .map(|members| {
                let mut read = (Vec::new(), Vec::new());
                for member in members {
                    match member {
                        Ok((i, binding)) => {
                            read.0.push(i);
                            read.1.push(binding);
                        }
                        Err(e) => errors.push(e),
                    }
                }
                read
            })
            .collect();
        let built: Vec<_> = read
            .par_iter()
            .map(|(_, owned)| {
                let bindings: Vec<&RoleBinding> = owned.iter().collect();
                let Some(first) = bindings.first() else {
                    return (String::new(), None, Vec::new());
                };
                let (directory, name) = (&first.account_name, &first.name);
                let mut role_findings = Vec::new();
                let role = build_role(directory, name, &bindings, inputs, &mut role_findings);
                let size = role.as_ref().map(trust_size);
                let findings =
                    role_findings_of(name, &bindings, &role_findings, role.is_some(), size);
                (directory.clone(), role, findings)
            })
            .collect();
        let members: Vec<Vec<usize>> = read.into_iter().map(|(members, _)| members).collect();
        let mut roles = Vec::new();
        for (members, (directory, role, findings)) in members.into_iter().zip(built) {
            for (&i, own) in members.iter().zip(findings) {
                for f in own {
                    // Which workloads failed is settled before the plan (their secret reads
                    // are grouped then).
                    debug_assert!(f.severity < Severity::Error, "{f:?}");
                    workloads.add_finding(i, f);
                }
            }
            if let Some(mut role) = role {
                let taken = resources.entry(directory).or_default();
                let base = ident(&role.name);
                let mut resource = base.clone();
                let mut n = 2;
                while !taken.insert(resource.clone()) {
                    resource = format!("{base}_{n}");
                    n += 1;
                }
                role.resource = resource;
                directories.insert(role.directory.clone());
                roles.push(role);
            }
        }
        on_roles(roles);
    }
    (directories, errors)
}

/// The findings about one role for each of its users (in `bindings`' order): shared, those of
/// the role itself (`role_findings`), kept but unknown (`built` false), or a trust policy over
/// IAM's limit (`size`).
fn role_findings_of(
    name: &str,
    bindings: &[&RoleBinding],
    role_findings: &[Finding],
    built: bool,
    size: Option<usize>,
) -> Vec<Vec<Finding>> {
    let users: Vec<String> = bindings
        .iter()
        .map(|b| format!("{} ({})", b.app, b.environment))
        .collect();
    bindings
        .iter()
        .map(|b| {
            let located = |(code, message): (Code, String)| {
                let mut f = Finding::new(code, &b.field, message);
                f.input = b.input.clone();
                f
            };
            let mut out = Vec::new();
            if bindings.len() > 1 {
                out.push(located((
                    Code::RoleShared,
                    format!(
                        "role {name} is shared by {}: it trusts each of their ServiceAccounts",
                        users.join(", ")
                    ),
                )));
            }
            out.extend(role_findings.iter().cloned());
            let mut messages = Vec::new();
            if !built {
                messages.push((
                    Code::TaskRoleNotInInputs,
                    format!(
                        "role {name} is kept (extend-task-role) but its trust policy is not in the inputs: no Terraform was written for it"
                    ),
                ));
            }
            if let Some(size) = size.filter(|s| *s > TRUST_POLICY_LIMIT) {
                messages.push((
                    Code::TrustPolicyTooLarge,
                    format!(
                        "the trust policy of role {name} is about {size} characters, over IAM's default limit of {TRUST_POLICY_LIMIT}"
                    ),
                ));
            }
            out.extend(messages.into_iter().map(located));
            out
        })
        .collect()
}

/// IAM's default quota for a role trust policy (characters, whitespace not counted); it can be
/// raised to 4,096.
const TRUST_POLICY_LIMIT: usize = 2048;

/// The length of the role's trust policy as IAM counts it (no whitespace); a variable issuer
/// counts as a typical one (`oidc.eks.<region>.amazonaws.com/id/<32 hex>`).
fn trust_size(role: &IamRole) -> usize {
    let typical = "oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF";
    let statements: Vec<Value> = role
        .trust
        .iter()
        .map(|st| match st {
            TrustStatement::Verbatim(v) => v.clone(),
            TrustStatement::Oidc {
                provider_account,
                issuer,
                subjects,
            } => {
                let issuer = match issuer {
                    Text::Literal(s) => s.as_str(),
                    Text::Var { .. } => typical,
                };
                json!({
                    "Effect": "Allow",
                    "Principal": {"Federated": format!("arn:aws:iam::{provider_account}:oidc-provider/{issuer}")},
                    "Action": "sts:AssumeRoleWithWebIdentity",
                    "Condition": {"StringEquals": {
                        format!("{issuer}:aud"): "sts.amazonaws.com",
                        format!("{issuer}:sub"): subjects,
                    }},
                })
            }
            TrustStatement::PodIdentity => json!({
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }),
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
        .to_string()
        .len()
}

fn build_role(
    directory: &str,
    name: &str,
    bindings: &[&RoleBinding],
    inputs: &Inputs,
    findings: &mut Vec<Finding>,
) -> Option<IamRole> {
    let first = bindings.first()?;
    let source = bindings
        .iter()
        .find_map(|b| b.source)
        .map(|i| &inputs.roles[i]);
    let adopt = bindings
        .iter()
        .any(|b| b.strategy == IamStrategy::ExtendTaskRole);
    let mut trust = Vec::new();
    if adopt {
        // Keeping a role whose trust policy is unknown would erase it: write nothing.
        let doc = source.and_then(|s| s.value.assume_role_policy_document.as_ref())?;
        match doc.get("Statement") {
            Some(Value::Array(statements)) => {
                trust.extend(statements.iter().cloned().map(TrustStatement::Verbatim))
            }
            Some(one @ Value::Object(_)) => trust.push(TrustStatement::Verbatim(one.clone())),
            _ => {}
        }
    }
    let mut oidc: BTreeMap<Text, BTreeSet<String>> = BTreeMap::new();
    let mut pod_identity = BTreeSet::new();
    for b in bindings {
        match b.strategy {
            IamStrategy::PodIdentity => {
                pod_identity.insert(PodIdentityAssociation {
                    cluster_name: b.cluster_name.clone(),
                    namespace: b.namespace.clone(),
                    service_account: b.service_account.clone(),
                });
            }
            _ => {
                oidc.entry(b.oidc_issuer.clone())
                    .or_default()
                    .insert(format!(
                        "system:serviceaccount:{}:{}",
                        b.namespace, b.service_account
                    ));
            }
        }
    }
    for (issuer, subjects) in oidc {
        trust.push(TrustStatement::Oidc {
            provider_account: first.account.clone(),
            issuer,
            subjects: subjects.into_iter().collect(),
        });
    }
    if !pod_identity.is_empty() {
        trust.push(TrustStatement::PodIdentity);
    }

    let mut inline_policies = Vec::new();
    let mut managed_policies = Vec::new();
    let mut description = None;
    let mut max_session_duration = None;
    let mut permissions_boundary = None;
    let mut tags = BTreeMap::new();
    if let Some(s) = source {
        let r = &s.value;
        for (i, p) in r.role_policy_list.iter().flatten().enumerate() {
            let at = format!("{}.RolePolicyList[{i}]", s.path);
            let policy_name = p
                .policy_name
                .clone()
                .unwrap_or_else(|| format!("policy-{i}"));
            if let Some(doc) = &p.policy_document {
                risks(
                    doc,
                    &s.input,
                    &join(&at, "PolicyDocument"),
                    &format!("inline policy {policy_name} of {name}"),
                    findings,
                );
                inline_policies.push((policy_name, doc.clone()));
            }
        }
        for (i, p) in r.attached_managed_policies.iter().flatten().enumerate() {
            let Some(arn) = p.policy_arn.clone() else {
                continue;
            };
            let at = format!("{}.AttachedManagedPolicies[{i}]", s.path);
            if arn == ADMINISTRATOR_ACCESS {
                let mut f = Finding::new(
                    Code::RiskyAdministratorAccess,
                    at,
                    format!("role {name} gets AdministratorAccess"),
                );
                f.input = s.input.clone();
                findings.push(f);
            } else if let Some(mp) = inputs
                .managed_policies
                .iter()
                .find(|m| m.value.arn.as_deref() == Some(arn.as_str()))
                && let Some((v, doc)) = mp.value.default_document()
            {
                risks(
                    doc,
                    &mp.input,
                    &format!("{}.PolicyVersionList[{v}].Document", mp.path),
                    &format!(
                        "managed policy {} of {name}",
                        mp.value.policy_name.as_deref().unwrap_or(&arn)
                    ),
                    findings,
                );
            }
            managed_policies.push(arn);
        }
        inline_policies.sort_by(|a, b| a.0.cmp(&b.0));
        managed_policies.sort();
        managed_policies.dedup();
        // get-role output has what the account details lack (description, session duration).
        let (acct, _, source_name) = split_role(&first.source_arn);
        let all: Vec<&Role> = matching_roles(&inputs.roles, &acct, &source_name)
            .into_iter()
            .map(|i| &inputs.roles[i].value)
            .collect();
        max_session_duration = r
            .max_session_duration
            .or_else(|| all.iter().find_map(|o| o.max_session_duration));
        let source_description = r
            .description
            .clone()
            .or_else(|| all.iter().find_map(|o| o.description.clone()));
        permissions_boundary = r
            .permissions_boundary
            .as_ref()
            .and_then(|p| p.permissions_boundary_arn.clone());
        for t in &r.tags {
            if let (Some(k), Some(v)) = (&t.key, &t.value) {
                tags.insert(k.clone(), v.clone());
            }
        }
        description = if adopt {
            source_description
        } else {
            Some(format!(
                "EKS role for the pods of task role {}",
                first.source_arn
            ))
        };
    } else if !adopt {
        description = Some(format!(
            "EKS role for the pods of task role {}",
            first.source_arn
        ));
    }
    let mut used_by: Vec<String> = bindings
        .iter()
        .map(|b| {
            format!(
                "{} ({}): {}/{}",
                b.app, b.environment, b.namespace, b.service_account
            )
        })
        .collect();
    used_by.sort();
    used_by.dedup();
    Some(IamRole {
        directory: account_directory(directory),
        account: first.account.clone(),
        name: name.to_string(),
        path: first.path.clone(),
        resource: String::new(),
        source_arn: first.source_arn.clone(),
        adopt,
        description,
        max_session_duration,
        permissions_boundary,
        tags,
        trust,
        inline_policies,
        managed_policies,
        pod_identity: pod_identity.into_iter().collect(),
        permissions_known: source.is_some_and(|s| s.value.permissions_known()),
        used_by,
    })
}

/// The folder under `iam/` of an account (its inventory name, or its id), made safe for a path:
/// other Terraform for that account (e.g. a policy for External Secrets Operator) goes there too.
pub fn account_directory(name: &str) -> String {
    let d = super::names::dns_label(name, "account");
    if d.is_empty() { "account".into() } else { d }
}

/// Findings for risky statements of one policy document (Allow statements only).
fn risks(doc: &Value, input: &str, at: &str, what: &str, findings: &mut Vec<Finding>) {
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return,
    };
    let is_array = matches!(doc.get("Statement"), Some(Value::Array(_)));
    for (i, st) in statements.into_iter().enumerate() {
        if !st
            .get("Effect")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("Allow"))
        {
            continue;
        }
        let actions = strings(st.get("Action"));
        let resources = strings(st.get("Resource"));
        if !resources.iter().any(|r| r == "*") {
            continue;
        }
        let field = if is_array {
            format!("{at}.Statement[{i}]")
        } else {
            format!("{at}.Statement")
        };
        let sid = st
            .get("Sid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let (code, message) = if actions.iter().any(|a| a == "*") {
            (
                Code::RiskyWildcard,
                format!("{what}: statement {i}{sid} allows every action on every resource"),
            )
        } else if let Some(a) = actions.iter().find(|a| glob(a, "iam:PassRole")) {
            (
                Code::RiskyPassRole,
                format!("{what}: statement {i}{sid} allows {a} on every role"),
            )
        } else {
            continue;
        };
        let mut f = Finding::new(code, field, message);
        f.input = input.to_string();
        findings.push(f);
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// IAM action matching: `*` and `?` wildcards, case-insensitive.
fn glob(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

#[cfg(test)]
mod tests;
