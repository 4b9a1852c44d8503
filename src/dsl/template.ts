/**
 * A CloudFormation template under construction. Every section of the template anatomy is here,
 * and every addition is checked when it is made: logical IDs, handles from other templates, limits.
 * A check that fails names the TypeScript line that made the addition and the template it is in.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html
 */
import { captureSite, located, type Site } from './_site.ts';
import { isPseudoParameter, subPlaceholders, walk } from './_walk.ts';
import { BerthError, q } from './errors.ts';
import { AWS, Condition, Intrinsic, LANGUAGE_EXTENSION_FUNCTIONS, sub } from './intrinsic.ts';
import { checkCount, checkLogicalId } from './limits.ts';
import { Mapping, type MappingData } from './mapping.ts';
import type { OutputProps } from './output.ts';
import { DEFAULT_PARAMETER_GROUP, Parameter, parameterDeclaration, type DefaultOf, type ParameterProps, type ParameterType } from './parameter.ts';
import { OVERRIDES_MARKER, Resource, UNTYPED_MARKER, UntypedResource, type PropsOf, type ResourceOptions, type ResourceType } from './resource.ts';
import type { Json } from './value.ts';

export interface TemplateProps {
  /** The file stem the template is written to: `network` becomes `network.yaml`. */
  readonly name: string;
  /** The template's `Description`, shown in the console. */
  readonly description: string;
}

export interface RuleProps {
  /** @default - the assertions always apply */
  readonly condition?: Intrinsic<'Condition'>;
  readonly assertions: readonly { readonly assert: Intrinsic<'Condition'>; readonly description: string }[];
}

/**
 * What using a resource type berth has not generated turns the `type` argument into: the
 * compiler's message names the type and says how to add it.
 */
export interface ResourceTypeNotGenerated<Type extends string, HowToAdd extends string> {
  readonly type: Type;
  readonly howToAdd: HowToAdd;
}
type HowToAddType =
  'add it to RESOURCE_TYPES in scripts/gen-types.ts (one line) and run `make types`; `make build` then names the launch-role grant it needs. Until then: t.untypedResource';
/** A generated resource type, or a message saying how to generate it. */
export type ResourceTypeArg<T extends string> = T extends ResourceType ? T : ResourceTypeNotGenerated<T, HowToAddType>;

/** What `untypedResource` turns a type berth has generated into: use `resource` for it. */
export interface ResourceTypeIsGenerated<Type extends string> {
  readonly generated: Type;
  readonly use: 't.resource, which checks its properties';
}

/** `untypedResource`'s options: the resource attributes, and why the resource is untyped. */
export interface UntypedResourceOptions extends ResourceOptions {
  /** Why the type is not generated yet; written to the resource's Metadata (`berth:untyped`) for review. */
  readonly reason: string;
}

/**
 * A template: add parameters, resources, conditions, mappings, rules and outputs; `toJSON` gives
 * the document the emitter writes. Stacks get their template from `defineStack`'s build; a
 * template made directly is for tests and tools.
 *
 *     const t = new Template({ name: 'demo', description: 'A bucket.' });
 *     const bucket = t.resource('Bucket', 'AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } }, RETAIN);
 *     t.output('BucketName', { value: bucket.ref, description: 'The bucket.' });
 */
export class Template {
  readonly name: string;
  readonly description: string;
  private readonly parameters = new Map<string, Parameter>();
  private readonly resources = new Map<string, Resource | UntypedResource>();
  private readonly conditions = new Map<string, Intrinsic<'Condition'>>();
  private readonly mappings = new Map<string, MappingData>();
  private readonly rules = new Map<string, RuleProps>();
  private readonly outputs = new Map<string, OutputProps>();
  private readonly metadata = new Map<string, Json>();
  private readonly sites = new Map<string, Site>();
  /** Templates nested in this one, written as sibling files. */
  readonly children: Template[] = [];

  constructor(props: TemplateProps) {
    this.name = props.name;
    this.description = props.description;
  }

  /** Where this template's messages point: its file. */
  get file(): string {
    return `${this.name}.yaml`;
  }

