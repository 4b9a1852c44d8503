/**
 * Template parameters: every CloudFormation parameter type, AWS-specific and SSM types included.
 * A stack's contract declares each one with `parameter(type, props)`, which checks every field
 * of `props` on its own (a misspelt `noecho` is a compile error on that line, not a silently
 * dropped `NoEcho`); a template adds one with `t.parameter(logicalId, type, props)`.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
 */
import { captureSite, type Site } from './_site.ts';
import { Intrinsic, type Owner } from './intrinsic.ts';
import type { AwsSpecificType } from './kind.ts';

export type { AwsSpecificType } from './kind.ts';

export type ScalarParameterType = 'String' | 'Number' | AwsSpecificType;
export type ListParameterType = 'List<Number>' | 'CommaDelimitedList' | `List<${AwsSpecificType}>`;
/** Parameters whose value is read from Systems Manager Parameter Store at deploy time. */
export type SsmParameterType =
  | 'AWS::SSM::Parameter::Name'
  | 'AWS::SSM::Parameter::Value<String>'
  | 'AWS::SSM::Parameter::Value<List<String>>'
  | 'AWS::SSM::Parameter::Value<CommaDelimitedList>'
  | `AWS::SSM::Parameter::Value<${AwsSpecificType}>`
  | `AWS::SSM::Parameter::Value<List<${AwsSpecificType}>>`;

export type ParameterType = ScalarParameterType | ListParameterType | SsmParameterType;

/** The kind a parameter's `Ref` evaluates to: SSM value types resolve to the type they wrap. */
export type RefKindOf<T extends ParameterType> = T extends `AWS::SSM::Parameter::Value<${infer Inner}>`
  ? Inner extends 'List<String>' ? 'List<String>' : Inner
  : T extends 'AWS::SSM::Parameter::Name' ? 'String' : T;

/** What a default value looks like for a parameter type. */
export type DefaultOf<T extends ParameterType> = T extends 'Number'
  ? number
  : T extends 'List<Number>'
    ? readonly number[]
    : T extends ListParameterType
      ? readonly string[]
      : string;

/** Everything a parameter declares besides its type. `D` is the type of its default. */
export interface ParameterProps<T extends ParameterType = ParameterType, D extends DefaultOf<T> | undefined = DefaultOf<T> | undefined> {
  /** Shown under the field in the console; required so every parameter explains itself. */
  readonly description: string;
  /** @default - none: the parameter must be given (or be an AWS picker type in the console) */
  readonly default?: D;
  /** @default - any value */
  readonly allowedValues?: readonly (string | number)[];
  /** @default - any value */
  readonly allowedPattern?: string;
  /** Shown when a constraint fails. @default - CloudFormation's generic message */
  readonly constraintDescription?: string;
  /** @default - no limit */
  readonly minLength?: number;
  /** @default - no limit */
  readonly maxLength?: number;
  /** @default - no limit */
  readonly minValue?: number;
  /** @default - no limit */
  readonly maxValue?: number;
  /** Masks the value in the console, CLI and API (passwords, tokens). @default false */
  readonly noEcho?: boolean;
  /** Console label (`AWS::CloudFormation::Interface`). @default - the logical ID */
  readonly label?: string;
  /** Console group (`AWS::CloudFormation::Interface`). @default 'Other parameters' */
  readonly group?: string;
}

declare const MADE_BY_PARAMETER: unique symbol;

/**
 * A parameter of a stack's contract, made by `parameter`. `Defaulted` records whether it has a
 * default, which decides whether a parent that nests the stack must pass it.
 */
export interface ParameterSpec<T extends ParameterType = ParameterType, Defaulted extends boolean = boolean> extends ParameterProps<T> {
  readonly type: T;
  /** Where the contract declared it, for build-time errors. */
  readonly site?: Site;
  /** Phantom: whether the spec has a default; only `parameter` makes one. */
  readonly [MADE_BY_PARAMETER]: Defaulted;
}

/**
 * Declares a parameter of a stack's contract. Every field of `props` is checked on its own line.
 *
 *     parameters: (s: ResolvedSettings) => ({
 *       VpcCidr: parameter('String', { description: 'IPv4 CIDR block of the VPC.', default: s.network.vpcCidr, allowedPattern: CIDR }),
 *       VpcId: parameter('AWS::EC2::VPC::Id', { description: 'The VPC.', label: 'VPC' }),      // no default: a parent must pass it
 *       DbPassword: parameter('String', { description: 'Database password.', noEcho: true, minLength: 16 }),
 *     }),
 */
export function parameter<T extends ParameterType, D extends DefaultOf<T> | undefined = undefined>(
  type: T,
  props: ParameterProps<T, D>,
): ParameterSpec<T, undefined extends D ? false : true> {
  return { type, ...props, site: captureSite() } as ParameterSpec<T, undefined extends D ? false : true>;
}

/** A declared parameter: its `ref` is the only way to refer to it. */
export class Parameter<T extends ParameterType = ParameterType> {
  /** `Ref` of the parameter: its value, of the kind its type names (`AWS::EC2::VPC::Id`, `List<AWS::EC2::Subnet::Id>`, ...). */
  readonly ref: Intrinsic<RefKindOf<T>>;
  declare private readonly nominal: never;

  /** Built by `Template.parameter`; the entry module exports this class as a type only. */
  constructor(
    readonly logicalId: string,
    readonly type: T,
    readonly props: ParameterProps<T>,
    owner: Owner,
  ) {
    this.ref = new Intrinsic('Ref', logicalId, owner);
  }
}

export const DEFAULT_PARAMETER_GROUP = 'Other parameters';

/** The parameter's CloudFormation declaration, keys in the order the docs list them. */
export function parameterDeclaration(type: ParameterType, p: ParameterProps): Record<string, unknown> {
  const d: Record<string, unknown> = { Type: type, Description: p.description };
  if (p.default !== undefined) d.Default = Array.isArray(p.default) ? p.default.join(',') : p.default;
  if (p.allowedValues) d.AllowedValues = [...p.allowedValues];
  if (p.allowedPattern !== undefined) d.AllowedPattern = p.allowedPattern;
  if (p.minLength !== undefined) d.MinLength = p.minLength;
  if (p.maxLength !== undefined) d.MaxLength = p.maxLength;
  if (p.minValue !== undefined) d.MinValue = p.minValue;
  if (p.maxValue !== undefined) d.MaxValue = p.maxValue;
  if (p.constraintDescription !== undefined) d.ConstraintDescription = p.constraintDescription;
  if (p.noEcho) d.NoEcho = true;
  return d;
}
