import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { schemaText } from '../scripts/gen-schema.ts';
import { BerthError } from '../src/dsl/errors.ts';
import { carveSubnets, loadSettings, SETTINGS_SCHEMA, type Settings } from '../templates/settings/settings.ts';
import { parseCidr } from '../src/settings/cidr.ts';
import { berth, ROOT, sandbox } from './_helpers.ts';

const DEV = JSON.parse(readFileSync(join(ROOT, 'templates/environments/dev.json'), 'utf8')) as Record<string, any>;

/** Writes `dev.json` (or `name`.json) with `mutate` applied to a copy of the real dev settings. */
function settingsFile(mutate: (s: Record<string, any>) => void, name = 'dev', raw?: string): string {
  const s = structuredClone(DEV);
  mutate(s);
  const file = join(mkdtempSync(join(tmpdir(), 'berth-settings-')), `${name}.json`);
  writeFileSync(file, raw ?? JSON.stringify(s, null, 2));
  return file;
}

function fails(mutate: (s: Record<string, any>) => void, expected: RegExp, name?: string, raw?: string): void {
  const file = settingsFile(mutate, name, raw);
  assert.throws(
    () => loadSettings(file),
    (e: unknown) => {
      assert.ok(e instanceof BerthError, `expected a BerthError, got ${String(e)}`);
      assert.ok(e.message.startsWith(`${file}: `), `message names the file: ${e.message}`);
      assert.match(e.message, expected);
      return true;
    },
  );
}

test('every environment file is valid and names itself', () => {
  for (const env of ['dev', 'prod']) {
    const s = loadSettings(join(ROOT, 'templates/environments', `${env}.json`));
    assert.equal(s.name, env);
  }
});

test('the published JSON Schema is current and accepts every environment file', () => {
  assert.equal(readFileSync(join(ROOT, 'templates/settings/settings.schema.json'), 'utf8'), schemaText(), 'run `make schema`');
  const validate = new Ajv({ strict: true, strictRequired: false, discriminator: true }).compile<Settings>(SETTINGS_SCHEMA);
  for (const env of ['dev', 'prod']) assert.ok(validate(JSON.parse(readFileSync(join(ROOT, `templates/environments/${env}.json`), 'utf8'))), JSON.stringify(validate.errors));
});

test('subnets are carved from the VPC block, tier by tier', () => {
  assert.deepEqual(carveSubnets(parseCidr('10.0.0.0/16')!, 3), {
    public: ['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/20'],
    application: ['10.0.64.0/20', '10.0.80.0/20', '10.0.96.0/20'],
    database: ['10.0.128.0/20', '10.0.144.0/20', '10.0.160.0/20'],
  });
});

test('explicit subnets are used as given', () => {
  const file = settingsFile((s) => {
    s.network.subnets = { public: ['10.10.0.0/24', '10.10.1.0/24'], application: ['10.10.10.0/24', '10.10.11.0/24'], database: ['10.10.20.0/24', '10.10.21.0/24'] };
  });
  assert.deepEqual(loadSettings(file).network.subnets.application, ['10.10.10.0/24', '10.10.11.0/24']);
});

