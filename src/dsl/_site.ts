/**
 * Internal: where in the stack author's TypeScript a resource, parameter or output was declared,
 * so a build-time error names `file:line:col` beside the template path, as the CDK's validator
 * does. A site is captured when the declaration is made (the positions of a V8 stack capture: a
 * few microseconds); the first frame outside src/dsl/ is the author's line.
 *
 * `make build` runs a bundle (scripts/bundle.ts), whose frames point into dist/; when a source
 * map lies beside the bundle, frames are mapped back to the TypeScript files through it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { findSourceMap, SourceMap } from 'node:module';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where an addition was made: the positions of the call stack then, mapped to sources on demand. */
export interface Site {
  readonly frames: readonly Position[];
}

/** A frame's file (a path or a file: URL, as V8 gives it), line and column, 1-based. */
type Position = readonly [file: string, line: number, column: number];

/** Frames kept: the DSL's own (at most a handful deep) and then the author's. */
const DEPTH = 12;

/** V8's structured frames as bare positions. */
const positions = (_: Error, calls: readonly NodeJS.CallSite[]): Position[] => calls.map((c) => [c.getFileName() ?? '', c.getLineNumber() ?? 0, c.getColumnNumber() ?? 0]);

/**
 * A captured call stack, read into positions only when asked. V8 captures a stack cheaply and
 * formats it when `stack` is first read (with the `Error.prepareStackTrace` of that moment); a
 * build declares some 2,000 resources, parameters and outputs and describes none of them unless a
 * check fails, so reading every stack at once cost about 25 ms of a 280 ms build.
 */
class CapturedSite implements Site {
  readonly #holder: { stack?: unknown } = {};
  #frames: readonly Position[] | undefined;

  constructor() {
    Error.captureStackTrace(this.#holder, captureSite);
  }

  get frames(): readonly Position[] {
    if (this.#frames === undefined) {
      const { prepareStackTrace } = Error;
      Error.prepareStackTrace = positions;
      try {
        const stack = this.#holder.stack;
        this.#frames = Array.isArray(stack) ? (stack as Position[]) : [];
      } finally {
        Error.prepareStackTrace = prepareStackTrace;
      }
    }
    return this.#frames;
  }
}

/**
 * Captures the current call stack (a microsecond or two), its positions read only when a message
 * needs them. They are the running code's: `describeSite` maps them to the TypeScript sources. Do
 * not describe a site before a check fails: reading the bundle's source map costs 20 MB and 50 ms.
 */
export function captureSite(): Site {
  const { stackTraceLimit } = Error;
  Error.stackTraceLimit = DEPTH;
  try {
    return new CapturedSite();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

const DSL_DIR = dirname(fileURLToPath(import.meta.url));
const maps = new Map<string, SourceMap | undefined>();

export interface Frame {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** The frames of a site, mapped to source files where a source map is known for the running file. */
function frames(site: Site): Frame[] {
  const out: Frame[] = [];
  for (const [name, line, column] of site.frames) {
    const file = name.startsWith('file://') ? fileURLToPath(name) : name;
    if (!isAbsolute(file)) continue; // node:internal and the like
    const mapped = sourcePosition(name, line, column);
    if (mapped) out.push(mapped);
  }
  return out;
}

/**
 * A position of running code as the source file it was compiled from (through the source map
 * `sourceMap` finds), the position itself when no map is known, or `undefined` when the map has no
 * source for it (code esbuild generated).
 */
export function sourcePosition(name: string, line: number, column: number): Frame | undefined {
  const file = name.startsWith('file://') ? fileURLToPath(name) : name;
  const map = sourceMap(name, file);
  if (!map) return { file, line, column };
  const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
  if (entry.originalSource === undefined) return undefined;
  return { file: sourcePath(file, entry.originalSource), line: entry.originalLine! + 1, column: entry.originalColumn! + 1 };
}

/** A source map's source as a path: a file: URL, or a path relative to the compiled `file`. */
function sourcePath(file: string, source: string): string {
  return source.startsWith('file://') ? fileURLToPath(source) : resolve(dirname(file), source);
}

/**
 * The source map of a running file: the one Node keeps when source maps are on (tsx turns them on
 * for the TypeScript it compiles), or a `.map` file beside it (the bundle `make build` runs).
 */
function sourceMap(name: string, file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    const mapFile = `${file}.map`;
    maps.set(file, findSourceMap(name) ?? (existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : undefined));
  }
  return maps.get(file);
}

/** Runs of `[first line, source index]` (-1: no source, -2: several), as scripts/bundle.ts's `lineSources` writes them. */
interface LineSources {
  readonly sources: readonly string[];
  readonly lines: readonly (readonly [number, number])[];
}
const lineIndexes = new Map<string, LineSources | undefined>();

/**
 * The source file a line of running code was compiled from, as `sourcePosition(...).file` gives it,
 * but read, for the bundle `make build` runs, from the small line index beside it
 * (`<bundle>.lines.json`) rather than its 2 MB source map: naming the file a service was defined in
 * is on every build's path (templates/stacks/shared/caller-file.ts), and parsing the source map
 * cost about 30 ms of a 300 ms build. A line several sources share is looked up in the source map.
 */
export function sourceFile(name: string, line: number, column: number): string | undefined {
  const file = name.startsWith('file://') ? fileURLToPath(name) : name;
  if (!lineIndexes.has(file)) {
    const indexFile = `${file}.lines.json`;
    lineIndexes.set(file, existsSync(indexFile) ? (JSON.parse(readFileSync(indexFile, 'utf8')) as LineSources) : undefined);
  }
  const index = lineIndexes.get(file);
  if (!index) return sourcePosition(name, line, column)?.file;
  // The last run starting at or before the line (binary search: the bundle has some 18,000 lines).
  let lo = 0;
  let hi = index.lines.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (index.lines[mid]![0] <= line) lo = mid;
    else hi = mid - 1;
  }
  const source = index.lines[lo]?.[1] ?? -1; // the first run starts at line 1
  if (source === -2) return sourcePosition(name, line, column)?.file;
  if (source < 0) return undefined;
  return sourcePath(file, index.sources[source]!);
}

/**
 * `templates/stacks/network.ts:84:17` for the author's line of a site (and the line that called
 * it, when that is in another file: a shared helper's caller), or `undefined` when no frame is
 * outside the DSL.
 */
export function describeSite(site: Site | undefined): string | undefined {
  if (!site) return undefined;
  const inDsl = (f: Frame) => f.file.startsWith(DSL_DIR + sep) || f.file.includes(`${sep}src${sep}dsl${sep}`);
  const outside = frames(site).filter((f) => !inDsl(f) && !f.file.includes(`${sep}node_modules${sep}`));
  const first = outside[0];
  if (!first) return undefined;
  const show = (f: Frame) => `${relative(process.cwd(), f.file) || f.file}:${f.line}:${f.column}`;
  const caller = outside.find((f) => f.file !== first.file);
  return caller && outside.indexOf(caller) === 1 ? `${show(first)} (called from ${show(caller)})` : show(first);
}

/** `<ts file:line:col>: <template file>`, or the template file alone when the site is unknown. */
export function located(templateFile: string, site: Site | undefined): string {
  const at = describeSite(site);
  return at ? `${at}: ${templateFile}` : templateFile;
}
