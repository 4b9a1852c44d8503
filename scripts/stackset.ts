/**
 * One environment rolled out to many accounts and Regions with a CloudFormation stack set
 * (`scripts/deploy.sh <env> --stack-set`, which checks, lints and packages first, then runs this):
 * creates or updates the stack set `berth-<env>` (`berth-<env>-<template>` for one layer) from the
 * packaged template, adds the stack instances the settings' `targets` name, follows each operation
 * with a line per instance as its status changes (account, Region, status, reason), and ends with
 * a table of every instance. A failed instance is reported with its stack's failed events when
 * these credentials can read them (same account), else with the command that can.
 * `--preview` shows what would change where, and executes nothing: stack sets have no change sets,
 * so it compares the packaged template with the stack set's, resource by resource, and lists the
 * instances that would be created or updated.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/what-is-cfnstacksets.html
 *
 *   node --import tsx scripts/stackset.ts <env> --template root --template-file <packaged> [--preview]
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { diffEstate, formatChanges } from '../src/cli/diff.ts';
import { palette } from '../src/cli/_terminal.ts';
import { BerthError } from '../src/dsl/errors.ts';
import { runScript } from './run-script.ts';
import { parseTemplate } from '../src/emit/parse.ts';
import { loadSettings, type TargetsSettings } from '../templates/settings/settings.ts';
import { awsCli, makeAws, type Aws } from './deploy-aws.ts';

const ROOT = join(import.meta.dirname, '..');
const CAPABILITIES = ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM', 'CAPABILITY_AUTO_EXPAND'];
/** Operations still going. https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperation.html */
const RUNNING = new Set(['RUNNING', 'QUEUED', 'STOPPING']);

export interface StackSetPlan {
  readonly name: string;
  readonly targets: TargetsSettings;
  /** (account, Region) pairs of a self-managed stack set; organisational units resolve on AWS's side. */
  readonly pairs: readonly (readonly [string, string])[];
}

/** Where each (account, Region) goes, as the settings say. */
export function plan(env: string, template: string, targets: TargetsSettings): StackSetPlan {
  const name = template === 'root' ? `berth-${env}` : `berth-${env}-${template}`;
  const pairs = targets.permissionModel === 'selfManaged' ? targets.regions.flatMap((r) => targets.accounts.map((a) => [a, r] as const)) : [];
  return { name, targets, pairs };
}

/** `--operation-preferences` from the settings (the Regions' order is `regions`). */
export function operationPreferences(t: TargetsSettings): string {
  const p = t.operationPreferences ?? {};
  return JSON.stringify({
    RegionConcurrencyType: p.regionConcurrencyType ?? 'SEQUENTIAL',
    RegionOrder: t.regions,
    MaxConcurrentPercentage: p.maxConcurrentPercentage ?? 25,
    FailureTolerancePercentage: p.failureTolerancePercentage ?? 0,
    ...(p.concurrencyMode ? { ConcurrencyMode: p.concurrencyMode } : {}),
  });
}

/** The arguments naming the stack set's permissions and targets, for create-stack-set and create-stack-instances. */
export function permissionArguments(t: TargetsSettings, account: string, partition: string): string[] {
  if (t.permissionModel === 'selfManaged') {
    return [
      '--permission-model', 'SELF_MANAGED',
      '--administration-role-arn', `arn:${partition}:iam::${account}:role/${t.administrationRoleName ?? 'AWSCloudFormationStackSetAdministrationRole'}`,
      '--execution-role-name', t.executionRoleName ?? 'AWSCloudFormationStackSetExecutionRole',
    ];
  }
  const auto = t.autoDeployment ?? { enabled: true, retainStacksOnAccountRemoval: false };
  return ['--permission-model', 'SERVICE_MANAGED', '--auto-deployment', `Enabled=${auto.enabled},RetainStacksOnAccountRemoval=${auto.retainStacksOnAccountRemoval}`, '--call-as', t.callAs ?? 'SELF'];
}

