//! Issue 5: task roles → IRSA. The Terraform written for samples/iam parses, every trust policy
//! names exactly one namespace and ServiceAccount per `sub` value, and every permission of the
//! source role is there.

use ecs2eks::Converted;
use ecs2eks::export::{Tree, iam_roots};
use ecs2eks::inventory::Inventory;
use ecs2eks::mappings::Mappings;
use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

fn convert(mappings: &str) -> (Converted, Tree) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    convert_dir(&root.join("samples/iam"), mappings)
}

/// samples/iam with every workload on EC2 rather than Fargate (Pod Identity is allowed there).
fn ec2_samples() -> tempfile::TempDir {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(root.join("samples/iam")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("FARGATE", "EC2");
        std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
    }
    dir
}

fn convert_dir(dir: &std::path::Path, mappings: &str) -> (Converted, Tree) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let inv_text = std::fs::read_to_string(root.join("samples/inventory.yaml")).unwrap();
    let inventory = Inventory::parse("inventory.yaml", &inv_text).unwrap();
    let mappings = Mappings::load(Some(("m.yaml", mappings))).unwrap();
    let c = ecs2eks::convert(&[dir.to_path_buf()], &mappings, Some(&inventory)).unwrap();
    let errors = &c.conversion.errors;
    assert!(errors.is_empty(), "{errors:?}");
    let sink = ecs2eks::export::TreeSink::default();
    iam_roots::render(&c.conversion, &sink);
    (c, sink.into_tree())
}

pub(crate) fn jsonencode(args: FuncArgs) -> Result<hcl::Value, String> {
    let v = args.into_values().remove(0);
    serde_json::to_string(&v)
        .map(hcl::Value::from)
        .map_err(|e| e.to_string())
}

/// Evaluates a `jsonencode(…)` attribute into JSON, with every `var.*` set to a test value.
pub(crate) fn evaluate(expr: &hcl::Expression, vars: &BTreeMap<String, String>) -> Value {
    evaluate_with(expr, vars, &BTreeMap::new())
}

/// `evaluate`, where a reference to an attribute of one of `resources` evaluates to its own
/// text: `aws_iam_openid_connect_provider.eks_dev.arn`.
pub(crate) fn evaluate_with(
    expr: &hcl::Expression,
    vars: &BTreeMap<String, String>,
    resources: &BTreeMap<(String, String), hcl::Body>,
) -> Value {
    let mut ctx = Context::new();
    let var: hcl::Map<String, hcl::Value> = vars
        .iter()
        .map(|(k, v)| (k.clone(), hcl::Value::from(v.clone())))
        .collect();
    ctx.declare_var("var", hcl::Value::Object(var));
    let mut by_type: BTreeMap<&str, hcl::Map<String, hcl::Value>> = BTreeMap::new();
    for (kind, name) in resources.keys() {
        let attrs: hcl::Map<String, hcl::Value> = ["arn", "name", "id"]
            .iter()
            .map(|a| {
                (
                    a.to_string(),
                    hcl::Value::from(format!("{kind}.{name}.{a}")),
                )
            })
            .collect();
        let of_kind = by_type.entry(kind).or_default();
        of_kind.insert(name.clone(), hcl::Value::Object(attrs));
    }
    for (kind, of_kind) in by_type {
        ctx.declare_var(kind.to_string(), hcl::Value::Object(of_kind));
    }
    ctx.declare_func(
        "jsonencode",
        FuncDef::builder().param(ParamType::Any).build(jsonencode),
    );
    let out = expr.evaluate(&ctx).unwrap_or_else(|e| panic!("{e}"));
    match out {
        hcl::Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
        other => serde_json::to_value(other).unwrap(),
    }
}

pub(crate) struct Parsed {
    /// resource type → name → attributes
    pub resources: BTreeMap<(String, String), hcl::Body>,
    pub vars: BTreeMap<String, String>,
    /// `allowed_account_ids` of the root's providers.
    pub allowed_accounts: BTreeSet<String>,
}

