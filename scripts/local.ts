/**
 * A local AWS endpoint for trying berth without an account (`make local`, docs/local.md): the
 * patched moto server the tests use (scripts/local-aws.py), seeded with what the estate registry
 * needs and moto cannot make (scripts/local-seed.py), and the environment variables that point
 * the AWS CLI and scripts/deploy.sh at it.
 *
 *   node --import tsx scripts/local.ts [--env E] [--port P] [--detach]   # start (Ctrl-C stops it)
 *   node --import tsx scripts/local.ts --stop                             # stop a detached one
 *
 * State lives in .tmp/local/: `pid` (a detached server), `env` (the exports, for `source`) and
 * `server.log`. Nothing is written outside it, and stopping removes `pid` and `env`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const STATE = join(ROOT, '.tmp', 'local');
const PID = join(STATE, 'pid');
const ENV_FILE = join(STATE, 'env');
const LOG = join(STATE, 'server.log');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
/** The account moto plays: not AWS's documentation example 123456789012, which the deploy preflight refuses in image URIs (as test/_moto.ts). */
export const LOCAL_ACCOUNT = '111122223333';
export const DEFAULT_PORT = 4566;

function fail(message: string, code = 1): never {
  process.stderr.write(`error: ${message}\n`);
  process.exit(code);
}

/** Each environment's name and Region, from templates/environments/<env>.json (as scripts/deploy.sh reads them). */
function environments(): { env: string; region: string }[] {
  const dir = join(ROOT, 'templates', 'environments');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .flatMap((f) => {
      const region = (JSON.parse(readFileSync(join(dir, f), 'utf8')) as { region?: unknown }).region;
      return typeof region === 'string' ? [{ env: f.slice(0, -'.json'.length), region }] : [];
    });
}

function listening(port: number): Promise<boolean> {
  return new Promise((done) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => (c.end(), done(true)));
    c.once('error', () => done(false));
  });
}

/** The pid in .tmp/local/pid when that process is alive and is our server, else undefined. */
function runningPid(): number | undefined {
  if (!existsSync(PID)) return undefined;
  const pid = Number(readFileSync(PID, 'utf8').trim());
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('local-aws.py') ? pid : undefined;
  } catch {
    return undefined; // gone (or no /proc: then `kill -0` below decides)
  }
}

function exportsFor(port: number, region: string): string[] {
  return [
    `export AWS_ENDPOINT_URL=http://127.0.0.1:${port}`,
    'export AWS_ACCESS_KEY_ID=testing',
    'export AWS_SECRET_ACCESS_KEY=testing',
    // The Region of the environment: AWS_REGION for berth and AWS CLI v2, AWS_DEFAULT_REGION for
    // the pinned AWS CLI v1, which reads only that one (and the profile).
    // https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-envvars.html
    `export AWS_REGION=${region}`,
    `export AWS_DEFAULT_REGION=${region}`,
    // A profile or session token of a real account must not mix with the local keys.
    'unset AWS_PROFILE AWS_SESSION_TOKEN',
    // The pinned AWS CLI that scripts/deploy.sh uses, for the walkthrough's own `aws` commands.
    `export PATH=${join(ROOT, '.venv', 'bin')}:$PATH`,
  ];
}

async function stop(): Promise<void> {
  const pid = runningPid();
  if (pid === undefined) {
    rmSync(PID, { force: true });
    rmSync(ENV_FILE, { force: true });
    console.log('no local AWS endpoint is running (nothing to stop).');
    return;
  }
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 10_000; waited += 100) {
    if (runningPid() === undefined) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  if (runningPid() !== undefined) process.kill(pid, 'SIGKILL');
  rmSync(PID, { force: true });
  rmSync(ENV_FILE, { force: true });
  console.log(`stopped the local AWS endpoint (pid ${pid}).`);
}

