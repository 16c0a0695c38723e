//! Mapping rules: how users steer the conversion, in YAML rather than flags.
//!
//! The defaults ship in `mappings/default.yaml`; a user's file is merged over them key by key and
//! then read strictly, so a misspelt key is an error naming its path, not a silent no-op.

use crate::error::Error;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

pub const DEFAULT_YAML: &str = include_str!("../mappings/default.yaml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Mappings {
    pub names: Names,
    pub default_environment: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    pub argocd: ArgoCd,
    #[serde(default)]
    pub schedules: Schedules,
    #[serde(default)]
    pub placement: Placement,
    #[serde(default)]
    pub discovery: Discovery,
}

/// Scheduled tasks (EventBridge rules and Scheduler schedules): what runs them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Schedules {
    pub kind: ScheduleKind,
    /// `Forbid`, `Allow` or `Replace`.
    pub concurrency_policy: ConcurrencyPolicy,
}

impl Default for Schedules {
    fn default() -> Self {
        Schedules {
            kind: ScheduleKind::CronJob,
            concurrency_policy: ConcurrencyPolicy::Forbid,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ScheduleKind {
    /// Kubernetes `batch/v1` CronJob.
    CronJob,
    /// Argo Workflows `argoproj.io/v1alpha1` CronWorkflow.
    CronWorkflow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum ConcurrencyPolicy {
    Forbid,
    Allow,
    Replace,
}

impl ConcurrencyPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            ConcurrencyPolicy::Forbid => "Forbid",
            ConcurrencyPolicy::Allow => "Allow",
            ConcurrencyPolicy::Replace => "Replace",
        }
    }
}

/// Placement and capacity: which node label says spot or on-demand.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Placement {
    pub capacity_type_label: CapacityTypeLabel,
}

impl Default for Placement {
    fn default() -> Self {
        Placement {
            capacity_type_label: CapacityTypeLabel::Karpenter,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CapacityTypeLabel {
    /// `karpenter.sh/capacity-type`: `spot` / `on-demand`.
    Karpenter,
    /// `eks.amazonaws.com/capacityType` (managed node groups): `SPOT` / `ON_DEMAND`.
    Eks,
}

impl CapacityTypeLabel {
    /// (label key, spot value, on-demand value).
    pub fn key_values(self) -> (&'static str, &'static str, &'static str) {
        match self {
            CapacityTypeLabel::Karpenter => ("karpenter.sh/capacity-type", "spot", "on-demand"),
            CapacityTypeLabel::Eks => ("eks.amazonaws.com/capacityType", "SPOT", "ON_DEMAND"),
        }
    }
}

/// Service discovery: Cloud Map and Service Connect names.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Discovery {
    /// Also emit an `ExternalName` Service under each old Service Connect name.
    pub external_name: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Names {
    pub namespace: String,
    pub service_account: String,
    pub application: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgoCd {
    pub namespace: String,
    pub project: String,
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    pub target_revision: String,
    pub destination: Destination,
    pub automated: bool,
    pub prune: bool,
    pub self_heal: bool,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Destination {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Mappings {
    /// The shipped defaults.
    pub fn defaults() -> Mappings {
        Self::from_layers(&[("mappings/default.yaml", DEFAULT_YAML)])
            .expect("the shipped defaults are valid")
    }

    /// The defaults with a user's file laid over them.
    pub fn load(user: Option<(&str, &str)>) -> Result<Mappings, Error> {
        let mut layers = vec![("mappings/default.yaml", DEFAULT_YAML)];
        layers.extend(user);
        Self::from_layers(&layers)
    }

    fn from_layers(layers: &[(&str, &str)]) -> Result<Mappings, Error> {
        let mut merged = Value::Null;
        for (path, text) in layers {
            let layer: Value = serde_norway::from_str(text).map_err(|e| Error::Config {
                path: path.to_string(),
                message: e.to_string(),
            })?;
            merge(&mut merged, layer);
        }
        let path = layers.last().map_or("mappings", |l| l.0).to_string();
        let mappings: Mappings =
            serde_path_to_error::deserialize(&merged).map_err(|e| Error::Config {
                path: path.clone(),
                message: format!("at `{}`: {}", e.path(), e.inner()),
            })?;
        let dest = &mappings.argocd.destination;
        if dest.server.is_some() == dest.name.is_some() {
            return Err(Error::Config {
                path,
                message: "argocd.destination needs exactly one of `server` and `name`".to_string(),
            });
        }
        Ok(mappings)
    }
}

/// Maps merge key by key; anything else in `over` replaces what is under it. A `null` in the
/// user's file leaves the default in place.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                merge(b.entry(k).or_insert(Value::Null), v);
            }
        }
        (_, Value::Null) => {}
        (b, o) => *b = o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_file_overrides_one_key_and_keeps_the_rest() {
        let m = Mappings::load(Some(("m.yaml", "names:\n  namespace: \"{{service}}\"\n"))).unwrap();
        assert_eq!(m.names.namespace, "{{service}}");
        assert_eq!(m.names.service_account, "{{service}}");
    }

    #[test]
    fn surface_sections_default_and_override() {
        let m = Mappings::defaults();
        assert_eq!(m.schedules.kind, ScheduleKind::CronJob);
        assert_eq!(m.schedules.concurrency_policy, ConcurrencyPolicy::Forbid);
        assert_eq!(
            m.placement.capacity_type_label,
            CapacityTypeLabel::Karpenter
        );
        assert!(!m.discovery.external_name);
        let m = Mappings::load(Some((
            "m.yaml",
            "schedules:\n  kind: CronWorkflow\nplacement:\n  capacityTypeLabel: eks\ndiscovery:\n  externalName: true\n",
        )))
        .unwrap();
        assert_eq!(m.schedules.kind, ScheduleKind::CronWorkflow);
        assert_eq!(m.schedules.concurrency_policy, ConcurrencyPolicy::Forbid);
        assert_eq!(m.placement.capacity_type_label, CapacityTypeLabel::Eks);
        assert!(m.discovery.external_name);
        assert!(Mappings::load(Some(("m.yaml", "schedules:\n  kind: Job\n"))).is_err());
    }

    #[test]
    fn misspelt_key_is_an_error_naming_it() {
        let err = Mappings::load(Some(("m.yaml", "names:\n  namespce: x\n"))).unwrap_err();
        assert!(err.to_string().contains("names.namespce"), "{err}");
    }
}
