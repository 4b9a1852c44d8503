/**
 * The architecture diagram: each stack a box, its resources grouped by network tier, references
 * (`Ref`, `GetAtt`, `Sub`) and nested-stack wiring (a parameter fed from another stack's output)
 * as arrows. Drawn from the emitted templates, so it shows what CloudFormation gets, and rendered
 * to SVG by Graphviz compiled to WebAssembly (@viz-js/viz), loaded only when a diagram is drawn.
 */

import { GRAPH_MARK } from '../emit/output.ts';

/** The diagram's file name in `output/<env>/` (berth's own file there, with the templates). */
export { GRAPH_FILE } from '../emit/output.ts';

export const TIERS = ['public', 'application', 'database', 'global'] as const;
export type Tier = (typeof TIERS)[number];

const TIER_LABEL: Record<Tier, string> = {
  public: 'public subnets',
  application: 'application subnets',
  database: 'database subnets',
  global: 'global (Region-wide, no subnet)',
};
const TIER_COLOUR: Record<Tier, string> = { public: '#e8f5e9', application: '#e3f2fd', database: '#fff3e0', global: '#f5f5f5' };

/**
 * Resource types that sit in the tier of what they are wired to, rather than in a tier of their
 * own: a route in its route table's, the rest in the tier of the resources that use them (a
 * security group guards the load balancer or the service), else of what they use. A resource that
 * references a subnet takes the subnet's tier; anything else is global. Subnets themselves are
 * classified by their routes (see {@link subnetTiers}).
 */
type Follow = 'users' | { readonly property: string };
const FOLLOWS: ReadonlyMap<string, Follow> = new Map<string, Follow>([
  ['AWS::EC2::Route', { property: 'RouteTableId' }],
  ['AWS::EC2::RouteTable', 'users'],
  ['AWS::EC2::EIP', 'users'],
  ['AWS::EC2::SecurityGroup', 'users'],
  ['AWS::EC2::SecurityGroupIngress', 'users'],
  ['AWS::EC2::SecurityGroupEgress', 'users'],
  ['AWS::EC2::LaunchTemplate', 'users'],
  ['AWS::ElasticLoadBalancingV2::Listener', 'users'],
  ['AWS::ElasticLoadBalancingV2::ListenerRule', 'users'],
]);

export interface GraphTemplate {
  /** File name: `network.yaml`. */
  readonly file: string;
  /** Parsed, intrinsics in long form (see `parseTemplate`). */
  readonly template: unknown;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

/** Logical IDs a value references through `Ref`, `Fn::GetAtt` or `Fn::Sub` placeholders. */
export function references(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    value.forEach((v) => references(v, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v) && typeof v[0] === 'string') out.add(v[0]);
      else if (k === 'Fn::Sub') {
        const [text, vars] = Array.isArray(v) ? v : [v, {}];
        const local = new Set(Object.keys(obj(vars)));
        for (const m of String(text).matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g)) if (!local.has(m[1]!)) out.add(m[1]!);
        references(vars, out);
      } else references(v, out);
    }
  }
  return out;
}

/** A box in the diagram: one resource, or a resource repeated per Availability Zone. */
export interface GraphNode {
  /** DOT node name. */
  readonly key: string;
  /** The template's file. */
  readonly stack: string;
  /** Logical IDs it stands for (several for an AZ repeat). */
  readonly ids: string[];
  readonly type: string;
  label: string;
  tier: Tier;
}
type Node = GraphNode;

/** The diagram before layout: stacks (parents before children), boxes and arrows. */
export interface GraphModel {
  /** Each template, with the file of the stack that nests it. */
  readonly stacks: readonly { readonly file: string; readonly parent?: string; readonly resources: number; readonly nested: number }[];
  readonly nodes: readonly GraphNode[];
  /** `from` is referenced by `to` (the arrow points at `from`). */
  readonly edges: readonly { readonly from: GraphNode; readonly to: GraphNode }[];
}

/**
 * Resources repeated per Availability Zone (`PublicSubnetA`, `PublicSubnetB`) collapse into one
 * node (`PublicSubnet{A,B}`): the IDs have the same type and differ in one AZ letter, a capital
 * A-F standing alone between a lower-case letter or digit and a capital or the end.
 */
