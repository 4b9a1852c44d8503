/**
 * Gate 1: cfn-lint (.venv/bin/cfn-lint, pinned in requirements.txt), informational rules
 * included (-c I), one batched call, explicit Regions.
 */
import path from 'node:path';
import { emptyResult, finish, isExecutable, rel, REPO_ROOT, run, tail, type GateResult } from './common.ts';

export const CFN_LINT_REGIONS = ['us-east-1', 'eu-west-1'];

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
  // `--` is required: --regions and -c take a variable number of values.
  const res = await run(bin, [
    '--format', 'json', '-c', 'I', '--regions', ...CFN_LINT_REGIONS, '--', ...files,
  ]);
  let matches: CfnLintMatch[];
  try {
    matches = JSON.parse(res.stdout) as CfnLintMatch[];
    if (!Array.isArray(matches)) throw new Error('not an array');
  } catch {
    r.errors.push(`cfn-lint exited ${res.code} without JSON output: ${tail(res.stderr || res.stdout)}`);
    return finish(r, start, summarize());
  }
  // Exit code is a bitmask of 2 (error), 4 (warning), 8 (informational); anything else is a crash.
  if (res.code === null || (res.code & ~0b1110) !== 0) {
    r.errors.push(`cfn-lint exited ${res.code}: ${tail(res.stderr)}`);
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
  return finish(r, start, summarize());
}

