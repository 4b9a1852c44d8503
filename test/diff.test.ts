/**
 * berth diff: the comparison on parsed templates, the exact lines for two fixture builds with
 * known changes, and a deployed stack tree on a local moto server (root and nested stack).
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { palette } from '../src/cli/_terminal.ts';
import { stackRegion } from '../src/cli/deployed.ts';
import { compareValues, diffEstate, formatChanges, show } from '../src/cli/diff.ts';
import { parseTemplate } from '../src/emit/parse.ts';
import { berth, berthEnv, ROOT, run, tempDir } from './_helpers.ts';
import { startMoto, type Moto } from './_moto.ts';

const MINI = 'test/fixtures/mini-estate/estate.ts';
const plain = palette({ isTTY: false } as NodeJS.WriteStream);
const scratch = tempDir('diff');

/** What the fixture's `new` variant changes, as `berth diff` prints it. */
const KNOWN_CHANGES = [
  '~ blue/root.yaml',
  '    ~ Resources.Alerts (AWS::SNS::Topic)',
  '        Properties.DisplayName: "berth alerts" -> "berth alerts (new)"',
  '~ blue/queues.yaml',
  '    + Resources.Topic (AWS::SNS::Topic)',
  '    - Resources.DeadLetterQueue (AWS::SQS::Queue)',
  '    ~ Resources.Queue (AWS::SQS::Queue)',
  '        Properties.MessageRetentionPeriod: 345600 -> 1209600',
  '',
  'Templates: 2 changed. Resources: 1 added, 1 removed, 2 changed.',
  '',
];

test('short and long intrinsic forms, JSON and YAML, and comments are not differences', () => {
  const yaml = parseTemplate("# header\nResources:\n  A:\n    Type: X\n    Properties:\n      B: !GetAtt Vpc.CidrBlock\n      C: !Sub '${Vpc}'\n      D: !Ref Vpc\n", 'a.yaml');
  const json = parseTemplate('{"Resources":{"A":{"Type":"X","Properties":{"B":{"Fn::GetAtt":["Vpc","CidrBlock"]},"C":{"Fn::Sub":"${Vpc}"},"D":{"Ref":"Vpc"}}}}}', 'a.json');
  assert.deepEqual(yaml, json);
  assert.deepEqual(diffEstate(new Map([['e/a.yaml', yaml]]), new Map([['e/a.yaml', json]])), []);
});

test('changed properties are reported at the leaves, with old and new values; intrinsics whole', () => {
  assert.deepEqual(compareValues({ Tags: [{ Key: 'a', Value: 'x' }], Ref: 1 }, { Tags: [{ Key: 'a', Value: 'y' }, { Key: 'b', Value: 'z' }], Ref: 1 }), [
    { path: 'Tags[0].Value', old: 'x', new: 'y' },
    { path: 'Tags[1]', old: undefined, new: { Key: 'b', Value: 'z' } },
  ]);
  assert.deepEqual(compareValues({ V: { Ref: 'A' } }, { V: { 'Fn::GetAtt': ['B', 'Outputs.VpcId'] } }), [{ path: 'V', old: { Ref: 'A' }, new: { 'Fn::GetAtt': ['B', 'Outputs.VpcId'] } }]);
  assert.equal(show({ 'Fn::GetAtt': ['B', 'Outputs.VpcId'] }), '!GetAtt B.Outputs.VpcId');
  assert.equal(show({ 'Fn::Sub': ['${A}-x', { A: { Ref: 'B' } }] }), '!Sub ["${A}-x", {A: !Ref B}]');
  assert.equal(show(undefined), '(none)');
});

test('templates added or removed list their resources; parameters and outputs are compared too', () => {
  const old = new Map<string, unknown>([
    ['e/a.yaml', { Parameters: { P: { Type: 'String', Default: 'x' } }, Resources: { R: { Type: 'T' } } }],
    ['e/gone.yaml', { Resources: { G: { Type: 'T' } } }],
  ]);
  const next = new Map<string, unknown>([
    ['e/a.yaml', { Parameters: { P: { Type: 'String', Default: 'y' } }, Resources: { R: { Type: 'T' } }, Outputs: { O: { Value: 1 } } }],
    ['e/new.yaml', { Parameters: { Q: { Type: 'String' } }, Resources: { N: { Type: 'U' }, M: { Type: 'U' } } }],
  ]);
  assert.equal(
    formatChanges(diffEstate(old, next), plain),
    [
      '~ e/a.yaml',
      '    ~ Parameters.P',
      '        Default: "x" -> "y"',
      '    + Outputs.O',
      '+ e/new.yaml (new template, 2 resources)',
      '    + Resources.N (U)',
      '    + Resources.M (U)',
      '- e/gone.yaml (removed template, 1 resource)',
      '    - Resources.G (T)',
      '',
      'Templates: 1 changed, 1 added, 1 removed. Resources: 2 added, 1 removed, 0 changed.',
    ].join('\n'),
  );
});

