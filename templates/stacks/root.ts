/**
 * The root stack: nests the network, the load balancer, the cluster and one stack per service,
 * and wires outputs to parameters only through the typed contracts, so a missing or mistyped
 * wire is a compile error. Deploy it with `scripts/deploy.sh`, which packages the nested templates.
 */
import { at } from '../../src/settings/loader.ts';
import { BerthError, contract, defineStack, nest, output, q, sub, type NestedStack, type OutputsOf, type Resource } from '../../src/dsl/index.ts';
import { cluster, clusterArguments } from './cluster.ts';
import { loadBalancer } from './load-balancer.ts';
import { network } from './network.ts';
import { assignPriorities, checkServices, definitionFile, pascal } from './service/routing.ts';
import { sendParameterNames } from './service/parameters.ts';
import { checkDensity } from './service/density.ts';
import { service, serviceParameterNames } from './service.ts';
import type { ServiceDefinition } from './service/definition.ts';
import type { ResolvedSettings } from '../settings/settings.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { auroraStore } from './data/aurora.ts';
import { bucketStore } from './data/bucket.ts';
import type { StoreDefinition } from './data/definition.ts';
import { REGISTRY_ENTRIES, storeId, storeKey, storeParameterName, type RegistryEntry } from './data/names.ts';
import { checkStores, resolveStore } from './data/resolve.ts';
import { tableStore } from './data/table.ts';

export interface RootSettings {
  readonly settings: ResolvedSettings;
  readonly services: readonly ServiceDefinition[];
  /** The estate's data stores (templates/storage/), each nested as its own stack. @default - none */
  readonly stores?: readonly StoreDefinition[];
  /**
   * Nest a stack per service. The foundation (templates/stacks/foundation.ts) is the root without
   * them; it still takes the services, which decide who may reach each store. @default true
   */
  readonly withServices?: boolean;
}

export { pascal };

export const rootContract = contract({
  name: 'root',
  description: ({ settings, services, stores = [] }: RootSettings) =>
    `berth estate ${settings.name}: network, load balancer, ECS cluster, ${services.length} services (${services.map((s) => s.name).join(', ')})${stores.length ? ` and ${stores.length} data stores (${stores.map((s) => s.name).join(', ')})` : ''}.`,
  parameters: ({ settings }: RootSettings) => ({
    EnvironmentName: environmentNameParameter(settings.name, 'Name prefix for every resource of the estate (tags and names).'),
  }),
  // Exported, for stacks beside the estate (a database in its VPC, say): the root is deployed
  // under a name its deployer chooses, so `<stack name>-VpcId` is a name others can import.
  // Nested stacks export nothing: their stack names are generated.
  outputs: {
    Url: output('String', { description: 'Base URL of the estate.', export: true }),
    VpcId: output('AWS::EC2::VPC::Id', { description: 'The VPC.', export: true }),
    ClusterName: output('String', { description: 'The ECS cluster.', export: true }),
  },
});

/** What the root stack's `build` returns: a value for each output of its contract. */
export interface RootOutputs extends OutputsOf<typeof rootContract> {}

