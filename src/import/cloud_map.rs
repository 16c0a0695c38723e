//! Cloud Map: `aws servicediscovery list-namespaces` and `list-services` output, so that the
//! names services register and call are known rather than guessed.

use super::Read;
use crate::model::aws::{CloudMapNamespace, CloudMapService};
use serde_json::Value;

pub fn is_list_namespaces(v: &Value) -> bool {
    v.get("Namespaces").is_some_and(Value::is_array)
}

/// `Services` with a capital S: `aws ecs describe-services` says `services`.
pub fn is_list_services(v: &Value) -> bool {
    v.get("Services").is_some_and(Value::is_array)
}

pub fn read_list_namespaces(input: &str, value: Value, read: &mut Read) {
    let errors = &mut read.inputs.errors;
    let namespaces =
        super::read_list::<CloudMapNamespace>(input, value, "Namespaces", |_| true, errors);
    read.inputs.cloud_map_namespaces.extend(namespaces);
}

pub fn read_list_services(input: &str, value: Value, read: &mut Read) {
    let errors = &mut read.inputs.errors;
    let services = super::read_list::<CloudMapService>(input, value, "Services", |_| true, errors);
    read.inputs.cloud_map_services.extend(services);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn namespaces_and_services_are_read() {
        let mut read = Read::default();
        let ns = json!({"Namespaces": [{"Id": "ns-1", "Arn": "arn:aws:servicediscovery:eu-west-1:111111111111:namespace/ns-1",
            "Name": "shop-prod.internal", "Type": "DNS_PRIVATE", "Properties": {"DnsProperties": {"HostedZoneId": "Z1"}}}]});
        assert!(is_list_namespaces(&ns) && !is_list_services(&ns));
        read_list_namespaces("ns.json", ns, &mut read);
        let services = json!({"Services": [
            {"Id": "srv-1", "Name": "payments", "DnsConfig": {"NamespaceId": "ns-1", "DnsRecords": [{"Type": "A", "TTL": 10}]}},
            {"Id": "srv-2", "Name": "catalog", "NamespaceId": "ns-2"}]});
        assert!(is_list_services(&services));
        assert!(!is_list_services(&json!({"services": []})));
        read_list_services("srv.json", services, &mut read);
        let i = &read.inputs;
        assert_eq!(
            i.cloud_map_namespaces[0].value.name.as_deref(),
            Some("shop-prod.internal")
        );
        assert!(i.cloud_map_namespaces[0].value.is_dns());
        let namespaces: Vec<_> = i
            .cloud_map_services
            .iter()
            .map(|s| s.value.namespace())
            .collect();
        assert_eq!(namespaces, [Some("ns-1"), Some("ns-2")]);
        assert_eq!(i.cloud_map_services[1].path, "Services[1]");
    }
}
