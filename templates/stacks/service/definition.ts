import type { AlarmThresholds, Deployment, RollingDeployment } from '../../settings/operations.ts';

export type { AlarmThresholds, BlueGreenDeployment, CanaryDeployment, Deployment, LinearDeployment, RollingDeployment } from '../../settings/operations.ts';

/**
 * How an estate describes a service, in TypeScript (not JSON) so that exclusive choices are
 * compile errors: placement exists only on EC2 capacity; HTTPS needs a certificate; a queue worker
 * has a queue and no listener rule.
 */
import { callerFile } from '../shared/caller-file.ts';
import type { StoreAccess } from '../data/definition.ts';

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

/**
 * A secret injected as an environment variable at start, never stored in the task definition.
 * Either one that exists before the deploy (an SSM SecureString or a Secrets Manager secret, named
 * per environment: the deploy preflight checks it exists, reading the task definition's
 * `Secrets[].ValueFrom`), or one the service stack creates with a random value.
 */
export type SecretSource =
  /** An existing SSM parameter, by name or ARN. `{environment}` in the name is the environment's name. */
  | { readonly ssmParameter: string }
  /** An existing Secrets Manager secret, by name or ARN (and optionally one JSON key of it). `{environment}` as above. */
  | { readonly secretsManagerSecret: string; readonly jsonKey?: string }
  /** A Secrets Manager secret the stack creates: `/berth/<environment>/<service>/<variable name in kebab case>`. */
  | { readonly generated: GeneratedSecret };

/**
 * A random value Secrets Manager generates when the stack creates the secret, kept when the stack
 * is deleted. https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html
 */
export interface GeneratedSecret {
  /** @default 48 */
  readonly length?: number;
  /** Leave out punctuation, for values that go into URLs or shells. @default true */
  readonly excludePunctuation?: boolean;
}

/**
 * A container health check, run by the ECS agent inside the container: opt-in, because it needs a
 * command the image has (many images have no `curl`). A web service is also checked by the load
 * balancer (`role.targetHealthCheck`), which needs nothing in the image.
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html
 */
