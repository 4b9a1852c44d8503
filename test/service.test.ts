// Tests for the service stack, the Fargate size table and listener-rule priorities.
// Run: node --import tsx --test test/service.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '../src/dsl/errors.ts';
import { LIMITS } from '../src/dsl/limits.ts';
import { toPlain } from '../src/emit/plain.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { toYaml } from '../src/emit/yaml.ts';
import { checkFargateSize, fargateMemoryOptions, FARGATE_TASK_SIZES } from '../templates/stacks/service/fargate.ts';
import { assignPriorities, checkServices, priorityOf, probeOf } from '../templates/stacks/service/routing.ts';
import { service, serviceParameterNames } from '../templates/stacks/service.ts';
import type { ContainerProps, ServiceDefinition, ServiceRole } from '../templates/stacks/service/definition.ts';
import { report } from './fixtures/services/report.ts';
import { web } from './fixtures/services/web.ts';
import { worker } from './fixtures/services/worker.ts';
import { loadSettings, type ResolvedSettings } from '../templates/settings/settings.ts';

type Resource = { Type: string; Properties: Record<string, any>; DependsOn?: unknown; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Doc = { Description: string; Parameters: Record<string, Record<string, unknown>>; Resources: Record<string, Resource>; Outputs: Record<string, { Value: unknown }> };

const dev = loadSettings('test/fixtures/settings/dev.json');
const prod = loadSettings('test/fixtures/settings/prod.json');

function build(def: ServiceDefinition, settings: ResolvedSettings = prod, listenerRulePriority?: number): Doc {
  return toPlain(synthesize(service, { settings, service: def, listenerRulePriority }).toJSON()) as Doc;
}
const props = (d: Doc, id: string) => d.Resources[id]!.Properties;
const container = (d: Doc) => props(d, 'TaskDefinition').ContainerDefinitions[0];
const statements = (d: Doc, role: string) => props(d, role).Policies?.[0]?.PolicyDocument.Statement;

const withContainer = (def: ServiceDefinition, c: Partial<ContainerProps>): ServiceDefinition => ({ ...def, container: { ...def.container, ...c } });
const withRole = (def: ServiceDefinition, role: ServiceRole): ServiceDefinition => ({ ...def, role });
const webRole = web.role as Extract<ServiceRole, { kind: 'web' }>;
const workerRole = worker.role as Extract<ServiceRole, { kind: 'queueWorker' }>;
const withServices = (s: ResolvedSettings, services: ResolvedSettings['services']): ResolvedSettings => ({ ...s, services });

const TAGS = (name: string) => [
  { Key: 'berth:environment', Value: { Ref: 'EnvironmentName' } },
  { Key: 'berth:service', Value: name },
];
const RETAIN = { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };
/** A customer managed key: retained, and excused from cfripper's wildcard rule for AWS's default key policy (templates/stacks/shared/kms.ts). */
const KEY_OPTIONS = { ...RETAIN, Metadata: { cfripper: { skip: [{ id: 'GenericResourceWildcardPolicyRule', comment: "AWS's default key policy: the account administers its own key (kms:* for the account, which IAM policies then govern); service principals get the wildcard actions AWS documents for them, bound to this key's use by conditions." }] } } };
const TRUST = (service: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }],
});
/** Where an estate role lives and what bounds it under Service Catalog (templates/stacks/shared/iam.ts). */
const ESTATE_ROLE = (env: string, service: string) => ({
  Path: `/berth/${env}/${service}/`,
  PermissionsBoundary: { 'Fn::If': ['IsServiceCatalog', { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:policy/berth/${env}/role-boundary` }, { Ref: 'AWS::NoValue' }] },
});
const KEY_BASE = [
  { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } }, Action: 'kms:*', Resource: '*' },
  {
    Sid: 'GrantsOnlyForAwsServices',
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: 'kms:CreateGrant',
    Resource: '*',
    Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
  },
];
/** prod's tasks: their own group and the application tier's (the interface endpoints admit it). */
const AWSVPC = { Subnets: { Ref: 'ApplicationSubnetIds' }, SecurityGroups: [{ Ref: 'SecurityGroup' }, { Ref: 'ApplicationSecurityGroupId' }], AssignPublicIp: 'DISABLED' };
/** The network's registry entries every prod service reads (interface endpoints on). */
const ENDPOINT_PARAMETERS = ['ApplicationSecurityGroupId', 'EndpointSecurityGroupId', 'S3PrefixListId'];
const CLUSTER_ARN = { 'Fn::Sub': 'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:cluster/${ClusterName}' };

// --- contract ----------------------------------------------------------------------------------

test('web on EC2: parameters are the wiring it uses, with defaults from the definition and the environment', () => {
  const d = build(web);
  assert.deepEqual(Object.keys(d.Parameters), [
    'EnvironmentName', 'VpcId', 'ApplicationSubnetIds', 'ClusterName', 'CapacityProviderName', 'ListenerArn', 'LoadBalancerSecurityGroupId', ...ENDPOINT_PARAMETERS, 'ImageUri', 'MinCount', 'MaxCount',
  ]);
  assert.deepEqual(
    Object.fromEntries(Object.entries(d.Parameters).map(([k, p]) => [k, [p.Type, p.Default]])),
    {
      EnvironmentName: ['String', 'prod'],
      VpcId: ['AWS::EC2::VPC::Id', undefined],
      ApplicationSubnetIds: ['List<AWS::EC2::Subnet::Id>', undefined],
      ClusterName: ['AWS::SSM::Parameter::Value<String>', '/berth/prod/cluster-name'],
      CapacityProviderName: ['AWS::SSM::Parameter::Value<String>', '/berth/prod/capacity-provider-name'],
      ListenerArn: ['AWS::SSM::Parameter::Value<String>', '/berth/prod/listener-arn'],
      LoadBalancerSecurityGroupId: ['AWS::EC2::SecurityGroup::Id', undefined],
      ApplicationSecurityGroupId: ['AWS::SSM::Parameter::Value<AWS::EC2::SecurityGroup::Id>', '/berth/prod/application-security-group-id'],
      EndpointSecurityGroupId: ['AWS::SSM::Parameter::Value<AWS::EC2::SecurityGroup::Id>', '/berth/prod/endpoint-security-group-id'],
      S3PrefixListId: ['AWS::SSM::Parameter::Value<String>', '/berth/prod/s3-prefix-list-id'],
      ImageUri: ['String', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/web:1.0.0'],
      MinCount: ['Number', 3],
      MaxCount: ['Number', 12],
    },
  );
  for (const [id, p] of Object.entries(d.Parameters)) assert.ok(typeof p.Description === 'string' && p.Description.length > 10, id);
  assert.equal(d.Description, 'berth service web for prod: web service behind the load balancer on EC2 capacity.');
});

test('environment overrides set the task counts: dev web scales from 1 to 2', () => {
  const d = build(web, dev);
  assert.deepEqual([d.Parameters.DesiredCount, d.Parameters.MinCount!.Default, d.Parameters.MaxCount!.Default], [undefined, 1, 2]);
  assert.equal(d.Parameters.EnvironmentName!.Default, 'dev');
});

test('the definition\'s counts apply without overrides, and desiredCount defaults to 2 without scaling', () => {
  const none = withServices(prod, {});
  const d = build(web, none);
  assert.deepEqual([d.Parameters.MinCount!.Default, d.Parameters.MaxCount!.Default], [2, 6]);
  const { scaling: _, ...fixed } = webRole;
  assert.equal(build(withRole(web, fixed), none).Parameters.DesiredCount!.Default, 2);
  assert.equal(build({ ...withRole(web, fixed), desiredCount: 4 }, none).Parameters.DesiredCount!.Default, 4);
});

test('a scaled service leaves DesiredCount out of the template, so a stack update keeps the count auto scaling chose', () => {
  for (const def of [web, worker]) {
    const d = build(def);
    assert.equal(d.Parameters.DesiredCount, undefined, def.name);
    assert.equal('DesiredCount' in props(d, 'Service'), false, def.name);
    assert.deepEqual(props(d, 'ScalableTarget').MinCapacity, { Ref: 'MinCount' });
  }
});

test('a Fargate queue worker has no capacity-provider, listener or load-balancer parameters', () => {
  const d = build(worker);
  assert.deepEqual(Object.keys(d.Parameters), ['EnvironmentName', 'VpcId', 'ApplicationSubnetIds', 'ClusterName', ...ENDPOINT_PARAMETERS, 'ImageUri', 'MinCount', 'MaxCount']);
  assert.deepEqual([d.Parameters.MinCount!.Default, d.Parameters.MaxCount!.Default], [1, 10]);
});

test('a scheduled task has no task-count parameters at all', () => {
  assert.deepEqual(Object.keys(build(report).Parameters), ['EnvironmentName', 'VpcId', 'ApplicationSubnetIds', 'ClusterName', ...ENDPOINT_PARAMETERS, 'ImageUri']);
});

test('serviceParameterNames tells a parent which parameters to pass', () => {
  assert.deepEqual(serviceParameterNames({ settings: prod, service: report }), ['EnvironmentName', 'VpcId', 'ApplicationSubnetIds', 'ClusterName', ...ENDPOINT_PARAMETERS, 'ImageUri']);
  assert.deepEqual(serviceParameterNames({ settings: dev, service: report }), ['EnvironmentName', 'VpcId', 'ApplicationSubnetIds', 'ClusterName', 'ImageUri']);
  assert.deepEqual(serviceParameterNames({ settings: prod, service: web }), Object.keys(build(web).Parameters));
});

test('an ECR image pins the ImageUri parameter to its repository; an environment image overrides it', () => {
  assert.deepEqual(build(web).Parameters.ImageUri, {
    Type: 'String',
    Description: 'Container image in ECR repository 123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/web (the execution role may pull only from it), with a tag or digest. For another repository, set services.web.image in the environment file and rebuild.',
    Default: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/web:1.0.0',
    AllowedPattern:
      '^(?!.*:latest$)123456789012\\.dkr\\.ecr\\.eu-west-1\\.amazonaws\\.com\\/berth\\/web(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64}|:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[a-f0-9]{64})$',
    ConstraintDescription: 'an image of 123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/web, with :tag or @sha256:digest (not :latest)',
  });
  const pattern = new RegExp(build(web).Parameters.ImageUri!.AllowedPattern as string);
  assert.ok(pattern.test('123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/web:2.0.1'));
  assert.ok(pattern.test(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/web@sha256:${'a'.repeat(64)}`));
  assert.ok(!pattern.test('123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/other:1.0.0'));
  assert.ok(!pattern.test('123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/web'), 'a tag or digest is required');
  assert.ok(!pattern.test('123456789012.dkr.ecr.eu-west-1.amazonaws.com/berth/web:latest'), 'latest moves');
  const overridden = build(web, withServices(prod, { ...prod.services, web: { ...prod.services!.web, image: '999999999999.dkr.ecr.us-east-1.amazonaws.com/shop/web:7' } }));
  assert.equal(overridden.Parameters.ImageUri!.Default, '999999999999.dkr.ecr.us-east-1.amazonaws.com/shop/web:7');
  assert.deepEqual(statements(overridden, 'ExecutionRole')[2].Resource, { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:us-east-1:999999999999:repository/shop/web' });
});

test('an image outside ECR: any registry but private ECR, a tag or digest required, and no ECR permissions', () => {
  const d = build(withContainer(web, { image: 'public.ecr.aws/nginx/nginx:1.27' }), withServices(prod, {}));
  const pattern = new RegExp(d.Parameters.ImageUri!.AllowedPattern as string);
  for (const ok of ['public.ecr.aws/nginx/nginx:1.27', 'nginx:1.27', 'ghcr.io/acme/api:2.0.1', 'localhost:5000/x/y:1', `quay.io/a/b@sha256:${'0'.repeat(64)}`, `nginx:latest@sha256:${'0'.repeat(64)}`]) {
    assert.ok(pattern.test(ok), ok);
  }
  for (const bad of ['nginx', 'nginx:latest', 'public.ecr.aws/nginx/nginx', 'Nginx:1', 'nginx:1 x', '111122223333.dkr.ecr.eu-west-1.amazonaws.com/web:1']) {
    assert.ok(!pattern.test(bad), bad);
  }
  assert.deepEqual(statements(d, 'ExecutionRole').map((s: { Sid: string }) => s.Sid), ['WriteLogs', 'ReadParameters']);
});

test('outputs: service name, task definition, security group, run-task command; queue outputs are `none` outside workers', () => {
  const d = build(web);
  assert.deepEqual(d.Outputs.ServiceName!.Value, { 'Fn::GetAtt': ['Service', 'Name'] });
  assert.deepEqual(d.Outputs.TaskDefinitionArn!.Value, { Ref: 'TaskDefinition' });
  assert.deepEqual(d.Outputs.SecurityGroupId!.Value, { Ref: 'SecurityGroup' });
  assert.equal(d.Outputs.QueueUrl!.Value, 'none');
  assert.equal(d.Outputs.QueueArn!.Value, 'none');
  const w = build(worker);
  assert.deepEqual(w.Outputs.QueueUrl!.Value, { Ref: 'Queue' });
  assert.deepEqual(w.Outputs.QueueArn!.Value, { 'Fn::GetAtt': ['Queue', 'Arn'] });
  assert.deepEqual(build(report).Outputs.ServiceName!.Value, { 'Fn::Sub': '${EnvironmentName}-report' });
});

// --- task definition ---------------------------------------------------------------------------

test('task definition: awsvpc, EC2 compatibility, task CPU and memory, separate roles, a volume per writable path', () => {
  const d = build(web);
  const { ContainerDefinitions, ...td } = props(d, 'TaskDefinition');
  assert.deepEqual(td, {
    Family: { 'Fn::Sub': '${EnvironmentName}-web' },
    NetworkMode: 'awsvpc',
    RequiresCompatibilities: ['EC2'],
    Cpu: '512',
    Memory: '1024',
    ExecutionRoleArn: { 'Fn::GetAtt': ['ExecutionRole', 'Arn'] },
    TaskRoleArn: { 'Fn::GetAtt': ['TaskRole', 'Arn'] },
    // On EC2, a Docker volume of the task's lifetime: Docker fills it with the image's /tmp, mode included.
    Volumes: [{ Name: 'writable-tmp', DockerVolumeConfiguration: { Scope: 'task', Driver: 'local' } }],
    Tags: TAGS('web'),
  });
  assert.equal(ContainerDefinitions.length, 1, 'no init container on EC2');
});

test('container: image parameter, ports, sorted environment, secrets, health check, awslogs, hardening', () => {
  assert.deepEqual(container(build(web)), {
    Name: 'web',
    Image: { Ref: 'ImageUri' },
    Essential: true,
    Cpu: 512,
    Memory: 1024,
    PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp' }],
    Environment: [
      { Name: 'NODE_ENV', Value: 'production' },
      { Name: 'PORT', Value: '8080' },
    ],
    Secrets: [{ Name: 'SESSION_SECRET', ValueFrom: { 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/berth/web/session-secret' } }],
    HealthCheck: { Command: ['CMD-SHELL', 'curl -fs http://localhost:8080/health || exit 1'], Interval: 30, Timeout: 5, Retries: 3, StartPeriod: 30 },
    LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: 'LogGroup' }, 'awslogs-region': { Ref: 'AWS::Region' }, 'awslogs-stream-prefix': 'web' } },
    ReadonlyRootFilesystem: true,
    MountPoints: [{ SourceVolume: 'writable-tmp', ContainerPath: '/tmp', ReadOnly: false }],
    User: '1000',
    Privileged: false,
    LinuxParameters: { Capabilities: { Drop: ['ALL'] }, InitProcessEnabled: true },
  });
});

test('container: a command, no port and no health check are left out; health check timings default to ECS\'s', () => {
  const c = container(build(worker));
  assert.deepEqual(c.Command, ['node', 'worker.js']);
  assert.equal(c.PortMappings, undefined);
  assert.equal(c.HealthCheck, undefined);
  assert.equal(c.Secrets, undefined);
  const h = container(build(withContainer(worker, { healthCheck: { command: ['CMD', '/bin/check'] } }))).HealthCheck;
  assert.deepEqual(h, { Command: ['CMD', '/bin/check'], Interval: 30, Timeout: 5, Retries: 3, StartPeriod: 0 });
});

test('writable paths become volumes and mount points; the user is configurable', () => {
  const d = build(withContainer(worker, { writablePaths: ['/tmp', '/var/cache/app/'], user: '1001:1001' }));
  // Fargate: plain bind mounts (no Docker volumes there), opened by the init container below.
  assert.deepEqual(props(d, 'TaskDefinition').Volumes, [{ Name: 'writable-tmp' }, { Name: 'writable-var-cache-app' }]);
  const mounts = [
    { SourceVolume: 'writable-tmp', ContainerPath: '/tmp', ReadOnly: false },
    { SourceVolume: 'writable-var-cache-app', ContainerPath: '/var/cache/app/', ReadOnly: false },
  ];
  assert.deepEqual(container(d).MountPoints, mounts);
  assert.equal(container(d).User, '1001:1001');
  // The task's memory less the init container's, so the two hard limits fit the task (512 MiB).
  assert.equal(container(d).Memory, 512 - 16);
  assert.deepEqual(container(d).DependsOn, [{ ContainerName: 'worker-scratch-init', Condition: 'SUCCESS' }]);
});

test('Fargate: an init container opens the writable paths (bind mounts owned by root) to the non-root user, then exits', () => {
  const d = build(withContainer(worker, { writablePaths: ['/tmp', '/var/cache/app/'] }));
  const [, init] = props(d, 'TaskDefinition').ContainerDefinitions;
  assert.deepEqual(init, {
    Name: 'worker-scratch-init',
    Image: 'public.ecr.aws/docker/library/busybox:1.36.1',
    Essential: false,
    Cpu: 0,
    Memory: 16,
    EntryPoint: ['chmod', '1777'],
    Command: ['/tmp', '/var/cache/app/'],
    LogConfiguration: { LogDriver: 'awslogs', Options: { 'awslogs-group': { Ref: 'LogGroup' }, 'awslogs-region': { Ref: 'AWS::Region' }, 'awslogs-stream-prefix': 'worker-scratch-init' } },
    ReadonlyRootFilesystem: true,
    MountPoints: [
      { SourceVolume: 'writable-tmp', ContainerPath: '/tmp', ReadOnly: false },
      { SourceVolume: 'writable-var-cache-app', ContainerPath: '/var/cache/app/', ReadOnly: false },
    ],
    // Root, because the mounts are root's; no capability, because an owner needs none to chmod.
    User: '0',
    Privileged: false,
    LinuxParameters: { Capabilities: { Drop: ['ALL'] }, InitProcessEnabled: true },
  });
  // No writable path, no init container.
  const none = build(withContainer(worker, { writablePaths: [] }));
  assert.equal(props(none, 'TaskDefinition').ContainerDefinitions.length, 1);
  assert.equal(container(none).DependsOn, undefined);
  assert.equal(container(none).Memory, 512);
});

test('Fargate: FARGATE compatibility and sizes from the table', () => {
  const td = props(build(worker), 'TaskDefinition');
  assert.deepEqual([td.RequiresCompatibilities, td.Cpu, td.Memory], [['FARGATE'], '256', '512']);
});

test('secrets: SSM names and ARNs, Secrets Manager names (with JSON keys) and ARNs; the execution role reads exactly those', () => {
  const d = build(
    withContainer(worker, {
      secrets: {
        A_PARAM: { ssmParameter: '/app/a' },
        B_PARAM: { ssmParameter: 'app-b' },
        C_PARAM: { ssmParameter: 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/c' },
        D_SECRET: { secretsManagerSecret: 'app/db' },
        E_SECRET: { secretsManagerSecret: 'app/db', jsonKey: 'password' },
        F_SECRET: { secretsManagerSecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/x-AbCdEf', jsonKey: 'token' },
      },
    }),
  );
  const ssm = (name: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter/${name}` });
  const sm = (rest: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:secretsmanager:\${AWS::Region}:\${AWS::AccountId}:secret:${rest}` });
  assert.deepEqual(container(d).Secrets, [
    { Name: 'A_PARAM', ValueFrom: ssm('app/a') },
    { Name: 'B_PARAM', ValueFrom: ssm('app-b') },
    { Name: 'C_PARAM', ValueFrom: 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/c' },
    { Name: 'D_SECRET', ValueFrom: sm('app/db') },
    { Name: 'E_SECRET', ValueFrom: sm('app/db:password::') },
    { Name: 'F_SECRET', ValueFrom: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/x-AbCdEf:token::' },
  ]);
  const byId = Object.fromEntries(statements(d, 'ExecutionRole').map((s: { Sid: string }) => [s.Sid, s]));
  assert.deepEqual(byId.ReadParameters, { Sid: 'ReadParameters', Effect: 'Allow', Action: 'ssm:GetParameters', Resource: [ssm('app/a'), ssm('app-b'), 'arn:aws:ssm:eu-west-1:123456789012:parameter/app/c'] });
  assert.deepEqual(byId.ReadSecrets, {
    Sid: 'ReadSecrets',
    Effect: 'Allow',
    Action: 'secretsmanager:GetSecretValue',
    Resource: [sm('app/db-??????'), sm('app/db-??????'), 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/x-AbCdEf'],
  });
});

test('logs: a KMS-encrypted group /berth/<env>/<service> with the environment\'s retention, kept except when its create rolls back', () => {
  const d = build(web);
  assert.deepEqual(d.Resources.LogGroup, {
    Type: 'AWS::Logs::LogGroup',
    Properties: { LogGroupName: { 'Fn::Sub': '/berth/${EnvironmentName}/web' }, RetentionInDays: 365, KmsKeyId: { 'Fn::GetAtt': ['LogKey', 'Arn'] }, Tags: TAGS('web') },
    DeletionPolicy: 'RetainExceptOnCreate', // a fixed name: a retry after a failed create must be able to make it again
    UpdateReplacePolicy: 'Retain',
  });
  assert.equal(props(build(web, dev), 'LogGroup').RetentionInDays, 30);
});

test('logs: the key rotates, is retained, and lets CloudWatch Logs use it for this log group only', () => {
  assert.deepEqual(build(web).Resources.LogKey, {
    Type: 'AWS::KMS::Key',
    Properties: {
      Description: { 'Fn::Sub': 'Encrypts the logs of ${EnvironmentName} service web' },
      EnableKeyRotation: true,
      KeyPolicy: {
        Version: '2012-10-17',
        Statement: [
          ...KEY_BASE,
          {
            Sid: 'CloudWatchLogsUse',
            Effect: 'Allow',
            Principal: { Service: { 'Fn::Sub': 'logs.${AWS::Region}.amazonaws.com' } },
            Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
            Resource: '*',
            Condition: { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/berth/${EnvironmentName}/web' } } },
          },
        ],
      },
      Tags: TAGS('web'),
    },
    ...KEY_OPTIONS,
  });
});

test('execution role: trusts ECS tasks of this account; writes logs, pulls from its ECR repository, reads its parameters', () => {
  const d = build(web);
  assert.deepEqual(props(d, 'ExecutionRole'), {
    Description: 'ECS agent for web: pulls the image, writes logs, reads the declared secrets.',
    AssumeRolePolicyDocument: TRUST('ecs-tasks.amazonaws.com'),
    ...ESTATE_ROLE('prod', 'ecs-tasks.amazonaws.com'),
    Policies: [
      {
        PolicyName: 'start-task',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'WriteLogs', Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': ['LogGroup', 'Arn'] } },
            { Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
            {
              Sid: 'PullImage',
              Effect: 'Allow',
              Action: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
              Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/berth/web' },
            },
            {
              Sid: 'ReadParameters',
              Effect: 'Allow',
              Action: 'ssm:GetParameters',
              Resource: [{ 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/berth/web/session-secret' }],
            },
          ],
        },
      },
    ],
  });
});

test('task role: a web service\'s has no permissions; it is not the execution role', () => {
  const d = build(web);
  assert.deepEqual(props(d, 'TaskRole'), { Description: 'The web application: only what its code needs.', AssumeRolePolicyDocument: TRUST('ecs-tasks.amazonaws.com'), ...ESTATE_ROLE('prod', 'ecs-tasks.amazonaws.com') });
  assert.notDeepEqual(props(d, 'TaskDefinition').TaskRoleArn, props(d, 'TaskDefinition').ExecutionRoleArn);
});

test('task role: a queue worker may consume its own queue and decrypt with the queue key, nothing else', () => {
  assert.deepEqual(statements(build(worker), 'TaskRole'), [
    {
      Sid: 'ConsumeQueue',
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
      Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] },
    },
    { Sid: 'DecryptMessages', Effect: 'Allow', Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': ['QueueKey', 'Arn'] } },
  ]);
});

test('ECS Exec: off by default; when enabled, the service allows it, the task role opens channels, the agent gets writable paths', () => {
  assert.equal(props(build(web), 'Service').EnableExecuteCommand, false);
  const d = build(web, withServices(prod, { web: { enableExecuteCommand: true } }));
  assert.equal(props(d, 'Service').EnableExecuteCommand, true);
  assert.deepEqual(statements(d, 'TaskRole'), [
    {
      Sid: 'EcsExec',
      Effect: 'Allow',
      Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'],
      Resource: '*',
    },
  ]);
  assert.deepEqual(container(d).MountPoints.map((m: { ContainerPath: string }) => m.ContainerPath), ['/tmp', '/managed-agents', '/var/lib/amazon/ssm', '/var/log/amazon/ssm']);
  assert.equal(container(d).ReadonlyRootFilesystem, true);
});

// --- network -----------------------------------------------------------------------------------

const TO_AWS = [
  { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationSecurityGroupId: { Ref: 'EndpointSecurityGroupId' }, Description: 'HTTPS to the VPC interface endpoints (AWS APIs)' },
  { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationPrefixListId: { Ref: 'S3PrefixListId' }, Description: 'HTTPS to S3 through the gateway endpoint (image layers)' },
];

test('security group: a web service admits only the load balancer on its container port; HTTPS out to the endpoints and S3 only', () => {
  assert.deepEqual(props(build(web), 'SecurityGroup'), {
    GroupDescription: { 'Fn::Sub': '${EnvironmentName} web tasks' },
    VpcId: { Ref: 'VpcId' },
    SecurityGroupIngress: [
      { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, SourceSecurityGroupId: { Ref: 'LoadBalancerSecurityGroupId' }, Description: 'From the load balancer to the container port' },
    ],
    SecurityGroupEgress: TO_AWS,
    Tags: [...TAGS('web'), { Key: 'Name', Value: { 'Fn::Sub': '${EnvironmentName}-web-tasks' } }],
  });
});

test('security group: the load balancer\'s way to a web service is one egress rule on its group, to the tasks\' group on the container port', () => {
  assert.deepEqual(build(web).Resources.LoadBalancerEgress, {
    Type: 'AWS::EC2::SecurityGroupEgress',
    Properties: {
      GroupId: { Ref: 'LoadBalancerSecurityGroupId' },
      IpProtocol: 'tcp',
      FromPort: 8080,
      ToPort: 8080,
      DestinationSecurityGroupId: { 'Fn::GetAtt': ['SecurityGroup', 'GroupId'] },
      Description: { 'Fn::Sub': 'To ${EnvironmentName} web tasks on the container port' },
    },
  });
  assert.equal(build(worker).Resources.LoadBalancerEgress, undefined);
});

test('security group: only a service that says egress: internet also reaches the internet; without endpoints every service goes through NAT', () => {
  assert.deepEqual(props(build({ ...worker, egress: 'internet' }), 'SecurityGroup').SecurityGroupEgress, [
    ...TO_AWS,
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0', Description: 'HTTPS to the internet through NAT (the definition says egress: internet)' },
  ]);
  const nat = build(worker, dev);
  assert.deepEqual(props(nat, 'SecurityGroup').SecurityGroupEgress, [
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0', Description: 'HTTPS to AWS APIs and image registries through NAT (no interface endpoints)' },
  ]);
  assert.deepEqual(props(nat, 'Service').NetworkConfiguration.AwsvpcConfiguration.SecurityGroups, [{ Ref: 'SecurityGroup' }]);
});

test('security group: workers and scheduled tasks admit nothing', () => {
  assert.equal(props(build(worker), 'SecurityGroup').SecurityGroupIngress, undefined);
  assert.equal(props(build(report), 'SecurityGroup').SecurityGroupIngress, undefined);
});

// --- ECS service -------------------------------------------------------------------------------

test('web service on EC2: capacity provider, AZ-balanced spread, no public IP, load balancer, circuit breaker with rollback', () => {
  // Rolling, as dev deploys it (prod's web services deploy canary: test/operations.test.ts).
  const d = build({ ...web, deployment: { strategy: 'rolling' } });
  assert.deepEqual(d.Resources.Service, {
    Type: 'AWS::ECS::Service',
    DependsOn: 'ListenerRule',
    Properties: {
      Cluster: { Ref: 'ClusterName' },
      TaskDefinition: { Ref: 'TaskDefinition' },
      CapacityProviderStrategy: [{ CapacityProvider: { Ref: 'CapacityProviderName' }, Weight: 1 }],
      NetworkConfiguration: { AwsvpcConfiguration: AWSVPC },
      PlacementStrategies: [
        { Type: 'spread', Field: 'attribute:ecs.availability-zone' },
        { Type: 'spread', Field: 'instanceId' },
      ],
      LoadBalancers: [{ ContainerName: 'web', ContainerPort: 8080, TargetGroupArn: { Ref: 'TargetGroup' } }],
      HealthCheckGracePeriodSeconds: 60,
      DeploymentConfiguration: {
        Strategy: 'ROLLING',
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
        // The deployment alarms: ECS rolls back when one goes off during the deployment.
        Alarms: { AlarmNames: [{ Ref: 'TargetErrorRateAlarm' }, { Ref: 'UnhealthyTargetsAlarm' }], Enable: true, Rollback: true },
      },
      EnableExecuteCommand: false,
      EnableECSManagedTags: true,
      PropagateTags: 'SERVICE',
      Tags: TAGS('web'),
    },
  });
});

test('placement presets on EC2 reach the service: binpack, one task per host, custom, and the default', () => {
  const on = (placement: any) => props(build({ ...web, capacity: { type: 'ec2', placement } }), 'Service');
  assert.deepEqual(on({ preset: 'binpack' }).PlacementStrategies, [{ Type: 'binpack', Field: 'memory' }]);
  assert.deepEqual(on({ preset: 'azBalancedBinpack' }).PlacementStrategies, [
    { Type: 'spread', Field: 'attribute:ecs.availability-zone' },
    { Type: 'binpack', Field: 'memory' },
  ]);
  const one = on({ preset: 'oneTaskPerHost' });
  assert.deepEqual([one.PlacementStrategies, one.PlacementConstraints], [undefined, [{ Type: 'distinctInstance' }]]);
  const custom = on({ preset: 'custom', strategies: [{ type: 'random' }], constraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }] });
  assert.deepEqual([custom.PlacementStrategies, custom.PlacementConstraints], [[{ Type: 'random' }], [{ Type: 'memberOf', Expression: 'attribute:ecs.os-type == linux' }]]);
  assert.deepEqual(props(build({ ...web, capacity: { type: 'ec2' } }), 'Service').PlacementStrategies, [
    { Type: 'spread', Field: 'attribute:ecs.availability-zone' },
    { Type: 'spread', Field: 'instanceId' },
  ]);
});

test('queue worker on Fargate: FARGATE / FARGATE_SPOT weighted 3:7 from spotPercent 70, platform LATEST, no placement or load balancer', () => {
  const s = props(build(worker), 'Service');
  assert.deepEqual(s.CapacityProviderStrategy, [
    { CapacityProvider: 'FARGATE', Weight: 3 },
    { CapacityProvider: 'FARGATE_SPOT', Weight: 7 },
  ]);
  assert.equal(s.PlatformVersion, 'LATEST');
  assert.deepEqual(s.NetworkConfiguration, { AwsvpcConfiguration: AWSVPC });
  assert.deepEqual([s.PlacementStrategies, s.PlacementConstraints, s.LoadBalancers, s.HealthCheckGracePeriodSeconds], [undefined, undefined, undefined, undefined]);
  assert.equal(build(worker).Resources.Service!.DependsOn, undefined);
});

test('Fargate spot shares: 0 % is FARGATE only, 100 % FARGATE_SPOT only, 50 % one each', () => {
  const strategy = (spotPercent: number) => props(build({ ...worker, capacity: { type: 'fargate', spotPercent } }), 'Service').CapacityProviderStrategy;
  assert.deepEqual(strategy(0), [{ CapacityProvider: 'FARGATE', Weight: 1 }]);
  assert.deepEqual(strategy(100), [{ CapacityProvider: 'FARGATE_SPOT', Weight: 1 }]);
  assert.deepEqual(strategy(50), [
    { CapacityProvider: 'FARGATE', Weight: 1 },
    { CapacityProvider: 'FARGATE_SPOT', Weight: 1 },
  ]);
  assert.deepEqual(props(build({ ...worker, capacity: { type: 'fargate' } }), 'Service').CapacityProviderStrategy, [{ CapacityProvider: 'FARGATE', Weight: 1 }]);
});

test('deployment percentages and the grace period come from the definition', () => {
  const d = build({ ...web, minimumHealthyPercent: 50, maximumPercent: 150, deployment: { strategy: 'rolling' }, role: { ...webRole, healthCheckGracePeriodSeconds: 120 } });
  assert.deepEqual(props(d, 'Service').DeploymentConfiguration, {
    Strategy: 'ROLLING',
    DeploymentCircuitBreaker: { Enable: true, Rollback: true },
    MinimumHealthyPercent: 50,
    MaximumPercent: 150,
    Alarms: { AlarmNames: [{ Ref: 'TargetErrorRateAlarm' }, { Ref: 'UnhealthyTargetsAlarm' }], Enable: true, Rollback: true },
  });
  assert.equal(props(d, 'Service').HealthCheckGracePeriodSeconds, 120);
});

// --- web: target group, listener rule, scaling ---------------------------------------------------

test('target group: IP targets, the article\'s health check (every 12 s, HTTP 200 on /health), 30 s deregistration delay', () => {
  assert.deepEqual(props(build(web), 'TargetGroup'), {
    TargetType: 'ip',
    VpcId: { Ref: 'VpcId' },
    Protocol: 'HTTP',
    Port: 8080,
    HealthCheckEnabled: true,
    HealthCheckProtocol: 'HTTP',
    HealthCheckPath: '/health',
    HealthCheckIntervalSeconds: 12,
    HealthCheckTimeoutSeconds: 5,
    HealthyThresholdCount: 2,
    UnhealthyThresholdCount: 3,
    Matcher: { HttpCode: '200' },
    TargetGroupAttributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }],
    Tags: TAGS('web'),
  });
});

test('target group: health check defaults without `targetHealthCheck`, and custom values', () => {
  const { targetHealthCheck: _, ...bare } = webRole;
  const tg = props(build(withRole(web, bare)), 'TargetGroup');
  assert.deepEqual([tg.HealthCheckPath, tg.HealthCheckIntervalSeconds, tg.HealthCheckTimeoutSeconds, tg.HealthyThresholdCount, tg.UnhealthyThresholdCount, tg.Matcher], ['/', 12, 5, 2, 3, { HttpCode: '200' }]);
  const custom = props(
    build(withRole(web, { ...webRole, targetHealthCheck: { path: '/ready', intervalSeconds: 30, timeoutSeconds: 10, healthyThresholdCount: 3, unhealthyThresholdCount: 4, matcher: '200-299' } })),
    'TargetGroup',
  );
  assert.deepEqual([custom.HealthCheckPath, custom.HealthCheckIntervalSeconds, custom.HealthCheckTimeoutSeconds, custom.HealthyThresholdCount, custom.UnhealthyThresholdCount, custom.Matcher], ['/ready', 30, 10, 3, 4, { HttpCode: '200-299' }]);
});

test('listener rule: path conditions, forward to the target group, priority derived from the name; no host without a domain', () => {
  assert.deepEqual(props(build(web, dev), 'ListenerRule'), {
    ListenerArn: { Ref: 'ListenerArn' },
    Priority: priorityOf('web'),
    Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } }],
    Actions: [{ Type: 'forward', TargetGroupArn: { Ref: 'TargetGroup' } }],
  });
});

test('fails when a route without hosts has 5 paths and the environment has a domain (6 condition values)', () =>
  failsBuild(withRole({ ...web, deployment: { strategy: 'rolling' } }, { ...webRole, route: { paths: ['/a', '/b', '/c', '/d', '/e'] } }), `${W}role.route.paths`, 'a listener rule takes at most 5 condition values'));

test('listener rule: with a domain, a route without hosts matches the environment\'s host name only', () => {
  assert.deepEqual(props(build(web), 'ListenerRule').Conditions, [
    { Field: 'host-header', HostHeaderConfig: { Values: [prod.loadBalancer.dns!.domainName] } },
    { Field: 'path-pattern', PathPatternConfig: { Values: ['/*'] } },
  ]);
});

test('listener rule: host and path conditions together; the priority given by the estate wins', () => {
  const d = build(withRole(web, { ...webRole, route: { hosts: ['app.example.com', '*.app.example.com'], paths: ['/api/*'] } }), prod, 42);
  assert.deepEqual(props(d, 'ListenerRule').Conditions, [
    { Field: 'host-header', HostHeaderConfig: { Values: ['app.example.com', '*.app.example.com'] } },
    { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } },
  ]);
  assert.equal(props(d, 'ListenerRule').Priority, 42);
});

