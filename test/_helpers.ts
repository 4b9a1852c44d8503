/** Shared test helpers: temporary sandboxes of the repository and running the CLI in them. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync, type Dirent } from 'node:fs';
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

/** Every file under `dir` (relative paths, sorted), for a content key. */
function filesUnder(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * output/ as `make build` and `make graph` write it for the fixture estate: built once per test
 * run, not per test file. `make test` (scripts/test-run.ts) names a folder the test files of a run
 * share (BERTH_TEST_SHARED); the output is kept there under a hash of everything it is made from
 * (src/, templates/, scripts/ for its compiled CLI, the fixture estate, package.json), so a file
 * that finds it built reuses it, and one run by hand builds its own. Tests compare a sandbox's output/ with it, never with the
 * repository's output/ (the user's estate), and never write into it.
 */
export function fixtureEstateOutput(): string {
  if (fixtureOutput !== undefined) return fixtureOutput;
  const shared = process.env.BERTH_TEST_SHARED;
  const hash = createHash('sha256');
  for (const f of ['src', 'templates', 'scripts', 'test/fixtures/services', 'test/fixtures/settings', 'test/fixtures/storage'].flatMap((d) => filesUnder(join(ROOT, d))).concat(join(ROOT, 'package.json'))) {
    hash.update(`${f}\0`).update(readFileSync(f)).update('\0');
  }
  const kept = shared === undefined ? undefined : join(shared, `fixture-estate-${hash.digest('hex').slice(0, 16)}`);
  // One file of the run builds it (the one that made the lock folder); the others wait for it, up
  // to two minutes, and build their own only if it fails.
  const lock = kept === undefined ? undefined : `${kept}.lock`;
  let building = false;
  if (lock !== undefined) {
    try {
      mkdirSync(lock);
      building = true;
    } catch {
      const tick = new Int32Array(new SharedArrayBuffer(4));
      for (let waited = 0; waited < 120_000 && existsSync(lock) && !existsSync(join(kept!, 'output')); waited += 100) Atomics.wait(tick, 0, 0, 100);
    }
  }
  if (kept !== undefined && existsSync(join(kept, 'output'))) {
    fixtureDist = join(kept, 'dist');
    return (fixtureOutput = join(kept, 'output'));
  }
  try {
    return buildFixtureEstate(kept);
  } finally {
    if (building) rmSync(lock!, { recursive: true, force: true });
  }
}

/** Builds the fixture estate's output/ and compiled CLI, kept in `kept` when given. */
function buildFixtureEstate(kept: string | undefined): string {
  const dir = tempDir('fixture-estate');
  for (const d of ['src', 'templates', 'scripts']) cpSync(join(ROOT, d), join(dir, d), { recursive: true, preserveTimestamps: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  installFixtureEstate(dir);
  // Compiled first, so the build and the diagram below run compiled, as `make build` runs them.
  compileCli(dir);
  for (const args of [['build', '--quiet'], ['graph']]) {
    const r = berth(dir, ...args);
    if (r.status !== 0) throw new Error(`berth ${args.join(' ')} of the fixture estate failed: ${r.stderr}`);
  }
  if (kept === undefined) {
    fixtureDist = join(dir, 'dist');
    return (fixtureOutput = join(dir, 'output'));
  }
  // Another file of the run may have kept its build first: the same content, so either will do.
  const staged = `${kept}.${process.pid}`;
  cpSync(join(dir, 'output'), join(staged, 'output'), { recursive: true });
  cpSync(join(dir, 'dist'), join(staged, 'dist'), { recursive: true });
  try {
    renameSync(staged, kept);
  } catch {
    rmSync(staged, { recursive: true, force: true });
  }
  fixtureDist = join(kept, 'dist');
  return (fixtureOutput = join(kept, 'output'));
}

/** The fixture estate's compiled CLI (dist/, see `compileCli`), beside its output. */
let fixtureDist: string | undefined;

/**
 * A copy of src/ and templates/ in a temporary folder, node_modules linked, holding the fixture
 * estate (its services and environments in place of the user's) and its output/.
 */
export function sandbox(props: SandboxProps = {}): string {
  const dir = tempDir('test');
  // Times kept, as in the fixture estate's build: its compiled CLI checks sources by size and time first.
  for (const d of ['src', 'templates']) cpSync(join(ROOT, d), join(dir, d), { recursive: true, preserveTimestamps: true });
  installFixtureEstate(dir);
  cpSync(fixtureEstateOutput(), join(dir, 'output'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'), { preserveTimestamps: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  if (props.make) {
    for (const f of ['Makefile', 'package-lock.json', 'requirements.txt', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, f), join(dir, f), { preserveTimestamps: true });
    cpSync(join(ROOT, 'scripts'), join(dir, 'scripts'), { recursive: true, preserveTimestamps: true });
    cpSync(join(ROOT, '.stamps'), join(dir, '.stamps'), { recursive: true });
    // Stamps newer than the lock files: make must never reinstall in a sandbox, whose
    // node_modules is the repository's own (npm ci there would empty it for every other test).
    const now = new Date();
    for (const stamp of readdirSync(join(dir, '.stamps'))) utimesSync(join(dir, '.stamps', stamp), now, now);
    symlinkSync(join(ROOT, '.venv'), join(dir, '.venv'));
  }
  // Last, so it is newer than every source and stamp: to make, the sandbox is built (its compiled
  // CLI up to date), as after a user's first `make build`; a source a test edits is newer again.
  cpSync(fixtureDist!, join(dir, 'dist'), { recursive: true });
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

/**
 * Runs `berth <args>` with cwd `dir`: the compiled CLI where `dir` has one (a sandbox's, compiled
 * from the fixture estate, as `make build` runs it), which runs the sources instead once a test has
 * changed one of them (BERTH_STALE_BUNDLE=source); otherwise from source (`node --import tsx
 * src/cli/main.ts`). A compiled run costs about a third of the CPU time.
 */
export function berth(dir: string, ...args: string[]): Run {
  return berthEnv(dir, {}, ...args);
}

/** Runs `berth <args>` (see `berth`) with extra environment variables. */
export function berthEnv(dir: string, env: NodeJS.ProcessEnv, ...args: string[]): Run {
  const compiled = join(dir, 'dist', 'berth.cjs');
  if (existsSync(compiled)) return run(dir, [process.execPath, compiled, ...args], { BERTH_STALE_BUNDLE: 'source', ...env });
  return run(dir, [process.execPath, '--import', 'tsx', join(dir, 'src', 'cli', 'main.ts'), ...args], env);
}

/**
 * Compiles a sandbox's CLI and deploy helpers into its dist/ (its own scripts/bundle.ts, as `make
 * build` does), for suites that run scripts/deploy.sh many times: each helper then starts in plain
 * Node, as after `make build`. A helper whose sources a test changes afterwards (a stubbed lint
 * gate, an edited service) runs from source (dist/tools.cjs checks), so tests see the same
 * behaviour either way.
 */
export function compileCli(dir: string): void {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bundle.ts'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/bundle.ts in ${dir} failed: ${r.stderr}`);
}
