//! Terraform (HCL) for the AWS side: the pods' role files, and the HCL every Terraform writer
//! shares (`Hcl`, blocks, policies, assumable roles); `export::iam_roots` lays them out in roots.
//!
//! Policy documents are written with `jsonencode()` of HCL objects, in the source's key order, so
//! that a diff against the task role's JSON reads line by line. Output is laid out as
//! `terraform fmt` would (aligned `=`), so a `terraform fmt` leaves it unchanged.

use crate::model::target::cluster::{ClusterValue, Clusters};
use crate::model::target::iam::{IamRole, Text, TrustStatement, ident};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The OIDC providers a root creates: issuer → (resource name, environments).
pub(super) type Providers<'a> = BTreeMap<Text, (String, BTreeSet<&'a str>)>;

/// The provider alias of a region: `eu-west-1` → `eu_west_1`.
pub(super) fn region_alias(region: &str) -> String {
    ident(region)
}

/// An `aws_iam_policy` resource with `document` as its policy, for callers that make policies
/// of their own (e.g. the read policy External Secrets Operator needs).
pub fn iam_policy(resource: &str, name: &str, description: &str, document: &Value) -> String {
    block(
        &format!("resource \"aws_iam_policy\" {}", quote(resource)),
        vec![
            ("name".into(), Hcl::Str(escape(name))),
            ("description".into(), Hcl::Str(escape(description))),
            (
                "policy".into(),
                Hcl::call("jsonencode", from_json(document)),
            ),
        ],
    )
}

pub(super) fn role_file(role: &IamRole, providers: &Providers<'_>, clusters: &Clusters) -> String {
    let role_ref = format!("aws_iam_role.{}", role.resource);
    let mut blocks = Vec::new();
    if role.adopt {
        blocks.push(import(&role_ref, &role.name));
    }
    blocks.push(role_block(role, providers, clusters));
    if !role.permissions_known {
        blocks.push(format!(
            "# The permissions of {} were not in the inputs: add its policies here.\n",
            role.source_arn
        ));
    }
    blocks.extend(policy_blocks(role, &role_ref));
    blocks.extend(pod_identity_blocks(role, &role_ref, clusters));
    let mut out = header(role);
    out.push_str(&blocks.join("\n"));
    out
}

/// The `aws_iam_role` resource itself.
fn role_block(role: &IamRole, providers: &Providers<'_>, clusters: &Clusters) -> String {
    let mut attrs = vec![
        ("name".to_string(), Hcl::Str(escape(&role.name))),
        ("path".to_string(), Hcl::Str(escape(&role.path))),
    ];
    if let Some(d) = &role.description {
        attrs.push(("description".into(), Hcl::Str(escape(d))));
    }
    if let Some(m) = role.max_session_duration {
        attrs.push(("max_session_duration".into(), Hcl::Expr(m.to_string())));
    }
    if let Some(b) = &role.permissions_boundary {
        attrs.push(("permissions_boundary".into(), Hcl::Str(escape(b))));
    }
    attrs.push((
        "assume_role_policy".into(),
        Hcl::call("jsonencode", trust_policy(role, providers, clusters)),
    ));
    if !role.tags.is_empty() {
        let tags = role.tags.iter().map(|(k, v)| (key(k), Hcl::Str(escape(v))));
        attrs.push(("tags".into(), Hcl::Object(tags.collect())));
    }
    let resource = format!("resource \"aws_iam_role\" {}", quote(&role.resource));
    block(&resource, attrs)
}

/// The role's inline policies and managed policy attachments (imported too when the role is
/// adopted, so Terraform takes them over rather than duplicating them).
fn policy_blocks(role: &IamRole, role_ref: &str) -> Vec<String> {
    let r = &role.resource;
    let mut blocks = Vec::new();
    for (name, doc) in &role.inline_policies {
        let res = format!("{r}__{}", ident(name));
        if role.adopt {
            blocks.push(import(
                &format!("aws_iam_role_policy.{res}"),
                &format!("{}:{name}", role.name),
            ));
        }
        blocks.push(block(
            &format!("resource \"aws_iam_role_policy\" {}", quote(&res)),
            vec![
                ("name".into(), Hcl::Str(escape(name))),
                ("role".into(), Hcl::Expr(format!("{role_ref}.id"))),
                (
                    "policy".into(),
                    Hcl::call("jsonencode", from_json(&doc.value())),
                ),
            ],
        ));
    }
    for arn in &role.managed_policies {
        let short = arn.rsplit('/').next().unwrap_or(arn);
        let res = format!("{r}__{}", ident(short));
        if role.adopt {
            blocks.push(import(
                &format!("aws_iam_role_policy_attachment.{res}"),
                &format!("{}/{arn}", role.name),
            ));
        }
        blocks.push(block(
            &format!(
                "resource \"aws_iam_role_policy_attachment\" {}",
                quote(&res)
            ),
            vec![
                ("role".into(), Hcl::Expr(format!("{role_ref}.name"))),
                ("policy_arn".into(), Hcl::Str(escape(arn))),
            ],
        ));
    }
    blocks
}

