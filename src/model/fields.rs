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
        Mapped(
            "pod networking: awsvpc as is; `host` → `hostNetwork: true`; bridge (and unset, bridge on EC2)/none E2K150",
        ),
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
            "`resources.requests.cpu` of the single or essential container that sets none, less the others' (1024 units = 1000m); E2K142",
        ),
    ),
    f(
        "memory",
        Mapped(
            "`resources.requests/limits.memory` of the single or essential container that sets none, less the others'; the pod's total limit; E2K142",
        ),
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
    f(
        "proxyConfiguration",
        Mapped("the App Mesh Envoy container it names leaves the pod; E2K148"),
    ),
    f(
        "inferenceAccelerators",
        Reported(Code::InferenceAccelerator),
    ),
    f(
        "ephemeralStorage",
        Mapped(
            "`resources.requests.ephemeral-storage` of the main container: sizeInGiB − 20 (Fargate's size includes the image layers), nothing when 20 or less; E2K310, and E2K314 naming the node volume needed",
        ),
    ),
    f(
        "runtimePlatform",
        Mapped(
            "`nodeSelector` `kubernetes.io/arch`, `kubernetes.io/os` (and `node.kubernetes.io/windows-build`); E2K311; ARM64 on Fargate E2K313",
        ),
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
    f(
        "links",
        Mapped("pod `hostAliases`: each name and alias resolves to 127.0.0.1; E2K125"),
    ),
    f(
        "portMappings",
        Nested("`ports` and the ClusterIP Service", PORT_MAPPING),
    ),
    f(
        "essential",
        Mapped(
            "non-essential containers stay in the pod; E2K120, or E2K166 with a health check or ports",
        ),
    ),
    f("restartPolicy", Reported(Code::RestartPolicy)),
    f(
        "entryPoint",
        Mapped("`command` (`[\"\"]` clears the image's: `command` then takes the ECS command)"),
    ),
    f(
        "command",
        Mapped("`args` (`$(` and `$$` escaped for the kubelet)"),
    ),
    f(
        "environment",
        Mapped(
            "`env` (sorted by name; `$(` and `$$` escaped for the kubelet); values that look like secrets read Secrets Manager (E2K413)",
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
    f("privileged", Mapped("`securityContext.privileged`; E2K167")),
    f(
        "readonlyRootFilesystem",
        Mapped("`securityContext.readOnlyRootFilesystem`"),
    ),
    f(
        "dnsServers",
        Mapped(
            "pod `dnsConfig.nameservers` after the cluster DNS (E2K144); mapping `dns.replace`: `dnsPolicy: None` with only them (E2K171)",
        ),
    ),
    f("dnsSearchDomains", Mapped("pod `dnsConfig.searches`")),
    f("extraHosts", Mapped("pod `hostAliases`")),
    f(
        "dockerSecurityOptions",
        Reported(Code::DockerSecurityOptions),
    ),
    f("interactive", Mapped("`stdin`")),
    f("pseudoTerminal", Mapped("`tty`")),
    f(
        "dockerLabels",
        Mapped("pod template annotations; a clash keeps the essential container's value (E2K162)"),
    ),
    f("ulimits", Reported(Code::Ulimits)),
    f(
        "logConfiguration",
        Mapped(
            "nothing in the pod: awslogs E2K140; `awsfirelens` → a node-level Fluent Bit `[OUTPUT]` (platform/logging/), E2K139; other drivers E2K141",
        ),
    ),
    f(
        "healthCheck",
        Mapped(
            "`livenessProbe` exec (and a `startupProbe` for startPeriod); none for a command ECS ignores, E2K122",
        ),
    ),
    f("systemControls", Reported(Code::SystemControls)),
    f(
        "resourceRequirements",
        Mapped(
            "GPU → `limits.nvidia.com/gpu` and the `nvidia.com/gpu` toleration (mapping); InferenceAccelerator E2K143",
        ),
    ),
    f(
        "firelensConfiguration",
        Mapped(
            "the log router leaves the pod; the `awsfirelens` options of the others become Fluent Bit outputs; E2K139",
        ),
    ),
    f(
        "credentialSpecs",
        Mapped("`securityContext.windowsOptions.gmsaCredentialSpecName`; E2K138"),
    ),
];

pub const PORT_MAPPING: &[Field] = &[
    f(
        "containerPort",
        Mapped("`containerPort` and a Service port"),
    ),
    f(
        "hostPort",
        Mapped(
            "never `hostPort`; E2K134 for a static one (under awsvpc, only one other than the container port)",
        ),
    ),
    f("protocol", Mapped("`protocol` (TCP/UDP)")),
    f(
        "name",
        Mapped("port `name` (when it is a valid IANA service name)"),
    ),
    f(
        "appProtocol",
        Mapped("Service port `appProtocol` (an empty one is unset)"),
    ),
    f("containerPortRange", Reported(Code::PortRange)),
];

pub const LINUX_PARAMETERS: &[Field] = &[
    f(
        "capabilities",
        Mapped("`securityContext.capabilities`; E2K167 beyond Pod Security's baseline"),
    ),
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
        Mapped(
            "no sourcePath → `emptyDir`; sourcePath → `hostPath` (type `File`/`Socket` where the path says) and E2K200, E2K206 (Docker's), E2K207 (a file)",
        ),
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
    f(
        "networkConfiguration",
        Nested(
            "`awsvpcConfiguration`: security groups → `SecurityGroupPolicy` (mapping `network.securityGroups`)",
            NETWORK_CONFIGURATION,
        ),
    ),
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

pub const NETWORK_CONFIGURATION: &[Field] = &[f(
    "awsvpcConfiguration",
    Nested(
        "the pods' security groups (table below)",
        AWSVPC_CONFIGURATION,
    ),
)];

pub const AWSVPC_CONFIGURATION: &[Field] = &[
    f(
        "securityGroups",
        Mapped(
            "`SecurityGroupPolicy` (`vpcresources.k8s.aws/v1beta1`) selecting the app's pods, E2K316; mapping `network.securityGroups: none`: E2K317; Windows pods: E2K321; not in the cluster's VPC: E2K318 (unchecked: E2K319)",
        ),
    ),
    f("subnets", Reported(Code::NetworkConfiguration)),
    f(
        "assignPublicIp",
        Mapped("`ENABLED`: E2K320 (pods get no public IP)"),
    ),
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

/// Template placeholders people leave in files kept in Git (ecspresso, envsubst, CI scripts,
/// CodeDeploy, documentation): `{{ }}`, `<% %>`, `$$$X$$$`, `%NAME%`, `<NAME>`, `CHANGEME`,
/// `PLACEHOLDER`, `XXXXXXXX`; and `${VAR}` or `$VAR` only where the whole value reads as a
/// template (one token, such as `${REPO}:${TAG}`), not as a shell script using its variables.
pub fn looks_like_placeholder(s: &str) -> bool {
    // Most values hold none of the characters a placeholder starts with.
    let special = s.bytes().any(|b| matches!(b, b'{' | b'$' | b'<' | b'%'));
    if !special {
        return placeholder_word(s);
    }
    let percent = s.matches('%').count() >= 2 && {
        // `%NAME%`, not `100%` or URL escapes like `%20`.
        s.split('%')
            .skip(1)
            .step_by(2)
            .any(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
    };
    s.contains("{{")
        || s.contains("<%")
        || s.contains("$$$")
        || percent
        || angle_placeholder(s)
        || (!s.contains(char::is_whitespace) && shell_variable(s))
        || placeholder_word(s)
}

/// `CHANGEME`, `PLACEHOLDER`, `REPLACE_ME` or a run of eight `X`: written to be replaced.
fn placeholder_word(s: &str) -> bool {
    const WORDS: [&str; 5] = [
        "CHANGEME",
        "CHANGE_ME",
        "PLACEHOLDER",
        "REPLACE_ME",
        "XXXXXXXX",
    ];
    let upper = s.bytes().any(|b| matches!(b, b'C' | b'P' | b'R' | b'X'));
    (upper && WORDS.iter().any(|w| s.contains(w)))
        || ["changeme", "placeholder", "xxxxxxxxxxxx"]
            .iter()
            .any(|w| s.eq_ignore_ascii_case(w))
}

/// `<IMAGE1_URI>`, `<account-id>`, `<your bucket>`: a name in angle brackets, not markup.
fn angle_placeholder(s: &str) -> bool {
    s.split('<').skip(1).any(|after| {
        let Some((inner, _)) = after.split_once('>') else {
            return false;
        };
        !inner.is_empty()
            && inner.len() <= 64
            && inner.starts_with(|c: char| c.is_ascii_alphabetic())
            && inner
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " _.-".contains(c))
            && inner
                .chars()
                .any(|c| c.is_ascii_uppercase() || " _-".contains(c))
    })
}

/// `${NAME}` anywhere, or `$NAME` (upper case) at the start or after a non-alphanumeric.
fn shell_variable(s: &str) -> bool {
    let bytes = s.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    (0..bytes.len()).any(|i| {
        if bytes[i] != b'$' || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            return false;
        }
        match bytes.get(i + 1) {
            Some(b'{') => {
                let rest = &bytes[i + 2..];
                let end = rest.iter().position(|b| !ident(*b)).unwrap_or(rest.len());
                end > 0 && rest.get(end) == Some(&b'}') && !rest[0].is_ascii_digit()
            }
            Some(b) if b.is_ascii_uppercase() || *b == b'_' => bytes[i + 1..]
                .iter()
                .take_while(|b| ident(**b))
                .all(|b| !b.is_ascii_lowercase()),
            _ => false,
        }
    })
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
            }) => match fluent_bit_options(key, v) {
                // Fluent Bit's own `${VAR}` references live there.
                true => {
                    for (k, item) in v.as_object().into_iter().flatten() {
                        if k != "options" {
                            let at = path.len();
                            push_key(path, k);
                            placeholders(item, path, findings);
                            path.truncate(at);
                        }
                    }
                }
                false => placeholders(v, path, findings),
            },
        }
        path.truncate(len);
    }
}

