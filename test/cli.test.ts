/**
 * The command line: help, every error path (exit code and the one-line message), the build
 * summary and its 80 % warnings, `--check` on a stale tree, and the compiled bundle that
 * `make build` runs, through make itself.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { palette } from '../src/cli/_terminal.ts';
import type { EmittedFile } from '../src/emit/output.ts';
import { flatten } from '../src/dsl/estate.ts';
import { summary } from '../src/cli/summary.ts';
import { estate } from '../templates/estate.ts';
import { berth, berthEnv, fixtureEstateOutput, ROOT, run, sandbox, tempDir } from './_helpers.ts';

const MINI = 'test/fixtures/mini-estate/estate.ts';
/** Templates the default estate writes, every environment. */
const templateCount = () => estate.environments.flatMap((env) => flatten(estate.synthesize(env))).length;
const scratch = tempDir('cli');
after(() => rmSync(scratch, { recursive: true, force: true }));
/** A sandbox with the fixture estate (`dev`, `prod`), for what names the estate's environments. */
let fixtureRepo: string | undefined;
const withFixtureEstate = () => (fixtureRepo ??= sandbox());

test('berth --help lists the commands and exits 0; no command prints it and exits 1', () => {
  const help = berth(ROOT, '--help');
  assert.equal(help.status, 0);
  for (const c of ['build', 'diff', 'graph', 'new']) assert.match(help.stdout, new RegExp(`^  ${c} `, 'm'));
  const none = berth(ROOT);
  assert.equal(none.status, 1);
  assert.equal(none.stdout, help.stdout);
});

test('each command has --help with its usage, options and an example', () => {
  for (const c of ['build', 'diff', 'graph']) {
    const r = berth(ROOT, c, '--help');
    assert.equal(r.status, 0, c);
    assert.match(r.stdout, new RegExp(`^Usage: berth ${c} \\[--env E \\.\\.\\.\\]`), c);
    assert.match(r.stdout, /--estate FILE/, c);
    assert.match(r.stdout, /Examples?:/, c);
    assert.equal(r.stderr, '', c);
  }
});

test('fails when the command is unknown: one line naming the commands, and the nearest when one is close', () => {
  const r = berth(ROOT, 'deploy');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'error: berth: unknown command `deploy`. Commands: `build`, `diff`, `graph`, `new`. Run `berth --help`.\n');
  const typo = berth(ROOT, 'biuld');
  assert.equal(typo.status, 1);
  assert.equal(typo.stderr, 'error: berth: unknown command `biuld`. Did you mean `build`? Commands: `build`, `diff`, `graph`, `new`. Run `berth --help`.\n');
  assert.equal(berth(ROOT, '--verison').stderr, 'error: berth: unknown option `--verison`. Did you mean `--version`? Commands: `build`, `diff`, `graph`, `new`. Run `berth --help`.\n');
});

test('berth --version prints the version from package.json', () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const r = berth(ROOT, flag);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `berth ${version}\n`);
  }
});

test('fails when an option is unknown, with the command to get help; diff errors exit 2', () => {
  const build = berth(ROOT, 'build', '--chek');
  assert.equal(build.status, 1);
  assert.equal(build.stderr, "error: berth build: Unknown option '--chek'. Did you mean `--check`? Run `berth build --help` for the options.\n");
  const diff = berth(ROOT, 'diff', '--stack', 'x');
  assert.equal(diff.status, 2);
  // `--stack` is 5 edits from `--stack-name`: too far to guess, so no hint.
  assert.equal(diff.stderr, "error: berth diff: Unknown option '--stack'. Run `berth diff --help` for the options.\n");
  assert.equal(berth(ROOT, 'diff', '--stack-nme', 'x').stderr, "error: berth diff: Unknown option '--stack-nme'. Did you mean `--stack-name`? Run `berth diff --help` for the options.\n");
  const graph = berth(ROOT, 'graph', 'prod');
  assert.equal(graph.status, 1);
  assert.match(graph.stderr, /^error: berth graph: Unexpected argument 'prod'.* Run `berth graph --help` for the options\.\n$/);
});