/// Parses every `.tf` of one folder; panics on any that does not parse.
pub(crate) fn parse(tree: &Tree, dir: &str) -> Parsed {
    let mut resources = BTreeMap::new();
    let mut vars = BTreeMap::new();
    let mut allowed_accounts = BTreeSet::new();
    for (path, text) in tree.iter().filter(|(p, _)| p.starts_with(dir)) {
        assert!(path.ends_with(".tf"), "{path}");
        let body: hcl::Body = hcl::parse(text).unwrap_or_else(|e| panic!("{path}: {e}\n{text}"));
        for block in body.blocks() {
            let labels: Vec<&str> = block.labels().iter().map(|l| l.as_str()).collect();
            match block.identifier() {
                "resource" => {
                    let key = (labels[0].to_string(), labels[1].to_string());
                    assert!(
                        resources.insert(key, block.body().clone()).is_none(),
                        "{path}: duplicate resource {labels:?}"
                    );
                }
                "variable" => {
                    vars.insert(
                        labels[0].to_string(),
                        format!("oidc.example/id/{}", labels[0]),
                    );
                }
                "provider" => {
                    let ids = block
                        .body()
                        .attributes()
                        .find(|a| a.key() == "allowed_account_ids")
                        .unwrap_or_else(|| {
                            panic!("{path}: a provider without allowed_account_ids")
                        });
                    let hcl::Expression::Array(ids) = ids.expr() else {
                        panic!("{path}: allowed_account_ids is not a list");
                    };
                    for id in ids {
                        let hcl::Expression::String(id) = id else {
                            panic!("{path}: an account id is not a string");
                        };
                        allowed_accounts.insert(id.clone());
                    }
                }
                "import" | "terraform" => {}
                other => panic!("{path}: unexpected block {other}"),
            }
        }
    }
    Parsed {
        resources,
        vars,
        allowed_accounts,
    }
}

pub(crate) fn attr<'a>(body: &'a hcl::Body, name: &str) -> &'a hcl::Expression {
    body.attributes()
        .find(|a| a.key() == name)
        .map(|a| a.expr())
        .unwrap_or_else(|| panic!("no attribute {name}"))
}

pub(crate) fn string(body: &hcl::Body, name: &str) -> String {
    match attr(body, name) {
        hcl::Expression::String(s) => s.clone(),
        hcl::Expression::TemplateExpr(t) => t.to_string(),
        other => panic!("{name} is {other:?}"),
    }
}

pub(crate) fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        one => vec![one.clone()],
    }
}

#[test]
fn every_generated_file_parses_and_output_is_stable() {
    let (_, tree) = convert("");
    let files: Vec<&str> = tree.keys().map(String::as_str).collect();
    assert_eq!(
        files,
        [
            "iam/shop-dev/orders-app-eks.tf",
            "iam/shop-dev/variables.tf",
            "iam/shop-dev/versions.tf",
            "iam/shop-prod/external-secrets.tf",
            "iam/shop-prod/payments-task-eks.tf",
            "iam/shop-prod/variables.tf",
            "iam/shop-prod/versions.tf",
        ]
    );
    for dir in ["iam/shop-dev/", "iam/shop-prod/"] {
        parse(&tree, dir);
    }
    let (_, again) = convert("");
    assert_eq!(tree, again);
}

