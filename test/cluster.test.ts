import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { Join } from '../src/dsl/intrinsic.ts';
import { toPlain } from '../src/emit/plain.ts';
import { nest, synthesize } from '../src/dsl/stack.ts';
import { Template } from '../src/dsl/template.ts';
import { toYaml } from '../src/emit/yaml.ts';
import { cluster, clusterArguments, ECS_AMI_PARAMETER } from '../templates/stacks/cluster.ts';
import { isArm64InstanceType } from '../templates/settings/instance-types.ts';
import { loadSettings, type Ec2CapacitySettings, type ResolvedSettings } from '../templates/settings/settings.ts';
import { ROOT } from './_helpers.ts';

const dev = loadSettings(join(ROOT, 'test/fixtures/settings/dev.json'));
const prod = loadSettings(join(ROOT, 'test/fixtures/settings/prod.json'));
type Doc = { Parameters: Record<string, any>; Conditions?: Record<string, any>; Resources: Record<string, any>; Outputs: Record<string, any> };
const build = (s: ResolvedSettings) => toPlain(synthesize(cluster, s).toJSON()) as Doc;
const ofType = (d: Doc, type: string) => Object.entries(d.Resources).filter(([, r]) => r.Type === type).map(([id]) => id);
const ec2 = (s: ResolvedSettings) => s.cluster.capacity as Ec2CapacitySettings;
const withEc2 = (s: ResolvedSettings, over: Partial<Ec2CapacitySettings>): ResolvedSettings => ({ ...s, cluster: { ...s.cluster, capacity: { ...ec2(s), ...over } } });
const fargate = (spotWeight?: number): ResolvedSettings => ({
  ...dev,
  cluster: { ...dev.cluster, capacity: spotWeight === undefined ? { type: 'fargate' } : { type: 'fargate', spotWeight } },
});
const name = (suffix: string) => [{ Key: 'Name', Value: { 'Fn::Sub': `\${EnvironmentName}-${suffix}` } }];

test('Container Insights as each environment sets it', () => {
  assert.deepEqual(build(prod).Resources.Cluster.Properties, { ClusterSettings: [{ Name: 'containerInsights', Value: 'enhanced' }], Tags: name('cluster') });
  assert.deepEqual(build(dev).Resources.Cluster.Properties.ClusterSettings, [{ Name: 'containerInsights', Value: 'enabled' }]);
});

test('EC2 parameters: network pickers without defaults, the rest defaulted from the settings', () => {
  for (const s of [dev, prod]) {
    const d = build(s);
    const cap = ec2(s);
    assert.deepEqual(Object.keys(d.Parameters), [
      'EnvironmentName', 'VpcId', 'ApplicationSubnetIds', 'EcsAmiId', 'VolumeSizeGiB', 'KeyPairName', 'MinSize', 'MaxSize', 'TargetCapacityPercent', 'AlarmTopicArn',
      // With interface endpoints (prod), the network's registry entries for the instances' groups.
      ...(s === prod ? ['ApplicationSecurityGroupId', 'EndpointSecurityGroupId', 'S3PrefixListId'] : []),
    ]);
    assert.equal(d.Parameters.AlarmTopicArn.Type, 'AWS::SSM::Parameter::Value<String>');
    assert.equal(d.Parameters.AlarmTopicArn.Default, `/berth/${s.name}/alarm-topic-arn`);
    assert.equal(d.Parameters.VpcId.Type, 'AWS::EC2::VPC::Id');
    assert.equal(d.Parameters.ApplicationSubnetIds.Type, 'List<AWS::EC2::Subnet::Id>');
    assert.equal(d.Parameters.VpcId.Default, undefined);
    assert.equal(d.Parameters.ApplicationSubnetIds.Default, undefined);
    assert.equal(d.Parameters.EnvironmentName.Default, s.name);
    assert.deepEqual(
      [d.Parameters.VolumeSizeGiB.Default, d.Parameters.MinSize.Default, d.Parameters.MaxSize.Default],
      [cap.volumeSizeGiB, cap.minSize, cap.maxSize],
    );
    assert.equal(d.Parameters.VolumeSizeGiB.MinValue, 30);
    assert.equal(d.Parameters.KeyPairName.Type, 'String');
    assert.equal(d.Parameters.KeyPairName.Default, '');
  }
  assert.equal(build(dev).Parameters.TargetCapacityPercent.Default, 100);
  assert.equal(build(prod).Parameters.TargetCapacityPercent.Default, 90);
});

