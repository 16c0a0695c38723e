//! Volumes: task volumes become pod volumes, mount points volume mounts, and tmpfs and shared
//! memory become memory-backed emptyDirs.

use super::names;
use crate::diagnostics::{Code, Findings};
use crate::model::ecs::TaskDefinition;
use crate::model::fields::join;
use crate::model::k8s::{Container, EmptyDir, PodSpec, Volume, VolumeMount, VolumeSource};
use std::collections::BTreeMap;

/// Adds the task's volumes to `pod` and the mounts to `containers` (same order as the task's
/// container definitions). Volumes with no pod equivalent are reported by the field check and
/// their mounts left out.
pub fn apply(
    td: &TaskDefinition,
    td_path: &str,
    pod: &mut PodSpec,
    containers: &mut [Container],
    findings: &mut Findings,
) {
    // ECS volume name → Kubernetes volume name, for the volumes that have a pod equivalent.
    let mut carried: BTreeMap<&str, String> = BTreeMap::new();
    let mut unsupported: Vec<&str> = Vec::new();
    for (i, v) in td.volumes.iter().enumerate() {
        let Some(ecs_name) = v.name.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        let at = join(td_path, &format!("volumes[{i}]"));
        let source = if v.efs_volume_configuration.is_some()
            || v.fsx_windows_file_server_volume_configuration.is_some()
            || v.configured_at_launch == Some(true)
        {
            None
        } else if let Some(path) = v
            .host
            .as_ref()
            .and_then(|h| h.source_path.as_deref())
            .filter(|p| !p.is_empty())
        {
            findings.push(
                Code::HostPath,
                join(&at, "host.sourcePath"),
                format!("volume {ecs_name} mounts {path} from the node"),
            );
            Some(VolumeSource::HostPath {
                path: path.to_string(),
            })
        } else if v.docker_volume_configuration.is_some() {
            let scope = v
                .docker_volume_configuration
                .as_ref()
                .and_then(|d| d.get("scope"))
                .and_then(|s| s.as_str())
                .unwrap_or("task");
            findings.push(
                Code::DockerVolume,
                join(&at, "dockerVolumeConfiguration"),
                format!("Docker volume {ecs_name} (scope {scope}) became an emptyDir"),
            );
            Some(VolumeSource::EmptyDir(EmptyDir::default()))
        } else {
            Some(VolumeSource::EmptyDir(EmptyDir::default()))
        };
        match source {
            Some(source) => {
                let name = unique(&pod.volumes, names::dns_label(ecs_name, "volume"));
                pod.volumes.push(Volume {
                    name: name.clone(),
                    source,
                });
                carried.insert(ecs_name, name);
            }
            None => unsupported.push(ecs_name),
        }
    }

    for (i, (c, k)) in td
        .container_definitions
        .iter()
        .zip(containers.iter_mut())
        .enumerate()
    {
        let at = super::containers::path(td_path, i);
        for (j, mp) in c.mount_points.iter().enumerate() {
            let (Some(source), Some(path)) =
                (mp.source_volume.as_deref(), mp.container_path.as_deref())
            else {
                continue;
            };
            match carried.get(source) {
                Some(name) => k.volume_mounts.push(VolumeMount {
                    name: name.clone(),
                    mount_path: path.to_string(),
                    read_only: mp.read_only.unwrap_or(false),
                }),
                None if unsupported.contains(&source) => {}
                None => findings.push(
                    Code::UnknownVolume,
                    join(&at, &format!("mountPoints[{j}].sourceVolume")),
                    format!("volume {source:?} is not defined in the task definition"),
                ),
            }
        }
        let Some(lp) = c.linux_parameters.as_ref() else {
            continue;
        };
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
                    join(&at, &format!("linuxParameters.tmpfs[{j}].mountOptions")),
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
