/**
 * berth's YAML writer: block style, 2-space indent, no line folding, single quotes, YAML 1.1
 * booleans quoted, no anchors, keys in insertion order, and CloudFormation's tags. For plain data
 * it writes exactly the bytes of js-yaml 4's `dump` with those options (test/yaml.test.ts
 * compares the two on thousands of generated documents), in a third of the time: turning the
 * templates into text was half of a build's work, most of it js-yaml's per-node type detection
 * and per-scalar closures. It began as a port of js-yaml's dumper (lib/dumper.js, MIT) reduced to
 * those options.
 *
 * Tags are written as CloudFormation's own templates show them: `!Not` alone on its line when its
 * list follows on the next ones (js-yaml leaves `!Not ` with a trailing space), and a tagged node
 * marked `flow` as a one-line list (`!GetAtt [Vpc, CidrBlock]`). The caller (src/emit/yaml.ts)
 * decides the forms on the tree and hands over only plain data and tagged nodes.
 */
import yaml from 'js-yaml';

/** A tagged node (`!Ref x`): the tag, and the data that follows it. */
export interface TaggedNode {
  readonly tag: string;
  readonly data: unknown;
  /** Write `data`, a list of strings, as a one-line flow list: `!GetAtt [Vpc, CidrBlock]`. */
  readonly flow?: boolean;
}

const INDENT = 2;

const ESCAPES: Readonly<Record<number, string>> = {
  0x00: '\\0',
  0x07: '\\a',
  0x08: '\\b',
  0x09: '\\t',
  0x0a: '\\n',
  0x0b: '\\v',
  0x0c: '\\f',
  0x0d: '\\r',
  0x1b: '\\e',
  0x22: '\\"',
  0x5c: '\\\\',
  0x85: '\\N',
  0xa0: '\\_',
  0x2028: '\\L',
  0x2029: '\\P',
};

/** YAML 1.1 booleans, quoted so PyYAML (cfn-lint) reads them as strings. */
const YAML11_BOOLEANS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);
/** js-yaml's compatibility rule for base-60 numbers (`12:30:00`), broader than YAML 1.1's own. */
const BASE60 = /^[-+]?[0-9_]+(?::[0-9_]+)+(?:\.[0-9_]*)?$/;
const SCIENTIFIC_WITHOUT_DOT = /^[-+]?[0-9]+e/;
/**
 * What YAML 1.1 reads as something other than a string: PyYAML's implicit resolvers (cfn-lint,
 * `aws cloudformation package`) for integers (`9_`, `0b1`, `017`, `1:20`), floats (`1.`, `.5`,
 * `1:20.5`, `.Inf`), timestamps (`2001-12-14 21:59:43.10 -5`), the merge key, `=`, and nulls.
 * js-yaml follows YAML 1.2 and leaves several of these plain; CloudFormation's own parser reads
 * YAML 1.1 (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html).
 * Booleans are YAML11_BOOLEANS above.
 */
export const YAML11_IMPLICIT = new RegExp(
  '^(?:' +
    [
      '[-+]?(?:[0-9][0-9_]*)\\.[0-9_]*(?:[eE][-+][0-9]+)?',
      '\\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?',
      '[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\\.[0-9_]*',
      '[-+]?\\.(?:inf|Inf|INF)',
      '\\.(?:nan|NaN|NAN)',
      '[-+]?0b[0-1_]+',
      '[-+]?0[0-7_]+',
      '[-+]?(?:0|[1-9][0-9_]*)',
      '[-+]?0x[0-9a-fA-F_]+',
      '[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+',
      '<<',
      '=',
      '~|null|Null|NULL',
      '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]',
      '[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?(?:[Tt]|[ \\t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\\.[0-9]*)?(?:[ \\t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?',
    ].join('|') +
    ')$',
);
/** The implicit types of js-yaml's default schema: a plain scalar any of them resolves must be quoted. */
// js-yaml exports its types as `types` (absent from @types/js-yaml).
const TYPES = (yaml as unknown as { types: Record<'null' | 'bool' | 'int' | 'float' | 'timestamp' | 'merge', { resolve(s: string): boolean }> }).types;
const IMPLICIT = [TYPES.null, TYPES.bool, TYPES.int, TYPES.float, TYPES.timestamp, TYPES.merge];
/** Whether a plain scalar `s` would be read as something other than a string, in YAML 1.2 or 1.1. */
const isImplicitlyTyped = (s: string) => YAML11_IMPLICIT.test(s) || IMPLICIT.some((t) => t.resolve(s));
/** Plain for sure: starts with a letter, only letters, digits and `_./:-`, does not end with `:`. */
const SIMPLE = /^[A-Za-z](?:[A-Za-z0-9_./:-]*[A-Za-z0-9_./-])?$/;
/** What a flow list (`[Vpc, CidrBlock]`) may hold. */
export const FLOW_NAME = /^[A-Za-z0-9.]+$/;
const SIMPLE_BUT_TYPED = new Set(['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL']);

