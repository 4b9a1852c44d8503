/**
 * Colours for the CLI, only on a terminal: piped or redirected output (CI logs, `make` in a
 * script, tests) stays plain, and `NO_COLOR` turns them off everywhere (https://no-color.org/).
 */
export type Paint = (text: string) => string;

export interface Palette {
  readonly red: Paint;
  readonly green: Paint;
  readonly yellow: Paint;
  readonly bold: Paint;
  readonly dim: Paint;
}

const plain: Paint = (s) => s;
const sgr = (on: number, off: number): Paint => (s) => `\x1b[${on}m${s}\x1b[${off}m`;

/** The palette for one stream: colours when it is a terminal and `NO_COLOR` is unset or empty. */
export function palette(stream: NodeJS.WriteStream): Palette {
  const colour = stream.isTTY === true && !process.env.NO_COLOR;
  return colour
    ? { red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39), bold: sgr(1, 22), dim: sgr(2, 22) }
    : { red: plain, green: plain, yellow: plain, bold: plain, dim: plain };
}

/** The printed width of `text`, colour codes left out. */
export function visibleLength(text: string): number {
  return text.replace(/\x1b\[\d+m/g, '').length;
}
