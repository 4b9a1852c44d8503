/**
 * Shared by test/deploy.test.ts and test/deploy-refusals.test.ts (two files, so they run side by side).
 *
 * scripts/deploy.sh against a local AWS endpoint: one moto server (`.venv/bin/moto_server`) on
 * 127.0.0.1 for the suite, the real script run with AWS_ENDPOINT_URL, and real describe calls
 * (the pinned AWS CLI, JSON) to check what it created. No AWS credentials are needed. The describe
 * calls go through one long-lived AWS CLI process (scripts/deploy-awscli.py runs the CLI's own driver), so
 * each costs milliseconds instead of a Python start-up.
 *
 * moto is an emulator, not AWS. Where a check cannot run on it, the test says so next to the
 * narrowed check and README.md ("What moto does not check") lists it; each such place asserts
 * moto's current behaviour, so a moto upgrade that lifts the limit fails the test and points at
 * the full check to restore.
 *
 * The deploys run in a sandbox copy of the repository whose scripts/lint/main.ts is a stub that obeys
 * BERTH_TEST_LINT_EXIT: the gates themselves are tested in lint-gates.test.ts and output/ does not
 * pass them all yet (the security issue), so this suite tests how deploy.sh obeys their verdict,
 * and one test runs the real gates through deploy.sh.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import yaml from 'js-yaml';
import { compileCli, installFixtureEstate, ROOT, tempDir } from './_helpers.ts';
import { MOTO_ACCOUNT, startMoto, type Moto } from './_moto.ts';
import { AwsCli, awsEnv as motoEnv } from './_moto-aws.ts';
import { parseTemplate } from '../src/emit/parse.ts';

export const REGION = 'eu-west-1';
export const BUCKET = 'berth-deploy-test';

export let moto: Moto | undefined;
export let endpoint = '';
/** A prepared copy of the repository each sandbox is copied from, and its output/dev/. */
export let base = '';
export let OUTPUT = '';
export let sandbox = '';

// ---------------------------------------------------------------------------------------------
// moto, the sandbox, and running things

/**
 * A copy of what deploy.sh needs, installs linked, with the fixture estate. Its images are in the example
 * account 123456789012, which the preflight refuses: here they point at moto's account instead,
 * and the copy is rebuilt, so its output/ is what `make build` makes of that estate.
 */
export function prepareBase(): string {
  const dir = tempDir('deploy-base');
  for (const d of ['src', 'templates', 'scripts']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  installFixtureEstate(dir);
  // The data stores: the fixture services use the fixture estate's stores (test/fixtures/storage/,
  // copies of the example's, installed above) as the example's services do, with dev's overrides as
  // templates/environments/dev.json has them, so the suite deploys a database, a table and a
  // bucket, each with its client.
  for (const [service, store, access] of [['web', 'appdb', 'connect'], ['worker', 'jobs', 'readWrite'], ['report', 'reports', 'readWrite']] as const) {
    const file = join(dir, 'templates/services', `${service}.ts`);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.includes(`name: '${service}',`), file);
    writeFileSync(file, `import { ${store} } from '../storage/${store}.ts';\n${text.replace(`name: '${service}',`, `name: '${service}',\n  uses: [${store}.${access}],`)}`);
  }
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(ROOT, '.venv'), join(dir, '.venv'));
  for (const sub of ['templates/services', 'templates/environments']) {
    for (const f of readdirSync(join(dir, sub))) {
      const file = join(dir, sub, f);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/123456789012\.dkr\.ecr\./g, `${MOTO_ACCOUNT}.dkr.ecr.`));
    }
  }
  // Subscriptions for the alarm topic (dev ships none), at addresses of a reserved test domain.
  const dev = join(dir, 'templates/environments/dev.json');
  const settings = JSON.parse(readFileSync(dev, 'utf8'));
  settings.operations = { ...settings.operations, notifications: { emails: [OPS_EMAIL], httpsEndpoints: [OPS_HOOK] } };
  settings.stores = JSON.parse(readFileSync(join(ROOT, 'templates/environments/dev.json'), 'utf8')).stores;
  writeFileSync(dev, JSON.stringify(settings, null, 2));
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'build'], { cwd: dir, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  writeFileSync(join(dir, 'scripts/lint/main.ts'), LINT_STUB);
  compileCli(dir);
  return dir;
}

