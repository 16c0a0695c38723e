//! The report's "Cross-account wiring" section: per target account (Terraform root), what
//! ecs2eks created in which root, what is left as a variable, and what to do by hand, in the
//! order of the README's "Going live" (apply the roots, sync the stores and apps, cut over).
//! It reads the roots as `export::roots` lays them out, so it says what the Terraform holds.

use super::roots::{Root, roots};
use crate::diagnostics::Code;
use crate::model::target::cluster::{ClusterValue, Clusters};
use crate::model::target::iam::Text;
use crate::model::target::{Conversion, Workload};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// What the user does by hand for the services of one account: the codes and their services.
const BY_HAND: [(Code, &str); 3] = [
    (
        Code::CrossAccountCertificate,
        "import or issue the certificates of the load balancers in the cluster's account and region",
    ),
    (
        Code::EfsCrossAccount,
        "connect the cluster's VPC to the file systems' mount targets (VPC peering or Transit Gateway) and allow NFS from the nodes",
    ),
    (
        Code::PodIdentityCrossAccount,
        "not converted: use IRSA for these apps, or create their Pod Identity associations with a target role by hand",
    ),
];

/// The section, or nothing when the repository writes no Terraform and nothing crosses accounts.
pub fn section(conversion: &Conversion, out: &mut String) {
    let roots = roots(conversion);
    let clusters = &conversion.clusters;
    if roots.is_empty() && by_hand(conversion).is_empty() {
        return;
    }
    out.push_str("## Cross-account wiring\n\n");
    clusters_said(conversion, out);
    out.push_str("Per account, in the order of going live: apply its Terraform root, then sync the secret stores and apps, then cut over.\n\n");
    let hand = by_hand(conversion);
    let mut accounts: BTreeMap<&str, Option<(&str, &Root)>> = BTreeMap::new();
    for (dir, root) in &roots {
        accounts.insert(root.account, Some((*dir, root)));
    }
    for account in hand.keys() {
        accounts.entry(account).or_insert(None);
    }
    for (account, root) in accounts {
        let _ = writeln!(
            out,
            "### Account {}\n",
            if account.is_empty() {
                "(unknown)"
            } else {
                account
            }
        );
        let mut step = 0;
        let mut next = |out: &mut String, text: String| {
            step += 1;
            let _ = write!(out, "{step}. {text}\n\n");
        };
        if let Some((dir, root)) = root {
            next(out, terraform_step(dir, root, clusters));
        }
        if let Some(services) = hand.get(account) {
            next(out, by_hand_step(services));
        }
        if let Some((_, root)) = root {
            for text in later_steps(root, conversion) {
                next(out, text);
            }
        }
    }
}

