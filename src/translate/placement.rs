//! Placement: where and how the pod runs on a node: OS and architecture, host namespaces,
//! network mode and the launch type.

use crate::diagnostics::{Code, Finding, Findings};
use crate::model::ecs::{Service, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::PodSpec;

/// True for Windows tasks: health checks then run under cmd, and nodes must be Windows.
pub fn is_windows(td: &TaskDefinition) -> bool {
    td.runtime_platform
        .as_ref()
        .and_then(|p| p.operating_system_family.as_deref())
        .is_some_and(|os| os.to_ascii_uppercase().starts_with("WINDOWS"))
}

pub fn apply(td: &TaskDefinition, td_path: &str, pod: &mut PodSpec, findings: &mut Findings) {
    if let Some(platform) = td.runtime_platform.as_ref() {
        let at = join(td_path, "runtimePlatform");
        let mut set = Vec::new();
        match platform
            .cpu_architecture
            .as_deref()
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("X86_64") => set.push(("kubernetes.io/arch", "amd64")),
            Some("ARM64") => set.push(("kubernetes.io/arch", "arm64")),
            _ => {}
        }
        if let Some(os) = platform.operating_system_family.as_deref() {
            if is_windows(td) {
                set.push(("kubernetes.io/os", "windows"));
                findings.push(
                    Code::Windows,
                    join(&at, "operatingSystemFamily"),
                    format!("{os} needs Windows nodes"),
                );
            } else if os.eq_ignore_ascii_case("LINUX") {
                set.push(("kubernetes.io/os", "linux"));
            }
        }
        if !set.is_empty() {
            let text: Vec<_> = set.iter().map(|(k, v)| format!("{k}={v}")).collect();
            findings.push(
                Code::RuntimePlatform,
                &at,
                format!("node selector {}", text.join(", ")),
            );
        }
        for (k, v) in set {
            pod.node_selector.insert(k.to_string(), v.to_string());
        }
    }

    let mode = td.network_mode.as_deref().unwrap_or("");
    let at = join(td_path, "networkMode");
    match mode {
        "awsvpc" | "" => {}
        "host" => {
            pod.host_network = true;
            findings.push(
                Code::NamespaceMode,
                &at,
                "network mode host became hostNetwork: true",
            );
        }
        other => findings.push(
            Code::NetworkMode,
            &at,
            format!("network mode {other} became the pod's own network"),
        ),
    }
    match td.pid_mode.as_deref() {
        Some("task") => pod.share_process_namespace = true,
        Some("host") => {
            pod.host_pid = true;
            findings.push(
                Code::NamespaceMode,
                join(td_path, "pidMode"),
                "pid mode host became hostPID: true",
            );
        }
        _ => {}
    }
    match td.ipc_mode.as_deref() {
        Some("host") => {
            pod.host_ipc = true;
            findings.push(
                Code::NamespaceMode,
                join(td_path, "ipcMode"),
                "ipc mode host became hostIPC: true",
            );
        }
        Some("none") => findings.push(
            Code::NamespaceMode,
            join(td_path, "ipcMode"),
            "ipc mode none: containers of a pod always share IPC",
        ),
        _ => {}
    }
    if let Some(role) = td.execution_role_arn.as_deref().filter(|r| !r.is_empty()) {
        findings.push(
            Code::ExecutionRole,
            join(td_path, "executionRoleArn"),
            format!("execution role {role} is not used by pods"),
        );
    }
}

/// The launch type (from the service, else the task's compatibilities): capacity is the cluster's.
/// `td` and `service` come with their input file and JSON path.
pub fn launch_type(
    td: (&TaskDefinition, &str, &str),
    service: Option<(&Service, &str, &str)>,
    findings: &mut Findings,
) {
    let from_service = service.and_then(|(s, input, p)| {
        s.launch_type
            .as_deref()
            .filter(|l| !l.is_empty())
            .map(|l| (l.to_string(), input, join(p, "launchType")))
    });
    let (t, td_input, td_path) = td;
    let launch = from_service.or_else(|| {
        (!t.requires_compatibilities.is_empty()).then(|| {
            (
                t.requires_compatibilities.join(", "),
                td_input,
                join(td_path, "requiresCompatibilities"),
            )
        })
    });
    if let Some((kind, input, at)) = launch {
        let mut f = Finding::new(
            Code::LaunchType,
            at,
            format!("launch type {kind}: pods run where the cluster puts them"),
        );
        f.input = input.to_string();
        findings.add(f);
    }
}
