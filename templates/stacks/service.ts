/**
 * The service stack, one per service of templates/services/: a task definition (read-only,
 * non-root, capability-free container; logs to an encrypted group; separate execution and task
 * roles) and, by role, a web service behind the load balancer, a queue worker with its SQS
 * queues, or a scheduled task. Every stack also outputs the `aws ecs run-task` command for a
 * manual run in the same subnets and security group.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definitions.html
 */
import { AWS, contract, defineStack, Join, output, sub, type Intrinsic, type OutputsOf } from '../../src/dsl/index.ts';
import { backlogScaling, queueResources } from './service/queue-worker.ts';
import { scheduleResources } from './service/scheduled-task.ts';
import { need, sendParameterNames, serviceParameters, type OptionalHandles } from './service/parameters.ts';
import { resolve, type Role, type ServiceStackSettings } from './service/resolve.ts';
import { capacityStrategy, placementProps, runTaskCommand } from './service/task-capacity.ts';
import {
  containerDefinition,
  generatedSecrets,
  hasScratchInit,
  logResources,
  scratchInitContainer,
  securityGroup,
  taskRoles,
  taskVolumes,
  type SendTarget,
} from './service/task-definition.ts';
import { webResources, webScaling } from './service/web-service.ts';
import { storeWiring } from './data/grants.ts';
import { deadLetterAlarm, oldestMessageAlarm, ruleFailedInvocationsAlarm, scheduleDeadLetterAlarm, serviceAlarms, stoppedTaskRule, webDeploymentAlarms, webLatencyAlarm, type AlarmContext } from './service/alarms.ts';
import { serviceWidgetsText } from './service/dashboard-widgets.ts';
import { deploymentConfiguration, loadBalancerEntry } from './service/deployment.ts';
import { rollbackTriggers } from './shared/rollback.ts';
import { alarmTopicArn } from './shared/alarms.ts';
import { loadBalancerOfListener } from './shared/metrics.ts';

export type { ServiceStackSettings } from './service/resolve.ts';

/**
 * The parameters the stack of this service declares, for a parent that nests it: pass only these
 * (a Fargate service has no `CapacityProviderName`, a worker no `ListenerArn`, ...).
 */
export function serviceParameterNames(s: ServiceStackSettings): readonly string[] {
  return Object.keys(serviceParameters(resolve(s)));
}
// ---------------------------------------------------------------------------------------------
// The stack

export const serviceContract = contract({
  name: (s: ServiceStackSettings) => `service-${s.service.name}`,
  description: (s: ServiceStackSettings) => {
    const d = s.service;
    const where = d.capacity.type === 'ec2' ? 'EC2 capacity' : 'Fargate';
    const what = d.role.kind === 'web' ? 'web service behind the load balancer' : d.role.kind === 'queueWorker' ? 'queue worker with SQS queue and dead-letter queue' : `scheduled task (${d.role.schedule})`;
    return `berth service ${d.name} for ${s.settings.name}: ${what} on ${where}.`;
  },
  parameters: (s: ServiceStackSettings) => serviceParameters(resolve(s)),
  outputs: {
    ServiceName: output('String', { description: 'Name of the ECS service (for a scheduled task: the task definition family).' }),
    TaskDefinitionArn: output('String', { description: 'ARN of the task definition revision.' }),
    SecurityGroupId: output('AWS::EC2::SecurityGroup::Id', { description: 'Security group of the tasks (add egress rules to databases here).' }),
    RunTaskCommand: output('String', { description: 'AWS CLI command that runs one task by hand, in the application subnets with this security group.' }),
    QueueUrl: output('String', { description: 'URL of the work queue (queue workers), otherwise `none`.' }),
    QueueArn: output('String', { description: 'ARN of the work queue (queue workers), otherwise `none`.' }),
    DataStores: output('String', {
      description: 'The data stores this service uses, each with its access level and the environment variables it passes to the container (docs/data-stores.md), or `none`.',
    }),
    DashboardWidgets: output('String', { description: "The service's widgets of the environment's dashboard, as JSON array items (the dashboard stack's parameter of this service)." }),
    DeploymentAlarms: output('String', {
      description: 'The alarms that roll a deployment of the service back, as a composite alarm rule (ALARM("...") OR ...), or `none` (scheduled tasks).',
    }),
  },
});

