/**
 * `berth new service <name> --kind web|worker|scheduled [--fargate]` and `berth new environment
 * <name> --from <env>`: scaffolds into the estate's folders (beside the estate module:
 * `services/`, and the folder of its settings files), never over an existing file.
 *
 * Names are checked by the build itself, not by a copy of its rules: the new file is written, a
 * build of the estate runs from source into a scratch folder, and if it fails the new file is
 * removed (and index.ts restored) and the build's own one-line message is shown. So whatever the
 * build accepts, `new` accepts, and the scaffold is known to build before it is handed over.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthError, q } from '../dsl/errors.ts';
import type { Estate } from '../dsl/estate.ts';
import { didYouMean } from './_suggest.ts';
import { imageOverrides } from './new-image.ts';
import { describeService, EXAMPLE_IMAGES, registerService, serviceModule, SERVICE_KINDS, type ServiceKind } from './new-service.ts';

export interface NewServiceProps {
  readonly name: string;
  readonly kind: ServiceKind;
  /** @default false (the cluster's EC2 capacity) */
  readonly fargate?: boolean;
  /** The estate module: services go into `services/` beside it. */
  readonly estateFile: string;
  /** The estate: its environments' settings files may need an image for the new service. */
  readonly estate: Estate;
}

export interface NewEnvironmentProps {
  readonly name: string;
  /** The environment whose settings file is copied. */
  readonly from: string;
  readonly estateFile: string;
  readonly estate: Estate;
}

/** What was written, and the next steps, to print. */
export interface Scaffolded {
  readonly lines: readonly string[];
}

/** A name that is safe as a file name; the build's own rules come after (see the file comment). */
function checkFileName(what: string, name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(name)) {
    throw new BerthError(`berth new ${what}`, `${q(name)} is not a ${what} name. Use lower-case letters, digits and hyphens, starting with a letter, such as ${q(what === 'service' ? 'billing-api' : 'staging')}.`);
  }
}

export function checkKind(kind: string | undefined): ServiceKind {
  if (kind === undefined) throw new BerthError('berth new service', 'needs --kind. Pass `--kind web`, `--kind worker` or `--kind scheduled`.');
  if (!(SERVICE_KINDS as readonly string[]).includes(kind)) {
    throw new BerthError('--kind', `${q(kind)} is not a kind of service.${didYouMean(kind, SERVICE_KINDS)} Kinds: \`web\`, \`worker\`, \`scheduled\`.`);
  }
  return kind as ServiceKind;
}

/**
 * Builds the estate from source into a scratch folder (one environment, or all): the build's
 * error line, without its `error: ` prefix, or `undefined` when it builds.
 */