test('the AMI is the ECS-optimized Amazon Linux 2023 image from the public SSM parameter, arm64 for Graviton types', () => {
  assert.deepEqual(build(prod).Parameters.EcsAmiId, {
    Type: 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>',
    Description: build(prod).Parameters.EcsAmiId.Description,
    Default: '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
  });
  assert.equal(build(withEc2(prod, { instanceTypes: ['m7g.large', 'm6g.large'] })).Parameters.EcsAmiId.Default, ECS_AMI_PARAMETER.arm64);
  assert.equal(ECS_AMI_PARAMETER.arm64, '/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id');
});

test('Graviton instance types are recognised by the `g` after the generation', () => {
  for (const t of ['m7g.large', 't4g.small', 'c6gn.xlarge', 'r8g.2xlarge', 'x2gd.medium', 'im4gn.large', 'a1.medium', 'g5g.xlarge']) assert.equal(isArm64InstanceType(t), true, t);
  for (const t of ['t3.medium', 'm6i.large', 'g4dn.xlarge', 'c7a.large', 'gr6.4xlarge', 'inf2.xlarge', 'm5d.large']) assert.equal(isArm64InstanceType(t), false, t);
});

test('launch template: IMDSv2 with one hop, no public IP, encrypted gp3 root volume, detailed monitoring, instance profile', () => {
  const data = build(prod).Resources.LaunchTemplate.Properties.LaunchTemplateData;
  assert.deepEqual(data.ImageId, { Ref: 'EcsAmiId' });
  assert.equal(data.InstanceType, undefined); // the Auto Scaling group's mixed instances policy lists them
  assert.deepEqual(data.IamInstanceProfile, { Arn: { 'Fn::GetAtt': ['InstanceProfile', 'Arn'] } });
  assert.deepEqual(data.MetadataOptions, { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 });
  assert.deepEqual(data.BlockDeviceMappings, [
    { DeviceName: '/dev/xvda', Ebs: { VolumeSize: { Ref: 'VolumeSizeGiB' }, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true } },
  ]);
  assert.deepEqual(data.NetworkInterfaces, [{ DeviceIndex: 0, AssociatePublicIpAddress: false, Groups: [{ Ref: 'InstanceSecurityGroup' }, { Ref: 'ApplicationSecurityGroupId' }], DeleteOnTermination: true }]);
  assert.deepEqual(data.Monitoring, { Enabled: true });
  assert.deepEqual(data.TagSpecifications, [
    { ResourceType: 'volume', Tags: name('ecs-instance') },
    { ResourceType: 'network-interface', Tags: name('ecs-instance') },
  ]);
});

test('the key pair is optional: a condition on the KeyPairName parameter, defaulted from the settings', () => {
  const d = build(prod);
  assert.deepEqual(d.Conditions!.HasKeyPair, { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'KeyPairName' }, ''] }] });
  assert.deepEqual(d.Resources.LaunchTemplate.Properties.LaunchTemplateData.KeyName, { 'Fn::If': ['HasKeyPair', { Ref: 'KeyPairName' }, { Ref: 'AWS::NoValue' }] });
  assert.equal(build(withEc2(prod, { keyPairName: 'ops' })).Parameters.KeyPairName.Default, 'ops');
});

