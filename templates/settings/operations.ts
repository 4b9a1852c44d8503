/**
 * Production operations in the settings model: who hears the alarms, how services deploy, and the
 * alarm thresholds. Shared by the environment files (`operations`, `services.<name>.deployment`,
 * `services.<name>.alarms`) and the service definitions (`deployment`, `alarms`), so both are
 * checked by the same code, with located messages.
 *
 * The deployment strategies are ECS's own (`DeploymentConfiguration.Strategy`): ROLLING, and the
 * traffic-shifting BLUE_GREEN, LINEAR and CANARY, which run the new revision beside the old one and
 * move the load balancer's traffic between two target groups.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecs-service-deploymentconfiguration.html
 */
import { BerthError, q } from '../../src/dsl/index.ts';

/** Replace tasks a batch at a time (`minimumHealthyPercent`, `maximumPercent`), with the circuit breaker: berth's default. */
export interface RollingDeployment {
  readonly strategy: 'rolling';
}

/**
 * Move a share of the traffic to the new revision, wait, then move the rest.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecs-service-canaryconfiguration.html
 */
export interface CanaryDeployment {
  readonly strategy: 'canary';
  /** Share of production traffic the new revision gets first: 0.1 to 100, in steps of 0.1. @default 5 */
  readonly canaryPercent?: number;
  /** Minutes at that share before the rest of the traffic moves: 0 to 1440. @default 3 */
  readonly canaryBakeTimeMinutes?: number;
  /** Minutes the old revision keeps running once all traffic has moved (rolling back is then a weight change): 0 to 1440. @default 3 */
  readonly bakeTimeMinutes?: number;
}

/**
 * Move the traffic in equal steps, waiting after each.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecs-service-linearconfiguration.html
 */
export interface LinearDeployment {
  readonly strategy: 'linear';
  /** Share of production traffic moved per step: 3 to 100, in steps of 0.1. @default 10 */
  readonly stepPercent?: number;
  /** Minutes after each step (not after the last): 0 to 1440. @default 6 */
  readonly stepBakeTimeMinutes?: number;
  /** @default 3 */
  readonly bakeTimeMinutes?: number;
}

/** Move all traffic at once to the new revision, once it is running and healthy; keep the old one for the bake time. */
export interface BlueGreenDeployment {
  readonly strategy: 'blueGreen';
  /** @default 3 */
  readonly bakeTimeMinutes?: number;
}

/** How ECS replaces a service's tasks with a new revision. */
export type Deployment = RollingDeployment | CanaryDeployment | LinearDeployment | BlueGreenDeployment;
/** The strategies that move load-balancer traffic between two target groups: web services only. */
export type TrafficShiftingDeployment = Exclude<Deployment, RollingDeployment>;

/**
 * Alarm thresholds of a service. Each alarm's period and evaluation are fixed and explained where
 * the alarm is made (templates/stacks/service/alarms.ts); these are the levels.
 */
export interface AlarmThresholds {
  /** Web: 5xx responses of the tasks, percent of requests, in 2 of 3 minutes (Express Mode's shape). @default 1 */
  readonly targetErrorRatePercent?: number;
  /** Web: 99th percentile of the targets' response time, seconds, for 5 minutes. @default 2 */
  readonly responseTimeP99Seconds?: number;
  /** Web: unhealthy targets, for 3 minutes. @default 1 */
  readonly unhealthyTargets?: number;
  /** Services: average CPU, percent of the tasks' CPU, for 10 minutes. @default 90 */
  readonly cpuPercent?: number;
  /** Services: average memory, percent of the tasks' memory, for 10 minutes. @default 90 */
  readonly memoryPercent?: number;
  /** Queue workers: age of the oldest message in the queue, seconds, for 5 minutes. @default 900 */
  readonly oldestMessageAgeSeconds?: number;
}

