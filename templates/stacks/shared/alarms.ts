/**
 * An alarm of the estate: named, described for whoever it wakes up (what it means, what to look
 * at, and what missing data counts as), and wired to the environment's alarm topic both ways, so a
 * recovery is heard as well as the problem. Every metric comes from a handle (shared/metrics.ts).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
import { AWS, BerthError, q, sub, type Intrinsic, type Resource, type Template, type Value } from '../../../src/dsl/index.ts';
import type { Metric } from './metrics.ts';

/**
 * The environment's alarm topic (the operations stack's): `berth-<environment>-alarms`. Every
 * stack builds its ARN from its own `EnvironmentName`, so an alarm needs no parameter to find it
 * (a parameter per service would grow the root stack with every service), and a stack deployed
 * alone, or under another environment name, notifies that environment's topic. Two consumers read
 * the topic's registry entry (`alarm-topic-arn`) instead, passed from the operations stack's
 * output, which orders their stacks after it: the cluster's Auto Scaling group, whose notification
 * configuration needs the topic to exist when it is created, and a database's alarms
 * (templates/stacks/data/alarms.ts), whose data stack deploys alone as a layer of its own.
 */
export function alarmTopicName(env: Intrinsic<'String'>): Intrinsic<'String'> {
  return sub`berth-${env}-alarms`;
}
export function alarmTopicArn(env: Intrinsic<'String'>): Intrinsic<'String'> {
  return sub`arn:${AWS.Partition}:sns:${AWS.Region}:${AWS.AccountId}:${alarmTopicName(env)}`;
}

/** The statistics berth's alarms use; `p99` is a percentile (an extended statistic). */
export type Stat = 'Sum' | 'Average' | 'Maximum' | 'Minimum' | 'SampleCount' | `p${number}`;

/**
 * What CloudWatch does with a period without data, chosen for each alarm with the reason.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarms-and-missing-data
 */
export interface MissingData {
  /** `notBreaching`: counts as good; `breaching`: as bad; `ignore`: keeps the alarm's state; `missing`: the alarm goes to INSUFFICIENT_DATA. */
  readonly treat: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
  /** Why, for the reader of the description. */
  readonly because: string;
}

/** One metric and a statistic, or a metric math expression over named metrics. */
export type Watch =
  | { readonly metric: Metric; readonly stat: Stat }
  | { readonly expression: string; readonly label: string; readonly inputs: { readonly [id: string]: { readonly metric: Metric; readonly stat: Stat } } };

export type Comparison = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';

export interface AlarmProps {
  /** A fixed name: it shows in every notification, the console and the deploy output. */
  readonly name: Value<string>;
  /** What the alarm means, then what to look at. */
  readonly description: string;
  readonly watch: Watch;
  readonly periodSeconds: number;
  readonly evaluationPeriods: number;
  /** Periods of `evaluationPeriods` that must breach. @default - all of them */
  readonly datapointsToAlarm?: number;
  readonly comparison: Comparison;
  readonly threshold: Value<number>;
  readonly missingData: MissingData;
  /** The environment's alarm topic: told on ALARM and on OK. */
  readonly topic: Value<string>;
}

/** CloudWatch's limit on `AlarmDescription`. https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html */
export const MAX_DESCRIPTION = 1024;

const metricJson = (m: Metric) => ({ Namespace: m.namespace, MetricName: m.name, Dimensions: m.dimensions.map((d) => ({ Name: d.name, Value: d.value })) });
const isPercentile = (s: Stat) => /^p\d/.test(s);

/** The alarm's full description: what it means, what to look at, what missing data counts as. */
export function alarmDescription(props: Pick<AlarmProps, 'description' | 'missingData'>): string {
  const words = { breaching: 'as breaching', notBreaching: 'as OK', ignore: 'as nothing (the alarm keeps its state)', missing: 'as missing (INSUFFICIENT_DATA)' }[props.missingData.treat];
  return `${props.description} No data counts ${words}: ${props.missingData.because}`;
}

export function alarm(t: Template, logicalId: string, props: AlarmProps): Resource<'AWS::CloudWatch::Alarm'> {
  const description = alarmDescription(props);
  if (description.length > MAX_DESCRIPTION) {
    throw new BerthError(`${t.name}.yaml: ${logicalId}`, `the alarm description is ${description.length} characters; CloudWatch takes at most ${MAX_DESCRIPTION}. Shorten it.`);
  }
  const w = props.watch;
  const watch =
    'metric' in w
      ? { ...metricJson(w.metric), ...(isPercentile(w.stat) ? { ExtendedStatistic: w.stat } : { Statistic: w.stat }), Period: props.periodSeconds }
      : {
          Metrics: [
            ...Object.entries(w.inputs).map(([id, m]) => ({ Id: id, MetricStat: { Metric: metricJson(m.metric), Period: props.periodSeconds, Stat: m.stat }, ReturnData: false })),
            { Id: 'result', Expression: w.expression, Label: w.label, ReturnData: true },
          ],
        };
  if ('inputs' in w && Object.keys(w.inputs).some((id) => !/^[a-z][a-zA-Z0-9_]*$/.test(id))) {
    throw new BerthError(`${t.name}.yaml: ${logicalId}`, `a metric math id (${Object.keys(w.inputs).map((x) => q(x)).join(', ')}) does not start with a lower-case letter. Rename it.`);
  }
  return t.resource(logicalId, 'AWS::CloudWatch::Alarm', {
    AlarmName: props.name,
    AlarmDescription: description,
    ...watch,
    EvaluationPeriods: props.evaluationPeriods,
    DatapointsToAlarm: props.datapointsToAlarm ?? props.evaluationPeriods,
    ComparisonOperator: props.comparison,
    Threshold: props.threshold,
    TreatMissingData: props.missingData.treat,
    AlarmActions: [props.topic],
    OKActions: [props.topic],
  });
}
