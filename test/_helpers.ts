/** Shared test helpers: temporary sandboxes of the repository and running the CLI in them. */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..');
/** The pinned Python with cfn-lint and the AWS CLI (`make install`); BERTH_PYTHON overrides it (`make mutation`). */
export const PYTHON = process.env.BERTH_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');

/** Every folder `tempDir` made in this process, removed when it exits. */
const scratches = new Set<string>();
process.once('exit', () => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

/**
 * A new empty folder in the temporary folder, removed when the test file's process exits (pass
 * or fail, and whether or not the test cleaned up itself). Tests make every temporary folder with
 * this, never with `mkdtempSync(tmpdir())`: `make test` fails when a test leaves anything behind
 * (scripts/test-run.ts).
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `berth-${prefix}-`));
  scratches.add(dir);
  return dir;
}

export interface SandboxProps {
  /**
   * Also copy what `make build` needs (Makefile, scripts/, lock files and the install stamps,
   * timestamps kept so nothing is reinstalled), so tests can run the command a user runs.
   * @default false
   */
  readonly make?: boolean;
}

/**
 * The fixture estate sandboxes hold instead of the user's: the services of test/fixtures/services/
 * (`web`, `worker`, `report`), the environments of test/fixtures/settings/ (`dev`, `prod`) and
 * the stores of test/fixtures/storage/ (`appdb`, `jobs`, `reports`), copies of the example berth
 * ships. A team replaces templates/services/, templates/environments/ and templates/storage/ with
 * its own; berth's tests keep theirs.
 */
export function installFixtureEstate(dir: string): void {
  for (const [from, to, files] of [
    ['test/fixtures/services', 'templates/services', ['index.ts', 'web.ts', 'worker.ts', 'report.ts']],
    ['test/fixtures/settings', 'templates/environments', ['dev.json', 'prod.json']],
    ['test/fixtures/storage', 'templates/storage', ['index.ts', 'appdb.ts', 'jobs.ts', 'reports.ts']],
  ] as const) {
    rmSync(join(dir, to), { recursive: true, force: true });
    cpSync(join(ROOT, from), join(dir, to), { recursive: true, filter: (f) => f === join(ROOT, from) || (files as readonly string[]).includes(f.slice(join(ROOT, from).length + 1)) });
    // The fixtures' paths into templates/ become the paths an estate's own files use.
    for (const f of files) writeFileSync(join(dir, to, f), readFileSync(join(dir, to, f), 'utf8').replaceAll('../../../templates/', '../'));
  }
}

let fixtureOutput: string | undefined;

/**
 * output/ as `make build` and `make graph` write it for the fixture estate: built once per test
 * process, in a sandbox of its own. Tests compare a sandbox's output/ with it, never with the
 * repository's output/ (the user's estate).
 */
export function fixtureEstateOutput(): string {
  if (fixtureOutput === undefined) {
    const dir = tempDir('fixture-estate');
    for (const d of ['src', 'templates']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    installFixtureEstate(dir);
    for (const args of [['build', '--quiet'], ['graph']]) {
      const r = berth(dir, ...args);
      if (r.status !== 0) throw new Error(`berth ${args.join(' ')} of the fixture estate failed: ${r.stderr}`);
    }
    fixtureOutput = join(dir, 'output');
  }
  return fixtureOutput;
}

/**
 * A copy of src/ and templates/ in a temporary folder, node_modules linked, holding the fixture
 * estate (its services and environments in place of the user's) and its output/.
 */
export function sandbox(props: SandboxProps = {}): string {
  const dir = tempDir('test');
  for (const d of ['src', 'templates']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  installFixtureEstate(dir);
  cpSync(fixtureEstateOutput(), join(dir, 'output'), { recursive: true });
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
