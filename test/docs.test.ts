/**
 * The README and the guides in docs/ say only what is true: README.md stays a front page, every
 * relative link resolves (to a file, and to a heading where it names one), every `make`,
 * `scripts/deploy.sh` and `berth` command shown uses targets, variables, options, environments,
 * templates and parameters that exist, every generated sample is what its command prints today
 * (scripts/gen-docs.ts), and the table of suppressions lists exactly the suppressions there are.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './_helpers.ts';
import { docFiles, render, RECIPES } from '../scripts/gen-docs.ts';
import { parseTemplate } from '../src/emit/parse.ts';

const FILES = docFiles(ROOT);
const TEXT = new Map(FILES.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));

/** The markdown without its fenced blocks (links and prose only), line count kept. */
const prose = (markdown: string): string => markdown.replace(/^```[^\n]*\n[\s\S]*?^```$/gm, (block) => block.replace(/[^\n]/g, ''));

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string): string =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const m of prose(markdown).matchAll(/^#{1,6} (.+)$/gm)) {
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

test('README.md is a front page: under 12 KB, and it links every guide', () => {
  const readme = TEXT.get('README.md')!;
  const size = Buffer.byteLength(readme);
  assert.ok(size < 12 * 1024, `README.md is ${size} bytes; keep it under 12 KB and move the detail into docs/`);
  const guides = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
  for (const g of guides) assert.ok(readme.includes(`](docs/${g}`), `README.md links docs/${g} in its Guides list`);
});

test('no page assumes the reader knows "the article" or "the design card"', () => {
  for (const [f, text] of TEXT) {
    for (const phrase of [/\bthe article\b/i, /\bdesign card\b/i]) assert.doesNotMatch(text, phrase, `${f}: say what is meant instead of ${phrase}`);
  }
});


test('every relative link in README.md and docs/*.md resolves, to a heading where it names one', () => {
  let links = 0;
  const broken: string[] = [];
  for (const [f, text] of TEXT) {
    for (const m of prose(text).matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      links++;
      const [path, anchor] = target.split('#') as [string, string | undefined];
      const file = path ? normalize(join(dirname(f), path)) : f;
      if (!existsSync(join(ROOT, file))) {
        broken.push(`${f}: ${target}: no file ${file}`);
        continue;
      }
      if (anchor !== undefined) {
        if (!file.endsWith('.md') || statSync(join(ROOT, file)).isDirectory()) broken.push(`${f}: ${target}: an anchor into a file that is not markdown`);
        else if (!anchors(readFileSync(join(ROOT, file), 'utf8')).has(anchor)) broken.push(`${f}: ${target}: ${file} has no heading #${anchor}`);
      }
    }
  }
  assert.deepEqual(broken, []);
  assert.ok(links > 40, `${links} links`);
});

// ---- Commands -------------------------------------------------------------------------------

const ENVIRONMENTS = readdirSync(join(ROOT, 'templates/environments')).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
const MAKEFILE = readFileSync(join(ROOT, 'Makefile'), 'utf8');
const TARGETS = new Set([...MAKEFILE.matchAll(/^([a-z][a-z-]*):/gm)].map((m) => m[1]!));
/**
 * The variables a command line may set: those the Makefile reads (`$(X)`), and those `make help`
 * names (`X=...` in a target's `##` line: make exports command-line variables to its recipes,
 * so a script reads them, as scripts/bench.ts reads BENCH_RUNS).
 */
const MAKE_VARIABLES = new Set([
  ...[...MAKEFILE.matchAll(/\$\(([A-Z_]+)\)/g)].map((m) => m[1]!),
  ...[...MAKEFILE.matchAll(/^[a-z-]+:.*## (.*)$/gm)].flatMap((line) => [...line[1]!.matchAll(/\b([A-Z_]+)=/g)].map((m) => m[1]!)),
]);
const help = (argv: string[]): string => {
  const r = spawnSync(argv[0]!, argv.slice(1), { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const flagsOf = (text: string): Set<string> => new Set(text.match(/--[a-z][a-z-]*/g) ?? []);
const DEPLOY_FLAGS = flagsOf(help(['bash', join(ROOT, 'scripts/deploy.sh'), '--help']));
const BERTH = [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
const BERTH_COMMANDS = [...help([...BERTH, '--help']).matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]!);
const BERTH_FLAGS = new Map(BERTH_COMMANDS.map((c) => [c, flagsOf(help([...BERTH, c, '--help']))]));

/** A placeholder the reader fills in (`<env>`, `E`, `DIR`, `...`), not a value to check. */
const placeholder = (word: string): boolean => /[<>[\].]|^[A-Z_]+$/.test(word);

/** Shell words: quotes removed (also inside a word, as in `ARGS="--a b"`), a trailing comment dropped. */
function words(line: string): string[] {
  const out: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const c of line) {
    if (quote) {
      if (c === quote) quote = undefined;
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      word ??= '';
    } else if (/\s/.test(c)) {
      if (word !== undefined) out.push(word);
      word = undefined;
    } else if (c === '#' && word === undefined) break;
    else word = (word ?? '') + c;
  }
  if (word !== undefined) out.push(word);
  return out;
}

/** Every command shown: lines of ```sh blocks, `$ `-prompted lines of other blocks, and inline code. */
function commands(markdown: string): string[] {
  const found: string[] = [];
  for (const block of markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const lines = block[2]!.replace(/\\\n\s*/g, ' ').split('\n');
    for (const line of lines) {
      if (block[1] === 'sh') found.push(line.replace(/^\$ /, ''));
      else if (line.startsWith('$ ')) found.push(line.slice(2));
    }
  }
  for (const m of prose(markdown).matchAll(/`([^`\n]+)`/g)) found.push(m[1]!);
  // A leading `NAME=value` sets the environment of the command that follows.
  return found.map((c) => c.trim().replace(/^(?:[A-Z_]+=\S* )+/, '')).filter((c) => /^(make [a-z]|scripts\/deploy\.sh|node dist\/berth\.cjs |node --import tsx src\/cli\/main\.ts |berth [a-z-]|npx berth)/.test(c));
}

/** What is wrong with a `scripts/deploy.sh` argument list, if anything. */
function checkDeploy(args: readonly string[], defaultTemplate = 'root'): string[] {
  const problems: string[] = [];
  const env = args[0];
  if (env === undefined || env === '--help') return problems;
  if (!placeholder(env) && !ENVIRONMENTS.includes(env)) problems.push(`no environment ${env} (templates/environments/)`);
  let template = defaultTemplate;
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) continue;
    if (!DEPLOY_FLAGS.has(a)) problems.push(`scripts/deploy.sh has no option ${a}`);
    if (a === '--template' && args[i + 1] && !placeholder(args[i + 1]!)) template = args[i + 1]!;
  }
  const envs = placeholder(env) ? ENVIRONMENTS : [env];
  if (template !== 'root' && !placeholder(template) && !envs.some((e) => existsSync(join(ROOT, 'output', e, `${template}.yaml`)))) problems.push(`no template ${template}.yaml in output/${env}/`);
  for (let i = 1; i < args.length; i++) {
    if (args[i] !== '--param' || !args[i + 1]) continue;
    const [key, value] = args[i + 1]!.split(/=(.*)/s) as [string, string];
    if (placeholder(key) || placeholder(template)) continue;
    // The parameter in the templates of the environments the command may mean.
    const declared = envs.flatMap((e) => {
      const file = join(ROOT, 'output', e, `${template}.yaml`);
      const p = existsSync(file) ? ((parseTemplate(readFileSync(file, 'utf8'), file).Parameters ?? {}) as Record<string, Record<string, unknown>>)[key] : undefined;
      return p ? [p] : [];
    });
    if (!declared.length) problems.push(`${template}.yaml has no parameter ${key}`);
    // A value the reader need not fill in must satisfy the parameter's own constraints.
    else if (!/[<>$]/.test(value) && !declared.some((p) => (p.AllowedPattern === undefined || new RegExp(String(p.AllowedPattern)).test(value)) && (!Array.isArray(p.AllowedValues) || p.AllowedValues.includes(value)) && (p.MinValue === undefined || Number(value) >= Number(p.MinValue)) && (p.MaxValue === undefined || Number(value) <= Number(p.MaxValue)))) {
      problems.push(`${key}=${value} breaks ${template}.yaml's constraints on ${key}`);
    }
  }
  return problems;
}

function checkBerth(args: readonly string[]): string[] {
  const [command, ...rest] = args;
  if (command === undefined || command.startsWith('-') || placeholder(command)) return [];
  const flags = BERTH_FLAGS.get(command);
  if (!flags) return [`berth has no command ${command} (berth --help: ${BERTH_COMMANDS.join(', ')})`];
  const problems: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (!a.startsWith('--')) continue;
    if (!flags.has(a)) problems.push(`berth ${command} has no option ${a}`);
    const value = rest[i + 1];
    if (a === '--env' && value && !placeholder(value) && !ENVIRONMENTS.includes(value)) problems.push(`no environment ${value}`);
  }
  return problems;
}

function checkMake(args: readonly string[]): string[] {
  const [target, ...rest] = args;
  if (!TARGETS.has(target!)) return [`the Makefile has no target ${target}`];
  const problems: string[] = [];
  const vars = new Map<string, string>();
  for (const a of rest) {
    const m = /^([A-Z_]+)=(.*)$/.exec(a);
    if (!m) continue;
    vars.set(m[1]!, m[2]!);
    if (!MAKE_VARIABLES.has(m[1]!)) problems.push(`the Makefile reads no variable ${m[1]}`);
  }
  const env = vars.get('ENV');
  if (env !== undefined && !placeholder(env) && !ENVIRONMENTS.includes(env)) problems.push(`no environment ${env}`);
  const extra = words(vars.get('ARGS') ?? '');
  if (target === 'deploy') problems.push(...checkDeploy([env ?? '<env>', ...extra]));
  if (target === 'publish') problems.push(...checkDeploy([env ?? '<env>', '--template', 'service-catalog', ...extra], 'service-catalog'));
  if (['build', 'diff', 'graph'].includes(target!)) problems.push(...checkBerth([target!, ...extra]));
  return problems;
}

function check(command: string): string[] {
  const w = words(command);
  if (w[0] === 'make') return checkMake(w.slice(1));
  if (w[0] === 'scripts/deploy.sh') return checkDeploy(w.slice(1));
  if (w[0] === 'npx') return ['package.json has no `bin`, so `npx berth` runs nothing: write `node dist/berth.cjs`'];
  if (w[0] === 'berth') return checkBerth(w.slice(1));
  if (w[1] === 'dist/berth.cjs') return checkBerth(w.slice(2));
  return checkBerth(w.slice(4));
}

test('every make, scripts/deploy.sh and berth command shown uses targets, variables, options, environments, templates and parameters that exist', () => {
  const problems: string[] = [];
  let n = 0;
  for (const [f, text] of TEXT) {
    for (const command of commands(text)) {
      n++;
      for (const p of check(command)) problems.push(`${f}: \`${command}\`: ${p}`);
    }
  }
  assert.deepEqual(problems, []);
  assert.ok(n > 60, `${n} commands checked`);
});

test('the command check catches what the docs once got wrong', () => {
  assert.deepEqual(check('scripts/deploy.sh prod --template service-web --param DesiredCount=4'), ['service-web.yaml has no parameter DesiredCount']);
  assert.deepEqual(check('make graph OUT_DIRS=x'), ['the Makefile reads no variable OUT_DIRS']);
  assert.deepEqual(check('make deploy ENV=qa ARGS="--templates network"'), ['no environment qa', 'no environment qa (templates/environments/)', 'scripts/deploy.sh has no option --templates']);
  assert.deepEqual(check('node dist/berth.cjs diff --env dev --stack berth-dev'), ['berth diff has no option --stack']);
  assert.deepEqual(check('make publish ENV=prod ARGS="--param Principal9Arn=x"'), ['service-catalog.yaml has no parameter Principal9Arn']);
  assert.deepEqual(check('scripts/deploy.sh <env> --template service-web --param MaxCount=12 --preview'), []);
  assert.deepEqual(check('scripts/deploy.sh prod --template service-web --param ImageUri=nginx:latest'), ["ImageUri=nginx:latest breaks service-web.yaml's constraints on ImageUri"]);
  assert.deepEqual(check('scripts/deploy.sh dev --template cluster --param MaxSize=0'), ["MaxSize=0 breaks cluster.yaml's constraints on MaxSize"]);
});

// ---- Sample outputs ---------------------------------------------------------------------------

test('every generated sample is what its command prints today (make docs rewrites them)', () => {
  const outputs = new Map<string, string>();
  const used = new Set<string>();
  for (const [f, text] of TEXT) {
    const { text: fresh, unknown } = render(text, outputs);
    assert.deepEqual(unknown, [], `${f}: markers naming no recipe of scripts/gen-docs.ts`);
    for (const m of text.matchAll(/<!-- generated: (.+?) -->/g)) used.add(m[1]!);
    assert.equal(text, fresh, `${f}: a generated sample is stale. Run \`make docs\` and commit.`);
  }
  assert.deepEqual([...used].sort(), Object.keys(RECIPES).sort(), 'every recipe is shown somewhere');
});

// ---- Suppressions -----------------------------------------------------------------------------

test('docs/lint-gates.md lists every suppression there is (template Metadata and the Control Tower allow-list), and no other', () => {
  const doc = TEXT.get('docs/lint-gates.md')!;
  const table = doc.slice(doc.indexOf('## Every suppression, and why'));
  const rows = [...table.matchAll(/^\| (cfn-lint|checkov|Control Tower|cfripper) \| (.+?) \| (.+?) \| .+ \|$/gm)].map((m) => ({ gate: m[1]!, where: m[2]!, rules: m[3]!.split(/,\s*/) }));
  const real: { gate: string; rule: string; resource: string }[] = [];
  for (const env of ENVIRONMENTS) {
    for (const file of readdirSync(join(ROOT, 'output', env)).filter((n) => n.endsWith('.yaml'))) {
      const path = join(ROOT, 'output', env, file);
      const resources = (parseTemplate(readFileSync(path, 'utf8'), path).Resources ?? {}) as Record<string, { Metadata?: any }>;
      for (const [id, r] of Object.entries(resources)) {
        for (const rule of r.Metadata?.['cfn-lint']?.config?.ignore_checks ?? []) real.push({ gate: 'cfn-lint', rule, resource: id });
        for (const skip of r.Metadata?.checkov?.skip ?? []) real.push({ gate: 'checkov', rule: skip.id, resource: id });
        for (const skip of r.Metadata?.cfripper?.skip ?? []) real.push({ gate: 'cfripper', rule: skip.id, resource: id });
        for (const rule of r.Metadata?.guard?.SuppressedRules ?? []) real.push({ gate: 'Control Tower', rule, resource: id });
      }
    }
  }
  for (const e of JSON.parse(readFileSync(join(ROOT, 'scripts/lint/guard-allowlist.json'), 'utf8')) as { rule: string; resource: string }[]) real.push({ gate: 'Control Tower', rule: e.rule, resource: e.resource });
  const missing = real.filter((s) => !rows.some((r) => r.gate === s.gate && r.rules.includes(s.rule) && r.where.includes(`\`${s.resource}\``)));
  assert.deepEqual([...new Set(missing.map((s) => `${s.gate} ${s.rule} on \`${s.resource}\``))], [], 'suppressions docs/lint-gates.md does not list');
  const stale = rows.flatMap((r) => r.rules.filter((rule) => !real.some((s) => s.gate === r.gate && s.rule === rule)).map((rule) => `${r.gate} ${rule}`));
  assert.deepEqual(stale, [], 'rows for suppressions that no longer exist');
  assert.ok(rows.length >= 10);
});

test('the settings change docs/environments.md shows is dev.json with the one edit the diff sample makes', () => {
  const block = /```json\n("network": [^\n]+)\n```/.exec(TEXT.get('docs/environments.md')!);
  assert.ok(block, 'docs/environments.md shows the network change');
  const dev = JSON.parse(readFileSync(join(ROOT, 'templates/environments/dev.json'), 'utf8'));
  assert.deepEqual(JSON.parse(`{${block[1]}}`).network, { ...dev.network, natGateways: 'onePerAz' });
  assert.notEqual(dev.network.natGateways, 'onePerAz', 'the example is a change');
});
