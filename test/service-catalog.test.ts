/**
 * The Service Catalog stack: a foundation product and one product per service, each launched with
 * a launch role derived from AWS's resource provider schemas (launch-role.generated.ts), scoped to
 * the estate and unable to escalate; EnvironmentName fixed by a template constraint; the roles the
 * products create carry the environment's path and, under Service Catalog, the portfolio's
 * boundary. Properties here hold for any estate (every environment of templates/ is checked);
 * exact statements are checked on fixtures built in the test.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { flatten } from '../src/dsl/estate.ts';
import { AWS, sub } from '../src/dsl/intrinsic.ts';
import { toPlain } from '../src/emit/plain.ts';
import { toYaml } from '../src/emit/yaml.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { estate as berthEstate } from '../templates/estate.ts';
import { ACTIONS, HANDLER_PERMISSIONS } from '../templates/stacks/launch-role.generated.ts';
import { CUSTOM_RESOURCE_ACTIONS, EXCLUDED, grantedActions, handlerActions, launchPolicies, onlyOnStar } from '../templates/stacks/launch-role.ts';
import { root } from '../templates/stacks/root.ts';
import { synthesizeFoundation } from '../templates/stacks/foundation.ts';
import { productVersion, serviceCatalog } from '../templates/stacks/service-catalog.ts';
import { services } from '../templates/services/index.ts';
import { stores } from '../templates/storage/index.ts';
import { loadSettings } from '../templates/settings/settings.ts';
import { RESOURCE_TYPES } from '../scripts/gen-types.ts';
import { checkTemplate, parseTemplate as policyTemplate, starAllowed } from '../scripts/lint/policy-rules.ts';
import { ROOT } from './_helpers.ts';

type Doc = Record<string, any>;
const plain = (t: { toJSON(): unknown }) => toPlain(t.toJSON()) as Doc;

/** Every environment of the estate: its top-level templates as plain JSON, and all product templates. */
const environments = berthEstate.environments.map((env) => {
  const [foundation, estate, catalog, launchRole] = berthEstate.synthesize(env);
  const products = flatten([foundation!, estate!]).filter((t) => t.file !== 'root.yaml');
  assert.equal(launchRole!.file, 'launch-role.yaml');
  return { env, estate: estate!, foundation: foundation!, catalog: plain(catalog!), launchRole: plain(launchRole!), products: products.map((t) => ({ file: t.file, doc: plain(t) })) };
});
const ofType = (doc: Doc, type: string) => Object.entries(doc.Resources as Record<string, any>).filter(([, r]) => r.Type === type);
/** Every statement of the launch role's managed policies. */
const statements = (doc: Doc) => ofType(doc, 'AWS::IAM::ManagedPolicy').filter(([id]) => id.startsWith('Launch')).flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Doc[]);
const actionsOf = (st: Doc) => [st.Action].flat() as string[];

test('the products are the foundation and one per service, side by side; the whole estate is not one of them', () => {
  for (const { env, catalog, foundation } of environments) {
    const products = ofType(catalog, 'AWS::ServiceCatalog::CloudFormationProduct');
    assert.deepEqual(products.map(([id]) => id), ['FoundationProduct', ...services.map((s) => `${s.name[0]!.toUpperCase()}${s.name.slice(1).replace(/-(\w)/g, (_, c: string) => c.toUpperCase())}ServiceProduct`)], env);
    const files = products.map(([, p]) => JSON.stringify(p.Properties.ProvisioningArtifactParameters[0].Info.LoadTemplateFromURL).match(/\/([\w-]+\.yaml)/)![1]);
    assert.deepEqual(files, ['foundation.yaml', ...services.map((s) => `service-${s.name}.yaml`)], env);
    // The foundation nests the operations stack (the alarm topic), the network, the load balancer,
    // the cluster, each data store and the dashboard (each service's part a note until its stack's
    // widgets are passed in), and no service.
    assert.deepEqual(
      ofType(plain(foundation), 'AWS::CloudFormation::Stack').map(([, r]) => r.Properties.TemplateURL),
      ['operations.yaml', 'network.yaml', 'load-balancer.yaml', 'cluster.yaml', ...stores.map((s) => `data-${s.name}.yaml`), 'dashboard.yaml'],
      env,
    );
  }
});

