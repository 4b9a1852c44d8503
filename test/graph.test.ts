/**
 * berth graph. Over the estate in templates/ (any estate): the committed overviews are current,
 * readable at 1280 px (rendered to PNG with the font the SVG names: natural width, smallest font,
 * every label inside its box), and show every service, load balancer and stack. On the
 * two-web-service fixture (test/fixtures/two-web): exact boxes, arrows and tiers, and the load
 * balancer's security group stays in the public tier. The detailed view keeps a box per stack,
 * and `build` never loads the Graphviz WebAssembly.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { initWasm, Resvg } from '@resvg/resvg-wasm';
import { parseTemplate } from '../src/emit/parse.ts';
import { emitEnvironment } from '../src/emit/output.ts';
import type { Estate } from '../src/dsl/estate.ts';
import { drawGraph, graphDot } from '../src/cli/graph.ts';
import { DIAGRAM_FONT, SVG_FONT_FAMILY } from '../src/cli/graph-render.ts';
import { collapseRepeats, graphModel, type GraphTemplate } from '../src/cli/graph-model.ts';
import { overviewModel, type Overview } from '../src/cli/graph-overview.ts';
import { wrap } from '../src/cli/graph-overview-dot.ts';
import { counted, typeName } from '../src/cli/graph-words.ts';
import type { Template } from '../src/dsl/template.ts';
import { estate } from '../templates/estate.ts';
import { estate as twoWeb } from './fixtures/two-web/estate.ts';
import { berth, ROOT, run, sandbox, tempDir } from './_helpers.ts';

const scratch = tempDir('graph');
after(() => rmSync(scratch, { recursive: true, force: true }));

const templatesOf = (e: Estate, env: string): GraphTemplate[] => emitEnvironment(e, env).map((f) => ({ file: f.file, template: parseTemplate(f.text, f.file) }));
const TWO_WEB = 'test/fixtures/two-web/estate.ts';

// --- Rendering to PNG, as a viewer sees the SVG --------------------------------------------------

/** The width a diagram must fit at its natural size (1 pt = 4/3 px, as browsers and resvg draw it). */
const MAX_WIDTH_PX = 1280;
/** The smallest text allowed at that size. */
const MIN_FONT_PX = 11;
/** Only the font the SVG names first: what Graphviz measured with (its fallbacks are narrower). */
let fonts: Uint8Array[] = [];
before(async () => {
  await initWasm(readFileSync(join(ROOT, 'node_modules/@resvg/resvg-wasm/index_bg.wasm')));
  fonts = ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf'].map((f) => new Uint8Array(readFileSync(join(ROOT, 'node_modules/dejavu-fonts-ttf/ttf', f))));
});
const resvg = (svg: string) => new Resvg(svg, { font: { fontBuffers: fonts, loadSystemFonts: false, defaultFontFamily: DIAGRAM_FONT } });

interface SvgText {
  readonly text: string;
  readonly anchor: string;
  readonly x: number;
  readonly attrs: string;
}
interface SvgShape {
  readonly id: string;
  readonly left: number;
  readonly right: number;
  readonly texts: SvgText[];
}

const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n))).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

/** Graphviz's nodes and clusters: each shape's left and right edge and the texts drawn in it. */
function shapes(svg: string): SvgShape[] {
  const out: SvgShape[] = [];
  for (const [, kind, body] of svg.matchAll(/<g id="[^"]*" class="(node|cluster)">([\s\S]*?)<\/g>/g)) {
    const xs: number[] = [];
    const outline = body!.match(/<(path|polygon) [^>]*(?:d|points)="([^"]*)"/);
    const ellipse = body!.match(/<ellipse [^>]*cx="([\d.-]+)" cy="[\d.-]+" rx="([\d.]+)"/);
    if (ellipse) xs.push(Number(ellipse[1]) - Number(ellipse[2]), Number(ellipse[1]) + Number(ellipse[2]));
    else for (const [, x] of outline![2]!.matchAll(/(-?[\d.]+),-?[\d.]+/g)) xs.push(Number(x));
    const texts = [...body!.matchAll(/<text ([^>]*)>([^<]*)<\/text>/g)].map(([, attrs, text]) => ({
      text: unescape(text!),
      anchor: attrs!.match(/text-anchor="(\w+)"/)![1]!,
      x: Number(attrs!.match(/ x="([\d.-]+)"/)![1]),
      attrs: attrs!.replace(/ (x|y|text-anchor|fill)="[^"]*"/g, ''),
    }));
    out.push({ id: `${kind} ${body!.match(/<title>([^<]*)<\/title>/)![1]}`, left: Math.min(...xs), right: Math.max(...xs), texts });
  }
  return out;
}

