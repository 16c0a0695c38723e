//! Whole-pipeline checks of issue 8 (the rest of the ECS surface): autoscaling, schedules, EFS,
//! placement, disruption budgets and service discovery, from input files to objects, report and
//! Kustomize repository.

use crate::common::{Made, fields, found, object, workloads};
use ecs2eks::Converted;
use ecs2eks::export::{Tree, report, stream};
use ecs2eks::inventory::Inventory;
use ecs2eks::mappings::Mappings;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn inventory() -> Inventory {
    let path = "samples/inventory.yaml";
    Inventory::parse(path, &std::fs::read_to_string(path).unwrap()).unwrap()
}

fn convert(inputs: &[PathBuf], mappings: &Mappings) -> Converted {
    ecs2eks::convert(inputs, mappings, Some(&inventory())).unwrap()
}

fn workload<'a>(c: &'a Converted, app: &str, env: &str) -> Made<'a> {
    workloads(c)
        .find(|w| w.app == app && w.environment == env)
        .unwrap_or_else(|| panic!("no workload {app} ({env})"))
}

fn kinds(w: Made<'_>) -> Vec<&'static str> {
    w.objects.iter().map(|o| o.kind).collect()
}

fn codes(w: Made<'_>) -> Vec<&'static str> {
    w.findings.iter().map(|f| f.code.as_str()).collect()
}

#[test]
fn autoscaling_schedules_sample() {
    let c = convert(
        &[PathBuf::from("samples/autoscaling-schedules")],
        &Mappings::defaults(),
    );
    assert!(c.conversion.errors.is_empty(), "{:?}", c.conversion.errors);

    let thumb = workload(&c, "thumbnailer", "dev");
    assert_eq!(
        kinds(thumb),
        vec![
            "Namespace",
            "ServiceAccount",
            "PersistentVolume",
            "PersistentVolumeClaim",
            "SecurityGroupPolicy",
            "Service",
            "Deployment",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
        ]
    );
    let deployment = object(thumb, "Deployment");
    assert!(deployment["spec"].get("replicas").is_none());
    let hpa = object(thumb, "HorizontalPodAutoscaler");
    assert_eq!(hpa["spec"]["minReplicas"], 2);
    assert_eq!(hpa["spec"]["maxReplicas"], 20);
    assert_eq!(
        hpa["spec"]["metrics"],
        json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}])
    );
    assert_eq!(
        hpa["spec"]["behavior"],
        json!({"scaleUp": {"stabilizationWindowSeconds": 60}, "scaleDown": {"stabilizationWindowSeconds": 300}})
    );
    let pdb = object(thumb, "PodDisruptionBudget");
    assert_eq!(pdb["spec"]["minAvailable"], "50%");
    let pv = object(thumb, "PersistentVolume");
    assert_eq!(
        pv["spec"]["csi"]["volumeHandle"],
        "fs-0a1b2c3d4e5f67890::fsap-0123456789abcdef0"
    );
    assert_eq!(pv["spec"]["mountOptions"], json!(["tls", "iam"]));
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(
        pod["volumes"][0]["persistentVolumeClaim"]["claimName"],
        object(thumb, "PersistentVolumeClaim")["metadata"]["name"]
    );
    assert_eq!(pod["containers"][0]["volumeMounts"][0]["readOnly"], true);
    let preferred =
        &pod["affinity"]["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"];
    assert_eq!(preferred[0]["weight"], 75);
    assert_eq!(
        preferred[0]["preference"]["matchExpressions"][0]["values"],
        json!(["spot"])
    );
    for code in [
        "E2K550", "E2K551", "E2K552", "E2K570", "E2K571", "E2K580", "E2K581", "E2K590",
    ] {
        assert!(codes(thumb).contains(&code), "{code}: {:?}", codes(thumb));
    }
    for gone in ["E2K204", "E2K305"] {
        assert!(!codes(thumb).contains(&gone), "{gone}");
    }

    // Run only by a rule: a CronJob, no Deployment, no Service.
    let nightly = workload(&c, "nightly-report", "dev");
    assert_eq!(
        kinds(nightly),
        vec!["Namespace", "ServiceAccount", "CronJob"]
    );
    let cj = object(nightly, "CronJob");
    assert_eq!(cj["spec"]["schedule"], "0 3 * * 1-5");
    assert_eq!(cj["spec"]["timeZone"], "Etc/UTC");
    assert_eq!(cj["spec"]["concurrencyPolicy"], "Forbid");
    let args = &cj["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"];
    assert_eq!(
        args,
        &json!([
            "python",
            "-m",
            "reports.nightly",
            "--date",
            "yesterday",
            "--format",
            "parquet"
        ])
    );
    assert!(!codes(nightly).contains(&"E2K100"));

    let warmer = workload(&c, "cache-warmer", "dev");
    let cj = object(warmer, "CronJob");
    assert_eq!(cj["spec"]["schedule"], "*/15 * * * *");
    assert_eq!(cj["spec"]["timeZone"], "Europe/Berlin");
    for code in ["E2K560", "E2K562", "E2K564", "E2K568"] {
        assert!(codes(warmer).contains(&code), "{code}: {:?}", codes(warmer));
    }

    // The report names the inputs the findings come from.
    let md = report::markdown(&c.conversion);
    assert!(md.contains("E2K552"), "{md}");
    assert!(
        thumb
            .inputs
            .iter()
            .any(|i| i.ends_with("application-autoscaling-describe-scaling-policies.json"))
    );

    // Byte-identical run to run.
    let again = convert(
        &[PathBuf::from("samples/autoscaling-schedules")],
        &Mappings::defaults(),
    );
    assert_eq!(
        stream::render(&c.conversion, &c.objects, &Mappings::defaults()),
        stream::render(&again.conversion, &again.objects, &Mappings::defaults())
    );
}

