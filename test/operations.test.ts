// Production operations: the alarm topic, every alarm's metric, dimensions, statistic, threshold
// and actions against the stack's own resources, the deployment strategies and what they refuse,
// the dashboard, the deploy guard and the rollback triggers deploy.sh reads.
// Run: node --import tsx --test test/operations.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BerthError } from '../src/dsl/errors.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { Template } from '../src/dsl/template.ts';
import type { Intrinsic } from '../src/dsl/intrinsic.ts';
import { toPlain } from '../src/emit/plain.ts';
import { parseTemplate } from '../src/emit/parse.ts';
import { LIMITS } from '../src/dsl/limits.ts';
import { emitEnvironment } from '../src/emit/output.ts';
import { service } from '../templates/stacks/service.ts';
import { cluster } from '../templates/stacks/cluster.ts';
import { loadBalancer } from '../templates/stacks/load-balancer.ts';
import { operations, subscriptionId } from '../templates/stacks/operations.ts';
import { dashboard, serviceDashboardSize } from '../templates/stacks/dashboard.ts';
import { deployGuard } from '../templates/stacks/deploy-guard.ts';
import { serviceWidgets } from '../templates/stacks/service/dashboard-widgets.ts';
import { metricCount } from '../templates/stacks/shared/dashboard.ts';
import { resolve } from '../templates/stacks/service/resolve.ts';
import { assignPriorities, priorityOf } from '../templates/stacks/service/routing.ts';
import { linearSteps } from '../templates/settings/operations.ts';
import type { ServiceDefinition, ServiceRole } from '../templates/stacks/service/definition.ts';
import { loadSettings, type ResolvedSettings } from '../templates/settings/settings.ts';
import { estate } from '../templates/estate.ts';
import { findTriggers } from '../scripts/deploy-triggers.ts';
import type { Aws, AwsResult } from '../scripts/deploy-aws.ts';
import { ROOT } from './_helpers.ts';
import { report } from './fixtures/services/report.ts';
import { web } from './fixtures/services/web.ts';
import { worker } from './fixtures/services/worker.ts';

type Doc = { Metadata?: Record<string, any>; Parameters: Record<string, any>; Resources: Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: unknown }>; Outputs: Record<string, { Value: any }> };

const dev = loadSettings('templates/environments/dev.json');
const prod = loadSettings('templates/environments/prod.json');
const build = (def: ServiceDefinition, settings: ResolvedSettings = prod): Doc => toPlain(synthesize(service, { settings, service: def }).toJSON()) as Doc;
const props = (d: Doc, id: string) => d.Resources[id]!.Properties;
const ofType = (d: Doc, type: string) => Object.entries(d.Resources).filter(([, r]) => r.Type === type);
const webRole = web.role as Extract<ServiceRole, { kind: 'web' }>;
const rolling = { ...web, deployment: { strategy: 'rolling' } } as ServiceDefinition;
const fails = (f: () => unknown, where: string, fragment: string | RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof BerthError && e.where === where && (typeof fragment === 'string' ? e.problem.includes(fragment) : fragment.test(e.problem)) && !e.message.includes('\n'));
const W = 'test/fixtures/services/web.ts: ';

const TOPIC = { 'Fn::Sub': 'arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:berth-${EnvironmentName}-alarms' };
const LB = { 'Fn::Join': ['/', [1, 2, 3].map((i) => ({ 'Fn::Select': [i, { 'Fn::Split': ['/', { Ref: 'ListenerArn' }] }] }))] };
const TG = (id: string) => ({ 'Fn::GetAtt': [id, 'TargetGroupFullName'] });
const dims = (m: Record<string, any>) => Object.fromEntries((m.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, d.Value]));
/** A math alarm's inputs: id -> [metric name, stat, dimensions]. */
const inputs = (a: Record<string, any>) => Object.fromEntries(a.Metrics.filter((m: any) => m.MetricStat).map((m: any) => [m.Id, [m.MetricStat.Metric.MetricName, m.MetricStat.Stat, dims(m.MetricStat.Metric)]]));
const expression = (a: Record<string, any>) => a.Metrics.find((m: any) => m.ReturnData).Expression as string;

// --- the alarms of a web service ---------------------------------------------------------------------

test('web (rolling): server errors as a share of the target group\'s requests, 2 of 3 minutes above 1 %, no data OK; ALARM and OK tell the topic', () => {
  const a = props(build(rolling), 'TargetErrorRateAlarm');
  assert.deepEqual(a.AlarmName, { 'Fn::Sub': '${EnvironmentName}-web-target-5xx-rate' });
  // The dimensions come from handles: this stack's target group, and the load balancer the listener belongs to.
  assert.deepEqual(inputs(a), {
    requests1: ['RequestCount', 'Sum', { LoadBalancer: LB, TargetGroup: TG('TargetGroup') }],
    errors1: ['HTTPCode_Target_5XX_Count', 'Sum', { LoadBalancer: LB, TargetGroup: TG('TargetGroup') }],
  });
  assert.equal(expression(a), 'IF(FILL(requests1, 0) > 0, 100 * FILL(errors1, 0) / FILL(requests1, 0), 0)');
  assert.deepEqual(
    [a.Metrics[0].MetricStat.Period, a.EvaluationPeriods, a.DatapointsToAlarm, a.ComparisonOperator, a.Threshold, a.TreatMissingData, a.AlarmActions, a.OKActions],
    [60, 3, 2, 'GreaterThanThreshold', 1, 'notBreaching', [TOPIC], [TOPIC]],
  );
  assert.match(a.AlarmDescription, /^web answers more than 1 % of its requests with a server error \(5xx\) in 2 of 3 minutes: users see failures\. It rolls a deployment back\. Look at .* No data counts as OK: the load balancer reports nothing while no requests arrive/);
});

