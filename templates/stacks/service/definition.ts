/**
 * How an estate describes a service, in TypeScript (not JSON) so that exclusive choices are
 * compile errors: placement exists only on EC2 capacity; HTTPS needs a certificate; a queue worker
 * has a queue and no listener rule.
 */

/**
 * Task placement presets, named as in the ECS console.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-strategies.html
 */
export type Placement =
  /** Spread across AZs, then across instances. */
  | { readonly preset: 'azBalancedSpread' }
  /** Spread across AZs, then binpack on memory. */
  | { readonly preset: 'azBalancedBinpack' }
  /** Binpack on memory: fewest instances. */
  | { readonly preset: 'binpack' }
  /** At most one task of the service per instance (`distinctInstance`). */
  | { readonly preset: 'oneTaskPerHost' }
  /** Your own strategies and constraints. */
  | {
      readonly preset: 'custom';
      readonly strategies: readonly PlacementStrategy[];
      readonly constraints?: readonly PlacementConstraint[];
    };

export type PlacementStrategy =
  | { readonly type: 'spread'; readonly field: 'instanceId' | 'host' | `attribute:${string}` }
  | { readonly type: 'binpack'; readonly field: 'cpu' | 'memory' }
  | { readonly type: 'random' };

export type PlacementConstraint =
  /** A cluster query language expression: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html */
  | { readonly type: 'memberOf'; readonly expression: string }
  | { readonly type: 'distinctInstance' };

/** Where tasks run. Placement exists only for EC2: on Fargate AWS places tasks itself. */
export type ServiceCapacity =
  | {
      readonly type: 'ec2';
      /** @default { preset: 'azBalancedSpread' } */
      readonly placement?: Placement;
    }
  | {
      readonly type: 'fargate';
      /** Share of tasks on FARGATE_SPOT (0-100): interruptible, up to 70 % cheaper. @default 0 */
      readonly spotPercent?: number;
    };

/** A secret injected as an environment variable at start, never stored in the task definition. */
export type SecretSource =
  | { readonly ssmParameter: string }
  | { readonly secretsManagerSecret: string; readonly jsonKey?: string };

/** https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html */
export interface ContainerHealthCheck {
  /** For example `['CMD-SHELL', 'curl -f http://localhost:8080/health || exit 1']`. */
  readonly command: readonly string[];
  /** @default 30 */
  readonly intervalSeconds?: number;
  /** @default 5 */
  readonly timeoutSeconds?: number;
  /** @default 3 */
  readonly retries?: number;
  /** @default 0 */
  readonly startPeriodSeconds?: number;
}

export interface ContainerProps {
  /** Image URI, for example `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.4.2`. */
  readonly image: string;
  /** Task CPU units (1024 = 1 vCPU). On Fargate only the documented CPU/memory pairs are valid. */
  readonly cpu: number;
  /** Task memory in MiB. */
  readonly memoryMiB: number;
  /** The port the container listens on. @default - none (workers, jobs) */
  readonly port?: number;
  /** Plain environment variables: never credentials (use `secrets`). @default {} */
  readonly environment?: { readonly [name: string]: string };
  /** @default {} */
  readonly secrets?: { readonly [name: string]: SecretSource };
  /** @default - none */
  readonly healthCheck?: ContainerHealthCheck;
  /** Overrides the image's command. @default - the image's CMD */
  readonly command?: readonly string[];
  /** Writable paths on a read-only root filesystem (each becomes a task volume). @default ['/tmp'] */
  readonly writablePaths?: readonly string[];
  /** The Linux user the container runs as (never root). @default '1000' */
  readonly user?: string;
}

/** https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html */
export interface TargetHealthCheck {
  /** @default '/' */
  readonly path?: string;
  /** The article's choice: every 12 seconds. @default 12 */
  readonly intervalSeconds?: number;
  /** Must be less than the interval. @default 5 */
  readonly timeoutSeconds?: number;
  /** @default 2 */
  readonly healthyThresholdCount?: number;
  /** @default 3 */
  readonly unhealthyThresholdCount?: number;
  /** HTTP codes that mean healthy; the article's is 200. @default '200' */
  readonly matcher?: string;
}

/** Target tracking for a web service. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html */
export interface WebScaling {
  readonly minCount: number;
  readonly maxCount: number;
  readonly target:
    | { readonly metric: 'cpu'; readonly percent: number }
    | { readonly metric: 'memory'; readonly percent: number }
    | { readonly metric: 'requestsPerTarget'; readonly requests: number };
}

/** The three ways the article starts tasks, plus a long-running web service. */
export type ServiceRole =
  | {
      readonly kind: 'web';
      /** Listener-rule conditions: at least one of hosts / paths. */
      readonly route: { readonly hosts?: readonly string[]; readonly paths?: readonly string[] };
      /** @default - see `TargetHealthCheck` (12 s, HTTP 200 on `/`) */
      readonly targetHealthCheck?: TargetHealthCheck;
      /** @default 60 */
      readonly healthCheckGracePeriodSeconds?: number;
      /** @default - fixed desired count, no scaling */
      readonly scaling?: WebScaling;
    }
  | {
      readonly kind: 'queueWorker';
      /** @default 300 */
      readonly visibilityTimeoutSeconds?: number;
      /** Receives before a message moves to the dead-letter queue. @default 5 */
      readonly maxReceiveCount?: number;
      /** Scale on backlog: `ApproximateNumberOfMessagesVisible` per task. */
      readonly scaling: { readonly minCount: number; readonly maxCount: number; readonly messagesPerTask: number };
    }
  | {
      readonly kind: 'scheduled';
      /** `cron(0 3 * * ? *)` or `rate(15 minutes)`. https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html */
      readonly schedule: `cron(${string})` | `rate(${string})`;
      /** EventBridge rule (classic) or EventBridge Scheduler (time zones, flexible windows). @default 'scheduler' */
      readonly via?: 'eventRule' | 'scheduler';
      /** For EventBridge Scheduler: IANA time zone of a cron expression. @default 'UTC' */
      readonly timeZone?: string;
    };

export interface ServiceDefinition {
  /** Lower-case name: the stack file is `service-<name>.yaml`, the log group `/berth/<env>/<name>`. */
  readonly name: string;
  readonly capacity: ServiceCapacity;
  readonly container: ContainerProps;
  readonly role: ServiceRole;
  /**
   * Tasks to keep running, for a service without auto scaling (with `role.scaling`, scaling owns
   * the count and this must be left out). Environments may override. @default 2
   */
  readonly desiredCount?: number;
  /** @default 100 */
  readonly minimumHealthyPercent?: number;
  /** @default 200 */
  readonly maximumPercent?: number;
}

/**
 * Identity function that gives object literals their checked type (and editor completion).
 * Not generic on purpose: a generic parameter would skip the excess-property check that makes
 * `placement` on Fargate capacity a compile error.
 */
export function defineService(definition: ServiceDefinition): ServiceDefinition {
  return definition;
}
