/**
 * src/dsl/template.ts, section by section: the exact document toJSON builds, the console
 * interface, each resource attribute, outputs and exports, the transform, the Sub check, and every
 * located error with its exact text. test/template.test.ts holds nesting and the limits.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { AWS, Contains, Equals, GetAZs, Intrinsic, Join, Not, Select, Sub, sub, ToJsonString } from '../src/dsl/intrinsic.ts';
import { toPlain } from '../src/emit/plain.ts';
import { Template } from '../src/dsl/template.ts';
import { walk } from '../src/dsl/_walk.ts';

/** A Sub text the compiler cannot read (built at run time), so the template's own check is what catches it. */
const runtime = (text: string): string => text;

const make = (name = 'demo') => new Template({ name, description: `${name} template` });

/** Fails with exactly `message`, after the TypeScript line that made the declaration (src/dsl/_site.ts). */
function fails(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BerthError, String(e));
    assert.match(e.message, /^test\/template-document\.test\.ts:\d+:\d+: /, 'the error names the author\'s line');
    assert.equal(e.message.replace(/^test\/template-document\.test\.ts:\d+:\d+: /, ''), message);
    return true;
  });
}

test('a template with nothing but a resource: version, description, resources; its file and counts', () => {
  const t = make();
  t.resource('Topic', 'AWS::SNS::Topic', {});
  assert.deepEqual(toPlain(t.toJSON()), { AWSTemplateFormatVersion: '2010-09-09', Description: 'demo template', Resources: { Topic: { Type: 'AWS::SNS::Topic' } } });
  assert.equal(t.file, 'demo.yaml');
  assert.equal(t.name, 'demo');
  assert.deepEqual(t.counts, { resources: 1, parameters: 0, outputs: 0 });
  assert.deepEqual(t.children, []);
});

test('every section, exactly', () => {
  const t = make();
  const env = t.parameter('Env', { type: 'String', description: 'The environment.', default: 'dev', group: 'Naming', label: 'Environment' });
  const size = t.parameter('Size', { type: 'Number', description: 'How many.', default: 2 });
  const zone = t.parameter('Zone', { type: 'String', description: 'A zone.', default: 'a', group: 'Naming' });
  const isProd = t.condition('IsProd', Equals(env.ref, 'prod'));
  t.condition('IsDev', Not(isProd));
  t.mapping('Sizes', { dev: { Cpu: 256 } });
  t.rule('Known', { assertions: [{ assert: Contains(['dev', 'prod'], env.ref), description: 'dev or prod' }] });
  t.rule('ProdBig', { condition: Equals(env.ref, 'prod'), assertions: [{ assert: Equals(size.ref, 3), description: 'three' }] });
  const topic = t.resource('Topic', 'AWS::SNS::Topic', { DisplayName: sub`${env.ref}-${zone.ref}` });
  t.output('TopicArn', { value: topic.ref, description: 'The topic.', export: true });
  t.output('Name', { value: topic.getAtt('TopicName'), description: 'Its name.', condition: isProd });
  t.output('Custom', { value: 'x', description: 'Custom export.', export: 'shared-x' });
  t.addMetadata('Owner', { team: 'platform' });
  assert.equal(t.counts.parameters, 3);
  assert.equal(t.counts.outputs, 3);
  assert.deepEqual(toPlain(t.toJSON()), {
    AWSTemplateFormatVersion: '2010-09-09',
    Description: 'demo template',
    Metadata: {
      'AWS::CloudFormation::Interface': {
        ParameterGroups: [
          { Label: { default: 'Naming' }, Parameters: ['Env', 'Zone'] },
          { Label: { default: 'Other parameters' }, Parameters: ['Size'] },
        ],
        ParameterLabels: { Env: { default: 'Environment' }, Size: { default: 'Size' }, Zone: { default: 'Zone' } },
      },
      Owner: { team: 'platform' },
    },
    Parameters: {
      Env: { Type: 'String', Description: 'The environment.', Default: 'dev' },
      Size: { Type: 'Number', Description: 'How many.', Default: 2 },
      Zone: { Type: 'String', Description: 'A zone.', Default: 'a' },
    },
    Rules: {
      Known: { Assertions: [{ Assert: { 'Fn::Contains': [['dev', 'prod'], { Ref: 'Env' }] }, AssertDescription: 'dev or prod' }] },
      ProdBig: { RuleCondition: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }, Assertions: [{ Assert: { 'Fn::Equals': [{ Ref: 'Size' }, 3] }, AssertDescription: 'three' }] },
    },
    Mappings: { Sizes: { dev: { Cpu: 256 } } },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }, IsDev: { 'Fn::Not': [{ Condition: 'IsProd' }] } },
    Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: { 'Fn::Sub': '${Env}-${Zone}' } } } },
    Outputs: {
      TopicArn: { Description: 'The topic.', Value: { Ref: 'Topic' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}-TopicArn' } } },
      Name: { Description: 'Its name.', Condition: 'IsProd', Value: { 'Fn::GetAtt': ['Topic', 'TopicName'] } },
      Custom: { Description: 'Custom export.', Value: 'x', Export: { Name: 'shared-x' } },
    },
  });
  assert.deepEqual(Object.keys((toPlain(t.toJSON()) as any).Outputs.Name), ['Description', 'Condition', 'Value']);
});

