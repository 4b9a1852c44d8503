/**
 * Services nested in the root, directly or, in an estate too large for one stack operation, in
 * service groups: intermediate stacks `services-<NN>.yaml`, each nesting the services of one group.
 *
 * CloudFormation creates, updates or deletes at most 2,500 resources in one operation of a stack
 * and all its nested stacks, and a template holds at most 500 resources.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 * The root nests its services directly while its whole tree stays under {@link GROUP_FROM}
 * resources; past that, every service goes to one of {@link SERVICE_GROUPS} groups, fixed by a hash
 * of its name (services that send to each other's queues share their group, by the first name
 * among them, because a sender's stack must wait for its receiver's and stacks in different
 * groups cannot wait for each other). Each group template deploys on its own, like every nested
 * template: an estate whose tree passes 2,500 resources deploys as the foundation and then one
 * stack per group (docs/many-accounts.md#estates-past-one-stack-operation).
 */
import { type AnyResource, BerthError, contract, defineStack, type Intrinsic, Join, LIMITS, nest, type NestedStack, output, parameter, q, sub, synthesize } from '../../src/dsl/index.ts';
import { servicesDashboard } from './dashboard.ts';
import { deployGuard } from './deploy-guard.ts';
import { describeNames } from './shared/description.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { groupLabel, groupMembers, groupOf } from './shared/grouping.ts';
import { sendParameterNames } from './service/parameters.ts';
import { definitionFile, pascal } from './service/routing.ts';
import { service, serviceParameterNames } from './service.ts';
import type { ServiceDefinition } from './service/definition.ts';
import { REGISTRY_ENTRIES, storeKey, storeParameterName, type RegistryEntry } from './data/names.ts';
import type { ResolvedStore } from './data/resolve.ts';
import type { ResolvedSettings } from '../settings/settings.ts';

/** Groups services are hashed into, once an estate is grouped. */
export const SERVICE_GROUPS = 16;
/**
 * The root's tree (itself, the foundation's stacks and every service stack) from which services
 * are grouped: 80 % of the 2,500 resources of one stack operation, so the switch comes before
 * the limit does.
 */
export const GROUP_FROM = Math.floor(0.8 * LIMITS.resourcesPerOperation);

/** What every service stack is wired with: values from the foundation's stacks. */
export interface ServiceWiring {
  readonly EnvironmentName: Intrinsic<'String'>;
  readonly VpcId: Intrinsic<'AWS::EC2::VPC::Id'>;
  readonly ApplicationSubnetIds: Intrinsic<'CommaDelimited<AWS::EC2::Subnet::Id>'>;
  readonly LoadBalancerSecurityGroupId: Intrinsic<'AWS::EC2::SecurityGroup::Id'>;
  /** Names of SSM parameters (the estate registry), not the values: see templates/stacks/shared/registry.ts. */
  readonly ClusterName: Intrinsic<'AWS::SSM::Parameter::Name'>;
  readonly CapacityProviderName: Intrinsic<'AWS::SSM::Parameter::Name'>;
  readonly ListenerArn: Intrinsic<'AWS::SSM::Parameter::Name'>;
  readonly LoadBalancerFullName: Intrinsic<'AWS::SSM::Parameter::Name'>;
  /** With interface endpoints: the network's groups and the S3 prefix list (registry names too). */
  readonly ApplicationSecurityGroupId: Intrinsic<'AWS::SSM::Parameter::Name'>;
  readonly EndpointSecurityGroupId: Intrinsic<'AWS::SSM::Parameter::Name'>;
  readonly S3PrefixListId: Intrinsic<'AWS::SSM::Parameter::Name'>;
  /** With interface endpoints, for services that use a DynamoDB store (a registry name too). */
  readonly DynamoDbPrefixListId: Intrinsic<'AWS::SSM::Parameter::Name'>;
}

/** The estate's services and what each one's stack needs from the others. */
export interface ServicesContext {
  readonly settings: ResolvedSettings;
  /** Every service of the estate (senders and receivers are looked up here). */
  readonly services: readonly ServiceDefinition[];
  /** Listener-rule priorities of the web services (`assignPriorities`). */
  readonly priorities: ReadonlyMap<string, number>;
  /** The estate's data stores, resolved for the environment (templates/stacks/data/). @default - none */
  readonly stores?: readonly ResolvedStore[];
}

