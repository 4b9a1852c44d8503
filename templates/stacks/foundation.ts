/**
 * The foundation: the root stack without services (network, load balancer and cluster), a
 * top-level template of its own (`foundation.yaml`). It is what the Service Catalog portfolio
 * offers first; each service is its own product deployed on top of it, so a team provisions the
 * foundation once and its services side by side. Deploying the whole estate in one stack stays
 * `root.yaml` (scripts/deploy.sh <env>), the alternative to the products.
 */
import { synthesize, type Template } from '../../src/dsl/index.ts';
import { root, type RootSettings } from './root.ts';
import { describeNames } from './shared/description.ts';
import type { StoreDefinition } from './data/definition.ts';
import type { ServiceDefinition } from './service/definition.ts';
import type { ResolvedSettings } from '../settings/settings.ts';

export const foundation = {
  ...root,
  name: 'foundation',
  description: ({ settings, stores = [] }: RootSettings) =>
    describeNames(
      stores.map((s) => s.name),
      (list) => `berth foundation ${settings.name}: alarm topic, network, load balancer, ECS cluster${stores.length ? `, data stores (${list})` : ''} and dashboard, on which the services deploy as their own stacks.`,
    ),
};

/**
 * The foundation template. Its nested templates are the root's own (operations.yaml,
 * network.yaml, load-balancer.yaml, cluster.yaml, data-<store>.yaml, identical for both), so they
 * are written once, as the root's. It takes the services without nesting them: they decide who may
 * reach each store, which the stores' templates say. Its dashboard is left out
 * (`DrawDashboard=false`) when the estate deploys in layers: overview.yaml
 * (templates/stacks/overview.ts) draws it after the services.
 */
export function synthesizeFoundation(settings: ResolvedSettings, services: readonly ServiceDefinition[] = [], stores: readonly StoreDefinition[] = []): Template {
  const t = synthesize(foundation, { settings, services, stores, foundation: true });
  t.children.length = 0;
  return t;
}
