//! Application Load Balancers → Ingresses: one per listener rule that reaches the service's
//! target group, all Ingresses of one ALB in one IngressGroup, ordered by the rules' priorities.
//!
//! In a shared cluster an IngressGroup named by annotation is open: anyone who may create an
//! Ingress can join it with a lower `group.order` and take over a host. So by default each group
//! has its own IngressClass, whose IngressClassParams name the group, state the ALB's own
//! settings once (scheme, IP address type, attributes, tags) and admit only the namespaces
//! labelled as members of the group: those of the apps with rules on that ALB.

use super::{
    Context, TARGET_GROUP_HEALTH_DEFAULTS, Target, annotate, lb_name, pairs, push_at,
    set_attributes, unrouted,
};
use crate::diagnostics::{Code, Finding, Findings};
use crate::model::elbv2::{Action, Condition, Listener, LoadBalancer, Rule, Stickiness};
use crate::model::fields::join;
use crate::model::k8s::Map;
use crate::model::names;
use crate::model::read::{Inputs, Sourced};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::BTreeSet;

const ALB: &str = "alb.ingress.kubernetes.io/";

/// The Namespace label that admits an app's Ingresses to IngressGroup `<group>`: the
/// IngressClassParams of the group select the namespaces carrying `<prefix><group>: "true"`.
pub const GROUP_MEMBER_LABEL: &str = "ingress-group.ecs2eks.io/";

/// The fenced IngressClass of an ALB's group, before its objects are made: the group (which
/// names the class, its parameters and the members' label), the ALB it stands for, and the
/// IngressClassParams spec.
pub(super) struct GroupClass {
    pub group: String,
    pub load_balancer_arn: String,
    pub params: Value,
}

/// An Ingress before it is named.
pub(super) struct IngressDraft {
    pub suffix: String,
    pub annotations: Map,
    pub spec: Value,
}

/// Adds to `out` the Ingresses of the rules of the ALB `lb` that forward to the target group,
/// and, when the service owns the ALB, of the rules that redirect or answer by themselves.
/// Returns the fenced class of the ALB's group when they are in one (the default) and there are
/// any.
pub(super) fn alb_routes(
    ctx: &Context<'_>,
    target: &Target<'_>,
    lb: &Sourced<LoadBalancer>,
    out: &mut Vec<IngressDraft>,
    findings: &mut Findings,
) -> Option<GroupClass> {
    let inputs = ctx.inputs;
    let lb_arn = lb.value.load_balancer_arn.as_deref().unwrap_or("");
    let mut listeners: Vec<ListenerRules<'_>> = inputs
        .listeners_of(lb_arn)
        .map(|l| listener_rules(inputs, l))
        .collect();
    listeners.sort_by_key(|l| l.listener.value.port);
    if listeners.is_empty() {
        push_at(
            findings,
            lb,
            "LoadBalancerArn",
            Code::LoadBalancerMissing,
            format!(
                "the listeners of load balancer {} are not in the inputs (aws elbv2 describe-listeners); its routing was not converted",
                lb_name(&lb.value)
            ),
        );
        return None;
    }
    let owner = ctx.alb_owners.of_lb(lb_arn) == ctx.service.value.service_name.as_deref();
    let orders = GroupOrders::of(&listeners);
    if orders.renumber && owner {
        push_at(
            findings,
            lb,
            "LoadBalancerArn",
            Code::GroupOrderRenumbered,
            format!(
                "load balancer {} has rule priorities above 1000; group.order holds their rank",
                lb_name(&lb.value)
            ),
        );
    }
    let group = names::dns_label(lb_name(&lb.value), "alb");
    let shared = ctx.mappings.load_balancing.ingress_class.as_deref();
    let alb = Alb {
        inputs,
        target,
        lb,
        owner,
        orders,
        // HTTP listeners that only redirect to HTTPS become `ssl-redirect`.
        redirects: listeners
            .iter()
            .filter_map(|l| Some((l.listener.value.port?, ssl_redirect(l)?)))
            .collect(),
        class: shared.unwrap_or(&group).to_string(),
        lb_annotations: match shared {
            Some(_) => group_annotations(&lb.value, &group),
            None => Map::new(),
        },
        tg_annotations: target_group_annotations(target),
    };
    let (before, mut routed) = (out.len(), false);
    for listener in &listeners {
        routed |= alb.listener_routes(listener, out, findings);
    }
    if !routed {
        unrouted(findings, target, &lb.value, "listener rule", "Ingress");
    }
    (shared.is_none() && out.len() > before).then(|| GroupClass {
        params: group_params(&lb.value, &group),
        load_balancer_arn: lb.value.load_balancer_arn.clone().unwrap_or_default(),
        group,
    })
}

