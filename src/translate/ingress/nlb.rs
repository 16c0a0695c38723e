//! Network Load Balancers → a `LoadBalancer` Service the controller provisions an NLB for: one
//! port per listener that forwards to the target group, TLS, the health check and the attributes
//! as annotations.

use super::{
    Context, TARGET_GROUP_HEALTH_DEFAULTS, Target, annotate, lb_name, pairs, push_at, unrouted,
};
use crate::diagnostics::{Code, Findings};
use crate::model::elbv2::{Listener, LoadBalancer, TargetGroup};
use crate::model::k8s::{Map, Object};
use crate::model::names;
use crate::model::read::{Inputs, Sourced};
use serde_json::{Value, json};

const NLB: &str = "service.beta.kubernetes.io/";

/// The Service of the NLB `lb` for the target group; None (with a finding) when no listener of
/// the NLB forwards to it.
pub(super) fn nlb_service(
    ctx: &Context<'_>,
    target: &Target<'_>,
    lb: &Sourced<LoadBalancer>,
    findings: &mut Findings,
) -> Option<Object> {
    let listeners = forwarding_listeners(ctx.inputs, &lb.value, target.arn());
    if listeners.is_empty() {
        unrouted(findings, target, &lb.value, "listener", "Service");
        return None;
    }
    let mut annotations = nlb_annotations(target, &lb.value);
    let ports = listener_ports(&listeners, target.port, &mut annotations);
    elastic_ip_finding(lb, findings);
    let name = names::dns1035_label(&format!("{}-nlb", target.svc), "service");
    let mut meta = (ctx.meta)(&name);
    meta.annotations = annotations;
    Some(Object::new(
        "v1",
        "Service",
        meta,
        json!({ "spec": {
            "type": "LoadBalancer",
            "loadBalancerClass": "service.k8s.aws/nlb",
            "selector": ctx.selector,
            "ports": ports,
        }}),
    ))
}

/// The listeners of the NLB whose default action forwards to the target group `tg_arn`.
fn forwarding_listeners<'a>(
    inputs: &'a Inputs,
    lb: &LoadBalancer,
    tg_arn: &str,
) -> Vec<&'a Sourced<Listener>> {
    let lb_arn = lb.load_balancer_arn.as_deref().unwrap_or("");
    inputs
        .listeners_of(lb_arn)
        .filter(|l| {
            l.value
                .default_actions
                .iter()
                .any(|a| a.target_groups().iter().any(|(arn, _)| *arn == tg_arn))
        })
        .collect()
}

/// The annotations of the NLB and its target group: target type, scheme, IP address type,
/// health check and the attributes that differ from the AWS defaults.
fn nlb_annotations(target: &Target<'_>, lb: &LoadBalancer) -> Map {
    let tg = &target.tg.value;
    let mut annotations = Map::new();
    annotate(
        &mut annotations,
        NLB,
        [
            (
                "aws-load-balancer-nlb-target-type",
                Some(target.target_type().into()),
            ),
            ("aws-load-balancer-scheme", lb.scheme.clone()),
            (
                "aws-load-balancer-ip-address-type",
                lb.ip_address_type.clone().filter(|t| t != "ipv4"),
            ),
        ],
    );
    if tg.health_check_enabled != Some(false) {
        health_check_annotations(tg, &mut annotations);
    }
    let tg_defaults = [TARGET_GROUP_HEALTH_DEFAULTS, NLB_TARGET_GROUP_DEFAULTS];
    annotate(
        &mut annotations,
        NLB,
        [
            (
                "aws-load-balancer-attributes",
                pairs(&lb.attributes, &[NLB_DEFAULTS]),
            ),
            (
                "aws-load-balancer-target-group-attributes",
                pairs(&tg.attributes, &tg_defaults),
            ),
        ],
    );
    annotations
}

