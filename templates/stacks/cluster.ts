/**
 * The cluster stack: an ECS cluster with Container Insights, and its capacity. Either EC2 (an Auto
 * Scaling group of ECS-optimized Amazon Linux 2023 instances in the application subnets behind a
 * capacity provider with managed scaling and draining; the Fargate providers are associated too, so
 * Fargate services can run beside EC2 ones) or Fargate / Fargate Spot only.
 *
 * Every berth service uses the `awsvpc` network mode: each task has its own network interface and
 * security group, and the load balancer targets task IPs, not instances. The instances therefore
 * accept no inbound traffic at all.
 */
import { at } from '../../src/settings/loader.ts';
import { AWS, Base64, BerthError, contract, defineStack, Equals, GetAZs, If, Not, output, parameter, q, Select, sub, type Intrinsic, type NestArguments, type OutputsOf, type ParameterHandles, type Resource, type Template, type Value } from '../../src/dsl/index.ts';
import { isArm64InstanceType } from '../settings/instance-types.ts';
import { publish, registryParameter } from './shared/registry.ts';
import { alarm, alarmTopicArn } from './shared/alarms.ts';
import { hasInterfaceEndpoints } from './endpoints.ts';
import { awsOnlyEgress, INTERNET_HTTPS_EGRESS } from './shared/egress.ts';
import type { Ec2CapacitySettings, ResolvedSettings } from '../settings/settings.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { withGuardExemptions } from './shared/guard.ts';
import { estateRole, rolePath } from './shared/iam.ts';

/**
 * The public SSM parameters that name the latest ECS-optimized Amazon Linux 2023 AMI, per CPU architecture.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/retrieve-ecs-optimized_AMI.html
 */
export const ECS_AMI_PARAMETER = {
  x86_64: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
  arm64: '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id',
} as const;

/** Managed scaling target when `cluster.capacity.targetCapacityPercent` is not set: no spare instances. */
export const DEFAULT_TARGET_CAPACITY_PERCENT = 100;
/** FARGATE_SPOT's default-strategy weight when `cluster.capacity.spotWeight` is not set: no Spot. */
export const DEFAULT_SPOT_WEIGHT = 0;
/** How long CloudFormation waits after each replaced instance (ISO 8601), so its ECS agent registers before the next one goes. */
export const ROLLING_UPDATE_PAUSE = 'PT2M';

