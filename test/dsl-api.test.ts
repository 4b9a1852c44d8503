/**
 * The DSL as a deliberate public API: one entry module for stack authors with no internals in it,
 * documented functions, generated resource types that are current and carry AWS's documentation,
 * outputs exported only by top-level stacks, and build errors that name the author's line from
 * source and from the compiled bundle `make build` runs.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import * as dsl from '../src/dsl/index.ts';
import { GENERATED_FILE, generate } from '../scripts/gen-types.ts';
import { bundle, lineSources } from '../scripts/bundle.ts';
import { estate } from '../templates/estate.ts';
import { ROOT, run, tempDir } from './_helpers.ts';

const INDEX = 'src/dsl/index.ts';

function tsFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

test('templates/, bench/ and the fixture estates import the DSL only through its entry module', () => {
  const bad: string[] = [];
  for (const file of [...tsFiles('templates'), ...tsFiles('bench').filter((f) => !f.includes('node_modules')), ...tsFiles('test/fixtures')]) {
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/from '(\.{1,2}\/[^']+)'/g)) {
      const target = relative(ROOT, resolve(dirname(join(ROOT, file)), m[1]!));
      if (target.startsWith('src/dsl/') && target !== INDEX) bad.push(`${file} imports ${target}`);
    }
  }
  assert.deepEqual(bad, []);
});

test('the entry module only re-exports, and keeps internals and constructors out', () => {
  const code = readFileSync(join(ROOT, INDEX), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const rest = code.replace(/export (?:type )?(?:\{[^}]*\}|\*) from '[^']+';/g, '').trim();
  assert.equal(rest, '', `${INDEX} holds something besides re-exports`);
  const exported = Object.keys(dsl);
  for (const internal of ['walk', 'subPlaceholders', 'isPseudoParameter', 'parameterDeclaration', 'captureSite', 'describeSite', 'located', 'checkCount', 'checkLogicalId', 'checkBodySize', 'LANGUAGE_EXTENSION_FUNCTIONS']) {
    assert.ok(!exported.includes(internal), `${internal} is exported by ${INDEX}`);
  }
  // Handles and intrinsics come from templates and functions: their classes are types only.
  for (const cls of ['Intrinsic', 'Resource', 'UntypedResource', 'Parameter', 'Condition', 'Mapping']) {
    assert.ok(!exported.includes(cls), `${cls} is a value export of ${INDEX}`);
  }
  for (const api of ['contract', 'defineStack', 'nest', 'synthesize', 'parameter', 'output', 'Template', 'sub', 'Sub', 'If', 'Join', 'AWS', 'RETAIN', 'BerthError']) {
    assert.ok(exported.includes(api), `${api} is missing from ${INDEX}`);
  }
});

/**
 * The JSDoc block right before a declaration of `name` in `file`: `export function name`,
 * `export class name`, or a method `Class.name` (`name(` or `name<` after `export class Class`).
 */
function jsDoc(file: string, name: string): string {
  const [owner, member] = name.includes('.') ? name.split('.') : [undefined, name];
  const source = readFileSync(join(ROOT, file), 'utf8');
  const from = owner ? source.indexOf(`export class ${owner}`) : 0;
  const declaration = owner
    ? new RegExp(`\\/\\*\\*((?:(?!\\*\\/)[\\s\\S])*)\\*\\/\\s*${member}[<(]`)
    : new RegExp(`\\/\\*\\*((?:(?!\\*\\/)[\\s\\S])*)\\*\\/\\s*export (?:function|class) ${member}\\b`);
  return declaration.exec(source.slice(from))?.[1] ?? '';
}

