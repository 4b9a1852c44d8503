/**
 * The AWS CLI as a few long-lived processes: each call is exactly an `aws ...` call with JSON
 * output (the CLI's own driver, scripts/deploy-awscli.py), so credentials, profiles,
 * AWS_ENDPOINT_URL, retries and signing are the CLI's, but a dozen calls cost a Python start-up
 * (about 0.45 s of CPU) per process rather than per call. Used by `berth diff --stack-name` and by
 * the deploy's own TypeScript steps (scripts/deploy-aws.ts re-exports it).
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, read, readFileSync, rmSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { BerthError } from '../dsl/errors.ts';

/**
 * node:child_process, loaded at the first call: `berth build` imports this module (through
 * deployed.ts) but starts no process, and loading it costs every build about 4 ms. Not a dynamic
 * `import()`: the compiled CLI resolves those at run time (scripts/bundle.ts), and this module
 * must be compiled in.
 */
const childProcess = (): typeof import('node:child_process') => createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');

/** The CLI driver that answers calls on stdin, one JSON line each. */
const DRIVER = join(import.meta.dirname, '..', '..', 'scripts', 'deploy-awscli.py');

export interface AwsResult {
  readonly ok: boolean;
  readonly json: any;
  readonly stderr: string;
  /** The service's error code (`NoSuchHostedZone`, `AccessDenied`, ...), if it answered with one. */
  readonly code?: string;
  /** The service's message after the code, or the CLI's own first line. */
  readonly message: string;
}

/** The CLI: BERTH_AWS_CLI (deploy.sh sets it), else the pinned one `make install` puts in `root`/.venv, else `aws` on PATH. */
export function awsCli(root: string): string {
  return process.env.BERTH_AWS_CLI || (existsSync(join(root, '.venv/bin/aws')) ? join(root, '.venv/bin/aws') : 'aws');
}

export type Aws = ((...args: string[]) => Promise<AwsResult>) & { close(): void };

interface Answer {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

function result(status: number | null, stdout: string, stderr: string): AwsResult {
  let json: unknown;
  try {
    json = stdout.trim() ? JSON.parse(stdout) : undefined;
  } catch {
    json = undefined;
  }
  const m = /An error occurred \(([^)]+)\)[^:]*: ?(.*)/.exec(stderr);
  const first = stderr.split('\n').map((l) => l.trim()).find((l) => l) ?? '';
  return { ok: status === 0, json, stderr, code: m?.[1], message: (m?.[2] ?? first).trim() };
}

/** The Python interpreter a Python-based `aws` script runs on (its shebang), if it is one. */
function pythonOf(cli: string): string | undefined {
  try {
    const first = readFileSync(cli, 'utf8').slice(0, 300).split('\n')[0] ?? '';
    const m = /^#!\s*(\S*python[0-9.]*)\s*$/.exec(first);
    return m?.[1];
  } catch {
    return undefined;
  }
}

/**
 * How many CLI drivers a helper runs at most: BERTH_AWS_WORKERS, else 3. Each costs a Python
 * start-up (about 0.45 s of CPU) and answers one call at a time; three let a helper's concurrent
 * calls to AWS overlap. Against a local endpoint, which answers in milliseconds, one is enough
 * (the tests set 1).
 */
export function defaultWorkers(): number {
  const set = process.env.BERTH_AWS_WORKERS;
  if (set === undefined || set === '') return 3;
  if (!/^[1-8]$/.test(set)) throw new BerthError('BERTH_AWS_WORKERS', `\`${set}\` is not a number of AWS CLI processes. Set a whole number from 1 to 8, or unset it for 3.`);
  return Number(set);
}

/** One long-lived CLI driver (scripts/deploy-awscli.py), answering its calls in order. */
class Worker {
  private readonly child: ChildProcess;
  private readonly waiting: ((a: Answer) => void)[] = [];
  private buffer = '';

  constructor(python: string, env: NodeJS.ProcessEnv) {
    this.child = childProcess().spawn(python, [DRIVER], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let i = this.buffer.indexOf('\n'); i >= 0; i = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        this.waiting.shift()?.(JSON.parse(line) as Answer);
      }
    });
    // A process that cannot start (a broken .venv) or ends answers every waiting call with a
    // failure, never leaves it waiting, and never crashes the caller with an unhandled error.
    const fail = (why: string) => this.waiting.splice(0).forEach((w) => w({ status: 255, stdout: '', stderr: why }));
    this.child.on('error', (e) => fail(`the AWS CLI process could not run: ${e.message}`));
    this.child.stdin!.on('error', () => fail('the AWS CLI process ended'));
    this.child.on('close', () => fail('the AWS CLI process ended'));
  }

  get load(): number {
    return this.waiting.length;
  }

  call(args: readonly string[]): Promise<Answer> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin!.write(`${JSON.stringify(args)}\n`);
    });
  }

  close(): void {
    this.child.stdin!.end();
  }
}

/**
 * The long-lived CLI driver of the scripts/deploy.sh that runs this helper, named by
 * BERTH_AWS_DRIVER as `<request fd> <answer fd> <folder>`: its `--files` protocol (a request is
 * the files for the call's stdout and stderr, then the arguments, NUL-separated, on one line; the
 * answer is the exit status on a line), one call at a time, the outputs in `folder`. deploy.sh
 * passes it only to a helper it waits for while no call of its own can run (the preflight), so
 * the helper starts a CLI of its own only for calls beyond the first at once. The driver started
 * before the Region was chosen: each call names the Region (`--region`, which overrides the
 * environment and the profile for that call), unless it names one itself.
 * https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-envvars.html
 */
