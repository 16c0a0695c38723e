//! The workload: assembles containers, pod, Deployment, Service, ServiceAccount and Namespace
//! from the concept modules, in the order each needs the others.

use super::pod::LogRouter;
use super::{Context, Runs};
use super::{
    agents, autoscaling, calls, containers, dependencies, disruption, iam, ingress, logging,
    network, placement, platform, pod_security_groups, probes, resources, rollout, schedules,
    secrets, volumes,
};
use crate::diagnostics::{Code, Findings};
use crate::mappings::Standalone;
use crate::model::ecs::{ContainerDefinition, Service, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::{Container, Map, Object, ObjectMeta, PodSpec, PodTemplate, TemplateMeta};
use crate::model::names::{self, NameContext};
use crate::model::read::Sourced;
use crate::model::target::DnsCall;
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
    /// The FireLens router that left the pod (`pod::view`).
    log_router: Option<&'a LogRouter>,
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
    /// Run by nothing, and the mappings make such task definitions a suspended Job.
    standalone_job: bool,
}

impl<'a> Assembly<'a> {
    /// The names and labels of the workload, or the message of a name template that failed.
    fn new(
        td: &'a Sourced<TaskDefinition>,
        service: Option<&'a Sourced<Service>>,
        runs: &'a Runs<'a>,
        others: &'a Context<'a>,
        names: &'a NameContext<'a>,
        log_router: Option<&'a LogRouter>,
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
            log_router,
            namespace,
            service_account,
            selector,
            labels,
            container_names: containers::container_names(&td.value),
            job_only: service.is_none() && !runs.is_empty(),
            standalone_job: service.is_none()
                && runs.is_empty()
                && mappings.standalone_task_definitions == Standalone::Job,
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
        platform::network_mode(&self.td.value)
    }
}

/// What one workload is made of.
pub struct Built {
    pub namespace: String,
    pub objects: Vec<Object>,
    /// The IAM role its pods get.
    pub role: Option<RoleBinding>,
    /// The node-level Fluent Bit configuration of its FireLens routing.
    pub log_outputs: Option<String>,
    /// The discovery names its containers call.
    pub calls: Vec<DnsCall>,
}

/// One workload's objects, or the message of a name template that failed. `td` is the pod's view
/// of the task definition (`pod::view`), `log_router` the FireLens router that left it.
pub fn build(
    (td, log_router): (&Sourced<TaskDefinition>, Option<&LogRouter>),
    service: Option<&Sourced<Service>>,
    // The task definition's scheduled runs, which become jobs here (only in one of its
    // workloads: empty in the others).
    runs: &Runs<'_>,
    others: &Context<'_>,
    ctx: &NameContext<'_>,
    findings: &mut Findings,
) -> Result<Built, String> {
    let a = Assembly::new(td, service, runs, others, ctx, log_router)?;
    carry_findings(&a, findings);
    let mut objects = Vec::new();
    let mut calls = Vec::new();
    let Pod {
        spec: mut pod,
        annotations,
        app_protocols,
        log_outputs,
    } = pod_spec(&a, &mut objects, &mut calls, findings);
    if !a.job_only {
        objects.extend(cluster_ip_service(&a, &pod, &app_protocols, findings));
    }
    objects.extend(security_group_policy(&a, findings));
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
    Ok(Built {
        namespace: a.namespace,
        objects,
        role,
        log_outputs,
        calls,
    })
}

/// Nothing dropped silently: the findings of the importer, which checked every field against
/// the ECS field lists, and a task definition that neither a service nor a schedule runs.
fn carry_findings(a: &Assembly<'_>, findings: &mut Findings) {
    if let Some(s) = a.service {
        s.findings.iter().cloned().for_each(|f| findings.add(f));
    }
    findings.input = a.td.input.clone();
    a.td.findings.iter().cloned().for_each(|f| findings.add(f));
    if a.service.is_some() || !a.runs.is_empty() {
        return;
    }
    let family = a.names.family;
    if a.standalone_job {
        findings.push(
            Code::StandaloneJob,
            join(&a.td.path, "family"),
            format!(
                "task definition {family} was given without a service: it became suspended Job {}",
                a.names.service
            ),
        );
        return;
    }
    findings.push(
        Code::TaskDefinitionAlone,
        join(&a.td.path, "family"),
        format!("task definition {family} was given without a service"),
    );
    if let Some((field, signal)) = one_off(&a.td.value) {
        findings.push(
            Code::OneOffTask,
            join(&a.td.path, &field),
            format!("task definition {family} has {signal}: as a Deployment it restarts after it exits, for ever"),
        );
    }
}

