/**
 * The Service Catalog stack: a portfolio, one product for the estate and one per service, launch
 * constraints with a least-privilege role derived from the products' resource types, principals as
 * parameters, and product versions that are content hashes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { BerthError } from '../src/dsl/errors.ts';
import { sub, AWS } from '../src/dsl/intrinsic.ts';
import { toPlain } from '../src/emit/plain.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { Template } from '../src/dsl/template.ts';
import { estate as berthEstate } from '../templates/estate.ts';
import { launchPolicies, UNSCOPED } from '../templates/stacks/launch-role.ts';
import { root } from '../templates/stacks/root.ts';
import { productVersion, serviceCatalog } from '../templates/stacks/service-catalog.ts';
import { services } from '../templates/services/index.ts';
import { loadSettings, type ResolvedSettings } from '../templates/settings/settings.ts';
import { ROOT } from './_helpers.ts';

const dev = loadSettings(join(ROOT, 'templates/environments/dev.json'));
const prod = loadSettings(join(ROOT, 'templates/environments/prod.json'));

function catalog(settings: ResolvedSettings) {
  const estate = synthesize(root, { settings, services });
  return { estate, doc: toPlain(synthesize(serviceCatalog, { settings, services, estate }).toJSON()) as Record<string, any> };
}
const ofType = (doc: Record<string, any>, type: string) => Object.entries(doc.Resources as Record<string, any>).filter(([, r]) => r.Type === type);
/** Every action the launch role's policies allow, with the resources of its statement. */
function grants(doc: Record<string, any>): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const [, policy] of ofType(doc, 'AWS::IAM::ManagedPolicy')) {
    for (const s of policy.Properties.PolicyDocument.Statement) for (const a of [s.Action].flat()) m.set(a, s.Resource);
  }
  return m;
}

test('the build writes service-catalog.yaml beside the root, not nested in it', () => {
  for (const env of berthEstate.environments) {
    const [top, catalogTemplate] = berthEstate.synthesize(env);
    assert.equal(catalogTemplate!.file, 'service-catalog.yaml');
    const nested = Object.values((toPlain(top!.toJSON()) as any).Resources).map((r: any) => r.Properties.TemplateURL);
    assert.ok(!nested.includes('service-catalog.yaml'), `${env}: the root nests the portfolio`);
    assert.deepEqual(catalogTemplate!.children, []);
  }
});

test('one product for the estate and one per service, each pointing at its packaged template under the version', () => {
  const { doc } = catalog(dev);
  const products = ofType(doc, 'AWS::ServiceCatalog::CloudFormationProduct');
  assert.deepEqual(products.map(([id]) => id), ['EstateProduct', 'WebServiceProduct', 'WorkerServiceProduct', 'ReportServiceProduct']);
  const bucket = { 'Fn::If': ['HasTemplateBucket', { Ref: 'TemplateBucket' }, { 'Fn::Sub': 'berth-${AWS::AccountId}-${AWS::Region}' }] };
  const files = ['root.yaml', 'service-web.yaml', 'service-worker.yaml', 'service-report.yaml'];
  products.forEach(([, product], i) => {
    assert.deepEqual(product.Properties.ProvisioningArtifactParameters, [
      {
        Name: { Ref: 'TemplateVersion' },
        Description: { 'Fn::Sub': `${files[i]} of berth \${EnvironmentName}, version \${TemplateVersion}` },
        Info: { LoadTemplateFromURL: { 'Fn::Sub': [`https://\${Var1}.s3.\${AWS::Region}.\${AWS::URLSuffix}/\${TemplatePrefix}/dev/\${TemplateVersion}/${files[i]}`, { Var1: bucket }] } },
      },
    ]);
    assert.deepEqual(product.Properties.Owner, { Ref: 'ProductOwner' });
  });
  assert.equal(doc.Resources.EstateProduct.Properties.Description, 'berth estate dev: network, load balancer, ECS cluster and 3 services (web, worker, report).');
});

