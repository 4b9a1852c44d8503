/**
 * The Service Catalog stack: a portfolio with a foundation product (network, load balancer,
 * cluster: templates/stacks/foundation.ts) and one product per service deployed on top of it, so
 * they can be provisioned side by side; each with a launch-role constraint and a template
 * constraint that fixes `EnvironmentName` to the portfolio's environment; the principals allowed
 * to launch them; the permissions boundary every role the products create carries; and the
 * `berth:environment` TagOption, which Service Catalog applies to each provisioned product (the
 * launch role acts on EC2 and KMS resources by that tag). It is a top-level template of its own
 * (`service-catalog.yaml`), never nested in the root: it publishes the estate rather than being
 * part of it. The whole estate in one stack (root.yaml) is the alternative to the products, for
 * scripts/deploy.sh or the console, not sold beside them.
 *
 * Each product's version points at the packaged template in S3, under
 * `<prefix>/<environment>/<version>/<file>`, where `<version>` is a hash of the product templates
 * (`TemplateVersion`'s default), so the artifact under a key never changes: `make publish` uploads
 * there and deploys this stack. https://docs.aws.amazon.com/servicecatalog/latest/adminguide/introduction.html
 */
import { createHash } from 'node:crypto';
import { AWS, BerthError, checkRegions, contract, defineStack, Equals, flatten, If, nest, Not, output, type OutputsOf, parameter, q, sub, Sub, type ResourceOptions, type Template, type Value } from '../../src/dsl/index.ts';
import { toPlain } from '../../src/emit/plain.ts';
import { at } from '../../src/settings/loader.ts';
import { toYaml } from '../../src/emit/yaml.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { describeNames } from './shared/description.ts';
import { groupLabel, groupMembers } from './shared/grouping.ts';
import { ROLE_BOUNDARY_NAME, rolePath } from './shared/iam.ts';
import { ENVIRONMENT_TAG, launchPolicies } from './launch-role.ts';
import { pascal } from './root.ts';
import type { ServiceDefinition } from './service/definition.ts';
import type { ResolvedSettings } from '../settings/settings.ts';

export interface ServiceCatalogSettings {
  readonly settings: ResolvedSettings;
  readonly services: readonly ServiceDefinition[];
  /** The estate's root template; its nested templates hang off `children`. */
  readonly estate: Template;
  /** The foundation template (templates/stacks/foundation.ts): the first product. */
  readonly foundation: Template;
}

/** Key prefix `make publish` uploads under when `--prefix` is not given (scripts/deploy.sh). */
export const DEFAULT_TEMPLATE_PREFIX = 'berth';
export const DEFAULT_OWNER = 'Platform team';
const VERSION_LENGTH = 12;

/**
 * The product version: a hash of every product template's body, so it changes exactly when a
 * product changes. Headers are left out: they name files, not content.
 */
export function productVersion(estate: Template, foundation: Template): string {
  const hash = createHash('sha256');
  for (const t of flatten([foundation, estate])) hash.update(`${t.file}\n${toYaml(t.toJSON())}\n`);
  return hash.digest('hex').slice(0, VERSION_LENGTH);
}

/** One product: the foundation or a service, with the template it deploys. */
export interface Product {
  readonly id: string;
  readonly name: string;
  readonly template: Template;
}

function products(estate: Template, foundation: Template, services: readonly ServiceDefinition[]): Product[] {
  // Service templates are the root's children, or its groups' children in a large estate.
  const templates = flatten([estate]);
  return [
    { id: 'Foundation', name: 'foundation', template: foundation },
    ...services.map((d) => {
      const template = templates.find((c) => c.name === `service-${d.name}`);
      if (!template) throw new BerthError('templates/stacks/service-catalog.ts', `the estate has no template ${q(`service-${d.name}.yaml`)} for service ${q(d.name)}. Nest every service in the root stack (templates/stacks/root.ts).`);
      return { id: `${pascal(d.name)}Service`, name: `service ${d.name}`, template };
    }),
  ];
}

type PlainResource = { readonly Type: string; readonly Properties?: Record<string, unknown> };

