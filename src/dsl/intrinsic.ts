/**
 * The intrinsic-function layer: every CloudFormation intrinsic, typed.
 *
 * An `Intrinsic<K>` carries a phantom *kind* `K` in CloudFormation's parameter-type vocabulary
 * (`String`, `Number`, `AWS::EC2::VPC::Id`, `List<AWS::EC2::Subnet::Id>`, ...). Kinds are what let
 * the compiler reject a subnet list passed where a VPC ID is expected when stacks are nested.
 * `Ref` and `GetAtt` are never built from strings: they come from handles (`resource.ref`,
 * `resource.getAtt('Arn')`, `parameter.ref`), so a logical ID is never typed by hand.
 *
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 */

/** The long-form names CloudFormation gives its intrinsic functions. */
export type IntrinsicName =
  | 'Ref'
  | 'Condition'
  | 'Fn::GetAtt'
  | 'Fn::Sub'
  | 'Fn::Join'
  | 'Fn::Select'
  | 'Fn::Split'
  | 'Fn::GetAZs'
  | 'Fn::Cidr'
  | 'Fn::If'
  | 'Fn::Equals'
  | 'Fn::And'
  | 'Fn::Or'
  | 'Fn::Not'
  | 'Fn::FindInMap'
  | 'Fn::ImportValue'
  | 'Fn::Base64'
  | 'Fn::Length'
  | 'Fn::ToJsonString'
  // Rule-specific functions, valid only inside a template's `Rules` section.
  | 'Fn::Contains'
  | 'Fn::EachMemberEquals'
  | 'Fn::EachMemberIn'
  | 'Fn::RefAll'
  | 'Fn::ValueOf'
  | 'Fn::ValueOfAll';

/**
 * Anything that owns logical IDs: a template. Intrinsics that name a logical ID remember their
 * owner so that a handle used in another template is caught where it is used.
 */
export interface Owner {
  readonly name: string;
}

export class Intrinsic<K extends string = string> {
  /** Phantom: the CloudFormation kind this expression evaluates to. Never set at run time. */
  declare readonly kind: K;

  constructor(
    readonly fn: IntrinsicName,
    readonly args: unknown,
    /** For `Ref`, `GetAtt` and `Condition`: the template that declares the logical ID. */
    readonly owner?: Owner,
  ) {}
}

/** A literal `T` or any intrinsic that evaluates to one. */
export type Value<T> = T | Intrinsic<string>;
/** A list, each element a `Value`, or an intrinsic that evaluates to a whole list. */
export type ListValue<T> = readonly T[] | Intrinsic<string>;
/** A string-keyed map, or an intrinsic that evaluates to one. */
export type MapValue<T> = { readonly [key: string]: T } | Intrinsic<string>;
/** Free-form JSON, as some properties (IAM policy documents) take. */
export type Json = Value<string | number | boolean | null | readonly Json[] | { readonly [key: string]: Json }>;

/** A named condition declared in a template's `Conditions` section. */
export class Condition {
  constructor(
    readonly logicalId: string,
    readonly owner: Owner,
  ) {}
}

/** Anything `Fn::If`, `Fn::And`, `Fn::Or`, `Fn::Not` accept as a condition. */
export type ConditionExpression = Condition | Intrinsic<'Boolean'>;

function conditionArg(c: ConditionExpression): unknown {
  return c instanceof Condition ? new Intrinsic('Condition', c.logicalId, c.owner) : c;
}

/** Pseudo parameters: `Ref`s to values CloudFormation defines for every stack. */
export const AWS = {
  AccountId: new Intrinsic<'String'>('Ref', 'AWS::AccountId'),
  NotificationARNs: new Intrinsic<'List<String>'>('Ref', 'AWS::NotificationARNs'),
  NoValue: new Intrinsic<'String'>('Ref', 'AWS::NoValue'),
  Partition: new Intrinsic<'String'>('Ref', 'AWS::Partition'),
  Region: new Intrinsic<'String'>('Ref', 'AWS::Region'),
  StackId: new Intrinsic<'String'>('Ref', 'AWS::StackId'),
  StackName: new Intrinsic<'String'>('Ref', 'AWS::StackName'),
  URLSuffix: new Intrinsic<'String'>('Ref', 'AWS::URLSuffix'),
} as const;

