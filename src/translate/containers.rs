//! Containers: image, command, environment, ports and security settings of each container,
//! and the pod-level settings ECS keeps per container (hosts, DNS, labels, stop timeout).

use crate::diagnostics::{Code, Findings};
use crate::model::ecs::{ContainerDefinition, TaskDefinition};
use crate::model::fields::join;
use crate::model::k8s::{
    CapabilitiesSpec, Container, ContainerPort, DnsConfig, EnvVar, HostAlias, Map, PodSpec,
    SecurityContext, WindowsOptions,
};
use crate::model::names;

/// JSON path of container `i` of task definition `td` at `td_path`: its position in the input.
pub fn path(td: &TaskDefinition, td_path: &str, i: usize) -> String {
    let at = td.container_position(i);
    join(td_path, &format!("containerDefinitions[{at}]"))
}

/// Kubernetes names of the containers, in order: DNS labels, unique within the pod.
pub fn container_names(td: &TaskDefinition) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in &td.container_definitions {
        let base = names::dns_label(c.name.as_deref().unwrap_or(""), "container");
        let mut name = base.clone();
        let mut n = 2;
        while out.contains(&name) {
            name = format!("{}-{n}", &base[..base.len().min(60)]);
            n += 1;
        }
        out.push(name);
    }
    out
}

/// The container itself, without resources, probes, mounts or secrets (their own modules).
pub fn container(
    c: &ContainerDefinition,
    name: &str,
    at: &str,
    findings: &mut Findings,
) -> Container {
    let original = c.name.as_deref().unwrap_or("");
    if original != name {
        findings.push(
            Code::NameChanged,
            join(at, "name"),
            format!("container {original:?} is named {name:?}"),
        );
    }
    let (command, args) = command_and_args(c, &c.command);
    if entry_point_cleared(c) && c.command.is_empty() {
        findings.push(
            Code::EntryPointCleared,
            join(at, "entryPoint"),
            format!("container {name} clears the image's entrypoint and gives no command"),
        );
    }
    Container {
        name: name.to_string(),
        image: c.image.clone().unwrap_or_default(),
        command,
        args,
        working_dir: c.working_directory.clone().filter(|w| !w.is_empty()),
        env: environment(c, at, findings),
        security_context: security_context(c, at, findings),
        stdin: c.interactive.unwrap_or(false),
        tty: c.pseudo_terminal.unwrap_or(false),
        ..Container::default()
    }
}

/// True when `entryPoint` holds only empty strings: Docker's way (`--entrypoint ""`) to clear
/// the image's ENTRYPOINT, so that the command runs on its own.
fn entry_point_cleared(c: &ContainerDefinition) -> bool {
    !c.entry_point.is_empty() && c.entry_point.iter().all(String::is_empty)
}

/// The container's `command` and `args` when ECS runs `ecs_command` (its `command`, or a run's
/// override of it): `entryPoint` becomes `command` and the ECS command `args`, except that a
/// cleared entrypoint makes the ECS command the whole `command` (with empty `args` Kubernetes
/// would run the image's ENTRYPOINT, which `[""]` is there to clear). Escaped for the kubelet.
pub fn command_and_args(
    c: &ContainerDefinition,
    ecs_command: &[String],
) -> (Vec<String>, Vec<String>) {
    let literal = |list: &[String]| list.iter().map(|s| kubelet_literal(s)).collect::<Vec<_>>();
    if entry_point_cleared(c) {
        return (literal(ecs_command), Vec::new());
    }
    let entry: Vec<String> = c
        .entry_point
        .iter()
        .skip_while(|s| s.is_empty())
        .cloned()
        .collect();
    (literal(&entry), literal(ecs_command))
}

/// `s` as the kubelet will pass it on: it expands `$(NAME)` in commands, args and env values and
/// turns `$$` into `$`, neither of which ECS does, so every `$` is doubled where either occurs.
pub fn kubelet_literal(s: &str) -> String {
    match s.contains("$(") || s.contains("$$") {
        true => s.replace('$', "$$"),
        false => s.to_string(),
    }
}

