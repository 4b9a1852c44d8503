/**
 * The CloudFormation rollback triggers of a template: the alarms scripts/deploy.sh asks
 * CloudFormation to watch while it deploys the stack, and for `MonitoringTimeInMinutes` after,
 * rolling the whole operation back if one goes to ALARM. `aws cloudformation deploy` cannot pass
 * them, so deploy.sh makes and executes the change set itself, reading them from this template
 * Metadata entry (logical IDs; their alarms exist once the stack does).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-rollback-triggers.html
 */
import { BerthError, q, type Resource, type Template } from '../../../src/dsl/index.ts';
import { DEFAULT_ROLLBACK_MONITORING_MINUTES } from '../../settings/operations.ts';
import type { ResolvedSettings } from '../../settings/settings.ts';

/** The template Metadata key deploy.sh reads. */
export const ROLLBACK_TRIGGERS_METADATA = 'berth:rollback-triggers';

/** CloudFormation takes at most 5 rollback triggers. https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_RollbackConfiguration.html */
export const MAX_ROLLBACK_TRIGGERS = 5;

export function rollbackTriggers(t: Template, s: ResolvedSettings, alarms: readonly Resource<'AWS::CloudWatch::Alarm' | 'AWS::CloudWatch::CompositeAlarm'>[]): void {
  if (alarms.length === 0) return;
  if (alarms.length > MAX_ROLLBACK_TRIGGERS) {
    throw new BerthError(`${t.name}.yaml: ${ROLLBACK_TRIGGERS_METADATA}`, `names ${alarms.length} alarms (${alarms.map((a) => q(a.logicalId)).join(', ')}); CloudFormation takes at most ${MAX_ROLLBACK_TRIGGERS} rollback triggers. Combine them in a composite alarm.`);
  }
  t.addMetadata(ROLLBACK_TRIGGERS_METADATA, {
    MonitoringTimeInMinutes: s.operations?.rollbackMonitoringMinutes ?? DEFAULT_ROLLBACK_MONITORING_MINUTES,
    Alarms: alarms.map((a) => a.logicalId),
  });
}