/// What says a task definition given alone runs once and exits (a migration, a training run):
/// no container has ports, and its main container runs a command of its own that ends (see
/// `finite`). The field of that command, and what the finding says.
fn one_off(td: &TaskDefinition) -> Option<(String, String)> {
    let defs = &td.container_definitions;
    if defs.iter().any(|c| !c.port_mappings.is_empty()) {
        return None;
    }
    let i = defs.iter().position(ContainerDefinition::is_essential)?;
    let main = &defs[i];
    let (field, _) = [
        ("command", &main.command),
        ("entryPoint", &main.entry_point),
    ]
    .into_iter()
    .find(|(_, list)| list.iter().any(|s| !s.is_empty()))?;
    let command: Vec<&str> = main
        .entry_point
        .iter()
        .chain(&main.command)
        .map(String::as_str)
        .collect();
    let command = command.join(" ");
    if !finite(&command) {
        return None;
    }
    let gpu = defs
        .iter()
        .flat_map(|c| &c.resource_requirements)
        .any(|r| r.kind.as_deref() == Some("GPU"));
    let at = format!("containerDefinitions[{}].{field}", td.container_position(i));
    let signal = format!(
        "no service, no ports and a command that ends (`{command}`){}",
        if gpu { ", on a GPU" } else { "" }
    );
    Some((at, signal))
}

/// True for a command that ends by itself: it runs a one-shot tool (`echo`, `ls`, `exit`,
/// `sleep 60`…) or names a one-off job (migrate, seed, backup, restore, train, dump…), and has
/// no endless loop (`while true`, `sleep infinity`, `tail -f`). Servers and workers name none.
fn finite(command: &str) -> bool {
    const LOOPS: [&str; 7] = [
        "while true",
        "while :",
        "while(1)",
        "while (1)",
        "sleep infinity",
        "tail -f",
        "tail -F",
    ];
    const TOOLS: [&str; 7] = [
        "echo",
        "ls",
        "cat",
        "true",
        "exit",
        "printenv",
        "nvidia-smi",
    ];
    const JOBS: [&str; 9] = [
        "migrat", "seed", "backup", "restore", "train", "dump", "vacuum", "reindex", "cleanup",
    ];
    if LOOPS.iter().any(|l| command.contains(l)) {
        return false;
    }
    let words: Vec<String> = command
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        TOOLS.contains(&w.as_str())
            || JOBS.iter().any(|j| w.starts_with(j))
            || (w == "sleep"
                && words
                    .get(i + 1)
                    .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit())))
    })
}

/// A workload's pod and what comes with it.
struct Pod {
    spec: PodSpec,
    annotations: Map,
    /// The `appProtocol` of its ports.
    app_protocols: Vec<AppProtocol>,
    /// The node-level Fluent Bit configuration of its FireLens routing.
    log_outputs: Option<String>,
}

/// The pod: its containers with ports, probes, resources, volumes, secrets and start order, and
/// the pod-level settings; EFS and secrets objects go to `objects`, the discovery names the
/// containers call to `calls`.
fn pod_spec(
    a: &Assembly<'_>,
    objects: &mut Vec<Object>,
    calls: &mut Vec<DnsCall>,
    findings: &mut Findings,
) -> Pod {
    let (t, tp) = (&a.td.value, a.td.path.as_str());
    let windows = platform::is_windows(t);
    let (mut built, app_protocols) = pod_containers(a, windows, findings);
    let scan = calls::Scan {
        td: t,
        td_path: tp,
        directory: a.others.directory,
        environment: a.names.environment,
        rewrite: a.others.mappings.discovery.rewrite_consumers,
    };
    *calls = calls::apply(&scan, &mut built, findings);
    resources::apply(t, tp, &mut built, findings);
    if let Some(main) = built.first_mut() {
        resources::ephemeral_storage(t, tp, main, findings);
    }
    let mut pod = PodSpec {
        service_account_name: Some(a.service_account.clone()),
        ..PodSpec::default()
    };
    placement::gpu_toleration(&built, &a.others.mappings.placement, &mut pod);
    volumes::apply(t, tp, a.names.service, &mut pod, &mut built, findings);
    let efs = volumes::EfsContext {
        app: a.names.service,
        environment: a.names.environment,
        namespace: &a.namespace,
        account: a.names.account,
        cluster: a.others.clusters.of(a.names.environment),
    };
    let meta = |name: &str| a.meta(name);
    objects.extend(volumes::efs_objects(t, tp, &efs, &meta, findings));
    let log_outputs = log_routes(a, findings);
    agents::check(t, tp, findings);
    pod_secrets(a, &mut built, &mut pod, objects, findings);
    pod_placement(a, &mut pod, findings);
    let mut annotations = Map::new();
    let dns_replace = a.others.mappings.dns.replace;
    containers::pod_level(t, tp, dns_replace, &mut pod, &mut annotations, findings);
    dependencies::arrange(t, tp, windows, built, &mut pod, findings);
    Pod {
        spec: pod,
        annotations,
        app_protocols,
        log_outputs,
    }
}

