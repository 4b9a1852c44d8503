/**
 * What every service's task needs: its log group (encrypted with its own rotating key), its
 * security group, separate execution and task roles with least privilege, and a locked-down
 * container definition (read-only root filesystem, non-root user, no capabilities).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definitions.html
 */
import { AWS, RETAIN, sub, type Intrinsic, type Json, type Parameter, type Resource, type Template, type Value } from '../../../src/dsl/index.ts';
import { inlinePolicy, serviceTrust } from '../shared/iam.ts';
import { logGroupKey } from '../shared/kms.ts';
import { need, type OptionalHandles } from './parameters.ts';
import type { Resolved } from './resolve.ts';
export type Tags = readonly { readonly Key: string; readonly Value: Value<string> }[];

export function logResources(t: Template, r: Resolved, env: Intrinsic<'String'>, tags: Tags): Resource<'AWS::Logs::LogGroup'> {
  const logGroupName = sub`/berth/${env}/${r.name}`;
  const key = logGroupKey(t, 'LogKey', { description: sub`Encrypts the logs of ${env} service ${r.name}`, logGroupName, tags });
  return t.resource(
    'LogGroup',
    'AWS::Logs::LogGroup',
    { LogGroupName: logGroupName, RetentionInDays: r.s.logRetentionDays, KmsKeyId: key.getAtt('Arn'), Tags: tags },
    RETAIN,
  );
}

export function securityGroup(t: Template, r: Resolved, vpc: Parameter<'AWS::EC2::VPC::Id'>, o: OptionalHandles, env: Intrinsic<'String'>, tags: Tags): Resource<'AWS::EC2::SecurityGroup'> {
  const port = r.def.container.port;
  return t.resource('SecurityGroup', 'AWS::EC2::SecurityGroup', {
    GroupDescription: sub`${env} ${r.name} tasks`,
    VpcId: vpc.ref,
    // Web tasks admit the load balancer only, on the container port; workers and jobs admit nothing.
    ...(r.def.role.kind === 'web'
      ? {
          SecurityGroupIngress: [
            { IpProtocol: 'tcp', FromPort: port!, ToPort: port!, SourceSecurityGroupId: need(o.LoadBalancerSecurityGroupId, 'LoadBalancerSecurityGroupId').ref, Description: 'From the load balancer to the container port' },
          ],
        }
      : {}),
    // HTTPS out: image layers (ECR, S3), logs, secrets, SQS and other AWS APIs through NAT or endpoints.
    SecurityGroupEgress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0', Description: 'HTTPS to AWS APIs and image registries' }],
    Tags: [...tags, { Key: 'Name', Value: sub`${env}-${r.name}-tasks` }],
  });
}

export interface QueueResources {
  readonly key: Resource<'AWS::KMS::Key'>;
  readonly queue: Resource<'AWS::SQS::Queue'>;
}

export interface TaskRoles {
  readonly execution: Resource<'AWS::IAM::Role'>;
  readonly task: Resource<'AWS::IAM::Role'>;
}

export interface SecretRef {
  readonly name: string;
  readonly valueFrom: Value<string>;
  readonly resource: Value<string>;
  readonly service: 'ssm' | 'secretsmanager';
}

/** Secrets as task-definition references and as the IAM resources the execution role reads. */
export function secretRefs(r: Resolved): SecretRef[] {
  return Object.entries(r.def.container.secrets ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, source]): SecretRef => {
      if ('ssmParameter' in source) {
        const p = source.ssmParameter;
        const arn = p.startsWith('arn:') ? p : sub`arn:${AWS.Partition}:ssm:${AWS.Region}:${AWS.AccountId}:parameter/${p.replace(/^\//, '')}`;
        return { name, valueFrom: arn, resource: arn, service: 'ssm' };
      }
      const id = source.secretsManagerSecret;
      const base = id.startsWith('arn:') ? id : sub`arn:${AWS.Partition}:secretsmanager:${AWS.Region}:${AWS.AccountId}:secret:${id}`;
      // A secret's ARN ends in `-` and six random characters, which a name does not know.
      // https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html#auth-and-access_iam-policies-wildcard
      const resource = id.startsWith('arn:') ? id : sub`arn:${AWS.Partition}:secretsmanager:${AWS.Region}:${AWS.AccountId}:secret:${id}-??????`;
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
      const valueFrom = source.jsonKey === undefined ? base : id.startsWith('arn:') ? `${id}:${source.jsonKey}::` : sub`arn:${AWS.Partition}:secretsmanager:${AWS.Region}:${AWS.AccountId}:secret:${id}:${source.jsonKey}::`;
      return { name, valueFrom, resource, service: 'secretsmanager' };
    });
}

