/**
 * Stacks: a contract (name, description, parameters and outputs) declared first, and a pure build
 * function that fills the template and returns the outputs' values. Nesting a stack checks the
 * contract at compile time: every required parameter must be passed with a compatible kind, and
 * outputs are read by name with their kinds. The nested stack is emitted as
 * `AWS::CloudFormation::Stack` with a relative `TemplateURL` to the sibling file, which
 * `aws cloudformation package` uploads and cfn-lint follows.
 *
 * Declaring the contract before the build body, and annotating the body's return type with the
 * contract's outputs, is what keeps the editor fast and the errors short: a stack's type is then
 * read from its contract alone (the compiler never re-checks a build body to type a parent that
 * nests it), and a wrong output is reported on the returned property, against a named type.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudformation-stack.html
 */
import { captureSite, located, type Site } from './_site.ts';
import { BerthError, q } from './errors.ts';
import { Intrinsic, Join } from './intrinsic.ts';
import type { OutputKind, OutputSpec } from './output.ts';
import type { Parameter, ParameterSpec, ParameterType } from './parameter.ts';
import type { Resource, ResourceOptions } from './resource.ts';
import { Template } from './template.ts';
import type { ValueOfKind } from './value.ts';

export type ParameterSpecs = { readonly [name: string]: ParameterSpec | undefined };
export type OutputSpecs = { readonly [name: string]: OutputSpec };

type TypeOfSpec<S> = S extends ParameterSpec<infer T> ? T : never;

/**
 * The handles `build` receives, one per declared parameter. A parameter declared only for some
 * settings (`undefined` in its spec's type) has a handle that may be `undefined`.
 */
export type ParameterHandles<P extends ParameterSpecs> = {
  readonly [K in keyof P]-?: undefined extends P[K] ? Parameter<TypeOfSpec<NonNullable<P[K]>>> | undefined : Parameter<TypeOfSpec<P[K]>>;
};

/** What `build` returns: one value per declared output, of the output's kind. */
export type OutputValues<O extends OutputSpecs> = { readonly [K in keyof O]: ValueOfKind<O[K]['type']> };

/** Parameters without a default; a parameter declared only for some settings (`undefined` in its type) is optional. */
type RequiredKeys<P extends ParameterSpecs> = { [K in keyof P]-?: undefined extends P[K] ? never : P[K] extends ParameterSpec<ParameterType, true> ? never : K }[keyof P];
type OptionalKeys<P extends ParameterSpecs> = Exclude<keyof P, RequiredKeys<P>>;

/** The parameters a parent passes: required ones (no default) must be there, each of its parameter's kind. */
export type NestArguments<P extends ParameterSpecs> = { readonly [K in RequiredKeys<P>]: ValueOfKind<TypeOfSpec<P[K]>> } & {
  readonly [K in OptionalKeys<P>]?: ValueOfKind<TypeOfSpec<NonNullable<P[K]>>>;
};

/** The kind a parent reads a nested output as: outputs are strings, so a list arrives joined. */
export type NestedOutputKind<K extends OutputKind> = K extends `List<${infer E extends string}>`
  ? `CommaDelimited<${E}>`
  : K extends 'CommaDelimitedList'
    ? 'CommaDelimited<String>'
    : K;

/**
 * A stack's contract: its file name, description, parameters and outputs. Made by `contract`;
 * `S` is the settings the stack is built from.
 */
export interface StackContract<S, P extends ParameterSpecs, O extends OutputSpecs> {
  /** File stem, `network` for `network.yaml`; a function when one definition makes several stacks. */
  readonly name: string | ((settings: S) => string);
  readonly description: string | ((settings: S) => string);
  /** Parameters, each made by `parameter(type, props)`; a function of the settings when defaults come from the environment. */
  readonly parameters: P | ((settings: S) => P);
  /** Outputs, each made by `output(kind, props)`. */
  readonly outputs: O;
  /** Where the contract was declared, for build-time errors. */
  readonly site?: Site;
}