test('fails when the file is not valid JSON', () => fails(() => {}, /is not valid JSON: .*Fix the syntax/, 'dev', '{ "name": "dev", }'));
test('fails when a required field is missing', () => fails((s) => delete s.network.vpcCidr, /: network: the required field `vpcCidr` is missing/));
test('fails when a field is unknown', () => fails((s) => (s.network.natGateway = 'single'), /: network\.natGateway: unknown field `natGateway`\. Remove it or fix its spelling/));
test('fails when a choice is not one of the allowed values', () => fails((s) => (s.network.natGateways = 'two'), /: network\.natGateways: expected one of `"none"`, `"single"`, `"onePerAz"`/));
test('fails when a field has the wrong type', () => fails((s) => (s.network.flowLogRetentionDays = '30'), /: network\.flowLogRetentionDays: expected an integer/));
test('fails when there are 4 availability zones', () => fails((s) => (s.network.availabilityZones = 4), /: network\.availabilityZones: expected one of `2`, `3`/));
test('fails when the VPC CIDR is not a CIDR', () => fails((s) => (s.network.vpcCidr = '10.0.0.0'), /: network\.vpcCidr: expected an IPv4 CIDR block such as 10\.0\.0\.0\/16, got `"10\.0\.0\.0"`/));
test('fails when the VPC CIDR has an octet over 255', () => fails((s) => (s.network.vpcCidr = '10.0.0.300/16'), /: network\.vpcCidr: `10\.0\.0\.300\/16` is not a valid IPv4 CIDR block/));
test('fails when the VPC CIDR has host bits set', () => fails((s) => (s.network.vpcCidr = '10.0.0.1/16'), /: network\.vpcCidr: `10\.0\.0\.1\/16` is not a valid IPv4 CIDR block .*no host bits set/));
test('fails when the VPC is too small for nine subnets', () => fails((s) => (s.network.vpcCidr = '10.0.0.0/26'), /: network\.vpcCidr: `10\.0\.0\.0\/26` has prefix \/26; berth needs \/16 to \/24/));
test('fails when a subnet is outside the VPC', () =>
  fails((s) => {
    s.network.subnets = { public: ['10.10.0.0/24', '10.99.1.0/24'], application: ['10.10.10.0/24', '10.10.11.0/24'], database: ['10.10.20.0/24', '10.10.21.0/24'] };
  }, /: network\.subnets\.public\[1\]: `10\.99\.1\.0\/24` is not inside the VPC block `10\.10\.0\.0\/16`/));
test('fails when subnets overlap', () =>
  fails((s) => {
    s.network.subnets = { public: ['10.10.0.0/24', '10.10.1.0/24'], application: ['10.10.0.0/23', '10.10.11.0/24'], database: ['10.10.20.0/24', '10.10.21.0/24'] };
  }, /: network\.subnets\.application\[0\]: `10\.10\.0\.0\/23` overlaps network\.subnets\.public\[0\] \(`10\.10\.0\.0\/24`\)/));
test('fails when a tier has fewer subnets than availability zones', () =>
  fails((s) => {
    s.network.availabilityZones = 3;
    s.network.subnets = { public: ['10.10.0.0/24', '10.10.1.0/24', '10.10.2.0/24'], application: ['10.10.10.0/24', '10.10.11.0/24'], database: ['10.10.20.0/24', '10.10.21.0/24', '10.10.22.0/24'] };
  }, /: network\.subnets\.application: has 2 CIDR blocks but `network\.availabilityZones` is 3/));
test('fails when a subnet is smaller than /28', () =>
  fails((s) => {
    s.network.subnets = { public: ['10.10.0.0/29', '10.10.1.0/24'], application: ['10.10.10.0/24', '10.10.11.0/24'], database: ['10.10.20.0/24', '10.10.21.0/24'] };
  }, /: network\.subnets\.public\[0\]: `10\.10\.0\.0\/29` is smaller than \/28/));
test('fails when the name does not match the file', () => fails((s) => (s.name = 'prod'), /: name: is `prod` but the file is `dev\.json`/));
test('fails when plain HTTP is not explicitly allowed', () => fails((s) => delete s.loadBalancer.listener.allowPlainHttp, /: loadBalancer\.listener: the required field `allowPlainHttp` is missing/));
test('fails when the listener protocol is unknown', () => fails((s) => (s.loadBalancer.listener = { protocol: 'tcp' }), /: loadBalancer\.listener\.protocol: expected one of `"https"`, `"http"`/));
test('fails when HTTPS has no certificate', () => fails((s) => (s.loadBalancer.listener = { protocol: 'https' }), /: loadBalancer\.listener: the required field `certificate` is missing/));
test('fails when dual stack is asked for without IPv6 in the network', () =>
  fails((s) => (s.loadBalancer.dns = { domainName: 'app.example.com', hostedZoneId: 'Z0123456789EXAMPLE0000', dualStack: true }), /: loadBalancer\.dns\.dualStack: is true, but a dual-stack load balancer needs IPv6 in its public subnets\. Set `network\.ipv6` to true/));
