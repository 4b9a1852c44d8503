/**
 * `make test`'s runner: node:test over the given files, three at a time (the longest first, in the
 * order LONGEST_FIRST gives: through node:test's `run()`, since `node --test` sorts its files by
 * name), with the one-screen reporter (scripts/test-summary.mjs), in a temporary folder of its own (TMPDIR, which Node's
 * `os.tmpdir()`, Python's `tempfile`, `mktemp` and the AWS CLI all honour). Afterwards that folder
 * must be empty: whatever a test left there is listed and the run fails, so no test can leave
 * files in /tmp unnoticed. Tests make their folders with `tempDir` (test/_helpers.ts), which
 * removes them when the test file's process exits.
 *
 *   node --import tsx scripts/test-run.ts test/a.test.ts test/b.test.ts
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { run } from 'node:test';
import { pathToFileURL } from 'node:url';
import { serverMode } from './lint/gate-server.ts';
import { startGateServers } from './lint/main.ts';
import { BerthError } from '../src/dsl/errors.ts';

const ROOT = resolve(import.meta.dirname, '..');

/**
 * The caches tools keep in the temporary folder on purpose: tsx's transpile cache (`tsx-<uid>`) and
 * the grammar cache of lark, checkov's parser (`.lark_cache_*.tmp`). lark's, in the usual folder,
 * is linked into the run's folder, so checkov starts warm, as it does outside `make test`. tsx's is
 * the run's own, made in the run's folder and removed with it: tsx keys its entries by file path,
 * and the tests' copies of the repository live at new paths every run, so a shared cache would
 * only grow (284,000 entries after a few days of runs here), and a tsx process that writes an entry
 * first lists the whole folder to expire old ones: about 0.45 s of CPU at that size, paid by every
 * run from source in a copy (64 per suite). Neither is a leftover.
 */
const TSX_CACHE = `tsx-${userInfo().uid}`;
const isShared = (name: string) => /^\.lark_cache_.*\.tmp$/.test(name);
const isCache = (name: string) => name === TSX_CACHE || isShared(name);

/** The folder of things the run's test files build once and share (BERTH_TEST_SHARED). */
const SHARED = 'berth-test-shared';

const entries = (n: number) => `${n} ${n === 1 ? 'entry' : 'entries'}`;

/**
 * The files that take longest, longest first (each file's time in the whole suite on 2 cores:
 * deploy 125 s, local-docs and cli-new 69 s, deploy-refusals 67 s, hostile 61 s, then 30-42 s),
 * started first so the rest of the suite runs beside them instead of after them. Run in name order
 * (as `node --test` runs them), deploy started 54 s in and stackset 279 s in, and the last 40 s
 * kept one core idle.
 */
const LONGEST_FIRST = [
  'test/deploy.test.ts',
  'test/local-docs.test.ts',
  'test/cli-new.test.ts',
  'test/deploy-refusals.test.ts',
  'test/hostile.test.ts',
  'test/lint-main.test.ts',
  'test/scale-layers.test.ts',
  'test/own-estate.test.ts',
  'test/gate-server.test.ts',
  'test/stackset.test.ts',
  'test/diff.test.ts',
  'test/cli.test.ts',
  'test/lint-gates.test.ts',
  'test/scale.test.ts',
  'test/graph.test.ts',
  'test/deploy-preflight.test.ts',
];

/**
 * How many test files run at once: BERTH_TEST_CONCURRENCY, else three. The long suites mostly wait
 * (on the local AWS endpoint, on deploy polls, on subprocesses), so three keep two cores busy where
 * two left one idle; a machine with more cores can run more.
 */
export function concurrency(env: NodeJS.ProcessEnv): number {
  const set = env.BERTH_TEST_CONCURRENCY;
  if (set === undefined || set === '') return 3;
  if (!/^([1-9]|1[0-6])$/.test(set)) throw new BerthError('BERTH_TEST_CONCURRENCY', `\`${set}\` is not a number of test files to run at once. Set a whole number from 1 to 16, or unset it for 3.`);
  return Number(set);
}

