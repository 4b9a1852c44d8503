#!/usr/bin/env node
/**
 * berth's command line: `build`, `diff` and `graph`. `make build` runs the compiled bundle
 * (`dist/berth.mjs`, see scripts/bundle.ts); during development run the sources directly as
 * `node --import tsx src/cli/main.ts <command> [options]`. Both behave the same.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { moduleError } from './_module-error.ts';
import { palette } from './_terminal.ts';
import { deployedTemplates } from './deployed.ts';
import { diffEstate, formatChanges, type TemplateSet } from './diff.ts';
import { parseTemplate } from '../emit/parse.ts';
import { emitEnvironment, Interrupted, isTemplateFile, staleFiles, writeBeside, writeOutput, type EmittedFile } from '../emit/output.ts';
import { BerthError, q } from '../dsl/errors.ts';
import { flatten, type Estate } from '../dsl/estate.ts';
import { drawGraph, GRAPH_FILES, type GraphView } from './graph.ts';
import { summary, WARN_AT } from './summary.ts';

const COMMON = `  --env E        only environment E (repeatable); default: every environment
  --out DIR      the output folder; default: output
  --estate FILE  the estate module; default: templates/estate.ts
  -h, --help     show this help`;

const HELP = {
  berth: `Usage: berth <command> [options]

Commands:
  build    generate every environment's CloudFormation templates into output/<env>/
  diff     show what a fresh build changes, resource by resource, against output/ or a deployed stack
  graph    draw each environment's overview diagram into output/<env>/architecture.svg

Run \`berth <command> --help\` for a command's options.`,
  build: `Usage: berth build [--env E ...] [--out DIR] [--check] [--quiet] [--estate FILE]

Generates every template of each environment into DIR/<env>/, and prints a table of each
template's size against CloudFormation's limits, warning from ${WARN_AT * 100} %.

Each DIR/<env>/ whose templates changed is replaced as a whole: a complete new folder is written
beside it, then renamed into its place, so a reader sees the old set or the new one, never a mix.
Ctrl-C (or SIGTERM) before that rename leaves DIR as it was; a build killed outright leaves
.berth-* entries that the next build puts right. berth writes only into a DIR that is empty, new,
or holds only what berth wrote (templates with its header, the diagram). See docs/output.md.

Options:
  --check        write nothing; exit 1 if DIR differs from a fresh build (stale output)
  --quiet        print no summary table
${COMMON}

Examples:
  berth build                 # every environment into output/
  berth build --env dev       # only output/dev/
  berth build --check         # in CI: fail when the committed output/ is stale`,
  diff: `Usage: berth diff [--env E ...] [--stack-name NAME [--template FILE]] [--out DIR] [--estate FILE]

Builds the templates in memory and compares them, resource by resource, with the committed
DIR/<env>/ or, with --stack-name, with a deployed root stack and its nested stacks (read with
\`aws cloudformation get-template\`; the AWS CLI's usual credentials, AWS_REGION and
AWS_ENDPOINT_URL apply). Prints added (+), removed (-) and changed (~) resources, parameters,
outputs and conditions, with each changed property's old and new value.
Exit status: 0 no differences, 1 differences, 2 error.

Options:
  --stack-name N compare with the deployed stack N (one environment: pass --env)
  --template F   the top-level template stack N holds; default: the first (root.yaml)
${COMMON}

Examples:
  berth diff                                   # what \`make build\` would change in output/
  berth diff --env prod --stack-name berth-prod  # what a deploy would change`,
  graph: `Usage: berth graph [--env E ...] [--detailed] [--out DIR] [--check] [--estate FILE]

Draws DIR/<env>/architecture.svg, the overview: the internet, the load balancer and its routes,
one box per service (capacity, scaling, deployment), queues and schedules, in the public,
application and database subnets; the rest of each stack counted on its box. Drawn from the
templates a build writes; rendered offline by Graphviz compiled to WebAssembly (@viz-js/viz).
See docs/diagram.md.

Options:
  --detailed     draw every resource and reference instead, into DIR/<env>/architecture-detailed.svg
  --check        write nothing; exit 1 if the committed diagram differs from a fresh one
${COMMON}

Examples:
  berth graph --env prod             # writes output/prod/architecture.svg
  berth graph --env prod --detailed  # writes output/prod/architecture-detailed.svg`,
} as const;

type Command = Exclude<keyof typeof HELP, 'berth'>;

const OPTIONS = {
  build: { check: { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false } },
  diff: { 'stack-name': { type: 'string' }, template: { type: 'string' } },
  graph: { check: { type: 'boolean', default: false }, detailed: { type: 'boolean', default: false } },
} satisfies Record<Command, ParseArgsConfig['options']>;

const COMMON_OPTIONS = {
  env: { type: 'string', multiple: true },
  out: { type: 'string', default: 'output' },
  estate: { type: 'string', default: 'templates/estate.ts' },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

/** How `main` runs when compiled into a bundle (scripts/bundle.ts); unset when run from source. */
export interface MainProps {
  /** Estate modules compiled into this program, by absolute path: loaded without TypeScript. */
  readonly compiledEstates?: ReadonlyMap<string, { readonly estate?: Estate }>;
  /**
   * Runs the same command from the TypeScript sources, for an estate that was not compiled in
   * (`--estate` naming another module): slower to start, same behaviour.
   */
  readonly fromSource?: (argv: string[]) => Promise<number>;
}

