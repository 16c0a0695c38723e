//! `ecs2eks import` against a real AWS API, locally: moto_server.
//!
//! The server's URL comes from `ECS2EKS_MOTO_ENDPOINT` (`.ci/moto.sh start` writes it to
//! target/moto.url; `.ci/run` exports it). Without it the tests print why and pass: they never
//! reach real AWS. Credentials are static test keys, the environment is emptied (no profiles, no
//! IMDS), and every client is pointed at the endpoint.
//!
//! Seeding: tests/moto/seed.py (boto3) creates clusters, services and task definitions (secrets,
//! health checks, docker labels, tags) in two regions and two accounts, and dumps what the AWS CLI
//! prints for the same data. The tests import, compare the snapshot with that dump file by file,
//! and compare `convert` on both.
//!
//! What moto leaves out (covered by the file-based samples instead): a service's
//! `deploymentConfiguration` and `healthCheckGracePeriodSeconds`; ELBv2 `ForwardConfig` (moto
//! returns forward actions in the short form only).

// The skip notice is the one thing these tests print.
#![allow(clippy::print_stdout)]

use aws_config::BehaviorVersion;
use ecs2eks::import::aws::{self, Options, Snapshot};
use ecs2eks::inventory::Inventory;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

fn endpoint() -> Option<String> {
    match std::env::var("ECS2EKS_MOTO_ENDPOINT") {
        Ok(url) if !url.trim().is_empty() => Some(url.trim().to_string()),
        _ => {
            // CI always starts moto (scripts/test.sh); a missing endpoint there is a failure.
            assert!(
                std::env::var_os("CI").is_none(),
                "CI: ECS2EKS_MOTO_ENDPOINT is not set"
            );
            println!(
                "SKIPPED: ECS2EKS_MOTO_ENDPOINT is not set; start moto with `.ci/moto.sh start` and \
                 export ECS2EKS_MOTO_ENDPOINT=$(cat target/moto.url)"
            );
            None
        }
    }
}

