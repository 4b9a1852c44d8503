/**
 * Task density: can the cluster's EC2 capacity run the estate's EC2 services at their peak? Each
 * environment's build checks, against the instance types of templates/settings/instance-types.ts:
 *
 * - every EC2 task fits the largest instance type the cluster runs (CPU units and memory), or ECS
 *   could never place it;
 * - at `maxSize` instances of the smallest type, the cluster has the CPU, memory and awsvpc network
 *   interfaces for every EC2 service at its peak at once: `maxCount` (or the fixed count) times the
 *   deployment's `maximumPercent`, because a deploy starts the new tasks before it stops the old
 *   ones, and a root stack update deploys every changed service together. A canary, linear or
 *   blue/green deployment runs the new revision at full size beside the old one: twice the count.
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-blue-green.html
 *
 * Each awsvpc task takes a network interface: without ENI trunking, (interfaces - 1) tasks per
 * instance, 2 on a `.large`. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html
 */
import { BerthError, q } from '../../../src/dsl/index.ts';
import { at } from '../../../src/settings/loader.ts';
import { awsvpcTasksPerInstance, cpuUnits, INSTANCE_TYPES, usableMemoryMiB, type InstanceType } from '../../settings/instance-types.ts';
import type { ResolvedSettings } from '../../settings/settings.ts';
import type { ServiceDefinition } from './definition.ts';
import { resolve } from './resolve.ts';
import { definitionFile } from './routing.ts';

/** One EC2 service at its peak. */
export interface PeakTasks {
  readonly service: string;
  readonly tasks: number;
  readonly cpu: number;
  readonly memoryMiB: number;
}

/** The EC2 services' tasks at their peak: scaled ones at maxCount, fixed ones at their count, a scheduled task's one run, each times the deployment surge (twice for traffic shifting). */
export function peakTasks(settings: ResolvedSettings, services: readonly ServiceDefinition[]): PeakTasks[] {
  return services
    .filter((d) => d.capacity.type === 'ec2')
    .map((d) => {
      const r = resolve({ settings, service: d });
      const steady = r.scaling?.maxCount ?? r.desiredCount ?? 1;
      const surge = d.role.kind === 'scheduled' ? 100 : r.shifting ? 200 : (d.maximumPercent ?? 200);
      return { service: d.name, tasks: Math.ceil((steady * surge) / 100), cpu: d.container.cpu, memoryMiB: d.container.memoryMiB };
    });
}

/** Throws a located error when the environment's EC2 capacity cannot hold the EC2 services at their peak. */
export function checkDensity(settings: ResolvedSettings, services: readonly ServiceDefinition[]): void {
  const cap = settings.cluster.capacity;
  if (cap.type !== 'ec2') return;
  const types = cap.instanceTypes.map((t) => INSTANCE_TYPES.get(t)).filter((t): t is InstanceType => t !== undefined);
  if (types.length === 0) return; // the settings check names unknown types
  const largest = types.reduce((a, b) => (cpuUnits(b) * usableMemoryMiB(b) > cpuUnits(a) * usableMemoryMiB(a) ? b : a));
  for (const d of services.filter((x) => x.capacity.type === 'ec2')) {
    for (const [field, need, has, unit] of [
      ['container.cpu', d.container.cpu, cpuUnits(largest), 'CPU units'],
      ['container.memoryMiB', d.container.memoryMiB, usableMemoryMiB(largest), 'MiB'],
    ] as const) {
      if (need > has) {
        throw new BerthError(
          `${definitionFile(d)}: ${field}`,
          `is ${need} ${unit}, more than the largest instance type of ${settings.file} (${q(largest.name)}) offers tasks (${has} ${unit}), so ECS could never place a task. Lower it, or add a larger type to \`cluster.capacity.instanceTypes\`.`,
        );
      }
    }
  }
  const peaks = peakTasks(settings, services);
  if (peaks.length === 0) return;
  // The Auto Scaling group may launch any listed type: count the smallest.
  const smallest = types.reduce((a, b) => (cpuUnits(b) < cpuUnits(a) || (cpuUnits(b) === cpuUnits(a) && usableMemoryMiB(b) < usableMemoryMiB(a)) ? b : a));
  const trunking = cap.awsvpcTrunking ?? false;
  const n = cap.maxSize;
  const sum = (f: (p: PeakTasks) => number) => peaks.reduce((total, p) => total + f(p), 0);
  const listing = peaks.map((p) => `${p.service} ${p.tasks}`).join(', ');
  const fixes = `Raise \`cluster.capacity.maxSize\`, use a larger instance type, lower the services' \`maxCount\` or \`maximumPercent\`${trunking ? '' : ', or turn on ENI trunking (`cluster.capacity.awsvpcTrunking`, with a type that supports it)'}.`;
  const checks = [
    { what: 'awsvpc network interfaces', need: sum((p) => p.tasks), has: n * awsvpcTasksPerInstance(smallest, trunking), per: `${awsvpcTasksPerInstance(smallest, trunking)} tasks per ${smallest.name}${trunking ? ' with ENI trunking' : ' without ENI trunking'}` },
    { what: 'CPU units', need: sum((p) => p.tasks * p.cpu), has: n * cpuUnits(smallest), per: `${cpuUnits(smallest)} per ${smallest.name}` },
    { what: 'MiB of memory', need: sum((p) => p.tasks * p.memoryMiB), has: n * usableMemoryMiB(smallest), per: `${usableMemoryMiB(smallest)} usable per ${smallest.name}` },
  ];
  // One task per instance (`distinctInstance`): a deploy's peak needs that many instances, and a
  // traffic-shifting deployment runs both revisions in full, or it never completes.
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-constraints.html
  for (const d of services.filter((x) => x.capacity.type === 'ec2')) {
    const r = resolve({ settings, service: d });
    const peak = peaks.find((p) => p.service === d.name)!;
    if (!r.placement?.constraints.some((c) => c.Type === 'distinctInstance') || peak.tasks <= n) continue;
    throw new BerthError(
      `${definitionFile(d)}: capacity.placement`,
      `places at most one task per instance (distinctInstance), and a deploy of ${q(d.name)} runs ${peak.tasks} tasks at its peak (${r.shifting ? `its ${r.deployment.strategy} deployment runs both revisions in full` : 'old and new tasks side by side'}), more than the ${n} instances of ${settings.file} (\`cluster.capacity.maxSize\`): the deploy could never complete. Raise \`cluster.capacity.maxSize\` to ${peak.tasks}, lower the service's count${r.shifting ? ', deploy it rolling,' : ' or `maximumPercent`'} or choose another placement.`,
    );
  }
  for (const c of checks) {
    if (c.need > c.has) {
      throw new BerthError(
        at(settings.file, 'cluster.capacity.maxSize'),
        `is ${n}, too few instances for the EC2 services at their peak during a deploy (tasks: ${listing}): they need ${c.need} ${c.what}, and ${n} instances have ${c.has} (${c.per}). ${fixes}`,
      );
    }
  }
}
