// The cluster's capacity: the instance-type table, the AMI setting, and the build's density check
// (each EC2 service's peak fits maxSize instances by CPU, memory and awsvpc network interfaces).
// Run: node --import tsx --test test/capacity.test.ts
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { toPlain } from '../src/emit/plain.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { cluster } from '../templates/stacks/cluster.ts';
import { checkDensity, peakTasks } from '../templates/stacks/service/density.ts';
import type { ServiceDefinition } from '../templates/stacks/service/definition.ts';
import { awsvpcTasksPerInstance, cpuUnits, INSTANCE_TYPES, usableMemoryMiB } from '../templates/settings/instance-types.ts';
import { checkSettings, loadSettings, type Ec2CapacitySettings, type ResolvedSettings, type Settings } from '../templates/settings/settings.ts';
import { web } from './fixtures/services/web.ts';
import { worker } from './fixtures/services/worker.ts';

const prod = loadSettings('test/fixtures/settings/prod.json');
const withEc2 = (s: ResolvedSettings, cap: Partial<Ec2CapacitySettings>): ResolvedSettings => ({ ...s, cluster: { ...s.cluster, capacity: { ...(s.cluster.capacity as Ec2CapacitySettings), ...cap } } });
const bare = (s: ResolvedSettings): ResolvedSettings => ({ ...s, services: {} });
/** A web service on EC2 with a fixed peak: `maxCount` tasks, deployments at `maximumPercent`. */
const webAt = (maxCount: number, extra: Partial<ServiceDefinition> = {}): ServiceDefinition => ({
  ...web,
  ...extra,
  role: { ...(web.role as Extract<ServiceDefinition['role'], { kind: 'web' }>), scaling: { minCount: 1, maxCount, target: { metric: 'cpu', percent: 60 } } },
});
const fails = (f: () => unknown, where: string, fragment: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof BerthError && e.where === where && fragment.test(e.problem) && !e.message.includes('\n'));

test('the table: .large Nitro types run 2 awsvpc tasks without trunking and their trunk limit with it', () => {
  const m6i = INSTANCE_TYPES.get('m6i.large')!;
  assert.deepEqual([m6i.vcpus, m6i.memoryGiB, m6i.maxEnis, m6i.trunkTaskLimit, m6i.architecture], [2, 8, 3, 10, 'x86_64']);
  assert.equal(awsvpcTasksPerInstance(m6i, false), 2);
  assert.equal(awsvpcTasksPerInstance(m6i, true), 10);
  assert.deepEqual([INSTANCE_TYPES.get('c6a.large')!.memoryGiB, INSTANCE_TYPES.get('r6i.xlarge')!.memoryGiB, INSTANCE_TYPES.get('m7g.medium')!.architecture], [4, 32, 'arm64']);
  // Burstable types have no trunking: their own interfaces only.
  assert.equal(INSTANCE_TYPES.get('t3.medium')!.trunkTaskLimit, undefined);
  assert.equal(awsvpcTasksPerInstance(INSTANCE_TYPES.get('t3.medium')!, true), 2);
  assert.equal(cpuUnits(m6i), 2048);
  assert.equal(usableMemoryMiB(m6i), Math.floor(8192 * 0.9));
  for (const t of INSTANCE_TYPES.values()) assert.ok(t.maxEnis >= 2 && t.vcpus >= 1 && t.memoryGiB >= 1, t.name);
});

test('peaks: maxCount times maximumPercent for scaled services, the fixed count otherwise; Fargate services are not counted', () => {
  assert.deepEqual(peakTasks(bare(prod), [webAt(6), worker]), [{ service: 'web', tasks: 12, cpu: 512, memoryMiB: 1024 }]);
  assert.deepEqual(peakTasks(bare(prod), [webAt(5, { maximumPercent: 150, deployment: { strategy: 'rolling' } })]).map((p) => p.tasks), [8]);
});

test('peaks: a traffic-shifting deployment runs the new revision at full size beside the old one, twice the count', () => {
  // prod's web services deploy canary (operations.webDeployment).
  assert.equal(prod.operations?.webDeployment?.strategy, 'canary');
  assert.deepEqual(peakTasks(bare(prod), [webAt(5)]).map((p) => p.tasks), [10]);
  assert.deepEqual(peakTasks(bare(prod), [webAt(5, { deployment: { strategy: 'linear', stepPercent: 20 } })]).map((p) => p.tasks), [10]);
});

test('fits: prod with trunking holds web at 12 x 200 % on 9 m6i.large', () => {
  checkDensity(bare(withEc2(prod, { maxSize: 9, awsvpcTrunking: true })), [webAt(12)]);
});

test('fails when the network interfaces run out: 2 awsvpc tasks per .large without trunking', () => {
  fails(
    () => checkDensity(bare(withEc2(prod, { maxSize: 9, awsvpcTrunking: false })), [webAt(12)]),
    `${prod.file}: cluster.capacity.maxSize`,
    /^is 9, too few instances for the EC2 services at their peak during a deploy \(tasks: web 24\): they need 24 awsvpc network interfaces, and 9 instances have 18 \(2 tasks per m6i\.large without ENI trunking\)\. .*turn on ENI trunking/,
  );
});