/** Every product template (nested ones included) as plain JSON. */
function productDocuments(estate: Template, foundation: Template): Record<string, any>[] {
  return flatten([foundation, estate]).map((t) => toPlain(t.toJSON()) as Record<string, any>);
}

/** Every resource of the products, nested stacks included, as plain JSON. */
function productResources(docs: readonly Record<string, any>[]): PlainResource[] {
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
        throw new BerthError('templates/stacks/service-catalog.ts', `a product role attaches managed policy ${q(JSON.stringify(arn))}, which is not an AWS managed policy ARN. The launch role may only attach AWS managed policies: write it as sub\`arn:\${AWS.Partition}:iam::aws:policy/...\`.`);
      }
      arns.set(text, typeof arn === 'string' ? arn : Sub(text));
    }
  }
  return [...arns.keys()].sort().map((k) => arns.get(k)!);
}

export const serviceCatalogContract = contract({
  name: 'service-catalog',
  description: ({ settings, services }: ServiceCatalogSettings) =>
    describeNames(services.map((s) => s.name), (list) => `berth Service Catalog portfolio for ${settings.name}: the estate and ${services.length} services (${list}) as products, with a least-privilege launch role.`),
  parameters: ({ settings, estate, foundation }: ServiceCatalogSettings) => ({
    EnvironmentName: environmentNameParameter(settings.name, 'Name prefix of the portfolio and its products; the launch role may write only this environment\'s registry (/berth/<environment>/).'),
    TemplateBucket: parameter('String', {
      description: 'S3 bucket holding the packaged product templates (`make publish` uploads them). Empty: berth-<account>-<region>, the bucket scripts/deploy.sh creates.',
      default: '',
      allowedPattern: '^$|^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$',
      constraintDescription: 'an S3 bucket name (lower-case letters, digits, dots and hyphens), or empty',
      group: 'Product templates',
      label: 'Template bucket',
    }),
    TemplatePrefix: parameter('String', {
      description: `Key prefix of the templates in the bucket (scripts/deploy.sh --prefix); they are under <prefix>/${settings.name}/<version>/.`,
      default: DEFAULT_TEMPLATE_PREFIX,
      allowedPattern: '^[A-Za-z0-9!_.*\'()-]+(/[A-Za-z0-9!_.*\'()-]+)*$',
      constraintDescription: 'an S3 key prefix without leading or trailing slash',
      group: 'Product templates',
      label: 'Template key prefix',
    }),
    TemplateVersion: parameter('String', {
      description: 'Version of the product templates: a hash of their content, computed by `make build`. Each publish uploads under its own version and never overwrites one.',
      default: productVersion(estate, foundation),
      allowedPattern: '^[A-Za-z0-9._-]{1,64}$',
      constraintDescription: 'letters, digits, dots, underscores and hyphens',
      group: 'Product templates',
      label: 'Product version',
    }),
    ProductOwner: parameter('String', {
      description: 'Owner shown on every product (team or contact).',
      default: DEFAULT_OWNER,
      minLength: 1,
      maxLength: 200,
      group: 'Products',
      label: 'Product owner',
    }),
    Principal1Arn: principalParameter(1),
    Principal2Arn: principalParameter(2),
    Principal3Arn: principalParameter(3),
  }),
  outputs: {
    // Exported: the portfolio is a top-level stack, deployed under a name its publisher chooses.
    PortfolioId: output('String', { description: 'The portfolio.', export: true }),
    LaunchRoleArn: output('String', { description: 'The role Service Catalog assumes to provision the products.', export: true }),
  },
});

/** What the Service Catalog stack's `build` returns: a value for each output of its contract. */
export interface ServiceCatalogOutputs extends OutputsOf<typeof serviceCatalogContract> {}

