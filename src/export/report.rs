//! The migration report: what was converted, what needs review, and what failed, as JSON for
//! tools and Markdown for people reading a pull request.

use super::Sink;
use super::capacity::{self, Capacity};
use crate::diagnostics::{Code, Finding, FindingList, Severity};
use crate::model::target::secrets::MovedSecret;
use crate::model::target::{Conversion, Status};
use crate::model::target::{DnsCall, DnsRename};
use serde::Serialize;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;

#[derive(Serialize)]
pub struct Report<'a> {
    pub summary: Summary,
    pub services: Vec<ServiceReport<'a>>,
    pub errors: Vec<ErrorReport>,
    pub capacity: Vec<Capacity>,
    /// What the run says once, not per service (E2K6xx).
    pub notes: &'a [Finding],
}

/// Counts of services by status, overall and per environment and team.
#[derive(Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub services: Counts,
    pub by_environment: BTreeMap<String, Counts>,
    pub by_team: BTreeMap<String, Counts>,
}

#[derive(Serialize, Default, Clone, Copy)]
pub struct Counts {
    pub converted: usize,
    pub review: usize,
    pub failed: usize,
}

impl Counts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Converted => self.converted += 1,
            Status::Review => self.review += 1,
            Status::Failed => self.failed += 1,
        }
    }
    fn total(&self) -> usize {
        self.converted + self.review + self.failed
    }
}

#[derive(Serialize)]
pub struct ServiceReport<'a> {
    pub name: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    pub cluster: &'a str,
    pub environment: &'a str,
    pub team: &'a str,
    pub namespace: &'a str,
    pub status: Status,
    pub inputs: &'a [Arc<str>],
    pub findings: &'a FindingList,
    /// Old service discovery names → Kubernetes Service DNS names.
    #[serde(skip_serializing_if = "<[DnsRename]>::is_empty")]
    pub dns_names: &'a [DnsRename],
    /// Discovery names of other services its containers call, and what they call now.
    #[serde(skip_serializing_if = "<[DnsCall]>::is_empty")]
    pub dns_calls: &'a [DnsCall],
    /// The Secrets Manager secret its plaintext secrets moved to, and how to create it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext_secret: Option<SecretToCreate<'a>>,
}

/// A moved secret with the command that creates it.
#[derive(Serialize)]
pub struct SecretToCreate<'a> {
    #[serde(flatten)]
    pub secret: &'a MovedSecret,
    pub command: String,
}

impl<'a> SecretToCreate<'a> {
    pub fn of(secret: &'a MovedSecret) -> Self {
        SecretToCreate {
            secret,
            command: create_secret_command(secret),
        }
    }
}

/// The shell command that creates `m` from the old task definition: `aws ecs
/// describe-task-definition` picks each moved variable's value into a JSON object (a JMESPath
/// multiselect hash, one key per variable) and pipes it into `aws secretsmanager create-secret`.
/// The values pass from one command to the other and are never printed, nor known to ecs2eks.
pub fn create_secret_command(m: &MovedSecret) -> String {
    let region = match m.region.as_str() {
        "" => String::new(),
        r => format!(" --region {r}"),
    };
    // JMESPath literals are JSON in backticks (a backtick inside is escaped).
    let literal = |s: &str| {
        let json = serde_json::Value::from(s).to_string().replace('`', "\\`");
        format!("`{json}`")
    };
    let picks: Vec<String> = m
        .keys
        .iter()
        .map(|k| {
            format!(
                "{}: taskDefinition.containerDefinitions[?name=={}] | [0].environment[?name=={}] | [0].value",
                serde_json::Value::from(k.property.as_str()),
                literal(&k.container),
                literal(&k.variable)
            )
        })
        .collect();
    let query = format!("{{{}}}", picks.join(", "));
    format!(
        "aws ecs describe-task-definition{region} --task-definition {} \\\n  --query {} --output json \\\n| aws secretsmanager create-secret{region} --name {} --secret-string file:///dev/stdin",
        shell_word(&m.task_definition),
        shell_word(&query),
        shell_word(&m.name)
    )
}

/// `s` as one shell word: as it is when it is plain, else single-quoted.
fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./:=@+,".contains(&b));
    match plain {
        true => s.to_string(),
        false => format!("'{}'", s.replace('\'', "'\\''")),
    }
}

#[derive(Serialize)]
pub struct ErrorReport {
    pub input: String,
    pub message: String,
}