/** An environment's thresholds: defaults for every service, and the load balancer's own. */
export interface EnvironmentAlarmThresholds extends AlarmThresholds {
  /** 5xx responses the load balancer itself gives (no healthy target, a target that fails), percent of requests, in 2 of 3 minutes. @default 1 */
  readonly loadBalancerErrorRatePercent?: number;
}

/** Who hears the alarms: subscriptions of the environment's alarm topic. */
export interface NotificationSettings {
  /** Email addresses; each gets a confirmation email from AWS and hears nothing until it is confirmed. @default [] */
  readonly emails?: readonly string[];
  /** HTTPS endpoints (an incident tool, a chat webhook); SNS posts a confirmation request first. @default [] */
  readonly httpsEndpoints?: readonly string[];
}

export interface OperationsSettings {
  /** @default - no subscriptions: the alarms change state in CloudWatch, and nobody is told */
  readonly notifications?: NotificationSettings;
  /** How the environment's web services deploy, unless a service or `services.<name>.deployment` says otherwise. @default { strategy: 'rolling' } */
  readonly webDeployment?: Deployment;
  /** Thresholds for every service of the environment (a service's own, then `services.<name>.alarms`, take precedence). @default - see `DEFAULT_THRESHOLDS` */
  readonly alarms?: EnvironmentAlarmThresholds;
  /**
   * Minutes CloudFormation keeps watching the rollback triggers after a deploy has changed every
   * resource, before it cleans up: 0 to 180. scripts/deploy.sh passes it with the triggers.
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-rollback-triggers.html
   * @default 5
   */
  readonly rollbackMonitoringMinutes?: number;
}

// ---------------------------------------------------------------------------------------------
// defaults

/** ECS Express Mode's canary: 5 % of the traffic for 3 minutes, then 3 minutes' bake. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/express-service-update-full.html */
export const DEFAULT_CANARY = { canaryPercent: 5, canaryBakeTimeMinutes: 3, bakeTimeMinutes: 3 } as const;
/** ECS's own defaults for a linear deployment (10 % steps, 6 minutes apart), with Express Mode's bake. */
export const DEFAULT_LINEAR = { stepPercent: 10, stepBakeTimeMinutes: 6, bakeTimeMinutes: 3 } as const;
export const DEFAULT_BLUE_GREEN = { bakeTimeMinutes: 3 } as const;

export const DEFAULT_THRESHOLDS: Required<EnvironmentAlarmThresholds> = {
  targetErrorRatePercent: 1,
  responseTimeP99Seconds: 2,
  unhealthyTargets: 1,
  cpuPercent: 90,
  memoryPercent: 90,
  oldestMessageAgeSeconds: 900,
  loadBalancerErrorRatePercent: 1,
};

export const DEFAULT_ROLLBACK_MONITORING_MINUTES = 5;

// ---------------------------------------------------------------------------------------------
// limits

/** Each bake time: 0 to 1440 minutes (24 hours), as ECS takes it. */
export const MAX_BAKE_MINUTES = 1440;
/**
 * CloudFormation refuses a canary or linear service whose computed deployment time is over 33
 * hours (its operations time out after 36): bake + canary bake, or bake + step bake x steps.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecs-service-canaryconfiguration.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecs-service-linearconfiguration.html
 */
export const MAX_DEPLOYMENT_MINUTES = 33 * 60;
/** Rollback-trigger monitoring time: 0 to 180 minutes. https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_RollbackConfiguration.html */
export const MAX_MONITORING_MINUTES = 180;

