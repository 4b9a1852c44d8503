/**
 * The overview diagram's content: the estate at a glance, read from the emitted templates. How
 * requests reach the services (internet, load balancer, listener rules), how messages and
 * schedules start work (queues, topics, schedules), one box per service with its capacity,
 * scaling and deployment strategy, and the three network tiers they sit in. Everything else a
 * stack holds (roles, keys, log groups, alarms, parameters, whatever a stack adds later) is
 * counted on the box of what it belongs to, so new resources show up compactly without a change
 * here; a template with none of these (the Service Catalog portfolio) gets a box of counts.
 */
import { graphModel, list, obj, type GraphModel, type GraphNode, type GraphTemplate, type Literal, type Obj, type Tier } from './graph-model.ts';
import { capacityLine, deploymentLine, desiredLine, placementLine, scalingLine } from './graph-service.ts';
import { counted, FARGATE_NAMES, taskSize, typeName } from './graph-words.ts';

/** Where a box is drawn, left to right: what is outside, the three tiers, then Region-wide. */
export type Place = 'outside' | 'public' | 'application' | 'database' | 'region';

export type BoxKind = 'internet' | 'network' | 'loadBalancer' | 'nat' | 'workload' | 'capacity' | 'subnetGroup' | 'data' | 'queue' | 'topic' | 'schedule' | 'template';

export interface OverviewBox {
  /** DOT node name. */
  readonly key: string;
  readonly kind: BoxKind;
  readonly place: Place;
  readonly title: string;
  /** What it is, in a few words: `web service`, `Application Load Balancer, internet-facing`. */
  readonly subtitle: string;
  readonly lines: readonly string[];
  /** Counts of the other resources it stands for: `2 IAM roles`, `1 KMS key`. */
  readonly also: readonly string[];
  /** How many resources it stands for: drawn, explained by a line, or counted in `also`. */
  readonly resources: number;
  /** The template it comes from (none for the internet). */
  readonly stack?: string;
}

/** Requests (traffic), messages, a schedule starting a task, or any other use. */
export type FlowKind = 'traffic' | 'message' | 'start' | 'use';

export interface OverviewEdge {
  readonly from: OverviewBox;
  readonly to: OverviewBox;
  readonly kind: FlowKind;
  readonly label?: string;
}

export interface Overview {
  readonly boxes: readonly OverviewBox[];
  readonly edges: readonly OverviewEdge[];
  /** Each network tier's label, for tiers that have subnets or boxes. */
  readonly tiers: Partial<Record<Exclude<Tier, 'global'>, string>>;
}

/** Types of stateful stores drawn as boxes of their own (in their tier, or Region-wide). */
const DATA_TYPES = new Set([
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::DocDB::DBCluster',
  'AWS::Neptune::DBCluster',
  'AWS::ElastiCache::CacheCluster',
  'AWS::ElastiCache::ReplicationGroup',
  'AWS::ElastiCache::ServerlessCache',
  'AWS::MemoryDB::Cluster',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::EFS::FileSystem',
  'AWS::OpenSearchService::Domain',
]);

/** The network's own plumbing, explained by the tiers and the network box rather than counted. */
const NETWORK_TYPES = new Set([
  'AWS::EC2::VPC',
  'AWS::EC2::VPCCidrBlock',
  'AWS::EC2::InternetGateway',
  'AWS::EC2::EgressOnlyInternetGateway',
  'AWS::EC2::VPCGatewayAttachment',
  'AWS::EC2::Subnet',
  'AWS::EC2::RouteTable',
  'AWS::EC2::Route',
  'AWS::EC2::SubnetRouteTableAssociation',
]);


/** The overview of one environment's templates (the first is the root). */
export function overviewModel(templates: readonly GraphTemplate[]): Overview {
  const model = graphModel(templates);
  return new OverviewBuilder(model).build();
}

class OverviewBuilder {
  private readonly boxes: OverviewBox[] = [];
  private readonly edges: OverviewEdge[] = [];
  /** The box each node is explained by (drawn as the box, or one of its lines). */
  private readonly owner = new Map<GraphNode, OverviewBox>();

  constructor(private readonly model: GraphModel) {}