const PSEUDO_NAMES = new Set(Object.values(AWS).map((i) => i.args as string));

/**
 * `Fn::Sub` from a tagged template literal: handles and intrinsics become `${Name}` /
 * `${Name.Attr}` / `${AWS::Region}` placeholders, anything else becomes a named variable.
 * Literal `${` in the text is escaped as `${!` as CloudFormation requires.
 *
 *     sub`arn:${AWS.Partition}:s3:::${bucket.ref}/*`
 */
export function sub(strings: TemplateStringsArray, ...values: readonly (Value<string | number>)[]): Intrinsic<'String'> {
  let text = '';
  const vars: Record<string, unknown> = {};
  let owner: Owner | undefined;
  strings.forEach((chunk, i) => {
    text += chunk.replaceAll('${', '${!');
    if (i >= values.length) return;
    const v = values[i];
    if (typeof v === 'string' || typeof v === 'number') {
      text += String(v).replaceAll('${', '${!');
    } else if (v instanceof Intrinsic && v.fn === 'Ref' && typeof v.args === 'string') {
      text += `\${${v.args}}`;
      owner ??= v.owner;
    } else if (v instanceof Intrinsic && v.fn === 'Fn::GetAtt' && Array.isArray(v.args) && v.args.every((a) => typeof a === 'string')) {
      text += `\${${(v.args as string[]).join('.')}}`;
      owner ??= v.owner;
    } else if (v instanceof Intrinsic && v.fn === 'Fn::Sub' && typeof v.args === 'string') {
      // A nested `sub` without variables is already Sub text (escapes included): inline it, so
      // sub`${prefix}/x` reads as one flat string instead of a variable holding another Sub.
      text += v.args;
      owner ??= v.owner;
    } else {
      const name = `Var${Object.keys(vars).length + 1}`;
      vars[name] = v;
      text += `\${${name}}`;
    }
  });
  return new Intrinsic('Fn::Sub', Object.keys(vars).length === 0 ? text : [text, vars], owner);
}

/**
 * `Fn::Sub` with a literal template string and an explicit variable map, for text that is
 * mostly shell or JSON (user data). Placeholders must name a variable, a pseudo parameter,
 * or a parameter / resource of the same template; the template checks them when the value is added.
 */
export function Sub(text: string, variables?: { readonly [name: string]: Value<string | number> }): Intrinsic<'String'> {
  return new Intrinsic('Fn::Sub', variables && Object.keys(variables).length > 0 ? [text, variables] : text);
}

/** The `${Name}` placeholders of a `Fn::Sub` string, minus `${!Literal}` escapes. */
export function subPlaceholders(text: string): string[] {
  return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => m[1]!.trim());
}

export function isPseudoParameter(name: string): boolean {
  return PSEUDO_NAMES.has(name);
}

export function Join(delimiter: string, values: ListValue<Value<string | number>>): Intrinsic<'String'> {
  return new Intrinsic('Fn::Join', [delimiter, values]);
}

/** `Fn::Select`: element `index` of a list. The kind is the list's element kind. */
export function Select<K extends string>(index: Value<number>, list: ListValue<Value<string>> | Intrinsic<K>): Intrinsic<ElementKind<K>> {
  return new Intrinsic('Fn::Select', [index, list]);
}

export type ElementKind<K extends string> = K extends `List<${infer E}>` ? E : K extends 'CommaDelimitedList' ? 'String' : 'String';

export function Split(delimiter: string, source: Value<string>): Intrinsic<'List<String>'> {
  return new Intrinsic('Fn::Split', [delimiter, source]);
}

