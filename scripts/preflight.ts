/**
 * The deploy preflight: everything scripts/deploy.sh checks before any stack is created or
 * changed, one line per problem with how to fix it.
 *
 *   node --import tsx scripts/preflight.ts <env> --template T --stack-name S --out DIR
 *        [--region R] [--bucket B] [--prefix P] [--mode deploy|preview|delete] [--param K=V ...]
 *        [--no-build-check]   (a template berth does not build, such as the preflight tests' fixture)
 *
 * 1. Offline, before credentials are needed: the Region and where it came from, the parameters
 *    (names, values against the template's constraints, control characters), and example values
 *    the templates would deploy (a domain under example.com, a zone ID containing EXAMPLE, an
 *    image in account 123456789012). Problems: exit 2 for flags and parameters, 1 otherwise.
 * 2. `aws sts get-caller-identity`, with what actually failed when it fails; beside it and the
 *    account checks, `berth build --check`: stale output is refused.
 * 3. The account, all calls at once: the stack's state (one that blocks a deploy is refused with
 *    the fix), the service-linked roles the templates need (created when missing), hosted zones,
 *    given certificates, ECR images, the SSM parameters and secrets the task definitions
 *    reference, and the ECS `awsvpcTrunking` setting (reported). Problems: exit 1.
 *
 * On success it writes DIR/preflight.env (ACCOUNT, PARTITION, REGION, STATUS, BUCKET),
 * DIR/parameters.json (the change set's Parameters) and DIR/overrides.json (the same as a JSON
 * list of KEY=VALUE for `aws cloudformation deploy --parameter-overrides file://...`: no
 * line-based parsing anywhere).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BerthError } from '../src/dsl/errors.ts';
import { awsCli, blockingState, explainSts, makeAws, type Aws, type AwsResult } from './deploy-aws.ts';
import { resolve, type Resolved } from './deploy-parameters.ts';
import { exampleValues, needs, SERVICE_LINKED_ROLES, where, type Found, type LinkedService, type Needs } from './preflight-needs.ts';
import { chooseRegion, knownRegions, type RegionChoice } from './preflight-region.ts';
import { loadTree, partitionOf, type Pseudo, type StackTemplate } from './preflight-templates.ts';

const ROOT = join(import.meta.dirname, '..');

export interface Options {
  readonly env: string;
  readonly template: string;
  readonly stackName: string;
  readonly out: string;
  readonly region?: string;
  readonly bucket?: string;
  readonly prefix: string;
  readonly mode: 'deploy' | 'preview' | 'delete';
  readonly params: readonly string[];
  /** Skip `berth build --check` (deploy.sh never does). @default false */
  readonly noBuildCheck?: boolean;
  /** The template is rolled out as a stack set from this (the publishing) account. @default false */
  readonly stackSet?: boolean;
}

/** What the checks print: passes and notes on stdout, problems on stderr. */
export interface Report {
  pass(line: string): void;
  note(line: string): void;
  problem(line: string): void;
}

export function parseArgs(argv: readonly string[]): Options {
  const o: Record<string, string | undefined> = {};
  const params: string[] = [];
  let env: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--param') params.push(argv[++i] ?? '');
    else if (a === '--no-build-check') o['no-build-check'] = 'yes';
    else if (a === '--stack-set') o['stack-set'] = 'yes';
    else if (a.startsWith('--')) o[a.slice(2)] = argv[++i];
    else env = a;
  }
  if (!env || !o.template || !o['stack-name'] || !o.out) throw new BerthError('scripts/preflight.ts', 'usage: preflight.ts <env> --template T --stack-name S --out DIR [--region R] [--bucket B] [--prefix P] [--mode deploy|preview|delete] [--stack-set] [--param K=V ...]');
  const mode = (o.mode ?? 'deploy') as Options['mode'];
  return { env, template: o.template, stackName: o['stack-name'], out: o.out, region: o.region, bucket: o.bucket || undefined, prefix: o.prefix ?? 'berth', mode, params, noBuildCheck: o['no-build-check'] === 'yes', stackSet: o['stack-set'] === 'yes' };
}

