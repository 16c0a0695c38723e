//! The stdout stream: every object of every workload as one multi-document YAML, ready for
//! `kubectl apply -f -`.

use super::yaml;
use crate::translate::Conversion;

pub fn render(conversion: &Conversion) -> String {
    let objects: Vec<_> = conversion
        .workloads
        .iter()
        .flat_map(|w| w.objects.iter())
        .collect();
    yaml::documents(objects)
}
