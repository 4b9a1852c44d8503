/**
 * Teardown planning (scripts/deploy-teardown.ts) on a scripted account: a prod-like estate whose
 * load balancer has deletion protection and whose cluster runs a scheduled task outside any
 * service. moto cannot run ECS tasks on EC2 capacity, so the AWS answers are canned here; the
 * deploy suite runs the same planning against moto (dependants, deletion protection, retained).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Aws, AwsResult } from '../scripts/deploy-aws.ts';
import { plan } from '../scripts/deploy-teardown.ts';
import { tempDir } from './_helpers.ts';

const ok = (json: unknown): AwsResult => ({ ok: true, json, stderr: '', message: '' });
const missing: AwsResult = { ok: false, json: undefined, stderr: 'does not exist', code: 'ValidationError', message: 'Stack with id x does not exist' };
const LB = 'arn:aws:elasticloadbalancing:eu-west-1:111122223333:loadbalancer/app/prod/1';
const TASK = 'arn:aws:ecs:eu-west-1:111122223333:task/berth-prod/0123456789abcdef';

function scripted(calls: string[]): Aws {
  const answer = (args: string[]): AwsResult => {
    const a = args.join(' ');
    if (a.startsWith('cloudformation describe-stacks --stack-name berth-prod')) return ok({ Stacks: [{ StackStatus: 'UPDATE_COMPLETE', EnableTerminationProtection: false }] });
    if (a.startsWith('cloudformation describe-stacks')) return missing;
    if (a.startsWith('cloudformation list-stack-resources --stack-name berth-prod')) {
      return ok({ StackSummaries: [], StackResourceSummaries: [
        { LogicalResourceId: 'LoadBalancer', PhysicalResourceId: LB, ResourceType: 'AWS::ElasticLoadBalancingV2::LoadBalancer' },
        { LogicalResourceId: 'Cluster', PhysicalResourceId: 'berth-prod', ResourceType: 'AWS::ECS::Cluster' },
        { LogicalResourceId: 'LogGroup', PhysicalResourceId: '/berth/prod/web', ResourceType: 'AWS::Logs::LogGroup' },
      ] });
    }
    if (a.startsWith('cloudformation get-template')) return ok({ TemplateBody: { Resources: { LogGroup: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'RetainExceptOnCreate' }, Cluster: { Type: 'AWS::ECS::Cluster' } } } });
    if (a.startsWith('elbv2 describe-load-balancer-attributes')) return ok({ Attributes: [{ Key: 'deletion_protection.enabled', Value: 'true' }] });
    if (a.startsWith('ecs list-tasks')) return ok({ taskArns: [TASK, `${TASK}-svc`] });
    if (a.startsWith('ecs describe-tasks')) return ok({ tasks: [{ taskArn: TASK, group: 'family:berth-prod-report', startedBy: 'chronos-schedule' }, { taskArn: `${TASK}-svc`, group: 'service:web' }] });
    throw new Error(`unexpected call: ${a}`);
  };
  return Object.assign(async (...args: string[]) => (calls.push(args.join(' ')), answer(args)), { close() {} });
}

/** A repository whose output/prod/ holds the layers of the fixture estate (their names are what the planning reads). */
function fixtureRepository(): string {
  const dir = tempDir('teardown');
  mkdirSync(join(dir, 'output/prod'), { recursive: true });
  for (const layer of ['root', 'foundation', 'network', 'load-balancer', 'cluster', 'service-web', 'service-worker', 'service-report', 'service-catalog']) writeFileSync(join(dir, 'output/prod', `${layer}.yaml`), '');
  return dir;
}