/** The environment's own Region, from its settings file (`region`). */
function settingsRegion(env: string): RegionChoice | undefined {
  const file = `templates/environments/${env}.json`;
  try {
    const region = (JSON.parse(readFileSync(join(ROOT, file), 'utf8')) as { region?: unknown }).region;
    return typeof region === 'string' && region ? { region, source: `${file} \`region\`` } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The templates a deploy puts into the account, with their values. Publishing the portfolio
 * deploys no product, but it is what users will provision: its products (the foundation and the
 * services, with their defaults) are checked as if deployed, so `make publish` refuses what a
 * provisioning would fail on.
 */
function deployed(o: Options, file: string, values: ReadonlyMap<string, string | undefined>, pseudo: Pseudo): StackTemplate[] {
  const own = loadTree(join(ROOT, file), file, values, pseudo);
  if (o.template !== 'service-catalog') return own;
  const products = readdirSync(join(ROOT, 'output', o.env)).filter((f) => f === 'foundation.yaml' || (f.startsWith('service-') && f.endsWith('.yaml') && f !== 'service-catalog.yaml'));
  return [...own, ...products.sort().flatMap((f) => loadTree(join(ROOT, 'output', o.env, f), join('output', o.env, f), new Map(), { ...pseudo, stackName: undefined }))];
}

// ---------------------------------------------------------------------------------------------
// account checks

/** The service-linked roles the templates need: present, or created now. */
async function serviceLinkedRoles(aws: Aws, services: readonly LinkedService[], report: Report): Promise<void> {
  if (!services.length) return;
  const listed = await aws('iam', 'list-roles', '--path-prefix', '/aws-service-role/', '--query', 'Roles[].RoleName');
  const existing = new Set<string>(listed.ok ? ((listed.json as string[] | null) ?? []) : []);
  await Promise.all(
    services.map(async (service) => {
      const name = SERVICE_LINKED_ROLES[service];
      if (existing.has(name)) return report.pass(`service-linked role ${name} exists`);
      // CloudFormation does not wait for a role that a service creates on first use: in a new
      // account the first cluster, load balancer or scalable target can fail with "Unable to
      // assume the service linked role", so the preflight creates them before any stack does.
      // Creating one that exists (another deploy racing this one) fails harmlessly.
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html
      // https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateServiceLinkedRole.html
      const r = await aws('iam', 'create-service-linked-role', '--aws-service-name', service);
      if (r.ok) return report.pass(`service-linked role ${name} created (the estate needs it; AWS keeps one per account)`);
      if (r.code === 'EntityAlreadyExists' || /has been taken/.test(r.message)) return report.pass(`service-linked role ${name} exists`);
      report.problem(
        `cannot create service-linked role ${name} (${r.code ?? 'error'}: ${r.message}). Create it with an administrator: \`aws iam create-service-linked-role --aws-service-name ${service}\`, then deploy again.`,
      );
    }),
  );
}

/** Each hosted zone exists and holds the names the templates put in it. */
async function hostedZones(aws: Aws, zones: Needs['zones'], report: Report): Promise<void> {
  await Promise.all(
    [...zones].map(async ([id, z]) => {
      const r = await aws('route53', 'get-hosted-zone', '--id', id);
      if (!r.ok) {
        if (r.code === 'NoSuchHostedZone' || r.code === 'InvalidInput') {
          return report.problem(`${where(z.where)}: hosted zone \`${id}\` does not exist in this account. Set the ID of your domain's zone (\`aws route53 list-hosted-zones\`) in the environment file and run \`make build\`.`);
        }
        return report.problem(`${where(z.where)}: cannot read hosted zone \`${id}\` (${r.code ?? 'error'}: ${r.message}). Allow route53:GetHostedZone, then deploy again.`);
      }
      const zoneName = String(r.json.HostedZone.Name).replace(/\.$/, '').toLowerCase();
      const outside = [...z.names].filter((n) => n !== zoneName && !n.endsWith(`.${zoneName}`));
      if (outside.length) {
        return report.problem(`${where(z.where)}: hosted zone \`${id}\` is ${zoneName}, which does not hold ${outside.map((n) => `\`${n}\``).join(', ')}. Use the zone of that domain, or a domain in ${zoneName}, in the environment file and run \`make build\`.`);
      }
      report.pass(`hosted zone ${id} (${zoneName}) holds ${[...z.names].join(', ') || 'the records'}`);
    }),
  );
}

