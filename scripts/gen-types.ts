/**
 * Generates `src/dsl/resource-types.generated.d.ts` from AWS's maintained CloudFormation spec
 * (`@aws-cdk/aws-service-spec`, the database the AWS CDK builds its own L1 classes from).
 *
 *     make types        # or: node --import tsx scripts/gen-types.ts
 *
 * To add a resource type, add one line to RESOURCE_TYPES below and run `make types`; then
 * `make build` names the grant the Service Catalog launch role needs for it
 * (templates/stacks/launch-role.ts). docs/dsl.md walks through it.
 *
 * The output is a declaration file: it holds types only, and the compiler does not re-check a
 * declaration file on every run (`skipLibCheck`), which saves about half a second of each check.
 * Each property keeps AWS's first paragraph of documentation and a link to its page, so an
 * editor shows them on hover; where the spec relates a property to a resource type (`VpcId`,
 * `SubnetIds`, `SecurityGroupIds`, ...), the property takes only that kind of identifier.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Every resource type berth's templates use. One line each. */
export const RESOURCE_TYPES = [
  'AWS::ApplicationAutoScaling::ScalableTarget',
  'AWS::ApplicationAutoScaling::ScalingPolicy',
  'AWS::AutoScaling::AutoScalingGroup',
  'AWS::CertificateManager::Certificate',
  'AWS::CloudFormation::Stack',
  'AWS::CloudWatch::Alarm',
  'AWS::CloudWatch::CompositeAlarm',
  'AWS::CloudWatch::Dashboard',
  'AWS::DynamoDB::Table',
  'AWS::EC2::EIP',
  'AWS::EC2::FlowLog',
  'AWS::EC2::InternetGateway',
  'AWS::EC2::LaunchTemplate',
  'AWS::EC2::NatGateway',
  'AWS::EC2::Route',
  'AWS::EC2::RouteTable',
  'AWS::EC2::SecurityGroup',
  'AWS::EC2::SecurityGroupEgress',
  'AWS::EC2::SecurityGroupIngress',
  'AWS::EC2::Subnet',
  'AWS::EC2::SubnetRouteTableAssociation',
  'AWS::EC2::VPC',
  'AWS::EC2::VPCCidrBlock',
  'AWS::EC2::VPCEndpoint',
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::ECS::CapacityProvider',
  'AWS::ECS::Cluster',
  'AWS::ECS::ClusterCapacityProviderAssociations',
  'AWS::ECS::Service',
  'AWS::ECS::TaskDefinition',
  'AWS::ElasticLoadBalancingV2::Listener',
  'AWS::ElasticLoadBalancingV2::ListenerRule',
  'AWS::ElasticLoadBalancingV2::LoadBalancer',
  'AWS::ElasticLoadBalancingV2::TargetGroup',
  'AWS::Events::Rule',
  'AWS::IAM::InstanceProfile',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::Policy',
  'AWS::IAM::Role',
  'AWS::KMS::Alias',
  'AWS::KMS::Key',
  'AWS::Lambda::Function',
  'AWS::Logs::LogGroup',
  'AWS::RDS::DBCluster',
  'AWS::RDS::DBClusterParameterGroup',
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBSubnetGroup',
  'AWS::Route53::RecordSet',
  'AWS::S3::Bucket',
  'AWS::S3::BucketPolicy',
  'AWS::Scheduler::Schedule',
  'AWS::SecretsManager::Secret',
  'AWS::ServiceCatalog::CloudFormationProduct',
  'AWS::ServiceCatalog::LaunchRoleConstraint',
  'AWS::ServiceCatalog::LaunchTemplateConstraint',
  'AWS::ServiceCatalog::Portfolio',
  'AWS::ServiceCatalog::PortfolioPrincipalAssociation',
  'AWS::ServiceCatalog::PortfolioProductAssociation',
  'AWS::ServiceCatalog::TagOption',
  'AWS::ServiceCatalog::TagOptionAssociation',
  'AWS::SNS::Subscription',
  'AWS::SNS::Topic',
  'AWS::SNS::TopicPolicy',
  'AWS::SQS::Queue',
  'AWS::SQS::QueuePolicy',
  'AWS::SSM::Parameter',
  'AWS::WAFv2::LoggingConfiguration',
  'AWS::WAFv2::WebACL',
  'AWS::WAFv2::WebACLAssociation',
] as const;

