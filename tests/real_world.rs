//! Real task definitions, as people write them (issue 20): one fixture per shape in
//! `tests/fixtures/real-world/`, each converted as a user would, with what an EKS engineer checks
//! of the pod: that it applies, starts, and behaves as it did on ECS, and the finding that says
//! what changed.

use crate::common::*;
use ecs2eks::Converted;
use ecs2eks::mappings::Mappings;
use serde_json::{Value, json};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/real-world").join(name)
}

fn convert_with(files: &[&str], mappings: &Mappings) -> Converted {
    let inputs: Vec<PathBuf> = files.iter().map(|f| fixture(f)).collect();
    ecs2eks::convert(&inputs, mappings, Some(&inventory())).unwrap()
}

fn convert(files: &[&str]) -> Converted {
    convert_with(files, &Mappings::defaults())
}

fn only(c: &Converted) -> Made<'_> {
    let mut all = workloads(c);
    let w = all.next().expect("a workload");
    assert!(all.next().is_none());
    w
}

fn pod(w: Made<'_>) -> Value {
    let workload = w
        .objects
        .iter()
        .find(|o| matches!(o.kind, "Deployment" | "DaemonSet" | "Job"))
        .expect("a workload object")
        .to_json();
    workload["spec"]["template"]["spec"].clone()
}

fn container<'a>(pod: &'a Value, name: &str) -> &'a Value {
    ["initContainers", "containers"]
        .iter()
        .filter_map(|k| pod[k].as_array())
        .flatten()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no container {name} in {pod}"))
}

