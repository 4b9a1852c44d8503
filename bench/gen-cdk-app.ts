/**
 * Writes bench/cdk/app.mjs: the AWS CDK app berth is benchmarked against, the same estate written
 * with the CDK's L1 constructs (`new ec2.CfnVPC(this, 'Vpc', { cidrBlock: ... })`), one class per
 * template, nested stacks as `cdk.NestedStack`, so `cdk synth` produces the same resources with the
 * same properties as berth's templates for one environment.
 *
 *   node --import tsx bench/gen-cdk-app.ts [--env dev]      # make bench runs it first
 *
 * Generated rather than written by hand so that it follows the estate as it changes; the code it
 * writes is what a CDK user would write with L1 constructs. Property names and shapes come from
 * aws-cdk-lib's own type declarations (bench/node_modules), so a property the CDK spells
 * differently, or takes as free-form JSON, is written the CDK's way.
 *
 * With the context value `services=N` (`cdk synth -c services=N`) the app nests N copies of the
 * web service stack instead of the estate's services: the scaling benchmark.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseTemplate } from '../src/emit/parse.ts';
import { emitEnvironment } from '../src/emit/output.ts';
import { estate } from '../templates/estate.ts';

const ROOT = join(import.meta.dirname, '..');
const CDK_LIB = join(ROOT, 'bench', 'node_modules', 'aws-cdk-lib');

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

// ---------------------------------------------------------------------------------------------
// aws-cdk-lib's declarations: for each L1 props interface, its properties and their types.

/** A props interface: lower-cased CloudFormation name -> [CDK name, declared type]. */
type Interface = Map<string, readonly [string, string]>;

const declarations = new Map<string, Map<string, Interface>>();
/** Each L1 class's attribute getters: class -> lower-cased attribute (dots removed) -> [getter, type]. */
const attributes = new Map<string, Interface>();

/** Interfaces of one service module, by qualified name (`CfnTaskDefinition.LogConfigurationProperty`). */
function moduleInterfaces(module: string): Map<string, Interface> {
  const cached = declarations.get(module);
  if (cached) return cached;
  const service = module.replace(/^aws-/, '');
  const file = join(CDK_LIB, module, 'lib', `${service}.generated.d.ts`);
  const interfaces = new Map<string, Interface>();
  let namespace = '';
  let current: Interface | undefined;
  let classAttrs: Interface | undefined;
  let indent = '';
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const cls = /^export declare class (Cfn\w+) /.exec(line);
    if (cls) attributes.set(cls[1]!, (classAttrs = new Map()));
    const attr = /^\s+get (attr\w+)\(\): (.*);$/.exec(line);
    if (attr && classAttrs) classAttrs.set(attr[1]!.slice(4).toLowerCase(), [attr[1]!, attr[2]!]);
    const ns = /^export declare namespace (\w+) \{/.exec(line);
    if (ns) namespace = ns[1]!;
    else if (line === '}') namespace = '';
    const start = /^(\s*)(?:export )?interface (\w+)/.exec(line);
    if (start) {
      current = new Map();
      indent = start[1]!;
      interfaces.set(start[1] ? `${namespace}.${start[2]}` : start[2]!, current);
      continue;
    }
    if (current && line === `${indent}}`) current = undefined;
    const prop = current && /^\s+readonly (\w+)\??: (.*);$/.exec(line);
    if (prop) current!.set(prop[1]!.toLowerCase(), [prop[1]!, prop[2]!]);
  }
  declarations.set(module, interfaces);
  return interfaces;
}

/** `AWS::EC2::VPC` -> module `aws-ec2`, class `CfnVPC`. */
function l1(type: string): { module: string; cls: string } {
  const [, service, resource] = type.split('::');
  return { module: `aws-${service!.toLowerCase()}`, cls: `Cfn${resource}` };
}

/** How a value of a declared type is written: a struct (CDK names), JSON or a map (names kept), or a plain value. */
type Shape = { kind: 'struct'; iface: Interface; module: string; ns: string } | { kind: 'json' } | { kind: 'map'; values: Shape } | { kind: 'value' } | { kind: 'camel' };

