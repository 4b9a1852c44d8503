/**
 * The mutation score of each file StrykerJS mutated (`make mutation`), from its JSON report, and
 * whether each meets the target: killed and timed-out mutants over all that tests could detect
 * (survived and uncovered ones count against; compile errors and ignored ones are not counted).
 * https://stryker-mutator.io/docs/mutation-testing-elements/mutant-states-and-metrics/
 *
 *   node --import tsx scripts/mutation-score.ts [--report reports/mutation/mutation.json] [--min 85]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Report {
  readonly files: Record<string, { readonly mutants: readonly { readonly status: string; readonly mutatorName: string; readonly location: { start: { line: number } } }[] }>;
}

export function scores(report: Report): { file: string; detected: number; total: number; score: number }[] {
  return Object.entries(report.files)
    .map(([file, { mutants }]) => {
      const detected = mutants.filter((m) => m.status === 'Killed' || m.status === 'Timeout').length;
      const total = detected + mutants.filter((m) => m.status === 'Survived' || m.status === 'NoCoverage').length;
      return { file, detected, total, score: total === 0 ? 100 : (100 * detected) / total };
    })
    .sort((a, b) => (a.file < b.file ? -1 : 1));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { report: { type: 'string', default: 'reports/mutation/mutation.json' }, min: { type: 'string', default: '85' } } });
  const min = Number(values.min);
  const rows = scores(JSON.parse(readFileSync(values.report!, 'utf8')) as Report);
  let failed = 0;
  for (const r of rows) {
    const ok = r.score >= min;
    if (!ok) failed++;
    console.log(`[${ok ? 'pass' : 'fail'}] ${r.file}: ${r.score.toFixed(1)} % (${r.detected} of ${r.total} mutants detected)`);
  }
  console.log(`${rows.length - failed} of ${rows.length} files at or above ${min} %.`);
  process.exitCode = failed ? 1 : 0;
}
