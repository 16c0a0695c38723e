//! Platform sharing: the cluster-scoped objects apps share (ClusterSecretStores; the fenced
//! IngressClasses and IngressClassParams of the IngressGroups) must each have one owner, so no two
//! apps' overlays may hold one (Argo CD apps would fight over it, and pruning one app would delete
//! it under the others). Each app's are taken out as the app is converted (`SharedPool::take`)
//! and shared once every app is (`SharedPool::share`): one object per cluster, kind and name;
//! a store is then limited to the namespaces that use it (`share_stores`). Environments deployed
//! to one cluster (one Argo CD destination) share its objects: each is written once, in the
//! folder of its first user's environment, whose Application owns it.
//!
//! Apps are converted in parallel, so their objects reach the pool in any order: the object kept
//! is the first user's (by the conversion's order), every app whose object differs gets the
//! pool's conflict finding in the workloads' order, and a failed workload's objects are dropped.

use super::secret_access::{Grouping, Reader};
use crate::diagnostics::{Code, Finding};
use crate::model::k8s::Object;
use crate::model::target::cluster::Clusters;
use crate::model::target::facts::StoreUse;
use crate::model::target::secrets::SecretRead;
use crate::model::target::{SharedObject, Translated, Workload};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// The kinds of the ClusterSecretStores' pool.
pub const STORES: &[&str] = &["ClusterSecretStore"];
/// The kinds of the IngressGroups' classes' pool.
pub const INGRESS_CLASSES: &[&str] = &["IngressClass", "IngressClassParams"];

/// The shared objects of some kinds, of the apps converted so far, per (cluster, kind, name).
pub struct SharedPool {
    kinds: &'static [&'static str],
    /// The finding of an app whose object differs from the one kept.
    conflict: Code,
    objects: Mutex<BTreeMap<(String, &'static str, String), Pooled>>,
}

/// One object name of one cluster: each different version, with who uses it, and the
/// namespaces of all its users.
struct Pooled {
    variants: Vec<Variant>,
    namespaces: BTreeSet<String>,
}

struct Variant {
    /// The object as the first of its users (by position) made it; the objects of one variant
    /// differ only in their labels.
    object: Object,
    first: usize,
    /// The environment of the first user.
    environment: String,
    users: Vec<usize>,
}

/// Two objects are one variant when their bodies and annotations agree.
fn same(a: &Object, b: &Object) -> bool {
    a.body() == b.body() && a.metadata.annotations == b.metadata.annotations
}

