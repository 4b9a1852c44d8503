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

test('the root nests operations, network, load balancer, cluster, one stack per service and the dashboard, each a sibling file, and owns the deploy guard', () => {
  const r = resources(prod);
  assert.deepEqual(Object.keys(r), ['Operations', 'Network', 'LoadBalancer', 'Cluster', 'WebService', 'WorkerService', 'ReportService', 'Dashboard', 'DeployGuard']);
  const nested = Object.values(r).filter((x) => x.Type === 'AWS::CloudFormation::Stack');
  assert.deepEqual(nested.map((x) => x.Properties.TemplateURL), ['operations.yaml', 'network.yaml', 'load-balancer.yaml', 'cluster.yaml', 'service-web.yaml', 'service-worker.yaml', 'service-report.yaml', 'dashboard.yaml']);
  assert.deepEqual(build(prod).children.map((c) => c.name), ['operations', 'network', 'load-balancer', 'cluster', 'service-web', 'service-worker', 'service-report', 'dashboard']);
});

test('the alarm topic comes first: the load balancer and the cluster wait for the operations stack, the services for the cluster', () => {
  const r = resources(prod);
  assert.equal(r.LoadBalancer.DependsOn, 'Operations');
  // The cluster reads the topic's registry entry from the operations stack's output, which orders it (no DependsOn: cfn-lint W3005).
  assert.equal(r.Cluster.DependsOn, undefined);
  assert.deepEqual(r.Cluster.Properties.Parameters.AlarmTopicArn, { 'Fn::GetAtt': ['Operations', 'Outputs.AlarmTopicArnParameter'] });
  assert.deepEqual(r.WebService.Properties.Parameters.ClusterName, { 'Fn::GetAtt': ['Cluster', 'Outputs.ClusterNameParameter'] });
});

test('the dashboard gets every service\'s widgets from its stack, and the deploy guard every deployment alarm but the scheduled task\'s', () => {
  const r = resources(prod);
  assert.deepEqual(r.Dashboard.Properties.Parameters, {
    EnvironmentName: { Ref: 'EnvironmentName' },
    LoadBalancerFullName: { 'Fn::GetAtt': ['LoadBalancer', 'Outputs.LoadBalancerFullNameParameter'] },
    ClusterName: { 'Fn::GetAtt': ['Cluster', 'Outputs.ClusterNameParameter'] },
    CapacityProviderName: { 'Fn::GetAtt': ['Cluster', 'Outputs.CapacityProviderNameParameter'] },
    // The load balancer stack publishes it; LoadBalancerFullName above already orders the dashboard after that stack.
    WebAclName: { 'Fn::Sub': '/berth/${EnvironmentName}/web-acl-name' },
    WebWidgets: { 'Fn::GetAtt': ['WebService', 'Outputs.DashboardWidgets'] },
    WorkerWidgets: { 'Fn::GetAtt': ['WorkerService', 'Outputs.DashboardWidgets'] },
    ReportWidgets: { 'Fn::GetAtt': ['ReportService', 'Outputs.DashboardWidgets'] },
  });
  assert.deepEqual(r.DeployGuard.Properties.AlarmName, { 'Fn::Sub': '${EnvironmentName}-deploy-guard' });
  assert.deepEqual(r.DeployGuard.Properties.AlarmRule, { 'Fn::Join': [' OR ', [{ 'Fn::GetAtt': ['WebService', 'Outputs.DeploymentAlarms'] }, { 'Fn::GetAtt': ['WorkerService', 'Outputs.DeploymentAlarms'] }]] });
  // deploy.sh reads the triggers from the template's Metadata: the guard, and prod's monitoring time.
  const metadata = (toPlain(build(prod).toJSON()) as { Metadata: Record<string, unknown> }).Metadata;
  assert.deepEqual(metadata['berth:rollback-triggers'], { MonitoringTimeInMinutes: 10, Alarms: ['DeployGuard'] });
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
    // With interface endpoints, the network's registry entries under the root's EnvironmentName.
    ApplicationSecurityGroupId: { 'Fn::Sub': '/berth/${EnvironmentName}/application-security-group-id' },
    EndpointSecurityGroupId: { 'Fn::Sub': '/berth/${EnvironmentName}/endpoint-security-group-id' },
    S3PrefixListId: { 'Fn::Sub': '/berth/${EnvironmentName}/s3-prefix-list-id' },
  });
  // The Fargate worker gets no capacity provider and no listener: it declares neither.
  assert.deepEqual(Object.keys(r.WorkerService.Properties.Parameters), ['EnvironmentName', 'VpcId', 'ApplicationSubnetIds', 'ClusterName', 'ApplicationSecurityGroupId', 'EndpointSecurityGroupId', 'S3PrefixListId']);
  assert.deepEqual(r.Cluster.Properties.Parameters.S3PrefixListId, { 'Fn::Sub': '/berth/${EnvironmentName}/s3-prefix-list-id' });
  assert.deepEqual(r.Cluster.Properties.Parameters.AlarmTopicArn, { 'Fn::GetAtt': ['Operations', 'Outputs.AlarmTopicArnParameter'] });
});

