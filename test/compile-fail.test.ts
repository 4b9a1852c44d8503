/**
 * Compile-fail tests: each fixture in test/fixtures/compile-fail/ must NOT type-check, and fail
 * with the error its first line names (`// expect-error: TSxxxx <message fragment>`), on the line
 * marked `// <- error`: where the author looks for it (the returned property, not `build`; the
 * misspelt field, not every use of the stack's parameters). One compiler run checks them all;
 * each fixture must produce its expected error and no other. The fixtures import the DSL as stack
 * authors do, through its entry module (src/dsl/index.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './_helpers.ts';

const DIR = join(ROOT, 'test/fixtures/compile-fail');
const fixtures = readdirSync(DIR).filter((f) => f.endsWith('.ts')).sort();

function compile(): string {
  try {
    execFileSync(join(ROOT, 'node_modules/.bin/tsc'), [
      '--noEmit', '--pretty', 'false', '--strict', '--target', 'ES2022', '--module', 'NodeNext', '--moduleResolution', 'NodeNext',
      '--allowImportingTsExtensions', '--skipLibCheck', '--types', 'node', '--lib', 'ES2022', ...fixtures.map((f) => join(DIR, f)),
    ], { cwd: ROOT, encoding: 'utf8' });
    return '';
  } catch (e) {
    return (e as { stdout: string }).stdout;
  }
}

const output = compile();

test('there are compile-fail fixtures', () => assert.ok(fixtures.length >= 20, fixtures.join(', ')));

for (const fixture of fixtures) {
  test(`${fixture} fails to compile for the right reason`, () => {
    const lines = readFileSync(join(DIR, fixture), 'utf8').split('\n');
    const first = lines[0]!;
    const marked = lines.findIndex((l) => l.endsWith('// <- error')) + 1;
    assert.ok(marked > 0, `${fixture}: mark the line the error must be on with \`// <- error\``);
    const m = /^\/\/ expect-error: (TS\d+) (.+)$/.exec(first);
    assert.ok(m, `${fixture}: first line must be "// expect-error: TSxxxx <fragment>"`);
    // An error is its first line (file(line,col): error TSxxxx: ...) plus its indented detail lines.
    const errors = output.split(/\n(?=\S)/).filter((block) => block.includes(`compile-fail/${fixture}(`));
    assert.ok(errors.length > 0, `${fixture} compiled without errors`);
    assert.equal(errors.length, 1, `${fixture}: expected exactly one error, got:\n${errors.join('\n')}`);
    assert.match(errors[0]!, new RegExp(`error ${m[1]}: `), errors[0]);
    assert.ok(errors[0]!.replace(/\s+/g, ' ').includes(m[2]!), `${fixture}: expected "${m[2]}" in:\n${errors[0]}`);
    assert.ok(errors[0]!.includes(`compile-fail/${fixture}(${marked},`), `${fixture}: expected the error on line ${marked}, got:\n${errors[0]}`);
  });
}