test('fails when the environment is unknown, listing the known ones', () => {
  for (const c of ['build', 'diff', 'graph']) {
    const r = berth(withFixtureEstate(), c, '--env', 'qa', '--out', join(scratch, 'unknown-env'));
    assert.equal(r.status, c === 'diff' ? 2 : 1, c);
    assert.equal(r.stderr, 'error: --env: unknown environment `qa`. Known environments: `dev`, `prod` (files in templates/environments/).\n', c);
  }
  const typo = berth(ROOT, 'build', '--env', 'prdo', '--out', join(scratch, 'unknown-env'));
  assert.equal(typo.stderr, 'error: --env: unknown environment `prdo`. Did you mean `prod`? Known environments: `dev`, `prod` (files in templates/environments/).\n');
});

test('fails when the estate module is missing or exports no estate', () => {
  const missing = berth(ROOT, 'build', '--estate', 'templates/nope.ts');
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, 'error: --estate: cannot find the estate module `templates/nope.ts`. Pass the path of a module that exports `estate` (default: templates/estate.ts).\n');
  const empty = join(scratch, 'empty-estate.ts');
  writeFileSync(empty, 'export const notAnEstate = 1;\n');
  const r = berth(ROOT, 'build', '--estate', empty);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `error: ${empty}: exports no \`estate\`. Export \`const estate: Estate\` from it (see templates/estate.ts).\n`);
});

test('fails when diff --stack-name is given for more than one environment', () => {
  const r = berth(withFixtureEstate(), 'diff', '--stack-name', 'berth-prod');
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'error: --stack-name: compares one environment with one deployed stack, and 2 are selected. Pass the environment too: `--env <name> --stack-name berth-prod`.\n');
});

test('fails when diff --template names no template, or comes without --stack-name; --against and --working exclude each other and --stack-name', () => {
  const wrong = berth(ROOT, 'diff', '--estate', MINI, '--stack-name', 'berth-blue', '--template', 'queue');
  assert.equal(wrong.status, 2);
  assert.equal(wrong.stderr, 'error: --template queue: is not a template of `blue`. Did you mean `queues`? Templates: `root`, `queues`, `extra`.\n');
  const alone = berth(ROOT, 'diff', '--estate', MINI, '--template', 'extra.yaml');
  assert.equal(alone.status, 2);
  assert.equal(alone.stderr, 'error: --template: chooses which template a deployed stack holds, so it needs --stack-name. Add `--stack-name <name>`, or leave --template out.\n');
  const both = berth(ROOT, 'diff', '--estate', MINI, '--against', 'HEAD', '--working');
  assert.equal(both.status, 2);
  assert.equal(both.stderr, 'error: --working: compares with the files on disk, --against with a commit. Pass one of them.\n');
  const deployed = berth(ROOT, 'diff', '--estate', MINI, '--stack-name', 'berth-blue', '--against', 'HEAD');
  assert.equal(deployed.status, 2);
  assert.equal(deployed.stderr, 'error: --against: compares with output/, and --stack-name with a deployed stack. Pass one of them.\n');
});

