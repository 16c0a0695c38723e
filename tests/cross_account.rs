//! Issue 17: one shared EKS cluster in a platform account, fed by two workload accounts (and
//! images from a tooling account): `samples/cross-account`. Every cross-account reference is
//! wired in the Terraform of the account it lives in, or reported.

use crate::common::*;
use crate::iam::{Parsed, as_list, attr, evaluate_with, parse, string, validate_roots};
use ecs2eks::export::Tree;
use ecs2eks::model::k8s::Object;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const SAMPLE: &str = "cross-account";
const CLUSTER_ACCOUNT: &str = "444444444444";
const ESO_ROLE: &str = "arn:aws:iam::444444444444:role/platform-eks-external-secrets";
const NODE_ROLE: &str = "arn:aws:iam::444444444444:role/platform-eks-nodes";

/// Every Terraform root of a repository, parsed, by its folder.
fn roots(tree: &Tree) -> BTreeMap<String, Parsed> {
    let dirs: BTreeSet<&str> = tree
        .keys()
        .filter_map(|p| p.strip_prefix("iam/")?.split_once('/').map(|(d, _)| d))
        .collect();
    dirs.into_iter()
        .map(|d| (d.to_string(), parse(tree, &format!("iam/{d}/"))))
        .collect()
}

/// The root pinned to `account` (exactly one).
fn root_of<'a>(roots: &'a BTreeMap<String, Parsed>, account: &str) -> (&'a str, &'a Parsed) {
    let pinned: Vec<_> = roots
        .iter()
        .filter(|(_, p)| p.allowed_accounts.iter().eq([account]))
        .collect();
    assert_eq!(pinned.len(), 1, "roots of account {account}");
    (pinned[0].0.as_str(), pinned[0].1)
}

/// The `kind` resources of a root, with their bodies.
fn of_kind<'a>(root: &'a Parsed, kind: &str) -> Vec<(&'a str, &'a hcl::Body)> {
    root.resources
        .iter()
        .filter(|((k, _), _)| k == kind)
        .map(|((_, name), body)| (name.as_str(), body))
        .collect()
}

/// An attribute of a resource, evaluated (references to the root's resources as their text).
fn value(root: &Parsed, body: &hcl::Body, name: &str) -> Value {
    evaluate_with(attr(body, name), &root.vars, &root.resources)
}

/// The role of a root named `name`, with its path.
fn role<'a>(root: &'a Parsed, path: &str, name: &str) -> (&'a str, &'a hcl::Body) {
    of_kind(root, "aws_iam_role")
        .into_iter()
        .find(|(_, b)| string(b, "name") == name && string(b, "path") == path)
        .unwrap_or_else(|| panic!("no role {path}{name}"))
}

/// `(account, path, name)` of a role ARN.
fn split(arn: &str) -> (String, String, String) {
    ecs2eks::model::iam::split_role(arn)
}

fn sample_objects() -> Vec<(ecs2eks::model::target::Workload, Vec<Object>)> {
    let (converted, _, _) = convert_sample(SAMPLE);
    assert!(converted.conversion.errors.is_empty());
    workloads(&converted)
        .map(|m| (m.workload.clone(), m.objects.to_vec()))
        .collect()
}

fn has_finding(w: &ecs2eks::model::target::Workload, code: &str, naming: &str) -> bool {
    w.findings
        .iter()
        .any(|f| f.code.as_str() == code && f.message.contains(naming))
}