test('fails when EC2 instance types mix architectures', () =>
  fails((s) => (s.cluster.capacity.instanceTypes = ['t3.medium', 't4g.medium']), /: cluster\.capacity\.instanceTypes\[1\]: `t4g\.medium` is arm64 \(Graviton\) but `t3\.medium` is x86_64; .*Pick types of the same architecture\./));
test('fails when EC2 instance types are listed twice', () =>
  fails((s) => (s.cluster.capacity.instanceTypes = ['t3.medium', 't3.medium']), /: cluster\.capacity\.instanceTypes: /));
// ECS managed scaling owns the instance count: the settings have no desired count any more.
test('fails when EC2 capacity sets desiredCapacity', () => fails((s) => (s.cluster.capacity.desiredCapacity = 2), /: cluster\.capacity\.desiredCapacity: unknown field `desiredCapacity`\. Remove it/));
test('fails when a service override has minCount above maxCount', () => fails((s) => (s.services.web = { minCount: 3, maxCount: 2 }), /: services\.web: minCount \(3\) is above maxCount \(2\)/));

test('fails when `make build` meets a broken settings file: one located line, exit 1, output/ untouched', () => {
  const dir = sandbox();
  const envFile = join(dir, 'templates/environments/prod.json');
  const prod = JSON.parse(readFileSync(envFile, 'utf8'));
  prod.network.vpcCidr = '10.20.0.0/33';
  writeFileSync(envFile, JSON.stringify(prod));
  const before = ['dev', 'prod'].map((e) => join(dir, 'output', e, 'network.yaml')).map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs]);
  const r = berth(dir, 'build');
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'error: templates/environments/prod.json: network.vpcCidr: `10.20.0.0/33` is not a valid IPv4 CIDR block (octets 0-255, prefix 0-32, no host bits set). Use a block such as `10.0.0.0/16`.\n');
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  const after = ['dev', 'prod'].map((e) => join(dir, 'output', e, 'network.yaml')).map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs]);
  assert.deepEqual(after, before, 'output/ left exactly as it was (dev included, although dev is valid)');
});

const SELF_MANAGED = { permissionModel: 'selfManaged', accounts: ['111111111111', '222222222222'], regions: ['eu-west-1', 'us-east-1'], operationPreferences: { regionConcurrencyType: 'SEQUENTIAL', maxConcurrentPercentage: 50, failureTolerancePercentage: 0, concurrencyMode: 'SOFT_FAILURE_TOLERANCE' } };
const SERVICE_MANAGED = { permissionModel: 'serviceManaged', organizationalUnits: ['ou-ab12-cd345678', 'r-ab12'], regions: ['eu-west-1'], autoDeployment: { enabled: true, retainStacksOnAccountRemoval: false } };

test('targets: self-managed accounts or service-managed organisational units, Regions in order, operation preferences', () => {
  assert.deepEqual(loadSettings(settingsFile((s) => (s.targets = SELF_MANAGED))).targets, SELF_MANAGED);
  assert.deepEqual(loadSettings(settingsFile((s) => (s.targets = SERVICE_MANAGED))).targets, SERVICE_MANAGED);
});

