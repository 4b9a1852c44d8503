/**
 * Stack contracts. A stack declares its parameters and outputs as types, and a pure `build`
 * function fills the template. Nesting a stack checks the contract at compile time: every
 * required parameter must be passed with a compatible kind, and outputs are read by name with
 * their kinds. The nested stack is emitted as `AWS::CloudFormation::Stack` with a relative
 * `TemplateURL` to the sibling file, which `aws cloudformation package` uploads and cfn-lint follows.
 */
import { BerthError, q } from './errors.ts';
import { Intrinsic, Join, type Value } from './intrinsic.ts';
import type { AwsSpecificType, ListParameterType, Parameter, ParameterProps, ParameterType, RefKindOf } from './parameter.ts';
import type { Resource, ResourceOptions } from './resource.ts';
import { Template } from './template.ts';

/** The kind of an output: what the parent sees, in the parameter-type vocabulary. */
export type OutputKind = 'String' | 'Number' | AwsSpecificType | ListParameterType | 'AWS::SSM::Parameter::Name';

export interface OutputSpec<K extends OutputKind = OutputKind> {
  readonly type: K;
  readonly description: string;
}

export type ParameterSpecs = { readonly [name: string]: ParameterProps };
export type OutputSpecs = { readonly [name: string]: OutputSpec };

/** The handles `build` receives, one per declared parameter. */
export type ParameterHandles<P extends ParameterSpecs> = { readonly [K in keyof P]-?: Parameter<NonNullable<P[K]>['type']> };

/** What `build` must return for an output of kind `K`: lists may be returned as arrays. */
export type OutputValue<K extends OutputKind> = K extends 'List<Number>'
  ? readonly Value<number>[] | Intrinsic<K>
  : K extends `List<${infer E}>`
    ? readonly (string | Intrinsic<E>)[] | Intrinsic<K>
    : K extends 'CommaDelimitedList'
      ? readonly Value<string>[] | Intrinsic<string>
      : K extends 'String'
        ? Value<string | number>
        : K extends 'Number'
          ? number | Intrinsic<'Number'>
          : string | Intrinsic<K>;

export type OutputValues<O extends OutputSpecs> = { readonly [K in keyof O]: OutputValue<O[K]['type']> };

/** What a parent may pass for a nested parameter of type `T`. */
export type ArgumentFor<T extends ParameterType> = T extends 'Number'
  ? number | Intrinsic<'Number'>
  : T extends 'List<Number>'
    ? readonly (number | Intrinsic<'Number'>)[] | Intrinsic<'List<Number>'>
    : T extends `List<${infer E}>`
      ? readonly (string | Intrinsic<E>)[] | Intrinsic<T>
      : T extends 'CommaDelimitedList'
        ? readonly Value<string>[] | Intrinsic<'CommaDelimitedList' | `List<${string}>`>
        : T extends 'String'
          ? string | number | boolean | Intrinsic<ScalarKind>
          : T extends `AWS::SSM::Parameter::${string}`
            ? string | Intrinsic<'AWS::SSM::Parameter::Name'> // the parameter's name, never its value

            : string | Intrinsic<T | `AWS::SSM::Parameter::Value<${T & string}>`>;

/** Kinds that evaluate to one value (not a list). */
export type ScalarKind = 'String' | 'Number' | AwsSpecificType;

/** Parameters without a default; a parameter declared only for some settings (`undefined` in its type) is optional. */
type RequiredKeys<P extends ParameterSpecs> = { [K in keyof P]-?: undefined extends P[K] ? never : P[K] extends { readonly default: unknown } ? never : K }[keyof P];
type OptionalKeys<P extends ParameterSpecs> = Exclude<keyof P, RequiredKeys<P>>;

/** The parameters a parent passes: required ones (no default) must be there. */
export type NestArguments<P extends ParameterSpecs> = { readonly [K in RequiredKeys<P>]: ArgumentFor<NonNullable<P[K]>['type']> } & {
  readonly [K in OptionalKeys<P>]?: ArgumentFor<NonNullable<P[K]>['type']>;
};

export interface StackDefinition<S, P extends ParameterSpecs, O extends OutputSpecs> {
  /** File stem, `network` for `network.yaml`; a function when one definition makes several stacks. */
  readonly name: string | ((settings: S) => string);
  readonly description: string | ((settings: S) => string);
  /** Parameters; a function of the settings when defaults come from the environment. */
  readonly parameters: P | ((settings: S) => P);
  readonly outputs: O;
  /** Fills the template. Pure: settings in, template out. */
  build(t: Template, params: ParameterHandles<P>, settings: S): OutputValues<O>;
}

export function defineStack<S, const P extends ParameterSpecs, const O extends OutputSpecs>(
  definition: StackDefinition<S, P, O>,
): StackDefinition<S, P, O> {
  return definition;
}

