/**
 * What every service's task needs: its log group (encrypted with its own rotating key), its
 * security group, separate execution and task roles with least privilege, and a locked-down
 * container definition (read-only root filesystem, non-root user, no capabilities).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_definitions.html
 */
import { AWS, BerthError, q, Sub, sub, type EC2SecurityGroupEgress, type Intrinsic, type Json, type Parameter, type Resource, type Template, type Value } from '../../../src/dsl/index.ts';
import { shortRetention, withGuardExemptions } from '../shared/guard.ts';
import { RETAIN_EXCEPT_ON_CREATE } from '../shared/retention.ts';
import { estateRole, inlinePolicy, resolvedLength, ROLE_INLINE_POLICY_CHARACTERS, serviceTrust, taskRoleName } from '../shared/iam.ts';
import { toPlain } from '../../../src/emit/plain.ts';
import type { StoreWiring } from '../data/grants.ts';
import { customerKey, logGroupKey } from '../shared/kms.ts';
import { need, type OptionalHandles } from './parameters.ts';
import { hasInterfaceEndpoints } from '../endpoints.ts';
import { awsOnlyEgress, INTERNET_HTTPS_EGRESS } from '../shared/egress.ts';
import { pascal } from './routing.ts';
import { OWN_QUEUE_URL_VARIABLE, queueUrlVariable, type Resolved } from './resolve.ts';
export type Tags = readonly { readonly Key: string; readonly Value: Value<string> }[];

export function logResources(t: Template, r: Resolved, env: Intrinsic<'String'>, tags: Tags): Resource<'AWS::Logs::LogGroup'> {
  const logGroupName = sub`/berth/${env}/${r.name}`;
  const key = logGroupKey(t, 'LogKey', { description: sub`Encrypts the logs of ${env} service ${r.name}`, logGroupName, tags });
  // A fixed name, so kept on stack deletion but deleted when the create that made it rolls back:
  // a retained group would make every retry fail with "already exists" (see RETAIN_EXCEPT_ON_CREATE).
  return t.resource(
    'LogGroup',
    'AWS::Logs::LogGroup',
    { LogGroupName: logGroupName, RetentionInDays: r.s.logRetentionDays, KmsKeyId: key.getAtt('Arn'), Tags: tags },
    withGuardExemptions(RETAIN_EXCEPT_ON_CREATE, [shortRetention(r.s.logRetentionDays, r.s.file, 'logRetentionDays')]),
  );
}

export function securityGroup(t: Template, r: Resolved, vpc: Parameter<'AWS::EC2::VPC::Id'>, o: OptionalHandles, env: Intrinsic<'String'>, tags: Tags, egress: readonly EC2SecurityGroupEgress[] = []): Resource<'AWS::EC2::SecurityGroup'> {
  const port = r.def.container.port;
  const sg = t.resource('SecurityGroup', 'AWS::EC2::SecurityGroup', {
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
    // HTTPS out (shared/egress.ts): with the network's interface endpoints, to them and to S3 only,
    // plus the internet where the definition says `egress: 'internet'`; without them, to AWS's
    // public endpoints (and anything else) through NAT. And to the databases it uses (`uses`), on
    // their ports, by their security groups (`egress`, templates/stacks/data/grants.ts).
    SecurityGroupEgress: hasInterfaceEndpoints(r.s)
      ? [
          ...awsOnlyEgress({ endpointSecurityGroupId: need(o.EndpointSecurityGroupId, 'EndpointSecurityGroupId').ref, s3PrefixListId: need(o.S3PrefixListId, 'S3PrefixListId').ref }),
          ...(r.def.egress === 'internet' ? [{ ...INTERNET_HTTPS_EGRESS, Description: 'HTTPS to the internet through NAT (the definition says egress: internet)' }] : []),
          // The tables it uses (`uses`): DynamoDB through its gateway endpoint, by the Region's prefix list.
          // https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-ddb.html
          ...(o.DynamoDbPrefixListId ? [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationPrefixListId: o.DynamoDbPrefixListId.ref, Description: 'HTTPS to DynamoDB through the gateway endpoint (the tables it uses)' }] : []),
          ...egress,
        ]
      : [{ ...INTERNET_HTTPS_EGRESS, Description: 'HTTPS to AWS APIs and image registries through NAT (no interface endpoints)' }, ...egress],
    Tags: [...tags, { Key: 'Name', Value: sub`${env}-${r.name}-tasks` }],
  });
  if (r.def.role.kind === 'web') {
    // The load balancer's way to this service: its group sends only to the groups of the services
    // behind it, each on its container port (requests and health checks), by a rule each service
    // adds here and takes away when it goes (templates/stacks/load-balancer.ts).
    t.resource('LoadBalancerEgress', 'AWS::EC2::SecurityGroupEgress', {
      GroupId: need(o.LoadBalancerSecurityGroupId, 'LoadBalancerSecurityGroupId').ref,
      IpProtocol: 'tcp',
      FromPort: port!,
      ToPort: port!,
      DestinationSecurityGroupId: sg.getAtt('GroupId'),
      Description: sub`To ${env} ${r.name} tasks on the container port`,
    });
  }
  return sg;
}