test('build prints a summary row per template with its share of each limit', () => {
  const out = join(scratch, 'summary');
  const r = berth(ROOT, 'build', '--estate', MINI, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  // The bytes column is as wide as its heading, `bytes /1000000`.
  const size = (f: string) => `${statSync(join(out, f)).size} (0%)`.padEnd('bytes /1000000'.length);
  assert.equal(
    r.stdout,
    [
      'template          resources /500  parameters /200  outputs /200  bytes /1000000  --template-body (51200)  tree /2500',
      `blue/root.yaml    2 (0%)          1 (0%)           1 (0%)        ${size('blue/root.yaml')}  yes                      4 (0%)`,
      `blue/queues.yaml  2 (0%)          1 (0%)           1 (0%)        ${size('blue/queues.yaml')}  yes                      -`,
      `blue/extra.yaml   1 (0%)          0 (0%)           0 (0%)        ${size('blue/extra.yaml')}  yes                      1 (0%)`,
      '',
    ].join('\n'),
  );
  assert.equal(r.stderr, '');
  assert.equal(berth(ROOT, 'build', '--quiet', '--estate', MINI, '--out', out).stdout, '');
});

test('the summary warns from 80 % of a limit, not below; 51,200 bytes is information only', () => {
  const file = (resources: number, bytes: number, name = 'big.yaml', text = ''): EmittedFile => ({ environment: 'e', file: name, text: text + 'x'.repeat(bytes - text.length), resources, parameters: 1, outputs: 1 });
  const plain = palette({ isTTY: false } as NodeJS.WriteStream);
  assert.deepEqual(summary([file(399, 799_999)], plain).warnings, []);
  const t = summary([file(400, 800_000)], plain);
  assert.deepEqual(t.warnings, ['e/big.yaml: 400 resources of 500', 'e/big.yaml: 800000 bytes of 1000000']);
  assert.match(t.text, /^e\/big\.yaml +400 \(80%\)! +1 \(0%\) +1 \(0%\) +800000 \(80%\)! +no \(S3 only\) +400 \(16%\)$/m);
  assert.match(summary([file(1, 51_200)], plain).text, /51200 \(5%\) +yes /);
  assert.match(summary([file(1, 51_201)], plain).text, /51201 \(5%\) +no \(S3 only\) /);
  // A stack tree counts the template and what it nests, against 2,500 resources in one operation.
  const parent = file(10, 100, 'top.yaml', '  Child:\n    Properties:\n      TemplateURL: child.yaml\n');
  const tree = summary([parent, file(1990, 100, 'child.yaml')], plain);
  assert.deepEqual(tree.warnings.filter((w) => w.startsWith('e/top')), ['e/top.yaml: 2000 resources in one stack operation (the template and its nested stacks) of 2500']);
  assert.match(tree.text, /^e\/child\.yaml .* -$/m);
});

test('build warns on stderr when a stack tree passes 80 % of one stack operation (160 services make 2,100 resources)', () => {
  const r = berthEnv(ROOT, { BERTH_BENCH_SERVICES: '160' }, 'build', '--quiet', '--estate', 'bench/berth-estate.ts', '--out', join(scratch, 'many'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /^warning: bench\/root\.yaml: \d+ resources in one stack operation \(the template and its nested stacks\) of 2500, over 80 % of CloudFormation's limit: split the template \(see `nest`\) before it fails\.\n$/);
});

test('colours only on a terminal, and never with NO_COLOR', () => {
  const saved = process.env.NO_COLOR;
  try {
    delete process.env.NO_COLOR;
    assert.equal(palette({ isTTY: true } as NodeJS.WriteStream).red('x'), '\x1b[31mx\x1b[39m');
    assert.equal(palette({ isTTY: false } as NodeJS.WriteStream).red('x'), 'x');
    process.env.NO_COLOR = '1';
    assert.equal(palette({ isTTY: true } as NodeJS.WriteStream).red('x'), 'x');
  } finally {
    if (saved === undefined) delete process.env.NO_COLOR;
    else process.env.NO_COLOR = saved;
  }
  const piped = berth(ROOT, 'build', '--estate', MINI, '--out', join(scratch, 'piped'));
  assert.doesNotMatch(piped.stdout + piped.stderr, /\x1b\[/);
});

test('build --check fails on a stale tree, names each stale file, and writes nothing', () => {
  const dir = sandbox();
  const network = join(dir, 'output/dev/network.yaml');
  writeFileSync(network, readFileSync(network, 'utf8').replace('Default: 10.10.0.0/16', 'Default: 10.99.0.0/16'));
  unlinkSync(join(dir, 'output/prod/cluster.yaml'));
  writeFileSync(join(dir, 'output/dev/old-service.yaml'), '# Generated by berth from templates/ and templates/environments/dev.json. Do not edit:\nResources: {}\n');
  const before = readFileSync(network, 'utf8');
  const r = berth(dir, 'build', '--check');
  assert.equal(r.status, 1);
  assert.equal(
    r.stderr,
    [
      'error: output/ is stale; run `make build` and commit the result:',
      '  output/dev/network.yaml (changed)',
      '  output/dev/old-service.yaml (no longer generated)',
      '  output/prod/cluster.yaml (missing)',
      '',
    ].join('\n'),
  );
  assert.equal(readFileSync(network, 'utf8'), before);
  assert.ok(!existsSync(join(dir, 'output/prod/cluster.yaml')));
  // A build repairs it: the changed file rewritten, the missing one back, the stale one gone,
  // the diagram (not a template) left alone; --check then passes.
  assert.equal(berth(dir, 'build', '--quiet').status, 0);
  assert.ok(!existsSync(join(dir, 'output/dev/old-service.yaml')));
  assert.ok(existsSync(join(dir, 'output/dev/architecture.svg')));
  assert.equal(berth(dir, 'build', '--check').status, 0);
  rmSync(dir, { recursive: true, force: true });
});

test('build rewrites only templates whose text changed', () => {
  const out = join(scratch, 'mtimes');
  assert.equal(berth(ROOT, 'build', '--quiet', '--estate', MINI, '--out', out).status, 0);
  const root = join(out, 'blue/root.yaml');
  const queues = join(out, 'blue/queues.yaml');
  const old = new Date('2020-01-01T00:00:00Z');
  for (const f of [root, queues]) utimesSync(f, old, old);
  assert.equal(berthEnv(ROOT, { BERTH_FIXTURE_VARIANT: 'new' }, 'build', '--quiet', '--estate', MINI, '--out', out).status, 0);
  assert.notEqual(statSync(root).mtimeMs, old.getTime(), 'root.yaml changed: rewritten');
  assert.notEqual(statSync(queues).mtimeMs, old.getTime(), 'queues.yaml changed: rewritten');
  for (const f of [root, queues]) utimesSync(f, old, old);
  assert.equal(berthEnv(ROOT, { BERTH_FIXTURE_VARIANT: 'new' }, 'build', '--quiet', '--estate', MINI, '--out', out).status, 0);
  assert.equal(statSync(root).mtimeMs, old.getTime(), 'unchanged: left alone');
});

test('make build runs the compiled bundle: summary, same bytes as the sources, check, errors, other estates', () => {
  const dir = sandbox({ make: true });
  const made = run(dir, ['make', '-s', 'build']);
  assert.equal(made.status, 0, made.stderr);
  assert.match(made.stdout, /^(wrote dist\/berth\.cjs\n)?template +resources \/500 +parameters \/200 +outputs \/200 +bytes \/1000000 +--template-body \(51200\) +tree \/2500\n/);
  assert.match(made.stdout, /^prod\/service-worker\.yaml +\d+ \(\d+%\)/m);
  assert.ok(existsSync(join(dir, 'dist/berth.bundle.cjs.v8cache')), 'the code cache is made with the bundle');
  // The bundle writes what the sources write, byte for byte (the committed output/).
  assert.equal(run(dir, [process.execPath, 'dist/berth.cjs', 'build', '--check']).stdout, `output/ is up to date (${templateCount()} templates).\n`);
  assert.equal(run(dir, ['git', 'diff', '--no-index', '--quiet', fixtureEstateOutput(), join(dir, 'output')]).status, 0);
  // An estate that is not compiled in runs from source through the bundle.
  cpSync(join(ROOT, 'test/fixtures/mini-estate'), join(dir, 'test/fixtures/mini-estate'), { recursive: true });
  const other = run(dir, [process.execPath, 'dist/berth.cjs', 'build', '--quiet', '--estate', MINI, '--out', join(scratch, 'via-bundle')]);
  assert.equal(other.status, 0, other.stderr);
  assert.ok(existsSync(join(scratch, 'via-bundle/blue/queues.yaml')));
  // A user mistake through make: one line, exit non-zero, output/ untouched.
  const envFile = join(dir, 'templates/environments/dev.json');
  writeFileSync(envFile, readFileSync(envFile, 'utf8').replace('"natGateways": "single"', '"natGateways": "several"'));
  const bad = run(dir, ['make', '-s', 'build']);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /^error: templates\/environments\/dev\.json: network\.natGateways: expected one of `"none"`, `"single"`, `"onePerAz"`\. Set it to one of these\.\n/);
  assert.equal(run(dir, ['git', 'diff', '--no-index', '--quiet', fixtureEstateOutput(), join(dir, 'output')]).status, 0);
  rmSync(dir, { recursive: true, force: true });
});

test('did you mean: the one close candidate by edit distance (a swap counts once), none when far or tied', async () => {
  const { closest, editDistance } = await import('../src/cli/_suggest.ts');
  assert.equal(editDistance('biuld', 'build'), 1);
  assert.equal(editDistance('graph', 'grpah'), 1);
  assert.equal(editDistance('', 'abc'), 3);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(closest('dfif', ['build', 'diff', 'graph']), 'diff');
  assert.equal(closest('deploy', ['build', 'diff', 'graph', 'new']), undefined);
  // Short words allow one edit: `ne` is `new`, `x` is nothing.
  assert.equal(closest('ne', ['new', 'diff']), 'new');
  assert.equal(closest('x', ['new', 'diff']), undefined);
  // Two equally close candidates: no guess.
  assert.equal(closest('dev1', ['dev2', 'dev3']), undefined);
  assert.equal(closest('PROD', ['dev', 'prod']), 'prod');
});
