/**
 * A local AWS endpoint for the suites that deploy: moto's server (pinned in requirements.txt)
 * through scripts/local-aws.py (what `make local` runs), on 127.0.0.1 on a free port. Stop it in an `after` hook; it is
 * also killed when the test process exits, so a failing suite leaves no server behind.
 */
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './_helpers.ts';

export interface Moto {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL. */
  readonly endpoint: string;
  stop(): void;
}

/** A TCP port free on 127.0.0.1 now (the OS picks it), for a local server. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * The account moto plays (its default, 123456789012, is also the example account AWS's
 * documentation uses, which the deploy preflight refuses in image URIs).
 */
export const MOTO_ACCOUNT = '111122223333';

export async function startMoto(timeoutMs = 30_000): Promise<Moto> {
  const port = await freePort();
  // BERTH_MOTO_LOG=<file> keeps the server's own log (its tracebacks), to debug an HTTP 500.
  const log = process.env.BERTH_MOTO_LOG ? openSync(process.env.BERTH_MOTO_LOG, 'a') : 'ignore';
  const server = spawn(join(ROOT, '.venv/bin/python'), [join(ROOT, 'scripts/local-aws.py'), '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', log, log],
    env: { ...process.env, MOTO_ACCOUNT_ID: MOTO_ACCOUNT },
  });
  const stop = () => {
    if (server.exitCode === null) server.kill();
  };
  process.once('exit', stop);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection({ host: '127.0.0.1', port }, () => (c.end(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (ok) return { endpoint: `http://127.0.0.1:${port}`, stop };
    if (server.exitCode !== null) throw new Error(`the moto server exited with ${server.exitCode}`);
    if (Date.now() > deadline) {
      stop();
      throw new Error(`the moto server did not accept connections on port ${port} within ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
