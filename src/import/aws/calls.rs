//! Counts the API calls an import makes (an SDK interceptor on every client), for the report, the
//! tests' batching checks and the documentation's figure.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextRef,
    BeforeTransmitInterceptorContextRef,
};
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Calls of one operation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CallCount {
    /// Operations started (one per `send()`, however many retries it took).
    pub calls: u64,
    /// HTTP requests sent (retries included).
    pub requests: u64,
}

/// Shared by every client of one import; keys are IAM action names (`ecs:DescribeServices`).
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, CallCount>>>);

impl CallCounter {
    pub fn snapshot(&self) -> BTreeMap<String, CallCount> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }

    fn bump(&self, cfg: &ConfigBag, f: impl FnOnce(&mut CallCount)) {
        if let Some(meta) = cfg.load::<Metadata>()
            && let Ok(mut map) = self.0.lock()
        {
            f(map.entry(action(meta.service(), meta.name())).or_default());
        }
    }
}

/// The IAM action of an SDK operation: `ECS`/`DescribeServices` → `ecs:DescribeServices`.
fn action(service: &str, operation: &str) -> String {
    let prefix = match service {
        "ECS" => "ecs",
        "STS" => "sts",
        "IAM" => "iam",
        "Elastic Load Balancing v2" | "ElasticLoadBalancingv2" => "elasticloadbalancing",
        "Application Auto Scaling" | "ApplicationAutoScaling" => "application-autoscaling",
        "EventBridge" => "events",
        "Organizations" => "organizations",
        "Scheduler" => "scheduler",
        other => {
            return format!(
                "{}:{operation}",
                other.to_ascii_lowercase().replace(' ', "")
            );
        }
    };
    format!("{prefix}:{operation}")
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "ecs2eks::CallCounter"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.bump(cfg, |c| c.calls += 1);
        Ok(())
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.bump(cfg, |c| c.requests += 1);
        Ok(())
    }
}

/// Keeps the body of one operation's successful answer: for JSON-protocol services whose SDK
/// types carry no schema yet (Application Auto Scaling, EventBridge), the body *is* the JSON the
/// CLI prints (but for timestamps, which are epoch seconds on the wire).
#[derive(Debug, Clone, Default)]
pub struct BodyCapture(Arc<Mutex<Option<Vec<u8>>>>);

impl BodyCapture {
    pub fn json(&self) -> Result<serde_json::Value, String> {
        let body = self
            .0
            .lock()
            .ok()
            .and_then(|mut b| b.take())
            .ok_or("the answer had no body")?;
        serde_json::from_slice(&body).map_err(|e| format!("the answer is not JSON: {e}"))
    }
}

impl Intercept for BodyCapture {
    fn name(&self) -> &'static str {
        "ecs2eks::BodyCapture"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if context.output_or_error().is_ok()
            && let Some(bytes) = context.response().body().bytes()
            && let Ok(mut slot) = self.0.lock()
        {
            *slot = Some(bytes.to_vec());
        }
        Ok(())
    }
}