/** `name` is one of the certificate's names, a wildcard covering one label included. */
export function covers(certNames: readonly string[], name: string): boolean {
  return certNames.some((c) => {
    const n = c.toLowerCase();
    if (n === name) return true;
    return n.startsWith('*.') && name.endsWith(n.slice(1)) && !name.slice(0, -n.length + 1).includes('.');
  });
}

async function certificates(aws: Aws, certs: readonly Found[], hostNames: readonly string[], report: Report): Promise<void> {
  await Promise.all(
    certs.map(async (c) => {
      const region = c.value.split(':')[3];
      const r = await aws('acm', 'describe-certificate', '--certificate-arn', c.value, ...(region ? ['--region', region] : []));
      if (!r.ok) return report.problem(`${where(c.where)}: certificate \`${c.value}\` cannot be read (${r.code ?? 'error'}: ${r.message}). Give the ARN of an issued ACM certificate in this Region.`);
      const cert = r.json.Certificate as { Status: string; DomainName: string; SubjectAlternativeNames?: string[] };
      if (cert.Status !== 'ISSUED') {
        return report.problem(`${where(c.where)}: certificate \`${c.value}\` is ${cert.Status}, not ISSUED. ${cert.Status === 'PENDING_VALIDATION' ? 'Complete its DNS validation' : 'Request or import a valid certificate'}, then deploy again.`);
      }
      const names = [...new Set([cert.DomainName, ...(cert.SubjectAlternativeNames ?? [])])];
      const missing = hostNames.filter((h) => !covers(names, h));
      if (missing.length) return report.problem(`${where(c.where)}: certificate \`${c.value}\` (${names.join(', ')}) does not cover ${missing.join(', ')}. Use a certificate for those names.`);
      report.pass(`certificate ${cert.DomainName} is ISSUED${hostNames.length ? ` and covers ${hostNames.join(', ')}` : ''}`);
    }),
  );
}

/** An ECR image URI: registry account, Region, repository, and a tag or digest. https://docs.aws.amazon.com/AmazonECR/latest/userguide/docker-pull-ecr-image.html */
const ECR_IMAGE = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([^:@]+)(?::([\w][\w.-]{0,127})|@(sha256:[a-f0-9]{64}))?$/;

async function images(aws: Aws, found: readonly Found[], report: Report): Promise<void> {
  const seen = new Map<string, Found>();
  for (const f of found) if (!seen.has(f.value)) seen.set(f.value, f);
  const skipped: string[] = [];
  await Promise.all(
    [...seen.values()].map(async (image) => {
      const m = ECR_IMAGE.exec(image.value);
      if (!m) return void skipped.push(image.value);
      const [, account, region, repository, tag, digest] = m;
      if (!tag && !digest) return report.problem(`${where(image.where)}: image \`${image.value}\` has no tag or digest. Give \`:<tag>\` or \`@sha256:<digest>\`.`);
      const id = tag ? `imageTag=${tag}` : `imageDigest=${digest}`;
      const r = await aws('ecr', 'describe-images', '--registry-id', account!, '--repository-name', repository!, '--image-ids', id, '--region', region!);
      if (r.ok) return report.pass(`image ${image.value} exists`);
      if (r.code === 'RepositoryNotFoundException') return report.problem(`${where(image.where)}: image \`${image.value}\`: ECR repository ${repository} does not exist in account ${account} (${region}). Push the image, or give another one.`);
      if (r.code === 'ImageNotFoundException') return report.problem(`${where(image.where)}: image \`${image.value}\` is not in ECR repository ${repository}. Push it (\`docker push ${image.value}\`), or give a tag that exists.`);
      report.problem(`${where(image.where)}: cannot check image \`${image.value}\` (${r.code ?? 'error'}: ${r.message}). Allow ecr:DescribeImages on the repository, then deploy again.`);
    }),
  );
  // Public registries answer anonymous pulls; berth does not call them.
  if (skipped.length) report.note(`not checked (not in ECR): ${skipped.sort().join(', ')}`);
}

