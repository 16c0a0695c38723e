//! Load balancing, end to end: for each sample, every listener rule that forwards to a service's
//! target group is reproduced by an Ingress path (or an NLB Service port, or a
//! TargetGroupBinding) that reaches the service's pods on the container port, with the target
//! group's health check.
//!
//! The ELBv2 and ECS inputs are read here on their own (plain JSON), not through the converter's
//! model, and Ingress paths are expanded back into ALB path patterns the way the AWS Load
//! Balancer Controller writes them, so the test checks the routing, not the code.

use crate::common::{Made, workloads};
use ecs2eks::Converted;
use ecs2eks::mappings::Mappings;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Everything ELB-related the inputs of a sample hold.
#[derive(Default)]
struct Elb {
    services: Vec<Value>,
    load_balancers: Vec<Value>,
    listeners: Vec<Value>,
    /// `(listener ARN, rule)`.
    rules: Vec<(String, Value)>,
    target_groups: Vec<Value>,
}

fn read_elb(dir: &Path) -> Elb {
    let mut elb = Elb::default();
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for f in files {
        let v: Value = serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let list = |k: &str| v[k].as_array().cloned().unwrap_or_default();
        elb.services.extend(list("services"));
        if v["service"].is_object() {
            elb.services.push(v["service"].clone());
        }
        elb.load_balancers.extend(list("LoadBalancers"));
        elb.listeners.extend(list("Listeners"));
        elb.target_groups.extend(list("TargetGroups"));
        for r in list("Rules") {
            let arn = r["RuleArn"].as_str().unwrap();
            let (head, _) = arn.rsplit_once('/').unwrap();
            elb.rules
                .push((head.replace(":listener-rule/", ":listener/"), r.clone()));
        }
    }
    elb
}

fn convert(dir: &str, mappings: &Mappings) -> Converted {
    ecs2eks::convert(&[PathBuf::from(dir)], mappings, None).unwrap()
}

fn objects(w: Made<'_>, kind: &str) -> Vec<Value> {
    w.objects
        .iter()
        .filter(|o| o.kind == kind)
        .map(|o| o.to_json())
        .collect()
}

fn annotation<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o["metadata"]["annotations"][format!("alb.ingress.kubernetes.io/{key}")].as_str()
}

/// The shared object of `kind` named `name` in environment `env`.
fn shared(c: &Converted, env: &str, kind: &str, name: &str) -> Option<Value> {
    c.conversion
        .ingress_classes
        .iter()
        .find(|s| s.environment == env && s.object.kind == kind && s.object.metadata.name == name)
        .map(|s| s.object.to_json())
}

/// The spec of the IngressClassParams the class of Ingress `ing` (of a workload in `env`)
/// points to.
fn params_of(c: &Converted, env: &str, ing: &Value) -> Value {
    let class = ing["spec"]["ingressClassName"].as_str().unwrap();
    let class = shared(c, env, "IngressClass", class)
        .unwrap_or_else(|| panic!("no IngressClass {class} in {env}"));
    let parameters = &class["spec"]["parameters"];
    assert_eq!(
        (&parameters["apiGroup"], &parameters["kind"]),
        (&json!("elbv2.k8s.aws"), &json!("IngressClassParams"))
    );
    let name = parameters["name"].as_str().unwrap();
    shared(c, env, "IngressClassParams", name)
        .unwrap_or_else(|| panic!("no IngressClassParams {name} in {env}"))["spec"]
        .clone()
}

/// A label selector (`matchLabels`, `matchExpressions`) against a set of labels.
fn selects(selector: &Value, labels: &Value) -> bool {
    let label = |k: &str| labels.get(k).and_then(Value::as_str);
    let by_value = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| label(k) == v.as_str());
    let by_expression = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let value = label(e["key"].as_str().unwrap());
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match e["operator"].as_str().unwrap() {
                "In" => value.is_some_and(|v| values.contains(&v)),
                "NotIn" => value.is_none_or(|v| !values.contains(&v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                other => panic!("operator {other}"),
            }
        });
    by_value && by_expression
}

fn str_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The rules of a listener; its default action when describe-rules was not given for it.
fn listener_rules(elb: &Elb, listener: &Value) -> Vec<Value> {
    let arn = listener["ListenerArn"].as_str().unwrap();
    let mut rules: Vec<Value> = elb
        .rules
        .iter()
        .filter(|(l, _)| l == arn)
        .map(|(_, r)| r.clone())
        .collect();
    if !rules.iter().any(|r| r["Priority"] == "default") {
        rules.push(json!({
            "Priority": "default",
            "Conditions": [],
            "Actions": listener["DefaultActions"],
            "IsDefault": true,
        }));
    }
    rules
}

