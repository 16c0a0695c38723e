//! Capacity: what the converted workloads will ask of the cluster, per environment and namespace,
//! so the platform team sizes nodes and subnets before the first sync. Each workload's share is
//! its footprint (`translate::footprint`), summed here.

use crate::translate::Workload;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Capacity {
    pub environment: String,
    pub namespace: String,
    /// Pods at steady state (replicas; DaemonSets count one pod per node and are listed apart).
    pub pods: i64,
    /// Pods during a rollout or at the autoscaler's maximum.
    pub peak_pods: i64,
    /// VPC addresses at peak (host-network pods take none).
    pub pod_ips: i64,
    /// CPU requests at steady state, in millicores.
    pub cpu_millicores: i64,
    /// Memory requests at steady state, in MiB.
    pub memory_mib: i64,
    /// DaemonSets: one pod per node, not counted above.
    pub daemonsets: i64,
}

/// One row per workload that runs pods, sorted by environment and namespace.
pub fn summary(workloads: &[Workload]) -> Vec<Capacity> {
    use rayon::prelude::*;
    let mut rows: Vec<Capacity> = workloads
        .par_iter()
        .filter(|w| !w.failed())
        .map(|w| {
            let f = w.footprint;
            Capacity {
                environment: w.environment.clone(),
                namespace: w.namespace.clone(),
                pods: f.pods,
                peak_pods: f.peak_pods,
                pod_ips: f.pod_ips,
                cpu_millicores: f.cpu_millicores,
                memory_mib: f.memory_mib,
                daemonsets: f.daemonsets,
            }
        })
        .collect();
    rows.sort_by(|a, b| (&a.environment, &a.namespace).cmp(&(&b.environment, &b.namespace)));
    rows
}

/// Totals per environment.
pub fn totals(rows: &[Capacity]) -> Vec<Capacity> {
    let mut out: Vec<Capacity> = Vec::new();
    for r in rows {
        let t = match out.iter_mut().find(|t| t.environment == r.environment) {
            Some(t) => t,
            None => {
                out.push(Capacity {
                    environment: r.environment.clone(),
                    namespace: "(all)".into(),
                    ..Capacity::default()
                });
                out.last_mut().expect("just pushed")
            }
        };
        t.pods += r.pods;
        t.peak_pods += r.peak_pods;
        t.pod_ips += r.pod_ips;
        t.cpu_millicores += r.cpu_millicores;
        t.memory_mib += r.memory_mib;
        t.daemonsets += r.daemonsets;
    }
    out
}