const toString = Object.prototype.toString;
const NEWLINES: string[] = [];
const newline = (level: number) => (NEWLINES[level] ??= `\n${' '.repeat(INDENT * level)}`);

function isPrintable(c: number): boolean {
  return (
    (0x20 <= c && c <= 0x7e) ||
    (0xa1 <= c && c <= 0xd7ff && c !== 0x2028 && c !== 0x2029) ||
    (0xe000 <= c && c <= 0xfffd && c !== 0xfeff) ||
    (0x10000 <= c && c <= 0x10ffff)
  );
}

const isWhitespace = (c: number) => c === 0x20 || c === 0x09;
const isNsCharOrWhitespace = (c: number) => isPrintable(c) && c !== 0xfeff && c !== 0x0d && c !== 0x0a;

function isPlainSafe(c: number, prev: number | null, inblock: boolean): boolean {
  const cIsNsCharOrWhitespace = isNsCharOrWhitespace(c);
  const cIsNsChar = cIsNsCharOrWhitespace && !isWhitespace(c);
  return (
    ((inblock ? cIsNsCharOrWhitespace : cIsNsCharOrWhitespace && c !== 0x2c && c !== 0x5b && c !== 0x5d && c !== 0x7b && c !== 0x7d) &&
      c !== 0x23 &&
      !(prev === 0x3a && !cIsNsChar)) ||
    (prev !== null && isNsCharOrWhitespace(prev) && !isWhitespace(prev) && c === 0x23) ||
    (prev === 0x3a && cIsNsChar)
  );
}

/** First character of a plain scalar: printable, not white, not an indicator (`-?:,[]{}#&*!|>'"%@\``). */
function isPlainSafeFirst(c: number): boolean {
  return isPrintable(c) && c !== 0xfeff && !isWhitespace(c) && !'-?:,[]{}#&*!|=>\'"%@`'.includes(String.fromCharCode(c));
}

const isPlainSafeLast = (c: number) => !isWhitespace(c) && c !== 0x3a;

function codePointAt(s: string, i: number): number {
  const first = s.charCodeAt(i);
  if (first >= 0xd800 && first <= 0xdbff && i + 1 < s.length) {
    const second = s.charCodeAt(i + 1);
    if (second >= 0xdc00 && second <= 0xdfff) return (first - 0xd800) * 0x400 + second - 0xdc00 + 0x10000;
  }
  return first;
}

const enum Style {
  Plain,
  Single,
  Literal,
  Double,
}

/** Printable ASCII on one line: no character needs escaping and no block style applies. */
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
/** In printable ASCII, the only sequences a plain scalar cannot hold: ` #` (a comment) and `: ` (a key). */
const NOT_PLAIN_INSIDE = / #|: /;

function chooseStyle(s: string, singleLineOnly: boolean, inblock: boolean): Style {
  if (inblock && PRINTABLE_ASCII.test(s)) {
    // The character loop below, decided by two regular expressions (most strings get here).
    const plain = isPlainSafeFirst(s.charCodeAt(0)) && isPlainSafeLast(s.charCodeAt(s.length - 1)) && !NOT_PLAIN_INSIDE.test(s);
    return plain && !isImplicitlyTyped(s) ? Style.Plain : Style.Single;
  }
  let plain = isPlainSafeFirst(codePointAt(s, 0)) && isPlainSafeLast(codePointAt(s, s.length - 1));
  let hasLineBreak = false;
  let prev: number | null = null;
  let c = 0;
  for (let i = 0; i < s.length; c >= 0x10000 ? (i += 2) : i++) {
    c = codePointAt(s, i);
    if (!singleLineOnly && c === 0x0a) hasLineBreak = true;
    else if (!isPrintable(c)) return Style.Double;
    plain = plain && isPlainSafe(c, prev, inblock);
    prev = c;
  }
  if (!hasLineBreak) return plain && !isImplicitlyTyped(s) ? Style.Plain : Style.Single;
  return Style.Literal;
}

