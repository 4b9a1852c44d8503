/**
 * The dashboard stack: one CloudWatch dashboard per environment, `berth-<environment>`. The
 * environment's own widgets (the load balancer's requests, 5xx and response time; the cluster's
 * capacity) are built here from the registry's names; each service's widgets are built in its own
 * stack from its handles and arrive as a parameter (the service stack's `DashboardWidgets`
 * output), so this template grows by one parameter per service, not by its widgets.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-dashboard.html
 */
import { BerthError, contract, defineStack, output, parameter, q, sub, type Intrinsic, type OutputsOf, type Template, type Value } from '../../src/dsl/index.ts';
import { describeNames } from './shared/description.ts';
import { groupLabel } from './shared/grouping.ts';
import type { ResolvedSettings } from '../settings/settings.ts';
import { DASHBOARD_LIMITS, subOf, widgetsText, type Widget } from './shared/dashboard.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { loadBalancerMetric } from './shared/metrics.ts';
import { registryParameter } from './shared/registry.ts';
import { FIREWALL_METRICS, firewallMetric, hasFirewall } from './firewall.ts';
import type { ServiceDefinition } from './service/definition.ts';
import { resolve } from './service/resolve.ts';
import { pascal } from './service/routing.ts';
import { MAX_WIDGETS_TEXT } from './service/dashboard-widgets.ts';

export interface DashboardSettings {
  readonly settings: ResolvedSettings;
  /** The services drawn here: all of them, or none when they are grouped. */
  readonly services: readonly ServiceDefinition[];
  /** Service groups (templates/stacks/service-group.ts), each with a dashboard of its own. @default - none */
  readonly groups?: readonly number[];
}

/** The parameter that carries a service's widgets. */
export function widgetsParameterName(service: string): string {
  return `${pascal(service)}Widgets`;
}

/**
 * How many widgets and metrics each service draws (templates/stacks/service/dashboard-widgets.ts;
 * test/operations.test.ts checks these against the widgets it builds), for CloudWatch's limits.
 */
export function serviceDashboardSize(s: ResolvedSettings, d: ServiceDefinition): { widgets: number; metrics: number } {
  const groups = resolve({ settings: s, service: d }).shifting ? 2 : 1;
  switch (d.role.kind) {
    case 'web':
      return { widgets: 4, metrics: 3 * groups + 3 };
    case 'queueWorker':
      return { widgets: 3, metrics: 6 };
    case 'scheduled':
      return { widgets: 2, metrics: 1 };
  }
}

const WIRING = 'Wiring (the estate registry and the service stacks)';

export const dashboardContract = contract({
  name: 'dashboard',
  description: ({ settings, services, groups }: DashboardSettings) =>
    groups?.length
      ? `berth dashboard for ${settings.name}: the load balancer and the cluster's capacity; the services are on their groups' dashboards (berth-<environment>-services-<NN>).`
      : describeNames(
          services.map((s) => s.name),
          (list) => `berth dashboard for ${settings.name}: the load balancer, the cluster's capacity and ${services.length} service${services.length === 1 ? '' : 's'}${services.length ? ` (${list})` : ''}.`,
        ),
  parameters: ({ settings, services }: DashboardSettings) => ({
    EnvironmentName: environmentNameParameter(settings.name, 'Name prefix for the resources (the dashboard is berth-<environment>).'),
    LoadBalancerFullName: registryParameter(settings.name, 'load-balancer-full-name', 'Full name of the load balancer (app/<name>/<id>).', WIRING, 'Load balancer full name'),
    ClusterName: registryParameter(settings.name, 'cluster-name', 'Name of the ECS cluster.', WIRING, 'ECS cluster name'),
    ...(settings.cluster.capacity.type === 'ec2'
      ? { CapacityProviderName: registryParameter(settings.name, 'capacity-provider-name', 'EC2 capacity provider of the cluster.', WIRING, 'EC2 capacity provider') }
      : {}),
    ...(hasFirewall(settings) ? { WebAclName: registryParameter(settings.name, 'web-acl-name', "Name of the load balancer's web ACL (AWS WAF).", WIRING, 'Web ACL name') } : {}),
    ...Object.fromEntries(
      services.map((d) => [
        widgetsParameterName(d.name),
        parameter('String', {
          description: `The widgets of service ${d.name}: its stack's DashboardWidgets output (JSON array items). The default is a note to deploy it.`,
          default: JSON.stringify({ type: 'text', width: 24, height: 2, properties: { markdown: `### ${d.name}\nNo figures yet: pass the DashboardWidgets output of the ${d.name} service stack here.` } }),
          maxLength: MAX_WIDGETS_TEXT,
          group: 'Services',
          label: `${d.name} widgets`,
        }),
      ]),
    ),
  }),
  outputs: {
    DashboardName: output('String', { description: 'The dashboard (CloudWatch console: Dashboards).' }),
  },
});

