/**
 * src/settings/loader.ts on its own: field paths, the message for each kind of schema error (with
 * and without a schema description), nearest values, schema keys and precompiled validators.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { BerthError } from '../src/dsl/errors.ts';
import { fnv1a } from '../src/dsl/hash.ts';
import { AJV_OPTIONS, at, compiledSchemas, fieldPath, nearest, registerPrecompiledValidators, schemaKey, SettingsLoader } from '../src/settings/loader.ts';
import { tempDir } from './_helpers.ts';

const dir = tempDir('loader');
let n = 0;

/** Loads `data` (as JSON) with a loader for `schema`; returns the message, or 'ok'. */
function load(schema: object, data: unknown): string {
  const file = join(dir, `s${n++}.json`);
  writeFileSync(file, JSON.stringify(data));
  try {
    new SettingsLoader(schema as never).load(file);
    return 'ok';
  } catch (e) {
    assert.ok(e instanceof BerthError, String(e));
    return e.message.slice(file.length + 2);
  }
}

test('field paths from JSON pointers: names, indexes, escaped / and ~', () => {
  assert.equal(fieldPath(''), '');
  assert.equal(fieldPath('/network'), 'network');
  assert.equal(fieldPath('/network/subnets/public/1'), 'network.subnets.public[1]');
  assert.equal(fieldPath('/0/a'), '[0].a');
  assert.equal(fieldPath('/a~1b/c~0d/e~01'), 'a/b.c~d.e~1');
  assert.equal(at('f.json', ''), 'f.json');
  assert.equal(at('f.json', 'a.b'), 'f.json: a.b');
});

const obj = (properties: object, extra: object = {}) => ({ type: 'object', additionalProperties: false, properties, ...extra });

test('each kind of schema error, as one line', () => {
  assert.equal(load(obj({ a: { type: 'string' } }, { required: ['a'] }), {}), 'the required field `a` is missing. Add it (see templates/settings/settings.schema.json for its meaning).');
  assert.equal(load(obj({ a: obj({}, { required: ['b'] }) }), { a: {} }), 'a: the required field `b` is missing. Add it (see templates/settings/settings.schema.json for its meaning).');
  assert.equal(load(obj({}), { z: 1 }), 'z: unknown field `z`. Remove it or fix its spelling; the schema (templates/settings/settings.schema.json) lists the allowed fields.');
  assert.equal(load(obj({ a: obj({}) }), { a: { z: 1 } }), 'a.z: unknown field `z`. Remove it or fix its spelling; the schema (templates/settings/settings.schema.json) lists the allowed fields.');
  assert.equal(load(obj({ a: { type: 'string', enum: ['x', 'y'] } }), { a: 'z' }), 'a: expected one of `"x"`, `"y"`. Set it to one of these.');
  assert.equal(load(obj({ a: { type: 'boolean', const: true } }), { a: false }), 'a: expected `true`. Set it to that value.');
  for (const [type, value, article] of [['integer', 'x', 'an integer'], ['object', 1, 'an object'], ['array', 1, 'an array'], ['string', 1, 'a string'], ['boolean', 1, 'a boolean'], ['number', 'x', 'a number']] as const) {
    assert.equal(load(obj({ a: { type } }), { a: value }), `a: expected ${article}. Change the value's type.`);
  }
  assert.equal(load(obj({ a: { type: 'string', pattern: '^x+$', description: 'some xs' } }), { a: 'y' }), 'a: expected some xs, got `"y"`. Fix the value.');
  assert.equal(load(obj({ a: { type: 'string', pattern: '^x+$' } }), { a: 'y' }), 'a: expected a value matching `^x+$`, got `"y"`. Fix the value.');
  assert.equal(load(obj({ a: { type: 'integer', minimum: 2, description: 'two or more' } }), { a: 1 }), 'a: 1 must be >= 2 (two or more). Fix the value.');
  assert.equal(load(obj({ a: { type: 'integer', maximum: 2 } }), { a: 3 }), 'a: 3 must be <= 2. Fix the value.');
  assert.equal(load(obj({ a: { type: 'array', minItems: 2 } }), { a: [1] }), 'a: [1] must NOT have fewer than 2 items. Fix the value.');
  assert.equal(load(obj({ a: { type: 'array', maxItems: 1 } }), { a: [1, 2] }), 'a: [1,2] must NOT have more than 1 items. Fix the value.');
  assert.equal(load(obj({ a: { type: 'string', minLength: 2 } }), { a: 'x' }), 'a: "x" must NOT have fewer than 2 characters. Fix the value.');
  assert.equal(load(obj({ a: { type: 'string', maxLength: 1 } }), { a: 'xy' }), 'a: "xy" must NOT have more than 1 characters. Fix the value.');
  assert.equal(load(obj({ a: { type: 'string', maxLength: 1 } }), { a: 'x'.repeat(61) }), 'a: a 61-character string must NOT have more than 1 characters. Fix the value.');
  assert.equal(load(obj({ a: { type: 'string', maxLength: 1 } }), { a: 'x'.repeat(60) }), `a: "${'x'.repeat(60)}" must NOT have more than 1 characters. Fix the value.`);
  assert.equal(load(obj({ a: { type: 'array', maxItems: 1 } }), { a: Array.from({ length: 30 }, () => 1) }), 'a: a list of 30 items must NOT have more than 1 items. Fix the value.');
  assert.equal(load(obj({ a: { type: 'array', uniqueItems: true, description: 'distinct' } }), { a: [1, 1] }), 'a: must NOT have duplicate items (items ## 0 and 1 are identical) (distinct). Fix the value.');
  assert.equal(load(obj({ a: { type: 'array', uniqueItems: true } }), { a: [1, 1] }), 'a: must NOT have duplicate items (items ## 0 and 1 are identical). Fix the value.');
  assert.equal(load(obj({ a: { type: 'string' } }), { a: 'fine' }), 'ok');
});