/**
 * What `Ref` returns, as a CloudFormation parameter type, where that is more specific than
 * `String`. These kinds are what make nested-stack wiring type-check (a subnet list cannot be
 * passed where a VPC ID is expected). The spec says *which* identifier `Ref` returns
 * (`cfnRefIdentifier`), not which AWS-specific parameter type it matches, hence this table.
 * A security group's `Ref` is its ID when the group names its `VpcId`, and its name when it omits
 * it (then it lands in the default VPC); the spec's `cfnRefIdentifier` is `Id`, and berth's stacks
 * always name the VPC, so the kind is the ID's.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-securitygroup.html#aws-resource-ec2-securitygroup-return-values
 */
const REF_KINDS: Record<string, string> = {
  'AWS::EC2::VPC': 'AWS::EC2::VPC::Id',
  'AWS::EC2::Subnet': 'AWS::EC2::Subnet::Id',
  'AWS::EC2::SecurityGroup': 'AWS::EC2::SecurityGroup::Id',
  'AWS::EC2::Instance': 'AWS::EC2::Instance::Id',
  'AWS::EC2::Volume': 'AWS::EC2::Volume::Id',
  'AWS::EC2::KeyPair': 'AWS::EC2::KeyPair::KeyName',
  'AWS::Route53::HostedZone': 'AWS::Route53::HostedZone::Id',
  'AWS::SSM::Parameter': 'AWS::SSM::Parameter::Name',
};

/**
 * The kinds of identifier the spec's relationships point at (`relationshipRefs`: a resource type
 * and which of its properties or attributes the value is), and the kinds of those attributes
 * when read with `GetAtt`. Only CloudFormation's own AWS-specific parameter types are kinds, as
 * only they cross stack boundaries as parameters.
 */
const IDENTIFIER_KINDS: Record<string, string> = {
  'AWS::EC2::VPC.VpcId': 'AWS::EC2::VPC::Id',
  'AWS::EC2::VPC.DefaultSecurityGroup': 'AWS::EC2::SecurityGroup::Id',
  'AWS::EC2::Subnet.SubnetId': 'AWS::EC2::Subnet::Id',
  'AWS::EC2::Subnet.VpcId': 'AWS::EC2::VPC::Id',
  'AWS::EC2::Subnet.AvailabilityZone': 'AWS::EC2::AvailabilityZone::Name',
  'AWS::EC2::SecurityGroup.GroupId': 'AWS::EC2::SecurityGroup::Id',
  'AWS::EC2::SecurityGroup.Id': 'AWS::EC2::SecurityGroup::Id',
  'AWS::EC2::SecurityGroup.VpcId': 'AWS::EC2::VPC::Id',
  'AWS::EC2::Instance.InstanceId': 'AWS::EC2::Instance::Id',
  'AWS::EC2::Volume.VolumeId': 'AWS::EC2::Volume::Id',
  'AWS::EC2::KeyPair.KeyName': 'AWS::EC2::KeyPair::KeyName',
  'AWS::Route53::HostedZone.Id': 'AWS::Route53::HostedZone::Id',
};

interface SpecType {
  type: string;
  element?: SpecType;
  types?: SpecType[];
  reference?: { $ref: string };
  allowedValues?: string[];
}
interface SpecProperty {
  type: SpecType;
  required?: boolean;
  documentation?: string;
  deprecated?: string;
  relationshipRefs?: { cloudFormationType: string; propertyName: string }[];
}
interface SpecResource {
  $id: string;
  cloudFormationType: string;
  name: string;
  documentation?: string;
  properties: Record<string, SpecProperty>;
  attributes: Record<string, SpecProperty>;
  cfnRefIdentifier?: string[];
  primaryIdentifier?: string[];
}
interface SpecTypeDef {
  $id: string;
  name: string;
  documentation?: string;
  properties: Record<string, SpecProperty>;
}

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The generated file, relative to the repository. */
export const GENERATED_FILE = 'src/dsl/resource-types.generated.d.ts';

