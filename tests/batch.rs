//! Batch migration: one app per service across environments, thin overlays that build to exactly
//! each environment's objects, `--check`, and partial failures.

use crate::common::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn objects_by_key(docs: impl IntoIterator<Item = Value>) -> BTreeMap<(String, String), Value> {
    docs.into_iter()
        .map(|mut d| {
            // Sync waves are Argo CD's ordering, added to the repository only.
            if let Some(a) = d
                .pointer_mut("/metadata/annotations")
                .and_then(Value::as_object_mut)
            {
                a.remove("argocd.argoproj.io/sync-wave");
                if a.is_empty() {
                    d["metadata"].as_object_mut().unwrap().remove("annotations");
                }
            }
            let key = (
                d["kind"].as_str().unwrap().to_string(),
                d["metadata"]["name"].as_str().unwrap().to_string(),
            );
            (key, d)
        })
        .collect()
}

fn kustomize(dir: &Path) -> Vec<Value> {
    let out = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(dir)
        .output()
        .expect("kubectl is installed");
    assert!(
        out.status.success(),
        "kubectl kustomize {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.split("\n---\n")
        .map(|d| serde_norway::from_str(d).unwrap())
        .collect()
}

fn write_repo(dir: &Path, files: &[PathBuf]) {
    let inventory = inventory();
    let mappings = ecs2eks::mappings::Mappings::defaults();
    std::env::set_current_dir(root()).unwrap();
    let (_, tree) = ecs2eks::generate_repo(files, &mappings, Some(&inventory)).unwrap();
    ecs2eks::export::files::write(dir, &tree).unwrap();
}

fn env_files(env: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("samples/batch"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with(&format!("{env}-"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn each_overlay_builds_to_exactly_that_environments_objects() {
    let out = tempfile::tempdir().unwrap();
    write_repo(out.path(), &[PathBuf::from("samples/batch")]);
    let inventory = inventory();
    let mappings = ecs2eks::mappings::Mappings::defaults();
    for env in ["dev", "stg", "prod"] {
        let alone = ecs2eks::convert(&env_files(env), &mappings, Some(&inventory)).unwrap();
        assert!(!alone.conversion.workloads.is_empty());
        let mut built = Vec::new();
        for w in &alone.conversion.workloads {
            built.extend(kustomize(
                &out.path().join(format!("apps/{}/overlays/{env}", w.app)),
            ));
        }
        let expected = objects_by_key(alone.objects.iter().flatten().map(|o| o.to_json()));
        assert_eq!(
            objects_by_key(built),
            expected,
            "overlay {env} differs from a conversion of {env} alone"
        );
    }
}

/// Where a team adds to the base once ECS is gone: a variable in front of every container's env,
/// or a key in front of every ExternalSecret's data.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Addition {
    EnvVar,
    SecretKey,
}

/// The values at `at` in `v` that hold the list: each element of an array there, or the value.
fn owners<'v>(v: &'v mut Value, at: &str) -> Vec<&'v mut Value> {
    match v.pointer_mut(at) {
        Some(Value::Array(containers)) => containers.iter_mut().collect(),
        Some(spec) => vec![spec],
        None => Vec::new(),
    }
}

impl Addition {
    /// (file, pointer to the list's owners, list, key of its elements)
    fn place(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Addition::EnvVar => (
                "deployment.yaml",
                "/spec/template/spec/containers",
                "env",
                "name",
            ),
            Addition::SecretKey => ("externalsecret.yaml", "/spec", "data", "secretKey"),
        }
    }

    fn insert_at_the_front(self, base: &Path) {
        let (file, owners_at, list, key) = self.place();
        let Ok(text) = std::fs::read_to_string(base.join(file)) else {
            return;
        };
        let added = match self {
            Addition::EnvVar => serde_json::json!({"name": "AAA_ADDED", "value": "added"}),
            Addition::SecretKey => {
                serde_json::json!({"secretKey": "AAA_ADDED", "remoteRef": {"key": "added"}})
            }
        };
        let docs: Vec<String> = text
            .split("---\n")
            .map(|d| {
                let mut v: Value = serde_norway::from_str(d).unwrap();
                for owner in owners(&mut v, owners_at) {
                    if let Some(Value::Array(items)) = owner.get_mut(list) {
                        assert_ne!(items[0][key], "AAA_ADDED");
                        items.insert(0, added.clone());
                    }
                }
                ecs2eks::export::yaml::to_yaml(&v)
            })
            .collect();
        std::fs::write(base.join(file), docs.join("---\n")).unwrap();
    }

    /// `v` without what was added.
    fn taken_out(self, mut v: Value) -> Value {
        let (_, owners_at, list, key) = self.place();
        for owner in owners(&mut v, owners_at) {
            if let Some(Value::Array(items)) = owner.get_mut(list) {
                items.retain(|e| e[key] != "AAA_ADDED");
            }
        }
        v
    }
}

/// Issue 18: overlays patch by name. Every multi-environment sample's base is edited as a team
/// would (a variable, or a secret key, inserted at the front); each overlay then builds to its
/// own environment's values (the addition aside), or fails to build. Env vars are merged by
/// name, so that edit always builds. Index-only patches gave prod dev's values here.
#[test]
fn an_edited_base_never_lends_an_overlay_another_environments_values() {
    let mut checked = 0;
    for sample in sample_dirs() {
        let (converted, _, _) = convert_sample(&sample);
        let mut envs: BTreeMap<&str, usize> = BTreeMap::new();
        for w in converted
            .conversion
            .workloads
            .iter()
            .filter(|w| !w.failed())
        {
            *envs.entry(&w.app).or_default() += 1;
        }
        if envs.values().all(|n| *n < 2) {
            continue;
        }
        let repo = sample_repo(&sample);
        for addition in [Addition::EnvVar, Addition::SecretKey] {
            let out = tempfile::tempdir().unwrap();
            ecs2eks::export::files::write(out.path(), &repo).unwrap();
            let apps = out.path().join("apps");
            for (app, _) in envs.iter().filter(|(_, n)| **n > 1) {
                addition.insert_at_the_front(&apps.join(app).join("base"));
            }
            for (w, objects) in converted.workloads() {
                if envs[w.app.as_str()] < 2 || w.failed() {
                    continue;
                }
                let overlay = apps.join(&w.app).join("overlays").join(&w.environment);
                let built = std::process::Command::new("kubectl")
                    .arg("kustomize")
                    .arg(&overlay)
                    .output()
                    .expect("kubectl is installed");
                checked += 1;
                let context = format!(
                    "{sample}: {addition:?} in the base, overlay {}",
                    overlay.display()
                );
                if !built.status.success() {
                    assert_eq!(
                        addition,
                        Addition::SecretKey,
                        "{context}: {}",
                        String::from_utf8_lossy(&built.stderr)
                    );
                    continue; // loud: the build fails on the edited base
                }
                let built: Vec<Value> = String::from_utf8(built.stdout)
                    .unwrap()
                    .split("\n---\n")
                    .map(|d| addition.taken_out(serde_norway::from_str(d).unwrap()))
                    .collect();
                assert_eq!(
                    objects_by_key(built),
                    objects_by_key(objects.iter().map(|o| o.to_json())),
                    "{context}"
                );
            }
        }
    }
    assert!(
        checked >= 6,
        "only {checked} overlays of multi-environment apps"
    );
}

#[test]
fn overlays_are_thin() {
    let tree = sample_repo("batch");
    let prod = &tree["apps/catalog/overlays/prod/kustomization.yaml"];
    assert!(
        prod.contains("images:") && prod.contains("newTag: 2.14.1"),
        "{prod}"
    );
    assert!(
        prod.contains("replicas:") && prod.contains("count: 6"),
        "{prod}"
    );
    assert!(
        !prod.contains("kind: Deployment\nmetadata"),
        "an overlay never repeats a whole object"
    );
    let dev = &tree["apps/catalog/overlays/dev/kustomization.yaml"];
    assert!(
        !dev.contains("patches:"),
        "the base is dev's, so dev's overlay has no patches:\n{dev}"
    );
    // recommendations exists in prod only: one app with one overlay.
    assert!(tree.contains_key("apps/recommendations/overlays/prod/kustomization.yaml"));
    assert!(
        !tree
            .keys()
            .any(|k| k.starts_with("apps/recommendations/overlays/dev"))
    );
}

#[test]
fn check_passes_on_a_fresh_repository_and_fails_with_a_diff_after_a_change() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().to_str().unwrap();
    let args = [
        "convert",
        "samples/batch",
        "--inventory",
        "samples/inventory.yaml",
        "-q",
        "--out",
        dir,
    ];
    assert_eq!(ecs2eks(&args).code, 0);
    let check = ecs2eks(&[&args[..], &["--check"]].concat());
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(check.stdout.is_empty());
    let kustomization = out
        .path()
        .join("apps/catalog/overlays/prod/kustomization.yaml");
    let text = std::fs::read_to_string(&kustomization).unwrap();
    std::fs::write(&kustomization, text.replace("count: 6", "count: 9")).unwrap();
    let check = ecs2eks(&[&args[..], &["--check"]].concat());
    assert_eq!(check.code, 1);
    assert!(
        check
            .stdout
            .contains("--- a/apps/catalog/overlays/prod/kustomization.yaml"),
        "{}",
        check.stdout
    );
    assert!(
        check.stdout.contains("-  count: 9") && check.stdout.contains("+  count: 6"),
        "{}",
        check.stdout
    );
    assert!(
        std::fs::read_to_string(&kustomization)
            .unwrap()
            .contains("count: 9"),
        "--check writes nothing"
    );
}