test('web scaling: a scalable target on the service\'s desired count, and CPU target tracking', () => {
  const d = build(web);
  assert.deepEqual(props(d, 'ScalableTarget'), {
    ServiceNamespace: 'ecs',
    ScalableDimension: 'ecs:service:DesiredCount',
    ResourceId: { 'Fn::Sub': 'service/${ClusterName}/${Service.Name}' },
    MinCapacity: { Ref: 'MinCount' },
    MaxCapacity: { Ref: 'MaxCount' },
  });
  assert.deepEqual(props(d, 'ScalingPolicy'), {
    PolicyName: 'web-cpu-target-tracking',
    PolicyType: 'TargetTrackingScaling',
    ScalingTargetId: { Ref: 'ScalableTarget' },
    TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' }, TargetValue: 60, ScaleOutCooldown: 60, ScaleInCooldown: 300 },
  });
});

test('web scaling on memory', () => {
  const d = build(withRole(web, { ...webRole, scaling: { minCount: 2, maxCount: 6, target: { metric: 'memory', percent: 70 } } }));
  assert.deepEqual(props(d, 'ScalingPolicy').TargetTrackingScalingPolicyConfiguration, {
    PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' },
    TargetValue: 70,
    ScaleOutCooldown: 60,
    ScaleInCooldown: 300,
  });
  assert.equal(props(d, 'ScalingPolicy').PolicyName, 'web-memory-target-tracking');
});