/** `Fn::GetAZs`: the Availability Zones of a Region, by default the stack's own. */
export function GetAZs(region: Value<string> = ''): Intrinsic<'List<AWS::EC2::AvailabilityZone::Name>'> {
  return new Intrinsic('Fn::GetAZs', region);
}

/** `Fn::Cidr`: `count` CIDR blocks of `/(32 - cidrBits)` carved from `ipBlock`. */
export function Cidr(ipBlock: Value<string>, count: Value<number>, cidrBits: Value<number>): Intrinsic<'List<String>'> {
  return new Intrinsic('Fn::Cidr', [ipBlock, count, cidrBits]);
}

export function If<A extends string = 'String', B extends string = A>(
  condition: Condition,
  whenTrue: unknown,
  whenFalse: unknown,
): Intrinsic<A | B> {
  return new Intrinsic('Fn::If', [condition.logicalId, whenTrue, whenFalse], condition.owner);
}

export function Equals(a: Value<string | number | boolean>, b: Value<string | number | boolean>): Intrinsic<'Boolean'> {
  return new Intrinsic('Fn::Equals', [a, b]);
}

export function And(...conditions: ConditionExpression[]): Intrinsic<'Boolean'> {
  return new Intrinsic('Fn::And', conditions.map(conditionArg));
}

export function Or(...conditions: ConditionExpression[]): Intrinsic<'Boolean'> {
  return new Intrinsic('Fn::Or', conditions.map(conditionArg));
}

export function Not(condition: ConditionExpression): Intrinsic<'Boolean'> {
  return new Intrinsic('Fn::Not', [conditionArg(condition)]);
}

export function ImportValue(exportName: Value<string>): Intrinsic<'String'> {
  return new Intrinsic('Fn::ImportValue', exportName);
}

export function Base64(value: Value<string>): Intrinsic<'String'> {
  return new Intrinsic('Fn::Base64', value);
}

/** `Fn::Length` (needs the `AWS::LanguageExtensions` transform, which the template adds). */
export function Length(list: ListValue<unknown>): Intrinsic<'Number'> {
  return new Intrinsic('Fn::Length', list);
}

/** `Fn::ToJsonString` (needs the `AWS::LanguageExtensions` transform, which the template adds). */
export function ToJsonString(value: unknown): Intrinsic<'String'> {
  return new Intrinsic('Fn::ToJsonString', value);
}

// Rule functions: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html
export function Contains(list: ListValue<Value<string>>, value: Value<string>): Intrinsic<'Boolean'> {
  return new Intrinsic('Fn::Contains', [list, value]);
}
export function EachMemberEquals(list: ListValue<Value<string>>, value: Value<string>): Intrinsic<'Boolean'> {
  return new Intrinsic('Fn::EachMemberEquals', [list, value]);
}
export function EachMemberIn(list: ListValue<Value<string>>, allowed: ListValue<Value<string>>): Intrinsic<'Boolean'> {
  return new Intrinsic('Fn::EachMemberIn', [list, allowed]);
}
export function RefAll(parameterType: string): Intrinsic<'List<String>'> {
  return new Intrinsic('Fn::RefAll', parameterType);
}
export function ValueOf(parameter: Intrinsic<string>, attribute: string): Intrinsic<'String'> {
  return new Intrinsic('Fn::ValueOf', [refName(parameter), attribute], parameter.owner);
}
export function ValueOfAll(parameterType: string, attribute: string): Intrinsic<'List<String>'> {
  return new Intrinsic('Fn::ValueOfAll', [parameterType, attribute]);
}

function refName(i: Intrinsic<string>): string {
  if (i.fn !== 'Ref' || typeof i.args !== 'string') throw new TypeError('Fn::ValueOf takes a parameter handle\'s `ref`');
  return i.args;
}

/** Functions that need `Transform: AWS::LanguageExtensions`. */
export const LANGUAGE_EXTENSION_FUNCTIONS: ReadonlySet<IntrinsicName> = new Set(['Fn::Length', 'Fn::ToJsonString']);
