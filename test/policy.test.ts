// berth's own policy checks (scripts/lint/policy-rules.ts): each rule on a small template that breaks it and
// on a compliant variant, then every committed template in output/.
// Run: node --import tsx --test test/policy.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  type PolicyFinding,
  type PolicyOptions,
  type PolicyRule,
  POLICY_RULES,
  RESOURCE_STAR_ACTIONS,
  checkTemplate,
  checkTemplates,
  ecsExecAllowed,
  ecsExecKey,
  formatFinding,
  parseTemplate,
} from '../scripts/lint/policy-rules.ts';
import { loadSettings } from '../templates/settings/settings.ts';
import { flatten } from '../src/dsl/estate.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { toYaml } from '../src/emit/yaml.ts';
import { root } from '../templates/stacks/root.ts';
import { orders } from './fixtures/storage/orders.ts';
import { sessions } from './fixtures/storage/sessions.ts';
import { uploads } from './fixtures/storage/uploads.ts';
import { report } from './fixtures/services/report.ts';
import { web } from './fixtures/services/web.ts';
import { worker } from './fixtures/services/worker.ts';
import { fixtureEstateOutput, ROOT } from './_helpers.ts';

const FILE = 'output/prod/test.yaml';

type Res = Record<string, unknown>;

function run(resources: Record<string, Res>, options: PolicyOptions = {}) {
  return checkTemplate({ file: FILE, template: { Resources: resources } }, options);
}

/** Findings without their message, for exact comparison. */
function where(findings: readonly PolicyFinding[]) {
  return findings.map(({ file, logicalId, property, rule }) => ({ file, logicalId, property, rule }));
}

function expectFindings(resources: Record<string, Res>, expected: [string, string, PolicyRule][], options: PolicyOptions = {}) {
  const r = run(resources, options);
  assert.deepEqual(
    where(r.findings),
    expected.map(([logicalId, property, rule]) => ({ file: FILE, logicalId, property, rule })),
  );
  for (const f of r.findings) assert.ok(f.message.length > 60, `message says what and how to fix: ${f.message}`);
  return r;
}

function expectClean(resources: Record<string, Res>, rule: PolicyRule, options: PolicyOptions = {}) {
  const r = run(resources, options);
  assert.deepEqual(where(r.findings), []);
  assert.ok(r.passedByRule[rule] > 0, `${rule} evaluated something`);
  return r;
}

// --- fixtures ---------------------------------------------------------------------------------

const sg = (ingress: unknown[]): Res => ({
  Type: 'AWS::EC2::SecurityGroup',
  Properties: { GroupDescription: 'x', VpcId: { Ref: 'VpcId' }, SecurityGroupIngress: ingress },
});
const tcp = (port: number, source: Res) => ({ IpProtocol: 'tcp', FromPort: port, ToPort: port, Description: 'x', ...source });
const loadBalancer = (groups: unknown[]): Res => ({
  Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
  Properties: { Type: 'application', Scheme: 'internet-facing', SecurityGroups: groups },
});
const role = (statements: unknown[]): Res => ({
  Type: 'AWS::IAM::Role',
  Properties: {
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { Service: 'ecs-tasks.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }],
    },
    Policies: [{ PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: statements } }],
  },
});
const taskDefinition = (roles: Res): Res => ({
  Type: 'AWS::ECS::TaskDefinition',
  Properties: { Family: 'app', NetworkMode: 'awsvpc', ...roles, ContainerDefinitions: [{ Name: 'app', Image: 'x' }] },
});
const service = (exec?: unknown): Res => ({
  Type: 'AWS::ECS::Service',
  Properties: { Cluster: { Ref: 'Cluster' }, TaskDefinition: { Ref: 'Task' }, ...(exec === undefined ? {} : { EnableExecuteCommand: exec }) },
});
const launchTemplate = (userData: unknown): Res => ({
  Type: 'AWS::EC2::LaunchTemplate',
  Properties: { LaunchTemplateData: { ImageId: 'ami-1', UserData: userData } },
});

// --- rule: ingress-from-security-groups ---------------------------------------------------------

test('ingress-from-security-groups: a CIDR source on an application security group is a finding', () => {
  expectFindings({ AppSecurityGroup: sg([tcp(8080, { SourceSecurityGroupId: { Ref: 'LbSg' } }), tcp(8080, { CidrIp: '10.20.0.0/16' })]) }, [
    ['AppSecurityGroup', 'Properties.SecurityGroupIngress[1].CidrIp', 'ingress-from-security-groups'],
  ]);
});

