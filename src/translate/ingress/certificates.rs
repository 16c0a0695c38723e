//! Certificates: in Ingress mode the AWS Load Balancer Controller creates the load balancers in
//! the cluster's account and region, and a load balancer uses ACM certificates of its own
//! account and region only. A certificate the made Ingresses or NLB Services name from another
//! account (a workload account, when the cluster is in a platform account) or region is a
//! warning naming it; the fix is the user's (import or issue it in the cluster's account).

use super::Context;
use crate::diagnostics::{Code, Finding, Findings};
use crate::model::fields::join;
use crate::model::k8s::Object;
use crate::model::target::cluster::{arn_account, arn_region};
use std::collections::BTreeSet;

/// The annotations that carry certificate ARNs (comma-separated): the ALB's and the NLB's.
const CERTIFICATE_ANNOTATIONS: [&str; 2] = [
    "alb.ingress.kubernetes.io/certificate-arn",
    "service.beta.kubernetes.io/aws-load-balancer-ssl-cert",
];

/// E2K516, once per certificate, for those of `made` that the cluster's load balancers cannot
/// use; each finding points at the listener that names the certificate.
pub(super) fn check(ctx: &Context<'_>, made: &[Object], findings: &mut Findings) {
    let named: BTreeSet<&str> = made
        .iter()
        .flat_map(|o| {
            CERTIFICATE_ANNOTATIONS
                .iter()
                .filter_map(|key| o.metadata.annotations.get(*key))
        })
        .flat_map(|arns| arns.split(','))
        .collect();
    let cluster_account = ctx.cluster.account(ctx.names.account);
    let cluster_region = ctx.cluster.region(ctx.names.region);
    for cert in named {
        let region = arn_region(cert);
        let held = ctx.cluster.holds(cert, ctx.names.account);
        if held && (region.is_empty() || region == cluster_region) {
            continue;
        }
        let mut f = Finding::new(
            Code::CrossAccountCertificate,
            "",
            format!(
                "certificate {cert} is in account {} ({region}); the load balancer the controller creates is in the cluster's account {cluster_account} ({cluster_region}), where it cannot use it",
                arn_account(cert)
            ),
        );
        if let Some((input, field)) = source(ctx, cert) {
            f.input = input;
            f.field = field;
        }
        findings.add(f);
    }
}

/// Where the inputs name `cert`: the listener of one of the service's load balancers.
fn source(ctx: &Context<'_>, cert: &str) -> Option<(String, String)> {
    let inputs = ctx.inputs;
    let target_groups = ctx
        .service
        .value
        .load_balancers
        .iter()
        .filter_map(|e| e.target_group_arn.as_deref())
        .flat_map(|arn| inputs.target_groups_at(arn));
    let listeners = target_groups
        .flat_map(|tg| &tg.value.load_balancer_arns)
        .flat_map(|lb| inputs.listeners_of(lb));
    for l in listeners {
        let mut names = l.value.certificates.iter();
        if let Some(i) = names.position(|c| c.certificate_arn.as_deref() == Some(cert)) {
            let field = join(&l.path, &format!("Certificates[{i}].CertificateArn"));
            return Some((l.input.clone(), field));
        }
    }
    None
}