export const root = defineStack(rootContract, {
  build(t, p, { settings, services, stores: definitions = [], withServices = true }): RootOutputs {
    checkServicesFit(settings, services);
    checkStores(settings, definitions);
    const stores = definitions.map((d) => resolveStore(settings, d));
    const env = p.EnvironmentName.ref;
    const net = nest(t, 'Network', network, { settings, parameters: { EnvironmentName: env } });
    const lb = nest(t, 'LoadBalancer', loadBalancer, {
      settings,
      parameters: {
        EnvironmentName: env,
        VpcId: net.outputs.VpcId,
        PublicSubnetIds: net.outputs.PublicSubnetIds,
        ApplicationSubnetCidrs: net.outputs.ApplicationSubnetCidrs,
      },
    });
    const ecs = nest(t, 'Cluster', cluster, {
      settings,
      parameters: clusterArguments(settings, { EnvironmentName: env, VpcId: net.outputs.VpcId, ApplicationSubnetIds: net.outputs.ApplicationSubnetIds }),
    });
    // One stack per store (templates/stacks/data/): created after the network, before the services
    // that use it, which read its registry entries (docs/data-stores.md says why one per store).
    const storeStacks = new Map<string, Resource<'AWS::CloudFormation::Stack'>>();
    for (const store of stores) {
      const clients = services.flatMap((s) => (s.uses ?? []).filter((u) => u.store === store.name).map((u) => ({ service: s.name, access: u.access })));
      const id = `${storeId(store.name)}Store`;
      const nested =
        store.kind === 'aurora'
          ? nest(t, id, auroraStore, {
              settings: { settings, store, clients },
              parameters: { EnvironmentName: env, VpcId: net.outputs.VpcId, DbSubnetGroupName: net.outputs.DbSubnetGroupName },
            })
          : store.kind === 'dynamodb'
            ? nest(t, id, tableStore, { settings: { settings, store, clients }, parameters: { EnvironmentName: env } })
            : nest(t, id, bucketStore, { settings: { settings, store, clients }, parameters: { EnvironmentName: env } });
      storeStacks.set(store.name, nested.stack);
    }
    if (!withServices) return { Url: lb.outputs.Url, VpcId: net.outputs.VpcId, ClusterName: ecs.outputs.ClusterName };

    const priorities = assignPriorities(services);
    // Receivers before senders: a sender's stack reads its queues from the registry the receiver
    // writes, so it depends on the receiver's stack (checkSenders refuses cycles).
    const nested = new Map<string, NestedStack<(typeof service)['outputs']>>();
    for (const definition of orderForSending(services)) {
      const serviceSettings = { settings, service: definition, listenerRulePriority: priorities.get(definition.name), senders: sendersOf(services, definition.name), stores };
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
      const used = (definition.uses ?? []).map((u) => u.store).filter((name) => storeStacks.has(name));
      const storeArguments = Object.fromEntries(
        used.flatMap((name) => {
          const kind = stores.find((x) => x.name === name)!.kind;
          return (REGISTRY_ENTRIES[kind] as readonly RegistryEntry[]).map((entry) => [storeParameterName(name, entry), sub`/berth/${env}/${storeKey(name, entry)}`]);
        }),
      );
      const stack = nest(t, `${pascal(definition.name)}Service`, service, {
        settings: serviceSettings,
        options: { dependsOn: [...used.map((name) => storeStacks.get(name)!), ...receivers.map((r) => nested.get(r)!.stack)] },
        // Every wire is type-checked here; each service stack declares only the parameters it
        // uses (a Fargate worker has no capacity provider or listener), so pass just those.
        parameters: only(serviceParameterNames(serviceSettings), {
          EnvironmentName: env,
          VpcId: net.outputs.VpcId,
          ApplicationSubnetIds: net.outputs.ApplicationSubnetIds,
          // Names of SSM parameters (the estate registry), not the values: see templates/stacks/shared/registry.ts.
          ClusterName: ecs.outputs.ClusterNameParameter,
          CapacityProviderName: ecs.outputs.CapacityProviderNameParameter,
          LoadBalancerSecurityGroupId: lb.outputs.LoadBalancerSecurityGroupId,
          ListenerArn: lb.outputs.ListenerArnParameter,
          LoadBalancerFullName: lb.outputs.LoadBalancerFullNameParameter,
          // The queues it sends to: parameters named after each receiver, so not in the static
          // contract; nest() still refuses a name the service stack does not declare.
          ...(queueArguments as object),
          ...(storeArguments as object),
        }),
      });
      nested.set(definition.name, stack);
    }
    return { Url: lb.outputs.Url, VpcId: net.outputs.VpcId, ClusterName: ecs.outputs.ClusterName };
  },
});

/** The services whose `sendsTo` names `receiver`'s queue, in estate order. */
function sendersOf(services: readonly ServiceDefinition[], receiver: string): string[] {
  return services.filter((s) => (s.sendsTo ?? []).some((h) => h.service === receiver)).map((s) => s.name);
}

/**
 * The services in an order where every receiver comes before its senders (estate order otherwise),
 * refusing a sender of a queue the estate does not have, and a cycle of senders, whose stacks
 * would each wait for the other.
 */
function orderForSending(services: readonly ServiceDefinition[]): ServiceDefinition[] {
  const byName = new Map(services.map((s) => [s.name, s]));
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
    out.push(s);
  };
  for (const s of services) visit(s, []);
  return out;
}

/** The environment must be able to run every service, and override only services that exist. */
function checkServicesFit(settings: ResolvedSettings, services: readonly ServiceDefinition[]): void {
  checkServices(services, settings.loadBalancer.dns?.domainName);
  for (const d of services) {
    if (d.capacity.type === 'ec2' && settings.cluster.capacity.type !== 'ec2') {
      throw new BerthError(
        at(settings.file, 'cluster.capacity.type'),
        `is \`fargate\`, but service ${q(d.name)} (${definitionFile(d)}) runs on EC2 capacity. ` +
          `Give the environment EC2 capacity, or move the service to \`capacity: { type: 'fargate' }\`.`,
      );
    }
  }
  checkDensity(settings, services);
  for (const name of Object.keys(settings.services ?? {})) {
    if (!services.some((d) => d.name === name)) {
      throw new BerthError(
        at(settings.file, `services.${name}`),
        `overrides service ${q(name)}, which the estate does not define. Services: ${services.map((d) => q(d.name)).join(', ')} (templates/services/). Fix the name or remove the entry.`,
      );
    }
  }
}

/** The entries of `args` whose keys are in `names`. */
function only<A extends object>(names: readonly string[], args: A): A {
  return Object.fromEntries(Object.entries(args).filter(([k]) => names.includes(k))) as A;
}
