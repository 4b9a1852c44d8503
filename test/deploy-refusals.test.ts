/**
 * What scripts/deploy.sh refuses, and how it reports failures: bad flags, the preflight's offline
 * and account checks, stale output, invalid parameters, the lint gates' verdict (the real gates
 * once), and, against a scripted AWS CLI, failed nested stacks, a failed canary and replacements.
 * The set-up and helpers are test/_deploy.ts; the deploys themselves are test/deploy.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureEstateOutput, installFixtureEstate, ROOT, sandbox as fixtureSandbox, tempDir } from './_helpers.ts';
import { aws, awsEnv, awsFails, BUCKET, deploy, makeSandbox, REGION, sandbox, scriptedSandbox, useDeploySuite } from './_deploy.ts';

useDeploySuite();

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

test('a bad BERTH_AWS_WORKERS fails with one line before any helper runs (exit 2)', () => {
  const r = deploy(['dev', '--template', 'network'], { env: { BERTH_AWS_WORKERS: 'many' } });
  assert.equal(r.status, 2, r.all);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'error: `BERTH_AWS_WORKERS=many`: expected a whole number of AWS CLI processes per helper from 1 to 8, or unset for 3. Run `scripts/deploy.sh --help` for the options.\n');
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

test('a failed nested stack: events of root and nested stack as they arrive, the failed ones again, and the delete command (scripted CLI)', () => {
  // moto records no resource events and never rolls back, so this path runs against a scripted
  // AWS CLI (test/fixtures/fake-aws/aws) that plays a root stack whose nested Network stack fails.
  const { dir, state } = scriptedSandbox();
  try {
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
  const { dir, state } = scriptedSandbox();
  try {
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