pub fn build(conversion: &Conversion) -> Report<'_> {
    let mut summary = Summary::default();
    for w in &conversion.workloads {
        summary.services.add(w.status());
        summary
            .by_environment
            .entry(w.environment.clone())
            .or_default()
            .add(w.status());
        let team = if w.team.is_empty() { "(none)" } else { &w.team };
        summary
            .by_team
            .entry(team.to_string())
            .or_default()
            .add(w.status());
    }
    Report {
        summary,
        notes: &conversion.notes,
        capacity: capacity::summary(&conversion.workloads),
        services: conversion
            .workloads
            .iter()
            .map(|w| ServiceReport {
                name: &w.app,
                account: &w.account,
                region: &w.region,
                cluster: &w.cluster,
                environment: &w.environment,
                team: &w.team,
                namespace: &w.namespace,
                status: w.status(),
                inputs: &w.inputs,
                findings: &w.findings,
                dns_names: &w.dns_names,
                dns_calls: &w.dns_calls,
                plaintext_secret: w.moved_secret.as_deref().map(SecretToCreate::of),
            })
            .collect(),
        errors: conversion
            .errors
            .iter()
            .map(|e| ErrorReport {
                input: e.input().to_string(),
                message: e.to_string(),
            })
            .collect(),
    }
}

/// Both reports, built once and streamed into `sink`.
pub fn render(conversion: &Conversion, sink: &dyn Sink) {
    let report = build(conversion);
    rayon::join(
        || sink.put_with("migration-report.json".into(), &|w| json_to(&report, w)),
        || {
            sink.put_with("MIGRATION_REPORT.md".into(), &|w| {
                markdown_to(&report, conversion, w)
            })
        },
    );
}