export const OPS_EMAIL = 'oncall@berth.test';
export const OPS_HOOK = 'https://hooks.berth.test/alarms';

/** The stub of scripts/lint/main.ts: it logs its arguments and obeys BERTH_TEST_LINT_EXIT. */
export const LINT_STUB =
  "import { appendFileSync } from 'node:fs';\n" +
  "appendFileSync(new URL('../../lint-calls.log', import.meta.url), `${process.argv.slice(2).join(' ')}\\n`);\n" +
  "const code = Number(process.env.BERTH_TEST_LINT_EXIT ?? '0');\n" +
  "console.log(code === 0 ? '[pass] stub gate' : '[fail] stub gate: 1 finding');\n" +
  'process.exitCode = code;\n';

/**
 * A copy of the prepared repository, its scripts/lint/main.ts the stub (compiled in, as the base
 * has it) unless `realLint`, which restores the real one (run from source: dist/tools.cjs sees it
 * changed).
 */
export function makeSandbox(realLint = false): string {
  const dir = tempDir('deploy-test');
  // Times kept: the compiled helpers check their sources by size and time before content.
  cpSync(base, dir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  if (realLint) cpSync(join(ROOT, 'scripts/lint/main.ts'), join(dir, 'scripts/lint/main.ts'));
  return dir;
}

/**
 * A sandbox whose AWS CLI is the scripted one (test/fixtures/fake-aws/aws), which plays what moto
 * cannot (resource events, rollbacks, nested change sets), and the folder that holds its state
 * (FAKE_AWS_STATE).
 */
export function scriptedSandbox(): { dir: string; state: string } {
  const dir = makeSandbox();
  const state = tempDir('fake-aws');
  rmSync(join(dir, '.venv'));
  mkdirSync(join(dir, '.venv/bin'), { recursive: true });
  cpSync(join(ROOT, 'test/fixtures/fake-aws/aws'), join(dir, '.venv/bin/aws'));
  return { dir, state };
}

export const awsEnv = (extra: Record<string, string | undefined> = {}) => motoEnv(endpoint, REGION, extra);

export interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly all: string;
}

export function deploy(args: readonly string[], opts: { dir?: string; env?: Record<string, string | undefined> } = {}): Run {
  const dir = opts.dir ?? sandbox;
  // Generous: a deploy that runs the real gates cold (five of them) takes minutes on a loaded machine.
  const r = spawnSync('bash', [join(dir, 'scripts/deploy.sh'), ...args], { cwd: dir, encoding: 'utf8', env: awsEnv(opts.env), timeout: 420_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, all: r.stdout + r.stderr };
}

export let cli: AwsCli | undefined;

/** A real describe call: the pinned AWS CLI against moto, JSON parsed. */
export const aws = (...args: string[]): Promise<any> => cli!.json(...args);
export const awsFails = (...args: string[]): Promise<string> => cli!.fails(...args);
export async function s3Text(key: string): Promise<string> {
  const r = await cli!.call(['s3', 'cp', `s3://${BUCKET}/${key}`, '-']);
  assert.equal(r.status, 0, `s3://${BUCKET}/${key}: ${r.stderr}`);
  return r.stdout;
}
export const physicalId = async (stack: string, logicalId: string): Promise<string> =>
  (await aws('cloudformation', 'describe-stack-resource', '--stack-name', stack, '--logical-resource-id', logicalId)).StackResourceDetail.PhysicalResourceId;

/** deploy.sh's content hash of output/dev/: every file's name and bytes, in byte order. */
export function outputHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(OUTPUT).filter((n) => n.endsWith('.yaml')).sort()) h.update(`${f}\n`).update(readFileSync(join(OUTPUT, f)));
  return h.digest('hex').slice(0, 12);
}