test('web scaling on requests per target: the resource label joins the load balancer and target group full names', () => {
  // Rolling: a traffic-shifting deployment refuses request-count scaling (test/operations.test.ts).
  const d = build(withRole({ ...web, deployment: { strategy: 'rolling' } }, { ...webRole, scaling: { minCount: 2, maxCount: 6, target: { metric: 'requestsPerTarget', requests: 1000 } } }));
  assert.deepEqual(props(d, 'ScalingPolicy').TargetTrackingScalingPolicyConfiguration, {
    PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: { 'Fn::Sub': '${LoadBalancerFullName}/${TargetGroup.TargetGroupFullName}' } },
    TargetValue: 1000,
    ScaleOutCooldown: 60,
    ScaleInCooldown: 300,
  });
  // Read from the estate registry (templates/stacks/shared/registry.ts), so the template deploys alone with defaults.
  assert.deepEqual(d.Parameters.LoadBalancerFullName, {
    Type: 'AWS::SSM::Parameter::Value<String>',
    Description: 'Full name of the load balancer (app/<name>/<id>) for request-count scaling. Read from SSM Parameter Store; the producing stack publishes it there.',
    Default: '/berth/prod/load-balancer-full-name',
  });
});

test('a web service without scaling has a fixed count: no scalable target, no min / max parameters', () => {
  const { scaling: _, ...fixed } = webRole;
  const d = build(withRole(web, fixed), withServices(prod, { web: { desiredCount: 3 } }));
  assert.equal(d.Resources.ScalableTarget, undefined);
  assert.equal(d.Resources.ScalingPolicy, undefined);
  assert.deepEqual([d.Parameters.MinCount, d.Parameters.MaxCount, d.Parameters.DesiredCount!.Default], [undefined, undefined, 3]);
});

