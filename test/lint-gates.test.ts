// Tests for the security/lint gates in scripts/lint/ (one module per gate, main.ts runs them).
// Run: node --import tsx --test test/lint-gates.test.ts
// Needs .venv (cfn-lint, checkov, cfripper from requirements.txt) and the
// @cdklabs/cdk-validator-cfnguard devDependency (cfn-guard + Control Tower rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCfnLint } from '../scripts/lint/cfn-lint.ts';
import { spawnSync } from 'node:child_process';
import { CFRIPPER_DRIVER, runCfripper } from '../scripts/lint/cfripper.ts';
import { CHECKOV_DRIVER, runCheckov } from '../scripts/lint/checkov.ts';
import { rel as relToRepo, REPO_ROOT, type GateResult } from '../scripts/lint/common.ts';
import { guardPaths, runControlTower } from '../scripts/lint/control-tower.ts';
import { formatSummaryLine, main } from '../scripts/lint/main.ts';
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

// --- runner -----------------------------------------------------------------

test('main: one summary line per gate, then details; exit 0 clean, 1 insecure, 2 empty dir', async () => {
  const run = async (dir: string) => {
    const lines: string[] = [];
    const code = await main([dir, '--no-cache'], (l) => lines.push(l), (l) => lines.push(l));
    return { code, lines };
  };
  const clean = await run(path.join(FIXTURES, 'clean'));
  assert.equal(clean.code, 0);
  assert.equal(clean.lines.length, 5);
  assert.match(clean.lines[0] ?? '', /^\[pass\] cfn-lint: 1 files, 0 findings$/);
  assert.match(clean.lines[1] ?? '', /^\[pass\] checkov: \d+ passed, 0 failed, 0 skipped$/);
  assert.match(clean.lines[2] ?? '', /^\[pass\] control-tower: \d+ passed, 0 failed, 0 skipped \(allow-listed\)$/);
  assert.match(clean.lines[3] ?? '', /^\[pass\] policy: \d+ passed, 0 failed, 0 skipped$/);
  assert.match(clean.lines[4] ?? '', /^\[pass\] cfripper: \d+ passed, 0 failed, 0 skipped$/);

  const insecure = await run(path.join(FIXTURES, 'insecure'));
  assert.equal(insecure.code, 1);
  assert.deepEqual(
    insecure.lines.slice(0, 5).map((l) => l.replace(/:.*/, '')),
    ['[fail] cfn-lint', '[fail] checkov', '[fail] control-tower', '[fail] policy', '[fail] cfripper'],
  );
  const details = insecure.lines.slice(5).join('\n');
  assert.match(details, /insecure\.yaml {2}LaunchRole {2}PrivilegeEscalationRule /);
  assert.match(details, /insecure\.yaml:\d+ {2}Parameters\/UnusedKeyName {2}W2001 /);
  assert.match(details, /insecure\.yaml:\d+ {2}JobQueue {2}CKV_AWS_27 /);
  assert.match(details, /insecure\.yaml {2}WideOpenSecurityGroup {2}CT\.EC2\.PR\.4 /);
  assert.match(
    details,
    /^ {2}test\/fixtures\/insecure\/insecure\.yaml: WideOpenSecurityGroup Properties\.SecurityGroupIngress\[0\]\.CidrIp: admits `0\.0\.0\.0\/0` .* \[no-open-ingress\]$/m,
  );

  const empty = tempDir('lint-empty');
  try {
    assert.equal((await run(empty)).code, 2);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});

// --- the committed output -------------------------------------------------------------------

test('the gates\' speed-ups change no result: checkov through its driver, cfripper with each action expanded once', async () => {
  const files = [INSECURE, CLEAN, path.join(REPO_ROOT, 'output/dev/service-catalog.yaml')];
  const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
  const exec = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, LOG_LEVEL: 'WARNING', ...env } });
  // checkov: the same verdicts, check by check, from the stock entry point and from the driver.
  const args = ['--framework', 'cloudformation', '--output', 'json', '--skip-download', '--compact', ...files.flatMap((f) => ['--file', relToRepo(f)])];
  const verdicts = (stdout: string) =>
    ([JSON.parse(stdout)].flat() as { results?: Record<string, { check_id: string; resource: string; file_path: string }[]> }[])
      .flatMap((rep) => Object.entries(rep.results ?? {}).filter(([, list]) => Array.isArray(list)).flatMap(([kind, list]) => list.map((c) => `${kind} ${c.check_id} ${c.resource} ${c.file_path}`)))
      .sort();
  const stock = verdicts(exec(path.join(REPO_ROOT, '.venv', 'bin', 'checkov'), args).stdout);
  const driven = verdicts(exec(python, [CHECKOV_DRIVER, ...args]).stdout);
  assert.ok(stock.some((v) => v.startsWith('failed_checks ')) && stock.some((v) => v.startsWith('passed_checks ')), 'the comparison covers failures and passes');
  assert.deepEqual(driven, stock);
  // cfripper: byte for byte, with and without the memoised expansion.
  const input = JSON.stringify(files.map((file) => ({ file, regions: ['eu-west-1'] })));
  const patched = exec(python, [CFRIPPER_DRIVER, input]);
  const unpatched = exec(python, [CFRIPPER_DRIVER, input], { BERTH_LINT_STOCK: '1' });
  assert.equal(patched.status, 0, patched.stderr);
  assert.ok(patched.stdout.includes('"failures"') && /IAMRoleWildcardActionOnPolicyRule|WildcardResourceRule/.test(patched.stdout), 'the templates exercise the action expansion');
  assert.equal(patched.stdout, unpatched.stdout);
});

