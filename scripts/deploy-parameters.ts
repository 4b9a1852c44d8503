/**
 * The parameters scripts/deploy.sh passes to CloudFormation, read from a template in output/.
 *
 *   node --import tsx scripts/deploy-parameters.ts <template.yaml> [--existing] [--json] [KEY=VALUE ...]
 *   node --import tsx scripts/deploy-parameters.ts <template.yaml> --default NAME
 *
 * Every parameter gets a value, so a deploy always matches output/: a `KEY=VALUE` given on the
 * command line, else the template's default (the environment's settings). A parameter without a
 * default keeps the stack's previous value (`--existing`), or is an error on a new stack.
 * (`aws cloudformation deploy` alone would keep the previous value of *every* parameter not
 * overridden, so a changed default in output/ would never reach an existing stack.)
 *
 * Values are checked against the template's constraints before any AWS call, with the messages
 * CloudFormation would give, so a typo fails in a second rather than after a change set.
 *
 * scripts/preflight.ts calls `resolve` and writes the values as JSON files for the CLI (no
 * line-based parsing: a value with a newline is refused here, see CONTROL). Run alone it prints one
 * `KEY=VALUE` per line for reading, or with `--json` the `Parameters` list of `create-change-set`
 * (previous values as `UsePreviousValue`); `--default NAME` prints a parameter's default (deploy.sh
 * reads TemplateVersion so). Exits 2 with one `error: ...` line for a mistake.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { pathToFileURL } from 'node:url';
import yaml from 'js-yaml';
import { BerthError } from '../src/dsl/errors.ts';
import { CFN_SCHEMA } from '../src/emit/yaml.ts';

interface ParameterDeclaration {
  readonly Type: string;
  readonly Default?: unknown;
  readonly AllowedValues?: readonly unknown[];
  readonly AllowedPattern?: string;
  readonly ConstraintDescription?: string;
  readonly MinLength?: number;
  readonly MaxLength?: number;
  readonly MinValue?: number;
  readonly MaxValue?: number;
}

/** C0 controls and DEL (U+0000-U+001F, U+007F) and the C1 controls (U+0080-U+009F). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function readParameters(file: string): Record<string, ParameterDeclaration> {
  const doc = yaml.load(readFileSync(file, 'utf8'), { schema: CFN_SCHEMA }) as { Parameters?: Record<string, ParameterDeclaration> } | undefined;
  return doc?.Parameters ?? {};
}

/** Why `value` is not acceptable for `p`, in CloudFormation's words, or undefined. */
export function violation(p: ParameterDeclaration, value: string): string | undefined {
  const hint = p.ConstraintDescription ? ` (${p.ConstraintDescription})` : '';
  const list = p.Type === 'CommaDelimitedList' || p.Type.startsWith('List<');
  // CloudFormation checks AllowedPattern against each element of a CommaDelimitedList.
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
  for (const v of list ? value.split(',') : [value]) {
    if (p.AllowedValues && !p.AllowedValues.map(String).includes(v)) return `must be one of ${p.AllowedValues.join(', ')}${hint}`;
    if (p.AllowedPattern !== undefined && !new RegExp(`^(?:${p.AllowedPattern})$`).test(v)) return `must match pattern ${p.AllowedPattern}${hint}`;
    if (p.MinLength !== undefined && v.length < p.MinLength) return `must be at least ${p.MinLength} characters${hint}`;
    if (p.MaxLength !== undefined && v.length > p.MaxLength) return `must be at most ${p.MaxLength} characters${hint}`;
    if (p.Type === 'Number' || p.Type === 'List<Number>') {
      if (!/^-?\d+(\.\d+)?$/.test(v)) return `must be a number${hint}`;
      if (p.MinValue !== undefined && Number(v) < p.MinValue) return `must be at least ${p.MinValue}${hint}`;
      if (p.MaxValue !== undefined && Number(v) > p.MaxValue) return `must be at most ${p.MaxValue}${hint}`;
    }
  }
  return undefined;
}

