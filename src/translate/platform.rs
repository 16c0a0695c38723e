//! Platform: the operating system, architecture and capacity a task needs of its nodes.
//!
//! `runtimePlatform` says it when it is given; many EC2 Windows task definitions give none and
//! are recognised by what only Windows containers carry (`C:\` paths, PowerShell, named pipes,
//! gMSA credential specs, Windows base images). They get the Windows node selectors (and the
//! Windows build when the version is known), since a Linux node cannot run them. arm64 pods
//! cannot run on EKS Fargate, which is x86_64 only.

use crate::diagnostics::{Code, Finding, Findings};
use crate::model::ecs::{Service, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::PodSpec;
use crate::model::read::Sourced;

/// Why a task is a Windows task: the field that says so (relative to the task definition) and
/// what it holds.
pub struct Windows {
    pub field: String,
    pub marker: String,
}

/// True for Windows tasks: health checks then run under cmd, and nodes must be Windows.
pub fn is_windows(td: &TaskDefinition) -> bool {
    windows(td).is_some()
}

/// What makes `td` a Windows task: its `runtimePlatform`, or, on EC2 (the default), a marker
/// only Windows containers carry.
pub fn windows(td: &TaskDefinition) -> Option<Windows> {
    let os = td
        .runtime_platform
        .as_ref()
        .and_then(|p| p.operating_system_family.as_deref());
    if let Some(os) = os.filter(|os| !os.is_empty()) {
        return os
            .to_ascii_uppercase()
            .starts_with("WINDOWS")
            .then(|| Windows {
                field: "runtimePlatform.operatingSystemFamily".into(),
                marker: os.to_string(),
            });
    }
    let kinds: Vec<&String> = td
        .requires_compatibilities
        .iter()
        .chain(&td.compatibilities)
        .collect();
    let on_ec2 = kinds.is_empty()
        || kinds
            .iter()
            .any(|k| k.eq_ignore_ascii_case("EC2") || k.eq_ignore_ascii_case("EXTERNAL"));
    if !on_ec2 {
        return None;
    }
    td.container_definitions
        .iter()
        .enumerate()
        .find_map(|(i, c)| container_marker(c).map(|(field, marker)| (i, field, marker)))
        .map(|(i, field, marker)| Windows {
            field: format!("containerDefinitions[{}].{field}", td.container_position(i)),
            marker,
        })
}

/// The first Windows marker of a container: (its field, what it holds).
fn container_marker(c: &crate::model::ecs::ContainerDefinition) -> Option<(&'static str, String)> {
    // A drive (`C:\`, `c:/`) that starts a word, not `grpc://`; or a named pipe.
    let windows_path = |s: &str| {
        let b = s.as_bytes();
        let drive = (0..b.len().saturating_sub(2)).any(|i| {
            b[i].eq_ignore_ascii_case(&b'c')
                && b[i + 1] == b':'
                && matches!(b[i + 2], b'\\' | b'/')
                && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
        });
        drive || s.contains("\\\\.\\pipe\\")
    };
    let shell = |s: &str| {
        let exe = s
            .rsplit(['\\', '/'])
            .next()
            .unwrap_or(s)
            .to_ascii_lowercase();
        [
            "powershell",
            "powershell.exe",
            "pwsh",
            "pwsh.exe",
            "cmd",
            "cmd.exe",
        ]
        .contains(&exe.as_str())
    };
    if let Some(spec) = c.credential_specs.first() {
        return Some(("credentialSpecs", spec.clone()));
    }
    let older_gmsa = c
        .docker_security_options
        .iter()
        .find(|o| o.starts_with("credentialspec:"));
    if let Some(spec) = older_gmsa {
        return Some(("dockerSecurityOptions", spec.clone()));
    }
    let image = c.image.as_deref().unwrap_or("");
    if image.starts_with("mcr.microsoft.com/windows") {
        return Some(("image", image.to_string()));
    }
    for (field, list) in [("entryPoint", &c.entry_point), ("command", &c.command)] {
        let first_is_shell = list.first().filter(|s| shell(s));
        if let Some(s) = first_is_shell.or_else(|| list.iter().find(|s| windows_path(s))) {
            return Some((field, s.clone()));
        }
    }
    let paths = c
        .working_directory
        .iter()
        .map(|w| ("workingDirectory", w))
        .chain(
            c.mount_points
                .iter()
                .filter_map(|m| m.container_path.as_ref())
                .map(|p| ("mountPoints", p)),
        );
    for (field, path) in paths {
        if windows_path(path) {
            return Some((field, path.clone()));
        }
    }
    None
}

/// The Windows build (`node.kubernetes.io/windows-build`) of a task, when its
/// `operatingSystemFamily` or a container's base image tag names the version.
fn windows_build(td: &TaskDefinition) -> Option<&'static str> {
    const BUILDS: [(&str, &str); 7] = [
        ("2016", "10.0.14393"),
        ("2019", "10.0.17763"),
        ("1809", "10.0.17763"),
        ("2004", "10.0.19041"),
        ("20H2", "10.0.19042"),
        ("2022", "10.0.20348"),
        ("2025", "10.0.26100"),
    ];
    let os = td
        .runtime_platform
        .as_ref()
        .and_then(|p| p.operating_system_family.as_deref())
        .unwrap_or("")
        .to_ascii_uppercase();
    if let Some((_, build)) = BUILDS.iter().find(|(v, _)| os.contains(&format!("_{v}_"))) {
        return Some(build);
    }
    td.container_definitions.iter().find_map(|c| {
        let tag = c.image.as_deref()?.rsplit_once(':')?.1.to_ascii_lowercase();
        BUILDS
            .iter()
            .find(|(v, _)| tag.contains(&format!("ltsc{v}")) || tag == *v)
            .map(|(_, build)| *build)
    })
}

