use crate::Converted;
use crate::diagnostics::Code;
use crate::inventory::Inventory;
use crate::mappings::Mappings;
use crate::model::iam::split_role;
use crate::model::k8s::Object;
use crate::model::read::Inputs;
use crate::model::target::cluster::ClusterValue;
use crate::model::target::iam::{PodIdentityAssociation, Text, TrustStatement, ident};
use crate::translate::iam::bindings::ROLE_ARN_ANNOTATION;

const INVENTORY: &str = "accounts:\n  - {id: \"111111111111\", name: shop-dev, environment: dev}\n  - {id: \"222222222222\", name: shop-stg, environment: stg}\n";

fn task(family: &str, account: &str, role: Option<&str>, compat: &str) -> String {
    let role = role
        .map(|r| format!(r#""taskRoleArn": "arn:aws:iam::{account}:role{r}","#))
        .unwrap_or_default();
    format!(
        r#"{{"taskDefinition": {{"family": "{family}", {role}
            "taskDefinitionArn": "arn:aws:ecs:eu-west-1:{account}:task-definition/{family}:1",
            "executionRoleArn": "arn:aws:iam::{account}:role/ecsTaskExecutionRole",
            "requiresCompatibilities": ["{compat}"],
            "containerDefinitions": [{{"name": "app", "image": "nginx"}}]}}}}"#
    )
}