export const serviceCatalog = defineStack(serviceCatalogContract, {
  build(t, p, { settings, services, estate, foundation }): ServiceCatalogOutputs {
    const env = p.EnvironmentName.ref;
    const hasBucket = t.condition('HasTemplateBucket', Not(Equals(p.TemplateBucket.ref, '')));
    // The default bucket is the one scripts/deploy.sh creates: berth-<account>-<region>.
    const bucket = If<Value<string>>(hasBucket, p.TemplateBucket.ref, sub`berth-${AWS.AccountId}-${AWS.Region}`);
    const tags = [{ Key: ENVIRONMENT_TAG, Value: env }];

    const portfolio = t.resource('Portfolio', 'AWS::ServiceCatalog::Portfolio', {
      DisplayName: sub`berth ${env}`,
      ProviderName: p.ProductOwner.ref,
      Description: sub`The ${env} ECS foundation and its services, as CloudFormation products built by berth.`,
      Tags: tags,
    });
    // Service Catalog applies a portfolio's TagOptions to what it provisions, so every product's
    // stack, and through it every resource, carries the environment's tag: the launch role
    // creates and changes EC2 and KMS resources only with it.
    // https://docs.aws.amazon.com/servicecatalog/latest/adminguide/tagoptions.html
    const tagOption = t.resource('EnvironmentTagOption', 'AWS::ServiceCatalog::TagOption', { Key: ENVIRONMENT_TAG, Value: settings.name, Active: true });
    t.resource('EnvironmentTagOptionAssociation', 'AWS::ServiceCatalog::TagOptionAssociation', { ResourceId: portfolio.ref, TagOptionId: tagOption.ref });

    const docs = productDocuments(estate, foundation);
    const resources = productResources(docs);
    checkEnvironmentRegions(settings, flatten([foundation, estate]).map((x, i) => [x.file, docs[i]!] as const));
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
        templateObjects: sub`arn:${AWS.Partition}:s3:::${bucket}/${p.TemplatePrefix.ref}/${settings.name}/${p.TemplateVersion.ref}/*`,
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
      Description: sub`Assumed by Service Catalog to provision the berth ${env} products.`,
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'servicecatalog.amazonaws.com' },
            Action: 'sts:AssumeRole',
            // Confused-deputy protection: only Service Catalog acting for this account.
            // https://docs.aws.amazon.com/servicecatalog/latest/adminguide/constraints-launch.html
            Condition: { StringEquals: { 'aws:SourceAccount': AWS.AccountId } },
          },
        ],
      },
      ManagedPolicyArns: managed.map((m) => m.ref),
      Tags: tags,
    });

    const all = products(estate, foundation, services);
    const refs: ProductRefs = { env, portfolio: portfolio.ref, launchRoleArn: launchRole.getAtt('Arn'), bucket, prefix: p.TemplatePrefix.ref, version: p.TemplateVersion.ref, owner: p.ProductOwner.ref, environment: settings.name };
    if (all.length - 1 <= INLINE_SERVICE_PRODUCTS) {
      for (const product of all) addProduct(t, product, refs);
    } else {
      // Too many products for one template (four resources each): the foundation stays here, the
      // service products go to nested stacks, each service to a group fixed by its name.
      addProduct(t, all[0]!, refs);
      const groups = groupMembers(all.slice(1), (x) => x.name, PRODUCT_GROUPS, PRODUCTS_PER_GROUP, 'templates/stacks/service-catalog.ts', 'service products');
      for (const [group, members] of groups) {
        nest(t, `Products${groupLabel(group)}`, productGroup, {
          settings: { settings, group, products: members },
          parameters: {
            EnvironmentName: env,
            PortfolioId: portfolio.ref,
            LaunchRoleArn: launchRole.getAtt('Arn'),
            TemplateBucket: bucket,
            TemplatePrefix: p.TemplatePrefix.ref,
            TemplateVersion: p.TemplateVersion.ref,
            ProductOwner: p.ProductOwner.ref,
          },
        });
      }
    }

    for (const [n, principal] of [p.Principal1Arn, p.Principal2Arn, p.Principal3Arn].entries()) {
      const arn = principal.ref;
      const has = t.condition(`HasPrincipal${n + 1}`, Not(Equals(arn, '')));
      t.resource(`Principal${n + 1}Association`, 'AWS::ServiceCatalog::PortfolioPrincipalAssociation', { PortfolioId: portfolio.ref, PrincipalARN: arn, PrincipalType: 'IAM' }, { condition: has });
    }

    return { PortfolioId: portfolio.ref, LaunchRoleArn: launchRole.getAtt('Arn') };
  },
});

