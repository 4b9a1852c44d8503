/**
 * An estate deployed in layers (`scripts/deploy.sh <env> --layers`, automatic past 2,500 resources
 * per operation): the foundation (the alarm topic's stack before the cluster), then each service
 * template of the root as its own stack, wired with the foundation stack's outputs, then the
 * overview (dashboard and deploy guard) wired with the service stacks'; each layer by a change
 * set; deleted in reverse order; refused beside a root stack that
 * holds the estate. moto cannot show it (it resolves no nested TemplateURL through a custom
 * endpoint and keeps no Outputs for change-set stacks), so it runs against a scripted AWS CLI
 * (test/fixtures/fake-aws/layers) that logs each deploy with its parameters. The properties hold for
 * any estate; the layers of a 250-service estate are checked in scale.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseTemplate } from '../src/emit/parse.ts';
import { layers, WIRING } from '../scripts/deploy-layers.ts';
import { readParameters } from '../scripts/deploy-parameters.ts';
import { compileCli, ROOT } from './_helpers.ts';

let dir = '';
let state = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-layers-'));
  state = mkdtempSync(join(tmpdir(), 'berth-layers-state-'));
  for (const d of ['src', 'templates', 'scripts', 'output']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, '.venv/bin'), { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/fake-aws/layers'), join(dir, '.venv/bin/aws'));
  // The gates are tested in lint-gates.test.ts; here, how the layers are deployed.
  writeFileSync(join(dir, 'scripts/lint/main.ts'), "console.log('[pass] stub gate');\n");
  compileCli(dir);
});
after(() => {
  for (const d of [dir, state]) if (d) rmSync(d, { recursive: true, force: true });
});

function deploy(...args: string[]): { status: number | null; out: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const r = spawnSync('bash', [join(dir, 'scripts/deploy.sh'), ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...env, FAKE_AWS_STATE: state, FAKE_AWS_PYTHON: join(ROOT, '.venv/bin/python'), FAKE_AWS_CHANGESETS: join(ROOT, 'test/fixtures/fake-aws/changesets.py'), AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_CONFIG_FILE: '/nonexistent/berth-test', BERTH_POLL_SECONDS: '1', NO_COLOR: '1' },
    timeout: 300_000,
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** The requests the fake CLI answered after botocore validated them (test/fixtures/fake-aws/changesets.py). */
function requests(): { operation: string; params: Record<string, any> }[] {
  return readFileSync(join(state, 'requests'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
}

/** The fake CLI's log: each deploy or delete, with its parameters. */
function calls(): { action: string; stack: string; parameters: Map<string, string> }[] {
  return readFileSync(join(state, 'calls'), 'utf8').trimEnd().split('\n').map((line) => {
    const [action, stack] = line.split(' ');
    const json = line.split(' ').slice(2).join(' ');
    const list = json ? (JSON.parse(json) as string[]) : [];
    return { action: action!, stack: stack!, parameters: new Map(list.map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)])) };
  });
}

