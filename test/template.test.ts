/**
 * The DSL's run-time behaviour: what each addition to a template emits, the checks made when it
 * is made, and where their messages point. What the compiler rejects is in compile-fail.test.ts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import {
  And,
  AWS,
  Base64,
  BerthError,
  Cidr,
  Contains,
  contract,
  defineStack,
  Equals,
  GetAZs,
  If,
  ImportValue,
  Join,
  Length,
  nest,
  Not,
  Or,
  output,
  parameter,
  Select,
  Split,
  Sub,
  sub,
  synthesize,
  Template,
  ToJsonString,
  type OutputsOf,
  type Value,
} from '../src/dsl/index.ts';
import { Condition } from '../src/dsl/intrinsic.ts';
import { checkBodySize } from '../src/dsl/limits.ts';
import { toPlain } from '../src/emit/plain.ts';
import { customerKey } from '../templates/stacks/shared/kms.ts';

const make = () => new Template({ name: 'demo', description: 'demo' });
const HERE = 'test/template.test.ts';

function throwsBerth(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BerthError, String(e));
    assert.match(e.message, pattern);
    return true;
  });
}

const SOURCE = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
/** The line (1-based) of `file` that holds `marker`, for asserting where messages point. */
function lineOf(marker: string, lines: readonly string[] = SOURCE): number {
  const i = lines.findIndex((l) => l.includes(marker) && !l.includes('lineOf('));
  assert.ok(i >= 0, marker);
  return i + 1;
}

