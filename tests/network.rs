//! Issue 21: an `awsvpc` service's security groups follow its pods (SecurityGroupPolicy), or a
//! warning names what breaks; groups outside the cluster's VPC, and public IPs, are warnings.

use crate::common::{Made, fields, found, object, sample_repo, workloads};
use ecs2eks::Converted;
use ecs2eks::export::report;
use ecs2eks::inventory::Inventory;
use ecs2eks::mappings::Mappings;
use serde_json::{Value, json};
use std::path::PathBuf;

const FIXTURE: &str = "tests/fixtures/security-groups";

fn inventory(text: &str) -> Inventory {
    Inventory::parse("inventory.yaml", text).unwrap()
}

fn fixture_inventory() -> Inventory {
    inventory(&std::fs::read_to_string(format!("{FIXTURE}/inventory.yaml")).unwrap())
}

fn convert(mappings: &Mappings, inventory: &Inventory) -> Converted {
    ecs2eks::convert(&[PathBuf::from(FIXTURE)], mappings, Some(inventory)).unwrap()
}

fn orders(c: &Converted) -> Made<'_> {
    workloads(c).find(|w| w.app == "orders").unwrap()
}

/// The findings of `code`: their messages.
fn messages(w: Made<'_>, code: &str) -> Vec<String> {
    found(&w, code)
        .into_iter()
        .map(|(_, message)| message)
        .collect()
}

#[test]
fn security_groups_become_a_security_group_policy_selecting_the_pods() {
    let c = convert(&Mappings::defaults(), &fixture_inventory());
    let w = orders(&c);
    let policy = object(w, "SecurityGroupPolicy");
    assert_eq!(policy["apiVersion"], "vpcresources.k8s.aws/v1beta1");
    assert_eq!(policy["metadata"]["namespace"], "orders-prod");
    assert_eq!(
        policy["spec"],
        json!({
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "orders"}},
            "securityGroups": {"groupIds": ["sg-0orders000000001", "sg-0shared00000002"]},
        })
    );
    let deployment = object(w, "Deployment");
    assert_eq!(
        deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"],
        "orders"
    );
    assert_eq!(messages(w, "E2K316").len(), 1);
    // Only the subnets stay a finding of their own.
    assert_eq!(
        fields(&w, "E2K111"),
        ["services[0].networkConfiguration.awsvpcConfiguration.subnets"]
    );
}

#[test]
fn a_group_outside_the_clusters_vpc_is_a_warning_naming_it() {
    let c = convert(&Mappings::defaults(), &fixture_inventory());
    let w = orders(&c);
    let other = messages(w, "E2K318");
    assert_eq!(other.len(), 1, "{other:?}");
    assert!(
        other[0].contains("sg-0orders000000001 (orders-tasks)"),
        "{other:?}"
    );
    assert!(
        other[0].contains("vpc-0ecs0000000000444") && other[0].contains("vpc-0eks0000000000999")
    );
    // The group of the cluster's VPC is fine, and everything was checked.
    assert!(!other[0].contains("sg-0shared00000002"));
    assert!(messages(w, "E2K319").is_empty());
}

#[test]
fn without_the_clusters_vpc_the_check_says_it_was_not_made() {
    let inv = inventory(
        "accounts:\n  - {id: \"444444444444\", environment: prod}\nenvironments:\n  prod: {clusterAccount: \"999999999999\"}\n",
    );
    let c = convert(&Mappings::defaults(), &inv);
    let w = orders(&c);
    assert!(messages(w, "E2K318").is_empty());
    let unchecked = messages(w, "E2K319");
    assert_eq!(unchecked.len(), 1, "{unchecked:?}");
    let m = &unchecked[0];
    assert!(m.contains("sg-0orders000000001, sg-0shared00000002"), "{m}");
    assert!(m.contains("no clusterVpcId for environment prod"), "{m}");
    assert!(
        m.contains("444444444444 is not the cluster's (999999999999)"),
        "{m}"
    );
}

#[test]
fn mapping_none_writes_no_policy_and_names_the_groups() {
    let mappings = Mappings::load(Some(("m.yaml", "network:\n  securityGroups: none\n"))).unwrap();
    let c = convert(&mappings, &fixture_inventory());
    let w = orders(&c);
    assert!(w.objects.iter().all(|o| o.kind != "SecurityGroupPolicy"));
    let dropped = messages(w, "E2K317");
    assert_eq!(dropped.len(), 1);
    assert!(dropped[0].contains("sg-0orders000000001, sg-0shared00000002"));
    assert!(messages(w, "E2K316").is_empty() && messages(w, "E2K318").is_empty());
    assert_eq!(w.footprint.branch_eni_pods, 0);
    assert!(!report::markdown(&c.conversion).contains("Turn on Security Groups for Pods"));
}

#[test]
fn a_public_ip_is_a_warning() {
    let c = convert(&Mappings::defaults(), &fixture_inventory());
    let w = orders(&c);
    let f: Vec<_> = w
        .findings
        .iter()
        .filter(|f| f.code.as_str() == "E2K320")
        .collect();
    assert_eq!(f.len(), 1);
    assert_eq!(
        f[0].field,
        "services[0].networkConfiguration.awsvpcConfiguration.assignPublicIp"
    );
    assert!(f[0].input.ends_with("describe-services.json"));
}

#[test]
fn the_report_gives_the_prerequisites_once_and_counts_branch_eni_pods() {
    let c = convert(&Mappings::defaults(), &fixture_inventory());
    let w = orders(&c);
    // 3 tasks on EC2, a rollout surges to 6: each takes a branch ENI.
    assert_eq!(w.footprint.branch_eni_pods, w.footprint.pod_ips);
    assert!(w.footprint.branch_eni_pods >= 3);
    let md = report::markdown(&c.conversion);
    assert_eq!(md.matches("Turn on Security Groups for Pods").count(), 1);
    for needed in [
        "ENABLE_POD_ENI=true",
        "AmazonEKSVPCResourceController",
        "Nitro",
        "Fargate need nothing extra",
    ] {
        assert!(md.contains(needed), "{needed}");
    }
    assert!(md.contains("| branch ENI pods |"));
    let json: Value = serde_json::from_str(&report::json(&c.conversion)).unwrap();
    assert_eq!(
        json["capacity"][0]["branchEniPods"],
        json!(w.footprint.branch_eni_pods)
    );
}

#[test]
fn fargate_pods_need_no_branch_eni_and_overlays_carry_each_environments_groups() {
    // batch's catalog runs on Fargate in three accounts, each with its own group.
    let (c, _, _) = crate::common::convert_sample("batch");
    let catalog = workloads(&c).find(|w| w.app == "catalog").unwrap();
    assert!(catalog.facts.security_group_policy);
    assert_eq!(catalog.footprint.branch_eni_pods, 0);
    let tree = sample_repo("batch");
    let base = &tree["apps/catalog/base/securitygrouppolicy.yaml"];
    assert!(base.contains("- sg-0911af3db1c548a27"), "{base}");
    let prod = &tree["apps/catalog/overlays/prod/kustomization.yaml"];
    let at = prod
        .find("kind: SecurityGroupPolicy")
        .expect("a patch of the policy");
    let patch = &prod[at..];
    // Replaced only where the base still holds dev's group (a JSON 6902 test first).
    assert!(patch.contains("op: test"), "{patch}");
    assert!(patch.contains("value: sg-0911af3db1c548a27"), "{patch}");
    assert!(patch.contains("value: sg-07cdc17540e946d89"), "{patch}");
    let md = &tree["MIGRATION_REPORT.md"];
    assert!(md.contains("Turn on Security Groups for Pods"));
}
