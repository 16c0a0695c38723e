//! Schedule assignment: every scheduled run is given its task definition once for the whole
//! conversion (the same family, and account when both are known; the exact revision if it is in
//! the inputs, else the latest), so a schedule becomes one job however many services share its
//! task definition. A run whose task definition is not in the inputs is an input error.

use super::task_definitions::TaskDefinitionIndex;
use crate::diagnostics::Code;
use crate::error::InputError;
use crate::model::ecs::{Arn, TaskDefinitionIdentity, task_definition_ref};
use crate::model::fields::join;
use crate::model::read::Inputs;
use crate::translate::schedules::{Run, runs};

/// The account of a task definition's own ARN (not its roles').
fn td_account(td: &TaskDefinitionIdentity) -> &str {
    td.arn
        .as_deref()
        .and_then(Arn::parse)
        .map(|a| a.account)
        .unwrap_or("")
}

/// The task definition a run uses: the same family (and account when both are known), the exact
/// revision if it is in the inputs, else the latest revision given.
fn best_td(index: &TaskDefinitionIndex<'_>, run: &Run<'_>) -> Option<(usize, Option<i64>)> {
    let (family, revision) = task_definition_ref(run.task_definition());
    let account = run.account();
    let candidates: Vec<(usize, Option<i64>)> = index
        .of_family(family)
        .filter(|(_, id)| {
            let a = td_account(id);
            a.is_empty() || account.is_empty() || a == account
        })
        .map(|(i, id)| (i, id.revision))
        .collect();
    candidates
        .iter()
        .find(|(_, r)| revision.is_some() && *r == revision)
        .or_else(|| candidates.iter().max_by_key(|(_, r)| *r))
        .copied()
}

/// The runs of each task definition (by index), each with the revision it asks for when that is
/// not the task definition's.
pub type ByTaskDefinition<'a> = std::collections::HashMap<usize, Vec<(Run<'a>, Option<i64>)>>;

/// Gives every run its task definition, once for the whole conversion; the runs whose task
/// definition is not in the inputs are errors.
pub fn assign<'a>(
    inputs: &'a Inputs,
    index: &TaskDefinitionIndex<'_>,
) -> (ByTaskDefinition<'a>, Vec<InputError>) {
    let mut by_td: ByTaskDefinition<'a> = Default::default();
    let mut orphans = Vec::new();
    for r in runs(inputs) {
        match best_td(index, &r) {
            Some((i, theirs)) => {
                let asked = task_definition_ref(r.task_definition()).1;
                let mismatch = asked.filter(|a| Some(*a) != theirs);
                by_td.entry(i).or_default().push((r, mismatch));
            }
            None => orphans.push(orphan(&r)),
        }
    }
    (by_td, orphans)
}

/// A run whose task definition is not in the inputs: nothing to build it from.
fn orphan(r: &Run<'_>) -> InputError {
    InputError::Unconvertible {
        input: r.target_input.to_string(),
        message: format!(
            "at `{}`: {} {} runs task definition {}, which is not in the inputs ({})",
            join(&r.target_path, "EcsParameters.TaskDefinitionArn"),
            r.what,
            r.name,
            if r.task_definition().is_empty() {
                "(none named)"
            } else {
                r.task_definition()
            },
            Code::ScheduleTarget
        ),
    }
}
