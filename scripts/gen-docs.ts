/**
 * Writes the sample outputs the documentation shows from real runs, so none can drift.
 *
 * A sample is a block between two markers in README.md or docs/*.md:
 *
 *     <!-- generated: make build ENV=dev -->
 *     ...
 *     <!-- /generated -->
 *
 * The text after `generated:` names a recipe below: the command the reader would type, and what
 * the recipe runs to get its output (the same CLI, from source, on a copy of the repository where
 * the sample needs an edit first). Each recipe is deterministic: no timings, no temporary paths.
 *
 *     node --import tsx scripts/gen-docs.ts           # rewrite every block (make docs)
 *     node --import tsx scripts/gen-docs.ts --check   # exit 1, naming each stale block
 *
 * test/docs.test.ts runs the check.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');

/** The documentation files that may hold generated blocks. */
export function docFiles(root: string = ROOT): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

/** A copy of src/, templates/ and output/ in a temporary folder, node_modules linked; removed after `use`. */
function withCopy<T>(use: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'berth-docs-'));
  try {
    for (const d of ['src', 'templates', 'output']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    return use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `berth <args>` from source in `dir`, colours off; its stdout, or a thrown error with stderr. */
function berth(dir: string, args: readonly string[], expectStatus: number): string {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(dir, 'src/cli/main.ts'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  if (r.status !== expectStatus) throw new Error(`berth ${args.join(' ')}: exit ${r.status}, expected ${expectStatus}:\n${r.stderr}`);
  return r.stdout;
}

function editJson(file: string, edit: (value: any) => void): void {
  const value = JSON.parse(readFileSync(file, 'utf8'));
  edit(value);
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Each recipe returns the block's body: the command as typed, then what it prints. */
export const RECIPES: Readonly<Record<string, () => string>> = {
  // What `make build ENV=dev` prints on the committed tree (the summary table on stdout).
  'make build ENV=dev': () => withCopy((dir) => berth(dir, ['build', '--env', 'dev'], 0)),
  // What `make diff ENV=dev` prints after dev.json moves to one NAT gateway per AZ. The copy is
  // a git repository with output/ committed, as a clone is: the diff may compare with either.
  'make diff ENV=dev': () =>
    withCopy((dir) => {
      for (const args of [['init', '-q'], ['add', 'output'], ['-c', 'user.name=berth docs', '-c', 'user.email=docs@berth.invalid', 'commit', '-q', '-m', 'output']]) {
        // Fixed dates: the commit's ID, which the diff's last line shows, then depends only on output/.
        const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z', GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' } });
        if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
      }
      editJson(join(dir, 'templates/environments/dev.json'), (s) => {
        s.network.natGateways = 'onePerAz';
      });
      return berth(dir, ['diff', '--env', 'dev'], 1);
    }),
};

const BLOCK = /<!-- generated: (.+?) -->\n[\s\S]*?<!-- \/generated -->/g;

export interface Rendered {
  readonly text: string;
  /** Marker names with no recipe. */
  readonly unknown: readonly string[];
}

/** The markdown with every generated block rewritten; `outputs` caches each recipe's text. */
export function render(markdown: string, outputs: Map<string, string> = new Map()): Rendered {
  const unknown: string[] = [];
  const text = markdown.replace(BLOCK, (whole, name: string) => {
    const recipe = RECIPES[name];
    if (!recipe) {
      unknown.push(name);
      return whole;
    }
    if (!outputs.has(name)) outputs.set(name, recipe());
    return `<!-- generated: ${name} -->\n\`\`\`\n$ ${name}\n${outputs.get(name)!.trimEnd()}\n\`\`\`\n<!-- /generated -->`;
  });
  return { text, unknown };
}

function main(): void {
  const check = process.argv.includes('--check');
  const outputs = new Map<string, string>();
  let problems = 0;
  for (const file of docFiles()) {
    const before = readFileSync(join(ROOT, file), 'utf8');
    const { text, unknown } = render(before, outputs);
    for (const name of unknown) {
      console.error(`error: ${file}: <!-- generated: ${name} --> names no recipe. Recipes: ${Object.keys(RECIPES).join(', ')} (scripts/gen-docs.ts).`);
      problems++;
    }
    if (text === before) continue;
    if (check) {
      console.error(`error: ${file}: a generated sample is stale. Run \`make docs\` and commit.`);
      problems++;
    } else {
      writeFileSync(join(ROOT, file), text);
      console.log(`wrote ${file}`);
    }
  }
  process.exitCode = problems ? 1 : 0;
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) main();
