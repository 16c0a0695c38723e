//! ECS-only agents: containers built for ECS's view of a task. Monitoring and tracing agents
//! (Datadog, SignalFx, the CloudWatch agent, X-Ray and ADOT daemons) read the ECS task metadata
//! and credentials endpoints at 169.254.170.2, ECS collector configs under `/etc/ecs/` or the
//! node's `/proc`, cgroups and Docker socket. None of that exists on EKS, so each such container
//! gets a warning that names what replaces it there.

use crate::diagnostics::{Code, Findings};
use crate::model::ecs::{ContainerDefinition, TaskDefinition};
use crate::model::fields::join;

/// Agent images: (a part of the image name, the agent, what replaces it on EKS).
const AGENTS: [(&str, &str, &str); 6] = [
    (
        "datadog/agent",
        "the Datadog Agent",
        "the Datadog Helm chart (node Agent DaemonSet and Cluster Agent)",
    ),
    (
        "datadoghq/agent",
        "the Datadog Agent",
        "the Datadog Helm chart (node Agent DaemonSet and Cluster Agent)",
    ),
    (
        "signalfx-agent",
        "the SignalFx Smart Agent",
        "the Splunk OpenTelemetry Collector Helm chart",
    ),
    (
        "aws-xray-daemon",
        "the X-Ray daemon",
        "the ADOT add-on's X-Ray receiver, or the X-Ray daemon as a DaemonSet",
    ),
    (
        "aws-otel-collector",
        "the ADOT collector",
        "the EKS ADOT add-on (an OpenTelemetryCollector) or the CloudWatch Observability add-on",
    ),
    (
        "cloudwatch-agent",
        "the CloudWatch agent",
        "the CloudWatch Observability add-on",
    ),
];

/// Environment variables only ECS sets or reads.
const ECS_METADATA_ENV: [&str; 4] = [
    "ECS_CONTAINER_METADATA_URI",
    "ECS_CONTAINER_METADATA_URI_V4",
    "ECS_FARGATE",
    "ECS_ENABLE_CONTAINER_METADATA",
];

/// Node paths an agent mounts to watch the node's containers.
const NODE_PATHS: [&str; 6] = [
    "/proc",
    "/sys/fs/cgroup",
    "/cgroup",
    "/var/run/docker.sock",
    "/var/lib/docker",
    "/run/containerd/containerd.sock",
];

/// A warning for each container that carries the marks of an ECS agent.
pub fn check(td: &TaskDefinition, td_path: &str, findings: &mut Findings) {
    for (i, c) in td.container_definitions.iter().enumerate() {
        let marks = marks(td, c);
        let Some((field, _)) = marks.first() else {
            continue;
        };
        let image = c.image.as_deref().unwrap_or("");
        let agent = AGENTS.iter().find(|(part, _, _)| image.contains(part));
        let marked = |field: &str| marks.iter().any(|(f, _)| *f == field);
        let replacement = match agent {
            Some((_, _, r)) => r,
            None if marked("command") => {
                "the EKS ADOT add-on or the CloudWatch Observability add-on"
            }
            None if marked("mountPoints") => "the vendor's Helm chart or DaemonSet for EKS",
            None => {
                "the Kubernetes Downward API (pod name, namespace, labels, resources) for what it read of the task metadata"
            }
        };
        let what: Vec<&str> = marks.iter().map(|(_, m)| m.as_str()).collect();
        findings.push(
            Code::EcsAgent,
            join(&super::containers::path(td, td_path, i), field),
            format!(
                "container {} is made for ECS ({}): replace it with {replacement}",
                c.name.as_deref().unwrap_or(""),
                what.join("; ")
            ),
        );
    }
}

/// The marks of an ECS agent on container `c`: (its field, what it is), in field order.
fn marks(td: &TaskDefinition, c: &ContainerDefinition) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let image = c.image.as_deref().unwrap_or("");
    if let Some((_, agent, _)) = AGENTS.iter().find(|(part, _, _)| image.contains(part)) {
        out.push(("image", format!("image {image} is {agent}")));
    }
    let texts = c
        .entry_point
        .iter()
        .chain(&c.command)
        .chain(c.environment.iter().filter_map(|e| e.value.as_ref()));
    for text in texts {
        for mark in ["/etc/ecs/", "awsecscontainermetrics"] {
            let said = format!("its configuration reads {mark}");
            if text.contains(mark) && !out.iter().any(|(_, m)| *m == said) {
                out.push(("command", said));
            }
        }
    }
    for e in &c.environment {
        let name = e.name.as_deref().unwrap_or("");
        if ECS_METADATA_ENV.contains(&name) {
            out.push(("environment", format!("{name} is ECS task metadata")));
        }
    }
    for m in &c.mount_points {
        let source = td
            .volumes
            .iter()
            .find(|v| v.name.is_some() && v.name == m.source_volume)
            .and_then(|v| v.host.as_ref()?.source_path.as_deref());
        if let Some(path) = source.filter(|p| NODE_PATHS.iter().any(|n| p.starts_with(n))) {
            out.push(("mountPoints", format!("it mounts the node's {path}")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_are_named_with_their_replacement() {
        let td: TaskDefinition = serde_json::from_value(serde_json::json!({
            "volumes": [{"name": "proc", "host": {"sourcePath": "/proc/"}}, {"name": "data", "host": {"sourcePath": "/data"}}],
            "containerDefinitions": [
                {"name": "app", "image": "app", "environment": [{"name": "MODE", "value": "web"}],
                 "mountPoints": [{"sourceVolume": "data", "containerPath": "/data"}]},
                {"name": "datadog-agent", "image": "public.ecr.aws/datadog/agent:latest",
                 "environment": [{"name": "ECS_FARGATE", "value": "true"}],
                 "mountPoints": [{"sourceVolume": "proc", "containerPath": "/host/proc"}]},
                {"name": "otel", "image": "my/collector", "command": ["--config=/etc/ecs/ecs-default-config.yaml"]}
            ]
        }))
        .unwrap();
        let mut findings = Findings::default();
        check(&td, "taskDefinition", &mut findings);
        assert_eq!(
            findings.code_fields(),
            [
                (
                    Code::EcsAgent,
                    "taskDefinition.containerDefinitions[1].image"
                ),
                (
                    Code::EcsAgent,
                    "taskDefinition.containerDefinitions[2].command"
                ),
            ]
        );
        let m = &findings.list[0].message;
        assert!(
            m.contains("ECS_FARGATE is ECS task metadata")
                && m.contains("node's /proc/")
                && m.contains("Datadog Helm chart"),
            "{m}"
        );
        assert!(findings.list[1].message.contains("ADOT add-on"));
    }
}
