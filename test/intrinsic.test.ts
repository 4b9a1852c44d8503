/** src/dsl/intrinsic.ts: each function's exact long form, sub`` in every case, placeholders, pseudo parameters. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  And,
  AWS,
  Base64,
  Cidr,
  Condition,
  Contains,
  EachMemberEquals,
  EachMemberIn,
  Equals,
  GetAZs,
  If,
  ImportValue,
  Intrinsic,
  Join,
  LANGUAGE_EXTENSION_FUNCTIONS,
  Length,
  Not,
  Or,
  RefAll,
  Select,
  Split,
  Sub,
  sub,
  ToJsonString,
  ValueOf,
  ValueOfAll,
} from '../src/dsl/intrinsic.ts';
import { isPseudoParameter, subPlaceholders } from '../src/dsl/_walk.ts';
import { toPlain } from '../src/emit/plain.ts';

// These tests check what each function builds at run time, so they build handles by hand and
// pass arguments the DSL's types would refuse (the compile-time checks have their own fixtures).
/* eslint-disable @typescript-eslint/no-explicit-any */

const owner = { name: 'demo' };
const other = { name: 'other' };
const ref = (id: string, o = owner): any => new Intrinsic('Ref', id, o);
const att = (id: string, a: string, o = owner): any => new Intrinsic('Fn::GetAtt', [id, a], o);
/** A parameter handle as `Template.parameter` makes it: a logical ID and a `ref` of its template. */
const param = (id: string, o = owner): any => ({ logicalId: id, ref: ref(id, o) });

test('pseudo parameters are Refs to AWS:: names, and only those are pseudo parameters', () => {
  assert.deepEqual(
    Object.fromEntries(Object.entries(AWS).map(([k, v]) => [k, toPlain(v)])),
    {
      AccountId: { Ref: 'AWS::AccountId' },
      NotificationARNs: { Ref: 'AWS::NotificationARNs' },
      NoValue: { Ref: 'AWS::NoValue' },
      Partition: { Ref: 'AWS::Partition' },
      Region: { Ref: 'AWS::Region' },
      StackId: { Ref: 'AWS::StackId' },
      StackName: { Ref: 'AWS::StackName' },
      URLSuffix: { Ref: 'AWS::URLSuffix' },
    },
  );
  for (const v of Object.values(AWS) as any[]) assert.ok(isPseudoParameter(v.args as string));
  for (const name of ['AWS::Foo', 'Region', 'Vpc', '']) assert.ok(!isPseudoParameter(name), name);
  for (const v of Object.values(AWS) as any[]) assert.equal(v.owner, undefined, 'pseudo parameters belong to no template');
});

