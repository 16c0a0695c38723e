//! The read model: what `import` hands on, and what translation reads besides each workload's own
//! task definition and service.
//!
//! Every value remembers the file and JSON path it came from, so findings and errors speak the
//! user's language. Task definitions and services, the bulk of a large run, are held by identity
//! (`Located`) between the read that plans the apps and the read that converts them: the driver
//! reads each again whole (`import::read_again`) when its app is converted.

use crate::diagnostics::Finding;
use crate::error::InputError;
use crate::model::aws::{
    CloudMapNamespace, CloudMapService, EventRule, RuleTargets, ScalableTarget, ScalingPolicy,
    Schedule, ScheduledAction, SecurityGroup,
};
use crate::model::ecs::{ServiceIdentity, TaskDefinitionIdentity};
use crate::model::elbv2::{Listener, LoadBalancer, Rule, TargetGroup};
use crate::model::iam::{ManagedPolicy, Role};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

/// A value read from an input, with where it came from.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    /// The file, as the user named it.
    pub input: String,
    /// JSON path of the value inside the file ("" for the whole file).
    pub path: String,
    pub value: T,
    /// Findings about the value as read: fields Kubernetes cannot express or the ECS API does not
    /// know (checked against `model::fields`, so the raw JSON need not be kept), and the wrapper
    /// around it (e.g. describe output's `tags`).
    pub findings: Vec<Finding>,
}

/// A task definition or service between its two reads: where it is, and its identity (what
/// matches services to task definitions and groups them into apps).
#[derive(Debug, Clone)]
pub struct Located<I> {
    /// The file, as the user named it.
    pub input: Box<str>,
    /// JSON path of the value inside the file ("" for the whole file).
    pub path: Box<str>,
    pub id: I,
    /// The file's bytes when it cannot be read twice (a pipe such as `<(aws ecs …)`); None: the
    /// second read opens the file again.
    pub kept: Option<Arc<[u8]>>,
}

/// Everything read from the inputs, in a stable order (files sorted, then position in file).
#[derive(Debug, Default)]
pub struct Inputs {
    pub task_definitions: Vec<Located<TaskDefinitionIdentity>>,
    pub services: Vec<Located<ServiceIdentity>>,
    /// `failures` entries of describe-services output.
    pub service_failures: Vec<Sourced<Value>>,
    /// IAM roles (get-account-authorization-details, get-role).
    pub roles: Vec<Sourced<Role>>,
    /// Managed policies with their versions (get-account-authorization-details).
    pub managed_policies: Vec<Sourced<ManagedPolicy>>,
    /// `aws elbv2 describe-*` output: what the services' `loadBalancers` point at.
    pub load_balancers: Vec<Sourced<LoadBalancer>>,
    pub listeners: Vec<Sourced<Listener>>,
    pub rules: Vec<Sourced<Rule>>,
    pub target_groups: Vec<Sourced<TargetGroup>>,
    /// Application Auto Scaling scalable targets of ECS services.
    pub scalable_targets: Vec<Sourced<ScalableTarget>>,
    pub scaling_policies: Vec<Sourced<ScalingPolicy>>,
    pub scheduled_actions: Vec<Sourced<ScheduledAction>>,
    /// EventBridge rules (`list-rules`) and their targets (`list-targets-by-rule`, wrapped).
    pub event_rules: Vec<Sourced<EventRule>>,
    pub rule_targets: Vec<Sourced<RuleTargets>>,
    /// EventBridge Scheduler schedules (`get-schedule`).
    pub schedules: Vec<Sourced<Schedule>>,
    /// Cloud Map namespaces (`aws servicediscovery list-namespaces`) and services
    /// (`list-services`): the names services register and call.
    pub cloud_map_namespaces: Vec<Sourced<CloudMapNamespace>>,
    pub cloud_map_services: Vec<Sourced<CloudMapService>>,
    /// EC2 security groups (`aws ec2 describe-security-groups`): the VPC of each group the
    /// services name.
    pub security_groups: Vec<Sourced<SecurityGroup>>,
    pub errors: Vec<InputError>,
    /// Built on the first lookup, once every input is read.
    index: OnceLock<Index>,
}

