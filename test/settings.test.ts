import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { carveSubnets, loadSettings } from '../templates/settings/settings.ts';
import { parseCidr } from '../src/settings/cidr.ts';
import { estate } from '../templates/estate.ts';
import { berth, ROOT, sandbox, tempDir } from './_helpers.ts';

/** A fixture copy of an environment file (test/fixtures/settings/dev.json), so the user's own settings can change freely. */
const DEV = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/settings/dev.json'), 'utf8')) as Record<string, any>;

/** Writes `dev.json` (or `name`.json) with `mutate` applied to a copy of the real dev settings. */
function settingsFile(mutate: (s: Record<string, any>) => void, name = 'dev', raw?: string): string {
  const s = structuredClone(DEV);
  mutate(s);
  const file = join(tempDir('settings'), `${name}.json`);
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
  for (const env of estate.environments) {
    const s = loadSettings(join(ROOT, 'templates/environments', `${env}.json`));
    assert.equal(s.name, env);
  }
});

test('subnets are carved from the VPC block, tier by tier, a sixteenth each', () => {
  assert.deepEqual(carveSubnets(parseCidr('10.0.0.0/16')!, 3), {
    public: ['10.0.0.0/20', '10.0.16.0/20', '10.0.32.0/20'],
    application: ['10.0.64.0/20', '10.0.80.0/20', '10.0.96.0/20'],
    database: ['10.0.128.0/20', '10.0.144.0/20', '10.0.160.0/20'],
  });
  assert.deepEqual(carveSubnets(parseCidr('192.168.4.0/22')!, 2), {
    public: ['192.168.4.0/26', '192.168.4.64/26'],
    application: ['192.168.5.0/26', '192.168.5.64/26'],
    database: ['192.168.6.0/26', '192.168.6.64/26'],
  });
});

test('fails when the name does not match the file', () => fails((s) => (s.name = 'prod'), /: name: is `prod` but the file is `dev\.json`\. Set `name` to `dev` or rename the file\.$/));

