//! Probes: an ECS container health check becomes a liveness probe (and a startup probe for its
//! start period), with the same command, interval, timeout and retries.

use crate::diagnostics::{Code, Findings};
use crate::model::ecs::HealthCheck;
use crate::model::fields::join;
use crate::model::k8s::{ExecAction, Probe};

/// ECS defaults (API reference, HealthCheck): interval 30 s, timeout 5 s, retries 3, no start period.
const INTERVAL: i64 = 30;
const TIMEOUT: i64 = 5;
const RETRIES: i64 = 3;

/// The probe command: `CMD-SHELL` runs under the shell (`sh -c`, or `cmd /S /C` on Windows),
/// `CMD` runs as is. None for a command ECS runs no check for (Docker ignores an empty one, an
/// unknown type and `NONE`): as a probe it would always fail and kill the container.
pub fn command(
    hc: &HealthCheck,
    windows: bool,
    at: &str,
    findings: &mut Findings,
) -> Option<Vec<String>> {
    let (first, rest) = hc.command.split_first().unzip();
    let rest = rest.unwrap_or_default();
    match first.map(|f| f.trim()) {
        Some("CMD-SHELL") if rest.iter().any(|r| !r.trim().is_empty()) => {
            let script = rest.join(" ");
            Some(if windows {
                vec!["cmd".into(), "/S".into(), "/C".into(), script]
            } else {
                vec!["sh".into(), "-c".into(), script]
            })
        }
        Some("CMD") if rest.first().is_some_and(|r| !r.trim().is_empty()) => Some(rest.to_vec()),
        Some("NONE") => None,
        _ => {
            findings.push(
                Code::HealthCheckCommand,
                join(at, "healthCheck.command"),
                format!(
                    "ECS runs no health check for command {:?}; no probe was made",
                    hc.command
                ),
            );
            None
        }
    }
}

/// `(liveness, startup)` probes for a health check.
pub fn from_health_check(
    hc: &HealthCheck,
    windows: bool,
    at: &str,
    findings: &mut Findings,
) -> Option<(Probe, Option<Probe>)> {
    let command = command(hc, windows, at, findings)?;
    let period = hc.interval.filter(|i| *i > 0).unwrap_or(INTERVAL);
    let timeout = hc.timeout.filter(|t| *t > 0).unwrap_or(TIMEOUT);
    let retries = hc.retries.filter(|r| *r > 0).unwrap_or(RETRIES);
    let probe = |failure_threshold| Probe {
        exec: Some(ExecAction {
            command: command.clone(),
        }),
        http_get: None,
        tcp_socket: None,
        initial_delay_seconds: None,
        period_seconds: period,
        timeout_seconds: timeout,
        success_threshold: None,
        failure_threshold,
    };
    // During the start period ECS ignores failures; the startup probe allows that many periods
    // on top of the usual retries, and liveness takes over after its first success.
    let startup = hc
        .start_period
        .filter(|s| *s > 0)
        .map(|s| probe((s + period - 1) / period + retries));
    Some((probe(retries), startup))
}

/// A startup probe that succeeds once the health check does: what `HEALTHY` waits for.
pub fn healthy_gate(
    hc: &HealthCheck,
    windows: bool,
    at: &str,
    findings: &mut Findings,
) -> Option<Probe> {
    let (liveness, startup) = from_health_check(hc, windows, at, findings)?;
    Some(startup.unwrap_or(liveness))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hc(cmd: &[&str]) -> HealthCheck {
        HealthCheck {
            command: cmd.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn cmd_shell_runs_under_sh_c() {
        let mut f = Findings::default();
        let c = command(
            &hc(&["CMD-SHELL", "curl -f http://localhost/ || exit 1"]),
            false,
            "",
            &mut f,
        );
        assert_eq!(
            c.unwrap(),
            ["sh", "-c", "curl -f http://localhost/ || exit 1"]
        );
        let c = command(&hc(&["CMD", "/bin/check", "--fast"]), false, "", &mut f);
        assert_eq!(c.unwrap(), ["/bin/check", "--fast"]);
        assert!(f.list.is_empty());
        let c = command(&hc(&["CMD-SHELL", "exit 0"]), true, "", &mut f);
        assert_eq!(c.unwrap(), ["cmd", "/S", "/C", "exit 0"]);
    }

    /// Commands ECS ignores make no probe, with the warning.
    #[test]
    fn malformed_commands_make_no_probe() {
        for cmd in [
            &[""][..],
            &[],
            &["CMD-SHELL"],
            &["CMD-SHELL", " "],
            &["CMD"],
            &["/healthcheck"],
        ] {
            let mut f = Findings::default();
            assert_eq!(command(&hc(cmd), false, "c", &mut f), None, "{cmd:?}");
            assert_eq!(
                f.code_fields(),
                [(Code::HealthCheckCommand, "c.healthCheck.command")]
            );
        }
        let mut f = Findings::default();
        assert_eq!(command(&hc(&["NONE"]), false, "c", &mut f), None);
        assert!(f.list.is_empty());
    }

    #[test]
    fn timings_and_start_period() {
        let mut f = Findings::default();
        let mut h = hc(&["CMD", "true"]);
        h.interval = Some(10);
        h.timeout = Some(2);
        h.retries = Some(4);
        h.start_period = Some(45);
        let (live, start) = from_health_check(&h, false, "", &mut f).unwrap();
        assert_eq!(
            (
                live.period_seconds,
                live.timeout_seconds,
                live.failure_threshold
            ),
            (10, 2, 4)
        );
        assert_eq!(start.unwrap().failure_threshold, 5 + 4);
    }

    #[test]
    fn defaults_are_ecs_defaults() {
        let mut f = Findings::default();
        let (live, start) = from_health_check(&hc(&["CMD", "true"]), false, "", &mut f).unwrap();
        assert_eq!(
            (
                live.period_seconds,
                live.timeout_seconds,
                live.failure_threshold
            ),
            (30, 5, 3)
        );
        assert!(start.is_none());
    }
}
