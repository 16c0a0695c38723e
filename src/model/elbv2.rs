//! The Elastic Load Balancing v2 side of the model: load balancers, listeners, rules and target
//! groups as `aws elbv2 describe-*` spells them (PascalCase).
//!
//! Rule conditions come in two forms: the legacy `Values` list, and the `*Config` blocks
//! (`HostHeaderConfig`, `PathPatternConfig`, …). describe-rules returns both for host and path;
//! `Condition::values` reads whichever is set.

use super::ecs::{lenient_int, nullable};
use serde::{Deserialize, Deserializer};
use std::collections::BTreeMap;

/// `Priority` is a string in the API ("10", "default"); some files hold a number.
fn priority<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum IntOrString {
        Int(i64),
        Str(String),
    }
    Ok(match Option::<IntOrString>::deserialize(d)? {
        None => None,
        Some(IntOrString::Int(i)) => Some(i.to_string()),
        Some(IntOrString::Str(s)) => Some(s),
    })
}

/// Strings that some files hold as numbers (`HealthCheckPort: 8080`, `StatusCode: 404`).
fn lenient_string<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: Deserializer<'de>,
{
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}

/// `Key`/`Value` pairs of describe-*-attributes, when a file embeds them in the object.
fn attributes<'de, D>(d: D) -> Result<BTreeMap<String, String>, D::Error>
where
    D: Deserializer<'de>,
{
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Attribute {
        key: String,
        #[serde(default, deserialize_with = "lenient_string")]
        value: Option<String>,
    }
    let list: Vec<Attribute> = nullable(d)?;
    Ok(list
        .into_iter()
        .filter_map(|a| a.value.map(|v| (a.key, v)))
        .collect())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct LoadBalancer {
    pub load_balancer_arn: Option<String>,
    pub load_balancer_name: Option<String>,
    /// `internet-facing` or `internal`.
    pub scheme: Option<String>,
    /// `application`, `network` or `gateway`.
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub ip_address_type: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub security_groups: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub availability_zones: Vec<AvailabilityZone>,
    /// describe-load-balancer-attributes output, when embedded (`Attributes: [{Key, Value}]`).
    #[serde(deserialize_with = "attributes")]
    pub attributes: BTreeMap<String, String>,
    /// describe-tags output (`TagDescriptions[].Tags`), when embedded (`Tags: [{Key, Value}]`).
    #[serde(deserialize_with = "attributes")]
    pub tags: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AvailabilityZone {
    pub subnet_id: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub load_balancer_addresses: Vec<LoadBalancerAddress>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct LoadBalancerAddress {
    pub allocation_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Listener {
    pub listener_arn: Option<String>,
    pub load_balancer_arn: Option<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub port: Option<i64>,
    pub protocol: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub certificates: Vec<Certificate>,
    pub ssl_policy: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub default_actions: Vec<Action>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Certificate {
    pub certificate_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Rule {
    pub rule_arn: Option<String>,
    /// "1".."50000", or "default" for the listener's default rule.
    #[serde(deserialize_with = "priority")]
    pub priority: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub conditions: Vec<Condition>,
    #[serde(deserialize_with = "nullable")]
    pub actions: Vec<Action>,
    pub is_default: Option<bool>,
}

impl Rule {
    /// The ARN of the listener the rule sits on: `listener-rule/…/<rule id>` →
    /// `listener/…` without the last segment.
    pub fn listener_arn(&self) -> Option<String> {
        let arn = self.rule_arn.as_deref()?;
        let (head, _) = arn.rsplit_once('/')?;
        head.contains(":listener-rule/")
            .then(|| head.replacen(":listener-rule/", ":listener/", 1))
    }

    pub fn is_default(&self) -> bool {
        self.is_default == Some(true) || self.priority.as_deref() == Some("default")
    }

    /// The numeric priority (None for the default rule).
    pub fn priority_number(&self) -> Option<i64> {
        self.priority.as_deref()?.trim().parse().ok()
    }
}

/// Each `*Config` block is boxed (8 bytes when absent, as most are): a large run holds every rule
/// of every listener while its apps convert.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Condition {
    pub field: Option<String>,
    /// The legacy form: host-header and path-pattern only.
    #[serde(deserialize_with = "nullable")]
    pub values: Vec<String>,
    pub host_header_config: Option<Box<ValuesConfig>>,
    pub path_pattern_config: Option<Box<ValuesConfig>>,
    pub http_header_config: Option<Box<HttpHeaderConfig>>,
    pub query_string_config: Option<Box<QueryStringConfig>>,
    pub http_request_method_config: Option<Box<ValuesConfig>>,
    pub source_ip_config: Option<Box<ValuesConfig>>,
}

impl Condition {
    pub fn field(&self) -> &str {
        self.field.as_deref().unwrap_or("")
    }

    /// The values of a host-header, path-pattern, http-request-method or source-ip condition,
    /// from the `*Config` block, or the legacy `Values` when the block is absent.
    pub fn values(&self) -> Vec<String> {
        let config = match self.field() {
            "host-header" => self.host_header_config.as_deref(),
            "path-pattern" => self.path_pattern_config.as_deref(),
            "http-request-method" => self.http_request_method_config.as_deref(),
            "source-ip" => self.source_ip_config.as_deref(),
            "http-header" => {
                return match self.http_header_config.as_deref() {
                    Some(h) if !h.values.is_empty() => h.values.clone(),
                    _ => self.values.clone(),
                };
            }
            _ => None,
        };
        match config {
            Some(c) if !c.values.is_empty() => c.values.clone(),
            _ => self.values.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ValuesConfig {
    #[serde(deserialize_with = "nullable")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct HttpHeaderConfig {
    pub http_header_name: Option<String>,
    #[serde(deserialize_with = "nullable")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct QueryStringConfig {
    #[serde(deserialize_with = "nullable")]
    pub values: Vec<KeyValue>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct KeyValue {
    pub key: Option<String>,
    pub value: Option<String>,
}

/// The `*Config` blocks are boxed, as `Condition`'s are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Action {
    /// forward, redirect, fixed-response, authenticate-oidc, authenticate-cognito.
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub target_group_arn: Option<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub order: Option<i64>,
    pub forward_config: Option<Box<ForwardConfig>>,
    pub redirect_config: Option<Box<RedirectConfig>>,
    pub fixed_response_config: Option<Box<FixedResponseConfig>>,
}

impl Action {
    pub fn kind(&self) -> &str {
        self.kind.as_deref().unwrap_or("")
    }

    /// `(target group ARN, weight)` of a forward action: the `ForwardConfig` list, or the single
    /// `TargetGroupArn` (weight 1).
    pub fn target_groups(&self) -> Vec<(&str, i64)> {
        if self.kind() != "forward" {
            return Vec::new();
        }
        let listed: Vec<(&str, i64)> = self
            .forward_config
            .iter()
            .flat_map(|f| &f.target_groups)
            .filter_map(|t| {
                let arn = t.target_group_arn.as_deref()?;
                Some((arn, t.weight.unwrap_or(1)))
            })
            .collect();
        if !listed.is_empty() {
            return listed;
        }
        self.target_group_arn
            .iter()
            .map(|a| (a.as_str(), 1))
            .collect()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ForwardConfig {
    #[serde(deserialize_with = "nullable")]
    pub target_groups: Vec<WeightedTargetGroup>,
    pub target_group_stickiness_config: Option<Stickiness>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct WeightedTargetGroup {
    pub target_group_arn: Option<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub weight: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Stickiness {
    pub enabled: Option<bool>,
    #[serde(deserialize_with = "lenient_int")]
    pub duration_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct RedirectConfig {
    pub protocol: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub port: Option<String>,
    pub host: Option<String>,
    pub path: Option<String>,
    pub query: Option<String>,
    pub status_code: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct FixedResponseConfig {
    pub message_body: Option<String>,
    #[serde(deserialize_with = "lenient_string")]
    pub status_code: Option<String>,
    pub content_type: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct TargetGroup {
    pub target_group_arn: Option<String>,
    pub target_group_name: Option<String>,
    pub protocol: Option<String>,
    #[serde(deserialize_with = "lenient_int")]
    pub port: Option<i64>,
    pub health_check_protocol: Option<String>,
    /// "traffic-port" or a port number.
    #[serde(deserialize_with = "lenient_string")]
    pub health_check_port: Option<String>,
    pub health_check_enabled: Option<bool>,
    #[serde(deserialize_with = "lenient_int")]
    pub health_check_interval_seconds: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub health_check_timeout_seconds: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub healthy_threshold_count: Option<i64>,
    #[serde(deserialize_with = "lenient_int")]
    pub unhealthy_threshold_count: Option<i64>,
    pub health_check_path: Option<String>,
    pub matcher: Option<Matcher>,
    #[serde(deserialize_with = "nullable")]
    pub load_balancer_arns: Vec<String>,
    /// `instance`, `ip`, `lambda` or `alb`.
    pub target_type: Option<String>,
    pub protocol_version: Option<String>,
    pub ip_address_type: Option<String>,
    /// describe-target-group-attributes output, when embedded (`Attributes: [{Key, Value}]`).
    #[serde(deserialize_with = "attributes")]
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Matcher {
    pub http_code: Option<String>,
    pub grpc_code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_listener_from_arn() {
        let rule = Rule {
            rule_arn: Some(
                "arn:aws:elasticloadbalancing:eu-west-1:1:listener-rule/app/a/50dc/f2f7/9683"
                    .into(),
            ),
            ..Rule::default()
        };
        assert_eq!(
            rule.listener_arn().unwrap(),
            "arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/a/50dc/f2f7"
        );
    }

    #[test]
    fn both_condition_forms_are_read() {
        let legacy: Condition =
            serde_json::from_str(r#"{"Field":"path-pattern","Values":["/a"]}"#).unwrap();
        assert_eq!(legacy.values(), ["/a"]);
        let config: Condition = serde_json::from_str(
            r#"{"Field":"host-header","HostHeaderConfig":{"Values":["x.example.com"]}}"#,
        )
        .unwrap();
        assert_eq!(config.values(), ["x.example.com"]);
        let rule: Rule = serde_json::from_str(r#"{"Priority":10,"IsDefault":false}"#).unwrap();
        assert_eq!(rule.priority_number(), Some(10));
        let rule: Rule = serde_json::from_str(r#"{"Priority":"default"}"#).unwrap();
        assert!(rule.is_default());
    }
}
