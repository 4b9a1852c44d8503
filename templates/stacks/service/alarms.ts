/**
 * A service's alarms: what its users feel (server errors, unhealthy targets, slow answers), whether
 * it runs at all (fewer tasks than its minimum), whether it is about to (CPU and memory near their
 * limits), and for queue workers and scheduled tasks, work that failed or waits. Each notifies the
 * environment's alarm topic on ALARM and on OK; each names what it watches by handle.
 *
 * The deployment alarms (server errors and unhealthy targets of a web service, dead letters of a
 * queue worker) are also what ECS watches during a deployment, rolling it back when one goes off,
 * and what scripts/deploy.sh gives CloudFormation as rollback triggers.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html
 */
import { sub, type Intrinsic, type Resource, type Template, type Value } from '../../../src/dsl/index.ts';
import { alarm, type AlarmProps, type Stat } from '../shared/alarms.ts';
import { containerInsightsServiceMetric, ecsServiceMetric, queueMetric, targetGroupMetric, type Metric } from '../shared/metrics.ts';
import type { Resolved } from './resolve.ts';

type Alarm = Resource<'AWS::CloudWatch::Alarm'>;
type TargetGroup = Resource<'AWS::ElasticLoadBalancingV2::TargetGroup'>;

/** `<environment>-<service>-<signal>`: the name every notification, the console and deploy.sh show. */
export function alarmName(env: Intrinsic<'String'>, service: string, signal: string): Intrinsic<'String'> {
  return sub`${env}-${service}-${signal}`;
}

/** What every alarm of a service shares: where it is, what it notifies. */
export interface AlarmContext {
  readonly t: Template;
  readonly r: Resolved;
  readonly env: Intrinsic<'String'>;
  readonly topic: Value<string>;
}

const make = (c: AlarmContext, logicalId: string, signal: string, props: Omit<AlarmProps, 'name' | 'topic'>): Alarm =>
  alarm(c.t, logicalId, { ...props, name: alarmName(c.env, c.r.name, signal), topic: c.topic });

/** One input per target group: `<prefix>1`, `<prefix>2`, ..., and the sum of their series (a missing one counting 0). */
function acrossGroups(prefix: string, metric: (tg: TargetGroup) => Metric, stat: Stat, groups: readonly TargetGroup[]) {
  const inputs = Object.fromEntries(groups.map((tg, i) => [`${prefix}${i + 1}`, { metric: metric(tg), stat }]));
  const sum = groups.map((_, i) => `FILL(${prefix}${i + 1}, 0)`).join(' + ');
  return { inputs, sum: groups.length > 1 ? `(${sum})` : sum };
}

/**
 * A web service's deployment alarms, over every target group it has (a traffic-shifting
 * deployment puts the new revision in the other one, and its errors must count).
 */
