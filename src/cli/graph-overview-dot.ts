/**
 * The overview drawn as DOT, left to right in four columns: what is outside (the internet, the
 * VPC), the public subnets (load balancer, NAT), the application subnets (services, cluster), and
 * then the database subnets and what is Region-wide (queues, topics, schedules, other templates).
 * More services make the drawing taller, never wider: every line is wrapped to its column's width,
 * so the overview stays readable at 1280 px (test/graph.test.ts renders it and checks).
 */
import { DIAGRAM_FONT, html, quote } from './graph-render.ts';
import type { FlowKind, Overview, OverviewBox, Place } from './graph-overview.ts';

/** Columns, left to right. */
const COLUMN: Record<Place, number> = { outside: 0, public: 1, application: 2, database: 3, region: 3 };
/** Characters per line in each column: the service column is the widest. */
const WRAP: Record<number, number> = { 0: 22, 1: 26, 2: 34, 3: 26 };

/** Font sizes in points; at the SVG's natural size a point is 4/3 px, so 9 pt is 12 px. */
export const FONT_POINTS = { title: 16, legend: 10, box: 12, text: 10, small: 9, edge: 9 } as const;

const CLUSTER: Record<Exclude<Place, 'outside'>, { label: (o: Overview) => string; fill: string }> = {
  public: { label: (o) => o.tiers.public ?? 'public subnets', fill: '#e8f5e9' },
  application: { label: (o) => o.tiers.application ?? 'application subnets', fill: '#e3f2fd' },
  database: { label: (o) => o.tiers.database ?? 'database subnets', fill: '#fff3e0' },
  region: { label: () => 'Region-wide, outside the VPC', fill: '#f3e5f5' },
};

const BORDER: Record<OverviewBox['kind'], string> = {
  internet: '#37474f',
  network: '#546e7a',
  loadBalancer: '#2e7d32',
  nat: '#546e7a',
  workload: '#1565c0',
  capacity: '#546e7a',
  subnetGroup: '#ef6c00',
  data: '#ef6c00',
  queue: '#6a1b9a',
  topic: '#6a1b9a',
  schedule: '#6a1b9a',
  template: '#9e9e9e',
};

const FLOW: Record<FlowKind, string> = {
  traffic: 'color="#2e7d32", fontcolor="#2e7d32", penwidth=1.6',
  message: 'color="#6a1b9a", fontcolor="#6a1b9a", penwidth=1.4',
  start: 'color="#6a1b9a", fontcolor="#6a1b9a", penwidth=1.4, style=dashed',
  use: 'color="#78909c", fontcolor="#546e7a", style=dashed',
};

/**
 * Breaks text into lines of at most `width` characters at spaces, keeping a number with the word
 * after it (`0.5 vCPU`, `90 %`); a longer word stays whole.
 */