/** What the dashboard stack's `build` returns: a value for each output of its contract. */
export interface DashboardOutputs extends OutputsOf<typeof dashboardContract> {}

export const dashboard = defineStack(dashboardContract, {
  build(t, p, { settings, services, groups }): DashboardOutputs {
    const lb = p.LoadBalancerFullName.ref;
    const cluster = p.ClusterName.ref;
    const handles = p as unknown as Record<string, { ref: Intrinsic<'String'> } | undefined>;
    const provider = handles.CapacityProviderName?.ref;
    const widgets = environmentWidgets(settings.name, lb, cluster, provider, groups ?? [], handles.WebAclName?.ref);
    const environment = widgetsText(widgets);
    checkLimits(settings, services, environment.metrics, widgets.length);
    // One `Fn::Sub`: the environment's widgets inline, each service's parameter a placeholder.
    const values: Value<string>[] = [environment.text, ...services.map((d) => handles[widgetsParameterName(d.name)]!.ref)];
    const parts = ['{"widgets":[', ...services.map(() => ','), ']}'];
    const board = t.resource('Dashboard', 'AWS::CloudWatch::Dashboard', { DashboardName: sub`berth-${p.EnvironmentName.ref}`, DashboardBody: subOf(parts, values) });
    return { DashboardName: board.ref };
  },
});

function environmentWidgets(environment: string, lb: Value<string>, cluster: Value<string>, provider: Value<string> | undefined, groups: readonly number[], webAcl: Value<string> | undefined): Widget[] {
  const PERIOD = 60;
  const services = groups.length
    ? `. The services are on their groups' dashboards: ${groups.map((g) => `\`berth-${environment}-services-${groupLabel(g)}\``).join(', ')}.`
    : ', then each service.';
  return [
    { type: 'text', markdown: `## berth ${environment}\nThe load balancer and the cluster${services} Alarms: CloudWatch console, Alarms, filter \`${environment}-\`.`, width: 24, height: groups.length ? 3 : 2 },
    {
      type: 'metric',
      title: 'Load balancer: requests',
      width: 8,
      height: 6,
      periodSeconds: PERIOD,
      lines: [{ metric: loadBalancerMetric('RequestCount', lb), stat: 'Sum', label: 'Requests' }],
      left: { label: 'requests / min' },
    },
    {
      type: 'metric',
      title: 'Load balancer: 5xx',
      width: 8,
      height: 6,
      periodSeconds: PERIOD,
      lines: [
        { metric: loadBalancerMetric('HTTPCode_ELB_5XX_Count', lb), stat: 'Sum', label: 'From the load balancer' },
        { metric: loadBalancerMetric('HTTPCode_Target_5XX_Count', lb), stat: 'Sum', label: 'From the services' },
      ],
      left: { label: '5xx / min' },
    },
    {
      type: 'metric',
      title: 'Load balancer: response time (s)',
      width: 8,
      height: 6,
      periodSeconds: PERIOD,
      lines: [
        { metric: loadBalancerMetric('TargetResponseTime', lb), stat: 'p50', label: 'p50' },
        { metric: loadBalancerMetric('TargetResponseTime', lb), stat: 'p99', label: 'p99' },
      ],
    },
    provider
      ? {
          // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cluster-auto-scaling.html
          type: 'metric',
          title: 'Cluster capacity',
          width: 24,
          height: 6,
          periodSeconds: PERIOD,
          lines: [
            { metric: { namespace: 'AWS/ECS/ManagedScaling', name: 'CapacityProviderReservation', dimensions: [{ name: 'ClusterName', value: cluster }, { name: 'CapacityProviderName', value: provider }] }, stat: 'Average', label: 'Capacity provider reservation %' },
            { metric: { namespace: 'AWS/ECS', name: 'CPUReservation', dimensions: [{ name: 'ClusterName', value: cluster }] }, stat: 'Average', label: 'CPU reserved %' },
            { metric: { namespace: 'AWS/ECS', name: 'MemoryReservation', dimensions: [{ name: 'ClusterName', value: cluster }] }, stat: 'Average', label: 'Memory reserved %' },
          ],
          left: { label: '%', percent: false },
        }
      : {
          type: 'metric',
          title: 'Cluster: running tasks',
          width: 24,
          height: 6,
          periodSeconds: PERIOD,
          lines: [{ metric: { namespace: 'ECS/ContainerInsights', name: 'TaskCount', dimensions: [{ name: 'ClusterName', value: cluster }] }, stat: 'Maximum', label: 'Tasks' }],
        },
    ...(webAcl
      ? [
          {
            // What the web ACL let through, blocked (the rate limit's share apart) and counted: a
            // managed rule in count mode, or one a team is trying out, shows here before it blocks.
            type: 'metric',
            title: 'Firewall: requests',
            width: 24,
            height: 6,
            periodSeconds: PERIOD,
            lines: [
              { metric: firewallMetric('AllowedRequests', webAcl), stat: 'Sum', label: 'Allowed' },
              { metric: firewallMetric('BlockedRequests', webAcl), stat: 'Sum', label: 'Blocked' },
              { metric: firewallMetric('BlockedRequests', webAcl, FIREWALL_METRICS.rateLimit), stat: 'Sum', label: 'Blocked by the rate limit per IP' },
              { metric: firewallMetric('CountedRequests', webAcl), stat: 'Sum', label: 'Counted' },
            ],
            left: { label: 'requests / min' },
          } satisfies Widget,
        ]
      : []),
  ];
}