test('Ref and GetAtt come from handles and name the logical ID', () => {
  const t = make();
  const vpc = t.resource('Vpc', 'AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
  const sn = t.resource('Subnet', 'AWS::EC2::Subnet', { VpcId: vpc.ref, CidrBlock: vpc.getAtt('CidrBlock') });
  const doc = toPlain(t.toJSON()) as { Resources: Record<string, { Properties: unknown }> };
  assert.deepEqual(doc.Resources.Subnet!.Properties, { VpcId: { Ref: 'Vpc' }, CidrBlock: { 'Fn::GetAtt': ['Vpc', 'CidrBlock'] } });
  assert.equal(sn.logicalId, 'Subnet');
});

test('sub`` turns handles into placeholders and other intrinsics into variables', () => {
  const t = make();
  const bucket = t.resource('Bucket', 'AWS::S3::Bucket', {});
  assert.deepEqual(toPlain(sub`arn:${AWS.Partition}:s3:::${bucket.ref}/*`), { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/*' });
  assert.deepEqual(toPlain(sub`${bucket.getAtt('Arn')}`), { 'Fn::Sub': '${Bucket.Arn}' });
  assert.deepEqual(toPlain(sub`x-${Select(0, GetAZs())}`), {
    'Fn::Sub': ['x-${Var1}', { Var1: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] } }],
  });
  assert.deepEqual(toPlain(sub`literal \${Name} stays`), { 'Fn::Sub': 'literal ${!Name} stays' });
  // A nested sub without variables is inlined, escapes kept; one with variables stays a variable.
  assert.deepEqual(toPlain(sub`${sub`/logs/${bucket.ref}/\${x}`}:*`), { 'Fn::Sub': '/logs/${Bucket}/${!x}:*' });
  assert.deepEqual(toPlain(sub`a-${sub`x-${Select(0, GetAZs())}`}`), {
    'Fn::Sub': ['a-${Var1}', { Var1: { 'Fn::Sub': ['x-${Var1}', { Var1: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] } }] } }],
  });
});

test('every intrinsic function has its long form', () => {
  const t = make();
  const p = t.parameter('Env', { type: 'String', description: 'env', default: 'dev' });
  const list = t.parameter('Subnets', { type: 'List<AWS::EC2::Subnet::Id>', description: 'subnets' });
  const c = t.condition('IsProd', Equals(p.ref, 'prod'));
  assert.deepEqual(toPlain(Join(',', ['a', p.ref])), { 'Fn::Join': [',', ['a', { Ref: 'Env' }]] });
  assert.deepEqual(toPlain(Join('', list.ref)), { 'Fn::Join': ['', { Ref: 'Subnets' }] });
  assert.deepEqual(toPlain(Split(',', 'a,b')), { 'Fn::Split': [',', 'a,b'] });
  assert.deepEqual(toPlain(Cidr('10.0.0.0/16', 4, 8)), { 'Fn::Cidr': ['10.0.0.0/16', 4, 8] });
  assert.deepEqual(toPlain(If<Value<string>>(c, 'a', AWS.NoValue)), { 'Fn::If': ['IsProd', 'a', { Ref: 'AWS::NoValue' }] });
  assert.deepEqual(toPlain(And(c, Not(c))), { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Not': [{ Condition: 'IsProd' }] }] });
  assert.deepEqual(toPlain(Or(c, Equals(1, 2))), { 'Fn::Or': [{ Condition: 'IsProd' }, { 'Fn::Equals': [1, 2] }] });
  assert.deepEqual(toPlain(ImportValue('x')), { 'Fn::ImportValue': 'x' });
  assert.deepEqual(toPlain(Base64(Sub('#!/bin/sh\n'))), { 'Fn::Base64': { 'Fn::Sub': '#!/bin/sh\n' } });
  assert.deepEqual(toPlain(Sub('${AWS::Region}-${Name}', { Name: p.ref })), { 'Fn::Sub': ['${AWS::Region}-${Name}', { Name: { Ref: 'Env' } }] });
  assert.deepEqual(toPlain(Length(['a'])), { 'Fn::Length': ['a'] });
  assert.deepEqual(toPlain(ToJsonString({ a: 1 })), { 'Fn::ToJsonString': { a: 1 } });
  assert.deepEqual(toPlain(Contains(['a'], p.ref)), { 'Fn::Contains': [['a'], { Ref: 'Env' }] });
  const m = t.mapping('Sizes', { dev: { Cpu: 256 }, prod: { Cpu: 1024 } });
  assert.deepEqual(toPlain(m.find('prod', 'Cpu')), { 'Fn::FindInMap': ['Sizes', 'prod', 'Cpu'] });
  assert.ok(c instanceof Condition);
});

test('If fills the property it is checked against, NoValue included', () => {
  const t = make();
  const key = t.parameter('KeyName', { type: 'String', description: 'key', default: '' });
  const hasKey = t.condition('HasKey', Not(Equals(key.ref, '')));
  t.resource('Topic', 'AWS::SNS::Topic', {
    DisplayName: If(hasKey, key.ref, 'none'),
    Subscription: If(hasKey, [{ Protocol: 'email', Endpoint: 'ops@example.com' }], AWS.NoValue),
  });
  const doc = toPlain(t.toJSON()) as Record<string, any>;
  assert.deepEqual(doc.Resources.Topic.Properties, {
    DisplayName: { 'Fn::If': ['HasKey', { Ref: 'KeyName' }, 'none'] },
    Subscription: { 'Fn::If': ['HasKey', [{ Protocol: 'email', Endpoint: 'ops@example.com' }], { Ref: 'AWS::NoValue' }] },
  });
});

test('sections come in template-anatomy order and resource attributes in canonical order', () => {
  const t = make();
  const p = t.parameter('Env', { type: 'String', description: 'env', default: 'dev', group: 'G', label: 'Environment' });
  const c = t.condition('IsProd', Equals(p.ref, 'prod'));
  t.mapping('M', { a: { b: 'c' } });
  t.rule('ProdOnly', { assertions: [{ assert: Contains(['dev', 'prod'], p.ref), description: 'dev or prod' }] });
  const a = t.resource('A', 'AWS::SNS::Topic', {});
  t.resource('B', 'AWS::SQS::Queue', {}, { deletionPolicy: 'Retain', updateReplacePolicy: 'Retain', metadata: { x: 1 }, dependsOn: [a], condition: c });
  t.output('TopicArn', { value: a.ref, description: 'the topic' });
  t.addMetadata('Custom', { k: 'v' });
  const doc = t.toJSON();
  assert.deepEqual(Object.keys(doc), ['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Parameters', 'Rules', 'Mappings', 'Conditions', 'Resources', 'Outputs']);
  const b = (doc.Resources as Record<string, object>).B!;
  assert.deepEqual(Object.keys(b), ['Type', 'Condition', 'DependsOn', 'Metadata', 'DeletionPolicy', 'UpdateReplacePolicy']);
  const plain = toPlain(doc) as Record<string, any>;
  assert.deepEqual(plain.Metadata['AWS::CloudFormation::Interface'], {
    ParameterGroups: [{ Label: { default: 'G' }, Parameters: ['Env'] }],
    ParameterLabels: { Env: { default: 'Environment' } },
  });
});

test('outputs are exported only when asked: under <stack name>-<logical ID>, or a name of their own', () => {
  const t = make();
  const topic = t.resource('Topic', 'AWS::SNS::Topic', {});
  t.output('Plain', { value: topic.ref, description: 'not exported' });
  t.output('Exported', { value: topic.ref, description: 'exported', export: true });
  t.output('Named', { value: topic.ref, description: 'named', export: sub`${AWS.StackName}-alerts` });
  const outputs = (toPlain(t.toJSON()) as Record<string, any>).Outputs;
  assert.deepEqual(outputs.Plain, { Description: 'not exported', Value: { Ref: 'Topic' } });
  assert.deepEqual(outputs.Exported.Export, { Name: { 'Fn::Sub': '${AWS::StackName}-Exported' } });
  assert.deepEqual(outputs.Named.Export, { Name: { 'Fn::Sub': '${AWS::StackName}-alerts' } });
});

test('parameter() keeps every field it is given, and noEcho masks the value', () => {
  const t = make();
  const spec = parameter('String', { description: 'db password', noEcho: true, minLength: 16, maxLength: 64, allowedPattern: '^\\S+$', constraintDescription: 'no spaces' });
  t.parameter('DbPassword', spec);
  assert.deepEqual((toPlain(t.toJSON()) as Record<string, any>).Parameters.DbPassword, {
    Type: 'String',
    Description: 'db password',
    AllowedPattern: '^\\S+$',
    MinLength: 16,
    MaxLength: 64,
    ConstraintDescription: 'no spaces',
    NoEcho: true,
  });
});

test('Fn::Length adds the AWS::LanguageExtensions transform before Resources', () => {
  const t = make();
  t.resource('Q', 'AWS::SQS::Queue', { DelaySeconds: Length(['a', 'b']) });
  assert.deepEqual(Object.keys(t.toJSON()), ['AWSTemplateFormatVersion', 'Description', 'Transform', 'Resources']);
});

test('an untyped resource is emitted as given and marked for review in its Metadata', () => {
  const t = make();
  const bus = t.untypedResource('Bus', 'AWS::Events::EventBus', { Name: 'orders' }, { reason: 'not generated yet', metadata: { note: 1 } });
  t.resource('Topic', 'AWS::SNS::Topic', { DisplayName: bus.getAtt('Name') }, { dependsOn: [bus] });
  const doc = toPlain(t.toJSON()) as Record<string, any>;
  assert.deepEqual(doc.Resources.Bus, { Type: 'AWS::Events::EventBus', Properties: { Name: 'orders' }, Metadata: { note: 1, 'berth:untyped': 'not generated yet' } });
  assert.deepEqual(doc.Resources.Topic.DependsOn, 'Bus');
});

test('a property override is set under Properties, copying the path, and listed in Metadata', () => {
  const t = make();
  const config = { AwsvpcConfiguration: { Subnets: ['subnet-1'], AssignPublicIp: 'DISABLED' as const } };
  const svc = t.resource('Service', 'AWS::ECS::Service', { NetworkConfiguration: config });
  svc.override('NetworkConfiguration.AwsvpcConfiguration.NewField', 'x', 'a newer ECS property').override('Brand.New', { A: 1 }, 'another');
  const doc = toPlain(t.toJSON()) as Record<string, any>;
  assert.deepEqual(doc.Resources.Service.Properties, {
    NetworkConfiguration: { AwsvpcConfiguration: { Subnets: ['subnet-1'], AssignPublicIp: 'DISABLED', NewField: 'x' } },
    Brand: { New: { A: 1 } },
  });
  assert.deepEqual(doc.Resources.Service.Metadata, { 'berth:overrides': { 'NetworkConfiguration.AwsvpcConfiguration.NewField': 'a newer ECS property', 'Brand.New': 'another' } });
  assert.deepEqual(config.AwsvpcConfiguration, { Subnets: ['subnet-1'], AssignPublicIp: 'DISABLED' }, 'the props the author passed are not changed');
});

test('fails when an override goes through a value that is not an object', () => {
  const t = make();
  t.resource('Topic', 'AWS::SNS::Topic', { DisplayName: 'x' }).override('DisplayName.Inner', 1, 'bad');
  throwsBerth(() => t.toJSON(), /demo\.yaml: resource `Topic`: override `DisplayName\.Inner` goes through `DisplayName`, which is not an object/);
});

test('fails when a logical ID is not alphanumeric, naming the line that declared it', () => {
  const at = lineOf('MARK-ID');
  throwsBerth(() => make().resource('my-bucket', 'AWS::S3::Bucket', {}), new RegExp(`^${HERE}:${at}:\\d+: demo\\.yaml: resource logical ID \`my-bucket\` is not valid.*\`mybucket\``)); // MARK-ID
});

test('fails when a logical ID is used twice', () => {
  const t = make();
  t.resource('Bucket', 'AWS::S3::Bucket', {});
  throwsBerth(() => t.parameter('Bucket', { type: 'String', description: 'x' }), /`Bucket` is already used/);
});

test('fails when a handle from another template is used, naming the line that used it', () => {
  const a = make();
  const b = new Template({ name: 'other', description: 'other' });
  const vpc = a.resource('Vpc', 'AWS::EC2::VPC', {});
  const at = lineOf('MARK-FOREIGN');
  throwsBerth(
    () => b.resource('Subnet', 'AWS::EC2::Subnet', { VpcId: vpc.ref }), // MARK-FOREIGN
    new RegExp(`^${HERE}:${at}:\\d+: other\\.yaml: resource \`Subnet\`, property \`VpcId\` refers to a handle of template \`demo\``),
  );
  throwsBerth(() => b.resource('Topic', 'AWS::SNS::Topic', {}, { dependsOn: [vpc] }), /DependsOn `Vpc` refers to a handle of template `demo`/);
});

test('fails when a template has more than 500 resources', () => {
  const t = make();
  for (let i = 0; i < 500; i++) t.resource(`Topic${i}`, 'AWS::SNS::Topic', {});
  throwsBerth(() => t.resource('Topic500', 'AWS::SNS::Topic', {}), /501 resources, over CloudFormation's limit of 500/);
});

test('fails when a template has more than 200 parameters or outputs', () => {
  const t = make();
  for (let i = 0; i < 200; i++) t.parameter(`P${i}`, { type: 'String', description: 'x', default: '' });
  throwsBerth(() => t.parameter('P200', { type: 'String', description: 'x' }), /201 parameters, over CloudFormation's limit of 200/);
  for (let i = 0; i < 200; i++) t.output(`O${i}`, { value: 'x', description: 'x' });
  throwsBerth(() => t.output('O200', { value: 'x', description: 'x' }), /201 outputs, over CloudFormation's limit of 200/);
});

test('fails when a template body is over 1 MB (what CloudFormation reads from S3), not over 51,200 bytes', () => {
  checkBodySize('demo.yaml', 'x'.repeat(51_201));
  checkBodySize('demo.yaml', 'x'.repeat(1_000_000));
  throwsBerth(() => checkBodySize('demo.yaml', 'x'.repeat(1_000_001)), /demo\.yaml: the template body is 1000001 bytes, over the 1000000-byte \(1 MB\) limit of a template CloudFormation reads from S3\./);
});

test('fails when a Fn::Sub text built at run time names nothing, naming the line of the resource', () => {
  const t = make();
  const text: string = ['${Missing}', 'topic'].join('-'); // not a literal: the compiler cannot see it
  const at = lineOf('MARK-SUB');
  t.resource('Topic', 'AWS::SNS::Topic', { TopicName: Sub(text) }); // MARK-SUB
  throwsBerth(() => t.toJSON(), new RegExp(`^${HERE}:${at}:\\d+: demo\\.yaml: \`Resources\\.Topic\\.Properties\\.TopicName\`: \`Fn::Sub\` placeholder \`\\$\\{Missing\\}\` names nothing`));
});

const childContract = contract({
  name: 'child',
  description: 'child',
  parameters: {
    VpcId: parameter('AWS::EC2::VPC::Id', { description: 'vpc' }),
    Size: parameter('Number', { description: 'size', default: 2 }),
    SubnetIds: parameter('List<AWS::EC2::Subnet::Id>', { description: 'subnets' }),
  },
  outputs: {
    TopicArn: output('String', { description: 'topic' }),
    SubnetIds: output('List<AWS::EC2::Subnet::Id>', { description: 'the subnets, joined' }),
  },
});
interface ChildOutputs extends OutputsOf<typeof childContract> {}
const child = defineStack(childContract, {
  build(t, p): ChildOutputs {
    const topic = t.resource('Topic', 'AWS::SNS::Topic', { DisplayName: p.VpcId.ref });
    return { TopicArn: topic.ref, SubnetIds: Join(',', p.SubnetIds.ref) };
  },
});

test('nesting a stack emits AWS::CloudFormation::Stack with a relative TemplateURL and typed outputs', () => {
  const parent = new Template({ name: 'root', description: 'root' });
  const vpc = parent.resource('Vpc', 'AWS::EC2::VPC', {});
  const sn = parent.resource('Subnet', 'AWS::EC2::Subnet', { VpcId: vpc.ref });
  const nested = nest(parent, 'Child', child, { settings: undefined, parameters: { VpcId: vpc.ref, SubnetIds: [sn.ref], Size: 3 } });
  parent.output('Topic', { value: nested.outputs.TopicArn, description: 'x' });
  // A list output arrives joined: split it where a property needs the list.
  parent.resource('Endpoint', 'AWS::EC2::VPCEndpoint', { VpcId: vpc.ref, ServiceName: 'com.amazonaws.eu-west-1.s3', SubnetIds: Split(',', nested.outputs.SubnetIds) });
  const doc = toPlain(parent.toJSON()) as Record<string, any>;
  assert.deepEqual(doc.Resources.Child, {
    Type: 'AWS::CloudFormation::Stack',
    Properties: { TemplateURL: 'child.yaml', Parameters: { VpcId: { Ref: 'Vpc' }, SubnetIds: { 'Fn::Join': [',', [{ Ref: 'Subnet' }]] }, Size: '3' } },
    Metadata: { 'cfn-lint': { config: { ignore_checks: ['W3002'] } } },
    DeletionPolicy: 'Delete',
    UpdateReplacePolicy: 'Delete',
  });
  assert.deepEqual(doc.Outputs.Topic.Value, { 'Fn::GetAtt': ['Child', 'Outputs.TopicArn'] });
  assert.deepEqual(doc.Resources.Endpoint.Properties.SubnetIds, { 'Fn::Split': [',', { 'Fn::GetAtt': ['Child', 'Outputs.SubnetIds'] }] });
  assert.equal(parent.children[0]!.name, 'child');
  const childDoc = toPlain(parent.children[0]!.toJSON()) as Record<string, any>;
  assert.deepEqual(childDoc.Outputs.TopicArn, { Description: 'topic', Value: { Ref: 'Topic' } });
  assert.deepEqual(childDoc.Outputs.SubnetIds.Value, { 'Fn::Join': [',', { Ref: 'SubnetIds' }] });
});

test('fails when a nested stack misses a required parameter (bypassing the compiler), naming the nest call', () => {
  const parent = new Template({ name: 'root', description: 'root' });
  const at = lineOf('MARK-NEST');
  throwsBerth(
    () => nest(parent, 'Child', child, { settings: undefined, parameters: { VpcId: 'vpc-1' } as never }), // MARK-NEST
    new RegExp(`^${HERE}:${at}:\\d+: root\\.yaml: nested stack \`Child\` \\(child\\.yaml\\) needs parameter \`SubnetIds\``),
  );
});

test('fails when build returns an output the contract does not declare, or leaves one out', () => {
  const extra = defineStack(contract({ name: 'bad', description: 'bad', parameters: {}, outputs: {} }), { build: () => ({ Extra: 'x' }) as never });
  throwsBerth(() => synthesize(extra, undefined), /bad\.yaml: `build` returned `Extra`, which the stack's contract does not declare/);
  const at = lineOf('MARK-OUTPUT');
  const missing = defineStack(contract({ name: 'bad', description: 'bad', parameters: {}, outputs: { X: output('String', { description: 'x' }) } }), { build: () => ({}) as never }); // MARK-OUTPUT
  throwsBerth(() => synthesize(missing, undefined), new RegExp(`^${HERE}:${at}:\\d+: bad\\.yaml: the stack's contract declares output \`X\``));
});

test('a message names the helper that declared a resource and the line that called it', () => {
  const kms = 'templates/stacks/shared/kms.ts';
  const at = lineOf('return t.resource(', readFileSync(kms, 'utf8').split('\n'));
  const caller = lineOf('MARK-CALLER');
  throwsBerth(
    () => customerKey(make(), 'my-key', { description: 'x' }), // MARK-CALLER
    new RegExp(`^${kms}:${at}:\\d+ \\(called from ${HERE}:${caller}:\\d+\\): demo\\.yaml: resource logical ID \`my-key\``),
  );
});
