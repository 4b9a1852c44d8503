// A failed first create never blocks the retry (issue 10 §3), against moto: a service stack whose
// create fails after its log group and queue exist (its cluster is missing) rolls back, leaves no
// fixed-name resource behind, and the corrected deploy (cluster created, failed stack deleted, as
// scripts/deploy.sh advises) succeeds; the same stack with the log group on `Retain`, as before,
// fails the retry with "already exists". moto neither rolls back nor knows RetainExceptOnCreate:
// scripts/local-aws.py patches it to do what CloudFormation documents.
// Run: node --import tsx --test test/retry.test.ts
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { synthesize } from '../src/dsl/stack.ts';
import { toPlain } from '../src/emit/plain.ts';
import { service } from '../templates/stacks/service.ts';
import { loadSettings } from '../templates/settings/settings.ts';
import { CASES } from './fixtures/hostile-estate/services.ts';
import { ROOT } from './_helpers.ts';
import { AwsCli, awsEnv } from './_moto-aws.ts';
import { startMoto, type Moto } from './_moto.ts';

let moto: Moto;
let cli: AwsCli;
/** The AWS CLI against moto; explicit endpoint: AWS CLI 1.x reads AWS_ENDPOINT_URL, but its SQS client resolves its own. */
const aws = {
  call: (...args: string[]) => cli.call([...args, '--output', 'json', '--endpoint-url', moto.endpoint]),
  ok: (...args: string[]) => cli.json(...args, '--endpoint-url', moto.endpoint),
};

/** The fixture estate's queue worker stack, as berth writes it, in JSON (moto's YAML loader misreads short-form tags). */
function workerTemplate(logGroupPolicy?: string): string {
  const settings = loadSettings('test/fixtures/hostile-estate/environments/dev.json');
  const worker = CASES.ok!.find((s) => s.name === 'worker')!;
  const doc = toPlain(synthesize(service, { settings, service: worker }).toJSON()) as { Resources: Record<string, { DeletionPolicy?: string }> };
  if (logGroupPolicy) doc.Resources.LogGroup!.DeletionPolicy = logGroupPolicy;
  return JSON.stringify(doc);
}

const create = (stack: string, env: string, body: string) =>
  aws.call('cloudformation', 'create-stack', '--stack-name', stack, '--template-body', body, '--capabilities', 'CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM',
    '--parameters', `ParameterKey=EnvironmentName,ParameterValue=${env}`, `ParameterKey=ClusterName,ParameterValue=/berth/${env}/cluster-name`, 'ParameterKey=VpcId,ParameterValue=vpc-0123456789abcdef0', 'ParameterKey=ApplicationSubnetIds,ParameterValue=subnet-0123456789abcdef0');
const status = async (stack: string) => (await aws.ok('cloudformation', 'describe-stacks', '--stack-name', stack)).Stacks[0].StackStatus as string;
const logGroups = async () => ((await aws.ok('logs', 'describe-log-groups')).logGroups as { logGroupName: string }[]).map((g) => g.logGroupName).sort();
const queues = async () => (((await aws.ok('sqs', 'list-queues')) ?? {}).QueueUrls as string[] | undefined ?? []).map((u) => u.slice(u.lastIndexOf('/') + 1)).sort();

before(async () => {
  moto = await startMoto();
  cli = new AwsCli({ ...awsEnv(moto.endpoint, 'eu-west-1'), AWS_DEFAULT_REGION: 'eu-west-1', AWS_PAGER: '' });
  // The estate registry entry the stack reads its cluster from; the cluster itself is missing.
  for (const env of ['dev', 'old']) await aws.ok('ssm', 'put-parameter', '--name', `/berth/${env}/cluster-name`, '--type', 'String', '--value', `${env}-cluster`);
});

after(() => {
  cli?.close();
  moto?.stop();
});

test('a create that fails after the log group and queue exist rolls back without leaving them, and the corrected deploy succeeds', async () => {
  const failed = await create('berth-dev-service-worker', 'dev', workerTemplate());
  assert.notEqual(failed.status, 0);
  assert.match(failed.stderr, /ClusterNotFoundException/);
  assert.equal(await status('berth-dev-service-worker'), 'ROLLBACK_COMPLETE');
  // RetainExceptOnCreate: the failed create took its fixed-name resources with it. The
  // dead-letter queue (no fixed name, Retain) stays, as CloudFormation keeps it, and blocks nothing.
  assert.deepEqual(await logGroups(), []);
  const kept = await queues();
  assert.ok(!kept.includes('dev-worker'), `the work queue is gone: ${kept.join(', ')}`);
  assert.ok(kept.some((q) => q.includes('DeadLetterQueue')), 'the unnamed, retained dead-letter queue stays');

  // The fix, then what deploy.sh advises for ROLLBACK_COMPLETE: delete the stack, deploy again.
  await aws.ok('ecs', 'create-cluster', '--cluster-name', 'dev-cluster');
  await aws.ok('cloudformation', 'delete-stack', '--stack-name', 'berth-dev-service-worker');
  const retry = await create('berth-dev-service-worker', 'dev', workerTemplate());
  assert.equal(retry.status, 0, retry.stderr);
  assert.equal(await status('berth-dev-service-worker'), 'CREATE_COMPLETE');
  assert.deepEqual(await logGroups(), ['/berth/dev/worker']);
  assert.ok((await queues()).includes('dev-worker'));

  // Once created, the data outlives the stack: deletion keeps the log group and the queue.
  await aws.ok('cloudformation', 'delete-stack', '--stack-name', 'berth-dev-service-worker');
  assert.deepEqual(await logGroups(), ['/berth/dev/worker']);
  assert.ok((await queues()).includes('dev-worker'));
});

test('the same stack with the log group on Retain (the old templates) leaves it behind, and the retry fails with "already exists"', async () => {
  const body = workerTemplate('Retain');
  const failed = await create('berth-old-service-worker', 'old', body);
  assert.notEqual(failed.status, 0);
  assert.equal(await status('berth-old-service-worker'), 'ROLLBACK_COMPLETE');
  assert.ok((await logGroups()).includes('/berth/old/worker'), 'Retain kept it through the rollback');
  await aws.ok('ecs', 'create-cluster', '--cluster-name', 'old-cluster');
  await aws.ok('cloudformation', 'delete-stack', '--stack-name', 'berth-old-service-worker');
  const retry = await create('berth-old-service-worker', 'old', body);
  assert.notEqual(retry.status, 0);
  assert.match(retry.stderr, /already exists/i);
});

test('docs/environments.md: the command that reads the recommended ECS AMI answers an AMI ID (moto ships AWS\'s public parameters)', async () => {
  const line = readFileSync(join(ROOT, 'docs/environments.md'), 'utf8').split('\n').find((l) => l.startsWith('aws ssm get-parameter '))!;
  const answer = await aws.call(...line.split(' ').slice(1));
  assert.equal(answer.status, 0, answer.stderr);
  assert.match(JSON.parse(answer.stdout) as string, /^ami-[0-9a-f]+$/);
});
