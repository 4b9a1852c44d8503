// Tests for the load balancer stack. Run: node --import tsx --test test/load-balancer.test.ts
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerthError } from '../src/dsl/errors.ts';
import { toPlain } from '../src/emit/plain.ts';
import { synthesize } from '../src/dsl/stack.ts';
import { toYaml } from '../src/emit/yaml.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runControlTower } from '../scripts/lint/control-tower.ts';
import { tempDir } from './_helpers.ts';
import { certificateCovers, loadBalancer } from '../templates/stacks/load-balancer.ts';
import { loadSettings, type LoadBalancerSettings, type ResolvedSettings } from '../templates/settings/settings.ts';

type Doc = {
  Parameters: Record<string, Record<string, unknown>>;
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: unknown; Metadata?: unknown; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;
  Outputs: Record<string, { Value: unknown }>;
};

const dev = loadSettings('test/fixtures/settings/dev.json');
/** The committed prod environment: dual stack (IPv6 public subnets, dualstack ALB, AAAA record). */
const dualStack = loadSettings('test/fixtures/settings/prod.json');
/** prod over IPv4 only, the baseline most tests below describe. */
const prod: ResolvedSettings = { ...dualStack, network: { ...dualStack.network, ipv6: false }, loadBalancer: { ...dualStack.loadBalancer, dns: { ...dualStack.loadBalancer.dns!, dualStack: false } } };

const CERTIFICATE_ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-0000-1111-2222-333344445555';

function withLoadBalancer(base: ResolvedSettings, changes: Partial<LoadBalancerSettings>): ResolvedSettings {
  return { ...base, loadBalancer: { ...base.loadBalancer, ...changes } };
}

/** prod with an existing certificate instead of a DNS-validated one. */
const existing = withLoadBalancer(prod, { listener: { protocol: 'https', certificate: { source: 'existing', certificateArn: CERTIFICATE_ARN } } });

function build(settings: ResolvedSettings): Doc {
  return toPlain(synthesize(loadBalancer, settings).toJSON()) as Doc;
}

const resourceIds = (d: Doc) => Object.keys(d.Resources);
const attributes = (d: Doc) =>
  Object.fromEntries((d.Resources.LoadBalancer!.Properties.LoadBalancerAttributes as { Key: string; Value: unknown }[]).map((a) => [a.Key, a.Value]));
const skips = (d: Doc, id: string) => (d.Resources[id]!.Metadata as { checkov?: { skip: { id: string }[] } } | undefined)?.checkov?.skip.map((x) => x.id) ?? [];