/// A listener with its rules by priority: as read, or its default action alone when
/// describe-rules was not given.
struct ListenerRules<'a> {
    listener: &'a Sourced<Listener>,
    /// Borrowed from the inputs; the default rule made from the listener's default actions is
    /// owned.
    rules: Vec<Cow<'a, Rule>>,
    /// Whether describe-rules listed the listener's rules.
    known: bool,
}

/// The listener's rules read for its ARN, and the default rule made from its default actions
/// when none of them is the default one.
fn listener_rules<'a>(inputs: &'a Inputs, listener: &'a Sourced<Listener>) -> ListenerRules<'a> {
    let l = &listener.value;
    let read = l.listener_arn.iter().flat_map(|arn| inputs.rules_of(arn));
    let mut rules: Vec<Cow<'a, Rule>> = read.map(|r| Cow::Borrowed(&r.value)).collect();
    let known = !rules.is_empty();
    if !rules.iter().any(|r| r.is_default()) {
        rules.push(Cow::Owned(Rule {
            priority: Some("default".into()),
            actions: l.default_actions.clone(),
            is_default: Some(true),
            ..Rule::default()
        }));
    }
    rules.sort_by_key(|r| r.priority_number().unwrap_or(i64::MAX));
    ListenerRules {
        listener,
        rules,
        known,
    }
}

/// The action that decides a rule's outcome (authentication actions come before it).
fn final_action(rule: &Rule) -> Option<&Action> {
    let mut actions: Vec<&Action> = rule.actions.iter().collect();
    actions.sort_by_key(|a| a.order.unwrap_or(i64::MAX));
    actions
        .into_iter()
        .find(|a| matches!(a.kind(), "forward" | "redirect" | "fixed-response"))
}

/// The HTTPS port an HTTP listener whose only action redirects to HTTPS sends to: `ssl-redirect`
/// in the group.
fn ssl_redirect(listener: &ListenerRules<'_>) -> Option<i64> {
    if !listener
        .listener
        .value
        .protocol
        .as_deref()
        .is_some_and(|p| p.eq_ignore_ascii_case("HTTP"))
    {
        return None;
    }
    let [rule] = listener.rules.as_slice() else {
        return None;
    };
    let action = final_action(rule)?;
    let redirect = action.redirect_config.as_ref()?;
    if action.kind() != "redirect"
        || !redirect
            .protocol
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("HTTPS"))
    {
        return None;
    }
    let same = |v: &Option<String>, default: &str| v.as_deref().is_none_or(|s| s == default);
    (same(&redirect.host, "#{host}")
        && same(&redirect.path, "/#{path}")
        && same(&redirect.query, "#{query}"))
    .then(|| {
        redirect
            .port
            .as_deref()
            .and_then(|p| p.parse().ok())
            .unwrap_or(443)
    })
}

/// `group.order` of the ALB's numbered rules: their priority when all fit in 1..1000,
/// otherwise their rank.
struct GroupOrders {
    /// The priorities of every listener's rules, sorted, each once.
    priorities: Vec<i64>,
    renumber: bool,
}

