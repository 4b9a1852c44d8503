/**
 * Canonical YAML: CloudFormation short-form tags (`!Ref`, `!GetAtt`, `!Sub`, ...), long form only
 * where two tags would land on one node (YAML allows one tag per node: `Fn::Base64: !Sub ...`),
 * no line folding, keys in the order the template built them (template-anatomy order).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 *
 * Every form is chosen on the document tree, before any text exists (src/emit/_yaml-writer.ts
 * writes the tree): no pass rewrites the text afterwards, so the content of a string, a literal
 * block included, is written as it is. What a template cannot carry is a located build error here.
 */
import yaml from 'js-yaml';
import { FLOW_NAME, writeYaml, type TaggedNode } from './_yaml-writer.ts';
import { BerthError, q } from '../dsl/errors.ts';
import { Intrinsic, type IntrinsicName } from '../dsl/intrinsic.ts';

class Tagged implements TaggedNode {
  constructor(
    readonly tag: string,
    readonly data: unknown,
    readonly flow = false,
  ) {}
}

/** The short-form tag of each intrinsic function (`Fn::GetAtt` is written `!GetAtt`). */
export const SHORT_TAGS: Readonly<Record<IntrinsicName, string>> = {
  Ref: '!Ref',
  Condition: '!Condition',
  'Fn::GetAtt': '!GetAtt',
  'Fn::Sub': '!Sub',
  'Fn::Join': '!Join',
  'Fn::Select': '!Select',
  'Fn::Split': '!Split',
  'Fn::GetAZs': '!GetAZs',
  'Fn::Cidr': '!Cidr',
  'Fn::If': '!If',
  'Fn::Equals': '!Equals',
  'Fn::And': '!And',
  'Fn::Or': '!Or',
  'Fn::Not': '!Not',
  'Fn::FindInMap': '!FindInMap',
  'Fn::ImportValue': '!ImportValue',
  'Fn::Base64': '!Base64',
  'Fn::Length': '!Length',
  'Fn::ToJsonString': '!ToJsonString',
  'Fn::Contains': '!Contains',
  'Fn::EachMemberEquals': '!EachMemberEquals',
  'Fn::EachMemberIn': '!EachMemberIn',
  'Fn::RefAll': '!RefAll',
  'Fn::ValueOf': '!ValueOf',
  'Fn::ValueOfAll': '!ValueOfAll',
};

const TAG_TYPES = Object.values(SHORT_TAGS).flatMap((tag) =>
  (['scalar', 'sequence', 'mapping'] as const).map(
    (kind) =>
      new yaml.Type(tag, {
        kind,
        // Loading is for reading templates back: keep the tag so the intrinsic can be told apart.
        construct: (data: unknown) => ({ [tag]: data }),
      }),
  ),
);

/** The schema berth reads templates with: js-yaml's default plus CloudFormation's tags. */
export const CFN_SCHEMA = yaml.DEFAULT_SCHEMA.extend(TAG_TYPES);

/**
 * Characters a template can carry: YAML's printable set (tab, line feed, carriage return, visible
 * ASCII, NEL, and Unicode from U+00A0 without surrogates, U+FFFE and U+FFFF). CloudFormation's
 * YAML parser refuses a template with any other character ("Cannot parse template as YAML:
 * special characters are not allowed"), and so does the PyYAML that `aws cloudformation package`
 * and cfn-lint read it with ("unacceptable character #x0000"). Escaping them in a double-quoted
 * string would get them past the parsers, but then into CloudFormation's JSON and AWS's APIs,
 * which document no such characters in any property: a mistake caught here is cheaper.
 * https://yaml.org/spec/1.1/#id868524 (c-printable); a lone surrogate (half of an emoji cut in
 * two) is not a character at all, and UTF-8 cannot even encode it.
 */
