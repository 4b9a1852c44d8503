/**
 * A service definition resolved against its environment: every check of
 * templates/services/<name>.ts and of the environment's `services.<name>` overrides, with located
 * errors, and the defaults filled in. The service stack's modules build from the result.
 */
import { BerthError, q } from '../../../src/dsl/index.ts';
import { checkSchedule } from './schedule-expression.ts';
import { checkFargateSize } from './fargate.ts';
import { checkImage, type ImageReference } from './image.ts';
import { checkEnvironmentVariables } from './environment-variables.ts';
import { placementRules, type PlacementRules } from './placement.ts';
import { definitionFile, priorityOf } from './routing.ts';
import type { ServiceDefinition, ServiceRole, WebScaling } from './definition.ts';
import { storeUses, variableNames, type StoreUse } from '../data/grants.ts';
import type { ResolvedStore } from '../data/resolve.ts';
import type { ResolvedSettings } from '../../settings/settings.ts';
import { resolveDeployment, resolveThresholds, type AlarmThresholds, type Deployment, type ResolvedDeployment } from '../../settings/operations.ts';
export interface ServiceStackSettings {
  readonly settings: ResolvedSettings;
  readonly service: ServiceDefinition;
  /** From `assignPriorities` over the whole estate. @default priorityOf(service.name) */
  readonly listenerRulePriority?: number;
  /** For a queue worker: the services whose `sendsTo` names its queue (their roles may send). @default - none */
  readonly senders?: readonly string[];
  /**
   * The estate's stores, resolved for the environment: those the service `uses` come from here,
   * and a store that is not among them is refused. The root always passes them.
   * @default - the stores are not wired (`uses` is left out): for checks that need none, such as the density check
   */
  readonly stores?: readonly ResolvedStore[];
}

/** @default for `desiredCount` of a service without auto scaling. */
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

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Service names: lower-case words joined by single hyphens (no trailing or double hyphen), up to 28 characters. */
const SERVICE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
/** Generated secrets: Secrets Manager generates 1 to 4,096 characters; fewer than 16 is too guessable. */
const GENERATED_SECRET_LENGTH = { min: 16, max: 4096, default: 48 } as const;

// ---------------------------------------------------------------------------------------------
// Resolving a definition against the environment, with every check

export type Role<K extends ServiceRole['kind']> = Extract<ServiceRole, { kind: K }>;


export interface Resolved {
  readonly s: ResolvedSettings;
  readonly def: ServiceDefinition;
  readonly name: string;
  /** `templates/services/<name>.ts: ` plus a field path. */
  at(path: string): string;
  readonly fargate: boolean;
  readonly spotPercent: number;
  readonly placement?: PlacementRules;
  readonly image: string;
  /** The image parsed: registry, repository, tag, digest, and the ECR repository when it is in ECR. */
  readonly imageRef: ImageReference;
  /** Absent for scheduled tasks and for services with auto scaling (which owns the count). */
  readonly desiredCount?: number;
  readonly scaling?: { readonly minCount: number; readonly maxCount: number };
  readonly writable: readonly { readonly volume: string; readonly path: string }[];
  readonly user: string;
  /** ECS Exec, from the environment's `services.<name>.enableExecuteCommand`. */
  readonly exec: boolean;
  readonly priority?: number;
  /** The stores the service uses (`uses`), resolved, in the order given. */
  readonly uses: readonly StoreUse[];
  /** How the service deploys, with its defaults (see `deploymentOf`). */
  readonly deployment: ResolvedDeployment;
  /** Canary, linear or blue/green: two target groups, and a test listener rule at `priority - 1`. */
  readonly shifting: boolean;
  /** The alarm thresholds, with their defaults. */
  readonly thresholds: Required<AlarmThresholds>;
}

/** The listener-rule priority of a traffic-shifting service's test rule: just before its production rule, so it is evaluated first. */
export function testRulePriority(priority: number): number {
  return priority - 1;
}

/**
 * How a service deploys, and where that was said: the environment's `services.<name>.deployment`,
 * else the definition's `deployment`, else (web services) the environment's
 * `operations.webDeployment`, else rolling. A traffic-shifting strategy for a service without a
 * load balancer is a compile error in a definition, and a located error in an environment file.
 */