#[test]
fn one_broken_account_does_not_stop_the_others() {
    let input = tempfile::tempdir().unwrap();
    for f in env_files("dev").into_iter().chain(env_files("prod")) {
        std::fs::copy(&f, input.path().join(f.file_name().unwrap())).unwrap();
    }
    for f in env_files("stg") {
        let text = std::fs::read_to_string(&f).unwrap();
        std::fs::write(
            input.path().join(f.file_name().unwrap()),
            &text[..text.len() / 2],
        )
        .unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let run = ecs2eks(&[
        "convert",
        input.path().to_str().unwrap(),
        "--inventory",
        "samples/inventory.yaml",
        "-q",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        out.path()
            .join("apps/catalog/overlays/dev/kustomization.yaml")
            .exists()
    );
    assert!(
        out.path()
            .join("apps/catalog/overlays/prod/kustomization.yaml")
            .exists()
    );
    assert!(!out.path().join("apps/catalog/overlays/stg").exists());
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(out.path().join("migration-report.json")).unwrap(),
    )
    .unwrap();
    let errors = report["errors"].as_array().unwrap();
    // Every half-written stg file is an input error of its own.
    assert_eq!(errors.len(), env_files("stg").len());
    assert!(
        errors
            .iter()
            .all(|e| e["input"].as_str().unwrap().contains("stg-"))
    );
}

#[test]
fn without_an_inventory_several_accounts_become_one_environment_each() {
    let mappings = ecs2eks::mappings::Mappings::defaults();
    std::env::set_current_dir(root()).unwrap();
    let conversion = ecs2eks::convert(&[PathBuf::from("samples/batch")], &mappings, None).unwrap();
    let catalog: Vec<&str> = conversion
        .conversion
        .workloads
        .iter()
        .filter(|w| w.app == "catalog")
        .map(|w| w.environment.as_str())
        .collect();
    assert_eq!(catalog, ["111111111111", "222222222222", "333333333333"]);
    assert!(conversion.conversion.workloads.iter().all(|w| !w.failed()));
    // One account alone keeps the documented default.
    let alone = ecs2eks::convert(&env_files("dev"), &mappings, None).unwrap();
    assert!(
        alone
            .conversion
            .workloads
            .iter()
            .all(|w| w.environment == "default")
    );
}

#[test]
fn the_inventorys_oidc_issuer_reaches_the_trust_policies() {
    let text = std::fs::read_to_string(root().join("samples/inventory.yaml")).unwrap()
        + "environments:\n  prod:\n    oidcIssuer: oidc.eks.eu-west-1.amazonaws.com/id/PRODEXAMPLE\n";
    let inventory = ecs2eks::inventory::Inventory::parse("inventory.yaml", &text).unwrap();
    let mappings = ecs2eks::mappings::Mappings::defaults();
    std::env::set_current_dir(root()).unwrap();
    let (_, tree) = ecs2eks::generate_repo(
        &[PathBuf::from("samples/fargate-web")],
        &mappings,
        Some(&inventory),
    )
    .unwrap();
    let role = tree
        .iter()
        .find(|(k, _)| k.starts_with("iam/") && k.ends_with("customer-portal-task-eks.tf"))
        .unwrap()
        .1;
    assert!(
        role.contains("oidc.eks.eu-west-1.amazonaws.com/id/PRODEXAMPLE:sub"),
        "{role}"
    );
    assert!(!role.contains("var.oidc_issuer_prod"), "{role}");
}

/// What `convert --out` writes as each app is converted (`convert_into`) is byte for byte the
/// repository made in memory (`generate_repo`, which `--check` compares against), for every
/// sample, with its own mappings; the conversions are the same; a second run into the same
/// folder writes nothing.
#[test]
fn streamed_repository_is_the_one_made_in_memory() {
    for name in sample_dirs() {
        let sample = PathBuf::from("samples").join(&name);
        let mappings = mappings_for(&root().join(&sample));
        let inventory = inventory_for(&name);
        std::env::set_current_dir(root()).unwrap();
        let (conversion, expected) =
            ecs2eks::generate_repo(std::slice::from_ref(&sample), &mappings, Some(&inventory))
                .unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("repo");
        let read = || ecs2eks::read(std::slice::from_ref(&sample)).unwrap();
        let (streamed, written) =
            ecs2eks::convert_into(read(), &mappings, Some(&inventory), &dir, &|_, _| {});
        let summary = written.unwrap();
        assert_eq!(summary.written, expected.len(), "{name}");
        assert_eq!(
            format!("{:?}", streamed.workloads),
            format!("{:?}", conversion.workloads),
            "{name}"
        );
        let mut on_disk = BTreeMap::new();
        collect(&dir, &dir, &mut on_disk);
        let manifest = on_disk
            .remove(ecs2eks::export::files::MANIFEST)
            .expect("the manifest is written");
        assert_eq!(
            manifest.lines().filter(|l| !l.starts_with('#')).count(),
            expected.len()
        );
        assert_eq!(on_disk, expected, "{name}: streamed files differ");
        // No staging folder is left next to the repository.
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
        assert_eq!(left.len(), 1, "{name}: {left:?}");
        // Again into the existing folder: every file is unchanged.
        let (_, again) =
            ecs2eks::convert_into(read(), &mappings, Some(&inventory), &dir, &|_, _| {});
        let again = again.unwrap();
        assert_eq!(
            (again.written, again.unchanged, again.removed),
            (0, expected.len(), 0)
        );
    }
}

/// The progress a large run reports (what the CLI's bar shows): first the number of apps with
/// none done, then one call per app, ending at all of them.
#[test]
fn progress_counts_every_app_once() {
    let (conversion, mappings, inventory) = convert_sample("batch");
    let apps: std::collections::BTreeSet<&str> = conversion
        .conversion
        .workloads
        .iter()
        .map(|w| w.app.as_str())
        .collect();
    let calls = std::sync::Mutex::new(Vec::new());
    let tmp = tempfile::tempdir().unwrap();
    let (_, written) = ecs2eks::convert_into(
        ecs2eks::read(&[PathBuf::from("samples/batch")]).unwrap(),
        &mappings,
        Some(&inventory),
        &tmp.path().join("repo"),
        &|done, total| calls.lock().unwrap().push((done, total)),
    );
    written.unwrap();
    let mut calls = calls.into_inner().unwrap();
    assert_eq!(calls.first(), Some(&(0, apps.len())), "{calls:?}");
    calls.sort();
    let expected: Vec<(usize, usize)> = (0..=apps.len()).map(|d| (d, apps.len())).collect();
    assert_eq!(calls, expected);
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            out.insert(rel, std::fs::read_to_string(&p).unwrap());
        }
    }
}

