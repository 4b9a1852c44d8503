/**
 * The Python gates' warm start (the server itself, and why: scripts/lint/gate-server.py). A gate
 * asks `runTool` to run its tool; when a server for that tool, Python and environment is up, the
 * run is a fork of it, otherwise the tool starts as a process of its own, as before. The result
 * is the same either way (test/gate-server.test.ts runs both and compares).
 *
 * The runner starts the servers a run missed after it has printed its results (`startMissed`), in
 * the background, so the next `make lint` finds them warm; each exits after BERTH_LINT_SERVER_IDLE
 * seconds without a run (default 900). BERTH_LINT_SERVER chooses:
 *   - `1` (the default): use the servers, and start the missing ones;
 *   - `use`: use servers already up, start none (the default when `CI` is set: a pipeline lints once);
 *   - `0`: never, every tool starts as a process of its own.
 * Only on Linux (its abstract socket namespace); elsewhere every run starts its own process.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { userInfo } from 'node:os';
import { BerthError } from '../../src/dsl/errors.ts';
import { REPO_ROOT, run, type RunOutput } from './common.ts';

export type ServedTool = 'cfn-lint' | 'checkov' | 'cfripper';

export const GATE_SERVER = path.join(REPO_ROOT, 'scripts', 'lint', 'gate-server.py');
/** Runs checkov as `.venv/bin/checkov` does, with JSONPath's parse tables built once per process. */
export const CHECKOV_DRIVER = path.join(REPO_ROOT, 'scripts', 'lint', 'checkov-driver.py');
/** Runs cfripper's rules over templates, with skips read from each resource's Metadata. */
export const CFRIPPER_DRIVER = path.join(REPO_ROOT, 'scripts', 'lint', 'cfripper-driver.py');
/** The driver script each tool runs under .venv's Python; cfn-lint runs as its console script. */
const DRIVER: Record<ServedTool, string | undefined> = { 'cfn-lint': undefined, checkov: CHECKOV_DRIVER, cfripper: CFRIPPER_DRIVER };

/** Seconds a server waits for a run before it exits. */
export const DEFAULT_IDLE_SECONDS = 900;

/**
 * Environment variables a tool reads when it is imported, not when it runs (checkov's settings and
 * log level, the drivers' BERTH_LINT_STOCK switch, Python's own): a server keeps the values it
 * started with, so they are part of its name, and a run with other values gets another server.
 * Not the locale, which Python also reads at start-up: see `toolEnv`.
 */
const IMPORT_TIME = /^(CHECKOV_|BC_|PRISMA_|BERTH_LINT_STOCK$|PYTHON|LOG_LEVEL$)/;

/**
 * The environment a tool runs with, served or not: Python's UTF-8 mode on (PYTHONUTF8=1), so a
 * tool reads templates and writes its JSON in UTF-8 (which the gates decode) whatever the locale.
 * The locale then decides no encoding, and a deploy's lint (scripts/deploy.sh sets `LC_ALL=C`) is
 * served by the servers an earlier `make lint` left.
 */
export function toolEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...env, PYTHONUTF8: '1' };
}

export type ServerMode = 'on' | 'use' | 'off';

/** BERTH_LINT_SERVER's choice; an unknown value is a usage error, named. */
export function serverMode(env: NodeJS.ProcessEnv = process.env): ServerMode {
  const v = env.BERTH_LINT_SERVER;
  if (process.platform !== 'linux' || v === '0') return 'off';
  if (v === 'use' || (v === undefined && env.CI)) return 'use';
  if (v === undefined || v === '1') return 'on';
  throw new BerthError('BERTH_LINT_SERVER', `\`${v}\` is not a choice. Set 1 (use the lint servers, and start them), use (only those already up) or 0 (none), or unset it for 1.`);
}

/** The pinned Python the gates run (.venv), resolved so a copy of the repository that links it shares its servers. */
function venvPython(): string {
  return path.join(realpathSync(path.join(REPO_ROOT, '.venv')), 'bin', 'python');
}

/**
 * When .venv's packages last changed: pip adds and removes a package's folders in site-packages,
 * which changes the folder's time, so a server started before `make install` upgraded a tool is
 * not asked again (it still has the old version imported).
 */
export function packagesChanged(lib = path.join(REPO_ROOT, '.venv', 'lib')): string {
  return readdirSync(lib).map((py) => `${py}@${statSync(path.join(lib, py, 'site-packages')).mtimeMs}`).join(',');
}

/**
 * The server's name for `tool` run with `env`: the user, the Python and its packages, the
 * server's and the driver's code, and the import-time environment. Undefined where servers are off or the Python
 * is missing.
 */
export function serverName(tool: ServedTool, given: NodeJS.ProcessEnv): string | undefined {
  if (serverMode(given) === 'off') return undefined;
  const env = toolEnv(given);
  let python: string;
  let packages: string;
  try {
    python = venvPython();
    packages = packagesChanged();
  } catch {
    return undefined;
  }
  const hash = createHash('sha256').update(`${tool}\0${python}\0${packages}\0`);
  for (const f of [GATE_SERVER, DRIVER[tool]]) if (f) hash.update(readFileSync(f)).update('\0');
  for (const k of Object.keys(env).filter((k) => IMPORT_TIME.test(k)).sort()) hash.update(`${k}=${env[k]}\0`);
  return `berth-lint-${userInfo().uid}-${tool}-${hash.digest('hex').slice(0, 16)}`;
}