test('diff of two fixture builds prints the known changes and exits 1; no changes exit 0', () => {
  const out = join(scratch, 'fixture');
  assert.equal(berth(ROOT, 'build', '--quiet', '--estate', MINI, '--out', out).status, 0);
  const same = berth(ROOT, 'diff', '--estate', MINI, '--out', out);
  assert.equal(same.status, 0, same.stderr);
  assert.equal(same.stdout, `No differences: a fresh build matches ${out}/ on disk (outside git) (3 templates).\n`);
  const changed = berthEnv(ROOT, { BERTH_FIXTURE_VARIANT: 'new' }, 'diff', '--estate', MINI, '--out', out);
  assert.equal(changed.status, 1, changed.stderr);
  assert.equal(changed.stdout, [...KNOWN_CHANGES, `Differences between ${out}/ on disk (outside git) (old) and a fresh build (new).`, ''].join('\n'));
});

test('diff compares with output/ as committed in git, not with the files a build just overwrote; --working and --against choose', () => {
  // A repository holding the fixture's committed output, then a build of the `new` variant over it.
  const repo = join(scratch, 'repo');
  const git = (...args: string[]) => {
    const r = run(repo, ['git', '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  assert.equal(berth(ROOT, 'build', '--quiet', '--estate', MINI, '--out', join(repo, 'output')).status, 0);
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'old');
  const sha = git('rev-parse', '--short=7', 'HEAD');
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules')); // for tsx; untracked
  const estate = join(ROOT, MINI);
  const variant = { BERTH_FIXTURE_VARIANT: 'new' };
  const inRepo = (e: NodeJS.ProcessEnv, ...args: string[]) => run(repo, [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args], e);
  assert.equal(inRepo(variant, 'build', '--quiet', '--estate', estate).status, 0);
  const committed = inRepo(variant, 'diff', '--estate', estate);
  assert.equal(committed.status, 1, committed.stderr);
  assert.equal(committed.stdout, [...KNOWN_CHANGES, `Differences between output/ as committed in HEAD (${sha}) (old) and a fresh build (new).`, ''].join('\n'));
  const working = inRepo(variant, 'diff', '--estate', estate, '--working');
  assert.equal(working.stdout, 'No differences: a fresh build matches output/ on disk (3 templates).\n');
  // Committed, the new output is HEAD; the old one is HEAD~1.
  git('commit', '-qam', 'new');
  assert.equal(inRepo(variant, 'diff', '--estate', estate).stdout, `No differences: a fresh build matches output/ as committed in HEAD (${git('rev-parse', '--short=7', 'HEAD')}) (3 templates).\n`);
  const before = inRepo(variant, 'diff', '--estate', estate, '--against', 'HEAD~1');
  assert.equal(before.status, 1, before.stderr);
  assert.equal(before.stdout, [...KNOWN_CHANGES, `Differences between output/ as committed in HEAD~1 (${sha}) (old) and a fresh build (new).`, ''].join('\n'));
  const bad = inRepo(variant, 'diff', '--estate', estate, '--against', 'no-such-branch');
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'error: --against no-such-branch: cannot be read: no such commit, branch or tag. Name a commit (`git log`), or leave --against out for HEAD.\n');
});

test('diff of output/ on disk against a fresh build finds nothing (any estate, after make build)', () => {
  // --working: the files as `make build` left them, committed or not (the git default is tested above).
  const r = berth(ROOT, 'diff', '--working');
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^No differences: a fresh build matches output\/ on disk \(\d+ templates\)\.\n$/);
});

test('fails when a committed template is not readable YAML (exit 2, the file named)', () => {
  const out = join(scratch, 'broken');
  assert.equal(berth(ROOT, 'build', '--quiet', '--estate', MINI, '--out', out).status, 0);
  writeFileSync(join(out, 'blue/queues.yaml'), 'Resources: [unclosed\n');
  const r = berth(ROOT, 'diff', '--estate', MINI, '--out', out);
  assert.equal(r.status, 2);
  assert.match(r.stderr, new RegExp(`^error: ${out}/blue/queues\\.yaml: is not a readable template: .+\\. Fix or regenerate it \\(\`make build\`\\)\\.\\n$`));
});