const THRESHOLD_RANGES: Readonly<Record<keyof EnvironmentAlarmThresholds, { min: number; max: number; integer: boolean; what: string }>> = {
  targetErrorRatePercent: { min: 0.1, max: 100, integer: false, what: 'a percentage of requests from 0.1 to 100' },
  responseTimeP99Seconds: { min: 0.01, max: 4000, integer: false, what: 'seconds from 0.01 to 4000 (the longest idle timeout a load balancer allows)' },
  unhealthyTargets: { min: 1, max: 1000, integer: true, what: 'a whole number of targets from 1 to 1000' },
  cpuPercent: { min: 1, max: 100, integer: false, what: 'a percentage from 1 to 100' },
  memoryPercent: { min: 1, max: 100, integer: false, what: 'a percentage from 1 to 100' },
  oldestMessageAgeSeconds: { min: 60, max: 1_209_600, integer: true, what: 'whole seconds from 60 to 1209600 (14 days, the longest SQS keeps a message)' },
  loadBalancerErrorRatePercent: { min: 0.1, max: 100, integer: false, what: 'a percentage of requests from 0.1 to 100' },
};

// ---------------------------------------------------------------------------------------------
// JSON Schema fragments (settings.ts assembles them)

const minutes = { type: 'integer', nullable: true, minimum: 0, maximum: MAX_BAKE_MINUTES } as const;

