/**
 * How an ECS service runs, in one line each for its overview box: capacity, placement, scaling and
 * deployment, read from the service's properties and the auto scaling resources that point at it.
 */
import { list, obj, type GraphModel, type GraphNode, type Literal, type Obj } from './graph-model.ts';
import { counted, FARGATE_NAMES } from './graph-words.ts';

const lit = (model: GraphModel, n: GraphNode, value: unknown): Literal | undefined => model.literal(n.stack, value);
const props = (model: GraphModel, n: GraphNode): Obj => obj(model.resource(n).Properties);

/** `EC2`, `Fargate`, `Fargate 30 %, Fargate Spot 70 %`, from a capacity provider strategy or launch type. */
export function capacityLine(model: GraphModel, n: GraphNode, p: Obj): string {
  const strategy = list(p.CapacityProviderStrategy).map(obj);
  if (strategy.length > 0) {
    const named = strategy.map((s) => {
      const literal = lit(model, n, s.CapacityProvider);
      const provider = typeof literal === 'string' && FARGATE_NAMES[literal] ? FARGATE_NAMES[literal] : 'EC2 capacity provider';
      return { provider, weight: Number(lit(model, n, s.Weight) ?? 0) };
    });
    const total = named.reduce((sum, s) => sum + s.weight, 0);
    if (named.length === 1 || total === 0) return named.map((s) => s.provider).join(', ');
    return named.map((s) => `${s.provider} ${Math.round((100 * s.weight) / total)} %`).join(', ');
  }
  const launch = lit(model, n, p.LaunchType);
  return typeof launch === 'string' ? (FARGATE_NAMES[launch] ?? launch) : 'cluster default capacity';
}

/** EC2 placement: `spread by AZ, then by instance`, `binpack on memory`, `one task per instance`. */
export function placementLine(model: GraphModel, n: GraphNode, p: Obj): string | undefined {
  const field = (f: unknown) => {
    const value = String(lit(model, n, f) ?? '?');
    return { 'attribute:ecs.availability-zone': 'AZ', instanceId: 'instance', host: 'instance' }[value] ?? value;
  };
  const parts = list(p.PlacementStrategies).map(obj).map((s) => {
    const type = lit(model, n, s.Type);
    if (type === 'spread') return `spread by ${field(s.Field)}`;
    if (type === 'binpack') return `binpack on ${String(lit(model, n, s.Field) ?? '?')}`;
    return String(type ?? '?');
  });
  if (list(p.PlacementConstraints).some((c) => lit(model, n, obj(c).Type) === 'distinctInstance')) parts.push('one task per instance');
  return parts.length > 0 ? `placement: ${parts.join(', then ')}` : undefined;
}

/** `3-12 tasks, CPU at 60 %` from the scalable target and its target-tracking policies. */
export function scalingLine(model: GraphModel, s: GraphNode): { line?: string; nodes: GraphNode[] } {
  const target = model.users(s).find((n) => n.type === 'AWS::ApplicationAutoScaling::ScalableTarget');
  if (!target) return { nodes: [] };
  const policies = model.users(target).filter((n) => n.type === 'AWS::ApplicationAutoScaling::ScalingPolicy');
  const p = props(model, target);
  const tracking: string[] = [];
  let steps = 0;
  for (const policy of policies) {
    const config = obj(props(model, policy).TargetTrackingScalingPolicyConfiguration);
    if (Object.keys(config).length === 0) {
      steps++;
      continue;
    }
    const value = lit(model, policy, config.TargetValue) ?? '?';
    const predefined = String(lit(model, policy, obj(config.PredefinedMetricSpecification).PredefinedMetricType) ?? '');
    const named = { ECSServiceAverageCPUUtilization: 'CPU', ECSServiceAverageMemoryUtilization: 'memory', ALBRequestCountPerTarget: 'requests per target' }[predefined];
    if (named) tracking.push(named === 'requests per target' ? `${value} ${named}` : `${named} at ${value} %`);
    else {
      const custom = obj(config.CustomizedMetricSpecification);
      const returned = list(custom.Metrics).map(obj).find((m) => m.ReturnData !== false) ?? {};
      const label = String(returned.Label ?? custom.MetricName ?? 'a custom metric').replace(/^./, (c) => c.toLowerCase());
      tracking.push(`${value} ${label}`);
    }
  }
  if (steps > 0) tracking.push(tracking.length > 0 ? 'and step scaling' : 'step scaling');
  const min = lit(model, target, p.MinCapacity);
  const max = lit(model, target, p.MaxCapacity);
  const range = min !== undefined && max !== undefined ? `${min}-${max} tasks` : 'auto scaling';
  return { line: tracking.length > 0 ? `${range}: ${tracking.join(', ')}` : range, nodes: [target, ...policies] };
}

/** `2 tasks`: a fixed desired count, when no auto scaling manages it. */
export function desiredLine(model: GraphModel, n: GraphNode, p: Obj): string | undefined {
  const count = lit(model, n, p.DesiredCount);
  return count === undefined ? undefined : counted(Number(count), 'task');
}

/**
 * The deployment: the controller, the strategy with its defaults (rolling, 100 % healthy,
 * 200 % at most) and what rolls it back.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ecs-service-deploymentconfiguration.html
 */
export function deploymentLine(model: GraphModel, n: GraphNode, p: Obj): string {
  const controller = lit(model, n, obj(p.DeploymentController).Type);
  if (controller === 'CODE_DEPLOY') return 'deploy: blue/green by CodeDeploy';
  if (controller === 'EXTERNAL') return 'deploy: external controller';
  const c = obj(p.DeploymentConfiguration);
  const strategy = String(lit(model, n, c.Strategy) ?? 'ROLLING');
  let how: string;
  if (strategy === 'BLUE_GREEN') how = `blue/green, bake ${lit(model, n, c.BakeTimeInMinutes) ?? '?'} min`;
  else if (strategy === 'LINEAR') {
    const l = obj(c.LinearConfiguration);
    how = `linear, ${lit(model, n, l.StepPercent) ?? '?'} % every ${lit(model, n, l.StepBakeTimeInMinutes) ?? '?'} min`;
  } else if (strategy === 'CANARY') {
    const k = obj(c.CanaryConfiguration);
    how = `canary, ${lit(model, n, k.CanaryPercent) ?? '?'} % for ${lit(model, n, k.CanaryBakeTimeInMinutes) ?? '?'} min`;
  } else how = `rolling ${lit(model, n, c.MinimumHealthyPercent) ?? 100}-${lit(model, n, c.MaximumPercent) ?? 200} %`;
  const back: string[] = [];
  const breaker = obj(c.DeploymentCircuitBreaker);
  if (lit(model, n, breaker.Enable) === true && lit(model, n, breaker.Rollback) === true) back.push('failure');
  const alarms = obj(c.Alarms);
  if (lit(model, n, alarms.Enable) === true && lit(model, n, alarms.Rollback) === true) back.push(counted(list(alarms.AlarmNames).length, 'alarm'));
  return `deploy: ${how}${back.length > 0 ? `, rolls back on ${back.join(' or ')}` : ''}`;
}
