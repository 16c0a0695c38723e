//! The stdout stream: every object of every workload as one multi-document YAML, ready for
//! `kubectl apply -f -`.

use super::yaml;
use crate::translate::Conversion;

pub fn render(conversion: &Conversion) -> String {
    // Shared ClusterSecretStores first (once each), then every workload's objects. A conversion
    // printed whole holds the stores' namespaces in memory: reading them cannot fail.
    let stores: Vec<_> = conversion
        .secret_stores
        .iter()
        .map(|s| s.with_namespaces().expect("namespaces in memory"))
        .collect();
    let objects: Vec<_> = stores
        .iter()
        .chain(
            conversion
                .workloads
                .in_memory()
                .flat_map(|w| w.objects.iter()),
        )
        .collect();
    yaml::documents(objects)
}
