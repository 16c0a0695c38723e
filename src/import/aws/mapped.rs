//! Hand mappings to CLI JSON for the SDK crates whose types carry no Smithy schema yet (ELBv2 and
//! IAM, both query/XML protocols). Member names are the API's (PascalCase, as the CLI prints
//! them); unset members are left out; lists the API returned are kept even when empty.
//! Secrets are never mapped (an OIDC action's `ClientSecret`).

use aws_sdk_elasticloadbalancingv2::types as elb;
use aws_sdk_iam::types as iam;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;
use serde_json::{Map, Value};

/// A getter's answer as an optional JSON value.
pub trait J {
    fn j(self) -> Option<Value>;
}
impl<T: AsRef<str> + ?Sized> J for Option<&T> {
    fn j(self) -> Option<Value> {
        self.map(|s| Value::String(s.as_ref().to_string()))
    }
}
impl<T: AsRef<str> + ?Sized> J for &T {
    fn j(self) -> Option<Value> {
        Some(Value::String(self.as_ref().to_string()))
    }
}
impl J for Option<i32> {
    fn j(self) -> Option<Value> {
        self.map(Value::from)
    }
}
impl J for Option<i64> {
    fn j(self) -> Option<Value> {
        self.map(Value::from)
    }
}
impl J for Option<bool> {
    fn j(self) -> Option<Value> {
        self.map(Value::from)
    }
}
impl J for bool {
    fn j(self) -> Option<Value> {
        Some(Value::from(self))
    }
}
impl J for Option<Value> {
    fn j(self) -> Option<Value> {
        self
    }
}

/// An ISO 8601 timestamp, as the CLI prints it.
pub fn ts(t: Option<&DateTime>) -> Option<Value> {
    t.and_then(|t| t.fmt(Format::DateTime).ok())
        .map(Value::String)
}

/// A list the API returned (absent stays absent, empty stays empty).
fn list<T>(items: &Option<Vec<T>>, f: impl Fn(&T) -> Value) -> Option<Value> {
    items
        .as_ref()
        .map(|v| Value::Array(v.iter().map(f).collect()))
}

fn strings(items: &Option<Vec<String>>) -> Option<Value> {
    list(items, |s| Value::String(s.clone()))
}

macro_rules! obj {
    ($($k:literal => $v:expr),* $(,)?) => {{
        let mut m = Map::new();
        $( if let Some(v) = J::j($v) { m.insert($k.to_string(), v); } )*
        Value::Object(m)
    }};
}

// --- ELBv2 -------------------------------------------------------------------------------------

pub fn target_group(t: &elb::TargetGroup) -> Value {
    obj! {
        "TargetGroupArn" => t.target_group_arn(),
        "TargetGroupName" => t.target_group_name(),
        "Protocol" => t.protocol(),
        "Port" => t.port(),
        "VpcId" => t.vpc_id(),
        "HealthCheckProtocol" => t.health_check_protocol(),
        "HealthCheckPort" => t.health_check_port(),
        "HealthCheckEnabled" => t.health_check_enabled(),
        "HealthCheckIntervalSeconds" => t.health_check_interval_seconds(),
        "HealthCheckTimeoutSeconds" => t.health_check_timeout_seconds(),
        "HealthyThresholdCount" => t.healthy_threshold_count(),
        "UnhealthyThresholdCount" => t.unhealthy_threshold_count(),
        "HealthCheckPath" => t.health_check_path(),
        "Matcher" => t.matcher().map(|m| obj! {
            "HttpCode" => m.http_code(),
            "GrpcCode" => m.grpc_code(),
        }),
        "LoadBalancerArns" => strings(&t.load_balancer_arns),
        "TargetType" => t.target_type(),
        "ProtocolVersion" => t.protocol_version(),
        "IpAddressType" => t.ip_address_type(),
        "TargetControlPort" => t.target_control_port(),
    }
}

pub fn load_balancer(l: &elb::LoadBalancer) -> Value {
    obj! {
        "LoadBalancerArn" => l.load_balancer_arn(),
        "DNSName" => l.dns_name(),
        "CanonicalHostedZoneId" => l.canonical_hosted_zone_id(),
        "CreatedTime" => ts(l.created_time()),
        "LoadBalancerName" => l.load_balancer_name(),
        "Scheme" => l.scheme(),
        "VpcId" => l.vpc_id(),
        "State" => l.state().map(|s| obj! {
            "Code" => s.code(),
            "Reason" => s.reason(),
        }),
        "Type" => l.r#type(),
        "AvailabilityZones" => list(&l.availability_zones, |z| obj! {
            "ZoneName" => z.zone_name(),
            "SubnetId" => z.subnet_id(),
            "OutpostId" => z.outpost_id(),
            "LoadBalancerAddresses" => list(&z.load_balancer_addresses, |a| obj! {
                "IpAddress" => a.ip_address(),
                "AllocationId" => a.allocation_id(),
                "PrivateIPv4Address" => a.private_ipv4_address(),
                "IPv6Address" => a.ipv6_address(),
            }),
        }),
        "SecurityGroups" => strings(&l.security_groups),
        "IpAddressType" => l.ip_address_type(),
        "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic" =>
            l.enforce_security_group_inbound_rules_on_private_link_traffic(),
    }
}

