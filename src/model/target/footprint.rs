//! A workload's footprint: the pods it runs at steady state and at peak, the VPC addresses they
//! take and their requests, for the capacity summary. `translate::footprint` computes it from
//! the pod templates.

use serde::Serialize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Footprint {
    /// Pods at steady state (replicas; DaemonSets count one pod per node and are counted apart).
    pub pods: i64,
    /// Pods during a rollout or at the autoscaler's maximum.
    pub peak_pods: i64,
    /// VPC addresses at peak (host-network pods take none).
    pub pod_ips: i64,
    /// CPU requests at steady state, in millicores.
    pub cpu_millicores: i64,
    /// Memory requests at steady state, in MiB.
    pub memory_mib: i64,
    /// Pods at peak that need a branch network interface of their node (a SecurityGroupPolicy
    /// selects them, and they do not run on Fargate): what limits pods per instance type.
    pub branch_eni_pods: i64,
    /// DaemonSets: one pod per node, not counted above.
    pub daemonsets: i64,
    /// The Deployment's `replicas` (None without one, or when an autoscaler sets them).
    #[serde(skip)]
    pub replicas: Option<i64>,
}

impl Footprint {
    /// Adds another's pods, pod IPs and requests (a namespace's or an environment's total).
    pub fn add(&mut self, other: &Footprint) {
        self.pods += other.pods;
        self.peak_pods += other.peak_pods;
        self.pod_ips += other.pod_ips;
        self.cpu_millicores += other.cpu_millicores;
        self.memory_mib += other.memory_mib;
        self.branch_eni_pods += other.branch_eni_pods;
        self.daemonsets += other.daemonsets;
    }
}
