//! A target group's health check → the readiness probe of the container behind it, so that
//! Kubernetes takes a pod out of the Service when the load balancer would stop sending to it.

use super::{push_at, tg_name};
use crate::diagnostics::{Code, Findings};
use crate::model::elbv2::TargetGroup;
use crate::model::k8s::Probe;
use crate::model::read::Sourced;
use serde_json::json;

/// The readiness probe that mirrors the target group's health check: same path, port,
/// protocol, interval, timeout and unhealthy threshold; one success is enough (the readiness
/// gate counts the target group's healthy threshold).
pub(super) fn readiness_probe(
    at: &Sourced<TargetGroup>,
    container_port: i64,
    findings: &mut Findings,
) -> Option<Probe> {
    let tg = &at.value;
    if tg.health_check_enabled == Some(false) {
        return None;
    }
    let port = match tg.health_check_port.as_deref() {
        None | Some("traffic-port") => container_port,
        Some(p) => p.trim().parse().unwrap_or(container_port),
    };
    let protocol = tg
        .health_check_protocol
        .as_deref()
        .or(tg.protocol.as_deref())
        .unwrap_or("HTTP")
        .to_ascii_uppercase();
    let (http_get, tcp_socket) = match protocol.as_str() {
        "HTTP" | "HTTPS" => {
            let path = tg.health_check_path.as_deref().unwrap_or("/");
            let mut get = json!({ "path": path, "port": port });
            if protocol == "HTTPS" {
                get["scheme"] = json!("HTTPS");
            }
            matcher_findings(at, path, findings);
            (Some(get), None)
        }
        _ => (None, Some(json!({ "port": port }))),
    };
    Some(Probe {
        exec: None,
        http_get,
        tcp_socket,
        initial_delay_seconds: None,
        // ELBv2 defaults: 30 s interval, 5 s timeout, 5 healthy and 2 unhealthy checks.
        period_seconds: tg.health_check_interval_seconds.unwrap_or(30),
        timeout_seconds: tg.health_check_timeout_seconds.unwrap_or(5),
        // The controller's readiness gate already waits for the target group's healthy
        // threshold; repeating it here would double the time to Ready.
        success_threshold: Some(1),
        failure_threshold: tg.unhealthy_threshold_count.unwrap_or(2),
    })
}

/// What an HTTP GET probe of `path` cannot check that the health check's matcher does.
fn matcher_findings(at: &Sourced<TargetGroup>, path: &str, findings: &mut Findings) {
    let tg = &at.value;
    if let Some(codes) = tg.matcher.as_ref().and_then(|m| m.http_code.as_deref())
        && !codes_within_probe_range(codes)
    {
        push_at(
            findings,
            at,
            "Matcher.HttpCode",
            Code::HealthCheckProbe,
            format!(
                "target group {} accepts HTTP codes {codes}; the readiness probe accepts 200-399",
                tg_name(tg)
            ),
        );
    }
    if tg.matcher.as_ref().is_some_and(|m| m.grpc_code.is_some()) {
        push_at(
            findings,
            at,
            "Matcher.GrpcCode",
            Code::HealthCheckProbe,
            format!(
                "target group {} checks gRPC codes; the readiness probe is an HTTP GET of {path}",
                tg_name(tg)
            ),
        );
    }
}

/// True when every code of a matcher ("200", "200-299", "200,302") is within 200-399.
fn codes_within_probe_range(codes: &str) -> bool {
    codes.split(',').all(|part| {
        part.split('-').all(|c| {
            c.trim()
                .parse::<i64>()
                .is_ok_and(|n| (200..400).contains(&n))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::super::sourced;
    use super::*;

    #[test]
    fn matcher_codes_against_the_probe_range() {
        assert!(codes_within_probe_range("200-299"));
        assert!(codes_within_probe_range("200,302"));
        assert!(!codes_within_probe_range("200-499"));
        assert!(!codes_within_probe_range("404"));
    }

    #[test]
    fn readiness_probe_follows_the_health_check() {
        let at = sourced(
            "tg.json",
            "TargetGroups[0]",
            r#"{"HealthCheckProtocol":"HTTP","HealthCheckPort":"traffic-port","HealthCheckPath":"/health",
                "HealthCheckIntervalSeconds":15,"HealthCheckTimeoutSeconds":4,"HealthyThresholdCount":2,
                "UnhealthyThresholdCount":3,"Matcher":{"HttpCode":"200-499"}}"#,
        );
        let mut f = Findings::default();
        let p = readiness_probe(&at, 3000, &mut f).unwrap();
        assert_eq!(
            p.http_get.unwrap(),
            json!({"path": "/health", "port": 3000})
        );
        assert_eq!(
            (
                p.period_seconds,
                p.timeout_seconds,
                p.success_threshold,
                p.failure_threshold
            ),
            (15, 4, Some(1), 3)
        );
        assert_eq!(f.list[0].code, Code::HealthCheckProbe);
        assert_eq!(f.list[0].input, "tg.json");
        let tcp = sourced(
            "tg.json",
            "TargetGroups[0]",
            r#"{"HealthCheckProtocol":"TCP","HealthCheckPort":"1884"}"#,
        );
        let p = readiness_probe(&tcp, 1883, &mut f).unwrap();
        assert_eq!(p.tcp_socket.unwrap(), json!({"port": 1884}));
    }
}