test('deleting prod says what to do first: lift the load balancer\'s deletion protection, let the scheduled task finish or stop it; and it lists what it keeps', async () => {
  const calls: string[] = [];
  const { blockers, retained } = await plan(['prod', '--template', 'root', '--stack-name', 'berth-prod', '--region', 'eu-west-1'], scripted(calls), fixtureRepository());
  assert.deepEqual(blockers, [
    `load balancer LoadBalancer (berth-prod) has deletion protection on (the environment's \`loadBalancer.deletionProtection\`), so the delete would fail half-way. If the estate is to go: \`aws elbv2 modify-load-balancer-attributes --load-balancer-arn ${LB} --attributes Key=deletion_protection.enabled,Value=false --region eu-west-1\`, then run \`scripts/deploy.sh prod --delete\` again.`,
    `task 0123456789abcdef (family:berth-prod-report, started by chronos-schedule) is running on cluster berth-prod outside any service, and a cluster with running tasks cannot be deleted. Let it finish, or stop it: \`aws ecs stop-task --cluster berth-prod --task ${TASK} --region eu-west-1\`, then run \`scripts/deploy.sh prod --delete\` again.`,
  ]);
  assert.deepEqual(retained, [['AWS::Logs::LogGroup', '/berth/prod/web', 'aws logs delete-log-group --log-group-name /berth/prod/web --region eu-west-1']]);
  // The root has no layers deployed on top of it to look for.
  assert.ok(!calls.some((c) => c.includes('berth-prod-network')));
});

test('deleting a database store says to lift its deletion protection first, and lists its final snapshot and kept table with the commands that remove them', async () => {
  const calls: string[] = [];
  const aws: Aws = Object.assign(
    async (...args: string[]) => {
      const a = args.join(' ');
      calls.push(a);
      if (a === 'cloudformation describe-stacks --stack-name berth-prod-data-appdb') return ok({ Stacks: [{ StackStatus: 'CREATE_COMPLETE', EnableTerminationProtection: false }] });
      if (a.startsWith('cloudformation describe-stacks')) return missing;
      if (a.startsWith('cloudformation list-stack-resources')) {
        return ok({ StackResourceSummaries: [
          { LogicalResourceId: 'Cluster', PhysicalResourceId: 'prod-appdb', ResourceType: 'AWS::RDS::DBCluster' },
          { LogicalResourceId: 'WriterInstance', PhysicalResourceId: 'prod-appdb-writer', ResourceType: 'AWS::RDS::DBInstance' },
          { LogicalResourceId: 'Table', PhysicalResourceId: 'prod-jobs', ResourceType: 'AWS::DynamoDB::Table' },
        ] });
      }
      if (a.startsWith('cloudformation get-template')) {
        return ok({ TemplateBody: { Resources: { Cluster: { DeletionPolicy: 'Snapshot' }, WriterInstance: { DeletionPolicy: 'Delete' }, Table: { DeletionPolicy: 'RetainExceptOnCreate' } } } });
      }
      if (a === 'rds describe-db-clusters --db-cluster-identifier prod-appdb') return ok({ DBClusters: [{ DeletionProtection: true }] });
      throw new Error(`unexpected call: ${a}`);
    },
    { close() {} },
  );
  const { blockers, retained } = await plan(['prod', '--template', 'data-appdb', '--stack-name', 'berth-prod-data-appdb', '--region', 'eu-west-1'], aws);
  assert.deepEqual(blockers, [
    "database prod-appdb (berth-prod-data-appdb) has deletion protection on (the environment's `stores.<name>.deletionProtection`), so the delete would fail half-way. If the database is to go (its final snapshot stays): `aws rds modify-db-cluster --db-cluster-identifier prod-appdb --no-deletion-protection --apply-immediately --region eu-west-1`, then run `scripts/deploy.sh prod --template data-appdb --delete` again.",
  ]);
  assert.deepEqual(retained, [
    ['AWS::DynamoDB::Table', 'prod-jobs', 'aws dynamodb update-table --table-name prod-jobs --no-deletion-protection-enabled --region eu-west-1 && aws dynamodb delete-table --table-name prod-jobs --region eu-west-1'],
    ['AWS::RDS::DBCluster', 'prod-appdb', 'aws rds describe-db-cluster-snapshots --db-cluster-identifier prod-appdb --snapshot-type manual --region eu-west-1 (the final snapshot: delete it with aws rds delete-db-cluster-snapshot --db-cluster-snapshot-identifier <id>)'],
  ]);
  // The services that use stores are looked for first: their stacks must go before the store's.
  assert.ok(calls.includes('cloudformation describe-stacks --stack-name berth-prod-service-web'), calls.join('\n'));
});