test('checkov split across processes (a large template set) reports what one process does', async () => {
  const files = [INSECURE, CLEAN];
  const one = await runCheckov(files);
  process.env.BERTH_CHECKOV_FILES_PER_PROCESS = '1';
  try {
    const split = await runCheckov(files);
    const view = (r: GateResult) => ({ summary: r.summary, failures: [...r.failures].map((f) => `${f.file} ${f.resource} ${f.rule}`).sort(), skips: r.skips.length, errors: r.errors });
    assert.ok(one.failed > 0 && one.passed > 0, one.summary);
    assert.deepEqual(view(split), view(one));
  } finally {
    delete process.env.BERTH_CHECKOV_FILES_PER_PROCESS;
  }
});

test('make lint on output/: all five gates pass with zero findings, every exception allow-listed with a reason', async () => {
  const lines: string[] = [];
  const code = await main([path.join(path.dirname(FIXTURES), '..', 'output'), '--no-cache'], (l) => lines.push(l), (l) => lines.push(l));
  assert.equal(code, 0, lines.join('\n'));
  assert.match(lines[0] ?? '', /^\[pass\] cfn-lint: \d+ files, 0 findings$/);
  assert.match(lines[1] ?? '', /^\[pass\] checkov: \d+ passed, 0 failed, \d+ skipped$/);
  assert.match(lines[2] ?? '', /^\[pass\] control-tower: \d+ passed, 0 failed, \d+ skipped \(allow-listed\)$/);
  assert.match(lines[3] ?? '', /^\[pass\] policy: \d+ passed, 0 failed, \d+ skipped$/);
  assert.match(lines[4] ?? '', /^\[pass\] cfripper: \d+ passed, 0 failed, \d+ skipped$/);
  // No stale allow-list entry and no other remark.
  assert.deepEqual(lines.slice(5), []);
});

