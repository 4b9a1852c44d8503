/**
 * The table `berth build` prints: one row per template with its headroom to each CloudFormation
 * limit, a warning mark from 80 % of a limit, so a template is split before AWS refuses it.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 *
 * - resources, parameters, outputs: per template (500, 200, 200);
 * - bytes: against the 1 MB of a template CloudFormation reads from S3, the size that binds
 *   every berth path (nested stacks, `package` + `deploy`, Service Catalog, console uploads);
 * - `--template-body`: information only, whether the body also fits the 51,200 bytes of a body
 *   sent inline in a request;
 * - tree: for a top-level template (one no other template nests), the resources of it and every
 *   stack it nests, against the 2,500 one stack operation may create, update or delete.
 */
import { visibleLength, type Palette } from './_terminal.ts';
import type { EmittedFile } from '../emit/output.ts';
import { fitsInline, LIMITS } from '../dsl/limits.ts';

/** The share of a limit from which the summary warns. */
export const WARN_AT = 0.8;

export interface SummaryTable {
  readonly text: string;
  /** `env/file: what` for every cell at or over {@link WARN_AT} of its limit. */
  readonly warnings: readonly string[];
}

/** The sibling files a template nests: berth writes each `TemplateURL` as a relative file name. */
function nestedFiles(text: string): string[] {
  return [...text.matchAll(/^\s+TemplateURL: ([\w.-]+\.yaml)$/gm)].map((m) => m[1]!);
}

/**
 * Resources of each top-level template's stack tree (itself and every stack it nests, once per
 * nesting), keyed `env/file`; nested templates are not in the map.
 */
export function stackTrees(files: readonly EmittedFile[]): ReadonlyMap<string, number> {
  const byKey = new Map(files.map((f) => [`${f.environment}/${f.file}`, f]));
  const children = new Map([...byKey].map(([key, f]) => [key, nestedFiles(f.text).map((c) => `${f.environment}/${c}`)]));
  const nested = new Set([...children.values()].flat());
  const tree = (key: string, seen: readonly string[]): number =>
    seen.includes(key) ? 0 : (byKey.get(key)?.resources ?? 0) + (children.get(key) ?? []).reduce((n, c) => n + tree(c, [...seen, key]), 0);
  return new Map([...byKey.keys()].filter((k) => !nested.has(k)).map((k) => [k, tree(k, [])]));
}

export function summary(files: readonly EmittedFile[], paint: Palette): SummaryTable {
  const warnings: string[] = [];
  const trees = stackTrees(files);
  const rows = files.map((f) => {
    const name = `${f.environment}/${f.file}`;
    const cell = (what: string, n: number, max: number) => {
      const text = `${n} (${Math.floor((100 * n) / max)}%)`;
      if (n < WARN_AT * max) return text;
      warnings.push(`${name}: ${n} ${what} of ${max}`);
      return paint.yellow(`${text}!`);
    };
    const bytes = Buffer.byteLength(f.text);
    const tree = trees.get(name);
    return [
      name,
      cell('resources', f.resources, LIMITS.resources),
      cell('parameters', f.parameters, LIMITS.parameters),
      cell('outputs', f.outputs, LIMITS.outputs),
      cell('bytes', bytes, LIMITS.s3Bytes),
      fitsInline(bytes) ? 'yes' : 'no (S3 only)',
      tree === undefined ? '-' : cell('resources in one stack operation (the template and its nested stacks)', tree, LIMITS.resourcesPerOperation),
    ];
  });
  const head = [
    'template',
    `resources /${LIMITS.resources}`,
    `parameters /${LIMITS.parameters}`,
    `outputs /${LIMITS.outputs}`,
    `bytes /${LIMITS.s3Bytes}`,
    `--template-body (${LIMITS.bodyBytes})`,
    `tree /${LIMITS.resourcesPerOperation}`,
  ];
  const width = (i: number) => Math.max(...[head, ...rows].map((r) => visibleLength(r[i]!)));
  const line = (r: readonly string[]) => r.map((c, i) => c + ' '.repeat(width(i) - visibleLength(c))).join('  ').trimEnd();
  return { text: [paint.bold(line(head)), ...rows.map(line)].join('\n'), warnings };
}