const NOT_FOUND = [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not found' } }];

test('parameters: picker types without defaults, environment name defaulted from settings', () => {
  const d = build(prod);
  assert.deepEqual(Object.keys(d.Parameters), ['EnvironmentName', 'VpcId', 'PublicSubnetIds']);
  assert.equal(d.Parameters.VpcId!.Type, 'AWS::EC2::VPC::Id');
  assert.equal(d.Parameters.VpcId!.Default, undefined);
  assert.equal(d.Parameters.PublicSubnetIds!.Type, 'List<AWS::EC2::Subnet::Id>');
  assert.equal(d.Parameters.PublicSubnetIds!.Default, undefined);
  assert.equal(d.Parameters.EnvironmentName!.Default, 'prod');
  assert.equal(build(dev).Parameters.EnvironmentName!.Default, 'dev');
});

test('internet-facing ALB in the public subnets with its security group', () => {
  const lb = build(prod).Resources.LoadBalancer!;
  assert.equal(lb.Type, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
  assert.equal(lb.Properties.Type, 'application');
  assert.equal(lb.Properties.Scheme, 'internet-facing');
  assert.equal(lb.Properties.IpAddressType, 'ipv4');
  assert.deepEqual(lb.Properties.Subnets, { Ref: 'PublicSubnetIds' });
  assert.deepEqual(lb.Properties.SecurityGroups, [{ Ref: 'LoadBalancerSecurityGroup' }]);
});

test('HTTPS: security group admits the world on 80 and 443 only, with descriptions', () => {
  const sg = build(prod).Resources.LoadBalancerSecurityGroup!;
  assert.deepEqual(sg.Properties.VpcId, { Ref: 'VpcId' });
  assert.deepEqual(sg.Properties.SecurityGroupIngress, [
    { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 80, ToPort: 80, Description: 'HTTP from the internet' },
    { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'HTTPS from the internet' },
  ]);
});

test('plain HTTP: security group admits the world on 80 only', () => {
  const sg = build(dev).Resources.LoadBalancerSecurityGroup!;
  assert.deepEqual(sg.Properties.SecurityGroupIngress, [
    { CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 80, ToPort: 80, Description: 'HTTP from the internet' },
  ]);
});

test('egress: one inline rule that admits nothing (so no default allow-all); the services add theirs', () => {
  for (const settings of [dev, prod]) {
    const sg = build(settings).Resources.LoadBalancerSecurityGroup!;
    assert.deepEqual(sg.Properties.SecurityGroupEgress, [
      { IpProtocol: 'icmp', FromPort: 252, ToPort: 86, CidrIp: '255.255.255.255/32', Description: 'No traffic (stands in for no egress rule at all)' },
    ]);
  }
});

test('firewall: a REGIONAL web ACL with the rate limit first, then the three AWS managed groups, associated with the ALB', () => {
  const d = build(prod);
  const acl = d.Resources.WebAcl!.Properties as any;
  assert.equal(acl.Scope, 'REGIONAL');
  assert.equal(acl.Name, undefined);
  assert.deepEqual(acl.DefaultAction, { Allow: {} });
  assert.deepEqual(acl.Rules.map((r: any) => [r.Priority, r.Name]), [
    [0, 'rate-limit-per-ip'],
    [1, 'AWSManagedRulesAmazonIpReputationList'],
    [2, 'AWSManagedRulesKnownBadInputsRuleSet'],
    [3, 'AWSManagedRulesCommonRuleSet'],
  ]);
  assert.deepEqual(acl.Rules[0].Statement, { RateBasedStatement: { Limit: 2000, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } });
  assert.deepEqual(acl.Rules[0].Action, { Block: {} });
  for (const r of acl.Rules.slice(1)) {
    assert.deepEqual(r.OverrideAction, { None: {} });
    assert.deepEqual(r.Statement, { ManagedRuleGroupStatement: { VendorName: 'AWS', Name: r.Name } });
    assert.deepEqual(r.VisibilityConfig, { SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName: r.Name });
  }
  assert.deepEqual(d.Resources.WebAclAssociation!.Properties, { ResourceArn: { Ref: 'LoadBalancer' }, WebACLArn: { 'Fn::GetAtt': ['WebAcl', 'Arn'] } });
});

test('firewall: logs to an encrypted aws-waf-logs- group (kept except on a failed create), by its ARN without `:*`, with credentials redacted', () => {
  const d = build(prod);
  const group = d.Resources.FirewallLogGroup!;
  assert.deepEqual(group.Properties.LogGroupName, { 'Fn::Sub': 'aws-waf-logs-berth-${EnvironmentName}' });
  assert.equal(group.Properties.RetentionInDays, prod.logRetentionDays);
  assert.deepEqual(group.Properties.KmsKeyId, { 'Fn::GetAtt': ['FirewallLogKey', 'Arn'] });
  assert.equal(group.DeletionPolicy, 'RetainExceptOnCreate');
  assert.equal(d.Resources.FirewallLogKey!.Properties.EnableKeyRotation, true);
  const logging = d.Resources.FirewallLogging!.Properties;
  assert.deepEqual(logging.ResourceArn, { 'Fn::GetAtt': ['WebAcl', 'Arn'] });
  assert.deepEqual(logging.LogDestinationConfigs, [{ 'Fn::Sub': 'arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${FirewallLogGroup}' }]);
  assert.deepEqual(logging.RedactedFields, [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }]);
  // The dashboard finds the web ACL by name: the third part of its ARN (`...:regional/webacl/<name>/<id>`).
  assert.deepEqual(d.Resources.WebAclNameParameter!.Properties, {
    Name: { 'Fn::Sub': '/berth/${EnvironmentName}/web-acl-name' },
    Type: 'String',
    Value: { 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': ['WebAcl', 'Arn'] }] }] },
    Description: 'Name of the web ACL in front of the load balancer, for the dashboard.',
  });
});

test('firewall: the rate limit comes from the settings, and an environment can turn the firewall off', () => {
  const limited = build({ ...prod, loadBalancer: { ...prod.loadBalancer, firewall: { enabled: true, requestsPerFiveMinutesPerIp: 300 } } });
  assert.equal((limited.Resources.WebAcl!.Properties as any).Rules[0].Statement.RateBasedStatement.Limit, 300);
  const off = build({ ...prod, loadBalancer: { ...prod.loadBalancer, firewall: { enabled: false } } });
  assert.deepEqual(resourceIds(off).filter((id) => /WebAcl|Firewall/.test(id)), []);
  assert.equal(off.Resources.WebAclNameParameter, undefined);
});

test('load balancer attributes: invalid headers dropped, desync defensive, deletion protection and idle timeout per settings', () => {
  assert.deepEqual(attributes(build(dev)), {
    'routing.http.drop_invalid_header_fields.enabled': 'true',
    'routing.http.desync_mitigation_mode': 'defensive',
    'deletion_protection.enabled': 'false',
    'idle_timeout.timeout_seconds': '60',
    'access_logs.s3.enabled': 'false',
  });
  assert.equal(attributes(build(withLoadBalancer(dev, { idleTimeoutSeconds: 300 })))['idle_timeout.timeout_seconds'], '300');
  assert.equal(attributes(build(withLoadBalancer(dev, { idleTimeoutSeconds: undefined })))['idle_timeout.timeout_seconds'], '60');
});

test('access logs: attributes point at the bucket and the ALB waits for the bucket policy', () => {
  const d = build(prod);
  assert.deepEqual(attributes(d), {
    'routing.http.drop_invalid_header_fields.enabled': 'true',
    'routing.http.desync_mitigation_mode': 'defensive',
    'deletion_protection.enabled': 'true',
    'idle_timeout.timeout_seconds': '60',
    'access_logs.s3.enabled': 'true',
    'access_logs.s3.bucket': { Ref: 'AccessLogBucket' },
    'access_logs.s3.prefix': 'alb',
  });
  assert.equal(d.Resources.LoadBalancer!.DependsOn, 'AccessLogBucketPolicy');
  assert.ok(!resourceIds(build(dev)).includes('AccessLogBucket'));
  assert.ok(!resourceIds(build(dev)).includes('AccessLogBucketPolicy'));
});

test('access-log bucket: SSE-S3, versioned, private, owner-enforced, expiring, retained', () => {
  const bucket = build(prod).Resources.AccessLogBucket!;
  assert.equal(bucket.Type, 'AWS::S3::Bucket');
  assert.deepEqual(bucket.Properties.BucketEncryption, { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] });
  assert.deepEqual(bucket.Properties.VersioningConfiguration, { Status: 'Enabled' });
  assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
  assert.deepEqual(bucket.Properties.OwnershipControls, { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
  assert.deepEqual(bucket.Properties.NotificationConfiguration, { EventBridgeConfiguration: { EventBridgeEnabled: true } });
  assert.deepEqual(bucket.Properties.LifecycleConfiguration, {
    Rules: [{ Id: 'expire-access-logs', Status: 'Enabled', ExpirationInDays: prod.logRetentionDays, NoncurrentVersionExpiration: { NoncurrentDays: 30 } }],
  });
  assert.equal(bucket.DeletionPolicy, 'Retain');
  assert.equal(bucket.UpdateReplacePolicy, 'Retain');
  assert.deepEqual(skips(build(prod), 'AccessLogBucket'), ['CKV_AWS_18']);
});

test('access-log bucket policy: the Region\'s ELB writer (account before August 2022, log delivery service after) on this account\'s prefix, TLS only', () => {
  const d = build(prod) as unknown as { Mappings: Record<string, Record<string, { AccountId: string }>>; Conditions: Record<string, unknown> };
  // AWS's table of ELB accounts for the Regions available before August 2022.
  assert.equal(d.Mappings.ElbLogDeliveryAccounts!['eu-west-1']!.AccountId, '156460612806');
  assert.equal(d.Mappings.ElbLogDeliveryAccounts!['us-east-1']!.AccountId, '127311923021');
  assert.equal(Object.keys(d.Mappings.ElbLogDeliveryAccounts!).length, 26);
  // The condition holds exactly for those Regions (Or nested in groups of at most 10).
  const regions = JSON.stringify(d.Conditions.IsRegionWithElbAccount).match(/"[a-z]{2}(-gov)?-[a-z]+-\d"/g)!.map((r) => JSON.parse(r) as string);
  assert.deepEqual(new Set(regions), new Set(Object.keys(d.Mappings.ElbLogDeliveryAccounts!)));
  const policy = build(prod).Resources.AccessLogBucketPolicy!;
  assert.deepEqual(policy.Properties.Bucket, { Ref: 'AccessLogBucket' });
  assert.deepEqual(policy.Properties.PolicyDocument, {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowLoadBalancerLogDelivery',
        Effect: 'Allow',
        Principal: {
          'Fn::If': [
            'IsRegionWithElbAccount',
            { AWS: { 'Fn::Sub': ['arn:${AWS::Partition}:iam::${Var1}:root', { Var1: { 'Fn::FindInMap': ['ElbLogDeliveryAccounts', { Ref: 'AWS::Region' }, 'AccountId'] } }] } },
            { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' },
          ],
        },
        Action: 's3:PutObject',
        Resource: { 'Fn::Sub': '${AccessLogBucket.Arn}/alb/AWSLogs/${AWS::AccountId}/*' },
        // No aws:SourceAccount: AWS documents none for log delivery; the prefix names this account.
      },
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        // Fn::Join, the one form of the objects' ARN that Control Tower's CT.S3.PR.8 recognises.
        Resource: [{ 'Fn::GetAtt': ['AccessLogBucket', 'Arn'] }, { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['AccessLogBucket', 'Arn'] }, '/*']] }],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  });
});