#[test]
fn cron_workflow_mapping() {
    let m = Mappings::load(Some(("m.yaml", "schedules:\n  kind: CronWorkflow\n"))).unwrap();
    let c = convert(&[PathBuf::from("samples/autoscaling-schedules")], &m);
    let nightly = workload(&c, "nightly-report", "dev");
    assert_eq!(
        kinds(nightly),
        vec!["Namespace", "ServiceAccount", "CronWorkflow"]
    );
    let cw = object(nightly, "CronWorkflow");
    assert_eq!(cw["spec"]["schedules"], json!(["0 3 * * 1-5"]));
    assert!(cw["spec"].get("schedule").is_none());
    assert_eq!(
        cw["spec"]["workflowSpec"]["serviceAccountName"],
        "nightly-report"
    );
}

/// Writes `files` (name → JSON) into a fresh folder.
fn folder(files: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(Path::new("samples/autoscaling-schedules").join(name)).unwrap()
}

#[test]
fn efs_volumes_get_one_persistent_volume_per_environment() {
    let mut files = Vec::new();
    for f in [
        "describe-services-thumbnailer.json",
        "describe-task-definition-thumbnailer.json",
    ] {
        files.push((f.to_string(), sample(f)));
        let prod = sample(f)
            .replace("111111111111", "333333333333")
            .replace("shop-dev", "shop-prod");
        files.push((format!("prod-{f}"), prod));
    }
    let files: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let dir = folder(&files);
    let c = convert(&[dir.path().to_path_buf()], &Mappings::defaults());
    let dev = object(workload(&c, "thumbnailer", "dev"), "PersistentVolume");
    let prod = object(workload(&c, "thumbnailer", "prod"), "PersistentVolume");
    assert_eq!(dev["metadata"]["name"], "thumbnailer-dev-watermarks");
    assert_eq!(prod["metadata"]["name"], "thumbnailer-prod-watermarks");
    assert_eq!(prod["spec"]["claimRef"]["namespace"], "thumbnailer-prod");

    // The prod overlay drops the base's (dev) PV and brings its own.
    let (_, tree): (_, Tree) = ecs2eks::generate_repo(
        &[dir.path().to_path_buf()],
        &Mappings::defaults(),
        Some(&inventory()),
    )
    .unwrap();
    let overlay = &tree["apps/thumbnailer/overlays/prod/kustomization.yaml"];
    assert!(overlay.contains("only-persistentvolume.yaml"), "{overlay}");
    assert!(overlay.contains("$patch: delete"), "{overlay}");
    assert!(
        tree["apps/thumbnailer/overlays/prod/only-persistentvolume.yaml"]
            .contains("thumbnailer-prod-watermarks")
    );
}

