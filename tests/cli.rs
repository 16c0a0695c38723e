//! The command line contract: exit codes, bad inputs, stdout stream, and how `--out` treats an
//! existing checkout.

use crate::common::*;
use serde::Deserialize;

#[test]
fn bad_inputs_are_named_with_their_json_path_and_the_rest_converts() {
    let run = ecs2eks(&["convert", "tests/fixtures/bad-input"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("name: bad-input-survivor"),
        "the good file is still converted"
    );
    for expected in [
        "tests/fixtures/bad-input/syntax-error.json:8:5: invalid JSON",
        "tests/fixtures/bad-input/empty.json: the file is empty",
        "tests/fixtures/bad-input/binary.json: not a text file",
        "tests/fixtures/bad-input/not-aws.json: not an AWS output",
        "tests/fixtures/bad-input/wrong-type.json: at `containerDefinitions[0].portMappings[0].containerPort`",
        "tests/fixtures/bad-input/missing-required.json: at `containerDefinitions[0].name`",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stderr
        );
    }
    let shown = format!("exit code: {}\n--- stderr\n{}", run.code, run.stderr);
    settings().bind(|| insta::assert_snapshot!("bad-input.cli", shown));
}

#[test]
fn bad_input_leaves_no_half_written_repository() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let run = ecs2eks(&["convert", "tests/fixtures/bad-input", "--out", dir]);
    assert_eq!(run.code, 1);
    let report = std::fs::read_to_string(out.path().join("migration-report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["errors"].as_array().unwrap().len(), 6);
    assert_eq!(report["services"][0]["name"], "bad-input-survivor");
    let leftovers: Vec<_> = walk(out.path())
        .into_iter()
        .filter(|p| p.contains("ecs2eks-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.path().is_dir() {
            out.extend(walk(&e.path()));
        } else {
            out.push(e.path().display().to_string());
        }
    }
    out
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(ecs2eks(&["convert"]).code, 2);
    assert_eq!(ecs2eks(&["convert", "samples", "--no-such-flag"]).code, 2);
    // A path that cannot be read is an input error (exit 1), like any unreadable input.
    assert_eq!(ecs2eks(&["convert", "no/such/dir"]).code, 1);
    let run = ecs2eks(&[
        "convert",
        "samples/fargate-web",
        "--mappings",
        "tests/fixtures/mappings/typo.yaml",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("names.namespce"), "{}", run.stderr);
    let run = ecs2eks(&[
        "convert",
        "samples/fargate-web",
        "--inventory",
        "tests/fixtures/mappings/typo.yaml",
    ]);
    assert_eq!(run.code, 2);
}

#[test]
fn warnings_fail_the_run_only_when_asked() {
    let args = [
        "convert",
        "samples/fargate-web",
        "--inventory",
        "samples/inventory.yaml",
        "-q",
    ];
    assert_eq!(ecs2eks(&args).code, 0);
    let mut strict = args.to_vec();
    strict.push("--fail-on-warnings");
    assert_eq!(ecs2eks(&strict).code, 1);
}

/// A pipe (`<(aws ecs describe-task-definition …)`) can be read only once: its task definition
/// is kept whole, not read again, and converts as the same file does.
#[test]
fn a_task_definition_from_a_pipe_converts_as_from_a_file() {
    let file = "samples/fargate-web/describe-task-definition.json";
    let from_file = ecs2eks(&["convert", file]);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecs2eks"))
        .args(["convert", "/dev/stdin"])
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(root().join(file)).unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("E2K163"), "{stderr}");
    assert_eq!(out.status.code(), Some(from_file.code), "{stderr}");
    assert!(from_file.stdout.contains("kind: Deployment"));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), from_file.stdout);
    assert_eq!(stderr, from_file.stderr.replace(file, "/dev/stdin"));
}

