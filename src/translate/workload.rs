//! The workload: assembles containers, pod, Deployment, Service, ServiceAccount and Namespace
//! from the concept modules, in the order each needs the others.

use super::{Context, Runs};
use super::{
    autoscaling, containers, dependencies, disruption, iam, ingress, logging, network, placement,
    probes, resources, rollout, schedules, secrets, volumes,
};
use crate::diagnostics::Findings;
use crate::model::ecs::{ContainerDefinition, Service, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::{Container, Map, Object, ObjectMeta, PodSpec, PodTemplate, TemplateMeta};
use crate::model::names::{self, NameContext};
use crate::model::read::Sourced;
use crate::model::target::iam::RoleBinding;
use serde_json::json;

/// The ECS `appProtocol` of a port mapping: (container port, `TCP` or `UDP`, protocol).
type AppProtocol = (i64, &'static str, String);

/// What every step of one workload's assembly reads: its inputs, its names and its labels.
struct Assembly<'a> {
    td: &'a Sourced<TaskDefinition>,
    service: Option<&'a Sourced<Service>>,
    /// The task definition's scheduled runs, which become jobs here (only in one of its
    /// workloads: empty in the others).
    runs: &'a Runs<'a>,
    others: &'a Context<'a>,
    names: &'a NameContext<'a>,
    namespace: String,
    service_account: String,
    /// `app.kubernetes.io/name`: how the Service, the PDB and the Deployment select the pods.
    selector: Map,
    /// The mappings' labels and the selector: on every object and on the pods.
    labels: Map,
    /// Kubernetes names of the containers, in order.
    container_names: Vec<String>,
    /// Run only by schedules, the task definition becomes jobs: no Deployment, Service or PDB.
    job_only: bool,
}

impl<'a> Assembly<'a> {
    /// The names and labels of the workload, or the message of a name template that failed.
    fn new(
        td: &'a Sourced<TaskDefinition>,
        service: Option<&'a Sourced<Service>>,
        runs: &'a Runs<'a>,
        others: &'a Context<'a>,
        names: &'a NameContext<'a>,
    ) -> Result<Self, String> {
        let mappings = others.mappings;
        let namespace = names::render(&mappings.names.namespace, names)?;
        let service_account = names::render(&mappings.names.service_account, names)?;
        let selector: Map = [(
            "app.kubernetes.io/name".to_string(),
            names.service.to_string(),
        )]
        .into();
        let mut labels = mappings.labels.clone();
        labels.extend(selector.clone());
        Ok(Assembly {
            td,
            service,
            runs,
            others,
            names,
            namespace,
            service_account,
            selector,
            labels,
            container_names: containers::container_names(&td.value),
            job_only: service.is_none() && !runs.is_empty(),
        })
    }

    /// Metadata of an object of the workload named `name`: its namespace and labels.
    fn meta(&self, name: &str) -> ObjectMeta {
        ObjectMeta {
            name: name.to_string(),
            namespace: Some(self.namespace.clone()),
            labels: self.labels.clone(),
            ..ObjectMeta::default()
        }
    }

    fn network_mode(&self) -> &'a str {
        self.td.value.network_mode.as_deref().unwrap_or("")
    }
}

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
    let a = Assembly::new(td, service, runs, others, ctx)?;
    carry_findings(&a, findings);
    let mut objects = Vec::new();
    let (mut pod, annotations, app_protocols) = pod_spec(&a, &mut objects, findings);
    if !a.job_only {
        objects.extend(cluster_ip_service(&a, &pod, &app_protocols, findings));
    }
    let needs = load_balancers(&a, &mut pod, &mut objects, findings);
    let template = PodTemplate {
        metadata: TemplateMeta {
            labels: a.labels.clone(),
            annotations,
        },
        spec: pod,
    };
    let hpa = autoscaler(&a, &template.spec, findings);
    if !runs.is_empty() {
        objects.extend(jobs(&a, &template, findings));
    }
    deployment(&a, template, hpa, &mut objects, findings);
    findings.input = td.input.clone();
    let role = service_account(&a, &mut objects, findings);
    objects.push(namespace(&a, &needs));
    Ok((a.namespace, objects, role))
}

/// Nothing dropped silently: the findings of the importer, which checked every field against
/// the ECS field lists, and a task definition that neither a service nor a schedule runs.
fn carry_findings(a: &Assembly<'_>, findings: &mut Findings) {
    if let Some(s) = a.service {
        s.findings.iter().cloned().for_each(|f| findings.add(f));
    }
    findings.input = a.td.input.clone();
    a.td.findings.iter().cloned().for_each(|f| findings.add(f));
    if a.service.is_none() && a.runs.is_empty() {
        findings.push(
            crate::diagnostics::Code::TaskDefinitionAlone,
            join(&a.td.path, "family"),
            format!(
                "task definition {} was given without a service",
                a.names.family
            ),
        );
    }
}

