/**
 * docs/local.md works exactly as written: its `$ ` commands, in order, in one shell, in a copy of
 * the repository, against a real `make local` (the patched moto server, seeded), each exiting 0,
 * and each output line the page shows found in what the command printed (`...` skips lines;
 * numbers, IDs and times may differ). Then `make local-stop` leaves no server behind, and Ctrl-C
 * stops a foreground `make local` cleanly.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EXAMPLE_IMAGES } from '../src/cli/new-service.ts';
import { ROOT, sandbox } from './_helpers.ts';
import { freePort } from './_moto.ts';

interface Step {
  readonly command: string;
  /** The output lines the page shows under the command (`...` where some are left out). */
  readonly shown: readonly string[];
}

/** The `$ ` commands of every ```console block, with the lines shown under each. */
export function consoleSteps(markdown: string): Step[] {
  const steps: { command: string; shown: string[] }[] = [];
  for (const block of markdown.matchAll(/^```console\n([\s\S]*?)^```$/gm)) {
    for (const line of block[1]!.split('\n')) {
      if (line.startsWith('$ ')) steps.push({ command: line.slice(2), shown: [] });
      else if (line !== '' && steps.length > 0) steps.at(-1)!.shown.push(line);
    }
  }
  return steps;
}

/** A line as a pattern: numbers (times, ports, pids, counts) and hex IDs may differ; the rest is exact. */
function linePattern(line: string): RegExp {
  const escaped = line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped.replace(/\d+/g, '\\d+')}$`);
}

/** Every shown line appears in `output`, in order (`...` lets lines go by). */
function assertShown(step: Step, output: string): void {
  const lines = output.split('\n');
  let at = 0;
  for (const shown of step.shown) {
    if (shown === '...') continue;
    const pattern = linePattern(shown);
    const found = lines.findIndex((l, i) => i >= at && pattern.test(l));
    assert.ok(found >= 0, `\`${step.command}\`: the page shows\n  ${shown}\nbut the command printed:\n${output}`);
    at = found + 1;
  }
}

/** Public images for the fixture's services: `berth new`'s for their kinds. */
const PUBLIC_IMAGES = { web: EXAMPLE_IMAGES.web, worker: EXAMPLE_IMAGES.worker, report: EXAMPLE_IMAGES.scheduled };

let dir = '';
let port = 0;
/** The environment of the walkthrough's shell: nothing from the machine's own AWS setup. */
let env: NodeJS.ProcessEnv = {};

