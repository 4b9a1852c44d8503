/**
 * The deploy preflight (scripts/preflight.ts) against a local moto server: a fixture template
 * (test/fixtures/preflight/app.yaml) with one of each thing it reads from the account, checked
 * first in an empty account (every problem found, one line each, the service-linked roles
 * created), then once the account holds what the template needs (clean, and idempotent), then
 * with a zone of another domain and a certificate not yet issued. The preflight is run as
 * deploy.sh runs it, in a sandbox copy of the repository whose output/dev/ holds the fixture.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { installFixtureEstate, PYTHON, ROOT, tempDir } from './_helpers.ts';
import { MOTO_ACCOUNT, startMoto, type Moto } from './_moto.ts';
import { AwsCli, awsEnv } from './_moto-aws.ts';
import { covers } from '../scripts/preflight.ts';
import { makeAws } from '../scripts/deploy-aws.ts';

const REGION = 'eu-west-1';
const DOMAIN = 'app.berth-fixture.dev';
const IMAGE = `${MOTO_ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/berth/fixture:1.2.3`;
const SECRET_NAME = 'berth/fixture/api-key';
let moto: Moto | undefined;
let cli: AwsCli;
let sandbox = '';
let work = '';

before(async () => {
  moto = await startMoto();
  cli = new AwsCli(awsEnv(moto.endpoint, REGION, { AWS_DEFAULT_REGION: REGION }));
  sandbox = tempDir('preflight-test');
  for (const d of ['src', 'templates', 'scripts']) cpSync(join(ROOT, d), join(sandbox, d), { recursive: true });
  installFixtureEstate(sandbox);
  mkdirSync(join(sandbox, 'output/dev'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(sandbox, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(sandbox, 'node_modules'));
  symlinkSync(join(ROOT, '.venv'), join(sandbox, '.venv'));
  cpSync(join(ROOT, 'test/fixtures/preflight/app.yaml'), join(sandbox, 'output/dev/fixture-app.yaml'));
  work = tempDir('preflight-out');
});

after(() => {
  cli?.close();
  moto?.stop();
  for (const d of [sandbox, work]) if (d) rmSync(d, { recursive: true, force: true });
});

function preflight(params: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
  // The fixture is no template berth builds: the stale-output check is not asked for.
  const args = ['dev', '--template', 'fixture-app', '--stack-name', 'berth-fixture', '--out', work, '--no-build-check'];
  for (const [k, v] of Object.entries(params)) args.push('--param', `${k}=${v}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(sandbox, 'scripts/preflight.ts'), ...args], {
    cwd: sandbox,
    encoding: 'utf8',
    env: awsEnv(moto!.endpoint, REGION),
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const lines = (s: string) => s.trimEnd().split('\n').filter(Boolean);

/** A self-signed certificate for `names`, imported into ACM: ISSUED at once. */
async function importCertificate(names: readonly string[]): Promise<string> {
  const dir = tempDir('cert');
  try {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${names[0]}`, '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return (await cli.json('acm', 'import-certificate', '--certificate', `fileb://${join(dir, 'cert.pem')}`, '--private-key', `fileb://${join(dir, 'key.pem')}`)).CertificateArn;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let zoneId = '';
let certificateArn = '';
let secretArn = '';

test('in an empty account: one line per missing thing with the fix, the service-linked roles created, nothing written', async () => {
  // A zone that exists but an ARN-shaped certificate and a secret that do not.
  zoneId = (await cli.json('route53', 'create-hosted-zone', '--name', 'berth-fixture.dev', '--caller-reference', 'preflight-test')).HostedZone.Id.replace('/hostedzone/', '');
  const missingCert = `arn:aws:acm:${REGION}:${MOTO_ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000`;
  const missingSecret = `arn:aws:secretsmanager:${REGION}:${MOTO_ACCOUNT}:secret:${SECRET_NAME}-AbCdEf`;
  assert.deepEqual((await cli.json('iam', 'list-roles', '--path-prefix', '/aws-service-role/')).Roles, []);

  const r = preflight({ ImageUri: IMAGE, ZoneId: zoneId, CertificateArn: missingCert, ApiKeySecretArn: missingSecret });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  const f = 'output/dev/fixture-app.yaml';
  assert.deepEqual(lines(r.stderr).sort(), [
    `error: ${f}: Listener Certificates[0].CertificateArn (parameter CertificateArn): certificate \`${missingCert}\` cannot be read (ResourceNotFoundException: Certificate with arn ${missingCert} not found in account ${MOTO_ACCOUNT}). Give the ARN of an issued ACM certificate in this Region.`,
    `error: ${f}: TaskDefinition ContainerDefinitions[0].Image (parameter ImageUri): image \`${IMAGE}\`: ECR repository berth/fixture does not exist in account ${MOTO_ACCOUNT} (${REGION}). Push the image, or give another one.`,
    `error: ${f}: TaskDefinition ContainerDefinitions[0].Secrets[0].ValueFrom: SSM parameter \`/berth/fixture/session\` does not exist in ${REGION}. Create it (\`aws ssm put-parameter --name /berth/fixture/session --type SecureString --value ... --region ${REGION}\`), then deploy again.`,
    `error: ${f}: TaskDefinition ContainerDefinitions[0].Secrets[1].ValueFrom: secret \`${missingSecret}\` does not exist in ${REGION}. Create it (\`aws secretsmanager create-secret --name ... --region ${REGION}\`), then deploy again.`,
  ].sort());
  // Secrets[2] and [3] are the stack's own secret (directly, and through the condition's taken branch): not asked for.
  // The public sidecar image is named as not checked; the zone holds the record; trunking is reported.
  assert.match(r.stdout, /^\[note\] not checked \(not in ECR\): public\.ecr\.aws\/docker\/library\/busybox:1\.37$/m);
  assert.match(r.stdout, new RegExp(`^\\[pass\\] hosted zone ${zoneId} \\(berth-fixture\\.dev\\) holds ${DOMAIN.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(r.stdout, /^\[note\] ECS account setting awsvpcTrunking is not set: .*`aws ecs put-account-setting-default --name awsvpcTrunking --value enabled --region eu-west-1`/m);

  // The four service-linked roles the template's resource types need were created.
  for (const name of ['AWSServiceRoleForECS', 'AWSServiceRoleForApplicationAutoScaling_ECSService', 'AWSServiceRoleForElasticLoadBalancing', 'AWSServiceRoleForAutoScaling']) {
    assert.match(r.stdout, new RegExp(`^\\[pass\\] service-linked role ${name} created`, 'm'));
  }
  const roles = (await cli.json('iam', 'list-roles', '--path-prefix', '/aws-service-role/')).Roles as { Path: string }[];
  assert.deepEqual(roles.map((x) => x.Path).sort(), [
    '/aws-service-role/autoscaling.amazonaws.com/',
    '/aws-service-role/ecs.amazonaws.com/',
    '/aws-service-role/ecs.application-autoscaling.amazonaws.com/',
    '/aws-service-role/elasticloadbalancing.amazonaws.com/',
  ]);
  // Nothing for deploy.sh to go on with.
  assert.throws(() => readFileSync(join(work, 'preflight.env')));
});

test('once the account holds what the template needs: clean, the roles found again (idempotent), the parameters written as JSON', async () => {
  await cli.json('ecr', 'create-repository', '--repository-name', 'berth/fixture');
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: 2, digest: `sha256:${'1'.repeat(64)}` }, layers: [] };
  await cli.json('ecr', 'put-image', '--repository-name', 'berth/fixture', '--image-tag', '1.2.3', '--image-manifest', JSON.stringify(manifest));
  await cli.json('ssm', 'put-parameter', '--name', '/berth/fixture/session', '--type', 'SecureString', '--value', 's3cret');
  secretArn = (await cli.json('secretsmanager', 'create-secret', '--name', SECRET_NAME, '--secret-string', 'k')).ARN;
  certificateArn = await importCertificate([DOMAIN]);

  const r = preflight({ ImageUri: IMAGE, ZoneId: zoneId, CertificateArn: certificateArn, ApiKeySecretArn: secretArn });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.equal(r.stderr, '');
  for (const pass of [
    `image ${IMAGE} exists`,
    'SSM parameter /berth/fixture/session exists',
    `secret ${SECRET_NAME} exists`,
    `certificate ${DOMAIN} is ISSUED and covers ${DOMAIN}`,
    'service-linked role AWSServiceRoleForECS exists',
    'service-linked role AWSServiceRoleForAutoScaling exists',
  ]) {
    assert.ok(r.stdout.includes(`[pass] ${pass}\n`), `${pass}\n${r.stdout}`);
  }
  const env = readFileSync(join(work, 'preflight.env'), 'utf8');
  assert.match(env, new RegExp(`^ACCOUNT=${MOTO_ACCOUNT}\nPARTITION=aws\nREGION=eu-west-1\nREGION_SOURCE='templates/environments/dev.json \`region\`'\nSTATUS=\nBUCKET=berth-${MOTO_ACCOUNT}-eu-west-1\n$`));
  assert.deepEqual(JSON.parse(readFileSync(join(work, 'overrides.json'), 'utf8')), [
    `ImageUri=${IMAGE}`,
    `ZoneId=${zoneId}`,
    `CertificateArn=${certificateArn}`,
    `DomainName=${DOMAIN}`,
    `ApiKeySecretArn=${secretArn}`,
    'UseOptional=no',
  ]);
});

test('a zone of another domain, a certificate that does not cover the host, one still pending validation, an image tag not pushed', async () => {
  const other = (await cli.json('route53', 'create-hosted-zone', '--name', 'elsewhere.dev', '--caller-reference', 'preflight-test-2')).HostedZone.Id.replace('/hostedzone/', '');
  const wrongCert = await importCertificate(['other.berth-fixture.dev']);
  const f = 'output/dev/fixture-app.yaml';
  const r = preflight({ ImageUri: IMAGE.replace(':1.2.3', ':9.9.9'), ZoneId: other, CertificateArn: wrongCert, ApiKeySecretArn: secretArn });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.deepEqual(lines(r.stderr).sort(), [
    `error: ${f}: Listener Certificates[0].CertificateArn (parameter CertificateArn): certificate \`${wrongCert}\` (other.berth-fixture.dev) does not cover ${DOMAIN}. Use a certificate for those names.`,
    `error: ${f}: Record HostedZoneId (parameter ZoneId): hosted zone \`${other}\` is elsewhere.dev, which does not hold \`${DOMAIN}\`. Use the zone of that domain, or a domain in elsewhere.dev, in the environment file and run \`make build\`.`,
    `error: ${f}: TaskDefinition ContainerDefinitions[0].Image (parameter ImageUri): image \`${IMAGE.replace(':1.2.3', ':9.9.9')}\` is not in ECR repository berth/fixture. Push it (\`docker push ${IMAGE.replace(':1.2.3', ':9.9.9')}\`), or give a tag that exists.`,
  ].sort());

  const pending = (await cli.json('acm', 'request-certificate', '--domain-name', DOMAIN, '--validation-method', 'DNS')).CertificateArn;
  const p = preflight({ ImageUri: IMAGE, ZoneId: zoneId, CertificateArn: pending, ApiKeySecretArn: secretArn });
  assert.equal(p.status, 1, p.stdout + p.stderr);
  assert.equal(p.stderr, `error: ${f}: Listener Certificates[0].CertificateArn (parameter CertificateArn): certificate \`${pending}\` is PENDING_VALIDATION, not ISSUED. Complete its DNS validation, then deploy again.\n`);
});

test('a wildcard certificate covers one label, not two', () => {
  assert.ok(covers(['*.berth-fixture.dev'], 'app.berth-fixture.dev'));
  assert.ok(!covers(['*.berth-fixture.dev'], 'a.b.berth-fixture.dev'));
  assert.ok(!covers(['*.berth-fixture.dev'], 'berth-fixture.dev'));
  assert.ok(covers(['berth-fixture.dev', '*.berth-fixture.dev'], 'berth-fixture.dev'));
});

test('under scripts/deploy.sh, a helper\'s AWS calls go through deploy.sh\'s own AWS CLI process, in the helper\'s Region, and to a process of its own once that one has ended', { timeout: 60_000 }, async () => {
  const dir = tempDir('shared-driver');
  // deploy.sh's driver, as deploy.sh starts it: the --files protocol over two FIFOs, with
  // deploy.sh's environment (moto, but another Region than the helper's).
  for (const f of ['aws.in', 'aws.out']) assert.equal(spawnSync('mkfifo', [join(dir, f)]).status, 0);
  // The driver's ends first, opened O_RDWR so that no open waits for the other end (Linux); then
  // the helper's ends, as bash holds them (write aws.in, read aws.out), and the parent lets go of
  // the driver's: once the driver ends, a request fails (EPIPE) and an answer reads end-of-file.
  const driverIn = openSync(join(dir, 'aws.in'), 'r+');
  const driverOut = openSync(join(dir, 'aws.out'), 'r+');
  const driver = spawn(PYTHON, [join(ROOT, 'scripts/deploy-awscli.py'), '--files'], {
    stdio: [driverIn, driverOut, 'inherit'],
    env: awsEnv(moto!.endpoint, 'us-east-1', { AWS_DEFAULT_REGION: 'us-east-1' }),
  });
  const requests = openSync(join(dir, 'aws.in'), 'w');
  const answers = openSync(join(dir, 'aws.out'), 'r');
  closeSync(driverIn);
  closeSync(driverOut);
  const saved = { ...process.env };
  const cliPath = join(ROOT, '.venv/bin/aws');
  const zones = (r: { ok: boolean; json?: { AvailabilityZones?: { ZoneName: string }[] }; stderr: string }) => {
    assert.ok(r.ok, r.stderr);
    return (r.json?.AvailabilityZones ?? []).map((z) => z.ZoneName);
  };
  try {
    // The helper's own environment cannot reach moto: only deploy.sh's process can answer.
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_')) delete process.env[k];
    Object.assign(process.env, { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1', AWS_CONFIG_FILE: '/nonexistent/berth-test', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/berth-test', BERTH_AWS_DRIVER: `${requests} ${answers} ${dir}` });
    const aws = makeAws(cliPath, REGION);
    const shared = zones(await aws('ec2', 'describe-availability-zones'));
    assert.ok(shared.length > 0 && shared.every((z) => z.startsWith(REGION)), `zones of ${REGION}: ${shared.join(' ')}`);
    assert.deepEqual(readdirSync(dir).sort(), ['aws.in', 'aws.out'], 'each call\'s output files are removed');
    // A call that names its own Region keeps it, in either spelling.
    for (const named of [['--region', 'us-east-2'], ['--region=us-east-2']]) {
      const other = zones(await aws('ec2', 'describe-availability-zones', ...named));
      assert.ok(other.length > 0 && other.every((z) => z.startsWith('us-east-2')), `${named.join(' ')}: ${other.join(' ')}`);
    }
    // A helper on its own, with deploy.sh's environment, gets the same answer.
    delete process.env.BERTH_AWS_DRIVER;
    Object.assign(process.env, awsEnv(moto!.endpoint, 'us-east-1'));
    const own = makeAws(cliPath, REGION);
    assert.deepEqual(zones(await own('ec2', 'describe-availability-zones')), shared);
    own.close();
    // deploy.sh's process ended: the helper runs the call itself, as deploy.sh's aws_ does.
    process.env.BERTH_AWS_DRIVER = `${requests} ${answers} ${dir}`;
    driver.kill();
    await new Promise((resolve) => driver.once('exit', resolve));
    const after = makeAws(cliPath, REGION);
    assert.deepEqual(zones(await after('ec2', 'describe-availability-zones')), shared);
    after.close();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    driver.kill();
    closeSync(requests);
    closeSync(answers);
  }
});