test('a union\'s tag missing or unknown names the tag and its choices', () => {
  const union = obj({
    u: {
      type: 'object',
      required: ['kind'],
      discriminator: { propertyName: 'kind' },
      oneOf: [
        { type: 'object', properties: { kind: { const: 'a' } }, required: ['kind'] },
        { type: 'object', properties: { kind: { const: 'b' } }, required: ['kind'] },
      ],
    },
  });
  assert.equal(load(union, { u: { kind: 'c' } }), 'u.kind: expected one of `"a"`, `"b"`. Set `kind` to one of these.');
  assert.equal(load(union, { u: { kind: 'a' } }), 'ok');
  const top = { type: 'object', required: ['kind'], discriminator: { propertyName: 'kind' }, oneOf: [{ type: 'object', properties: { kind: { const: 'a' } }, required: ['kind'] }] };
  assert.equal(load(top, { kind: 'z' }), 'kind: expected one of `"a"`. Set `kind` to one of these.');
});

test('a long choice names the nearest value, if one is near; a value of another type is shown as JSON', () => {
  const many = Array.from({ length: 40 }, (_, i) => `region-${String(i).padStart(2, '0')}-long-name`);
  assert.equal(load(obj({ a: { type: 'string', enum: many } }), { a: 'region-07-lnog-name' }), 'a: `region-07-lnog-name` is not a known value; did you mean `region-07-long-name`? The schema (templates/settings/settings.schema.json) lists every allowed value.');
  assert.equal(load(obj({ a: { type: 'string', enum: many } }), { a: 'elsewhere' }), 'a: `elsewhere` is not a known value. The schema (templates/settings/settings.schema.json) lists every allowed value.');
  assert.equal(load(obj({ a: { enum: many } }), { a: 7 }), 'a: `7` is not a known value. The schema (templates/settings/settings.schema.json) lists every allowed value.');
  assert.equal(nearest('eu-wset-1', ['eu-west-1', 'eu-west-2', 'us-east-1']), 'eu-west-1', 'a swap of two letters is one edit');
  assert.equal(nearest('eu-west-3x', ['eu-west-1', 'eu-west-3']), 'eu-west-3');
  assert.equal(nearest('ab', ['xy', 'ac']), 'ac', 'one edit is near even for a short value');
  assert.equal(nearest('ab', ['xy']), undefined);
  assert.equal(nearest('abcdefgh', ['abcdxxxx']), undefined, 'four edits in eight characters is not near');
  assert.equal(nearest('abcdefgh', ['abcdefxx']), 'abcdefxx', 'two edits in eight is');
  assert.equal(nearest('abcdefgh', ['abcdexxx']), undefined, 'three edits in eight is not');
  assert.equal(nearest('', []), undefined);
});