test('template metadata without parameters; a metadata entry overrides nothing else', () => {
  const t = make();
  t.addMetadata('A', 1);
  t.addMetadata('B', { c: [true] });
  t.resource('Topic', 'AWS::SNS::Topic', {});
  const doc = toPlain(t.toJSON()) as Record<string, unknown>;
  assert.deepEqual(doc.Metadata, { A: 1, B: { c: [true] } });
  assert.deepEqual(Object.keys(doc), ['AWSTemplateFormatVersion', 'Description', 'Metadata', 'Resources']);
});

test('resource attributes: each one, in CloudFormation\'s order; one DependsOn is a name, several a list', () => {
  const t = make();
  const env = t.parameter('Env', { type: 'String', description: 'e', default: 'dev' });
  const c = t.condition('IsProd', Equals(env.ref, 'prod'));
  const a = t.resource('A', 'AWS::SNS::Topic', {});
  const b = t.resource('B', 'AWS::SNS::Topic', {}, { dependsOn: [a] });
  t.resource('C', 'AWS::SQS::Queue', { DelaySeconds: 5 }, {
    dependsOn: [a, b],
    condition: c,
    metadata: { m: 1 },
    creationPolicy: { ResourceSignal: { Count: 1, Timeout: 'PT5M' } },
    updatePolicy: { AutoScalingReplacingUpdate: { WillReplace: true } },
    deletionPolicy: 'Snapshot',
    updateReplacePolicy: 'Retain',
  } as never);
  t.resource('D', 'AWS::SNS::Topic', {}, { dependsOn: [] });
  const r = (toPlain(t.toJSON()) as any).Resources;
  assert.deepEqual(r.B, { Type: 'AWS::SNS::Topic', DependsOn: 'A' });
  assert.deepEqual(r.D, { Type: 'AWS::SNS::Topic' }, 'no DependsOn for an empty list, no Properties for none');
  assert.deepEqual(Object.entries(r.C), [
    ['Type', 'AWS::SQS::Queue'],
    ['Condition', 'IsProd'],
    ['DependsOn', ['A', 'B']],
    ['Properties', { DelaySeconds: 5 }],
    ['Metadata', { m: 1 }],
    ['CreationPolicy', { ResourceSignal: { Count: 1, Timeout: 'PT5M' } }],
    ['UpdatePolicy', { AutoScalingReplacingUpdate: { WillReplace: true } }],
    ['DeletionPolicy', 'Snapshot'],
    ['UpdateReplacePolicy', 'Retain'],
  ]);
});

test('Fn::ToJsonString adds the transform before Resources, and before Outputs too', () => {
  const t = make();
  t.resource('Q', 'AWS::SQS::Queue', { QueueName: ToJsonString({ a: 1 }) as never });
  t.output('O', { value: 'x', description: 'o' });
  const doc = t.toJSON();
  assert.deepEqual(Object.keys(doc), ['AWSTemplateFormatVersion', 'Description', 'Transform', 'Resources', 'Outputs']);
  assert.equal(doc.Transform, 'AWS::LanguageExtensions');
  const plain = make('plain');
  plain.resource('Q', 'AWS::SQS::Queue', { QueueName: Join('-', ['a', 'b']) });
  assert.equal(plain.toJSON().Transform, undefined, 'other functions need no transform');
});