function parse<C extends Command>(command: C, args: string[]) {
  const values = parseOptions(command, args);
  for (const option of ['out', 'estate'] as const) {
    if (values[option].trim() === '') {
      throw new BerthError(`--${option}`, `is empty. Pass a ${option === 'out' ? 'folder, such as `output`' : 'module, such as `templates/estate.ts`'} (or leave --${option} out for that default).`);
    }
    if (/[\0\n\r]/.test(values[option])) throw new BerthError(`--${option}`, `${q(JSON.stringify(values[option]))} holds a control character. Pass a plain path.`);
  }
  return values;
}

function parseOptions<C extends Command>(command: C, args: string[]) {
  try {
    return parseArgs({ args, options: { ...COMMON_OPTIONS, ...OPTIONS[command] }, allowPositionals: false, strict: true }).values as {
      env?: string[];
      out: string;
      estate: string;
      help: boolean;
      check?: boolean;
      quiet?: boolean;
      detailed?: boolean;
      'stack-name'?: string;
      template?: string;
    };
  } catch (e) {
    throw new BerthError(`berth ${command}`, `${(e as Error).message.replace(/\. To specify.*$/s, '')}. Run \`berth ${command} --help\` for the options.`);
  }
}

/** The estate module `file` exports, or `undefined` when this bundle must rerun from source. */
async function loadEstate(file: string, props: MainProps): Promise<Estate | undefined> {
  const path = resolve(file);
  let mod: { estate?: Estate } | undefined = props.compiledEstates?.get(path);
  if (!mod) {
    if (props.compiledEstates && props.fromSource && /\.[mc]?ts$/.test(path)) return undefined;
    try {
      mod = (await import(pathToFileURL(path).href)) as { estate?: Estate };
    } catch (e) {
      throw moduleError(e, file, path);
    }
  }
  if (!mod.estate) throw new BerthError(file, 'exports no `estate`. Export `const estate: Estate` from it (see templates/estate.ts).');
  return mod.estate;
}

function environmentsOf(estate: Estate, wanted: readonly string[] | undefined): string[] {
  for (const env of wanted ?? []) {
    if (!estate.environments.includes(env)) {
      throw new BerthError('--env', `unknown environment ${q(env)}. Known environments: ${estate.environments.map((e) => q(e)).join(', ')} (files in templates/environments/).`);
    }
  }
  // `--env dev --env dev` is dev once: each environment is built and written once.
  return [...new Set(wanted ?? estate.environments)];
}

async function build(estate: Estate, opts: ReturnType<typeof parse>): Promise<number> {
  const environments = environmentsOf(estate, opts.env);
  const files = environments.flatMap((env) => emitEnvironment(estate, env));
  const err = palette(process.stderr);
  if (opts.check) {
    const stale = staleFiles(opts.out, files, environments);
    if (stale.length > 0) {
      console.error(`${err.red('error:')} ${opts.out}/ is stale; run \`make build\` and commit the result:\n${stale.map((s) => `  ${s}`).join('\n')}`);
      return 1;
    }
    console.log(`${opts.out}/ is up to date (${files.length} templates).`);
    return 0;
  }
  try {
    await writeOutput(opts.out, files, environments, { prune: opts.env === undefined });
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    console.error(`${err.red('error:')} interrupted by ${e.signal}: ${e.written ? `${opts.out}/ was already written (the new templates are in place)` : `${opts.out}/ is left as it was`}.`);
    return e.exitCode;
  }
  const table = summary(files, palette(process.stdout));
  if (!opts.quiet) console.log(table.text);
  for (const w of table.warnings) console.error(`${err.yellow('warning:')} ${w}, over ${WARN_AT * 100} % of CloudFormation's limit: split the template (see \`nest\`) before it fails.`);
  return 0;
}

/** Every template of `environments` in `outDir`, keyed `env/file`. */
function committedTemplates(outDir: string, environments: readonly string[]): TemplateSet {
  const set = new Map<string, unknown>();
  for (const env of environments) {
    let names: string[];
    try {
      names = readdirSync(join(outDir, env));
    } catch {
      continue; // a missing folder: every fresh template shows as added
    }
    for (const name of names.filter(isTemplateFile).sort()) {
      const path = join(outDir, env, name);
      set.set(`${env}/${name}`, parseTemplate(readFileSync(path, 'utf8'), path));
    }
  }
  return set;
}

function freshTemplates(files: readonly EmittedFile[]): TemplateSet {
  return new Map(files.map((f) => [`${f.environment}/${f.file}`, parseTemplate(f.text, `${f.environment}/${f.file}`)]));
}