/// Task definitions and services are kept by identity between their two reads (`read_files`):
/// converting them gives the repository that converting inputs given as bytes (kept for the
/// second read, as a pipe's are) gives.
#[test]
fn inputs_read_twice_convert_as_inputs_kept_as_bytes() {
    for name in sample_dirs() {
        let sample = PathBuf::from("samples").join(&name);
        let mappings = mappings_for(&root().join(&sample));
        let files = ecs2eks::import::discover(std::slice::from_ref(&sample)).unwrap();
        let mut kept = ecs2eks::model::read::Inputs::default();
        for file in &files {
            let bytes = std::fs::read(file).unwrap();
            ecs2eks::import::read_bytes(&file.display().to_string(), &bytes, &mut kept);
        }
        assert!(kept.task_definitions.iter().all(|t| t.kept.is_some()));
        let sink = ecs2eks::export::TreeSink::default();
        let inventory = inventory_for(&name);
        ecs2eks::render_repo(kept, &mappings, Some(&inventory), &sink, &|_, _| {});
        assert_eq!(sink.into_tree(), sample_repo(&name), "{name}");
    }
}

/// A task definition whose file goes away between its two reads fails its own workload with
/// E2K163, naming the file; the others are converted.
#[test]
fn input_gone_between_reads_fails_only_its_workload() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&root().join("samples/batch"), tmp.path());
    let read = ecs2eks::read(&[tmp.path().to_path_buf()]).unwrap();
    assert!(read.task_definitions.iter().all(|t| t.kept.is_none()));
    let gone = read.task_definitions[0].input.to_string();
    std::fs::remove_file(&gone).unwrap();
    let converted = ecs2eks::convert_read(
        read,
        &mappings_for(&root().join("samples/batch")),
        Some(&inventory()),
        &|_, _| {},
    );
    let workloads = &converted.conversion.workloads;
    let failed: Vec<_> = workloads.iter().filter(|w| w.failed()).collect();
    assert_eq!(failed.len(), 1);
    let finding = &failed[0].findings.iter().next().unwrap();
    assert_eq!(finding.code.as_str(), "E2K163");
    assert_eq!(finding.input, gone);
    assert!(
        finding.message.contains("cannot read"),
        "{}",
        finding.message
    );
    assert!(workloads.iter().any(|w| !w.failed()));
}

