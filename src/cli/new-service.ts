/**
 * The text of a new service module, `berth new service <name> --kind web|worker|scheduled
 * [--fargate]`: typed with `defineService`, commented field by field, and complete, so it builds
 * and lints clean as written (test/cli-new.test.ts builds and lints one of each kind). The images
 * are the example estate's public ones (ECR Public: no credentials, no rate limit, multi-arch, and
 * each runs as a non-root user on a read-only root filesystem, as berth runs every container);
 * the comments say what to replace. An environment that cannot pull them (VPC interface endpoints)
 * gets an image in its Region's ECR instead: see new-image.ts.
 */

/** Where a service module (in templates/services/) imports `defineService` from. */
const DEFINITION_MODULE = '../stacks/service/definition.ts';

export const SERVICE_KINDS = ['web', 'worker', 'scheduled'] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

/** Each kind's example image (ECR Public: see the file comment). */
export const EXAMPLE_IMAGES: Record<ServiceKind, string> = {
  web: 'public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine',
  worker: 'public.ecr.aws/aws-cli/aws-cli:2.17.62',
  scheduled: 'public.ecr.aws/docker/library/busybox:1.36.1',
};

/** Words a service's variable cannot be: JavaScript's reserved words, and `services` (the list in index.ts). */
const TAKEN = new Set(
  'break case catch class const continue debugger default delete do else enum export extends false finally for function if implements import in instanceof interface let new null package private protected public return services static super switch this throw true try typeof var void while with yield await'.split(' '),
);

/** The variable a module exports for service `name`: `billing-api` -> `billingApi`. */
export function serviceVariable(name: string): string {
  const camel = name.replace(/-+([a-z0-9])/g, (_, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9_$]/g, '_');
  return TAKEN.has(camel) || !/^[A-Za-z_$]/.test(camel) ? `${camel.replace(/^(?=\d)/, '_')}Service` : camel;
}

/** The `capacity` field, commented. */
function capacity(fargate: boolean, kind: ServiceKind): string {
  if (fargate) {
    return kind === 'worker'
      ? `  // Fargate: AWS runs the tasks, no instances to manage. spotPercent puts that share of tasks on
  // interruptible FARGATE_SPOT (up to 70 % cheaper): fine for a worker, whose unfinished message
  // returns to the queue after its visibility timeout.
  capacity: { type: 'fargate', spotPercent: 0 },`
      : `  // Fargate: AWS runs the tasks, no instances to manage. cpu and memoryMiB must be a pair Fargate
  // offers: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
  capacity: { type: 'fargate' },`;
  }
  return `  // The cluster's EC2 instances (the environment's cluster.capacity), tasks spread across
  // Availability Zones, then instances. Other presets: 'azBalancedBinpack', 'binpack', 'oneTaskPerHost'.
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-strategies.html
  capacity: { type: 'ec2', placement: { preset: 'azBalancedSpread' } },`;
}

function web(name: string, fargate: boolean): string {
  return `  // NGINX's unprivileged build: listens on 8080 as uid 101 (no capability needed), answers / with 200.
  // Replace it with your application's image, by tag or digest (never \`latest\`), and its port.
  // https://gallery.ecr.aws/nginx/nginx-unprivileged
  container: {
    image: '${EXAMPLE_IMAGES.web}',
    // Task size: 1024 CPU units = 1 vCPU.
    cpu: 256,
    memoryMiB: 512,
    port: 8080,
    // The Linux user the container runs as (never root).
    user: '101',
    // Plain settings; credentials go in \`secrets\` (an SSM parameter, a Secrets Manager secret, or
    // \`{ generated: {} }\` for a random one the stack creates).
    environment: {},
  },
  role: {
    kind: 'web',
    // The load balancer sends requests for these paths (and/or \`hosts\`) to this service.
    route: { paths: ['/${name}/*'] },
    // The load balancer's check of each task: HTTP 200 on / every 12 seconds.
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html
    targetHealthCheck: { path: '/', intervalSeconds: 12, matcher: '200' },
    healthCheckGracePeriodSeconds: 60,
${
  fargate
    ? `    // Target tracking on CPU: between 1 and 4 tasks, adding tasks above 60 % average CPU.
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html
    scaling: { minCount: 1, maxCount: 4, target: { metric: 'cpu', percent: 60 } },
  },`
    : `  },
  // One task to start with (two during a deploy), which fits beside the example services on the
  // example's small dev cluster: on EC2 every task takes a network interface of an instance, and
  // the build checks the cluster can hold every service at its peak. With room to spare, scale on
  // CPU instead: remove desiredCount and add to role
  //   scaling: { minCount: 2, maxCount: 4, target: { metric: 'cpu', percent: 60 } },
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html
  desiredCount: 1,`
}`;
}

