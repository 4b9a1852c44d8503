/** Shared test helpers: temporary sandboxes of the repository and running the CLI in them. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
/** The pinned Python with cfn-lint and the AWS CLI (`make install`); BERTH_PYTHON overrides it (`make mutation`). */
export const PYTHON = process.env.BERTH_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');

export interface SandboxProps {
  /**
   * Also copy what `make build` needs (Makefile, scripts/, lock files and the install stamps,
   * timestamps kept so nothing is reinstalled), so tests can run the command a user runs.
   * @default false
   */
  readonly make?: boolean;
}

/** A copy of src/, templates/ and output/ in a temporary folder, node_modules linked. */
export function sandbox(props: SandboxProps = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-test-'));
  for (const d of ['src', 'templates', 'output']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'), { preserveTimestamps: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  if (props.make) {
    for (const f of ['Makefile', 'package-lock.json', 'requirements.txt', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, f), join(dir, f), { preserveTimestamps: true });
    cpSync(join(ROOT, 'scripts'), join(dir, 'scripts'), { recursive: true });
    cpSync(join(ROOT, '.stamps'), join(dir, '.stamps'), { recursive: true });
    // Stamps newer than the lock files: make must never reinstall in a sandbox, whose
    // node_modules is the repository's own (npm ci there would empty it for every other test).
    const now = new Date();
    for (const stamp of readdirSync(join(dir, '.stamps'))) utimesSync(join(dir, '.stamps', stamp), now, now);
    symlinkSync(join(ROOT, '.venv'), join(dir, '.venv'));
  }
  return dir;
}

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with cwd `dir`, colours off, `env` added to the environment. */
export function run(dir: string, argv: readonly string[], env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `berth <args>` from source (`node --import tsx src/cli/main.ts`) with cwd `dir`. */
export function berth(dir: string, ...args: string[]): Run {
  return run(dir, [process.execPath, '--import', 'tsx', join(dir, 'src', 'cli', 'main.ts'), ...args]);
}

/** Runs `berth <args>` from source with extra environment variables. */
export function berthEnv(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): Run {
  return run(dir, [process.execPath, '--import', 'tsx', join(dir, 'src', 'cli', 'main.ts'), ...args], env);
}
