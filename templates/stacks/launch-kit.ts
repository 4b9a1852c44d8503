/**
 * The launch kit: the Service Catalog launch role, its managed policies and the permissions
 * boundary of the roles the products create, built from the products' own templates. The portfolio
 * (service-catalog.yaml) holds one for the publishing account; `launch-role.yaml` is the same kit
 * alone, for each member account a shared portfolio is launched in (deployed there, or rolled out
 * by `scripts/deploy.sh <env> --template launch-role --stack-set`).
 *
 * The role has the same fixed name everywhere and the launch constraints name it by that name
 * (`LocalRoleName`): "when an account uses the launch constraint, the IAM role with that name in the
 * account will be used", and it "must exist in the account used to create the launch constraint and
 * the account of the user who launches a product with this launch constraint". The boundary also
 * has a fixed name: the products' roles name it in the account they are provisioned in.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-servicecatalog-launchroleconstraint.html
 */
import { AWS, BerthError, contract, defineStack, Equals, flatten, If, Not, output, parameter, q, sub, Sub, type Intrinsic, type ResourceOptions, type Template, type Value } from '../../src/dsl/index.ts';
import { toPlain } from '../../src/emit/plain.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { ROLE_BOUNDARY_NAME, rolePath } from './shared/iam.ts';
import { ENVIRONMENT_TAG, launchPolicies } from './launch-role.ts';
import type { ResolvedSettings } from '../settings/settings.ts';

/**
 * The launch role's name: `berth-<environment>-launch`, at most 6 + 20 + 7 of IAM's 64 characters.
 * One per account: like the boundary's name, IAM names are global, so an environment's portfolio
 * is published in one Region of an account.
 */
export function launchRoleName(env: Value<string>): Intrinsic<'String'> {
  return sub`berth-${env}-launch`;
}

export type PlainResource = { readonly Type: string; readonly Properties?: Record<string, unknown> };

/** Every product template (nested ones included) as plain JSON. */
export function productDocuments(estate: Template, foundation: Template): Record<string, any>[] {
  return flatten([foundation, estate]).map((t) => toPlain(t.toJSON()) as Record<string, any>);
}

/** Every resource of the products, nested stacks included, as plain JSON. */
export function productResources(docs: readonly Record<string, any>[]): PlainResource[] {
  return docs.flatMap((d) => Object.values(d.Resources as Record<string, PlainResource>));
}

/** What CloudFormation does with the launch role's credentials beyond the resource handlers, read from the products. */
function productNeeds(docs: readonly Record<string, any>[], resources: readonly PlainResource[]) {
  const text = JSON.stringify(docs);
  const parameters = docs.flatMap((d) => Object.values((d.Parameters ?? {}) as Record<string, { Type: string; Default?: unknown }>));
  const ssm = parameters.filter((p) => p.Type.startsWith('AWS::SSM::Parameter::Value<') && typeof p.Default === 'string');
  const zones = new Set<string>();
  for (const r of resources) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::Route53::RecordSet' && typeof p.HostedZoneId === 'string') zones.add(p.HostedZoneId);
    for (const o of (r.Type === 'AWS::CertificateManager::Certificate' ? (p.DomainValidationOptions as { HostedZoneId?: unknown }[] | undefined) ?? [] : [])) {
      if (typeof o.HostedZoneId === 'string') zones.add(o.HostedZoneId);
    }
  }
  const services = new Set<string>();
  for (const r of resources.filter((x) => x.Type === 'AWS::IAM::Role')) {
    for (const st of ((r.Properties?.AssumeRolePolicyDocument as { Statement?: { Principal?: { Service?: unknown } }[] })?.Statement ?? [])) {
      for (const sv of [st.Principal?.Service ?? []].flat()) if (typeof sv === 'string') services.add(sv);
    }
  }
  return {
    getAZs: text.includes('"Fn::GetAZs"'),
    parameterTypes: [...new Set(parameters.map((p) => p.Type))].sort(),
    // Public parameters (/aws/service/...) have no account in their ARN.
    ssmParameters: [...new Set(ssm.map((p) => String(p.Default)))].sort().map((name) => (name.startsWith('/aws/') ? sub`arn:${AWS.Partition}:ssm:${AWS.Region}::parameter${name}` : sub`arn:${AWS.Partition}:ssm:${AWS.Region}:${AWS.AccountId}:parameter${name}`)),
    hostedZones: [...zones].sort(),
    roleServices: [...services].sort(),
    rollingUpdate: resources.some((r) => r.Type === 'AWS::AutoScaling::AutoScalingGroup'),
  };
}