export function collapseRepeats(resources: readonly (readonly [string, string])[]): Map<string, { label: string; ids: string[] }> {
  const groups = new Map<string, string[]>();
  for (const [id, type] of resources) {
    for (let i = 1; i < id.length; i++) {
      if (!/[A-F]/.test(id[i]!) || !/[a-z0-9]/.test(id[i - 1]!) || (i + 1 < id.length && !/[A-Z]/.test(id[i + 1]!))) continue;
      const key = `${type} ${id.slice(0, i)}*${id.slice(i + 1)}`;
      groups.set(key, [...(groups.get(key) ?? []), id]);
    }
  }
  const byId = new Map<string, { label: string; ids: string[] }>();
  for (const [key, ids] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    if (ids.length < 2 || ids.some((id) => byId.has(id))) continue;
    const pattern = key.slice(key.indexOf(' ') + 1);
    const star = pattern.indexOf('*');
    const letters = ids.map((id) => id[star]!).sort();
    const group = { label: `${pattern.slice(0, star)}{${letters.join(',')}}${pattern.slice(star + 1)}`, ids };
    for (const id of ids) byId.set(id, group);
  }
  for (const [id] of resources) if (!byId.has(id)) byId.set(id, { label: id, ids: [id] });
  return byId;
}

/**
 * Each subnet's tier from its routes, as the VPC console reads them: a default route to an
 * internet gateway makes it public, one to a NAT gateway (or none but other routes) makes it
 * application, no route out makes it database (isolated).
 * https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html#subnet-types
 */
function subnetTiers(resources: Obj): Map<string, Tier> {
  const typeOf = (id: string) => String(obj(resources[id]).Type);
  const tableTier = new Map<string, Tier>();
  for (const r of Object.values(resources).map(obj)) {
    if (r.Type !== 'AWS::EC2::Route') continue;
    const p = obj(r.Properties);
    const table = [...references(p.RouteTableId)][0];
    if (!table) continue;
    const via = [...references(p.GatewayId)].some((g) => typeOf(g) === 'AWS::EC2::InternetGateway') ? 'public' : 'application';
    if (tableTier.get(table) !== 'public') tableTier.set(table, via);
  }
  const tiers = new Map<string, Tier>();
  for (const r of Object.values(resources).map(obj)) {
    if (r.Type !== 'AWS::EC2::SubnetRouteTableAssociation') continue;
    const p = obj(r.Properties);
    const subnet = [...references(p.SubnetId)][0];
    const table = [...references(p.RouteTableId)][0];
    if (subnet && table) tiers.set(subnet, tableTier.get(table) ?? 'database');
  }
  for (const [id, r] of Object.entries(resources)) {
    if (obj(r).Type === 'AWS::EC2::Subnet' && !tiers.has(id)) tiers.set(id, obj(obj(r).Properties).MapPublicIpOnLaunch === true ? 'public' : 'application');
  }
  return tiers;
}

