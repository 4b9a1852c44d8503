/**
 * Environment settings: the data each `templates/environments/<env>.json` holds.
 *
 * The schema is written here, typed against the `Settings` interface by ajv's `JSONSchemaType`,
 * so the TypeScript type and the JSON Schema cannot drift apart. `make schema` writes it to
 * `templates/settings.schema.json`, which the environment files name in `$schema` for editor
 * autocompletion. What a schema cannot say (CIDRs fit the VPC, do not overlap) is checked in
 * `checkSettings` below, with the same located messages.
 */
import { basename } from 'node:path';
import type { JSONSchemaType } from 'ajv';
import { contains, formatCidr, overlaps, parseCidr, subnetAt, type Cidr } from '../src/cidr.ts';
import { at, SettingsLoader } from '../src/config.ts';
import { BerthError, q } from '../src/errors.ts';

/** NAT for the application subnets, as pulumi-awsx names the choices. */
export type NatGateways = 'none' | 'single' | 'onePerAz';

/** CloudWatch Logs retention values. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
export type RetentionDays = (typeof RETENTION_DAYS)[number];

export interface SubnetCidrs {
  readonly public: readonly string[];
  readonly application: readonly string[];
  readonly database: readonly string[];
}

export interface NetworkSettings {
  /** The VPC's IPv4 block. */
  readonly vpcCidr: string;
  /** How many Availability Zones the subnets span (2 or 3). */
  readonly availabilityZones: 2 | 3;
  /** `none`: no egress from the application tier; `single`: one NAT (cheap, one AZ's fate); `onePerAz`: highly available. */
  readonly natGateways: NatGateways;
  /** Subnet CIDRs per tier, one per AZ. @default - carved from `vpcCidr`, see `carveSubnets` */
  readonly subnets?: SubnetCidrs;
  /** Retention of the VPC flow-log group. */
  readonly flowLogRetentionDays: RetentionDays;
}

export interface Settings {
  readonly $schema?: string;
  /** The environment's name; must match the file name. */
  readonly name: string;
  /** The AWS Region the environment deploys to; cfn-lint checks the templates against it. */
  readonly region: string;
  readonly network: NetworkSettings;
}

const cidrString = {
  type: 'string',
  pattern: '^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}/\\d{1,2}$',
  description: 'an IPv4 CIDR block such as 10.0.0.0/16',
} as const;

const cidrList = { type: 'array', items: cidrString, minItems: 2, maxItems: 3 } as const;

export const SETTINGS_SCHEMA: JSONSchemaType<Settings> = {
  $id: 'https://berth.dev/settings.schema.json',
  title: 'berth environment settings',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'region', 'network'],
  properties: {
    $schema: { type: 'string', nullable: true },
    name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,19}$', description: 'lower-case letters, digits and hyphens, up to 20 characters, matching the file name' },
    region: { type: 'string', pattern: '^[a-z]{2}(-gov)?-[a-z]+-\\d$', description: 'an AWS Region code such as eu-west-1' },
    network: {
      type: 'object',
      additionalProperties: false,
      required: ['vpcCidr', 'availabilityZones', 'natGateways', 'flowLogRetentionDays'],
      properties: {
        vpcCidr: cidrString,
        availabilityZones: { type: 'integer', enum: [2, 3], description: 'how many Availability Zones: 2 or 3' },
        natGateways: { type: 'string', enum: ['none', 'single', 'onePerAz'] },
        subnets: {
          type: 'object',
          nullable: true,
          additionalProperties: false,
          required: ['public', 'application', 'database'],
          properties: { public: cidrList, application: cidrList, database: cidrList },
        },
        flowLogRetentionDays: { type: 'integer', enum: [...RETENTION_DAYS] },
      },
    },
  },
} as unknown as JSONSchemaType<Settings>;