function escapeString(s: string): string {
  let out = '';
  let c = 0;
  for (let i = 0; i < s.length; c >= 0x10000 ? (i += 2) : i++) {
    c = codePointAt(s, i);
    const escape = ESCAPES[c];
    if (!escape && isPrintable(c)) {
      out += s[i];
      if (c >= 0x10000) out += s[i + 1];
    } else if (escape) {
      out += escape;
    } else {
      const hex = c.toString(16).toUpperCase();
      const [handle, width] = c <= 0xff ? ['x', 2] : c <= 0xffff ? ['u', 4] : ['U', 8];
      out += `\\${handle}${'0'.repeat(width - hex.length)}${hex}`;
    }
  }
  return out;
}

/** Indents every line of `s` but empty ones. */
function indentLines(s: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  let out = '';
  let position = 0;
  while (position < s.length) {
    const next = s.indexOf('\n', position);
    const line = next === -1 ? s.slice(position) : s.slice(position, next + 1);
    position = next === -1 ? s.length : next + 1;
    if (line.length && line !== '\n') out += pad;
    out += line;
  }
  return out;
}

function writeScalar(s: string, level: number, iskey: boolean, inblock: boolean): string {
  if (s.length === 0) return "''";
  if (SIMPLE.test(s)) {
    // The common case (names, types, logical IDs): plain unless YAML would read it as a boolean or null.
    return YAML11_BOOLEANS.has(s) || SIMPLE_BUT_TYPED.has(s) ? `'${s}'` : s;
  }
  if (YAML11_BOOLEANS.has(s) || BASE60.test(s)) return `'${s}'`;
  switch (chooseStyle(s, iskey, inblock)) {
    case Style.Plain:
      return s;
    case Style.Single:
      return `'${s.replace(/'/g, "''")}'`;
    case Style.Double:
      return `"${escapeString(s)}"`;
    case Style.Literal: {
      const indicator = /^\n* /.test(s) ? String(INDENT) : '';
      const clip = s[s.length - 1] === '\n';
      const keep = clip && (s[s.length - 2] === '\n' || s === '\n');
      const body = indentLines(s, INDENT * Math.max(1, level));
      return `|${indicator}${keep ? '+' : clip ? '' : '-'}\n${body[body.length - 1] === '\n' ? body.slice(0, -1) : body}`;
    }
  }
}

/** An implicitly typed scalar (null, boolean, number) as js-yaml represents it, or undefined. */
function implicitScalar(value: unknown): string | undefined {
  if (value === null) return 'null';
  const kind = toString.call(value);
  if (kind === '[object Boolean]') return value ? 'true' : 'false';
  if (kind === '[object Number]') {
    const n = Number(value);
    const negativeZero = n === 0 && 1 / n === Number.NEGATIVE_INFINITY;
    if (n % 1 === 0 && !negativeZero) {
      // From 1e21 up JavaScript writes integers with an exponent (`1e+21`), which YAML 1.1 (PyYAML,
      // cfn-lint) reads as a string unless a dot makes it a float: js-yaml writes it bare.
      const text = n.toString(10);
      return text.includes('e') ? text.replace('e', '.e') : text;
    }
    if (Number.isNaN(n)) return '.nan';
    if (n === Number.POSITIVE_INFINITY) return '.inf';
    if (n === Number.NEGATIVE_INFINITY) return '-.inf';
    if (negativeZero) return '-0.0';
    const text = n.toString(10);
    return SCIENTIFIC_WITHOUT_DOT.test(text) ? text.replace('e', '.e') : text;
  }
  return undefined;
}