impl GroupOrders {
    fn of(listeners: &[ListenerRules<'_>]) -> GroupOrders {
        let priorities: BTreeSet<i64> = listeners
            .iter()
            .flat_map(|l| &l.rules)
            .filter_map(|r| r.priority_number())
            .collect();
        let priorities: Vec<i64> = priorities.into_iter().collect();
        let renumber = priorities.last().is_some_and(|p| *p > 1000);
        GroupOrders {
            priorities,
            renumber,
        }
    }

    fn order(&self, priority: i64) -> i64 {
        let order = if self.renumber {
            self.priorities
                .binary_search(&priority)
                .map_or(priority, |i| i as i64 + 1)
        } else {
            priority
        };
        order.min(1000)
    }
}

/// The ALB's tags that AWS did not set itself (`aws:` keys are reserved).
fn user_tags(lb: &LoadBalancer) -> impl Iterator<Item = (&String, &String)> {
    lb.tags.iter().filter(|(k, _)| !k.starts_with("aws:"))
}

/// With a shared IngressClass (`loadBalancing.ingressClass`), what every Ingress of the ALB's
/// group carries: the group's name and the ALB's own settings.
fn group_annotations(lb: &LoadBalancer, group: &str) -> Map {
    let tags: Vec<String> = user_tags(lb).map(|(k, v)| format!("{k}={v}")).collect();
    let mut annotations = Map::new();
    annotate(
        &mut annotations,
        ALB,
        [
            ("group.name", Some(group.to_string())),
            ("scheme", lb.scheme.clone()),
            (
                "ip-address-type",
                lb.ip_address_type.clone().filter(|t| t != "ipv4"),
            ),
            (
                "load-balancer-attributes",
                pairs(&lb.attributes, &[ALB_DEFAULTS]),
            ),
            ("tags", (!tags.is_empty()).then(|| tags.join(","))),
        ],
    );
    annotations
}

/// The IngressClassParams spec of the ALB's group `group`: the group, the fence (namespaces
/// labelled members), and the ALB's settings, stated once for all the group's Ingresses.
fn group_params(lb: &LoadBalancer, group: &str) -> Value {
    let key_values = |pairs: Vec<(&str, &str)>| -> Vec<Value> {
        pairs
            .into_iter()
            .map(|(k, v)| json!({ "key": k, "value": v }))
            .collect()
    };
    let mut spec = json!({
        "group": { "name": group },
        "namespaceSelector": { "matchLabels": { format!("{GROUP_MEMBER_LABEL}{group}"): "true" } },
    });
    if let Some(scheme) = &lb.scheme {
        spec["scheme"] = json!(scheme);
    }
    if let Some(t) = lb.ip_address_type.as_ref().filter(|t| *t != "ipv4") {
        spec["ipAddressType"] = json!(t);
    }
    let attributes = key_values(set_attributes(&lb.attributes, &[ALB_DEFAULTS]));
    if !attributes.is_empty() {
        spec["loadBalancerAttributes"] = json!(attributes);
    }
    let tags = key_values(
        user_tags(lb)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
    );
    if !tags.is_empty() {
        spec["tags"] = json!(tags);
    }
    spec
}

/// The annotations of the target group, which the Ingresses that forward to it carry: target
/// type, health check, backend protocol and the attributes that differ from the AWS defaults.
fn target_group_annotations(target: &Target<'_>) -> Map {
    let tg = &target.tg.value;
    let mut annotations = Map::new();
    annotations.insert(format!("{ALB}target-type"), target.target_type().into());
    if tg.health_check_enabled != Some(false) {
        let n = |v: Option<i64>| v.map(|n| n.to_string());
        let protocol = tg
            .health_check_protocol
            .clone()
            .filter(|p| p == "HTTP" || p == "HTTPS");
        let codes = tg
            .matcher
            .as_ref()
            .and_then(|m| m.http_code.clone().or_else(|| m.grpc_code.clone()));
        annotate(
            &mut annotations,
            ALB,
            [
                ("healthcheck-path", tg.health_check_path.clone()),
                ("healthcheck-port", health_check_port(target)),
                ("healthcheck-protocol", protocol),
                (
                    "healthcheck-interval-seconds",
                    n(tg.health_check_interval_seconds),
                ),
                (
                    "healthcheck-timeout-seconds",
                    n(tg.health_check_timeout_seconds),
                ),
                ("healthy-threshold-count", n(tg.healthy_threshold_count)),
                ("unhealthy-threshold-count", n(tg.unhealthy_threshold_count)),
                ("success-codes", codes),
            ],
        );
    }
    let tg_defaults = [TARGET_GROUP_HEALTH_DEFAULTS, ALB_TARGET_GROUP_DEFAULTS];
    annotate(
        &mut annotations,
        ALB,
        [
            (
                "backend-protocol",
                (tg.protocol.as_deref() == Some("HTTPS")).then(|| "HTTPS".into()),
            ),
            (
                "backend-protocol-version",
                tg.protocol_version.clone().filter(|v| v != "HTTP1"),
            ),
            (
                "target-group-attributes",
                pairs(&tg.attributes, &tg_defaults),
            ),
        ],
    );
    annotations
}

/// `healthcheck-port`: with instance targets a port number would be a node port, so a port the
/// pods expose is named after its Service port, which the controller maps to the NodePort.
fn health_check_port(target: &Target<'_>) -> Option<String> {
    let port = target.tg.value.health_check_port.clone()?;
    if !target.instance {
        return Some(port);
    }
    match port.parse::<i64>() {
        Ok(n) => Some(
            target
                .port_names
                .iter()
                .find(|(p, _)| *p == n)
                .map_or(port, |(_, name)| name.clone()),
        ),
        Err(_) => Some(port),
    }
}

/// One ALB as the service's target group sees it: what the Ingresses of its rules share.
struct Alb<'a> {
    inputs: &'a Inputs,
    target: &'a Target<'a>,
    lb: &'a Sourced<LoadBalancer>,
    /// The service owns the ALB: it carries the rules that reach no target group, and the
    /// findings about the ALB itself.
    owner: bool,
    orders: GroupOrders,
    /// `(HTTP port, HTTPS port)` of the listeners that only redirect to HTTPS.
    redirects: Vec<(i64, i64)>,
    /// The Ingresses' `ingressClassName`: the group's own class, or the shared one.
    class: String,
    /// What every Ingress of the group says of the ALB: nothing when its class says it.
    lb_annotations: Map,
    tg_annotations: Map,
}

/// One rule of a listener, with the action that decides it.
struct RuleRoute<'r> {
    listener: &'r Sourced<Listener>,
    port: i64,
    rule: &'r Rule,
    /// As AWS writes it: a number, or "default".
    prio: &'r str,
    action: &'r Action,
    /// The target groups the action forwards to, with their weights.
    weighted: Vec<(&'r str, i64)>,
}