test('web (rolling): unhealthy targets, p99 response time, running tasks below the minimum, CPU and memory', () => {
  const d = build(rolling);
  const unhealthy = props(d, 'UnhealthyTargetsAlarm');
  assert.deepEqual([unhealthy.Namespace, unhealthy.MetricName, unhealthy.Statistic, dims(unhealthy), unhealthy.Period, unhealthy.EvaluationPeriods, unhealthy.ComparisonOperator, unhealthy.Threshold, unhealthy.TreatMissingData], [
    'AWS/ApplicationELB', 'UnHealthyHostCount', 'Maximum', { LoadBalancer: LB, TargetGroup: TG('TargetGroup') }, 60, 3, 'GreaterThanOrEqualToThreshold', 1, 'notBreaching',
  ]);
  const latency = props(d, 'ResponseTimeAlarm');
  assert.deepEqual([latency.MetricName, latency.ExtendedStatistic, latency.Statistic, dims(latency), latency.EvaluationPeriods, latency.Threshold], ['TargetResponseTime', 'p99', undefined, { LoadBalancer: LB, TargetGroup: TG('TargetGroup') }, 5, 2]);
  // The minimum is the MinCount parameter, so a deploy that changes it moves the alarm with it.
  const tasks = props(d, 'RunningTasksAlarm');
  assert.deepEqual([tasks.Namespace, tasks.MetricName, tasks.Statistic, dims(tasks), tasks.ComparisonOperator, tasks.Threshold, tasks.TreatMissingData], [
    'ECS/ContainerInsights', 'RunningTaskCount', 'Maximum', { ClusterName: { Ref: 'ClusterName' }, ServiceName: { 'Fn::GetAtt': ['Service', 'Name'] } }, 'LessThanThreshold', { Ref: 'MinCount' }, 'breaching',
  ]);
  for (const [id, metric] of [['CpuAlarm', 'CPUUtilization'], ['MemoryAlarm', 'MemoryUtilization']] as const) {
    const u = props(d, id);
    assert.deepEqual([u.Namespace, u.MetricName, u.Statistic, dims(u), u.EvaluationPeriods, u.Threshold, u.TreatMissingData], [
      'AWS/ECS', metric, 'Average', { ClusterName: { Ref: 'ClusterName' }, ServiceName: { 'Fn::GetAtt': ['Service', 'Name'] } }, 10, 90, 'notBreaching',
    ]);
  }
  // The deployment alarms exist before the service that names them; the others watch the service.
  assert.deepEqual(ofType(d, 'AWS::CloudWatch::Alarm').map(([id]) => id), ['TargetErrorRateAlarm', 'UnhealthyTargetsAlarm', 'ResponseTimeAlarm', 'RunningTasksAlarm', 'CpuAlarm', 'MemoryAlarm']);
});

test('web (canary): the alarms count both target groups, as the new revision runs in the other one', () => {
  const d = build(web); // prod: canary
  const rate = props(d, 'TargetErrorRateAlarm');
  assert.deepEqual(Object.keys(inputs(rate)), ['requests1', 'requests2', 'errors1', 'errors2']);
  assert.deepEqual(inputs(rate).requests2, ['RequestCount', 'Sum', { LoadBalancer: LB, TargetGroup: TG('AlternateTargetGroup') }]);
  assert.equal(expression(rate), 'IF((FILL(requests1, 0) + FILL(requests2, 0)) > 0, 100 * (FILL(errors1, 0) + FILL(errors2, 0)) / (FILL(requests1, 0) + FILL(requests2, 0)), 0)');
  const unhealthy = props(d, 'UnhealthyTargetsAlarm');
  assert.equal(expression(unhealthy), '(FILL(unhealthy1, 0) + FILL(unhealthy2, 0))');
  // Percentiles do not add up: the slower of the two.
  assert.equal(expression(props(d, 'ResponseTimeAlarm')), 'MAX([FILL(latency1, 0), FILL(latency2, 0)])');
});

test('a queue worker: dead letters (the deployment alarm; missing data keeps the state), the oldest message\'s age, tasks, CPU, memory', () => {
  const d = build(worker);
  const dead = props(d, 'DeadLettersAlarm');
  assert.deepEqual([dead.Namespace, dead.MetricName, dead.Statistic, dims(dead), dead.ComparisonOperator, dead.Threshold, dead.TreatMissingData], [
    'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'Maximum', { QueueName: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] } }, 'GreaterThanOrEqualToThreshold', 1, 'ignore',
  ]);
  const oldest = props(d, 'OldestMessageAlarm');
  assert.deepEqual([oldest.MetricName, dims(oldest), oldest.Threshold, oldest.TreatMissingData], ['ApproximateAgeOfOldestMessage', { QueueName: { 'Fn::GetAtt': ['Queue', 'QueueName'] } }, 900, 'notBreaching']);
  assert.deepEqual(props(d, 'Service').DeploymentConfiguration.Alarms, { AlarmNames: [{ Ref: 'DeadLettersAlarm' }], Enable: true, Rollback: true });
  // prod's worker scales from 1: it has a running-tasks alarm; dev's scales from 0: it does not.
  assert.ok(d.Resources.RunningTasksAlarm);
  assert.equal(build(worker, dev).Resources.RunningTasksAlarm, undefined);
});