fn names(pod: &Value, list: &str) -> Vec<String> {
    pod[list]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// Item 1: an empty `appProtocol` is unset; the API server rejects `appProtocol: ""`.
#[test]
fn an_empty_app_protocol_is_unset() {
    let c = convert(&["01-app-protocol-empty.json"]);
    let service = object(only(&c), "Service");
    let ports = service["spec"]["ports"].as_array().unwrap();
    assert_eq!(ports[0]["port"], 8080);
    assert!(ports[0].get("appProtocol").is_none(), "{service}");
    assert_eq!(ports[1]["appProtocol"], "kubernetes.io/h2c");
}

/// Item 2: `entryPoint: [""]` clears the image's entrypoint; the command is the whole command
/// (never `command: [""]`, which containerd cannot exec). Without a command, a warning.
#[test]
fn a_cleared_entrypoint_is_no_empty_command() {
    let c = convert(&["02-entrypoint-cleared.json"]);
    let w = only(&c);
    let pod = pod(w);
    let worker = container(&pod, "worker");
    assert_eq!(
        worker["command"],
        json!(["/usr/local/bin/worker", "--queue", "jobs"])
    );
    assert!(worker.get("args").is_none());
    let metrics = container(&pod, "metrics");
    assert!(metrics.get("command").is_none() && metrics.get("args").is_none());
    assert_eq!(fields(&w, "E2K165"), ["containerDefinitions[1].entryPoint"]);
}

/// Item 3: health checks ECS ignores make no probe (one would always fail and kill the
/// container); a good one still does.
#[test]
fn health_checks_ecs_ignores_make_no_probe() {
    let c = convert(&["03-health-checks-ecs-ignores.json"]);
    let w = only(&c);
    let pod = pod(w);
    for name in ["api", "cache", "proxy"] {
        let k = container(&pod, name);
        assert!(k.get("livenessProbe").is_none(), "{name}: {k}");
    }
    let sidecar = container(&pod, "sidecar");
    assert_eq!(
        sidecar["livenessProbe"]["exec"]["command"],
        json!(["sh", "-c", "test -f /tmp/ready || exit 1"])
    );
    assert_eq!(
        fields(&w, "E2K122"),
        [
            "containerDefinitions[0].healthCheck.command",
            "containerDefinitions[1].healthCheck.command",
            "containerDefinitions[2].healthCheck.command"
        ]
    );
}

/// Item 4: Docker's socket and data, and single files, are typed so the pod fails fast, with
/// warnings that say what to do instead.
#[test]
fn node_paths_that_eks_nodes_lack_are_typed_and_named() {
    let c = convert(&["04-node-host-paths.json"]);
    let w = only(&c);
    let volumes = pod(w)["volumes"].clone();
    let host = |name: &str| {
        volumes
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap()["hostPath"]
            .clone()
    };
    assert_eq!(
        host("docker-socket"),
        json!({"path": "/var/run/docker.sock", "type": "Socket"})
    );
    assert_eq!(host("docker-containers")["type"], "Directory");
    assert_eq!(host("localtime")["type"], "File");
    assert_eq!(host("shipper-config")["type"], "File");
    assert!(host("node-logs").get("type").is_none());
    assert_eq!(
        fields(&w, "E2K206"),
        ["volumes[0].host.sourcePath", "volumes[1].host.sourcePath"]
    );
    assert_eq!(
        fields(&w, "E2K207"),
        ["volumes[2].host.sourcePath", "volumes[3].host.sourcePath"]
    );
    assert_eq!(fields(&w, "E2K200"), ["volumes[4].host.sourcePath"]);
}

/// Item 5: a Fargate size given at the task level only goes to the essential container, after
/// the sidecar's own reservation; the task's memory is the pod's limit. No BestEffort pod.
#[test]
fn a_task_level_size_is_carried_to_the_essential_container() {
    let c = convert(&["05-fargate-task-size.json"]);
    let w = only(&c);
    let pod = pod(w);
    assert_eq!(
        container(&pod, "orders")["resources"],
        json!({"requests": {"cpu": "969m", "memory": "1792Mi"}, "limits": {"memory": "1792Mi"}})
    );
    assert_eq!(
        container(&pod, "xray-daemon")["resources"],
        json!({"requests": {"cpu": "31m", "memory": "256Mi"}})
    );
    let said = found(&w, "E2K142");
    assert_eq!(said.len(), 1);
    assert!(
        said[0].1.contains("went to its essential container orders"),
        "{said:?}"
    );
}

/// Item 6: the FireLens router leaves the pod with the edges to it; each app container's output
/// becomes an `[OUTPUT]` of the node-level Fluent Bit, in `platform/logging/<env>/`, matched on
/// the app's namespace; the secret option stays a reference.
#[test]
fn firelens_routing_goes_to_the_node_level_fluent_bit() {
    let files = ["06-firelens-router.json", "06-firelens-service.json"];
    let c = convert(&files);
    let w = only(&c);
    let pod = pod(w);
    assert_eq!(names(&pod, "containers"), ["checkout", "audit"]);
    assert!(names(&pod, "initContainers").is_empty(), "{pod}");
    let outputs = w.log_outputs.as_deref().unwrap();
    assert!(outputs.contains("Match   kube.var.log.containers.*_checkout-dev_checkout-*"));
    assert!(outputs.contains("apikey     ${CHECKOUT_DEV_APIKEY}"));
    assert!(outputs.contains("# apikey: set CHECKOUT_DEV_APIKEY on the Fluent Bit DaemonSet from arn:aws:secretsmanager:eu-west-1:111111111111:secret:datadog/api-key-AbCdEf"));
    assert!(outputs.contains("log_stream_name   ${HOSTNAME}"));
    assert!(!outputs.contains("log-driver-buffer-limit"));
    let warnings = found(&w, "E2K139");
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings[1]
            .1
            .contains("to datadog (Host http-intake.logs.datadoghq.eu)")
    );
    // Fluent Bit's own ${HOSTNAME} is not a placeholder.
    assert!(fields(&w, "E2K117").is_empty());

    let inputs: Vec<PathBuf> = files.iter().map(|f| fixture(f)).collect();
    let (_, tree) =
        ecs2eks::generate_repo(&inputs, &Mappings::defaults(), Some(&inventory())).unwrap();
    let map: Value = serde_norway::from_str(&tree["platform/logging/dev/configmap.yaml"]).unwrap();
    assert_eq!(map["metadata"]["namespace"], "amazon-cloudwatch");
    assert_eq!(map["data"]["checkout-dev.conf"].as_str(), Some(outputs));
    assert!(tree["argocd/kustomization.yaml"].contains("logging-dev.yaml"));
    assert!(tree["argocd/logging-dev.yaml"].contains("path: platform/logging/dev"));
}

/// Item 7: containers made for ECS get a warning that names what replaces them on EKS.
#[test]
fn ecs_only_agents_are_named_with_their_replacement() {
    let c = convert(&["07-ecs-agents.json"]);
    let w = only(&c);
    let said = found(&w, "E2K164");
    let fields: Vec<&str> = said.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "containerDefinitions[0].environment",
            "containerDefinitions[1].image",
            "containerDefinitions[2].image",
            "containerDefinitions[3].image"
        ]
    );
    assert!(said[0].1.contains("Downward API"));
    assert!(said[1].1.contains("ECS_FARGATE") && said[1].1.contains("Datadog Helm chart"));
    assert!(said[2].1.contains("/etc/ecs/") && said[2].1.contains("ADOT"));
    assert!(said[3].1.contains("X-Ray"));
}