/** Where the ink of a text starts and ends, drawn by resvg with the SVG's own font attributes. */
function inkExtent(t: SvgText): [number, number] {
  const probe = `<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="100"><text x="2000" y="50" text-anchor="${t.anchor}" ${t.attrs}>${t.text.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</text></svg>`;
  const r = resvg(probe);
  const box = r.getBBox();
  r.free();
  if (!box) return [t.x, t.x];
  const extent: [number, number] = [t.x + box.x - 2000, t.x + box.x - 2000 + box.width];
  box.free();
  return extent;
}

/** Checks an overview SVG is readable at 1280 px; returns its natural width in px. */
function assertReadable(name: string, svg: string): number {
  const r = resvg(svg);
  const png = r.render();
  const width = png.width;
  png.free();
  r.free();
  assert.ok(width <= MAX_WIDTH_PX, `${name}: ${width} px wide at its natural size, over ${MAX_WIDTH_PX} px`);
  const sizes = [...svg.matchAll(/font-size="([\d.]+)"/g)].map((m) => (Number(m[1]) * 4) / 3);
  assert.ok(Math.min(...sizes) >= MIN_FONT_PX, `${name}: smallest text ${Math.min(...sizes)} px, under ${MIN_FONT_PX} px`);
  assert.match(svg, new RegExp(`font-family="${SVG_FONT_FAMILY}"`));
  assert.doesNotMatch(svg, new RegExp(`font-family="(?!${SVG_FONT_FAMILY}")`), 'every text names the measured font first');
  for (const shape of shapes(svg)) {
    for (const t of shape.texts) {
      const [left, right] = inkExtent(t);
      assert.ok(left >= shape.left - 0.5 && right <= shape.right + 0.5, `${name}: ${shape.id}: ${JSON.stringify(t.text)} spans ${left.toFixed(1)}-${right.toFixed(1)}, outside its box ${shape.left}-${shape.right}`);
    }
  }
  return width;
}

/** An environment of the estate in templates/, whichever it holds (the tests over it hold for any estate). */
const ENV = estate.environments[0]!;

// --- The committed diagrams -------------------------------------------------------------------------

