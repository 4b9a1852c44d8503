/**
 * Drift: what changed in AWS behind CloudFormation's back (`scripts/deploy.sh <env> --drift`,
 * which runs this). CloudFormation compares each resource's properties with its template, and
 * prints the resources that differ (MODIFIED) or are gone (DELETED), each with the properties
 * that differ, expected and actual.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html
 *
 * - A stack: drift detection on the stack and on each of its nested stacks, because detection on a
 *   stack does not reach the stacks it nests ("Perform DetectStackDrift directly on the nested
 *   stack itself": https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackDrift.html).
 * - A stack set (`--stack-set`): one stack-set drift operation over every instance, then the
 *   drifted resources per account and Region, read from the administrator account
 *   (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackSetDrift.html,
 *   API_ListStackInstanceResourceDrifts.html).
 * Exits 0 when everything is in sync, 1 when something drifted or could not be checked.
 *
 *   node --import tsx scripts/drift.ts <env> --stack-name S [--stack-name S2 ...] [--region R]
 *   node --import tsx scripts/drift.ts <env> --stack-set --template T [--region R]
 */
import { parseArgs } from 'node:util';
import { BerthError } from '../src/dsl/errors.ts';
import { runScript } from './run-script.ts';
import { loadSettings, type TargetsSettings } from '../templates/settings/settings.ts';
import { awsCli, makeAws, type Aws } from './deploy-aws.ts';
import { callAs, plan } from './stackset.ts';

const ROOT = new URL('..', import.meta.url).pathname;

interface Difference {
  readonly PropertyPath: string;
  readonly ExpectedValue?: string;
  readonly ActualValue?: string;
  readonly DifferenceType: string;
}
interface ResourceDrift {
  readonly LogicalResourceId: string;
  readonly ResourceType: string;
  readonly StackResourceDriftStatus: string;
  readonly PropertyDifferences?: readonly Difference[];
}

/** Statuses that are drift: the resource changed, or is gone. */
export const DRIFTED = ['MODIFIED', 'DELETED'] as const;

/** The stack-set drift request: the settings' operation preferences, `--call-as` when service-managed. */
export function stackSetDriftArguments(name: string, t: TargetsSettings): string[] {
  const p = t.operationPreferences ?? {};
  const preferences = JSON.stringify({
    RegionConcurrencyType: p.regionConcurrencyType ?? 'SEQUENTIAL',
    RegionOrder: t.regions,
    MaxConcurrentPercentage: p.maxConcurrentPercentage ?? 25,
    // Detection changes nothing: every instance is checked even when some cannot be.
    FailureTolerancePercentage: 100,
  });
  return ['cloudformation', 'detect-stack-set-drift', '--stack-set-name', name, '--operation-preferences', preferences, ...callAs(t)];
}

/** The drifted resources of one stack instance, as the administrator account reads them. */
export function instanceDriftArguments(name: string, account: string, region: string, operation: string, t: TargetsSettings): string[] {
  return [
    'cloudformation', 'list-stack-instance-resource-drifts', '--stack-set-name', name,
    '--stack-instance-account', account, '--stack-instance-region', region, '--operation-id', operation,
    '--stack-instance-resource-drift-statuses', ...DRIFTED, ...callAs(t),
  ];
}

