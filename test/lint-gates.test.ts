// Tests for the security/lint gates in scripts/lint/, one module per gate, each alone (main.ts,
// which runs them all, is test/lint-main.test.ts).
// Run: node --import tsx --test test/lint-gates.test.ts
// Needs .venv (cfn-lint, checkov, cfripper from requirements.txt) and the
// @cdklabs/cdk-validator-cfnguard devDependency (cfn-guard + Control Tower rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCfnLint } from '../scripts/lint/cfn-lint.ts';
import { runCfripper } from '../scripts/lint/cfripper.ts';
import { runCheckov } from '../scripts/lint/checkov.ts';
import { rel as relToRepo, type GateResult } from '../scripts/lint/common.ts';
import { guardPaths, runControlTower } from '../scripts/lint/control-tower.ts';
import { formatSummaryLine } from '../scripts/lint/main.ts';
import { runPolicy } from '../scripts/lint/policy.ts';
import { tempDir } from './_helpers.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const INSECURE = path.join(FIXTURES, 'insecure', 'insecure.yaml');
const CLEAN = path.join(FIXTURES, 'clean', 'clean.yaml');

/** "LogicalId rule" pairs of a gate's failures. */
function failed(r: GateResult): Set<string> {
  return new Set(r.failures.map((f) => `${f.resource} ${f.rule}`));
}

function assertFails(r: GateResult, expected: string[]): void {
  assert.deepEqual(r.errors, [], `${r.gate} tool errors`);
  assert.equal(r.ok, false, `${r.gate} should fail`);
  assert.equal(r.failed, r.failures.length);
  const got = failed(r);
  for (const e of expected) assert.ok(got.has(e), `${r.gate}: expected failure "${e}", got ${[...got].join(', ')}`);
  for (const f of r.failures) assert.match(f.file, /insecure\.yaml/);
  assert.match(formatSummaryLine(r), new RegExp(`^\\[fail\\] ${r.gate}: `));
}

function assertPasses(r: GateResult): void {
  assert.deepEqual(r.errors, [], `${r.gate} tool errors`);
  assert.deepEqual(r.failures, [], `${r.gate} failures on the clean fixture`);
  assert.equal(r.failed, 0);
  assert.equal(r.ok, true);
  assert.match(formatSummaryLine(r), new RegExp(`^\\[pass\\] ${r.gate}: `));
}

// --- cfn-lint ---------------------------------------------------------------

test('cfn-lint: insecure fixture reports the unused parameter and informational rules', async () => {
  const r = await runCfnLint([INSECURE]);
  assertFails(r, [
    'Parameters/UnusedKeyName W2001', // genuine warning
    'JobQueue I3011', // informational (-c I): no DeletionPolicy on a stateful resource
    'JobQueue I3013', // informational: no MessageRetentionPeriod
    'AppLogGroup I3011',
  ]);
  assert.equal(formatSummaryLine(r), `[fail] cfn-lint: 1 files, ${r.failures.length} findings`);
});

test('cfn-lint: clean fixture has zero findings', async () => {
  const r = await runCfnLint([CLEAN]);
  assertPasses(r);
  assert.equal(formatSummaryLine(r), '[pass] cfn-lint: 1 files, 0 findings');
});

// --- checkov ----------------------------------------------------------------

test('checkov: insecure fixture fails the expected checks', async () => {
  const r = await runCheckov([INSECURE]);
  assertFails(r, [
    'WideOpenSecurityGroup CKV_AWS_23', // rule without description
    'AppLaunchTemplate CKV_AWS_79', // IMDSv1 allowed
    'AppLaunchTemplate CKV_AWS_88', // public IP
    'JobQueue CKV_AWS_27', // unencrypted queue
    'AppLogGroup CKV_AWS_66', // no retention
    'AppLogGroup CKV_AWS_158', // no KMS
  ]);
  assert.ok(r.passed > 0);
});

test('checkov: clean fixture passes with zero failures', async () => {
  const r = await runCheckov([CLEAN]);
  assertPasses(r);
  assert.ok(r.passed >= 2, `expected the SQS checks to run, got ${r.passed} passed`);
});

