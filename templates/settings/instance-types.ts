/**
 * What berth knows about EC2 instance types: the ones it allows for container instances, with
 * the figures the build's density check needs, and the architecture of a type name.
 *
 * Sources (all AWS documentation):
 * - vCPUs, memory and network interfaces per type, the "Instance specifications" and "Network
 *   specifications" tables: https://docs.aws.amazon.com/ec2/latest/instancetypes/gp.html (m, t),
 *   https://docs.aws.amazon.com/ec2/latest/instancetypes/co.html (c),
 *   https://docs.aws.amazon.com/ec2/latest/instancetypes/mo.html (r).
 * - Tasks per container instance with the `awsvpc` network mode: each task takes a network
 *   interface of its own and the instance keeps its primary one, so without ENI trunking an
 *   instance runs (interfaces - 1) awsvpc tasks; with trunking (the `awsvpcTrunking` account
 *   setting, Nitro types of the listed families only) it runs the per-type limit ECS publishes:
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/eni-trunking-supported-instance-types.html
 * - CPU units: ECS registers 1,024 per vCPU. Memory: ECS registers what the operating system
 *   reports, which is less than the nominal size (the kernel and the agent keep some); berth counts
 *   90 % of it, a conservative figure for the ECS-optimized Amazon Linux 2023 AMI:
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/memory-management.html
 *
 * To allow another type, add its family (or size) here with the figures from those pages.
 */

export type Architecture = 'x86_64' | 'arm64';

export interface InstanceType {
  readonly name: string;
  readonly vcpus: number;
  readonly memoryGiB: number;
  /** Maximum network interfaces of the type (the primary one included). */
  readonly maxEnis: number;
  /** Tasks per instance with ENI trunking, or `undefined` when the type does not support trunking. */
  readonly trunkTaskLimit?: number;
  readonly architecture: Architecture;
}

/** Share of the nominal memory the density check counts as available to tasks. */
export const USABLE_MEMORY_SHARE = 0.9;

/** Network interfaces and trunking task limits by size, the same across the Nitro m, c and r families below. */
const SIZES = {
  medium: { vcpus: 1, maxEnis: 2, trunk: 4 },
  large: { vcpus: 2, maxEnis: 3, trunk: 10 },
  xlarge: { vcpus: 4, maxEnis: 4, trunk: 20 },
  '2xlarge': { vcpus: 8, maxEnis: 4, trunk: 40 },
  '4xlarge': { vcpus: 16, maxEnis: 8, trunk: 60 },
} as const;
type Size = keyof typeof SIZES;

interface Family {
  readonly memoryPerVcpuGiB: number;
  readonly architecture: Architecture;
  readonly trunking: boolean;
  readonly sizes: readonly Size[];
}

const M = { memoryPerVcpuGiB: 4, sizes: ['large', 'xlarge', '2xlarge', '4xlarge'] } as const;
const C = { memoryPerVcpuGiB: 2, sizes: ['large', 'xlarge', '2xlarge', '4xlarge'] } as const;
const R = { memoryPerVcpuGiB: 8, sizes: ['large', 'xlarge', '2xlarge', '4xlarge'] } as const;
const GRAVITON = ['medium', 'large', 'xlarge', '2xlarge', '4xlarge'] as const;
const X86 = { architecture: 'x86_64', trunking: true } as const;
const ARM = { architecture: 'arm64', trunking: true } as const;