/** A tool's run, and whether a server ran it (false: it started as a process of its own). */
export interface ToolRun extends RunOutput {
  readonly served: boolean;
}

/** Asks the server `name` for one run; undefined if there is no such server or it did not answer. */
function ask(name: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<ToolRun | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ path: `\0${name}` });
    socket.on('error', () => resolve(undefined));
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const nl = all.indexOf(10);
      if (nl < 0) return resolve(undefined); // no answer: the run failed in the server
      try {
        const head = JSON.parse(all.subarray(0, nl).toString('utf8')) as { code: number; stdout: number; stderr: number };
        if (all.length !== nl + 1 + head.stdout + head.stderr) return resolve(undefined);
        const body = all.subarray(nl + 1);
        resolve({ code: head.code, stdout: body.subarray(0, head.stdout).toString('utf8'), stderr: body.subarray(head.stdout).toString('utf8'), served: true });
      } catch {
        resolve(undefined);
      }
    });
    socket.end(`${JSON.stringify({ args, env, cwd: REPO_ROOT })}\n`);
  });
}

/** The tools whose runs found no server this process. */
const missed = new Map<ServedTool, NodeJS.ProcessEnv>();

/** How `tool` runs as a process of its own: .venv's console script, or the driver under .venv's Python. */
export function directCommand(tool: ServedTool): { cmd: string; prefix: string[] } {
  const driver = DRIVER[tool];
  return driver ? { cmd: path.join(REPO_ROOT, '.venv', 'bin', 'python'), prefix: [driver] } : { cmd: path.join(REPO_ROOT, '.venv', 'bin', tool), prefix: [] };
}

/**
 * Runs `tool` with `args`: in its server if one is up, else as a process of its own (the same
 * run, started cold). A server that fails mid-run costs the time, not the result: the run starts
 * again cold.
 */
export async function runTool(tool: ServedTool, args: string[], given: NodeJS.ProcessEnv = process.env): Promise<ToolRun> {
  const env = toolEnv(given);
  const name = serverName(tool, env);
  if (name) {
    const served = await ask(name, args, env);
    if (served) return served;
    missed.set(tool, env);
  }
  const { cmd, prefix } = directCommand(tool);
  return { ...(await run(cmd, [...prefix, ...args], env)), served: false };
}

/** Starts the server for `tool` with `env`, detached: it outlives this process until it idles out. */
export function startServer(tool: ServedTool, env: NodeJS.ProcessEnv): number | undefined {
  const name = serverName(tool, env);
  if (!name) return undefined;
  const idle = env.BERTH_LINT_SERVER_IDLE ?? String(DEFAULT_IDLE_SECONDS);
  const child = spawn(venvPython(), [GATE_SERVER, tool, name, idle], { cwd: REPO_ROOT, env: toolEnv(env), detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  return child.pid;
}

/** Starts, in the background, the servers this process's runs looked for and did not find (BERTH_LINT_SERVER=1 only). */
export function startMissed(): void {
  for (const [tool, env] of missed) if (serverMode(env) === 'on') startServer(tool, env);
  missed.clear();
}

/** Sends the server `name` a request without a run (`stop`, `ping`); true if it answered. */
function tell(name: string, request: 'stop' | 'ping'): Promise<boolean> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect({ path: `\0${name}` });
    socket.on('error', () => resolve(false));
    socket.on('data', (b: Buffer) => (answer += b.toString('utf8')));
    socket.on('end', () => resolve(answer.length > 0));
    socket.end(`${JSON.stringify({ [request]: true })}\n`);
  });
}

/** Asks the server `name` to exit; true if it was up. */
export function stopServer(name: string): Promise<boolean> {
  return tell(name, 'stop');
}

/** Waits until the server `name` is up with its tool imported (at most `timeoutMs`); true if it is. */
export async function serverReady(name: string, timeoutMs = 30_000): Promise<boolean> {
  for (const until = Date.now() + timeoutMs; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    if (await tell(name, 'ping')) return true;
  }
  return false;
}

/** This user's lint servers that are up (Linux lists abstract sockets in /proc/net/unix as `@name`, NULs as `@`). */
export function runningServers(): string[] {
  let table = '';
  try {
    table = readFileSync('/proc/net/unix', 'utf8');
  } catch {
    return [];
  }
  const prefix = `@berth-lint-${userInfo().uid}-`;
  return [...new Set(table.split('\n').map((l) => l.trim().split(/\s+/).at(-1) ?? '').filter((n) => n.startsWith(prefix)).map((n) => n.slice(1).replace(/@+$/, '')))].sort();
}


/** The processes of the servers `names` (by their command lines in /proc: `python gate-server.py <tool> <name> <idle>`). */
export function serverPids(names: readonly string[]): number[] {
  const pids: number[] = [];
  for (const pid of existsSync('/proc') ? readdirSync('/proc').filter((d) => /^\d+$/.test(d)) : []) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (cmd.some((a) => a.endsWith('gate-server.py')) && names.includes(cmd[cmd.length - 3] ?? '')) pids.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
