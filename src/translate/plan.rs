//! Which workloads a run makes (each service with its task definition, then each task definition
//! no service uses) and how they group into apps, before any is converted. The identities it
//! plans by are read back from the run's file one chunk at a time (`import::Parked`): a large run
//! holds a few numbers per input here, not the inputs.

use super::held::in_order;
use super::ingress::{AlbClaims, AlbOwners};
use super::{Identity, app_name, schedules};
use crate::diagnostics::{FindingsFile, SpillSet};
use crate::error::InputError;
use crate::import::{Inputs, Kept, Parked};
use crate::mappings::Mappings;
use crate::model::ecs::{
    Arn, Service, ServiceIdentity, TaskDefinition, TaskDefinitionIdentity, task_definition_ref,
};
use std::borrow::Cow;
use std::sync::{Arc, Mutex};

/// What becomes a workload.
pub(super) enum Job {
    /// A task definition (by index) with the service (by index) that runs it, if any.
    /// `owns_schedules`: the task definition's schedules become jobs here (in the first workload
    /// that uses it only, so a schedule never becomes a job twice).
    Convert {
        task_definition: usize,
        service: Option<usize>,
        owns_schedules: bool,
    },
    /// A service (by index) whose task definition is not in the inputs.
    Missing(usize),
}

/// The workloads to make, grouped by app.
pub(super) struct Plan<'a> {
    pub jobs: Vec<Job>,
    /// The jobs' positions by app (its name, then the jobs' order); app `g`'s are
    /// `order[ends[g - 1]..ends[g]]`.
    order: Vec<u32>,
    ends: Vec<usize>,
    /// Several accounts and no inventory: each account's workloads are told apart.
    pub split_by_account: bool,
    pub alb_owners: AlbOwners,
    /// Scheduled runs, each given its task definition once.
    pub runs_by_td: schedules::ByTaskDefinition<'a>,
    /// Runs whose task definition is not in the inputs, and inputs that could not be read back.
    pub errors: Vec<InputError>,
}

impl Plan<'_> {
    /// Each app's jobs, apps sorted by name, each app's in the jobs' order.
    pub fn groups(&self) -> Vec<&[u32]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(start, &end)| &self.order[start..end])
            .collect()
    }
}

