/**
 * A strict JSON reader (RFC 8259) for settings files, because `JSON.parse` is not enough here:
 * it silently keeps the last of two equal keys (a setting edited in one place and overridden in
 * another), and its errors say neither the line nor what to do. Every failure is one located
 * line: `file:line:column`, what is wrong, the offending line's text, and a hint that fits the
 * error at hand (a trailing comma, a missing comma, single quotes, a comment, ...).
 * https://www.rfc-editor.org/rfc/rfc8259 (section 4: "The names within an object SHOULD be unique")
 */
import { BerthError, q } from '../dsl/errors.ts';

/** Where a problem is: the file, line and column (both from 1), and the line's text. */
class Position {
  constructor(
    readonly line: number,
    readonly column: number,
    readonly text: string,
  ) {}
}

/**
 * Parses `text` (the content of `file`) as JSON. A UTF-8 byte-order mark at the start is skipped,
 * as most JSON tools do; anywhere else it is an error like any stray character.
 */
export function parseJson(text: string, file: string): unknown {
  return new Reader(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file, text.charCodeAt(0) === 0xfeff ? 1 : 0).document();
}

const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

class Reader {
  private i = 0;
  /** Pointer segments of the value being read, for duplicate-key messages. */
  private readonly path: (string | number)[] = [];

  constructor(
    private readonly text: string,
    private readonly file: string,
    /** Columns skipped at the start of line 1 (the byte-order mark). */
    private readonly offset: number,
  ) {}

  document(): unknown {
    this.space();
    if (this.i >= this.text.length) throw this.error(this.i, 'the file is empty', 'Write the settings as one JSON object: `{ "name": ... }`');
    const value = this.value();
    this.space();
    if (this.i < this.text.length) {
      throw this.error(this.i, `more text after the JSON value ends at ${this.where(this.i - 1)}`, 'A settings file holds one object: remove what follows it, or join the two');
    }
    return value;
  }

