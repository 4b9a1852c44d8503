/**
 * The intrinsic-function layer: every CloudFormation intrinsic, typed.
 *
 * An `Intrinsic<K>` carries a phantom *kind* `K` (see kind.ts): what the expression evaluates to,
 * in CloudFormation's parameter-type vocabulary. Kinds are what let the compiler reject a subnet
 * list where a VPC ID goes. `Ref` and `GetAtt` are never built from strings: they come from
 * handles (`resource.ref`, `resource.getAtt('Arn')`, `parameter.ref`), so a logical ID is never
 * typed by hand, and stack authors cannot construct an `Intrinsic` themselves (the entry module,
 * src/dsl/index.ts, exports its type only).
 *
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 */
import type { ElementKind, ElementOf, Kind, ListKind, StringKind } from './kind.ts';
import type { Parameter, ParameterType } from './parameter.ts';
import type { SubText } from './sub-placeholders.ts';
import type { Conditional, Json, ListValue, NoValue, Value } from './value.ts';

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

/** An intrinsic function call that evaluates to a value of kind `K`. */
export class Intrinsic<K extends string = Kind> {
  /** Phantom: the kind this expression evaluates to. Never set at run time. */
  declare readonly kind: K;
  /** Phantom and private: an object literal cannot pose as an intrinsic. */
  declare private readonly nominal: never;

  /**
   * berth's own handles and functions build intrinsics; stack authors get them from those (the
   * entry module exports this class as a type only, so `new Intrinsic('Ref', 'Vpc')` does not compile there).
   */
  constructor(
    readonly fn: IntrinsicName,
    readonly args: unknown,
    /** For `Ref`, `GetAtt` and `Condition`: the template that declares the logical ID. */
    readonly owner?: Owner,
  ) {}
}

/**
 * A named condition declared in a template's `Conditions` section: what `t.condition` returns.
 *
 *     const isProd = t.condition('IsProd', Equals(p.EnvironmentName.ref, 'prod'));
 *     t.resource('Alarm', 'AWS::CloudWatch::Alarm', { ... }, { condition: isProd });
 */
export class Condition {
  /** berth's `Template.condition` builds conditions; the entry module exports this class as a type only. */
  constructor(
    readonly logicalId: string,
    readonly owner: Owner,
  ) {}
}

/** Anything `Fn::And`, `Fn::Or` and `Fn::Not` accept as a condition: a named one, or a condition function. */
export type ConditionExpression = Condition | Intrinsic<'Condition'>;

function conditionArg(c: ConditionExpression): unknown {
  return c instanceof Condition ? new Intrinsic('Condition', c.logicalId, c.owner) : c;
}

/**
 * Pseudo parameters: `Ref`s to values CloudFormation defines for every stack.
 *
 *     sub`arn:${AWS.Partition}:s3:::${bucket.ref}`     If(hasKey, p.KeyName.ref, AWS.NoValue)
 *
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
 */
export const AWS = {
  AccountId: new Intrinsic<'String'>('Ref', 'AWS::AccountId'),
  NotificationARNs: new Intrinsic<'List<String>'>('Ref', 'AWS::NotificationARNs'),
  /** Removes the property it fills; valid only as a branch of `If`. */
  NoValue: new Intrinsic('Ref', 'AWS::NoValue') as unknown as NoValue,
  Partition: new Intrinsic<'String'>('Ref', 'AWS::Partition'),
  Region: new Intrinsic<'String'>('Ref', 'AWS::Region'),
  StackId: new Intrinsic<'String'>('Ref', 'AWS::StackId'),
  StackName: new Intrinsic<'String'>('Ref', 'AWS::StackName'),
  URLSuffix: new Intrinsic<'String'>('Ref', 'AWS::URLSuffix'),
} as const;

/**
 * `Fn::Sub` from a tagged template literal: handles and intrinsics become `${Name}` /
 * `${Name.Attr}` / `${AWS::Region}` placeholders, anything else becomes a named variable.
 * Literal `${` in the text is escaped as `${!` as CloudFormation requires. Only strings and
 * numbers go in: a list or a condition function is a compile error.
 *
 *     sub`arn:${AWS.Partition}:s3:::${bucket.ref}/*`     // { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/*' }
 */
