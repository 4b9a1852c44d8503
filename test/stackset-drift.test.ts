/**
 * Drift (`scripts/deploy.sh <env> --drift`, scripts/drift.ts) and the request shapes moto cannot
 * serve. moto implements no drift detection, so drift runs against a scripted AWS CLI
 * (test/fixtures/fake-aws/drift): a root stack whose nested stack drifted, and a stack set with a
 * drifted instance. The requests berth sends for what moto does not serve (service-managed
 * stack sets with a delegated administrator, drift detection) are checked by the pinned AWS CLI's
 * own parameter validation, which runs before any request: a call that passes it fails only on
 * the closed endpoint it is pointed at.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { instanceDriftArguments, stackSetDriftArguments } from '../scripts/drift.ts';
import { callAs, instanceTargets, operationPreferences, permissionArguments } from '../scripts/stackset.ts';
import { assertDocSample } from './_doc-samples.ts';
import { compileCli, ROOT } from './_helpers.ts';
import { AwsCli, awsEnv } from './_moto-aws.ts';

let dir = '';
let state = '';
const TARGETS = { permissionModel: 'selfManaged', accounts: ['111111111111', '222222222222'], regions: ['eu-west-1', 'us-east-1'] } as const;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-drift-'));
  state = mkdtempSync(join(tmpdir(), 'berth-drift-state-'));
  for (const d of ['src', 'templates', 'scripts', 'output']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, '.venv/bin'), { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/fake-aws/drift'), join(dir, '.venv/bin/aws'));
  const dev = JSON.parse(readFileSync(join(dir, 'templates/environments/dev.json'), 'utf8'));
  writeFileSync(join(dir, 'templates/environments/dev.json'), JSON.stringify({ ...dev, targets: TARGETS }, null, 2));
  compileCli(dir);
});
after(() => {
  for (const d of [dir, state]) if (d) rmSync(d, { recursive: true, force: true });
});

function deploy(...args: string[]): { status: number | null; out: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const r = spawnSync('bash', [join(dir, 'scripts/deploy.sh'), 'dev', '--drift', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...env, FAKE_AWS_STATE: state, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', BERTH_POLL_SECONDS: '0', NO_COLOR: '1' },
    timeout: 60_000,
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('--drift detects drift on the stack and on each stack it nests, and prints each drifted property', () => {
  const r = deploy();
  assert.equal(r.status, 1, r.out);
  assert.deepEqual(r.out.trimEnd().split('\n'), [
    '==> detecting drift on 2 stacks (berth-dev and the stacks they nest)',
    '  berth-dev: IN_SYNC',
    '  berth-dev/Network: DRIFTED',
    'Drifted resources (stack, logical ID, type, status; then each property: expected, actual):',
    '  berth-dev/Network            FlowLogGroup                     AWS::Logs::LogGroup                      MODIFIED',
    '      /RetentionInDays (not_equal): expected 30, actual 7',
    '[fail] berth-dev: 1 drifted or not checked (above)',
  ]);
  const calls = readFileSync(join(state, 'calls'), 'utf8');
  // Detection started on the nested stack itself (drift on a stack does not reach its nested stacks),
  // and the root's status read until the detection ended.
  assert.match(calls, /^cloudformation detect-stack-drift --stack-name arn:aws:cloudformation:eu-west-1:111122223333:stack\/berth-dev-Network-1ABC\/1 /m);
  assert.equal(calls.match(/describe-stack-drift-detection-status --stack-drift-detection-id d-root/g)?.length, 2);
});

test('--drift --stack-set detects drift on every instance and prints the drifted resources per account and Region', () => {
  const r = deploy('--stack-set');
  assert.equal(r.status, 1, r.out);
  assert.deepEqual(r.out.trimEnd().split('\n'), [
    '==> detecting drift on stack set berth-dev (operation op-drift)',
    '  111111111111  eu-west-1       IN_SYNC',
    '  222222222222  us-east-1       DRIFTED',
    '  drift detection: SUCCEEDED',
    'Drifted resources (account and Region, logical ID, type, status; then each property: expected, actual):',
    '  222222222222 us-east-1       LoadBalancerSecurityGroup        AWS::EC2::SecurityGroup                  MODIFIED',
    '      /SecurityGroupIngress/1 (add): expected -, actual {"CidrIp":"0.0.0.0/0","FromPort":22,"IpProtocol":"tcp","ToPort":22}',
    '[fail] stack set berth-dev: 1 drifted or not checked (above)',
  ]);
  assertDocSample('drift', r.out);
  assert.match(readFileSync(join(state, 'calls'), 'utf8'), /^cloudformation detect-stack-set-drift --stack-set-name berth-dev --operation-preferences \{"RegionConcurrencyType":"SEQUENTIAL","RegionOrder":\["eu-west-1","us-east-1"\],"MaxConcurrentPercentage":25,"FailureTolerancePercentage":100\} /m);
  assert.match(deploy('--preview').out, /^error: `--drift` only reads: it excludes `--preview` and `--delete`\./m);
});

test('the requests moto cannot serve pass the AWS CLI\'s own parameter validation; a malformed one does not', async () => {
  const cli = new AwsCli(awsEnv('http://127.0.0.1:9', 'eu-west-1', { AWS_DEFAULT_REGION: 'eu-west-1' }));
  try {
    const managed = { permissionModel: 'serviceManaged', organizationalUnits: ['ou-ab12-cd345678', 'r-ab12'], regions: ['eu-west-1', 'us-east-1'], callAs: 'DELEGATED_ADMIN', autoDeployment: { enabled: true, retainStacksOnAccountRemoval: true }, operationPreferences: { concurrencyMode: 'SOFT_FAILURE_TOLERANCE' } } as const;
    const requests: string[][] = [
      ['cloudformation', 'create-stack-set', '--stack-set-name', 'berth-prod-network', '--template-body', 'Resources: {}', '--capabilities', 'CAPABILITY_IAM', ...permissionArguments(managed, '111122223333', 'aws')],
      ['cloudformation', 'create-stack-instances', '--stack-set-name', 'berth-prod-network', ...instanceTargets(managed), '--operation-preferences', operationPreferences(managed)],
      ['cloudformation', 'update-stack-set', '--stack-set-name', 'berth-prod-network', '--template-body', 'Resources: {}', '--operation-preferences', operationPreferences(managed), ...callAs(managed)],
      ['cloudformation', 'list-stack-instances', '--stack-set-name', 'berth-prod-network', ...callAs(managed)],
      stackSetDriftArguments('berth-prod-network', managed),
      instanceDriftArguments('berth-prod-network', '222222222222', 'us-east-1', 'op-1', managed),
      ['cloudformation', 'describe-stack-resource-drifts', '--stack-name', 'berth-prod', '--stack-resource-drift-status-filters', 'MODIFIED', 'DELETED'],
    ];
    for (const args of requests) {
      const r = await cli.call(args);
      assert.match(r.stderr, /Could not connect to the endpoint URL/, `${args.slice(0, 2).join(' ')} was refused before sending: ${r.stderr}`);
    }
    const bad = await cli.call(['cloudformation', 'create-stack-instances', '--stack-set-name', 'x', ...instanceTargets(managed), '--operation-preferences', '{"MaxConcurrentPercent": 25}']);
    assert.match(bad.stderr, /Parameter validation failed:\s+Unknown parameter in OperationPreferences: "MaxConcurrentPercent"/);
  } finally {
    cli.close();
  }
});
