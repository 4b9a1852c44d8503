/**
 * Fargate task sizes: only these CPU / memory pairs are accepted by Fargate, so berth checks them
 * when the stack is built instead of letting `RegisterTaskDefinition` fail mid-deploy.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
 */
import { BerthError, q } from '../../../src/dsl/index.ts';

/** Memory range (MiB) and step allowed with one CPU value. */
export interface FargateMemoryRange {
  readonly minMiB: number;
  readonly maxMiB: number;
  readonly stepMiB: number;
}

/**
 * CPU units (1024 = 1 vCPU) to the memory Fargate allows with them, as the table at the URL above
 * lists them (8 and 16 vCPU need Linux platform version 1.4.0 or later, which `LATEST` is).
 */
export const FARGATE_TASK_SIZES: { readonly [cpu: number]: FargateMemoryRange | readonly number[] } = {
  256: [512, 1024, 2048],
  512: { minMiB: 1024, maxMiB: 4096, stepMiB: 1024 },
  1024: { minMiB: 2048, maxMiB: 8192, stepMiB: 1024 },
  2048: { minMiB: 4096, maxMiB: 16384, stepMiB: 1024 },
  4096: { minMiB: 8192, maxMiB: 30720, stepMiB: 1024 },
  8192: { minMiB: 16384, maxMiB: 61440, stepMiB: 4096 },
  16384: { minMiB: 32768, maxMiB: 122880, stepMiB: 8192 },
};

/** The memory values (MiB) Fargate accepts with `cpu`, or none for a CPU value it does not offer. */
export function fargateMemoryOptions(cpu: number): readonly number[] {
  const allowed = FARGATE_TASK_SIZES[cpu];
  if (allowed === undefined) return [];
  if (Array.isArray(allowed)) return allowed as readonly number[];
  const { minMiB, maxMiB, stepMiB } = allowed as FargateMemoryRange;
  return Array.from({ length: (maxMiB - minMiB) / stepMiB + 1 }, (_, i) => minMiB + i * stepMiB);
}

function describe(cpu: number): string {
  const allowed = FARGATE_TASK_SIZES[cpu]!;
  if (Array.isArray(allowed)) return (allowed as readonly number[]).join(', ');
  const { minMiB, maxMiB, stepMiB } = allowed as FargateMemoryRange;
  return `${minMiB} to ${maxMiB} in steps of ${stepMiB}`;
}

/**
 * Throws a located `BerthError` unless `cpu` / `memoryMiB` is a pair Fargate accepts.
 * `where` names the definition, for example `templates/services/worker.ts: container`.
 */
export function checkFargateSize(where: string, cpu: number, memoryMiB: number): void {
  const cpus = Object.keys(FARGATE_TASK_SIZES).map(Number);
  if (!cpus.includes(cpu)) {
    throw new BerthError(
      `${where}.cpu`,
      `${q(cpu)} CPU units is not a Fargate task size. Fargate offers ${cpus.join(', ')} CPU units ` +
        '(1024 = 1 vCPU, see https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size). Pick one of them.',
    );
  }
  if (!fargateMemoryOptions(cpu).includes(memoryMiB)) {
    throw new BerthError(
      `${where}.memoryMiB`,
      `${q(memoryMiB)} MiB is not valid with ${cpu} CPU units on Fargate. With ${cpu} CPU units Fargate accepts ${describe(cpu)} MiB. ` +
        'Change `memoryMiB` to one of them, or change `cpu`.',
    );
  }
}
