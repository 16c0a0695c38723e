//! The migration report: what was converted, what needs review, and what failed, as JSON for
//! tools and Markdown for people reading a pull request.

use super::Sink;
use super::capacity::{self, Capacity};
use crate::diagnostics::{Code, Finding, SpillSet, WorkloadFindings};
use crate::error::InputError;
use crate::translate::discovery::DnsRename;
use crate::translate::footprint::Footprint;
use crate::translate::{Conversion, Workload};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::io::Write;

#[derive(Serialize)]
pub struct Report<'a> {
    pub summary: Summary,
    pub services: Services<'a>,
    pub errors: Vec<ErrorReport>,
    pub capacity: Capacities<'a>,
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
    fn add(&mut self, status: &str) {
        match status {
            "converted" => self.converted += 1,
            "review" => self.review += 1,
            _ => self.failed += 1,
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
    pub status: &'static str,
    pub inputs: &'a [String],
    /// Read back from the findings file when serialized, in a large run.
    pub findings: WorkloadFindings<'a>,
    /// Old service discovery names → Kubernetes Service DNS names.
    #[serde(skip_serializing_if = "<[DnsRename]>::is_empty")]
    pub dns_names: &'a [DnsRename],
}

impl<'a> ServiceReport<'a> {
    fn of(w: &'a Workload, conversion: &'a Conversion) -> Self {
        ServiceReport {
            name: &w.app,
            account: &w.account,
            region: &w.region,
            cluster: &w.cluster,
            environment: &w.environment,
            team: &w.team,
            namespace: &w.namespace,
            status: w.status(),
            inputs: &w.inputs,
            findings: conversion.findings(w),
            dns_names: &w.dns_names,
        }
    }
}

/// The services' entries, each made as it is written (a large run has tens of thousands): one
/// per workload, in the conversion's order, read back if it was moved.
pub struct Services<'a> {
    pub conversion: &'a Conversion,
}

impl<'a> Services<'a> {
    pub fn len(&self) -> usize {
        self.conversion.workloads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Workload `i`; an error if it could not be read back.
    fn workload(&self, i: usize) -> std::io::Result<Cow<'a, Workload>> {
        self.conversion
            .workloads
            .get(i)
            .map_err(std::io::Error::other)
    }

    fn entry(&self, i: usize) -> Entry<'a> {
        Entry {
            workload: self.workload(i),
            conversion: self.conversion,
        }
    }
}

/// One service's entry, serialized as its `ServiceReport`.
struct Entry<'a> {
    workload: std::io::Result<Cow<'a, Workload>>,
    conversion: &'a Conversion,
}

impl Serialize for Entry<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.workload {
            Ok(w) => ServiceReport::of(w, self.conversion).serialize(s),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

impl Serialize for Services<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        sequence(s, self.len(), |i| self.entry(i))
    }
}

/// `len` items, each made by `item` as it is serialized.
fn sequence<S: serde::Serializer, T: Serialize>(
    s: S,
    len: usize,
    item: impl Fn(usize) -> T,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(len))?;
    for i in 0..len {
        seq.serialize_element(&item(i))?;
    }
    seq.end()
}

/// The capacity rows, one per workload that did not fail, sorted by environment and namespace
/// (then in the workloads' order). A large run has tens of thousands: only where each row's
/// workload is, is held, and the row is made again from it when written.
pub struct Capacities<'a> {
    conversion: &'a Conversion,
    order: Vec<u32>,
    /// Per environment, sorted.
    pub totals: Vec<Capacity>,
}

impl Capacities<'_> {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Row `k`; an error if its workload could not be read back.
    fn row(&self, k: usize) -> Row {
        let w = self.conversion.workloads.get(self.order[k] as usize);
        Row(w.map(|w| capacity::row(&w)).map_err(std::io::Error::other))
    }
}

/// One capacity row, serialized as its `Capacity`.
struct Row(std::io::Result<Capacity>);

