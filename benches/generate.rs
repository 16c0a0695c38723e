//! A synthetic inventory for the benchmark: N services × 3 environments (dev, stg, prod, one AWS
//! account each, eu-west-1), shaped like a real estate:
//!
//! - per service, a describe-services file and a describe-task-definition file, with an app
//!   container, an Envoy sidecar, two secrets, a health check and a load balancer;
//! - per environment, the ELBv2 side of those load balancers: the services spread over
//!   internet-facing ALBs of at most 100 listener rules each (the AWS default quota), each ALB
//!   with one HTTPS:443 listener (certificate, fixed-response 404 default action) whose
//!   describe-rules file holds one host-header rule per service (`svc-XXXXX.<env>.example.com`,
//!   priorities 1..100) forwarding to the service's own target group (ip targets, HTTP:8080,
//!   health check /health), plus the default rule;
//! - per environment, `aws iam get-account-authorization-details` with each service's task role
//!   (`svc-XXXXX-task`: ecs-tasks trust policy, one inline s3:GetObject policy) and
//!   ecsTaskExecutionRole.
//!
//! The same N always gives the same bytes (ids are hashes of names, not random).

use serde_json::{Value, json};
use std::path::Path;

pub const ENVIRONMENTS: [(&str, &str); 3] = [
    ("dev", "111111111111"),
    ("stg", "222222222222"),
    ("prod", "333333333333"),
];

const REGION: &str = "eu-west-1";

/// Listener rules per ALB: the AWS default quota.
const RULES_PER_ALB: usize = 100;

pub fn inventory_yaml() -> String {
    let mut s = String::from("accounts:\n");
    for (env, id) in ENVIRONMENTS {
        s.push_str(&format!(
            "  - {{id: \"{id}\", name: shop-{env}, environment: {env}, team: team-{env}}}\n"
        ));
    }
    s
}

/// Writes, for each environment `<env>`:
/// - `dir/<env>/svc-<i>-{service,taskdef}.json` for i in 0..n;
/// - `dir/<env>/elbv2-describe-{load-balancers,listeners,target-groups}.json`;
/// - `dir/<env>/elbv2-describe-rules-<alb name>.json`, one per ALB;
/// - `dir/<env>/iam-get-account-authorization-details.json`.
pub fn write(dir: &Path, n: usize) {
    for (e, (env, account)) in ENVIRONMENTS.iter().enumerate() {
        let d = dir.join(env);
        std::fs::create_dir_all(&d).unwrap();
        for i in 0..n {
            let name = format!("svc-{i:05}");
            let region = REGION;
            let td_arn = format!(
                "arn:aws:ecs:{region}:{account}:task-definition/{name}:{}",
                10 + e
            );
            let td = json!({"taskDefinition": {
                "taskDefinitionArn": td_arn, "family": name, "revision": 10 + e,
                "taskRoleArn": format!("arn:aws:iam::{account}:role/{name}-task"),
                "executionRoleArn": format!("arn:aws:iam::{account}:role/ecsTaskExecutionRole"),
                "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"], "cpu": "512", "memory": "1024",
                "containerDefinitions": [
                    {"name": "app", "image": format!("{account}.dkr.ecr.{region}.amazonaws.com/{name}:1.{i}.{e}"),
                     "essential": true, "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp", "name": "http"}],
                     "environment": (0..8).map(|k| json!({"name": format!("VAR_{k}"), "value": format!("{env}-{k}")})).collect::<Vec<_>>(),
                     "secrets": [{"name": "DB_PASSWORD", "valueFrom": format!("arn:aws:secretsmanager:{region}:{account}:secret:{name}/db-AbCdEf:password::")},
                                 {"name": "API_TOKEN", "valueFrom": format!("arn:aws:ssm:{region}:{account}:parameter/{name}/api-token")}],
                     "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"], "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 60},
                     "dependsOn": [{"containerName": "envoy", "condition": "HEALTHY"}],
                     "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": format!("/ecs/{name}"), "awslogs-region": region}}},
                    {"name": "envoy", "image": "public.ecr.aws/appmesh/aws-appmesh-envoy:v1.29.6.0-prod", "essential": true, "cpu": 128, "memory": 256,
                     "healthCheck": {"command": ["CMD-SHELL", "curl -s http://localhost:9901/ready"], "interval": 5, "timeout": 2, "retries": 3},
                     "ulimits": [{"name": "nofile", "softLimit": 65536, "hardLimit": 65536}]}
                ]}, "tags": []});
            let svc = json!({"services": [{
                "serviceArn": format!("arn:aws:ecs:{region}:{account}:service/shop-{env}/{name}"), "serviceName": name,
                "clusterArn": format!("arn:aws:ecs:{region}:{account}:cluster/shop-{env}"),
                "taskDefinition": td_arn, "desiredCount": 1 + e * 2, "launchType": "FARGATE", "status": "ACTIVE",
                "loadBalancers": [{"targetGroupArn": target_group_arn(account, &name), "containerName": "app", "containerPort": 8080}],
                "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100, "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
                "schedulingStrategy": "REPLICA"}], "failures": []});
            write_json(&d.join(format!("{name}-taskdef.json")), &td);
            write_json(&d.join(format!("{name}-service.json")), &svc);
        }
        write_elbv2(&d, env, account, n);
        write_iam(&d, env, account, n);
    }
}