test('a scheduled task: runs Scheduler could not start land in its dead-letter queue (alarmed), and a run that stops with an error is an event to the topic', () => {
  const d = build(report);
  const failed = props(d, 'FailedRunsAlarm');
  assert.deepEqual([failed.MetricName, dims(failed), failed.TreatMissingData], ['ApproximateNumberOfMessagesVisible', { QueueName: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'QueueName'] } }, 'ignore']);
  assert.deepEqual(props(d, 'ScheduleDeadLetterQueue').RedriveAllowPolicy, { redrivePermission: 'denyAll' });
  const rule = props(d, 'FailedTaskRule');
  assert.deepEqual(rule.EventPattern, {
    source: ['aws.ecs'],
    'detail-type': ['ECS Task State Change'],
    detail: {
      clusterArn: [{ 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${ClusterName}' }],
      group: [{ 'Fn::Sub': 'family:${EnvironmentName}-report' }],
      lastStatus: ['STOPPED'],
      $or: [{ containers: { exitCode: [{ 'anything-but': 0 }] } }, { stopCode: ['TaskFailedToStart'] }],
    },
  });
  assert.deepEqual(rule.Targets[0].Arn, TOPIC);
  assert.deepEqual(rule.Targets[0].InputTransformer.InputPathsMap, { task: '$.detail.taskArn', reason: '$.detail.stoppedReason', code: '$.detail.stopCode', at: '$.time' });
  // An EventBridge rule schedule: its FailedInvocations, by the rule's name.
  const viaRule = build({ ...report, role: { ...(report.role as Extract<ServiceRole, { kind: 'scheduled' }>), via: 'eventRule', timeZone: undefined } });
  const ruleAlarm = props(viaRule, 'FailedRunsAlarm');
  assert.deepEqual([ruleAlarm.Namespace, ruleAlarm.MetricName, ruleAlarm.Statistic, dims(ruleAlarm), ruleAlarm.TreatMissingData], ['AWS/Events', 'FailedInvocations', 'Sum', { RuleName: { Ref: 'ScheduleRule' } }, 'notBreaching']);
  assert.equal(viaRule.Resources.ScheduleDeadLetterQueue, undefined);
  assert.equal(d.Outputs.DeploymentAlarms!.Value, 'none');
});

// --- every alarm of every template ------------------------------------------------------------------

const environments = ['dev', 'prod'].map((env) => ({ env, files: emitEnvironment(estate, env).map((f) => ({ file: f.file, doc: parseTemplate(f.text, f.file) as Doc })) }));

/** The logical IDs a value names: Ref, GetAtt and Sub placeholders (not pseudo parameters). */
function named(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => named(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt') out.add((v as string[])[0]!);
      else if (k === 'Fn::Sub') {
        const [text, vars] = Array.isArray(v) ? v : [v, {}];
        for (const m of String(text).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) if (!(m[1]! in vars)) out.add(m[1]!);
        named(vars, out);
      } else named(v, out);
    }
  }
  return out;
}

test('every alarm of the estate, in any environment, tells the environment\'s topic on ALARM and on OK, explains itself, and watches what its own template declares', () => {
  let count = 0;
  for (const { env, files } of environments) {
    for (const { file, doc } of files) {
      for (const [id, r] of ofType(doc, 'AWS::CloudWatch::Alarm')) {
        count++;
        const p = r.Properties;
        const where = `${env}/${file}: ${id}`;
        // The queue worker's scale-from-zero alarm drives a scaling policy, not people.
        if (id === 'ScaleFromZeroAlarm') continue;
        // A database's alarms take the topic as a parameter (the root passes the operations
        // stack's registry entry, so the database waits for the topic); every other alarm builds
        // its ARN from EnvironmentName.
        const topic = file.startsWith('data-') && doc.Parameters?.AlarmTopicArn?.Default === `/berth/${env}/alarm-topic-arn` ? { Ref: 'AlarmTopicArn' } : TOPIC;
        assert.deepEqual([p.AlarmActions, p.OKActions], [[topic], [topic]], where);
        assert.match(p.AlarmDescription, /\. No data counts as (OK|breaching|nothing \(the alarm keeps its state\)): /, where);
        assert.ok(p.AlarmDescription.length <= 1024, where);
        assert.ok(['breaching', 'notBreaching', 'ignore', 'missing'].includes(p.TreatMissingData), where);
        assert.match(JSON.stringify(p.AlarmName), /\$\{EnvironmentName\}-/, where);
        // Every name in the alarm's metrics is a parameter or resource of this template: a renamed
        // or removed resource fails the build instead of leaving an alarm on nothing.
        for (const name of named([p.Dimensions, p.Metrics, p.Threshold])) assert.ok(name in doc.Resources || name in (doc.Parameters ?? {}), `${where}: ${name}`);
      }
    }
  }
  assert.ok(count >= 30, String(count));
});

/** The templates every kind of alarm lives in, from the fixture services and the settings given. */
function alarmTemplates(settings: ResolvedSettings): Doc[] {
  const plain = (t: Template) => toPlain(t.toJSON()) as Doc;
  const viaRule = { ...report, name: 'nightly', role: { ...(report.role as Extract<ServiceRole, { kind: 'scheduled' }>), via: 'eventRule', timeZone: undefined } } as ServiceDefinition;
  return [plain(synthesize(cluster, settings)), plain(synthesize(loadBalancer, settings)), ...[web, worker, report, viaRule].map((d) => build(d, settings))];
}

test('docs/operations.md lists every signal berth alarms on, and no other', () => {
  const docs = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
  const listed = new Set([...docs.slice(docs.indexOf('| alarm |'), docs.indexOf('A scheduled task that **stops')).matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]!));
  const signals = new Set<string>();
  for (const doc of alarmTemplates(prod)) {
    for (const [, r] of ofType(doc, 'AWS::CloudWatch::Alarm')) {
      const m = /\$\{EnvironmentName\}-(?:(?:web|worker|report|nightly)-)?([a-z0-9-]+)/.exec(JSON.stringify(r.Properties.AlarmName ?? ''));
      if (m) signals.add(m[1]!);
    }
  }
  assert.deepEqual([...signals].sort(), [...listed].sort());
});

