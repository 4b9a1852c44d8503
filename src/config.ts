/**
 * Loading settings files: JSON, validated against a JSON Schema with ajv, every failure turned
 * into one located, actionable `BerthError` (file, field path, expected, how to fix).
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type JSONSchemaType, type ValidateFunction } from 'ajv';
import { BerthError, q } from './errors.ts';

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

export class SettingsLoader<T> {
  private readonly validate: ValidateFunction<T>;

  constructor(schema: JSONSchemaType<T>) {
    // allErrors off: the user gets the first problem, stated fully, rather than a cascade.
    this.validate = new Ajv({ allErrors: false, strict: true, strictRequired: false, discriminator: true, verbose: true }).compile(schema);
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
      return new BerthError(at(file, path), `the required field ${q(String(p.missingProperty))} is missing. Add it (see templates/settings.schema.json for its meaning).`);
    case 'additionalProperties':
      return new BerthError(
        at(file, path ? `${path}.${String(p.additionalProperty)}` : String(p.additionalProperty)),
        `unknown field ${q(String(p.additionalProperty))}. Remove it or fix its spelling; the schema (templates/settings.schema.json) lists the allowed fields.`,
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
