/**
 * The service's `DeploymentConfiguration` and, for a traffic-shifting strategy, its load balancer
 * entry's `AdvancedConfiguration`: ECS's native deployments, which every deployment of the service
 * follows (CloudFormation updates, `aws ecs update-service`, the console).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecs-service-deploymentconfiguration.html
 */
import type { Resource } from '../../../src/dsl/index.ts';
import type { Resolved } from './resolve.ts';
import type { WebResources } from './web-service.ts';

/**
 * The strategy, its traffic steps and bake time, and the alarms ECS watches: when one goes to
 * ALARM during the deployment (and its bake), ECS rolls back to the last revision that completed.
 * The circuit breaker (tasks that fail to start or stay unhealthy) exists for rolling deployments
 * only; the traffic-shifting ones run the new revision at full size, check it, and shift traffic
 * only to healthy tasks. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-alarm-failure.html
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html
 */
export function deploymentConfiguration(r: Resolved, alarms: readonly Resource<'AWS::CloudWatch::Alarm'>[]) {
  const watch = alarms.length ? { Alarms: { AlarmNames: alarms.map((a) => a.ref), Enable: true, Rollback: true } } : {};
  const d = r.deployment;
  switch (d.strategy) {
    case 'rolling':
      return {
        // Named, not left out: a service switched back from a traffic-shifting strategy must be told.
        Strategy: 'ROLLING' as const,
        // Roll back to the last working task definition when new tasks keep failing.
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: r.def.minimumHealthyPercent ?? 100,
        MaximumPercent: r.def.maximumPercent ?? 200,
        ...watch,
      };
    case 'canary':
      return { Strategy: 'CANARY' as const, CanaryConfiguration: { CanaryPercent: d.canaryPercent, CanaryBakeTimeInMinutes: d.canaryBakeTimeMinutes }, BakeTimeInMinutes: d.bakeTimeMinutes, ...watch };
    case 'linear':
      return { Strategy: 'LINEAR' as const, LinearConfiguration: { StepPercent: d.stepPercent, StepBakeTimeInMinutes: d.stepBakeTimeMinutes }, BakeTimeInMinutes: d.bakeTimeMinutes, ...watch };
    case 'blueGreen':
      // BakeTimeInMinutes is required for BLUE_GREEN. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeploymentConfiguration.html
      return { Strategy: 'BLUE_GREEN' as const, BakeTimeInMinutes: d.bakeTimeMinutes, ...watch };
  }
}

/**
 * The service's load balancer entry: the production target group, and for traffic shifting the
 * alternate one, both listener rules and the role ECS moves traffic with.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecs-service-advancedconfiguration.html
 */
export function loadBalancerEntry(r: Resolved, web: WebResources) {
  return {
    ContainerName: r.name,
    ContainerPort: r.def.container.port!,
    TargetGroupArn: web.targetGroup.ref,
    ...(web.alternateTargetGroup
      ? {
          AdvancedConfiguration: {
            AlternateTargetGroupArn: web.alternateTargetGroup.ref,
            ProductionListenerRule: web.rule.ref,
            TestListenerRule: web.testRule!.ref,
            RoleArn: web.infrastructureRole!.getAtt('Arn'),
          },
        }
      : {}),
  };
}