test('sub``: literals, handles, attributes, pseudo parameters, numbers, escapes, nested subs, variables', () => {
  assert.deepEqual(toPlain(sub`plain`), { 'Fn::Sub': 'plain' });
  assert.deepEqual(toPlain(sub``), { 'Fn::Sub': '' });
  assert.deepEqual(toPlain(sub`${'a'}-${7}`), { 'Fn::Sub': 'a-7' });
  assert.deepEqual(toPlain(sub`${'${x}'}`), { 'Fn::Sub': '${!x}' }, 'a literal ${ in a value is escaped');
  assert.deepEqual(toPlain(sub`a\${b}c\${d}`), { 'Fn::Sub': 'a${!b}c${!d}' }, 'every literal ${ in the text is escaped');
  assert.deepEqual(toPlain(sub`arn:${AWS.Partition}:s3:::${ref('Bucket')}/*`), { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Bucket}/*' });
  assert.deepEqual(toPlain(sub`${att('Db', 'Endpoint.Address')}:${att('Db', 'Endpoint.Port')}`), { 'Fn::Sub': '${Db.Endpoint.Address}:${Db.Endpoint.Port}' });
  assert.deepEqual(toPlain(sub`${Sub('x-${AWS::Region}')}/y`), { 'Fn::Sub': 'x-${AWS::Region}/y' }, 'a Sub without variables is inlined');
  assert.deepEqual(toPlain(sub`${Select(0, GetAZs())}-${Join(',', ['a'])}`), {
    'Fn::Sub': ['${Var1}-${Var2}', { Var1: { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }, Var2: { 'Fn::Join': [',', ['a']] } }],
  });
  assert.deepEqual(toPlain(sub`${Sub('a-${V}', { V: 'b' })}`), { 'Fn::Sub': ['${Var1}', { Var1: { 'Fn::Sub': ['a-${V}', { V: 'b' }] } }] });
  // A GetAtt whose parts are not both names, and a Ref to something other than a name, become variables.
  assert.deepEqual(toPlain(sub`${new Intrinsic('Fn::GetAtt', ['Db', ref('Attr')])}`), { 'Fn::Sub': ['${Var1}', { Var1: { 'Fn::GetAtt': ['Db', { Ref: 'Attr' }] } }] });
  assert.deepEqual(toPlain(sub`${new Intrinsic('Ref', ['x'])}`), { 'Fn::Sub': ['${Var1}', { Var1: { Ref: ['x'] } }] });
  assert.deepEqual(toPlain(sub`${new Intrinsic('Fn::Sub', ['t', {}])}`), { 'Fn::Sub': ['${Var1}', { Var1: { 'Fn::Sub': ['t', {}] } }] });
});

test('sub`` takes the owner of the first handle, so a handle of another template is caught where it is used', () => {
  assert.equal(sub`${ref('A')}${ref('B', other)}`.owner, owner);
  assert.equal(sub`${att('A', 'Arn', other)}${ref('B')}`.owner, other);
  assert.equal(sub`${new Intrinsic('Fn::Sub', 'x', other)}${ref('B')}`.owner, other);
  assert.equal(sub`${AWS.Region}${ref('B')}`.owner, owner, 'a pseudo parameter has no owner: the next handle gives it');
  assert.equal(sub`plain`.owner, undefined);
  assert.equal(sub`${Select(0, GetAZs())}`.owner, undefined, 'variables do not give an owner');
});

test('Sub: text alone, or with variables (none means text alone)', () => {
  assert.deepEqual(toPlain(Sub('a-${AWS::Region}')), { 'Fn::Sub': 'a-${AWS::Region}' });
  assert.deepEqual(toPlain(Sub('a-${X}', { X: 'b' })), { 'Fn::Sub': ['a-${X}', { X: 'b' }] });
  assert.deepEqual(toPlain(Sub('a', {})), { 'Fn::Sub': 'a' });
});

test('subPlaceholders: names, attributes, pseudo parameters, trimmed; escapes and empty braces are not placeholders', () => {
  assert.deepEqual(subPlaceholders('${A}-${B.Arn}-${AWS::Region}-${!Literal}-${ C }-${}-$x-{D}'), ['A', 'B.Arn', 'AWS::Region', 'C']);
  assert.deepEqual(subPlaceholders('no placeholders'), []);
  assert.deepEqual(subPlaceholders('${A}${A}'), ['A', 'A']);
});

test('every function builds its long form, with its kind-less arguments in order', () => {
  const c = new Condition('IsProd', owner);
  const cases: [Intrinsic, unknown][] = [
    [Join('-', ['a', 'b']), { 'Fn::Join': ['-', ['a', 'b']] }],
    [Join('', ref('List')), { 'Fn::Join': ['', { Ref: 'List' }] }],
    [Select(2, ['a', 'b', 'c']), { 'Fn::Select': [2, ['a', 'b', 'c']] }],
    [Split('|', 'a|b'), { 'Fn::Split': ['|', 'a|b'] }],
    [GetAZs(), { 'Fn::GetAZs': '' }],
    [GetAZs('eu-west-1'), { 'Fn::GetAZs': 'eu-west-1' }],
    [Cidr('10.0.0.0/16', 6, 5), { 'Fn::Cidr': ['10.0.0.0/16', 6, 5] }],
    [If(c, 'yes', 'no') as any, { 'Fn::If': ['IsProd', 'yes', 'no'] }],
    [Equals('a', true), { 'Fn::Equals': ['a', true] }],
    [And(c, Equals(1, 1)), { 'Fn::And': [{ Condition: 'IsProd' }, { 'Fn::Equals': [1, 1] }] }],
    [Or(c), { 'Fn::Or': [{ Condition: 'IsProd' }] }],
    [Not(c), { 'Fn::Not': [{ Condition: 'IsProd' }] }],
    [Not(Equals('a', 'b')), { 'Fn::Not': [{ 'Fn::Equals': ['a', 'b'] }] }],
    [ImportValue('shared-Vpc'), { 'Fn::ImportValue': 'shared-Vpc' }],
    [Base64('text'), { 'Fn::Base64': 'text' }],
    [Length(ref('List')), { 'Fn::Length': { Ref: 'List' } }],
    [ToJsonString(['a', 1]), { 'Fn::ToJsonString': ['a', 1] }],
    [Contains(['a', 'b'], 'a'), { 'Fn::Contains': [['a', 'b'], 'a'] }],
    [EachMemberEquals(ref('Subnets'), 'x'), { 'Fn::EachMemberEquals': [{ Ref: 'Subnets' }, 'x'] }],
    [EachMemberIn(['a'], ['a', 'b']), { 'Fn::EachMemberIn': [['a'], ['a', 'b']] }],
    [RefAll('AWS::EC2::VPC::Id'), { 'Fn::RefAll': 'AWS::EC2::VPC::Id' }],
    [ValueOf(param('Subnet'), 'VpcId'), { 'Fn::ValueOf': ['Subnet', 'VpcId'] }],
    [ValueOfAll('AWS::EC2::Subnet::Id', 'VpcId'), { 'Fn::ValueOfAll': ['AWS::EC2::Subnet::Id', 'VpcId'] }],
  ];
  for (const [i, expected] of cases) assert.deepEqual(toPlain(i), expected, i.fn);
  // Conditions and ValueOf keep the owner of their handle; the rest have none of their own.
  assert.equal((If(c, 'a', 'b') as any).owner, owner);
  assert.equal(ValueOf(param('Subnet', other), 'VpcId').owner, other);
  assert.equal(And(c, c).owner, undefined);
  assert.equal((And(c).args as Intrinsic[])[0]!.owner, owner, 'a Condition inside keeps its owner');
});


test('the functions that need the AWS::LanguageExtensions transform are Fn::Length and Fn::ToJsonString', () => {
  assert.deepEqual([...LANGUAGE_EXTENSION_FUNCTIONS].sort(), ['Fn::Length', 'Fn::ToJsonString']);
});
