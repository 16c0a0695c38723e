//! Scheduled tasks: EventBridge rules and EventBridge Scheduler schedules that run an ECS task
//! become a `CronJob` (batch/v1) or, as a mapping choice, an Argo Workflows `CronWorkflow`.
//!
//! The schedule expression goes through `cron::translate` (exact, or an error saying why not).
//! The job's pod is the task definition's pod with the target's container overrides laid over
//! it; the task count becomes `parallelism`/`completions`. A task definition that only
//! schedules run becomes jobs, not a Deployment (`assign` gives each task definition its runs, once).

use super::autoscaling::push_at;
use super::cron;
use super::names;
use super::plan::TaskDefinitionIndex;
use crate::diagnostics::{Code, Findings};
use crate::error::InputError;
use crate::import::Inputs;
use crate::mappings::{Mappings, ScheduleKind};
use crate::model::aws::EventTarget;
use crate::model::ecs::{Arn, TaskDefinition, TaskDefinitionIdentity, task_definition_ref};
use crate::model::fields::join;
use crate::model::k8s::{Container, EnvVar, Object, ObjectMeta, PodTemplate};
use serde_json::{Map, Value, json};

/// CronJob names: the controller appends 11 characters to name its Jobs (63 − 11).
pub const MAX_NAME: usize = 52;

/// One scheduled run of an ECS task, from a rule and its target or from a Scheduler schedule.
#[derive(Debug, Clone)]
pub struct Run<'a> {
    pub name: &'a str,
    /// "rule" or "schedule", for messages.
    pub what: &'static str,
    /// The expression with the file and JSON path it is in; None when the rule's
    /// `list-rules` output is not in the inputs.
    pub expression: Option<(&'a str, &'a str, String)>,
    /// IANA time zone; EventBridge rules always run in UTC.
    pub timezone: &'a str,
    /// The file and path of `State` when the rule or schedule is disabled.
    pub disabled: Option<(&'a str, String)>,
    /// Flexible time window in minutes, with its file and path.
    pub flexible_window: Option<(i64, &'a str, String)>,
    pub target: &'a EventTarget,
    pub target_input: &'a str,
    pub target_path: String,
}

impl Run<'_> {
    fn task_definition(&self) -> &str {
        self.target
            .ecs_parameters
            .as_ref()
            .and_then(|p| p.task_definition_arn.as_deref())
            .unwrap_or("")
    }

    fn account(&self) -> &str {
        fn from(a: &str) -> &str {
            Arn::parse(a).map(|a| a.account).unwrap_or("")
        }
        let td = from(self.task_definition());
        if td.is_empty() {
            from(self.target.arn.as_deref().unwrap_or(""))
        } else {
            td
        }
    }
}

fn is_ecs_target(t: &EventTarget) -> bool {
    t.ecs_parameters.is_some()
        && t.arn
            .as_deref()
            .and_then(Arn::parse)
            .is_some_and(|a| a.service == "ecs")
}