#[test]
fn stdout_is_a_yaml_stream_of_valid_documents_with_namespaces() {
    let run = ecs2eks(&["convert", "samples/ec2-worker-sidecars", "-q"]);
    assert_eq!(run.code, 0);
    let docs: Vec<serde_json::Value> = run
        .stdout
        .split("\n---\n")
        .map(|d| serde_norway::from_str(d).unwrap())
        .collect();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    // Run once per service, the stream holds nothing cluster-scoped but its Namespace: its secret
    // store is the namespace's own (issue 20), not a ClusterSecretStore that the next service's
    // apply would replace with one that lets only that service's namespace read.
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "SecretStore",
            "ExternalSecret",
            "Service",
            "Deployment",
            "PodDisruptionBudget"
        ]
    );
    for d in &docs[1..] {
        assert_eq!(d["metadata"]["namespace"], "inventory-sync-worker-default");
    }
    assert!(!run.stdout.contains("hostPort"));
    // The mappings can still ask for the shared store.
    let mappings = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        mappings.path(),
        "externalSecrets:\n  storeKind: ClusterSecretStore\n",
    )
    .unwrap();
    let m = mappings.path().to_str().unwrap();
    let shared = ecs2eks(&[
        "convert",
        "samples/ec2-worker-sidecars",
        "-q",
        "--mappings",
        m,
    ]);
    assert!(
        shared
            .stdout
            .starts_with("apiVersion: external-secrets.io/v1\nkind: ClusterSecretStore\n")
    );
}

#[test]
fn rerun_keeps_foreign_files_and_removes_what_is_gone() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    std::fs::create_dir_all(out.path().join("apps")).unwrap();
    std::fs::write(out.path().join("apps/NOTES.md"), "ours, not the tool's").unwrap();
    let inv = ["--inventory", "samples/inventory.yaml", "-q", "--out", dir];
    let first = ecs2eks(
        &[
            &["convert", "samples/fargate-web", "samples/secrets"][..],
            &inv[..],
        ]
        .concat(),
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(
        out.path()
            .join("apps/billing-api/base/deployment.yaml")
            .exists()
    );
    let second = ecs2eks(&[&["convert", "samples/fargate-web"][..], &inv[..]].concat());
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        !out.path().join("apps/billing-api").exists(),
        "a service gone from the input is removed"
    );
    assert!(
        out.path()
            .join("apps/customer-portal/base/deployment.yaml")
            .exists()
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("apps/NOTES.md")).unwrap(),
        "ours, not the tool's"
    );
}

#[test]
fn refuses_to_overwrite_a_file_it_did_not_write() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    std::fs::write(out.path().join("MIGRATION_REPORT.md"), "hand-written").unwrap();
    let run = ecs2eks(&["convert", "samples/fargate-web", "-q", "--out", dir]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("was not written by ecs2eks"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(out.path().join("MIGRATION_REPORT.md")).unwrap(),
        "hand-written"
    );
    assert!(
        !out.path().join("apps").exists(),
        "nothing is written when one file conflicts"
    );
}

/// `--check` exits 2 on a usage error, 1 on a diff or a failed input, and 0 otherwise; it heeds
/// `--fail-on-warnings` as a plain run does.
#[test]
fn check_fails_on_a_failed_input_and_on_warnings_when_asked() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let bad = ["convert", "tests/fixtures/bad-input", "-q", "--out", dir];
    assert_eq!(ecs2eks(&bad).code, 1);
    // The repository is what the inputs give, but an input failed.
    let check = ecs2eks(&[&bad[..], &["--check"]].concat());
    assert!(check.stdout.is_empty(), "{}", check.stdout);
    assert_eq!(check.code, 1, "{}", check.stderr);
    assert!(check.stderr.contains("is up to date"), "{}", check.stderr);
    assert!(check.stderr.contains("error: "), "{}", check.stderr);

    let good = ["convert", "samples/fargate-web", "-q", "--out", dir];
    ecs2eks(&good);
    assert_eq!(ecs2eks(&[&good[..], &["--check"]].concat()).code, 0);
    let strict = ecs2eks(&[&good[..], &["--check", "--fail-on-warnings"]].concat());
    assert_eq!(strict.code, 1, "{}", strict.stderr);
    let usage = ecs2eks(&["convert", "samples/fargate-web", "--check"]);
    assert_eq!(usage.code, 2, "--check needs --out: {}", usage.stderr);
}