test('defineStack, nest, Template and its methods, and every intrinsic have JSDoc with an example', () => {
  const wanted: Record<string, readonly string[]> = {
    'src/dsl/stack.ts': ['contract', 'defineStack', 'nest', 'synthesize'],
    'src/dsl/parameter.ts': ['parameter'],
    'src/dsl/output.ts': ['output'],
    'src/dsl/template.ts': ['Template', 'Template.parameter', 'Template.resource', 'Template.untypedResource', 'Template.condition', 'Template.mapping', 'Template.rule', 'Template.output'],
    'src/dsl/resource.ts': ['Resource.getAtt', 'Resource.override'],
    'src/dsl/mapping.ts': ['Mapping.find', 'FindInMap'],
    'src/dsl/intrinsic.ts': ['sub', 'Sub', 'Join', 'Select', 'Split', 'GetAZs', 'Cidr', 'If', 'Equals', 'And', 'Or', 'Not', 'ImportValue', 'Base64', 'Length', 'ToJsonString', 'Contains', 'EachMemberEquals', 'RefAll', 'ValueOf'],
  };
  const missing: string[] = [];
  for (const [file, names] of Object.entries(wanted)) {
    for (const name of names) {
      const call = name.split('.').at(-1)!;
      const doc = jsDoc(file, name);
      // An example shows the function or method in use: `name(...)` or sub`...` (not `Fn::Name`).
      if (!new RegExp(`(^|[^:\\w])${call}[(\`<]`, 'm').test(doc)) missing.push(`${file}: ${name}`);
    }
  }
  assert.deepEqual(missing, []);
});

