/**
 * An estate deployed in layers: the foundation (`foundation.yaml`: the alarm topic's operations
 * stack first, then network, load balancer and cluster, whose AlarmTopicArn reads the operations
 * stack's output) as one stack, then each of the root's service templates as a stack of its own,
 * wired with the foundation's outputs, then the overview (`overview.yaml`: the dashboard, which
 * draws the services, and the deploy guard over their deployment alarms), wired with the service
 * stacks' outputs. `scripts/deploy.sh <env>` deploys so when root.yaml cannot be deployed in one
 * operation, and with `--layers` on request; docs/many-accounts.md#layers says it for users.
 *
 * CloudFormation creates, updates or deletes at most 2,500 resources in one operation of a stack
 * and all its nested stacks (src/dsl/limits.ts cites the quotas page), so an estate whose tree
 * passes that (berth then groups its services in `services-NN.yaml`, templates/stacks/service-group.ts)
 * can never be created as one root stack. Each layer is within one operation: the foundation, and
 * each group (the build checks both).
 *
 *   node --import tsx scripts/deploy-layers.ts plan <env> [--layers]
 *       prints `root` when root.yaml deploys in one operation (and --layers is not given), else
 *       the layers in deploy order, one template name per line (the foundation first, the overview last)
 *   node --import tsx scripts/deploy-layers.ts wiring <env> --template <layer> --stack-name <foundation stack> [--region R]
 *       prints the layer's wiring, `KEY=VALUE` per line: a service layer's from the foundation
 *       stack's outputs (the parameters of the layer's template among them), the overview's from
 *       the service layers' stacks (berth-<env>-<layer>), as its `berth:layer-wiring` Metadata says
 *   node --import tsx scripts/deploy-layers.ts guard <env> --stack-name <root stack> [--region R]
 *       fails when the estate's root stack exists: a layered deploy beside it would collide
 * The Region defaults to the environment's settings.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BerthError } from '../src/dsl/errors.ts';
import { runScript } from './run-script.ts';
import { LIMITS } from '../src/dsl/limits.ts';
import { parseTemplate } from '../src/emit/parse.ts';
import { loadSettings } from '../templates/settings/settings.ts';
import { awsCli, makeAws, type Aws } from './deploy-aws.ts';
import { readParameters } from './deploy-parameters.ts';

const ROOT = join(import.meta.dirname, '..');

type Doc = {
  Metadata?: Record<string, unknown>;
  Resources?: Record<string, { Type: string; DependsOn?: string | string[]; Properties?: { TemplateURL?: unknown } }>;
};

/** The foundation's outputs a layer's parameters take (the wires root.yaml passes its nested service templates). */
export const WIRING = ['VpcId', 'ApplicationSubnetIds', 'LoadBalancerSecurityGroupId'] as const;

/** The first and the last layer: the root's other nested templates are the layers between. */
export const FIRST = 'foundation';
export const LAST = 'overview';

/** overview.yaml's Metadata (templates/stacks/overview.ts): each parameter's layer and output. */
const LAYER_WIRING = 'berth:layer-wiring';

function read(dir: string, file: string): Doc {
  return parseTemplate(readFileSync(join(dir, file), 'utf8'), file) as Doc;
}

function nested(doc: Doc): { id: string; file: string; dependsOn: string[] }[] {
  return Object.entries(doc.Resources ?? {})
    .filter(([, r]) => r.Type === 'AWS::CloudFormation::Stack' && typeof r.Properties?.TemplateURL === 'string')
    .map(([id, r]) => ({ id, file: String(r.Properties!.TemplateURL), dependsOn: r.DependsOn === undefined ? [] : ([] as string[]).concat(r.DependsOn) }));
}

/** Resources one operation on `file` creates: its own and, recursively, its nested templates'. */
export function treeResources(dir: string, file: string): number {
  const doc = read(dir, file);
  return Object.keys(doc.Resources ?? {}).length + nested(doc).reduce((n, c) => n + treeResources(dir, c.file), 0);
}

/**
 * How `output/<env>/` (in `dir`) deploys: `['root']` when the root's tree fits one operation
 * (unless `forced`), else the foundation, then the root's other nested templates in the root's
 * order, which puts a template after those it depends on (a sender after its receiver's queue).
 */
export function layers(dir: string, forced = false): string[] {
  if (!forced && treeResources(dir, 'root.yaml') <= LIMITS.resourcesPerOperation) return ['root'];
  // The root's nested templates that foundation.yaml or overview.yaml nests are in those layers.
  const outer = new Set([FIRST, LAST].flatMap((l) => nested(read(dir, `${l}.yaml`)).map((c) => c.file)));
  const children = nested(read(dir, 'root.yaml')).filter((c) => !outer.has(c.file));
  const byId = new Map(children.map((c) => [c.id, c]));
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (c: (typeof children)[number]) => {
    if (done.has(c.id)) return;
    done.add(c.id);
    for (const d of c.dependsOn) if (byId.has(d)) visit(byId.get(d)!);
    out.push(c.file.replace(/\.yaml$/, ''));
  };
  children.forEach(visit);
  return [FIRST, ...out, LAST];
}

