/**
 * What `berth diff` compares a fresh build with by default: the output folder as committed in git
 * (HEAD, or the commit `--against` names), not the files on disk, which `make build` has just
 * overwritten with the fresh build itself. Read with two git processes whatever the number of
 * files: `git ls-tree` lists them, `git cat-file --batch` prints them all.
 * https://git-scm.com/docs/git-ls-tree, https://git-scm.com/docs/git-cat-file#_batch_output
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { TemplateSet } from './diff.ts';
import { parseTemplate } from '../emit/parse.ts';
import { isTemplateFile } from '../emit/output.ts';
import { BerthError, q } from '../dsl/errors.ts';

/** The templates compared with, and the words the output uses for them. */
export interface Baseline {
  readonly templates: TemplateSet;
  /** For example "output/ as committed in HEAD (ad2ff57)" or "output/ on disk". */
  readonly label: string;
}

interface Git {
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

async function git(args: readonly string[], input?: string): Promise<Git> {
  // Loaded here: `berth build` never starts a process, so it does not load child_process.
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('git', args, { input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') return { status: null, stdout: Buffer.alloc(0), stderr: 'git is not installed' };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** The real path of `path`, or of its nearest existing parent joined with the rest. */
function realpathOr(path: string): string {
  if (existsSync(path)) return realpathSync(path);
  const parent = dirname(path);
  return parent === path ? path : join(realpathOr(parent), relative(parent, path));
}

/** Every template of `environments` in `outDir` as the files on disk, keyed `env/file`. */
export function workingTemplates(outDir: string, environments: readonly string[]): TemplateSet {
  const set = new Map<string, unknown>();
  for (const env of environments) {
    let names: string[];
    try {
      names = readdirSync(join(outDir, env));
    } catch {
      continue; // a missing folder: every fresh template shows as added
    }
    for (const name of names.filter(isTemplateFile).sort()) {
      const path = join(outDir, env, name);
      set.set(`${env}/${name}`, parseTemplate(readFileSync(path, 'utf8'), path));
    }
  }
  return set;
}

/**
 * The templates of `environments` in `outDir` at commit `rev`, keyed `env/file`. With no `rev`
 * given (HEAD by default), an output folder git does not track (no repository, or never
 * committed) is read from disk instead, and the label says so.
 */
export async function committedTemplates(outDir: string, environments: readonly string[], rev: string | undefined): Promise<Baseline> {
  const where = `${outDir.replace(/\/+$/, '')}/`;
  const commit = await git(['rev-parse', '--verify', '--quiet', `${rev ?? 'HEAD'}^{commit}`]);
  if (commit.status !== 0) {
    if (rev !== undefined) {
      const reason = commit.status === null ? 'git is not installed' : commit.stderr.includes('not a git repository') ? 'this folder is not in a git repository' : 'no such commit, branch or tag';
      throw new BerthError(`--against ${rev}`, `cannot be read: ${reason}. Name a commit (\`git log\`), or leave --against out for HEAD.`);
    }
    return { templates: workingTemplates(outDir, environments), label: `${where} on disk (not in git)` };
  }
  const sha = commit.stdout.toString('utf8').trim();
  // An output folder outside this repository (`--out /tmp/x`) is not in git: read from disk.
  const top = (await git(['rev-parse', '--show-toplevel'])).stdout.toString('utf8').trim();
  const inside = !relative(realpathSync(top), realpathOr(resolve(outDir))).startsWith('..');
  if (!inside) {
    if (rev !== undefined) throw new BerthError(`--against ${rev}`, `cannot apply: ${where} is outside this git repository (${top}). Leave --against out to compare with the files on disk.`);
    return { templates: workingTemplates(outDir, environments), label: `${where} on disk (outside git)` };
  }
  const label = `${where} as committed in ${rev ?? 'HEAD'} (${sha.slice(0, 7)})`;
  // Paths relative to the working directory, as the user gave --out; --full-name prints them from
  // the repository's top for cat-file.
  const listed = await git(['ls-tree', '-r', '-z', '--full-name', '--name-only', sha, '--', ...environments.map((e) => `${relative('.', join(outDir, e)) || '.'}/`)]);
  if (listed.status !== 0) throw new BerthError(`git ls-tree ${sha.slice(0, 7)}`, `failed: ${listed.stderr.trim().split('\n')[0] ?? ''}. Check the repository (\`git status\`).`);
  const paths = listed.stdout.toString('utf8').split('\0').filter((p) => p !== '');
  if (paths.length === 0 && rev === undefined) {
    const tracked = await git(['ls-tree', '--name-only', sha, '--', relative('.', outDir) || '.']);
    if (tracked.status === 0 && tracked.stdout.length === 0) return { templates: workingTemplates(outDir, environments), label: `${where} on disk (not committed in git)` };
  }
  const wanted: { key: string; path: string }[] = [];
  for (const path of paths) {
    const parts = path.split('/');
    const name = parts.at(-1)!;
    const env = parts.at(-2)!;
    // Only the files directly in <out>/<env>/, as a build writes them.
    if (environments.includes(env) && isTemplateFile(name)) wanted.push({ key: `${env}/${name}`, path });
  }
  const set = new Map<string, unknown>();
  if (wanted.length === 0) return { templates: set, label };
  const batch = await git(['cat-file', '--batch'], wanted.map((w) => `${sha}:${w.path}\n`).join(''));
  if (batch.status !== 0) throw new BerthError(`git cat-file ${sha.slice(0, 7)}`, `failed: ${batch.stderr.trim().split('\n')[0] ?? ''}. Check the repository (\`git status\`).`);
  // Each object: "<oid> blob <size>\n<content>\n", in the order asked.
  let at = 0;
  const out = batch.stdout;
  const byKey = new Map<string, unknown>();
  for (const w of wanted) {
    const eol = out.indexOf(0x0a, at);
    const header = out.subarray(at, eol).toString('utf8');
    const size = Number(/^\S+ blob (\d+)$/.exec(header)?.[1]);
    if (!Number.isInteger(size)) throw new BerthError(`${sha.slice(0, 7)}:${w.path}`, `is not a file git can read (${q(header)}). Check the repository (\`git status\`).`);
    const text = out.subarray(eol + 1, eol + 1 + size).toString('utf8');
    at = eol + 1 + size + 1;
    byKey.set(w.key, parseTemplate(text, `${w.path} (${rev ?? 'HEAD'})`));
  }
  // In file-name order per environment, as on disk.
  for (const env of environments) for (const key of [...byKey.keys()].filter((k) => k.startsWith(`${env}/`)).sort()) set.set(key, byKey.get(key));
  return { templates: set, label };
}
