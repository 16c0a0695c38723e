//! `ecs2eks inventory init`: drafts an inventory from AWS Organizations (`ListAccounts`, from the
//! management account or a delegated administrator), guessing each account's environment from
//! its name and marking every guess, for people to check.

use super::{Call, CallCounter, ImportError, Options};
use aws_config::SdkConfig;

/// An account as Organizations lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    pub status: String,
}

/// Lists every account of the organization (to the last page).
pub async fn list_accounts(
    base: &SdkConfig,
    counter: &CallCounter,
    options: &Options,
) -> Result<Vec<OrgAccount>, ImportError> {
    let conf = aws_sdk_organizations::config::Builder::from(base)
        .interceptor(counter.clone())
        .build();
    let client = aws_sdk_organizations::Client::from_conf(conf);
    let call = Call {
        // The credentials' own account: the management account, or a delegated administrator.
        account: String::new(),
        region: base.region().map(|r| r.to_string()),
        action: "organizations:ListAccounts".into(),
        subject: None,
        role: None,
        endpoint: options.endpoint_url.clone(),
    };
    let mut out = Vec::new();
    let mut pages = client.list_accounts().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| call.clone().failed(&e))?;
        for a in page.accounts() {
            out.push(OrgAccount {
                id: a.id().unwrap_or_default().to_string(),
                name: a.name().unwrap_or_default().to_string(),
                status: a
                    .state()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
            });
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// The environment an account name suggests: `shop-prod`, `payments_production`, `web-stg-eu`,
/// `sandbox-alice`. Words are split on `-`, `_`, `.`, spaces and case changes are ignored.
pub fn guess_environment(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let table: &[(&[&str], &str)] = &[
        (
            &["prod", "production", "prd", "live", "prod1", "prod2"],
            "prod",
        ),
        (
            &["preprod", "staging", "stage", "stg", "uat", "preproduction"],
            "stg",
        ),
        (&["test", "testing", "qa", "tst"], "test"),
        (
            &["dev", "development", "sandbox", "sbx", "dev1", "dev2"],
            "dev",
        ),
    ];
    // The last environment word wins: `prod-tools-dev` is a dev account of the prod team.
    words.iter().rev().find_map(|w| {
        table
            .iter()
            .find(|(ws, _)| ws.contains(w))
            .map(|(_, env)| *env)
    })
}

/// The draft inventory (YAML), one account a line, every guess marked.
pub fn render_inventory(accounts: &[OrgAccount], role_name: Option<&str>) -> String {
    let mut s = String::from(
        "# Drafted by `ecs2eks inventory init` from AWS Organizations (ListAccounts).\n\
         # Check every line marked GUESSED or UNKNOWN, add `regions: [...]` where ECS runs, and delete\n\
         # accounts that hold no ECS workloads.\n\
         accounts:\n",
    );
    for a in accounts {
        let (env, mark) = match guess_environment(&a.name) {
            Some(env) => (env, "GUESSED from the name"),
            None => ("unknown", "UNKNOWN: set the environment"),
        };
        let role = role_name
            .map(|r| format!(", assumeRoleArn: \"arn:aws:iam::{}:role/{r}\"", a.id))
            .unwrap_or_default();
        let suspended = if a.status.is_empty() || a.status == "ACTIVE" {
            String::new()
        } else {
            format!("; status {}", a.status)
        };
        s.push_str(&format!(
            "  - {{id: \"{}\", name: {}, environment: {env}{role}}}  # {mark}{suspended}\n",
            a.id,
            serde_json::to_string(&a.name).unwrap_or_default(),
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_are_guessed_from_names() {
        assert_eq!(guess_environment("shop-prod"), Some("prod"));
        assert_eq!(guess_environment("Payments_Production"), Some("prod"));
        assert_eq!(guess_environment("web-stg-eu"), Some("stg"));
        assert_eq!(guess_environment("sandbox-alice"), Some("dev"));
        assert_eq!(guess_environment("prod-tools-dev"), Some("dev"));
        assert_eq!(guess_environment("security-audit"), None);
        // Not a word of its own.
        assert_eq!(guess_environment("product-analytics"), None);
    }

    #[test]
    fn the_draft_parses_as_an_inventory_and_marks_guesses() {
        let accounts = vec![
            OrgAccount {
                id: "111111111111".into(),
                name: "shop-dev".into(),
                status: "ACTIVE".into(),
            },
            OrgAccount {
                id: "222222222222".into(),
                name: "log archive".into(),
                status: "SUSPENDED".into(),
            },
        ];
        let text = render_inventory(&accounts, Some("ecs2eks-reader"));
        assert!(text.contains("environment: dev, assumeRoleArn: \"arn:aws:iam::111111111111:role/ecs2eks-reader\"}  # GUESSED"));
        assert!(text.contains("environment: unknown"));
        assert!(text.contains("status SUSPENDED"));
        let inv = crate::inventory::Inventory::parse("draft.yaml", &text).unwrap();
        assert_eq!(inv.accounts.len(), 2);
        assert_eq!(inv.accounts[1].name.as_deref(), Some("log archive"));
    }
}
