/**
 * Task placement presets, named as in the ECS console, turned into the strategies and constraints
 * an `AWS::ECS::Service`, an EventBridge target or `aws ecs run-task` take. Placement exists only
 * on EC2 capacity: on Fargate, AWS places tasks itself, and `ServiceCapacity` has no field for it.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-placement-strategies.html
 */
import { BerthError } from '../../../src/dsl/index.ts';
import type { Placement } from './definition.ts';

/** ECS's own limits. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-quotas.html */
export const MAX_PLACEMENT_STRATEGIES = 5;
export const MAX_PLACEMENT_CONSTRAINTS = 10;

export interface StrategyItem {
  readonly Type: 'spread' | 'binpack' | 'random';
  readonly Field?: string;
}
export interface ConstraintItem {
  readonly Type: 'memberOf' | 'distinctInstance';
  readonly Expression?: string;
}

export interface PlacementRules {
  readonly strategies: readonly StrategyItem[];
  readonly constraints: readonly ConstraintItem[];
}

/** Spreading on this attribute balances tasks across Availability Zones. */
const AZ_SPREAD: StrategyItem = { Type: 'spread', Field: 'attribute:ecs.availability-zone' };

/** @default { preset: 'azBalancedSpread' }, as the console's default for a service. */
export const DEFAULT_PLACEMENT: Placement = { preset: 'azBalancedSpread' };

/**
 * The rules of a preset. `where` locates the placement in its definition for messages, for
 * example `templates/services/web.ts: capacity.placement`.
 */
export function placementRules(where: string, placement: Placement = DEFAULT_PLACEMENT): PlacementRules {
  switch (placement.preset) {
    case 'azBalancedSpread':
      return { strategies: [AZ_SPREAD, { Type: 'spread', Field: 'instanceId' }], constraints: [] };
    case 'azBalancedBinpack':
      return { strategies: [AZ_SPREAD, { Type: 'binpack', Field: 'memory' }], constraints: [] };
    case 'binpack':
      return { strategies: [{ Type: 'binpack', Field: 'memory' }], constraints: [] };
    case 'oneTaskPerHost':
      return { strategies: [], constraints: [{ Type: 'distinctInstance' }] };
    case 'custom':
      return customRules(where, placement);
  }
}

function customRules(where: string, placement: Extract<Placement, { preset: 'custom' }>): PlacementRules {
  const constraints = placement.constraints ?? [];
  if (placement.strategies.length === 0 && constraints.length === 0) {
    throw new BerthError(where, 'the `custom` preset has no strategies and no constraints. Add at least one, or use a named preset such as `azBalancedSpread`.');
  }
  if (placement.strategies.length > MAX_PLACEMENT_STRATEGIES) {
    throw new BerthError(`${where}.strategies`, `has ${placement.strategies.length} strategies; ECS allows at most ${MAX_PLACEMENT_STRATEGIES} per service. Remove some.`);
  }
  if (constraints.length > MAX_PLACEMENT_CONSTRAINTS) {
    throw new BerthError(`${where}.constraints`, `has ${constraints.length} constraints; ECS allows at most ${MAX_PLACEMENT_CONSTRAINTS} per service. Remove some.`);
  }
  const strategies = placement.strategies.map((s, i): StrategyItem => {
    if (s.type === 'random') return { Type: 'random' };
    if (s.type === 'spread' && s.field.startsWith('attribute:') && s.field.length === 'attribute:'.length) {
      throw new BerthError(`${where}.strategies[${i}].field`, 'names no attribute. Write `attribute:<name>`, for example `attribute:ecs.availability-zone`.');
    }
    return { Type: s.type, Field: s.field };
  });
  return {
    strategies,
    constraints: constraints.map((c, i): ConstraintItem => {
      if (c.type === 'distinctInstance') return { Type: 'distinctInstance' };
      if (c.expression.trim() === '') {
        throw new BerthError(
          `${where}.constraints[${i}].expression`,
          'is empty. A `memberOf` constraint needs a cluster query language expression such as `attribute:ecs.instance-type =~ m6i.*` ' +
            '(https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-query-language.html).',
        );
      }
      return { Type: 'memberOf', Expression: c.expression };
    }),
  };
}

/** Quotes a word for a POSIX shell. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** The `aws ecs run-task` options for the rules (JSON form, so expressions with spaces survive). */
export function placementCliOptions(rules: PlacementRules): string {
  const toCli = (items: readonly (StrategyItem | ConstraintItem)[]) =>
    JSON.stringify(items.map((i) => Object.fromEntries(Object.entries(i).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), v]))));
  return [
    ...(rules.strategies.length ? [`--placement-strategy ${shellQuote(toCli(rules.strategies))}`] : []),
    ...(rules.constraints.length ? [`--placement-constraints ${shellQuote(toCli(rules.constraints))}`] : []),
  ].join(' ');
}
