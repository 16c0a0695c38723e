//! Kubernetes names: DNS-1123 labels made from ECS names, and the name templates of the mappings.

use handlebars::Handlebars;
use serde::Serialize;

/// Makes a DNS-1123 label (lowercase alphanumerics and `-`, at most 63, starting and ending with
/// an alphanumeric) out of any ECS name. `fallback` is used when nothing is left.
pub fn dns_label(name: &str, fallback: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut prev_dash = true;
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            // camelCase boundaries become dashes: myService -> my-service
            if c.is_ascii_uppercase() && prev_lower && !prev_dash {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            prev_dash = false;
        } else if !prev_dash {
            out.push('-');
            prev_dash = true;
            prev_lower = false;
        }
    }
    truncate_label(&mut out, 63);
    if out.is_empty() {
        fallback.to_string()
    } else {
        out
    }
}

/// DNS-1035 labels (Service names) must also start with a letter.
pub fn dns1035_label(name: &str, fallback: &str) -> String {
    let label = dns_label(name, fallback);
    if label.starts_with(|c: char| c.is_ascii_digit()) {
        let mut prefixed = format!("s-{label}");
        truncate_label(&mut prefixed, 63);
        prefixed
    } else {
        label
    }
}

/// A DNS-1123 subdomain: at most 253 characters of dot-separated labels, each of lowercase
/// alphanumerics and `-`, not starting or ending with `-` (host aliases, annotation prefixes).
pub fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        })
}

fn truncate_label(s: &mut String, max: usize) {
    s.truncate(max);
    while s.ends_with('-') {
        s.pop();
    }
}

/// A port name as a Service needs it (IANA_SVC_NAME: at most 15 characters, lowercase
/// alphanumerics and single dashes, at least one letter), or None.
pub fn port_name(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= 15
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.chars().any(|c| c.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    ok.then(|| name.to_string())
}

/// The values name templates can use.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NameContext<'a> {
    pub service: &'a str,
    pub environment: &'a str,
    pub account: &'a str,
    pub account_name: &'a str,
    pub region: &'a str,
    pub cluster: &'a str,
    pub family: &'a str,
}

thread_local! {
    /// Compiled templates, keyed by their text: a batch renders the same few thousands of times.
    static TEMPLATES: std::cell::RefCell<Handlebars<'static>> = std::cell::RefCell::new({
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_escape_fn(handlebars::no_escape);
        hb
    });
}

/// Renders a mappings name template, then makes a DNS-1123 label of it.
pub fn render(template: &str, ctx: &NameContext<'_>) -> Result<String, String> {
    Ok(dns_label(&render_text(template, ctx)?, ctx.service))
}

/// Renders a mappings template with any context, as text (strict: unknown variables fail).
pub fn render_text(template: &str, ctx: &impl Serialize) -> Result<String, String> {
    render_named("name template", template, ctx)
}

/// `render_text`, its errors starting with `what` (the mappings key the template comes from).
pub fn render_named(what: &str, template: &str, ctx: &impl Serialize) -> Result<String, String> {
    if let Some(text) = substitute(template, ctx) {
        return Ok(text);
    }
    let fail = |e: &dyn std::fmt::Display| format!("{what} {template:?}: {e}");
    TEMPLATES.with(|cell| {
        let mut hb = cell.borrow_mut();
        if !hb.has_template(template) {
            hb.register_template_string(template, template)
                .map_err(|e| fail(&e))?;
        }
        hb.render(template, ctx).map_err(|e| fail(&e))
    })
}

/// A template of text, plain `{{name}}` variables and `{{#if name}}…{{/if}}` around those,
/// split into its pieces.
#[derive(Debug, PartialEq)]
enum Piece {
    Text(String),
    Var(String),
    /// `{{#if name}}` pieces `{{/if}}`: the pieces when the variable is a non-empty string.
    If(String, Vec<Piece>),
}

thread_local! {
    /// Templates split into pieces (None: not a plain template), keyed by their text.
    static PLAIN: std::cell::RefCell<std::collections::HashMap<String, Option<Vec<Piece>>>> =
        Default::default();
}

/// The fast path of `render_text`, which a batch takes for every name: a plain template whose
/// variables are all strings of `ctx` renders here, exactly as Handlebars would (no escaping).
/// Anything else (helpers, blocks, whitespace control, missing or non-string values) gives None
/// and goes to Handlebars, which also words the errors.
fn substitute(template: &str, ctx: &impl Serialize) -> Option<String> {
    PLAIN.with(|cell| {
        let mut cache = cell.borrow_mut();
        if !cache.contains_key(template) {
            cache.insert(template.to_string(), plain(template));
        }
        let pieces = cache[template].as_ref()?;
        let values = serde_json::to_value(ctx).ok()?;
        let mut out = String::new();
        put_pieces(pieces, &values, &mut out)?;
        Some(out)
    })
}

fn put_pieces(pieces: &[Piece], values: &serde_json::Value, out: &mut String) -> Option<()> {
    for piece in pieces {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(name) => out.push_str(values.get(name)?.as_str()?),
            Piece::If(name, inner) => {
                if !values.get(name)?.as_str()?.is_empty() {
                    put_pieces(inner, values, out)?;
                }
            }
        }
    }
    Some(())
}