fn role_details(policies: &str) -> String {
    format!(
        r#"{{"RoleDetailList": [{{
            "RoleName": "app", "Path": "/", "Arn": "arn:aws:iam::111111111111:role/app",
            "Description": "the app",
            "AssumeRolePolicyDocument": {{"Version": "2012-10-17", "Statement": [
                {{"Effect": "Allow", "Principal": {{"Service": "ecs-tasks.amazonaws.com"}}, "Action": "sts:AssumeRole"}}]}},
            {policies}
            "Tags": [{{"Key": "team", "Value": "a"}}]
        }}], "Policies": [{{
            "PolicyName": "custom", "Arn": "arn:aws:iam::111111111111:policy/custom", "DefaultVersionId": "v2",
            "PolicyVersionList": [
                {{"VersionId": "v2", "IsDefaultVersion": true, "Document": {{"Statement": [{{"Effect": "Allow", "Action": "*", "Resource": "*"}}]}}}},
                {{"VersionId": "v1", "IsDefaultVersion": false, "Document": {{"Statement": [{{"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}}]}}}}
            ]}}]}}"#
    )
}

const SAFE: &str = r#""RolePolicyList": [{"PolicyName": "s3", "PolicyDocument": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}]}}],
    "AttachedManagedPolicies": [{"PolicyName": "ro", "PolicyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}],"#;

fn run(files: &[(&str, String)], mappings: &str) -> Converted {
    let mut inputs = Inputs::default();
    for (name, text) in files {
        crate::fixtures::read_into(&mut inputs, &[(name, text)]);
    }
    assert!(inputs.errors.is_empty(), "{:?}", inputs.errors);
    let m = Mappings::load(Some(("m.yaml", mappings))).unwrap();
    let inv = Inventory::parse("inv.yaml", INVENTORY).unwrap();
    crate::convert_read(inputs, &m, Some(&inv), &|_, _| {})
}

/// The app `web` of account 111111111111, whose task role `app` is in the IAM inputs.
fn web_app(mappings: &str) -> Converted {
    let td = task("web", "111111111111", Some("/app"), "EC2");
    run(
        &[("td.json", td), ("iam.json", role_details(SAFE))],
        mappings,
    )
}

/// The Terraform of `c`.
fn terraform(c: &Converted) -> crate::export::Tree {
    let sink = crate::export::TreeSink::default();
    crate::export::iam_roots::render(&c.conversion, &sink);
    sink.into_tree()
}

fn sa<'a>(c: &'a Converted, app: &str) -> &'a Object {
    let at = c.conversion.workloads.iter().position(|w| w.app == app);
    c.objects[at.unwrap()]
        .iter()
        .find(|o| o.kind == "ServiceAccount")
        .unwrap()
}

fn codes(c: &Converted, app: &str) -> Vec<&'static str> {
    let w = c
        .conversion
        .workloads
        .iter()
        .find(|w| w.app == app)
        .unwrap();
    w.findings
        .iter()
        .map(|f| f.code.as_str())
        .filter(|c| ("E2K450"..="E2K499").contains(c))
        .collect()
}

#[test]
fn new_role_annotates_the_service_account_and_trusts_exactly_it() {
    let c = web_app(
        "iam:\n  cluster: {oidcIssuer: \"https://oidc.eks.eu-west-1.amazonaws.com/id/ABC/\"}\n",
    );
    let sa = sa(&c, "web");
    assert_eq!(
        sa.metadata.annotations[ROLE_ARN_ANNOTATION],
        "arn:aws:iam::111111111111:role/app-eks"
    );
    assert!(sa.body().get("automountServiceAccountToken").is_none());
    assert_eq!(c.conversion.iam_roles.len(), 1);
    let role = &c.conversion.iam_roles[0];
    assert_eq!(
        (role.directory.as_str(), role.name.as_str()),
        ("shop-dev", "app-eks")
    );
    assert!(!role.adopt);
    assert_eq!(
        role.trust,
        vec![TrustStatement::Oidc {
            environment: "dev".into(),
            created: false,
            subjects: vec!["system:serviceaccount:web-dev:web".into()],
        }]
    );
    assert_eq!(
        c.conversion.clusters.value("dev", ClusterValue::OidcIssuer),
        Text::Literal("oidc.eks.eu-west-1.amazonaws.com/id/ABC".into())
    );
    assert_eq!(role.inline_policies.len(), 1);
    assert_eq!(
        role.managed_policies,
        vec!["arn:aws:iam::aws:policy/ReadOnlyAccess"]
    );
    assert_eq!(role.tags["team"], "a");
    assert!(codes(&c, "web").is_empty(), "{:?}", codes(&c, "web"));
}

#[test]
fn no_task_role_means_no_token_and_no_role() {
    let c = run(&[("td.json", task("web", "111111111111", None, "EC2"))], "");
    let sa = sa(&c, "web");
    assert!(sa.metadata.annotations.is_empty());
    assert_eq!(sa.body()["automountServiceAccountToken"], false);
    assert!(c.conversion.iam_roles.is_empty());
    // The execution role is still reported once, by placement.
    let w = &c.conversion.workloads[0];
    assert_eq!(
        w.findings
            .iter()
            .filter(|f| f.code == Code::ExecutionRole)
            .count(),
        1
    );
}

#[test]
fn a_missing_task_role_still_annotates_and_warns() {
    let c = run(
        &[(
            "td.json",
            task("web", "111111111111", Some("/team/app"), "EC2"),
        )],
        "",
    );
    assert_eq!(
        sa(&c, "web").metadata.annotations[ROLE_ARN_ANNOTATION],
        "arn:aws:iam::111111111111:role/team/app-eks"
    );
    assert_eq!(codes(&c, "web"), vec!["E2K450", "E2K457"]);
    let role = &c.conversion.iam_roles[0];
    assert!(!role.permissions_known);
    assert_eq!(role.path, "/team/");
    assert!(matches!(
        &role.trust[0],
        TrustStatement::Oidc { environment, created: false, .. } if environment == "dev"
    ));
    assert!(matches!(
        c.conversion.clusters.value("dev", ClusterValue::OidcIssuer),
        Text::Var { name, .. } if name == "oidc_issuer_dev"
    ));
    // Stdout writes no Terraform: the finding first says what to set.
    let unset = c.conversion.workloads[0]
        .findings
        .iter()
        .find(|f| f.code == Code::ClusterUnset)
        .unwrap();
    assert!(
        unset
            .message
            .starts_with("the OIDC issuer of environment dev's cluster is not set: set iam.clusters.dev.oidcIssuer in the mappings (or oidcIssuer under environments.dev in the inventory)"),
        "{}",
        unset.message
    );
}

#[test]
fn extend_task_role_keeps_the_trust_and_adds_oidc() {
    let c = web_app("iam:\n  strategy: extend-task-role\n");
    assert_eq!(
        sa(&c, "web").metadata.annotations[ROLE_ARN_ANNOTATION],
        "arn:aws:iam::111111111111:role/app"
    );
    let role = &c.conversion.iam_roles[0];
    assert!(role.adopt);
    assert_eq!(role.name, "app");
    assert_eq!(role.description.as_deref(), Some("the app"));
    assert_eq!(role.trust.len(), 2);
    assert!(
        matches!(&role.trust[0], TrustStatement::Verbatim(v) if v["Principal"]["Service"] == "ecs-tasks.amazonaws.com")
    );
    assert!(matches!(&role.trust[1], TrustStatement::Oidc { .. }));
}

/// extend-task-role across accounts: the task role keeps its trust, and adds the cluster's
/// provider that the task role's root creates, for exactly its ServiceAccount.
#[test]
fn extend_task_role_in_another_account_than_the_cluster_trusts_a_provider_its_root_creates() {
    let c = web_app("iam:\n  strategy: extend-task-role\n  cluster: {account: \"999999999999\"}\n");
    let role = &c.conversion.iam_roles[0];
    assert!(role.adopt);
    assert_eq!(role.account, "111111111111");
    assert_eq!(
        role.trust[1],
        TrustStatement::Oidc {
            environment: "dev".into(),
            created: true,
            subjects: vec!["system:serviceaccount:web-dev:web".into()],
        }
    );
    let tree = terraform(&c);
    assert!(tree["iam/shop-dev/oidc-providers.tf"].contains("aws_iam_openid_connect_provider"));
    assert!(tree["iam/shop-dev/app.tf"].contains("Federated = aws_iam_openid_connect_provider."));
}

#[test]
fn extend_task_role_without_its_trust_policy_writes_nothing() {
    let c = run(
        &[("td.json", task("web", "111111111111", Some("/app"), "EC2"))],
        "iam:\n  strategy: extend-task-role\n",
    );
    assert!(c.conversion.iam_roles.is_empty());
    let w = &c.conversion.workloads[0];
    assert!(
        w.findings
            .iter()
            .any(|f| f.message.contains("no Terraform was written"))
    );
}

#[test]
fn pod_identity_binds_without_annotation() {
    let c =
        web_app("iam:\n  strategies: {web: pod-identity}\n  clusters: {dev: {name: shop-dev}}\n");
    assert!(sa(&c, "web").metadata.annotations.is_empty());
    let role = &c.conversion.iam_roles[0];
    assert_eq!(role.trust, vec![TrustStatement::PodIdentity]);
    assert_eq!(
        role.pod_identity,
        vec![PodIdentityAssociation {
            environment: "dev".into(),
            namespace: "web-dev".into(),
            service_account: "web".into(),
        }]
    );
    assert!(!codes(&c, "web").contains(&"E2K457"));
}

#[test]
fn pod_identity_on_fargate_is_an_error() {
    let c = run(
        &[
            (
                "td.json",
                task("web", "111111111111", Some("/app"), "FARGATE"),
            ),
            ("iam.json", role_details(SAFE)),
        ],
        "iam:\n  strategy: pod-identity\n",
    );
    assert_eq!(codes(&c, "web"), vec!["E2K452"]);
    assert!(c.conversion.workloads[0].failed());
    assert!(c.conversion.iam_roles.is_empty());
}

#[test]
fn a_shared_role_trusts_each_service_account_or_splits_per_environment() {
    let files = [
        ("a.json", task("api", "111111111111", Some("/app"), "EC2")),
        (
            "b.json",
            task("worker", "111111111111", Some("/app"), "EC2"),
        ),
        ("iam.json", role_details(SAFE)),
    ];
    let c = run(&files, "");
    assert_eq!(c.conversion.iam_roles.len(), 1);
    let TrustStatement::Oidc { subjects, .. } = &c.conversion.iam_roles[0].trust[0] else {
        panic!("{:?}", c.conversion.iam_roles[0].trust);
    };
    assert_eq!(
        subjects,
        &[
            "system:serviceaccount:api-dev:api",
            "system:serviceaccount:worker-dev:worker"
        ]
    );
    assert!(codes(&c, "api").contains(&"E2K456"));

    let c = run(&files, "iam:\n  roleName: \"{{role}}-{{service}}\"\n");
    let names: Vec<_> = c
        .conversion
        .iam_roles
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    assert_eq!(names, ["app-api", "app-worker"]);
    assert!(!codes(&c, "api").contains(&"E2K456"));
}

#[test]
fn environments_in_other_accounts_get_a_role_in_their_own_folder() {
    let c = run(
        &[
            ("a.json", task("api", "111111111111", Some("/app"), "EC2")),
            ("b.json", task("api", "222222222222", Some("/app"), "EC2")),
        ],
        "",
    );
    // Two accounts: two folders, one role each.
    let dirs: Vec<_> = c
        .conversion
        .iam_roles
        .iter()
        .map(|r| r.directory.as_str())
        .collect();
    assert_eq!(dirs, ["shop-dev", "shop-stg"]);
}

#[test]
fn risky_permissions_are_findings_with_their_path() {
    let policies = r#""RolePolicyList": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "*"},
            {"Effect": "Allow", "Action": ["iam:Pass*"], "Resource": ["*"]},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::1:role/x"}
        ]}}],
        "AttachedManagedPolicies": [
            {"PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
            {"PolicyArn": "arn:aws:iam::111111111111:policy/custom"}
        ],"#;
    let c = run(
        &[
            ("td.json", task("web", "111111111111", Some("/app"), "EC2")),
            ("iam.json", role_details(policies)),
        ],
        "",
    );
    let w = &c.conversion.workloads[0];
    let risky: Vec<(&str, String)> = w
        .findings
        .iter()
        .filter(|f| ["E2K453", "E2K454", "E2K455"].contains(&f.code.as_str()))
        .map(|f| (f.code.as_str(), f.field))
        .collect();
    let risky: Vec<(&str, &str)> = risky.iter().map(|(c, f)| (*c, f.as_str())).collect();
    assert_eq!(
        risky,
        [
            (
                "E2K454",
                "RoleDetailList[0].RolePolicyList[0].PolicyDocument.Statement[2]"
            ),
            ("E2K455", "RoleDetailList[0].AttachedManagedPolicies[0]"),
            (
                "E2K453",
                "Policies[0].PolicyVersionList[0].Document.Statement[0]"
            ),
        ]
    );
    assert!(w.findings.iter().all(|f| !f.message.contains("v1")));
    assert_eq!(
        w.findings
            .iter()
            .find(|f| f.code == Code::RiskyWildcard)
            .unwrap()
            .input,
        "iam.json"
    );
}

