/**
 * The rollback triggers scripts/deploy.sh gives CloudFormation with its change set: the alarms the
 * template names in its `berth:rollback-triggers` Metadata (templates/stacks/shared/rollback.ts),
 * found in the deployed stack (their names are its physical IDs) and in CloudWatch (ARN, type,
 * state). CloudFormation watches them during the deploy and for `MonitoringTimeInMinutes` after,
 * and rolls the whole operation back when one goes to ALARM.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-rollback-triggers.html
 *
 *   node --import tsx scripts/deploy-triggers.ts <template.yaml> --stack-name S --region R --out DIR [--new]
 *
 * Writes DIR/rollback.json (`--rollback-configuration` of `create-change-set`) when there is a
 * trigger, and prints what guards the deploy, one line each. Left out, each said why:
 * - every trigger of a new stack (`--new`): its alarms do not exist before this deploy creates
 *   them, and CloudFormation fails the whole operation on a trigger that is missing;
 * - an alarm in ALARM already: as ECS does for its deployment alarms, so that a deploy can ship
 *   the fix for what the alarm reports (CloudFormation would otherwise roll it back at once).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseTemplate } from '../src/emit/parse.ts';
import { awsCli, makeAws, type Aws } from './deploy-aws.ts';

const ROOT = join(import.meta.dirname, '..');
export const METADATA = 'berth:rollback-triggers';

interface Declared {
  readonly MonitoringTimeInMinutes: number;
  readonly Alarms: readonly string[];
}

export function declaredTriggers(file: string): Declared | undefined {
  const doc = parseTemplate(readFileSync(file, 'utf8'), file) as { Metadata?: Record<string, unknown> };
  const d = doc.Metadata?.[METADATA] as Declared | undefined;
  return d && Array.isArray(d.Alarms) && d.Alarms.length ? d : undefined;
}

export interface Trigger {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly type: 'AWS::CloudWatch::Alarm' | 'AWS::CloudWatch::CompositeAlarm';
  readonly state: string;
  /** For a composite alarm: the alarms its rule names. */
  readonly members: readonly string[];
}

/** The triggers of an existing stack, each with its alarm's state; `skipped` says why a declared one is left out. */
export async function findTriggers(aws: Aws, stack: string, declared: Declared): Promise<{ triggers: Trigger[]; skipped: string[] }> {
  const skipped: string[] = [];
  const names = await Promise.all(
    declared.Alarms.map(async (logicalId) => {
      const r = await aws('cloudformation', 'describe-stack-resource', '--stack-name', stack, '--logical-resource-id', logicalId);
      const name = r.ok ? (r.json?.StackResourceDetail?.PhysicalResourceId as string | undefined) : undefined;
      if (!name) skipped.push(`${logicalId}: not in stack ${stack} yet (this deploy creates it)`);
      return { logicalId, name };
    }),
  );
  const found = names.filter((n): n is { logicalId: string; name: string } => n.name !== undefined);
  if (found.length === 0) return { triggers: [], skipped };
  const r = await aws('cloudwatch', 'describe-alarms', '--alarm-types', 'CompositeAlarm', 'MetricAlarm', '--alarm-names', ...found.map((f) => f.name));
  if (!r.ok) throw new Error(`cannot read the rollback triggers' alarms (aws cloudwatch describe-alarms): ${r.message}`);
  const alarms = new Map<string, { arn: string; type: Trigger['type']; state: string; rule?: string }>();
  for (const a of (r.json?.CompositeAlarms ?? []) as { AlarmName: string; AlarmArn: string; StateValue: string; AlarmRule: string }[]) {
    alarms.set(a.AlarmName, { arn: a.AlarmArn, type: 'AWS::CloudWatch::CompositeAlarm', state: a.StateValue, rule: a.AlarmRule });
  }
  for (const a of (r.json?.MetricAlarms ?? []) as { AlarmName: string; AlarmArn: string; StateValue: string }[]) {
    alarms.set(a.AlarmName, { arn: a.AlarmArn, type: 'AWS::CloudWatch::Alarm', state: a.StateValue });
  }
  const triggers: Trigger[] = [];
  for (const f of found) {
    const a = alarms.get(f.name);
    if (!a) {
      skipped.push(`${f.name}: not found in CloudWatch`);
      continue;
    }
    if (a.state === 'ALARM') {
      skipped.push(`${f.name}: in ALARM now, so left out (a trigger in ALARM would roll this deploy back at once; as ECS does, a deploy may ship the fix for what it reports)`);
      continue;
    }
    const members = [...(a.rule ?? '').matchAll(/ALARM\("([^"]+)"\)/g)].map((m) => m[1]!);
    triggers.push({ logicalId: f.logicalId, name: f.name, arn: a.arn, type: a.type, state: a.state, members });
  }
  return { triggers, skipped };
}

export async function main(argv: readonly string[]): Promise<number> {
  const file = argv[0]!;
  const flag = (name: string) => argv[argv.indexOf(name) + 1]!;
  const declared = declaredTriggers(file);
  if (!declared) {
    console.log('  rollback triggers: none (the template names no alarm to guard its deploy)');
    return 0;
  }
  if (argv.includes('--new')) {
    console.log(`  rollback triggers: none yet (${declared.Alarms.join(', ')} will guard the next deploy: this one creates them)`);
    return 0;
  }
  const aws = makeAws(awsCli(ROOT), flag('--region'));
  try {
    const { triggers, skipped } = await findTriggers(aws, flag('--stack-name'), declared);
    for (const t of triggers) {
      console.log(`  rollback trigger: ${t.name} (${t.state})${t.members.length ? `, in ALARM when one of these is: ${t.members.join(', ')}` : ''}`);
    }
    for (const s of skipped) console.log(`  not a rollback trigger: ${s}`);
    if (triggers.length === 0) {
      console.log('  rollback triggers: none for this deploy');
      return 0;
    }
    console.log(`  CloudFormation rolls the deploy back if one goes to ALARM during it or in the ${declared.MonitoringTimeInMinutes} minutes after`);
    const configuration = { RollbackTriggers: triggers.map((t) => ({ Arn: t.arn, Type: t.type })), MonitoringTimeInMinutes: declared.MonitoringTimeInMinutes };
    writeFileSync(join(flag('--out'), 'rollback.json'), JSON.stringify(configuration));
    return 0;
  } catch (e) {
    process.stderr.write(`error: ${(e as Error).message}\n`);
    return 1;
  } finally {
    aws.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