function worker(fargate: boolean): string {
  return `  // The AWS CLI v2: the loop below long-polls the queue (QUEUE_URL, set by berth) and deletes each
  // message, with the task role's credentials. Replace the image and command with your worker.
  // https://gallery.ecr.aws/aws-cli/aws-cli
  container: {
    image: '${EXAMPLE_IMAGES.worker}',
    // Task size: 1024 CPU units = 1 vCPU.
    cpu: 256,
    memoryMiB: 512,
    entryPoint: ['sh', '-c'],
    command: [
      'while true; do ' +
        'aws sqs receive-message --queue-url "$QUEUE_URL" --wait-time-seconds 20 --max-number-of-messages 10 --query "Messages[].ReceiptHandle" --output text | tr "\\\\t" "\\\\n" | ' +
        'while read -r handle; do [ -n "$handle" ] && [ "$handle" != None ] && aws sqs delete-message --queue-url "$QUEUE_URL" --receipt-handle "$handle"; done; ' +
        'done',
    ],
    // The root filesystem is read-only: the CLI's cache goes to the writable /tmp.
    environment: { HOME: '/tmp', AWS_PAGER: '' },
  },
  role: {
    kind: 'queueWorker',
    // A received message is hidden this long; unfinished, it returns to the queue.
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
    visibilityTimeoutSeconds: 300,
    // Receives before a message moves to the dead-letter queue.
    maxReceiveCount: 5,
${
  fargate
    ? `    // Scaled on the backlog: one task per 100 visible messages, between 1 and 4 tasks.
    scaling: { minCount: 1, maxCount: 4, messagesPerTask: 100 },`
    : `    // Scaled on the backlog: one task per 100 visible messages, none when the queue is empty, at
    // most 1 (two during a deploy), which fits beside the example services on the example's small
    // dev cluster: on EC2 every task takes a network interface of an instance, and the build checks
    // the cluster can hold every service at its peak. Raise maxCount when the cluster has room.
    scaling: { minCount: 0, maxCount: 1, messagesPerTask: 100 },`
}
  },`;
}

function scheduled(name: string): string {
  return `  // BusyBox: prints a line to the task's log and exits 0. Replace the image and command with your job.
  // https://gallery.ecr.aws/docker/library/busybox
  container: {
    image: '${EXAMPLE_IMAGES.scheduled}',
    // Task size: 1024 CPU units = 1 vCPU.
    cpu: 256,
    memoryMiB: 512,
    command: ['sh', '-c', 'echo "${name}: run at $(date -u +%FT%TZ)"'],
    environment: { TZ: 'UTC' },
  },
  role: {
    kind: 'scheduled',
    // Every day at 04:00 in timeZone; or \`rate(15 minutes)\`. Each run is one task that exits when done.
    // https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
    schedule: 'cron(0 4 * * ? *)',
    via: 'scheduler',
    timeZone: 'UTC',
  },`;
}

const WHAT: Record<ServiceKind, string> = {
  web: 'a web service behind the load balancer',
  worker: 'a queue worker with its SQS queue and dead-letter queue',
  scheduled: 'a scheduled task, started by EventBridge Scheduler',
};

/** One line: what the scaffold is, for the module's comment and the CLI's output. */
export function describeService(kind: ServiceKind, fargate: boolean): string {
  return `${WHAT[kind]}, on ${fargate ? 'Fargate' : 'the cluster\'s EC2 capacity'}`;
}

/** The module text of a new service. */
export function serviceModule(name: string, kind: ServiceKind, fargate: boolean): string {
  const body = kind === 'web' ? web(name, fargate) : kind === 'worker' ? worker(fargate) : scheduled(name);
  return `/**
 * ${name}: ${describeService(kind, fargate)}.
 * Written by \`berth new service\`; yours to edit. Every field is typed: your editor completes and
 * checks them, and \`make build\` type-checks before it writes output/<env>/service-${name}.yaml.
 * Fields and defaults: docs/services.md; per-environment overrides: \`services.${name}\` in
 * templates/environments/<env>.json.
 */
import { defineService } from '${DEFINITION_MODULE}';

export const ${serviceVariable(name)} = defineService({
  // Names the stack (service-${name}.yaml), the log group (/berth/<env>/${name}) and the IAM roles.
  name: '${name}',
${capacity(fargate, kind)}
${body}
});
`;
}

/**
 * index.ts with the service added to its list (an import after the last import, the variable at
 * the end of the `services` array), or `undefined` when the file has no such array (an index that
 * discovers its modules needs no registration).
 */
export function registerService(index: string, name: string): string | undefined {
  const list = /(export const services\b[^=]*=\s*\[)([^\]]*)(\])/.exec(index);
  if (!list) return undefined;
  const variable = serviceVariable(name);
  const items = list[2]!;
  const multiline = items.includes('\n');
  const trimmed = items.replace(/[\s,]*$/, '');
  const added = multiline ? `${trimmed}${trimmed.trim() ? ',' : ''}\n  ${variable},\n` : `${trimmed}${trimmed.trim() ? ', ' : ''}${variable}`;
  const withList = index.slice(0, list.index) + list[1] + added + list[3] + index.slice(list.index + list[0].length);
  const line = `import { ${variable} } from './${name}.ts';\n`;
  const imports = [...withList.matchAll(/^import .*;\n/gm)];
  const at = imports.length ? imports.at(-1)!.index! + imports.at(-1)![0].length : 0;
  return withList.slice(0, at) + line + withList.slice(at);
}
