/**
 * What may stand where CloudFormation expects a value: a literal, an intrinsic function of the
 * right kind, or an `Fn::If` whose branches both fit. The generated resource types
 * (`resource-types.generated.d.ts`) are written in these terms, so a property accepts exactly
 * the kinds CloudFormation accepts there.
 */
import type { Intrinsic } from './intrinsic.ts';
import type { AwsSpecificType, ElementKind, ListOf, StringKind, ValueKind } from './kind.ts';

declare const BRANCHES: unique symbol;
declare const NO_VALUE: unique symbol;

/**
 * An `Fn::If`: `T` is what each branch must be (the value type of the place it fills). Made only
 * by `If`, which takes `T` from where its result goes, so the branches are checked against the
 * property, output or parameter they fill.
 */
export interface Conditional<T> {
  readonly [BRANCHES]: T;
}

/**
 * `AWS::NoValue`: removes the property it fills. CloudFormation accepts it only as a branch of
 * `Fn::If`, so it is no `Value` of its own: `If(hasKey, key.ref, AWS.NoValue)`.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html#cfn-pseudo-param-novalue
 */
export interface NoValue {
  readonly [NO_VALUE]: true;
}

/**
 * The kinds of intrinsic that evaluate to a `T`. A string takes any string kind, and `Number`: a
 * `Number` parameter's `Ref` is a string wherever it is used ("when you use the parameter
 * elsewhere in your template ... the parameter value becomes a string",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html#parameters-section-structure-properties-type).
 * A number takes `Number` only; a boolean takes a `String` ("true" / "false").
 */
export type KindFor<T> = T extends string ? StringKind | 'Number' : T extends number ? 'Number' : T extends boolean ? 'String' : 'Json';

/**
 * A literal `T`, an intrinsic that evaluates to one, or an `Fn::If` of those.
 *
 *     const name: Value<string> = sub`${AWS.StackName}-queue`;
 */
export type Value<T> = T | Intrinsic<KindFor<T>> | Conditional<Value<T>>;

/**
 * A string that must be one specific kind of identifier: a literal, or an intrinsic of kind `K`
 * only. The generated types use it where AWS's spec relates a property to a resource type: a
 * subnet's `VpcId` takes `vpc.ref` or a VPC-ID parameter, never a subnet ID or a free `String`.
 */
export type KindValue<K extends StringKind> = string | Intrinsic<K> | Conditional<KindValue<K>>;

type IntrinsicKindOf<T> = T extends Intrinsic<infer K> ? K : never;

/**
 * A list: an array of `T`, an intrinsic that evaluates to a whole list of `T`'s kind, or an `Fn::If` of those.
 *
 *     SubnetIds: [a.ref, b.ref]            // or: p.SubnetIds.ref, Split(',', nested.outputs.SubnetIds)
 */
export type ListValue<T> = readonly T[] | Intrinsic<[IntrinsicKindOf<T>] extends [never] ? 'Json' : ListOf<IntrinsicKindOf<T>>> | Conditional<ListValue<T>>;

/** A string-keyed map, an intrinsic that evaluates to an object, or an `Fn::If` of those. */
export type MapValue<T> = { readonly [key: string]: T } | Intrinsic<'Json'> | Conditional<MapValue<T>>;

/** Free-form JSON (IAM policy documents, container definitions' free parts): any value kind inside. */
export type Json =
  | string
  | number
  | boolean
  | null
  | readonly Json[]
  | { readonly [key: string]: Json }
  | Intrinsic<ValueKind>
  | Conditional<Json>;

type ElementValue<E extends ElementKind> = E extends 'Number' ? Value<number> : E extends 'String' ? Value<string> : E extends AwsSpecificType ? KindValue<E> : never;

/**
 * A list passed where CloudFormation wants it as one string (a nested stack's parameter, a stack
 * output): an array, which berth joins with commas, or a list already joined (`Join(',', list)`,
 * or a list output read from another nested stack). A list intrinsic itself does not go: AWS
 * "can't pass values of type CommaDelimitedList to a nested stack"
 * (https://repost.aws/knowledge-center/cloudformation-parameters-nested-stacks), and an output
 * value must be a string.
 */
export type ListArgument<E extends ElementKind> = readonly ElementValue<E>[] | Intrinsic<`CommaDelimited<${E}>`> | Conditional<ListArgument<E>>;

/**
 * What may stand where a value of CloudFormation type `K` goes: a nested stack's parameter of
 * type `K`, or a stack output of kind `K`. An SSM parameter type takes the parameter's name,
 * never its value.
 */
export type ValueOfKind<K extends string> = K extends 'Number'
  ? Value<number>
  : K extends 'String'
    ? Value<string | number | boolean>
    : K extends 'List<Number>'
      ? ListArgument<'Number'>
      : K extends 'List<String>' | 'CommaDelimitedList'
        ? ListArgument<'String' | AwsSpecificType>
        : K extends `List<${infer E extends AwsSpecificType}>`
          ? ListArgument<E>
          : K extends `AWS::SSM::Parameter::${string}`
            ? KindValue<'AWS::SSM::Parameter::Name'>
            : K extends StringKind
              ? KindValue<K>
              : never;
