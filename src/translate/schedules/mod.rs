//! Scheduled tasks: EventBridge rules and EventBridge Scheduler schedules that run an ECS task
//! become a `CronJob` (batch/v1) or, as a mapping choice, an Argo Workflows `CronWorkflow`.
//!
//! The schedule expression goes through `cron::translate` (exact, or an error saying why not).
//! The job's pod is the task definition's pod with the target's container overrides laid over
//! it; the task count becomes `parallelism`/`completions`. A task definition that only
//! schedules run becomes jobs, not a Deployment (`translate::passes::schedule_assignment`
//! gives each task definition its runs, once). `runs` finds the runs; `jobs` makes the objects.

mod jobs;
mod runs;

pub use jobs::{JobContext, MAX_NAME, objects, suspended_job};
pub use runs::{Run, runs};

#[cfg(test)]
mod tests {
    use crate::Converted;
    use crate::mappings::{Mappings, ScheduleKind};
    use crate::model::read::Inputs;
    use serde_json::json;

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

    fn convert(files: &[String], mappings: &Mappings) -> Converted {
        let mut inputs = Inputs::default();
        for (i, f) in files.iter().enumerate() {
            crate::fixtures::read_into(&mut inputs, &[(&format!("f{i}.json"), f)]);
        }
        assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
        crate::convert_read(inputs, mappings, None, &|_, _| {})
    }

    fn kinds(c: &Converted) -> Vec<&str> {
        c.objects[0].iter().map(|o| o.kind).collect()
    }

    fn codes(c: &Converted) -> Vec<&str> {
        c.conversion.workloads[0]
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
        assert!(c.conversion.errors.is_empty(), "{:?}", c.conversion.errors);
        assert_eq!(kinds(&c), vec!["Namespace", "ServiceAccount", "CronJob"]);
        let cj = c.objects[0][2].to_json();
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
            let cron = c.objects[0].iter().find(|o| o.kind == "CronJob");
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
        let cw = c.objects[0]
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
        let cj = c.objects[0].iter().find(|o| o.kind == "CronJob").unwrap();
        assert_eq!(cj.metadata.name, "job-job");
        assert_eq!(
            cj.body()["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
            "job-job"
        );
        assert!(kinds(&c).contains(&"Deployment"));
    }

    /// Issue 18: an override's plain value that looks like a secret stays out of Git, unless the
    /// user opts out of redaction.
    #[test]
    fn an_override_that_looks_like_a_secret_is_left_out_of_the_job() {
        let secret = targets("Nightly_Job", "job:3", 1).replace(
            r#"\"name\":\"B\",\"value\":\"2\""#,
            r#"\"name\":\"DB_PASSWORD\",\"value\":\"hunter2\""#,
        );
        assert!(secret.contains("DB_PASSWORD"));
        let env_of = |c: &Converted| {
            let cj = c.objects[0].iter().find(|o| o.kind == "CronJob").unwrap();
            cj.body()["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"]
                .clone()
        };
        let files = [TD.into(), rules("rate(1 hour)", "ENABLED"), secret];
        let c = convert(&files, &Mappings::defaults());
        assert_eq!(env_of(&c), json!([{"name": "A", "value": "1"}]));
        assert!(codes(&c).contains(&"E2K414"), "{:?}", codes(&c));
        let mut opt_out = Mappings::defaults();
        opt_out.external_secrets.redact_plaintext = false;
        let c = convert(&files, &opt_out);
        assert_eq!(
            env_of(&c)[1],
            json!({"name": "DB_PASSWORD", "value": "hunter2"})
        );
        assert!(codes(&c).contains(&"E2K403"), "{:?}", codes(&c));
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
        assert_eq!(c.conversion.errors.len(), 1);
        assert!(
            c.conversion.errors[0].to_string().contains("other:1"),
            "{}",
            c.conversion.errors[0]
        );
        assert!(codes(&c).contains(&"E2K100"));
    }
}