test('--layers deploys the foundation (alarm topic before cluster), each service template wired with its outputs (receivers before senders), then the overview wired with theirs; --delete goes in reverse', () => {
  const out = join(dir, 'output/dev');
  const root = parseTemplate(readFileSync(join(out, 'root.yaml'), 'utf8'), 'root.yaml') as { Resources: Record<string, { Type: string; DependsOn?: string | string[]; Properties: { TemplateURL: string } }> };
  const children = Object.entries(root.Resources).filter(([, r]) => r.Type === 'AWS::CloudFormation::Stack');
  // The first layer: the alarm topic's operations stack, then network, load balancer and the
  // cluster, which reads the topic from the operations stack's output; the data stores; its
  // dashboard only when provisioned on its own (the layered deploy passes DrawDashboard=false, below).
  type Stack = { Type: string; Condition?: string; DependsOn?: string | string[]; Properties: { TemplateURL: string; Parameters?: Record<string, unknown> } };
  const foundation = parseTemplate(readFileSync(join(out, 'foundation.yaml'), 'utf8'), 'foundation.yaml') as { Resources: Record<string, Stack>; Conditions: Record<string, unknown> };
  assert.deepEqual(Object.values(foundation.Resources).map((r) => `${r.Properties.TemplateURL}${r.Condition ? ` if ${r.Condition}` : ''}`), ['operations.yaml', 'network.yaml', 'load-balancer.yaml', 'cluster.yaml', 'data-appdb.yaml', 'data-jobs.yaml', 'data-reports.yaml', 'dashboard.yaml if DrawsDashboard']);
  assert.deepEqual(foundation.Conditions.DrawsDashboard, { 'Fn::Equals': [{ Ref: 'DrawDashboard' }, 'true'] });
  assert.deepEqual(foundation.Resources.Cluster!.Properties.Parameters!.AlarmTopicArn, { 'Fn::GetAtt': ['Operations', 'Outputs.AlarmTopicArnParameter'] });
  // The last: the dashboard (it draws the services) and the deploy guard over their alarms.
  const overview = parseTemplate(readFileSync(join(out, 'overview.yaml'), 'utf8'), 'overview.yaml') as { Metadata: Record<string, any>; Resources: Record<string, Stack> };
  assert.deepEqual(Object.entries(overview.Resources).map(([id, r]) => `${id} ${r.Type}`), ['Dashboard AWS::CloudFormation::Stack', 'DeployGuard AWS::CloudWatch::CompositeAlarm']);
  const outer = [...Object.values(foundation.Resources), ...Object.values(overview.Resources)].map((r) => r.Properties.TemplateURL);
  const serviceFiles = children.map(([, r]) => r.Properties.TemplateURL).filter((f) => !outer.includes(f));
  assert.deepEqual(children.map(([, r]) => r.Properties.TemplateURL).filter((f) => outer.includes(f)).sort(), ['cluster.yaml', 'dashboard.yaml', 'data-appdb.yaml', 'data-jobs.yaml', 'data-reports.yaml', 'load-balancer.yaml', 'network.yaml', 'operations.yaml']);
  assert.deepEqual(layers(out), ['root'], 'dev deploys as one stack unless asked');
  const planned = layers(out, true);
  assert.equal(planned[0], 'foundation');
  assert.equal(planned.at(-1), 'overview');
  assert.deepEqual(planned.slice(1, -1).sort(), serviceFiles.map((f) => f.replace(/\.yaml$/, '')).sort());

  const r = deploy('dev', '--layers');
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, new RegExp(`^\\[pass\\] dev: ${planned.length} layers deployed \\(${planned.join(' ')}\\)$`, 'm'));
  const deployed = calls();
  assert.equal(deployed[0]!.parameters.get('DrawDashboard'), 'false', 'the overview draws the dashboard');
  assert.deepEqual(deployed.map((c) => `${c.action} ${c.stack}`), planned.map((l) => `deploy berth-dev-${l}`));
  // Each service stack after the stacks its root resource depends on (a sender after its receiver).
  const position = (file: string) => planned.indexOf(file.replace(/\.yaml$/, ''));
  for (const [, r] of children.filter(([, c]) => serviceFiles.includes(c.Properties.TemplateURL))) {
    for (const d of ([] as string[]).concat(r.DependsOn ?? [])) {
      const dep = root.Resources[d]!;
      if (serviceFiles.includes(dep.Properties.TemplateURL)) assert.ok(position(dep.Properties.TemplateURL) < position(r.Properties.TemplateURL), `${r.Properties.TemplateURL} after ${dep.Properties.TemplateURL}`);
    }
  }
  // The wiring: every parameter of WIRING a layer declares, with the foundation's output value.
  const outputs = new Map([['VpcId', 'vpc-0a1b2c3d'], ['ApplicationSubnetIds', 'subnet-0aaa,subnet-0bbb'], ['LoadBalancerSecurityGroupId', 'sg-0c0ffee0']]);
  for (const c of deployed.slice(1, -1)) {
    const declared = Object.keys(readParameters(join(out, `${c.stack.replace('berth-dev-', '')}.yaml`)));
    for (const key of WIRING) assert.equal(c.parameters.get(key), declared.includes(key) ? outputs.get(key) : undefined, `${c.stack} ${key}`);
    assert.equal(c.parameters.get('EnvironmentName'), 'dev');
  }

  // The overview: each service's widgets and deployment alarms, from its layer's stack outputs.
  const last = deployed.at(-1)!;
  assert.equal(last.parameters.get('EnvironmentName'), 'dev');
  const wires = overview.Metadata['berth:layer-wiring'] as Record<string, { layer: string; output: string }>;
  assert.deepEqual(Object.keys(wires).sort(), [...last.parameters.keys()].filter((k) => k !== 'EnvironmentName').sort());
  for (const [key, w] of Object.entries(wires)) {
    const name = w.layer.replace(/^service-/, '');
    assert.ok(position(`${w.layer}.yaml`) > 0, `${key} reads layer ${w.layer}`);
    assert.equal(last.parameters.get(key), w.output === 'DashboardWidgets' ? `{"type":"text","width":24,"height":1,"properties":{"markdown":"### ${name}"}}` : `ALARM("dev-${name}-a") OR ALARM("dev-${name}-b")`, key);
  }
  // Each layer by a change set, as the real CLI sends it (botocore validated each request):
  // created with the layer's template, capabilities and tags, described until complete, executed.
  const made = requests();
  const creates = made.filter((q) => q.operation === 'CreateChangeSet');
  assert.deepEqual(creates.map((q) => `${q.params.StackName} ${q.params.ChangeSetType}`), planned.map((l) => `berth-dev-${l} CREATE`));
  for (const q of creates) {
    assert.deepEqual(q.params.Capabilities, ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND']);
    assert.equal(q.params.IncludeNestedStacks, true);
    const service = /^berth-dev-service-(.+)$/.exec(q.params.StackName)?.[1];
    assert.deepEqual(q.params.Tags, [{ Key: 'berth:environment', Value: 'dev' }, ...(service ? [{ Key: 'berth:service', Value: service }] : [])]);
    assert.match(q.params.TemplateBody, /^AWSTemplateFormatVersion: '2010-09-09'$/m);
    assert.equal(q.params.RollbackConfiguration, undefined, `${q.params.StackName}: a new stack's alarms do not exist yet`);
  }
  assert.deepEqual([...new Set(made.map((q) => q.operation))].sort(), ['CreateChangeSet', 'DescribeChangeSet', 'ExecuteChangeSet']);
  assert.equal(made.filter((q) => q.operation === 'ExecuteChangeSet').length, planned.length);

  // A done layer deployed again: an UPDATE change set guarded by the alarms its template names
  // (read from the stack and CloudWatch), which CloudFormation finds without changes.
  const web = deployed.find((c) => c.stack === 'berth-dev-service-web')!;
  rmSync(join(state, 'requests'));
  const again = deploy('dev', '--template', 'service-web', ...[...web.parameters].filter(([k]) => (WIRING as readonly string[]).includes(k)).flatMap(([k, v]) => ['--param', `${k}=${v}`]));
  assert.equal(again.status, 0, again.out);
  assert.match(again.out, /^ {2}rollback trigger: berth-dev-service-web-TargetErrorRateAlarm \(OK\)$/m);
  assert.match(again.out, /^\[pass\] stack berth-dev-service-web: no changes \(CREATE_COMPLETE\)/m);
  const update = requests().find((q) => q.operation === 'CreateChangeSet')!;
  assert.equal(update.params.ChangeSetType, 'UPDATE');
  assert.deepEqual(update.params.RollbackConfiguration, {
    RollbackTriggers: ['TargetErrorRateAlarm', 'UnhealthyTargetsAlarm'].map((id) => ({ Arn: `arn:aws:cloudwatch:eu-west-1:111122223333:alarm:berth-dev-service-web-${id}`, Type: 'AWS::CloudWatch::Alarm' })),
    MonitoringTimeInMinutes: 5,
  });
  assert.deepEqual(requests().map((q) => q.operation).sort(), ['CreateChangeSet', 'DeleteChangeSet', 'DescribeAlarms', 'DescribeChangeSet', 'DescribeStackResource', 'DescribeStackResource']);

  rmSync(join(state, 'calls'));
  const d = deploy('dev', '--layers', '--delete');
  assert.equal(d.status, 0, d.out);
  assert.deepEqual(calls().map((c) => `${c.action} ${c.stack}`), [...planned].reverse().map((l) => `delete berth-dev-${l}`));
});

