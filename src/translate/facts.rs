//! What the passes after an app is written (Argo CD's whitelist, sharing the secret stores, the
//! report's cutover steps) read of its objects, taken once before the objects go to the sink.

use super::passes::store_sharing::{INGRESS_CLASSES, STORES};
use crate::model::k8s::Object;
use crate::model::target::facts::{ObjectFacts, StoreUse, TargetGroupBindingFacts};
use serde_json::Value;

/// The facts of a workload's objects, taken before they are handed to the sink.
pub fn of(objects: &[Object]) -> ObjectFacts {
    let mut facts = ObjectFacts::default();
    for o in objects {
        // Shared platform objects are written apart from the app (`passes::store_sharing`).
        let shared = STORES.iter().chain(INGRESS_CLASSES).any(|k| *k == o.kind);
        if o.is_cluster_scoped() && !shared {
            let group = o.api_version.rsplit_once('/').map_or("", |(g, _)| g);
            facts
                .cluster_kinds
                .push((group.to_string(), o.kind.to_string()));
        }
        match o.kind {
            "ExternalSecret" => {
                if let Some(store) = store_use(o, objects) {
                    facts.stores.push(store);
                }
            }
            "SecurityGroupPolicy" => facts.security_group_policy = true,
            "TargetGroupBinding" => {
                let body = o.body();
                let spec = |k: &str| text(&body["spec"][k]);
                let service = &body["spec"]["serviceRef"];
                facts.target_group_bindings.push(TargetGroupBindingFacts {
                    name: o.metadata.name.clone(),
                    target_group_arn: spec("targetGroupARN"),
                    service: service["name"].as_str().unwrap_or("").to_string(),
                    port: service["port"].to_string(),
                    target_type: spec("targetType"),
                    role: spec("iamRoleArnToAssume"),
                });
            }
            _ => {}
        }
    }
    facts.cluster_kinds.sort();
    facts.cluster_kinds.dedup();
    facts.stores.sort();
    facts.stores.dedup();
    facts
}

/// The store `external_secret` refers to: a shared ClusterSecretStore by name, or one of
/// `objects` (the workload's own stores) with its role. None: a reference to nothing written.
fn store_use(external_secret: &Object, objects: &[Object]) -> Option<StoreUse> {
    let body = external_secret.body();
    let store_ref = &body["spec"]["secretStoreRef"];
    let (kind, name) = (&store_ref["kind"], store_ref["name"].as_str()?);
    if kind == "ClusterSecretStore" {
        return Some(StoreUse::Shared(name.to_string()));
    }
    let own = objects
        .iter()
        .find(|o| o.kind == kind && o.metadata.name == name)?;
    let role = own.body()["spec"]["provider"]["aws"]["role"]
        .as_str()
        .map(str::to_string);
    Some(StoreUse::Own(role))
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::ObjectMeta;
    use serde_json::json;

    fn object(api_version: &'static str, kind: &'static str, name: &str, body: Value) -> Object {
        let meta = ObjectMeta {
            name: name.into(),
            ..Default::default()
        };
        Object::new(api_version, kind, meta, body)
    }

    #[test]
    fn facts_name_kinds_stores_and_target_group_bindings() {
        let es = |kind: &str, name: &str| {
            object(
                "external-secrets.io/v1",
                "ExternalSecret",
                "db",
                json!({"spec": {"secretStoreRef": {"kind": kind, "name": name}}}),
            )
        };
        let objects = vec![
            object("v1", "Namespace", "web", json!({})),
            object("v1", "Namespace", "web-2", json!({})),
            es("ClusterSecretStore", "shared"),
            es("SecretStore", "own"),
            es("SecretStore", "own"),
            es("SecretStore", "missing"),
            object(
                "external-secrets.io/v1",
                "SecretStore",
                "own",
                json!({"spec": {"provider": {"aws": {"role": "arn:aws:iam::1:role/r"}}}}),
            ),
            object(
                "elbv2.k8s.aws/v1beta1",
                "TargetGroupBinding",
                "web-0",
                json!({"spec": {"targetGroupARN": "arn:tg", "targetType": "ip",
                    "serviceRef": {"name": "web", "port": 8080}}}),
            ),
        ];
        let facts = of(&objects);
        assert_eq!(facts.cluster_kinds, [("".into(), "Namespace".into())]);
        assert_eq!(
            facts.stores,
            vec![
                StoreUse::Own(Some("arn:aws:iam::1:role/r".into())),
                StoreUse::Shared("shared".into()),
            ]
        );
        assert_eq!(
            facts.target_group_bindings,
            vec![TargetGroupBindingFacts {
                name: "web-0".into(),
                target_group_arn: "arn:tg".into(),
                service: "web".into(),
                port: "8080".into(),
                target_type: "ip".into(),
                role: String::new(),
            }]
        );
    }
}