/** Builds a stack definition into a template: parameters, resources, then the contract's outputs. */
export function synthesize<S, P extends ParameterSpecs, O extends OutputSpecs>(def: StackDefinition<S, P, O>, settings: S): Template {
  const name = typeof def.name === 'function' ? def.name(settings) : def.name;
  const description = typeof def.description === 'function' ? def.description(settings) : def.description;
  const t = new Template({ name, description });
  const specs = typeof def.parameters === 'function' ? def.parameters(settings) : def.parameters;
  const handles: Record<string, Parameter> = {};
  for (const [id, spec] of Object.entries(specs)) handles[id] = t.parameter(id, spec);
  const values = def.build(t, handles as ParameterHandles<P>, settings) as Record<string, unknown>;
  for (const [id, spec] of Object.entries(def.outputs)) {
    if (!(id in values)) {
      throw new BerthError(t.file, `the stack's contract declares output ${q(id)} but \`build\` returned no value for it. Return it from \`build\`.`);
    }
    t.output(id, { value: asParameterValue(values[id]), description: spec.description });
  }
  for (const id of Object.keys(values)) {
    if (!(id in def.outputs)) {
      throw new BerthError(t.file, `\`build\` returned ${q(id)}, which the stack's contract does not declare. Add it to \`outputs\` or stop returning it.`);
    }
  }
  return t;
}

/** A nested stack in its parent: a resource handle plus typed outputs. */
export interface NestedStack<O extends OutputSpecs> {
  readonly stack: Resource<'AWS::CloudFormation::Stack'>;
  readonly template: Template;
  readonly outputs: { readonly [K in keyof O]: Intrinsic<O[K]['type']> };
}

export interface NestProps<S, P extends ParameterSpecs> {
  readonly settings: S;
  readonly parameters: NestArguments<P>;
  /** Resource attributes of the `AWS::CloudFormation::Stack` (for example `dependsOn`). @default - none */
  readonly options?: ResourceOptions;
}

/**
 * Nests a stack: builds the child template, registers it as a sibling file, and adds an
 * `AWS::CloudFormation::Stack` with a relative `TemplateURL` and the given parameters.
 */
export function nest<S, P extends ParameterSpecs, O extends OutputSpecs>(
  parent: Template,
  logicalId: string,
  def: StackDefinition<S, P, O>,
  props: NestProps<S, P>,
): NestedStack<O> {
  const child = synthesize(def, props.settings);
  const specs = typeof def.parameters === 'function' ? def.parameters(props.settings) : def.parameters;
  const args = props.parameters as Record<string, unknown>;
  for (const [id, spec] of Object.entries(specs)) {
    if (spec.default === undefined && args[id] === undefined) {
      throw new BerthError(parent.file, `nested stack ${q(logicalId)} (${child.file}) needs parameter ${q(id)} (${spec.type}): ${spec.description} Pass it in \`parameters\`.`);
    }
  }
  for (const id of Object.keys(args)) {
    if (!(id in specs)) throw new BerthError(parent.file, `nested stack ${q(logicalId)} (${child.file}) has no parameter ${q(id)}. Its parameters are: ${Object.keys(specs).map((k) => q(k)).join(', ')}.`);
  }
  if (parent.children.some((c) => c.name === child.name)) {
    throw new BerthError(parent.file, `nested stack ${q(logicalId)} would write ${child.file}, which another nested stack already writes. Give each stack its own name.`);
  }
  parent.children.push(child);
  const parameters = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined).map(([k, v]) => [k, asParameterValue(v)]));
  const stack = parent.resource(
    logicalId,
    'AWS::CloudFormation::Stack',
    { TemplateURL: child.file, ...(Object.keys(parameters).length ? { Parameters: parameters as Record<string, Value<string>> } : {}) },
    {
      // Deleting the parent deletes the child stack; stateful resources inside carry their own
      // Retain policies. Explicit, so the choice is visible (cfn-lint I3011).
      deletionPolicy: 'Delete',
      updateReplacePolicy: 'Delete',
      ...props.options,
      metadata: {
        // The relative TemplateURL is deliberate: `aws cloudformation package` uploads the sibling
        // file and rewrites the URL, and cfn-lint follows it to check the wiring (E3043, E1010).
        // W3002 only warns that the template needs `package` first, which scripts/deploy.sh does.
        'cfn-lint': { config: { ignore_checks: ['W3002'] } },
        ...props.options?.metadata,
      },
    },
  );
  const outputs = Object.fromEntries(Object.keys(def.outputs).map((id) => [id, new Intrinsic('Fn::GetAtt', [logicalId, `Outputs.${id}`], parent)]));
  return { stack, template: child, outputs: outputs as NestedStack<O>['outputs'] };
}

/** Parameter values and outputs are strings: lists are comma-joined, numbers and booleans quoted. */
function asParameterValue(v: unknown): Value<string> {
  if (Array.isArray(v)) return Join(',', v as Value<string>[]);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return v as Value<string>;
}

export type { RefKindOf };