#[test]
fn role_arns_and_names() {
    assert_eq!(
        split_role("arn:aws:iam::1:role/a/b/name"),
        ("1".into(), "/a/b/".into(), "name".into())
    );
    assert_eq!(
        split_role("arn:aws:iam::1:role/name"),
        ("1".into(), "/".into(), "name".into())
    );
    assert_eq!(split_role("name"), ("".into(), "/".into(), "name".into()));
    assert_eq!(ident("orders-app.v2"), "orders_app_v2");
    assert_eq!(ident("3x"), "r_3x");
}

#[test]
fn a_trust_policy_over_the_quota_is_a_warning() {
    let mut files = vec![("iam.json".to_string(), role_details(SAFE))];
    for i in 0..30 {
        files.push((
            format!("td{i}.json"),
            task(
                &format!("service-number-{i}"),
                "111111111111",
                Some("/app"),
                "EC2",
            ),
        ));
    }
    let files: Vec<(&str, String)> = files.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
    let c = run(&files, "");
    assert!(codes(&c, "service-number-0").contains(&"E2K458"));
    let c = run(&files[..3], "");
    assert!(!codes(&c, "service-number-0").contains(&"E2K458"));
}

#[test]
fn pod_identity_role_outside_the_cluster_account_is_an_error_and_writes_no_role() {
    let c = web_app("iam:\n  strategy: pod-identity\n  cluster: {account: \"999999999999\"}\n");
    assert_eq!(codes(&c, "web"), vec!["E2K462"]);
    assert!(c.conversion.workloads[0].failed());
    assert!(c.conversion.iam_roles.is_empty());
}

