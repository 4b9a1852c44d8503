/**
 * Resource-level differences between two sets of templates (a fresh build and the committed
 * output/, or a deployed stack tree): what is added, removed, and which properties change from
 * what to what. Works on parsed templates, so formatting and short versus long intrinsic forms
 * (`!Ref X` and `Ref: X`, as `aws cloudformation package` rewrites them) never show as changes.
 */
import type { Palette } from './_terminal.ts';

/** Parsed templates keyed `env/file` (`dev/network.yaml`), intrinsics in long form. */
export type TemplateSet = ReadonlyMap<string, unknown>;

/** Template sections compared entry by entry, in template-anatomy order. */
export const SECTIONS = ['Parameters', 'Mappings', 'Conditions', 'Rules', 'Resources', 'Outputs'] as const;
export type Section = (typeof SECTIONS)[number];

export interface PropertyChange {
  /** Where in the entry: `Properties.Tags[0].Value`; `''` for a template-level key's whole value. */
  readonly path: string;
  /** `undefined` when absent. */
  readonly old: unknown;
  readonly new: unknown;
}

export type Change =
  | { readonly kind: 'template-added' | 'template-removed'; readonly file: string; readonly resources: number }
  | { readonly kind: 'template-changed'; readonly file: string; readonly key: string; readonly properties: readonly PropertyChange[] }
  | { readonly kind: 'added' | 'removed'; readonly file: string; readonly section: Section; readonly id: string; readonly type?: string }
  | {
      readonly kind: 'changed';
      readonly file: string;
      readonly section: Section;
      readonly id: string;
      readonly type?: string;
      readonly properties: readonly PropertyChange[];
    };

export interface DiffProps {
  /**
   * Leave nested stacks' `TemplateURL` out: a deployed stack has the S3 URL that
   * `aws cloudformation package` wrote, the build a relative file name; the nested template itself
   * is compared on its own.
   * @default false
   */
  readonly ignoreTemplateUrls?: boolean;
}

function isIntrinsic(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'));
}

const record = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Leaf-level differences between two values; intrinsics are compared whole. */
export function compareValues(old: unknown, next: unknown, path = ''): PropertyChange[] {
  if (old === next) return [];
  const join = (k: string | number) => (typeof k === 'number' ? `${path}[${k}]` : path ? `${path}.${k}` : k);
  if (Array.isArray(old) && Array.isArray(next)) {
    const out: PropertyChange[] = [];
    for (let i = 0; i < Math.max(old.length, next.length); i++) out.push(...compareValues(old[i], next[i], join(i)));
    return out;
  }
  const bothObjects = [old, next].every((v) => v !== null && typeof v === 'object' && !Array.isArray(v) && !isIntrinsic(v));
  if (bothObjects) {
    const a = old as Record<string, unknown>;
    const b = next as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(b), ...Object.keys(a)])];
    return keys.flatMap((k) => compareValues(a[k], b[k], join(k)));
  }
  return JSON.stringify(old) === JSON.stringify(next) ? [] : [{ path, old, new: next }];
}

function withoutTemplateUrl(resource: unknown): unknown {
  const r = record(resource);
  if (r.Type !== 'AWS::CloudFormation::Stack') return resource;
  const { TemplateURL: _ignored, ...properties } = record(r.Properties);
  return { ...r, Properties: properties };
}

/** Changes from `old` to `next` in one template. */
export function diffTemplate(file: string, old: unknown, next: unknown, props: DiffProps = {}): Change[] {
  const a = record(old);
  const b = record(next);
  const changes: Change[] = [];
  const topKeys = [...new Set([...Object.keys(b), ...Object.keys(a)])].filter((k) => !(SECTIONS as readonly string[]).includes(k));
  for (const key of topKeys) {
    const properties = compareValues(a[key], b[key]);
    if (properties.length > 0) changes.push({ kind: 'template-changed', file, key, properties });
  }
  for (const section of SECTIONS) {
    const before = record(a[section]);
    const after = record(b[section]);
    const typeOf = (entry: unknown) => (section === 'Resources' ? String(record(entry).Type) : undefined);
    for (const id of Object.keys(after)) {
      if (!(id in before)) changes.push(entry({ kind: 'added', file, section, id }, typeOf(after[id])));
    }
    for (const id of Object.keys(before)) {
      if (!(id in after)) changes.push(entry({ kind: 'removed', file, section, id }, typeOf(before[id])));
    }
    for (const id of Object.keys(after)) {
      if (!(id in before)) continue;
      const x = props.ignoreTemplateUrls && section === 'Resources' ? withoutTemplateUrl(before[id]) : before[id];
      const y = props.ignoreTemplateUrls && section === 'Resources' ? withoutTemplateUrl(after[id]) : after[id];
      const properties = compareValues(x, y);
      if (properties.length > 0) changes.push(entry({ kind: 'changed', file, section, id, properties }, typeOf(after[id])));
    }
  }
  return changes;
}