// ---------------------------------------------------------------------------------------------
// A deployed stack tree on moto: the fixture's root and nested stack, packaged as
// `aws cloudformation package` would (long form, the nested template in S3).

let moto: Moto | undefined;
let env: NodeJS.ProcessEnv = {};

function aws(...args: string[]): void {
  const r = run(ROOT, [join(ROOT, '.venv/bin/aws'), ...args], env);
  assert.equal(r.status, 0, `aws ${args.join(' ')}: ${r.stderr}`);
}

/** A template file in long-form JSON, nested TemplateURLs pointing at `url`. */
function packaged(file: string, url?: string): string {
  const t = parseTemplate(readFileSync(file, 'utf8'), file) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
  for (const r of Object.values(t.Resources)) if (r.Type === 'AWS::CloudFormation::Stack' && url) r.Properties.TemplateURL = url;
  const out = `${file}.packaged.json`;
  writeFileSync(out, JSON.stringify(t));
  return out;
}

before(async () => {
  moto = await startMoto();
  env = {
    AWS_ENDPOINT_URL: moto.endpoint,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
  const out = join(scratch, 'deployed');
  assert.equal(berth(ROOT, 'build', '--quiet', '--estate', MINI, '--out', out).status, 0);
  aws('s3api', 'create-bucket', '--bucket', 'berth-diff-test', '--create-bucket-configuration', 'LocationConstraint=eu-west-1');
  aws('s3', 'cp', packaged(join(out, 'blue/queues.yaml')), 's3://berth-diff-test/queues.json');
  const root = packaged(join(out, 'blue/root.yaml'), 'https://s3.amazonaws.com/berth-diff-test/queues.json');
  aws('cloudformation', 'create-stack', '--stack-name', 'berth-blue', '--template-body', `file://${root}`);
  // The nested template deployed alone, as `scripts/deploy.sh blue --template queues` would.
  aws('cloudformation', 'create-stack', '--stack-name', 'berth-blue-queues', '--template-body', `file://${packaged(join(out, 'blue/queues.yaml'))}`, '--parameters', 'ParameterKey=Prefix,ParameterValue=blue');
});

after(() => {
  moto?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test('diff --stack-name against a deployed root and nested stack: none, then the known changes', () => {
  // The stack holds the root and its nested stack; extra.yaml, the other top-level template, is not compared.
  const same = berthEnv(ROOT, env, 'diff', '--estate', MINI, '--env', 'blue', '--stack-name', 'berth-blue');
  assert.equal(same.status, 0, same.stdout + same.stderr);
  assert.equal(same.stdout, 'No differences: a fresh build matches deployed stack `berth-blue` (2 templates).\n');
  const changed = berthEnv(ROOT, { ...env, BERTH_FIXTURE_VARIANT: 'new' }, 'diff', '--estate', MINI, '--stack-name', 'berth-blue');
  assert.equal(changed.status, 1, changed.stderr);
  assert.equal(changed.stdout, [...KNOWN_CHANGES, 'Differences between deployed stack `berth-blue` (old) and a fresh build (new).', ''].join('\n'));
});

test('diff --template compares a deployed stack with another top-level template', () => {
  const r = berthEnv(ROOT, env, 'diff', '--estate', MINI, '--stack-name', 'berth-blue', '--template', 'extra.yaml');
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.split('\n');
  const expected = [
    '~ blue/extra.yaml',
    '    ~ Description: "berth fixture: root" -> "berth fixture: a second top-level template"',
    '    - Parameters.Prefix',
    '    + Resources.Notices (AWS::SNS::Topic)',
    '    - Resources.Alerts (AWS::SNS::Topic)',
    '    - Resources.Queues (AWS::CloudFormation::Stack)',
    '    - Outputs.AlertsArn',
    // The deployed root's nested stack has no counterpart in extra.yaml's tree.
    '- blue/extra.yaml#Queues (removed template, 2 resources)',
    '    - Resources.Queue (AWS::SQS::Queue)',
    '    - Resources.DeadLetterQueue (AWS::SQS::Queue)',
    'Templates: 1 changed, 1 removed. Resources: 1 added, 4 removed, 0 changed.',
  ];
  let at = 0;
  for (const line of expected) {
    const found = lines.indexOf(line, at);
    assert.ok(found >= 0, `missing or out of order: ${line}\n${r.stdout}`);
    at = found + 1;
  }
});

test('fails when the deployed stack does not exist (exit 2, what to check)', () => {
  const r = berthEnv(ROOT, env, 'diff', '--estate', MINI, '--stack-name', 'no-such-stack');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^error: --stack-name no-such-stack: `aws cloudformation (get-template|list-stack-resources)` failed: .*does not exist\. Check the stack name, the Region \(eu-west-1, from AWS_REGION; set AWS_REGION for another\) and your credentials\.\n$/);
});

test('fails with one line when no AWS CLI can be run (none in .venv/, none on PATH)', () => {
  const elsewhere = tempDir('diff-no-cli');
  try {
    const r = run(elsewhere, [process.execPath, join(ROOT, 'dist/berth.cjs'), 'diff', '--estate', join(ROOT, MINI), '--stack-name', 'berth-blue'], { ...env, PATH: '/nonexistent', BERTH_STALE_BUNDLE: 'source' });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.equal(r.stderr, 'error: --stack-name: cannot run the AWS CLI (`aws` is not installed). Install it, or run `make install`, which puts a pinned one in .venv/.\n');
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('diff --stack-name honours AWS_REGION over the AWS CLI\'s AWS_DEFAULT_REGION, else the environment\'s region', () => {
  // The stack is in eu-west-1. AWS CLI v1 reads only AWS_DEFAULT_REGION; berth passes AWS_REGION as --region.
  const found = berthEnv(ROOT, { ...env, AWS_DEFAULT_REGION: 'us-east-1' }, 'diff', '--estate', MINI, '--stack-name', 'berth-blue');
  assert.equal(found.status, 0, found.stderr);
  const elsewhere = berthEnv(ROOT, { ...env, AWS_REGION: 'us-east-1' }, 'diff', '--estate', MINI, '--stack-name', 'berth-blue');
  assert.equal(elsewhere.status, 2);
  assert.match(elsewhere.stderr, /does not exist\. Check the stack name, the Region \(us-east-1, from AWS_REGION; set AWS_REGION for another\)/);
});

test('the Region for --stack-name: AWS_REGION, else AWS_DEFAULT_REGION, else the settings file\'s `region`', () => {
  const settings = join(scratch, 'green.json');
  writeFileSync(settings, JSON.stringify({ name: 'green', region: 'ap-southeast-2' }));
  const saved = { r: process.env.AWS_REGION, d: process.env.AWS_DEFAULT_REGION };
  try {
    process.env.AWS_REGION = 'eu-central-1';
    process.env.AWS_DEFAULT_REGION = 'us-east-1';
    assert.deepEqual(stackRegion(settings), { region: 'eu-central-1', source: 'AWS_REGION' });
    delete process.env.AWS_REGION;
    assert.deepEqual(stackRegion(settings), { region: 'us-east-1', source: 'AWS_DEFAULT_REGION' });
    delete process.env.AWS_DEFAULT_REGION;
    assert.deepEqual(stackRegion(settings), { region: 'ap-southeast-2', source: `${settings} \`region\`` });
    assert.deepEqual(stackRegion(join(scratch, 'missing.json')), { region: undefined, source: 'the AWS CLI profile' });
  } finally {
    for (const [k, v] of [['AWS_REGION', saved.r], ['AWS_DEFAULT_REGION', saved.d]] as const) if (v === undefined) delete process.env[k]; else process.env[k] = v;
  }
});

test('diff --stack-name --template compares a layer deployed alone (scripts/deploy.sh --template queues)', () => {
  const same = berthEnv(ROOT, env, 'diff', '--estate', MINI, '--stack-name', 'berth-blue-queues', '--template', 'queues');
  assert.equal(same.status, 0, same.stdout + same.stderr);
  assert.equal(same.stdout, 'No differences: a fresh build matches deployed stack `berth-blue-queues` (1 templates).\n');
  const changed = berthEnv(ROOT, { ...env, BERTH_FIXTURE_VARIANT: 'new' }, 'diff', '--estate', MINI, '--stack-name', 'berth-blue-queues', '--template', 'queues.yaml');
  assert.equal(changed.status, 1, changed.stderr);
  assert.equal(changed.stdout, [...KNOWN_CHANGES.slice(3, 8), '', 'Templates: 1 changed. Resources: 1 added, 1 removed, 1 changed.', '', 'Differences between deployed stack `berth-blue-queues` (old) and a fresh build (new).', ''].join('\n'));
});