function shapeOf(typeText: string, module: string, ns: string): Shape {
  if (/\bany\b/.test(typeText)) return { kind: 'json' };
  const record = /Record<string, ([^>]+)>/.exec(typeText);
  if (record) return { kind: 'map', values: shapeOf(record[1]!, module, ns) };
  if (/cdk\.CfnTag\b/.test(typeText)) return { kind: 'struct', iface: new Map([['key', ['key', 'string']], ['value', ['value', 'string']]]), module, ns };
  const struct = /(?:(Cfn\w+)\.)?(\w+Property)\b/.exec(typeText);
  if (struct) {
    const owner = struct[1] ?? ns;
    const iface = moduleInterfaces(module).get(`${owner}.${struct[2]}`);
    if (!iface) throw new Error(`no declaration for ${owner}.${struct[2]} in ${module}`);
    return { kind: 'struct', iface, module, ns: owner };
  }
  return { kind: 'value' };
}

// ---------------------------------------------------------------------------------------------
// Values: CloudFormation JSON (long-form intrinsics) to CDK code.

const PSEUDO: Record<string, string> = {
  'AWS::AccountId': 'cdk.Aws.ACCOUNT_ID',
  'AWS::Region': 'cdk.Aws.REGION',
  'AWS::Partition': 'cdk.Aws.PARTITION',
  'AWS::StackName': 'cdk.Aws.STACK_NAME',
  'AWS::StackId': 'cdk.Aws.STACK_ID',
  'AWS::URLSuffix': 'cdk.Aws.URL_SUFFIX',
  'AWS::NoValue': 'cdk.Aws.NO_VALUE',
  'AWS::NotificationARNs': 'cdk.Aws.NOTIFICATION_ARNS',
};

interface Scope {
  readonly parameters: Obj;
  readonly resources: Obj;
  /** Nested stacks of this template: logical ID -> class. */
  readonly nested: ReadonlyMap<string, string>;
}

const lit = (v: Json) => JSON.stringify(v);
const isIntrinsic = (v: Json): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 1 && /^(Ref|Condition|Fn::\w+)$/.test(Object.keys(v)[0]!);

function refCode(name: string, s: Scope): string {
  if (PSEUDO[name]) return PSEUDO[name]!;
  const param = s.parameters[name] as Obj | undefined;
  if (param) {
    const type = String(param.Type);
    if (type === 'Number') return `p.${name}.valueAsNumber`;
    if (type.startsWith('List<') || type === 'CommaDelimitedList') return `p.${name}.valueAsList`;
    return `p.${name}.valueAsString`;
  }
  if (s.resources[name]) return `r.${name}.ref`;
  throw new Error(`Ref to unknown ${name}`);
}

function intrinsic(v: Obj, s: Scope): string {
  const [fn, arg] = Object.entries(v)[0]!;
  const list = (x: Json) => (Array.isArray(x) ? `[${x.map((e) => code(e, s, { kind: 'value' })).join(', ')}]` : asList(x, s));
  switch (fn) {
    case 'Ref':
      return refCode(String(arg), s);
    case 'Condition':
      return `c.${String(arg)}`;
    case 'Fn::GetAtt': {
      const [id, attr] = arg as [string, string];
      if (s.nested.has(id)) return `cdk.Token.asString(n.${id}.nestedStackResource.getAtt(${lit(attr)}))`;
      const type = String((s.resources[id] as Obj).Type);
      // A custom resource is a plain CfnResource: no typed getters.
      if (type.startsWith('Custom::')) return `cdk.Token.asString(r.${id}.getAtt(${lit(attr)}))`;
      // The L1's typed getter where it has one (`eip.attrAllocationId`), as CDK code reads.
      const { module, cls } = l1(type);
      moduleInterfaces(module);
      const getter = attributes.get(cls)?.get(attr.replace(/\./g, '').toLowerCase());
      if (getter && /^(string|number|string\[\])$/.test(getter[1])) return `r.${id}.${getter[0]}`;
      return `cdk.Token.asString(r.${id}.getAtt(${lit(attr)}))`;
    }
    case 'Fn::Sub':
      if (typeof arg === 'string') return `cdk.Fn.sub(${lit(arg)})`;
      return `cdk.Fn.sub(${lit((arg as Json[])[0]!)}, ${code((arg as Json[])[1]!, s, { kind: 'map', values: { kind: 'value' } })})`;
    case 'Fn::Join':
      return `cdk.Fn.join(${lit((arg as Json[])[0]!)}, ${list((arg as Json[])[1]!)})`;
    case 'Fn::Select':
      return `cdk.Fn.select(${lit((arg as Json[])[0]!)}, ${list((arg as Json[])[1]!)})`;
    case 'Fn::Split':
      return `cdk.Fn.split(${lit((arg as Json[])[0]!)}, ${code((arg as Json[])[1]!, s, { kind: 'value' })})`;
    case 'Fn::GetAZs':
      return arg === '' ? 'cdk.Fn.getAzs()' : `cdk.Fn.getAzs(${code(arg, s, { kind: 'value' })})`;
    case 'Fn::Base64':
      return `cdk.Fn.base64(${code(arg, s, { kind: 'value' })})`;
    case 'Fn::If': {
      const [cond, a, b] = arg as Json[];
      return `cdk.Fn.conditionIf(${lit(cond!)}, ${code(a!, s, { kind: 'value' })}, ${code(b!, s, { kind: 'value' })})`;
    }
    case 'Fn::Equals':
      return `cdk.Fn.conditionEquals(${(arg as Json[]).map((x) => code(x, s, { kind: 'value' })).join(', ')})`;
    case 'Fn::Not':
      return `cdk.Fn.conditionNot(${code((arg as Json[])[0]!, s, { kind: 'value' })})`;
    case 'Fn::And':
      return `cdk.Fn.conditionAnd(${(arg as Json[]).map((x) => code(x, s, { kind: 'value' })).join(', ')})`;
    case 'Fn::Or':
      return `cdk.Fn.conditionOr(${(arg as Json[]).map((x) => code(x, s, { kind: 'value' })).join(', ')})`;
    case 'Fn::ImportValue':
      return `cdk.Fn.importValue(${code(arg, s, { kind: 'value' })})`;
    case 'Fn::FindInMap':
      return `cdk.Fn.findInMap(${(arg as Json[]).map((x) => code(x, s, { kind: 'value' })).join(', ')})`;
    default:
      throw new Error(`intrinsic ${fn} is not handled`);
  }
}