/// What an Ingress path sends to.
enum Backend {
    Service,
    /// `actions.<name>` annotation: the name and its JSON value.
    Action(String, Value),
}

impl Alb<'_> {
    /// Adds the Ingresses of one listener's rules to `out`; true when a rule forwards to the
    /// target group.
    fn listener_routes(
        &self,
        listener: &ListenerRules<'_>,
        out: &mut Vec<IngressDraft>,
        findings: &mut Findings,
    ) -> bool {
        let l = &listener.listener.value;
        let Some(port) = l.port else { return false };
        if self.redirects.iter().any(|(p, _)| *p == port) {
            return false;
        }
        if !listener.known && self.owner {
            push_at(
                findings,
                listener.listener,
                "ListenerArn",
                Code::ListenerRulesMissing,
                format!(
                    "the rules of listener {}:{port} of {} are not in the inputs; only its default action was read",
                    l.protocol.as_deref().unwrap_or("?"),
                    lb_name(&self.lb.value)
                ),
            );
        }
        let listener_annotations = self.listener_annotations(l, port);
        let mut routed = false;
        for rule in &listener.rules {
            let Some(action) = final_action(rule) else {
                continue;
            };
            let r = RuleRoute {
                listener: listener.listener,
                port,
                rule,
                prio: rule.priority.as_deref().unwrap_or("default"),
                action,
                weighted: action.target_groups(),
            };
            let ours = r.weighted.iter().any(|(a, _)| *a == self.target.arn());
            routed |= ours && action.kind() == "forward";
            let Some(backend) = self.backend(&r, ours) else {
                continue;
            };
            out.push(self.rule_ingress(&r, &backend, &listener_annotations, findings));
        }
        routed
    }

    /// The ALB's annotations with the listener's: its port (and the HTTP ports that redirect to
    /// it), and for HTTPS its certificates and policy.
    fn listener_annotations(&self, l: &Listener, port: i64) -> Map {
        // listen-ports: this listener, plus the HTTP listeners that redirect to it.
        let protocol = l.protocol.as_deref().unwrap_or("HTTP").to_ascii_uppercase();
        let mut listen: Vec<Value> = self
            .redirects
            .iter()
            .filter(|(_, to)| *to == port && protocol == "HTTPS")
            .map(|(from, _)| json!({ "HTTP": from }))
            .collect();
        listen.push(json!({ protocol.clone(): port }));
        let mut annotations = self.lb_annotations.clone();
        annotations.insert(
            format!("{ALB}listen-ports"),
            Value::Array(listen).to_string(),
        );
        if let Some((_, to)) = self.redirects.iter().find(|(_, to)| *to == port) {
            annotations.insert(format!("{ALB}ssl-redirect"), to.to_string());
        }
        if protocol == "HTTPS" {
            let certs: Vec<&str> = l
                .certificates
                .iter()
                .filter_map(|c| c.certificate_arn.as_deref())
                .collect();
            annotate(
                &mut annotations,
                ALB,
                [
                    (
                        "certificate-arn",
                        (!certs.is_empty()).then(|| certs.join(",")),
                    ),
                    ("ssl-policy", l.ssl_policy.clone()),
                ],
            );
        }
        annotations
    }

    /// What the rule's Ingress sends to: the Service for a forward to the target group; for a
    /// redirect or fixed response, when the service owns the ALB, the action. None: the rule
    /// is not the service's to carry.
    fn backend(&self, r: &RuleRoute<'_>, ours: bool) -> Option<Backend> {
        match r.action.kind() {
            "forward" if ours => self.forward_backend(r),
            kind @ ("redirect" | "fixed-response") if self.owner => Some(Backend::Action(
                names::dns1035_label(&format!("{kind}-{}-{}", r.port, r.prio), "action"),
                response_action(r.action),
            )),
            _ => None,
        }
    }

    /// A forward to the target group alone goes to the Service; a weighted forward becomes an
    /// action, carried by the target group with the largest weight (None for the others).
    fn forward_backend(&self, r: &RuleRoute<'_>) -> Option<Backend> {
        if r.weighted.len() == 1 {
            return Some(Backend::Service);
        }
        let first_max = r
            .weighted
            .iter()
            .max_by_key(|(a, w)| (*w, std::cmp::Reverse(*a)))
            .map(|(a, _)| *a);
        if first_max != Some(self.target.arn()) {
            return None;
        }
        let stick = r
            .action
            .forward_config
            .as_ref()
            .and_then(|f| f.target_group_stickiness_config.as_ref());
        Some(Backend::Action(
            names::dns1035_label(&format!("{}-weighted", self.target.svc), "weighted"),
            weighted_action(self.target, &r.weighted, stick),
        ))
    }

    /// The Ingress of one rule, and the findings about what it cannot carry.
    fn rule_ingress(
        &self,
        r: &RuleRoute<'_>,
        backend: &Backend,
        listener_annotations: &Map,
        findings: &mut Findings,
    ) -> IngressDraft {
        let (prio, port) = (r.prio, r.port);
        if r.rule
            .actions
            .iter()
            .any(|a| a.kind().starts_with("authenticate-"))
        {
            self.rule_finding(
                r,
                "Actions",
                Code::RuleActionNotCarried,
                format!(
                    "rule {prio} of listener {port} authenticates users before forwarding; the authentication was not carried"
                ),
                findings,
            );
        }
        if let Backend::Action(name, _) = backend
            && r.action.kind() == "forward"
        {
            self.rule_finding(
                r,
                "Actions",
                Code::WeightedForward,
                format!(
                    "rule {prio} of listener {port} splits traffic over {} target groups; annotation actions.{name} keeps the weights and names the other target groups by ARN",
                    r.weighted.len()
                ),
                findings,
            );
        }
        let m = match_of(&r.rule.conditions);
        for p in &m.dropped_paths {
            self.rule_finding(
                r,
                "Conditions",
                Code::PathPatternNotCarried,
                format!("path pattern {p:?} of rule {prio} was left out"),
                findings,
            );
        }
        let mut annotations = listener_annotations.clone();
        self.annotate_rule(r, backend, &m, &mut annotations);
        IngressDraft {
            suffix: format!("{port}-{prio}"),
            annotations,
            spec: ingress_spec(r.rule, &m, backend.json(self.target), &self.class),
        }
    }

    /// A finding about `field` of the rule as read; about the listener's default actions for
    /// the default rule made from them.
    fn rule_finding(
        &self,
        r: &RuleRoute<'_>,
        field: &str,
        code: Code,
        message: String,
        findings: &mut Findings,
    ) {
        let read = r.rule.rule_arn.as_deref();
        let (input, field) = match read.and_then(|arn| self.inputs.rules_at(arn).next()) {
            Some(at) => (at.input.clone(), join(&at.path, field)),
            None => (
                r.listener.input.clone(),
                join(&r.listener.path, "DefaultActions"),
            ),
        };
        let mut f = Finding::new(code, field, message);
        f.input = input;
        findings.add(f);
    }

    /// The rule's own annotations: its `group.order`, the target group's or the action's, and
    /// the conditions the Ingress spec cannot hold.
    fn annotate_rule(
        &self,
        r: &RuleRoute<'_>,
        backend: &Backend,
        m: &Match,
        annotations: &mut Map,
    ) {
        if let Some(p) = r.rule.priority_number() {
            annotations.insert(
                format!("{ALB}group.order"),
                self.orders.order(p).to_string(),
            );
        }
        let backend_name = match backend {
            Backend::Service => {
                annotations.extend(self.tg_annotations.clone());
                &self.target.svc
            }
            Backend::Action(name, value) => {
                if r.action.kind() == "forward" {
                    annotations.extend(self.tg_annotations.clone());
                }
                annotations.insert(format!("{ALB}actions.{name}"), value.to_string());
                name
            }
        };
        if !m.conditions.is_empty() {
            annotations.insert(
                format!("{ALB}conditions.{backend_name}"),
                Value::Array(m.conditions.clone()).to_string(),
            );
        }
    }
}