/// Every scheduled ECS run in the inputs, rules first (files in order), then schedules.
pub fn runs(inputs: &Inputs) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    for rt in &inputs.rule_targets {
        let rule_name = rt.value.rule.as_deref().unwrap_or("");
        let rule = inputs.event_rules.iter().find(|r| {
            r.value.name.as_deref() == Some(rule_name)
                && match (
                    r.value.event_bus_name.as_deref(),
                    rt.value.event_bus_name.as_deref(),
                ) {
                    (Some(a), Some(b)) => a == b,
                    _ => true,
                }
        });
        // A rule with an event pattern and no schedule is not a scheduled task.
        if rule.is_some_and(|r| r.value.schedule_expression.is_none()) {
            continue;
        }
        for (j, t) in rt.value.targets.iter().enumerate() {
            if !is_ecs_target(t) {
                continue;
            }
            let target_path = join(&rt.path, &format!("Targets[{j}]"));
            out.push(Run {
                name: rule_name,
                what: "rule",
                expression: rule.and_then(|r| {
                    r.value
                        .schedule_expression
                        .as_deref()
                        .map(|e| (e, r.input.as_str(), join(&r.path, "ScheduleExpression")))
                }),
                timezone: "Etc/UTC",
                disabled: rule
                    .filter(|r| is_disabled(r.value.state.as_deref()))
                    .map(|r| (r.input.as_str(), join(&r.path, "State"))),
                flexible_window: None,
                target: t,
                target_input: &rt.input,
                target_path,
            });
        }
    }
    for s in &inputs.schedules {
        let Some(t) = s.value.target.as_ref().filter(|t| is_ecs_target(t)) else {
            continue;
        };
        let v = &s.value;
        out.push(Run {
            name: v.name.as_deref().unwrap_or(""),
            what: "schedule",
            expression: v
                .schedule_expression
                .as_deref()
                .map(|e| (e, s.input.as_str(), join(&s.path, "ScheduleExpression"))),
            timezone: v
                .schedule_expression_timezone
                .as_deref()
                .filter(|z| !z.is_empty())
                .unwrap_or("Etc/UTC"),
            disabled: is_disabled(v.state.as_deref())
                .then(|| (s.input.as_str(), join(&s.path, "State"))),
            flexible_window: v
                .flexible_time_window
                .as_ref()
                .filter(|w| w.mode.as_deref() == Some("FLEXIBLE"))
                .map(|w| {
                    (
                        w.maximum_window_in_minutes.unwrap_or(0),
                        s.input.as_str(),
                        join(&s.path, "FlexibleTimeWindow"),
                    )
                }),
            target: t,
            target_input: &s.input,
            target_path: join(&s.path, "Target"),
        });
    }
    out
}

fn is_disabled(state: Option<&str>) -> bool {
    state.is_some_and(|s| s.eq_ignore_ascii_case("DISABLED"))
}

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
        .into_iter()
        .filter(|(_, td)| {
            let a = td_account(&td.id);
            a.is_empty() || account.is_empty() || a == account
        })
        .map(|(i, td)| (i, td.id.revision))
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

/// What the jobs of one workload are made from.
pub struct JobContext<'a> {
    pub app: &'a str,
    pub td: &'a TaskDefinition,
    /// Kubernetes names of the task's containers, in definition order.
    pub container_names: &'a [String],
    /// A service runs the same pods: the jobs' pods get their own name label.
    pub has_service: bool,
    pub mappings: &'a Mappings,
}

