/**
 * Loading settings files: JSON, validated against a JSON Schema with ajv, every failure turned
 * into one located, actionable `BerthError` (file, field path, expected, how to fix).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject, JSONSchemaType, ValidateFunction } from 'ajv';
import { BerthError, q } from '../dsl/errors.ts';
import { fnv1a, FNV_OFFSET } from '../dsl/hash.ts';

/** A field path in settings, as users write it: `network.subnets.public[1]`. */
export function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
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
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new BerthError(file, `cannot read the settings file (${(e as NodeJS.ErrnoException).code ?? String(e)}). Create it, or pick an existing environment with --env.`);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new BerthError(file, `is not valid JSON: ${(e as Error).message}. Fix the syntax (a trailing comma or a missing quote is the usual cause).`);
    }
    if (!this.validate(data)) throw describeError(file, this.validate.errors![0]!);
    return data;
  }
}

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
    case 'enum':
      return new BerthError(at(file, path), `expected one of ${(p.allowedValues as unknown[]).map((v) => q(JSON.stringify(v))).join(', ')}. Set it to one of these.`);
    case 'const':
      return new BerthError(at(file, path), `expected ${q(JSON.stringify(p.allowedValue))}. Set it to that value.`);
    case 'discriminator': {
      // The tag of a union (`protocol`, `type`, `source`) is missing or unknown.
      const tag = String(p.tag);
      const branches = ((e.parentSchema as { oneOf?: { properties?: Record<string, { const?: unknown }> }[] }).oneOf ?? []).map((b) => b.properties?.[tag]?.const);
      return new BerthError(at(file, path ? `${path}.${tag}` : tag), `expected one of ${branches.map((v) => q(JSON.stringify(v))).join(', ')}. Set ${q(tag)} to one of these.`);
    }
    case 'type':
      return new BerthError(at(file, path), `expected ${article(String(p.type))}. Change the value's type.`);
    case 'pattern': {
      const hint = (e.parentSchema as { description?: string } | undefined)?.description;
      return new BerthError(at(file, path), `expected ${hint ?? `a value matching ${q(String(p.pattern))}`}, got ${q(JSON.stringify(e.data))}. Fix the value.`);
    }
    case 'minimum':
    case 'maximum':
    case 'minItems':
    case 'maxItems':
    case 'minLength': {
      const hint = (e.parentSchema as { description?: string } | undefined)?.description;
      return new BerthError(at(file, path), `${JSON.stringify(e.data)} ${e.message ?? 'is out of range'}${hint ? ` (${hint})` : ''}. Fix the value.`);
    }
    default: {
      const hint = (e.parentSchema as { description?: string } | undefined)?.description;
      return new BerthError(at(file, path), `${e.message ?? 'is not valid'}${hint ? ` (${hint})` : ''}. Fix the value.`);
    }
  }
}

function article(type: string): string {
  return type === 'integer' ? 'an integer' : type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`;
}