/// `runtimePlatform` and the Windows markers (at `td_path`) as node selectors on OS, Windows
/// build and architecture.
pub fn apply(td: &TaskDefinition, td_path: &str, pod: &mut PodSpec, findings: &mut Findings) {
    let platform = td.runtime_platform.as_ref();
    let mut set = Vec::new();
    match platform
        .and_then(|p| p.cpu_architecture.as_deref())
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("X86_64") => set.push(("kubernetes.io/arch", "amd64")),
        Some("ARM64") => set.push(("kubernetes.io/arch", "arm64")),
        _ => {}
    }
    if let Some(w) = windows(td) {
        set.push(("kubernetes.io/os", "windows"));
        let build = windows_build(td);
        set.extend(build.map(|b| ("node.kubernetes.io/windows-build", b)));
        findings.push(
            Code::Windows,
            join(td_path, &w.field),
            format!(
                "{} makes it a Windows task: it needs Windows nodes{}",
                w.marker,
                build.map_or(String::new(), |b| format!(" of build {b}"))
            ),
        );
    } else if platform
        .and_then(|p| p.operating_system_family.as_deref())
        .is_some_and(|os| os.eq_ignore_ascii_case("LINUX"))
    {
        set.push(("kubernetes.io/os", "linux"));
    }
    // Without a runtimePlatform, the Windows finding says what became of the markers.
    if !set.is_empty() && platform.is_some() {
        let text: Vec<_> = set.iter().map(|(k, v)| format!("{k}={v}")).collect();
        findings.push(
            Code::RuntimePlatform,
            join(td_path, "runtimePlatform"),
            format!("node selector {}", text.join(", ")),
        );
    }
    for (k, v) in set {
        pod.node_selector.insert(k.to_string(), v.to_string());
    }
}

/// The network mode a task runs with: its own, else `awsvpc` on Fargate (which allows no other)
/// and `bridge` on EC2 and ECS Anywhere.
pub fn network_mode(td: &TaskDefinition) -> &str {
    match td.network_mode.as_deref().filter(|m| !m.is_empty()) {
        Some(mode) => mode,
        None if fargate_only(td) => "awsvpc",
        None => "bridge",
    }
}

fn fargate_only(td: &TaskDefinition) -> bool {
    let compat = &td.requires_compatibilities;
    let has = |k: &str| compat.iter().any(|c| c.eq_ignore_ascii_case(k));
    has("FARGATE") && !has("EC2") && !has("EXTERNAL")
}

/// Where the workload says it runs on Fargate: `(input, JSON path, what says so)`. The service's
/// launch type or capacity providers decide; without them, the task's compatibilities.
pub fn fargate(
    td: &Sourced<TaskDefinition>,
    service: Option<&Sourced<Service>>,
) -> Option<(String, String, String)> {
    if let Some(s) = service {
        if let Some(lt) = s.value.launch_type.as_deref().filter(|l| !l.is_empty()) {
            return lt.eq_ignore_ascii_case("FARGATE").then(|| {
                (
                    s.input.clone(),
                    join(&s.path, "launchType"),
                    "launchType FARGATE".into(),
                )
            });
        }
        let providers: Vec<&str> = s
            .value
            .capacity_provider_strategy
            .iter()
            .filter_map(|p| p.capacity_provider.as_deref())
            .collect();
        if !providers.is_empty() {
            return providers.iter().all(|p| p.starts_with("FARGATE")).then(|| {
                (
                    s.input.clone(),
                    join(&s.path, "capacityProviderStrategy"),
                    format!("capacity providers {}", providers.join(", ")),
                )
            });
        }
    }
    fargate_only(&td.value).then(|| {
        (
            td.input.clone(),
            join(&td.path, "requiresCompatibilities"),
            "requiresCompatibilities FARGATE".into(),
        )
    })
}