/// Plans the workloads of `tds` and `services` (taken out of `inputs`, their records in `file`).
/// The apps' order waits in `run_file` as sorted runs (`SpillSet`).
pub(super) fn plan<'a>(
    inputs: &'a Inputs,
    tds: &[Parked<TaskDefinition>],
    services: &[Parked<Service>],
    file: Option<&Arc<FindingsFile>>,
    run_file: Option<Arc<FindingsFile>>,
    mappings: &Mappings,
    with_inventory: bool,
) -> Plan<'a> {
    let index = TaskDefinitionIndex::new(tds, file);
    let (runs_by_td, mut errors) = schedules::assign(inputs, &index);
    let mut claims = AlbClaims::new(inputs);
    // A job per service, then one per task definition no service uses: sized for the first.
    let mut jobs: Vec<Job> = Vec::with_capacity(services.len());
    // Each job's position filed under its app: sorted, the apps in order, each app's jobs in the
    // jobs' order.
    let mut by_app = SpillSet::new(run_file);
    let mut accounts = std::collections::BTreeSet::new();
    let mut used = index.unreadable.clone();
    // Each service with its task definition, in the services' order.
    in_order(
        services.len(),
        |k| {
            let service = services[k].get(k, file)?;
            let reference = service.id.task_definition.as_deref().unwrap_or("");
            let account = &service.id.place.account;
            let found = index.find(reference, account, service.id.name.is_none());
            let planned = match &found {
                Some((_, td)) => (
                    app_name(service_name(&td.id, Some(&service.id)), mappings),
                    Identity::of(&td.id.place, Some(&service.id)).account,
                ),
                None => (missing_app_name(&service.id), String::new()),
            };
            Ok((service, found.map(|(i, _)| i), planned))
        },
        |k, read: Result<_, InputError>| {
            let (service, found, (app, account)) = match read {
                Ok(read) => read,
                Err(e) => return errors.push(e),
            };
            if claims.wanted() {
                claims.claim(&service.id, mappings);
            }
            jobs.push(match found {
                Some(i) => {
                    let owns_schedules = !used[i];
                    used[i] = true;
                    Job::Convert {
                        task_definition: i,
                        service: Some(k),
                        owns_schedules,
                    }
                }
                None => Job::Missing(k),
            });
            file_under(&app, &jobs, &mut by_app);
            if found.is_some() && !account.is_empty() {
                accounts.insert(account);
            }
        },
    );
    // Then each task definition no service uses, alone.
    let lone: Vec<usize> = (0..tds.len()).filter(|&i| !used[i]).collect();
    drop(used);
    jobs.reserve_exact(lone.len());
    in_order(
        lone.len(),
        |n| {
            let td = index.get(lone[n])?;
            let app = app_name(service_name(&td.id, None), mappings);
            Ok((app, Identity::of(&td.id.place, None).account))
        },
        |n, read: Result<_, InputError>| {
            let (app, account) = match read {
                Ok(read) => read,
                Err(e) => return errors.push(e),
            };
            jobs.push(Job::Convert {
                task_definition: lone[n],
                service: None,
                owns_schedules: true,
            });
            file_under(&app, &jobs, &mut by_app);
            if !account.is_empty() {
                accounts.insert(account);
            }
        },
    );
    let (mut order, mut ends) = (Vec::with_capacity(jobs.len()), Vec::new());
    let mut last_app: Option<String> = None;
    for entry in by_app.keyed() {
        let (app, position) = match entry {
            Ok(entry) => entry,
            // The apps not read back are not converted: an error of the run.
            Err(e) => {
                errors.push(InputError::unread("app", ends.len(), e));
                break;
            }
        };
        if last_app.as_deref() != Some(&app) {
            if last_app.is_some() {
                ends.push(order.len());
            }
            last_app = Some(app);
        }
        order.push(u32::try_from(position).expect("fewer than 4 billion jobs"));
    }
    if last_app.is_some() {
        ends.push(order.len());
    }
    errors.extend(index.errors.into_inner().expect("no planning panics"));
    Plan {
        jobs,
        order,
        ends,
        split_by_account: !with_inventory && accounts.len() > 1,
        alb_owners: claims.finish(),
        runs_by_td,
        errors,
    }
}

/// Files the last job under `app`.
fn file_under(app: &str, jobs: &[Job], by_app: &mut SpillSet) {
    by_app.insert_keyed(app, jobs.len() - 1);
}

/// The service's name, or the task definition's family for a lone task definition.
pub(super) fn service_name<'a>(
    td: &'a TaskDefinitionIdentity,
    service: Option<&'a ServiceIdentity>,
) -> &'a str {
    service
        .and_then(|s| s.name.as_deref())
        .unwrap_or(td.family.as_deref().unwrap_or(""))
}

/// The app of a service whose task definition is not in the inputs.
pub(super) fn missing_app_name(service: &ServiceIdentity) -> String {
    let reference = service.task_definition.as_deref().unwrap_or("");
    let name = service.name.as_deref().unwrap_or(reference);
    super::names::dns_label(name, "service")
}

/// Finds task definitions by ARN, `family:revision` or family (the latest revision given), in
/// the service's account when both accounts are known: several accounts often share a family.
/// Holds the hashes of each one's ARN and family, sorted, searched by bisection; each match is
/// checked against the identity read back, so two keys of one hash never mix.
pub(super) struct TaskDefinitionIndex<'a> {
    tds: &'a [Parked<TaskDefinition>],
    file: Option<&'a Arc<FindingsFile>>,
    /// (hash of the ARN, position) of those with an ARN; of equal hashes, the first read first.
    by_arn: Vec<(u64, u32)>,
    /// (hash of the family, position); of equal hashes, in the order read.
    by_family: Vec<(u64, u32)>,
    /// Those that could not be read back: never found, never converted alone.
    unreadable: Vec<bool>,
    errors: Mutex<Vec<InputError>>,
    /// `hash` (a test gives every key one hash).
    hash: fn(&str) -> u64,
}

