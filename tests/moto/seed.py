#!/usr/bin/env python3
"""Seeds a moto_server with ECS data for tests/live_import.rs, and dumps what the AWS CLI would
print for the same data (botocore is the CLI's engine) as "the same data given as files".

    seed.py --endpoint URL --scenario main|fault|cli|throttle|denied|organization --dump DIR

Accounts are kept apart in moto by credentials: the static test keys are account 123456789012;
credentials from sts:AssumeRole into arn:aws:iam::<id>:role/... are account <id>. Every scenario
uses its own accounts, so tests can share one server and run in parallel. Seeding is idempotent:
an account/region that already holds the scenario's clusters is not seeded again (re-running
`register-task-definition` would add revisions), only dumped.

Dump layout (the same relative names `ecs2eks import` writes):
    DIR/<account>/<region>/ecs/<cluster>/describe-services.json
    DIR/<account>/<region>/ecs/task-definitions/<family>-<revision>.json
"""

import argparse
import datetime
import json
import os
import sys

import boto3

STATIC = dict(aws_access_key_id="testing", aws_secret_access_key="testing")
AMBIENT_ACCOUNT = "123456789012"


def role_arn(account):
    return f"arn:aws:iam::{account}:role/ecs2eks-reader"


def session(endpoint, account, region):
    base = dict(endpoint_url=endpoint, region_name=region, **STATIC)
    if account == AMBIENT_ACCOUNT:
        return base
    creds = boto3.client("sts", **base).assume_role(
        RoleArn=role_arn(account), RoleSessionName="seed"
    )["Credentials"]
    return dict(
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


def container(name, image, account, region, port=8080, secrets=True):
    c = {
        "name": name,
        "image": image,
        "cpu": 256,
        "memory": 512,
        "essential": True,
        "portMappings": [{"containerPort": port, "protocol": "tcp", "name": f"{name}-http"}],
        "environment": [
            {"name": "LOG_LEVEL", "value": "info"},
            {"name": "AWS_REGION", "value": region},
        ],
        "healthCheck": {
            "command": ["CMD-SHELL", f"curl -fs http://localhost:{port}/health || exit 1"],
            "interval": 15,
            "timeout": 5,
            "retries": 3,
            "startPeriod": 20,
        },
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": f"/ecs/{name}",
                "awslogs-region": region,
                "awslogs-stream-prefix": name,
            },
        },
        "dockerLabels": {"team": "shop", "app": name, "a.first": "1"},
    }
    if secrets:
        c["secrets"] = [
            {
                "name": "DB_PASSWORD",
                "valueFrom": f"arn:aws:secretsmanager:{region}:{account}:secret:{name}/db-AbCdEf:password::",
            },
            {
                "name": "API_KEY",
                "valueFrom": f"arn:aws:ssm:{region}:{account}:parameter/{name}/api-key",
            },
        ]
    return c


def register(ecs, account, region, family, image, port=8080, secrets=True):
    c = container(family, image, account, region, port, secrets)
    if family == "web":
        # A consumer of api's Cloud Map name (api.shop.internal, seeded by cloud_map()).
        c["environment"].append({"name": "API_URL", "value": "http://api.shop.internal:8080/v1"})
    return ecs.register_task_definition(
        family=family,
        taskRoleArn=f"arn:aws:iam::{account}:role/{family}-task",
        executionRoleArn=f"arn:aws:iam::{account}:role/ecsTaskExecutionRole",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="512",
        memory="1024",
        containerDefinitions=[c],
        tags=[{"key": "team", "value": "shop"}, {"key": "cost-center", "value": "42"}],
    )["taskDefinition"]["taskDefinitionArn"]


def network(ec2):
    """A VPC, two subnets and a security group (moto checks that they exist)."""
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=zones[i - 1])[
            "Subnet"
        ]["SubnetId"]
        for i in (1, 2)
    ]
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    return vpc, subnets, sg