/** What the Auto Scaling group tells the alarm topic. */
export const INSTANCE_ERROR_NOTIFICATIONS = ['autoscaling:EC2_INSTANCE_LAUNCH_ERROR', 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR'] as const;

/** Placeholder outputs of the Fargate variant, which has no EC2 provider and no instances. */
export const FARGATE_CAPACITY_PROVIDER = 'FARGATE';
export const NO_INSTANCE_SECURITY_GROUP = 'none';

const ZONE_LETTERS = ['A', 'B', 'C'] as const;


function size(description: string, label: string, value: number, minValue: number) {
  return parameter('Number', { description, default: value, minValue, constraintDescription: `a whole number, at least ${minValue}`, group: 'Auto Scaling', label });
}

/** The EC2 variant's parameters: network pickers without defaults, the rest defaulted from the settings. */
function ec2Parameters(s: ResolvedSettings, cap: Ec2CapacitySettings) {
  const arch = isArm64InstanceType(cap.instanceTypes[0]!) ? 'arm64' : 'x86_64';
  return {
    EnvironmentName: environmentNameParameter(s.name),
    VpcId: parameter('AWS::EC2::VPC::Id', { description: 'The VPC of the instances and their security group.', group: 'Network', label: 'VPC' }),
    ApplicationSubnetIds: parameter('List<AWS::EC2::Subnet::Id>', {
      description: `Application subnets for the instances, one in each of the Region's first ${s.network.availabilityZones} Availability Zones, in that order (as the network stack makes them). They need a route to the ECS, ECR and SSM endpoints (NAT or VPC endpoints).`,
      group: 'Network',
      label: 'Application subnets',
    }),
    EcsAmiId: amiParameter(cap, arch),
    VolumeSizeGiB: parameter('Number', {
      description: 'Size of the encrypted gp3 root volume, which also holds the images and containers.',
      default: cap.volumeSizeGiB,
      minValue: 30, // the ECS-optimized AMI's snapshot is 30 GiB
      maxValue: 16384,
      constraintDescription: '30 to 16384 GiB',
      group: 'Instances',
      label: 'Root volume size (GiB)',
    }),
    KeyPairName: parameter('String', {
      description: 'EC2 key pair for SSH, or empty for none (recommended: use SSM Session Manager, which needs no key and no open port).',
      default: cap.keyPairName ?? '',
      maxLength: 255,
      group: 'Instances',
      label: 'Key pair (optional)',
    }),
    MinSize: size('Fewest instances, and how many a new group starts with (ECS managed scaling then sets the count). Rolling updates keep this many in service, so it must stay below the maximum.', 'Minimum instances', cap.minSize, 0),
    MaxSize: size('Most instances managed scaling may run.', 'Maximum instances', cap.maxSize, 1),
    TargetCapacityPercent: parameter('Number', {
      description: 'Managed scaling target: how full the instances may get (100 = no spare instance kept; lower keeps headroom for faster task starts).',
      default: cap.targetCapacityPercent ?? DEFAULT_TARGET_CAPACITY_PERCENT,
      minValue: 1,
      maxValue: 100,
      constraintDescription: '1 to 100',
      group: 'Auto Scaling',
      label: 'Target capacity (%)',
    }),
    AlarmTopicArn: registryParameter(s.name, 'alarm-topic-arn', "The environment's alarm topic (the operations stack's): the Auto Scaling group reports failed launches and terminations to it.", 'Auto Scaling', 'Alarm topic ARN'),
    // Declared only with interface endpoints (the instances then reach AWS through them). Typed as
    // always present: they are read only when the settings have the endpoints.
    ...(hasInterfaceEndpoints(s) ? endpointParameters(s) : ({} as ReturnType<typeof endpointParameters>)),
  };
}

/** The network's registry entries the instances' security groups need with interface endpoints. */
function endpointParameters(s: ResolvedSettings) {
  return {
    ApplicationSecurityGroupId: registryParameter(s.name, 'application-security-group-id', "The application tier's security group, which the VPC endpoints admit (the network stack's).", 'Network', 'Application tier security group', 'AWS::EC2::SecurityGroup::Id'),
    EndpointSecurityGroupId: registryParameter(s.name, 'endpoint-security-group-id', "The VPC interface endpoints' security group, where the instances send HTTPS (the network stack's).", 'Network', 'Endpoint security group', 'AWS::EC2::SecurityGroup::Id'),
    S3PrefixListId: registryParameter(s.name, 's3-prefix-list-id', "The Region's S3 prefix list, where the instances send HTTPS through the gateway endpoint (image layers, the AMI's package repositories).", 'Network', 'S3 prefix list'),
  };
}
const ENDPOINT_PARAMETERS = ['ApplicationSecurityGroupId', 'EndpointSecurityGroupId', 'S3PrefixListId'] as const;

/**
 * The AMI parameter. By default the public SSM parameter of the latest recommended ECS-optimized
 * AMI, which CloudFormation resolves on every create and update of this stack: any update of the
 * cluster stack after AWS publishes a new AMI makes a new launch template version and replaces the
 * instances one by one (the rolling update below). `ami.imageId` pins the AMI (a plain AMI ID
 * parameter; CloudFormation checks it exists in the Region), so the instances change only when the
 * setting does: refresh on request by editing it, or by passing `--param EcsAmiId=ami-...` to a
 * deploy. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html#aws-ssm-parameter-types
 */
function amiParameter(cap: Ec2CapacitySettings, arch: 'x86_64' | 'arm64') {
  const ami = cap.ami;
  if (ami && 'imageId' in ami) {
    return parameter('AWS::EC2::Image::Id', {
      description: `The AMI of the instances, pinned in the environment file (cluster.capacity.ami.imageId): an ECS-optimized AMI for ${arch}, in this Region. Changing it replaces the instances one by one.`,
      default: ami.imageId,
      group: 'Instances',
      label: 'AMI ID',
    });
  }
  const custom = ami !== undefined;
  return parameter('AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', {
    description: custom
      ? `SSM parameter holding the AMI ID of the instances (cluster.capacity.ami.ssmParameter; ${arch}). Read on every create and update of this stack: a new value replaces the instances one by one.`
      : `SSM parameter naming the latest recommended ECS-optimized Amazon Linux 2023 AMI (${arch}; must match the instance type's architecture). Read on every create and update of this stack: when AWS has published a new AMI, an update replaces the instances one by one. Pin an AMI with cluster.capacity.ami.imageId to change them only on request.`,
    default: ami ? ami.ssmParameter : ECS_AMI_PARAMETER[arch],
    group: 'Instances',
    label: custom ? 'AMI (SSM parameter)' : 'ECS-optimized AMI (SSM parameter)',
  });
}

type Ec2Parameters = ReturnType<typeof ec2Parameters>;
type FargateParameters = { EnvironmentName: ReturnType<typeof environmentNameParameter> };

/**
 * What a parent passes when it nests the cluster, typed against the EC2 contract: the Fargate
 * variant declares only `EnvironmentName` (a VPC or subnets it would not use would be unused
 * parameters), so its share is picked here from the settings, where the parent cannot go wrong.
 *
 *     nest(t, 'Cluster', cluster, { settings, parameters: clusterArguments(settings, { EnvironmentName, VpcId, ApplicationSubnetIds }) })
 */
export function clusterArguments(s: ResolvedSettings, args: NestArguments<Ec2Parameters>): NestArguments<Ec2Parameters> | NestArguments<FargateParameters> {
  if (s.cluster.capacity.type !== 'ec2') return { EnvironmentName: args.EnvironmentName };
  // The endpoint parameters exist only with interface endpoints.
  return hasInterfaceEndpoints(s) ? args : (Object.fromEntries(Object.entries(args).filter(([k]) => !(ENDPOINT_PARAMETERS as readonly string[]).includes(k))) as NestArguments<Ec2Parameters>);
}

/** Settings checks this stack needs beyond the schema. */
function checkEc2Settings(s: ResolvedSettings, cap: Ec2CapacitySettings): void {
  // A rolling update keeps `MinInstancesInService` (the minimum) running, which CloudFormation
  // requires to be below MaxSize so it can launch a replacement before terminating an instance.
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html#cfn-attributes-updatepolicy-rollingupdate-mininstancesinservice
  if (cap.minSize >= cap.maxSize) {
    throw new BerthError(
      at(s.file, 'cluster.capacity.maxSize'),
      `is ${cap.maxSize}, not above \`minSize\` (${cap.minSize}). Rolling instance replacement (on every new AMI) keeps \`minSize\` instances in service and needs room for one more. ` +
        `Set ${q('maxSize')} to at least ${cap.minSize + 1}.`,
    );
  }
}

export const clusterContract = contract({
  name: 'cluster',
  description: (s: ResolvedSettings) => {
    const cap = s.cluster.capacity;
    const capacity = cap.type === 'ec2' ? `EC2 capacity (${cap.instanceTypes.join(' / ')}, ${cap.minSize}-${cap.maxSize} instances, managed scaling and draining) plus Fargate` : 'Fargate and Fargate Spot capacity';
    return `berth ECS cluster for ${s.name}: Container Insights (${s.cluster.containerInsights}), ${capacity}.`;
  },
  parameters: (s: ResolvedSettings): Ec2Parameters | FargateParameters => {
    const cap = s.cluster.capacity;
    return cap.type === 'ec2' ? ec2Parameters(s, cap) : { EnvironmentName: environmentNameParameter(s.name) };
  },
  outputs: {
    ClusterName: output('String', { description: 'Name of the ECS cluster.' }),
    ClusterArn: output('String', { description: 'ARN of the ECS cluster.' }),
    CapacityProviderName: output('String', { description: 'Capacity provider for services: the EC2 Auto Scaling group provider, or FARGATE on a Fargate-only cluster.' }),
    InstanceSecurityGroupId: output('String', { description: 'Security group of the container instances (not of the tasks: awsvpc tasks have their own), or `none` on a Fargate-only cluster.' }),
    Ec2Capacity: output('String', { description: '`true` if the cluster has EC2 instances, `false` if it is Fargate only.' }),
    ClusterNameParameter: output('AWS::SSM::Parameter::Name', { description: 'SSM parameter holding the cluster name (/berth/<env>/cluster-name), read by service stacks.' }),
    CapacityProviderNameParameter: output('AWS::SSM::Parameter::Name', { description: 'SSM parameter holding the capacity provider name (/berth/<env>/capacity-provider-name), read by service stacks.' }),
  },
});

/** What the cluster stack's `build` returns: a value for each output of its contract. */
export interface ClusterOutputs extends OutputsOf<typeof clusterContract> {}

export const cluster = defineStack(clusterContract, {
  build(t, p, s): ClusterOutputs {
    const cap = s.cluster.capacity;
    const tags: Tags = (suffix) => [{ Key: 'Name', Value: sub`${p.EnvironmentName.ref}-${suffix}` }];
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cloudwatch-container-insights.html
    const containerInsights = [{ Name: 'containerInsights', Value: s.cluster.containerInsights }];
    // CT.ECS.PR.2 knows only 'enabled' and reads 'enhanced', its superset, as off.
    const clusterOptions = withGuardExemptions({}, [
      s.cluster.containerInsights === 'enhanced' && {
        rule: 'ecs_container_insights_enabled_check',
        control: 'CT.ECS.PR.2',
        reason: `Container Insights is on, as 'enhanced' (${s.file}: cluster.containerInsights): a superset of 'enabled' with per-task and per-container metrics, which the control does not know and reads as off. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cloudwatch-container-insights.html`,
      },
    ]);

    if (cap.type === 'fargate') {
      // Fargate only: the providers and default strategy live on the cluster itself, as there is no
      // provider of ours to create first. FARGATE keeps a base of one task per service on
      // on-demand capacity; FARGATE_SPOT is listed in the strategy only with a positive weight.
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
      const spotWeight = cap.spotWeight ?? DEFAULT_SPOT_WEIGHT;
      const ecsCluster = t.resource('Cluster', 'AWS::ECS::Cluster', {
        ClusterSettings: containerInsights,
        CapacityProviders: ['FARGATE', 'FARGATE_SPOT'],
        DefaultCapacityProviderStrategy: [
          { CapacityProvider: 'FARGATE', Base: 1, Weight: 1 },
          ...(spotWeight > 0 ? [{ CapacityProvider: 'FARGATE_SPOT', Weight: spotWeight }] : []),
        ],
        Tags: tags('cluster'),
      }, clusterOptions);
      return {
        ...publishCluster(t, p.EnvironmentName.ref, ecsCluster, FARGATE_CAPACITY_PROVIDER),
        ClusterName: ecsCluster.ref,
        ClusterArn: ecsCluster.getAtt('Arn'),
        CapacityProviderName: FARGATE_CAPACITY_PROVIDER,
        InstanceSecurityGroupId: NO_INSTANCE_SECURITY_GROUP,
        Ec2Capacity: 'false',
      };
    }

    checkEc2Settings(s, cap);
    // `parameters` declared the EC2 set for these settings; this narrows the handles to it.
    if (!('VpcId' in p)) throw new Error('cluster: EC2 capacity without the EC2 parameters');
    const ecsCluster = t.resource('Cluster', 'AWS::ECS::Cluster', { ClusterSettings: containerInsights, Tags: tags('cluster') }, clusterOptions);
    const ec2 = addEc2Capacity(t, p, s, cap, ecsCluster, tags);
    return {
      ...publishCluster(t, p.EnvironmentName.ref, ecsCluster, ec2.capacityProvider.ref),
      ClusterName: ecsCluster.ref,
      ClusterArn: ecsCluster.getAtt('Arn'),
      CapacityProviderName: ec2.capacityProvider.ref,
      InstanceSecurityGroupId: ec2.securityGroup.getAtt('GroupId'),
      Ec2Capacity: 'true',
    };
  },
});

/** Publishes the cluster and capacity provider names in the estate registry (templates/stacks/shared/registry.ts). */
function publishCluster(t: Template, env: Intrinsic<'String'>, ecsCluster: Resource<'AWS::ECS::Cluster'>, capacityProvider: Value<string>) {
  const cluster = publish(t, 'ClusterNameParameter', env, 'cluster-name', ecsCluster.ref, 'Name of the ECS cluster, for service stacks.');
  const provider = publish(t, 'CapacityProviderNameParameter', env, 'capacity-provider-name', capacityProvider, 'Capacity provider for EC2 services, for service stacks.');
  return { ClusterNameParameter: cluster.ref, CapacityProviderNameParameter: provider.ref };
}

type Tags = (suffix: string) => { Key: string; Value: Intrinsic<'String'> }[];

/**
 * The EC2 capacity. Deleting the stack must not hang, which takes three decisions:
 *
 * 1. Managed termination protection is off (and new instances are not protected from scale-in).
 *    With it on, instances keep their scale-in protection after the capacity provider is deleted,
 *    so CloudFormation's deletion of the Auto Scaling group waits forever for them to go:
 *    https://github.com/aws/aws-cdk/issues/18179, https://github.com/aws/aws-cdk/issues/14732,
 *    https://github.com/aws/containers-roadmap/issues/2862. Managed draining (on) still drains an
 *    instance's tasks before scale-in, instance refresh or rolling replacement terminates it:
 *    https://docs.aws.amazon.com/AmazonECS/latest/developerguide/managed-instance-draining.html
 * 2. The cluster cannot be deleted while container instances are registered
 *    (`ClusterContainsContainerInstancesException`), so the Auto Scaling group depends on the
 *    cluster: CloudFormation then deletes the group, and waits for its instances to terminate,
 *    before it deletes the cluster. The launch template's user data already names the cluster; the
 *    explicit DependsOn keeps the order if that ever changes, as in
 *    https://github.com/aws-samples/ecs-refarch-cloudformation/pull/79 and
 *    https://github.com/aws/containers-roadmap/issues/631 (the ASG `DependsOn` the cluster).
 * 3. A capacity provider cannot be deleted while a cluster uses it: the association refers to the
 *    provider, so it is deleted first; the provider refers to the group, so it goes before it.
 * Resulting delete order: association, capacity provider, Auto Scaling group (instances
 * terminate), launch template / instance profile / security group, cluster.
 */
function addEc2Capacity(t: Template, p: ParameterHandles<Ec2Parameters>, s: ResolvedSettings, cap: Ec2CapacitySettings, ecsCluster: Resource<'AWS::ECS::Cluster'>, tags: Tags) {
  const zones = ZONE_LETTERS.slice(0, s.network.availabilityZones);
  // awsvpc tasks get their own network interfaces and security groups (the service stack's group
  // admits the load balancer), and the load balancer targets task IPs. The instance's own interface
  // therefore needs no inbound rule at all: no port range from the load balancer, nothing else.
  // Outbound, the ECS agent, ECR image pulls, CloudWatch Logs and SSM all use HTTPS. DNS, NTP and
  // instance metadata are not filtered by security groups:
  // https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
  // With the network's interface endpoints, HTTPS only to them and to S3 (image layers, the AMI's
  // package repositories); without, to AWS's public endpoints through NAT (shared/egress.ts).
  const endpoints = hasInterfaceEndpoints(s);
  const securityGroup = t.resource('InstanceSecurityGroup', 'AWS::EC2::SecurityGroup', {
    GroupDescription: `ECS container instances: no inbound traffic (awsvpc tasks have their own groups), HTTPS out to ${endpoints ? 'the VPC endpoints and S3' : 'AWS through NAT'}`,
    VpcId: p.VpcId.ref,
    SecurityGroupEgress: endpoints
      ? [...awsOnlyEgress({ endpointSecurityGroupId: p.EndpointSecurityGroupId.ref, s3PrefixListId: p.S3PrefixListId.ref })]
      : [{ ...INTERNET_HTTPS_EGRESS, Description: 'HTTPS to the ECS, ECR, CloudWatch Logs and SSM endpoints through NAT' }],
    Tags: tags('ecs-instances'),
  });
  const instanceGroups = endpoints ? [securityGroup.ref, p.ApplicationSecurityGroupId.ref] : [securityGroup.ref];

  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/instance_IAM_role.html
  const role = t.resource('InstanceRole', 'AWS::IAM::Role', {
    Description: 'ECS container instances: register with the cluster, pull images, ship logs, SSM Session Manager.',
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'ec2.amazonaws.com' },
          Action: 'sts:AssumeRole',
          // No aws:SourceAccount condition here, unlike the other service roles: EC2 assumes an
          // instance-profile role on the instance's behalf and AWS does not document that it
          // sends aws:SourceAccount; if it did not, instances would get no credentials and never
          // join the cluster. The role is only usable through this stack's instance profile.
          // https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
        },
      ],
    },
    ...estateRole(t, s.name, 'ec2.amazonaws.com'),
    ManagedPolicyArns: [
      sub`arn:${AWS.Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role`,
      // Shell access without SSH keys or inbound ports. https://docs.aws.amazon.com/systems-manager/latest/userguide/setup-instance-permissions.html
      sub`arn:${AWS.Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore`,
    ],
    Tags: tags('ecs-instance'),
  });
  const profile = t.resource('InstanceProfile', 'AWS::IAM::InstanceProfile', { Path: rolePath(s.name, 'ec2.amazonaws.com'), Roles: [role.ref] });

  const hasKeyPair = t.condition('HasKeyPair', Not(Equals(p.KeyPairName.ref, '')));

  // Agent settings: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-agent-config.html
  // ECS_AWSVPC_BLOCK_IMDS: awsvpc tasks cannot reach the instance metadata (and so the instance
  // role's credentials); they use their task role. ECS_ENABLE_TASK_IAM_ROLE makes task roles
  // explicit. Tags set on the instances are copied to the container instances.
  const userData = sub`#!/bin/bash
set -euo pipefail
cat >> /etc/ecs/ecs.config <<'EOF'
ECS_CLUSTER=${ecsCluster.ref}
ECS_AWSVPC_BLOCK_IMDS=true
ECS_ENABLE_TASK_IAM_ROLE=true
ECS_ENABLE_CONTAINER_METADATA=true
ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM=ec2_instance
EOF
`;

  const launchTemplate = t.resource('LaunchTemplate', 'AWS::EC2::LaunchTemplate', {
    LaunchTemplateData: {
      ImageId: p.EcsAmiId.ref,
      // No InstanceType: the Auto Scaling group's mixed instances policy lists them.
      IamInstanceProfile: { Arn: profile.getAtt('Arn') },
      KeyName: If(hasKeyPair, p.KeyPairName.ref, AWS.NoValue),
      // IMDSv2 only, one hop: containers (a hop further) cannot reach the metadata service.
      // https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-options.html
      MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      // Root volume of the Amazon Linux 2023 AMI; encrypted with the account's EBS key.
      BlockDeviceMappings: [
        { DeviceName: '/dev/xvda', Ebs: { VolumeSize: p.VolumeSizeGiB.ref, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } },
      ],
      NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: instanceGroups, DeleteOnTermination: true }],
      Monitoring: { Enabled: true },
      UserData: Base64(userData),
      // The instances get their tags from the Auto Scaling group (PropagateAtLaunch); their
      // volumes and network interfaces from here.
      TagSpecifications: ['volume', 'network-interface'].map((ResourceType) => ({ ResourceType, Tags: tags('ecs-instance') })),
    },
  });

  const group = t.resource(
    'AutoScalingGroup',
    'AWS::AutoScaling::AutoScalingGroup',
    {
      // One application subnet per AZ, in the AZs the network stack puts them in (the Region's
      // first N), both lists explicit so the group visibly spans several AZs.
      AvailabilityZones: zones.map((_, i) => Select(i, GetAZs())),
      VPCZoneIdentifier: zones.map((_, i) => Select(i, p.ApplicationSubnetIds.ref)),
      // Several instance types in order of preference, all On-Demand: when one type runs short in
      // an AZ the group launches the next instead of failing to scale.
      // https://docs.aws.amazon.com/autoscaling/ec2/userguide/allocation-strategies.html
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: launchTemplate.ref, Version: launchTemplate.getAtt('LatestVersionNumber') },
          Overrides: cap.instanceTypes.map((InstanceType) => ({ InstanceType })),
        },
        InstancesDistribution: { OnDemandAllocationStrategy: 'prioritized', OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 100 },
      },
      MinSize: p.MinSize.ref,
      MaxSize: p.MaxSize.ref,
      // No DesiredCapacity: ECS managed scaling owns the count (its target tracking policy on this
      // group sets it), and a value here would reset it on every stack update that touches the
      // group. Left out, a new group starts at MinSize.
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-autoscaling-autoscalinggroup.html#cfn-autoscaling-autoscalinggroup-desiredcapacity
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-auto-scaling.html
      // EC2 status checks: in awsvpc mode the instances are not load balancer targets (the tasks
      // are, by IP), so ELB health checks would have nothing to check.
      HealthCheckType: 'EC2',
      // Off, with managed termination protection off: see the comment above this function.
      NewInstancesProtectedFromScaleIn: false,
      MetricsCollection: [{ Granularity: '1Minute' }],
      // Launches and terminations that fail (capacity, quotas, a broken launch template) reach the
      // environment's alarm topic; successful ones are routine under managed scaling.
      // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-sns-notifications.html
      NotificationConfigurations: [{ TopicARN: p.AlarmTopicArn.ref, NotificationTypes: [...INSTANCE_ERROR_NOTIFICATIONS] }],
      Tags: [{ Key: 'Name', Value: sub`${p.EnvironmentName.ref}-ecs-instance`, PropagateAtLaunch: true }],
    },
    {
      dependsOn: [ecsCluster],
      updatePolicy: {
        // A new AMI (or any launch template change) replaces instances one at a time, launching the
        // replacement first while only `MinSize` are in service. The ASG keeps its name, so the
        // capacity provider (which names it) stays; a replacing update would recreate both.
        // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html
        //
        // Suspended during the update: health-check replacements and AZ rebalancing (they would
        // fight the replacement) and scheduled actions. Not AlarmNotification, which CloudFormation's
        // example suspends: ECS managed scaling works through a target tracking policy on this group,
        // driven by CloudWatch alarms, and suspending AlarmNotification stops the group acting on
        // them; during a rolling update (minutes per instance) tasks drained from replaced instances
        // would then wait for capacity that never comes. Launch and Terminate stay on, as the update
        // itself needs them.
        // https://docs.aws.amazon.com/autoscaling/ec2/userguide/as-suspend-resume-processes.html
        // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/asg-capacity-providers.html
        AutoScalingRollingUpdate: {
          MaxBatchSize: 1,
          MinInstancesInService: p.MinSize.ref,
          PauseTime: ROLLING_UPDATE_PAUSE,
          SuspendProcesses: ['HealthCheck', 'ReplaceUnhealthy', 'AZRebalance', 'ScheduledActions'],
        },
        // Scheduled actions may change MinSize / MaxSize; an update that does not change them in the
        // template leaves the group's current values alone.
        AutoScalingScheduledAction: { IgnoreUnmodifiedGroupSizeProperties: true },
      },
    },
  );

  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/asg-capacity-providers.html
  // Named after the stack: a generated name starts with the stack name, and provider names must not
  // start with `aws`, `ecs` or `fargate` (https://github.com/aws/aws-cdk/issues/29151).
  const capacityProvider = t.resource('CapacityProvider', 'AWS::ECS::CapacityProvider', {
    Name: sub`ec2-${AWS.StackName}`,
    AutoScalingGroupProvider: {
      AutoScalingGroupArn: group.ref, // the name is accepted too
      ManagedScaling: { Status: 'ENABLED', TargetCapacity: p.TargetCapacityPercent.ref },
      ManagedTerminationProtection: 'DISABLED',
      ManagedDraining: 'ENABLED',
    },
    Tags: tags('ec2'),
  });

  // EC2 by default; FARGATE and FARGATE_SPOT associated so a service can choose them instead.
  // A strategy cannot mix Auto Scaling group and Fargate providers, so the default is EC2 alone.
  t.resource('ClusterCapacityProviders', 'AWS::ECS::ClusterCapacityProviderAssociations', {
    Cluster: ecsCluster.ref,
    CapacityProviders: [capacityProvider.ref, 'FARGATE', 'FARGATE_SPOT'],
    DefaultCapacityProviderStrategy: [{ CapacityProvider: capacityProvider.ref, Weight: 1 }],
  });

  capacityAlarms(t, p, cap, ecsCluster, capacityProvider, group);
  return { capacityProvider, securityGroup };
}