test('ingress-from-security-groups: prefix lists and IPv6 CIDRs on a standalone ingress rule are findings', () => {
  expectFindings(
    {
      FromPrefixList: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: { Ref: 'DbSg' }, ...tcp(5432, { SourcePrefixListId: 'pl-12345678' }) } },
      FromIpv6: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: { Ref: 'DbSg' }, ...tcp(5432, { CidrIpv6: '2001:db8::/56' }) } },
    },
    [
      ['FromPrefixList', 'Properties.SourcePrefixListId', 'ingress-from-security-groups'],
      ['FromIpv6', 'Properties.CidrIpv6', 'ingress-from-security-groups'],
    ],
  );
});

test('ingress-from-security-groups: a load balancer group takes CIDRs on tcp 80/443 only', () => {
  expectFindings(
    {
      LbSg: sg([tcp(443, { CidrIp: '198.51.100.0/24' }), tcp(8443, { CidrIp: '198.51.100.0/24' })]),
      Lb: loadBalancer([{ Ref: 'LbSg' }]),
    },
    [['LbSg', 'Properties.SecurityGroupIngress[1].CidrIp', 'ingress-from-security-groups']],
  );
});

test('ingress-from-security-groups: security-group sources pass', () => {
  expectClean(
    {
      AppSecurityGroup: sg([tcp(8080, { SourceSecurityGroupId: { Ref: 'LoadBalancerSecurityGroupId' } })]),
      DbIngress: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: { Ref: 'DbSg' }, ...tcp(5432, { SourceSecurityGroupId: { 'Fn::GetAtt': ['AppSecurityGroup', 'GroupId'] } }) } },
    },
    'ingress-from-security-groups',
  );
});

// --- rule: no-open-ingress ----------------------------------------------------------------------

test('no-open-ingress: 0.0.0.0/0 on an application group is one finding (not also a CIDR finding), even on 443', () => {
  expectFindings({ AppSecurityGroup: sg([tcp(443, { CidrIp: '0.0.0.0/0' })]) }, [
    ['AppSecurityGroup', 'Properties.SecurityGroupIngress[0].CidrIp', 'no-open-ingress'],
  ]);
});

test('no-open-ingress: on the load balancer group, all protocols, port ranges and other ports are findings', () => {
  expectFindings(
    {
      LbSg: sg([
        { IpProtocol: '-1', CidrIpv6: '::/0' },
        { IpProtocol: 'tcp', FromPort: 80, ToPort: 443, CidrIp: '0.0.0.0/0' },
        { IpProtocol: 'udp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0' },
        tcp(22, { CidrIp: '0.0.0.0/0' }),
      ]),
      Lb: loadBalancer([{ 'Fn::GetAtt': ['LbSg', 'GroupId'] }]),
    },
    [
      ['LbSg', 'Properties.SecurityGroupIngress[0].CidrIpv6', 'no-open-ingress'],
      ['LbSg', 'Properties.SecurityGroupIngress[1].CidrIp', 'no-open-ingress'],
      ['LbSg', 'Properties.SecurityGroupIngress[2].CidrIp', 'no-open-ingress'],
      ['LbSg', 'Properties.SecurityGroupIngress[3].CidrIp', 'no-open-ingress'],
    ],
  );
});

test('no-open-ingress: the load balancer group may admit 0.0.0.0/0 and ::/0 on tcp 80 and 443 (ports as numbers or strings)', () => {
  const r = expectClean(
    {
      LbSg: sg([tcp(80, { CidrIp: '0.0.0.0/0' }), { IpProtocol: 'tcp', FromPort: '443', ToPort: '443', CidrIpv6: '::/0' }]),
      LbIngress: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: { 'Fn::GetAtt': ['LbSg', 'GroupId'] }, ...tcp(443, { CidrIp: '0.0.0.0/0' }) } },
      Lb: loadBalancer([{ Ref: 'LbSg' }]),
    },
    'no-open-ingress',
  );
  assert.equal(r.passedByRule['no-open-ingress'], 3);
});

test('no-open-ingress: a group is a load balancer\'s only if a load balancer here uses it, whatever its name', () => {
  expectFindings(
    {
      LoadBalancerSecurityGroup: sg([tcp(443, { CidrIp: '0.0.0.0/0' })]),
      // The load balancer lives in another stack: this template cannot show the group is its.
      OpenIngress: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: { Ref: 'LoadBalancerSecurityGroupId' }, ...tcp(443, { CidrIp: '0.0.0.0/0' }) } },
    },
    [
      ['LoadBalancerSecurityGroup', 'Properties.SecurityGroupIngress[0].CidrIp', 'no-open-ingress'],
      ['OpenIngress', 'Properties.CidrIp', 'no-open-ingress'],
    ],
  );
});