/// An arm64 task on Fargate: EKS Fargate has x86_64 capacity only.
pub fn arm_on_fargate(
    td: &Sourced<TaskDefinition>,
    service: Option<&Sourced<Service>>,
    findings: &mut Findings,
) {
    let arm = td
        .value
        .runtime_platform
        .as_ref()
        .and_then(|p| p.cpu_architecture.as_deref())
        .is_some_and(|a| a.eq_ignore_ascii_case("ARM64"));
    if let Some((input, _, why)) = fargate(td, service).filter(|_| arm) {
        let mut f = Finding::new(
            Code::ArmOnFargate,
            join(&td.path, "runtimePlatform.cpuArchitecture"),
            format!("the task is ARM64 and runs on Fargate ({why}), which EKS has for x86_64 only"),
        );
        f.input = input;
        findings.add(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn td(v: serde_json::Value) -> TaskDefinition {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn windows_tasks_are_recognised_by_their_markers() {
        let cases = [
            (
                serde_json::json!({"containerDefinitions": [{"name": "a", "entryPoint": ["Powershell", "-Command"]}]}),
                Some("containerDefinitions[0].entryPoint"),
            ),
            (
                serde_json::json!({"containerDefinitions": [{"name": "a", "mountPoints": [{"containerPath": "C:\\data"}]}]}),
                Some("containerDefinitions[0].mountPoints"),
            ),
            (
                serde_json::json!({"requiresCompatibilities": ["EC2"], "containerDefinitions": [{"name": "a", "credentialSpecs": ["credentialspec:arn:aws:s3:::b/x.json"]}]}),
                Some("containerDefinitions[0].credentialSpecs"),
            ),
            (
                serde_json::json!({"containerDefinitions": [{"name": "a", "command": ["\\\\.\\pipe\\docker_engine"]}]}),
                Some("containerDefinitions[0].command"),
            ),
            (
                serde_json::json!({"requiresCompatibilities": ["FARGATE"], "containerDefinitions": [{"name": "a", "entryPoint": ["cmd"]}]}),
                None,
            ),
            (
                serde_json::json!({"runtimePlatform": {"operatingSystemFamily": "LINUX"}, "containerDefinitions": [{"name": "a", "entryPoint": ["cmd"]}]}),
                None,
            ),
            (
                serde_json::json!({"containerDefinitions": [{"name": "a", "command": ["sh", "-c", "ls"]}]}),
                None,
            ),
            (
                serde_json::json!({"containerDefinitions": [{"name": "a", "command": ["--upstream=grpc://api:9090"]}]}),
                None,
            ),
            (
                serde_json::json!({"containerDefinitions": [{"name": "a", "dockerSecurityOptions": ["credentialspec:file://x.json"]}]}),
                Some("containerDefinitions[0].dockerSecurityOptions"),
            ),
            (
                serde_json::json!({"containerDefinitions": [{"name": "a", "command": ["--data=c:/data"]}]}),
                Some("containerDefinitions[0].command"),
            ),
        ];
        for (v, field) in cases {
            let t = td(v.clone());
            assert_eq!(windows(&t).map(|w| w.field).as_deref(), field, "{v}");
        }
    }

    #[test]
    fn windows_builds_and_node_selectors() {
        let t = td(serde_json::json!({"containerDefinitions": [
            {"name": "a", "image": "mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2019"}]}));
        let (mut pod, mut findings) = (PodSpec::default(), Findings::default());
        apply(&t, "", &mut pod, &mut findings);
        assert_eq!(pod.node_selector["kubernetes.io/os"], "windows");
        assert_eq!(
            pod.node_selector["node.kubernetes.io/windows-build"],
            "10.0.17763"
        );
        let t = td(
            serde_json::json!({"runtimePlatform": {"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"}, "containerDefinitions": []}),
        );
        assert_eq!(windows_build(&t), Some("10.0.20348"));
    }

    #[test]
    fn unset_network_mode_is_bridge_on_ec2() {
        assert_eq!(network_mode(&td(serde_json::json!({}))), "bridge");
        assert_eq!(
            network_mode(&td(
                serde_json::json!({"requiresCompatibilities": ["FARGATE"]})
            )),
            "awsvpc"
        );
        assert_eq!(
            network_mode(&td(serde_json::json!({"networkMode": "host"}))),
            "host"
        );
    }
}
