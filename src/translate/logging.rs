//! Logging: the pod writes to stdout and the cluster's agent ships it, so log configuration
//! becomes findings that say where the logs went and what to set up. FireLens routing
//! (`awsfirelens`) becomes what EKS uses instead: an `[OUTPUT]` per app container for the
//! cluster's node-level Fluent Bit, matched on the container's log files in the app's namespace
//! (the exporters put them in a ConfigMap, `platform/logging/` in a repository).

use super::pod::LogRouter;
use crate::diagnostics::{Code, Findings};
use crate::mappings::Logging;
use crate::model::ecs::{ContainerDefinition, LogConfiguration, TaskDefinition};
use crate::model::fields::join;
use std::fmt::Write as _;

/// FireLens options that configure ECS's log driver, not Fluent Bit: `include-pattern` and
/// `exclude-pattern` become grep filters, the buffer limit has no equivalent.
const ECS_ONLY: [&str; 3] = [
    "include-pattern",
    "exclude-pattern",
    "log-driver-buffer-limit",
];

/// Which workload the routes are of, and where its logs come from.
pub struct Target<'a> {
    pub app: &'a str,
    pub namespace: &'a str,
    /// Kubernetes names of the task's containers, in order.
    pub container_names: &'a [String],
    /// The FireLens router that left the pod (`pod::view`).
    pub router: Option<&'a LogRouter>,
    pub mappings: &'a Logging,
}

/// Reports where each container's logs went; returns the Fluent Bit configuration that carries
/// the FireLens routing of the workload's containers, when it has any.
pub fn routes(
    td: &TaskDefinition,
    td_path: &str,
    target: &Target<'_>,
    findings: &mut Findings,
) -> Option<String> {
    let mut config = String::new();
    for (i, c) in td.container_definitions.iter().enumerate() {
        let Some(lc) = c.log_configuration.as_ref() else {
            continue;
        };
        let at = join(&super::containers::path(td, td_path, i), "logConfiguration");
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
            "awsfirelens" => {
                let container = &target.container_names[i];
                config.push_str(&firelens(c, lc, container, &at, target, findings));
            }
            "" => {}
            other => findings.push(
                Code::LogDriver,
                &at,
                format!("logs went to the {other} log driver"),
            ),
        }
        if driver != "awsfirelens" {
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
    (!config.is_empty()).then_some(config)
}

/// The Fluent Bit filters and output of `container`'s FireLens options `lc` (at `at`), with the
/// finding that names the destination; empty when the options name no output plugin.
fn firelens(
    c: &ContainerDefinition,
    lc: &LogConfiguration,
    container: &str,
    at: &str,
    target: &Target<'_>,
    findings: &mut Findings,
) -> String {
    let router = target.router.map_or("its log router", |r| r.name.as_str());
    let plugin = lc.options.get("Name").filter(|n| !n.is_empty());
    let unreadable = match (plugin, target.router) {
        (_, Some(r)) if r.is_fluentd() => Some(format!(
            "went through Fluentd log router {router}, whose options Fluent Bit cannot read; write the matching Fluent Bit output by hand"
        )),
        (None, _) => Some(format!(
            "went to {router} with no output named (its routing is in {}); port that configuration to the cluster's Fluent Bit",
            target
                .router
                .and_then(LogRouter::config_file)
                .map_or("the router's image".to_string(), |f| format!("file {f}"))
        )),
        _ => None,
    };
    if let Some(why) = unreadable {
        findings.push(
            Code::FireLens,
            at,
            format!("logs of container {container} {why}"),
        );
        return String::new();
    }
    let plugin = plugin.map_or("", String::as_str);
    let matching = match_tag(target, container, findings);
    let (stanza, notes) = stanza(c, lc, container, &matching, target);
    findings.push(
        Code::FireLens,
        at,
        format!(
            "logs of container {container} went through FireLens to {plugin}{}: the [OUTPUT] for the cluster's Fluent Bit matches {matching}{notes}",
            destination(lc)
        ),
    );
    stanza
}

/// The `Match` of `container`'s output, from the mappings' template.
fn match_tag(target: &Target<'_>, container: &str, findings: &mut Findings) -> String {
    #[derive(serde::Serialize)]
    struct Vars<'a> {
        namespace: &'a str,
        app: &'a str,
        container: &'a str,
    }
    let vars = Vars {
        namespace: target.namespace,
        app: target.app,
        container,
    };
    let template = &target.mappings.match_tag;
    crate::model::names::render_named("logging.match template", template, &vars).unwrap_or_else(
        |e| {
            findings.push(Code::NameTemplate, "", e);
            format!(
                "kube.var.log.containers.*_{}_{container}-*",
                target.namespace
            )
        },
    )
}

