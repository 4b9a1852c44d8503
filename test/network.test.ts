import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { toPlain } from '../src/emit/plain.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { network } from '../templates/stacks/network.ts';
import { loadSettings, type ResolvedSettings } from '../templates/settings/settings.ts';
import { ROOT } from './_helpers.ts';
import { spawnSync } from 'node:child_process';
import { endpointServices } from '../templates/stacks/endpoints.ts';
import { CUSTOM_RESOURCE_TIMEOUT_SECONDS, VPC_DEFAULTS_HANDLER } from '../templates/stacks/shared/vpc-defaults.ts';

const dev = loadSettings(join(ROOT, 'test/fixtures/settings/dev.json'));
const prod = loadSettings(join(ROOT, 'test/fixtures/settings/prod.json'));
type Doc = { Parameters: Record<string, any>; Resources: Record<string, any>; Outputs: Record<string, any> };
const build = (s: ResolvedSettings) => toPlain(synthesize(network, s).toJSON()) as Doc;
const ofType = (d: Doc, type: string) => Object.entries(d.Resources).filter(([, r]) => r.Type === type);

test('prod: three AZs, a public, application and database subnet in each, no public IPs', () => {
  const d = build(prod);
  const subnets = ofType(d, 'AWS::EC2::Subnet');
  assert.deepEqual(subnets.map(([id]) => id), ['PublicSubnetA', 'PublicSubnetB', 'PublicSubnetC', 'ApplicationSubnetA', 'ApplicationSubnetB', 'ApplicationSubnetC', 'DatabaseSubnetA', 'DatabaseSubnetB', 'DatabaseSubnetC']);
  for (const [, s] of subnets) assert.equal(s.Properties.MapPublicIpOnLaunch, false);
  assert.deepEqual(d.Resources.ApplicationSubnetB.Properties.CidrBlock, { 'Fn::Select': [1, { Ref: 'ApplicationSubnetCidrs' }] });
  assert.deepEqual(d.Resources.ApplicationSubnetB.Properties.AvailabilityZone, { 'Fn::Select': [1, { 'Fn::GetAZs': '' }] });
  assert.equal(d.Parameters.ApplicationSubnetCidrs.Default, '10.20.64.0/20,10.20.80.0/20,10.20.96.0/20');
  assert.equal(d.Parameters.VpcCidr.Default, '10.20.0.0/16');
});

test('prod: one NAT gateway per AZ, each application route table to its own AZ\'s NAT', () => {
  const d = build(prod);
  assert.equal(ofType(d, 'AWS::EC2::NatGateway').length, 3);
  for (const z of ['A', 'B', 'C']) {
    assert.deepEqual(d.Resources[`ApplicationDefaultRoute${z}`].Properties, {
      RouteTableId: { Ref: `ApplicationRouteTable${z}` },
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: { Ref: `NatGateway${z}` },
    });
    assert.deepEqual(d.Resources[`NatGateway${z}`].Properties.SubnetId, { Ref: `PublicSubnet${z}` });
  }
});

test('dev: two AZs and a single NAT gateway shared by both application route tables', () => {
  const d = build(dev);
  assert.equal(ofType(d, 'AWS::EC2::Subnet').length, 6);
  assert.deepEqual(ofType(d, 'AWS::EC2::NatGateway').map(([id]) => id), ['NatGatewayA']);
  assert.deepEqual(d.Resources.ApplicationDefaultRouteB.Properties.NatGatewayId, { Ref: 'NatGatewayA' });
});

test('no NAT: the application tier has no default route', () => {
  const d = build({ ...dev, network: { ...dev.network, natGateways: 'none' } });
  assert.equal(ofType(d, 'AWS::EC2::NatGateway').length, 0);
  assert.equal(ofType(d, 'AWS::EC2::EIP').length, 0);
  assert.equal(d.Resources.ApplicationDefaultRouteA, undefined);
});