/**
 * A dashboard of `members` alone, `berth-<environment>-<label>`, from their stacks' widgets (a
 * service group's: templates/stacks/service-group.ts).
 */
export function servicesDashboard(t: Template, s: ResolvedSettings, members: readonly ServiceDefinition[], name: Value<string>, label: string, widgets: readonly Value<string>[]): void {
  const heading = widgetsText([{ type: 'text', markdown: `## berth ${s.name}: ${label}\n${describeNames(members.map((d) => d.name), (list) => list)}. The load balancer and the cluster: dashboard \`berth-${s.name}\`.`, width: 24, height: 2 }]);
  checkLimits(s, members, heading.metrics, 1);
  t.resource('Dashboard', 'AWS::CloudWatch::Dashboard', { DashboardName: name, DashboardBody: subOf(['{"widgets":[', ...widgets.map(() => ','), ']}'], [heading.text, ...widgets]) });
}

/** CloudWatch's dashboard limits, checked on the whole estate (or group) before AWS does. */
function checkLimits(s: ResolvedSettings, services: readonly ServiceDefinition[], environmentMetrics: number, environmentWidgetCount: number): void {
  const sizes = services.map((d) => serviceDashboardSize(s, d));
  const metrics = environmentMetrics + sizes.reduce((n, x) => n + x.metrics, 0);
  const widgets = environmentWidgetCount + sizes.reduce((n, x) => n + x.widgets, 0);
  for (const [what, count, max] of [['metrics', metrics, DASHBOARD_LIMITS.metricsPerDashboard], ['widgets', widgets, DASHBOARD_LIMITS.widgetsPerDashboard]] as const) {
    if (count > max) {
      throw new BerthError(
        `${s.file}: dashboard`,
        `the estate's ${services.length} services make a dashboard of ${count} ${what}, over CloudWatch's ${max} per dashboard (${services.map((d) => q(d.name)).slice(0, 3).join(', ')}, ...). Split the estate into environments, or draw less per service (templates/stacks/service/dashboard-widgets.ts).`,
      );
    }
  }
}