test('the load balancer alarms on its own 5xx share; the EC2 cluster on capacity pinned at 100 % and on instance status checks', () => {
  const [clusterDoc, lbDoc] = alarmTemplates(prod);
  const lb = lbDoc!.Resources.LoadBalancerErrorRateAlarm!.Properties;
  assert.deepEqual(inputs(lb), {
    requests: ['RequestCount', 'Sum', { LoadBalancer: { 'Fn::GetAtt': ['LoadBalancer', 'LoadBalancerFullName'] } }],
    errors: ['HTTPCode_ELB_5XX_Count', 'Sum', { LoadBalancer: { 'Fn::GetAtt': ['LoadBalancer', 'LoadBalancerFullName'] } }],
  });
  assert.deepEqual(lb.AlarmName, { 'Fn::Sub': '${EnvironmentName}-load-balancer-5xx-rate' });
  const withTarget = (targetCapacityPercent: number) => {
    const cap = prod.cluster.capacity as Extract<ResolvedSettings['cluster']['capacity'], { type: 'ec2' }>;
    const s = { ...prod, cluster: { ...prod.cluster, capacity: { ...cap, targetCapacityPercent } } } as ResolvedSettings;
    return (toPlain(synthesize(cluster, s).toJSON()) as Doc).Resources;
  };
  // With headroom (a target below 100 %), reservation held at 100 % means no room is left.
  const capacity = withTarget(90).CapacityAlarm!.Properties;
  assert.deepEqual([capacity.Namespace, capacity.MetricName, capacity.Statistic, dims(capacity), capacity.Period, capacity.EvaluationPeriods, capacity.ComparisonOperator, capacity.Threshold], [
    'AWS/ECS/ManagedScaling', 'CapacityProviderReservation', 'Minimum', { ClusterName: { Ref: 'Cluster' }, CapacityProviderName: { Ref: 'CapacityProvider' } }, 300, 3, 'GreaterThanOrEqualToThreshold', 100,
  ]);
  // With a 100 % target, only tasks waiting for capacity (above 100 %) count.
  assert.equal(withTarget(100).CapacityAlarm!.Properties.ComparisonOperator, 'GreaterThanThreshold');
  const status = clusterDoc!.Resources.InstanceStatusAlarm!.Properties;
  assert.deepEqual([status.Namespace, status.MetricName, dims(status), status.EvaluationPeriods], ['AWS/EC2', 'StatusCheckFailed', { AutoScalingGroupName: { Ref: 'AutoScalingGroup' } }, 2]);
  // A Fargate-only cluster has no instances and no capacity provider of its own: no alarm.
  const fargate = { ...prod, cluster: { ...prod.cluster, capacity: { type: 'fargate' } } } as ResolvedSettings;
  assert.deepEqual(ofType(toPlain(synthesize(cluster, fargate).toJSON()) as Doc, 'AWS::CloudWatch::Alarm'), []);
});

// --- thresholds ----------------------------------------------------------------------------------

test('thresholds: the environment\'s, then the definition\'s, then the environment\'s for the service', () => {
  const s = { ...prod, operations: { ...prod.operations, alarms: { cpuPercent: 70, responseTimeP99Seconds: 1 } }, services: { web: { alarms: { cpuPercent: 60 } } } } as ResolvedSettings;
  const d = build({ ...web, alarms: { cpuPercent: 80, memoryPercent: 85 } }, s);
  assert.deepEqual([props(d, 'CpuAlarm').Threshold, props(d, 'MemoryAlarm').Threshold, props(d, 'ResponseTimeAlarm').Metrics ? 'math' : props(d, 'ResponseTimeAlarm').Threshold], [60, 85, 'math']);
  assert.equal(props(d, 'ResponseTimeAlarm').Threshold, 1);
  fails(() => build({ ...web, alarms: { cpuPercent: 150 } }), `${W}alarms.cpuPercent`, 'is `150`; expected a percentage from 1 to 100. Change it.');
  fails(() => build({ ...web, alarms: { unhealthyTargets: 1.5 } }), `${W}alarms.unhealthyTargets`, 'expected a whole number of targets from 1 to 1000');
});

