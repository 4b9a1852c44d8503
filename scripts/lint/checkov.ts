/**
 * Gate 2: checkov (scripts/lint/checkov-driver.py: checkov's own entry point, with JSONPath's
 * parse tables built once instead of per expression; --framework cloudformation --skip-download),
 * JSON output.
 * Skips are declared per resource in `Metadata: checkov: skip: [{id, comment}]`; a skip without a
 * comment is reported as a failure.
 */
import path from 'node:path';
import { cpus } from 'node:os';
import { attribute, batches, emptyResult, finish, isExecutable, rel, REPO_ROOT, tail, type Finding, type GateResult } from './common.ts';
import { runTool } from './gate-server.ts';

interface CheckovCheck {
  check_id: string;
  check_name: string;
  resource: string;
  file_abs_path?: string;
  file_path?: string;
  file_line_range?: [number, number];
  check_result?: { result: string; suppress_comment?: string };
}
interface CheckovReport {
  check_type?: string;
  results?: {
    passed_checks?: CheckovCheck[];
    failed_checks?: CheckovCheck[];
    skipped_checks?: CheckovCheck[];
    parsing_errors?: string[];
  };
  summary?: { passed: number; failed: number; skipped: number; parsing_errors: number };
  // An empty run prints the bare summary object.
  passed?: number;
  failed?: number;
  skipped?: number;
}

const CHECKOV_NO_COMMENT = 'No comment provided';

function checkovFinding(c: CheckovCheck, message: string): Finding {
  const file = c.file_abs_path ?? c.file_path ?? '?';
  const line = c.file_line_range?.[0];
  return {
    file: rel(path.resolve(REPO_ROOT, file)) + (line ? `:${line}` : ''),
    resource: c.resource.includes('.') ? c.resource.slice(c.resource.indexOf('.') + 1) : c.resource,
    rule: c.check_id,
    message,
  };
}

/** Templates a checkov process gets at least before the set is split across another. */
export const FILES_PER_PROCESS = 128;

export { CHECKOV_DRIVER } from './gate-server.ts';

/**
 * How the gate runs checkov. Never talk to the Prisma Cloud platform, even if a developer has an
 * API key exported. Parse in the process itself (`CHECKOV_PARALLELIZATION_TYPE=none`): by
 * default checkov forks a worker per core to parse the templates and pickles every parsed
 * template back, but the other gates already keep the cores busy, so the forks only add the
 * copying: measured on 2 cores, 1.2 s of 8.0 s of CPU over the example's 32 templates, 3 s of 32 s
 * over 146 of the 250-service estate's, with the same verdicts (test/lint-main.test.ts).
 */
export function checkovEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, LOG_LEVEL: 'WARNING', CHECKOV_PARALLELIZATION_TYPE: 'none' };
  delete env.BC_API_KEY;
  delete env.PRISMA_API_URL;
  return env;
}

export async function runCheckov(files: string[]): Promise<GateResult> {
  const start = performance.now();
  const r = emptyResult('checkov', files);
  // checkov's own entry point, with the JSONPath parser built once per process (the driver says why).
  const bin = path.join(REPO_ROOT, '.venv', 'bin', 'python');
  const summarize = () => `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
  if (files.length === 0) return finish(r, start, summarize());
  if (!(await isExecutable(bin))) {
    r.errors.push(`${rel(bin)} not found or not executable (run: make install)`);
    return finish(r, start, summarize());
  }
  // --skip-download: otherwise checkov contacts the Prisma Cloud API for guidelines
  // (fails offline with a stack trace on stderr).
  // checkov checks each template on its own (its CloudFormation graph is per file), in one thread:
  // past a few hundred templates it alone outlasts the other gates together, so large sets are
  // split across the cores. Not small ones: each process first spends about 3 s of CPU importing
  // checkov, which the other gates need more. Measured on 2 cores: 291 templates in one process,
  // 120 s of a 120 s cold lint; 69 templates, 38 s of 38 s with the cores busy throughout.
  const perProcess = Number(process.env.BERTH_CHECKOV_FILES_PER_PROCESS ?? FILES_PER_PROCESS); // a test splits small sets
  const processes = Math.max(1, Math.min(cpus().length, Math.floor(files.length / perProcess)));
  const runs = await Promise.all(
    batches(files, processes).map((batch) =>
      runTool('checkov', ['--framework', 'cloudformation', '--output', 'json', '--skip-download', '--compact', ...batch.flatMap((f) => ['--file', f])], checkovEnv()),
    ),
  );
  const reports: CheckovReport[] = [];
  for (const res of runs) {
    try {
      reports.push(...[JSON.parse(res.stdout) as CheckovReport | CheckovReport[]].flat());
    } catch {
      r.errors.push(`checkov exited ${res.code} without JSON output: ${tail(res.stderr || res.stdout)}`);
      return finish(r, start, summarize());
    }
    // checkov exits 1 when checks fail; anything else non-zero is a crash.
    if (res.code !== 0 && res.code !== 1) r.errors.push(`checkov exited ${res.code}: ${tail(res.stderr)}`);
  }
  const passedIn = new Map<string, number>();
  for (const rep of reports) {
    const res2 = rep.results;
    if (!res2) continue; // bare summary: nothing scanned
    r.passed += res2.passed_checks?.length ?? 0;
    for (const c of res2.passed_checks ?? []) {
      const file = rel(path.resolve(REPO_ROOT, c.file_abs_path ?? c.file_path ?? '?'));
      passedIn.set(file, (passedIn.get(file) ?? 0) + 1);
    }
    for (const c of res2.failed_checks ?? []) r.failures.push(checkovFinding(c, c.check_name));
    for (const c of res2.skipped_checks ?? []) {
      const comment = c.check_result?.suppress_comment ?? '';
      if (!comment.trim() || comment === CHECKOV_NO_COMMENT) {
        r.failures.push(checkovFinding(c, `skipped in Metadata without a comment (${c.check_name})`));
      } else {
        r.skips.push(checkovFinding(c, comment));
      }
    }
    for (const pe of res2.parsing_errors ?? []) r.errors.push(`checkov could not parse ${rel(pe)}`);
  }
  r.failed = r.failures.length;
  r.skipped = r.skips.length;
  attribute(r, files, (f) => passedIn.get(rel(f)) ?? 0);
  return finish(r, start, summarize());
}