pub fn listener(l: &elb::Listener) -> Value {
    obj! {
        "ListenerArn" => l.listener_arn(),
        "LoadBalancerArn" => l.load_balancer_arn(),
        "Port" => l.port(),
        "Protocol" => l.protocol(),
        "Certificates" => list(&l.certificates, |c| obj! {
            "CertificateArn" => c.certificate_arn(),
            "IsDefault" => c.is_default(),
        }),
        "SslPolicy" => l.ssl_policy(),
        "DefaultActions" => list(&l.default_actions, action),
        "AlpnPolicy" => strings(&l.alpn_policy),
        "MutualAuthentication" => l.mutual_authentication().map(|m| obj! {
            "Mode" => m.mode(),
            "TrustStoreArn" => m.trust_store_arn(),
            "IgnoreClientCertificateExpiry" => m.ignore_client_certificate_expiry(),
            "TrustStoreAssociationStatus" => m.trust_store_association_status(),
            "AdvertiseTrustStoreCaNames" => m.advertise_trust_store_ca_names(),
        }),
    }
}

pub fn rule(r: &elb::Rule) -> Value {
    obj! {
        "RuleArn" => r.rule_arn(),
        "Priority" => r.priority(),
        "Conditions" => list(&r.conditions, condition),
        "Actions" => list(&r.actions, action),
        "IsDefault" => r.is_default(),
    }
}

fn values_config(values: &Option<Vec<String>>) -> Value {
    obj! { "Values" => strings(values) }
}

fn condition(c: &elb::RuleCondition) -> Value {
    obj! {
        "Field" => c.field(),
        "Values" => strings(&c.values),
        "HostHeaderConfig" => c.host_header_config().map(|h| values_config(&h.values)),
        "PathPatternConfig" => c.path_pattern_config().map(|p| values_config(&p.values)),
        "HttpHeaderConfig" => c.http_header_config().map(|h| obj! {
            "HttpHeaderName" => h.http_header_name(),
            "Values" => strings(&h.values),
        }),
        "QueryStringConfig" => c.query_string_config().map(|q| obj! {
            "Values" => list(&q.values, |kv| obj! {
                "Key" => kv.key(),
                "Value" => kv.value(),
            }),
        }),
        "HttpRequestMethodConfig" =>
            c.http_request_method_config().map(|m| values_config(&m.values)),
        "SourceIpConfig" => c.source_ip_config().map(|s| values_config(&s.values)),
    }
}

fn action(a: &elb::Action) -> Value {
    obj! {
        "Type" => a.r#type(),
        "TargetGroupArn" => a.target_group_arn(),
        "AuthenticateOidcConfig" => a.authenticate_oidc_config().map(|o| obj! {
            "Issuer" => o.issuer(),
            "AuthorizationEndpoint" => o.authorization_endpoint(),
            "TokenEndpoint" => o.token_endpoint(),
            "UserInfoEndpoint" => o.user_info_endpoint(),
            "ClientId" => o.client_id(),
            "SessionCookieName" => o.session_cookie_name(),
            "Scope" => o.scope(),
            "SessionTimeout" => o.session_timeout(),
            "AuthenticationRequestExtraParams" => o.authentication_request_extra_params().map(string_map),
            "OnUnauthenticatedRequest" => o.on_unauthenticated_request(),
            "UseExistingClientSecret" => o.use_existing_client_secret(),
        }),
        "AuthenticateCognitoConfig" => a.authenticate_cognito_config().map(|c| obj! {
            "UserPoolArn" => c.user_pool_arn(),
            "UserPoolClientId" => c.user_pool_client_id(),
            "UserPoolDomain" => c.user_pool_domain(),
            "SessionCookieName" => c.session_cookie_name(),
            "Scope" => c.scope(),
            "SessionTimeout" => c.session_timeout(),
            "AuthenticationRequestExtraParams" => c.authentication_request_extra_params().map(string_map),
            "OnUnauthenticatedRequest" => c.on_unauthenticated_request(),
        }),
        "Order" => a.order(),
        "RedirectConfig" => a.redirect_config().map(|r| obj! {
            "Protocol" => r.protocol(),
            "Port" => r.port(),
            "Host" => r.host(),
            "Path" => r.path(),
            "Query" => r.query(),
            "StatusCode" => r.status_code(),
        }),
        "FixedResponseConfig" => a.fixed_response_config().map(|f| obj! {
            "MessageBody" => f.message_body(),
            "StatusCode" => f.status_code(),
            "ContentType" => f.content_type(),
        }),
        "ForwardConfig" => a.forward_config().map(|f| obj! {
            "TargetGroups" => list(&f.target_groups, |t| obj! {
                "TargetGroupArn" => t.target_group_arn(),
                "Weight" => t.weight(),
            }),
            "TargetGroupStickinessConfig" => f.target_group_stickiness_config().map(|s| obj! {
                "Enabled" => s.enabled(),
                "DurationSeconds" => s.duration_seconds(),
            }),
        }),
    }
}