/** One line per drifted resource, then one per property that differs. */
export function formatDrifts(where: string, drifts: readonly ResourceDrift[]): string[] {
  const out: string[] = [];
  for (const d of [...drifts].sort((a, b) => a.LogicalResourceId.localeCompare(b.LogicalResourceId))) {
    out.push(`  ${where.padEnd(28)} ${d.LogicalResourceId.padEnd(32)} ${d.ResourceType.padEnd(40)} ${d.StackResourceDriftStatus}`);
    for (const p of d.PropertyDifferences ?? []) {
      out.push(`      ${p.PropertyPath} (${p.DifferenceType.toLowerCase()}): expected ${p.ExpectedValue ?? '-'}, actual ${p.ActualValue ?? '-'}`);
    }
  }
  return out;
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** The stack and every stack nested in it, each with a label (`root/Network/...`). */
async function stackTree(aws: Aws, stack: string, label = stack): Promise<{ id: string; label: string }[]> {
  const r = await aws('cloudformation', 'list-stack-resources', '--stack-name', stack);
  if (!r.ok) throw new BerthError(`stack ${stack}`, `cannot be read (${r.message}). Check the name and the Region (\`aws cloudformation describe-stacks --stack-name ${stack}\`).`);
  const nested = ((r.json?.StackResourceSummaries ?? []) as { LogicalResourceId: string; ResourceType: string; PhysicalResourceId?: string }[])
    .filter((x) => x.ResourceType === 'AWS::CloudFormation::Stack' && x.PhysicalResourceId?.startsWith('arn:'));
  const children = await Promise.all(nested.map((n) => stackTree(aws, n.PhysicalResourceId!, `${label}/${n.LogicalResourceId}`)));
  return [{ id: stack, label }, ...children.flat()];
}

/** Drift of stacks (and everything they nest); returns the number of drifted or unchecked stacks. */
export async function stackDrift(aws: Aws, stacks: readonly string[], out: (l: string) => void, pollSeconds: number): Promise<number> {
  const tree = (await Promise.all(stacks.map((s) => stackTree(aws, s)))).flat();
  out(`==> detecting drift on ${tree.length} stack${tree.length > 1 ? 's' : ''} (${stacks.join(', ')} and the stacks they nest)`);
  const started = await Promise.all(tree.map(async (s) => ({ ...s, detection: await aws('cloudformation', 'detect-stack-drift', '--stack-name', s.id) })));
  let bad = 0;
  const drifted: string[] = [];
  for (const s of started) {
    if (!s.detection.ok) {
      bad++;
      out(`  ${s.label}: drift detection refused: ${s.detection.message}`);
      continue;
    }
    const id = String(s.detection.json.StackDriftDetectionId);
    let status: any;
    for (;;) {
      status = (await aws('cloudformation', 'describe-stack-drift-detection-status', '--stack-drift-detection-id', id)).json ?? {};
      if (status.DetectionStatus !== 'DETECTION_IN_PROGRESS') break;
      await sleep(pollSeconds);
    }
    const resources = await aws('cloudformation', 'describe-stack-resource-drifts', '--stack-name', s.id, '--stack-resource-drift-status-filters', ...DRIFTED);
    const list = (resources.json?.StackResourceDrifts ?? []) as ResourceDrift[];
    out(`  ${s.label}: ${status.StackDriftStatus ?? 'UNKNOWN'}${status.DetectionStatus === 'DETECTION_FAILED' ? ` (some resources not checked: ${status.DetectionStatusReason ?? 'no reason given'})` : ''}`);
    if (status.StackDriftStatus !== 'IN_SYNC' || status.DetectionStatus === 'DETECTION_FAILED') bad++;
    drifted.push(...formatDrifts(s.label, list));
  }
  if (drifted.length) {
    out('Drifted resources (stack, logical ID, type, status; then each property: expected, actual):');
    drifted.forEach(out);
  }
  return bad;
}

/** Drift of a stack set's instances, per account and Region; returns the number of drifted or unchecked instances. */
export async function stackSetDrift(aws: Aws, name: string, t: TargetsSettings, out: (l: string) => void, pollSeconds: number): Promise<number> {
  const as = callAs(t);
  const started = await aws(...stackSetDriftArguments(name, t));
  if (!started.ok) throw new BerthError(`stack set ${name}`, `drift detection refused: ${started.message}.`);
  const operation = String(started.json.OperationId);
  out(`==> detecting drift on stack set ${name} (operation ${operation})`);
  let status = 'RUNNING';
  while (['RUNNING', 'QUEUED', 'STOPPING'].includes(status)) {
    const op = await aws('cloudformation', 'describe-stack-set-operation', '--stack-set-name', name, '--operation-id', operation, ...as);
    status = String(op.json?.StackSetOperation?.Status ?? 'UNKNOWN');
    if (['RUNNING', 'QUEUED', 'STOPPING'].includes(status)) await sleep(pollSeconds);
  }
  const list = await aws('cloudformation', 'list-stack-instances', '--stack-set-name', name, ...as);
  const instances = ((list.json?.Summaries ?? []) as { Account: string; Region: string; DriftStatus?: string }[]).sort((a, b) => t.regions.indexOf(a.Region) - t.regions.indexOf(b.Region) || a.Account.localeCompare(b.Account));
  let bad = 0;
  const drifted: string[] = [];
  for (const i of instances) {
    const drift = i.DriftStatus ?? 'NOT_CHECKED';
    out(`  ${i.Account.padEnd(12)}  ${i.Region.padEnd(14)}  ${drift}`);
    if (drift === 'IN_SYNC') continue;
    bad++;
    if (drift !== 'DRIFTED') continue;
    const r = await aws(...instanceDriftArguments(name, i.Account, i.Region, operation, t));
    drifted.push(...formatDrifts(`${i.Account} ${i.Region}`, (r.json?.Summaries ?? []) as ResourceDrift[]));
  }
  out(`  drift detection: ${status}`);
  if (drifted.length) {
    out('Drifted resources (account and Region, logical ID, type, status; then each property: expected, actual):');
    drifted.forEach(out);
  }
  return bad;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { 'stack-name': { type: 'string', multiple: true }, 'stack-set': { type: 'boolean', default: false }, template: { type: 'string', default: 'root' }, region: { type: 'string' } },
    allowPositionals: true,
  });
  const env = positionals[0];
  if (!env || (!values['stack-set'] && !values['stack-name']?.length)) throw new BerthError('scripts/drift.ts', 'needs `<env> --stack-name S` or `<env> --stack-set`. Run it through `scripts/deploy.sh <env> --drift`.');
  const settingsFile = `templates/environments/${env}.json`;
  const settings = loadSettings(settingsFile);
  const aws = makeAws(awsCli(ROOT), values.region ?? settings.region);
  const out = (l: string) => console.log(l);
  const poll = Number(process.env.BERTH_POLL_SECONDS ?? '5');
  try {
    let bad: number;
    let what: string;
    if (values['stack-set']) {
      if (!settings.targets) throw new BerthError(settingsFile, 'has no `targets`, so it has no stack set. Check drift of the stack instead: `scripts/deploy.sh <env> --drift`.');
      const name = plan(env, values.template!, settings.targets).name;
      what = `stack set ${name}`;
      bad = await stackSetDrift(aws, name, settings.targets, out, poll);
    } else {
      what = values['stack-name']!.join(', ');
      bad = await stackDrift(aws, values['stack-name']!, out, poll);
    }
    out(bad ? `[fail] ${what}: ${bad} drifted or not checked (above)` : `[pass] ${what}: in sync with the templates`);
    return bad ? 1 : 0;
  } finally {
    aws.close();
  }
}

runScript(import.meta, main);