export interface QueueResources {
  readonly key: Resource<'AWS::KMS::Key'>;
  readonly queue: Resource<'AWS::SQS::Queue'>;
  readonly deadLetter: Resource<'AWS::SQS::Queue'>;
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

/** `{environment}` in a secret's name is the stack's `EnvironmentName`. */
function named(text: string): string {
  return text.replaceAll('{environment}', '${EnvironmentName}');
}

/**
 * Secrets as task-definition references (`Secrets[].ValueFrom`, where the deploy preflight finds
 * the ones that must exist) and as the IAM resources the execution role reads. Generated secrets
 * are the stack's own resources (`generatedSecrets`), referenced by ARN.
 */
export function secretRefs(r: Resolved, generated: ReadonlyMap<string, Resource<'AWS::SecretsManager::Secret'>> = new Map()): SecretRef[] {
  return Object.entries(r.def.container.secrets ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, source]): SecretRef => {
      if ('generated' in source) {
        const secret = generated.get(name)!;
        return { name, valueFrom: secret.ref, resource: secret.ref, service: 'secretsmanager' };
      }
      if ('ssmParameter' in source) {
        const p = source.ssmParameter;
        const arn = p.startsWith('arn:') ? Sub(named(p)) : Sub(`arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${named(p.replace(/^\//, ''))}`);
        return { name, valueFrom: plain(arn), resource: plain(arn), service: 'ssm' };
      }
      const id = named(source.secretsManagerSecret);
      const arn = id.startsWith('arn:');
      const base = arn ? id : `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${id}`;
      // A secret's ARN ends in `-` and six random characters, which a name does not know.
      // https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html#auth-and-access_iam-policies-wildcard
      const resource = arn ? id : `${base}-??????`;
      // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
      const valueFrom = source.jsonKey === undefined ? base : `${base}:${source.jsonKey}::`;
      return { name, valueFrom: plain(Sub(valueFrom)), resource: plain(Sub(resource)), service: 'secretsmanager' };
    });
}

/** A `Fn::Sub` without placeholders is just its text. */
function plain(value: Intrinsic<'String'>): Value<string> {
  const text = (value.args as unknown as string);
  return typeof text === 'string' && !text.includes('${') ? text : value;
}

/**
 * The Secrets Manager secrets the stack creates for `generated` sources: named
 * `berth/<environment>/<service>/<variable in kebab case>`, encrypted with the service's own key,
 * with a random value, kept when the stack is deleted (but deleted with a create that rolls back,
 * so a retry can make the name again: CloudFormation deletes a secret without a recovery window,
 * https://github.com/aws-cloudformation/cloudformation-coverage-roadmap/issues/1999, so the name
 * is free at once).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-secretsmanager-secret.html
 */
