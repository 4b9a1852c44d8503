/**
 * Listener-rule priorities for web services. Each rule on a listener needs a unique priority
 * (1 to 50,000); berth derives it from the service name so that it never changes when services
 * are added, removed or reordered, and checks that no two services land on the same one.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html
 *
 * The priority is also the evaluation order (lowest first). A hash gives no order between
 * services, so routes of different services should not overlap (for example `/*` and `/api/*` on
 * the same host): give each service its own host or path prefix.
 */
import { BerthError, fnv1a, q } from '../../../src/dsl/index.ts';
import type { ServiceDefinition } from './definition.ts';

/** Priorities used: 1..49,999 (50,000 is left free for a catch-all rule). */
export const PRIORITY_RANGE = 49_999;

/** The listener-rule priority a service of this name gets. */
export function priorityOf(name: string): number {
  return (fnv1a(name) % PRIORITY_RANGE) + 1;
}

/** Where a service's definition lives, for messages. */
export function definitionFile(name: string): string {
  return `templates/services/${name}.ts`;
}

/**
 * Priorities for every web service, by name. Throws when two services share a name, or when two
 * names hash to the same priority (rename one: the priority follows the name).
 */
export function assignPriorities(services: readonly ServiceDefinition[]): ReadonlyMap<string, number> {
  const byPriority = new Map<number, string>();
  const names = new Set<string>();
  const out = new Map<string, number>();
  for (const s of services) {
    if (names.has(s.name)) {
      throw new BerthError(`${definitionFile(s.name)}: name`, `two services are named ${q(s.name)}. Each service needs its own name (it names the stack file, the log group and the listener-rule priority): rename one.`);
    }
    names.add(s.name);
    if (s.role.kind !== 'web') continue;
    const priority = priorityOf(s.name);
    const other = byPriority.get(priority);
    if (other !== undefined) {
      throw new BerthError(
        `${definitionFile(s.name)}: name`,
        `services ${q(other)} and ${q(s.name)} both get listener-rule priority ${priority} (it is derived from the name, and each rule on the listener needs its own). ` +
          `Rename ${q(s.name)} or ${q(other)}.`,
      );
    }
    byPriority.set(priority, s.name);
    out.set(s.name, priority);
  }
  return out;
}
