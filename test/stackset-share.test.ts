/**
 * The portfolio shared with the organisation (`scripts/deploy.sh <env> --template service-catalog
 * --share-with NODE`, `make publish SHARE=...`; scripts/portfolio-share.ts). moto has no Service
 * Catalog, so the share runs against a scripted AWS CLI (test/fixtures/fake-aws/share), and the
 * requests it sends are checked by the pinned AWS CLI's own parameter validation, which runs
 * before any request: a call that passes it fails only on the closed endpoint it is pointed at.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, beforeEach, test } from 'node:test';
import { listType, parseShareNode, shareArguments } from '../scripts/portfolio-share.ts';
import { readSid } from '../scripts/stackset.ts';
import { assertDocSample } from './_doc-samples.ts';
import { ROOT } from './_helpers.ts';
import { AwsCli, awsEnv } from './_moto-aws.ts';

const states: string[] = [];
let state = '';
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), 'berth-share-'));
  states.push(state);
});
after(() => {
  for (const d of states) rmSync(d, { recursive: true, force: true });
});

function share(...nodes: string[]): { status: number | null; out: string; stderr: string; calls: string[] } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const args = ['--import', 'tsx', join(ROOT, 'scripts/portfolio-share.ts'), 'dev', '--stack-name', 'berth-dev-service-catalog', '--region', 'eu-west-1', '--bucket', 'berth-111122223333-eu-west-1', '--key-prefix', 'berth/dev', ...nodes.flatMap((n) => ['--share-with', n])];
  const r = spawnSync('node', args, {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...env, BERTH_AWS_CLI: join(ROOT, 'test/fixtures/fake-aws/share'), FAKE_AWS_STATE: state, BERTH_POLL_SECONDS: '0' },
    timeout: 60_000,
  });
  const calls = existsSync(join(state, 'calls')) ? readFileSync(join(state, 'calls'), 'utf8').trim().split('\n') : [];
  return { status: r.status, out: r.stdout, stderr: r.stderr, calls };
}

const creates = (calls: readonly string[]) => calls.filter((c) => /^servicecatalog (create|update)-portfolio-share /.test(c)).map((c) => c.replace(/ --output json$/, ''));

test('shares the portfolio with the organisation and a member account, TagOptions included, followed to the end; the bucket readable by the organisation; a second run changes nothing', () => {
  const first = share('organization', '123456789012');
  assert.equal(first.status, 0, first.out + first.stderr);
  assert.equal(first.stderr, '');
  assert.deepEqual(creates(first.calls), [
    'servicecatalog create-portfolio-share --portfolio-id port-abc123 --organization-node Type=ORGANIZATION,Value=o-a1b2c3d4e5 --share-tag-options',
    'servicecatalog create-portfolio-share --portfolio-id port-abc123 --organization-node Type=ACCOUNT,Value=123456789012 --share-tag-options',
  ]);
  assert.match(first.out, /^==> sharing portfolio port-abc123 \(berth dev\) with organization o-a1b2c3d4e5, account 123456789012$/m);
  // Live status: in progress, then completed, for each.
  assert.match(first.out, /^ {2}ORGANIZATION o-a1b2c3d4e5 +IN_PROGRESS\n {2}ORGANIZATION o-a1b2c3d4e5 +COMPLETED$/m);
  assert.match(first.out, /^ {2}ACCOUNT 123456789012 +IN_PROGRESS\n {2}ACCOUNT 123456789012 +COMPLETED$/m);
  // The organisation (the member account is in it) reads the environment's templates, nothing more.
  const policy = JSON.parse(readFileSync(join(state, 'policy'), 'utf8'));
  const sid = readSid('berth/dev', { organizationId: 'o-a1b2c3d4e5' });
  assert.deepEqual(policy, {
    Version: '2012-10-17',
    Statement: [{ Sid: sid, Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::berth-111122223333-eu-west-1/berth/dev/*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } }],
  });
  assertDocSample('share', first.out);
  assert.match(first.out, /^\[pass\] portfolio port-abc123 shared; in a member account, associate a principal and launch \(docs\/many-accounts\.md\): aws servicecatalog associate-principal-with-portfolio --portfolio-id port-abc123 --principal-type IAM --principal-arn arn:aws:iam::<member account>:role\/<role>$/m);

  const again = share('organization', '123456789012');
  assert.equal(again.status, 0, again.out + again.stderr);
  assert.deepEqual(creates(again.calls).length, 2, 'no share created or updated on the second run');
  assert.match(again.out, /^ {2}ORGANIZATION o-a1b2c3d4e5 +already shared \(TagOptions included\)$/m);
  assert.match(again.out, /^ {2}ACCOUNT 123456789012 +already shared \(TagOptions included\)$/m);
  assert.equal(JSON.parse(readFileSync(join(state, 'policy'), 'utf8')).Statement.length, 1, 'the grant is replaced, not repeated');
});

test('a share without TagOptions is updated; a share that fails in an account names it and exits 1', () => {
  const r = share('ou-ab12-old00000', 'ou-ab12-cd345678');
  assert.equal(r.status, 1, r.out + r.stderr);
  assert.deepEqual(creates(r.calls), [
    'servicecatalog update-portfolio-share --portfolio-id port-abc123 --organization-node Type=ORGANIZATIONAL_UNIT,Value=ou-ab12-old00000 --share-tag-options',
    'servicecatalog create-portfolio-share --portfolio-id port-abc123 --organization-node Type=ORGANIZATIONAL_UNIT,Value=ou-ab12-cd345678 --share-tag-options',
  ]);
  assert.match(r.out, /^ {2}ORGANIZATIONAL_UNIT ou-ab12-old00000 +COMPLETED$/m);
  assert.match(r.out, /^ {2}ORGANIZATIONAL_UNIT ou-ab12-cd345678 +COMPLETED_WITH_ERRORS\n {4}not shared with 444455556666: InvalidStateException: The account is suspended\.$/m);
  assert.match(r.out, /^\[fail\] portfolio port-abc123: a share did not complete in every account \(above\)\. Fix what it names and publish again: shares that exist are kept$/m);
});

test('without Service Catalog\'s access to AWS Organizations: one line naming the fix, nothing shared', () => {
  writeFileSync(join(state, 'access-disabled'), '');
  const r = share('organization');
  assert.equal(r.status, 1);
  assert.equal(r.out, '');
  assert.equal(
    r.stderr,
    "error: portfolio share (stack berth-dev-service-catalog): Service Catalog's access to AWS Organizations is DISABLED, and shares to an organisation node need it. Run `aws servicecatalog enable-aws-organizations-access` once in the organisation's management account, and share from it or from a delegated administrator (docs/many-accounts.md).\n",
  );
  assert.deepEqual(creates(r.calls), []);
});

test('--share-with: each kind of node, and one line for anything else, from deploy.sh before any AWS call', () => {
  assert.deepEqual(['organization', 'organisation', 'o-a1b2c3d4e5', 'ou-ab12-cd345678', '123456789012'].map(parseShareNode), [
    { type: 'ORGANIZATION' },
    { type: 'ORGANIZATION' },
    { type: 'ORGANIZATION', value: 'o-a1b2c3d4e5' },
    { type: 'ORGANIZATIONAL_UNIT', value: 'ou-ab12-cd345678' },
    { type: 'ACCOUNT', value: '123456789012' },
  ]);
  assert.equal(listType({ type: 'ACCOUNT', value: '123456789012' }), 'ORGANIZATION_MEMBER_ACCOUNT');
  assert.throws(() => parseShareNode('r-ab12'), /^BerthError: `--share-with r-ab12`: expected `organization`, an organisation ID/);
  const deploy = (...args: string[]) => spawnSync('bash', [join(ROOT, 'scripts/deploy.sh'), 'dev', ...args], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
  const bad = deploy('--template', 'service-catalog', '--share-with', 'ou-AB');
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, "error: `--share-with ou-AB`: expected `organization`, an organisation ID (o-a1b2c3d4e5), an organisational unit ID (ou-ab12-cd345678) or a member account ID (12 digits). Run `scripts/deploy.sh --help` for the options.\n");
  const wrong = deploy('--template', 'network', '--share-with', 'organization');
  assert.equal(wrong.status, 2);
  assert.match(wrong.stderr, /^error: `--share-with` shares the Service Catalog portfolio: use it with `--template service-catalog` \(`make publish`\), not `--template network`\. Run/);
  const drift = deploy('--template', 'service-catalog', '--share-with', 'organization', '--drift');
  assert.equal(drift.status, 2);
  assert.match(drift.stderr, /^error: `--share-with` publishes: it excludes `--delete`, `--drift` and `--stack-set`\./);
  const make = spawnSync('make', ['-n', 'publish', 'ENV=prod', 'SHARE=organization ou-ab12-cd345678'], { cwd: ROOT, encoding: 'utf8' });
  assert.match(make.stdout, /^scripts\/deploy\.sh prod --template service-catalog +--share-with organization --share-with ou-ab12-cd345678 *$/m);
});

test('the share requests pass the AWS CLI\'s own parameter validation; a malformed one does not', async () => {
  const cli = new AwsCli(awsEnv('http://127.0.0.1:9', 'eu-west-1', { AWS_DEFAULT_REGION: 'eu-west-1' }));
  try {
    const requests: string[][] = [
      ['servicecatalog', 'get-aws-organizations-access-status'],
      ['servicecatalog', 'describe-portfolio-shares', '--portfolio-id', 'port-abc123', '--type', listType({ type: 'ACCOUNT', value: '123456789012' })],
      ['servicecatalog', 'describe-portfolio-shares', '--portfolio-id', 'port-abc123', '--type', listType({ type: 'ORGANIZATIONAL_UNIT', value: 'ou-ab12-cd345678' })],
      shareArguments('create', 'port-abc123', { type: 'ORGANIZATION', value: 'o-a1b2c3d4e5' }),
      shareArguments('update', 'port-abc123', { type: 'ORGANIZATIONAL_UNIT', value: 'ou-ab12-cd345678' }),
      shareArguments('create', 'port-abc123', { type: 'ACCOUNT', value: '123456789012' }),
      ['servicecatalog', 'describe-portfolio-share-status', '--portfolio-share-token', 'share-abc'],
      ['servicecatalog', 'associate-principal-with-portfolio', '--portfolio-id', 'port-abc123', '--principal-type', 'IAM', '--principal-arn', 'arn:aws:iam::123456789012:role/Developers'],
    ];
    for (const args of requests) {
      const r = await cli.call(args);
      assert.match(r.stderr, /Could not connect to the endpoint URL/, `${args.slice(0, 2).join(' ')} was refused before sending: ${r.stderr}`);
    }
    const bad = await cli.call(['servicecatalog', 'create-portfolio-share', '--portfolio-id', 'p', '--organization-node', 'Kind=ORGANIZATION,Value=o-a1b2c3d4e5']);
    assert.match(bad.stderr, /Parameter validation failed:\s+Unknown parameter in OrganizationNode: "Kind"/);
  } finally {
    cli.close();
  }
});
