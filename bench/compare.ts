/**
 * How close the CDK app's templates are to berth's: `cdk synth`'s cloud assembly read back, the
 * CDK's own additions set aside (the `CDKMetadata` resource and its condition, the
 * `BootstrapVersion` parameter and rule, `aws:cdk:path` metadata, its nested-stack resources and
 * their asset URLs), then compared resource by resource with src/cli/diff.ts.
 *
 *   node --import tsx bench/compare.ts <cdk.out folder> [--env dev]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { diffTemplate, type Change } from '../src/cli/diff.ts';
import { parseTemplate } from '../src/emit/parse.ts';
import { emitEnvironment } from '../src/emit/output.ts';
import { estate } from '../templates/estate.ts';
import { stackName } from './gen-cdk-app.ts';

type Obj = Record<string, unknown>;

export interface Closeness {
  /** Resources in berth's templates and in the CDK's, CDK additions excluded. */
  readonly berthResources: number;
  readonly cdkResources: number;
  /** Resources the CDK adds on its own (`CDKMetadata`, one per stack). */
  readonly cdkExtras: number;
  /** Resources present in both with the same type and identical properties and attributes. */
  readonly identical: number;
  readonly changes: readonly Change[];
}

/**
 * The cloud assembly's templates keyed by berth's file names: each top-level template by its stack
 * name (`stackName`), each nested one through its parent's nested-stack resource, whose logical ID
 * the CDK starts with berth's (`NetworkNestedStackNetworkNestedStackResource0124E108`).
 */
export function cdkTemplates(outDir: string, env: string, berth: readonly { file: string; template: Obj }[]): Map<string, Obj> {
  const read = (file: string) => JSON.parse(readFileSync(join(outDir, file), 'utf8')) as Obj;
  const out = new Map<string, Obj>();
  const nestedFiles = new Set(readdirSync(outDir).filter((f) => f.endsWith('.nested.template.json')));
  const byFile = new Map(berth.map((b) => [b.file, b.template]));
  const childFiles = new Set<string>();
  for (const { template } of berth) {
    for (const r of Object.values((template.Resources ?? {}) as Obj)) {
      const url = (((r as Obj).Properties ?? {}) as Obj).TemplateURL;
      if ((r as Obj).Type === 'AWS::CloudFormation::Stack' && typeof url === 'string') childFiles.add(url);
    }
  }
  const visit = (file: string, cdk: Obj) => {
    out.set(file, cdk);
    for (const [id, r] of Object.entries((byFile.get(file)?.Resources ?? {}) as Obj)) {
      const url = (((r as Obj).Properties ?? {}) as Obj).TemplateURL;
      if ((r as Obj).Type !== 'AWS::CloudFormation::Stack' || typeof url !== 'string') continue;
      const theirs = Object.entries((cdk.Resources ?? {}) as Obj).find(([cid, cr]) => (cr as Obj).Type === 'AWS::CloudFormation::Stack' && cid.startsWith(`${id}NestedStack`));
      const asset = theirs ? String((((theirs[1] as Obj).Metadata ?? {}) as Obj)['aws:asset:path']) : '';
      if (nestedFiles.has(asset)) visit(url, read(asset));
    }
  };
  for (const { file } of berth) {
    if (childFiles.has(file)) continue;
    const top = `${stackName(env, file)}.template.json`;
    if (readdirSync(outDir).includes(top)) visit(file, read(top));
  }
  return out;
}

/** `DependsOn: X` and `DependsOn: [X]` mean the same; the CDK writes one form, berth the other. */
function normalDependsOn(res: Obj): Obj {
  return typeof res.DependsOn === 'string' ? { ...res, DependsOn: [res.DependsOn] } : res;
}

/** Replaces logical IDs in `Fn::GetAtt` and `Ref` through `rename`. */
function renameRefs(value: unknown, rename: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => renameRefs(v, rename));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      if (k === 'Fn::GetAtt' && Array.isArray(v)) return [k, [rename.get(String(v[0])) ?? v[0], ...v.slice(1)]];
      if (k === 'Ref' && typeof v === 'string') return [k, rename.get(v) ?? v];
      return [k, renameRefs(v, rename)];
    }),
  );
}

