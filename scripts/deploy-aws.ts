/**
 * The AWS CLI for the deploy's own TypeScript steps (the preflight, teardown planning): each call
 * is a real `aws ...` process with JSON output, so credentials, profiles, AWS_ENDPOINT_URL and
 * signing are exactly the CLI's. Independent calls run concurrently.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BerthError } from '../src/dsl/errors.ts';

export interface AwsResult {
  readonly ok: boolean;
  readonly json: any;
  readonly stderr: string;
  /** The service's error code (`NoSuchHostedZone`, `AccessDenied`, ...), if it answered with one. */
  readonly code?: string;
  /** The service's message after the code, or the CLI's own first line. */
  readonly message: string;
}

/** The CLI: BERTH_AWS_CLI (deploy.sh sets it), else the pinned one in .venv, else `aws` on PATH. */
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
    this.child = spawn(python, [join(import.meta.dirname, 'deploy-awscli.py')], { env, stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let i = this.buffer.indexOf('\n'); i >= 0; i = this.buffer.indexOf('\n')) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        this.waiting.shift()?.(JSON.parse(line) as Answer);
      }
    });
    this.child.on('close', () => this.waiting.splice(0).forEach((w) => w({ status: 255, stdout: '', stderr: 'the AWS CLI process ended' })));
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
 * `aws ...` calls in `region` (AWS CLI v1 reads AWS_DEFAULT_REGION, v2 AWS_REGION first; a
 * `--region` in the arguments wins). A Python-based CLI (the pinned one in .venv) runs as a few
 * long-lived drivers that share the calls, so a dozen concurrent calls cost one start-up each
 * rather than a dozen; any other `aws` (CLI v2, a test's scripted CLI) runs once per call.
 * `extraEnv` adds to the environment, or unsets with `undefined` (other credentials: a stack set's
 * target account). `workers` defaults to BERTH_AWS_WORKERS, else 3 (see `defaultWorkers`).
 */
export function makeAws(cli: string, region: string, workers = defaultWorkers(), extraEnv: NodeJS.ProcessEnv = {}): Aws {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, AWS_REGION: region, AWS_DEFAULT_REGION: region };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete env[k]; // `undefined` unsets
  const python = pythonOf(cli);
  const pool: Worker[] = [];
  const call = (...args: string[]): Promise<AwsResult> => {
    const argv = [...args, '--output', 'json'];
    if (python) {
      if (pool.length < workers && pool.every((w) => w.load > 0)) pool.push(new Worker(python, env));
      const worker = pool.reduce((a, b) => (b.load < a.load ? b : a));
      return worker.call(argv).then((a) => result(a.status, a.stdout, a.stderr));
    }
    return new Promise((resolve) => {
      const child = spawn(cli, argv, { stdio: ['ignore', 'pipe', 'pipe'], env });
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

/**
 * What a failed `aws sts get-caller-identity` means, in one line with the fix: no credentials,
 * rejected credentials, an endpoint that cannot be reached, or a profile that does not exist.
 */
export function explainSts(r: AwsResult, region: string, regionSource: string, env: NodeJS.ProcessEnv): string {
  const s = r.stderr;
  const configure = 'Configure credentials (`aws configure`, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and retry.';
  if (/Unable to locate credentials/.test(s)) return `no AWS credentials found: \`aws sts get-caller-identity\` found none in the environment, the profile or instance metadata. ${configure}`;
  const profile = /The config profile \(([^)]*)\) could not be found/.exec(s);
  if (profile) return `AWS profile \`${profile[1]}\` does not exist (AWS_PROFILE). Use a profile from \`aws configure list-profiles\`, or unset AWS_PROFILE.`;
  const unreachable = /Could not connect to the endpoint URL: "([^"]+)"|Connect timeout on endpoint URL: "([^"]+)"/.exec(s);
  if (unreachable) {
    const url = unreachable[1] ?? unreachable[2];
    if (env.AWS_ENDPOINT_URL) return `cannot reach AWS_ENDPOINT_URL=${env.AWS_ENDPOINT_URL} (\`aws sts get-caller-identity\` could not connect to ${url}). Start the endpoint, or unset AWS_ENDPOINT_URL to use AWS.`;
    return `cannot reach AWS STS at ${url} for Region ${region} (${regionSource}): no network, a proxy, or a Region your account cannot use. Check the connection and the Region, then retry.`;
  }
  if (r.code && /InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken|UnrecognizedClient|AuthFailure|AccessDenied|InvalidAccessKeyId/.test(r.code)) {
    return `AWS rejected the credentials (${r.code}: ${r.message}). ${/Expired/.test(r.code) ? 'Refresh the session (`aws sso login`, or new temporary credentials)' : 'Check the access key, the profile or the session'} and retry.`;
  }
  return `\`aws sts get-caller-identity\` failed: ${r.code ? `${r.code}: ` : ''}${r.message || 'no message'}. Fix the AWS CLI configuration and retry.`;
}

/** The states a deploy must not start from, each with what to do. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes */
export function blockingState(stack: string, status: string, region: string, purpose: 'deploy' | 'delete'): string | undefined {
  const del = `aws cloudformation delete-stack --stack-name ${stack} --region ${region}`;
  if (status.endsWith('_IN_PROGRESS') && !(status === 'REVIEW_IN_PROGRESS')) {
    return `stack ${stack} is busy (${status}). Wait until it settles (\`aws cloudformation describe-stacks --stack-name ${stack} --region ${region}\`), then ${purpose} again.`;
  }
  if (purpose === 'delete') return undefined;
  switch (status) {
    case 'REVIEW_IN_PROGRESS':
      return `stack ${stack} is in REVIEW_IN_PROGRESS: a change set created it and was never executed (an interrupted deploy or preview), and a deploy would wait on it. It holds no resources: delete it, then deploy again: ${del}`;
    case 'ROLLBACK_COMPLETE':
      return `stack ${stack} is in ROLLBACK_COMPLETE: its creation failed and it cannot be updated. Delete it, then deploy again: ${del}`;
    case 'ROLLBACK_FAILED':
      return `stack ${stack} is in ROLLBACK_FAILED: its creation failed and so did the rollback. Delete it (the events say which resources failed), then deploy again: ${del}`;
    case 'DELETE_FAILED':
      return `stack ${stack} is in DELETE_FAILED and cannot be updated. Fix what blocked the delete (its events say), delete it again with \`scripts/deploy.sh <env> --delete\`, then deploy.`;
    case 'UPDATE_ROLLBACK_FAILED':
    case 'IMPORT_ROLLBACK_FAILED':
      return `stack ${stack} is in ${status}: fix what the failed events name, then \`aws cloudformation continue-update-rollback --stack-name ${stack} --region ${region}\` and deploy again.`;
    case 'UPDATE_FAILED':
    case 'CREATE_FAILED':
      return `stack ${stack} is in ${status}. Look at its events (\`aws cloudformation describe-stack-events --stack-name ${stack} --region ${region}\`), then delete it or roll it back before deploying.`;
    default:
      return undefined;
  }
}