impl Backend {
    /// The Ingress backend: the Service's port, or the annotation action.
    fn json(&self, target: &Target<'_>) -> Value {
        match self {
            Backend::Service => {
                json!({ "service": { "name": target.svc, "port": { "number": target.port } } })
            }
            Backend::Action(name, _) => {
                json!({ "service": { "name": name, "port": { "name": "use-annotation" } } })
            }
        }
    }
}

/// A redirect or fixed response as an `actions.<name>` value: the fields of its config that are
/// set.
fn response_action(action: &Action) -> Value {
    if action.kind() == "redirect" {
        let r = action.redirect_config.clone().unwrap_or_default();
        let c = set_fields([
            ("host", r.host),
            ("path", r.path),
            ("port", r.port),
            ("protocol", r.protocol),
            ("query", r.query),
            ("statusCode", r.status_code),
        ]);
        json!({ "type": "redirect", "redirectConfig": c })
    } else {
        let r = action.fixed_response_config.clone().unwrap_or_default();
        let c = set_fields([
            ("contentType", r.content_type),
            ("statusCode", r.status_code),
            ("messageBody", r.message_body),
        ]);
        json!({ "type": "fixed-response", "fixedResponseConfig": c })
    }
}

/// The fields of an action annotation that are set, in the given order.
fn set_fields<const N: usize>(
    fields: [(&str, Option<String>); N],
) -> serde_json::Map<String, Value> {
    fields
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), json!(v?))))
        .collect()
}

