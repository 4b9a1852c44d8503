/**
 * The table `berth build` prints: one row per template with its headroom to each CloudFormation
 * limit, a warning mark from 80 % of a limit, so a template is split before AWS refuses it.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 */
import { visibleLength, type Palette } from './_terminal.ts';
import type { EmittedFile } from '../emit/output.ts';
import { LIMITS } from '../dsl/limits.ts';

/** The share of a limit from which the summary warns. */
export const WARN_AT = 0.8;

export interface SummaryTable {
  readonly text: string;
  /** `env/file: what` for every cell at or over {@link WARN_AT} of its limit. */
  readonly warnings: readonly string[];
}

export function summary(files: readonly EmittedFile[], paint: Palette): SummaryTable {
  const warnings: string[] = [];
  const rows = files.map((f) => {
    const name = `${f.environment}/${f.file}`;
    const cell = (what: string, n: number, max: number) => {
      const text = `${n} (${Math.floor((100 * n) / max)}%)`;
      if (n < WARN_AT * max) return text;
      warnings.push(`${name}: ${n} ${what} of ${max}`);
      return paint.yellow(`${text}!`);
    };
    return [
      name,
      cell('resources', f.resources, LIMITS.resources),
      cell('parameters', f.parameters, LIMITS.parameters),
      cell('outputs', f.outputs, LIMITS.outputs),
      cell('bytes', Buffer.byteLength(f.text), LIMITS.bodyBytes),
    ];
  });
  const head = ['template', `resources /${LIMITS.resources}`, `parameters /${LIMITS.parameters}`, `outputs /${LIMITS.outputs}`, `bytes /${LIMITS.bodyBytes}`];
  const width = (i: number) => Math.max(...[head, ...rows].map((r) => visibleLength(r[i]!)));
  const line = (r: readonly string[]) => r.map((c, i) => c + ' '.repeat(width(i) - visibleLength(c))).join('  ').trimEnd();
  return { text: [paint.bold(line(head)), ...rows.map(line)].join('\n'), warnings };
}