def iam_roles(iam, account):
    """Task roles with inline and customer-managed policies; worker-task is left out (a task
    definition naming a role that does not exist)."""
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    doc = lambda actions, resource: json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": resource}],
        }
    )
    managed = iam.create_policy(
        PolicyName="shop-orders-table",
        PolicyDocument=doc(["dynamodb:GetItem"], f"arn:aws:dynamodb:eu-west-1:{account}:table/orders"),
    )["Policy"]["Arn"]
    iam.create_policy_version(
        PolicyArn=managed,
        PolicyDocument=doc(
            ["dynamodb:GetItem", "dynamodb:Query"], f"arn:aws:dynamodb:eu-west-1:{account}:table/orders"
        ),
        SetAsDefault=True,
    )
    for role in ["web-task", "api-task", "ecsTaskExecutionRole"]:
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust, Tags=[{"Key": "team", "Value": "shop"}])
    iam.put_role_policy(
        RoleName="web-task",
        PolicyName="web-s3",
        PolicyDocument=doc(["s3:GetObject"], "arn:aws:s3:::shop-assets/*"),
    )
    iam.put_role_policy(
        RoleName="web-task",
        PolicyName="web-sqs",
        PolicyDocument=doc(["sqs:SendMessage"], f"arn:aws:sqs:eu-west-1:{account}:orders"),
    )
    iam.attach_role_policy(RoleName="web-task", PolicyArn=managed)
    iam.attach_role_policy(RoleName="api-task", PolicyArn=managed)


def load_balancer(elbv2, vpc, subnets, sg):
    """An ALB: HTTP:80 forwarding to web-tg, a rule sending /api/* to api-tg."""
    lb = elbv2.create_load_balancer(
        Name="shop-alb", Subnets=subnets, SecurityGroups=[sg], Scheme="internet-facing", Type="application"
    )["LoadBalancers"][0]["LoadBalancerArn"]
    tgs = {}
    for name in ["web-tg", "api-tg"]:
        tgs[name] = elbv2.create_target_group(
            Name=name,
            Protocol="HTTP",
            Port=8080,
            VpcId=vpc,
            TargetType="ip",
            HealthCheckPath="/health",
            HealthCheckIntervalSeconds=15,
            Matcher={"HttpCode": "200-299"},
        )["TargetGroups"][0]["TargetGroupArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=80,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tgs["web-tg"]}],
    )["Listeners"][0]["ListenerArn"]
    elbv2.create_rule(
        ListenerArn=listener,
        Priority=10,
        Conditions=[{"Field": "path-pattern", "PathPatternConfig": {"Values": ["/api/*"]}}],
        Actions=[{"Type": "forward", "TargetGroupArn": tgs["api-tg"]}],
    )
    return tgs


def scaling(aas, cluster, name):
    resource = f"service/{cluster}/{name}"
    aas.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=2,
        MaxCapacity=10,
    )
    aas.put_scaling_policy(
        PolicyName=f"{name}-cpu60",
        ServiceNamespace="ecs",
        ResourceId=resource,
        ScalableDimension="ecs:service:DesiredCount",
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 60.0,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
            "ScaleOutCooldown": 60,
            "ScaleInCooldown": 300,
        },
    )


def schedule(events, cluster_arn, td_arn, subnets, account):
    events.put_rule(Name="nightly-worker", ScheduleExpression="cron(0 3 ? * MON-FRI *)", State="ENABLED")
    events.put_targets(
        Rule="nightly-worker",
        Targets=[
            {
                "Id": "worker",
                "Arn": cluster_arn,
                "RoleArn": f"arn:aws:iam::{account}:role/ecsEventsRole",
                "EcsParameters": {
                    "TaskDefinitionArn": td_arn,
                    "TaskCount": 1,
                    "LaunchType": "FARGATE",
                    "NetworkConfiguration": {
                        "awsvpcConfiguration": {"Subnets": subnets, "AssignPublicIp": "DISABLED"}
                    },
                },
            }
        ],
    )


def scheduler_schedule(scheduler, cluster_arn, td_arn, subnets, account):
    scheduler.create_schedule(
        Name="cache-warmer",
        ScheduleExpression="rate(15 minutes)",
        ScheduleExpressionTimezone="Europe/Berlin",
        FlexibleTimeWindow={"Mode": "OFF"},
        State="ENABLED",
        Target={
            "Arn": cluster_arn,
            "RoleArn": f"arn:aws:iam::{account}:role/scheduler-ecs",
            "EcsParameters": {
                "TaskDefinitionArn": td_arn,
                "TaskCount": 1,
                "LaunchType": "FARGATE",
                "NetworkConfiguration": {
                    "awsvpcConfiguration": {"Subnets": subnets, "AssignPublicIp": "DISABLED"}
                },
            },
        },
    )


