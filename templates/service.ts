/**
 * The service stack, one per service of templates/services/: a task definition (read-only,
 * non-root, capability-free container; logs to an encrypted group; separate execution and task
 * roles) and, by role, a web service behind the load balancer, a queue worker with its SQS
 * queues, or a scheduled task. Every stack also outputs the `aws ecs run-task` command for a
 * manual run in the same subnets and security group.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definitions.html
 */
import { BerthError, q } from '../src/errors.ts';
import { AWS, Join, sub, type Intrinsic, type Json, type Value } from '../src/intrinsic.ts';
import type { Parameter } from '../src/parameter.ts';
import type { Resource } from '../src/resource.ts';
import { defineStack, type ParameterHandles } from '../src/stack.ts';
import type { Template } from '../src/template.ts';
import { checkFargateSize } from './fargate.ts';
import { placementCliOptions, placementRules, type PlacementRules } from './placement.ts';
import { definitionFile, priorityOf } from './routing.ts';
import type { ServiceDefinition, ServiceRole, WebScaling } from './service-definition.ts';
import type { ResolvedSettings } from './settings.ts';
import { registryParameter } from './registry.ts';
import { environmentNameParameter } from './environment-name.ts';

export interface ServiceStackSettings {
  readonly settings: ResolvedSettings;
  readonly service: ServiceDefinition;
  /** From `assignPriorities` over the whole estate. @default priorityOf(service.name) */
  readonly listenerRulePriority?: number;
}

/** @default for `desiredCount`. */
export const DEFAULT_DESIRED_COUNT = 2;
/** @default for `container.writablePaths`. */
export const DEFAULT_WRITABLE_PATHS = ['/tmp'] as const;
/** @default for `container.user`: any non-root UID. */
export const DEFAULT_USER = '1000';
/**
 * Seconds the load balancer drains a deregistered task. No setting yet: AWS's default of 300 s
 * makes every deployment slow, and 30 s covers a typical request.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#deregistration-delay
 */
export const DEREGISTRATION_DELAY_SECONDS = 30;
/** SQS's default retention (4 days) for the queue, its maximum (14 days) for the dead-letter queue. */
export const QUEUE_RETENTION_SECONDS = 345_600;
export const DEAD_LETTER_RETENTION_SECONDS = 1_209_600;
/**
 * ECS Exec's agent writes here; with a read-only root filesystem these must be volumes.
 * https://github.com/aws/containers-roadmap/issues/1359
 */
export const EXEC_AGENT_PATHS = ['/managed-agents', '/var/lib/amazon/ssm', '/var/log/amazon/ssm'] as const;

/** Environment names that hold credentials: these belong in `secrets`. */
const CREDENTIAL_NAME = /(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIALS?)$/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9][a-z0-9._/-]*?)(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})?$/;
const TAG_OR_DIGEST = '(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})?';

// ---------------------------------------------------------------------------------------------
// Resolving a definition against the environment, with every check

type Role<K extends ServiceRole['kind']> = Extract<ServiceRole, { kind: K }>;

interface EcrRepository {
  readonly account: string;
  readonly region: string;
  readonly repository: string;
  readonly registry: string;
}

interface Resolved {
  readonly s: ResolvedSettings;
  readonly def: ServiceDefinition;
  readonly name: string;
  /** `templates/services/<name>.ts: ` plus a field path. */
  at(path: string): string;
  readonly fargate: boolean;
  readonly spotPercent: number;
  readonly placement?: PlacementRules;
  readonly image: string;
  readonly ecr?: EcrRepository;
  readonly desiredCount?: number;
  readonly scaling?: { readonly minCount: number; readonly maxCount: number };
  readonly writable: readonly { readonly volume: string; readonly path: string }[];
  readonly user: string;
  readonly priority?: number;
}

function range(where: string, value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BerthError(where, `is ${q(value)}; ${what} must be a whole number from ${min} to ${max}. Change it.`);
  }
}

