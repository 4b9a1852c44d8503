/**
 * The root stack: nests the network, the load balancer, the cluster and one stack per service,
 * and wires outputs to parameters only through the typed contracts, so a missing or mistyped
 * wire is a compile error. Deploy it with `scripts/deploy.sh`, which packages the nested templates.
 */
import { at } from '../../src/settings/loader.ts';
import { BerthError, contract, defineStack, Equals, nest, output, parameter, q, sub, type Intrinsic, type OutputsOf, type Resource } from '../../src/dsl/index.ts';
import { checkEgress, endpointNeeds } from './service/egress.ts';
import type { RegistryKey } from './shared/registry.ts';
import { cluster, clusterArguments } from './cluster.ts';
import { loadBalancer } from './load-balancer.ts';
import { network } from './network.ts';
import { assignPriorities, checkServices, definitionFile, pascal } from './service/routing.ts';
import { checkDensity } from './service/density.ts';
import { deploymentOf } from './service/resolve.ts';
import { lockFolder, readPriorityLock } from './service/priority-lock.ts';
import { nestServices, serviceGroup, serviceGroups, type ServiceWiring } from './service-group.ts';
import { describeNames } from './shared/description.ts';
import { groupLabel } from './shared/grouping.ts';
import type { ServiceDefinition } from './service/definition.ts';
import type { ResolvedSettings } from '../settings/settings.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { operations } from './operations.ts';
import { dashboard, widgetsParameterName } from './dashboard.ts';
import { hasFirewall } from './firewall.ts';
import { deployGuard, type GuardedService } from './deploy-guard.ts';
import { auroraStore } from './data/aurora.ts';
import { bucketStore } from './data/bucket.ts';
import type { StoreDefinition } from './data/definition.ts';
import { storeId } from './data/names.ts';
import { checkStores, resolveStore } from './data/resolve.ts';
import { tableStore } from './data/table.ts';

export interface RootSettings {
  readonly settings: ResolvedSettings;
  readonly services: readonly ServiceDefinition[];
  /** The foundation (templates/stacks/foundation.ts): no service stacks, no deploy guard, the dashboard by a parameter. It still takes the services, which decide who may reach each store. @default false */
  readonly foundation?: boolean;
  /** The estate's data stores (templates/storage/), each nested as its own stack. @default - none */
  readonly stores?: readonly StoreDefinition[];
}

export { pascal };

export const rootContract = contract({
  name: 'root',
  description: ({ settings, services, stores = [] }: RootSettings) =>
    describeNames(
      stores.map((s) => s.name),
      (storeList) =>
        describeNames(
          services.map((s) => s.name),
          (list) => `berth estate ${settings.name}: network, load balancer, ECS cluster, ${services.length} services (${list})${stores.length ? ` and ${stores.length} data stores (${storeList})` : ''}.`,
        ),
    ),
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
    // The wiring of a service group deployed as its own stack (an estate past one stack
    // operation deploys foundation.yaml, then each services-NN.yaml with these values:
    // scripts/deploy-layers.ts). Not exported: only the deploy reads them.
    ApplicationSubnetIds: output('List<AWS::EC2::Subnet::Id>', { description: 'Application subnets (ECS tasks and instances), one per AZ.' }),
    LoadBalancerSecurityGroupId: output('AWS::EC2::SecurityGroup::Id', { description: 'Security group of the load balancer: the application tier admits traffic from it.' }),
  },
});

/** What the root stack's `build` returns: a value for each output of its contract. */
export interface RootOutputs extends OutputsOf<typeof rootContract> {}