/**
 * Nests the stacks of `members` in `t`, receivers before senders: a sender's stack reads its
 * queues from the registry the receiver writes, so it depends on the receiver's stack. A service
 * reads the stores it uses from the registry too, so it depends on their stacks when they are
 * nested in `t` (`storeStacks`; a service group waits for them as a whole instead).
 */
export function nestServices(
  t: Parameters<typeof nest>[0],
  ctx: ServicesContext,
  members: readonly ServiceDefinition[],
  wiring: ServiceWiring,
  dependsOn: readonly AnyResource[] = [],
  storeStacks: ReadonlyMap<string, AnyResource> = new Map(),
): ReadonlyMap<string, NestedStack<(typeof service)['outputs']>> {
  const stores = ctx.stores ?? [];
  const nested = new Map<string, NestedStack<(typeof service)['outputs']>>();
  const env = wiring.EnvironmentName;
  for (const definition of orderForSending(ctx.services, members)) {
    const serviceSettings = { settings: ctx.settings, service: definition, listenerRulePriority: ctx.priorities.get(definition.name), senders: sendersOf(ctx.services, definition.name), stores };
    const receivers = [...new Set((definition.sendsTo ?? []).map((h) => h.service))];
    // The registry names under this stack's EnvironmentName (a sender's defaults name the
    // settings' environment, which a renamed root would not match).
    const queueArguments = Object.fromEntries(
      receivers.flatMap((r) => {
        const n = sendParameterNames(r);
        return [
          [n.url, sub`/berth/${env}/services/${r}/queue-url`],
          [n.arn, sub`/berth/${env}/services/${r}/queue-arn`],
          [n.keyArn, sub`/berth/${env}/services/${r}/queue-key-arn`],
        ];
      }),
    );
    // And the stores it uses, by their registry entries under this stack's EnvironmentName.
    const used = [...new Set((definition.uses ?? []).map((u) => u.store))].flatMap((name) => stores.filter((x) => x.name === name));
    const storeArguments = Object.fromEntries(
      used.flatMap((store) => (REGISTRY_ENTRIES[store.kind] as readonly RegistryEntry[]).map((entry) => [storeParameterName(store.name, entry), sub`/berth/${env}/${storeKey(store.name, entry)}`])),
    );
    const stack = nest(t, `${pascal(definition.name)}Service`, service, {
      settings: serviceSettings,
      options: { dependsOn: [...dependsOn, ...used.flatMap((s) => storeStacks.get(s.name) ?? []), ...receivers.map((r) => nested.get(r)!.stack)] },
      // Every wire is type-checked here; each service stack declares only the parameters it
      // uses (a Fargate worker has no capacity provider or listener), so pass just those.
      parameters: only(serviceParameterNames(serviceSettings), {
        ...wiring,
        // The queues it sends to: parameters named after each receiver, so not in the static
        // contract; nest() still refuses a name the service stack does not declare.
        ...(queueArguments as object),
        ...(storeArguments as object),
      }),
    });
    nested.set(definition.name, stack);
  }
  return nested;
}

/**
 * The services grouped, when the root's tree would reach {@link GROUP_FROM} resources (or the
 * root its own 500): group number to members, in estate order. `undefined`: nest them directly.
 */
export function serviceGroups(ctx: ServicesContext, foundationResources: number): Map<number, ServiceDefinition[]> | undefined {
  // Each service stack, built once to count it (about a millisecond each).
  const sizes = ctx.services.map((d) => synthesize(service, { settings: ctx.settings, service: d, listenerRulePriority: ctx.priorities.get(d.name), senders: sendersOf(ctx.services, d.name), stores: ctx.stores }).counts.resources);
  const tree = foundationResources + ctx.services.length + sizes.reduce((a, b) => a + b, 0);
  if (tree < GROUP_FROM && foundationResources + ctx.services.length < 0.8 * LIMITS.resources) return undefined;
  const key = componentKeys(ctx.services);
  const groups = groupMembers(ctx.services, (d) => key.get(d.name)!, SERVICE_GROUPS, LIMITS.resources, 'templates/stacks/service-group.ts', 'services');
  const size = new Map(ctx.services.map((d, i) => [d.name, sizes[i]! + 1]));
  for (const [g, members] of groups) {
    const resources = members.reduce((n, d) => n + size.get(d.name)!, 0);
    if (resources > LIMITS.resourcesPerOperation) {
      throw new BerthError(
        `${definitionFile(members[0]!)}: name`,
        `service group ${groupLabel(g)} (${members.map((d) => q(d.name)).join(', ')}) would create ${resources} resources in one stack operation, over CloudFormation's ${LIMITS.resourcesPerOperation}. The estate has outgrown berth's ${SERVICE_GROUPS} fixed groups: split it into two environments.`,
      );
    }
  }
  return groups;
}

