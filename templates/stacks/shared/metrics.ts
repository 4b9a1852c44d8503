/**
 * CloudWatch metrics named by the handles of the resources they measure, never by strings: an
 * alarm or a dashboard widget that watches a target group takes the target group's handle, so a
 * renamed or replaced target group cannot leave it watching nothing. The same metric feeds the
 * alarm (templates/stacks/shared/alarms.ts) and the dashboard (templates/stacks/shared/dashboard.ts).
 */
import { Join, Select, Split, type Intrinsic, type Resource, type Value } from '../../../src/dsl/index.ts';

export interface Metric {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: readonly { readonly name: string; readonly value: Value<string> }[];
}

/**
 * A target group's metrics (requests, target 5xx, response time, unhealthy targets) have the
 * dimensions LoadBalancer and TargetGroup, both full names (`app/<name>/<id>`,
 * `targetgroup/<name>/<id>`). https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 */
export function targetGroupMetric(name: string, loadBalancerFullName: Value<string>, targetGroup: Resource<'AWS::ElasticLoadBalancingV2::TargetGroup'>): Metric {
  return {
    namespace: 'AWS/ApplicationELB',
    name,
    dimensions: [
      { name: 'LoadBalancer', value: loadBalancerFullName },
      { name: 'TargetGroup', value: targetGroup.getAtt('TargetGroupFullName') },
    ],
  };
}

/** A load balancer's own metrics (requests, its own 5xx), by its full name. */
export function loadBalancerMetric(name: string, loadBalancerFullName: Value<string>): Metric {
  return { namespace: 'AWS/ApplicationELB', name, dimensions: [{ name: 'LoadBalancer', value: loadBalancerFullName }] };
}

/**
 * An ECS service's CPUUtilization and MemoryUtilization: percent of what its tasks reserve.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/available-metrics.html
 */
export function ecsServiceMetric(name: 'CPUUtilization' | 'MemoryUtilization', cluster: Value<string>, service: Resource<'AWS::ECS::Service'>): Metric {
  return {
    namespace: 'AWS/ECS',
    name,
    dimensions: [
      { name: 'ClusterName', value: cluster },
      { name: 'ServiceName', value: service.getAtt('Name') },
    ],
  };
}

/**
 * Container Insights' per-service metrics (RunningTaskCount, ...), which berth's clusters always
 * turn on. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
 */
export function containerInsightsServiceMetric(name: string, cluster: Value<string>, service: Resource<'AWS::ECS::Service'>): Metric {
  return {
    namespace: 'ECS/ContainerInsights',
    name,
    dimensions: [
      { name: 'ClusterName', value: cluster },
      { name: 'ServiceName', value: service.getAtt('Name') },
    ],
  };
}

/** A queue's metrics, by the queue's name. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html */
export function queueMetric(name: string, queue: Resource<'AWS::SQS::Queue'>): Metric {
  return { namespace: 'AWS/SQS', name, dimensions: [{ name: 'QueueName', value: queue.getAtt('QueueName') }] };
}

/**
 * A load balancer's full name (`app/<name>/<id>`, its metrics' dimension) from one of its
 * listeners' ARNs (`arn:...:listener/app/<name>/<id>/<listener id>`): a service stack has the
 * listener, so it needs no parameter for the name.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html#load-balancer-metric-dimensions-alb
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_Listener.html
 */
export function loadBalancerOfListener(listenerArn: Intrinsic<'String'>): Intrinsic<'String'> {
  const parts = Split('/', listenerArn);
  return Join('/', [Select(1, parts), Select(2, parts), Select(3, parts)]);
}