// --- queue worker ------------------------------------------------------------------------------

test('queue worker: a rotating, retained customer managed key for its queues', () => {
  assert.deepEqual(build(worker).Resources.QueueKey, {
    Type: 'AWS::KMS::Key',
    Properties: { Description: 'Encrypts the work queue and its dead-letter queue', EnableKeyRotation: true, KeyPolicy: { Version: '2012-10-17', Statement: KEY_BASE }, Tags: TAGS('worker') },
    ...KEY_OPTIONS,
  });
});

test('queue worker: encrypted queue (fixed name, kept except when its create rolls back) and dead-letter queue that admits only it', () => {
  const d = build(worker);
  const encryption = { KmsMasterKeyId: { 'Fn::GetAtt': ['QueueKey', 'Arn'] }, KmsDataKeyReusePeriodSeconds: 300 };
  assert.deepEqual(d.Resources.DeadLetterQueue, {
    Type: 'AWS::SQS::Queue',
    Properties: {
      ...encryption,
      MessageRetentionPeriod: 1209600,
      // Only the work queue, by the ARN its fixed name gives (a Ref would be circular).
      RedriveAllowPolicy: { redrivePermission: 'byQueue', sourceQueueArns: [{ 'Fn::Sub': 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${EnvironmentName}-worker' }] },
      Tags: TAGS('worker'),
    },
    ...RETAIN,
  });
  assert.deepEqual(d.Resources.Queue, {
    Type: 'AWS::SQS::Queue',
    Properties: {
      QueueName: { 'Fn::Sub': '${EnvironmentName}-worker' },
      ...encryption,
      VisibilityTimeout: 300,
      MessageRetentionPeriod: 345600,
      ReceiveMessageWaitTimeSeconds: 20,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 },
      Tags: TAGS('worker'),
    },
    DeletionPolicy: 'RetainExceptOnCreate',
    UpdateReplacePolicy: 'Retain',
  });
  const custom = props(build(withRole(worker, { ...workerRole, visibilityTimeoutSeconds: 900, maxReceiveCount: 3 })), 'Queue');
  assert.deepEqual([custom.VisibilityTimeout, custom.RedrivePolicy.maxReceiveCount], [900, 3]);
});

test('queue worker: the queue policy denies any access without TLS', () => {
  assert.deepEqual(props(build(worker), 'QueuePolicy'), {
    Queues: [{ Ref: 'Queue' }, { Ref: 'DeadLetterQueue' }],
    PolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 'sqs:*',
          Resource: [{ 'Fn::GetAtt': ['Queue', 'Arn'] }, { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] }],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    },
  });
});

