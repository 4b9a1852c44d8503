import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { toPlain } from '../src/emit/plain.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { root } from '../templates/stacks/root.ts';
import { services } from '../templates/services/index.ts';
import { loadSettings, type ResolvedSettings } from '../templates/settings/settings.ts';
import { ROOT } from './_helpers.ts';

const prod = loadSettings(join(ROOT, 'templates/environments/prod.json'));
const build = (settings: ResolvedSettings) => synthesize(root, { settings, services });
const resources = (s: ResolvedSettings) => (toPlain(build(s).toJSON()) as { Resources: Record<string, any> }).Resources;

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

test('fails when an EC2 service meets a Fargate-only cluster', () => {
  const fargate = { ...prod, cluster: { ...prod.cluster, capacity: { type: 'fargate' as const } } };
  assert.throws(() => build(fargate), (e: unknown) => e instanceof BerthError && /prod\.json: cluster\.capacity\.type: is `fargate`, but service `web` \(templates\/services\/web\.ts\) runs on EC2 capacity/.test(e.message));
});

test('fails when an environment overrides a service that does not exist', () => {
  const typo = { ...prod, services: { ...prod.services, wbe: { desiredCount: 1 } } };
  assert.throws(() => build(typo), (e: unknown) => e instanceof BerthError && /prod\.json: services\.wbe: overrides service `wbe`, which the estate does not define/.test(e.message));
});
