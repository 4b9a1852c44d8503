/**
 * Reading templates back: YAML with CloudFormation's short-form tags (what berth writes), or JSON
 * (what `aws cloudformation get-template` returns), into plain data with every intrinsic in its
 * long form (`{ Ref: X }`, `{ 'Fn::GetAtt': [X, Attr] }`), so the diff, the graph, the policy
 * gate and the tests compare and walk one shape.
 */
import yaml from 'js-yaml';
import { BerthError } from '../dsl/errors.ts';
import { CFN_SCHEMA, SHORT_TAGS } from './yaml.ts';

const LONG_FORM = new Map(Object.entries(SHORT_TAGS).map(([long, short]) => [short, long]));

/** Parses a template into plain data with long-form intrinsics; a file that is not one is a located error. */
export function parseTemplate(text: string, where: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = yaml.load(text, { schema: CFN_SCHEMA, filename: where });
  } catch (e) {
    throw new BerthError(where, `is not a readable template: ${(e as Error).message.split('\n')[0]}. Fix or regenerate it (\`make build\`).`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new BerthError(where, 'is not a CloudFormation template (expected a mapping with `Resources`). Fix or regenerate it (`make build`).');
  }
  return longForm(doc) as Record<string, unknown>;
}

/**
 * `{ '!GetAtt': 'A.B' }` (what CFN_SCHEMA loads) and `Fn::GetAtt: A.B` become
 * `{ 'Fn::GetAtt': ['A', 'B'] }`, split at the first dot (an attribute may hold dots); every
 * other tag becomes its long-form key.
 */
export function longForm(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(longForm);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, arg] = entries[0]!;
    const fn = LONG_FORM.get(key) ?? key;
    if (fn === 'Fn::GetAtt' && typeof arg === 'string' && arg.includes('.')) {
      const dot = arg.indexOf('.');
      return { [fn]: [arg.slice(0, dot), arg.slice(dot + 1)] };
    }
    if (fn !== key) return { [fn]: longForm(arg) };
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, longForm(v)]));
}