  /**
   * Adds a parameter; its handle's `ref` is the only way to use it. Every field is checked (a
   * misspelt one is a compile error). A stack declares its parameters in its contract instead
   * (`parameter(type, props)`), and `build` gets the handles.
   *
   *     const env = t.parameter('EnvironmentName', { type: 'String', description: 'Name prefix.', default: 'dev', allowedPattern: '^[a-z-]+$' });
   *     sub`${env.ref}-queue`
   */
  parameter<T extends ParameterType, D extends DefaultOf<T> | undefined = undefined>(
    logicalId: string,
    props: { readonly type: T } & ParameterProps<T, D>,
    /** Where the parameter was declared; berth passes a contract's, authors leave it out. */
    site: Site = captureSite(),
  ): Parameter<T> {
    const where = () => located(this.file, site);
    checkLogicalId(where, 'parameter', logicalId, this.refTargets());
    checkCount(where, 'parameters', this.parameters.size + 1);
    const p = new Parameter(logicalId, props.type, props, this);
    this.parameters.set(logicalId, p as unknown as Parameter);
    this.sites.set(`Parameters.${logicalId}`, site);
    return p;
  }

  /**
   * Adds a resource of a type berth generated from AWS's spec: `props` are checked against it
   * (names, required properties, allowed values, and the kind of every reference), and the handle
   * gives `ref` and the type's own `getAtt` names. A type berth has not generated does not compile,
   * with a message saying how to add it.
   *
   *     const vpc = t.resource('Vpc', 'AWS::EC2::VPC', { CidrBlock: p.VpcCidr.ref, EnableDnsHostnames: true });
   *     t.resource('Subnet', 'AWS::EC2::Subnet', { VpcId: vpc.ref, CidrBlock: '10.0.0.0/24' }, { dependsOn: [vpc] });
   */
  resource<T extends ResourceType | (string & {})>(logicalId: string, type: ResourceTypeArg<T>, props: PropsOf<T & ResourceType>, options: ResourceOptions = {}): Resource<T & ResourceType> {
    const site = captureSite();
    const r = new Resource<T & ResourceType>(logicalId, type as string as T & ResourceType, props, options, this, site);
    this.addResource(r, site);
    return r;
  }

  /**
   * Escape hatch: a resource of a type berth has not generated yet. Nothing checks its properties
   * and its Metadata carries `berth:untyped: <reason>`, so review sees it. Generate the type as
   * soon as you can (one line in scripts/gen-types.ts, `make types`) and switch to `resource`.
   *
   *     t.untypedResource('Bus', 'AWS::Events::EventBus', { Name: sub`${env.ref}-bus` }, { reason: 'not generated yet' });
   */
  untypedResource<T extends string>(
    logicalId: string,
    type: T extends ResourceType ? ResourceTypeIsGenerated<T> : T,
    props: { readonly [key: string]: Json },
    options: UntypedResourceOptions,
  ): UntypedResource {
    const site = captureSite();
    const { reason, ...attributes } = options;
    const r = new UntypedResource(logicalId, type as string, props, attributes, this, reason, site);
    this.addResource(r, site);
    return r;
  }

  private addResource(r: Resource | UntypedResource, site: Site): void {
    const where = () => located(this.file, site);
    checkLogicalId(where, 'resource', r.logicalId, this.refTargets());
    checkCount(where, 'resources', this.resources.size + 1);
    const what = `resource ${q(r.logicalId)}`;
    this.checkOwned(r.props, where, `${what}, property`, []);
    for (const d of r.options.dependsOn ?? []) this.checkOwnedHandle(d.owner, where, `${what}, DependsOn ${q(d.logicalId)}`);
    if (r.options.condition) this.checkOwnedHandle(r.options.condition.owner, where, `${what}, Condition ${q(r.options.condition.logicalId)}`);
    this.resources.set(r.logicalId, r);
    this.sites.set(`Resources.${r.logicalId}`, site);
  }