/// One `aws_eks_pod_identity_association` per ServiceAccount that gets the role that way.
fn pod_identity_blocks(role: &IamRole, role_ref: &str, clusters: &Clusters) -> Vec<String> {
    role.pod_identity
        .iter()
        .map(|a| {
            let res = format!(
                "{}__{}__{}",
                role.resource,
                ident(&a.namespace),
                ident(&a.service_account)
            );
            block(
                &format!(
                    "resource \"aws_eks_pod_identity_association\" {}",
                    quote(&res)
                ),
                vec![
                    (
                        "cluster_name".into(),
                        text(&clusters.value(&a.environment, ClusterValue::Name)),
                    ),
                    ("namespace".into(), Hcl::Str(escape(&a.namespace))),
                    (
                        "service_account".into(),
                        Hcl::Str(escape(&a.service_account)),
                    ),
                    ("role_arn".into(), Hcl::Expr(format!("{role_ref}.arn"))),
                ],
            )
        })
        .collect()
}

fn header(role: &IamRole) -> String {
    let irsa = role
        .trust
        .iter()
        .any(|t| matches!(t, TrustStatement::Oidc { .. }));
    let how = match (role.adopt, irsa, !role.pod_identity.is_empty()) {
        (true, _, _) => {
            "the task role itself (extend-task-role): its trust policy gets the cluster's OIDC provider next to ecs-tasks.amazonaws.com; the import blocks adopt the existing role"
        }
        (false, true, true) => {
            "a new role for IRSA (new-role) and EKS Pod Identity (pod-identity): it trusts the cluster's OIDC provider for exactly the ServiceAccounts below that use IRSA, and pods.eks.amazonaws.com with an association for the others"
        }
        (false, _, true) => {
            "a new role for EKS Pod Identity (pod-identity): it trusts pods.eks.amazonaws.com, and an association binds each ServiceAccount below"
        }
        (false, _, false) => {
            "a new role for IRSA (new-role): it trusts the cluster's OIDC provider for exactly the ServiceAccounts below"
        }
    };
    let mut out = format!(
        "# IAM role {}, written by ecs2eks from task role {}.\n# It is {how}.\n# Used by:\n",
        role.name, role.source_arn
    );
    for u in &role.used_by {
        out.push_str(&format!("#   {u}\n"));
    }
    out.push('\n');
    out
}

fn import(to: &str, id: &str) -> String {
    block(
        "import",
        vec![
            ("to".into(), Hcl::Expr(to.to_string())),
            ("id".into(), Hcl::Str(escape(id))),
        ],
    )
}

fn trust_policy(role: &IamRole, providers: &Providers<'_>, clusters: &Clusters) -> Hcl {
    let statements = role.trust.iter().map(|st| match st {
        TrustStatement::Verbatim(v) => from_json(v),
        TrustStatement::Oidc {
            environment,
            created,
            subjects,
        } => {
            let issuer = clusters.value(environment, ClusterValue::OidcIssuer);
            let issuer_t = template(&issuer);
            let federated = match providers.get(&issuer).filter(|_| *created) {
                // Created in this root: trust what it creates.
                Some((resource, _)) => {
                    Hcl::Expr(format!("aws_iam_openid_connect_provider.{resource}.arn"))
                }
                // The cluster's account: the provider made with the cluster.
                None => Hcl::Str(format!(
                    "arn:aws:iam::{}:oidc-provider/{issuer_t}",
                    escape(&role.account)
                )),
            };
            oidc_statement(federated, &issuer_t, subjects)
        }
        TrustStatement::PodIdentity => Hcl::Object(vec![
            ("Effect".into(), Hcl::Str("Allow".into())),
            (
                "Principal".into(),
                Hcl::Object(vec![(
                    "Service".into(),
                    Hcl::Str("pods.eks.amazonaws.com".into()),
                )]),
            ),
            (
                "Action".into(),
                Hcl::List(vec![
                    Hcl::Str("sts:AssumeRole".into()),
                    Hcl::Str("sts:TagSession".into()),
                ]),
            ),
        ]),
    });
    policy_document(statements.collect())
}

