/**
 * The overview: the environment's dashboard and deploy guard as a top-level template of their own
 * (`overview.yaml`), the last layer of an estate deployed in layers (scripts/deploy-layers.ts,
 * docs/many-accounts.md). root.yaml nests the same dashboard and holds the same guard, wired with
 * its service stacks' outputs; deployed in layers, the services are stacks of their own, so the
 * deploy reads their outputs and passes them here as parameters. Which parameter takes which
 * layer's output is this template's `berth:layer-wiring` Metadata.
 */
import { contract, defineStack, nest, parameter, sub, synthesize, type Intrinsic, type Template } from '../../src/dsl/index.ts';
import type { ResolvedSettings } from '../settings/settings.ts';
import { dashboard, widgetsParameterName } from './dashboard.ts';
import { deployGuard, type GuardedService } from './deploy-guard.ts';
import { hasFirewall } from './firewall.ts';
import type { ServiceDefinition } from './service/definition.ts';
import { pascal } from './service/routing.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { groupLabel } from './shared/grouping.ts';
import type { RegistryKey } from './shared/registry.ts';

/** The template Metadata key scripts/deploy-layers.ts reads: parameter -> the layer and output that feed it. */
export const LAYER_WIRING_METADATA = 'berth:layer-wiring';

export interface OverviewSettings {
  readonly settings: ResolvedSettings;
  /** The services drawn on the dashboard (none when they are grouped). */
  readonly services: readonly ServiceDefinition[];
  /** The layers whose deploy guards this one watches: a service's template or a group's. */
  readonly guarded: readonly { readonly layer: string; readonly label: string }[];
  /** Service groups (each draws its own dashboard). @default - none */
  readonly groups?: readonly number[];
}

const alarmsParameterName = (label: string) => `${label}DeploymentAlarms`;

export const overviewContract = contract({
  name: 'overview',
  description: ({ settings }: OverviewSettings) =>
    `berth overview ${settings.name}: the dashboard and the deploy guard, deployed after the services when the estate deploys in layers (root.yaml holds both otherwise).`,
  parameters: ({ settings, guarded }: OverviewSettings) => ({
    EnvironmentName: environmentNameParameter(settings.name, 'Name prefix for the resources (the dashboard berth-<environment>, the alarm <environment>-deploy-guard).'),
    ...Object.fromEntries(
      guarded.map((g) => [
        alarmsParameterName(g.label),
        parameter('String', {
          description: `The deployment alarms of ${g.layer}.yaml as a composite alarm rule: its stack's DeploymentAlarms output (scripts/deploy.sh passes it).`,
          allowedPattern: '^ALARM\\(.*\\)$',
          constraintDescription: 'ALARM("<alarm name>") terms joined by OR',
          group: 'Deploy guard',
          label: `${g.layer} deployment alarms`,
        }),
      ]),
    ),
  }),
  outputs: {},
});

export const overview = defineStack(overviewContract, {
  build(t, p, { settings, services, guarded, groups }) {
    const env = p.EnvironmentName.ref;
    const handles = p as unknown as Record<string, { ref: Intrinsic<'String'> }>;
    // The dashboard reads the load balancer's and the cluster's names from the registry, under
    // this stack's EnvironmentName (as root.yaml passes them); each service's widgets arrive as a
    // parameter of this template, passed through.
    const registry = (key: RegistryKey) => sub`/berth/${env}/${key}` as unknown as Intrinsic<'AWS::SSM::Parameter::Name'>;
    const widgets = Object.fromEntries(services.map((d) => [widgetsParameterName(d.name), t.parameter(widgetsParameterName(d.name), dashboardWidgets(d.name)).ref]));
    nest(t, 'Dashboard', dashboard, {
      settings: { settings, services, ...(groups ? { groups } : {}) },
      parameters: {
        EnvironmentName: env,
        LoadBalancerFullName: registry('load-balancer-full-name'),
        ClusterName: registry('cluster-name'),
        ...(settings.cluster.capacity.type === 'ec2' ? { CapacityProviderName: registry('capacity-provider-name') } : {}),
        ...(hasFirewall(settings) ? { WebAclName: registry('web-acl-name') } : {}),
        ...widgets,
      },
    });
    deployGuard(t, settings, env, guarded.map((g): GuardedService => ({ service: g.layer, alarms: handles[alarmsParameterName(g.label)]!.ref, group: g.layer.startsWith('services-') })));
    t.addMetadata(LAYER_WIRING_METADATA, {
      ...Object.fromEntries(services.map((d) => [widgetsParameterName(d.name), { layer: `service-${d.name}`, output: 'DashboardWidgets' }])),
      ...Object.fromEntries(guarded.map((g) => [alarmsParameterName(g.label), { layer: g.layer, output: 'DeploymentAlarms' }])),
    });
    return {};
  },
});

function dashboardWidgets(service: string) {
  return parameter('String', {
    description: `The widgets of service ${service}: its stack's DashboardWidgets output (scripts/deploy.sh passes it).`,
    maxLength: 4096,
    group: 'Dashboard',
    label: `${service} widgets`,
  });
}

/**
 * The overview of `estate` (the synthesized root): its services, or the service groups it nests
 * (templates/stacks/service-group.ts), each guarded when the root's guard watches it (a group
 * of scheduled tasks only has no deployment alarm).
 */
export function overviewSettings(settings: ResolvedSettings, services: readonly ServiceDefinition[], estate: Template): OverviewSettings {
  const groups = estate.children.filter((c) => /^services-\d+$/.test(c.name));
  if (groups.length === 0) {
    return { settings, services, guarded: services.filter((d) => d.role.kind !== 'scheduled').map((d) => ({ layer: `service-${d.name}`, label: pascal(d.name) })) };
  }
  const guardedGroups = groups.filter((g) => 'DeployGuard' in ((g.toJSON() as { Resources?: Record<string, unknown> }).Resources ?? {}));
  return {
    settings,
    services: [],
    groups: groups.map((g) => Number(g.name.slice('services-'.length))),
    guarded: guardedGroups.map((g) => ({ layer: g.name, label: `Services${groupLabel(Number(g.name.slice('services-'.length)))}` })),
  };
}

/** The overview template of `estate`. Its dashboard.yaml is the root's own, written once, as the root's. */
export function synthesizeOverview(settings: ResolvedSettings, services: readonly ServiceDefinition[], estate: Template): Template {
  const t = synthesize(overview, overviewSettings(settings, services, estate));
  t.children.length = 0;
  return t;
}