const NOT_CARRIED = /[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u;

/** Where the walk is: `Resources.Topic.Properties.Tags[0].Value`. */
function pathText(path: readonly (string | number)[]): string {
  let text = '';
  for (const p of path) text += typeof p === 'number' ? `[${p}]` : /^[A-Za-z0-9_:-]+$/.test(p) ? (text ? `.${p}` : p) : `${text ? '.' : ''}${JSON.stringify(p)}`;
  return text || '(document)';
}

function codePointName(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

function checkString(s: string, where: string, path: readonly (string | number)[], what: string): void {
  const m = NOT_CARRIED.exec(s);
  if (!m) return;
  const c = m[0].codePointAt(0)!;
  const kind = c >= 0xd800 && c <= 0xdfff ? 'half of a surrogate pair' : c === 0xfffe || c === 0xffff ? 'a Unicode non-character' : 'a control character';
  throw new BerthError(
    `${where}: ${pathText(path)}`,
    `${what} ${q(JSON.stringify(s.length > 60 ? `${s.slice(Math.max(0, m.index - 20), m.index + 20)}` : s))} holds ${codePointName(c)} (${kind}) at index ${m.index}, which a CloudFormation template cannot carry. ` +
      'Remove it or replace it (a control character by a space or an escape the receiving program understands).',
  );
}

function typeName(value: unknown): string {
  if (typeof value !== 'object') return `a ${typeof value}`;
  const name = (value as object).constructor?.name ?? 'object';
  return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
}

/**
 * Turns intrinsics into tagged nodes and copies plain data, checking on the way that every value
 * is one a template can hold (a located `BerthError` otherwise). `path` is pushed and popped.
 */
function toNode(value: unknown, where: string, path: (string | number)[]): unknown {
  switch (typeof value) {
    case 'string':
      checkString(value, where, path, 'the string');
      return value;
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new BerthError(
          `${where}: ${pathText(path)}`,
          `is ${value}, which a template cannot hold: CloudFormation reads templates as JSON data, which has no NaN or Infinity. Use a finite number (or leave the property out).`,
        );
      }
      return value;
    case 'undefined':
      return value; // a missing value: the writer leaves the key out, as JSON.stringify does
    default:
  }
  if (value === null) return value;
  if (value instanceof Intrinsic) {
    const tag = SHORT_TAGS[value.fn];
    path.push(value.fn);
    try {
      // `!GetAtt [Name, Attr]`: the flow list, not the dotted `!GetAtt Name.Attr` (both valid),
      // because cfn-guard (the AWS Control Tower rules) reads the dotted form as an opaque string
      // and then cannot follow references such as a log group's KMS key or a queue's DLQ.
      if (value.fn === 'Fn::GetAtt' && Array.isArray(value.args) && value.args.length === 2 && value.args.every((a) => typeof a === 'string' && FLOW_NAME.test(a))) {
        return new Tagged(tag, value.args, true);
      }
      // One tag per node: when the argument is itself an intrinsic, the outer one takes the long form.
      if (value.args instanceof Intrinsic) return { [value.fn]: toNode(value.args, where, path) };
      return new Tagged(tag, toNode(value.args, where, path));
    } finally {
      path.pop();
    }
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      out.push(toNode(value[i], where, path));
      path.pop();
    }
    return out;
  }
  const proto = typeof value === 'object' ? Object.getPrototypeOf(value) : undefined;
  const data = value as { fn?: unknown; args?: unknown };
  if (proto !== Object.prototype && typeof data.fn === 'string' && data.fn in SHORT_TAGS && 'args' in data) {
    // Two copies of src/dsl/intrinsic.ts: the estate's and the CLI's are different modules.
    throw new BerthError(
      `${where}: ${pathText(path)}`,
      "is an intrinsic from another copy of berth's DSL: the estate imports src/dsl/ from a different place than the CLI that runs it. Run the CLI of the same checkout as the estate.",
    );
  }
  if (proto !== Object.prototype && proto !== null) {
    throw new BerthError(
      `${where}: ${pathText(path)}`,
      `is ${typeName(value)}, which a template cannot hold. Expected a string, number, boolean, null, list, mapping or intrinsic: convert it first (a date with \`toISOString()\`, say).`,
    );
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value as object)) {
    path.push(k);
    checkString(k, where, path.slice(0, -1), 'the key');
    out[k] = toNode((value as Record<string, unknown>)[k], where, path);
    path.pop();
  }
  return out;
}

export interface EmitProps {
  /** Comment lines written above the document (without `# `). */
  readonly header?: readonly string[];
  /**
   * Where the document goes, for messages: `dev/network.yaml`.
   * @default 'template'
   */
  readonly where?: string;
}

const isTagged = (v: unknown): v is Tagged => v instanceof Tagged;

/** A document (intrinsics as `Intrinsic`) as berth's canonical YAML, header first. */
export function toYaml(doc: unknown, props: EmitProps = {}): string {
  const where = props.where ?? 'template';
  const body = writeYaml(toNode(doc, where, []), isTagged);
  for (const line of props.header ?? []) {
    // A line break would end the comment and turn the rest of the line into YAML.
    if (/[\r\n\x85\u2028\u2029]/.test(line)) throw new BerthError(where, `the header line ${q(JSON.stringify(line))} holds a line break. Pass one line per entry.`);
    checkString(line, where, ['header'], 'the header line');
  }
  const header = (props.header ?? []).map((l) => `# ${l}`.trimEnd()).join('\n');
  return header ? `${header}\n${body}` : body;
}