#[test]
fn shell_completions_are_printed_for_the_shells_clap_knows() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = ecs2eks(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("convert"), "{shell}");
    }
    assert_eq!(ecs2eks(&["completions", "tcsh"]).code, 2);
}

/// The errors a newcomer meets first are one line each, naming the input and what to do.
#[test]
fn a_yaml_file_among_the_inputs_says_where_yaml_goes() {
    let run = ecs2eks(&[
        "convert",
        "samples/inventory.yaml",
        "samples/fargate-web",
        "-q",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains(
            "samples/inventory.yaml: this is YAML, not the JSON the aws CLI prints: the inventory goes to --inventory, mappings to --mappings"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("kind: Deployment"), "the rest converts");
}

#[test]
fn a_folder_without_json_is_an_error_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("empty")).unwrap();
    std::fs::write(tmp.path().join("empty/notes.txt"), "x").unwrap();
    let out = tmp.path().join("repo");
    let run = ecs2eks(&[
        "convert",
        tmp.path().join("empty").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no *.json file in this folder"),
        "{}",
        run.stderr
    );
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn a_dash_reads_standard_input() {
    let file = "samples/fargate-web/describe-task-definition.json";
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ecs2eks"))
        .args(["convert", "-", "-q"])
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(root().join(file)).unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let from_file = ecs2eks(&["convert", file, "-q"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), from_file.stdout);
}

#[test]
fn a_missing_input_among_good_ones_is_an_input_error_and_the_rest_converts() {
    let run = ecs2eks(&["convert", "samples/fargate-web", "nosuch.json", "-q"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("error: nosuch.json: cannot read"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("kind: Deployment"));
}

/// What repositories hold (issue 22): a Terraform `container_definitions` file (a bare array,
/// `${...}` placeholders) and a task definition whose image CI fills in both become workloads.
#[test]
fn container_definition_arrays_and_ci_filled_images_become_workloads() {
    let run = ecs2eks(&["convert", "tests/fixtures/terraform-container-definitions"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let docs: Vec<serde_norway::Value> = serde_norway::Deserializer::from_str(&run.stdout)
        .map(|d| serde_norway::Value::deserialize(d).unwrap())
        .collect();
    let deployments: Vec<&serde_norway::Value> =
        docs.iter().filter(|d| d["kind"] == "Deployment").collect();
    let names: Vec<&str> = deployments
        .iter()
        .map(|d| d["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["web", "worker"]);
    let pod = |i: usize| &deployments[i]["spec"]["template"]["spec"];
    // The links resolve in the pod; the CI-filled images are placeholders the overlay sets.
    assert_eq!(pod(0)["hostAliases"][0]["ip"], "127.0.0.1");
    assert_eq!(
        pod(0)["containers"][0]["image"],
        "placeholder.invalid/web/app"
    );
    assert_eq!(
        pod(1)["containers"][0]["image"],
        "placeholder.invalid/worker/worker"
    );
    for expected in [
        "warning[E2K174] web (default): the file holds container definitions only: cpu, memory, networkMode, taskRoleArn",
        "containerDefinitions[0].image: warning[E2K175] web (default): container app has no image yet",
        "containerDefinitions[0].environment[0].value: warning[E2K117]",
        "containerDefinitions[0].image: warning[E2K175] worker (default)",
    ] {
        assert!(
            run.stderr.contains(expected),
            "missing {expected:?} in:\n{}",
            run.stderr
        );
    }
}
