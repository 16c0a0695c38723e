//! The IAM side of External Secrets Operator, as Terraform: `iam/<account>/external-secrets.tf`.
//!
//! One policy per AWS account whose secrets or parameters the workloads read, in that account's
//! Terraform root (`export::roots`): exactly those ARNs (`secretsmanager:GetSecretValue`,
//! `ssm:GetParameter(s)`), `kms:Decrypt` through those services for the keys the mappings name,
//! and `sts:AssumeRole` on the roles the stores assume. The policy is always attached: to ESO's
//! own role, for the environments whose cluster is in this account, and to each role the stores
//! of other accounts' clusters assume here, which this file creates trusting their ESO roles.
//! Deterministic: ARNs sorted.

use super::terraform::{self, Hcl, block, quote, text};
use crate::model::iam::split_role;
use crate::model::target::cluster::{ClusterValue, Clusters};
use crate::model::target::iam::{Text, ident};
use crate::model::target::secrets::SecretAccess;
use serde_json::{Value, json};

/// The policy document (IAM JSON) of one account.
pub fn policy(a: &SecretAccess) -> Value {
    let mut statements = Vec::new();
    let list = |set: &std::collections::BTreeSet<String>| -> Value {
        Value::Array(set.iter().map(|s| json!(s)).collect())
    };
    if !a.secrets.is_empty() {
        statements.push(json!({
            "Sid": "ReadSecretsManagerSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": list(&a.secrets),
        }));
    }
    if !a.parameters.is_empty() {
        statements.push(json!({
            "Sid": "ReadParameterStoreParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": list(&a.parameters),
        }));
    }
    if !a.kms_keys.is_empty() {
        statements.push(json!({
            "Sid": "DecryptThroughSecretsServices",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": list(&a.kms_keys),
            "Condition": { "StringLike": { "kms:ViaService": ["secretsmanager.*.amazonaws.com", "ssm.*.amazonaws.com"] } },
        }));
    }
    if !a.assume_roles.is_empty() {
        statements.push(json!({
            "Sid": "AssumeSecretStoreRoles",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": list(&a.assume_roles),
        }));
    }
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The Terraform text of one account's policy, its attachments and the reader roles.
pub fn terraform_file(a: &SecretAccess, clusters: &Clusters) -> String {
    let readers: Vec<&str> = a.readers.iter().map(String::as_str).collect();
    let mut out = format!(
        "# Written by ecs2eks: what External Secrets Operator may read in account {}, for {}.\n\
         # Attached below to what reads here: ESO's own role (a cluster in this account), or the\n\
         # role the stores of a cluster in another account assume.\n",
        a.account,
        readers.join(", ")
    );
    out.push_str(&terraform::iam_policy(
        "external_secrets",
        "external-secrets-read",
        "Read access of External Secrets Operator to the secrets the migrated ECS workloads use",
        &policy(a),
    ));
    // ESO's own role, once per role (environments of one cluster name the same one).
    let mut attached: Vec<(Text, Vec<&str>)> = Vec::new();
    for env in &a.eso_environments {
        let role = clusters.value(env, ClusterValue::ExternalSecretsRoleName);
        match attached.iter_mut().find(|(r, _)| *r == role) {
            Some((_, envs)) => envs.push(env),
            None => attached.push((role, vec![env])),
        }
    }
    for (role, envs) in attached {
        out.push_str(&format!(
            "\n# External Secrets Operator of the cluster of environment(s) {} reads here with its own role.\n",
            envs.join(", ")
        ));
        out.push_str(&attachment(
            &format!("external_secrets_{}", ident(envs[0])),
            text(&role),
        ));
    }
    for (arn, environments) in &a.reader_roles {
        out.push('\n');
        out.push_str(&reader_role(arn, environments, clusters));
    }
    out
}

/// The role `arn` that stores assume to read this account, trusting the ESO roles of
/// `environments`, with the policy attached.
fn reader_role(
    arn: &str,
    environments: &std::collections::BTreeSet<String>,
    clusters: &Clusters,
) -> String {
    let (_, _, name) = split_role(arn);
    let resource = ident(&name);
    let trusted = clusters.values(environments, ClusterValue::ExternalSecretsRoleArn);
    let envs: Vec<&str> = environments.iter().map(String::as_str).collect();
    let mut out = format!(
        "# The role the secret stores of environment(s) {} assume to read this account.\n",
        envs.join(", ")
    );
    out.push_str(&terraform::assumable_role(
        arn,
        "Assumed by External Secrets Operator of the EKS cluster to read this account's secrets",
        &trusted,
    ));
    out.push('\n');
    out.push_str(&attachment(
        &resource,
        Hcl::Expr(format!("aws_iam_role.{resource}.name")),
    ));
    out
}

/// `aws_iam_role_policy_attachment` `resource` of the policy to `role` (a role name).
fn attachment(resource: &str, role: Hcl) -> String {
    block(
        &format!(
            "resource \"aws_iam_role_policy_attachment\" {}",
            quote(resource)
        ),
        vec![
            ("role".into(), role),
            (
                "policy_arn".into(),
                Hcl::Expr("aws_iam_policy.external_secrets.arn".into()),
            ),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access() -> SecretAccess {
        SecretAccess {
            account: "333333333333".into(),
            directory: "shop-prod".into(),
            secrets: [
                "arn:aws:secretsmanager:eu-west-1:333333333333:secret:b-AbCdEf".to_string(),
                "arn:aws:secretsmanager:eu-west-1:333333333333:secret:a-AbCdEf".to_string(),
            ]
            .into(),
            parameters: ["arn:aws:ssm:eu-west-1:333333333333:parameter/x".to_string()].into(),
            kms_keys: Default::default(),
            assume_roles: Default::default(),
            readers: ["billing-api (prod)".to_string()].into(),
            eso_environments: ["prod".to_string()].into(),
            reader_roles: Default::default(),
        }
    }

    #[test]
    fn policy_lists_exact_arns_sorted_and_nothing_else() {
        let p = policy(&access());
        let st = p["Statement"].as_array().unwrap();
        assert_eq!(st.len(), 2);
        assert_eq!(
            st[0]["Resource"],
            json!([
                "arn:aws:secretsmanager:eu-west-1:333333333333:secret:a-AbCdEf",
                "arn:aws:secretsmanager:eu-west-1:333333333333:secret:b-AbCdEf"
            ])
        );
        assert_eq!(
            st[1]["Action"],
            json!(["ssm:GetParameter", "ssm:GetParameters"])
        );
    }

    #[test]
    fn file_goes_to_the_account_folder_and_attaches_the_policy_to_esos_role() {
        let conversion = crate::model::target::Conversion {
            secret_access: vec![access()],
            ..Default::default()
        };
        let render_tree = || {
            let sink = crate::export::TreeSink::default();
            crate::export::iam_roots::render(&conversion, &sink);
            sink.into_tree()
        };
        let tree = render_tree();
        let tf = &tree["iam/shop-prod/external-secrets.tf"];
        assert!(tf.contains("resource \"aws_iam_policy\" \"external_secrets\""));
        assert!(tf.contains("secret:a-AbCdEf"));
        assert!(
            tf.contains("role       = var.external_secrets_role_name_prod"),
            "{tf}"
        );
        assert!(tree["iam/shop-prod/variables.tf"].contains("external_secrets_role_name_prod"));
        assert!(
            tree["iam/shop-prod/versions.tf"].contains("allowed_account_ids = [\"333333333333\"]")
        );
        assert_eq!(tree, render_tree());
    }

    /// A store of a cluster in another account assumes a role here: it is created, trusts the
    /// ESO role of each environment once, and gets the policy.
    #[test]
    fn reader_roles_trust_esos_role_and_get_the_policy() {
        let mut a = access();
        a.eso_environments.clear();
        let role = "arn:aws:iam::333333333333:role/eso/external-secrets-reader";
        a.reader_roles
            .insert(role.into(), ["dev".into(), "prod".into()].into());
        let m = crate::mappings::Mappings::load(Some((
            "m.yaml",
            "iam:\n  clusters:\n    prod: {externalSecretsRole: \"arn:aws:iam::444444444444:role/eso\"}\n",
        )))
        .unwrap();
        let clusters = Clusters::new(&m, None);
        let tf = terraform_file(&a, &clusters);
        let body: hcl::Body = hcl::from_str(&tf).unwrap();
        let kinds: Vec<String> = body
            .blocks()
            .map(|b| {
                b.labels()
                    .iter()
                    .map(|l| l.as_str())
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect();
        assert_eq!(
            kinds,
            [
                "aws_iam_policy.external_secrets",
                "aws_iam_role.external_secrets_reader",
                "aws_iam_role_policy_attachment.external_secrets_reader"
            ]
        );
        assert!(tf.contains("path        = \"/eso/\""), "{tf}");
        assert!(tf.contains("var.external_secrets_role_arn_dev,"), "{tf}");
        assert!(
            tf.contains("\"arn:aws:iam::444444444444:role/eso\","),
            "{tf}"
        );
    }
}
