//! Images: on EKS the cluster's nodes pull them, with the node role of the cluster's account.
//! An ECR repository of another account (a workload account, or a shared tooling account) must
//! grant that pull in a repository policy, which that account's Terraform root writes (the
//! pass `passes::cross_account` gathers them); other registries need nothing of ours.

use crate::diagnostics::{Code, Findings};
use crate::mappings::Cluster;
use crate::model::ecs::TaskDefinition;
use crate::model::fields::join;
use crate::model::target::facts::EcrRepository;

/// The ECR repository `image` is in, when it is one:
/// `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<name>[:tag][@digest]`.
pub fn ecr_repository(image: &str) -> Option<EcrRepository> {
    let (host, path) = image.split_once('/')?;
    let mut labels = host.split('.');
    let account = labels.next()?;
    let (dkr, ecr, region) = (labels.next()?, labels.next()?, labels.next()?);
    let amazon = labels.next() == Some("amazonaws");
    let is_ecr = dkr == "dkr" && (ecr == "ecr" || ecr == "ecr-fips");
    if !(amazon && is_ecr && account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let name = path.split('@').next().unwrap_or(path);
    // A tag follows the last `:` after the last `/`.
    let name = match name.rsplit_once(':') {
        Some((n, tag)) if !tag.contains('/') => n,
        _ => name,
    };
    Some(EcrRepository {
        account: account.to_string(),
        region: region.to_string(),
        name: name.to_string(),
    })
}

/// The ECR repositories of the task's images that are in another account than the cluster's
/// (a workload of `account` goes to `cluster`), sorted, once each; E2K176 for each container
/// that pulls from one.
pub fn foreign(
    td: &TaskDefinition,
    td_path: &str,
    cluster: &Cluster,
    account: &str,
    findings: &mut Findings,
) -> Vec<EcrRepository> {
    let mut out = Vec::new();
    for (i, c) in td.container_definitions.iter().enumerate() {
        let image = c.image.as_deref().unwrap_or("");
        let Some(repo) = ecr_repository(image) else {
            continue;
        };
        if cluster.holds(&repo.account, account) {
            continue;
        }
        findings.push(
            Code::CrossAccountImage,
            join(td_path, &format!("containerDefinitions[{i}].image")),
            format!(
                "image {image} is in ECR repository {} of account {} ({}); the cluster's nodes in account {} pull it once the Terraform root of account {} grants them (ecr.tf)",
                repo.name,
                repo.account,
                repo.region,
                cluster.account(account),
                repo.account
            ),
        );
        out.push(repo);
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecr_images_name_their_repository_and_others_none() {
        let repo = |a: &str, r: &str, n: &str| {
            Some(EcrRepository {
                account: a.into(),
                region: r.into(),
                name: n.into(),
            })
        };
        assert_eq!(
            ecr_repository("555555555555.dkr.ecr.eu-west-1.amazonaws.com/shop/orders:1.4.2"),
            repo("555555555555", "eu-west-1", "shop/orders")
        );
        assert_eq!(
            ecr_repository("111111111111.dkr.ecr-fips.us-east-1.amazonaws.com/api@sha256:abc"),
            repo("111111111111", "us-east-1", "api")
        );
        assert_eq!(
            ecr_repository("111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn/api"),
            repo("111111111111", "cn-north-1", "api")
        );
        for other in [
            "nginx:1.27",
            "public.ecr.aws/nginx/nginx:1.27",
            "ghcr.io/org/app:1",
            "registry.example.com:5000/app:1",
            "localhost/app",
        ] {
            assert_eq!(ecr_repository(other), None, "{other}");
        }
    }

    #[test]
    fn only_images_of_another_account_than_the_clusters_are_foreign() {
        let td: TaskDefinition = serde_json::from_str(
            r#"{"containerDefinitions": [
                {"name": "a", "image": "555555555555.dkr.ecr.eu-west-1.amazonaws.com/shop/a:1"},
                {"name": "b", "image": "555555555555.dkr.ecr.eu-west-1.amazonaws.com/shop/a:2"},
                {"name": "c", "image": "111111111111.dkr.ecr.eu-west-1.amazonaws.com/c:1"},
                {"name": "d", "image": "fluent/fluent-bit:3"}]}"#,
        )
        .unwrap();
        let mut findings = Findings::default();
        let cluster = Cluster::default();
        let repos = foreign(
            &td,
            "taskDefinition",
            &cluster,
            "111111111111",
            &mut findings,
        );
        assert_eq!(repos.len(), 1);
        assert_eq!(repos[0].name, "shop/a");
        let fields: Vec<&str> = findings.list.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "taskDefinition.containerDefinitions[0].image",
                "taskDefinition.containerDefinitions[1].image"
            ]
        );
        let platform = Cluster {
            account: Some("444444444444".into()),
            ..Cluster::default()
        };
        let repos = foreign(
            &td,
            "td",
            &platform,
            "111111111111",
            &mut Findings::default(),
        );
        assert_eq!(
            repos.len(),
            2,
            "the workload's own ECR is another account now"
        );
    }
}