/** `files`, the longest first (in LONGEST_FIRST's order), the others as given. */
export function scheduled(files: readonly string[]): string[] {
  const key = (f: string) => LONGEST_FIRST.indexOf(f.replace(/^\.\//, ''));
  const rank = (f: string) => (key(f) < 0 ? LONGEST_FIRST.length : key(f));
  return files.map((f, i) => [f, i] as const).sort(([a, i], [b, j]) => rank(a) - rank(b) || i - j).map(([f]) => f);
}

/** The entries a finished run left in its temporary folder, as `<name>` or `<name>/ (n entries)`. */
export function leftovers(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).filter((e) => !isCache(e.name)).map((e) => (e.isDirectory() ? `${e.name}/ (${entries(readdirSync(join(dir, e.name)).length)})` : e.name)).sort();
}

async function main(files: readonly string[]): Promise<number> {
  let parallel: number;
  try {
    parallel = concurrency(process.env);
  } catch (e) {
    if (!(e instanceof BerthError)) throw e;
    process.stderr.write(`error: scripts/test-run.ts: ${e.message}\n`);
    return 2;
  }
  if (files.length === 0) {
    process.stderr.write('error: scripts/test-run.ts: no test files given. Pass them, e.g. `scripts/test-run.ts test/cli.test.ts` (`make test` passes test/*.test.ts).\n');
    return 2;
  }
  const tmp = mkdtempSync(join(tmpdir(), 'berth-test-run-'));
  // What the run's test files build once and share (test/_helpers.ts: the fixture estate's output),
  // removed with the run, before its folder is checked for leftovers.
  const shared = join(tmp, SHARED);
  mkdirSync(shared);
  for (const name of readdirSync(tmpdir())) if (isShared(name)) symlinkSync(join(tmpdir(), name), join(tmp, name));
  // The lint gates remember each template's verdict (scripts/lint/cache.ts) in one folder for the
  // whole run, not in each copy of the repository's .stamps/lint: the tests' copies lint the same
  // fixture estate again and again, and a template linted once is answered from memory, with the
  // verdict a run would give (the key covers the template, the gates and the settings). Tests of
  // the cache itself set a folder of their own; --no-cache lints everything.
  const lintCache = process.env.BERTH_LINT_CACHE_DIR ?? join(shared, 'lint-cache');
  // NODE_TEST_CONTEXT set means "inside a test file", where run() runs no files.
  const env = { ...process.env, TMPDIR: tmp, BERTH_TEST_SHARED: shared, BERTH_LINT_CACHE_DIR: lintCache, NODE_TEST_CONTEXT: undefined, BERTH_LINT_SERVER: process.env.BERTH_LINT_SERVER === '0' ? '0' : 'use', BERTH_LINT_SERVER_IDLE: '600' };
  // The Python gates' servers (scripts/lint/gate-server.ts), one of each for the whole run, stopped
  // after it: the tests' gate runs fork them instead of importing checkov, cfn-lint and cfripper
  // again each time, and start none of their own (BERTH_LINT_SERVER=use). Should the run be
  // killed, they exit by themselves after 10 idle minutes. BERTH_LINT_SERVER=0 runs every tool cold.
  const servers = serverMode(env) === 'off' ? [] : startGateServers(env);
  try {
    // The files' processes take this process's environment and folder, and its `--import tsx`.
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    process.chdir(ROOT);
    // Loaded here, after the chdir: it names files relative to the folder it starts in.
    const { default: summary } = (await import(pathToFileURL(join(ROOT, 'scripts', 'test-summary.mjs')).href)) as { default: (source: AsyncIterable<unknown>) => AsyncGenerator<string> };
    let failed = false;
    const stream = run({ files: scheduled(files).map((f) => resolve(ROOT, f)), concurrency: parallel });
    stream.on('test:fail', (data: { todo?: string | boolean }) => {
      if (data.todo === undefined || data.todo === false) failed = true;
    });
    for await (const chunk of stream.compose(summary)) process.stdout.write(chunk as string);
    rmSync(shared, { recursive: true, force: true });
    const left = leftovers(tmp);
    if (left.length > 0) {
      process.stdout.write(`\n[fail] the tests left ${entries(left.length)} in the temporary folder (make each with tempDir from test/_helpers.ts, or remove it in an after hook):\n`);
      for (const entry of left) process.stdout.write(`  ${entry}\n`);
      return 1;
    }
    return failed ? 1 : 0;
  } finally {
    for (const pid of servers) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // it had idled out already
      }
    }
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main(process.argv.slice(2));
