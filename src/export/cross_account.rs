//! The Terraform of a root that wires it to a cluster in another account (or lets that
//! cluster in): the IAM OIDC provider of the cluster's issuer, which IRSA roles of this account
//! trust (`oidc-providers.tf`); the role the AWS Load Balancer Controller assumes to register
//! pods in this account's target groups, and, in the cluster's account, its permission to
//! assume such roles (`target-group-binding.tf`); the repository policies that let the
//! cluster's nodes pull this account's ECR images (`ecr.tf`).

use super::roots::Root;
use super::terraform::{
    Hcl, assumable_role, block, escape, iam_policy, quote, region_alias, template, text,
};
use crate::model::iam::split_role;
use crate::model::target::cluster::{ClusterValue, Clusters};
use crate::model::target::cross_account::{ControllerAccess, RepositoryPolicy, TargetGroupRole};
use crate::model::target::iam::ident;
use serde_json::json;
use std::collections::BTreeSet;

/// The root's cross-account files: (file name, text).
pub fn files(root: &Root<'_>, clusters: &Clusters) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if !root.oidc_providers.is_empty() {
        out.push(("oidc-providers.tf", oidc_providers(root)));
    }
    if !root.target_group_roles.is_empty() || !root.controller_access.is_empty() {
        let mut blocks: Vec<String> = root
            .target_group_roles
            .iter()
            .map(|r| target_group_role(r, clusters))
            .collect();
        blocks.extend(
            root.controller_access
                .iter()
                .map(|c| controller_access(c, clusters)),
        );
        out.push(("target-group-binding.tf", blocks.join("\n")));
    }
    if !root.repository_policies.is_empty() {
        out.push(("ecr.tf", repository_policies(&root.repository_policies)));
    }
    out
}

/// One `aws_iam_openid_connect_provider` per cluster issuer the root's IRSA roles trust.
fn oidc_providers(root: &Root<'_>) -> String {
    let mut out = String::from(
        "# Written by ecs2eks: the IAM OIDC providers of the EKS clusters in other accounts whose\n\
         # pods assume this account's roles (IRSA). A role trusts a provider of its own account only.\n\
         # If one exists already for an issuer, import it: terraform import aws_iam_openid_connect_provider.<name> <its ARN>\n",
    );
    for (issuer, (resource, environments)) in &root.oidc_providers {
        let envs: Vec<&str> = environments.iter().copied().collect();
        out.push_str(&format!(
            "\n# The cluster of environment(s) {}.\n",
            envs.join(", ")
        ));
        out.push_str(&block(
            &format!(
                "resource \"aws_iam_openid_connect_provider\" {}",
                quote(resource)
            ),
            vec![
                (
                    "url".into(),
                    Hcl::Str(format!("https://{}", template(issuer))),
                ),
                (
                    "client_id_list".into(),
                    Hcl::List(vec![Hcl::Str("sts.amazonaws.com".into())]),
                ),
            ],
        ));
    }
    out
}

/// The role the controllers of other accounts' clusters assume to register pods in exactly
/// these target groups, with that permission inline.
fn target_group_role(r: &TargetGroupRole, clusters: &Clusters) -> String {
    let (_, _, name) = split_role(&r.arn);
    let resource = ident(&name);
    let trusted = clusters.values(&r.environments, ClusterValue::LoadBalancerControllerRoleArn);
    let groups: Vec<&str> = r.target_groups.iter().map(String::as_str).collect();
    let permissions = json!({
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "RegisterPodsInTheseTargetGroups",
                "Effect": "Allow",
                "Action": ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                "Resource": groups,
            },
            {
                // Describe calls take no resource.
                "Sid": "DescribeTargets",
                "Effect": "Allow",
                "Action": [
                    "elasticloadbalancing:DescribeListeners",
                    "elasticloadbalancing:DescribeLoadBalancers",
                    "elasticloadbalancing:DescribeTargetGroups",
                    "elasticloadbalancing:DescribeTargetHealth",
                ],
                "Resource": "*",
            }
        ],
    });
    let envs: Vec<&str> = r.environments.iter().map(String::as_str).collect();
    let mut out = format!(
        "# Written by ecs2eks: the AWS Load Balancer Controller of the cluster of environment(s) {}\n\
         # assumes this role (TargetGroupBinding iamRoleArnToAssume) to register the pods in these\n\
         # target groups of account {}, next to the ECS tasks.\n",
        envs.join(", "),
        r.account
    );
    out.push_str(&assumable_role(
        &r.arn,
        "Assumed by the AWS Load Balancer Controller of the EKS cluster to register pods in this account's target groups",
        &trusted,
    ));
    out.push('\n');
    out.push_str(&block(
        &format!("resource \"aws_iam_role_policy\" {}", quote(&resource)),
        vec![
            ("name".into(), Hcl::Str("register-targets".into())),
            (
                "role".into(),
                Hcl::Expr(format!("aws_iam_role.{resource}.id")),
            ),
            (
                "policy".into(),
                Hcl::call("jsonencode", super::terraform::from_json(&permissions)),
            ),
        ],
    ));
    out
}

