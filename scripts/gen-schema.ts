/**
 * Writes templates/settings/settings.schema.json (for editor autocompletion in the environment files)
 * from the schema in templates/settings/settings.ts.  Regenerate with: make schema
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SETTINGS_SCHEMA } from '../templates/settings/settings.ts';

export function schemaText(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', $comment: 'Generated from templates/settings/settings.ts. DO NOT EDIT. Regenerate with: make schema', ...SETTINGS_SCHEMA }, null, 2)}\n`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const target = join(dirname(fileURLToPath(import.meta.url)), '..', 'templates', 'settings', 'settings.schema.json');
  writeFileSync(target, schemaText());
  console.log(`wrote ${target}`);
}