test('no-open-ingress: both branches of Fn::If are checked', () => {
  expectFindings(
    { AppSecurityGroup: sg([{ 'Fn::If': ['IsPublic', tcp(8080, { CidrIp: '0.0.0.0/0' }), { Ref: 'AWS::NoValue' }] }]) },
    [['AppSecurityGroup', 'Properties.SecurityGroupIngress[0].Fn::If[1].CidrIp', 'no-open-ingress']],
  );
});

// --- rule: separate-task-role -------------------------------------------------------------------

test('separate-task-role: the same role as task and execution role is a finding, however it is referenced', () => {
  expectFindings(
    {
      SameGetAtt: taskDefinition({ ExecutionRoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] }, TaskRoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] } }),
      RefAndGetAtt: taskDefinition({ ExecutionRoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] }, TaskRoleArn: { Ref: 'Role' } }),
      ArnAndName: taskDefinition({ ExecutionRoleArn: 'arn:aws:iam::123456789012:role/app/app-role', TaskRoleArn: 'app-role' }),
      SameSub: taskDefinition({ ExecutionRoleArn: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/app' }, TaskRoleArn: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/app' } }),
    },
    [
      ['SameGetAtt', 'Properties.TaskRoleArn', 'separate-task-role'],
      ['RefAndGetAtt', 'Properties.TaskRoleArn', 'separate-task-role'],
      ['ArnAndName', 'Properties.TaskRoleArn', 'separate-task-role'],
      ['SameSub', 'Properties.TaskRoleArn', 'separate-task-role'],
    ],
  );
});

test('separate-task-role: two roles, or no task role at all, pass', () => {
  const r = expectClean(
    {
      TwoRoles: taskDefinition({ ExecutionRoleArn: { 'Fn::GetAtt': ['ExecutionRole', 'Arn'] }, TaskRoleArn: { 'Fn::GetAtt': ['TaskRole', 'Arn'] } }),
      NoTaskRole: taskDefinition({ ExecutionRoleArn: { 'Fn::GetAtt': ['ExecutionRole', 'Arn'] } }),
    },
    'separate-task-role',
  );
  assert.equal(r.passedByRule['separate-task-role'], 2);
});

// --- rule: no-star-action -----------------------------------------------------------------------

test('no-star-action: Action "*" and Allow with NotAction are findings, in roles and managed policies', () => {
  expectFindings(
    {
      AdminRole: role([{ Effect: 'Allow', Action: '*', Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] } }]),
      Managed: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: {
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Action: ['sqs:SendMessage', '*'], Resource: 'arn:aws:sqs:eu-west-1:123456789012:q' },
              { Effect: 'Allow', NotAction: 'iam:*', Resource: 'arn:aws:sqs:eu-west-1:123456789012:q' },
            ],
          },
        },
      },
    },
    [
      ['AdminRole', 'Properties.Policies[0].PolicyDocument.Statement[0].Action', 'no-star-action'],
      ['Managed', 'Properties.PolicyDocument.Statement[0].Action', 'no-star-action'],
      ['Managed', 'Properties.PolicyDocument.Statement[1].NotAction', 'no-star-action'],
    ],
  );
});

test('no-star-action: service wildcards, Deny "*" guard rails and key-policy kms:* pass', () => {
  expectClean(
    {
      BucketPolicy: {
        Type: 'AWS::S3::BucketPolicy',
        Properties: {
          Bucket: { Ref: 'Bucket' },
          PolicyDocument: {
            Statement: [
              { Effect: 'Deny', Principal: '*', Action: '*', Resource: 'arn:aws:s3:::b/*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
              { Effect: 'Deny', Principal: '*', NotAction: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
            ],
          },
        },
      },
      Key: {
        Type: 'AWS::KMS::Key',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          KeyPolicy: {
            Statement: [{ Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } }, Action: 'kms:*', Resource: '*' }],
          },
        },
      },
    },
    'no-star-action',
  );
});

// --- rule: star-resource-only-where-required ----------------------------------------------------