/** Each service's grouping key: the first name (in estate order) of the services it sends with. */
function componentKeys(services: readonly ServiceDefinition[]): Map<string, string> {
  const parent = new Map(services.map((s) => [s.name, s.name]));
  const find = (n: string): string => (parent.get(n) === n ? n : find(parent.get(n)!));
  const order = new Map(services.map((s, i) => [s.name, i]));
  for (const s of services) {
    for (const h of s.sendsTo ?? []) {
      if (!parent.has(h.service)) continue; // orderForSending names the mistake
      const [a, b] = [find(s.name), find(h.service)];
      if (a !== b) parent.set(order.get(a)! < order.get(b)! ? b : a, order.get(a)! < order.get(b)! ? a : b);
    }
  }
  return new Map(services.map((s) => [s.name, find(s.name)]));
}

/** The group a service is in, for messages and docs: the same hash `serviceGroups` uses. */
export function serviceGroupOf(services: readonly ServiceDefinition[], name: string): number {
  return groupOf(componentKeys(services).get(name) ?? name, SERVICE_GROUPS);
}

/** The settings of one service group. */
export interface ServiceGroupSettings extends ServicesContext {
  readonly group: number;
  readonly members: readonly ServiceDefinition[];
}

export const serviceGroupContract = contract({
  name: ({ group }: ServiceGroupSettings) => `services-${groupLabel(group)}`,
  description: ({ settings, group, members }: ServiceGroupSettings) =>
    describeNames(members.map((d) => d.name), (list) => `berth services of ${settings.name}, group ${groupLabel(group)}: ${list}. Nested in root.yaml; deploys on its own after the foundation.`),
  parameters: ({ settings }: ServiceGroupSettings) => ({
    EnvironmentName: environmentNameParameter(settings.name, 'Name prefix for every resource of the services (tags and names).'),
    VpcId: parameter('AWS::EC2::VPC::Id', { description: 'The VPC of the tasks (the network stack\'s VpcId output).', group: 'Network and wiring', label: 'VPC' }),
    ApplicationSubnetIds: parameter('List<AWS::EC2::Subnet::Id>', { description: 'Application subnets for the tasks, one per Availability Zone (the network stack\'s ApplicationSubnetIds output).', group: 'Network and wiring', label: 'Application subnets' }),
    LoadBalancerSecurityGroupId: parameter('AWS::EC2::SecurityGroup::Id', { description: 'Security group of the load balancer (the load-balancer stack\'s LoadBalancerSecurityGroupId output).', group: 'Network and wiring', label: 'Load balancer security group' }),
  }),
  outputs: {
    DeploymentAlarms: output('String', {
      description: "The group's deploy guard as a composite alarm rule (ALARM(\"...\")): in ALARM while a deployment alarm of one of its services is; `none` when it has only scheduled tasks.",
    }),
  },
});

