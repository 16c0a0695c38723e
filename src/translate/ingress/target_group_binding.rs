//! `targetGroupBinding` mode: the pods join the service's existing target group next to the ECS
//! tasks, so that traffic moves from ECS to EKS without a new load balancer or DNS change.

use super::{Context, Target, tg_name};
use crate::diagnostics::{Code, Findings};
use crate::model::elbv2::LoadBalancer;
use crate::model::fields::join;
use crate::model::k8s::Object;
use crate::model::read::Sourced;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// `(TargetGroupBinding, needs a NodePort Service)`; the name is set by the caller.
pub(super) fn binding(
    ctx: &Context<'_>,
    target: &Target<'_>,
    lbs: &[&Sourced<LoadBalancer>],
    findings: &mut Findings,
    at: &str,
) -> (Object, bool) {
    let tg = &target.tg.value;
    // The binding must use the target group's own type; ECS set it when it was created.
    let target_type = match tg.target_type.as_deref() {
        Some("instance") => "instance",
        Some("ip") => "ip",
        _ => target.target_type(),
    };
    let mut spec = json!({
        "serviceRef": { "name": target.svc, "port": target.port },
        "targetGroupARN": tg.target_group_arn,
        "targetType": target_type,
        // Without it the controller deregisters every target it did not register: the ECS
        // tasks would be drained the moment the binding is created.
        "multiClusterTargetGroup": true,
    });
    let groups: BTreeSet<&str> = lbs
        .iter()
        .flat_map(|lb| lb.value.security_groups.iter().map(String::as_str))
        .collect();
    if !groups.is_empty() {
        let from: Vec<Value> = groups
            .iter()
            .map(|g| json!({ "securityGroup": { "groupID": g } }))
            .collect();
        spec["networking"] = json!({ "ingress": [{
            "from": from,
            "ports": [{ "port": target.port, "protocol": "TCP" }],
        }]});
    }
    findings.push(
        Code::TargetGroupBindingCutover,
        join(at, "targetGroupArn"),
        format!(
            "the pods join target group {} next to the ECS tasks (TargetGroupBinding); cut over as MIGRATION_REPORT.md says",
            tg_name(tg)
        ),
    );
    let obj = Object::new(
        "elbv2.k8s.aws/v1beta1",
        "TargetGroupBinding",
        (ctx.meta)(&target.svc),
        json!({ "spec": spec }),
    );
    (obj, target_type == "instance")
}