/// A weighted forward as an `actions.<name>` value: the target group by its Service port, the
/// others by ARN.
fn weighted_action(
    target: &Target<'_>,
    weighted: &[(&str, i64)],
    stick: Option<&Stickiness>,
) -> Value {
    let tg_arn = target.arn();
    let groups: Vec<Value> = weighted
        .iter()
        .map(|(arn, w)| {
            if *arn == tg_arn {
                json!({ "serviceName": target.svc, "servicePort": target.port.to_string(), "weight": w })
            } else {
                json!({ "targetGroupARN": arn, "weight": w })
            }
        })
        .collect();
    let mut forward = json!({ "targetGroups": groups });
    if let Some(s) = stick.filter(|s| s.enabled == Some(true)) {
        let mut c = json!({ "enabled": true });
        if let Some(d) = s.duration_seconds {
            c["durationSeconds"] = json!(d);
        }
        forward["targetGroupStickinessConfig"] = c;
    }
    json!({ "type": "forward", "forwardConfig": forward })
}

/// ALB attribute values AWS sets by default (see `TARGET_GROUP_HEALTH_DEFAULTS`).
const ALB_DEFAULTS: &[(&str, &str)] = &[
    ("access_logs.s3.enabled", "false"),
    ("client_keep_alive.seconds", "3600"),
    ("connection_logs.s3.enabled", "false"),
    ("deletion_protection.enabled", "false"),
    ("health_check_logs.s3.enabled", "false"),
    ("idle_timeout.timeout_seconds", "60"),
    ("load_balancing.cross_zone.enabled", "true"),
    ("routing.http.desync_mitigation_mode", "defensive"),
    ("routing.http.drop_invalid_header_fields.enabled", "false"),
    ("routing.http.preserve_host_header.enabled", "false"),
    (
        "routing.http.x_amzn_tls_version_and_cipher_suite.enabled",
        "false",
    ),
    ("routing.http.xff_client_port.enabled", "false"),
    ("routing.http.xff_header_processing.mode", "append"),
    ("routing.http2.enabled", "true"),
    ("waf.fail_open.enabled", "false"),
    ("zonal_shift.config.enabled", "false"),
];
const ALB_TARGET_GROUP_DEFAULTS: &[(&str, &str)] = &[
    ("stickiness.type", "lb_cookie"),
    ("stickiness.lb_cookie.duration_seconds", "86400"),
    ("stickiness.app_cookie.duration_seconds", "86400"),
    ("slow_start.duration_seconds", "0"),
    ("load_balancing.algorithm.type", "round_robin"),
    ("load_balancing.algorithm.anomaly_mitigation", "off"),
];

/// The Ingress spec of one rule: a default backend for a listener's default action, or one
/// Ingress rule per host (one without host when the rule matches any host).
fn ingress_spec(rule: &Rule, m: &Match, backend: Value, class: &str) -> Value {
    if rule.is_default() && m.hosts.is_empty() && m.paths.is_empty() && m.conditions.is_empty() {
        return json!({ "ingressClassName": class, "defaultBackend": backend });
    }
    let paths: Vec<(String, &str)> = if m.paths.is_empty() {
        vec![("/".to_string(), "Prefix")]
    } else {
        m.paths.clone()
    };
    let http = json!({
        "paths": paths
            .iter()
            .map(|(p, t)| json!({ "path": p, "pathType": t, "backend": backend }))
            .collect::<Vec<_>>()
    });
    let rules: Vec<Value> = if m.hosts.is_empty() {
        vec![json!({ "http": http })]
    } else {
        m.hosts
            .iter()
            .map(|h| json!({ "host": h, "http": http }))
            .collect()
    };
    json!({ "ingressClassName": class, "rules": rules })
}