/// Where each environment's cluster is, or that it is taken to be in each workload's account.
fn clusters_said(conversion: &Conversion, out: &mut String) {
    let clusters = &conversion.clusters;
    let environments: BTreeSet<&str> = conversion
        .workloads
        .iter()
        .map(|w| w.environment.as_str())
        .collect();
    let (known, unknown): (Vec<&str>, Vec<&str>) = environments
        .into_iter()
        .partition(|env| clusters.of(env).account.is_some());
    for env in known {
        let c = clusters.of(env);
        let _ = writeln!(
            out,
            "- The cluster of environment {env} is in account {}{}.",
            c.account.as_deref().unwrap_or(""),
            c.region
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
    }
    if !unknown.is_empty() {
        let _ = writeln!(
            out,
            "- No cluster account is given for environment(s) {} (the inventory's `environments.<env>.clusterAccount`, or `iam.clusters.<env>.account` in the mappings): each workload's cluster is taken to be in the workload's own account.",
            unknown.join(", ")
        );
    }
    out.push('\n');
}

/// What `terraform apply` in the root creates, and the variables it asks for.
fn terraform_step(dir: &str, root: &Root<'_>, clusters: &Clusters) -> String {
    let mut s = format!(
        "**Apply `iam/{dir}`** (`terraform init` and `terraform apply` with this account's credentials; the provider refuses others). It creates:\n"
    );
    let item = |s: &mut String, text: String| {
        let _ = writeln!(s, "   - {text}");
    };
    if !root.roles.is_empty() {
        let names: Vec<String> = root.roles.iter().map(|r| format!("`{}`", r.name)).collect();
        item(&mut s, format!("the pods' IAM roles {}", names.join(", ")));
    }
    for (issuer, (resource, envs)) in &root.oidc_providers {
        let envs: Vec<&str> = envs.iter().copied().collect();
        item(
            &mut s,
            format!(
                "the OIDC provider `{resource}` of the cluster of {} (issuer {}), which the roles trust: IRSA across accounts",
                envs.join(", "),
                shown(issuer)
            ),
        );
    }
    if let Some(a) = root.secret_access {
        item(&mut s, secrets_item(a, clusters));
    }
    for r in &root.target_group_roles {
        let envs: Vec<&str> = r.environments.iter().map(String::as_str).collect();
        item(
            &mut s,
            format!(
                "role `{}`, which the Load Balancer Controller of {} assumes to register pods in {} target group(s) here",
                r.arn,
                envs.join(", "),
                r.target_groups.len()
            ),
        );
    }
    for c in &root.controller_access {
        let role = clusters.value(&c.environment, ClusterValue::LoadBalancerControllerRoleName);
        item(
            &mut s,
            format!(
                "the permission of the Load Balancer Controller of {} (role {}) to assume the target group roles of other accounts",
                c.environment,
                shown(&role)
            ),
        );
    }
    for p in &root.repository_policies {
        item(
            &mut s,
            format!(
                "the policy of ECR repository `{}` ({}), letting the cluster's nodes pull; it replaces the repository's policy, so merge the current one into `ecr.tf` first (E2K176)",
                p.repository.name, p.repository.region
            ),
        );
    }
    let variables = root.variables(clusters);
    if !variables.is_empty() {
        let names: Vec<String> = variables.keys().map(|v| format!("`{v}`")).collect();
        let _ = write!(
            s,
            "\n   Variables it asks for (`-var` or `terraform.tfvars`; or set them in the mappings or inventory and convert again): {}.",
            names.join(", ")
        );
    }
    s.trim_end().to_string()
}

/// External Secrets Operator's policy of the account, and whom it is attached to.
fn secrets_item(a: &crate::model::target::secrets::SecretAccess, clusters: &Clusters) -> String {
    let mut to: Vec<String> = Vec::new();
    for env in &a.eso_environments {
        let role = clusters.value(env, ClusterValue::ExternalSecretsRoleName);
        let text = format!("ESO's own role {}", shown(&role));
        if !to.contains(&text) {
            to.push(text);
        }
    }
    for (arn, envs) in &a.reader_roles {
        let envs: Vec<&str> = envs.iter().map(String::as_str).collect();
        to.push(format!(
            "role `{arn}`, created here for the stores of {} and trusting their ESO role",
            envs.join(", ")
        ));
    }
    format!(
        "External Secrets Operator's read policy `external-secrets-read`, attached to {}",
        to.join(" and ")
    )
}

/// The steps after the Terraform: the stores that assume the account's reader roles, and the
/// TargetGroupBindings that assume its target group roles.
fn later_steps(root: &Root<'_>, conversion: &Conversion) -> Vec<String> {
    let mut steps = Vec::new();
    if let Some(a) = root.secret_access.filter(|a| !a.reader_roles.is_empty()) {
        let roles: Vec<String> = a.reader_roles.keys().map(|r| format!("`{r}`")).collect();
        steps.push(format!(
            "**Sync the secret stores** that read this account: they assume {} (created in step 1).",
            roles.join(", ")
        ));
    }
    if !root.target_group_roles.is_empty() {
        let arns: BTreeSet<&str> = root
            .target_group_roles
            .iter()
            .map(|r| r.arn.as_str())
            .collect();
        let services: Vec<String> = conversion
            .workloads
            .iter()
            .filter(|w| {
                w.facts
                    .target_group_bindings
                    .iter()
                    .any(|b| arns.contains(b.role.as_str()))
            })
            .map(|w| format!("`{}`", w.reader()))
            .collect();
        steps.push(format!(
            "**Cut over** {}: their TargetGroupBindings assume the role of step 1 to register the pods in this account's target groups; the pods' addresses must be reachable from the target groups' VPC (a shared VPC, peering or Transit Gateway).",
            services.join(", ")
        ));
    }
    steps
}

/// The by-hand items of one account's services.
fn by_hand_step(services: &BTreeMap<Code, Vec<String>>) -> String {
    let mut s = String::from("**By hand**, before syncing:\n");
    for (code, what) in BY_HAND {
        if let Some(names) = services.get(&code) {
            let _ = writeln!(s, "   - {what} ({code}): {}", names.join(", "));
        }
    }
    s.trim_end().to_string()
}

/// Per workload account, the by-hand codes of its services and the services.
fn by_hand(conversion: &Conversion) -> BTreeMap<&str, BTreeMap<Code, Vec<String>>> {
    let mut out: BTreeMap<&str, BTreeMap<Code, Vec<String>>> = BTreeMap::new();
    for w in &conversion.workloads {
        for code in w.findings.codes() {
            if BY_HAND.iter().any(|(c, _)| *c == code) {
                let names = out.entry(&w.account).or_default().entry(code).or_default();
                push_once(names, w);
            }
        }
    }
    out
}

fn push_once(names: &mut Vec<String>, w: &Workload) {
    let name = format!("`{}`", w.reader());
    if names.last() != Some(&name) {
        names.push(name);
    }
}

/// A cluster value as the report shows it: the literal, or the variable that asks for it.
fn shown(t: &Text) -> String {
    match t {
        Text::Literal(l) => format!("`{l}`"),
        Text::Var { name, .. } => format!("variable `{name}`"),
    }
}
