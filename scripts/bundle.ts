/**
 * Compiles the CLI and an estate into one JavaScript file, so `make build` starts in plain Node
 * rather than compiling TypeScript on every run (tsx costs about 0.4 s and 50 MiB at start-up):
 *
 *   node --import tsx scripts/bundle.ts [--estate templates/estate.ts] [--out dist/berth.cjs] [--typecheck]
 *
 * The Makefile runs it only when src/, templates/ or scripts/ change. It writes three files (and,
 * from the command line, the deploy helpers: `dist/tools.cjs` and `dist/tools/`, see `bundleTools`):
 * - `dist/berth.bundle.cjs` (and its source map): esbuild's bundle of src/cli/main.ts and the estate (js-yaml included;
 *   tsx, esbuild and @viz-js/viz stay outside and load from node_modules only when needed), with
 *   the settings validators as ajv standalone code compiled here, so the bundle loads neither ajv
 *   nor its compiler (about 140 ms of a build), and each source file's `import.meta.url` still
 *   pointing at the source file, so the estate finds its environment files as when run from source;
 * - `dist/berth.bundle.cjs.lines.json`: which source file each line of the bundle came from
 *   (`lineSources`), so a message naming the file a service was defined in reads a few kilobytes,
 *   not the 2 MB source map (about 30 ms of every build);
 * - `dist/berth.cjs`: the launcher to run, which compiles the bundle with V8's code cache;
 * - `dist/berth.bundle.cjs.v8cache`: that cache, made by one build into a scratch folder here
 *   (after the run, so it holds every function a build compiles: about 25 ms of CPU saved). It is
 *   remade by the launcher when V8 rejects it (another Node version).
 * Any other `--estate` runs from source (tsx), with the same behaviour. Each launcher checks the
 * sources compiled in before it runs them (`FRESH`).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build, type Plugin } from 'esbuild';
import { Ajv } from 'ajv';
import { moduleError } from '../src/cli/_module-error.ts';
import { BerthError } from '../src/dsl/errors.ts';
import type { Estate } from '../src/dsl/estate.ts';
import { AJV_OPTIONS, compiledSchemas, schemaKey } from '../src/settings/loader.ts';
import { typecheck } from './typecheck.ts';

const require = createRequire(import.meta.url);
const standaloneCode = (require('ajv/dist/standalone') as { default: (ajv: Ajv, refs: Record<string, string>) => string }).default;

export interface BundleProps {
  /** @default 'templates/estate.ts' */
  readonly estate?: string;
  /** The launcher; the bundle and its code cache are written beside it. @default 'dist/berth.cjs' */
  readonly out?: string;
  /**
   * Also compile the helpers scripts/deploy.sh runs (TOOLS) beside the launcher: `tools.cjs` and
   * `tools/`, see `bundleTools`. `make build` does; other bundles (the benchmark's, tests') need not.
   * @default false
   */
  readonly tools?: boolean;
}

/**
 * The helpers scripts/deploy.sh runs, in the order it runs them. Compiled, each starts in about a
 * third of the CPU time `node --import tsx` takes (measured: preflight 0.43 s from source), and a
 * deploy runs five to ten of them.
 */
export const TOOLS = [
  'scripts/preflight.ts',
  'scripts/lint/main.ts',
  'scripts/deploy-parameters.ts',
  'scripts/deploy-triggers.ts',
  'scripts/deploy-layers.ts',
  'scripts/deploy-teardown.ts',
  'scripts/stackset.ts',
  'scripts/drift.ts',
  'scripts/portfolio-share.ts',
] as const;