/** An SSM parameter's name from its ARN, or the name itself. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-ssm-paramstore.html */
function ssmName(valueFrom: string): { name: string; region?: string } {
  const m = /^arn:[^:]+:ssm:([^:]*):[^:]*:parameter\/(.+)$/.exec(valueFrom);
  if (!m) return { name: valueFrom };
  return { name: m[2]!.includes('/') ? `/${m[2]}` : m[2]!, region: m[1] || undefined };
}

async function secrets(aws: Aws, found: readonly Found[], region: string, report: Report): Promise<void> {
  const parameters = new Map<string, Map<string, Found>>();
  const secretIds = new Map<string, { found: Found; region: string }>();
  for (const f of found) {
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html: arn:...:secret:<name>[:json-key:version-stage:version-id]
    const sm = /^(arn:[^:]+:secretsmanager:([^:]+):[^:]+:secret:[^:]+)/.exec(f.value);
    if (sm) {
      secretIds.set(sm[1]!, { found: f, region: sm[2]! });
      continue;
    }
    const { name, region: r = region } = ssmName(f.value);
    const byRegion = parameters.get(r) ?? new Map<string, Found>();
    parameters.set(r, byRegion);
    byRegion.set(name, f);
  }
  const calls: Promise<void>[] = [];
  for (const [r, names] of parameters) {
    const list = [...names.keys()];
    for (let i = 0; i < list.length; i += 10) {
      const batch = list.slice(i, i + 10);
      calls.push(
        aws('ssm', 'get-parameters', '--names', ...batch, '--region', r).then((res: AwsResult) => {
          if (!res.ok) return report.problem(`cannot check SSM parameters ${batch.join(', ')} (${res.code ?? 'error'}: ${res.message}). Allow ssm:GetParameters on them, then deploy again.`);
          const invalid = new Set<string>(res.json.InvalidParameters ?? []);
          for (const name of batch) {
            const f = names.get(name)!;
            if (invalid.has(name)) report.problem(`${where(f.where)}: SSM parameter \`${name}\` does not exist in ${r}. Create it (\`aws ssm put-parameter --name ${name} --type SecureString --value ... --region ${r}\`), then deploy again.`);
            else report.pass(`SSM parameter ${name} exists`);
          }
        }),
      );
    }
  }
  for (const [id, { found: f, region: r }] of secretIds) {
    calls.push(
      aws('secretsmanager', 'describe-secret', '--secret-id', id, '--region', r).then((res: AwsResult) => {
        if (res.ok) return report.pass(`secret ${res.json.Name ?? id} exists`);
        if (res.code === 'ResourceNotFoundException') return report.problem(`${where(f.where)}: secret \`${id}\` does not exist in ${r}. Create it (\`aws secretsmanager create-secret --name ... --region ${r}\`), then deploy again.`);
        report.problem(`${where(f.where)}: cannot check secret \`${id}\` (${res.code ?? 'error'}: ${res.message}). Allow secretsmanager:DescribeSecret on it, then deploy again.`);
      }),
    );
  }
  await Promise.all(calls);
}