/// An image CI fills in: empty, or a whole placeholder (`<IMAGE>`, `${IMAGE}`, `{{ .Image }}`,
/// `%IMAGE%`, `$$$IMAGE$$$`). A partial one (`repo:${TAG}`) stays, reported as E2K117.
fn is_ci_image(image: &str) -> bool {
    let i = image.trim();
    let wrapped = |open: &str, close: &str| i.starts_with(open) && i.ends_with(close);
    i.is_empty()
        || (wrapped("<", ">") && !i[1..].contains('<'))
        || (wrapped("${", "}") && i.matches("${").count() == 1)
        || (wrapped("{{", "}}") && i.matches("{{").count() == 1)
        || (wrapped("%", "%")
            && i.len() > 2
            && i[1..i.len() - 1]
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_'))
        || (wrapped("$$$", "$$$") && i.len() > 6)
}

/// The image of a container whose image CI fills in (`is_ci_image`): a name Kustomize `images`
/// sets in the overlay (`placeholder.invalid`: a pull never reaches a registry), with a warning
/// that replaces the generic placeholder finding of the field. None: the image is real.
pub fn image_placeholder(
    c: &ContainerDefinition,
    (app, container): (&str, &str),
    at: &str,
    findings: &mut Findings,
) -> Option<String> {
    let image = c.image.as_deref().unwrap_or("");
    if !is_ci_image(image) {
        return None;
    }
    let field = join(at, "image");
    findings
        .list
        .retain(|f| !(f.code == Code::Placeholder && f.field == field));
    let placeholder = format!("placeholder.invalid/{app}/{container}");
    findings.push(
        Code::ImagePlaceholder,
        field,
        format!("container {container} has no image yet ({image:?}): it is {placeholder} until the overlay's `images:` sets it"),
    );
    Some(placeholder)
}

/// `environment` sorted by name; a name given twice keeps its last value, as Docker does.
fn environment(c: &ContainerDefinition, at: &str, findings: &mut Findings) -> Vec<EnvVar> {
    let mut vars: std::collections::BTreeMap<String, String> = Default::default();
    for (i, kv) in c.environment.iter().enumerate() {
        let Some(name) = kv.name.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        let previous = vars.insert(name.to_string(), kv.value.clone().unwrap_or_default());
        if previous.is_some() {
            findings.push(
                Code::DuplicateEnv,
                join(at, &format!("environment[{i}]")),
                format!("{name} is set more than once"),
            );
        }
    }
    vars.into_iter()
        .map(|(name, value)| EnvVar {
            name,
            value: Some(kubelet_literal(&value)),
            value_from: None,
        })
        .collect()
}

fn security_context(
    c: &ContainerDefinition,
    at: &str,
    findings: &mut Findings,
) -> Option<SecurityContext> {
    let mut sc = SecurityContext {
        privileged: c.privileged.filter(|p| *p),
        read_only_root_filesystem: c.readonly_root_filesystem.filter(|r| *r),
        ..SecurityContext::default()
    };
    if let Some(user) = c.user.as_deref().filter(|u| !u.is_empty()) {
        let (u, g) = parse_user(user);
        match (u, g) {
            (Some(Ok(uid)), group) => {
                sc.run_as_user = Some(uid);
                match group {
                    Some(Ok(gid)) => sc.run_as_group = Some(gid),
                    Some(Err(name)) => findings.push(
                        Code::UserName,
                        join(at, "user"),
                        format!("group {name:?} is a name, not a GID; runAsGroup was not set"),
                    ),
                    None => {}
                }
            }
            (Some(Err(name)), _) => findings.push(
                Code::UserName,
                join(at, "user"),
                format!("user {name:?} is a name, not a UID; runAsUser was not set"),
            ),
            (None, _) => findings.push(
                Code::InvalidUser,
                join(at, "user"),
                format!("cannot read user {user:?}"),
            ),
        }
    }
    if let Some(caps) = c
        .linux_parameters
        .as_ref()
        .and_then(|l| l.capabilities.as_ref())
        && (!caps.add.is_empty() || !caps.drop.is_empty())
    {
        sc.capabilities = Some(CapabilitiesSpec {
            add: caps.add.clone(),
            drop: caps.drop.clone(),
        });
    }
    pod_security(c, at, findings);
    sc.windows_options = gmsa(c, at, findings);
    (!sc.is_empty()).then_some(sc)
}

/// Capabilities Pod Security's baseline level allows a container to add (Kubernetes' Pod
/// Security Standards).
const BASELINE_CAPABILITIES: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// A privileged container, or one adding capabilities beyond the baseline (SYS_ADMIN, NET_ADMIN…),
/// needs a Pod Security exception in a shared cluster.
fn pod_security(c: &ContainerDefinition, at: &str, findings: &mut Findings) {
    let name = c.name.as_deref().unwrap_or("");
    if c.privileged == Some(true) {
        findings.push(
            Code::PrivilegedContainer,
            join(at, "privileged"),
            format!("container {name} runs privileged"),
        );
    }
    let added = c
        .linux_parameters
        .as_ref()
        .and_then(|l| l.capabilities.as_ref())
        .map_or(&[][..], |caps| caps.add.as_slice());
    let beyond: Vec<&str> = added
        .iter()
        .map(|cap| cap.trim_start_matches("CAP_"))
        .filter(|cap| !BASELINE_CAPABILITIES.contains(&cap.to_ascii_uppercase().as_str()))
        .collect();
    if !beyond.is_empty() {
        findings.push(
            Code::PrivilegedContainer,
            join(at, "linuxParameters.capabilities.add"),
            format!(
                "container {name} adds capabilities {} beyond Pod Security's baseline",
                beyond.join(", ")
            ),
        );
    }
}

/// The gMSA credential spec of a Windows container (`credentialSpecs`, one per container): the
/// GMSACredentialSpec object the pod names, called after the spec's file or parameter.
fn gmsa(c: &ContainerDefinition, at: &str, findings: &mut Findings) -> Option<WindowsOptions> {
    let spec = c.credential_specs.iter().find(|s| !s.is_empty())?;
    let location = spec.split_once(':').map_or(spec.as_str(), |(_, l)| l);
    let file = location.rsplit(['/', ':']).next().unwrap_or(location);
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let name = names::dns_label(stem, "gmsa");
    findings.push(
        Code::CredentialSpecs,
        join(at, "credentialSpecs"),
        format!(
            "credential spec {spec} became gmsaCredentialSpecName {name}: create GMSACredentialSpec {name} from it"
        ),
    );
    Some(WindowsOptions {
        gmsa_credential_spec_name: name,
    })
}

/// `uid`, `uid:gid`, `user`, `user:group`; `root` is UID 0 everywhere.
type Id = Option<Result<i64, String>>;
fn parse_user(user: &str) -> (Id, Id) {
    fn id(s: &str) -> Id {
        if s.is_empty() {
            return None;
        }
        Some(match s.parse::<i64>() {
            Ok(n) if n >= 0 => Ok(n),
            _ if s == "root" => Ok(0),
            _ => Err(s.to_string()),
        })
    }
    match user.split_once(':') {
        Some((u, g)) => (id(u), id(g)),
        None => (id(user), None),
    }
}

/// Container ports: never a hostPort; names valid for a Service, unique within the pod.
pub fn ports(
    c: &ContainerDefinition,
    at: &str,
    network_mode: &str,
    used: &mut Vec<String>,
    findings: &mut Findings,
) -> Vec<ContainerPort> {
    let mut out: Vec<ContainerPort> = Vec::new();
    for (i, pm) in c.port_mappings.iter().enumerate() {
        let here = join(at, &format!("portMappings[{i}]"));
        let Some(port) = pm.container_port.filter(|p| (1..=65535).contains(p)) else {
            continue;
        };
        let protocol = if pm
            .protocol
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case("udp"))
        {
            "UDP"
        } else {
            "TCP"
        };
        if out
            .iter()
            .any(|p| p.container_port == port && p.protocol == protocol)
        {
            continue;
        }
        // Under awsvpc ECS sets the host port to the container port; under host it is the
        // container port. A bridge task's static host port is a choice: said, like any other.
        let carried = |host: i64| matches!(network_mode, "awsvpc" | "host") && host == port;
        if let Some(host) = pm.host_port.filter(|h| *h != 0 && !carried(*h)) {
            let why = if network_mode == "awsvpc" {
                "ECS rejects a hostPort other than the containerPort under awsvpc"
            } else {
                "the pod is reached on the container port through its Service"
            };
            findings.push(
                Code::HostPort,
                join(&here, "hostPort"),
                format!("host port {host} for container port {port} was not carried: {why}"),
            );
        }
        let wanted = pm.name.as_deref().and_then(names::port_name);
        let fallback = format!("{}-{port}", protocol.to_ascii_lowercase());
        let name = match wanted {
            Some(n) if !used.contains(&n) => n,
            _ => fallback,
        };
        used.push(name.clone());
        out.push(ContainerPort {
            name,
            container_port: port,
            protocol,
        });
    }
    out
}