  /**
   * Adds a named condition for resources, outputs and `If`.
   *
   *     const hasKeyPair = t.condition('HasKeyPair', Not(Equals(p.KeyPairName.ref, '')));
   *     KeyName: If(hasKeyPair, p.KeyPairName.ref, AWS.NoValue)
   */
  condition(logicalId: string, expression: Intrinsic<'Condition'>): Condition {
    const site = captureSite();
    const where = () => located(this.file, site);
    checkLogicalId(where, 'condition', logicalId, new Set(this.conditions.keys()));
    this.checkOwned(expression, where, `condition ${q(logicalId)}`, []);
    this.conditions.set(logicalId, expression);
    this.sites.set(`Conditions.${logicalId}`, site);
    return new Condition(logicalId, this);
  }

  /**
   * Adds a mapping; its handle's `find` is `Fn::FindInMap`, with literal keys checked by the compiler.
   *
   *     const sizes = t.mapping('Sizes', { dev: { Cpu: 256 }, prod: { Cpu: 1024 } });
   *     Cpu: sizes.find('prod', 'Cpu')
   */
  mapping<const M extends MappingData>(logicalId: string, data: M): Mapping<M> {
    const site = captureSite();
    const where = () => located(this.file, site);
    checkLogicalId(where, 'mapping', logicalId, new Set(this.mappings.keys()));
    checkCount(where, 'mappings', this.mappings.size + 1);
    this.mappings.set(logicalId, data);
    return new Mapping(logicalId, data, this);
  }

  /**
   * Adds a rule: assertions on parameter values, checked by CloudFormation before it creates anything.
   *
   *     t.rule('ProdNeedsHttps', { condition: Equals(p.Env.ref, 'prod'), assertions: [{ assert: Not(Equals(p.Cert.ref, '')), description: 'prod needs a certificate' }] });
   */
  rule(logicalId: string, props: RuleProps): void {
    const site = captureSite();
    const where = () => located(this.file, site);
    checkLogicalId(where, 'rule', logicalId, new Set(this.rules.keys()));
    this.checkOwned(props, where, `rule ${q(logicalId)}`, []);
    this.rules.set(logicalId, props);
    this.sites.set(`Rules.${logicalId}`, site);
  }

  /**
   * Adds an output (a stack declares its outputs in its contract instead, with `output(kind, props)`).
   * Not exported unless `export` says so.
   *
   *     t.output('BucketName', { value: bucket.ref, description: 'The bucket.', export: true });
   */
  output(
    logicalId: string,
    props: OutputProps,
    /** Where the output was declared; berth passes a contract's, authors leave it out. */
    site: Site = captureSite(),
  ): void {
    const where = () => located(this.file, site);
    checkLogicalId(where, 'output', logicalId, new Set(this.outputs.keys()));
    checkCount(where, 'outputs', this.outputs.size + 1);
    this.checkOwned(props, where, `output ${q(logicalId)}`, []);
    this.outputs.set(logicalId, props);
    this.sites.set(`Outputs.${logicalId}`, site);
  }

  /** A template-level `Metadata` entry. `AWS::CloudFormation::Interface` is built from parameters. */
  addMetadata(key: string, value: Json): void {
    this.metadata.set(key, value);
  }

  /** Counts for the build summary. */
  get counts(): { readonly resources: number; readonly parameters: number; readonly outputs: number } {
    return { resources: this.resources.size, parameters: this.parameters.size, outputs: this.outputs.size };
  }

