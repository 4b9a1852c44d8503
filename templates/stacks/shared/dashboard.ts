/**
 * CloudWatch dashboard widgets, built from the same typed metrics as the alarms
 * (shared/metrics.ts), and their JSON as CloudFormation text: an `Fn::Sub` whose placeholders are
 * the handles' `Ref`s and `GetAtt`s, so the dashboard names what the stacks created.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html
 *
 * Widgets carry no `x` and `y`: CloudWatch places each at the next free position of its 24-column
 * grid, in order, so a service's widgets follow its title and the estate needs no layout code.
 */
import { AWS, sub, type Intrinsic, type Json, type Value } from '../../../src/dsl/index.ts';
import type { Stat } from './alarms.ts';
import type { Metric } from './metrics.ts';

/** A metric drawn as a line. */
export interface MetricLine {
  readonly metric: Metric;
  readonly stat: Stat;
  readonly label: string;
  /** @default 'left' */
  readonly yAxis?: 'left' | 'right';
}

/** A metric math expression drawn as a line; its inputs are fetched and hidden. */
export interface MathLine {
  readonly expression: string;
  readonly label: string;
  readonly inputs: { readonly [id: string]: { readonly metric: Metric; readonly stat: Stat } };
  /** @default 'left' */
  readonly yAxis?: 'left' | 'right';
}

export type Widget =
  | { readonly type: 'text'; readonly markdown: string; readonly width: number; readonly height: number }
  | {
      readonly type: 'metric';
      readonly title: string;
      readonly width: number;
      readonly height: number;
      readonly periodSeconds: number;
      readonly lines: readonly (MetricLine | MathLine)[];
      /** Axis labels, and a 0-100 scale for percentages. @default - CloudWatch's */
      readonly left?: { readonly label?: string; readonly percent?: boolean };
      readonly right?: { readonly label?: string; readonly percent?: boolean };
    };

/**
 * CloudWatch's dashboard limits, the stricter of what its quota pages have said: 100 metrics per
 * widget and 500 per dashboard, counting the inputs of metric math.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_limits.html
 */
export const DASHBOARD_LIMITS = { metricsPerWidget: 100, metricsPerDashboard: 500, widgetsPerDashboard: 500 } as const;

/**
 * The longest value each dimension can take, from AWS's naming limits, to bound the size of a
 * widget's text once CloudFormation has filled it in. `app/<name>/<id>`: a load balancer name has at
 * most 32 characters and the id 16; a target group likewise with `targetgroup/`. ECS names have at
 * most 255 characters, queue names 80, rule names 64, Region codes far fewer than 25.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateService.html
 */
const MAX_DIMENSION_LENGTH: Readonly<Record<string, number>> = {
  LoadBalancer: 53,
  TargetGroup: 61,
  ClusterName: 255,
  ServiceName: 255,
  CapacityProviderName: 255,
  AutoScalingGroupName: 255,
  QueueName: 80,
  RuleName: 64,
};
const MAX_REGION_LENGTH = 25;

/** How many metrics a widget fetches (math inputs included). */
export function metricCount(w: Widget): number {
  return w.type === 'text' ? 0 : w.lines.reduce((n, l) => n + ('metric' in l ? 1 : Object.keys(l.inputs).length), 0);
}

interface Built {
  readonly json: Json;
  /** The most characters CloudFormation's substitutions can add. */
  readonly substituted: number;
}

const isLiteral = (v: unknown): v is string => typeof v === 'string';
/** The same value: the same text, or the same intrinsic (function and arguments; handles make new objects). */
const same = (a: unknown, b: unknown) => a === b || (isIntrinsic(a) && isIntrinsic(b) && a.fn === b.fn && JSON.stringify(a.args) === JSON.stringify(b.args));

/** `[namespace, name, dimension, value, ...]` with "." for what repeats the row before (the dashboard's own shorthand). */
function metricRows(rows: readonly { readonly metric: Metric; readonly options: Json }[]): { rows: Json[]; substituted: number } {
  let previous: unknown[] = [];
  let substituted = 0;
  const out = rows.map(({ metric, options }) => {
    const cells: unknown[] = [metric.namespace, metric.name, ...metric.dimensions.flatMap((d) => [d.name, d.value])];
    const row = cells.map((c, i) => {
      if (i < previous.length && same(previous[i], c)) return '.';
      if (!isLiteral(c)) substituted += MAX_DIMENSION_LENGTH[String(cells[i - 1])] ?? 255;
      return c;
    });
    previous = cells;
    return [...row, options] as Json;
  });
  return { rows: out, substituted };
}

