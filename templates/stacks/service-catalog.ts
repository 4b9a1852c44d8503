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
import { AWS, BerthError, checkRegions, contract, defineStack, Equals, flatten, If, nest, Not, output, type OutputsOf, parameter, q, sub, type Template, type Value } from '../../src/dsl/index.ts';
import { at } from '../../src/settings/loader.ts';
import { toYaml } from '../../src/emit/yaml.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { describeNames } from './shared/description.ts';
import { groupLabel, groupMembers } from './shared/grouping.ts';
import { ENVIRONMENT_TAG } from './launch-role.ts';
import { addLaunchKit, productDocuments, templatePrefixParameter, type PlainResource } from './launch-kit.ts';
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
    TemplatePrefix: templatePrefixParameter(settings.name),
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
    LaunchRoleName: output('String', { description: 'The launch role\'s name, the same in every account: a member account launching the shared portfolio needs a role of this name (launch-role.yaml).' }),
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
    checkEnvironmentRegions(settings, flatten([foundation, estate]).map((x, i) => [x.file, docs[i]!] as const));
    const launchRole = addLaunchKit(t, { settings, env, bucket, prefix: p.TemplatePrefix.ref, docs });

    const all = products(estate, foundation, services);
    const refs: ProductRefs = { env, portfolio: portfolio.ref, launchRoleName: launchRole.ref, bucket, prefix: p.TemplatePrefix.ref, version: p.TemplateVersion.ref, owner: p.ProductOwner.ref, environment: settings.name };
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
            LaunchRoleName: launchRole.ref,
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

    return { PortfolioId: portfolio.ref, LaunchRoleArn: launchRole.getAtt('Arn'), LaunchRoleName: launchRole.ref };
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
  /** The launch role's name: the constraints name it by name (LocalRoleName), so it is the same in every account. */
  readonly launchRoleName: Value<string>;
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
      // By name, not ARN: in the account of whoever launches (the publisher's, or a member's that
      // imported the shared portfolio), the role of that name provisions (launch-role.yaml there).
      LocalRoleName: r.launchRoleName,
      Description: 'Provisions with the launch role of this name in the launching account: users need no permissions on the resources.',
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
    LaunchRoleName: text('The launch role\'s name: the constraints name the role of that name in the launching account.'),
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
      launchRoleName: p.LaunchRoleName.ref,
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

