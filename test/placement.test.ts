// Tests for the placement presets. Run: node --import tsx --test test/placement.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '../src/dsl/errors.ts';
import { DEFAULT_PLACEMENT, placementCliOptions, placementRules } from '../templates/stacks/service/placement.ts';
import type { Placement } from '../templates/stacks/service/definition.ts';

const WHERE = 'templates/services/web.ts: capacity.placement';

test('azBalancedSpread (the default): spread on Availability Zone, then on instance', () => {
  const expected = {
    strategies: [
      { Type: 'spread', Field: 'attribute:ecs.availability-zone' },
      { Type: 'spread', Field: 'instanceId' },
    ],
    constraints: [],
  };
  assert.deepEqual(placementRules(WHERE, { preset: 'azBalancedSpread' }), expected);
  assert.deepEqual(placementRules(WHERE), expected);
  assert.deepEqual(DEFAULT_PLACEMENT, { preset: 'azBalancedSpread' });
});

test('azBalancedBinpack: spread on Availability Zone, then binpack on memory', () => {
  assert.deepEqual(placementRules(WHERE, { preset: 'azBalancedBinpack' }), {
    strategies: [
      { Type: 'spread', Field: 'attribute:ecs.availability-zone' },
      { Type: 'binpack', Field: 'memory' },
    ],
    constraints: [],
  });
});

test('binpack: binpack on memory only', () => {
  assert.deepEqual(placementRules(WHERE, { preset: 'binpack' }), { strategies: [{ Type: 'binpack', Field: 'memory' }], constraints: [] });
});

test('oneTaskPerHost: a distinctInstance constraint and no strategy', () => {
  assert.deepEqual(placementRules(WHERE, { preset: 'oneTaskPerHost' }), { strategies: [], constraints: [{ Type: 'distinctInstance' }] });
});

test('custom: strategies and memberOf / distinctInstance constraints, in order', () => {
  const placement: Placement = {
    preset: 'custom',
    strategies: [{ type: 'spread', field: 'attribute:ecs.availability-zone' }, { type: 'binpack', field: 'cpu' }, { type: 'random' }],
    constraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ m6i.*' }, { type: 'distinctInstance' }],
  };
  assert.deepEqual(placementRules(WHERE, placement), {
    strategies: [
      { Type: 'spread', Field: 'attribute:ecs.availability-zone' },
      { Type: 'binpack', Field: 'cpu' },
      { Type: 'random' },
    ],
    constraints: [{ Type: 'memberOf', Expression: 'attribute:ecs.instance-type =~ m6i.*' }, { Type: 'distinctInstance' }],
  });
});

test('custom: constraints alone are enough', () => {
  assert.deepEqual(placementRules(WHERE, { preset: 'custom', strategies: [], constraints: [{ type: 'distinctInstance' }] }), {
    strategies: [],
    constraints: [{ Type: 'distinctInstance' }],
  });
});

test('run-task options: JSON lists with camel-case keys, shell-quoted', () => {
  assert.equal(
    placementCliOptions(placementRules(WHERE, { preset: 'azBalancedSpread' })),
    `--placement-strategy '[{"type":"spread","field":"attribute:ecs.availability-zone"},{"type":"spread","field":"instanceId"}]'`,
  );
  assert.equal(placementCliOptions(placementRules(WHERE, { preset: 'oneTaskPerHost' })), `--placement-constraints '[{"type":"distinctInstance"}]'`);
  assert.equal(
    placementCliOptions(placementRules(WHERE, { preset: 'custom', strategies: [{ type: 'random' }], constraints: [{ type: 'memberOf', expression: "attribute:team == 'ops'" }] })),
    `--placement-strategy '[{"type":"random"}]' --placement-constraints '[{"type":"memberOf","expression":"attribute:team == '\\''ops'\\''"}]'`,
  );
  assert.equal(placementCliOptions({ strategies: [], constraints: [] }), '');
});

function fails(placement: Placement, where: string, fragment: string): void {
  assert.throws(
    () => placementRules(WHERE, placement),
    (e: unknown) => e instanceof BerthError && e.where === where && e.problem.includes(fragment),
  );
}

test('fails when the custom preset has neither strategies nor constraints', () =>
  fails({ preset: 'custom', strategies: [] }, WHERE, 'has no strategies and no constraints'));

test('fails when the custom preset has more than 5 strategies', () =>
  fails({ preset: 'custom', strategies: Array.from({ length: 6 }, () => ({ type: 'random' as const })) }, `${WHERE}.strategies`, 'has 6 strategies; ECS allows at most 5'));

test('fails when the custom preset has more than 10 constraints', () =>
  fails(
    { preset: 'custom', strategies: [], constraints: Array.from({ length: 11 }, () => ({ type: 'distinctInstance' as const })) },
    `${WHERE}.constraints`,
    'has 11 constraints; ECS allows at most 10',
  ));

test('fails when a memberOf constraint has an empty expression', () =>
  fails({ preset: 'custom', strategies: [], constraints: [{ type: 'memberOf', expression: '  ' }] }, `${WHERE}.constraints[0].expression`, 'is empty'));

test('fails when a spread strategy names no attribute', () =>
  fails({ preset: 'custom', strategies: [{ type: 'spread', field: 'attribute:' }] }, `${WHERE}.strategies[0].field`, 'names no attribute'));
