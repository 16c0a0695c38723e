//! The discovery names of the run, decided before any app is converted: every name a service
//! gives its clients on ECS (Service Connect aliases and discovery names, Cloud Map names the
//! `aws servicediscovery` inputs give) with the Kubernetes Service that now takes its traffic, so
//! that each workload's consumers of those names (`translate::calls`) can be rewritten.

use super::apps::{Job, Plan, service_name};
use crate::model::aws::CloudMapService;
use crate::model::read::Inputs;
use crate::model::target::DnsSource;
use crate::translate::discovery::{self, Resolved};
use crate::translate::{Identity, Naming, app_name};
use std::collections::{BTreeSet, HashMap};

/// Where a name's traffic goes in Kubernetes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub app: String,
    /// `<service>.<namespace>.svc.cluster.local`.
    pub host: String,
}

/// One service's claim on a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The environment of the service that registers the name.
    pub environment: String,
    pub source: DnsSource,
    /// None: not part of the run (its task definition is missing, it has no container port, or
    /// no ECS service of the run registers the Cloud Map service).
    pub target: Option<Target>,
    pub old_port: Option<i64>,
    pub new_port: Option<i64>,
}

/// The names, lowercased (DNS is case-insensitive), each with every service's claim on it.
#[derive(Debug, Default)]
pub struct Directory {
    by_name: HashMap<String, Vec<Entry>>,
}

impl Directory {
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The claims on `name` (any case) as a workload of `environment` sees them: its own
    /// environment's, else those of the one environment that has the name (a Cloud Map name is
    /// unique in its VPC, wherever its caller runs).
    pub fn lookup(&self, name: &str, environment: &str) -> &[Entry] {
        let Some(entries) = self.by_name.get(&name.to_ascii_lowercase()) else {
            return &[];
        };
        let own = entries.iter().position(|e| e.environment == environment);
        let only = entries
            .iter()
            .all(|e| e.environment == entries[0].environment);
        match (own, only) {
            (Some(first), _) => {
                let end = (first..entries.len())
                    .find(|&i| entries[i].environment != environment)
                    .unwrap_or(entries.len());
                &entries[first..end]
            }
            (None, true) => entries,
            (None, false) => &[],
        }
    }

    pub(crate) fn add(&mut self, name: &str, entry: Entry) {
        let entries = self.by_name.entry(name.to_ascii_lowercase()).or_default();
        if !entries.contains(&entry) {
            entries.push(entry);
            // Grouped by environment, for `lookup`; stable within one.
            entries.sort_by(|a, b| a.environment.cmp(&b.environment));
        }
    }
}

/// The directory of the run: the names of every planned service, then the Cloud Map services
/// of the inputs that none of them registers.
pub fn build(inputs: &Inputs, plan: &Plan<'_>, naming: Naming<'_>) -> Directory {
    let mut directory = Directory::default();
    let mut registered: BTreeSet<String> = BTreeSet::new();
    for job in plan.apps.iter().flatten() {
        let (td, k) = match *job {
            Job::Convert {
                task_definition,
                service: Some(k),
                ..
            } => (Some(&inputs.task_definitions[task_definition].id), k),
            Job::Missing(k) => (None, k),
            Job::Convert { service: None, .. } => continue,
        };
        let service = &inputs.services[k].id;
        if service.advertised.is_empty() {
            continue;
        }
        let id = Identity::of(td.map_or(&service.place, |td| &td.place), Some(service));
        let (environment, _) = naming.environment(&id.account);
        let target = td.and_then(|td| {
            let app = app_name(service_name(td, Some(service)), naming.mappings);
            let family = td.family.as_deref().unwrap_or("");
            let names = naming.names(&app, &environment, &id, family);
            let namespace = crate::model::names::render(&naming.mappings.names.namespace, &names);
            let host = discovery::service_host(&app, &namespace.ok()?);
            (!td.ports.is_empty()).then_some(Target { app, host })
        });
        let ports = td.map_or(&[][..], |td| &td.ports);
        for advertised in &service.advertised {
            let r: Resolved = discovery::resolve(advertised, ports, inputs);
            if !r.dns {
                continue;
            }
            if r.source == DnsSource::CloudMap {
                registered.insert(r.old.to_ascii_lowercase());
            }
            let entry = Entry {
                environment: environment.clone(),
                source: r.source,
                target: target.clone(),
                old_port: r.old_port,
                new_port: r.new_port,
            };
            directory.add(&r.old, entry);
        }
    }
    for service in &inputs.cloud_map_services {
        add_unregistered(&service.value, inputs, naming, &registered, &mut directory);
    }
    directory
}

/// A Cloud Map service no ECS service of the run registers (EC2 instances, another cluster):
/// its callers keep calling ECS-era infrastructure.
fn add_unregistered(
    service: &CloudMapService,
    inputs: &Inputs,
    naming: Naming<'_>,
    registered: &BTreeSet<String>,
    directory: &mut Directory,
) {
    let Some(name) = discovery::cloud_map_dns_name(service, inputs) else {
        return;
    };
    if registered.contains(&name.to_ascii_lowercase()) {
        return;
    }
    let account = service
        .arn
        .as_deref()
        .and_then(crate::model::ecs::Arn::parse)
        .map_or("", |a| a.account);
    let (environment, _) = naming.environment(account);
    let entry = Entry {
        environment,
        source: DnsSource::CloudMap,
        target: None,
        old_port: None,
        new_port: None,
    };
    directory.add(&name, entry);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(environment: &str, app: &str) -> Entry {
        Entry {
            environment: environment.into(),
            source: DnsSource::ServiceConnect,
            target: Some(Target {
                app: app.into(),
                host: format!("{app}.{app}-{environment}.svc.cluster.local"),
            }),
            old_port: Some(80),
            new_port: Some(8080),
        }
    }

    /// A name seen from an environment: that environment's claim, else the only environment's.
    #[test]
    fn names_are_looked_up_in_the_callers_environment_first() {
        let mut d = Directory::default();
        d.add("Payments", entry("prod", "payments"));
        d.add("payments", entry("dev", "payments"));
        d.add("catalog.shop.internal", entry("prod", "catalog"));
        assert_eq!(d.lookup("payments", "dev")[0].environment, "dev");
        assert_eq!(d.lookup("PAYMENTS", "prod")[0].environment, "prod");
        assert!(d.lookup("payments", "stg").is_empty());
        assert_eq!(d.lookup("catalog.shop.internal", "dev").len(), 1);
        assert!(d.lookup("unknown", "dev").is_empty());
    }
}