/** Settings after checks, with subnets carved. */
export interface ResolvedSettings extends Settings {
  readonly network: NetworkSettings & { readonly subnets: SubnetCidrs };
  /** The settings file, for messages. */
  readonly file: string;
}

let loader: SettingsLoader<Settings> | undefined;

/** Loads, validates and checks one environment file. */
export function loadSettings(file: string): ResolvedSettings {
  loader ??= new SettingsLoader(SETTINGS_SCHEMA);
  return checkSettings(file, loader.load(file));
}

export const TIERS = ['public', 'application', 'database'] as const;

/**
 * Default subnet layout: the VPC is cut into 16 equal blocks (a /16 gives /20s of 4,096
 * addresses); tier t in AZ i takes block 4t + i, leaving room for a fourth AZ and for a fourth
 * tier in blocks 12-15.
 */
export function carveSubnets(vpc: Cidr, zones: number): SubnetCidrs {
  const prefix = vpc.prefix + 4;
  const tier = (t: number) => Array.from({ length: zones }, (_, i) => formatCidr(subnetAt(vpc, prefix, 4 * t + i)));
  return { public: tier(0), application: tier(1), database: tier(2) };
}

/** Semantic checks beyond the schema; returns the settings with subnets resolved. */
export function checkSettings(file: string, s: Settings): ResolvedSettings {
  const expectedName = basename(file).replace(/\.json$/, '');
  if (s.name !== expectedName) {
    throw new BerthError(at(file, 'name'), `is ${q(s.name)} but the file is ${q(basename(file))}. Set \`name\` to ${q(expectedName)} or rename the file.`);
  }
  const net = s.network;
  const vpc = parseCidr(net.vpcCidr);
  if (!vpc) {
    throw new BerthError(at(file, 'network.vpcCidr'), `${q(net.vpcCidr)} is not a valid IPv4 CIDR block (octets 0-255, prefix 0-32, no host bits set). Use a block such as \`10.0.0.0/16\`.`);
  }
  // https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html: a VPC is /16 to /28.
  if (vpc.prefix < 16 || vpc.prefix > 24) {
    throw new BerthError(at(file, 'network.vpcCidr'), `${q(net.vpcCidr)} has prefix /${vpc.prefix}; berth needs /16 to /24 (AWS allows /16 to /28, and nine subnets must fit). Use a block such as \`10.0.0.0/16\`.`);
  }
  const subnets = net.subnets ?? carveSubnets(vpc, net.availabilityZones);
  const seen: { path: string; cidr: Cidr }[] = [];
  for (const tier of TIERS) {
    const list = subnets[tier];
    if (list.length !== net.availabilityZones) {
      throw new BerthError(at(file, `network.subnets.${tier}`), `has ${list.length} CIDR blocks but \`network.availabilityZones\` is ${net.availabilityZones}. Give one block per Availability Zone.`);
    }
    list.forEach((text, i) => {
      const path = `network.subnets.${tier}[${i}]`;
      const c = parseCidr(text);
      if (!c) throw new BerthError(at(file, path), `${q(text)} is not a valid IPv4 CIDR block (octets 0-255, no host bits set). Use a block such as \`10.0.16.0/20\`.`);
      if (c.prefix > 28) throw new BerthError(at(file, path), `${q(text)} is smaller than /28, the smallest subnet AWS allows. Use a /28 or larger block.`);
      if (!contains(vpc, c)) throw new BerthError(at(file, path), `${q(text)} is not inside the VPC block ${q(net.vpcCidr)}. Choose a block within it, or widen \`network.vpcCidr\`.`);
      const clash = seen.find((o) => overlaps(o.cidr, c));
      if (clash) throw new BerthError(at(file, path), `${q(text)} overlaps ${clash.path} (${q(formatCidr(clash.cidr))}). Subnets must not overlap: choose another block.`);
      seen.push({ path, cidr: c });
    });
  }
  return { ...s, network: { ...net, subnets }, file };
}