/** An optional principal: the portfolio can be shared with up to three IAM roles, users or groups. */
function principalParameter(n: number) {
  return parameter('String', {
    description: `IAM role, user or group allowed to launch the products${n === 1 ? '' : ' (another one)'}. Empty: none.`,
    default: '',
    allowedPattern: '^$|^arn:aws[a-z-]*:iam::\\d{12}:(role|user|group)/.+$',
    constraintDescription: 'an IAM role, user or group ARN such as arn:aws:iam::<account-id>:role/Developers, or empty',
    group: 'Access',
    label: `Principal ${n} ARN`,
  });
}

/** Resource types of the portfolio's own templates (the products' are read from their documents). */
const PORTFOLIO_TYPES = [
  'AWS::ServiceCatalog::Portfolio', 'AWS::ServiceCatalog::TagOption', 'AWS::ServiceCatalog::TagOptionAssociation', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role',
  'AWS::ServiceCatalog::CloudFormationProduct', 'AWS::ServiceCatalog::PortfolioProductAssociation', 'AWS::ServiceCatalog::LaunchRoleConstraint',
  'AWS::ServiceCatalog::LaunchTemplateConstraint', 'AWS::ServiceCatalog::PortfolioPrincipalAssociation', 'AWS::CloudFormation::Stack',
];

/**
 * Every resource type of the environment (the foundation, the root's tree, the portfolio) exists
 * in its Region and in every Region of its `targets`: a build error names the Region otherwise.
 */
function checkEnvironmentRegions(settings: ResolvedSettings, templates: readonly (readonly [string, Record<string, any>])[]): void {
  const filesOf = new Map<string, string[]>();
  const add = (type: string, file: string) => filesOf.set(type, [...new Set([...(filesOf.get(type) ?? []), file])]);
  for (const [file, doc] of templates) for (const r of Object.values((doc.Resources ?? {}) as Record<string, PlainResource>)) add(r.Type, file);
  for (const type of PORTFOLIO_TYPES) add(type, 'service-catalog.yaml');
  const regions = [settings.region, ...(settings.targets?.regions ?? [])];
  checkRegions(
    (i) => at(settings.file, i === 0 ? 'region' : `targets.regions[${i - 1}]`),
    regions,
    filesOf.keys(),
    (type) => {
      const files = filesOf.get(type)!;
      return files.length > 2 ? `${files.slice(0, 2).join(', ')} and ${files.length - 2} more` : files.join(', ');
    },
  );
}

/** Service products the portfolio template holds itself; more go to nested product groups. */
export const INLINE_SERVICE_PRODUCTS = 100;
/** How many groups products are hashed into, once there are more than {@link INLINE_SERVICE_PRODUCTS}. */
export const PRODUCT_GROUPS = 16;
/** Four resources a product: 120 keep a group template well under CloudFormation's 500. */
export const PRODUCTS_PER_GROUP = 120;

/** What a product's resources refer to: the portfolio's, or a product group's parameters. */
interface ProductRefs {
  readonly env: Value<string>;
  readonly portfolio: Value<string>;
  readonly launchRoleArn: Value<string>;
  readonly bucket: Value<string>;
  readonly prefix: Value<string>;
  readonly version: Value<string>;
  readonly owner: Value<string>;
  /** The settings' environment name, fixed by each product's template constraint. */
  readonly environment: string;
}

/**
 * One product in the portfolio: the product with its version in S3, its association, its
 * launch-role constraint and its template constraint.
 */