test('the committed overviews match a fresh render (make graph after changing the estate)', () => {
  const r = berth(ROOT, 'graph', '--check');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${estate.environments.map((e) => `output/${e}/architecture.svg`).join(', ')} up to date.\n`);
  assert.equal(r.stderr, '', 'Graphviz warns about nothing (a font without widths, a character it cannot measure)');
});

test('fails graph --check on a stale diagram, naming it', () => {
  const dir = sandbox();
  writeFileSync(join(dir, 'output/prod/architecture.svg'), '<svg/>');
  const r = berth(dir, 'graph', '--check');
  assert.equal(r.status, 1);
  assert.equal(r.stderr, 'error: the diagram is stale; run `make graph` and commit the result:\n  output/prod/architecture.svg\n');
  const detailed = berth(dir, 'graph', '--check', '--detailed', '--env', 'dev');
  assert.equal(detailed.status, 1);
  assert.equal(detailed.stderr, 'error: the diagram is stale; run `berth graph --detailed` and commit the result:\n  output/dev/architecture-detailed.svg\n');
  rmSync(dir, { recursive: true, force: true });
});

test('rendering is deterministic: the same templates give the same bytes, in both views', async () => {
  for (const view of ['overview', 'detailed'] as const) {
    const dot = graphDot(ENV, templatesOf(estate, ENV), view);
    assert.equal(graphDot(ENV, templatesOf(estate, ENV), view), dot);
    assert.equal((await drawGraph(ENV, templatesOf(estate, ENV), view)).svg, (await drawGraph(ENV, templatesOf(estate, ENV), view)).svg);
  }
});

test('every overview is readable at 1280 px: natural width, smallest font, every label inside its box', async () => {
  const widths: string[] = [];
  for (const [e, env] of [...estate.environments.map((n) => [estate, n] as const), [twoWeb, 'qa'] as const]) {
    const { svg, warnings } = await drawGraph(env, templatesOf(e, env));
    assert.deepEqual(warnings, [], `${env}: Graphviz warnings`);
    widths.push(`${env} ${assertReadable(env, svg)}`);
  }
  // The committed files are what README shows: the same check on the bytes in output/.
  for (const env of estate.environments) assertReadable(`output/${env}/architecture.svg`, readFileSync(join(ROOT, 'output', env, 'architecture.svg'), 'utf8'));
  assert.equal(widths.length, estate.environments.length + 1);
});

test('the fit check fails a label wider than its box', () => {
  const svg = readFileSync(join(ROOT, 'output', ENV, 'architecture.svg'), 'utf8').replace(/>VPC [^<]*</, '>VPC with a label far too long to fit in this box<');
  assert.throws(() => assertReadable('tampered', svg), /"VPC with a label far too long to fit in this box" spans .* outside its box/);
});

// --- What the overview shows, for any estate ------------------------------------------------------------

test('the overview shows every service, task, load balancer and template of the estate', () => {
  for (const env of estate.environments) {
    const templates = templatesOf(estate, env);
    const model = graphModel(templates);
    const overview = overviewModel(templates);
    const workloads = overview.boxes.filter((b) => b.kind === 'workload');
    const services = model.nodes.filter((n) => n.type === 'AWS::ECS::Service');
    const tasks = model.nodes.filter((n) => n.type === 'AWS::ECS::TaskDefinition' && !model.users(n).some((u) => u.type === 'AWS::ECS::Service'));
    assert.equal(workloads.length, services.length + tasks.length, `${env}: one box per service and per task no service runs`);
    for (const w of workloads) assert.ok(w.lines.length >= 2, `${env}: ${w.title} says how it runs and at what size`);
    for (const s of services) {
      const box = workloads.find((w) => w.stack === s.stack)!;
      assert.match(box.lines.join('\n'), /^deploy: /m, `${env}: ${box.title} shows its deployment`);
      if ((model.resource(s).Properties as { LoadBalancers?: unknown }).LoadBalancers) {
        assert.ok(overview.edges.some((e) => e.to === box && e.kind === 'traffic' && e.from.kind === 'loadBalancer'), `${env}: ${box.title} is reached from a load balancer`);
      }
    }
    const lbs = model.nodes.filter((n) => n.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer').length;
    assert.equal(overview.boxes.filter((b) => b.kind === 'loadBalancer').length, lbs);
    for (const stack of model.stacks.filter((s) => s.resources > 0)) {
      assert.ok(overview.boxes.some((b) => b.stack === stack.file), `${env}: ${stack.file} has a box`);
    }
    // Nothing is dropped: every resource is drawn as a box, explained on one, or counted.
    assert.equal(
      overview.boxes.reduce((sum, b) => sum + b.resources, 0),
      model.stacks.reduce((sum, s) => sum + s.resources, 0),
      `${env}: the boxes stand for every resource`,
    );
    for (const b of overview.boxes) {
      assert.ok(b.also.reduce((sum, a) => sum + Number(a.split(' ')[0]), 0) <= b.resources, `${env}: ${b.title} counts only what it stands for`);
    }
  }
});

test('subnets are tiered by their routes and each load balancer security group sits with its load balancer', () => {
  for (const env of estate.environments) {
    const model = graphModel(templatesOf(estate, env));
    for (const n of model.nodes.filter((m) => m.type === 'AWS::EC2::Subnet')) assert.notEqual(n.tier, 'global', `${env}: ${n.label}`);
    for (const lb of model.nodes.filter((m) => m.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer')) {
      for (const sg of model.used(lb).filter((m) => m.type === 'AWS::EC2::SecurityGroup')) assert.equal(sg.tier, lb.tier, `${env}: ${sg.label}`);
    }
  }
});

// --- The two-web-service fixture: exact content ---------------------------------------------------------

test('with two web services the load balancer security group stays in the public tier', () => {
  const model = graphModel(templatesOf(twoWeb, 'qa'));
  const node = (stack: string, label: string) => model.nodes.find((n) => n.stack === stack && n.label === label)!;
  const lbGroup = node('load-balancer.yaml', 'LoadBalancerSecurityGroup');
  assert.equal(lbGroup.tier, 'public');
  for (const service of ['api', 'site']) {
    assert.equal(node(`service-${service}.yaml`, 'SecurityGroup').tier, 'application');
    // The task group admits the load balancer's: drawn as an arrow, not followed into a tier.
    const edge = model.edges.find((e) => e.from === lbGroup && e.to === node(`service-${service}.yaml`, 'SecurityGroup'));
    assert.equal(edge?.peer, true, service);
  }
});

test('resources are grouped by tier: subnets by their routes, then what uses them', () => {
  const model = graphModel(templatesOf(twoWeb, 'qa'));
  const tier = (stack: string, label: string) => model.nodes.find((n) => n.stack === stack && n.label === label)?.tier;
  const expected: [string, string, string][] = [
    ['network.yaml', 'PublicSubnet{A,B}', 'public'],
    ['network.yaml', 'ApplicationSubnet{A,B}', 'application'],
    ['network.yaml', 'DatabaseSubnet{A,B}', 'database'],
    ['network.yaml', 'NatGatewayA', 'public'],
    ['network.yaml', 'ApplicationDefaultRoute{A,B}', 'application'],
    ['network.yaml', 'DbSubnetGroup', 'database'],
    ['network.yaml', 'Vpc', 'global'],
    ['network.yaml', 'FlowLogGroup', 'global'],
    ['load-balancer.yaml', 'LoadBalancer', 'public'],
    ['load-balancer.yaml', 'HttpListener', 'public'],
    ['cluster.yaml', 'Cluster', 'global'],
    ['service-api.yaml', 'Service', 'application'],
    ['service-api.yaml', 'TaskDefinition', 'global'],
    ['service-cleanup.yaml', 'Schedule', 'application'],
  ];
  for (const [stack, label, want] of expected) assert.equal(tier(stack, label), want, `${stack} ${label}`);
  // Each stack under the one that nests it; top-level templates under none.
  const parents: [string, string | null][] = [];
  const visit = (t: Template, parent: string | null) => {
    parents.push([t.file, parent]);
    t.children.forEach((c) => visit(c, t.file));
  };
  twoWeb.synthesize('qa').forEach((t) => visit(t, null));
  assert.deepEqual(model.stacks.map((s) => [s.file, s.parent ?? null]), parents);
});

test('arrows follow Ref, GetAtt and Sub, and nested-stack wiring across stacks', () => {
  const model = graphModel(templatesOf(twoWeb, 'qa'));
  const has = (fromStack: string, from: string, toStack: string, to: string) =>
    model.edges.some((e) => e.from.stack === fromStack && e.from.label === from && e.to.stack === toStack && e.to.label === to);
  assert.ok(has('network.yaml', 'Vpc', 'network.yaml', 'PublicSubnet{A,B}'), 'Ref within a stack');
  assert.ok(has('network.yaml', 'NatEipA', 'network.yaml', 'NatGatewayA'), 'GetAtt within a stack');
  assert.ok(has('service-api.yaml', 'Service', 'service-api.yaml', 'ScalableTarget'), 'Sub within a stack');
  assert.ok(has('network.yaml', 'ApplicationSubnet{A,B}', 'service-api.yaml', 'Service'), 'a subnet list wired through the root');
  assert.ok(has('network.yaml', 'Vpc', 'load-balancer.yaml', 'LoadBalancerSecurityGroup'), 'the VPC ID wired through the root');
  assert.ok(!model.edges.some((e) => e.from === e.to), 'no self-loops');
});

/** A box's facts by title, for exact comparisons (fails listing the titles there are). */
function boxOf(overview: Overview, title: string) {
  const b = overview.boxes.find((x) => x.title === title);
  assert.ok(b, `a box ${title}; boxes: ${overview.boxes.map((x) => x.title).join(', ')}`);
  return { kind: b.kind, place: b.place, subtitle: b.subtitle, lines: b.lines, also: b.also };
}
/** The arrows as sorted one-line strings: `from -kind-> to (label)`. */
const arrows = (overview: Overview) => overview.edges.map((e) => `${e.from.title} -${e.kind}-> ${e.to.title}${e.label ? ` (${e.label})` : ''}`).sort();

test('the overview of two web services, a queue worker and a scheduled task', () => {
  const overview = overviewModel(templatesOf(twoWeb, 'qa'));
  const box = (title: string) => {
    const { kind: _kind, ...rest } = boxOf(overview, title);
    return rest;
  };
  assert.deepEqual(box('api'), {
    place: 'application',
    subtitle: 'web service',
    lines: ['Fargate 50 %, Fargate Spot 50 %, 1 vCPU, 2 GiB', '2-8 tasks: CPU at 50 %', 'deploy: rolling 100-200 %, rolls back on failure or 2 alarms'],
    // Each service's alarms count on its box: one count per service, however many it has; the load
    // balancer's egress rule to its tasks lives in the service's stack.
    also: ['6 alarms', '2 IAM roles', '1 KMS key', '1 log group', '1 security group rule'],
  });
  assert.deepEqual(box('site').lines, ['Fargate, 0.25 vCPU, 512 MiB', '1-3 tasks: CPU at 70 %', 'deploy: rolling 100-200 %, rolls back on failure or 2 alarms']);
  assert.deepEqual(box('mailer'), {
    place: 'application',
    subtitle: 'queue worker',
    lines: ['Fargate, 0.25 vCPU, 512 MiB', '0-2 tasks: 50 visible messages per running task, and step scaling', 'deploy: rolling 100-200 %, rolls back on failure or 1 alarm'],
    also: ['4 alarms', '2 IAM roles', '1 KMS key', '1 log group'],
  });
  // The rule that reports a run stopping with an error counts on the task.
  assert.deepEqual(box('cleanup'), { place: 'application', subtitle: 'scheduled task', lines: ['Fargate, 0.25 vCPU, 512 MiB', '1 task per run'], also: ['2 IAM roles', '1 KMS key', '1 log group', '1 rule'] });
  // The queue's URL, ARN and key ARN in the estate registry (for senders) count on the queue, and its dead letters' alarm.
  assert.deepEqual(box('mailer queue'), { place: 'region', subtitle: 'SQS queue, encrypted', lines: ['keeps messages 4 days', 'dead letters after 3 receives, kept 14 days'], also: ['3 SSM parameters', '1 alarm', '1 KMS key'] });
  // The schedule's dead-letter queue is a line of the schedule's box, not a box of its own.
  assert.deepEqual(box('cleanup schedule'), { place: 'region', subtitle: 'EventBridge Scheduler', lines: ['rate(6 hours) UTC', 'runs it cannot start to a dead-letter queue'], also: ['1 alarm', '1 KMS key'] });
  // The alarm topic: every alarm of the estate, and the stopped-task rule, notify it by its name.
  assert.deepEqual(box('operations AlarmTopic'), { place: 'region', subtitle: 'SNS topic', lines: ['notified by 18 alarms and 1 event rule', 'no subscription'], also: ['1 KMS key', '1 SSM parameter'] });
  assert.deepEqual(box('dashboard.yaml'), { place: 'region', subtitle: 'nested in root.yaml', lines: [], also: ['1 dashboard'] });
  // The firewall: a web ACL, its association and logging, the log group and its key.
  assert.deepEqual(box('load balancer'), { place: 'public', subtitle: 'Application Load Balancer, internet-facing', lines: ['HTTP :80, no rule matches: 404'], also: ['3 SSM parameters', '1 alarm', '1 KMS key', '1 log group', '1 logging configuration', '1 web ACL', '1 web ACL association'] });
  assert.deepEqual(box('NAT gateway'), { place: 'public', subtitle: 'one for 2 Availability Zones', lines: [], also: [] });
  assert.deepEqual(box('ECS cluster'), { place: 'application', subtitle: 'capacity for the services', lines: ['Fargate, Fargate Spot', 'Container Insights enabled'], also: ['2 SSM parameters'] });
  // Seven interface endpoints (Fargate only, a queue) and the S3 gateway; the two security groups of
  // the endpoints and the application tier with their registry entries; the VPC defaults function.
  assert.deepEqual(box('VPC 10.30.0.0/16'), {
    place: 'outside',
    subtitle: '2 Availability Zones',
    lines: [],
    also: ['8 VPC endpoints', '3 SSM parameters', '2 IAM roles', '2 KMS keys', '2 log groups', '2 security groups', '1 closed default security group', '1 flow log', '1 function', '1 S3 prefix list'],
  });
  assert.deepEqual(box('DB subnet group'), { place: 'database', subtitle: '2 subnets', lines: ['no database yet'], also: [] });
  assert.deepEqual(arrows(overview), [
    'cleanup schedule -start-> cleanup (starts)',
    'internet -traffic-> load balancer',
    'load balancer -traffic-> api (/api/*)',
    'load balancer -traffic-> site (/*)',
    'mailer queue -message-> mailer (consumes)',
  ]);
  assert.deepEqual(overview.tiers, {
    public: 'public subnets x2: route to the internet gateway',
    application: 'application subnets x2: out through NAT, no inbound',
    database: 'database subnets x2: no route out',
  });
});

test('what other stacks add appears without code changes: senders, databases, alarms to a topic, deployments', async () => {
  const dir = join(ROOT, 'test/fixtures/overview-additions');
  const templates = ['root.yaml', 'network.yaml', 'data.yaml', 'app.yaml'].map((file) => ({ file, template: parseTemplate(readFileSync(join(dir, file), 'utf8'), file) }));
  const overview = overviewModel(templates);
  const box = (title: string) => boxOf(overview, title);
  assert.deepEqual(box('app Api'), {
    kind: 'workload',
    place: 'application',
    subtitle: 'service',
    lines: ['Fargate, 2 vCPU, 4 GiB', '2 tasks', 'deploy: blue/green, bake 10 min, rolls back on 2 alarms'],
    also: ['1 alarm', '1 IAM role', '1 web ACL'],
  });
  assert.deepEqual(box('app Worker'), {
    kind: 'workload',
    place: 'application',
    subtitle: 'queue worker',
    lines: ['Fargate, 0.25 vCPU, 512 MiB', '1 task', 'deploy: linear, 25 % every 5 min'],
    also: ['1 IAM policy', '1 IAM role'],
  });
  // Canary and Legacy run the worker's task definition: each its own box, each consuming the queue.
  assert.deepEqual(box('app Canary').lines, ['Fargate, 0.25 vCPU, 512 MiB', 'deploy: canary, 10 % for 15 min, rolls back on failure']);
  assert.deepEqual(box('app Legacy').lines, ['EC2, 0.25 vCPU, 512 MiB', 'placement: binpack on memory, then one task per instance', 'deploy: blue/green by CodeDeploy']);
  assert.deepEqual(box('Database'), { kind: 'data', place: 'database', subtitle: 'DB instance, postgres', lines: ['db.t4g.micro'], also: ['1 alarm'] });
  assert.deepEqual(box('DB subnet group'), { kind: 'subnetGroup', place: 'database', subtitle: '1 subnet', lines: ['used by 1 database'], also: [] });
  assert.deepEqual(box('data Alerts'), { kind: 'topic', place: 'region', subtitle: 'SNS topic', lines: ['notified by 2 alarms', 'no subscription'], also: [] });
  assert.deepEqual(box('app Jobs'), { kind: 'queue', place: 'region', subtitle: 'SQS queue, encrypted', lines: ['keeps messages 1 day'], also: [] });
  assert.deepEqual(box('VPC 10.40.0.0/16').also, ['1 VPC endpoint']);
  assert.deepEqual(arrows(overview), [
    'Database -use-> data Alerts (1 alarm)',
    'app Api -message-> app Jobs (sends)',
    'app Api -use-> Database',
    'app Api -use-> data Alerts (1 alarm)',
    'app Jobs -message-> app Canary (consumes)',
    'app Jobs -message-> app Legacy (consumes)',
    'app Jobs -message-> app Worker (consumes)',
  ]);
  assert.ok(!overview.boxes.some((b) => b.kind === 'internet'), 'no internet without an internet-facing load balancer');
  const { svg, warnings } = await drawGraph('additions', templates);
  assert.deepEqual(warnings, []);
  assertReadable('additions', svg);
});

test('graph --estate draws a fixture estate into its own folder', () => {
  const out = join(scratch, 'two-web');
  const r = berth(ROOT, 'graph', '--estate', TWO_WEB, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `wrote ${join(out, 'qa/architecture.svg')} (10 templates)\n`);
  const svg = readFileSync(join(out, 'qa/architecture.svg'), 'utf8');
  for (const title of ['api', 'site', 'mailer', 'cleanup', 'mailer queue', 'load balancer']) assert.match(svg, new RegExp(`font-weight="bold"[^>]*>${title.replace('/', '\\/')}</text>`));
  assert.ok(!existsSync(join(out, 'qa/architecture-detailed.svg')), 'the detailed view only on request');
});

test('resource types are named as people say them, with plurals', () => {
  assert.equal(typeName('AWS::IAM::Role'), 'IAM role');
  assert.equal(typeName('AWS::ServiceCatalog::CloudFormationProduct'), 'CloudFormation product');
  assert.equal(typeName('AWS::EC2::VPCEndpointService'), 'VPC endpoint service');
  assert.equal(typeName('AWS::RDS::DBInstance'), 'DB instance');
  assert.equal(typeName('AWS::EC2::TransitGatewayAttachment'), 'transit gateway attachment');
  assert.deepEqual([counted(1, 'day'), counted(2, 'IAM policy'), counted(3, 'KMS alias'), counted(2, 'DNS record')], ['1 day', '2 IAM policies', '3 KMS aliases', '2 DNS records']);
});

test('wrap keeps a number with its unit and never splits a word', () => {
  assert.deepEqual(wrap('EC2 capacity provider, 0.5 vCPU, 1 GiB', 24), ['EC2 capacity provider,', '0.5 vCPU, 1 GiB']);
  assert.deepEqual(wrap('managed scaling to 90 % use', 18), ['managed scaling to', '90 % use']);
  assert.deepEqual(wrap('arn:aws:ecs:eu-west-1:123456789012:cluster/long', 10), ['arn:aws:ecs:eu-west-1:123456789012:cluster/long']);
});

test('every command docs/diagram.md shows works as written', () => {
  const doc = readFileSync(join(ROOT, 'docs/diagram.md'), 'utf8');
  const block = doc.match(/## Commands\n\n```sh\n([\s\S]*?)```/)![1]!;
  const commands = block.trim().split('\n').map((l) => l.replace(/\s+#.*$/, '').trim());
  assert.ok(commands.length >= 5);
  const dir = sandbox();
  for (const command of commands) {
    const [program, ...args] = command.split(/\s+/);
    if (program === 'make') {
      // What make runs: the recipe, printed without running it (-n).
      const r = run(ROOT, ['make', '-n', '-s', ...args]);
      assert.equal(r.status, 0, `${command}: ${r.stderr}`);
      const vars = Object.fromEntries(args.filter((a) => a.includes('=')).map((a) => a.split(/=(.*)/).slice(0, 2)));
      const expected = ['graph', ...(vars.ENV ? ['--env', vars.ENV] : []), '--out', vars.OUT_DIR ?? 'output', ...(vars.ARGS ? [vars.ARGS] : [])].join(' ');
      assert.ok(r.stdout.split('\n').map((l) => l.trim().split(/\s+/).join(' ')).includes(`env -u NODE_EXTRA_CA_CERTS node dist/berth.cjs ${expected}`), `${command} runs berth ${expected}:\n${r.stdout}`);
    } else {
      // `node dist/berth.cjs` is the compiled CLI; the sources behave the same (README).
      assert.deepEqual([program, args[0]], ['node', 'dist/berth.cjs'], command);
      const r = berth(dir, ...args.slice(1));
      assert.equal(r.status, 0, `${command}: ${r.stderr}`);
      assert.match(r.stdout, args.includes('--check') ? / up to date\.\n$/ : /^wrote diagrams\/dev\/architecture-detailed\.svg \(\d+ templates\)\n$/, command);
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

// --- The detailed view ------------------------------------------------------------------------------------

test('the detailed view is well-formed XML with a box per stack, each nested in the root', () => {
  const out = join(scratch, 'svg');
  const r = berth(ROOT, 'graph', '--env', ENV, '--detailed', '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `wrote ${join(out, ENV, 'architecture-detailed.svg')} (${emitEnvironment(estate, ENV).length} templates)\n`);
  const file = join(out, ENV, 'architecture-detailed.svg');
  // Python's XML parser: a strict, independent check of well-formedness.
  const py = run(ROOT, [
    join(ROOT, '.venv/bin/python'),
    '-c',
    [
      'import sys, xml.etree.ElementTree as ET',
      "ns = {'s': 'http://www.w3.org/2000/svg'}",
      'root = ET.parse(sys.argv[1]).getroot()',
      'print(root.tag)',
      "for g in root.iterfind('.//s:g[@class=\"cluster\"]', ns): print(g.find('s:title', ns).text)",
    ].join('\n'),
    file,
  ]);
  assert.equal(py.status, 0, py.stderr);
  const [tag, ...clusters] = py.stdout.trim().split('\n');
  assert.equal(tag, '{http://www.w3.org/2000/svg}svg');
  const stacks = clusters.filter((c) => c.endsWith('.yaml'));
  // foundation.yaml's only resources are the nested stacks the root also nests (and the diagram
  // draws under the root): Graphviz draws no empty box for it.
  assert.deepEqual(stacks.sort(), emitEnvironment(estate, ENV).filter((f) => f.file !== 'foundation.yaml').map((f) => `cluster_${f.file}`).sort());
  assert.ok(clusters.includes('cluster_network.yaml_public') && clusters.includes('cluster_network.yaml_database'));
  assert.match(readFileSync(file, 'utf8'), /^<\?xml [^>]+>\n<!-- Generated by berth graph from the emitted templates\. Do not edit: run `berth graph` with the detailed option\. -->\n/);
  assert.match(readFileSync(join(ROOT, 'output', ENV, 'architecture.svg'), 'utf8'), /^<\?xml [^>]+>\n<!-- Generated by berth graph from the emitted templates\. Do not edit: run `make graph`\. -->\n/);
});

test('AZ repeats collapse into one box; other names stay', () => {
  const groups = collapseRepeats([
    ['PublicSubnetA', 'AWS::EC2::Subnet'],
    ['PublicSubnetB', 'AWS::EC2::Subnet'],
    ['PublicSubnetARouteTableAssociation', 'AWS::EC2::SubnetRouteTableAssociation'],
    ['PublicSubnetBRouteTableAssociation', 'AWS::EC2::SubnetRouteTableAssociation'],
    ['NatGatewayA', 'AWS::EC2::NatGateway'],
    ['ALB', 'AWS::ElasticLoadBalancingV2::LoadBalancer'],
  ]);
  assert.equal(groups.get('PublicSubnetB')!.label, 'PublicSubnet{A,B}');
  assert.equal(groups.get('PublicSubnetARouteTableAssociation')!.label, 'PublicSubnet{A,B}RouteTableAssociation');
  assert.equal(groups.get('NatGatewayA')!.label, 'NatGatewayA');
  assert.equal(groups.get('ALB')!.label, 'ALB');
});

test('build never loads the Graphviz WebAssembly; graph does', () => {
  const log = join(scratch, 'resolved.log');
  const hooks = join(scratch, 'hooks.mjs');
  const register = join(scratch, 'register.mjs');
  writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function resolve(specifier, context, next) {\n  appendFileSync(${JSON.stringify(log)}, specifier + '\\n');\n  return next(specifier, context);\n}\n`);
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
  const cli = (...args: string[]) => run(ROOT, [process.execPath, '--import', 'tsx', '--import', register, join(ROOT, 'src/cli/main.ts'), ...args]);
  writeFileSync(log, '');
  assert.equal(cli('build', '--quiet', '--env', ENV, '--out', join(scratch, 'lazy')).status, 0);
  const built = readFileSync(log, 'utf8');
  assert.match(built, /\/output\.ts$/m, 'the hook sees the modules build loads');
  assert.doesNotMatch(built, /@viz-js\/viz/);
  writeFileSync(log, '');
  assert.equal(cli('graph', '--env', ENV, '--out', join(scratch, 'lazy')).status, 0);
  assert.match(readFileSync(log, 'utf8'), /@viz-js\/viz/);
});
