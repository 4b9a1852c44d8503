/**
 * The Aurora cluster's alarms: what an operator must hear about before users do. Each reads the
 * cluster's metrics by role (writer or readers: the `DBClusterIdentifier` and `Role` dimensions
 * Aurora publishes), so an instance replaced by a failover keeps its alarms.
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/dimensions.html
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.AuroraMonitoring.Metrics.html
 *
 * Each notifies the environment's alarm topic (the operations stack's, read from the estate
 * registry entry `alarm-topic-arn`) on ALARM and on OK, so a recovery is heard as well as the
 * problem. Missing data is not breaching: a Serverless v2 cluster paused at 0 ACUs reports
 * nothing, and that is not an incident.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
import { sub, type Intrinsic, type Template, type Value } from '../../../src/dsl/index.ts';
import { alarm } from '../shared/alarms.ts';
import type { Metric } from '../shared/metrics.ts';
import type { ResolvedAurora } from './resolve.ts';

/** Share of `max_connections` in use that raises the connections alarm. */
export const CONNECTIONS_ALARM_SHARE = 0.8;
/** Share of the instance's memory left that raises the memory alarm. */
export const FREE_MEMORY_ALARM_SHARE = 0.1;
/** CPU percent (average over each minute, five minutes running) that raises the CPU alarms. */
export const CPU_ALARM_PERCENT = 80;
/** Replica lag (milliseconds) that raises the lag alarm: readers serving data this stale. */
export const REPLICA_LAG_ALARM_MS = 2000;
/** Serverless v2: share of the maximum capacity in use, fifteen minutes running, that means it needs more. */
export const CAPACITY_ALARM_PERCENT = 90;

const GIB = 1024 ** 3;

/**
 * The engine's default `max_connections` for an instance of this memory (Serverless v2: at its
 * maximum capacity), as the default parameter groups compute it.
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Managing.html#AuroraPostgreSQL.Managing.MaxConnections
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Managing.Performance.html#AuroraMySQL.Managing.MaxConnections
 */
export function defaultMaxConnections(r: Pick<ResolvedAurora, 'engine' | 'memoryGiB'>): number {
  const bytes = r.memoryGiB * GIB;
  if (r.engine === 'postgresql') return Math.min(Math.floor(bytes / 9_531_392), 5000);
  return Math.min(Math.round(Math.max(Math.log2(bytes / 805_306_368) * 45, Math.log2(bytes / 8_187_281_408) * 1000)), 16_000);
}

interface AlarmSpec {
  readonly id: string;
  readonly description: string;
  readonly metric: string;
  readonly role?: 'WRITER' | 'READER';
  readonly statistic: 'Average' | 'Maximum' | 'Minimum';
  readonly comparison: 'GreaterThanThreshold' | 'LessThanThreshold';
  readonly threshold: number;
  readonly minutes: number;
}

