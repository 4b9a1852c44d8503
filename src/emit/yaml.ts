/**
 * Canonical YAML: CloudFormation short-form tags (`!Ref`, `!GetAtt`, `!Sub`, ...), long form only
 * where two tags would land on one node (YAML allows one tag per node: `Fn::Base64: !Sub ...`),
 * no line folding, keys in the order the template built them (template-anatomy order).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 */
import yaml from 'js-yaml';
import { Unsupported, writeYaml } from './_yaml-writer.ts';
import { Intrinsic, type IntrinsicName } from '../dsl/intrinsic.ts';

class Tagged {
  constructor(
    readonly tag: string,
    readonly kind: 'scalar' | 'sequence' | 'mapping',
    readonly data: unknown,
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

function kindOf(data: unknown): Tagged['kind'] {
  if (Array.isArray(data)) return 'sequence';
  if (data !== null && typeof data === 'object') return 'mapping';
  return 'scalar';
}

/** Turns intrinsics into tagged nodes; plain data is copied as is. */
function toNode(value: unknown): unknown {
  if (value instanceof Intrinsic) {
    // `!GetAtt Name.Attr` is the readable short form when both parts are literals.
    if (value.fn === 'Fn::GetAtt' && Array.isArray(value.args) && value.args.every((a) => typeof a === 'string')) {
      return new Tagged('!GetAtt', 'scalar', value.args.join('.'));
    }
    // One tag per node: when the argument is itself an intrinsic, the outer one takes the long form.
    if (value.args instanceof Intrinsic) return { [value.fn]: toNode(value.args) };
    const data = toNode(value.args);
    return new Tagged(SHORT_TAGS[value.fn], kindOf(data), data);
  }
  if (Array.isArray(value)) return value.map(toNode);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toNode(v);
    return out;
  }
  return value;
}

const TAG_TYPES = Object.values(SHORT_TAGS).flatMap((tag) =>
  (['scalar', 'sequence', 'mapping'] as const).map(
    (kind) =>
      new yaml.Type(tag, {
        kind,
        predicate: (o: unknown) => o instanceof Tagged && o.tag === tag && o.kind === kind,
        represent: (o: object) => (o as Tagged).data as object,
        // Loading is for tests: keep the tag so a round trip can be compared.
        construct: (data: unknown) => ({ [tag]: data }),
      }),
  ),
);

/** The schema berth loads with (and dumps with, in tests): js-yaml's default plus CloudFormation's tags. */
export const CFN_SCHEMA = yaml.DEFAULT_SCHEMA.extend(TAG_TYPES);

/**
 * The schema js-yaml dumps with, for what src/emit/_yaml-writer.ts does not handle: the same tags,
 * from one type per node kind whose tag is read off the node (js-yaml tries every explicit type
 * on every node; three cost less than 75 and give the same bytes).
 */
const DUMP_SCHEMA = yaml.DEFAULT_SCHEMA.extend(
  (['scalar', 'sequence', 'mapping'] as const).map(
    (kind) =>
      new yaml.Type('!', {
        kind,
        multi: true,
        instanceOf: Tagged,
        predicate: (o: unknown) => (o as Tagged).kind === kind,
        representName: (o: unknown) => (o as Tagged).tag,
        represent: (o: object) => (o as Tagged).data as object,
      }),
  ),
);

export interface EmitProps {
  /** Comment lines written above the document (without `# `). */
  readonly header?: readonly string[];
}

/** js-yaml's options for berth's canonical YAML; src/emit/_yaml-writer.ts writes the same bytes, faster. */
const DUMP_OPTIONS: yaml.DumpOptions = {
  schema: DUMP_SCHEMA,
  lineWidth: -1, // never fold: long lines stay on one line, as written
  noRefs: true, // never emit anchors and aliases: each node stands alone
  sortKeys: false, // the builder's order is the canonical order
  quotingType: "'",
  noCompatMode: false, // quote YAML 1.1 booleans (`yes`, `on`) that PyYAML would read as bool
};

const isTagged = (v: unknown): v is Tagged => v instanceof Tagged;

/** A document (intrinsics as `Intrinsic`) as YAML, before berth's two rewrites: js-yaml's bytes. */
export function dumpYaml(doc: unknown, engine: 'fast' | 'js-yaml' = 'fast'): string {
  const node = toNode(doc);
  if (engine === 'fast') {
    try {
      return writeYaml(node, isTagged);
    } catch (e) {
      if (!(e instanceof Unsupported)) throw e;
    }
  }
  return yaml.dump(node, DUMP_OPTIONS);
}

export function toYaml(doc: unknown, props: EmitProps = {}): string {
  const dumped = dumpYaml(doc);
  // js-yaml leaves a space after a tag whose node starts on the next line (`!Not ␠`): drop it.
  const body = dumped
    .replace(/((?:^|: |- )!\w+) $/gm, '$1')
    // `!GetAtt [Name, Attr]` rather than `!GetAtt Name.Attr`: both are valid CloudFormation, but
    // cfn-guard (the AWS Control Tower rules) reads the dotted form as an opaque string and then
    // cannot follow references such as a log group's KMS key or a queue's dead-letter queue.
    .replace(/((?:^|: |- )!GetAtt) ([A-Za-z0-9]+)\.([A-Za-z0-9.]+)$/gm, '$1 [$2, $3]');
  const header = (props.header ?? []).map((l) => `# ${l}`.trimEnd()).join('\n');
  return header ? `${header}\n${body}` : body;
}