fn write_json(path: &Path, value: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// A stable 16-hex-digit id for `seed` (FNV-1a), in place of the random ids AWS gives.
fn id16(seed: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in seed.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    // The finaliser of MurmurHash3, so that near seeds give unlike ids.
    h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
    h = (h ^ (h >> 33)).wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    format!("{:016x}", h ^ (h >> 33))
}

/// The ARN the service file's `loadBalancers[].targetGroupArn` names.
fn target_group_arn(account: &str, service: &str) -> String {
    format!(
        "arn:aws:elasticloadbalancing:{REGION}:{account}:targetgroup/{service}/0123456789abcdef"
    )
}

/// ALB `k` of an environment: (name, id, ARN).
fn alb(env: &str, account: &str, k: usize) -> (String, String, String) {
    let name = format!("shop-{env}-alb-{k:03}");
    let id = id16(&format!("{account}/{name}"));
    let arn =
        format!("arn:aws:elasticloadbalancing:{REGION}:{account}:loadbalancer/app/{name}/{id}");
    (name, id, arn)
}

fn forward(tg: &str) -> Value {
    json!({"Type": "forward", "TargetGroupArn": tg, "Order": 1,
           "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}],
                             "TargetGroupStickinessConfig": {"Enabled": false}}})
}

fn not_found() -> Value {
    json!({"Type": "fixed-response", "Order": 1,
           "FixedResponseConfig": {"MessageBody": "Not Found", "StatusCode": "404", "ContentType": "text/plain"}})
}