/**
 * Whether a node's text starts on a new line: a non-empty block mapping or sequence that is not
 * compact (compact ones start with their first entry), untagged (a tag comes first). The writer
 * needs it before writing the node, to choose `key:` or `key: `, `-` or `- `.
 */
function startsOnNewLine(value: unknown, compact: boolean, isTagged: (v: unknown) => v is TaggedNode): boolean {
  if (compact || value === null || typeof value !== 'object' || isTagged(value)) return false;
  const kind = toString.call(value);
  if (kind === '[object Array]') return (value as unknown[]).length > 0;
  return kind === '[object Object]' && Object.keys(value).length > 0;
}

/**
 * js-yaml's writeNode for block context, appending to `out` (one join at the end instead of
 * concatenating each level's text into its parent's). Returns false for `undefined` (skipped).
 */
function writeNode(out: string[], value: unknown, level: number, compact: boolean, iskey: boolean, isTagged: (v: unknown) => v is TaggedNode): boolean {
  const scalar = implicitScalar(value);
  if (scalar !== undefined) {
    out.push(scalar);
    return true;
  }
  let data = value;
  if (isTagged(value)) {
    if (!/^![A-Za-z0-9]+$/.test(value.tag)) throw new TypeError(`not a tag berth writes: ${value.tag}`);
    out.push(value.tag);
    data = value.data;
    if (value.flow) {
      // Names only (letters, digits, dots): PyYAML ends a plain scalar in a flow list at `?`,
      // `:` and `,[]{}`, which js-yaml's rules allow, so anything else takes the block form.
      const names = data as string[];
      if (!names.every((n) => FLOW_NAME.test(n))) throw new TypeError(`not names for a flow list: ${JSON.stringify(names)}`);
      out.push(' [', names.map((n) => writeScalar(n, level, true, false)).join(', '), ']');
      return true;
    }
    // The tag ends the line when the node starts on the next one: no trailing space.
    if (!startsOnNewLine(data, false, isTagged)) out.push(' ');
    compact = false;
  }
  const kind = toString.call(data);
  if (kind === '[object Object]') {
    if (Object.keys(data as object).length) writeMapping(out, data as Record<string, unknown>, level, compact, isTagged);
    else out.push('{}');
  } else if (kind === '[object Array]') {
    if ((data as unknown[]).length) writeSequence(out, data as unknown[], level, compact, isTagged);
    else out.push('[]');
  } else if (kind === '[object String]') {
    out.push(writeScalar(data as string, level, iskey, true));
  } else if (kind === '[object Undefined]' && data === value) {
    return false;
  } else {
    // src/emit/yaml.ts refuses these with a located message first; this is a programming error.
    throw new TypeError(`cannot write a ${kind} as YAML`);
  }
  return true;
}

function writeSequence(out: string[], items: readonly unknown[], level: number, compact: boolean, isTagged: (v: unknown) => v is TaggedNode): void {
  let first = true;
  for (const item of items) {
    if (!compact || !first) out.push(newline(level));
    first = false;
    // js-yaml writes a missing item as null.
    const value = item === undefined ? null : item;
    out.push(startsOnNewLine(value, true, isTagged) ? '-' : '- ');
    writeNode(out, value, level + 1, true, false, isTagged);
  }
}

function writeMapping(out: string[], map: Record<string, unknown>, level: number, compact: boolean, isTagged: (v: unknown) => v is TaggedNode): void {
  const start = out.length;
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (value === undefined) continue; // js-yaml skips the pair
    if (!compact || out.length > start) out.push(newline(level));
    const keyText = writeScalar(key, level + 1, true, true);
    const explicit = keyText.length > 1024;
    if (explicit) out.push('? ', keyText, newline(level));
    else out.push(keyText);
    out.push(startsOnNewLine(value, explicit, isTagged) ? ':' : ': ');
    writeNode(out, value, level + 1, explicit, false, isTagged);
  }
  if (out.length === start) out.push('{}');
}

/** The document as js-yaml's `dump` would write it, final newline included. */
export function writeYaml(doc: unknown, isTagged: (v: unknown) => v is TaggedNode): string {
  const out: string[] = [];
  return writeNode(out, doc, 0, true, false, isTagged) ? `${out.join('')}\n` : '';
}