fn string_map(m: &std::collections::HashMap<String, String>) -> Value {
    let sorted: std::collections::BTreeMap<_, _> = m.iter().collect();
    Value::Object(
        sorted
            .into_iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

// --- IAM ---------------------------------------------------------------------------------------

fn iam_tags(tags: &Option<Vec<iam::Tag>>) -> Option<Value> {
    list(tags, |t| obj! { "Key" => t.key(), "Value" => t.value() })
}

pub fn role(r: &iam::Role) -> Value {
    obj! {
        "Path" => r.path(),
        "RoleName" => r.role_name(),
        "RoleId" => r.role_id(),
        "Arn" => r.arn(),
        "CreateDate" => ts(Some(r.create_date())),
        "AssumeRolePolicyDocument" => r.assume_role_policy_document()
            .map(super::json::decode_policy_document),
        "Description" => r.description(),
        "MaxSessionDuration" => r.max_session_duration(),
        "PermissionsBoundary" => r.permissions_boundary().map(|b| obj! {
            "PermissionsBoundaryType" => b.permissions_boundary_type(),
            "PermissionsBoundaryArn" => b.permissions_boundary_arn(),
        }),
        "Tags" => iam_tags(&r.tags),
        "RoleLastUsed" => r.role_last_used().map(|u| obj! {
            "LastUsedDate" => ts(u.last_used_date()),
            "Region" => u.region(),
        }),
    }
}

pub fn policy(p: &iam::Policy) -> Value {
    obj! {
        "PolicyName" => p.policy_name(),
        "PolicyId" => p.policy_id(),
        "Arn" => p.arn(),
        "Path" => p.path(),
        "DefaultVersionId" => p.default_version_id(),
        "AttachmentCount" => p.attachment_count(),
        "PermissionsBoundaryUsageCount" => p.permissions_boundary_usage_count(),
        "IsAttachable" => p.is_attachable(),
        "Description" => p.description(),
        "CreateDate" => ts(p.create_date()),
        "UpdateDate" => ts(p.update_date()),
        "Tags" => iam_tags(&p.tags),
    }
}

pub fn policy_version(v: &iam::PolicyVersion) -> Value {
    obj! {
        "Document" => v.document().map(super::json::decode_policy_document),
        "VersionId" => v.version_id(),
        "IsDefaultVersion" => v.is_default_version(),
        "CreateDate" => ts(v.create_date()),
    }
}

pub fn attached_policy(p: &iam::AttachedPolicy) -> Value {
    obj! {
        "PolicyName" => p.policy_name(),
        "PolicyArn" => p.policy_arn(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// moto returns forward actions in the short form only; AWS sends `ForwardConfig` too.
    #[test]
    fn forward_config_and_no_client_secret() {
        let tg = "arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/a/1";
        let action = elb::Action::builder()
            .r#type(elb::ActionTypeEnum::Forward)
            .target_group_arn(tg)
            .order(1)
            .forward_config(
                elb::ForwardActionConfig::builder()
                    .target_groups(
                        elb::TargetGroupTuple::builder()
                            .target_group_arn(tg)
                            .weight(1)
                            .build(),
                    )
                    .target_group_stickiness_config(
                        elb::TargetGroupStickinessConfig::builder()
                            .enabled(false)
                            .build(),
                    )
                    .build(),
            )
            .build();
        assert_eq!(
            action_json(&action),
            json!({
                "Type": "forward",
                "TargetGroupArn": tg,
                "Order": 1,
                "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}],
                    "TargetGroupStickinessConfig": {"Enabled": false}
                }
            })
        );
        let oidc = elb::Action::builder()
            .r#type(elb::ActionTypeEnum::AuthenticateOidc)
            .authenticate_oidc_config(
                elb::AuthenticateOidcActionConfig::builder()
                    .issuer("https://idp")
                    .client_id("app")
                    .client_secret("s3cr3t")
                    .build(),
            )
            .build();
        let text = action_json(&oidc).to_string();
        assert!(text.contains("\"ClientId\":\"app\""));
        assert!(!text.contains("s3cr3t"), "{text}");
    }

    fn action_json(a: &elb::Action) -> Value {
        action(a)
    }

    #[test]
    fn role_documents_are_decoded_and_dates_iso() {
        let role = iam::Role::builder()
            .path("/")
            .role_name("web-task")
            .role_id("AROA1")
            .arn("arn:aws:iam::1:role/web-task")
            .create_date(DateTime::from_secs(1_700_000_000))
            .assume_role_policy_document("%7B%22Version%22%3A%222012-10-17%22%7D")
            .build()
            .unwrap();
        let v = role_json(&role);
        assert_eq!(
            v["AssumeRolePolicyDocument"],
            json!({"Version": "2012-10-17"})
        );
        assert_eq!(v["CreateDate"], "2023-11-14T22:13:20Z");
        assert!(v.get("Description").is_none());
    }

    fn role_json(r: &iam::Role) -> Value {
        role(r)
    }
}