def cloud_map(sd, vpc):
    """A private DNS namespace shop.internal with the Cloud Map service api, which api-00
    registers in: web's API_URL calls it by that name."""
    sd.create_private_dns_namespace(Name="shop.internal", Vpc=vpc)
    ns = next(n["Id"] for n in sd.list_namespaces()["Namespaces"] if n["Name"] == "shop.internal")
    return sd.create_service(
        Name="api",
        NamespaceId=ns,
        DnsConfig={"NamespaceId": ns, "RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]},
    )["Service"]["Arn"]


def service(ecs, cluster, name, td, subnets, sg, count=2, target_group=None, registry=None):
    extra = {}
    if registry:
        extra["serviceRegistries"] = [{"registryArn": registry}]
    if target_group:
        extra["loadBalancers"] = [
            {"targetGroupArn": target_group, "containerName": name.split("-")[0], "containerPort": 8080}
        ]
    ecs.create_service(
        **extra,
        cluster=cluster,
        serviceName=name,
        taskDefinition=td,
        desiredCount=count,
        launchType="FARGATE",
        networkConfiguration={
            "awsvpcConfiguration": {
                # moto crashes on an awsvpcConfiguration without securityGroups.
                "subnets": subnets,
                "securityGroups": [sg],
                "assignPublicIp": "DISABLED",
            }
        },
        tags=[{"key": "service", "value": name}, {"key": "env", "value": "test"}],
        propagateTags="SERVICE",
        enableECSManagedTags=True,
    )


# account → region → cluster → [(service, family, revision index)]; families get as many
# revisions as the highest index used.
SCENARIOS = {
    "main": {
        AMBIENT_ACCOUNT: {
            "eu-west-1": {
                # 12 services: DescribeServices must take 2 calls (10 + 2).
                "shop": [(f"web-{i:02}", "web", 2) for i in range(4)]
                + [("web-canary", "web", 1)]
                + [(f"worker-{i:02}", "worker", 1) for i in range(3)]
                + [(f"api-{i:02}", "api", 1) for i in range(4)],
                # worker:1 again: still one DescribeTaskDefinition.
                "batch": [("worker-batch", "worker", 1)],
            },
            "us-east-1": {"edge": [("edge-proxy", "edge", 1)]},
        },
        "210987654321": {
            "eu-west-1": {"payments": [("payments", "payments", 1), ("ledger", "ledger", 1)]},
        },
    },
    "fault": {
        "310000000001": {"eu-west-1": {"ok": [("fine", "fine", 1)]}},
    },
    "cli": {
        "310000000011": {"eu-west-1": {"ok": [("fine", "fine", 1)]}},
    },
    "throttle": {
        "310000000021": {"eu-west-1": {"ok": [("fine", "fine", 1)]}},
    },
    # A proxy denies one region's calls; the other region is read.
    "denied": {
        "310000000031": {
            "eu-west-1": {"ok": [("fine", "fine", 1)]},
            "us-east-1": {"ok": [("fine", "fine", 1)]},
        },
    },
}


# Where the ALB, IAM roles, scaling and the schedule are seeded.
EXTRAS = {(AMBIENT_ACCOUNT, "eu-west-1"): True}


def cli_json(answer):
    answer = dict(answer)
    answer.pop("ResponseMetadata", None)

    def default(o):
        if isinstance(o, datetime.datetime):
            return o.isoformat()
        raise TypeError(type(o))

    return json.loads(json.dumps(answer, default=default))


def write(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f, indent=4)
        f.write("\n")


def seed_region(endpoint, account, region, clusters, dump):
    conn = session(endpoint, account, region)
    ecs = boto3.client("ecs", **conn)
    last_cluster, last_entries = list(clusters.items())[-1]
    try:
        seeded = ecs.describe_services(cluster=last_cluster, services=[last_entries[-1][0]])[
            "services"
        ]
    except ecs.exceptions.ClusterNotFoundException:
        seeded = []
    if not seeded:
        vpc, subnets, sg = network(boto3.client("ec2", **conn))
        extras = EXTRAS.get((account, region), False)
        tgs, registry = {}, None
        if extras:
            iam_roles(boto3.client("iam", **conn), account)
            tgs = load_balancer(boto3.client("elbv2", **conn), vpc, subnets, sg)
            registry = cloud_map(boto3.client("servicediscovery", **conn), vpc)
        revisions = {}
        for entries in clusters.values():
            for _, family, rev in entries:
                revisions[family] = max(revisions.get(family, 0), rev)
        arns = {}
        for family, count in sorted(revisions.items()):
            for rev in range(1, count + 1):
                arns[(family, rev)] = register(
                    ecs, account, region, family, f"public.ecr.aws/shop/{family}:1.{rev}.0"
                )
        for cluster, entries in clusters.items():
            cluster_arn = ecs.create_cluster(clusterName=cluster)["cluster"]["clusterArn"]
            for name, family, rev in entries:
                service(ecs, cluster, name, arns[(family, rev)], subnets, sg, target_group=tgs.get(f"{family}-tg") if name in ("web-00", "api-00") else None, registry=registry if name == "api-00" else None)
            if extras and cluster == "batch":
                schedule(boto3.client("events", **conn), cluster_arn, arns[("worker", 1)], subnets, account)
                scheduler_schedule(boto3.client("scheduler", **conn), cluster_arn, arns[("worker", 1)], subnets, account)
        if extras:
            scaling(boto3.client("application-autoscaling", **conn), "shop", "web-00")
    # Dump as `aws ecs describe-services --include TAGS` / `describe-task-definition --include TAGS`.
    task_definitions = set()
    for cluster in clusters:
        arns = []
        for page in ecs.get_paginator("list_services").paginate(cluster=cluster):
            arns += page["serviceArns"]
        services, failures = [], []
        for i in range(0, len(arns), 10):
            answer = cli_json(
                ecs.describe_services(cluster=cluster, services=arns[i : i + 10], include=["TAGS"])
            )
            services += answer["services"]
            failures += answer["failures"]
        task_definitions |= {s["taskDefinition"] for s in services}
        write(
            f"{dump}/{account}/{region}/ecs/{cluster}/describe-services.json",
            {"services": services, "failures": failures},
        )
    roles = set()
    for arn in sorted(task_definitions):
        answer = cli_json(ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"]))
        td = answer["taskDefinition"]
        roles |= {td[k] for k in ("taskRoleArn", "executionRoleArn") if k in td}
        write(
            f"{dump}/{account}/{region}/ecs/task-definitions/{td['family']}-{td['revision']}.json",
            answer,
        )
    if EXTRAS.get((account, region)):
        dump_extras(conn, account, region, clusters, roles, f"{dump}/{account}")


def dump_extras(conn, account, region, clusters, roles, dump):
    """What the AWS CLI prints for the load balancers, scaling, schedules and roles of the
    services, in the files `ecs2eks import` writes (IAM assembled from get-role & co.)."""
    ecs = boto3.client("ecs", **conn)
    services = []
    for cluster in clusters:
        arns = ecs.list_services(cluster=cluster)["serviceArns"]
        for i in range(0, len(arns), 10):
            services += ecs.describe_services(cluster=cluster, services=arns[i : i + 10])["services"]
    tg_arns = sorted({lb["targetGroupArn"] for s in services for lb in s.get("loadBalancers", [])})
    elbv2 = boto3.client("elbv2", **conn)
    base = f"{dump}/{region}/elbv2"
    groups = cli_json(elbv2.describe_target_groups(TargetGroupArns=tg_arns))
    write(f"{base}/describe-target-groups.json", groups)
    lb_arns = sorted({a for g in groups["TargetGroups"] for a in g.get("LoadBalancerArns", [])})
    write(f"{base}/describe-load-balancers.json", cli_json(elbv2.describe_load_balancers(LoadBalancerArns=lb_arns)))
    listeners = []
    for lb in lb_arns:
        listeners += cli_json(elbv2.describe_listeners(LoadBalancerArn=lb))["Listeners"]
    write(f"{base}/describe-listeners.json", {"Listeners": listeners})
    for l in listeners:
        lb_name = l["LoadBalancerArn"].split("/")[-2]
        rules = cli_json(elbv2.describe_rules(ListenerArn=l["ListenerArn"]))
        write(f"{base}/describe-rules-{lb_name}-{l['Port']}-{l['ListenerArn'].split('/')[-1]}.json", rules)

    aas = boto3.client("application-autoscaling", **conn)
    ids = {f"service/{s['clusterArn'].split('/')[-1]}/{s['serviceName']}" for s in services}
    base = f"{dump}/{region}/application-autoscaling"
    targets = [t for t in cli_json(aas.describe_scalable_targets(ServiceNamespace="ecs"))["ScalableTargets"] if t["ResourceId"] in ids]
    write(f"{base}/describe-scalable-targets.json", {"ScalableTargets": targets})
    policies = [p for p in cli_json(aas.describe_scaling_policies(ServiceNamespace="ecs"))["ScalingPolicies"] if p["ResourceId"] in ids]
    write(f"{base}/describe-scaling-policies.json", {"ScalingPolicies": policies})

    events = boto3.client("events", **conn)
    cluster_arns = {s["clusterArn"] for s in services}
    names = sorted({n for c in cluster_arns for n in events.list_rule_names_by_target(TargetArn=c)["RuleNames"]})
    rules = [r for r in cli_json(events.list_rules())["Rules"] if r["Name"] in names]
    write(f"{dump}/{region}/events/list-rules.json", {"Rules": rules})
    for name in names:
        targets = cli_json(events.list_targets_by_rule(Rule=name))["Targets"]
        write(f"{dump}/{region}/events/list-targets-by-rule-{name}.json", {"Rule": name, "Targets": targets})

    scheduler = boto3.client("scheduler", **conn)
    for summary in scheduler.list_schedules()["Schedules"]:
        if summary["Target"]["Arn"] in cluster_arns:
            group = summary.get("GroupName", "default")
            answer = cli_json(scheduler.get_schedule(GroupName=group, Name=summary["Name"]))
            write(f"{dump}/{region}/scheduler/get-schedule-{group}-{summary['Name']}.json", answer)

    sd = boto3.client("servicediscovery", **conn)
    base = f"{dump}/{region}/servicediscovery"
    write(f"{base}/list-namespaces.json", cli_json(sd.list_namespaces()))
    write(f"{base}/list-services.json", cli_json(sd.list_services()))

    iam = boto3.client("iam", **conn)
    details, policies = [], {}
    for arn in sorted(roles):
        name = arn.split("/")[-1]
        try:
            role = cli_json(iam.get_role(RoleName=name))["Role"]
        except iam.exceptions.NoSuchEntityException:
            continue
        inline = iam.list_role_policies(RoleName=name)["PolicyNames"]
        role["RolePolicyList"] = [
            {"PolicyName": p, "PolicyDocument": iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]}
            for p in inline
        ]
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        role["AttachedManagedPolicies"] = attached
        role["InstanceProfileList"] = []
        details.append(role)
        for a in attached:
            policy = cli_json(iam.get_policy(PolicyArn=a["PolicyArn"]))["Policy"]
            version = cli_json(iam.get_policy_version(PolicyArn=a["PolicyArn"], VersionId=policy["DefaultVersionId"]))
            policy["PolicyVersionList"] = [version["PolicyVersion"]]
            policies[a["PolicyArn"]] = policy
    write(
        f"{dump}/global/iam/get-account-authorization-details.json",
        {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": details, "Policies": [policies[k] for k in sorted(policies)]},
    )


ORG_ACCOUNTS = ["shop-dev", "shop-prod", "payments-staging", "log archive"]


def seed_organization(endpoint):
    """An organization with the test keys' account as management account, and member accounts."""
    org = boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1", **STATIC)
    try:
        org.create_organization(FeatureSet="ALL")
    except org.exceptions.AlreadyInOrganizationException:
        pass
    names = {a["Name"] for a in org.list_accounts()["Accounts"]}
    for name in ORG_ACCOUNTS:
        if name not in names:
            org.create_account(Email=f"{name.replace(' ', '-')}@example.com", AccountName=name)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--endpoint", required=True)
    p.add_argument("--scenario", required=True, choices=sorted(SCENARIOS) + ["organization"])
    p.add_argument("--dump", required=True)
    args = p.parse_args()
    if args.scenario == "organization":
        seed_organization(args.endpoint)
        return 0
    for account, regions in SCENARIOS[args.scenario].items():
        for region, clusters in regions.items():
            seed_region(args.endpoint, account, region, clusters, args.dump)
    return 0


if __name__ == "__main__":
    sys.exit(main())
