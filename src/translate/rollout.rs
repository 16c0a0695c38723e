//! Rollout: replicas and the rolling update from the service's deployment configuration, and
//! which workload kind runs the pods (Deployment, or DaemonSet for DAEMON services).

use crate::diagnostics::{Code, Findings};
use crate::model::ecs::Service;
use crate::model::fields::join;
use crate::model::k8s::{
    DaemonSetSpec, DeploymentSpec, DeploymentStrategy, LabelSelector, Map, Object, ObjectMeta,
    PodTemplate, RollingUpdate,
};
use serde_json::json;

/// ECS's defaults for REPLICA services: 200 % maximum, 100 % minimum healthy.
const MAX_PERCENT: i64 = 200;
const MIN_HEALTHY_PERCENT: i64 = 100;

/// `maxSurge` = maximumPercent − 100 %, `maxUnavailable` = 100 % − minimumHealthyPercent.
pub fn strategy(max_percent: i64, min_healthy_percent: i64) -> DeploymentStrategy {
    let surge = (max_percent - 100).max(0);
    let unavailable = (100 - min_healthy_percent).clamp(0, 100);
    // Both zero cannot make progress; Kubernetes rejects it (ECS does too): allow one surge step.
    let surge = if surge == 0 && unavailable == 0 {
        25
    } else {
        surge
    };
    DeploymentStrategy {
        kind: "RollingUpdate",
        rolling_update: RollingUpdate {
            max_surge: format!("{surge}%"),
            max_unavailable: format!("{unavailable}%"),
        },
    }
}

/// One pod holding a GPU is replaced without surge: a rollout then needs no second GPU.
fn without_surge() -> DeploymentStrategy {
    DeploymentStrategy {
        kind: "RollingUpdate",
        rolling_update: RollingUpdate {
            max_surge: "0%".into(),
            max_unavailable: "100%".into(),
        },
    }
}

/// True when a container of the pod asks for a GPU.
fn holds_gpu(template: &PodTemplate) -> bool {
    let spec = &template.spec;
    spec.containers
        .iter()
        .chain(&spec.init_containers)
        .any(|c| c.resources.limits.contains_key("nvidia.com/gpu"))
}

/// The Deployment's strategy: the ECS percentages, except for a single pod holding a GPU.
/// `at`: where the rollout settings are (the service's `deploymentConfiguration`, or the lone
/// task definition).
fn rollout_strategy(
    (max, min): (i64, i64),
    replicas: Option<i64>,
    template: &PodTemplate,
    at: &str,
    findings: &mut Findings,
) -> DeploymentStrategy {
    if replicas == Some(1) && holds_gpu(template) && max > 100 {
        findings.push(
            Code::GpuRollout,
            at,
            format!("the single pod holds a GPU: maxSurge 0 and maxUnavailable 100 % instead of the {max} %/{min} % rollout, which would need a second GPU"),
        );
        return without_surge();
    }
    strategy(max, min)
}