async function buildFails(estateFile: string, env?: string): Promise<string | undefined> {
  // Loaded here: `berth build` never starts a process, so it does not load child_process.
  const { spawnSync } = await import('node:child_process');
  const scratch = mkdtempSync(join(tmpdir(), 'berth-new-'));
  // Ctrl-C reaches the build (same process group) and ends it; this process then lives on to
  // remove what it wrote, instead of dying with a half-registered service left behind.
  const survive = () => {};
  process.on('SIGINT', survive);
  process.on('SIGTERM', survive);
  try {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', main, 'build', '--quiet', '--estate', estateFile, '--out', scratch, ...(env ? ['--env', env] : [])], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
    if (r.status === 0) return undefined;
    if (r.signal) return `interrupted (${r.signal}) before the build finished`;
    const text = `${r.stderr}`.trim() || `the build exited with ${String(r.status ?? r.signal)}`;
    return text.replace(/^error: /, '');
  } finally {
    process.off('SIGINT', survive);
    process.off('SIGTERM', survive);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Why a scaffold was taken back: the build's own line, or the interruption. */
function nothingWritten(what: string, failed: string): string {
  return failed.startsWith('interrupted') ? `${failed}, so nothing was written.` : `the build refused the new ${what}, so nothing was written: ${failed}`;
}

export async function newService(props: NewServiceProps): Promise<Scaffolded> {
  checkFileName('service', props.name);
  const fargate = props.fargate ?? false;
  const dir = join(dirname(props.estateFile), 'services');
  const file = join(dir, `${props.name}.ts`);
  const index = join(dir, 'index.ts');
  if (existsSync(file)) throw new BerthError(relative(process.cwd(), file), `already exists, and \`berth new\` never overwrites. Pick another name, or edit the file.`);
  const indexBefore = existsSync(index) ? readFileSync(index, 'utf8') : undefined;
  const indexAfter = indexBefore === undefined ? undefined : registerService(indexBefore, props.name);
  const environments = props.estate.environments.map((name) => ({ name, file: props.estate.settingsFile(name) }));
  const overrides = imageOverrides(environments, props.name, EXAMPLE_IMAGES[props.kind]);
  writeFileSync(file, serviceModule(props.name, props.kind, fargate), { flag: 'wx' });
  if (indexAfter !== undefined) writeFileSync(index, indexAfter);
  for (const o of overrides) writeFileSync(o.file, o.after);
  const failed = await buildFails(props.estateFile);
  if (failed !== undefined) {
    unlinkSync(file);
    if (indexBefore !== undefined && indexAfter !== undefined) writeFileSync(index, indexBefore);
    for (const o of overrides) writeFileSync(o.file, o.before);
    throw new BerthError('berth new service', nothingWritten('service', failed));
  }
  const shown = relative(process.cwd(), file);
  return {
    lines: [
      `wrote ${shown}: ${describeService(props.kind, fargate)}`,
      indexAfter !== undefined ? `registered ${q(props.name)} in ${relative(process.cwd(), index)}` : `${relative(process.cwd(), index)} lists no \`services\` array: make sure it includes ${shown}`,
      // An environment with interface endpoints pulls from its Region's ECR only: say what was chosen.
      ...overrides.map((o) => `set services.${props.name}.image in ${relative(process.cwd(), o.file)} to ${q(o.image)}: ${o.environment} pulls images from ECR in its Region only (VPC interface endpoints); push the image there before deploying ${o.environment}`),
      '',
      'Next:',
      `  1. edit ${shown}: the image, its port and user, CPU and memory${props.kind === 'web' ? ', the route' : props.kind === 'scheduled' ? ', the schedule' : ''}`,
      `  2. make build      # type-checks, writes output/<env>/service-${props.name}.yaml`,
      '  3. make diff       # what changed against the committed output/',
      '  4. make lint       # the five gates',
      `  5. commit, then deploy it: scripts/deploy.sh <env> (or alone: --template service-${props.name})`,
    ],
  };
}

export async function newEnvironment(props: NewEnvironmentProps): Promise<Scaffolded> {
  checkFileName('environment', props.name);
  if (!props.estate.environments.includes(props.from)) {
    throw new BerthError(`--from ${props.from}`, `unknown environment.${didYouMean(props.from, props.estate.environments)} Known environments: ${props.estate.environments.map((e) => q(e)).join(', ')}.`);
  }
  const source = props.estate.settingsFile(props.from);
  const file = join(dirname(source), `${props.name}.json`);
  if (existsSync(file)) throw new BerthError(relative(process.cwd(), file), 'already exists, and `berth new` never overwrites. Pick another name, or edit the file.');
  const text = readFileSync(source, 'utf8');
  // The copy keeps the file's layout and comments-free JSON as the team wrote it; only `name` changes.
  const renamed = text.replace(new RegExp(`("name"\\s*:\\s*)${JSON.stringify(props.from).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `$1${JSON.stringify(props.name)}`);
  let parsed: { name?: unknown } | undefined;
  try {
    parsed = JSON.parse(renamed) as { name?: unknown };
  } catch {
    parsed = undefined;
  }
  if (parsed?.name !== props.name) {
    throw new BerthError(relative(process.cwd(), source), `has no top-level \`"name": ${JSON.stringify(props.from)}\` to rename. Fix the file (\`make build\` says what is wrong), then copy it again.`);
  }
  writeFileSync(file, renamed, { flag: 'wx' });
  const failed = await buildFails(props.estateFile, props.name);
  if (failed !== undefined) {
    unlinkSync(file);
    throw new BerthError('berth new environment', nothingWritten('environment', failed));
  }
  const shown = relative(process.cwd(), file);
  return {
    lines: [
      `wrote ${shown}: a copy of ${basename(source)} with \`name\` ${q(props.name)}`,
      '',
      'Next:',
      `  1. edit ${shown}: its region, network.vpcCidr (keep it apart from other VPCs you peer with), domain and sizes`,
      `  2. make build ENV=${props.name}    # writes output/${props.name}/`,
      '  3. make lint',
      `  4. commit, then deploy it: scripts/deploy.sh ${props.name}`,
    ],
  };
}
