/**
 * A service's part of the environment's dashboard: a title, then its traffic (web), its queue
 * (workers) or its failed runs (scheduled tasks), and its tasks, CPU and memory. Built here, in
 * the service's own stack, from the handles of what the stack created; the stack outputs the
 * widgets' JSON and the dashboard stack joins every service's into one body.
 */
import { BerthError, q, type Resource, type Value } from '../../../src/dsl/index.ts';
import { widgetsText, type Widget } from '../shared/dashboard.ts';
import { containerInsightsServiceMetric, ecsServiceMetric, queueMetric, targetGroupMetric } from '../shared/metrics.ts';
import type { ScheduleResources } from './scheduled-task.ts';
import type { Resolved } from './resolve.ts';

/**
 * A nested stack's output reaches the dashboard stack as a parameter value, which CloudFormation
 * caps at 4,096 bytes. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html
 */
export const MAX_WIDGETS_TEXT = 4096;

export type ServiceWidgetInputs =
  | { readonly kind: 'web'; readonly cluster: Value<string>; readonly service: Resource<'AWS::ECS::Service'>; readonly loadBalancer: Value<string>; readonly groups: readonly Resource<'AWS::ElasticLoadBalancingV2::TargetGroup'>[] }
  | { readonly kind: 'queueWorker'; readonly cluster: Value<string>; readonly service: Resource<'AWS::ECS::Service'>; readonly queue: Resource<'AWS::SQS::Queue'>; readonly deadLetter: Resource<'AWS::SQS::Queue'> }
  | { readonly kind: 'scheduled'; readonly schedule: ScheduleResources };

const PERIOD = 60;

function tasks(r: Resolved, cluster: Value<string>, service: Resource<'AWS::ECS::Service'>, width: number): Widget {
  return {
    type: 'metric',
    title: `${r.name}: running tasks, CPU and memory`,
    width,
    height: 6,
    periodSeconds: PERIOD,
    lines: [
      { metric: containerInsightsServiceMetric('RunningTaskCount', cluster, service), stat: 'Maximum', label: 'Running tasks' },
      { metric: ecsServiceMetric('CPUUtilization', cluster, service), stat: 'Average', label: 'CPU %', yAxis: 'right' },
      { metric: ecsServiceMetric('MemoryUtilization', cluster, service), stat: 'Average', label: 'Memory %', yAxis: 'right' },
    ],
    left: { label: 'tasks' },
    right: { label: '% of reserved', percent: true },
  };
}

/** The widgets of one service. */
export function serviceWidgets(r: Resolved, i: ServiceWidgetInputs): Widget[] {
  const title: Widget = { type: 'text', markdown: `### ${r.name}`, width: 24, height: 1 };
  switch (i.kind) {
    case 'web': {
      // One line per target group: during a canary the split of the traffic shows.
      const group = (n: number) => (i.groups.length > 1 ? ` (target group ${n + 1})` : '');
      return [
        title,
        {
          type: 'metric',
          title: `${r.name}: requests and server errors`,
          width: 12,
          height: 6,
          periodSeconds: PERIOD,
          lines: [
            ...i.groups.map((tg, n) => ({ metric: targetGroupMetric('RequestCount', i.loadBalancer, tg), stat: 'Sum' as const, label: `Requests${group(n)}` })),
            ...i.groups.map((tg, n) => ({ metric: targetGroupMetric('HTTPCode_Target_5XX_Count', i.loadBalancer, tg), stat: 'Sum' as const, label: `5xx${group(n)}`, yAxis: 'right' as const })),
          ],
          left: { label: 'requests / min' },
          right: { label: '5xx / min' },
        },
        {
          type: 'metric',
          title: `${r.name}: response time (p99, s)`,
          width: 6,
          height: 6,
          periodSeconds: PERIOD,
          lines: i.groups.map((tg, n) => ({ metric: targetGroupMetric('TargetResponseTime', i.loadBalancer, tg), stat: 'p99' as const, label: `p99${group(n)}` })),
        },
        tasks(r, i.cluster, i.service, 6),
      ];
    }
    case 'queueWorker':
      return [
        title,
        {
          type: 'metric',
          title: `${r.name}: queue`,
          width: 12,
          height: 6,
          periodSeconds: PERIOD,
          lines: [
            { metric: queueMetric('ApproximateNumberOfMessagesVisible', i.queue), stat: 'Maximum', label: 'Waiting messages' },
            { metric: queueMetric('ApproximateNumberOfMessagesVisible', i.deadLetter), stat: 'Maximum', label: 'Dead letters' },
            { metric: queueMetric('ApproximateAgeOfOldestMessage', i.queue), stat: 'Maximum', label: 'Oldest message (s)', yAxis: 'right' },
          ],
          left: { label: 'messages' },
          right: { label: 'seconds' },
        },
        tasks(r, i.cluster, i.service, 12),
      ];
    case 'scheduled': {
      const s = i.schedule;
      return [
        title,
        {
          type: 'metric',
          title: `${r.name}: runs that could not start`,
          width: 12,
          height: 6,
          periodSeconds: 300,
          lines:
            s.via === 'scheduler'
              ? [{ metric: queueMetric('ApproximateNumberOfMessagesVisible', s.deadLetter), stat: 'Maximum', label: 'In the dead-letter queue' }]
              : [{ metric: { namespace: 'AWS/Events', name: 'FailedInvocations', dimensions: [{ name: 'RuleName', value: s.rule.ref }] }, stat: 'Sum', label: 'Failed invocations' }],
        },
      ];
    }
  }
}

/** The service's widgets as the text the dashboard stack joins, checked against the parameter size. */
export function serviceWidgetsText(r: Resolved, i: ServiceWidgetInputs) {
  const w = widgetsText(serviceWidgets(r, i));
  if (w.maxLength > MAX_WIDGETS_TEXT) {
    throw new BerthError(`service-${r.name}.yaml: DashboardWidgets`, `the widgets' JSON can reach ${w.maxLength} bytes once CloudFormation fills in the names, over the ${MAX_WIDGETS_TEXT} bytes a parameter of the dashboard stack takes. Draw fewer lines for ${q(r.name)} (templates/stacks/service/dashboard-widgets.ts).`);
  }
  return w;
}