const MESSAGES = { Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['Queue', 'QueueName'] } }] };
const TASKS = {
  Namespace: 'ECS/ContainerInsights',
  MetricName: 'RunningTaskCount',
  Dimensions: [
    { Name: 'ClusterName', Value: { Ref: 'ClusterName' } },
    { Name: 'ServiceName', Value: { 'Fn::GetAtt': ['Service', 'Name'] } },
  ],
};

test('queue worker: target tracking on backlog per task (visible messages / running tasks), target = messagesPerTask', () => {
  assert.deepEqual(props(build(worker), 'ScalingPolicy'), {
    PolicyName: 'worker-backlog-per-task',
    PolicyType: 'TargetTrackingScaling',
    ScalingTargetId: { Ref: 'ScalableTarget' },
    TargetTrackingScalingPolicyConfiguration: {
      CustomizedMetricSpecification: {
        Metrics: [
          { Id: 'messages', MetricStat: { Metric: MESSAGES, Stat: 'Sum' }, ReturnData: false },
          { Id: 'tasks', MetricStat: { Metric: TASKS, Stat: 'Average' }, ReturnData: false },
          { Id: 'backlogPerTask', Expression: 'messages / tasks', Label: 'Visible messages per running task', ReturnData: true },
        ],
      },
      TargetValue: 100,
      ScaleOutCooldown: 60,
      ScaleInCooldown: 300,
    },
  });
});

