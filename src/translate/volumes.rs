//! Volumes: task volumes become pod volumes, mount points volume mounts, and tmpfs and shared
//! memory become memory-backed emptyDirs. EFS volumes become a static PersistentVolume of the
//! EFS CSI driver and a claim bound to it by `volumeName` (`efs_objects`).

use crate::diagnostics::{Code, Findings};
use crate::model::ecs::{
    ContainerDefinition, EfsVolumeConfiguration, LinuxParameters, TaskDefinition,
    Volume as EcsVolume,
};
use crate::model::fields::join;
use crate::model::k8s::{
    Container, EmptyDir, Object, ObjectMeta, PodSpec, Volume, VolumeMount, VolumeSource,
};
use crate::model::names;
use serde_json::json;
use std::collections::BTreeMap;

/// EFS is elastic; Kubernetes requires a capacity on the PV and claim, and the driver ignores it.
const EFS_CAPACITY: &str = "5Gi";

/// The task volumes with a pod equivalent, by ECS name, and those without.
#[derive(Default)]
struct Carried<'t> {
    /// ECS volume name → Kubernetes volume name.
    names: BTreeMap<&'t str, String>,
    /// Reported by the field check (or as an incomplete EFS volume): their mounts are left out.
    unsupported: Vec<&'t str>,
}

/// Adds the task's volumes to `pod` and the mounts to `containers` (same order as the task's
/// container definitions). Volumes with no pod equivalent are reported by the field check and
/// their mounts left out.
/// `app` names the claims of EFS volumes (`efs_objects` makes them).
pub fn apply(
    td: &TaskDefinition,
    td_path: &str,
    app: &str,
    pod: &mut PodSpec,
    containers: &mut [Container],
    findings: &mut Findings,
) {
    let mut carried = Carried::default();
    for (i, v) in td.volumes.iter().enumerate() {
        let Some(ecs_name) = v.name.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        let at = join(td_path, &format!("volumes[{i}]"));
        match volume_source(td, v, &at, app, findings) {
            Some(source) => {
                let name = unique(&pod.volumes, names::dns_label(ecs_name, "volume"));
                pod.volumes.push(Volume {
                    name: name.clone(),
                    source,
                });
                carried.names.insert(ecs_name, name);
            }
            None => carried.unsupported.push(ecs_name),
        }
    }
    for (i, (c, k)) in td
        .container_definitions
        .iter()
        .zip(containers.iter_mut())
        .enumerate()
    {
        let at = super::containers::path(td, td_path, i);
        mounts(c, &at, k, &carried, findings);
        if let Some(lp) = c.linux_parameters.as_ref() {
            memory_volumes(lp, &at, pod, k, findings);
        }
    }
}

/// What task volume `v` (named, at `at`) is in the pod, or None when it has no pod equivalent.
fn volume_source(
    td: &TaskDefinition,
    v: &EcsVolume,
    at: &str,
    app: &str,
    findings: &mut Findings,
) -> Option<VolumeSource> {
    let ecs_name = v.name.as_deref().unwrap_or("");
    if let Some(efs) = v.efs_volume_configuration.as_ref() {
        if file_system(efs).is_some() {
            return Some(VolumeSource::PersistentVolumeClaim {
                claim_name: claim_name(app, ecs_name),
                read_only: only_read(td, ecs_name),
            });
        }
        findings.push(
            Code::EfsIncomplete,
            join(at, "efsVolumeConfiguration.fileSystemId"),
            format!("EFS volume {ecs_name} names no fileSystemId"),
        );
        return None;
    }
    if v.fsx_windows_file_server_volume_configuration.is_some()
        || v.configured_at_launch == Some(true)
    {
        return None;
    }
    if let Some(path) = v
        .host
        .as_ref()
        .and_then(|h| h.source_path.as_deref())
        .filter(|p| !p.is_empty())
    {
        return Some(host_path(
            ecs_name,
            path,
            &join(at, "host.sourcePath"),
            findings,
        ));
    }
    if let Some(docker) = v.docker_volume_configuration.as_ref() {
        let scope = docker
            .get("scope")
            .and_then(|s| s.as_str())
            .unwrap_or("task");
        findings.push(
            Code::DockerVolume,
            join(at, "dockerVolumeConfiguration"),
            format!("Docker volume {ecs_name} (scope {scope}) became an emptyDir"),
        );
    }
    Some(VolumeSource::EmptyDir(EmptyDir::default()))
}