export function generate(): string {
  const specPath = join(dirname(require.resolve('@aws-cdk/aws-service-spec/package.json')), 'db.json.gz');
  const specVersion = (JSON.parse(readFileSync(require.resolve('@aws-cdk/aws-service-spec/package.json'), 'utf8')) as { version: string }).version;
  const db = JSON.parse(gunzipSync(readFileSync(specPath)).toString('utf8')) as {
    schema: {
      resource: { entities: SpecResource[] };
      typeDefinition: { entities: SpecTypeDef[] };
    };
  };
  const resources = new Map(db.schema.resource.entities.map((r) => [r.cloudFormationType, r]));
  const typeDefs = new Map(db.schema.typeDefinition.entities.map((t) => [t.$id, t]));

  const out: string[] = [
    '// Generated by scripts/gen-types.ts from @aws-cdk/aws-service-spec ' + specVersion + '. DO NOT EDIT.',
    '// Regenerate with: make types',
    "import type { Json, KindValue, ListValue, MapValue, Value } from './value.ts';",
    '',
    '/** A resource tag. */',
    'export interface Tag {',
    '  readonly Key: Value<string>;',
    '  readonly Value: Value<string>;',
    '}',
    '',
  ];
  const registry: string[] = [];

  for (const cfnType of RESOURCE_TYPES) {
    const res = resources.get(cfnType);
    if (!res) throw new Error(`${cfnType} is not in @aws-cdk/aws-service-spec ${specVersion}`);
    const prefix = cfnType.split('::').slice(1).join('');
    const emitted = new Map<string, string>(); // typeDef $id -> TS name
    const pending: SpecTypeDef[] = [];
    const typeName = (id: string): string => {
      const known = emitted.get(id);
      if (known) return known;
      const def = typeDefs.get(id);
      if (!def) throw new Error(`${cfnType}: unknown type reference ${id}`);
      const name = `${prefix}${def.name}`;
      emitted.set(id, name);
      pending.push(def);
      return name;
    };
    const ts = (t: SpecType, kind: string | undefined): string => {
      switch (t.type) {
        case 'string':
          if (kind) return `KindValue<${JSON.stringify(kind)}>`;
          return t.allowedValues?.length ? `Value<${t.allowedValues.map((v) => JSON.stringify(v)).join(' | ')}>` : 'Value<string>';
        case 'integer':
        case 'number':
          return 'Value<number>';
        case 'boolean':
          return 'Value<boolean>';
        case 'json':
          return 'Json';
        case 'tag':
          return 'Tag';
        case 'date-time':
          return 'Value<string>';
        case 'ref':
          return `Value<${typeName(t.reference!.$ref)}>`;
        case 'array':
          return `ListValue<${ts(t.element!, kind)}>`;
        case 'map':
          return `MapValue<${ts(t.element!, kind)}>`;
        case 'union':
          return [...new Set(t.types!.map((u) => ts(u, kind)))].join(' | ');
        default:
          throw new Error(`${cfnType}: unhandled spec type ${t.type}`);
      }
    };
    const body = (props: Record<string, SpecProperty>, page: DocPage): string[] =>
      Object.keys(props)
        .sort()
        .flatMap((name) => {
          const p = props[name]!;
          return [
            ...docComment(p.documentation, [p.deprecated ? `@deprecated ${p.deprecated}` : undefined, `@see ${docLink(cfnType, page, name)}`]),
            `  readonly ${name}${p.required ? '' : '?'}: ${ts(p.type, relatedKind(name, p))};`,
          ];
        });

    const block: string[] = [];
    block.push(...docComment(res.documentation, [cfnType, `@see ${docLink(cfnType, {})}`]).map((l) => l.slice(2)));
    block.push(`export interface ${prefix}Props {`, ...body(res.properties, {}), '}', '');
    while (pending.length > 0) {
      const def = pending.shift()!;
      block.push(...docComment(def.documentation, [`@see ${docLink(cfnType, { typeName: def.name })}`]).map((l) => l.slice(2)));
      block.push(`export interface ${emitted.get(def.$id)} {`, ...body(def.properties, { typeName: def.name }), '}', '');
    }
    out.push(...block);

    const attrs = Object.keys(res.attributes)
      .sort()
      .map((a) => `      readonly ${JSON.stringify(a)}: ${JSON.stringify(IDENTIFIER_KINDS[`${cfnType}.${a}`] ?? attributeKind(res.attributes[a]!.type))};`);
    registry.push(
      `  ${JSON.stringify(cfnType)}: {`,
      `    readonly props: ${prefix}Props;`,
      `    /** \`Ref\` returns ${(res.cfnRefIdentifier ?? res.primaryIdentifier ?? ['the physical ID']).join(' | ')}. */`,
      `    readonly ref: ${JSON.stringify(REF_KINDS[cfnType] ?? 'String')};`,
      `    readonly attributes: {`,
      ...attrs,
      '    };',
      '  };',
    );
  }
  out.push(
    '/** Each resource type berth knows: its properties, what `Ref` returns, and its `GetAtt` attributes with their kinds. */',
    'export interface ResourceTypes {',
    ...registry,
    '}',
    '',
    'export type ResourceType = keyof ResourceTypes;',
    '',
  );
  return out.join('\n');
}

