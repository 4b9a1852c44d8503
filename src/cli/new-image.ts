/**
 * The per-environment image a scaffolded service needs where its public example image cannot be
 * pulled: an environment with VPC interface endpoints (`network.interfaceEndpoints`, on by default)
 * reaches AWS's endpoints in its own Region and S3 only, so its images must be in that Region's ECR
 * (the build refuses anything else: templates/stacks/service/egress.ts).
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
 *
 * The image follows the environment's own convention: the registry, repository path and tag of
 * the first service there whose image is in that Region's ECR (`…/berth/web:1.0.0` gives
 * `…/berth/<name>:1.0.0`). The entry is inserted into the file's text, so its layout stays as the
 * team wrote it.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BerthError, q } from '../dsl/errors.ts';

/** One environment file to change: its text before and after, and the image chosen. */
export interface ImageOverride {
  readonly file: string;
  readonly before: string;
  readonly after: string;
  readonly environment: string;
  readonly image: string;
}

interface SettingsShape {
  readonly region?: unknown;
  readonly network?: { readonly interfaceEndpoints?: unknown };
  readonly services?: Record<string, { readonly image?: unknown } | undefined>;
}

const ECR_IMAGE = /^(\d{12}\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?)\/((?:[^:@/]+\/)*)[^:@/]+:([^@]+)$/;

/** The image for service `name` in an environment of `region`, after the file's own ECR images. */
function followed(settings: SettingsShape, region: string, name: string): string | undefined {
  for (const entry of Object.values(settings.services ?? {})) {
    const m = typeof entry?.image === 'string' ? ECR_IMAGE.exec(entry.image) : null;
    if (m && m[2] === region) return `${m[1]}/${m[3]}${name}:${m[4]}`;
  }
  return undefined;
}

/**
 * Walks JSON text from `start`, skipping strings: the index where the object opened at `start`
 * closes, or (with `until`) the nesting depth at index `until`.
 */
function scan(text: string, start: number, until?: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (i === until) return depth;
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{' || c === '[') depth++;
    else if ((c === '}' || c === ']') && --depth === 0 && until === undefined) return i;
  }
  return -1;
}

/** `text` with `"name": { "image": … }` added to its top-level `services` (created if absent). */
export function insertOverride(text: string, name: string, image: string): string {
  const entry = `${JSON.stringify(name)}: { "image": ${JSON.stringify(image)} }`;
  const key = [...text.matchAll(/"services"\s*:\s*\{/g)].find((m) => scan(text, 0, m.index) === 1);
  if (key) {
    const open = key.index! + key[0].length - 1;
    const close = scan(text, open);
    const inner = text.slice(open + 1, close);
    if (inner.trim() === '') return `${text.slice(0, open + 1)} ${entry} ${text.slice(close)}`;
    const last = inner.replace(/\s*$/, '');
    // Entries one per line (at the first entry's indentation), or on one line as the file has them.
    const indent = /\n([ \t]*)"/.exec(inner)?.[1];
    const sep = indent !== undefined ? `,\n${indent}` : ', ';
    return text.slice(0, open + 1) + last + sep + entry + inner.slice(last.length) + text.slice(close);
  }
  const end = text.lastIndexOf('}');
  const body = text.slice(0, end).replace(/\s*$/, '');
  const indent = /\n([ \t]*)"/.exec(body)?.[1] ?? '  ';
  return `${body},\n${indent}"services": {\n${indent}${indent}${entry}\n${indent}}\n${text.slice(end)}`;
}

/**
 * The environment files that need an image for the new service, with their new text: those with
 * interface endpoints, where `image` is not in their Region's ECR and the service has no entry yet.
 */
export function imageOverrides(environments: readonly { readonly name: string; readonly file: string }[], name: string, image: string): ImageOverride[] {
  const out: ImageOverride[] = [];
  for (const env of environments) {
    const before = readFileSync(env.file, 'utf8');
    let settings: SettingsShape;
    try {
      settings = JSON.parse(before) as SettingsShape;
    } catch {
      continue; // the build names what is wrong with the file
    }
    if (settings.network?.interfaceEndpoints === false || typeof settings.region !== 'string') continue;
    if (settings.services?.[name] !== undefined) continue;
    const region = settings.region;
    const own = ECR_IMAGE.exec(image);
    if (own && own[2] === region) continue;
    const chosen = followed(settings, region, name);
    const shown = relative(process.cwd(), env.file);
    if (chosen === undefined) {
      throw new BerthError(
        `berth new service`,
        `${shown} has VPC interface endpoints, so ${q(name)}'s image must be in ECR in ${q(region)} there, and no service in it has such an image for berth to follow, so nothing was written. Give one of its services an ECR image in \`services.<name>.image\`, or set \`network.interfaceEndpoints\` to false in ${shown}, then run \`berth new service\` again.`,
      );
    }
    out.push({ file: env.file, before, after: insertOverride(before, name, chosen), environment: env.name, image: chosen });
  }
  return out;
}