test('a layered deploy beside the estate\'s root stack is refused before anything is deployed', () => {
  writeFileSync(join(state, 'root-exists'), '');
  rmSync(join(state, 'calls'), { force: true });
  try {
    const r = deploy('dev', '--layers');
    assert.equal(r.status, 1, r.out);
    assert.match(r.out, /^error: stack berth-dev: holds the whole estate \(UPDATE_COMPLETE\), and output\/dev\/ now deploys in layers .* Move the estate once as docs\/many-accounts\.md#moving-to-layers describes, or deploy one template with `--template`\.$/m);
    assert.throws(() => readFileSync(join(state, 'calls')), /ENOENT/, 'nothing was deployed');
  } finally {
    rmSync(join(state, 'root-exists'));
  }
});

test('--layers is refused with --stack-set, with another --template and with a --stack-name', () => {
  assert.match(deploy('dev', '--layers', '--stack-set').out, /^error: `--layers` and `--stack-set` exclude each other/m);
  assert.match(deploy('dev', '--layers', '--template', 'network').out, /^error: `--layers` deploys the whole estate, and `--template network` names one template\. Leave one of them out\./m);
  assert.match(deploy('dev', '--layers', '--stack-name', 'estate').out, /^error: `--stack-name` names one stack, and output\/dev\/ deploys in layers \(stacks berth-dev-<layer>\)\./m);
});