export function webDeploymentAlarms(c: AlarmContext, loadBalancer: Value<string>, groups: readonly TargetGroup[]): Alarm[] {
  const th = c.r.thresholds;
  const requests = acrossGroups('requests', (tg) => targetGroupMetric('RequestCount', loadBalancer, tg), 'Sum', groups);
  const errors = acrossGroups('errors', (tg) => targetGroupMetric('HTTPCode_Target_5XX_Count', loadBalancer, tg), 'Sum', groups);
  // Express Mode's shape: a share of failed requests in 2 of 3 one-minute periods. Only the
  // tasks' 5xx: 4xx are mostly clients' mistakes, and the load balancer's own 5xx are the load
  // balancer stack's alarm. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/express-service-update-full.html
  const errorRate = make(c, 'TargetErrorRateAlarm', 'target-5xx-rate', {
    description: `${c.r.name} answers more than ${th.targetErrorRatePercent} % of its requests with a server error (5xx) in 2 of 3 minutes: users see failures. It rolls a deployment back. Look at the service's log group (/berth/<environment>/${c.r.name}) around the alarm time, and at its latest deployment.`,
    watch: {
      expression: `IF(${requests.sum} > 0, 100 * ${errors.sum} / ${requests.sum}, 0)`,
      label: 'Server errors of the tasks (% of requests)',
      inputs: { ...requests.inputs, ...errors.inputs },
    },
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    comparison: 'GreaterThanThreshold',
    threshold: th.targetErrorRatePercent,
    // The load balancer reports request metrics only while requests flow.
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
    missingData: { treat: 'notBreaching', because: 'the load balancer reports nothing while no requests arrive, and no requests means no failed ones.' },
  });
  const unhealthyMetric = (tg: TargetGroup) => targetGroupMetric('UnHealthyHostCount', loadBalancer, tg);
  const unhealthy = acrossGroups('unhealthy', unhealthyMetric, 'Maximum', groups);
  const unhealthyTargets = make(c, 'UnhealthyTargetsAlarm', 'unhealthy-targets', {
    description: `${c.r.name} has ${th.unhealthyTargets} or more targets failing the load balancer's health check for 3 minutes: tasks are up but do not answer ${c.r.def.role.kind === 'web' ? (c.r.def.role.targetHealthCheck?.path ?? '/') : '/'} as expected. It rolls a deployment back. Look at the target group's health reasons (aws elbv2 describe-target-health) and the service's log group.`,
    watch: groups.length === 1 ? { metric: unhealthyMetric(groups[0]!), stat: 'Maximum' } : { expression: unhealthy.sum, label: 'Unhealthy targets', inputs: unhealthy.inputs },
    periodSeconds: 60,
    evaluationPeriods: 3,
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: th.unhealthyTargets,
    missingData: { treat: 'notBreaching', because: 'a target group without registered targets reports nothing; the running-tasks alarm covers a service with no tasks.' },
  });
  return [errorRate, unhealthyTargets];
}

/** A web service's slow answers: the 99th percentile of its targets' response time. */
export function webLatencyAlarm(c: AlarmContext, loadBalancer: Value<string>, groups: readonly TargetGroup[]): Alarm {
  const th = c.r.thresholds;
  const metric = (tg: TargetGroup) => targetGroupMetric('TargetResponseTime', loadBalancer, tg);
  // Percentiles do not add up: with two target groups, the slower of the two.
  const watch =
    groups.length === 1
      ? { metric: metric(groups[0]!), stat: 'p99' as const }
      : { expression: `MAX([${groups.map((_, i) => `FILL(latency${i + 1}, 0)`).join(', ')}])`, label: 'p99 response time (s)', inputs: Object.fromEntries(groups.map((tg, i) => [`latency${i + 1}`, { metric: metric(tg), stat: 'p99' as const }])) };
  return make(c, 'ResponseTimeAlarm', 'response-time-p99', {
    description: `1 % of ${c.r.name}'s requests take longer than ${th.responseTimeP99Seconds} s (99th percentile of the targets' response time) for 5 minutes: users wait. Look at the service's CPU and memory, its dependencies (databases, queues, other services) and its log group.`,
    watch,
    periodSeconds: 60,
    evaluationPeriods: 5,
    comparison: 'GreaterThanThreshold',
    threshold: th.responseTimeP99Seconds,
    missingData: { treat: 'notBreaching', because: 'the load balancer reports no response time while no requests arrive.' },
  });
}

/**
 * A service's capacity: fewer tasks running than its minimum (skipped when the minimum is 0), and
 * CPU or memory near what the tasks reserve.
 */
