/**
 * What a teardown (`scripts/deploy.sh <env> --delete`) must know before it deletes: what blocks the
 * delete (stack termination protection, load balancer deletion protection, tasks running outside a
 * service, layers deployed on top of this one) and what the delete will leave behind (resources
 * whose DeletionPolicy keeps them), each with the command that removes it.
 *
 *   node --import tsx scripts/deploy-teardown.ts <env> --template T --stack-name S --region R --out DIR
 *
 * Prints one line per blocker on stderr and exits 1 when something blocks; otherwise writes
 * DIR/retained.tsv (type, physical ID, command) for deploy.sh to print after the delete. The
 * stacks' own deployed templates are read (`get-template`), not output/, which may have moved on.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseTemplate } from '../src/emit/parse.ts';
import { awsCli, makeAws, type Aws } from './deploy-aws.ts';

const ROOT = join(import.meta.dirname, '..');

interface StackResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
  /** DeletionPolicy in the deployed template. */
  readonly deletionPolicy?: string;
}

/** Every resource of the stack and its nested stacks, with its deployed DeletionPolicy. */
async function resources(aws: Aws, stack: string): Promise<StackResource[]> {
  const [listed, template] = await Promise.all([
    aws('cloudformation', 'list-stack-resources', '--stack-name', stack),
    aws('cloudformation', 'get-template', '--stack-name', stack, '--template-stage', 'Original'),
  ]);
  if (!listed.ok) return [];
  const body = template.ok ? template.json.TemplateBody : undefined;
  const doc = typeof body === 'string' ? parseTemplate(body, stack) : ((body ?? {}) as Record<string, unknown>);
  const declared = (doc.Resources ?? {}) as Record<string, { DeletionPolicy?: string }>;
  const own: StackResource[] = (listed.json.StackResourceSummaries as any[]).map((r) => ({
    stack,
    logicalId: r.LogicalResourceId,
    physicalId: r.PhysicalResourceId ?? '',
    type: r.ResourceType,
    deletionPolicy: declared[r.LogicalResourceId]?.DeletionPolicy,
  }));
  const nested = await Promise.all(own.filter((r) => r.type === 'AWS::CloudFormation::Stack' && r.physicalId.startsWith('arn:')).map((r) => resources(aws, r.physicalId)));
  return [...own, ...nested.flat()];
}

/** The command that removes a retained resource of `type`. */
export function removeCommand(type: string, id: string, region: string): string {
  const r = `--region ${region}`;
  switch (type) {
    // The alarm topic keeps its name (berth-<environment>-alarms): a new environment of the same
    // name cannot create its topic until this one is gone. Its physical ID is its ARN.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-sns-topic.html#aws-resource-sns-topic-return-values
    case 'AWS::SNS::Topic':
      return `aws sns delete-topic --topic-arn ${id} ${r}`;
    case 'AWS::Logs::LogGroup':
      return `aws logs delete-log-group --log-group-name ${id} ${r}`;
    case 'AWS::KMS::Key':
      // Deleting a key is delayed 7 to 30 days and cannot be undone after. https://docs.aws.amazon.com/kms/latest/developerguide/deleting-keys.html
      return `aws kms schedule-key-deletion --key-id ${id} --pending-window-in-days 7 ${r}`;
    case 'AWS::S3::Bucket':
      // A versioned bucket must be empty of every object version first. https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-bucket.html
      return `aws s3 rm s3://${id} --recursive ${r} && aws s3api delete-bucket --bucket ${id} ${r} (empty every object version first)`;
    case 'AWS::SSM::Parameter':
      return `aws ssm delete-parameter --name ${id} ${r}`;
    case 'AWS::SecretsManager::Secret':
      return `aws secretsmanager delete-secret --secret-id ${id} --recovery-window-in-days 7 ${r}`;
    case 'AWS::SQS::Queue':
      return `aws sqs delete-queue --queue-url ${id} ${r}`;
    case 'AWS::ECR::Repository':
      return `aws ecr delete-repository --repository-name ${id} --force ${r}`;
    case 'AWS::DynamoDB::Table':
      // A table with deletion protection refuses to be deleted until it is turned off.
      // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection
      return `aws dynamodb update-table --table-name ${id} --no-deletion-protection-enabled ${r} && aws dynamodb delete-table --table-name ${id} ${r}`;
    case 'AWS::RDS::DBCluster':
      // DeletionPolicy Snapshot: the cluster goes, its final snapshot stays (named by CloudFormation).
      return `aws rds describe-db-cluster-snapshots --db-cluster-identifier ${id} --snapshot-type manual ${r} (the final snapshot: delete it with aws rds delete-db-cluster-snapshot --db-cluster-snapshot-identifier <id>)`;
    default:
      return `aws cloudcontrol delete-resource --type-name ${type} --identifier ${id} ${r}`;
  }
}

/** Which layers deployed alone build on `template` (their stacks must go first). */
function dependants(template: string, files: readonly string[]): string[] {
  const services = files.filter((f) => f.startsWith('service-') && f !== 'service-catalog');
  const stores = files.filter((f) => f.startsWith('data-'));
  if (template === 'network') return ['load-balancer', 'cluster', ...stores, ...services].filter((f) => files.includes(f));
  // A service that uses a store reads it from the registry, and adds a rule to a database's security group.
  if (template === 'cluster' || template === 'load-balancer' || template.startsWith('data-')) return services;
  return [];
}