test('queue worker: an alarm on "backlog with no running task" starts the first task (target tracking cannot leave zero)', () => {
  const d = build(worker, dev);
  assert.equal(d.Parameters.MinCount!.Default, 0);
  assert.deepEqual(props(d, 'ScaleFromZeroPolicy'), {
    PolicyName: 'worker-scale-from-zero',
    PolicyType: 'StepScaling',
    ScalingTargetId: { Ref: 'ScalableTarget' },
    StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', Cooldown: 60, MetricAggregationType: 'Maximum', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] },
  });
  assert.deepEqual(props(d, 'ScaleFromZeroAlarm'), {
    AlarmDescription: 'Messages wait in the worker queue and no task is running: start one.',
    Metrics: [
      { Id: 'messages', MetricStat: { Metric: MESSAGES, Period: 60, Stat: 'Maximum' }, ReturnData: false },
      { Id: 'tasks', MetricStat: { Metric: TASKS, Period: 60, Stat: 'Maximum' }, ReturnData: false },
      { Id: 'idleWithBacklog', Expression: 'IF(FILL(tasks, 0) == 0 AND messages > 0, 1, 0)', Label: 'Backlog with no running task', ReturnData: true },
    ],
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Threshold: 1,
    EvaluationPeriods: 1,
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: 'ScaleFromZeroPolicy' }],
  });
});

test('only queue workers get queues', () => {
  for (const d of [build(web), build(report)]) for (const id of ['Queue', 'DeadLetterQueue', 'QueueKey', 'QueuePolicy']) assert.equal(d.Resources[id], undefined, id);
});

// --- scheduled task ----------------------------------------------------------------------------

test('scheduled task: an EventBridge Scheduler schedule runs one task on Fargate in the application subnets, no ECS service', () => {
  const d = build(report);
  assert.deepEqual(Object.keys(d.Resources), ['LogKey', 'LogGroup', 'SecurityGroup', 'ExecutionRole', 'TaskRole', 'TaskDefinition', 'ScheduleDeadLetterKey', 'ScheduleDeadLetterQueue', 'ScheduleRole', 'Schedule', 'FailedRunsAlarm', 'FailedTaskRule']);
  assert.deepEqual(props(d, 'Schedule'), {
    Description: 'Runs report: cron(0 3 * * ? *)',
    ScheduleExpression: 'cron(0 3 * * ? *)',
    ScheduleExpressionTimezone: 'UTC',
    FlexibleTimeWindow: { Mode: 'OFF' },
    State: 'ENABLED',
    Target: {
      Arn: CLUSTER_ARN,
      RoleArn: { 'Fn::GetAtt': ['ScheduleRole', 'Arn'] },
      EcsParameters: {
        TaskDefinitionArn: { Ref: 'TaskDefinition' },
        TaskCount: 1,
        CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
        PlatformVersion: 'LATEST',
        NetworkConfiguration: { AwsvpcConfiguration: AWSVPC },
      },
      // A run Scheduler could not start goes to the stack's dead-letter queue after an hour of retries.
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] } },
      RetryPolicy: { MaximumEventAgeInSeconds: 3600 },
    },
  });
});

test('scheduled task: the scheduler role may run this task definition on this cluster and pass its two roles, nothing else', () => {
  assert.deepEqual(props(build(report), 'ScheduleRole'), {
    Description: 'Lets EventBridge Scheduler start report tasks on the cluster.',
    AssumeRolePolicyDocument: TRUST('scheduler.amazonaws.com'),
    ...ESTATE_ROLE('prod', 'scheduler.amazonaws.com'),
    Policies: [
      {
        PolicyName: 'run-task',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'RunTask', Effect: 'Allow', Action: 'ecs:RunTask', Resource: { Ref: 'TaskDefinition' }, Condition: { ArnEquals: { 'ecs:cluster': CLUSTER_ARN } } },
            {
              Sid: 'PassTaskRoles',
              Effect: 'Allow',
              Action: 'iam:PassRole',
              Resource: [{ 'Fn::GetAtt': ['ExecutionRole', 'Arn'] }, { 'Fn::GetAtt': ['TaskRole', 'Arn'] }],
              Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
            },
            // And send the runs it could not start to the dead-letter queue, encrypted with its key.
            { Sid: 'SendFailedRuns', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['ScheduleDeadLetterQueue', 'Arn'] } },
            { Sid: 'EncryptFailedRuns', Effect: 'Allow', Action: ['kms:GenerateDataKey', 'kms:Decrypt'], Resource: { 'Fn::GetAtt': ['ScheduleDeadLetterKey', 'Arn'] } },
          ],
        },
      },
    ],
  });
});

test('scheduled task: a time zone for EventBridge Scheduler', () => {
  const d = build(withRole(report, { kind: 'scheduled', schedule: 'cron(30 6 ? * MON-FRI *)', timeZone: 'Europe/Paris' }));
  assert.deepEqual([props(d, 'Schedule').ScheduleExpression, props(d, 'Schedule').ScheduleExpressionTimezone], ['cron(30 6 ? * MON-FRI *)', 'Europe/Paris']);
});

test('scheduled task via an EventBridge rule on EC2: capacity provider and placement in the target, events role', () => {
  const d = build({
    ...report,
    capacity: { type: 'ec2', placement: { preset: 'oneTaskPerHost' } },
    role: { kind: 'scheduled', schedule: 'rate(15 minutes)', via: 'eventRule' },
  });
  assert.equal(d.Resources.Schedule, undefined);
  assert.deepEqual(props(d, 'ScheduleRule'), {
    Description: 'Runs report: rate(15 minutes) (UTC)',
    ScheduleExpression: 'rate(15 minutes)',
    State: 'ENABLED',
    Targets: [
      {
        Id: 'report',
        Arn: CLUSTER_ARN,
        RoleArn: { 'Fn::GetAtt': ['ScheduleRole', 'Arn'] },
        EcsParameters: {
          TaskDefinitionArn: { Ref: 'TaskDefinition' },
          TaskCount: 1,
          CapacityProviderStrategy: [{ CapacityProvider: { Ref: 'CapacityProviderName' }, Weight: 1 }],
          NetworkConfiguration: { AwsVpcConfiguration: AWSVPC },
          PlacementConstraints: [{ Type: 'distinctInstance' }],
        },
      },
    ],
  });
  assert.deepEqual(props(d, 'ScheduleRole').AssumeRolePolicyDocument, TRUST('events.amazonaws.com'));
  assert.deepEqual(props(d, 'TaskDefinition').RequiresCompatibilities, ['EC2']);
});

test('scheduled task via EventBridge Scheduler on EC2: placement uses the scheduler\'s `PlacementStrategy` key', () => {
  const d = build({ ...report, capacity: { type: 'ec2', placement: { preset: 'binpack' } } });
  assert.deepEqual(props(d, 'Schedule').Target.EcsParameters.PlacementStrategy, [{ Type: 'binpack', Field: 'memory' }]);
  assert.equal(props(d, 'Schedule').Target.EcsParameters.PlatformVersion, undefined);
});

// --- manual runs -------------------------------------------------------------------------------

const SUBNETS = { 'Fn::Join': [',', { Ref: 'ApplicationSubnetIds' }] };

test('run-task command on EC2: the capacity provider, the service\'s network and placement', () => {
  assert.deepEqual(build(web).Outputs.RunTaskCommand!.Value, {
    'Fn::Sub': [
      'aws ecs run-task --region ${AWS::Region} --cluster ${ClusterName} --task-definition ${TaskDefinition} --count 1 --capacity-provider-strategy capacityProvider=${CapacityProviderName},weight=1 ' +
        "--network-configuration 'awsvpcConfiguration={subnets=[${Var1}],securityGroups=[${SecurityGroup},${ApplicationSecurityGroupId}],assignPublicIp=DISABLED}' " +
        `--placement-strategy '[{"type":"spread","field":"attribute:ecs.availability-zone"},{"type":"spread","field":"instanceId"}]'`,
      { Var1: SUBNETS },
    ],
  });
});