test('user data joins the cluster and keeps awsvpc tasks away from the instance metadata', () => {
  const userData = build(dev).Resources.LaunchTemplate.Properties.LaunchTemplateData.UserData;
  assert.deepEqual(userData, {
    'Fn::Base64': {
      'Fn::Sub': [
        '#!/bin/bash',
        'set -euo pipefail',
        "cat >> /etc/ecs/ecs.config <<'EOF'",
        'ECS_CLUSTER=${Cluster}',
        'ECS_AWSVPC_BLOCK_IMDS=true',
        'ECS_ENABLE_TASK_IAM_ROLE=true',
        'ECS_ENABLE_CONTAINER_METADATA=true',
        'ECS_CONTAINER_INSTANCE_PROPAGATE_TAGS_FROM=ec2_instance',
        'EOF',
        '',
      ].join('\n'),
    },
  });
});

test('instance role: trusted by EC2 (through the instance profile), the ECS and SSM managed policies', () => {
  const d = build(prod);
  assert.deepEqual(d.Resources.InstanceRole.Properties.AssumeRolePolicyDocument, {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'ec2.amazonaws.com' },
        Action: 'sts:AssumeRole',
      },
    ],
  });
  assert.deepEqual(d.Resources.InstanceRole.Properties.ManagedPolicyArns, [
    { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role' },
    { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore' },
  ]);
  assert.equal(d.Resources.InstanceRole.Properties.Policies, undefined);
  // The estate's path for roles EC2 assumes (the Service Catalog launch role may pass only those to EC2).
  assert.deepEqual(d.Resources.InstanceProfile.Properties, { Path: '/berth/prod/ec2.amazonaws.com/', Roles: [{ Ref: 'InstanceRole' }] });
});

test('instance security group: no inbound rule at all (awsvpc tasks have their own); HTTPS out to the endpoints and S3 only, or through NAT without endpoints', () => {
  const d = build(prod);
  const sg = d.Resources.InstanceSecurityGroup.Properties;
  assert.equal(sg.SecurityGroupIngress, undefined);
  assert.deepEqual(sg.VpcId, { Ref: 'VpcId' });
  assert.deepEqual(sg.SecurityGroupEgress, [
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationSecurityGroupId: { Ref: 'EndpointSecurityGroupId' }, Description: 'HTTPS to the VPC interface endpoints (AWS APIs)' },
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationPrefixListId: { Ref: 'S3PrefixListId' }, Description: 'HTTPS to S3 through the gateway endpoint (image layers)' },
  ]);
  assert.equal(typeof sg.GroupDescription, 'string');
  // The instances also carry the application tier's group, which the endpoints admit.
  assert.deepEqual(d.Resources.LaunchTemplate.Properties.LaunchTemplateData.NetworkInterfaces[0].Groups, [{ Ref: 'InstanceSecurityGroup' }, { Ref: 'ApplicationSecurityGroupId' }]);
  for (const p of ['ApplicationSecurityGroupId', 'EndpointSecurityGroupId']) assert.equal(d.Parameters[p].Type, 'AWS::SSM::Parameter::Value<AWS::EC2::SecurityGroup::Id>');
  assert.equal(d.Parameters.S3PrefixListId.Default, '/berth/prod/s3-prefix-list-id');

  const nat = build(dev);
  assert.deepEqual(nat.Resources.InstanceSecurityGroup.Properties.SecurityGroupEgress, [
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0', Description: 'HTTPS to the ECS, ECR, CloudWatch Logs and SSM endpoints through NAT' },
  ]);
  assert.deepEqual(nat.Resources.LaunchTemplate.Properties.LaunchTemplateData.NetworkInterfaces[0].Groups, [{ Ref: 'InstanceSecurityGroup' }]);
});

