/**
 * The permissions of the Service Catalog launch role, derived from the resource types the product
 * templates use. Service Catalog assumes this role to create, update and terminate a provisioned
 * product, and CloudFormation then calls every service with the role's credentials, so the role
 * needs CloudFormation, read access to the nested templates in S3, and the create / read / update /
 * tag / delete actions of each resource type in the products, nothing else.
 * https://docs.aws.amazon.com/servicecatalog/latest/adminguide/constraints-launch.html
 *
 * A product template that starts using a resource type missing from `GRANTS` fails the build with
 * a message naming the type, so the role can never silently lag behind the templates.
 *
 * Scoping: write actions are limited to this account and Region (and, where CloudFormation names
 * the resource after the stack, to `SC-*`: Service Catalog names each provisioned product's stack
 * `SC-<account>-pp-<id>`, and CloudFormation prefixes generated names with the stack name). Actions
 * that support no resource-level permission at all are granted on `*` in one separate policy, each
 * listed in `UNSCOPED` with the page of the Service Authorization Reference that says so.
 */
import { AWS, BerthError, q, sub, type Intrinsic, type Json, type Value } from '../../src/dsl/index.ts';

/** What CloudFormation needs to manage one resource type. */
interface Grant {
  /** Scoped actions: create, read, update, tag, delete (delete is left out where the templates retain the resource). */
  readonly actions: readonly string[];
  /** Actions with no resource-level permission (each must be in `UNSCOPED`). @default - none */
  readonly unscoped?: readonly string[];
  /** Service principal the resource passes a role to (`iam:PassRole` with `iam:PassedToService`). @default - none */
  readonly passRoleTo?: string;
  /** Service that creates its service-linked role on first use (`iam:CreateServiceLinkedRole`). @default - none */
  readonly serviceLinkedRole?: string;
}

const TAGS_EC2 = ['ec2:CreateTags', 'ec2:DeleteTags'];