export function deploymentOf(s: ResolvedSettings, def: ServiceDefinition): ResolvedDeployment {
  const override = s.services?.[def.name]?.deployment;
  const file = definitionFile(def);
  const [d, at]: [Deployment, (f: string) => string] =
    override !== undefined
      ? [override, (f) => `${s.file}: services.${def.name}.deployment.${f}`]
      : def.deployment !== undefined
        ? [def.deployment, (f) => `${file}: deployment.${f}`]
        : def.role.kind === 'web' && s.operations?.webDeployment !== undefined
          ? [s.operations.webDeployment, (f) => `${s.file}: operations.webDeployment.${f}`]
          : [{ strategy: 'rolling' }, (f) => `${file}: deployment.${f}`];
  if (d.strategy !== 'rolling' && def.role.kind !== 'web') {
    throw new BerthError(
      at('strategy'),
      `is ${q(d.strategy)}, but ${q(def.name)} is a ${def.role.kind === 'queueWorker' ? 'queue worker' : 'scheduled task'}: canary, linear and blue/green deployments move load-balancer traffic between two target groups, and only a web service has a load balancer. Use \`{ "strategy": "rolling" }\`.`,
    );
  }
  return resolveDeployment(at, d);
}

function range(where: string, value: number, min: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BerthError(where, `is ${q(value)}; ${what} must be a whole number from ${min} to ${max}. Change it.`);
  }
}

