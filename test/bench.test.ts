/**
 * A smoke run of `make bench` (one run per command, no warm-up): it installs bench/ on demand,
 * runs both tools and prints its tables and the targets. Figures are not checked: a benchmark is
 * never a timed unit test.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ROOT, run } from './_helpers.ts';

test('make bench with BENCH_RUNS=1 runs berth and the CDK, the editor measurements, and prints the tables and the targets', { timeout: 600_000 }, () => {
  const r = run(ROOT, ['make', '-s', 'bench'], { BENCH_RUNS: '1' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes('| case | berth | berth peak | AWS CDK | CDK peak | time berth / CDK | memory berth / CDK |'), r.stdout);
  assert.ok(lines.includes('| lint | wall | peak | make lint / cfn-lint |'), r.stdout);
  assert.match(r.stdout, /^machine: \d+ cores \(.+\), Node v\d+/m);
  assert.match(r.stdout, /^CDK app closeness: berth \d+ resources, CDK \d+/m);
  assert.ok(lines.includes('| editor | median | max | runs |'), r.stdout);
  assert.match(r.stdout, /^\| keystroke in `templates\/stacks\/root\.ts` \(tsserver, to its semantic diagnostics\) \| \d+\.\d\d s \| \d+\.\d\d s \| 8 \|$/m);
  assert.match(r.stdout, /^\| `tsc --noEmit -p \.` \(incremental, nothing changed\) \| \d+\.\d\d s \| \d+\.\d\d s \| 1 \|$/m);
  assert.match(r.stdout, /^\| `tsc --noEmit -p \.` \(incremental, `templates\/stacks\/root\.ts` edited\) \| \d+\.\d\d s \| \d+\.\d\d s \| 1 \|$/m);
  assert.equal(lines.filter((l) => /^\[(met|missed)\] /.test(l)).length, 8);
  for (const n of [1, 10, 50]) assert.ok(lines.some((l) => l.startsWith(`| ${n} service`)), `scaling row for ${n}`);
});
