//! A synthetic inventory for the benchmark: N services × 3 environments (dev, stg, prod), each a
//! describe-services file and a describe-task-definition file, with an app container, a sidecar,
//! secrets, a health check and a load balancer, as real services have.

use serde_json::json;
use std::path::Path;

pub const ENVIRONMENTS: [(&str, &str); 3] = [
    ("dev", "111111111111"),
    ("stg", "222222222222"),
    ("prod", "333333333333"),
];

pub fn inventory_yaml() -> String {
    let mut s = String::from("accounts:\n");
    for (env, id) in ENVIRONMENTS {
        s.push_str(&format!(
            "  - {{id: \"{id}\", name: shop-{env}, environment: {env}, team: team-{env}}}\n"
        ));
    }
    s
}

/// Writes `dir/<env>/svc-<i>-{service,taskdef}.json` for i in 0..n.
pub fn write(dir: &Path, n: usize) {
    for (e, (env, account)) in ENVIRONMENTS.iter().enumerate() {
        let d = dir.join(env);
        std::fs::create_dir_all(&d).unwrap();
        for i in 0..n {
            let name = format!("svc-{i:05}");
            let region = "eu-west-1";
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
                "loadBalancers": [{"targetGroupArn": format!("arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{name}/0123456789abcdef"), "containerName": "app", "containerPort": 8080}],
                "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100, "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
                "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"], "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
                "schedulingStrategy": "REPLICA"}], "failures": []});
            std::fs::write(
                d.join(format!("{name}-taskdef.json")),
                serde_json::to_vec_pretty(&td).unwrap(),
            )
            .unwrap();
            std::fs::write(
                d.join(format!("{name}-service.json")),
                serde_json::to_vec_pretty(&svc).unwrap(),
            )
            .unwrap();
        }
    }
}