test('every product launches with the launch role and a template constraint that fixes EnvironmentName to the portfolio\'s environment', () => {
  for (const { env, catalog } of environments) {
    for (const [id] of ofType(catalog, 'AWS::ServiceCatalog::CloudFormationProduct')) {
      const product = id.replace(/Product$/, '');
      // By name (LocalRoleName), never by ARN: a member account uses its own role of that name.
      assert.deepEqual(catalog.Resources[`${product}LaunchConstraint`].Properties.LocalRoleName, { Ref: 'LaunchRole' });
      assert.equal(catalog.Resources[`${product}LaunchConstraint`].Properties.RoleArn, undefined);
      const constraint = catalog.Resources[`${product}TemplateConstraint`];
      assert.equal(constraint.Type, 'AWS::ServiceCatalog::LaunchTemplateConstraint');
      assert.equal(constraint.DependsOn, `${product}ProductAssociation`);
      const rules = JSON.parse(constraint.Properties.Rules);
      assert.deepEqual(rules.EnvironmentFixed.Assertions[0].Assert, { 'Fn::Equals': [{ Ref: 'EnvironmentName' }, env] });
    }
    // The environment's tag goes on everything the portfolio provisions.
    assert.deepEqual(catalog.Resources.EnvironmentTagOption.Properties, { Key: 'berth:environment', Value: env, Active: true });
    assert.deepEqual(catalog.Resources.EnvironmentTagOptionAssociation.Properties, { ResourceId: { Ref: 'Portfolio' }, TagOptionId: { Ref: 'EnvironmentTagOption' } });
  }
});

test('launch-role.yaml is the portfolio\'s launch kit alone (boundary, policies, role of the same names), for member accounts', () => {
  for (const { env, catalog, launchRole } of environments) {
    const kit = (doc: Doc) => Object.fromEntries(Object.entries(doc.Resources as Record<string, Doc>).filter(([, r]) => r.Type.startsWith('AWS::IAM::')));
    assert.deepEqual(Object.keys(launchRole.Resources), Object.keys(kit(catalog)), env);
    assert.deepEqual(catalog.Resources.LaunchRole.Properties.RoleName, { 'Fn::Sub': 'berth-${EnvironmentName}-launch' });
    assert.equal(catalog.Resources.LaunchRole.Properties.Path, undefined, 'Service Catalog finds the role by name alone: at the root path');
    // The same resources, the same bucket expression (this account's bucket unless one is given).
    assert.deepEqual(kit(launchRole), kit(catalog), env);
    assert.deepEqual(launchRole.Conditions.HasTemplateBucket, catalog.Conditions.HasTemplateBucket);
    assert.equal(launchRole.Parameters.TemplateBucket.Default, '');
    assert.match(launchRole.Parameters.TemplateBucket.Description, /^S3 bucket of the PUBLISHING account/);
    assert.deepEqual(Object.keys(launchRole.Outputs), ['LaunchRoleName', 'LaunchRoleArn']);
    assert.deepEqual(launchRole.Outputs.LaunchRoleName.Value, { Ref: 'LaunchRole' });
  }
});