  private props(n: GraphNode): Obj {
    return obj(this.model.resource(n).Properties);
  }
  private lit(n: GraphNode, value: unknown): Literal | undefined {
    return this.model.literal(n.stack, value);
  }
  private ofType(...types: string[]): GraphNode[] {
    return this.model.nodes.filter((n) => types.includes(n.type));
  }
  private sources(n: GraphNode, value: unknown, ...types: string[]): GraphNode[] {
    return [...this.model.sources(n.stack, value)].filter((m) => types.length === 0 || types.includes(m.type));
  }
  /** Nodes reachable from `n` through what it uses, nearest first, up to `depth` steps. */
  private upstream(n: GraphNode, type: string, depth = 4): GraphNode | undefined {
    let frontier = [n];
    const seen = new Set(frontier);
    for (let d = 0; d < depth && frontier.length > 0; d++) {
      const next: GraphNode[] = [];
      for (const m of frontier) {
        for (const u of this.model.used(m)) {
          if (u.type === type) return u;
          if (!seen.has(u)) next.push(u);
          seen.add(u);
        }
      }
      frontier = next;
    }
    return undefined;
  }
  private add(box: Omit<OverviewBox, 'key' | 'also' | 'resources'>, claims: readonly GraphNode[]): OverviewBox {
    const made: OverviewBox = { ...box, key: `b${this.boxes.length}`, also: [], resources: 0 };
    this.boxes.push(made);
    for (const n of claims) if (!this.owner.has(n)) this.owner.set(n, made);
    return made;
  }
  private edge(from: OverviewBox, to: OverviewBox, kind: FlowKind, label?: string): void {
    if (from === to || this.edges.some((e) => e.from === from && e.to === to)) return;
    this.edges.push({ from, to, kind, ...(label ? { label } : {}) });
  }
  private stackName(file: string): string {
    return file.replace(/\.ya?ml$/, '').replace(/^service-/, '');
  }
  private placeOf(n: GraphNode, otherwise: Place): Place {
    return n.tier === 'global' ? otherwise : n.tier;
  }

  build(): Overview {
    this.network();
    this.loadBalancers();
    this.nat();
    const workloads = this.workloads();
    this.capacity();
    this.queues();
    this.topics();
    this.schedules(workloads);
    this.data();
    this.subnetGroups();
    this.routes();
    this.messages(workloads);
    this.remaining();
    this.uses();
    for (const [n, box] of this.owner) (box as { resources: number }).resources += n.ids.length;
    return { boxes: this.boxes, edges: this.edges, tiers: this.tierLabels() };
  }

  /** The VPC: its CIDR, zones and IPv6; the tiers draw its subnets and routes. */
  private network(): void {
    const vpcs = this.ofType('AWS::EC2::VPC');
    for (const vpc of vpcs) {
      const inStack = this.model.nodes.filter((n) => n.stack === vpc.stack && NETWORK_TYPES.has(n.type));
      const zones = Math.max(0, ...this.model.nodes.filter((n) => n.stack === vpc.stack && n.type === 'AWS::EC2::Subnet').map((n) => n.ids.length));
      const ipv6 = inStack.some((n) => n.type === 'AWS::EC2::VPCCidrBlock' && this.props(n).AmazonProvidedIpv6CidrBlock === true);
      const cidr = this.lit(vpc, this.props(vpc).CidrBlock);
      this.add(
        {
          kind: 'network',
          place: 'outside',
          title: ['VPC', cidr].filter(Boolean).join(' '),
          subtitle: [zones > 0 && counted(zones, 'Availability Zone'), ipv6 && 'IPv6'].filter(Boolean).join(', '),
          lines: [],
          stack: vpc.stack,
        },
        [vpc, ...inStack],
      );
    }
  }

  /**
   * Load balancers, their listeners and DNS names; the internet in front of public ones. Left
   * out, Scheme is internet-facing and Type application:
   * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-elasticloadbalancingv2-loadbalancer.html
   */
  private loadBalancers(): void {
    let internet: OverviewBox | undefined;
    for (const lb of this.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) {
      const p = this.props(lb);
      const scheme = String(this.lit(lb, p.Scheme) ?? 'internet-facing');
      const type = String(this.lit(lb, p.Type) ?? 'application');
      const listeners = this.model.users(lb).filter((n) => n.type === 'AWS::ElasticLoadBalancingV2::Listener');
      const lines: string[] = [];
      for (const r of this.model.users(lb).filter((n) => n.type === 'AWS::Route53::RecordSet')) {
        const name = this.lit(r, this.props(r).Name);
        if (typeof name === 'string' && !lines.includes(name.replace(/\.$/, ''))) lines.push(name.replace(/\.$/, ''));
      }
      for (const l of listeners) lines.push(this.listenerLine(l));
      const groups = this.sources(lb, p.SecurityGroups, 'AWS::EC2::SecurityGroup');
      const kind = { application: 'Application', network: 'Network', gateway: 'Gateway' }[type] ?? type;
      const box = this.add(
        { kind: 'loadBalancer', place: this.placeOf(lb, 'public'), title: 'load balancer', subtitle: `${kind} Load Balancer, ${scheme}`, lines, stack: lb.stack },
        [lb, ...listeners, ...groups],
      );
      if (scheme === 'internet-facing') {
        internet ??= this.add({ kind: 'internet', place: 'outside', title: 'internet', subtitle: '', lines: [] }, []);
        this.edge(internet, box, 'traffic');
      }
    }
  }