test('checkov: Metadata skips count as skipped; a skip without comment fails', async () => {
  const dir = tempDir('lint');
  try {
    const src = await readFile(INSECURE, 'utf8');
    const withSkips = src
      .replace(
        '  JobQueue:\n    Type: AWS::SQS::Queue\n',
        '  JobQueue:\n    Type: AWS::SQS::Queue\n    Metadata:\n      checkov:\n        skip:\n' +
          '          - id: CKV_AWS_27\n            comment: test - encryption handled elsewhere\n',
      )
      .replace(
        '  AppLogGroup:\n    Type: AWS::Logs::LogGroup\n',
        '  AppLogGroup:\n    Type: AWS::Logs::LogGroup\n    Metadata:\n      checkov:\n        skip:\n' +
          '          - id: CKV_AWS_158\n',
      );
    assert.notEqual(withSkips, src);
    const file = path.join(dir, 'skips.yaml');
    await writeFile(file, withSkips);
    const r = await runCheckov([file]);
    assert.deepEqual(r.errors, []);
    assert.equal(r.skipped, 1);
    assert.deepEqual(
      r.skips.map((s) => `${s.resource} ${s.rule} ${s.message}`),
      ['JobQueue CKV_AWS_27 test - encryption handled elsewhere'],
    );
    const got = failed(r);
    assert.ok(!got.has('JobQueue CKV_AWS_27'));
    assert.ok(got.has('AppLogGroup CKV_AWS_158'), 'skip without comment must be a failure');
    assert.match(r.failures.find((f) => f.rule === 'CKV_AWS_158')!.message, /without a comment/);
    assert.ok(got.has('AppLogGroup CKV_AWS_66'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

// --- control tower (cfn-guard) ----------------------------------------------

const CT_EXPECTED = [
  'WideOpenSecurityGroup CT.EC2.PR.3', // 0.0.0.0/0 on ports other than 80/443
  'WideOpenSecurityGroup CT.EC2.PR.4', // 0.0.0.0/0 on high-risk ports
  'AppLaunchTemplate CT.EC2.PR.1', // IMDSv2 not required
  'AppLaunchTemplate CT.EC2.PR.9', // public IP
  'AppTaskDefinition CT.ECS.PR.11', // privileged container
  'AppTaskDefinition CT.ECS.PR.4', // not awsvpc
  'JobQueue CT.SQS.PR.2', // no encryption
  'JobQueue CT.SQS.PR.1', // no DLQ
  'AppLogGroup CT.CLOUDWATCH.PR.3', // no KMS
];

test('control-tower: insecure fixture fails the expected controls', async () => {
  const r = await runControlTower([INSECURE], { allowlist: [] });
  assertFails(r, CT_EXPECTED);
  assert.ok(r.passed > 0, 'controls that apply and pass are counted (e.g. CT.ECS.PR.* on the task definition)');
  assert.equal(r.skipped, 0);
});

test('control-tower: clean fixture passes with zero failures', async () => {
  const r = await runControlTower([CLEAN], { allowlist: [] });
  assertPasses(r);
  // CT.SQS.PR.1 and CT.SQS.PR.2 for two queues
  assert.ok(r.passed >= 4, `expected SQS controls to be evaluated, got ${r.passed} passed`);
});

test('control-tower: allow-listed failures count as skipped', async () => {
  const all = await runControlTower([INSECURE], { allowlist: [] });
  const allowlist = all.failures.map((f) => ({
    rule: f.rule,
    resource: f.resource,
    template: 'insecure.yaml',
    reason: 'test fixture is insecure on purpose',
  }));
  // wildcard resource; an entry for another template that must not match (and is not in play, so
  // not reported); an entry for this template that excuses nothing (stale, so reported)
  allowlist[0] = { ...allowlist[0]!, resource: '*', template: '*' };
  allowlist.push({ rule: 'CT.SQS.PR.2', resource: 'JobQueue', template: 'other.yaml', reason: 'unused' });
  allowlist.push({ rule: 'CT.SQS.PR.2', resource: 'NoSuchQueue', template: 'insecure/insecure.yaml', reason: 'stale' });

  const r = await runControlTower([INSECURE], { allowlist });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.failures, []);
  assert.equal(r.ok, true);
  assert.equal(r.skipped, all.failed);
  assert.equal(r.passed, all.passed);
  assert.ok(r.skips.every((s) => s.message === 'allow-listed: test fixture is insecure on purpose'));
  assert.deepEqual(r.notes, [`unused allow-list entry: ${JSON.stringify(allowlist.at(-1))}`], 'only the stale entry for a scanned template is reported');
  assert.equal(
    formatSummaryLine(r),
    `[pass] control-tower: ${all.passed} passed, 0 failed, ${all.failed} skipped (allow-listed)`,
  );

  // Only the exact resource is allow-listed.
  const partial = await runControlTower([INSECURE], {
    allowlist: [{ rule: 'CT.SQS.PR.2', resource: 'OtherQueue', template: '*', reason: 'x' }],
  });
  assert.ok(failed(partial).has('JobQueue CT.SQS.PR.2'));
  assert.equal(partial.skipped, 0);
});

test('control-tower: an allow-list entry without a reason is an error', async () => {
  const r = await runControlTower([CLEAN], {
    allowlist: [{ rule: 'CT.SQS.PR.1', resource: '*', template: '*', reason: '  ' }],
  });
  assert.equal(r.ok, false);
  assert.equal(r.errors.length, 1);
  assert.match(r.errors[0] ?? '', /reason/);
  assert.match(formatSummaryLine(r), /^\[fail\] control-tower: .*\(1 error\)$/);
});

test('control-tower: a rule a resource suppresses in Metadata.guard is skipped with its reason; one without a reason, one that excuses nothing and an unknown rule fail', async () => {
  // cfn-guard 3.1.1 evaluates the Control Tower rules whatever the Metadata says (the rules do not
  // filter on SuppressedRules): the gate does the suppressing, so it can insist on the reason.
  const listener = (id: string, action: string, guard?: unknown) => `  ${id}:
    Type: AWS::ElasticLoadBalancingV2::Listener
${guard ? `    Metadata:\n      guard: ${JSON.stringify(guard)}\n` : ''}    Properties:
      LoadBalancerArn: arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/x/1
      Port: 80
      Protocol: HTTP
      DefaultActions:
        - ${action}
`;
  const FIXED = 'Type: fixed-response\n          FixedResponseConfig: { StatusCode: "404" }';
  const REDIRECT = 'Type: redirect\n          RedirectConfig: { Protocol: HTTPS, Port: "443", StatusCode: HTTP_301 }';
  const RULE = 'alb_http_to_https_redirection_check';
  const dir = tempDir('lint-suppressed');
  const file = path.join(dir, 'listeners.yaml');
  await writeFile(file, `Resources:\n${[
    listener('Justified', FIXED, { SuppressedRules: [RULE], Reasons: { [RULE]: 'CT.ELASTICLOADBALANCING.PR.1: plain HTTP by choice (x.json: allowPlainHttp).' } }),
    listener('Unjustified', FIXED, { SuppressedRules: [RULE] }),
    listener('Needless', REDIRECT, { SuppressedRules: [RULE], Reasons: { [RULE]: 'not needed' } }),
    listener('Misnamed', REDIRECT, { SuppressedRules: ['no_such_rule'], Reasons: { no_such_rule: 'x' } }),
    listener('Unexcused', FIXED),
  ].join('')}`);
  const r = await runControlTower([file], { allowlist: [] });
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.skips.map((x) => [x.resource, x.rule, x.message]), [['Justified', 'CT.ELASTICLOADBALANCING.PR.1', 'suppressed in Metadata: CT.ELASTICLOADBALANCING.PR.1: plain HTTP by choice (x.json: allowPlainHttp).']]);
  const rel = relToRepo(file);
  assert.deepEqual(
    r.failures.filter((x) => x.rule !== 'CT.ELASTICLOADBALANCING.PR.1' || x.resource !== 'Unexcused').map((x) => [x.file, x.resource, x.rule, x.message]).sort(),
    [
      [rel, 'Misnamed', 'no_such_rule', `Metadata.guard suppresses no_such_rule, which is no Control Tower rule: use a rule name from ${relToRepo(guardPaths().rulesDir)}.`],
      [rel, 'Needless', 'CT.ELASTICLOADBALANCING.PR.1', `Metadata.guard suppresses ${RULE}, but the control passes here: remove the suppression.`],
      [rel, 'Unjustified', 'CT.ELASTICLOADBALANCING.PR.1', `Metadata.guard suppresses ${RULE} without a reason: add Metadata.guard.Reasons.${RULE}, saying which setting justifies it.`],
    ],
  );
  assert.ok(failed(r).has('Unexcused CT.ELASTICLOADBALANCING.PR.1'), 'a resource without the suppression still fails');
  assert.equal(r.ok, false);
});

test('control-tower: the checked-in allow-list is valid', async () => {
  const r = await runControlTower([CLEAN]);
  assert.deepEqual(r.errors, []);
});

// --- policy (berth's own checks) -------------------------------------------

test('policy: insecure fixture fails every rule, with the offending property', async () => {
  const r = await runPolicy([INSECURE]);
  assertFails(r, [
    'WideOpenSecurityGroup no-open-ingress', // 0.0.0.0/0, all protocols
    'WideOpenSecurityGroup ingress-from-security-groups', // SSH from an office CIDR
    'AppTaskDefinition separate-task-role', // one role as task and execution role
    'AppRole no-star-action', // Action "*"
    'AppRole star-resource-only-where-required', // Resource "*"
    'AppService ecs-exec-off', // EnableExecuteCommand: true
    'AppLaunchTemplate awsvpc-block-imds', // joins the cluster, metadata reachable from tasks
    'DatabaseSecurityGroup database-ingress-declared', // a database's group admits a CIDR by itself
    'Database data-store-kept', // deleted with the stack, no final snapshot
    'ReportRole data-grants-named', // a task role that may read every table
  ]);
  assert.deepEqual(
    r.failures.find((f) => f.rule === 'no-open-ingress')?.property,
    'Properties.SecurityGroupIngress[0].CidrIp',
  );
  assert.ok(r.passed > 0);
  assert.equal(formatSummaryLine(r), `[fail] policy: ${r.passed} passed, ${r.failed} failed, 0 skipped`);
});

test('policy: clean fixture passes; ECS Exec allowed for a service counts as skipped', async () => {
  const r = await runPolicy([CLEAN]);
  assertPasses(r);
  assert.equal(formatSummaryLine(r), '[pass] policy: 2 passed, 0 failed, 0 skipped');

  const allowed = await runPolicy([INSECURE], { ecsExecAllowed: new Set(['insecure/insecure.yaml/AppService']) });
  assert.equal(allowed.skipped, 1);
  assert.ok(!failed(allowed).has('AppService ecs-exec-off'));
});

// --- cfripper ---------------------------------------------------------------

test('cfripper: insecure fixture fails, the launch role\'s privilege escalation among the findings; one finding per rule and resource', async () => {
  const r = await runCfripper([INSECURE]);
  assertFails(r, [
    'WideOpenSecurityGroup EC2SecurityGroupOpenToWorldRule', // every port from anywhere
    'AppRole PrivilegeEscalationRule', // iam:* and friends
    'AppRole IAMRolesOverprivilegedRule', // Action: *
    'LaunchRole PrivilegeEscalationRule', // iam:PutRolePolicy on any role
  ]);
  const pairs = r.failures.map((f) => `${f.resource} ${f.rule}`);
  assert.equal(new Set(pairs).size, pairs.length);
  assert.match(r.failures.find((f) => f.rule === 'PrivilegeEscalationRule' && f.resource === 'LaunchRole')!.message, /iam:PutRolePolicy.*\(HIGH\)$/);
});

test('cfripper: clean fixture passes with zero failures', async () => {
  const r = await runCfripper([CLEAN]);
  assertPasses(r);
  assert.ok(r.passed >= 40, `expected cfripper's rules to run, got ${r.passed} passed`);
});

test('cfripper: Metadata skips with a comment count as skipped; a skip without one fails; a principal chosen by Fn::If is checked in each branch', async () => {
  const dir = tempDir('lint');
  try {
    const src = await readFile(INSECURE, 'utf8');
    const withSkips = src
      .replace(
        '  WideOpenSecurityGroup:\n    Type: AWS::EC2::SecurityGroup\n',
        '  WideOpenSecurityGroup:\n    Type: AWS::EC2::SecurityGroup\n    Metadata:\n      cfripper:\n        skip:\n' +
          '          - id: EC2SecurityGroupOpenToWorldRule\n            comment: test - open on purpose\n',
      )
      .replace(
        '  LaunchRole:\n    Type: AWS::IAM::Role\n',
        '  LaunchRole:\n    Type: AWS::IAM::Role\n    Metadata:\n      cfripper:\n        skip:\n          - id: PrivilegeEscalationRule\n',
      );
    assert.notEqual(withSkips, src);
    assert.equal(withSkips.split('cfripper:').length, 3, 'both skips placed');
    const file = path.join(dir, 'skips.yaml');
    await writeFile(file, withSkips);
    const r = await runCfripper([file]);
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.skips.map((s) => `${s.resource} ${s.rule} ${s.message}`), ['WideOpenSecurityGroup EC2SecurityGroupOpenToWorldRule test - open on purpose']);
    assert.equal(r.skipped, 1);
    const launch = r.failures.find((f) => f.resource === 'LaunchRole' && f.rule === 'PrivilegeEscalationRule');
    assert.match(launch?.message ?? '', /without a comment/);

    // cfripper's model has no room for Fn::If in a principal: the rule runs again on the
    // template resolved for the Region, and a wildcard principal in either branch is found.
    const conditional = [
      'Conditions:',
      '  IsEast: !Equals [!Ref AWS::Region, us-east-1]',
      'Resources:',
      '  Bucket:',
      '    Type: AWS::S3::Bucket',
      '  BucketPolicy:',
      '    Type: AWS::S3::BucketPolicy',
      '    Properties:',
      '      Bucket: !Ref Bucket',
      '      PolicyDocument:',
      '        Statement:',
      '          - Effect: Allow',
      "            Principal: !If [IsEast, {Service: logdelivery.elasticloadbalancing.amazonaws.com}, {AWS: '*'}]",
      '            Action: s3:PutObject',
      "            Resource: !Sub '${Bucket.Arn}/*'",
      '',
    ].join('\n');
    const east = path.join(dir, 'east', 'policy.yaml');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.dirname(east));
    await writeFile(east, conditional);
    const c = await runCfripper([east]);
    assert.deepEqual(c.errors, []);
    assert.ok(c.failures.some((f) => f.resource === 'BucketPolicy'), c.failures.map((f) => `${f.resource} ${f.rule}`).join(', '));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