export function serviceAlarms(c: AlarmContext, cluster: Value<string>, service: Resource<'AWS::ECS::Service'>, minimum: { readonly count: number; readonly threshold: Value<number> } | undefined): Alarm[] {
  const th = c.r.thresholds;
  const out: Alarm[] = [];
  if (minimum && minimum.count > 0) {
    out.push(
      make(c, 'RunningTasksAlarm', 'running-tasks-low', {
        description: `${c.r.name} runs fewer tasks than its minimum for 5 minutes: capacity is short or tasks keep stopping. Look at the service's events and stopped tasks (aws ecs describe-services, aws ecs list-tasks --desired-status STOPPED), the cluster's capacity, and the service's log group.`,
        // The most tasks seen in each minute: a deployment or a replacement briefly runs fewer.
        watch: { metric: containerInsightsServiceMetric('RunningTaskCount', cluster, service), stat: 'Maximum' },
        periodSeconds: 60,
        evaluationPeriods: 5,
        comparison: 'LessThanThreshold',
        threshold: minimum.threshold,
        missingData: { treat: 'breaching', because: 'Container Insights reports every running service each minute, so silence means nothing runs, or the metrics stopped.' },
      }),
    );
  }
  const utilization = (id: string, signal: string, name: 'CPUUtilization' | 'MemoryUtilization', percent: number, what: string) =>
    make(c, id, signal, {
      description: `${c.r.name}'s tasks use more than ${percent} % of their ${what} on average for 10 minutes: requests slow down${what === 'memory' ? ', and a task that reaches its limit is stopped' : ''}. Look at the service's scaling (is it at its maximum?) and its log group; raise the task's ${what === 'memory' ? 'memoryMiB' : 'cpu'} or its maximum count.`,
      watch: { metric: ecsServiceMetric(name, cluster, service), stat: 'Average' },
      periodSeconds: 60,
      evaluationPeriods: 10,
      comparison: 'GreaterThanThreshold',
      threshold: percent,
      missingData: { treat: 'notBreaching', because: 'a service with no running task reports no utilization; the running-tasks alarm covers it.' },
    });
  out.push(utilization('CpuAlarm', 'cpu-high', 'CPUUtilization', th.cpuPercent, 'CPU'));
  out.push(utilization('MemoryAlarm', 'memory-high', 'MemoryUtilization', th.memoryPercent, 'memory'));
  return out;
}

/**
 * SQS stops reporting a queue's metrics after 6 hours without messages or calls: a dead-letter
 * queue left with messages in it would then look empty. Keeping the alarm's state keeps it in
 * ALARM until someone handles them.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/monitoring-using-cloudwatch.html
 */
const DEAD_LETTERS_MISSING = { treat: 'ignore', because: 'SQS stops reporting a queue after 6 hours without activity, even with messages in it, so the alarm keeps its state until the messages are handled.' } as const;

/** What the dead-letter alarms watch: the first message in the queue, within a minute. */
function anyMessageIn(deadLetter: Resource<'AWS::SQS::Queue'>) {
  return {
    watch: { metric: queueMetric('ApproximateNumberOfMessagesVisible', deadLetter), stat: 'Maximum' },
    periodSeconds: 60,
    evaluationPeriods: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    missingData: DEAD_LETTERS_MISSING,
  } as const;
}

/** A queue worker's deployment alarm: messages that failed `maxReceiveCount` times. */
export function deadLetterAlarm(c: AlarmContext, deadLetter: Resource<'AWS::SQS::Queue'>): Alarm {
  return make(c, 'DeadLettersAlarm', 'dead-letters', {
    description: `Messages reached ${c.r.name}'s dead-letter queue: they failed ${c.r.def.role.kind === 'queueWorker' ? (c.r.def.role.maxReceiveCount ?? 5) : 5} times and will not be retried. It rolls a deployment back. Look at the worker's log group for the errors, then redrive or delete the messages (aws sqs start-message-move-task).`,
    ...anyMessageIn(deadLetter),
  });
}