/// `(target group ARN, weight)` of a rule's forward action.
fn forwards(rule: &Value) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for a in rule["Actions"].as_array().into_iter().flatten() {
        if a["Type"] != "forward" {
            continue;
        }
        if let Some(tgs) = a["ForwardConfig"]["TargetGroups"].as_array() {
            for t in tgs {
                out.push((
                    t["TargetGroupArn"].as_str().unwrap().to_string(),
                    t["Weight"].as_i64().unwrap_or(1),
                ));
            }
        } else if let Some(arn) = a["TargetGroupArn"].as_str() {
            out.push((arn.to_string(), 1));
        }
    }
    out
}

/// A condition's values, from the `*Config` block or the legacy `Values`.
fn condition_values(c: &Value, config: &str) -> Vec<String> {
    let from = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let configured = from(&c[config]["Values"]);
    if configured.is_empty() {
        from(&c["Values"])
    } else {
        configured
    }
}

/// An Ingress path → the ALB path patterns the controller makes of it.
fn patterns(path: &str, path_type: &str) -> Vec<String> {
    match path_type {
        "Exact" | "ImplementationSpecific" => vec![path.to_string()],
        "Prefix" if path == "/" => vec!["/*".to_string()],
        "Prefix" => {
            let p = path.trim_end_matches('/');
            vec![p.to_string(), format!("{p}/*")]
        }
        other => panic!("unknown pathType {other}"),
    }
}

/// True when backend `b` (an Ingress backend) sends traffic to Service `svc` port `port`,
/// directly or through a forward action annotation of Ingress `ing`.
fn backend_reaches(ing: &Value, b: &Value, svc: &str, port: i64) -> bool {
    let name = b["service"]["name"].as_str().unwrap_or("");
    if b["service"]["port"]["name"] == "use-annotation" {
        let Some(action) = annotation(ing, &format!("actions.{name}")) else {
            return false;
        };
        let action: Value = serde_json::from_str(action).unwrap();
        return action["forwardConfig"]["targetGroups"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|t| t["serviceName"] == svc && str_of(&t["servicePort"]) == port.to_string());
    }
    name == svc && b["service"]["port"]["number"] == port
}

/// The name of backend `b`: the key of its `conditions.*` annotation.
fn backend_name(b: &Value) -> &str {
    b["service"]["name"].as_str().unwrap_or("")
}