/** The ECR images a template's task definitions run (parameter defaults), in moto's account. */
export function referencedImages(file: string): string[] {
  const doc = parseTemplate(readFileSync(join(OUTPUT, file), 'utf8'), file) as Record<string, any>;
  return Object.values(doc.Parameters as Record<string, any>)
    .map((p) => String(p.Default ?? ''))
    .filter((d) => d.startsWith(`${MOTO_ACCOUNT}.dkr.ecr.`));
}
/** The SSM parameter names a template's task definitions read as secrets (ARNs of this account and Region). */
export function referencedParameters(file: string): string[] {
  const text = readFileSync(join(OUTPUT, file), 'utf8');
  return [...text.matchAll(/ValueFrom: !Sub arn:\$\{AWS::Partition\}:ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}:parameter(\/\S+)/g)].map((m) => m[1]!);
}
/** Pushes a (content-free) image under each URI, so ECR describes it. */
export async function pushImages(uris: readonly string[]): Promise<void> {
  for (const uri of uris) {
    const [, repository, tag] = /^[^/]+\/([^:]+):(.+)$/.exec(uri)!;
    await cli!.call(['ecr', 'create-repository', '--repository-name', repository!]);
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: `sha256:${'2'.repeat(64)}` }, layers: [] };
    await aws('ecr', 'put-image', '--repository-name', repository!, '--image-tag', tag!, '--image-manifest', JSON.stringify(manifest));
  }
}

// ---------------------------------------------------------------------------------------------
// comparing a packaged template with output/

/**
 * The object at `key` is output/dev/`file` as CloudFormation reads it. `package` rewrites the YAML
 * (long-form intrinsics, its own quoting and line folding), so the comparison is of the parsed
 * documents, not the bytes; the one intended difference is each nested stack's TemplateURL, which
 * must point at an object of the bucket that is, recursively, the sibling file.
 */
export async function assertPackaged(key: string, file: string): Promise<void> {
  const actual = yaml.load(await s3Text(key)) as Record<string, any>;
  const expected = parseTemplate(readFileSync(join(OUTPUT, file), 'utf8'), file) as Record<string, any>;
  for (const [id, r] of Object.entries(expected.Resources as Record<string, any>)) {
    if (r.Type !== 'AWS::CloudFormation::Stack') continue;
    const url: string = actual.Resources[id].Properties.TemplateURL;
    const prefix = `${endpoint}/${BUCKET}/`;
    assert.ok(url.startsWith(prefix), `${file}: ${id} TemplateURL ${url} is not in s3://${BUCKET}`);
    await assertPackaged(url.slice(prefix.length), r.Properties.TemplateURL);
    r.Properties.TemplateURL = url;
  }
  assert.deepEqual(actual, expected, `s3://${BUCKET}/${key} differs from output/dev/${file}`);
}

// ---------------------------------------------------------------------------------------------

/**
 * What the preflight requires of the account for dev: its ECR images (the sandbox's dev images
 * are in moto's account) and the SSM parameters its task definitions read. test/deploy.test.ts sets
 * them up first; test/deploy-refusals.test.ts never does, so its account stays empty.
 */
export async function provideAccount(): Promise<void> {
  for (const file of readdirSync(OUTPUT).filter((f) => f.startsWith('service-') && f !== 'service-catalog.yaml')) {
    await pushImages(referencedImages(file));
    for (const name of referencedParameters(file)) await aws('ssm', 'put-parameter', '--name', name, '--type', 'SecureString', '--value', 'x', '--overwrite');
  }
}

/** The suite's moto server, prepared repository and sandbox, and the describe CLI: started before the file's tests, stopped after. */
export function useDeploySuite(): void {
  before(async () => {
    moto = await startMoto();
    endpoint = moto.endpoint;
    cli = new AwsCli(awsEnv({ AWS_DEFAULT_REGION: REGION }));
    base = prepareBase();
    OUTPUT = join(base, 'output/dev');
    sandbox = makeSandbox();
  });
  after(() => {
    cli?.close();
    moto?.stop();
    for (const d of [sandbox, base]) if (d) rmSync(d, { recursive: true, force: true });
  });
}