test('run-task command on Fargate: the spot split and platform LATEST', () => {
  assert.deepEqual(build(worker).Outputs.RunTaskCommand!.Value, {
    'Fn::Sub': [
      'aws ecs run-task --region ${AWS::Region} --cluster ${ClusterName} --task-definition ${TaskDefinition} --count 1 ' +
        '--capacity-provider-strategy capacityProvider=FARGATE,weight=3 capacityProvider=FARGATE_SPOT,weight=7 --platform-version LATEST ' +
        "--network-configuration 'awsvpcConfiguration={subnets=[${Var1}],securityGroups=[${SecurityGroup},${ApplicationSecurityGroupId}],assignPublicIp=DISABLED}'",
      { Var1: SUBNETS },
    ],
  });
});

// --- the fixture services --------------------------------------------------------------------------

test('the fixture services: web, worker and report, each under the console\'s template size limit in both environments', () => {
  const services = [web, worker, report];
  assert.deepEqual(services.map((s) => [s.name, s.capacity.type, s.role.kind]), [
    ['web', 'ec2', 'web'],
    ['worker', 'fargate', 'queueWorker'],
    ['report', 'fargate', 'scheduled'],
  ]);
  const priorities = assignPriorities(services);
  for (const settings of [dev, prod]) {
    for (const def of services) {
      const t = synthesize(service, { settings, service: def, listenerRulePriority: priorities.get(def.name) });
      assert.equal(t.file, `service-${def.name}.yaml`);
      const bytes = Buffer.byteLength(toYaml(t.toJSON()), 'utf8');
      assert.ok(bytes < LIMITS.bodyBytes, `${settings.name}/${t.file}: ${bytes} bytes`);
    }
  }
});

// --- Fargate sizes and listener priorities -----------------------------------------------------------

test('Fargate table: memory options per CPU value, as AWS documents them', () => {
  assert.deepEqual(Object.keys(FARGATE_TASK_SIZES).map(Number), [256, 512, 1024, 2048, 4096, 8192, 16384]);
  assert.deepEqual(fargateMemoryOptions(256), [512, 1024, 2048]);
  assert.deepEqual(fargateMemoryOptions(512), [1024, 2048, 3072, 4096]);
  assert.deepEqual([fargateMemoryOptions(1024)[0], fargateMemoryOptions(1024).at(-1), fargateMemoryOptions(1024).length], [2048, 8192, 7]);
  assert.deepEqual([fargateMemoryOptions(4096)[0], fargateMemoryOptions(4096).at(-1), fargateMemoryOptions(4096).length], [8192, 30720, 23]);
  assert.deepEqual([fargateMemoryOptions(8192)[0], fargateMemoryOptions(8192).at(-1), fargateMemoryOptions(8192).length], [16384, 61440, 12]);
  assert.deepEqual([fargateMemoryOptions(16384)[0], fargateMemoryOptions(16384).at(-1), fargateMemoryOptions(16384).length], [32768, 122880, 12]);
  assert.deepEqual(fargateMemoryOptions(300), []);
  assert.doesNotThrow(() => checkFargateSize('x', 2048, 16384));
});

test('listener priorities: stable, in 1..49999, only for web services', () => {
  assert.equal(priorityOf('web'), 33144);
  assert.equal(priorityOf('api'), 33498);
  for (const n of ['a', 'web', 'a-very-long-service-name-123']) assert.ok(priorityOf(n) >= 1 && priorityOf(n) <= 49_999);
  const api = { ...web, name: 'api' };
  assert.deepEqual([...assignPriorities([web, worker, report, api])], [['web', 33144], ['api', 33498]]);
});

// --- errors --------------------------------------------------------------------------------------

function fails(run: () => unknown, where: string, fragment: string): void {
  assert.throws(run, (e: unknown) => {
    assert.ok(e instanceof BerthError, String(e));
    assert.equal(e.where, where);
    assert.ok(e.problem.includes(fragment), `expected "${fragment}" in: ${e.problem}`);
    return true;
  });
}
const failsBuild = (def: ServiceDefinition, where: string, fragment: string, settings: ResolvedSettings = prod) => fails(() => build(def, settings), where, fragment);
// Errors name the file where the service is defined (the fixtures here), also for variants made by spreading.
const W = 'test/fixtures/services/web.ts: ';
/** prod without its per-service overrides (its images would replace a definition's). */
const noOverrides = withServices(prod, {});
const K = 'test/fixtures/services/worker.ts: ';
const R = 'test/fixtures/services/report.ts: ';

test('two web services whose names hash to one priority both get one: the name sorting first keeps it, the other takes its next probe', () => {
  assert.equal(priorityOf('svc-801'), priorityOf('svc-1004'));
  const both = assignPriorities([{ ...web, name: 'svc-801' }, { ...web, name: 'svc-1004' }]);
  // 'svc-1004' sorts first, whatever the estate's order.
  assert.equal(both.get('svc-1004'), priorityOf('svc-1004'));
  assert.equal(both.get('svc-801'), probeOf('svc-801', 1));
  assert.notEqual(both.get('svc-801'), both.get('svc-1004'));
  assert.deepEqual([...assignPriorities([{ ...web, name: 'svc-1004' }, { ...web, name: 'svc-801' }])].sort(), [...both].sort());
  // A service with no collision keeps its own hash.
  assert.equal(assignPriorities([{ ...web, name: 'svc-801' }]).get('svc-801'), priorityOf('svc-801'));
});
test('fails when two services share a name, naming both files', () => fails(() => checkServices([worker, { ...report, name: 'worker' }]), `${R}name`, 'two services are named `worker` (the other in test/fixtures/services/worker.ts)'));
test('fails when the Fargate CPU is not a Fargate size', () => failsBuild(withContainer(worker, { cpu: 300 }), `${K}container.cpu`, '`300` CPU units is not a Fargate task size'));
test('fails when the Fargate memory does not go with the CPU', () =>
  failsBuild(withContainer(worker, { cpu: 256, memoryMiB: 4096 }), `${K}container.memoryMiB`, 'With 256 CPU units Fargate accepts 512, 1024, 2048 MiB'));
test('fails when the Fargate memory is off the step', () =>
  failsBuild(withContainer(worker, { cpu: 1024, memoryMiB: 2500 }), `${K}container.memoryMiB`, 'accepts 2048 to 8192 in steps of 1024 MiB'));
test('fails when the EC2 task CPU is below 128 units', () => failsBuild(withContainer(web, { cpu: 64 }), `${W}container.cpu`, 'from 128 to 196608'));
test('fails when the EC2 task memory is below 128 MiB', () => failsBuild(withContainer(web, { memoryMiB: 64 }), `${W}container.memoryMiB`, 'from 128 to'));
test('fails when spotPercent is over 100', () => failsBuild({ ...worker, capacity: { type: 'fargate', spotPercent: 120 } }, `${K}capacity.spotPercent`, 'from 0 to 100'));
test('fails when the placement preset is invalid (located in the definition)', () =>
  failsBuild({ ...web, capacity: { type: 'ec2', placement: { preset: 'custom', strategies: [] } } }, `${W}capacity.placement`, 'has no strategies and no constraints'));
test('fails when the service name is not lower-case', () => failsBuild({ ...worker, name: 'Worker_1' }, `${K}name`, 'is not a valid service name'));
test('fails when the image has spaces', () => failsBuild(withContainer(web, { image: 'my image' }), `${W}container.image`, 'is not an image reference', noOverrides));
test('fails when an ECR image is malformed', () => failsBuild(withContainer(web, { image: '123.dkr.ecr.eu-west-1.amazonaws.com/web:1' }), `${W}container.image`, 'looks like an ECR image', noOverrides));
test('fails when the environment\'s image override is malformed (located in the settings file)', () =>
  failsBuild(web, `${prod.file}: services.web.image`, 'is not an image reference', withServices(prod, { web: { image: 'a b' } })));
test('fails when the container port is out of range', () => failsBuild(withContainer(web, { port: 70000 }), `${W}container.port`, 'from 1 to 65535'));
test('fails when a web service has no container port', () => failsBuild(withContainer(web, { port: undefined }), `${W}container.port`, 'a web service needs the port'));
test('fails when the container runs as root', () => failsBuild(withContainer(web, { user: '0:0' }), `${W}container.user`, 'is root'));
test('fails when a writable path is relative', () => failsBuild(withContainer(web, { writablePaths: ['tmp'] }), `${W}container.writablePaths[0]`, 'is not an absolute path'));
test('fails when a writable path is listed twice', () => failsBuild(withContainer(web, { writablePaths: ['/tmp', '/tmp'] }), `${W}container.writablePaths[1]`, 'is listed twice'));
test('fails when an environment variable name is invalid', () => failsBuild(withContainer(web, { environment: { '1X': 'a' } }), `${W}container.environment.1X`, 'is not a valid environment variable name'));
test('fails when a plain environment variable looks like a credential', () =>
  failsBuild(withContainer(web, { environment: { DB_PASSWORD: 'hunter2' } }), `${W}container.environment.DB_PASSWORD`, 'Move it to `container.secrets`'));