test('HTTPS with a DNS-validated certificate: TLS 1.3 policy, fixed 404, port 80 redirects', () => {
  const d = build(prod);
  assert.deepEqual(d.Resources.Certificate, {
    Type: 'AWS::CertificateManager::Certificate',
    Properties: {
      DomainName: 'app.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'app.example.com', HostedZoneId: 'Z0123456789EXAMPLE0000' }],
      Tags: [{ Key: 'Name', Value: { 'Fn::Sub': '${EnvironmentName}-alb' } }],
    },
  });
  assert.deepEqual(d.Resources.HttpsListener!.Properties, {
    LoadBalancerArn: { Ref: 'LoadBalancer' },
    Port: 443,
    Protocol: 'HTTPS',
    SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    Certificates: [{ CertificateArn: { Ref: 'Certificate' } }],
    DefaultActions: NOT_FOUND,
  });
  assert.deepEqual(d.Resources.HttpListener!.Properties, {
    LoadBalancerArn: { Ref: 'LoadBalancer' },
    Port: 80,
    Protocol: 'HTTP',
    DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
  });
  assert.equal(d.Parameters.CertificateArn, undefined);
  assert.deepEqual(d.Outputs.ListenerArn!.Value, { Ref: 'HttpsListener' });
});

test('HTTPS with an existing certificate: a CertificateArn parameter defaulted to it, no certificate resource', () => {
  const d = build(existing);
  assert.deepEqual(d.Parameters.CertificateArn, {
    Type: 'String',
    Description: 'ARN of the ACM certificate of the HTTPS listener, in the Region of the stack.',
    Default: CERTIFICATE_ARN,
    AllowedPattern: '^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[A-Za-z0-9-]+$',
    ConstraintDescription: 'an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/...',
  });
  assert.ok(!resourceIds(d).includes('Certificate'));
  assert.deepEqual(d.Resources.HttpsListener!.Properties.Certificates, [{ CertificateArn: { Ref: 'CertificateArn' } }]);
  assert.equal(d.Resources.HttpsListener!.Properties.SslPolicy, 'ELBSecurityPolicy-TLS13-1-2-2021-06');
  // CT.ELASTICLOADBALANCING.PR.2 cannot follow the parameter: the exception names the setting.
  assert.deepEqual(d.Resources.HttpsListener!.Metadata, {
    guard: {
      SuppressedRules: ['elbv2_acm_certificate_required_check'],
      Reasons: {
        elbv2_acm_certificate_required_check: `CT.ELASTICLOADBALANCING.PR.2: the environment uses an existing certificate (${existing.file}: loadBalancer.listener.certificate.source), passed as the CertificateArn parameter, whose AllowedPattern admits only ACM certificate ARNs (^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[A-Za-z0-9-]+$).`,
      },
    },
  });
  assert.equal(build(prod).Resources.HttpsListener!.Metadata, undefined, 'a certificate of the template itself needs no exception');
});