export interface Resolved {
  /** Parameters with a value: given, or the template's default. */
  readonly values: ReadonlyArray<readonly [string, string]>;
  /** Parameters without default or value that keep the stack's previous value. */
  readonly previous: readonly string[];
}

/** Every parameter's value for a deploy of `file`; throws BerthError for a mistake. */
export function resolve(file: string, assignments: readonly string[], existing: boolean): Resolved {
  const params = readParameters(file);
  const given = new Map<string, string>();
  for (const a of assignments) {
    const eq = a.indexOf('=');
    const key = a.slice(0, eq);
    const value = a.slice(eq + 1);
    // A newline would smuggle a second KEY=VALUE past these checks into any line-based consumer;
    // CloudFormation parameter values are single-line text. Shown escaped, so the error is one line.
    const control = CONTROL.exec(a);
    if (control) {
      const shown = JSON.stringify(a).slice(1, -1);
      throw new BerthError(`\`--param ${shown}\``, `contains control character U+${control[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} (a newline, tab or other control character). Pass the value on one line without control characters.`);
    }
    if (eq < 1) throw new BerthError(`\`--param ${a}\``, `expected KEY=VALUE, e.g. \`--param DesiredCount=2\`.`);
    const p = params[key];
    if (!p) {
      throw new BerthError(`\`--param ${a}\``, `${basename(file)} has no parameter \`${key}\`. Its parameters: ${Object.keys(params).join(', ') || 'none'}.`);
    }
    const why = violation(p, value);
    if (why) throw new BerthError(`\`--param ${a}\``, `${key} ${why}. Pass a valid value.`);
    given.set(key, value);
  }
  const values: [string, string][] = [];
  const previous: string[] = [];
  const missing: string[] = [];
  for (const [key, p] of Object.entries(params)) {
    if (given.has(key)) values.push([key, given.get(key)!]);
    else if (p.Default !== undefined) values.push([key, String(p.Default)]);
    else if (existing) previous.push(key);
    else missing.push(`${key} (${p.Type})`);
  }
  if (missing.length) {
    throw new BerthError(
      basename(file),
      `needs ${missing.join(', ')}, which ${missing.length > 1 ? 'have' : 'has'} no default: pass ${missing.map((m) => `\`--param ${m.split(' ')[0]}=...\``).join(' ')} (for a standalone layer, the outputs of the stacks it builds on).`,
    );
  }
  return { values, previous };
}

export function main(argv: readonly string[]): number {
  const [file, ...rest] = argv;
  try {
    if (!file) throw new BerthError('usage', 'deploy-parameters.ts <template.yaml> [--existing] [--json] [--default NAME] [KEY=VALUE ...]');
    const dflt = rest.indexOf('--default');
    if (dflt >= 0) {
      const name = rest[dflt + 1] ?? '';
      const p = readParameters(file)[name];
      if (p?.Default === undefined) throw new BerthError(basename(file), `has no parameter \`${name}\` with a default.`);
      console.log(String(p.Default));
      return 0;
    }
    const flags = new Set<string>(rest.filter((a) => a === '--existing' || a === '--json'));
    const r = resolve(file, rest.filter((a) => !flags.has(a)), flags.has('--existing'));
    if (flags.has('--json')) {
      console.log(JSON.stringify([
        ...r.values.map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })),
        ...r.previous.map((ParameterKey) => ({ ParameterKey, UsePreviousValue: true })),
      ]));
    } else {
      for (const [k, v] of r.values) console.log(`${k}=${v}`);
    }
    return 0;
  } catch (e) {
    // A mistake in the flags or values: one line, exit 2 (deploy.sh's usage-error code).
    if (e instanceof BerthError) {
      console.error(`error: ${e.message}`);
      return 2;
    }
    throw e;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = main(process.argv.slice(2));
}