function resolve(ss: ServiceStackSettings): Resolved {
  const { settings: s, service: def } = ss;
  const file = definitionFile(def.name);
  const at = (path: string) => `${file}: ${path}`;
  const override = s.services?.[def.name] ?? {};
  const atOverride = (field: string) => `${s.file}: services.${def.name}.${field}`;
  if (!/^[a-z][a-z0-9-]{0,27}$/.test(def.name)) {
    throw new BerthError(at('name'), `${q(def.name)} is not a valid service name. Use 1 to 28 lower-case letters, digits and hyphens, starting with a letter (it names the stack file and the log group).`);
  }
  const c = def.container;
  const fargate = def.capacity.type === 'fargate';
  if (fargate) checkFargateSize(at('container'), c.cpu, c.memoryMiB);
  else {
    // Task-level CPU for EC2: 128 units (0.125 vCPU) and up. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definition_parameters.html#task_size
    range(at('container.cpu'), c.cpu, 128, 196_608, 'task CPU units on EC2');
    range(at('container.memoryMiB'), c.memoryMiB, 128, 4_194_304, 'task memory (MiB) on EC2');
  }
  const spotPercent = def.capacity.type === 'fargate' ? (def.capacity.spotPercent ?? 0) : 0;
  range(at('capacity.spotPercent'), spotPercent, 0, 100, 'the FARGATE_SPOT share (percent)');
  const placement = def.capacity.type === 'ec2' ? placementRules(at('capacity.placement'), def.capacity.placement) : undefined;

  const image = override.image ?? c.image;
  const imageAt = override.image !== undefined ? atOverride('image') : at('container.image');
  if (!/^\S+$/.test(image)) throw new BerthError(imageAt, `${q(image)} is not an image URI (it is empty or has spaces). Use a URI such as \`123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1.4.2\`.`);
  const m = ECR_IMAGE.exec(image);
  if (!m && /\.dkr\.ecr\./.test(image)) {
    throw new BerthError(imageAt, `${q(image)} looks like an ECR image but is not of the form \`<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>\`. Fix the URI.`);
  }
  const ecr = m ? { account: m[1]!, region: m[2]!, repository: m[3]!, registry: image.slice(0, image.indexOf('/')) } : undefined;

  if (c.port !== undefined) range(at('container.port'), c.port, 1, 65_535, 'the container port');
  if (def.role.kind === 'web' && c.port === undefined) {
    throw new BerthError(at('container.port'), 'is missing: a web service needs the port its container listens on for the load balancer. Set `container.port`.');
  }
  const user = c.user ?? DEFAULT_USER;
  if (/^(root|0)(:|$)/.test(user)) {
    throw new BerthError(at('container.user'), `${q(user)} is root. Containers run as a non-root user: set a UID such as \`1000\` (and make the image work without root).`);
  }
  const writable = writableVolumes(at, c.writablePaths ?? DEFAULT_WRITABLE_PATHS, def.enableExecuteCommand ?? false);
  checkEnvironment(at, def);
  if (c.healthCheck) {
    const h = c.healthCheck;
    // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html
    if (h.command.length === 0) throw new BerthError(at('container.healthCheck.command'), 'is empty. Give a command such as `[\'CMD-SHELL\', \'curl -f http://localhost:8080/health || exit 1\']`.');
    if (h.intervalSeconds !== undefined) range(at('container.healthCheck.intervalSeconds'), h.intervalSeconds, 5, 300, 'the health check interval (seconds)');
    if (h.timeoutSeconds !== undefined) range(at('container.healthCheck.timeoutSeconds'), h.timeoutSeconds, 2, 60, 'the health check timeout (seconds)');
    if (h.retries !== undefined) range(at('container.healthCheck.retries'), h.retries, 1, 10, 'the health check retries');
    if (h.startPeriodSeconds !== undefined) range(at('container.healthCheck.startPeriodSeconds'), h.startPeriodSeconds, 0, 300, 'the health check start period (seconds)');
  }
  const minHealthy = def.minimumHealthyPercent ?? 100;
  const maxPercent = def.maximumPercent ?? 200;
  range(at('minimumHealthyPercent'), minHealthy, 0, 100, 'the minimum healthy percent');
  range(at('maximumPercent'), maxPercent, 100, 400, 'the maximum percent');
  if (maxPercent <= minHealthy && minHealthy > 0) {
    throw new BerthError(at('maximumPercent'), `(${maxPercent}) leaves no room above \`minimumHealthyPercent\` (${minHealthy}): ECS could neither start a new task nor stop an old one, so a deployment would never finish. Raise \`maximumPercent\` or lower \`minimumHealthyPercent\`.`);
  }

  checkRole(at, def.role);
  const roleScaling = def.role.kind === 'web' ? def.role.scaling : def.role.kind === 'queueWorker' ? def.role.scaling : undefined;
  if (!roleScaling && (override.minCount !== undefined || override.maxCount !== undefined)) {
    throw new BerthError(atOverride(override.minCount !== undefined ? 'minCount' : 'maxCount'), `is set but service ${q(def.name)} has no auto scaling. Remove it, or add \`role.scaling\` to ${file}.`);
  }
  const scaling = roleScaling ? { minCount: override.minCount ?? roleScaling.minCount, maxCount: override.maxCount ?? roleScaling.maxCount } : undefined;
  const scalingAt = (field: 'minCount' | 'maxCount' | 'desiredCount') =>
    override[field] !== undefined ? atOverride(field) : field === 'desiredCount' ? at('desiredCount') : at(`role.scaling.${field}`);
  const desiredCount = def.role.kind === 'scheduled' ? undefined : (override.desiredCount ?? def.desiredCount ?? DEFAULT_DESIRED_COUNT);
  if (desiredCount !== undefined) range(scalingAt('desiredCount'), desiredCount, 0, 5000, 'the desired task count');
  if (scaling) {
    range(scalingAt('minCount'), scaling.minCount, 0, 5000, 'the minimum task count');
    range(scalingAt('maxCount'), scaling.maxCount, 1, 5000, 'the maximum task count');
    if (scaling.minCount > scaling.maxCount) {
      throw new BerthError(scalingAt('minCount'), `(${scaling.minCount}) is above maxCount (${scaling.maxCount}). Make minCount <= maxCount.`);
    }
    if (desiredCount! < scaling.minCount || desiredCount! > scaling.maxCount) {
      throw new BerthError(
        scalingAt('desiredCount'),
        `(${desiredCount}) is outside the scaling range ${scaling.minCount} to ${scaling.maxCount}; auto scaling would change it at once. Set desiredCount within minCount and maxCount.`,
      );
    }
  }
  let priority: number | undefined;
  if (def.role.kind === 'web') {
    priority = ss.listenerRulePriority ?? priorityOf(def.name);
    range(`${file}: listener rule priority`, priority, 1, 50_000, 'a listener rule priority');
  }
  return { s, def, name: def.name, at, fargate, spotPercent, placement, image, ecr, desiredCount, scaling, writable, user, priority };
}

function writableVolumes(at: (p: string) => string, paths: readonly string[], exec: boolean): Resolved['writable'] {
  const seen = new Set<string>();
  paths.forEach((path, i) => {
    if (!/^\/[A-Za-z0-9._/-]*$/.test(path) || path === '/') {
      throw new BerthError(at(`container.writablePaths[${i}]`), `${q(path)} is not an absolute path below \`/\`. Use a path such as \`/tmp\` or \`/var/cache/app\`.`);
    }
    if (seen.has(path)) throw new BerthError(at(`container.writablePaths[${i}]`), `${q(path)} is listed twice. List each writable path once.`);
    seen.add(path);
  });
  const all = [...paths, ...(exec ? EXEC_AGENT_PATHS.filter((p) => !seen.has(p)) : [])];
  return all.map((path) => ({ path, volume: `writable${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/-$/, '')}` }));
}

function checkEnvironment(at: (p: string) => string, def: ServiceDefinition): void {
  const env = def.container.environment ?? {};
  const secrets = def.container.secrets ?? {};
  for (const name of Object.keys(env)) {
    if (!ENV_NAME.test(name)) throw new BerthError(at(`container.environment.${name}`), `${q(name)} is not a valid environment variable name. Use letters, digits and underscores, not starting with a digit.`);
    if (CREDENTIAL_NAME.test(name)) {
      throw new BerthError(
        at(`container.environment.${name}`),
        `${q(name)} looks like a credential, and plain environment values are stored in the task definition for anyone with read access to see. Move it to \`container.secrets\` (SSM SecureString or Secrets Manager).`,
      );
    }
    if (name in secrets) throw new BerthError(at(`container.environment.${name}`), `${q(name)} is both a plain variable and a secret. Keep only the secret.`);
  }
  for (const [name, source] of Object.entries(secrets)) {
    const where = at(`container.secrets.${name}`);
    if (!ENV_NAME.test(name)) throw new BerthError(where, `${q(name)} is not a valid environment variable name. Use letters, digits and underscores, not starting with a digit.`);
    if ('ssmParameter' in source) {
      // https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html
      if (!source.ssmParameter.startsWith('arn:') && !/^\/?[A-Za-z0-9_.\-/]{1,1011}$/.test(source.ssmParameter)) {
        throw new BerthError(where, `${q(source.ssmParameter)} is not an SSM parameter name. Use letters, digits and \`_.-/\`, for example \`/berth/web/database-password\`, or the parameter's ARN.`);
      }
    } else if (!source.secretsManagerSecret.startsWith('arn:') && !/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(source.secretsManagerSecret)) {
      throw new BerthError(where, `${q(source.secretsManagerSecret)} is not a Secrets Manager secret name. Use letters, digits and \`/_+=.@-\`, or the secret's ARN.`);
    }
  }
}