/** Fills the template and returns the outputs' values. Pure: settings in, template out. */
export type BuildFunction<S, P extends ParameterSpecs, O extends OutputSpecs> = (t: Template, params: ParameterHandles<P>, settings: S) => OutputValues<O>;

/** A stack: its contract and its build function. What `nest` and `synthesize` take. */
export interface StackDefinition<S, P extends ParameterSpecs, O extends OutputSpecs> extends StackContract<S, P, O> {
  readonly build: BuildFunction<S, P, O>;
}

/** The settings a contract or stack is built from. */
export type SettingsOf<C> = C extends StackContract<infer S, infer _P, infer _O> ? S : never;
/** The parameter handles `build` receives for a contract. */
export type ParametersOf<C> = C extends StackContract<infer _S, infer P, infer _O> ? ParameterHandles<P> : never;
/** What `build` returns for a contract: declare it as an interface and annotate `build` with it (see `defineStack`). */
export type OutputsOf<C> = C extends StackContract<infer _S, infer _P, infer O> ? OutputValues<O> : never;

/**
 * Declares a stack's contract, before its build body (see `defineStack`).
 *
 *     export const networkContract = contract({
 *       name: 'network',
 *       description: (s: ResolvedSettings) => `berth network for ${s.name}`,
 *       parameters: (s: ResolvedSettings) => ({
 *         VpcCidr: parameter('String', { description: 'IPv4 CIDR block of the VPC.', default: s.network.vpcCidr }),
 *       }),
 *       outputs: {
 *         VpcId: output('AWS::EC2::VPC::Id', { description: 'The VPC.' }),
 *       },
 *     });
 */
export function contract<S, const P extends ParameterSpecs, const O extends OutputSpecs>(declaration: StackContract<S, P, O>): StackContract<S, P, O> {
  return { ...declaration, site: captureSite() };
}

/** The implementation of a stack: its build function. */
export interface StackImplementation<S, P extends ParameterSpecs, O extends OutputSpecs> {
  /** Fills the template and returns the outputs' values. Pure: settings in, template out. */
  readonly build: BuildFunction<S, P, O>;
}

/**
 * A stack: its contract plus a pure build function. Annotate `build`'s return type with an
 * interface of the contract's outputs: the stack's type then comes from the contract alone
 * (editing a parent never re-checks this body), and a wrong output is reported on the property
 * returned, against that name.
 *
 *     export interface NetworkOutputs extends OutputsOf<typeof networkContract> {}
 *
 *     export const network = defineStack(networkContract, {
 *       build(t, p, s): NetworkOutputs {
 *         const vpc = t.resource('Vpc', 'AWS::EC2::VPC', { CidrBlock: p.VpcCidr.ref, EnableDnsHostnames: true });
 *         return { VpcId: vpc.ref };
 *       },
 *     });
 */
export function defineStack<S, P extends ParameterSpecs, O extends OutputSpecs>(
  stackContract: StackContract<S, P, O>,
  implementation: NoInfer<StackImplementation<S, P, O>>,
): StackDefinition<S, P, O> {
  return { ...stackContract, build: implementation.build };
}

/**
 * Builds a stack into a template: parameters, resources, then the contract's outputs. The CLI's
 * estate module calls it for each top-level stack; `nest` calls it for nested ones.
 *
 *     synthesize(root, { settings, services })
 */
export function synthesize<S, P extends ParameterSpecs, O extends OutputSpecs>(def: StackDefinition<S, P, O>, settings: S): Template {
  const name = typeof def.name === 'function' ? def.name(settings) : def.name;
  const description = typeof def.description === 'function' ? def.description(settings) : def.description;
  const t = new Template({ name, description });
  const specs = typeof def.parameters === 'function' ? def.parameters(settings) : def.parameters;
  const handles: Record<string, Parameter> = {};
  for (const [id, spec] of Object.entries(specs)) {
    if (spec) handles[id] = t.parameter(id, spec, spec.site ?? def.site);
  }
  const values = def.build(t, handles as ParameterHandles<P>, settings) as Record<string, unknown>;
  for (const [id, spec] of Object.entries(def.outputs)) {
    if (!(id in values)) {
      throw new BerthError(located(t.file, spec.site ?? def.site), `the stack's contract declares output ${q(id)} but \`build\` returned no value for it. Return it from \`build\`.`);
    }
    t.output(id, { value: asParameterValue(values[id]), description: spec.description, ...(spec.export === undefined ? {} : { export: spec.export }) }, spec.site ?? def.site);
  }
  for (const id of Object.keys(values)) {
    if (!(id in def.outputs)) {
      throw new BerthError(located(t.file, def.site), `\`build\` returned ${q(id)}, which the stack's contract does not declare. Add it to \`outputs\` or stop returning it.`);
    }
  }
  return t;
}

