//! Capacity: what the converted workloads will ask of the cluster, per environment and namespace,
//! so the platform team sizes nodes and subnets before the first sync. Each workload's share is
//! its footprint (`translate::footprint`), summed here.

use crate::model::target::Workload;
use crate::model::target::footprint::Footprint;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Capacity {
    pub environment: String,
    pub namespace: String,
    /// Pods, pod IPs and requests (summed over the namespace's workloads).
    #[serde(flatten)]
    pub footprint: Footprint,
}

/// One row per workload that runs pods, sorted by environment and namespace.
pub fn summary(workloads: &[Workload]) -> Vec<Capacity> {
    let mut rows: Vec<Capacity> = workloads
        .iter()
        .filter(|w| !w.failed())
        .map(|w| Capacity {
            environment: w.environment.clone(),
            namespace: w.namespace.clone(),
            footprint: w.footprint,
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
        t.footprint.add(&r.footprint);
    }
    out
}
