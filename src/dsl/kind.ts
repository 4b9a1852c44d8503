/**
 * Kinds: what a CloudFormation value is, in CloudFormation's own parameter-type vocabulary
 * (`String`, `Number`, `AWS::EC2::VPC::Id`, `List<AWS::EC2::Subnet::Id>`, ...), plus `Json` for
 * objects, `CommaDelimited<E>` for a list joined into one string, and `Condition` for what the
 * condition functions return. Every intrinsic carries its kind as a type, never at run time, so
 * the compiler rejects a subnet list where a VPC ID goes, a subnet ID where a VPC ID goes, or
 * `Fn::Equals` as a property value.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html#parameters-section-structure-supported-parameter-types
 */

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

/** What a list's elements may be. */
export type ElementKind = 'String' | 'Number' | AwsSpecificType;

/** Lists, as CloudFormation's parameter types name them. `CommaDelimitedList` is a list of strings. */
export type ListKind = 'List<String>' | 'List<Number>' | 'CommaDelimitedList' | `List<${AwsSpecificType}>`;

/**
 * A list joined into one string with commas (`Fn::Join` on `,`, or a list output read from a
 * nested stack: outputs are strings). It goes wherever a string goes, and into a nested stack's
 * list parameter, which CloudFormation splits again; never where a property wants a real list.
 */
export type CommaDelimitedKind = `CommaDelimited<${ElementKind}>`;

/** Kinds of one string: text, an AWS-specific identifier, an SSM parameter name, a joined list. */
export type StringKind = 'String' | AwsSpecificType | 'AWS::SSM::Parameter::Name' | CommaDelimitedKind;

/** Every kind a property, output or parameter value may have. */
export type ValueKind = StringKind | 'Number' | ListKind | 'Json';

/** Every kind: values, and what `Fn::Equals`, `Fn::And`, ... and the rule functions return. */
export type Kind = ValueKind | 'Condition';

/** The element kind of a list kind: `List<AWS::EC2::Subnet::Id>` has `AWS::EC2::Subnet::Id`. */
export type ElementOf<K extends string> = K extends `List<${infer E extends ElementKind}>` ? E : K extends 'CommaDelimitedList' ? 'String' : 'String';

/** The list kinds whose elements have kind `E` (a list of subnet IDs is also a list of strings). */
export type ListOf<E extends string> = E extends 'Number'
  ? 'List<Number>'
  : E extends 'String' | 'AWS::SSM::Parameter::Name' | CommaDelimitedKind
    ? 'List<String>' | 'CommaDelimitedList'
    : E extends AwsSpecificType
      ? `List<${E}>`
      : 'Json';