export function generatedSecrets(t: Template, r: Resolved, env: Intrinsic<'String'>, tags: Tags): { secrets: Map<string, Resource<'AWS::SecretsManager::Secret'>>; key?: Resource<'AWS::KMS::Key'> } {
  const entries = Object.entries(r.def.container.secrets ?? {}).filter(([, s]) => 'generated' in s).sort(([a], [b]) => a.localeCompare(b));
  const secrets = new Map<string, Resource<'AWS::SecretsManager::Secret'>>();
  if (entries.length === 0) return { secrets };
  // A customer managed key, so the execution role's kms:Decrypt names this key only.
  const key = customerKey(t, 'SecretKey', { description: sub`Encrypts the generated secrets of ${env} service ${r.name}`, tags });
  for (const [variable, source] of entries) {
    const g = (source as { generated: { length?: number; excludePunctuation?: boolean } }).generated;
    const kebab = variable.toLowerCase().replace(/_/g, '-');
    secrets.set(
      variable,
      t.resource(
        `${pascal(kebab)}Secret`,
        'AWS::SecretsManager::Secret',
        {
          Name: sub`berth/${env}/${r.name}/${kebab}`,
          Description: `${variable} of service ${r.name}, generated by the stack.`,
          KmsKeyId: key.getAtt('Arn'),
          // https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetRandomPassword.html
          GenerateSecretString: { PasswordLength: g.length ?? 48, ExcludePunctuation: g.excludePunctuation ?? true },
          Tags: tags,
        },
        {
          ...RETAIN_EXCEPT_ON_CREATE,
          metadata: {
            checkov: {
              skip: [{ id: 'CKV_AWS_149', comment: 'Encrypted with the service\'s own customer managed key (KmsKeyId, the SecretKey resource); the check reads only a literal key ID.' }],
            },
          },
        },
      ),
    );
  }
  return { secrets, key };
}

/** A queue another service owns that this service sends to: its URL, ARN and key, from the estate registry. */
export interface SendTarget {
  readonly service: string;
  readonly url: Intrinsic<'String'>;
  readonly arn: Intrinsic<'String'>;
  readonly keyArn: Intrinsic<'String'>;
}