/// The CronJobs (or CronWorkflows) of `runs`.
pub fn objects(
    runs: &[(Run<'_>, Option<i64>)],
    ctx: &JobContext<'_>,
    template: &PodTemplate,
    meta: &dyn Fn(&str) -> ObjectMeta,
    findings: &mut Findings,
) -> Vec<Object> {
    let mut used: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for (run, mismatch) in runs {
        let Some((expression, expr_input, expr_path)) = run.expression.as_ref() else {
            push_at(
                findings,
                run.target_input,
                Code::ScheduleTarget,
                &run.target_path,
                format!(
                    "rule {} is not in the `aws events list-rules` output given, so its schedule is unknown",
                    run.name
                ),
            );
            continue;
        };
        let schedule = match cron::translate(expression) {
            Ok(s) => s,
            Err(e) => {
                push_at(
                    findings,
                    expr_input,
                    Code::ScheduleUntranslatable,
                    expr_path,
                    format!("{} {}: {}", run.what, run.name, e.reason),
                );
                continue;
            }
        };
        if let Some(note) = schedule.note.as_deref() {
            push_at(
                findings,
                expr_input,
                Code::ScheduleNote,
                expr_path,
                format!("{} {}: {note}", run.what, run.name),
            );
        }
        let name = job_name(run.name, ctx, &used);
        used.push(name.clone());
        let kind = match ctx.mappings.schedules.kind {
            ScheduleKind::CronJob => "CronJob",
            ScheduleKind::CronWorkflow => "CronWorkflow",
        };
        push_at(
            findings,
            expr_input,
            Code::ScheduledTask,
            expr_path,
            format!(
                "{} {} ({expression}) became {kind} {name} with schedule \"{}\" in {}",
                run.what, run.name, schedule.cron, run.timezone
            ),
        );
        if let Some(rev) = mismatch {
            push_at(
                findings,
                run.target_input,
                Code::ScheduleRevision,
                join(&run.target_path, "EcsParameters.TaskDefinitionArn"),
                format!(
                    "{} {} runs revision {rev}; the pod template is from the revision given",
                    run.what, run.name
                ),
            );
        }
        if let Some((input, path)) = run.disabled.as_ref() {
            push_at(
                findings,
                input,
                Code::ScheduleDisabled,
                path,
                format!(
                    "{} {} is disabled; {name} has suspend: true",
                    run.what, run.name
                ),
            );
        }
        if let Some((minutes, input, path)) = run.flexible_window.as_ref() {
            push_at(
                findings,
                input,
                Code::ScheduleFlexibleWindow,
                path,
                format!(
                    "flexible window of {minutes} minute(s) of {} was not carried",
                    run.name
                ),
            );
        }
        let not_carried = run_task_parameters(run.target);
        if !not_carried.is_empty() {
            push_at(
                findings,
                run.target_input,
                Code::ScheduleRunTask,
                &run.target_path,
                format!(
                    "{} of {} {} were not carried",
                    not_carried.join(", "),
                    run.what,
                    run.name
                ),
            );
        }

        let mut pod = template.clone();
        overrides(run, ctx, &mut pod, findings);
        job_pod(ctx, &mut pod);
        if ctx.has_service {
            pod.metadata
                .labels
                .insert("app.kubernetes.io/name".into(), name.clone());
        }
        let count = run
            .target
            .ecs_parameters
            .as_ref()
            .and_then(|p| p.task_count)
            .unwrap_or(1)
            .max(1);
        let deadline = run
            .target
            .retry_policy
            .as_ref()
            .and_then(|r| r.get("MaximumEventAgeInSeconds"))
            .and_then(Value::as_i64);
        let suspend = run.disabled.is_some();
        let policy = ctx.mappings.schedules.concurrency_policy.as_str();
        let timing = Timing {
            cron: &schedule.cron,
            timezone: run.timezone,
            policy,
            deadline,
            suspend,
            count,
        };
        let object = match ctx.mappings.schedules.kind {
            ScheduleKind::CronJob => cron_job(meta(&name), &timing, pod),
            ScheduleKind::CronWorkflow => cron_workflow(meta(&name), &timing, pod),
        };
        out.push(object);
    }
    out
}

/// The rule or schedule name as a DNS label of at most 52 characters, unique in the workload and
/// never the Deployment's name.
fn job_name(rule: &str, ctx: &JobContext<'_>, used: &[String]) -> String {
    let mut base = names::dns_label(rule, "schedule");
    if ctx.has_service && base == ctx.app {
        base.push_str("-job");
    }
    let cut = |s: &str, max: usize| s[..s.len().min(max)].trim_end_matches('-').to_string();
    let mut name = cut(&base, MAX_NAME);
    let mut n = 2;
    while used.contains(&name) {
        let suffix = format!("-{n}");
        name = format!("{}{suffix}", cut(&base, MAX_NAME - suffix.len()));
        n += 1;
    }
    name
}

/// Names of the RunTask parameters of a target that a job does not carry.
fn run_task_parameters(target: &EventTarget) -> Vec<String> {
    let unset = crate::model::fields::is_unset;
    let mut out: Vec<String> = target
        .ecs_parameters
        .iter()
        .flat_map(|p| p.other.iter())
        .filter(|(_, v)| !unset(v))
        .map(|(k, _)| format!("EcsParameters.{k}"))
        .collect();
    if target
        .ecs_parameters
        .as_ref()
        .is_some_and(|p| p.launch_type.is_some())
    {
        out.push("EcsParameters.LaunchType".into());
        out.sort();
    }
    if target
        .retry_policy
        .as_ref()
        .and_then(|r| r.get("MaximumRetryAttempts"))
        .and_then(Value::as_i64)
        .is_some_and(|n| n > 0)
    {
        out.push("RetryPolicy.MaximumRetryAttempts".into());
    }
    if target
        .dead_letter_config
        .as_ref()
        .is_some_and(|v| !unset(v))
    {
        out.push("DeadLetterConfig".into());
    }
    out
}

/// Lays the target's RunTask overrides (`Input`, a JSON string) over the pod: a container's
/// `command` becomes its `args`, `environment` is merged into `env`; the rest is reported.
fn overrides(run: &Run<'_>, ctx: &JobContext<'_>, pod: &mut PodTemplate, findings: &mut Findings) {
    let Some(text) = run.target.input.as_deref().filter(|t| !t.trim().is_empty()) else {
        return;
    };
    let at = join(&run.target_path, "Input");
    let report = |findings: &mut Findings, what: String| {
        push_at(
            findings,
            run.target_input,
            Code::ScheduleOverride,
            &at,
            what,
        )
    };
    let Ok(Value::Object(input)) = serde_json::from_str::<Value>(text) else {
        report(
            findings,
            format!(
                "the Input of {} {} is not a JSON object of RunTask overrides",
                run.what, run.name
            ),
        );
        return;
    };
    for (key, value) in &input {
        if key != "containerOverrides" {
            if !crate::model::fields::is_unset(value) {
                report(
                    findings,
                    format!(
                        "override `{key}` of {} {} was not carried",
                        run.what, run.name
                    ),
                );
            }
            continue;
        }
        for (i, o) in value.as_array().into_iter().flatten().enumerate() {
            let ecs_name = o.get("name").and_then(Value::as_str).unwrap_or("");
            let index = ctx
                .td
                .container_definitions
                .iter()
                .position(|c| c.name.as_deref() == Some(ecs_name));
            let container = index
                .and_then(|i| ctx.container_names.get(i))
                .and_then(|k8s| {
                    let spec = &mut pod.spec;
                    spec.containers
                        .iter_mut()
                        .chain(spec.init_containers.iter_mut())
                        .find(|c| c.name == *k8s)
                });
            let Some(container) = container else {
                report(
                    findings,
                    format!(
                        "containerOverrides[{i}] names container {ecs_name:?}, which is not in the task definition"
                    ),
                );
                continue;
            };
            for (k, v) in o.as_object().into_iter().flatten() {
                match k.as_str() {
                    "name" => {}
                    "command" => {
                        container.args = v
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|s| s.as_str().map(str::to_string))
                            .collect();
                    }
                    "environment" => merge_env(container, v),
                    _ if crate::model::fields::is_unset(v) => {}
                    other => report(
                        findings,
                        format!(
                            "override `{other}` of container {ecs_name} in {} {} was not carried",
                            run.what, run.name
                        ),
                    ),
                }
            }
        }
    }
}

fn merge_env(container: &mut Container, v: &Value) {
    for e in v.as_array().into_iter().flatten() {
        let Some(name) = e.get("name").and_then(Value::as_str) else {
            continue;
        };
        let value = e
            .get("value")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        container.env.retain(|x| x.name != name);
        container.env.push(EnvVar {
            name: name.to_string(),
            value: Some(value),
            value_from: None,
        });
    }
    container.env.sort_by(|a, b| a.name.cmp(&b.name));
}

/// A job's pod runs to completion: `restartPolicy: Never` (ECS does not rerun a stopped task),
/// and non-essential containers become native sidecars so that they do not keep it running.
fn job_pod(ctx: &JobContext<'_>, pod: &mut PodTemplate) {
    let spec = &mut pod.spec;
    spec.restart_policy = Some("Never");
    let non_essential: Vec<&String> = ctx
        .td
        .container_definitions
        .iter()
        .zip(ctx.container_names)
        .filter(|(c, _)| !c.is_essential())
        .map(|(_, n)| n)
        .collect();
    let (keep, sidecars): (Vec<Container>, Vec<Container>) = std::mem::take(&mut spec.containers)
        .into_iter()
        .partition(|c| !non_essential.contains(&&c.name));
    if keep.is_empty() {
        // Nothing essential left to run to completion: leave the containers as they were.
        spec.containers = sidecars;
        return;
    }
    spec.containers = keep;
    for mut s in sidecars {
        s.restart_policy = Some("Always");
        spec.init_containers.push(s);
    }
}

/// When and how a scheduled task runs, whatever object runs it.
#[derive(Clone, Copy)]
struct Timing<'a> {
    cron: &'a str,
    timezone: &'a str,
    policy: &'a str,
    deadline: Option<i64>,
    suspend: bool,
    count: i64,
}

