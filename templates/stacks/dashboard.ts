/**
 * The dashboard stack: one CloudWatch dashboard per environment, `berth-<environment>`. The
 * environment's own widgets (the load balancer's requests, 5xx and response time; the cluster's
 * capacity) are built here from the registry's names; each service's widgets are built in its own
 * stack from its handles and arrive as a parameter (the service stack's `DashboardWidgets`
 * output), so this template grows by one parameter per service, not by its widgets.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-dashboard.html
 */
import { BerthError, contract, defineStack, output, parameter, q, sub, type Intrinsic, type OutputsOf, type Value } from '../../src/dsl/index.ts';
import type { ResolvedSettings } from '../settings/settings.ts';
import { DASHBOARD_LIMITS, subOf, widgetsText, type Widget } from './shared/dashboard.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { loadBalancerMetric } from './shared/metrics.ts';
import { registryParameter } from './shared/registry.ts';
import type { ServiceDefinition } from './service/definition.ts';
import { resolve } from './service/resolve.ts';
import { pascal } from './service/routing.ts';
import { MAX_WIDGETS_TEXT } from './service/dashboard-widgets.ts';

export interface DashboardSettings {
  readonly settings: ResolvedSettings;
  readonly services: readonly ServiceDefinition[];
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
  description: ({ settings, services }: DashboardSettings) =>
    `berth dashboard for ${settings.name}: the load balancer, the cluster's capacity and ${services.length} service${services.length === 1 ? '' : 's'}${services.length ? ` (${services.map((s) => s.name).join(', ')})` : ''}.`,
  parameters: ({ settings, services }: DashboardSettings) => ({
    EnvironmentName: environmentNameParameter(settings.name, 'Name prefix for the resources (the dashboard is berth-<environment>).'),
    LoadBalancerFullName: registryParameter(settings.name, 'load-balancer-full-name', 'Full name of the load balancer (app/<name>/<id>).', WIRING, 'Load balancer full name'),
    ClusterName: registryParameter(settings.name, 'cluster-name', 'Name of the ECS cluster.', WIRING, 'ECS cluster name'),
    ...(settings.cluster.capacity.type === 'ec2'
      ? { CapacityProviderName: registryParameter(settings.name, 'capacity-provider-name', 'EC2 capacity provider of the cluster.', WIRING, 'EC2 capacity provider') }
      : {}),
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
  build(t, p, { settings, services }): DashboardOutputs {
    const lb = p.LoadBalancerFullName.ref;
    const cluster = p.ClusterName.ref;
    const handles = p as unknown as Record<string, { ref: Intrinsic<'String'> } | undefined>;
    const provider = handles.CapacityProviderName?.ref;
    const environment = widgetsText(environmentWidgets(settings.name, lb, cluster, provider));
    checkLimits(settings, services, environment.metrics);
    // One `Fn::Sub`: the environment's widgets inline, each service's parameter a placeholder.
    const values: Value<string>[] = [environment.text, ...services.map((d) => handles[widgetsParameterName(d.name)]!.ref)];
    const parts = ['{"widgets":[', ...services.map(() => ','), ']}'];
    const board = t.resource('Dashboard', 'AWS::CloudWatch::Dashboard', { DashboardName: sub`berth-${p.EnvironmentName.ref}`, DashboardBody: subOf(parts, values) });
    return { DashboardName: board.ref };
  },
});

function environmentWidgets(environment: string, lb: Value<string>, cluster: Value<string>, provider: Value<string> | undefined): Widget[] {
  const PERIOD = 60;
  return [
    { type: 'text', markdown: `## berth ${environment}\nThe load balancer and the cluster, then each service. Alarms: CloudWatch console, Alarms, filter \`${environment}-\`.`, width: 24, height: 2 },
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
  ];
}

/** CloudWatch's dashboard limits, checked on the whole estate before AWS does. */
function checkLimits(s: ResolvedSettings, services: readonly ServiceDefinition[], environmentMetrics: number): void {
  const sizes = services.map((d) => serviceDashboardSize(s, d));
  const metrics = environmentMetrics + sizes.reduce((n, x) => n + x.metrics, 0);
  const widgets = 5 + sizes.reduce((n, x) => n + x.widgets, 0);
  for (const [what, count, max] of [['metrics', metrics, DASHBOARD_LIMITS.metricsPerDashboard], ['widgets', widgets, DASHBOARD_LIMITS.widgetsPerDashboard]] as const) {
    if (count > max) {
      throw new BerthError(
        `${s.file}: dashboard`,
        `the estate's ${services.length} services make a dashboard of ${count} ${what}, over CloudWatch's ${max} per dashboard (${services.map((d) => q(d.name)).slice(0, 3).join(', ')}, ...). Split the estate into environments, or draw less per service (templates/stacks/service/dashboard-widgets.ts).`,
      );
    }
  }
}
