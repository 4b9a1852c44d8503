/**
 * Stack sets on moto (self-managed permissions, which moto serves: it creates each instance's
 * stack in the target account and Region; test/_moto_server.py makes its operations report each
 * instance's outcome and honour the failure tolerance, as CloudFormation does): the network
 * template of an environment rolled out by `scripts/deploy.sh <env> --stack-set --template network`
 * to 2 accounts x 2 Regions with per-instance progress and a summary table, a preview that
 * executes nothing, an update that adds a Region, and an added account whose instance fails,
 * reported with its stack's failed events read in that account. Service-managed permissions and
 * auto-deployment are not served by moto: their request shapes are checked here, and against the
 * AWS CLI's own parameter validation.
 *
 * The deploys run in a sandbox copy of the repository with an environment `fleet` (dev's settings
 * plus `targets`) and a stub for scripts/lint/main.ts: the gates are tested in lint-gates.test.ts,
 * and deploy.test.ts tests how deploy.sh obeys them.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { bucketReadPolicy, instanceTargets, missingInstances, operationPreferences, permissionArguments, plan, readSid, refusals, summarize } from '../scripts/stackset.ts';
import type { Aws } from '../scripts/deploy-aws.ts';
import { assertDocSample } from './_doc-samples.ts';
import { compileCli, ROOT } from './_helpers.ts';
import { MOTO_ACCOUNT, startMoto, type Moto } from './_moto.ts';
import { AwsCli, awsEnv } from './_moto-aws.ts';

const TARGETS = { permissionModel: 'selfManaged', accounts: ['111111111111', '222222222222'], regions: ['eu-west-1', 'us-east-1'], operationPreferences: { maxConcurrentPercentage: 100 } } as const;

let moto: Moto | undefined;
let cli: AwsCli | undefined;
let dir = '';

/** A sandbox environment (`fleet` unless named): dev's settings with `targets`, built into output/<env>/. */
function setTargets(targets: object, flowLogRetentionDays = 30, env = 'fleet'): void {
  const dev = JSON.parse(readFileSync(join(ROOT, 'templates/environments/dev.json'), 'utf8'));
  const settings = { ...dev, name: env, network: { ...dev.network, flowLogRetentionDays }, targets };
  writeFileSync(join(dir, `templates/environments/${env}.json`), `${JSON.stringify(settings, null, 2)}\n`);
  const built = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'build', '--env', env, '--quiet'], { cwd: dir, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
}

