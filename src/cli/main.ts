#!/usr/bin/env node
/**
 * berth's command line: `build`, `diff`, `graph` and `new`. `make build` runs the compiled bundle
 * (`dist/berth.mjs`, see scripts/bundle.ts); during development run the sources directly as
 * `node --import tsx src/cli/main.ts <command> [options]`. Both behave the same.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { moduleError } from './_module-error.ts';
import { didYouMean } from './_suggest.ts';
import { palette } from './_terminal.ts';
import { committedTemplates, workingTemplates } from './committed.ts';
import { deployedTemplates, stackRegion } from './deployed.ts';
import { diffEstate, formatChanges, type TemplateSet } from './diff.ts';
import { parseTemplate } from '../emit/parse.ts';
import { emitEnvironment, Interrupted, staleFiles, writeBeside, writeOutput, type EmittedFile } from '../emit/output.ts';
import { BerthError, q } from '../dsl/errors.ts';
import { flatten, type Estate } from '../dsl/estate.ts';
import { drawGraph, GRAPH_FILES, type GraphView } from './graph.ts';
import { summary, WARN_AT } from './summary.ts';
import { checkKind, newEnvironment, newService } from './new.ts';

const COMMON = `  --env E        only environment E (repeatable); default: every environment
  --out DIR      the output folder; default: output
  --estate FILE  the estate module; default: templates/estate.ts
  -h, --help     show this help`;

const HELP = {
  berth: `Usage: berth <command> [options]

Commands:
  build    generate every environment's CloudFormation templates into output/<env>/
  diff     show what a fresh build changes, resource by resource, against the committed output/ or a deployed stack
  graph    draw each environment's overview diagram into output/<env>/architecture.svg
  new      scaffold a service module or an environment's settings file

Options:
  --version      print berth's version
  -h, --help     show this help

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
  diff: `Usage: berth diff [--env E ...] [--against REV | --working] [--out DIR] [--estate FILE]
       berth diff --env E --stack-name NAME [--template NAME] [--estate FILE]

Builds the templates in memory and compares them, resource by resource, with what a reviewer
means: DIR/<env>/ as committed in git (HEAD, read from the repository; a DIR that git does not track
is read from disk, and the output says which). With --stack-name, with a deployed stack and its
nested stacks instead (read with \`aws cloudformation get-template\`; the AWS CLI's usual
credentials and AWS_ENDPOINT_URL apply; the Region is AWS_REGION, else AWS_DEFAULT_REGION, else
the environment's \`region\`). Prints added (+), removed (-) and changed (~) resources, parameters,
outputs and conditions, with each changed property's old and new value, and then what was compared.
Exit status: 0 no differences, 1 differences, 2 error.

Options:
  --against REV  compare with DIR as committed in REV (a commit, branch or tag); default: HEAD
  --working      compare with the files in DIR as they are on disk
  --stack-name N compare with the deployed stack N (one environment: pass --env)
  --template T   the template stack N holds, as \`scripts/deploy.sh --template T\` deployed it
                 (\`network\`, \`service-web\`, \`service-catalog\`, ...); default: root
${COMMON}

Examples:
  berth diff                                   # what the build changes against the last commit
  berth diff --against main                    # ... against the branch main
  berth diff --env prod --stack-name berth-prod  # what a deploy would change
  berth diff --env dev --stack-name berth-dev-network --template network  # a layer deployed alone`,
  new: `Usage: berth new service <name> --kind web|worker|scheduled [--fargate] [--estate FILE]
       berth new environment <name> --from <env> [--estate FILE]

Scaffolds into the estate (the folders beside the estate module), never over an existing file:
- \`service\` writes services/<name>.ts, a typed, commented service module (web: behind the load
  balancer on /<name>/*; worker: a queue worker with its queue; scheduled: a daily task), on the
  cluster's EC2 capacity or, with --fargate, on Fargate, and adds it to services/index.ts; an
  environment with VPC interface endpoints (which pulls from its Region's ECR only) gets an image
  entry for it, named after its other services' ECR images;
- \`environment\` copies <env>'s settings file to <name>.json with its \`name\` changed.
The new estate is then built (in a scratch folder): if the build refuses it (a name the build does
not accept, say), nothing is written and the build's message says why. Then prints the next steps.

Options:
  --kind K       web, worker or scheduled (service)
  --fargate      run on Fargate instead of the cluster's EC2 capacity (service)
  --from E       the environment to copy (environment)
  --estate FILE  the estate module; default: templates/estate.ts
  -h, --help     show this help

Examples:
  berth new service billing --kind web
  berth new service invoices --kind worker --fargate
  berth new environment staging --from dev`,
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

type Command = Exclude<keyof typeof HELP, 'berth' | 'new'>;
const COMMANDS = ['build', 'diff', 'graph', 'new'] as const;

const OPTIONS = {
  build: { check: { type: 'boolean', default: false }, quiet: { type: 'boolean', default: false } },
  diff: { 'stack-name': { type: 'string' }, template: { type: 'string' }, against: { type: 'string' }, working: { type: 'boolean', default: false } },
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
      against?: string;
      working?: boolean;
    };
  } catch (e) {
    throw optionError(command, e as Error, [...Object.keys(COMMON_OPTIONS), ...Object.keys(OPTIONS[command])]);
  }
}

/** node:util's parse error as one line, with the nearest option when one is close. */
function optionError(command: string, e: Error, options: readonly string[]): BerthError {
  const unknown = /^Unknown option '(--?[^']+)'/.exec(e.message)?.[1];
  const hint = unknown?.startsWith('--') ? didYouMean(unknown.slice(2), options, (o) => `\`--${o}\``) : '';
  return new BerthError(`berth ${command}`, `${e.message.replace(/\. To specify.*$/s, '')}.${hint} Run \`berth ${command} --help\` for the options.`);
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
      throw new BerthError('--env', `unknown environment ${q(env)}.${didYouMean(env, estate.environments)} Known environments: ${estate.environments.map((e) => q(e)).join(', ')} (files in templates/environments/).`);
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

