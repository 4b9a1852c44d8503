/**
 * The layout is the architecture: settings -> stacks (templates/) -> DSL (src/dsl) -> emitter
 * (src/emit) -> output/, with the command line (src/cli) on top. Imports may only run that way,
 * so the DSL stays a library and never learns about the estate or the command line.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './_helpers.ts';

/** Every relative import of every .ts file under `dir`, as [importer, imported] repo paths. */
function imports(dir: string): [string, string][] {
  const out: [string, string][] = [];
  for (const file of readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.ts')) continue;
    const path = join(ROOT, dir, file);
    for (const m of readFileSync(path, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)) {
      out.push([relative(ROOT, path), relative(ROOT, resolve(dirname(path), m[1]!))]);
    }
  }
  return out;
}

/** Which folders each folder may import from (besides itself). */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  'src/dsl': [],
  'src/settings': ['src/dsl'],
  'src/emit': ['src/dsl'],
  'src/cli': ['src/dsl', 'src/emit'],
};

for (const [folder, allowed] of Object.entries(ALLOWED)) {
  test(`${folder} imports only from ${allowed.length ? allowed.join(', ') : 'itself'}`, () => {
    const bad = imports(folder).filter(([, to]) => !to.startsWith(`${folder}/`) && !allowed.some((a) => to.startsWith(`${a}/`)));
    assert.deepEqual(bad, []);
  });
}

test('nothing in src/ imports the estate (templates/)', () => {
  assert.deepEqual(
    imports('src').filter(([, to]) => to.startsWith('templates/')),
    [],
  );
});

test("berth's stacks (templates/stacks, templates/settings) never import the user's services or environments", () => {
  const bad = [...imports('templates/stacks'), ...imports('templates/settings')].filter(([, to]) => to.startsWith('templates/services/') || to === 'templates/estate.ts');
  assert.deepEqual(bad, []);
});