/**
 * `--call-as` for every call on a service-managed stack set: a delegated administrator must say so
 * on each request, reads included (`SELF` is the default for the management account).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListStackInstances.html
 */
export function callAs(t: TargetsSettings | undefined): string[] {
  return t?.permissionModel === 'serviceManaged' ? ['--call-as', t.callAs ?? 'SELF'] : [];
}

/** `create-stack-instances` targets: the accounts or the organisational units, and the Regions. */
export function instanceTargets(t: TargetsSettings, regions: readonly string[] = t.regions, accounts?: readonly string[]): string[] {
  const where = t.permissionModel === 'selfManaged' ? ['--accounts', ...(accounts ?? t.accounts)] : ['--deployment-targets', `OrganizationalUnitIds=${t.organizationalUnits.join(',')}`, '--call-as', t.callAs ?? 'SELF'];
  return [...where, '--regions', ...regions];
}

/**
 * The (account, Region) pairs of a self-managed stack set that have no instance yet, as
 * `create-stack-instances` calls: each call creates every account it names in every Region it
 * names, so accounts missing the same Regions share a call, and no call names an instance that
 * exists. (One operation at a time per stack set: the calls run one after another.)
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackInstances.html
 */
export function missingInstances(pairs: readonly (readonly [string, string])[], have: ReadonlySet<string>, regionOrder: readonly string[]): { accounts: string[]; regions: string[] }[] {
  const byAccount = new Map<string, string[]>();
  for (const [a, r] of pairs) if (!have.has(`${a} ${r}`)) byAccount.set(a, [...(byAccount.get(a) ?? []), r]);
  const calls = new Map<string, { accounts: string[]; regions: string[] }>();
  for (const [a, regions] of byAccount) {
    const ordered = regionOrder.filter((r) => regions.includes(r));
    const key = ordered.join(' ');
    calls.set(key, { accounts: [...(calls.get(key)?.accounts ?? []), a], regions: ordered });
  }
  return [...calls.values()];
}

/**
 * What a stack set cannot deploy, refused before anything is created: nested stacks with
 * service-managed permissions (the default `stacksets-exec-*` role cannot provision them:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html),
 * and names IAM keeps per account when the targets span Regions (an IAM name is global: the
 * second Region's instance would fail with "already exists").
 */
export function refusals(t: TargetsSettings, file: string, text: string, readNested?: (file: string) => string): string[] {
  const out: string[] = [];
  if (t.permissionModel === 'serviceManaged' && /Type: AWS::CloudFormation::Stack$/m.test(text)) {
    out.push(
      `${file} nests stacks, which a service-managed stack set's default execution role cannot provision (docs: stacksets-custom-execution-role). Use \`"permissionModel": "selfManaged"\` with the execution role in each account (docs/many-accounts.md), or roll out a template without nested stacks (\`--template network\`).`,
    );
  }
  if (t.regions.length > 1) out.push(...fixedNames(t.regions.length, file, text, readNested));
  return out;
}

