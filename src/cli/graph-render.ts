import { GRAPH_MARK } from '../emit/output.ts';

/**
 * Writing DOT and rendering it to SVG with Graphviz compiled to WebAssembly (@viz-js/viz), loaded
 * only when a diagram is drawn, so `berth build` never pays for it.
 *
 * The font: Graphviz sizes every box from its own table of character widths for the font a graph
 * names, and falls back to Times (narrow) for a name it has no table for, such as the list
 * `Helvetica,Arial,sans-serif`; a viewer then draws a wider sans-serif and labels overflow their
 * boxes. So the DOT names one font Graphviz has widths for, DejaVu Sans, the widest of the common
 * sans-serif faces (the default sans-serif of many Linux systems), and the SVG then asks for
 * DejaVu Sans, else Arial or Helvetica (what Windows and macOS have; narrower, by Graphviz's own
 * width tables, so labels still fit), else any sans-serif. Not Verdana: its letters match DejaVu
 * Sans but its punctuation is wider.
 */

/** The font Graphviz measures with; it has a width table for this name (lib/common/textspan_lut.c). */
export const DIAGRAM_FONT = 'DejaVu Sans';
/** What the SVG asks a viewer for: the measured font, then narrower faces. */
export const SVG_FONT_FAMILY = 'DejaVu Sans,Arial,Helvetica,sans-serif';

/** A DOT string. */
export const quote = (s: string): string => `"${s.replace(/["\\]/g, '\\$&')}"`;
/** Text for an HTML-like DOT label. */
export const html = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export interface RenderedSvg {
  readonly svg: string;
  /** What Graphviz warned about (a font it has no widths for, a character it cannot measure). */
  readonly warnings: readonly string[];
}

/**
 * Renders DOT to SVG, headed by a do-not-edit comment saying how to redraw it (`regenerate`).
 * Deterministic: the same DOT gives the same bytes.
 */
export async function renderSvg(dot: string, regenerate: string): Promise<RenderedSvg> {
  const { instance } = await import('@viz-js/viz');
  const viz = await instance();
  const result = viz.render(dot, { format: 'svg', engine: 'dot' });
  if (result.status !== 'success') throw new Error(`Graphviz failed: ${result.errors.map((e) => e.message).join('; ')}`);
  const svg = result.output
    .replace(/^(<\?xml[^>]*>\n)?/, (prolog) => `${prolog}${GRAPH_MARK} graph from the emitted templates. Do not edit: ${regenerate}. -->\n`)
    .replaceAll(`font-family="${DIAGRAM_FONT}"`, `font-family="${SVG_FONT_FAMILY}"`);
  return { svg, warnings: result.errors.map((e) => e.message.trim()) };
}