/// Positions of inputs by the key other inputs name them by (an ARN, a role name), each list in
/// the order read: every lookup of a large run is a map access, never a walk over a kind.
#[derive(Debug, Default)]
struct Index {
    target_groups: HashMap<String, Vec<u32>>,
    load_balancers: HashMap<String, Vec<u32>>,
    listeners_of_load_balancer: HashMap<String, Vec<u32>>,
    rules_of_listener: HashMap<String, Vec<u32>>,
    rules: HashMap<String, Vec<u32>>,
    /// By role name, lowercased (IAM role names are case-insensitive).
    roles: HashMap<String, Vec<u32>>,
    managed_policies: HashMap<String, Vec<u32>>,
    /// Cloud Map namespaces and services by id and by ARN.
    cloud_map_namespaces: HashMap<String, Vec<u32>>,
    cloud_map_services: HashMap<String, Vec<u32>>,
    /// Security groups by group id.
    security_groups: HashMap<String, Vec<u32>>,
}

/// Files `key` under `at` in `map`, when there is a key.
fn file_under(map: &mut HashMap<String, Vec<u32>>, key: Option<&str>, at: usize) {
    if let Some(key) = key {
        let at = u32::try_from(at).expect("fewer than 4 billion inputs of a kind");
        map.entry(key.to_string()).or_default().push(at);
    }
}

impl Index {
    fn new(inputs: &Inputs) -> Index {
        let mut index = Index::default();
        for (i, t) in inputs.target_groups.iter().enumerate() {
            file_under(
                &mut index.target_groups,
                t.value.target_group_arn.as_deref(),
                i,
            );
        }
        for (i, l) in inputs.load_balancers.iter().enumerate() {
            file_under(
                &mut index.load_balancers,
                l.value.load_balancer_arn.as_deref(),
                i,
            );
        }
        for (i, l) in inputs.listeners.iter().enumerate() {
            let lb = l.value.load_balancer_arn.as_deref();
            file_under(&mut index.listeners_of_load_balancer, lb, i);
        }
        for (i, r) in inputs.rules.iter().enumerate() {
            let listener = r.value.listener_arn();
            file_under(&mut index.rules_of_listener, listener.as_deref(), i);
            file_under(&mut index.rules, r.value.rule_arn.as_deref(), i);
        }
        for (i, r) in inputs.roles.iter().enumerate() {
            let name = r
                .value
                .account_and_name()
                .map(|(_, n)| n.to_ascii_lowercase());
            file_under(&mut index.roles, name.as_deref(), i);
        }
        for (i, p) in inputs.managed_policies.iter().enumerate() {
            file_under(&mut index.managed_policies, p.value.arn.as_deref(), i);
        }
        for (i, n) in inputs.cloud_map_namespaces.iter().enumerate() {
            file_under(&mut index.cloud_map_namespaces, n.value.id.as_deref(), i);
            file_under(&mut index.cloud_map_namespaces, n.value.arn.as_deref(), i);
        }
        for (i, s) in inputs.cloud_map_services.iter().enumerate() {
            file_under(&mut index.cloud_map_services, s.value.id.as_deref(), i);
            file_under(&mut index.cloud_map_services, s.value.arn.as_deref(), i);
        }
        for (i, g) in inputs.security_groups.iter().enumerate() {
            file_under(&mut index.security_groups, g.value.group_id.as_deref(), i);
        }
        index
    }
}

/// The entries of `list` at `positions`.
fn at<'a, T>(list: &'a [T], positions: Option<&'a Vec<u32>>) -> impl Iterator<Item = &'a T> + 'a {
    positions
        .into_iter()
        .flatten()
        .map(move |&i| &list[i as usize])
}