/** A nested stack in its parent: a resource handle plus typed outputs. */
export interface NestedStack<O extends OutputSpecs> {
  readonly stack: Resource<'AWS::CloudFormation::Stack'>;
  readonly template: Template;
  /** `Fn::GetAtt <Stack>.Outputs.<Name>` of each output, of its kind (a list arrives comma-joined). */
  readonly outputs: { readonly [K in keyof O]: Intrinsic<NestedOutputKind<O[K]['type']>> };
}

export interface NestProps<S, P extends ParameterSpecs> {
  readonly settings: S;
  readonly parameters: NestArguments<P>;
  /** Resource attributes of the `AWS::CloudFormation::Stack` (for example `dependsOn`). @default - none */
  readonly options?: ResourceOptions;
}

/**
 * Nests a stack: builds the child template, registers it as a sibling file, and adds an
 * `AWS::CloudFormation::Stack` with a relative `TemplateURL` and the given parameters. Every
 * required parameter must be passed, each of its kind; outputs come back typed.
 *
 *     const net = nest(t, 'Network', network, { settings, parameters: { EnvironmentName: env } });
 *     nest(t, 'LoadBalancer', loadBalancer, { settings, parameters: { VpcId: net.outputs.VpcId, PublicSubnetIds: net.outputs.PublicSubnetIds } });
 */
export function nest<S, P extends ParameterSpecs, O extends OutputSpecs>(
  parent: Template,
  logicalId: string,
  def: StackDefinition<S, P, O>,
  props: NestProps<S, P>,
): NestedStack<O> {
  const site = captureSite();
  const where = () => located(parent.file, site);
  const child = synthesize(def, props.settings);
  const specs = typeof def.parameters === 'function' ? def.parameters(props.settings) : def.parameters;
  const args = props.parameters as Record<string, unknown>;
  for (const [id, spec] of Object.entries(specs)) {
    if (spec && spec.default === undefined && args[id] === undefined) {
      throw new BerthError(where(), `nested stack ${q(logicalId)} (${child.file}) needs parameter ${q(id)} (${spec.type}): ${spec.description} Pass it in \`parameters\`.`);
    }
  }
  for (const id of Object.keys(args)) {
    if (!specs[id]) throw new BerthError(where(), `nested stack ${q(logicalId)} (${child.file}) has no parameter ${q(id)}. Its parameters are: ${Object.keys(specs).filter((k) => specs[k]).map((k) => q(k)).join(', ')}.`);
  }
  if (parent.children.some((c) => c.name === child.name)) {
    throw new BerthError(where(), `nested stack ${q(logicalId)} would write ${child.file}, which another nested stack already writes. Give each stack its own name.`);
  }
  parent.children.push(child);
  const parameters = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined).map(([k, v]) => [k, asParameterValue(v)]));
  const stack = parent.resource(
    logicalId,
    'AWS::CloudFormation::Stack',
    { TemplateURL: child.file, ...(Object.keys(parameters).length ? { Parameters: parameters as Record<string, Intrinsic<'String'>> } : {}) },
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
function asParameterValue(v: unknown): Intrinsic<'String'> {
  if (Array.isArray(v)) return Join(',', v as string[]) as unknown as Intrinsic<'String'>;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v) as unknown as Intrinsic<'String'>;
  return v as Intrinsic<'String'>;
}