/// True for a FireLens router's configuration and an `awsfirelens` log configuration, whose
/// `options` are Fluent Bit's.
fn fluent_bit_options(key: &str, v: &Value) -> bool {
    key == "firelensConfiguration"
        || (key == "logConfiguration"
            && v.get("logDriver").and_then(Value::as_str) == Some("awsfirelens"))
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
        (
            "Network configuration (`networkConfiguration.awsvpcConfiguration`)",
            AWSVPC_CONFIGURATION,
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
            "${REPO}:${TAG}",
            "arn:aws:iam::${AWS_ACCOUNT_ID}:role/app",
            "$DB_HOST",
            "postgres://$DB_HOST:5432/app",
            "%AWS_ID%.dkr.ecr",
            "$$$TAG$$$",
            "<IMAGE1_URI>",
            "arn:aws:iam::<account-id>:role/app",
            "CHANGEME",
            "changeme",
            "__PLACEHOLDER__",
            "arn:aws:iam::XXXXXXXXXXXX:role/app",
        ] {
            assert!(looks_like_placeholder(s), "{s}");
        }
        for s in [
            "100%",
            "a%20b%20c",
            "nginx:1.25",
            "sh -c 'echo $HOME'",
            "exec java ${JAVA_OPTS} -jar app.jar",
            "echo ${HOME} && run",
            "pa$sword",
            "$1",
            "${1}",
            "<html>",
            "a < b > c",
            "Change me later",
        ] {
            assert!(!looks_like_placeholder(s), "{s}");
        }
    }

    /// Fluent Bit's `${VAR}` in FireLens options is its own, not a placeholder.
    #[test]
    fn firelens_options_are_not_placeholders() {
        let td = serde_json::json!({"containerDefinitions": [
            {"name": "a", "logConfiguration": {"logDriver": "awsfirelens",
                "options": {"Name": "cloudwatch", "log_stream_name": "${HOSTNAME}"}}},
            {"name": "r", "image": "${ROUTER_IMAGE}",
             "firelensConfiguration": {"type": "fluentbit", "options": {"x": "${Y}"}}}
        ]});
        let mut findings = Findings::default();
        check(&td, TASK_DEFINITION, "", &mut findings);
        assert_eq!(
            findings.code_fields(),
            [(Code::Placeholder, "containerDefinitions[1].image")]
        );
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
