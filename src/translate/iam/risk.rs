//! Risky permissions a role would carry over: every action on every resource, `iam:PassRole` on
//! every role. Reported, never changed: narrowing a policy is the owner's decision.

use crate::diagnostics::{Code, Finding};
use serde_json::Value;

/// Findings for risky statements of one policy document (Allow statements only).
pub fn risks(doc: &Value, input: &str, at: &str, what: &str, findings: &mut Vec<Finding>) {
    let statements: Vec<&Value> = match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one @ Value::Object(_)) => vec![one],
        _ => return,
    };
    let is_array = matches!(doc.get("Statement"), Some(Value::Array(_)));
    for (i, st) in statements.into_iter().enumerate() {
        if !st
            .get("Effect")
            .and_then(Value::as_str)
            .is_some_and(|e| e.eq_ignore_ascii_case("Allow"))
        {
            continue;
        }
        let actions = strings(st.get("Action"));
        let resources = strings(st.get("Resource"));
        if !resources.iter().any(|r| r == "*") {
            continue;
        }
        let field = if is_array {
            format!("{at}.Statement[{i}]")
        } else {
            format!("{at}.Statement")
        };
        let sid = st
            .get("Sid")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let (code, message) = if actions.iter().any(|a| a == "*") {
            (
                Code::RiskyWildcard,
                format!("{what}: statement {i}{sid} allows every action on every resource"),
            )
        } else if let Some(a) = actions.iter().find(|a| glob(a, "iam:PassRole")) {
            (
                Code::RiskyPassRole,
                format!("{what}: statement {i}{sid} allows {a} on every role"),
            )
        } else {
            continue;
        };
        let mut f = Finding::new(code, field, message);
        f.input = input.to_string();
        findings.push(f);
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// IAM action matching: `*` and `?` wildcards, case-insensitive.
fn glob(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::glob;

    #[test]
    fn actions_match_with_wildcards_in_any_case() {
        assert!(glob("iam:Pass*", "iam:PassRole"));
        assert!(glob("IAM:passrole", "iam:PassRole"));
        assert!(!glob("iam:Get*", "iam:PassRole"));
    }
}