/// What ECS sets per container but Kubernetes sets per pod: host aliases (from `extraHosts` and
/// `links`), DNS, annotations from Docker labels, and the stop timeout. `dns_replace`: mapping
/// `dns.replace`.
pub fn pod_level(
    td: &TaskDefinition,
    td_path: &str,
    dns_replace: bool,
    pod: &mut PodSpec,
    annotations: &mut Map,
    findings: &mut Findings,
) {
    let mut dns = DnsConfig::default();
    for (i, c) in td.container_definitions.iter().enumerate() {
        let at = path(td, td_path, i);
        for host in &c.extra_hosts {
            if let (Some(ip), Some(name)) = (host.ip_address.as_deref(), host.hostname.as_deref()) {
                host_alias(pod, ip, name);
            }
        }
        links(c, &at, pod, findings);
        for server in &c.dns_servers {
            if !dns.nameservers.contains(server) {
                dns.nameservers.push(server.clone());
            }
        }
        if !c.dns_servers.is_empty() {
            dns_servers_finding(&c.dns_servers, &at, dns_replace, findings);
        }
        for domain in &c.dns_search_domains {
            if !dns.searches.contains(domain) {
                dns.searches.push(domain.clone());
            }
        }
        if let Some(stop) = c.stop_timeout.filter(|s| *s > 0) {
            let grace = pod.termination_grace_period_seconds.unwrap_or(0).max(stop);
            pod.termination_grace_period_seconds = Some(grace);
        }
    }
    docker_labels(td, td_path, annotations, findings);
    if !dns.nameservers.is_empty() || !dns.searches.is_empty() {
        // Docker's `--dns` replaced resolv.conf; Kubernetes appends to the cluster DNS unless the
        // pod's policy is None, which needs at least one nameserver.
        if dns_replace && !dns.nameservers.is_empty() {
            pod.dns_policy = Some("None");
        }
        pod.dns_config = Some(dns);
    }
}