/** `KEY=VALUE` lines for the overview: each parameter its Metadata names, from its layer's stack (`<prefix>-<layer>`). */
export async function overviewWiring(aws: Aws, dir: string, prefix: string): Promise<string[]> {
  const wires = (read(dir, `${LAST}.yaml`).Metadata?.[LAYER_WIRING] ?? {}) as Record<string, { layer: string; output: string }>;
  const stacks = [...new Set(Object.values(wires).map((w) => `${prefix}-${w.layer}`))];
  const outputs = new Map(
    await Promise.all(
      stacks.map(async (stack) => {
        const r = await aws('cloudformation', 'describe-stacks', '--stack-name', stack);
        if (!r.ok) throw new BerthError(`stack ${stack}`, `cannot be read (${r.message}). The overview comes last: deploy the layers before it (\`scripts/deploy.sh <env> --layers\` deploys them in order).`);
        const list = (r.json?.Stacks?.[0]?.Outputs ?? []) as { OutputKey: string; OutputValue: string }[];
        return [stack, new Map(list.map((o) => [o.OutputKey, o.OutputValue]))] as const;
      }),
    ),
  );
  return Object.entries(wires).map(([key, w]) => {
    const value = outputs.get(`${prefix}-${w.layer}`)!.get(w.output);
    if (value === undefined) {
      throw new BerthError(`stack ${prefix}-${w.layer}`, `has no output \`${w.output}\`: it was deployed from an older ${w.layer}.yaml. Deploy it again (\`scripts/deploy.sh <env> --template ${w.layer}\`), then the overview.`);
    }
    return `${key}=${value}`;
  });
}

/** `KEY=VALUE` lines for each layer after the foundation, from the foundation stack's outputs. */
export async function wiring(aws: Aws, stackName: string, declared: readonly string[] = WIRING): Promise<string[]> {
  const r = await aws('cloudformation', 'describe-stacks', '--stack-name', stackName);
  if (!r.ok) throw new BerthError(`stack ${stackName}`, `cannot be read (${r.message}). Deploy the foundation first: \`scripts/deploy.sh <env> --template foundation\`.`);
  const outputs = new Map<string, string>(((r.json?.Stacks?.[0]?.Outputs ?? []) as { OutputKey: string; OutputValue: string }[]).map((o) => [o.OutputKey, o.OutputValue]));
  const missing = WIRING.filter((k) => !outputs.has(k));
  if (missing.length) {
    throw new BerthError(`stack ${stackName}`, `has no output ${missing.map((m) => `\`${m}\``).join(', ')}: it was deployed from an older foundation.yaml. Deploy the foundation again (\`scripts/deploy.sh <env> --template foundation\`), then the layers.`);
  }
  return WIRING.filter((k) => declared.includes(k)).map((k) => `${k}=${outputs.get(k)}`);
}

/** Refuses a layered deploy beside the estate's root stack, whose resources it would duplicate. */
export async function guard(aws: Aws, stackName: string, env: string): Promise<void> {
  const r = await aws('cloudformation', 'describe-stacks', '--stack-name', stackName);
  const status = String(r.json?.Stacks?.[0]?.StackStatus ?? '');
  if (!r.ok || status === 'DELETE_COMPLETE') return;
  throw new BerthError(
    `stack ${stackName}`,
    `holds the whole estate (${status}), and output/${env}/ now deploys in layers (the foundation, then each service template as its own stack), whose resources would collide with it. ` +
      'Move the estate once as docs/many-accounts.md#moving-to-layers describes, or deploy one template with `--template`.',
  );
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { layers: { type: 'boolean', default: false }, 'stack-name': { type: 'string' }, region: { type: 'string' }, template: { type: 'string' } },
    allowPositionals: true,
  });
  const [command, env] = positionals;
  if (!env || !['plan', 'wiring', 'guard'].includes(command ?? '')) throw new BerthError('scripts/deploy-layers.ts', 'needs `plan|wiring|guard <env>`. Run it through `scripts/deploy.sh <env>`.');
  const dir = join(ROOT, 'output', env);
  if (command === 'plan') {
    console.log(layers(dir, values.layers).join('\n'));
    return 0;
  }
  if (!values['stack-name'] || (command === 'wiring' && !values.template)) throw new BerthError('scripts/deploy-layers.ts', `${command} needs --stack-name${command === 'wiring' ? ' and --template' : ''}.`);
  const region = values.region ?? loadSettings(`templates/environments/${env}.json`).region;
  const aws = makeAws(awsCli(ROOT), region, 1);
  try {
    if (command === 'wiring' && values.template === LAST) console.log((await overviewWiring(aws, dir, `berth-${env}`)).join('\n'));
    else if (command === 'wiring') console.log((await wiring(aws, values['stack-name'], Object.keys(readParameters(join(dir, `${values.template}.yaml`))))).join('\n'));
    else await guard(aws, values['stack-name'], env);
  } finally {
    aws.close();
  }
  return 0;
}

runScript(import.meta, main);