// The VPC block: valid, canonical, outside reserved ranges, /16 to /24.
test('fails when the VPC CIDR is not a CIDR', () => fails((s) => (s.network.vpcCidr = '10.0.0.0'), /: network\.vpcCidr: expected an IPv4 CIDR block such as 10\.0\.0\.0\/16, got `"10\.0\.0\.0"`/));
test('fails when the VPC CIDR has an octet over 255', () => fails((s) => (s.network.vpcCidr = '10.0.0.256/16'), /: network\.vpcCidr: `10\.0\.0\.256\/16` is not a valid IPv4 CIDR block: octet `256` is over 255\. Use a block such as `10\.0\.0\.0\/16`\.$/));
test('fails when the VPC CIDR has a prefix over 32', () => fails((s) => (s.network.vpcCidr = '10.20.0.0/33'), /: network\.vpcCidr: `10\.20\.0\.0\/33` is not a valid IPv4 CIDR block: prefix \/33 is over 32\./));
test('fails when the VPC CIDR has host bits set, naming the block meant', () => fails((s) => (s.network.vpcCidr = '10.0.0.1/16'), /: network\.vpcCidr: `10\.0\.0\.1\/16` is not a valid IPv4 CIDR block: host bits are set\. Write `10\.0\.0\.0\/16` if that is the block meant\.$/));
test('fails when the VPC CIDR has a leading zero (octal to some tools)', () => {
  fails((s) => (s.network.vpcCidr = '010.10.0.0/16'), /: network\.vpcCidr: `010\.10\.0\.0\/16` is not a valid IPv4 CIDR block: `010` has a leading zero, which some tools read as octal\. Write `10\.10\.0\.0\/16` if that is the block meant\.$/);
  fails((s) => (s.network.vpcCidr = '10.10.0.0/08'), /`08` has a leading zero, which some tools read as octal\. Use a block such as/);
  fails((s) => (s.network.vpcCidr = '10.10.00.0/16'), /`00` has a leading zero/);
});
for (const [cidr, range, name] of <[string, string, string][]>[
  ['0.0.0.0/16', '0.0.0.0/8', '"this network"'],
  ['127.0.0.0/16', '127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', '169.254.0.0/16', 'link-local'],
  ['224.0.0.0/16', '224.0.0.0/4', 'multicast'],
  ['239.255.0.0/16', '224.0.0.0/4', 'multicast'],
  ['240.0.0.0/16', '240.0.0.0/4', 'reserved for future use'],
  ['255.255.255.0/24', '240.0.0.0/4', 'reserved for future use'],
]) {
  test(`fails when the VPC CIDR ${cidr} is in the reserved range ${range} (${name})`, () =>
    fails((s) => (s.network.vpcCidr = cidr), new RegExp(`: network\\.vpcCidr: \`${cidr.replace(/\./g, '\\.')}\` overlaps \`${range.replace(/\./g, '\\.')}\`, ${name.replace(/"/g, '"')}.*, which no VPC can use\\. Use a private block \\(RFC 1918\\) such as \`10\\.0\\.0\\.0/16\`\\.$`)));
}
test('the ranges next to reserved ones are fine (1.0.0.0/16, 126.255.0.0/16, 169.253.0.0/16, 223.255.0.0/16)', () => {
  for (const cidr of ['1.0.0.0/16', '126.255.0.0/16', '169.253.0.0/16', '169.255.0.0/16', '223.255.0.0/16']) assert.equal(loadSettings(settingsFile((s) => (s.network.vpcCidr = cidr))).network.vpcCidr, cidr);
});
test('fails when the VPC CIDR overlaps Docker\'s bridge network 172.17.0.0/16', () => {
  fails((s) => (s.network.vpcCidr = '172.17.0.0/16'), /: network\.vpcCidr: `172\.17\.0\.0\/16` overlaps `172\.17\.0\.0\/16`, the Docker bridge network of every ECS container instance/);
  fails((s) => (s.network.vpcCidr = '172.17.128.0/24'), /`172\.17\.128\.0\/24` overlaps `172\.17\.0\.0\/16`/);
  assert.ok(loadSettings(settingsFile((s) => (s.network.vpcCidr = '172.16.0.0/16'))));
  assert.ok(loadSettings(settingsFile((s) => (s.network.vpcCidr = '172.18.0.0/16'))));
});
test('fails when the VPC is too large or too small for nine subnets: /16 to /24', () => {
  fails((s) => (s.network.vpcCidr = '10.0.0.0/15'), /: network\.vpcCidr: `10\.0\.0\.0\/15` has prefix \/15; berth needs \/16 to \/24 \(AWS allows \/16 to \/28, and nine subnets must fit\)\./);
  fails((s) => (s.network.vpcCidr = '10.0.0.0/25'), /: network\.vpcCidr: `10\.0\.0\.0\/25` has prefix \/25; berth needs \/16 to \/24/);
  assert.deepEqual(loadSettings(settingsFile((s) => (s.network.vpcCidr = '10.0.0.0/24'))).network.subnets.public, ['10.0.0.0/28', '10.0.0.16/28']);
});

