/**
 * A queue worker's queues (work queue and dead-letter queue, encrypted with their own key) and
 * its scaling on the backlog per task.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 */
import { AWS, RETAIN, sub, type Intrinsic, type Json, type Resource, type Template } from '../../../src/dsl/index.ts';
import { customerKey } from '../shared/kms.ts';
import { publish } from '../shared/registry.ts';
import { RETAIN_EXCEPT_ON_CREATE } from '../shared/retention.ts';
import { DEAD_LETTER_RETENTION_SECONDS, QUEUE_RETENTION_SECONDS, type Resolved, type Role } from './resolve.ts';
import { taskRoleName } from '../shared/iam.ts';
import type { QueueResources, Tags } from './task-definition.ts';

/** The work queue's name: `<environment>-<service>` (SQS allows 80 characters; these are at most 49). */
export function queueName(env: Intrinsic<'String'>, service: string): Intrinsic<'String'> {
  return sub`${env}-${service}`;
}

/**
 * The key policy statement that admits the roles of the services sending to this queue: through
 * SQS only, from this account only, and only those roles (by name, in any IAM path). The roles
 * are named, not referenced: the senders' stacks are created after this one (they read the
 * queue's URL from the registry), and a key policy may not name a principal that does not exist
 * yet, so the roles appear in a condition, under a `*` principal, as in AWS managed keys' policies.
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
 */
function senderStatement(env: Intrinsic<'String'>, senders: readonly string[]): Json {
  return {
    Sid: 'SendersThroughSqs',
    Effect: 'Allow',
    Principal: { AWS: '*' },
    Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
    Resource: '*',
    Condition: {
      StringEquals: { 'kms:CallerAccount': AWS.AccountId, 'kms:ViaService': sub`sqs.${AWS.Region}.amazonaws.com` },
      ArnLike: {
        'aws:PrincipalArn': senders.flatMap((s) => [
          sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/${taskRoleName(env, s)}`,
          sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/*/${taskRoleName(env, s)}`,
        ]),
      },
    },
  };
}

export function queueResources(t: Template, r: Resolved, role: Role<'queueWorker'>, env: Intrinsic<'String'>, tags: Tags, senders: readonly string[]): QueueResources {
  // A customer managed key (not SQS-managed SSE) so the task role's kms:Decrypt names this key
  // only, and the senders are admitted by name.
  const key = customerKey(t, 'QueueKey', {
    description: 'Encrypts the work queue and its dead-letter queue',
    statements: senders.length ? [senderStatement(env, senders)] : [],
    tags,
    ...(senders.length
      ? {
          checkovSkips: [
            {
              id: 'CKV_AWS_33',
              comment: `The \`*\` principal is limited by conditions to this account, to calls through SQS, and to the task roles of ${senders.join(', ')} (their \`sendsTo\`); those roles are created after the key, so the policy cannot name them as principals.`,
            },
          ],
        }
      : {}),
  });
  const encryption = { KmsMasterKeyId: key.getAtt('Arn'), KmsDataKeyReusePeriodSeconds: 300 };
  const name = queueName(env, r.name);
  const deadLetter = t.resource(
    'DeadLetterQueue',
    'AWS::SQS::Queue',
    {
      ...encryption,
      MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS,
      // Only the work queue may move messages here. Its ARN is built from its fixed name: a
      // reference would be circular, since the work queue's redrive policy names this queue.
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
      RedriveAllowPolicy: { redrivePermission: 'byQueue', sourceQueueArns: [sub`arn:${AWS.Partition}:sqs:${AWS.Region}:${AWS.AccountId}:${name}`] },
      Tags: tags,
    },
    RETAIN,
  );
  const queue = t.resource(
    'Queue',
    'AWS::SQS::Queue',
    {
      // A fixed name (see DeadLetterQueue), so RetainExceptOnCreate: a failed first create leaves
      // no queue behind to block the retry. (SQS frees a deleted queue's name after 60 seconds.)
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_DeleteQueue.html
      QueueName: name,
      ...encryption,
      VisibilityTimeout: role.visibilityTimeoutSeconds ?? 300,
      MessageRetentionPeriod: QUEUE_RETENTION_SECONDS,
      ReceiveMessageWaitTimeSeconds: 20, // long polling: fewer empty receives
      RedrivePolicy: { deadLetterTargetArn: deadLetter.getAtt('Arn'), maxReceiveCount: role.maxReceiveCount ?? 5 },
      Tags: tags,
    },
    RETAIN_EXCEPT_ON_CREATE,
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
  // The estate registry: the senders' stacks read the queue from here (templates/stacks/shared/registry.ts).
  publish(t, 'QueueUrlParameter', env, `services/${r.name}/queue-url`, queue.ref, `URL of the ${r.name} work queue, for the services that send to it.`);
  publish(t, 'QueueArnParameter', env, `services/${r.name}/queue-arn`, queue.getAtt('Arn'), `ARN of the ${r.name} work queue, for the services that send to it.`);
  publish(t, 'QueueKeyArnParameter', env, `services/${r.name}/queue-key-arn`, key.getAtt('Arn'), `ARN of the key of the ${r.name} work queue, for the services that send to it.`);
  return { key, queue, deadLetter };
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
