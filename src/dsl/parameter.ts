/**
 * Template parameters: every CloudFormation parameter type, AWS-specific and SSM types included.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html
 */
import { Intrinsic, type Owner } from './intrinsic.ts';

/** AWS-specific parameter types: the console renders these as pickers of existing resources. */
export type AwsSpecificType =
  | 'AWS::EC2::AvailabilityZone::Name'
  | 'AWS::EC2::Image::Id'
  | 'AWS::EC2::Instance::Id'
  | 'AWS::EC2::KeyPair::KeyName'
  | 'AWS::EC2::SecurityGroup::GroupName'
  | 'AWS::EC2::SecurityGroup::Id'
  | 'AWS::EC2::Subnet::Id'
  | 'AWS::EC2::Volume::Id'
  | 'AWS::EC2::VPC::Id'
  | 'AWS::Route53::HostedZone::Id';

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
  ? Inner extends 'String' ? 'String' : Inner
  : T extends 'AWS::SSM::Parameter::Name' ? 'String' : T;

/** What a default value looks like for a parameter type. */
export type DefaultOf<T extends ParameterType> = T extends 'Number'
  ? number
  : T extends 'List<Number>'
    ? readonly number[]
    : T extends ListParameterType
      ? readonly string[]
      : string;

export interface ParameterProps<T extends ParameterType = ParameterType> {
  readonly type: T;
  /** Shown under the field in the console; required so every parameter explains itself. */
  readonly description: string;
  /** @default - none: the parameter must be given (or be an AWS picker type in the console) */
  readonly default?: DefaultOf<T>;
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
  /** Masks the value in the console, CLI and API. @default false */
  readonly noEcho?: boolean;
  /** Console label (`AWS::CloudFormation::Interface`). @default - the logical ID */
  readonly label?: string;
  /** Console group (`AWS::CloudFormation::Interface`). @default 'Other parameters' */
  readonly group?: string;
}

/** A declared parameter: its `ref` is the only way to refer to it. */
export class Parameter<T extends ParameterType = ParameterType> {
  readonly ref: Intrinsic<RefKindOf<T>>;

  constructor(
    readonly logicalId: string,
    readonly props: ParameterProps<T>,
    owner: Owner,
  ) {
    this.ref = new Intrinsic('Ref', logicalId, owner);
  }
}

export const DEFAULT_PARAMETER_GROUP = 'Other parameters';

/** The parameter's CloudFormation declaration, keys in the order the docs list them. */
export function parameterDeclaration(p: ParameterProps): Record<string, unknown> {
  const d: Record<string, unknown> = { Type: p.type, Description: p.description };
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