/// For each strategy: trust policies name exactly one SA per `sub` value, without wildcards.
#[test]
fn trust_policies_name_exactly_one_service_account_per_sub_value() {
    for strategy in ["new-role", "extend-task-role"] {
        let (c, tree) = convert(&format!("iam:\n  strategy: {strategy}\n"));
        let mut seen = BTreeSet::new();
        for dir in ["iam/shop-dev/", "iam/shop-prod/"] {
            let parsed = parse(&tree, dir);
            for ((kind, _), body) in &parsed.resources {
                if kind != "aws_iam_role" {
                    continue;
                }
                let trust = evaluate(attr(body, "assume_role_policy"), &parsed.vars);
                for st in as_list(&trust["Statement"]) {
                    let Some(federated) = st["Principal"]["Federated"].as_str() else {
                        continue;
                    };
                    assert_eq!(st["Action"], "sts:AssumeRoleWithWebIdentity");
                    let issuer = federated.split_once(":oidc-provider/").unwrap().1;
                    let cond = st["Condition"].as_object().unwrap();
                    assert_eq!(cond.keys().collect::<Vec<_>>(), ["StringEquals"], "{st}");
                    let eq = &cond["StringEquals"];
                    assert_eq!(eq[format!("{issuer}:aud")], "sts.amazonaws.com");
                    for sub in as_list(&eq[format!("{issuer}:sub")]) {
                        let sub = sub.as_str().unwrap();
                        let parts: Vec<&str> = sub.split(':').collect();
                        assert_eq!(parts.len(), 4, "{sub}");
                        assert_eq!(&parts[..2], ["system", "serviceaccount"]);
                        assert!(!sub.contains('*') && !sub.contains('?'), "{sub}");
                        seen.insert(format!("{}/{}", parts[2], parts[3]));
                    }
                }
                if strategy == "extend-task-role" {
                    // The ECS trust stays next to the new one.
                    assert!(
                        as_list(&trust["Statement"])
                            .iter()
                            .any(|s| s["Principal"]["Service"] == "ecs-tasks.amazonaws.com")
                    );
                }
            }
        }
        // Exactly the ServiceAccounts of the workloads with a task role.
        let expected: BTreeSet<String> = c
            .conversion
            .workloads
            .iter()
            .filter_map(|w| w.role.as_ref())
            .map(|b| format!("{}/{}", b.namespace, b.service_account))
            .collect();
        assert_eq!(seen, expected, "{strategy}");
        assert_eq!(expected.len(), 3);
    }
}