/** A CDK template without what the CDK adds by itself, nested stacks keyed by construct ID. */
function strip(raw: Obj): { template: Obj; extras: number } {
  // The CDK's nested-stack logical IDs (`NetworkNestedStackNetworkNestedStackResource0124E108`)
  // become the construct IDs berth uses as logical IDs.
  const nestedIds = Object.entries((raw.Resources ?? {}) as Obj)
    .filter(([, r]) => (r as Obj).Type === 'AWS::CloudFormation::Stack')
    .map(([id]) => [id, id.replace(/NestedStack.*$/, '')] as const);
  const template = renameRefs(raw, new Map(nestedIds)) as Obj;
  delete template.AWSTemplateFormatVersion;
  const resources: Obj = {};
  let extras = 0;
  for (const [id, r] of Object.entries((template.Resources ?? {}) as Obj)) {
    const res = normalDependsOn({ ...(r as Obj) });
    if (res.Type === 'AWS::CDK::Metadata') {
      extras++;
      continue;
    }
    const metadata = { ...((res.Metadata ?? {}) as Obj) };
    delete metadata['aws:cdk:path'];
    delete metadata['aws:asset:path'];
    delete metadata['aws:asset:property'];
    if (Object.keys(metadata).length > 0) res.Metadata = metadata;
    else delete res.Metadata;
    if (res.Type === 'AWS::CloudFormation::Stack') {
      // Nested stacks: the CDK names them `<Id>NestedStack<Id>NestedStackResource<hash>` and points
      // at an asset; berth keys them by ID with a relative file. Compare their parameters only.
      resources[id.replace(/NestedStack.*$/, '')] = { Type: res.Type, Properties: { Parameters: ((res.Properties ?? {}) as Obj).Parameters } };
      continue;
    }
    resources[id] = res;
  }
  const conditions = { ...((template.Conditions ?? {}) as Obj) };
  delete conditions.CDKMetadataAvailable;
  const parameters = { ...((template.Parameters ?? {}) as Obj) };
  delete parameters.BootstrapVersion;
  const rules = { ...((template.Rules ?? {}) as Obj) };
  delete rules.CheckBootstrapVersion;
  const out: Obj = { ...template, Resources: resources, Parameters: parameters };
  for (const [k, v] of [['Conditions', conditions], ['Rules', rules]] as const) {
    if (Object.keys(v).length > 0) out[k] = v;
    else delete out[k];
  }
  return { template: out, extras };
}

/** A berth template with nested stacks reduced to their parameters, as `strip` does for the CDK's. */
function comparable(template: Obj): Obj {
  const resources: Obj = {};
  for (const [id, r] of Object.entries((template.Resources ?? {}) as Obj)) {
    const res = r as Obj;
    resources[id] = res.Type === 'AWS::CloudFormation::Stack' ? { Type: res.Type, Properties: { Parameters: ((res.Properties ?? {}) as Obj).Parameters } } : normalDependsOn(res);
  }
  const { AWSTemplateFormatVersion: _version, ...rest } = template; // the CDK leaves it out
  return { ...rest, Resources: resources };
}

export function closeness(outDir: string, env: string): Closeness {
  const parsed = emitEnvironment(estate, env).map((f) => ({ file: f.file, template: parseTemplate(f.text, f.file) }));
  const cdk = cdkTemplates(outDir, env, parsed);
  const berth = parsed.map(({ file, template }) => ({ file, template: comparable(template) }));
  let berthResources = 0;
  let cdkResources = 0;
  let cdkExtras = 0;
  let identical = 0;
  const changes: Change[] = [];
  for (const { file, template } of berth) {
    const raw = cdk.get(file);
    const theirs = raw ? strip(raw) : { template: {}, extras: 0 };
    cdkExtras += theirs.extras;
    const mine = (template.Resources ?? {}) as Obj;
    const other = (theirs.template.Resources ?? {}) as Obj;
    berthResources += Object.keys(mine).length;
    cdkResources += Object.keys(other).length;
    const found = diffTemplate(file, theirs.template, template);
    changes.push(...found);
    const differing = new Set(found.flatMap((c) => ('section' in c && c.section === 'Resources' ? [c.id] : [])));
    identical += Object.keys(mine).filter((id) => id in other && !differing.has(id)).length;
  }
  return { berthResources, cdkResources, cdkExtras, identical, changes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { env: { type: 'string', default: 'dev' } } });
  const c = closeness(positionals[0] ?? 'bench/cdk.out', values.env);
  console.log(`berth ${c.berthResources} resources, CDK ${c.cdkResources} (+${c.cdkExtras} CDKMetadata), identical ${c.identical}`);
  for (const ch of c.changes) console.log(JSON.stringify(ch).slice(0, 400));
}
