/**
 * The permissions of the Service Catalog launch role, derived from AWS's own data rather than
 * written by hand: for each resource type in the products, every action its CloudFormation
 * handlers list for create, read, update and delete (AWS's resource provider schemas, in
 * launch-role.generated.ts: `make permissions`), plus what CloudFormation itself calls with the
 * role's credentials (intrinsic functions, AWS-specific and SSM parameter types, rolling updates),
 * plus what the Service Catalog launch-constraint documentation requires.
 * https://docs.aws.amazon.com/servicecatalog/latest/adminguide/constraints-launch.html
 *
 * Every write is scoped to the estate:
 * - IAM: only roles and instance profiles under the environment's path (`/berth/<env>/<service>/`),
 *   created and changed only with the portfolio's permissions boundary; `iam:PassRole` only to the
 *   service each role's path names; never `DeleteRolePermissionsBoundary`.
 * - EC2 and KMS: creates only with the `berth:environment` tag of the environment in the request
 *   (`aws:RequestTag`), changes and deletes only of resources carrying it (`aws:ResourceTag`),
 *   where IAM supports those keys for the action (the IAM database in the generated table).
 * - Route 53: only the environment's hosted zones. SSM: only `/berth/<env>/`. CloudFormation and
 *   S3: only what Service Catalog's stacks (`SC-...`) create. The rest: this account and Region.
 * Actions IAM accepts only on `*` (no resource-level permission) are granted on `*`, nothing else.
 */
import { AWS, BerthError, q, sub, type Json, type Value } from '../../src/dsl/index.ts';
import { toPlain } from '../../src/emit/plain.ts';
import { ACTIONS, HANDLER_PERMISSIONS } from './launch-role.generated.ts';

/** Where the role's actions may act, and what the products need beyond their resource types. */
export interface LaunchScope {
  /** The environment (its IAM path, registry and tag value). */
  readonly environment: string;
  /** ARN pattern of the packaged product templates in S3 (CloudFormation reads nested templates from there). */
  readonly templateObjects: Value<string>;
  /** AWS managed policies the products attach to their roles: the only ones the role may attach. */
  readonly attachableManagedPolicies: readonly Value<string>[];
  /** The permissions boundary every role the products create must carry. */
  readonly boundary: Value<string>;
  /** Service principals the products' roles trust (each role is passed only to its service). */
  readonly roleServices: readonly string[];
  /** Hosted zone IDs the products write records in. @default - none */
  readonly hostedZones?: readonly string[];
  /** ARNs of the SSM parameters behind `AWS::SSM::Parameter::Value<...>` parameters. @default - none */
  readonly ssmParameters?: readonly Value<string>[];
  /** AWS-specific parameter types the products declare (CloudFormation checks their values exist). @default - none */
  readonly parameterTypes?: readonly string[];
  /** The products use `Fn::GetAZs`. @default false */
  readonly getAZs?: boolean;
  /** An Auto Scaling group with a rolling update, or with MetricsCollection. @default false */
  readonly rollingUpdate?: boolean;
}

/** The tag that marks every resource of an environment (a stack tag, applied by Service Catalog's TagOption). */
export const ENVIRONMENT_TAG = 'berth:environment';

/** Schema actions left out, and why. */
export const EXCLUDED: Readonly<Record<string, string>> = {
  // Includes ec2:GetPasswordData and ec2:GetConsoleOutput: nothing berth's handlers need to read.
  'ec2:Get*': 'a wildcard over EC2 reads that include instance passwords and console output; the handlers\' named reads are granted',
  // The AMI parameter reads are granted on the ECS AMI parameters (ssmParameters).
  'ssm:Get*': 'a wildcard over every parameter and document; the parameters the products read are granted by name',
  'iam:DeleteRolePermissionsBoundary': 'would lift the boundary off an estate role',
};

/**
 * Resource types whose schema lists no handlers (types CloudFormation implements itself, not
 * through the registry): the actions their API documentation names for what CloudFormation does.
 */
