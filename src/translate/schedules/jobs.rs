//! The CronJobs (or Argo CronWorkflows) of a task definition's scheduled runs: its pod with
//! each target's overrides laid over it, on the schedule `cron::translate` gives.

use super::Run;
use crate::diagnostics::{Code, Findings};
use crate::mappings::Mappings;
use crate::mappings::ScheduleKind;
use crate::model::aws::EventTarget;
use crate::model::ecs::{ContainerDefinition, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::{Container, EnvVar, Object, ObjectMeta, PodTemplate};
use crate::model::names;
use crate::translate::autoscaling::push_at;
use crate::translate::containers::{command_and_args, kubelet_literal};
use crate::translate::cron;
use serde_json::{Map, Value, json};

/// CronJob names: the controller appends 11 characters to name its Jobs (63 − 11).
pub const MAX_NAME: usize = 52;

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
        let Some(schedule) = schedule(run, findings) else {
            continue;
        };
        let name = job_name(run.name, ctx, &used);
        used.push(name.clone());
        let kind = ctx.mappings.schedules.kind;
        push_at(
            findings,
            schedule.input,
            Code::ScheduledTask,
            schedule.path,
            format!(
                "{} {} ({}) became {} {name} with schedule \"{}\" in {}",
                run.what,
                run.name,
                schedule.expression,
                kind_name(kind),
                schedule.cron,
                run.timezone
            ),
        );
        not_carried(run, &name, *mismatch, findings);
        let pod = job_template(run, ctx, template, &name, findings);
        let policy = ctx.mappings.schedules.concurrency_policy.as_str();
        let timing = Timing::of(run, &schedule.cron, policy);
        out.push(match kind {
            ScheduleKind::CronJob => cron_job(meta(&name), &timing, pod),
            ScheduleKind::CronWorkflow => cron_workflow(meta(&name), &timing, pod),
        });
    }
    out
}

fn kind_name(kind: ScheduleKind) -> &'static str {
    match kind {
        ScheduleKind::CronJob => "CronJob",
        ScheduleKind::CronWorkflow => "CronWorkflow",
    }
}

/// A run's schedule expression as five-field cron, and where the expression is.
struct Schedule<'r> {
    expression: &'r str,
    input: &'r str,
    path: &'r str,
    cron: String,
}

/// The schedule of `run`, or None (with the finding) when its expression is unknown or cron
/// cannot express it; a note on the translation is reported.
fn schedule<'r>(run: &'r Run<'_>, findings: &mut Findings) -> Option<Schedule<'r>> {
    let Some((expression, input, path)) = run.expression.as_ref() else {
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
        return None;
    };
    let translated = match cron::translate(expression) {
        Ok(s) => s,
        Err(e) => {
            push_at(
                findings,
                input,
                Code::ScheduleUntranslatable,
                path,
                format!("{} {}: {}", run.what, run.name, e.reason),
            );
            return None;
        }
    };
    if let Some(note) = translated.note.as_deref() {
        push_at(
            findings,
            input,
            Code::ScheduleNote,
            path,
            format!("{} {}: {note}", run.what, run.name),
        );
    }
    Some(Schedule {
        expression,
        input,
        path,
        cron: translated.cron,
    })
}

/// What job `name` of `run` does not carry: another revision (`mismatch`), a disabled rule
/// (suspended instead), a flexible window, RunTask parameters.
fn not_carried(run: &Run<'_>, name: &str, mismatch: Option<i64>, findings: &mut Findings) {
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
    let parameters = run_task_parameters(run.target);
    if !parameters.is_empty() {
        push_at(
            findings,
            run.target_input,
            Code::ScheduleRunTask,
            &run.target_path,
            format!(
                "{} of {} {} were not carried",
                parameters.join(", "),
                run.what,
                run.name
            ),
        );
    }
}

/// The pod of job `name`: the workload's `template` with the run's overrides, run to
/// completion; labelled with its own name when a service runs the same pods.
fn job_template(
    run: &Run<'_>,
    ctx: &JobContext<'_>,
    template: &PodTemplate,
    name: &str,
    findings: &mut Findings,
) -> PodTemplate {
    let mut pod = template.clone();
    overrides(run, ctx, &mut pod, findings);
    job_pod(ctx, &mut pod);
    if ctx.has_service {
        pod.metadata
            .labels
            .insert("app.kubernetes.io/name".into(), name.to_string());
    }
    pod
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

/// Where a run's overrides are, for their findings.
struct Overrides<'r> {
    run: &'r Run<'r>,
    at: String,
}