impl Serialize for Row {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Ok(row) => row.serialize(s),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

impl Serialize for Capacities<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        sequence(s, self.len(), |k| self.row(k))
    }
}

#[derive(Serialize)]
pub struct ErrorReport {
    pub input: String,
    pub message: String,
}

pub fn build(conversion: &Conversion) -> Report<'_> {
    let mut summary = Summary::default();
    // Each row's position filed under `environment\0namespace`: sorted, the rows' order (waiting
    // in the run's file as sorted runs, in a large run).
    let mut places = SpillSet::new(conversion.workloads.file().cloned());
    let mut totals: BTreeMap<String, Footprint> = BTreeMap::new();
    conversion.workloads.for_each_read(
        |w| {
            let team = if w.team.is_empty() { "(none)" } else { &w.team };
            let by = (w.environment.clone(), team.to_string());
            // A failed workload runs nothing: no row.
            let row = (!w.failed()).then(|| capacity::row(w));
            (w.status(), by, row)
        },
        |i, (status, (environment, team), row)| {
            if let Some(row) = row {
                places.insert_keyed(&format!("{}\0{}", row.environment, row.namespace), i);
                totals
                    .entry(row.environment)
                    .or_default()
                    .add(&row.footprint);
            }
            summary.services.add(status);
            summary
                .by_environment
                .entry(environment)
                .or_default()
                .add(status);
            summary.by_team.entry(team).or_default().add(status);
        },
    );
    let mut errors: Vec<ErrorReport> = conversion
        .errors
        .iter()
        .map(|e| ErrorReport {
            input: e.input().to_string(),
            message: e.to_string(),
        })
        .collect();
    let mut order = Vec::new();
    for place in places.keyed() {
        match place {
            Ok((_, i)) => order.push(u32::try_from(i).expect("fewer than 4 billion workloads")),
            Err(e) => {
                let e = InputError::unread("capacity row", order.len(), e);
                errors.push(ErrorReport {
                    input: e.input().to_string(),
                    message: e.to_string(),
                });
                break;
            }
        }
    }
    Report {
        summary,
        capacity: Capacities {
            conversion,
            order,
            totals: capacity::totals(totals),
        },
        services: Services { conversion },
        errors,
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
    pretty_at(&report.summary, 2, &mut head)?;
    head.extend_from_slice(b",\n  \"services\": ");
    w.write_all(&head)?;
    pretty_array_to(report.services.len(), w, |i| report.services.entry(i))?;
    let mut middle = b",\n  \"errors\": ".to_vec();
    pretty_at(&report.errors, 2, &mut middle)?;
    middle.extend_from_slice(b",\n  \"capacity\": ");
    w.write_all(&middle)?;
    // One row per workload: written as the services are, not held whole.
    pretty_array_to(report.capacity.len(), w, |k| report.capacity.row(k))?;
    w.write_all(b"\n}\n")
}

/// A top-level field's array of `len` items as `to_writer_pretty` lays it out, the items rendered
/// by `item` in parallel batches and written as they are done.
fn pretty_array_to<T: Serialize>(
    len: usize,
    w: &mut dyn Write,
    item: impl Fn(usize) -> T + Sync,
) -> std::io::Result<()> {
    if len == 0 {
        return w.write_all(b"[]");
    }
    w.write_all(b"[\n")?;
    in_batches(len, w, |i, out: &mut Vec<u8>| {
        if i > 0 {
            out.extend_from_slice(b",\n");
        }
        out.extend_from_slice(b"    ");
        pretty_at(&item(i), 4, out)
    })?;
    w.write_all(b"\n  ]")
}