test('each gate remembers each template: an unchanged tree is answered from earlier runs, an edited template alone is linted again, with the same verdicts as a full run', async () => {
  const cache = tempDir('lint-cache');
  const dir = tempDir('lint-tree');
  process.env.BERTH_LINT_CACHE_DIR = cache;
  try {
    const clean = await readFile(CLEAN, 'utf8');
    await writeFile(path.join(dir, 'a.yaml'), clean);
    await writeFile(path.join(dir, 'b.yaml'), clean.replace(/^Description: .*$/m, 'Description: the second clean template'));
    const run = async (...flags: string[]) => {
      const lines: string[] = [];
      const code = await main([dir, ...flags], (l) => lines.push(l), (l) => lines.push(l));
      return { code, lines };
    };
    const first = await run();
    assert.equal(first.code, 0, first.lines.join('\n'));
    assert.equal(first.lines.some((l) => l.includes('remembered')), false);
    const second = await run();
    assert.deepEqual(second.lines.slice(0, 5), first.lines.slice(0, 5));
    assert.match(second.lines.at(-1) ?? '', /^  \(0 of 2 templates linted now; the others' results are remembered from earlier runs on identical templates, gates and settings; --no-cache lints all\)$/);
    // Break one template: that one is linted again, the other answered from memory, and the
    // merged verdict is what a full run says.
    await writeFile(path.join(dir, 'b.yaml'), `${clean}\nParameters:\n  Unused:\n    Type: String\n`);
    const third = await run();
    assert.equal(third.code, 1);
    assert.match(third.lines[0] ?? '', /^\[fail\] cfn-lint: 2 files, [1-9]\d* findings$/);
    assert.ok(third.lines.some((l) => /1 of 2 templates linted now/.test(l)), third.lines.join('\n'));
    assert.ok(third.lines.some((l) => l.includes('b.yaml') && /W2001|unused/i.test(l)), third.lines.join('\n'));
    const full = await run('--no-cache');
    assert.deepEqual(third.lines.filter((l) => !l.includes('linted now')), full.lines);
  } finally {
    delete process.env.BERTH_LINT_CACHE_DIR;
    await rm(cache, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
});

test('cfn-lint\'s key for a root includes the nested templates it reads: editing a child re-lints its parent', async () => {
  const { templateKeys } = await import('../scripts/lint/cache.ts');
  const dir = tempDir('lint-keys');
  try {
    const parent = path.join(dir, 'parent.yaml');
    const child = path.join(dir, 'child.yaml');
    await writeFile(parent, 'Resources:\n  Child:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: child.yaml\n');
    await writeFile(child, 'Resources: {}\n');
    const before = await templateKeys('cfn-lint', [parent, child]);
    await writeFile(child, 'Parameters:\n  X:\n    Type: String\nResources: {}\n');
    const after = await templateKeys('cfn-lint', [parent]);
    assert.notEqual(after.get(parent), before.get(parent));
    // checkov reads a template alone: its key of the parent does not change.
    const checkovBefore = await templateKeys('checkov', [parent]);
    await writeFile(child, 'Resources: {}\n');
    assert.equal((await templateKeys('checkov', [parent])).get(parent), checkovBefore.get(parent));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('cfn-lint checks each environment\'s templates for the Region its settings name, other templates for the fallback Regions', async () => {
  const { FALLBACK_REGIONS, regionsOf } = await import('../scripts/lint/cfn-lint.ts');
  const { readdirSync, readFileSync } = await import('node:fs');
  for (const f of readdirSync(path.join(REPO_ROOT, 'templates/environments')).filter((x) => x.endsWith('.json'))) {
    const env = f.slice(0, -5);
    const { region } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'templates/environments', f), 'utf8')) as { region: string };
    const { targets } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'templates/environments', f), 'utf8')) as { targets?: { regions: string[] } };
    assert.deepEqual(regionsOf(path.join(REPO_ROOT, 'output', env, 'network.yaml')), [...new Set([region, ...(targets?.regions ?? [])])].sort());
  }
  assert.deepEqual(regionsOf(path.join(REPO_ROOT, 'test/fixtures/clean/clean.yaml')), FALLBACK_REGIONS);
});
