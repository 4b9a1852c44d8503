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
import { existsSync } from 'node:fs';
import { BerthError, fnv1a, q } from '../../../src/dsl/index.ts';
import { definedIn, type ServiceDefinition } from './definition.ts';

/** Priorities used: 1..49,999 (50,000 is left free for a catch-all rule). */
export const PRIORITY_RANGE = 49_999;

/** The listener-rule priority a service of this name gets. */
export function priorityOf(name: string): number {
  return (fnv1a(name) % PRIORITY_RANGE) + 1;
}

/**
 * Where a service's definition lives, for messages: the file that called `defineService`, else
 * `templates/services/<name>.ts` when that file exists, else the service by name.
 */
export function definitionFile(def: ServiceDefinition): string {
  const file = definedIn(def);
  if (file) return file;
  const conventional = `templates/services/${def.name}.ts`;
  return existsSync(conventional) ? conventional : `service ${q(def.name)}`;
}

/** `web-api` becomes `WebApi`: the service's part of a logical ID. */
export function pascal(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

/** The (host, path) pairs a web service's listener rule matches; `*` for any host or path. */
function routes(def: ServiceDefinition, domain: string | undefined): string[] {
  if (def.role.kind !== 'web') return [];
  const hosts = def.role.route.hosts?.length ? def.role.route.hosts : domain ? [domain] : ['*'];
  const paths = def.role.route.paths?.length ? def.role.route.paths : ['/*'];
  return hosts.flatMap((h) => paths.map((p) => `${h.toLowerCase()} ${p}`));
}

/**
 * Checks across the estate's services, each a located error naming both services involved: two
 * services of one name; two names with the same logical ID (`web-2` and `web2` both nest as
 * `Web2Service`); two web services routing the same host and path, where the listener would send
 * every request to whichever rule has the lower priority (a hash of the name) and the other
 * service would get none. `domain` is the environment's host name, which a rule without hosts
 * matches. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html
 */
export function checkServices(services: readonly ServiceDefinition[], domain?: string): void {
  const byName = new Map<string, ServiceDefinition>();
  const byId = new Map<string, ServiceDefinition>();
  const byRoute = new Map<string, ServiceDefinition>();
  for (const s of services) {
    const other = byName.get(s.name);
    if (other) {
      throw new BerthError(
        `${definitionFile(s)}: name`,
        `two services are named ${q(s.name)} (the other in ${definitionFile(other)}). Each service needs its own name (it names the stack file, the log group and the listener-rule priority): rename one.`,
      );
    }
    byName.set(s.name, s);
    const id = pascal(s.name);
    const clash = byId.get(id);
    if (clash) {
      throw new BerthError(
        `${definitionFile(s)}: name`,
        `services ${q(clash.name)} (${definitionFile(clash)}) and ${q(s.name)} both become the logical ID ${q(`${id}Service`)} in root.yaml (hyphens are dropped and the next letter or digit capitalised). Rename one of them.`,
      );
    }
    byId.set(id, s);
    for (const route of routes(s, domain)) {
      const first = byRoute.get(route);
      if (first) {
        const [host, path] = route.split(' ');
        throw new BerthError(
          `${definitionFile(s)}: role.route`,
          `routes host ${q(host!)} and path ${q(path!)}, as service ${q(first.name)} (${definitionFile(first)}) does: the load balancer would send those requests to one of them only. Give each service its own host or path.`,
        );
      }
      byRoute.set(route, s);
    }
  }
}

/** The `k`-th priority a service of this name tries: its own hash first, then rehashes. */
export function probeOf(name: string, k: number): number {
  return k === 0 ? priorityOf(name) : (fnv1a(`${name}#${k}`) % PRIORITY_RANGE) + 1;
}

/**
 * Priorities for every web service, by name, all different. Each service tries the priorities of
 * its probe sequence (`probeOf`: the hash of its name, then rehashes) and takes the first one no
 * other service holds, services taking turns in name order. A priority depends on the names
 * alone (and on which services shift traffic), never on the order of the estate's list, and only
 * services whose hashes meet ever move: with 250 web services about one pair in ten estates
 * does, and adding a service moves an existing one only when its name sorts first and lands on
 * that one's priority (a chance of about 250 in 50,000). Such a move changes the rule's priority
 * in place (SetRulePriorities, no interruption); docs/many-accounts.md says what a deploy does
 * when two rules trade places. A service for which `hasTestRule` holds (a traffic-shifting
 * deployment) also takes the priority just below its own, for its test listener rule, which must
 * be evaluated first: it probes until both are free.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticloadbalancingv2-listenerrule.html
 */
export function assignPriorities(services: readonly ServiceDefinition[], hasTestRule: (s: ServiceDefinition) => boolean = () => false): ReadonlyMap<string, number> {
  const taken = new Set<number>();
  const byName = new Map<string, number>();
  const webServices = services.filter((s) => s.role.kind === 'web');
  const web = webServices.map((s) => s.name);
  const withTestRule = new Set(webServices.filter(hasTestRule).map((s) => s.name));
  for (const name of [...web].sort()) {
    const needs = (p: number) => (withTestRule.has(name) ? [p, p - 1] : [p]);
    let k = 0;
    while (needs(probeOf(name, k)).some((p) => p < 1 || taken.has(p))) k++;
    for (const p of needs(probeOf(name, k))) taken.add(p);
    byName.set(name, probeOf(name, k));
  }
  // In the estate's order, as callers list them.
  return new Map(web.map((name) => [name, byName.get(name)!]));
}