test('the generated resource types are current (make types) and document every property with AWS\'s text and a link', () => {
  const committed = readFileSync(join(ROOT, GENERATED_FILE), 'utf8');
  assert.equal(committed, generate(), 'run `make types`');
  const members = [...committed.matchAll(/^( {2}\/\*\*\n(?: {3}\*.*\n)+ {3}\*\/\n)?^ {2}readonly (\w+)\??: /gm)];
  assert.ok(members.length > 1000, `${members.length} properties`);
  const undocumented = members.filter((m) => !m[1]?.includes('@see https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-')).map((m) => m[2]);
  // Tag's Key and Value are berth's own, not the spec's.
  assert.deepEqual(undocumented, ['Key', 'Value']);
  // AWS's first paragraph whole, not its first sentence; where the spec relates a property to a
  // resource type, only that identifier kind goes.
  assert.match(committed, /The ID of the VPC the subnet is in\.\n {3}\* @see https:\/\/docs\.aws\.amazon\.com\/AWSCloudFormation\/latest\/UserGuide\/aws-resource-ec2-subnet\.html#cfn-ec2-subnet-vpcid\n {3}\*\/\n {2}readonly VpcId: KindValue<"AWS::EC2::VPC::Id">;/);
  assert.match(committed, /readonly Subnets\?: ListValue<KindValue<"AWS::EC2::Subnet::Id">>;/);
  assert.match(committed, /The maximum value that you plan to scale out to\. When a scaling policy is in effect, Application\n {3}\* Auto Scaling can scale out/);
});

test('only top-level stacks export outputs: nested stacks get generated names nobody can import by', () => {
  for (const env of estate.environments) {
    for (const top of estate.synthesize(env)) {
      for (const nested of dsl.flatten(top.children)) {
        const outputs = (nested.toJSON().Outputs ?? {}) as Record<string, { Export?: unknown }>;
        assert.deepEqual(Object.entries(outputs).filter(([, o]) => o.Export).map(([id]) => id), [], `${env}/${nested.file}`);
      }
    }
  }
});

const MINI = 'test/fixtures/mini-estate/estate.ts';
const MISTAKE = readFileSync(join(ROOT, MINI), 'utf8').split('\n').findIndex((l) => l.includes("t.resource('Mirror'")) + 1;
const LOCATED = new RegExp(`^error: ${MINI.replaceAll('.', '\\.')}:${MISTAKE}:\\d+: root\\.yaml: resource \`Mirror\`, property \`DisplayName\` refers to a handle of template \`queues\`\\.`);

test('a build error names the author\'s TypeScript line, from source and from the compiled bundle', async () => {
  const out = tempDir('located');
  try {
    const env = { BERTH_FIXTURE_VARIANT: 'broken' };
    const fromSource = run(ROOT, [process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'build', '--estate', MINI, '--out', out], env);
    assert.equal(fromSource.status, 1, fromSource.stderr);
    assert.match(fromSource.stderr, LOCATED);
    assert.equal(fromSource.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
    // The bundle maps its frames back to the sources through the source map written beside it.
    const launcher = await bundle({ estate: join(ROOT, MINI), out: join(out, 'dist', 'berth.cjs') });
    const fromBundle = run(ROOT, [process.execPath, launcher, 'build', '--estate', MINI, '--out', join(out, 'o')], env);
    assert.equal(fromBundle.status, 1, fromBundle.stderr);
    assert.match(fromBundle.stderr, LOCATED);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the bundle\'s line index names the source of each line as its source map does, and defers to the map where a line has two', () => {
  const dir = tempDir('lines');
  const bundled = join(dir, 'bundle.cjs');
  // Line 1 from a.ts, line 2 generated, line 3 from a.ts (columns 0-4) then b.ts, line 4 from b.ts.
  const map = { version: 3, sources: ['src/a.ts', 'src/b.ts'], names: [], mappings: 'AAAA;;AAEA,KCAA;AAEA' };
  const index = lineSources(map);
  assert.deepEqual(index, { sources: ['src/a.ts', 'src/b.ts'], lines: [[1, 0], [2, -1], [3, -2], [4, 1]] });
  writeFileSync(bundled, '');
  writeFileSync(`${bundled}.map`, JSON.stringify(map));
  writeFileSync(`${bundled}.lines.json`, JSON.stringify(index));
  const [a, b] = [join(dir, 'src/a.ts'), join(dir, 'src/b.ts')];
  assert.deepEqual([1, 2, 4, 9].map((line) => dsl.sourceFile(bundled, line, 1)), [a, undefined, b, b]);
  assert.deepEqual([dsl.sourceFile(`file://${bundled}`, 3, 2), dsl.sourceFile(bundled, 3, 7)], [a, b], 'the source map answers for the shared line');
  // The real bundle: on every line the index gives a source, Node's own source map decoder agrees.
  const real = JSON.parse(readFileSync(join(ROOT, 'dist/berth.bundle.cjs.map'), 'utf8')) as ConstructorParameters<typeof SourceMap>[0];
  const decoded = new SourceMap(real);
  const { sources, lines } = JSON.parse(readFileSync(join(ROOT, 'dist/berth.bundle.cjs.lines.json'), 'utf8')) as ReturnType<typeof lineSources>;
  const total = readFileSync(join(ROOT, 'dist/berth.bundle.cjs'), 'utf8').split('\n').length;
  let checked = 0;
  lines.forEach(([from, source], i) => {
    for (let line = from; source >= 0 && line < (lines[i + 1]?.[0] ?? total + 1); line += 1, checked += 1) {
      const entry = decoded.findEntry(line - 1, 1e6) as { originalSource?: string };
      assert.ok(entry.originalSource?.endsWith(sources[source]!.replace(/^(\.\.\/)+/, '')), `line ${line}: ${entry.originalSource} is not ${sources[source]}`);
    }
  });
  assert.ok(checked > 10_000, `${checked} lines checked`);
});

test('a module of the estate imported dynamically is refused when compiling, naming the file, with no stack trace', () => {
  // The compiled CLI resolves a dynamic import at run time, beside dist/: the module would be missing there.
  const dir = tempDir('dynamic-import');
  try {
    writeFileSync(join(dir, 'estate.ts'), `export { estate } from ${JSON.stringify(join(ROOT, MINI))};\nexport async function later(): Promise<unknown> {\n  return await import('./later.ts');\n}\n`);
    writeFileSync(join(dir, 'later.ts'), 'export const later = 1;\n');
    const r = run(ROOT, [process.execPath, '--import', 'tsx', 'scripts/bundle.ts', '--estate', join(dir, 'estate.ts'), '--out', join(dir, 'dist', 'berth.cjs')]);
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /\[ERROR\] \S*dynamic-import-\w+\/estate\.ts: `await import\('\.\/later\.ts'\)` would not be compiled in \(the compiled CLI would not find it\): import the module statically/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
