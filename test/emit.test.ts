/**
 * src/emit/output.ts's write: all or nothing, unchanged files untouched, stale templates removed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeOutput, type EmittedFile } from '../src/emit/output.ts';

const file = (environment: string, name: string, text: string): EmittedFile => ({ environment, file: name, text, resources: 1, parameters: 0, outputs: 0 });

function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const env of readdirSync(dir)) {
    for (const f of readdirSync(join(dir, env), { withFileTypes: true })) if (f.isFile()) out[`${env}/${f.name}`] = readFileSync(join(dir, env, f.name), 'utf8');
  }
  return out;
}

test('a failure while writing leaves output/ exactly as it was: no new file renamed in, no temporary file left', () => {
  const out = mkdtempSync(join(tmpdir(), 'berth-emit-'));
  writeOutput(out, [file('dev', 'a.yaml', 'old a'), file('prod', 'b.yaml', 'old b')], ['dev', 'prod'], false);
  const before = tree(out);
  // The second environment's temporary file cannot be written (a directory holds its name).
  mkdirSync(join(out, 'prod', `.b.yaml.${process.pid}.tmp`));
  assert.throws(() => writeOutput(out, [file('dev', 'a.yaml', 'new a'), file('prod', 'b.yaml', 'new b')], ['dev', 'prod'], false), /EISDIR/);
  assert.deepEqual(tree(out), before);
  assert.deepEqual(readdirSync(join(out, 'dev')), ['a.yaml'], 'the first environment\'s temporary file was removed');
});

test('unchanged templates are not rewritten; templates no longer built are removed; other files stay', () => {
  const out = mkdtempSync(join(tmpdir(), 'berth-emit-'));
  writeOutput(out, [file('dev', 'a.yaml', 'a'), file('dev', 'gone.yaml', 'x')], ['dev'], false);
  writeFileSync(join(out, 'dev', 'architecture.svg'), '<svg/>');
  const mtime = statSync(join(out, 'dev', 'a.yaml')).mtimeMs;
  writeOutput(out, [file('dev', 'a.yaml', 'a'), file('dev', 'new.yaml', 'n')], ['dev'], false);
  assert.deepEqual(readdirSync(join(out, 'dev')).sort(), ['a.yaml', 'architecture.svg', 'new.yaml']);
  assert.equal(statSync(join(out, 'dev', 'a.yaml')).mtimeMs, mtime);
});