/// An IRSA trust statement: `federated` (the provider's ARN) for exactly `subjects`.
fn oidc_statement(federated: Hcl, issuer_t: &str, subjects: &[String]) -> Hcl {
    let sub = match subjects {
        [one] => Hcl::Str(escape(one)),
        many => Hcl::List(many.iter().map(|s| Hcl::Str(escape(s))).collect()),
    };
    Hcl::Object(vec![
        ("Effect".into(), Hcl::Str("Allow".into())),
        (
            "Principal".into(),
            Hcl::Object(vec![("Federated".into(), federated)]),
        ),
        (
            "Action".into(),
            Hcl::Str("sts:AssumeRoleWithWebIdentity".into()),
        ),
        (
            "Condition".into(),
            Hcl::Object(vec![(
                "StringEquals".into(),
                Hcl::Object(vec![
                    (
                        format!("\"{issuer_t}:aud\""),
                        Hcl::Str("sts.amazonaws.com".into()),
                    ),
                    (format!("\"{issuer_t}:sub\""), sub),
                ]),
            )]),
        ),
    ])
}

/// `{Version = "2012-10-17", Statement = [...]}`.
fn policy_document(statements: Vec<Hcl>) -> Hcl {
    Hcl::Object(vec![
        ("Version".into(), Hcl::Str("2012-10-17".into())),
        ("Statement".into(), Hcl::List(statements)),
    ])
}

/// A trust policy letting the roles `principals` (ARNs, literal or variables) assume the role.
pub(super) fn assumed_by(principals: &[Text]) -> Hcl {
    let aws = match principals {
        [one] => text(one),
        many => Hcl::List(many.iter().map(text).collect()),
    };
    policy_document(vec![Hcl::Object(vec![
        ("Effect".into(), Hcl::Str("Allow".into())),
        ("Principal".into(), Hcl::Object(vec![("AWS".into(), aws)])),
        ("Action".into(), Hcl::Str("sts:AssumeRole".into())),
    ])])
}

/// `aws_iam_role` of role `arn` (its name and path; the resource named after the name), which
/// `trusted` may assume: a role that a controller of a cluster in another account assumes.
pub(super) fn assumable_role(arn: &str, description: &str, trusted: &[Text]) -> String {
    let (_, path, name) = crate::model::iam::split_role(arn);
    block(
        &format!("resource \"aws_iam_role\" {}", quote(&ident(&name))),
        vec![
            ("name".into(), Hcl::Str(escape(&name))),
            ("path".into(), Hcl::Str(escape(&path))),
            ("description".into(), Hcl::Str(escape(description))),
            (
                "assume_role_policy".into(),
                Hcl::call("jsonencode", assumed_by(trusted)),
            ),
        ],
    )
}

/// An HCL expression, enough for attributes and `jsonencode()` arguments.
#[derive(Debug, Clone)]
pub(super) enum Hcl {
    /// A quoted template; the content is already escaped.
    Str(String),
    /// A bare expression: `var.x`, `aws_iam_role.x.arn`, a number.
    Expr(String),
    List(Vec<Hcl>),
    /// Keys are already in their HCL form (identifier or quoted template).
    Object(Vec<(String, Hcl)>),
    Call(&'static str, Box<Hcl>),
}

impl Hcl {
    pub(super) fn call(f: &'static str, arg: Hcl) -> Hcl {
        Hcl::Call(f, Box::new(arg))
    }

    /// Appends the value as HCL, `indent` levels deep: into one string, so a large value (an
    /// ESO policy listing every secret of an account) is not copied at each level it nests in.
    fn render_into(&self, indent: usize, out: &mut String) {
        match self {
            Hcl::Str(s) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            Hcl::Expr(e) => out.push_str(e),
            Hcl::List(items) if items.is_empty() => out.push_str("[]"),
            Hcl::List(items) if items.len() == 1 && items[0].is_scalar() => {
                out.push('[');
                items[0].render_into(indent, out);
                out.push(']');
            }
            Hcl::List(items) => {
                let pad = "  ".repeat(indent);
                out.push_str("[\n");
                for item in items {
                    out.push_str(&pad);
                    out.push_str("  ");
                    item.render_into(indent + 1, out);
                    out.push_str(",\n");
                }
                out.push_str(&pad);
                out.push(']');
            }
            Hcl::Object(entries) if entries.is_empty() => out.push_str("{}"),
            Hcl::Object(entries) => {
                out.push_str("{\n");
                body(entries, indent + 1, out);
                out.push_str(&"  ".repeat(indent));
                out.push('}');
            }
            Hcl::Call(f, arg) => {
                out.push_str(f);
                out.push('(');
                arg.render_into(indent, out);
                out.push(')');
            }
        }
    }