test('every product is in the portfolio and launches with the launch role, after its association exists', () => {
  const { doc } = catalog(dev);
  for (const id of ['Estate', 'WebService', 'WorkerService', 'ReportService']) {
    assert.deepEqual(doc.Resources[`${id}ProductAssociation`].Properties, { PortfolioId: { Ref: 'Portfolio' }, ProductId: { Ref: `${id}Product` } });
    assert.deepEqual(doc.Resources[`${id}LaunchConstraint`], {
      Type: 'AWS::ServiceCatalog::LaunchRoleConstraint',
      DependsOn: `${id}ProductAssociation`,
      Properties: {
        PortfolioId: { Ref: 'Portfolio' },
        ProductId: { Ref: `${id}Product` },
        RoleArn: { 'Fn::GetAtt': ['LaunchRole', 'Arn'] },
        Description: 'Provisions with the portfolio launch role: users need no permissions on the resources.',
      },
    });
  }
});

test('the launch role trusts only Service Catalog acting for this account', () => {
  const { doc } = catalog(prod);
  assert.deepEqual(doc.Resources.LaunchRole.Properties.AssumeRolePolicyDocument.Statement, [
    {
      Effect: 'Allow',
      Principal: { Service: 'servicecatalog.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    },
  ]);
  assert.deepEqual(doc.Resources.LaunchRole.Properties.ManagedPolicyArns, ['Stacks', 'Network', 'Compute', 'Identity', 'Unscoped'].map((n) => ({ Ref: `Launch${n}Policy` })));
});

test('the launch role follows the products: prod (certificate, DNS, access-log bucket) gets ACM, Route 53 and S3, dev does not', () => {
  const d = grants(catalog(dev).doc);
  const p = grants(catalog(prod).doc);
  for (const a of ['acm:RequestCertificate', 'route53:ChangeResourceRecordSets', 's3:CreateBucket']) {
    assert.ok(p.has(a), `prod lacks ${a}`);
    assert.ok(!d.has(a), `dev has ${a}`);
  }
  for (const a of ['ec2:CreateVpc', 'ecs:CreateService', 'elasticloadbalancing:CreateTargetGroup', 'iam:CreateRole', 'kms:CreateKey', 'scheduler:CreateSchedule', 'sqs:CreateQueue']) {
    assert.ok(d.has(a) && p.has(a), `missing ${a}`);
  }
});

test('write actions are scoped; only actions without resource-level permissions are on *, with a cited reference', () => {
  const { doc } = catalog(prod);
  const statements = ofType(doc, 'AWS::IAM::ManagedPolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  const star = statements.filter((s) => s.Resource === '*');
  assert.equal(star.length, 1);
  for (const a of star[0].Action as string[]) {
    assert.ok(UNSCOPED[a.split(':')[0]!], `${a} is on * without a reference`);
    assert.match(a, /:(Describe|Get|Validate|CreateKey|RegisterTaskDefinition|DeregisterTaskDefinition|RequestCertificate)/, `${a} on *`);
  }
  for (const s of statements) for (const a of [s.Action].flat()) assert.doesNotMatch(a, /(^\*$|:\*$)/, `wildcard action ${a}`);
  const g = grants(doc);
  // Roles CloudFormation names after the SC-... stack; only this environment's registry.
  assert.deepEqual(g.get('iam:CreateRole'), [{ 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/SC-*' }, { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:instance-profile/SC-*' }]);
  assert.deepEqual(g.get('ssm:PutParameter'), [{ 'Fn::Sub': 'arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/berth/${EnvironmentName}/*' }]);
  assert.deepEqual(g.get('cloudformation:CreateStack'), [{ 'Fn::Sub': 'arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/SC-*/*' }]);
});

test('iam:PassRole, service-linked roles and managed-policy attachment are limited to what the products use', () => {
  const statements = ofType(catalog(prod).doc, 'AWS::IAM::ManagedPolicy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
  const find = (action: string) => statements.find((s) => s.Action === action || (Array.isArray(s.Action) && s.Action.includes(action)));
  assert.deepEqual(find('iam:PassRole').Condition, { StringEquals: { 'iam:PassedToService': ['ec2.amazonaws.com', 'ecs-tasks.amazonaws.com', 'scheduler.amazonaws.com', 'vpc-flow-logs.amazonaws.com'] } });
  assert.deepEqual(find('iam:CreateServiceLinkedRole').Condition, {
    StringEquals: { 'iam:AWSServiceName': ['autoscaling.amazonaws.com', 'ecs.amazonaws.com', 'ecs.application-autoscaling.amazonaws.com', 'elasticloadbalancing.amazonaws.com'] },
  });
  assert.deepEqual(find('iam:AttachRolePolicy').Condition, {
    ArnEquals: {
      'iam:PolicyARN': [
        { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore' },
        { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceforEC2Role' },
      ],
    },
  });
});

test('principals are optional parameters, each associated only when given', () => {
  const { doc } = catalog(dev);
  for (const n of [1, 2, 3]) {
    assert.equal(doc.Parameters[`Principal${n}Arn`].Default, '');
    assert.deepEqual(doc.Conditions[`HasPrincipal${n}`], { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: `Principal${n}Arn` }, ''] }] });
    assert.deepEqual(doc.Resources[`Principal${n}Association`], {
      Type: 'AWS::ServiceCatalog::PortfolioPrincipalAssociation',
      Condition: `HasPrincipal${n}`,
      Properties: { PortfolioId: { Ref: 'Portfolio' }, PrincipalARN: { Ref: `Principal${n}Arn` }, PrincipalType: 'IAM' },
    });
  }
  assert.match('arn:aws:iam::123456789012:role/Developers', new RegExp(doc.Parameters.Principal1Arn.AllowedPattern));
  assert.doesNotMatch('arn:aws:iam::123456789012:policy/Admin', new RegExp(doc.Parameters.Principal1Arn.AllowedPattern));
});

test('the product version is a content hash of the product templates: the default, stable, and changed by any product change', () => {
  const { estate, doc } = catalog(dev);
  assert.match(doc.Parameters.TemplateVersion.Default, /^[0-9a-f]{12}$/);
  assert.equal(doc.Parameters.TemplateVersion.Default, productVersion(estate));
  assert.equal(productVersion(synthesize(root, { settings: dev, services })), productVersion(estate));
  const moreLogs = { ...dev, logRetentionDays: 60 } as ResolvedSettings;
  assert.notEqual(productVersion(synthesize(root, { settings: moreLogs, services })), productVersion(estate));
});

test('every product template carries console groups and labels for each parameter (the launch form)', () => {
  const { estate } = catalog(prod);
  for (const t of [estate, ...estate.children.filter((c) => c.name.startsWith('service-'))]) {
    const doc = toPlain(t.toJSON()) as Record<string, any>;
    const iface = doc.Metadata['AWS::CloudFormation::Interface'];
    const grouped = iface.ParameterGroups.flatMap((g: { Parameters: string[] }) => g.Parameters);
    assert.deepEqual([...grouped].sort(), Object.keys(doc.Parameters).sort(), t.file);
    for (const name of Object.keys(doc.Parameters)) assert.ok(iface.ParameterLabels[name]?.default, `${t.file}: ${name} has no label`);
  }
});

test('fails when a product uses a resource type the launch role has no permissions for', () => {
  const scope = { environmentName: sub`${AWS.StackName}`, templateObjects: '*', attachableManagedPolicies: [] };
  assert.throws(
    () => launchPolicies(['AWS::EC2::VPC', 'AWS::SNS::Topic'], scope),
    (e: unknown) =>
      e instanceof BerthError &&
      e.where === 'templates/stacks/launch-role.ts' &&
      /resource type `AWS::SNS::Topic`, for which the Service Catalog launch role has no permissions/.test(e.problem) &&
      /Add an entry to `GRANTS`/.test(e.problem),
  );
});

test('fails when a product role attaches a policy that is not AWS managed', () => {
  const estate = new Template({ name: 'root', description: 'a test estate' });
  estate.resource('Role', 'AWS::IAM::Role', {
    AssumeRolePolicyDocument: {},
    ManagedPolicyArns: ['arn:aws:iam::123456789012:policy/Admin'],
  });
  assert.throws(
    () => synthesize(serviceCatalog, { settings: dev, services: [], estate }),
    (e: unknown) => e instanceof BerthError && e.where === 'templates/stacks/service-catalog.ts' && /not an AWS managed policy ARN/.test(e.problem),
  );
});

test('fails when a service has no template in the estate', () => {
  const estate = new Template({ name: 'root', description: 'a test estate' });
  assert.throws(
    () => synthesize(serviceCatalog, { settings: dev, services: [services[0]!], estate }),
    (e: unknown) => e instanceof BerthError && /has no template `service-web.yaml` for service `web`/.test(e.problem),
  );
});