export function wrap(text: string, width: number): string[] {
  const words: string[] = [];
  for (const word of text.split(' ')) {
    const last = words[words.length - 1];
    if (last !== undefined && /^[\d.,x-]+$/.test(last) && /\d/.test(last)) words[words.length - 1] = `${last} ${word}`;
    else words.push(word);
  }
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function boxLabel(b: OverviewBox): string {
  const width = WRAP[COLUMN[b.place]]!;
  const row = (text: string, size: number, attrs = '') => `<tr><td align="left" balign="left"><font point-size="${size}"${attrs}>${text}</font></td></tr>`;
  const rows = [row(`<b>${html(b.title)}</b>`, FONT_POINTS.box)];
  for (const l of wrap(b.subtitle, width)) rows.push(row(html(l), FONT_POINTS.text, ' color="#455a64"'));
  for (const line of b.lines) for (const l of wrap(line, width)) rows.push(row(html(l), FONT_POINTS.text));
  if (b.also.length > 0) for (const l of wrap(`also: ${b.also.join(', ')}`, width + 4)) rows.push(row(html(l), FONT_POINTS.small, ' color="#546e7a"'));
  return `<<table border="0" cellborder="0" cellspacing="0" cellpadding="1">${rows.join('')}</table>>`;
}

/** The overview of one environment in DOT, deterministic for the same templates. */
export function overviewDot(environment: string, overview: Overview): string {
  const lines: string[] = [
    `digraph ${quote(`berth ${environment} overview`)} {`,
    `  graph [label=<${overviewTitle(environment)}>, labelloc=t, labeljust=l, fontname=${quote(DIAGRAM_FONT)}, fontsize=${FONT_POINTS.title}, rankdir=LR, newrank=true, nodesep=0.2, ranksep=0.4, pad=0.1];`,
    `  node [shape=box, style="rounded,filled", fillcolor=white, fontname=${quote(DIAGRAM_FONT)}, fontsize=${FONT_POINTS.text}, margin="0.1,0.06", penwidth=1.3];`,
    `  edge [fontname=${quote(DIAGRAM_FONT)}, fontsize=${FONT_POINTS.edge}, arrowsize=0.7];`,
  ];
  const node = (b: OverviewBox, indent: string) => {
    if (b.kind === 'internet') return `${indent}${b.key} [shape=ellipse, style=filled, fillcolor="#eceff1", color=${quote(BORDER.internet)}, fontsize=${FONT_POINTS.box}, label="internet"];`;
    const style = b.kind === 'template' ? 'rounded,dashed,filled' : 'rounded,filled';
    return `${indent}${b.key} [style=${quote(style)}, color=${quote(BORDER[b.kind])}, label=${boxLabel(b)}];`;
  };
  for (const b of overview.boxes.filter((x) => x.place === 'outside')) lines.push(node(b, '  '));
  for (const place of ['public', 'application', 'database', 'region'] as const) {
    const members = overview.boxes.filter((b) => b.place === place);
    if (members.length === 0) continue;
    const c = CLUSTER[place];
    lines.push(`  subgraph ${quote(`cluster_${place}`)} {`);
    lines.push(`    label=<${c.label(overview).split(': ').map(html).join('<br align="left"/>')}<br align="left"/>>; labeljust=l; style="rounded,filled"; color="#b0bec5"; fillcolor=${quote(c.fill)}; fontsize=${FONT_POINTS.text};`);
    for (const b of members) lines.push(node(b, '    '));
    lines.push('  }');
  }
  // Columns: each box in its column's rank; an invisible chain keeps the columns in order.
  const columns = [0, 1, 2, 3].map((c) => overview.boxes.filter((b) => COLUMN[b.place] === c)).filter((members) => members.length > 0);
  for (const members of columns) lines.push(`  { rank=same; ${members.map((b) => b.key).join('; ')}; }`);
  for (let i = 1; i < columns.length; i++) lines.push(`  ${columns[i - 1]![0]!.key} -> ${columns[i]![0]!.key} [style=invis];`);
  for (const e of overview.edges) {
    // A label on an arrow within one column has no room of its own (Graphviz puts it over the
    // cluster's title); what it would say is on the box already.
    const sameColumn = COLUMN[e.from.place] === COLUMN[e.to.place];
    const attrs = [FLOW[e.kind], ...(e.label && !sameColumn ? [`label=${quote(e.label)}`] : [])];
    // An arrow pointing left is drawn as its reverse with the head at the tail, so ranks run left to right.
    if (COLUMN[e.from.place] > COLUMN[e.to.place]) lines.push(`  ${e.to.key} -> ${e.from.key} [${[...attrs, 'dir=back'].join(', ')}];`);
    else lines.push(`  ${e.from.key} -> ${e.to.key} [${attrs.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

function overviewTitle(environment: string): string {
  const legend = [
    '<font color="#2e7d32">green: requests</font>, <font color="#6a1b9a">purple: messages and schedules</font>, <font color="#546e7a">grey dashed: other use</font>',
    '<font color="#546e7a">"also" counts the rest of what a box stands for; every resource: berth graph --detailed</font>',
  ].map((l) => `<font point-size="${FONT_POINTS.legend}">${l}</font><br align="left"/>`);
  return `<b>berth ${html(environment)}: the estate at a glance</b><br align="left"/>${legend.join('')}`;
}