export function taskRoles(
  t: Template,
  r: Resolved,
  env: Intrinsic<'String'>,
  logGroup: Resource<'AWS::Logs::LogGroup'>,
  queue: QueueResources | undefined,
  secretsFrom: { secrets: ReadonlyMap<string, Resource<'AWS::SecretsManager::Secret'>>; key?: Resource<'AWS::KMS::Key'> },
  sends: readonly SendTarget[],
  stores: Pick<StoreWiring, 'execution' | 'task' | 'namedRole'> = { execution: [], task: [], namedRole: false },
): TaskRoles {
  const secrets = secretRefs(r, secretsFrom.secrets);
  const ssm = secrets.filter((s) => s.service === 'ssm').map((s) => s.resource);
  const sm = secrets.filter((s) => s.service === 'secretsmanager').map((s) => s.resource);
  const ecr = r.imageRef.ecr;
  const execution = t.resource('ExecutionRole', 'AWS::IAM::Role', {
    Description: `ECS agent for ${r.name}: pulls the image, writes logs, reads the declared secrets.`,
    AssumeRolePolicyDocument: serviceTrust('ecs-tasks.amazonaws.com'),
    ...estateRole(t, r.s.name, 'ecs-tasks.amazonaws.com'),
    Policies: [
      inlinePolicy('start-task', [
        { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logGroup.getAtt('Arn') },
        ...(ecr
          ? [
              // GetAuthorizationToken has no resource-level permission: it must be `*`.
              // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html
              { Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
              {
                Sid: 'PullImage',
                Effect: 'Allow',
                Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
                Resource: sub`arn:${AWS.Partition}:ecr:${ecr.region}:${ecr.account}:repository/${ecr.repository}`,
              },
            ]
          : []),
        ...(ssm.length ? [{ Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: ssm }] : []),
        ...(sm.length ? [{ Sid: 'ReadSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: sm }] : []),
        // Secrets Manager decrypts a secret under a customer managed key with the caller's kms:Decrypt.
        // https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
        ...(secretsFrom.key ? [{ Sid: 'DecryptSecrets', Effect: 'Allow', Action: 'kms:Decrypt', Resource: secretsFrom.key.getAtt('Arn') }] : []),
        // The database secrets of the stores it uses (templates/stacks/data/grants.ts).
        ...stores.execution,
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
  for (const target of sends) {
    // Sending to an encrypted queue takes kms:GenerateDataKey (a data key for the message) and
    // kms:Decrypt (SQS checks the key): https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html#send-to-encrypted-queue
    const id = pascal(target.service);
    statements.push(
      { Sid: `SendTo${id}`, Effect: 'Allow', Action: 'sqs:SendMessage', Resource: target.arn },
      { Sid: `EncryptFor${id}`, Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: target.keyArn },
    );
  }
  // The stores it uses, each with exactly the actions of its access level (templates/stacks/data/grants.ts).
  statements.push(...stores.task);
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
    // A fixed name when another stack's policy names the role before it exists: the key policy of
    // a queue it sends to, the policy of a bucket it uses (see `taskRoleName`).
    ...(sends.length || stores.namedRole ? { RoleName: taskRoleName(env, r.name) } : {}),
    Description: `The ${r.name} application: only what its code needs.`,
    AssumeRolePolicyDocument: serviceTrust('ecs-tasks.amazonaws.com'),
    ...estateRole(t, r.s.name, 'ecs-tasks.amazonaws.com'),
    ...(statements.length ? { Policies: [inlinePolicy('application', statements)] } : {}),
  });
  for (const [role, what] of [[execution, 'execution'], [task, 'task']] as const) checkPolicySize(r, role, what);
  return { execution, task };
}

/**
 * A role's inline policies must stay within IAM's limit once CloudFormation resolves them, or the
 * stack fails when it creates the role: refused here, with what makes them large.
 */
function checkPolicySize(r: Resolved, role: Resource<'AWS::IAM::Role'>, what: string): void {
  const length = resolvedLength(toPlain((role.props as { Policies?: unknown }).Policies ?? []));
  if (length <= ROLE_INLINE_POLICY_CHARACTERS) return;
  const cause = r.uses.length ? `the ${r.uses.length} stores it uses (\`uses\`)` : 'its secrets and queues';
  throw new BerthError(
    r.at(r.uses.length ? 'uses' : 'container.secrets'),
    `gives the ${what} role of ${q(r.name)} inline policies of up to ${length} characters once resolved, and IAM allows ${ROLE_INLINE_POLICY_CHARACTERS} per role; most of them come from ${cause}. Split the service, or let it use fewer stores.`,
  );
}

/**
 * The image of the init container that opens a Fargate task's writable paths to the container's
 * user: BusyBox from the Docker official images on ECR Public (no Docker Hub rate limit, both
 * architectures), pinned to a release. It runs `chmod`, then exits.
 */
export const SCRATCH_INIT_IMAGE = 'public.ecr.aws/docker/library/busybox:1.36.1';
/** Memory (MiB) of the init container, taken from the task's: `chmod` needs a few. */
export const SCRATCH_INIT_MEMORY_MIB = 16;

/** The name of a Fargate task's init container (never the service's own container name). */
export function scratchInitName(r: Resolved): string {
  return `${r.name}-scratch-init`;
}

/** Whether the task has an init container that makes its writable paths writable (Fargate only). */
export function hasScratchInit(r: Resolved): boolean {
  return r.fargate && r.writable.length > 0;
}

/**
 * The task's volumes for the writable paths. On EC2, Docker volumes of the task's lifetime:
 * Docker fills a new, empty volume with what the image has at the mount path, ownership and mode
 * included (`/tmp` stays 1777, an app's cache directory stays its user's), so the non-root user can
 * write there as it could without a read-only root filesystem.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/docker-volumes.html
 * https://docs.docker.com/engine/storage/volumes/#populate-a-volume-using-a-container
 * Fargate has no Docker volumes (platform 1.4.0) and no tmpfs; its bind mounts are empty and
 * owned by root with mode 755, so a non-root user cannot write to them: an init container opens
 * them (see `scratchInitContainer`).
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/bind-mounts.html
 * https://github.com/aws/containers-roadmap/issues/938
 */
export function taskVolumes(r: Resolved) {
  return r.writable.map((w) => (r.fargate ? { Name: w.volume } : { Name: w.volume, DockerVolumeConfiguration: { Scope: 'task', Driver: 'local' } }));
}

/**
 * Fargate only: a non-essential container that runs before the application (`DependsOn` ...
 * `SUCCESS`) and sets mode 1777 (every user may write; only a file's owner may delete it, as on
 * `/tmp`) on each writable path. It runs as root because the bind mounts belong to root, with every
 * capability dropped: the owner of a file needs none to change its mode. This is the init container
 * AWS suggests in https://github.com/aws/containers-roadmap/issues/938; the application itself
 * still runs as its non-root user.
 */
export function scratchInitContainer(r: Resolved, logGroup: Resource<'AWS::Logs::LogGroup'>) {
  return {
    Name: scratchInitName(r),
    Image: SCRATCH_INIT_IMAGE,
    Essential: false,
    Cpu: 0,
    Memory: SCRATCH_INIT_MEMORY_MIB,
    EntryPoint: ['chmod', '1777'],
    Command: r.writable.map((w) => w.path),
    LogConfiguration: {
      LogDriver: 'awslogs',
      Options: { 'awslogs-group': logGroup.ref, 'awslogs-region': AWS.Region, 'awslogs-stream-prefix': scratchInitName(r) },
    },
    ReadonlyRootFilesystem: true,
    MountPoints: r.writable.map((w) => ({ SourceVolume: w.volume, ContainerPath: w.path, ReadOnly: false })),
    User: '0',
    Privileged: false,
    LinuxParameters: { Capabilities: { Drop: ['ALL'] }, InitProcessEnabled: true },
  };
}

export function containerDefinition(
  r: Resolved,
  image: Intrinsic<'String'>,
  logGroup: Resource<'AWS::Logs::LogGroup'>,
  generated: ReadonlyMap<string, Resource<'AWS::SecretsManager::Secret'>>,
  queueUrls: { readonly own?: Value<string>; readonly sends: readonly SendTarget[] },
  stores: Pick<StoreWiring, 'environment' | 'secrets'> = { environment: [], secrets: [] },
) {
  const c = r.def.container;
  const hc = c.healthCheck;
  const environment: [string, Value<string>][] = [
    ...Object.entries(c.environment ?? {}),
    ...(queueUrls.own !== undefined ? [[OWN_QUEUE_URL_VARIABLE, queueUrls.own] as [string, Value<string>]] : []),
    ...queueUrls.sends.map((s): [string, Value<string>] => [queueUrlVariable(s.service), s.url]),
    ...stores.environment,
  ].sort(([a], [b]) => a.localeCompare(b));
  const secrets = [...secretRefs(r, generated).map((s) => ({ name: s.name, valueFrom: s.valueFrom })), ...stores.secrets].sort((a, b) => a.name.localeCompare(b.name));
  const init = hasScratchInit(r);
  return {
    Name: r.name,
    Image: image,
    Essential: true,
    Cpu: c.cpu,
    // The container's hard limit, the task's memory less what the init container may use.
    Memory: c.memoryMiB - (init ? SCRATCH_INIT_MEMORY_MIB : 0),
    ...(init ? { DependsOn: [{ ContainerName: scratchInitName(r), Condition: 'SUCCESS' }] } : {}),
    ...(c.entryPoint ? { EntryPoint: [...c.entryPoint] } : {}),
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