/// ALB path-pattern values (ORed) → Ingress `(path, pathType)`s, read exactly as the controller
/// writes them back: `Exact /x` → `/x`; `Prefix /x` → `/x` and `/x/*`; `Prefix /` → `/*`;
/// `ImplementationSpecific` → the pattern as is, wildcards included. Values that no request path
/// can match (not starting with `/`, `*` or `?`) are returned apart.
fn path_types(values: &[String]) -> (Vec<(String, &'static str)>, Vec<String>) {
    let mut dropped = Vec::new();
    let mut normalised: Vec<String> = Vec::new();
    for v in values {
        // Request paths start with `/`: a leading `*` matches it, a leading `?` is it.
        let v = if v.starts_with('/') {
            v.clone()
        } else if v.starts_with('*') {
            format!("/{v}")
        } else if let Some(rest) = v.strip_prefix('?') {
            format!("/{rest}")
        } else {
            dropped.push(v.clone());
            continue;
        };
        if !normalised.contains(&v) {
            normalised.push(v);
        }
    }
    let wild = |s: &str| s.contains('*') || s.contains('?');
    let mut out: Vec<(String, &'static str)> = Vec::new();
    let mut consumed = vec![false; normalised.len()];
    for (i, v) in normalised.iter().enumerate() {
        if consumed[i] {
            continue;
        }
        if v == "/*" {
            out.push(("/".to_string(), "Prefix"));
            continue;
        }
        if !wild(v) {
            // `/x` together with `/x/*` is exactly `Prefix /x`.
            let star = format!("{}/*", v.trim_end_matches('/'));
            if !v.ends_with('/')
                && let Some(j) = normalised.iter().position(|o| *o == star)
            {
                consumed[j] = true;
                out.push((v.clone(), "Prefix"));
            } else {
                out.push((v.clone(), "Exact"));
            }
            continue;
        }
        // `/x/*` whose `/x` comes first was consumed above; one that comes later pairs here.
        if let Some(base) = v.strip_suffix("/*")
            && !wild(base)
            && !base.is_empty()
            && let Some(j) = normalised.iter().position(|o| o == base)
            && !consumed[j]
        {
            consumed[j] = true;
            out.push((base.to_string(), "Prefix"));
            continue;
        }
        out.push((v.clone(), "ImplementationSpecific"));
    }
    (out, dropped)
}

/// A host the Ingress `host` field can hold: a DNS-1123 subdomain, or `*.` and one.
fn ingress_host(host: &str) -> Option<String> {
    let h = host.to_ascii_lowercase();
    let rest = h.strip_prefix("*.").unwrap_or(&h);
    let ok = !rest.is_empty()
        && rest.len() <= 253
        && rest.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    ok.then_some(h)
}

/// The routing of one listener rule, in Ingress terms.
#[derive(Debug, Default, PartialEq)]
struct Match {
    /// Hosts of the Ingress rules (one rule each; none: any host).
    hosts: Vec<String>,
    paths: Vec<(String, &'static str)>,
    /// The `conditions.<name>` annotation's entries (JSON objects).
    conditions: Vec<Value>,
    /// Path patterns left out (see `path_types`).
    dropped_paths: Vec<String>,
}

/// Conditions of a rule → Ingress hosts and paths, and the annotation conditions for the rest.
fn match_of(conditions: &[Condition]) -> Match {
    let mut m = Match::default();
    for c in conditions {
        let values = c.values();
        match c.field() {
            "host-header" => {
                let hosts: Vec<Option<String>> = values.iter().map(|h| ingress_host(h)).collect();
                if hosts.iter().all(Option::is_some) {
                    m.hosts.extend(hosts.into_iter().flatten());
                } else {
                    // Wildcards the Ingress cannot hold: the whole condition goes to the
                    // annotation, which the controller ORs with the (now empty) spec hosts.
                    m.conditions.push(json!({
                        "field": "host-header",
                        "hostHeaderConfig": { "values": values },
                    }));
                }
            }
            "path-pattern" => {
                let (paths, dropped) = path_types(&values);
                m.paths.extend(paths);
                m.dropped_paths.extend(dropped);
            }
            "http-header" => {
                let name = c
                    .http_header_config
                    .as_ref()
                    .and_then(|h| h.http_header_name.clone())
                    .unwrap_or_default();
                m.conditions.push(json!({
                    "field": "http-header",
                    "httpHeaderConfig": { "httpHeaderName": name, "values": values },
                }));
            }
            "query-string" => {
                let pairs: Vec<Value> = c
                    .query_string_config
                    .iter()
                    .flat_map(|q| &q.values)
                    .map(|kv| {
                        let mut o = serde_json::Map::new();
                        if let Some(k) = &kv.key {
                            o.insert("key".into(), json!(k));
                        }
                        o.insert("value".into(), json!(kv.value.clone().unwrap_or_default()));
                        Value::Object(o)
                    })
                    .collect();
                m.conditions.push(json!({
                    "field": "query-string",
                    "queryStringConfig": { "values": pairs },
                }));
            }
            "http-request-method" => m.conditions.push(json!({
                "field": "http-request-method",
                "httpRequestMethodConfig": { "values": values },
            })),
            "source-ip" => m.conditions.push(json!({
                "field": "source-ip",
                "sourceIpConfig": { "values": values },
            })),
            _ => {}
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::super::sourced;
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn path_pattern_to_path_type_table() {
        type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)]);
        let cases: &[Case] = &[
            (&["/checkout", "/checkout/*"], &[("/checkout", "Prefix")]),
            (&["/checkout/*", "/checkout"], &[("/checkout", "Prefix")]),
            (&["/*"], &[("/", "Prefix")]),
            (&["/api"], &[("/api", "Exact")]),
            (&["/"], &[("/", "Exact")]),
            (&["/api/*"], &[("/api/*", "ImplementationSpecific")]),
            (&["/img/*.png"], &[("/img/*.png", "ImplementationSpecific")]),
            (&["/v?/users"], &[("/v?/users", "ImplementationSpecific")]),
            (
                &["/a/", "/a/*"],
                &[("/a/", "Exact"), ("/a/*", "ImplementationSpecific")],
            ),
            (&["*.jpg"], &[("/*.jpg", "ImplementationSpecific")]),
            (&["/a", "/b", "/b/*"], &[("/a", "Exact"), ("/b", "Prefix")]),
        ];
        for (input, want) in cases {
            let (got, dropped) = path_types(&s(input));
            let want: Vec<(String, &str)> = want.iter().map(|(p, t)| (p.to_string(), *t)).collect();
            assert_eq!(got, want, "{input:?}");
            assert!(dropped.is_empty());
        }
        let (got, dropped) = path_types(&s(&["img", "/x"]));
        assert_eq!(got, vec![("/x".to_string(), "Exact")]);
        assert_eq!(dropped, ["img"]);
    }

    fn cond(json: &str) -> Condition {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn conditions_become_hosts_paths_and_annotation_conditions() {
        let m = match_of(&[
            cond(r#"{"Field":"host-header","Values":["Shop.Example.com"]}"#),
            cond(r#"{"Field":"path-pattern","PathPatternConfig":{"Values":["/api/cart/*"]}}"#),
            cond(
                r#"{"Field":"http-header","HttpHeaderConfig":{"HttpHeaderName":"X-Beta","Values":["on"]}}"#,
            ),
            cond(
                r#"{"Field":"query-string","QueryStringConfig":{"Values":[{"Key":"v","Value":"2"},{"Value":"x"}]}}"#,
            ),
            cond(
                r#"{"Field":"http-request-method","HttpRequestMethodConfig":{"Values":["GET","HEAD"]}}"#,
            ),
            cond(r#"{"Field":"source-ip","SourceIpConfig":{"Values":["10.0.0.0/8"]}}"#),
        ]);
        assert_eq!(m.hosts, ["shop.example.com"]);
        assert_eq!(
            m.paths,
            vec![("/api/cart/*".to_string(), "ImplementationSpecific")]
        );
        assert_eq!(
            Value::Array(m.conditions).to_string(),
            r#"[{"field":"http-header","httpHeaderConfig":{"httpHeaderName":"X-Beta","values":["on"]}},{"field":"query-string","queryStringConfig":{"values":[{"key":"v","value":"2"},{"value":"x"}]}},{"field":"http-request-method","httpRequestMethodConfig":{"values":["GET","HEAD"]}},{"field":"source-ip","sourceIpConfig":{"values":["10.0.0.0/8"]}}]"#
        );
    }

    #[test]
    fn hosts_the_ingress_cannot_hold_go_to_the_conditions() {
        let m = match_of(&[cond(
            r#"{"Field":"host-header","HostHeaderConfig":{"Values":["*.example.com","shop-?.example.com"]}}"#,
        )]);
        assert!(m.hosts.is_empty());
        assert_eq!(
            m.conditions[0]["hostHeaderConfig"]["values"][1],
            "shop-?.example.com"
        );
        let m = match_of(&[cond(
            r#"{"Field":"host-header","Values":["*.example.com"]}"#,
        )]);
        assert_eq!(m.hosts, ["*.example.com"]);
    }

    #[test]
    fn only_attributes_that_differ_from_the_aws_defaults_are_carried() {
        let attrs: std::collections::BTreeMap<String, String> = [
            ("idle_timeout.timeout_seconds", "120"),
            ("routing.http2.enabled", "true"),
            ("access_logs.s3.bucket", ""),
            ("deletion_protection.enabled", "true"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(
            pairs(&attrs, &[ALB_DEFAULTS]).unwrap(),
            "deletion_protection.enabled=true,idle_timeout.timeout_seconds=120"
        );
        let defaults: std::collections::BTreeMap<String, String> = [(
            "deregistration_delay.timeout_seconds".to_string(),
            "300".to_string(),
        )]
        .into();
        assert_eq!(pairs(&defaults, &[TARGET_GROUP_HEALTH_DEFAULTS]), None);
    }

    #[test]
    fn http_to_https_redirect_is_ssl_redirect() {
        let inputs = Inputs::default();
        let redirect = sourced(
            "listeners.json",
            "Listeners[0]",
            r##"{"ListenerArn":"l80","Protocol":"HTTP","Port":80,"DefaultActions":[{"Type":"redirect",
                "RedirectConfig":{"Protocol":"HTTPS","Port":"443","Host":"#{host}","Path":"/#{path}","Query":"#{query}","StatusCode":"HTTP_301"}}]}"##,
        );
        assert_eq!(ssl_redirect(&listener_rules(&inputs, &redirect)), Some(443));
        let other = sourced(
            "listeners.json",
            "Listeners[0]",
            r#"{"ListenerArn":"l80","Protocol":"HTTP","Port":80,"DefaultActions":[{"Type":"redirect",
                "RedirectConfig":{"Protocol":"HTTPS","Host":"www.example.com"}}]}"#,
        );
        assert_eq!(ssl_redirect(&listener_rules(&inputs, &other)), None);
    }
}
