//! The IAM policy External Secrets Operator needs, as Terraform: `iam/<account>/external-secrets.tf`.
//!
//! One policy per AWS account whose secrets or parameters the workloads read, in that account's
//! Terraform root (the folder `export::terraform` writes the task roles to): exactly those ARNs
//! (`secretsmanager:GetSecretValue`, `ssm:GetParameter(s)`), `kms:Decrypt` through those
//! services for the keys the mappings name, and `sts:AssumeRole` on the roles the stores of the
//! workloads in this account assume. Attach it to ESO's IRSA role in the cluster's account, or,
//! for another account, to the role the stores assume there. Deterministic: ARNs sorted.

use super::{Sink, terraform};
use crate::diagnostics::SpillSet;
use crate::model::secret_access::SecretAccess;
use crate::translate::Conversion;
use serde_json::{Value, json};
use std::io::Write;

/// Each account's file is written as it is rendered: a large run's lists every secret read,
/// streamed from where they wait (`SpillSet`).
pub fn render(conversion: &Conversion, sink: &dyn Sink) {
    for access in &conversion.secret_access {
        let dir = format!("iam/{}", access.directory);
        sink.put_with(format!("{dir}/external-secrets.tf"), &|w| {
            terraform_file_to(access, w)
        });
        // `terraform::render` writes versions.tf into every folder that has a role.
        if !conversion.iam.directories.contains(&access.directory) {
            sink.put(
                format!("{dir}/versions.tf"),
                terraform::VERSIONS.to_string(),
            );
        }
    }
}

/// The policy document (IAM JSON) of one account. Each list of two or more ARNs is a marker
/// (`terraform::spliced_list`) and its set goes to `lists`, to be streamed in its place.
fn policy<'a>(a: &'a SecretAccess, lists: &mut Vec<&'a SpillSet>) -> std::io::Result<Value> {
    let mut statements = Vec::new();
    let mut list = |set: &'a SpillSet| -> std::io::Result<Value> {
        let mut first = set.iter();
        let one = first.next().transpose()?;
        if first.next().is_none() {
            return Ok(json!(one.into_iter().collect::<Vec<_>>()));
        }
        lists.push(set);
        Ok(json!(terraform::spliced_list(lists.len() - 1)))
    };
    if !a.secrets.is_empty() {
        statements.push(json!({
            "Sid": "ReadSecretsManagerSecrets",
            "Effect": "Allow",
            "Action": ["secretsmanager:GetSecretValue"],
            "Resource": list(&a.secrets)?,
        }));
    }
    if !a.parameters.is_empty() {
        statements.push(json!({
            "Sid": "ReadParameterStoreParameters",
            "Effect": "Allow",
            "Action": ["ssm:GetParameter", "ssm:GetParameters"],
            "Resource": list(&a.parameters)?,
        }));
    }
    if !a.kms_keys.is_empty() {
        statements.push(json!({
            "Sid": "DecryptThroughSecretsServices",
            "Effect": "Allow",
            "Action": ["kms:Decrypt"],
            "Resource": a.kms_keys,
            "Condition": { "StringLike": { "kms:ViaService": ["secretsmanager.*.amazonaws.com", "ssm.*.amazonaws.com"] } },
        }));
    }
    if !a.assume_roles.is_empty() {
        statements.push(json!({
            "Sid": "AssumeSecretStoreRoles",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": list(&a.assume_roles)?,
        }));
    }
    Ok(json!({ "Version": "2012-10-17", "Statement": statements }))
}

/// The Terraform text of one account's policy, written to `w`.
fn terraform_file_to(a: &SecretAccess, w: &mut dyn Write) -> std::io::Result<()> {
    write!(
        w,
        "# Written by ecs2eks: what External Secrets Operator may read in account {}, for ",
        a.account
    )?;
    for (i, reader) in a.readers.iter().enumerate() {
        let sep = if i > 0 { ", " } else { "" };
        write!(w, "{sep}{}", reader?)?;
    }
    w.write_all(
        b".\n# Attach it to ESO's IRSA role (same account) or to the role its stores assume here.\n",
    )?;
    let mut lists = Vec::new();
    let document = policy(a, &mut lists)?;
    let text = terraform::iam_policy(
        "external_secrets",
        "external-secrets-read",
        "Read access of External Secrets Operator to the secrets the migrated ECS workloads use",
        &document,
    );
    terraform::splice(&text, &lists, w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access() -> SecretAccess {
        SecretAccess {
            account: "333333333333".into(),
            directory: "shop-prod".into(),
            secrets: [
                "arn:aws:secretsmanager:eu-west-1:333333333333:secret:b-AbCdEf",
                "arn:aws:secretsmanager:eu-west-1:333333333333:secret:a-AbCdEf",
            ]
            .into_iter()
            .collect(),
            parameters: ["arn:aws:ssm:eu-west-1:333333333333:parameter/x"]
                .into_iter()
                .collect(),
            readers: ["billing-api (prod)"].into_iter().collect(),
            ..SecretAccess::default()
        }
    }

    fn text(a: &SecretAccess) -> String {
        let mut out = Vec::new();
        terraform_file_to(a, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn policy_lists_exact_arns_sorted_and_nothing_else() {
        let tf = text(&access());
        let policy = tf.split_once("jsonencode(").unwrap().1;
        let statements: Vec<&str> = policy.split("Sid").skip(1).collect();
        assert_eq!(statements.len(), 2, "{tf}");
        assert!(
            statements[0].contains(
                "\"arn:aws:secretsmanager:eu-west-1:333333333333:secret:a-AbCdEf\",\n          \"arn:aws:secretsmanager:eu-west-1:333333333333:secret:b-AbCdEf\",\n        ]"
            ),
            "{tf}"
        );
        // One ARN: on one line, as terraform fmt lays out a list of one.
        assert!(
            statements[1]
                .contains("Resource = [\"arn:aws:ssm:eu-west-1:333333333333:parameter/x\"]"),
            "{tf}"
        );
        assert!(!tf.contains("ecs2eks-spliced-list"));
    }

    /// Lists waiting in the run's file are written as the same lists held in memory.
    #[test]
    fn spilled_lists_are_written_as_lists_in_memory() {
        let file = std::sync::Arc::new(crate::diagnostics::FindingsFile::create().unwrap());
        let mut spilled = SecretAccess {
            secrets: SpillSet::new(Some(file.clone())),
            readers: SpillSet::new(Some(file)),
            ..access()
        };
        let here_before = access();
        for s in here_before.secrets.iter() {
            spilled.secrets.insert(&s.unwrap());
        }
        spilled.readers.insert("billing-api (prod)");
        let mut here = access();
        for i in (0..9000).rev() {
            let arn = format!("arn:aws:secretsmanager:eu-west-1:333333333333:secret:s{i}-AbCdEf");
            let reader = format!("app-{i} (prod)");
            for a in [&mut spilled, &mut here] {
                a.secrets.insert(&arn);
                a.readers.insert(&reader);
            }
        }
        assert!(text(&spilled) == text(&here));
        assert!(text(&here).contains("secret:s8999-AbCdEf\",\n"));
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