impl Overrides<'_> {
    fn report(&self, findings: &mut Findings, what: String) {
        push_at(
            findings,
            self.run.target_input,
            Code::ScheduleOverride,
            &self.at,
            what,
        )
    }
}

/// Lays the target's RunTask overrides (`Input`, a JSON string) over the pod: a container's
/// `command` becomes its `args`, `environment` is merged into `env`; the rest is reported.
fn overrides(run: &Run<'_>, ctx: &JobContext<'_>, pod: &mut PodTemplate, findings: &mut Findings) {
    let Some(text) = run.target.input.as_deref().filter(|t| !t.trim().is_empty()) else {
        return;
    };
    let here = Overrides {
        run,
        at: join(&run.target_path, "Input"),
    };
    let Ok(Value::Object(input)) = serde_json::from_str::<Value>(text) else {
        here.report(
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
                here.report(
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
            let Some((def, container)) = overridden(ctx, pod, ecs_name) else {
                here.report(
                    findings,
                    format!(
                        "containerOverrides[{i}] names container {ecs_name:?}, which is not in the task definition"
                    ),
                );
                continue;
            };
            let redact = ctx.mappings.external_secrets.redact_plaintext;
            container_override((def, container), o, (ecs_name, redact), &here, findings);
        }
    }
}

/// ECS container `ecs_name`, and the container of `pod` it became.
fn overridden<'p, 't>(
    ctx: &JobContext<'t>,
    pod: &'p mut PodTemplate,
    ecs_name: &str,
) -> Option<(&'t ContainerDefinition, &'p mut Container)> {
    let index = ctx
        .td
        .container_definitions
        .iter()
        .position(|c| c.name.as_deref() == Some(ecs_name))?;
    let k8s = ctx.container_names.get(index)?;
    let spec = &mut pod.spec;
    let container = spec
        .containers
        .iter_mut()
        .chain(spec.init_containers.iter_mut())
        .find(|c| c.name == *k8s)?;
    Some((&ctx.td.container_definitions[index], container))
}

/// Lays one container override `o` (of ECS container `ecs_name`, defined by `def`) over
/// `container`; `redact`: plain values that look like secrets are left out (`redactPlaintext`).
fn container_override(
    (def, container): (&ContainerDefinition, &mut Container),
    o: &Value,
    (ecs_name, redact): (&str, bool),
    here: &Overrides<'_>,
    findings: &mut Findings,
) {
    for (k, v) in o.as_object().into_iter().flatten() {
        match k.as_str() {
            "name" => {}
            "command" => {
                let command: Vec<String> = v
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect();
                (container.command, container.args) = command_and_args(def, &command);
            }
            "environment" => merge_env(container, v, redact, here, findings),
            _ if crate::model::fields::is_unset(v) => {}
            other => here.report(
                findings,
                format!(
                    "override `{other}` of container {ecs_name} in {} {} was not carried",
                    here.run.what, here.run.name
                ),
            ),
        }
    }
}

/// Merges an override's `environment` into the container's env. A value that looks like a
/// secret stays out of Git (E2K414) unless `redact` is off (E2K403): the override's value has no
/// place in the moved secret, which holds the task definition's.
fn merge_env(
    container: &mut Container,
    v: &Value,
    redact: bool,
    here: &Overrides<'_>,
    findings: &mut Findings,
) {
    for e in v.as_array().into_iter().flatten() {
        let Some(name) = e.get("name").and_then(Value::as_str) else {
            continue;
        };
        let value = e.get("value").and_then(Value::as_str).unwrap_or("");
        if let Some(why) = crate::translate::secrets::plaintext_reason(name, value) {
            let (code, what) = match redact {
                true => (Code::PlaintextOverride, "it was left out of the job"),
                false => (Code::PlaintextSecret, "its value is in the manifest"),
            };
            push_at(
                findings,
                here.run.target_input,
                code,
                &here.at,
                format!(
                    "{} {} overrides {name}, which looks like a secret in plain text ({why}); {what}",
                    here.run.what, here.run.name
                ),
            );
            if redact {
                continue;
            }
        }
        let value = kubelet_literal(value);
        container.env.retain(|x| x.name != name);
        container.env.push(EnvVar {
            name: name.to_string(),
            value: Some(value),
            value_from: None,
        });
    }
    container.env.sort_by(|a, b| a.name.cmp(&b.name));
}

/// A task definition that nothing runs on a schedule or as a service (`standaloneTaskDefinitions:
/// job`): a Job that runs its pod once, suspended until a person starts it, with no retry, as
/// ECS does not rerun a stopped task.
pub fn suspended_job(ctx: &JobContext<'_>, template: &PodTemplate, meta: ObjectMeta) -> Object {
    let mut pod = template.clone();
    job_pod(ctx, &mut pod);
    let spec = json!({ "suspend": true, "backoffLimit": 0, "template": pod });
    Object::new("batch/v1", "Job", meta, json!({ "spec": spec }))
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

impl<'a> Timing<'a> {
    /// The timing of `run` on `cron`, under concurrency policy `policy`.
    fn of(run: &'a Run<'_>, cron: &'a str, policy: &'a str) -> Self {
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
        Timing {
            cron,
            timezone: run.timezone,
            policy,
            deadline,
            suspend: run.disabled.is_some(),
            count,
        }
    }
}

/// What CronJob and CronWorkflow specs both say after the schedule and time zone (whose keys
/// differ): the concurrency policy, the starting deadline and suspension.
fn run_policy(spec: &mut Map<String, Value>, timing: &Timing<'_>) {
    spec.insert("concurrencyPolicy".into(), json!(timing.policy));
    if let Some(d) = timing.deadline {
        spec.insert("startingDeadlineSeconds".into(), json!(d));
    }
    if timing.suspend {
        spec.insert("suspend".into(), json!(true));
    }
}

/// A `batch/v1` CronJob; the job does not retry, as ECS does not rerun a stopped task.
fn cron_job(meta: ObjectMeta, timing: &Timing<'_>, pod: PodTemplate) -> Object {
    let Timing {
        cron,
        timezone,
        count,
        ..
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
    run_policy(&mut spec, timing);
    spec.insert("jobTemplate".into(), json!({ "spec": job }));
    Object::new("batch/v1", "CronJob", meta, json!({ "spec": spec }))
}

/// An Argo Workflows CronWorkflow: `spec.schedules` is a list (Argo Workflows 4 removed
/// `schedule`).
fn cron_workflow(meta: ObjectMeta, timing: &Timing<'_>, pod: PodTemplate) -> Object {
    let Timing {
        cron,
        timezone,
        count,
        ..
    } = *timing;
    let mut spec = Map::new();
    spec.insert("schedules".into(), json!([cron]));
    spec.insert("timezone".into(), json!(timezone));
    run_policy(&mut spec, timing);
    spec.insert(
        "workflowSpec".into(),
        Value::Object(workflow_spec(pod, count)),
    );
    Object::new(
        "argoproj.io/v1alpha1",
        "CronWorkflow",
        meta,
        json!({ "spec": spec }),
    )
}

/// Pod-level fields the workflow spec has: they move there from the pod.
const WORKFLOW_POD_FIELDS: [&str; 10] = [
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
];

/// The workflow that runs `pod` `count` times: the pod's metadata and the pod-level fields
/// Argo has, and the template that runs the containers (behind a step that repeats it when
/// `count` > 1).
fn workflow_spec(pod: PodTemplate, count: i64) -> Map<String, Value> {
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
    for key in WORKFLOW_POD_FIELDS {
        if let Some(v) = p.remove(key) {
            wf.insert(key.into(), v);
        }
    }
    p.remove("restartPolicy");
    let mut templates = Vec::new();
    if count > 1 {
        templates.push(json!({
            "name": "main",
            "steps": [[{ "name": "run", "template": "task", "withSequence": { "count": count.to_string() } }]],
        }));
    }
    templates.push(task_template(p, count));
    wf.insert("templates".into(), Value::Array(templates));
    wf
}

/// The container template of pod spec `p` (what is left of it after the workflow took its
/// fields): the first container is the main container, native sidecars and the other
/// containers are sidecars, and the rest of `p` is a `podSpecPatch`.
fn task_template(mut p: Map<String, Value>, count: i64) -> Value {
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
    Value::Object(task)
}

#[cfg(test)]
mod tests {
    use super::*;

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