const quote = (s: string) => `"${s.replace(/["\\]/g, '\\$&')}"`;
const html = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Boxes, tiers and arrows of one environment's templates (the first is the root). */
export function graphModel(templates: readonly GraphTemplate[]): GraphModel {
  const byFile = new Map(templates.map((t) => [t.file, obj(t.template)]));
  const resourcesOf = (file: string) => obj(byFile.get(file)?.Resources);
  const childFile = (r: unknown) => {
    const url = obj(obj(r).Properties).TemplateURL;
    return obj(r).Type === 'AWS::CloudFormation::Stack' && typeof url === 'string' && byFile.has(url) ? url : undefined;
  };
  const parentOf = new Map<string, { file: string; id: string }>();
  for (const t of templates) for (const [id, r] of Object.entries(resourcesOf(t.file))) if (childFile(r)) parentOf.set(childFile(r)!, { file: t.file, id });

  // Nodes: every resource except nested stacks drawn as their own box; AZ repeats collapsed.
  const nodes = new Map<string, Node>(); // by `file id`
  const nodeOf = (file: string, id: string) => nodes.get(`${file} ${id}`);
  for (const t of templates) {
    const entries = Object.entries(resourcesOf(t.file)).filter(([, r]) => !childFile(r));
    const groups = collapseRepeats(entries.map(([id, r]) => [id, String(obj(r).Type)] as const));
    for (const [id, r] of entries) {
      const g = groups.get(id)!;
      const key = `n${nodes.size}`;
      const existing = nodeOf(t.file, g.ids[0]!);
      nodes.set(`${t.file} ${id}`, existing ?? { key, stack: t.file, ids: g.ids, type: String(obj(r).Type), label: g.label, tier: 'global' });
    }
  }

  // Where a parameter's value comes from: the resources behind the outputs wired into it.
  const parameterSources = (file: string, parameter: string, seen = new Set<string>()): Node[] => {
    const parent = parentOf.get(file);
    if (!parent || seen.has(`${file} ${parameter}`)) return [];
    seen.add(`${file} ${parameter}`);
    const wired = obj(obj(obj(resourcesOf(parent.file)[parent.id]).Properties).Parameters)[parameter];
    return [...sources(parent.file, wired, seen)];
  };
  const sources = (file: string, value: unknown, seen = new Set<string>()): Set<Node> => {
    const found = new Set<Node>();
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(visit);
      if (v === null || typeof v !== 'object') return;
      for (const [k, arg] of Object.entries(v)) {
        if (k === 'Fn::GetAtt' && Array.isArray(arg) && String(arg[1]).startsWith('Outputs.')) {
          const child = childFile(resourcesOf(file)[String(arg[0])]);
          const output = obj(obj(byFile.get(child ?? '')?.Outputs)[String(arg[1]).slice('Outputs.'.length)]);
          if (child) sources(child, output.Value, seen).forEach((n) => found.add(n));
        } else if (k === 'Ref' || k === 'Fn::GetAtt' || k === 'Fn::Sub') {
          for (const id of references({ [k]: arg })) {
            const n = nodeOf(file, id);
            if (n) found.add(n);
            else if (obj(byFile.get(file)?.Parameters)[id]) parameterSources(file, id, seen).forEach((s) => found.add(s));
          }
        } else visit(arg);
      }
    };
    visit(value);
    return found;
  };

  // Edges: from what is used to what uses it (drawn with the arrow at the user's end reversed, so
  // providers rank first: the network on the left, services on the right).
  const edges = new Map<string, { from: Node; to: Node }>();
  const neighbours = new Map<Node, Set<Node>>();
  const link = (from: Node, to: Node) => {
    if (from === to) return;
    edges.set(`${from.key} ${to.key}`, { from, to });
    for (const [a, b] of [[from, to], [to, from]] as const) neighbours.set(a, (neighbours.get(a) ?? new Set()).add(b));
  };
  for (const t of templates) {
    for (const [id, r] of Object.entries(resourcesOf(t.file))) {
      const user = nodeOf(t.file, id);
      if (!user) continue;
      for (const used of sources(t.file, obj(r).Properties)) link(used, user);
    }
  }

  // Tiers: subnets by their routes, then whatever references a subnet, then the attachments.
  for (const t of templates) {
    for (const [id, tier] of subnetTiers(resourcesOf(t.file))) nodeOf(t.file, id)!.tier = tier;
  }
  const isSubnet = (n: Node) => n.type === 'AWS::EC2::Subnet';
  const users = (n: Node) => [...(neighbours.get(n) ?? [])].filter((m) => edges.has(`${n.key} ${m.key}`));
  const used = (n: Node) => [...(neighbours.get(n) ?? [])].filter((m) => edges.has(`${m.key} ${n.key}`));
  for (const n of nodes.values()) {
    if (isSubnet(n) || FOLLOWS.has(n.type)) continue;
    const subnets = used(n).filter(isSubnet);
    if (subnets.length > 0) n.tier = mostCommon(subnets.map((m) => m.tier));
  }
  const tiered = (list: readonly Node[]) => list.map((m) => m.tier).filter((t) => t !== 'global');
  for (let pass = 0; pass < 3; pass++) {
    for (const n of new Set(nodes.values())) {
      const rule = FOLLOWS.get(n.type);
      if (!rule) continue;
      let around: Tier[];
      if (rule === 'users') {
        around = tiered(users(n));
        if (around.length === 0) around = tiered(used(n));
      } else {
        const r = obj(resourcesOf(n.stack)[n.ids[0]!]);
        around = tiered([...sources(n.stack, obj(r.Properties)[rule.property])]);
      }
      if (around.length > 0) n.tier = mostCommon(around);
    }
  }

  const stacks = templates.map((t) => {
    const all = Object.values(resourcesOf(t.file));
    const nested = all.filter((r) => childFile(r)).length;
    return { file: t.file, parent: parentOf.get(t.file)?.file, resources: all.length - nested, nested };
  });
  return { stacks, nodes: [...new Set(nodes.values())], edges: [...edges.values()] };
}

