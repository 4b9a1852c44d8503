/**
 * CloudFormation quotas berth enforces before AWS does, so a mistake fails the build, not a deploy.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 */
import { BerthError, q } from './errors.ts';

/** Where a message points, or how to work it out: a declaration's site is formatted only when a check fails. */
export type Where = string | (() => string);

const at = (where: Where) => (typeof where === 'function' ? where() : where);

export const LIMITS = {
  resources: 500,
  parameters: 200,
  outputs: 200,
  mappings: 200,
  /** A template body passed directly (console upload, `--template-body`). */
  bodyBytes: 51_200,
  /** A template read from S3 (`TemplateURL`). */
  s3Bytes: 1_000_000,
  logicalIdLength: 255,
} as const;

/** Logical IDs are alphanumeric (A-Za-z0-9) and unique within a template. */
export function checkLogicalId(where: Where, kind: string, id: string, taken: ReadonlySet<string>): void {
  if (!/^[A-Za-z0-9]+$/.test(id) || id.length > LIMITS.logicalIdLength) {
    throw new BerthError(
      at(where),
      `${kind} logical ID ${q(id)} is not valid. Logical IDs are 1 to ${LIMITS.logicalIdLength} letters and digits (A-Za-z0-9). ` +
        `Rename it, for example ${q(id.replace(/[^A-Za-z0-9]/g, '') || 'MyResource')}.`,
    );
  }
  if (taken.has(id)) {
    throw new BerthError(at(where), `${kind} logical ID ${q(id)} is already used in this template. Logical IDs must be unique: choose another name.`);
  }
}

export function checkCount(where: Where, kind: keyof typeof LIMITS, count: number): void {
  const max = LIMITS[kind];
  if (count > max) {
    throw new BerthError(
      at(where),
      `the template has ${count} ${kind}, over CloudFormation's limit of ${max}. Split it into nested stacks (see \`nest\`).`,
    );
  }
}

export function checkBodySize(where: string, body: string): void {
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > LIMITS.bodyBytes) {
    throw new BerthError(
      where,
      `the template body is ${bytes} bytes, over the ${LIMITS.bodyBytes}-byte limit for a template uploaded in the console or passed as --template-body. ` +
        'Move resources into a nested stack, or shorten descriptions.',
    );
  }
}