/** A queue worker falling behind: the oldest message has waited too long. */
export function oldestMessageAlarm(c: AlarmContext, queue: Resource<'AWS::SQS::Queue'>): Alarm {
  const th = c.r.thresholds;
  return make(c, 'OldestMessageAlarm', 'oldest-message', {
    description: `A message has waited more than ${th.oldestMessageAgeSeconds} s in ${c.r.name}'s queue for 5 minutes: the worker falls behind or fails to consume. Look at the worker's task count and scaling (is it at its maximum?), its log group, and the queue's backlog.`,
    watch: { metric: queueMetric('ApproximateAgeOfOldestMessage', queue), stat: 'Maximum' },
    periodSeconds: 60,
    evaluationPeriods: 5,
    comparison: 'GreaterThanThreshold',
    threshold: th.oldestMessageAgeSeconds,
    missingData: { treat: 'notBreaching', because: 'SQS stops reporting an idle, empty queue, which has no old message.' },
  });
}

/** A scheduled task's runs that EventBridge Scheduler could not start: they land in its dead-letter queue. */
export function scheduleDeadLetterAlarm(c: AlarmContext, deadLetter: Resource<'AWS::SQS::Queue'>): Alarm {
  return make(c, 'FailedRunsAlarm', 'failed-runs', {
    description: `EventBridge Scheduler could not start a run of ${c.r.name} (RunTask failed until the retries ran out): the run did not happen. The message in the schedule's dead-letter queue says why (aws sqs receive-message); look at the cluster's capacity and the schedule role's permissions.`,
    ...anyMessageIn(deadLetter),
  });
}

/** A scheduled task's runs that its EventBridge rule could not start. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-monitoring.html */
export function ruleFailedInvocationsAlarm(c: AlarmContext, rule: Resource<'AWS::Events::Rule'>): Alarm {
  return make(c, 'FailedRunsAlarm', 'failed-runs', {
    description: `The EventBridge rule of ${c.r.name} could not start a run (RunTask failed): the run did not happen. Look at the cluster's capacity and the schedule role's permissions; CloudTrail has the failed RunTask call.`,
    // The rule's name: on the default event bus, Ref returns it. https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-events-rule.html
    watch: { metric: { namespace: 'AWS/Events', name: 'FailedInvocations', dimensions: [{ name: 'RuleName', value: rule.ref }] }, stat: 'Sum' },
    periodSeconds: 60,
    evaluationPeriods: 1,
    comparison: 'GreaterThanOrEqualToThreshold',
    threshold: 1,
    missingData: { treat: 'notBreaching', because: 'EventBridge reports failed invocations only when there are some.' },
  });
}

/**
 * A scheduled task that stopped with an error: an EventBridge rule on ECS's task state changes
 * (the task's family, stopped, a container that exited non-zero or a task that never started)
 * sends a message to the alarm topic, saying which task and why. It is an event, not an alarm:
 * each failed run is heard once, and there is no OK to send.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html
 */
export function stoppedTaskRule(c: AlarmContext, clusterArn: Value<string>, family: Value<string>): Resource<'AWS::Events::Rule'> {
  return c.t.resource('FailedTaskRule', 'AWS::Events::Rule', {
    Description: `Tells the alarm topic when a run of ${c.r.name} stops with an error.`,
    State: 'ENABLED',
    EventPattern: {
      source: ['aws.ecs'],
      'detail-type': ['ECS Task State Change'],
      detail: {
        clusterArn: [clusterArn],
        group: [sub`family:${family}`],
        lastStatus: ['STOPPED'],
        $or: [{ containers: { exitCode: [{ 'anything-but': 0 }] } }, { stopCode: ['TaskFailedToStart'] }],
      },
    },
    Targets: [
      {
        Id: 'alarm-topic',
        Arn: c.topic,
        InputTransformer: {
          InputPathsMap: { task: '$.detail.taskArn', reason: '$.detail.stoppedReason', code: '$.detail.stopCode', at: '$.time' },
          // <name> placeholders are EventBridge's, filled from InputPathsMap.
          InputTemplate: sub`"${c.r.name} (${c.env}): a scheduled run stopped with an error at <at> (<code>: <reason>). Task <task>. Look at its log group /berth/${c.env}/${c.r.name} and at aws ecs describe-tasks."`,
        },
      },
    ],
  });
}