function checkRole(at: (p: string) => string, role: ServiceRole): void {
  switch (role.kind) {
    case 'web': {
      const hosts = role.route.hosts ?? [];
      const paths = role.route.paths ?? [];
      if (hosts.length + paths.length === 0) {
        throw new BerthError(at('role.route'), 'has no hosts and no paths, so no request would reach the service. Give `hosts` (such as `[\'app.example.com\']`), `paths` (such as `[\'/*\']`), or both.');
      }
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
      if (hosts.length + paths.length > 5) {
        throw new BerthError(at('role.route'), `has ${hosts.length + paths.length} hosts and paths; a listener rule takes at most 5 condition values. Use wildcards (\`*.example.com\`, \`/api/*\`) to cover more.`);
      }
      paths.forEach((p, i) => {
        if (!p.startsWith('/')) throw new BerthError(at(`role.route.paths[${i}]`), `${q(p)} does not start with \`/\`. Write paths such as \`/*\` or \`/api/*\`.`);
      });
      hosts.forEach((h, i) => {
        if (!/^[A-Za-z0-9*?.-]+$/.test(h)) throw new BerthError(at(`role.route.hosts[${i}]`), `${q(h)} is not a host name pattern. Use a name such as \`app.example.com\` or \`*.example.com\`.`);
      });
      const hc = role.targetHealthCheck ?? {};
      const interval = hc.intervalSeconds ?? 12;
      const timeout = hc.timeoutSeconds ?? 5;
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
      range(at('role.targetHealthCheck.intervalSeconds'), interval, 5, 300, 'the target health check interval (seconds)');
      range(at('role.targetHealthCheck.timeoutSeconds'), timeout, 2, 120, 'the target health check timeout (seconds)');
      if (timeout >= interval) throw new BerthError(at('role.targetHealthCheck.timeoutSeconds'), `(${timeout}) must be less than the interval (${interval}). Lower the timeout or raise the interval.`);
      range(at('role.targetHealthCheck.healthyThresholdCount'), hc.healthyThresholdCount ?? 2, 2, 10, 'the healthy threshold');
      range(at('role.targetHealthCheck.unhealthyThresholdCount'), hc.unhealthyThresholdCount ?? 3, 2, 10, 'the unhealthy threshold');
      if (hc.path !== undefined && !hc.path.startsWith('/')) throw new BerthError(at('role.targetHealthCheck.path'), `${q(hc.path)} does not start with \`/\`. Use a path such as \`/health\`.`);
      if (hc.matcher !== undefined && !/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/.test(hc.matcher)) {
        throw new BerthError(at('role.targetHealthCheck.matcher'), `${q(hc.matcher)} is not an HTTP code list. Use codes and ranges such as \`200\`, \`200,204\` or \`200-299\`.`);
      }
      range(at('role.healthCheckGracePeriodSeconds'), role.healthCheckGracePeriodSeconds ?? 60, 0, 2_147_483_647, 'the grace period (seconds)');
      if (role.scaling) checkWebScaling(at, role.scaling);
      return;
    }
    case 'queueWorker':
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
      range(at('role.visibilityTimeoutSeconds'), role.visibilityTimeoutSeconds ?? 300, 0, 43_200, 'the visibility timeout (seconds)');
      range(at('role.maxReceiveCount'), role.maxReceiveCount ?? 5, 1, 1000, 'the receive count before dead-lettering');
      if (!(role.scaling.messagesPerTask > 0)) throw new BerthError(at('role.scaling.messagesPerTask'), `is ${q(role.scaling.messagesPerTask)}; it must be above 0 (the backlog one task may hold). Set it to a positive number.`);
      return;
    case 'scheduled':
      checkSchedule(at, role);
      return;
  }
}

function checkWebScaling(at: (p: string) => string, scaling: WebScaling): void {
  const t = scaling.target;
  if (t.metric === 'requestsPerTarget') {
    if (!(t.requests > 0)) throw new BerthError(at('role.scaling.target.requests'), `is ${q(t.requests)}; it must be above 0 (requests per task per minute). Set it to a positive number.`);
  } else range(at('role.scaling.target.percent'), t.percent, 1, 100, `the ${t.metric} target (percent)`);
}