test('a sender is nested after the queue worker it sends to, and gets the queue\'s registry names under the root\'s EnvironmentName', () => {
  const sender = { ...web, sendsTo: [worker.queue] };
  const r = resources(prod, [sender, worker, report]);
  assert.deepEqual(Object.keys(r).slice(4, 7), ['WorkerService', 'WebService', 'ReportService']);
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

// --- the way out (templates/stacks/service/egress.ts, docs/security.md) -------------------------

const fails = (f: () => unknown, pattern: RegExp) => assert.throws(f, (e: unknown) => e instanceof BerthError && pattern.test(e.message) && !e.message.includes('\n'));

test('fails when an EC2 service pulls from outside the Region\'s ECR while the network has interface endpoints: the instances could not reach the registry', () => {
  const publicWeb = { ...web, container: { ...web.container, image: 'public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine' } };
  fails(
    () => build({ ...prod, services: {} }, [publicWeb, worker, report]),
    /^test\/fixtures\/services\/web\.ts: container\.image: is `public\.ecr\.aws\/nginx\/nginx-unprivileged:1\.27-alpine`, from a registry outside ECR, but the service runs on EC2 capacity and .*prod\.json has VPC interface endpoints: the instances pull images through their own network interface, .* Use an image in ECR in `eu-west-1` \(an ECR pull-through cache rule keeps ECR Public or Docker Hub as its upstream\), or set `network\.interfaceEndpoints` to false in .*prod\.json \(HTTPS to anywhere through NAT\)\.$/,
  );
  // Another Region's ECR is outside the endpoints too; the environment's override is named where it is.
  fails(
    () => build({ ...prod, services: { web: { image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/berth/web:1.0.0' } } }, [web, worker, report]),
    /prod\.json: services\.web\.image: is `123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/berth\/web:1\.0\.0`, from ECR in `us-east-1`/,
  );
});

test('a Fargate service from outside ECR needs egress: internet, and then gets it', () => {
  const external = { ...worker, container: { ...worker.container, image: 'public.ecr.aws/aws-cli/aws-cli:2.17.62' } };
  fails(() => build({ ...prod, services: {} }, [web, external, report]), /worker\.ts: container\.image: .* the service does not say `egress: 'internet'`: its tasks reach only AWS's endpoints in `eu-west-1` and S3\. .* or add `egress: 'internet'` to the definition\.$/);
  const child = build({ ...prod, services: {} }, [web, { ...external, egress: 'internet' as const }, report]).children.find((c) => c.name === 'service-worker')!;
  const egress = (toPlain(child.toJSON()) as { Resources: Record<string, any> }).Resources.SecurityGroup.Properties.SecurityGroupEgress;
  assert.equal(egress.at(-1).CidrIp, '0.0.0.0/0');
});

test('fails when nothing could leave: egress: internet without NAT, or neither endpoints nor NAT', () => {
  const noNat = { ...prod, network: { ...prod.network, natGateways: 'none' as const } };
  fails(() => build(noNat, [web, { ...worker, egress: 'internet' as const }, report]), /^test\/fixtures\/services\/worker\.ts: egress: is `internet`, but `network\.natGateways` is `none` in .*prod\.json: the application subnets have no route to the internet\./);
  fails(() => build({ ...noNat, network: { ...noNat.network, interfaceEndpoints: false } }), /prod\.json: network\.interfaceEndpoints: is false and `network\.natGateways` is `none`: tasks and container instances would have no way to ECR, CloudWatch Logs or ECS at all\./);
  // With the endpoints, no NAT is fine: AWS is reached privately.
  assert.ok(build(noNat));
});

test('the network gets the endpoints the estate needs: SQS only with a queue worker', () => {
  // The network is the child with the VPC (the operations stack comes first).
  const network = (list: readonly ServiceDefinition[]) => build({ ...prod, services: {} }, list).children.map((c) => (toPlain(c.toJSON()) as { Resources: Record<string, any> }).Resources).find((r) => r.Vpc)!;
  assert.ok(network(services).SqsEndpoint);
  assert.equal(network([web, report]).SqsEndpoint, undefined);
});