test('Auto Scaling group: one application subnet per AZ, the environment\'s instance types in order, sizes from parameters, EC2 health checks, not protected from scale-in', () => {
  for (const [s, zones, types] of [[dev, 2, ['c6a.large', 'c6i.large']], [prod, 3, ['m6i.large', 'm6a.large']]] as const) {
    const asg = build(s).Resources.AutoScalingGroup;
    const indexes = Array.from({ length: zones }, (_, i) => i);
    assert.deepEqual(asg.Properties, {
      AvailabilityZones: indexes.map((i) => ({ 'Fn::Select': [i, { 'Fn::GetAZs': '' }] })),
      VPCZoneIdentifier: indexes.map((i) => ({ 'Fn::Select': [i, { Ref: 'ApplicationSubnetIds' }] })),
      MixedInstancesPolicy: {
        LaunchTemplate: {
          LaunchTemplateSpecification: { LaunchTemplateId: { Ref: 'LaunchTemplate' }, Version: { 'Fn::GetAtt': ['LaunchTemplate', 'LatestVersionNumber'] } },
          Overrides: types.map((InstanceType) => ({ InstanceType })),
        },
        InstancesDistribution: { OnDemandAllocationStrategy: 'prioritized', OnDemandBaseCapacity: 0, OnDemandPercentageAboveBaseCapacity: 100 },
      },
      MinSize: { Ref: 'MinSize' },
      MaxSize: { Ref: 'MaxSize' },
      // No DesiredCapacity: managed scaling owns it, and a stack update would reset it.
      HealthCheckType: 'EC2',
      NewInstancesProtectedFromScaleIn: false,
      MetricsCollection: [{ Granularity: '1Minute' }],
      NotificationConfigurations: [{ TopicARN: { Ref: 'AlarmTopicArn' }, NotificationTypes: ['autoscaling:EC2_INSTANCE_LAUNCH_ERROR', 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR'] }],
      Tags: [{ Key: 'Name', Value: { 'Fn::Sub': '${EnvironmentName}-ecs-instance' }, PropagateAtLaunch: true }],
    });
  }
});

test('Auto Scaling group: rolling replacement keeping MinSize in service; stack updates leave the desired count to ECS', () => {
  assert.deepEqual(build(prod).Resources.AutoScalingGroup.UpdatePolicy, {
    AutoScalingRollingUpdate: {
      MaxBatchSize: 1,
      MinInstancesInService: { Ref: 'MinSize' },
      PauseTime: 'PT2M',
      // Not AlarmNotification: managed scaling's target tracking policy must keep acting during the update.
      SuspendProcesses: ['HealthCheck', 'ReplaceUnhealthy', 'AZRebalance', 'ScheduledActions'],
    },
    AutoScalingScheduledAction: { IgnoreUnmodifiedGroupSizeProperties: true },
  });
});

test('capacity provider: managed scaling to the target, managed draining, no managed termination protection', () => {
  assert.deepEqual(build(prod).Resources.CapacityProvider.Properties, {
    Name: { 'Fn::Sub': 'ec2-${AWS::StackName}' },
    AutoScalingGroupProvider: {
      AutoScalingGroupArn: { Ref: 'AutoScalingGroup' },
      ManagedScaling: { Status: 'ENABLED', TargetCapacity: { Ref: 'TargetCapacityPercent' } },
      ManagedTerminationProtection: 'DISABLED',
      ManagedDraining: 'ENABLED',
    },
    Tags: name('ec2'),
  });
});

test('EC2 clusters get the EC2 provider by default and FARGATE / FARGATE_SPOT beside it', () => {
  assert.deepEqual(build(dev).Resources.ClusterCapacityProviders, {
    Type: 'AWS::ECS::ClusterCapacityProviderAssociations',
    Properties: {
      Cluster: { Ref: 'Cluster' },
      CapacityProviders: [{ Ref: 'CapacityProvider' }, 'FARGATE', 'FARGATE_SPOT'],
      DefaultCapacityProviderStrategy: [{ CapacityProvider: { Ref: 'CapacityProvider' }, Weight: 1 }],
    },
  });
  assert.equal(build(dev).Resources.Cluster.Properties.CapacityProviders, undefined);
});

/** Logical IDs a resource refers to: Ref, GetAtt, Sub placeholders and DependsOn. */
function dependencies(d: Doc, id: string): Set<string> {
  const out = new Set<string>();
  const r = d.Resources[id];
  for (const dep of [r.DependsOn ?? []].flat()) out.add(dep);
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'Ref' && typeof x === 'string') out.add(x);
      else if (k === 'Fn::GetAtt') out.add((x as string[])[0]!);
      else if (k === 'Fn::Sub') for (const m of String(Array.isArray(x) ? x[0] : x).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) out.add(m[1]!);
      walk(x);
    }
  };
  walk(r.Properties);
  return new Set([...out].filter((x) => x in d.Resources));
}