function asList(v: Json, s: Scope): string {
  if (isIntrinsic(v)) {
    const fn = Object.keys(v)[0];
    const c = intrinsic(v, s);
    if (fn === 'Fn::Split' || fn === 'Fn::GetAZs' || c.endsWith('.valueAsList')) return c;
    return `cdk.Token.asList(${c})`;
  }
  return code(v, s, { kind: 'value' });
}

/** A JavaScript expression for `v`, shaped as the CDK declares it. */
function code(v: Json, s: Scope, shape: Shape, indent = '      '): string {
  if (v === null || typeof v !== 'object') return lit(v);
  if (isIntrinsic(v)) return intrinsic(v, s);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((e) => `${inner}${code(e, s, shape, inner)},`).join('\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Obj);
  if (entries.length === 0) return '{}';
  const key = (k: string) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : lit(k));
  const lines = entries.map(([k, val]) => {
    if (shape.kind === 'struct') {
      const decl = shape.iface.get(k.toLowerCase());
      if (!decl) throw new Error(`aws-cdk-lib declares no property ${k} in ${shape.ns}`);
      const expr = code(val, s, shapeOf(decl[1], shape.module, shape.ns), inner);
      // Fn::If is an object to the CDK, which its L1s refuse where they declare a string
      // (`permissionsBoundary`): as a string token it resolves to the same Fn::If.
      const string = isIntrinsic(val) && 'Fn::If' in val && /\bstring\b/.test(decl[1]) && !/string\[\]/.test(decl[1]);
      return `${inner}${decl[0]}: ${string ? `cdk.Token.asString(${expr})` : expr},`;
    }
    if (shape.kind === 'camel') return `${inner}${k[0]!.toLowerCase()}${k.slice(1)}: ${code(val, s, shape, inner)},`;
    const child = shape.kind === 'map' ? shape.values : shape.kind === 'json' ? shape : { kind: 'value' as const };
    return `${inner}${key(k)}: ${code(val, s, child, inner)},`;
  });
  return `{\n${lines.join('\n')}\n${indent}}`;
}

// ---------------------------------------------------------------------------------------------
// Templates to classes.

const className = (file: string) => `${file.replace(/\.yaml$/, '').replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}Stack`;

const PARAMETER_KEYS: Record<string, string> = {
  Type: 'type',
  Description: 'description',
  Default: 'default',
  AllowedValues: 'allowedValues',
  AllowedPattern: 'allowedPattern',
  ConstraintDescription: 'constraintDescription',
  MinLength: 'minLength',
  MaxLength: 'maxLength',
  MinValue: 'minValue',
  MaxValue: 'maxValue',
  NoEcho: 'noEcho',
};