/// ` (Host x, region y)`: the options that say where the logs go.
fn destination(lc: &LogConfiguration) -> String {
    const WHERE: [&str; 8] = [
        "Host",
        "region",
        "log_group_name",
        "delivery_stream",
        "stream",
        "bucket",
        "index",
        "endpoint",
    ];
    let known: Vec<String> = WHERE
        .iter()
        .filter_map(|k| lc.options.get(*k).map(|v| format!("{k} {v}")))
        .collect();
    match known.is_empty() {
        true => String::new(),
        false => format!(" ({})", known.join(", ")),
    }
}

/// The filters and output of one container, and what the finding must add: the variables its
/// secret options became, and the options not carried.
fn stanza(
    c: &ContainerDefinition,
    lc: &LogConfiguration,
    container: &str,
    matching: &str,
    target: &Target<'_>,
) -> (String, String) {
    let mut out = format!(
        "# {} ({}), container {container} (ECS container {})\n",
        target.app,
        target.namespace,
        c.name.as_deref().unwrap_or("")
    );
    let mut lines: Vec<(String, String)> = vec![
        ("Name".into(), lc.options["Name"].clone()),
        ("Match".into(), matching.to_string()),
    ];
    for (k, v) in &lc.options {
        if k != "Name" && !ECS_ONLY.contains(&k.as_str()) {
            lines.push((k.clone(), v.clone()));
        }
    }
    let mut notes = String::new();
    for s in &lc.secret_options {
        let name = s.name.as_deref().unwrap_or("");
        let from = s.value_from.as_deref().unwrap_or("?");
        let var = variable(target.namespace, name);
        // Comments stand on lines of their own, outside the sections.
        let _ = writeln!(
            out,
            "# {name}: set {var} on the Fluent Bit DaemonSet from {from}"
        );
        lines.push((name.to_string(), format!("${{{var}}}")));
        let _ = write!(
            notes,
            "; secret option {name} is ${{{var}}}, to set from {from}"
        );
    }
    for (option, key) in [("include-pattern", "Regex"), ("exclude-pattern", "Exclude")] {
        if let Some(pattern) = lc.options.get(option) {
            let filter = format!("log {pattern}");
            section(
                &mut out,
                "FILTER",
                &[("Name", "grep"), ("Match", matching), (key, &filter)],
            );
        }
    }
    let borrowed: Vec<(&str, &str)> = lines
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    section(&mut out, "OUTPUT", &borrowed);
    if lc.options.contains_key("log-driver-buffer-limit") {
        notes.push_str("; log-driver-buffer-limit is ECS's and was not carried");
    }
    (out, notes)
}

/// One `[name]` section, its keys aligned.
fn section(out: &mut String, name: &str, lines: &[(&str, &str)]) {
    let width = lines.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    let _ = writeln!(out, "[{name}]");
    for (k, v) in lines {
        // A value is the rest of its line.
        let v = v.replace(['\n', '\r'], " ");
        let _ = writeln!(out, "    {k:width$} {v}");
    }
}