function freshTemplates(files: readonly EmittedFile[]): TemplateSet {
  return new Map(files.map((f) => [`${f.environment}/${f.file}`, parseTemplate(f.text, `${f.environment}/${f.file}`)]));
}

async function diff(estate: Estate, opts: ReturnType<typeof parse>): Promise<number> {
  const environments = environmentsOf(estate, opts.env);
  const stackName = opts['stack-name'];
  if (opts.template !== undefined && stackName === undefined) {
    throw new BerthError('--template', 'chooses which template a deployed stack holds, so it needs --stack-name. Add `--stack-name <name>`, or leave --template out.');
  }
  if (stackName !== undefined && (opts.against !== undefined || opts.working)) {
    throw new BerthError(opts.working ? '--working' : '--against', 'compares with output/, and --stack-name with a deployed stack. Pass one of them.');
  }
  if (opts.against !== undefined && opts.working) throw new BerthError('--working', 'compares with the files on disk, --against with a commit. Pass one of them.');
  let old: TemplateSet;
  let fresh: TemplateSet;
  let against: string;
  if (stackName !== undefined) {
    if (environments.length !== 1) {
      throw new BerthError('--stack-name', `compares one environment with one deployed stack, and ${environments.length} are selected. Pass the environment too: \`--env <name> --stack-name ${stackName}\`.`);
    }
    const env = environments[0]!;
    // The deployed stack holds one template and the templates nested in it: the root unless
    // --template names another, as scripts/deploy.sh --template does (a layer deployed alone,
    // `network`, or the Service Catalog portfolio beside the root).
    const all = flatten(estate.synthesize(env));
    const wanted = (opts.template ?? 'root').replace(/\.yaml$/, '');
    const top = all.find((t) => t.file === `${wanted}.yaml`) ?? (opts.template === undefined ? all[0] : undefined);
    if (!top) {
      const names = all.map((t) => t.file.replace(/\.yaml$/, ''));
      throw new BerthError(`--template ${opts.template}`, `is not a template of ${q(env)}.${didYouMean(wanted, names)} Templates: ${names.map((n) => q(n)).join(', ')}.`);
    }
    const tree = new Set(flatten([top]).map((t) => t.file));
    const files = freshTemplates(emitEnvironment(estate, env));
    fresh = new Map([...files].filter(([key]) => tree.has(key.slice(env.length + 1))));
    old = await deployedTemplates(stackName, env, top.file, fresh, stackRegion(estate.settingsFile(env)));
    against = `deployed stack ${q(stackName)}`;
  } else {
    fresh = freshTemplates(environments.flatMap((env) => emitEnvironment(estate, env)));
    const baseline = opts.working ? { templates: workingTemplates(opts.out, environments), label: `${opts.out.replace(/\/+$/, '')}/ on disk` } : await committedTemplates(opts.out, environments, opts.against);
    old = baseline.templates;
    against = baseline.label;
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

const NEW_OPTIONS = {
  kind: { type: 'string' },
  fargate: { type: 'boolean', default: false },
  from: { type: 'string' },
  estate: { type: 'string', default: 'templates/estate.ts' },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

/** `berth new service|environment <name> ...` (src/cli/new.ts). */
async function runNew(args: string[], props: MainProps): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: NEW_OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw optionError('new', e as Error, Object.keys(NEW_OPTIONS));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(HELP.new);
    return 0;
  }
  const [what, name, ...extra] = positionals;
  const usage = 'Run `berth new --help` for the usage.';
  if (what !== 'service' && what !== 'environment') {
    const hint = what === undefined ? '' : didYouMean(what, ['service', 'environment']);
    throw new BerthError('berth new', `${what === undefined ? 'needs what to scaffold' : `cannot scaffold ${q(what)}`}.${hint} Use \`berth new service <name> --kind web\` or \`berth new environment <name> --from <env>\`. ${usage}`);
  }
  if (name === undefined) throw new BerthError(`berth new ${what}`, `needs a name, such as \`berth new ${what} ${what === 'service' ? 'billing --kind web' : 'staging --from dev'}\`. ${usage}`);
  if (extra.length > 0) throw new BerthError(`berth new ${what}`, `takes one name, and got ${q(extra[0]!)} too. ${usage}`);
  const misplaced = what === 'service' ? (values.from !== undefined ? '--from' : undefined) : values.kind !== undefined ? '--kind' : values.fargate ? '--fargate' : undefined;
  if (misplaced) throw new BerthError(misplaced, `is not an option of \`berth new ${what}\`. Remove it. ${usage}`);
  if (what === 'environment' && values.from === undefined) throw new BerthError('berth new environment', `needs --from, the environment to copy, such as \`berth new environment ${name} --from dev\`. ${usage}`);
  const kind = what === 'service' ? checkKind(values.kind) : undefined;
  const estate = await loadEstate(values.estate, props);
  if (!estate) return await props.fromSource!(['new', ...args]);
  const done =
    kind !== undefined
      ? await newService({ name, kind, fargate: values.fargate, estateFile: values.estate, estate })
      : await newEnvironment({ name, from: values.from!, estateFile: values.estate, estate });
  console.log(done.lines.join('\n'));
  return 0;
}

/** berth's version, from package.json: read only when asked, so it costs a build nothing. */
function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return `berth ${pkg.version}`;
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
      case 'new':
        return await runNew(rest, props);
      case '--version':
      case '-V':
        console.log(version());
        return 0;
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(HELP.berth);
        return command === undefined ? 1 : 0;
      default:
        throw new BerthError('berth', `unknown ${command.startsWith('-') ? 'option' : 'command'} ${q(command)}.${didYouMean(command.replace(/^-+/, ''), command.startsWith('--') ? ['version', 'help'] : COMMANDS, (c) => `\`${command.startsWith('--') ? '--' : ''}${c}\``)} Commands: ${COMMANDS.map((c) => `\`${c}\``).join(', ')}. Run \`berth --help\`.`);
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
