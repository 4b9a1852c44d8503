/**
 * An estate at organisation scale: 250 services (test/fixtures/scale-estate, generated here, never
 * committed) build within every CloudFormation limit, every unit deployed in one stack operation
 * stays under 2,500 resources, nothing collides (listener-rule priorities, security group rules,
 * registry names, logical IDs, physical names), adding a service moves no other one between
 * groups, and a sample of the templates passes cfn-lint. The sample keeps the test's time bounded:
 * the foundation, the root (cfn-lint follows its nested templates' parameters, E3043), one service
 * group, the portfolio and one product group, and one service of each kind; `make bench` lints
 * all of them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LIMITS } from '../src/dsl/limits.ts';
import { parseTemplate } from '../src/emit/parse.ts';
import { assignPriorities, priorityOf } from '../templates/stacks/service/routing.ts';
import { serviceGroupOf } from '../templates/stacks/service-group.ts';
import { groupOf } from '../templates/stacks/shared/grouping.ts';
import { PRODUCT_GROUPS } from '../templates/stacks/service-catalog.ts';
import { DOMAINS, scaleServices } from './fixtures/scale-estate/estate.ts';
import { berthEnv, ROOT, tempDir } from './_helpers.ts';

const ESTATE = 'test/fixtures/scale-estate/estate.ts';
let out: string;
let dir: string;
type Doc = { Parameters?: Record<string, unknown>; Outputs?: Record<string, unknown>; Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };
const docs = new Map<string, Doc>();

before(() => {
  out = tempDir('scale');
  const r = berthEnv(ROOT, { BERTH_SCALE_SERVICES: '250' }, 'build', '--quiet', '--estate', ESTATE, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  dir = join(out, 'scale');
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml'))) docs.set(f, parseTemplate(readFileSync(join(dir, f), 'utf8'), f) as Doc);
});
after(() => rmSync(out, { recursive: true, force: true }));

const resources = () => [...docs].flatMap(([file, d]) => Object.entries(d.Resources).map(([id, r]) => ({ file, id, ...r })));
const nestedFiles = (d: Doc) => Object.values(d.Resources).filter((r) => r.Type === 'AWS::CloudFormation::Stack').map((r) => String(r.Properties!.TemplateURL));
const tree = (file: string): number => Object.keys(docs.get(file)!.Resources).length + nestedFiles(docs.get(file)!).reduce((n, c) => n + tree(c), 0);

test('250 services build within every template limit', () => {
  assert.equal([...docs.keys()].filter((f) => /^service-[a-z]+-[a-z]+\.yaml$/.test(f)).length, 250);
  for (const [file, d] of docs) {
    const bytes = readFileSync(join(dir, file)).length;
    assert.ok(bytes <= LIMITS.s3Bytes, `${file}: ${bytes} bytes`);
    assert.ok(Object.keys(d.Resources).length <= LIMITS.resources, `${file}: resources`);
    assert.ok(Object.keys(d.Parameters ?? {}).length <= LIMITS.parameters, `${file}: parameters`);
    assert.ok(Object.keys(d.Outputs ?? {}).length <= LIMITS.outputs, `${file}: outputs`);
  }
});

test('the services are grouped: the root nests 16 service groups, each deployable in one stack operation; the portfolio nests its product groups', () => {
  const groups = [...docs.keys()].filter((f) => /^services-\d\d\.yaml$/.test(f)).sort();
  assert.equal(groups.length, 16);
  assert.deepEqual(nestedFiles(docs.get('root.yaml')!).sort(), ['cluster.yaml', 'dashboard.yaml', 'load-balancer.yaml', 'network.yaml', 'operations.yaml', ...groups].sort());
  // Each unit a deploy creates in one operation: the foundation, each group alone, the portfolio.
  for (const unit of ['foundation.yaml', ...groups, 'service-catalog.yaml']) assert.ok(tree(unit) <= LIMITS.resourcesPerOperation, `${unit}: ${tree(unit)} resources in one operation`);
  // The whole estate in one stack is past it: the build says so, the docs say how it deploys.
  assert.ok(tree('root.yaml') > LIMITS.resourcesPerOperation);
  // Every service is nested once, in the group its name hashes to.
  const all = scaleServices(250);
  for (const g of groups) {
    for (const file of nestedFiles(docs.get(g)!)) {
      const name = file.replace(/^service-|\.yaml$/g, '');
      assert.equal(`services-${String(serviceGroupOf(all, name)).padStart(2, '0')}.yaml`, g, name);
    }
  }
  assert.equal(groups.flatMap((g) => nestedFiles(docs.get(g)!)).length, 250);
  const products = [...docs.keys()].filter((f) => /^service-catalog-products-\d\d\.yaml$/.test(f));
  assert.deepEqual(nestedFiles(docs.get('service-catalog.yaml')!).sort(), products.sort());
  assert.equal(resources().filter((r) => r.Type === 'AWS::ServiceCatalog::CloudFormationProduct').length, 251);
});

test('adding a service moves no other service or product to another group', () => {
  const before = scaleServices(249);
  const after = scaleServices(250);
  for (const d of before) {
    assert.equal(serviceGroupOf(after, d.name), serviceGroupOf(before, d.name), d.name);
    assert.equal(groupOf(`service ${d.name}`, PRODUCT_GROUPS), groupOf(`service ${d.name}`, PRODUCT_GROUPS));
  }
  const p249 = assignPriorities(before);
  const p250 = assignPriorities(after);
  for (const [name, p] of p249) assert.equal(p250.get(name), p, name);
});

test('listener-rule priorities are unique and in range at 250 services, for the estate and for random names', () => {
  const rules = resources().filter((r) => r.Type === 'AWS::ElasticLoadBalancingV2::ListenerRule').map((r) => Number(r.Properties!.Priority));
  assert.equal(rules.length, 150);
  assert.equal(new Set(rules).size, rules.length);
  // 250 random names collide on their first hash in about half of all estates: every one still gets its own priority.
  let collided = 0;
  for (let seed = 1; seed <= 40; seed++) {
    const names = Array.from({ length: 250 }, (_, i) => `svc-${seed}-${(i * 7919 + seed * 104_729) % 1_000_003}`);
    const web = scaleServices(1)[0]!;
    const priorities = [...assignPriorities(names.map((name) => ({ ...web, name }))).values()];
    assert.equal(new Set(priorities).size, 250, `seed ${seed}`);
    assert.ok(priorities.every((p) => p >= 1 && p <= 49_999));
    if (new Set(names.map(priorityOf)).size < 250) collided++;
  }
  assert.ok(collided > 0, 'the random name sets include first-hash collisions');
});

test('registry names, physical names, logical IDs and security group rules do not collide', () => {
  const all = resources();
  const texts = (v: unknown) => JSON.stringify(v);
  const unique = (type: string, property: string) => {
    const values = all.filter((r) => r.Type === type && r.Properties?.[property] !== undefined).map((r) => texts(r.Properties![property]));
    assert.ok(values.length > 0, `${type}.${property}`);
    assert.equal(new Set(values).size, values.length, `${type}.${property} repeats`);
    return values.length;
  };
  // The registry: the foundation's six entries (the alarm topic's and the web ACL's among them), the
  // network's three (interface endpoints on) and three per queue worker (50 workers).
  assert.equal(unique('AWS::SSM::Parameter', 'Name'), 6 + 3 + 3 * 50);
  // Alarms and dashboards: one dashboard for the environment and one per group, one deploy guard per group and the root's.
  unique('AWS::CloudWatch::Alarm', 'AlarmName');
  assert.equal(unique('AWS::CloudWatch::CompositeAlarm', 'AlarmName'), 16 + 1);
  assert.equal(unique('AWS::CloudWatch::Dashboard', 'DashboardName'), 1 + 16);
  unique('AWS::Logs::LogGroup', 'LogGroupName');
  unique('AWS::SQS::Queue', 'QueueName');
  unique('AWS::IAM::Role', 'RoleName');
  unique('AWS::SecretsManager::Secret', 'Name');
  // Each web service's task security group admits the load balancer's group on its own port.
  const ingress = all.filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress' || r.Type === 'AWS::EC2::SecurityGroupEgress');
  const rules = ingress.map((r) => texts([r.file, r.Type, r.Properties!.GroupId, r.Properties!.IpProtocol, r.Properties!.FromPort, r.Properties!.ToPort, r.Properties!.SourceSecurityGroupId ?? r.Properties!.DestinationSecurityGroupId ?? r.Properties!.CidrIp]));
  assert.equal(new Set(rules).size, rules.length);
  // Nested stack logical IDs: one per service, across the groups (the YAML reader refuses a repeated key within a file).
  const ids = [...docs].filter(([f]) => /^services-/.test(f)).flatMap(([, d]) => Object.entries(d.Resources).filter(([, r]) => r.Type === 'AWS::CloudFormation::Stack').map(([id]) => id));
  assert.equal(new Set(ids).size, 250);
  assert.equal(DOMAINS.length * 5, 250);
});

test('grouped, each group draws its services on its own dashboard and guards them with its own composite alarm; the root\'s deploy guard watches the groups\' guards', () => {
  const groups = [...docs.keys()].filter((f) => /^services-\d\d\.yaml$/.test(f)).sort();
  const root = docs.get('root.yaml')! as Doc & { Metadata?: Record<string, any> };
  const rootGuard = root.Resources.DeployGuard!.Properties!;
  // One ALARM(...) per group, each the group stack's DeploymentAlarms output (its guard's name).
  const members = rootGuard.AlarmRule['Fn::Join'][1] as unknown[];
  assert.equal(members.length, groups.length);
  for (const m of members) assert.match(JSON.stringify(m), /"Fn::GetAtt":\["Services\d\d","Outputs\.DeploymentAlarms"\]/);
  assert.deepEqual(root.Metadata?.['berth:rollback-triggers']?.Alarms, ['DeployGuard']);
  for (const g of groups) {
    const d = docs.get(g)! as Doc & { Metadata?: Record<string, any> };
    const services = Object.entries(d.Resources).filter(([, r]) => r.Type === 'AWS::CloudFormation::Stack').map(([id]) => id);
    const label = g.replace(/\.yaml$/, '');
    assert.deepEqual(d.Resources.DeployGuard!.Properties!.AlarmName, { 'Fn::Sub': `\${EnvironmentName}-${label}-deploy-guard` }, g);
    // Deployed alone, a group is guarded by its own composite alarm.
    assert.deepEqual(d.Metadata?.['berth:rollback-triggers']?.Alarms, ['DeployGuard'], g);
    const board = d.Resources.Dashboard!.Properties!;
    assert.deepEqual(board.DashboardName, { 'Fn::Sub': `berth-\${EnvironmentName}-${label}` }, g);
    // Every service of the group passes its widgets in; none of another group's does.
    const widgets = [...JSON.stringify(board.DashboardBody).matchAll(/(\w+)\.Outputs\.DashboardWidgets/g)].map((m) => m[1]).sort();
    assert.deepEqual(widgets, [...services].sort(), g);
  }
  // The environment's dashboard draws the load balancer and the cluster, and names the groups' dashboards.
  const envBoard = JSON.stringify(docs.get('dashboard.yaml')!.Resources.Dashboard!.Properties!.DashboardBody);
  for (const g of groups) assert.ok(envBoard.includes(`berth-scale-${g.replace(/\.yaml$/, '')}`), g);
});

test('a sample of the 250-service estate passes cfn-lint, informational rules included', () => {
  const group = [...docs.keys()].find((f) => /^services-\d\d\.yaml$/.test(f))!;
  const sample = ['foundation.yaml', 'root.yaml', group, 'service-catalog.yaml', 'service-catalog-products-01.yaml', 'service-accounts-api.yaml', 'service-accounts-site.yaml', 'service-accounts-worker.yaml', 'service-accounts-jobs.yaml', 'service-accounts-events.yaml'];
  const r = spawnSync(join(ROOT, '.venv', 'bin', 'cfn-lint'), ['-c', 'I', '--regions', 'eu-west-1', '--', ...sample], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.stdout + r.stderr, '');
  assert.equal(r.status, 0);
});
