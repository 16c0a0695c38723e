//! The stdout stream: every object of every workload as one multi-document YAML, ready for
//! `kubectl apply -f -`.

use super::{Apps, yaml};
use crate::mappings::Mappings;
use crate::model::k8s::Object;
use crate::model::target::{Conversion, Translated};
use std::sync::Mutex;

/// Every workload's objects, kept by their position in the conversion's order as the apps come
/// (for the stream, and for tests that read objects).
#[derive(Default)]
pub struct Objects(Mutex<Vec<(usize, Vec<Object>)>>);

impl Apps for Objects {
    fn app(&self, first: usize, app: &mut [Translated]) {
        let mut all = self.0.lock().expect("no conversion panics");
        for (i, t) in app.iter_mut().enumerate() {
            all.push((first + i, std::mem::take(&mut t.objects)));
        }
    }
}

impl Objects {
    /// The objects of each of the conversion's `n` workloads, in its order.
    pub fn into_list(self, n: usize) -> Vec<Vec<Object>> {
        let mut out = vec![Vec::new(); n];
        for (i, objects) in self.0.into_inner().expect("no conversion panics") {
            out[i] = objects;
        }
        out
    }
}

/// The shared ClusterSecretStores and IngressGroups' classes first (once each), the apps' Fluent
/// Bit outputs (one ConfigMap each), then every workload's objects.
pub fn render(conversion: &Conversion, objects: &[Vec<Object>], mappings: &Mappings) -> String {
    let shared = conversion
        .secret_stores
        .iter()
        .chain(&conversion.ingress_classes)
        .map(|s| &s.object);
    let outputs = super::logging::per_app(&conversion.workloads, mappings);
    yaml::documents(shared.chain(&outputs).chain(objects.iter().flatten()))
}
