/**
 * Talking to the local moto endpoint from the deploy suites: the environment every AWS call gets
 * (the endpoint, dummy keys, nothing from the user's own AWS setup), and the AWS CLI as one
 * long-lived process (scripts/deploy-awscli.py runs the CLI's own driver), so each describe call costs
 * milliseconds instead of a Python start-up.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './_helpers.ts';

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of every AWS call: the moto endpoint, dummy keys, nothing from the user's setup. */
export function awsEnv(endpoint: string, region: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const merged: Record<string, string | undefined> = {
    ...env,
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: region,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_CONFIG_FILE: '/nonexistent/berth-test',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/berth-test',
    AWS_EC2_METADATA_DISABLED: 'true',
    // moto answers some unsupported calls with HTTP 500: fail at once instead of retrying.
    AWS_MAX_ATTEMPTS: '1',
    // moto finishes a stack within the request that starts it: the first poll finds it done.
    BERTH_POLL_SECONDS: '0.2',
    // moto answers in milliseconds: one AWS CLI process per helper, not three (a Python start-up each).
    BERTH_AWS_WORKERS: '1',
    NO_COLOR: '1',
    ...extra,
  };
  // `undefined` removes a variable (the credentials test).
  return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as NodeJS.ProcessEnv;
}

/** The AWS CLI, one process for a suite (scripts/deploy-awscli.py): `call(args)` is `aws args...`. */
export class AwsCli {
  private readonly child: ChildProcess;
  private readonly waiting: ((r: CliRun) => void)[] = [];
  private buffer = '';
  private exited: CliRun | undefined;

  constructor(env: NodeJS.ProcessEnv) {
    this.child = spawn(join(ROOT, '.venv/bin/python'), [join(ROOT, 'scripts/deploy-awscli.py')], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    // A driver that dies answers every call still waiting (and every later one) with its exit,
    // so a broken CLI fails the test instead of hanging it.
    this.child.on('exit', (code) => {
      this.exited = { status: code ?? 1, stdout: '', stderr: `the AWS CLI driver (scripts/deploy-awscli.py) exited with ${code}` };
      for (const resolve of this.waiting.splice(0)) resolve(this.exited);
    });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let i = this.buffer.indexOf('\n'); i >= 0; i = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        this.waiting.shift()!(JSON.parse(line));
      }
    });
  }

  call(args: readonly string[]): Promise<CliRun> {
    return new Promise((resolve) => {
      if (this.exited) return resolve(this.exited);
      this.waiting.push(resolve);
      this.child.stdin!.write(`${JSON.stringify(args)}\n`);
    });
  }

  /** A call that must succeed, JSON parsed. */
  async json(...args: string[]): Promise<any> {
    const r = await this.call([...args, '--output', 'json']);
    assert.equal(r.status, 0, `aws ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
  }

  /** A call that must fail: its stderr. */
  async fails(...args: string[]): Promise<string> {
    const r = await this.call([...args, '--output', 'json']);
    assert.notEqual(r.status, 0, `aws ${args.join(' ')} succeeded`);
    return r.stderr;
  }

  close(): void {
    this.child.stdin!.end();
    this.child.kill();
  }
}
