//! Findings: what the conversion could not carry over as-is, as typed values with stable codes.
//!
//! Every code lives in the one table below and is never reused or renumbered: users grep for
//! them, suppress them in CI and read them in reports. A retired code stays in the table.

use serde::Serialize;
use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $sev:ident, $help:literal;)*) => {
        /// A finding's kind. The string code is the stable identifier.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];
            pub fn as_str(self) -> &'static str { match self { $(Code::$variant => $code),* } }
            pub fn severity(self) -> Severity { match self { $(Code::$variant => Severity::$sev),* } }
            /// One line telling the user what to do about it.
            pub fn help(self) -> &'static str { match self { $(Code::$variant => $help),* } }
            /// The variant's name, for docs/findings.md.
            pub fn name(self) -> &'static str { match self { $(Code::$variant => stringify!($variant)),* } }
        }
    };
}

codes! {
    // 1xx: the workload as a whole
    TaskDefinitionAlone = "E2K100", Info, "No service referenced this task definition: it became a Deployment with 1 replica and ECS's default rollout (maxSurge 100 %, maxUnavailable 0 %); give the service's JSON to carry replicas and rollout settings.";
    UnknownField = "E2K101", Warning, "This field is not in the ECS API field list ecs2eks knows; check the spelling, or report it so it can be mapped.";
    TaskDefinitionNotFound = "E2K102", Error, "Add the task definition's JSON (aws ecs describe-task-definition) to the inputs.";
    UnknownAccount = "E2K103", Warning, "Add the account to the inventory (--inventory) so it gets the right environment.";
    NameChanged = "E2K104", Info, "Kubernetes names are DNS-1123 labels; rename in ECS or use the new name in your tooling.";
    LaunchType = "E2K105", Info, "Capacity is the cluster's now: Fargate profiles or node groups decide where pods run.";
    DeploymentController = "E2K106", Warning, "Blue/green and external deployments have no Deployment equivalent; use Argo Rollouts or keep the rolling update.";
    CircuitBreaker = "E2K107", Info, "A Deployment stops at progressDeadlineSeconds but does not roll back, and Argo CD does not roll back on its own either: use Argo Rollouts for automatic rollback, or alert on the ProgressDeadlineExceeded condition and roll back by hand.";
    DeploymentAlarms = "E2K108", Warning, "CloudWatch alarm rollback has no Kubernetes equivalent; use Argo Rollouts analysis with CloudWatch metrics.";
    ExecuteCommand = "E2K109", Info, "ECS Exec becomes kubectl exec, governed by RBAC on pods/exec.";
    AwsTags = "E2K110", Info, "AWS resource tags are not Kubernetes objects; cost allocation on EKS uses labels or split cost allocation data.";
    NetworkConfiguration = "E2K111", Info, "Pods take their addresses from the cluster's subnets (VPC CNI, or ENIConfig custom networking), not the service's: check that route tables, NACLs and VPC endpoints that served these subnets also serve the cluster's.";
    HealthCheckGracePeriod = "E2K112", Info, "Use a startupProbe or the target group's health check; the Deployment waits for readiness instead.";
    DaemonScheduling = "E2K113", Info, "DAEMON services became a DaemonSet: one pod per node.";
    PlatformVersion = "E2K114", Info, "Fargate platform versions have no Kubernetes equivalent; EKS Fargate picks its own.";
    MissingImage = "E2K115", Error, "Retired: a container without an image is an input error that names its JSON path.";
    DuplicateWorkload = "E2K116", Error, "Two inputs give the same service in the same environment; remove one, or map their accounts to different environments.";
    Placeholder = "E2K117", Warning, "The value looks like a template placeholder; render the template before converting, or fix the value in the output.";
    ServiceFailure = "E2K118", Warning, "Retired: describe-services failures are input errors in the report.";
    ServiceInactive = "E2K119", Info, "The service is not ACTIVE in ECS; it was converted anyway.";
    // 12x-15x: containers and the task around them
    NonEssentialContainer = "E2K120", Info, "Kubernetes restarts a failed container instead of ignoring it; check that restarting this sidecar is right.";
    DependsOnComplete = "E2K121", Info, "COMPLETE allows a non-zero exit; an init container must succeed, so make sure it exits 0.";
    HealthCheckCommand = "E2K122", Warning, "ECS ignores a healthCheck whose command is empty or does not start with CMD or CMD-SHELL (Docker runs no check), so no probe was made; write a working one if the container needs it.";
    UserName = "E2K123", Warning, "runAsUser needs a numeric UID; set it by hand or in the image.";
    Ulimits = "E2K124", Warning, "Pods inherit ulimits from the container runtime on the node; set them in the node's containerd config or the image.";
    Links = "E2K125", Info, "Containers in a pod share one network namespace: each link name and alias became a hostAliases entry for 127.0.0.1, so the old names still resolve.";
    VolumesFrom = "E2K126", Warning, "Kubernetes has no volumesFrom; mount the same named volumes in both containers.";
    DockerSecurityOptions = "E2K127", Warning, "Use securityContext.seLinuxOptions, seccompProfile or appArmorProfile instead.";
    SystemControls = "E2K128", Warning, "Use pod securityContext.sysctls; unsafe sysctls must be allowed on the kubelet.";
    Devices = "E2K129", Warning, "Host devices need a device plugin on EKS; install one and request its resource.";
    InitProcess = "E2K130", Info, "Kubernetes has no init-process flag; add tini to the image or use shareProcessNamespace.";
    Swap = "E2K131", Warning, "Swap is a node setting in Kubernetes (NodeSwap); per-container swap is not carried.";
    Hostname = "E2K132", Warning, "Pods are named by Kubernetes; set spec.hostname by hand if the application needs it.";
    DisableNetworking = "E2K133", Warning, "Kubernetes cannot take the network away from one container of a pod; use a NetworkPolicy.";
    HostPort = "E2K134", Warning, "The host port was not carried: pods are reached through their Service, never a hostPort.";
    PortRange = "E2K135", Warning, "A Service cannot expose a port range; list the ports you need.";
    StartTimeout = "E2K136", Info, "Dependency start timeouts are not carried; startup probes bound how long a container may take.";
    RestartPolicy = "E2K137", Info, "Kubernetes restarts containers on its own (restartPolicy Always); the ECS restart policy is not carried.";
    CredentialSpecs = "E2K138", Warning, "gMSA on EKS needs the Windows gMSA webhook and a GMSACredentialSpec object of the name the pod gives; create it from the credential spec the message names.";
    FireLens = "E2K139", Warning, "FireLens routing is the cluster's now: install a node-level Fluent Bit once (aws-for-fluent-bit Helm chart or the CloudWatch Observability add-on) that @INCLUDEs the outputs ecs2eks wrote (platform/logging/).";
    AwsLogs = "E2K140", Info, "awslogs becomes the cluster's log agent (Fluent Bit or CloudWatch Observability add-on) reading container stdout.";
    LogDriver = "E2K141", Warning, "Pods write to stdout; ship logs with a cluster agent configured for this destination.";
    TaskSizeSplit = "E2K142", Info, "The task-level size went to the containers that set none, as the message says; check the split, or set cpu and memory per container.";
    InferenceAccelerator = "E2K143", Warning, "Elastic Inference is retired; use Inferentia (aws.amazon.com/neuron) or GPU nodes.";
    DnsServers = "E2K144", Warning, "These servers come after cluster DNS, and glibc never asks the next server after an NXDOMAIN: forward the zones only they answer with a CoreDNS `forward` block, or set mapping dns.replace.";
    TmpfsMountOptions = "E2K145", Info, "emptyDir with medium Memory takes no mount options; they were not carried.";
    DockerLabelKey = "E2K146", Warning, "This label is not a valid Kubernetes annotation key; rename it.";
    DuplicateEnv = "E2K147", Warning, "The variable is set twice; the last value was kept, as Docker does.";
    ProxyConfiguration = "E2K148", Warning, "App Mesh reached its end of support on 2026-09-30: its Envoy proxy is not carried; route through the replacement the mappings choose (appMesh.replacement).";
    NamespaceMode = "E2K149", Warning, "Host namespaces are a security risk on shared nodes; check that the workload really needs them.";
    NetworkMode = "E2K150", Info, "Every pod gets its own IP (like awsvpc); ports are reached through the Service.";
    ExecutionRole = "E2K151", Info, "The execution role is not given to pods: image pulls are the node's, secrets are ESO's, logs are the log agent's.";
    VersionConsistency = "E2K152", Info, "Pin images by digest in the manifest if you relied on ECS resolving tags to digests.";
    FaultInjection = "E2K153", Info, "ECS fault injection has no equivalent; use AWS FIS with EKS actions or Chaos Mesh.";
    Windows = "E2K154", Warning, "Windows containers need a Windows node group; the pod is pinned to kubernetes.io/os=windows.";
    DependsOnUnknown = "E2K155", Warning, "dependsOn names a container that is not in the task definition; the dependency was dropped.";
    HealthyWithoutHealthCheck = "E2K156", Warning, "HEALTHY needs a healthCheck on the dependency; without one it only waits for the start.";
    DependencyCycle = "E2K157", Warning, "The dependsOn graph has a cycle; the containers were started as regular containers.";
    EnvironmentFiles = "E2K158", Warning, "The tool never reads S3: copy the file's variables into a ConfigMap or Secrets Manager and reference them.";
    InvalidUser = "E2K159", Warning, "The user field could not be read as uid, uid:gid, user or user:group.";
    NameTemplate = "E2K160", Error, "Fix the name template in the mappings file; it must render with the documented variables.";
    InitContainerProbe = "E2K161", Info, "Init containers that run to completion cannot have probes; the healthCheck was not carried.";
    DockerLabelConflict = "E2K162", Warning, "Containers set this Docker label to different values; the pod has one annotation per key: the essential container's value was kept (of equals, the earlier container's). Check it is the one the annotation's reader needs.";
    InputChanged = "E2K163", Error, "The file changed or went away while ecs2eks ran (large inputs are read twice, once to plan and once to convert); run again when nothing writes to the inputs.";
    EcsAgent = "E2K164", Warning, "The ECS task metadata and credentials endpoints (169.254.170.2) do not exist on EKS: replace this agent with the one the message names (the vendor's Helm chart or DaemonSet, the ADOT or CloudWatch Observability add-on).";
    EntryPointCleared = "E2K165", Warning, "entryPoint [\"\"] clears the image's ENTRYPOINT, and no command replaces it: set the container's command to the image's CMD, or the image's ENTRYPOINT runs.";
    NonEssentialReadiness = "E2K166", Warning, "A crash-looping sidecar makes the pod NotReady, so the pod leaves its Service; fix what fails it, or move it out of the pod if the app must serve without it.";
    PrivilegedContainer = "E2K167", Warning, "Pod Security admission (baseline, restricted) rejects this: label the namespace pod-security.kubernetes.io/enforce=privileged, an exception the platform team grants, or drop the setting.";
    OneOffTask = "E2K168", Warning, "This looks like a one-off task: a Deployment restarts it after it exits, for ever; set standaloneTaskDefinitions: job in the mappings, or give its service.";
    StandaloneJob = "E2K169", Info, "The task definition became a suspended Job (backoffLimit 0): set spec.suspend to false to run it once.";
    GpuRollout = "E2K170", Info, "A single pod holding a GPU is replaced without surge (maxSurge 0), so a rollout needs no second GPU; expect a short gap in service, or add GPU capacity and raise maxSurge.";
    DnsReplaced = "E2K171", Warning, "The pod asks only these servers (dnsPolicy None, mapping dns.replace): cluster Service names resolve only if they forward cluster.local to CoreDNS.";
    DockerBridgeAddress = "E2K172", Warning, "172.17.0.1 (docker0) and 169.254.170.2 (the ECS metadata and credentials endpoint) do not exist on EKS: point the variable at the agent's Service, or at the node (status.hostIP through the downward API) for a DaemonSet agent.";
    BridgeToLocalhost = "E2K173", Info, "The address named the Docker bridge, and the agent is a container of the same pod: it became localhost.";
    ContainerDefinitionsOnly = "E2K174", Warning, "The file holds container definitions only (Terraform's container_definitions): give the task-level fields it lacks per family in mapping taskDefinitions.<family>.";
    ImagePlaceholder = "E2K175", Warning, "The image is filled in by CI: set it in the overlay's kustomization.yaml `images:` (kustomize edit set image PLACEHOLDER=IMAGE:TAG).";
    CrossAccountImage = "E2K176", Warning, "The cluster's nodes pull this ECR image from another account: apply iam/<account>/ecr.tf there, after merging the repository's existing policy (aws ecr get-repository-policy), which it replaces.";
    // 2xx: volumes
    HostPath = "E2K200", Warning, "hostPath ties the pod to node files and is often forbidden by Pod Security; prefer a PersistentVolume or emptyDir.";
    DockerVolume = "E2K201", Warning, "Docker volumes became emptyDir, which lives as long as the pod; use a PersistentVolumeClaim for data that must persist.";
    FsxVolume = "E2K202", Warning, "FSx for Windows needs the SMB CSI driver and a PersistentVolume; create them by hand.";
    ConfiguredAtLaunch = "E2K203", Warning, "EBS volumes configured at launch become a PersistentVolumeClaim with the EBS CSI driver; create a StorageClass and claim.";
    EfsVolume = "E2K204", Warning, "Retired: EFS volumes become a PersistentVolume and claim (docs/surface.md).";
    UnknownVolume = "E2K205", Warning, "The mount point names a volume that the task definition does not define; it was not mounted.";
    DockerHostPath = "E2K206", Warning, "EKS nodes run containerd only, with no Docker socket or /var/lib/docker: mount /run/containerd/containerd.sock if the agent speaks CRI, or install the vendor's EKS Helm chart.";
    HostPathFile = "E2K207", Warning, "A hostPath of one file must exist on every node (type File fails the pod otherwise): ship the file in a ConfigMap or the image instead.";
    // 3xx: service-level placement, discovery, load balancing
    LoadBalancers = "E2K300", Warning, "Retired: load balancers are converted (docs/load-balancing.md, E2K500-E2K512).";
    ServiceRegistries = "E2K301", Warning, "Retired: old service discovery names are listed in the report (docs/surface.md).";
    ServiceConnect = "E2K302", Warning, "Service Connect becomes plain Kubernetes Service DNS; clients must use the new names.";
    PlacementConstraints = "E2K303", Warning, "Retired: placement constraints are converted or reported by their own codes (docs/surface.md).";
    PlacementStrategy = "E2K304", Info, "Retired: placement strategies are converted or reported by their own codes (docs/surface.md).";
    CapacityProviders = "E2K305", Warning, "Retired: capacity providers are converted or reported by their own codes (docs/surface.md).";
    ServiceVolumeConfigurations = "E2K306", Warning, "Service-managed EBS volumes need the EBS CSI driver and a PersistentVolumeClaim.";
    VpcLattice = "E2K307", Warning, "VPC Lattice on EKS goes through the AWS Gateway API Controller; create the Gateway and routes by hand.";
    AzRebalancing = "E2K308", Info, "Kubernetes does not move running pods between zones; use the descheduler if you need rebalancing.";
    ClassicLoadBalancer = "E2K309", Warning, "Classic Load Balancers are not supported by the AWS Load Balancer Controller; move to an ALB or NLB.";
    Ephemeral = "E2K310", Info, "Fargate's task storage includes the image layers (20 GiB by default): only what exceeds 20 GiB became an ephemeral-storage request on the main container.";
    RuntimePlatform = "E2K311", Info, "The operating system and CPU architecture became node selectors; the cluster needs matching nodes.";
    PropagateTags = "E2K312", Info, "Tag propagation to tasks has no Kubernetes equivalent; labels on the pod template play that role.";
    ArmOnFargate = "E2K313", Warning, "EKS Fargate runs x86_64 pods only: run this arm64 pod on Graviton nodes (a managed node group or Karpenter), or build its image for amd64.";
    EphemeralNodeVolume = "E2K314", Warning, "The pod requests more ephemeral storage than a default 20 GiB node root volume holds: give its nodes the root volume named (node group diskSize, or the Karpenter EC2NodeClass blockDeviceMappings).";
    UnreferencedPort = "E2K315", Info, "Nothing outside the pod reached this port in ECS, yet it is a port of the app's Service, which every pod of the cluster may call: drop it from the Service if no other app needs it (a sidecar's admin or forward port).";
    SecurityGroupPolicy = "E2K316", Info, "The service's security groups go on its pods through a SecurityGroupPolicy: the cluster needs Security Groups for Pods (the going-live step in MIGRATION_REPORT.md), and the pods must be created after the policy.";
    SecurityGroupsDropped = "E2K317", Warning, "The pods use their nodes' security groups (mapping network.securityGroups: none), so rules that admit these groups (a database's, a cache's) no longer match them: admit the nodes' group there, or set network.securityGroups: securityGroupPolicy.";
    SecurityGroupOtherVpc = "E2K318", Warning, "A security group belongs to one VPC and cannot go on pods in another: recreate it in the cluster's VPC (with the rules that reference it, in both directions) and put the new id in the overlay's SecurityGroupPolicy.";
    SecurityGroupVpcUnchecked = "E2K319", Info, "Whether these groups are in the cluster's VPC was not checked: give the cluster's VPC (inventory environments.<env>.clusterVpcId) and `aws ec2 describe-security-groups` output of the service's account.";
    PublicIp = "E2K320", Warning, "Pods get no public IP (assignPublicIp is not carried): their internet egress must go through a NAT gateway from the cluster's subnets, and inbound only through a load balancer.";
    SecurityGroupsWindows = "E2K321", Warning, "Security Groups for Pods does not work on Windows nodes, so no SecurityGroupPolicy was written and the pods use their nodes' groups: admit the Windows node group's security group in the rules that admit these groups.";
    // 4xx: secrets (External Secrets Operator)
    SecretReference = "E2K400", Warning, "valueFrom must be a Secrets Manager ARN, an SSM parameter ARN or a parameter name; fix the reference, the variable was not created.";
    SecretOverridesEnv = "E2K401", Warning, "The name is both a plain variable and a secret; the secret was kept. Remove one of them.";
    CrossAccountSecret = "E2K402", Warning, "The store reads another account than the cluster's through a role there: iam/<account>/external-secrets.tf creates it, trusting ESO's role; apply that root before syncing the stores.";
    PlaintextSecret = "E2K403", Warning, "redactPlaintext is off, so the value is in Git as plain text: move it into Secrets Manager or SSM (SecureString) and reference it from `secrets`, or turn redactPlaintext back on.";
    PlaintextRedacted = "E2K404", Warning, "Retired: plaintext secrets move to a Secrets Manager secret that an ExternalSecret reads (E2K413).";
    SecretVersion = "E2K405", Info, "ESO takes one version per reference: the version id was used (it names the same version as the stage).";
    SsmParameterName = "E2K406", Info, "A one-level parameter ARN does not say whether the name starts with `/`; the name without it was used. Check it.";
    SecretKeyRenamed = "E2K407", Info, "Secret keys allow only alphanumerics, `-`, `_` and `.`, once per Secret; the env var name is kept, its key differs.";
    StoreConflict = "E2K408", Warning, "Two apps render the same store name with different settings; make the storeName template tell them apart.";
    SecretPlaceholder = "E2K409", Warning, "The reference holds an unrendered template placeholder; render the template (ecspresso, CloudFormation…) first.";
    ExternalSecrets = "E2K410", Info, "Secrets are synced by External Secrets Operator: install it, and give its role the policy in iam/<account>/external-secrets.tf.";
    PullSecret = "E2K411", Info, "The registry credentials are synced into a dockerconfigjson Secret; the secret must hold `username` and `password` keys.";
    StoreRegionUnknown = "E2K412", Warning, "No ARN of the task or service names its region, and a bare parameter name is read in the task's region: set the store's `region` by hand.";
    PlaintextMoved = "E2K413", Info, "The value is kept out of Git: create the Secrets Manager secret with the command in MIGRATION_REPORT.md (it reads the value from the old task definition) before the pods start.";
    PlaintextOverride = "E2K414", Warning, "A schedule's RunTask override sets this variable in plain text; it was left out of the job. Move the value into Secrets Manager and reference it from the task definition's `secrets`.";
    // 45x: IAM (task roles, IRSA, Pod Identity)
    TaskRoleNotInInputs = "E2K450", Warning, "Add `aws iam get-account-authorization-details` output to the inputs so the role's permissions are written into iam/.";
    TaskRolePermissionsUnknown = "E2K451", Warning, "get-role output has the trust policy only; add get-account-authorization-details output to carry the inline and managed policies.";
    PodIdentityOnFargate = "E2K452", Error, "EKS Pod Identity is not available to Fargate pods: choose new-role or extend-task-role (IRSA) for this app in iam.strategies.";
    RiskyWildcard = "E2K453", Warning, "The role allows every action on every resource; scope it down before the migration carries it over.";
    RiskyPassRole = "E2K454", Warning, "iam:PassRole on every resource lets the pod hand any role to AWS services; name the roles it needs in Resource.";
    RiskyAdministratorAccess = "E2K455", Warning, "AdministratorAccess gives the pods full control of the account; attach a policy with the permissions they need.";
    RoleShared = "E2K456", Info, "One IAM role trusts the ServiceAccount of each workload; put {{service}} or {{environment}} in iam.roleName for separate roles.";
    ClusterUnset = "E2K457", Info, "Set the cluster in the mappings (iam.clusters.<environment>) or the inventory (environments.<environment>); until then the repository's Terraform asks for it as a variable.";
    TrustPolicyTooLarge = "E2K458", Warning, "Split the role (put {{service}} or {{environment}} in iam.roleName) or ask AWS to raise the trust policy length quota (up to 4,096).";
    PodIdentityOtherAccount = "E2K459", Warning, "Retired: Pod Identity with a role outside the cluster's account is error E2K462.";
    TaskRoleIsExecutionRole = "E2K460", Info, "Give the pods a role of their own without the execution permissions (ECR pull, CloudWatch Logs, secrets), which are the node's and ESO's on EKS.";
    TaskRolePlaceholder = "E2K461", Error, "The task role ARN is an unrendered template placeholder: render the template (ecspresso, Terraform…) or give the real ARN, then convert again.";
    PodIdentityCrossAccount = "E2K462", Error, "Use IRSA (new-role or extend-task-role) for this app in iam.strategies, which works across accounts; or create the association by hand with a target role (aws eks create-pod-identity-association --target-role-arn; AWS provider 6.x: target_role_arn).";
    // 5xx: load balancing (ELBv2 → AWS Load Balancer Controller)
    TargetGroupMissing = "E2K500", Warning, "Add `aws elbv2 describe-target-groups`, `describe-load-balancers`, `describe-listeners` and `describe-rules` output to the inputs so the routing can be converted.";
    LoadBalancerMissing = "E2K501", Warning, "Add the `aws elbv2 describe-load-balancers` and `describe-listeners` output of this load balancer to the inputs.";
    ListenerRulesMissing = "E2K502", Info, "Add `aws elbv2 describe-rules --listener-arn ...` output if the listener has rules besides its default action.";
    NoForwardingRule = "E2K503", Warning, "No listener rule or default action in the inputs forwards to this target group; nothing routes to it yet, so no Ingress was made.";
    ContainerPortMissing = "E2K504", Warning, "The load balancer names a container or port that the task definition does not expose; fix the service or the task definition.";
    WeightedForward = "E2K505", Warning, "The rule splits traffic over several target groups: check the `actions.*` annotation; replace the target group ARNs by Services as the other services move.";
    RuleActionNotCarried = "E2K506", Warning, "Authentication actions are not carried; set `alb.ingress.kubernetes.io/auth-*` on the Ingress by hand.";
    PathPatternNotCarried = "E2K507", Warning, "This path pattern never matches a request path (they start with `/`); it was left out.";
    GroupOrderRenumbered = "E2K508", Info, "group.order allows -1000..1000, so rule priorities were replaced by their rank; the evaluation order is unchanged.";
    HealthCheckProbe = "E2K509", Info, "The readiness probe follows the target group's health check; Kubernetes counts any 200-399 answer as healthy.";
    NlbSettings = "E2K510", Warning, "This NLB setting is not carried by the Service annotations; set it by hand after the cutover.";
    UnsupportedLoadBalancer = "E2K511", Warning, "Gateway Load Balancers and lambda/alb targets have no AWS Load Balancer Controller equivalent; keep them outside Kubernetes.";
    TargetGroupBindingCutover = "E2K512", Info, "The pods join the existing target group (TargetGroupBinding); follow the cutover steps in MIGRATION_REPORT.md.";
    IngressGroupConflict = "E2K513", Warning, "Two load balancers deployed to one cluster (one environment, or environments of one Argo CD destination) have the same name, so their Ingresses would share one IngressGroup and its fence: rename one, or deploy their environments to different clusters.";
    CrossAccountTargetGroup = "E2K515", Warning, "The target group is in another account than the cluster: apply the role iam/<account>/target-group-binding.tf creates, and make the pods' addresses reachable from its VPC (shared VPC, peering or Transit Gateway); only ip targets work across accounts.";
    CrossAccountCertificate = "E2K516", Warning, "A load balancer uses certificates of its own account and region only: import the certificate into ACM in the cluster's account and region (or issue a new one there) and put its ARN in the annotation.";
    // 55x-59x: the rest of the ECS surface (autoscaling, schedules, EFS, placement, PDB, discovery)
    Autoscaled = "E2K550", Info, "The scalable target became a HorizontalPodAutoscaler; the Deployment leaves replicas to it.";
    AutoscalingMetric = "E2K551", Warning, "This metric is not a pod resource metric: scale on it with KEDA (aws-cloudwatch or prometheus scaler) or an external/custom metric through a metrics adapter.";
    StepScaling = "E2K552", Warning, "Step scaling has no HPA equivalent: use KEDA's aws-cloudwatch scaler on the alarm's metric, or target tracking on a custom metric.";
    ScheduledScaling = "E2K553", Warning, "Scheduled scaling has no HPA equivalent: use KEDA's cron scaler (or a CronJob that patches minReplicas).";
    AutoscalingCapacity = "E2K554", Warning, "An HPA needs 1 <= minReplicas <= maxReplicas; scaling to zero needs KEDA.";
    AutoscalingNotCarried = "E2K555", Warning, "No scaling policy could become an HPA metric: no HPA was made and the Deployment keeps its replicas.";
    ScaleInPerMetric = "E2K556", Info, "An HPA cannot disable scale-in for one metric only; scale-in stays on for all metrics.";
    AutoscalingRequests = "E2K557", Warning, "Utilization targets are relative to resource requests: set the request on every container or the HPA cannot compute it.";
    ScheduledTask = "E2K560", Info, "The scheduled task became a CronJob (or Argo CronWorkflow); check its time zone and concurrency policy.";
    ScheduleUntranslatable = "E2K561", Error, "Rewrite the schedule so five-field cron can express it (e.g. split it into several schedules), or drop the feature it uses.";
    ScheduleNote = "E2K562", Info, "The schedule was translated exactly in cadence; read the note on how it differs.";
    ScheduleOverride = "E2K563", Warning, "This RunTask override has no place in the job's pod template; apply it by hand.";
    ScheduleFlexibleWindow = "E2K564", Info, "CronJobs start on time: the flexible time window (jitter) is not carried.";
    ScheduleRevision = "E2K565", Info, "The schedule runs another revision of the task definition than the one converted; check the pod template.";
    ScheduleDisabled = "E2K566", Info, "The rule or schedule is disabled: the CronJob is suspended.";
    ScheduleTarget = "E2K567", Warning, "The schedule's target is not an ECS task in the inputs; add the task definition's JSON or convert the target by hand.";
    ScheduleRunTask = "E2K568", Info, "RunTask parameters (network, launch type, tags, retry policy) are the cluster's in Kubernetes and were not carried.";
    EfsPersistentVolume = "E2K570", Info, "The EFS volume became a static PersistentVolume and claim; install the EFS CSI driver (aws-efs-csi-driver add-on) on the cluster.";
    EfsIam = "E2K571", Info, "EFS IAM authorization now uses the EFS CSI node driver's role, not the task role: grant that role elasticfilesystem:ClientMount (and ClientWrite).";
    EfsIncomplete = "E2K572", Warning, "The EFS volume names no file system; it was not mounted.";
    EfsCrossAccount = "E2K573", Warning, "The file system is in another account than the cluster: connect the cluster's VPC to its mount targets (VPC peering or Transit Gateway), allow NFS (TCP 2049) from the nodes in their security group, and grant the EFS CSI driver's role in its file system policy.";
    SpotCapacity = "E2K580", Info, "The capacity provider strategy became node affinity on the capacity-type label; the cluster needs spot and on-demand nodes carrying it.";
    CapacityBase = "E2K581", Warning, "Kubernetes cannot keep the first N pods on on-demand capacity; on-demand is only preferred. Split into two Deployments if the base matters.";
    PlacementNotExpressible = "E2K582", Warning, "This placement rule has no node affinity equivalent; express it with node labels and nodeAffinity by hand.";
    TopologySpread = "E2K583", Info, "The spread strategy became a topologySpreadConstraint (ScheduleAnyway, maxSkew 1).";
    PackingStrategy = "E2K584", Info, "binpack and random are scheduler scoring in Kubernetes (e.g. MostAllocated, Karpenter consolidation), not per-workload settings.";
    PlacementAffinity = "E2K585", Info, "The memberOf constraint became required node affinity; the cluster needs nodes carrying that label.";
    DisruptionBudget = "E2K590", Info, "A PodDisruptionBudget keeps pods available during node drains; check it does not block upgrades.";
    DnsRenamed = "E2K595", Warning, "Clients must use the Kubernetes Service DNS name; the report lists old name -> new name.";
    ConsumerRewritten = "E2K596", Info, "The value called a service of the run by its ECS discovery name; it now calls its Kubernetes Service (mapping discovery.rewriteConsumers).";
    ConsumerOldName = "E2K597", Warning, "The value calls an ECS discovery name that stops resolving when ECS is torn down: point it at the service's new name (the report's DNS tables), or keep the Cloud Map namespace until it moves.";
    // 6xx: the run as a whole (said once in the report, not per service)
    DefaultProject = "E2K600", Info, "Argo CD's `default` project lets its Applications deploy any repository's objects to any namespace, cluster-scoped ones included: name each account's team in the inventory (one AppProject per team), or set argocd.project to a project of yours.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// One thing a user must know about the conversion of one source field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    /// The input file the field is in.
    pub input: String,
    /// JSON path of the source field inside its input file, e.g. `taskDefinition.containerDefinitions[1].ulimits`.
    pub field: String,
    pub message: String,
    pub help: &'static str,
}

