/**
 * The Region a deploy lands in, and where that choice came from, so a message can name the source
 * (`AWS_REGION=junk` is not "`--region junk`").
 *
 * An environment deploys to its settings' `region`. A Region from the shell (AWS_REGION,
 * AWS_DEFAULT_REGION, or the profile's `region`) that differs is refused: it usually means a
 * terminal left pointing elsewhere, and the estate would be created twice. `--region` given
 * explicitly deploys there on purpose. The AWS CLI reads AWS_DEFAULT_REGION, then the profile
 * (CLI v2 also AWS_REGION first); deploy.sh exports both variables with the chosen Region.
 * https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-envvars.html
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface RegionChoice {
  readonly region: string;
  /** How the user would name the source: `--region`, `AWS_REGION`, `profile default`, or the settings file's field. */
  readonly source: string;
}

const SHAPE = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/** The Regions the pinned AWS CLI (botocore) knows, or undefined without a .venv. */
export function knownRegions(root: string): Set<string> | undefined {
  const lib = join(root, '.venv/lib');
  if (!existsSync(lib)) return undefined;
  for (const python of readdirSync(lib)) {
    const file = join(lib, python, 'site-packages/botocore/data/endpoints.json');
    if (!existsSync(file)) continue;
    const data = JSON.parse(readFileSync(file, 'utf8')) as { partitions: { regions: Record<string, unknown> }[] };
    return new Set(data.partitions.flatMap((p) => Object.keys(p.regions)));
  }
  return undefined;
}

/** The `region` of the profile in the AWS config file (AWS_CONFIG_FILE, else ~/.aws/config). */
export function profileRegion(env: NodeJS.ProcessEnv): RegionChoice | undefined {
  const profile = env.AWS_PROFILE || env.AWS_DEFAULT_PROFILE || 'default';
  const file = env.AWS_CONFIG_FILE || join(homedir(), '.aws', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const header = profile === 'default' ? /^\s*\[\s*(profile\s+)?default\s*\]\s*$/ : new RegExp(`^\\s*\\[\\s*profile\\s+${profile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\]\\s*$`);
  let inside = false;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*\[/.test(line)) inside = header.test(line);
    else if (inside) {
      const m = /^\s*region\s*=\s*(\S+)\s*$/.exec(line);
      if (m) return { region: m[1]!, source: `the region of profile \`${profile}\` in ${file}` };
    }
  }
  return undefined;
}

/**
 * The Region to deploy to, or the one line that says why not.
 * `explicit`: the `--region` flag's value, if given. `settings`: the environment's own Region.
 */
export function chooseRegion(
  explicit: string | undefined,
  settings: RegionChoice | undefined,
  env: NodeJS.ProcessEnv,
  known: Set<string> | undefined,
): { choice: RegionChoice; note?: string } | { problem: string } {
  const check = (c: RegionChoice, name: string): string | undefined => {
    if (!SHAPE.test(c.region)) return `${name}: \`${c.region}\` is not an AWS Region (expected a name such as eu-west-1).`;
    if (known && !known.has(c.region)) return `${name}: \`${c.region}\` is not a Region the AWS CLI knows (expected a name such as eu-west-1; \`aws ec2 describe-regions\` lists them).`;
    return undefined;
  };
  const ambient: RegionChoice | undefined = env.AWS_REGION
    ? { region: env.AWS_REGION, source: 'AWS_REGION' }
    : env.AWS_DEFAULT_REGION
      ? { region: env.AWS_DEFAULT_REGION, source: 'AWS_DEFAULT_REGION' }
      : profileRegion(env);
  const named = (c: RegionChoice) => (c.source.startsWith('AWS_') ? `${c.source}=${c.region}` : c.source);

  if (explicit !== undefined) {
    const c = { region: explicit, source: '--region' };
    const problem = check(c, `\`--region ${explicit}\``);
    if (problem) return { problem: `${problem} Pass a valid Region.` };
    const note = settings && settings.region !== explicit ? `deploying to ${explicit} (--region), not the environment's ${settings.region} (${settings.source})` : undefined;
    return { choice: c, note };
  }
  if (ambient) {
    const problem = check(ambient, named(ambient));
    if (problem) return { problem: `${problem} Fix or unset it, or pass \`--region\`.` };
  }
  if (settings) {
    if (ambient && ambient.region !== settings.region) {
      return {
        problem:
          `${named(ambient)} differs from the environment's Region ${settings.region} (${settings.source}). ` +
          `Unset it, or pass \`--region ${ambient.region}\` to deploy there on purpose.`,
      };
    }
    const problem = check(settings, settings.source);
    if (problem) return { problem: `${problem} Fix the settings, or pass \`--region\`.` };
    return { choice: settings };
  }
  if (ambient) return { choice: ambient };
  return { problem: 'no AWS Region: the environment file names none; pass `--region eu-west-1` or set AWS_REGION.' };
}