/// The workload object for `template`, given the service (None for a lone task definition,
/// which gets ECS's default rollout; `td_at` is its path). `autoscaled`: an HPA owns the replica
/// count, so the Deployment leaves `replicas` out.
pub fn workload(
    service: Option<(&Service, &str)>,
    td_at: &str,
    metadata: ObjectMeta,
    selector: &Map,
    template: PodTemplate,
    autoscaled: bool,
    findings: &mut Findings,
) -> Object {
    let selector = LabelSelector {
        match_labels: selector.clone(),
    };
    let Some((s, at)) = service else {
        let percentages = (MAX_PERCENT, MIN_HEALTHY_PERCENT);
        let strategy = rollout_strategy(percentages, Some(1), &template, td_at, findings);
        let spec = DeploymentSpec {
            replicas: Some(1),
            selector,
            strategy: Some(strategy),
            template,
        };
        return Object::new("apps/v1", "Deployment", metadata, json!({ "spec": spec }));
    };
    if s.status
        .as_deref()
        .is_some_and(|st| !st.eq_ignore_ascii_case("ACTIVE"))
    {
        findings.push(
            Code::ServiceInactive,
            join(at, "status"),
            format!("the service is {}", s.status.as_deref().unwrap_or("")),
        );
    }
    if let Some(kind) = s
        .deployment_controller
        .as_ref()
        .and_then(|d| d.kind.as_deref())
        .filter(|k| *k != "ECS")
    {
        findings.push(
            Code::DeploymentController,
            join(at, "deploymentController"),
            format!("deployment controller {kind} became a rolling update"),
        );
    }
    if s.scheduling_strategy.as_deref() == Some("DAEMON") {
        findings.push(
            Code::DaemonScheduling,
            join(at, "schedulingStrategy"),
            "one pod per node, like a DAEMON service on its instances",
        );
        let spec = DaemonSetSpec { selector, template };
        return Object::new("apps/v1", "DaemonSet", metadata, json!({ "spec": spec }));
    }
    let dc = s.deployment_configuration.as_ref();
    let max = dc.and_then(|d| d.maximum_percent).unwrap_or(MAX_PERCENT);
    let min = dc
        .and_then(|d| d.minimum_healthy_percent)
        .unwrap_or(MIN_HEALTHY_PERCENT);
    let replicas = (!autoscaled).then(|| s.desired_count.unwrap_or(1).max(0));
    let at = join(at, "deploymentConfiguration");
    let strategy = rollout_strategy((max, min), replicas, &template, &at, findings);
    let spec = DeploymentSpec {
        replicas,
        selector,
        strategy: Some(strategy),
        template,
    };
    Object::new("apps/v1", "Deployment", metadata, json!({ "spec": spec }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autoscaled_deployments_leave_replicas_to_the_hpa() {
        let s = Service {
            desired_count: Some(4),
            ..Service::default()
        };
        let mut f = Findings::default();
        for (autoscaled, replicas) in [(false, Some(4)), (true, None)] {
            let d = workload(
                Some((&s, "service")),
                "taskDefinition",
                ObjectMeta::default(),
                &Map::new(),
                PodTemplate::default(),
                autoscaled,
                &mut f,
            );
            assert_eq!(d.body()["spec"]["replicas"].as_i64(), replicas);
        }
    }

    /// A lone task definition gets ECS's default rollout (its peak counts the surge); a single
    /// pod holding a GPU is replaced without surge.
    #[test]
    fn lone_task_definitions_and_single_gpu_pods_get_an_explicit_rollout() {
        let mut f = Findings::default();
        let surge = |d: &Object| {
            let ru = &d.body()["spec"]["strategy"]["rollingUpdate"];
            (ru["maxSurge"].clone(), ru["maxUnavailable"].clone())
        };
        let lone = workload(
            None,
            "taskDefinition",
            ObjectMeta::default(),
            &Map::new(),
            PodTemplate::default(),
            false,
            &mut f,
        );
        assert_eq!(surge(&lone), (json!("100%"), json!("0%")));
        assert!(f.list.is_empty());
        let mut gpu = PodTemplate::default();
        let mut c = crate::model::k8s::Container::default();
        c.resources
            .limits
            .insert("nvidia.com/gpu".into(), "1".into());
        gpu.spec.containers.push(c);
        let s = Service {
            desired_count: Some(1),
            ..Service::default()
        };
        let d = workload(
            Some((&s, "service")),
            "taskDefinition",
            ObjectMeta::default(),
            &Map::new(),
            gpu.clone(),
            false,
            &mut f,
        );
        assert_eq!(surge(&d), (json!("0%"), json!("100%")));
        assert_eq!(
            f.code_fields(),
            [(Code::GpuRollout, "service.deploymentConfiguration")]
        );
        // Several replicas roll one by one on the GPUs they hold.
        let s = Service {
            desired_count: Some(3),
            ..Service::default()
        };
        let d = workload(
            Some((&s, "service")),
            "taskDefinition",
            ObjectMeta::default(),
            &Map::new(),
            gpu,
            false,
            &mut f,
        );
        assert_eq!(surge(&d), (json!("100%"), json!("0%")));
    }

    #[test]
    fn percentages() {
        let s = strategy(200, 100);
        assert_eq!(
            (
                s.rolling_update.max_surge.as_str(),
                s.rolling_update.max_unavailable.as_str()
            ),
            ("100%", "0%")
        );
        let s = strategy(150, 50);
        assert_eq!(
            (
                s.rolling_update.max_surge.as_str(),
                s.rolling_update.max_unavailable.as_str()
            ),
            ("50%", "50%")
        );
        let s = strategy(100, 0);
        assert_eq!(
            (
                s.rolling_update.max_surge.as_str(),
                s.rolling_update.max_unavailable.as_str()
            ),
            ("0%", "100%")
        );
    }
}
