/**
 * Listener-rule priorities never move: a web service keeps the priority the committed output/
 * gives it (templates/stacks/service/priority-lock.ts), so adding a service whose name hashes onto
 * an existing rule's priority, or removing the service that once won such a collision, moves no
 * other rule. Without output/ every priority comes from the names. Builds of a fixture estate
 * (test/fixtures/priority-estate) into a folder laid out as the repository is.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { assignPriorities, priorityOf, probeOf } from '../templates/stacks/service/routing.ts';
import { lockFolder, readPriorityLock } from '../templates/stacks/service/priority-lock.ts';
import { scaleServices } from './fixtures/scale-estate/estate.ts';
import { berthEnv, ROOT } from './_helpers.ts';

const ESTATE = 'test/fixtures/priority-estate/estate.ts';
// `cart-7199` sorts before `orders` and its name hashes onto the same priority (a 1 in 49,999
// chance per pair, found by search): the first of the two names takes the slot when neither has one.
const [NEW, OLD, OTHER] = ['cart-7199', 'orders', 'search'];
let dir = '';

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-priorities-'));
  mkdirSync(join(dir, 'templates/environments'), { recursive: true });
  const settings = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/scale-estate/environments/scale.json'), 'utf8'));
  delete settings.$schema;
  writeFileSync(join(dir, 'templates/environments/lock.json'), JSON.stringify({ ...settings, name: 'lock' }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Builds the fixture with these services into `<dir>/output/lock/`; the priority of each web service's rule there. */
function build(names: readonly string[]): Map<string, number> {
  const r = berthEnv(ROOT, { BERTH_PRIORITY_TEMPLATES: join(dir, 'templates'), BERTH_PRIORITY_SERVICES: names.join(',') }, 'build', '--quiet', '--estate', ESTATE, '--out', join(dir, 'output'));
  assert.equal(r.status, 0, r.stderr);
  return readPriorityLock(join(dir, 'output/lock'));
}

const web = (name: string) => ({ ...scaleServices(2)[1]!, name });

test('names alone: the name that sorts first takes a contested priority, the other its next probe', () => {
  assert.equal(priorityOf(NEW), priorityOf(OLD));
  assert.ok(NEW < OLD);
  const p = assignPriorities([web(OLD), web(NEW)]);
  assert.deepEqual([p.get(NEW), p.get(OLD)], [priorityOf(OLD), probeOf(OLD, 1)]);
});

test('with the last build as lock, an added or removed service moves no other rule; without it, the added one would', () => {
  assert.equal(lockFolder(join(dir, 'templates/environments/lock.json'), 'lock'), join(dir, 'output/lock'));
  // No output/ yet: priorities from the names.
  const first = build([OLD, OTHER]);
  assert.deepEqual(first, new Map([[OLD, priorityOf(OLD)], [OTHER, priorityOf(OTHER)]]));
  // A new service hashing onto `orders`' priority: `orders` keeps it, the new one probes on.
  const added = build([OLD, OTHER, NEW]);
  assert.equal(added.get(OLD), first.get(OLD));
  assert.equal(added.get(OTHER), first.get(OTHER));
  assert.equal(added.get(NEW), probeOf(NEW, 1));
  assert.notEqual(assignPriorities([web(OLD), web(OTHER), web(NEW)]).get(OLD), first.get(OLD), 'without the lock, orders would have moved');
  // Removing it changes nothing for the others.
  assert.deepEqual(build([OLD, OTHER]), first);
});

test('a service that lost a collision keeps its probed priority when the winner is removed', () => {
  rmSync(join(dir, 'output'), { recursive: true, force: true });
  // Both new together: `cart-7199` wins the slot, `orders` takes its next probe.
  const both = build([NEW, OLD]);
  assert.deepEqual([both.get(NEW), both.get(OLD)], [priorityOf(OLD), probeOf(OLD, 1)]);
  const removed = build([OLD]);
  assert.equal(removed.get(OLD), probeOf(OLD, 1), 'orders stays where it is deployed, not back on its first hash');
  // A hand-edited lock where two services claim one priority: the name that sorts first keeps it.
  const claimed = assignPriorities([web(OLD), web(OTHER)], new Map([[OLD, 7], [OTHER, 7]]));
  assert.deepEqual([claimed.get(OLD), claimed.get(OTHER)], [7, priorityOf(OTHER)]);
  // Out of range: ignored.
  assert.equal(assignPriorities([web(OLD)], new Map([[OLD, 50_000]])).get(OLD), priorityOf(OLD));
});