/// Item 8: a one-off task stays a Deployment by default, with a warning naming the signal; under
/// `standaloneTaskDefinitions: job` it is a suspended Job that runs once.
#[test]
fn one_off_tasks_become_suspended_jobs_on_request() {
    let c = convert(&["08-one-off-migration.json"]);
    let w = only(&c);
    assert!(w.objects.iter().any(|o| o.kind == "Deployment"));
    let said = found(&w, "E2K168");
    assert_eq!(said[0].0, "containerDefinitions[0].command");
    assert!(said[0].1.contains("`python manage.py migrate --noinput`"));

    let m = Mappings::load(Some(("m.yaml", "standaloneTaskDefinitions: job\n"))).unwrap();
    let c = convert_with(&["08-one-off-migration.json"], &m);
    let w = only(&c);
    let kinds: Vec<&str> = w.objects.iter().map(|o| o.kind).collect();
    assert_eq!(kinds, ["Namespace", "ServiceAccount", "Job"]);
    let job = object(w, "Job");
    assert_eq!(job["apiVersion"], "batch/v1");
    assert_eq!(job["spec"]["suspend"], true);
    assert_eq!(job["spec"]["backoffLimit"], 0);
    assert_eq!(job["spec"]["template"]["spec"]["restartPolicy"], "Never");
    assert_eq!(fields(&w, "E2K169"), ["family"]);
    assert!(fields(&w, "E2K100").is_empty() && fields(&w, "E2K168").is_empty());
    assert!(Mappings::load(Some(("m.yaml", "standaloneTaskDefinitions: cronjob\n"))).is_err());
}

/// Item 9: an EC2 Windows task without `runtimePlatform` is recognised by its markers, pinned to
/// Windows nodes of its build, and its gMSA spec named; ARM64 on Fargate is a warning.
#[test]
fn windows_markers_and_arm64_on_fargate() {
    let c = convert(&["09-windows-ec2.json"]);
    let w = only(&c);
    let pod = pod(w);
    assert_eq!(
        pod["nodeSelector"],
        json!({"kubernetes.io/os": "windows", "node.kubernetes.io/windows-build": "10.0.20348"})
    );
    assert_eq!(
        container(&pod, "iis")["securityContext"],
        json!({"windowsOptions": {"gmsaCredentialSpecName": "legacy-iis"}})
    );
    assert_eq!(
        fields(&w, "E2K154"),
        ["containerDefinitions[0].credentialSpecs"]
    );
    assert_eq!(
        fields(&w, "E2K138"),
        ["containerDefinitions[0].credentialSpecs"]
    );

    let c = convert(&["09-arm64-fargate.json", "09-arm64-service.json"]);
    let w = only(&c);
    let said = found(&w, "E2K313");
    assert_eq!(said[0].0, "runtimePlatform.cpuArchitecture");
    assert!(said[0].1.contains("capacity providers FARGATE"));
}

/// Item 10: the Envoy of an App Mesh task leaves the pod with the edges to it; the warning names
/// the replacement the mappings choose.
#[test]
fn app_mesh_envoy_leaves_the_pod() {
    let c = convert(&["10-app-mesh.json"]);
    let w = only(&c);
    let pod = pod(w);
    assert_eq!(names(&pod, "containers"), ["catalog"]);
    assert!(names(&pod, "initContainers").is_empty());
    let said = found(&w, "E2K148");
    assert_eq!(said.len(), 1);
    assert!(said[0].1.contains("VPC Lattice"), "{said:?}");

    let m = Mappings::load(Some(("m.yaml", "appMesh:\n  replacement: istio-ambient\n"))).unwrap();
    let c = convert_with(&["10-app-mesh.json"], &m);
    assert!(found(&only(&c), "E2K148")[0].1.contains("Istio ambient"));
}

/// Item 11: a non-essential container with a health check or ports is a warning: its crash loop
/// takes the pod out of its Service.
#[test]
fn non_essential_containers_that_count_for_readiness_are_warnings() {
    let c = convert(&["11-non-essential-sidecars.json"]);
    let w = only(&c);
    assert_eq!(
        fields(&w, "E2K166"),
        [
            "containerDefinitions[1].essential",
            "containerDefinitions[2].essential"
        ]
    );
    assert_eq!(fields(&w, "E2K120"), ["containerDefinitions[3].essential"]);
}

