import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { toPlain } from '../src/emit/plain.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { root } from '../templates/stacks/root.ts';
import { report } from './fixtures/services/report.ts';
import { web } from './fixtures/services/web.ts';
import { worker } from './fixtures/services/worker.ts';
import type { ServiceDefinition } from '../templates/stacks/service/definition.ts';
import { loadSettings, type ResolvedSettings } from '../templates/settings/settings.ts';
import { ROOT } from './_helpers.ts';

const prod = loadSettings(join(ROOT, 'test/fixtures/settings/prod.json'));
// Fixture services (test/fixtures/services/): exact content that does not move with templates/services/.
const services: readonly ServiceDefinition[] = [web, worker, report];
const build = (settings: ResolvedSettings, list: readonly ServiceDefinition[] = services) => synthesize(root, { settings, services: list });
const resources = (s: ResolvedSettings, list?: readonly ServiceDefinition[]) => (toPlain(build(s, list).toJSON()) as { Resources: Record<string, any> }).Resources;

test('the root nests network, load balancer, cluster and one stack per service, each a sibling file', () => {
  const r = resources(prod);
  assert.deepEqual(Object.keys(r), ['Network', 'LoadBalancer', 'Cluster', 'WebService', 'WorkerService', 'ReportService']);
  assert.deepEqual(Object.values(r).map((x) => x.Properties.TemplateURL), ['network.yaml', 'load-balancer.yaml', 'cluster.yaml', 'service-web.yaml', 'service-worker.yaml', 'service-report.yaml']);
  assert.deepEqual(build(prod).children.map((c) => c.name), ['network', 'load-balancer', 'cluster', 'service-web', 'service-worker', 'service-report']);
});

test('outputs are wired to parameters: network to load balancer and cluster, registry names to services', () => {
  const r = resources(prod);
  assert.deepEqual(r.LoadBalancer.Properties.Parameters.VpcId, { 'Fn::GetAtt': ['Network', 'Outputs.VpcId'] });
  assert.deepEqual(r.LoadBalancer.Properties.Parameters.PublicSubnetIds, { 'Fn::GetAtt': ['Network', 'Outputs.PublicSubnetIds'] });
  assert.deepEqual(r.Cluster.Properties.Parameters.ApplicationSubnetIds, { 'Fn::GetAtt': ['Network', 'Outputs.ApplicationSubnetIds'] });
  assert.deepEqual(r.WebService.Properties.Parameters, {
    EnvironmentName: { Ref: 'EnvironmentName' },
    VpcId: { 'Fn::GetAtt': ['Network', 'Outputs.VpcId'] },
    ApplicationSubnetIds: { 'Fn::GetAtt': ['Network', 'Outputs.ApplicationSubnetIds'] },
    ClusterName: { 'Fn::GetAtt': ['Cluster', 'Outputs.ClusterNameParameter'] },
    CapacityProviderName: { 'Fn::GetAtt': ['Cluster', 'Outputs.CapacityProviderNameParameter'] },
    LoadBalancerSecurityGroupId: { 'Fn::GetAtt': ['LoadBalancer', 'Outputs.LoadBalancerSecurityGroupId'] },
    ListenerArn: { 'Fn::GetAtt': ['LoadBalancer', 'Outputs.ListenerArnParameter'] },
  });
  // The Fargate worker gets no capacity provider and no listener: it declares neither.
  assert.deepEqual(Object.keys(r.WorkerService.Properties.Parameters), ['EnvironmentName', 'VpcId', 'ApplicationSubnetIds', 'ClusterName']);
});

test('a sender is nested after the queue worker it sends to, and gets the queue\'s registry names under the root\'s EnvironmentName', () => {
  const sender = { ...web, sendsTo: [worker.queue] };
  const r = resources(prod, [sender, worker, report]);
  assert.deepEqual(Object.keys(r).slice(3), ['WorkerService', 'WebService', 'ReportService']);
  assert.equal(r.WebService.DependsOn, 'WorkerService');
  const p = r.WebService.Properties.Parameters;
  assert.deepEqual([p.WorkerQueueUrl, p.WorkerQueueArn, p.WorkerQueueKeyArn], [
    { 'Fn::Sub': '/berth/${EnvironmentName}/services/worker/queue-url' },
    { 'Fn::Sub': '/berth/${EnvironmentName}/services/worker/queue-arn' },
    { 'Fn::Sub': '/berth/${EnvironmentName}/services/worker/queue-key-arn' },
  ]);
  // The worker's key admits the sender's role: the child template knows its senders.
  const workerTemplate = build(prod, [sender, worker, report]).children.find((c) => c.name === 'service-worker')!;
  const key = (toPlain(workerTemplate.toJSON()) as { Resources: Record<string, any> }).Resources.QueueKey;
  const statement = key.Properties.KeyPolicy.Statement.find((st: { Sid: string }) => st.Sid === 'SendersThroughSqs');
  assert.deepEqual(statement.Condition.ArnLike['aws:PrincipalArn'], [
    { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${EnvironmentName}-web-task' },
    { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/*/${EnvironmentName}-web-task' },
  ]);
});

test('fails when services send to each other\'s queues (a cycle of nested stacks), naming the cycle', () => {
  const a = { ...worker, name: 'alpha' } as typeof worker;
  const b = { ...worker, name: 'beta', queue: undefined } as unknown as typeof worker;
  const alphaQueue = { service: 'alpha' } as typeof worker.queue;
  const betaQueue = { service: 'beta' } as typeof worker.queue;
  assert.throws(
    () => build({ ...prod, services: {} }, [web, { ...a, sendsTo: [betaQueue] }, { ...b, sendsTo: [alphaQueue] }, report]),
    (e: unknown) => e instanceof BerthError && /sendsTo: makes a cycle of services sending to each other's queues \(`alpha` -> `beta` -> `alpha`\)/.test(e.message),
  );
});

test('fails when a service sends to the queue of a service the estate does not have', () => {
  assert.throws(
    () => build({ ...prod, services: {} }, [{ ...web, sendsTo: [worker.queue] }, report]),
    (e: unknown) => e instanceof BerthError && /web\.ts: sendsTo\[0\]: names the queue of `worker`, which is not a service of this estate/.test(e.message),
  );
});

test('fails when an EC2 service meets a Fargate-only cluster', () => {
  const fargate = { ...prod, cluster: { ...prod.cluster, capacity: { type: 'fargate' as const } } };
  assert.throws(() => build(fargate), (e: unknown) => e instanceof BerthError && /prod\.json: cluster\.capacity\.type: is `fargate`, but service `web` \(test\/fixtures\/services\/web\.ts\) runs on EC2 capacity/.test(e.message));
});

test('fails when an environment overrides a service that does not exist', () => {
  const typo = { ...prod, services: { ...prod.services, wbe: { desiredCount: 1 } } };
  assert.throws(() => build(typo), (e: unknown) => e instanceof BerthError && /prod\.json: services\.wbe: overrides service `wbe`, which the estate does not define/.test(e.message));
});