class SharedDriver {
  private queue: Promise<unknown> = Promise.resolve();
  private calls = 0;
  /** Calls sent or waiting. */
  load = 0;

  constructor(
    private readonly requests: number,
    private readonly answers: number,
    private readonly folder: string,
  ) {}

  /** The call's answer, or undefined when the driver cannot answer (it ended): then, as in deploy.sh, the caller runs the call itself. */
  call(args: readonly string[]): Promise<Answer | undefined> {
    this.load += 1;
    const answer = this.queue.then(() => this.send(args)).finally(() => (this.load -= 1));
    this.queue = answer.catch(() => undefined);
    return answer;
  }

  private async send(args: readonly string[]): Promise<Answer | undefined> {
    const n = ++this.calls;
    const out = join(this.folder, `aws.${process.pid}.${n}.out`);
    const err = join(this.folder, `aws.${process.pid}.${n}.err`);
    try {
      writeSync(this.requests, `${[out, err, ...args].map((a) => `${a}\0`).join('')}\n`);
    } catch {
      return undefined;
    }
    // A blocking read, on the thread pool: the answer fd is bash's too, and must stay blocking.
    let line = '';
    while (!line.includes('\n')) {
      const chunk = Buffer.alloc(64);
      const got = await new Promise<number>((resolve) => read(this.answers, chunk, 0, 64, null, (e, bytes) => resolve(e ? 0 : bytes)));
      if (got === 0) return undefined;
      line += chunk.toString('utf8', 0, got);
    }
    const take = (file: string) => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return '';
      } finally {
        rmSync(file, { force: true });
      }
    };
    const status = Number(line.trim());
    return Number.isInteger(status) ? { status, stdout: take(out), stderr: take(err) } : undefined;
  }
}

/** deploy.sh's driver (BERTH_AWS_DRIVER), if it passed one and it can answer these calls. */
function sharedDriver(extraEnv: NodeJS.ProcessEnv): SharedDriver | undefined {
  const named = process.env.BERTH_AWS_DRIVER ?? '';
  const m = /^(\d+) (\d+) (\/.+)$/.exec(named);
  // Other credentials (a stack set's target account) need a process with that environment.
  if (!m || Object.keys(extraEnv).length > 0) return undefined;
  // One per driver for the whole process, so that two `makeAws` never interleave on its pipes.
  if (!shared.has(named)) shared.set(named, new SharedDriver(Number(m[1]), Number(m[2]), m[3]!));
  return shared.get(named);
}
const shared = new Map<string, SharedDriver>();

/** Whether CLI arguments name a Region (`--region R` or `--region=R`). */
const namesRegion = (argv: readonly string[]) => argv.some((a) => a === '--region' || a.startsWith('--region='));

/**
 * `aws ...` calls in `region` (AWS CLI v1 reads AWS_DEFAULT_REGION, v2 AWS_REGION first; a
 * `--region` in the arguments wins; `undefined` leaves the Region to the environment and profile). A Python-based CLI (the pinned one in .venv) runs as a few
 * long-lived drivers that share the calls, so a dozen concurrent calls cost one start-up each
 * rather than a dozen; any other `aws` (CLI v2, a test's scripted CLI) runs once per call. Under
 * scripts/deploy.sh's preflight, deploy.sh's own driver (`SharedDriver`) is the first of them, so
 * with one worker (the tests) the preflight starts no CLI of its own.
 * `extraEnv` adds to the environment, or unsets with `undefined` (other credentials: a stack set's
 * target account). `workers` defaults to BERTH_AWS_WORKERS, else 3 (see `defaultWorkers`).
 */
export function makeAws(cli: string, region: string | undefined, workers = defaultWorkers(), extraEnv: NodeJS.ProcessEnv = {}): Aws {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, ...(region === undefined ? {} : { AWS_REGION: region, AWS_DEFAULT_REGION: region }) };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]; // `undefined` unsets
  const python = pythonOf(cli);
  // deploy.sh's own process is one of the `workers` lanes, while it answers.
  let driver = python ? sharedDriver(extraEnv) : undefined;
  const pool: Worker[] = [];
  const call = async (...args: string[]): Promise<AwsResult> => {
    const argv = [...args, '--output', 'json'];
    if (python) {
      const shareable = driver !== undefined && !argv.some((a) => a.includes('\n'));
      const lanes = (): { load: number }[] => [...(shareable ? [driver!] : []), ...pool];
      if (pool.length < workers - (shareable ? 1 : 0) && lanes().every((l) => l.load > 0)) pool.push(new Worker(python, env));
      const lane = lanes().reduce((a, b) => (b.load < a.load ? b : a));
      if (lane === driver) {
        const named = region === undefined || namesRegion(argv) ? argv : [...argv, '--region', region];
        const a = await driver.call(named);
        if (a) return result(a.status, a.stdout, a.stderr);
        driver = undefined; // it ended: the helper's own processes answer from now on
        return call(...args);
      }
      const a = await (lane as Worker).call(argv);
      return result(a.status, a.stdout, a.stderr);
    }
    return new Promise((resolve) => {
      const child = childProcess().spawn(cli, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', (e) => resolve(result(255, '', String(e))));
      child.on('close', (status) => resolve(result(status, Buffer.concat(out).toString('utf8'), Buffer.concat(err).toString('utf8'))));
    });
  };
  return Object.assign(call, { close: () => pool.forEach((w) => w.close()) });
}
