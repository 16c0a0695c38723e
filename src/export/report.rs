//! The migration report: what was converted, what needs review, and what failed, as JSON for
//! tools and Markdown for people reading a pull request.

use super::capacity::{self, Capacity};
use crate::diagnostics::{Code, Finding};
use crate::translate::Conversion;
use serde::Serialize;
use std::collections::BTreeMap;
use std::collections::BTreeSet;

#[derive(Serialize)]
pub struct Report<'a> {
    pub summary: Summary,
    pub services: Vec<ServiceReport<'a>>,
    pub errors: Vec<ErrorReport>,
    pub capacity: Vec<Capacity>,
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
    pub findings: &'a [Finding],
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

pub fn json(conversion: &Conversion) -> String {
    let mut s = serde_json::to_string_pretty(&build(conversion)).expect("the report serialises");
    s.push('\n');
    s
}

/// Markdown cells: no pipes or newlines inside a cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn markdown(conversion: &Conversion) -> String {
    let report = build(conversion);
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
        let totals = capacity::totals(&report.capacity);
        for c in report.capacity.iter().chain(totals.iter()) {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {}m | {}Mi | {} |\n",
                c.environment,
                c.namespace,
                c.pods,
                c.peak_pods,
                c.pod_ips,
                c.cpu_millicores,
                c.memory_mib,
                c.daemonsets
            ));
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
    let mut used: BTreeSet<Code> = BTreeSet::new();
    for s in &report.services {
        out.push_str(&format!("## {} ({})\n\n", s.name, s.environment));
        let place = [s.account, s.region, s.cluster]
            .iter()
            .filter(|p| !p.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" / ");
        out.push_str(&format!("- status: **{}**\n", s.status));
        if !s.namespace.is_empty() {
            out.push_str(&format!("- namespace: `{}`\n", s.namespace));
        }
        if !place.is_empty() {
            out.push_str(&format!("- from: {place}\n"));
        }
        out.push_str(&format!(
            "- inputs: {}\n\n",
            s.inputs
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        if s.findings.is_empty() {
            out.push_str("No findings.\n\n");
            continue;
        }
        out.push_str("| code | severity | field | message |\n|---|---|---|---|\n");
        let mut findings: Vec<&Finding> = s.findings.iter().collect();
        findings.sort_by(|a, b| {
            (std::cmp::Reverse(a.severity), a.code, &a.field).cmp(&(
                std::cmp::Reverse(b.severity),
                b.code,
                &b.field,
            ))
        });
        for f in findings {
            used.insert(f.code);
            out.push_str(&format!(
                "| {} | {} | `{}` | {} |\n",
                f.code,
                f.severity,
                cell(&f.field),
                cell(&f.message)
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
    out
}
