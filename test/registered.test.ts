/** A service module that templates/services/index.ts does not import fails the build with one line naming it (templates/stacks/service/registered.ts). */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/index.ts';
import { checkRegistered } from '../templates/stacks/service/registered.ts';
import { ROOT, tempDir } from './_helpers.ts';

function folder(files: Record<string, string>): string {
  const dir = tempDir('registered');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

test('passes when the index imports every module, with either quote, and ignores helpers (`_x.ts`), declarations and other files', () => {
  const dir = folder({
    'index.ts': `import { a } from './a.ts';\nimport { b } from "./b.ts";\nexport const services = [a, b];\n`,
    'a.ts': '', 'b.ts': '', '_shared.ts': '', 'types.d.ts': '', 'README.md': '',
  });
  checkRegistered(join(dir, 'index.ts'));
  checkRegistered(join(ROOT, 'templates/services/index.ts'));
});

test('fails when a module is not imported by the index, naming the first such file and how to fix it', () => {
  const dir = folder({ 'index.ts': `import { a } from './a.ts';\nexport const services = [a];\n`, 'a.ts': '', 'zeta.ts': '', 'billing.ts': '' });
  const file = relative(process.cwd(), join(dir, 'billing.ts'));
  const index = relative(process.cwd(), join(dir, 'index.ts'));
  assert.throws(() => checkRegistered(join(dir, 'index.ts')), (e) => {
    assert.ok(e instanceof BerthError);
    assert.equal(e.message, `${file}: a service module that ${index} does not import, so the build would leave it out. Every module in ${relative(process.cwd(), dir)}/ is a service. Import it in ${index} and add it to \`services\`, or name a shared helper \`_billing.ts\`.`);
    return true;
  });
});

test('fails when the index imports a module only in a comment', () => {
  const dir = folder({ 'index.ts': `// import { a } from './b.ts' is not an import\nimport { a } from './a.ts';\nexport const services = [a];\n`, 'a.ts': '', 'b.ts': '' });
  assert.throws(() => checkRegistered(join(dir, 'index.ts')), /b\.ts: a service module that/);
});