impl Finding {
    pub fn new(code: Code, field: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            code,
            severity: code.severity(),
            input: String::new(),
            field: field.into(),
            message: message.into(),
            help: code.help(),
        }
    }
}

/// The findings of one workload. A large run keeps hundreds of thousands of findings until the
/// reports are written, and their texts repeat from service to service: at N = 1,000 of the
/// bench, 35,000 findings hold 2,018 distinct messages and 11 distinct fields. So each text is
/// one shared copy (`shared`). `iter` gives the findings back in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FindingList {
    list: Vec<SharedFinding>,
    worst: Option<Severity>,
}

/// A finding as a list keeps it: its texts shared, its severity and help its code's.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SharedFinding {
    code: Code,
    input: Arc<str>,
    field: Arc<str>,
    message: Arc<str>,
}

impl FindingList {
    pub fn push(&mut self, f: &Finding) {
        debug_assert_eq!(
            f.severity,
            f.code.severity(),
            "a finding's severity is its code's"
        );
        self.list.push(SharedFinding {
            code: f.code,
            input: shared(&f.input),
            field: shared(&f.field),
            message: shared(&f.message),
        });
        self.worst = self.worst.max(Some(f.severity));
    }

    /// Adds `f` unless it is there already.
    pub fn add(&mut self, f: &Finding) {
        let same = |g: &SharedFinding| {
            (g.code, &*g.input, &*g.field, &*g.message)
                == (f.code, &*f.input, &*f.field, &*f.message)
        };
        if !self.list.iter().any(same) {
            self.push(f);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = Finding> + '_ {
        self.list.iter().map(|f| Finding {
            input: f.input.to_string(),
            ..Finding::new(f.code, &*f.field, &*f.message)
        })
    }

    /// The codes of the findings, in order, without copying their texts.
    pub fn codes(&self) -> impl Iterator<Item = Code> + '_ {
        self.list.iter().map(|f| f.code)
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The severity of the worst finding.
    pub fn worst(&self) -> Option<Severity> {
        self.worst
    }
}

impl FromIterator<Finding> for FindingList {
    fn from_iter<I: IntoIterator<Item = Finding>>(findings: I) -> FindingList {
        let mut list = FindingList::default();
        for f in findings {
            list.push(&f);
        }
        list
    }
}

/// The findings as a JSON list of finding objects.
impl Serialize for FindingList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

/// The texts kept so far (findings' inputs, fields and messages, workloads' input files), one
/// copy each: what `shared` hands out. One lock for all threads: a workload's few lookups are
/// a small part of its conversion.
static TEXTS: LazyLock<Mutex<HashSet<Arc<str>>>> = LazyLock::new(Mutex::default);

/// The one copy of `text`, for what is kept until the reports are written: at N = 5,000 of the
/// bench, findings and input files held this way lowered the peak from 175 MiB to 148-150.
pub fn shared(text: &str) -> Arc<str> {
    let mut texts = TEXTS.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(kept) = texts.get(text) {
        return kept.clone();
    }
    let kept: Arc<str> = text.into();
    texts.insert(kept.clone());
    kept
}

/// Forgets the texts nothing holds any more, so a process that converts again and again does
/// not keep every text it has seen. Called at the end of a conversion.
pub fn forget_unused_texts() {
    let mut texts = TEXTS.lock().unwrap_or_else(PoisonError::into_inner);
    texts.retain(|text| Arc::strong_count(text) > 1);
}

/// Collects findings while a translation runs; passed down by `&mut`. Each finding is stamped
/// with `input`, the file whose fields are being translated.
#[derive(Debug, Default)]
pub struct Findings {
    pub list: Vec<Finding>,
    pub input: String,
}

impl Findings {
    pub fn push(&mut self, code: Code, field: impl Into<String>, message: impl Into<String>) {
        self.add(Finding::new(code, field, message));
    }