test('docs/operations.md: the settings it shows are valid, and the threshold error it shows is the one the loader gives', () => {
  const docs = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
  const blocks = [...docs.matchAll(/<!-- settings -->\n```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 3);
  const dir = mkdtempSync(join(tmpdir(), 'berth-ops-'));
  try {
    const base = JSON.parse(readFileSync(join(ROOT, 'templates/environments/prod.json'), 'utf8'));
    delete base.$schema;
    for (const block of blocks) {
      const fragment = JSON.parse(`{${block}}`) as Record<string, any>;
      const merged = { ...base, ...fragment, operations: { ...base.operations, ...fragment.operations } };
      writeFileSync(join(dir, 'prod.json'), JSON.stringify(merged));
      loadSettings(join(dir, 'prod.json'));
    }
    writeFileSync(join(dir, 'prod.json'), JSON.stringify({ ...base, operations: { ...base.operations, alarms: { cpuPercent: 150 } } }));
    assert.throws(() => loadSettings(join(dir, 'prod.json')), (e: unknown) => {
      const line = (e as Error).message.replace(join(dir, 'prod.json'), 'templates/environments/prod.json');
      assert.ok(docs.includes(line), line);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- deployments -----------------------------------------------------------------------------------

test('canary (prod\'s web default, Express Mode\'s figures): the strategy, the alarms that roll it back, both target groups, both rules, the role', () => {
  const d = build(web);
  const svc: Record<string, any> = props(d, 'Service');
  assert.deepEqual(svc.DeploymentConfiguration, {
    Strategy: 'CANARY',
    CanaryConfiguration: { CanaryPercent: 5, CanaryBakeTimeInMinutes: 3 },
    BakeTimeInMinutes: 3,
    Alarms: { AlarmNames: [{ Ref: 'TargetErrorRateAlarm' }, { Ref: 'UnhealthyTargetsAlarm' }], Enable: true, Rollback: true },
  });
  assert.deepEqual(svc.LoadBalancers, [
    {
      ContainerName: 'web',
      ContainerPort: 8080,
      TargetGroupArn: { Ref: 'TargetGroup' },
      AdvancedConfiguration: {
        AlternateTargetGroupArn: { Ref: 'AlternateTargetGroup' },
        ProductionListenerRule: { Ref: 'ListenerRule' },
        TestListenerRule: { Ref: 'TestListenerRule' },
        RoleArn: { 'Fn::GetAtt': ['InfrastructureRole', 'Arn'] },
      },
    },
  ]);
  // The rules name the target groups, so the service need not depend on them explicitly.
  assert.equal(d.Resources.Service!.DependsOn, undefined);
  assert.deepEqual(props(d, 'AlternateTargetGroup'), props(d, 'TargetGroup'));
  const forward = [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: { Ref: 'TargetGroup' }, Weight: 100 }, { TargetGroupArn: { Ref: 'AlternateTargetGroup' }, Weight: 0 }] } }];
  const production = props(d, 'ListenerRule');
  const test = props(d, 'TestListenerRule');
  assert.deepEqual([production.Actions, test.Actions], [forward, forward]);
  // The test rule: the same route plus the header, just before the production rule.
  assert.equal(test.Priority, production.Priority - 1);
  assert.deepEqual(test.Conditions, [...production.Conditions, { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Berth-Test', Values: ['true'] } }]);
  const role = props(d, 'InfrastructureRole');
  assert.deepEqual(role.AssumeRolePolicyDocument.Statement, [{ Effect: 'Allow', Principal: { Service: 'ecs.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEqualsIfExists: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }]);
  assert.deepEqual(role.ManagedPolicyArns, [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AmazonECSInfrastructureRolePolicyForLoadBalancers' }]);
  assert.equal(role.Path, '/berth/prod/ecs.amazonaws.com/');
  // No circuit breaker: it exists for rolling deployments only.
  assert.equal((props(d, 'Service').DeploymentConfiguration as Record<string, unknown>).DeploymentCircuitBreaker, undefined);
});

test('linear and blue/green, from the definition or the environment file for one service (which wins)', () => {
  const linear = props(build({ ...web, deployment: { strategy: 'linear', stepPercent: 20, stepBakeTimeMinutes: 5 } }), 'Service').DeploymentConfiguration;
  assert.deepEqual([linear.Strategy, linear.LinearConfiguration, linear.BakeTimeInMinutes], ['LINEAR', { StepPercent: 20, StepBakeTimeInMinutes: 5 }, 3]);
  const s = { ...prod, services: { ...prod.services, web: { ...prod.services?.web, deployment: { strategy: 'blueGreen', bakeTimeMinutes: 30 } } } } as ResolvedSettings;
  const bg = props(build({ ...web, deployment: { strategy: 'linear' } }, s), 'Service').DeploymentConfiguration;
  assert.deepEqual([bg.Strategy, bg.BakeTimeInMinutes, bg.CanaryConfiguration, bg.LinearConfiguration], ['BLUE_GREEN', 30, undefined, undefined]);
  // dev: rolling, with the circuit breaker and the same alarms.
  const d = props(build(web, dev), 'Service').DeploymentConfiguration;
  assert.deepEqual([d.Strategy, d.DeploymentCircuitBreaker], ['ROLLING', { Enable: true, Rollback: true }]);
  assert.equal(build(web, dev).Resources.AlternateTargetGroup, undefined);
  // CloudFormation's step count: 100 / step - 1 when it divides, the floor otherwise.
  assert.deepEqual([linearSteps(10), linearSteps(11), linearSteps(33.3), linearSteps(100)], [9, 9, 3, 0]);
});

test('fails when a deployment cannot be: traffic shifting on a worker (environment file), rolling-only fields, request-count scaling, bake times, the 33-hour limit, shares off the grid', () => {
  const s = { ...prod, services: { worker: { deployment: { strategy: 'canary' } } } } as unknown as ResolvedSettings;
  fails(() => build(worker, s), `${prod.file}: services.worker.deployment.strategy`, 'is `canary`, but `worker` is a queue worker: canary, linear and blue/green deployments move load-balancer traffic between two target groups');
  fails(() => build({ ...web, maximumPercent: 150 }), `${W}maximumPercent`, 'only shapes rolling deployments. Remove it, or deploy the service rolling');
  fails(() => build({ ...web, role: { ...webRole, scaling: { minCount: 1, maxCount: 4, target: { metric: 'requestsPerTarget', requests: 100 } } } }), `${W}role.scaling.target.metric`, 'request-count scaling watches one target group');
  fails(() => build({ ...web, deployment: { strategy: 'canary', canaryBakeTimeMinutes: 1441 } }), `${W}deployment.canaryBakeTimeMinutes`, 'a bake time is whole minutes from 0 to 1440');
  fails(() => build({ ...web, deployment: { strategy: 'canary', canaryPercent: 0.05 } }), `${W}deployment.canaryPercent`, 'from 0.1 to 100 in steps of 0.1');
  fails(() => build({ ...web, deployment: { strategy: 'canary', canaryPercent: 5.05 } }), `${W}deployment.canaryPercent`, 'in steps of 0.1');
  fails(() => build({ ...web, deployment: { strategy: 'linear', stepPercent: 2 } }), `${W}deployment.stepPercent`, 'from 3 to 100');
  // 9 steps of 4 hours and a 1-hour bake: 37 hours.
  fails(() => build({ ...web, deployment: { strategy: 'linear', stepPercent: 10, stepBakeTimeMinutes: 240, bakeTimeMinutes: 60 } }), `${W}deployment.bakeTimeMinutes`, 'makes a 2220-minute deployment (bakeTimeMinutes + stepBakeTimeMinutes x 9 steps); CloudFormation refuses one over 1980 minutes (33 hours)');
  fails(() => build({ ...web, deployment: { strategy: 'canary', canaryBakeTimeMinutes: 1440, bakeTimeMinutes: 600 } }), `${W}deployment.bakeTimeMinutes`, 'makes a 2040-minute deployment (bakeTimeMinutes + canaryBakeTimeMinutes)');
  const settingsLevel = { ...prod, operations: { ...prod.operations, webDeployment: { strategy: 'blueGreen', bakeTimeMinutes: 2000 } } } as ResolvedSettings;
  fails(() => build(web, settingsLevel), `${prod.file}: operations.webDeployment.bakeTimeMinutes`, 'a bake time is whole minutes from 0 to 1440');
});

test('fails when the test rule would not fit 5 hosts and paths; a test rule takes a free priority just below its production rule\'s, probing past another service\'s', () => {
  fails(() => build({ ...web, role: { ...webRole, route: { hosts: ['a.example.com', 'b.example.com'], paths: ['/a', '/b', '/c'] } } }), `${W}role.route`, 'the test rule of a traffic-shifting deployment adds its header to them');
  fails(() => build({ ...web, role: { ...webRole, route: { paths: ['/a', '/b', '/c', '/d'] } } }), `${W}role.route.paths`, 'and, for the test rule, its header');
  // Two services one priority apart: the first's test rule would take the second's priority.
  const names: string[] = [];
  for (let i = 0; names.length < 2 && i < 200000; i++) {
    const n = `svc${i}`;
    if (names.length === 0) names.push(n);
    else if (priorityOf(n) === priorityOf(names[0]!) - 1) names.push(n);
  }
  assert.equal(names.length, 2);
  const [a, b] = names.map((name) => ({ ...web, name })) as [ServiceDefinition, ServiceDefinition];
  assert.deepEqual([...assignPriorities([a, b]).values()], [priorityOf(a.name), priorityOf(b.name)]);
  // a's test rule would take b's priority: whichever of them takes its turn second probes on, and
  // no two rules (production or test) share a priority.
  const shifting = assignPriorities([a, b], new Map(), (s) => s.name === a.name);
  const rules = [shifting.get(a.name)!, shifting.get(a.name)! - 1, shifting.get(b.name)!];
  assert.equal(new Set(rules).size, 3);
  assert.ok(rules.every((p) => p >= 1 && p <= 50_000));
  assert.notDeepEqual([shifting.get(a.name), shifting.get(b.name)], [priorityOf(a.name), priorityOf(b.name)]);
});

test('with the operations resources every template of the estate still fits what a console upload takes', () => {
  // The console stores an uploaded file in S3 first, so the 1 MB of a template read from S3 binds
  // (src/dsl/limits.ts); scripts/deploy.sh sends a template over 51,200 bytes through S3 too.
  for (const env of ['dev', 'prod']) {
    for (const f of emitEnvironment(estate, env)) assert.ok(Buffer.byteLength(f.text) <= LIMITS.s3Bytes, `${env}/${f.file}: ${Buffer.byteLength(f.text)} bytes`);
  }
});

// --- the operations stack ------------------------------------------------------------------------------

test('the operations stack: a retained topic named for the environment, encrypted with its own key that admits CloudWatch (this account\'s alarms) and EventBridge; one subscription per endpoint; the registry entry', () => {
  const d = toPlain(synthesize(operations, prod).toJSON()) as Doc;
  const topic = d.Resources.AlarmTopic!;
  assert.deepEqual(topic.Properties, { TopicName: { 'Fn::Sub': 'berth-${EnvironmentName}-alarms' }, DisplayName: { 'Fn::Sub': 'berth ${EnvironmentName} alarms' }, KmsMasterKeyId: { 'Fn::GetAtt': ['AlarmTopicKey', 'Arn'] }, Tags: [{ Key: 'berth:environment', Value: { Ref: 'EnvironmentName' } }] });
  // A fixed name: kept on deletion, not when its own create rolls back (retry-safe).
  assert.deepEqual([(topic as any).DeletionPolicy, (topic as any).UpdateReplacePolicy], ['RetainExceptOnCreate', 'Retain']);
  const statements = props(d, 'AlarmTopicKey').KeyPolicy.Statement as any[];
  assert.deepEqual(statements.slice(2), [
    {
      Sid: 'CloudWatchAlarmsOfThisAccount',
      Effect: 'Allow',
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*' } } },
    },
    { Sid: 'EventBridgeRules', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' },
    // EC2 capacity: the Auto Scaling group's notifications, by its service-linked role's ARN (no principal that may not exist yet).
    {
      Sid: 'AutoScalingNotifications',
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Resource: '*',
      Condition: { ArnEquals: { 'aws:PrincipalArn': { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling' } } },
    },
  ]);
  const policy = props(d, 'AlarmTopicPolicy').PolicyDocument.Statement as any[];
  assert.deepEqual(policy[1].Condition, { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } }, ArnLike: { 'aws:SourceArn': { 'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:rule/*' } } });
  assert.deepEqual(policy[2], { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 'sns:Publish', Resource: { Ref: 'AlarmTopic' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  assert.deepEqual(ofType(d, 'AWS::SNS::Subscription').map(([id, r]) => [id, r.Properties.Protocol, r.Properties.Endpoint]), [['EmailOncallExampleCom', 'email', 'oncall@example.com']]);
  assert.deepEqual(props(d, 'AlarmTopicArnParameter').Name, { 'Fn::Sub': '/berth/${EnvironmentName}/alarm-topic-arn' });
  assert.equal(subscriptionId('Https', 'https://hooks.example.com/services/T0/B1'), 'HttpsHooksExampleComServicesT0B1');
});

test('fails when two endpoints would share a subscription\'s logical ID, or one is listed twice', () => {
  const s = (n: object) => ({ ...prod, operations: { notifications: n } }) as ResolvedSettings;
  fails(() => synthesize(operations, s({ emails: ['a.b@x.io', 'a-b@x.io'] })), `${prod.file}: operations.notifications.emails[1]`, 'both become the logical ID `EmailABXIo`');
  const dir = mkdtempSync(join(tmpdir(), 'berth-ops-'));
  try {
    const base = JSON.parse(readFileSync(join(ROOT, 'templates/environments/prod.json'), 'utf8'));
    writeFileSync(join(dir, 'prod.json'), JSON.stringify({ ...base, $schema: undefined, operations: { notifications: { emails: ['ops@x.io'], httpsEndpoints: ['https://x.io/hook'] }, rollbackMonitoringMinutes: 181 } }));
    assert.throws(() => loadSettings(join(dir, 'prod.json')), /operations\.rollbackMonitoringMinutes: 181 must be <= 180/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// --- the dashboard ---------------------------------------------------------------------------------------

/** A Sub text filled with the longest value each placeholder can take, then parsed as JSON items. */
function fillLongest(sub: any, longest = 'x'.repeat(255)): unknown[] {
  const [text] = Array.isArray(sub['Fn::Sub']) ? sub['Fn::Sub'] : [sub['Fn::Sub']];
  return JSON.parse(`[${String(text).replace(/\$\{[^}]+\}/g, longest)}]`) as unknown[];
}

test('each service\'s widgets are JSON once filled in, within the 4,096 bytes of a parameter, and draw what the dashboard stack counts', () => {
  for (const def of [web, rolling, worker, report]) {
    const d = build(def);
    const items = fillLongest(d.Outputs.DashboardWidgets!.Value, 'x'.repeat(60));
    const r = resolve({ settings: prod, service: def });
    const widgets = serviceWidgets(r, def.role.kind === 'scheduled' ? { kind: 'scheduled', schedule: { via: 'eventRule', rule: {} as any } } : def.role.kind === 'web' ? { kind: 'web', cluster: 'c', service: { getAtt: () => 's' } as any, loadBalancer: 'l', groups: r.shifting ? [{ getAtt: () => 't' } as any, { getAtt: () => 't' } as any] : [{ getAtt: () => 't' } as any] } : { kind: 'queueWorker', cluster: 'c', service: { getAtt: () => 's' } as any, queue: { getAtt: () => 'q' } as any, deadLetter: { getAtt: () => 'd' } as any });
    assert.equal(items.length, widgets.length, def.name);
    assert.deepEqual(serviceDashboardSize(prod, def), { widgets: widgets.length, metrics: widgets.reduce((n, w) => n + metricCount(w), 0) }, def.name);
    const text = JSON.stringify(d.Outputs.DashboardWidgets!.Value['Fn::Sub']);
    assert.ok(text.length < 4096, `${def.name}: ${text.length}`);
  }
  // The "." shorthand repeats the row above: the web service's second request line names only what differs.
  const rows = (fillLongest(build(rolling).Outputs.DashboardWidgets!.Value)[1] as any).properties.metrics as unknown[][];
  assert.deepEqual(rows[1]!.slice(0, 6), ['.', 'HTTPCode_Target_5XX_Count', '.', '.', '.', '.']);
});

test('the dashboard stack: one dashboard per environment, its body the environment\'s widgets then each service\'s parameter; fails past CloudWatch\'s limits', () => {
  const d = toPlain(synthesize(dashboard, { settings: prod, services: [web, worker, report] }).toJSON()) as Doc;
  assert.deepEqual(Object.keys(d.Parameters), ['EnvironmentName', 'LoadBalancerFullName', 'ClusterName', 'CapacityProviderName', 'WebAclName', 'WebWidgets', 'WorkerWidgets', 'ReportWidgets']);
  assert.equal(d.Parameters.WebAclName.Default, '/berth/prod/web-acl-name');
  const body = props(d, 'Dashboard').DashboardBody['Fn::Sub'] as string;
  assert.match(body, /^\{"widgets":\[\{"type":"text".*\},\$\{WebWidgets\},\$\{WorkerWidgets\},\$\{ReportWidgets\}\]\}$/);
  // Filled in with the defaults (a note per service), the body is a dashboard.
  const parsed = JSON.parse(body.replace(/\$\{(\w+)Widgets\}/g, (_, n: string) => d.Parameters[`${n}Widgets`].Default).replace(/\$\{[^}]+\}/g, 'x')) as { widgets: unknown[] };
  assert.equal(parsed.widgets.length, 9);
  // The firewall's requests: AWS/WAFV2 by Region, Rule (ALL, or the rate limit's metric name) and WebACL (its name).
  const firewall = (parsed.widgets as any[]).find((w) => w.properties?.title === 'Firewall: requests');
  const rows = (firewall.properties.metrics as unknown[][]).map((r) => r.slice(0, -1));
  assert.deepEqual(rows, [
    ['AWS/WAFV2', 'AllowedRequests', 'Region', 'x', 'Rule', 'ALL', 'WebACL', 'x'],
    ['.', 'BlockedRequests', '.', '.', '.', '.', '.', '.'],
    ['.', '.', '.', '.', '.', 'rate-limit-per-ip', '.', '.'],
    ['.', 'CountedRequests', '.', '.', '.', 'ALL', '.', '.'],
  ]);
  assert.match(body, /"WebACL","\$\{WebAclName\}"/);
  // Without a firewall, no parameter and no widget.
  const open = { ...prod, loadBalancer: { ...prod.loadBalancer, firewall: { enabled: false } } };
  const plain = toPlain(synthesize(dashboard, { settings: open, services: [web] }).toJSON()) as Doc;
  assert.equal(plain.Parameters.WebAclName, undefined);
  assert.doesNotMatch(props(plain, 'Dashboard').DashboardBody['Fn::Sub'] as string, /WAFV2/);
  assert.deepEqual(props(d, 'Dashboard').DashboardName, { 'Fn::Sub': 'berth-${EnvironmentName}' });
  const many = Array.from({ length: 84 }, (_, i) => ({ ...rolling, name: `web${i}`, role: { ...webRole, route: { paths: [`/w${i}/*`] } } })) as ServiceDefinition[];
  fails(() => synthesize(dashboard, { settings: prod, services: many }), `${prod.file}: dashboard`, /^the estate's 84 services make a dashboard of \d+ metrics, over CloudWatch's 500 per dashboard/);
});

// --- the deploy guard and the rollback triggers ----------------------------------------------------------------

test('the deploy guard: one composite alarm of up to 50 services\' deployment alarms, up to 5 (CloudFormation\'s trigger limit), named in the template\'s Metadata', () => {
  const guard = (n: number) => {
    const t = new Template({ name: 'root', description: 'x' });
    const env = t.parameter('EnvironmentName', { type: 'String', description: 'x' }).ref;
    const services = Array.from({ length: n }, (_, i) => ({ service: `s${i}`, alarms: `ALARM("s${i}")` as unknown as Intrinsic<'String'> }));
    const made = deployGuard(t, prod, env, services);
    return { made, doc: toPlain(t.toJSON()) as Doc };
  };
  const one = guard(50);
  assert.deepEqual(Object.keys(one.doc.Resources), ['DeployGuard']);
  assert.equal(one.doc.Resources.DeployGuard!.Properties.AlarmRule['Fn::Join'][1].length, 50);
  assert.deepEqual(one.doc.Metadata!['berth:rollback-triggers'], { MonitoringTimeInMinutes: 10, Alarms: ['DeployGuard'] });
  assert.deepEqual(Object.keys(guard(51).doc.Resources), ['DeployGuard', 'DeployGuard2']);
  assert.deepEqual(guard(51).doc.Resources.DeployGuard2!.Properties.AlarmName, { 'Fn::Sub': '${EnvironmentName}-deploy-guard-2' });
  fails(() => guard(251), `${prod.file}: services`, 'need 6 deploy guards of 50 services each, and CloudFormation takes at most 5 rollback triggers');
  assert.deepEqual(guard(0).made, []);
  // A service stack names its own deployment alarms (deployed alone, they guard it).
  assert.deepEqual(build(web).Metadata!['berth:rollback-triggers'], { MonitoringTimeInMinutes: 10, Alarms: ['TargetErrorRateAlarm', 'UnhealthyTargetsAlarm'] });
  assert.deepEqual(build(web, dev).Metadata!['berth:rollback-triggers'].MonitoringTimeInMinutes, 5);
  assert.equal(build(report).Metadata?.['berth:rollback-triggers'], undefined);
});

/** An AWS CLI that answers from a table (scripts/deploy-aws.ts's shape). */
function fakeAws(answers: Record<string, unknown>): Aws {
  const call = async (...args: string[]): Promise<AwsResult> => {
    const key = Object.keys(answers).find((k) => args.join(' ').startsWith(k));
    if (key === undefined) return { ok: false, json: undefined, stderr: 'not found', message: 'not found' };
    return { ok: true, json: answers[key], stderr: '', message: '' };
  };
  return Object.assign(call, { close: () => undefined });
}

test('deploy.sh\'s triggers: found in the stack and CloudWatch, a composite with its members; one in ALARM, or missing, left out with the reason', async () => {
  const aws = fakeAws({
    'cloudformation describe-stack-resource --stack-name s --logical-resource-id A': { StackResourceDetail: { PhysicalResourceId: 'dev-web-target-5xx-rate' } },
    'cloudformation describe-stack-resource --stack-name s --logical-resource-id B': { StackResourceDetail: { PhysicalResourceId: 'dev-web-unhealthy-targets' } },
    'cloudformation describe-stack-resource --stack-name s --logical-resource-id G': { StackResourceDetail: { PhysicalResourceId: 'dev-deploy-guard' } },
    'cloudwatch describe-alarms': {
      MetricAlarms: [
        { AlarmName: 'dev-web-target-5xx-rate', AlarmArn: 'arn:a', StateValue: 'OK' },
        { AlarmName: 'dev-web-unhealthy-targets', AlarmArn: 'arn:b', StateValue: 'ALARM' },
      ],
      CompositeAlarms: [{ AlarmName: 'dev-deploy-guard', AlarmArn: 'arn:g', StateValue: 'INSUFFICIENT_DATA', AlarmRule: 'ALARM("x") OR ALARM("y")' }],
    },
  });
  const { triggers, skipped } = await findTriggers(aws, 's', { MonitoringTimeInMinutes: 5, Alarms: ['A', 'B', 'G', 'Missing'] });
  assert.deepEqual(triggers.map((t) => [t.name, t.type, t.state, t.members]), [
    ['dev-web-target-5xx-rate', 'AWS::CloudWatch::Alarm', 'OK', []],
    ['dev-deploy-guard', 'AWS::CloudWatch::CompositeAlarm', 'INSUFFICIENT_DATA', ['x', 'y']],
  ]);
  assert.deepEqual(skipped.map((s) => s.split(':')[0]), ['Missing', 'dev-web-unhealthy-targets']);
});

test('scripts/deploy.sh --help lists --no-rollback-triggers, which docs/operations.md names', () => {
  const help = spawnSync('bash', [join(ROOT, 'scripts/deploy.sh'), '--help'], { encoding: 'utf8' }).stdout;
  assert.match(help, /--no-rollback-triggers/);
  assert.match(readFileSync(join(ROOT, 'docs/operations.md'), 'utf8'), /`--no-rollback-triggers`/);
});
