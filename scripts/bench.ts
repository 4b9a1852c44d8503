/**
 * berth against the AWS CDK, as whole processes: `make bench` (BENCH_RUNS=1 for a smoke run).
 *
 *   node --import tsx scripts/bench.ts
 *
 * Each comparison runs its commands alternately, run by run (so a slow spell on a shared machine
 * hits both tools), after one warm-up run each, and reports the median wall time and the peak
 * memory (the largest process's resident set, from /usr/bin/time). The CDK app is bench/cdk/app.mjs (not committed),
 * regenerated first from the estate (bench/gen-cdk-app.ts), so it always produces the same
 * resources as berth; the closeness is checked and printed.
 *
 * 1. the default estate: `make build` (both environments) and `berth build --env dev` against
 *    `cdk synth` of the dev environment, with the CDK's default validation and with `--no-validation`;
 * 2. scaling: 1, 10 and 50 web services, berth (bench/berth-estate.ts) and the CDK (`-c services=N`);
 * 3. `make lint` (five gates, cold: `--no-cache`) against one batched `cfn-lint -c I` over the same
 *    files; and `make lint` on an unchanged tree, answered from the last run.
 * 4. the editor (scripts/bench-editor.ts): keystrokes in templates/stacks/root.ts, timed in
 *    TypeScript's language server to their semantic diagnostics, and `tsc --noEmit -p .` warm.
 * 5. organisation scale (issue 16), on the generated estate of test/fixtures/scale-estate: the
 *    build of 1 and of 250 services (time, peak memory, templates written), `make lint` cold over
 *    the 250-service output against one batched `cfn-lint -c I` over the same files, and `make
 *    lint` after a one-service edit (each run a new edit, so it is never answered from an earlier
 *    run), with the lint gates' servers up (scripts/lint/gate-server.ts) and without; the cold
 *    runs start no servers (`BERTH_LINT_SERVER=0`). At most 3 runs of these (the cold lint of 250 services takes minutes; BENCH_SCALE_SERVICES
 *    sets the count). docs/benchmark.md has a run.
 * Then whether each target of issues 6, 12 and 16 is met.
 *
 * BENCH_SMOKE=1 (test/bench.test.ts) runs berth's side once: no AWS CDK (bench/ is not installed,
 * so the smoke run costs no npm install), no lint, type-check or editor measurements; their cells print
 * `-` and their targets `[skipped]`. It checks that the harness runs, never any figure.
 */
import { spawnSync } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { closeness } from '../bench/compare.ts';
import { generate } from '../bench/gen-cdk-app.ts';
import { bundle } from './bundle.ts';
import { regionsOf } from './lint/cfn-lint.ts';
import { serverPids, serverReady, stopServer } from './lint/gate-server.ts';
import { gateServerNames, startGateServers } from './lint/main.ts';
import { KEYSTROKE_FILE, keystrokes, median as medianOf, typecheck } from './bench-editor.ts';

const ROOT = join(import.meta.dirname, '..');
const SMOKE = process.env.BENCH_SMOKE === '1';
const RUNS = SMOKE ? 1 : Math.max(1, Number(process.env.BENCH_RUNS ?? '5'));
/** The organisation-scale rows: services, and runs (the cold lint of 250 services takes minutes). */
const SCALE_SERVICES = Number(process.env.BENCH_SCALE_SERVICES ?? (SMOKE ? '10' : '250'));
const SCALE_RUNS = Math.min(RUNS, 3);
const WARM_UP = RUNS > 1;
const TIME = '/usr/bin/time';
const CDK = join(ROOT, 'bench', 'node_modules', 'aws-cdk', 'bin', 'cdk');
const CDK_APP = join(ROOT, 'bench', 'cdk');
const SCRATCH = mkdtempSync(join(tmpdir(), 'berth-bench-'));
process.once('exit', () => rmSync(SCRATCH, { recursive: true, force: true })); // also when a run fails
// No network from the CDK CLI (notices, version check, telemetry): none is reachable here, and
// waiting on it would be measured against the CDK. Validation is toggled per command below.
const CDK_ENV = { ...process.env, CDK_DISABLE_VERSION_CHECK: 'true', CDK_DISABLE_CLI_TELEMETRY: 'true' };
// berth's own commands run as `make build` runs them: without NODE_EXTRA_CA_CERTS (see Makefile).
const { NODE_EXTRA_CA_CERTS: _certs, ...BERTH_ENV } = process.env;