    /// Adds a finding made elsewhere; one without an input gets the current one.
    pub fn add(&mut self, mut finding: Finding) {
        if finding.input.is_empty() {
            finding.input = self.input.clone();
        }
        if !self.list.contains(&finding) {
            self.list.push(finding);
        }
    }
}

#[cfg(test)]
impl Findings {
    /// (code, field) of each finding, in order: what unit tests compare.
    pub fn code_fields(&self) -> Vec<(Code, &str)> {
        self.list
            .iter()
            .map(|f| (f.code, f.field.as_str()))
            .collect()
    }
}

/// docs/findings.md's table of codes, rendered from the table above.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | severity | name | what to do |\n|---|---|---|---|\n");
    for code in Code::ALL {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            code.as_str(),
            code.severity(),
            code.name(),
            code.help()
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every finding comes back as it went in, whatever its texts' lengths and inputs.
    #[test]
    fn a_finding_list_gives_back_what_was_pushed() {
        let long = "x".repeat(300);
        let found = |code, input: &str, field: &str, message: &str| Finding {
            input: input.into(),
            ..Finding::new(code, field, message)
        };
        let all = vec![
            found(Code::Ulimits, "td.json", "a.b[0].ulimits", "one"),
            found(Code::HostPath, "td.json", "", &long),
            found(Code::TaskDefinitionNotFound, "svc.json", &long, ""),
            found(Code::AwsTags, "", "tags", "é ∂ 🚀"),
            found(Code::AwsTags, "td.json", "tags", "again"),
        ];
        let list: FindingList = all.iter().cloned().collect();
        assert_eq!(list.iter().collect::<Vec<_>>(), all);
        assert_eq!((list.len(), list.worst()), (5, Some(Severity::Error)));
        let mut again = list.clone();
        again.add(&all[1]);
        assert_eq!(again, list, "added once");
        assert_eq!(serde_json::to_value(&list).unwrap()[2]["code"], "E2K102");
    }
    use std::collections::BTreeSet;

    /// Two workloads' findings with the same texts hold one copy of each.
    #[test]
    fn equal_texts_are_held_once() {
        let found = Finding {
            input: "in/td.json".into(),
            ..Finding::new(Code::Ulimits, "a.ulimits", "same words")
        };
        let a: FindingList = [found.clone()].into_iter().collect();
        let b: FindingList = [found].into_iter().collect();
        let (a, b) = (&a.list[0], &b.list[0]);
        assert!(Arc::ptr_eq(&a.input, &b.input));
        assert!(Arc::ptr_eq(&a.field, &b.field));
        assert!(Arc::ptr_eq(&a.message, &b.message));
    }

    #[test]
    fn codes_are_unique_and_well_formed() {
        let mut seen = BTreeSet::new();
        for code in Code::ALL {
            assert!(
                seen.insert(code.as_str()),
                "duplicate code {}",
                code.as_str()
            );
            assert!(code.as_str().starts_with("E2K") && code.as_str().len() == 6);
            assert!(!code.help().is_empty() && !code.help().contains('\n'));
        }
    }
}
