/**
 * The settings JSON Schema, constraint by constraint: every constraint has a rejected example
 * (run through the real loader, so the user's message is checked too), and every bound, pattern
 * and choice an accepted one, so a deliberate mistake in the schema (a bound off by one, a value
 * dropped from a choice, a pattern loosened, a `required` or `additionalProperties` removed)
 * fails a test. The examples are in test/_settings-examples.ts; `make mutation` measures how many
 * such mistakes they catch (scripts/mutation-schema.ts).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { loadSettings, SETTINGS_SCHEMA } from '../templates/settings/settings.ts';
import { constraints, EXAMPLES, exampleSettings, NEEDS_ACCEPT, type Example } from './_settings-examples.ts';
import { tempDir } from './_helpers.ts';

const dir = tempDir('schema');
const file = join(dir, 'dev.json');

function load(e: Example): { ok: true } | { ok: false; message: string } {
  writeFileSync(file, JSON.stringify(exampleSettings(e)));
  try {
    loadSettings(file);
    return { ok: true };
  } catch (err) {
    assert.ok(err instanceof BerthError, `${e.constraint}: ${String(err)}`);
    return { ok: false, message: err.message };
  }
}

test('every constraint of the schema has a rejected example, and every bound, pattern and choice an accepted one', () => {
  const all = constraints(SETTINGS_SCHEMA as object);
  assert.ok(all.length > 150, `${all.length} constraints found`);
  const rejected = new Set(EXAMPLES.filter((e) => e.reject).map((e) => e.constraint));
  const accepted = new Set(EXAMPLES.filter((e) => !e.reject).map((e) => e.constraint));
  const noReject = all.filter((c) => !rejected.has(c));
  const noAccept = all.filter((c) => NEEDS_ACCEPT.has(c.split(' ')[1]!) && !accepted.has(c));
  assert.deepEqual(noReject, [], 'constraints without a rejected example: add one to test/_settings-examples.ts');
  assert.deepEqual(noAccept, [], 'bounds, patterns and choices without an accepted example: add one to test/_settings-examples.ts');
  const stale = EXAMPLES.map((e) => e.constraint).filter((c) => !all.includes(c));
  assert.deepEqual([...new Set(stale)], [], 'examples of constraints the schema no longer has');
});

test('every choice of the schema is accepted: each value of each enum has an accepted example', () => {
  const enums = (schema: any, path: string, out: Map<string, unknown[]>) => {
    if (schema.enum) out.set(`${path || '(root)'} enum`, schema.enum);
    for (const [k, v] of Object.entries(schema.properties ?? {})) enums(v, path ? `${path}.${k}` : k, out);
    return out;
  };
  for (const [constraint, values] of enums(SETTINGS_SCHEMA, '', new Map())) {
    const field = constraint.split(' ')[0]!;
    const shown = EXAMPLES.filter((e) => e.constraint === constraint && !e.reject).map((e) => e.set.find(([p]) => p === field)?.[1]);
    assert.deepEqual([...shown].sort(), [...values].sort(), constraint);
  }
});

test('each rejected example fails with one located line naming its field; each accepted one loads', () => {
  for (const e of EXAMPLES) {
    const r = load(e);
    if (!e.reject) {
      assert.ok(r.ok, `${e.constraint}: accepted example refused: ${r.ok ? '' : r.message}`);
      continue;
    }
    assert.ok(!r.ok, `${e.constraint}: rejected example ${JSON.stringify(e.set).slice(0, 200)} loads`);
    assert.ok(r.message.startsWith(`${file}: `), r.message);
    assert.doesNotMatch(r.message, /\n/);
    assert.match(r.message.slice(file.length + 2), e.reject, e.constraint);
  }
});