const POLICY: Record<string, string> = { Delete: 'DELETE', Retain: 'RETAIN', Snapshot: 'SNAPSHOT', RetainExceptOnCreate: 'RETAIN_EXCEPT_ON_CREATE' };

/** The logical IDs a resource refers to: `Ref`, `Fn::GetAtt` (either form) and `DependsOn`. */
function dependencies(resource: Obj): Set<string> {
  const into = new Set<string>([resource.DependsOn ?? []].flat().map(String));
  const visit = (v: Json): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'Ref' && typeof x === 'string') into.add(x);
        else if (k === 'Fn::GetAtt') into.add(Array.isArray(x) ? String(x[0]) : String(x).split('.')[0]!);
        visit(x);
      }
    }
  };
  visit(resource);
  return into;
}

/**
 * The resources in an order where each comes after those it refers to (`Ref`, `Fn::GetAtt`,
 * `DependsOn`), otherwise as the template lists them: the generated code reads `r.X` and `n.X`
 * while it builds a construct, so X must be built first (a root lists its dashboard's nested stack,
 * which reads every service's widgets, before the services).
 */
function dependencyOrder(resources: Obj): [string, Json][] {
  const out: [string, Json][] = [];
  const placed = new Set<string>();
  const place = (id: string): void => {
    if (placed.has(id)) return;
    placed.add(id);
    const resource = resources[id] as Obj;
    for (const dep of dependencies(resource)) if (dep !== id && dep in resources) place(dep);
    out.push([id, resource]);
  };
  Object.keys(resources).forEach(place);
  return out;
}

/** The statements of a constructor building `template` into `this`. */
function body(template: Obj, nestedClasses: ReadonlyMap<string, string>, imports: Set<string>): string[] {
  const parameters = (template.Parameters ?? {}) as Obj;
  const resources = (template.Resources ?? {}) as Obj;
  const scope: Scope = { parameters, resources, nested: nestedClasses };
  const out: string[] = ['    const p = {};', '    const c = {};', '    const r = {};', '    const n = {};'];
  if (template.Description) out.push(`    this.templateOptions.description = ${lit(template.Description)};`);
  if (template.Metadata) out.push(`    this.templateOptions.metadata = ${code(template.Metadata, scope, { kind: 'json' }, '    ')};`);
  for (const [id, spec] of Object.entries(parameters)) {
    const props = Object.entries(spec as Obj).map(([k, v]) => `${PARAMETER_KEYS[k] ?? k}: ${lit(v)}`);
    out.push(`    p.${id} = new cdk.CfnParameter(this, ${lit(id)}, { ${props.join(', ')} });`);
  }
  for (const [id, expr] of Object.entries((template.Conditions ?? {}) as Obj)) {
    out.push(`    c.${id} = new cdk.CfnCondition(this, ${lit(id)}, { expression: ${code(expr, scope, { kind: 'value' }, '    ')} });`);
  }
  for (const [id, resource] of dependencyOrder(resources)) {
    const res = resource as Obj;
    const type = String(res.Type);
    const props = (res.Properties ?? {}) as Obj;
    if (nestedClasses.has(id)) {
      const params = (props.Parameters ?? {}) as Obj;
      out.push(`    n.${id} = new ${nestedClasses.get(id)}(this, ${lit(id)}, { parameters: ${code(params, scope, { kind: 'map', values: { kind: 'value' } }, '    ')} });`);
      // A nested stack deployed only where a condition holds (the foundation's dashboard).
      if (res.Condition) out.push(`    n.${id}.nestedStackResource.cfnOptions.condition = c.${String(res.Condition)};`);
      continue;
    }
    if (type.startsWith('Custom::')) {
      // A custom resource (no L1 class): its properties are the function's own, written as they are.
      out.push(`    r.${id} = new cdk.CfnResource(this, ${lit(id)}, { type: ${lit(type)}, properties: ${code(props, scope, { kind: 'map', values: { kind: 'value' } }, '    ')} });`);
    } else {
      const { module, cls } = l1(type);
      imports.add(module);
      const iface = moduleInterfaces(module).get(`${cls}Props`);
      if (!iface) throw new Error(`aws-cdk-lib has no ${cls}Props in ${module}`);
      const v = module.replace(/-/g, '_');
      out.push(`    r.${id} = new ${v}.${cls}(this, ${lit(id)}, ${code(props, scope, { kind: 'struct', iface, module, ns: cls }, '    ')});`);
    }
    if (res.Condition) out.push(`    r.${id}.cfnOptions.condition = c.${String(res.Condition)};`);
    for (const dep of [res.DependsOn ?? []].flat()) out.push(`    r.${id}.addResourceDependency(r.${String(dep)});`);
    if (res.DeletionPolicy) out.push(`    r.${id}.cfnOptions.deletionPolicy = cdk.CfnDeletionPolicy.${POLICY[String(res.DeletionPolicy)]};`);
    if (res.UpdateReplacePolicy) out.push(`    r.${id}.cfnOptions.updateReplacePolicy = cdk.CfnDeletionPolicy.${POLICY[String(res.UpdateReplacePolicy)]};`);
    if (res.Metadata) out.push(`    r.${id}.cfnOptions.metadata = ${code(res.Metadata, scope, { kind: 'json' }, '    ')};`);
    if (res.UpdatePolicy) out.push(`    r.${id}.cfnOptions.updatePolicy = ${code(res.UpdatePolicy, scope, updatePolicyShape(), '    ')};`);
    if (res.CreationPolicy) out.push(`    r.${id}.cfnOptions.creationPolicy = ${code(res.CreationPolicy, scope, creationPolicyShape(), '    ')};`);
  }
  for (const [id, output] of Object.entries((template.Outputs ?? {}) as Obj)) {
    const o = output as Obj;
    const props = [`value: ${code(o.Value!, scope, { kind: 'value' }, '    ')}`];
    if (o.Description) props.push(`description: ${lit(o.Description)}`);
    if (o.Export) props.push(`exportName: ${code((o.Export as Obj).Name!, scope, { kind: 'value' }, '    ')}`);
    if (o.Condition) props.push(`condition: c.${String(o.Condition)}`);
    // CloudFormation lets an output share a parameter's logical ID; construct IDs must be unique.
    if (id in parameters || id in resources) out.push(`    new cdk.CfnOutput(this, ${lit(`${id}Output`)}, { ${props.join(', ')} }).overrideLogicalId(${lit(id)});`);
    else out.push(`    new cdk.CfnOutput(this, ${lit(id)}, { ${props.join(', ')} });`);
  }
  return out;
}