/// `name` resolves to `ip` in the pod (`/etc/hosts`), in one entry per address.
fn host_alias(pod: &mut PodSpec, ip: &str, name: &str) {
    match pod.host_aliases.iter_mut().find(|a| a.ip == ip) {
        Some(alias) if !alias.hostnames.iter().any(|h| h == name) => {
            alias.hostnames.push(name.to_string())
        }
        Some(_) => {}
        None => pod.host_aliases.push(HostAlias {
            ip: ip.to_string(),
            hostnames: vec![name.to_string()],
        }),
    }
}

/// Docker `links` (`name` or `name:alias`): the containers of a pod share one network namespace,
/// so each name and alias resolves to 127.0.0.1 and the values that use them keep working.
fn links(c: &ContainerDefinition, at: &str, pod: &mut PodSpec, findings: &mut Findings) {
    if c.links.is_empty() {
        return;
    }
    let (mut carried, mut invalid) = (Vec::new(), Vec::new());
    for link in &c.links {
        for name in link.split(':').map(str::trim).filter(|n| !n.is_empty()) {
            // /etc/hosts lookups ignore case; hostAliases take DNS-1123 subdomains only.
            let host = name.to_ascii_lowercase();
            if names::is_dns_subdomain(&host) {
                host_alias(pod, "127.0.0.1", &host);
                carried.push(host);
            } else {
                invalid.push(name.to_string());
            }
        }
    }
    let mut message = String::new();
    if !carried.is_empty() {
        let verb = if carried.len() == 1 {
            "resolves"
        } else {
            "resolve"
        };
        message = format!("{} {verb} to 127.0.0.1 (hostAliases)", carried.join(", "));
    }
    if !invalid.is_empty() {
        let sep = if message.is_empty() { "" } else { "; " };
        message = format!(
            "{message}{sep}{} cannot be a host alias: replace it with localhost where it is used",
            invalid.join(", ")
        );
    }
    findings.push(Code::Links, join(at, "links"), message);
}

