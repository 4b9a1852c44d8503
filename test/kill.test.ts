/**
 * Builds killed in the middle of their write, many times: the moment berth's work entries appear
 * in the output folder (plus a varying delay, to land on every step: staging, the swap, removing
 * the old folders), the build gets SIGKILL, SIGTERM or SIGINT. After each kill:
 * 1. every environment folder holds one build's complete set, old or new, never a mix (or, killed
 *    between the two renames of a swap, is absent while its old folder waits beside it);
 * 2. SIGINT and SIGTERM leave nothing behind; what SIGKILL left, the next build puts right.
 * The builds run the compiled CLI (scripts/bundle.ts) with a fixture estate of 48 templates.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bundle } from '../scripts/bundle.ts';
import { TEMPLATES } from './fixtures/many-templates/estate.ts';
import { ROOT, tempDir } from './_helpers.ts';

const ESTATE = join(ROOT, 'test/fixtures/many-templates/estate.ts');
const ENVIRONMENTS = ['east', 'west'];
const scratch = tempDir('kill');
let cli = '';

before(async () => {
  cli = await bundle({ estate: ESTATE, out: join(scratch, 'dist', 'berth.cjs') });
});
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  /** Whether the kill was sent (the build had started writing). */
  readonly killed: boolean;
}

/**
 * One build of `variant` into `out`, killed with `signal` `delayMs` after its first work entry
 * appears; without a signal, `writeMs` says how long the write took from that moment.
 */
function build(out: string, variant: string, signal?: NodeJS.Signals, delayMs = 0): Promise<Run & { writeMs: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'build', '--quiet', '--estate', ESTATE, '--out', out], {
      env: { ...process.env, BERTH_FIXTURE_VARIANT: variant, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d) => (stderr += d));
    let started = 0;
    const watcher = watch(out, (_event, name) => {
      if (started || !name?.startsWith('.berth-new-')) return;
      started = performance.now();
      if (!signal) return;
      killed = true;
      if (delayMs === 0) child.kill(signal);
      else setTimeout(() => child.kill(signal), delayMs);
    });
    child.on('error', reject);
    child.on('close', (code, sig) => {
      watcher.close();
      resolve({ code, signal: sig, stderr, killed, writeMs: started ? performance.now() - started : 0 });
    });
  });
}

/** What an environment folder holds: one variant's complete set, `absent`, or a description of the mix. */
function state(out: string, env: string): string {
  const dir = join(out, env);
  if (!existsSync(dir)) return 'absent';
  const names = readdirSync(dir).sort();
  const expected = Array.from({ length: TEMPLATES }, (_, i) => `part-${String(i).padStart(2, '0')}.yaml`);
  if (names.join() !== expected.join()) return `incomplete: ${names.length} of ${TEMPLATES} files (${names.slice(0, 3).join(', ')}...)`;
  const variants = new Set(names.map((n) => /variant (\w+)/.exec(readFileSync(join(dir, n), 'utf8'))?.[1]));
  return variants.size === 1 ? [...variants][0]! : `mixed: ${[...variants].join(' and ')}`;
}

const leftovers = (out: string) => readdirSync(out).filter((n) => n.startsWith('.berth-'));

