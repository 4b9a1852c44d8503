// Data stores (templates/stacks/data/): the stacks of an Aurora cluster, a DynamoDB table and an S3
// bucket, the root's wiring, each service's grants per access level, the per-environment
// overrides, every mistake the build refuses, and CloudFormation's and IAM's limits with 20 stores.
// Exact content on fixture stores and services (test/fixtures/storage/, test/fixtures/services/).
// Run: node --import tsx --test test/data-stores.test.ts
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { flatten } from '../src/dsl/estate.ts';
import { LIMITS } from '../src/dsl/limits.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { toPlain } from '../src/emit/plain.ts';
import { toYaml } from '../src/emit/yaml.ts';
import { defineAurora, defineBucket, defineTable, type AuroraStore, type BucketStore, type StoreDefinition, type TableStore } from '../templates/stacks/data/definition.ts';
import { checkStores, resolveStore, type ResolvedAurora } from '../templates/stacks/data/resolve.ts';
import { defaultMaxConnections } from '../templates/stacks/data/alarms.ts';
import { synthesizeFoundation } from '../templates/stacks/foundation.ts';
import { root } from '../templates/stacks/root.ts';
import type { ServiceDefinition } from '../templates/stacks/service/definition.ts';
import { resolvedLength, ROLE_INLINE_POLICY_CHARACTERS } from '../templates/stacks/shared/iam.ts';
import { loadSettings, type ResolvedSettings, type StoreOverrides } from '../templates/settings/settings.ts';
import { orders } from './fixtures/storage/orders.ts';
import { sessions } from './fixtures/storage/sessions.ts';
import { uploads } from './fixtures/storage/uploads.ts';
import { report } from './fixtures/services/report.ts';
import { web } from './fixtures/services/web.ts';
import { worker } from './fixtures/services/worker.ts';
import { ROOT } from './_helpers.ts';

type Doc = Record<string, any>;
const plain = (t: { toJSON(): unknown }) => toPlain(t.toJSON()) as Doc;

// prod's settings without its own overrides: each test names the ones it needs.
const base = loadSettings(join(ROOT, 'templates/environments/prod.json'));
const prod: ResolvedSettings = { ...base, services: undefined, stores: undefined };
const with_ = (stores: Record<string, StoreOverrides>): ResolvedSettings => ({ ...prod, stores });

const STORES: readonly StoreDefinition[] = [orders, sessions, uploads];
const webUses = { ...web, uses: [orders.connect, sessions.read, uploads.read] };
const workerUses = { ...worker, uses: [sessions.readWrite, uploads.readWrite] };
const SERVICES: readonly ServiceDefinition[] = [webUses, workerUses, report];

function estate(settings = prod, services = SERVICES, stores = STORES) {
  const t = synthesize(root, { settings, services, stores });
  const child = (name: string) => plain(t.children.find((c) => c.name === name)!);
  return { root: plain(t), child, template: t };
}
const e = estate();
const resources = (doc: Doc) => doc.Resources as Record<string, Doc>;
const ofType = (doc: Doc, type: string) => Object.entries(resources(doc)).filter(([, r]) => r.Type === type);
const statements = (role: Doc) => role.Properties.Policies?.[0]?.PolicyDocument.Statement as Doc[];
const sids = (role: Doc) => (statements(role) ?? []).map((s) => s.Sid);
const sub = (text: string) => ({ 'Fn::Sub': text });

// --- the root -------------------------------------------------------------------------------

test('the root nests one stack per store after the network, and each service after the stores it uses, with their registry names', () => {
  const r = resources(e.root);
  assert.deepEqual(Object.keys(r), ['Operations', 'Network', 'LoadBalancer', 'Cluster', 'OrdersStore', 'SessionsStore', 'UploadsStore', 'WebService', 'WorkerService', 'ReportService', 'Dashboard', 'DeployGuard']);
  assert.deepEqual([r.OrdersStore!.Properties.TemplateURL, r.SessionsStore!.Properties.TemplateURL, r.UploadsStore!.Properties.TemplateURL], ['data-orders.yaml', 'data-sessions.yaml', 'data-uploads.yaml']);
  assert.deepEqual(r.OrdersStore!.Properties.Parameters, {
    EnvironmentName: { Ref: 'EnvironmentName' },
    VpcId: { 'Fn::GetAtt': ['Network', 'Outputs.VpcId'] },
    DbSubnetGroupName: { 'Fn::GetAtt': ['Network', 'Outputs.DbSubnetGroupName'] },
    // The operations stack's registry entry, by its output, as the cluster takes it: the database waits for the topic.
    AlarmTopicArn: { 'Fn::GetAtt': ['Operations', 'Outputs.AlarmTopicArnParameter'] },
  });
  assert.equal(r.OrdersStore!.DependsOn, undefined);
  assert.deepEqual(r.SessionsStore!.Properties.Parameters, { EnvironmentName: { Ref: 'EnvironmentName' } });
  // A service waits for the stores it uses, whose registry entries it reads under the root's EnvironmentName.
  assert.deepEqual(r.WebService!.DependsOn, ['OrdersStore', 'SessionsStore', 'UploadsStore']);
  assert.deepEqual(r.WorkerService!.DependsOn, ['SessionsStore', 'UploadsStore']);
  assert.equal(r.ReportService!.DependsOn, undefined);
  const p = r.WebService!.Properties.Parameters;
  assert.deepEqual(
    Object.fromEntries(Object.entries(p).filter(([k]) => /^(Orders|Sessions|Uploads)/.test(k))),
    {
      OrdersSecurityGroupId: sub('/berth/${EnvironmentName}/stores/orders/security-group-id'),
      OrdersEndpoint: sub('/berth/${EnvironmentName}/stores/orders/endpoint'),
      OrdersReaderEndpoint: sub('/berth/${EnvironmentName}/stores/orders/reader-endpoint'),
      OrdersSecretArn: sub('/berth/${EnvironmentName}/stores/orders/secret-arn'),
      OrdersSecretKeyArn: sub('/berth/${EnvironmentName}/stores/orders/secret-key-arn'),
      SessionsKeyArn: sub('/berth/${EnvironmentName}/stores/sessions/key-arn'),
      UploadsKeyArn: sub('/berth/${EnvironmentName}/stores/uploads/key-arn'),
    },
  );
  // The network's DB subnet group has the fixed name a store defaults to.
  assert.deepEqual(resources(e.child('network')).DbSubnetGroup!.Properties.DBSubnetGroupName, sub('${EnvironmentName}-database'));
  assert.equal(e.child('data-orders').Parameters.DbSubnetGroupName.Default, 'prod-database');
});