#[test]
fn every_permission_of_the_source_role_is_present() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let details: Value = serde_json::from_str(
        &std::fs::read_to_string(
            root.join("samples/iam/iam-get-account-authorization-details-111111111111.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let source = details["RoleDetailList"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["RoleName"] == "orders-app")
        .unwrap();
    for strategy in ["new-role", "extend-task-role"] {
        let (_, tree) = convert(&format!("iam:\n  strategy: {strategy}\n"));
        let parsed = parse(&tree, "iam/shop-dev/");
        let mut inline = BTreeMap::new();
        let mut attached = BTreeSet::new();
        for ((kind, _), body) in &parsed.resources {
            match kind.as_str() {
                "aws_iam_role_policy" => {
                    inline.insert(
                        string(body, "name"),
                        evaluate(attr(body, "policy"), &parsed.vars),
                    );
                }
                "aws_iam_role_policy_attachment" => {
                    attached.insert(string(body, "policy_arn"));
                }
                _ => {}
            }
        }
        for p in source["RolePolicyList"].as_array().unwrap() {
            let name = p["PolicyName"].as_str().unwrap();
            // Verbatim: the same document, key order included.
            assert_eq!(
                serde_json::to_string(&inline[name]).unwrap(),
                serde_json::to_string(&p["PolicyDocument"]).unwrap(),
                "{strategy}: {name}"
            );
        }
        let expected: BTreeSet<String> = source["AttachedManagedPolicies"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["PolicyArn"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(attached, expected, "{strategy}");
    }
}

#[test]
fn risky_permission_is_reported_for_each_user_of_the_role() {
    let (c, _) = convert("");
    for app in ["orders-api", "orders-worker"] {
        let w = c
            .conversion
            .workloads
            .iter()
            .find(|w| w.app == app)
            .unwrap();
        let f = w
            .findings
            .iter()
            .find(|f| f.code.as_str() == "E2K454")
            .unwrap();
        assert_eq!(
            f.field,
            "RoleDetailList[1].RolePolicyList[1].PolicyDocument.Statement[1]"
        );
        assert!(
            f.input
                .ends_with("iam-get-account-authorization-details-111111111111.json")
        );
    }
}

#[test]
fn pod_identity_on_the_fargate_samples_is_an_error_and_writes_no_role() {
    let (c, tree) = convert("iam:\n  strategies: {payments: pod-identity}\n");
    let w = c
        .conversion
        .workloads
        .iter()
        .find(|w| w.app == "payments")
        .unwrap();
    assert!(w.failed());
    assert!(w.findings.iter().any(|f| f.code.as_str() == "E2K452"));
    assert!(!tree.keys().any(|k| k.contains("payments")));
}

#[test]
fn pod_identity_association_parses() {
    // The samples run on Fargate; the same tasks on EC2 may use Pod Identity.
    let dir = ec2_samples();
    let (c, tree) = convert_dir(
        dir.path(),
        "iam:\n  strategies: {payments: pod-identity}\n  clusters: {prod: {name: shop-prod}}\n",
    );
    let (_, objects) = c.workloads().find(|(w, _)| w.app == "payments").unwrap();
    let sa = objects.iter().find(|o| o.kind == "ServiceAccount").unwrap();
    assert!(sa.metadata.annotations.is_empty());
    let parsed = parse(&tree, "iam/shop-prod/");
    let assoc: Vec<_> = parsed
        .resources
        .iter()
        .filter(|((k, _), _)| k == "aws_eks_pod_identity_association")
        .collect();
    assert_eq!(assoc.len(), 1);
    let body = assoc[0].1;
    assert_eq!(string(body, "cluster_name"), "shop-prod");
    assert_eq!(string(body, "namespace"), "payments-prod");
    assert_eq!(string(body, "service_account"), "payments");
    let role = &parsed.resources[&("aws_iam_role".to_string(), "payments_task_eks".to_string())];
    let trust = evaluate(attr(role, "assume_role_policy"), &parsed.vars);
    assert_eq!(
        trust["Statement"],
        serde_json::json!([{
            "Effect": "Allow",
            "Principal": {"Service": "pods.eks.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession"]
        }])
    );
}

/// `terraform fmt -check` and `terraform validate` on every folder, with Terraform and a local
/// AWS provider mirror (`ECS2EKS_TF_PLUGIN_DIR`, default /opt/tf-plugins): every machine of ours
/// has both, so a missing one fails the test rather than skipping it.
#[test]
fn terraform_validates() {
    let ec2 = ec2_samples();
    for (dir, mappings) in [
        (None, ""),
        (None, "iam:\n  strategy: extend-task-role\n"),
        (Some(ec2.path()), "iam:\n  strategy: pod-identity\n"),
    ] {
        let (_, tree) = match dir {
            Some(d) => convert_dir(d, mappings),
            None => convert(mappings),
        };
        validate_roots(&tree, mappings);
    }
}

/// `terraform fmt -check`, `init` (from the local provider mirror) and `validate` in every root
/// of `tree`'s `iam/`; panics, naming `label`, on the first that fails, or when Terraform or the
/// mirror is missing.
pub(crate) fn validate_roots(tree: &Tree, label: &str) {
    use std::process::Command;
    let plugins = std::env::var("ECS2EKS_TF_PLUGIN_DIR").unwrap_or("/opt/tf-plugins".into());
    let has_terraform = Command::new("terraform")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(has_terraform, "terraform is not on the PATH");
    assert!(
        std::path::Path::new(&plugins).is_dir(),
        "no AWS provider mirror in {plugins} (set ECS2EKS_TF_PLUGIN_DIR)"
    );
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in tree.iter().filter(|(p, _)| p.starts_with("iam/")) {
        let file = dir.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    let mut roots = 0;
    for account in std::fs::read_dir(dir.path().join("iam")).unwrap() {
        let account = account.unwrap().path();
        let run = |args: &[&str]| {
            let out = Command::new("terraform")
                .args(args)
                .current_dir(&account)
                .env("TF_IN_AUTOMATION", "1")
                .env("CHECKPOINT_DISABLE", "1")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "terraform {args:?} in {} ({label:?}):\n{}{}",
                account.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        };
        run(&["fmt", "-check", "-diff"]);
        run(&[
            "init",
            "-backend=false",
            "-input=false",
            &format!("-plugin-dir={plugins}"),
        ]);
        run(&["validate", "-no-color"]);
        roots += 1;
    }
    assert!(roots > 0, "{label}: no Terraform root");
}
