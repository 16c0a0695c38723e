//! The migration report: what was converted, what needs review, and what failed, as JSON for
//! tools and Markdown for people reading a pull request.

use crate::diagnostics::{Code, Finding};
use crate::translate::Conversion;
use crate::translate::discovery::DnsRename;
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Serialize)]
pub struct Report<'a> {
    pub services: Vec<ServiceReport<'a>>,
    pub errors: Vec<ErrorReport>,
}

#[derive(Serialize)]
pub struct ServiceReport<'a> {
    pub name: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    pub cluster: &'a str,
    pub environment: &'a str,
    pub namespace: &'a str,
    pub status: &'static str,
    pub inputs: &'a [String],
    pub findings: &'a [Finding],
    /// Old service discovery names → Kubernetes Service DNS names.
    #[serde(skip_serializing_if = "<[DnsRename]>::is_empty")]
    pub dns_names: &'a [DnsRename],
}

#[derive(Serialize)]
pub struct ErrorReport {
    pub input: String,
    pub message: String,
}

pub fn build(conversion: &Conversion) -> Report<'_> {
    Report {
        services: conversion
            .workloads
            .iter()
            .map(|w| ServiceReport {
                name: &w.app,
                account: &w.account,
                region: &w.region,
                cluster: &w.cluster,
                environment: &w.environment,
                namespace: &w.namespace,
                status: w.status(),
                inputs: &w.inputs,
                findings: &w.findings,
                dns_names: &w.dns_names,
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
    let count = |status: &str| {
        report
            .services
            .iter()
            .filter(|s| s.status == status)
            .count()
    };
    out.push_str("| services | converted | review | failed | unreadable inputs |\n|---:|---:|---:|---:|---:|\n");
    out.push_str(&format!(
        "| {} | {} | {} | {} | {} |\n\n",
        report.services.len(),
        count("converted"),
        count("review"),
        count("failed"),
        report.errors.len()
    ));
    out.push_str("`converted`: nothing to review. `review`: converted, with warnings to read. `failed`: not converted.\n\n");
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
    let renames: Vec<(&ServiceReport, &DnsRename)> = report
        .services
        .iter()
        .flat_map(|s| s.dns_names.iter().map(move |d| (s, d)))
        .collect();
    if !renames.is_empty() {
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
    out
}