/// The environment variable of the Fluent Bit DaemonSet that holds secret option `name` of the
/// workload in `namespace`.
fn variable(namespace: &str, name: &str) -> String {
    format!("{namespace}_{name}")
        .chars()
        .map(|c| match c.is_ascii_alphanumeric() {
            true => c.to_ascii_uppercase(),
            false => '_',
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mappings::Mappings;
    use crate::model::ecs::FirelensConfiguration;

    fn td() -> TaskDefinition {
        serde_json::from_value(serde_json::json!({
            "family": "web",
            "containerDefinitions": [{"name": "app", "image": "httpd",
                "logConfiguration": {"logDriver": "awsfirelens",
                    "options": {"Name": "datadog", "Host": "http-intake.logs.datadoghq.com", "TLS": "on",
                        "exclude-pattern": "healthz", "log-driver-buffer-limit": "2097152"},
                    "secretOptions": [{"name": "apikey", "valueFrom": "arn:aws:secretsmanager:eu-west-1:111111111111:secret:dd-AbCdEf"}]}}]
        }))
        .unwrap()
    }

    /// App `web` in namespace `web-prod`, its one container `app`.
    fn target<'a>(router: &'a LogRouter, m: &'a Mappings, names: &'a [String]) -> Target<'a> {
        Target {
            app: "web",
            namespace: "web-prod",
            container_names: names,
            router: Some(router),
            mappings: &m.logging,
        }
    }

    /// The output matches the app's namespace and container, the ECS-only options are left
    /// out (the exclude pattern as a grep filter), and the secret stays a reference.
    #[test]
    fn firelens_options_become_a_fluent_bit_output() {
        let m = Mappings::defaults();
        let router = LogRouter {
            name: "log_router".into(),
            at: "x".into(),
            config: FirelensConfiguration::default(),
        };
        let mut findings = Findings::default();
        let config = routes(
            &td(),
            "taskDefinition",
            &target(&router, &m, &["app".to_string()]),
            &mut findings,
        )
        .unwrap();
        assert_eq!(
            config,
            "# web (web-prod), container app (ECS container app)
# apikey: set WEB_PROD_APIKEY on the Fluent Bit DaemonSet from arn:aws:secretsmanager:eu-west-1:111111111111:secret:dd-AbCdEf
[FILTER]
    Name    grep
    Match   kube.var.log.containers.*_web-prod_app-*
    Exclude log healthz
[OUTPUT]
    Name   datadog
    Match  kube.var.log.containers.*_web-prod_app-*
    Host   http-intake.logs.datadoghq.com
    TLS    on
    apikey ${WEB_PROD_APIKEY}
"
        );
        assert_eq!(
            findings.code_fields(),
            [(
                Code::FireLens,
                "taskDefinition.containerDefinitions[0].logConfiguration"
            )]
        );
        let message = &findings.list[0].message;
        assert!(
            message.contains("to datadog (Host http-intake.logs.datadoghq.com)"),
            "{message}"
        );
        assert!(message.contains("log-driver-buffer-limit"), "{message}");
    }

    /// Without a `Name`, the routing is the router's own file: nothing is written, the finding
    /// names the file.
    #[test]
    fn routing_in_the_routers_file_is_named() {
        let m = Mappings::defaults();
        let mut config = FirelensConfiguration::default();
        config
            .options
            .insert("config-file-value".into(), "/extra.conf".into());
        let router = LogRouter {
            name: "log_router".into(),
            at: "x".into(),
            config,
        };
        let mut td = td();
        td.container_definitions[0]
            .log_configuration
            .as_mut()
            .unwrap()
            .options
            .clear();
        let mut findings = Findings::default();
        assert_eq!(
            routes(
                &td,
                "",
                &target(&router, &m, &["app".to_string()]),
                &mut findings
            ),
            None
        );
        assert!(findings.list[0].message.contains("file /extra.conf"));
    }
}