/** The diagram of one environment in DOT, deterministic for the same templates. */
export function graphDot(environment: string, templates: readonly GraphTemplate[]): string {
  const model = graphModel(templates);
  const lines: string[] = [
    `digraph ${quote(`berth ${environment}`)} {`,
    `  graph [label=${quote(`berth ${environment}: a box per stack, resources by network tier; an arrow points at what a resource references (dark: across stacks)`)}, labelloc=t, fontsize=20, fontname="Helvetica,Arial,sans-serif", rankdir=LR, compound=true, newrank=true, nodesep=0.15, ranksep=0.6];`,
    '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica,Arial,sans-serif", fontsize=11, margin="0.08,0.04"];',
    '  edge [color="#607d8b80", arrowsize=0.6, dir=back];',
  ];
  const drawStack = (file: string, indent: string) => {
    const stack = model.stacks.find((st) => st.file === file)!;
    const counts = [stack.resources && `${stack.resources} resources`, stack.nested && `${stack.nested} nested stacks`].filter(Boolean).join(', ');
    lines.push(`${indent}subgraph ${quote(`cluster_${file}`)} {`);
    lines.push(`${indent}  label=${quote(`${file} (${counts})`)}; style="rounded"; color="#37474f"; fontsize=14;`);
    for (const tier of TIERS) {
      const members = model.nodes.filter((n) => n.stack === file && n.tier === tier);
      if (members.length === 0) continue;
      lines.push(`${indent}  subgraph ${quote(`cluster_${file}_${tier}`)} {`);
      lines.push(`${indent}    label=${quote(TIER_LABEL[tier])}; style="rounded,filled"; color="#b0bec5"; fillcolor=${quote(TIER_COLOUR[tier])}; fontsize=10;`);
      for (const n of members) {
        const type = n.type.replace(/^AWS::/, '');
        const times = n.ids.length > 1 ? ` \u00d7${n.ids.length}` : '';
        lines.push(`${indent}    ${n.key} [label=<<b>${html(n.label)}</b><br/><font point-size="9" color="#546e7a">${html(type)}${times}</font>>];`);
      }
      lines.push(`${indent}  }`);
    }
    for (const child of model.stacks.filter((st) => st.parent === file)) drawStack(child.file, `${indent}  `);
    lines.push(`${indent}}`);
  };
  for (const st of model.stacks) if (st.parent === undefined) drawStack(st.file, '  ');
  for (const { from, to } of model.edges) {
    const cross = from.stack !== to.stack;
    lines.push(`  ${from.key} -> ${to.key}${cross ? ' [color="#37474fb0", penwidth=1.2]' : ''};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function mostCommon<T>(items: readonly T[]): T {
  const counts = new Map<T, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

/**
 * Renders DOT to SVG with Graphviz compiled to WebAssembly. Imported here, on first use, so
 * `berth build` never loads it. The output is deterministic: same DOT, same bytes.
 */
export async function renderSvg(dot: string): Promise<string> {
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  const svg = viz.renderString(dot, { format: 'svg', engine: 'dot' });
  return svg.replace(/^(<\?xml[^>]*>\n)?/, (prolog) => `${prolog}${GRAPH_MARK} graph from the emitted templates. Do not edit: run \`make graph\`. -->\n`);
}
