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

/// A workload's row (None if it failed: it runs nothing).
pub fn row(w: &Workload) -> Option<Capacity> {
    (!w.failed()).then(|| Capacity {
        environment: w.environment.clone(),
        namespace: w.namespace.clone(),
        footprint: w.footprint,
    })
}

/// Sorts the rows by environment and namespace.
pub fn sort(rows: &mut [Capacity]) {
    rows.sort_by(|a, b| (&a.environment, &a.namespace).cmp(&(&b.environment, &b.namespace)));
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
