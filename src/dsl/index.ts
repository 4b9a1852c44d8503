/**
 * berth's DSL for stack authors: the one module templates/ imports the DSL from. docs/dsl.md is
 * the reference. The classes of handles and intrinsics are exported as types only: they come from
 * a template (`t.resource`, `t.parameter`, `t.condition`, `t.mapping`) and the intrinsic
 * functions, never from `new`, so every `Ref` and `GetAtt` names a logical ID berth declared.
 */

// Stacks: a contract declared first, then a build function; nesting checks the contract.
export {
  contract,
  defineStack,
  nest,
  synthesize,
  type BuildFunction,
  type NestArguments,
  type NestedOutputKind,
  type NestedStack,
  type NestProps,
  type OutputsOf,
  type OutputSpecs,
  type OutputValues,
  type ParameterHandles,
  type ParametersOf,
  type ParameterSpecs,
  type SettingsOf,
  type StackContract,
  type StackDefinition,
} from './stack.ts';
export { parameter, type DefaultOf, type ListParameterType, type ParameterProps, type ParameterSpec, type ParameterType, type RefKindOf, type ScalarParameterType, type SsmParameterType } from './parameter.ts';
export type { Parameter } from './parameter.ts';
export { output, type ExportProps, type OutputKind, type OutputProps, type OutputSpec } from './output.ts';

// Templates and handles.
export { Template, type ResourceTypeArg, type ResourceTypeIsGenerated, type ResourceTypeNotGenerated, type RuleProps, type TemplateProps, type UntypedResourceOptions } from './template.ts';
export { OVERRIDES_MARKER, RETAIN, UNTYPED_MARKER, type AnyResource, type AttributeKind, type AttributeOf, type DeletionPolicy, type PropsOf, type RefKind, type ResourceOptions, type ResourceType, type ResourceTypes, type UpdateReplacePolicy } from './resource.ts';
export type { Resource, UntypedResource } from './resource.ts';
export { FindInMap, type MappingData } from './mapping.ts';
export type { Mapping } from './mapping.ts';

// Intrinsic functions, pseudo parameters, and what they evaluate to.
export {
  And,
  AWS,
  Base64,
  Cidr,
  Contains,
  EachMemberEquals,
  EachMemberIn,
  Equals,
  GetAZs,
  If,
  ImportValue,
  Join,
  Length,
  Not,
  Or,
  RefAll,
  Select,
  Split,
  Sub,
  sub,
  ToJsonString,
  ValueOf,
  ValueOfAll,
  type ConditionExpression,
  type IntrinsicName,
  type SplitKind,
} from './intrinsic.ts';
export type { Condition, Intrinsic } from './intrinsic.ts';
export type { SubPlaceholderNamesNothing, SubPlaceholders, SubPseudoParameter, SubText } from './sub-placeholders.ts';
export type { AwsSpecificType, CommaDelimitedKind, ElementKind, ElementOf, Kind, ListKind, ListOf, StringKind, ValueKind } from './kind.ts';
export type { Conditional, Json, KindFor, KindValue, ListArgument, ListValue, MapValue, NoValue, Value, ValueOfKind } from './value.ts';
export type * from './resource-types.generated.d.ts';

// Errors, limits, and helpers stack authors need.
export { BerthError, q } from './errors.ts';
export { checkRegions, LIMITS } from './limits.ts';
export { flatten, type Estate } from './estate.ts';
export { fnv1a } from './hash.ts';
// For messages that name where a definition was written, in the compiled CLI as from source.
export { sourceFile } from './_site.ts';