test('every role and instance profile the products create lives under /berth/<env>/<service it trusts>/ and carries the boundary under Service Catalog', () => {
  for (const { env, products } of environments) {
    let roles = 0;
    for (const { file, doc } of products) {
      for (const [id, r] of ofType(doc, 'AWS::IAM::Role')) {
        roles++;
        const service = r.Properties.AssumeRolePolicyDocument.Statement[0].Principal.Service;
        assert.equal(r.Properties.Path, `/berth/${env}/${service}/`, `${file} ${id}`);
        assert.deepEqual(r.Properties.PermissionsBoundary, {
          'Fn::If': ['IsServiceCatalog', { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:policy/berth/${env}/role-boundary` }, { Ref: 'AWS::NoValue' }],
        }, `${file} ${id}`);
        // Service Catalog names its stacks SC-<account>-pp-<id>; scripts/deploy.sh names them berth-<env>-...
        assert.deepEqual(doc.Conditions.IsServiceCatalog, { 'Fn::Equals': [{ 'Fn::Select': [0, { 'Fn::Split': ['-', { Ref: 'AWS::StackName' }] }] }, 'SC'] });
      }
      for (const [id, p] of ofType(doc, 'AWS::IAM::InstanceProfile')) assert.match(p.Properties.Path, new RegExp(`^/berth/${env}/`), `${file} ${id}`);
    }
    assert.ok(roles > 0, env);
  }
});

test('the launch role covers every action the products\' resource types list for create, read, update and delete (AWS\'s schemas), in the types\' own namespaces and beyond', () => {
  for (const { env, catalog, products } of environments) {
    const types = [...new Set(products.flatMap(({ doc }) => Object.values(doc.Resources as Record<string, any>).map((r) => r.Type as string)))];
    const granted = statements(catalog);
    const allowed = (action: string) =>
      granted.some((st) => actionsOf(st).some((p) => new RegExp(`^${p.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action)));
    for (const type of types) {
      // A custom resource: CloudFormation invokes its function with the deployer's credentials.
      if (type.startsWith('Custom::')) {
        for (const action of CUSTOM_RESOURCE_ACTIONS) assert.ok(allowed(action), `${env}: ${type} needs ${action}`);
        continue;
      }
      const own = type.split('::')[1]!.toLowerCase();
      for (const op of ['create', 'read', 'update', 'delete'] as const) {
        for (const raw of HANDLER_PERMISSIONS[type]![op]) {
          const action = raw.toLowerCase().startsWith(`${own}:`) || !(raw in EXCLUDED) ? raw : raw;
          if (action in EXCLUDED || ACTIONS[action]?.known === false) continue; // not grantable (documented in EXCLUDED / the generated table)
          assert.ok(allowed(action), `${env}: ${type} ${op} needs ${action}`);
        }
      }
    }
    // What CloudFormation itself calls: Fn::GetAZs (the cluster's subnets), the SSM AMI parameter, AWS-specific parameter types.
    for (const action of ['ec2:DescribeAvailabilityZones', 'ssm:GetParameters', 'ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'cloudformation:SetStackPolicy', 'cloudformation:CreateChangeSet', 'autoscaling:SuspendProcesses']) {
      assert.ok(allowed(action), `${env}: ${action}`);
    }
    // Service Catalog reads the template from its own bucket (the tag the documentation names).
    assert.ok(granted.some((st) => st.Action === 's3:GetObject' && st.Condition?.StringEquals?.['s3:ExistingObjectTag/servicecatalog:provisioning'] === 'true'));
  }
});

test('the table covers every resource type berth generates types for, and the launch role refuses a type it does not list', () => {
  assert.deepEqual(Object.keys(HANDLER_PERMISSIONS).sort(), [...RESOURCE_TYPES].sort());
  assert.throws(() => handlerActions(['AWS::Batch::JobQueue']), (e: unknown) => e instanceof BerthError && /resource type `AWS::Batch::JobQueue`.*RESOURCE_TYPES in scripts\/gen-types\.ts.*make types permissions/.test(e.message));
  // A custom resource type needs no table entry: its function is invoked.
  assert.deepEqual(handlerActions(['Custom::ClosedDefaultSecurityGroup']), ['lambda:InvokeFunction']);
});

test('scoped writes: IAM only under the path with the boundary, PassRole per service, EC2 and KMS by the environment tag, Route 53 only in the environment\'s zones, * only where IAM allows nothing else', () => {
  for (const { env, catalog, products } of environments) {
    const all = statements(catalog);
    for (const st of all) {
      const acts = actionsOf(st);
      const resources = JSON.stringify(st.Resource);
      if (st.Resource === '*') for (const a of acts) assert.ok(onlyOnStar(a) || starAllowed(a), `${env}: ${a} on *`);
      for (const a of acts.filter((x) => x.startsWith('iam:'))) {
        if (a === 'iam:CreateServiceLinkedRole') assert.ok(st.Condition.StringEquals['iam:AWSServiceName']);
        // A read that takes no resource (iam:ListRoles, which RDS's instance handler calls) is on `*`.
        else if (st.Resource === '*') assert.ok(/^iam:(List|Get)/.test(a) && onlyOnStar(a), `${env}: ${a} on *`);
        else assert.match(resources, new RegExp(`:(role|instance-profile)/berth/${env}/`), `${env}: ${a}`);
        if (['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy'].includes(a)) assert.deepEqual(st.Condition.StringEquals['iam:PermissionsBoundary'], { Ref: 'RoleBoundary' });
        if (a === 'iam:PassRole') assert.equal(resources.match(/role\/berth\/[\w-]+\/([^/]+)\//)![1], st.Condition.StringEquals['iam:PassedToService']);
      }
      assert.ok(!acts.includes('iam:DeleteRolePermissionsBoundary'));
      if (acts.some((a) => a.startsWith('route53:ChangeResourceRecordSets'))) {
        const zones = new Set(products.flatMap(({ doc }) => ofType(doc, 'AWS::Route53::RecordSet').map(([, r]) => r.Properties.HostedZoneId)));
        assert.deepEqual(resources.match(/hostedzone\/([\w]+)/g)!.map((z) => z.slice(11)).sort(), [...zones].sort());
      }
    }
    const ec2Create = all.find((st) => actionsOf(st).includes('ec2:CreateVpc'));
    assert.deepEqual(ec2Create?.Condition, { StringEquals: { 'aws:RequestTag/berth:environment': env } }, env);
    const ec2Delete = all.find((st) => actionsOf(st).includes('ec2:DeleteVpc'));
    assert.deepEqual(ec2Delete?.Condition, { StringEquals: { 'aws:ResourceTag/berth:environment': env } }, env);
    const kms = all.find((st) => actionsOf(st).includes('kms:PutKeyPolicy'));
    assert.deepEqual(kms?.Condition, { StringEquals: { 'aws:ResourceTag/berth:environment': env } }, env);
    // Each managed policy stays under IAM's 6,144-character limit (whitespace excluded).
    for (const [id, p] of ofType(catalog, 'AWS::IAM::ManagedPolicy')) assert.ok(JSON.stringify(p.Properties.PolicyDocument).length < 6144, `${env}: ${id}`);
  }
});

test('the policy gate passes the generated launch role and fails one that could escalate (the old SC-* role, an unbounded CreateRole, PassRole to any service)', () => {
  const [, , catalog] = berthEstate.synthesize(berthEstate.environments[0]!);
  const clean = checkTemplate(policyTemplate('service-catalog.yaml', toYaml(catalog!.toJSON())));
  assert.deepEqual(clean.findings, []);
  assert.ok(clean.passedByRule['launch-role-no-escalation'] > 5);

  const escalating = `
Resources:
  LaunchRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - { Effect: Allow, Principal: { Service: servicecatalog.amazonaws.com }, Action: sts:AssumeRole, Condition: { StringEquals: { aws:SourceAccount: !Ref AWS::AccountId } } }
      ManagedPolicyArns: [!Ref Identity]
  Identity:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - { Effect: Allow, Action: [iam:PutRolePolicy, iam:UpdateAssumeRolePolicy], Resource: !Sub 'arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/SC-*' }
          - { Effect: Allow, Action: iam:CreateRole, Resource: !Sub 'arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/berth/dev/*' }
          - { Effect: Allow, Action: iam:PassRole, Resource: !Sub 'arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/berth/dev/*' }
          - { Effect: Allow, Action: iam:Attach*, Resource: '*' }
`;
  const r = checkTemplate(policyTemplate('escalating.yaml', escalating));
  const messages = r.findings.filter((f) => f.rule === 'launch-role-no-escalation').map((f) => `${f.logicalId} ${f.property}: ${f.message}`);
  assert.deepEqual(messages, [
    'Identity Properties.PolicyDocument.Statement[0].Action: lets launch role `LaunchRole` `iam:PutRolePolicy`, `iam:UpdateAssumeRolePolicy` on `"arn:${AWS::Partition}:iam::${AWS::AccountId}:role/SC-*"`: roles outside the estate (the /berth/<environment>/ path), so it could write or pass any such role. Scope Resource to `role/berth/<environment>/...`.',
    'Identity Properties.PolicyDocument.Statement[0].Action: lets launch role `LaunchRole` `iam:PutRolePolicy` without requiring the permissions boundary: a role it writes could hold any permission. Add `Condition: { StringEquals: { iam:PermissionsBoundary: <the boundary policy> } }`.',
    'Identity Properties.PolicyDocument.Statement[1].Action: lets launch role `LaunchRole` `iam:CreateRole` without requiring the permissions boundary: a role it writes could hold any permission. Add `Condition: { StringEquals: { iam:PermissionsBoundary: <the boundary policy> } }`.',
    'Identity Properties.PolicyDocument.Statement[2].Action: lets launch role `LaunchRole` `iam:PassRole` to any service: a role could be handed to a service that runs code. Add `Condition: { StringEquals: { iam:PassedToService: <the service> } }`.',
    'Identity Properties.PolicyDocument.Statement[3].Action: lets launch role `LaunchRole` `iam:AttachUserPolicy`, `iam:AttachGroupPolicy`: a way to grant itself or others more than the products need. Remove them.',
    'Identity Properties.PolicyDocument.Statement[3].Action: lets launch role `LaunchRole` `iam:AttachRolePolicy` on `*`: roles outside the estate (the /berth/<environment>/ path), so it could write or pass any such role. Scope Resource to `role/berth/<environment>/...`.',
    'Identity Properties.PolicyDocument.Statement[3].Action: lets launch role `LaunchRole` `iam:AttachRolePolicy` without requiring the permissions boundary: a role it writes could hold any permission. Add `Condition: { StringEquals: { iam:PermissionsBoundary: <the boundary policy> } }`.',
  ]);
});

test('the boundary caps the products\' roles at the services their policies use, plus passing the estate\'s own roles', () => {
  for (const { env, catalog } of environments) {
    const b = catalog.Resources.RoleBoundary;
    assert.deepEqual([b.Properties.ManagedPolicyName, b.Properties.Path], ['role-boundary', `/berth/${env}/`]);
    const [services, pass] = b.Properties.PolicyDocument.Statement;
    for (const s of ['ecs:*', 'ecr:*', 'logs:*', 'ssm:*']) assert.ok(services.Action.includes(s), `${env}: ${s}`);
    assert.ok(!services.Action.some((a: string) => a.startsWith('iam:')), env);
    assert.deepEqual(pass, { Sid: 'PassEstateRoles', Effect: 'Allow', Action: 'iam:PassRole', Resource: { 'Fn::Sub': `arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/berth/${env}/*` } });
  }
});

test('the product version is a content hash of the product templates: stable, and changed by any product change', () => {
  const settings = loadSettings(join(ROOT, 'templates/environments', `${berthEstate.environments[0]}.json`));
  const estate = synthesize(root, { settings, services, stores });
  const foundation = synthesizeFoundation(settings, services, stores);
  const v = productVersion(estate, foundation);
  assert.match(v, /^[0-9a-f]{12}$/);
  assert.equal(productVersion(synthesize(root, { settings, services, stores }), synthesizeFoundation(settings, services, stores)), v);
  const changed = { ...settings, logRetentionDays: (settings.logRetentionDays === 1 ? 3 : 1) as 1 | 3 };
  assert.notEqual(productVersion(synthesize(root, { settings: changed, services, stores }), foundation), v);
  const doc = plain(synthesize(serviceCatalog, { settings, services, estate, foundation }));
  assert.equal(doc.Parameters.TemplateVersion.Default, v);
});

test('launchPolicies scopes to what it is given: no Route 53 statement without zones, the zones named when given', () => {
  const scope = { environment: 'fixture', templateObjects: 'arn:aws:s3:::b/p/*', attachableManagedPolicies: [], boundary: sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:policy/x`, roleServices: ['ecs-tasks.amazonaws.com'] };
  const without = grantedActions(launchPolicies(['AWS::ECS::Cluster'], scope));
  assert.ok(!without.has('route53:ChangeResourceRecordSets'));
  assert.ok(without.has('ecs:CreateCluster'));
  const withZone = launchPolicies(['AWS::Route53::RecordSet'], { ...scope, hostedZones: ['Z123'] });
  const st = withZone.flatMap((p) => p.statements as Doc[]).find((x) => actionsOf(x).includes('route53:ChangeResourceRecordSets'))!;
  assert.deepEqual(toPlain(st.Resource), [{ 'Fn::Sub': 'arn:${AWS::Partition}:route53:::hostedzone/Z123' }, { 'Fn::Sub': 'arn:${AWS::Partition}:route53:::change/*' }]);
});
