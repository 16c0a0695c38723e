//! Security groups for pods: on ECS every `awsvpc` task carries its service's security groups,
//! and databases, caches and internal endpoints admit traffic by them. With the VPC CNI a pod has
//! its node's groups unless a `SecurityGroupPolicy` (the VPC resource controller's) puts others on
//! it; without one, those rules stop matching. Also what else of `awsvpcConfiguration` the pods
//! cannot keep (a public IP).

use crate::diagnostics::{Code, Findings};
use crate::inventory::Inventory;
use crate::mappings::SecurityGroups;
use crate::model::ecs::{AwsVpcConfiguration, Service};
use crate::model::fields::join;
use crate::model::k8s::{Map, Object, ObjectMeta};
use crate::model::read::{Inputs, Sourced};
use serde_json::json;

/// Where the workload goes: what the checks compare the service's groups with.
pub struct Cluster<'a> {
    pub environment: &'a str,
    /// The service's account.
    pub account: &'a str,
    /// The cluster's account (mappings `iam.clusters.<env>`, else the inventory), when known.
    pub cluster_account: Option<&'a str>,
    /// The pods run on Windows nodes, where Security Groups for Pods does not work.
    pub windows: bool,
    pub inventory: Option<&'a Inventory>,
    pub inputs: &'a Inputs,
}

/// The `SecurityGroupPolicy` that puts the service's security groups on its pods (mapping
/// `securityGroupPolicy`), or nothing and a warning naming the groups (`none`); the findings of
/// the rest of `awsvpcConfiguration`.
pub fn policy(
    service: &Sourced<Service>,
    mode: SecurityGroups,
    (metadata, selector): (ObjectMeta, &Map),
    cluster: &Cluster<'_>,
    findings: &mut Findings,
) -> Option<Object> {
    let at = join(&service.path, "networkConfiguration.awsvpcConfiguration");
    let vpc = service
        .value
        .network_configuration
        .as_ref()?
        .awsvpc_configuration
        .as_ref()?;
    public_ip(vpc, &at, findings);
    let groups = &vpc.security_groups;
    if groups.is_empty() {
        return None;
    }
    let at = join(&at, "securityGroups");
    let list = groups.join(", ");
    if mode == SecurityGroups::None {
        findings.push(
            Code::SecurityGroupsDropped,
            at,
            format!("security groups {list} are not put on the pods: the inbound rules that admit them no longer match these pods"),
        );
        return None;
    }
    if cluster.windows {
        findings.push(
            Code::SecurityGroupsWindows,
            at,
            format!("security groups {list} cannot go on Windows pods: the inbound rules that admit them no longer match these pods"),
        );
        return None;
    }
    findings.push(
        Code::SecurityGroupPolicy,
        at.as_str(),
        format!(
            "security groups {list} go on the pods through SecurityGroupPolicy {}",
            metadata.name
        ),
    );
    check_vpc(groups, &at, cluster, findings);
    let spec = json!({
        "podSelector": {"matchLabels": selector},
        "securityGroups": {"groupIds": groups},
    });
    Some(Object::new(
        "vpcresources.k8s.aws/v1beta1",
        "SecurityGroupPolicy",
        metadata,
        json!({ "spec": spec }),
    ))
}

/// `assignPublicIp: ENABLED`: a pod gets no public address.
fn public_ip(vpc: &AwsVpcConfiguration, at: &str, findings: &mut Findings) {
    if vpc
        .assign_public_ip
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("ENABLED"))
    {
        findings.push(
            Code::PublicIp,
            join(at, "assignPublicIp"),
            "the tasks had public IPs (assignPublicIp ENABLED); the pods get none, so what they reach on the internet goes through NAT",
        );
    }
}

