//! `targetGroupBinding` mode: the pods join the service's existing target group next to the ECS
//! tasks, so that traffic moves from ECS to EKS without a new load balancer or DNS change. A
//! target group of another account than the cluster's is reached through a role there
//! (`iamRoleArnToAssume`), which that account's Terraform root creates.

use super::{Context, Target, tg_name};
use crate::diagnostics::{Code, Findings};
use crate::model::elbv2::{LoadBalancer, TargetGroup};
use crate::model::fields::join;
use crate::model::k8s::Object;
use crate::model::names;
use crate::model::read::Sourced;
use crate::model::target::cluster::{arn_account, arn_region};
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
    if let Some(role) = cross_account_role(ctx, tg, target_type, at, findings) {
        spec["iamRoleArnToAssume"] = json!(role);
    }
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

/// The role the controller assumes to register the pods in a target group of another account
/// than the cluster's (E2K515); None for a target group of the cluster's account, or when the
/// role's template fails (E2K160).
fn cross_account_role(
    ctx: &Context<'_>,
    tg: &TargetGroup,
    target_type: &str,
    at: &str,
    findings: &mut Findings,
) -> Option<String> {
    let arn = tg.target_group_arn.as_deref()?;
    if ctx.cluster.holds(arn, ctx.names.account) {
        return None;
    }
    #[derive(serde::Serialize)]
    struct Vars<'a> {
        account: &'a str,
        region: &'a str,
        environment: &'a str,
    }
    let (account, region) = (arn_account(arn), arn_region(arn));
    let vars = Vars {
        account,
        region,
        environment: ctx.names.environment,
    };
    let template = &ctx.mappings.load_balancing.cross_account_role;
    let role = match names::render_named("loadBalancing.crossAccountRole template", template, &vars)
    {
        Ok(role) => role,
        Err(message) => {
            findings.push(Code::NameTemplate, "", message);
            return None;
        }
    };
    let instance = match target_type {
        "instance" => {
            "; its targets are instances, which the controller cannot register across accounts: use an ip target group"
        }
        _ => "",
    };
    findings.push(
        Code::CrossAccountTargetGroup,
        join(at, "targetGroupArn"),
        format!(
            "target group {} is in account {account}, not the cluster's ({}): the controller assumes role {role}, which the Terraform root of account {account} creates with permission to register targets in it{instance}",
            tg_name(tg),
            ctx.cluster.account(ctx.names.account)
        ),
    );
    Some(role)
}
