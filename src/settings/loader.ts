/**
 * Loading settings files: JSON, validated against a JSON Schema with ajv, every failure turned
 * into one located, actionable `BerthError` (file, field path, expected, how to fix).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, JSONSchemaType, ValidateFunction } from 'ajv';
import { BerthError, q } from '../dsl/errors.ts';
import { fnv1a, FNV_OFFSET } from '../dsl/hash.ts';
import { parseJson } from './json.ts';

/** A field path in settings, as users write it: `network.subnets.public[1]`. */
export function fieldPath(pointer: string): string {
  // The pointer starts with `/`: its first segment is empty and adds nothing to the path.
  return pointer
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((acc, s) => (/^\d+$/.test(s) ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

/** Where a field is, for messages: `templates/environments/prod.json: network.vpcCidr`. */
export function at(file: string, path: string): string {
  return path ? `${file}: ${path}` : file;
}

/**
 * The ajv options every settings schema is compiled with. allErrors off: the user gets the first
 * problem, stated fully, rather than a cascade; verbose: messages quote the schema and the data.
 */
export const AJV_OPTIONS = { allErrors: false, strict: true, strictRequired: false, discriminator: true, verbose: true } as const;

/**
 * A schema's identity for precompiled validators, usable as a JavaScript identifier: from its
 * `$id` when it has one (the bundle that carries the validator is rebuilt whenever the schema's
 * source changes), else from its JSON; two independent 32-bit hashes make 64 bits.
 */
export function schemaKey(schema: object): string {
  const id = (schema as { $id?: unknown }).$id;
  const text = typeof id === 'string' ? id : JSON.stringify(schema);
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return `schema_${hex(fnv1a(text))}${hex(fnv1a(text, FNV_OFFSET ^ text.length))}`;
}

const precompiled = new Map<string, ValidateFunction>();
const compiled: object[] = [];

/**
 * Validators compiled ahead of time (ajv standalone code, by scripts/bundle.ts): compiling the
 * settings schema costs about 80 ms and loading ajv another 60 ms, most of a build's budget.
 */
export function registerPrecompiledValidators(validators: Readonly<Record<string, ValidateFunction>>): void {
  for (const [key, fn] of Object.entries(validators)) precompiled.set(key, fn);
}

/** Every schema a `SettingsLoader` compiled at run time in this process, for scripts/bundle.ts. */
export function compiledSchemas(): readonly object[] {
  return compiled;
}

export class SettingsLoader<T> {
  private readonly validate: ValidateFunction<T>;

  constructor(schema: JSONSchemaType<T>) {
    const ready = precompiled.size > 0 ? precompiled.get(schemaKey(schema)) : undefined;
    if (ready) {
      this.validate = ready as ValidateFunction<T>;
    } else {
      // ajv is loaded only when a schema must be compiled here (development, tests): the bundle
      // that `make build` runs carries the compiled validator instead.
      const { Ajv } = createRequire(import.meta.url)('ajv') as { Ajv: typeof AjvClass };
      this.validate = new Ajv(AJV_OPTIONS).compile<T>(schema);
      compiled.push(schema);
    }
  }

  /** Reads and validates `file`; throws one `BerthError` on the first problem. */
  load(file: string): T {
    const data = parseJson(readText(file), file);
    if (!this.validate(data)) throw describeError(file, this.validate.errors![0]!);
    return data;
  }
}

/** The file's text: UTF-8 (a byte-order mark is dealt with by parseJson), anything else named plainly. */
function readText(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a folder' : code === 'EACCES' ? 'permission denied' : String(code ?? e);
    throw new BerthError(file, `cannot read the settings file: ${why}. Create it, or pick an existing environment with --env.`);
  }
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new BerthError(file, 'is UTF-16 text (it starts with a UTF-16 byte-order mark). Save it as UTF-8.');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    // (A byte that starts no UTF-8 character is 0x80 or above: always two hex digits.)
    throw new BerthError(file, `is not UTF-8 text (byte 0x${bytes[bad]!.toString(16).toUpperCase()} at offset ${bad} starts no UTF-8 character). Save it as UTF-8.`);
  }
}

/** The offset of the first byte that does not begin or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(bytes: Buffer): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let good = 0;
  for (let end = 1; end <= bytes.length; end++) {
    try {
      decoder.decode(bytes.subarray(good, end));
      good = end;
    } catch {
      if (end - good >= 4) return good;
    }
  }
  return good;
}

/** One error as a line. ajv sets `message` and (with `verbose`, AJV_OPTIONS) `parentSchema` and `data` on every error. */
function describeError(file: string, e: ErrorObject): BerthError {
  const path = fieldPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return new BerthError(at(file, path), `the required field ${q(String(p.missingProperty))} is missing. Add it (see templates/settings/settings.schema.json for its meaning).`);
    case 'additionalProperties':
      return new BerthError(
        at(file, path ? `${path}.${String(p.additionalProperty)}` : String(p.additionalProperty)),
        `unknown field ${q(String(p.additionalProperty))}. Remove it or fix its spelling; the schema (templates/settings/settings.schema.json) lists the allowed fields.`,
      );
    case 'enum': {
      const allowed = p.allowedValues as unknown[];
      const list = allowed.map((v) => q(JSON.stringify(v))).join(', ');
      if (list.length <= 250) return new BerthError(at(file, path), `expected one of ${list}. Set it to one of these.`);
      // A long list (the Regions) would not fit a line: the closest value is the likely fix.
      const near = typeof e.data === 'string' ? nearest(e.data, allowed.filter((v): v is string => typeof v === 'string')) : undefined;
      return new BerthError(
        at(file, path),
        `${q(typeof e.data === 'string' ? e.data : JSON.stringify(e.data))} is not a known value${near ? `; did you mean ${q(near)}?` : '.'} The schema (templates/settings/settings.schema.json) lists every allowed value.`,
      );
    }
    case 'const':
      return new BerthError(at(file, path), `expected ${q(JSON.stringify(p.allowedValue))}. Set it to that value.`);
    case 'discriminator': {
      // The tag of a union (`protocol`, `type`, `source`) is missing or unknown.
      const tag = String(p.tag);
      // ajv's discriminator requires every branch of the `oneOf` to give the tag a `const`.
      const branches = (e.parentSchema as { oneOf: { properties: Record<string, { const: unknown }> }[] }).oneOf.map((b) => b.properties[tag]!.const);
      return new BerthError(at(file, path ? `${path}.${tag}` : tag), `expected one of ${branches.map((v) => q(JSON.stringify(v))).join(', ')}. Set ${q(tag)} to one of these.`);
    }
    case 'type':
      return new BerthError(at(file, path), `expected ${article(String(p.type))}. Change the value's type.`);
    case 'pattern': {
      const hint = (e.parentSchema as { description?: string }).description;
      return new BerthError(at(file, path), `expected ${hint ?? `a value matching ${q(String(p.pattern))}`}, got ${q(JSON.stringify(e.data))}. Fix the value.`);
    }
    case 'minimum':
    case 'maximum':
    case 'minItems':
    case 'maxItems':
    case 'minLength':
    case 'maxLength': {
      const hint = (e.parentSchema as { description?: string }).description;
      return new BerthError(at(file, path), `${shown(e.data)} ${e.message!}${hint ? ` (${hint})` : ''}. Fix the value.`);
    }
    default: {
      const hint = (e.parentSchema as { description?: string }).description;
      return new BerthError(at(file, path), `${e.message!}${hint ? ` (${hint})` : ''}. Fix the value.`);
    }
  }
}

/** The value of `options` closest to `value` (edit distance), if it is close: a quarter of its length away at most. */
export function nearest(value: string, options: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(value.length / 4)) + 1;
  for (const o of options) {
    const d = editDistance(value, o);
    if (d < bestDistance) {
      best = o;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit (`eu-wset-1`). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** A value as a message shows it: JSON, or its size where it would not fit a line. */
function shown(data: unknown): string {
  if (typeof data === 'string' && data.length > 60) return `a ${data.length}-character string`;
  if (Array.isArray(data) && JSON.stringify(data).length > 60) return `a list of ${data.length} items`;
  return JSON.stringify(data);
}

function article(type: string): string {
  return type === 'integer' ? 'an integer' : type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`;
}