fn hash(key: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    // Fixed keys: the same hashes every run (the order of equal hashes is the inputs' anyway).
    let mut h = std::hash::DefaultHasher::new();
    key.hash(&mut h);
    h.finish()
}

impl<'a> TaskDefinitionIndex<'a> {
    fn new(tds: &'a [Parked<TaskDefinition>], file: Option<&'a Arc<FindingsFile>>) -> Self {
        Self::hashed_by(hash, tds, file)
    }

    fn hashed_by(
        hash: fn(&str) -> u64,
        tds: &'a [Parked<TaskDefinition>],
        file: Option<&'a Arc<FindingsFile>>,
    ) -> Self {
        let mut index = TaskDefinitionIndex {
            tds,
            file,
            by_arn: Vec::new(),
            by_family: Vec::with_capacity(tds.len()),
            unreadable: vec![false; tds.len()],
            errors: Mutex::default(),
            hash,
        };
        let mut errors = Vec::new();
        in_order(
            tds.len(),
            |i| {
                let td = tds[i].get(i, file)?;
                Ok((td.id.arn.as_deref().map(hash), hash(family_of(&td.id))))
            },
            |i, keys: Result<_, InputError>| match keys {
                Ok((arn, family)) => {
                    let at = u32::try_from(i).expect("fewer than 4 billion task definitions");
                    index.by_arn.extend(arn.map(|arn| (arn, at)));
                    index.by_family.push((family, at));
                }
                Err(e) => {
                    index.unreadable[i] = true;
                    errors.push(e);
                }
            },
        );
        // Stable sorts: the order read is kept among equal hashes.
        index.by_arn.sort_by_key(|&(hash, _)| hash);
        index.by_family.sort_by_key(|&(hash, _)| hash);
        index.errors = Mutex::new(errors);
        index
    }

    /// Task definition `i`, read back; one that cannot be is an error of the run.
    fn get(&self, i: usize) -> Result<Cow<'a, Kept<TaskDefinition>>, InputError> {
        self.tds[i].get(i, self.file)
    }

    /// Those whose `key` is `wanted`, in the order read, each read back.
    fn equal(
        &self,
        sorted: &[(u64, u32)],
        wanted: &str,
        key: fn(&TaskDefinitionIdentity) -> &str,
    ) -> impl Iterator<Item = (usize, Cow<'a, Kept<TaskDefinition>>)> {
        let h = (self.hash)(wanted);
        let start = sorted.partition_point(|&(k, _)| k < h);
        let end = start + sorted[start..].partition_point(|&(k, _)| k == h);
        let positions: Vec<usize> = sorted[start..end]
            .iter()
            .map(|&(_, i)| i as usize)
            .collect();
        positions
            .into_iter()
            .filter_map(move |i| match self.get(i) {
                Ok(td) => (key(&td.id) == wanted).then_some((i, td)),
                Err(e) => {
                    self.errors.lock().expect("no planning panics").push(e);
                    None
                }
            })
    }

    /// The task definitions of `family`, in the order read.
    pub fn of_family(&self, family: &str) -> Vec<(usize, Cow<'a, Kept<TaskDefinition>>)> {
        self.equal(&self.by_family, family, family_of).collect()
    }

    /// `lone_fallback`: an ecspresso-style service (no name, no reference) takes the only task
    /// definition in its inputs.
    fn find(
        &self,
        reference: &str,
        service_account: &str,
        lone_fallback: bool,
    ) -> Option<(usize, Cow<'a, Kept<TaskDefinition>>)> {
        if reference.is_empty() {
            return (lone_fallback && self.tds.len() == 1 && !self.unreadable[0])
                .then(|| self.get(0).ok().map(|td| (0, td)))
                .flatten();
        }
        if let Some(found) = self.equal(&self.by_arn, reference, arn_of).next() {
            return Some(found);
        }
        let (family, revision) = task_definition_ref(reference);
        let account = Arn::parse(reference)
            .map(|a| a.account)
            .unwrap_or(service_account);
        let mut candidates: Vec<(usize, Cow<Kept<TaskDefinition>>)> = self
            .of_family(family)
            .into_iter()
            .filter(|(_, e)| {
                let theirs = &e.id.place.account;
                account.is_empty() || theirs.is_empty() || &**theirs == account
            })
            .collect();
        let chosen = match revision {
            Some(rev) => candidates
                .iter()
                .position(|(_, e)| e.id.revision == Some(rev))
                .or_else(|| candidates.iter().position(|(_, e)| e.id.revision.is_none())),
            // Of equal revisions, the last read (`max_by_key` takes the last of equals).
            None => (0..candidates.len()).max_by_key(|&c| candidates[c].1.id.revision),
        }?;
        Some(candidates.swap_remove(chosen))
    }
}