test('Fn::Sub placeholders: variables, pseudo parameters, parameters, resources and their attributes, escapes', () => {
  const t = make();
  const p = t.parameter('Env', { type: 'String', description: 'e', default: 'dev' });
  t.resource('Bucket', 'AWS::S3::Bucket', {});
  t.resource('Topic', 'AWS::SNS::Topic', {
    DisplayName: Sub(runtime('${Env}-${Bucket}-${Bucket.Arn}-${AWS::Region}-${V}-${!Literal}-${ Env }'), { V: 'v' }),
    TopicName: sub`${p.ref}`,
  });
  assert.ok(t.toJSON());
  fails(() => {
    const u = make('u');
    u.resource('Topic', 'AWS::SNS::Topic', { DisplayName: Sub(runtime('${Nope}')) });
    u.toJSON();
  }, 'u.yaml: `Resources.Topic.Properties.DisplayName`: `Fn::Sub` placeholder `${Nope}` names nothing in this template. Expected a variable of the Sub, a pseudo parameter, or one of: `Topic`. Use the sub`...` tagged template with handles, or write `${!Literal}` for a literal.');
  fails(() => {
    const u = make('u');
    u.parameter('P', { type: 'String', description: 'p', default: 'x' });
    for (let i = 0; i < 9; i++) u.resource(`R${i}`, 'AWS::SNS::Topic', {});
    u.output('O', { value: Sub(runtime('${AWS::Nope}'), { V: 'x' }), description: 'o' });
    u.toJSON();
  }, 'u.yaml: `Outputs.O.Value`: `Fn::Sub` placeholder `${AWS::Nope}` names nothing in this template. Expected a variable of the Sub, a pseudo parameter, or one of: `P`, `R0`, `R1`, `R2`, `R3`, `R4`, `R5`, `R6`. Use the sub`...` tagged template with handles, or write `${!Literal}` for a literal.');
  fails(() => {
    const u = make('u');
    u.resource('Topic', 'AWS::SNS::Topic', {});
    u.condition('C', Equals(Sub(runtime('${Topic}${Missing.Arn}')), 'x'));
    u.toJSON();
  }, 'u.yaml: `Conditions.C.0`: `Fn::Sub` placeholder `${Missing.Arn}` names nothing in this template. Expected a variable of the Sub, a pseudo parameter, or one of: `Topic`. Use the sub`...` tagged template with handles, or write `${!Literal}` for a literal.');
});