#[test]
fn service_connect_names_go_to_the_report_and_external_name_services() {
    let td = json!({"taskDefinition": {"family": "orders",
        "taskDefinitionArn": "arn:aws:ecs:eu-west-1:333333333333:task-definition/orders:4",
        "containerDefinitions": [{"name": "orders", "image": "orders:1",
            "portMappings": [{"name": "http", "containerPort": 8080}]}]}});
    let svc = json!({"services": [{"serviceName": "orders",
        "serviceArn": "arn:aws:ecs:eu-west-1:333333333333:service/shop-prod/orders",
        "taskDefinition": "orders:4", "desiredCount": 3,
        "serviceConnectConfiguration": {"enabled": true, "namespace": "shop.local",
            "services": [{"portName": "http", "discoveryName": "orders-api",
                "clientAliases": [{"port": 80, "dnsName": "orders-api"}]}]}}]});
    let dir = folder(&[("td.json", td.to_string()), ("svc.json", svc.to_string())]);
    let m = Mappings::load(Some(("m.yaml", "discovery:\n  externalName: true\n"))).unwrap();
    let c = convert(&[dir.path().to_path_buf()], &m);
    let w = workload(&c, "orders", "prod");
    assert_eq!(w.dns_names.len(), 1);
    assert_eq!(w.dns_names[0].old, "orders-api");
    assert_eq!(w.dns_names[0].new, "orders.orders-prod.svc.cluster.local");
    assert_eq!(w.dns_names[0].new_port, Some(8080));
    let external = w
        .objects
        .iter()
        .find(|o| o.kind == "Service" && o.metadata.name == "orders-api")
        .expect("an ExternalName Service")
        .to_json();
    assert_eq!(external["spec"]["type"], "ExternalName");
    let md = report::markdown(&c.conversion);
    assert!(
        md.contains("| orders | prod | Service Connect | `orders-api:80` | `orders.orders-prod.svc.cluster.local:8080` |"),
        "{md}"
    );
    let json: Value = serde_json::from_str(&report::json(&c.conversion)).unwrap();
    assert_eq!(json["services"][0]["dns_names"][0]["old"], "orders-api");
    // Three replicas, minimumHealthyPercent defaults to 100: at most one pod evicted at a time.
    assert_eq!(
        object(w, "PodDisruptionBudget")["spec"]["maxUnavailable"],
        1
    );
}