function checkSchedule(at: (p: string) => string, role: Role<'scheduled'>): void {
  // https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
  const cron = /^cron\((.*)\)$/.exec(role.schedule);
  if (cron && cron[1]!.trim().split(/\s+/).length !== 6) {
    throw new BerthError(at('role.schedule'), `${q(role.schedule)} does not have the six fields (minutes hours day-of-month month day-of-week year) of an EventBridge cron expression. Write, for example, \`cron(0 3 * * ? *)\`.`);
  }
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(role.schedule);
  if (!cron && (!rate || Number(rate[1]) < 1 || (Number(rate[1]) === 1) !== !rate[2]!.endsWith('s'))) {
    throw new BerthError(at('role.schedule'), `${q(role.schedule)} is not a rate expression. Write \`rate(<n> <unit>)\` with n >= 1, singular for 1: \`rate(1 hour)\`, \`rate(15 minutes)\`.`);
  }
  if (role.timeZone !== undefined && (role.via ?? 'scheduler') === 'eventRule') {
    throw new BerthError(at('role.timeZone'), 'is set, but EventBridge rules run in UTC only. Remove `timeZone`, or use `via: \'scheduler\'` (EventBridge Scheduler), which has time zones.');
  }
  if (role.timeZone !== undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: role.timeZone });
    } catch {
      throw new BerthError(at('role.timeZone'), `${q(role.timeZone)} is not an IANA time zone. Use a name such as \`UTC\` or \`Europe/Paris\`.`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Parameters

const WIRING = 'Network and wiring (outputs of the other stacks)';
const CONTAINER = 'Container';
const SCALING = 'Task count';

function baseParameters(r: Resolved) {
  return {
    EnvironmentName: environmentNameParameter(r.s.name, 'Name prefix for the resources (tags, names, the log group /berth/<environment>/<service>).'),
    VpcId: { type: 'AWS::EC2::VPC::Id', description: 'The VPC of the tasks (the network stack\'s VpcId output).', group: WIRING, label: 'VPC' },
    ApplicationSubnetIds: {
      type: 'List<AWS::EC2::Subnet::Id>',
      description: 'Application subnets for the tasks, one per Availability Zone (the network stack\'s ApplicationSubnetIds output). Tasks get no public IP.',
      group: WIRING,
      label: 'Application subnets',
    },
    ClusterName: registryParameter(r.s.name, 'cluster-name', "Name of the ECS cluster (the cluster stack's ClusterName).", WIRING, 'ECS cluster name'),
    ImageUri: {
      type: 'String',
      description: r.ecr
        ? `Container image in ECR repository ${r.ecr.registry}/${r.ecr.repository} (the execution role may pull only from it), with a tag or digest. For another repository, set services.${r.name}.image in the environment file and rebuild.`
        : 'Container image URI with a tag or digest.',
      default: r.image,
      allowedPattern: r.ecr ? `^${escapeRegExp(`${r.ecr.registry}/${r.ecr.repository}`)}${TAG_OR_DIGEST}$` : '^\\S+$',
      constraintDescription: r.ecr ? `an image of ${r.ecr.registry}/${r.ecr.repository}, with :tag or @sha256:digest` : 'an image URI without spaces',
      group: CONTAINER,
      label: 'Image URI',
    },
  } as const;
}

function optionalParameters(r: Resolved) {
  return {
    CapacityProviderName: registryParameter(r.s.name, 'capacity-provider-name', "EC2 capacity provider of the cluster (the cluster stack's CapacityProviderName).", WIRING, 'EC2 capacity provider'),
    ListenerArn: registryParameter(r.s.name, 'listener-arn', "Listener the service adds its rule to (the load-balancer stack's ListenerArn).", WIRING, 'Listener ARN'),
    LoadBalancerSecurityGroupId: {
      type: 'AWS::EC2::SecurityGroup::Id',
      description: 'Security group of the load balancer, the only source the service admits: the load-balancer stack\'s LoadBalancerSecurityGroupId output.',
      group: WIRING,
      label: 'Load balancer security group',
    },
    LoadBalancerFullName: registryParameter(r.s.name, 'load-balancer-full-name', 'Full name of the load balancer (app/<name>/<id>) for request-count scaling.', WIRING, 'Load balancer full name'),
    DesiredCount: {
      type: 'Number',
      description: 'Tasks to run when the service is created or updated.',
      default: r.desiredCount ?? 0,
      minValue: 0,
      group: SCALING,
      label: 'Desired task count',
    },
    MinCount: { type: 'Number', description: 'Fewest tasks auto scaling keeps.', default: r.scaling?.minCount ?? 0, minValue: 0, group: SCALING, label: 'Minimum task count' },
    MaxCount: { type: 'Number', description: 'Most tasks auto scaling starts.', default: r.scaling?.maxCount ?? 1, minValue: 1, group: SCALING, label: 'Maximum task count' },
  } as const;
}

type BaseSpecs = ReturnType<typeof baseParameters>;
type OptionalSpecs = ReturnType<typeof optionalParameters>;

/**
 * The stack's parameters: the base set, plus those this service uses (an unused parameter is a
 * cfn-lint warning and a confusing console field).
 */
function serviceParameters(r: Resolved): BaseSpecs & Partial<OptionalSpecs> {
  const role = r.def.role;
  const used: Record<keyof OptionalSpecs, boolean> = {
    CapacityProviderName: !r.fargate,
    ListenerArn: role.kind === 'web',
    LoadBalancerSecurityGroupId: role.kind === 'web',
    LoadBalancerFullName: role.kind === 'web' && role.scaling?.target.metric === 'requestsPerTarget',
    DesiredCount: r.desiredCount !== undefined,
    MinCount: r.scaling !== undefined,
    MaxCount: r.scaling !== undefined,
  };
  const base = baseParameters(r);
  const optional = optionalParameters(r);
  const pick = (...keys: (keyof OptionalSpecs)[]) => Object.fromEntries(keys.filter((k) => used[k]).map((k) => [k, optional[k]]));
  const { EnvironmentName, VpcId, ApplicationSubnetIds, ClusterName, ImageUri } = base;
  return {
    EnvironmentName,
    VpcId,
    ApplicationSubnetIds,
    ClusterName,
    ...pick('CapacityProviderName', 'ListenerArn', 'LoadBalancerSecurityGroupId', 'LoadBalancerFullName'),
    ImageUri,
    ...pick('DesiredCount', 'MinCount', 'MaxCount'),
  } as BaseSpecs & Partial<OptionalSpecs>;
}

/**
 * The parameters the stack of this service declares, for a parent that nests it: pass only these
 * (a Fargate service has no `CapacityProviderName`, a worker no `ListenerArn`, ...).
 */
export function serviceParameterNames(s: ServiceStackSettings): readonly string[] {
  return Object.keys(serviceParameters(resolve(s)));
}

type OptionalHandles = Partial<ParameterHandles<OptionalSpecs>>;

/** A parameter this service declared (see `serviceParameters`); absent means a bug in berth. */
function need<T>(handle: T | undefined, name: string): T {
  if (handle === undefined) throw new Error(`berth bug: parameter ${name} was used but not declared`);
  return handle;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

// ---------------------------------------------------------------------------------------------
// The stack

export const service = defineStack({
  name: (s: ServiceStackSettings) => `service-${s.service.name}`,
  description: (s: ServiceStackSettings) => {
    const d = s.service;
    const where = d.capacity.type === 'ec2' ? 'EC2 capacity' : 'Fargate';
    const what = d.role.kind === 'web' ? 'web service behind the load balancer' : d.role.kind === 'queueWorker' ? 'queue worker with SQS queue and dead-letter queue' : `scheduled task (${d.role.schedule})`;
    return `berth service ${d.name} for ${s.settings.name}: ${what} on ${where}.`;
  },
  parameters: (s: ServiceStackSettings) => serviceParameters(resolve(s)),
  outputs: {
    ServiceName: { type: 'String', description: 'Name of the ECS service (for a scheduled task: the task definition family).' },
    TaskDefinitionArn: { type: 'String', description: 'ARN of the task definition revision.' },
    SecurityGroupId: { type: 'AWS::EC2::SecurityGroup::Id', description: 'Security group of the tasks (add egress rules to databases here).' },
    RunTaskCommand: { type: 'String', description: 'AWS CLI command that runs one task by hand, in the application subnets with this security group.' },
    QueueUrl: { type: 'String', description: 'URL of the work queue (queue workers), otherwise `none`.' },
    QueueArn: { type: 'String', description: 'ARN of the work queue (queue workers), otherwise `none`.' },
  },
  build(t, p, ss) {
    const r = resolve(ss);
    // The DSL types the handle of an optional (conditionally declared) parameter as
    // `Parameter<unknown>`; this restores the kinds `optionalParameters` declares them with.
    const o = p as unknown as OptionalHandles;
    const env = p.EnvironmentName.ref;
    const tags = [
      { Key: 'berth:environment', Value: env },
      { Key: 'berth:service', Value: r.name },
    ];
    const family = sub`${env}-${r.name}`;
    const clusterArn = sub`arn:${AWS.Partition}:ecs:${AWS.Region}:${AWS.AccountId}:cluster/${p.ClusterName.ref}`;

    const logGroup = logResources(t, r, env, tags);
    const sg = securityGroup(t, r, p.VpcId, o, env, tags);
    const queue = r.def.role.kind === 'queueWorker' ? queueResources(t, r.def.role, tags) : undefined;
    const roles = taskRoles(t, r, logGroup, queue);
    const td = t.resource('TaskDefinition', 'AWS::ECS::TaskDefinition', {
      Family: family,
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: [r.fargate ? 'FARGATE' : 'EC2'],
      Cpu: String(r.def.container.cpu),
      Memory: String(r.def.container.memoryMiB),
      ExecutionRoleArn: roles.execution.getAtt('Arn'),
      TaskRoleArn: roles.task.getAtt('Arn'),
      Volumes: r.writable.map((w) => ({ Name: w.volume })),
      ContainerDefinitions: [containerDefinition(r, p.ImageUri.ref, logGroup)],
      Tags: tags,
    });

    const strategy = capacityStrategy(r, o);
    const awsvpc = { Subnets: p.ApplicationSubnetIds.ref, SecurityGroups: [sg.ref], AssignPublicIp: 'DISABLED' } as const;
    const run = runTaskCommand(r, p.ClusterName.ref, td, sg, Join(',', p.ApplicationSubnetIds.ref), strategy);
    const queueOutputs = { QueueUrl: queue ? queue.queue.ref : 'none', QueueArn: queue ? queue.queue.getAtt('Arn') : 'none' };

    if (r.def.role.kind === 'scheduled') {
      scheduleResources(t, r, r.def.role, { td, roles, clusterArn, awsvpc, strategy });
      return { ServiceName: family, TaskDefinitionArn: td.ref, SecurityGroupId: sg.ref, RunTaskCommand: run, ...queueOutputs };
    }

    const web = r.def.role.kind === 'web' ? webResources(t, r, r.def.role, p.VpcId, o, tags) : undefined;
    const svc = t.resource(
      'Service',
      'AWS::ECS::Service',
      {
        Cluster: p.ClusterName.ref,
        TaskDefinition: td.ref,
        DesiredCount: need(o.DesiredCount, 'DesiredCount').ref,
        CapacityProviderStrategy: strategy,
        ...(r.fargate ? { PlatformVersion: 'LATEST' } : {}),
        NetworkConfiguration: { AwsvpcConfiguration: awsvpc },
        ...placementProps(r.placement, 'PlacementStrategies', 'PlacementConstraints'),
        ...(web
          ? {
              LoadBalancers: [{ ContainerName: r.name, ContainerPort: r.def.container.port!, TargetGroupArn: web.targetGroup.ref }],
              HealthCheckGracePeriodSeconds: (r.def.role as Role<'web'>).healthCheckGracePeriodSeconds ?? 60,
            }
          : {}),
        DeploymentConfiguration: {
          // Roll back to the last working task definition when new tasks keep failing.
          // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
          MinimumHealthyPercent: r.def.minimumHealthyPercent ?? 100,
          MaximumPercent: r.def.maximumPercent ?? 200,
        },
        EnableExecuteCommand: r.def.enableExecuteCommand ?? false,
        EnableECSManagedTags: true,
        PropagateTags: 'SERVICE',
        Tags: tags,
      },
      // The target group must belong to a load balancer (through the rule) before a service can use it.
      { dependsOn: web ? [web.rule] : [] },
    );

    if (r.scaling) {
      const target = t.resource('ScalableTarget', 'AWS::ApplicationAutoScaling::ScalableTarget', {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: sub`service/${p.ClusterName.ref}/${svc.getAtt('Name')}`,
        MinCapacity: need(o.MinCount, 'MinCount').ref,
        MaxCapacity: need(o.MaxCount, 'MaxCount').ref,
        // No RoleARN: Application Auto Scaling uses its service-linked role for ECS.
      });
      if (r.def.role.kind === 'web' && r.def.role.scaling) webScaling(t, r, r.def.role.scaling, target, web!.targetGroup, o);
      if (r.def.role.kind === 'queueWorker' && queue) backlogScaling(t, r, r.def.role, target, queue.queue, p.ClusterName.ref, svc.getAtt('Name'));
    }
    return { ServiceName: svc.getAtt('Name'), TaskDefinitionArn: td.ref, SecurityGroupId: sg.ref, RunTaskCommand: run, ...queueOutputs };
  },
});

type Tags = readonly { readonly Key: string; readonly Value: Value<string> }[];

// ---------------------------------------------------------------------------------------------
// Logs, security group, roles, container

/**
 * Key policy statements every berth key has: the account's IAM policies govern the key (AWS's
 * default key policy), and grants may be created only for AWS services acting on AWS resources.
 * In a key policy, Resource `*` is the key itself.
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
 */
function baseKeyStatements(): Json[] {
  return [
    { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:root` }, Action: 'kms:*', Resource: '*' },
    {
      Sid: 'GrantsOnlyForAwsServices',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    },
  ];
}

function logResources(t: Template, r: Resolved, env: Intrinsic<'String'>, tags: Tags): Resource<'AWS::Logs::LogGroup'> {
  const logGroupName = sub`/berth/${env}/${r.name}`;
  // CloudWatch Logs encrypts with the key only if its service principal may use it for this log group.
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
  const key = t.resource(
    'LogKey',
    'AWS::KMS::Key',
    {
      Description: sub`Encrypts the logs of ${env} service ${r.name}`,
      EnableKeyRotation: true,
      KeyPolicy: {
        Version: '2012-10-17',
        Statement: [
          ...baseKeyStatements(),
          {
            Sid: 'CloudWatchLogsUse',
            Effect: 'Allow',
            Principal: { Service: sub`logs.${AWS.Region}.amazonaws.com` },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            Resource: '*',
            Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': sub`arn:${AWS.Partition}:logs:${AWS.Region}:${AWS.AccountId}:log-group:/berth/${env}/${r.name}` } },
          },
        ],
      },
      Tags: tags,
    },
    { deletionPolicy: 'Retain', updateReplacePolicy: 'Retain' },
  );
  return t.resource(
    'LogGroup',
    'AWS::Logs::LogGroup',
    { LogGroupName: logGroupName, RetentionInDays: r.s.logRetentionDays, KmsKeyId: key.getAtt('Arn'), Tags: tags },
    { deletionPolicy: 'Retain', updateReplacePolicy: 'Retain' },
  );
}

function securityGroup(t: Template, r: Resolved, vpc: Parameter<'AWS::EC2::VPC::Id'>, o: OptionalHandles, env: Intrinsic<'String'>, tags: Tags): Resource<'AWS::EC2::SecurityGroup'> {
  const port = r.def.container.port;
  return t.resource('SecurityGroup', 'AWS::EC2::SecurityGroup', {
    GroupDescription: sub`${env} ${r.name} tasks`,
    VpcId: vpc.ref,
    // Web tasks admit the load balancer only, on the container port; workers and jobs admit nothing.
    ...(r.def.role.kind === 'web'
      ? {
          SecurityGroupIngress: [
            { IpProtocol: 'tcp', FromPort: port!, ToPort: port!, SourceSecurityGroupId: need(o.LoadBalancerSecurityGroupId, 'LoadBalancerSecurityGroupId').ref, Description: 'From the load balancer to the container port' },
          ],
        }
      : {}),
    // HTTPS out: image layers (ECR, S3), logs, secrets, SQS and other AWS APIs through NAT or endpoints.
    SecurityGroupEgress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0', Description: 'HTTPS to AWS APIs and image registries' }],
    Tags: [...tags, { Key: 'Name', Value: sub`${env}-${r.name}-tasks` }],
  });
}

interface QueueResources {
  readonly key: Resource<'AWS::KMS::Key'>;
  readonly queue: Resource<'AWS::SQS::Queue'>;
}

interface TaskRoles {
  readonly execution: Resource<'AWS::IAM::Role'>;
  readonly task: Resource<'AWS::IAM::Role'>;
}

function trust(service: string): Json {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        // Confused-deputy protection: only this account's tasks / schedules may assume the role.
        Condition: { StringEquals: { 'aws:SourceAccount': AWS.AccountId } },
      },
    ],
  };
}

function policy(name: string, statements: readonly Json[]): { PolicyName: string; PolicyDocument: Json } {
  return { PolicyName: name, PolicyDocument: { Version: '2012-10-17', Statement: [...statements] } };
}

interface SecretRef {
  readonly name: string;
  readonly valueFrom: Value<string>;
  readonly resource: Value<string>;
  readonly service: 'ssm' | 'secretsmanager';
}

/** Secrets as task-definition references and as the IAM resources the execution role reads. */
function secretRefs(r: Resolved): SecretRef[] {
  return Object.entries(r.def.container.secrets ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, source]): SecretRef => {
      if ('ssmParameter' in source) {
        const p = source.ssmParameter;
        const arn = p.startsWith('arn:') ? p : sub`arn:${AWS.Partition}:ssm:${AWS.Region}:${AWS.AccountId}:parameter/${p.replace(/^\//, '')}`;
        return { name, valueFrom: arn, resource: arn, service: 'ssm' };
      }
      const id = source.secretsManagerSecret;
      const base = id.startsWith('arn:') ? id : sub`arn:${AWS.Partition}:secretsmanager:${AWS.Region}:${AWS.AccountId}:secret:${id}`;
      // A secret's ARN ends in `-` and six random characters, which a name does not know.
      // https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html#auth-and-access_iam-policies-wildcard
      const resource = id.startsWith('arn:') ? id : sub`arn:${AWS.Partition}:secretsmanager:${AWS.Region}:${AWS.AccountId}:secret:${id}-??????`;
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
      const valueFrom = source.jsonKey === undefined ? base : id.startsWith('arn:') ? `${id}:${source.jsonKey}::` : sub`arn:${AWS.Partition}:secretsmanager:${AWS.Region}:${AWS.AccountId}:secret:${id}:${source.jsonKey}::`;
      return { name, valueFrom, resource, service: 'secretsmanager' };
    });
}

function taskRoles(t: Template, r: Resolved, logGroup: Resource<'AWS::Logs::LogGroup'>, queue: QueueResources | undefined): TaskRoles {
  const secrets = secretRefs(r);
  const ssm = secrets.filter((s) => s.service === 'ssm').map((s) => s.resource);
  const sm = secrets.filter((s) => s.service === 'secretsmanager').map((s) => s.resource);
  const execution = t.resource('ExecutionRole', 'AWS::IAM::Role', {
    Description: `ECS agent for ${r.name}: pulls the image, writes logs, reads the declared secrets.`,
    AssumeRolePolicyDocument: trust('ecs-tasks.amazonaws.com'),
    Policies: [
      policy('start-task', [
        { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logGroup.getAtt('Arn') },
        ...(r.ecr
          ? [
              // GetAuthorizationToken has no resource-level permission: it must be `*`.
              // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
              { Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
              {
                Sid: 'PullImage',
                Effect: 'Allow',
                Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
                Resource: sub`arn:${AWS.Partition}:ecr:${r.ecr.region}:${r.ecr.account}:repository/${r.ecr.repository}`,
              },
            ]
          : []),
        ...(ssm.length ? [{ Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: ssm }] : []),
        ...(sm.length ? [{ Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: sm }] : []),
      ]),
    ],
  });
  const statements: Json[] = [];
  if (queue) {
    statements.push(
      { Sid: 'ConsumeQueue', Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'], Resource: queue.queue.getAtt('Arn') },
      { Sid: 'DecryptMessages', Effect: 'Allow', Action: 'kms:Decrypt', Resource: queue.key.getAtt('Arn') },
    );
  }
  if (r.def.enableExecuteCommand) {
    // ECS Exec's Session Manager channels have no resource-level permissions: they must be `*`.
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html#ecs-exec-required-iam-permissions
    statements.push({
      Sid: 'EcsExec',
      Effect: 'Allow',
      Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
      Resource: '*',
    });
  }
  const task = t.resource('TaskRole', 'AWS::IAM::Role', {
    Description: `The ${r.name} application: only what its code needs.`,
    AssumeRolePolicyDocument: trust('ecs-tasks.amazonaws.com'),
    ...(statements.length ? { Policies: [policy('application', statements)] } : {}),
  });
  return { execution, task };
}

function containerDefinition(r: Resolved, image: Intrinsic<'String'>, logGroup: Resource<'AWS::Logs::LogGroup'>) {
  const c = r.def.container;
  const hc = c.healthCheck;
  const environment = Object.entries(c.environment ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const secrets = secretRefs(r);
  return {
    Name: r.name,
    Image: image,
    Essential: true,
    Cpu: c.cpu,
    Memory: c.memoryMiB,
    ...(c.command ? { Command: [...c.command] } : {}),
    ...(c.port !== undefined ? { PortMappings: [{ ContainerPort: c.port, Protocol: 'tcp' }] } : {}),
    ...(environment.length ? { Environment: environment.map(([Name, Value]) => ({ Name, Value })) } : {}),
    ...(secrets.length ? { Secrets: secrets.map((s) => ({ Name: s.name, ValueFrom: s.valueFrom })) } : {}),
    ...(hc
      ? {
          HealthCheck: {
            Command: [...hc.command],
            Interval: hc.intervalSeconds ?? 30,
            Timeout: hc.timeoutSeconds ?? 5,
            Retries: hc.retries ?? 3,
            StartPeriod: hc.startPeriodSeconds ?? 0,
          },
        }
      : {}),
    LogConfiguration: {
      LogDriver: 'awslogs',
      Options: { 'awslogs-group': logGroup.ref, 'awslogs-region': AWS.Region, 'awslogs-stream-prefix': r.name },
    },
    // Hardening: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/security-tasks-containers.html
    ReadonlyRootFilesystem: true,
    MountPoints: r.writable.map((w) => ({ SourceVolume: w.volume, ContainerPath: w.path, ReadOnly: false })),
    User: r.user,
    Privileged: false,
    LinuxParameters: { Capabilities: { Drop: ['ALL'] }, InitProcessEnabled: true },
  };
}

// ---------------------------------------------------------------------------------------------
// Capacity, placement, manual runs

interface StrategyItem {
  readonly CapacityProvider: Value<string>;
  readonly Weight: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * EC2: the cluster's capacity provider. Fargate: FARGATE and FARGATE_SPOT weighted by `spotPercent`.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
 */
function capacityStrategy(r: Resolved, o: OptionalHandles): StrategyItem[] {
  if (!r.fargate) return [{ CapacityProvider: need(o.CapacityProviderName, 'CapacityProviderName').ref, Weight: 1 }];
  const spot = r.spotPercent;
  if (spot === 0) return [{ CapacityProvider: 'FARGATE', Weight: 1 }];
  if (spot === 100) return [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }];
  const g = gcd(100 - spot, spot);
  return [
    { CapacityProvider: 'FARGATE', Weight: (100 - spot) / g },
    { CapacityProvider: 'FARGATE_SPOT', Weight: spot / g },
  ];
}

function placementProps<S extends string, C extends string>(rules: PlacementRules | undefined, strategiesKey: S, constraintsKey: C) {
  const out: Record<string, unknown> = {};
  if (rules?.strategies.length) out[strategiesKey] = rules.strategies;
  if (rules?.constraints.length) out[constraintsKey] = rules.constraints;
  return out as { readonly [K in S]?: PlacementRules['strategies'] } & { readonly [K in C]?: PlacementRules['constraints'] };
}

/** `aws ecs run-task` for one task with the service's network, capacity and placement. */
function runTaskCommand(
  r: Resolved,
  cluster: Intrinsic<'String'>,
  td: Resource<'AWS::ECS::TaskDefinition'>,
  sg: Resource<'AWS::EC2::SecurityGroup'>,
  subnets: Intrinsic<'String'>,
  strategy: readonly StrategyItem[],
): Intrinsic<'String'> {
  const provider = strategy[0]!.CapacityProvider;
  // One flat `Fn::Sub` per capacity type, so the output reads as the command it is. The EC2
  // provider is a parameter (a reference); the Fargate providers are fixed names.
  if (typeof provider !== 'string') {
    const placement = r.placement ? ` ${placementCliOptions(r.placement)}`.trimEnd() : '';
    return sub`aws ecs run-task --region ${AWS.Region} --cluster ${cluster} --task-definition ${td.ref} --count 1 --capacity-provider-strategy capacityProvider=${provider},weight=1 --network-configuration 'awsvpcConfiguration={subnets=[${subnets}],securityGroups=[${sg.ref}],assignPublicIp=DISABLED}'${placement}`;
  }
  const providers = strategy.map((s) => `capacityProvider=${s.CapacityProvider as string},weight=${s.Weight}`).join(' ');
  return sub`aws ecs run-task --region ${AWS.Region} --cluster ${cluster} --task-definition ${td.ref} --count 1 --capacity-provider-strategy ${providers} --platform-version LATEST --network-configuration 'awsvpcConfiguration={subnets=[${subnets}],securityGroups=[${sg.ref}],assignPublicIp=DISABLED}'`;
}

// ---------------------------------------------------------------------------------------------
// Web: target group, listener rule, scaling

function webResources(t: Template, r: Resolved, role: Role<'web'>, vpc: Parameter<'AWS::EC2::VPC::Id'>, o: OptionalHandles, tags: Tags) {
  const hc = role.targetHealthCheck ?? {};
  const targetGroup = t.resource('TargetGroup', 'AWS::ElasticLoadBalancingV2::TargetGroup', {
    // awsvpc tasks have their own network interface: the load balancer targets their IPs.
    TargetType: 'ip',
    VpcId: vpc.ref,
    Protocol: 'HTTP',
    Port: r.def.container.port!,
    HealthCheckEnabled: true,
    HealthCheckProtocol: 'HTTP',
    HealthCheckPath: hc.path ?? '/',
    HealthCheckIntervalSeconds: hc.intervalSeconds ?? 12,
    HealthCheckTimeoutSeconds: hc.timeoutSeconds ?? 5,
    HealthyThresholdCount: hc.healthyThresholdCount ?? 2,
    UnhealthyThresholdCount: hc.unhealthyThresholdCount ?? 3,
    Matcher: { HttpCode: hc.matcher ?? '200' },
    TargetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(DEREGISTRATION_DELAY_SECONDS) }],
    Tags: tags,
  });
  const hosts = role.route.hosts ?? [];
  const paths = role.route.paths ?? [];
  const rule = t.resource('ListenerRule', 'AWS::ElasticLoadBalancingV2::ListenerRule', {
    ListenerArn: need(o.ListenerArn, 'ListenerArn').ref,
    Priority: r.priority!,
    Conditions: [
      ...(hosts.length ? [{ Field: 'host-header', HostHeaderConfig: { Values: [...hosts] } }] : []),
      ...(paths.length ? [{ Field: 'path-pattern', PathPatternConfig: { Values: [...paths] } }] : []),
    ],
    Actions: [{ Type: 'forward', TargetGroupArn: targetGroup.ref }],
  });
  return { targetGroup, rule };
}

const PREDEFINED_METRIC = {
  cpu: 'ECSServiceAverageCPUUtilization',
  memory: 'ECSServiceAverageMemoryUtilization',
  requestsPerTarget: 'ALBRequestCountPerTarget',
} as const;

/** https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html */
function webScaling(
  t: Template,
  r: Resolved,
  scaling: WebScaling,
  target: Resource<'AWS::ApplicationAutoScaling::ScalableTarget'>,
  targetGroup: Resource<'AWS::ElasticLoadBalancingV2::TargetGroup'>,
  o: OptionalHandles,
): void {
  const m = scaling.target;
  t.resource('ScalingPolicy', 'AWS::ApplicationAutoScaling::ScalingPolicy', {
    PolicyName: `${r.name}-${m.metric}-target-tracking`,
    PolicyType: 'TargetTrackingScaling',
    ScalingTargetId: target.ref,
    TargetTrackingScalingPolicyConfiguration: {
      PredefinedMetricSpecification: {
        PredefinedMetricType: PREDEFINED_METRIC[m.metric],
        // Request count is per target group: app/<lb>/<id>/targetgroup/<tg>/<id>.
        ...(m.metric === 'requestsPerTarget' ? { ResourceLabel: sub`${need(o.LoadBalancerFullName, 'LoadBalancerFullName').ref}/${targetGroup.getAtt('TargetGroupFullName')}` } : {}),
      },
      TargetValue: m.metric === 'requestsPerTarget' ? m.requests : m.percent,
      ScaleOutCooldown: 60,
      ScaleInCooldown: 300,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Queue worker: queues and backlog scaling

function queueResources(t: Template, role: Role<'queueWorker'>, tags: Tags): QueueResources {
  const retain = { deletionPolicy: 'Retain', updateReplacePolicy: 'Retain' } as const;
  // A customer managed key (not SQS-managed SSE) so the task role's kms:Decrypt names this key only.
  const key = t.resource(
    'QueueKey',
    'AWS::KMS::Key',
    { Description: 'Encrypts the work queue and its dead-letter queue', EnableKeyRotation: true, KeyPolicy: { Version: '2012-10-17', Statement: baseKeyStatements() }, Tags: tags },
    retain,
  );
  const encryption = { KmsMasterKeyId: key.getAtt('Arn'), KmsDataKeyReusePeriodSeconds: 300 };
  const deadLetter = t.resource(
    'DeadLetterQueue',
    'AWS::SQS::Queue',
    {
      ...encryption,
      MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
      // Marks it as a dead-letter queue. `byQueue` would name the work queue, whose ARN is not
      // known before this queue exists (the work queue's redrive policy names this one).
      RedriveAllowPolicy: { redrivePermission: 'allowAll' },
      Tags: tags,
    },
    retain,
  );
  const queue = t.resource(
    'Queue',
    'AWS::SQS::Queue',
    {
      ...encryption,
      VisibilityTimeout: role.visibilityTimeoutSeconds ?? 300,
      MessageRetentionPeriod: QUEUE_RETENTION_SECONDS,
      ReceiveMessageWaitTimeSeconds: 20, // long polling: fewer empty receives
      RedrivePolicy: { deadLetterTargetArn: deadLetter.getAtt('Arn'), maxReceiveCount: role.maxReceiveCount ?? 5 },
      Tags: tags,
    },
    retain,
  );
  t.resource('QueuePolicy', 'AWS::SQS::QueuePolicy', {
    Queues: [queue.ref, deadLetter.ref],
    PolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sqs:*',
          Resource: [queue.getAtt('Arn'), deadLetter.getAtt('Arn')],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    },
  });
  return { key, queue };
}

/**
 * Target tracking on backlog per task (visible messages / running tasks), as AWS documents it.
 * https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-target-tracking-metric-math.html
 * Target tracking multiplies the current count, so it cannot leave zero tasks: a step policy on an
 * alarm ("messages waiting, no task running") starts the first one.
 */
function backlogScaling(
  t: Template,
  r: Resolved,
  role: Role<'queueWorker'>,
  target: Resource<'AWS::ApplicationAutoScaling::ScalableTarget'>,
  queue: Resource<'AWS::SQS::Queue'>,
  cluster: Intrinsic<'String'>,
  serviceName: Intrinsic<'String'>,
): void {
  const messages = { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: queue.getAtt('QueueName') }] };
  // RunningTaskCount comes from Container Insights, which berth clusters always enable.
  const tasks = {
    Namespace: 'ECS/ContainerInsights',
    MetricName: 'RunningTaskCount',
    Dimensions: [
      { Name: 'ClusterName', Value: cluster },
      { Name: 'ServiceName', Value: serviceName },
    ],
  };
  t.resource('ScalingPolicy', 'AWS::ApplicationAutoScaling::ScalingPolicy', {
    PolicyName: `${r.name}-backlog-per-task`,
    PolicyType: 'TargetTrackingScaling',
    ScalingTargetId: target.ref,
    TargetTrackingScalingPolicyConfiguration: {
      CustomizedMetricSpecification: {
        Metrics: [
          { Id: 'messages', MetricStat: { Metric: messages, Stat: 'Sum' }, ReturnData: false },
          { Id: 'tasks', MetricStat: { Metric: tasks, Stat: 'Average' }, ReturnData: false },
          { Id: 'backlogPerTask', Expression: 'messages / tasks', Label: 'Visible messages per running task', ReturnData: true },
        ],
      },
      TargetValue: role.scaling.messagesPerTask,
      ScaleOutCooldown: 60,
      ScaleInCooldown: 300,
    },
  });
  const wake = t.resource('ScaleFromZeroPolicy', 'AWS::ApplicationAutoScaling::ScalingPolicy', {
    PolicyName: `${r.name}-scale-from-zero`,
    PolicyType: 'StepScaling',
    ScalingTargetId: target.ref,
    StepScalingPolicyConfiguration: {
      AdjustmentType: 'ChangeInCapacity',
      Cooldown: 60,
      MetricAggregationType: 'Maximum',
      StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
    },
  });
  t.resource('ScaleFromZeroAlarm', 'AWS::CloudWatch::Alarm', {
    AlarmDescription: `Messages wait in the ${r.name} queue and no task is running: start one.`,
    Metrics: [
      { Id: 'messages', MetricStat: { Metric: messages, Period: 60, Stat: 'Maximum' }, ReturnData: false },
      { Id: 'tasks', MetricStat: { Metric: tasks, Period: 60, Stat: 'Maximum' }, ReturnData: false },
      { Id: 'idleWithBacklog', Expression: 'IF(FILL(tasks, 0) == 0 AND messages > 0, 1, 0)', Label: 'Backlog with no running task', ReturnData: true },
    ],
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Threshold: 1,
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
    AlarmActions: [wake.ref],
  });
}

// ---------------------------------------------------------------------------------------------
// Scheduled task

interface ScheduleInputs {
  readonly td: Resource<'AWS::ECS::TaskDefinition'>;
  readonly roles: TaskRoles;
  readonly clusterArn: Intrinsic<'String'>;
  readonly awsvpc: { readonly Subnets: Intrinsic<string>; readonly SecurityGroups: readonly Intrinsic<string>[]; readonly AssignPublicIp: 'DISABLED' };
  readonly strategy: readonly StrategyItem[];
}

/**
 * EventBridge Scheduler (default: time zones, one-off retries) or a classic EventBridge rule
 * starting one task per run. https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html
 */
function scheduleResources(t: Template, r: Resolved, role: Role<'scheduled'>, i: ScheduleInputs): void {
  const via = role.via ?? 'scheduler';
  const scheduleRole = t.resource('ScheduleRole', 'AWS::IAM::Role', {
    Description: `Lets ${via === 'scheduler' ? 'EventBridge Scheduler' : 'EventBridge'} start ${r.name} tasks on the cluster.`,
    AssumeRolePolicyDocument: trust(via === 'scheduler' ? 'scheduler.amazonaws.com' : 'events.amazonaws.com'),
    Policies: [
      policy('run-task', [
        { Sid: 'RunTask', Effect: 'Allow', Action: 'ecs:RunTask', Resource: i.td.ref, Condition: { ArnEquals: { 'ecs:cluster': i.clusterArn } } },
        {
          Sid: 'PassTaskRoles',
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: [i.roles.execution.getAtt('Arn'), i.roles.task.getAtt('Arn')],
          Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
      ]),
    ],
  });
  const common = {
    TaskDefinitionArn: i.td.ref,
    TaskCount: 1,
    CapacityProviderStrategy: i.strategy,
    ...(r.fargate ? { PlatformVersion: 'LATEST' } : {}),
  };
  if (via === 'scheduler') {
    t.resource('Schedule', 'AWS::Scheduler::Schedule', {
      Description: `Runs ${r.name}: ${role.schedule}`,
      ScheduleExpression: role.schedule,
      ScheduleExpressionTimezone: role.timeZone ?? 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      State: 'ENABLED',
      Target: {
        Arn: i.clusterArn,
        RoleArn: scheduleRole.getAtt('Arn'),
        EcsParameters: { ...common, NetworkConfiguration: { AwsvpcConfiguration: i.awsvpc }, ...placementProps(r.placement, 'PlacementStrategy', 'PlacementConstraints') },
      },
    });
  } else {
    t.resource('ScheduleRule', 'AWS::Events::Rule', {
      Description: `Runs ${r.name}: ${role.schedule} (UTC)`,
      ScheduleExpression: role.schedule,
      State: 'ENABLED',
      Targets: [
        {
          Id: r.name,
          Arn: i.clusterArn,
          RoleArn: scheduleRole.getAtt('Arn'),
          EcsParameters: { ...common, NetworkConfiguration: { AwsVpcConfiguration: i.awsvpc }, ...placementProps(r.placement, 'PlacementStrategies', 'PlacementConstraints') },
        },
      ],
    });
  }
}
