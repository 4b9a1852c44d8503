/** Shared test helpers: temporary sandboxes of the repository and running the CLI in them. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');

/** A copy of src/, templates/ and output/ in a temporary folder, node_modules linked. */
export function sandbox(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-'));
  for (const d of ['src', 'templates', 'output']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `berth <args>` with cwd `dir`. */
export function berth(dir: string, ...args: string[]): Run {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, 'src', 'cli.ts'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
