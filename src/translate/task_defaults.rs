//! Task-level fields per task definition family from the mappings (`taskDefinitions.<family>`),
//! for task definitions that do not set them: Terraform's `container_definitions` files hold
//! none, and their cpu, memory, network mode and roles live in the `aws_ecs_task_definition`.

use crate::diagnostics::{Code, Finding, Findings};
use crate::mappings::Mappings;
use crate::model::ecs::TaskDefinition;
use crate::model::read::Sourced;
use std::borrow::Cow;

/// `td` with the mappings' fields of its family where it sets none; for a file of container
/// definitions, the finding that names the task-level fields still unknown.
pub fn fill<'a>(
    td: &'a Sourced<TaskDefinition>,
    mappings: &Mappings,
    findings: &mut Findings,
) -> Cow<'a, Sourced<TaskDefinition>> {
    let family = td.value.family.as_deref().unwrap_or("");
    let filled = match mappings.task_definitions.get(family) {
        None => Cow::Borrowed(td),
        Some(d) => {
            let mut t = td.clone();
            let v = &mut t.value;
            let or = |field: &mut Option<String>, default: &Option<String>| {
                if field.as_deref().is_none_or(str::is_empty) {
                    field.clone_from(default);
                }
            };
            or(&mut v.cpu, &d.cpu);
            or(&mut v.memory, &d.memory);
            or(&mut v.network_mode, &d.network_mode);
            or(&mut v.task_role_arn, &d.task_role_arn);
            or(&mut v.execution_role_arn, &d.execution_role_arn);
            if v.requires_compatibilities.is_empty() {
                v.requires_compatibilities = d.requires_compatibilities.clone().unwrap_or_default();
            }
            Cow::Owned(t)
        }
    };
    if filled.value.containers_only {
        containers_only(&filled, findings);
    }
    filled
}

/// The task-level fields a file of container definitions leaves unknown, unless the mappings
/// gave them all.
fn containers_only(td: &Sourced<TaskDefinition>, findings: &mut Findings) {
    let v = &td.value;
    let unset = |f: &Option<String>| f.as_deref().is_none_or(str::is_empty);
    let missing: Vec<&str> = [
        ("cpu", unset(&v.cpu)),
        ("memory", unset(&v.memory)),
        ("networkMode", unset(&v.network_mode)),
        ("taskRoleArn", unset(&v.task_role_arn)),
    ]
    .into_iter()
    .filter_map(|(name, missing)| missing.then_some(name))
    .collect();
    if missing.is_empty() {
        return;
    }
    let family = v.family.as_deref().unwrap_or("");
    let mut f = Finding::new(
        Code::ContainerDefinitionsOnly,
        td.path.clone(),
        format!(
            "the file holds container definitions only: {} of task definition family {family:?} are unknown (mapping taskDefinitions.{family})",
            missing.join(", ")
        ),
    );
    f.input = td.input.clone();
    findings.add(f);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sourced(containers_only: bool) -> Sourced<TaskDefinition> {
        let mut value: TaskDefinition = serde_json::from_value(serde_json::json!({
            "family": "web", "memory": "2048",
            "containerDefinitions": [{"name": "app", "image": "nginx"}]
        }))
        .unwrap();
        value.containers_only = containers_only;
        Sourced {
            input: "web.json".into(),
            path: String::new(),
            value,
            findings: Vec::new(),
        }
    }

    /// The mappings fill what the task definition leaves unset, never what it sets; a file of
    /// container definitions names what is still unknown.
    #[test]
    fn the_mappings_fill_task_level_fields_per_family() {
        let mut f = Findings::default();
        let td = sourced(true);
        let plain = fill(&td, &Mappings::defaults(), &mut f);
        assert!(matches!(plain, Cow::Borrowed(_)));
        assert_eq!(f.code_fields(), [(Code::ContainerDefinitionsOnly, "")]);
        assert!(f.list[0].message.contains("cpu, networkMode, taskRoleArn"));
        let m = Mappings::load(Some((
            "m.yaml",
            "taskDefinitions:\n  web: {cpu: \"512\", memory: \"1024\", networkMode: awsvpc, taskRoleArn: \"arn:aws:iam::111111111111:role/web\"}\n",
        )))
        .unwrap();
        let mut f = Findings::default();
        let filled = fill(&td, &m, &mut f);
        assert_eq!(filled.value.cpu.as_deref(), Some("512"));
        assert_eq!(filled.value.memory.as_deref(), Some("2048"));
        assert_eq!(filled.value.network_mode.as_deref(), Some("awsvpc"));
        assert!(f.list.is_empty());
        let mut f = Findings::default();
        fill(&sourced(false), &Mappings::defaults(), &mut f);
        assert!(f.list.is_empty());
    }
}