export const NO_HANDLERS: Readonly<Record<string, readonly string[]>> = {
  // Requests, describes, tags and deletes the certificate; DNS validation writes the CNAME in the
  // zone it is given. https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-certificatemanager-certificate.html
  'AWS::CertificateManager::Certificate': [
    'acm:RequestCertificate', 'acm:DescribeCertificate', 'acm:DeleteCertificate', 'acm:AddTagsToCertificate', 'acm:RemoveTagsFromCertificate',
    'acm:ListTagsForCertificate', 'acm:UpdateCertificateOptions', 'route53:ChangeResourceRecordSets', 'route53:GetChange', 'route53:ListResourceRecordSets',
  ],
  // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/r53-api-permissions-ref.html
  'AWS::Route53::RecordSet': ['route53:ChangeResourceRecordSets', 'route53:GetChange', 'route53:ListResourceRecordSets', 'route53:GetHostedZone'],
};

/**
 * What a resource type's handlers call that its schema does not list, each with the documentation
 * that says so: creating an Aurora cluster whose master password RDS keeps in Secrets Manager under
 * a customer managed key needs the caller's use of that key.
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html#rds-secrets-manager-permissions
 */
export const SCHEMA_GAPS: Readonly<Record<string, readonly string[]>> = {
  'AWS::RDS::DBCluster': ['kms:CreateGrant', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey'],
};

/**
 * A custom resource (`Custom::...`) has no handlers: CloudFormation invokes the function its
 * ServiceToken names, with the deployer's credentials.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-custom-resources-lambda.html
 */
export const CUSTOM_RESOURCE_ACTIONS = ['lambda:InvokeFunction'] as const;

/** CloudFormation's own calls on the products' stacks, and change sets, per the launch-constraint documentation. */
const STACK_ACTIONS = [
  'cloudformation:CreateStack', 'cloudformation:UpdateStack', 'cloudformation:DeleteStack', 'cloudformation:DescribeStacks',
  'cloudformation:DescribeStackEvents', 'cloudformation:DescribeStackResource', 'cloudformation:DescribeStackResources',
  'cloudformation:ListStackResources', 'cloudformation:GetTemplate', 'cloudformation:SetStackPolicy', 'cloudformation:TagResource',
  'cloudformation:UntagResource', 'cloudformation:CreateChangeSet', 'cloudformation:DescribeChangeSet', 'cloudformation:ExecuteChangeSet',
  'cloudformation:ListChangeSets', 'cloudformation:DeleteChangeSet',
];

/** What CloudFormation checks with the caller's credentials for AWS-specific parameter types. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-supplied-parameter-types.html */
const PARAMETER_TYPE_ACTIONS: Readonly<Record<string, string>> = {
  'AWS::EC2::VPC::Id': 'ec2:DescribeVpcs',
  'AWS::EC2::Subnet::Id': 'ec2:DescribeSubnets',
  'AWS::EC2::SecurityGroup::Id': 'ec2:DescribeSecurityGroups',
  'AWS::EC2::KeyPair::KeyName': 'ec2:DescribeKeyPairs',
  'AWS::EC2::Image::Id': 'ec2:DescribeImages',
  'AWS::EC2::AvailabilityZone::Name': 'ec2:DescribeAvailabilityZones',
};

/** Service-linked roles the handlers create on first use, by resource type. */
const SERVICE_LINKED: Readonly<Record<string, string>> = {
  'AWS::ECS::Cluster': 'ecs.amazonaws.com',
  'AWS::ECS::Service': 'ecs.amazonaws.com',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'elasticloadbalancing.amazonaws.com',
  'AWS::AutoScaling::AutoScalingGroup': 'autoscaling.amazonaws.com',
  'AWS::ApplicationAutoScaling::ScalableTarget': 'ecs.application-autoscaling.amazonaws.com',
  'AWS::RDS::DBCluster': 'rds.amazonaws.com',
  'AWS::RDS::DBInstance': 'rds.amazonaws.com',
};

/** Role writes that must name the boundary (`iam:PermissionsBoundary`). https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html */
const BOUNDED_ROLE_WRITES = new Set(['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy', 'iam:DeleteRolePolicy', 'iam:PutRolePermissionsBoundary']);

/** Services whose actions are conditioned on the environment tag (where IAM supports the key for the action). */
const TAG_SCOPED = new Set(['ec2', 'kms']);
/**
 * EC2 actions that authorize resources the estate does not own or tag: ec2:RunInstances (which
 * creating an Auto Scaling group checks) also checks Amazon's AMI. https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-launch-template-permissions.html
 */
const TAG_EXCEPTIONS = new Set(['ec2:RunInstances']);

const serviceOf = (action: string) => action.slice(0, action.indexOf(':'));
const sorted = (actions: Iterable<string>) => [...new Set(actions)].sort();
const here = (service: string, resource: string) => sub`arn:${AWS.Partition}:${service}:${AWS.Region}:${AWS.AccountId}:${resource}`;
const isWildcard = (a: string) => a.includes('*');

/** The schema's actions of `types`, normalised (a few schemas spell the prefix in capitals). */
export function handlerActions(types: readonly string[]): string[] {
  const out = new Set<string>();
  for (const type of new Set(types)) {
    if (type.startsWith('Custom::')) {
      CUSTOM_RESOURCE_ACTIONS.forEach((a) => out.add(a));
      continue;
    }
    const h = HANDLER_PERMISSIONS[type];
    if (!h) {
      throw new BerthError(
        'templates/stacks/launch-role.ts',
        `the product templates use resource type ${q(type)}, which launch-role.generated.ts does not list. Add it to RESOURCE_TYPES in scripts/gen-types.ts and run \`make types permissions\`.`,
      );
    }
    const listed = (['create', 'read', 'update', 'delete'] as const).some((op) => h[op].length);
    if (!listed && !NO_HANDLERS[type]) {
      throw new BerthError('templates/stacks/launch-role.ts', `resource type ${q(type)} has no handlers in its schema. Add the actions CloudFormation calls for it to \`NO_HANDLERS\`, citing its documentation.`);
    }
    for (const op of ['create', 'read', 'update', 'delete'] as const) {
      for (const a of listed ? h[op] : op === 'create' ? NO_HANDLERS[type]! : []) {
        const [service, name] = [a.slice(0, a.indexOf(':')).toLowerCase(), a.slice(a.indexOf(':') + 1)];
        // Not an IAM action (a REST verb in one schema).
        if (!name || name.includes('.')) continue;
        out.add(`${service}:${name}`);
      }
    }
  }
  // A name the IAM action list does not know is an API a schema lists, not a permission (S3's
  // DeleteBucketCors is authorized by s3:PutBucketCORS, also listed), or a service IAM does not
  // have yet: a policy naming it would grant nothing, and cfn-lint rejects it (W3037).
  return [...out].filter((a) => !(a in EXCLUDED) && ACTIONS[a]?.known !== false).sort();
}

/** True when IAM accepts the action only on `*`: no resource-level permission, or a wildcard read. */
export function onlyOnStar(action: string): boolean {
  const f = ACTIONS[action];
  return isWildcard(action) || !f?.resourceLevel;
}

/** What CloudFormation and Service Catalog call beyond the handlers (scripts/gen-permissions.ts looks these up too). */
export const EXTRA_ACTIONS: readonly string[] = [
  ...STACK_ACTIONS,
  ...Object.values(NO_HANDLERS).flat(),
  ...Object.values(SCHEMA_GAPS).flat(),
  ...CUSTOM_RESOURCE_ACTIONS,
  'cloudformation:GetTemplateSummary',
  'cloudformation:ValidateTemplate',
  ...Object.values(PARAMETER_TYPE_ACTIONS),
  'autoscaling:SuspendProcesses',
  'autoscaling:ResumeProcesses',
  'autoscaling:TerminateInstanceInAutoScalingGroup',
  'autoscaling:EnableMetricsCollection',
  'autoscaling:DisableMetricsCollection',
  's3:GetObject',
  'ssm:GetParameters',
  'iam:CreateRole',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:PassRole',
  'iam:CreateServiceLinkedRole',
];

/** Actions IAM accepts only on `*` among those the launch role may need, per the generated table. */
export function starActions(): string[] {
  return Object.entries(ACTIONS).filter(([a, f]) => f.known && onlyOnStar(a)).map(([a]) => a).sort();
}

/** The ARNs each service's scoped actions may act on. */
function resources(service: string, s: LaunchScope): Value<string>[] {
  const env = s.environment;
  switch (service) {
    case 'cloudformation':
      // Service Catalog names each provisioned product's stack SC-<account>-pp-<id>; its nested stacks start with that name.
      return [here('cloudformation', 'stack/SC-*/*'), here('cloudformation', 'changeSet/*/*')];
    case 'ec2':
      // Account resources in this Region, plus the Amazon-owned AMIs ec2:RunInstances authorizes.
      return [here('ec2', '*'), sub`arn:${AWS.Partition}:ec2:${AWS.Region}::image/*`];
    case 'iam':
      return [sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/berth/${env}/*`, sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:instance-profile/berth/${env}/*`];
    case 'ssm':
      return [here('ssm', `parameter/berth/${env}/*`)];
    case 's3':
      // Buckets CloudFormation names after the (lower-cased) SC-... stack, and the data stores'
      // buckets, named <environment>-<store>-<account>-<region> (templates/stacks/data/names.ts).
      return [sub`arn:${AWS.Partition}:s3:::sc-*`, sub`arn:${AWS.Partition}:s3:::${env}-*-${AWS.AccountId}-${AWS.Region}`];
    case 'route53':
      return [...(s.hostedZones ?? []).map((z) => sub`arn:${AWS.Partition}:route53:::hostedzone/${z}`), sub`arn:${AWS.Partition}:route53:::change/*`];
    default:
      return [here(service, '*')];
  }
}

/** A policy of the role, named by what it covers, with its statements. */
export interface LaunchPolicy {
  readonly name: string;
  readonly description: string;
  readonly statements: readonly Json[];
}

/** Actions that make a resource (or tag one): the request carries the tags. */
const creates = (action: string) => /^(Create|Allocate|Run|Request|Import|Tag|AddTags)/.test(action.slice(action.indexOf(':') + 1));

/** The scoped statements of one service: tag-conditioned where IAM supports it. */
function serviceStatements(service: string, actions: readonly string[], s: LaunchScope): Json[] {
  const Resource = resources(service, s);
  if (!TAG_SCOPED.has(service)) return [{ Effect: 'Allow', Action: sorted(actions), Resource }];
  const tag = { [`aws:RequestTag/${ENVIRONMENT_TAG}`]: s.environment };
  const onResource = { [`aws:ResourceTag/${ENVIRONMENT_TAG}`]: s.environment };
  const request = actions.filter((a) => !TAG_EXCEPTIONS.has(a) && creates(a) && ACTIONS[a]?.requestTag);
  const existing = actions.filter((a) => !TAG_EXCEPTIONS.has(a) && !request.includes(a) && ACTIONS[a]?.resourceTag);
  const plain = actions.filter((a) => !request.includes(a) && !existing.includes(a));
  return [
    ...(request.length ? [{ Effect: 'Allow', Action: sorted(request), Resource, Condition: { StringEquals: tag } }] : []),
    ...(existing.length ? [{ Effect: 'Allow', Action: sorted(existing), Resource, Condition: { StringEquals: onResource } }] : []),
    ...(plain.length ? [{ Effect: 'Allow', Action: sorted(plain), Resource }] : []),
  ];
}

/** The identity statements: roles under the path, bounded; PassRole per service; service-linked roles. */
function identityStatements(actions: readonly string[], types: readonly string[], s: LaunchScope): Json[] {
  const env = s.environment;
  const bounded = actions.filter((a) => BOUNDED_ROLE_WRITES.has(a)).concat('iam:CreateRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy');
  const other = actions.filter((a) => !BOUNDED_ROLE_WRITES.has(a) && a !== 'iam:PassRole' && a !== 'iam:CreateServiceLinkedRole' && !onlyOnStar(a));
  const boundary = { StringEquals: { 'iam:PermissionsBoundary': s.boundary } };
  const roles = sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/berth/${env}/*`;
  const linked = sorted(types.flatMap((t) => (SERVICE_LINKED[t] ? [SERVICE_LINKED[t]!] : [])));
  const attach: string[] = bounded.filter((a) => a === 'iam:AttachRolePolicy' || a === 'iam:DetachRolePolicy');
  return [
    { Effect: 'Allow', Action: sorted(bounded.filter((a) => !attach.includes(a))), Resource: roles, Condition: boundary },
    ...(attach.length && s.attachableManagedPolicies.length
      ? [{ Effect: 'Allow', Action: sorted(attach), Resource: roles, Condition: { ...boundary, ArnEquals: { 'iam:PolicyARN': [...s.attachableManagedPolicies] } } }]
      : []),
    { Effect: 'Allow', Action: sorted(other), Resource: resources('iam', s) },
    // Each role is passed only to the service that assumes it (its path names it).
    ...sorted(s.roleServices).map((service) => ({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/berth/${env}/${service}/*`,
      Condition: { StringEquals: { 'iam:PassedToService': service } },
    })),
    ...(linked.length
      ? [{ Effect: 'Allow', Action: 'iam:CreateServiceLinkedRole', Resource: sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/aws-service-role/*`, Condition: { StringEquals: { 'iam:AWSServiceName': linked } } }]
      : []),
  ];
}

/** Statements grouped into managed policies of at most this many characters (IAM's limit is 6,144 without whitespace). */
const POLICY_BUDGET = 5500;
const size = (statement: Json) => JSON.stringify(toPlain(statement)).length;

/** A statement too large for one policy, as several with its actions in chunks. */
function splitStatement(st: Json): Json[] {
  const { Action, ...rest } = st as { Action: string | string[] } & Record<string, Json>;
  if (size(st) <= POLICY_BUDGET || !Array.isArray(Action)) return [st];
  const perAction = (size(st) - size(rest)) / Action.length;
  const n = Math.max(1, Math.floor((POLICY_BUDGET - size(rest)) / perAction));
  const out: Json[] = [];
  for (let i = 0; i < Action.length; i += n) out.push({ Effect: 'Allow', Action: Action.slice(i, i + n), ...rest });
  return out;
}

/** The launch role's managed policies for products made of `types`. */
export function launchPolicies(types: readonly string[], s: LaunchScope): LaunchPolicy[] {
  const actions = new Set(handlerActions(types));
  for (const t of types) for (const a of SCHEMA_GAPS[t] ?? []) actions.add(a);
  for (const t of s.parameterTypes ?? []) {
    const a = PARAMETER_TYPE_ACTIONS[t.replace(/^List<(.*)>$/, '$1')];
    if (a) actions.add(a);
  }
  // Fn::GetAZs lists the Region's zones with the caller's credentials. https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getavailabilityzones.html
  if (s.getAZs) actions.add('ec2:DescribeAvailabilityZones');
  // A rolling update suspends and resumes the group's processes and replaces instances with the
  // caller's credentials; MetricsCollection turns group metrics on and off.
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatepolicy.html
  if (s.rollingUpdate) {
    for (const a of ['autoscaling:SuspendProcesses', 'autoscaling:ResumeProcesses', 'autoscaling:TerminateInstanceInAutoScalingGroup', 'autoscaling:EnableMetricsCollection', 'autoscaling:DisableMetricsCollection']) actions.add(a);
  }

  // IAM reads that take no resource (iam:ListRoles, which RDS's instance handler calls to check
  // a monitoring role) are granted on `*` with the others; every IAM write stays scoped below.
  const iamRead = (a: string) => /^iam:(List|Get)/.test(a);
  const star = [...actions].filter((a) => onlyOnStar(a) && (serviceOf(a) !== 'iam' || iamRead(a))).concat('cloudformation:GetTemplateSummary', 'cloudformation:ValidateTemplate');
  const byService = new Map<string, string[]>();
  for (const a of actions) {
    const service = serviceOf(a);
    if (service === 'iam' || onlyOnStar(a)) continue;
    byService.set(service, [...(byService.get(service) ?? []), a]);
  }
  byService.set('cloudformation', [...(byService.get('cloudformation') ?? []), ...STACK_ACTIONS]);

  const stacks: Json[] = [
    ...serviceStatements('cloudformation', byService.get('cloudformation')!, s),
    // The templates: Service Catalog's copy in its own bucket (tagged for provisioning, as the
    // launch-constraint documentation requires) and the nested templates `make publish` uploaded.
    { Effect: 'Allow', Action: 's3:GetObject', Resource: sub`arn:${AWS.Partition}:s3:::*/*`, Condition: { StringEquals: { 's3:ExistingObjectTag/servicecatalog:provisioning': 'true' } } },
    { Effect: 'Allow', Action: 's3:GetObject', Resource: s.templateObjects },
    // The values of SSM-typed parameters (the estate registry, the public ECS-optimized AMI).
    { Effect: 'Allow', Action: 'ssm:GetParameters', Resource: [here('ssm', `parameter/berth/${s.environment}/*`), ...(s.ssmParameters ?? [])] },
  ];
  byService.delete('cloudformation');
  const scoped = [...byService.keys()].sort().flatMap((service) => serviceStatements(service, byService.get(service)!, s));
  const identity = identityStatements([...actions].filter((a) => serviceOf(a) === 'iam'), types, s);
  // Creating a KMS key has no resource to name yet: on `*`, but only with the environment's tag.
  const taggedStar = star.filter((a) => TAG_SCOPED.has(serviceOf(a)) && creates(a) && ACTIONS[a]?.requestTag);
  const unscoped: Json[] = [
    { Effect: 'Allow', Action: sorted(star.filter((a) => !taggedStar.includes(a))), Resource: '*' },
    ...(taggedStar.length ? [{ Effect: 'Allow', Action: sorted(taggedStar), Resource: '*', Condition: { StringEquals: { [`aws:RequestTag/${ENVIRONMENT_TAG}`]: s.environment } } }] : []),
  ];

  // Pack into managed policies by purpose, each under IAM's size limit.
  const groups: [string, string, Json[]][] = [
    ['Stacks', 'CloudFormation stacks of the provisioned products, their templates and SSM-typed parameters.', stacks],
    ['Identity', `IAM roles and instance profiles under /berth/${s.environment}/, bounded; role passing; service-linked roles.`, identity],
    ['Resources', 'the products\' resources, scoped to this account and Region, the environment\'s tag, zone and registry.', scoped],
    ['Unscoped', 'actions that support no resource-level permission (IAM accepts them only on *).', unscoped],
  ];
  const policies: LaunchPolicy[] = [];
  for (const [name, description, whole] of groups) {
    const statements = whole.flatMap(splitStatement);
    const parts: Json[][] = [[]];
    for (const st of statements) {
      const last = parts[parts.length - 1]!;
      if (last.length && last.reduce<number>((n, x) => n + size(x), 0) + size(st) > POLICY_BUDGET) parts.push([st]);
      else last.push(st);
    }
    parts.filter((p) => p.length).forEach((p, i, all) => policies.push({ name: all.length > 1 ? `${name}${i + 1}` : name, description, statements: p }));
  }
  return policies;
}

/** Every action the role is granted (for the coverage test and the policy gate). */
export function grantedActions(policies: readonly LaunchPolicy[]): Set<string> {
  return new Set(policies.flatMap((p) => p.statements.flatMap((st) => [(st as { Action: string | string[] }).Action].flat())));
}