test('one task per instance: a deploy\'s peak must fit maxSize instances, both revisions of a traffic-shifting one', () => {
  const oneEach = (extra: Partial<ServiceDefinition>) => webAt(5, { ...extra, capacity: { type: 'ec2', placement: { preset: 'oneTaskPerHost' } } } as Partial<ServiceDefinition>);
  const at = (maxSize: number) => bare(withEc2(prod, { maxSize, awsvpcTrunking: true }));
  // prod's canary: both revisions in full, 10 tasks on 10 distinct instances.
  checkDensity(at(10), [oneEach({})]);
  fails(
    () => checkDensity(at(9), [oneEach({})]),
    'test/fixtures/services/web.ts: capacity.placement',
    /^places at most one task per instance \(distinctInstance\), and a deploy of `web` runs 10 tasks at its peak \(its canary deployment runs both revisions in full\), more than the 9 instances of test\/fixtures\/settings\/prod\.json \(`cluster\.capacity\.maxSize`\): the deploy could never complete\. Raise `cluster\.capacity\.maxSize` to 10, lower the service's count, deploy it rolling, or choose another placement\.$/,
  );
  // Rolling at 120 %: 6 tasks.
  checkDensity(at(6), [oneEach({ deployment: { strategy: 'rolling' }, maximumPercent: 120 })]);
  fails(() => checkDensity(at(5), [oneEach({ deployment: { strategy: 'rolling' }, maximumPercent: 120 })]), 'test/fixtures/services/web.ts: capacity.placement', /runs 6 tasks at its peak \(old and new tasks side by side\)/);
});

test('fails when CPU runs out, counting the smallest listed type', () => {
  fails(
    () => checkDensity(bare(withEc2(prod, { instanceTypes: ['m6i.xlarge', 'm6i.large'], maxSize: 4, awsvpcTrunking: true })), [webAt(10)]),
    `${prod.file}: cluster.capacity.maxSize`,
    /they need 10240 CPU units, and 4 instances have 8192 \(2048 per m6i\.large\)/,
  );
});

test('fails when memory runs out', () => {
  fails(
    () => checkDensity(bare(withEc2(prod, { instanceTypes: ['c6i.large'], maxSize: 3, awsvpcTrunking: true })), [webAt(3, { container: { ...web.container, cpu: 256, memoryMiB: 2048 } })]),
    `${prod.file}: cluster.capacity.maxSize`,
    /they need 12288 MiB of memory, and 3 instances have 11058 \(3686 usable per c6i\.large\)/,
  );
});

test('fails when an EC2 task is larger than the largest instance type, naming the service file', () => {
  fails(
    () => checkDensity(bare(prod), [{ ...web, container: { ...web.container, cpu: 4096 } }]),
    'test/fixtures/services/web.ts: container.cpu',
    /^is 4096 CPU units, more than the largest instance type of .*prod\.json \(`m6i\.large`\) offers tasks \(2048 CPU units\)/,
  );
  fails(
    () => checkDensity(bare(prod), [{ ...web, container: { ...web.container, memoryMiB: 8192 } }]),
    'test/fixtures/services/web.ts: container.memoryMiB',
    /^is 8192 MiB, more than the largest instance type .* \(7372 MiB\)/,
  );
});

const raw = (cap: Record<string, unknown>): Settings => {
  const s = loadSettings('test/fixtures/settings/prod.json');
  const { file: _, ...rest } = s;
  return { ...rest, network: { ...s.network, subnets: undefined }, cluster: { ...s.cluster, capacity: { ...(s.cluster.capacity as Ec2CapacitySettings), ...cap } } } as Settings;
};

test('fails when an instance type does not exist, suggesting the nearest', () => {
  fails(() => checkSettings('test/fixtures/settings/prod.json', raw({ instanceTypes: ['m6i.large', 'm6i.lrge'] })), 'test/fixtures/settings/prod.json: cluster.capacity.instanceTypes[1]', /^`m6i\.lrge` is not an instance type berth knows \(did you mean `m6i\.large` or /);
  fails(() => checkSettings('test/fixtures/settings/prod.json', raw({ instanceTypes: ['x9z.huge'] })), 'test/fixtures/settings/prod.json: cluster.capacity.instanceTypes[0]', /is not an instance type berth knows\. berth allows the Nitro families m5, /);
});

test('fails when trunking is on with a type that does not support it', () => {
  fails(() => checkSettings('test/fixtures/settings/prod.json', raw({ instanceTypes: ['t3.large'], awsvpcTrunking: true })), 'test/fixtures/settings/prod.json: cluster.capacity.instanceTypes[0]', /^`t3\.large` does not support ENI trunking/);
});

test('the AMI: the latest from SSM by default, a pinned ID, or a parameter of yours', () => {
  const amiOf = (s: ResolvedSettings) => (toPlain(synthesize(cluster, s).toJSON()) as { Parameters: Record<string, Record<string, unknown>> }).Parameters.EcsAmiId!;
  assert.equal(amiOf(prod).Type, 'AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>');
  const pinned = amiOf(withEc2(prod, { ami: { imageId: 'ami-0123456789abcdef0' } }));
  assert.deepEqual([pinned.Type, pinned.Default], ['AWS::EC2::Image::Id', 'ami-0123456789abcdef0']);
  assert.match(String(pinned.Description), /pinned in the environment file \(cluster\.capacity\.ami\.imageId\)/);
  const own = amiOf(withEc2(prod, { ami: { ssmParameter: '/golden/ecs/ami' } }));
  assert.deepEqual([own.Type, own.Default], ['AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>', '/golden/ecs/ami']);
});
