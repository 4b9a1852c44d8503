/**
 * The round-trip property of src/emit/yaml.ts: whatever strings a document holds, in whatever
 * position (keys, values, list items, inside intrinsic arguments), the YAML berth writes reads
 * back as exactly that document through three loaders: cfn-lint's own (libyaml, YAML 1.1), the
 * one `aws cloudformation package` parses templates with (pure-Python PyYAML, YAML 1.1), and
 * js-yaml (YAML 1.2). Characters a template cannot carry are a located build error instead.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { BerthError } from '../src/dsl/errors.ts';
import { Intrinsic, type IntrinsicName } from '../src/dsl/intrinsic.ts';
import { toPlain } from '../src/emit/plain.ts';
import { SHORT_TAGS, toYaml } from '../src/emit/yaml.ts';
import { PYTHON, ROOT } from './_helpers.ts';
import { HARD } from './_yaml-cases.ts';

/** js-yaml with CloudFormation's tags read straight into the long form (`{ Ref: x }`). */
const LONG_FORM_SCHEMA = yaml.DEFAULT_SCHEMA.extend(
  Object.entries(SHORT_TAGS).flatMap(([long, tag]) =>
    (['scalar', 'sequence', 'mapping'] as const).map((kind) => new yaml.Type(tag, { kind, construct: (data: unknown) => ({ [long]: data }) })),
  ),
);

interface Loaded {
  readonly value?: unknown;
  readonly error?: string;
}