test('schema keys: from $id, else from the schema itself; two hashes, stable; precompiled validators are used', () => {
  assert.match(schemaKey({ $id: 'x' }), /^schema_[0-9a-f]{16}$/);
  assert.equal(schemaKey({ $id: 'x' }), schemaKey({ $id: 'x', type: 'object' }));
  assert.notEqual(schemaKey({ $id: 'x' }), schemaKey({ $id: 'y' }));
  assert.equal(schemaKey({ type: 'string' }), schemaKey({ type: 'string' }));
  assert.notEqual(schemaKey({ type: 'string' }), schemaKey({ type: 'number' }));
  assert.notEqual(schemaKey({ $id: 7 }), schemaKey({ $id: 8 }), 'a $id that is not a string: the schema is the key');
  const schema = { $id: 'berth-test-precompiled', type: 'object' };
  const before = compiledSchemas().length;
  let called = 0;
  const validate = Object.assign((data: unknown) => (called++, typeof data === 'object'), { errors: null });
  registerPrecompiledValidators({ [schemaKey(schema)]: validate as never });
  const file = join(dir, 'pre.json');
  writeFileSync(file, '{"a": 1}');
  assert.deepEqual(new SettingsLoader(schema as never).load(file), { a: 1 });
  assert.equal(called, 1, 'the precompiled validator ran');
  assert.equal(compiledSchemas().length, before, 'nothing was compiled');
  const other = { $id: 'berth-test-other', type: 'object' };
  new SettingsLoader(other as never);
  assert.equal(compiledSchemas().at(-1), other, 'a schema without a precompiled validator is compiled and remembered');
  assert.ok(new Ajv(AJV_OPTIONS).compile({ type: 'object', discriminator: { propertyName: 'k' }, required: ['k'], oneOf: [{ properties: { k: { const: 'a' } }, required: ['k'] }] }), 'the options allow discriminators');
});

test('nearest counts a swap of neighbours as one edit, at the start, middle and end; empty values', () => {
  assert.equal(nearest('ba', ['ab']), 'ab');
  assert.equal(nearest('bacd', ['abcd', 'zzzz']), 'abcd');
  assert.equal(nearest('abdc', ['abcd']), 'abcd');
  assert.equal(nearest('acbd', ['abcd']), 'abcd');
  assert.equal(nearest('ab', ['ba', 'xx']), 'ba');
  assert.equal(nearest('abc', ['cab']), undefined, 'a rotation is two edits');
  assert.equal(nearest('', ['a']), 'a');
  assert.equal(nearest('abc', ['']), undefined);
  assert.equal(nearest('abcd', ['abcd', 'abce']), 'abcd', 'equal is nearest');
  assert.equal(nearest('abcd', ['abce', 'abcd']), 'abcd');
});