/**
 * ENI trunking raises how many awsvpc tasks an instance can run (a c6a.large: 2 without, 10 with).
 * It is an ECS account setting, applied to instances registered after it is on; the preflight
 * reports it rather than changing an account-wide default.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html
 */
async function trunking(aws: Aws, region: string, report: Report): Promise<void> {
  const r = await aws('ecs', 'list-account-settings', '--name', 'awsvpcTrunking', '--effective-settings');
  const value = r.ok ? (r.json.settings?.[0]?.value as string | undefined) : undefined;
  if (value === 'enabled' || value === 'on') return report.pass('ECS account setting awsvpcTrunking is enabled');
  report.note(
    `ECS account setting awsvpcTrunking is ${value ?? (r.ok ? 'not set' : `unknown (${r.code ?? r.message})`)}: each awsvpc task on EC2 takes one of the instance's network interfaces. ` +
      `To fit more tasks per instance: \`aws ecs put-account-setting-default --name awsvpcTrunking --value enabled --region ${region}\` (instances launched afterwards).`,
  );
}

// ---------------------------------------------------------------------------------------------

export async function preflight(o: Options, report: Report, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const offline: string[] = [];
  let usage = false;

  // 1. offline
  const chosen = chooseRegion(o.region, settingsRegion(o.env), env, knownRegions(ROOT));
  if ('problem' in chosen) {
    offline.push(chosen.problem);
    usage = true;
  }
  const region = 'choice' in chosen ? chosen.choice.region : (o.region ?? env.AWS_REGION ?? 'us-east-1');
  if ('choice' in chosen && chosen.note) report.note(chosen.note);
  const file = join('output', o.env, `${o.template}.yaml`);
  const settingsFile = `templates/environments/${o.env}.json`;

  let resolved: Resolved | undefined;
  if (o.mode !== 'delete') {
    try {
      // The bucket and prefix of a service-catalog deploy come after sts (the default bucket names the account).
      resolved = resolve(join(ROOT, file), o.params, true);
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      offline.push(e.message);
      usage = true;
    }
    if (resolved) {
      const templates = deployed(o, file, new Map(resolved.values), { region, stackName: o.stackName });
      // A product's parameters are the provisioning user's, not this deploy's: the fix is the settings.
      offline.push(...exampleValues(templates, needs(templates), settingsFile, o.template !== 'service-catalog'));
    }
  }
  if (offline.length) {
    offline.forEach((p) => report.problem(p));
    return usage ? 2 : 1;
  }
  const regionChoice = (chosen as { choice: RegionChoice }).choice;

  // Is output/<env>/ what `make build` makes of the sources? Started now, beside the account
  // checks, and only now: a run refused offline pays nothing for it.
  const stale = o.mode === 'delete' || o.noBuildCheck ? Promise.resolve(undefined) : staleOutput(o.env);
  const aws = makeAws(awsCli(ROOT), region);
  let code: number;
  try {
    code = await checkAccount(o, report, env, aws, region, regionChoice);
  } finally {
    aws.close();
  }
  const check = await stale;
  if (check !== undefined) {
    process.stderr.write(check);
    report.problem(`refusing to deploy stale output/${o.env}/. Run \`make build\`, review and commit the diff, then deploy again.`);
    return 1;
  }
  return code;
}

/**
 * `berth build --check` for the environment: its report when output/ is stale, else undefined.
 * It runs the compiled CLI where `make build` left one (a quarter of the CPU time of tsx), which
 * runs the sources instead when they changed since (BERTH_STALE_BUNDLE=source), so the answer is
 * always the sources'.
 */
function staleOutput(environment: string): Promise<string | undefined> {
  const compiled = join(ROOT, 'dist/berth.cjs');
  const cli = existsSync(compiled) ? [compiled] : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...cli, 'build', '--check', '--env', environment], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BERTH_STALE_BUNDLE: 'source' } });
    const out: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => out.push(b));
    child.on('close', (status) => resolve(status === 0 ? undefined : Buffer.concat(out).toString('utf8').replace(/^error: /gm, '')));
  });
}