export const DEPLOYMENT_SCHEMA = {
  type: 'object',
  required: ['strategy'],
  description: 'how the service deploys: {"strategy": "rolling"}, "canary", "linear" or "blueGreen" (traffic-shifting strategies are for web services only)',
  discriminator: { propertyName: 'strategy' },
  oneOf: [
    { type: 'object', additionalProperties: false, required: ['strategy'], properties: { strategy: { type: 'string', const: 'rolling' } } },
    {
      type: 'object',
      additionalProperties: false,
      required: ['strategy'],
      properties: {
        strategy: { type: 'string', const: 'canary' },
        canaryPercent: { type: 'number', nullable: true, minimum: 0.1, maximum: 100, description: 'share of traffic first: 0.1 to 100, in steps of 0.1' },
        canaryBakeTimeMinutes: minutes,
        bakeTimeMinutes: minutes,
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['strategy'],
      properties: {
        strategy: { type: 'string', const: 'linear' },
        stepPercent: { type: 'number', nullable: true, minimum: 3, maximum: 100, description: 'share of traffic per step: 3 to 100, in steps of 0.1' },
        stepBakeTimeMinutes: minutes,
        bakeTimeMinutes: minutes,
      },
    },
    { type: 'object', additionalProperties: false, required: ['strategy'], properties: { strategy: { type: 'string', const: 'blueGreen' }, bakeTimeMinutes: minutes } },
  ],
} as const;

function thresholdProperties(keys: readonly (keyof EnvironmentAlarmThresholds)[]) {
  return Object.fromEntries(
    keys.map((k) => {
      const r = THRESHOLD_RANGES[k];
      return [k, { type: r.integer ? 'integer' : 'number', nullable: true, minimum: r.min, maximum: r.max, description: `${r.what}; default ${DEFAULT_THRESHOLDS[k]}` }];
    }),
  );
}

const SERVICE_THRESHOLD_KEYS = ['targetErrorRatePercent', 'responseTimeP99Seconds', 'unhealthyTargets', 'cpuPercent', 'memoryPercent', 'oldestMessageAgeSeconds'] as const;

export const SERVICE_ALARMS_SCHEMA = { type: 'object', nullable: true, additionalProperties: false, properties: thresholdProperties(SERVICE_THRESHOLD_KEYS), description: 'alarm thresholds of this service in this environment' } as const;

const email = { type: 'string', pattern: '^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$', description: 'an email address' } as const;
const https = { type: 'string', pattern: '^https://[^\\s]+$', description: 'an https:// URL' } as const;

export const OPERATIONS_SCHEMA = {
  type: 'object',
  nullable: true,
  additionalProperties: false,
  description: 'alarms, where they go, and how web services deploy',
  properties: {
    notifications: {
      type: 'object',
      nullable: true,
      additionalProperties: false,
      properties: {
        emails: { type: 'array', nullable: true, items: email, uniqueItems: true, maxItems: 50 },
        httpsEndpoints: { type: 'array', nullable: true, items: https, uniqueItems: true, maxItems: 20 },
      },
    },
    webDeployment: { ...DEPLOYMENT_SCHEMA, nullable: true },
    alarms: { type: 'object', nullable: true, additionalProperties: false, properties: thresholdProperties([...SERVICE_THRESHOLD_KEYS, 'loadBalancerErrorRatePercent']) },
    rollbackMonitoringMinutes: { type: 'integer', nullable: true, minimum: 0, maximum: MAX_MONITORING_MINUTES, description: 'minutes CloudFormation watches the rollback triggers after a deploy; default 5' },
  },
} as const;

// ---------------------------------------------------------------------------------------------
// resolving, with located errors (service definitions are TypeScript: no schema checks them)

export type ResolvedDeployment =
  | { readonly strategy: 'rolling' }
  | { readonly strategy: 'canary'; readonly canaryPercent: number; readonly canaryBakeTimeMinutes: number; readonly bakeTimeMinutes: number }
  | { readonly strategy: 'linear'; readonly stepPercent: number; readonly stepBakeTimeMinutes: number; readonly bakeTimeMinutes: number }
  | { readonly strategy: 'blueGreen'; readonly bakeTimeMinutes: number };

/** `grid`: `integer`, any real number, or a step such as 0.1 that the value must be a multiple of. */
function check(where: string, value: number, min: number, max: number, what: string, grid: 'integer' | 'real' | number = 'integer'): void {
  const onStep = grid === 'real' || (grid === 'integer' ? Number.isInteger(value) : Math.abs(Math.round(value / grid) * grid - value) < 1e-9);
  if (!Number.isFinite(value) || value < min || value > max || !onStep) {
    throw new BerthError(where, `is ${q(value)}; ${what}. Change it.`);
  }
}

const bake = (where: string, value: number) => check(where, value, 0, MAX_BAKE_MINUTES, `a bake time is whole minutes from 0 to ${MAX_BAKE_MINUTES} (24 hours)`);

/** The number of waits a linear deployment makes: the steps before the last, as CloudFormation counts them. */
export function linearSteps(stepPercent: number): number {
  const n = 100 / stepPercent;
  return Number.isInteger(Math.round(n * 1e9) / 1e9) ? Math.round(n) - 1 : Math.floor(n);
}

/** The minutes CloudFormation computes for a deployment (its 33-hour check), 0 for rolling. */
export function deploymentMinutes(d: ResolvedDeployment): number {
  switch (d.strategy) {
    case 'rolling':
      return 0;
    case 'canary':
      return d.bakeTimeMinutes + d.canaryBakeTimeMinutes;
    case 'linear':
      return d.bakeTimeMinutes + d.stepBakeTimeMinutes * linearSteps(d.stepPercent);
    case 'blueGreen':
      return d.bakeTimeMinutes;
  }
}

/** A deployment with its defaults filled in; `at(field)` locates a field of it for messages. */
export function resolveDeployment(at: (field: string) => string, d: Deployment): ResolvedDeployment {
  let out: ResolvedDeployment;
  switch (d.strategy) {
    case 'rolling':
      return { strategy: 'rolling' };
    case 'canary': {
      out = { strategy: 'canary', canaryPercent: d.canaryPercent ?? DEFAULT_CANARY.canaryPercent, canaryBakeTimeMinutes: d.canaryBakeTimeMinutes ?? DEFAULT_CANARY.canaryBakeTimeMinutes, bakeTimeMinutes: d.bakeTimeMinutes ?? DEFAULT_CANARY.bakeTimeMinutes };
      // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CanaryConfiguration.html
      check(at('canaryPercent'), out.canaryPercent, 0.1, 100, 'the canary share is a percentage from 0.1 to 100 in steps of 0.1', 0.1);
      bake(at('canaryBakeTimeMinutes'), out.canaryBakeTimeMinutes);
      break;
    }
    case 'linear': {
      out = { strategy: 'linear', stepPercent: d.stepPercent ?? DEFAULT_LINEAR.stepPercent, stepBakeTimeMinutes: d.stepBakeTimeMinutes ?? DEFAULT_LINEAR.stepBakeTimeMinutes, bakeTimeMinutes: d.bakeTimeMinutes ?? DEFAULT_LINEAR.bakeTimeMinutes };
      // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_LinearConfiguration.html
      check(at('stepPercent'), out.stepPercent, 3, 100, 'a linear step is a percentage from 3 to 100 in steps of 0.1', 0.1);
      bake(at('stepBakeTimeMinutes'), out.stepBakeTimeMinutes);
      break;
    }
    case 'blueGreen':
      out = { strategy: 'blueGreen', bakeTimeMinutes: d.bakeTimeMinutes ?? DEFAULT_BLUE_GREEN.bakeTimeMinutes };
      break;
    default:
      throw new BerthError(at('strategy'), `is ${q(String((d as { strategy: unknown }).strategy))}; expected \`rolling\`, \`canary\`, \`linear\` or \`blueGreen\`. Change it.`);
  }
  bake(at('bakeTimeMinutes'), out.bakeTimeMinutes);
  const total = deploymentMinutes(out);
  if (total > MAX_DEPLOYMENT_MINUTES) {
    const formula = out.strategy === 'canary' ? 'bakeTimeMinutes + canaryBakeTimeMinutes' : `bakeTimeMinutes + stepBakeTimeMinutes x ${out.strategy === 'linear' ? linearSteps(out.stepPercent) : 0} steps`;
    throw new BerthError(
      at('bakeTimeMinutes'),
      `makes a ${total}-minute deployment (${formula}); CloudFormation refuses one over ${MAX_DEPLOYMENT_MINUTES} minutes (33 hours), as its operations time out after 36. Shorten the bake times${out.strategy === 'linear' ? ' or take larger steps' : ''}.`,
    );
  }
  return out;
}

/** Thresholds with their defaults, each source checked where it is written: later sources win. */
export function resolveThresholds(sources: readonly { readonly at: (field: string) => string; readonly values?: EnvironmentAlarmThresholds }[]): Required<EnvironmentAlarmThresholds> {
  const out: Record<string, number> = { ...DEFAULT_THRESHOLDS };
  for (const s of sources) {
    for (const [k, v] of Object.entries(s.values ?? {}) as [keyof EnvironmentAlarmThresholds, number | undefined][]) {
      if (v === undefined) continue;
      const r = THRESHOLD_RANGES[k];
      if (!r) throw new BerthError(s.at(k), `is not an alarm threshold berth knows. Use one of ${Object.keys(THRESHOLD_RANGES).map((x) => `\`${x}\``).join(', ')}.`);
      check(s.at(k), v, r.min, r.max, `expected ${r.what}`, r.integer ? 'integer' : 'real');
      out[k] = v;
    }
  }
  return out as Required<EnvironmentAlarmThresholds>;
}

/** Checks of `operations` beyond the schema; `at(path)` locates a field of the settings file. */
export function checkOperations(at: (path: string) => string, o: OperationsSettings | undefined): void {
  if (!o) return;
  if (o.webDeployment) resolveDeployment((f) => at(`operations.webDeployment.${f}`), o.webDeployment);
  resolveThresholds([{ at: (f) => at(`operations.alarms.${f}`), values: o.alarms }]);
  const seen = new Map<string, string>();
  for (const [kind, list] of [['emails', o.notifications?.emails ?? []], ['httpsEndpoints', o.notifications?.httpsEndpoints ?? []]] as const) {
    list.forEach((endpoint, i) => {
      const key = endpoint.toLowerCase();
      const first = seen.get(key);
      if (first) throw new BerthError(at(`operations.notifications.${kind}[${i}]`), `${q(endpoint)} is already subscribed (${first}). List each endpoint once.`);
      seen.set(key, `operations.notifications.${kind}[${i}]`);
    });
  }
}