/// The pod: its containers with ports, probes, resources, volumes, secrets and start order, and
/// the pod-level settings; EFS and secrets objects go to `objects`. Returns the pod, its
/// annotations, and the `appProtocol` of its ports.
fn pod_spec(
    a: &Assembly<'_>,
    objects: &mut Vec<Object>,
    findings: &mut Findings,
) -> (PodSpec, Map, Vec<AppProtocol>) {
    let (t, tp) = (&a.td.value, a.td.path.as_str());
    let windows = placement::is_windows(t);
    let (mut built, app_protocols) = pod_containers(a, windows, findings);
    resources::apply(t, tp, &mut built, findings);
    if let Some(main) = built.first_mut() {
        resources::ephemeral_storage(t, tp, main, findings);
    }
    let mut pod = PodSpec {
        service_account_name: Some(a.service_account.clone()),
        ..PodSpec::default()
    };
    volumes::apply(t, tp, a.names.service, &mut pod, &mut built, findings);
    let efs = volumes::EfsContext {
        app: a.names.service,
        environment: a.names.environment,
        namespace: &a.namespace,
    };
    let meta = |name: &str| a.meta(name);
    objects.extend(volumes::efs_objects(t, tp, &efs, &meta, findings));
    logging::check(t, tp, findings);
    pod_secrets(a, &mut built, &mut pod, objects, findings);
    pod_placement(a, &mut pod, findings);
    let mut annotations = Map::new();
    containers::pod_level(t, tp, &mut pod, &mut annotations, findings);
    dependencies::arrange(t, tp, windows, built, &mut pod, findings);
    (pod, annotations, app_protocols)
}

/// The containers with their ports and health-check probes, and the `appProtocol` of their
/// port mappings.
fn pod_containers(
    a: &Assembly<'_>,
    windows: bool,
    findings: &mut Findings,
) -> (Vec<Container>, Vec<AppProtocol>) {
    let mut used_port_names = Vec::new();
    let mut app_protocols = Vec::new();
    let mut built = Vec::new();
    for (i, c) in a.td.value.container_definitions.iter().enumerate() {
        let at = containers::path(&a.td.path, i);
        let mut k = containers::container(c, &a.container_names[i], &at, findings);
        k.ports = containers::ports(c, &at, a.network_mode(), &mut used_port_names, findings);
        app_protocols.extend(port_app_protocols(c));
        if let Some(hc) = c.health_check.as_ref()
            && let Some((liveness, startup)) = probes::from_health_check(hc, windows, &at, findings)
        {
            k.liveness_probe = Some(liveness);
            k.startup_probe = startup;
        }
        built.push(k);
    }
    (built, app_protocols)
}

/// The `appProtocol` of each port mapping of `c` that has one.
fn port_app_protocols(c: &ContainerDefinition) -> impl Iterator<Item = AppProtocol> + '_ {
    c.port_mappings.iter().filter_map(|pm| {
        let (port, app) = (pm.container_port?, pm.app_protocol.as_deref()?);
        let udp = pm
            .protocol
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("udp"));
        Some((port, if udp { "UDP" } else { "TCP" }, app.to_string()))
    })
}

/// Env vars and pull secrets from External Secrets, their objects added to `objects`.
fn pod_secrets(
    a: &Assembly<'_>,
    containers: &mut [Container],
    pod: &mut PodSpec,
    objects: &mut Vec<Object>,
    findings: &mut Findings,
) {
    let meta = |name: &str| a.meta(name);
    let ctx = secrets::SecretsContext {
        td: &a.td.value,
        td_path: &a.td.path,
        app: a.names.service,
        namespace: &a.namespace,
        environment: a.names.environment,
        account: a.names.account,
        region: a.names.region,
        mappings: &a.others.mappings.external_secrets,
        meta: &meta,
    };
    secrets::apply(&ctx, containers, pod, objects, findings);
}

/// Where the pods run: platform, capacity, placement rules and launch type.
fn pod_placement(a: &Assembly<'_>, pod: &mut PodSpec, findings: &mut Findings) {
    let (t, tp) = (&a.td.value, a.td.path.as_str());
    placement::apply(t, tp, pod, findings);
    let td = (t, a.td.input.as_str(), tp);
    let service = a
        .service
        .map(|s| (&s.value, s.input.as_str(), s.path.as_str()));
    let rules = placement::Rules {
        td,
        service,
        selector: &a.selector,
        mappings: &a.others.mappings.placement,
    };
    placement::rules(&rules, pod, findings);
    placement::launch_type(td, service, findings);
}