/** Writes the bundle; returns its path. */
export async function bundle(props: BundleProps = {}): Promise<string> {
  const estatePath = resolve(props.estate ?? 'templates/estate.ts');
  const out = resolve(props.out ?? 'dist/berth.cjs');
  const bundleFile = out.replace(/\.cjs$/, '') + '.bundle.cjs';
  const root = resolve(import.meta.dirname, '..');
  const fromOut = (path: string) => JSON.stringify(relative(dirname(out), path).split('\\').join('/'));
  const base = '__berthBase'; // the bundle's own file URL, set by the banner

  // Build every environment once, so each settings schema the estate uses is compiled (and
  // the estate is known to build), then emit those validators as standalone code.
  let estate: Estate;
  try {
    ({ estate } = (await import(pathToFileURL(estatePath).href)) as { estate: Estate });
  } catch (e) {
    throw moduleError(e, relative(process.cwd(), estatePath), estatePath);
  }
  for (const env of estate.environments) estate.synthesize(env);
  const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true } });
  const refs: Record<string, string> = {};
  compiledSchemas().forEach((schema, i) => {
    ajv.addSchema(schema, `schema${i}`);
    refs[schemaKey(schema)] = `schema${i}`;
  });
  const validators = standaloneCode(ajv, refs);

  const entry = `
import { main } from ${JSON.stringify(resolve(root, 'src/cli/main.ts'))};
import { registerPrecompiledValidators } from ${JSON.stringify(resolve(root, 'src/settings/loader.ts'))};
import * as validators from 'berth:validators';
import * as estate from ${JSON.stringify(estatePath)};
import { fileURLToPath } from 'node:url';

registerPrecompiledValidators(validators);
main(process.argv.slice(2), {
  compiledEstates: new Map([[fileURLToPath(new URL(${fromOut(estatePath)}, ${base})), estate]]),
  async fromSource(argv) {
    // Both of tsx's hooks, as \`node --import tsx\` registers them: a .ts module outside a
    // "type": "module" package is CommonJS to Node, and loads through the require hook.
    (await __berthImport('tsx/esm/api')).register();
    (await __berthImport('tsx/cjs/api')).register();
    const cli = await __berthImport(new URL(${fromOut(resolve(root, 'src/cli/main.ts'))}, ${base}).href);
    return cli.main(argv);
  },
}).then((code) => {
  process.exitCode = code;
});
`;
  const plugin = sourcePlugin(root, fromOut, base, validators);
  mkdirSync(dirname(out), { recursive: true });
  const built = await build({
    stdin: { contents: entry, resolveDir: root, sourcefile: 'berth-entry.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    // CommonJS, because V8's code cache is reachable from Node 20 only through vm.Script.
    format: 'cjs',
    target: 'node20',
    outfile: bundleFile,
    // The metafile names inputs relative to this folder: the repository, wherever the build runs from.
    absWorkingDir: root,
    metafile: true,
    external: ['tsx', 'tsx/*', 'esbuild', '@viz-js/viz'],
    plugins: [plugin],
    logLevel: 'warning',
    legalComments: 'none',
    // A source map beside the bundle, read only when a build fails: berth's messages then name
    // the stack author's TypeScript line (src/dsl/_site.ts), not a line of the bundle.
    sourcemap: 'external',
    // import() inside code compiled from V8's code cache fails in Node 20 (the cache drops the
    // loader callback), so dynamic imports go through the launcher's own import().
    banner: {
      js: [
        '// Generated by scripts/bundle.ts. Do not edit: run `make dist/berth.cjs`.',
        `const ${base} = require('node:url').pathToFileURL(__filename);`,
        'const __berthImport = (specifier) => (globalThis.__berthImport ?? ((s) => import(s)))(specifier);',
      ].join('\n'),
    },
  });
  writeFileSync(`${bundleFile}.lines.json`, JSON.stringify(lineSources(JSON.parse(readFileSync(`${bundleFile}.map`, 'utf8')) as RawSourceMap)));
  // The sources compiled in (not node_modules, which `npm ci` changes only with the Makefile's stamp).
  writeFileSync(out, launcher(bundleFile, out, manifestOf(root, Object.keys(built.metafile!.inputs), dirname(out)), relative(dirname(out), resolve(root, 'src/cli/main.ts'))));
  if (props.tools) await bundleTools(root, dirname(out), fromOut, base);
  // One build into a scratch folder: proves the bundle runs, and leaves the code cache behind.
  const scratch = mkdtempSync(join(tmpdir(), 'berth-bundle-'));
  try {
    const run = spawnSync(process.execPath, [out, 'build', '--quiet', '--estate', estatePath, '--out', scratch], { encoding: 'utf8' });
    if (run.status !== 0) throw new TrialBuildFailed(run.stderr);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return out;
}

/**
 * esbuild's loader for berth's sources: each source file's `import.meta` (its `url`, `dirname`, or
 * the object itself, which scripts pass to runScript) stays that of the source file, relative to
 * the bundle; dynamic imports go through `__berthImport`, which the banner defines; `berth:validators`
 * is `validators`.
 */
function sourcePlugin(root: string, fromOut: (path: string) => string, base: string, validators = ''): Plugin {
  return {
    name: 'berth',
    setup(b) {
      b.onResolve({ filter: /^berth:validators$/ }, () => ({ path: 'validators', namespace: 'berth' }));
      b.onLoad({ filter: /.*/, namespace: 'berth' }, () => ({ contents: validators, loader: 'js', resolveDir: root }));
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes(`${'/'}node_modules${'/'}`)) return undefined;
        const source = readFileSync(args.path, 'utf8');
        // A dynamic import resolves at run time, from the launcher (`__berthImport`): a module of
        // berth's own loaded that way is not compiled in, and the compiled CLI fails to find it.
        const dynamic = /\bawait import\(\s*['"](\.\.?\/[^'"]*)['"]/.exec(source);
        if (dynamic) return { errors: [{ text: `${relative(root, args.path)}: \`await import('${dynamic[1]}')\` would not be compiled in (the compiled CLI would not find it): import the module statically, and load what must stay lazy, such as node:child_process, inside it` }] };
        const url = `new URL(${fromOut(args.path)}, ${base}).href`;
        const dir = `require('node:path').dirname(require('node:url').fileURLToPath(${url}))`;
        const text = source
          .replaceAll('import.meta.url', url)
          .replaceAll('import.meta.dirname', dir)
          .replace(/\bimport\.meta\b(?!\.)/g, `({ url: ${url}, dirname: ${dir} })`)
          .replace(/\bawait import\(/g, 'await __berthImport(');
        return { contents: text, loader: 'ts' };
      });
    },
  };
}

