//! Secrets: ECS `secrets` become env vars read from Secrets that External Secrets Operator syncs.

use crate::diagnostics::Findings;
use crate::model::ecs::TaskDefinition;
use crate::model::k8s::{Container, Object, ObjectMeta, PodSpec};

/// What the secrets translation needs to know about the workload.
pub struct SecretsContext<'a> {
    pub td: &'a TaskDefinition,
    pub td_path: &'a str,
    pub app: &'a str,
    pub namespace: &'a str,
    pub account: &'a str,
    pub region: &'a str,
    /// Metadata to start every object from (labels, namespace).
    pub meta: &'a dyn Fn(&str) -> ObjectMeta,
}

pub fn apply(
    _ctx: &SecretsContext<'_>,
    _containers: &mut [Container],
    _pod: &mut PodSpec,
    _objects: &mut Vec<Object>,
    _findings: &mut Findings,
) {
}