    /// Whether `render_into` writes more than one line.
    fn is_multiline(&self) -> bool {
        match self {
            Hcl::Str(s) | Hcl::Expr(s) => s.contains('\n'),
            Hcl::List(items) if items.is_empty() => false,
            Hcl::List(items) if items.len() == 1 && items[0].is_scalar() => items[0].is_multiline(),
            Hcl::Object(entries) => !entries.is_empty(),
            Hcl::List(_) => true,
            Hcl::Call(_, arg) => arg.is_multiline(),
        }
    }

    fn is_scalar(&self) -> bool {
        matches!(self, Hcl::Str(_) | Hcl::Expr(_))
    }
}

/// The lines of an object or block body, `=` aligned as `terraform fmt` (hclwrite) does: over
/// each run of single-line attributes; a multi-line one keeps one space and ends the run.
fn body(entries: &[(String, Hcl)], indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    let mut start = 0;
    while start < entries.len() {
        let mut end = start;
        while end < entries.len() && !entries[end].1.is_multiline() {
            end += 1;
        }
        let width = entries[start..end]
            .iter()
            .map(|(k, _)| k.chars().count())
            .max()
            .unwrap_or(0);
        for (k, v) in &entries[start..end] {
            out.push_str(&pad);
            out.push_str(k);
            out.push_str(&" ".repeat(width - k.chars().count()));
            out.push_str(" = ");
            v.render_into(indent, out);
            out.push('\n');
        }
        if let Some((k, v)) = entries.get(end) {
            out.push_str(&pad);
            out.push_str(k);
            out.push_str(" = ");
            v.render_into(indent, out);
            out.push('\n');
        }
        start = end + 1;
    }
}

pub(super) fn block(header: &str, attrs: Vec<(String, Hcl)>) -> String {
    let mut out = format!("{header} {{\n");
    body(&attrs, 1, &mut out);
    out.push_str("}\n");
    out
}

/// A JSON value as HCL, every string escaped so that `${…}` policy variables stay literal.
pub(super) fn from_json(v: &Value) -> Hcl {
    match v {
        Value::String(s) => Hcl::Str(escape(s)),
        Value::Number(n) => Hcl::Expr(n.to_string()),
        Value::Bool(b) => Hcl::Expr(b.to_string()),
        Value::Null => Hcl::Expr("null".into()),
        Value::Array(a) => Hcl::List(a.iter().map(from_json).collect()),
        Value::Object(o) => Hcl::Object(o.iter().map(|(k, v)| (key(k), from_json(v))).collect()),
    }
}

/// An object key: a bare identifier when it is one, else a quoted string.
fn key(k: &str) -> String {
    let is_ident = k
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !matches!(k, "true" | "false" | "null" | "for" | "in" | "if");
    if is_ident { k.to_string() } else { quote(k) }
}

pub(super) fn quote(s: &str) -> String {
    format!("\"{}\"", escape(s))
}

/// Escapes text for an HCL quoted template.
pub(super) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A Terraform string as template content: escaped literal, or `${var.name}`.
pub(super) fn template(t: &Text) -> String {
    match t {
        Text::Literal(s) => escape(s),
        Text::Var { name, .. } => format!("${{var.{name}}}"),
    }
}

pub(super) fn text(t: &Text) -> Hcl {
    match t {
        Text::Literal(s) => Hcl::Str(escape(s)),
        Text::Var { name, .. } => Hcl::Expr(format!("var.{name}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn policy_variables_stay_literal_and_keys_are_quoted_when_needed() {
        let doc = json!({"Statement": [{"Resource": "arn:aws:s3:::b/${aws:username}/*",
            "Condition": {"StringLike": {"s3:prefix": ["a\"b"]}}}]});
        let out = iam_policy("p", "p", "d", &doc);
        assert!(
            out.contains(r#""arn:aws:s3:::b/$${aws:username}/*""#),
            "{out}"
        );
        assert!(out.contains(r#""s3:prefix" = ["a\"b"]"#), "{out}");
        let body: hcl::Body = hcl::from_str(&out).unwrap();
        let policy = body.blocks().next().unwrap();
        assert_eq!(policy.identifier(), "resource");
    }

    #[test]
    fn equals_signs_are_aligned_like_terraform_fmt() {
        let one = |v: &str| Hcl::Expr(v.into());
        let out = block(
            "x",
            vec![
                ("a".into(), one("1")),
                ("bb".into(), one("2")),
                (
                    "long_name".into(),
                    Hcl::Object(vec![("k".into(), one("3"))]),
                ),
                ("c".into(), one("4")),
                ("dddd".into(), one("5")),
            ],
        );
        assert_eq!(
            out,
            "x {\n  a  = 1\n  bb = 2\n  long_name = {\n    k = 3\n  }\n  c    = 4\n  dddd = 5\n}\n"
        );
    }
}
