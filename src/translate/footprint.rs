//! A workload's footprint: the pods it runs at steady state and at peak, the VPC addresses they
//! take and their requests. Computed once from the pod templates when the workload is
//! translated; the type is `model::target::footprint::Footprint`.
//!
//! The VPC CNI gives every pod (but host-network pods) its own VPC address, and a rollout runs
//! old and new pods side by side: peak pods = replicas + maxSurge. An autoscaled Deployment runs
//! the service's desiredCount at steady state (clamped to the HPA's minimum and maximum, as
//! Application Auto Scaling clamps it), and peaks at the HPA's maximum plus its surge.

use crate::model::k8s::Object;
use crate::model::target::footprint::Footprint;
use serde_json::Value;

/// The footprint of a workload's objects; `desired`: the service's desiredCount, if any.
pub fn of(objects: &[Object], desired: Option<i64>) -> Footprint {
    let mut c = Footprint::default();
    let hpa = objects
        .iter()
        .find(|o| o.kind == "HorizontalPodAutoscaler")
        .map(|o| {
            let spec = &o.body()["spec"];
            let max = spec["maxReplicas"].as_i64().unwrap_or(1);
            (spec["minReplicas"].as_i64().unwrap_or(1).min(max), max)
        });
    for o in objects
        .iter()
        .filter(|o| matches!(o.kind, "Deployment" | "DaemonSet" | "CronJob" | "Job"))
    {
        let body = o.body();
        let Some(pod) = pod_spec(o.kind, body) else {
            continue;
        };
        let (cpu, mem) = pod_requests(pod);
        let host_network = pod
            .get("hostNetwork")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let (pods, peak) = match o.kind {
            "Deployment" => {
                c.replicas = body.pointer("/spec/replicas").and_then(Value::as_i64);
                match hpa {
                    Some((min, max)) => {
                        let steady = desired.unwrap_or(min).clamp(min, max);
                        (steady, max + surge_pods_of(body, max))
                    }
                    None => {
                        let replicas = c.replicas.unwrap_or(1);
                        (replicas, replicas + surge_pods_of(body, replicas))
                    }
                }
            }
            "DaemonSet" => {
                c.daemonsets += 1;
                continue;
            }
            "CronJob" => {
                let n = body
                    .pointer("/spec/jobTemplate/spec/parallelism")
                    .and_then(Value::as_i64)
                    .unwrap_or(1);
                (0, n)
            }
            // Suspended: one pod once a person starts it.
            "Job" => (0, 1),
            _ => (1, 1),
        };
        c.pods += pods;
        c.peak_pods += peak;
        c.pod_ips += if host_network { 0 } else { peak };
        c.cpu_millicores += cpu * pods;
        c.memory_mib += mem * pods;
    }
    c
}

fn surge_pods_of(body: &Value, replicas: i64) -> i64 {
    body.pointer("/spec/strategy/rollingUpdate/maxSurge")
        .and_then(Value::as_str)
        .map_or(0, |s| surge_pods(s, replicas))
}

/// `maxSurge` as pods: percentages round up, as the Deployment controller does.
fn surge_pods(surge: &str, replicas: i64) -> i64 {
    match surge.strip_suffix('%').map(str::parse::<i64>) {
        Some(Ok(p)) => (replicas * p + 99) / 100,
        _ => surge.parse().unwrap_or(0),
    }
}