  private value(): unknown {
    const c = this.text[this.i];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return this.string();
      case 't':
      case 'f':
      case 'n':
        return this.literal();
      default:
        if (c !== undefined && /[-+.0-9]/.test(c)) return this.number();
        throw this.unexpected(this.i, 'a value');
    }
  }

  private object(): Record<string, unknown> {
    const open = this.i++;
    const out: Record<string, unknown> = {};
    const seen = new Map<string, number>();
    this.space();
    if (this.text[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') {
        if (this.text[this.i] === '}') throw this.error(this.i, 'a comma before `}`', 'JSON allows no comma after the last entry: remove it');
        throw this.unexpected(this.i, 'a key in double quotes', open);
      }
      const keyAt = this.i;
      const key = this.string();
      const first = seen.get(key);
      if (first !== undefined) {
        const field = fieldPath([...this.path, key]);
        throw new BerthError(
          `${this.file}:${this.where(keyAt)}: ${field}`,
          `is given twice (first at line ${this.position(first).line}); JSON would keep only the last one, silently. Remove one of them.`,
        );
      }
      seen.set(key, keyAt);
      this.space();
      if (this.text[this.i] !== ':') throw this.unexpected(this.i, `\`:\` after the key ${q(JSON.stringify(key))}`, open);
      this.i++;
      this.space();
      this.path.push(key);
      // A key named __proto__ is data here, not the prototype: define it as an own property.
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.path.pop();
      this.space();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === '}') {
        this.i++;
        return out;
      }
      throw this.unexpected(this.i, '`,` or `}` after the entry', open);
    }
  }

  private array(): unknown[] {
    const open = this.i++;
    const out: unknown[] = [];
    this.space();
    if (this.text[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.i] === ']') throw this.error(this.i, 'a comma before `]`', 'JSON allows no comma after the last item: remove it');
      this.path.push(out.length);
      out.push(this.value());
      this.path.pop();
      this.space();
      const c = this.text[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ']') {
        this.i++;
        return out;
      }
      throw this.unexpected(this.i, '`,` or `]` after the item', open);
    }
  }

  private string(): string {
    const open = this.i++;
    let out = '';
    for (;;) {
      if (this.i >= this.text.length) throw this.error(open, 'a string that never ends', 'Add the closing `"`');
      const c = this.text.charCodeAt(this.i);
      if (c === 0x22) {
        this.i++;
        return out;
      }
      if (c === 0x0a || c === 0x0d) throw this.error(open, 'a string that does not end on its line', 'Add the closing `"` (a line break inside a string is written `\\n`)');
      if (c < 0x20) throw this.error(this.i, `a raw control character (U+${c.toString(16).toUpperCase().padStart(4, '0')}) inside a string`, `Write it escaped (a tab is \`\\t\`), or remove it`);
      if (c !== 0x5c) {
        out += this.text[this.i++];
        continue;
      }
      const e = this.text[this.i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && e in simple) {
        out += simple[e];
        this.i += 2;
      } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))) {
        out += String.fromCharCode(Number.parseInt(this.text.slice(this.i + 2, this.i + 6), 16));
        this.i += 6;
      } else {
        throw this.error(this.i, `\`\\${e ?? ''}\` is not a JSON escape`, 'A backslash is written `\\\\`; JSON escapes are `\\"` `\\\\` `\\/` `\\b` `\\f` `\\n` `\\r` `\\t` `\\uXXXX`');
      }
    }
  }

  private number(): number {
    const start = this.i;
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(this.text.slice(start, start + 400));
    const token = /^[-+0-9.eE]+/.exec(this.text.slice(start))?.[0] ?? '';
    if (!m || m[0].length !== token.length) {
      const hint = token.startsWith('+')
        ? 'JSON numbers take no plus sign: remove it'
        : /^-?0[0-9]/.test(token)
        ? 'JSON numbers have no leading zeros: remove them'
        : /\.$|\.[eE]/.test(token)
          ? 'Write digits after the decimal point (`1.0`), or none (`1`)'
          : /^-?\./.test(token)
            ? 'Write a digit before the decimal point: `0.5`'
            : 'Write a plain number such as `30`';
      throw this.error(start, `${q(token || this.text[start]!)} is not a JSON number`, hint);
    }
    this.i += m[0].length;
    const n = Number(m[0]);
    if (!Number.isFinite(n)) throw this.error(start, `${q(m[0])} is too large to be a number`, 'Use a number within the field\'s range');
    return n;
  }

  private literal(): boolean | null {
    for (const [word, value] of [['true', true], ['false', false], ['null', null]] as const) {
      if (this.text.startsWith(word, this.i) && !/[A-Za-z0-9_]/.test(this.text[this.i + word.length] ?? '')) {
        this.i += word.length;
        return value;
      }
    }
    throw this.unexpected(this.i, 'a value');
  }

  private space(): void {
    while (this.i < this.text.length && WHITESPACE.has(this.text.charCodeAt(this.i))) this.i++;
  }

  /** An error at `at` for a character that is not `expected`, with a hint for what it probably is. */
  private unexpected(at: number, expected: string, open?: number): BerthError {
    if (at >= this.text.length) {
      const opened = open === undefined ? '' : ` (the ${this.text[open] === '{' ? '`{`' : '`[`'} at ${this.where(open)} is not closed)`;
      return this.error(at, `the file ends where ${expected} should follow${opened}`, 'Complete the JSON: a closing `}` or `]` is probably missing');
    }
    const rest = this.text.slice(at);
    const word = /^[A-Za-z_$][A-Za-z0-9_$-]*/.exec(rest)?.[0];
    const found = word ? q(word) : rest.codePointAt(0)! > 0x7e || rest.codePointAt(0)! < 0x20 ? `U+${rest.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : q(rest[0]!);
    let hint: string;
    if (rest.startsWith('//') || rest.startsWith('/*')) hint = 'JSON has no comments: remove it';
    else if (rest[0] === "'") hint = 'JSON strings and keys take double quotes: replace `\'` with `"`';
    else if (word && ['True', 'False', 'None', 'TRUE', 'FALSE', 'NULL', 'Null'].includes(word)) hint = `JSON's literals are lower-case: write ${q(word === 'None' ? 'null' : word.toLowerCase())}`;
    else if (word && ['NaN', 'Infinity', 'undefined'].includes(word)) hint = `JSON has no ${q(word)}: write a number, or leave the field out`;
    else if (word && expected.startsWith('a key')) hint = `Keys take double quotes in JSON: write ${q(`"${word}"`)}`;
    else if (word && expected === 'a value') hint = `Text values take double quotes in JSON: write ${q(`"${word}"`)}`;
    else if (expected.startsWith('`,`') && (rest[0] === '"' || rest[0] === '{' || rest[0] === '[' || /^[-0-9tfn]/.test(rest))) {
      hint = `A comma is missing after the ${expected.includes('entry') ? 'entry' : 'item'} that ends before it: add \`,\``;
    } else if (rest[0] === '=' && expected.startsWith('`:`')) hint = 'A key and its value are separated by `:` in JSON';
    else if (rest.codePointAt(0) === 0xfeff) hint = 'A byte-order mark belongs only at the start of the file: remove it';
    else hint = `Expected ${expected} here`;
    return this.error(at, `${found} where ${expected} should be`, hint);
  }

  private error(at: number, what: string, hint: string): BerthError {
    const { line, column, text } = this.position(at);
    const shown = (text.length > 80 ? text.slice(Math.max(0, column - 40), column + 40) : text).trim().replace(/[\x00-\x1f\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    return new BerthError(`${this.file}:${line}:${column}`, `is not valid JSON: ${what}, in line ${line}: ${q(shown || '(empty)')}. ${hint}.`);
  }

  private position(at: number): Position {
    let line = 1;
    let start = 0;
    for (let k = 0; k < at && k < this.text.length; k++) {
      if (this.text.charCodeAt(k) === 0x0a) {
        line++;
        start = k + 1;
      }
    }
    const end = this.text.indexOf('\n', start);
    const text = this.text.slice(start, end === -1 ? undefined : end).replace(/\r$/, '');
    return new Position(line, at - start + 1 + (line === 1 ? this.offset : 0), text);
  }

  private where(at: number): string {
    const p = this.position(at);
    return `${p.line}:${p.column}`;
  }
}

/** `network.subnets.public[1]`, as settings messages name fields. */
function fieldPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}