/** CloudFormation deletes a resource only after everything that depends on it, directly or not. */
function deletedBefore(d: Doc, first: string, then: string): boolean {
  const seen = new Set<string>();
  const visit = (id: string): boolean => {
    if (id === then) return true;
    if (seen.has(id)) return false;
    seen.add(id);
    return [...dependencies(d, id)].some(visit);
  };
  return visit(first);
}

test('deletion does not hang: association, then provider, then the group and its instances, then the cluster', () => {
  const d = build(prod);
  assert.deepEqual(d.Resources.AutoScalingGroup.DependsOn, 'Cluster');
  assert.ok(deletedBefore(d, 'ClusterCapacityProviders', 'CapacityProvider'));
  assert.ok(deletedBefore(d, 'ClusterCapacityProviders', 'Cluster'));
  assert.ok(deletedBefore(d, 'CapacityProvider', 'AutoScalingGroup'));
  for (const after of ['Cluster', 'LaunchTemplate', 'InstanceProfile', 'InstanceRole', 'InstanceSecurityGroup']) {
    assert.ok(deletedBefore(d, 'AutoScalingGroup', after), `AutoScalingGroup before ${after}`);
  }
  assert.ok(!deletedBefore(d, 'Cluster', 'AutoScalingGroup'));
  // Nothing may hold an instance back: no scale-in protection from either side.
  assert.equal(d.Resources.AutoScalingGroup.Properties.NewInstancesProtectedFromScaleIn, false);
  assert.equal(d.Resources.CapacityProvider.Properties.AutoScalingGroupProvider.ManagedTerminationProtection, 'DISABLED');
});

test('EC2 outputs: the cluster, the EC2 provider and the instance security group', () => {
  const d = build(prod);
  assert.deepEqual(
    Object.fromEntries(Object.entries(d.Outputs).map(([id, o]) => [id, o.Value])),
    {
      ClusterName: { Ref: 'Cluster' },
      ClusterArn: { 'Fn::GetAtt': ['Cluster', 'Arn'] },
      CapacityProviderName: { Ref: 'CapacityProvider' },
      InstanceSecurityGroupId: { 'Fn::GetAtt': ['InstanceSecurityGroup', 'GroupId'] },
      Ec2Capacity: 'true',
      ClusterNameParameter: { Ref: 'ClusterNameParameter' },
      CapacityProviderNameParameter: { Ref: 'CapacityProviderNameParameter' },
    },
  );
  // A nested stack's name is generated, so nobody could import its exports: it has none.
  assert.equal(d.Outputs.ClusterName.Export, undefined);
});