  private listenerLine(l: GraphNode): string {
    const p = this.props(l);
    const head = `${this.lit(l, p.Protocol) ?? ''} :${this.lit(l, p.Port) ?? ''}`.trim();
    const action = obj(list(p.DefaultActions)[0]);
    if (action.Type === 'redirect') {
      const r = obj(action.RedirectConfig);
      return `${head}, redirects to ${this.lit(l, r.Protocol) ?? ''} :${this.lit(l, r.Port) ?? ''}`.replace(/ :$/, '');
    }
    if (action.Type === 'fixed-response') return `${head}, no rule matches: ${this.lit(l, obj(action.FixedResponseConfig).StatusCode) ?? 'fixed response'}`;
    return head;
  }

  /** NAT gateways, AZ repeats counted. */
  private nat(): void {
    const gateways = this.ofType('AWS::EC2::NatGateway');
    const count = gateways.reduce((sum, n) => sum + n.ids.length, 0);
    if (count === 0) return;
    const zones = Math.max(0, ...this.ofType('AWS::EC2::Subnet').filter((n) => n.tier === 'application').map((n) => n.ids.length));
    const eips = gateways.flatMap((g) => this.model.used(g).filter((n) => n.type === 'AWS::EC2::EIP'));
    this.add(
      {
        kind: 'nat',
        place: 'public',
        title: count === 1 ? 'NAT gateway' : `NAT gateways x${count}`,
        subtitle: count === 1 && zones > 1 ? `one for ${zones} Availability Zones` : 'one per Availability Zone',
        lines: [],
        stack: gateways[0]!.stack,
      },
      [...gateways, ...eips],
    );
  }

  /**
   * Each ECS service, and each task definition no service runs (scheduled or run by hand).
   * Returns the boxes of each task definition (several when services share one).
   */
  private workloads(): Map<GraphNode, OverviewBox[]> {
    const byTask = new Map<GraphNode, OverviewBox[]>();
    const services = this.ofType('AWS::ECS::Service');
    const perStack = (stack: string) => this.model.nodes.filter((n) => n.stack === stack && (n.type === 'AWS::ECS::Service' || (n.type === 'AWS::ECS::TaskDefinition' && !this.isRunBy(n)))).length;
    const name = (n: GraphNode) => (perStack(n.stack) > 1 ? `${this.stackName(n.stack)} ${n.label}` : this.stackName(n.stack));
    for (const s of services) {
      const p = this.props(s);
      const task = this.sources(s, p.TaskDefinition, 'AWS::ECS::TaskDefinition')[0];
      const groups = this.targetGroups(s);
      const rules = groups.flatMap((g) => this.model.users(g).filter((n) => n.type === 'AWS::ElasticLoadBalancingV2::ListenerRule'));
      const scaling = scalingLine(this.model, s);
      const lines = [
        [capacityLine(this.model, s, p), task && taskSize(this.lit(task, this.props(task).Cpu), this.lit(task, this.props(task).Memory))].filter(Boolean).join(', '),
        placementLine(this.model, s, p),
        scaling.line ?? desiredLine(this.model, s, p),
        deploymentLine(this.model, s, p),
      ].filter((l): l is string => Boolean(l));
      const box = this.add(
        { kind: 'workload', place: this.placeOf(s, 'application'), title: name(s), subtitle: groups.length > 0 ? 'web service' : 'service', lines, stack: s.stack },
        [s, ...(task ? [task] : []), ...groups, ...rules, ...scaling.nodes, ...this.sources(s, p.NetworkConfiguration, 'AWS::EC2::SecurityGroup')],
      );
      if (task) byTask.set(task, [...(byTask.get(task) ?? []), box]);
    }
    for (const task of this.ofType('AWS::ECS::TaskDefinition')) {
      if (byTask.has(task) || this.isRunBy(task)) continue;
      const starter = this.model.users(task).find((n) => n.type === 'AWS::Scheduler::Schedule' || n.type === 'AWS::Events::Rule');
      const ecs = starter ? this.ecsParameters(starter) : {};
      // TaskCount defaults to 1: https://docs.aws.amazon.com/scheduler/latest/APIReference/API_EcsParameters.html
      const count = starter ? (this.lit(starter, ecs.TaskCount) ?? 1) : undefined;
      const lines = [
        [capacityLine(this.model, starter ?? task, ecs), taskSize(this.lit(task, this.props(task).Cpu), this.lit(task, this.props(task).Memory))].filter(Boolean).join(', '),
        count !== undefined ? `${counted(Number(count), 'task')} per run` : 'started by hand (aws ecs run-task)',
      ].filter(Boolean);
      const box = this.add(
        {
          kind: 'workload',
          place: starter ? this.placeOf(starter, 'application') : 'application',
          title: name(task),
          subtitle: starter ? 'scheduled task' : 'task',
          lines,
          stack: task.stack,
        },
        [task, ...(starter ? this.sources(starter, ecs.NetworkConfiguration, 'AWS::EC2::SecurityGroup') : [])],
      );
      byTask.set(task, [box]);
    }
    return byTask;
  }

