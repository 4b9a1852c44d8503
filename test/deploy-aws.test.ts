/**
 * scripts/deploy-aws.ts: how many long-lived AWS CLI processes a deploy helper may start
 * (BERTH_AWS_WORKERS, as `scripts/deploy.sh --help` documents it: 1 to 8, default 3).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultWorkers } from '../scripts/deploy-aws.ts';
import { BerthError } from '../src/dsl/errors.ts';

function withWorkers<T>(value: string | undefined, f: () => T): T {
  const before = process.env.BERTH_AWS_WORKERS;
  if (value === undefined) delete process.env.BERTH_AWS_WORKERS;
  else process.env.BERTH_AWS_WORKERS = value;
  try {
    return f();
  } finally {
    if (before === undefined) delete process.env.BERTH_AWS_WORKERS;
    else process.env.BERTH_AWS_WORKERS = before;
  }
}

test('BERTH_AWS_WORKERS: 3 unset or empty, the number from 1 to 8, one located line otherwise', () => {
  assert.equal(withWorkers(undefined, defaultWorkers), 3);
  assert.equal(withWorkers('', defaultWorkers), 3);
  assert.equal(withWorkers('1', defaultWorkers), 1);
  assert.equal(withWorkers('8', defaultWorkers), 8);
  for (const bad of ['0', '9', 'two', '1.5', ' 2']) {
    assert.throws(
      () => withWorkers(bad, defaultWorkers),
      (e: unknown) => e instanceof BerthError && e.message === `BERTH_AWS_WORKERS: \`${bad}\` is not a number of AWS CLI processes. Set a whole number from 1 to 8, or unset it for 3.`,
      bad,
    );
  }
});
