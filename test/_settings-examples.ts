/**
 * Every constraint of the settings JSON Schema, and an example for each: values the schema must
 * reject (each with the message a user sees) and, for bounds, patterns and choices, values it must
 * accept. test/settings-schema.test.ts runs them and checks that no constraint lacks one;
 * scripts/mutation-schema.ts makes deliberate mistakes in the schema and counts the ones the
 * examples catch (`make mutation`).
 *
 * Adding a field to the schema? Add its examples to EXAMPLES: the test names what is missing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSTANCE_TYPES } from '../templates/settings/instance-types.ts';
import { REGIONS } from '../templates/settings/regions.generated.ts';
import { RETENTION_DAYS } from '../templates/settings/settings.ts';
import { ROOT } from './_helpers.ts';

type Schema = Record<string, any>;

/** The keywords that constrain a value (nullable, description, discriminator's oneOf are structure). */
const CONSTRAINTS = ['type', 'enum', 'const', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'uniqueItems', 'additionalProperties', 'discriminator'] as const;
/** Constraints a loosened or tightened bound would pass unnoticed without an accepted example at it. */
export const NEEDS_ACCEPT = new Set(['enum', 'pattern', 'minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'const']);

/**
 * Every constraint of `schema`, as `<field path> <keyword>`: `cluster.capacity<ec2>.maxSize maximum`,
 * `network required(vpcCidr)`, `services.* additionalProperties`, `cluster.capacity<ec2>.instanceTypes[] pattern`.
 */
export function constraints(schema: Schema, path = ''): string[] {
  const out: string[] = [];
  const at = (keyword: string) => `${path || '(root)'} ${keyword}`;
  for (const k of CONSTRAINTS) {
    if (schema[k] === undefined) continue;
    if (k === 'additionalProperties' && schema[k] !== false) continue;
    out.push(at(k));
  }
  for (const r of (schema.required ?? []) as string[]) out.push(at(`required(${r})`));
  for (const [name, sub] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) out.push(...constraints(sub, path ? `${path}.${name}` : name));
  if (schema.items) out.push(...constraints(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object') out.push(...constraints(schema.additionalProperties, `${path}.*`));
  for (const branch of (schema.oneOf ?? []) as Schema[]) {
    // A branch is named by its discriminator's value, or (a union without one) by its first required field.
    const tag = schema.discriminator?.propertyName as string | undefined;
    out.push(...constraints(branch, `${path}<${tag ? branch.properties[tag].const : branch.required[0]}>`));
  }
  return out;
}

/** A copy of the fixture dev settings (test/fixtures/settings/dev.json). */
export function baseSettings(): Record<string, any> {
  return JSON.parse(readFileSync(join(ROOT, 'test/fixtures/settings/dev.json'), 'utf8'));
}

/** Sets (or, with `undefined`, deletes) the field at a dotted path, creating objects on the way; `''` is the whole document. */
export function setField(s: Record<string, any>, path: string, value: unknown): Record<string, any> {
  if (path === '') return value as Record<string, any>;
  const parts = path.split('.');
  let o = s;
  for (const p of parts.slice(0, -1)) o = o[p] ??= {};
  if (value === undefined) delete o[parts.at(-1)!];
  else o[parts.at(-1)!] = value;
  return s;
}

/** The settings an example describes: its fields set, in order, on a copy of the base settings. */
export function exampleSettings(e: Example): unknown {
  return e.set.reduce<Record<string, any>>((s, [path, value]) => setField(s, path, structuredClone(value)), baseSettings());
}

export interface Example {
  /** The constraint it shows, as `constraints()` names it. */
  readonly constraint: string;
  /** Fields to set, in order (a branch first), on a copy of the base settings. */
  readonly set: readonly (readonly [string, unknown])[];
  /** For a rejected example: the message after `<file>: `. */
  readonly reject?: RegExp;
}

const HTTPS_EXISTING: [string, unknown] = ['loadBalancer.listener', { protocol: 'https', certificate: { source: 'existing', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123' } }];
const HTTPS_DNS: [string, unknown] = ['loadBalancer.listener', { protocol: 'https', certificate: { source: 'dnsValidated', domainName: 'app.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' } }];
const DNS: [string, unknown] = ['loadBalancer.dns', { domainName: 'app.example.com', hostedZoneId: 'Z0123456789ABCDEFGHIJ' }];
const FARGATE: [string, unknown] = ['cluster.capacity', { type: 'fargate' }];
const SELF: [string, unknown] = ['targets', { permissionModel: 'selfManaged', accounts: ['111111111111'], regions: ['eu-west-1'] }];
const SERVICE: [string, unknown] = ['targets', { permissionModel: 'serviceManaged', organizationalUnits: ['ou-ab12-cd345678'], regions: ['eu-west-1'] }];
const SUBNETS: [string, unknown] = ['network.subnets', { public: ['10.10.0.0/24', '10.10.1.0/24'], application: ['10.10.10.0/24', '10.10.11.0/24'], database: ['10.10.20.0/24', '10.10.21.0/24'] }];

/** `s` as a literal in a regular expression. */
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ok = (constraint: string, ...set: [string, unknown][]): Example => ({ constraint, set });
const no = (constraint: string, reject: RegExp, ...set: [string, unknown][]): Example => ({ constraint, set, reject });
/** A value of the wrong type, set at `field` (shown as `shown`, when that is a list item). */
const typeAt = (constraint: string, shown: string, expected: string, ...set: [string, unknown][]): Example =>
  no(`${constraint} type`, new RegExp(`^${esc(shown)}: expected ${expected}\\. Change the value's type\\.$`), ...set);
const type = (constraint: string, field: string, value: unknown, expected: string, ...before: [string, unknown][]): Example => typeAt(constraint, field, expected, ...before, [field, value]);
const unknown = (constraint: string, parent: string, ...before: [string, unknown][]): Example =>
  no(`${constraint} additionalProperties`, new RegExp(`^${parent ? `${esc(parent)}\\.` : ''}colour: unknown field \`colour\`\\. Remove it or fix its spelling`), ...before, [parent ? `${parent}.colour` : 'colour', 'blue']);
const missing = (constraint: string, parent: string, field: string, ...before: [string, unknown][]): Example =>
  no(`${constraint} required(${field})`, new RegExp(`^${parent ? `${esc(parent)}: ` : ''}the required field \`${field}\` is missing\\. Add it`), ...before, [parent ? `${parent}.${field}` : field, undefined]);
const range = (constraint: string, field: string, lowest: number | undefined, highest: number | undefined, ...before: [string, unknown][]): Example[] => {
  const f = esc(field);
  return [
    ...(lowest === undefined ? [] : [ok(`${constraint} minimum`, ...before, [field, lowest]), no(`${constraint} minimum`, new RegExp(`^${f}: ${lowest - 1} must be >= ${lowest}`), ...before, [field, lowest - 1])]),
    ...(highest === undefined ? [] : [ok(`${constraint} maximum`, ...before, [field, highest]), no(`${constraint} maximum`, new RegExp(`^${f}: ${highest + 1} must be <= ${highest}`), ...before, [field, highest + 1])]),
  ];
};
const choices = (constraint: string, field: string, allowed: readonly unknown[], wrong: unknown, ...before: [string, unknown][]): Example[] => [
  ...allowed.map((v) => ok(`${constraint} enum`, ...before, [field, v])),
  no(`${constraint} enum`, new RegExp(`^${esc(field)}: expected `), ...before, [field, wrong]),
];

const EC2 = 'cluster.capacity<ec2>';
const CERT = 'loadBalancer.listener<https>.certificate';

/** Each constraint's examples; for the capacity sizes the others move along, so only the one bound is tested. */
export const EXAMPLES: readonly Example[] = [
  // The top level.
  no('(root) type', /^expected an object\. Change the value's type\.$/, ['', []]),
  unknown('(root)', ''),
  ...['name', 'region', 'network', 'loadBalancer', 'cluster', 'logRetentionDays'].map((f) => missing('(root)', '', f)),
  type('$schema', '$schema', 7, 'a string'),
  ok('$schema type', ['$schema', 'anything.json']),
  type('name', 'name', 1, 'a string'),
  ok('name pattern', ['name', 'dev']),
  no('name pattern', /^name: expected lower-case letters, digits and hyphens, up to 20 characters, matching the file name, got `"Dev"`\. Fix the value\.$/, ['name', 'Dev']),
  no('name pattern', /^name: expected lower-case letters/, ['name', '1dev']),
  no('name pattern', /^name: expected lower-case letters/, ['name', 'd'.repeat(21)]),
  no('name pattern', /^name: expected lower-case letters/, ['name', 'dev\n']),
  type('region', 'region', 1, 'a string'),
  ...Object.keys(REGIONS).map((r) => ok('region enum', ['region', r])),
  no('region enum', /^region: `eu-wset-1` is not a known value; did you mean `eu-west-1`\? The schema \(templates\/settings\/settings\.schema\.json\) lists every allowed value\.$/, ['region', 'eu-wset-1']),
  no('region enum', /^region: `mars-north-1` is not a known value\. The schema/, ['region', 'mars-north-1']),
  type('logRetentionDays', 'logRetentionDays', '30', 'an integer'),
  ...choices('logRetentionDays', 'logRetentionDays', RETENTION_DAYS, 31),

  // network
  type('network', 'network', 'x', 'an object'),
  unknown('network', 'network'),
  ...['vpcCidr', 'availabilityZones', 'natGateways', 'flowLogRetentionDays'].map((f) => missing('network', 'network', f)),
  type('network.vpcCidr', 'network.vpcCidr', 10, 'a string'),
  ok('network.vpcCidr pattern', ['network.vpcCidr', '192.168.0.0/16']),
  no('network.vpcCidr pattern', /^network\.vpcCidr: expected an IPv4 CIDR block such as 10\.0\.0\.0\/16, got `"10\.0\.0\.0"`/, ['network.vpcCidr', '10.0.0.0']),
  no('network.vpcCidr pattern', /^network\.vpcCidr: expected an IPv4 CIDR block/, ['network.vpcCidr', '10.0.0.0/16/8']),
  no('network.vpcCidr pattern', /^network\.vpcCidr: expected an IPv4 CIDR block/, ['network.vpcCidr', 'x10.0.0.0/16']),
  type('network.availabilityZones', 'network.availabilityZones', 2.5, 'an integer'),
  ...choices('network.availabilityZones', 'network.availabilityZones', [2, 3], 4),
  type('network.natGateways', 'network.natGateways', true, 'a string'),
  ...choices('network.natGateways', 'network.natGateways', ['none', 'single', 'onePerAz'], 'two'),
  type('network.ipv6', 'network.ipv6', 'yes', 'a boolean'),
  ok('network.ipv6 type', ['network.ipv6', true]),
  type('network.interfaceEndpoints', 'network.interfaceEndpoints', 'yes', 'a boolean'),
  ok('network.interfaceEndpoints type', ['network.interfaceEndpoints', false]),
  type('network.flowLogRetentionDays', 'network.flowLogRetentionDays', '30', 'an integer'),
  ...choices('network.flowLogRetentionDays', 'network.flowLogRetentionDays', RETENTION_DAYS, 2),
  type('network.subnets', 'network.subnets', [], 'an object'),
  unknown('network.subnets', 'network.subnets', SUBNETS),
  ...['public', 'application', 'database'].map((f) => missing('network.subnets', 'network.subnets', f, SUBNETS)),
  ...['public', 'application', 'database'].flatMap((tier) => {
    const c = `network.subnets.${tier}`;
    const three = ['10.10.100.0/24', '10.10.101.0/24', '10.10.102.0/24'];
    return [
      type(c, c, '10.10.0.0/24', 'an array', SUBNETS),
      ok(`${c} minItems`, SUBNETS),
      no(`${c} minItems`, new RegExp(`^${c.replace(/\./g, '\\.')}: \\["10\\.10\\.100\\.0/24"\\] must NOT have fewer than 2 items`), SUBNETS, [c, three.slice(0, 1)]),
      ok(`${c} maxItems`, ['network.availabilityZones', 3], ['network.subnets', { public: ['10.10.0.0/24', '10.10.1.0/24', '10.10.2.0/24'], application: ['10.10.10.0/24', '10.10.11.0/24', '10.10.12.0/24'], database: ['10.10.20.0/24', '10.10.21.0/24', '10.10.22.0/24'] }]),
      no(`${c} maxItems`, new RegExp(`^${c.replace(/\./g, '\\.')}: .* must NOT have more than 3 items`), SUBNETS, [c, [...three, '10.10.103.0/24']]),
      typeAt(`${c}[]`, `${c}[0]`, 'a string', SUBNETS, [c, [10, '10.10.101.0/24']]),
      ok(`${c}[] pattern`, SUBNETS),
      no(`${c}[] pattern`, new RegExp(`^${c.replace(/\./g, '\\.')}\\[1\\]: expected an IPv4 CIDR block such as 10\\.0\\.0\\.0/16, got \`"10\\.10\\.1\\.0"\``), SUBNETS, [c, ['10.10.100.0/24', '10.10.1.0']]),
    ];
  }),

  // loadBalancer
  type('loadBalancer', 'loadBalancer', 1, 'an object'),
  unknown('loadBalancer', 'loadBalancer'),
  ...['listener', 'deletionProtection', 'accessLogs'].map((f) => missing('loadBalancer', 'loadBalancer', f)),
  type('loadBalancer.listener', 'loadBalancer.listener', 'https', 'an object'),
  missing('loadBalancer.listener', 'loadBalancer.listener', 'protocol'),
  no('loadBalancer.listener discriminator', /^loadBalancer\.listener\.protocol: expected one of `"https"`, `"http"`\. Set `protocol` to one of these\.$/, ['loadBalancer.listener', { protocol: 'tcp' }]),
  no('loadBalancer.listener discriminator', /^loadBalancer\.listener\.protocol: expected one of/, ['loadBalancer.listener', { protocol: 7 }]),
  // https
  type('loadBalancer.listener<https>', 'loadBalancer.listener', [], 'an object'),
  unknown('loadBalancer.listener<https>', 'loadBalancer.listener', HTTPS_DNS),
  missing('loadBalancer.listener<https>', 'loadBalancer.listener', 'protocol', HTTPS_DNS),
  missing('loadBalancer.listener<https>', 'loadBalancer.listener', 'certificate', HTTPS_DNS),
  // A union's tag of the wrong type is reported by the discriminator, as an unknown tag.
  no('loadBalancer.listener<https>.protocol type', /^loadBalancer\.listener\.protocol: expected one of `"https"`, `"http"`/, HTTPS_DNS, ['loadBalancer.listener.protocol', 1]),
  ok('loadBalancer.listener<https>.protocol const', HTTPS_DNS),
  no('loadBalancer.listener<https>.protocol const', /^loadBalancer\.listener\.protocol: expected one of `"https"`, `"http"`/, HTTPS_DNS, ['loadBalancer.listener.protocol', 'HTTPS']),
  type(CERT, `${CERT.replace('<https>', '')}`, 'arn', 'an object', HTTPS_DNS),
  missing(CERT, 'loadBalancer.listener.certificate', 'source', HTTPS_DNS),
  no(`${CERT} discriminator`, /^loadBalancer\.listener\.certificate\.source: expected one of `"existing"`, `"dnsValidated"`\. Set `source` to one of these\.$/, HTTPS_DNS, ['loadBalancer.listener.certificate.source', 'imported']),
  type(`${CERT}<existing>`, 'loadBalancer.listener.certificate', 1, 'an object', HTTPS_EXISTING),
  unknown(`${CERT}<existing>`, 'loadBalancer.listener.certificate', HTTPS_EXISTING),
  missing(`${CERT}<existing>`, 'loadBalancer.listener.certificate', 'source', HTTPS_EXISTING),
  missing(`${CERT}<existing>`, 'loadBalancer.listener.certificate', 'certificateArn', HTTPS_EXISTING),
  no(`${CERT}<existing>.source type`, /^loadBalancer\.listener\.certificate\.source: expected one of/, HTTPS_EXISTING, ['loadBalancer.listener.certificate.source', 1]),
  ok(`${CERT}<existing>.source const`, HTTPS_EXISTING),
  no(`${CERT}<existing>.source const`, /^loadBalancer\.listener\.certificate\.source: expected one of/, HTTPS_EXISTING, ['loadBalancer.listener.certificate.source', 'Existing']),
  type(`${CERT}<existing>.certificateArn`, 'loadBalancer.listener.certificate.certificateArn', 1, 'a string', HTTPS_EXISTING),
  ok(`${CERT}<existing>.certificateArn pattern`, HTTPS_EXISTING),
  ok(`${CERT}<existing>.certificateArn pattern`, HTTPS_EXISTING, ['loadBalancer.listener.certificate.certificateArn', 'arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b']),
  no(`${CERT}<existing>.certificateArn pattern`, /^loadBalancer\.listener\.certificate\.certificateArn: expected an ACM certificate ARN, got `"arn:aws:iam::123456789012:server-certificate\/x"`\. Fix the value\.$/, HTTPS_EXISTING, ['loadBalancer.listener.certificate.certificateArn', 'arn:aws:iam::123456789012:server-certificate/x']),
  no(`${CERT}<existing>.certificateArn pattern`, /certificateArn: expected an ACM certificate ARN/, HTTPS_EXISTING, ['loadBalancer.listener.certificate.certificateArn', 'arn:aws:acm:eu-west-1:12345678901:certificate/abc']),
  no(`${CERT}<existing>.certificateArn pattern`, /certificateArn: expected an ACM certificate ARN/, HTTPS_EXISTING, ['loadBalancer.listener.certificate.certificateArn', 'arn:aws:acm:eu-west-1:123456789012:certificate/abc x']),
  type(`${CERT}<dnsValidated>`, 'loadBalancer.listener.certificate', 1, 'an object', HTTPS_DNS),
  unknown(`${CERT}<dnsValidated>`, 'loadBalancer.listener.certificate', HTTPS_DNS),
  ...['source', 'domainName', 'hostedZoneId'].map((f) => missing(`${CERT}<dnsValidated>`, 'loadBalancer.listener.certificate', f, HTTPS_DNS)),
  no(`${CERT}<dnsValidated>.source type`, /^loadBalancer\.listener\.certificate\.source: expected one of/, HTTPS_DNS, ['loadBalancer.listener.certificate.source', true]),
  ok(`${CERT}<dnsValidated>.source const`, HTTPS_DNS),
  no(`${CERT}<dnsValidated>.source const`, /^loadBalancer\.listener\.certificate\.source: expected one of/, HTTPS_DNS, ['loadBalancer.listener.certificate.source', 'dns']),
  ...(['domainName', 'hostedZoneId'] as const).flatMap((f) => {
    const field = `loadBalancer.listener.certificate.${f}`;
    const c = `${CERT}<dnsValidated>.${f}`;
    const good = f === 'domainName' ? ['app.example.com', '*.example.co.uk', 'a-b.example.io'] : ['Z1', 'Z0123456789ABCDEFGHIJKLMNOPQRSTU'];
    const bad = f === 'domainName' ? ['App.example.com', 'example', 'app..example.com', 'app.example.c', '*app.example.com', 'app.example.com.'] : ['z123', 'Z', 'Z0123456789ABCDEFGHIJKLMNOPQRSTUV', 'Z12-3', ' Z123'];
    const hint = f === 'domainName' ? 'a lower-case DNS name such as app\\.example\\.com' : 'a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ';
    return [
      type(c, field, 1, 'a string', HTTPS_DNS),
      ...good.map((v) => ok(`${c} pattern`, HTTPS_DNS, [field, v])),
      ...bad.map((v) => no(`${c} pattern`, new RegExp(`^${field.replace(/\./g, '\\.')}: expected ${hint}, got `), HTTPS_DNS, [field, v])),
    ];
  }),
  // http
  type('loadBalancer.listener<http>', 'loadBalancer.listener', 1, 'an object'),
  unknown('loadBalancer.listener<http>', 'loadBalancer.listener'),
  missing('loadBalancer.listener<http>', 'loadBalancer.listener', 'protocol'),
  missing('loadBalancer.listener<http>', 'loadBalancer.listener', 'allowPlainHttp'),
  no('loadBalancer.listener<http>.protocol type', /^loadBalancer\.listener\.protocol: expected one of/, ['loadBalancer.listener.protocol', null]),
  ok('loadBalancer.listener<http>.protocol const'),
  no('loadBalancer.listener<http>.protocol const', /^loadBalancer\.listener\.protocol: expected one of/, ['loadBalancer.listener.protocol', 'HTTP']),
  type('loadBalancer.listener<http>.allowPlainHttp', 'loadBalancer.listener.allowPlainHttp', 'true', 'a boolean'),
  ok('loadBalancer.listener<http>.allowPlainHttp const'),
  no('loadBalancer.listener<http>.allowPlainHttp const', /^loadBalancer\.listener\.allowPlainHttp: expected `true`\. Set it to that value\.$/, ['loadBalancer.listener.allowPlainHttp', false]),
  // dns
  type('loadBalancer.dns', 'loadBalancer.dns', 'app.example.com', 'an object'),
  unknown('loadBalancer.dns', 'loadBalancer.dns', DNS),
  ...['domainName', 'hostedZoneId'].map((f) => missing('loadBalancer.dns', 'loadBalancer.dns', f, DNS)),
  type('loadBalancer.dns.domainName', 'loadBalancer.dns.domainName', 1, 'a string', DNS),
  ok('loadBalancer.dns.domainName pattern', DNS),
  no('loadBalancer.dns.domainName pattern', /^loadBalancer\.dns\.domainName: expected a lower-case DNS name/, DNS, ['loadBalancer.dns.domainName', 'APP.example.com']),
  type('loadBalancer.dns.hostedZoneId', 'loadBalancer.dns.hostedZoneId', 1, 'a string', DNS),
  ok('loadBalancer.dns.hostedZoneId pattern', DNS),
  no('loadBalancer.dns.hostedZoneId pattern', /^loadBalancer\.dns\.hostedZoneId: expected a Route 53 hosted zone ID/, DNS, ['loadBalancer.dns.hostedZoneId', 'hostedzone/Z123']),
  type('loadBalancer.dns.dualStack', 'loadBalancer.dns.dualStack', 'yes', 'a boolean', DNS),
  ok('loadBalancer.dns.dualStack type', DNS, ['loadBalancer.dns.dualStack', false]),
  type('loadBalancer.deletionProtection', 'loadBalancer.deletionProtection', 0, 'a boolean'),
  ok('loadBalancer.deletionProtection type', ['loadBalancer.deletionProtection', true]),
  type('loadBalancer.accessLogs', 'loadBalancer.accessLogs', 'false', 'a boolean'),
  type('loadBalancer.idleTimeoutSeconds', 'loadBalancer.idleTimeoutSeconds', 60.5, 'an integer'),
  ...range('loadBalancer.idleTimeoutSeconds', 'loadBalancer.idleTimeoutSeconds', 1, 4000),
  type('loadBalancer.firewall', 'loadBalancer.firewall', true, 'an object'),
  unknown('loadBalancer.firewall', 'loadBalancer.firewall', ['loadBalancer.firewall', { enabled: true }]),
  missing('loadBalancer.firewall', 'loadBalancer.firewall', 'enabled', ['loadBalancer.firewall', { enabled: true }]),
  type('loadBalancer.firewall.enabled', 'loadBalancer.firewall.enabled', 'on', 'a boolean', ['loadBalancer.firewall', { enabled: true }]),
  ok('loadBalancer.firewall.enabled type', ['loadBalancer.firewall', { enabled: false }]),
  type('loadBalancer.firewall.requestsPerFiveMinutesPerIp', 'loadBalancer.firewall.requestsPerFiveMinutesPerIp', 100.5, 'an integer', ['loadBalancer.firewall', { enabled: true }]),
  ...range('loadBalancer.firewall.requestsPerFiveMinutesPerIp', 'loadBalancer.firewall.requestsPerFiveMinutesPerIp', 10, 2000000000, ['loadBalancer.firewall', { enabled: true }]),

  // cluster
  type('cluster', 'cluster', 1, 'an object'),
  unknown('cluster', 'cluster'),
  ...['containerInsights', 'capacity'].map((f) => missing('cluster', 'cluster', f)),
  type('cluster.containerInsights', 'cluster.containerInsights', true, 'a string'),
  ...choices('cluster.containerInsights', 'cluster.containerInsights', ['enabled', 'enhanced'], 'disabled'),
  type('cluster.capacity', 'cluster.capacity', 'ec2', 'an object'),
  missing('cluster.capacity', 'cluster.capacity', 'type'),
  no('cluster.capacity discriminator', /^cluster\.capacity\.type: expected one of `"ec2"`, `"fargate"`\. Set `type` to one of these\.$/, ['cluster.capacity.type', 'spot']),
  type(EC2, 'cluster.capacity', 1, 'an object'),
  unknown(EC2, 'cluster.capacity'),
  ...['type', 'instanceTypes', 'volumeSizeGiB', 'minSize', 'maxSize'].map((f) => missing(EC2, 'cluster.capacity', f)),
  no(`${EC2}.type type`, /^cluster\.capacity\.type: expected one of `"ec2"`, `"fargate"`/, ['cluster.capacity.type', 2]),
  ok(`${EC2}.type const`),
  no(`${EC2}.type const`, /^cluster\.capacity\.type: expected one of/, ['cluster.capacity.type', 'EC2']),
  type(`${EC2}.instanceTypes`, 'cluster.capacity.instanceTypes', 'm6i.large', 'an array'),
  ok(`${EC2}.instanceTypes minItems`, ['cluster.capacity.instanceTypes', ['m6i.large']]),
  no(`${EC2}.instanceTypes minItems`, /^cluster\.capacity\.instanceTypes: \[\] must NOT have fewer than 1 items/, ['cluster.capacity.instanceTypes', []]),
  ok(`${EC2}.instanceTypes maxItems`, ['cluster.capacity.instanceTypes', [...INSTANCE_TYPES.values()].filter((t) => t.architecture === 'x86_64').slice(0, 40).map((t) => t.name)]),
  no(`${EC2}.instanceTypes maxItems`, /^cluster\.capacity\.instanceTypes: a list of 41 items must NOT have more than 40 items/, ['cluster.capacity.instanceTypes', Array.from({ length: 41 }, (_, i) => `m${i + 5}.large`)]),
  no(`${EC2}.instanceTypes uniqueItems`, /^cluster\.capacity\.instanceTypes: must NOT have duplicate items \(items ## 1 and 0 are identical\)/, ['cluster.capacity.instanceTypes', ['t3.medium', 't3.medium']]),
  typeAt(`${EC2}.instanceTypes[]`, 'cluster.capacity.instanceTypes[0]', 'a string', ['cluster.capacity.instanceTypes', [5]]),
  ...['t3.medium', 'c6a.4xlarge', 'm7i.2xlarge', 't4g.small'].map((v) => ok(`${EC2}.instanceTypes[] pattern`, ['cluster.capacity.instanceTypes', [v]])),
  ...['T3.medium', 't3', 't3.', '.large', 't3.medium.x', '3t.medium', 't3.Medium'].map((v) =>
    no(`${EC2}.instanceTypes[] pattern`, /^cluster\.capacity\.instanceTypes\[0\]: expected an EC2 instance type such as t3\.medium, got /, ['cluster.capacity.instanceTypes', [v]]),
  ),
  type(`${EC2}.volumeSizeGiB`, 'cluster.capacity.volumeSizeGiB', '30', 'an integer'),
  ...range(`${EC2}.volumeSizeGiB`, 'cluster.capacity.volumeSizeGiB', 30, 16384),
  type(`${EC2}.keyPairName`, 'cluster.capacity.keyPairName', 1, 'a string'),
  ok(`${EC2}.keyPairName pattern`, ['cluster.capacity.keyPairName', 'k']),
  no(`${EC2}.keyPairName pattern`, /^cluster\.capacity\.keyPairName: expected an EC2 key pair name: 1 to 255 printable ASCII characters, got `""`\. Fix the value\.$/, ['cluster.capacity.keyPairName', '']),
  ok(`${EC2}.keyPairName maxLength`, ['cluster.capacity.keyPairName', 'k'.repeat(255)]),
  no(`${EC2}.keyPairName maxLength`, /^cluster\.capacity\.keyPairName: a 256-character string must NOT have more than 255 characters \(an EC2 key pair name: 1 to 255 printable ASCII characters\)\. Fix the value\.$/, ['cluster.capacity.keyPairName', 'k'.repeat(256)]),
  ok(`${EC2}.keyPairName pattern`, ['cluster.capacity.keyPairName', 'ops key (2024) ~!@#$%^&*_+-=[]{}|;:\'",.<>/?`']),
  ...['tab\there', 'new\nline', 'bell\u0007', 'del\u007f', 'café'].map((v) =>
    no(`${EC2}.keyPairName pattern`, /^cluster\.capacity\.keyPairName: expected an EC2 key pair name: 1 to 255 printable ASCII characters, got /, ['cluster.capacity.keyPairName', v]),
  ),
  type(`${EC2}.minSize`, 'cluster.capacity.minSize', 1.5, 'an integer'),
  ...range(`${EC2}.minSize`, 'cluster.capacity.minSize', 0, 5000, ['cluster.capacity.maxSize', 5000]),
  type(`${EC2}.maxSize`, 'cluster.capacity.maxSize', '3', 'an integer'),
  ...range(`${EC2}.maxSize`, 'cluster.capacity.maxSize', 1, 5000, ['cluster.capacity.minSize', 0]),
  no(`${EC2}.maxSize maximum`, /^cluster\.capacity\.maxSize: 1e\+21 must be <= 5000/, ['cluster.capacity.maxSize', 1e21]),
  type(`${EC2}.ami`, 'cluster.capacity.ami', 'ami-0123456789abcdef0', 'an object'),
  // A union without a tag: a value that fits neither branch is reported against the field.
  type(`${EC2}.ami<imageId>`, 'cluster.capacity.ami', [], 'an object'),
  no(`${EC2}.ami<imageId> additionalProperties`, /^cluster\.capacity\.ami/, ['cluster.capacity.ami', { imageId: 'ami-0123456789abcdef0', colour: 'blue' }]),
  no(`${EC2}.ami<imageId> required(imageId)`, /^cluster\.capacity\.ami/, ['cluster.capacity.ami', {}]),
  no(`${EC2}.ami<imageId>.imageId type`, /^cluster\.capacity\.ami/, ['cluster.capacity.ami', { imageId: 7 }]),
  ...['ami-01234567', 'ami-0123456789abcdef0'].map((v) => ok(`${EC2}.ami<imageId>.imageId pattern`, ['cluster.capacity.ami', { imageId: v }])),
  ...['ami-0123', 'AMI-01234567', 'ami-0123456789abcdefg', 'ami-012345678'].map((v) => no(`${EC2}.ami<imageId>.imageId pattern`, /^cluster\.capacity\.ami/, ['cluster.capacity.ami', { imageId: v }])),
  type(`${EC2}.ami<ssmParameter>`, 'cluster.capacity.ami', 'x', 'an object'),
  no(`${EC2}.ami<ssmParameter> additionalProperties`, /^cluster\.capacity\.ami/, ['cluster.capacity.ami', { ssmParameter: '/golden/ami', colour: 'blue' }]),
  no(`${EC2}.ami<ssmParameter> required(ssmParameter)`, /^cluster\.capacity\.ami/, ['cluster.capacity.ami', { ssm: '/golden/ami' }]),
  no(`${EC2}.ami<ssmParameter>.ssmParameter type`, /^cluster\.capacity\.ami/, ['cluster.capacity.ami', { ssmParameter: ['/golden/ami'] }]),
  ...['/golden/ecs/ami', `/${'a'.repeat(1010)}`].map((v) => ok(`${EC2}.ami<ssmParameter>.ssmParameter pattern`, ['cluster.capacity.ami', { ssmParameter: v }])),
  ...['golden/ami', '/golden ami', `/${'a'.repeat(1011)}`, '/'].map((v) => no(`${EC2}.ami<ssmParameter>.ssmParameter pattern`, /^cluster\.capacity\.ami/, ['cluster.capacity.ami', { ssmParameter: v }])),
  type(`${EC2}.awsvpcTrunking`, 'cluster.capacity.awsvpcTrunking', 'yes', 'a boolean'),
  ok(`${EC2}.awsvpcTrunking type`, ['cluster.capacity.awsvpcTrunking', true]),
  type(`${EC2}.targetCapacityPercent`, 'cluster.capacity.targetCapacityPercent', 50.5, 'an integer'),
  ...range(`${EC2}.targetCapacityPercent`, 'cluster.capacity.targetCapacityPercent', 1, 100),
  type('cluster.capacity<fargate>', 'cluster.capacity', 1, 'an object', FARGATE),
  unknown('cluster.capacity<fargate>', 'cluster.capacity', FARGATE),
  missing('cluster.capacity<fargate>', 'cluster.capacity', 'type', FARGATE),
  no('cluster.capacity<fargate> additionalProperties', /^cluster\.capacity\.instanceTypes: unknown field `instanceTypes`/, FARGATE, ['cluster.capacity.instanceTypes', ['t3.medium']]),
  no('cluster.capacity<fargate>.type type', /^cluster\.capacity\.type: expected one of/, ['cluster.capacity', { type: ['fargate'] }]),
  ok('cluster.capacity<fargate>.type const', FARGATE),
  no('cluster.capacity<fargate>.type const', /^cluster\.capacity\.type: expected one of/, ['cluster.capacity', { type: 'Fargate' }]),
  type('cluster.capacity<fargate>.spotWeight', 'cluster.capacity.spotWeight', '1', 'an integer', FARGATE),
  ...range('cluster.capacity<fargate>.spotWeight', 'cluster.capacity.spotWeight', 0, 1000, FARGATE),

  // targets (stack-set rollouts)
  type('targets', 'targets', 'x', 'an object'),
  missing('targets', 'targets', 'permissionModel', SELF),
  no('targets discriminator', /^targets\.permissionModel: expected one of `"selfManaged"`, `"serviceManaged"`\. Set `permissionModel` to one of these\.$/, ['targets', { ...SELF[1] as object, permissionModel: 'both' }]),
  ...(['selfManaged', 'serviceManaged'] as const).flatMap((model) => {
    const base = model === 'selfManaged' ? SELF : SERVICE;
    const c = `targets<${model}>`;
    const list = model === 'selfManaged' ? 'accounts' : 'organizationalUnits';
    const good = model === 'selfManaged' ? ['111111111111'] : ['ou-ab12-cd345678', 'r-ab12'];
    const bad = model === 'selfManaged' ? ['1111', '11111111111a', 'a111111111111'] : ['ou-1', 'OU-ab12-cd345678', 'r-a'];
    const ops = `${c}.operationPreferences`;
    return [
      type(c, 'targets', 1, 'an object'),
      unknown(c, 'targets', base),
      ...['permissionModel', list, 'regions'].map((f) => missing(c, 'targets', f, base)),
      no(`${c}.permissionModel type`, /^targets\.permissionModel: expected one of/, base, ['targets.permissionModel', 1]),
      ok(`${c}.permissionModel const`, base),
      no(`${c}.permissionModel const`, /^targets\.permissionModel: expected one of/, base, ['targets.permissionModel', model.toUpperCase()]),
      type(`${c}.${list}`, `targets.${list}`, good[0], 'an array', base),
      ok(`${c}.${list} minItems`, base, [`targets.${list}`, good.slice(0, 1)]),
      no(`${c}.${list} minItems`, new RegExp(`^targets\\.${list}: \\[\\] must NOT have fewer than 1 items`), base, [`targets.${list}`, []]),
      no(`${c}.${list} uniqueItems`, new RegExp(`^targets\\.${list}: must NOT have duplicate items`), base, [`targets.${list}`, [good[0], good[0]]]),
      typeAt(`${c}.${list}[]`, `targets.${list}[0]`, 'a string', base, [`targets.${list}`, [1]]),
      ...good.map((v) => ok(`${c}.${list}[] pattern`, base, [`targets.${list}`, [v]])),
      ...bad.map((v) => no(`${c}.${list}[] pattern`, new RegExp(`^targets\\.${list}\\[0\\]: expected `), base, [`targets.${list}`, [v]])),
      type(`${c}.regions`, 'targets.regions', 'eu-west-1', 'an array', base),
      ok(`${c}.regions minItems`, base, ['targets.regions', ['eu-west-1']]),
      no(`${c}.regions minItems`, /^targets\.regions: \[\] must NOT have fewer than 1 items/, base, ['targets.regions', []]),
      no(`${c}.regions uniqueItems`, /^targets\.regions: must NOT have duplicate items/, base, ['targets.regions', ['eu-west-1', 'eu-west-1']]),
      typeAt(`${c}.regions[]`, 'targets.regions[0]', 'a string', base, ['targets.regions', [1]]),
      ...['eu-west-1', 'us-gov-west-1', 'ap-southeast-3'].map((v) => ok(`${c}.regions[] pattern`, base, ['targets.regions', [v]])),
      ...['EU-west-1', 'eu-west', 'euwest1'].map((v) => no(`${c}.regions[] pattern`, /^targets\.regions\[0\]: expected /, base, ['targets.regions', [v]])),
      type(ops, 'targets.operationPreferences', 1, 'an object', base),
      unknown(ops, 'targets.operationPreferences', base, ['targets.operationPreferences', {}]),
      type(`${ops}.regionConcurrencyType`, 'targets.operationPreferences.regionConcurrencyType', 1, 'a string', base),
      ...choices(`${ops}.regionConcurrencyType`, 'targets.operationPreferences.regionConcurrencyType', ['SEQUENTIAL', 'PARALLEL'], 'RANDOM', base),
      type(`${ops}.concurrencyMode`, 'targets.operationPreferences.concurrencyMode', 1, 'a string', base),
      ...choices(`${ops}.concurrencyMode`, 'targets.operationPreferences.concurrencyMode', ['STRICT_FAILURE_TOLERANCE', 'SOFT_FAILURE_TOLERANCE'], 'FAST', base),
      ...(['maxConcurrentPercentage', 'failureTolerancePercentage'] as const).flatMap((f) => [
        type(`${ops}.${f}`, `targets.operationPreferences.${f}`, '50', 'an integer', base),
        ...range(`${ops}.${f}`, `targets.operationPreferences.${f}`, f === 'maxConcurrentPercentage' ? 1 : 0, 100, base),
      ]),
      ...(model === 'selfManaged'
        ? (['administrationRoleName', 'executionRoleName'] as const).flatMap((f) => [
            type(`${c}.${f}`, `targets.${f}`, 1, 'a string', base),
            ...['AWSCloudFormationStackSetExecutionRole', 'a+b=c,d.e@f-g_h', 'r'.repeat(64)].map((v) => ok(`${c}.${f} pattern`, base, [`targets.${f}`, v])),
            ...['', 'with space', 'r'.repeat(65), 'slash/role'].map((v) => no(`${c}.${f} pattern`, new RegExp(`^targets\\.${f}: expected `), base, [`targets.${f}`, v])),
          ])
        : [
            type(`${c}.autoDeployment`, 'targets.autoDeployment', true, 'an object', base),
            unknown(`${c}.autoDeployment`, 'targets.autoDeployment', base, ['targets.autoDeployment', { enabled: true, retainStacksOnAccountRemoval: false }]),
            ...['enabled', 'retainStacksOnAccountRemoval'].map((f) => missing(`${c}.autoDeployment`, 'targets.autoDeployment', f, base, ['targets.autoDeployment', { enabled: true, retainStacksOnAccountRemoval: false }])),
            ...['enabled', 'retainStacksOnAccountRemoval'].map((f) => type(`${c}.autoDeployment.${f}`, `targets.autoDeployment.${f}`, 'yes', 'a boolean', base, ['targets.autoDeployment', { enabled: true, retainStacksOnAccountRemoval: false }])),
            type(`${c}.callAs`, 'targets.callAs', 1, 'a string', base),
            ...choices(`${c}.callAs`, 'targets.callAs', ['SELF', 'DELEGATED_ADMIN'], 'ADMIN', base),
          ]),
    ];
  }),

  // services
  type('services', 'services', [], 'an object'),
  ok('services type', ['services', {}]),
  type('services.*', 'services.web', 'x', 'an object'),
  unknown('services.*', 'services.web'),
  ...(['desiredCount', 'minCount', 'maxCount'] as const).flatMap((f) => [
    type(`services.*.${f}`, `services.web.${f}`, '1', 'an integer'),
    ...range(`services.*.${f}`, `services.web.${f}`, f === 'maxCount' ? 1 : 0, 5000, ['services.web', {}]),
  ]),
  type('services.*.enableExecuteCommand', 'services.web.enableExecuteCommand', 'on', 'a boolean'),
  ok('services.*.enableExecuteCommand type', ['services.web.enableExecuteCommand', true]),
  type('services.*.image', 'services.web.image', 1, 'a string'),
  ok('services.*.image minLength', ['services.web.image', 'x']),
  no('services.*.image minLength', /^services\.web\.image: "" must NOT have fewer than 1 characters/, ['services.web.image', '']),

  // stores (which stores exist, and which fields fit a store's kind, the build checks: test/data-stores.test.ts)
  type('stores', 'stores', [], 'an object'),
  ok('stores type', ['stores', {}]),
  type('stores.*', 'stores.appdb', 'x', 'an object'),
  unknown('stores.*', 'stores.appdb'),
  type('stores.*.minAcu', 'stores.appdb.minAcu', '1', 'a number'),
  ...range('stores.*.minAcu', 'stores.appdb.minAcu', 0, 256),
  type('stores.*.maxAcu', 'stores.appdb.maxAcu', '1', 'a number'),
  ...range('stores.*.maxAcu', 'stores.appdb.maxAcu', 1, 256),
  type('stores.*.instanceClass', 'stores.appdb.instanceClass', 1, 'a string'),
  ...['db.r7g.large', 'db.t4g.medium'].map((v) => ok('stores.*.instanceClass pattern', ['stores.appdb.instanceClass', v])),
  ...['r7g.large', 'db.serverless', 'db.R7G.large', 'db.r7g.large '].map((v) => no('stores.*.instanceClass pattern', /^stores\.appdb\.instanceClass: expected /, ['stores.appdb.instanceClass', v])),
  ...(['readers', 'backupRetentionDays'] as const).flatMap((f) => [
    type(`stores.*.${f}`, `stores.appdb.${f}`, '1', 'an integer'),
    ...range(`stores.*.${f}`, `stores.appdb.${f}`, f === 'readers' ? 0 : 1, f === 'readers' ? 15 : 35),
  ]),
  ...(['deletionProtection', 'performanceInsights'] as const).flatMap((f) => [type(`stores.*.${f}`, `stores.appdb.${f}`, 'yes', 'a boolean'), ok(`stores.*.${f} type`, [`stores.appdb.${f}`, false])]),
  ...(['readCapacityUnits', 'writeCapacityUnits'] as const).flatMap((f) => [type(`stores.*.${f}`, `stores.jobs.${f}`, '5', 'an integer'), ...range(`stores.*.${f}`, `stores.jobs.${f}`, 1, undefined)]),

  // operations (templates/settings/operations.ts), and each service's deployment and alarms
  type('operations', 'operations', [], 'an object'),
  unknown('operations', 'operations'),
  type('operations.notifications', 'operations.notifications', 'oncall@yourcompany.com', 'an object'),
  unknown('operations.notifications', 'operations.notifications'),
  ...(['emails', 'httpsEndpoints'] as const).flatMap((k) => {
    const c = `operations.notifications.${k}`;
    const max = k === 'emails' ? 50 : 20;
    const valid = (i: number) => (k === 'emails' ? `oncall${i}@yourcompany.com` : `https://hooks.yourcompany.com/${i}`);
    const all = (n: number) => Array.from({ length: n }, (_, i) => valid(i));
    return [
      type(c, c, valid(0), 'an array'),
      ok(`${c} maxItems`, [c, all(max)]),
      no(`${c} maxItems`, new RegExp(`^${esc(c)}: .* must NOT have more than ${max} items`), [c, all(max + 1)]),
      ok(`${c} uniqueItems`, [c, all(2)]),
      no(`${c} uniqueItems`, new RegExp(`^${esc(c)}: .*duplicate`), [c, [valid(0), valid(0)]]),
      typeAt(`${c}[]`, `${c}[1]`, 'a string', [c, [valid(0), 7]]),
      ok(`${c}[] pattern`, [c, [k === 'emails' ? 'first.last+alarms@mail.yourcompany.com' : 'https://events.pagerduty.com/integration/0123456789abcdef/enqueue']]),
      no(`${c}[] pattern`, new RegExp(`^${esc(c)}\\[0\\]: expected ${k === 'emails' ? 'an email address' : 'an https:// URL'}`), [c, [k === 'emails' ? 'oncall' : 'http://hooks.yourcompany.com/alarms']]),
      no(`${c}[] pattern`, new RegExp(`^${esc(c)}\\[0\\]: expected`), [c, [k === 'emails' ? 'on call@yourcompany.com' : 'https://hooks.yourcompany.com/a b']]),
    ];
  }),
  ...[['operations.webDeployment', 'operations.webDeployment'], ['services.*.deployment', 'services.web.deployment']].flatMap(([c, f]) => {
    const STRATEGIES = ['rolling', 'canary', 'linear', 'blueGreen'];
    const branch = (s: string, extra: Record<string, unknown> = {}): [string, unknown] => [f!, { strategy: s, ...extra }];
    return [
      type(c!, f!, 'canary', 'an object'),
      missing(c!, f!, 'strategy', branch('rolling')),
      no(`${c} discriminator`, new RegExp(`^${esc(f!)}\\.strategy: expected one of ${STRATEGIES.map((s) => `\`"${s}"\``).join(', ')}\\. Set \`strategy\` to one of these\\.$`), branch('fast')),
      ...STRATEGIES.flatMap((s) => {
        const b = `${c}<${s}>`;
        return [
          type(b, f!, [], 'an object'),
          unknown(b, f!, branch(s)),
          missing(b, f!, 'strategy', branch(s)),
          no(`${b}.strategy type`, new RegExp(`^${esc(f!)}\\.strategy: expected one of`), branch(s), [`${f}.strategy`, 1]),
          ok(`${b}.strategy const`, branch(s)),
          no(`${b}.strategy const`, new RegExp(`^${esc(f!)}\\.strategy: expected one of`), branch(s), [`${f}.strategy`, s.toUpperCase()]),
        ];
      }),
      // Each number: its type and bounds. A linear deployment's longest step bake takes one step
      // (stepPercent 100), or the whole would pass CloudFormation's 33 hours (checkOperations).
      ...(
        [
          ['canary', 'canaryPercent', 'a number', 0.1, 100, {}],
          ['canary', 'canaryBakeTimeMinutes', 'an integer', 0, 1440, {}],
          ['canary', 'bakeTimeMinutes', 'an integer', 0, 1440, {}],
          ['linear', 'stepPercent', 'a number', 3, 100, {}],
          ['linear', 'stepBakeTimeMinutes', 'an integer', 0, 1440, { stepPercent: 100 }],
          ['linear', 'bakeTimeMinutes', 'an integer', 0, 1440, {}],
          ['blueGreen', 'bakeTimeMinutes', 'an integer', 0, 1440, {}],
        ] as const
      ).flatMap(([s, field, expected, lowest, highest, extra]) => [
        type(`${c}<${s}>.${field}`, `${f}.${field}`, '5', expected, branch(s, extra)),
        ...range(`${c}<${s}>.${field}`, `${f}.${field}`, lowest, highest, branch(s, extra)),
      ]),
    ];
  }),
  ...[['operations.alarms', 'operations.alarms'], ['services.*.alarms', 'services.web.alarms']].flatMap(([c, f]) => [
    type(c!, f!, 90, 'an object'),
    unknown(c!, f!),
    ...(
      [
        ['targetErrorRatePercent', 'a number', 0.1, 100],
        ['responseTimeP99Seconds', 'a number', 0.01, 4000],
        ['unhealthyTargets', 'an integer', 1, 1000],
        ['cpuPercent', 'a number', 1, 100],
        ['memoryPercent', 'a number', 1, 100],
        ['oldestMessageAgeSeconds', 'an integer', 60, 1_209_600],
        ...(c === 'operations.alarms' ? [['loadBalancerErrorRatePercent', 'a number', 0.1, 100] as const] : []),
      ] as const
    ).flatMap(([field, expected, lowest, highest]) => [type(`${c}.${field}`, `${f}.${field}`, '5', expected), ...range(`${c}.${field}`, `${f}.${field}`, lowest, highest)]),
  ]),
  type('operations.rollbackMonitoringMinutes', 'operations.rollbackMonitoringMinutes', '10', 'an integer'),
  ...range('operations.rollbackMonitoringMinutes', 'operations.rollbackMonitoringMinutes', 0, 180),
];
