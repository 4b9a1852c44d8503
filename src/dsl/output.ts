/**
 * Template outputs. A stack's contract declares each one with `output(kind, props)`, which checks
 * every field of `props` on its own; a template adds one with `t.output(logicalId, props)`.
 *
 * Outputs are not exported unless asked (`export: true`), as the AWS CDK does: an export is a
 * promise. While another stack imports it, CloudFormation refuses to change or delete it, and its
 * name must be unique in the account and Region. Export what other stacks are meant to import
 * (the estate's root stack, whose name the deployer chooses), not the outputs of nested stacks,
 * whose generated names nobody can import by.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/outputs-section-structure.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html
 */
import type { Site } from './_site.ts';
import { captureSite } from './_site.ts';
import type { Condition } from './intrinsic.ts';
import type { AwsSpecificType } from './kind.ts';
import type { ListParameterType } from './parameter.ts';
import type { Value, ValueOfKind } from './value.ts';

/** The kind of an output: what a parent that nests the stack sees, in the parameter-type vocabulary. */
export type OutputKind = 'String' | 'Number' | AwsSpecificType | ListParameterType | 'AWS::SSM::Parameter::Name';

/** Whether and under which name an output is exported. */
export interface ExportProps {
  /**
   * Export the output for `Fn::ImportValue` in other stacks: `true` for the name
   * `<stack name>-<logical ID>`, or a name of your own.
   * @default - not exported
   */
  readonly export?: true | Value<string>;
}

/** An output of a stack's contract, made by `output`. */
export interface OutputSpec<K extends OutputKind = OutputKind> extends ExportProps {
  readonly type: K;
  /** Shown in the console and by `describe-stacks`; required so every output explains itself. */
  readonly description: string;
  /** Where the contract declared it, for build-time errors. */
  readonly site?: Site;
}

/**
 * Declares an output of a stack's contract; `build` returns its value, checked against `kind`
 * (a list for a `List<...>` output, a VPC ID for an `AWS::EC2::VPC::Id` one, never a list for a
 * `String`).
 *
 *     outputs: {
 *       VpcId: output('AWS::EC2::VPC::Id', { description: 'The VPC.', export: true }),
 *       AppSubnetIds: output('List<AWS::EC2::Subnet::Id>', { description: 'Application subnets, one per AZ.' }),
 *     },
 */
export function output<K extends OutputKind>(kind: K, props: { readonly description: string } & ExportProps): OutputSpec<K> {
  return { type: kind, ...props, site: captureSite() };
}

/** An output added to a template directly (`t.output`). */
export interface OutputProps extends ExportProps {
  /** A string or number: CloudFormation outputs are strings (join a list: `Join(',', list)`). */
  readonly value: ValueOfKind<'String'>;
  readonly description: string;
  /** @default - always output */
  readonly condition?: Condition;
}