/// Checks that Service `svc` port `port` reaches container `container` on `container_port`,
/// and that the container's readiness probe is the target group's health check.
fn assert_reaches_pods(
    w: Made<'_>,
    svc: &str,
    port: i64,
    container: &str,
    container_port: i64,
    tg: &Value,
) {
    let services = objects(w, "Service");
    let service = services
        .iter()
        .find(|s| s["metadata"]["name"] == svc)
        .unwrap_or_else(|| panic!("{}: no Service {svc}", w.app));
    let deployment = &objects(w, "Deployment")[0];
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    for (k, v) in service["spec"]["selector"].as_object().unwrap() {
        assert_eq!(
            &labels[k], v,
            "{}: selector {k} does not select the pods",
            w.app
        );
    }
    let sp = service["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["port"] == port)
        .unwrap_or_else(|| panic!("{}: Service {svc} has no port {port}", w.app));
    let c = deployment["spec"]["template"]["spec"]["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == container)
        .unwrap_or_else(|| panic!("{}: no container {container}", w.app));
    let cp = c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == sp["targetPort"] || p["containerPort"] == sp["targetPort"])
        .unwrap_or_else(|| {
            panic!(
                "{}: targetPort {} is no container port",
                w.app, sp["targetPort"]
            )
        });
    assert_eq!(cp["containerPort"], container_port, "{}", w.app);
    // Readiness follows the target group's health check.
    let probe = &c["readinessProbe"];
    let hc_port = match tg["HealthCheckPort"].as_str() {
        None | Some("traffic-port") => container_port,
        Some(p) => p.parse().unwrap(),
    };
    match tg["HealthCheckProtocol"].as_str().unwrap_or("HTTP") {
        "HTTP" | "HTTPS" => {
            assert_eq!(probe["httpGet"]["path"], tg["HealthCheckPath"], "{}", w.app);
            assert_eq!(probe["httpGet"]["port"], hc_port, "{}", w.app);
        }
        _ => assert_eq!(probe["tcpSocket"]["port"], hc_port, "{}", w.app),
    }
    assert_eq!(
        probe["periodSeconds"], tg["HealthCheckIntervalSeconds"],
        "{}",
        w.app
    );
    assert_eq!(
        probe["timeoutSeconds"], tg["HealthCheckTimeoutSeconds"],
        "{}",
        w.app
    );
    // The readiness gate waits for the healthy threshold; the probe needs one success.
    assert_eq!(probe["successThreshold"], 1, "{}", w.app);
    assert_eq!(
        probe["failureThreshold"], tg["UnhealthyThresholdCount"],
        "{}",
        w.app
    );
    let ns = objects(w, "Namespace");
    assert_eq!(
        ns[0]["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"], "enabled",
        "{}",
        w.app
    );
}

/// The Ingress that reproduces `rule` of `listener` for Service `svc` port `port`, if any.
fn find_ingress<'a>(
    ingresses: &'a [Value],
    rule: &Value,
    listener: &Value,
    svc: &str,
    port: i64,
    renumbered: bool,
) -> Option<&'a Value> {
    let protocol = listener["Protocol"].as_str().unwrap();
    let lport = listener["Port"].as_i64().unwrap();
    let priority = str_of(&rule["Priority"]);
    ingresses.iter().find(|ing| {
        let listen: Value =
            serde_json::from_str(annotation(ing, "listen-ports").unwrap_or("[]")).unwrap();
        if !listen
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l[protocol] == lport)
        {
            return false;
        }
        if priority == "default" {
            return ing["spec"]["defaultBackend"].is_object()
                && backend_reaches(ing, &ing["spec"]["defaultBackend"], svc, port);
        }
        if !renumbered && annotation(ing, "group.order") != Some(priority.as_str()) {
            return false;
        }
        let rules = ing["spec"]["rules"].as_array().cloned().unwrap_or_default();
        let mut hosts = BTreeSet::new();
        let mut paths = BTreeSet::new();
        let mut names = BTreeSet::new();
        for r in &rules {
            if let Some(h) = r["host"].as_str() {
                hosts.insert(h.to_string());
            }
            for p in r["http"]["paths"].as_array().into_iter().flatten() {
                if !backend_reaches(ing, &p["backend"], svc, port) {
                    return false;
                }
                names.insert(backend_name(&p["backend"]).to_string());
                paths.extend(patterns(
                    p["path"].as_str().unwrap(),
                    p["pathType"].as_str().unwrap(),
                ));
            }
        }
        if names.len() != 1 {
            return false;
        }
        let name = names.into_iter().next().unwrap();
        let extra: Vec<Value> = annotation(ing, &format!("conditions.{name}"))
            .map(|c| {
                serde_json::from_str::<Value>(c)
                    .unwrap()
                    .as_array()
                    .unwrap()
                    .clone()
            })
            .unwrap_or_default();
        let mut want_paths = BTreeSet::from(["/*".to_string()]);
        for c in rule["Conditions"].as_array().unwrap() {
            match c["Field"].as_str().unwrap() {
                "host-header" => {
                    let want: BTreeSet<String> = condition_values(c, "HostHeaderConfig")
                        .iter()
                        .map(|h| h.to_lowercase())
                        .collect();
                    let in_annotation = extra.iter().any(|e| {
                        e["field"] == "host-header"
                            && e["hostHeaderConfig"]["values"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .map(|v| v.as_str().unwrap().to_lowercase())
                                .collect::<BTreeSet<_>>()
                                == want
                    });
                    if hosts != want && !(hosts.is_empty() && in_annotation) {
                        return false;
                    }
                }
                "path-pattern" => {
                    want_paths = condition_values(c, "PathPatternConfig")
                        .iter()
                        .map(|p| {
                            if p.starts_with('/') {
                                p.clone()
                            } else if let Some(rest) = p.strip_prefix('?') {
                                format!("/{rest}")
                            } else {
                                format!("/{p}")
                            }
                        })
                        .collect();
                }
                field => {
                    if !extra.iter().any(|e| e["field"] == field) {
                        return false;
                    }
                }
            }
        }
        paths == want_paths
    })
}