test('the foundation nests the stores as the root does (same templates, written once), and no service', () => {
  const f = plain(synthesizeFoundation(prod, SERVICES, STORES));
  assert.deepEqual(ofType(f, 'AWS::CloudFormation::Stack').map(([id]) => id), ['Operations', 'Network', 'LoadBalancer', 'Cluster', 'OrdersStore', 'SessionsStore', 'UploadsStore', 'Dashboard']);
  assert.deepEqual(resources(f).OrdersStore!.Properties.Parameters, resources(e.root).OrdersStore!.Properties.Parameters);
  assert.match(f.Description, /, data stores \(orders, sessions, uploads\) and dashboard, on which/);
});

// --- Aurora ---------------------------------------------------------------------------------

test('an Aurora store: an encrypted cluster in the network\'s subnet group, master secret under its own key, TLS required, snapshot on delete and replacement', () => {
  const d = e.child('data-orders');
  assert.equal(d.Description, 'berth data store orders for prod: Aurora MySQL 8.0.mysql_aurora.3.10.1, db.r6g.large, 1 writer and 2 readers, in the database subnets.');
  const c = resources(d).Cluster!;
  assert.deepEqual([c.DeletionPolicy, c.UpdateReplacePolicy, c.DependsOn], ['Snapshot', 'Snapshot', ['ErrorLogGroup', 'SlowQueryLogGroup']]);
  const { Tags: _, ...props } = c.Properties;
  assert.deepEqual(props, {
    DBClusterIdentifier: sub('${EnvironmentName}-orders'),
    Engine: 'aurora-mysql',
    EngineVersion: '8.0.mysql_aurora.3.10.1',
    DatabaseName: 'shop',
    Port: 3306,
    MasterUsername: 'owner',
    ManageMasterUserPassword: true,
    MasterUserSecret: { KmsKeyId: { 'Fn::GetAtt': ['SecretKey', 'Arn'] } },
    StorageEncrypted: true,
    KmsKeyId: { 'Fn::GetAtt': ['StorageKey', 'Arn'] },
    DBSubnetGroupName: { Ref: 'DbSubnetGroupName' },
    VpcSecurityGroupIds: [{ Ref: 'SecurityGroup' }],
    DBClusterParameterGroupName: { Ref: 'ClusterParameterGroup' },
    BackupRetentionPeriod: 14,
    CopyTagsToSnapshot: true,
    DeletionProtection: true,
    EnableIAMDatabaseAuthentication: true,
    EnableCloudwatchLogsExports: ['error', 'slowquery'],
  });
  assert.deepEqual(resources(d).ClusterParameterGroup!.Properties.Parameters, { require_secure_transport: 'ON', slow_query_log: '1', long_query_time: '2' });
  assert.equal(resources(d).ClusterParameterGroup!.Properties.Family, 'aurora-mysql8.0');
  // Three keys: storage (and Performance Insights), the secret, the exported logs, each kept.
  for (const key of ['StorageKey', 'SecretKey', 'LogKey']) assert.deepEqual([resources(d)[key]!.Type, resources(d)[key]!.DeletionPolicy], ['AWS::KMS::Key', 'Retain']);
  assert.deepEqual(resources(d).LogKey!.Properties.KeyPolicy.Statement[2].Condition, {
    ArnLike: { 'kms:EncryptionContext:aws:logs:arn': sub('arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/aws/rds/cluster/${EnvironmentName}-orders/*') },
  });
  // The log groups RDS exports to, made first: encrypted, the environment's retention, kept.
  for (const [id, type] of [['ErrorLogGroup', 'error'], ['SlowQueryLogGroup', 'slowquery']] as const) {
    const g = resources(d)[id]!;
    assert.deepEqual([g.Properties.LogGroupName, g.Properties.RetentionInDays, g.Properties.KmsKeyId, g.DeletionPolicy], [sub(`/aws/rds/cluster/\${EnvironmentName}-orders/${type}`), 365, { 'Fn::GetAtt': ['LogKey', 'Arn'] }, 'RetainExceptOnCreate']);
  }
});