test('Fargate: the providers and strategy on the cluster, Spot only with a positive weight, no EC2 resources', () => {
  const d = build(fargate(3));
  assert.deepEqual(Object.keys(d.Parameters), ['EnvironmentName']);
  assert.deepEqual(Object.keys(d.Resources), ['Cluster', 'ClusterNameParameter', 'CapacityProviderNameParameter']);
  assert.deepEqual(d.Resources.Cluster.Properties, {
    ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    CapacityProviders: ['FARGATE', 'FARGATE_SPOT'],
    DefaultCapacityProviderStrategy: [
      { CapacityProvider: 'FARGATE', Base: 1, Weight: 1 },
      { CapacityProvider: 'FARGATE_SPOT', Weight: 3 },
    ],
    Tags: name('cluster'),
  });
  assert.deepEqual(build(fargate()).Resources.Cluster.Properties.DefaultCapacityProviderStrategy, [{ CapacityProvider: 'FARGATE', Base: 1, Weight: 1 }]);
  assert.deepEqual(build(fargate(0)).Resources.Cluster.Properties.DefaultCapacityProviderStrategy, [{ CapacityProvider: 'FARGATE', Base: 1, Weight: 1 }]);
  assert.deepEqual(ofType(d, 'AWS::AutoScaling::AutoScalingGroup'), []);
});

test('the cluster and capacity provider names are published in the estate registry (SSM)', () => {
  const d = build(prod);
  assert.deepEqual(d.Resources.ClusterNameParameter.Properties, {
    Name: { 'Fn::Sub': '/berth/${EnvironmentName}/cluster-name' },
    Type: 'String',
    Value: { Ref: 'Cluster' },
    Description: 'Name of the ECS cluster, for service stacks.',
  });
  assert.deepEqual(d.Resources.CapacityProviderNameParameter.Properties.Value, { Ref: 'CapacityProvider' });
  assert.deepEqual(build(fargate()).Resources.CapacityProviderNameParameter.Properties.Value, 'FARGATE');
});

test('Fargate outputs keep the contract: FARGATE, `none` and `false`', () => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(build(fargate()).Outputs).map(([id, o]) => [id, o.Value])),
    {
      ClusterName: { Ref: 'Cluster' },
      ClusterArn: { 'Fn::GetAtt': ['Cluster', 'Arn'] },
      CapacityProviderName: 'FARGATE',
      InstanceSecurityGroupId: 'none',
      Ec2Capacity: 'false',
      ClusterNameParameter: { Ref: 'ClusterNameParameter' },
      CapacityProviderNameParameter: { Ref: 'CapacityProviderNameParameter' },
    },
  );
});

test('clusterArguments passes the network only to the EC2 variant', () => {
  for (const [s, expected] of [[dev, ['EnvironmentName', 'VpcId', 'ApplicationSubnetIds']], [fargate(), ['EnvironmentName']]] as const) {
    const parent = new Template({ name: 'parent', description: 'test' });
    const env = parent.parameter('Env', { type: 'String', description: 'x', default: 'dev' });
    const vpc = parent.parameter('Vpc', { type: 'AWS::EC2::VPC::Id', description: 'x' });
    const subnets = parent.parameter('Subnets', { type: 'List<AWS::EC2::Subnet::Id>', description: 'x' });
    nest(parent, 'Cluster', cluster, { settings: s, parameters: clusterArguments(s, { EnvironmentName: env.ref, VpcId: vpc.ref, ApplicationSubnetIds: Join(',', subnets.ref) }) });
    const stack = (toPlain(parent.toJSON()) as Doc).Resources.Cluster;
    assert.deepEqual(Object.keys(stack.Properties.Parameters), expected);
  }
});

test('the templates stay well under the 51,200-byte console limit', () => {
  for (const s of [dev, prod, fargate(1)]) {
    const bytes = Buffer.byteLength(toYaml(synthesize(cluster, s).toJSON()));
    assert.ok(bytes < 25_600, `${s.name}: ${bytes} bytes`);
  }
});

test('fails when maxSize is not above minSize (no room to replace an instance)', () => {
  assert.throws(
    () => synthesize(cluster, withEc2(prod, { minSize: 3, maxSize: 3 })),
    (e: unknown) =>
      e instanceof BerthError &&
      e.where === `${prod.file}: cluster.capacity.maxSize` &&
      /is 3, not above `minSize` \(3\)/.test(e.problem) &&
      /Set `maxSize` to at least 4/.test(e.problem),
  );
});
