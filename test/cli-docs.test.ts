/**
 * docs/cli.md is the CLI's own help, verbatim, and `make help` as it prints; and every make
 * target honours each variable its `make help` line lists: the ones that only write files run for
 * real into a scratch folder, the others (deploys, lint, the local endpoint) are checked with
 * `make -n` for the command they would run (each of those commands has its own tests).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { berth, ROOT, run } from './_helpers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'berth-cli-docs-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const doc = readFileSync(join(ROOT, 'docs/cli.md'), 'utf8');
const make = (...args: string[]) => run(ROOT, ['make', '-s', ...args]);
/** The commands `make -n` prints for a target, with the variables given. */
const dryRun = (...args: string[]) => run(ROOT, ['make', '-n', ...args]).stdout;

/** The ```text block under the heading `## <heading>`. */
function block(heading: string): string {
  const m = new RegExp(`^## ${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n\\n(?:[^\\n]*\\n)*?\`\`\`text\\n([\\s\\S]*?)^\`\`\`$`, 'm').exec(doc);
  assert.ok(m, `docs/cli.md has no text block under "## ${heading}"`);
  return m[1]!;
}

test('docs/cli.md shows each command\'s --help exactly as the CLI prints it', () => {
  for (const command of [[], ['build'], ['diff'], ['graph'], ['new']]) {
    const heading = `\`berth ${[...command, '--help'].join(' ')}\``;
    const r = berth(ROOT, ...command, '--help');
    assert.equal(r.status, 0);
    assert.equal(block(heading), r.stdout, `${heading} in docs/cli.md differs from the CLI's; copy the CLI's output into it`);
  }
});

test('docs/cli.md shows `make help` exactly as it prints', () => {
  assert.equal(block('Make targets'), make('help').stdout, 'the make help block in docs/cli.md differs; copy `make -s help` into it');
});

/** Each target's variables, as its `make help` line names them (`ENV=dev`, `OUT_DIR=dir`, ...). */
function helpVariables(): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of make('help').stdout.split('\n')) {
    const m = /^ {2}make (\S+)\s+(.*)$/.exec(line);
    if (m) out.set(m[1]!, new Set([...m[2]!.matchAll(/\b([A-Z][A-Z_]+)=/g)].map((v) => v[1]!)));
  }
  return out;
}

test('every variable `make help` lists is honoured by its target', () => {
  const checked = new Map<string, Set<string>>();
  const check = (target: string, ...variables: string[]) => {
    for (const v of variables) (checked.get(target) ?? checked.set(target, new Set()).get(target)!).add(v);
  };
  const out = join(scratch, 'out');
  // The user's estate: any environment of it will do.
  const env = readdirSync(join(ROOT, 'templates/environments')).filter((f) => f.endsWith('.json')).sort()[0]!.slice(0, -'.json'.length);

  // build: ENV and OUT_DIR, for real.
  const built = make('build', `ENV=${env}`, `OUT_DIR=${out}`);
  assert.equal(built.status, 0, built.stderr);
  assert.deepEqual(readdirSync(out), [env]);
  check('build', 'ENV', 'OUT_DIR');

  // graph: ENV, OUT_DIR and ARGS, for real.
  assert.equal(make('graph', `ENV=${env}`, `OUT_DIR=${out}`).status, 0);
  assert.ok(existsSync(join(out, env, 'architecture.svg')));
  assert.equal(make('graph', `ENV=${env}`, `OUT_DIR=${out}`, 'ARGS=--detailed').status, 0);
  assert.ok(existsSync(join(out, env, 'architecture-detailed.svg')));
  check('graph', 'ENV', 'OUT_DIR', 'ARGS');

  // diff: ENV, OUT_DIR and ARGS, for real (a folder outside git is read from disk).
  const diff = make('diff', `ENV=${env}`, `OUT_DIR=${out}`, 'ARGS=--working');
  assert.equal(diff.status, 0, diff.stderr);
  assert.match(diff.stdout, new RegExp(`^No differences: a fresh build matches ${out}/ on disk \\(\\d+ templates\\)\\.\\n$`));
  check('diff', 'ENV', 'OUT_DIR', 'ARGS');

  // The rest: the command each target runs.
  assert.match(dryRun('lint', 'ENV=dev', 'OUT_DIR=elsewhere', 'ARGS=--no-cache'), /scripts\/lint\/main\.ts \$dir --no-cache; done/);
  assert.match(dryRun('lint', 'ENV=dev', 'OUT_DIR=elsewhere'), /for dir in elsewhere\/dev; do/);
  assert.match(dryRun('lint', 'OUT_DIR=elsewhere'), /for dir in elsewhere; do/);
  check('lint', 'ENV', 'OUT_DIR', 'ARGS');
  assert.match(dryRun('deploy', 'ENV=dev', 'ARGS=--template network --preview'), /^scripts\/deploy\.sh dev --template network --preview$/m);
  check('deploy', 'ENV', 'ARGS');
  assert.match(dryRun('publish', 'ENV=prod', 'BUCKET=my-templates', 'PRINCIPAL=arn:aws:iam::123456789012:role/Developers', 'ARGS=--preview'), /^scripts\/deploy\.sh prod --template service-catalog --bucket my-templates --param Principal1Arn=arn:aws:iam::123456789012:role\/Developers --preview$/m);
  check('publish', 'ENV', 'BUCKET', 'PRINCIPAL', 'ARGS');
  assert.match(dryRun('new-service', 'NAME=billing', 'KIND=web', 'FARGATE=1'), /dist\/berth\.cjs new service billing --kind web --fargate$/m);
  check('new-service', 'NAME', 'KIND', 'FARGATE');
  assert.match(dryRun('new-environment', 'NAME=staging', 'FROM=dev'), /dist\/berth\.cjs new environment staging --from dev$/m);
  check('new-environment', 'NAME', 'FROM');
  assert.match(dryRun('local', 'ENV=prod', 'LOCAL_PORT=4567', 'ARGS=--detach'), /scripts\/local\.ts --env prod --port 4567 --detach$/m);
  check('local', 'ENV', 'LOCAL_PORT', 'ARGS');
  // Read by the programs themselves from their environment (scripts/bench.ts, stryker.config.mjs):
  // make passes command-line variables to every recipe's environment.
  for (const [target, variable, reader] of [['bench', 'BENCH_RUNS', 'scripts/bench.ts'], ['mutation', 'MUTATION_FILES', 'stryker.config.mjs']] as const) {
    assert.match(readFileSync(join(ROOT, reader), 'utf8'), new RegExp(`process\\.env\\.${variable}\\b`), `${reader} reads ${variable}`);
    const probe = run(ROOT, ['make', '-s', '--eval', `berth-probe: ; @echo "$$${variable}"`, 'berth-probe', `${variable}=x7`]);
    assert.equal(probe.stdout, 'x7\n');
    check(target, variable);
  }

  // Every variable any help line names is among those checked, so a new one needs a check here.
  for (const [target, variables] of helpVariables()) {
    for (const v of variables) assert.ok(checked.get(target)?.has(v), `make ${target} lists ${v}=, which this test does not check`);
  }
});