/// Where the containers' logs went, and the Fluent Bit configuration of their FireLens routing.
fn log_routes(a: &Assembly<'_>, findings: &mut Findings) -> Option<String> {
    let target = logging::Target {
        app: a.names.service,
        namespace: &a.namespace,
        container_names: &a.container_names,
        router: a.log_router,
        mappings: &a.others.mappings.logging,
    };
    logging::routes(&a.td.value, &a.td.path, &target, findings)
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
        let at = containers::path(&a.td.value, &a.td.path, i);
        let name = &a.container_names[i];
        let mut k = containers::container(c, name, &at, findings);
        let names = (a.names.service, name.as_str());
        if let Some(image) = containers::image_placeholder(c, names, &at, findings) {
            k.image = image;
        }
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
        // ecspresso dumps carry `""`: unset, as the API server requires.
        let app = pm.app_protocol.as_deref().filter(|a| !a.is_empty())?;
        let port = pm.container_port?;
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
        cluster: a.others.clusters.of(a.names.environment),
        mappings: &a.others.mappings.external_secrets,
        meta: &meta,
    };
    secrets::apply(&ctx, containers, pod, objects, findings);
}

/// Where the pods run: platform, capacity, placement rules and launch type.
fn pod_placement(a: &Assembly<'_>, pod: &mut PodSpec, findings: &mut Findings) {
    let (t, tp) = (&a.td.value, a.td.path.as_str());
    platform::apply(t, tp, pod, findings);
    platform::arm_on_fargate(a.td, a.service, findings);
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

/// The SecurityGroupPolicy that puts the service's security groups on its pods.
fn security_group_policy(a: &Assembly<'_>, findings: &mut Findings) -> Option<Object> {
    let cluster = pod_security_groups::Cluster {
        environment: a.names.environment,
        account: a.names.account,
        cluster_account: a.others.clusters.of(a.names.environment).account.as_deref(),
        windows: platform::is_windows(&a.td.value),
        inventory: a.others.inventory,
        inputs: a.others.inputs,
    };
    let mode = a.others.mappings.network.security_groups;
    let meta = (a.meta(a.names.service), &a.selector);
    let service = a.service?;
    findings.input = service.input.clone();
    let policy = pod_security_groups::policy(service, mode, meta, &cluster, findings);
    findings.input = a.td.input.clone();
    policy
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
        names: a.names,
        cluster: a.others.clusters.of(a.names.environment),
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
    let meta = |name: &str| a.meta(name);
    schedules::objects(a.runs, &job_context(a), template, &meta, findings)
}

/// What the workload's jobs are made from.
fn job_context<'a>(a: &'a Assembly<'_>) -> schedules::JobContext<'a> {
    schedules::JobContext {
        app: a.names.service,
        td: &a.td.value,
        container_names: &a.container_names,
        has_service: a.service.is_some(),
        mappings: a.others.mappings,
    }
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
    if a.standalone_job {
        let job_ctx = job_context(a);
        objects.push(schedules::suspended_job(&job_ctx, &template, a.meta(app)));
        return;
    }
    if !a.job_only {
        objects.push(rollout::workload(
            svc,
            &a.td.path,
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
        clusters: a.others.clusters,
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

#[cfg(test)]
mod tests {
    use super::finite;

    #[test]
    fn commands_that_end() {
        for c in [
            "python manage.py migrate --noinput",
            "bundle exec rake db:migrate",
            "sh -c echo hello world",
            "sh -c nvidia-smi -L | wc -l && exit 42 || exit 1",
            "python train.py --epochs 3",
            "sh -c sleep 60",
            "ls -l",
        ] {
            assert!(finite(c), "{c}");
        }
        for c in [
            "celery -A shop worker",
            "sh -c while true; do sleep 1; done",
            "/usr/local/bin/docker-entrypoint.sh agent -client=0.0.0.0",
            "sh -c export PORT=80 && exec server",
            "tail -F /logs/app.log",
            "sleep infinity",
            "{{command}}",
        ] {
            assert!(!finite(c), "{c}");
        }
    }
}
