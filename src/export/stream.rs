//! The stdout stream: every object of every workload as one multi-document YAML, ready for
//! `kubectl apply -f -`.

use super::yaml;
use crate::translate::Conversion;

pub fn render(conversion: &Conversion) -> String {
    // Shared ClusterSecretStores first (once each), then every workload's objects.
    let objects: Vec<_> = conversion
        .secret_stores
        .iter()
        .map(|s| &s.object)
        .chain(
            conversion
                .workloads
                .in_memory()
                .flat_map(|w| w.objects.iter()),
        )
        .collect();
    yaml::documents(objects)
}
