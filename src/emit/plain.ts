/**
 * A template as plain JSON, intrinsics in CloudFormation's long form (`{ "Fn::GetAtt": [...] }`),
 * which is what AWS's own tools read and what tests assert on.
 */
import { Intrinsic } from '../dsl/intrinsic.ts';

export function toPlain(value: unknown): unknown {
  if (value instanceof Intrinsic) return { [value.fn]: toPlain(value.args) };
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}