/**
 * The kind of identifier a property takes, when every resource the spec relates it to has one.
 * A property named `...Name` holds a name even where the spec relates it to an ID (the
 * `SourceSecurityGroupName` of a security group's ingress rule), so it stays a plain string.
 */
function relatedKind(name: string, p: SpecProperty): string | undefined {
  if (!p.relationshipRefs?.length || /Name$/.test(name)) return undefined;
  const kinds = new Set(p.relationshipRefs.map((r) => IDENTIFIER_KINDS[`${r.cloudFormationType}.${r.propertyName}`]));
  return kinds.size === 1 ? [...kinds][0] : undefined;
}

function attributeKind(t: SpecType): string {
  if (t.type === 'array') return t.element?.type === 'string' ? 'List<String>' : 'Json';
  if (t.type === 'integer' || t.type === 'number') return 'Number';
  if (t.type === 'string' || t.type === 'boolean') return 'String';
  return 'Json';
}

interface DocPage {
  /** The property type's name, for a page of a property type; absent for the resource's own page. */
  readonly typeName?: string;
}

/**
 * The CloudFormation User Guide page of a resource, property type or property, named as the AWS CDK
 * names its own L1 links (@aws-cdk/spec2cdk, `cloudFormationDocLink`): `aws-resource-<service>-<resource>.html`,
 * `aws-properties-<service>-<resource>-<type>.html`, and `#cfn-<page id>-<property>` for a property.
 */
function docLink(cfnType: string, page: DocPage, property?: string): string {
  const [, service, resource] = cfnType.toLowerCase().split('::');
  const id = page.typeName ? `${service}-${resource}-${page.typeName.toLowerCase()}` : `${service}-${resource}`;
  const file = page.typeName ? `aws-properties-${id}.html` : `aws-resource-${id}.html`;
  return `https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/${file}${property ? `#cfn-${id}-${property.toLowerCase()}` : ''}`;
}

/**
 * AWS's first paragraph of documentation, whole (wrapped), then the extra lines, as a JSDoc
 * block indented for a member.
 */
function docComment(doc: string | undefined, extra: readonly (string | undefined)[]): string[] {
  const paragraph = (doc ?? '').split('\n\n')[0]!.replace(/\s+/g, ' ').replaceAll('*/', '* /').trim();
  const lines = [...wrap(paragraph, 100), ...extra.filter((l): l is string => !!l)];
  if (lines.length === 0) return [];
  return ['  /**', ...lines.map((l) => `   * ${l}`), '   */'];
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * Type-checks the generated file itself. Everywhere else the compiler skips declaration files
 * (`skipLibCheck`, for speed), where a name that resolves to nothing would quietly become `any`.
 */
function checkGenerated(target: string): void {
  const r = spawnSync(
    process.execPath,
    [require.resolve('typescript/lib/tsc.js'), '--noEmit', '--pretty', 'false', '--strict', '--target', 'ES2022', '--lib', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--allowImportingTsExtensions', '--types', 'node', target],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`${GENERATED_FILE} does not type-check:\n${r.stdout}${r.stderr}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = join(here, '..', GENERATED_FILE);
  writeFileSync(target, generate());
  checkGenerated(target);
  console.log(`wrote ${target} (type-checked)`);
}