fn arn_of(id: &TaskDefinitionIdentity) -> &str {
    id.arn.as_deref().unwrap_or("")
}

fn family_of(id: &TaskDefinitionIdentity) -> &str {
    id.family.as_deref().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::Sourced;

    fn td(family: &str, revision: i64, account: &str) -> Parked<TaskDefinition> {
        let arn = format!("arn:aws:ecs:eu-west-1:{account}:task-definition/{family}:{revision}");
        Parked::Here(Box::new(Kept::whole(Sourced {
            input: format!("{family}.json"),
            path: String::new(),
            value: TaskDefinition {
                family: Some(family.into()),
                task_definition_arn: Some(arn),
                revision: Some(revision),
                ..TaskDefinition::default()
            },
            findings: Vec::new(),
        })))
    }

    /// Every key under one hash: every lookup still finds exactly what the real hashes find,
    /// because each match is checked against the identity itself.
    #[test]
    fn keys_that_share_a_hash_never_mix() {
        let tds = [
            td("web", 1, "111111111111"),
            td("api", 3, "111111111111"),
            td("web", 2, "111111111111"),
            td("web", 5, "222222222222"),
            td("worker", 1, "111111111111"),
        ];
        let real = TaskDefinitionIndex::new(&tds, None);
        let one = TaskDefinitionIndex::hashed_by(|_| 7, &tds, None);
        let lookups = [
            (
                "arn:aws:ecs:eu-west-1:111111111111:task-definition/web:2",
                "",
            ),
            (
                "arn:aws:ecs:eu-west-1:111111111111:task-definition/web:9",
                "",
            ),
            ("web", "111111111111"),
            ("web", "222222222222"),
            ("web", ""),
            ("web:1", "111111111111"),
            ("api", "111111111111"),
            ("api", "222222222222"),
            ("worker:4", ""),
            ("missing", ""),
        ];
        let found = |index: &TaskDefinitionIndex, (reference, account): (&str, &str)| {
            index.find(reference, account, false).map(|(i, _)| i)
        };
        let expected = [
            Some(2),
            None,
            Some(2),
            Some(3),
            Some(3),
            Some(0),
            Some(1),
            None,
            None,
            None,
        ];
        for (lookup, expected) in lookups.into_iter().zip(expected) {
            assert_eq!(found(&real, lookup), expected, "{lookup:?}");
            assert_eq!(found(&one, lookup), expected, "{lookup:?} under one hash");
        }
        let families = |index: &TaskDefinitionIndex| -> Vec<usize> {
            index.of_family("web").into_iter().map(|(i, _)| i).collect()
        };
        assert_eq!(families(&real), [0, 2, 3]);
        assert_eq!(families(&one), [0, 2, 3]);
    }
}