test('a long choice with a value of another type shows it as JSON', () => {
  const many = Array.from({ length: 40 }, (_, i) => `region-${String(i).padStart(2, '0')}-long-name`);
  assert.equal(load(obj({ a: { enum: many } }), { a: { k: 1 } }), 'a: `{"k":1}` is not a known value. The schema (templates/settings/settings.schema.json) lists every allowed value.');
  assert.equal(load(obj({ a: { type: 'array', maxItems: 1 } }), { a: Array.from({ length: 61 }, () => 'ab') }), 'a: a list of 61 items must NOT have more than 1 items. Fix the value.');
});

test('bytes that are not UTF-8 are named at their offset; a BOM counts as the first column', () => {
  const file = (name: string, bytes: Buffer) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  const loader = new SettingsLoader<unknown>({ type: 'object' } as never);
  assert.throws(() => loader.load(file('ff.json', Buffer.from([0xff, 0x41]))), /ff\.json: is not UTF-8 text \(byte 0xFF at offset 0 starts no UTF-8 character\)/);
  assert.throws(() => loader.load(file('fe.json', Buffer.from([0x7b, 0xfe, 0xff]))), /fe\.json: is not UTF-8 text \(byte 0xFE at offset 1 /);
  assert.throws(() => loader.load(file('cut.json', Buffer.from([0x7b, 0x22, 0xe2, 0x82]))), /cut\.json: is not UTF-8 text \(byte 0xE2 at offset 2 /);
  assert.throws(() => loader.load(file('mid.json', Buffer.from([0x7b, 0x22, 0xe2, 0x41, 0x42, 0x43, 0x22, 0x7d]))), /mid\.json: is not UTF-8 text \(byte 0xE2 at offset 2 /);
  assert.throws(() => loader.load(file('bom.json', Buffer.from('\ufeff{"a": 1,}', 'utf8'))), /bom\.json:1:10: is not valid JSON: a comma before `\}`/);
});

test('field paths: indexes of several digits, names that start with a digit', () => {
  assert.equal(fieldPath('/services/12/name'), 'services[12].name');
  assert.equal(fieldPath('/tags/1a'), 'tags.1a');
  assert.equal(fieldPath('/tags/a1'), 'tags.a1');
});

test('schema keys are always 16 hex digits, even when a hash has leading zeros', () => {
  // An $id whose first hash is below 0x10000000: its hex must be padded to 8 digits.
  const id = Array.from({ length: 5000 }, (_, i) => `schema-${i}`).find((x) => fnv1a(x) < 0x10000000)!;
  assert.ok(id, 'an $id with a small hash');
  assert.match(schemaKey({ $id: id }), /^schema_0[0-9a-f]{15}$/);
  assert.ok(compiledSchemas().every((s) => typeof s === 'object' && s !== null), 'only compiled schemas are listed');
});

test('a settings path that is a folder or missing is named as such', () => {
  const loader = new SettingsLoader<unknown>({ type: 'object' } as never);
  assert.throws(() => loader.load(dir), (e: Error) => e.message === `${dir}: cannot read the settings file: it is a folder. Create it, or pick an existing environment with --env.`);
  assert.throws(() => loader.load(join(dir, 'nope.json')), /nope\.json: cannot read the settings file: it does not exist\. /);
});

test('UTF-16 byte-order marks in either order; a file that only starts like one is judged as UTF-8', () => {
  const file = (name: string, bytes: number[]) => (writeFileSync(join(dir, name), Buffer.from(bytes)), join(dir, name));
  const loader = new SettingsLoader<unknown>({ type: 'object' } as never);
  for (const [name, bytes] of [['le.json', [0xff, 0xfe, 0x7b, 0x00]], ['be.json', [0xfe, 0xff, 0x00, 0x7b]]] as const) {
    assert.throws(() => loader.load(file(name, [...bytes])), new RegExp(`${name.replace('.', '\\.')}: is UTF-16 text`));
  }
  assert.throws(() => loader.load(file('fe41.json', [0xfe, 0x41])), /fe41\.json: is not UTF-8 text \(byte 0xFE at offset 0 /);
  assert.throws(() => loader.load(file('x-ff.json', [0x7b, 0xff])), /x-ff\.json: is not UTF-8 text \(byte 0xFF at offset 1 /);
  assert.throws(() => loader.load(file('x-fe.json', [0x7b, 0xfe])), /x-fe\.json: is not UTF-8 text \(byte 0xFE at offset 1 /);
});

test('the first bad byte after valid multi-byte characters is the one named', () => {
  const file = (name: string, bytes: number[]) => (writeFileSync(join(dir, name), Buffer.from(bytes)), join(dir, name));
  const loader = new SettingsLoader<unknown>({ type: 'object' } as never);
  // `{"é` then 0xFF: the two bytes of é are one character, not a bad byte.
  assert.throws(() => loader.load(file('e-ff.json', [0x7b, 0x22, 0xc3, 0xa9, 0xff, 0x22, 0x7d])), /e-ff\.json: is not UTF-8 text \(byte 0xFF at offset 4 /);
  assert.throws(() => loader.load(file('ab-e-ff.json', [0x61, 0x62, 0xc3, 0xa9, 0xff])), /ab-e-ff\.json: is not UTF-8 text \(byte 0xFF at offset 4 /);
  // A three-byte character (€) then a cut one at the very end.
  assert.throws(() => loader.load(file('euro-cut.json', [0x22, 0xe2, 0x82, 0xac, 0xe2, 0x82])), /euro-cut\.json: is not UTF-8 text \(byte 0xE2 at offset 4 /);
});

test('nearest: a swap costs exactly one edit, substitutions never count as swaps', () => {
  assert.equal(nearest('eu-west-1', ['ue-west-1', 'eu-west-1']), 'eu-west-1', 'equal beats a swap');
  assert.equal(nearest('abcdefgh', ['abcdwxyz']), undefined, 'four substitutions are four edits');
  assert.equal(nearest('abcdefghijkl', ['abcdefghjikx']), 'abcdefghjikx', 'a swap and a substitution: two edits in twelve');
  assert.equal(nearest('abcdefghijkl', ['abcdefghxyzw']), undefined, 'four substitutions in twelve are not near');
});

test('the list of choices fits a line up to 250 characters; a number against a long list is shown as it is', () => {
  // Each choice `"value-NN"` is 12 characters with its quotes, 2 more between: 18 make 250.
  const choices = (n: number) => Array.from({ length: n }, (_, i) => `value-${String(i).padStart(2, '0')}`);
  const listed = (n: number) => choices(n).map((v) => `\`"${v}"\``).join(', ');
  assert.equal(listed(18).length, 250);
  assert.equal(load(obj({ a: { type: 'string', enum: choices(18) } }), { a: 'x' }), `a: expected one of ${listed(18)}. Set it to one of these.`);
  assert.equal(load(obj({ a: { type: 'string', enum: choices(19) } }), { a: 'value-1x' }), 'a: `value-1x` is not a known value; did you mean `value-10`? The schema (templates/settings/settings.schema.json) lists every allowed value.');
  assert.equal(load(obj({ a: { enum: [...choices(40), 5] } }), { a: 42 }), 'a: `42` is not a known value. The schema (templates/settings/settings.schema.json) lists every allowed value.');
});

test('a list exactly 60 characters long as JSON is shown in full; 61 as its size', () => {
  const at60 = ['a'.repeat(56)]; // ["aaaa…"] = 56 + 4
  assert.equal(JSON.stringify(at60).length, 60);
  assert.equal(load(obj({ a: { type: 'array', maxItems: 0 } }), { a: at60 }), `a: ${JSON.stringify(at60)} must NOT have more than 0 items. Fix the value.`);
  const at61 = ['a'.repeat(57)];
  assert.equal(load(obj({ a: { type: 'array', maxItems: 0 } }), { a: at61 }), 'a: a list of 1 items must NOT have more than 0 items. Fix the value.');
});