/** The Nitro general purpose, compute and memory optimized families berth allows, with trunking support. */
const FAMILIES: Readonly<Record<string, Family>> = {
  m5: { ...M, ...X86 },
  m5a: { ...M, ...X86 },
  m6i: { ...M, ...X86 },
  m6a: { ...M, ...X86 },
  m7i: { ...M, ...X86 },
  c5: { ...C, ...X86 },
  c5a: { ...C, ...X86 },
  c6i: { ...C, ...X86 },
  c6a: { ...C, ...X86 },
  c7i: { ...C, ...X86 },
  r5: { ...R, ...X86 },
  r5a: { ...R, ...X86 },
  r6i: { ...R, ...X86 },
  r6a: { ...R, ...X86 },
  r7i: { ...R, ...X86 },
  m6g: { ...M, ...ARM, sizes: GRAVITON },
  m7g: { ...M, ...ARM, sizes: GRAVITON },
  c6g: { ...C, ...ARM, sizes: GRAVITON },
  c7g: { ...C, ...ARM, sizes: GRAVITON },
  r6g: { ...R, ...ARM, sizes: GRAVITON },
  r7g: { ...R, ...ARM, sizes: GRAVITON },
};

/**
 * Burstable types: their own memory and interface figures, and no ENI trunking (ECS does not list
 * the t families). Fine for small, quiet estates; their CPU credits run out under steady load.
 */
const BURSTABLE: readonly InstanceType[] = (['t3', 't3a', 't4g'] as const).flatMap((family) => {
  const architecture: Architecture = family === 't4g' ? 'arm64' : 'x86_64';
  return [
    { size: 'small', vcpus: 2, memoryGiB: 2, maxEnis: 3 },
    { size: 'medium', vcpus: 2, memoryGiB: 4, maxEnis: 3 },
    { size: 'large', vcpus: 2, memoryGiB: 8, maxEnis: 3 },
    { size: 'xlarge', vcpus: 4, memoryGiB: 16, maxEnis: 4 },
    { size: '2xlarge', vcpus: 8, memoryGiB: 32, maxEnis: 4 },
  ].map(({ size, ...t }) => ({ name: `${family}.${size}`, ...t, architecture }));
});

/** Every instance type berth allows, by name. */
export const INSTANCE_TYPES: ReadonlyMap<string, InstanceType> = new Map(
  [
    ...Object.entries(FAMILIES).flatMap(([family, f]) =>
      f.sizes.map((size): InstanceType => {
        const s = SIZES[size];
        return { name: `${family}.${size}`, vcpus: s.vcpus, memoryGiB: s.vcpus * f.memoryPerVcpuGiB, maxEnis: s.maxEnis, trunkTaskLimit: f.trunking ? s.trunk : undefined, architecture: f.architecture };
      }),
    ),
    ...BURSTABLE,
  ].map((t) => [t.name, t]),
);

/** CPU units ECS registers for the type. */
export function cpuUnits(t: InstanceType): number {
  return t.vcpus * 1024;
}

/** Memory (MiB) the density check counts as available to tasks. */
export function usableMemoryMiB(t: InstanceType): number {
  return Math.floor(t.memoryGiB * 1024 * USABLE_MEMORY_SHARE);
}

/** awsvpc tasks one instance of the type runs, with or without ENI trunking. */
export function awsvpcTasksPerInstance(t: InstanceType, trunking: boolean): number {
  return trunking && t.trunkTaskLimit !== undefined ? t.trunkTaskLimit : t.maxEnis - 1;
}

/** Up to three allowed types closest in spelling to `name`, for "did you mean". */
export function similarInstanceTypes(name: string): string[] {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    return d[a.length]![b.length]!;
  };
  return [...INSTANCE_TYPES.keys()]
    .map((t) => [t, distance(name, t)] as const)
    .filter(([, d]) => d <= 2)
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, 3)
    .map(([t]) => t);
}

/** The families berth allows, for messages: `m5, m5a, ... (large to 4xlarge), t3, ...`. */
export function allowedFamilies(): string {
  return [...new Set([...INSTANCE_TYPES.keys()].map((t) => t.split('.')[0]))].join(', ');
}

/**
 * Graviton instance types (`m7g.large`, `c6gn.xlarge`, `t4g.small`, `a1.medium`) need the arm64 AMI.
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html (the `g` attribute)
 */
export function isArm64InstanceType(instanceType: string): boolean {
  return INSTANCE_TYPES.get(instanceType)?.architecture === 'arm64' || /^(a1|[a-z]+\d+g[a-z-]*)\./.test(instanceType);
}