/// What a node path holds, as far as its name tells.
#[derive(Debug, PartialEq, Eq)]
enum NodePath {
    /// Docker's socket or data: EKS nodes run containerd only, so they are not there.
    Docker,
    Socket,
    /// A single file, which the container runtime would make an empty directory when missing.
    File,
    Other,
}

impl NodePath {
    fn of(path: &str) -> NodePath {
        let path = path.trim_end_matches('/');
        let last = path.rsplit('/').next().unwrap_or("");
        if path.ends_with("/docker.sock")
            || path == "/var/lib/docker"
            || path.starts_with("/var/lib/docker/")
        {
            return NodePath::Docker;
        }
        if last.ends_with(".sock") || last.ends_with(".socket") {
            return NodePath::Socket;
        }
        const FILES: [&str; 8] = [
            "/etc/localtime",
            "/etc/timezone",
            "/etc/hosts",
            "/etc/hostname",
            "/etc/resolv.conf",
            "/etc/machine-id",
            "/etc/passwd",
            "/etc/group",
        ];
        const EXTENSIONS: [&str; 20] = [
            "conf",
            "cfg",
            "cnf",
            "ini",
            "json",
            "yaml",
            "yml",
            "xml",
            "toml",
            "properties",
            "pem",
            "crt",
            "cer",
            "key",
            "txt",
            "env",
            "sh",
            "py",
            "lua",
            "js",
        ];
        let extension = last
            .rsplit_once('.')
            .map(|(stem, ext)| (stem, ext.to_ascii_lowercase()));
        let file_like = extension
            .is_some_and(|(stem, ext)| !stem.is_empty() && EXTENSIONS.contains(&ext.as_str()));
        match FILES.contains(&path) || file_like {
            true => NodePath::File,
            false => NodePath::Other,
        }
    }
}

/// Node path `path` of volume `ecs_name` (at `at`) as a hostPath, typed where its name says
/// what it is, so that the pod fails to start rather than run with an empty directory.
fn host_path(ecs_name: &str, path: &str, at: &str, findings: &mut Findings) -> VolumeSource {
    let kind = NodePath::of(path);
    let (code, message, kind) = match kind {
        NodePath::Docker => (
            Code::DockerHostPath,
            format!("volume {ecs_name} mounts Docker's {path}, which EKS nodes do not have"),
            Some(if path.ends_with(".sock") {
                "Socket"
            } else {
                "Directory"
            }),
        ),
        NodePath::File => (
            Code::HostPathFile,
            format!("volume {ecs_name} mounts file {path} from the node (type File)"),
            Some("File"),
        ),
        NodePath::Socket => (
            Code::HostPath,
            format!("volume {ecs_name} mounts socket {path} from the node (type Socket)"),
            Some("Socket"),
        ),
        NodePath::Other => (
            Code::HostPath,
            format!("volume {ecs_name} mounts {path} from the node"),
            None,
        ),
    };
    findings.push(code, at, message);
    VolumeSource::HostPath {
        path: path.to_string(),
        kind,
    }
}

/// The mount points of container `c` (at `at`) as volume mounts of `k`.
fn mounts(
    c: &ContainerDefinition,
    at: &str,
    k: &mut Container,
    carried: &Carried<'_>,
    findings: &mut Findings,
) {
    for (j, mp) in c.mount_points.iter().enumerate() {
        let (Some(source), Some(path)) =
            (mp.source_volume.as_deref(), mp.container_path.as_deref())
        else {
            continue;
        };
        match carried.names.get(source) {
            Some(name) => k.volume_mounts.push(VolumeMount {
                name: name.clone(),
                mount_path: path.to_string(),
                read_only: mp.read_only.unwrap_or(false),
            }),
            None if carried.unsupported.contains(&source) => {}
            None => findings.push(
                Code::UnknownVolume,
                join(at, &format!("mountPoints[{j}].sourceVolume")),
                format!("volume {source:?} is not defined in the task definition"),
            ),
        }
    }
}

/// A container's tmpfs mounts and shared memory (`lp`, at `at`) as memory-backed emptyDirs.
fn memory_volumes(
    lp: &LinuxParameters,
    at: &str,
    pod: &mut PodSpec,
    k: &mut Container,
    findings: &mut Findings,
) {
    for (j, t) in lp.tmpfs.iter().enumerate() {
        let Some(path) = t.container_path.as_deref() else {
            continue;
        };
        let name = unique(
            &pod.volumes,
            format!(
                "tmpfs-{}",
                names::dns_label(&format!("{}-{path}", k.name), "tmpfs")
            ),
        );
        memory_volume(pod, k, name, path, t.size);
        if !t.mount_options.is_empty() {
            findings.push(
                Code::TmpfsMountOptions,
                join(at, &format!("linuxParameters.tmpfs[{j}].mountOptions")),
                format!(
                    "mount options {} of tmpfs {path} were not carried",
                    t.mount_options.join(",")
                ),
            );
        }
    }
    if let Some(size) = lp.shared_memory_size.filter(|s| *s > 0) {
        let name = unique(
            &pod.volumes,
            names::dns_label(&format!("dshm-{}", k.name), "dshm"),
        );
        memory_volume(pod, k, name, "/dev/shm", Some(size));
    }
}

