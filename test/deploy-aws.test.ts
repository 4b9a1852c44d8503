/**
 * The long-lived AWS CLI processes (src/cli/aws.ts, re-exported by scripts/deploy-aws.ts): how
 * many a deploy helper may start (BERTH_AWS_WORKERS, as `scripts/deploy.sh --help` documents it:
 * 1 to 8, default 3), and a CLI whose Python cannot run.
 */
import assert from 'node:assert/strict';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { defaultWorkers, makeAws } from '../scripts/deploy-aws.ts';
import { BerthError } from '../src/dsl/errors.ts';
import { tempDir } from './_helpers.ts';

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

test('a Python AWS CLI whose interpreter is gone answers each call with a failure, and the caller carries on', async () => {
  const dir = tempDir('broken-cli');
  try {
    const cli = join(dir, 'aws');
    writeFileSync(cli, '#!/nonexistent/venv/bin/python3\nprint("never")\n');
    chmodSync(cli, 0o755);
    const aws = makeAws(cli, 'eu-west-1', 2);
    const [a, b] = await Promise.all([aws('sts', 'get-caller-identity'), aws('cloudformation', 'list-stacks')]);
    aws.close();
    for (const r of [a, b]) {
      assert.equal(r.ok, false);
      assert.match(r.stderr, /^the AWS CLI process (could not run: spawn \/nonexistent\/venv\/bin\/python3 ENOENT|ended)$/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
