/**
 * Internal: where in the stack author's TypeScript a resource, parameter or output was declared,
 * so a build-time error names `file:line:col` beside the template path, as the CDK's validator
 * does. A site is captured when the declaration is made (a V8 stack capture: a few microseconds,
 * formatted only if an error needs it); the first frame outside src/dsl/ is the author's line.
 *
 * `make build` runs a bundle (scripts/bundle.ts), whose frames point into dist/; when a source
 * map lies beside the bundle, frames are mapped back to the TypeScript files through it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A captured call stack, formatted on demand. */
export interface Site {
  readonly stack?: string;
}

/** Frames kept: the DSL's own (at most a handful deep) and then the author's. */
const DEPTH = 12;

/** Captures the current call stack, for `describeSite` to format if an error needs it. */
export function captureSite(): Site {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = DEPTH;
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, captureSite);
  Error.stackTraceLimit = limit;
  return site;
}

const DSL_DIR = dirname(fileURLToPath(import.meta.url));
const maps = new Map<string, SourceMap | undefined>();

interface Frame {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** The frames of a stack, mapped to source files where a source map is beside the running file. */
function frames(stack: string): Frame[] {
  const out: Frame[] = [];
  for (const m of stack.matchAll(/\(?((?:file:\/\/)?[^\s()]+):(\d+):(\d+)\)?$/gm)) {
    let file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    let line = Number(m[2]);
    let column = Number(m[3]);
    if (!isAbsolute(file)) continue; // node:internal and the like
    const map = sourceMap(file);
    if (map) {
      const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
      if (entry.originalSource === undefined) continue;
      file = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(dirname(file), entry.originalSource);
      line = entry.originalLine! + 1;
      column = entry.originalColumn! + 1;
    }
    out.push({ file, line, column });
  }
  return out;
}

function sourceMap(file: string): SourceMap | undefined {
  if (!maps.has(file)) {
    const mapFile = `${file}.map`;
    maps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]) : undefined);
  }
  return maps.get(file);
}

/**
 * `templates/stacks/network.ts:84:17` for the author's line of a site (and the line that called
 * it, when that is in another file: a shared helper's caller), or `undefined` when no frame is
 * outside the DSL.
 */
export function describeSite(site: Site | undefined): string | undefined {
  if (!site?.stack) return undefined;
  const inDsl = (f: Frame) => f.file.startsWith(DSL_DIR + sep) || f.file.includes(`${sep}src${sep}dsl${sep}`);
  const outside = frames(site.stack).filter((f) => !inDsl(f) && !f.file.includes(`${sep}node_modules${sep}`));
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