/** The alarm specs for a cluster: CPU, free memory, connections; replica lag with readers; capacity on Serverless v2. */
export function auroraAlarmSpecs(r: ResolvedAurora): AlarmSpec[] {
  const memoryThreshold = Math.round(r.memoryGiB * GIB * FREE_MEMORY_ALARM_SHARE);
  const connections = Math.floor(defaultMaxConnections(r) * CONNECTIONS_ALARM_SHARE);
  const roles: ('WRITER' | 'READER')[] = r.readers > 0 ? ['WRITER', 'READER'] : ['WRITER'];
  const label = (role: string) => (role === 'WRITER' ? 'writer' : 'readers');
  const id = (role: string) => (role === 'WRITER' ? 'Writer' : 'Reader');
  return [
    ...roles.map((role): AlarmSpec => ({
      id: `${id(role)}CpuAlarm`,
      description: `The ${label(role)} of ${r.name} used over ${CPU_ALARM_PERCENT} % CPU for 5 minutes. Look at Performance Insights' top SQL, then scale up (capacity or instance class) or add readers.`,
      metric: 'CPUUtilization',
      role,
      statistic: 'Average',
      comparison: 'GreaterThanThreshold',
      threshold: CPU_ALARM_PERCENT,
      minutes: 5,
    })),
    ...roles.map((role): AlarmSpec => ({
      id: `${id(role)}MemoryAlarm`,
      description: `The ${label(role)} of ${r.name} had under ${Math.round(FREE_MEMORY_ALARM_SHARE * 100)} % of ${r.memoryGiB} GiB free for 5 minutes: queries will spill to disk or connections fail. Look at connections and memory-heavy queries, or scale up.`,
      metric: 'FreeableMemory',
      role,
      statistic: 'Minimum',
      comparison: 'LessThanThreshold',
      threshold: memoryThreshold,
      minutes: 5,
    })),
    {
      id: 'ConnectionsAlarm',
      description: `The writer of ${r.name} held over ${connections} connections (${Math.round(CONNECTIONS_ALARM_SHARE * 100)} % of the default max_connections, ${defaultMaxConnections(r)}) for 5 minutes: new connections will soon be refused. Look for connection leaks or pool sizes times task counts; consider RDS Proxy.`,
      metric: 'DatabaseConnections',
      role: 'WRITER',
      statistic: 'Maximum',
      comparison: 'GreaterThanThreshold',
      threshold: connections,
      minutes: 5,
    },
    ...(r.readers > 0
      ? [
          {
            id: 'ReplicaLagAlarm',
            description: `A reader of ${r.name} lagged the writer by over ${REPLICA_LAG_ALARM_MS} ms for 5 minutes: reads through the reader endpoint are stale. Look at the writer's write load and the readers' CPU.`,
            metric: 'AuroraReplicaLag',
            role: 'READER',
            statistic: 'Maximum',
            comparison: 'GreaterThanThreshold',
            threshold: REPLICA_LAG_ALARM_MS,
            minutes: 5,
          } as const,
        ]
      : []),
    ...(r.capacity.type === 'serverless'
      ? [
          {
            id: 'CapacityAlarm',
            description: `${r.name} ran above ${CAPACITY_ALARM_PERCENT} % of its maximum capacity (${r.capacity.maxAcu} ACUs) for 15 minutes: it cannot scale further. Raise maxAcu (stores.${r.name}.maxAcu) or look at the load.`,
            metric: 'ACUUtilization',
            statistic: 'Average',
            comparison: 'GreaterThanThreshold',
            threshold: CAPACITY_ALARM_PERCENT,
            minutes: 15,
          } as const,
        ]
      : []),
  ];
}

/**
 * Adds the cluster's alarms through the estate's alarm helper (templates/stacks/shared/alarms.ts),
 * as every other stack's: each named `<environment>-<store>-<what>` (prod-appdb-writer-cpu), the
 * name a notification shows; a renamed alarm is only replaced. `topic` is the alarm topic's ARN,
 * told on ALARM and on OK.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html
 */
export function auroraAlarms(t: Template, r: ResolvedAurora, env: Intrinsic<'String'>, clusterId: Intrinsic<'String'>, topic: Value<string>): void {
  for (const a of auroraAlarmSpecs(r)) {
    const metric: Metric = { namespace: 'AWS/RDS', name: a.metric, dimensions: [{ name: 'DBClusterIdentifier', value: clusterId }, ...(a.role ? [{ name: 'Role', value: a.role }] : [])] };
    alarm(t, a.id, {
      name: sub`${env}-${r.name}-${alarmSuffix(a.id)}`,
      description: a.description,
      watch: { metric, stat: a.statistic },
      periodSeconds: 60,
      evaluationPeriods: a.minutes,
      comparison: a.comparison,
      threshold: a.threshold,
      missingData: PAUSED_IS_QUIET,
      topic,
    });
  }
}

/** Missing data: a Serverless v2 cluster paused at 0 ACUs reports nothing. */
const PAUSED_IS_QUIET = { treat: 'notBreaching', because: 'a cluster that reports nothing (Serverless v2 paused at 0 ACUs, an instance being replaced) is not an incident.' } as const;

/** `WriterCpuAlarm` becomes `writer-cpu`: the end of the alarm's name. */
export function alarmSuffix(id: string): string {
  return id.replace(/Alarm$/, '').replace(/[A-Z]/g, (c, i: number) => (i ? '-' : '') + c.toLowerCase());
}