test('the Control Tower gate passes both certificate forms: the existing one by its exception, the template\'s own outright', async () => {
  const dir = tempDir('lb-guard');
  for (const [name, settings] of [['existing', existing], ['dns', prod]] as const) {
    // Named as in output/<env>/: the allow-list's entries name their template.
    mkdirSync(join(dir, name));
    const file = join(dir, name, 'load-balancer.yaml');
    writeFileSync(file, toYaml(build(settings)));
    const r = await runControlTower([file]);
    assert.deepEqual([r.failures, r.errors], [[], []], name);
    const skipped = r.skips.filter((x) => x.rule === 'CT.ELASTICLOADBALANCING.PR.2').map((x) => x.resource);
    assert.deepEqual(skipped, name === 'existing' ? ['HttpsListener'] : [], name);
  }
});

test('plain HTTP (dev opt-in): only an HTTP listener with the fixed 404, no certificate', () => {
  const d = build(dev);
  assert.deepEqual(d.Resources.HttpListener!.Properties, { LoadBalancerArn: { Ref: 'LoadBalancer' }, Port: 80, Protocol: 'HTTP', DefaultActions: NOT_FOUND });
  assert.deepEqual(
    resourceIds(d).filter((id) => d.Resources[id]!.Type === 'AWS::ElasticLoadBalancingV2::Listener'),
    ['HttpListener'],
  );
  assert.ok(!resourceIds(d).includes('Certificate'));
  assert.deepEqual(d.Outputs.ListenerArn!.Value, { Ref: 'HttpListener' });
  assert.deepEqual(skips(d, 'HttpListener'), ['CKV_AWS_2', 'CKV_AWS_103']);
});