/**
 * The EC2 capacity's alarms. Managed scaling's CapacityProviderReservation is the capacity the
 * tasks need as a percentage of what runs: held at or above 100 % (above it, with a 100 % target)
 * for 15 minutes, the group cannot grow any further (at `maxSize`, or launches failing) and tasks
 * wait for instances that do not come. And instances failing their EC2 status checks.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-auto-scaling.html
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html
 */
function capacityAlarms(
  t: Template,
  p: ParameterHandles<Ec2Parameters>,
  cap: Ec2CapacitySettings,
  ecsCluster: Resource<'AWS::ECS::Cluster'>,
  capacityProvider: Resource<'AWS::ECS::CapacityProvider'>,
  group: Resource<'AWS::AutoScaling::AutoScalingGroup'>,
): void {
  const env = p.EnvironmentName.ref;
  const headroom = (cap.targetCapacityPercent ?? DEFAULT_TARGET_CAPACITY_PERCENT) < 100;
  alarm(t, 'CapacityAlarm', {
    name: sub`${env}-cluster-capacity-pinned`,
    description: `The cluster's EC2 capacity has been ${headroom ? 'fully used (reservation at 100 %, above the managed scaling target)' : 'short (reservation above 100 %: tasks waiting for instances)'} for 15 minutes: managed scaling cannot add instances, because the Auto Scaling group is at its maximum or its launches fail. Look at the group's activity (aws autoscaling describe-scaling-activities) and raise cluster.capacity.maxSize, or add instance types.`,
    watch: {
      metric: {
        namespace: 'AWS/ECS/ManagedScaling',
        name: 'CapacityProviderReservation',
        dimensions: [
          { name: 'ClusterName', value: ecsCluster.ref },
          { name: 'CapacityProviderName', value: capacityProvider.ref },
        ],
      },
      stat: 'Minimum',
    },
    periodSeconds: 300,
    evaluationPeriods: 3,
    comparison: headroom ? 'GreaterThanOrEqualToThreshold' : 'GreaterThanThreshold',
    threshold: 100,
    missingData: { treat: 'notBreaching', because: 'managed scaling reports the reservation every minute while it runs; without it there is nothing to be short of.' },
    topic: alarmTopicArn(env),
  });
  alarm(t, 'InstanceStatusAlarm', {
    name: sub`${env}-cluster-instance-status`,
    description: "A container instance fails its EC2 status checks for 2 minutes: the instance or its host is impaired, and its tasks may stop. The Auto Scaling group replaces it (EC2 health checks); look at the instance's status checks in the EC2 console and the group's activity.",
    watch: { metric: { namespace: 'AWS/EC2', name: 'StatusCheckFailed', dimensions: [{ name: 'AutoScalingGroupName', value: group.ref }] }, stat: 'Maximum' },
    periodSeconds: 60,
    evaluationPeriods: 2,
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    missingData: { treat: 'notBreaching', because: 'a group with no instance reports no status checks.' },
    topic: alarmTopicArn(env),
  });
}
