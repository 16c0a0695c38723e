//! Tenancy: what the run as a whole says about the fences between teams in the shared cluster,
//! once, rather than in every service's findings.
//!
//! Each team named in the inventory gets an AppProject that admits only its namespaces
//! (`export::argocd`); the apps of accounts without a team go to `argocd.project`. When that is
//! Argo CD's `default` project, nothing fences them from each other or from the cluster.

use crate::diagnostics::{Code, Finding};
use crate::mappings::Mappings;
use crate::model::target::Workload;
use std::collections::BTreeMap;

/// How many apps a note names before it says how many more.
const NAMED: usize = 5;

/// The run's notes: E2K600 when apps without a team go to the `default` project.
pub fn notes(workloads: &[Workload], mappings: &Mappings) -> Vec<Finding> {
    let project = &mappings.argocd.project;
    if project != "default" {
        return Vec::new();
    }
    let mut environments: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for w in workloads
        .iter()
        .filter(|w| !w.failed() && w.team.is_empty())
    {
        environments.entry(&w.app).or_default().push(&w.environment);
    }
    if environments.is_empty() {
        return Vec::new();
    }
    let mut apps: Vec<String> = environments
        .iter()
        .map(|(app, envs)| format!("{app} ({})", envs.join(", ")))
        .collect();
    let count = apps.len();
    let more = count.saturating_sub(NAMED);
    apps.truncate(NAMED);
    let mut named = apps.join(", ");
    if more > 0 {
        named.push_str(&format!(" and {more} more"));
    }
    vec![Finding::new(
        Code::DefaultProject,
        "argocd.project",
        format!(
            "{count} app(s) of accounts without a team go to Argo CD project `default`, which puts no fence between tenants: {named}"
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_without_a_team_in_the_default_project_are_said_once() {
        let w = |app: &str, team: &str| Workload {
            app: app.into(),
            environment: "prod".into(),
            team: team.into(),
            ..Workload::default()
        };
        let mut all: Vec<Workload> = (0..7).map(|i| w(&format!("a{i}"), "")).collect();
        all.insert(
            1,
            Workload {
                environment: "dev".into(),
                ..w("a0", "")
            },
        );
        let said = notes(&all, &Mappings::defaults());
        assert_eq!(said.len(), 1);
        assert!(
            said[0]
                .message
                .starts_with("7 app(s) of accounts without a team")
                && said[0].message.contains(": a0 (prod, dev), a1 (prod)")
                && said[0].message.ends_with("a4 (prod) and 2 more"),
            "{}",
            said[0].message
        );
        assert!(notes(&[w("a", "shop")], &Mappings::defaults()).is_empty());
        let mut own = Mappings::defaults();
        own.argocd.project = "migrated".into();
        assert!(notes(&all, &own).is_empty());
    }
}
