//! Disruption: a `PodDisruptionBudget` (policy/v1) from the service's `minimumHealthyPercent`,
//! for services that run more than one pod. ECS applies the percentage to deployments and
//! infrastructure updates; a PDB applies it to voluntary evictions (node drains, upgrades).

use crate::diagnostics::{Code, Findings};
use crate::model::ecs::Service;
use crate::model::fields::join;
use crate::model::k8s::{Map, Object, ObjectMeta};
use serde_json::json;

/// The PDB of a REPLICA service, or None when it runs at most one pod (a PDB would block every
/// drain or protect nothing) or allows all its pods down. `replicas` is the HPA's minimum when
/// there is one, else `desiredCount`.
pub fn pdb(
    service: &Service,
    at: &str,
    replicas: i64,
    meta: ObjectMeta,
    selector: &Map,
    findings: &mut Findings,
) -> Option<Object> {
    if service.scheduling_strategy.as_deref() == Some("DAEMON") || replicas <= 1 {
        return None;
    }
    let percent = service
        .deployment_configuration
        .as_ref()
        .and_then(|d| d.minimum_healthy_percent)
        .unwrap_or(100);
    if percent <= 0 {
        return None;
    }
    let field = join(at, "deploymentConfiguration.minimumHealthyPercent");
    let (key, value, message) = if percent >= 100 {
        (
            "maxUnavailable",
            json!(1),
            format!(
                "minimumHealthyPercent {percent}: maxUnavailable 1, since a budget that allows no eviction blocks node drains"
            ),
        )
    } else {
        (
            "minAvailable",
            json!(format!("{percent}%")),
            format!("minimumHealthyPercent {percent} became minAvailable {percent}%"),
        )
    };
    findings.push(Code::DisruptionBudget, field, message);
    Some(Object::new(
        "policy/v1",
        "PodDisruptionBudget",
        meta,
        json!({ "spec": { key: value, "selector": { "matchLabels": selector } } }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ecs::DeploymentConfiguration;

    #[test]
    fn budgets_table() {
        // (minimumHealthyPercent, replicas, daemon, expected spec key and value)
        let cases = [
            (Some(50), 4, false, Some(("minAvailable", json!("50%")))),
            (None, 3, false, Some(("maxUnavailable", json!(1)))),
            (Some(100), 2, false, Some(("maxUnavailable", json!(1)))),
            (Some(50), 1, false, None),
            (Some(0), 4, false, None),
            (Some(50), 4, true, None),
        ];
        for (percent, replicas, daemon, want) in cases {
            let s = Service {
                deployment_configuration: Some(DeploymentConfiguration {
                    minimum_healthy_percent: percent,
                    ..DeploymentConfiguration::default()
                }),
                scheduling_strategy: daemon.then(|| "DAEMON".to_string()),
                ..Service::default()
            };
            let selector: Map = [("app".to_string(), "web".to_string())].into();
            let mut f = Findings::default();
            let got = pdb(
                &s,
                "service",
                replicas,
                ObjectMeta::default(),
                &selector,
                &mut f,
            );
            match want {
                None => assert!(got.is_none(), "{percent:?} {replicas}"),
                Some((key, value)) => {
                    let o = got.unwrap().to_json();
                    assert_eq!(o["apiVersion"], "policy/v1");
                    assert_eq!(o["spec"][key], value, "{percent:?} {replicas}");
                    assert_eq!(o["spec"]["selector"]["matchLabels"]["app"], "web");
                    assert_eq!(f.list[0].code, Code::DisruptionBudget);
                }
            }
        }
    }
}
