/**
 * Remembering lint results: the same inputs give the same findings, so an unchanged tree (the
 * usual case between edits, and before every deploy) is answered from the last run's results.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rel, REPO_ROOT, type GateResult } from './common.ts';
import { DEFAULT_ALLOWLIST } from './control-tower.ts';

/**
 * What a lint result depends on: the templates (names and bytes), the allow-list, the
 * environment files and settings code (the policy gate reads them), the gates' code with the
 * template reader, and the pinned tool versions.
 * Anything else changing the result would be a bug in a tool, not a reason to re-run.
 */
export async function cacheKey(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  const inputs = [
    ...files,
    DEFAULT_ALLOWLIST,
    // The gates' code and what it reads templates and settings with: all of scripts/ and src/.
    ...(await codeFiles(path.join(REPO_ROOT, 'scripts'))),
    ...(await codeFiles(path.join(REPO_ROOT, 'src'))),
    ...(await codeFiles(path.join(REPO_ROOT, 'templates', 'settings'))),
    path.join(REPO_ROOT, 'requirements.txt'),
    path.join(REPO_ROOT, 'package-lock.json'),
    ...(await readdir(path.join(REPO_ROOT, 'templates', 'environments'))).sort().map((f) => path.join(REPO_ROOT, 'templates', 'environments', f)),
  ];
  for (const f of inputs) hash.update(`${rel(f)}\0`).update(await readFile(f).catch(() => Buffer.from('(missing)'))).update('\0');
  return hash.digest('hex');
}

/** Every .ts file under `dir`, sorted. */
async function codeFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((f) => f.endsWith('.ts')).sort().map((f) => path.join(dir, f));
}

/** Where results are remembered; BERTH_LINT_CACHE_DIR moves it (tests). */
const cacheDir = () => process.env.BERTH_LINT_CACHE_DIR ?? path.join(REPO_ROOT, '.stamps', 'lint');

/** The results remembered for these inputs, if any. */
export async function recall(key: string): Promise<GateResult[] | undefined> {
  try {
    return JSON.parse(await readFile(path.join(cacheDir(), `${key}.json`), 'utf8')) as GateResult[];
  } catch {
    return undefined; // not linted before
  }
}

/** Remembers clean tool runs only: a crash (an error) may not happen next time. */
export async function remember(key: string, results: readonly GateResult[]): Promise<void> {
  if (!results.every((r) => r.errors.length === 0)) return;
  await mkdir(cacheDir(), { recursive: true });
  await writeFile(path.join(cacheDir(), `${key}.json`), JSON.stringify(results));
}