// Subnets.
const SUBNETS = { public: ['10.10.0.0/24', '10.10.1.0/24'], application: ['10.10.10.0/24', '10.10.11.0/24'], database: ['10.10.20.0/24', '10.10.21.0/24'] };
const withSubnets = (tier: 'public' | 'application' | 'database', list: string[]) => (s: Record<string, any>) => (s.network.subnets = { ...SUBNETS, [tier]: list });
test('explicit subnets are used as given, and the settings come back resolved with their file', () => {
  const file = settingsFile((s) => (s.network.subnets = SUBNETS));
  const resolved = loadSettings(file);
  assert.deepEqual(resolved.network.subnets, SUBNETS);
  assert.equal(resolved.file, file);
  assert.equal(resolved.network.vpcCidr, '10.10.0.0/16');
});
test('fails when a subnet is not a valid CIDR block, with the reason', () => {
  fails(withSubnets('database', ['10.10.20.0/24', '10.10.21.1/24']), /: network\.subnets\.database\[1\]: `10\.10\.21\.1\/24` is not a valid IPv4 CIDR block: host bits are set\. Write `10\.10\.21\.0\/24` if that is the block meant\.$/);
  fails(withSubnets('public', ['10.10.00.0/24', '10.10.1.0/24']), /: network\.subnets\.public\[0\]: .*`00` has a leading zero/);
  fails(withSubnets('public', ['10.10.0.0/24', '10.10.1.0/33']), /: network\.subnets\.public\[1\]: .*prefix \/33 is over 32\. Use a block such as `10\.0\.16\.0\/20`\.$/);
});
test('fails when a subnet is outside the VPC, even by one block at either end', () => {
  fails(withSubnets('public', ['10.10.0.0/24', '10.99.1.0/24']), /: network\.subnets\.public\[1\]: `10\.99\.1\.0\/24` is not inside the VPC block `10\.10\.0\.0\/16`\. Choose a block within it, or widen `network\.vpcCidr`\.$/);
  fails(withSubnets('public', ['10.11.0.0/24', '10.10.1.0/24']), /: network\.subnets\.public\[0\]: `10\.11\.0\.0\/24` is not inside the VPC block/);
  fails(withSubnets('public', ['10.9.255.0/24', '10.10.1.0/24']), /: network\.subnets\.public\[0\]: `10\.9\.255\.0\/24` is not inside/);
  fails(withSubnets('public', ['10.10.0.0/15', '10.10.1.0/24']), /: network\.subnets\.public\[0\]: `10\.10\.0\.0\/15` is not inside/);
  assert.ok(loadSettings(settingsFile(withSubnets('public', ['10.10.0.0/24', '10.10.255.0/24']))), 'the last block of the VPC is inside');
});
test('fails when subnets overlap, within a tier or across tiers, naming both', () => {
  fails(withSubnets('application', ['10.10.0.0/23', '10.10.11.0/24']), /: network\.subnets\.application\[0\]: `10\.10\.0\.0\/23` overlaps network\.subnets\.public\[0\] \(`10\.10\.0\.0\/24`\)\. Subnets must not overlap: choose another block\.$/);
  fails(withSubnets('public', ['10.10.0.0/24', '10.10.0.128/25']), /: network\.subnets\.public\[1\]: `10\.10\.0\.128\/25` overlaps network\.subnets\.public\[0\] \(`10\.10\.0\.0\/24`\)/);
  fails(withSubnets('database', ['10.10.20.0/24', '10.10.11.0/24']), /: network\.subnets\.database\[1\]: `10\.10\.11\.0\/24` overlaps network\.subnets\.application\[1\]/);
  assert.ok(loadSettings(settingsFile(withSubnets('public', ['10.10.0.0/25', '10.10.0.128/25']))), 'adjacent blocks do not overlap');
});
test('fails when a tier has more or fewer subnets than availability zones', () => {
  fails((s) => {
    s.network.availabilityZones = 3;
    s.network.subnets = { public: ['10.10.0.0/24', '10.10.1.0/24', '10.10.2.0/24'], application: ['10.10.10.0/24', '10.10.11.0/24'], database: ['10.10.20.0/24', '10.10.21.0/24', '10.10.22.0/24'] };
  }, /: network\.subnets\.application: has 2 CIDR blocks but `network\.availabilityZones` is 3\. Give one block per Availability Zone\.$/);
  fails(withSubnets('database', ['10.10.20.0/24', '10.10.21.0/24', '10.10.22.0/24']), /: network\.subnets\.database: has 3 CIDR blocks but `network\.availabilityZones` is 2/);
});
test('fails when a subnet is smaller than /28; /28 is fine', () => {
  fails(withSubnets('public', ['10.10.0.0/29', '10.10.1.0/24']), /: network\.subnets\.public\[0\]: `10\.10\.0\.0\/29` is smaller than \/28, the smallest subnet AWS allows\. Use a \/28 or larger block\.$/);
  assert.ok(loadSettings(settingsFile(withSubnets('public', ['10.10.0.0/28', '10.10.1.0/24']))));
});

