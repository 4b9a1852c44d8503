/**
 * dist/tools.cjs, the launcher scripts/deploy.sh and `make lint` run berth's helpers with
 * (scripts/bundle.ts): the compiled helper while its sources are unchanged, needing nothing but
 * Node; the source through tsx once one of them changed, so an edited or stubbed helper runs as
 * written. And dist/berth.cjs with BERTH_STALE_BUNDLE=source (the preflight's build check): the
 * sources once they changed, where it otherwise refuses.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { run, sandbox, tempDir } from './_helpers.ts';

const dir = sandbox({ make: true });
const version = (cwd: string) => run(cwd, [process.execPath, 'dist/tools.cjs', 'scripts/deploy-parameters.ts', 'output/dev/service-catalog.yaml', '--default', 'TemplateVersion']);

test('a compiled helper runs with its sources unchanged, without tsx or any node_modules, and says what the source says', () => {
  const bare = tempDir('tools-bare');
  for (const d of ['dist', 'scripts', 'src', 'templates', 'output']) cpSync(join(dir, d), join(bare, d), { recursive: true, preserveTimestamps: true });
  const compiled = version(bare);
  assert.equal(compiled.status, 0, compiled.stderr);
  assert.match(compiled.stdout, /^[0-9a-f]{12}\n$/);
  const source = run(dir, [process.execPath, '--import', 'tsx', 'scripts/deploy-parameters.ts', 'output/dev/service-catalog.yaml', '--default', 'TemplateVersion']);
  assert.deepEqual({ status: source.status, stdout: source.stdout }, { status: 0, stdout: compiled.stdout });
  // Copied with new times and the same bytes: the content decides, still compiled.
  const copied = tempDir('tools-copied');
  for (const d of ['dist', 'scripts', 'src', 'templates', 'output']) cpSync(join(dir, d), join(copied, d), { recursive: true });
  assert.equal(version(copied).stdout, compiled.stdout);
});

test('an edited helper, or a module it imports, runs from source', () => {
  const edited = tempDir('tools-edited');
  for (const d of ['dist', 'scripts', 'src', 'templates', 'output']) cpSync(join(dir, d), join(edited, d), { recursive: true, preserveTimestamps: true });
  cpSync(join(dir, 'node_modules'), join(edited, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  cpSync(join(dir, 'package.json'), join(edited, 'package.json'));
  appendFileSync(join(edited, 'scripts/deploy-parameters.ts'), "\nprocess.stderr.write('edited helper\\n');\n");
  const r = version(edited);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, 'edited helper\n');
  // A stub in place of the gates' runner, as the deploy tests write one.
  writeFileSync(join(edited, 'scripts/lint/main.ts'), "console.log(`stub ${process.argv.slice(2).join(' ')}`);\n");
  const stub = run(edited, [process.execPath, 'dist/tools.cjs', 'scripts/lint/main.ts', 'output/dev']);
  assert.deepEqual({ status: stub.status, stdout: stub.stdout }, { status: 0, stdout: 'stub output/dev\n' });
  // The helper unchanged, a source it imports changed: from source too.
  writeFileSync(join(edited, 'scripts/deploy-parameters.ts'), readFileSync(join(dir, 'scripts/deploy-parameters.ts')));
  appendFileSync(join(edited, 'src/dsl/errors.ts'), "\nprocess.stderr.write('edited import\\n');\n");
  assert.equal(version(edited).stderr, 'edited import\n');
});

test('dist/tools.cjs without a helper is one line and exit 2', () => {
  const r = run(dir, [process.execPath, 'dist/tools.cjs']);
  assert.equal(r.status, 2);
  assert.equal(r.stderr, 'error: dist/tools.cjs: no helper given. Run it as scripts/deploy.sh does: node dist/tools.cjs scripts/preflight.ts ARGS.\n');
});

test('the compiled CLI refuses to run changed sources, and runs them with BERTH_STALE_BUNDLE=source', () => {
  const changed = tempDir('tools-cli');
  for (const d of ['dist', 'src', 'templates', 'output']) cpSync(join(dir, d), join(changed, d), { recursive: true, preserveTimestamps: true });
  cpSync(join(dir, 'node_modules'), join(changed, 'node_modules'), { recursive: true, verbatimSymlinks: true });
  cpSync(join(dir, 'package.json'), join(changed, 'package.json'));
  appendFileSync(join(changed, 'src/cli/main.ts'), '\n// edited\n');
  const refused = run(changed, [process.execPath, 'dist/berth.cjs', 'build', '--check']);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^error: src\/cli\/main\.ts: changed since dist\/berth\.cjs was compiled from it/);
  const source = run(changed, [process.execPath, 'dist/berth.cjs', 'build', '--check'], { BERTH_STALE_BUNDLE: 'source' });
  assert.equal(source.status, 0, source.stderr);
  assert.match(source.stdout, /^output\/ is up to date \(\d+ templates\)\.\n$/);
});