impl Inputs {
    fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::new(self))
    }

    /// The target groups with this ARN, in the order read.
    pub fn target_groups_at<'a>(
        &'a self,
        arn: &str,
    ) -> impl Iterator<Item = &'a Sourced<TargetGroup>> + 'a {
        at(&self.target_groups, self.index().target_groups.get(arn))
    }

    /// The load balancers with this ARN, in the order read.
    pub fn load_balancers_at<'a>(
        &'a self,
        arn: &str,
    ) -> impl Iterator<Item = &'a Sourced<LoadBalancer>> + 'a {
        at(&self.load_balancers, self.index().load_balancers.get(arn))
    }

    /// The listeners of the load balancer with this ARN, in the order read.
    pub fn listeners_of<'a>(
        &'a self,
        load_balancer_arn: &str,
    ) -> impl Iterator<Item = &'a Sourced<Listener>> + 'a {
        let index = self.index();
        at(
            &self.listeners,
            index.listeners_of_load_balancer.get(load_balancer_arn),
        )
    }

    /// The rules of the listener with this ARN, in the order read.
    pub fn rules_of<'a>(
        &'a self,
        listener_arn: &str,
    ) -> impl Iterator<Item = &'a Sourced<Rule>> + 'a {
        at(
            &self.rules,
            self.index().rules_of_listener.get(listener_arn),
        )
    }

    /// The rules with this ARN, in the order read.
    pub fn rules_at<'a>(&'a self, arn: &str) -> impl Iterator<Item = &'a Sourced<Rule>> + 'a {
        at(&self.rules, self.index().rules.get(arn))
    }

    /// Positions in `roles` of the roles named `name` (any case), in the order read.
    pub fn roles_named(&self, name: &str) -> &[u32] {
        self.index()
            .roles
            .get(&name.to_ascii_lowercase())
            .map_or(&[], Vec::as_slice)
    }

    /// The first managed policy read with this ARN.
    pub fn managed_policy_at(&self, arn: &str) -> Option<&Sourced<ManagedPolicy>> {
        at(
            &self.managed_policies,
            self.index().managed_policies.get(arn),
        )
        .next()
    }

    /// The first Cloud Map namespace read with this id or ARN.
    pub fn cloud_map_namespace(&self, id_or_arn: &str) -> Option<&Sourced<CloudMapNamespace>> {
        let index = self.index();
        at(
            &self.cloud_map_namespaces,
            index.cloud_map_namespaces.get(id_or_arn),
        )
        .next()
    }

    /// The first Cloud Map service read with this id or ARN.
    pub fn cloud_map_service(&self, id_or_arn: &str) -> Option<&Sourced<CloudMapService>> {
        let index = self.index();
        at(
            &self.cloud_map_services,
            index.cloud_map_services.get(id_or_arn),
        )
        .next()
    }

    /// The first security group read with this id.
    pub fn security_group(&self, id: &str) -> Option<&Sourced<SecurityGroup>> {
        at(&self.security_groups, self.index().security_groups.get(id)).next()
    }

    /// What the IAM plan reads: the roles and managed policies (the rest is dropped).
    pub fn iam_only(self) -> Inputs {
        Inputs {
            roles: self.roles,
            managed_policies: self.managed_policies,
            ..Inputs::default()
        }
    }

    /// Everything read from several inputs, in their order.
    pub fn concat(parts: Vec<Inputs>) -> Inputs {
        let mut all = Inputs::default();
        for part in parts {
            all.append(part);
        }
        all
    }

    /// Appends what `other` holds, kind by kind.
    pub fn append(&mut self, other: Inputs) {
        // Every field by name: a new kind of input cannot be forgotten here.
        let Inputs {
            task_definitions,
            services,
            service_failures,
            roles,
            managed_policies,
            load_balancers,
            listeners,
            rules,
            target_groups,
            scalable_targets,
            scaling_policies,
            scheduled_actions,
            event_rules,
            rule_targets,
            schedules,
            cloud_map_namespaces,
            cloud_map_services,
            security_groups,
            errors,
            index: _,
        } = other;
        debug_assert!(self.index.get().is_none(), "appended to after a lookup");
        self.task_definitions.extend(task_definitions);
        self.services.extend(services);
        self.service_failures.extend(service_failures);
        self.roles.extend(roles);
        self.managed_policies.extend(managed_policies);
        self.load_balancers.extend(load_balancers);
        self.listeners.extend(listeners);
        self.rules.extend(rules);
        self.target_groups.extend(target_groups);
        self.scalable_targets.extend(scalable_targets);
        self.scaling_policies.extend(scaling_policies);
        self.scheduled_actions.extend(scheduled_actions);
        self.event_rules.extend(event_rules);
        self.rule_targets.extend(rule_targets);
        self.schedules.extend(schedules);
        self.cloud_map_namespaces.extend(cloud_map_namespaces);
        self.cloud_map_services.extend(cloud_map_services);
        self.security_groups.extend(security_groups);
        self.errors.extend(errors);
    }
}
