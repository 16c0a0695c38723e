//! The workload: assembles containers, pod, Deployment, Service, ServiceAccount and Namespace
//! from the concept modules, in the order each needs the others.

use super::{Context, Runs};
use super::{
    autoscaling, containers, dependencies, disruption, iam, ingress, logging, network, placement,
    probes, resources, rollout, schedules, secrets, volumes,
};
use crate::diagnostics::Findings;
use crate::model::ecs::{Service, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::{Map, Object, ObjectMeta, PodSpec, PodTemplate, TemplateMeta};
use crate::model::names::{self, NameContext};
use crate::model::read::Sourced;
use crate::model::target::iam::RoleBinding;
use serde_json::json;

/// `(namespace, objects, the IAM role its pods get)` of one workload, or the message of a name template that failed.
pub fn build(
    td: &Sourced<TaskDefinition>,
    service: Option<&Sourced<Service>>,
    // The task definition's scheduled runs, which become jobs here (only in one of its
    // workloads: empty in the others).
    runs: &Runs<'_>,
    others: &Context<'_>,
    ctx: &NameContext<'_>,
    findings: &mut Findings,
) -> Result<(String, Vec<Object>, Option<RoleBinding>), String> {
    let (inputs, mappings) = (others.inputs, others.mappings);
    let namespace = names::render(&mappings.names.namespace, ctx)?;
    let service_account = names::render(&mappings.names.service_account, ctx)?;
    let t = &td.value;
    let tp = td.path.as_str();
    let svc = service.map(|s| (&s.value, s.path.as_str()));

    // Nothing dropped silently: the importer checked every field against the ECS field lists.
    if let Some(s) = service {
        s.findings.iter().cloned().for_each(|f| findings.add(f));
    }
    findings.input = td.input.clone();
    td.findings.iter().cloned().for_each(|f| findings.add(f));
    // Scheduled runs of this task definition; run only by schedules, it becomes jobs.
    let job_only = service.is_none() && !runs.is_empty();
    if service.is_none() && runs.is_empty() {
        findings.push(
            crate::diagnostics::Code::TaskDefinitionAlone,
            join(tp, "family"),
            format!("task definition {} was given without a service", ctx.family),
        );
    }

    let selector: Map = [(
        "app.kubernetes.io/name".to_string(),
        ctx.service.to_string(),
    )]
    .into();
    let mut labels = mappings.labels.clone();
    labels.extend(selector.clone());
    let meta = |name: &str| ObjectMeta {
        name: name.to_string(),
        namespace: Some(namespace.clone()),
        labels: labels.clone(),
        ..ObjectMeta::default()
    };

    let windows = placement::is_windows(t);
    let network_mode = t.network_mode.as_deref().unwrap_or("");
    let container_names = containers::container_names(t);
    let mut used_port_names = Vec::new();
    let mut app_protocols = Vec::new();
    let mut built = Vec::new();
    for (i, c) in t.container_definitions.iter().enumerate() {
        let at = containers::path(tp, i);
        let mut k = containers::container(c, &container_names[i], &at, findings);
        k.ports = containers::ports(c, &at, network_mode, &mut used_port_names, findings);
        for pm in &c.port_mappings {
            if let (Some(port), Some(app)) = (pm.container_port, pm.app_protocol.as_deref()) {
                let proto = if pm
                    .protocol
                    .as_deref()
                    .is_some_and(|p| p.eq_ignore_ascii_case("udp"))
                {
                    "UDP"
                } else {
                    "TCP"
                };
                app_protocols.push((port, proto, app.to_string()));
            }
        }
        if let Some(hc) = c.health_check.as_ref()
            && let Some((liveness, startup)) = probes::from_health_check(hc, windows, &at, findings)
        {
            k.liveness_probe = Some(liveness);
            k.startup_probe = startup;
        }
        built.push(k);
    }
    resources::apply(t, tp, &mut built, findings);
    if let Some(main) = built.first_mut() {
        resources::ephemeral_storage(t, tp, main, findings);
    }
    let mut pod = PodSpec {
        service_account_name: Some(service_account.clone()),
        ..PodSpec::default()
    };
    let mut objects = Vec::new();
    volumes::apply(t, tp, ctx.service, &mut pod, &mut built, findings);
    let efs = volumes::EfsContext {
        app: ctx.service,
        environment: ctx.environment,
        namespace: &namespace,
    };
    objects.extend(volumes::efs_objects(t, tp, &efs, &meta, findings));
    logging::check(t, tp, findings);
    let secrets_ctx = secrets::SecretsContext {
        td: t,
        td_path: tp,
        app: ctx.service,
        namespace: &namespace,
        environment: ctx.environment,
        account: ctx.account,
        region: ctx.region,
        mappings: &mappings.external_secrets,
        meta: &meta,
    };
    secrets::apply(&secrets_ctx, &mut built, &mut pod, &mut objects, findings);
    placement::apply(t, tp, &mut pod, findings);
    placement::rules(
        &placement::Rules {
            td: (t, &td.input, tp),
            service: service.map(|s| (&s.value, s.input.as_str(), s.path.as_str())),
            selector: &selector,
            mappings: &mappings.placement,
        },
        &mut pod,
        findings,
    );
    placement::launch_type(
        (t, &td.input, tp),
        service.map(|s| (&s.value, s.input.as_str(), s.path.as_str())),
        findings,
    );
    let mut annotations = Map::new();
    containers::pod_level(t, tp, &mut pod, &mut annotations, findings);
    dependencies::arrange(t, tp, windows, built, &mut pod, findings);

    let all: Vec<_> = pod
        .init_containers
        .iter()
        .chain(pod.containers.iter())
        .collect();
    if let Some(svc_obj) =
        network::cluster_ip_service(meta(ctx.service), &selector, &all, &app_protocols)
            .filter(|_| !job_only)
    {
        objects.push(svc_obj);
    }
    // Load balancers: Service type and ports, Ingresses/TargetGroupBindings, readiness probes.
    let mut readiness_gate = false;
    if let Some(s) = service.filter(|s| !s.value.load_balancers.is_empty()) {
        findings.input = s.input.clone();
        let lb_ctx = ingress::Context {
            service: s,
            td: t,
            inputs,
            alb_owners: others.alb_owners,
            mappings,
            app: ctx.service,
            container_names: &container_names,
            network_mode,
            meta: &meta,
            selector: &selector,
        };
        readiness_gate = ingress::apply(&lb_ctx, &mut pod, &mut objects, findings);
        findings.input = td.input.clone();
    }
    let mut template_labels = mappings.labels.clone();
    template_labels.extend(selector.clone());
    let template = PodTemplate {
        metadata: TemplateMeta {
            labels: template_labels,
            annotations,
        },
        spec: pod,
    };
    let daemon = svc.is_some_and(|(s, _)| s.scheduling_strategy.as_deref() == Some("DAEMON"));
    let hpa = svc.filter(|_| !daemon).and_then(|(s, _)| {
        let target = autoscaling::Target {
            cluster: ctx.cluster,
            service: s.service_name.as_deref().unwrap_or(""),
            account: ctx.account,
        };
        autoscaling::hpa(
            inputs,
            &target,
            meta(ctx.service),
            ctx.service,
            &template.spec,
            findings,
        )
    });
    if !runs.is_empty() {
        let job_ctx = schedules::JobContext {
            app: ctx.service,
            td: t,
            container_names: &container_names,
            has_service: service.is_some(),
            mappings,
        };
        objects.extend(schedules::objects(
            runs, &job_ctx, &template, &meta, findings,
        ));
    }
    if let Some(s) = service {
        findings.input = s.input.clone();
    }
    if !job_only {
        objects.push(rollout::workload(
            svc,
            meta(ctx.service),
            &selector,
            template,
            hpa.is_some(),
            findings,
        ));
    }
    if let Some((s, at)) = svc.filter(|_| !job_only) {
        let replicas = match hpa.as_ref() {
            Some(h) => h.body()["spec"]["minReplicas"].as_i64().unwrap_or(1),
            None => s.desired_count.unwrap_or(1),
        };
        objects.extend(disruption::pdb(
            s,
            at,
            replicas,
            meta(ctx.service),
            &selector,
            findings,
        ));
    }
    objects.extend(hpa);
    findings.input = td.input.clone();

    let iam_ctx = iam::bindings::IamContext {
        td,
        service,
        inputs,
        mappings,
        names: ctx,
        namespace: &namespace,
        service_account: &service_account,
    };
    let (sa, role) = iam::bindings::service_account(&iam_ctx, meta(&service_account), findings);
    objects.push(sa);
    let mut ns_meta = ObjectMeta {
        namespace: None,
        ..meta(&namespace)
    };
    if readiness_gate {
        ns_meta
            .labels
            .insert(ingress::READINESS_GATE_LABEL.into(), "enabled".into());
    }
    objects.push(Object::new("v1", "Namespace", ns_meta, json!({})));
    Ok((namespace, objects, role))
}