async function diff(estate: Estate, opts: ReturnType<typeof parse>): Promise<number> {
  const environments = environmentsOf(estate, opts.env);
  const stackName = opts['stack-name'];
  if (opts.template !== undefined && stackName === undefined) {
    throw new BerthError('--template', 'chooses which top-level template a deployed stack holds, so it needs --stack-name. Add `--stack-name <name>`, or leave --template out.');
  }
  let old: TemplateSet;
  let fresh: TemplateSet;
  let against: string;
  if (stackName !== undefined) {
    if (environments.length !== 1) {
      throw new BerthError('--stack-name', `compares one environment with one deployed stack, and ${environments.length} are selected. Pass the environment too: \`--env <name> --stack-name ${stackName}\`.`);
    }
    const env = environments[0]!;
    // The deployed stack holds one top-level template and its nested ones: the first (the root)
    // unless --template names another (a Service Catalog portfolio beside the root, say).
    const tops = estate.synthesize(env);
    const top = opts.template === undefined ? tops[0] : tops.find((t) => t.file === opts.template);
    if (!top) {
      throw new BerthError('--template', `${q(opts.template ?? '')} is not a top-level template of ${q(env)}. Top-level templates: ${tops.map((t) => q(t.file)).join(', ')}.`);
    }
    const tree = new Set(flatten([top]).map((t) => t.file));
    const all = freshTemplates(emitEnvironment(estate, env));
    fresh = new Map([...all].filter(([key]) => tree.has(key.slice(env.length + 1))));
    old = await deployedTemplates(stackName, env, top.file, fresh);
    against = `deployed stack ${q(stackName)}`;
  } else {
    fresh = freshTemplates(environments.flatMap((env) => emitEnvironment(estate, env)));
    old = committedTemplates(opts.out, environments);
    against = `${opts.out}/`;
  }
  const changes = diffEstate(old, fresh, { ignoreTemplateUrls: stackName !== undefined });
  const paint = palette(process.stdout);
  if (changes.length === 0) {
    console.log(`No differences: a fresh build matches ${against} (${fresh.size} templates).`);
    return 0;
  }
  console.log(formatChanges(changes, paint));
  console.log(`\n${paint.bold('Differences')} between ${against} (old) and a fresh build (new).`);
  return 1;
}

async function graph(estate: Estate, opts: ReturnType<typeof parse>): Promise<number> {
  const environments = environmentsOf(estate, opts.env);
  const view: GraphView = opts.detailed ? 'detailed' : 'overview';
  const err = palette(process.stderr);
  const stale: string[] = [];
  for (const env of environments) {
    const files = emitEnvironment(estate, env);
    const { svg, warnings } = await drawGraph(env, [...freshTemplates(files)].map(([key, template]) => ({ file: key.slice(env.length + 1), template })), view);
    for (const w of warnings) console.error(`${err.yellow('warning:')} ${env}: Graphviz: ${w}`);
    const path = join(opts.out, env, GRAPH_FILES[view]);
    if (opts.check) {
      if (!existsSync(path) || readFileSync(path, 'utf8') !== svg) stale.push(path);
      continue;
    }
    writeBeside(opts.out, env, GRAPH_FILES[view], svg);
    console.log(`wrote ${path} (${files.length} templates)`);
  }
  if (stale.length > 0) {
    const redraw = view === 'overview' ? '`make graph`' : '`berth graph --detailed`';
    console.error(`${err.red('error:')} the diagram is stale; run ${redraw} and commit the result:\n${stale.map((s) => `  ${s}`).join('\n')}`);
    return 1;
  }
  if (opts.check) console.log(`${environments.map((e) => join(opts.out, e, GRAPH_FILES[view])).join(', ')} up to date.`);
  return 0;
}

const RUN: Record<Command, (estate: Estate, opts: ReturnType<typeof parse>) => Promise<number>> = { build, diff, graph };

export async function main(argv: string[], props: MainProps = {}): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'build':
      case 'diff':
      case 'graph': {
        const opts = parse(command, rest);
        if (opts.help) {
          console.log(HELP[command]);
          return 0;
        }
        const estate = await loadEstate(opts.estate, props);
        if (!estate) return await props.fromSource!(argv);
        return await RUN[command](estate, opts);
      }
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(HELP.berth);
        return command === undefined ? 1 : 0;
      default:
        throw new BerthError('berth', `unknown command ${q(command)}. Commands: \`build\`, \`diff\`, \`graph\`. Run \`berth --help\`.`);
    }
  } catch (e) {
    // A user mistake, or a file the system refused: the message says where and how to fix it; a
    // stack trace would only hide it. Anything else is a bug in berth or the estate, and shows its trace.
    const err = e as NodeJS.ErrnoException;
    const line = e instanceof BerthError ? e.message : err?.syscall && err.path ? `${err.path}: ${err.message.replace(/^\w+: /, '').replace(/, \w+ '.*'$/, '')}.` : undefined;
    if (line === undefined) throw e;
    console.error(`${palette(process.stderr).red('error:')} ${line}`);
    // `diff` keeps 1 for "differences", as diff(1) does; its errors exit 2.
    return command === 'diff' ? 2 : 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