  /**
   * The template as a plain object, sections in template-anatomy order, intrinsics left as
   * `Intrinsic` instances for the emitter. Checks `Fn::Sub` placeholders first.
   */
  toJSON(): Record<string, unknown> {
    const doc: Record<string, unknown> = { AWSTemplateFormatVersion: '2010-09-09', Description: this.description };
    const metadata: Record<string, unknown> = {};
    const iface = this.interfaceMetadata();
    if (iface) metadata['AWS::CloudFormation::Interface'] = iface;
    for (const [k, v] of this.metadata) metadata[k] = v;
    if (Object.keys(metadata).length) doc.Metadata = metadata;
    if (this.parameters.size) doc.Parameters = mapOf(this.parameters, (p) => parameterDeclaration(p.type, p.props));
    if (this.rules.size) {
      doc.Rules = mapOf(this.rules, (r) => ({
        ...(r.condition ? { RuleCondition: r.condition } : {}),
        Assertions: r.assertions.map((a) => ({ Assert: a.assert, AssertDescription: a.description })),
      }));
    }
    if (this.mappings.size) doc.Mappings = Object.fromEntries(this.mappings);
    if (this.conditions.size) doc.Conditions = Object.fromEntries(this.conditions);
    doc.Resources = mapOf(this.resources, (r) => this.resourceDeclaration(r));
    if (this.outputs.size) {
      doc.Outputs = mapOf(this.outputs, (o, id) => ({
        Description: o.description,
        ...(o.condition ? { Condition: o.condition.logicalId } : {}),
        Value: o.value,
        ...(o.export === undefined ? {} : { Export: { Name: o.export === true ? sub`${AWS.StackName}-${id}` : o.export } }),
      }));
    }
    if (this.scanIntrinsics(doc).languageExtensions) {
      // Fn::Length and Fn::ToJsonString exist only under this transform; it goes before Resources.
      const { Resources, Outputs, ...head } = doc;
      return { ...head, Transform: 'AWS::LanguageExtensions', Resources, ...(Outputs ? { Outputs } : {}) };
    }
    return doc;
  }

  private resourceDeclaration(r: Resource | UntypedResource): Record<string, unknown> {
    const o = r.options;
    const d: Record<string, unknown> = { Type: r.type };
    if (o.condition) d.Condition = o.condition.logicalId;
    if (o.dependsOn?.length) d.DependsOn = o.dependsOn.length === 1 ? o.dependsOn[0]!.logicalId : o.dependsOn.map((x) => x.logicalId);
    const overrides = r instanceof Resource ? r.overrides : [];
    const props = r instanceof Resource && r.overrides.length ? this.withOverrides(r) : propsOf(r);
    if (Object.keys(props as object).length) d.Properties = props;
    // Escape hatches are marked where review reads the resource.
    const marks = {
      ...(r instanceof UntypedResource ? { [UNTYPED_MARKER]: r.reason } : {}),
      ...(overrides.length ? { [OVERRIDES_MARKER]: Object.fromEntries(overrides.map((x) => [x.path.join('.'), x.reason])) } : {}),
    };
    if (o.metadata || Object.keys(marks).length) d.Metadata = { ...o.metadata, ...marks };
    if (o.creationPolicy) d.CreationPolicy = o.creationPolicy;
    if (o.updatePolicy) d.UpdatePolicy = o.updatePolicy;
    if (o.deletionPolicy) d.DeletionPolicy = o.deletionPolicy;
    if (o.updateReplacePolicy) d.UpdateReplacePolicy = o.updateReplacePolicy;
    return d;
  }

  /** A copy of a resource's properties with its overrides set, each path copied on the way down. */
  private withOverrides(r: Resource): Record<string, unknown> {
    const where = () => located(this.file, r.site);
    const root: Record<string, unknown> = { ...propsOf(r) };
    for (const { path, value } of r.overrides) {
      this.checkOwned(value, where, `resource ${q(r.logicalId)}, override`, [...path]);
      let node = root;
      path.forEach((key, i) => {
        if (i === path.length - 1) {
          node[key] = value;
          return;
        }
        const next = node[key];
        if (next instanceof Intrinsic || (next !== undefined && (next === null || typeof next !== 'object'))) {
          throw new BerthError(where(), `resource ${q(r.logicalId)}: override ${q(path.join('.'))} goes through ${q(path.slice(0, i + 1).join('.'))}, which is not an object. Override the whole ${q(path.slice(0, i + 1).join('.'))} instead.`);
        }
        node = node[key] = (Array.isArray(next) ? [...(next as unknown[])] : { ...(next as object) }) as Record<string, unknown>;
      });
    }
    return root;
  }

