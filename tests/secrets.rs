//! Issue 3: every ECS secret of every sample and corpus task definition ends up as an env var
//! backed by an ExternalSecret `remoteRef` naming the same secret (and JSON key), in a store of
//! the right service; shared stores are written once; no secret value leaks.
//!
//! The expected references are read from the raw JSON with a small parser of their own, so the
//! test does not trust the translator's.

use crate::common::{Made, found, workloads};
use ecs2eks::Converted;
use ecs2eks::export::{self, Tree};
use ecs2eks::inventory::Inventory;
use ecs2eks::mappings::Mappings;
use ecs2eks::model::names::dns_label;
use ecs2eks::translate::secrets::plaintext_reason;
use serde_json::Value;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The corpus's task definitions (`common::corpus`), or None in a clone alone.
fn corpus_taskdefs() -> Option<PathBuf> {
    crate::common::corpus().map(|c| c.join("taskdefs"))
}

fn inventory() -> Inventory {
    let path = format!("{ROOT}/samples/inventory.yaml");
    Inventory::parse(&path, &std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// (container name, env var name, valueFrom) of every `secrets[]` entry in a JSON file.
fn ecs_secrets(v: &Value, out: &mut Vec<(String, String, String)>) {
    match v {
        Value::Object(o) => {
            if let Some(Value::Array(cs)) = o.get("containerDefinitions") {
                for c in cs {
                    let cname = c.get("name").and_then(Value::as_str).unwrap_or("");
                    for s in c
                        .get("secrets")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let name = s.get("name").and_then(Value::as_str).unwrap_or("");
                        let from = s.get("valueFrom").and_then(Value::as_str).unwrap_or("");
                        out.push((cname.into(), name.into(), from.into()));
                    }
                }
            }
            o.values().for_each(|x| ecs_secrets(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| ecs_secrets(x, out)),
        _ => {}
    }
}

/// (service, key, property) as ESO must see them, or None for what is not a reference.
fn expected(value_from: &str) -> Option<(&'static str, String, Option<String>)> {
    if value_from.is_empty() {
        return None;
    }
    if !value_from.starts_with("arn:") {
        let name = value_from.split(':').next().unwrap();
        return Some(("ParameterStore", name.to_string(), None));
    }
    let parts: Vec<&str> = value_from.split(':').collect();
    match parts.get(2).copied() {
        Some("secretsmanager") if parts.get(5) == Some(&"secret") && parts.len() >= 7 => {
            let key = parts[..7].join(":");
            let property = parts
                .get(7)
                .filter(|p| !p.is_empty())
                .map(|p| p.to_string());
            Some(("SecretsManager", key, property))
        }
        Some("ssm") => {
            let rest = parts[5..].join(":");
            let name = rest
                .strip_prefix("parameter/")?
                .split(':')
                .next()?
                .to_string();
            if name.is_empty() {
                return None;
            }
            Some((
                "ParameterStore",
                if name.contains('/') {
                    format!("/{name}")
                } else {
                    name
                },
                None,
            ))
        }
        _ => None,
    }
}

/// Every JSON object in `v` with `name == container` and an `env` list.
fn find_containers<'a>(v: &'a Value, container: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(o) => {
            if o.get("name").and_then(Value::as_str) == Some(container) && o.contains_key("image") {
                out.push(v);
            }
            o.values().for_each(|x| find_containers(x, container, out));
        }
        Value::Array(a) => a.iter().for_each(|x| find_containers(x, container, out)),
        _ => {}
    }
}

fn objects(w: Made<'_>) -> Vec<Value> {
    w.objects.iter().map(|o| o.to_json()).collect()
}

/// Checks every secret of `file` in the workload made from it; returns how many were checked.
fn check_file(conversion: &Converted, file: &Path) -> usize {
    let raw: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let mut secrets = Vec::new();
    ecs_secrets(&raw, &mut secrets);
    if secrets.is_empty() {
        return 0;
    }
    let shown = file.display().to_string();
    let w = workloads(conversion)
        .find(|w| w.inputs.iter().any(|i| **i == *shown))
        .unwrap_or_else(|| panic!("no workload from {shown}"));
    if crate::common::refused_for_placeholder_role(&w) {
        return 0;
    }
    assert!(!w.failed(), "{shown}: {:?}", w.findings);
    let objs = objects(w);
    let mut checked = 0;
    for (cname, name, from) in &secrets {
        let Some((service, key, property)) = expected(from) else {
            assert!(
                w.findings.iter().any(|f| f.code.as_str() == "E2K400"),
                "{shown}: {name} = {from:?} is not a reference, and no E2K400 says so"
            );
            continue;
        };
        if name.is_empty() {
            continue;
        }
        let mut containers = Vec::new();
        objs.iter()
            .for_each(|o| find_containers(o, &dns_label(cname, "container"), &mut containers));
        assert!(
            !containers.is_empty(),
            "{shown}: container {cname} not found"
        );
        let var = containers
            .iter()
            .flat_map(|c| c["env"].as_array().into_iter().flatten())
            .find(|e| e["name"] == name.as_str())
            .unwrap_or_else(|| panic!("{shown}: no env var {name} in {cname}"));
        assert!(
            var.get("value").is_none(),
            "{shown}: {name} has a plain value"
        );
        let sel = &var["valueFrom"]["secretKeyRef"];
        let (secret, sk) = (sel["name"].as_str().unwrap(), sel["key"].as_str().unwrap());
        let es = objs
            .iter()
            .find(|o| o["kind"] == "ExternalSecret" && o["spec"]["target"]["name"] == secret)
            .unwrap_or_else(|| panic!("{shown}: no ExternalSecret makes Secret {secret}"));
        assert_eq!(es["apiVersion"], "external-secrets.io/v1");
        let item = es["spec"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["secretKey"] == sk)
            .unwrap_or_else(|| panic!("{shown}: {secret} has no key {sk}"));
        let remote = &item["remoteRef"];
        assert_eq!(remote["key"], key.as_str(), "{shown}: {name}");
        assert_eq!(
            remote.get("property").and_then(Value::as_str),
            property.as_deref(),
            "{shown}: {name}"
        );
        let store_ref = &es["spec"]["secretStoreRef"];
        let store = conversion
            .conversion
            .secret_stores
            .iter()
            // The stores of the workload's cluster (environments on one cluster share them).
            .filter(|s| {
                let clusters = &conversion.conversion.clusters;
                clusters.deployed_to(&s.environment) == clusters.deployed_to(&w.environment)
            })
            .map(|s| s.object.to_json())
            .chain(objs.iter().cloned())
            .find(|s| s["kind"] == store_ref["kind"] && s["metadata"]["name"] == store_ref["name"])
            .unwrap_or_else(|| panic!("{shown}: store {store_ref} not found"));
        assert_eq!(
            store["spec"]["provider"]["aws"]["service"], service,
            "{shown}: {name}"
        );
        checked += 1;
    }
    checked
}

fn sample_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(format!("{ROOT}/samples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

fn store_kinds() -> Vec<Mappings> {
    vec![
        Mappings::defaults(),
        Mappings::load(Some((
            "m.yaml",
            "externalSecrets:\n  storeKind: SecretStore\n",
        )))
        .unwrap(),
    ]
}

#[test]
fn every_sample_secret_is_an_env_var_backed_by_an_external_secret() {
    let inv = inventory();
    for mappings in store_kinds() {
        let mut checked = 0;
        for dir in sample_dirs() {
            let conversion =
                ecs2eks::convert(std::slice::from_ref(&dir), &mappings, Some(&inv)).unwrap();
            for f in json_files(&dir) {
                checked += check_file(&conversion, &f);
            }
        }
        // samples/secrets alone has 7.
        assert!(checked >= 7, "only {checked} secrets checked");
    }
}

#[test]
fn every_corpus_secret_is_an_env_var_backed_by_an_external_secret() {
    let Some(corpus) = corpus_taskdefs() else {
        return;
    };
    for mappings in store_kinds() {
        let mut checked = 0;
        for f in json_files(&corpus) {
            let text = std::fs::read_to_string(&f).unwrap();
            if !text.contains("\"secrets\"") {
                continue;
            }
            let conversion = ecs2eks::convert(std::slice::from_ref(&f), &mappings, None).unwrap();
            if conversion.conversion.workloads.is_empty() {
                // Unreadable input (reported as an input error), nothing to check.
                assert!(!conversion.conversion.errors.is_empty(), "{}", f.display());
                continue;
            }
            checked += check_file(&conversion, &f);
        }
        assert!(checked >= 20, "only {checked} corpus secrets checked");
    }
}

fn secrets_dir() -> PathBuf {
    PathBuf::from(format!("{ROOT}/samples/secrets"))
}

fn secrets_sample(mappings: &Mappings) -> Converted {
    ecs2eks::convert(&[secrets_dir()], mappings, Some(&inventory())).unwrap()
}

/// The repository of `inputs`, and their stdout stream as `stream.yaml`.
fn render(inputs: &[PathBuf], mappings: &Mappings) -> Tree {
    let inventory = inventory();
    let (_, mut tree) = ecs2eks::generate_repo(inputs, mappings, Some(&inventory)).unwrap();
    let c = ecs2eks::convert(inputs, mappings, Some(&inventory)).unwrap();
    let stream = export::stream::render(&c.conversion, &c.objects, mappings);
    tree.insert("stream.yaml".into(), stream);
    tree
}

const PLAINTEXT_VALUES: &[&str] = &[
    "hunter2-not-a-real-password",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "sk_test_FAKE0000000000000000000000",
    "AKIAIOSFODNN7EXAMPLE",
];

/// Issue 18: by default no plaintext secret value reaches any file, the stream included; each
/// variable reads a key of the app's Secrets Manager secret, and the service stays `converted`
/// for it. The opt-out (`redactPlaintext: false`) writes the values, each one a warning.
#[test]
fn plaintext_secrets_never_reach_git_unless_the_user_opts_out() {
    let mappings = Mappings::defaults();
    let c = secrets_sample(&mappings);
    let w = &workloads(&c).next().unwrap();
    let moved: Vec<String> = found(w, "E2K413")
        .into_iter()
        .map(|(_, message)| message.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(
        moved,
        [
            "DB_PASSWORD",
            "AWS_SECRET_ACCESS_KEY",
            "STRIPE_API_KEY",
            "REPORTING_CLIENT_REF"
        ]
    );
    assert!(!w.findings.codes().any(|c| c.as_str() == "E2K403"));
    let secret = w.moved_secret.as_ref().unwrap();
    assert_eq!(secret.name, "ecs2eks/prod/billing-api");
    for (path, text) in render(&[secrets_dir()], &mappings) {
        for v in PLAINTEXT_VALUES {
            assert!(!text.contains(v), "{path} shows a plaintext secret value");
        }
    }
    let access = &c.conversion.secret_access[0];
    assert!(
        access.secrets.contains(
            "arn:aws:secretsmanager:eu-west-1:333333333333:secret:ecs2eks/prod/billing-api-??????"
        ),
        "ESO may read the moved secret: {:?}",
        access.secrets
    );

    let opt_out = Mappings::load(Some((
        "m.yaml",
        "externalSecrets:\n  redactPlaintext: false\n",
    )))
    .unwrap();
    let c = secrets_sample(&opt_out);
    let w = &workloads(&c).next().unwrap();
    assert_eq!(
        w.findings
            .iter()
            .filter(|f| f.code.as_str() == "E2K403" && f.severity.to_string() == "warning")
            .count(),
        4
    );
    assert_eq!(w.status().as_str(), "review");
    assert!(w.moved_secret.is_none());
    let tree = render(&[secrets_dir()], &opt_out);
    assert!(tree["apps/billing-api/base/deployment.yaml"].contains(PLAINTEXT_VALUES[0]));
    for (path, text) in tree
        .iter()
        .filter(|(p, _)| !p.starts_with("apps/") && *p != "stream.yaml")
    {
        for v in PLAINTEXT_VALUES {
            assert!(!text.contains(v), "{path} shows a plaintext secret value");
        }
    }
}

/// The report's command creates the moved secret from the old task definition. Run through bash
/// with `aws` stubbed (its query evaluated by Python's `jmespath`, which boto3 brings, over the
/// sample's describe-task-definition output), it hands exactly the plain values to
/// `create-secret`, keyed as the ExternalSecret reads them.
#[test]
fn the_reports_command_creates_the_moved_secret_from_the_task_definition() {
    let jmespath = std::process::Command::new("python3")
        .args(["-c", "import jmespath"])
        .status()
        .is_ok_and(|s| s.success());
    if !jmespath {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI: python3 jmespath is missing"
        );
        return;
    }
    let c = secrets_sample(&Mappings::defaults());
    let w = &workloads(&c).next().unwrap();
    let secret = w.moved_secret.as_ref().unwrap();
    let command = export::report::create_secret_command(secret);
    let out = tempfile::tempdir().unwrap();
    let created = out.path().join("secret-string");
    let stub = r#"aws() {
  case "$1" in
    ecs) while [ $# -gt 0 ]; do [ "$1" = --query ] && q=$2; shift; done
         python3 -c 'import json, sys, jmespath; print(json.dumps(jmespath.search(sys.argv[1], json.load(open(sys.argv[2])))))' "$q" "$TD" ;;
    secretsmanager) case " $* " in *" --name ecs2eks/prod/billing-api "*) cat > "$OUT" ;; esac ;;
  esac
}
"#;
    let status = std::process::Command::new("bash")
        .args(["-c", &format!("{stub}{command}")])
        .env("TD", secrets_dir().join("describe-task-definition.json"))
        .env("OUT", &created)
        .status()
        .unwrap();
    assert!(status.success(), "{command}");
    let got: Value = serde_json::from_str(&std::fs::read_to_string(&created).unwrap()).unwrap();
    assert_eq!(
        got,
        serde_json::json!({
            "DB_PASSWORD": PLAINTEXT_VALUES[0],
            "AWS_SECRET_ACCESS_KEY": PLAINTEXT_VALUES[1],
            "STRIPE_API_KEY": PLAINTEXT_VALUES[2],
            "REPORTING_CLIENT_REF": PLAINTEXT_VALUES[3],
        })
    );
    assert!(
        !command.contains(PLAINTEXT_VALUES[0]),
        "the command never holds a value"
    );
}

