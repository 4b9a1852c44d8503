/**
 * A scheduled task: EventBridge Scheduler or an EventBridge rule that starts one task per run.
 */
import { RETAIN, type Intrinsic, type Json, type Resource, type Template } from '../../../src/dsl/index.ts';
import { estateRole, inlinePolicy, serviceTrust } from '../shared/iam.ts';
import { customerKey } from '../shared/kms.ts';
import { DEAD_LETTER_RETENTION_SECONDS } from './resolve.ts';
import { placementProps, type StrategyItem } from './task-capacity.ts';
import type { Resolved, Role } from './resolve.ts';
import type { TaskRoles } from './task-definition.ts';
export interface ScheduleInputs {
  readonly td: Resource<'AWS::ECS::TaskDefinition'>;
  readonly roles: TaskRoles;
  readonly clusterArn: Intrinsic<'String'>;
  readonly awsvpc: { readonly Subnets: Intrinsic<'List<AWS::EC2::Subnet::Id>'>; readonly SecurityGroups: readonly Intrinsic<'AWS::EC2::SecurityGroup::Id'>[]; readonly AssignPublicIp: 'DISABLED' };
  readonly strategy: readonly StrategyItem[];
  readonly tags: readonly { readonly Key: string; readonly Value: Intrinsic<'String'> | string }[];
}

/** What a schedule's failures are watched through: Scheduler's dead-letter queue, or the rule (its FailedInvocations metric). */
export type ScheduleResources =
  | { readonly via: 'scheduler'; readonly deadLetter: Resource<'AWS::SQS::Queue'> }
  | { readonly via: 'eventRule'; readonly rule: Resource<'AWS::Events::Rule'> };

/**
 * How long EventBridge Scheduler retries a run it could not start before it gives up and sends it
 * to the dead-letter queue: an hour (its default is a day, after which a nightly job's failure
 * would be heard the next night). https://docs.aws.amazon.com/scheduler/latest/APIReference/API_RetryPolicy.html
 */
export const SCHEDULE_RETRY_SECONDS = 3600;

/**
 * EventBridge Scheduler (default: time zones, one-off retries) or a classic EventBridge rule
 * starting one task per run. https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html
 */
export function scheduleResources(t: Template, r: Resolved, role: Role<'scheduled'>, i: ScheduleInputs): ScheduleResources {
  const via = role.via ?? 'scheduler';
  // Scheduler sends a run it could not start to a dead-letter queue, with the execution role: an
  // encrypted queue of the stack's own, which only that role writes to (nothing redrives into it).
  // https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html
  const key = via === 'scheduler' ? customerKey(t, 'ScheduleDeadLetterKey', { description: `Encrypts the dead-letter queue of ${r.name}'s schedule`, tags: i.tags }) : undefined;
  const deadLetter = key
    ? t.resource(
        'ScheduleDeadLetterQueue',
        'AWS::SQS::Queue',
        { KmsMasterKeyId: key.getAtt('Arn'), MessageRetentionPeriod: DEAD_LETTER_RETENTION_SECONDS, RedriveAllowPolicy: { redrivePermission: 'denyAll' }, Tags: i.tags },
        RETAIN,
      )
    : undefined;
  const deadLetterStatements: Json[] =
    deadLetter && key
      ? [
          { Sid: 'SendFailedRuns', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: deadLetter.getAtt('Arn') },
          { Sid: 'EncryptFailedRuns', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: key.getAtt('Arn') },
        ]
      : [];
  const scheduleRole = t.resource('ScheduleRole', 'AWS::IAM::Role', {
    Description: `Lets ${via === 'scheduler' ? 'EventBridge Scheduler' : 'EventBridge'} start ${r.name} tasks on the cluster.`,
    AssumeRolePolicyDocument: serviceTrust(via === 'scheduler' ? 'scheduler.amazonaws.com' : 'events.amazonaws.com'),
    ...estateRole(t, r.s.name, via === 'scheduler' ? 'scheduler.amazonaws.com' : 'events.amazonaws.com'),
    Policies: [
      inlinePolicy('run-task', [
        { Sid: 'RunTask', Effect: 'Allow', Action: 'ecs:RunTask', Resource: i.td.ref, Condition: { ArnEquals: { 'ecs:cluster': i.clusterArn } } },
        {
          Sid: 'PassTaskRoles',
          Effect: 'Allow',
          Action: 'iam:PassRole',
          Resource: [i.roles.execution.getAtt('Arn'), i.roles.task.getAtt('Arn')],
          Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
        ...deadLetterStatements,
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
        DeadLetterConfig: { Arn: deadLetter!.getAtt('Arn') },
        RetryPolicy: { MaximumEventAgeInSeconds: SCHEDULE_RETRY_SECONDS },
      },
    });
    return { via, deadLetter: deadLetter! };
  }
  const rule = t.resource('ScheduleRule', 'AWS::Events::Rule', {
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
  return { via, rule };
}