  private isRunBy(task: GraphNode): boolean {
    return this.model.users(task).some((n) => n.type === 'AWS::ECS::Service');
  }

  private ecsParameters(starter: GraphNode): Obj {
    const p = this.props(starter);
    return obj(obj(p.Target).EcsParameters ?? obj(list(p.Targets)[0]).EcsParameters);
  }

  private targetGroups(s: GraphNode): GraphNode[] {
    return list(this.props(s).LoadBalancers).flatMap((lb) => this.sources(s, obj(lb).TargetGroupArn, 'AWS::ElasticLoadBalancingV2::TargetGroup'));
  }

  /** The ECS cluster and its capacity: EC2 instances (types, count, managed scaling) and Fargate. */
  private capacity(): void {
    for (const cluster of this.ofType('AWS::ECS::Cluster')) {
      const p = this.props(cluster);
      const insights = list(p.ClusterSettings).map(obj).find((s) => s.Name === 'containerInsights');
      const associations = this.model.users(cluster).filter((n) => n.type === 'AWS::ECS::ClusterCapacityProviderAssociations');
      // Capacity providers are listed on the cluster itself or in an association resource.
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecs-clustercapacityproviderassociations.html
      const providers = [cluster, ...associations].flatMap((a) => list(this.props(a).CapacityProviders).map((v) => ({ a, v })));
      const claims: GraphNode[] = [cluster, ...associations];
      const lines: string[] = [];
      const fargate: string[] = [];
      for (const { a, v } of providers) {
        const literal = this.lit(a, v);
        if (typeof literal === 'string' && FARGATE_NAMES[literal]) {
          fargate.push(FARGATE_NAMES[literal]);
          continue;
        }
        for (const provider of this.sources(a, v, 'AWS::ECS::CapacityProvider')) {
          const asgProps = obj(this.props(provider).AutoScalingGroupProvider);
          const scaling = obj(asgProps.ManagedScaling);
          claims.push(provider);
          for (const asg of this.sources(provider, asgProps.AutoScalingGroupArn, 'AWS::AutoScaling::AutoScalingGroup')) {
            const g = this.props(asg);
            const templates = this.model.used(asg).filter((n) => n.type === 'AWS::EC2::LaunchTemplate');
            claims.push(asg, ...templates);
            const overrides = list(obj(obj(g.MixedInstancesPolicy).LaunchTemplate).Overrides).map((o) => this.lit(asg, obj(o).InstanceType));
            const fromTemplate = templates.map((t) => this.lit(t, obj(this.props(t).LaunchTemplateData).InstanceType));
            const types = [...overrides, ...fromTemplate].filter((t): t is Literal => t !== undefined);
            const min = this.lit(asg, g.MinSize);
            const max = this.lit(asg, g.MaxSize);
            lines.push(`EC2 ${types.join(', ')}`.trim());
            if (min !== undefined && max !== undefined) lines.push(`${min}-${max} instances`);
          }
          if (this.lit(provider, scaling.Status) === 'ENABLED') lines.push(`managed scaling to ${this.lit(provider, scaling.TargetCapacity) ?? 100} % use`);
        }
      }
      if (fargate.length > 0) lines.push(lines.length > 0 ? `and ${fargate.join(', ')}` : fargate.join(', '));
      if (insights) lines.push(`Container Insights ${String(this.lit(cluster, insights.Value) ?? '?')}`);
      const asgs = claims.filter((n) => n.type === 'AWS::AutoScaling::AutoScalingGroup');
      this.add(
        { kind: 'capacity', place: asgs[0] ? this.placeOf(asgs[0], 'application') : 'application', title: 'ECS cluster', subtitle: 'capacity for the services', lines, stack: cluster.stack },
        claims,
      );
    }
  }