/** Names IAM and S3 keep per account or partition, in `file` and the templates it nests. */
function fixedNames(regions: number, file: string, text: string, readNested?: (file: string) => string): string[] {
  const out: string[] = [];
  const doc = parseTemplate(text, file) as { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  for (const [id, r] of Object.entries(doc.Resources ?? {})) {
    // Names in nested stacks are as global: a sender's task role in a service stack, say.
    const url = r.Properties?.TemplateURL;
    if (r.Type === 'AWS::CloudFormation::Stack' && readNested && typeof url === 'string') out.push(...fixedNames(regions, url, readNested(url), readNested));
    for (const prop of ['RoleName', 'ManagedPolicyName', 'InstanceProfileName', 'BucketName']) {
      const v = r.Properties?.[prop];
      if (v !== undefined && !JSON.stringify(v).includes('AWS::Region')) {
        out.push(`${file}: ${id} ${prop}: a fixed ${prop} is one per account (IAM and S3 names are global), and targets.regions has ${regions} Regions: the second Region's instance would fail. Give targets.regions one Region (an environment per Region), or roll out a template without the name (\`--template network\`).`);
      }
    }
  }
  return out;
}

/**
 * The parameters a rollout sets: a template that reads the publisher's product templates
 * (launch-role.yaml, with a `TemplateBucket` parameter) gets the bucket and prefix this rollout
 * uploads to. Nothing else is set: every other parameter keeps its default in every instance.
 */
export function stackSetParameters(file: string, text: string, bucket: string | undefined, keyPrefix: string | undefined, env: string): string[] {
  const declared = (parseTemplate(text, file) as { Parameters?: Record<string, unknown> }).Parameters ?? {};
  if (!('TemplateBucket' in declared)) return [];
  if (!bucket) throw new BerthError(file, 'reads the product templates from the publishing account\'s bucket, and no bucket was given. Run it through `scripts/deploy.sh <env> --template launch-role --stack-set` (add `--bucket NAME` if `make publish` used one).');
  const values = [`ParameterKey=TemplateBucket,ParameterValue=${bucket}`];
  const prefix = keyPrefix?.endsWith(`/${env}`) ? keyPrefix.slice(0, -env.length - 1) : undefined;
  if (prefix && 'TemplatePrefix' in declared) values.push(`ParameterKey=TemplatePrefix,ParameterValue=${prefix}`);
  return ['--parameters', ...values];
}

/** Who may read the templates: the organisation (by its ID), or a list of accounts. */
export type TemplateReader = { readonly organizationId: string } | { readonly accounts: readonly string[] };

/**
 * The Sid of the statement of the template bucket's policy that lets `reader` read `keyPrefix`: one
 * per key prefix (the bucket berth-<account>-<region> is shared by every environment, whose
 * rollouts must not replace each other's grant) and per kind of reader (a stack set's target
 * accounts and the organisation a portfolio is shared with are granted side by side).
 */
export function readSid(keyPrefix: string, reader: TemplateReader): string {
  return `BerthRead${'organizationId' in reader ? 'Organization' : 'Accounts'}${createHash('sha256').update(keyPrefix).digest('hex').slice(0, 12)}`;
}

/**
 * The template bucket's policy with the targets' read statement added or replaced (other
 * statements kept, the TLS-only deny among them). A stack-set instance's stack reads its nested
 * templates (`TemplateURL`) in its own account, with the execution role's credentials, so the
 * bucket in the administrator account must grant that read: to the organisation
 * (`aws:PrincipalOrgID`) for service-managed targets, to each target account for self-managed
 * ones (the account's own IAM policies, AdministratorAccess on the documented execution role,
 * grant the rest). Read only, on this environment's prefix only. The bucket is encrypted with
 * SSE-S3, which other accounts can read; SSE-KMS with the AWS managed key could not be.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-walkthroughs-managing-access-example2.html
 * The bucket's Region matters only in AWS GovCloud (US) and China, where S3 endpoints are
 * Regional and the bucket must be in the stack's Region ("In standard Regions, the Region of the
 * S3 bucket does not matter": https://github.com/aws-samples/aws-cloudformation-region-parity):
 * targets in those partitions need a bucket per Region (`--bucket`, one rollout per Region).
 */
export function bucketReadPolicy(existing: string | undefined, bucket: string, keyPrefix: string, partition: string, reader: TemplateReader): string {
  const doc = existing ? (JSON.parse(existing) as { Version?: string; Statement?: { Sid?: string }[] }) : {};
  const sid = readSid(keyPrefix, reader);
  const statement = {
    Sid: sid,
    Effect: 'Allow',
    Principal: 'organizationId' in reader ? '*' : { AWS: reader.accounts.map((a) => `arn:${partition}:iam::${a}:root`) },
    Action: 's3:GetObject',
    Resource: `arn:${partition}:s3:::${bucket}/${keyPrefix}/*`,
    ...('organizationId' in reader ? { Condition: { StringEquals: { 'aws:PrincipalOrgID': reader.organizationId } } } : {}),
  };
  return JSON.stringify({ Version: doc.Version ?? '2012-10-17', Statement: [...(doc.Statement ?? []).filter((x) => x.Sid !== sid), statement] });
}

interface Summary {
  readonly Account: string;
  readonly Region: string;
  readonly Status: string;
  readonly StatusReason?: string;
  readonly StackId?: string;
  readonly StackInstanceStatus?: { readonly DetailedStatus?: string };
}

const time = () => new Date().toISOString().slice(11, 19);

/** Instances in rollout order: by Region in `regions` order (others after, by name), then account. */
function byRollout(regions: readonly string[]): (a: Summary, b: Summary) => number {
  const rank = (r: string) => (regions.includes(r) ? regions.indexOf(r) : regions.length);
  return (a, b) => rank(a.Region) - rank(b.Region) || a.Region.localeCompare(b.Region) || a.Account.localeCompare(b.Account);
}

/** Follows one operation, printing each instance's status as it changes; returns the operation's end status. */
export async function follow(aws: Aws, name: string, operation: string, out: (l: string) => void, pollSeconds: number, regions: readonly string[] = [], as: readonly string[] = []): Promise<string> {
  const seen = new Map<string, string>();
  for (;;) {
    const [op, results] = await Promise.all([
      aws('cloudformation', 'describe-stack-set-operation', '--stack-set-name', name, '--operation-id', operation, ...as),
      aws('cloudformation', 'list-stack-set-operation-results', '--stack-set-name', name, '--operation-id', operation, ...as),
    ]);
    if (!op.ok) throw new BerthError(`stack set ${name}`, `cannot read operation ${operation}: ${op.message}.`);
    for (const s of ((results.json?.Summaries ?? []) as Summary[]).sort(byRollout(regions))) {
      const key = `${s.Account} ${s.Region}`;
      const line = `${s.Status}${s.StatusReason ? `  ${s.StatusReason}` : ''}`;
      if (seen.get(key) === line) continue;
      seen.set(key, line);
      out(`  ${time()}  ${s.Account.padEnd(12)}  ${s.Region.padEnd(14)}  ${line}`);
    }
    const status = String(op.json?.StackSetOperation?.Status ?? 'UNKNOWN');
    if (!RUNNING.has(status)) return status;
    await new Promise((r) => setTimeout(r, pollSeconds * 1000));
  }
}

/** How `summarize` reads a failed instance's stack events in its own account. */
export interface EventReader {
  /** The account these credentials are in (its stacks are read directly). */
  readonly account: string;
  readonly partition: string;
  readonly env: string;
  readonly targets: TargetsSettings;
}

/**
 * Credentials in a target account of a self-managed stack set: the execution role there, which
 * trusts the administrator account (the role StackSets itself assumes for the instance).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
 */
async function executionRoleCredentials(aws: Aws, r: EventReader, account: string): Promise<NodeJS.ProcessEnv | undefined> {
  if (r.targets.permissionModel !== 'selfManaged') return undefined;
  const role = `arn:${r.partition}:iam::${account}:role/${r.targets.executionRoleName ?? 'AWSCloudFormationStackSetExecutionRole'}`;
  const assumed = await aws('sts', 'assume-role', '--role-arn', role, '--role-session-name', `berth-${r.env}-events`, '--duration-seconds', '900');
  const c = assumed.ok ? assumed.json?.Credentials : undefined;
  if (!c) return undefined;
  return { AWS_ACCESS_KEY_ID: c.AccessKeyId, AWS_SECRET_ACCESS_KEY: c.SecretAccessKey, AWS_SESSION_TOKEN: c.SessionToken, AWS_PROFILE: undefined };
}

/**
 * The table of every instance at the end; failed and cancelled instances after it, each failed
 * one with its stack's failed events, read in its account (directly, or through the execution
 * role of a self-managed stack set), else with the command that reads them there.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackInstanceComprehensiveStatus.html
 */
export async function summarize(aws: Aws, cli: string, name: string, out: (l: string) => void, reader?: EventReader): Promise<number> {
  const list = await aws('cloudformation', 'list-stack-instances', '--stack-set-name', name, ...callAs(reader?.targets));
  const instances = ((list.json?.Summaries ?? []) as Summary[]).sort(byRollout(reader?.targets.regions ?? []));
  const rows = instances.map((i) => [i.Account, i.Region, i.StackInstanceStatus?.DetailedStatus ?? i.Status, i.Status, i.StatusReason ?? '']);
  const head = ['account', 'Region', 'instance', 'stack', 'reason'];
  const width = (c: number) => Math.max(...[head, ...rows].map((r) => r[c]!.length));
  for (const r of [head, ...rows]) out(`  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(width(i)))).join('  ').trimEnd()}`);
  let failed = 0;
  for (const i of instances) {
    const detailed = i.StackInstanceStatus?.DetailedStatus ?? '';
    if (detailed === 'CANCELLED') {
      failed++;
      out(`Not deployed: account ${i.Account}, ${i.Region}: ${i.StatusReason ?? 'cancelled'} (an earlier Region failed; the next run deploys it)`);
      continue;
    }
    if (detailed !== 'FAILED' && i.Status !== 'INOPERABLE') continue;
    failed++;
    out(`Failed: account ${i.Account}, ${i.Region}: ${i.StatusReason ?? 'no reason given'}`);
    if (!i.StackId) continue;
    const credentials = reader && reader.account !== i.Account ? await executionRoleCredentials(aws, reader, i.Account) : {};
    const regional = credentials ? makeAws(cli, i.Region, 1, credentials) : undefined;
    const events = regional ? await regional('cloudformation', 'describe-stack-events', '--stack-name', i.StackId) : undefined;
    regional?.close();
    if (!events?.ok) {
      out(`  its stack's events are in account ${i.Account}: aws cloudformation describe-stack-events --stack-name ${i.StackId} --region ${i.Region} (with that account's credentials)`);
      continue;
    }
    for (const e of ((events.json?.StackEvents ?? []) as { LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string }[]).filter((x) => x.ResourceStatus.endsWith('FAILED')).reverse()) {
      out(`  ${e.LogicalResourceId.padEnd(32)} ${e.ResourceStatus.padEnd(24)} ${e.ResourceStatusReason ?? ''}`);
    }
  }
  return failed;
}

/**
 * Adds (or replaces) the read statement of `bucketReadPolicy` in the template bucket's policy, other
 * statements kept. Used by stack-set rollouts and by portfolio shares (scripts/portfolio-share.ts),
 * whose products' nested templates are read in the member accounts.
 */
export async function grantTemplateRead(aws: Aws, bucket: string, keyPrefix: string, partition: string, reader: TemplateReader, out: (l: string) => void): Promise<void> {
  const current = await aws('s3api', 'get-bucket-policy', '--bucket', bucket);
  const policy = bucketReadPolicy(current.ok ? String(current.json?.Policy ?? '') || undefined : undefined, bucket, keyPrefix, partition, reader);
  const put = await aws('s3api', 'put-bucket-policy', '--bucket', bucket, '--policy', policy);
  if (!put.ok) throw new BerthError(`bucket ${bucket}`, `cannot set the policy that lets the target accounts read the templates (${put.message}). Check s3:PutBucketPolicy, or give a bucket you manage with \`--bucket\`.`);
  out(`[pass] s3://${bucket}/${keyPrefix}/ readable by ${'organizationId' in reader ? `organisation ${reader.organizationId}` : `accounts ${reader.accounts.join(', ')}`} (bucket policy ${readSid(keyPrefix, reader)})`);
}

/** The organisation's ID, which the bucket policy's aws:PrincipalOrgID condition names. */
export async function organizationId(aws: Aws, why: string): Promise<string> {
  const org = await aws('organizations', 'describe-organization');
  if (!org.ok) throw new BerthError(why, `cannot read the organisation (${org.message}), whose ID the template bucket's policy needs. Run from the management account or a delegated administrator.`);
  return String(org.json.Organization.Id);
}

/** Adds the targets' read statement to the template bucket's policy (`bucketReadPolicy`). */
async function shareBucket(aws: Aws, bucket: string, keyPrefix: string, partition: string, account: string, targets: TargetsSettings, out: (l: string) => void): Promise<void> {
  let reader: TemplateReader;
  if (targets.permissionModel === 'serviceManaged') {
    reader = { organizationId: await organizationId(aws, 'stack set targets') };
  } else {
    reader = { accounts: targets.accounts.filter((a) => a !== account) };
    if (!reader.accounts.length) return; // every target is this account
  }
  await grantTemplateRead(aws, bucket, keyPrefix, partition, reader, out);
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      template: { type: 'string', default: 'root' },
      'template-file': { type: 'string' },
      'template-url': { type: 'string' },
      preview: { type: 'boolean', default: false },
      region: { type: 'string' },
      bucket: { type: 'string' },
      'key-prefix': { type: 'string' },
    },
    allowPositionals: true,
  });
  const env = positionals[0];
  if (!env || !values['template-file']) throw new BerthError('scripts/stackset.ts', 'needs `<env> --template-file <packaged template>`. Run it through `scripts/deploy.sh <env> --stack-set`.');
  const settingsFile = `templates/environments/${env}.json`;
  const settings = loadSettings(settingsFile);
  const targets = settings.targets;
  if (!targets) throw new BerthError(settingsFile, 'has no `targets`, so there is nowhere to roll the stack set out to. Add `targets` (accounts or organisational units, and Regions: docs/many-accounts.md), or deploy without --stack-set.');
  const source = `output/${env}/${values.template}.yaml`;
  const text = readFileSync(resolve(values['template-file']), 'utf8');
  const refused = refusals(targets, source, readFileSync(join(ROOT, source), 'utf8'), (file) => readFileSync(join(ROOT, 'output', env, file), 'utf8'));
  if (refused.length) throw new BerthError(settingsFile, `targets: ${refused[0]}`);
  const region = values.region ?? settings.region;
  const cli = awsCli(ROOT);
  const aws = makeAws(cli, region);
  const out = (l: string) => console.log(l);
  const paint = palette(process.stdout);
  try {
    const who = await aws('sts', 'get-caller-identity');
    if (!who.ok) throw new BerthError('AWS credentials', `${who.message}. Configure credentials for the administrator account.`);
    const account = String(who.json.Account);
    const partition = String(who.json.Arn).split(':')[1] ?? 'aws';
    const p = plan(env, values.template!, targets);
    const body = values['template-url'] ? ['--template-url', values['template-url']] : ['--template-body', text];
    const parameters = stackSetParameters(source, text, values.bucket, values['key-prefix'], env);
    const existing = await aws('cloudformation', 'describe-stack-set', '--stack-set-name', p.name, ...callAs(targets));
    const exists = existing.ok && existing.json?.StackSet?.Status === 'ACTIVE';
    const instances = exists ? (((await aws('cloudformation', 'list-stack-instances', '--stack-set-name', p.name, ...callAs(targets))).json?.Summaries ?? []) as Summary[]) : [];
    const have = new Set(instances.map((i) => `${i.Account} ${i.Region}`));
    const newRegions = targets.regions.filter((r) => !instances.some((i) => i.Region === r));
    const poll = Number(process.env.BERTH_POLL_SECONDS ?? '5');

    if (values.preview) {
      out(`==> preview of stack set ${p.name} (${targets.permissionModel === 'selfManaged' ? 'self-managed' : 'service-managed'}; stack sets have no change sets: the template is compared, nothing is executed)`);
      if (exists) {
        const changes = diffEstate(new Map([[source, parseTemplate(String(existing.json.StackSet.TemplateBody), p.name)]]), new Map([[source, parseTemplate(text, source)]]), { ignoreTemplateUrls: true });
        out(changes.length ? formatChanges(changes, paint) : `  the template is unchanged`);
      } else {
        out(`  stack set ${p.name} does not exist: it would be created`);
      }
      for (const [a, r] of p.pairs) out(`  ${a.padEnd(12)}  ${r.padEnd(14)}  ${have.has(`${a} ${r}`) ? 'update' : 'create'}`);
      if (targets.permissionModel === 'serviceManaged') out(`  organisational units ${targets.organizationalUnits.join(', ')} in ${targets.regions.join(', ')}: every account in them${exists ? ' (updated or created)' : ' (created)'}`);
      const dropped = targets.permissionModel === 'selfManaged' ? instances.filter((x) => !p.pairs.some(([a, r]) => a === x.Account && r === x.Region)) : [];
      for (const i of dropped) {
        out(`  ${i.Account.padEnd(12)}  ${i.Region.padEnd(14)}  not a target any more: kept (remove with aws cloudformation delete-stack-instances --stack-set-name ${p.name} --accounts ${i.Account} --regions ${i.Region} --no-retain-stacks)`);
      }
      out(`[pass] preview of stack set ${p.name}: nothing was executed`);
      return 0;
    }

    if (values.bucket) await shareBucket(aws, values.bucket, values['key-prefix'] ?? `berth/${env}`, partition, account, targets, out);
    const tags = ['--tags', `Key=berth:environment,Value=${env}`];
    if (!exists) {
      out(`==> creating stack set ${p.name}`);
      const created = await aws('cloudformation', 'create-stack-set', '--stack-set-name', p.name, ...body, ...parameters, '--capabilities', ...CAPABILITIES, ...permissionArguments(targets, account, partition), ...tags);
      if (!created.ok) throw new BerthError(`stack set ${p.name}`, `CloudFormation refused to create it: ${created.message}.`);
    } else {
      out(`==> updating stack set ${p.name} and its ${instances.length} instances`);
      const updated = await aws('cloudformation', 'update-stack-set', '--stack-set-name', p.name, ...body, ...parameters, '--capabilities', ...CAPABILITIES, '--operation-preferences', operationPreferences(targets), ...tags, ...callAs(targets));
      if (!updated.ok) throw new BerthError(`stack set ${p.name}`, `CloudFormation refused the update: ${updated.message}.`);
      const status = await follow(aws, p.name, String(updated.json.OperationId), out, poll, targets.regions, callAs(targets));
      out(`  update: ${status}`);
    }
    const calls =
      targets.permissionModel === 'selfManaged'
        ? missingInstances(p.pairs, have, targets.regions)
        : (exists ? newRegions : targets.regions).length
          ? [{ accounts: [], regions: exists ? newRegions : [...targets.regions] }]
          : [];
    for (const call of calls) {
      out(`==> adding stack instances${call.accounts.length ? ` for ${call.accounts.join(', ')}` : ''} in ${call.regions.join(', ')}`);
      const created = await aws('cloudformation', 'create-stack-instances', '--stack-set-name', p.name, ...instanceTargets(targets, call.regions, call.accounts), '--operation-preferences', operationPreferences(targets));
      if (!created.ok) throw new BerthError(`stack set ${p.name}`, `CloudFormation refused the instances: ${created.message}.`);
      const status = await follow(aws, p.name, String(created.json.OperationId), out, poll, targets.regions, callAs(targets));
      out(`  create instances: ${status}`);
    }
    out(`==> stack set ${p.name}: instances`);
    const failed = await summarize(aws, cli, p.name, out, { account, partition, env, targets });
    out(failed ? `[fail] stack set ${p.name}: ${failed} instance${failed > 1 ? 's' : ''} not deployed` : `[pass] stack set ${p.name}: every instance deployed`);
    return failed ? 1 : 0;
  } finally {
    aws.close();
  }
}

runScript(import.meta, main);
