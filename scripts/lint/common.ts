/**
 * What the lint gates share: the result shape every gate returns, running a tool, and reading
 * the templates a gate is given. One gate per module: cfn-lint.ts, checkov.ts, control-tower.ts,
 * policy.ts, cfripper.ts; main.ts runs them side by side and remembers their results (cache.ts).
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants, statSync } from 'node:fs';
import { access, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseTemplate } from '../../src/emit/parse.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export type GateName = 'cfn-lint' | 'checkov' | 'control-tower' | 'policy' | 'cfripper';

export interface Finding {
  file: string;
  /** Logical ID (or e.g. `Parameters/Foo` for non-resource findings). */
  resource: string;
  rule: string;
  message: string;
  /** policy: path of the offending property inside the resource. */
  property?: string;
}

export interface GateResult {
  gate: GateName;
  ok: boolean;
  /** Summary text after the `[pass] gate: ` prefix. */
  summary: string;
  files: number;
  /** cfn-lint: files without findings; checkov: passed checks; control-tower: passed (rule, resource) pairs; policy: passed (rule, subject) evaluations. */
  passed: number;
  /** cfn-lint: findings; checkov: failed checks; control-tower: failed (rule, resource) pairs; policy: findings. */
  failed: number;
  /** checkov, cfripper: Metadata skips; control-tower: allow-listed failures; policy: allowed ECS Exec; cfn-lint: 0. */
  skipped: number;
  failures: Finding[];
  skips: Finding[];
  /** Tool crashes, unparseable output, invalid allow-list, ... Any error fails the gate. */
  errors: string[];
  /** Non-fatal remarks (e.g. unused allow-list entries). */
  notes: string[];
  durationMs: number;
  /**
   * What each template contributed (by its path relative to the repository): the unit the lint
   * cache remembers, so an unchanged template is not linted again (cache.ts).
   */
  byFile: Record<string, FileResult>;
}

/** One template's part of a gate's result. */
export interface FileResult {
  passed: number;
  failures: Finding[];
  skips: Finding[];
  /** control-tower: the allow-list entries (as JSON) that excused something in this template. */
  allowUsed?: string[];
}

/** The template a finding names (`file` may end in `:line`). */
export function findingFile(f: Finding): string {
  return f.file.replace(/:\d+$/, '');
}

/** Fills `r.byFile` for `files` from the gate's totals: findings and skips by their file, `passed(file)` each. */
export function attribute(r: GateResult, files: readonly string[], passed: (file: string) => number): void {
  for (const f of files) r.byFile[rel(f)] = { passed: passed(f), failures: [], skips: [] };
  for (const x of r.failures) r.byFile[findingFile(x)]?.failures.push(x);
  for (const x of r.skips) r.byFile[findingFile(x)]?.skips.push(x);
}


export interface RunOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  spawnError?: Error;
}

export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunOutput> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolve({ code: null, stdout: '', stderr: String(e), spawnError: e }));
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

export async function isExecutable(p: string): Promise<boolean> {
  try {
    await access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function tail(s: string, n = 1500): string {
  const t = s.trim();
  return t.length > n ? '...' + t.slice(-n) : t;
}

export function rel(file: string): string {
  const r = path.relative(REPO_ROOT, file);
  return r.startsWith('..') ? file : r;
}

export function emptyResult(gate: GateName, files: string[]): GateResult {
  return {
    gate, ok: true, summary: '', files: files.length, passed: 0, failed: 0, skipped: 0,
    failures: [], skips: [], errors: [], notes: [], durationMs: 0, byFile: {},
  };
}

export function finish(r: GateResult, start: number, summary: string): GateResult {
  r.durationMs = Math.round(performance.now() - start);
  r.ok = r.failed === 0 && r.errors.length === 0;
  r.summary = r.errors.length ? `${summary} (${r.errors.length} error${r.errors.length > 1 ? 's' : ''})` : summary;
  return r;
}

/** All *.yaml / *.yml files under dir (recursive, sorted, absolute paths). */
export async function findTemplates(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(path.resolve(p));
    }
  }
  await walk(dir);
  return out.sort();
}

/** logical ID -> resource Type for one template. */
export async function resourceTypes(file: string): Promise<Map<string, string>> {
  const doc = parseTemplate(await readFile(file, 'utf8'), rel(file)) as { Resources?: Record<string, { Type?: unknown }> };
  const m = new Map<string, string>();
  for (const [id, r] of Object.entries(doc?.Resources ?? {})) {
    if (r && typeof r.Type === 'string') m.set(id, r.Type);
  }
  return m;
}

/**
 * `files` cut into `n` batches of about equal bytes, for processes of one tool side by side (cfn-lint,
 * checkov): one process is single-threaded, and a batch of hundreds of templates is minutes of one core.
 */
export function batches(files: readonly string[], n: number): string[][] {
  const out: { files: string[]; bytes: number }[] = Array.from({ length: Math.max(1, Math.min(n, files.length)) }, () => ({ files: [], bytes: 0 }));
  const sized = files.map((f) => ({ f, bytes: statSync(f).size })).sort((a, b) => b.bytes - a.bytes || a.f.localeCompare(b.f));
  for (const { f, bytes } of sized) {
    const lightest = out.reduce((a, b) => (b.bytes < a.bytes ? b : a));
    lightest.files.push(f);
    lightest.bytes += bytes;
  }
  return out.map((b) => b.files.sort()).filter((b) => b.length > 0);
}
