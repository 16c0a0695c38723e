//! The apps of a run: which workloads it makes (each service with its task definition, then each
//! task definition no service uses) and how they group into apps (one app holds every environment
//! of a service), decided from the inputs' identities before any workload is converted.

use super::alb_ownership::AlbOwners;
use super::schedule_assignment::{self, ByTaskDefinition};
use crate::error::InputError;
use crate::mappings::Mappings;
use crate::model::ecs::{Arn, ServiceIdentity, TaskDefinitionIdentity, task_definition_ref};
use crate::model::names;
use crate::model::read::Inputs;
use crate::translate::{Identity, app_name};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What becomes a workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// A task definition (by position in the inputs) with the service (by position) that runs
    /// it, if any. `owns_schedules`: the task definition's schedules become jobs here (in the
    /// first workload that uses it only, so a schedule never becomes a job twice).
    Convert {
        task_definition: usize,
        service: Option<usize>,
        owns_schedules: bool,
    },
    /// A service (by position) whose task definition is not in the inputs.
    Missing(usize),
}

/// The workloads to make, grouped by app.
pub struct Plan<'a> {
    /// Each app's jobs in the jobs' order, apps sorted by name.
    pub apps: Vec<Vec<Job>>,
    /// Several accounts and no inventory: each account's workloads are told apart.
    pub split_by_account: bool,
    pub alb_owners: AlbOwners,
    /// Scheduled runs, each given its task definition once.
    pub runs_by_td: ByTaskDefinition<'a>,
    /// Runs whose task definition is not in the inputs.
    pub errors: Vec<InputError>,
}

/// Plans the workloads of `inputs`.
pub fn plan<'a>(inputs: &'a Inputs, mappings: &Mappings, with_inventory: bool) -> Plan<'a> {
    let index = TaskDefinitionIndex::new(&inputs.task_definitions);
    let (runs_by_td, errors) = schedule_assignment::assign(inputs, &index);
    let mut by_app: BTreeMap<String, Vec<Job>> = BTreeMap::new();
    let mut accounts = BTreeSet::new();
    let mut used = vec![false; inputs.task_definitions.len()];
    // Each service with its task definition, in the services' order.
    for (k, service) in inputs.services.iter().enumerate() {
        let id = &service.id;
        let reference = id.task_definition.as_deref().unwrap_or("");
        let (app, job) = match index.find(reference, &id.place.account, id.name.is_none()) {
            Some(i) => {
                let td = &inputs.task_definitions[i].id;
                let account = Identity::of(&td.place, Some(id)).account;
                if !account.is_empty() {
                    accounts.insert(account);
                }
                let owns_schedules = !used[i];
                used[i] = true;
                let job = Job::Convert {
                    task_definition: i,
                    service: Some(k),
                    owns_schedules,
                };
                (app_name(service_name(td, Some(id)), mappings), job)
            }
            None => (missing_app_name(id), Job::Missing(k)),
        };
        by_app.entry(app).or_default().push(job);
    }
    // Then each task definition no service uses, alone.
    for (i, td) in inputs.task_definitions.iter().enumerate() {
        if used[i] {
            continue;
        }
        let account = Identity::of(&td.id.place, None).account;
        if !account.is_empty() {
            accounts.insert(account);
        }
        let job = Job::Convert {
            task_definition: i,
            service: None,
            owns_schedules: true,
        };
        let app = app_name(service_name(&td.id, None), mappings);
        by_app.entry(app).or_default().push(job);
    }
    Plan {
        apps: by_app.into_values().collect(),
        split_by_account: !with_inventory && accounts.len() > 1,
        alb_owners: AlbOwners::find(inputs, mappings),
        runs_by_td,
        errors,
    }
}

/// The service's name, or the task definition's family for a lone task definition.
pub fn service_name<'a>(
    td: &'a TaskDefinitionIdentity,
    service: Option<&'a ServiceIdentity>,
) -> &'a str {
    service
        .and_then(|s| s.name.as_deref())
        .unwrap_or(td.family.as_deref().unwrap_or(""))
}

/// The app of a service whose task definition is not in the inputs.
pub fn missing_app_name(service: &ServiceIdentity) -> String {
    let reference = service.task_definition.as_deref().unwrap_or("");
    let name = service.name.as_deref().unwrap_or(reference);
    names::dns_label(name, "service")
}