export function taskRoles(t: Template, r: Resolved, logGroup: Resource<'AWS::Logs::LogGroup'>, queue: QueueResources | undefined): TaskRoles {
  const secrets = secretRefs(r);
  const ssm = secrets.filter((s) => s.service === 'ssm').map((s) => s.resource);
  const sm = secrets.filter((s) => s.service === 'secretsmanager').map((s) => s.resource);
  const execution = t.resource('ExecutionRole', 'AWS::IAM::Role', {
    Description: `ECS agent for ${r.name}: pulls the image, writes logs, reads the declared secrets.`,
    AssumeRolePolicyDocument: serviceTrust('ecs-tasks.amazonaws.com'),
    Policies: [
      inlinePolicy('start-task', [
        { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logGroup.getAtt('Arn') },
        ...(r.ecr
          ? [
              // GetAuthorizationToken has no resource-level permission: it must be `*`.
              // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
              { Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
              {
                Sid: 'PullImage',
                Effect: 'Allow',
                Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
                Resource: sub`arn:${AWS.Partition}:ecr:${r.ecr.region}:${r.ecr.account}:repository/${r.ecr.repository}`,
              },
            ]
          : []),
        ...(ssm.length ? [{ Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: ssm }] : []),
        ...(sm.length ? [{ Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: sm }] : []),
      ]),
    ],
  });
  const statements: Json[] = [];
  if (queue) {
    statements.push(
      { Sid: 'ConsumeQueue', Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'], Resource: queue.queue.getAtt('Arn') },
      { Sid: 'DecryptMessages', Effect: 'Allow', Action: 'kms:Decrypt', Resource: queue.key.getAtt('Arn') },
    );
  }
  if (r.exec) {
    // ECS Exec's Session Manager channels have no resource-level permissions: they must be `*`.
    // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html#ecs-exec-required-iam-permissions
    statements.push({
      Sid: 'EcsExec',
      Effect: 'Allow',
      Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
      Resource: '*',
    });
  }
  const task = t.resource('TaskRole', 'AWS::IAM::Role', {
    Description: `The ${r.name} application: only what its code needs.`,
    AssumeRolePolicyDocument: serviceTrust('ecs-tasks.amazonaws.com'),
    ...(statements.length ? { Policies: [inlinePolicy('application', statements)] } : {}),
  });
  return { execution, task };
}

export function containerDefinition(r: Resolved, image: Intrinsic<'String'>, logGroup: Resource<'AWS::Logs::LogGroup'>) {
  const c = r.def.container;
  const hc = c.healthCheck;
  const environment = Object.entries(c.environment ?? {}).sort(([a], [b]) => a.localeCompare(b));
  const secrets = secretRefs(r);
  return {
    Name: r.name,
    Image: image,
    Essential: true,
    Cpu: c.cpu,
    Memory: c.memoryMiB,
    ...(c.command ? { Command: [...c.command] } : {}),
    ...(c.port !== undefined ? { PortMappings: [{ ContainerPort: c.port, Protocol: 'tcp' }] } : {}),
    ...(environment.length ? { Environment: environment.map(([Name, Value]) => ({ Name, Value })) } : {}),
    ...(secrets.length ? { Secrets: secrets.map((s) => ({ Name: s.name, ValueFrom: s.valueFrom })) } : {}),
    ...(hc
      ? {
          HealthCheck: {
            Command: [...hc.command],
            Interval: hc.intervalSeconds ?? 30,
            Timeout: hc.timeoutSeconds ?? 5,
            Retries: hc.retries ?? 3,
            StartPeriod: hc.startPeriodSeconds ?? 0,
          },
        }
      : {}),
    LogConfiguration: {
      LogDriver: 'awslogs',
      Options: { 'awslogs-group': logGroup.ref, 'awslogs-region': AWS.Region, 'awslogs-stream-prefix': r.name },
    },
    // Hardening: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/security-tasks-containers.html
    ReadonlyRootFilesystem: true,
    MountPoints: r.writable.map((w) => ({ SourceVolume: w.volume, ContainerPath: w.path, ReadOnly: false })),
    User: r.user,
    Privileged: false,
    LinuxParameters: { Capabilities: { Drop: ['ALL'] }, InitProcessEnabled: true },
  };
}
