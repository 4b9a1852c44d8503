/**
 * What the deploy preflight checks, read from the templates in output/<env>/ rather than from the
 * settings file's shape: the deployed template and, for the root, every nested template it
 * references, each with the parameter values the deploy will pass (the `--param` overrides and the
 * defaults, and for a nested stack what its parent passes). Values are resolved as CloudFormation
 * would where that is possible before the stack exists (literals, `Ref` to parameters and pseudo
 * parameters, `Fn::Sub`, `Fn::Join`, `Fn::If` on conditions of those); a value that depends on a
 * resource (a `GetAtt`, a nested stack's output) is left unresolved and not checked.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseTemplate } from '../src/emit/parse.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The pseudo parameters known before the stack exists; an absent one is unresolved. */
export interface Pseudo {
  readonly region: string;
  readonly accountId?: string;
  readonly stackName?: string;
}

/** AWS partitions by Region prefix. https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html */
export function partitionOf(region: string): { partition: string; urlSuffix: string } {
  if (region.startsWith('cn-')) return { partition: 'aws-cn', urlSuffix: 'amazonaws.com.cn' };
  if (region.startsWith('us-gov-')) return { partition: 'aws-us-gov', urlSuffix: 'amazonaws.com' };
  return { partition: 'aws', urlSuffix: 'amazonaws.com' };
}

/** One template of the deploy, with the values its parameters will have. */
export class StackTemplate {
  readonly resources: Readonly<Record<string, Obj>>;
  private readonly conditions: Obj;

  constructor(
    /** Path as the user sees it, e.g. `output/prod/load-balancer.yaml`. */
    readonly file: string,
    readonly doc: Obj,
    /** Parameter values; undefined where not known before the deploy. */
    readonly params: ReadonlyMap<string, string | undefined>,
    readonly pseudo: Pseudo,
  ) {
    this.resources = (isObj(doc.Resources) ? doc.Resources : {}) as Record<string, Obj>;
    this.conditions = isObj(doc.Conditions) ? doc.Conditions : {};
  }

  /** Is `id` a resource of this template (so a `Ref` to it is something the stack creates)? */
  isResource(id: unknown): boolean {
    return typeof id === 'string' && id in this.resources;
  }

  /** True when `v` is a `Ref` or `GetAtt` of a resource of this template. */
  createdHere(v: unknown): boolean {
    if (!isObj(v)) return false;
    if ('Ref' in v) return this.isResource(v.Ref);
    if ('Fn::GetAtt' in v) return Array.isArray(v['Fn::GetAtt']) && this.isResource(v['Fn::GetAtt'][0]);
    return false;
  }

  /** The parameter `v` is a direct `Ref` to, if any: where a value came from, for the fix. */
  parameterOf(v: unknown): string | undefined {
    return isObj(v) && typeof v.Ref === 'string' && this.params.has(v.Ref) ? v.Ref : undefined;
  }

  private ref(name: string): string | undefined {
    if (this.params.has(name)) return this.params.get(name);
    const { partition, urlSuffix } = partitionOf(this.pseudo.region);
    switch (name) {
      case 'AWS::Region':
        return this.pseudo.region;
      case 'AWS::Partition':
        return partition;
      case 'AWS::URLSuffix':
        return urlSuffix;
      case 'AWS::AccountId':
        return this.pseudo.accountId;
      case 'AWS::StackName':
        return this.pseudo.stackName;
      default:
        return undefined;
    }
  }