test('the public route goes to the internet gateway after it is attached; the database tier has no route out', () => {
  const d = build(prod);
  assert.deepEqual(d.Resources.PublicDefaultRoute, {
    Type: 'AWS::EC2::Route',
    DependsOn: 'InternetGatewayAttachment',
    Properties: { RouteTableId: { Ref: 'PublicRouteTable' }, DestinationCidrBlock: '0.0.0.0/0', GatewayId: { Ref: 'InternetGateway' } },
  });
  const routes = ofType(d, 'AWS::EC2::Route').map(([, r]) => r.Properties.RouteTableId.Ref);
  assert.ok(!routes.includes('DatabaseRouteTable'));
  const dbAssoc = ofType(d, 'AWS::EC2::SubnetRouteTableAssociation').filter(([, a]) => a.Properties.RouteTableId.Ref === 'DatabaseRouteTable');
  assert.equal(dbAssoc.length, 3);
});

test('VPC flow logs capture all traffic into a retained log group, through a role scoped to this account', () => {
  const d = build(prod);
  assert.deepEqual(d.Resources.FlowLog.Properties.TrafficType, 'ALL');
  assert.deepEqual(d.Resources.FlowLog.Properties.ResourceId, { Ref: 'Vpc' });
  // A fixed name (/berth/<env>/vpc-flow-logs): kept on deletion, but not by a create that rolls back, or the retry would fail.
  assert.equal(d.Resources.FlowLogGroup.DeletionPolicy, 'RetainExceptOnCreate');
  assert.equal(d.Resources.FlowLogGroup.UpdateReplacePolicy, 'Retain');
  // The environment's retention as a literal (a parameter would hide it from the scanners).
  assert.equal(d.Resources.FlowLogGroup.Properties.RetentionInDays, 365);
  assert.equal(build(dev).Resources.FlowLogGroup.Properties.RetentionInDays, dev.network.flowLogRetentionDays);
  assert.equal(d.Parameters.FlowLogRetentionDays, undefined);
  // Encrypted with its own rotating key, which CloudWatch Logs may use for this log group only.
  assert.deepEqual(d.Resources.FlowLogGroup.Properties.KmsKeyId, { 'Fn::GetAtt': ['FlowLogKey', 'Arn'] });
  assert.deepEqual(d.Resources.FlowLogGroup.Properties.LogGroupName, { 'Fn::Sub': '/berth/${EnvironmentName}/vpc-flow-logs' });
  const key = d.Resources.FlowLogKey;
  assert.deepEqual([key.Type, key.DeletionPolicy, key.UpdateReplacePolicy, key.Properties.EnableKeyRotation], ['AWS::KMS::Key', 'Retain', 'Retain', true]);
  const logsUse = key.Properties.KeyPolicy.Statement.find((st: { Sid: string }) => st.Sid === 'CloudWatchLogsUse');
  assert.deepEqual(logsUse.Principal, { Service: { 'Fn::Sub': 'logs.${AWS::Region}.amazonaws.com' } });
  assert.deepEqual(logsUse.Condition, {
    ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': { 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/berth/${EnvironmentName}/vpc-flow-logs' } },
  });
  const trust = d.Resources.FlowLogRole.Properties.AssumeRolePolicyDocument.Statement[0];
  assert.deepEqual(trust.Condition, { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
});