function build(w: Widget): Built {
  if (w.type === 'text') return { json: { type: 'text', width: w.width, height: w.height, properties: { markdown: w.markdown } }, substituted: 0 };
  const rows: { metric: Metric; options: Json }[] = [];
  const expressions: Json[] = [];
  let n = 0;
  for (const line of w.lines) {
    const axis: { yAxis?: string } = line.yAxis === 'right' ? { yAxis: 'right' } : {};
    if ('metric' in line) {
      rows.push({ metric: line.metric, options: { stat: line.stat, label: line.label, ...axis } as Json });
    } else {
      for (const [id, input] of Object.entries(line.inputs)) rows.push({ metric: input.metric, options: { stat: input.stat, id, visible: false } });
      expressions.push([{ expression: line.expression, label: line.label, id: `e${++n}`, ...axis } as Json]);
    }
  }
  const { rows: metrics, substituted } = metricRows(rows);
  const axis = (a: { label?: string; percent?: boolean } | undefined) => (a ? { ...(a.label ? { label: a.label } : {}), ...(a.percent ? { min: 0, max: 100 } : {}), showUnits: false } : undefined);
  const yAxis = { ...(w.left ? { left: axis(w.left) } : {}), ...(w.right ? { right: axis(w.right) } : {}) };
  return {
    json: {
      type: 'metric',
      width: w.width,
      height: w.height,
      properties: {
        title: w.title,
        region: AWS.Region as unknown as Json,
        view: 'timeSeries',
        stacked: false,
        period: w.periodSeconds,
        metrics: [...expressions, ...metrics] as Json,
        ...(Object.keys(yAxis).length ? { yAxis: yAxis as Json } : {}),
      },
    },
    substituted: substituted + MAX_REGION_LENGTH,
  };
}

/** An intrinsic inside a JSON tree (berth's `Intrinsic`: a function name and its arguments). */
function isIntrinsic(v: unknown): v is Intrinsic<string> {
  return v !== null && typeof v === 'object' && typeof (v as { fn?: unknown }).fn === 'string' && 'args' in (v as object) && /^(Ref|Fn::)/.test((v as { fn: string }).fn);
}

/** JSON text split around the intrinsics in it: `parts` interleave with `values`, as a tagged template's. */
function jsonPieces(value: Json): { parts: string[]; values: Intrinsic<string>[] } {
  const values: Intrinsic<string>[] = [];
  // Private-use characters, which JSON.stringify leaves as they are (it escapes control characters).
  const marker = (i: number) => `\ue000${i}\ue001`;
  const text = JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = key === '' ? v : this[key];
    if (isIntrinsic(raw)) {
      values.push(raw);
      return marker(values.length - 1);
    }
    return v;
  });
  // JSON.stringify quoted each marker: the placeholder takes the marker's place inside the quotes.
  return { parts: text.split(/\ue000\d+\ue001/), values };
}

/** A `Fn::Sub` of literal `parts` around `values`, as a tagged template would make it (a nested `Fn::Sub` without variables is inlined). */
export function subOf(parts: readonly string[], values: readonly Value<string>[]): Intrinsic<'String'> {
  const strings = Object.assign([...parts], { raw: [...parts] }) as unknown as TemplateStringsArray;
  return sub(strings, ...(values as unknown as string[]));
}

/**
 * JSON text with intrinsics in it, as one `Fn::Sub`: the handles become `${Logical.Attribute}`
 * placeholders, pseudo parameters `${AWS::Region}`, anything else a variable.
 */
export function jsonSub(value: Json): Intrinsic<'String'> {
  const { parts, values } = jsonPieces(value);
  return subOf(parts, values as unknown as Value<string>[]);
}

/**
 * Widgets as the items of a JSON array (the text between its brackets), which the dashboard stack
 * joins with other services' into one body; the most characters that text can reach once
 * CloudFormation has filled it in; and how many metrics it fetches.
 */
export function widgetsText(widgets: readonly Widget[]): { readonly text: Intrinsic<'String'>; readonly maxLength: number; readonly metrics: number } {
  const built = widgets.map(build);
  const { parts, values } = jsonPieces(built.map((b) => b.json) as Json);
  parts[0] = parts[0]!.slice(1);
  parts[parts.length - 1] = parts[parts.length - 1]!.slice(0, -1);
  const literal = parts.reduce((n, p) => n + p.length, 0);
  return { text: subOf(parts, values as unknown as Value<string>[]), maxLength: literal + built.reduce((n, b) => n + b.substituted, 0), metrics: widgets.reduce((n, w) => n + metricCount(w), 0) };
}