export const root = defineStack(rootContract, {
  build(t, p, { settings, services, foundation, stores: definitions = [] }): RootOutputs {
    checkServicesFit(settings, services);
    checkStores(settings, definitions);
    const stores = definitions.map((d) => resolveStore(settings, d));
    const env = p.EnvironmentName.ref;
    // First: every other stack's alarms notify its topic (berth-<environment>-alarms). The load
    // balancer and the cluster wait for it; the services come after the cluster.
    const ops = nest(t, 'Operations', operations, { settings, parameters: { EnvironmentName: env } });
    const net = nest(t, 'Network', network, { settings: { ...settings, endpointNeeds: endpointNeeds(settings, services) }, parameters: { EnvironmentName: env } });
    // Registry entries the network publishes (its stack is complete before the cluster's, which takes its VPC).
    const registry = (key: RegistryKey) => sub`/berth/${env}/${key}` as unknown as Intrinsic<'AWS::SSM::Parameter::Name'>;
    const lb = nest(t, 'LoadBalancer', loadBalancer, {
      settings,
      parameters: {
        EnvironmentName: env,
        VpcId: net.outputs.VpcId,
        PublicSubnetIds: net.outputs.PublicSubnetIds,
      },
      options: { dependsOn: [ops.stack] },
    });
    const ecs = nest(t, 'Cluster', cluster, {
      settings,
      parameters: clusterArguments(settings, {
        EnvironmentName: env,
        VpcId: net.outputs.VpcId,
        ApplicationSubnetIds: net.outputs.ApplicationSubnetIds,
        ApplicationSecurityGroupId: registry('application-security-group-id'),
        EndpointSecurityGroupId: registry('endpoint-security-group-id'),
        S3PrefixListId: registry('s3-prefix-list-id'),
        // The operations stack's entry, by its output: the cluster waits for the topic.
        AlarmTopicArn: ops.outputs.AlarmTopicArnParameter,
      }),
    });
    const outputs: RootOutputs = {
      Url: lb.outputs.Url,
      VpcId: net.outputs.VpcId,
      ClusterName: ecs.outputs.ClusterName,
      ApplicationSubnetIds: net.outputs.ApplicationSubnetIds,
      LoadBalancerSecurityGroupId: lb.outputs.LoadBalancerSecurityGroupId,
    };
    // One stack per store (templates/stacks/data/): created after the network, before the services
    // that use it, which read its registry entries (docs/data-stores.md says why one per store).
    const storeStacks = new Map<string, Resource<'AWS::CloudFormation::Stack'>>();
    const storesUsedBy = (members: readonly ServiceDefinition[]) => [...new Set(members.flatMap((d) => (d.uses ?? []).map((u) => u.store)))].filter((name) => storeStacks.has(name));
    for (const store of stores) {
      const clients = services.flatMap((s) => (s.uses ?? []).filter((u) => u.store === store.name).map((u) => ({ service: s.name, access: u.access })));
      const id = `${storeId(store.name)}Store`;
      const nested =
        store.kind === 'aurora'
          ? nest(t, id, auroraStore, {
              settings: { settings, store, clients },
              parameters: {
                EnvironmentName: env,
                VpcId: net.outputs.VpcId,
                DbSubnetGroupName: net.outputs.DbSubnetGroupName,
                // The operations stack's entry, by its output, as the cluster takes it: the
                // database's alarms notify the topic, and the store waits for the entry to exist.
                AlarmTopicArn: ops.outputs.AlarmTopicArnParameter,
              },
            })
          : store.kind === 'dynamodb'
            ? nest(t, id, tableStore, { settings: { settings, store, clients }, parameters: { EnvironmentName: env } })
            : nest(t, id, bucketStore, { settings: { settings, store, clients }, parameters: { EnvironmentName: env } });
      storeStacks.set(store.name, nested.stack);
    }
    const environmentWiring = {
      EnvironmentName: env,
      LoadBalancerFullName: lb.outputs.LoadBalancerFullNameParameter,
      ClusterName: ecs.outputs.ClusterNameParameter,
      ...(settings.cluster.capacity.type === 'ec2' ? { CapacityProviderName: ecs.outputs.CapacityProviderNameParameter } : {}),
      // Published by the load balancer stack, which the dashboard already waits for (LoadBalancerFullName).
      ...(hasFirewall(settings) ? { WebAclName: registry('web-acl-name') } : {}),
    };
    if (foundation) {
      // The foundation has no service stacks, so no deploy guard. It draws the environment's
      // dashboard (the load balancer and the cluster; the services' products draw nothing on it),
      // unless the layered deploy passes DrawDashboard=false: deployed in layers, the dashboard
      // reads the services' stacks, so overview.yaml draws it after them (scripts/deploy-layers.ts).
      const drawn = t.parameter('DrawDashboard', parameter('String', {
        description: "Whether this stack draws the environment's dashboard. scripts/deploy.sh passes false when the estate deploys in layers, whose last layer (overview.yaml) draws it with the services.",
        default: 'true',
        allowedValues: ['true', 'false'],
        group: 'Environment',
        label: 'Draw the dashboard',
      }));
      const draws = t.condition('DrawsDashboard', Equals(drawn.ref, 'true'));
      nest(t, 'Dashboard', dashboard, { settings: { settings, services: [] }, parameters: environmentWiring, options: { condition: draws } });
      return outputs;
    }
    // Priorities stay where the committed output/ has them (templates/stacks/service/priority-lock.ts);
    // a traffic-shifting service's test listener rule takes the priority below its production rule's.
    const ctx = {
      settings,
      services,
      priorities: assignPriorities(services, readPriorityLock(lockFolder(settings.file, settings.name)), (d) => deploymentOf(settings, d).strategy !== 'rolling'),
      stores,
    };
    const wiring: ServiceWiring = {
      EnvironmentName: env,
      VpcId: net.outputs.VpcId,
      ApplicationSubnetIds: net.outputs.ApplicationSubnetIds,
      // Names of SSM parameters (the estate registry), not the values: see templates/stacks/shared/registry.ts.
      ClusterName: ecs.outputs.ClusterNameParameter,
      CapacityProviderName: ecs.outputs.CapacityProviderNameParameter,
      LoadBalancerSecurityGroupId: lb.outputs.LoadBalancerSecurityGroupId,
      ListenerArn: lb.outputs.ListenerArnParameter,
      LoadBalancerFullName: lb.outputs.LoadBalancerFullNameParameter,
      ApplicationSecurityGroupId: registry('application-security-group-id'),
      EndpointSecurityGroupId: registry('endpoint-security-group-id'),
      S3PrefixListId: registry('s3-prefix-list-id'),
      DynamoDbPrefixListId: registry('dynamodb-prefix-list-id'),
    };
    const groups = serviceGroups(ctx, t.counts.resources + t.children.reduce((n, c) => n + c.counts.resources, 0));
    if (!groups) {
      const nested = nestServices(t, ctx, services, wiring, [], storeStacks);
      // Last: the dashboard, with every service's widgets (each stack's output), and the deploy
      // guard over every service's deployment alarms.
      nest(t, 'Dashboard', dashboard, {
        settings: { settings, services },
        parameters: { ...environmentWiring, ...Object.fromEntries(services.map((d) => [widgetsParameterName(d.name), nested.get(d.name)!.outputs.DashboardWidgets])) },
      });
      deployGuard(t, settings, env, services.flatMap((d) => (d.role.kind === 'scheduled' ? [] : [{ service: d.name, alarms: nested.get(d.name)!.outputs.DeploymentAlarms }])));
    } else {
      // Each group draws its services on a dashboard of its own and guards them with its own
      // composite alarm (templates/stacks/service-group.ts); the root's dashboard draws the
      // environment, and its deploy guard watches the groups' guards.
      const guarded: GuardedService[] = [];
      for (const [group, members] of groups) {
        const stack = nest(t, `Services${groupLabel(group)}`, serviceGroup, {
          settings: { ...ctx, group, members },
          // The services read the cluster's and load balancer's registry entries when created (the
          // load balancer's outputs already make the group wait for it).
          options: { dependsOn: [ecs.stack, ...storesUsedBy(members).map((name) => storeStacks.get(name)!)] },
          parameters: { EnvironmentName: env, VpcId: wiring.VpcId, ApplicationSubnetIds: net.outputs.ApplicationSubnetIds, LoadBalancerSecurityGroupId: wiring.LoadBalancerSecurityGroupId },
        });
        if (members.some((d) => d.role.kind !== 'scheduled')) guarded.push({ service: `services-${groupLabel(group)}`, alarms: stack.outputs.DeploymentAlarms, group: true });
      }
      nest(t, 'Dashboard', dashboard, { settings: { settings, services: [], groups: [...groups.keys()] }, parameters: environmentWiring });
      deployGuard(t, settings, env, guarded);
    }
    return outputs;
  },
});

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
  checkEgress(settings, services);
  for (const name of Object.keys(settings.services ?? {})) {
    if (!services.some((d) => d.name === name)) {
      throw new BerthError(
        at(settings.file, `services.${name}`),
        `overrides service ${q(name)}, which the estate does not define. Services: ${services.map((d) => q(d.name)).join(', ')} (templates/services/). Fix the name or remove the entry.`,
      );
    }
  }
}