/// Each group must be in the cluster's VPC: a warning per group in another VPC, or one info
/// finding saying what could not be checked and why.
fn check_vpc(groups: &[String], at: &str, cluster: &Cluster<'_>, findings: &mut Findings) {
    let environment = cluster
        .inventory
        .and_then(|inv| inv.environment(cluster.environment));
    let cluster_vpc = environment.and_then(|e| e.cluster_vpc_id.as_deref());
    let mut unknown = Vec::new();
    for id in groups {
        let vpc = cluster
            .inputs
            .security_group(id)
            .and_then(|g| g.value.vpc_id.as_deref().map(|v| (g, v)));
        match (vpc, cluster_vpc) {
            (Some((g, vpc)), Some(cluster_vpc)) if vpc != cluster_vpc => {
                let name = g.value.group_name.as_deref().unwrap_or("");
                findings.push(
                    Code::SecurityGroupOtherVpc,
                    at,
                    format!(
                        "security group {id}{} is in VPC {vpc}, the cluster of environment {} in VPC {cluster_vpc}: it cannot go on the pods",
                        if name.is_empty() { String::new() } else { format!(" ({name})") },
                        cluster.environment
                    ),
                );
            }
            (Some(_), Some(_)) => {}
            _ => unknown.push(id.as_str()),
        }
    }
    if unknown.is_empty() {
        return;
    }
    let why = match cluster_vpc {
        None => format!(
            "the inventory gives no clusterVpcId for environment {}",
            cluster.environment
        ),
        Some(_) => "no describe-security-groups input names them".to_string(),
    };
    let other_account = cluster
        .cluster_account
        .filter(|a| !cluster.account.is_empty() && *a != cluster.account)
        .map(|a| format!("; the service's account {} is not the cluster's ({a}): unless both use one shared VPC, the groups cannot go on the pods", cluster.account))
        .unwrap_or_default();
    findings.push(
        Code::SecurityGroupVpcUnchecked,
        at,
        format!(
            "whether security groups {} are in the cluster's VPC was not checked: {why}{other_account}",
            unknown.join(", ")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(network: serde_json::Value) -> Sourced<Service> {
        Sourced {
            input: "services.json".into(),
            path: "services[0]".into(),
            value: serde_json::from_value(
                json!({"serviceName": "orders", "networkConfiguration": network}),
            )
            .unwrap(),
            findings: Vec::new(),
        }
    }

    fn run(
        s: &Sourced<Service>,
        mode: SecurityGroups,
        windows: bool,
    ) -> (Option<Object>, Vec<&'static str>) {
        let inputs = Inputs::default();
        let cluster = Cluster {
            environment: "prod",
            account: "444444444444",
            cluster_account: None,
            windows,
            inventory: None,
            inputs: &inputs,
        };
        let meta = ObjectMeta {
            name: "orders".into(),
            ..ObjectMeta::default()
        };
        let selector: Map = [("app.kubernetes.io/name".to_string(), "orders".to_string())].into();
        let mut findings = Findings::default();
        let object = policy(s, mode, (meta, &selector), &cluster, &mut findings);
        let codes = findings.list.iter().map(|f| f.code.as_str()).collect();
        (object, codes)
    }

    #[test]
    fn groups_become_a_policy_or_a_warning() {
        let s = service(
            json!({"awsvpcConfiguration": {"securityGroups": ["sg-1", "sg-2"], "assignPublicIp": "ENABLED"}}),
        );
        let (object, codes) = run(&s, SecurityGroups::SecurityGroupPolicy, false);
        let object = object.unwrap();
        assert_eq!(
            object.body()["spec"]["securityGroups"]["groupIds"],
            json!(["sg-1", "sg-2"])
        );
        assert_eq!(codes, ["E2K320", "E2K316", "E2K319"]);
        let (object, codes) = run(&s, SecurityGroups::None, false);
        assert!(object.is_none());
        assert_eq!(codes, ["E2K320", "E2K317"]);
        // Security Groups for Pods does not work on Windows nodes.
        let (object, codes) = run(&s, SecurityGroups::SecurityGroupPolicy, true);
        assert!(object.is_none());
        assert_eq!(codes, ["E2K320", "E2K321"]);
    }

    #[test]
    fn no_groups_no_policy() {
        let s = service(
            json!({"awsvpcConfiguration": {"subnets": ["subnet-1"], "assignPublicIp": "DISABLED"}}),
        );
        let (object, codes) = run(&s, SecurityGroups::SecurityGroupPolicy, false);
        assert!(object.is_none() && codes.is_empty());
    }
}