export function sub(strings: TemplateStringsArray, ...values: readonly Value<string | number>[]): Intrinsic<'String'> {
  let text = '';
  const vars: Record<string, unknown> = {};
  let owner: Owner | undefined;
  strings.forEach((chunk, i) => {
    text += chunk.replaceAll('${', '${!');
    if (i >= values.length) return;
    const v: unknown = values[i];
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
 * mostly shell or JSON (user data). A placeholder names a variable or a pseudo parameter; anything
 * else in a literal text is a compile error that lists what it may name (see sub-placeholders.ts).
 *
 *     Sub('#!/bin/bash\necho ECS_CLUSTER=${Cluster} >> /etc/ecs/ecs.config\n', { Cluster: cluster.ref })
 */
export function Sub<const S extends string, const V extends { readonly [name: string]: Value<string | number> } = {}>(
  text: SubText<S, V>,
  variables?: V,
): Intrinsic<'String'> {
  return new Intrinsic('Fn::Sub', variables && Object.keys(variables).length > 0 ? [text, variables] : text);
}

/**
 * `Fn::Join`. Joined on `,`, the result remembers what the list held (`CommaDelimited<E>`), so a
 * joined subnet list can be passed to a nested stack's subnet-list parameter or returned as a
 * list output; on any other delimiter it is a `String`.
 *
 *     Join(',', p.SubnetIds.ref)        Join('', ['arn:', AWS.Partition, ':s3:::', bucket.ref])
 */
export function Join<K extends ListKind>(delimiter: ',', list: Intrinsic<K>): Intrinsic<`CommaDelimited<${ElementOf<K>}>`>;
export function Join<E extends ElementKind = 'String'>(delimiter: ',', values: readonly (string | Intrinsic<E>)[]): Intrinsic<`CommaDelimited<${E}>`>;
export function Join(delimiter: string, values: ListValue<Value<string | number>>): Intrinsic<'String'>;
export function Join(delimiter: string, values: unknown): Intrinsic<string> {
  return new Intrinsic('Fn::Join', [delimiter, values]);
}

/**
 * `Fn::Select`: element `index` of a list. The kind is the list's element kind, so
 * `Select(0, subnets)` is a subnet ID (and cannot go where a VPC ID goes).
 *
 *     Select(i, GetAZs())     // AWS::EC2::AvailabilityZone::Name
 */
export function Select<K extends ListKind>(index: Value<number>, list: Intrinsic<K>): Intrinsic<ElementOf<K>>;
export function Select<E extends ElementKind = 'String'>(index: Value<number>, list: readonly (string | Intrinsic<E>)[]): Intrinsic<E>;
export function Select(index: Value<number>, list: unknown): Intrinsic<string> {
  return new Intrinsic('Fn::Select', [index, list]);
}

/** The list kind `Split` gives: a joined subnet list splits back into subnets, anything else into strings. */
export type SplitKind<K extends string> = K extends `CommaDelimited<${infer E extends ElementKind}>` ? (E extends 'String' ? 'List<String>' : `List<${E}>`) : 'List<String>';

/**
 * `Fn::Split`: a string into a list. A list output read from a nested stack is one string
 * (outputs are strings); split it where a property needs the list.
 *
 *     SubnetIds: Split(',', network.outputs.ApplicationSubnetIds)    // List<AWS::EC2::Subnet::Id>
 */
export function Split<K extends StringKind = 'String'>(delimiter: string, source: string | Intrinsic<K>): Intrinsic<SplitKind<K>> {
  return new Intrinsic('Fn::Split', [delimiter, source]);
}

/**
 * `Fn::GetAZs`: the Availability Zones of a Region, by default the stack's own.
 *
 *     AvailabilityZone: Select(0, GetAZs())
 */
export function GetAZs(region: Value<string> = ''): Intrinsic<'List<AWS::EC2::AvailabilityZone::Name>'> {
  return new Intrinsic('Fn::GetAZs', region);
}

/**
 * `Fn::Cidr`: `count` CIDR blocks carved from `ipBlock`, each with `cidrBits` host bits (8 gives /24s of an IPv4 block).
 *
 *     CidrBlock: Select(i, Cidr(vpc.getAtt('CidrBlock'), 6, 8))
 */
export function Cidr(ipBlock: Value<string>, count: Value<number>, cidrBits: Value<number>): Intrinsic<'List<String>'> {
  return new Intrinsic('Fn::Cidr', [ipBlock, count, cidrBits]);
}

/**
 * `Fn::If`: one of two values, by a named condition. Each branch is checked against the place the
 * result fills (the property, output or parameter), or is `AWS.NoValue` to leave the property out.
 * Where nothing gives the place a type (a `const`), name it: `If<string>(isProd, 'a', 'b')`.
 *
 *     KeyName: If(hasKeyPair, p.KeyPairName.ref, AWS.NoValue)
 */
export function If<T>(condition: Condition, whenTrue: NoInfer<T | NoValue>, whenFalse: NoInfer<T | NoValue>): Conditional<T> {
  return new Intrinsic('Fn::If', [condition.logicalId, whenTrue, whenFalse], condition.owner) as unknown as Conditional<T>;
}

/**
 * `Fn::Equals`, for a template's `Conditions` (and rules); never a property value.
 *
 *     t.condition('IsProd', Equals(p.EnvironmentName.ref, 'prod'))
 */
export function Equals(a: Value<string | number | boolean>, b: Value<string | number | boolean>): Intrinsic<'Condition'> {
  return new Intrinsic('Fn::Equals', [a, b]);
}

/** `Fn::And` of 2 to 10 conditions.     `And(isProd, Not(Equals(p.KeyName.ref, '')))` */
export function And(...conditions: ConditionExpression[]): Intrinsic<'Condition'> {
  return new Intrinsic('Fn::And', conditions.map(conditionArg));
}

/** `Fn::Or` of 2 to 10 conditions.      `Or(isProd, isStaging)` */
export function Or(...conditions: ConditionExpression[]): Intrinsic<'Condition'> {
  return new Intrinsic('Fn::Or', conditions.map(conditionArg));
}

/** `Fn::Not`.                            `t.condition('HasKeyPair', Not(Equals(p.KeyName.ref, '')))` */
export function Not(condition: ConditionExpression): Intrinsic<'Condition'> {
  return new Intrinsic('Fn::Not', [conditionArg(condition)]);
}

/**
 * `Fn::ImportValue`: a value another stack exports (see the `export` field of outputs). `K` is
 * its kind when more specific than `String`.
 *
 *     VpcId: ImportValue<'AWS::EC2::VPC::Id'>('berth-prod-VpcId')
 */
export function ImportValue<K extends StringKind = 'String'>(exportName: Value<string>): Intrinsic<K> {
  return new Intrinsic('Fn::ImportValue', exportName);
}

/** `Fn::Base64`, for EC2 user data.     `UserData: Base64(Sub('#!/bin/bash\n...'))` */
export function Base64(value: Value<string>): Intrinsic<'String'> {
  return new Intrinsic('Fn::Base64', value);
}

/** `Fn::Length` (needs the `AWS::LanguageExtensions` transform, which the template adds).     `Length(p.SubnetIds.ref)` */
export function Length(list: readonly unknown[] | Intrinsic<ListKind | 'Json'>): Intrinsic<'Number'> {
  return new Intrinsic('Fn::Length', list);
}

/** `Fn::ToJsonString` (needs the `AWS::LanguageExtensions` transform, which the template adds).     `ToJsonString({ a: p.X.ref })` */
export function ToJsonString(value: Json): Intrinsic<'String'> {
  return new Intrinsic('Fn::ToJsonString', value);
}

// Rule functions, valid only in a template's `Rules` section (`t.rule`).
// https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/rules-section-structure.html

/** `Fn::Contains`: the value is one of the list.     `Contains(['dev', 'prod'], p.Env.ref)` */
export function Contains(list: ListValue<Value<string>>, value: Value<string>): Intrinsic<'Condition'> {
  return new Intrinsic('Fn::Contains', [list, value]);
}
/** `Fn::EachMemberEquals`: every member of the list equals the value.     `EachMemberEquals(ValueOfAll('AWS::EC2::Subnet::Id', 'VpcId'), p.VpcId.ref)` */
export function EachMemberEquals(list: ListValue<Value<string>>, value: Value<string>): Intrinsic<'Condition'> {
  return new Intrinsic('Fn::EachMemberEquals', [list, value]);
}
/** `Fn::EachMemberIn`: every member of the list is in the allowed list. */
export function EachMemberIn(list: ListValue<Value<string>>, allowed: ListValue<Value<string>>): Intrinsic<'Condition'> {
  return new Intrinsic('Fn::EachMemberIn', [list, allowed]);
}
/** `Fn::RefAll`: the values of every parameter of an AWS-specific type.     `RefAll('AWS::EC2::VPC::Id')` */
export function RefAll(parameterType: ParameterType): Intrinsic<'List<String>'> {
  return new Intrinsic('Fn::RefAll', parameterType);
}
/** `Fn::ValueOf`: an attribute of the resource a parameter names.     `ValueOf(p.SubnetId, 'VpcId')` */
export function ValueOf(parameter: Parameter, attribute: string): Intrinsic<'String'> {
  return new Intrinsic('Fn::ValueOf', [parameter.logicalId, attribute], parameter.ref.owner);
}
/** `Fn::ValueOfAll`: an attribute of every resource the parameters of a type name. */
export function ValueOfAll(parameterType: ParameterType, attribute: string): Intrinsic<'List<String>'> {
  return new Intrinsic('Fn::ValueOfAll', [parameterType, attribute]);
}

/** Functions that need `Transform: AWS::LanguageExtensions`. */
export const LANGUAGE_EXTENSION_FUNCTIONS: ReadonlySet<IntrinsicName> = new Set(['Fn::Length', 'Fn::ToJsonString']);
