#!/usr/bin/env node
/**
 * berth's command line. `make build` runs `berth build`; run it directly as
 * `node --import tsx src/cli.ts <command> [options]`.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { emitEnvironment, staleFiles, writeOutput, type EmittedFile } from './emit.ts';
import { BerthError, q } from './errors.ts';
import type { Estate } from './estate.ts';
import { LIMITS } from './limits.ts';

const HELP: Record<string, string> = {
  berth: `Usage: berth <command> [options]

Commands:
  build    generate the CloudFormation templates of every environment into output/<env>/

Run \`berth <command> --help\` for a command's options.`,
  build: `Usage: berth build [--env E ...] [--out DIR] [--check] [--estate FILE]

Generates every template of each environment into DIR/<env>/ (staged, then swapped in whole).

Options:
  --env E        build only environment E (repeatable); default: every environment
  --out DIR      output folder; default: output
  --check        write nothing; exit 1 if DIR differs from a fresh build (stale output)
  --estate FILE  the estate module; default: templates/estate.ts
  --quiet        print no summary table
  -h, --help     show this help`,
};

const BUILD_OPTIONS = {
  env: { type: 'string', multiple: true },
  out: { type: 'string', default: 'output' },
  check: { type: 'boolean', default: false },
  estate: { type: 'string', default: 'templates/estate.ts' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} satisfies ParseArgsConfig['options'];

async function loadEstate(file: string): Promise<Estate> {
  let mod: { estate?: Estate };
  try {
    mod = (await import(pathToFileURL(resolve(file)).href)) as { estate?: Estate };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((e as Error).message).includes(resolve(file))) {
      throw new BerthError('--estate', `cannot find the estate module ${q(file)}. Pass the path of a module that exports \`estate\` (default: templates/estate.ts).`);
    }
    throw e;
  }
  if (!mod.estate) throw new BerthError(file, 'exports no `estate`. Export `const estate: Estate` from it (see templates/estate.ts).');
  return mod.estate;
}

function parse(command: string, args: string[]) {
  try {
    return parseArgs({ args, options: BUILD_OPTIONS, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new BerthError(`berth ${command}`, `${(e as Error).message.replace(/\. To specify.*$/s, '')}. Run \`berth ${command} --help\` for the options.`);
  }
}

async function build(args: string[]): Promise<number> {
  const opts = parse('build', args);
  if (opts.help) {
    console.log(HELP.build);
    return 0;
  }
  const estate = await loadEstate(opts.estate);
  const environments = opts.env ?? [...estate.environments];
  for (const env of environments) {
    if (!estate.environments.includes(env)) {
      throw new BerthError('--env', `unknown environment ${q(env)}. Known environments: ${estate.environments.map((e) => q(e)).join(', ')} (files in templates/environments/).`);
    }
  }
  const files = environments.flatMap((env) => emitEnvironment(estate, env));
  if (opts.check) {
    const stale = staleFiles(opts.out, files, environments);
    if (stale.length > 0) {
      console.error(`error: ${opts.out}/ is stale; run \`make build\` and commit the result:\n${stale.map((s) => `  ${s}`).join('\n')}`);
      return 1;
    }
    console.log(`${opts.out}/ is up to date (${files.length} templates).`);
    return 0;
  }
  writeOutput(opts.out, files, environments, opts.env === undefined);
  if (!opts.quiet) console.log(summary(files));
  return 0;
}

/** One row per template with its headroom to each CloudFormation limit; warns at 80 %. */
export function summary(files: readonly EmittedFile[]): string {
  const tty = process.stdout.isTTY && !process.env.NO_COLOR;
  const warn = (s: string) => (tty ? `\x1b[33m${s}\x1b[0m` : s);
  const cell = (n: number, max: number) => {
    const text = `${n} (${Math.round((100 * n) / max)}%)`;
    return n >= 0.8 * max ? warn(`${text}!`) : text;
  };
  const rows = files.map((f) => [
    `${f.environment}/${f.file}`,
    cell(f.resources, LIMITS.resources),
    cell(f.parameters, LIMITS.parameters),
    cell(f.outputs, LIMITS.outputs),
    cell(Buffer.byteLength(f.text), LIMITS.bodyBytes),
  ]);
  const head = ['template', 'resources /500', 'parameters /200', 'outputs /200', 'bytes /51200'];
  const width = (i: number) => Math.max(...[head, ...rows].map((r) => r[i]!.replace(/\x1b\[\d+m/g, '').length));
  const line = (r: string[]) => r.map((c, i) => c + ' '.repeat(width(i) - c.replace(/\x1b\[\d+m/g, '').length)).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'build':
        return await build(rest);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        console.log(HELP.berth);
        return command === undefined ? 1 : 0;
      default:
        throw new BerthError('berth', `unknown command ${q(command)}. Commands: \`build\`. Run \`berth --help\`.`);
    }
  } catch (e) {
    if (e instanceof BerthError) {
      // A user mistake: the message says where and how to fix it; a stack trace would only hide it.
      console.error(`error: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