/// Finds task definitions by ARN, `family:revision` or family (the latest revision given), in
/// the service's account when both accounts are known: several accounts often share a family.
pub struct TaskDefinitionIndex<'a> {
    tds: &'a [crate::model::read::Located<TaskDefinitionIdentity>],
    /// Positions by ARN and by family, each list in the order read.
    by_arn: HashMap<&'a str, Vec<usize>>,
    by_family: HashMap<&'a str, Vec<usize>>,
}

impl<'a> TaskDefinitionIndex<'a> {
    pub fn new(tds: &'a [crate::model::read::Located<TaskDefinitionIdentity>]) -> Self {
        let mut by_arn: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut by_family: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, td) in tds.iter().enumerate() {
            if let Some(arn) = td.id.arn.as_deref() {
                by_arn.entry(arn).or_default().push(i);
            }
            by_family
                .entry(td.id.family.as_deref().unwrap_or(""))
                .or_default()
                .push(i);
        }
        TaskDefinitionIndex {
            tds,
            by_arn,
            by_family,
        }
    }

    /// The task definitions of `family`, in the order read.
    pub fn of_family(
        &self,
        family: &str,
    ) -> impl Iterator<Item = (usize, &'a TaskDefinitionIdentity)> + '_ {
        let tds = self.tds;
        self.by_family
            .get(family)
            .into_iter()
            .flatten()
            .map(move |&i| (i, &tds[i].id))
    }

    /// `lone_fallback`: an ecspresso-style service (no name, no reference) takes the only task
    /// definition in its inputs.
    pub fn find(
        &self,
        reference: &str,
        service_account: &str,
        lone_fallback: bool,
    ) -> Option<usize> {
        if reference.is_empty() {
            return (lone_fallback && self.tds.len() == 1).then_some(0);
        }
        if let Some(&i) = self.by_arn.get(reference).and_then(|at| at.first()) {
            return Some(i);
        }
        let (family, revision) = task_definition_ref(reference);
        let account = Arn::parse(reference)
            .map(|a| a.account)
            .unwrap_or(service_account);
        let candidates: Vec<(usize, &TaskDefinitionIdentity)> = self
            .of_family(family)
            .filter(|(_, id)| {
                let theirs = &id.place.account;
                account.is_empty() || theirs.is_empty() || &**theirs == account
            })
            .collect();
        let chosen = match revision {
            Some(rev) => candidates
                .iter()
                .position(|(_, id)| id.revision == Some(rev))
                .or_else(|| candidates.iter().position(|(_, id)| id.revision.is_none())),
            // Of equal revisions, the last read (`max_by_key` takes the last of equals).
            None => (0..candidates.len()).max_by_key(|&c| candidates[c].1.revision),
        }?;
        Some(candidates[chosen].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ecs::Place;
    use crate::model::read::Located;

    fn td(family: &str, revision: i64, account: &str) -> Located<TaskDefinitionIdentity> {
        Located {
            input: format!("{family}.json").into(),
            path: "".into(),
            id: TaskDefinitionIdentity {
                family: Some(family.into()),
                arn: Some(
                    format!("arn:aws:ecs:eu-west-1:{account}:task-definition/{family}:{revision}")
                        .into(),
                ),
                revision: Some(revision),
                place: Place {
                    account: account.into(),
                    region: "eu-west-1".into(),
                },
                ports: Box::default(),
            },
            kept: None,
        }
    }

    #[test]
    fn task_definitions_are_found_by_arn_family_revision_and_account() {
        let tds = [
            td("web", 1, "111111111111"),
            td("api", 3, "111111111111"),
            td("web", 2, "111111111111"),
            td("web", 5, "222222222222"),
            td("worker", 1, "111111111111"),
        ];
        let index = TaskDefinitionIndex::new(&tds);
        let lookups = [
            (
                "arn:aws:ecs:eu-west-1:111111111111:task-definition/web:2",
                "",
                Some(2),
            ),
            (
                "arn:aws:ecs:eu-west-1:111111111111:task-definition/web:9",
                "",
                None,
            ),
            ("web", "111111111111", Some(2)),
            ("web", "222222222222", Some(3)),
            ("web", "", Some(3)),
            ("web:1", "111111111111", Some(0)),
            ("api", "111111111111", Some(1)),
            ("api", "222222222222", None),
            ("worker:4", "", None),
            ("missing", "", None),
        ];
        for (reference, account, expected) in lookups {
            assert_eq!(
                index.find(reference, account, false),
                expected,
                "{reference} {account}"
            );
        }
        let web: Vec<usize> = index.of_family("web").map(|(i, _)| i).collect();
        assert_eq!(web, [0, 2, 3]);
    }
}