interface Command {
  readonly label: string;
  readonly argv: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

interface Measured {
  readonly label: string;
  /** Median wall time, seconds. */
  readonly seconds: number;
  /** Largest peak resident set over the runs, MiB; NaN without /usr/bin/time. */
  readonly mib: number;
  readonly failures: number;
}

function once(c: Command): { seconds: number; mib: number; ok: boolean; stderr: string } {
  const useTime = existsSync(TIME);
  const report = join(SCRATCH, 'time.txt');
  const argv = useTime ? [TIME, '-f', '%M', '-o', report, ...c.argv] : [...c.argv];
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: c.cwd ?? ROOT, env: c.env ?? process.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const kib = useTime ? Number(readFileSync(report, 'utf8').trim().split('\n').at(-1)) : NaN;
  return { seconds, mib: kib / 1024, ok: r.status === 0, stderr: r.stderr ?? '' };
}

/**
 * Starts the lint gates' servers for runs with `env` (scripts/lint/gate-server.ts) and waits until
 * each has its tool imported, as an earlier `make lint` leaves them; their names.
 */
async function warmServers(env: NodeJS.ProcessEnv): Promise<string[]> {
  const names = gateServerNames(env);
  startGateServers(env);
  await Promise.all(names.map((n) => serverReady(n)));
  return names;
}

/** The resident memory of the gate servers `names` (MiB, from /proc; NaN where there is none). */
function serverMemory(names: readonly string[]): number {
  let kib = 0;
  for (const pid of serverPids(names)) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return kib > 0 ? kib / 1024 : NaN;
}

/** What a smoke run does not measure: printed as `-`. */
const NOT_RUN: Measured = { label: 'not run', seconds: NaN, mib: NaN, failures: 0 };

/** Runs the commands alternately: a warm-up each, then RUNS rounds; `undefined` (not run in a smoke run) gives NOT_RUN. */
function measure(all: readonly (Command | undefined)[], runs = RUNS, before?: (round: number) => void): Measured[] {
  const commands = all.filter((c): c is Command => c !== undefined);
  const measured = measureAll(commands, runs, before);
  return all.map((c) => (c === undefined ? NOT_RUN : measured[commands.indexOf(c)]!));
}

function measureAll(commands: readonly Command[], runs: number, before?: (round: number) => void): Measured[] {
  const times = commands.map(() => [] as number[]);
  const peaks = commands.map(() => 0);
  const failures = commands.map(() => 0);
  if (WARM_UP) commands.forEach((c) => once(c));
  for (let round = 0; round < runs; round++) {
    if (commands.length) before?.(round);
    commands.forEach((c, i) => {
      const r = once(c);
      times[i]!.push(r.seconds);
      peaks[i] = Math.max(peaks[i]!, r.mib);
      if (!r.ok) {
        failures[i]!++;
        if (failures[i] === 1) console.error(`[note] ${c.label} exited non-zero: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
      }
    });
  }
  return commands.map((c, i) => ({ label: c.label, seconds: median(times[i]!), mib: peaks[i]!, failures: failures[i]! }));
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** A target whose figures a smoke run did not measure (NaN, or `-`): skipped, not missed. */
const skipped = (target: string) => /NaN|: -x?$/.test(target);
const sec = (m: Measured) => (Number.isNaN(m.seconds) ? '-' : `${m.seconds.toFixed(2)} s`);
const mem = (m: Measured) => (Number.isNaN(m.seconds) ? '-' : Number.isNaN(m.mib) ? 'n/a' : `${Math.round(m.mib)} MiB`);
const ratio = (a: number, b: number) => (Number.isNaN(a / b) ? '-' : (a / b).toFixed(a / b < 0.1 ? 3 : 2));

function cdkSynth(label: string, extra: readonly string[]): Command | undefined {
  if (SMOKE) return undefined;
  const out = join(SCRATCH, 'cdk.out');
  return { label, argv: [process.execPath, CDK, 'synth', '--quiet', '--no-notices', '--output', out, ...extra], cwd: CDK_APP, env: CDK_ENV };
}

function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

async function run(): Promise<number> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(`berth benchmark: ${RUNS} run${RUNS > 1 ? 's' : ''} per command${WARM_UP ? ' after a warm-up' : ''}, alternating; median wall time, peak RSS of the largest process`);
  console.log(`machine: ${cpus().length} cores (${cpu}), Node ${process.version}, load average ${loadavg()[0]!.toFixed(2)} at start`);

  // The CDK app, regenerated from the estate, and berth's bundle of the bench estate.
  if (!SMOKE) writeFileSync(join(CDK_APP, 'app.mjs'), generate('dev'));
  const benchBundle = join(ROOT, 'dist', 'bench', 'berth.cjs');
  await bundle({ estate: join(ROOT, 'bench', 'berth-estate.ts'), out: benchBundle });

  // 1. The default estate.
  const outMake = join(SCRATCH, 'make-out');
  const outDev = join(SCRATCH, 'dev-out');
  const [make, dev, cdkDefault, cdkPlain] = measure([
    { label: 'make build', argv: ['make', '-s', 'build', `OUT_DIR=${outMake}`] },
    { label: 'berth build --env dev', argv: [process.execPath, join(ROOT, 'dist', 'berth.cjs'), 'build', '--env', 'dev', '--quiet', '--out', outDev], env: BERTH_ENV },
    cdkSynth('cdk synth', []),
    cdkSynth('cdk synth --no-validation', ['--no-validation']),
  ]) as [Measured, Measured, Measured, Measured];
  const close = SMOKE ? undefined : closeness(join(SCRATCH, 'cdk.out'), 'dev');
  const templates = (dir: string) => readdirSync(dir).flatMap((env) => readdirSync(join(dir, env)).filter((f) => f.endsWith('.yaml')));

  // 2. Scaling, berth against the CDK without validation (the faster CDK).
  const scaling = [1, 10, 50].map((n) => {
    const out = join(SCRATCH, `scale-${n}`);
    const [b, c] = measure([
      { label: `berth, ${n} services`, argv: [process.execPath, benchBundle, 'build', '--quiet', '--estate', join(ROOT, 'bench', 'berth-estate.ts'), '--out', out], env: { ...BERTH_ENV, BERTH_BENCH_SERVICES: String(n) } },
      cdkSynth(`cdk synth --no-validation -c services=${n}`, ['--no-validation', '--context', `services=${n}`]),
    ]) as [Measured, Measured];
    return { n, berth: b, cdk: c };
  });

  // 4 (measured here, printed after the lint table). The type check `make build` runs before
  // compiling when a source changed (scripts/typecheck.ts: incremental tsc over src/ and
  // templates/), in a copy of the sources so the repository's build info is not touched:
  // cold (no build info), then again with nothing changed, then after one service file changed.
  const checkDir = join(SCRATCH, 'typecheck');
  for (const d of ['src', 'templates', 'scripts']) cpSync(join(ROOT, d), join(checkDir, d), { recursive: true });
  for (const f of ['tsconfig.json', 'tsconfig.build.json', 'package.json']) cpSync(join(ROOT, f), join(checkDir, f));
  symlinkSync(join(ROOT, 'node_modules'), join(checkDir, 'node_modules'));
  const typecheckRun = (label: string, before?: () => void): Command & { before?: () => void } => ({
    label,
    argv: [process.execPath, '--import', 'tsx', join(checkDir, 'scripts', 'typecheck.ts')],
    cwd: checkDir,
    before,
  });
  const buildInfo = join(checkDir, '.stamps', 'tsc-build.tsbuildinfo');
  const service = join(checkDir, 'templates', 'services', readdirSync(join(checkDir, 'templates', 'services')).find((f) => f !== 'index.ts' && f.endsWith('.ts'))!);
  let edits = 0;
  const typecheckRows = SMOKE ? [NOT_RUN] : [
    typecheckRun('cold (no build info)', () => rmSync(buildInfo, { force: true })),
    typecheckRun('incremental, nothing changed'),
    typecheckRun('incremental, one service file changed', () => writeFileSync(service, `${readFileSync(service, 'utf8')}\n// bench edit ${++edits}\n`)),
  ].map((c) => {
    const seconds: number[] = [];
    let mib = 0;
    for (let i = 0; i < RUNS; i++) {
      c.before?.();
      const r = once(c);
      if (!r.ok) console.error(`[note] typecheck ${c.label} failed: ${r.stderr.trim().split('\n')[0]}`);
      seconds.push(r.seconds);
      mib = Math.max(mib, r.mib);
    }
    return { label: c.label, seconds: median(seconds), mib, failures: 0 } satisfies Measured;
  });

  // 3. make lint against one batched cfn-lint call over the same files, for the Regions the gate
  // checks them for (each environment's, scripts/lint/cfn-lint.ts): the same work, in one process.
  const lintRegions = (files: readonly string[], envDir?: string) => [...new Set(files.flatMap((f) => regionsOf(resolve(ROOT, f), envDir)))].sort();
  const lintFiles = readdirSync(join(ROOT, 'output')).flatMap((env) =>
    readdirSync(join(ROOT, 'output', env)).filter((f) => f.endsWith('.yaml')).map((f) => join('output', env, f)),
  );
  const [lint, cfnLint, lintWarm] = measure(SMOKE ? [undefined, undefined, undefined] : [
    { label: 'make lint', argv: ['make', '-s', 'lint', 'ARGS=--no-cache'], env: { ...process.env, BERTH_LINT_SERVER: '0' } },
    { label: 'cfn-lint -c I (batched)', argv: [join(ROOT, '.venv', 'bin', 'cfn-lint'), '-c', 'I', '--regions', ...lintRegions(lintFiles), '--', ...lintFiles] },
    { label: 'make lint (unchanged tree)', argv: ['make', '-s', 'lint'] },
  ]) as [Measured, Measured, Measured];

  // 4. The editor: a smoke run (BENCH_RUNS=1) types fewer keystrokes and checks once.
  const typed = SMOKE ? { seconds: [NaN] } : await keystrokes(KEYSTROKE_FILE, { smoke: RUNS === 1 });
  const checks = SMOKE ? [NaN] : typecheck(RUNS, { warmUp: WARM_UP });
  const checksEdited = SMOKE ? [NaN] : typecheck(RUNS, { warmUp: WARM_UP, edit: KEYSTROKE_FILE });
  const s2 = (x: number) => (Number.isNaN(x) ? '-' : `${x.toFixed(2)} s`);

  // 5. Organisation scale: the generated estate (test/fixtures/scale-estate), bundled as
  // `make build` runs the default one. A smoke run builds 10 services and lints nothing.
  const scaleEstate = join(ROOT, 'test', 'fixtures', 'scale-estate', 'estate.ts');
  const scaleBundle = join(ROOT, 'dist', 'bench', 'scale.cjs');
  await bundle({ estate: scaleEstate, out: scaleBundle });
  const scaleBuild = (n: number, out: string, edit = 0): Command => ({
    label: `berth build, ${n} service${n > 1 ? 's' : ''} (scale estate)`,
    argv: [process.execPath, scaleBundle, 'build', '--quiet', '--estate', scaleEstate, '--out', out],
    env: { ...BERTH_ENV, BERTH_SCALE_SERVICES: String(n), BERTH_SCALE_EDIT: String(edit) },
  });
  const scaleOne = join(SCRATCH, 'scale-1');
  const scaleMany = join(SCRATCH, `scale-${SCALE_SERVICES}`);
  const [buildOne, buildMany] = measure([scaleBuild(1, scaleOne), scaleBuild(SCALE_SERVICES, scaleMany)], SCALE_RUNS) as [Measured, Measured];
  const written = (dir: string) => readdirSync(join(dir, 'scale')).filter((f) => f.endsWith('.yaml')).length;
  const [writtenOne, writtenMany] = [written(scaleOne), written(scaleMany)];
  // The gates over the scale estate: its settings, and a cache of their own (cold means cold).
  const lintEnv = { ...process.env, BERTH_ENVIRONMENTS_DIR: join(ROOT, 'test', 'fixtures', 'scale-estate', 'environments'), BERTH_LINT_CACHE_DIR: join(SCRATCH, 'lint-cache') };
  const scaleFiles = readdirSync(join(scaleMany, 'scale')).filter((f) => f.endsWith('.yaml')).map((f) => join(scaleMany, 'scale', f));
  // As `make lint` runs the gates: compiled (dist/tools.cjs, which `make bench` builds first).
  const lintMain = [process.execPath, join(ROOT, 'dist', 'tools.cjs'), join(ROOT, 'scripts', 'lint', 'main.ts'), scaleMany];
  const [scaleLint, scaleCfnLint] = measure(SMOKE ? [undefined, undefined] : [
    { label: `make lint, ${SCALE_SERVICES} services, cold`, argv: [...lintMain, '--no-cache'], env: { ...lintEnv, BERTH_LINT_SERVER: '0' } },
    { label: `cfn-lint -c I (batched), ${SCALE_SERVICES} services`, argv: [join(ROOT, '.venv', 'bin', 'cfn-lint'), '-c', 'I', '--regions', ...lintRegions(scaleFiles, lintEnv.BERTH_ENVIRONMENTS_DIR), '--', ...scaleFiles] },
  ], SCALE_RUNS) as [Measured, Measured];
  // After a one-service edit: each round rebuilds with a new edit first (not timed). As a user
  // runs it, with the gate servers an earlier `make lint` left up (started here, and waited for,
  // as a user's earlier run would have); and without them (BERTH_LINT_SERVER=0), on edits of its own.
  const servers = SMOKE ? [] : await warmServers(lintEnv);
  const [scaleEdit] = measure([SMOKE ? undefined : { label: `make lint after a one-service edit, ${SCALE_SERVICES} services`, argv: lintMain, env: lintEnv }], SCALE_RUNS, (round) => once(scaleBuild(SCALE_SERVICES, scaleMany, round + 1))) as [Measured];
  const serversMiB = serverMemory(servers);
  await Promise.all(servers.map(stopServer));
  const [scaleEditCold] = measure([SMOKE ? undefined : { label: `make lint after a one-service edit, ${SCALE_SERVICES} services, no gate servers`, argv: lintMain, env: { ...lintEnv, BERTH_LINT_SERVER: '0' } }], SCALE_RUNS, (round) => once(scaleBuild(SCALE_SERVICES, scaleMany, SCALE_RUNS + round + 1))) as [Measured];

  const head = ['case', 'berth', 'berth peak', 'AWS CDK', 'CDK peak', 'time berth / CDK', 'memory berth / CDK'];
  const row = (name: string, b: Measured, c: Measured) => [name, sec(b), mem(b), sec(c), mem(c), ratio(b.seconds, c.seconds), ratio(b.mib, c.mib)];
  console.log('');
  console.log(
    table(head, [
      row(`\`make build\` (dev + prod, ${templates(outMake).length} templates) vs \`cdk synth\` (dev, default validation)`, make, cdkDefault),
      row('`make build` vs `cdk synth --no-validation`', make, cdkPlain),
      row(`\`berth build --env dev\` (${templates(outDev).length} templates) vs \`cdk synth\``, dev, cdkDefault),
      row('`berth build --env dev` vs `cdk synth --no-validation`', dev, cdkPlain),
      ...scaling.map((s) => row(`${s.n} service${s.n > 1 ? 's' : ''} (berth bench estate vs \`cdk synth --no-validation -c services=${s.n}\`)`, s.berth, s.cdk)),
    ]),
  );
  console.log('');
  console.log(table(['lint', 'wall', 'peak', 'make lint / cfn-lint'], [
    ['`make lint ARGS=--no-cache` (cfn-lint, checkov, Control Tower rules, policy checks, concurrently)', sec(lint), mem(lint), ratio(lint.seconds, cfnLint.seconds)],
    ['`make lint` on an unchanged tree (the last run\'s results)', sec(lintWarm), mem(lintWarm), ratio(lintWarm.seconds, cfnLint.seconds)],
    [`one batched \`cfn-lint -c I\` over the same ${lintFiles.length} files`, sec(cfnLint), mem(cfnLint), ratio(cfnLint.seconds, cfnLint.seconds)],
  ]));
  console.log('');
  console.log(table(['editor', 'median', 'max', 'runs'], [
    [`keystroke in \`${relative(ROOT, KEYSTROKE_FILE)}\` (tsserver, to its semantic diagnostics)`, s2(medianOf(typed.seconds)), s2(Math.max(...typed.seconds)), SMOKE ? '0' : String(typed.seconds.length)],
    [`\`tsc --noEmit -p .\`${WARM_UP ? ' warm' : ''} (incremental, nothing changed)`, s2(medianOf(checks)), s2(Math.max(...checks)), SMOKE ? '0' : String(checks.length)],
    [`\`tsc --noEmit -p .\`${WARM_UP ? ' warm' : ''} (incremental, \`${relative(ROOT, KEYSTROKE_FILE)}\` edited)`, s2(medianOf(checksEdited)), s2(Math.max(...checksEdited)), SMOKE ? '0' : String(checksEdited.length)],
  ]));
  console.log('');
  console.log(
    table(
      ['`make build` type check (incremental tsc, src/ and templates/)', 'wall', 'peak'],
      [...typecheckRows.map((m) => [m.label, sec(m), mem(m)]), ['`make build` with no source changed (no type check, no compile)', '0 s', '-']],
    ),
  );
  console.log('');
  const perTemplate = (m: Measured, n: number) => (Number.isNaN(m.seconds) ? '-' : `${((m.seconds / n) * 1000).toFixed(1)} ms`);
  console.log(table(['organisation scale (test/fixtures/scale-estate)', 'wall', 'peak', 'templates', 'wall per template'], [
    ['`berth build`, 1 service', sec(buildOne), mem(buildOne), String(writtenOne), perTemplate(buildOne, writtenOne)],
    [`\`berth build\`, ${SCALE_SERVICES} services`, sec(buildMany), mem(buildMany), String(writtenMany), perTemplate(buildMany, writtenMany)],
    [`\`make lint ARGS=--no-cache\`, ${SCALE_SERVICES} services`, sec(scaleLint), mem(scaleLint), String(scaleFiles.length), `${ratio(scaleLint.seconds, scaleCfnLint.seconds)}x cfn-lint`],
    [`one batched \`cfn-lint -c I\` over the same files`, sec(scaleCfnLint), mem(scaleCfnLint), String(scaleFiles.length), `${ratio(scaleCfnLint.seconds, scaleCfnLint.seconds)}x cfn-lint`],
    [`\`make lint\` after a one-service edit, ${SCALE_SERVICES} services, gate servers up (their memory: ${Number.isNaN(serversMiB) ? '-' : `${Math.round(serversMiB)} MiB`})`, sec(scaleEdit), mem(scaleEdit), String(scaleFiles.length), '-'],
    [`\`make lint\` after a one-service edit, ${SCALE_SERVICES} services, no gate servers (\`BERTH_LINT_SERVER=0\`)`, sec(scaleEditCold), mem(scaleEditCold), String(scaleFiles.length), '-'],
  ]));
  console.log('');
  console.log(close ? `CDK app closeness: berth ${close.berthResources} resources, CDK ${close.cdkResources} (+${close.cdkExtras} CDKMetadata it adds), ${close.identical} identical in type and properties${close.changes.length ? `; ${close.changes.length} other differences` : ''}.` : 'CDK app closeness: not measured (BENCH_SMOKE=1 runs no CDK).');

  const targets: [boolean, string][] = [
    [cdkDefault.seconds / make.seconds >= 10, `make build at least 10x faster than cdk synth as shipped: ${(cdkDefault.seconds / make.seconds).toFixed(1)}x`],
    [cdkPlain.seconds / make.seconds >= 2, `make build at least 2x faster than cdk synth --no-validation: ${(cdkPlain.seconds / make.seconds).toFixed(1)}x`],
    [make.seconds <= 0.22, `make build within 0.22 s wall: ${sec(make)}`],
    [Math.max(make.mib, dev.mib, ...scaling.map((s) => s.berth.mib)) < 100, `berth peak memory under 100 MiB: ${Math.round(Math.max(make.mib, dev.mib, ...scaling.map((s) => s.berth.mib)))} MiB at most`],
    [scaling[2]!.berth.seconds < 3 * scaling[0]!.berth.seconds, `50 services in under 3x the time of 1: ${ratio(scaling[2]!.berth.seconds, scaling[0]!.berth.seconds)}x`],
    [lint.seconds <= 1.2 * cfnLint.seconds, `make lint (no cache) within 1.2x of one batched cfn-lint: ${ratio(lint.seconds, cfnLint.seconds)}x`],
    [medianOf(typed.seconds) < 0.4, `a keystroke in ${relative(ROOT, KEYSTROKE_FILE)} under 0.4 s in the editor: ${medianOf(typed.seconds).toFixed(2)} s (median)`],
    [medianOf(checksEdited) < 5, `tsc --noEmit of the project under 5 s warm (incremental, after an edit of ${relative(ROOT, KEYSTROKE_FILE)}; ${medianOf(checks).toFixed(2)} s with nothing changed): ${medianOf(checksEdited).toFixed(2)} s`],
    [buildMany.seconds / writtenMany <= buildOne.seconds / writtenOne, `build time less than linear in templates written: ${perTemplate(buildMany, writtenMany)} per template at ${SCALE_SERVICES} services, ${perTemplate(buildOne, writtenOne)} at 1`],
    [buildMany.mib < 200, `peak memory of a ${SCALE_SERVICES}-service build under 200 MiB: ${mem(buildMany)}`],
    [scaleLint.seconds <= 1.2 * scaleCfnLint.seconds, `make lint (no cache) at ${SCALE_SERVICES} services within 1.2x of one batched cfn-lint: ${ratio(scaleLint.seconds, scaleCfnLint.seconds)}x`],
    [scaleEdit.seconds < 3, `make lint after a one-service edit at ${SCALE_SERVICES} services under 3 s, with the gate servers up (${sec(scaleEditCold)} without): ${sec(scaleEdit)}`],
  ];
  console.log('');
  for (const [ok, text] of targets) console.log(`[${skipped(text) ? 'skipped' : ok ? 'met' : 'missed'}] ${text}`);
  rmSync(SCRATCH, { recursive: true, force: true });
  console.log(`\n${SMOKE ? 'smoke run (BENCH_SMOKE=1)' : `${relative(ROOT, join(CDK_APP, 'app.mjs'))} written`}; ${targets.filter(([ok, text]) => !ok && !skipped(text)).length} target(s) missed.`);
  return 0;
}

run().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  },
);