export function resolve(ss: ServiceStackSettings): Resolved {
  const { settings: s, service: def } = ss;
  const file = () => definitionFile(def);
  const at = (path: string) => `${file()}: ${path}`;
  const override = s.services?.[def.name] ?? {};
  const atOverride = (field: string) => `${s.file}: services.${def.name}.${field}`;
  checkServiceName(at('name'), def.name);
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
  const imageRef = checkImage(override.image !== undefined ? atOverride('image') : at('container.image'), image);

  if (c.port !== undefined) range(at('container.port'), c.port, 1, 65_535, 'the container port');
  if (def.role.kind === 'web' && c.port === undefined) {
    throw new BerthError(at('container.port'), 'is missing: a web service needs the port its container listens on for the load balancer. Set `container.port`.');
  }
  const user = c.user ?? DEFAULT_USER;
  if (/^(root|0)(:|$)/.test(user)) {
    throw new BerthError(at('container.user'), `${q(user)} is root. Containers run as a non-root user: set a UID such as \`1000\` (and make the image work without root).`);
  }
  const exec = override.enableExecuteCommand ?? false;
  const writable = writableVolumes(at, c.writablePaths ?? DEFAULT_WRITABLE_PATHS, exec);
  const uses = ss.stores ? storeUses(at, def.uses ?? [], ss.stores) : [];
  checkEnvironment(at, def, uses);
  if (c.entryPoint !== undefined && c.entryPoint.length === 0) throw new BerthError(at('container.entryPoint'), 'is empty. Remove it to keep the image\'s ENTRYPOINT, or give the program to run, such as `[\'sh\', \'-c\']`.');
  if (c.command !== undefined && c.command.length === 0) throw new BerthError(at('container.command'), 'is empty. Remove it to keep the image\'s CMD, or give the command to run.');
  if (c.healthCheck) {
    const h = c.healthCheck;
    // https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_HealthCheck.html
    if (h.command.length === 0 || !['CMD', 'CMD-SHELL'].includes(h.command[0]!) || h.command.length < 2) {
      throw new BerthError(at('container.healthCheck.command'), `is ${q(JSON.stringify(h.command))}; ECS runs \`['CMD', <program>, ...args]\` or \`['CMD-SHELL', <shell command>]\`. Give your image's own check, such as \`['CMD', '/app/healthcheck']\`.`);
    }
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

  const deployment = deploymentOf(s, def);
  const shifting = deployment.strategy !== 'rolling';
  if (shifting) {
    // ECS's traffic-shifting strategies run the new revision at full size beside the old one;
    // the rolling batch sizes do not apply. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html
    for (const field of ['minimumHealthyPercent', 'maximumPercent'] as const) {
      if (def[field] !== undefined) {
        throw new BerthError(at(field), `is set, but ${q(def.name)} deploys ${deployment.strategy === 'blueGreen' ? 'blue/green' : deployment.strategy}: the new revision starts at full size beside the old one, and \`${field}\` only shapes rolling deployments. Remove it, or deploy the service rolling (\`deployment: { strategy: 'rolling' }\`).`);
      }
    }
  }
  checkRole(at, def.role, shifting);
  if (shifting && def.role.kind === 'web' && def.role.scaling?.target.metric === 'requestsPerTarget') {
    // ALBRequestCountPerTarget names one target group (its ResourceLabel), and ECS moves the
    // service to the other one every other deployment: the policy would then see no requests and
    // scale the service in. https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html
    throw new BerthError(
      at('role.scaling.target.metric'),
      `is \`requestsPerTarget\`, but ${q(def.name)} deploys ${deployment.strategy === 'blueGreen' ? 'blue/green' : deployment.strategy}: request-count scaling watches one target group, and ECS moves the service between two, so every other deployment would leave it watching an empty one. Scale on \`cpu\` or \`memory\`, or deploy rolling.`,
    );
  }
  // With a domain, a route without hosts also matches the domain: one more condition value; a
  // traffic-shifting service's test rule adds its header to the same conditions: one more again.
  const maxPaths = shifting ? 3 : 4;
  if (def.role.kind === 'web' && !def.role.route.hosts?.length && s.loadBalancer.dns && (def.role.route.paths?.length ?? 0) > maxPaths) {
    throw new BerthError(
      at('role.route.paths'),
      `has ${def.role.route.paths!.length} paths, and the rule also matches the environment's host name (${q(s.loadBalancer.dns.domainName)})${shifting ? ' and, for the test rule, its header' : ''}: a listener rule takes at most 5 condition values. Use wildcards (\`/api/*\`) to cover more.`,
    );
  }
  const thresholds = resolveThresholds([
    { at: (f) => `${s.file}: operations.alarms.${f}`, values: s.operations?.alarms },
    { at: (f) => at(`alarms.${f}`), values: def.alarms },
    { at: (f) => atOverride(`alarms.${f}`), values: override.alarms },
  ]);
  const roleScaling = def.role.kind === 'web' ? def.role.scaling : def.role.kind === 'queueWorker' ? def.role.scaling : undefined;
  if (!roleScaling && (override.minCount !== undefined || override.maxCount !== undefined)) {
    throw new BerthError(atOverride(override.minCount !== undefined ? 'minCount' : 'maxCount'), `is set but service ${q(def.name)} has no auto scaling. Remove it, or add \`role.scaling\` to ${file}.`);
  }
  const scaling = roleScaling ? { minCount: override.minCount ?? roleScaling.minCount, maxCount: override.maxCount ?? roleScaling.maxCount } : undefined;
  const scalingAt = (field: 'minCount' | 'maxCount') => (override[field] !== undefined ? atOverride(field) : at(`role.scaling.${field}`));
  const desiredAt = override.desiredCount !== undefined ? atOverride('desiredCount') : at('desiredCount');
  if (scaling && (override.desiredCount ?? def.desiredCount) !== undefined) {
    // A fixed DesiredCount in the template would reset the count auto scaling chose on every
    // stack update. Left out, a new service starts with one task and registering the scalable
    // target raises it to MinCapacity; an update leaves the count alone.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ecs-service.html#cfn-ecs-service-desiredcount
    // https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html
    throw new BerthError(
      desiredAt,
      `is set, but service ${q(def.name)} has auto scaling, which owns the task count: a fixed count would reset it on every stack update. Remove \`desiredCount\`; the service starts at minCount (${scaling.minCount}).`,
    );
  }
  if (def.role.kind === 'scheduled' && (override.desiredCount ?? def.desiredCount) !== undefined) {
    throw new BerthError(desiredAt, `is set, but ${q(def.name)} is a scheduled task: it has no service, and each run starts one task. Remove \`desiredCount\`.`);
  }
  const desiredCount = def.role.kind === 'scheduled' || scaling ? undefined : (override.desiredCount ?? def.desiredCount ?? DEFAULT_DESIRED_COUNT);
  if (desiredCount !== undefined) range(desiredAt, desiredCount, 0, 5000, 'the desired task count');
  if (scaling) {
    range(scalingAt('minCount'), scaling.minCount, 0, 5000, 'the minimum task count');
    range(scalingAt('maxCount'), scaling.maxCount, 1, 5000, 'the maximum task count');
    if (scaling.minCount > scaling.maxCount) {
      throw new BerthError(scalingAt('minCount'), `(${scaling.minCount}) is above maxCount (${scaling.maxCount}). Make minCount <= maxCount.`);
    }
  }
  let priority: number | undefined;
  if (def.role.kind === 'web') {
    priority = ss.listenerRulePriority ?? priorityOf(def.name);
    range(`${file()}: listener rule priority`, priority, 1, 50_000, 'a listener rule priority');
  }
  if (priority !== undefined && shifting && testRulePriority(priority) < 1) {
    throw new BerthError(`${file()}: name`, `gives listener-rule priority ${priority}, which leaves no priority below it for the test rule of a ${deployment.strategy} deployment. Rename the service (the priority follows the name).`);
  }
  return { s, def, name: def.name, at, fargate, spotPercent, placement, image, imageRef, desiredCount, scaling, writable, user, exec, priority, deployment, shifting, thresholds, uses };
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

function checkServiceName(where: string, name: string): void {
  if (name.length > 28 || !SERVICE_NAME.test(name)) {
    throw new BerthError(
      where,
      `${q(name)} is not a valid service name. Use 1 to 28 lower-case letters and digits, starting with a letter, words joined by single hyphens (no trailing or double hyphen): it names the stack file, the log group and IAM roles.`,
    );
  }
}

/** The environment variable a sender gets for each queue it sends to: `WORKER_QUEUE_URL` for `worker`. */
export function queueUrlVariable(service: string): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_QUEUE_URL`;
}

/** The environment variable a queue worker gets for its own queue. */
export const OWN_QUEUE_URL_VARIABLE = 'QUEUE_URL';

function checkEnvironment(at: (p: string) => string, def: ServiceDefinition, uses: readonly StoreUse[]): void {
  const env = def.container.environment ?? {};
  const secrets = def.container.secrets ?? {};
  checkEnvironmentVariables(at, env);
  // Variables berth sets itself: a queue worker's own queue, each queue a service sends to, and
  // what each store it uses passes (docs/data-stores.md).
  const reserved = new Map<string, string>();
  if (def.role.kind === 'queueWorker') reserved.set(OWN_QUEUE_URL_VARIABLE, 'the URL of its own queue');
  for (const h of def.sendsTo ?? []) reserved.set(queueUrlVariable(h.service), `the URL of ${q(h.service)}'s queue (\`sendsTo\`)`);
  for (const u of uses) {
    const names = variableNames(u.store);
    for (const name of [...names.plain, ...names.secret]) reserved.set(name, `a value of store ${q(u.store.name)} (\`uses\`)`);
  }
  for (const name of Object.keys(env)) {
    if (name in secrets) throw new BerthError(at(`container.environment.${name}`), `${q(name)} is both a plain variable and a secret. Keep only the secret.`);
    if (reserved.has(name)) throw new BerthError(at(`container.environment.${name}`), `${q(name)} is set by berth to ${reserved.get(name)}. Remove it, or rename your variable.`);
  }
  for (const [name, source] of Object.entries(secrets)) {
    const where = at(`container.secrets.${name}`);
    if (!ENV_NAME.test(name)) throw new BerthError(where, `${q(name)} is not a valid environment variable name. Use letters, digits and underscores, not starting with a digit.`);
    if (reserved.has(name)) throw new BerthError(where, `${q(name)} is set by berth to ${reserved.get(name)}. Rename the secret.`);
    if ('generated' in source) {
      const length = source.generated.length ?? GENERATED_SECRET_LENGTH.default;
      range(`${where}.generated.length`, length, GENERATED_SECRET_LENGTH.min, GENERATED_SECRET_LENGTH.max, 'the generated secret\'s length');
    } else if ('ssmParameter' in source) {
      // https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-parameter-name-constraints.html
      if (!source.ssmParameter.startsWith('arn:') && !/^\/?[A-Za-z0-9_.\-/{}]{1,1011}$/.test(source.ssmParameter)) {
        throw new BerthError(where, `${q(source.ssmParameter)} is not an SSM parameter name. Use letters, digits and \`_.-/\`, for example \`/berth/{environment}/web/database-password\`, or the parameter's ARN.`);
      }
    } else if (!source.secretsManagerSecret.startsWith('arn:') && !/^[A-Za-z0-9/_+=.@{}-]{1,512}$/.test(source.secretsManagerSecret)) {
      throw new BerthError(where, `${q(source.secretsManagerSecret)} is not a Secrets Manager secret name. Use letters, digits and \`/_+=.@-\`, or the secret's ARN.`);
    }
    const named = 'ssmParameter' in source ? source.ssmParameter : 'secretsManagerSecret' in source ? source.secretsManagerSecret : '';
    const braces = named.replaceAll('{environment}', '');
    if (/[{}]/.test(braces)) throw new BerthError(where, `${q(named)} has a \`{...}\` placeholder other than \`{environment}\`. Use \`{environment}\` (the environment's name) or none.`);
  }
}

function checkRole(at: (p: string) => string, role: ServiceRole, shifting: boolean): void {
  switch (role.kind) {
    case 'web': {
      const hosts = role.route.hosts ?? [];
      const paths = role.route.paths ?? [];
      if (hosts.length + paths.length === 0) {
        throw new BerthError(at('role.route'), 'has no hosts and no paths, so no request would reach the service. Give `hosts` (such as `[\'app.example.com\']`), `paths` (such as `[\'/*\']`), or both.');
      }
      // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html
      const max = shifting ? 4 : 5;
      if (hosts.length + paths.length > max) {
        throw new BerthError(
          at('role.route'),
          `has ${hosts.length + paths.length} hosts and paths; a listener rule takes at most 5 condition values${shifting ? ', and the test rule of a traffic-shifting deployment adds its header to them' : ''}. Use wildcards (\`*.example.com\`, \`/api/*\`) to cover more.`,
        );
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