/// Item 12: a bridge task's static host ports are reported even when equal to the container
/// port, and no networkMode is reported as bridge.
#[test]
fn static_host_ports_of_bridge_tasks_are_reported() {
    let c = convert(&["12-bridge-static-ports.json"]);
    let w = only(&c);
    assert_eq!(
        fields(&w, "E2K134"),
        [
            "containerDefinitions[0].portMappings[0].hostPort",
            "containerDefinitions[0].portMappings[1].hostPort"
        ]
    );
    let network = found(&w, "E2K150");
    assert_eq!(network[0].0, "networkMode");
    assert!(network[0].1.contains("bridge on EC2"));
}

/// Item 13: privileged containers and capabilities beyond the baseline name the Pod Security
/// label their namespace needs.
#[test]
fn privileged_containers_need_a_pod_security_exception() {
    let c = convert(&["13-privileged.json"]);
    let w = only(&c);
    let said = found(&w, "E2K167");
    let fields: Vec<&str> = said.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "containerDefinitions[0].linuxParameters.capabilities.add",
            "containerDefinitions[1].privileged",
            "containerDefinitions[1].linuxParameters.capabilities.add"
        ]
    );
    assert!(said[0].1.contains("NET_ADMIN, SYS_MODULE") && !said[0].1.contains("CHOWN"));
    assert!(w.findings.iter().all(|f| {
        f.code.as_str() != "E2K167"
            || f.help
                .contains("pod-security.kubernetes.io/enforce=privileged")
    }));
}

/// Item 14: GPU pods tolerate the `nvidia.com/gpu` taint, unless the mappings say no.
#[test]
fn gpu_pods_tolerate_the_gpu_taint() {
    let c = convert(&["14-gpu.json"]);
    assert_eq!(
        pod(only(&c))["tolerations"],
        json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}])
    );
    let m = Mappings::load(Some(("m.yaml", "placement:\n  gpuToleration: false\n"))).unwrap();
    let c = convert_with(&["14-gpu.json"], &m);
    assert!(pod(only(&c)).get("tolerations").is_none());
}

/// Item 16: a placeholder role ARN is an error and no role; placeholders are found where a whole
/// value is a template (not in a shell command); `$(` and `$$` reach the process as written.
#[test]
fn placeholders_and_what_the_kubelet_expands() {
    let c = convert(&["16-placeholders.json"]);
    let w = only(&c);
    assert_eq!(fields(&w, "E2K461"), ["taskRoleArn"]);
    assert!(w.failed() && w.role.is_none());
    assert!(c.conversion.iam_roles.is_empty());
    assert_eq!(
        fields(&w, "E2K117"),
        [
            "taskRoleArn",
            "containerDefinitions[0].image",
            "containerDefinitions[0].environment[0].value",
            "containerDefinitions[0].environment[2].value",
            "containerDefinitions[0].environment[3].value"
        ]
    );

    // The same task with a real role converts; its strings reach the process as ECS passed them.
    let text = std::fs::read_to_string(fixture("16-placeholders.json"))
        .unwrap()
        .replace("${AWS_ACCOUNT_ID}", "111111111111");
    let mut inputs = ecs2eks::model::read::Inputs::default();
    ecs2eks::import::read_bytes("td.json", text.as_bytes(), &mut inputs);
    let c = ecs2eks::convert_read(
        inputs,
        &Mappings::defaults(),
        Some(&inventory()),
        &|_, _| {},
    );
    let w = only(&c);
    assert!(!w.failed());
    let pod = pod(w);
    let k = container(&pod, "notifier");
    assert_eq!(
        k["args"],
        json!(["exec notifier --since \"$$(date -u +%F)\" --price '$$$$5' --home $$HOME"])
    );
    let env = |name: &str| {
        k["env"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(env("TEMPLATE"), "Hello $$(NAME), your order costs $$$$5");
    assert_eq!(env("SMTP_HOST"), "$SMTP_HOST");
    assert_eq!(env("GREETING"), "echo ${HOME} is home");
}

/// The sample of these shapes converts to a repository whose every overlay builds and validates
/// (scripts/samples.sh runs the schemas); here, what it holds.
#[test]
fn the_real_world_sample() {
    let tree = sample_repo("real-world");
    assert!(tree.contains_key("apps/db-migrate/base/job.yaml"));
    assert!(tree.contains_key("apps/node-agent/base/daemonset.yaml"));
    assert!(tree["platform/logging/dev/configmap.yaml"].contains("checkout-dev.conf: |"));
    let checkout = &tree["apps/checkout/base/deployment.yaml"];
    assert!(!checkout.contains("log_router") && !checkout.contains("envoy"));
}