/** The parts of a source map (https://sourcemaps.info/spec.html) `lineSources` reads. */
interface RawSourceMap {
  readonly sources: readonly string[];
  readonly mappings: string;
}

/**
 * Which source each line of generated code comes from, read from its source map: `sources` (as
 * the map names them, relative to the map) and `lines`, runs of `[first line (1-based), source]`,
 * where the source is an index into `sources`, `-1` for a line no source maps to (code esbuild
 * generated) and `-2` for a line several sources share (the source map must answer that one).
 * The format src/dsl/_site.ts's `sourceFile` reads.
 */
export function lineSources(map: RawSourceMap): { sources: readonly string[]; lines: [number, number][] } {
  const lines: [number, number][] = [];
  let source = 0; // a source map's source index is relative to the previous segment's, across lines
  map.mappings.split(';').forEach((line, i) => {
    const seen = new Set<number>();
    for (const segment of line === '' ? [] : line.split(',')) {
      const fields = vlq(segment);
      if (fields.length >= 4) seen.add((source += fields[1]!));
    }
    const value = seen.size === 0 ? -1 : seen.size === 1 ? [...seen][0]! : -2;
    if (lines.at(-1)?.[1] !== value) lines.push([i + 1, value]);
  });
  return { sources: map.sources, lines };
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** A source map segment's Base64 VLQ fields. */
function vlq(segment: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

/** Each compiled source's path relative to `from`, size, modification time and SHA-1: what a launcher checks. */
type Manifest = [string, number, number, string][];
function manifestOf(root: string, inputs: readonly string[], from: string): Manifest {
  return inputs
    .filter((p) => !p.startsWith('berth:') && !p.includes('node_modules/') && !p.endsWith('berth-entry.ts'))
    .map((p) => resolve(root, p))
    .sort()
    .map((path) => {
      const stat = statSync(path);
      return [relative(from, path).split('\\').join('/'), stat.size, stat.mtimeMs, createHash('sha1').update(readFileSync(path)).digest('hex')];
    });
}

/**
 * The code a launcher starts with: `fresh(manifest)` is true when every source compiled in is as it
 * was. A source is checked by size and modification time, and only when those differ by its
 * content (a checkout, `touch` or copy changes the time, not the code): about 60 stat calls, under
 * a millisecond.
 */
const FRESH = `function fresh(manifest) {
  for (const [source, size, mtimeMs, sha1] of manifest) {
    const path = join(__dirname, source);
    let stat;
    try { stat = statSync(path); } catch { stale = path; return false; }
    if (stat.size === size && stat.mtimeMs === mtimeMs) continue;
    if (stat.size === size && require('node:crypto').createHash('sha1').update(readFileSync(path)).digest('hex') === sha1) continue;
    stale = path;
    return false;
  }
  return true;
}
let stale;`;

/**
 * The helpers in TOOLS, each compiled into `tools/<name>.cjs` beside `out`'s folder, and the
 * launcher `tools.cjs` that scripts/deploy.sh runs them with (\`node dist/tools.cjs
 * scripts/preflight.ts ARGS\`): it runs the compiled helper when every source compiled into it is
 * unchanged, and otherwise the source through tsx, as \`node --import tsx\` would. So a helper edited
 * since (or stubbed by a test) runs as written, and an up-to-date one starts in plain Node.
 */
async function bundleTools(root: string, outDir: string, fromOut: (path: string) => string, base: string): Promise<void> {
  const name = (tool: string) => tool.replace(/^scripts\//, '').replace(/\.ts$/, '').replaceAll('/', '-');
  rmSync(join(outDir, 'tools'), { recursive: true, force: true });
  const built = await build({
    entryPoints: Object.fromEntries(TOOLS.map((t) => [`tools/${name(t)}`, resolve(root, t)])),
    outdir: outDir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    absWorkingDir: root,
    metafile: true,
    external: ['tsx', 'tsx/*', 'esbuild', '@viz-js/viz', 'typescript'],
    plugins: [sourcePlugin(root, fromOut, base)],
    logLevel: 'warning',
    legalComments: 'none',
    banner: {
      js: [
        '// Generated by scripts/bundle.ts. Do not edit: run `make dist/berth.cjs`.',
        // Source paths are relative to outDir, as the launcher's are: the base is a file there.
        `const ${base} = require('node:url').pathToFileURL(require('node:path').join(__dirname, '..', 'tools.cjs'));`,
        'const __berthImport = (specifier) => import(specifier);',
      ].join('\n'),
    },
  });
  const tools: Record<string, [string, Manifest]> = {};
  for (const t of TOOLS) {
    const output = `${relative(root, join(outDir, 'tools', name(t))).split('\\').join('/')}.cjs`;
    const found = built.metafile.outputs[output];
    if (found === undefined) throw new Error(`bundleTools: esbuild wrote no ${output} (outputs: ${Object.keys(built.metafile.outputs).join(', ')})`);
    tools[relative(outDir, resolve(root, t)).split('\\').join('/')] = [`tools/${name(t)}.cjs`, manifestOf(root, Object.keys(found.inputs), outDir)];
  }
  writeFileSync(
    join(outDir, 'tools.cjs'),
    `// Generated by scripts/bundle.ts. Do not edit: run \`make dist/berth.cjs\`.
// node dist/tools.cjs scripts/<helper>.ts ARGS: the compiled helper when its sources are unchanged, else the source (tsx).
'use strict';
const { readFileSync, statSync } = require('node:fs');
const { join, relative, resolve, sep } = require('node:path');
const { pathToFileURL } = require('node:url');
${FRESH}
const TOOLS = ${JSON.stringify(tools)};
if (process.argv[2] === undefined) {
  process.stderr.write('error: dist/tools.cjs: no helper given. Run it as scripts/deploy.sh does: node dist/tools.cjs scripts/preflight.ts ARGS.\\n');
  process.exit(2);
}
const path = resolve(process.argv[2]);
// The helper sees the command line \`node --import tsx <helper> ARGS\` gives it.
process.argv.splice(1, 2, path);
const tool = TOOLS[relative(__dirname, path).split(sep).join('/')];
if (tool !== undefined && fresh(tool[1])) require(join(__dirname, tool[0]));
else {
  (async () => {
    require('tsx/cjs/api').register();
    (await import('tsx/esm/api')).register();
    await import(pathToFileURL(path).href);
  })();
}
`,
  );
}

/** The trial build failed: its stderr says why (one line for a user mistake). */
class TrialBuildFailed extends Error {
  constructor(readonly stderr: string) {
    super(`the bundle failed its trial build:\n${stderr}`);
  }
}

/**
 * The launcher: refuses to run when a source compiled into the bundle has changed since (the
 * bundle would run the old code: `make build` recompiles first, by hand it is easy to forget),
 * compiles the bundle with V8's code cache, and (re)writes the cache when missing or rejected.
 * With BERTH_STALE_BUNDLE=source it runs the sources instead (tsx), as `node --import tsx
 * src/cli/main.ts` would: scripts/preflight.ts's `build --check` runs that way, so it answers for
 * the sources as they are, compiled or not.
 */
function launcher(bundleFile: string, out: string, manifest: Manifest, main: string): string {
  const name = JSON.stringify(relative(dirname(out), bundleFile));
  return `// Generated by scripts/bundle.ts. Do not edit: run \`make dist/berth.cjs\`.
'use strict';
const { existsSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { join, relative } = require('node:path');
const vm = require('node:vm');
${FRESH}
if (!fresh(${JSON.stringify(manifest)})) {
  const main = join(__dirname, ${JSON.stringify(main.split('\\').join('/'))});
  if (process.env.BERTH_STALE_BUNDLE !== 'source') {
    const shown = relative(process.cwd(), stale) || stale;
    process.stderr.write(\`error: \${shown}: \${existsSync(stale) ? 'changed' : 'is gone'} since \${relative(process.cwd(), __filename)} was compiled from it, which would run the old code. Run \\\`make build\\\` (it compiles first), or run from source: node --import tsx src/cli/main.ts.\\n\`);
    process.exit(1);
  }
  process.argv[1] = main;
  (async () => {
    require('tsx/cjs/api').register();
    (await import('tsx/esm/api')).register();
    await import(require('node:url').pathToFileURL(main).href);
  })();
} else {
  const file = join(__dirname, ${name});
  // The bundle's dynamic imports (the diagram renderer, the AWS CLI runner) resolve from here.
  globalThis.__berthImport = (specifier) => import(specifier);
  const cacheFile = file + '.v8cache';
  let cachedData;
  try { cachedData = readFileSync(cacheFile); } catch {}
  const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
  const bundle = { exports: {} };
  script.runInThisContext()(bundle.exports, Module.createRequire(file), bundle, file, __dirname);
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once('exit', () => { try { writeFileSync(cacheFile, script.createCachedData()); } catch {} });
  }
}
`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { estate: { type: 'string' }, out: { type: 'string' }, typecheck: { type: 'boolean', default: false } } });
  try {
    // `make build` type-checks first: esbuild strips types without checking them.
    if (values.typecheck && typecheck() !== 0) process.exit(1);
    const out = await bundle({ ...values, tools: true });
    console.log(`wrote ${relative(process.cwd(), out)}`);
  } catch (e) {
    // A mistake in the estate: the same one line the CLI prints, no stack trace.
    if (e instanceof BerthError) console.error(`error: ${e.message}`);
    else if (e instanceof TrialBuildFailed) process.stderr.write(e.stderr);
    // esbuild has printed its errors, each with its file and line (logLevel above).
    else if (!(e instanceof Error && Array.isArray((e as { errors?: unknown }).errors))) throw e;
    process.exitCode = 1;
  }
}
