/**
 * src/settings/json.ts and the settings file's text (src/settings/loader.ts): JSON read strictly,
 * every mistake one located line with the offending line and a hint that fits it.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { parseJson } from '../src/settings/json.ts';
import { SettingsLoader } from '../src/settings/loader.ts';
import { tempDir } from './_helpers.ts';

function fails(text: string, where: string, problem: string): void {
  assert.throws(
    () => parseJson(text, 'dev.json'),
    (e: unknown) => {
      assert.ok(e instanceof BerthError, String(e));
      assert.equal(e.where, where, text);
      assert.equal(e.problem, problem, text);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    },
  );
}

test('reads JSON: objects, arrays, strings with every escape, numbers, literals, whitespace', () => {
  assert.deepEqual(parseJson(' {\r\n\t"a": [1, -2, 3.5, -0.25, 1e3, 2E-2, 0, -0],\n "b": {"c": true, "d": false, "e": null},\n "f": "x\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u2028", "g": [], "h": {}, "é😀": "日本"} ', 'f'), {
    a: [1, -2, 3.5, -0.25, 1000, 0.02, 0, -0],
    b: { c: true, d: false, e: null },
    f: 'x"\\/\b\f\n\r\t\u00e9\u2028',
    g: [],
    h: {},
    'é😀': '日本',
  });
  assert.equal(parseJson('"top"', 'f'), 'top');
  assert.equal(parseJson('12', 'f'), 12);
  assert.deepEqual(parseJson('[[[]]]', 'f'), [[[]]]);
});

test('a UTF-8 byte-order mark at the start is skipped; elsewhere it is named', () => {
  assert.deepEqual(parseJson('\ufeff{"a": 1}', 'f'), { a: 1 });
  fails('\ufeff{"a": 1,\n "b" \ufeff: 2}', 'dev.json:2:6', 'is not valid JSON: U+FEFF where `:` after the key `"b"` should be, in line 2: `"b" \ufeff: 2}`. A byte-order mark belongs only at the start of the file: remove it.');
  // Columns on the first line count the mark, as editors show it.
  fails('\ufeff{"a": 1,}', 'dev.json:1:10', 'is not valid JSON: a comma before `}`, in line 1: `{"a": 1,}`. JSON allows no comma after the last entry: remove it.');
});

test('a key given twice is an error naming the field and both lines (JSON.parse keeps the last, silently)', () => {
  fails('{\n  "name": "dev",\n  "name": "prod"\n}', 'dev.json:3:3: name', 'is given twice (first at line 2); JSON would keep only the last one, silently. Remove one of them.');
  fails('{"network": {"a": 1,\n "vpcCidr": "x",\n\n "vpcCidr": "y"}}', 'dev.json:4:2: network.vpcCidr', 'is given twice (first at line 2); JSON would keep only the last one, silently. Remove one of them.');
  fails('{"list": [{"k": 1}, {"k": 1, "k": 2}]}', 'dev.json:1:30: list[1].k', 'is given twice (first at line 1); JSON would keep only the last one, silently. Remove one of them.');
  // Equal keys in different objects are fine, and so is __proto__, which is data here.
  assert.deepEqual(parseJson('{"a": {"k": 1}, "b": {"k": 2}}', 'f'), { a: { k: 1 }, b: { k: 2 } });
  const proto = parseJson('{"__proto__": {"polluted": true}}', 'f') as Record<string, unknown>;
  assert.deepEqual(Object.keys(proto), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('syntax errors: line:column, the line, and a hint that fits the mistake', () => {
  const cases: [string, string, string][] = [
    ['', 'dev.json:1:1', 'is not valid JSON: the file is empty, in line 1: `(empty)`. Write the settings as one JSON object: `{ "name": ... }`.'],
    ['  \n ', 'dev.json:2:2', 'is not valid JSON: the file is empty, in line 2: `(empty)`. Write the settings as one JSON object: `{ "name": ... }`.'],
    ['{"a": 1,\n}', 'dev.json:2:1', 'is not valid JSON: a comma before `}`, in line 2: `}`. JSON allows no comma after the last entry: remove it.'],
    ['{"a": [1, 2, ]}', 'dev.json:1:14', 'is not valid JSON: a comma before `]`, in line 1: `{"a": [1, 2, ]}`. JSON allows no comma after the last item: remove it.'],
    ['{"a": 1\n "b": 2}', 'dev.json:2:2', 'is not valid JSON: `"` where `,` or `}` after the entry should be, in line 2: `"b": 2}`. A comma is missing after the entry that ends before it: add `,`.'],
    ['{"a": [1 2]}', 'dev.json:1:10', 'is not valid JSON: `2` where `,` or `]` after the item should be, in line 1: `{"a": [1 2]}`. A comma is missing after the item that ends before it: add `,`.'],
    ['{"a": [{} {}]}', 'dev.json:1:11', 'is not valid JSON: `{` where `,` or `]` after the item should be, in line 1: `{"a": [{} {}]}`. A comma is missing after the item that ends before it: add `,`.'],
    ["{'a': 1}", 'dev.json:1:2', "is not valid JSON: `'` where a key in double quotes should be, in line 1: `{'a': 1}`. JSON strings and keys take double quotes: replace `'` with `\"`."],
    ['{"a": \'x\'}', 'dev.json:1:7', "is not valid JSON: `'` where a value should be, in line 1: `{\"a\": 'x'}`. JSON strings and keys take double quotes: replace `'` with `\"`."],
    ['{a: 1}', 'dev.json:1:2', 'is not valid JSON: `a` where a key in double quotes should be, in line 1: `{a: 1}`. Keys take double quotes in JSON: write `"a"`.'],
    ['{"a": single}', 'dev.json:1:7', 'is not valid JSON: `single` where a value should be, in line 1: `{"a": single}`. Text values take double quotes in JSON: write `"single"`.'],
    ['{\n  // note\n  "a": 1}', 'dev.json:2:3', 'is not valid JSON: `/` where a key in double quotes should be, in line 2: `// note`. JSON has no comments: remove it.'],
    ['{"a": 1 /* x */}', 'dev.json:1:9', 'is not valid JSON: `/` where `,` or `}` after the entry should be, in line 1: `{"a": 1 /* x */}`. JSON has no comments: remove it.'],
    ['{"a": True}', 'dev.json:1:7', 'is not valid JSON: `True` where a value should be, in line 1: `{"a": True}`. JSON\'s literals are lower-case: write `true`.'],
    ['{"a": None}', 'dev.json:1:7', 'is not valid JSON: `None` where a value should be, in line 1: `{"a": None}`. JSON\'s literals are lower-case: write `null`.'],
    ['{"a": NaN}', 'dev.json:1:7', 'is not valid JSON: `NaN` where a value should be, in line 1: `{"a": NaN}`. JSON has no `NaN`: write a number, or leave the field out.'],
    ['{"a": truex}', 'dev.json:1:7', 'is not valid JSON: `truex` where a value should be, in line 1: `{"a": truex}`. Text values take double quotes in JSON: write `"truex"`.'],
    ['{"a" = 1}', 'dev.json:1:6', 'is not valid JSON: `=` where `:` after the key `"a"` should be, in line 1: `{"a" = 1}`. A key and its value are separated by `:` in JSON.'],
    ['{"a": 1', 'dev.json:1:8', 'is not valid JSON: the file ends where `,` or `}` after the entry should follow (the `{` at 1:1 is not closed), in line 1: `{"a": 1`. Complete the JSON: a closing `}` or `]` is probably missing.'],
    ['{"a": [1,\n', 'dev.json:2:1', 'is not valid JSON: the file ends where a value should follow, in line 2: `(empty)`. Complete the JSON: a closing `}` or `]` is probably missing.'],
    ['{"a": 1}}', 'dev.json:1:9', 'is not valid JSON: more text after the JSON value ends at 1:8, in line 1: `{"a": 1}}`. A settings file holds one object: remove what follows it, or join the two.'],
    ['{"a": "x\n"}', 'dev.json:1:7', 'is not valid JSON: a string that does not end on its line, in line 1: `{"a": "x`. Add the closing `"` (a line break inside a string is written `\\n`).'],
    ['{"a": "x', 'dev.json:1:7', 'is not valid JSON: a string that never ends, in line 1: `{"a": "x`. Add the closing `"`.'],
    ['{"a": "x\ty"}', 'dev.json:1:9', 'is not valid JSON: a raw control character (U+0009) inside a string, in line 1: `{"a": "x\\u0009y"}`. Write it escaped (a tab is `\\t`), or remove it.'],
    ['{"a": "\\x41"}', 'dev.json:1:8', 'is not valid JSON: `\\x` is not a JSON escape, in line 1: `{"a": "\\x41"}`. A backslash is written `\\\\`; JSON escapes are `\\"` `\\\\` `\\/` `\\b` `\\f` `\\n` `\\r` `\\t` `\\uXXXX`.'],
    ['{"a": "\\u12"}', 'dev.json:1:8', 'is not valid JSON: `\\u` is not a JSON escape, in line 1: `{"a": "\\u12"}`. A backslash is written `\\\\`; JSON escapes are `\\"` `\\\\` `\\/` `\\b` `\\f` `\\n` `\\r` `\\t` `\\uXXXX`.'],
    ['{"a": 030}', 'dev.json:1:7', 'is not valid JSON: `030` is not a JSON number, in line 1: `{"a": 030}`. JSON numbers have no leading zeros: remove them.'],
    ['{"a": -01}', 'dev.json:1:7', 'is not valid JSON: `-01` is not a JSON number, in line 1: `{"a": -01}`. JSON numbers have no leading zeros: remove them.'],
    ['{"a": 1.}', 'dev.json:1:7', 'is not valid JSON: `1.` is not a JSON number, in line 1: `{"a": 1.}`. Write digits after the decimal point (`1.0`), or none (`1`).'],
    ['{"a": 1.e5}', 'dev.json:1:7', 'is not valid JSON: `1.e5` is not a JSON number, in line 1: `{"a": 1.e5}`. Write digits after the decimal point (`1.0`), or none (`1`).'],
    ['{"a": .5}', 'dev.json:1:7', 'is not valid JSON: `.5` is not a JSON number, in line 1: `{"a": .5}`. Write a digit before the decimal point: `0.5`.'],
    ['{"a": -.5}', 'dev.json:1:7', 'is not valid JSON: `-.5` is not a JSON number, in line 1: `{"a": -.5}`. Write a digit before the decimal point: `0.5`.'],
    ['{"a": +1}', 'dev.json:1:7', 'is not valid JSON: `+1` is not a JSON number, in line 1: `{"a": +1}`. JSON numbers take no plus sign: remove it.'],
    ['{"a": 1e}', 'dev.json:1:7', 'is not valid JSON: `1e` is not a JSON number, in line 1: `{"a": 1e}`. Write a plain number such as `30`.'],
    ['{"a": -}', 'dev.json:1:7', 'is not valid JSON: `-` is not a JSON number, in line 1: `{"a": -}`. Write a plain number such as `30`.'],
    ['{"a": 1e999}', 'dev.json:1:7', 'is not valid JSON: `1e999` is too large to be a number, in line 1: `{"a": 1e999}`. Use a number within the field\'s range.'],
    ['{"a": \u0001}', 'dev.json:1:7', 'is not valid JSON: U+0001 where a value should be, in line 1: `{"a": \\u0001}`. Expected a value here.'],
    ['{"a": 1, "b": ]}', 'dev.json:1:15', 'is not valid JSON: `]` where a value should be, in line 1: `{"a": 1, "b": ]}`. Expected a value here.'],
  ];
  for (const [text, where, problem] of cases) fails(text, where, problem);
});