/// A `batch/v1` CronJob; the job does not retry, as ECS does not rerun a stopped task.
fn cron_job(meta: ObjectMeta, timing: &Timing<'_>, pod: PodTemplate) -> Object {
    let Timing {
        cron,
        timezone,
        policy,
        deadline,
        suspend,
        count,
    } = *timing;

    let mut job = Map::new();
    if count > 1 {
        job.insert("parallelism".into(), json!(count));
        job.insert("completions".into(), json!(count));
    }
    job.insert("backoffLimit".into(), json!(0));
    job.insert(
        "template".into(),
        serde_json::to_value(pod).expect("pods serialise"),
    );
    let mut spec = Map::new();
    spec.insert("schedule".into(), json!(cron));
    spec.insert("timeZone".into(), json!(timezone));
    spec.insert("concurrencyPolicy".into(), json!(policy));
    if let Some(d) = deadline {
        spec.insert("startingDeadlineSeconds".into(), json!(d));
    }
    if suspend {
        spec.insert("suspend".into(), json!(true));
    }
    spec.insert("jobTemplate".into(), json!({ "spec": job }));
    Object::new("batch/v1", "CronJob", meta, json!({ "spec": spec }))
}

/// An Argo Workflows CronWorkflow: `spec.schedules` is a list (Argo Workflows 4 removed
/// `schedule`). Pod-level fields go to the workflow spec where Argo has them, the rest to
/// `podSpecPatch`; the first container is the template's main container, the others sidecars.
fn cron_workflow(meta: ObjectMeta, timing: &Timing<'_>, pod: PodTemplate) -> Object {
    let Timing {
        cron,
        timezone,
        policy,
        deadline,
        suspend,
        count,
    } = *timing;

    let Value::Object(mut p) = serde_json::to_value(&pod.spec).expect("pods serialise") else {
        unreachable!("a pod spec is an object")
    };
    let mut wf = Map::new();
    wf.insert("entrypoint".into(), json!("main"));
    let mut pod_meta = Map::new();
    if !pod.metadata.labels.is_empty() {
        pod_meta.insert("labels".into(), json!(pod.metadata.labels));
    }
    if !pod.metadata.annotations.is_empty() {
        pod_meta.insert("annotations".into(), json!(pod.metadata.annotations));
    }
    if !pod_meta.is_empty() {
        wf.insert("podMetadata".into(), Value::Object(pod_meta));
    }
    for key in [
        "serviceAccountName",
        "automountServiceAccountToken",
        "hostNetwork",
        "imagePullSecrets",
        "hostAliases",
        "dnsConfig",
        "nodeSelector",
        "affinity",
        "tolerations",
        "volumes",
    ] {
        if let Some(v) = p.remove(key) {
            wf.insert(key.into(), v);
        }
    }
    p.remove("restartPolicy");
    let containers = p.remove("containers").unwrap_or(json!([]));
    let inits = p.remove("initContainers").unwrap_or(json!([]));
    let mut containers = containers
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter();
    let mut main = containers.next().unwrap_or(json!({}));
    if let Some(m) = main.as_object_mut() {
        m.insert("name".into(), json!("main"));
    }
    let mut sidecars: Vec<Value> = Vec::new();
    let mut init_containers: Vec<Value> = Vec::new();
    for mut c in inits.as_array().cloned().unwrap_or_default() {
        let native = c.get("restartPolicy").and_then(Value::as_str) == Some("Always");
        if native {
            if let Some(o) = c.as_object_mut() {
                o.remove("restartPolicy");
            }
            sidecars.push(c);
        } else {
            init_containers.push(c);
        }
    }
    sidecars.extend(containers);
    let mut task = Map::new();
    task.insert(
        "name".into(),
        json!(if count > 1 { "task" } else { "main" }),
    );
    if !init_containers.is_empty() {
        task.insert("initContainers".into(), Value::Array(init_containers));
    }
    task.insert("container".into(), main);
    if !sidecars.is_empty() {
        task.insert("sidecars".into(), Value::Array(sidecars));
    }
    if !p.is_empty() {
        let patch = serde_json::to_string(&Value::Object(p)).expect("JSON");
        task.insert("podSpecPatch".into(), json!(patch));
    }
    let mut templates = Vec::new();
    if count > 1 {
        templates.push(json!({
            "name": "main",
            "steps": [[{ "name": "run", "template": "task", "withSequence": { "count": count.to_string() } }]],
        }));
    }
    templates.push(Value::Object(task));
    wf.insert("templates".into(), Value::Array(templates));

    let mut spec = Map::new();
    spec.insert("schedules".into(), json!([cron]));
    spec.insert("timezone".into(), json!(timezone));
    spec.insert("concurrencyPolicy".into(), json!(policy));
    if let Some(d) = deadline {
        spec.insert("startingDeadlineSeconds".into(), json!(d));
    }
    if suspend {
        spec.insert("suspend".into(), json!(true));
    }
    spec.insert("workflowSpec".into(), Value::Object(wf));
    Object::new(
        "argoproj.io/v1alpha1",
        "CronWorkflow",
        meta,
        json!({ "spec": spec }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::translate::{Conversion, translate};

    const TD: &str = r#"{"taskDefinition": {"family": "job", "revision": 3,
        "taskDefinitionArn": "arn:aws:ecs:eu-west-1:111111111111:task-definition/job:3",
        "containerDefinitions": [
            {"name": "main", "image": "busybox", "cpu": 256, "memory": 512, "command": ["run"],
             "environment": [{"name": "A", "value": "1"}]},
            {"name": "log-router", "image": "fluent-bit", "essential": false, "memory": 64}]}}"#;

    fn rules(expression: &str, state: &str) -> String {
        format!(
            r#"{{"Rules": [{{"Name": "Nightly_Job", "State": "{state}", "ScheduleExpression": "{expression}",
                "Arn": "arn:aws:events:eu-west-1:111111111111:rule/Nightly_Job"}},
              {{"Name": "on-stop", "EventPattern": "{{}}", "State": "ENABLED"}}]}}"#
        )
    }

    fn targets(rule: &str, td: &str, count: i64) -> String {
        format!(
            r#"{{"Rule": "{rule}", "Targets": [{{"Id": "t", "Arn": "arn:aws:ecs:eu-west-1:111111111111:cluster/c",
                "Input": "{{\"containerOverrides\":[{{\"name\":\"main\",\"command\":[\"run\",\"--all\"],\"environment\":[{{\"name\":\"B\",\"value\":\"2\"}}],\"cpu\":512}}]}}",
                "RetryPolicy": {{"MaximumEventAgeInSeconds": 600}},
                "EcsParameters": {{"TaskDefinitionArn": "{td}", "TaskCount": {count}}}}}]}}"#
        )
    }

    fn convert(files: &[String], mappings: &Mappings) -> Conversion {
        let mut inputs = Inputs::default();
        for (i, f) in files.iter().enumerate() {
            crate::import::read_bytes(&format!("f{i}.json"), f.as_bytes(), &mut inputs);
        }
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
        translate(inputs, mappings, None)
    }

    fn kinds(c: &Conversion) -> Vec<&str> {
        c.workloads
            .here(0)
            .unwrap()
            .objects
            .iter()
            .map(|o| o.kind)
            .collect()
    }

    fn codes(c: &Conversion) -> Vec<&str> {
        c.workloads
            .here(0)
            .unwrap()
            .findings
            .iter()
            .map(|f| f.code.as_str())
            .collect()
    }

    #[test]
    fn rule_becomes_a_cron_job_instead_of_a_deployment() {
        let c = convert(
            &[
                TD.into(),
                rules("cron(0 3 ? * MON-FRI *)", "ENABLED"),
                targets(
                    "Nightly_Job",
                    "arn:aws:ecs:eu-west-1:111111111111:task-definition/job:3",
                    3,
                ),
            ],
            &Mappings::defaults(),
        );
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        assert_eq!(kinds(&c), vec!["Namespace", "ServiceAccount", "CronJob"]);
        let cj = c.workloads.here(0).unwrap().objects[2].to_json();
        assert_eq!(cj["metadata"]["name"], "nightly-job");
        let spec = &cj["spec"];
        assert_eq!(spec["schedule"], "0 3 * * 1-5");
        assert_eq!(spec["timeZone"], "Etc/UTC");
        assert_eq!(spec["concurrencyPolicy"], "Forbid");
        assert_eq!(spec["startingDeadlineSeconds"], 600);
        assert!(spec.get("suspend").is_none());
        let job = &spec["jobTemplate"]["spec"];
        assert_eq!(
            (job["parallelism"].as_i64(), job["completions"].as_i64()),
            (Some(3), Some(3))
        );
        assert_eq!(job["backoffLimit"], 0);
        let pod = &job["template"]["spec"];
        assert_eq!(pod["restartPolicy"], "Never");
        assert_eq!(pod["containers"][0]["args"], json!(["run", "--all"]));
        assert_eq!(
            pod["containers"][0]["env"],
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
        );
        // The non-essential log router must not keep the job running.
        assert_eq!(pod["initContainers"][0]["name"], "log-router");
        assert_eq!(pod["initContainers"][0]["restartPolicy"], "Always");
        let codes = codes(&c);
        for code in ["E2K560", "E2K563"] {
            assert!(codes.contains(&code), "{code} in {codes:?}");
        }
        assert!(!codes.contains(&"E2K100"), "{codes:?}");
    }

    #[test]
    fn table_of_schedule_outcomes() {
        // (expression, state, CronJob made, expected code)
        let cases = [
            ("rate(1 hour)", "ENABLED", true, "E2K562"),
            ("cron(0 12 ? * MON#1 *)", "ENABLED", false, "E2K561"),
            ("cron(0 12 * * ? 2030)", "ENABLED", false, "E2K561"),
            ("cron(15 10 ? * 6L *)", "ENABLED", false, "E2K561"),
            ("cron(0/5 8-17 ? * MON-FRI *)", "DISABLED", true, "E2K566"),
        ];
        for (expression, state, made, code) in cases {
            let c = convert(
                &[
                    TD.into(),
                    rules(expression, state),
                    targets("Nightly_Job", "job", 1),
                ],
                &Mappings::defaults(),
            );
            let cron = c
                .workloads
                .here(0)
                .unwrap()
                .objects
                .iter()
                .find(|o| o.kind == "CronJob");
            assert_eq!(cron.is_some(), made, "{expression}");
            assert!(codes(&c).contains(&code), "{expression}: {:?}", codes(&c));
            if state == "DISABLED" {
                assert_eq!(cron.unwrap().body()["spec"]["suspend"], true);
            }
        }
    }

    #[test]
    fn scheduler_schedule_as_cron_workflow_with_time_zone_and_task_count() {
        let schedule = r#"{"Name": "warm", "ScheduleExpression": "cron(30 6 * * ? *)",
            "ScheduleExpressionTimezone": "Europe/Berlin", "State": "ENABLED",
            "FlexibleTimeWindow": {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 5},
            "Target": {"Arn": "arn:aws:ecs:eu-west-1:111111111111:cluster/c",
                "EcsParameters": {"TaskDefinitionArn": "arn:aws:ecs:eu-west-1:111111111111:task-definition/job:3", "TaskCount": 2}}}"#;
        let mut m = Mappings::defaults();
        m.schedules.kind = ScheduleKind::CronWorkflow;
        let c = convert(&[TD.into(), schedule.into()], &m);
        let cw = c
            .workloads
            .here(0)
            .unwrap()
            .objects
            .iter()
            .find(|o| o.kind == "CronWorkflow")
            .unwrap();
        let cw = cw.to_json();
        assert_eq!(cw["apiVersion"], "argoproj.io/v1alpha1");
        let spec = &cw["spec"];
        assert_eq!(spec["schedules"], json!(["30 6 * * *"]));
        assert!(spec.get("schedule").is_none());
        assert_eq!(spec["timezone"], "Europe/Berlin");
        let wf = &spec["workflowSpec"];
        assert_eq!(wf["entrypoint"], "main");
        assert_eq!(
            wf["templates"][0]["steps"][0][0]["withSequence"]["count"],
            "2"
        );
        assert_eq!(wf["templates"][1]["container"]["image"], "busybox");
        assert_eq!(wf["templates"][1]["sidecars"][0]["name"], "log-router");
        assert!(codes(&c).contains(&"E2K564"));
    }

    #[test]
    fn a_service_keeps_its_deployment_and_gets_a_differently_named_job() {
        let service = r#"{"services": [{"serviceName": "job", "desiredCount": 2,
            "serviceArn": "arn:aws:ecs:eu-west-1:111111111111:service/c/job", "taskDefinition": "job:3"}]}"#;
        let c = convert(
            &[
                TD.into(),
                service.into(),
                r#"{"Rules": [{"Name": "job", "ScheduleExpression": "rate(1 day)"}]}"#.into(),
                targets("job", "job:3", 1),
            ],
            &Mappings::defaults(),
        );
        let cj = c
            .workloads
            .here(0)
            .unwrap()
            .objects
            .iter()
            .find(|o| o.kind == "CronJob")
            .unwrap();
        assert_eq!(cj.metadata.name, "job-job");
        assert_eq!(
            cj.body()["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
            "job-job"
        );
        assert!(kinds(&c).contains(&"Deployment"));
    }

    #[test]
    fn runs_of_missing_task_definitions_are_errors() {
        let c = convert(
            &[
                TD.into(),
                rules("rate(5 minutes)", "ENABLED"),
                targets("Nightly_Job", "other:1", 1),
            ],
            &Mappings::defaults(),
        );
        assert_eq!(c.errors.len(), 1);
        assert!(
            c.errors[0].to_string().contains("other:1"),
            "{}",
            c.errors[0]
        );
        assert!(codes(&c).contains(&"E2K100"));
    }

    #[test]
    fn names_fit_52_characters() {
        let m = Mappings::defaults();
        let td = TaskDefinition::default();
        let ctx = JobContext {
            app: "a",
            td: &td,
            container_names: &[],
            has_service: false,
            mappings: &m,
        };
        let long = "x".repeat(70);
        let first = job_name(&long, &ctx, &[]);
        assert_eq!(first.len(), 52);
        let second = job_name(&long, &ctx, std::slice::from_ref(&first));
        assert!(second.len() <= 52 && second.ends_with("-2") && second != first);
    }
}