/** `root`: the repository whose output/<env>/ lists the layers (tests pass a fixture's). */
export async function plan(argv: readonly string[], aws: Aws, root: string = ROOT): Promise<{ blockers: string[]; retained: string[][] }> {
  const [env, ...rest] = argv;
  const opt = (name: string) => rest[rest.indexOf(`--${name}`) + 1]!;
  const template = opt('template');
  const stack = opt('stack-name');
  const region = opt('region');
  const blockers: string[] = [];
  const again = `then run \`scripts/deploy.sh ${env}${template === 'root' ? '' : ` --template ${template}`} --delete\` again`;

  const files = readdirSync(join(root, 'output', env!)).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5));
  const above = dependants(template, files);
  const [described, all, others] = await Promise.all([
    aws('cloudformation', 'describe-stacks', '--stack-name', stack),
    resources(aws, stack),
    Promise.all(above.map(async (f) => ((await aws('cloudformation', 'describe-stacks', '--stack-name', `berth-${env}-${f}`)).ok ? f : undefined))),
  ]);
  for (const f of others) {
    if (f) blockers.push(`stack berth-${env}-${f} is deployed on top of ${stack} (it uses its ${template === 'network' ? 'VPC and subnets' : 'resources'}). Delete it first: \`scripts/deploy.sh ${env} --template ${f} --delete\`, ${again}.`);
  }
  if (described.ok && described.json.Stacks[0].EnableTerminationProtection) {
    blockers.push(`stack ${stack} has termination protection. If it is to go: \`aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name ${stack} --region ${region}\`, ${again}.`);
  }
  const checks = all.map(async (r) => {
    if (r.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer' && r.physicalId) {
      const a = await aws('elbv2', 'describe-load-balancer-attributes', '--load-balancer-arn', r.physicalId);
      const on = a.ok && (a.json.Attributes as { Key: string; Value: string }[]).some((x) => x.Key === 'deletion_protection.enabled' && x.Value === 'true');
      // CloudFormation cannot delete a load balancer with deletion protection: the delete fails
      // half-way. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#deletion-protection
      if (on) {
        blockers.push(
          `load balancer ${r.logicalId} (${r.stack}) has deletion protection on (the environment's \`loadBalancer.deletionProtection\`), so the delete would fail half-way. If the estate is to go: ` +
            `\`aws elbv2 modify-load-balancer-attributes --load-balancer-arn ${r.physicalId} --attributes Key=deletion_protection.enabled,Value=false --region ${region}\`, ${again}.`,
        );
      }
    }
    if (r.type === 'AWS::RDS::DBCluster' && r.physicalId) {
      const d = await aws('rds', 'describe-db-clusters', '--db-cluster-identifier', r.physicalId);
      // CloudFormation cannot delete a cluster with deletion protection: the delete fails half-way
      // (after the cluster's instances are gone). https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_DeleteCluster.html#USER_DeletionProtection
      if (d.ok && d.json.DBClusters?.[0]?.DeletionProtection === true) {
        blockers.push(
          `database ${r.physicalId} (${r.stack}) has deletion protection on (the environment's \`stores.<name>.deletionProtection\`), so the delete would fail half-way. If the database is to go (its final snapshot stays): ` +
            `\`aws rds modify-db-cluster --db-cluster-identifier ${r.physicalId} --no-deletion-protection --apply-immediately --region ${region}\`, ${again}.`,
        );
      }
    }
    if (r.type === 'AWS::ECS::Cluster' && r.physicalId) {
      const listed = await aws('ecs', 'list-tasks', '--cluster', r.physicalId, '--desired-status', 'RUNNING');
      const arns = listed.ok ? (listed.json.taskArns as string[]) : [];
      if (!arns.length) return;
      const d = await aws('ecs', 'describe-tasks', '--cluster', r.physicalId, '--tasks', ...arns.slice(0, 100));
      // Service tasks stop with their service; a task outside any service (a scheduled or manual
      // run) keeps the cluster from being deleted. https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DeleteCluster.html
      for (const t of d.ok ? (d.json.tasks as { taskArn: string; group?: string; startedBy?: string }[]) : []) {
        if (t.group?.startsWith('service:')) continue;
        blockers.push(
          `task ${t.taskArn.split('/').pop()} (${t.group ?? 'no group'}${t.startedBy ? `, started by ${t.startedBy}` : ''}) is running on cluster ${r.physicalId} outside any service, and a cluster with running tasks cannot be deleted. ` +
            `Let it finish, or stop it: \`aws ecs stop-task --cluster ${r.physicalId} --task ${t.taskArn} --region ${region}\`, ${again}.`,
        );
      }
    }
  });
  await Promise.all(checks);
  const retained = all
    .filter((r) => r.physicalId && ['Retain', 'RetainExceptOnCreate', 'Snapshot'].includes(r.deletionPolicy ?? ''))
    .map((r) => [r.type, r.physicalId, removeCommand(r.type, r.physicalId, region)])
    .sort((a, b) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!));
  return { blockers, retained };
}

export async function main(argv: readonly string[]): Promise<number> {
  const out = argv[argv.indexOf('--out') + 1]!;
  const region = argv[argv.indexOf('--region') + 1]!;
  const aws = makeAws(awsCli(ROOT), region);
  const { blockers, retained } = await plan(argv, aws).finally(() => aws.close());
  for (const b of blockers) process.stderr.write(`error: ${b}\n`);
  if (blockers.length) return 1;
  writeFileSync(join(out, 'retained.tsv'), retained.map((r) => `${r.join('\t')}\n`).join(''));
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
