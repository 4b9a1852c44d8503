// Tests for scripts/lint/main.ts, which runs the gates: its summary and exit codes, make lint on
// output/, the gates' speed-ups (checkov's driver, in-process parsing and split, cfripper's
// memoised expansion and C YAML parser, each giving the stock tools' verdicts), the per-template
// cache and the Regions cfn-lint checks for.
// Each gate alone is test/lint-gates.test.ts (two files, so they run side by side).
// Run: node --import tsx --test test/lint-main.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { CFRIPPER_DRIVER } from '../scripts/lint/cfripper.ts';
import { CHECKOV_DRIVER, checkovEnv, runCheckov } from '../scripts/lint/checkov.ts';
import { rel as relToRepo, REPO_ROOT, type GateResult } from '../scripts/lint/common.ts';
import { main } from '../scripts/lint/main.ts';
import { tempDir } from './_helpers.ts';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const INSECURE = path.join(FIXTURES, 'insecure', 'insecure.yaml');
const CLEAN = path.join(FIXTURES, 'clean', 'clean.yaml');

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

test('the gates\' speed-ups change no result: checkov through its driver, parsing in its own process, cfripper with each action expanded once and its YAML parsed by libyaml', async () => {
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
  const driven = verdicts(spawnSync(python, [CHECKOV_DRIVER, ...args], { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 1 << 28, env: checkovEnv() }).stdout);
  assert.ok(stock.some((v) => v.startsWith('failed_checks ')) && stock.some((v) => v.startsWith('passed_checks ')), 'the comparison covers failures and passes');
  assert.deepEqual(driven, stock);
  // cfripper: byte for byte, with and without the memoised expansion and the C YAML parser.
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

test('cfn-lint\'s key for a root includes what it reads of its nested templates: a child\'s new parameter re-lints its parent, a new default does not', async () => {
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
    // What cfn-lint reads of a nested template (E3043: its parameters' names and which have a
    // Default; GetAtt: its outputs' names) decides the parent's key; the rest of it does not, so a
    // service's new image tag does not re-lint the group and root above it.
    const parentKey = async (childText: string) => {
      await writeFile(child, childText);
      return (await templateKeys('cfn-lint', [parent])).get(parent);
    };
    const withDefault = await parentKey('Parameters:\n  X:\n    Type: String\n    Default: a:1\nResources: {}\n');
    assert.notEqual(withDefault, after.get(parent), 'a parameter gains a Default');
    assert.equal(await parentKey('Parameters:\n  X:\n    Type: String\n    Default: a:2\n    Description: changed\nResources:\n  Q:\n    Type: AWS::SQS::Queue\n'), withDefault, 'another default, description or resource');
    assert.notEqual(await parentKey('Parameters:\n  X:\n    Type: String\n    Default: a:2\nResources: {}\nOutputs:\n  Arn:\n    Value: x\n'), withDefault, 'an output');
    assert.notEqual(await parentKey('Parameters:\n  Y:\n    Type: String\n    Default: a:2\nResources: {}\n'), withDefault, 'a parameter renamed');
    assert.notEqual(await parentKey('Parameters:\n  X:\n    Type: String\n    Default: a:2\n  X:\n    Type: String\nResources: {}\n'), withDefault, 'unreadable (a duplicate key): the whole text counts');
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