fn pod_spec<'a>(kind: &str, body: &'a Value) -> Option<&'a Value> {
    match kind {
        "Deployment" | "DaemonSet" | "Job" => body.pointer("/spec/template/spec"),
        "CronJob" => body.pointer("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// The pod's effective requests: its containers and native sidecars together, or the largest
/// run-to-completion init container if that is more (Kubernetes' rule).
fn pod_requests(pod: &Value) -> (i64, i64) {
    let list = |key: &str| {
        pod.get(key)
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
    };
    let req = |c: &Value, what: &str| {
        c.get("resources")
            .and_then(|r| r.get("requests"))
            .and_then(|r| r.get(what))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (mut cpu, mut mem) = (0, 0);
    let (mut init_cpu, mut init_mem) = (0, 0);
    for c in list("initContainers") {
        let (ccpu, cmem) = (
            req(c, "cpu").map_or(0, |q| millicores(&q)),
            req(c, "memory").map_or(0, |q| mib(&q)),
        );
        if c.get("restartPolicy").and_then(Value::as_str) == Some("Always") {
            cpu += ccpu;
            mem += cmem;
        } else {
            init_cpu = init_cpu.max(ccpu);
            init_mem = init_mem.max(cmem);
        }
    }
    for c in list("containers") {
        cpu += req(c, "cpu").map_or(0, |q| millicores(&q));
        mem += req(c, "memory").map_or(0, |q| mib(&q));
    }
    (cpu.max(init_cpu), mem.max(init_mem))
}

fn millicores(q: &str) -> i64 {
    match q.strip_suffix('m') {
        Some(m) => m.parse().unwrap_or(0),
        None => q.parse::<f64>().map_or(0, |c| (c * 1000.0).round() as i64),
    }
}

fn mib(q: &str) -> i64 {
    let units = [
        ("Ki", 1.0 / 1024.0),
        ("Mi", 1.0),
        ("Gi", 1024.0),
        ("Ti", 1024.0 * 1024.0),
    ];
    for (suffix, factor) in units {
        if let Some(n) = q.strip_suffix(suffix) {
            return n.parse::<f64>().map_or(0, |n| (n * factor).ceil() as i64);
        }
    }
    q.parse::<f64>()
        .map_or(0, |b| (b / 1048576.0).ceil() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_and_surge() {
        assert_eq!(millicores("250m"), 250);
        assert_eq!(millicores("2"), 2000);
        assert_eq!(mib("2Gi"), 2048);
        assert_eq!(mib("512Mi"), 512);
        assert_eq!(surge_pods("100%", 3), 3);
        assert_eq!(surge_pods("25%", 3), 1);
        assert_eq!(surge_pods("2", 3), 2);
    }

    fn object(kind: &'static str, body: serde_json::Value) -> Object {
        Object::new("v1", kind, crate::model::k8s::ObjectMeta::default(), body)
    }

    /// An autoscaled service runs its desiredCount (within the HPA's bounds) at steady state, and
    /// peaks at the HPA's maximum plus the surge.
    #[test]
    fn autoscaled_steady_state_is_the_desired_count_within_the_hpa_bounds() {
        let deployment = object(
            "Deployment",
            serde_json::json!({"spec": {"strategy": {"rollingUpdate": {"maxSurge": "50%"}},
                "template": {"spec": {"containers": [{"name": "app",
                    "resources": {"requests": {"cpu": "1000m", "memory": "1Gi"}}}]}}}}),
        );
        let hpa = object(
            "HorizontalPodAutoscaler",
            serde_json::json!({"spec": {"minReplicas": 2, "maxReplicas": 20}}),
        );
        let objects = [deployment, hpa];
        let f = of(&objects, Some(4));
        assert_eq!((f.pods, f.peak_pods, f.cpu_millicores), (4, 30, 4000));
        assert_eq!(of(&objects, Some(50)).pods, 20);
        assert_eq!(of(&objects, Some(1)).pods, 2);
        assert_eq!(of(&objects, None).pods, 2);
    }

    #[test]
    fn requests_count_sidecars_and_the_largest_init_container() {
        let pod = serde_json::json!({
            "initContainers": [
                {"name": "migrate", "resources": {"requests": {"cpu": "2000m", "memory": "64Mi"}}},
                {"name": "proxy", "restartPolicy": "Always", "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}
            ],
            "containers": [{"name": "app", "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}}}]
        });
        assert_eq!(pod_requests(&pod), (2000, 1152));
    }
}