fn file_system(efs: &EfsVolumeConfiguration) -> Option<&str> {
    efs.file_system_id.as_deref().filter(|f| !f.is_empty())
}

fn claim_name(app: &str, volume: &str) -> String {
    names::dns_label(&format!("{app}-{volume}"), "efs")
}

/// True when every mount of the volume is read-only (and there is at least one).
fn only_read(td: &TaskDefinition, volume: &str) -> bool {
    let mounts: Vec<bool> = td
        .container_definitions
        .iter()
        .flat_map(|c| c.mount_points.iter())
        .filter(|m| m.source_volume.as_deref() == Some(volume))
        .map(|m| m.read_only.unwrap_or(false))
        .collect();
    !mounts.is_empty() && mounts.iter().all(|r| *r)
}

/// `<fileSystemId>::<accessPointId>`, `<fileSystemId>:<rootDirectory>` or `<fileSystemId>`.
pub fn volume_handle(efs: &EfsVolumeConfiguration) -> Option<String> {
    let fs = file_system(efs)?;
    let ap = efs
        .authorization_config
        .as_ref()
        .and_then(|a| a.access_point_id.as_deref())
        .filter(|a| !a.is_empty());
    let root = efs
        .root_directory
        .as_deref()
        .filter(|r| !r.is_empty() && *r != "/");
    Some(match (ap, root) {
        (Some(ap), _) => format!("{fs}::{ap}"),
        (None, Some(root)) => format!("{fs}:{root}"),
        (None, None) => fs.to_string(),
    })
}

/// Where the PV and claim of an EFS volume are named and placed, and the cluster that mounts
/// the file system (of the workload's account).
pub struct EfsContext<'a> {
    pub app: &'a str,
    pub environment: &'a str,
    pub namespace: &'a str,
    pub account: &'a str,
    pub cluster: &'a crate::mappings::Cluster,
}

/// A static PersistentVolume (cluster-scoped, so named by app, environment and volume) and a
/// claim bound to it for each EFS volume of the task.
pub fn efs_objects(
    td: &TaskDefinition,
    td_path: &str,
    ctx: &EfsContext<'_>,
    meta: &dyn Fn(&str) -> ObjectMeta,
    findings: &mut Findings,
) -> Vec<Object> {
    let mut out = Vec::new();
    for (i, v) in td.volumes.iter().enumerate() {
        let (Some(name), Some(efs)) = (
            v.name.as_deref().filter(|n| !n.is_empty()),
            v.efs_volume_configuration.as_ref(),
        ) else {
            continue;
        };
        let Some(handle) = volume_handle(efs) else {
            continue;
        };
        let at = join(td_path, &format!("volumes[{i}].efsVolumeConfiguration"));
        let claim = claim_name(ctx.app, name);
        let pv = names::dns_label(&format!("{}-{}-{name}", ctx.app, ctx.environment), "efs");
        let options = mount_options(efs, name, &at, findings);
        findings.push(
            Code::EfsPersistentVolume,
            &at,
            format!("EFS volume {name} became PersistentVolume {pv} ({handle}) and claim {claim}"),
        );
        cross_account(efs, ctx, &at, findings);
        let pv_spec = persistent_volume_spec(&handle, options, ctx.namespace, &claim);
        let pv_meta = ObjectMeta {
            namespace: None,
            ..meta(&pv)
        };
        out.push(Object::new(
            "v1",
            "PersistentVolume",
            pv_meta,
            json!({ "spec": pv_spec }),
        ));
        out.push(Object::new(
            "v1",
            "PersistentVolumeClaim",
            meta(&claim),
            json!({ "spec": {
                "accessModes": ["ReadWriteMany"],
                "storageClassName": "",
                "volumeName": pv,
                "resources": { "requests": { "storage": EFS_CAPACITY } },
            }}),
        ));
    }
    out
}

