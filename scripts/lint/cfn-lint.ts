/**
 * Gate 1: cfn-lint (.venv/bin/cfn-lint, pinned in requirements.txt), informational rules
 * included (-c I). Each template is checked for the Region it deploys to: the `region` of its
 * environment's settings (the folder output/<env>/ names the environment), so a resource type or
 * property a Region lacks is caught there (E3006 and friends). Templates outside an environment
 * folder are checked for FALLBACK_REGIONS. One cfn-lint call per set of Regions, side by side.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { cpus } from 'node:os';
import { attribute, batches, emptyResult, finish, isExecutable, rel, REPO_ROOT, tail, type GateResult } from './common.ts';
import { runTool } from './gate-server.ts';

/** Templates a cfn-lint process gets at least before a set is split across another. */
export const FILES_PER_PROCESS = 8;

/** Regions for templates that belong to no environment (fixtures, a folder given by hand). */
export const FALLBACK_REGIONS = ['us-east-1', 'eu-west-1'];

/**
 * Where environment files are looked up by the folder name of the templates: the repository's
 * templates/environments/, or BERTH_ENVIRONMENTS_DIR (an estate elsewhere, the tests' fixtures).
 */
export function environmentsDir(): string {
  return process.env.BERTH_ENVIRONMENTS_DIR ? path.resolve(process.env.BERTH_ENVIRONMENTS_DIR) : path.join(REPO_ROOT, 'templates', 'environments');
}

/**
 * The Regions a template is checked for: its environment's `region` and every Region of its
 * `targets` (the stack set's Regions), so a resource type or property one of them lacks fails
 * here, not in a rollout; else the fallback.
 */
export function regionsOf(file: string, envDir = environmentsDir()): string[] {
  const env = path.basename(path.dirname(file));
  try {
    const settings = JSON.parse(readFileSync(path.join(envDir, `${env}.json`), 'utf8')) as { region?: unknown; targets?: { regions?: unknown } };
    if (typeof settings.region === 'string' && settings.region) {
      const targets = Array.isArray(settings.targets?.regions) ? settings.targets.regions.filter((x): x is string => typeof x === 'string') : [];
      return [...new Set([settings.region, ...targets])].sort();
    }
  } catch {
    // not an environment folder
  }
  return FALLBACK_REGIONS;
}

interface CfnLintMatch {
  Rule: { Id: string };
  Level: string;
  Filename: string;
  Message: string;
  Location: { Path?: (string | number)[]; Start?: { LineNumber?: number } };
}

export async function runCfnLint(files: string[]): Promise<GateResult> {
  const start = performance.now();
  const r = emptyResult('cfn-lint', files);
  const bin = path.join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');
  const summarize = () => `${files.length} files, ${r.failed} findings`;
  if (files.length === 0) return finish(r, start, summarize());
  if (!(await isExecutable(bin))) {
    r.errors.push(`${rel(bin)} not found or not executable (run: make / .venv/bin/pip install -r requirements.txt)`);
    return finish(r, start, summarize());
  }
  // One call per set of Regions, each cut into up to one batch per core (a file is linted alone: a
  // root reads its nested templates' parameters itself), each batch FILES_PER_PROCESS templates
  // at least: a process first spends about 0.8 s of CPU starting, which a small set does not
  // win back (two tiny templates: 1.0 s of CPU in one process, 1.8 s in two, 0.1 s sooner).
  // `--` is required: --regions and -c take a variable number of values.
  const groups = new Map<string, string[]>();
  for (const f of files) {
    const key = regionsOf(f).join(' ');
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const cores = Math.max(1, cpus().length);
  const runs = await Promise.all(
    [...groups].flatMap(([regions, group]) =>
      batches(group, Math.max(1, Math.min(cores, Math.floor(group.length / FILES_PER_PROCESS)))).map((batch) => runTool('cfn-lint', ['--format', 'json', '-c', 'I', '--regions', ...regions.split(' '), '--', ...batch])),
    ),
  );
  const matches: CfnLintMatch[] = [];
  for (const res of runs) {
    try {
      const parsed = JSON.parse(res.stdout) as CfnLintMatch[];
      if (!Array.isArray(parsed)) throw new Error('not an array');
      matches.push(...parsed);
    } catch {
      r.errors.push(`cfn-lint exited ${res.code} without JSON output: ${tail(res.stderr || res.stdout)}`);
      return finish(r, start, summarize());
    }
    // Exit code is a bitmask of 2 (error), 4 (warning), 8 (informational); anything else is a crash.
    if (res.code === null || (res.code & ~0b1110) !== 0) {
      r.errors.push(`cfn-lint exited ${res.code}: ${tail(res.stderr)}`);
    }
  }
  const filesWithFindings = new Set<string>();
  for (const m of matches) {
    const p = m.Location?.Path ?? [];
    const resource = p[0] === 'Resources' && p.length > 1 ? String(p[1]) : p.slice(0, 2).join('/') || '-';
    const line = m.Location?.Start?.LineNumber;
    const file = path.resolve(REPO_ROOT, m.Filename);
    filesWithFindings.add(file);
    r.failures.push({
      file: rel(file) + (line ? `:${line}` : ''),
      resource,
      rule: m.Rule.Id,
      message: `[${m.Level}] ${m.Message}`,
    });
  }
  r.failed = r.failures.length;
  r.passed = files.filter((f) => !filesWithFindings.has(f)).length;
  attribute(r, files, (f) => (filesWithFindings.has(f) ? 0 : 1));
  return finish(r, start, summarize());
}