/// In the cluster's account: the controller's role may assume the target group roles of other
/// accounts (a policy attached to it).
fn controller_access(c: &ControllerAccess, clusters: &Clusters) -> String {
    let resource = format!("load_balancer_controller_assume_{}", ident(&c.environment));
    let roles: Vec<&str> = c.roles.iter().map(String::as_str).collect();
    let document = json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AssumeTargetGroupRoles",
            "Effect": "Allow",
            "Action": "sts:AssumeRole",
            "Resource": roles,
        }],
    });
    let mut out = format!(
        "# Written by ecs2eks: the AWS Load Balancer Controller of the cluster of environment {}\n\
         # may assume the target group roles of other accounts.\n",
        c.environment
    );
    out.push_str(&iam_policy(
        &resource,
        &format!("load-balancer-controller-assume-{}", c.environment),
        "Lets the AWS Load Balancer Controller register pods in target groups of other accounts",
        &document,
    ));
    out.push('\n');
    let role = clusters.value(&c.environment, ClusterValue::LoadBalancerControllerRoleName);
    out.push_str(&block(
        &format!(
            "resource \"aws_iam_role_policy_attachment\" {}",
            quote(&resource)
        ),
        vec![
            ("role".into(), text(&role)),
            (
                "policy_arn".into(),
                Hcl::Expr(format!("aws_iam_policy.{resource}.arn")),
            ),
        ],
    ));
    out
}

/// One `aws_ecr_repository_policy` per repository the clusters of other accounts pull from.
fn repository_policies(policies: &[&RepositoryPolicy]) -> String {
    let mut out = String::from(
        "# Written by ecs2eks: the EKS clusters of other accounts pull these repositories' images.\n\
         # A repository policy replaces the repository's whole policy: merge the statements it\n\
         # has now first (aws ecr get-repository-policy --repository-name <name>). The ECS\n\
         # accounts that pull today are kept, so ECS keeps running until it is retired.\n",
    );
    let mut taken = BTreeSet::new();
    for p in policies {
        let repo = &p.repository;
        let mut resource = ident(&repo.name);
        if !taken.insert(resource.clone()) {
            resource = ident(&format!("{}-{}", repo.name, repo.region));
            taken.insert(resource.clone());
        }
        let principals: Vec<&str> = p.principals.iter().map(String::as_str).collect();
        let document = json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "PullFromEks",
                "Effect": "Allow",
                "Principal": {"AWS": principals},
                "Action": ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            }],
        });
        let users: Vec<&str> = p.users.iter().map(String::as_str).collect();
        out.push_str(&format!(
            "\n# {} ({}), pulled by {}.\n",
            repo.name,
            repo.region,
            users.join(", ")
        ));
        out.push_str(&block(
            &format!(
                "resource \"aws_ecr_repository_policy\" {}",
                quote(&resource)
            ),
            vec![
                (
                    "provider".into(),
                    Hcl::Expr(format!("aws.{}", region_alias(&repo.region))),
                ),
                ("repository".into(), Hcl::Str(escape(&repo.name))),
                (
                    "policy".into(),
                    Hcl::call("jsonencode", super::terraform::from_json(&document)),
                ),
            ],
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::target::facts::EcrRepository;

    #[test]
    fn repository_policies_name_their_region_provider_and_stay_unique() {
        let policy = |region: &str| RepositoryPolicy {
            directory: "tooling".into(),
            repository: EcrRepository {
                account: "555555555555".into(),
                region: region.into(),
                name: "shop/orders".into(),
            },
            principals: ["arn:aws:iam::444444444444:root".to_string()].into(),
            users: ["orders (dev)".to_string()].into(),
        };
        let (a, b) = (policy("eu-west-1"), policy("us-east-1"));
        let tf = repository_policies(&[&a, &b]);
        let body: hcl::Body = hcl::from_str(&tf).unwrap();
        let names: Vec<&str> = body.blocks().map(|b| b.labels()[1].as_str()).collect();
        assert_eq!(names, ["shop_orders", "shop_orders_us_east_1"]);
        assert!(tf.contains("provider   = aws.us_east_1"), "{tf}");
        assert!(tf.contains("\"arn:aws:iam::444444444444:root\""), "{tf}");
    }
}