before(async () => {
  dir = sandbox({ make: true });
  // The fixture's images are in the example account and its web service reads an SSM parameter
  // nobody created, both of which the deploy's preflight refuses (as it should:
  // test/preflight.test.ts); the walkthrough deploys dev with public images and a generated
  // secret instead, as the example estate's dev does.
  const web = join(dir, 'templates/services/web.ts');
  const source = readFileSync(web, 'utf8');
  const generated = source.replace("{ ssmParameter: '/berth/web/session-secret' }", '{ generated: {} }');
  assert.notEqual(generated, source, 'the fixture web service reads /berth/web/session-secret');
  writeFileSync(web, generated);
  const settings = join(dir, 'templates/environments/dev.json');
  const dev = JSON.parse(readFileSync(settings, 'utf8')) as { services?: Record<string, { image?: string }> };
  for (const [name, image] of Object.entries(PUBLIC_IMAGES)) dev.services = { ...dev.services, [name]: { ...dev.services?.[name], image } };
  writeFileSync(settings, `${JSON.stringify(dev, null, 2)}\n`);
  // The CLI compiled from the sandbox's own estate (the fixture's, not the repository's: a bundle
  // of another estate is refused as stale), newer than its sources, so `make diff` runs it rather
  // than type-checking again; the type check is test/typecheck's.
  const bundle = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bundle.ts'], { cwd: dir, encoding: 'utf8' });
  assert.equal(bundle.status, 0, bundle.stderr);
  const build = spawnSync('make', ['-s', 'build', 'ENV=dev'], { cwd: dir, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
  port = await freePort();
  env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_'))),
    AWS_CONFIG_FILE: '/nonexistent/berth-test',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/berth-test',
    AWS_EC2_METADATA_DISABLED: 'true',
    LOCAL_PORT: String(port),
    BERTH_POLL_SECONDS: '1',
    // The local endpoint answers in milliseconds: one AWS CLI process per deploy helper.
    BERTH_AWS_WORKERS: '1',
    NO_COLOR: '1',
  };
});

after(() => {
  if (dir) {
    spawnSync('make', ['-s', 'local-stop'], { cwd: dir, env, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('docs/local.md: every command runs as written against `make local`, and prints what the page shows', () => {
  const steps = consoleSteps(readFileSync(join(ROOT, 'docs/local.md'), 'utf8'));
  assert.ok(steps.length >= 10, `only ${steps.length} commands found`);
  assert.equal(steps[0]!.command, 'make local ARGS=--detach');
  assert.equal(steps.at(-1)!.command, 'make local-stop');
  // One shell for the whole page (variables carry over, as in a terminal); each command's output
  // between markers, with its exit status.
  const mark = (i: number) => `@@berth-step ${i}@@`;
  const script = steps.map((s, i) => `${s.command} 2>&1\necho "${mark(i)} $?"`).join('\n');
  const file = join(dir, '.tmp-walkthrough.sh');
  writeFileSync(file, `cd ${JSON.stringify(dir)}\n${script}\n`);
  const r = spawnSync('bash', [file], { cwd: dir, env, encoding: 'utf8', timeout: 15 * 60_000 });
  assert.equal(r.error, undefined, String(r.error));
  let rest = r.stdout;
  steps.forEach((step, i) => {
    const m = new RegExp(`^${mark(i)} (\\d+)$`, 'm').exec(rest);
    assert.ok(m, `\`${step.command}\` did not finish:\n${rest}\n${r.stderr}`);
    const output = rest.slice(0, m.index);
    rest = rest.slice(m.index + m[0].length + 1);
    assert.equal(m[1], '0', `\`${step.command}\` exited ${m[1]}:\n${output}`);
    assertShown(step, output);
  });
  // Stopped: the pid file is gone and nothing listens on the port.
  assert.equal(existsSync(join(dir, '.tmp/local/pid')), false);
  assert.equal(spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { encoding: 'utf8' }).status !== 0, true, `port ${port} still open`);
});

test('a foreground `make local` stops cleanly on Ctrl-C; local-stop with none running says so; a port in use is one line', async () => {
  const child = spawn('make', ['-s', 'local'], { cwd: dir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const deadline = Date.now() + 120_000;
  while (!out.includes('Stop it with Ctrl-C.')) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `make local did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(out, new RegExp(`^  export AWS_ENDPOINT_URL=http://127\\.0\\.0\\.1:${port}$`, 'm'));
  assert.match(out, /^ {2}export AWS_DEFAULT_REGION=eu-west-1$/m);
  assert.ok(existsSync(join(dir, '.tmp/local/env')));
  // Ctrl-C in a terminal signals the whole foreground process group.
  process.kill(-child.pid!, 'SIGINT');
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.once('exit', (c, s) => r([c, s])));
  assert.match(out, /stopped the local AWS endpoint\.\n$/);
  // scripts/local.ts exits 0; GNU make, interrupted too, then ends itself with the same signal.
  assert.ok(code === 0 || signal === 'SIGINT', `make local ended with ${code ?? signal}:\n${out}`);
  assert.equal(spawnSync('bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]).status !== 0, true, `port ${port} still open after Ctrl-C`);
  assert.equal(existsSync(join(dir, '.tmp/local/env')), false);
  const none = spawnSync('make', ['-s', 'local-stop'], { cwd: dir, env, encoding: 'utf8' });
  assert.equal(none.status, 0);
  assert.equal(none.stdout, 'no local AWS endpoint is running (nothing to stop).\n');
  // A port in use: one line saying what to do.
  const blocker = createServer().listen(port, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  try {
    const busy = spawnSync('make', ['-s', 'local'], { cwd: dir, env, encoding: 'utf8' });
    assert.notEqual(busy.status, 0);
    assert.match(busy.stderr, new RegExp(`^error: port ${port} is in use by another program\\. Stop it, or choose another port: make local LOCAL_PORT=4567\\.\\n`));
  } finally {
    blocker.close();
  }
});
