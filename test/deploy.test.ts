/**
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
import { after, before, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import yaml from 'js-yaml';
import { compileCli, fixtureEstateOutput, installFixtureEstate, ROOT, sandbox as fixtureSandbox, tempDir } from './_helpers.ts';
import { MOTO_ACCOUNT, startMoto, type Moto } from './_moto.ts';
import { AwsCli, awsEnv as motoEnv } from './_moto-aws.ts';
import { parseTemplate } from '../src/emit/parse.ts';

const REGION = 'eu-west-1';
const BUCKET = 'berth-deploy-test';

let moto: Moto | undefined;
let endpoint = '';
/** A prepared copy of the repository each sandbox is copied from, and its output/dev/. */
let base = '';
let OUTPUT = '';
let sandbox = '';

// ---------------------------------------------------------------------------------------------
// moto, the sandbox, and running things

/**
 * A copy of what deploy.sh needs, installs linked, with the fixture estate. Its images are in the example
 * account 123456789012, which the preflight refuses: here they point at moto's account instead,
 * and the copy is rebuilt, so its output/ is what `make build` makes of that estate.
 */
function prepareBase(): string {
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

const OPS_EMAIL = 'oncall@berth.test';
const OPS_HOOK = 'https://hooks.berth.test/alarms';

/** The stub of scripts/lint/main.ts: it logs its arguments and obeys BERTH_TEST_LINT_EXIT. */
const LINT_STUB =
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
function makeSandbox(realLint = false): string {
  const dir = tempDir('deploy-test');
  // Times kept: the compiled helpers check their sources by size and time before content.
  cpSync(base, dir, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
  if (realLint) cpSync(join(ROOT, 'scripts/lint/main.ts'), join(dir, 'scripts/lint/main.ts'));
  return dir;
}

const awsEnv = (extra: Record<string, string | undefined> = {}) => motoEnv(endpoint, REGION, extra);

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly all: string;
}

function deploy(args: readonly string[], opts: { dir?: string; env?: Record<string, string | undefined> } = {}): Run {
  const dir = opts.dir ?? sandbox;
  // Generous: a deploy that runs the real gates cold (five of them) takes minutes on a loaded machine.
  const r = spawnSync('bash', [join(dir, 'scripts/deploy.sh'), ...args], { cwd: dir, encoding: 'utf8', env: awsEnv(opts.env), timeout: 420_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, all: r.stdout + r.stderr };
}

let cli: AwsCli | undefined;

/** A real describe call: the pinned AWS CLI against moto, JSON parsed. */
const aws = (...args: string[]): Promise<any> => cli!.json(...args);
const awsFails = (...args: string[]): Promise<string> => cli!.fails(...args);
async function s3Text(key: string): Promise<string> {
  const r = await cli!.call(['s3', 'cp', `s3://${BUCKET}/${key}`, '-']);
  assert.equal(r.status, 0, `s3://${BUCKET}/${key}: ${r.stderr}`);
  return r.stdout;
}
const physicalId = async (stack: string, logicalId: string): Promise<string> =>
  (await aws('cloudformation', 'describe-stack-resource', '--stack-name', stack, '--logical-resource-id', logicalId)).StackResourceDetail.PhysicalResourceId;

/** deploy.sh's content hash of output/dev/: every file's name and bytes, in byte order. */
function outputHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(OUTPUT).filter((n) => n.endsWith('.yaml')).sort()) h.update(`${f}\n`).update(readFileSync(join(OUTPUT, f)));
  return h.digest('hex').slice(0, 12);
}

