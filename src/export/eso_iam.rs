//! The IAM policy External Secrets Operator needs, as Terraform: `iam/<account>/external-secrets.tf`.
//!
//! One policy per AWS account whose secrets or parameters the workloads read, in that account's
//! Terraform root (the folder `export::terraform` writes the task roles to): exactly those ARNs
//! (`secretsmanager:GetSecretValue`, `ssm:GetParameter(s)`), `kms:Decrypt` through those
//! services for the keys the mappings name, and `sts:AssumeRole` on the roles the stores of the
//! workloads in this account assume. Attach it to ESO's IRSA role in the cluster's account, or,
//! for another account, to the role the stores assume there. Deterministic: ARNs sorted.

use super::{Sink, terraform};
use crate::model::target::Conversion;
use crate::model::target::secrets::SecretAccess;
use serde_json::{Value, json};

pub fn render(conversion: &Conversion, sink: &dyn Sink) {
    for access in &conversion.secret_access {
        let dir = format!("iam/{}", access.directory);
        sink.put(format!("{dir}/external-secrets.tf"), terraform_file(access));
        // `terraform::render` writes versions.tf into every folder that has a role.
        let has_roles = conversion
            .iam_roles
            .iter()
            .any(|r| r.directory == access.directory);
        if !has_roles {
            sink.put(
                format!("{dir}/versions.tf"),
                terraform::VERSIONS.to_string(),
            );
        }
    }
}

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

/// The Terraform text of one account's policy.
pub fn terraform_file(a: &SecretAccess) -> String {
    let readers: Vec<&str> = a.readers.iter().map(String::as_str).collect();
    let mut out = format!(
        "# Written by ecs2eks: what External Secrets Operator may read in account {}, for {}.\n\
         # Attach it to ESO's IRSA role (same account) or to the role its stores assume here.\n",
        a.account,
        readers.join(", ")
    );
    out.push_str(&terraform::iam_policy(
        "external_secrets",
        "external-secrets-read",
        "Read access of External Secrets Operator to the secrets the migrated ECS workloads use",
        &policy(a),
    ));
    out
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
    fn file_goes_to_the_account_folder() {
        let conversion = Conversion {
            secret_access: vec![access()],
            ..Conversion::default()
        };
        let render_tree = || {
            let sink = crate::export::TreeSink::default();
            render(&conversion, &sink);
            sink.into_tree()
        };
        let tree = render_tree();
        let tf = &tree["iam/shop-prod/external-secrets.tf"];
        assert!(tf.contains("resource \"aws_iam_policy\" \"external_secrets\""));
        assert!(tf.contains("secret:a-AbCdEf"));
        assert!(tree.contains_key("iam/shop-prod/versions.tf"));
        assert_eq!(tree, render_tree());
    }
}
