//! The apps of a run: which workloads it makes (each service with its task definition, then each
//! task definition no service uses) and how they group into apps (one app holds every environment
//! of a service), decided from the inputs' identities before any workload is converted.

use super::alb_ownership::AlbOwners;
use super::schedule_assignment::{self, ByTaskDefinition};
use super::task_definitions::TaskDefinitionIndex;
use crate::error::InputError;
use crate::mappings::Mappings;
use crate::model::ecs::{ServiceIdentity, TaskDefinitionIdentity};
use crate::model::names;
use crate::model::read::Inputs;
use crate::translate::{Identity, app_name};
use std::collections::{BTreeMap, BTreeSet};

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
