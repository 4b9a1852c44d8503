/**
 * AWS Control Tower proactive controls (cfn-guard rules) a resource is exempt from because of a
 * setting the environment chose, written into the resource's Metadata where the choice is made:
 *
 *     Metadata:
 *       guard:
 *         SuppressedRules: [elbv2_deletion_protection_enabled_check]
 *         Reasons:
 *           elbv2_deletion_protection_enabled_check: 'CT.ELASTICLOADBALANCING.PR.5: ... (templates/environments/dev.json: loadBalancer.deletionProtection).'
 *
 * So any environment that makes the same choice gets the same exception, and no other, whatever
 * its name. `SuppressedRules` is the convention of AWS's Guard rules registry, whose rules skip the
 * resources that name them (https://github.com/aws-cloudformation/aws-guard-rules-registry); the
 * Control Tower rules and cfn-guard 3.1.1 itself do not (checked with the pinned binary: a
 * suppressed listener still fails CT.ELASTICLOADBALANCING.PR.1), so berth's gate
 * (scripts/lint/control-tower.ts) honours it, fails a suppression without a reason, and fails one
 * that excuses nothing. Exceptions that hold for every environment stay in
 * scripts/lint/guard-allowlist.json.
 */
import type { ResourceOptions } from '../../../src/dsl/index.ts';

/** One control a resource is exempt from. */
export interface GuardExemption {
  /** The cfn-guard rule's name, e.g. `alb_http_to_https_redirection_check`. */
  readonly rule: string;
  /** The Control Tower control it implements, e.g. `CT.ELASTICLOADBALANCING.PR.1`: the reason starts with it. */
  readonly control: string;
  /** Why, naming the settings file and field that chose it. */
  readonly reason: string;
}

/** Resource options that carry these exemptions, merged into `options`' metadata (none: `options` unchanged). */
export function withGuardExemptions<O extends ResourceOptions>(options: O, exemptions: readonly (GuardExemption | false | undefined)[]): O {
  const given = exemptions.filter((e): e is GuardExemption => !!e);
  if (given.length === 0) return options;
  return {
    ...options,
    metadata: {
      ...options.metadata,
      guard: {
        SuppressedRules: given.map((e) => e.rule),
        Reasons: Object.fromEntries(given.map((e) => [e.rule, `${e.control}: ${e.reason}`])),
      },
    },
  };
}

/** CT.CLOUDWATCH.PR.2 asks for a year of log retention. */
export const MINIMUM_LOG_RETENTION_DAYS = 365;

/** The exemption of a log group kept fewer days than CT.CLOUDWATCH.PR.2 asks, because `field` of `file` says so. */
export function shortRetention(days: number, file: string, field: string): GuardExemption | undefined {
  if (days >= MINIMUM_LOG_RETENTION_DAYS) return undefined;
  return {
    rule: 'cloudwatch_log_group_retention_period_check',
    control: 'CT.CLOUDWATCH.PR.2',
    reason: `the environment keeps these logs ${days} days, fewer than the control's ${MINIMUM_LOG_RETENTION_DAYS} (${file}: ${field}).`,
  };
}
