/**
 * The templates of a deployed stack tree, read with the AWS CLI: the root's with
 * `aws cloudformation get-template`, its nested stacks' through `list-stack-resources`
 * (type `AWS::CloudFormation::Stack`), recursively. Each nested stack is keyed by the file the
 * build writes for the same logical ID (its `TemplateURL` in the fresh parent), so the two sides
 * line up file by file.
 * https://docs.aws.amazon.com/cli/latest/reference/cloudformation/get-template.html
 */
import { readFileSync } from 'node:fs';
import type { TemplateSet } from './diff.ts';
import { parseTemplate } from '../emit/parse.ts';
import { BerthError, q } from '../dsl/errors.ts';
import { awsCli, makeAws, type Aws } from './aws.ts';

/** The Region the stack is read from, and where that choice came from (for messages). */
export interface StackRegion {
  readonly region: string | undefined;
  readonly source: string;
}

/**
 * AWS_REGION, else AWS_DEFAULT_REGION, else the environment's own `region` (its settings file),
 * passed to the AWS CLI as `--region`: AWS CLI v1 (the pinned one) reads only AWS_DEFAULT_REGION
 * and the profile, not AWS_REGION, so without the flag AWS_REGION would be silently ignored.
 * https://docs.aws.amazon.com/cli/v1/userguide/cli-configure-envvars.html
 */
export function stackRegion(settingsFile: string): StackRegion {
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION'] as const) {
    const value = process.env[name];
    if (value) return { region: value, source: name };
  }
  try {
    const region = (JSON.parse(readFileSync(settingsFile, 'utf8')) as { region?: unknown }).region;
    if (typeof region === 'string') return { region, source: `${settingsFile} \`region\`` };
  } catch {
    // An unreadable settings file fails the build before this is reached.
  }
  return { region: undefined, source: 'the AWS CLI profile' };
}

/** `aws cloudformation <args>` through `cli`, its JSON answer, or a located error naming the fix. */
async function cloudformation(cli: Aws, bin: string, stackName: string, args: readonly string[], where: StackRegion): Promise<unknown> {
  const r = await cli('cloudformation', ...args, ...(where.region ? ['--region', where.region] : []));
  if (!r.ok && /\bENOENT\b/.test(r.stderr) && r.json === undefined) {
    throw new BerthError('--stack-name', `cannot run the AWS CLI (${q(bin)} is not installed). Install it, or run \`make install\`, which puts a pinned one in .venv/.`);
  }
  if (!r.ok) {
    const reason = (r.stderr.trim().split('\n').filter(Boolean).at(-1) ?? 'no message').replace(/\.$/, '');
    throw new BerthError(
      `--stack-name ${stackName}`,
      `\`aws cloudformation ${args[0]}\` failed: ${reason}. Check the stack name, the Region (${where.region ?? 'none'}, from ${where.source}; set AWS_REGION for another) and your credentials.`,
    );
  }
  if (r.json === undefined) throw new BerthError(`--stack-name ${stackName}`, `\`aws cloudformation ${args[0]}\` printed no JSON. Check the AWS CLI's configuration (\`output\`, \`cli_pager\`).`);
  return r.json;
}

interface StackResourceSummary {
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceType: string;
}

/**
 * The deployed templates of `stackName` and its nested stacks, keyed `env/file` like `fresh`.
 * A nested stack the fresh build no longer has is keyed `env/<parent file>#<logical ID>`.
 */
export async function deployedTemplates(stackName: string, env: string, rootFile: string, fresh: TemplateSet, where: StackRegion): Promise<TemplateSet> {
  // A dozen nested stacks are two dozen calls: a few long-lived CLI processes answer them all
  // (src/cli/aws.ts), rather than two dozen Python start-ups.
  const bin = awsCli(process.cwd());
  const cli = makeAws(bin, undefined);
  try {
    return await readTree(cli, bin, stackName, env, rootFile, fresh, where);
  } finally {
    cli.close();
  }
}

async function readTree(cli: Aws, bin: string, stackName: string, env: string, rootFile: string, fresh: TemplateSet, where: StackRegion): Promise<TemplateSet> {
  const found = new Map<string, unknown>();
  const visit = async (stack: string, key: string): Promise<void> => {
    const [body, listing] = await Promise.all([
      cloudformation(cli, bin, stackName, ['get-template', '--stack-name', stack, '--template-stage', 'Original'], where) as Promise<{ TemplateBody: unknown }>,
      cloudformation(cli, bin, stackName, ['list-stack-resources', '--stack-name', stack], where) as Promise<{ StackResourceSummaries?: StackResourceSummary[] }>,
    ]);
    // YAML comes back as a string, JSON as an object.
    found.set(key, typeof body.TemplateBody === 'string' ? parseTemplate(body.TemplateBody, `${stack} (deployed)`) : body.TemplateBody);
    const freshResources = (fresh.get(key) as { Resources?: Record<string, { Properties?: { TemplateURL?: unknown } }> } | undefined)?.Resources ?? {};
    const nested = (listing.StackResourceSummaries ?? []).filter((r) => r.ResourceType === 'AWS::CloudFormation::Stack' && r.PhysicalResourceId);
    await Promise.all(
      nested.map((r) => {
        const url = freshResources[r.LogicalResourceId]?.Properties?.TemplateURL;
        const child = typeof url === 'string' && !url.includes('://') ? `${env}/${url}` : `${key}#${r.LogicalResourceId}`;
        return visit(r.PhysicalResourceId!, child);
      }),
    );
  };
  await visit(stackName, `${env}/${rootFile}`);
  // In the fresh build's order, so the diff reads parent before children.
  const ordered = new Map([...fresh.keys()].filter((k) => found.has(k)).map((k) => [k, found.get(k)]));
  for (const [k, v] of found) if (!ordered.has(k)) ordered.set(k, v);
  return ordered;
}