/** Every status but DELETE_COMPLETE: a stack that exists in some form. */
const LIVE_STATUSES = [
  'CREATE_IN_PROGRESS', 'CREATE_FAILED', 'CREATE_COMPLETE', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_FAILED', 'ROLLBACK_COMPLETE', 'DELETE_IN_PROGRESS', 'DELETE_FAILED',
  'UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE', 'UPDATE_FAILED', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_FAILED',
  'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE', 'REVIEW_IN_PROGRESS', 'IMPORT_IN_PROGRESS', 'IMPORT_COMPLETE', 'IMPORT_ROLLBACK_IN_PROGRESS',
  'IMPORT_ROLLBACK_FAILED', 'IMPORT_ROLLBACK_COMPLETE',
];

/**
 * The root stack holds the whole estate: beside the estate's layers, or templates of its tree
 * deployed on their own (`berth-<env>-<template>`), it would create every named resource a second
 * time and fail part-way. The reverse (layers beside a root stack) is refused by
 * scripts/deploy-layers.ts.
 */
async function besideRoot(aws: Aws, env: string, region: string): Promise<string | undefined> {
  const own = new Set(
    readdirSync(join(ROOT, 'output', env))
      .filter((f) => f.endsWith('.yaml') && !['root.yaml', 'service-catalog.yaml', 'launch-role.yaml'].includes(f) && !f.startsWith('service-catalog-'))
      .map((f) => `berth-${env}-${f.slice(0, -'.yaml'.length)}`),
  );
  const r = await aws('cloudformation', 'list-stacks', '--stack-status-filter', ...LIVE_STATUSES, '--region', region);
  if (!r.ok) return `cannot list the stacks of ${region} (${r.code ?? 'error'}: ${r.message}), to check that no template of the estate is deployed on its own. Allow cloudformation:ListStacks, then retry.`;
  const found = [...new Set(((r.json?.StackSummaries ?? []) as { StackName: string }[]).map((x) => x.StackName).filter((n) => own.has(n)))].sort();
  if (!found.length) return undefined;
  const names = found.length > 3 ? `${found.slice(0, 3).join(', ')} and ${found.length - 3} more` : found.join(', ');
  return `stack${found.length > 1 ? 's' : ''} ${names} ${found.length > 1 ? 'hold' : 'holds'} templates of output/${env}/ deployed on their own, and root.yaml would create their resources again beside them. Deploy the estate as it is deployed (\`--layers\`, or each template with \`--template\`), or delete those stacks first.`;
}

