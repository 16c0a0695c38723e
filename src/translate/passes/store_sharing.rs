//! Store sharing: ClusterSecretStores are cluster-scoped, so no two apps' overlays may hold the
//! same one (Argo CD apps would fight over it). Each app's stores are taken out as the app is
//! converted (`StorePool::take`) and shared once every app is (`StorePool::share`): one store per
//! cluster and name, limited to the namespaces that use it. Environments deployed to one cluster
//! (one Argo CD destination) share its stores: the store is written once, in the folder of its
//! first user's environment.
//!
//! Apps are converted in parallel, so their stores reach the pool in any order: the store kept is
//! the first user's (by the conversion's order), every app whose store differs gets E2K408 in the
//! workloads' order, and a failed workload's stores are dropped.

use super::secret_access::{Grouping, Reader};
use crate::diagnostics::{Code, Finding};
use crate::model::k8s::Object;
use crate::model::target::cluster::Clusters;
use crate::model::target::facts::StoreUse;
use crate::model::target::secrets::{SecretRead, SharedStore};
use crate::model::target::{Translated, Workload};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// The ClusterSecretStores of the apps converted so far, per (cluster, store name).
#[derive(Default)]
pub struct StorePool {
    stores: Mutex<BTreeMap<(String, String), Pooled>>,
}

/// One store name of one cluster: each different body, with who uses it, and the namespaces of
/// all its users.
struct Pooled {
    variants: Vec<Variant>,
    namespaces: BTreeSet<String>,
}

struct Variant {
    /// The store as the first of its users (by position) made it; stores of one body differ only
    /// in labels and annotations.
    object: Object,
    first: usize,
    /// The environment of the first user.
    environment: String,
    users: Vec<usize>,
}

impl StorePool {
    /// Takes the ClusterSecretStores out of one app's translations, whose first workload is at
    /// `first` in the conversion's order.
    pub fn take(&self, first: usize, app: &mut [Translated], clusters: &Clusters) {
        for (i, t) in app.iter_mut().enumerate() {
            let (stores, rest): (Vec<Object>, Vec<Object>) = std::mem::take(&mut t.objects)
                .into_iter()
                .partition(|o| o.kind == "ClusterSecretStore");
            t.objects = rest;
            let w = &t.workload;
            if w.failed() || stores.is_empty() {
                continue;
            }
            let user = first + i;
            let mut pool = self.stores.lock().expect("no conversion panics");
            for store in stores {
                let cluster = clusters.deployed_to(&w.environment).to_string();
                let key = (cluster, store.metadata.name.clone());
                let pooled = pool.entry(key).or_insert_with(|| Pooled {
                    variants: Vec::new(),
                    namespaces: BTreeSet::new(),
                });
                pooled.namespaces.insert(w.namespace.clone());
                match pooled
                    .variants
                    .iter_mut()
                    .find(|v| v.object.body() == store.body())
                {
                    Some(v) => {
                        if user < v.first {
                            (v.object, v.first) = (store, user);
                            v.environment = w.environment.clone();
                        }
                        v.users.push(user);
                    }
                    None => pooled.variants.push(Variant {
                        object: store,
                        first: user,
                        environment: w.environment.clone(),
                        users: vec![user],
                    }),
                }
            }
        }
    }

    /// One list of stores per cluster, each limited to the namespaces that use it, sorted by
    /// the environment that owns it. The roles the stores assume go to `access`: ESO's role in
    /// the cluster's account may assume them, and each is created trusting it.
    pub fn share(
        self,
        workloads: &mut [Workload],
        access: &mut Grouping,
        clusters: &Clusters,
    ) -> Vec<SharedStore> {
        let pool = self.stores.into_inner().expect("no conversion panics");
        let mut conflicts: Vec<(usize, String)> = Vec::new();
        let mut stores: Vec<SharedStore> = Vec::new();
        for ((_, name), pooled) in pool {
            let Pooled {
                mut variants,
                namespaces,
            } = pooled;
            let Some(kept) = (0..variants.len()).min_by_key(|&k| variants[k].first) else {
                continue;
            };
            for (_, v) in variants.iter().enumerate().filter(|(k, _)| *k != kept) {
                conflicts.extend(v.users.iter().map(|&i| (i, name.clone())));
            }
            let Variant {
                mut object,
                environment,
                ..
            } = variants.swap_remove(kept);
            if let Some(spec) = object
                .body_mut()
                .get_mut("spec")
                .and_then(serde_json::Value::as_object_mut)
            {
                let conditions = serde_json::json!([{ "namespaces": namespaces }]);
                spec.insert("conditions".into(), conditions);
            }
            stores.push(SharedStore {
                environment,
                object,
            });
        }
        // In the workloads' order, then the stores' (their objects are sorted by name).
        conflicts.sort();
        for (i, name) in conflicts {
            let w = &mut workloads[i];
            let finding = Finding {
                input: w.inputs.last().cloned().unwrap_or_default(),
                ..Finding::new(
                    Code::StoreConflict,
                    "",
                    format!(
                        "ClusterSecretStore {name} differs from the one another app made; the other was kept"
                    ),
                )
            };
            w.add_finding(finding);
        }
        stores.sort_by(|a, b| {
            (&a.environment, &a.object.metadata.name)
                .cmp(&(&b.environment, &b.object.metadata.name))
        });
        assume_roles(&stores, workloads, access, clusters);
        stores
    }
}

/// ESO's role in each workload's cluster account must be allowed to assume its stores' roles,
/// and each role trusts the ESO role of the environments whose stores assume it.
fn assume_roles(
    stores: &[SharedStore],
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
                inputs: vec![format!("{app}.json")],
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
        let pool = StorePool::default();
        let clusters = Clusters::default();
        for g in [3, 1, 2, 0] {
            pool.take(firsts[g], &mut apps[g], &clusters);
        }
        let translated: Vec<Translated> = apps.into_iter().flatten().collect();
        assert!(translated.iter().all(|t| t.objects.is_empty()));
        let mut workloads: Vec<Workload> = translated.into_iter().map(|t| t.workload).collect();
        let shared = pool.share(&mut workloads, &mut Grouping::default(), &clusters);
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
}