/** The ECR images a template's task definitions run (parameter defaults), in moto's account. */
function referencedImages(file: string): string[] {
  const doc = parseTemplate(readFileSync(join(OUTPUT, file), 'utf8'), file) as Record<string, any>;
  return Object.values(doc.Parameters as Record<string, any>)
    .map((p) => String(p.Default ?? ''))
    .filter((d) => d.startsWith(`${MOTO_ACCOUNT}.dkr.ecr.`));
}
/** The SSM parameter names a template's task definitions read as secrets (ARNs of this account and Region). */
function referencedParameters(file: string): string[] {
  const text = readFileSync(join(OUTPUT, file), 'utf8');
  return [...text.matchAll(/ValueFrom: !Sub arn:\$\{AWS::Partition\}:ssm:\$\{AWS::Region\}:\$\{AWS::AccountId\}:parameter(\/\S+)/g)].map((m) => m[1]!);
}
/** Pushes a (content-free) image under each URI, so ECR describes it. */
async function pushImages(uris: readonly string[]): Promise<void> {
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
async function assertPackaged(key: string, file: string): Promise<void> {
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

before(async () => {
  moto = await startMoto();
  endpoint = moto.endpoint;
  cli = new AwsCli(awsEnv({ AWS_DEFAULT_REGION: REGION }));
  base = prepareBase();
  OUTPUT = join(base, 'output/dev');
  sandbox = makeSandbox();
});

/**
 * What the preflight requires of the account for dev: its ECR images (the sandbox's dev images
 * are in moto's account) and the SSM parameters its task definitions read. Set up after the tests
 * that show an empty account refused.
 */
async function provideAccount(): Promise<void> {
  for (const file of readdirSync(OUTPUT).filter((f) => f.startsWith('service-') && f !== 'service-catalog.yaml')) {
    await pushImages(referencedImages(file));
    for (const name of referencedParameters(file)) await aws('ssm', 'put-parameter', '--name', name, '--type', 'SecureString', '--value', 'x', '--overwrite');
  }
}

after(() => {
  cli?.close();
  moto?.stop();
  for (const d of [sandbox, base]) if (d) rmSync(d, { recursive: true, force: true });
});

test('bad flags fail with one line naming the flag, what was expected and how to fix it (exit 2)', () => {
  const cases: [string[], RegExp][] = [
    [[], /no environment given: `scripts\/deploy.sh <env>` with one of: dev prod/],
    [['dev', '--bogus'], /unknown option `--bogus`\./],
    [['dev', '--bucket'], /`--bucket` needs a value: an S3 bucket name, e.g. `--bucket my-templates-bucket`/],
    [['dev', '--template', '--preview'], /`--template` needs a value/],
    [['dev', '--param', 'DesiredCount'], /`--param DesiredCount`: expected KEY=VALUE, e.g. `--param DesiredCount=2`/],
    [['staging'], /unknown environment `staging`: expected one of dev prod/],
    [['dev', 'prod'], /unexpected argument `prod`: the environment is already `dev`/],
    [['dev', '--template', 'nope'], /`--template nope`: output\/dev\/ has no nope.yaml; expected one of cluster dashboard data-appdb data-jobs data-reports foundation launch-role load-balancer network operations overview root service-catalog/],
    [['dev', '--region', 'Mars'], /`--region Mars`: expected an AWS Region such as eu-west-1/],
    [['dev', '--bucket', 'Not_A_Bucket'], /`--bucket Not_A_Bucket`: expected an S3 bucket name/],
    [['dev', '--stack-name', '9lives'], /`--stack-name 9lives`: expected a letter, then letters, digits and hyphens/],
  ];
  for (const [args, message] of cases) {
    const r = deploy(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.all}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^error: /);
    assert.match(lines[0]!, message);
    assert.match(lines[0]!, /Run `scripts\/deploy.sh --help` for the options\.$/);
  }
  const help = deploy(['--help']);
  assert.equal(help.status, 0);
  assert.match(help.stdout, /^Usage: scripts\/deploy.sh <env> \[options\]/);
  for (const flag of ['--template', '--stack-name', '--bucket', '--prefix', '--region', '--param', '--preview']) assert.ok(help.stdout.includes(flag), flag);
});

test('the preflight refuses, offline and before any stack exists, what it can tell from flags, parameters and the Region: one line each, naming the source', async () => {
  const profile = join(sandbox, 'aws-config');
  writeFileSync(profile, '[default]\nregion = eu-west-1\n\n[profile ci]\nregion = ap-south-1\n');
  const network = ['dev', '--template', 'network', '--bucket', BUCKET];
  const cases: { args: string[]; env?: Record<string, string | undefined>; status: number; line: RegExp }[] = [
    // A newline would smuggle a second, unchecked override into a line-based parser.
    { args: [...network, '--param', 'VolumeSizeGiB=50\nVpcCidr=10.99.0.0/28'], status: 2, line: /^error: `--param VolumeSizeGiB=50\\nVpcCidr=10\.99\.0\.0\/28`: contains control character U\+000A \(a newline, tab or other control character\)\. Pass the value on one line without control characters\.$/ },
    { args: [...network, '--param', 'VpcCidr=10.10.0.0/16\t'], status: 2, line: /^error: `--param VpcCidr=10\.10\.0\.0\/16\\t`: contains control character U\+0009/ },
    { args: [...network, '--param', 'VpcCidr=10.10.0.0/16\r'], status: 2, line: /^error: `--param VpcCidr=10\.10\.0\.0\/16\\r`: contains control character U\+000D/ },
    { args: [...network, '--param', 'VpcCidr=10.10.0.0/16\u001b[2J'], status: 2, line: /^error: `--param VpcCidr=10\.10\.0\.0\/16\\u001b\[2J`: contains control character U\+001B/ },
    { args: network, env: { AWS_REGION: 'junk' }, status: 2, line: /^error: AWS_REGION=junk: `junk` is not an AWS Region \(expected a name such as eu-west-1\)\. Fix or unset it, or pass `--region`\.$/ },
    { args: network, env: { AWS_REGION: 'us-east-1' }, status: 2, line: /^error: AWS_REGION=us-east-1 differs from the environment's Region eu-west-1 \(templates\/environments\/dev\.json `region`\)\. Unset it, or pass `--region us-east-1` to deploy there on purpose\.$/ },
    { args: network, env: { AWS_REGION: undefined, AWS_DEFAULT_REGION: 'us-west-2' }, status: 2, line: /^error: AWS_DEFAULT_REGION=us-west-2 differs from the environment's Region eu-west-1/ },
    { args: network, env: { AWS_REGION: undefined, AWS_CONFIG_FILE: profile, AWS_PROFILE: 'ci' }, status: 2, line: new RegExp(`^error: the region of profile \`ci\` in ${profile.replace(/[/.]/g, '\\$&')} differs from the environment's Region eu-west-1`) },
    { args: [...network, '--region', 'xx-fake-1'], status: 2, line: /^error: `--region xx-fake-1`: `xx-fake-1` is not a Region the AWS CLI knows/ },
    // After the offline checks: what the failed sts call actually means.
    { args: network, env: { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' }, status: 1, line: /^error: cannot reach AWS_ENDPOINT_URL=http:\/\/127\.0\.0\.1:9 \(`aws sts get-caller-identity` could not connect to http:\/\/127\.0\.0\.1:9\/?\)\. Start the endpoint, or unset AWS_ENDPOINT_URL to use AWS\.$/ },
    { args: network, env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }, status: 1, line: /^error: no AWS credentials found/ },
    // A member account's launch role reads the publisher's bucket: this account's default would be wrong.
    { args: ['dev', '--template', 'launch-role'], status: 2, line: /^error: output\/dev\/launch-role\.yaml: reads the product templates from the publishing account's bucket\. Pass `--param TemplateBucket=<that bucket>` \(berth-<publishing account>-<region> unless `make publish` was given another\), or roll it out from the publishing account with `--stack-set`\.$/ },
  ];
  for (const c of cases) {
    const r = deploy(c.args, { env: c.env });
    const what = `${JSON.stringify(c.args.slice(3))} ${JSON.stringify(c.env ?? {})}`;
    assert.equal(r.status, c.status, `${what}: ${r.all}`);
    const lines = r.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
    assert.match(lines[0]!, c.line, what);
    assert.doesNotMatch(r.all, /\n\s+at |Traceback/, what);
  }
  // Nothing was created by any of them.
  assert.deepEqual((await aws('cloudformation', 'list-stacks')).StackSummaries, []);
  assert.deepEqual((await aws('s3api', 'list-buckets')).Buckets, []);
});

test('prod with its example domain and zone is refused, one line each, and no stack exists afterwards', async () => {
  const r = deploy(['prod', '--bucket', BUCKET]);
  assert.equal(r.status, 1, r.all);
  assert.deepEqual(r.stderr.trimEnd().split('\n'), [
    'error: output/prod/load-balancer.yaml: AliasRecordA Name: `app.example.com` is an example domain (RFC 2606), not yours. Set the real value in templates/environments/prod.json and run `make build`.',
    'error: output/prod/load-balancer.yaml: AliasRecordA HostedZoneId: hosted zone `Z0123456789EXAMPLE0000` is an example ID. Set the real value in templates/environments/prod.json and run `make build` (`aws route53 list-hosted-zones` lists yours).',
    // The alarm topic's example subscription: nobody would hear the alarms.
    'error: output/prod/operations.yaml: EmailOncallExampleCom Endpoint: `oncall@example.com` is at an example domain (RFC 2606): nobody would hear the alarms. Set the real value in templates/environments/prod.json and run `make build` (operations.notifications).',
  ]);
  assert.match(await awsFails('cloudformation', 'describe-stacks', '--stack-name', 'berth-prod'), /Stack with id berth-prod does not exist/);
  assert.deepEqual((await aws('s3api', 'list-buckets')).Buckets, []);
  // The images are example values too: the fixture estate's prod as it is (not this sandbox's,
  // whose images are in moto's account) is refused for each, before credentials are asked for.
  const example = fixtureSandbox({ make: true });
  const real = spawnSync('bash', [join(example, 'scripts/deploy.sh'), 'prod', '--template', 'service-web'], { cwd: example, encoding: 'utf8', env: awsEnv({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }) });
  assert.equal(real.status, 1, real.stderr);
  // The listener rule matches the environment's (example) domain as well.
  const [rule, ...images] = real.stderr.trimEnd().split('\n');
  assert.equal(rule, 'error: output/prod/service-web.yaml: ListenerRule Conditions host-header: `app.example.com` is an example domain (RFC 2606), not yours. Set the real value in templates/environments/prod.json and run `make build`.');
  assert.ok(images.length > 0);
  for (const line of images) assert.match(line, /^error: output\/prod\/service-web\.yaml: .* is in example account 123456789012\. Pass `--param ImageUri=<your image>`/);
});

test('without the AWS CLI it says so and how to install it', () => {
  const dir = tempDir('no-aws');
  for (const d of ['scripts', 'templates']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  installFixtureEstate(dir);
  cpSync(fixtureEstateOutput(), join(dir, 'output'), { recursive: true });
  // No .venv, and a PATH with node and the basic tools only.
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  for (const tool of ['bash', 'dirname', 'ls', 'tr', 'sed', 'grep', 'cat', 'mktemp', 'rm']) {
    const path = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    if (path) symlinkSync(path, join(bin, tool));
  }
  const r = deploy(['dev', '--template', 'network'], { dir, env: { PATH: bin } });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 1, r.all);
  assert.equal(r.stderr, 'error: the AWS CLI (`aws`) is not installed. Run `make install` (it installs the pinned awscli into .venv/), or install the AWS CLI and put it on PATH.\n');
});

test('without credentials it says so and how to configure them', () => {
  const r = deploy(['dev', '--template', 'network'], { env: { AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined } });
  assert.equal(r.status, 1, r.all);
  assert.equal(
    r.stderr,
    'error: no AWS credentials found: `aws sts get-caller-identity` found none in the environment, the profile or instance metadata. ' +
      'Configure credentials (`aws configure`, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and retry.\n',
  );
});

test('refuses stale output before touching S3', async () => {
  const file = join(sandbox, 'output/dev/network.yaml');
  const original = readFileSync(file, 'utf8');
  writeFileSync(file, `${original}# edited by hand\n`);
  try {
    const r = deploy(['dev', '--template', 'network', '--bucket', BUCKET]);
    assert.equal(r.status, 1, r.all);
    assert.match(r.stderr, /output\/dev\/network.yaml \(changed\)/);
    assert.match(r.stderr, /error: refusing to deploy stale output\/dev\/\. Run `make build`, review and commit the diff, then deploy again\./);
    assert.deepEqual((await aws('s3api', 'list-buckets')).Buckets, []);
  } finally {
    writeFileSync(file, original);
  }
});

test('invalid parameters fail before any change set, with the reason', async () => {
  const bad = deploy(['dev', '--template', 'network', '--bucket', BUCKET, '--param', 'VpcCidr=banana']);
  assert.equal(bad.status, 2, bad.all);
  assert.match(bad.stderr, /error: `--param VpcCidr=banana`: VpcCidr must match pattern .* \(an IPv4 CIDR block such as 10\.0\.0\.0\/16\)\. Pass a valid value\./);
  const unknown = deploy(['dev', '--template', 'network', '--bucket', BUCKET, '--param', 'VpcCidrr=10.0.0.0/16']);
  assert.equal(unknown.status, 2, unknown.all);
  assert.match(unknown.stderr, /`--param VpcCidrr=10.0.0.0\/16`: network.yaml has no parameter `VpcCidrr`\. Its parameters: EnvironmentName, VpcCidr, /);
  const missing = deploy(['dev', '--template', 'load-balancer', '--bucket', BUCKET]);
  assert.equal(missing.status, 2, missing.all);
  assert.match(missing.stderr, /error: load-balancer.yaml: needs VpcId \(AWS::EC2::VPC::Id\), PublicSubnetIds \(List<AWS::EC2::Subnet::Id>\), which have no default: pass `--param VpcId=\.\.\.` `--param PublicSubnetIds=\.\.\.`/);
  assert.deepEqual((await aws('s3api', 'list-buckets')).Buckets, []);
});

test('refuses output the lint gates reject', async () => {
  const r = deploy(['dev', '--template', 'network', '--bucket', BUCKET, '--preview'], { env: { BERTH_TEST_LINT_EXIT: '1' } });
  assert.equal(r.status, 1, r.all);
  assert.match(r.stdout, /\[fail\] stub gate: 1 finding/);
  assert.match(r.stderr, /error: refusing to deploy: the lint gates fail on output\/dev\/ \(above\)\. Fix the findings \(`make lint`\), rebuild, then deploy again\./);
  assert.deepEqual((await aws('s3api', 'list-buckets')).Buckets, []);
});

test('the real lint gates decide: deploy proceeds exactly when scripts/lint/main.ts passes on output/<env>/', () => {
  const dir = makeSandbox(true);
  try {
    const r = deploy(['dev', '--template', 'network', '--bucket', BUCKET, '--preview'], { dir });
    const gates = r.stdout.match(/\[(pass|fail)\] (cfn-lint|checkov|control-tower): .*/g) ?? [];
    assert.equal(gates.length, 3, r.all);
    if (gates.some((g) => g.startsWith('[fail]'))) {
      assert.equal(r.status, 1, r.all);
      assert.match(r.stderr, /refusing to deploy: the lint gates fail on output\/dev\//);
    } else {
      assert.equal(r.status, 0, r.all);
    }
    // The same output again: scripts/lint/main.ts answers from its last run, with the same verdict.
    const again = deploy(['dev', '--template', 'network', '--bucket', BUCKET, '--preview'], { dir });
    assert.equal(again.status, r.status, again.all);
    assert.match(again.stdout, /0 of \d+ templates linted now; the others' results are remembered from earlier runs on identical templates/);
    assert.deepEqual(again.stdout.match(/\[(pass|fail)\] (cfn-lint|checkov|control-tower): .*/g), gates);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--preview of a new estate prints the changes, executes nothing, and packages the nested templates', async () => {
  await provideAccount();
  const r = deploy(['dev', '--bucket', BUCKET, '--preview']);
  assert.equal(r.status, 0, r.all);
  assert.match(r.stdout, /\[pass\] lint gates\n/);
  for (const nested of ['Operations', 'Network', 'LoadBalancer', 'Cluster', 'AppdbStore', 'JobsStore', 'ReportsStore', 'WebService', 'WorkerService', 'ReportService', 'Dashboard']) {
    assert.match(r.stdout, new RegExp(`\\n  berth-dev +Add +${nested} +AWS::CloudFormation::Stack +-\\n`));
  }
  assert.match(r.stdout, /\n  berth-dev +Add +DeployGuard +AWS::CloudWatch::CompositeAlarm +-\n/);
  // What guards the deploy: on a new stack, nothing yet (its alarms do not exist before it).
  assert.match(r.stdout, /==> rollback triggers of stack berth-dev\n  rollback triggers: none yet \(DeployGuard will guard the next deploy: this one creates them\)\n/);
  assert.match(r.stdout, /\[pass\] preview of berth-dev: 12 changes shown; the change set is deleted and nothing was executed/);
  // moto creates no nested change sets for --include-nested-stacks, so the nested stacks' own
  // changes (printed as berth-dev/Network ... on AWS) cannot be checked here.
  assert.match(await awsFails('cloudformation', 'describe-stacks', '--stack-name', 'berth-dev'), /Stack with id berth-dev does not exist/);
  assert.deepEqual((await aws('cloudformation', 'list-stacks')).StackSummaries.filter((x: { StackName: string }) => x.StackName === 'berth-dev').map((x: { StackStatus: string }) => x.StackStatus), ['DELETE_COMPLETE']);
  assert.deepEqual((await aws('ec2', 'describe-vpcs', '--filters', 'Name=cidr,Values=10.10.0.0/16')).Vpcs, []);

  // `package` uploaded each nested template under the content hash of output/dev/ (as
  // <md5 of its packaged text>.template): one object per nested file, each that file as
  // CloudFormation reads it.
  const version = outputHash();
  const listed = (await aws('s3api', 'list-objects-v2', '--bucket', BUCKET, '--prefix', `berth/dev/${version}/`)).Contents as { Key: string }[];
  const objects = await Promise.all(listed.map(async (o) => yaml.load(await s3Text(o.Key))));
  const nested = ['operations.yaml', 'network.yaml', 'load-balancer.yaml', 'cluster.yaml', 'data-appdb.yaml', 'data-jobs.yaml', 'data-reports.yaml', 'service-web.yaml', 'service-worker.yaml', 'service-report.yaml', 'dashboard.yaml'];
  assert.equal(objects.length, nested.length, listed.map((o) => o.Key).join(', '));
  for (const file of nested) {
    const expected = parseTemplate(readFileSync(join(OUTPUT, file), 'utf8'), file);
    assert.equal(objects.filter((o) => isDeepStrictEqual(o, expected)).length, 1, `no object in s3://${BUCKET}/berth/dev/${version}/ is output/dev/${file}`);
  }
});

test('creates the template bucket encrypted, versioned and closed to the public', async () => {
  assert.deepEqual((await aws('s3api', 'get-bucket-encryption', '--bucket', BUCKET)).ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault, { SSEAlgorithm: 'AES256' });
  assert.equal((await aws('s3api', 'get-bucket-versioning', '--bucket', BUCKET)).Status, 'Enabled');
  assert.deepEqual((await aws('s3api', 'get-public-access-block', '--bucket', BUCKET)).PublicAccessBlockConfiguration, {
    BlockPublicAcls: true,
    IgnorePublicAcls: true,
    BlockPublicPolicy: true,
    RestrictPublicBuckets: true,
  });
  // The TLS-only bucket policy is not applied through a plain-http endpoint (moto would deny
  // every request); on AWS it is. See ensure_bucket in scripts/deploy.sh.
});

test('network deployed alone creates what it declares, tagged with the content hash, with live events', async () => {
  const r = deploy(['dev', '--template', 'network', '--bucket', BUCKET]);
  assert.equal(r.status, 0, r.all);
  const version = outputHash();
  // Every deploy asks the gates (scripts/lint/main.ts remembers its own results): the refused run, the
  // preview, and this one.
  assert.match(r.stdout, /\[pass\] lint gates\n/);
  assert.deepEqual(readFileSync(join(sandbox, 'lint-calls.log'), 'utf8').trim().split('\n'), ['output/dev', 'output/dev', 'output/dev']);
  // Live progress: the stack's events as they arrived, then the summary with the elapsed time.
  // A change set deploy.sh makes and executes itself (aws cloudformation deploy cannot pass rollback triggers).
  assert.match(r.stdout, /==> rollback triggers of stack berth-dev-network\n  rollback triggers: none \(the template names no alarm to guard its deploy\)\n/);
  assert.match(r.stdout, /==> deploying stack berth-dev-network \(change set berth-deploy-\d+, CREATE; events as they arrive\)\n(  \d\d:\d\d:\d\d  berth-dev-network .*\n)+/);
  assert.match(r.stdout, /  \d\d:\d\d:\d\d  berth-dev-network +CREATE_COMPLETE +berth-dev-network/);
  assert.match(r.stdout, /\[pass\] stack berth-dev-network: CREATE_COMPLETE in \dm \d\ds\n$/);
  // moto records only the stack's own events, none per resource (CREATE_IN_PROGRESS Vpc ... on AWS).

  const stack = (await aws('cloudformation', 'describe-stacks', '--stack-name', 'berth-dev-network')).Stacks[0];
  assert.equal(stack.StackStatus, 'CREATE_COMPLETE');
  // Tags that change only when what they say changes: a changed stack tag would update every
  // nested stack and resource on each deploy. The version is the packages' S3 prefix instead.
  assert.deepEqual(stack.Tags, [{ Key: 'berth:environment', Value: 'dev' }]);
  assert.match(r.stdout, new RegExp(`artifacts under s3://${BUCKET}/berth/dev/${version}/`));
  // Every default went in explicitly, so a deploy matches output/ (EnvironmentName=dev included).
  const params = Object.fromEntries(stack.Parameters.map((p: { ParameterKey: string; ParameterValue: string }) => [p.ParameterKey, p.ParameterValue]));
  assert.equal(params.EnvironmentName, 'dev');
  assert.equal(params.VpcCidr, '10.10.0.0/16');
  // Flow logs: the environment's retention, encrypted with the stack's own key.
  const flowLogs = (await aws('logs', 'describe-log-groups', '--log-group-name-prefix', '/berth/dev/vpc-flow-logs')).logGroups[0];
  assert.equal(flowLogs.retentionInDays, 30);
  // The key exists; that the group uses it is checked on the template (test/network.test.ts):
  // moto's AWS::Logs::LogGroup ignores KmsKeyId, and its describe-key fails on berth's key policy.
  assert.match(await physicalId('berth-dev-network', 'FlowLogKey'), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

  const id = (logicalId: string) => physicalId('berth-dev-network', logicalId);
  const vpcId = await id('Vpc');
  assert.equal((await aws('ec2', 'describe-vpcs', '--vpc-ids', vpcId)).Vpcs[0].CidrBlock, '10.10.0.0/16');
  const subnets = (await aws('ec2', 'describe-subnets', '--filters', `Name=vpc-id,Values=${vpcId}`)).Subnets as any[];
  const expected: Record<string, string> = {
    PublicSubnetA: '10.10.0.0/20',
    PublicSubnetB: '10.10.16.0/20',
    ApplicationSubnetA: '10.10.64.0/20',
    ApplicationSubnetB: '10.10.80.0/20',
    DatabaseSubnetA: '10.10.128.0/20',
    DatabaseSubnetB: '10.10.144.0/20',
  };
  assert.equal(subnets.length, 6);
  for (const [logicalId, cidr] of Object.entries(expected)) {
    const subnetId = await id(logicalId);
    assert.equal(subnets.find((x) => x.SubnetId === subnetId)?.CidrBlock, cidr, logicalId);
  }
  // dev: a single NAT gateway, in the first public subnet; each application route table routes to it.
  const nats = (await aws('ec2', 'describe-nat-gateways', '--filter', `Name=vpc-id,Values=${vpcId}`)).NatGateways as any[];
  assert.equal(nats.length, 1);
  assert.equal(nats[0].SubnetId, await id('PublicSubnetA'));
  for (const table of ['ApplicationRouteTableA', 'ApplicationRouteTableB']) {
    const routes = (await aws('ec2', 'describe-route-tables', '--route-table-ids', await id(table))).RouteTables[0].Routes as any[];
    assert.equal(routes.find((x) => x.DestinationCidrBlock === '0.0.0.0/0')?.NatGatewayId, nats[0].NatGatewayId, table);
  }
  // The database tier has no route out.
  const dbRoutes = (await aws('ec2', 'describe-route-tables', '--route-table-ids', await id('DatabaseRouteTable'))).RouteTables[0].Routes as any[];
  assert.deepEqual(dbRoutes.map((x) => x.DestinationCidrBlock), ['10.10.0.0/16']);
  // The VPC's default security group is closed: the custom resource's function (its real code,
  // run by scripts/local-aws.py) removed EC2's rules and answered CloudFormation.
  const defaultGroup = (await aws('ec2', 'describe-security-groups', '--filters', `Name=vpc-id,Values=${vpcId}`, 'Name=group-name,Values=default')).SecurityGroups[0];
  assert.deepEqual([defaultGroup.IpPermissions, defaultGroup.IpPermissionsEgress], [[], []]);
  // Not checked on moto (test/network.test.ts checks the template): MapPublicIpOnLaunch (moto
  // ignores the property and picks its own), the subnets' Availability Zones (moto's Fn::GetAZs
  // answers us-east-1's zones in every Region). The stack's Outputs, which moto keeps for a
  // change-set stack only with scripts/local-aws.py's patch, are read by test/local-docs.test.ts.
});

test('deploying unchanged output again succeeds with no changes', () => {
  const r = deploy(['dev', '--template', 'network', '--bucket', BUCKET]);
  assert.equal(r.status, 0, r.all);
  assert.match(r.stdout, /\[pass\] stack berth-dev-network: no changes \(CREATE_COMPLETE\) in \dm \d\ds\n$/);
});

test('the whole estate (root.yaml) is refused beside a template of it deployed on its own, before anything is created', async () => {
  const r = deploy(['dev', '--bucket', BUCKET]);
  assert.equal(r.status, 1, r.all);
  assert.deepEqual(r.stderr.trimEnd().split('\n'), [
    'error: stack berth-dev-network holds templates of output/dev/ deployed on their own, and root.yaml would create their resources again beside them. Deploy the estate as it is deployed (`--layers`, or each template with `--template`), or delete those stacks first.',
  ]);
  assert.match(await awsFails('cloudformation', 'describe-stacks', '--stack-name', 'berth-dev'), /Stack with id berth-dev does not exist/);
});

test('--preview of a changed parameter on a deployed stack executes nothing', async () => {
  const r = deploy(['dev', '--template', 'network', '--bucket', BUCKET, '--preview', '--param', 'DatabaseSubnetCidrs=10.10.160.0/20,10.10.176.0/20']);
  assert.equal(r.status, 0, r.all);
  assert.match(r.stdout, /change set berth-preview-\d+ \(UPDATE\) for stack berth-dev-network/);
  // moto diffs templates, not parameter values, so its change set is empty here (on AWS it lists
  // DatabaseSubnetA/B: Modify, replacement yes); what is checked is that nothing ran.
  assert.match(r.stdout, /\[pass\] preview of berth-dev-network: \d+ changes shown; the change set is deleted and nothing was executed/);
  const stack = (await aws('cloudformation', 'describe-stacks', '--stack-name', 'berth-dev-network')).Stacks[0];
  assert.equal(stack.StackStatus, 'CREATE_COMPLETE');
  // The deployed value, not the previewed one (moto keeps a list parameter as Python's list repr).
  assert.match(stack.Parameters.find((p: { ParameterKey: string }) => p.ParameterKey === 'DatabaseSubnetCidrs').ParameterValue, /^\W*10\.10\.128\.0\/20\W+10\.10\.144\.0\/20\W*$/);
  const subnet = (await aws('ec2', 'describe-subnets', '--subnet-ids', await physicalId('berth-dev-network', 'DatabaseSubnetA'))).Subnets[0];
  assert.equal(subnet.CidrBlock, '10.10.128.0/20');
});

test('a deploy CloudFormation rejects exits non-zero and prints the reason', () => {
  // A /28 VPC passes the parameter's pattern but cannot hold the /20 subnets.
  const r = deploy(['dev', '--template', 'network', '--bucket', BUCKET, '--stack-name', 'berth-dev-bad-network', '--param', 'VpcCidr=10.99.0.0/28']);
  assert.equal(r.status, 1, r.all);
  assert.match(r.stdout, /\[fail\] stack berth-dev-bad-network: /);
  assert.match(r.stdout, /  aws: An error occurred \(InvalidSubnet.Range\) when calling the ExecuteChangeSet operation: The CIDR '10.10.0.0\/20' is invalid\./);
  // On AWS the stack rolls back to ROLLBACK_COMPLETE, its failed events (root and nested) are
  // listed and the delete command is printed. moto raises the error from ExecuteChangeSet itself,
  // records no resource events and never rolls back, so those lines cannot appear here.
});

test('the operations stack deployed alone: the alarm topic, encrypted with its key, its subscriptions and policy, in the registry', async () => {
  const r = deploy(['dev', '--template', 'operations', '--bucket', BUCKET]);
  assert.equal(r.status, 0, r.all);
  const arn = `arn:aws:sns:${REGION}:${MOTO_ACCOUNT}:berth-dev-alarms`;
  // The name every other stack builds the topic's ARN from (templates/stacks/shared/alarms.ts).
  assert.equal(await physicalId('berth-dev-operations', 'AlarmTopic'), arn);
  const attributes = (await aws('sns', 'get-topic-attributes', '--topic-arn', arn)).Attributes;
  const key = await physicalId('berth-dev-operations', 'AlarmTopicKey');
  assert.equal(attributes.KmsMasterKeyId, `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:key/${key}`);
  const policy = JSON.parse(attributes.Policy);
  assert.deepEqual(policy.Statement.map((x: { Sid: string; Effect: string; Principal: unknown }) => [x.Sid, x.Effect, x.Principal]), [
    ['CloudWatchAlarmsOfThisAccount', 'Allow', { Service: 'cloudwatch.amazonaws.com' }],
    ['EventBridgeRulesOfThisAccount', 'Allow', { Service: 'events.amazonaws.com' }],
    ['DenyInsecureTransport', 'Deny', '*'],
  ]);
  assert.deepEqual(policy.Statement[0].Condition, { StringEquals: { 'aws:SourceAccount': MOTO_ACCOUNT }, ArnLike: { 'aws:SourceArn': `arn:aws:cloudwatch:${REGION}:${MOTO_ACCOUNT}:alarm:*` } });
  // One subscription per endpoint of the settings; each waits for its endpoint to confirm.
  const subscriptions = (await aws('sns', 'list-subscriptions-by-topic', '--topic-arn', arn)).Subscriptions as { Protocol: string; Endpoint: string }[];
  assert.deepEqual(subscriptions.map((x) => [x.Protocol, x.Endpoint]).sort(), [['email', OPS_EMAIL], ['https', OPS_HOOK]]);
  assert.equal((await aws('ssm', 'get-parameter', '--name', '/berth/dev/alarm-topic-arn')).Parameter.Value, arn);
  // Not checked on moto (test/operations.test.ts checks the template): the key policy (moto's
  // describe-key fails on berth's key policies), and that the email endpoint must confirm.
});

test('load balancer deployed alone, on the network stack\'s VPC and public subnets', async () => {
  const vpcId = await physicalId('berth-dev-network', 'Vpc');
  const publicSubnets = [await physicalId('berth-dev-network', 'PublicSubnetA'), await physicalId('berth-dev-network', 'PublicSubnetB')];
  // The IDs come from the stack's resources (docs/local.md reads them from its Outputs).
  const r = deploy(['dev', '--template', 'load-balancer', '--bucket', BUCKET, '--param', `VpcId=${vpcId}`, '--param', `PublicSubnetIds=${publicSubnets.join(',')}`]);
  assert.equal(r.status, 0, r.all);
  const lbArn = await physicalId('berth-dev-load-balancer', 'LoadBalancer');
  const lb = (await aws('elbv2', 'describe-load-balancers', '--load-balancer-arns', lbArn)).LoadBalancers[0];
  assert.equal(lb.Scheme, 'internet-facing');
  assert.equal(lb.VpcId, vpcId);
  assert.deepEqual(lb.AvailabilityZones.map((z: { SubnetId: string }) => z.SubnetId).sort(), [...publicSubnets].sort());
  const sg = (await aws('ec2', 'describe-security-groups', '--group-ids', await physicalId('berth-dev-load-balancer', 'LoadBalancerSecurityGroup'))).SecurityGroups[0];
  assert.deepEqual(sg.IpPermissions.map((p: any) => [p.FromPort, p.ToPort, p.IpRanges.map((x: any) => x.CidrIp)]), [[80, 80, ['0.0.0.0/0']]]);
  const listener = (await aws('elbv2', 'describe-listeners', '--load-balancer-arn', lbArn)).Listeners[0];
  assert.equal(listener.Port, 80);
  assert.equal(listener.Protocol, 'HTTP');
  assert.deepEqual(listener.DefaultActions[0].FixedResponseConfig, { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not found' });
  // The estate registry: the listener ARN, for service stacks.
  assert.equal((await aws('ssm', 'get-parameter', '--name', '/berth/dev/listener-arn')).Parameter.Value, listener.ListenerArn);
  // The web ACL (scripts/local-aws.py creates it), and its name in the registry for the dashboard.
  const [acl] = (await aws('wafv2', 'list-web-acls', '--scope', 'REGIONAL')).WebACLs as { Name: string; Id: string; ARN: string }[];
  assert.equal(await physicalId('berth-dev-load-balancer', 'WebAcl'), `${acl!.Name}|${acl!.Id}|REGIONAL`);
  assert.equal((await aws('ssm', 'get-parameter', '--name', '/berth/dev/web-acl-name')).Parameter.Value, acl!.Name);
  const rules = (await aws('wafv2', 'get-web-acl', '--scope', 'REGIONAL', '--name', acl!.Name, '--id', acl!.Id)).WebACL.Rules as { Name: string }[];
  assert.deepEqual(rules.map((x) => x.Name), ['rate-limit-per-ip', 'AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesKnownBadInputsRuleSet', 'AWSManagedRulesCommonRuleSet']);
});

test('cluster deployed alone: the launch template is as declared (moto cannot create the capacity provider)', async () => {
  const network = (logicalId: string) => physicalId('berth-dev-network', logicalId);
  const appSubnets = [await network('ApplicationSubnetA'), await network('ApplicationSubnetB')];
  // The environment's alarm topic, which the operations stack publishes in the registry on AWS
  // (the Auto Scaling group reports failed launches and terminations to it).
  const topic = (await aws('sns', 'create-topic', '--name', 'berth-dev-alarms')).TopicArn;
  await aws('ssm', 'put-parameter', '--name', '/berth/dev/alarm-topic-arn', '--type', 'String', '--value', topic, '--overwrite');
  const r = deploy(['dev', '--template', 'cluster', '--bucket', BUCKET, '--param', `VpcId=${await network('Vpc')}`, '--param', `ApplicationSubnetIds=${appSubnets.join(',')}`]);
  // moto 5.2.5 has no AWS::ECS::CapacityProvider: it skips the resource, its Ref is empty, and the
  // first resource that names it rejects the empty value: the capacity alarm's dimension (through
  // scripts/local-aws.py, as CloudWatch's PutMetricAlarm would). On AWS this deploy succeeds.
  // When moto implements the type this assertion fails: then assert CREATE_COMPLETE and the provider.
  assert.equal(r.status, 1, r.all);
  assert.match(r.stdout, /aws: An error occurred \(ValidationError\) when calling the ExecuteChangeSet operation: 1 validation error detected: Value '' at 'dimensions\.2\.member\.value' failed to satisfy constraint: Member must have length greater than or equal to 1/);
  // moto does not roll back, so what it created before that point can be checked.
  const cluster = (logicalId: string) => physicalId('berth-dev-cluster', logicalId);
  const template = (await aws('ec2', 'describe-launch-templates', '--launch-template-ids', await cluster('LaunchTemplate'))).LaunchTemplates[0];
  const data = (await aws('ec2', 'describe-launch-template-versions', '--launch-template-id', template.LaunchTemplateId)).LaunchTemplateVersions[0].LaunchTemplateData;
  const ami = (await aws('ssm', 'get-parameter', '--name', '/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id')).Parameter.Value;
  assert.equal(data.ImageId, ami); // the public ECS-optimized AMI parameter (moto ships it)
  assert.equal(data.InstanceType, undefined); // the group's mixed instances policy names the types
  assert.deepEqual(data.MetadataOptions, { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' });
  assert.deepEqual(data.Monitoring, { Enabled: true });
  assert.equal(data.NetworkInterfaces[0].AssociatePublicIpAddress, false);
  assert.deepEqual(data.NetworkInterfaces[0].Groups, [await cluster('InstanceSecurityGroup')]);
  assert.deepEqual(data.BlockDeviceMappings[0].Ebs, { Encrypted: true, DeleteOnTermination: true, VolumeSize: 30, VolumeType: 'gp3' });
  const group = (await aws('autoscaling', 'describe-auto-scaling-groups', '--auto-scaling-group-names', await cluster('AutoScalingGroup'))).AutoScalingGroups[0];
  assert.deepEqual([group.MinSize, group.MaxSize, group.DesiredCapacity], [1, 3, 1]);
  assert.deepEqual(group.MixedInstancesPolicy.LaunchTemplate.Overrides.map((o: { InstanceType: string }) => o.InstanceType), ['c6a.large', 'c6i.large']);
  assert.deepEqual(group.VPCZoneIdentifier.split(',').sort(), [...appSubnets].sort());
  const clusters = (await aws('ecs', 'describe-clusters', '--clusters', await cluster('Cluster'))).clusters;
  assert.equal(clusters.length, 1);
  // Not checked on moto (test/cluster.test.ts checks the template): Container Insights, since
  // moto's AWS::ECS::Cluster ignores ClusterSettings.
});

test('the data stores deployed alone, on the network: encrypted with their own keys, the table recoverable to a point in time, the database admitting nobody yet, their entries in the registry', async () => {
  const network = (logicalId: string) => physicalId('berth-dev-network', logicalId);
  const vpcId = await network('Vpc');
  // The database's alarms notify the environment's alarm topic, read from the registry entry the
  // operations stack publishes (not deployed here): its topic and entry, as that stack makes them.
  const topic = (await aws('sns', 'create-topic', '--name', 'berth-dev-alarms')).TopicArn;
  await aws('ssm', 'put-parameter', '--name', '/berth/dev/alarm-topic-arn', '--type', 'String', '--value', topic, '--overwrite');
  // The Aurora store needs the VPC (a picker in the console); its subnet group defaults to the network's, by name.
  const db = deploy(['dev', '--template', 'data-appdb', '--bucket', BUCKET, '--param', `VpcId=${vpcId}`]);
  assert.equal(db.status, 0, db.all);
  // The stack read the topic from the registry entry (AWS shows it as the parameter's
  // ResolvedValue beside the entry's name; moto as its value).
  const dbParameters = (await aws('cloudformation', 'describe-stacks', '--stack-name', 'berth-dev-data-appdb')).Stacks[0].Parameters as { ParameterKey: string; ParameterValue: string; ResolvedValue?: string }[];
  const alarmTopic = dbParameters.find((x) => x.ParameterKey === 'AlarmTopicArn')!;
  assert.equal(alarmTopic.ResolvedValue ?? alarmTopic.ParameterValue, topic);
  for (const store of ['jobs', 'reports']) {
    const r = deploy(['dev', '--template', `data-${store}`, '--bucket', BUCKET]);
    assert.equal(r.status, 0, r.all);
  }
  const registry = Object.fromEntries(((await aws('ssm', 'get-parameters-by-path', '--path', '/berth/dev/stores', '--recursive')).Parameters as { Name: string; Value: string }[]).map((p) => [p.Name.replace('/berth/dev/stores/', ''), p.Value]));
  assert.deepEqual(Object.keys(registry).sort(), ['appdb/endpoint', 'appdb/reader-endpoint', 'appdb/secret-arn', 'appdb/secret-key-arn', 'appdb/security-group-id', 'jobs/key-arn', 'reports/key-arn']);
  const keyArn = async (stack: string, logicalId: string) => `arn:aws:kms:${REGION}:${MOTO_ACCOUNT}:key/${await physicalId(stack, logicalId)}`;

  // Aurora (scripts/local-aws.py gives moto's CloudFormation the AWS::RDS::DBCluster it lacks, over moto's own RDS).
  const cluster = (await aws('rds', 'describe-db-clusters', '--db-cluster-identifier', 'dev-appdb')).DBClusters[0];
  assert.deepEqual(
    [cluster.Engine, cluster.EngineVersion, cluster.DatabaseName, cluster.Port, cluster.StorageEncrypted, cluster.DBSubnetGroup, cluster.BackupRetentionPeriod, cluster.DeletionProtection, cluster.IAMDatabaseAuthenticationEnabled],
    ['aurora-postgresql', '17.9', 'appdb', 5432, true, 'dev-database', 7, false, true],
  );
  assert.deepEqual(cluster.ServerlessV2ScalingConfiguration, { MinCapacity: 0, MaxCapacity: 2 });
  assert.deepEqual(cluster.EnabledCloudwatchLogsExports, ['postgresql']);
  // Storage under the store's key; the master secret under another of its keys, the one its readers decrypt with.
  assert.equal(cluster.KmsKeyId, await keyArn('berth-dev-data-appdb', 'StorageKey'));
  assert.equal(cluster.MasterUserSecret.KmsKeyId, await keyArn('berth-dev-data-appdb', 'SecretKey'));
  assert.equal(registry['appdb/secret-key-arn'], cluster.MasterUserSecret.KmsKeyId);
  assert.equal(registry['appdb/secret-arn'], cluster.MasterUserSecret.SecretArn);
  assert.deepEqual([registry['appdb/endpoint'], registry['appdb/reader-endpoint']], [cluster.Endpoint, cluster.ReaderEndpoint]);
  const secret = await aws('secretsmanager', 'describe-secret', '--secret-id', cluster.MasterUserSecret.SecretArn);
  assert.equal(secret.KmsKeyId, cluster.MasterUserSecret.KmsKeyId);
  // The secret holds the credentials as JSON (moto writes fixed ones; RDS the master user's).
  assert.deepEqual(Object.keys(JSON.parse((await aws('secretsmanager', 'get-secret-value', '--secret-id', cluster.MasterUserSecret.SecretArn)).SecretString)), ['username', 'password']);
  assert.equal(cluster.MasterUsername, 'berth_admin');
  // One writer (dev has no readers), in the cluster.
  assert.deepEqual(cluster.DBClusterMembers.map((m: { IsClusterWriter: boolean }) => m.IsClusterWriter), [true]);
  const writer = (await aws('rds', 'describe-db-instances', '--db-instance-identifier', cluster.DBClusterMembers[0].DBInstanceIdentifier)).DBInstances[0];
  assert.deepEqual([writer.DBInstanceClass, writer.PubliclyAccessible, writer.MonitoringInterval], ['db.serverless', false, 60]);
  // The database's security group: in the VPC, admitting nobody until a service that uses the store deploys.
  const groupId = await physicalId('berth-dev-data-appdb', 'SecurityGroup');
  assert.deepEqual(cluster.VpcSecurityGroups.map((g: { VpcSecurityGroupId: string }) => g.VpcSecurityGroupId), [groupId]);
  assert.equal(registry['appdb/security-group-id'], groupId);
  const group = (await aws('ec2', 'describe-security-groups', '--group-ids', groupId)).SecurityGroups[0];
  assert.deepEqual([group.VpcId, group.IpPermissions], [vpcId, []]);

  // DynamoDB: the table's key, point-in-time recovery and expiry, as the template declares them.
  const table = (await aws('dynamodb', 'describe-table', '--table-name', 'dev-jobs')).Table;
  assert.deepEqual(table.SSEDescription, { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: await keyArn('berth-dev-data-jobs', 'TableKey') });
  assert.equal(registry['jobs/key-arn'], table.SSEDescription.KMSMasterKeyArn);
  assert.deepEqual([table.BillingModeSummary.BillingMode, table.DeletionProtectionEnabled, table.GlobalSecondaryIndexes.map((i: { IndexName: string }) => i.IndexName)], ['PAY_PER_REQUEST', false, ['by-status']]);
  assert.equal((await aws('dynamodb', 'describe-continuous-backups', '--table-name', 'dev-jobs')).ContinuousBackupsDescription.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus, 'ENABLED');
  assert.deepEqual((await aws('dynamodb', 'describe-time-to-live', '--table-name', 'dev-jobs')).TimeToLiveDescription, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });

  // S3: the bucket's name and its key.
  const bucket = `dev-reports-${MOTO_ACCOUNT}-${REGION}`;
  const encryption = (await aws('s3api', 'get-bucket-encryption', '--bucket', bucket)).ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault;
  assert.deepEqual(encryption, { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: await keyArn('berth-dev-data-reports', 'BucketKey') });
  assert.equal(registry['reports/key-arn'], encryption.KMSMasterKeyID);
  // Not checked on moto (test/data-stores.test.ts checks the templates): moto's CloudFormation
  // applies a bucket's encryption and tags only (not its versioning, public access block, logging,
  // lifecycle or Object Lock), creates no AWS::S3::BucketPolicy and no AWS::RDS::DBClusterParameterGroup
  // (TLS required). Each is asserted as moto's current behaviour, so a moto upgrade that applies it
  // fails here: then assert the setting instead.
  assert.deepEqual(Object.keys(await aws('s3api', 'get-bucket-versioning', '--bucket', bucket) ?? {}).filter((k) => k !== 'ResponseMetadata'), []);
  assert.match(await awsFails('s3api', 'get-bucket-policy', '--bucket', bucket), /NoSuchBucketPolicy/);
  assert.deepEqual((await aws('rds', 'describe-db-cluster-parameter-groups')).DBClusterParameterGroups.filter((g: { DBClusterParameterGroupName: string }) => !g.DBClusterParameterGroupName.startsWith('default')), []);
  const kinds = ((await aws('cloudformation', 'list-stack-resources', '--stack-name', 'berth-dev-data-appdb')).StackResourceSummaries as { ResourceType: string }[]).map((x) => x.ResourceType);
  assert.ok(!kinds.includes('AWS::RDS::DBClusterParameterGroup'), kinds.join(', '));
  // The database's alarms (scripts/local-aws.py creates them through moto's CloudWatch): dev's
  // Serverless v2 writer without readers, each telling the topic read from the registry on ALARM and on OK.
  const alarms = (await aws('cloudwatch', 'describe-alarms', '--alarm-name-prefix', 'dev-appdb-')).MetricAlarms as { AlarmName: string; AlarmActions: string[]; OKActions: string[] }[];
  assert.deepEqual(alarms.map((a) => a.AlarmName).sort(), ['dev-appdb-capacity', 'dev-appdb-connections', 'dev-appdb-writer-cpu', 'dev-appdb-writer-memory']);
  for (const a of alarms) assert.deepEqual([a.AlarmName, a.AlarmActions, a.OKActions], [a.AlarmName, [topic], [topic]]);
});

test('the web service deployed alone: its target group has the article\'s 12-second health check and HTTP 200, its tasks the load balancer as only source', async () => {
  const network = (logicalId: string) => physicalId('berth-dev-network', logicalId);
  const vpcId = await network('Vpc');
  // Published by the cluster stack on AWS; moto could not create the provider, and stopped before
  // publishing (previous test).
  await aws('ssm', 'put-parameter', '--name', '/berth/dev/capacity-provider-name', '--type', 'String', '--value', 'ec2-berth-dev-cluster', '--overwrite');
  const clusterArn = await physicalId('berth-dev-cluster', 'Cluster');
  await aws('ssm', 'put-parameter', '--name', '/berth/dev/cluster-name', '--type', 'String', '--value', clusterArn.split('/').pop()!, '--overwrite');
  // Published by the worker stack, whose queue web sends to (`sendsTo`); not deployed here. (The
  // URL without its scheme: AWS CLI 1.x would fetch an https:// parameter value.)
  const queue: [string, string][] = [['url', 'sqs.eu-west-1.amazonaws.com/123456789012/dev-worker'], ['arn', 'arn:aws:sqs:eu-west-1:123456789012:dev-worker'], ['key-arn', 'arn:aws:kms:eu-west-1:123456789012:key/00000000-0000-0000-0000-000000000000']];
  for (const [key, value] of queue) await aws('ssm', 'put-parameter', '--name', `/berth/dev/services/worker/queue-${key}`, '--type', 'String', '--value', value, '--overwrite');
  const lbGroup = await physicalId('berth-dev-load-balancer', 'LoadBalancerSecurityGroup');
  const r = deploy([
    'dev', '--template', 'service-web', '--bucket', BUCKET,
    '--param', `VpcId=${vpcId}`,
    '--param', `ApplicationSubnetIds=${await network('ApplicationSubnetA')},${await network('ApplicationSubnetB')}`,
    '--param', `LoadBalancerSecurityGroupId=${lbGroup}`,
  ]);
  // (This runs on scripts/local-aws.py, which fixes moto's AWS::KMS::Key tag handling.)
  assert.equal(r.status, 0, r.all);
  const service = (logicalId: string) => physicalId('berth-dev-service-web', logicalId);
  const tg = (await aws('elbv2', 'describe-target-groups', '--target-group-arns', await service('TargetGroup'))).TargetGroups[0];
  assert.equal(tg.HealthCheckIntervalSeconds, 12);
  assert.deepEqual(tg.Matcher, { HttpCode: '200' });
  assert.equal(tg.HealthCheckPath, '/health'); // the fixture web service's path (test/fixtures/services/web.ts)
  assert.equal(tg.TargetType, 'ip');
  assert.equal(tg.Port, 8080);
  assert.equal(tg.VpcId, vpcId);
  const sg = (await aws('ec2', 'describe-security-groups', '--group-ids', await service('SecurityGroup'))).SecurityGroups[0];
  assert.deepEqual(
    sg.IpPermissions.map((p: any) => [p.IpProtocol, p.FromPort, p.ToPort, p.IpRanges.length, p.UserIdGroupPairs.map((g: { GroupId: string }) => g.GroupId)]),
    [['tcp', 8080, 8080, 0, [lbGroup]]],
  );
  // web uses appdb (`connect`): the database's group now admits web's tasks, and only them, on
  // PostgreSQL's port; web's tasks may reach it there.
  const dbGroup = await physicalId('berth-dev-data-appdb', 'SecurityGroup');
  const db = (await aws('ec2', 'describe-security-groups', '--group-ids', dbGroup)).SecurityGroups[0];
  assert.deepEqual(
    db.IpPermissions.map((p: any) => [p.IpProtocol, p.FromPort, p.ToPort, p.IpRanges.length, p.UserIdGroupPairs.map((g: { GroupId: string }) => g.GroupId)]),
    [['tcp', 5432, 5432, 0, [sg.GroupId]]],
  );
  // Not checked on moto (test/data-stores.test.ts checks the template): the tasks' egress to the
  // database, since moto's AWS::EC2::SecurityGroup ignores SecurityGroupEgress (asserted as its
  // current behaviour: its default rule only).
  assert.deepEqual(sg.IpPermissionsEgress.map((p: any) => [p.IpProtocol, p.IpRanges.map((r: { CidrIp: string }) => r.CidrIp), p.UserIdGroupPairs.length]), [['-1', ['0.0.0.0/0'], 0]]);
  // The execution role may read exactly the database's secret, and decrypt with exactly its key.
  const secretArn = (await aws('ssm', 'get-parameter', '--name', '/berth/dev/stores/appdb/secret-arn')).Parameter.Value;
  const executionRole = await service('ExecutionRole');
  const policy = (await aws('iam', 'get-role-policy', '--role-name', executionRole, '--policy-name', 'start-task')).PolicyDocument;
  // (moto answers with the document as the Python text it stored, so it is searched, not parsed.)
  const text = typeof policy === 'string' ? decodeURIComponent(policy) : JSON.stringify(policy);
  const keyArn = (await aws('ssm', 'get-parameter', '--name', '/berth/dev/stores/appdb/secret-key-arn')).Parameter.Value;
  for (const part of ['ReadDatabaseSecrets', secretArn, 'DecryptDatabaseSecrets', keyArn]) assert.ok(text.includes(part), `${part} in ${text}`);
  const logs = (await aws('logs', 'describe-log-groups', '--log-group-name-prefix', '/berth/dev/web')).logGroups[0];
  assert.equal(logs.retentionInDays, 30);
  assert.match(await service('LogKey'), /^[0-9a-f-]{36}$/); // KmsKeyId: see the network test

  // Its alarms: each watches this stack's target group and the load balancer its listener belongs
  // to (typed references resolved by CloudFormation, not names typed by hand), and tells the
  // operations stack's topic on ALARM and on OK.
  const alarms = (await aws('cloudwatch', 'describe-alarms', '--alarm-name-prefix', 'dev-web-')).MetricAlarms as any[];
  assert.deepEqual(alarms.map((a) => a.AlarmName).sort(), ['dev-web-cpu-high', 'dev-web-memory-high', 'dev-web-response-time-p99', 'dev-web-running-tasks-low', 'dev-web-target-5xx-rate', 'dev-web-unhealthy-targets']);
  const topic = `arn:aws:sns:${REGION}:${MOTO_ACCOUNT}:berth-dev-alarms`;
  for (const a of alarms) assert.deepEqual([a.AlarmActions, a.OKActions], [[topic], [topic]], a.AlarmName);
  const lbArn = await physicalId('berth-dev-load-balancer', 'LoadBalancer');
  // Full names: the ARNs' last parts, app/<name>/<id> and targetgroup/<name>/<id>.
  const dimensions = { LoadBalancer: lbArn.slice(lbArn.indexOf(':loadbalancer/') + ':loadbalancer/'.length), TargetGroup: tg.TargetGroupArn.slice(tg.TargetGroupArn.indexOf('targetgroup/')) };
  assert.match(dimensions.LoadBalancer, /^app\/[^/]+\/[^/]+$/);
  const rate = alarms.find((a) => a.AlarmName === 'dev-web-target-5xx-rate');
  assert.deepEqual([rate.EvaluationPeriods, rate.DatapointsToAlarm, rate.Threshold, rate.ComparisonOperator, rate.TreatMissingData], [3, 2, 1, 'GreaterThanThreshold', 'notBreaching']);
  for (const m of rate.Metrics.filter((x: any) => x.MetricStat)) {
    assert.deepEqual(Object.fromEntries(m.MetricStat.Metric.Dimensions.map((d: { Name: string; Value: string }) => [d.Name, d.Value])), dimensions, m.Id);
  }
  const latency = alarms.find((a) => a.AlarmName === 'dev-web-response-time-p99');
  assert.deepEqual([latency.ExtendedStatistic, latency.Threshold, Object.fromEntries(latency.Dimensions.map((d: { Name: string; Value: string }) => [d.Name, d.Value]))], ['p99', 2, dimensions]);
  // The ECS metrics name the service by the name CloudFormation gave it, on the registry's cluster.
  const clusterName = (await aws('ssm', 'get-parameter', '--name', '/berth/dev/cluster-name')).Parameter.Value;
  const serviceName = (await service('Service')).split('/').pop();
  const cpu = alarms.find((a) => a.AlarmName === 'dev-web-cpu-high');
  assert.deepEqual(Object.fromEntries(cpu.Dimensions.map((d: { Name: string; Value: string }) => [d.Name, d.Value])), { ClusterName: clusterName, ServiceName: serviceName });
  // Not checked on moto (test/service.test.ts and test/operations.test.ts check the template): the
  // ECS service's placement, circuit breaker, deployment alarms and capacity-provider strategy,
  // which moto's ECS ignores.
});

test('a deploy of a stack that has its alarms gives them to CloudFormation as rollback triggers, leaving out one already in ALARM', async () => {
  const again = ['dev', '--template', 'service-web', '--bucket', BUCKET];
  const r = deploy(again);
  assert.equal(r.status, 0, r.all);
  // The template names its deployment alarms (Metadata berth:rollback-triggers); deploy.sh finds them in the stack and in CloudWatch.
  assert.match(r.stdout, /==> rollback triggers of stack berth-dev-service-web\n  rollback trigger: dev-web-target-5xx-rate \(\w+\)\n  rollback trigger: dev-web-unhealthy-targets \(\w+\)\n  CloudFormation rolls the deploy back if one goes to ALARM during it or in the 5 minutes after\n/);
  // An alarm in ALARM already would roll the deploy back at once: left out, so a deploy can ship the fix.
  await aws('cloudwatch', 'set-alarm-state', '--alarm-name', 'dev-web-unhealthy-targets', '--state-value', 'ALARM', '--state-reason', 'test');
  const fixing = deploy(again);
  assert.equal(fixing.status, 0, fixing.all);
  assert.match(fixing.stdout, /  rollback trigger: dev-web-target-5xx-rate \(\w+\)\n  not a rollback trigger: dev-web-unhealthy-targets: in ALARM now, so left out/);
  const none = deploy([...again, '--no-rollback-triggers']);
  assert.equal(none.status, 0, none.all);
  assert.match(none.stdout, /==> rollback triggers of stack berth-dev-service-web: none \(--no-rollback-triggers\)\n/);
  await aws('cloudwatch', 'set-alarm-state', '--alarm-name', 'dev-web-unhealthy-targets', '--state-value', 'OK', '--state-reason', 'test');
  // moto accepts the change set's rollback configuration but keeps none of it; the request itself
  // is checked against the scripted CLI (the failed canary test below).
});

/** A `Fn::Sub` of a parsed template filled in: each `${name}` from `values` (all must be known). */
function fillSub(sub: unknown, values: Record<string, string>): string {
  const [text, vars] = Array.isArray((sub as any)['Fn::Sub']) ? (sub as any)['Fn::Sub'] : [(sub as any)['Fn::Sub'], {}];
  return (text as string).replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
    const value = values[name] ?? values[JSON.stringify(vars[name])];
    assert.ok(value !== undefined, `no value for \${${name}} (${JSON.stringify(vars[name])})`);
    return value;
  });
}

test('the dashboard stack deployed alone draws the environment, and a service\'s widgets filled in by CloudFormation are valid dashboard JSON naming its resources', async () => {
  const web = (logicalId: string) => physicalId('berth-dev-service-web', logicalId);
  const lbArn = await physicalId('berth-dev-load-balancer', 'LoadBalancer');
  const loadBalancer = lbArn.slice(lbArn.indexOf('app/'));
  const targetGroup = (await web('TargetGroup')).slice((await web('TargetGroup')).indexOf('targetgroup/'));
  const clusterName = (await aws('ssm', 'get-parameter', '--name', '/berth/dev/cluster-name')).Parameter.Value;
  const serviceName = (await web('Service')).split('/').pop()!;
  // What CloudFormation makes of the web stack's DashboardWidgets output (moto keeps no outputs of
  // a change-set stack): its handles resolved to the deployed resources' names.
  const doc = parseTemplate(readFileSync(join(OUTPUT, 'service-web.yaml'), 'utf8'), 'service-web.yaml') as any;
  const listenerName = JSON.stringify({ 'Fn::Join': ['/', [1, 2, 3].map((i) => ({ 'Fn::Select': [i, { 'Fn::Split': ['/', { Ref: 'ListenerArn' }] }] }))] });
  const widgets = fillSub(doc.Outputs.DashboardWidgets.Value, {
    'AWS::Region': REGION,
    'TargetGroup.TargetGroupFullName': targetGroup,
    'Service.Name': serviceName,
    ClusterName: clusterName,
    [listenerName]: loadBalancer,
  });
  const r = deploy(['dev', '--template', 'dashboard', '--bucket', BUCKET, '--param', `WebWidgets=${widgets}`]);
  assert.equal(r.status, 0, r.all);
  const board = (await aws('cloudwatch', 'get-dashboard', '--dashboard-name', 'berth-dev')) as { DashboardBody: string };
  const body = JSON.parse(board.DashboardBody) as { widgets: { type: string; properties: any }[] };
  const titles = body.widgets.map((w) => (w.type === 'text' ? w.properties.markdown.split('\n')[0] : w.properties.title));
  assert.deepEqual(titles, [
    '## berth dev',
    'Load balancer: requests',
    'Load balancer: 5xx',
    'Load balancer: response time (s)',
    'Cluster capacity',
    'Firewall: requests',
    '### web',
    'web: requests and server errors',
    'web: response time (p99, s)',
    'web: running tasks, CPU and memory',
    // Not passed here: the placeholder notes, until their stacks' widgets are.
    '### worker',
    '### report',
  ]);
  const metric = (title: string, i = 0) => body.widgets.find((w) => w.properties.title === title)!.properties.metrics[i] as unknown[];
  for (const w of body.widgets.filter((x) => x.type === 'metric')) assert.equal(w.properties.region, REGION, w.properties.title);
  assert.deepEqual(metric('Load balancer: requests'), ['AWS/ApplicationELB', 'RequestCount', 'LoadBalancer', loadBalancer, { stat: 'Sum', label: 'Requests' }]);
  assert.deepEqual(metric('web: requests and server errors').slice(0, 6), ['AWS/ApplicationELB', 'RequestCount', 'LoadBalancer', loadBalancer, 'TargetGroup', targetGroup]);
  assert.deepEqual(metric('web: running tasks, CPU and memory').slice(0, 6), ['ECS/ContainerInsights', 'RunningTaskCount', 'ClusterName', clusterName, 'ServiceName', serviceName]);
  assert.deepEqual(metric('Cluster capacity').slice(0, 6), ['AWS/ECS/ManagedScaling', 'CapacityProviderReservation', 'ClusterName', clusterName, 'CapacityProviderName', 'ec2-berth-dev-cluster']);
  // The web ACL by the name the load balancer stack published (its registry entry, read by SSM type).
  const [acl] = (await aws('wafv2', 'list-web-acls', '--scope', 'REGIONAL')).WebACLs as { Name: string }[];
  assert.deepEqual(metric('Firewall: requests').slice(0, 8), ['AWS/WAFV2', 'AllowedRequests', 'Region', REGION, 'Rule', 'ALL', 'WebACL', acl!.Name]);
});

test('publishing the Service Catalog portfolio uploads the products under their version and deploys the portfolio stack', async () => {
  const principal = 'arn:aws:iam::123456789012:role/Developers';
  const r = deploy(['dev', '--template', 'service-catalog', '--bucket', BUCKET, '--param', `Principal1Arn=${principal}`]);
  assert.equal(r.status, 0, r.all);
  const version = (parseTemplate(readFileSync(join(OUTPUT, 'service-catalog.yaml'), 'utf8'), 'service-catalog.yaml') as any).Parameters.TemplateVersion.Default as string;
  assert.match(version, /^[0-9a-f]{12}$/);
  assert.match(r.stdout, new RegExp(`\\[pass\\] product templates published to s3://${BUCKET}/berth/dev/${version}/`));
  // Each product is output/ as CloudFormation reads it; the estate's nested templates are in the bucket.
  for (const file of ['foundation.yaml', 'service-web.yaml', 'service-worker.yaml', 'service-report.yaml']) await assertPackaged(`berth/dev/${version}/${file}`, file);

  const stack = (await aws('cloudformation', 'describe-stacks', '--stack-name', 'berth-dev-service-catalog')).Stacks[0];
  assert.equal(stack.StackStatus, 'CREATE_COMPLETE');
  const params = Object.fromEntries(stack.Parameters.map((p: { ParameterKey: string; ParameterValue: string }) => [p.ParameterKey, p.ParameterValue]));
  assert.deepEqual([params.TemplateBucket, params.TemplatePrefix, params.TemplateVersion, params.Principal1Arn], [BUCKET, 'berth', version, principal]);

  // moto answers describe-stack-resource on this stack with HTTP 500 (it lists the skipped
  // Service Catalog resources without physical IDs), so the IDs come from list-stack-resources.
  const resources = (await aws('cloudformation', 'list-stack-resources', '--stack-name', 'berth-dev-service-catalog')).StackResourceSummaries as any[];
  const id = (logicalId: string) => resources.find((x) => x.LogicalResourceId === logicalId)?.PhysicalResourceId as string;
  // The launch role and its policies are real on moto.
  // By its fixed name: the launch constraints name it so (LocalRoleName).
  assert.equal(id('LaunchRole'), 'berth-dev-launch');
  const role = (await aws('iam', 'get-role', '--role-name', 'berth-dev-launch')).Role;
  assert.deepEqual(role.AssumeRolePolicyDocument.Statement, [
    { Effect: 'Allow', Principal: { Service: 'servicecatalog.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': MOTO_ACCOUNT } } },
  ]);
  // The launch policies exist...
  const launchPolicies = resources.filter((x) => /^Launch\w+Policy$/.test(x.LogicalResourceId));
  assert.ok(launchPolicies.length >= 4, JSON.stringify(launchPolicies));
  for (const p of launchPolicies) assert.match(p.PhysicalResourceId, new RegExp(`^arn:aws:iam::${MOTO_ACCOUNT}:policy/berth-dev-service-catalog-${p.LogicalResourceId}-`));
  // ...and the boundary, at the path and name the products' roles name.
  assert.equal(id('RoleBoundary'), `arn:aws:iam::${MOTO_ACCOUNT}:policy/berth/dev/role-boundary`);
  // ...but moto's AWS::IAM::Role ignores ManagedPolicyArns, so nothing is attached to the role here
  // (test/service-catalog.test.ts checks the role lists them all). When moto attaches them, this
  // assertion fails: then assert the ARNs.
  assert.deepEqual((await aws('iam', 'list-attached-role-policies', '--role-name', role.RoleName)).AttachedPolicies, []);
  const policy = (await aws('iam', 'get-policy', '--policy-arn', id('LaunchStacksPolicy'))).Policy;
  const document = (await aws('iam', 'get-policy-version', '--policy-arn', policy.Arn, '--version-id', policy.DefaultVersionId)).PolicyVersion.Document;
  const statements = (typeof document === 'string' ? JSON.parse(decodeURIComponent(document)) : document).Statement as any[];
  // The launch role may read the environment's product templates, every version (a product
  // provisioned from an older one reads its own again on update), and Service Catalog's copies.
  assert.deepEqual(statements.filter((x) => x.Action === 's3:GetObject').map((x) => x.Resource), ['arn:aws:s3:::*/*', `arn:aws:s3:::${BUCKET}/berth/dev/*`]);

  // moto 5.2.5 implements no AWS::ServiceCatalog::* resource in CloudFormation (it skips them with
  // a warning), so the portfolio, products, launch constraints and principal association cannot
  // be described here; test/service-catalog.test.ts checks them in the template. When moto adds
  // them this assertion fails: then describe the portfolio and its products instead.
  assert.deepEqual((await aws('servicecatalog', 'list-portfolios')).PortfolioDetails, []);
});

test('teardown: refuses what would fail half-way with the fix, deletes with live events, lists what it keeps with the command that removes each', async () => {
  // A layer others are deployed on refuses, naming them (services first, then stores, cluster and load balancer, then network).
  const network = deploy(['dev', '--template', 'network', '--delete']);
  assert.equal(network.status, 1, network.all);
  const refused = network.stderr.trimEnd().split('\n');
  assert.deepEqual(refused.map((l) => /stack (\S+) is deployed on top of berth-dev-network/.exec(l)?.[1]).sort(), ['berth-dev-cluster', 'berth-dev-data-appdb', 'berth-dev-data-jobs', 'berth-dev-data-reports', 'berth-dev-load-balancer', 'berth-dev-service-web']);
  assert.match(refused[0]!, /Delete it first: `scripts\/deploy\.sh dev --template \S+ --delete`, then run `scripts\/deploy\.sh dev --template network --delete` again\.$/);

  // A service: deleted, its log group and key kept (DeletionPolicy), each with the command that removes it.
  const logGroup = await physicalId('berth-dev-service-web', 'LogGroup');
  const key = await physicalId('berth-dev-service-web', 'LogKey');
  const web = deploy(['dev', '--template', 'service-web', '--delete']);
  assert.equal(web.status, 0, web.all);
  assert.match(web.stdout, /==> deleting stack berth-dev-service-web \(events as they arrive\)\n(  \d\d:\d\d:\d\d  berth-dev-service-web .*\n)*\[pass\] stack berth-dev-service-web deleted in \dm \d\ds\n/);
  assert.ok(web.stdout.includes(`  ${'AWS::Logs::LogGroup'.padEnd(28)} ${logGroup}\n    aws logs delete-log-group --log-group-name ${logGroup} --region eu-west-1\n`), web.stdout);
  assert.ok(web.stdout.includes(`  ${'AWS::KMS::Key'.padEnd(28)} ${key}\n    aws kms schedule-key-deletion --key-id ${key} --pending-window-in-days 7 --region eu-west-1\n`), web.stdout);
  assert.match(await awsFails('cloudformation', 'describe-stacks', '--stack-name', 'berth-dev-service-web'), /does not exist/);
  assert.equal((await aws('logs', 'describe-log-groups', '--log-group-name-prefix', logGroup)).logGroups.length, 1);
  // On AWS, web's rule on the database's group goes with web's stack; moto's
  // AWS::EC2::SecurityGroupIngress leaves the rule behind (asserted as its current behaviour).
  const dbRules = (await aws('ec2', 'describe-security-groups', '--group-ids', await physicalId('berth-dev-data-appdb', 'SecurityGroup'))).SecurityGroups[0].IpPermissions;
  assert.deepEqual(dbRules.map((p: any) => [p.FromPort, p.UserIdGroupPairs.length]), [[5432, 1]]);

  // A table's store: deleted, the table (and its data) kept, with the commands that remove it.
  const tables = deploy(['dev', '--template', 'data-jobs', '--delete']);
  assert.equal(tables.status, 0, tables.all);
  assert.ok(tables.stdout.includes(`  ${'AWS::DynamoDB::Table'.padEnd(28)} dev-jobs\n    aws dynamodb update-table --table-name dev-jobs --no-deletion-protection-enabled --region eu-west-1 && aws dynamodb delete-table --table-name dev-jobs --region eu-west-1\n`), tables.stdout);
  assert.equal((await aws('dynamodb', 'describe-table', '--table-name', 'dev-jobs')).Table.TableName, 'dev-jobs');

  // Deletion protection on the load balancer (prod's setting): refused before anything is deleted, with the command that lifts it.
  const lb = await physicalId('berth-dev-load-balancer', 'LoadBalancer');
  await aws('elbv2', 'modify-load-balancer-attributes', '--load-balancer-arn', lb, '--attributes', 'Key=deletion_protection.enabled,Value=true');
  const protectedLb = deploy(['dev', '--template', 'load-balancer', '--delete']);
  assert.equal(protectedLb.status, 1, protectedLb.all);
  assert.equal(
    protectedLb.stderr,
    `error: load balancer LoadBalancer (berth-dev-load-balancer) has deletion protection on (the environment's \`loadBalancer.deletionProtection\`), so the delete would fail half-way. If the estate is to go: ` +
      `\`aws elbv2 modify-load-balancer-attributes --load-balancer-arn ${lb} --attributes Key=deletion_protection.enabled,Value=false --region eu-west-1\`, then run \`scripts/deploy.sh dev --template load-balancer --delete\` again.\n`,
  );
  assert.equal((await aws('cloudformation', 'describe-stacks', '--stack-name', 'berth-dev-load-balancer')).Stacks[0].StackStatus, 'CREATE_COMPLETE');
  await aws('elbv2', 'modify-load-balancer-attributes', '--load-balancer-arn', lb, '--attributes', 'Key=deletion_protection.enabled,Value=false');
  const lbGone = deploy(['dev', '--template', 'load-balancer', '--delete']);
  assert.equal(lbGone.status, 0, lbGone.all);
  assert.match(lbGone.stdout, /\[pass\] stack berth-dev-load-balancer deleted/);

  // A stack that is not there: nothing to do.
  const again = deploy(['dev', '--template', 'load-balancer', '--delete']);
  assert.equal(again.status, 0, again.all);
  assert.match(again.stdout, /\[pass\] stack berth-dev-load-balancer does not exist in eu-west-1: nothing to delete\n$/);
});

test('a stack left in REVIEW_IN_PROGRESS by a change set never executed is refused at once with the fix, not waited on', async () => {
  await aws('cloudformation', 'create-change-set', '--stack-name', 'berth-dev-review', '--change-set-name', 'interrupted', '--change-set-type', 'CREATE', '--template-body', '{"Resources":{"T":{"Type":"AWS::SNS::Topic"}}}');
  const r = deploy(['dev', '--template', 'network', '--bucket', BUCKET, '--stack-name', 'berth-dev-review']);
  assert.equal(r.status, 1, r.all);
  assert.equal(
    r.stderr,
    'error: stack berth-dev-review is in REVIEW_IN_PROGRESS: a change set created it and was never executed (an interrupted deploy or preview), and a deploy would wait on it. ' +
      'It holds no resources: delete it, then deploy again: aws cloudformation delete-stack --stack-name berth-dev-review --region eu-west-1\n',
  );
});

test('a failed nested stack: events of root and nested stack as they arrive, the failed ones again, and the delete command (scripted CLI)', () => {
  // moto records no resource events and never rolls back, so this path runs against a scripted
  // AWS CLI (test/fixtures/fake-aws/aws) that plays a root stack whose nested Network stack fails.
  const dir = makeSandbox();
  const state = tempDir('fake-aws');
  try {
    rmSync(join(dir, '.venv'));
    mkdirSync(join(dir, '.venv/bin'), { recursive: true });
    cpSync(join(ROOT, 'test/fixtures/fake-aws/aws'), join(dir, '.venv/bin/aws'));
    const env = { FAKE_AWS_STATE: state, AWS_ENDPOINT_URL: undefined };
    const r = deploy(['dev'], { dir, env });
    assert.equal(r.status, 1, r.all);
    const events = r.stdout.slice(r.stdout.indexOf('events as they arrive)\n') + 'events as they arrive)\n'.length, r.stdout.indexOf('[fail]'));
    // In time order, each once, the nested stack's under its logical ID.
    assert.deepEqual(events.trimEnd().split('\n').map((l) => l.trim().split(/ {2,}/).slice(0, 4)), [
      ['10:00:01', 'berth-dev', 'CREATE_IN_PROGRESS', 'berth-dev'],
      ['10:00:02', 'Network', 'CREATE_IN_PROGRESS', 'Vpc'],
      ['10:00:02', 'berth-dev', 'CREATE_IN_PROGRESS', 'Network'],
      ['10:00:03', 'Network', 'CREATE_FAILED', 'Vpc'],
      ['10:00:04', 'berth-dev', 'CREATE_FAILED', 'Network'],
      ['10:00:05', 'berth-dev', 'ROLLBACK_COMPLETE', 'berth-dev'],
    ]);
    assert.match(r.stdout, /\[fail\] stack berth-dev: ROLLBACK_COMPLETE after \dm \d\ds\nFailed events/);
    const failed = r.stdout.slice(r.stdout.indexOf('Failed events (stack, logical ID, status, reason):\n'));
    assert.match(failed, /\n  10:00:03  Network +CREATE_FAILED +Vpc +The CIDR '10.10.0.0\/28' is invalid\.\n  10:00:04  berth-dev +CREATE_FAILED +Network +Embedded stack .* was not successfully created\n/);
    assert.match(r.stdout, /Stack berth-dev is in ROLLBACK_COMPLETE: it was never created and cannot be updated\. Delete it before the next deploy:\n  aws cloudformation delete-stack --stack-name berth-dev --region eu-west-1\n$/);

    // The next deploy refuses to start on it, with the same command.
    const again = deploy(['dev'], { dir, env });
    assert.equal(again.status, 1, again.all);
    assert.match(again.stderr, /^error: stack berth-dev is in ROLLBACK_COMPLETE: its creation failed and it cannot be updated\. Delete it, then deploy again: aws cloudformation delete-stack --stack-name berth-dev --region eu-west-1\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
});

/** A sandbox whose dev web service deploys canary (prod's default), built. */
function canarySandbox(): string {
  const dir = makeSandbox();
  const file = join(dir, 'templates/environments/dev.json');
  const settings = JSON.parse(readFileSync(file, 'utf8'));
  settings.operations = { ...settings.operations, webDeployment: { strategy: 'canary', canaryPercent: 5, canaryBakeTimeMinutes: 3, bakeTimeMinutes: 3 } };
  writeFileSync(file, JSON.stringify(settings, null, 2));
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'build'], { cwd: dir, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  return dir;
}

/** deploy.sh's output from the rollback triggers on, times and change-set names made stable: the sample in docs/operations.md. */
function failedCanarySample(stdout: string): string {
  return stdout
    .slice(stdout.indexOf('==> rollback triggers'))
    .replace(/berth-deploy-\d+/g, 'berth-deploy-1767261600')
    .replace(/ after \dm \d\ds/, ' after 14m 05s');
}

test('a failed canary: the deploy guard goes to CloudFormation as a rollback trigger, ECS rolls the service back, deploy.sh says why (scripted CLI)', () => {
  // moto runs no ECS deployment and never rolls back: a scripted AWS CLI (test/fixtures/fake-aws/aws)
  // plays an estate whose web service's canary trips its deployment alarm.
  const dir = canarySandbox();
  const state = tempDir('fake-aws');
  try {
    rmSync(join(dir, '.venv'));
    mkdirSync(join(dir, '.venv/bin'), { recursive: true });
    cpSync(join(ROOT, 'test/fixtures/fake-aws/aws'), join(dir, '.venv/bin/aws'));
    const r = deploy(['dev'], { dir, env: { FAKE_AWS_STATE: state, FAKE_AWS_SCENARIO: 'canary', AWS_ENDPOINT_URL: undefined } });
    assert.equal(r.status, 1, r.all);
    // The change set carried the deploy guard, with dev's monitoring time (5 minutes, the default).
    const request = readFileSync(join(state, 'create-change-set.0.args'), 'utf8');
    assert.match(request, /--change-set-type UPDATE /);
    assert.match(request, /--rollback-configuration file:\/\//);
    assert.deepEqual(JSON.parse(readFileSync(join(state, 'create-change-set.0.rollback.json'), 'utf8')), {
      RollbackTriggers: [{ Arn: `arn:aws:cloudwatch:${REGION}:111122223333:alarm:dev-deploy-guard`, Type: 'AWS::CloudWatch::CompositeAlarm' }],
      MonitoringTimeInMinutes: 5,
    });
    const out = failedCanarySample(r.stdout);
    assert.match(out, /^==> rollback triggers of stack berth-dev\n  rollback trigger: dev-deploy-guard \(OK\), in ALARM when one of these is: dev-web-target-5xx-rate, dev-web-unhealthy-targets, dev-worker-dead-letters\n/);
    assert.match(out, /\n  10:00:03  WebService +UPDATE_FAILED +Service +Deployment failed and rolled back: the deployment alarm dev-web-target-5xx-rate went to ALARM/);
    assert.match(out, /\[fail\] stack berth-dev: UPDATE_ROLLBACK_COMPLETE after 14m 05s\n  rolled back: The following resource\(s\) failed to update: \[WebService\]\.\nFailed events/);
    // The sample in docs/operations.md is this run's output.
    const docs = readFileSync(join(ROOT, 'docs/operations.md'), 'utf8');
    const sample = /<!-- failed-canary -->\n```\n([\s\S]*?)```/.exec(docs);
    assert.ok(sample, 'docs/operations.md: the failed-canary sample');
    assert.equal(sample[1], `$ scripts/deploy.sh dev\n...\n${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
});

test('--preview says in plain words when a change replaces the cluster\'s instances (scripted CLI)', () => {
  // moto creates no nested change sets, so this plays a root change set whose nested cluster change
  // set modifies the launch template and the Auto Scaling group (test/fixtures/fake-aws/aws).
  const dir = makeSandbox();
  const state = tempDir('fake-aws');
  try {
    rmSync(join(dir, '.venv'));
    mkdirSync(join(dir, '.venv/bin'), { recursive: true });
    cpSync(join(ROOT, 'test/fixtures/fake-aws/aws'), join(dir, '.venv/bin/aws'));
    const r = deploy(['dev', '--preview'], { dir, env: { FAKE_AWS_STATE: state, AWS_ENDPOINT_URL: undefined } });
    assert.equal(r.status, 0, r.all);
    assert.match(r.stdout, /\n  berth-dev\/Cluster +Modify +AutoScalingGroup +AWS::AutoScaling::AutoScalingGroup +conditional\n/);
    assert.match(
      r.stdout,
      /\nInstances: this change replaces the cluster's EC2 instances \(berth-dev\/Cluster\/LaunchTemplate berth-dev\/Cluster\/AutoScalingGroup change\)\. The Auto Scaling group's rolling update starts new instances from the new launch template version and terminates the old ones a batch at a time; ECS drains their tasks to the new instances first\. Expect a few minutes per instance\.\n\[pass\] preview of berth-dev: 3 changes shown/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  }
});

test('make deploy and make publish run scripts/deploy.sh with the environment and options', () => {
  const deployCmd = spawnSync('make', ['-n', '-C', ROOT, 'deploy', 'ENV=dev', 'ARGS=--template network --preview'], { encoding: 'utf8' }).stdout;
  assert.match(deployCmd, /^scripts\/deploy.sh dev --template network --preview$/m);
  const publishCmd = spawnSync('make', ['-n', '-C', ROOT, 'publish', 'ENV=prod', 'BUCKET=my-bucket', 'PRINCIPAL=arn:aws:iam::123456789012:role/Dev'], { encoding: 'utf8' }).stdout;
  assert.match(publishCmd, /^scripts\/deploy.sh prod --template service-catalog --bucket my-bucket --param Principal1Arn=arn:aws:iam::123456789012:role\/Dev\s*$/m);
  const missing = spawnSync('make', ['-s', '-C', ROOT, 'deploy'], { encoding: 'utf8' });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /error: `make deploy` needs ENV, e\.g\. `make deploy ENV=dev`/);
});
