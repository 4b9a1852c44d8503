/**
 * A CloudFormation template under construction. Every section of the template anatomy is here,
 * and every addition is checked when it is made: logical IDs, handles from other templates, limits.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-anatomy.html
 */
import { BerthError, q } from './errors.ts';
import {
  AWS,
  Condition,
  Intrinsic,
  isPseudoParameter,
  LANGUAGE_EXTENSION_FUNCTIONS,
  sub,
  subPlaceholders,
  type Json,
  type Value,
} from './intrinsic.ts';
import { checkCount, checkLogicalId } from './limits.ts';
import { Mapping, type MappingData } from './mapping.ts';
import { DEFAULT_PARAMETER_GROUP, Parameter, parameterDeclaration, type ParameterProps, type ParameterType } from './parameter.ts';
import { Resource, type PropsOf, type ResourceOptions } from './resource.ts';
import type { ResourceType } from './resource-types.generated.ts';

export interface TemplateProps {
  /** The file stem the template is written to: `network` becomes `network.yaml`. */
  readonly name: string;
  /** The template's `Description`, shown in the console. */
  readonly description: string;
}

export interface OutputProps {
  readonly value: Value<string | number>;
  readonly description: string;
  /**
   * The export name, or `false` for none.
   * @default `${AWS::StackName}-<logical ID>`
   */
  readonly exportName?: Value<string> | false;
  /** @default - always output */
  readonly condition?: Condition;
}

export interface RuleProps {
  /** @default - the assertions always apply */
  readonly condition?: Intrinsic<'Boolean'>;
  readonly assertions: readonly { readonly assert: Intrinsic<'Boolean'>; readonly description: string }[];
}

export class Template {
  readonly name: string;
  readonly description: string;
  private readonly parameters = new Map<string, Parameter>();
  private readonly resources = new Map<string, Resource>();
  private readonly conditions = new Map<string, Intrinsic<'Boolean'>>();
  private readonly mappings = new Map<string, MappingData>();
  private readonly rules = new Map<string, RuleProps>();
  private readonly outputs = new Map<string, OutputProps>();
  private readonly metadata = new Map<string, Json>();
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

  parameter<T extends ParameterType>(logicalId: string, props: ParameterProps<T>): Parameter<T> {
    this.checkId('parameter', logicalId, this.refTargets());
    checkCount(this.file, 'parameters', this.parameters.size + 1);
    const p = new Parameter(logicalId, props, this);
    this.parameters.set(logicalId, p as unknown as Parameter);
    return p;
  }

  resource<T extends ResourceType>(logicalId: string, type: T, props: PropsOf<T>, options: ResourceOptions = {}): Resource<T> {
    this.checkId('resource', logicalId, this.refTargets());
    checkCount(this.file, 'resources', this.resources.size + 1);
    const where = `resource ${q(logicalId)}`;
    this.checkOwned(props, `${where}, property`, []);
    for (const d of options.dependsOn ?? []) this.checkOwnedHandle(d.owner, `${where}, DependsOn ${q(d.logicalId)}`);
    if (options.condition) this.checkOwnedHandle(options.condition.owner, `${where}, Condition ${q(options.condition.logicalId)}`);
    const r = new Resource(logicalId, type, props, options, this);
    this.resources.set(logicalId, r as unknown as Resource);
    return r;
  }

  condition(logicalId: string, expression: Intrinsic<'Boolean'>): Condition {
    this.checkId('condition', logicalId, new Set(this.conditions.keys()));
    this.checkOwned(expression, `condition ${q(logicalId)}`, []);
    this.conditions.set(logicalId, expression);
    return new Condition(logicalId, this);
  }

  mapping<const M extends MappingData>(logicalId: string, data: M): Mapping<M> {
    this.checkId('mapping', logicalId, new Set(this.mappings.keys()));
    checkCount(this.file, 'mappings', this.mappings.size + 1);
    this.mappings.set(logicalId, data);
    return new Mapping(logicalId, data, this);
  }

  rule(logicalId: string, props: RuleProps): void {
    this.checkId('rule', logicalId, new Set(this.rules.keys()));
    this.checkOwned(props, `rule ${q(logicalId)}`, []);
    this.rules.set(logicalId, props);
  }