impl SharedPool {
    /// A pool of `kinds`, whose differing objects get `conflict`.
    pub fn new(kinds: &'static [&'static str], conflict: Code) -> SharedPool {
        SharedPool {
            kinds,
            conflict,
            objects: Mutex::new(BTreeMap::new()),
        }
    }

    /// Takes the objects of the pool's kinds out of one app's translations, whose first workload
    /// is at `first` in the conversion's order.
    pub fn take(&self, first: usize, app: &mut [Translated], clusters: &Clusters) {
        for (i, t) in app.iter_mut().enumerate() {
            let (shared, rest): (Vec<Object>, Vec<Object>) = std::mem::take(&mut t.objects)
                .into_iter()
                .partition(|o| self.kinds.contains(&o.kind));
            t.objects = rest;
            let w = &t.workload;
            if w.failed() || shared.is_empty() {
                continue;
            }
            let user = first + i;
            let mut pool = self.objects.lock().expect("no conversion panics");
            for object in shared {
                let key = (
                    clusters.deployed_to(&w.environment).to_string(),
                    object.kind,
                    object.metadata.name.clone(),
                );
                let pooled = pool.entry(key).or_insert_with(|| Pooled {
                    variants: Vec::new(),
                    namespaces: BTreeSet::new(),
                });
                pooled.namespaces.insert(w.namespace.clone());
                match pooled
                    .variants
                    .iter_mut()
                    .find(|v| same(&v.object, &object))
                {
                    Some(v) => {
                        if user < v.first {
                            (v.object, v.first) = (object, user);
                            v.environment = w.environment.clone();
                        }
                        v.users.push(user);
                    }
                    None => pooled.variants.push(Variant {
                        object,
                        first: user,
                        environment: w.environment.clone(),
                        users: vec![user],
                    }),
                }
            }
        }
    }

    /// One object per cluster, kind and name, sorted by the environment that owns it, kind and
    /// name, each with the namespaces of the apps that use it. The users of the variants not kept get the conflict finding.
    pub fn share(self, workloads: &mut [Workload]) -> Vec<(SharedObject, BTreeSet<String>)> {
        let pool = self.objects.into_inner().expect("no conversion panics");
        let mut conflicts: Vec<(usize, &str, String)> = Vec::new();
        let mut shared = Vec::new();
        for ((_, kind, name), pooled) in pool {
            let Pooled {
                mut variants,
                namespaces,
            } = pooled;
            let Some(kept) = (0..variants.len()).min_by_key(|&k| variants[k].first) else {
                continue;
            };
            for (_, v) in variants.iter().enumerate().filter(|(k, _)| *k != kept) {
                conflicts.extend(v.users.iter().map(|&i| (i, kind, name.clone())));
            }
            let Variant {
                object,
                environment,
                ..
            } = variants.swap_remove(kept);
            shared.push((
                SharedObject {
                    environment,
                    object,
                },
                namespaces,
            ));
        }
        shared.sort_by(|(a, _), (b, _)| {
            let key = |s: &SharedObject| {
                (
                    s.environment.clone(),
                    s.object.kind,
                    s.object.metadata.name.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        // In the workloads' order, then the objects'.
        conflicts.sort();
        for (i, kind, name) in conflicts {
            let w = &mut workloads[i];
            let finding = Finding {
                input: w.inputs.last().map(|i| i.to_string()).unwrap_or_default(),
                ..Finding::new(
                    self.conflict,
                    "",
                    format!(
                        "{kind} {name} differs from the one another app made; the other was kept"
                    ),
                )
            };
            w.add_finding(finding);
        }
        shared
    }
}

/// The pooled ClusterSecretStores, each limited (`spec.conditions`) to the namespaces that use
/// it. The roles the stores assume go to `access`: ESO's role in the cluster's account may assume
/// them, and each is created trusting it.
pub fn share_stores(
    pool: SharedPool,
    workloads: &mut [Workload],
    access: &mut Grouping,
    clusters: &Clusters,
) -> Vec<SharedObject> {
    let mut stores = Vec::new();
    for (mut store, namespaces) in pool.share(workloads) {
        if let Some(spec) = store
            .object
            .body_mut()
            .get_mut("spec")
            .and_then(serde_json::Value::as_object_mut)
        {
            let conditions = serde_json::json!([{ "namespaces": namespaces }]);
            spec.insert("conditions".into(), conditions);
        }
        stores.push(store);
    }
    assume_roles(&stores, workloads, access, clusters);
    stores
}

/// ESO's role in each workload's cluster account must be allowed to assume its stores' roles,
/// and each role trusts the ESO role of the environments whose stores assume it.
fn assume_roles(
    stores: &[SharedObject],
    workloads: &[Workload],
    access: &mut Grouping,
    clusters: &Clusters,
) {
    let roles_of: BTreeMap<(&str, &str), &str> = stores
        .iter()
        .filter_map(|s| {
            let role = s.object.body()["spec"]["provider"]["aws"]["role"].as_str()?;
            let cluster = clusters.deployed_to(&s.environment);
            Some(((cluster, s.object.metadata.name.as_str()), role))
        })
        .collect();
    for w in workloads.iter().filter(|w| !w.failed()) {
        let mut roles = BTreeSet::new();
        for store in &w.facts.stores {
            match store {
                StoreUse::Own(role) => roles.extend(role.clone()),
                StoreUse::Shared(name) => {
                    let key = (clusters.deployed_to(&w.environment), name.as_str());
                    roles.extend(roles_of.get(&key).map(|r| r.to_string()));
                }
            }
        }
        let cluster = clusters.of(&w.environment);
        for role in &roles {
            access.reader_role(role, &w.environment);
        }
        let reads: Vec<SecretRead> = roles
            .into_iter()
            .map(|arn| SecretRead::AssumeRole {
                account: cluster.account(&w.account).to_string(),
                arn,
            })
            .collect();
        let reader = Reader {
            name: w.reader(),
            environment: &w.environment,
            account: &w.account,
            cluster,
            direct: false,
        };
        access.add(&reads, &reader);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::ObjectMeta;
    use serde_json::json;

    #[test]
    fn pooled_stores_are_shared_as_in_the_workloads_order() {
        let store = |region: &str, team: &str| {
            let mut meta = ObjectMeta {
                name: "aws-secrets-manager".into(),
                ..ObjectMeta::default()
            };
            meta.labels.insert("team".into(), team.into());
            Object::new(
                crate::translate::secrets::API_VERSION,
                "ClusterSecretStore",
                meta,
                json!({"spec": {"provider": {"aws": {"service": "SecretsManager", "region": region}}}}),
            )
        };
        let translated = |app: &str, region: &str, failed: bool| Translated {
            workload: Workload {
                app: app.into(),
                environment: "dev".into(),
                namespace: format!("{app}-dev"),
                account: "111111111111".into(),
                region: region.into(),
                inputs: vec![format!("{app}.json").into()],
                findings: match failed {
                    true => [Finding::new(Code::TaskDefinitionNotFound, "", "")]
                        .into_iter()
                        .collect(),
                    false => Default::default(),
                },
                ..Workload::default()
            },
            objects: vec![store(region, app)],
            ..Translated::default()
        };
        // Apps 0..3 in the conversion's order; 1 and 3 made a store in another region.
        let mut apps = vec![
            vec![translated("a", "eu-west-1", false)],
            vec![
                translated("b", "us-east-1", false),
                translated("b2", "eu-west-1", false),
            ],
            vec![translated("c", "eu-west-1", true)],
            vec![translated("d", "us-east-1", false)],
        ];
        let firsts = [0, 1, 3, 4];
        let pool = SharedPool::new(STORES, Code::StoreConflict);
        for g in [3, 1, 2, 0] {
            pool.take(firsts[g], &mut apps[g], &Clusters::default());
        }
        let translated: Vec<Translated> = apps.into_iter().flatten().collect();
        assert!(translated.iter().all(|t| t.objects.is_empty()));
        let mut workloads: Vec<Workload> = translated.into_iter().map(|t| t.workload).collect();
        let clusters = Clusters::default();
        let shared = share_stores(pool, &mut workloads, &mut Grouping::default(), &clusters);
        assert_eq!(shared.len(), 1);
        let kept = shared[0].object.body();
        assert_eq!(kept["spec"]["provider"]["aws"]["region"], "eu-west-1");
        assert_eq!(shared[0].object.metadata.labels["team"], "a");
        assert_eq!(
            kept["spec"]["conditions"][0]["namespaces"],
            json!(["a-dev", "b-dev", "b2-dev", "d-dev"])
        );
        let conflicted: Vec<&str> = workloads
            .iter()
            .filter(|w| w.findings.iter().any(|f| f.code == Code::StoreConflict))
            .map(|w| w.app.as_str())
            .collect();
        assert_eq!(conflicted, ["b", "d"]);
        assert_eq!(workloads[1].findings.iter().next().unwrap().input, "b.json");
    }

    /// The IngressClassParams of group `public` that ALB `arn` stands for.
    fn class_params(arn: &str) -> Object {
        let mut meta = ObjectMeta {
            name: "public".into(),
            ..ObjectMeta::default()
        };
        meta.annotations
            .insert("ecs2eks.io/source-load-balancer".into(), arn.into());
        Object::new(
            "elbv2.k8s.aws/v1beta1",
            "IngressClassParams",
            meta,
            json!({"spec": {"group": {"name": "public"}}}),
        )
    }

    /// Issue 18: two ALBs of one name in one environment would put their apps in one
    /// IngressGroup behind one fence; their classes differ in the ALB they stand for.
    #[test]
    fn ingress_classes_of_two_load_balancers_of_one_name_conflict() {
        let translated = |app: &str, arn: &str| Translated {
            workload: Workload {
                app: app.into(),
                environment: "prod".into(),
                namespace: format!("{app}-prod"),
                ..Workload::default()
            },
            objects: vec![class_params(arn)],
            ..Translated::default()
        };
        let pool = SharedPool::new(INGRESS_CLASSES, Code::IngressGroupConflict);
        let mut apps = [
            vec![translated("a", "arn:lb/1")],
            vec![translated("b", "arn:lb/2")],
            vec![translated("c", "arn:lb/1")],
        ];
        for (first, app) in apps.iter_mut().enumerate().rev() {
            pool.take(first, app, &Clusters::default());
        }
        let mut workloads: Vec<Workload> = apps.into_iter().flatten().map(|t| t.workload).collect();
        let shared = pool.share(&mut workloads);
        assert_eq!(shared.len(), 1);
        assert_eq!(
            shared[0].0.object.metadata.annotations["ecs2eks.io/source-load-balancer"],
            "arn:lb/1"
        );
        assert_eq!(
            shared[0].1,
            BTreeSet::from(["a-prod".into(), "b-prod".into(), "c-prod".into()])
        );
        let conflicted: Vec<&str> = workloads
            .iter()
            .filter(|w| w.findings.codes().any(|c| c == Code::IngressGroupConflict))
            .map(|w| w.app.as_str())
            .collect();
        assert_eq!(conflicted, ["b"]);
    }

    /// Issue 17: IngressClasses are cluster-scoped, so the ALBs of one name of two environments
    /// deployed to one cluster (one Argo CD destination) would share one IngressGroup; on two
    /// clusters each has its own.
    #[test]
    fn ingress_classes_are_shared_per_cluster_not_per_environment() {
        let translated = |env: &str, arn: &str| Translated {
            workload: Workload {
                app: "web".into(),
                environment: env.into(),
                namespace: format!("web-{env}"),
                ..Workload::default()
            },
            objects: vec![class_params(arn)],
            ..Translated::default()
        };
        let shared_by = |destinations: [&str; 2]| {
            let mut inventory = crate::inventory::Inventory::default();
            for (env, name) in ["dev", "prod"].into_iter().zip(destinations) {
                let destination = crate::mappings::Destination {
                    server: None,
                    name: Some(name.into()),
                };
                let e = crate::inventory::Environment {
                    destination: Some(destination),
                    ..Default::default()
                };
                inventory.environments.insert(env.into(), e);
            }
            let clusters = Clusters::new(&crate::mappings::Mappings::defaults(), Some(&inventory));
            let pool = SharedPool::new(INGRESS_CLASSES, Code::IngressGroupConflict);
            let mut apps = [
                vec![translated("dev", "arn:lb/dev")],
                vec![translated("prod", "arn:lb/prod")],
            ];
            for (first, app) in apps.iter_mut().enumerate() {
                pool.take(first, app, &clusters);
            }
            let mut workloads: Vec<Workload> =
                apps.into_iter().flatten().map(|t| t.workload).collect();
            let shared = pool.share(&mut workloads);
            let envs: Vec<String> = shared.iter().map(|(s, _)| s.environment.clone()).collect();
            let conflicted = workloads
                .iter()
                .filter(|w| w.findings.codes().any(|c| c == Code::IngressGroupConflict))
                .count();
            (envs, conflicted)
        };
        assert_eq!(shared_by(["eks", "eks"]), (vec!["dev".to_string()], 1));
        assert_eq!(
            shared_by(["eks-dev", "eks-prod"]),
            (vec!["dev".to_string(), "prod".to_string()], 0)
        );
    }
}