async function start(env: string | undefined, port: number, detach: boolean): Promise<void> {
  if (!existsSync(PYTHON)) fail('.venv/bin/python is missing: run `make install` first (it installs the pinned moto).');
  const envs = environments();
  const chosen = env === undefined ? (envs.find((e) => e.env === 'dev') ?? envs[0]) : envs.find((e) => e.env === env);
  if (!chosen) fail(`ENV=${env ?? ''}: no templates/environments/${env ?? '<env>'}.json with a \`region\`. Known environments: ${envs.map((e) => e.env).join(' ')}.`, 2);
  const pid = runningPid();
  if (pid !== undefined) fail(`a local AWS endpoint is already running (pid ${pid}, .tmp/local/pid). Use it (source .tmp/local/env), or stop it first: make local-stop.`);
  if (await listening(port)) fail(`port ${port} is in use by another program. Stop it, or choose another port: make local LOCAL_PORT=4567.`);
  mkdirSync(STATE, { recursive: true });
  const log = openSync(LOG, 'w');
  const server = spawn(PYTHON, [join(ROOT, 'scripts', 'local-aws.py'), '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, MOTO_ACCOUNT_ID: LOCAL_ACCOUNT },
    stdio: ['ignore', log, log],
    detached: detach,
  });
  closeSync(log);
  const stopServer = () => {
    if (server.exitCode === null) server.kill('SIGTERM');
  };
  if (!detach) process.once('exit', stopServer);
  const deadline = Date.now() + 60_000;
  while (!(await listening(port))) {
    if (server.exitCode !== null) fail(`the moto server exited with ${server.exitCode} before it listened; see .tmp/local/server.log.`);
    if (Date.now() > deadline) {
      stopServer();
      fail(`the moto server did not listen on port ${port} within 60 s; see .tmp/local/server.log.`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const seeded = spawnSync(PYTHON, [join(ROOT, 'scripts', 'local-seed.py'), `http://127.0.0.1:${port}`, JSON.stringify(envs)], { encoding: 'utf8' });
  if (seeded.status !== 0) {
    stopServer();
    fail(`seeding the local endpoint failed: ${seeded.stderr.trim().split('\n').at(-1) ?? ''}`);
  }
  const exports = exportsFor(port, chosen.region);
  writeFileSync(ENV_FILE, `# Written by \`make local\` (scripts/local.ts): source it to use the local AWS endpoint.\n${exports.join('\n')}\n`);
  if (detach) {
    writeFileSync(PID, `${server.pid}\n`);
    server.unref();
  }
  console.log(`local AWS endpoint: moto (scripts/local-aws.py) on http://127.0.0.1:${port}, account ${LOCAL_ACCOUNT}${detach ? `, pid ${server.pid}` : ''}`);
  console.log("seeded the estate registry with the cluster layer's entries (moto cannot create its capacity provider):");
  for (const line of seeded.stdout.trim().split('\n')) console.log(`  ${line}`);
  console.log(`\nPoint your shell at it (${chosen.env}'s Region), or run: source .tmp/local/env`);
  for (const line of exports) console.log(`  ${line}`);
  console.log(detach ? '\nStop it with: make local-stop' : '\nStop it with Ctrl-C.');
  if (detach) return;
  // Foreground: wait for Ctrl-C (or SIGTERM), then stop the server and remove the state.
  await new Promise<void>((done) => {
    const quit = () => {
      stopServer();
      done();
    };
    process.once('SIGINT', quit);
    process.once('SIGTERM', quit);
    server.once('exit', (code) => {
      if (code !== null && code !== 0) process.stderr.write(`error: the moto server exited with ${code}; see .tmp/local/server.log.\n`);
      done();
    });
  });
  await new Promise((r) => (server.exitCode === null ? server.once('exit', r) : r(undefined)));
  rmSync(ENV_FILE, { force: true });
  console.log('stopped the local AWS endpoint.');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let values;
  try {
    ({ values } = parseArgs({ options: { env: { type: 'string' }, port: { type: 'string' }, detach: { type: 'boolean', default: false }, stop: { type: 'boolean', default: false } } }));
  } catch (e) {
    fail(`${(e as Error).message}. Usage: scripts/local.ts [--env E] [--port P] [--detach] | --stop`, 2);
  }
  const port = Number(values.port ?? process.env.LOCAL_PORT ?? DEFAULT_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) fail(`--port ${values.port}: expected a TCP port number (1-65535), such as ${DEFAULT_PORT}.`, 2);
  if (values.stop) await stop();
  else await start(values.env || undefined, port, values.detach);
}