export interface ContainerHealthCheck {
  /** Your image's own check, for example `['CMD', '/app/healthcheck']` or `['CMD-SHELL', 'wget -q -O /dev/null http://localhost:8080/health']`. */
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
  /**
   * Image reference from any registry, with a tag or a digest (never `latest`): for example
   * `public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine` or
   * `111122223333.dkr.ecr.eu-west-1.amazonaws.com/web:1.4.2`. The execution role may pull from
   * ECR only when the image is in ECR, and only from its repository.
   */
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
  /** Overrides the image's entry point. @default - the image's ENTRYPOINT */
  readonly entryPoint?: readonly string[];
  /**
   * Writable paths on a read-only root filesystem, each a task volume writable by `user`: on EC2 a
   * Docker volume that starts with the image's own files and permissions at that path, on Fargate
   * a bind mount that an init container opens to every user (mode 1777, as `/tmp` is).
   * @default ['/tmp']
   */
  readonly writablePaths?: readonly string[];
  /** The Linux user the container runs as (never root), as `uid` or `uid:gid`. @default '1000' */
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

/**
 * A handle on a queue worker's queue, from `worker.queue`: the only way to name a queue another
 * service sends to (a string could name a queue that does not exist, or one of another estate).
 */
export class QueueHandle {
  /** @internal use `defineService(...).queue` */
  constructor(
    /** The queue worker that owns the queue. */
    readonly service: string,
  ) {}
}

export interface ServiceDefinition {
  /** Lower-case name: the stack file is `service-<name>.yaml`, the log group `/berth/<env>/<name>`. */
  readonly name: string;
  readonly capacity: ServiceCapacity;
  readonly container: ContainerProps;
  readonly role: ServiceRole;
  /**
   * Queues this service sends messages to, each another queue worker's `queue`. berth grants the
   * task role `sqs:SendMessage` on the queue and the KMS data-key actions on its key, admits the
   * role in that key's policy, and passes the queue URL as the environment variable
   * `<SERVICE>_QUEUE_URL` (`WORKER_QUEUE_URL` for `worker`). @default - none
   */
  readonly sendsTo?: readonly QueueHandle[];
  /**
   * Data stores this service uses, each a store's handle with an access level: `appdb.connect`
   * (Aurora), `jobs.read` / `jobs.readWrite` (DynamoDB), `reports.read` / `reports.readWrite` (S3).
   * berth admits the service's security group to a database on its port, grants the task role
   * exactly the actions of the level on that store and its key, and passes names, endpoints and
   * secrets as environment variables prefixed with the store's name (`APPDB_DB_HOST`,
   * `JOBS_TABLE_NAME`, `REPORTS_BUCKET_NAME`; docs/data-stores.md lists them). @default - none
   */
  readonly uses?: readonly StoreAccess[];
  /**
   * `'internet'`: the tasks may also send HTTPS to anywhere on the internet, through NAT (a
   * third-party API, an image from a registry other than this Region's ECR). Without it, and with
   * the network's interface endpoints (`network.interfaceEndpoints`, on by default), tasks reach
   * only AWS's endpoints, S3 and the data stores they use (`uses`). docs/security.md.
   * @default - AWS's endpoints, S3 and the stores in `uses` only
   */
  readonly egress?: 'internet';
  /**
   * Tasks to keep running, for a service without auto scaling (with `role.scaling`, scaling owns
   * the count and this must be left out). Environments may override. @default 2
   */
  readonly desiredCount?: number;
  /** Rolling deployments only. @default 100 */
  readonly minimumHealthyPercent?: number;
  /** Rolling deployments only. @default 200 */
  readonly maximumPercent?: number;
  /**
   * How ECS deploys a new revision: `rolling` (with the circuit breaker), or, for a web service,
   * `canary`, `linear` or `blueGreen`, which move the load balancer's traffic to the new revision
   * while the old one keeps running. Every deployment watches the service's deployment alarms and
   * rolls back when one goes off. Environments may override (`services.<name>.deployment`).
   * @default - the environment's `operations.webDeployment` for a web service, else rolling
   */
  readonly deployment?: Deployment;
  /** Alarm thresholds of this service; environments may override (`services.<name>.alarms`). @default - the environment's `operations.alarms`, else berth's */
  readonly alarms?: AlarmThresholds;
}

/**
 * The deployments a role allows: traffic shifting needs a load balancer, so only a web service
 * may have one; a queue worker or a scheduled task deploys rolling (a canary on a worker is a
 * compile error).
 */
export type DeploymentFor<K extends ServiceRole['kind']> = K extends 'web' ? Deployment : RollingDeployment;

/** A definition whose role is of kind `K`. */
export type ServiceDefinitionOf<K extends ServiceRole['kind']> = Omit<ServiceDefinition, 'role' | 'deployment'> & {
  readonly role: Extract<ServiceRole, { kind: K }>;
  /** @default - see `ServiceDefinition.deployment` */
  readonly deployment?: DeploymentFor<K>;
};

/** What `defineService` returns: the definition, and for a queue worker the handle of its queue. */
export type DefinedService<K extends ServiceRole['kind']> = ServiceDefinitionOf<K> & (K extends 'queueWorker' ? { readonly queue: QueueHandle } : unknown);

/**
 * Where a definition was written, for messages (see `definitionFile`): an enumerable symbol
 * property, so it survives `{ ...definition, ... }` (a variant of a service stays located).
 */
const DEFINED_IN = Symbol('berth.definedIn');

/**
 * Gives object literals their checked type (and editor completion), and a queue worker its queue
 * handle. Generic only in the role's kind, not in the whole definition: a generic definition would
 * skip the excess-property check that makes `placement` on Fargate capacity a compile error.
 */
export function defineService<K extends ServiceRole['kind']>(definition: ServiceDefinitionOf<K>): DefinedService<K> {
  const defined = (definition.role.kind === 'queueWorker' ? { ...definition, queue: new QueueHandle(definition.name) } : { ...definition }) as DefinedService<K>;
  Object.defineProperty(defined, DEFINED_IN, { value: callerFile(/\/service\/definition\.[cm]?[jt]s$/), enumerable: true });
  return defined;
}

/**
 * The file a definition was written in, as the user would open it (relative to the working
 * directory), or `undefined` when it is not known (a definition built without `defineService`).
 * Read from the call stack `defineService` kept, only when asked (see `callerFile`).
 */
export function definedIn(definition: ServiceDefinition): string | undefined {
  return (definition as { [DEFINED_IN]?: () => string | undefined })[DEFINED_IN]?.();
}