  private interfaceMetadata(): Record<string, unknown> | undefined {
    if (this.parameters.size === 0) return undefined;
    const groups = new Map<string, string[]>();
    const labels: Record<string, { default: string }> = {};
    for (const [id, p] of this.parameters) {
      const group = p.props.group ?? DEFAULT_PARAMETER_GROUP;
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group)!.push(id);
      labels[id] = { default: p.props.label ?? id };
    }
    return {
      ParameterGroups: [...groups].map(([label, ids]) => ({ Label: { default: label }, Parameters: ids })),
      ParameterLabels: labels,
    };
  }

  private refTargets(): Set<string> {
    return new Set([...this.parameters.keys(), ...this.resources.keys()]);
  }

  private checkOwnedHandle(owner: unknown, where: () => string, what: string): void {
    if (owner !== this) {
      throw new BerthError(
        where(),
        `${what} refers to a handle of template ${q((owner as { name?: string })?.name ?? '?')}. ` +
          'A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.',
      );
    }
  }

  /**
   * Walks a value and rejects any Ref / GetAtt / Condition that belongs to another template.
   * `path` is one array pushed and popped along the walk (a copy per node made this a tenth of a
   * build's time); it is joined only for a message.
   */
  private checkOwned(value: unknown, where: () => string, what: string, path: string[]): void {
    if (value instanceof Intrinsic) {
      if (value.owner && value.owner !== this) {
        this.checkOwnedHandle(value.owner, where, `${what} ${q(path.join('.') || '(value)')}`);
      }
      this.checkOwned(value.args, where, what, path);
    } else if (value instanceof Condition) {
      this.checkOwnedHandle(value.owner, where, `${what} ${q(path.join('.'))}`);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(String(i));
        this.checkOwned(value[i], where, what, path);
        path.pop();
      }
    } else if (value !== null && typeof value === 'object') {
      for (const k of Object.keys(value)) {
        path.push(k);
        this.checkOwned((value as Record<string, unknown>)[k], where, what, path);
        path.pop();
      }
    }
  }

  /**
   * One walk over the document's intrinsics: every `${Name}` in a `Fn::Sub` must be a variable, a
   * pseudo parameter, or one of ours (a located error otherwise: only a text built at run time
   * gets here, the compiler checks literal ones); and whether the document uses a function that
   * needs the `AWS::LanguageExtensions` transform.
   */
  private scanIntrinsics(doc: Record<string, unknown>): { readonly languageExtensions: boolean } {
    let languageExtensions = false;
    walk(doc, (i, path) => {
      languageExtensions ||= LANGUAGE_EXTENSION_FUNCTIONS.has(i.fn);
      if (i.fn !== 'Fn::Sub') return;
      const [text, vars] = Array.isArray(i.args) ? (i.args as [string, Record<string, unknown>]) : [i.args as string, {}];
      for (const name of subPlaceholders(text)) {
        const head = name.split('.')[0]!;
        if (name in vars || isPseudoParameter(name) || this.parameters.has(name) || this.resources.has(head)) continue;
        const site = this.sites.get(`${path[0]}.${path[1]}`); // Resources.<id>, Outputs.<id>, ...
        throw new BerthError(
          located(this.file, site),
          `${q(path.join('.'))}: \`Fn::Sub\` placeholder ${q('${' + name + '}')} names nothing in this template. ` +
            `Expected a variable of the Sub, a pseudo parameter, or one of: ${[...this.refTargets()].slice(0, 8).map((t) => q(t)).join(', ')}. ` +
            'Use the sub`...` tagged template with handles, or write `${!Literal}` for a literal.',
        );
      }
    });
    return { languageExtensions };
  }
}

/**
 * A handle's properties as an object. Read through this narrow type: the properties of "any
 * resource" are the union of every generated type's, which the compiler would otherwise compare.
 */
function propsOf(r: { readonly props: object }): object {
  return r.props;
}

function mapOf<V>(m: ReadonlyMap<string, V>, f: (v: V, id: string) => unknown): Record<string, unknown> {
  return Object.fromEntries([...m].map(([k, v]) => [k, f(v, k)]));
}

