/**
 * docs/dsl.md says what it shows: every TypeScript block compiles (its `@ts-expect-error` lines
 * must fail), as do the service modules docs/services.md shows; the sample outputs are what berth
 * prints; and every function of the entry module is documented there.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as dsl from '../src/dsl/index.ts';
import { toYaml } from '../src/emit/yaml.ts';
import { ROOT, run, tempDir } from './_helpers.ts';

const DOC = readFileSync(join(ROOT, 'docs/dsl.md'), 'utf8');
/** docs/services.md's whole service modules (those that import; not the fragments). */
const SERVICES = readFileSync(join(ROOT, 'docs/services.md'), 'utf8');
/** docs/data-stores.md's TypeScript blocks compile in the same run. */
const DATA_DOC = readFileSync(join(ROOT, 'docs/data-stores.md'), 'utf8');

/** The fenced blocks of a language (`''` for blocks without one), in order. */
function blocks(markdown: string, language: string): string[] {
  const found: string[] = [];
  let open: { language: string; lines: string[] } | undefined;
  for (const line of markdown.split('\n')) {
    if (!open && line.startsWith('```')) open = { language: line.slice(3).trim(), lines: [] };
    else if (open && line === '```') {
      if (open.language === language) found.push(open.lines.map((l) => `${l}\n`).join(''));
      open = undefined;
    } else open?.lines.push(line);
  }
  return found;
}

test('every TypeScript block of docs/dsl.md and docs/data-stores.md and the service modules of docs/services.md compile, and their @ts-expect-error lines do not', () => {
  const modules = blocks(SERVICES, 'ts').filter((b) => b.startsWith('import ') && !b.includes('// ...'));
  assert.ok(modules.length >= 1, 'docs/services.md shows a whole service module');
  // docs/dsl.md's blocks import as a file in docs/ would ('../src/...'); a service module as one
  // in templates/services/ ('../stacks/...', './worker.ts').
  const snippets = [
    ...[...blocks(DOC, 'ts'), ...blocks(DATA_DOC, 'ts')].map((b) => b.replaceAll("from '../", `from '${ROOT}/`)),
    ...modules.map((b) => b.replaceAll("from '../", `from '${ROOT}/templates/`).replaceAll("from './", `from '${ROOT}/templates/services/`)),
  ];
  assert.ok(snippets.length >= 15, `${snippets.length} blocks`);
  const dir = tempDir('doc');
  try {
    const files = snippets.map((code, i) => {
      const file = join(dir, `block${i + 1}.ts`);
      writeFileSync(file, code);
      return file;
    });
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ extends: join(ROOT, 'tsconfig.json'), compilerOptions: { types: ['node'], typeRoots: [join(ROOT, 'node_modules/@types')] }, include: [], files }));
    let output = '';
    try {
      execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['--noEmit', '--pretty', 'false', '-p', join(dir, 'tsconfig.json')], { cwd: ROOT, encoding: 'utf8' });
    } catch (e) {
      output = (e as { stdout: string }).stdout.replace(/\S*block(\d+)\.ts/g, '```ts block $1 (docs/dsl.md, docs/data-stores.md, then docs/services.md)');
    }
    assert.equal(output, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the located build error docs/dsl.md shows is what berth prints', () => {
  const sample = blocks(DOC, '').find((b) => b.startsWith('$ BERTH_FIXTURE_VARIANT=broken'));
  assert.ok(sample, 'the sample is in docs/dsl.md');
  const [command, ...expected] = sample.trimEnd().split('\n');
  const argv = command!.replace(/^\$ BERTH_FIXTURE_VARIANT=broken /, '').split(' ');
  const out = tempDir('doc-out');
  try {
    const r = run(ROOT, [process.execPath, ...argv.slice(1), '--out', out], { BERTH_FIXTURE_VARIANT: 'broken' });
    assert.equal(r.status, 1);
    assert.equal(r.stderr.trimEnd(), expected.join('\n'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the escape hatches docs/dsl.md shows emit the YAML it shows', () => {
  const t = new dsl.Template({ name: 'demo', description: 'demo' });
  t.untypedResource('Bus', 'AWS::Events::EventBus', { Name: 'orders' }, { reason: 'not generated yet' });
  t.resource('Service', 'AWS::ECS::Service', { Cluster: 'default' }).override('NewEcsProperty', 'ENABLED', 'added to ECS after the spec berth generated from');
  assert.equal(blocks(DOC, 'yaml')[0], toYaml(t.toJSON()));
});

test('every function and value the entry module exports is documented in docs/dsl.md', () => {
  const undocumented = Object.keys(dsl).filter((name) => !DOC.includes(`\`${name}`) && !DOC.includes(`${name}(`) && !DOC.includes(`${name}\``));
  assert.deepEqual(undocumented, []);
});
