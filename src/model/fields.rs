//! The complete field lists of ECS task definitions and services, each entry mapped or reported.
//!
//! This table is the promise that nothing is dropped silently: `check` walks the raw JSON of
//! every input against it, reports each field that Kubernetes cannot express, and flags fields
//! that are not in the AWS API at all. docs/mapping.md's field table is rendered from it.

use crate::diagnostics::{Code, Findings};
use serde_json::Value;

pub enum Handling {
    /// Carried into Kubernetes; the text says where (for docs/mapping.md).
    Mapped(&'static str),
    /// Carried, and its sub-fields have their own table (objects, or lists of objects).
    Nested(&'static str, &'static [Field]),
    /// No Kubernetes equivalent: always reported with this code.
    Reported(Code),
    /// Read-only output of describe calls (ARNs, status, counts, timestamps): not configuration.
    Metadata,
}

pub struct Field {
    pub name: &'static str,
    pub handling: Handling,
}

const fn f(name: &'static str, handling: Handling) -> Field {
    Field { name, handling }
}

use Handling::{Mapped, Metadata, Nested, Reported};

pub const TASK_DEFINITION: &[Field] = &[
    f(
        "family",
        Mapped("Deployment name when no service names it; `app.kubernetes.io/name` otherwise"),
    ),
    f(
        "taskDefinitionArn",
        Mapped("account and region of the workload (report)"),
    ),
    f(
        "revision",
        Mapped("nowhere: selectors and names never carry a revision"),
    ),
    f(
        "containerDefinitions",
        Nested(
            "pod `containers`, `initContainers` (see the container table)",
            CONTAINER_DEFINITION,
        ),
    ),
    f(
        "taskRoleArn",
        Mapped(
            "ServiceAccount of the pod (IRSA annotation or Pod Identity association); the role as Terraform in iam/",
        ),
    ),
    f("executionRoleArn", Mapped("not given to pods; E2K151")),
    f(
        "networkMode",
        Mapped("pod networking: awsvpc as is; `host` → `hostNetwork: true`; bridge/none E2K150"),
    ),
    f(
        "volumes",
        Nested("pod `volumes` (see the volume table)", VOLUME),
    ),
    f(
        "placementConstraints",
        Mapped(
            "`memberOf` → required node affinity where a node label says the same; E2K585/E2K582",
        ),
    ),
    f(
        "requiresCompatibilities",
        Mapped("capacity is the cluster's; E2K105"),
    ),
    f(
        "cpu",
        Mapped(
            "`resources.requests.cpu` of a single container that sets none (1024 units = 1000m)",
        ),
    ),
    f(
        "memory",
        Mapped("`resources.requests/limits.memory` of a single container that sets none"),
    ),
    f("tags", Reported(Code::AwsTags)),
    f(
        "pidMode",
        Mapped("`task` → `shareProcessNamespace: true`; `host` → `hostPID: true` and E2K149"),
    ),
    f(
        "ipcMode",
        Mapped("`task` is the pod default; `host` → `hostIPC: true` and E2K149; `none` E2K149"),
    ),
    f("proxyConfiguration", Reported(Code::ProxyConfiguration)),
    f(
        "inferenceAccelerators",
        Reported(Code::InferenceAccelerator),
    ),
    f(
        "ephemeralStorage",
        Mapped("`resources.requests.ephemeral-storage` of the main container; E2K310"),
    ),
    f(
        "runtimePlatform",
        Mapped("`nodeSelector` `kubernetes.io/arch` and `kubernetes.io/os`; E2K311"),
    ),
    f("enableFaultInjection", Reported(Code::FaultInjection)),
    f("status", Metadata),
    f("requiresAttributes", Metadata),
    f("compatibilities", Metadata),
    f("registeredAt", Metadata),
    f("deregisteredAt", Metadata),
    f("registeredBy", Metadata),
];

pub const CONTAINER_DEFINITION: &[Field] = &[
    f("name", Mapped("container `name` (a DNS-1123 label)")),
    f("image", Mapped("`image`")),
    f(
        "repositoryCredentials",
        Mapped("`imagePullSecrets` from an ExternalSecret of type dockerconfigjson"),
    ),
    f(
        "cpu",
        Mapped("`resources.requests.cpu` (1024 units = 1000m)"),
    ),
    f(
        "memory",
        Mapped("`resources.limits.memory` (and the request when there is no reservation)"),
    ),
    f("memoryReservation", Mapped("`resources.requests.memory`")),
    f("links", Reported(Code::Links)),
    f(
        "portMappings",
        Nested("`ports` and the ClusterIP Service", PORT_MAPPING),
    ),
    f(
        "essential",
        Mapped("non-essential containers stay in the pod; E2K120"),
    ),
    f("restartPolicy", Reported(Code::RestartPolicy)),
    f("entryPoint", Mapped("`command`")),
    f("command", Mapped("`args`")),
    f(
        "environment",
        Mapped(
            "`env` (sorted by name); values that look like secrets read Secrets Manager (E2K413)",
        ),
    ),
    f(
        "environmentFiles",
        Mapped("nothing: the tool never reads S3; E2K158 names each file to move"),
    ),
    f("mountPoints", Mapped("`volumeMounts`")),
    f("volumesFrom", Reported(Code::VolumesFrom)),
    f(
        "linuxParameters",
        Nested(
            "`securityContext` and memory-backed volumes",
            LINUX_PARAMETERS,
        ),
    ),
    f(
        "secrets",
        Mapped("`env[].valueFrom.secretKeyRef` of a Secret made by an ExternalSecret"),
    ),
    f(
        "dependsOn",
        Mapped(
            "`initContainers`: COMPLETE/SUCCESS run first; START/HEALTHY become native sidecars",
        ),
    ),
    f("startTimeout", Reported(Code::StartTimeout)),
    f(
        "stopTimeout",
        Mapped("`terminationGracePeriodSeconds` of the pod (the largest)"),
    ),
    f("versionConsistency", Reported(Code::VersionConsistency)),
    f("hostname", Reported(Code::Hostname)),
    f("user", Mapped("`securityContext.runAsUser`/`runAsGroup`")),
    f("workingDirectory", Mapped("`workingDir`")),
    f("disableNetworking", Reported(Code::DisableNetworking)),
    f("privileged", Mapped("`securityContext.privileged`")),
    f(
        "readonlyRootFilesystem",
        Mapped("`securityContext.readOnlyRootFilesystem`"),
    ),
    f("dnsServers", Mapped("pod `dnsConfig.nameservers`; E2K144")),
    f("dnsSearchDomains", Mapped("pod `dnsConfig.searches`")),
    f("extraHosts", Mapped("pod `hostAliases`")),
    f(
        "dockerSecurityOptions",
        Reported(Code::DockerSecurityOptions),
    ),
    f("interactive", Mapped("`stdin`")),
    f("pseudoTerminal", Mapped("`tty`")),
    f("dockerLabels", Mapped("pod template annotations")),
    f("ulimits", Reported(Code::Ulimits)),
    f(
        "logConfiguration",
        Mapped("nothing in the pod: awslogs E2K140, other drivers E2K141"),
    ),
    f(
        "healthCheck",
        Mapped("`livenessProbe` exec (and a `startupProbe` for startPeriod)"),
    ),
    f("systemControls", Reported(Code::SystemControls)),
    f(
        "resourceRequirements",
        Mapped("GPU → `limits.nvidia.com/gpu`; InferenceAccelerator E2K143"),
    ),
    f("firelensConfiguration", Reported(Code::FireLens)),
    f("credentialSpecs", Reported(Code::CredentialSpecs)),
];

pub const PORT_MAPPING: &[Field] = &[
    f(
        "containerPort",
        Mapped("`containerPort` and a Service port"),
    ),
    f(
        "hostPort",
        Mapped("never `hostPort`; a host port other than the container port E2K134"),
    ),
    f("protocol", Mapped("`protocol` (TCP/UDP)")),
    f(
        "name",
        Mapped("port `name` (when it is a valid IANA service name)"),
    ),
    f("appProtocol", Mapped("Service port `appProtocol`")),
    f("containerPortRange", Reported(Code::PortRange)),
];

pub const LINUX_PARAMETERS: &[Field] = &[
    f("capabilities", Mapped("`securityContext.capabilities`")),
    f("devices", Reported(Code::Devices)),
    f("initProcessEnabled", Reported(Code::InitProcess)),
    f(
        "sharedMemorySize",
        Mapped("memory-backed `emptyDir` at /dev/shm"),
    ),
    f("tmpfs", Mapped("memory-backed `emptyDir` per path")),
    f("maxSwap", Reported(Code::Swap)),
    f("swappiness", Reported(Code::Swap)),
];

pub const VOLUME: &[Field] = &[
    f("name", Mapped("volume `name` (a DNS-1123 label)")),
    f(
        "host",
        Mapped("no sourcePath → `emptyDir`; sourcePath → `hostPath` and E2K200"),
    ),
    f("dockerVolumeConfiguration", Mapped("`emptyDir` and E2K201")),
    f(
        "efsVolumeConfiguration",
        Mapped(
            "static `PersistentVolume` (`efs.csi.aws.com`, `tls`/`iam` mount options) and a claim bound by `volumeName`; E2K570",
        ),
    ),
    f(
        "fsxWindowsFileServerVolumeConfiguration",
        Reported(Code::FsxVolume),
    ),
    f("configuredAtLaunch", Reported(Code::ConfiguredAtLaunch)),
];

pub const SERVICE: &[Field] = &[
    f(
        "serviceName",
        Mapped("Deployment `name`, namespace and app name"),
    ),
    f("cluster", Mapped("the report's cluster")),
    f(
        "taskDefinition",
        Mapped("the pod template, from that task definition"),
    ),
    f("desiredCount", Mapped("`replicas`")),
    f(
        "deploymentConfiguration",
        Nested(
            "RollingUpdate `maxSurge`/`maxUnavailable`",
            DEPLOYMENT_CONFIGURATION,
        ),
    ),
    f("launchType", Mapped("capacity is the cluster's; E2K105")),
    f(
        "capacityProviderStrategy",
        Mapped(
            "spot providers → node affinity on the capacity-type label (mapping); E2K580/E2K581",
        ),
    ),
    f("platformVersion", Reported(Code::PlatformVersion)),
    f("platformFamily", Metadata),
    f(
        "loadBalancers",
        Mapped(
            "Service port, Ingress (IngressGroup per ALB), NLB Service or TargetGroupBinding, readiness probe (docs/load-balancing.md)",
        ),
    ),
    f(
        "serviceRegistries",
        Mapped("the Service's cluster DNS name; old → new in the report (E2K595)"),
    ),
    f(
        "serviceConnectConfiguration",
        Mapped(
            "the Service's cluster DNS name; old → new in the report (E2K595); optional ExternalName Service; `logConfiguration`, `tls`, `timeout`… E2K302",
        ),
    ),
    f(
        "placementConstraints",
        Mapped(
            "`memberOf` → required node affinity; `distinctInstance` → pod anti-affinity; E2K582",
        ),
    ),
    f(
        "placementStrategy",
        Mapped("spread → `topologySpreadConstraints`; binpack/random E2K584"),
    ),
    f("networkConfiguration", Reported(Code::NetworkConfiguration)),
    f(
        "healthCheckGracePeriodSeconds",
        Reported(Code::HealthCheckGracePeriod),
    ),
    f(
        "schedulingStrategy",
        Mapped("REPLICA → Deployment; DAEMON → DaemonSet (E2K113)"),
    ),
    f(
        "deploymentController",
        Mapped("ECS → RollingUpdate; CODE_DEPLOY/EXTERNAL E2K106"),
    ),
    f("tags", Reported(Code::AwsTags)),
    f("enableECSManagedTags", Reported(Code::AwsTags)),
    f("propagateTags", Reported(Code::PropagateTags)),
    f("enableExecuteCommand", Reported(Code::ExecuteCommand)),
    f(
        "volumeConfigurations",
        Reported(Code::ServiceVolumeConfigurations),
    ),
    f("vpcLatticeConfigurations", Reported(Code::VpcLattice)),
    f("availabilityZoneRebalancing", Reported(Code::AzRebalancing)),
    f("role", Metadata),
    f("clientToken", Metadata),
    f(
        "serviceArn",
        Mapped("account and region of the workload (report)"),
    ),
    f("clusterArn", Mapped("the report's cluster")),
    f("status", Mapped("E2K119 when not ACTIVE")),
    f("runningCount", Metadata),
    f("pendingCount", Metadata),
    f("taskSets", Metadata),
    f("deployments", Metadata),
    f("roleArn", Metadata),
    f("events", Metadata),
    f("createdAt", Metadata),
    f("createdBy", Metadata),
    f("currentServiceDeployment", Metadata),
    f("currentServiceRevisions", Metadata),
    f("resourceManagementType", Metadata),
];

pub const DEPLOYMENT_CONFIGURATION: &[Field] = &[
    f(
        "maximumPercent",
        Mapped("`maxSurge` = maximumPercent − 100 %"),
    ),
    f(
        "minimumHealthyPercent",
        Mapped(
            "`maxUnavailable` = 100 % − minimumHealthyPercent; PodDisruptionBudget when > 1 replica (E2K590)",
        ),
    ),
    f("deploymentCircuitBreaker", Reported(Code::CircuitBreaker)),
    f("alarms", Reported(Code::DeploymentAlarms)),
    f("strategy", Reported(Code::DeploymentController)),
    f("bakeTimeInMinutes", Reported(Code::DeploymentController)),
    f("lifecycleHooks", Reported(Code::DeploymentController)),
];

/// Nothing is set: absent, `null`, `[]`, `{}` or `""` all mean the same in AWS JSON.
pub fn is_unset(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

/// Template placeholders people leave in files kept in Git (ecspresso, envsubst, CI scripts).
pub fn looks_like_placeholder(s: &str) -> bool {
    // Most values hold none of the characters a placeholder starts with.
    if !s.bytes().any(|b| matches!(b, b'{' | b'$' | b'<' | b'%')) {
        return false;
    }
    let percent = s.matches('%').count() >= 2 && {
        // `%NAME%`, not `100%` or URL escapes like `%20`.
        s.split('%')
            .skip(1)
            .step_by(2)
            .any(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
    };
    s.contains("{{") || s.contains("${") || s.contains("<%") || s.contains("$$$") || percent
}

/// Walks `value` against `table`: reports fields Kubernetes cannot express, fields unknown to
/// the AWS API, and placeholders left in values.
pub fn check(value: &Value, table: &[Field], path: &str, findings: &mut Findings) {
    check_at(value, table, &mut path.to_string(), findings);
}

/// `check` with the path in one buffer, extended and cut back as it descends: most fields give
/// no finding, and a batch checks millions of them.
fn check_at(value: &Value, table: &[Field], path: &mut String, findings: &mut Findings) {
    let Some(object) = value.as_object() else {
        return;
    };
    for (key, v) in object {
        if is_unset(v) {
            continue;
        }
        let len = path.len();
        push_key(path, key);
        match table.iter().find(|f| f.name == key) {
            None => findings.push(
                Code::UnknownField,
                path.as_str(),
                format!("`{key}` is not a field of the ECS API; it was not converted"),
            ),
            Some(Field {
                handling: Handling::Reported(code),
                ..
            }) => findings.push(
                *code,
                path.as_str(),
                format!("`{key}` has no Kubernetes equivalent and was not converted"),
            ),
            Some(Field {
                handling: Handling::Metadata,
                ..
            }) => {}
            Some(Field {
                handling: Handling::Nested(_, sub),
                ..
            }) => match v {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let at = path.len();
                        push_index(path, i);
                        check_at(item, sub, path, findings);
                        path.truncate(at);
                    }
                }
                _ => check_at(v, sub, path, findings),
            },
            Some(Field {
                handling: Handling::Mapped(_),
                ..
            }) => placeholders(v, path, findings),
        }
        path.truncate(len);
    }
}

fn placeholders(v: &Value, path: &mut String, findings: &mut Findings) {
    match v {
        Value::String(s) if looks_like_placeholder(s) => findings.push(
            Code::Placeholder,
            path.as_str(),
            format!("`{path}` holds a template placeholder: {s}"),
        ),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let at = path.len();
                push_index(path, i);
                placeholders(item, path, findings);
                path.truncate(at);
            }
        }
        Value::Object(o) => {
            for (k, item) in o {
                let at = path.len();
                push_key(path, k);
                placeholders(item, path, findings);
                path.truncate(at);
            }
        }
        _ => {}
    }
}