test('checkov skips for settings-driven choices appear only where the environment made them', () => {
  assert.deepEqual(skips(build(dev), 'LoadBalancer'), ['CKV_AWS_91', 'CKV_AWS_150']);
  assert.deepEqual(skips(build(prod), 'LoadBalancer'), []);
  assert.deepEqual(skips(build(prod), 'HttpListener'), []);
});

test('Route 53: an alias A record for the domain pointing at the ALB', () => {
  const d = build(prod);
  assert.deepEqual(d.Resources.AliasRecordA, {
    Type: 'AWS::Route53::RecordSet',
    Properties: {
      HostedZoneId: 'Z0123456789EXAMPLE0000',
      Name: 'app.example.com',
      Type: 'A',
      AliasTarget: {
        DNSName: { 'Fn::GetAtt': ['LoadBalancer', 'DNSName'] },
        HostedZoneId: { 'Fn::GetAtt': ['LoadBalancer', 'CanonicalHostedZoneID'] },
        EvaluateTargetHealth: true,
      },
    },
  });
  assert.ok(!resourceIds(d).includes('AliasRecordAAAA'));
  assert.ok(!resourceIds(build(dev)).some((id) => id.startsWith('AliasRecord')));
});

test('dual stack: dualstack ALB, AAAA alias record, IPv6 ingress on 80 and 443', () => {
  const d = build(dualStack);
  assert.equal(d.Resources.LoadBalancer!.Properties.IpAddressType, 'dualstack');
  const aaaa = d.Resources.AliasRecordAAAA!;
  assert.equal(aaaa.Properties.Type, 'AAAA');
  assert.equal(aaaa.Properties.Name, 'app.example.com');
  assert.deepEqual(aaaa.Properties.AliasTarget, d.Resources.AliasRecordA!.Properties.AliasTarget);
  assert.deepEqual(
    (d.Resources.LoadBalancerSecurityGroup!.Properties.SecurityGroupIngress as Record<string, unknown>[]).filter((r) => 'CidrIpv6' in r),
    [
      { CidrIpv6: '::/0', IpProtocol: 'tcp', FromPort: 80, ToPort: 80, Description: 'HTTP from the internet (IPv6)' },
      { CidrIpv6: '::/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: 'HTTPS from the internet (IPv6)' },
    ],
  );
});

test('outputs: typed contract values', () => {
  const d = build(prod);
  assert.deepEqual(
    Object.fromEntries(Object.entries(d.Outputs).map(([k, o]) => [k, o.Value])),
    {
      LoadBalancerSecurityGroupId: { Ref: 'LoadBalancerSecurityGroup' },
      ListenerArn: { Ref: 'HttpsListener' },
      LoadBalancerFullName: { 'Fn::GetAtt': ['LoadBalancer', 'LoadBalancerFullName'] },
      LoadBalancerDnsName: { 'Fn::GetAtt': ['LoadBalancer', 'DNSName'] },
      LoadBalancerArn: { Ref: 'LoadBalancer' },
      ListenerArnParameter: { Ref: 'ListenerArnParameter' },
      LoadBalancerFullNameParameter: { Ref: 'LoadBalancerFullNameParameter' },
      Url: 'https://app.example.com',
    },
  );
  assert.deepEqual(d.Resources.ListenerArnParameter!.Properties, {
    Name: { 'Fn::Sub': '/berth/${EnvironmentName}/listener-arn' },
    Type: 'String',
    Value: { Ref: 'HttpsListener' },
    Description: 'Listener services add their rules to.',
  });
  assert.deepEqual(build(dev).Outputs.Url!.Value, { 'Fn::Sub': 'http://${LoadBalancer.DNSName}' });
  const noDns = withLoadBalancer(existing, { dns: undefined });
  assert.deepEqual(build(noDns).Outputs.Url!.Value, { 'Fn::Sub': 'https://${LoadBalancer.DNSName}' });
});

test('template bodies stay well under the 51,200-byte limit', () => {
  for (const settings of [dev, prod, existing, dualStack]) {
    const bytes = Buffer.byteLength(toYaml(synthesize(loadBalancer, settings).toJSON()));
    assert.ok(bytes < 25_000, `${settings.name}: ${bytes} bytes`);
  }
});

test('certificateCovers: exact names and one-level wildcards', () => {
  assert.equal(certificateCovers('app.example.com', 'app.example.com'), true);
  assert.equal(certificateCovers('*.example.com', 'app.example.com'), true);
  assert.equal(certificateCovers('*.example.com', 'a.b.example.com'), false);
  assert.equal(certificateCovers('*.example.com', 'example.com'), false);
  assert.equal(certificateCovers('www.example.com', 'app.example.com'), false);
});

test('fails when the DNS name is not covered by the DNS-validated certificate', () => {
  const mismatch = withLoadBalancer(prod, { dns: { domainName: 'www.example.com', hostedZoneId: 'Z0123456789EXAMPLE0000' } });
  assert.throws(
    () => synthesize(loadBalancer, mismatch),
    (e: unknown) =>
      e instanceof BerthError &&
      e.where === 'test/fixtures/settings/prod.json: loadBalancer.dns.domainName' &&
      e.problem.startsWith('`www.example.com` is not covered by the certificate for `app.example.com`'),
  );
  // A wildcard certificate one level up is fine.
  const wildcard = withLoadBalancer(mismatch, {
    listener: { protocol: 'https', certificate: { source: 'dnsValidated', domainName: '*.example.com', hostedZoneId: 'Z0123456789EXAMPLE0000' } },
  });
  assert.equal(build(wildcard).Resources.Certificate!.Properties.DomainName, '*.example.com');
});
