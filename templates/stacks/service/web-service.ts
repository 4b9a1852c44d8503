/**
 * A web service's load-balancer side: its target group (the article's health check), its
 * listener rule, and target-tracking auto scaling.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-load-balancing.html
 */
import { sub, type Parameter, type Resource, type Template } from '../../../src/dsl/index.ts';
import type { WebScaling } from './definition.ts';
import { need, type OptionalHandles } from './parameters.ts';
import { DEREGISTRATION_DELAY_SECONDS, type Resolved, type Role } from './resolve.ts';
import type { Tags } from './task-definition.ts';
export function webResources(t: Template, r: Resolved, role: Role<'web'>, vpc: Parameter<'AWS::EC2::VPC::Id'>, o: OptionalHandles, tags: Tags) {
  const hc = role.targetHealthCheck ?? {};
  const targetGroup = t.resource('TargetGroup', 'AWS::ElasticLoadBalancingV2::TargetGroup', {
    // awsvpc tasks have their own network interface: the load balancer targets their IPs.
    TargetType: 'ip',
    VpcId: vpc.ref,
    Protocol: 'HTTP',
    Port: r.def.container.port!,
    HealthCheckEnabled: true,
    HealthCheckProtocol: 'HTTP',
    HealthCheckPath: hc.path ?? '/',
    HealthCheckIntervalSeconds: hc.intervalSeconds ?? 12,
    HealthCheckTimeoutSeconds: hc.timeoutSeconds ?? 5,
    HealthyThresholdCount: hc.healthyThresholdCount ?? 2,
    UnhealthyThresholdCount: hc.unhealthyThresholdCount ?? 3,
    Matcher: { HttpCode: hc.matcher ?? '200' },
    TargetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: String(DEREGISTRATION_DELAY_SECONDS) }],
    Tags: tags,
  });
  // A rule without hosts would match any Host header, so requests for other names that resolve to
  // the load balancer would reach the service; with a domain, match the environment's name. On the
  // load balancer's own DNS name (no domain) there is no name to match.
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#host-conditions
  const domain = r.s.loadBalancer.dns?.domainName;
  const hosts = role.route.hosts?.length ? role.route.hosts : domain ? [domain] : [];
  const paths = role.route.paths ?? [];
  const rule = t.resource('ListenerRule', 'AWS::ElasticLoadBalancingV2::ListenerRule', {
    ListenerArn: need(o.ListenerArn, 'ListenerArn').ref,
    Priority: r.priority!,
    Conditions: [
      ...(hosts.length ? [{ Field: 'host-header', HostHeaderConfig: { Values: [...hosts] } }] : []),
      ...(paths.length ? [{ Field: 'path-pattern', PathPatternConfig: { Values: [...paths] } }] : []),
    ],
    Actions: [{ Type: 'forward', TargetGroupArn: targetGroup.ref }],
  });
  return { targetGroup, rule };
}

const PREDEFINED_METRIC = {
  cpu: 'ECSServiceAverageCPUUtilization',
  memory: 'ECSServiceAverageMemoryUtilization',
  requestsPerTarget: 'ALBRequestCountPerTarget',
} as const;

/** https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-autoscaling-targettracking.html */
export function webScaling(
  t: Template,
  r: Resolved,
  scaling: WebScaling,
  target: Resource<'AWS::ApplicationAutoScaling::ScalableTarget'>,
  targetGroup: Resource<'AWS::ElasticLoadBalancingV2::TargetGroup'>,
  o: OptionalHandles,
): void {
  const m = scaling.target;
  t.resource('ScalingPolicy', 'AWS::ApplicationAutoScaling::ScalingPolicy', {
    PolicyName: `${r.name}-${m.metric}-target-tracking`,
    PolicyType: 'TargetTrackingScaling',
    ScalingTargetId: target.ref,
    TargetTrackingScalingPolicyConfiguration: {
      PredefinedMetricSpecification: {
        PredefinedMetricType: PREDEFINED_METRIC[m.metric],
        // Request count is per target group: app/<lb>/<id>/targetgroup/<tg>/<id>.
        ...(m.metric === 'requestsPerTarget' ? { ResourceLabel: sub`${need(o.LoadBalancerFullName, 'LoadBalancerFullName').ref}/${targetGroup.getAtt('TargetGroupFullName')}` } : {}),
      },
      TargetValue: m.metric === 'requestsPerTarget' ? m.requests : m.percent,
      ScaleOutCooldown: 60,
      ScaleInCooldown: 300,
    },
  });
}