/// describe-load-balancers, describe-listeners and describe-target-groups of the environment, and
/// describe-rules of each ALB's listener.
fn write_elbv2(d: &Path, env: &str, account: &str, n: usize) {
    let vpc = format!("vpc-0{}", id16(&format!("{account}/vpc")));
    let subnet = |az: usize| format!("subnet-0{}", id16(&format!("{account}/subnet/{az}")));
    let sg = format!("sg-0{}", id16(&format!("{account}/alb-sg")));
    let certificate = {
        let (h, g) = (
            id16(&format!("{account}/cert")),
            id16(&format!("{account}/cert/2")),
        );
        let uuid = format!(
            "{}-{}-4{}-8{}-{}",
            &h[..8],
            &h[8..12],
            &h[12..15],
            &g[..3],
            &g[3..15]
        );
        format!("arn:aws:acm:{REGION}:{account}:certificate/{uuid}")
    };
    let (mut load_balancers, mut listeners, mut target_groups) = (vec![], vec![], vec![]);
    for k in 0..n.div_ceil(RULES_PER_ALB) {
        let (name, lb_id, lb_arn) = alb(env, account, k);
        let zones: Vec<Value> = ["a", "b", "c"]
            .iter()
            .enumerate()
            .map(|(z, az)| json!({"ZoneName": format!("{REGION}{az}"), "SubnetId": subnet(z), "LoadBalancerAddresses": []}))
            .collect();
        load_balancers.push(json!({
            "LoadBalancerArn": lb_arn,
            "DNSName": format!("{name}-{}.{REGION}.elb.amazonaws.com", u64::from_str_radix(&lb_id[..8], 16).unwrap()),
            "CanonicalHostedZoneId": "Z32O12XQLNTSW2",
            "CreatedTime": "2023-10-30T14:05:12.540000+00:00",
            "LoadBalancerName": name,
            "Scheme": "internet-facing",
            "VpcId": vpc,
            "State": {"Code": "active"},
            "Type": "application",
            "AvailabilityZones": zones,
            "SecurityGroups": [sg],
            "IpAddressType": "ipv4"
        }));
        let listener_id = id16(&format!("{lb_arn}/listener/443"));
        let listener_arn = format!(
            "arn:aws:elasticloadbalancing:{REGION}:{account}:listener/app/{name}/{lb_id}/{listener_id}"
        );
        listeners.push(json!({
            "ListenerArn": listener_arn,
            "LoadBalancerArn": lb_arn,
            "Port": 443,
            "Protocol": "HTTPS",
            "Certificates": [{"CertificateArn": certificate}],
            "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
            "DefaultActions": [not_found()]
        }));
        let rule_arn = |rule: &str| {
            format!(
                "arn:aws:elasticloadbalancing:{REGION}:{account}:listener-rule/app/{name}/{lb_id}/{listener_id}/{}",
                id16(&format!("{listener_arn}/{rule}"))
            )
        };
        let mut rules = vec![];
        for i in k * RULES_PER_ALB..n.min((k + 1) * RULES_PER_ALB) {
            let service = format!("svc-{i:05}");
            let tg = target_group_arn(account, &service);
            let host = format!("{service}.{env}.example.com");
            rules.push(json!({
                "RuleArn": rule_arn(&service),
                "Priority": (i - k * RULES_PER_ALB + 1).to_string(),
                "Conditions": [{"Field": "host-header", "Values": [host], "HostHeaderConfig": {"Values": [host]}}],
                "Actions": [forward(&tg)],
                "IsDefault": false
            }));
            target_groups.push(json!({
                "TargetGroupArn": tg,
                "TargetGroupName": service,
                "Protocol": "HTTP",
                "Port": 8080,
                "VpcId": vpc,
                "HealthCheckProtocol": "HTTP",
                "HealthCheckPort": "traffic-port",
                "HealthCheckEnabled": true,
                "HealthCheckIntervalSeconds": 15,
                "HealthCheckTimeoutSeconds": 5,
                "HealthyThresholdCount": 2,
                "UnhealthyThresholdCount": 3,
                "HealthCheckPath": "/health",
                "Matcher": {"HttpCode": "200-299"},
                "LoadBalancerArns": [lb_arn],
                "TargetType": "ip",
                "ProtocolVersion": "HTTP1",
                "IpAddressType": "ipv4"
            }));
        }
        rules.push(json!({
            "RuleArn": rule_arn("default"),
            "Priority": "default",
            "Conditions": [],
            "Actions": [not_found()],
            "IsDefault": true
        }));
        write_json(
            &d.join(format!("elbv2-describe-rules-{name}.json")),
            &json!({ "Rules": rules }),
        );
    }
    write_json(
        &d.join("elbv2-describe-load-balancers.json"),
        &json!({ "LoadBalancers": load_balancers }),
    );
    write_json(
        &d.join("elbv2-describe-listeners.json"),
        &json!({ "Listeners": listeners }),
    );
    write_json(
        &d.join("elbv2-describe-target-groups.json"),
        &json!({ "TargetGroups": target_groups }),
    );
}

/// `aws iam get-account-authorization-details --filter Role LocalManagedPolicy` of the
/// environment: every service's task role and ecsTaskExecutionRole.
fn write_iam(d: &Path, env: &str, account: &str, n: usize) {
    let trust = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"
    }]});
    let role_id = |name: &str| {
        format!(
            "AROA{}",
            id16(&format!("{account}/role/{name}")).to_uppercase()
        )
    };
    let mut roles = vec![json!({
        "Path": "/",
        "RoleName": "ecsTaskExecutionRole",
        "RoleId": role_id("ecsTaskExecutionRole"),
        "Arn": format!("arn:aws:iam::{account}:role/ecsTaskExecutionRole"),
        "CreateDate": "2022-03-14T10:02:11+00:00",
        "AssumeRolePolicyDocument": trust,
        "InstanceProfileList": [],
        "RolePolicyList": [],
        "AttachedManagedPolicies": [{
            "PolicyName": "AmazonECSTaskExecutionRolePolicy",
            "PolicyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
        }],
        "Tags": []
    })];
    for i in 0..n {
        let service = format!("svc-{i:05}");
        let name = format!("{service}-task");
        roles.push(json!({
            "Path": "/",
            "RoleName": name,
            "RoleId": role_id(&name),
            "Arn": format!("arn:aws:iam::{account}:role/{name}"),
            "CreateDate": "2023-09-05T13:27:45+00:00",
            "AssumeRolePolicyDocument": trust,
            "InstanceProfileList": [],
            "RolePolicyList": [{
                "PolicyName": format!("{service}-s3-read"),
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [{
                    "Sid": "ReadObjects", "Effect": "Allow", "Action": "s3:GetObject",
                    "Resource": format!("arn:aws:s3:::shop-{env}-{service}/*")
                }]}
            }],
            "AttachedManagedPolicies": [],
            "Tags": [{"Key": "service", "Value": service}]
        }));
    }
    write_json(
        &d.join("iam-get-account-authorization-details.json"),
        &json!({"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": roles,
                "Policies": [], "IsTruncated": false}),
    );
}