test('fails when a handle of another template is used anywhere, naming where', () => {
  const a = make('a');
  const b = make('b');
  const vpc = a.resource('Vpc', 'AWS::EC2::VPC', {});
  const env = a.parameter('Env', { type: 'String', description: 'e', default: 'dev' });
  const cond = a.condition('IsProd', Equals(env.ref, 'prod'));
  const own = b.parameter('Own', { type: 'String', description: 'o', default: 'x' });
  fails(() => b.resource('S', 'AWS::EC2::Subnet', { VpcId: vpc.ref }), 'b.yaml: resource `S`, property `VpcId` refers to a handle of template `a`. A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.');
  fails(() => b.resource('T', 'AWS::SNS::Topic', { Tags: [{ Key: 'k', Value: Join('-', [own.ref, vpc.getAtt('VpcId')]) }] }), 'b.yaml: resource `T`, property `Tags.0.Value.1.1` refers to a handle of template `a`. A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.');
  fails(() => b.resource('U', 'AWS::SNS::Topic', {}, { condition: cond }), 'b.yaml: resource `U`, Condition `IsProd` refers to a handle of template `a`. A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.');
  fails(() => b.resource('V', 'AWS::SNS::Topic', {}, { dependsOn: [vpc] }), 'b.yaml: resource `V`, DependsOn `Vpc` refers to a handle of template `a`. A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.');
  fails(() => b.condition('C', Equals(env.ref, 'x')), 'b.yaml: condition `C` `0` refers to a handle of template `a`. A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.');
  fails(() => b.output('O', { value: vpc.ref, description: 'o' }), 'b.yaml: output `O` `value` refers to a handle of template `a`. A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.');
  fails(() => b.output('P', { value: 'x', description: 'p', condition: cond }), 'b.yaml: output `P` `condition` refers to a handle of template `a`. A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.');
  fails(() => b.rule('R', { assertions: [{ assert: Equals(env.ref, 'x'), description: 'd' }] }), 'b.yaml: rule `R` `assertions.0.assert.0` refers to a handle of template `a`. A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.');
  fails(() => b.resource('W', 'AWS::SNS::Topic', { DisplayName: new Intrinsic('Ref', 'X', { name: 'ghost' }) as never }), 'b.yaml: resource `W`, property `DisplayName` refers to a handle of template `ghost`. A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.');
  fails(() => b.resource('X', 'AWS::SNS::Topic', { DisplayName: vpc.ref as never }), 'b.yaml: resource `X`, property `DisplayName` refers to a handle of template `a`. A template can only refer to its own parameters, resources and conditions: pass the value in as a parameter of this stack (nested-stack parameters), or export it as an output.');
  // Its own handles, pseudo parameters and plain intrinsics are fine, anywhere.
  b.resource('Ok', 'AWS::SNS::Topic', { DisplayName: Join('-', [own.ref, AWS.Region, Select(0, GetAZs())]) });
  assert.equal(b.counts.resources, 1, 'the refused resources were not added');
});

test('fails when a logical ID is taken, per kind: parameters and resources share names, the others have their own', () => {
  const t = make();
  t.parameter('Env', { type: 'String', description: 'e', default: 'dev' });
  t.resource('Topic', 'AWS::SNS::Topic', {});
  t.condition('IsProd', Equals('a', 'b'));
  t.mapping('Sizes', { a: { b: 1 } });
  t.rule('Rule', { assertions: [] });
  t.output('Out', { value: 'x', description: 'o' });
  fails(() => t.resource('Env', 'AWS::SNS::Topic', {}), 'demo.yaml: resource logical ID `Env` is already used in this template. Logical IDs must be unique: choose another name.');
  fails(() => t.parameter('Topic', { type: 'String', description: 'x' }), 'demo.yaml: parameter logical ID `Topic` is already used in this template. Logical IDs must be unique: choose another name.');
  fails(() => t.condition('IsProd', Equals('a', 'b')), 'demo.yaml: condition logical ID `IsProd` is already used in this template. Logical IDs must be unique: choose another name.');
  fails(() => t.mapping('Sizes', {}), 'demo.yaml: mapping logical ID `Sizes` is already used in this template. Logical IDs must be unique: choose another name.');
  fails(() => t.rule('Rule', { assertions: [] }), 'demo.yaml: rule logical ID `Rule` is already used in this template. Logical IDs must be unique: choose another name.');
  fails(() => t.output('Out', { value: 'x', description: 'o' }), 'demo.yaml: output logical ID `Out` is already used in this template. Logical IDs must be unique: choose another name.');
  // A condition, mapping, rule or output may share a name with a resource.
  t.condition('Topic', Equals('a', 'b'));
  t.mapping('Topic', {});
  t.rule('Topic', { assertions: [] });
  t.output('Topic', { value: 'x', description: 'o' });
  fails(() => t.mapping('bad-id', {}), 'demo.yaml: mapping logical ID `bad-id` is not valid. Logical IDs are 1 to 255 letters and digits (A-Za-z0-9). Rename it, for example `badid`.');
});

test('walk visits every intrinsic with its path, depth first, arguments included', () => {
  const seen: string[] = [];
  walk({ a: [Sub('x'), { b: Join('-', [Sub('y')]) }], c: 'plain' }, (i, path) => seen.push(`${i.fn}@${path.join('.')}`));
  assert.deepEqual(seen, ['Fn::Sub@a.0', 'Fn::Join@a.1.b', 'Fn::Sub@a.1.b.1.0']);
});