/** Per resource type. Delete actions are absent for types the templates retain (KMS keys, log groups, buckets). */
const GRANTS: Readonly<Record<string, Grant>> = {
  'AWS::CloudFormation::Stack': {
    actions: ['cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:DeleteStack', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:TagResource', 'cloudformation:UntagResource'],
  },
  'AWS::EC2::VPC': {
    actions: ['ec2:CreateVpc', 'ec2:DeleteVpc', 'ec2:ModifyVpcAttribute', ...TAGS_EC2],
    unscoped: ['ec2:DescribeVpcs', 'ec2:DescribeVpcAttribute', 'ec2:DescribeSecurityGroups', 'ec2:DescribeNetworkAcls'],
  },
  'AWS::EC2::VPCCidrBlock': {
    actions: ['ec2:AssociateVpcCidrBlock', 'ec2:DisassociateVpcCidrBlock'],
    unscoped: ['ec2:DescribeVpcs'],
  },
  'AWS::EC2::Subnet': {
    actions: ['ec2:CreateSubnet', 'ec2:DeleteSubnet', 'ec2:ModifySubnetAttribute', ...TAGS_EC2],
    unscoped: ['ec2:DescribeSubnets'],
  },
  'AWS::EC2::InternetGateway': {
    actions: ['ec2:CreateInternetGateway', 'ec2:DeleteInternetGateway', ...TAGS_EC2],
    unscoped: ['ec2:DescribeInternetGateways'],
  },
  'AWS::EC2::VPCGatewayAttachment': {
    actions: ['ec2:AttachInternetGateway', 'ec2:DetachInternetGateway'],
    unscoped: ['ec2:DescribeInternetGateways'],
  },
  'AWS::EC2::RouteTable': {
    actions: ['ec2:CreateRouteTable', 'ec2:DeleteRouteTable', ...TAGS_EC2],
    unscoped: ['ec2:DescribeRouteTables'],
  },
  'AWS::EC2::Route': {
    actions: ['ec2:CreateRoute', 'ec2:ReplaceRoute', 'ec2:DeleteRoute'],
    unscoped: ['ec2:DescribeRouteTables'],
  },
  'AWS::EC2::SubnetRouteTableAssociation': {
    actions: ['ec2:AssociateRouteTable', 'ec2:DisassociateRouteTable', 'ec2:ReplaceRouteTableAssociation'],
    unscoped: ['ec2:DescribeRouteTables'],
  },
  'AWS::EC2::EIP': {
    actions: ['ec2:AllocateAddress', 'ec2:ReleaseAddress', ...TAGS_EC2],
    unscoped: ['ec2:DescribeAddresses'],
  },
  'AWS::EC2::NatGateway': {
    actions: ['ec2:CreateNatGateway', 'ec2:DeleteNatGateway', ...TAGS_EC2],
    unscoped: ['ec2:DescribeNatGateways'],
  },
  'AWS::EC2::VPCEndpoint': {
    actions: ['ec2:CreateVpcEndpoint', 'ec2:ModifyVpcEndpoint', 'ec2:DeleteVpcEndpoints', ...TAGS_EC2],
    unscoped: ['ec2:DescribeVpcEndpoints', 'ec2:DescribePrefixLists'],
  },
  'AWS::EC2::FlowLog': {
    actions: ['ec2:CreateFlowLogs', 'ec2:DeleteFlowLogs', ...TAGS_EC2],
    unscoped: ['ec2:DescribeFlowLogs'],
    passRoleTo: 'vpc-flow-logs.amazonaws.com',
  },
  'AWS::EC2::SecurityGroup': {
    actions: [
      'ec2:CreateSecurityGroup', 'ec2:DeleteSecurityGroup', 'ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress',
      'ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress', 'ec2:ModifySecurityGroupRules', ...TAGS_EC2,
    ],
    unscoped: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
  },
  'AWS::EC2::SecurityGroupIngress': {
    actions: ['ec2:AuthorizeSecurityGroupIngress', 'ec2:RevokeSecurityGroupIngress', 'ec2:ModifySecurityGroupRules'],
    unscoped: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
  },
  'AWS::EC2::SecurityGroupEgress': {
    actions: ['ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupEgress', 'ec2:ModifySecurityGroupRules'],
    unscoped: ['ec2:DescribeSecurityGroups', 'ec2:DescribeSecurityGroupRules'],
  },
  'AWS::EC2::LaunchTemplate': {
    actions: ['ec2:CreateLaunchTemplate', 'ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate', 'ec2:DeleteLaunchTemplate', ...TAGS_EC2],
    unscoped: ['ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions'],
    passRoleTo: 'ec2.amazonaws.com',
  },
  'AWS::IAM::Role': {
    actions: [
      'iam:CreateRole', 'iam:DeleteRole', 'iam:GetRole', 'iam:UpdateRole', 'iam:UpdateRoleDescription', 'iam:UpdateAssumeRolePolicy',
      'iam:PutRolePolicy', 'iam:GetRolePolicy', 'iam:DeleteRolePolicy', 'iam:ListRolePolicies', 'iam:ListAttachedRolePolicies',
      'iam:TagRole', 'iam:UntagRole',
    ],
  },
  'AWS::IAM::InstanceProfile': {
    actions: ['iam:CreateInstanceProfile', 'iam:DeleteInstanceProfile', 'iam:GetInstanceProfile', 'iam:AddRoleToInstanceProfile', 'iam:RemoveRoleFromInstanceProfile'],
    passRoleTo: 'ec2.amazonaws.com',
  },
  'AWS::KMS::Key': {
    // Keys are retained (DeletionPolicy Retain): no ScheduleKeyDeletion.
    actions: ['kms:DescribeKey', 'kms:GetKeyPolicy', 'kms:PutKeyPolicy', 'kms:EnableKeyRotation', 'kms:GetKeyRotationStatus', 'kms:UpdateKeyDescription', 'kms:TagResource', 'kms:UntagResource', 'kms:ListResourceTags'],
    unscoped: ['kms:CreateKey'],
  },
  'AWS::Logs::LogGroup': {
    // Log groups are retained: no DeleteLogGroup.
    actions: ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:DeleteRetentionPolicy', 'logs:AssociateKmsKey', 'logs:DisassociateKmsKey', 'logs:TagResource', 'logs:UntagResource', 'logs:ListTagsForResource'],
    unscoped: ['logs:DescribeLogGroups'],
  },
  'AWS::RDS::DBSubnetGroup': {
    actions: ['rds:CreateDBSubnetGroup', 'rds:ModifyDBSubnetGroup', 'rds:DeleteDBSubnetGroup', 'rds:DescribeDBSubnetGroups', 'rds:AddTagsToResource', 'rds:RemoveTagsFromResource', 'rds:ListTagsForResource'],
  },
  'AWS::SSM::Parameter': {
    actions: ['ssm:PutParameter', 'ssm:DeleteParameter', 'ssm:GetParameter', 'ssm:GetParameters', 'ssm:AddTagsToResource', 'ssm:RemoveTagsFromResource', 'ssm:ListTagsForResource'],
  },
  'AWS::ElasticLoadBalancingV2::LoadBalancer': {
    actions: [
      'elasticloadbalancing:CreateLoadBalancer', 'elasticloadbalancing:DeleteLoadBalancer', 'elasticloadbalancing:ModifyLoadBalancerAttributes',
      'elasticloadbalancing:SetSecurityGroups', 'elasticloadbalancing:SetSubnets', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags',
    ],
    unscoped: ['elasticloadbalancing:DescribeLoadBalancers', 'elasticloadbalancing:DescribeLoadBalancerAttributes', 'elasticloadbalancing:DescribeTags'],
    serviceLinkedRole: 'elasticloadbalancing.amazonaws.com',
  },
  'AWS::ElasticLoadBalancingV2::Listener': {
    actions: ['elasticloadbalancing:CreateListener', 'elasticloadbalancing:ModifyListener', 'elasticloadbalancing:DeleteListener', 'elasticloadbalancing:AddTags'],
    unscoped: ['elasticloadbalancing:DescribeListeners'],
  },
  'AWS::ElasticLoadBalancingV2::ListenerRule': {
    actions: ['elasticloadbalancing:CreateRule', 'elasticloadbalancing:ModifyRule', 'elasticloadbalancing:SetRulePriorities', 'elasticloadbalancing:DeleteRule', 'elasticloadbalancing:AddTags'],
    unscoped: ['elasticloadbalancing:DescribeRules'],
  },
  'AWS::ElasticLoadBalancingV2::TargetGroup': {
    actions: [
      'elasticloadbalancing:CreateTargetGroup', 'elasticloadbalancing:ModifyTargetGroup', 'elasticloadbalancing:ModifyTargetGroupAttributes',
      'elasticloadbalancing:DeleteTargetGroup', 'elasticloadbalancing:AddTags', 'elasticloadbalancing:RemoveTags',
    ],
    unscoped: ['elasticloadbalancing:DescribeTargetGroups', 'elasticloadbalancing:DescribeTargetGroupAttributes'],
  },
  'AWS::CertificateManager::Certificate': {
    actions: ['acm:DescribeCertificate', 'acm:DeleteCertificate', 'acm:AddTagsToCertificate', 'acm:RemoveTagsFromCertificate', 'acm:ListTagsForCertificate', 'route53:ChangeResourceRecordSets', 'route53:GetChange'],
    unscoped: ['acm:RequestCertificate'],
  },
  'AWS::Route53::RecordSet': {
    actions: ['route53:ChangeResourceRecordSets', 'route53:ListResourceRecordSets', 'route53:GetHostedZone', 'route53:GetChange'],
  },
  'AWS::S3::Bucket': {
    // Buckets are retained: no DeleteBucket.
    actions: [
      's3:CreateBucket', 's3:PutEncryptionConfiguration', 's3:PutBucketVersioning', 's3:PutBucketPublicAccessBlock', 's3:PutBucketOwnershipControls',
      's3:PutLifecycleConfiguration', 's3:PutBucketTagging', 's3:GetBucketLocation', 's3:GetBucketTagging',
    ],
  },
  'AWS::S3::BucketPolicy': {
    actions: ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy'],
  },
  'AWS::ECS::Cluster': {
    actions: ['ecs:CreateCluster', 'ecs:UpdateCluster', 'ecs:UpdateClusterSettings', 'ecs:DeleteCluster', 'ecs:DescribeClusters', 'ecs:PutClusterCapacityProviders', 'ecs:TagResource', 'ecs:UntagResource'],
    serviceLinkedRole: 'ecs.amazonaws.com',
  },
  'AWS::ECS::CapacityProvider': {
    actions: ['ecs:CreateCapacityProvider', 'ecs:UpdateCapacityProvider', 'ecs:DeleteCapacityProvider', 'ecs:TagResource', 'ecs:UntagResource'],
    unscoped: ['ecs:DescribeCapacityProviders'],
  },
  'AWS::ECS::ClusterCapacityProviderAssociations': {
    actions: ['ecs:PutClusterCapacityProviders', 'ecs:DescribeClusters'],
  },
  'AWS::ECS::TaskDefinition': {
    actions: ['ecs:TagResource', 'ecs:UntagResource'],
    unscoped: ['ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition', 'ecs:DescribeTaskDefinition'],
    passRoleTo: 'ecs-tasks.amazonaws.com',
  },
  'AWS::ECS::Service': {
    actions: ['ecs:CreateService', 'ecs:UpdateService', 'ecs:DeleteService', 'ecs:DescribeServices', 'ecs:TagResource', 'ecs:UntagResource'],
    serviceLinkedRole: 'ecs.amazonaws.com',
  },
  'AWS::AutoScaling::AutoScalingGroup': {
    // Creating a group from a launch template is authorized like a launch: ec2:RunInstances on the
    // template, the AMI and the network resources, and iam:PassRole for the instance profile.
    // https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html
    actions: ['autoscaling:CreateAutoScalingGroup', 'autoscaling:UpdateAutoScalingGroup', 'autoscaling:DeleteAutoScalingGroup', 'autoscaling:CreateOrUpdateTags', 'autoscaling:DeleteTags', 'ec2:RunInstances', ...TAGS_EC2],
    unscoped: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeScalingActivities'],
    passRoleTo: 'ec2.amazonaws.com',
    serviceLinkedRole: 'autoscaling.amazonaws.com',
  },
  'AWS::ApplicationAutoScaling::ScalableTarget': {
    actions: ['application-autoscaling:RegisterScalableTarget', 'application-autoscaling:DeregisterScalableTarget', 'application-autoscaling:TagResource', 'application-autoscaling:UntagResource'],
    unscoped: ['application-autoscaling:DescribeScalableTargets'],
    serviceLinkedRole: 'ecs.application-autoscaling.amazonaws.com',
  },
  'AWS::ApplicationAutoScaling::ScalingPolicy': {
    // Target tracking creates and deletes its CloudWatch alarms with the caller's permissions.
    // https://docs.aws.amazon.com/autoscaling/application/userguide/security_iam_id-based-policy-examples.html
    actions: ['application-autoscaling:PutScalingPolicy', 'application-autoscaling:DeleteScalingPolicy', 'cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms'],
    unscoped: ['application-autoscaling:DescribeScalingPolicies', 'cloudwatch:DescribeAlarms'],
  },
  'AWS::CloudWatch::Alarm': {
    actions: ['cloudwatch:PutMetricAlarm', 'cloudwatch:DeleteAlarms', 'cloudwatch:TagResource', 'cloudwatch:UntagResource'],
    unscoped: ['cloudwatch:DescribeAlarms'],
  },
  'AWS::SQS::Queue': {
    actions: ['sqs:CreateQueue', 'sqs:DeleteQueue', 'sqs:GetQueueAttributes', 'sqs:SetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:TagQueue', 'sqs:UntagQueue', 'sqs:ListQueueTags'],
  },
  'AWS::SQS::QueuePolicy': {
    actions: ['sqs:SetQueueAttributes', 'sqs:GetQueueAttributes'],
  },
  'AWS::Scheduler::Schedule': {
    actions: ['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule'],
    passRoleTo: 'scheduler.amazonaws.com',
  },
  'AWS::Events::Rule': {
    actions: ['events:PutRule', 'events:DeleteRule', 'events:DescribeRule', 'events:PutTargets', 'events:RemoveTargets', 'events:ListTargetsByRule', 'events:TagResource', 'events:UntagResource'],
    passRoleTo: 'events.amazonaws.com',
  },
};

/**
 * Actions that support no resource-level permission, so IAM only accepts them on `*`; the page of
 * the Service Authorization Reference that lists each ("Resource types" column empty).
 */
export const UNSCOPED: Readonly<Record<string, string>> = {
  ec2: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html',
  elasticloadbalancing: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awselasticloadbalancingv2.html',
  autoscaling: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html',
  'application-autoscaling': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_applicationautoscaling.html',
  ecs: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerservice.html',
  kms: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awskeymanagementservice.html',
  logs: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatchlogs.html',
  cloudwatch: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html',
  acm: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscertificatemanager.html',
  cloudformation: 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html',
};

/** Where the role's actions may act: the scope of each service's ARNs. */
export interface LaunchScope {
  /** Only this environment's registry entries (`/berth/<environment>/...`). */
  readonly environmentName: Intrinsic<'String'>;
  /** ARN pattern of the packaged product templates in S3 (CloudFormation reads nested templates from there). */
  readonly templateObjects: Value<string>;
  /** AWS managed policies the products attach to their roles: the only ones the role may attach. */
  readonly attachableManagedPolicies: readonly Value<string>[];
}

const here = (service: string, resource: string) => sub`arn:${AWS.Partition}:${service}:${AWS.Region}:${AWS.AccountId}:${resource}`;
/** This environment's registry entries only (templates/stacks/shared/registry.ts). */
const registry = (scope: LaunchScope) => sub`arn:${AWS.Partition}:ssm:${AWS.Region}:${AWS.AccountId}:parameter/berth/${scope.environmentName}/*`;

/** The ARNs each service's scoped actions may act on. */
function resources(service: string, scope: LaunchScope): Json[] {
  switch (service) {
    case 'cloudformation':
      // Provisioned products' stacks and their nested stacks are all named SC-<account>-pp-<id>...
      return [here('cloudformation', 'stack/SC-*/*')];
    case 'ec2':
      // Account resources in this Region, plus the Amazon-owned AMI that ec2:RunInstances authorizes
      // (the ECS-optimized AMI has no account in its ARN).
      return [here('ec2', '*'), sub`arn:${AWS.Partition}:ec2:${AWS.Region}::image/*`];
    case 'iam':
      // Roles and instance profiles CloudFormation names after the SC-... stack.
      return [sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/SC-*`, sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:instance-profile/SC-*`];
    case 'ssm':
      return [registry(scope)];
    case 's3':
      // Buckets CloudFormation names after the (lower-cased) SC-... stack.
      return [sub`arn:${AWS.Partition}:s3:::sc-*`];
    case 'route53':
      return [sub`arn:${AWS.Partition}:route53:::hostedzone/*`, sub`arn:${AWS.Partition}:route53:::change/*`];
    case 'kms':
      return [here('kms', 'key/*')];
    case 'logs':
      return [here('logs', 'log-group:*')];
    case 'rds':
      return [here('rds', 'subgrp:*')];
    case 'cloudwatch':
      return [here('cloudwatch', 'alarm:*')];
    case 'scheduler':
      return [here('scheduler', 'schedule/*')];
    case 'events':
      return [here('events', 'rule/*')];
    default:
      return [here(service, '*')];
  }
}

/** The resource types of the products, each checked against `GRANTS`. */
function grantsFor(types: readonly string[]): Grant[] {
  return [...new Set(types)].sort().map((type) => {
    const grant = GRANTS[type];
    if (!grant) {
      throw new BerthError(
        'templates/stacks/launch-role.ts',
        `the product templates use resource type ${q(type)}, for which the Service Catalog launch role has no permissions. ` +
          'Add an entry to `GRANTS` with the actions CloudFormation needs to create, update and delete it.',
      );
    }
    return grant;
  });
}

const serviceOf = (action: string) => action.slice(0, action.indexOf(':'));
const sorted = (actions: Iterable<string>) => [...new Set(actions)].sort();

/** A policy, named by what it covers, with its statements. */
export interface LaunchPolicy {
  readonly name: string;
  readonly description: string;
  readonly statements: readonly Json[];
}

/** Which policy each service's scoped actions go to: policies stay under IAM's 6,144-character limit. */
const POLICY_OF: Readonly<Record<string, string>> = {
  cloudformation: 'Stacks',
  s3: 'Stacks',
  ssm: 'Stacks',
  ec2: 'Network',
  rds: 'Network',
  elasticloadbalancing: 'Network',
  route53: 'Network',
  acm: 'Network',
  ecs: 'Compute',
  autoscaling: 'Compute',
  'application-autoscaling': 'Compute',
  cloudwatch: 'Compute',
  sqs: 'Compute',
  scheduler: 'Compute',
  events: 'Compute',
  iam: 'Identity',
  kms: 'Identity',
  logs: 'Identity',
};

/**
 * The launch role's policies for products made of `types`: scoped actions grouped by service into
 * a few managed policies, plus one policy of the actions that IAM accepts only on `*`.
 */
export function launchPolicies(types: readonly string[], scope: LaunchScope): LaunchPolicy[] {
  const grants = grantsFor(types);
  const byPolicy = new Map<string, Map<string, Set<string>>>();
  const add = (action: string) => {
    const service = serviceOf(action);
    const policy = POLICY_OF[service];
    if (!policy) throw new BerthError('templates/stacks/launch-role.ts', `action ${q(action)} belongs to no launch policy. Add ${q(service)} to \`POLICY_OF\`.`);
    const services = byPolicy.get(policy) ?? new Map<string, Set<string>>();
    byPolicy.set(policy, services);
    services.set(service, (services.get(service) ?? new Set()).add(action));
  };
  grants.forEach((g) => g.actions.forEach(add));

  const statements = (policy: string): Json[] =>
    [...(byPolicy.get(policy) ?? new Map<string, Set<string>>())].sort(([a], [b]) => a.localeCompare(b)).map(([service, actions]) => ({
      Effect: 'Allow',
      Action: sorted(actions),
      Resource: resources(service, scope),
    }));

  // Stacks: CloudFormation plus what it reads on the role's behalf: the nested templates in S3
  // and the SSM parameters behind `AWS::SSM::Parameter::Value<...>` parameters (the estate
  // registry and the public ECS-optimized AMI parameters).
  const stacks: Json[] = [
    ...statements('Stacks'),
    { Effect: 'Allow', Action: 's3:GetObject', Resource: scope.templateObjects },
    { Effect: 'Allow', Action: 'ssm:GetParameters', Resource: [registry(scope), sub`arn:${AWS.Partition}:ssm:${AWS.Region}::parameter/aws/service/ecs/*`] },
  ];

  const passTo = sorted(grants.flatMap((g) => (g.passRoleTo ? [g.passRoleTo] : [])));
  const linked = sorted(grants.flatMap((g) => (g.serviceLinkedRole ? [g.serviceLinkedRole] : [])));
  const identity: Json[] = [
    ...statements('Identity'),
    ...(passTo.length
      ? [{ Effect: 'Allow', Action: 'iam:PassRole', Resource: sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/SC-*`, Condition: { StringEquals: { 'iam:PassedToService': passTo } } }]
      : []),
    ...(linked.length
      ? [
          {
            Effect: 'Allow',
            Action: 'iam:CreateServiceLinkedRole',
            Resource: sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/aws-service-role/*`,
            Condition: { StringEquals: { 'iam:AWSServiceName': linked } },
          },
        ]
      : []),
  ];
  // The products attach a few AWS managed policies to their roles; only those may be attached.
  if (scope.attachableManagedPolicies.length) {
    identity.push({
      Effect: 'Allow',
      Action: ['iam:AttachRolePolicy', 'iam:DetachRolePolicy'],
      Resource: sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/SC-*`,
      Condition: { ArnEquals: { 'iam:PolicyARN': [...scope.attachableManagedPolicies] } },
    });
  }

  const unscopedActions = sorted(grants.flatMap((g) => g.unscoped ?? []).concat('cloudformation:GetTemplateSummary', 'cloudformation:ValidateTemplate'));
  for (const a of unscopedActions) {
    if (!UNSCOPED[serviceOf(a)]) throw new BerthError('templates/stacks/launch-role.ts', `action ${q(a)} is granted on \`*\` but \`UNSCOPED\` cites no reference for ${q(serviceOf(a))}. Add the page that shows it has no resource types.`);
  }

  const policies: LaunchPolicy[] = [
    { name: 'Stacks', description: 'CloudFormation stacks of the provisioned products, their templates and SSM-typed parameters.', statements: stacks },
    { name: 'Network', description: 'VPC, subnets, routing, security groups, load balancer, DNS and certificates.', statements: statements('Network') },
    { name: 'Compute', description: 'ECS, Auto Scaling, alarms, queues and schedules.', statements: statements('Compute') },
    { name: 'Identity', description: 'IAM roles and instance profiles named SC-*, KMS keys and log groups.', statements: identity },
    {
      name: 'Unscoped',
      description: 'actions that support no resource-level permission (IAM accepts them only on *).',
      statements: [{ Effect: 'Allow', Action: unscopedActions, Resource: '*' }],
    },
  ];
  return policies.filter((p) => p.statements.length > 0);
}