  /** SQS queues with their dead-letter queue folded in. */
  private queues(): void {
    const queues = this.ofType('AWS::SQS::Queue');
    const deadLetter = new Map<GraphNode, { dlq: GraphNode; receives: Literal | undefined }>();
    for (const q of queues) {
      const redrive = obj(this.props(q).RedrivePolicy);
      const dlq = this.sources(q, redrive.deadLetterTargetArn, 'AWS::SQS::Queue')[0];
      if (dlq) deadLetter.set(q, { dlq, receives: this.lit(q, redrive.maxReceiveCount) });
    }
    const dlqs = new Set([...deadLetter.values()].map((d) => d.dlq));
    // A schedule's dead-letter queue is drawn on the schedule's box (see `schedules`).
    for (const s of this.ofType('AWS::Scheduler::Schedule')) for (const q of this.sources(s, obj(obj(this.props(s).Target).DeadLetterConfig).Arn, 'AWS::SQS::Queue')) dlqs.add(q);
    for (const q of queues) {
      if (dlqs.has(q)) continue;
      const p = this.props(q);
      const d = deadLetter.get(q);
      const lines: string[] = [];
      // Retention defaults to 4 days: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sqs-queue.html
      const days = (seconds: Literal | undefined) => counted(seconds === undefined ? 4 : Math.round(Number(seconds) / 86400), 'day');
      lines.push(`keeps messages ${days(this.lit(q, p.MessageRetentionPeriod))}`);
      if (d) lines.push(`dead letters after ${d.receives ?? '?'} receives, kept ${days(this.lit(d.dlq, this.props(d.dlq).MessageRetentionPeriod))}`);
      const policies = this.model.users(q).filter((n) => n.type === 'AWS::SQS::QueuePolicy');
      const title = `${this.stackName(q.stack)} ${q.label === 'Queue' ? 'queue' : q.label}`;
      this.add(
        { kind: 'queue', place: 'region', title, subtitle: `SQS queue${p.KmsMasterKeyId || p.SqsManagedSseEnabled ? ', encrypted' : ''}`, lines, stack: q.stack },
        [q, ...(d ? [d.dlq] : []), ...policies],
      );
    }
  }