/** One service group: its services, wired from its parameters and the estate registry. */
export const serviceGroup = defineStack(serviceGroupContract, {
  build(t, p, ctx) {
    const env = p.EnvironmentName.ref;
    // The registry's names under this stack's EnvironmentName: SSM parameter names, which the
    // foundation's stacks publish (the root makes this stack wait for them).
    const registry = (key: string) => sub`/berth/${env}/${key}` as unknown as Intrinsic<'AWS::SSM::Parameter::Name'>;
    const nested = nestServices(t, ctx, ctx.members, {
      EnvironmentName: env,
      VpcId: p.VpcId.ref,
      // A nested stack's parameters are strings: the list goes comma-joined.
      ApplicationSubnetIds: Join(',', p.ApplicationSubnetIds.ref),
      ClusterName: registry('cluster-name'),
      CapacityProviderName: registry('capacity-provider-name'),
      LoadBalancerSecurityGroupId: p.LoadBalancerSecurityGroupId.ref,
      ListenerArn: registry('listener-arn'),
      LoadBalancerFullName: registry('load-balancer-full-name'),
      ApplicationSecurityGroupId: registry('application-security-group-id'),
      EndpointSecurityGroupId: registry('endpoint-security-group-id'),
      S3PrefixListId: registry('s3-prefix-list-id'),
      DynamoDbPrefixListId: registry('dynamodb-prefix-list-id'),
    });
    // The group's services on a dashboard of their own (the environment's would outgrow
    // CloudWatch's 500 metrics), and a deploy guard over their deployment alarms: the rollback
    // trigger of this group deployed alone, and one alarm of the root's deploy guard.
    const label = `services-${groupLabel(ctx.group)}`;
    servicesDashboard(t, ctx.settings, ctx.members, sub`berth-${env}-${label}`, label, ctx.members.map((d) => nested.get(d.name)!.outputs.DashboardWidgets));
    const guarded = ctx.members.flatMap((d) => (d.role.kind === 'scheduled' ? [] : [{ service: d.name, alarms: nested.get(d.name)!.outputs.DeploymentAlarms }]));
    const guards = deployGuard(t, ctx.settings, env, guarded, label);
    return { DeploymentAlarms: guards.length ? Join(' OR ', guards.map((g) => sub`ALARM("${g.ref}")`)) : 'none' };
  },
});

/** The services whose `sendsTo` names `receiver`'s queue, in estate order. */
function sendersOf(services: readonly ServiceDefinition[], receiver: string): string[] {
  return services.filter((s) => (s.sendsTo ?? []).some((h) => h.service === receiver)).map((s) => s.name);
}

/**
 * `members` in an order where every receiver comes before its senders (estate order otherwise),
 * refusing a sender of a queue the estate does not have, and a cycle of senders, whose stacks
 * would each wait for the other.
 */
function orderForSending(services: readonly ServiceDefinition[], members: readonly ServiceDefinition[]): ServiceDefinition[] {
  const byName = new Map(services.map((s) => [s.name, s]));
  const wanted = new Set(members.map((s) => s.name));
  const out: ServiceDefinition[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (s: ServiceDefinition, path: string[]) => {
    if (state.get(s.name) === 'done') return;
    if (state.get(s.name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(s.name)), s.name];
      throw new BerthError(
        `${definitionFile(s)}: sendsTo`,
        `makes a cycle of services sending to each other's queues (${cycle.map((n) => q(n)).join(' -> ')}): each stack would wait for the other's queue. Break the cycle, for example with a queue that neither service's stack owns.`,
      );
    }
    state.set(s.name, 'visiting');
    (s.sendsTo ?? []).forEach((h, i) => {
      const receiver = byName.get(h.service);
      if (!receiver) {
        throw new BerthError(`${definitionFile(s)}: sendsTo[${i}]`, `names the queue of ${q(h.service)}, which is not a service of this estate. Add ${q(h.service)} to the estate's services, or remove it from \`sendsTo\`.`);
      }
      if (receiver === s) throw new BerthError(`${definitionFile(s)}: sendsTo[${i}]`, 'names the service\'s own queue, which it already consumes. Remove it, or send to another service\'s queue.');
      if (receiver.role.kind !== 'queueWorker') {
        throw new BerthError(`${definitionFile(s)}: sendsTo[${i}]`, `names ${q(h.service)}, which is a ${receiver.role.kind} service and has no queue. Name a queue worker's \`queue\` (\`sendsTo: [worker.queue]\`).`);
      }
      visit(receiver, [...path, s.name]);
    });
    state.set(s.name, 'done');
    if (wanted.has(s.name)) out.push(s);
  };
  for (const s of services) visit(s, []);
  return out;
}

/** The entries of `args` whose keys are in `names`. */
function only<A extends object>(names: readonly string[], args: A): A {
  return Object.fromEntries(Object.entries(args).filter(([k]) => names.includes(k))) as A;
}