  /** The string `v` will be, or undefined where it depends on what the stack creates. */
  resolve(v: unknown): string | undefined {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (!isObj(v)) return undefined;
    if (typeof v.Ref === 'string') return this.ref(v.Ref);
    if ('Fn::Sub' in v) {
      const arg = v['Fn::Sub'];
      const [text, vars] = Array.isArray(arg) ? [arg[0], isObj(arg[1]) ? arg[1] : {}] : [arg, {}];
      if (typeof text !== 'string') return undefined;
      let unresolved = false;
      const out = text.replace(/\$\{(!?)([^}]*)\}/g, (_, bang: string, name: string) => {
        if (bang) return `\${${name}}`;
        const value = name in vars ? this.resolve(vars[name]) : name.includes('.') ? undefined : this.ref(name);
        if (value === undefined) unresolved = true;
        return value ?? '';
      });
      return unresolved ? undefined : out;
    }
    if ('Fn::Join' in v && Array.isArray(v['Fn::Join'])) {
      const [sep, list] = v['Fn::Join'] as [unknown, unknown];
      if (typeof sep !== 'string' || !Array.isArray(list)) return undefined;
      const parts = list.map((x) => this.resolve(x));
      return parts.every((p) => p !== undefined) ? parts.join(sep) : undefined;
    }
    if ('Fn::If' in v && Array.isArray(v['Fn::If'])) {
      const [name, a, b] = v['Fn::If'] as [unknown, unknown, unknown];
      const c = this.condition(name);
      return c === undefined ? undefined : this.resolve(c ? a : b);
    }
    return undefined;
  }

  /** A list property: its items, with `Fn::If` branches taken where the condition is known. */
  items(v: unknown): unknown[] {
    if (Array.isArray(v)) return v.flatMap((x) => (isObj(x) && 'Fn::If' in x ? this.items([this.branch(x)]) : [x])).filter((x) => x !== undefined && !this.isNoValue(x));
    const b = this.branch(v);
    return b === v ? [] : this.items(b);
  }

  /** `Fn::If` replaced by its taken branch (undefined when the condition is unknown). */
  branch(v: unknown): unknown {
    if (isObj(v) && Array.isArray(v['Fn::If'])) {
      const [name, a, b] = v['Fn::If'] as [unknown, unknown, unknown];
      const c = this.condition(name);
      return c === undefined ? undefined : this.branch(c ? a : b);
    }
    return v;
  }

  private isNoValue(v: unknown): boolean {
    return isObj(v) && v.Ref === 'AWS::NoValue';
  }

  /** A named condition's value, or undefined where it depends on unknown values. */
  condition(name: unknown, seen = new Set<string>()): boolean | undefined {
    if (typeof name !== 'string' || !(name in this.conditions) || seen.has(name)) return undefined;
    return this.evaluate(this.conditions[name], new Set([...seen, name]));
  }

  private evaluate(c: unknown, seen: Set<string>): boolean | undefined {
    if (!isObj(c)) return undefined;
    if ('Condition' in c) return this.condition(c.Condition, seen);
    const [fn, arg] = Object.entries(c)[0] ?? [];
    if (!Array.isArray(arg)) return undefined;
    switch (fn) {
      case 'Fn::Equals': {
        const [a, b] = arg.map((x) => this.resolve(x));
        return a === undefined || b === undefined ? undefined : a === b;
      }
      case 'Fn::Not': {
        const x = this.evaluate(arg[0], seen);
        return x === undefined ? undefined : !x;
      }
      case 'Fn::And':
      case 'Fn::Or': {
        const xs = arg.map((x) => this.evaluate(x, seen));
        if (fn === 'Fn::And' && xs.includes(false)) return false;
        if (fn === 'Fn::Or' && xs.includes(true)) return true;
        return xs.includes(undefined) ? undefined : fn === 'Fn::And';
      }
      default:
        return undefined;
    }
  }

  /** The resources of `type`, with the taken condition (a resource whose condition is false is left out). */
  ofType(type: string): [string, Obj][] {
    return Object.entries(this.resources).filter(
      ([, r]) => r.Type === type && (typeof r.Condition !== 'string' || this.condition(r.Condition) !== false),
    );
  }
}

/** A template's declared parameters with their defaults. */
function declared(doc: Obj): Map<string, string | undefined> {
  const m = new Map<string, string | undefined>();
  for (const [k, p] of Object.entries(isObj(doc.Parameters) ? doc.Parameters : {})) {
    const d = isObj(p) ? p.Default : undefined;
    m.set(k, d === undefined ? undefined : Array.isArray(d) ? d.join(',') : String(d));
  }
  return m;
}

/**
 * The deployed template and its nested templates (sibling files named by `TemplateURL`), each with
 * its parameter values: `values` for the deployed one (unknown ones left out), and for a nested
 * one what its parent passes where that resolves, else its default.
 */
export function loadTree(path: string, shown: string, values: ReadonlyMap<string, string | undefined>, pseudo: Pseudo): StackTemplate[] {
  const doc = parseTemplate(readFileSync(path, 'utf8'), shown);
  const params = declared(doc);
  for (const k of params.keys()) if (values.has(k)) params.set(k, values.get(k));
  // An SSM-typed parameter's value is what Parameter Store holds when the stack deploys (the
  // estate registry, written by another stack), not the name it is given: unknown here.
  for (const [k, p] of Object.entries(isObj(doc.Parameters) ? doc.Parameters : {})) {
    if (isObj(p) && typeof p.Type === 'string' && p.Type.startsWith('AWS::SSM::Parameter::Value<')) params.set(k, undefined);
  }
  const t = new StackTemplate(shown, doc, params, pseudo);
  const out = [t];
  for (const [, r] of t.ofType('AWS::CloudFormation::Stack')) {
    const props = isObj(r.Properties) ? r.Properties : {};
    const url = props.TemplateURL;
    if (typeof url !== 'string' || /^[a-z]+:\/\//.test(url)) continue;
    const passed = new Map<string, string | undefined>();
    for (const [k, v] of Object.entries(isObj(props.Parameters) ? props.Parameters : {})) passed.set(k, t.resolve(v));
    // A nested stack's name is generated (<root>-<logical ID>-<suffix>): unknown before it exists.
    out.push(...loadTree(join(dirname(path), url), join(dirname(shown), url), passed, { ...pseudo, stackName: undefined }));
  }
  return out;
}