fn dns_servers_finding(servers: &[String], at: &str, replace: bool, findings: &mut Findings) {
    let servers = servers.join(", ");
    let (code, message) = match replace {
        true => (
            Code::DnsReplaced,
            format!("the pod asks only {servers} (dnsPolicy None), as Docker's --dns did"),
        ),
        false => (
            Code::DnsServers,
            format!(
                "{servers} come after the cluster DNS: a name only they answer fails as soon as the cluster DNS says NXDOMAIN; forward their zones with a CoreDNS `forward` block"
            ),
        ),
    };
    findings.push(code, join(at, "dnsServers"), message);
}

/// Docker labels become pod annotations. Labels are per container in ECS, annotations per pod:
/// a clash is said, never settled silently, and the essential container's value wins (of equals,
/// the earlier container's: the task's main container comes first). Values are not printed
/// (labels may hold anything).
fn docker_labels(
    td: &TaskDefinition,
    td_path: &str,
    annotations: &mut Map,
    findings: &mut Findings,
) {
    // Per key: the index of the container whose value is kept.
    let mut kept: std::collections::BTreeMap<&str, usize> = Default::default();
    let essential = |i: usize| td.container_definitions[i].essential != Some(false);
    for (i, c) in td.container_definitions.iter().enumerate() {
        let at = path(td, td_path, i);
        for (key, value) in &c.docker_labels {
            if !is_annotation_key(key) {
                findings.push(
                    Code::DockerLabelKey,
                    join(&at, "dockerLabels"),
                    format!("label {key:?} is not a valid annotation key"),
                );
                continue;
            }
            let Some(&earlier) = kept.get(key.as_str()) else {
                kept.insert(key, i);
                annotations.insert(key.clone(), value.clone());
                continue;
            };
            if annotations.get(key) == Some(value) {
                continue;
            }
            let winner = if essential(i) && !essential(earlier) {
                i
            } else {
                earlier
            };
            if winner == i {
                kept.insert(key, i);
                annotations.insert(key.clone(), value.clone());
            }
            let name = |j: usize| td.container_definitions[j].name.as_deref().unwrap_or("");
            findings.push(
                Code::DockerLabelConflict,
                join(&at, "dockerLabels"),
                format!(
                    "label {key:?} is set by containers {:?} and {:?} to different values; container {:?}'s value was kept",
                    name(earlier),
                    name(i),
                    name(winner)
                ),
            );
        }
    }
}