test('an Aurora store: the writer and each reader in the next Availability Zone, Performance Insights and Enhanced Monitoring, deleted with the stack', () => {
  const d = e.child('data-orders');
  const instances = ofType(d, 'AWS::RDS::DBInstance');
  assert.deepEqual(instances.map(([id]) => id), ['WriterInstance', 'Reader1Instance', 'Reader2Instance']);
  instances.forEach(([id, r], i) => {
    const { Tags: _, ...p } = r.Properties;
    assert.deepEqual(p, {
      DBClusterIdentifier: { Ref: 'Cluster' },
      Engine: 'aurora-mysql',
      DBInstanceClass: 'db.r6g.large',
      AvailabilityZone: { 'Fn::Select': [i % 3, { 'Fn::GetAZs': '' }] },
      PromotionTier: i === 0 ? 0 : 1,
      PubliclyAccessible: false,
      AutoMinorVersionUpgrade: true,
      EnablePerformanceInsights: true,
      PerformanceInsightsKMSKeyId: { 'Fn::GetAtt': ['StorageKey', 'Arn'] },
      PerformanceInsightsRetentionPeriod: 7,
      MonitoringInterval: 60,
      MonitoringRoleArn: { 'Fn::GetAtt': ['MonitoringRole', 'Arn'] },
    }, id);
    assert.deepEqual([r.DeletionPolicy, r.UpdateReplacePolicy], ['Delete', 'Delete'], id);
  });
  const role = resources(d).MonitoringRole!.Properties;
  assert.deepEqual(role.AssumeRolePolicyDocument.Statement[0].Condition, { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  assert.deepEqual(role.ManagedPolicyArns, [sub('arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole')]);
  assert.equal(role.Path, '/berth/prod/monitoring.rds.amazonaws.com/');
});

test('an Aurora store\'s security group admits nothing by itself, opens nothing, and names the services that declare the store', () => {
  const g = resources(e.child('data-orders')).SecurityGroup!;
  assert.equal(g.Properties.SecurityGroupIngress, undefined);
  assert.deepEqual(g.Properties.SecurityGroupEgress, [{ IpProtocol: 'icmp', FromPort: 252, ToPort: 86, CidrIp: '255.255.255.255/32', Description: 'No egress: the database opens no connections' }]);
  assert.deepEqual(g.Metadata, { 'berth:clients': ['web (connect)'] });
});

test('an Aurora store\'s alarms: CPU and free memory per role, connections, replica lag with readers; each to the environment\'s alarm topic from the registry', () => {
  const d = e.child('data-orders');
  const alarms = Object.fromEntries(ofType(d, 'AWS::CloudWatch::Alarm').map(([id, r]) => [id, [r.Properties.MetricName, r.Properties.Dimensions.slice(1).map((x: Doc) => x.Value).join(), r.Properties.ComparisonOperator, r.Properties.Threshold]]));
  const memory = Math.round(16 * 1024 ** 3 * 0.1);
  // Aurora MySQL's default max_connections for 16 GiB, by its formula: about the 1,000 AWS lists for db.r6g.large.
  assert.equal(defaultMaxConnections({ engine: 'mysql', memoryGiB: 16 }), 1069);
  assert.equal(defaultMaxConnections({ engine: 'postgresql', memoryGiB: 32 }), 3604);
  assert.deepEqual(alarms, {
    WriterCpuAlarm: ['CPUUtilization', 'WRITER', 'GreaterThanThreshold', 80],
    ReaderCpuAlarm: ['CPUUtilization', 'READER', 'GreaterThanThreshold', 80],
    WriterMemoryAlarm: ['FreeableMemory', 'WRITER', 'LessThanThreshold', memory],
    ReaderMemoryAlarm: ['FreeableMemory', 'READER', 'LessThanThreshold', memory],
    ConnectionsAlarm: ['DatabaseConnections', 'WRITER', 'GreaterThanThreshold', 855],
    ReplicaLagAlarm: ['AuroraReplicaLag', 'READER', 'GreaterThanThreshold', 2000],
  });
  for (const [, a] of ofType(d, 'AWS::CloudWatch::Alarm')) {
    assert.deepEqual(a.Properties.Dimensions[0], { Name: 'DBClusterIdentifier', Value: { Ref: 'Cluster' } });
    assert.deepEqual(a.Properties.AlarmActions, [{ Ref: 'AlarmTopicArn' }]);
    assert.deepEqual(a.Properties.OKActions, [{ Ref: 'AlarmTopicArn' }]);
    assert.equal(a.Properties.TreatMissingData, 'notBreaching');
  }
  // The topic is the operations stack's, read from its estate registry entry; the root passes the
  // entry's name from the operations stack's output, as it does for the cluster.
  assert.deepEqual([d.Parameters.AlarmTopicArn.Type, d.Parameters.AlarmTopicArn.Default], ['AWS::SSM::Parameter::Value<String>', '/berth/prod/alarm-topic-arn']);
  assert.deepEqual(resources(e.root).OrdersStore!.Properties.Parameters.AlarmTopicArn, resources(e.root).Cluster!.Properties.Parameters.AlarmTopicArn);
  // Serverless v2 adds the capacity alarm; no readers, no lag alarm.
  const serverless = estate(prod, [{ ...web, uses: [orders.connect] }], [{ ...orders, capacity: { type: 'serverless', minAcu: 0.5, maxAcu: 8 }, readers: 0 } as StoreDefinition]).child('data-orders');
  assert.deepEqual(ofType(serverless, 'AWS::CloudWatch::Alarm').map(([id]) => id), ['WriterCpuAlarm', 'WriterMemoryAlarm', 'ConnectionsAlarm', 'CapacityAlarm']);
  // Each named <environment>-<store>-<what it watches>, as the cluster identifier begins, and
  // described with what missing data counts as (the estate's alarm helper).
  assert.deepEqual(ofType(d, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties.AlarmName), ['writer-cpu', 'reader-cpu', 'writer-memory', 'reader-memory', 'connections', 'replica-lag'].map((x) => sub(`\${EnvironmentName}-orders-${x}`)));
  assert.deepEqual(resources(d).Cluster!.Properties.DBClusterIdentifier, sub('${EnvironmentName}-orders'));
  assert.match(resources(d).WriterCpuAlarm!.Properties.AlarmDescription, /^The writer of orders used over 80 % CPU for 5 minutes\. .* No data counts as OK: a cluster that reports nothing \(Serverless v2 paused at 0 ACUs, an instance being replaced\) is not an incident\.$/);
  assert.deepEqual(resources(serverless).Cluster!.Properties.ServerlessV2ScalingConfiguration, { MinCapacity: 0.5, MaxCapacity: 8 });
  assert.equal(resources(serverless).WriterInstance!.Properties.DBInstanceClass, 'db.serverless');
});

test('an Aurora store publishes its security group, endpoints, secret and the secret\'s key in the estate registry', () => {
  const d = e.child('data-orders');
  assert.deepEqual(
    ofType(d, 'AWS::SSM::Parameter').map(([, r]) => [r.Properties.Name['Fn::Sub'], r.Properties.Value]),
    [
      ['/berth/${EnvironmentName}/stores/orders/security-group-id', { Ref: 'SecurityGroup' }],
      ['/berth/${EnvironmentName}/stores/orders/endpoint', { 'Fn::GetAtt': ['Cluster', 'Endpoint.Address'] }],
      ['/berth/${EnvironmentName}/stores/orders/reader-endpoint', { 'Fn::GetAtt': ['Cluster', 'ReadEndpoint.Address'] }],
      ['/berth/${EnvironmentName}/stores/orders/secret-arn', { 'Fn::GetAtt': ['Cluster', 'MasterUserSecret.SecretArn'] }],
      ['/berth/${EnvironmentName}/stores/orders/secret-key-arn', { 'Fn::GetAtt': ['SecretKey', 'Arn'] }],
    ],
  );
});

// --- DynamoDB -------------------------------------------------------------------------------

test('a DynamoDB store: keys and indexes, its own key, point-in-time recovery, deletion protection, a fixed name kept on delete', () => {
  const d = e.child('data-sessions');
  const t = resources(d).Table!;
  assert.deepEqual([t.DeletionPolicy, t.UpdateReplacePolicy], ['RetainExceptOnCreate', 'Retain']);
  const { Tags: _, ...props } = t.Properties;
  const provisioned = { ReadCapacityUnits: 5, WriteCapacityUnits: 2 };
  assert.deepEqual(props, {
    TableName: sub('${EnvironmentName}-sessions'),
    BillingMode: 'PROVISIONED',
    ProvisionedThroughput: provisioned,
    AttributeDefinitions: [
      { AttributeName: 'id', AttributeType: 'S' },
      { AttributeName: 'user', AttributeType: 'S' },
      { AttributeName: 'started', AttributeType: 'N' },
      { AttributeName: 'device', AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      { IndexName: 'by-user', KeySchema: [{ AttributeName: 'user', KeyType: 'HASH' }, { AttributeName: 'started', KeyType: 'RANGE' }], Projection: { ProjectionType: 'ALL' }, ProvisionedThroughput: provisioned },
      { IndexName: 'by-device', KeySchema: [{ AttributeName: 'device', KeyType: 'HASH' }], Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['user'] }, ProvisionedThroughput: provisioned },
    ],
    TimeToLiveSpecification: { AttributeName: 'expires', Enabled: true },
    StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
    SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': ['TableKey', 'Arn'] } },
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    DeletionProtectionEnabled: true,
  });
  assert.deepEqual(t.Metadata, { 'berth:clients': ['web (read)', 'worker (readWrite)'] });
  assert.deepEqual(ofType(d, 'AWS::SSM::Parameter').map(([, r]) => [r.Properties.Name['Fn::Sub'], r.Properties.Value]), [['/berth/${EnvironmentName}/stores/sessions/key-arn', { 'Fn::GetAtt': ['TableKey', 'Arn'] }]]);
  assert.deepEqual(d.Outputs.StreamArn.Value, { 'Fn::GetAtt': ['Table', 'StreamArn'] });
});

// --- S3 -------------------------------------------------------------------------------------

test('an S3 store: a fixed name, its own key with an S3 Bucket Key, versioned, closed, logged, its lifecycle and Object Lock, kept on delete', () => {
  const d = e.child('data-uploads');
  const b = resources(d).Bucket!;
  assert.deepEqual([b.DeletionPolicy, b.UpdateReplacePolicy], ['RetainExceptOnCreate', 'Retain']);
  const { Tags: _, ...props } = b.Properties;
  assert.deepEqual(props, {
    BucketName: sub('${EnvironmentName}-uploads-${AWS::AccountId}-${AWS::Region}'),
    BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': ['BucketKey', 'Arn'] } }, BucketKeyEnabled: true }] },
    VersioningConfiguration: { Status: 'Enabled' },
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    LoggingConfiguration: { DestinationBucketName: { Ref: 'AccessLogBucket' }, LogFilePrefix: 'access/' },
    NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
    LifecycleConfiguration: {
      Rules: [
        { Id: 'expire-noncurrent-versions', Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: 7 } },
        { Id: 'abort-incomplete-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } },
        { Id: 'infrequent-access', Status: 'Enabled', Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 60 }] },
        { Id: 'expire-objects', Status: 'Enabled', ExpirationInDays: 400 },
      ],
    },
    ObjectLockEnabled: true,
    ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } },
  });
  const logs = resources(d).AccessLogBucket!;
  assert.deepEqual(logs.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault, { SSEAlgorithm: 'AES256' });
  assert.equal(logs.DeletionPolicy, 'Retain');
  const delivery = resources(d).AccessLogBucketPolicy!.Properties.PolicyDocument.Statement[0];
  assert.deepEqual(delivery, {
    Sid: 'AllowServerAccessLogDelivery',
    Effect: 'Allow',
    Principal: { Service: 'logging.s3.amazonaws.com' },
    Action: 's3:PutObject',
    Resource: sub('${AccessLogBucket.Arn}/access/*'),
    Condition: { ArnLike: { 'aws:SourceArn': sub('arn:${AWS::Partition}:s3:::${EnvironmentName}-uploads-${AWS::AccountId}-${AWS::Region}') }, StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
  });
});