/** Each text through cfn-lint's and the AWS CLI's loaders, in one Python process. */
function loadWithAwsTools(texts: readonly string[]): { cfnlint: Loaded; awscli: Loaded }[] {
  const out = execFileSync(PYTHON, [join(ROOT, 'test', '_yaml_loaders.py')], { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  return JSON.parse(out);
}

/**
 * Every document and text the tests below check, read by the Python loaders in one process
 * (starting Python with cfn-lint and the AWS CLI costs a second or more, the parsing little).
 */
const cases: { readonly name: string; readonly docs: readonly unknown[]; readonly texts: readonly string[] }[] = [];
let loaded: Map<string, { cfnlint: Loaded; awscli: Loaded }[]> | undefined;

function register(name: string, docs: readonly unknown[], texts = docs.map((d) => toYaml(d))): void {
  cases.push({ name, docs, texts });
}

function pythonLoads(name: string): { cfnlint: Loaded; awscli: Loaded }[] {
  if (!loaded) {
    const all = loadWithAwsTools(cases.flatMap((c) => c.texts));
    loaded = new Map();
    let at = 0;
    for (const c of cases) {
      loaded.set(c.name, all.slice(at, at + c.texts.length));
      at += c.texts.length;
    }
  }
  return loaded.get(name)!;
}

/** Reads each registered document back with the three loaders and compares with the document. */
function assertRoundTrips(name: string): void {
  const { docs, texts } = cases.find((c) => c.name === name)!;
  const fromPython = pythonLoads(name);
  docs.forEach((doc, i) => {
    const expected = toPlain(doc);
    const text = texts[i]!;
    const context = `document ${i}: ${JSON.stringify(doc).slice(0, 300)}\nYAML:\n${text.slice(0, 1500)}`;
    assert.deepEqual(fromPython[i]!.cfnlint, { value: expected }, `cfn-lint's loader, ${context}`);
    assert.deepEqual(fromPython[i]!.awscli, { value: expected }, `the AWS CLI's loader, ${context}`);
    assert.deepEqual(yaml.load(text, { schema: LONG_FORM_SCHEMA }), expected, `js-yaml, ${context}`);
  });
}

/** A small deterministic generator (mulberry32), so a failure reproduces from its index. */
function generator(seed: number) {
  let state = seed;
  const random = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const ALPHABET = ['a', 'Z', '0', '9', ' ', ' ', ':', '#', '-', '?', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', "'", '"', '%', '@', '`', '\n', '\n', '\t', '\r', '\\', '.', '_', '/', '=', '<', '$', 'é', '\u00a0', '\u0085', '\u2028', '\ufeff', '😀'];
  const str = (): string => (random() < 0.6 ? pick(HARD) : Array.from({ length: Math.floor(random() * 10) }, () => pick(ALPHABET)).join(''));
  const NUMBERS = [0, -0, 1, -1, 42, 3.5, -2.25, 1e21, 1e-7, 123456789012];
  const FUNCTIONS = Object.keys(SHORT_TAGS) as IntrinsicName[];
  const intrinsic = (depth: number): Intrinsic => {
    const fn = pick(FUNCTIONS);
    const r = random();
    // Scalar, list and mapping arguments, and an intrinsic inside an intrinsic (the long form).
    const args = r < 0.3 ? str() : r < 0.6 ? Array.from({ length: 1 + Math.floor(random() * 3) }, () => value(depth + 1)) : r < 0.8 ? map(depth + 1) : intrinsic(depth + 1);
    // GetAtt's argument is a pair of names (a scalar would be split at its first dot, by design).
    return new Intrinsic(fn, fn === 'Fn::GetAtt' ? [str(), str()] : args);
  };
  const map = (depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < 1 + Math.floor(random() * 4); i++) out[random() < 0.02 ? 'k'.repeat(1030) : str()] = value(depth + 1);
    return out;
  };
  const value = (depth: number): unknown => {
    const r = random();
    if (depth > 3 || r < 0.35) return str();
    if (r < 0.42) return pick(NUMBERS);
    if (r < 0.46) return pick([true, false, null]);
    if (r < 0.5) return random() < 0.5 ? [] : {};
    if (r < 0.7) return intrinsic(depth);
    if (r < 0.82) return Array.from({ length: 1 + Math.floor(random() * 4) }, () => value(depth + 1));
    return map(depth);
  };
  return { document: () => map(0) };
}

register(
  'hard',
  HARD.map((s, i) => ({
    [s]: s,
    value: s,
    list: [s, [s], { [s]: [s] }],
    nested: { deeper: { [s]: { list: [{ [s]: s }] } } },
    sub: new Intrinsic('Fn::Sub', s),
    subWithVariables: new Intrinsic('Fn::Sub', [s, { [s.replace(/\W/g, '') || 'V']: s }]),
    join: new Intrinsic('Fn::Join', [s, [s, new Intrinsic('Ref', s)]]),
    getAtt: new Intrinsic('Fn::GetAtt', [s, s]),
    getAttNames: new Intrinsic('Fn::GetAtt', [`R${i}`, s]),
    if: new Intrinsic('Fn::If', [s, { [s]: s }, [s]]),
    base64: new Intrinsic('Fn::Base64', new Intrinsic('Fn::Sub', s)),
    not: new Intrinsic('Fn::Not', [new Intrinsic('Fn::Equals', [s, new Intrinsic('Condition', s)])]),
    toJson: new Intrinsic('Fn::ToJsonString', { [s]: [s, 1, true, null] }),
  })),
);
test('every hard string round-trips in every position: key, value, list item, intrinsic arguments, GetAtt names, nested', () => assertRoundTrips('hard'));

const random = generator(0x6265_7274);
register('random', Array.from({ length: 400 }, () => random.document()));
test('400 random documents of hard strings, numbers, nesting and all 25 intrinsic functions round-trip', () => assertRoundTrips('random'));

// The old writer's text rewrite (`!GetAtt A.B` to `!GetAtt [A, B]`) applied to a literal block,
// and a YAML 1.1 boolean that lost its quotes: what the property must catch.
const rewrittenDoc = { UserData: 'x\n!GetAtt A.B\n' };
register('can fail', [rewrittenDoc, { A: 'Yes' }], [toYaml(rewrittenDoc).replace(/!GetAtt ([A-Za-z0-9]+)\.([A-Za-z0-9.]+)$/gm, '!GetAtt [$1, $2]'), toYaml({ A: 'Yes' }).replace("'Yes'", 'Yes')]);
test('the property test can fail: a string rewritten after writing, a boolean unquoted', () => {
  const [rewritten, unquoted] = pythonLoads('can fail');
  assert.notDeepEqual(rewritten!.cfnlint, { value: rewrittenDoc });
  assert.notDeepEqual(rewritten!.awscli, { value: rewrittenDoc });
  assert.notDeepEqual(yaml.load(cases.find((c) => c.name === 'can fail')!.texts[0]!, { schema: LONG_FORM_SCHEMA }), rewrittenDoc);
  assert.deepEqual(unquoted!.cfnlint, { value: { A: true } });
  assert.deepEqual(unquoted!.awscli, { value: { A: true } });
});

const NOT_CARRIED: readonly [string, string][] = [
  ['\u0000', 'U+0000 (a control character)'],
  ['\u0001', 'U+0001 (a control character)'],
  ['\u0008', 'U+0008 (a control character)'],
  ['\u000b', 'U+000B (a control character)'],
  ['\u000c', 'U+000C (a control character)'],
  ['\u001b', 'U+001B (a control character)'],
  ['\u001f', 'U+001F (a control character)'],
  ['\u007f', 'U+007F (a control character)'],
  ['\u0080', 'U+0080 (a control character)'],
  ['\u009f', 'U+009F (a control character)'],
  ['\ud800', 'U+D800 (half of a surrogate pair)'],
  ['\udfff', 'U+DFFF (half of a surrogate pair)'],
  ['\ufffe', 'U+FFFE (a Unicode non-character)'],
  ['\uffff', 'U+FFFF (a Unicode non-character)'],
];

function failsToEmit(doc: unknown, where: string, problem: RegExp): void {
  assert.throws(
    () => toYaml(doc, { where: 'dev/network.yaml' }),
    (e: unknown) => {
      assert.ok(e instanceof BerthError, String(e));
      assert.equal(e.where, where);
      assert.match(e.problem, problem);
      assert.doesNotMatch(e.message, /\n/, 'one line');
      return true;
    },
  );
}

test('fails when a string holds a character CloudFormation cannot carry, naming the file, the path and the character, in every position', () => {
  for (const [c, name] of NOT_CARRIED) {
    const s = `ab${c}cd`;
    const problem = new RegExp(`holds ${name.replace(/[()+]/g, '\\$&')} at index 2, which a CloudFormation template cannot carry\\. Remove it or replace it`);
    failsToEmit({ Resources: { Topic: { Properties: { DisplayName: s } } } }, 'dev/network.yaml: Resources.Topic.Properties.DisplayName', problem);
    failsToEmit({ Resources: { Topic: { Properties: { Tags: [{ Key: 'k', Value: s }] } } } }, 'dev/network.yaml: Resources.Topic.Properties.Tags[0].Value', problem);
    failsToEmit({ Mappings: { [s]: { a: 'b' } } }, 'dev/network.yaml: Mappings', new RegExp(`^the key .*${problem.source}`));
    failsToEmit({ Outputs: { X: { Value: new Intrinsic('Fn::Join', ['', ['a', new Intrinsic('Fn::Sub', s)]]) } } }, 'dev/network.yaml: Outputs.X.Value.Fn::Join[1][1].Fn::Sub', problem);
    failsToEmit({ List: [1, s] }, 'dev/network.yaml: List[1]', problem);
  }
  assert.throws(() => toYaml({ a: 'b' }, { where: 'dev/x.yaml', header: ['ok', 'bad\u0000'] }), /^BerthError: dev\/x\.yaml: header: the header line .* holds U\+0000/);
  assert.throws(() => toYaml({ a: 'b' }, { where: 'dev/x.yaml', header: ['two\nlines'] }), /dev\/x\.yaml: the header line `"two\\nlines"` holds a line break/);
});

test('fails when a number is not finite, or a value is not JSON data, naming the path', () => {
  for (const n of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    failsToEmit({ Resources: { Asg: { Properties: { MaxSize: n } } } }, 'dev/network.yaml: Resources.Asg.Properties.MaxSize', new RegExp(`^is ${n}, which a template cannot hold: .*no NaN or Infinity\\. Use a finite number`));
  }
  failsToEmit({ When: new Date(0) }, 'dev/network.yaml: When', /^is a Date, which a template cannot hold\. Expected a string, number, boolean, null, list, mapping or intrinsic/);
  failsToEmit({ M: new Map() }, 'dev/network.yaml: M', /^is a Map,/);
  failsToEmit({ F: [() => 1] }, 'dev/network.yaml: F[0]', /^is a function,/);
  failsToEmit({ B: 1n }, 'dev/network.yaml: B', /^is a bigint,/);
  failsToEmit({ S: Symbol('s') }, 'dev/network.yaml: S', /^is a symbol,/);
  failsToEmit({ 'odd key': { x: new Set() } }, 'dev/network.yaml: "odd key".x', /^is a Set,/);
  failsToEmit(new Intrinsic('Fn::Sub', [1n]), 'dev/network.yaml: Fn::Sub[0]', /^is a bigint/);
  failsToEmit({ E: new (class Error2 {})() }, 'dev/network.yaml: E', /^is an Error2,/);
  // An intrinsic from a second copy of the DSL (the estate importing another checkout's src/dsl/).
  const Copy = { Intrinsic: class Intrinsic { fn = 'Ref'; args = 'Vpc'; } }.Intrinsic;
  failsToEmit({ Value: new Copy() }, 'dev/network.yaml: Value', /^is an intrinsic from another copy of berth's DSL: .*Run the CLI of the same checkout as the estate\.$/);
  // Without a file, messages say `template`.
  assert.throws(() => toYaml({ x: Number.NaN }), /^BerthError: template: x: is NaN/);
  // Plain objects without a prototype are data.
  assert.equal(toYaml(Object.assign(Object.create(null), { a: 'b' })), 'a: b\n');
});
