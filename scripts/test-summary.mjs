/**
 * The node:test reporter of `make test` (scripts/test-run.ts): a mark per test as it finishes
 * (`.` passed, `X` failed, `s` skipped, `t` todo; 100 to a line), then one line per failing file,
 * every failure in full (its file, the path of test names that leads to it, the error with its
 * stack), the totals and the slowest files. A passing run fits on one screen; node's `spec`
 * reporter printed about 1,900 lines.
 * https://nodejs.org/docs/latest-v20.x/api/test.html#custom-reporters
 *
 * Plain JavaScript: Node 20 loads a reporter before `--import tsx` applies, so a .ts reporter
 * fails with ERR_UNKNOWN_FILE_EXTENSION. Its types are JSDoc, checked by editors (`@ts-check`).
 */
// @ts-check
import { relative } from 'node:path';
import { inspect } from 'node:util';

/**
 * @typedef {{ name: string, nesting: number, file?: string, skip?: string | boolean, todo?: string | boolean,
 *   details?: { duration_ms?: number, error?: unknown, passed?: boolean } }} TestData
 * @typedef {{ type: string, data: TestData }} TestEvent
 * @typedef {{ tests: number, failed: number, skipped: number }} FileTally
 * @typedef {{ file: string, path: readonly string[], error: unknown }} Failure
 */

const ROOT = process.cwd();
/** @param {number} ms */
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
/** @param {string | undefined} file */
const name = (file) => (file ? relative(ROOT, file) : '(no file)');

/** The error node:test wraps around a failed test's own error (`cause`), shown as the test threw it. */
/** @param {unknown} error @returns {string} */
function describeError(error) {
  const e = /** @type {{ failureType?: string, cause?: unknown } | undefined} */ (error);
  const shown = e && typeof e === 'object' && 'cause' in e && e.cause !== undefined ? e.cause : error;
  const kind = e?.failureType && e.failureType !== 'testCodeFailure' ? `(${e.failureType}) ` : '';
  return kind + (typeof shown === 'string' ? shown : inspect(shown, { depth: 6, colors: false }));
}

/** @param {AsyncIterable<TestEvent>} source @returns {AsyncGenerator<string>} */
export default async function* summary(source) {
  const started = performance.now();
  /** @type {Map<string, FileTally>} */
  const files = new Map();
  /** @type {Failure[]} */
  const failures = [];
  /** @type {[string, number][]} */
  const durations = [];
  /** The names of the tests running in each file, by nesting, so a failure shows its path. */
  /** @type {Map<string, string[]>} */
  const stacks = new Map();
  /** @type {Set<string>} */
  const finished = new Set();
  /** Files and test paths that have had a test inside them. @type {Set<string>} */
  const parents = new Set();
  let tests = 0;
  let skipped = 0;
  let todo = 0;
  let passed = 0;
  /** What each file's process wrote to stderr, shown only when the file itself fails. @type {Map<string, string>} */
  const stderr = new Map();
  for await (const { type, data } of source) {
    const file = data.file ?? '';
    if (type === 'test:stderr') {
      stderr.set(file, ((stderr.get(file) ?? '') + /** @type {{ message?: string }} */ (data).message).slice(-4000));
      continue;
    }
    if (type === 'test:start') {
      // A file's own entry (its name is its path) is not a test of it.
      if (data.name !== data.file) (stacks.get(file) ?? /** @type {string[]} */ (stacks.set(file, []).get(file)))[data.nesting] = data.name;
      continue;
    }
    const own = data.name === data.file;
    if (type !== 'test:pass' && type !== 'test:fail' && !(own && type === 'test:complete')) continue;
    const tally = files.get(file) ?? /** @type {FileTally} */ (files.set(file, { tests: 0, failed: 0, skipped: 0 }).get(file));
    if (own) {
      // The file finished: Node 20 reports it by `test:complete` (and `test:fail` too when it
      // did not load), and, running two files at once, sometimes before the file's own tests.
      // A file can fail with no failed test (it did not load, or its process ended with a
      // non-zero code): that is a failure of its own.
      if (finished.has(file)) continue;
      finished.add(file);
      const error = /** @type {{ failureType?: string } | undefined} */ (data.details?.error);
      const failed = type === 'test:fail' || (type === 'test:complete' && data.details?.passed === false);
      if (failed && error?.failureType !== 'subtestsFailed') {
        tally.failed++;
        const written = stderr.get(file)?.trim();
        failures.push({ file, path: ['(the file itself)'], error: written ? `${String(error)}; its stderr ends:\n${written}` : error });
      }
      durations.push([file, data.details?.duration_ms ?? 0]);
      continue;
    }
    const path = [...(stacks.get(file) ?? []).slice(0, data.nesting), data.name];
    // A suite reports after its tests: count the tests, not the suite (a suite fails when a
    // test inside it fails, and that failure is shown once, at the test).
    parents.add(`${file}\0${path.slice(0, -1).join('\0')}`);
    if (parents.has(`${file}\0${path.join('\0')}`)) continue;
    let mark = '.';
    if (type === 'test:fail') {
      tally.failed++;
      failures.push({ file, path, error: data.details?.error });
      mark = 'X';
    } else if (data.skip !== undefined && data.skip !== false) {
      tally.skipped++;
      skipped++;
      mark = 's';
    } else if (data.todo !== undefined && data.todo !== false) {
      todo++;
      mark = 't';
    } else {
      passed++;
    }
    tally.tests++;
    tests++;
    yield tests % 100 === 0 ? `${mark}\n` : mark;
  }
  if (tests % 100 !== 0) yield '\n';
  for (const [file, t] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (t.failed) yield `FAIL ${name(file)}: ${t.tests} tests, ${t.failed} failed${t.skipped ? `, ${t.skipped} skipped` : ''}\n`;
  }
  for (const [i, f] of failures.entries()) {
    yield `\n── failure ${i + 1} of ${failures.length}: ${name(f.file)}\n   ${f.path.join(' › ')}\n`;
    yield `${describeError(f.error).replace(/^/gm, '   ')}\n`;
  }
  const slowest = durations.sort((a, b) => b[1] - a[1]).slice(0, 5).map(([f, ms]) => `${name(f)} ${seconds(ms)}`);
  const failedFiles = [...files.values()].filter((t) => t.failed > 0).length;
  yield `\n${tests} tests in ${files.size} files: ${passed} passed, ${failures.length} failed, ${skipped} skipped, ${todo} todo` +
    `${failedFiles ? ` (${failedFiles} failing files)` : ''}; ${seconds(performance.now() - started)}\n`;
  if (slowest.length) yield `slowest: ${slowest.join(', ')}\n`;
}