fn python() -> String {
    std::env::var("ECS2EKS_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Seeds `scenario` and returns the folder of the CLI-shaped dump.
fn seed(endpoint: &str, scenario: &str) -> tempfile::TempDir {
    let dump = tempfile::tempdir().unwrap();
    let status = Command::new(python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/moto/seed.py"))
        .args(["--endpoint", endpoint, "--scenario", scenario, "--dump"])
        .arg(dump.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dump.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .status()
        .expect("python3 with boto3 (pip install 'moto[server]')");
    assert!(status.success(), "seeding moto failed");
    dump
}

const MAIN_INVENTORY: &str = r#"
accounts:
  - {id: "123456789012", name: shop-dev, environment: dev, regions: [eu-west-1, us-east-1]}
  - {id: "210987654321", name: payments-prod, environment: prod, regions: [eu-west-1],
     assumeRoleArn: "arn:aws:iam::210987654321:role/ecs2eks-reader"}
"#;

fn options(endpoint: &str) -> Options {
    Options {
        endpoint_url: Some(endpoint.to_string()),
        concurrency: 4,
        attempt_timeout: Duration::from_secs(10),
        max_attempts: 2,
        ..Options::default()
    }
}

/// A hermetic import: static test credentials, explicit region, no environment.
fn import(inventory: &str, options: &Options) -> Snapshot {
    let inventory = Inventory::parse("inventory.yaml", inventory).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let base = aws::config_loader(options)
            .empty_test_environment()
            .behavior_version(BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-1"))
            .credentials_provider(aws_sdk_ecs::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await;
        aws::run_with_config(&inventory, options, &base)
            .await
            .expect("static test credentials")
    })
}

/// Drops what the import leaves out (volatile state) and timestamps (the CLI prints
/// `+00:00`, the import `Z`), then sorts keys and tags as the import does.
fn normalise(v: Value) -> Value {
    const LEFT_OUT: &[&str] = &[
        // ECS state
        "runningCount",
        "pendingCount",
        "events",
        "deployments",
        "taskSets",
        "createdAt",
        "registeredAt",
        "deregisteredAt",
        // IAM, scaling, EventBridge state
        "RoleLastUsed",
        "AttachmentCount",
        "PermissionsBoundaryUsageCount",
        "CreationTime",
        "CreatedBy",
        "CreationDate",
        "LastModificationDate",
        // timestamps, compared apart
        "CreatedTime",
        "CreateDate",
        "UpdateDate",
        // Cloud Map counts
        "ServiceCount",
        "InstanceCount",
    ];
    fn drop(v: Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.into_iter()
                    .filter(|(k, _)| !LEFT_OUT.contains(&k.as_str()))
                    .map(|(k, v)| (k, drop(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.into_iter().map(drop).collect()),
            other => other,
        }
    }
    aws::json::canonical(drop(v))
}

fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    walk(dir, dir, &mut out);
    out
}

fn write_tree(dir: &Path, files: &BTreeMap<String, String>) {
    for (rel, content) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

/// `convert` (library) on a folder: the Kubernetes YAML stream and the input errors.
fn convert(dir: &Path, inventory: &str) -> (String, Vec<String>) {
    let inventory = Inventory::parse("inventory.yaml", inventory).unwrap();
    let mappings = ecs2eks::mappings::Mappings::defaults();
    let c = ecs2eks::convert(&[PathBuf::from(dir)], &mappings, Some(&inventory)).unwrap();
    let errors = c.conversion.errors.iter().map(|e| e.to_string()).collect();
    (
        ecs2eks::export::stream::render(&c.conversion, &c.objects, &mappings),
        errors,
    )
}

/// The actions of the read-only policy in docs/import.md (its first JSON block with a
/// `Statement`).
fn documented_policy_actions() -> Vec<String> {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/import.md"))
        .unwrap();
    let policy = doc
        .split("```json")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .filter_map(|block| serde_json::from_str::<Value>(block).ok())
        .find(|v| v.get("Statement").is_some())
        .expect("docs/import.md holds the policy");
    policy["Statement"][0]["Action"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn import_matches_the_cli_and_converts_the_same() {
    let Some(endpoint) = endpoint() else { return };
    let dump = seed(&endpoint, "main");
    let options = options(&endpoint);
    let snapshot = import(MAIN_INVENTORY, &options);
    assert!(
        !snapshot.report.failed(),
        "failures: {:?}",
        snapshot.report.failures
    );

    // File by file, the snapshot holds what the AWS CLI prints (volatile fields left out).
    let expected = read_tree(dump.path());
    let got: Vec<&String> = snapshot.files.keys().collect();
    assert_eq!(got, expected.keys().collect::<Vec<_>>());
    for (rel, text) in &expected {
        let want = normalise(serde_json::from_str(text).unwrap());
        let mut have = normalise(serde_json::from_str(&snapshot.files[rel]).unwrap());
        // moto leaves out `enableECSManagedTags` and `enableExecuteCommand`, which AWS always
        // returns; the SDK models them as plain booleans, so an absent one reads as false.
        for s in have
            .get_mut("services")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            for k in ["enableECSManagedTags", "enableExecuteCommand"] {
                if s.get(k) == Some(&Value::Bool(false)) {
                    s.as_object_mut().unwrap().shift_remove(k);
                }
            }
        }
        // The import names each Cloud Map service's namespace (as get-service does), which
        // list-services prints only in DnsConfig.
        for s in (have.get_mut("Services").and_then(Value::as_array_mut))
            .into_iter()
            .flatten()
        {
            let named = s.as_object_mut().unwrap().shift_remove("NamespaceId");
            assert_eq!(named.as_ref(), s.pointer("/DnsConfig/NamespaceId"), "{rel}");
        }
        assert_eq!(have, want, "{rel} differs from the AWS CLI's output");
    }
    // Cloud Map: the namespace and the service api-00 registers in, read where a service uses it.
    let sd = "123456789012/eu-west-1/servicediscovery";
    assert!(snapshot.files[&format!("{sd}/list-namespaces.json")].contains("\"shop.internal\""));
    assert!(snapshot.files[&format!("{sd}/list-services.json")].contains("\"NamespaceId\": \"ns-"));

    // What the files hold: secrets, health checks, tags (sorted), no volatile state.
    let web = &snapshot.files["123456789012/eu-west-1/ecs/task-definitions/web-2.json"];
    assert!(web.contains("\"valueFrom\": \"arn:aws:secretsmanager:eu-west-1:123456789012:secret:web/db-AbCdEf:password::\""));
    assert!(web.contains("\"startPeriod\": 20"));
    assert!(!web.contains("registeredAt"));
    let shop = &snapshot.files["123456789012/eu-west-1/ecs/shop/describe-services.json"];
    assert!(!shop.contains("runningCount") && !shop.contains("\"events\""));
    let v: Value = serde_json::from_str(shop).unwrap();
    assert_eq!(v["services"].as_array().unwrap().len(), 12);
    assert_eq!(v["services"][0]["tags"][0]["key"], "env");

    // Batching: services described 10 at a time, each task definition once.
    let calls = &snapshot.report.calls;
    let n = |k: &str| calls.get(k).map_or(0, |c| c.calls);
    // shop: 12 services → 2 calls; batch, edge, payments: 1 each.
    assert_eq!(n("ecs:DescribeServices"), 2 + 1 + 1 + 1, "{calls:?}");
    // web:1, web:2, worker:1 (used in two clusters), api:1, edge:1, payments:1, ledger:1.
    assert_eq!(n("ecs:DescribeTaskDefinition"), 7, "{calls:?}");
    assert_eq!(n("ecs:ListClusters"), 3, "one per account and region");
    assert_eq!(n("ecs:ListServices"), 4, "one per cluster");
    // Two target groups in one call; the managed policy two roles attach, read once.
    assert_eq!(n("elasticloadbalancing:DescribeTargetGroups"), 1);
    assert_eq!(n("elasticloadbalancing:DescribeRules"), 1);
    assert_eq!(n("iam:GetPolicy"), 1);
    assert_eq!(n("iam:GetPolicyVersion"), 1);
    // Eight roles named (web, api, worker, edge, execution; payments, ledger, execution), three
    // exist; the others are listed as missing, not failures.
    assert_eq!(n("iam:GetRole"), 8);
    let global = |account: &str| {
        snapshot
            .report
            .units
            .iter()
            .find(|u| u.account == account && u.region == aws::GLOBAL)
            .unwrap()
    };
    assert_eq!(global("123456789012").roles, 3);
    assert_eq!(
        global("123456789012").missing_roles,
        ["edge-task", "worker-task"]
    );
    assert_eq!(n("scheduler:ListSchedules"), 3);
    // Only the unit whose service registers in Cloud Map: one namespace, listed once.
    assert_eq!(n("servicediscovery:ListNamespaces"), 1);
    assert_eq!(n("servicediscovery:ListServices"), 1);
    assert_eq!(n("scheduler:GetSchedule"), 1);
    assert_eq!(n("sts:AssumeRole"), 1);
    // Only for the ambient credentials: an assumed role's ARN names its account.
    assert_eq!(n("sts:GetCallerIdentity"), 1);
    // Policies and scheduled actions only where a service has a scalable target.
    assert_eq!(n("application-autoscaling:DescribeScalableTargets"), 3);
    assert_eq!(n("application-autoscaling:DescribeScalingPolicies"), 1);
    let mutating: Vec<_> = calls
        .keys()
        .filter(|k| {
            let op = k.split(':').nth(1).unwrap_or("");
            !["Describe", "List", "Get"]
                .iter()
                .any(|p| op.starts_with(p))
                && k.as_str() != "sts:AssumeRole"
        })
        .collect();
    assert!(
        mutating.is_empty(),
        "calls that are not reads: {mutating:?}"
    );
    // docs/import.md's read-only policy allows every call made (GetCallerIdentity needs none;
    // AssumeRole is the caller's permission, not the role's).
    let policy = documented_policy_actions();
    let undocumented: Vec<_> = calls
        .keys()
        .filter(|k| !k.starts_with("sts:") && !policy.contains(*k))
        .collect();
    assert!(
        undocumented.is_empty(),
        "not in docs/import.md: {undocumented:?}"
    );

    // Stable: a second import of the unchanged accounts is byte-identical.
    let again = import(MAIN_INVENTORY, &options);
    assert_eq!(again.files, snapshot.files);

    // convert on the snapshot = convert on the CLI's files (and skips the report).
    let snap_dir = tempfile::tempdir().unwrap();
    write_tree(snap_dir.path(), &snapshot.files);
    std::fs::write(
        snap_dir.path().join(aws::REPORT_FILE),
        aws::report_json(&snapshot.report),
    )
    .unwrap();
    let (from_import, import_errors) = convert(snap_dir.path(), MAIN_INVENTORY);
    let (from_cli, cli_errors) = convert(dump.path(), MAIN_INVENTORY);
    // Shapes this build of convert does not read yet (ELBv2, IAM, … come with their importers)
    // fail alike on both sides; nothing else may fail.
    // (the files that failed; messages name the keys in file order, which the import sorts)
    let relative = |errors: Vec<String>, dir: &Path| -> Vec<String> {
        let prefix = format!("{}/", dir.display());
        errors
            .iter()
            .map(|e| {
                let e = e.replace(&prefix, "");
                match e.split_once(": not an AWS output") {
                    Some((file, _)) => format!("{file}: not an AWS output ecs2eks knows"),
                    None => e,
                }
            })
            .collect()
    };
    let import_errors = relative(import_errors, snap_dir.path());
    assert_eq!(import_errors, relative(cli_errors, dump.path()));
    for e in &import_errors {
        assert!(
            !e.contains("/ecs/") && e.contains("not an AWS output ecs2eks knows"),
            "{e}"
        );
    }
    assert!(from_import.contains("kind: Deployment"));
    assert_eq!(from_import, from_cli);
    // web calls api by its Cloud Map name: it calls api-00's Service now.
    assert!(
        from_import.contains("value: http://api-00.api-00-dev.svc.cluster.local:8080/v1"),
        "{from_import}"
    );

    // --cluster: only that cluster (by name) is described.
    let only_batch = import(
        MAIN_INVENTORY,
        &Options {
            clusters: vec!["batch".into()],
            regions: vec!["eu-west-1".into()],
            ..options.clone()
        },
    );
    let ecs: Vec<&String> = only_batch
        .files
        .keys()
        .filter(|k| k.contains("/ecs/"))
        .collect();
    assert_eq!(
        ecs,
        [
            "123456789012/eu-west-1/ecs/batch/describe-services.json",
            "123456789012/eu-west-1/ecs/task-definitions/worker-1.json",
        ]
    );
    assert_eq!(only_batch.report.calls["ecs:DescribeServices"].calls, 1);

    // --keep-volatile keeps the state the snapshot leaves out by default.
    let volatile = import(
        MAIN_INVENTORY,
        &Options {
            clusters: vec!["batch".into()],
            regions: vec!["eu-west-1".into()],
            keep_volatile: true,
            ..options.clone()
        },
    );
    let batch = &volatile.files["123456789012/eu-west-1/ecs/batch/describe-services.json"];
    assert!(batch.contains("\"runningCount\"") && batch.contains("\"deployments\""));
    // (moto sends no `registeredAt` for task definitions, so there is none to keep.)
}

#[test]
fn one_failing_account_or_region_does_not_stop_the_others() {
    let Some(endpoint) = endpoint() else { return };
    let _dump = seed(&endpoint, "fault");
    // 310000000001: readable in eu-west-1; xx-nowhere-1 is a region moto answers 500 for.
    // 310000000002: no role, and the ambient credentials are another account's.
    let inventory = r#"
accounts:
  - {id: "310000000001", environment: dev, regions: [eu-west-1, xx-nowhere-1],
     assumeRoleArn: "arn:aws:iam::310000000001:role/ecs2eks-reader"}
  - {id: "310000000002", environment: prod, regions: [eu-west-1]}
"#;
    let snapshot = import(inventory, &options(&endpoint));
    let report = &snapshot.report;
    let status: Vec<(&str, &str, &str)> = report
        .units
        .iter()
        .map(|u| (u.account.as_str(), u.region.as_str(), u.status.as_str()))
        .collect();
    assert_eq!(
        status,
        [
            ("310000000001", "eu-west-1", "read"),
            ("310000000001", "xx-nowhere-1", "failed"),
            // IAM, once per account: the task roles do not exist (listed, not a failure).
            ("310000000001", "global", "read"),
            ("310000000002", "eu-west-1", "failed"),
            ("310000000002", "global", "failed"),
        ]
    );
    assert_eq!(report.failures.len(), 2, "{:?}", report.failures);
    // moto answers an unknown region with an HTML page and HTTP 500.
    let region_failure = &report.failures[0];
    let call = region_failure.call().unwrap();
    assert_eq!(call.region.as_deref(), Some("xx-nowhere-1"));
    assert_eq!(call.action, "ecs:ListClusters");
    assert_eq!((call.service(), call.operation()), ("ecs", "ListClusters"));
    assert_eq!(region_failure.kind(), "unavailable");
    assert_eq!(region_failure.http_status(), Some(500));
    let account_failure = &report.failures[1];
    assert_eq!(account_failure.account(), "310000000002");
    assert_eq!(account_failure.kind(), "wrongAccount");
    assert_eq!(
        account_failure.call().unwrap().action,
        "sts:GetCallerIdentity"
    );
    assert_eq!(
        account_failure.to_string(),
        "310000000002: sts:GetCallerIdentity: the credentials belong to account 123456789012, \
         not 310000000002; set assumeRoleArn for this account or use a profile of it"
    );
    assert!(
        snapshot
            .files
            .contains_key("310000000001/eu-west-1/ecs/ok/describe-services.json")
    );
    assert!(!snapshot.files.keys().any(|k| k.contains("xx-nowhere-1")));
    // Retried (max_attempts = 2) before giving up.
    let list = report.calls["ecs:ListClusters"];
    assert!(list.requests > list.calls, "{list:?}");
}

/// The binary: exit code 1 when anything failed, files of a failed unit kept from the previous
/// import, the report written, a hermetic environment.
#[test]
fn the_command_writes_the_snapshot_and_exits_1_on_failures() {
    let Some(endpoint) = endpoint() else { return };
    let _dump = seed(&endpoint, "cli");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("snapshot");
    let run = |inventory: &str| {
        let inv = dir.path().join("inventory.yaml");
        std::fs::write(&inv, inventory).unwrap();
        Command::new(env!("CARGO_BIN_EXE_ecs2eks"))
            .args(["import", "--inventory"])
            .arg(&inv)
            .arg("--out")
            .arg(&out)
            .args([
                "--endpoint-url",
                &endpoint,
                "--concurrency",
                "2",
                "--timeout",
                "10",
                "--max-attempts",
                "2",
            ])
            .env_clear()
            .env("HOME", dir.path())
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_REGION", "eu-west-1")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .unwrap()
    };
    let good = r#"
accounts:
  - {id: "310000000011", environment: dev, regions: [eu-west-1],
     assumeRoleArn: "arn:aws:iam::310000000011:role/ecs2eks-reader"}
"#;
    let first = run(good);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let services = out.join("310000000011/eu-west-1/ecs/ok/describe-services.json");
    assert!(services.exists());
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("import-report.json")).unwrap())
            .unwrap();
    assert_eq!(report["units"][0]["status"], "read");

    // The role now cannot be assumed in a way moto accepts: the account's unit fails, and its
    // files of the first import stay.
    let broken = good.replace(
        "arn:aws:iam::310000000011:role/ecs2eks-reader",
        "arn:aws:iam::310000000009:role/ecs2eks-reader",
    );
    let second = run(&broken);
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("sts:AssumeRole") && stderr.contains("310000000009"),
        "{stderr}"
    );
    assert!(services.exists(), "files of the failed unit were removed");
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("import-report.json")).unwrap())
            .unwrap();
    assert_eq!(report["units"][0]["status"], "failed");
    assert!(
        !report["units"][0]["keptFromPreviousImport"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

/// What a proxy in front of moto answers instead of moto: for the first `times` requests of one
/// operation (by its `X-Amz-Target`), in one region (by the signature's scope) or in all.
struct Fault {
    target: &'static str,
    region: Option<&'static str>,
    times: usize,
    /// `400 Bad Request`, and the JSON body.
    status: &'static str,
    body: &'static str,
}

/// A proxy in front of moto that answers `fault` and forwards everything else. Its answers carry
/// what changes from one request to the next in real AWS answers: a request id and a date.
fn fault_proxy(upstream: &str, fault: Fault) -> String {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let upstream = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let faulted = Arc::new(AtomicUsize::new(0));
    let fault = Arc::new(fault);
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(mut client) = client else { continue };
            let (upstream, faulted, fault) = (upstream.clone(), faulted.clone(), fault.clone());
            std::thread::spawn(move || {
                // One request per connection: read head and body, answer, close.
                let mut buf = Vec::new();
                let mut chunk = [0u8; 8192];
                let head_end = loop {
                    let n = client.read(&mut chunk).unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let header = |name: &str| {
                    head.lines()
                        .find(|l| l.to_ascii_lowercase().starts_with(&format!("{name}:")))
                        .map(|l| l.split_once(':').unwrap().1.trim().to_string())
                };
                let length: usize = header("content-length")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    let n = client.read(&mut chunk).unwrap_or(0);
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                let in_region = fault.region.is_none_or(|r| {
                    header("authorization").is_some_and(|a| a.contains(&format!("/{r}/")))
                });
                if header("x-amz-target").as_deref() == Some(fault.target)
                    && in_region
                    && faulted.fetch_add(1, Ordering::SeqCst) < fault.times
                {
                    let now = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap();
                    let _ = write!(
                        client,
                        "HTTP/1.1 {}\r\nContent-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: {}-{}\r\nDate: {}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                        fault.status,
                        faulted.load(Ordering::SeqCst),
                        now.subsec_nanos(),
                        now.as_secs(),
                        fault.body.len(),
                        fault.body
                    );
                    return;
                }
                // Forward with `Connection: close`, relay the answer until upstream closes.
                let head: String = head
                    .split("\r\n")
                    .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
                    .collect::<Vec<_>>()
                    .join("\r\n");
                let head = head.trim_end().to_string() + "\r\nConnection: close\r\n\r\n";
                let Ok(mut up) = TcpStream::connect(&upstream) else {
                    return;
                };
                let _ = up.write_all(head.as_bytes());
                let _ = up.write_all(&buf[head_end..]);
                let mut answer = Vec::new();
                let _ = up.read_to_end(&mut answer);
                let _ = client.write_all(&answer);
            });
        }
    });
    url
}

#[test]
fn throttling_is_retried_with_backoff() {
    let Some(endpoint) = endpoint() else { return };
    let _dump = seed(&endpoint, "throttle");
    let proxy = fault_proxy(
        &endpoint,
        Fault {
            target: "AmazonEC2ContainerServiceV20141113.ListClusters",
            region: None,
            times: 2,
            status: "400 Bad Request",
            body: r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        },
    );
    let inventory = r#"
accounts:
  - {id: "310000000021", environment: dev, regions: [eu-west-1],
     assumeRoleArn: "arn:aws:iam::310000000021:role/ecs2eks-reader"}
"#;
    let options = Options {
        max_attempts: 5,
        ..options(&proxy)
    };
    let snapshot = import(inventory, &options);
    assert!(!snapshot.report.failed(), "{:?}", snapshot.report.failures);
    let list = snapshot.report.calls["ecs:ListClusters"];
    assert_eq!(
        (list.calls, list.requests),
        (1, 3),
        "two throttled, then read"
    );
    assert!(
        snapshot
            .files
            .contains_key("310000000021/eu-west-1/ecs/ok/describe-services.json")
    );
}

#[test]
fn inventory_init_drafts_the_organization_with_marked_guesses() {
    let Some(endpoint) = endpoint() else { return };
    let _ = seed(&endpoint, "organization");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("inventory.yaml");
    let run = Command::new(env!("CARGO_BIN_EXE_ecs2eks"))
        .args(["inventory", "init", "--out"])
        .arg(&out)
        .args(["--role-name", "ecs2eks-reader", "--endpoint-url", &endpoint])
        .env_clear()
        .env("HOME", dir.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        // No region: the Organizations endpoint's (us-east-1) is taken.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let text = std::fs::read_to_string(&out).unwrap();
    let inventory = Inventory::parse("inventory.yaml", &text).unwrap();
    let env_of = |name: &str| {
        inventory
            .accounts
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
            .map(|a| a.environment.clone())
    };
    assert_eq!(env_of("shop-dev").as_deref(), Some("dev"));
    assert_eq!(env_of("shop-prod").as_deref(), Some("prod"));
    assert_eq!(env_of("payments-staging").as_deref(), Some("stg"));
    assert_eq!(env_of("log archive").as_deref(), Some("unknown"));
    let line = text.lines().find(|l| l.contains("shop-prod")).unwrap();
    assert!(line.contains("# GUESSED"), "{line}");
    assert!(line.contains(":role/ecs2eks-reader"), "{line}");
    // A second run does not overwrite the draft people may have edited.
    let again = Command::new(env!("CARGO_BIN_EXE_ecs2eks"))
        .args(["inventory", "init", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
}

/// The binary in an emptied environment: HOME is `home` (none of this machine's ~/.aws), no
/// AWS_* variable but those the test sets, no instance metadata.
fn hermetic(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ecs2eks"));
    command
        .env_clear()
        .env("HOME", home)
        .env("AWS_EC2_METADATA_DISABLED", "true");
    command
}

/// An inventory of one account in `dir`.
fn one_account_inventory(dir: &Path) -> PathBuf {
    let path = dir.join("inventory.yaml");
    std::fs::write(
        &path,
        "accounts:\n  - {id: \"123456789012\", environment: dev, regions: [eu-west-1]}\n",
    )
    .unwrap();
    path
}

/// A local port nothing listens on: calls to it are refused.
fn refusing_endpoint() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Imports `inventory` twice with the static test keys (`args` added), into `<home>/first` and
/// `<home>/second`; both fail, and their reports are byte-identical. The first run's output, and
/// its report.
fn import_twice(home: &Path, inventory: &Path, args: &[&str]) -> (std::process::Output, String) {
    let import = |out: &str| {
        hermetic(home)
            .args(["import", "--inventory"])
            .arg(inventory)
            .arg("--out")
            .arg(home.join(out))
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .output()
            .unwrap()
    };
    let (first, second) = (import("first"), import("second"));
    for run in [&first, &second] {
        assert_eq!(run.status.code(), Some(1), "{}", stderr(run));
    }
    let report =
        |out: &str| std::fs::read_to_string(home.join(out).join(aws::REPORT_FILE)).unwrap();
    let text = report("first");
    assert_eq!(
        text,
        report("second"),
        "two imports of the same failing account write the same report"
    );
    (first, text)
}

/// Without credentials the import stops before any call, with one line and nothing written;
/// a profile that does not exist is named. (No moto: nothing is sent.)
#[test]
fn no_credentials_is_one_line_that_says_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let inventory = one_account_inventory(home.path());
    let out = home.path().join("snapshot");
    let endpoint = refusing_endpoint();
    let import = |profile: Option<&str>| {
        let mut command = hermetic(home.path());
        command
            .args(["import", "--inventory"])
            .arg(&inventory)
            .arg("--out")
            .arg(&out)
            .args(["--endpoint-url", &endpoint]);
        if let Some(p) = profile {
            command.env("AWS_PROFILE", p);
        }
        command.output().unwrap()
    };
    let none = import(None);
    assert_eq!(none.status.code(), Some(1));
    assert_eq!(
        stderr(&none),
        "error: no AWS credentials found; run `aws sso login` or set AWS_PROFILE\n"
    );
    assert!(!out.exists(), "nothing is written without credentials");

    // A config file with other profiles: the one asked for is not among them.
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[default]\nregion = eu-west-1\n\n[profile other]\nregion = eu-west-1\n",
    )
    .unwrap();
    let nosuch = import(Some("nosuch"));
    assert_eq!(nosuch.status.code(), Some(1));
    assert_eq!(
        stderr(&nosuch),
        "error: no AWS credentials found (profile `nosuch` is not in ~/.aws/config); run `aws sso \
         login` or set AWS_PROFILE\n"
    );

    let init = hermetic(home.path())
        .args(["inventory", "init", "--out"])
        .arg(home.path().join("draft.yaml"))
        .args(["--endpoint-url", &endpoint])
        .output()
        .unwrap();
    assert_eq!(init.status.code(), Some(1));
    assert_eq!(
        stderr(&init),
        "error: no AWS credentials found; run `aws sso login` or set AWS_PROFILE\n"
    );
}

/// An endpoint that refuses: one line (endpoint, cause, what to do), the same in two imports.
/// (No moto: the port is closed.)
#[test]
fn an_endpoint_that_refuses_is_one_stable_line() {
    let home = tempfile::tempdir().unwrap();
    let inventory = one_account_inventory(home.path());
    let endpoint = refusing_endpoint();
    let (run, report) = import_twice(
        home.path(),
        &inventory,
        &["--endpoint-url", &endpoint, "--max-attempts", "1"],
    );
    let report: Value = serde_json::from_str(&report).unwrap();
    let failure = &report["failures"][0];
    let line = format!(
        "123456789012: sts:GetCallerIdentity: cannot reach {endpoint} (connection refused), still \
         after retries; check the endpoint URL or your network"
    );
    assert_eq!(failure["message"], line.as_str());
    assert_eq!(failure["kind"], "unreachable");
    assert_eq!(failure["operation"], "sts:GetCallerIdentity");
    assert!(
        stderr(&run).contains(&format!("error: {line}\n")),
        "{}",
        stderr(&run)
    );
}

/// `--help` says whose credentials are used, which permissions they need, and where to read more.
#[test]
fn help_says_how_credentials_are_picked_and_what_they_need() {
    let home = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| {
        let run = hermetic(home.path()).args(args).output().unwrap();
        assert!(run.status.success());
        String::from_utf8(run.stdout).unwrap()
    };
    let import = help(&["import", "--help"]);
    for expected in [
        "standard AWS credential chain",
        "AWS_PROFILE",
        "assumeRoleArn",
        "sts:AssumeRole",
        "ecs:ListClusters",
        "iam:GetPolicyVersion",
        "No secret value is read",
        "docs/import.md",
    ] {
        assert!(import.contains(expected), "{expected:?} not in:\n{import}");
    }
    let init = help(&["inventory", "init", "--help"]);
    for expected in [
        "standard AWS credential chain",
        "organizations:ListAccounts",
        "us-east-1",
        "docs/import.md",
    ] {
        assert!(init.contains(expected), "{expected:?} not in:\n{init}");
    }
}

/// Two imports of an account whose calls are denied in one region, and that moto answers HTTP 500
/// for in another, write byte-identical reports, though every error answer carries a new date and
/// request id; each failure is one line with the status, the code and what to do.
#[test]
fn two_imports_of_a_failing_account_write_the_same_report() {
    let Some(endpoint) = endpoint() else { return };
    let _dump = seed(&endpoint, "denied");
    let proxy = fault_proxy(
        &endpoint,
        Fault {
            target: "AmazonEC2ContainerServiceV20141113.ListServices",
            region: Some("eu-west-1"),
            times: usize::MAX,
            status: "400 Bad Request",
            body: r#"{"__type":"AccessDeniedException","message":"User: arn:aws:sts::310000000031:assumed-role/ecs2eks-reader/ecs2eks-import is not authorized to perform: ecs:ListServices on resource: * because no identity-based policy allows the ecs:ListServices action"}"#,
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.yaml");
    std::fs::write(
        &inventory,
        r#"
accounts:
  - {id: "310000000031", environment: dev, regions: [eu-west-1, us-east-1, xx-nowhere-1],
     assumeRoleArn: "arn:aws:iam::310000000031:role/ecs2eks-reader"}
"#,
    )
    .unwrap();
    let (run, report) = import_twice(
        dir.path(),
        &inventory,
        &[
            "--endpoint-url",
            &proxy,
            "--max-attempts",
            "2",
            "--timeout",
            "10",
        ],
    );
    let report: Value = serde_json::from_str(&report).unwrap();
    let status: Vec<(&str, &str)> = report["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["region"].as_str().unwrap(), u["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("eu-west-1", "failed"),
            ("us-east-1", "read"),
            ("xx-nowhere-1", "failed"),
            ("global", "read"),
        ]
    );
    let failures = report["failures"].as_array().unwrap();
    let denied = &failures[0];
    assert_eq!(
        (&denied["kind"], &denied["httpStatus"], &denied["errorCode"]),
        (
            &Value::from("accessDenied"),
            &Value::from(400),
            &Value::from("AccessDeniedException")
        )
    );
    assert_eq!(
        denied["message"],
        "310000000031 eu-west-1: ecs:ListServices (cluster ok): access denied (HTTP 400 \
         AccessDeniedException: User: arn:aws:sts::310000000031:assumed-role/ecs2eks-reader/\
         ecs2eks-import is not authorized to perform: ecs:ListServices on resource: * because no \
         identity-based policy allows the ecs:ListServices action); grant ecs:ListServices to the \
         role ecs2eks assumes, arn:aws:iam::310000000031:role/ecs2eks-reader (docs/import.md has \
         the read-only policy)"
    );
    assert_eq!(
        failures[1]["message"],
        format!(
            "310000000031 xx-nowhere-1: ecs:ListClusters: the service failed (HTTP 500), still \
             after retries; try again later, or check that {proxy} is an AWS API endpoint"
        )
    );
    // stderr: the same lines, one per failure.
    let printed = stderr(&run);
    let errors: Vec<&str> = printed
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .collect();
    let messages: Vec<&str> = failures
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(errors, messages);
}
