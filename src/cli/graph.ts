/**
 * `berth graph`: each environment's architecture diagram, drawn from its emitted templates and
 * rendered to SVG. Two views of the same graph (see graph-model.ts):
 * - the overview (default, committed as `output/<env>/architecture.svg`): how requests, messages
 *   and schedules reach one box per service, in the three network tiers (graph-overview.ts);
 * - the detailed view (`--detailed`, `architecture-detailed.svg`): every resource and reference,
 *   grouped by stack and tier (graph-detailed.ts).
 */
import { detailedDot } from './graph-detailed.ts';
import { graphModel, type GraphTemplate } from './graph-model.ts';
import { overviewDot } from './graph-overview-dot.ts';
import { overviewModel } from './graph-overview.ts';
import { renderSvg, type RenderedSvg } from './graph-render.ts';

export type GraphView = 'overview' | 'detailed';

/** Each view's file name in `output/<env>/`: berth's own files there, with the templates (src/emit/output.ts). */
export { GRAPH_FILES } from '../emit/output.ts';

/**
 * How to redraw a view, for the SVG's do-not-edit comment (an XML comment may not hold `--`, so
 * the detailed view's flag is named in words).
 */
const REGENERATE: Readonly<Record<GraphView, string>> = { overview: 'run `make graph`', detailed: 'run `berth graph` with the detailed option' };

/** One environment's diagram in DOT, deterministic for the same templates (the first is the root). */
export function graphDot(environment: string, templates: readonly GraphTemplate[], view: GraphView = 'overview'): string {
  return view === 'overview' ? overviewDot(environment, overviewModel(templates)) : detailedDot(environment, graphModel(templates));
}

/** One environment's diagram as SVG. */
export function drawGraph(environment: string, templates: readonly GraphTemplate[], view: GraphView = 'overview'): Promise<RenderedSvg> {
  return renderSvg(graphDot(environment, templates, view), REGENERATE[view]);
}