test('S3 gateway endpoint on the application route tables; DB subnet group over the database subnets', () => {
  const d = build(dev);
  assert.deepEqual(d.Resources.S3GatewayEndpoint.Properties.RouteTableIds, [{ Ref: 'ApplicationRouteTableA' }, { Ref: 'ApplicationRouteTableB' }]);
  assert.deepEqual(d.Resources.S3GatewayEndpoint.Properties.ServiceName, { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.s3' });
  assert.deepEqual(d.Resources.DbSubnetGroup.Properties.SubnetIds, [{ Ref: 'DatabaseSubnetA' }, { Ref: 'DatabaseSubnetB' }]);
});

test('outputs: the VPC, its CIDR and each tier\'s subnets, not exported (a nested stack\'s name is generated)', () => {
  const d = build(dev);
  assert.deepEqual(Object.keys(d.Outputs), ['VpcId', 'VpcCidr', 'PublicSubnetIds', 'ApplicationSubnetIds', 'DatabaseSubnetIds', 'ApplicationSubnetCidrs', 'DbSubnetGroupName']);
  assert.deepEqual(d.Outputs.ApplicationSubnetIds.Value, { 'Fn::Join': [',', [{ Ref: 'ApplicationSubnetA' }, { Ref: 'ApplicationSubnetB' }]] });
  for (const o of Object.values(d.Outputs)) assert.equal((o as { Export?: unknown }).Export, undefined);
});

test('prod has IPv6 in the public tier only: an Amazon /56, a /64 per public subnet, a ::/0 route to the internet gateway', () => {
  const d = build(prod);
  assert.deepEqual(d.Resources.Ipv6CidrBlock, { Type: 'AWS::EC2::VPCCidrBlock', Properties: { VpcId: { Ref: 'Vpc' }, AmazonProvidedIpv6CidrBlock: true } });
  for (const [i, z] of ['A', 'B', 'C'].entries()) {
    const sn = d.Resources[`PublicSubnet${z}`];
    assert.equal(sn.DependsOn, 'Ipv6CidrBlock');
    assert.deepEqual(sn.Properties.Ipv6CidrBlock, { 'Fn::Select': [i, { 'Fn::Cidr': [{ 'Fn::Select': [0, { 'Fn::GetAtt': ['Vpc', 'Ipv6CidrBlocks'] }] }, 3, 64] }] });
    assert.equal(sn.Properties.AssignIpv6AddressOnCreation, false);
    assert.equal(d.Resources[`ApplicationSubnet${z}`].Properties.Ipv6CidrBlock, undefined);
    assert.equal(d.Resources[`DatabaseSubnet${z}`].Properties.Ipv6CidrBlock, undefined);
  }
  assert.deepEqual(d.Resources.PublicDefaultRouteIpv6, {
    Type: 'AWS::EC2::Route',
    DependsOn: 'InternetGatewayAttachment',
    Properties: { RouteTableId: { Ref: 'PublicRouteTable' }, DestinationIpv6CidrBlock: '::/0', GatewayId: { Ref: 'InternetGateway' } },
  });
});

test('dev has no IPv6 at all', () => {
  const d = build(dev);
  assert.equal(ofType(d, 'AWS::EC2::VPCCidrBlock').length, 0);
  assert.equal(d.Resources.PublicDefaultRouteIpv6, undefined);
  for (const [, sn] of ofType(d, 'AWS::EC2::Subnet')) assert.equal(sn.Properties.Ipv6CidrBlock, undefined);
});

// --- defense in depth: the default security group, the endpoints (docs/security.md) ----------------

test('the default security group is closed by a custom resource on the VPC\'s own default group; the function may revoke rules of that group only', () => {
  for (const s of [dev, prod]) {
    const d = build(s);
    assert.deepEqual(d.Resources.ClosedDefaultSecurityGroup.Type, 'Custom::ClosedDefaultSecurityGroup');
    assert.deepEqual(d.Resources.ClosedDefaultSecurityGroup.Properties, {
      ServiceToken: { 'Fn::GetAtt': ['VpcDefaultsFunction', 'Arn'] },
      ServiceTimeout: CUSTOM_RESOURCE_TIMEOUT_SECONDS,
      GroupId: { 'Fn::GetAtt': ['Vpc', 'DefaultSecurityGroup'] },
    });
    const fn = d.Resources.VpcDefaultsFunction.Properties;
    assert.equal(fn.Runtime, 'python3.13');
    assert.equal(fn.Code.ZipFile, VPC_DEFAULTS_HANDLER);
    assert.deepEqual(fn.LoggingConfig, { LogGroup: { Ref: 'VpcDefaultsLogGroup' }, LogFormat: 'Text' });
    assert.equal(d.Resources.VpcDefaultsLogGroup.DeletionPolicy, 'RetainExceptOnCreate');
    const statements = d.Resources.VpcDefaultsRole.Properties.Policies[0].PolicyDocument.Statement;
    assert.deepEqual(statements[1], {
      Effect: 'Allow',
      Action: ['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'],
      Resource: { 'Fn::Sub': 'arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:security-group/${Vpc.DefaultSecurityGroup}' },
    });
    assert.deepEqual(d.Resources.VpcDefaultsRole.Properties.AssumeRolePolicyDocument.Statement[0].Condition, { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  }
  // Associating the IPv6 block adds an outbound ::/0 rule to the default group: close it after that.
  assert.equal(build(prod).Resources.ClosedDefaultSecurityGroup.DependsOn, 'Ipv6CidrBlock');
  assert.equal(build(dev).Resources.ClosedDefaultSecurityGroup.DependsOn, undefined);
});

test('prod: interface endpoints with private DNS in the application subnets, behind a group that admits HTTPS from the application tier only; registry entries for the other stacks', () => {
  const d = build(prod);
  const endpoints = ofType(d, 'AWS::EC2::VPCEndpoint').filter(([, r]) => r.Properties.VpcEndpointType === 'Interface');
  assert.deepEqual(endpoints.map(([id]) => id), [
    'EcrApiEndpoint', 'EcrDkrEndpoint', 'LogsEndpoint', 'SecretsmanagerEndpoint', 'SsmEndpoint', 'StsEndpoint',
    'EcsEndpoint', 'EcsAgentEndpoint', 'EcsTelemetryEndpoint', 'Ec2messagesEndpoint', 'SsmmessagesEndpoint', 'SqsEndpoint',
  ]);
  for (const [id, r] of endpoints) {
    assert.equal(r.Properties.PrivateDnsEnabled, true, id);
    assert.deepEqual(r.Properties.SubnetIds, [{ Ref: 'ApplicationSubnetA' }, { Ref: 'ApplicationSubnetB' }, { Ref: 'ApplicationSubnetC' }]);
    assert.deepEqual(r.Properties.SecurityGroupIds, [{ 'Fn::GetAtt': ['EndpointSecurityGroup', 'GroupId'] }]);
  }
  assert.deepEqual(d.Resources.EcrDkrEndpoint.Properties.ServiceName, { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.ecr.dkr' });
  const group = d.Resources.EndpointSecurityGroup.Properties;
  assert.deepEqual(group.SecurityGroupIngress, [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: { 'Fn::GetAtt': ['ApplicationSecurityGroup', 'GroupId'] }, Description: 'HTTPS from the application tier' }]);
  const nothing = [{ IpProtocol: 'icmp', FromPort: 252, ToPort: 86, CidrIp: '255.255.255.255/32', Description: 'No traffic (stands in for no egress rule at all)' }];
  assert.deepEqual(group.SecurityGroupEgress, nothing);
  assert.deepEqual(d.Resources.ApplicationSecurityGroup.Properties.SecurityGroupEgress, nothing);
  assert.equal(d.Resources.ApplicationSecurityGroup.Properties.SecurityGroupIngress, undefined);
  assert.deepEqual(d.Resources.S3PrefixList.Properties.Region, { Ref: 'AWS::Region' });
  assert.deepEqual(d.Resources.S3PrefixListParameter.Properties, {
    Name: { 'Fn::Sub': '/berth/${EnvironmentName}/s3-prefix-list-id' },
    Type: 'String',
    Value: { 'Fn::GetAtt': ['S3PrefixList', 'PrefixListId'] },
    Description: "The Region's S3 prefix list: the application tier sends HTTPS to it (the gateway endpoint).",
  });
  assert.ok(d.Resources.ApplicationSecurityGroupParameter && d.Resources.EndpointSecurityGroupParameter);
});

test('the endpoints follow the estate: the ECS agent\'s and Session Manager\'s only with EC2 capacity, ssmmessages for ECS Exec, SQS only with queues; none at all where the environment turns them off', () => {
  const fargate = { ...prod, cluster: { ...prod.cluster, capacity: { type: 'fargate' as const } } };
  assert.deepEqual(endpointServices(fargate, { queues: false, exec: false }), ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'ssm', 'sts']);
  assert.deepEqual(endpointServices(fargate, { queues: true, exec: true }), ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'ssm', 'sts', 'ssmmessages', 'sqs']);
  const d = toPlain(synthesize(network, { ...fargate, endpointNeeds: { queues: false, exec: false } }).toJSON()) as Doc;
  assert.equal(ofType(d, 'AWS::EC2::VPCEndpoint').length, 7); // six interface endpoints and the S3 gateway
  const off = toPlain(synthesize(network, { ...dev, endpointNeeds: { queues: true, exec: true } }).toJSON()) as Doc;
  assert.deepEqual(ofType(off, 'AWS::EC2::VPCEndpoint').map(([id]) => id), ['S3GatewayEndpoint']);
  assert.equal(off.Resources.S3PrefixList, undefined);
  assert.equal(off.Resources.EndpointSecurityGroup, undefined);
});

test('a service that uses a DynamoDB table gets DynamoDB\'s gateway endpoint on the application route tables, and with interface endpoints its prefix list in the registry', () => {
  const fargate = { ...prod, cluster: { ...prod.cluster, capacity: { type: 'fargate' as const } } };
  const withTables = toPlain(synthesize(network, { ...fargate, endpointNeeds: { queues: false, exec: false, tables: true } }).toJSON()) as Doc;
  assert.deepEqual(withTables.Resources.DynamoDbGatewayEndpoint.Properties, {
    VpcId: { Ref: 'Vpc' },
    ServiceName: { 'Fn::Sub': 'com.amazonaws.${AWS::Region}.dynamodb' },
    VpcEndpointType: 'Gateway',
    RouteTableIds: withTables.Resources.S3GatewayEndpoint.Properties.RouteTableIds,
  });
  assert.deepEqual(withTables.Resources.S3GatewayEndpoint.Properties.RouteTableIds.map((r: { Ref: string }) => r.Ref), ['ApplicationRouteTableA', 'ApplicationRouteTableB', 'ApplicationRouteTableC']);
  assert.equal(withTables.Resources.DynamoDbPrefixList.Type, 'Custom::DynamoDbPrefixList');
  assert.deepEqual(withTables.Resources.DynamoDbPrefixListParameter.Properties.Name, { 'Fn::Sub': '/berth/${EnvironmentName}/dynamodb-prefix-list-id' });
  assert.deepEqual(withTables.Resources.DynamoDbPrefixListParameter.Properties.Value, { 'Fn::GetAtt': ['DynamoDbPrefixList', 'PrefixListId'] });
  // No table user: neither. A network built alone provides for any service, tables included.
  const without = toPlain(synthesize(network, { ...fargate, endpointNeeds: { queues: false, exec: false } }).toJSON()) as Doc;
  assert.equal(without.Resources.DynamoDbGatewayEndpoint, undefined);
  assert.equal(without.Resources.DynamoDbPrefixList, undefined);
  assert.ok(build(prod).Resources.DynamoDbPrefixListParameter);
  // Without interface endpoints the tasks reach DynamoDB through NAT's rule: the gateway spares the NAT traffic, no prefix list is looked up.
  const off = build(dev);
  assert.deepEqual(ofType(off, 'AWS::EC2::VPCEndpoint').map(([id]) => id), ['S3GatewayEndpoint', 'DynamoDbGatewayEndpoint']);
  assert.equal(off.Resources.DynamoDbPrefixList, undefined);
});

test('the function closes a VPC\'s default group, refuses any other group, finds the Region\'s S3 and DynamoDB prefix lists and ignores deletes (its real code, against moto)', () => {
  const script = String.raw`
import http.server, json, os, sys, threading
os.environ.update(AWS_ACCESS_KEY_ID='testing', AWS_SECRET_ACCESS_KEY='testing', AWS_DEFAULT_REGION='eu-west-1')
for k in ('AWS_ENDPOINT_URL', 'AWS_PROFILE'): os.environ.pop(k, None)
from moto import mock_aws
answers = []
class Answer(http.server.BaseHTTPRequestHandler):
    def do_PUT(self):
        answers.append(json.loads(self.rfile.read(int(self.headers['Content-Length']))))
        self.send_response(200); self.end_headers()
    def log_message(self, *args): pass
server = http.server.HTTPServer(('127.0.0.1', 0), Answer)
threading.Thread(target=server.serve_forever, daemon=True).start()
event = {'StackId': 'stack', 'RequestId': 'request', 'ResponseURL': f'http://127.0.0.1:{server.server_port}/answer'}
with mock_aws():
    import boto3
    ec2 = boto3.client('ec2')
    vpc = ec2.create_vpc(CidrBlock='10.0.0.0/16')['Vpc']['VpcId']
    group = lambda name: ec2.describe_security_groups(Filters=[{'Name': 'vpc-id', 'Values': [vpc]}, {'Name': 'group-name', 'Values': [name]}])['SecurityGroups'][0]
    # EC2's default rules (moto gives the group its egress rule), plus one someone added by hand.
    gid = group('default')['GroupId']
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[{'IpProtocol': '-1', 'UserIdGroupPairs': [{'GroupId': gid}]}, {'IpProtocol': 'tcp', 'FromPort': 22, 'ToPort': 22, 'IpRanges': [{'CidrIp': '0.0.0.0/0'}]}])
    default = group('default')
    other = ec2.create_security_group(GroupName='other', Description='other', VpcId=vpc)['GroupId']
    code = {}
    exec(compile(sys.stdin.read(), 'index.py', 'exec'), code)
    call = lambda **e: code['handler']({**event, **e}, None)
    call(RequestType='Create', ResourceType='Custom::ClosedDefaultSecurityGroup', LogicalResourceId='Closed', ResourceProperties={'GroupId': default['GroupId']})
    call(RequestType='Create', ResourceType='Custom::ClosedDefaultSecurityGroup', LogicalResourceId='Wrong', ResourceProperties={'GroupId': other})
    call(RequestType='Create', ResourceType='Custom::S3PrefixList', LogicalResourceId='PrefixList', ResourceProperties={'Region': 'eu-west-1'})
    call(RequestType='Create', ResourceType='Custom::DynamoDbPrefixList', LogicalResourceId='DynamoDbPrefixList', ResourceProperties={'Region': 'eu-west-1'})
    call(RequestType='Delete', ResourceType='Custom::ClosedDefaultSecurityGroup', LogicalResourceId='Closed', PhysicalResourceId=default['GroupId'], ResourceProperties={'GroupId': default['GroupId']})
    expected = ec2.describe_managed_prefix_lists(Filters=[{'Name': 'prefix-list-name', 'Values': ['com.amazonaws.eu-west-1.s3']}])['PrefixLists'][0]['PrefixListId']
    dynamodb = ec2.describe_managed_prefix_lists(Filters=[{'Name': 'prefix-list-name', 'Values': ['com.amazonaws.eu-west-1.dynamodb']}])['PrefixLists'][0]['PrefixListId']
    after = group('default')
    print(json.dumps({'before': [default['IpPermissions'], default['IpPermissionsEgress']], 'after': [after['IpPermissions'], after['IpPermissionsEgress']], 'other': [group('other')['IpPermissionsEgress']], 'expected': expected, 'dynamodb': dynamodb, 'answers': answers}))
`;
  const r = spawnSync(join(ROOT, '.venv/bin/python'), ['-c', script], { input: VPC_DEFAULTS_HANDLER, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  assert.ok(out.before[0].length === 2 && out.before[1].length > 0, JSON.stringify(out.before));
  assert.deepEqual(out.after, [[], []]);
  assert.equal(out.other[0].length, 1, 'another group keeps its rules');
  const [closed, wrong, prefix, tablePrefix, deleted] = out.answers;
  assert.deepEqual([closed.Status, closed.LogicalResourceId, closed.StackId, closed.RequestId], ['SUCCESS', 'Closed', 'stack', 'request']);
  assert.match(closed.PhysicalResourceId, /^sg-/);
  assert.equal(wrong.Status, 'FAILED');
  assert.match(wrong.Reason, /^ValueError: sg-\w+ is other, not a VPC's default security group$/);
  assert.deepEqual([prefix.Status, prefix.Data], ['SUCCESS', { PrefixListId: out.expected }]);
  assert.match(out.expected, /^pl-/);
  assert.deepEqual([tablePrefix.Status, tablePrefix.Data], ['SUCCESS', { PrefixListId: out.dynamodb }]);
  assert.notEqual(out.dynamodb, out.expected);
  assert.deepEqual([deleted.Status, deleted.PhysicalResourceId], ['SUCCESS', closed.PhysicalResourceId]);
});