test('fails when targets are malformed, naming the field', () => {
  fails((s) => (s.targets = { ...SELF_MANAGED, accounts: ['1234'] }), /targets\/accounts\/0|targets\.accounts\[0\]/);
  fails((s) => (s.targets = { ...SELF_MANAGED, regions: [] }), /targets\.regions/);
  fails((s) => (s.targets = { ...SELF_MANAGED, regions: ['eu-west-1', 'eu-west-1'] }), /targets\.regions/);
  fails((s) => (s.targets = { ...SELF_MANAGED, operationPreferences: { maxConcurrentPercentage: 0 } }), /targets\.operationPreferences\.maxConcurrentPercentage/);
  fails((s) => (s.targets = { ...SELF_MANAGED, operationPreferences: { concurrencyMode: 'FAST' } }), /targets\.operationPreferences\.concurrencyMode/);
  fails((s) => (s.targets = { ...SERVICE_MANAGED, organizationalUnits: ['ou-1'] }), /targets\.organizationalUnits\[0\]/);
  // Organisational units belong to service-managed permissions only.
  fails((s) => (s.targets = { ...SELF_MANAGED, organizationalUnits: ['ou-ab12-cd345678'] }), /targets/);
});

test('fails when a target Region cannot use a value that names one Region, or every instance would write one DNS record', () => {
  const https = { protocol: 'https', certificate: { source: 'existing', certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000' } };
  fails((s) => ((s.loadBalancer.listener = https), (s.targets = SELF_MANAGED)), /loadBalancer\.listener\.certificate: names an ACM certificate in `eu-west-1`, but `targets\.regions` includes `us-east-1`/);
  fails((s) => ((s.cluster.capacity.ami = { imageId: 'ami-0123456789abcdef0' }), (s.targets = SELF_MANAGED)), /cluster\.capacity\.ami\.imageId: pins one AMI ID/);
  fails((s) => ((s.loadBalancer.dns = { domainName: 'app.example.com', hostedZoneId: 'Z0123456789EXAMPLE0000' }), (s.targets = SELF_MANAGED)), /loadBalancer\.dns: would make every stack instance write the record/);
  // One account in one Region may keep them.
  loadSettings(settingsFile((s) => ((s.loadBalancer.listener = https), (s.targets = { ...SELF_MANAGED, accounts: ['111111111111'], regions: ['eu-west-1'] }))));
});

test('fails when a target Region lacks a resource type of the environment, naming the Region, the type and the template', () => {
  const r = berth(sandboxWith((s) => (s.targets = { ...SELF_MANAGED, regions: ['eu-west-1', 'ap-east-2'] })), 'build', '--env', 'dev', '--quiet');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^error: templates\/environments\/dev\.json: targets\.regions\[1\]: `ap-east-2` has no AWS::ServiceCatalog::CloudFormationProduct \(service-catalog\.yaml\), AWS::ServiceCatalog::LaunchRoleConstraint/);
  const typo = berth(sandboxWith((s) => (s.targets = { ...SELF_MANAGED, regions: ['eu-west-9'] })), 'build', '--env', 'dev', '--quiet');
  assert.match(typo.stderr, /^error: templates\/environments\/dev\.json: targets\.regions\[0\]: `eu-west-9` is not an AWS Region CloudFormation knows/);
});

test('the Region table is what `make regions` generates from the pinned cfn-lint', async () => {
  const { generate, REGIONS_FILE } = await import('../scripts/gen-regions.ts');
  assert.equal(readFileSync(join(ROOT, REGIONS_FILE), 'utf8'), generate());
  const { REGIONS_WITHOUT } = await import('../src/dsl/regions.generated.ts');
  // Service Catalog is missing in four commercial Regions of the pinned schemas.
  assert.deepEqual(REGIONS_WITHOUT['AWS::ServiceCatalog::Portfolio'], ['ap-east-2', 'ap-southeast-5', 'ap-southeast-7', 'mx-central-1']);
});

/** A sandbox of the repository whose dev settings are changed by `mutate`. */
function sandboxWith(mutate: (s: Record<string, any>) => void): string {
  const dir = sandbox();
  const s = structuredClone(DEV);
  mutate(s);
  writeFileSync(join(dir, 'templates/environments/dev.json'), JSON.stringify(s, null, 2));
  return dir;
}