/**
 * The namespaces the roles of the products may use at most: what their own policies name, plus the
 * AWS managed policies they attach (the ECS container instance policy, the SSM core policy and
 * RDS Enhanced Monitoring's).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/instance_IAM_role.html
 * https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonSSMManagedInstanceCore.html
 */
const MANAGED_POLICY_SERVICES: Readonly<Record<string, readonly string[]>> = {
  AmazonEC2ContainerServiceforEC2Role: ['ec2', 'ecs', 'ecr', 'logs'],
  AmazonSSMManagedInstanceCore: ['ssm', 'ssmmessages', 'ec2messages'],
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AmazonRDSEnhancedMonitoringRole.html
  AmazonRDSEnhancedMonitoringRole: ['logs'],
};
function boundaryServices(resources: readonly PlainResource[]): string[] {
  const services = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Action') for (const a of [x].flat()) if (typeof a === 'string' && a.includes(':')) services.add(a.slice(0, a.indexOf(':')));
        visit(x);
      }
    }
  };
  for (const r of resources.filter((x) => x.Type === 'AWS::IAM::Role')) {
    visit(r.Properties?.Policies);
    for (const arn of (r.Properties?.ManagedPolicyArns ?? []) as unknown[]) {
      const text = JSON.stringify(arn);
      for (const [name, list] of Object.entries(MANAGED_POLICY_SERVICES)) if (text.includes(`/${name}`)) list.forEach((x) => services.add(x));
    }
  }
  // Roles assume nothing; iam is granted apart: passing the estate's own roles only.
  services.delete('sts');
  services.delete('iam');
  return [...services].sort();
}

/**
 * The AWS managed policies the products attach to their roles (the cluster instances' ECS agent
 * and SSM policies): the launch role may attach those and no others.
 */
function attachedManagedPolicies(resources: readonly PlainResource[]): Value<string>[] {
  const arns = new Map<string, Value<string>>();
  for (const r of resources.filter((x) => x.Type === 'AWS::IAM::Role')) {
    for (const arn of (r.Properties?.ManagedPolicyArns ?? []) as unknown[]) {
      const text = typeof arn === 'string' ? arn : (arn as { 'Fn::Sub'?: unknown })['Fn::Sub'];
      if (typeof text !== 'string' || !/^arn:(\$\{AWS::Partition\}|aws[a-z-]*):iam::aws:policy\//.test(text)) {
        throw new BerthError('templates/stacks/launch-kit.ts', `a product role attaches managed policy ${q(JSON.stringify(arn))}, which is not an AWS managed policy ARN. The launch role may only attach AWS managed policies: write it as sub\`arn:\${AWS.Partition}:iam::aws:policy/...\`.`);
      }
      arns.set(text, typeof arn === 'string' ? arn : Sub(text));
    }
  }
  return [...arns.keys()].sort().map((k) => arns.get(k)!);
}

/** Where the kit's role reads the product templates, and the environment it serves. */
export interface LaunchKitProps {
  readonly settings: ResolvedSettings;
  /** The environment's name as the template has it (its `EnvironmentName` parameter). */
  readonly env: Value<string>;
  /** The bucket of the packaged product templates. */
  readonly bucket: Value<string>;
  /** Their key prefix: the templates are under `<prefix>/<environment>/<version>/`. */
  readonly prefix: Value<string>;
  /** Every product template (nested ones included) as plain JSON. */
  readonly docs: readonly Record<string, any>[];
}