/// E2K573 when the file system (in the workload's account: ECS names no other) is not in the
/// cluster's account: the pods mount it over the network between the two accounts.
fn cross_account(
    efs: &EfsVolumeConfiguration,
    ctx: &EfsContext<'_>,
    at: &str,
    findings: &mut Findings,
) {
    if ctx.cluster.holds(ctx.account, ctx.account) {
        return;
    }
    findings.push(
        Code::EfsCrossAccount,
        join(at, "fileSystemId"),
        format!(
            "file system {} is in account {}, the cluster in account {}: its mount targets must be reachable from the cluster's VPC (VPC peering or Transit Gateway), and their DNS names resolve only in the file system's VPC",
            file_system(efs).unwrap_or(""),
            ctx.account,
            ctx.cluster.account(ctx.account)
        ),
    );
}

/// The mount options of EFS volume `name` (at `at`): in-transit encryption and IAM
/// authorization, which is reported.
fn mount_options(
    efs: &EfsVolumeConfiguration,
    name: &str,
    at: &str,
    findings: &mut Findings,
) -> Vec<String> {
    let mut options = Vec::new();
    let tls = efs
        .transit_encryption
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("ENABLED"));
    if tls {
        options.push("tls".to_string());
        if let Some(port) = efs.transit_encryption_port {
            options.push(format!("tlsport={port}"));
        }
    }
    let iam = efs
        .authorization_config
        .as_ref()
        .and_then(|a| a.iam.as_deref())
        .is_some_and(|i| i.eq_ignore_ascii_case("ENABLED"));
    if iam {
        options.push("iam".to_string());
        findings.push(
            Code::EfsIam,
            join(at, "authorizationConfig.iam"),
            format!("EFS volume {name} authorizes with IAM"),
        );
    }
    options
}

/// The spec of the EFS CSI PersistentVolume of `handle`, bound to claim `claim` of `namespace`.
fn persistent_volume_spec(
    handle: &str,
    options: Vec<String>,
    namespace: &str,
    claim: &str,
) -> serde_json::Map<String, serde_json::Value> {
    let mut pv_spec = serde_json::Map::new();
    pv_spec.insert("capacity".into(), json!({ "storage": EFS_CAPACITY }));
    pv_spec.insert("volumeMode".into(), json!("Filesystem"));
    pv_spec.insert("accessModes".into(), json!(["ReadWriteMany"]));
    pv_spec.insert("persistentVolumeReclaimPolicy".into(), json!("Retain"));
    pv_spec.insert("storageClassName".into(), json!(""));
    if !options.is_empty() {
        pv_spec.insert("mountOptions".into(), json!(options));
    }
    pv_spec.insert(
        "claimRef".into(),
        json!({ "namespace": namespace, "name": claim }),
    );
    pv_spec.insert(
        "csi".into(),
        json!({ "driver": "efs.csi.aws.com", "volumeHandle": handle }),
    );
    pv_spec
}

fn memory_volume(
    pod: &mut PodSpec,
    c: &mut Container,
    name: String,
    path: &str,
    size_mib: Option<i64>,
) {
    pod.volumes.push(Volume {
        name: name.clone(),
        source: VolumeSource::EmptyDir(EmptyDir {
            medium: Some("Memory"),
            size_limit: size_mib
                .filter(|s| *s > 0)
                .map(super::resources::memory_quantity),
        }),
    });
    c.volume_mounts.push(VolumeMount {
        name,
        mount_path: path.to_string(),
        read_only: false,
    });
}