/// `value` as pretty JSON nested `indent` spaces deep: serde_json's own layout, each line after
/// the first indented (JSON strings hold no raw newlines, so lines are safe to indent).
fn pretty_at(value: &impl Serialize, indent: usize, out: &mut Vec<u8>) -> std::io::Result<()> {
    let start = out.len();
    // Only findings read back from their file can fail.
    serde_json::to_writer_pretty(&mut *out, value).map_err(std::io::Error::other)?;
    if !out[start..].contains(&b'\n') {
        return Ok(());
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
    Ok(())
}

/// Renders items `0..len` in order on every core, a batch at a time, and writes each batch: the
/// output is what a loop over the items would write, and only a batch is held in memory.
fn in_batches<B: Default + AsRef<[u8]> + Send>(
    len: usize,
    w: &mut dyn Write,
    render: impl Fn(usize, &mut B) -> std::io::Result<()> + Sync,
) -> std::io::Result<()> {
    use rayon::prelude::*;
    const BATCH: usize = 512;
    const PIECE: usize = 64;
    for start in (0..len).step_by(BATCH) {
        let end = len.min(start + BATCH);
        let pieces: Vec<B> = (start..end)
            .into_par_iter()
            .step_by(PIECE)
            .map(|from| {
                let mut out = B::default();
                for i in from..end.min(from + PIECE) {
                    render(i, &mut out)?;
                }
                Ok(out)
            })
            .collect::<std::io::Result<_>>()?;
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
    if !report.capacity.is_empty() {
        out.push_str("## Capacity\n\nPods at steady state and at peak (rollout surge or autoscaler maximum), the VPC pod IPs that takes, and the requests at steady state. DaemonSets run one pod per node and are counted apart.\n\n");
        out.push_str("| environment | namespace | pods | peak pods | pod IPs | CPU requests | memory requests | DaemonSets |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
        let line = |c: &Capacity, out: &mut String| {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {}m | {}Mi | {} |\n",
                c.environment,
                c.namespace,
                c.footprint.pods,
                c.footprint.peak_pods,
                c.footprint.pod_ips,
                c.footprint.cpu_millicores,
                c.footprint.memory_mib,
                c.footprint.daemonsets
            ))
        };
        // A row per workload, each made again from its workload: in parallel batches.
        w.write_all(out.as_bytes())?;
        out.clear();
        in_batches(report.capacity.len(), w, |k, out: &mut String| {
            line(&report.capacity.row(k).0?, out);
            Ok(())
        })?;
        for c in &report.capacity.totals {
            line(c, &mut out);
        }
        out.push('\n');
    }
    if !report.errors.is_empty() {
        out.push_str("## Inputs that could not be read\n\n| input | error |\n|---|---|\n");
        for e in &report.errors {
            out.push_str(&format!(
                "| `{}` | {} |\n",
                cell(&e.input),
                cell(&e.message)
            ));
        }
        out.push('\n');
    }
    w.write_all(out.as_bytes())?;
    out.clear();
    // The codes used and the DNS renames, gathered while the sections are rendered (workloads
    // and findings may be read back from their file: once is enough).
    let used = std::sync::Mutex::new(BTreeSet::new());
    let renames = std::sync::Mutex::new(Vec::new());
    in_batches(report.services.len(), w, |i, out: &mut String| {
        let w = report.services.workload(i)?;
        if !w.dns_names.is_empty() {
            let mut renames = renames.lock().expect("no report panics");
            for d in &w.dns_names {
                renames.push((i, w.app.clone(), w.environment.clone(), d.clone()));
            }
        }
        service_section(&ServiceReport::of(&w, conversion), &w, out, &used)
    })?;
    let used = used.into_inner().expect("no report panics");
    let mut renames = renames.into_inner().expect("no report panics");
    // In the workloads' order, each's in its own (batches finish in any order).
    renames.sort_by_key(|r| r.0);
    if !renames.is_empty() {
        out.push_str("## DNS names\n\nClients must use the new names (E2K595).\n\n");
        out.push_str(
            "| service | environment | source | old name | new name |\n|---|---|---|---|---|\n",
        );
        let with_port = |name: &str, port: Option<i64>| match port {
            Some(p) => format!("{name}:{p}"),
            None => name.to_string(),
        };
        for (_, app, environment, d) in renames {
            out.push_str(&format!(
                "| {} | {} | {} | `{}` | `{}` |\n",
                cell(&app),
                cell(&environment),
                d.source,
                cell(&with_port(&d.old, d.old_port)),
                cell(&with_port(&d.new, d.new_port))
            ));
        }
        out.push('\n');
    }
    if !used.is_empty() {
        out.push_str("## What to do\n\n| code | help |\n|---|---|\n");
        for code in used {
            out.push_str(&format!("| {code} | {} |\n", cell(code.help())));
        }
    }
    w.write_all(out.as_bytes())
}

/// One service's section: where it comes from, its cutover steps, its findings.
fn service_section(
    s: &ServiceReport,
    wl: &crate::translate::Workload,
    out: &mut String,
    used: &std::sync::Mutex<BTreeSet<Code>>,
) -> std::io::Result<()> {
    use std::fmt::Write as _;
    // Writing to a String does not fail.
    let _ = write!(
        out,
        "## {} ({})\n\n- status: **{}**\n",
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
    out.push_str(&cutover(wl));
    let all = s.findings.load()?;
    used.lock()
        .expect("no report panics")
        .extend(all.iter().map(|f| f.code));
    if all.is_empty() {
        out.push_str("No findings.\n\n");
        return Ok(());
    }
    out.push_str("| code | severity | field | message |\n|---|---|---|---|\n");
    let mut findings: Vec<&Finding> = all.iter().collect();
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
    Ok(())
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
/// (TargetGroupBinding mode), or "" when it has none.
fn cutover(w: &crate::translate::Workload) -> String {
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
        "### Cutover (TargetGroupBinding)\n\nThe pods join the target groups of the ECS service, next to its tasks; the load balancer, its listeners and DNS stay as they are.\n\n| TargetGroupBinding | target group | Service port | target type |\n|---|---|---|---|\n",
    );
    for b in bindings {
        out.push_str(&format!(
            "| `{}` | `{}` | `{}:{}` | {} |\n",
            b.name, b.target_group_arn, b.service, b.port, b.target_type,
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// More services than a batch, an empty and a full list: the parallel writer gives
    /// serde_json's own bytes.
    #[test]
    fn json_report_is_serde_jsons_pretty_layout_across_batches() {
        let mut finding = Finding::new(Code::AwsTags, "tags", "2 \"tags\"\nnot converted");
        finding.input = "in/td.json".into();
        let findings = vec![finding.clone(), finding];
        let workload = |i: usize| Workload {
            app: if i.is_multiple_of(2) { "even" } else { "odd" }.into(),
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            environment: "dev".into(),
            // Rows sorted by namespace, the same namespace in the workloads' order.
            namespace: format!("ns-{}", 100 - i % 100),
            inputs: vec!["in/td.json".to_string()],
            findings: if i.is_multiple_of(3) {
                Vec::new()
            } else {
                findings.clone()
            },
            ..Workload::default()
        };
        for n in [0, 1, 63, 64, 65, 2048, 5000] {
            let conversion = Conversion {
                workloads: (0..n).map(workload).collect::<Vec<_>>().into(),
                ..Conversion::default()
            };
            let mut report = build(&conversion);
            report.errors = vec![ErrorReport {
                input: "broken.json".into(),
                message: "syntax".into(),
            }];
            let rows: Vec<(String, usize)> = (0..report.capacity.len())
                .map(|k| {
                    let i = report.capacity.order[k] as usize;
                    (report.capacity.row(k).0.unwrap().namespace, i)
                })
                .collect();
            assert!(rows.is_sorted(), "{n} services");
            assert_eq!(rows.len(), n);
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
        in_batches(items.len(), &mut got, |i, out: &mut String| {
            out.push_str(&format!("{},", items[i]));
            Ok(())
        })
        .unwrap();
        let expected: String = items.iter().map(|i| format!("{i},")).collect();
        assert_eq!(String::from_utf8(got).unwrap(), expected);
    }
}
