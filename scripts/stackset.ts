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
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { diffEstate, formatChanges } from '../src/cli/diff.ts';
import { palette } from '../src/cli/_terminal.ts';
import { BerthError } from '../src/dsl/errors.ts';
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

/** `create-stack-instances` targets: the accounts or the organisational units, and the Regions. */
export function instanceTargets(t: TargetsSettings, regions: readonly string[] = t.regions): string[] {
  const where = t.permissionModel === 'selfManaged' ? ['--accounts', ...t.accounts] : ['--deployment-targets', `OrganizationalUnitIds=${t.organizationalUnits.join(',')}`, '--call-as', t.callAs ?? 'SELF'];
  return [...where, '--regions', ...regions];
}

/**
 * What a stack set cannot deploy, refused before anything is created: nested stacks with
 * service-managed permissions (the default `stacksets-exec-*` role cannot provision them:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-custom-execution-role.html),
 * and names IAM keeps per account when the targets span Regions (an IAM name is global: the
 * second Region's instance would fail with "already exists").
 */
export function refusals(t: TargetsSettings, file: string, text: string): string[] {
  const out: string[] = [];
  if (t.permissionModel === 'serviceManaged' && /Type: AWS::CloudFormation::Stack$/m.test(text)) {
    out.push(
      `${file} nests stacks, which a service-managed stack set's default execution role cannot provision (docs: stacksets-custom-execution-role). Use \`"permissionModel": "selfManaged"\` with the execution role in each account (docs/many-accounts.md), or roll out a template without nested stacks (\`--template network\`).`,
    );
  }
  if (t.regions.length > 1) {
    const doc = parseTemplate(text, file) as { Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
    for (const [id, r] of Object.entries(doc.Resources ?? {})) {
      for (const prop of ['RoleName', 'ManagedPolicyName', 'InstanceProfileName', 'BucketName']) {
        const v = r.Properties?.[prop];
        if (v !== undefined && !JSON.stringify(v).includes('AWS::Region')) {
          out.push(`${file}: ${id} ${prop}: a fixed ${prop} is one per account (IAM and S3 names are global), and targets.regions has ${t.regions.length} Regions: the second Region's instance would fail. Leave the name out, or include \${AWS::Region} in it.`);
        }
      }
    }
  }
  return out;
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

/** Follows one operation, printing each instance's status as it changes; returns the operation's end status. */
export async function follow(aws: Aws, name: string, operation: string, out: (l: string) => void, pollSeconds: number): Promise<string> {
  const seen = new Map<string, string>();
  for (;;) {
    const [op, results] = await Promise.all([
      aws('cloudformation', 'describe-stack-set-operation', '--stack-set-name', name, '--operation-id', operation),
      aws('cloudformation', 'list-stack-set-operation-results', '--stack-set-name', name, '--operation-id', operation),
    ]);
    if (!op.ok) throw new BerthError(`stack set ${name}`, `cannot read operation ${operation}: ${op.message}.`);
    for (const s of ((results.json?.Summaries ?? []) as Summary[]).sort((a, b) => `${a.Region}${a.Account}`.localeCompare(`${b.Region}${b.Account}`))) {
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

/** The table of every instance at the end; failed instances with their stack's failed events. */
export async function summarize(aws: Aws, cli: string, name: string, out: (l: string) => void): Promise<number> {
  const list = await aws('cloudformation', 'list-stack-instances', '--stack-set-name', name);
  const instances = ((list.json?.Summaries ?? []) as Summary[]).sort((a, b) => `${a.Region}${a.Account}`.localeCompare(`${b.Region}${b.Account}`));
  const rows = instances.map((i) => [i.Account, i.Region, i.StackInstanceStatus?.DetailedStatus ?? i.Status, i.Status, i.StatusReason ?? '']);
  const head = ['account', 'Region', 'instance', 'stack', 'reason'];
  const width = (c: number) => Math.max(...[head, ...rows].map((r) => r[c]!.length));
  for (const r of [head, ...rows]) out(`  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(width(i)))).join('  ').trimEnd()}`);
  let failed = 0;
  for (const i of instances.filter((x) => (x.StackInstanceStatus?.DetailedStatus ?? '') === 'FAILED' || x.Status === 'INOPERABLE')) {
    failed++;
    out(`Failed: account ${i.Account}, ${i.Region}: ${i.StatusReason ?? 'no reason given'}`);
    if (!i.StackId) continue;
    const regional = makeAws(cli, i.Region);
    const events = await regional('cloudformation', 'describe-stack-events', '--stack-name', i.StackId);
    regional.close();
    if (!events.ok) {
      out(`  its stack's events are in account ${i.Account}: aws cloudformation describe-stack-events --stack-name ${i.StackId} --region ${i.Region} (with that account's credentials)`);
      continue;
    }
    for (const e of ((events.json?.StackEvents ?? []) as { LogicalResourceId: string; ResourceStatus: string; ResourceStatusReason?: string }[]).filter((x) => x.ResourceStatus.endsWith('FAILED')).reverse()) {
      out(`  ${e.LogicalResourceId.padEnd(32)} ${e.ResourceStatus.padEnd(24)} ${e.ResourceStatusReason ?? ''}`);
    }
  }
  return failed;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { template: { type: 'string', default: 'root' }, 'template-file': { type: 'string' }, 'template-url': { type: 'string' }, preview: { type: 'boolean', default: false }, region: { type: 'string' } },
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
  const refused = refusals(targets, source, readFileSync(join(ROOT, source), 'utf8'));
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
    const existing = await aws('cloudformation', 'describe-stack-set', '--stack-set-name', p.name, ...(targets.permissionModel === 'serviceManaged' ? ['--call-as', targets.callAs ?? 'SELF'] : []));
    const exists = existing.ok && existing.json?.StackSet?.Status === 'ACTIVE';
    const instances = exists ? (((await aws('cloudformation', 'list-stack-instances', '--stack-set-name', p.name)).json?.Summaries ?? []) as Summary[]) : [];
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

    const tags = ['--tags', `Key=berth:environment,Value=${env}`];
    if (!exists) {
      out(`==> creating stack set ${p.name}`);
      const created = await aws('cloudformation', 'create-stack-set', '--stack-set-name', p.name, ...body, '--capabilities', ...CAPABILITIES, ...permissionArguments(targets, account, partition), ...tags);
      if (!created.ok) throw new BerthError(`stack set ${p.name}`, `CloudFormation refused to create it: ${created.message}.`);
    } else {
      out(`==> updating stack set ${p.name} and its ${instances.length} instances`);
      const updated = await aws('cloudformation', 'update-stack-set', '--stack-set-name', p.name, ...body, '--capabilities', ...CAPABILITIES, '--operation-preferences', operationPreferences(targets), ...tags);
      if (!updated.ok) throw new BerthError(`stack set ${p.name}`, `CloudFormation refused the update: ${updated.message}.`);
      const status = await follow(aws, p.name, String(updated.json.OperationId), out, poll);
      out(`  update: ${status}`);
    }
    const missing = targets.permissionModel === 'selfManaged' ? targets.regions.filter((r) => targets.accounts.some((a) => !have.has(`${a} ${r}`))) : exists ? newRegions : targets.regions;
    if (missing.length) {
      out(`==> adding stack instances in ${missing.join(', ')}`);
      const created = await aws('cloudformation', 'create-stack-instances', '--stack-set-name', p.name, ...instanceTargets(targets, missing), '--operation-preferences', operationPreferences(targets));
      if (!created.ok) throw new BerthError(`stack set ${p.name}`, `CloudFormation refused the instances: ${created.message}.`);
      const status = await follow(aws, p.name, String(created.json.OperationId), out, poll);
      out(`  create instances: ${status}`);
    }
    out(`==> stack set ${p.name}: instances`);
    const failed = await summarize(aws, cli, p.name, out);
    out(failed ? `[fail] stack set ${p.name}: ${failed} instance${failed > 1 ? 's' : ''} failed` : `[pass] stack set ${p.name}: every instance deployed`);
    return failed ? 1 : 0;
  } finally {
    aws.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      if (e instanceof BerthError) {
        console.error(`error: ${e.message}`);
        process.exitCode = 1;
      } else {
        console.error(e);
        process.exitCode = 2;
      }
    },
  );
}
