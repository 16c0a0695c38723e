//! The Terraform roots under `iam/`: one per account, `iam/<account>/`, because a Terraform root
//! plans against one account (`export::roots` says what each holds). Per root: a file per pod
//! role (`export::terraform`), External Secrets Operator's policy (`export::eso_iam`), the
//! cross-account wiring (`export::cross_account`), `versions.tf` (the provider pinned to the
//! account with `allowed_account_ids`) and the `variables.tf` of the cluster values the mappings
//! left unset.

use super::roots::{self, Root};
use super::terraform::{Hcl, block, escape, quote, region_alias, role_file};
use super::{Sink, cross_account, eso_iam};
use crate::model::target::Conversion;

/// Writes every root into `sink` under `iam/`: the role files on every core, then per root its
/// other files, `versions.tf` and (when it asks for any) `variables.tf`.
pub fn render(conversion: &Conversion, sink: &dyn Sink) {
    let roots = roots::roots(conversion);
    let clusters = &conversion.clusters;
    use rayon::prelude::*;
    conversion.iam_roles.par_iter().for_each(|role| {
        let providers = &roots[role.directory.as_str()].oidc_providers;
        sink.put(
            format!("iam/{}/{}.tf", role.directory, role.name),
            role_file(role, providers, clusters),
        )
    });
    for (dir, root) in &roots {
        if let Some(a) = root.secret_access {
            let text = eso_iam::terraform_file(a, clusters);
            sink.put(format!("iam/{dir}/external-secrets.tf"), text);
        }
        for (file, text) in cross_account::files(root, clusters) {
            sink.put(format!("iam/{dir}/{file}"), text);
        }
        sink.put(format!("iam/{dir}/versions.tf"), versions(root));
        let variables = root.variables(clusters);
        if variables.is_empty() {
            continue;
        }
        let blocks: Vec<String> = variables
            .iter()
            .map(|(name, description)| {
                block(
                    &format!("variable {}", quote(name)),
                    vec![
                        ("description".into(), Hcl::Str(escape(description))),
                        ("type".into(), Hcl::Expr("string".into())),
                    ],
                )
            })
            .collect();
        sink.put(format!("iam/{dir}/variables.tf"), blocks.join("\n"));
    }
}

pub const VERSIONS: &str = r#"# Written by ecs2eks. Import blocks need Terraform 1.5; Pod Identity associations need
# the AWS provider 5.32 or later.
terraform {
  required_version = ">= 1.5.0"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.32"
    }
  }
}
"#;

/// `versions.tf` of a root: the Terraform and provider versions, and the provider pinned to the
/// root's account, so that applying it with another account's credentials stops before any
/// change; one more provider per region of its ECR repositories.
fn versions(root: &Root<'_>) -> String {
    let pin = |attrs: &mut Vec<(String, Hcl)>| {
        if !root.account.is_empty() {
            let id = Hcl::List(vec![Hcl::Str(escape(root.account))]);
            attrs.push(("allowed_account_ids".into(), id));
        }
    };
    let mut out = VERSIONS.to_string();
    out.push_str(&format!(
        "\n# This root manages account {} only: Terraform refuses credentials of another one.\n",
        if root.account.is_empty() {
            "(unknown)"
        } else {
            root.account
        }
    ));
    let mut attrs = Vec::new();
    pin(&mut attrs);
    out.push_str(&block("provider \"aws\"", attrs));
    for region in root.regions() {
        let mut attrs = vec![
            ("alias".into(), Hcl::Str(region_alias(region))),
            ("region".into(), Hcl::Str(escape(region))),
        ];
        pin(&mut attrs);
        out.push('\n');
        out.push_str(&block("provider \"aws\"", attrs));
    }
    out
}