  /**
   * SNS topics, with how many alarms (and event rules) notify them: by reference, or by an ARN
   * built from the topic's fixed name (berth's stacks build the alarm topic's ARN from
   * `berth-<environment>-alarms`, as a stack in another template cannot refer to it).
   */
  private topics(): void {
    const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof obj(v)['Fn::Sub'] === 'string' ? (obj(v)['Fn::Sub'] as string) : undefined);
    for (const t of this.ofType('AWS::SNS::Topic')) {
      const users = this.model.users(t);
      const name = text(this.props(t).TopicName);
      const names = (v: unknown) => name !== undefined && list(v).some((a) => text(a)?.endsWith(`:${name}`) === true);
      const byName = name === undefined ? [] : this.model.nodes.filter((n) => !users.includes(n) && (n.type === 'AWS::CloudWatch::Alarm' ? names(this.props(n).AlarmActions) || names(this.props(n).OKActions) : n.type === 'AWS::Events::Rule' && list(this.props(n).Targets).some((x) => names(obj(x).Arn))));
      const notifiers = [...users, ...byName];
      const alarms = notifiers.filter((n) => n.type === 'AWS::CloudWatch::Alarm' || n.type === 'AWS::CloudWatch::CompositeAlarm').reduce((sum, n) => sum + n.ids.length, 0);
      const rules = notifiers.filter((n) => n.type === 'AWS::Events::Rule').reduce((sum, n) => sum + n.ids.length, 0);
      const subscriptions = users.filter((n) => n.type === 'AWS::SNS::Subscription');
      const lines = [
        alarms > 0 ? `notified by ${counted(alarms, 'alarm')}${rules > 0 ? ` and ${counted(rules, 'event rule')}` : ''}` : '',
        subscriptions.length > 0 ? counted(subscriptions.length, 'subscription') : 'no subscription',
      ].filter(Boolean);
      this.add(
        { kind: 'topic', place: 'region', title: `${this.stackName(t.stack)} ${t.label === 'Topic' ? 'topic' : t.label}`, subtitle: 'SNS topic', lines, stack: t.stack },
        [t, ...subscriptions, ...users.filter((n) => n.type === 'AWS::SNS::TopicPolicy')],
      );
    }
  }

  /** EventBridge schedules (Scheduler, or a rule with a schedule expression) and what they start. */
  private schedules(workloads: Map<GraphNode, OverviewBox[]>): void {
    for (const s of this.ofType('AWS::Scheduler::Schedule', 'AWS::Events::Rule')) {
      const p = this.props(s);
      const expression = this.lit(s, p.ScheduleExpression);
      if (expression === undefined) continue;
      const zone = this.lit(s, p.ScheduleExpressionTimezone);
      const roles = this.sources(s, [obj(p.Target).RoleArn, ...list(p.Targets).map((t) => obj(t).RoleArn)], 'AWS::IAM::Role');
      const dlq = this.sources(s, obj(obj(p.Target).DeadLetterConfig).Arn, 'AWS::SQS::Queue')[0];
      const box = this.add(
        {
          kind: 'schedule',
          place: 'region',
          title: `${this.stackName(s.stack)} schedule`,
          subtitle: s.type === 'AWS::Scheduler::Schedule' ? 'EventBridge Scheduler' : 'EventBridge rule',
          lines: [`${expression}${zone ? ` ${zone}` : ''}`, ...(dlq ? ['runs it cannot start to a dead-letter queue'] : [])],
          stack: s.stack,
        },
        [s, ...roles, ...(dlq ? [dlq] : [])],
      );
      for (const task of this.sources(s, [p.Target, p.Targets], 'AWS::ECS::TaskDefinition')) {
        for (const w of workloads.get(task) ?? []) this.edge(box, w, 'start', 'starts');
      }
    }
  }

  /**
   * Databases, caches, file systems, tables and buckets: in their tier, or Region-wide. A DB
   * cluster's instances are lines of the cluster's box (writer and readers, their class); a bucket
   * is drawn when its own access is logged (a data bucket), and the bucket its logs go to is
   * counted on it. A data stack's one store is named after the stack (`data-appdb.yaml`: appdb).
   */
  private data(): void {
    const isDataBucket = (n: GraphNode) => n.type === 'AWS::S3::Bucket' && this.props(n).LoggingConfiguration !== undefined;
    const stores = this.model.nodes.filter((n) => (DATA_TYPES.has(n.type) || isDataBucket(n)) && !this.inCluster(n));
    const perStack = (stack: string) => stores.filter((n) => n.stack === stack).length;
    for (const d of stores) {
      const p = this.props(d);
      const members = d.type === 'AWS::RDS::DBCluster' ? this.model.users(d).filter((n) => n.type === 'AWS::RDS::DBInstance' && this.inCluster(n)) : [];
      const logs = isDataBucket(d) ? this.sources(d, obj(p.LoggingConfiguration).DestinationBucketName, 'AWS::S3::Bucket') : [];
      const size = [p.DBInstanceClass, p.CacheNodeType, p.NodeType, p.BillingMode, ...members.map((m) => this.props(m).DBInstanceClass)].map((v) => this.lit(d, v)).find((v) => v !== undefined);
      const instances = members.reduce((sum, m) => sum + m.ids.length, 0);
      const lines = [
        [d.ids.length > 1 && `x${d.ids.length}`, size, this.lit(d, p.MultiAZ) === true && 'Multi-AZ'].filter(Boolean).join(', '),
        instances > 0 ? `1 writer, ${counted(instances - 1, 'reader')}` : '',
        logs.length > 0 ? 'access logged to a bucket of its own' : '',
      ].filter(Boolean);
      const store = /^data-(.+)\.ya?ml$/.exec(d.stack)?.[1];
      const title = store && perStack(d.stack) === 1 ? store : d.label;
      this.add({ kind: 'data', place: this.placeOf(d, 'region'), title, subtitle: [typeName(d.type), this.lit(d, p.Engine)].filter(Boolean).join(', '), lines, stack: d.stack }, [d, ...members, ...logs]);
    }
  }

  /** A DB instance of a DB cluster drawn here: explained by the cluster's box. */
  private inCluster(n: GraphNode): boolean {
    return n.type === 'AWS::RDS::DBInstance' && this.sources(n, this.props(n).DBClusterIdentifier, 'AWS::RDS::DBCluster').length > 0;
  }

  /** DB subnet groups: where databases go, drawn so the database tier shows even while empty. */
  private subnetGroups(): void {
    for (const g of this.ofType('AWS::RDS::DBSubnetGroup')) {
      const used = this.model.users(g).filter((n) => DATA_TYPES.has(n.type)).length;
      const subnets = this.sources(g, this.props(g).SubnetIds, 'AWS::EC2::Subnet').reduce((sum, n) => sum + n.ids.length, 0);
      this.add(
        { kind: 'subnetGroup', place: this.placeOf(g, 'database'), title: 'DB subnet group', subtitle: counted(subnets, 'subnet'), lines: [used > 0 ? `used by ${counted(used, 'database')}` : 'no database yet'], stack: g.stack },
        [g],
      );
    }
  }

  /** Load balancer to service, labelled with the listener rule's conditions. */
  private routes(): void {
    const boxOf = (n: GraphNode | undefined) => (n ? this.owner.get(n) : undefined);
    for (const s of this.ofType('AWS::ECS::Service')) {
      const service = boxOf(s);
      if (!service) continue;
      for (const group of this.targetGroups(s)) {
        for (const rule of this.model.users(group).filter((n) => n.type === 'AWS::ElasticLoadBalancingV2::ListenerRule' || n.type === 'AWS::ElasticLoadBalancingV2::Listener')) {
          const lb = rule.type === 'AWS::ElasticLoadBalancingV2::Listener' ? this.upstream(rule, 'AWS::ElasticLoadBalancingV2::LoadBalancer', 1) : this.upstream(rule, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
          const from = boxOf(lb);
          if (from) this.edge(from, service, 'traffic', rule.type === 'AWS::ElasticLoadBalancingV2::Listener' ? 'default' : this.conditions(rule));
        }
      }
    }
  }

  /** `/api/*`, `api.example.com /v2/*`: a listener rule's host and path conditions. */
  private conditions(rule: GraphNode): string {
    const parts: string[] = [];
    for (const c of list(this.props(rule).Conditions).map(obj)) {
      const values = list(obj(c.PathPatternConfig).Values ?? obj(c.HostHeaderConfig).Values ?? c.Values).map((v) => String(this.lit(rule, v) ?? '?'));
      if (c.Field === 'host-header') parts.unshift(...values);
      else if (c.Field === 'path-pattern') parts.push(...values);
      else parts.push(String(c.Field));
    }
    return parts.join(' ');
  }

  /**
   * Messages: a task role allowed to receive from a queue consumes it; one allowed to send or
   * publish sends to it. Read from the IAM policies of each workload's task role.
   */
  private messages(workloads: Map<GraphNode, OverviewBox[]>): void {
    for (const [task, boxes] of workloads) {
      const roles = this.sources(task, this.props(task).TaskRoleArn, 'AWS::IAM::Role');
      const statements: { node: GraphNode; statement: Obj }[] = [];
      for (const role of roles) {
        for (const policy of list(this.props(role).Policies)) statements.push(...list(obj(obj(policy).PolicyDocument).Statement).map((s) => ({ node: role, statement: obj(s) })));
        for (const attached of this.model.users(role).filter((n) => n.type === 'AWS::IAM::Policy' || n.type === 'AWS::IAM::ManagedPolicy')) {
          statements.push(...list(obj(this.props(attached).PolicyDocument).Statement).map((s) => ({ node: attached, statement: obj(s) })));
        }
      }
      for (const { node, statement } of statements) {
        if (statement.Effect !== 'Allow') continue;
        const actions = list(statement.Action).map((a) => String(a).toLowerCase());
        // A resource named through the estate registry (an SSM parameter holding its ARN) counts as itself.
        const named = this.sources(node, statement.Resource).flatMap((t) => (t.type === 'AWS::SSM::Parameter' ? this.sources(t, this.props(t).Value) : [t]));
        for (const box of boxes) {
          for (const other of named.map((t) => this.owner.get(t)).filter((o) => o !== undefined && o !== box) as OverviewBox[]) {
            if (other.kind === 'queue' && actions.some((a) => a === 'sqs:receivemessage' || a === 'sqs:*')) {
              this.edge(other, box, 'message', 'consumes');
              if (box.subtitle === 'service') (box as { subtitle: string }).subtitle = 'queue worker';
            } else if (other.kind === 'queue' && actions.includes('sqs:sendmessage')) this.edge(box, other, 'message', 'sends');
            else if (other.kind === 'topic' && actions.some((a) => a === 'sns:publish' || a === 'sns:*')) this.edge(box, other, 'message', 'publishes');
          }
        }
      }
    }
  }

  /**
   * Every node no box explains is counted on a box it is wired to in its own stack (a role on the
   * service whose task definition uses it, a key on the queue it encrypts, a DNS record on its
   * load balancer; a service before a queue when both are, as for a scaling alarm that watches
   * the queue). What is still left goes to the first service, load balancer, database, cluster
   * or network box of its stack; a stack with none of these gets a box of counts.
   */
  private remaining(): void {
    const priority: readonly BoxKind[] = ['workload', 'loadBalancer', 'data', 'capacity', 'network', 'queue', 'topic', 'schedule', 'subnetGroup', 'nat', 'template'];
    const counts = new Map<OverviewBox, Map<string, number>>();
    const assign = (n: GraphNode, box: OverviewBox) => {
      this.owner.set(n, box);
      const names = counts.get(box) ?? new Map<string, number>();
      names.set(typeName(n.type), (names.get(typeName(n.type)) ?? 0) + n.ids.length);
      counts.set(box, names);
    };
    for (let changed = true; changed; ) {
      changed = false;
      for (const n of this.model.nodes) {
        if (this.owner.has(n)) continue;
        const near = [...this.model.users(n), ...this.model.used(n)].filter((m) => m.stack === n.stack && this.owner.has(m)).map((m) => this.owner.get(m)!);
        if (near.length === 0) continue;
        assign(n, near.sort((a, b) => priority.indexOf(a.kind) - priority.indexOf(b.kind))[0]!);
        changed = true;
      }
    }
    for (const n of this.model.nodes) {
      if (this.owner.has(n)) continue;
      let box = priority.map((k) => this.boxes.find((b) => b.stack === n.stack && b.kind === k)).find(Boolean);
      if (!box) {
        const stack = this.model.stacks.find((s) => s.file === n.stack)!;
        box = this.add({ kind: 'template', place: 'region', title: n.stack, subtitle: stack.parent ? `nested in ${stack.parent}` : 'a top-level template beside the root', lines: [], stack: n.stack }, []);
      }
      assign(n, box);
    }
    for (const [box, names] of counts) {
      // Counted once every box is made; `also` is filled here, in place.
      (box.also as string[]).push(...[...names].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name, n]) => counted(n, name)));
    }
  }

  /**
   * Any other reference from what a box stands for to a queue, topic, data store or template
   * box: a `use` arrow, labelled with what refers when it is not the box's main resource (alarms
   * notifying a topic, say).
   */
  private uses(): void {
    const ownerOf = (n: GraphNode) => this.owner.get(n);
    const targets: ReadonlySet<BoxKind> = new Set(['queue', 'topic', 'data', 'template']);
    const found = new Map<string, { from: OverviewBox; to: OverviewBox; types: Map<string, number> }>();
    for (const e of this.model.edges) {
      const from = ownerOf(e.to);
      const to = ownerOf(e.from);
      if (!from || !to || from === to || !targets.has(to.kind) || from.kind === 'template') continue;
      if (this.edges.some((x) => (x.from === from && x.to === to) || (x.from === to && x.to === from))) continue;
      const key = `${from.key} ${to.key}`;
      const entry = found.get(key) ?? { from, to, types: new Map<string, number>() };
      entry.types.set(e.to.type, (entry.types.get(e.to.type) ?? 0) + e.to.ids.length);
      found.set(key, entry);
    }
    for (const { from, to, types } of found.values()) {
      const label = [...types].filter(([type]) => type === 'AWS::CloudWatch::Alarm' || type === 'AWS::CloudWatch::CompositeAlarm').map(([type, n]) => counted(n, typeName(type)));
      this.edges.push({ from, to, kind: 'use', ...(label.length > 0 ? { label: label.join(', ') } : {}) });
    }
  }

  /** `public subnets x3, routed to the internet`, and so on, from the subnets of each tier. */
  private tierLabels(): Overview['tiers'] {
    const subnets = (tier: Tier) => this.ofType('AWS::EC2::Subnet').filter((n) => n.tier === tier).reduce((sum, n) => sum + n.ids.length, 0);
    const route: Record<Exclude<Tier, 'global'>, string> = {
      public: 'route to the internet gateway',
      application: 'out through NAT, no inbound',
      database: 'no route out',
    };
    const tiers: Overview['tiers'] = {};
    for (const tier of ['public', 'application', 'database'] as const) {
      const n = subnets(tier);
      if (n === 0 && !this.boxes.some((b) => b.place === tier)) continue;
      tiers[tier] = n > 0 ? `${tier} subnets x${n}: ${route[tier]}` : `${tier} tier`;
    }
    return tiers;
  }
}