/** Steps 2 and 3: credentials, then the account. */
async function checkAccount(o: Options, report: Report, env: NodeJS.ProcessEnv, aws: Aws, region: string, regionChoice: RegionChoice): Promise<number> {
  // 2. credentials
  const file = join('output', o.env, `${o.template}.yaml`);
  const [sts, described] = await Promise.all([
    aws('sts', 'get-caller-identity', '--region', region),
    aws('cloudformation', 'describe-stacks', '--stack-name', o.stackName, '--region', region),
  ]);
  if (!sts.ok) {
    report.problem(explainSts(sts, region, regionChoice.source, env));
    return 1;
  }
  const account = String(sts.json.Account);
  const partition = String(sts.json.Arn).split(':')[1] ?? partitionOf(region).partition;
  const stack = described.ok ? described.json.Stacks[0] : undefined;
  if (!described.ok && !/does not exist/.test(described.message)) {
    report.problem(`cannot read stack ${o.stackName} (${described.code ?? 'error'}: ${described.message}). Allow cloudformation:DescribeStacks, then retry.`);
    return 1;
  }
  const status: string = stack?.StackStatus ?? '';
  const bucket = o.bucket ?? `berth-${account}-${region}`;

  // 3. the account
  const problems: string[] = [];
  const collect: Report = { pass: report.pass, note: report.note, problem: (l) => problems.push(l) };
  const blocked = status ? blockingState(o.stackName, status, region, o.mode === 'delete' ? 'delete' : 'deploy') : undefined;
  if (blocked) problems.push(blocked);
  if (o.template === 'root' && o.mode !== 'delete') {
    const beside = await besideRoot(aws, o.env, region);
    if (beside) problems.push(beside);
  }

  let parameters: Resolved | undefined;
  if (o.mode !== 'delete') {
    // The product templates' bucket: this account's for the portfolio. launch-role.yaml reads the
    // publishing account's: this one's when it rolls the stack set out, else it must be named
    // (in a member account, berth-<account>-<region> would be the member's own bucket).
    if (o.template === 'launch-role' && !o.stackSet && !o.bucket && !o.params.some((x) => x.startsWith('TemplateBucket='))) {
      report.problem(`${file}: reads the product templates from the publishing account's bucket. Pass \`--param TemplateBucket=<that bucket>\` (berth-<publishing account>-<region> unless \`make publish\` was given another), or roll it out from the publishing account with \`--stack-set\`.`);
      return 2;
    }
    const extra = o.template === 'service-catalog' || (o.template === 'launch-role' && (o.stackSet || o.bucket)) ? [`TemplateBucket=${bucket}`, `TemplatePrefix=${o.prefix}`] : [];
    try {
      // A parameter without default keeps its previous value on an existing stack (REVIEW_IN_PROGRESS has none).
      parameters = resolve(join(ROOT, file), [...extra, ...o.params], Boolean(status) && status !== 'REVIEW_IN_PROGRESS');
    } catch (e) {
      if (!(e instanceof BerthError)) throw e;
      report.problem(e.message);
      return 2;
    }
    // Values resolved now that the account is known (ARNs built with AWS::AccountId).
    const n = needs(deployed(o, file, new Map(parameters.values), { region, accountId: account, stackName: o.stackName }));
    await Promise.all([
      serviceLinkedRoles(aws, n.serviceLinkedRoles, collect),
      hostedZones(aws, n.zones, collect),
      certificates(aws, n.certificates, n.hostNames, collect),
      images(aws, n.images, collect),
      secrets(aws, n.secrets, region, collect),
      n.awsvpcOnEc2 ? trunking(aws, region, collect) : Promise.resolve(),
    ]);
  }
  if (problems.length) {
    problems.forEach((p) => report.problem(p));
    return 1;
  }

  writeFileSync(
    join(o.out, 'preflight.env'),
    [`ACCOUNT=${account}`, `PARTITION=${partition}`, `REGION=${region}`, `REGION_SOURCE='${regionChoice.source.replace(/'/g, '')}'`, `STATUS=${status}`, `BUCKET=${bucket}`, ''].join('\n'),
  );
  if (parameters) {
    const p = parameters;
    writeFileSync(join(o.out, 'parameters.json'), JSON.stringify([...p.values.map(([ParameterKey, ParameterValue]) => ({ ParameterKey, ParameterValue })), ...p.previous.map((ParameterKey) => ({ ParameterKey, UsePreviousValue: true }))]));
    writeFileSync(join(o.out, 'overrides.json'), JSON.stringify(p.values.map(([k, v]) => `${k}=${v}`)));
  }
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  const print = (stream: NodeJS.WriteStream, prefix: string) => (line: string) => stream.write(`${prefix}${line}\n`);
  const color = process.stdout.isTTY && !process.env.NO_COLOR;
  const report: Report = {
    pass: print(process.stdout, color ? '\x1b[32m[pass]\x1b[0m ' : '[pass] '),
    note: print(process.stdout, color ? '\x1b[33m[note]\x1b[0m ' : '[note] '),
    problem: print(process.stderr, 'error: '),
  };
  try {
    return await preflight(parseArgs(argv), report);
  } catch (e) {
    if (e instanceof BerthError) {
      report.problem(e.message);
      return 2;
    }
    throw e;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
