//! A workload's half of IAM: its ServiceAccount, and which role its pods get (`RoleBinding`):
//! the task role itself (extend-task-role), a new role made from it (new-role), or a role given
//! through EKS Pod Identity.

use crate::diagnostics::{Code, Finding, Findings};
use crate::mappings::{Cluster, IamStrategy, Mappings};
use crate::model::ecs::{Service, TaskDefinition};
use crate::model::fields::join;
use crate::model::iam::split_role;
use crate::model::k8s::{Object, ObjectMeta};
use crate::model::names::NameContext;
use crate::model::read::{Inputs, Sourced};
use crate::model::target::cluster::{ClusterValue, Clusters};
use crate::model::target::iam::{RoleBinding, Text};
use serde_json::json;

pub const ROLE_ARN_ANNOTATION: &str = "eks.amazonaws.com/role-arn";

/// What `service_account` needs to know about the workload.
pub struct IamContext<'a> {
    pub td: &'a Sourced<TaskDefinition>,
    pub service: Option<&'a Sourced<Service>>,
    pub inputs: &'a Inputs,
    pub mappings: &'a Mappings,
    pub clusters: &'a Clusters,
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

/// The task role a workload names, resolved, and the role its pods get.
struct TaskRole<'a> {
    /// As the task definition names it: an ARN or a name.
    reference: &'a str,
    /// Its account (the workload's when the reference names none), path and name.
    source_account: String,
    source_path: String,
    source_name: String,
    /// Its position in `inputs.roles`, when the inputs hold it.
    source: Option<usize>,
    /// The pods' role: its account (the task role's, else the cluster's), name and path.
    account: String,
    name: String,
    path: String,
}

impl TaskRole<'_> {
    /// The pods' role.
    fn arn(&self) -> String {
        format!(
            "arn:aws:iam::{}:role{}{}",
            self.account, self.path, self.name
        )
    }

    fn source_arn(&self) -> String {
        if self.reference.starts_with("arn:") {
            self.reference.to_string()
        } else {
            format!(
                "arn:aws:iam::{}:role{}{}",
                self.source_account, self.source_path, self.source_name
            )
        }
    }
}

/// The role the workload's pods get, or None when it has no task role or cannot get one.
fn binding(c: &IamContext<'_>, findings: &mut Findings) -> Option<RoleBinding> {
    let reference =
        c.td.value
            .task_role_arn
            .as_deref()
            .filter(|r| !r.trim().is_empty())?;
    let field = join(&c.td.path, "taskRoleArn");
    if crate::model::fields::looks_like_placeholder(reference) {
        // A made-up ARN would be an IRSA annotation and a Terraform role of nobody's.
        findings.push(
            Code::TaskRolePlaceholder,
            field,
            format!("task role {reference} is a template placeholder: no role was made"),
        );
        return None;
    }
    let app = c.names.service;
    let strategy = c.mappings.iam.strategy_of(app);
    if strategy == IamStrategy::PodIdentity && on_fargate(c, findings) {
        return None;
    }
    let cluster = c.clusters.of(c.names.environment);
    let role = task_role(c, reference, strategy, cluster, findings)?;
    if !check_role(c, &role, strategy, cluster, &field, findings) {
        return None;
    }
    cluster_unset(c, strategy, findings);
    Some(RoleBinding {
        strategy,
        source_arn: role.source_arn(),
        source: role.source,
        account: role.account,
        name: role.name,
        path: role.path,
        app: app.to_string(),
        environment: c.names.environment.to_string(),
        namespace: c.namespace.to_string(),
        service_account: c.service_account.to_string(),
        input: c.td.input.clone(),
        field,
    })
}

/// True, with the finding, when the workload runs on Fargate, where Pod Identity is not.
fn on_fargate(c: &IamContext<'_>, findings: &mut Findings) -> bool {
    let Some((input, at, why)) = super::super::platform::fargate(c.td, c.service) else {
        return false;
    };
    let mut f = Finding::new(
        Code::PodIdentityOnFargate,
        at,
        format!(
            "{} runs on Fargate ({why}) and Pod Identity is not available to Fargate pods",
            c.names.service
        ),
    );
    f.input = input;
    findings.add(f);
    true
}