/// IRSA across accounts: the role stays in the task role's account, whose root creates the
/// cluster's OIDC provider; the role trusts it, for exactly its ServiceAccount.
#[test]
fn irsa_role_in_another_account_than_the_cluster_trusts_a_provider_its_root_creates() {
    let c = web_app(
        "iam:\n  cluster: {account: \"999999999999\", oidcIssuer: oidc.eks.eu-west-1.amazonaws.com/id/ABC}\n",
    );
    let role = &c.conversion.iam_roles[0];
    assert_eq!(role.account, "111111111111");
    assert_eq!(
        role.trust,
        vec![TrustStatement::Oidc {
            environment: "dev".into(),
            created: true,
            subjects: vec!["system:serviceaccount:web-dev:web".into()],
        }]
    );
    let tree = terraform(&c);
    let provider = &tree["iam/shop-dev/oidc-providers.tf"];
    assert!(
        provider.contains("resource \"aws_iam_openid_connect_provider\" \"eks_dev\"")
            && provider
                .contains("url            = \"https://oidc.eks.eu-west-1.amazonaws.com/id/ABC\"")
            && provider.contains("client_id_list = [\"sts.amazonaws.com\"]"),
        "{provider}"
    );
    let role_file = &tree["iam/shop-dev/app-eks.tf"];
    assert!(
        role_file.contains("Federated = aws_iam_openid_connect_provider.eks_dev.arn"),
        "{role_file}"
    );
}

#[test]
fn a_task_role_that_is_the_execution_role_is_reported() {
    let td = task("web", "111111111111", Some("/ecsTaskExecutionRole"), "EC2");
    let c = run(&[("td.json", td)], "");
    assert!(codes(&c, "web").contains(&"E2K460"));
}

#[test]
fn get_role_output_completes_the_account_details() {
    let get_role = r#"{"Role": {"RoleName": "app", "Arn": "arn:aws:iam::111111111111:role/app",
        "Description": "from get-role", "MaxSessionDuration": 7200}}"#;
    let details = role_details(SAFE).replace(r#""Description": "the app","#, "");
    let c = run(
        &[
            ("a-get-role.json", get_role.to_string()),
            ("b-details.json", details),
            ("td.json", task("web", "111111111111", Some("/app"), "EC2")),
        ],
        "iam:\n  strategy: extend-task-role\n",
    );
    let role = &c.conversion.iam_roles[0];
    assert!(role.permissions_known);
    assert_eq!(role.inline_policies.len(), 1);
    assert_eq!(role.description.as_deref(), Some("from get-role"));
    assert_eq!(role.max_session_duration, Some(7200));
    assert!(!codes(&c, "web").contains(&"E2K451"));
}
