//! Finding a service's task definition among the inputs' identities (by ARN, `family:revision`
//! or family), for the apps plan and the schedules alike: an index built once per run.

use crate::model::ecs::{Arn, TaskDefinitionIdentity, task_definition_ref};
use crate::model::read::Located;
use std::collections::HashMap;

/// Finds task definitions by ARN, `family:revision` or family (the latest revision given), in
/// the service's account when both accounts are known: several accounts often share a family.
pub struct TaskDefinitionIndex<'a> {
    tds: &'a [Located<TaskDefinitionIdentity>],
    /// Positions by ARN and by family, each list in the order read.
    by_arn: HashMap<&'a str, Vec<usize>>,
    by_family: HashMap<&'a str, Vec<usize>>,
}

impl<'a> TaskDefinitionIndex<'a> {
    pub fn new(tds: &'a [Located<TaskDefinitionIdentity>]) -> Self {
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
