/**
 * The deploy guard: composite alarms in the root stack, in ALARM while any service's deployment
 * alarm is (a web service's server errors or unhealthy targets, a queue worker's dead letters).
 * CloudFormation takes at most 5 rollback triggers per stack and a composite alarm counts as one,
 * so scripts/deploy.sh gives it these instead of each service's alarms: a deploy of the whole
 * estate rolls back when any service goes bad during it or its monitoring time.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_RollbackTrigger.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Composite_Alarm.html
 */
import { BerthError, Join, sub, type Intrinsic, type Resource, type Template } from '../../src/dsl/index.ts';
import type { ResolvedSettings } from '../settings/settings.ts';
import { MAX_ROLLBACK_TRIGGERS, rollbackTriggers } from './shared/rollback.ts';

/** A composite alarm's rule names at most 100 alarms. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutCompositeAlarm.html */
export const MAX_ALARMS_PER_COMPOSITE = 100;
/** Deployment alarms per service: a web service's two, a queue worker's one (templates/stacks/service/alarms.ts). */
const WEB_ALARMS = 2;

export interface GuardedService {
  readonly service: string;
  /** The service stack's `DeploymentAlarms` output: `ALARM("...") OR ALARM("...")`. */
  readonly alarms: Intrinsic<'String'>;
  /** A service group's guard (its stack's `DeploymentAlarms`), not a service's alarms. @default false */
  readonly group?: boolean;
}

/**
 * The deploy guards of `services` in `t`, named `<environment>-deploy-guard` (the root) or, for a
 * service group, `<environment>-<scope>-deploy-guard`; each guarded item may itself be a guard
 * (composite alarms may name composite alarms).
 */
export function deployGuard(t: Template, s: ResolvedSettings, env: Intrinsic<'String'>, services: readonly GuardedService[], scope?: string): Resource<'AWS::CloudWatch::CompositeAlarm'>[] {
  if (services.length === 0) return [];
  // Services in estate order, into guards of at most 100 alarms (counting 2 per service keeps
  // the count an upper bound whatever the service's kind).
  const perGuard = Math.floor(MAX_ALARMS_PER_COMPOSITE / WEB_ALARMS);
  const chunks: GuardedService[][] = [];
  for (let i = 0; i < services.length; i += perGuard) chunks.push(services.slice(i, i + perGuard));
  if (chunks.length > MAX_ROLLBACK_TRIGGERS) {
    throw new BerthError(
      `${s.file}: services`,
      `the estate's ${services.length} services need ${chunks.length} deploy guards of ${perGuard} services each, and CloudFormation takes at most ${MAX_ROLLBACK_TRIGGERS} rollback triggers. Split the estate into environments of at most ${perGuard * MAX_ROLLBACK_TRIGGERS} services.`,
    );
  }
  const guards = chunks.map((chunk, i) =>
    t.resource('DeployGuard' + (i === 0 ? '' : String(i + 1)), 'AWS::CloudWatch::CompositeAlarm', {
      AlarmName: sub`${env}-${scope ? `${scope}-` : ''}deploy-guard${i === 0 ? '' : `-${i + 1}`}`,
      AlarmDescription:
        `In ALARM while a deployment alarm of ${chunks.length > 1 ? `services ${i * perGuard + 1} to ${i * perGuard + chunk.length} of ${scope ?? 'the estate'}` : scope ? `the services of ${scope}` : "the estate's services"} is (its rule names ${services.every((g) => g.group) ? "the service groups' guards, whose rules name them" : 'them'}): server errors or unhealthy targets of a web service, dead letters of a queue worker. ` +
        'scripts/deploy.sh gives it to CloudFormation as a rollback trigger, so a deploy of the estate rolls back when a service goes bad during it. It notifies no one itself: each of its alarms notifies the alarm topic.',
      AlarmRule: Join(' OR ', chunk.map((c) => c.alarms)),
    }),
  );
  rollbackTriggers(t, s, guards);
  return guards;
}
