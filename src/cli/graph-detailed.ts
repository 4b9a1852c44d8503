/**
 * The detailed diagram (`berth graph --detailed`): each stack a box, its resources grouped by
 * network tier, every reference (`Ref`, `GetAtt`, `Sub`) and nested-stack wire as an arrow. Every
 * resource is drawn: the view for finding where one resource sits and what it depends on.
 */
import { DIAGRAM_FONT, html, quote } from './graph-render.ts';
import { TIERS, type GraphModel, type Tier } from './graph-model.ts';

const TIER_LABEL: Record<Tier, string> = {
  public: 'public subnets',
  application: 'application subnets',
  database: 'database subnets',
  global: 'global (Region-wide, no subnet)',
};
export const TIER_COLOUR: Record<Tier, string> = { public: '#e8f5e9', application: '#e3f2fd', database: '#fff3e0', global: '#f5f5f5' };

/** The detailed diagram of one environment in DOT, deterministic for the same templates. */
export function detailedDot(environment: string, model: GraphModel): string {
  const lines: string[] = [
    `digraph ${quote(`berth ${environment}`)} {`,
    `  graph [label=${quote(`berth ${environment}, every resource: a box per stack, resources by network tier; an arrow points at what a resource references (dark: across stacks)`)}, labelloc=t, fontsize=20, fontname=${quote(DIAGRAM_FONT)}, rankdir=LR, compound=true, newrank=true, nodesep=0.15, ranksep=0.6];`,
    `  node [shape=box, style="rounded,filled", fillcolor=white, fontname=${quote(DIAGRAM_FONT)}, fontsize=11, margin="0.08,0.04"];`,
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
        const times = n.ids.length > 1 ? ` x${n.ids.length}` : '';
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