test('an S3 store\'s policy: TLS only; every principal but the declaring services\' task roles is denied the objects, and all but readWrite ones the writes', () => {
  const policy = resources(e.child('data-uploads')).BucketPolicy!;
  assert.deepEqual(policy.Metadata['berth:clients'], ['web (read)', 'worker (readWrite)']);
  const [tls, reads, writes] = policy.Properties.PolicyDocument.Statement as [Doc, Doc, Doc];
  const bucket = [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/*']] }];
  assert.deepEqual(tls, { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: bucket, Condition: { Bool: { 'aws:SecureTransport': 'false' } } });
  const role = (service: string) => [sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/\${EnvironmentName}-${service}-task`), sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/*/\${EnvironmentName}-${service}-task`)];
  assert.deepEqual(reads, {
    Sid: 'OnlyDeclaringServicesRead',
    Effect: 'Deny',
    Principal: '*',
    Action: ['s3:GetObject*', 's3:ListBucket*', 's3:ListMultipartUploadParts'],
    Resource: bucket,
    Condition: { ArnNotLike: { 'aws:PrincipalArn': [...role('web'), ...role('worker')] } },
  });
  assert.deepEqual(writes.Condition, { ArnNotLike: { 'aws:PrincipalArn': role('worker') } });
  assert.ok(writes.Action.includes('s3:PutObject*') && writes.Action.includes('s3:DeleteObject*') && writes.Action.includes('s3:BypassGovernanceRetention'));
  // Its bucket configuration stays under IAM: the policy denies data actions only.
  assert.ok([...reads.Action, ...writes.Action].every((a: string) => /Object|ListBucket|MultipartUpload|BypassGovernance/.test(a)));
  // No declaring service: nobody's objects.
  const lonely = resources(estate(prod, [report], [uploads]).child('data-uploads')).BucketPolicy!.Properties.PolicyDocument.Statement as Doc[];
  assert.equal(lonely[1]!.Condition, undefined);
  assert.equal(lonely[2]!.Condition, undefined);
});

// --- the services' side ---------------------------------------------------------------------

test('a service that connects to a database admits its own tasks on the engine\'s port, from its own stack, and reaches it only there', () => {
  const s = e.child('service-web');
  const ingress = resources(s).OrdersDatabaseIngress!;
  assert.deepEqual(ingress, {
    Type: 'AWS::EC2::SecurityGroupIngress',
    Properties: { GroupId: { Ref: 'OrdersSecurityGroupId' }, IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, SourceSecurityGroupId: { Ref: 'SecurityGroup' }, Description: sub('From ${EnvironmentName} web tasks (uses orders)') },
  });
  // Its egress (prod has interface endpoints): the endpoints and S3, DynamoDB for the table it reads, and the database on its port.
  const egress = (name: string) => (resources(e.child(name)).SecurityGroup!.Properties.SecurityGroupEgress as Doc[]).map((r) => r.DestinationSecurityGroupId?.Ref ?? r.DestinationPrefixListId?.Ref ?? r.CidrIp);
  assert.deepEqual(egress('service-web'), ['EndpointSecurityGroupId', 'S3PrefixListId', 'DynamoDbPrefixListId', 'OrdersSecurityGroupId']);
  assert.deepEqual(resources(s).SecurityGroup!.Properties.SecurityGroupEgress[3], { IpProtocol: 'tcp', FromPort: 3306, ToPort: 3306, DestinationSecurityGroupId: { Ref: 'OrdersSecurityGroupId' }, Description: 'To the orders database' });
  assert.equal(s.Parameters.OrdersSecurityGroupId.Type, 'AWS::SSM::Parameter::Value<AWS::EC2::SecurityGroup::Id>');
  assert.equal(s.Parameters.OrdersSecurityGroupId.Default, '/berth/prod/stores/orders/security-group-id');
  // No other service touches the database's group.
  for (const other of ['service-worker', 'service-report']) assert.deepEqual(ofType(e.child(other), 'AWS::EC2::SecurityGroupIngress'), [], other);
});

test('with interface endpoints, a service that uses a table sends HTTPS to DynamoDB\'s prefix list (its gateway endpoint), and only such a service', () => {
  const rules = (name: string) => resources(e.child(name)).SecurityGroup!.Properties.SecurityGroupEgress as Doc[];
  for (const name of ['service-web', 'service-worker']) {
    assert.deepEqual(rules(name).filter((r) => r.DestinationPrefixListId?.Ref === 'DynamoDbPrefixListId'), [
      { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationPrefixListId: { Ref: 'DynamoDbPrefixListId' }, Description: 'HTTPS to DynamoDB through the gateway endpoint (the tables it uses)' },
    ], name);
    assert.deepEqual([e.child(name).Parameters.DynamoDbPrefixListId.Type, e.child(name).Parameters.DynamoDbPrefixListId.Default], ['AWS::SSM::Parameter::Value<String>', '/berth/prod/dynamodb-prefix-list-id'], name);
    assert.deepEqual(resources(e.root)[name === 'service-web' ? 'WebService' : 'WorkerService']!.Properties.Parameters.DynamoDbPrefixListId, sub('/berth/${EnvironmentName}/dynamodb-prefix-list-id'));
  }
  // report uses no table: no parameter, no rule; the network (told by the root) has the gateway endpoint and the entry.
  assert.equal(e.child('service-report').Parameters.DynamoDbPrefixListId, undefined);
  assert.ok(rules('service-report').every((r) => r.DestinationPrefixListId?.Ref !== 'DynamoDbPrefixListId'));
  assert.ok(resources(e.child('network')).DynamoDbGatewayEndpoint && resources(e.child('network')).DynamoDbPrefixListParameter);
  // An estate where no service uses a table: the network has neither.
  const noTables = estate(prod, [{ ...web, uses: [orders.connect] }, report], [orders]);
  assert.equal(resources(noTables.child('network')).DynamoDbGatewayEndpoint, undefined);
  assert.equal(resources(noTables.child('network')).DynamoDbPrefixListParameter, undefined);
  // Without interface endpoints the tasks send HTTPS anywhere through NAT: no prefix list to name.
  const open = estate({ ...prod, network: { ...prod.network, interfaceEndpoints: false } });
  assert.equal(open.child('service-worker').Parameters.DynamoDbPrefixListId, undefined);
  assert.deepEqual((resources(open.child('service-worker')).SecurityGroup!.Properties.SecurityGroupEgress as Doc[]).map((r) => r.CidrIp), ['0.0.0.0/0']);
});

test('connect: the host, reader host, port, database and secret ARN as variables, the credentials as secrets the execution role alone injects', () => {
  const s = e.child('service-web');
  const app = resources(s).TaskDefinition!.Properties.ContainerDefinitions[0];
  const env = Object.fromEntries((app.Environment as Doc[]).map((v) => [v.Name, v.Value]));
  assert.deepEqual(
    Object.fromEntries(Object.entries(env).filter(([k]) => k.startsWith('ORDERS_'))),
    { ORDERS_DB_HOST: { Ref: 'OrdersEndpoint' }, ORDERS_DB_NAME: 'shop', ORDERS_DB_PORT: '3306', ORDERS_DB_READER_HOST: { Ref: 'OrdersReaderEndpoint' }, ORDERS_DB_SECRET_ARN: { Ref: 'OrdersSecretArn' } },
  );
  assert.deepEqual(
    (app.Secrets as Doc[]).filter((x) => x.Name.startsWith('ORDERS_')),
    [
      { Name: 'ORDERS_DB_PASSWORD', ValueFrom: sub('${OrdersSecretArn}:password::') },
      { Name: 'ORDERS_DB_USERNAME', ValueFrom: sub('${OrdersSecretArn}:username::') },
    ],
  );
  const read = [
    { Sid: 'ReadDatabaseSecrets', Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: { Ref: 'OrdersSecretArn' } },
    { Sid: 'DecryptDatabaseSecrets', Effect: 'Allow', Action: 'kms:Decrypt', Resource: { Ref: 'OrdersSecretKeyArn' }, Condition: { StringEquals: { 'kms:ViaService': sub('secretsmanager.${AWS::Region}.amazonaws.com') } } },
  ];
  const execution = statements(resources(s).ExecutionRole!);
  assert.deepEqual(execution.slice(-2), read);
  // The task role may read the same secret again, after RDS rotates it.
  assert.deepEqual(statements(resources(s).TaskRole!).slice(0, 2), read);
});

test('read and readWrite grant exactly their item and object actions, on the stores named and their indexes, with the stores\' keys through their services only', () => {
  const web = resources(e.child('service-web'));
  const worker = resources(e.child('service-worker'));
  assert.deepEqual(sids(web.TaskRole!), ['ReadDatabaseSecrets', 'DecryptDatabaseSecrets', 'ReadTables', 'QueryIndexes', 'DecryptTables', 'ListBuckets', 'ReadObjects', 'DecryptObjects']);
  assert.deepEqual(sids(worker.TaskRole!), ['ConsumeQueue', 'DecryptMessages', 'ReadTables', 'WriteTables', 'QueryIndexes', 'DecryptTables', 'ListBuckets', 'ReadObjects', 'WriteObjects', 'DecryptObjects', 'EncryptObjects']);
  const by = (role: Doc, sid: string) => statements(role).find((x) => x.Sid === sid)!;
  const table = 'arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${EnvironmentName}-sessions';
  assert.deepEqual(by(web.TaskRole!, 'ReadTables'), { Sid: 'ReadTables', Effect: 'Allow', Action: ['dynamodb:BatchGetItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'], Resource: sub(table) });
  assert.deepEqual(by(worker.TaskRole!, 'WriteTables').Action, ['dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  assert.deepEqual(by(web.TaskRole!, 'QueryIndexes'), { Sid: 'QueryIndexes', Effect: 'Allow', Action: ['dynamodb:Query', 'dynamodb:Scan'], Resource: [sub(`${table}/index/by-user`), sub(`${table}/index/by-device`)] });
  assert.deepEqual(by(web.TaskRole!, 'DecryptTables'), { Sid: 'DecryptTables', Effect: 'Allow', Action: 'kms:Decrypt', Resource: { Ref: 'SessionsKeyArn' }, Condition: { StringEquals: { 'kms:ViaService': sub('dynamodb.${AWS::Region}.amazonaws.com') } } });
  const bucket = 'arn:${AWS::Partition}:s3:::${EnvironmentName}-uploads-${AWS::AccountId}-${AWS::Region}';
  assert.deepEqual([by(web.TaskRole!, 'ListBuckets').Resource, by(web.TaskRole!, 'ReadObjects').Action, by(web.TaskRole!, 'ReadObjects').Resource], [sub(bucket), ['s3:GetObject', 's3:GetObjectVersion'], sub(`${bucket}/*`)]);
  // readWrite deletes leave delete markers; no version is deleted for good.
  assert.deepEqual(by(worker.TaskRole!, 'WriteObjects').Action, ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload']);
  assert.deepEqual([by(worker.TaskRole!, 'EncryptObjects').Action, by(worker.TaskRole!, 'EncryptObjects').Condition], ['kms:GenerateDataKey', { StringEquals: { 'kms:ViaService': sub('s3.${AWS::Region}.amazonaws.com') } }]);
  // A bucket's policy names the roles, so they get their fixed names; a service without stores or queues keeps a generated one.
  assert.deepEqual([web.TaskRole!.Properties.RoleName, worker.TaskRole!.Properties.RoleName], [sub('${EnvironmentName}-web-task'), sub('${EnvironmentName}-worker-task')]);
  assert.equal(resources(e.child('service-report')).TaskRole!.Properties.RoleName, undefined);
});

test('the stores\' names reach each service as variables with predictable names, listed in its DataStores output', () => {
  const env = (name: string) => Object.fromEntries((resources(e.child(name)).TaskDefinition!.Properties.ContainerDefinitions[0].Environment as Doc[]).map((v) => [v.Name, v.Value]));
  assert.deepEqual(env('service-worker').SESSIONS_TABLE_NAME, sub('${EnvironmentName}-sessions'));
  assert.deepEqual(env('service-worker').UPLOADS_BUCKET_NAME, sub('${EnvironmentName}-uploads-${AWS::AccountId}-${AWS::Region}'));
  assert.equal(
    e.child('service-web').Outputs.DataStores.Value,
    'orders (connect): ORDERS_DB_HOST, ORDERS_DB_READER_HOST, ORDERS_DB_PORT, ORDERS_DB_NAME, ORDERS_DB_SECRET_ARN, ORDERS_DB_USERNAME (secret), ORDERS_DB_PASSWORD (secret); sessions (read): SESSIONS_TABLE_NAME; uploads (read): UPLOADS_BUCKET_NAME',
  );
  assert.equal(e.child('service-report').Outputs.DataStores.Value, 'none');
});

// --- per-environment overrides --------------------------------------------------------------

test('an environment overrides a store\'s capacity, class, readers, backups, deletion protection and Performance Insights', () => {
  const o = estate(with_({ orders: { instanceClass: 'db.r7g.xlarge', readers: 0, backupRetentionDays: 35, deletionProtection: false, performanceInsights: false }, sessions: { readCapacityUnits: 50, deletionProtection: false } }));
  const c = resources(o.child('data-orders'));
  assert.deepEqual([c.Cluster!.Properties.BackupRetentionPeriod, c.Cluster!.Properties.DeletionProtection], [35, false]);
  assert.deepEqual(ofType(o.child('data-orders'), 'AWS::RDS::DBInstance').map(([, r]) => [r.Properties.DBInstanceClass, r.Properties.EnablePerformanceInsights, r.Properties.PerformanceInsightsKMSKeyId]), [['db.r7g.xlarge', false, undefined]]);
  const t = resources(o.child('data-sessions')).Table!.Properties;
  assert.deepEqual([t.ProvisionedThroughput, t.DeletionProtectionEnabled], [{ ReadCapacityUnits: 50, WriteCapacityUnits: 2 }, false]);
  const serverless = { ...orders, capacity: { type: 'serverless', minAcu: 0.5, maxAcu: 4 } } as StoreDefinition;
  const s = estate(with_({ orders: { minAcu: 0, maxAcu: 64 } }), [{ ...web, uses: [orders.connect] }], [serverless]);
  assert.deepEqual(resources(s.child('data-orders')).Cluster!.Properties.ServerlessV2ScalingConfiguration, { MinCapacity: 0, MaxCapacity: 64 });
});

// --- what the build refuses -----------------------------------------------------------------

function refuses(build: () => unknown, where: RegExp, problem: RegExp): void {
  assert.throws(build, (err: unknown) => {
    assert.ok(err instanceof BerthError, String(err));
    assert.match(err.where, where);
    assert.match(err.problem, problem);
    assert.doesNotMatch(err.message, /\n/, 'one line');
    return true;
  });
}

test('fails when an Aurora store has no database subnets in two Availability Zones', () => {
  const one = { ...prod, network: { ...prod.network, subnets: { ...prod.network.subnets, database: ['10.20.32.0/20'] } } } as ResolvedSettings;
  refuses(() => resolveStore(one, orders), /prod\.json: network\.subnets\.database$/, /has 1 database subnet, but Aurora store `orders` \(test\/fixtures\/storage\/orders\.ts: \) needs database subnets in at least two Availability Zones/);
  // Tables and buckets live outside the VPC: no subnets needed.
  assert.equal(resolveStore(one, sessions).kind, 'dynamodb');
  // From an environment file, the settings already refuse a network of one database subnet (two
  // or three Availability Zones, a subnet in each tier for each): the store's check guards
  // settings made any other way, as above.
  const dir = mkdtempSync(join(tmpdir(), 'berth-stores-'));
  try {
    const file = join(dir, 'prod.json');
    const json = JSON.parse(readFileSync(join(ROOT, 'templates/environments/prod.json'), 'utf8'));
    const subnets = { public: ['10.20.0.0/24', '10.20.1.0/24'], application: ['10.20.16.0/24', '10.20.17.0/24'], database: ['10.20.32.0/24'] };
    writeFileSync(file, JSON.stringify({ ...json, network: { ...json.network, availabilityZones: 2, subnets } }));
    refuses(() => loadSettings(file), /prod\.json: network\.subnets\.database$/, /must NOT have fewer than 2 items/);
    writeFileSync(file, JSON.stringify({ ...json, network: { ...json.network, availabilityZones: 2, subnets: { ...subnets, database: [...subnets.database, '10.20.33.0/24'] } } }));
    assert.deepEqual(loadSettings(file).network.subnets.database, ['10.20.32.0/24', '10.20.33.0/24']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fails when a service uses a store the estate does not have, or names a store twice', () => {
  refuses(() => estate(prod, [webUses], [sessions, uploads]), /^test\/fixtures\/services\/web\.ts: uses\[0\]$/, /names store `orders`, which is not a store of this estate\. Add it to the estate's stores \(templates\/storage\/index\.ts\)/);
  refuses(() => estate(prod, [{ ...web, uses: [sessions.read, sessions.readWrite] }]), /web\.ts: uses\[1\]$/, /names store `sessions` a second time/);
});

test('fails when two stores share a name or a logical ID, or an environment overrides a store that does not exist', () => {
  refuses(() => checkStores(prod, [orders, { ...sessions, name: 'orders' } as StoreDefinition]), /sessions\.ts: name$/, /`orders` is also the name of the store in test\/fixtures\/storage\/orders\.ts/);
  refuses(() => checkStores(prod, [defineTable({ name: 'a-1', partitionKey: { name: 'k', type: 'S' } }), defineBucket({ name: 'a1' })]), /name$/, /`a1` and `a-1` .* make the same logical ID `A1Store`/);
  refuses(() => checkStores(with_({ order: { readers: 1 } }), STORES), /prod\.json: stores\.order$/, /overrides store `order`, which the estate does not define\. Stores: `orders`, `sessions`, `uploads`/);
});

test('fails when an override does not fit the store\'s kind or capacity', () => {
  refuses(() => resolveStore(with_({ uploads: { deletionProtection: false } }), uploads), /stores\.uploads\.deletionProtection$/, /store `uploads` .* is an S3 bucket\. It takes no overrides/);
  refuses(() => resolveStore(with_({ sessions: { readers: 2 } }), sessions), /stores\.sessions\.readers$/, /is a DynamoDB table\. Its overrides: `deletionProtection`, `readCapacityUnits`, `writeCapacityUnits`/);
  refuses(() => resolveStore(with_({ orders: { minAcu: 1 } }), orders), /stores\.orders\.minAcu$/, /runs on provisioned instances .* Override `instanceClass` instead/);
  const serverless = { ...orders, capacity: { type: 'serverless', minAcu: 0.5, maxAcu: 4 } } as StoreDefinition;
  refuses(() => resolveStore(with_({ orders: { instanceClass: 'db.r7g.large' } }), serverless), /stores\.orders\.instanceClass$/, /runs on Aurora Serverless v2/);
  refuses(() => resolveStore(with_({ orders: { minAcu: 8 } }), serverless), /stores\.orders\.minAcu$/, /\(8\) is above maxAcu \(4\)/);
  refuses(() => resolveStore(with_({ orders: { maxAcu: 4.25 } }), serverless), /stores\.orders\.maxAcu$/, /must be a multiple of 0\.5 from 1 to 256/);
  refuses(() => resolveStore(with_({ sessions: { writeCapacityUnits: 3 } }), { ...sessions, billing: { mode: 'payPerRequest' } } as StoreDefinition), /writeCapacityUnits$/, /billed per request/);
});

test('fails when a store definition asks what Aurora, DynamoDB or S3 cannot do', () => {
  const aurora = (props: object) => defineAurora({ name: 'db', engine: 'postgresql', capacity: { type: 'serverless', minAcu: 0.5, maxAcu: 2 }, ...props });
  refuses(() => resolveStore(prod, aurora({ capacity: { type: 'provisioned', instanceClass: 'db.m5.large' } })), /data-stores\.test\.ts: capacity\.instanceClass$/, /`db\.m5\.large` is not an Aurora instance class berth knows/);
  refuses(() => resolveStore(prod, aurora({ engineVersion: '16.1', capacity: { type: 'serverless', minAcu: 0, maxAcu: 2 } })), /capacity\.minAcu$/, /is 0 \(pause when idle\), which Aurora PostgreSQL 16\.1 does not support/);
  assert.equal((resolveStore(prod, aurora({ engineVersion: '16.3', capacity: { type: 'serverless', minAcu: 0, maxAcu: 2 } })) as ResolvedAurora).capacity.type, 'serverless');
  refuses(() => resolveStore(prod, aurora({ engineVersion: '8.0.mysql_aurora.3.10.1' })), /engineVersion$/, /is not an Aurora PostgreSQL version such as `17\.9`/);
  refuses(() => resolveStore(prod, aurora({ readers: 16 })), /readers$/, /the reader count must be a whole number from 0 to 15/);
  refuses(() => resolveStore(prod, aurora({ masterUsername: 'admin' })), /masterUsername$/, /not a reserved name/);
  refuses(() => resolveStore(prod, aurora({ name: 'Orders_DB' })), /name$/, /is not a valid store name/);
  refuses(() => resolveStore(prod, defineTable({ name: 't', partitionKey: { name: 'id', type: 'S' }, globalIndexes: [{ name: 'by-id', partitionKey: { name: 'id', type: 'N' } }] })), /globalIndexes\[0\]\.partitionKey\.type$/, /is `N`, but attribute `id` is `S` in partitionKey/);
  refuses(() => resolveStore(prod, defineBucket({ name: 'uploads', lifecycle: { expireAfterDays: 30 }, objectLock: { mode: 'GOVERNANCE', days: 90 } })), /lifecycle\.expireAfterDays$/, /shorter than the Object Lock retention/);
  refuses(() => resolveStore({ ...prod, name: 'production-eu-west' } as ResolvedSettings, defineBucket({ name: 'customer-uploads-2024' })), /name$/, /makes bucket names of up to 68 characters in environment `production-eu-west` .* S3 allows 63\. Shorten the store name to 16 characters or fewer/);
});

test('fails when a variable or secret of the service\'s own takes a name berth gives a store\'s value', () => {
  refuses(() => estate(prod, [{ ...webUses, container: { ...web.container, environment: { SESSIONS_TABLE_NAME: 'x' } } }]), /web\.ts: container\.environment\.SESSIONS_TABLE_NAME$/, /is set by berth to a value of store `sessions` \(`uses`\)/);
  refuses(() => estate(prod, [{ ...webUses, container: { ...web.container, secrets: { ORDERS_DB_PASSWORD: { generated: {} } } } }]), /web\.ts: container\.secrets\.ORDERS_DB_PASSWORD$/, /is set by berth to a value of store `orders`/);
});

// --- limits ---------------------------------------------------------------------------------

/** 20 stores of every kind, the shapes berth makes largest: Aurora with readers, tables with indexes. */
function twentyStores(): (AuroraStore | TableStore | BucketStore)[] {
  return Array.from({ length: 20 }, (_, i) => {
    const name = `store-number-${String(i).padStart(2, '0')}`;
    if (i % 3 === 0) return defineAurora({ name, engine: i % 2 ? 'mysql' : 'postgresql', capacity: { type: 'serverless', minAcu: 0.5, maxAcu: 16 }, readers: 2 });
    if (i % 3 === 1) return defineTable({ name, partitionKey: { name: 'pk', type: 'S' }, sortKey: { name: 'sk', type: 'S' }, globalIndexes: ['a', 'b', 'c'].map((x) => ({ name: `by-${x}`, partitionKey: { name: x, type: 'S' as const } })) });
    return defineBucket({ name, lifecycle: { expireAfterDays: 365, infrequentAccessAfterDays: 30 } });
  });
}

test('20 stores stay within CloudFormation\'s limits in every template, and each role\'s policies within IAM\'s', () => {
  const stores = twentyStores();
  // Every store used: web connects to each database and reads the rest, worker writes every table
  // and bucket, report reads a few.
  const services = [
    { ...web, uses: stores.map((s) => (s.kind === 'aurora' ? s.connect : s.read)).slice(0, 14) },
    { ...worker, uses: stores.flatMap((s) => (s.kind === 'aurora' ? [] : [s.readWrite])) },
    { ...report, uses: stores.flatMap((s) => (s.kind === 'aurora' ? [s.connect] : [])) },
  ] as ServiceDefinition[];
  const t = synthesize(root, { settings: prod, services, stores });
  const templates = flatten([t]);
  assert.equal(templates.filter((c) => c.name.startsWith('data-')).length, 20);
  // One stack operation (the root's create or delete) stays within CloudFormation's 2,500
  // resources across the tree, nested stacks counted.
  const tree = templates.reduce((n, c) => n + Object.keys(plain(c).Resources).length, 0);
  assert.ok(tree <= LIMITS.resourcesPerOperation, `the tree has ${tree} resources`);
  // The foundation (the stores without the services) too.
  const foundation = synthesizeFoundation(prod, services, stores);
  for (const c of [...templates, foundation]) {
    const doc = plain(c);
    // A description names the stores as far as they fit: CloudFormation takes 1,024 bytes.
    assert.ok(Buffer.byteLength(doc.Description ?? '') <= 1024, `${c.file}: description of ${Buffer.byteLength(doc.Description ?? '')} bytes`);
    const bytes = Buffer.byteLength(toYaml(c.toJSON()));
    assert.ok(Object.keys(doc.Resources).length <= LIMITS.resources, `${c.file}: resources`);
    assert.ok(Object.keys(doc.Parameters ?? {}).length <= LIMITS.parameters, `${c.file}: parameters`);
    assert.ok(Object.keys(doc.Outputs ?? {}).length <= LIMITS.outputs, `${c.file}: outputs`);
    assert.ok(bytes <= LIMITS.s3Bytes, `${c.file}: ${bytes} bytes`);
    for (const [id, role] of ofType(doc, 'AWS::IAM::Role')) {
      assert.ok(resolvedLength(role.Properties.Policies ?? []) <= ROLE_INLINE_POLICY_CHARACTERS, `${c.file} ${id}`);
    }
  }
  // The root nests 5 stacks (operations, network, load balancer, cluster, dashboard), 20 stores,
  // 3 services and the deploy guard; the largest store stack and service stack stay small.
  assert.equal(Object.keys(plain(t).Resources).length, 29);
  const largest = Math.max(...templates.filter((c) => c.name.startsWith('data-')).map((c) => Object.keys(plain(c).Resources).length));
  assert.ok(largest <= 30, `a store stack has ${largest} resources`);
});

test('fails when one service\'s stores would make its task role\'s policies larger than IAM allows, naming the service', () => {
  const stores = twentyStores();
  const greedy = { ...workerUses, uses: stores.map((s) => (s.kind === 'aurora' ? s.connect : s.readWrite)) } as ServiceDefinition;
  refuses(() => estate(prod, [greedy, report], stores), /^test\/fixtures\/services\/worker\.ts: uses$/, /gives the task role of `worker` inline policies of up to \d+ characters once resolved, and IAM allows 10240 per role; most of them come from the 20 stores it uses/);
});

// --- service groups -------------------------------------------------------------------------

test('services grouped for a large estate keep their stores: each group waits for the stores its members use, each member reads them from the registry', () => {
  // Enough queue workers (about 20 resources each) for the root to group them (templates/stacks/service-group.ts).
  const many = Array.from({ length: 120 }, (_, i) => ({ ...worker, name: `worker-${String(i).padStart(3, '0')}`, uses: i % 40 === 0 ? [sessions.read] : i % 40 === 1 ? [orders.connect] : [] }) as ServiceDefinition);
  const t = synthesize(root, { settings: prod, services: many, stores: STORES });
  const r = resources(plain(t));
  const groups = Object.entries(r).filter(([id]) => /^Services\d\d$/.test(id));
  assert.ok(groups.length > 1, 'the services are grouped');
  const groupTemplate = (id: string) => plain(t.children.find((c) => c.name === r[id]!.Properties.TemplateURL.replace(/\.yaml$/, ''))!);
  const usersOf = new Map<string, string[]>();
  for (const [id] of groups) {
    const members = Object.values(resources(groupTemplate(id))).filter((x) => x.Type === 'AWS::CloudFormation::Stack');
    const uses = members.flatMap((m) => Object.keys(m.Properties.Parameters).filter((k) => /^(Orders|Sessions)/.test(k)).map((k) => (k.startsWith('Orders') ? 'OrdersStore' : 'SessionsStore')));
    // The group waits for the cluster and for exactly the stores its members use.
    assert.deepEqual([r[id]!.DependsOn].flat().sort(), ['Cluster', ...new Set(uses)].sort(), id);
    for (const m of members) {
      // Inside the group a member waits for no store (the group does), and reads the registry under the group's EnvironmentName.
      assert.equal(m.DependsOn, undefined);
      for (const [k, v] of Object.entries(m.Properties.Parameters).filter(([k]) => /^(Orders|Sessions)/.test(k))) {
        assert.deepEqual(v, sub(`/berth/\${EnvironmentName}/stores/${k.startsWith('Orders') ? 'orders' : 'sessions'}/${k.replace(/^(Orders|Sessions)/, '').replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase())}`));
        usersOf.set(k, [...(usersOf.get(k) ?? []), id]);
      }
    }
  }
  // Three services read sessions and three connect to orders (its five entries each).
  assert.equal(usersOf.get('SessionsKeyArn')?.length, 3);
  assert.equal(usersOf.get('OrdersSecurityGroupId')?.length, 3);
});