function entry<C extends Change>(change: C, type: string | undefined): C {
  return type === undefined ? change : { ...change, type };
}

/** Changes from `old` to `next` across every template: new order first, then templates only in `old`. */
export function diffEstate(old: TemplateSet, next: TemplateSet, props: DiffProps = {}): Change[] {
  const changes: Change[] = [];
  const resourcesOf = (t: unknown) => Object.keys(record(record(t).Resources)).length;
  // A whole template added or removed lists its resources only: its parameters, outputs and
  // metadata come and go with it.
  const resourcesOnly = (t: unknown) => ({ Resources: record(t).Resources });
  for (const [file, template] of next) {
    if (!old.has(file)) {
      changes.push({ kind: 'template-added', file, resources: resourcesOf(template) }, ...diffTemplate(file, {}, resourcesOnly(template), props));
    } else {
      changes.push(...diffTemplate(file, old.get(file), template, props));
    }
  }
  for (const [file, template] of old) {
    if (!next.has(file)) changes.push({ kind: 'template-removed', file, resources: resourcesOf(template) }, ...diffTemplate(file, resourcesOnly(template), {}, props));
  }
  return changes;
}

/** A value as a reader of the YAML would write it: `!Ref Vpc`, `!GetAtt Network.Outputs.VpcId`, JSON otherwise. */
export function show(value: unknown): string {
  if (value === undefined) return '(none)';
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (isIntrinsic(value)) {
      const [fn, arg] = entries[0]!;
      if (fn === 'Fn::GetAtt' && Array.isArray(arg)) return `!GetAtt ${arg.join('.')}`;
      if (fn === 'Ref' && typeof arg === 'string') return `!Ref ${arg}`;
      const tag = fn === 'Ref' || fn === 'Condition' ? fn : fn.slice('Fn::'.length);
      return `!${tag} ${show(arg)}`;
    }
    return `{${entries.map(([k, v]) => `${k}: ${show(v)}`).join(', ')}}`;
  }
  return JSON.stringify(value);
}

/** The lines `berth diff` prints: one block per template, a count line at the end. */
export function formatChanges(changes: readonly Change[], paint: Palette): string {
  const lines: string[] = [];
  const sign = { added: paint.green('+'), removed: paint.red('-'), changed: paint.yellow('~') };
  let current: string | undefined;
  const heading = (file: string) => {
    if (file === current) return;
    current = file;
    lines.push(`${sign.changed} ${paint.bold(file)}`);
  };
  const props = (list: readonly PropertyChange[], indent: string) =>
    list.forEach((p) => lines.push(`${indent}${p.path || '(value)'}: ${paint.red(show(p.old))} -> ${paint.green(show(p.new))}`));
  const counts = { added: 0, removed: 0, changed: 0 };
  const templates = { added: 0, removed: 0, changed: new Set<string>() };
  for (const c of changes) {
    switch (c.kind) {
      case 'template-added':
      case 'template-removed': {
        const added = c.kind === 'template-added';
        current = c.file;
        templates[added ? 'added' : 'removed']++;
        lines.push(`${added ? sign.added : sign.removed} ${paint.bold(c.file)} (${added ? 'new' : 'removed'} template, ${c.resources} resource${c.resources === 1 ? '' : 's'})`);
        break;
      }
      case 'template-changed':
        heading(c.file);
        templates.changed.add(c.file);
        if (c.properties.length === 1 && c.properties[0]!.path === '') {
          lines.push(`    ${sign.changed} ${c.key}: ${paint.red(show(c.properties[0]!.old))} -> ${paint.green(show(c.properties[0]!.new))}`);
        } else {
          lines.push(`    ${sign.changed} ${c.key}`);
          props(c.properties, '        ');
        }
        break;
      default: {
        heading(c.file);
        templates.changed.add(c.file);
        const name = `${c.section}.${c.id}${c.type ? ` (${c.type})` : ''}`;
        lines.push(`    ${sign[c.kind]} ${name}`);
        if (c.kind === 'changed') props(c.properties, '        ');
        if (c.section === 'Resources') counts[c.kind]++;
      }
    }
  }
  for (const c of changes) if (c.kind === 'template-added' || c.kind === 'template-removed') templates.changed.delete(c.file);
  const parts = [
    templates.changed.size && `${templates.changed.size} changed`,
    templates.added && `${templates.added} added`,
    templates.removed && `${templates.removed} removed`,
  ].filter(Boolean);
  lines.push('', `Templates: ${parts.join(', ')}. Resources: ${counts.added} added, ${counts.removed} removed, ${counts.changed} changed.`);
  return lines.join('\n');
}
