import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { And, AWS, Base64, Cidr, Condition, Contains, Equals, GetAZs, If, ImportValue, Join, Length, Not, Or, Select, Split, Sub, sub, ToJsonString } from '../src/dsl/intrinsic.ts';
import { checkBodySize } from '../src/dsl/limits.ts';
import { toPlain } from '../src/emit/plain.ts';
import { defineStack, nest, synthesize } from '../src/dsl/stack.ts';
import { Template } from '../src/dsl/template.ts';

const make = () => new Template({ name: 'demo', description: 'demo' });

function throwsBerth(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof BerthError && pattern.test(e.message));
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
  const c = t.condition('IsProd', Equals(p.ref, 'prod'));
  assert.deepEqual(toPlain(Join(',', ['a', p.ref])), { 'Fn::Join': [',', ['a', { Ref: 'Env' }]] });
  assert.deepEqual(toPlain(Split(',', 'a,b')), { 'Fn::Split': [',', 'a,b'] });
  assert.deepEqual(toPlain(Cidr('10.0.0.0/16', 4, 8)), { 'Fn::Cidr': ['10.0.0.0/16', 4, 8] });
  assert.deepEqual(toPlain(If(c, 'a', AWS.NoValue)), { 'Fn::If': ['IsProd', 'a', { Ref: 'AWS::NoValue' }] });
  assert.deepEqual(toPlain(And(c, Not(c))), { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Not': [{ Condition: 'IsProd' }] }] });
  assert.deepEqual(toPlain(Or(c, Equals(1, 2))), { 'Fn::Or': [{ Condition: 'IsProd' }, { 'Fn::Equals': [1, 2] }] });
  assert.deepEqual(toPlain(ImportValue('x')), { 'Fn::ImportValue': 'x' });
  assert.deepEqual(toPlain(Base64(Sub('#!/bin/sh\n'))), { 'Fn::Base64': { 'Fn::Sub': '#!/bin/sh\n' } });
  assert.deepEqual(toPlain(Length(['a'])), { 'Fn::Length': ['a'] });
  assert.deepEqual(toPlain(ToJsonString({ a: 1 })), { 'Fn::ToJsonString': { a: 1 } });
  assert.deepEqual(toPlain(Contains(['a'], p.ref)), { 'Fn::Contains': [['a'], { Ref: 'Env' }] });
  const m = t.mapping('Sizes', { dev: { Cpu: 256 }, prod: { Cpu: 1024 } });
  assert.deepEqual(toPlain(m.find('prod', 'Cpu')), { 'Fn::FindInMap': ['Sizes', 'prod', 'Cpu'] });
  assert.ok(c instanceof Condition);
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
  assert.deepEqual(plain.Outputs.TopicArn, { Description: 'the topic', Value: { Ref: 'A' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}-TopicArn' } } });
});

test('Fn::Length adds the AWS::LanguageExtensions transform before Resources', () => {
  const t = make();
  t.resource('Q', 'AWS::SQS::Queue', { DelaySeconds: Length(['a', 'b']) });
  assert.deepEqual(Object.keys(t.toJSON()), ['AWSTemplateFormatVersion', 'Description', 'Transform', 'Resources']);
});

test('fails when a logical ID is not alphanumeric', () => {
  throwsBerth(() => make().resource('my-bucket', 'AWS::S3::Bucket', {}), /demo\.yaml: resource logical ID `my-bucket` is not valid.*`mybucket`/);
});

test('fails when a logical ID is used twice', () => {
  const t = make();
  t.resource('Bucket', 'AWS::S3::Bucket', {});
  throwsBerth(() => t.parameter('Bucket', { type: 'String', description: 'x' }), /`Bucket` is already used/);
});

test('fails when a handle from another template is used', () => {
  const a = make();
  const b = new Template({ name: 'other', description: 'other' });
  const vpc = a.resource('Vpc', 'AWS::EC2::VPC', {});
  throwsBerth(
    () => b.resource('Subnet', 'AWS::EC2::Subnet', { VpcId: vpc.ref }),
    /other\.yaml: resource `Subnet`, property `VpcId` refers to a handle of template `demo`/,
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

test('fails when a template body is over 51,200 bytes', () => {
  checkBodySize('demo.yaml', 'x'.repeat(51_200));
  throwsBerth(() => checkBodySize('demo.yaml', 'x'.repeat(51_201)), /demo\.yaml: the template body is 51201 bytes, over the 51200-byte limit/);
});

test('fails when a Fn::Sub placeholder names nothing in the template', () => {
  const t = make();
  t.resource('Topic', 'AWS::SNS::Topic', { TopicName: Sub('${Missing}-topic') });
  throwsBerth(() => t.toJSON(), /`Fn::Sub` placeholder `\$\{Missing\}` names nothing/);
});

const child = defineStack({
  name: 'child',
  description: 'child',
  parameters: {
    VpcId: { type: 'AWS::EC2::VPC::Id', description: 'vpc' },
    Size: { type: 'Number', description: 'size', default: 2 },
    SubnetIds: { type: 'List<AWS::EC2::Subnet::Id>', description: 'subnets' },
  },
  outputs: { TopicArn: { type: 'String', description: 'topic' } },
  build(t, p) {
    const topic = t.resource('Topic', 'AWS::SNS::Topic', { DisplayName: p.VpcId.ref });
    return { TopicArn: topic.ref };
  },
});

test('nesting a stack emits AWS::CloudFormation::Stack with a relative TemplateURL and typed outputs', () => {
  const parent = new Template({ name: 'root', description: 'root' });
  const vpc = parent.resource('Vpc', 'AWS::EC2::VPC', {});
  const sn = parent.resource('Subnet', 'AWS::EC2::Subnet', { VpcId: vpc.ref });
  const nested = nest(parent, 'Child', child, { settings: undefined, parameters: { VpcId: vpc.ref, SubnetIds: [sn.ref], Size: 3 } });
  parent.output('Topic', { value: nested.outputs.TopicArn, description: 'x' });
  const doc = toPlain(parent.toJSON()) as Record<string, any>;
  assert.deepEqual(doc.Resources.Child, {
    Type: 'AWS::CloudFormation::Stack',
    Properties: { TemplateURL: 'child.yaml', Parameters: { VpcId: { Ref: 'Vpc' }, SubnetIds: { 'Fn::Join': [',', [{ Ref: 'Subnet' }]] }, Size: '3' } },
    Metadata: { 'cfn-lint': { config: { ignore_checks: ['W3002'] } } },
    DeletionPolicy: 'Delete',
    UpdateReplacePolicy: 'Delete',
  });
  assert.deepEqual(doc.Outputs.Topic.Value, { 'Fn::GetAtt': ['Child', 'Outputs.TopicArn'] });
  assert.equal(parent.children[0]!.name, 'child');
  const childDoc = toPlain(parent.children[0]!.toJSON()) as Record<string, any>;
  assert.deepEqual(childDoc.Outputs.TopicArn.Value, { Ref: 'Topic' });
});

test('fails when a nested stack misses a required parameter (bypassing the compiler)', () => {
  const parent = new Template({ name: 'root', description: 'root' });
  throwsBerth(
    () => nest(parent, 'Child', child, { settings: undefined, parameters: { VpcId: 'vpc-1' } as never }),
    /root\.yaml: nested stack `Child` \(child\.yaml\) needs parameter `SubnetIds`/,
  );
});

test('fails when build returns an output the contract does not declare', () => {
  const bad = defineStack({
    name: 'bad',
    description: 'bad',
    parameters: {},
    outputs: {},
    build: () => ({ Extra: 'x' }) as never,
  });
  throwsBerth(() => synthesize(bad, undefined), /bad\.yaml: `build` returned `Extra`, which the stack's contract does not declare/);
});