fn copy_dir(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// With the ApplicationSet generator (a mappings choice), every overlay is matched by exactly one
/// ApplicationSet (its Git directory generator lists it), argocd/'s kustomization lists every
/// set and no Application, and `convert --out` writes the same files.
#[test]
fn applicationsets_match_every_overlay_exactly_once() {
    let mut mappings = mappings_for(&root().join("samples/batch"));
    mappings.argocd.generator = ecs2eks::mappings::Generator::Applicationset;
    let inventory = inventory();
    std::env::set_current_dir(root()).unwrap();
    let batch = [PathBuf::from("samples/batch")];
    let (_, tree) = ecs2eks::generate_repo(&batch, &mappings, Some(&inventory)).unwrap();
    let overlays: Vec<&str> = tree
        .keys()
        .filter_map(|k| k.strip_suffix("/kustomization.yaml"))
        .filter(|d| d.starts_with("apps/") && d.contains("/overlays/"))
        .collect();
    let sets: Vec<&String> = tree
        .keys()
        .filter(|k| k.starts_with("argocd/applicationset-"))
        .collect();
    assert_eq!(sets.len(), 3, "one per project and environment: {sets:?}");
    let mut matched: Vec<String> = Vec::new();
    for set in &sets {
        let doc: Value = serde_norway::from_str(&tree[*set]).unwrap();
        assert_eq!(doc["kind"], "ApplicationSet");
        for d in doc["spec"]["generators"][0]["git"]["directories"]
            .as_array()
            .unwrap()
        {
            matched.push(d["path"].as_str().unwrap().to_string());
        }
    }
    matched.sort();
    assert_eq!(matched, overlays);
    let k: Value = serde_norway::from_str(&tree["argocd/kustomization.yaml"]).unwrap();
    let resources: Vec<&str> = k["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    for set in &sets {
        assert!(resources.contains(&set.strip_prefix("argocd/").unwrap()));
    }
    assert!(
        resources.iter().all(|r| r.starts_with("project-")
            || r.starts_with("applicationset-")
            || r.starts_with("secret-stores-")
            || r.starts_with("ingress-classes-")),
        "{resources:?}"
    );
    let tmp = tempfile::tempdir().unwrap();
    let (_, written) = ecs2eks::convert_into(
        ecs2eks::read(&batch).unwrap(),
        &mappings,
        Some(&inventory),
        tmp.path(),
        &|_, _| {},
    );
    written.unwrap();
    let mut on_disk = BTreeMap::new();
    collect(tmp.path(), tmp.path(), &mut on_disk);
    on_disk.remove(ecs2eks::export::files::MANIFEST);
    assert_eq!(on_disk, tree);
}

/// The merge keys the overlay patches use are Kustomize's own: for every list of the table,
/// elements changed, added, removed and reordered between base and overlay build to exactly the
/// overlay's object.
#[test]
fn overlay_patches_by_merge_key_build_to_the_overlay_exactly() {
    let deployment = |v: &str, extra: bool| {
        let mut env = vec![
            serde_json::json!({"name": "A", "value": "1"}),
            serde_json::json!({"name": "B", "value": v}),
            serde_json::json!({"name": "C", "value": "3"}),
        ];
        let mut ports = vec![
            serde_json::json!({"containerPort": 80, "name": format!("http-{v}"), "protocol": "TCP"}),
        ];
        if extra {
            env.remove(0);
            env.push(serde_json::json!({"name": "D", "valueFrom": {"secretKeyRef": {"name": "s", "key": "d"}}}));
            ports.insert(
                0,
                serde_json::json!({"containerPort": 9901, "name": "admin"}),
            );
        }
        serde_json::json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app"},
            "spec": {"selector": {"matchLabels": {"a": "b"}}, "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {
                    "containers": [
                        {"name": "app", "image": "x", "args": ["run", v], "env": env, "ports": ports,
                         "volumeMounts": [{"name": "data", "mountPath": "/data"}, {"name": "tmp", "mountPath": format!("/tmp/{v}")}]},
                        {"name": "side", "image": format!("y:{v}")}],
                    "volumes": [{"name": "data", "emptyDir": {}}, {"name": "tmp", "emptyDir": {"medium": if extra { "Memory" } else { "" }}}],
                    "imagePullSecrets": [{"name": format!("pull-{v}")}],
                    "hostAliases": [{"ip": "10.0.0.1", "hostnames": [format!("{v}.local")]}],
                    "topologySpreadConstraints": [{"topologyKey": "zone", "maxSkew": if extra { 2 } else { 1 },
                        "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": {"a": "b"}}}]
                }}}
        })
    };
    let service = |extra: bool| {
        let mut ports = vec![
            serde_json::json!({"name": "a", "port": 80, "targetPort": 80, "protocol": "TCP"}),
            serde_json::json!({"name": "b", "port": 81, "targetPort": 81, "protocol": "TCP"}),
            serde_json::json!({"name": "c", "port": 82, "targetPort": 82, "protocol": "TCP"}),
            serde_json::json!({"name": "d", "port": 82, "targetPort": 82, "protocol": "UDP"}),
        ];
        if extra {
            ports[1]["name"] = "bb".into();
            ports.remove(2);
            ports.swap(0, 1);
        }
        serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "app"},
            "spec": {"selector": {"a": "b"}, "ports": ports}})
    };
    let dir = tempfile::tempdir().unwrap();
    let (base, overlay) = (dir.path().join("base"), dir.path().join("overlay"));
    std::fs::create_dir_all(&base).unwrap();
    std::fs::create_dir_all(&overlay).unwrap();
    let (b, m) = (
        [deployment("dev", false), service(false)],
        [deployment("prod", true), service(true)],
    );
    std::fs::write(base.join("all.yaml"), ecs2eks::export::yaml::documents(&b)).unwrap();
    std::fs::write(base.join("kustomization.yaml"), "resources: [all.yaml]\n").unwrap();
    let patches: Vec<Value> = b
        .iter()
        .zip(&m)
        .flat_map(|(b, m)| {
            ecs2eks::export::overlay_patch::patches(m["kind"].as_str().unwrap(), "app", b, m)
        })
        .collect();
    let k = serde_json::json!({"resources": ["../base"], "patches": patches});
    std::fs::write(
        overlay.join("kustomization.yaml"),
        ecs2eks::export::yaml::to_yaml(&k),
    )
    .unwrap();
    let built = kustomize(&overlay);
    assert_eq!(objects_by_key(built), objects_by_key(m.iter().cloned()));
}