/// Every ServiceAccount's role is created in the root of its own account, and trusts an OIDC
/// provider that root creates (a cluster of another account) or, in the cluster's account, the
/// one made with the cluster; exactly for its namespace and ServiceAccount.
#[test]
fn every_service_accounts_role_is_in_its_accounts_root_and_trusts_a_provider_there() {
    let roots = roots(&sample_repo(SAMPLE));
    let mut checked = 0;
    for (w, objects) in sample_objects() {
        let sa = objects.iter().find(|o| o.kind == "ServiceAccount").unwrap();
        let Some(arn) = sa.metadata.annotations.get("eks.amazonaws.com/role-arn") else {
            continue;
        };
        let (account, path, name) = split(arn);
        let (dir, root) = root_of(&roots, &account);
        let (_, body) = role(root, &path, &name);
        let trust = value(root, body, "assume_role_policy");
        let subject = Value::from(format!(
            "system:serviceaccount:{}:{}",
            w.namespace, sa.metadata.name
        ));
        let statement = as_list(&trust["Statement"])
            .into_iter()
            .find(|st| {
                let issuer = st["Principal"]["Federated"].as_str().map(|_| ());
                issuer.is_some()
                    && st["Condition"]["StringEquals"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .any(|(k, v)| k.ends_with(":sub") && as_list(v).contains(&subject))
            })
            .unwrap_or_else(|| panic!("{dir}/{name} does not trust {}", w.namespace));
        let federated = statement["Principal"]["Federated"].as_str().unwrap();
        match federated.strip_prefix("aws_iam_openid_connect_provider.") {
            Some(reference) => {
                let provider = reference.strip_suffix(".arn").unwrap();
                let key = (
                    "aws_iam_openid_connect_provider".to_string(),
                    provider.to_string(),
                );
                let body = &root.resources[&key];
                let url = value(root, body, "url");
                let url = url.as_str().unwrap().strip_prefix("https://").unwrap();
                let conditions = statement["Condition"]["StringEquals"].as_object().unwrap();
                assert_eq!(conditions[&format!("{url}:aud")], "sts.amazonaws.com");
                assert_eq!(
                    value(root, body, "client_id_list"),
                    serde_json::json!(["sts.amazonaws.com"])
                );
                assert_ne!(account, CLUSTER_ACCOUNT);
            }
            None => {
                // Referenced, not created: only in the cluster's own account.
                assert!(federated.starts_with(&format!("arn:aws:iam::{CLUSTER_ACCOUNT}:")));
                assert_eq!(account, CLUSTER_ACCOUNT);
            }
        }
        checked += 1;
    }
    assert_eq!(checked, 5, "every workload of the sample has a task role");
}

/// Every store that reads another account than the cluster's assumes a role there, which that
/// account's root creates, trusting ESO's role in the cluster's account, with the read policy
/// attached; a store without a role reads the cluster's own account.
#[test]
fn every_store_of_another_account_assumes_a_role_its_root_creates_trusting_the_cluster() {
    let (converted, _, _) = convert_sample(SAMPLE);
    let roots = roots(&sample_repo(SAMPLE));
    let stores = &converted.conversion.secret_stores;
    assert_eq!(stores.len(), 5);
    for store in stores {
        let name = &store.object.metadata.name;
        let Some(arn) = store.object.body()["spec"]["provider"]["aws"]["role"].as_str() else {
            assert!(
                name.contains(CLUSTER_ACCOUNT),
                "{name} reads another account"
            );
            continue;
        };
        let (account, path, role_name) = split(arn);
        assert!(
            name.contains(&account),
            "{name} assumes a role of another account"
        );
        assert_ne!(account, CLUSTER_ACCOUNT);
        let (_, root) = root_of(&roots, &account);
        let (resource, body) = role(root, &path, &role_name);
        let trust = value(root, body, "assume_role_policy");
        let principals: Vec<Value> = as_list(&trust["Statement"])
            .iter()
            .flat_map(|st| as_list(&st["Principal"]["AWS"]))
            .collect();
        assert_eq!(principals, [Value::from(ESO_ROLE)], "{name}");
        let attached = of_kind(root, "aws_iam_role_policy_attachment")
            .into_iter()
            .any(|(_, b)| {
                value(root, b, "role") == format!("aws_iam_role.{resource}.name").as_str()
                    && value(root, b, "policy_arn") == "aws_iam_policy.external_secrets.arn"
            });
        assert!(attached, "{name}: the reader role has no read policy");
    }
}

/// In every root of every sample, each `aws_iam_policy` is attached to a role.
#[test]
fn every_iam_policy_of_every_sample_is_attached() {
    let mut policies = 0;
    for name in sample_dirs() {
        for (dir, root) in roots(&sample_repo(&name)) {
            let attached: BTreeSet<String> = of_kind(&root, "aws_iam_role_policy_attachment")
                .into_iter()
                .filter_map(|(_, b)| value(&root, b, "policy_arn").as_str().map(String::from))
                .collect();
            for (resource, _) in of_kind(&root, "aws_iam_policy") {
                let arn = format!("aws_iam_policy.{resource}.arn");
                assert!(
                    attached.contains(&arn),
                    "{name}: iam/{dir}: {resource} is attached to nothing"
                );
                policies += 1;
            }
        }
    }
    assert!(policies >= 5, "only {policies} policies");
}

/// Every TargetGroupBinding of a target group in another account than the cluster's assumes a
/// role that the target group's root creates, allowed to register targets in exactly it, and
/// the cluster's root lets the controller assume it.
#[test]
fn every_cross_account_target_group_binding_has_a_role_that_exists() {
    let roots = roots(&sample_repo(SAMPLE));
    let mut checked = 0;
    for (_, objects) in sample_objects() {
        for tgb in objects.iter().filter(|o| o.kind == "TargetGroupBinding") {
            let spec = &tgb.body()["spec"];
            let tg = spec["targetGroupARN"].as_str().unwrap();
            let tg_account = tg.split(':').nth(4).unwrap();
            assert_ne!(tg_account, CLUSTER_ACCOUNT);
            let arn = spec["iamRoleArnToAssume"]
                .as_str()
                .unwrap_or_else(|| panic!("{}: no role to assume", tgb.metadata.name));
            let (account, path, name) = split(arn);
            assert_eq!(account, tg_account);
            let (_, root) = root_of(&roots, &account);
            let (resource, _) = role(root, &path, &name);
            let policies = of_kind(root, "aws_iam_role_policy");
            let (_, policy) = policies
                .iter()
                .find(|(_, b)| {
                    value(root, b, "role") == format!("aws_iam_role.{resource}.id").as_str()
                })
                .expect("the role's permissions");
            let register = &value(root, policy, "policy")["Statement"][0];
            assert_eq!(register["Resource"], serde_json::json!([tg]));
            assert!(
                as_list(&register["Action"])
                    .contains(&"elasticloadbalancing:RegisterTargets".into())
            );
            let (_, cluster) = root_of(&roots, CLUSTER_ACCOUNT);
            let assumable: Vec<Value> = of_kind(cluster, "aws_iam_policy")
                .into_iter()
                .flat_map(|(_, b)| as_list(&value(cluster, b, "policy")["Statement"]))
                .filter(|st| st["Action"] == "sts:AssumeRole")
                .flat_map(|st| as_list(&st["Resource"]))
                .collect();
            assert!(
                assumable.contains(&arn.into()),
                "the controller may not assume {arn}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 1);
}

/// `terraform validate` passes on every root of the sample.
#[test]
fn terraform_validates_every_root_of_the_sample() {
    let tree = sample_repo(SAMPLE);
    let roots = roots(&tree);
    let dirs: Vec<&str> = roots.keys().map(String::as_str).collect();
    assert_eq!(dirs, ["platform", "shop-dev", "shop-prod", "tooling"]);
    validate_roots(&tree, SAMPLE);
}

/// Images of ECR repositories of another account get a repository policy in that account's
/// root (pull for the cluster's node role, and for the ECS accounts that pull today) and a
/// warning; certificates and file systems of another account each get a warning naming them.
#[test]
fn cross_account_images_certificates_and_file_systems_have_a_policy_or_a_warning() {
    let roots = roots(&sample_repo(SAMPLE));
    let (mut images, mut certificates, mut file_systems) = (0, 0, 0);
    for (w, objects) in sample_objects() {
        for o in &objects {
            let body = o.body();
            let containers = body["spec"]["template"]["spec"]["containers"].as_array();
            for image in containers
                .into_iter()
                .flatten()
                .filter_map(|c| c["image"].as_str())
            {
                let Some((account, rest)) = image.split_once(".dkr.ecr.") else {
                    continue;
                };
                let region = rest.split('.').next().unwrap();
                let repository = rest.split_once('/').unwrap().1.split(':').next().unwrap();
                assert!(has_finding(&w, "E2K176", image), "{}: {image}", w.app);
                let (dir, root) = root_of(&roots, account);
                let policy = of_kind(root, "aws_ecr_repository_policy")
                    .into_iter()
                    .find(|(_, b)| string(b, "repository") == repository)
                    .unwrap_or_else(|| panic!("iam/{dir}: no policy for {repository}"))
                    .1;
                let provider = format!("aws.{}", region.replace('-', "_"));
                assert_eq!(attr(policy, "provider").to_string(), provider);
                let principals =
                    as_list(&value(root, policy, "policy")["Statement"][0]["Principal"]["AWS"]);
                assert!(principals.contains(&NODE_ROLE.into()), "{principals:?}");
                assert!(
                    principals.contains(&format!("arn:aws:iam::{}:root", w.account).into())
                        || w.account == account
                );
                images += 1;
            }
            let cert = o
                .metadata
                .annotations
                .get("alb.ingress.kubernetes.io/certificate-arn");
            for arn in cert.into_iter().flat_map(|c| c.split(',')) {
                assert!(!arn.contains(CLUSTER_ACCOUNT));
                assert!(has_finding(&w, "E2K516", arn), "{}: {arn}", w.app);
                certificates += 1;
            }
            if o.kind == "PersistentVolume" && body["spec"]["csi"]["driver"] == "efs.csi.aws.com" {
                let handle = body["spec"]["csi"]["volumeHandle"].as_str().unwrap();
                let fs = handle.split(':').next().unwrap();
                assert!(has_finding(&w, "E2K573", fs), "{}: {fs}", w.app);
                file_systems += 1;
            }
        }
    }
    // orders, products (dev, prod) and invoices (prod); the Ingresses of orders (its rule, and
    // the listener's default action, which it carries) and products; the file systems of
    // products.
    assert_eq!((images, certificates, file_systems), (5, 6, 2));
    let (_, tooling) = root_of(&roots, "555555555555");
    assert_eq!(of_kind(tooling, "aws_ecr_repository_policy").len(), 1);
}

/// The store of the platform account's secret, used by both environments (one cluster), is
/// one object, owned by one Argo CD Application.
#[test]
fn a_store_used_by_several_environments_is_one_object_with_one_owner() {
    let tree = sample_repo(SAMPLE);
    let name = "name: aws-secrets-manager-444444444444-eu-west-1";
    let holders: Vec<&String> = tree
        .iter()
        .filter(|(p, text)| p.starts_with("platform/") && text.lines().any(|l| l.trim() == name))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(
        holders,
        ["platform/secret-stores/dev/clustersecretstore.yaml"]
    );
    let text = &tree[holders[0]];
    let at = text.find(name).unwrap();
    let store = &text[at..text[at..].find("---").map_or(text.len(), |e| at + e)];
    assert!(
        store.contains("- orders-dev") && store.contains("- orders-prod"),
        "{store}"
    );
}

/// Without a cluster account the cluster is taken to be in each workload's own account, and the
/// report says so once.
#[test]
fn without_a_cluster_account_the_report_says_so_once() {
    let report = &sample_repo("iam")["MIGRATION_REPORT.md"];
    assert_eq!(report.matches("No cluster account is given").count(), 1);
    let report = &sample_repo(SAMPLE)["MIGRATION_REPORT.md"];
    assert!(!report.contains("No cluster account is given"));
    assert!(report.contains("## Cross-account wiring"));
}

/// "Going live" names every Terraform root the repository holds, the tooling account's (only
/// ECR repository policies) included.
#[test]
fn going_live_applies_every_root() {
    let tree = sample_repo(SAMPLE);
    let report = &tree["MIGRATION_REPORT.md"];
    let step = report
        .lines()
        .find(|l| l.contains("**Create the AWS side**"))
        .expect("a step creating the AWS side");
    for dir in roots(&tree).keys() {
        assert!(step.contains(&format!("`iam/{dir}`")), "{dir}: {step}");
    }
}
