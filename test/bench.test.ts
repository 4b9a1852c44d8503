/**
 * A smoke run of the benchmark harness (scripts/bench.ts with BENCH_SMOKE=1): berth's side once,
 * without the AWS CDK (bench/ is never installed by `make test`; `make bench` installs it), lint
 * type-check or editor measurements. It prints its tables and the targets; figures are not checked: a
 * benchmark is never a timed unit test.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT, run } from './_helpers.ts';

test('scripts/bench.ts with BENCH_SMOKE=1 runs berth\'s side without the CDK and prints the tables and the targets', { timeout: 300_000 }, () => {
  const cdkInstalled = existsSync(join(ROOT, 'bench', 'node_modules'));
  const r = run(ROOT, [process.execPath, '--import', 'tsx', 'scripts/bench.ts'], { BENCH_SMOKE: '1' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(existsSync(join(ROOT, 'bench', 'node_modules')), cdkInstalled, 'the smoke run installed bench/');
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes('| case | berth | berth peak | AWS CDK | CDK peak | time berth / CDK | memory berth / CDK |'), r.stdout);
  assert.ok(lines.some((l) => /^\| `make build` \(dev \+ prod, \d+ templates\) vs `cdk synth` \(dev, default validation\) \| \d+\.\d\d s \| (\d+ MiB|n\/a) \| - \| - \| - \| - \|$/.test(l)), r.stdout);
  for (const n of [1, 10, 50]) assert.ok(lines.some((l) => new RegExp(`^\\| ${n} services? \\(berth bench estate .*\\| \\d+\\.\\d\\d s \\|`).test(l)), `scaling row for ${n}`);
  assert.ok(lines.includes('| lint | wall | peak | make lint / cfn-lint |'), r.stdout);
  assert.ok(lines.includes('| editor | median | max | runs |'), r.stdout);
  assert.ok(lines.includes('| not run | - | - |'), r.stdout);
  assert.ok(lines.includes('| `tsc --noEmit -p .` (incremental, nothing changed) | - | - | 0 |'), r.stdout);
  assert.ok(lines.includes('| `tsc --noEmit -p .` (incremental, `templates/stacks/root.ts` edited) | - | - | 0 |'), r.stdout);
  assert.match(r.stdout, /^machine: \d+ cores \(.+\), Node v\d+/m);
  assert.match(r.stdout, /^CDK app closeness: not measured \(BENCH_SMOKE=1 runs no CDK\)\.$/m);
  const targets = lines.filter((l) => /^\[(met|missed|skipped)\] /.test(l));
  assert.equal(targets.length, 12, r.stdout);
  // What needs the CDK, lint or the editor is skipped; berth's own targets are measured.
  assert.deepEqual(targets.filter((l) => l.startsWith('[skipped]')).length, 7, targets.join('\n'));
  // Organisation scale (issue 16): a smoke run builds 1 and 10 services of the scale estate, lints nothing.
  assert.ok(lines.includes('| organisation scale (test/fixtures/scale-estate) | wall | peak | templates | wall per template |'), r.stdout);
  assert.match(r.stdout, /^\| `berth build`, 10 services \| \d+\.\d\d s \| (\d+ MiB|n\/a) \| \d+ \| \d+\.\d ms \|$/m);
  assert.match(r.stdout, /^\| `make lint` after a one-service edit, 10 services, gate servers up \(their memory: -\) \| - \| - \| \d+ \| - \|$/m);
  assert.match(r.stdout, /^\| `make lint` after a one-service edit, 10 services, no gate servers \(`BERTH_LINT_SERVER=0`\) \| - \| - \| \d+ \| - \|$/m);
  assert.match(r.stdout, /^smoke run \(BENCH_SMOKE=1\); \d+ target\(s\) missed\.$/m);
});