  output(logicalId: string, props: OutputProps): void {
    this.checkId('output', logicalId, new Set(this.outputs.keys()));
    checkCount(this.file, 'outputs', this.outputs.size + 1);
    this.checkOwned(props, `output ${q(logicalId)}`, []);
    this.outputs.set(logicalId, props);
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
    if (this.parameters.size) doc.Parameters = mapOf(this.parameters, (p) => parameterDeclaration(p.props));
    if (this.rules.size) {
      doc.Rules = mapOf(this.rules, (r) => ({
        ...(r.condition ? { RuleCondition: r.condition } : {}),
        Assertions: r.assertions.map((a) => ({ Assert: a.assert, AssertDescription: a.description })),
      }));
    }
    if (this.mappings.size) doc.Mappings = Object.fromEntries(this.mappings);
    if (this.conditions.size) doc.Conditions = Object.fromEntries(this.conditions);
    doc.Resources = mapOf(this.resources, (r) => resourceDeclaration(r));
    if (this.outputs.size) {
      doc.Outputs = mapOf(this.outputs, (o, id) => ({
        Description: o.description,
        ...(o.condition ? { Condition: o.condition.logicalId } : {}),
        Value: o.value,
        ...(o.exportName === false ? {} : { Export: { Name: o.exportName ?? sub`${AWS.StackName}-${id}` } }),
      }));
    }
    if (this.scanIntrinsics(doc).languageExtensions) {
      // Fn::Length and Fn::ToJsonString exist only under this transform; it goes before Resources.
      const { Resources, Outputs, ...head } = doc;
      return { ...head, Transform: 'AWS::LanguageExtensions', Resources, ...(Outputs ? { Outputs } : {}) };
    }
    return doc;
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

  private checkId(kind: string, id: string, taken: ReadonlySet<string>): void {
    checkLogicalId(this.file, kind, id, taken);
  }

  private checkOwnedHandle(owner: unknown, where: string): void {
    if (owner !== this) {
      throw new BerthError(
        this.file,
        `${where} refers to a handle of template ${q((owner as { name?: string })?.name ?? '?')}. ` +
          'A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.',
      );
    }
  }

  /**
   * Walks a value and rejects any Ref / GetAtt / Condition that belongs to another template.
   * `path` is one array pushed and popped along the walk (a copy per node made this a tenth of a
   * build's time); it is joined only for a message.
   */
  private checkOwned(value: unknown, where: string, path: string[]): void {
    if (value instanceof Intrinsic) {
      if (value.owner && value.owner !== this) {
        this.checkOwnedHandle(value.owner, `${where} ${q(path.join('.') || '(value)')}`);
      }
      this.checkOwned(value.args, where, path);
    } else if (value instanceof Condition) {
      this.checkOwnedHandle(value.owner, `${where} ${q(path.join('.'))}`);
    } else if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(String(i));
        this.checkOwned(value[i], where, path);
        path.pop();
      }
    } else if (value !== null && typeof value === 'object') {
      for (const k of Object.keys(value)) {
        path.push(k);
        this.checkOwned((value as Record<string, unknown>)[k], where, path);
        path.pop();
      }
    }
  }

  /**
   * One walk over the document's intrinsics: every `${Name}` in a `Fn::Sub` must be a variable, a
   * pseudo parameter, or one of ours (a located error otherwise); and whether the document uses a
   * function that needs the `AWS::LanguageExtensions` transform.
   */
  private scanIntrinsics(doc: Record<string, unknown>): { readonly languageExtensions: boolean } {
    const targets = this.refTargets();
    let languageExtensions = false;
    walk(doc, (i, path) => {
      languageExtensions ||= LANGUAGE_EXTENSION_FUNCTIONS.has(i.fn);
      if (i.fn !== 'Fn::Sub') return;
      const [text, vars] = Array.isArray(i.args) ? (i.args as [string, Record<string, unknown>]) : [i.args as string, {}];
      for (const name of subPlaceholders(text)) {
        const head = name.split('.')[0]!;
        if (name in vars || isPseudoParameter(name) || this.parameters.has(name) || this.resources.has(head)) continue;
        throw new BerthError(
          this.file,
          `${q(path.join('.'))}: \`Fn::Sub\` placeholder ${q('${' + name + '}')} names nothing in this template. ` +
            `Expected a variable of the Sub, a pseudo parameter, or one of: ${[...targets].slice(0, 8).map((t) => q(t)).join(', ')}. ` +
            'Use the sub`...` tagged template with handles, or write `${!Literal}` for a literal.',
        );
      }
    });
    return { languageExtensions };
  }
}

function resourceDeclaration(r: Resource): Record<string, unknown> {
  const o = r.options;
  const d: Record<string, unknown> = { Type: r.type };
  if (o.condition) d.Condition = o.condition.logicalId;
  if (o.dependsOn?.length) d.DependsOn = o.dependsOn.length === 1 ? o.dependsOn[0]!.logicalId : o.dependsOn.map((x) => x.logicalId);
  if (Object.keys(r.props as object).length) d.Properties = r.props;
  if (o.metadata) d.Metadata = o.metadata;
  if (o.creationPolicy) d.CreationPolicy = o.creationPolicy;
  if (o.updatePolicy) d.UpdatePolicy = o.updatePolicy;
  if (o.deletionPolicy) d.DeletionPolicy = o.deletionPolicy;
  if (o.updateReplacePolicy) d.UpdateReplacePolicy = o.updateReplacePolicy;
  return d;
}

function mapOf<V>(m: ReadonlyMap<string, V>, f: (v: V, id: string) => unknown): Record<string, unknown> {
  return Object.fromEntries([...m].map(([k, v]) => [k, f(v, k)]));
}

/**
 * Calls `f` on every intrinsic in a tree, with its path. The path array is reused along the walk:
 * read it during the call, copy it to keep it.
 */
export function walk(value: unknown, f: (i: Intrinsic, path: readonly string[]) => void, path: string[] = []): void {
  if (value instanceof Intrinsic) {
    f(value, path);
    walk(value.args, f, path);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(String(i));
      walk(value[i], f, path);
      path.pop();
    }
  } else if (value !== null && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      path.push(k);
      walk((value as Record<string, unknown>)[k], f, path);
      path.pop();
    }
  }
}