pub fn json(conversion: &Conversion) -> String {
    let mut out = Vec::new();
    json_to(&build(conversion), &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// Exactly `serde_json::to_writer_pretty(report)`, with the services rendered in parallel
/// batches (a large run's report is tens of MB; rendering it on one thread was the last step).
fn json_to(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    let mut head = b"{\n  \"summary\": ".to_vec();
    pretty_at(&report.summary, 2, &mut head);
    head.extend_from_slice(b",\n  \"services\": ");
    if report.services.is_empty() {
        head.extend_from_slice(b"[]");
        w.write_all(&head)?;
    } else {
        head.extend_from_slice(b"[\n");
        w.write_all(&head)?;
        in_batches(&report.services, w, |i, s, out: &mut Vec<u8>| {
            if i > 0 {
                out.extend_from_slice(b",\n");
            }
            out.extend_from_slice(b"    ");
            pretty_at(s, 4, out);
        })?;
        w.write_all(b"\n  ]")?;
    }
    let mut tail = b",\n  \"errors\": ".to_vec();
    pretty_at(&report.errors, 2, &mut tail);
    tail.extend_from_slice(b",\n  \"capacity\": ");
    pretty_at(&report.capacity, 2, &mut tail);
    tail.extend_from_slice(b",\n  \"notes\": ");
    pretty_at(&report.notes, 2, &mut tail);
    tail.extend_from_slice(b"\n}\n");
    w.write_all(&tail)
}

/// `value` as pretty JSON nested `indent` spaces deep: serde_json's own layout, each line after
/// the first indented (JSON strings hold no raw newlines, so lines are safe to indent).
fn pretty_at(value: &impl Serialize, indent: usize, out: &mut Vec<u8>) {
    let start = out.len();
    serde_json::to_writer_pretty(&mut *out, value).expect("report values serialize");
    if !out[start..].contains(&b'\n') {
        return;
    }
    let rendered = out.split_off(start);
    let mut line = 0;
    for (i, &b) in rendered.iter().enumerate() {
        if b == b'\n' {
            out.extend_from_slice(&rendered[line..=i]);
            out.resize(out.len() + indent, b' ');
            line = i + 1;
        }
    }
    out.extend_from_slice(&rendered[line..]);
}

/// Renders `items` in order on every core, a batch at a time, and writes each batch: the output
/// is what a loop over the items would write, and only a batch is held in memory.
fn in_batches<T: Sync, B: Default + AsRef<[u8]> + Send>(
    items: &[T],
    w: &mut dyn Write,
    render: impl Fn(usize, &T, &mut B) + Sync,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    const BATCH: usize = 2048;
    const PIECE: usize = 64;
    for (b, batch) in items.chunks(BATCH).enumerate() {
        let pieces: Vec<B> = batch
            .par_chunks(PIECE)
            .enumerate()
            .map(|(p, piece)| {
                let mut out = B::default();
                for (k, item) in piece.iter().enumerate() {
                    render(b * BATCH + p * PIECE + k, item, &mut out);
                }
                out
            })
            .collect();
        for piece in &pieces {
            w.write_all(piece.as_ref())?;
        }
    }
    Ok(())
}

/// Markdown cells: no pipes or newlines inside a cell.
fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_cell(&mut out, s);
    out
}

pub fn markdown(conversion: &Conversion) -> String {
    let mut out = Vec::new();
    markdown_to(&build(conversion), conversion, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("Markdown is UTF-8")
}

/// The Markdown report, written section by section (a large run's report is tens of MB).
fn markdown_to(report: &Report, conversion: &Conversion, w: &mut dyn Write) -> std::io::Result<()> {
    let mut out = String::from("# Migration report\n\n");
    summary_section(report, &mut out);
    todo_section(report, conversion, &mut out);
    super::wiring::section(conversion, &mut out);
    capacity_section(&report.capacity, &mut out);
    errors_section(&report.errors, &mut out);
    w.write_all(out.as_bytes())?;
    out.clear();
    out.push_str("## Services\n\n");
    w.write_all(out.as_bytes())?;
    out.clear();
    // `build` makes one service entry per workload, in the same order.
    let sections: Vec<(&ServiceReport, &crate::model::target::Workload)> =
        report.services.iter().zip(&conversion.workloads).collect();
    // The root that creates each role a TargetGroupBinding assumes, for the cutover steps.
    let roles: BTreeMap<&str, &str> = conversion
        .cross_account
        .target_group_roles
        .iter()
        .map(|r| (r.arn.as_str(), r.directory.as_str()))
        .collect();
    in_batches(&sections, w, |_, &(s, wl), out: &mut String| {
        service_section(s, wl, &roles, out)
    })?;
    dns_section(&report.services, &mut out);
    calls_section(&report.services, &mut out);
    let used: BTreeSet<Code> = report
        .services
        .iter()
        .flat_map(|s| s.findings.codes())
        .chain(report.notes.iter().map(|n| n.code))
        .collect();
    if !used.is_empty() {
        out.push_str("## Codes\n\n| code | what to do |\n|---|---|\n");
        for code in used {
            out.push_str(&format!("| {code} | {} |\n", cell(code.help())));
        }
    }
    w.write_all(out.as_bytes())
}

/// The counts by status, overall, per environment and per team.
fn summary_section(report: &Report, out: &mut String) {
    out.push_str("| | services | converted | review | failed |\n|---|---:|---:|---:|---:|\n");
    let row = |label: &str, c: &Counts| {
        format!(
            "| {label} | {} | {} | {} | {} |\n",
            c.total(),
            c.converted,
            c.review,
            c.failed
        )
    };
    out.push_str(&row("**all**", &report.summary.services));
    for (env, c) in &report.summary.by_environment {
        out.push_str(&row(&format!("environment {env}"), c));
    }
    for (team, c) in &report.summary.by_team {
        out.push_str(&row(&format!("team {team}"), c));
    }
    out.push_str(&format!(
        "\nInputs that could not be read: {}.\n\n",
        report.errors.len()
    ));
    out.push_str("`converted`: nothing to review. `review`: converted, with warnings to read. `failed`: not converted.\n\n");
}

/// How many services a to-do row names before it says how many more.
const SERVICES_NAMED: usize = 8;

/// The to-do list a reviewer starts with: the errors, then the warnings, each code once with its
/// count, the services it affects and its fix; then the going-live steps with this repository's
/// own paths.
fn todo_section(report: &Report, conversion: &Conversion, out: &mut String) {
    use std::fmt::Write as _;
    out.push_str("## To do, in order\n\n");
    let mut step = 0;
    let mut next = |out: &mut String, text: String| {
        step += 1;
        // Writing to a String does not fail.
        let _ = write!(out, "{step}. {text}\n\n");
    };
    for (severity, what) in [
        (
            Severity::Error,
            "**Fix the errors**: these services were not converted",
        ),
        (
            Severity::Warning,
            "**Review the warnings**, and resolve those you cannot accept",
        ),
    ] {
        let table = findings_by_code(&report.services, severity);
        if table.is_empty() {
            continue;
        }
        next(out, format!("{what}.\n\n{table}"));
    }
    if !report.errors.is_empty() {
        next(
            out,
            format!(
                "**Fix the {} input(s) that could not be read** (listed below), and run again.",
                report.errors.len()
            ),
        );
    }
    for note in report.notes {
        next(
            out,
            format!("**Note ({})**: {}. {}", note.code, note.message, note.help),
        );
    }
    for text in going_live(conversion) {
        next(out, text);
    }
}

/// The findings of one severity as a table: a row per code, with its count, the services it
/// affects and what to do; empty when there are none.
fn findings_by_code(services: &[ServiceReport], severity: Severity) -> String {
    let mut rows: BTreeMap<Code, (usize, Vec<String>)> = BTreeMap::new();
    for s in services {
        for code in s.findings.codes().filter(|c| c.severity() == severity) {
            let (count, names) = rows.entry(code).or_default();
            *count += 1;
            let name = format!("{} ({})", s.name, s.environment);
            if names.last() != Some(&name) {
                names.push(name);
            }
        }
    }
    if rows.is_empty() {
        return String::new();
    }
    let mut rows: Vec<(Code, (usize, Vec<String>))> = rows.into_iter().collect();
    rows.sort_by_key(|(code, (count, _))| (std::cmp::Reverse(*count), *code));
    let mut table =
        String::from("   | code | findings | services | what to do |\n   |---|---:|---|---|\n");
    for (code, (count, names)) in rows {
        let mut shown = names[..names.len().min(SERVICES_NAMED)].join(", ");
        if names.len() > SERVICES_NAMED {
            shown.push_str(&format!(" and {} more", names.len() - SERVICES_NAMED));
        }
        table.push_str(&format!(
            "   | {code} | {count} | {} | {} |\n",
            cell(&shown),
            cell(code.help())
        ));
    }
    table.pop();
    table
}

/// The folders under `iam/` of every Terraform root the repository holds.
fn terraform_roots(conversion: &Conversion) -> BTreeSet<&str> {
    let roles = conversion.iam_roles.iter().map(|r| r.directory.as_str());
    let access = conversion
        .secret_access
        .iter()
        .map(|a| a.directory.as_str());
    roles
        .chain(access)
        .chain(conversion.cross_account.directories())
        .collect()
}

/// The going-live steps, naming this repository's Terraform roots, secret-store Applications and
/// the services to cut over.
fn going_live(conversion: &Conversion) -> Vec<String> {
    let mut steps = Vec::new();
    let roots = terraform_roots(conversion);
    if !roots.is_empty() {
        let roots: Vec<String> = roots.iter().map(|r| format!("`iam/{r}`")).collect();
        steps.push(format!(
            "**Create the AWS side**: `terraform init` and `terraform apply` in {}, each with the credentials of its account: the pods' IAM roles, External Secrets Operator's read policy, and what crosses accounts (see \"Cross-account wiring\"; docs/iam.md).",
            roots.join(", ")
        ));
    }
    let logging: BTreeSet<&str> = conversion
        .workloads
        .iter()
        .filter(|w| !w.failed() && w.log_outputs.is_some())
        .map(|w| w.environment.as_str())
        .collect();
    if !logging.is_empty() {
        steps.push(
            "**Install the cluster's log agent**: a node-level Fluent Bit (the aws-for-fluent-bit Helm chart or the CloudWatch Observability add-on) in the namespace of mapping `logging.namespace`, that mounts ConfigMap `ecs2eks-fluent-bit-outputs` and `@INCLUDE`s its files: the apps' FireLens routing is there (docs/surface.md).".to_string(),
        );
    }
    let moved: Vec<String> = conversion
        .workloads
        .iter()
        .filter(|w| !w.failed())
        .filter_map(|w| Some(format!("`{}`", w.moved_secret.as_ref()?.name)))
        .collect();
    if !moved.is_empty() {
        steps.push(format!(
            "**Create the Secrets Manager secrets that plaintext variables moved to**, so that no secret value is in Git: {}. Each service's section has the `aws secretsmanager create-secret` command, which reads the values from the old task definition.",
            moved.join(", ")
        ));
    }
    steps.extend(pod_security_groups(conversion));
    if conversion.workloads.iter().any(|w| !w.failed()) {
        let platform: BTreeSet<String> = conversion
            .secret_stores
            .iter()
            .map(|s| format!("`{}-{}`", super::platform::SECRET_STORES, s.environment))
            .chain(
                conversion
                    .ingress_classes
                    .iter()
                    .map(|s| format!("`{}-{}`", super::platform::INGRESS_CLASSES, s.environment)),
            )
            .collect();
        let platform: Vec<String> = platform
            .into_iter()
            .chain(logging.iter().map(|e| format!("`logging-{e}`")))
            .collect();
        let first = match platform.is_empty() {
            true => String::new(),
            false => format!(" the {} Application(s) first, then", platform.join(", ")),
        };
        steps.push(format!(
            "**Install and sync the Argo CD objects**: `kubectl apply -k argocd`, then sync{first} the apps: their sync waves put Namespaces and ServiceAccounts before secrets and workloads."
        ));
    }
    steps.extend(cutover_step(conversion));
    steps
}

/// The services whose pods join the ECS target groups, to cut over.
fn cutover_step(conversion: &Conversion) -> Option<String> {
    let cutover: Vec<String> = conversion
        .workloads
        .iter()
        .filter(|w| !w.facts.target_group_bindings.is_empty())
        .map(|w| format!("`{} ({})`", w.app, w.environment))
        .collect();
    (!cutover.is_empty()).then(|| {
        format!(
            "**Cut over** the services whose pods join the ECS target groups, following the steps in their sections: {}.",
            cutover.join(", ")
        )
    })
}

/// The cluster's prerequisites of Security Groups for Pods, once, naming the environments whose
/// apps have a SecurityGroupPolicy; before the apps sync, since a policy acts on new pods only.
fn pod_security_groups(conversion: &Conversion) -> Option<String> {
    let environments: BTreeSet<&str> = conversion
        .workloads
        .iter()
        .filter(|w| !w.failed() && w.facts.security_group_policy)
        .map(|w| w.environment.as_str())
        .collect();
    if environments.is_empty() {
        return None;
    }
    let environments: Vec<String> = environments.iter().map(|e| format!("`{e}`")).collect();
    Some(format!(
        "**Turn on Security Groups for Pods** in the cluster of environment(s) {}, before the apps sync (a SecurityGroupPolicy acts only on pods created after it): set `ENABLE_POD_ENI=true` on the VPC CNI (the `aws-node` DaemonSet, or the `vpc-cni` add-on's configuration); attach the AWS managed policy `AmazonEKSVPCResourceController` to the cluster's IAM role; run these pods on Nitro instance types, sized by the capacity table's branch ENI pods. Pods on Fargate need nothing extra. The pods' groups must admit the nodes' security group (kubelet probes) and reach CoreDNS on port 53; with probes, also set `DISABLE_TCP_EARLY_DEMUX=true` on the CNI's `aws-vpc-cni-init` container.",
        environments.join(", ")
    ))
}

/// What the workloads ask of the cluster, per namespace and per environment.
fn capacity_section(capacity: &[Capacity], out: &mut String) {
    if capacity.is_empty() {
        return;
    }
    out.push_str("## Capacity\n\nPods at steady state and at peak (rollout surge or autoscaler maximum), the VPC pod IPs that takes, and the requests at steady state. Branch ENI pods are the pods at peak that carry security groups of their own (SecurityGroupPolicy) on EC2 nodes: each takes one of its node's branch network interfaces, whose number per instance type limits how many such pods a node runs. DaemonSets run one pod per node and are counted apart.\n\n");
    out.push_str("| environment | namespace | pods | peak pods | pod IPs | CPU requests | memory requests | branch ENI pods | DaemonSets |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    let totals = capacity::totals(capacity);
    for c in capacity.iter().chain(totals.iter()) {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {}m | {}Mi | {} | {} |\n",
            c.environment,
            c.namespace,
            c.footprint.pods,
            c.footprint.peak_pods,
            c.footprint.pod_ips,
            c.footprint.cpu_millicores,
            c.footprint.memory_mib,
            c.footprint.branch_eni_pods,
            c.footprint.daemonsets
        ));
    }
    out.push('\n');
}

fn errors_section(errors: &[ErrorReport], out: &mut String) {
    if errors.is_empty() {
        return;
    }
    out.push_str("## Inputs that could not be read\n\n| input | error |\n|---|---|\n");
    for e in errors {
        out.push_str(&format!(
            "| `{}` | {} |\n",
            cell(&e.input),
            cell(&e.message)
        ));
    }
    out.push('\n');
}

/// The old service discovery names and the Kubernetes names that replace them.
fn dns_section(services: &[ServiceReport], out: &mut String) {
    let renames: Vec<(&ServiceReport, &DnsRename)> = services
        .iter()
        .flat_map(|s| s.dns_names.iter().map(move |d| (s, d)))
        .collect();
    if renames.is_empty() {
        return;
    }
    out.push_str("## DNS names\n\nClients must use the new names (E2K595).\n\n");
    out.push_str(
        "| service | environment | source | old name | new name |\n|---|---|---|---|---|\n",
    );
    let with_port = |name: &str, port: Option<i64>| match port {
        Some(p) => format!("{name}:{p}"),
        None => name.to_string(),
    };
    for (s, d) in renames {
        out.push_str(&format!(
            "| {} | {} | {} | `{}` | `{}` |\n",
            cell(s.name),
            cell(s.environment),
            d.source.as_str(),
            cell(&with_port(&d.old, d.old_port)),
            cell(&with_port(&d.new, d.new_port))
        ));
    }
    out.push('\n');
}

/// The discovery names the services call, and what each calls now.
fn calls_section(services: &[ServiceReport], out: &mut String) {
    let calls: Vec<(&ServiceReport, &DnsCall)> = services
        .iter()
        .flat_map(|s| s.dns_calls.iter().map(move |c| (s, c)))
        .collect();
    if calls.is_empty() {
        return;
    }
    out.push_str("## DNS names the services call\n\nRewritten where the called service is part of the run (E2K596); the others still call ECS-era names (E2K597).\n\n");
    out.push_str("| service | environment | where | called | calls now |\n|---|---|---|---|---|\n");
    for (s, c) in calls {
        let now = match &c.new {
            Some(new) => format!("`{}`", cell(new)),
            None => "unchanged: see E2K597".to_string(),
        };
        out.push_str(&format!(
            "| {} | {} | `{}` | `{}` | {now} |\n",
            cell(s.name),
            cell(s.environment),
            cell(&c.field),
            cell(&c.old)
        ));
    }
    out.push('\n');
}

/// One service's section: where it comes from, its cutover steps, its findings.
fn service_section(
    s: &ServiceReport,
    wl: &crate::model::target::Workload,
    roles: &BTreeMap<&str, &str>,
    out: &mut String,
) {
    use std::fmt::Write as _;
    // Writing to a String does not fail.
    let _ = write!(
        out,
        "### {} ({})\n\n- status: **{}**\n",
        s.name, s.environment, s.status
    );
    if !s.namespace.is_empty() {
        let _ = writeln!(out, "- namespace: `{}`", s.namespace);
    }
    let mut place = [s.account, s.region, s.cluster]
        .into_iter()
        .filter(|p| !p.is_empty());
    if let Some(first) = place.next() {
        out.push_str("- from: ");
        out.push_str(first);
        for p in place {
            out.push_str(" / ");
            out.push_str(p);
        }
        out.push('\n');
    }
    out.push_str("- inputs: ");
    for (i, input) in s.inputs.iter().enumerate() {
        let _ = write!(out, "{}`{input}`", if i > 0 { ", " } else { "" });
    }
    out.push_str("\n\n");
    out.push_str(&cutover(wl, roles));
    if let Some(p) = &s.plaintext_secret {
        secret_to_create(p, out);
    }
    if s.findings.is_empty() {
        out.push_str("No findings.\n\n");
        return;
    }
    out.push_str("| code | severity | field | message |\n|---|---|---|---|\n");
    let mut findings: Vec<Finding> = s.findings.iter().collect();
    findings.sort_by(|a, b| {
        (std::cmp::Reverse(a.severity), a.code, &a.field).cmp(&(
            std::cmp::Reverse(b.severity),
            b.code,
            &b.field,
        ))
    });
    for f in findings {
        let _ = write!(out, "| {} | {} | `", f.code, f.severity);
        push_cell(out, &f.field);
        out.push_str("` | ");
        push_cell(out, &f.message);
        out.push_str(" |\n");
    }
    out.push('\n');
}

/// How to create the secret a service's plaintext secrets moved to.
fn secret_to_create(p: &SecretToCreate, out: &mut String) {
    use std::fmt::Write as _;
    let m = p.secret;
    // Writing to a String does not fail.
    let _ = write!(
        out,
        "#### Secret to create\n\nThe plain `environment` values that look like secrets are not in Git: the pods read them from Secrets Manager secret `{}`",
        m.name
    );
    for (i, place) in [&m.account, &m.region]
        .into_iter()
        .filter(|p| !p.is_empty())
        .enumerate()
    {
        let _ = write!(out, "{}`{place}`", if i == 0 { " in " } else { " / " });
    }
    out.push_str(", through the app's ExternalSecret. Create it before the pods start, with the credentials of that account; the command reads the values from the old task definition and hands them to Secrets Manager without printing them:\n\n| key | container | variable |\n|---|---|---|\n");
    for k in &m.keys {
        let _ = writeln!(
            out,
            "| `{}` | `{}` | `{}` |",
            cell(&k.property),
            cell(&k.container),
            cell(&k.variable)
        );
    }
    let _ = write!(out, "\n```sh\n{}\n```\n\n", p.command);
}

/// `cell(s)`, appended to `out` without a String of its own.
fn push_cell(out: &mut String, s: &str) {
    let mut rest = s;
    // Bytes, not chars: both are ASCII, and a large run's report has a million cells.
    while let Some(i) = rest.bytes().position(|b| b == b'|' || b == b'\n') {
        out.push_str(&rest[..i]);
        out.push_str(if rest.as_bytes()[i] == b'|' {
            "\\|"
        } else {
            " "
        });
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
}

/// The cutover steps of a workload whose pods join existing target groups
/// (TargetGroupBinding mode), or "" when it has none; `roles` names the root that creates each
/// role a binding assumes in another account.
fn cutover(w: &crate::model::target::Workload, roles: &BTreeMap<&str, &str>) -> String {
    let bindings = &w.facts.target_group_bindings;
    if bindings.is_empty() {
        return String::new();
    }
    let replicas = w.footprint.replicas;
    let region = if w.region.is_empty() {
        String::new()
    } else {
        format!(" --region {}", w.region)
    };
    let cluster = if w.cluster.is_empty() {
        "<cluster>"
    } else {
        &w.cluster
    };
    let mut out = String::from(
        "#### Cutover (TargetGroupBinding)\n\nThe pods join the target groups of the ECS service, next to its tasks; the load balancer, its listeners and DNS stay as they are.\n\n| TargetGroupBinding | target group | Service port | target type |\n|---|---|---|---|\n",
    );
    for b in bindings {
        out.push_str(&format!(
            "| `{}` | `{}` | `{}:{}` | {} |\n",
            b.name, b.target_group_arn, b.service, b.port, b.target_type,
        ));
    }
    out.push_str(&cross_account_cutover(bindings, roles));
    let tg = &bindings[0].target_group_arn;
    out.push_str(&format!(
        "\n1. Before syncing, make sure the load balancer can reach the pods: the TargetGroupBinding's `networking` lets the load balancer's security groups in on the container port (the controller edits the pods' or nodes' security group), and the pods get VPC addresses in the target group's VPC. The binding sets `multiClusterTargetGroup: true`, so the controller leaves the ECS tasks' targets alone instead of deregistering every target it did not register; keep it.\n\
2. Sync the app with the ECS service still running. The Deployment starts {} and the controller registers each pod in the target group; the namespace label `elbv2.k8s.aws/pod-readiness-gate-inject: enabled` keeps a pod unready until its target is healthy.\n\
3. Wait until the pods are healthy targets: `aws elbv2 describe-target-health --target-group-arn {tg}{region}`.\n\
4. Drain ECS step by step: `aws ecs update-service --cluster {cluster} --service {} --desired-count <n>{region}`; each task is deregistered and drained for the target group's deregistration delay. (If the listener rule forwards to several target groups, shift the weights instead.)\n\
5. Scale ECS to zero: `aws ecs update-service --cluster {cluster} --service {} --desired-count 0{region}`, and watch the load balancer's 5xx and latency metrics. To roll back, scale ECS up again.\n\
6. Only then delete the ECS service and remove it from infrastructure code, **keeping the load balancer, listeners and target group**: they now serve the pods.\n\n",
        replicas.map_or("its pods".to_string(), |r| format!("{r} pod(s)")),
        w.app,
        w.app,
    ));
    out
}

/// What the cutover needs first when target groups are in another account than the cluster's:
/// the role each binding assumes, created by that account's root; "" when none is.
fn cross_account_cutover(
    bindings: &[crate::model::target::facts::TargetGroupBindingFacts],
    roles: &BTreeMap<&str, &str>,
) -> String {
    let mut out = String::new();
    for b in bindings.iter().filter(|b| !b.role.is_empty()) {
        let root = roles.get(b.role.as_str()).copied().unwrap_or("?");
        out.push_str(&format!(
            "\nTarget group `{}` is in another account than the cluster: the controller assumes `{}` (`iamRoleArnToAssume`). Apply `iam/{root}`, which creates it with permission to register targets in this target group, before syncing; the pods' addresses must be reachable from the target group's VPC (a shared VPC, peering or Transit Gateway), and the binding's `networking` names security groups of that account.\n",
            b.target_group_arn, b.role
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::target::Workload;

    /// The report opens with what to do first: errors before warnings, each code once with its
    /// count and services, the most frequent first; then the going-live steps.
    #[test]
    fn the_report_opens_with_a_prioritised_to_do_list() {
        let workload = |app: &str, codes: &[Code]| Workload {
            app: app.into(),
            environment: "prod".into(),
            findings: codes.iter().map(|&c| Finding::new(c, "", "")).collect(),
            ..Workload::default()
        };
        let conversion = Conversion {
            workloads: vec![
                workload("a", &[Code::Ulimits, Code::HostPath]),
                workload("b", &[Code::HostPath, Code::TaskDefinitionNotFound]),
                workload("c", &[Code::HostPath, Code::AwsTags]),
            ],
            ..Conversion::default()
        };
        let md = markdown(&conversion);
        let todo = &md[md.find("## To do, in order").unwrap()..md.find("## Services").unwrap()];
        let at = |s: &str| {
            todo.find(s)
                .unwrap_or_else(|| panic!("{s} not in:\n{todo}"))
        };
        assert!(at("1. **Fix the errors**") < at("| E2K102 | 1 | b (prod) |"));
        assert!(at("| E2K102 |") < at("2. **Review the warnings**"));
        assert!(
            at("| E2K200 | 3 | a (prod), b (prod), c (prod) |") < at("| E2K124 | 1 | a (prod) |")
        );
        assert!(!todo.contains("E2K110"), "info findings are not to-dos");
        assert!(at("3. **Install and sync the Argo CD objects**") > at("| E2K124 |"));
    }

    /// More services than a batch, an empty and a full list: the parallel writer gives
    /// serde_json's own bytes.
    #[test]
    fn json_report_is_serde_jsons_pretty_layout_across_batches() {
        let mut finding = Finding::new(Code::AwsTags, "tags", "2 \"tags\"\nnot converted");
        finding.input = "in/td.json".into();
        let findings: FindingList = [finding.clone(), finding].into_iter().collect();
        let note = Finding::new(Code::DefaultProject, "argocd.project", "one note");
        let none = FindingList::default();
        let inputs: Vec<Arc<str>> = vec!["in/td.json".into()];
        let service = |i: usize| ServiceReport {
            name: if i.is_multiple_of(2) { "even" } else { "odd" },
            account: "111111111111",
            region: "eu-west-1",
            cluster: "",
            environment: "dev",
            team: "",
            namespace: "ns",
            status: Status::Review,
            inputs: &inputs,
            findings: if i.is_multiple_of(3) {
                &none
            } else {
                &findings
            },
            dns_names: &[],
            dns_calls: &[],
            plaintext_secret: None,
        };
        for n in [0, 1, 63, 64, 65, 2048, 5000] {
            let report = Report {
                summary: Summary::default(),
                services: (0..n).map(service).collect(),
                errors: vec![ErrorReport {
                    input: "broken.json".into(),
                    message: "syntax".into(),
                }],
                capacity: Vec::new(),
                notes: std::slice::from_ref(&note),
            };
            let mut expected = serde_json::to_vec_pretty(&report).unwrap();
            expected.push(b'\n');
            let mut got = Vec::new();
            json_to(&report, &mut got).unwrap();
            assert!(got == expected, "{n} services");
        }
    }

    #[test]
    fn batches_keep_the_order_of_the_items() {
        let items: Vec<usize> = (0..5000).collect();
        let mut got = Vec::new();
        in_batches(&items, &mut got, |i, item, out: &mut String| {
            assert_eq!(i, *item);
            out.push_str(&format!("{item},"));
        })
        .unwrap();
        let expected: String = items.iter().map(|i| format!("{i},")).collect();
        assert_eq!(String::from_utf8(got).unwrap(), expected);
    }
}