/// The check of the module doc, over one sample converted with `mappings`.
fn assert_rules_reproduced(dir: &str, mappings: &Mappings) -> usize {
    let conversion = convert(dir, mappings);
    let elb = read_elb(Path::new(dir));
    let mut checked = 0;
    for s in &elb.services {
        let name = s["serviceName"].as_str().unwrap();
        let w = workloads(&conversion)
            .find(|w| w.app == name)
            .unwrap_or_else(|| panic!("no workload {name}"));
        for entry in s["loadBalancers"].as_array().into_iter().flatten() {
            let Some(tg_arn) = entry["targetGroupArn"].as_str() else {
                assert!(
                    w.findings.iter().any(|f| f.code.as_str() == "E2K309"),
                    "{name}"
                );
                continue;
            };
            let port = entry["containerPort"].as_i64().unwrap();
            let container = entry["containerName"].as_str().unwrap();
            let Some(tg) = elb
                .target_groups
                .iter()
                .find(|t| t["TargetGroupArn"] == tg_arn)
            else {
                assert!(
                    w.findings.iter().any(|f| f.code.as_str() == "E2K500"),
                    "{name}"
                );
                assert!(objects(w, "Ingress").is_empty(), "{name}");
                continue;
            };
            let svc = name;
            assert_reaches_pods(w, svc, port, container, port, tg);
            if mappings.load_balancing.mode_of(name)
                == ecs2eks::mappings::LoadBalancingMode::TargetGroupBinding
            {
                let tgbs = objects(w, "TargetGroupBinding");
                let b = tgbs
                    .iter()
                    .find(|b| b["spec"]["targetGroupARN"] == tg_arn)
                    .unwrap_or_else(|| panic!("{name}: no TargetGroupBinding"));
                assert_eq!(
                    b["spec"]["serviceRef"],
                    json!({ "name": svc, "port": port })
                );
                assert_eq!(b["spec"]["targetType"], tg["TargetType"]);
                assert_eq!(b["spec"]["multiClusterTargetGroup"], true);
                assert!(objects(w, "Ingress").is_empty(), "{name}");
                checked += 1;
                continue;
            }
            for lb_arn in tg["LoadBalancerArns"].as_array().unwrap() {
                let lb = elb
                    .load_balancers
                    .iter()
                    .find(|l| &l["LoadBalancerArn"] == lb_arn)
                    .unwrap();
                let listeners: Vec<&Value> = elb
                    .listeners
                    .iter()
                    .filter(|l| &l["LoadBalancerArn"] == lb_arn)
                    .collect();
                if lb["Type"] == "network" {
                    let services = objects(w, "Service");
                    let nlb = services
                        .iter()
                        .find(|s| s["spec"]["type"] == "LoadBalancer")
                        .unwrap_or_else(|| panic!("{name}: no NLB Service"));
                    assert_eq!(nlb["spec"]["loadBalancerClass"], "service.k8s.aws/nlb");
                    for l in listeners {
                        let acts = json!({ "Actions": l["DefaultActions"] });
                        if !forwards(&acts).iter().any(|(a, _)| a == tg_arn) {
                            continue;
                        }
                        assert!(
                            nlb["spec"]["ports"]
                                .as_array()
                                .unwrap()
                                .iter()
                                .any(|p| { p["port"] == l["Port"] && p["targetPort"] == port }),
                            "{name}: listener {} not carried",
                            l["Port"]
                        );
                        let a = &nlb["metadata"]["annotations"];
                        assert_eq!(
                            a["service.beta.kubernetes.io/aws-load-balancer-healthcheck-interval"],
                            str_of(&tg["HealthCheckIntervalSeconds"])
                        );
                        checked += 1;
                    }
                    continue;
                }
                let ingresses = objects(w, "Ingress");
                let mut prios: Vec<i64> = Vec::new();
                for l in &listeners {
                    for r in listener_rules(&elb, l) {
                        if let Ok(p) = str_of(&r["Priority"]).parse::<i64>() {
                            prios.push(p);
                        }
                    }
                }
                let renumbered = prios.iter().any(|p| *p > 1000);
                for l in listeners {
                    for rule in listener_rules(&elb, l) {
                        let fw = forwards(&rule);
                        let Some(max) = fw.iter().map(|(_, w)| *w).max() else {
                            continue;
                        };
                        let carrier = fw.iter().find(|(_, w)| *w == max).map(|(a, _)| a.as_str());
                        if !fw.iter().any(|(a, _)| a == tg_arn) || carrier != Some(tg_arn) {
                            continue;
                        }
                        let ing = find_ingress(&ingresses, &rule, l, svc, port, renumbered)
                            .unwrap_or_else(|| {
                                panic!(
                                    "{dir}: rule {} of listener {} forwarding to {name} has no Ingress",
                                    rule["Priority"], l["Port"]
                                )
                            });
                        // The target group's health check, on the controller's side too.
                        if let Some(path) = tg["HealthCheckPath"].as_str() {
                            assert_eq!(annotation(ing, "healthcheck-path"), Some(path));
                        }
                        assert_eq!(
                            annotation(ing, "success-codes"),
                            tg["Matcher"]["HttpCode"].as_str()
                        );
                        assert_eq!(
                            annotation(ing, "healthcheck-interval-seconds"),
                            Some(str_of(&tg["HealthCheckIntervalSeconds"]).as_str())
                        );
                        let params = params_of(&conversion, &w.environment, ing);
                        assert_eq!(params["group"]["name"], lb["LoadBalancerName"]);
                        assert_eq!(params["scheme"], lb["Scheme"]);
                        assert_eq!(annotation(ing, "group.name"), None);
                        checked += 1;
                    }
                }
            }
        }
    }
    checked
}

