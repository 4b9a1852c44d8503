/**
 * Groups for estates too large for one template: services in intermediate stacks of the root,
 * Service Catalog products in nested stacks of the portfolio.
 *
 * A member's group is a hash of its key into a fixed number of groups, so it depends on that key
 * alone: adding or removing a service never moves another one, and the same estate always gives
 * the same groups. Moving a resource between stacks replaces it (CloudFormation deletes it from the
 * old stack and creates it in the new one), so a stable group is what keeps a deployed service or
 * product in place. The price is that groups are uneven (a hash spreads 250 members over 16 groups
 * as 8 to 24, say); each group's capacity is checked, and a full group is a located build error.
 * The one move berth makes is the switch from no groups to groups, when an estate first outgrows a
 * single template: docs/many-accounts.md says what that does to deployed stacks and how to plan it.
 */
import { BerthError, fnv1a } from '../../../src/dsl/index.ts';

/** Groups are numbered 1 to `count`; files and logical IDs carry the number with two digits. */
export function groupOf(key: string, count: number): number {
  // A seed of its own, so groups do not follow listener-rule priorities (the same name's other hash).
  return (fnv1a(key, 0x9e3779b9) % count) + 1;
}

/** `7` becomes `07`: group numbers sort as text in file listings. */
export function groupLabel(group: number): string {
  return String(group).padStart(2, '0');
}

/**
 * Members by group (only non-empty groups, in group order), each group in the members' order.
 * `capacity` is the most one group may hold; `what` names the members and the fix for messages.
 */
export function groupMembers<T>(members: readonly T[], keyOf: (m: T) => string, count: number, capacity: number, where: string, what: string): Map<number, T[]> {
  const groups = new Map<number, T[]>();
  for (const m of members) {
    const g = groupOf(keyOf(m), count);
    groups.set(g, [...(groups.get(g) ?? []), m]);
  }
  for (const [g, list] of groups) {
    if (list.length > capacity) {
      throw new BerthError(where, `group ${groupLabel(g)} of ${count} would hold ${list.length} ${what}, more than the ${capacity} one template can take. The estate has outgrown berth's fixed groups: split it into two environments.`);
    }
  }
  return new Map([...groups].sort(([a], [b]) => a - b));
}