/// `join`, in place.
fn push_key(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

fn push_index(path: &mut String, i: usize) {
    use std::fmt::Write as _;
    let _ = write!(path, "[{i}]"); // writing to a String does not fail
}

/// `a.b` JSON path joining; the root is the empty path.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// docs/mapping.md's field table, rendered from the field lists above.
pub fn markdown_table() -> String {
    let mut out = String::new();
    for (title, table) in [
        ("Task definition", TASK_DEFINITION),
        (
            "Container definition (`containerDefinitions[]`)",
            CONTAINER_DEFINITION,
        ),
        ("Port mapping (`portMappings[]`)", PORT_MAPPING),
        ("Linux parameters (`linuxParameters`)", LINUX_PARAMETERS),
        ("Volume (`volumes[]`)", VOLUME),
        ("Service", SERVICE),
        (
            "Deployment configuration (`deploymentConfiguration`)",
            DEPLOYMENT_CONFIGURATION,
        ),
    ] {
        out.push_str(&format!(
            "### {title}\n\n| ECS field | Kubernetes |\n|---|---|\n"
        ));
        for field in table {
            let target = match &field.handling {
                Handling::Mapped(t) | Handling::Nested(t, _) => t.to_string(),
                Handling::Reported(code) => format!("finding {code}"),
                Handling::Metadata => "describe output, not configuration".to_string(),
            };
            out.push_str(&format!("| `{}` | {target} |\n", field.name));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_recognised() {
        for s in [
            "{{ must_env `X` }}",
            "${IMAGE}",
            "%AWS_ID%.dkr.ecr",
            "$$$TAG$$$",
        ] {
            assert!(looks_like_placeholder(s), "{s}");
        }
        for s in ["100%", "a%20b%20c", "nginx:1.25", "sh -c 'echo $HOME'"] {
            assert!(!looks_like_placeholder(s), "{s}");
        }
    }

    #[test]
    fn reported_and_unknown_fields_become_findings() {
        let td = serde_json::json!({
            "family": "x", "ipcMode": null, "tags": [],
            "containerDefinitions": [{"name": "a", "ulimits": [{"name": "nofile"}], "colour": "blue"}]
        });
        let mut findings = Findings::default();
        check(&td, TASK_DEFINITION, "", &mut findings);
        assert_eq!(
            findings.code_fields(),
            [
                (Code::Ulimits, "containerDefinitions[0].ulimits"),
                (Code::UnknownField, "containerDefinitions[0].colour")
            ]
        );
    }
}
