/**
 * Generated files are current: the settings JSON Schema (`make schema`) and the Region list
 * (`make regions`, from the pinned botocore); and ajv compiles the schema as berth does and accepts every environment of the estate.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { regionsText } from '../scripts/gen-regions.ts';
import { schemaText } from '../scripts/gen-schema.ts';
import { AJV_OPTIONS } from '../src/settings/loader.ts';
import { estate } from '../templates/estate.ts';
import { SETTINGS_SCHEMA } from '../templates/settings/settings.ts';
import { ROOT } from './_helpers.ts';

test('the published JSON Schema and the Region list are current, and ajv compiles the schema as berth does, and accepts every environment of the estate', () => {
  assert.equal(readFileSync(join(ROOT, 'templates/settings/settings.schema.json'), 'utf8'), schemaText(), 'run `make schema`');
  assert.equal(readFileSync(join(ROOT, 'templates/settings/regions.generated.ts'), 'utf8'), regionsText(), 'run `make regions`');
  // Compiled as plain JSON: ajv's typed overload (JSONSchemaType<Settings>) sends the type checker
  // past its recursion limit on every check of this file.
  const validate = new Ajv(AJV_OPTIONS).compile(JSON.parse(JSON.stringify(SETTINGS_SCHEMA)) as Record<string, unknown>);
  for (const env of estate.environments) assert.ok(validate(JSON.parse(readFileSync(join(ROOT, `templates/environments/${env}.json`), 'utf8'))), env);
});