/** `scripts/deploy.sh fleet --template network --stack-set` (checks, packages, then scripts/stackset.ts). */
function deploy(): { status: number | null; out: string } {
  const r = spawnSync('bash', [join(dir, 'scripts/deploy.sh'), 'fleet', '--template', 'network', '--stack-set'], { cwd: dir, encoding: 'utf8', env: awsEnv(moto!.endpoint, 'eu-west-1'), timeout: 180_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

/**
 * scripts/stackset.ts as deploy.sh runs it, without the checks and the packaging deploy.sh has
 * shown above (the network template nests nothing, so its packaged form is the template).
 */
function rollout(env = 'fleet', ...extra: string[]): { status: number | null; out: string } {
  return rolloutOf('network', env, ...extra);
}
function rolloutOf(template: string, env: string, ...extra: string[]): { status: number | null; out: string } {
  const args = ['--import', 'tsx', 'scripts/stackset.ts', env, '--template', template, '--template-file', `output/${env}/${template}.yaml`, '--region', 'eu-west-1', ...extra];
  const r = spawnSync(process.execPath, args, { cwd: dir, encoding: 'utf8', env: awsEnv(moto!.endpoint, 'eu-west-1', { BERTH_AWS_CLI: join(ROOT, '.venv/bin/aws') }), timeout: 120_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

/**
 * The network's custom resource ran in each instance's own account and Region (the inline Lambda
 * function of templates/stacks/shared/vpc-defaults.ts, which scripts/local-aws.py runs): the
 * default security group of the instance stack's VPC has no rule left, while the account's default
 * VPC's default group keeps EC2's. Only the function removes them. (moto keeps a custom resource
 * CREATE_IN_PROGRESS and its own physical ID, whatever the function answers.)
 */
async function assertDefaultGroupClosed(stackSet: string, ...callAs: string[]): Promise<number> {
  const instances = (await cli!.json('cloudformation', 'list-stack-instances', '--stack-set-name', stackSet, ...callAs)).Summaries as { Account: string; Region: string; StackId: string }[];
  for (const i of instances) {
    const where = `${stackSet} in ${i.Account} ${i.Region}`;
    const vpc = (await inAccount(i.Account, i.Region, 'cloudformation', 'describe-stack-resource', '--stack-name', i.StackId, '--logical-resource-id', 'Vpc')).StackResourceDetail.PhysicalResourceId;
    const defaults = (await inAccount(i.Account, i.Region, 'ec2', 'describe-security-groups', '--filters', 'Name=group-name,Values=default')).SecurityGroups as { VpcId: string; IpPermissions: unknown[]; IpPermissionsEgress: unknown[] }[];
    const closed = defaults.find((g) => g.VpcId === vpc);
    assert.ok(closed, `${where}: the default security group of ${vpc}`);
    assert.deepEqual([closed.IpPermissions, closed.IpPermissionsEgress], [[], []], where);
    assert.ok(defaults.some((g) => g !== closed && g.IpPermissionsEgress.length > 0), `${where}: the default VPC's group keeps its rules`);
  }
  return instances.length;
}

/** A long-lived AWS CLI per account and Region, with that account's credentials (a Python start-up each, not per call). */
const inAccounts = new Map<string, AwsCli>();

/** An AWS CLI call in another account: the stack set's execution role there, assumed (moto maps its keys to that account). */
async function inAccount(account: string, region: string, ...args: string[]): Promise<any> {
  let there = inAccounts.get(`${account} ${region}`);
  if (there === undefined) {
    const c = (await cli!.json('sts', 'assume-role', '--role-arn', `arn:aws:iam::${account}:role/AWSCloudFormationStackSetExecutionRole`, '--role-session-name', 'berth-test')).Credentials;
    there = new AwsCli(awsEnv(moto!.endpoint, region, { AWS_DEFAULT_REGION: region, AWS_ACCESS_KEY_ID: c.AccessKeyId, AWS_SECRET_ACCESS_KEY: c.SecretAccessKey, AWS_SESSION_TOKEN: c.SessionToken }));
    inAccounts.set(`${account} ${region}`, there);
  }
  const r = await there.call([...args, '--region', region, '--output', 'json']);
  assert.equal(r.status, 0, `aws ${args.join(' ')} in ${account} ${region}: ${r.stderr}`);
  return r.stdout.trim() ? JSON.parse(r.stdout) : undefined;
}

before(async () => {
  moto = await startMoto();
  cli = new AwsCli(awsEnv(moto.endpoint, 'eu-west-1', { AWS_DEFAULT_REGION: 'eu-west-1' }));
  dir = mkdtempSync(join(tmpdir(), 'berth-stackset-'));
  for (const d of ['src', 'templates', 'scripts']) cpSync(join(ROOT, d), join(dir, d), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(join(ROOT, '.venv'), join(dir, '.venv'));
  writeFileSync(join(dir, 'scripts/lint/main.ts'), "console.log('[pass] stub gate');\n");
  compileCli(dir);
});

after(() => {
  cli?.close();
  for (const there of inAccounts.values()) there.close();
  moto?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('rolls the network out to 2 accounts x 2 Regions with live per-instance progress; a preview executes nothing; an update adds a Region; an instance that fails is reported with its stack\'s events', async () => {
  const [a, b, c] = ['111111111111', '222222222222', '333333333333'];
  setTargets(TARGETS);
  const first = deploy();
  assert.equal(first.status, 0, first.out);
  // Progress: a line per instance of the operation (time, account, Region, status), then the table.
  for (const [account, region] of [[a, 'eu-west-1'], [b, 'eu-west-1'], [a, 'us-east-1'], [b, 'us-east-1']]) {
    assert.match(first.out, new RegExp(`^  \\d\\d:\\d\\d:\\d\\d  ${account}  ${region} +SUCCEEDED$`, 'm'));
    assert.match(first.out, new RegExp(`^  ${account}  ${region} +SUCCEEDED  CURRENT$`, 'm'));
  }
  assert.match(first.out, /^==> creating stack set berth-fleet-network$/m);
  assert.match(first.out, /^==> adding stack instances for 111111111111, 222222222222 in eu-west-1, us-east-1$/m);
  assert.match(first.out, /^\[pass\] stack set berth-fleet-network: every instance deployed$/m);
  assertDocSample('rollout', first.out);
  // What CloudFormation holds: the stack set from the administrator account (moto's), each
  // instance's stack in its own account and Region, built from output/fleet/network.yaml.
  const set = (await cli!.json('cloudformation', 'describe-stack-set', '--stack-set-name', 'berth-fleet-network')).StackSet;
  assert.equal(set.AdministrationRoleARN, `arn:aws:iam::${MOTO_ACCOUNT}:role/AWSCloudFormationStackSetAdministrationRole`);
  assert.equal(set.ExecutionRoleName, 'AWSCloudFormationStackSetExecutionRole');
  assert.deepEqual(set.Tags, [{ Key: 'berth:environment', Value: 'fleet' }]);
  // The template bucket lets the target accounts read this environment's templates (their
  // nested stacks would read them there), and nothing else.
  const bucket = `berth-${MOTO_ACCOUNT}-eu-west-1`;
  const policy = JSON.parse((await cli!.json('s3api', 'get-bucket-policy', '--bucket', bucket)).Policy);
  const sid = readSid('berth/fleet', { accounts: [a, b] });
  assert.match(sid, /^BerthReadAccounts[0-9a-f]{12}$/);
  assert.deepEqual(policy.Statement.find((x: any) => x.Sid === sid), { Sid: sid, Effect: 'Allow', Principal: { AWS: [`arn:aws:iam::${a}:root`, `arn:aws:iam::${b}:root`] }, Action: 's3:GetObject', Resource: `arn:aws:s3:::${bucket}/berth/fleet/*` });
  assert.match(first.out, new RegExp(`^\\[pass\\] s3://${bucket}/berth/fleet/ readable by accounts ${a}, ${b} \\(bucket policy ${sid}\\)$`, 'm'));
  const vpcs = (await inAccount(b, 'us-east-1', 'ec2', 'describe-vpcs')).Vpcs.map((v: any) => v.CidrBlock);
  assert.ok(vpcs.includes('10.10.0.0/16'), `the instance in 222222222222 us-east-1 made its VPC there: ${vpcs}`);
  const groups = async (account: string, region: string) => (await inAccount(account, region, 'logs', 'describe-log-groups', '--log-group-name-prefix', '/berth/fleet/')).logGroups;
  assert.deepEqual((await groups(a, 'eu-west-1')).map((g: any) => [g.logGroupName, g.retentionInDays]), [['/berth/fleet/vpc-defaults', 30], ['/berth/fleet/vpc-flow-logs', 30]]);
  assert.equal(await assertDefaultGroupClosed('berth-fleet-network'), 4);

  // A preview of a changed template and a new Region: what would change where; nothing runs.
  const wider = { ...TARGETS, regions: ['eu-west-1', 'us-east-1', 'eu-central-1'] };
  setTargets(wider, 90);
  const preview = rollout('fleet', '--preview');
  assert.equal(preview.status, 0, preview.out);
  assert.match(preview.out, /FlowLogGroup/);
  assert.match(preview.out, /RetentionInDays/);
  for (const account of [a, b]) {
    assert.match(preview.out, new RegExp(`^  ${account}  eu-west-1 +update$`, 'm'));
    assert.match(preview.out, new RegExp(`^  ${account}  eu-central-1 +create$`, 'm'));
  }
  assert.match(preview.out, /\[pass\] preview of stack set berth-fleet-network: nothing was executed/);
  assert.equal((await cli!.json('cloudformation', 'list-stack-instances', '--stack-set-name', 'berth-fleet-network')).Summaries.length, 4);
  assert.equal((await groups(a, 'eu-west-1')).find((g: any) => g.logGroupName === '/berth/fleet/vpc-flow-logs').retentionInDays, 30, 'the preview changed nothing');

  // The update: every instance gets the new template, then the new Region's instances come.
  const update = rollout();
  assert.equal(update.status, 0, update.out);
  assert.match(update.out, /^==> updating stack set berth-fleet-network and its 4 instances$/m);
  assert.match(update.out, /^  update: SUCCEEDED$/m);
  assert.match(update.out, /^==> adding stack instances for 111111111111, 222222222222 in eu-central-1$/m);
  assert.match(update.out, new RegExp(`^  \\d\\d:\\d\\d:\\d\\d  ${b}  eu-central-1 +SUCCEEDED$`, 'm'));
  assert.equal(update.out.match(/^ {2}\d{12} {2}\S+ +SUCCEEDED {2}CURRENT$/gm)?.length, 6, update.out);
  // Each instance's stack holds the new template (moto keeps a log group's retention on update,
  // so the stack's template is what shows it; the new Region's group was created with it).
  const instances = (await cli!.json('cloudformation', 'list-stack-instances', '--stack-set-name', 'berth-fleet-network')).Summaries as { Account: string; Region: string; StackId: string }[];
  assert.equal(instances.length, 6);
  for (const i of instances) {
    const body = (await inAccount(i.Account, i.Region, 'cloudformation', 'get-template', '--stack-name', i.StackId)).TemplateBody;
    assert.match(typeof body === 'string' ? body : JSON.stringify(body), /RetentionInDays"?: 90/, `${i.Account} ${i.Region}`);
  }
  assert.equal((await groups(b, 'eu-central-1')).find((g: any) => g.logGroupName === '/berth/fleet/vpc-flow-logs').retentionInDays, 90);

  // A third account whose us-east-1 already has the flow-log group: its instance there fails, and
  // with a failure tolerance of 0 the next Region's instance is cancelled (Regions in order).
  await inAccount(c, 'us-east-1', 'logs', 'create-log-group', '--log-group-name', '/berth/fleet/vpc-flow-logs');
  setTargets({ ...wider, accounts: [a, b, c] }, 90);
  const failing = rollout();
  assert.equal(failing.status, 1, failing.out);
  assert.match(failing.out, /^==> adding stack instances for 333333333333 in eu-west-1, us-east-1, eu-central-1$/m);
  assert.match(failing.out, /^ {2}\d\d:\d\d:\d\d {2}333333333333 {2}us-east-1 +FAILED {2}ResourceLogicalId:FlowLogGroup, ResourceType:AWS::Logs::LogGroup/m);
  assert.match(failing.out, /^ {2}create instances: FAILED$/m);
  assert.match(failing.out, /^ {2}333333333333 {2}eu-west-1 +SUCCEEDED {2}CURRENT$/m);
  assert.match(failing.out, /^ {2}333333333333 {2}us-east-1 +FAILED +OUTDATED {2}ResourceLogicalId:FlowLogGroup, ResourceType:AWS::Logs::LogGroup, ResourceStatusReason:The specified log group already exists$/m);
  assert.match(failing.out, /^Failed: account 333333333333, us-east-1: .*FlowLogGroup/m);
  // Its stack's failed event, read in account 333333333333 through the execution role.
  assert.match(failing.out, /^ {2}FlowLogGroup +CREATE_FAILED +The specified log group already exists$/m);
  assert.match(failing.out, /^Not deployed: account 333333333333, eu-central-1: Cancelled since failure tolerance has exceeded/m);
  assert.match(failing.out, /^\[fail\] stack set berth-fleet-network: 2 instances not deployed$/m);
  assertDocSample('rollout-failure', failing.out);
});

test('service-managed: the network rolled out to every account of an organisational unit, in rollout order (moto keeps no auto-deployment)', async () => {
  await cli!.json('organizations', 'create-organization', '--feature-set', 'ALL');
  const root = (await cli!.json('organizations', 'list-roots')).Roots[0].Id;
  const ou = (await cli!.json('organizations', 'create-organizational-unit', '--parent-id', root, '--name', 'workloads')).OrganizationalUnit.Id;
  const accounts: string[] = [];
  for (const name of ['shop', 'search']) {
    await cli!.json('organizations', 'create-account', '--email', `${name}@example.com`, '--account-name', name);
    const id = (await cli!.json('organizations', 'list-accounts')).Accounts.find((x: any) => x.Name === name).Id;
    await cli!.json('organizations', 'move-account', '--account-id', id, '--source-parent-id', root, '--destination-parent-id', ou);
    accounts.push(id);
  }
  setTargets({ permissionModel: 'serviceManaged', organizationalUnits: [ou], regions: ['us-east-1', 'eu-west-1'], autoDeployment: { enabled: true, retainStacksOnAccountRemoval: true } }, 30, 'org');
  const r = rollout('org');
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /^==> creating stack set berth-org-network$/m);
  assert.match(r.out, /^==> adding stack instances in us-east-1, eu-west-1$/m);
  const set = (await cli!.json('cloudformation', 'describe-stack-set', '--stack-set-name', 'berth-org-network', '--call-as', 'SELF')).StackSet;
  assert.equal(set.PermissionModel, 'SERVICE_MANAGED');
  assert.equal(set.AutoDeployment, undefined, 'moto keeps no auto-deployment: if it starts to, assert it here');
  const rows = r.out.match(/^ {2}(\d{12}) {2}(\S+) +SUCCEEDED {2}CURRENT$/gm) ?? [];
  assert.deepEqual(rows.map((l) => l.trim().split(/ +/).slice(0, 2).join(' ')), ['us-east-1', 'eu-west-1'].flatMap((region) => [...accounts].sort().map((a) => `${a} ${region}`)));
  assert.equal(await assertDefaultGroupClosed('berth-org-network', '--call-as', 'SELF'), 4);
});

test('the launch role rolled out to member accounts: the same name in each, trusting Service Catalog for that account, reading the publisher\'s templates', async () => {
  const [a, b] = ['444444444444', '555555555555'];
  // One Region: the role and the boundary have fixed IAM names, one per account.
  setTargets({ permissionModel: 'selfManaged', accounts: [a, b], regions: ['eu-west-1'] }, 30, 'members');
  // A bucket of its own (the network rollouts above use berth-<account>-<region>).
  const bucket = 'berth-publisher-templates';
  await cli!.json('s3api', 'create-bucket', '--bucket', bucket, '--create-bucket-configuration', 'LocationConstraint=eu-west-1');
  // Without the publisher's bucket the rollout refuses: the template's own default names no bucket.
  const none = rolloutOf('launch-role', 'members');
  assert.equal(none.status, 1, none.out);
  assert.equal(none.out.trim(), 'error: output/members/launch-role.yaml: reads the product templates from the publishing account\'s bucket, and no bucket was given. Run it through `scripts/deploy.sh <env> --template launch-role --stack-set` (add `--bucket NAME` if `make publish` used one).');

  // As docs/many-accounts.md shows it: through deploy.sh, which packages it under the bucket given.
  const run = spawnSync('bash', [join(dir, 'scripts/deploy.sh'), 'members', '--template', 'launch-role', '--stack-set', '--bucket', bucket], { cwd: dir, encoding: 'utf8', env: awsEnv(moto!.endpoint, 'eu-west-1'), timeout: 180_000 });
  const r = { status: run.status, out: run.stdout + run.stderr };
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /^\[pass\] stack set berth-members-launch-role: every instance deployed$/m);
  const set = (await cli!.json('cloudformation', 'describe-stack-set', '--stack-set-name', 'berth-members-launch-role')).StackSet;
  const parameters = Object.fromEntries((set.Parameters as { ParameterKey: string; ParameterValue: string }[]).map((x) => [x.ParameterKey, x.ParameterValue]));
  assert.deepEqual([parameters.TemplateBucket, parameters.TemplatePrefix], [bucket, 'berth']);
  // The product constraints of the portfolio name the role by this name (LocalRoleName).
  const catalog = readFileSync(join(dir, 'output/members/service-catalog.yaml'), 'utf8');
  assert.match(catalog, /LocalRoleName: !Ref LaunchRole\n/);
  assert.match(catalog, /RoleName: !Sub berth-\$\{EnvironmentName\}-launch\n/);
  for (const account of [a, b]) {
    const role = (await inAccount(account, 'eu-west-1', 'iam', 'get-role', '--role-name', 'berth-members-launch')).Role;
    assert.equal(role.Arn, `arn:aws:iam::${account}:role/berth-members-launch`);
    // Service Catalog acting for the member account itself: its users launch there.
    assert.deepEqual(role.AssumeRolePolicyDocument.Statement[0].Condition, { StringEquals: { 'aws:SourceAccount': account } });
    const boundary = (await inAccount(account, 'eu-west-1', 'iam', 'get-policy', '--policy-arn', `arn:aws:iam::${account}:policy/berth/members/role-boundary`)).Policy;
    assert.equal(boundary.PolicyName, 'role-boundary');
    const instance = (await cli!.json('cloudformation', 'list-stack-instances', '--stack-set-name', 'berth-members-launch-role')).Summaries.find((x: { Account: string }) => x.Account === account);
    const stacks = (await inAccount(account, 'eu-west-1', 'cloudformation', 'list-stack-resources', '--stack-name', instance.StackId)).StackResourceSummaries as { LogicalResourceId: string; PhysicalResourceId: string }[];
    const arn = stacks.find((x) => x.LogicalResourceId === 'LaunchStacksPolicy')!.PhysicalResourceId;
    const policy = (await inAccount(account, 'eu-west-1', 'iam', 'get-policy', '--policy-arn', arn)).Policy;
    const document = (await inAccount(account, 'eu-west-1', 'iam', 'get-policy-version', '--policy-arn', arn, '--version-id', policy.DefaultVersionId)).PolicyVersion.Document;
    const statements = (typeof document === 'string' ? JSON.parse(decodeURIComponent(document)) : document).Statement as { Action: unknown; Resource: unknown }[];
    // Every version of the environment's product templates, in the publisher's bucket.
    assert.deepEqual(statements.filter((x) => x.Action === 's3:GetObject').map((x) => x.Resource), ['arn:aws:s3:::*/*', `arn:aws:s3:::${bucket}/berth/members/*`]);
  }
  // The bucket lets the member accounts read the environment's prefix.
  const bucketPolicy = JSON.parse((await cli!.json('s3api', 'get-bucket-policy', '--bucket', bucket)).Policy);
  assert.deepEqual(bucketPolicy.Statement.find((x: { Resource: string }) => x.Resource === `arn:aws:s3:::${bucket}/berth/members/*`).Principal, { AWS: [a, b].map((x) => `arn:aws:iam::${x}:root`) });
});

test('the template bucket policy: the organisation reads the environment\'s prefix; other statements are kept, the same grant replaced, other environments\' and other readers\' kept', () => {
  const tls = { Sid: 'TlsOnly', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: ['arn:aws:s3:::b', 'arn:aws:s3:::b/*'], Condition: { Bool: { 'aws:SecureTransport': 'false' } } };
  const org = { organizationId: 'o-a1b2c3d4e5' };
  const first = bucketReadPolicy(JSON.stringify({ Version: '2012-10-17', Statement: [tls] }), 'b', 'berth/prod', 'aws', org);
  const read = { Sid: readSid('berth/prod', org), Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/berth/prod/*', Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' } } };
  assert.deepEqual(JSON.parse(first), { Version: '2012-10-17', Statement: [tls, read] });
  // Another organisation for the same prefix replaces the grant; accounts and another prefix add one each.
  const replaced = JSON.parse(bucketReadPolicy(first, 'b', 'berth/prod', 'aws', { organizationId: 'o-ffffffffff' }));
  assert.deepEqual(replaced.Statement.map((x: any) => x.Condition?.StringEquals?.['aws:PrincipalOrgID']), [undefined, 'o-ffffffffff']);
  const accounts = { accounts: ['222222222222'] };
  const again = JSON.parse(bucketReadPolicy(bucketReadPolicy(first, 'b', 'berth/prod', 'aws-cn', accounts), 'b', 'berth/dev', 'aws', org));
  assert.deepEqual(again.Statement.map((x: any) => x.Sid), ['TlsOnly', readSid('berth/prod', org), readSid('berth/prod', accounts), readSid('berth/dev', org)]);
  assert.equal(new Set(again.Statement.map((x: any) => x.Sid)).size, 4);
  assert.deepEqual(again.Statement[2].Principal, { AWS: ['arn:aws-cn:iam::222222222222:root'] });
  assert.equal(again.Statement[3].Resource, 'arn:aws:s3:::b/berth/dev/*');
  assert.deepEqual(JSON.parse(bucketReadPolicy(undefined, 'b', 'p', 'aws', { accounts: ['1'] })).Version, '2012-10-17');
});

test('instances are created exactly where they are missing: accounts missing the same Regions share a call, in rollout order', () => {
  const pairs = plan('prod', 'network', { ...TARGETS, accounts: ['1', '2', '3'], regions: ['us-east-1', 'eu-west-1'] }).pairs;
  assert.deepEqual(missingInstances(pairs, new Set(['1 us-east-1', '1 eu-west-1', '2 us-east-1']), ['us-east-1', 'eu-west-1']), [
    { accounts: ['3'], regions: ['us-east-1', 'eu-west-1'] },
    { accounts: ['2'], regions: ['eu-west-1'] },
  ]);
  assert.deepEqual(missingInstances(pairs, new Set(pairs.map(([a, r]) => `${a} ${r}`)), ['us-east-1', 'eu-west-1']), []);
});

test('refuses nested stacks with service-managed permissions, and fixed IAM names across Regions', () => {
  const managed = { permissionModel: 'serviceManaged', organizationalUnits: ['ou-ab12-cd345678'], regions: ['eu-west-1'] } as const;
  assert.match(refusals(managed, 'output/dev/root.yaml', 'Resources:\n  Network:\n    Type: AWS::CloudFormation::Stack\n')[0] ?? '', /nests stacks, which a service-managed stack set's default execution role cannot provision/);
  const named = 'Resources:\n  Role:\n    Type: AWS::IAM::Role\n    Properties:\n      RoleName: !Sub ${EnvironmentName}-web-task\n';
  assert.match(refusals(TARGETS, 'service-web.yaml', named)[0] ?? '', /service-web\.yaml: Role RoleName: a fixed RoleName is one per account/);
  assert.deepEqual(refusals({ ...TARGETS, regions: ['eu-west-1'] }, 'service-web.yaml', named), []);
  // A name in a nested template counts as much: the root's rollout would fail in the second Region.
  const root = 'Resources:\n  ServiceWeb:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: service-web.yaml\n';
  assert.deepEqual(refusals(TARGETS, 'output/dev/root.yaml', root, (file) => (file === 'service-web.yaml' ? named : '')), [
    "service-web.yaml: Role RoleName: a fixed RoleName is one per account (IAM and S3 names are global), and targets.regions has 2 Regions: the second Region's instance would fail. Give targets.regions one Region (an environment per Region), or roll out a template without the name (`--template network`).",
  ]);
  assert.deepEqual(refusals(TARGETS, 'output/dev/root.yaml', root), [], 'without a reader, nested templates are not read');
});

test('service-managed request shapes: organisational units, auto-deployment, call-as, operation preferences', () => {
  const managed = { permissionModel: 'serviceManaged', organizationalUnits: ['ou-ab12-cd345678', 'r-ab12'], regions: ['eu-west-1', 'us-east-1'], callAs: 'DELEGATED_ADMIN', operationPreferences: { regionConcurrencyType: 'PARALLEL', failureTolerancePercentage: 10, concurrencyMode: 'SOFT_FAILURE_TOLERANCE' } } as const;
  assert.deepEqual(permissionArguments(managed, '111122223333', 'aws'), ['--permission-model', 'SERVICE_MANAGED', '--auto-deployment', 'Enabled=true,RetainStacksOnAccountRemoval=false', '--call-as', 'DELEGATED_ADMIN']);
  assert.deepEqual(instanceTargets(managed), ['--deployment-targets', 'OrganizationalUnitIds=ou-ab12-cd345678,r-ab12', '--call-as', 'DELEGATED_ADMIN', '--regions', 'eu-west-1', 'us-east-1']);
  assert.deepEqual(JSON.parse(operationPreferences(managed)), { RegionConcurrencyType: 'PARALLEL', RegionOrder: ['eu-west-1', 'us-east-1'], MaxConcurrentPercentage: 25, FailureTolerancePercentage: 10, ConcurrencyMode: 'SOFT_FAILURE_TOLERANCE' });
  assert.deepEqual(plan('prod', 'root', managed).name, 'berth-prod');
});

test('a failed instance is reported with its stack\'s failed events', async () => {
  const answers: Record<string, unknown> = {
    'list-stack-instances': { Summaries: [
      { Account: '111111111111', Region: 'eu-west-1', Status: 'CURRENT', StackInstanceStatus: { DetailedStatus: 'SUCCEEDED' } },
      { Account: '222222222222', Region: 'us-east-1', Status: 'OUTDATED', StatusReason: 'ResourceLogicalId:Vpc, ResourceType:AWS::EC2::VPC, ResourceStatusReason:The maximum number of VPCs has been reached.', StackInstanceStatus: { DetailedStatus: 'FAILED' } },
    ] },
  };
  const fake = (async (...args: string[]) => ({ ok: true, json: answers[args[1]!], stderr: '', message: '' })) as unknown as Aws;
  fake.close = () => {};
  const lines: string[] = [];
  const failed = await summarize(fake, 'aws', 'berth-dev', (l) => lines.push(l));
  assert.equal(failed, 1);
  assert.match(lines.join('\n'), /^ {2}222222222222 +us-east-1 +FAILED +OUTDATED +ResourceLogicalId:Vpc/m);
  assert.match(lines.join('\n'), /^Failed: account 222222222222, us-east-1: .*maximum number of VPCs/m);
});