// Load balancer, cluster, services.
test('fails when dual stack is asked for without IPv6 in the network; with IPv6, or without dual stack, it is fine', () => {
  const dns = { domainName: 'app.example.com', hostedZoneId: 'Z0123456789EXAMPLE0000' };
  fails((s) => (s.loadBalancer.dns = { ...dns, dualStack: true }), /: loadBalancer\.dns\.dualStack: is true, but a dual-stack load balancer needs IPv6 in its public subnets\. Set `network\.ipv6` to true, or remove `dualStack` \(an A record is still written\)\.$/);
  fails((s) => ((s.loadBalancer.dns = { ...dns, dualStack: true }), (s.network.ipv6 = false)), /loadBalancer\.dns\.dualStack: is true/);
  assert.ok(loadSettings(settingsFile((s) => ((s.loadBalancer.dns = { ...dns, dualStack: true }), (s.network.ipv6 = true)))));
  assert.ok(loadSettings(settingsFile((s) => (s.loadBalancer.dns = { ...dns, dualStack: false }))));
});
test('fails when EC2 instance types mix architectures, naming the first that differs', () => {
  fails((s) => (s.cluster.capacity.instanceTypes = ['t3.medium', 't4g.medium']), /: cluster\.capacity\.instanceTypes\[1\]: `t4g\.medium` is arm64 \(Graviton\) but `t3\.medium` is x86_64; the instances share one AMI, so all types must have one architecture\. Pick types of the same architecture\.$/);
  fails((s) => (s.cluster.capacity.instanceTypes = ['m7g.large', 'c7g.large', 'm6i.large']), /: cluster\.capacity\.instanceTypes\[2\]: `m6i\.large` is x86_64 but `m7g\.large` is arm64 \(Graviton\);/);
  assert.ok(loadSettings(settingsFile((s) => (s.cluster.capacity.instanceTypes = ['m7g.large', 'c7g.large']))));
});
test('fails when EC2 instance types are listed twice', () => fails((s) => (s.cluster.capacity.instanceTypes = ['t3.medium', 't3.medium']), /: cluster\.capacity\.instanceTypes: /));
// ECS managed scaling owns the instance count: the settings have no desired count any more.
test('fails when EC2 capacity sets desiredCapacity', () => fails((s) => (s.cluster.capacity.desiredCapacity = 2), /: cluster\.capacity\.desiredCapacity: unknown field `desiredCapacity`\. Remove it/));
test('Fargate capacity has no instance checks', () => {
  const r = loadSettings(settingsFile((s) => (s.cluster.capacity = { type: 'fargate', spotWeight: 2 })));
  assert.deepEqual(r.cluster.capacity, { type: 'fargate', spotWeight: 2 });
});
test('fails when a service override has minCount above maxCount; equal, or one of them alone, is fine', () => {
  fails((s) => (s.services.web = { minCount: 3, maxCount: 2 }), /: services\.web: minCount \(3\) is above maxCount \(2\)\. Make minCount <= maxCount\.$/);
  fails((s) => (s.services.worker = { minCount: 5, maxCount: 4 }), /: services\.worker: minCount \(5\) is above maxCount \(4\)/);
  for (const o of [{ minCount: 2, maxCount: 2 }, { minCount: 9 }, { maxCount: 1 }, {}]) assert.ok(loadSettings(settingsFile((s) => (s.services.web = o))), JSON.stringify(o));
  assert.ok(loadSettings(settingsFile((s) => delete s.services)));
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
  const { generate, REGIONS_FILE } = await import('../scripts/gen-region-types.ts');
  assert.equal(readFileSync(join(ROOT, REGIONS_FILE), 'utf8'), generate());
  const { REGIONS_WITHOUT } = await import('../src/dsl/regions.generated.ts');
  // Service Catalog is missing in four commercial Regions of the pinned schemas.
  assert.deepEqual(REGIONS_WITHOUT['AWS::ServiceCatalog::Portfolio'], ['ap-east-2', 'ap-southeast-5', 'ap-southeast-7', 'mx-central-1']);
});

/** A sandbox of the repository whose dev settings are changed by `mutate`. */
function sandboxWith(mutate: (s: Record<string, any>) => void): string {
  const dir = sandbox();
  const s = JSON.parse(readFileSync(join(dir, 'templates/environments/dev.json'), 'utf8')) as Record<string, any>;
  mutate(s);
  writeFileSync(join(dir, 'templates/environments/dev.json'), JSON.stringify(s, null, 2));
  return dir;
}
