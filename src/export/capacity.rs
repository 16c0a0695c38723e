//! Capacity: what the converted workloads will ask of the cluster, per environment and namespace,
//! so the platform team sizes nodes and subnets before the first sync. Each workload's share is
//! its footprint (`translate::footprint`), summed here.

use crate::translate::Workload;
use crate::translate::footprint::Footprint;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Capacity {
    pub environment: String,
    pub namespace: String,
    /// Pods, pod IPs and requests (summed over the namespace's workloads).
    #[serde(flatten)]
    pub footprint: Footprint,
}

/// A workload's row.
pub fn row(w: &Workload) -> Capacity {
    Capacity {
        environment: w.environment.clone(),
        namespace: w.namespace.clone(),
        footprint: w.footprint,
    }
}

/// The totals' rows, from each environment's sum (sorted by environment).
pub fn totals(sums: std::collections::BTreeMap<String, Footprint>) -> Vec<Capacity> {
    sums.into_iter()
        .map(|(environment, footprint)| Capacity {
            environment,
            namespace: "(all)".into(),
            footprint,
        })
        .collect()
}
