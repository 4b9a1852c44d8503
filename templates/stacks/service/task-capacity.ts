/**
 * Where a service's tasks run: the capacity-provider strategy, the placement rules, and the
 * ready `aws ecs run-task` command for a manual run with the same network and capacity.
 */
import { AWS, sub, type Intrinsic, type Resource, type Value } from '../../../src/dsl/index.ts';
import { placementCliOptions, type PlacementRules } from './placement.ts';
import { need, type OptionalHandles } from './parameters.ts';
import type { Resolved } from './resolve.ts';
export interface StrategyItem {
  readonly CapacityProvider: Value<string>;
  readonly Weight: number;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * EC2: the cluster's capacity provider. Fargate: FARGATE and FARGATE_SPOT weighted by `spotPercent`.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-capacity-providers.html
 */
export function capacityStrategy(r: Resolved, o: OptionalHandles): StrategyItem[] {
  if (!r.fargate) return [{ CapacityProvider: need(o.CapacityProviderName, 'CapacityProviderName').ref, Weight: 1 }];
  const spot = r.spotPercent;
  if (spot === 0) return [{ CapacityProvider: 'FARGATE', Weight: 1 }];
  if (spot === 100) return [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }];
  const g = gcd(100 - spot, spot);
  return [
    { CapacityProvider: 'FARGATE', Weight: (100 - spot) / g },
    { CapacityProvider: 'FARGATE_SPOT', Weight: spot / g },
  ];
}

export function placementProps<S extends string, C extends string>(rules: PlacementRules | undefined, strategiesKey: S, constraintsKey: C) {
  const out: Record<string, unknown> = {};
  if (rules?.strategies.length) out[strategiesKey] = rules.strategies;
  if (rules?.constraints.length) out[constraintsKey] = rules.constraints;
  return out as { readonly [K in S]?: PlacementRules['strategies'] } & { readonly [K in C]?: PlacementRules['constraints'] };
}

/** `aws ecs run-task` for one task with the service's network, capacity and placement. */
export function runTaskCommand(
  r: Resolved,
  cluster: Intrinsic<'String'>,
  td: Resource<'AWS::ECS::TaskDefinition'>,
  /** The task's security groups, comma-separated. */
  securityGroups: Value<string>,
  subnets: Value<string>,
  strategy: readonly StrategyItem[],
): Intrinsic<'String'> {
  const provider = strategy[0]!.CapacityProvider;
  // One flat `Fn::Sub` per capacity type, so the output reads as the command it is. The EC2
  // provider is a parameter (a reference); the Fargate providers are fixed names.
  if (typeof provider !== 'string') {
    const placement = r.placement ? ` ${placementCliOptions(r.placement)}`.trimEnd() : '';
    return sub`aws ecs run-task --region ${AWS.Region} --cluster ${cluster} --task-definition ${td.ref} --count 1 --capacity-provider-strategy capacityProvider=${provider},weight=1 --network-configuration 'awsvpcConfiguration={subnets=[${subnets}],securityGroups=[${securityGroups}],assignPublicIp=DISABLED}'${placement}`;
  }
  const providers = strategy.map((s) => `capacityProvider=${s.CapacityProvider as string},weight=${s.Weight}`).join(' ');
  return sub`aws ecs run-task --region ${AWS.Region} --cluster ${cluster} --task-definition ${td.ref} --count 1 --capacity-provider-strategy ${providers} --platform-version LATEST --network-configuration 'awsvpcConfiguration={subnets=[${subnets}],securityGroups=[${securityGroups}],assignPublicIp=DISABLED}'`;
}