/// `template` as text and `{{name}}` pieces, or None when it holds anything else Handlebars reads
/// (`{{#if}}`, `{{{x}}}`, `{{ x }}`, `{{a.b}}`, `\\{{`, a stray brace).
fn plain(template: &str) -> Option<Vec<Piece>> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        match rest.find("{{") {
            Some(start) => {
                let text = &rest[..start];
                let end = start + 2 + rest[start + 2..].find("}}")?;
                let name = &rest[start + 2..end];
                pieces.push(Piece::Text(text.to_string()));
                rest = &rest[end + 2..];
                if let Some(var) = name.strip_prefix("#if ") {
                    // One level, no `else`: the inner template ends at the first `{{/if}}`.
                    let close = rest.find("{{/if}}")?;
                    let inner = plain(&rest[..close])?;
                    if !identifier(var) || inner.iter().any(|p| matches!(p, Piece::If(..))) {
                        return None;
                    }
                    pieces.push(Piece::If(var.to_string(), inner));
                    rest = &rest[close + "{{/if}}".len()..];
                    continue;
                }
                if !identifier(name) {
                    return None;
                }
                pieces.push(Piece::Var(name.to_string()));
            }
            None => {
                pieces.push(Piece::Text(rest.to_string()));
                rest = "";
            }
        }
    }
    let literal = |p: &Piece| matches!(p, Piece::Text(t) if t.contains(['{', '}', '\\']));
    (!pieces.iter().any(literal)).then_some(pieces)
}

/// A variable name Handlebars reads as a plain lookup.
fn identifier(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(name, "this" | "else" | "true" | "false" | "null")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(dns_label("My_Service.v2", "x"), "my-service-v2");
        assert_eq!(dns_label("webApp", "x"), "web-app");
        assert_eq!(dns_label("%CONTAINER_NAME%", "x"), "container-name");
        assert_eq!(dns_label("---", "x"), "x");
        assert_eq!(dns_label(&"a".repeat(80), "x").len(), 63);
        assert_eq!(dns1035_label("3scale", "x"), "s-3scale");
    }

    /// The fast path renders what Handlebars renders, and leaves everything else to it.
    #[test]
    fn plain_templates_render_as_handlebars_does() {
        let ctx = NameContext {
            service: "web",
            environment: "prod",
            account: "111111111111",
            account_name: "shop-prod",
            region: "eu-west-1",
            cluster: "c",
            family: "web-td",
        };
        let handlebars = |t: &str| {
            let mut hb = Handlebars::new();
            hb.set_strict_mode(true);
            hb.register_escape_fn(handlebars::no_escape);
            hb.render_template(t, &ctx)
                .map_err(|e| format!("name template {t:?}: {e}"))
        };
        for t in [
            "{{service}}-{{environment}}",
            "{{service}}",
            "plain",
            "",
            "{{accountName}}/{{region}}/x-{{family}}{{cluster}}",
            "a&b<{{service}}>",
            "{{service}}{{#if cluster}}-{{cluster}}{{/if}}",
            "{{#if service}}x{{/if}}",
            "x{{#if family}}{{/if}}y",
        ] {
            assert!(plain(t).is_some(), "{t}");
            assert_eq!(render_text(t, &ctx), handlebars(t), "{t}");
        }
        for t in [
            "{{ service }}",
            "{{{service}}}",
            "{{#if service}}x{{else}}y{{/if}}",
            "{{#if service}}{{#if cluster}}x{{/if}}{{/if}}",
            "{{#if a.b}}x{{/if}}",
            "{{#if service}}x",
            "{{lower service}}",
            "{{this}}",
            "{{a.b}}",
            "\\{{service}}",
            "{{service",
            "x}}",
            "{{~service}}",
        ] {
            assert!(plain(t).is_none(), "{t}");
        }
        // Unknown or non-string values go to Handlebars, which words the error.
        let unknown = render_text("{{nope}}", &ctx).unwrap_err();
        assert!(
            unknown.starts_with("name template \"{{nope}}\": "),
            "{unknown}"
        );
        assert!(
            unknown.contains("Failed to access variable in strict mode"),
            "{unknown}"
        );
        assert_eq!(
            render_text("{{n}}", &serde_json::json!({"n": 3})).as_deref(),
            Ok("3")
        );
    }

    #[test]
    fn port_names() {
        assert_eq!(port_name("http").as_deref(), Some("http"));
        assert_eq!(port_name("ci-coordinator-22-tcp"), None);
        assert_eq!(port_name("8080"), None);
        assert_eq!(port_name("Web"), None);
    }

    #[test]
    fn templates_render_and_unknown_variables_fail() {
        let ctx = NameContext {
            service: "web",
            environment: "prod",
            account: "1",
            account_name: "a",
            region: "eu-west-1",
            cluster: "c",
            family: "f",
        };
        assert_eq!(
            render("{{service}}-{{environment}}", &ctx).unwrap(),
            "web-prod"
        );
        assert!(render("{{servce}}", &ctx).is_err());
    }
}