/// Task role `reference` resolved, named for `strategy`; None when the role name template fails.
fn task_role<'r>(
    c: &IamContext<'_>,
    reference: &'r str,
    strategy: IamStrategy,
    cluster: &Cluster,
    findings: &mut Findings,
) -> Option<TaskRole<'r>> {
    let (source_account, source_path, source_name) = split_role(reference);
    let source_account = if source_account.is_empty() {
        c.names.account.to_string()
    } else {
        source_account
    };
    let source = find_role(c.inputs, &source_account, &source_name);
    let account = if source_account.is_empty() {
        cluster.account.clone().unwrap_or_default()
    } else {
        source_account.clone()
    };
    let name = match strategy {
        IamStrategy::ExtendTaskRole => source_name.clone(),
        IamStrategy::NewRole | IamStrategy::PodIdentity => {
            match render_role_name(&c.mappings.iam.role_name, &source_name, c.names) {
                Ok(n) => n,
                Err(message) => {
                    findings.push(Code::NameTemplate, "", message);
                    return None;
                }
            }
        }
    };
    Some(TaskRole {
        reference,
        path: source_path.clone(),
        source_account,
        source_path,
        source_name,
        source,
        account,
        name,
    })
}

/// What the pods' role cannot carry: the execution role's permissions, Pod Identity across
/// accounts (false: the workload gets no role), and permissions the inputs do not list.
fn check_role(
    c: &IamContext<'_>,
    role: &TaskRole<'_>,
    strategy: IamStrategy,
    cluster: &Cluster,
    field: &str,
    findings: &mut Findings,
) -> bool {
    let (source_name, account, name) = (&role.source_name, role.account.as_str(), &role.name);
    if c.td.value.execution_role_arn.as_deref() == Some(role.reference) {
        findings.push(
            Code::TaskRoleIsExecutionRole,
            field,
            format!(
                "task role {source_name} is also the execution role: its image-pull, log and secret permissions go to the pods' role too"
            ),
        );
    }
    if strategy == IamStrategy::PodIdentity && !cluster.holds(account, c.names.account) {
        findings.push(
            Code::PodIdentityCrossAccount,
            field,
            format!(
                "role {name} is in account {account}, the cluster of environment {} in account {}: a Pod Identity association across accounts needs a target role (target_role_arn), which the AWS provider of the generated Terraform (5.x) cannot write; no role was written",
                c.names.environment,
                cluster.account(c.names.account)
            ),
        );
        return false;
    }
    match role.source.map(|i| &c.inputs.roles[i]) {
        None => findings.push(
            Code::TaskRoleNotInInputs,
            field,
            format!(
                "task role {source_name} is not in the inputs: the ServiceAccount gets {}, whose permissions could not be carried",
                if strategy == IamStrategy::PodIdentity {
                    format!("role {} through Pod Identity", role.arn())
                } else {
                    role.arn()
                }
            ),
        ),
        Some(r) if !r.value.permissions_known() => findings.push(
            Code::TaskRolePermissionsUnknown,
            field,
            format!(
                "task role {source_name} was read from {} ({}), which lists no permissions: they could not be carried",
                r.input, r.path
            ),
        ),
        Some(_) => {}
    }
    true
}

/// E2K457 when the cluster value `strategy` needs (the OIDC issuer, or the name for Pod
/// Identity) is not given: what to set, and what the repository's Terraform asks for instead.
fn cluster_unset(c: &IamContext<'_>, strategy: IamStrategy, findings: &mut Findings) {
    let environment = c.names.environment;
    let (value, what) = match strategy {
        IamStrategy::PodIdentity => (ClusterValue::Name, "name"),
        _ => (ClusterValue::OidcIssuer, "OIDC issuer"),
    };
    if let Text::Var { name: var, .. } = c.clusters.value(environment, value) {
        let key = value.mapping_key();
        let inventory_key = match value {
            ClusterValue::Name => "clusterName",
            _ => key,
        };
        findings.push(
            Code::ClusterUnset,
            "",
            format!(
                "the {what} of environment {environment}'s cluster is not set: set iam.clusters.{environment}.{key} in the mappings (or {inventory_key} under environments.{environment} in the inventory); until then the repository's Terraform (--out) asks for variable {var}",
            ),
        );
    }
}

/// The role of `account` named `name` (IAM role names are case-insensitive), preferring an
/// input that lists its permissions.
fn find_role(inputs: &Inputs, account: &str, name: &str) -> Option<usize> {
    let matches = matching_roles(inputs, account, name);
    matches
        .iter()
        .copied()
        .find(|&i| inputs.roles[i].value.permissions_known())
        .or(matches.first().copied())
}

/// Positions in `inputs.roles` of the roles of `account` named `name`, in the order read.
pub(super) fn matching_roles(inputs: &Inputs, account: &str, name: &str) -> Vec<usize> {
    inputs
        .roles_named(name)
        .iter()
        .map(|&i| i as usize)
        .filter(|&i| {
            let Some((acct, n)) = inputs.roles[i].value.account_and_name() else {
                return false;
            };
            n.eq_ignore_ascii_case(name)
                && (acct.is_empty() || account.is_empty() || acct == account)
        })
        .collect()
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
        crate::model::names::render_named("iam.roleName template", template, &Ctx { role, names })?;
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
