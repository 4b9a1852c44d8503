import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { toPlain } from '../src/emit/plain.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { network } from '../templates/stacks/network.ts';
import { loadSettings, type ResolvedSettings } from '../templates/settings/settings.ts';
import { ROOT } from './_helpers.ts';

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