test('a long offending line is shown around the mistake, 80 characters at most', () => {
  const line = `{"a": "${'x'.repeat(200)}", "b": 1,}`;
  assert.throws(() => parseJson(line, 'dev.json'), (e: unknown) => {
    assert.ok(e instanceof BerthError);
    const shown = /in line 1: `([^`]*)`/.exec(e.problem)![1]!;
    assert.ok(shown.length <= 80 && shown.endsWith('"b": 1,}'), shown);
    return true;
  });
});

test('a settings file that is not UTF-8, or is UTF-16, is named plainly; one that cannot be read too', () => {
  const dir = tempDir('json');
  const loader = new SettingsLoader<unknown>({ type: 'object' } as never);
  const at = (name: string, bytes: Buffer | string) => {
    writeFileSync(join(dir, name), bytes);
    return join(dir, name);
  };
  assert.throws(() => loader.load(at('latin1.json', Buffer.from('{"a": "caf\xe9"}', 'latin1'))), /latin1\.json: is not UTF-8 text \(byte 0xE9 at offset 10 starts no UTF-8 character\)\. Save it as UTF-8\.$/);
  assert.throws(() => loader.load(at('utf16.json', Buffer.from('\ufeff{}', 'utf16le'))), /utf16\.json: is UTF-16 text \(it starts with a UTF-16 byte-order mark\)\. Save it as UTF-8\.$/);
  assert.throws(() => loader.load(at('utf16be.json', Buffer.from([0xfe, 0xff, 0, 0x7b, 0, 0x7d]))), /utf16be\.json: is UTF-16 text/);
  assert.deepEqual(loader.load(at('bom.json', Buffer.from('\ufeff{"a": 1}', 'utf8'))), { a: 1 });
  assert.throws(() => loader.load(join(dir, 'missing.json')), /missing\.json: cannot read the settings file: it does not exist\. Create it, or pick an existing environment with --env\.$/);
  assert.throws(() => loader.load(dir), /: cannot read the settings file: it is a folder\./);
});