fn unique(existing: &[Volume], base: String) -> String {
    let mut name = base.clone();
    let mut n = 2;
    while existing.iter().any(|v| v.name == name) {
        name = format!("{}-{n}", &base[..base.len().min(60)]);
        n += 1;
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ecs::EfsAuthorizationConfig;

    fn efs(root: Option<&str>, ap: Option<&str>) -> EfsVolumeConfiguration {
        EfsVolumeConfiguration {
            file_system_id: Some("fs-1".into()),
            root_directory: root.map(str::to_string),
            authorization_config: Some(EfsAuthorizationConfig {
                access_point_id: ap.map(str::to_string),
                iam: None,
            }),
            ..EfsVolumeConfiguration::default()
        }
    }

    #[test]
    fn node_paths_are_typed_by_what_they_hold() {
        for (path, kind) in [
            ("/var/run/docker.sock", NodePath::Docker),
            ("/var/lib/docker/containers", NodePath::Docker),
            ("/run/containerd/containerd.sock", NodePath::Socket),
            ("/etc/localtime", NodePath::File),
            ("/opt/app/config.yaml", NodePath::File),
            ("/etc/nginx/conf.d", NodePath::Other),
            ("/var/log", NodePath::Other),
            ("/data/.hidden", NodePath::Other),
        ] {
            assert_eq!(NodePath::of(path), kind, "{path}");
        }
        let mut findings = Findings::default();
        let v = host_path("sock", "/var/run/docker.sock", "v", &mut findings);
        assert_eq!(
            serde_json::to_value(&v).unwrap(),
            json!({"hostPath": {"path": "/var/run/docker.sock", "type": "Socket"}})
        );
        assert_eq!(findings.list[0].code, Code::DockerHostPath);
    }

    #[test]
    fn volume_handles() {
        let cases = [
            (None, None, "fs-1"),
            (Some("/"), None, "fs-1"),
            (Some("/data/x"), None, "fs-1:/data/x"),
            (Some("/"), Some("fsap-2"), "fs-1::fsap-2"),
            (None, Some("fsap-2"), "fs-1::fsap-2"),
        ];
        for (root, ap, handle) in cases {
            assert_eq!(volume_handle(&efs(root, ap)).as_deref(), Some(handle));
        }
        let none = EfsVolumeConfiguration::default();
        assert_eq!(volume_handle(&none), None);
    }

    #[test]
    fn efs_becomes_pv_and_claim_mounted_read_only() {
        let td: TaskDefinition = serde_json::from_value(serde_json::json!({
            "family": "web",
            "containerDefinitions": [{"name": "web", "image": "x",
                "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": true}]}],
            "volumes": [{"name": "data", "efsVolumeConfiguration": {
                "fileSystemId": "fs-1", "transitEncryption": "ENABLED", "transitEncryptionPort": 2999,
                "authorizationConfig": {"accessPointId": "fsap-2", "iam": "ENABLED"}}}]
        }))
        .unwrap();
        let mut findings = Findings::default();
        let mut pod = PodSpec::default();
        let mut containers = vec![Container {
            name: "web".into(),
            ..Container::default()
        }];
        apply(
            &td,
            "taskDefinition",
            "web",
            &mut pod,
            &mut containers,
            &mut findings,
        );
        let v = serde_json::to_value(&pod.volumes[0]).unwrap();
        assert_eq!(
            v,
            json!({"name": "data", "persistentVolumeClaim": {"claimName": "web-data", "readOnly": true}})
        );
        assert_eq!(containers[0].volume_mounts[0].mount_path, "/data");
        assert!(containers[0].volume_mounts[0].read_only);

        let cluster = crate::mappings::Cluster::default();
        let ctx = EfsContext {
            app: "web",
            environment: "prod",
            namespace: "web-prod",
            account: "111111111111",
            cluster: &cluster,
        };
        let meta = |n: &str| ObjectMeta {
            name: n.into(),
            namespace: Some("web-prod".into()),
            ..ObjectMeta::default()
        };
        let objects = efs_objects(&td, "taskDefinition", &ctx, &meta, &mut findings);
        let pv = objects[0].to_json();
        assert_eq!(pv["kind"], "PersistentVolume");
        assert_eq!(pv["metadata"]["name"], "web-prod-data");
        assert!(pv["metadata"].get("namespace").is_none());
        assert_eq!(
            pv["spec"]["csi"],
            json!({"driver": "efs.csi.aws.com", "volumeHandle": "fs-1::fsap-2"})
        );
        assert_eq!(
            pv["spec"]["mountOptions"],
            json!(["tls", "tlsport=2999", "iam"])
        );
        assert_eq!(
            pv["spec"]["claimRef"],
            json!({"namespace": "web-prod", "name": "web-data"})
        );
        let pvc = objects[1].to_json();
        assert_eq!(pvc["spec"]["volumeName"], "web-prod-data");
        assert_eq!(pvc["metadata"]["namespace"], "web-prod");
        let codes: Vec<_> = findings.list.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, vec!["E2K571", "E2K570"]);

        // The cluster in another account: the file system of the workload's is reported.
        let platform = crate::mappings::Cluster {
            account: Some("444444444444".into()),
            ..Default::default()
        };
        let ctx = EfsContext {
            cluster: &platform,
            ..ctx
        };
        let mut findings = Findings::default();
        efs_objects(&td, "taskDefinition", &ctx, &meta, &mut findings);
        let cross = findings
            .list
            .iter()
            .find(|f| f.code == Code::EfsCrossAccount);
        assert!(
            cross.is_some_and(|f| f.message.contains("fs-1")),
            "{findings:?}"
        );
    }
}
