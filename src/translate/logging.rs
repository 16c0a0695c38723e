//! Logging: the pod writes to stdout and the cluster's agent ships it, so log configuration
//! becomes findings that say where the logs went and what to set up.

use crate::diagnostics::{Code, Findings};
use crate::model::ecs::TaskDefinition;
use crate::model::fields::join;

pub fn check(td: &TaskDefinition, td_path: &str, findings: &mut Findings) {
    for (i, c) in td.container_definitions.iter().enumerate() {
        let Some(lc) = c.log_configuration.as_ref() else {
            continue;
        };
        let at = join(&super::containers::path(td_path, i), "logConfiguration");
        let driver = lc.log_driver.as_deref().unwrap_or("");
        match driver {
            "awslogs" => {
                let group = lc
                    .options
                    .get("awslogs-group")
                    .map(String::as_str)
                    .unwrap_or("?");
                findings.push(
                    Code::AwsLogs,
                    &at,
                    format!("logs went to CloudWatch log group {group}"),
                );
            }
            "awsfirelens" => findings.push(
                Code::FireLens,
                &at,
                format!(
                    "logs went through FireLens ({})",
                    lc.options
                        .get("Name")
                        .map(String::as_str)
                        .unwrap_or("custom output")
                ),
            ),
            "" => {}
            other => findings.push(
                Code::LogDriver,
                &at,
                format!("logs went to the {other} log driver"),
            ),
        }
        for (j, s) in lc.secret_options.iter().enumerate() {
            findings.push(
                Code::LogDriver,
                join(&at, &format!("secretOptions[{j}]")),
                format!(
                    "log driver secret option {} (from {}) belongs to the cluster's log agent now",
                    s.name.as_deref().unwrap_or("?"),
                    s.value_from.as_deref().unwrap_or("?")
                ),
            );
        }
    }
}