#[test]
fn cluster_secret_stores_are_written_once_outside_the_apps() {
    let mappings = Mappings::defaults();
    let inv = inventory();
    let dirs = sample_dirs();
    let c = ecs2eks::convert(&dirs, &mappings, Some(&inv)).unwrap();
    assert!(!c.conversion.secret_stores.is_empty());
    let tree = render(&dirs, &mappings);
    for (path, text) in &tree {
        if path.starts_with("apps/") {
            assert!(
                !text.lines().any(|l| l == "kind: ClusterSecretStore"),
                "{path} holds a ClusterSecretStore"
            );
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for s in &c.conversion.secret_stores {
        assert!(
            seen.insert((&s.environment, &s.object.metadata.name)),
            "{} twice",
            s.object.metadata.name
        );
        let file = format!(
            "platform/secret-stores/{}/clustersecretstore.yaml",
            s.environment
        );
        assert!(tree[&file].contains(&format!("name: {}", s.object.metadata.name)));
        // Only the namespaces whose apps use it may read through it.
        let body = s.object.body();
        let namespaces = body["spec"]["conditions"][0]["namespaces"]
            .as_array()
            .unwrap();
        assert!(!namespaces.is_empty());
    }
    for env in c.conversion.secret_stores.iter().map(|s| &s.environment) {
        assert!(tree["argocd/kustomization.yaml"].contains(&format!("secret-stores-{env}.yaml")));
    }
}

#[test]
fn eso_policy_lists_exactly_the_referenced_arns() {
    let mappings = Mappings::load(Some((
        "m.yaml",
        "externalSecrets:\n  kmsKeys: [\"arn:aws:kms:eu-west-1:333333333333:key/1234abcd-12ab-34cd-56ef-1234567890ab\"]\n",
    )))
    .unwrap();
    let c = secrets_sample(&mappings);
    let accounts: Vec<&str> = c
        .conversion
        .secret_access
        .iter()
        .map(|a| a.account.as_str())
        .collect();
    assert_eq!(accounts, ["333333333333", "444444444444"]);
    let prod = &c.conversion.secret_access[0];
    assert_eq!(
        prod.secrets.iter().collect::<Vec<_>>(),
        [
            // The plaintext variables' secret (issue 18), known by name.
            "arn:aws:secretsmanager:eu-west-1:333333333333:secret:ecs2eks/prod/billing-api-??????",
            "arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/billing/db-AbCdEf",
            "arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/billing/jwt-AbCdEf",
            "arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/billing/stripe-webhook-AbCdEf",
            "arn:aws:secretsmanager:eu-west-1:333333333333:secret:prod/registry/registry-example-com-AbCdEf",
        ]
    );
    assert_eq!(
        prod.parameters.iter().collect::<Vec<_>>(),
        [
            "arn:aws:ssm:eu-west-1:333333333333:parameter/billing-stripe-key",
            "arn:aws:ssm:eu-west-1:333333333333:parameter/billing/db-host",
        ]
    );
    assert_eq!(prod.kms_keys.len(), 1);
    // ESO's role in the cluster's account may assume the cross-account store's role, and only it.
    assert_eq!(
        prod.assume_roles.iter().collect::<Vec<_>>(),
        ["arn:aws:iam::444444444444:role/external-secrets-reader"]
    );
    assert!(c.conversion.secret_access[1].assume_roles.is_empty());
    assert!(c.conversion.secret_access[1].kms_keys.is_empty());
    let tree = render(&[secrets_dir()], &mappings);
    let tf = &tree["iam/shop-prod/external-secrets.tf"];
    assert!(tf.contains("\"secretsmanager:GetSecretValue\""));
    assert!(tf.contains("\"kms:Decrypt\""));
    // The splunk token is the log agent's, not ESO's.
    assert!(!tf.contains("hec-token"));
    assert_eq!(
        render(&[secrets_dir()], &mappings),
        tree,
        "output is deterministic"
    );
}

#[test]
fn private_registry_becomes_a_dockerconfigjson_pull_secret() {
    let c = secrets_sample(&Mappings::defaults());
    let objs = objects(workloads(&c).next().unwrap());
    let deploy = objs.iter().find(|o| o["kind"] == "Deployment").unwrap();
    let pull = deploy["spec"]["template"]["spec"]["imagePullSecrets"][0]["name"]
        .as_str()
        .unwrap();
    let es = objs
        .iter()
        .find(|o| o["kind"] == "ExternalSecret" && o["metadata"]["name"] == pull)
        .unwrap();
    let target = &es["spec"]["target"];
    assert_eq!(target["template"]["type"], "kubernetes.io/dockerconfigjson");
    assert!(
        target["template"]["data"][".dockerconfigjson"]
            .as_str()
            .unwrap()
            .contains("\"registry.example.com\"")
    );
    let props: Vec<&str> = es["spec"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["remoteRef"]["property"].as_str().unwrap())
        .collect();
    assert_eq!(props, ["password", "username"]);
}

/// What the plaintext detector flags in `v`: every `{name, value}` pair (env vars, wherever they
/// sit) by name and value, every other string by its shape alone (AWS access key ids, private
/// keys). Named by where it is, never by the value.
fn flagged(v: &Value, at: &str, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            if let (Some(Value::String(name)), Some(Value::String(value))) =
                (o.get("name"), o.get("value"))
                && plaintext_reason(name, value).is_some()
            {
                out.push(format!("{at}: {name}"));
            }
            for (k, x) in o {
                flagged(x, &format!("{at}.{k}"), out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                flagged(x, &format!("{at}[{i}]"), out);
            }
        }
        Value::String(s) if plaintext_reason("", s).is_some() => out.push(at.to_string()),
        _ => {}
    }
}

/// Every generated object of a conversion, and the YAML of its shared objects.
fn output_values(c: &Converted) -> Vec<Value> {
    let stream = export::stream::render(&c.conversion, &c.objects, &Mappings::defaults());
    stream
        .split("\n---\n")
        .map(|d| serde_norway::from_str(d).unwrap())
        .chain(std::iter::once(
            serde_json::from_str(&export::report::json(&c.conversion)).unwrap(),
        ))
        .collect()
}

/// Issue 18: no value the plaintext detector flags reaches the output (objects and report) of
/// any sample (each with its own mappings) or any public corpus task definition. The detector
/// stays conservative: the corpus variables it flags are pinned, and every one is a credential.
#[test]
fn no_value_the_detector_flags_reaches_the_output() {
    let inv = inventory();
    let mut found = Vec::new();
    for dir in sample_dirs() {
        let mappings = crate::common::mappings_for(&dir);
        let c = ecs2eks::convert(std::slice::from_ref(&dir), &mappings, Some(&inv)).unwrap();
        for v in output_values(&c) {
            flagged(&v, &dir.display().to_string(), &mut found);
        }
    }
    assert!(
        found.is_empty(),
        "flagged values in the samples' output: {found:#?}"
    );
    let Some(corpus) = corpus_taskdefs() else {
        return;
    };
    let mut in_corpus = Vec::new();
    for f in json_files(&corpus) {
        let raw: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap()).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().into_owned();
        flagged(&raw, &name, &mut in_corpus);
        let c = ecs2eks::convert(std::slice::from_ref(&f), &Mappings::defaults(), None).unwrap();
        for v in output_values(&c) {
            flagged(&v, &name, &mut found);
        }
    }
    assert!(found.is_empty(), "flagged values in the output: {found:#?}");
    let names: Vec<&str> = in_corpus
        .iter()
        .map(|f| f.rsplit(": ").next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "MYSQL_ROOT_PASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SECRET_ACCESS_KEY",
            "CLICKHOUSE_PASSWORD",
            "EXPRESS_SESSION_SECRET",
            "CLICKHOUSE_PASSWORD",
            "CLICKHOUSE_PASSWORD",
        ],
        "what the detector flags in the corpus changed: {in_corpus:#?}"
    );
}