/// Issue 18: a Service port that nothing outside the pod named in ECS (no load balancer, Service
/// Connect service or Cloud Map registry of the service) gets an info finding naming it, so a
/// reviewer can drop it; a named one gets none.
#[test]
fn ports_nothing_named_in_ecs_are_named_for_review() {
    let c = convert(
        &[PathBuf::from("samples/ec2-worker-sidecars")],
        &Mappings::defaults(),
    );
    let w = workload(&c, "inventory-sync-worker", "dev");
    let unreferenced = found(&w, "E2K315");
    assert_eq!(unreferenced.len(), 1, "{unreferenced:?}");
    assert_eq!(unreferenced[0].0, "containerDefinitions[2].portMappings[0]");
    assert!(
        unreferenced[0]
            .1
            .starts_with("port 9901/tcp of container envoy"),
        "{}",
        unreferenced[0].1
    );
    assert!(
        object(w, "Service")["spec"]["ports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["port"] == 9901),
        "the port is still there, for the reviewer to drop"
    );
    // The Service Connect port of `orders` is named: no finding.
    let td = json!({"taskDefinition": {"family": "orders",
        "taskDefinitionArn": "arn:aws:ecs:eu-west-1:333333333333:task-definition/orders:4",
        "containerDefinitions": [{"name": "orders", "image": "orders:1",
            "portMappings": [{"name": "http", "containerPort": 8080}, {"name": "admin", "containerPort": 9901}]}]}});
    let svc = json!({"services": [{"serviceName": "orders",
        "serviceArn": "arn:aws:ecs:eu-west-1:333333333333:service/shop-prod/orders",
        "taskDefinition": "orders:4",
        "serviceConnectConfiguration": {"enabled": true, "namespace": "shop.local",
            "services": [{"portName": "http", "discoveryName": "orders-api"}]}}]});
    let dir = folder(&[("td.json", td.to_string()), ("svc.json", svc.to_string())]);
    let c = convert(&[dir.path().to_path_buf()], &Mappings::defaults());
    assert_eq!(
        fields(&workload(&c, "orders", "prod"), "E2K315"),
        ["taskDefinition.containerDefinitions[0].portMappings[1]"]
    );
    // Behind load balancers, every port of the load-balancers sample is named.
    let c = convert(
        &[PathBuf::from("samples/load-balancers")],
        &Mappings::defaults(),
    );
    for w in workloads(&c) {
        assert!(!codes(w).contains(&"E2K315"), "{}: {:?}", w.app, codes(w));
    }
}

/// Issue 18: apps of accounts without a team go to `argocd.project`; when that is `default`, the
/// report says once (not per service) that nothing fences the tenants, and the stderr line too.
#[test]
fn the_default_project_is_said_once_to_put_no_fence_between_tenants() {
    let c = convert(&[PathBuf::from("samples/batch")], &Mappings::defaults());
    assert_eq!(c.conversion.notes.len(), 1);
    let md = report::markdown(&c.conversion);
    assert_eq!(
        md.matches("E2K600").count(),
        2,
        "a to-do step and the code's help:\n{md}"
    );
    assert!(
        md.contains(
            "**Note (E2K600)**: 2 app(s) of accounts without a team go to Argo CD project `default`"
        ),
        "{md}"
    );
    let json: Value = serde_json::from_str(&report::json(&c.conversion)).unwrap();
    assert_eq!(json["notes"][0]["code"], "E2K600");
    for s in json["services"].as_array().unwrap() {
        assert!(!s["findings"].to_string().contains("E2K600"));
    }
    let run = crate::common::ecs2eks(&[
        "convert",
        "samples/batch",
        "--inventory",
        "samples/inventory.yaml",
    ]);
    assert_eq!(run.stderr.matches("[E2K600]").count(), 1, "{}", run.stderr);
    // A project of one's own, or a team for every account: nothing to say.
    let own = Mappings::load(Some(("m.yaml", "argocd:\n  project: migrated\n"))).unwrap();
    assert!(
        convert(&[PathBuf::from("samples/batch")], &own)
            .conversion
            .notes
            .is_empty()
    );
    let teams = Inventory::parse(
        "inv.yaml",
        "accounts:\n  - {id: \"111111111111\", environment: dev, team: shop}\n  - {id: \"222222222222\", environment: stg, team: shop}\n  - {id: \"333333333333\", environment: prod, team: shop}\n",
    )
    .unwrap();
    let c = ecs2eks::convert(
        &[PathBuf::from("samples/batch")],
        &Mappings::defaults(),
        Some(&teams),
    )
    .unwrap();
    assert!(c.conversion.notes.is_empty());
}

/// A task definition used by several services and by a schedule: the schedule becomes one
/// CronJob, not one per service.
#[test]
fn a_schedule_becomes_one_job_however_many_services_share_its_task_definition() {
    let dir = tempfile::tempdir().unwrap();
    let sample = crate::common::root().join("samples/autoscaling-schedules");
    for f in [
        "describe-task-definition-nightly-report.json",
        "events-list-rules.json",
        "events-list-targets-by-rule-nightly-report.json",
    ] {
        std::fs::copy(sample.join(f), dir.path().join(f)).unwrap();
    }
    for name in ["report-api", "report-worker"] {
        let service = serde_json::json!({
            "cluster": "arn:aws:ecs:eu-west-1:111111111111:cluster/shop-dev",
            "serviceName": name,
            "taskDefinition": "nightly-report:7",
            "desiredCount": 1,
        });
        std::fs::write(dir.path().join(format!("{name}.json")), service.to_string()).unwrap();
    }
    let conversion = ecs2eks::convert(
        &[dir.path().to_path_buf()],
        &ecs2eks::mappings::Mappings::defaults(),
        Some(&crate::common::inventory()),
    )
    .unwrap();
    let jobs: Vec<_> = workloads(&conversion)
        .flat_map(|w| w.objects.iter())
        .filter(|o| o.kind == "CronJob")
        .collect();
    assert_eq!(
        jobs.len(),
        1,
        "{:?}",
        jobs.iter().map(|j| &j.metadata.name).collect::<Vec<_>>()
    );
}
