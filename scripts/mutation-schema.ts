/**
 * Deliberate mistakes in the settings JSON Schema, and whether the examples of
 * test/_settings-examples.ts catch each one (part of `make mutation`; StrykerJS does not mutate
 * numbers or schema objects in a useful way). Every constraint is loosened, tightened, removed or
 * changed in turn; a mistake is caught when some example's outcome (accepted or rejected by the
 * schema, as ajv compiles it for berth) changes.
 *
 *   node --import tsx scripts/mutation-schema.ts [--min 85]
 */
import { parseArgs } from 'node:util';
import { Ajv } from 'ajv';
import { AJV_OPTIONS } from '../src/settings/loader.ts';
import { SETTINGS_SCHEMA } from '../templates/settings/settings.ts';
import { EXAMPLES, exampleSettings } from '../test/_settings-examples.ts';

type Schema = Record<string, any>;

interface Mutant {
  readonly name: string;
  readonly schema: Schema;
}

const OTHER_TYPE: Record<string, string> = { string: 'number', number: 'string', integer: 'string', boolean: 'string', object: 'array', array: 'object' };

/** Every mistake of one kind or another at each constraint, each a full copy of the schema. */
function mutants(root: Schema): Mutant[] {
  const out: Mutant[] = [];
  const visit = (node: Schema, path: string, change: (f: (n: Schema) => void, name: string) => void, tag?: string) => {
    const at = (what: string) => `${path || '(root)'}: ${what}`;
    tag ??= node.discriminator?.propertyName;
    if (typeof node.type === 'string') change((n) => (n.type = OTHER_TYPE[n.type]), at(`type ${node.type} -> ${OTHER_TYPE[node.type]}`));
    for (const value of (node.enum ?? []) as unknown[]) change((n) => (n.enum = n.enum.filter((v: unknown) => v !== value)), at(`enum without ${JSON.stringify(value)}`));
    if (node.const !== undefined) change((n) => (n.const = `${String(n.const)}-other`), at('const changed'));
    if (typeof node.pattern === 'string') {
      change((n) => delete n.pattern, at('pattern removed'));
      change((n) => (n.pattern = n.pattern.replace(/^\^/, '').replace(/\$$/, '')), at('pattern unanchored'));
    }
    for (const k of ['minimum', 'maximum', 'minLength', 'maxLength', 'minItems', 'maxItems'] as const) {
      if (typeof node[k] !== 'number') continue;
      change((n) => (n[k] += 1), at(`${k} + 1`));
      change((n) => (n[k] -= 1), at(`${k} - 1`));
      change((n) => delete n[k], at(`${k} removed`));
    }
    if (node.uniqueItems) change((n) => delete n.uniqueItems, at('uniqueItems removed'));
    if (node.additionalProperties === false) change((n) => delete n.additionalProperties, at('additionalProperties: false removed'));
    for (const r of (node.required ?? []) as string[]) {
      // A union's tag stays required without it: ajv's discriminator refuses an object without its tag.
      if (r === tag) continue;
      change((n) => (n.required = n.required.filter((x: string) => x !== r)), at(`${r} no longer required`));
    }
    for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Schema>)) {
      visit(v, path ? `${path}.${k}` : k, (f, name) => change((n) => f(n.properties[k]), name));
    }
    if (node.items) visit(node.items, `${path}[]`, (f, name) => change((n) => f(n.items), name));
    if (typeof node.additionalProperties === 'object') visit(node.additionalProperties, `${path}.*`, (f, name) => change((n) => f(n.additionalProperties), name));
    ((node.oneOf ?? []) as Schema[]).forEach((branch, i) => {
      const tag = node.discriminator.propertyName as string;
      visit(branch, `${path}<${branch.properties[tag].const}>`, (f, name) => change((n) => f(n.oneOf[i]), name), tag);
    });
  };
  visit(root, '', (f, name) => {
    const schema = structuredClone(root);
    f(schema);
    out.push({ name, schema });
  });
  return out;
}

function outcomes(schema: Schema, settings: readonly unknown[]): boolean[] | string {
  let validate;
  try {
    validate = new Ajv(AJV_OPTIONS).compile(schema);
  } catch (e) {
    return `does not compile: ${(e as Error).message}`;
  }
  return settings.map((s) => validate(s));
}

export function run(min: number): number {
  const settings = EXAMPLES.map((e) => exampleSettings(e));
  const expected = EXAMPLES.map((e) => !e.reject);
  const original = outcomes(SETTINGS_SCHEMA as Schema, settings);
  if (typeof original === 'string' || original.some((ok, i) => ok !== expected[i])) {
    console.error('[fail] the examples do not hold for the schema itself: run test/settings-schema.test.ts');
    return 1;
  }
  const all = mutants(SETTINGS_SCHEMA as Schema);
  const survivors: string[] = [];
  let invalid = 0;
  for (const m of all) {
    const r = outcomes(m.schema, settings);
    if (typeof r === 'string') invalid++; // ajv refuses the schema itself: the mistake cannot ship
    else if (r.every((ok, i) => ok === original[i])) survivors.push(m.name);
  }
  const score = (100 * (all.length - survivors.length)) / all.length;
  for (const s of survivors) console.log(`  survived: ${s}`);
  console.log(`[${score >= min ? 'pass' : 'fail'}] settings schema: ${all.length} deliberate mistakes, ${all.length - survivors.length} caught (${invalid} refused by ajv itself), ${survivors.length} survived: ${score.toFixed(1)} % (target ${min} %)`);
  return score >= min ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { min: { type: 'string', default: '85' } } });
  process.exitCode = run(Number(values.min));
}