function addProduct(t: Template, product: Product, r: ProductRefs): void {
  const tags = [{ Key: ENVIRONMENT_TAG, Value: r.env }];
  const handle = t.resource(`${product.id}Product`, 'AWS::ServiceCatalog::CloudFormationProduct', {
    Name: sub`berth ${r.env} ${product.name}`,
    Owner: r.owner,
    Description: product.template.description,
    Distributor: 'berth',
    ProvisioningArtifactParameters: [
      {
        Name: r.version,
        Description: sub`${product.template.file} of berth ${r.env}, version ${r.version}`,
        // Virtual-hosted-style URL of the object `make publish` uploaded.
        Info: { LoadTemplateFromURL: sub`https://${r.bucket}.s3.${AWS.Region}.${AWS.URLSuffix}/${r.prefix}/${r.environment}/${r.version}/${product.template.file}` },
      },
    ],
    Tags: tags,
  });
  const association = t.resource(`${product.id}ProductAssociation`, 'AWS::ServiceCatalog::PortfolioProductAssociation', {
    PortfolioId: r.portfolio,
    ProductId: handle.ref,
  });
  // The constraint needs the product in the portfolio first.
  t.resource(
    `${product.id}LaunchConstraint`,
    'AWS::ServiceCatalog::LaunchRoleConstraint',
    {
      PortfolioId: r.portfolio,
      ProductId: handle.ref,
      RoleArn: r.launchRoleArn,
      Description: 'Provisions with the portfolio launch role: users need no permissions on the resources.',
    },
    { dependsOn: [association] },
  );
  // The portfolio serves one environment: a product provisioned with another EnvironmentName
  // would fall outside what the launch role may touch. Service Catalog checks the rule before
  // it starts. https://docs.aws.amazon.com/servicecatalog/latest/adminguide/reference-template_constraint_rules.html
  t.resource(
    `${product.id}TemplateConstraint`,
    'AWS::ServiceCatalog::LaunchTemplateConstraint',
    {
      PortfolioId: r.portfolio,
      ProductId: handle.ref,
      Description: `EnvironmentName is ${r.environment}: this portfolio's environment.`,
      Rules: JSON.stringify({
        EnvironmentFixed: {
          Assertions: [{ Assert: { 'Fn::Equals': [{ Ref: 'EnvironmentName' }, r.environment] }, AssertDescription: `This portfolio provisions the ${r.environment} environment: leave EnvironmentName at ${r.environment}.` }],
        },
      }),
    },
    { dependsOn: [association] },
  );
}

/** The settings of one product group: its number and its products. */
export interface ProductGroupSettings {
  readonly settings: ResolvedSettings;
  readonly group: number;
  readonly products: readonly Product[];
}

const text = (description: string) => parameter('String', { description, minLength: 1 });

export const productGroupContract = contract({
  name: ({ group }: ProductGroupSettings) => `service-catalog-products-${groupLabel(group)}`,
  description: ({ settings, group, products: members }: ProductGroupSettings) =>
    describeNames(members.map((m) => m.name.replace(/^service /, '')), (list) => `berth Service Catalog products of ${settings.name}, group ${groupLabel(group)}: ${list}. Nested in service-catalog.yaml.`),
  parameters: ({ settings }: ProductGroupSettings) => ({
    EnvironmentName: environmentNameParameter(settings.name, 'Name prefix of the products.'),
    PortfolioId: text('The portfolio the products belong to.'),
    LaunchRoleArn: text('The role Service Catalog assumes to provision the products.'),
    TemplateBucket: text('S3 bucket holding the packaged product templates.'),
    TemplatePrefix: text(`Key prefix of the templates in the bucket; they are under <prefix>/${settings.name}/<version>/.`),
    TemplateVersion: text('Version of the product templates.'),
    ProductOwner: text('Owner shown on every product.'),
  }),
  outputs: {},
});

/**
 * A group of service products, nested in the portfolio's template when the estate has more than
 * {@link INLINE_SERVICE_PRODUCTS} services. The version and bucket arrive as parameters, so a
 * group's template changes only when its own products do.
 */
export const productGroup = defineStack(productGroupContract, {
  build(t, p, { settings, products: members }) {
    const refs: ProductRefs = {
      env: p.EnvironmentName.ref,
      portfolio: p.PortfolioId.ref,
      launchRoleArn: p.LaunchRoleArn.ref,
      bucket: p.TemplateBucket.ref,
      prefix: p.TemplatePrefix.ref,
      version: p.TemplateVersion.ref,
      owner: p.ProductOwner.ref,
      environment: settings.name,
    };
    for (const product of members) addProduct(t, product, refs);
    return {};
  },
});

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