const SAMPLE: &str = "samples/load-balancers";
const EDGE: &str = "tests/fixtures/load-balancers-edge";

fn sample_mappings() -> Mappings {
    let path = format!("{SAMPLE}/mappings.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    Mappings::load(Some((&path, &text))).unwrap()
}

#[test]
fn every_forwarding_rule_of_the_sample_is_reproduced_in_ingress_mode() {
    // checkout 10 and 15, storefront 20, mqtt-broker's NLB listener, admin's default action.
    assert_eq!(assert_rules_reproduced(SAMPLE, &Mappings::defaults()), 5);
}

#[test]
fn every_forwarding_rule_of_the_sample_is_reproduced_with_a_target_group_binding() {
    let m = sample_mappings();
    assert_eq!(assert_rules_reproduced(SAMPLE, &m), 5);
    let conversion = convert(SAMPLE, &m);
    let report = ecs2eks::export::report::markdown(&conversion.conversion);
    assert!(
        report.contains("### Cutover (TargetGroupBinding)"),
        "{report}"
    );
    assert!(
        report.contains("--service admin --desired-count 0"),
        "{report}"
    );
}

#[test]
fn every_forwarding_rule_of_the_edge_cases_is_reproduced() {
    // api: the weighted rule 5 and rule 2000 (renumbered); legacy and orphan: findings.
    assert_eq!(assert_rules_reproduced(EDGE, &Mappings::defaults()), 2);
}

#[test]
fn shared_alb_is_one_ingress_group_across_namespaces() {
    let conversion = convert(SAMPLE, &Mappings::defaults());
    let group = |w: Made<'_>, i: &Value| {
        params_of(&conversion, &w.environment, i)["group"]["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let groups: BTreeSet<(String, String)> = workloads(&conversion)
        .flat_map(|w| {
            objects(w, "Ingress")
                .into_iter()
                .map(move |i| (w.namespace.clone(), group(w, &i)))
        })
        .collect();
    assert!(groups.contains(&("storefront-default".into(), "shop-public-alb".into())));
    assert!(groups.contains(&("checkout-default".into(), "shop-public-alb".into())));
    // The listener's default 404 is carried once, by one service of the group.
    let defaults: usize = workloads(&conversion)
        .flat_map(|w| objects(w, "Ingress"))
        .filter(|i| {
            i["spec"]["ingressClassName"] == "shop-public-alb"
                && i["spec"]["defaultBackend"].is_object()
        })
        .count();
    assert_eq!(defaults, 1);
}

/// Issue 18: every IngressGroup of the samples is fenced. Each Ingress's class points at
/// IngressClassParams that name its group, and whose `namespaceSelector` selects its Namespace
/// and no Namespace of an app without rules on that ALB, in any environment of the cluster. The
/// ALB's own settings are stated there once, not on the Ingresses.
#[test]
fn every_ingress_group_of_the_samples_is_fenced_to_its_apps_namespaces() {
    let mut fenced = 0;
    for sample in crate::common::sample_dirs() {
        let (c, _, _) = crate::common::convert_sample(&sample);
        let namespaces: Vec<(String, Value)> = workloads(&c)
            .flat_map(|w| objects(w, "Namespace"))
            .map(|n| {
                (
                    str_of(&n["metadata"]["name"]),
                    n["metadata"]["labels"].clone(),
                )
            })
            .collect();
        // Per class (environment, name): the namespaces whose Ingresses use it.
        let mut members: std::collections::BTreeMap<(String, String), BTreeSet<String>> =
            Default::default();
        for w in workloads(&c) {
            for ing in objects(w, "Ingress") {
                let class = str_of(&ing["spec"]["ingressClassName"]);
                assert_ne!(class, "alb", "{sample}: {} joins the open class", w.app);
                for key in [
                    "group.name",
                    "scheme",
                    "ip-address-type",
                    "load-balancer-attributes",
                ] {
                    assert_eq!(annotation(&ing, key), None, "{sample}: {key} on an Ingress");
                }
                let params = params_of(&c, &w.environment, &ing);
                assert!(
                    params["group"]["name"].is_string(),
                    "{sample}: {class} names no group"
                );
                members
                    .entry((w.environment.clone(), class))
                    .or_default()
                    .insert(w.namespace.clone());
            }
        }
        for ((env, class), users) in &members {
            let class_object = shared(&c, env, "IngressClass", class).unwrap();
            let params = shared(
                &c,
                env,
                "IngressClassParams",
                class_object["spec"]["parameters"]["name"].as_str().unwrap(),
            )
            .unwrap();
            let selector = &params["spec"]["namespaceSelector"];
            assert!(
                selector.as_object().is_some_and(|s| !s.is_empty()),
                "{sample}: {class} admits every namespace"
            );
            let selected: BTreeSet<String> = namespaces
                .iter()
                .filter(|(_, labels)| selects(selector, labels))
                .map(|(n, _)| n.clone())
                .collect();
            assert_eq!(&selected, users, "{sample}: who may join {class} ({env})");
            fenced += 1;
        }
    }
    // load-balancers: shop-public-alb; batch: one group per environment.
    assert!(fenced >= 4, "only {fenced} IngressGroups");
}

#[test]
fn https_listener_annotations_and_ssl_redirect() {
    let conversion = convert(SAMPLE, &Mappings::defaults());
    let w = workloads(&conversion)
        .find(|w| w.app == "storefront")
        .unwrap();
    let ing = &objects(w, "Ingress")[0];
    assert_eq!(
        annotation(ing, "listen-ports"),
        Some(r#"[{"HTTP":80},{"HTTPS":443}]"#)
    );
    assert_eq!(annotation(ing, "ssl-redirect"), Some("443"));
    assert_eq!(
        annotation(ing, "ssl-policy"),
        Some("ELBSecurityPolicy-TLS13-1-2-2021-06")
    );
    assert!(
        annotation(ing, "certificate-arn")
            .unwrap()
            .starts_with("arn:aws:acm:")
    );
    assert_eq!(annotation(ing, "target-type"), Some("ip"));
    // awsvpc: ip targets, the Service stays ClusterIP.
    let svc = &objects(w, "Service")[0];
    assert_eq!(svc["spec"]["type"], "ClusterIP");
}

#[test]
fn edge_cases_instance_targets_weights_redirects_and_findings() {
    let conversion = convert(EDGE, &Mappings::defaults());
    let api = workloads(&conversion).find(|w| w.app == "api").unwrap();
    // bridge networking: instance targets behind a NodePort Service.
    assert_eq!(objects(api, "Service")[0]["spec"]["type"], "NodePort");
    let ingresses = objects(api, "Ingress");
    assert!(
        ingresses
            .iter()
            .all(|i| annotation(i, "target-type").is_none_or(|t| t == "instance"))
    );
    // A health check port other than the traffic port is named: the controller maps it to
    // the NodePort.
    assert!(
        ingresses
            .iter()
            .all(|i| annotation(i, "healthcheck-port").is_none_or(|p| p == "tcp-8443"))
    );
    let weighted = ingresses
        .iter()
        .find_map(|i| annotation(i, "actions.api-weighted"))
        .unwrap();
    let weighted: Value = serde_json::from_str(weighted).unwrap();
    assert_eq!(weighted["forwardConfig"]["targetGroups"][1]["weight"], 20);
    assert_eq!(
        weighted["forwardConfig"]["targetGroupStickinessConfig"]["durationSeconds"],
        300
    );
    assert!(ingresses.iter().any(|i| {
        annotation(i, "actions.redirect-80-6").is_some_and(|a| a.contains("new.example.com"))
    }));
    // Priorities 5, 6, 2000 → ranks 1, 2, 3.
    let orders: BTreeSet<&str> = ingresses
        .iter()
        .filter_map(|i| annotation(i, "group.order"))
        .collect();
    assert_eq!(orders, BTreeSet::from(["1", "2", "3"]));
    for i in &ingresses {
        if let Some(o) = annotation(i, "group.order") {
            assert!((-1000..=1000).contains(&o.parse::<i64>().unwrap()));
        }
    }
    let attrs = ingresses
        .iter()
        .find_map(|i| annotation(i, "target-group-attributes"))
        .unwrap();
    assert_eq!(attrs, "deregistration_delay.timeout_seconds=30");
    let codes: BTreeSet<&str> = api.findings.iter().map(|f| f.code.as_str()).collect();
    for code in ["E2K505", "E2K508", "E2K509"] {
        assert!(codes.contains(code), "{code} missing: {codes:?}");
    }
    let legacy = workloads(&conversion).find(|w| w.app == "legacy").unwrap();
    assert!(legacy.findings.iter().any(|f| f.code.as_str() == "E2K309"
        && f.field == "services[1].loadBalancers[0].loadBalancerName"));
    let orphan = workloads(&conversion).find(|w| w.app == "orphan").unwrap();
    assert!(orphan.findings.iter().any(|f| f.code.as_str() == "E2K500"));
    assert!(
        objects(orphan, "Namespace")[0]["metadata"]["labels"]
            .get("elbv2.k8s.aws/pod-readiness-gate-inject")
            .is_none()
    );
}

#[test]
fn missing_elb_data_is_a_finding_not_a_crash() {
    // Only the ECS side and the target groups: no load balancer, listeners or rules.
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "describe-services.json",
        "describe-task-definition-storefront.json",
        "describe-task-definition-checkout.json",
        "describe-task-definition-mqtt-broker.json",
        "describe-task-definition-admin.json",
        "elbv2-describe-target-groups.json",
    ] {
        std::fs::copy(format!("{SAMPLE}/{f}"), dir.path().join(f)).unwrap();
    }
    let conversion =
        ecs2eks::convert(&[dir.path().to_path_buf()], &Mappings::defaults(), None).unwrap();
    assert!(conversion.conversion.errors.is_empty());
    for w in workloads(&conversion) {
        assert!(!w.failed(), "{}", w.app);
        assert!(objects(w, "Ingress").is_empty());
        assert!(
            w.findings.iter().any(|f| f.code.as_str() == "E2K501"),
            "{}",
            w.app
        );
        // The health check is known: the readiness probe is there anyway.
        let d = &objects(w, "Deployment")[0];
        assert!(d["spec"]["template"]["spec"]["containers"][0]["readinessProbe"].is_object());
    }
}

/// `loadBalancing.ingressClass` names an existing class: the opt-out of the fence. Every Ingress
/// uses it and names its group and the ALB's settings by annotation; no class is written.
#[test]
fn a_shared_ingress_class_is_the_opt_out_of_the_fence() {
    let m = Mappings::load(Some(("m.yaml", "loadBalancing:\n  ingressClass: alb\n"))).unwrap();
    let conversion = convert(SAMPLE, &m);
    assert!(conversion.conversion.ingress_classes.is_empty());
    let w = workloads(&conversion)
        .find(|w| w.app == "storefront")
        .unwrap();
    let ing = &objects(w, "Ingress")[0];
    assert_eq!(ing["spec"]["ingressClassName"], "alb");
    assert_eq!(annotation(ing, "group.name"), Some("shop-public-alb"));
    assert_eq!(annotation(ing, "scheme"), Some("internet-facing"));
    assert_eq!(
        annotation(ing, "load-balancer-attributes"),
        Some("deletion_protection.enabled=true,idle_timeout.timeout_seconds=120")
    );
    assert_eq!(
        annotation(ing, "tags"),
        Some("cost-center=web-storefront,team=shop")
    );
    let ns = &objects(w, "Namespace")[0];
    assert!(
        !ns["metadata"]["labels"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with("ingress-group.ecs2eks.io/"))
    );
}
