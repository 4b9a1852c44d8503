/**
 * A web service's load-balancer side: its target group (the article's health check), its
 * listener rule, and target-tracking auto scaling.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-load-balancing.html
 */
import { AWS, sub, type Parameter, type Resource, type Template } from '../../../src/dsl/index.ts';
import { estateRole } from '../shared/iam.ts';
import type { WebScaling } from './definition.ts';
import { need, type OptionalHandles } from './parameters.ts';
import { DEREGISTRATION_DELAY_SECONDS, testRulePriority, type Resolved, type Role } from './resolve.ts';
import type { Tags } from './task-definition.ts';
/** The header that sends a request to the test listener rule of a traffic-shifting service (`X-Berth-Test: true`). */
export const TEST_TRAFFIC_HEADER = { name: 'X-Berth-Test', value: 'true' } as const;

export interface WebResources {
  /** The production target group: ECS registers the tasks of the first revision here. */
  readonly targetGroup: Resource<'AWS::ElasticLoadBalancingV2::TargetGroup'>;
  /** Traffic-shifting deployments: the second target group, where ECS registers each new revision in turn. */
  readonly alternateTargetGroup?: Resource<'AWS::ElasticLoadBalancingV2::TargetGroup'>;
  /** The production listener rule. */
  readonly rule: Resource<'AWS::ElasticLoadBalancingV2::ListenerRule'>;
  /** Traffic-shifting deployments: the rule for test traffic, evaluated just before the production rule. */
  readonly testRule?: Resource<'AWS::ElasticLoadBalancingV2::ListenerRule'>;
  /** Traffic-shifting deployments: the role ECS assumes to move traffic between the target groups. */
  readonly infrastructureRole?: Resource<'AWS::IAM::Role'>;
}

export function webResources(t: Template, r: Resolved, role: Role<'web'>, vpc: Parameter<'AWS::EC2::VPC::Id'>, o: OptionalHandles, tags: Tags): WebResources {
  const hc = role.targetHealthCheck ?? {};
  const targetGroupProps = {
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
  } as const;
  const targetGroup = t.resource('TargetGroup', 'AWS::ElasticLoadBalancingV2::TargetGroup', targetGroupProps);
  // A traffic-shifting deployment needs a second target group, identical (ECS alternates between
  // the two: each new revision goes to the one the current revision is not in).
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html
  const alternateTargetGroup = r.shifting ? t.resource('AlternateTargetGroup', 'AWS::ElasticLoadBalancingV2::TargetGroup', targetGroupProps) : undefined;
  // A rule without hosts would match any Host header, so requests for other names that resolve to
  // the load balancer would reach the service; with a domain, match the environment's name. On the
  // load balancer's own DNS name (no domain) there is no name to match.
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html#host-conditions
  const domain = r.s.loadBalancer.dns?.domainName;
  const hosts = role.route.hosts?.length ? role.route.hosts : domain ? [domain] : [];
  const paths = role.route.paths ?? [];
  const conditions = [
    ...(hosts.length ? [{ Field: 'host-header', HostHeaderConfig: { Values: [...hosts] } }] : []),
    ...(paths.length ? [{ Field: 'path-pattern', PathPatternConfig: { Values: [...paths] } }] : []),
  ];
  // Traffic shifting: both rules forward to both target groups, all traffic to the production one
  // at first; ECS then sets the weights. (CloudFormation sets them back to these whenever it
  // changes a rule: docs/operations.md says when that matters.)
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb-resources-for-blue-green.html
  const actions = alternateTargetGroup
    ? [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: targetGroup.ref, Weight: 100 }, { TargetGroupArn: alternateTargetGroup.ref, Weight: 0 }] } }]
    : [{ Type: 'forward', TargetGroupArn: targetGroup.ref }];
  const listener = need(o.ListenerArn, 'ListenerArn').ref;
  const rule = t.resource('ListenerRule', 'AWS::ElasticLoadBalancingV2::ListenerRule', { ListenerArn: listener, Priority: r.priority!, Conditions: conditions, Actions: actions });
  if (!alternateTargetGroup) return { targetGroup, rule };
  // Test traffic reaches the new revision before any production traffic does, for checks of your
  // own: the same route with the test header, evaluated first (the priority just below).
  const testRule = t.resource('TestListenerRule', 'AWS::ElasticLoadBalancingV2::ListenerRule', {
    ListenerArn: listener,
    Priority: testRulePriority(r.priority!),
    Conditions: [...conditions, { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: TEST_TRAFFIC_HEADER.name, Values: [TEST_TRAFFIC_HEADER.value] } }],
    Actions: actions,
  });
  // The role ECS assumes to change the rules' weights and register targets, with AWS's managed
  // policy for it. AWS documents its trust without conditions and does not say that ECS sends
  // aws:SourceAccount when it assumes the role, so the condition applies only if it does
  // (IfExists): a condition ECS cannot meet would fail every deployment at the traffic shift.
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/AmazonECSInfrastructureRolePolicyForLoadBalancers.html
  const infrastructureRole = t.resource('InfrastructureRole', 'AWS::IAM::Role', {
    Description: `Lets ECS move ${r.name}'s load-balancer traffic between its target groups during deployments.`,
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEqualsIfExists: { 'aws:SourceAccount': AWS.AccountId } } }],
    },
    ...estateRole(t, r.s.name, 'ecs.amazonaws.com'),
    ManagedPolicyArns: [sub`arn:${AWS.Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers`],
  });
  return { targetGroup, alternateTargetGroup, rule, testRule, infrastructureRole };
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