/// The ClusterIP Service over the pod's container ports, when it has any; an info finding for
/// each port that no load balancer, Service Connect or Cloud Map entry of the service names.
fn cluster_ip_service(
    a: &Assembly<'_>,
    pod: &PodSpec,
    app_protocols: &[AppProtocol],
    findings: &mut Findings,
) -> Option<Object> {
    let all: Vec<_> = pod
        .init_containers
        .iter()
        .chain(pod.containers.iter())
        .collect();
    let object =
        network::cluster_ip_service(a.meta(a.names.service), &a.selector, &all, app_protocols)?;
    // Without the service's JSON nothing is known of what reached the ports (E2K100 says so).
    if let Some(s) = a.service {
        network::unreferenced_ports(&a.td.value, &a.td.path, &s.value, &object, findings);
    }
    Some(object)
}

/// Load balancers: Service type and ports, Ingresses/TargetGroupBindings, readiness probes;
/// what the namespace must say for them.
fn load_balancers(
    a: &Assembly<'_>,
    pod: &mut PodSpec,
    objects: &mut Vec<Object>,
    findings: &mut Findings,
) -> ingress::NamespaceNeeds {
    let Some(s) = a.service.filter(|s| !s.value.load_balancers.is_empty()) else {
        return ingress::NamespaceNeeds::default();
    };
    findings.input = s.input.clone();
    let meta = |name: &str| a.meta(name);
    let lb_ctx = ingress::Context {
        service: s,
        td: &a.td.value,
        inputs: a.others.inputs,
        alb_owners: a.others.alb_owners,
        mappings: a.others.mappings,
        app: a.names.service,
        container_names: &a.container_names,
        network_mode: a.network_mode(),
        meta: &meta,
        selector: &a.selector,
    };
    let needs = ingress::apply(&lb_ctx, pod, objects, findings);
    findings.input = a.td.input.clone();
    needs
}

/// The HPA of a service that is not a daemon, when its scalable target has a policy an HPA
/// expresses.
fn autoscaler(a: &Assembly<'_>, pod: &PodSpec, findings: &mut Findings) -> Option<Object> {
    let s = &a.service?.value;
    if s.scheduling_strategy.as_deref() == Some("DAEMON") {
        return None;
    }
    let target = autoscaling::Target {
        cluster: a.names.cluster,
        service: s.service_name.as_deref().unwrap_or(""),
        account: a.names.account,
    };
    let (inputs, app) = (a.others.inputs, a.names.service);
    autoscaling::hpa(inputs, &target, a.meta(app), app, pod, findings)
}

/// The CronJobs (or CronWorkflows) of the task definition's scheduled runs.
fn jobs(a: &Assembly<'_>, template: &PodTemplate, findings: &mut Findings) -> Vec<Object> {
    let job_ctx = schedules::JobContext {
        app: a.names.service,
        td: &a.td.value,
        container_names: &a.container_names,
        has_service: a.service.is_some(),
        mappings: a.others.mappings,
    };
    let meta = |name: &str| a.meta(name);
    schedules::objects(a.runs, &job_ctx, template, &meta, findings)
}

/// The Deployment of `template` and its PDB, unless only schedules run the task definition;
/// then `hpa`.
fn deployment(
    a: &Assembly<'_>,
    template: PodTemplate,
    hpa: Option<Object>,
    objects: &mut Vec<Object>,
    findings: &mut Findings,
) {
    if let Some(s) = a.service {
        findings.input = s.input.clone();
    }
    let app = a.names.service;
    let svc = a.service.map(|s| (&s.value, s.path.as_str()));
    if !a.job_only {
        objects.push(rollout::workload(
            svc,
            a.meta(app),
            &a.selector,
            template,
            hpa.is_some(),
            findings,
        ));
    }
    if let Some((s, at)) = svc.filter(|_| !a.job_only) {
        let replicas = match hpa.as_ref() {
            Some(h) => h.body()["spec"]["minReplicas"].as_i64().unwrap_or(1),
            None => s.desired_count.unwrap_or(1),
        };
        objects.extend(disruption::pdb(
            s,
            at,
            replicas,
            a.meta(app),
            &a.selector,
            findings,
        ));
    }
    objects.extend(hpa);
}

/// The ServiceAccount, added to `objects`, and the IAM role its pods get.
fn service_account(
    a: &Assembly<'_>,
    objects: &mut Vec<Object>,
    findings: &mut Findings,
) -> Option<RoleBinding> {
    let iam_ctx = iam::bindings::IamContext {
        td: a.td,
        service: a.service,
        inputs: a.others.inputs,
        mappings: a.others.mappings,
        names: a.names,
        namespace: &a.namespace,
        service_account: &a.service_account,
    };
    let (sa, role) = iam::bindings::service_account(&iam_ctx, a.meta(&a.service_account), findings);
    objects.push(sa);
    role
}

/// The Namespace, labelled for readiness gates when a target group needs them, and as a member
/// of the fenced IngressGroups its Ingresses join.
fn namespace(a: &Assembly<'_>, needs: &ingress::NamespaceNeeds) -> Object {
    let mut meta = ObjectMeta {
        namespace: None,
        ..a.meta(&a.namespace)
    };
    needs.label(&mut meta.labels);
    Object::new("v1", "Namespace", meta, json!({}))
}