/// The target group's health check as `aws-load-balancer-healthcheck-*` annotations; path and
/// success codes only for HTTP(S) checks.
fn health_check_annotations(tg: &TargetGroup, annotations: &mut Map) {
    let http = tg
        .health_check_protocol
        .as_deref()
        .is_some_and(|p| p.starts_with("HTTP"));
    let n = |v: Option<i64>| v.map(|n| n.to_string());
    let codes = tg.matcher.as_ref().and_then(|m| m.http_code.clone());
    annotate(
        annotations,
        NLB,
        [
            (
                "aws-load-balancer-healthcheck-protocol",
                tg.health_check_protocol
                    .as_deref()
                    .map(str::to_ascii_lowercase),
            ),
            (
                "aws-load-balancer-healthcheck-port",
                tg.health_check_port.clone(),
            ),
            (
                "aws-load-balancer-healthcheck-path",
                tg.health_check_path.clone().filter(|_| http),
            ),
            (
                "aws-load-balancer-healthcheck-success-codes",
                codes.filter(|_| http),
            ),
            (
                "aws-load-balancer-healthcheck-interval",
                n(tg.health_check_interval_seconds),
            ),
            (
                "aws-load-balancer-healthcheck-timeout",
                n(tg.health_check_timeout_seconds),
            ),
            (
                "aws-load-balancer-healthcheck-healthy-threshold",
                n(tg.healthy_threshold_count),
            ),
            (
                "aws-load-balancer-healthcheck-unhealthy-threshold",
                n(tg.unhealthy_threshold_count),
            ),
        ],
    );
}

/// The Service ports of the listeners (one per protocol of a listener, all to the target's
/// port); the TLS listeners' ports, certificates and policy go to `annotations`.
fn listener_ports(
    listeners: &[&Sourced<Listener>],
    target_port: i64,
    annotations: &mut Map,
) -> Vec<Value> {
    let mut ports = Vec::new();
    let mut tls_ports = Vec::new();
    let mut certs: Vec<String> = Vec::new();
    let mut policy = None;
    for l in listeners {
        let Some(port) = l.value.port else { continue };
        let protocol = l
            .value
            .protocol
            .as_deref()
            .unwrap_or("TCP")
            .to_ascii_uppercase();
        let protocols: &[&str] = match protocol.as_str() {
            "UDP" => &["UDP"],
            "TCP_UDP" => &["TCP", "UDP"],
            _ => &["TCP"],
        };
        if protocol == "TLS" {
            tls_ports.push(port.to_string());
            certs.extend(
                l.value
                    .certificates
                    .iter()
                    .filter_map(|c| c.certificate_arn.clone()),
            );
            policy = policy.or(l.value.ssl_policy.clone());
        }
        for p in protocols {
            ports.push(json!({
                "name": format!("{}-{port}", p.to_ascii_lowercase()),
                "port": port,
                "targetPort": target_port,
                "protocol": p,
            }));
        }
    }
    if !tls_ports.is_empty() {
        certs.dedup();
        annotate(
            annotations,
            NLB,
            [
                ("aws-load-balancer-ssl-cert", Some(certs.join(","))),
                ("aws-load-balancer-ssl-ports", Some(tls_ports.join(","))),
                ("aws-load-balancer-ssl-negotiation-policy", policy),
            ],
        );
    }
    ports
}

/// Elastic IPs do not move by themselves: the new NLB can take them only once the old one lets
/// go.
fn elastic_ip_finding(lb: &Sourced<LoadBalancer>, findings: &mut Findings) {
    let eips: Vec<&str> = lb
        .value
        .availability_zones
        .iter()
        .flat_map(|z| &z.load_balancer_addresses)
        .filter_map(|a| a.allocation_id.as_deref())
        .collect();
    if !eips.is_empty() {
        push_at(
            findings,
            lb,
            "AvailabilityZones",
            Code::NlbSettings,
            format!(
                "load balancer {} holds Elastic IPs {}; they move to the new NLB only once the old one releases them (annotation {NLB}aws-load-balancer-eip-allocations, one per subnet)",
                lb_name(&lb.value),
                eips.join(", ")
            ),
        );
    }
}

/// NLB attribute values AWS sets by default (see `TARGET_GROUP_HEALTH_DEFAULTS`).
const NLB_DEFAULTS: &[(&str, &str)] = &[
    ("access_logs.s3.enabled", "false"),
    ("deletion_protection.enabled", "false"),
    ("load_balancing.cross_zone.enabled", "false"),
    ("dns_record.client_routing_policy", "any_availability_zone"),
    ("zonal_shift.config.enabled", "false"),
];
const NLB_TARGET_GROUP_DEFAULTS: &[(&str, &str)] = &[
    (
        "deregistration_delay.connection_termination.enabled",
        "false",
    ),
    ("proxy_protocol_v2.enabled", "false"),
    ("stickiness.type", "source_ip"),
    (
        "target_health_state.unhealthy.connection_termination.enabled",
        "true",
    ),
    (
        "target_health_state.unhealthy.draining_interval_seconds",
        "0",
    ),
];