test('killed builds leave each environment folder whole (old or new set, never a mix); SIGINT and SIGTERM clean up; the next build removes what SIGKILL left', async () => {
  const out = mkdtempSync(join(scratch, 'out-'));
  const first = await build(out, 'old');
  assert.equal(first.code, 0, first.stderr);
  // How long a write takes here, from the staged folder's appearance to the build's exit: the
  // kills are spread over that span, so they land while staging, swapping and cleaning up.
  const timed = await build(out, 'new');
  assert.equal(timed.code, 0, timed.stderr);
  assert.ok(timed.writeMs > 0, 'the write was seen');
  const signals: NodeJS.Signals[] = ['SIGKILL', 'SIGTERM', 'SIGKILL', 'SIGINT'];
  const delays = Array.from({ length: 11 }, (_, k) => Math.round((k / 10) * timed.writeMs));
  let variant = 'new';
  let sigkillLeftovers = 0;
  let stoppedCleanly = 0;
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 24; i++) {
    const previous = variant;
    const next = previous === 'old' ? 'new' : 'old';
    const signal = signals[i % signals.length]!;
    const r = await build(out, next, signal, delays[i % delays.length]);
    const where = `kill ${i} (${signal} after ${delays[i % delays.length]} ms)`;
    assert.ok(r.killed, `${where}: the build wrote work entries before finishing`);
    const left = leftovers(out);
    const states = ENVIRONMENTS.map((env) => state(out, env));
    for (const [k, s] of states.entries()) {
      const env = ENVIRONMENTS[k]!;
      // Property 1: a whole set, either build's; absent only between the two renames of its swap.
      if (s === 'absent') assert.ok(left.some((n) => n.startsWith(`.berth-old-${env}-`)), `${where}: ${env}/ absent without its old folder beside it`);
      else assert.ok(s === previous || s === next, `${where}: ${env}/ is ${s}`);
    }
    outcomes.set(`${signal} ${states.join('/')}`, (outcomes.get(`${signal} ${states.join('/')}`) ?? 0) + 1);
    if (signal === 'SIGKILL') {
      if (left.length > 0) sigkillLeftovers++;
    } else {
      // Property 2: stopped by a signal berth handles, the build removes its work entries and
      // exits 128 + the signal's number, having changed nothing, or (the signal came during the
      // swap, which nothing interrupts) with the new sets in place.
      assert.deepEqual(left, [], `${where}: work entries left: ${left.join(', ')}; stderr: ${r.stderr}`);
      if (r.code === 0 || (r.code === null && r.signal === signal)) {
        // The signal came after the write had finished (the delays run to the end of a build):
        // the build exited, or Node's default handling ended it while it printed.
        assert.deepEqual(states, [next, next], `${where}: written, so the new sets are in place`);
      } else if (r.stderr.includes('is left as it was')) {
        assert.equal(r.code, signal === 'SIGINT' ? 130 : 143, `${where}: ${r.stderr}`);
        assert.equal(r.stderr, `error: interrupted by ${signal}: ${out}/ is left as it was.\n`);
        assert.deepEqual(states, [previous, previous], `${where}: stopped before the swap, so nothing changed`);
        stoppedCleanly++;
      } else {
        assert.equal(r.code, signal === 'SIGINT' ? 130 : 143, `${where}: ${r.stderr}`);
        assert.equal(r.stderr, `error: interrupted by ${signal}: ${out}/ was already written (the new templates are in place).\n`);
        assert.deepEqual(states, [next, next], `${where}: the signal came during the swap, which completed`);
      }
    }
    // Whichever set each folder holds now is where the next build starts from.
    variant = states.every((s) => s === next) ? next : states.every((s) => s === previous || s === 'absent') ? previous : 'mixed';
    if (variant === 'mixed') {
      // One environment swapped, the other not (killed between them): each whole, as promised.
      // The next build makes both the same again.
      const repair = await build(out, 'old');
      assert.equal(repair.code, 0, repair.stderr);
      variant = 'old';
    }
  }
  // The kills landed in the middle of writes, and the handled signals stopped them cleanly.
  assert.ok(sigkillLeftovers >= 3, `SIGKILL left work entries in only ${sigkillLeftovers} of 12 kills: ${JSON.stringify([...outcomes])}`);
  assert.ok(stoppedCleanly >= 2, `SIGINT/SIGTERM stopped only ${stoppedCleanly} writes before the swap: ${JSON.stringify([...outcomes])}`);
  // Property 2, SIGKILL: a complete build afterwards leaves no trace of the kills.
  const last = await build(out, 'new');
  assert.equal(last.code, 0, last.stderr);
  assert.deepEqual(readdirSync(out).sort(), ENVIRONMENTS);
  assert.deepEqual(ENVIRONMENTS.map((env) => state(out, env)), ['new', 'new']);
});