test('star-resource-only-where-required: Resource "*" with an action that has resource-level permissions is a finding naming it', () => {
  const r = expectFindings(
    {
      TaskRole: role([
        { Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken', 'ecr:BatchGetImage'], Resource: ['*'] },
        { Effect: 'Allow', Action: 'ssmmessages:*', Resource: '*' },
        { Effect: 'Allow', Action: 'sqs:SendMessage', NotResource: 'arn:aws:sqs:eu-west-1:123456789012:q' },
      ]),
    },
    [
      ['TaskRole', 'Properties.Policies[0].PolicyDocument.Statement[1].Resource', 'star-resource-only-where-required'],
      ['TaskRole', 'Properties.Policies[0].PolicyDocument.Statement[2].Resource', 'star-resource-only-where-required'],
      ['TaskRole', 'Properties.Policies[0].PolicyDocument.Statement[3].NotResource', 'star-resource-only-where-required'],
    ],
  );
  assert.match(r.findings[0]!.message, /`ecr:BatchGetImage`/);
  assert.doesNotMatch(r.findings[0]!.message, /GetAuthorizationToken/);
  assert.match(r.findings[1]!.message, /`ssmmessages:\*`/);
});

test('star-resource-only-where-required: allow-listed actions, key policies and Deny statements may use "*"', () => {
  expectClean(
    {
      ExecutionRole: role([
        { Sid: 'EcrLogin', Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' },
        { Sid: 'EcsExec', Effect: 'Allow', Action: ['ssmmessages:CreateControlChannel', 'ssmmessages:CreateDataChannel', 'ssmmessages:OpenControlChannel', 'ssmmessages:OpenDataChannel'], Resource: '*' },
        { Effect: 'Deny', Action: 'sqs:DeleteQueue', Resource: '*' },
      ]),
      Key: {
        Type: 'AWS::KMS::Key',
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          KeyPolicy: {
            Statement: [{ Effect: 'Allow', Principal: { Service: 'logs.amazonaws.com' }, Action: ['kms:Encrypt*', 'kms:Decrypt*'], Resource: '*' }],
          },
        },
      },
    },
    'star-resource-only-where-required',
  );
});

test('star-resource-only-where-required: every allow-listed action cites the Service Authorization Reference', () => {
  for (const [action, url] of Object.entries(RESOURCE_STAR_ACTIONS)) {
    assert.match(action, /^[a-z0-9-]+:[A-Za-z0-9]+$/, `${action} is an exact action name`);
    assert.match(url, /^https:\/\/docs\.aws\.amazon\.com\/service-authorization\/latest\/reference\/list_[a-z0-9]+\.html$/, action);
  }
});

// --- rule: ecs-exec-off -------------------------------------------------------------------------

test('ecs-exec-off: ECS Exec on (literal or in a branch) is a finding', () => {
  expectFindings(
    {
      On: service(true),
      OnAsString: service('true'),
      InABranch: service({ 'Fn::If': ['IsDev', true, false] }),
      FromParameter: service({ Ref: 'EnableExec' }),
    },
    [
      ['On', 'Properties.EnableExecuteCommand', 'ecs-exec-off'],
      ['OnAsString', 'Properties.EnableExecuteCommand', 'ecs-exec-off'],
      ['InABranch', 'Properties.EnableExecuteCommand', 'ecs-exec-off'],
      ['FromParameter', 'Properties.EnableExecuteCommand', 'ecs-exec-off'],
    ],
  );
});

test('ecs-exec-off: off, absent, or allowed for that environment, file and service', () => {
  const r = expectClean({ Off: service(false), Absent: service() }, 'ecs-exec-off');
  assert.equal(r.passedByRule['ecs-exec-off'], 2);

  const allowed = run({ Service: service(true) }, { ecsExecAllowed: new Set(['prod/test.yaml/Service']) });
  assert.deepEqual(where(allowed.findings), []);
  assert.deepEqual(where(allowed.skipped), [{ file: FILE, logicalId: 'Service', property: 'Properties.EnableExecuteCommand', rule: 'ecs-exec-off' }]);
  // Allowed in dev only: prod still fails.
  const devOnly = run({ Service: service(true) }, { ecsExecAllowed: new Set(['dev/test.yaml/Service']) });
  assert.equal(devOnly.findings.length, 1);
});

test('ecs-exec-off: the allow-list comes from the environment files, per environment and service', () => {
  assert.equal(ecsExecKey('output/dev/service-web.yaml', 'Service'), 'dev/service-web.yaml/Service');
  assert.deepEqual(
    [
      ...ecsExecAllowed([
        { name: 'dev', services: { web: { enableExecuteCommand: true }, worker: {}, report: { enableExecuteCommand: false } } },
        { name: 'prod', services: { web: { enableExecuteCommand: false } } },
        { name: 'staging' },
      ]),
    ],
    ['dev/service-web.yaml/Service'],
  );
});

// --- rule: trust-scoped -------------------------------------------------------------------------

const trustRole = (statement: Record<string, unknown>): Res => ({
  Type: 'AWS::IAM::Role',
  Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', ...statement }] } },
});

test('trust-scoped: a service trust without aws:SourceAccount / aws:SourceArn is a finding; EC2 instance roles are exempt', () => {
  const r = expectFindings(
    {
      Open: trustRole({ Principal: { Service: ['ecs-tasks.amazonaws.com', 'ec2.amazonaws.com'] } }),
      WrongKey: trustRole({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:PrincipalAccount': '123456789012' } } }),
      Account: trustRole({ Principal: { Service: 'events.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }),
      Arn: trustRole({ Principal: { Service: 'vpc-flow-logs.amazonaws.com' }, Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:ec2:*:123456789012:vpc-flow-log/*' } } }),
      Instance: trustRole({ Principal: { Service: 'ec2.amazonaws.com' } }),
      Person: trustRole({ Principal: { AWS: 'arn:aws:iam::123456789012:root' } }),
    },
    [
      ['Open', 'Properties.AssumeRolePolicyDocument.Statement[0].Condition', 'trust-scoped'],
      ['WrongKey', 'Properties.AssumeRolePolicyDocument.Statement[0].Condition', 'trust-scoped'],
    ],
  );
  assert.match(r.findings[0]!.message, /`ecs-tasks\.amazonaws\.com` assume the role on behalf of any account/);
  assert.doesNotMatch(r.findings[0]!.message, /ec2\.amazonaws\.com/);
  assert.equal(r.passedByRule['trust-scoped'], 2);
});

// --- rule: stateful-retained ---------------------------------------------------------------------

test('stateful-retained: data-holding resources keep their data on stack deletion and replacement', () => {
  const r = expectFindings(
    {
      Bare: { Type: 'AWS::SQS::Queue', Properties: {} },
      Deletes: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Retain', Properties: {} },
      Kept: { Type: 'AWS::KMS::Key', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: {} },
      Snapshot: { Type: 'AWS::RDS::DBInstance', DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot', Properties: {} },
      Stateless: { Type: 'AWS::EC2::SecurityGroup', Properties: {} },
    } as unknown as Record<string, Res>,
    [
      ['Bare', 'DeletionPolicy', 'stateful-retained'],
      ['Bare', 'UpdateReplacePolicy', 'stateful-retained'],
      ['Deletes', 'DeletionPolicy', 'stateful-retained'],
    ],
  );
  assert.match(r.findings[2]!.message, /^is `Delete`: deleting the stack would destroy the data this AWS::Logs::LogGroup holds/);
  // The key; the database is data-store-kept's (below), which it passes.
  assert.equal(r.passedByRule['stateful-retained'], 1);
  assert.equal(r.passedByRule['data-store-kept'], 1);
});

// --- rule: data-store-kept -----------------------------------------------------------------------

test('data-store-kept: a database leaves a final snapshot, its cluster\'s instances are not kept, tables and buckets are retained', () => {
  const r = expectFindings(
    {
      RetainedCluster: { Type: 'AWS::RDS::DBCluster', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Snapshot', Properties: { Engine: 'aurora-postgresql' } },
      KeptMember: { Type: 'AWS::RDS::DBInstance', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Delete', Properties: { DBClusterIdentifier: { Ref: 'Cluster' } } },
      BareTable: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      SnapshotBucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Retain', Properties: {} },
      NamedTable: { Type: 'AWS::DynamoDB::Table', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: { TableName: 'dev-jobs' } },
      // Pass: a cluster's snapshot, an instance deleted with its cluster, retained stores.
      Cluster: { Type: 'AWS::RDS::DBCluster', DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot', Properties: { Engine: 'aurora-postgresql' } },
      Member: { Type: 'AWS::RDS::DBInstance', DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete', Properties: { DBClusterIdentifier: { Ref: 'Cluster' } } },
      Table: { Type: 'AWS::DynamoDB::Table', DeletionPolicy: 'RetainExceptOnCreate', UpdateReplacePolicy: 'Retain', Properties: { TableName: 'dev-orders' } },
      Bucket: { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain', Properties: {} },
    } as unknown as Record<string, Res>,
    [
      ['RetainedCluster', 'DeletionPolicy', 'data-store-kept'],
      ['KeptMember', 'DeletionPolicy', 'data-store-kept'],
      ['BareTable', 'DeletionPolicy', 'data-store-kept'],
      ['BareTable', 'UpdateReplacePolicy', 'data-store-kept'],
      ['SnapshotBucket', 'DeletionPolicy', 'data-store-kept'],
      ['NamedTable', 'DeletionPolicy', 'data-store-kept'],
    ],
  );
  const message = (id: string) => r.findings.find((f) => f.logicalId === id)!.message;
  assert.match(message('RetainedCluster'), /must leave a final snapshot .* Set `DeletionPolicy: Snapshot`/);
  assert.match(message('KeptMember'), /keeps RDS from deleting the cluster and taking its final snapshot\. Set `DeletionPolicy: Delete`/);
  assert.match(message('SnapshotBucket'), /which has no snapshot/);
  assert.match(message('NamedTable'), /fixed name \(Properties\.TableName\).* RetainExceptOnCreate/);
  assert.equal(r.passedByRule['data-store-kept'], 4);
  // The data stores are this rule's, not stateful-retained's: one finding per problem.
  assert.equal(r.passedByRule['stateful-retained'], 0);
});

// --- rule: data-grants-named --------------------------------------------------------------------

test('data-grants-named: a task role\'s DynamoDB and S3 permissions name their tables, indexes and buckets', () => {
  const table = (name: string) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/${name}` });
  const r = expectFindings(
    {
      Wide: role([
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: '*' },
        { Effect: 'Allow', Action: ['dynamodb:Query'], Resource: [table('${EnvironmentName}-jobs/index/*'), table('*')] },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: ['arn:aws:s3:::reports-*/*', { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::*' }] },
      ]),
      Named: role([
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: table('${EnvironmentName}-jobs') },
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: table('${EnvironmentName}-jobs/index/by-status') },
        { Effect: 'Allow', Action: 's3:GetObject', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${EnvironmentName}-reports-${AWS::AccountId}-${AWS::Region}/*' } },
        { Effect: 'Allow', Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': ['Bucket', 'Arn'] } },
        // Not data: other rules judge it.
        { Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: { 'Fn::GetAtt': ['Logs', 'Arn'] } },
      ]),
      // Not a task role: the rule does not apply (the launch role's reads are scoped by account).
      Launch: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'servicecatalog.amazonaws.com' }, Action: 'sts:AssumeRole', Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } }] },
          Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'dynamodb:CreateTable', Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:*' } }] } }],
        },
      },
    },
    [
      ['Wide', 'Properties.Policies[0].PolicyDocument.Statement[0].Resource', 'star-resource-only-where-required'],
      ['Wide', 'Properties.Policies[0].PolicyDocument.Statement[0].Resource', 'data-grants-named'],
      ['Wide', 'Properties.Policies[0].PolicyDocument.Statement[1].Resource[0]', 'data-grants-named'],
      ['Wide', 'Properties.Policies[0].PolicyDocument.Statement[1].Resource[1]', 'data-grants-named'],
      ['Wide', 'Properties.Policies[0].PolicyDocument.Statement[2].Resource[0]', 'data-grants-named'],
      ['Wide', 'Properties.Policies[0].PolicyDocument.Statement[2].Resource[1]', 'data-grants-named'],
    ],
  );
  const messages = r.findings.filter((f) => f.rule === 'data-grants-named').map((f) => f.message.replace(/\. A task role.*/, ''));
  assert.deepEqual(messages, [
    'grants dynamodb actions on `*`: every resource',
    'grants dynamodb actions on `arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${EnvironmentName}-jobs/index/*`: every index of the table',
    'grants dynamodb actions on `arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/*`: every table its pattern matches',
    'grants s3 actions on `arn:aws:s3:::reports-*/*`: every bucket its pattern matches',
    'grants s3 actions on `arn:${AWS::Partition}:s3:::*`: every bucket its pattern matches',
  ]);
  assert.equal(r.passedByRule['data-grants-named'], 4, 'the named statements pass');
});

// --- rule: database-ingress-declared -------------------------------------------------------------

/** A data stack (output/dev/data-appdb.yaml) whose database admits `web`, and service stacks that add rules to it. */
function databaseEstate(services: Record<string, Record<string, Res>>, group: Res = sg([])) {
  const data = {
    file: 'output/dev/data-appdb.yaml',
    template: {
      Parameters: { EnvironmentName: { Type: 'String', Default: 'dev' } },
      Resources: {
        SecurityGroup: { ...group, Metadata: { 'berth:clients': ['web (connect)'] } },
        Cluster: { Type: 'AWS::RDS::DBCluster', DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot', Properties: { Engine: 'aurora-postgresql', Port: 5432, VpcSecurityGroupIds: [{ Ref: 'SecurityGroup' }] } },
        SecurityGroupIdParameter: { Type: 'AWS::SSM::Parameter', Properties: { Name: { 'Fn::Sub': '/berth/${EnvironmentName}/stores/appdb/security-group-id' }, Type: 'String', Value: { Ref: 'SecurityGroup' } } },
      },
    },
  };
  const stacks = Object.entries(services).map(([name, resources]) => ({
    file: `output/dev/service-${name}.yaml`,
    template: {
      Parameters: { AppdbSecurityGroupId: { Type: 'AWS::SSM::Parameter::Value<AWS::EC2::SecurityGroup::Id>', Default: '/berth/dev/stores/appdb/security-group-id' } },
      Resources: {
        SecurityGroup: sg([]),
        TaskDefinition: { ...taskDefinition({}), Properties: { ...(taskDefinition({}).Properties as object), Tags: [{ Key: 'berth:service', Value: name }] } },
        ...resources,
      },
    },
  }));
  return checkTemplates([data, ...stacks]);
}
const dbIngress = (props: Res): Res => ({ Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: { Ref: 'AppdbSecurityGroupId' }, ...tcp(5432, { SourceSecurityGroupId: { Ref: 'SecurityGroup' } }), ...props } });

test('database-ingress-declared: the declaring service\'s own group on the database\'s port passes, across templates', () => {
  const r = databaseEstate({ web: { AppdbIngress: dbIngress({}) } });
  assert.deepEqual(where(r.findings), []);
  assert.equal(r.passedByRule['database-ingress-declared'], 2, 'the database group, and the web rule');
});

test('database-ingress-declared: a rule from a service that does not declare the store, a CIDR, another group or port, and the group\'s own rules fail', () => {
  const r = databaseEstate(
    {
      web: {
        FromCidr: dbIngress({ SourceSecurityGroupId: undefined, CidrIp: '10.0.0.0/8' }),
        WrongPort: dbIngress({ FromPort: 5432, ToPort: 5439 }),
        FromParameter: dbIngress({ SourceSecurityGroupId: { Ref: 'AppdbSecurityGroupId' } }),
      },
      api: { AppdbIngress: dbIngress({}) },
    },
    sg([tcp(5432, { SourceSecurityGroupId: 'sg-0123456789abcdef0' })]),
  );
  const found = r.findings.filter((f) => f.rule === 'database-ingress-declared').map((f) => `${path.basename(f.file)} ${f.logicalId} ${f.property}`);
  assert.deepEqual(found, [
    'data-appdb.yaml SecurityGroup Properties.SecurityGroupIngress',
    'service-web.yaml FromCidr Properties.CidrIp',
    'service-web.yaml FromCidr Properties.SourceSecurityGroupId',
    'service-web.yaml WrongPort Properties.FromPort',
    'service-web.yaml FromParameter Properties.SourceSecurityGroupId',
    'service-api.yaml AppdbIngress Properties.GroupId',
  ]);
  const api = r.findings.find((f) => f.file.endsWith('service-api.yaml'))!;
  assert.match(api.message, /from service `api`, which does not declare the store; its metadata admits `web`\. Add the store to the service's `uses`/);
  // The same rules in one template alone: the other templates' rules are not seen there.
  assert.equal(checkTemplate({ file: 'output/dev/service-api.yaml', template: { Resources: { AppdbIngress: dbIngress({}) } } }).passedByRule['database-ingress-declared'], 0);
});

// --- rule: awsvpc-block-imds --------------------------------------------------------------------

const userData = (lines: string[]) => ({ 'Fn::Base64': { 'Fn::Sub': ['#!/bin/bash', 'cat >> /etc/ecs/ecs.config <<EOF', ...lines, 'EOF', ''].join('\n') } });

test('awsvpc-block-imds: user data that joins a cluster without ECS_AWSVPC_BLOCK_IMDS=true is a finding', () => {
  expectFindings(
    {
      Missing: launchTemplate(userData(['ECS_CLUSTER=${Cluster}'])),
      False: launchTemplate(userData(['ECS_CLUSTER=${Cluster}', 'ECS_AWSVPC_BLOCK_IMDS=false'])),
      CommentedOut: launchTemplate(userData(['ECS_CLUSTER=${Cluster}', '# ECS_AWSVPC_BLOCK_IMDS=true'])),
      Instance: { Type: 'AWS::EC2::Instance', Properties: { UserData: { 'Fn::Base64': { 'Fn::Join': ['', ['echo ECS_CLUSTER=', { Ref: 'Cluster' }, ' >> /etc/ecs/ecs.config']] } } } },
    },
    [
      ['Missing', 'Properties.LaunchTemplateData.UserData', 'awsvpc-block-imds'],
      ['False', 'Properties.LaunchTemplateData.UserData', 'awsvpc-block-imds'],
      ['CommentedOut', 'Properties.LaunchTemplateData.UserData', 'awsvpc-block-imds'],
      ['Instance', 'Properties.UserData', 'awsvpc-block-imds'],
    ],
  );
});

test('awsvpc-block-imds: set in the user data (Fn::Sub or Fn::Join) passes; user data that joins no cluster is not checked', () => {
  const r = expectClean(
    {
      Sub: launchTemplate(userData(['ECS_CLUSTER=${Cluster}', 'ECS_AWSVPC_BLOCK_IMDS=true'])),
      Join: launchTemplate({ 'Fn::Base64': { 'Fn::Join': ['\n', ['#!/bin/bash', { 'Fn::Join': ['', ['echo ECS_CLUSTER=', { Ref: 'Cluster' }, ' >> /etc/ecs/ecs.config']] }, 'echo ECS_AWSVPC_BLOCK_IMDS=true >> /etc/ecs/ecs.config']] } }),
      NotEcs: launchTemplate({ 'Fn::Base64': '#!/bin/bash\nyum install -y nginx\n' }),
    },
    'awsvpc-block-imds',
  );
  assert.equal(r.passedByRule['awsvpc-block-imds'], 2);
});

// --- reading templates, formatting --------------------------------------------------------------

test('parseTemplate: short-form tags become long-form intrinsics the rules understand', () => {
  const t = parseTemplate(
    FILE,
    [
      'Resources:',
      '  Role:',
      '    Type: AWS::IAM::Role',
      '  Task:',
      '    Type: AWS::ECS::TaskDefinition',
      '    Properties:',
      '      ExecutionRoleArn: !GetAtt Role.Arn',
      '      TaskRoleArn: !GetAtt [Role, Arn]',
      '      Family: !Sub ${AWS::StackName}-app',
      '',
    ].join('\n'),
  );
  assert.deepEqual((t.template as { Resources: { Task: { Properties: unknown } } }).Resources.Task.Properties, {
    ExecutionRoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] },
    TaskRoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] },
    Family: { 'Fn::Sub': '${AWS::StackName}-app' },
  });
  assert.deepEqual(where(checkTemplate(t).findings), [{ file: FILE, logicalId: 'Task', property: 'Properties.TaskRoleArn', rule: 'separate-task-role' }]);
});

test('formatFinding: `<file>: <logicalId> <property>: <message> [rule]`', () => {
  const [f] = run({ Svc: service(true) }).findings;
  assert.ok(f);
  assert.match(formatFinding(f), /^output\/prod\/test\.yaml: Svc Properties\.EnableExecuteCommand: turns ECS Exec on: .* \[ecs-exec-off\]$/);
});

// --- fixtures and the committed output/ ---------------------------------------------------------

test('the insecure fixture breaks every rule', () => {
  const file = path.join(ROOT, 'test', 'fixtures', 'insecure', 'insecure.yaml');
  const r = checkTemplate(parseTemplate('insecure.yaml', readFileSync(file, 'utf8')));
  assert.deepEqual([...new Set(r.findings.map((f) => f.rule))].sort(), [...POLICY_RULES].sort());
});

/** The policy checks over an output/ folder and the environments of the estate that wrote it. */
function checkOutput(output: string, environmentsDir: string) {
  const files = readdirSync(output, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
  assert.ok(files.length > 0);
  const templates = files.map((f) => parseTemplate(path.join('output', f), readFileSync(path.join(output, f), 'utf8')));
  const environments = [...new Set(files.map((f) => path.dirname(f)))].map((env) => loadSettings(path.join(environmentsDir, `${env}.json`)));
  return checkTemplates(templates, { ecsExecAllowed: ecsExecAllowed(environments) });
}

test('every template in output/ passes every rule', () => {
  assert.deepEqual(checkOutput(path.join(ROOT, 'output'), path.join(ROOT, 'templates', 'environments')).findings.map(formatFinding), []);
});

test('every template of the fixture estate passes every rule, and each rule checks something there', () => {
  const r = checkOutput(fixtureEstateOutput(), path.join(ROOT, 'test', 'fixtures', 'settings'));
  assert.deepEqual(r.findings.map(formatFinding), []);
  // Each rule found something to check, so a rule that matches nothing cannot pass silently. (On
  // the fixture estate, which has EC2 capacity and every kind of service: a team's own
  // estate may have nothing for a rule to check.) Its services use no store, so a task role's
  // data grants are checked on the fixture stores below.
  for (const rule of POLICY_RULES) if (rule !== 'data-grants-named') assert.ok(r.passedByRule[rule] > 0, `${rule} checked nothing in the fixture estate's output/`);
});

test('the fixture services using the fixture stores pass every rule, and data-grants-named checks each grant statement', () => {
  const settings = loadSettings(path.join(ROOT, 'test', 'fixtures', 'settings', 'prod.json'));
  const services = [{ ...web, uses: [orders.connect, sessions.read, uploads.read] }, { ...worker, uses: [sessions.readWrite, uploads.readWrite] }, report];
  const t = synthesize(root, { settings, services, stores: [orders, sessions, uploads] });
  const templates = flatten([t]).map((c) => parseTemplate(path.join('output', 'prod', c.file), toYaml(c.toJSON())));
  const r = checkTemplates(templates, { ecsExecAllowed: ecsExecAllowed([settings]) });
  assert.deepEqual(r.findings.map(formatFinding), []);
  // web reads a table and a bucket, worker writes both: each statement naming them is one evaluation.
  assert.ok(r.passedByRule['data-grants-named'] >= 4, String(r.passedByRule['data-grants-named']));
  assert.ok(r.passedByRule['database-ingress-declared'] > 0 && r.passedByRule['data-store-kept'] > 0);
});
