/**
 * "Did you mean": the known word closest to a mistyped one, by edit distance (optimal string
 * alignment: insert, delete, substitute, or swap two neighbours, each costing 1), as git suggests
 * a command. A suggestion is offered only when it is close: at most a third of the typed word's
 * length (at least 1, at most 3) and nearer than every other candidate, so a wild guess gets the
 * plain list instead of a misleading hint.
 */

/** Edits between `a` and `b` (a swap of two neighbouring letters counts once). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The one candidate close to `typed`, or `undefined` when none is (or two are equally close). */
export function closest(typed: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  const scored = candidates.map((c) => ({ c, d: editDistance(typed.toLowerCase(), c.toLowerCase()) })).filter((s) => s.d <= limit);
  scored.sort((x, y) => x.d - y.d);
  if (scored.length === 0 || (scored.length > 1 && scored[1]!.d === scored[0]!.d)) return undefined;
  return scored[0]!.c;
}

/** ` Did you mean \`x\`?` when a candidate is close, else the empty string: appended to an error line. */
export function didYouMean(typed: string, candidates: readonly string[], show: (c: string) => string = (c) => `\`${c}\``): string {
  const c = closest(typed, candidates);
  return c === undefined ? '' : ` Did you mean ${show(c)}?`;
}
