/**
 * A scheduled task: EventBridge Scheduler or an EventBridge rule that starts one task per run.
 */
import type { Intrinsic, Resource, Template } from '../../../src/dsl/index.ts';
import { estateRole, inlinePolicy, serviceTrust } from '../shared/iam.ts';
import { placementProps, type StrategyItem } from './task-capacity.ts';
import type { Resolved, Role } from './resolve.ts';
import type { TaskRoles } from './task-definition.ts';
export interface ScheduleInputs {
  readonly td: Resource<'AWS::ECS::TaskDefinition'>;
  readonly roles: TaskRoles;
  readonly clusterArn: Intrinsic<'String'>;
  readonly awsvpc: { readonly Subnets: Intrinsic<'List<AWS::EC2::Subnet::Id>'>; readonly SecurityGroups: readonly Intrinsic<'AWS::EC2::SecurityGroup::Id'>[]; readonly AssignPublicIp: 'DISABLED' };
  readonly strategy: readonly StrategyItem[];
}

/**
 * EventBridge Scheduler (default: time zones, one-off retries) or a classic EventBridge rule
 * starting one task per run. https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-targets-templated.html
 */
export function scheduleResources(t: Template, r: Resolved, role: Role<'scheduled'>, i: ScheduleInputs): void {
  const via = role.via ?? 'scheduler';
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
      },
    });
  } else {
    t.resource('ScheduleRule', 'AWS::Events::Rule', {
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
  }
}