/** What the service stack's `build` returns: a value for each output of its contract. */
export interface ServiceOutputs extends OutputsOf<typeof serviceContract> {}

export const service = defineStack(serviceContract, {
  build(t, p, ss): ServiceOutputs {
    const r = resolve(ss);
    // The handles of the parameters only some services declare (`optionalParameters`), each
    // possibly undefined: `need` takes the ones this service uses.
    const o = p as unknown as OptionalHandles;
    const env = p.EnvironmentName.ref;
    const tags = [
      { Key: 'berth:environment', Value: env },
      { Key: 'berth:service', Value: r.name },
    ];
    const family = sub`${env}-${r.name}`;
    const clusterArn = sub`arn:${AWS.Partition}:ecs:${AWS.Region}:${AWS.AccountId}:cluster/${p.ClusterName.ref}`;

    const logGroup = logResources(t, r, env, tags);
    // The stores it uses, read from the estate registry (declared by `storeParameters`).
    const stores = storeWiring(env, r.name, r.uses, p as unknown as Parameters<typeof storeWiring>[3]);
    const sg = securityGroup(t, r, p.VpcId, o, env, tags, stores.egress);
    stores.admit(t, sg);
    const queue = r.def.role.kind === 'queueWorker' ? queueResources(t, r, r.def.role, env, tags, ss.senders ?? []) : undefined;
    const secrets = generatedSecrets(t, r, env, tags);
    // The queues this service sends to, read from the estate registry (declared by `sendParameters`).
    const handles = p as unknown as Record<string, { ref: Intrinsic<'String'> }>;
    const sends: SendTarget[] = (r.def.sendsTo ?? []).map((h) => {
      const n = sendParameterNames(h.service);
      return { service: h.service, url: handles[n.url]!.ref, arn: handles[n.arn]!.ref, keyArn: handles[n.keyArn]!.ref };
    });
    const roles = taskRoles(t, r, env, logGroup, queue, secrets, sends, stores);
    const app = containerDefinition(r, p.ImageUri.ref, logGroup, secrets.secrets, { own: queue?.queue.ref, sends }, stores);
    const td = t.resource('TaskDefinition', 'AWS::ECS::TaskDefinition', {
      Family: family,
      NetworkMode: 'awsvpc',
      RequiresCompatibilities: [r.fargate ? 'FARGATE' : 'EC2'],
      Cpu: String(r.def.container.cpu),
      Memory: String(r.def.container.memoryMiB),
      ExecutionRoleArn: roles.execution.getAtt('Arn'),
      TaskRoleArn: roles.task.getAtt('Arn'),
      Volumes: taskVolumes(r),
      ContainerDefinitions: hasScratchInit(r) ? [app, scratchInitContainer(r, logGroup)] : [app],
      Tags: tags,
    });

    const strategy = capacityStrategy(r, o);
    // With interface endpoints, the tasks also carry the application tier's group: the endpoints admit it.
    const taskSecurityGroups = o.ApplicationSecurityGroupId ? [sg.ref, o.ApplicationSecurityGroupId.ref] : [sg.ref];
    const awsvpc = { Subnets: p.ApplicationSubnetIds.ref, SecurityGroups: taskSecurityGroups, AssignPublicIp: 'DISABLED' } as const;
    const run = runTaskCommand(r, p.ClusterName.ref, td, o.ApplicationSecurityGroupId ? sub`${sg.ref},${o.ApplicationSecurityGroupId.ref}` : sg.ref, Join(',', p.ApplicationSubnetIds.ref), strategy);
    const queueOutputs = { QueueUrl: queue ? queue.queue.ref : 'none', QueueArn: queue ? queue.queue.getAtt('Arn') : 'none', DataStores: stores.summary };
    const alarms: AlarmContext = { t, r, env, topic: alarmTopicArn(env) };

    if (r.def.role.kind === 'scheduled') {
      const schedule = scheduleResources(t, r, r.def.role, { td, roles, clusterArn, awsvpc, strategy, tags });
      if (schedule.via === 'scheduler') scheduleDeadLetterAlarm(alarms, schedule.deadLetter);
      else ruleFailedInvocationsAlarm(alarms, schedule.rule);
      stoppedTaskRule(alarms, clusterArn, family);
      const widgets = serviceWidgetsText(r, { kind: 'scheduled', schedule });
      return { ServiceName: family, TaskDefinitionArn: td.ref, SecurityGroupId: sg.ref, RunTaskCommand: run, ...queueOutputs, DashboardWidgets: widgets.text, DeploymentAlarms: 'none' };
    }

    const web = r.def.role.kind === 'web' ? webResources(t, r, r.def.role, p.VpcId, o, tags) : undefined;
    const loadBalancer = web ? (o.LoadBalancerFullName?.ref ?? loadBalancerOfListener(need(o.ListenerArn, 'ListenerArn').ref)) : undefined;
    const groups = web ? [web.targetGroup, ...(web.alternateTargetGroup ? [web.alternateTargetGroup] : [])] : [];
    // The alarms a deployment watches exist before the service (it names them).
    const deploymentAlarms = web ? webDeploymentAlarms(alarms, loadBalancer!, groups) : [deadLetterAlarm(alarms, queue!.deadLetter)];
    const svc = t.resource(
      'Service',
      'AWS::ECS::Service',
      {
        Cluster: p.ClusterName.ref,
        TaskDefinition: td.ref,
        // Without auto scaling the template sets the count; with it, scaling owns it (see resolve).
        ...(r.desiredCount !== undefined ? { DesiredCount: need(o.DesiredCount, 'DesiredCount').ref } : {}),
        CapacityProviderStrategy: strategy,
        ...(r.fargate ? { PlatformVersion: 'LATEST' } : {}),
        NetworkConfiguration: { AwsvpcConfiguration: awsvpc },
        ...placementProps(r.placement, 'PlacementStrategies', 'PlacementConstraints'),
        ...(web
          ? {
              LoadBalancers: [loadBalancerEntry(r, web)],
              HealthCheckGracePeriodSeconds: (r.def.role as Role<'web'>).healthCheckGracePeriodSeconds ?? 60,
            }
          : {}),
        DeploymentConfiguration: deploymentConfiguration(r, deploymentAlarms),
        EnableExecuteCommand: r.exec,
        EnableECSManagedTags: true,
        PropagateTags: 'SERVICE',
        Tags: tags,
      },
      // The target group must belong to a load balancer (through the rule) before a service can use
      // it; a traffic-shifting service names its rules, which orders them already.
      { dependsOn: web && !web.testRule ? [web.rule] : [] },
    );

    if (r.scaling) {
      const target = t.resource('ScalableTarget', 'AWS::ApplicationAutoScaling::ScalableTarget', {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: sub`service/${p.ClusterName.ref}/${svc.getAtt('Name')}`,
        MinCapacity: need(o.MinCount, 'MinCount').ref,
        MaxCapacity: need(o.MaxCount, 'MaxCount').ref,
        // No RoleARN: Application Auto Scaling uses its service-linked role for ECS.
      });
      if (r.def.role.kind === 'web' && r.def.role.scaling) webScaling(t, r, r.def.role.scaling, target, web!.targetGroup, o);
      if (r.def.role.kind === 'queueWorker' && queue) backlogScaling(t, r, r.def.role, target, queue.queue, p.ClusterName.ref, svc.getAtt('Name'));
    }

    // The service's other alarms, and its part of the dashboard.
    if (web) webLatencyAlarm(alarms, loadBalancer!, groups);
    if (queue) oldestMessageAlarm(alarms, queue.queue);
    const minimum = r.scaling ? { count: r.scaling.minCount, threshold: need(o.MinCount, 'MinCount').ref } : r.desiredCount !== undefined ? { count: r.desiredCount, threshold: need(o.DesiredCount, 'DesiredCount').ref } : undefined;
    serviceAlarms(alarms, p.ClusterName.ref, svc, minimum);
    rollbackTriggers(t, r.s, deploymentAlarms);
    const widgets = web
      ? serviceWidgetsText(r, { kind: 'web', cluster: p.ClusterName.ref, service: svc, loadBalancer: loadBalancer!, groups })
      : serviceWidgetsText(r, { kind: 'queueWorker', cluster: p.ClusterName.ref, service: svc, queue: queue!.queue, deadLetter: queue!.deadLetter });
    return {
      ServiceName: svc.getAtt('Name'),
      TaskDefinitionArn: td.ref,
      SecurityGroupId: sg.ref,
      RunTaskCommand: run,
      ...queueOutputs,
      DashboardWidgets: widgets.text,
      DeploymentAlarms: Join(' OR ', deploymentAlarms.map((a) => sub`ALARM("${a.ref}")`)),
    };
  },
});
