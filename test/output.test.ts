/**
 * The committed output/: stale check, determinism, console readiness, and that cfn-lint can fail.
 * The five gates over output/ are `make check`'s lint step (and test/lint-main.test.ts in berth's
 * own suite), so they run once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { LIMITS } from '../src/dsl/limits.ts';
import { emitEnvironment } from '../src/emit/output.ts';
import { CFN_SCHEMA } from '../src/emit/yaml.ts';
import { estate } from '../templates/estate.ts';
import { berth, ROOT, tempDir } from './_helpers.ts';

const OUTPUT = join(ROOT, 'output');
const files = estate.environments.flatMap((env) => readdirSync(join(OUTPUT, env)).filter((f) => f.endsWith('.yaml')).map((f) => join(env, f)));

for (const env of estate.environments) {
  for (const emitted of emitEnvironment(estate, env)) {
    test(`golden: output/${env}/${emitted.file} matches a fresh build`, () => {
      assert.equal(readFileSync(join(OUTPUT, env, emitted.file), 'utf8'), emitted.text, 'stale output: run `make build` and commit output/');
    });
  }
}

test('`berth build --check` passes on the committed output/ (nothing stale, missing or extra)', () => {
  const r = berth(ROOT, 'build', '--check');
  assert.equal(r.status, 0, r.stderr);
});

test('two builds are byte-identical', () => {
  const a = tempDir('a');
  const b = tempDir('b');
  assert.equal(berth(ROOT, 'build', '--quiet', '--out', a).status, 0);
  assert.equal(berth(ROOT, 'build', '--quiet', '--out', b).status, 0);
  for (const f of files) assert.equal(readFileSync(join(a, f), 'utf8'), readFileSync(join(b, f), 'utf8'), f);
});

test('every template deploys from the console on its own: small enough, parameters defaulted or pickers (or, in overview.yaml, wired by the layered deploy), grouped and labelled', () => {
  for (const f of files) {
    const text = readFileSync(join(OUTPUT, f), 'utf8');
    // The console's "Upload a template file" stores the file in S3 first: the 1 MB limit binds (src/dsl/limits.ts).
    assert.ok(Buffer.byteLength(text) <= LIMITS.s3Bytes, `${f} is ${Buffer.byteLength(text)} bytes`);
    const doc = yaml.load(text, { schema: CFN_SCHEMA }) as Record<string, any>;
    const params = (doc.Parameters ?? {}) as Record<string, { Type: string; Default?: unknown; Description?: string }>;
    const iface = doc.Metadata?.['AWS::CloudFormation::Interface'];
    const grouped = new Set((iface?.ParameterGroups ?? []).flatMap((g: { Parameters: string[] }) => g.Parameters));
    // overview.yaml is the last layer of an estate deployed in layers (docs/many-accounts.md#layers):
    // its parameters are the service stacks' outputs, which scripts/deploy.sh passes as its
    // `berth:layer-wiring` Metadata names them; it has no value of its own to default to.
    const wired = (doc.Metadata?.['berth:layer-wiring'] ?? {}) as Record<string, unknown>;
    for (const [name, p] of Object.entries(params)) {
      assert.ok(p.Default !== undefined || /^(List<)?AWS::/.test(p.Type) || name in wired, `${f}: parameter ${name} has no default, is not an AWS picker type and is not wired by the deploy`);
      assert.ok(p.Description, `${f}: parameter ${name} has no Description`);
      assert.ok(grouped.has(name), `${f}: parameter ${name} is in no console group`);
      assert.ok(iface.ParameterLabels[name]?.default, `${f}: parameter ${name} has no label`);
    }
  }
});

test('every default satisfies its own constraints, so the console form submits with all defaults', () => {
  for (const f of files) {
    const doc = yaml.load(readFileSync(join(OUTPUT, f), 'utf8'), { schema: CFN_SCHEMA }) as Record<string, any>;
    for (const [name, p] of Object.entries((doc.Parameters ?? {}) as Record<string, any>)) {
      if (p.Default === undefined || String(p.Type).startsWith('AWS::SSM::')) continue;
      // For a CommaDelimitedList, CloudFormation applies AllowedPattern to each element.
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
      const values = p.Type === 'CommaDelimitedList' ? String(p.Default).split(',') : [String(p.Default)];
      for (const v of values) {
        const where = `${f}: parameter ${name} default ${JSON.stringify(v)}`;
        if (p.AllowedValues) assert.ok(p.AllowedValues.map(String).includes(v), `${where} is not in AllowedValues`);
        if (p.AllowedPattern) assert.match(v, new RegExp(`^(?:${p.AllowedPattern})$`), `${where} does not match AllowedPattern`);
        if (p.MinLength !== undefined) assert.ok(v.length >= p.MinLength, `${where} is shorter than MinLength`);
        if (p.MaxLength !== undefined) assert.ok(v.length <= p.MaxLength, `${where} is longer than MaxLength`);
        if (p.MinValue !== undefined) assert.ok(Number(v) >= p.MinValue, `${where} is below MinValue`);
        if (p.MaxValue !== undefined) assert.ok(Number(v) <= p.MaxValue, `${where} is above MaxValue`);
      }
    }
  }
});

test('cfn-lint does report a finding on a broken template (the gate can fail)', () => {
  const dir = tempDir('lint');
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Unused:\n    Type: String\nResources:\n  Topic:\n    Type: AWS::SNS::Topic\n    Properties:\n      DisplayNam: x\n");
  const r = spawnSync(join(ROOT, '.venv/bin/cfn-lint'), ['-c', 'I', '--format', 'parseable', '--', bad], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stdout, /E3002/); // additional property DisplayNam
  assert.match(r.stdout, /W2001/); // unused parameter
});

