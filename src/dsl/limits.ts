/**
 * CloudFormation quotas berth enforces before AWS does, so a mistake fails the build, not a deploy.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 *
 * The size that binds is the 1 MB of a template CloudFormation reads from S3: every nested stack
 * (`TemplateURL`), every `aws cloudformation package` + `deploy` (scripts/deploy.sh uploads a body
 * over 51,200 bytes), every Service Catalog product (`LoadTemplateFromURL`) and every console
 * upload ("Upload a template file" stores the file in an S3 bucket first). 51,200 bytes binds only
 * a body sent inline (`--template-body`, `CreateStack`'s `TemplateBody`): the build reports it per
 * template as information, never as an error.
 */
import { BerthError, q } from './errors.ts';
import { REGIONS, REGIONS_WITHOUT } from './regions.generated.ts';

/** Where a message points, or how to work it out: a declaration's site is formatted only when a check fails. */
export type Where = string | (() => string);

const at = (where: Where) => (typeof where === 'function' ? where() : where);

export const LIMITS = {
  resources: 500,
  parameters: 200,
  outputs: 200,
  mappings: 200,
  /** A template body passed inline in a request (`--template-body`): information only. */
  bodyBytes: 51_200,
  /**
   * A template read from S3 (`TemplateURL`, nested stacks, Service Catalog, console uploads):
   * AWS says 1 MB; berth counts 1,000,000 bytes, the stricter reading.
   */
  s3Bytes: 1_000_000,
  /**
   * Resources one stack operation may create, update or delete across a stack and all its nested
   * stacks ("Nested stacks: 2,500 resources" in the quotas table). A stack tree larger than this
   * cannot be created or deleted in one operation: the build warns, and docs/many-accounts.md
   * says how such an estate deploys.
   */
  resourcesPerOperation: 2_500,
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

/** Whether a template of this many bytes can also be sent inline (`--template-body`). */
export function fitsInline(bytes: number): boolean {
  return bytes <= LIMITS.bodyBytes;
}

/**
 * A template body is at most 1 MB, the size CloudFormation reads from S3 (see {@link LIMITS}).
 * Over 51,200 bytes it must go through S3, which every berth path does; that is not an error.
 */
export function checkBodySize(where: string, body: string): void {
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > LIMITS.s3Bytes) {
    throw new BerthError(
      where,
      `the template body is ${bytes} bytes, over the ${LIMITS.s3Bytes}-byte (1 MB) limit of a template CloudFormation reads from S3. ` +
        'Move resources into a nested stack, or shorten descriptions.',
    );
  }
}

/**
 * Every resource type of an environment must exist in every Region it deploys to: CloudFormation
 * would refuse the template there, part-way through a rollout. The table is cfn-lint's per-Region
 * provider schemas (`make regions`). `where` names the settings field that lists the Regions.
 */
export function checkRegions(where: (index: number) => string, regions: readonly string[], types: Iterable<string>, files: (type: string) => string): void {
  const used = [...new Set(types)].sort();
  regions.forEach((region, i) => {
    if (!REGIONS.includes(region)) {
      throw new BerthError(where(i), `${q(region)} is not an AWS Region CloudFormation knows (per cfn-lint's schemas). Check the spelling, for example \`eu-west-1\`.`);
    }
    const missing = used.filter((t) => REGIONS_WITHOUT[t]?.includes(region));
    if (missing.length) {
      throw new BerthError(
        where(i),
        `${q(region)} has no ${missing.map((t) => `${t} (${files(t)})`).join(', ')} in CloudFormation. Deploy to another Region, or leave out what uses ${missing.length > 1 ? 'them' : 'it'}.`,
      );
    }
  });
}