/** Adds the boundary, the launch policies and the launch role to `t`; returns the role. */
export function addLaunchKit(t: Template, { settings, env, bucket, prefix, docs }: LaunchKitProps) {
  const resources = productResources(docs);
  const tags = [{ Key: ENVIRONMENT_TAG, Value: env }];
  // The permissions boundary of every role the products create: at most the services those
  // roles use, and passing only the estate's roles. A boundary grants nothing by itself.
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
  const boundary = t.resource(
    'RoleBoundary',
    'AWS::IAM::ManagedPolicy',
    {
      ManagedPolicyName: ROLE_BOUNDARY_NAME,
      Path: rolePath(settings.name, '').slice(0, -1),
      Description: sub`Permissions boundary of the roles the berth ${env} products create.`,
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Sid: 'EstateServices', Effect: 'Allow', Action: boundaryServices(resources).map((x) => `${x}:*`), Resource: '*' },
          { Sid: 'PassEstateRoles', Effect: 'Allow', Action: 'iam:PassRole', Resource: sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/berth/${settings.name}/*` },
        ],
      },
    },
    {
      metadata: {
        checkov: {
          // A boundary grants nothing: it caps the products' roles at the services they use
          // (their own policies scope the resources); checkov reads it as a grant.
          skip: ['CKV_AWS_107', 'CKV_AWS_108', 'CKV_AWS_109', 'CKV_AWS_110', 'CKV_AWS_111'].map((id) => ({
            id,
            comment: 'Permissions boundary of the products\' roles: it grants nothing, it caps them at the services their own resource-scoped policies use.',
          })),
        },
        cfripper: {
          skip: ['GenericResourceWildcardPolicyRule', 'IAMRoleWildcardActionOnPolicyRule', 'WildcardResourceRule'].map((id) => ({
            id,
            comment: 'Permissions boundary of the products\' roles: it grants nothing, it caps them at the services (service:*) their own resource-scoped policies use.',
          })),
        },
      },
    },
  );
  const policies = launchPolicies(
    resources.map((r) => r.Type),
    {
      environment: settings.name,
      // Every version of the environment's product templates, not only the newest: updating a product
      // provisioned from an older version reads that version's nested templates again.
      templateObjects: sub`arn:${AWS.Partition}:s3:::${bucket}/${prefix}/${settings.name}/*`,
      attachableManagedPolicies: attachedManagedPolicies(resources),
      boundary: boundary.ref,
      ...productNeeds(docs, resources),
    },
  );
  const managed = policies.map((policy) =>
    t.resource(
      `Launch${policy.name}Policy`,
      'AWS::IAM::ManagedPolicy',
      {
        Description: sub`Service Catalog launch role of ${env}: ${policy.description}`,
        PolicyDocument: { Version: '2012-10-17', Statement: policy.statements },
      },
      launchPolicyMetadata(policy.name),
    ),
  );
  const launchRole = t.resource('LaunchRole', 'AWS::IAM::Role', {
    // A fixed name, the same in every account: the launch constraints name the role by it
    // (LocalRoleName), so a member account launching a shared product uses its own role of that
    // name. At the root path: Service Catalog looks the role up by name alone.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-servicecatalog-launchroleconstraint.html
    RoleName: launchRoleName(env),
    Description: sub`Assumed by Service Catalog to provision the berth ${env} products.`,
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: 'servicecatalog.amazonaws.com' },
          Action: 'sts:AssumeRole',
          // Confused-deputy protection: only Service Catalog acting for this account (in a member
          // account, for that account: its users launch there).
          // https://docs.aws.amazon.com/servicecatalog/latest/adminguide/constraints-launch.html
          Condition: { StringEquals: { 'aws:SourceAccount': AWS.AccountId } },
        },
      ],
    },
    ManagedPolicyArns: managed.map((m) => m.ref),
    Tags: tags,
  });
  return launchRole;
}

/** What `launch-role.yaml` is built from: the environment and its product templates. */
export interface LaunchRoleSettings {
  readonly settings: ResolvedSettings;
  /** The estate's root template; its nested templates hang off `children`. */
  readonly estate: Template;
  /** The foundation template: the first product. */
  readonly foundation: Template;
}

export const launchRoleContract = contract({
  name: 'launch-role',
  description: ({ settings }: LaunchRoleSettings) =>
    `berth Service Catalog launch role of ${settings.name} for a member account: deploy it in each account that launches the shared ${settings.name} portfolio (the publishing account has its own, in service-catalog.yaml).`,
  parameters: ({ settings }: LaunchRoleSettings) => ({
    EnvironmentName: environmentNameParameter(settings.name, 'The environment whose products the role provisions; it may write only this environment\'s registry (/berth/<environment>/).'),
    // The same default as the portfolio's, so the console form submits as it is; in a member
    // account it must be the publisher's bucket (scripts/preflight.ts asks for it there).
    TemplateBucket: parameter('String', {
      description: 'S3 bucket of the PUBLISHING account holding the packaged product templates: in a member account, berth-<publishing account>-<region> (or the bucket `make publish` was given). Empty: berth-<this account>-<region>, right only in the publishing account.',
      default: '',
      allowedPattern: '^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      constraintDescription: 'an S3 bucket name (lower-case letters, digits, dots and hyphens), or empty',
      group: 'Product templates',
      label: 'Template bucket (the publishing account\'s)',
    }),
    TemplatePrefix: templatePrefixParameter(settings.name),
  }),
  outputs: {
    LaunchRoleName: output('String', { description: 'The role the shared portfolio\'s launch constraints name (LocalRoleName).' }),
    LaunchRoleArn: output('String', { description: 'The role Service Catalog assumes to provision the products in this account.' }),
  },
});

export const launchRoleStack = defineStack(launchRoleContract, {
  build(t, p, { settings, estate, foundation }) {
    const hasBucket = t.condition('HasTemplateBucket', Not(Equals(p.TemplateBucket.ref, '')));
    const bucket = If<Value<string>>(hasBucket, p.TemplateBucket.ref, sub`berth-${AWS.AccountId}-${AWS.Region}`);
    const role = addLaunchKit(t, { settings, env: p.EnvironmentName.ref, bucket, prefix: p.TemplatePrefix.ref, docs: productDocuments(estate, foundation) });
    return { LaunchRoleName: role.ref, LaunchRoleArn: role.getAtt('Arn') };
  },
});

/** Key prefix `make publish` uploads under when `--prefix` is not given (scripts/deploy.sh). */
export const DEFAULT_TEMPLATE_PREFIX = 'berth';

/** `TemplatePrefix`: where the product templates are in their bucket, for the portfolio and the launch role alike. */
export function templatePrefixParameter(environment: string) {
  return parameter('String', {
    description: `Key prefix of the templates in the bucket (scripts/deploy.sh --prefix); they are under <prefix>/${environment}/<version>/.`,
    default: DEFAULT_TEMPLATE_PREFIX,
    allowedPattern: '^[A-Za-z0-9!_.*\'()-]+(/[A-Za-z0-9!_.*\'()-]+)*$',
    constraintDescription: 'an S3 key prefix without leading or trailing slash',
    group: 'Product templates',
    label: 'Template key prefix',
  });
}
/** The exceptions the scanners must make for one of the launch role's policies, each with its reason. */
function launchPolicyMetadata(name: string): ResourceOptions {
  if (name.startsWith('Unscoped')) {
    const why = 'Only actions IAM accepts on * alone (no resource type, per the generated table; wildcard reads among them), each one a CloudFormation handler of the products calls.';
    return {
      metadata: {
        checkov: { skip: [{ id: 'CKV_AWS_111', comment: why }] },
        cfripper: { skip: ['GenericResourceWildcardPolicyRule', 'IAMRoleWildcardActionOnPolicyRule', 'WildcardResourceRule'].map((id) => ({ id, comment: why })) },
      },
    };
  }
  if (name.startsWith('Identity')) {
    return {
      metadata: {
        cfripper: {
          skip: [
            {
              id: 'PrivilegeEscalationRule',
              comment:
                'The products create roles with policies, so the launch role writes role policies and trust: only on roles under /berth/<environment>/ and only with the portfolio\'s permissions boundary named (iam:PermissionsBoundary), managed policies only from the products\' own list (iam:PolicyARN). The launch role itself lives outside that path, so it cannot widen its own grants.',
            },
          ],
        },
      },
    };
  }
  return {};
}