test('fails when a name is both a variable and a secret', () =>
  failsBuild(withContainer(web, { environment: { SESSION: 'x' }, secrets: { SESSION: { ssmParameter: '/a' } } }), `${W}container.environment.SESSION`, 'is both a plain variable and a secret'));
test('fails when a secret\'s variable name is invalid', () => failsBuild(withContainer(web, { secrets: { 'A-B': { ssmParameter: '/a' } } }), `${W}container.secrets.A-B`, 'is not a valid environment variable name'));
test('fails when an SSM parameter name is invalid', () => failsBuild(withContainer(web, { secrets: { A: { ssmParameter: 'a b' } } }), `${W}container.secrets.A`, 'is not an SSM parameter name'));
test('fails when a Secrets Manager secret name is invalid', () =>
  failsBuild(withContainer(web, { secrets: { A: { secretsManagerSecret: 'a b' } } }), `${W}container.secrets.A`, 'is not a Secrets Manager secret name'));
test('fails when the container health check has no command', () => failsBuild(withContainer(web, { healthCheck: { command: [] } }), `${W}container.healthCheck.command`, 'is `[]`; ECS runs'));
test('fails when the container health check does not start with CMD or CMD-SHELL', () =>
  failsBuild(withContainer(web, { healthCheck: { command: ['curl', '-f', 'http://localhost/'] } }), `${W}container.healthCheck.command`, 'Give your image\'s own check'));
for (const [field, value] of [['intervalSeconds', 3], ['timeoutSeconds', 1], ['retries', 11], ['startPeriodSeconds', 301]] as const) {
  test(`fails when the container health check ${field} is out of range`, () =>
    failsBuild(withContainer(web, { healthCheck: { command: ['CMD', 'true'], [field]: value } }), `${W}container.healthCheck.${field}`, `is \`${value}\``));
}
test('fails when minimumHealthyPercent is over 100', () => failsBuild({ ...web, minimumHealthyPercent: 150 }, `${W}minimumHealthyPercent`, 'from 0 to 100'));
test('fails when maximumPercent is under 100', () => failsBuild({ ...web, maximumPercent: 90 }, `${W}maximumPercent`, 'from 100 to 400'));
test('fails when maximumPercent leaves no room above minimumHealthyPercent', () =>
  failsBuild({ ...web, minimumHealthyPercent: 100, maximumPercent: 100 }, `${W}maximumPercent`, 'a deployment would never finish'));
test('fails when the environment sets min / max counts for a service without scaling', () =>
  failsBuild(report, `${prod.file}: services.report.minCount`, 'has no auto scaling', withServices(prod, { report: { minCount: 1 } })));
test('fails when the desired count is negative', () => failsBuild({ ...withRole(web, { ...webRole, scaling: undefined }), desiredCount: -1 }, `${W}desiredCount`, 'from 0 to 5000', withServices(prod, {})));
test('fails when minCount is negative', () => failsBuild(web, `${prod.file}: services.web.minCount`, 'the minimum task count must be a whole number from 0', withServices(prod, { web: { minCount: -1 } })));
test('fails when maxCount is 0', () =>
  failsBuild(withRole(web, { ...webRole, scaling: { minCount: 0, maxCount: 0, target: { metric: 'cpu', percent: 60 } } }), `${W}role.scaling.maxCount`, 'the maximum task count must be a whole number from 1', withServices(prod, {})));
test('fails when minCount is above maxCount (mixing definition and overrides)', () =>
  failsBuild(web, `${prod.file}: services.web.minCount`, '(8) is above maxCount (6)', withServices(prod, { web: { minCount: 8 } })));
test('fails when an environment sets desiredCount for a service with auto scaling', () =>
  failsBuild(web, `${prod.file}: services.web.desiredCount`, 'has auto scaling, which owns the task count', withServices(prod, { web: { desiredCount: 20, minCount: 3, maxCount: 12 } })));
test('fails when a definition sets desiredCount beside auto scaling', () => failsBuild({ ...worker, desiredCount: 1 }, `${K}desiredCount`, 'Remove `desiredCount`; the service starts at minCount (1)'));
test('fails when a scheduled task sets desiredCount', () => failsBuild({ ...report, desiredCount: 0 }, `${R}desiredCount`, 'is a scheduled task'));
test('fails when the listener-rule priority given by the estate is out of range', () =>
  fails(() => build(web, prod, 50_001), `${W}listener rule priority`, 'from 1 to 50000'));
test('fails when a route has neither hosts nor paths', () => failsBuild(withRole(web, { ...webRole, route: {} }), `${W}role.route`, 'has no hosts and no paths'));
test('fails when a route has more than 5 condition values', () =>
  failsBuild(withRole(web, { ...webRole, route: { hosts: ['a.com', 'b.com', 'c.com'], paths: ['/a', '/b', '/c'] } }), `${W}role.route`, 'at most 5 condition values'));
test('fails when a route path does not start with /', () => failsBuild(withRole(web, { ...webRole, route: { paths: ['api/*'] } }), `${W}role.route.paths[0]`, 'does not start with `/`'));
test('fails when a route host is not a host name', () => failsBuild(withRole(web, { ...webRole, route: { hosts: ['https://a.com'] } }), `${W}role.route.hosts[0]`, 'is not a host name pattern'));
test('fails when the target health check timeout is not below the interval', () =>
  failsBuild(withRole(web, { ...webRole, targetHealthCheck: { intervalSeconds: 10, timeoutSeconds: 10 } }), `${W}role.targetHealthCheck.timeoutSeconds`, 'must be less than the interval'));
for (const [field, value] of [['intervalSeconds', 301], ['timeoutSeconds', 1], ['healthyThresholdCount', 1], ['unhealthyThresholdCount', 11]] as const) {
  test(`fails when the target health check ${field} is out of range`, () =>
    failsBuild(withRole(web, { ...webRole, targetHealthCheck: { [field]: value } }), `${W}role.targetHealthCheck.${field}`, `is \`${value}\``));
}
test('fails when the target health check path does not start with /', () =>
  failsBuild(withRole(web, { ...webRole, targetHealthCheck: { path: 'health' } }), `${W}role.targetHealthCheck.path`, 'does not start with `/`'));
test('fails when the target health check matcher is not an HTTP code list', () =>
  failsBuild(withRole(web, { ...webRole, targetHealthCheck: { matcher: '2xx' } }), `${W}role.targetHealthCheck.matcher`, 'is not an HTTP code list'));
test('fails when the grace period is negative', () => failsBuild(withRole(web, { ...webRole, healthCheckGracePeriodSeconds: -5 }), `${W}role.healthCheckGracePeriodSeconds`, 'is `-5`'));
test('fails when a CPU / memory scaling target is over 100 %', () =>
  failsBuild(withRole(web, { ...webRole, scaling: { minCount: 2, maxCount: 6, target: { metric: 'cpu', percent: 120 } } }), `${W}role.scaling.target.percent`, 'the cpu target (percent)'));
test('fails when a request-count scaling target is not positive', () =>
  failsBuild(withRole(web, { ...webRole, scaling: { minCount: 2, maxCount: 6, target: { metric: 'requestsPerTarget', requests: 0 } } }), `${W}role.scaling.target.requests`, 'must be above 0'));
test('fails when the visibility timeout is over 12 hours', () => failsBuild(withRole(worker, { ...workerRole, visibilityTimeoutSeconds: 50_000 }), `${K}role.visibilityTimeoutSeconds`, 'from 0 to 43200'));
test('fails when maxReceiveCount is 0', () => failsBuild(withRole(worker, { ...workerRole, maxReceiveCount: 0 }), `${K}role.maxReceiveCount`, 'from 1 to 1000'));
test('fails when messagesPerTask is not positive', () =>
  failsBuild(withRole(worker, { ...workerRole, scaling: { minCount: 1, maxCount: 4, messagesPerTask: 0 } }), `${K}role.scaling.messagesPerTask`, 'must be above 0'));
test('fails when a cron expression does not have six fields', () =>
  failsBuild(withRole(report, { kind: 'scheduled', schedule: 'cron(0 3 * * *)' }), `${R}role.schedule`, 'has 5 fields; EventBridge cron has six'));
test('fails when a rate expression is malformed', () => failsBuild(withRole(report, { kind: 'scheduled', schedule: 'rate(1 hours)' }), `${R}role.schedule`, 'a value of 1 takes the singular unit'));
test('fails when a time zone is given for an EventBridge rule', () =>
  failsBuild(withRole(report, { kind: 'scheduled', schedule: 'rate(1 hour)', via: 'eventRule', timeZone: 'Europe/Paris' }), `${R}role.timeZone`, 'EventBridge rules run in UTC only'));
test('fails when the time zone is not an IANA zone', () =>
  failsBuild(withRole(report, { kind: 'scheduled', schedule: 'rate(1 hour)', timeZone: 'Mars/Olympus' }), `${R}role.timeZone`, 'is not an IANA time zone'));
