/**
 * `make test`'s runner (scripts/test-run.ts) and reporter (scripts/test-summary.mjs) on two
 * fixture test files: one line per file, the failure in full, the totals, and a run that fails
 * because a test left a folder in the temporary folder, which the runner then removes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { test } from 'node:test';
import { ROOT, run, tempDir } from './_helpers.ts';

test('the runner prints a line per file, each failure in full and the totals, and fails when a test leaves something in the temporary folder', () => {
  const tmp = tempDir('runner');
  const r = run(ROOT, [process.execPath, '--import', 'tsx', 'scripts/test-run.ts', 'test/fixtures/test-run/clean.test.ts', 'test/fixtures/test-run/leaves-a-file.test.ts'], { TMPDIR: tmp });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[0]!, /^[.Xs]{4}$/);
  assert.deepEqual([...lines[0]!].sort(), ['.', '.', 'X', 's']);
  assert.equal(lines[1], 'FAIL test/fixtures/test-run/leaves-a-file.test.ts: 2 tests, 1 failed');
  assert.match(r.stdout, /^\n── failure 1 of 1: test\/fixtures\/test-run\/leaves-a-file\.test\.ts\n {3}fails with its own message\n {3}AssertionError \[ERR_ASSERTION\]: the fixture failure\n/m);
  assert.match(r.stdout, /^4 tests in 2 files: 2 passed, 1 failed, 1 skipped, 0 todo \(1 failing files\); \d+\.\d s$/m);
  assert.match(r.stdout, /^\[fail\] the tests left 1 entry in the temporary folder .*\n {2}berth-forgotten-\w{6}\/ \(1 entry\)\n$/m);
  // The run's own folder is gone, leftovers and all; only tsx's cache stays, as it does in /tmp.
  assert.deepEqual(readdirSync(tmp), [`tsx-${userInfo().uid}`]);
});

test('a clean run passes', () => {
  const r = run(ROOT, [process.execPath, '--import', 'tsx', 'scripts/test-run.ts', 'test/fixtures/test-run/clean.test.ts'], { TMPDIR: tempDir('runner') });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^2 tests in 1 files: 1 passed, 0 failed, 1 skipped, 0 todo; \d+\.\d s$/m);
  assert.doesNotMatch(r.stdout, /\[fail\]/);
});

test('the runner starts the files in its order, not by name, as many at once as BERTH_TEST_CONCURRENCY says', () => {
  const log = join(tempDir('order'), 'log');
  const files = ['test/fixtures/test-run/order-b.test.ts', 'test/fixtures/test-run/order-a.test.ts'];
  const r = run(ROOT, [process.execPath, '--import', 'tsx', 'scripts/test-run.ts', ...files], { TMPDIR: tempDir('runner'), BERTH_ORDER_LOG: log, BERTH_TEST_CONCURRENCY: '1' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(readFileSync(log, 'utf8'), 'order-b\norder-a\n', '`node --test` would have started order-a first');
  const bad = run(ROOT, [process.execPath, '--import', 'tsx', 'scripts/test-run.ts', ...files], { BERTH_TEST_CONCURRENCY: 'all' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'error: scripts/test-run.ts: BERTH_TEST_CONCURRENCY: `all` is not a number of test files to run at once. Set a whole number from 1 to 16, or unset it for 3.\n');
});