/// A Kubernetes annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most
/// 63 alphanumerics, `-`, `_`, `.`, starting and ending alphanumeric.
pub fn is_annotation_key(key: &str) -> bool {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    let prefix_ok = prefix.is_none_or(names::is_dns_subdomain);
    name_ok && prefix_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users() {
        assert_eq!(parse_user("1000"), (Some(Ok(1000)), None));
        assert_eq!(parse_user("1000:2000"), (Some(Ok(1000)), Some(Ok(2000))));
        assert_eq!(parse_user("root"), (Some(Ok(0)), None));
        assert_eq!(
            parse_user("nginx:nginx"),
            (Some(Err("nginx".into())), Some(Err("nginx".into())))
        );
    }

    fn pod_level_of(td: serde_json::Value, dns_replace: bool) -> (PodSpec, Map, Findings) {
        let td: TaskDefinition = serde_json::from_value(td).unwrap();
        let (mut pod, mut annotations, mut findings) =
            (PodSpec::default(), Map::new(), Findings::default());
        pod_level(
            &td,
            "taskDefinition",
            dns_replace,
            &mut pod,
            &mut annotations,
            &mut findings,
        );
        (pod, annotations, findings)
    }

    /// Two containers with one label key: the same value is one annotation, a different value is
    /// a finding that names the key but not the values; the essential container's value wins,
    /// of equals the earlier one's.
    #[test]
    fn docker_labels_that_clash_are_reported() {
        let (_, annotations, findings) = pod_level_of(
            serde_json::json!({
                "family": "web",
                "containerDefinitions": [
                    {"name": "agent", "essential": false, "dockerLabels": {"service": "agent"}},
                    {"name": "app", "dockerLabels": {"team": "shop", "tier": "secret-ish-1", "service": "web"}},
                    {"name": "envoy", "dockerLabels": {"team": "shop", "tier": "secret-ish-2"}}
                ]
            }),
            false,
        );
        assert_eq!(annotations["team"], "shop");
        assert_eq!(annotations["tier"], "secret-ish-1");
        assert_eq!(annotations["service"], "web");
        assert_eq!(
            findings.code_fields(),
            [
                (
                    Code::DockerLabelConflict,
                    "taskDefinition.containerDefinitions[1].dockerLabels"
                ),
                (
                    Code::DockerLabelConflict,
                    "taskDefinition.containerDefinitions[2].dockerLabels"
                )
            ]
        );
        assert!(findings.list[0].message.contains("\"service\""));
        assert!(
            findings.list[0]
                .message
                .ends_with("container \"app\"'s value was kept")
        );
        assert!(findings.list[1].message.contains("\"tier\""));
        assert!(!findings.list[1].message.contains("secret-ish"));
    }

    /// `links` resolve in the pod: each name and alias is a host alias of 127.0.0.1, merged with
    /// the extraHosts of that address.
    #[test]
    fn links_become_host_aliases_of_localhost() {
        let (pod, _, findings) = pod_level_of(
            serde_json::json!({
                "family": "web",
                "containerDefinitions": [
                    {"name": "app", "links": ["log-shipper:logs", "Envoy", "bad_name"],
                     "extraHosts": [{"hostname": "local.test", "ipAddress": "127.0.0.1"},
                                    {"hostname": "db", "ipAddress": "10.0.0.5"}]},
                    {"name": "log-shipper"}, {"name": "Envoy"}
                ]
            }),
            false,
        );
        let aliases: Vec<(&str, Vec<&str>)> = pod
            .host_aliases
            .iter()
            .map(|a| {
                (
                    a.ip.as_str(),
                    a.hostnames.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            aliases,
            [
                (
                    "127.0.0.1",
                    vec!["local.test", "log-shipper", "logs", "envoy"]
                ),
                ("10.0.0.5", vec!["db"])
            ]
        );
        assert_eq!(
            findings.code_fields(),
            [(Code::Links, "taskDefinition.containerDefinitions[0].links")]
        );
        assert!(
            findings.list[0]
                .message
                .contains("bad_name cannot be a host alias")
        );
    }

    /// dnsServers: appended after the cluster DNS with a warning, or (dns.replace) the pod's only
    /// servers with dnsPolicy None.
    #[test]
    fn dns_servers_are_appended_or_replace_the_cluster_dns() {
        let td = serde_json::json!({
            "family": "web",
            "containerDefinitions": [{"name": "app", "dnsServers": ["10.0.0.2"], "dnsSearchDomains": ["corp.example"]}]
        });
        let (pod, _, findings) = pod_level_of(td.clone(), false);
        assert_eq!(pod.dns_policy, None);
        assert_eq!(pod.dns_config.unwrap().nameservers, ["10.0.0.2"]);
        assert_eq!(findings.list[0].code, Code::DnsServers);
        assert_eq!(
            findings.list[0].severity,
            crate::diagnostics::Severity::Warning
        );
        assert!(findings.list[0].message.contains("CoreDNS `forward`"));
        let (pod, _, findings) = pod_level_of(td, true);
        assert_eq!(pod.dns_policy, Some("None"));
        let dns = pod.dns_config.unwrap();
        assert_eq!(
            (dns.nameservers, dns.searches),
            (
                vec!["10.0.0.2".to_string()],
                vec!["corp.example".to_string()]
            )
        );
        assert_eq!(findings.list[0].code, Code::DnsReplaced);
    }

    /// Images CI fills in become a placeholder Kustomize sets; real and partly templated images
    /// stay.
    #[test]
    fn images_filled_in_by_ci_become_placeholders() {
        for image in [
            "",
            "<IMAGE>",
            "${IMAGE_URI}",
            "{{ .Image }}",
            "%IMAGE%",
            "$$$IMAGE$$$",
        ] {
            assert!(is_ci_image(image), "{image}");
        }
        for image in [
            "nginx:1.25",
            "repo:${TAG}",
            "<a>/<b>",
            "111.dkr.ecr.eu-west-1.amazonaws.com/web:1",
        ] {
            assert!(!is_ci_image(image), "{image}");
        }
        let c: ContainerDefinition =
            serde_json::from_value(serde_json::json!({"name": "app", "image": "${IMAGE}"}))
                .unwrap();
        let mut f = Findings::default();
        f.push(
            Code::Placeholder,
            "containerDefinitions[0].image",
            "placeholder",
        );
        let image = image_placeholder(&c, ("web", "app"), "containerDefinitions[0]", &mut f);
        assert_eq!(image.as_deref(), Some("placeholder.invalid/web/app"));
        assert_eq!(
            f.code_fields(),
            [(Code::ImagePlaceholder, "containerDefinitions[0].image")]
        );
    }

    /// `entryPoint: [""]` clears the image's entrypoint: the command is the container's whole
    /// command; `$(` and `$$` reach the process as written.
    #[test]
    fn cleared_entrypoints_and_dollars() {
        let c: ContainerDefinition = serde_json::from_value(serde_json::json!({
            "name": "app", "image": "x", "entryPoint": [""],
            "command": ["sh", "-c", "echo $(date) $$ $HOME"],
            "environment": [{"name": "PRICE", "value": "$$5"}, {"name": "HOME_DIR", "value": "$HOME"}]
        }))
        .unwrap();
        let mut findings = Findings::default();
        let k = container(&c, "app", "c", &mut findings);
        assert_eq!(k.command, ["sh", "-c", "echo $$(date) $$$$ $$HOME"]);
        assert!(k.args.is_empty());
        assert_eq!(k.env[0].value.as_deref(), Some("$HOME"));
        assert_eq!(k.env[1].value.as_deref(), Some("$$$$5"));
        assert!(findings.list.is_empty());
        let bare: ContainerDefinition =
            serde_json::from_value(serde_json::json!({"name": "a", "entryPoint": ["", ""]}))
                .unwrap();
        let k = container(&bare, "a", "c", &mut findings);
        assert!(k.command.is_empty() && k.args.is_empty());
        assert_eq!(
            findings.code_fields(),
            [(Code::EntryPointCleared, "c.entryPoint")]
        );
    }

    /// Privileged containers and capabilities beyond the baseline need a Pod Security exception;
    /// a gMSA credential spec names the GMSACredentialSpec.
    #[test]
    fn privileged_and_gmsa() {
        let c: ContainerDefinition = serde_json::from_value(serde_json::json!({
            "name": "app", "privileged": true,
            "linuxParameters": {"capabilities": {"add": ["NET_BIND_SERVICE", "SYS_ADMIN", "CAP_NET_ADMIN"]}},
            "credentialSpecs": ["credentialspec:arn:aws:s3:::bucket/specs/WebApp01.json"]
        }))
        .unwrap();
        let mut findings = Findings::default();
        let sc = security_context(&c, "c", &mut findings).unwrap();
        assert_eq!(
            sc.windows_options.unwrap().gmsa_credential_spec_name,
            "web-app01"
        );
        assert_eq!(
            findings.code_fields(),
            [
                (Code::PrivilegedContainer, "c.privileged"),
                (
                    Code::PrivilegedContainer,
                    "c.linuxParameters.capabilities.add"
                ),
                (Code::CredentialSpecs, "c.credentialSpecs"),
            ]
        );
        assert!(findings.list[1].message.contains("SYS_ADMIN, NET_ADMIN"));
    }

    /// A bridge task's static host port is reported even when it equals the container port.
    #[test]
    fn static_host_ports_of_bridge_tasks_are_reported() {
        let c: ContainerDefinition = serde_json::from_value(serde_json::json!({
            "name": "web", "portMappings": [{"containerPort": 80, "hostPort": 80}, {"containerPort": 81, "hostPort": 0}]
        }))
        .unwrap();
        for (mode, reported) in [("bridge", 1), ("awsvpc", 0), ("host", 0)] {
            let mut findings = Findings::default();
            ports(&c, "c", mode, &mut Vec::new(), &mut findings);
            assert_eq!(findings.list.len(), reported, "{mode}");
        }
    }

    #[test]
    fn annotation_keys() {
        assert!(is_annotation_key("com.datadoghq.ad.instances"));
        assert!(is_annotation_key("example.com/team"));
        assert!(!is_annotation_key("has space"));
        assert!(!is_annotation_key("Example.COM/x"));
    }
}
