/**
 * A queue worker's queues (work queue and dead-letter queue, encrypted with their own key) and
 * its scaling on the backlog per task.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
import { RETAIN, type Intrinsic, type Resource, type Template } from '../../../src/dsl/index.ts';
import { customerKey } from '../shared/kms.ts';
import { DEAD_LETTER_RETENTION_SECONDS, QUEUE_RETENTION_SECONDS, type Resolved, type Role } from './resolve.ts';
import type { QueueResources, Tags } from './task-definition.ts';
export function queueResources(t: Template, role: Role<'queueWorker'>, tags: Tags): QueueResources {
  // A customer managed key (not SQS-managed SSE) so the task role's kms:Decrypt names this key only.
  const key = customerKey(t, 'QueueKey', { description: 'Encrypts the work queue and its dead-letter queue', tags });
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
    RETAIN,
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
    RETAIN,
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
export function backlogScaling(
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