/**
 * `cdk.CfnUpdatePolicy` / `cdk.CfnCreationPolicy` (core) name every key as CloudFormation does
 * with a lower-case first letter (`AutoScalingRollingUpdate.MaxBatchSize` is
 * `autoScalingRollingUpdate.maxBatchSize`).
 */
const updatePolicyShape = (): Shape => ({ kind: 'camel' });
const creationPolicyShape = updatePolicyShape;

/** The CDK stack name of a top-level template: `berth-dev` for the root, `berth-dev-<file stem>` beside it. */
export function stackName(env: string, file: string): string {
  return file === 'root.yaml' ? `berth-${env}` : `berth-${env}-${file.replace(/\.yaml$/, '')}`;
}

export function generate(env: string): string {
  const files = emitEnvironment(estate, env).map((f) => ({ file: f.file, template: parseTemplate(f.text, f.file) as Obj }));
  const imports = new Set<string>();
  const classes: string[] = [];
  const nestedOf = (template: Obj) =>
    new Map(
      Object.entries((template.Resources ?? {}) as Obj)
        .filter(([, r]) => (r as Obj).Type === 'AWS::CloudFormation::Stack')
        .map(([id, r]) => [id, className(String(((r as Obj).Properties as Obj).TemplateURL))]),
    );
  // Top-level templates (the root, and any beside it) become stacks, the others nested stacks.
  const nestedFiles = new Set(files.flatMap(({ template }) => [...nestedOf(template).keys()].map((id) => String((((template.Resources as Obj)[id] as Obj).Properties as Obj).TemplateURL))));
  const tops = files.filter((f) => !nestedFiles.has(f.file));
  const root = tops.find((f) => f.file === 'root.yaml') ?? tops[0];
  const others = tops.filter((f) => f !== root);
  for (const { file, template } of files.filter((f) => nestedFiles.has(f.file))) {
    classes.push(`/** ${file} */\nclass ${className(file)} extends cdk.NestedStack {\n  constructor(scope, id, props) {\n    super(scope, id, props);\n${body(template, nestedOf(template), imports).join('\n')}\n  }\n}\n`);
  }
  for (const { file, template } of others) {
    classes.push(`/** ${file} */\nclass ${className(file)} extends cdk.Stack {\n  constructor(scope, id, props) {\n    super(scope, id, props);\n${body(template, nestedOf(template), imports).join('\n')}\n  }\n}\n`);
  }
  // The root: the estate's services, or N copies of the web service (`-c services=N`).
  const rootTemplate = root!.template;
  const services = Object.entries((rootTemplate.Resources ?? {}) as Obj).filter(([, r]) => String(((r as Obj).Properties as Obj).TemplateURL).startsWith('service-'));
  const web = services.find(([id]) => id === 'WebService') ?? services[0]!;
  const fixed = Object.fromEntries(Object.entries((rootTemplate.Resources ?? {}) as Obj).filter(([id]) => !services.some(([s]) => s === id)));
  const rootLines = body({ ...rootTemplate, Resources: fixed }, nestedOf(rootTemplate), imports);
  // The services go before the first resource that reads them (the dashboard reads their widgets),
  // else before the outputs.
  const readers = new Set<string>(services.map(([id]) => id));
  for (let grew = true; grew; ) {
    grew = false;
    for (const [id, r] of Object.entries(fixed)) {
      if (readers.has(id) || ![...dependencies(r as Obj)].some((d) => readers.has(d))) continue;
      readers.add(id);
      grew = true;
    }
  }
  const firstReader = rootLines.findIndex((l) => [...readers].some((id) => !services.some(([s]) => s === id) && (l.startsWith(`    n.${id} = `) || l.startsWith(`    r.${id} = `))));
  const outputsAt = firstReader >= 0 ? firstReader : rootLines.findIndex((l) => l.startsWith('    new cdk.CfnOutput('));
  const wiring = (r: Json) =>
    code((((r as Obj).Properties as Obj).Parameters ?? {}) as Obj, { parameters: (rootTemplate.Parameters ?? {}) as Obj, resources: {}, nested: nestedOf(rootTemplate) }, { kind: 'map', values: { kind: 'value' } }, '      ');
  const serviceLines = [
    "    const copies = this.node.tryGetContext('services');",
    '    if (copies === undefined) {',
    ...services.map(([id, r]) => `      n.${id} = new ${className(String(((r as Obj).Properties as Obj).TemplateURL))}(this, ${lit(id)}, { parameters: ${wiring(r)} });`),
    '    } else {',
    `      for (let i = 1; i <= Number(copies); i++) {`,
    `        n[\`Web\${i}Service\`] = new ${className(String(((web[1] as Obj).Properties as Obj).TemplateURL))}(this, \`Web\${i}Service\`, { parameters: ${wiring(web[1])} });`,
    '      }',
    "      // What reads the estate's services (the dashboard's widgets, the deploy guard's alarms) reads the first copy.",
    ...services.map(([id]) => `      n.${id} = n.Web1Service;`),
    '    }',
  ];
  rootLines.splice(outputsAt < 0 ? rootLines.length : outputsAt, 0, ...serviceLines);
  classes.push(`/** ${root!.file} */\nclass RootStack extends cdk.Stack {\n  constructor(scope, id, props) {\n    super(scope, id, props);\n${rootLines.join('\n')}\n  }\n}\n`);
  const importLines = [...imports].sort().map((m) => `import * as ${m.replace(/-/g, '_')} from 'aws-cdk-lib/${m}';`);
  return `// Generated by bench/gen-cdk-app.ts from berth's ${env} estate. Do not edit: \`make bench\` regenerates it.
// The same templates as output/${env}/, written with the AWS CDK's L1 constructs.
import * as cdk from 'aws-cdk-lib';
${importLines.join('\n')}

${classes.join('\n')}
const app = new cdk.App();
new RootStack(app, ${lit(stackName(env, root!.file))});
${others.map((o) => `new ${className(o.file)}(app, ${lit(stackName(env, o.file))});\n`).join('')}app.synth();
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { env: { type: 'string', default: 'dev' }, out: { type: 'string', default: join(ROOT, 'bench', 'cdk', 'app.mjs') } } });
  if (!existsSync(CDK_LIB)) {
    console.error('bench/node_modules is missing: run `make bench` (or `npm ci --prefix bench`) first.');
    process.exit(2);
  }
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, generate(values.env));
  console.log(`wrote ${values.out}`);
}

