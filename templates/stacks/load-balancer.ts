/**
 * The load balancer stack: an internet-facing Application Load Balancer in the public subnets,
 * the one entry point of the estate. Its security group admits the world on 80 / 443 only and
 * sends traffic only to the application subnets. HTTPS with an ACM certificate and a TLS 1.3
 * policy, port 80 redirecting to it; plain HTTP only where an environment opts in. Services attach
 * listener rules to `ListenerArn`; anything no rule matches gets a fixed 404.
 */
import { at } from '../../src/settings/loader.ts';
import { AWS, BerthError, contract, defineStack, Equals, If, Join, Or, output, parameter, q, RETAIN, sub, type Intrinsic, type OutputsOf, type Resource, type Template, type Value } from '../../src/dsl/index.ts';
import { publish } from './shared/registry.ts';
import type { ResolvedSettings } from '../settings/settings.ts';
import { resolveThresholds } from '../settings/operations.ts';
import { alarm, alarmTopicArn } from './shared/alarms.ts';
import { loadBalancerMetric } from './shared/metrics.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { addFirewall, hasFirewall } from './firewall.ts';
import { NO_TRAFFIC_EGRESS } from './shared/egress.ts';
import { withGuardExemptions } from './shared/guard.ts';

const CERTIFICATE_ARN_PATTERN = '^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[A-Za-z0-9-]+$';

/** TLS 1.3 with TLS 1.2 fallback, forward-secret ciphers only. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/describe-ssl-policies.html */
export const SSL_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';
/** Key prefix of the access logs in the bucket (must not start with `AWSLogs` nor end with `/`). */
export const ACCESS_LOG_PREFIX = 'alb';
/** Days a deleted (noncurrent) log object version is kept: an undo window for accidental deletes. */
export const NONCURRENT_LOG_DAYS = 30;
/** Used when `loadBalancer.idleTimeoutSeconds` is not set: the ALB's own default. */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;

type Tag = { readonly Key: string; readonly Value: Intrinsic<'String'> };


/** Whether an ACM certificate for `certificateName` (possibly `*.zone`) is valid for host `name`. */
export function certificateCovers(certificateName: string, name: string): boolean {
  if (certificateName === name) return true;
  // A wildcard covers exactly one label: *.example.com covers app.example.com, not a.b.example.com.
  if (!certificateName.startsWith('*.')) return false;
  const dot = name.indexOf('.');
  return dot > 0 && name.slice(dot + 1) === certificateName.slice(2);
}

/** Settings checks this stack needs beyond the schema. */
function checkLoadBalancerSettings(s: ResolvedSettings): void {
  const { listener, dns } = s.loadBalancer;
  if (listener.protocol === 'https' && listener.certificate.source === 'dnsValidated' && dns && !certificateCovers(listener.certificate.domainName, dns.domainName)) {
    throw new BerthError(
      at(s.file, 'loadBalancer.dns.domainName'),
      `${q(dns.domainName)} is not covered by the certificate for ${q(listener.certificate.domainName)} (\`loadBalancer.listener.certificate.domainName\`), so browsers would reject the site. ` +
        'Use the same name in both, or a wildcard certificate such as `*.example.com` for one level below it.',
    );
  }
}

function certificateArnParameter(certificateArn: string) {
  return parameter('String', {
    description: 'ARN of the ACM certificate of the HTTPS listener, in the Region of the stack.',
    default: certificateArn,
    allowedPattern: CERTIFICATE_ARN_PATTERN,
    constraintDescription: 'an ACM certificate ARN such as arn:aws:acm:eu-west-1:123456789012:certificate/...',
    group: 'HTTPS',
    label: 'Certificate ARN',
  });
}

export const loadBalancerContract = contract({
  name: 'load-balancer',
  description: (s: ResolvedSettings) =>
    `berth load balancer for ${s.name}: internet-facing ALB, ` +
    (s.loadBalancer.listener.protocol === 'https' ? 'HTTPS (TLS 1.3 policy) with HTTP redirecting to it' : 'plain HTTP (environment opt-in)') +
    `${s.loadBalancer.accessLogs ? ', access logs' : ''}${s.loadBalancer.dns ? ', Route 53 alias' : ''}.`,
  parameters: (s: ResolvedSettings) => {
    const listener = s.loadBalancer.listener;
    return {
      EnvironmentName: environmentNameParameter(s.name),
      VpcId: parameter('AWS::EC2::VPC::Id', {
        description: 'The VPC of the load balancer and its security group.',
        group: 'Network',
        label: 'VPC',
      }),
      PublicSubnetIds: parameter('List<AWS::EC2::Subnet::Id>', {
        description: `Public subnets for the load balancer, one per Availability Zone (${s.network.availabilityZones}).`,
        group: 'Network',
        label: 'Public subnets',
      }),
      // Declared only with an existing certificate (an unused parameter would be noise). Typed as
      // always present (an optional key would make its handle possibly undefined): it is only
      // read in the `existing` branch of `build`.
      ...(listener.protocol === 'https' && listener.certificate.source === 'existing'
        ? { CertificateArn: certificateArnParameter(listener.certificate.certificateArn) }
        : ({} as { CertificateArn: ReturnType<typeof certificateArnParameter> })),
    } as const;
  },
  outputs: {
    LoadBalancerSecurityGroupId: output('AWS::EC2::SecurityGroup::Id', { description: 'Security group of the load balancer: the application tier admits traffic from it.' }),
    ListenerArn: output('String', { description: 'The listener services attach their rules to (HTTPS where enabled, else HTTP).' }),
    LoadBalancerFullName: output('String', { description: 'Full name of the load balancer (app/<name>/<id>), for request-count scaling and metrics.' }),
    LoadBalancerDnsName: output('String', { description: 'DNS name of the load balancer.' }),
    LoadBalancerArn: output('String', { description: 'ARN of the load balancer.' }),
    ListenerArnParameter: output('AWS::SSM::Parameter::Name', { description: 'SSM parameter holding the listener ARN (/berth/<env>/listener-arn), read by service stacks.' }),
    LoadBalancerFullNameParameter: output('AWS::SSM::Parameter::Name', { description: 'SSM parameter holding the load balancer full name (/berth/<env>/load-balancer-full-name).' }),
    Url: output('String', { description: 'Base URL of the estate.' }),
  },
});

/** What the load balancer stack's `build` returns: a value for each output of its contract. */
export interface LoadBalancerOutputs extends OutputsOf<typeof loadBalancerContract> {}

export const loadBalancer = defineStack(loadBalancerContract, {
  build(t, p, s): LoadBalancerOutputs {
    checkLoadBalancerSettings(s);
    const lb = s.loadBalancer;
    const https = lb.listener.protocol === 'https';
    const dualStack = lb.dns?.dualStack === true;
    const tags = (suffix: string) => [{ Key: 'Name', Value: sub`${p.EnvironmentName.ref}-${suffix}` }];

    // Open to the world on the listener ports only (80 alone for plain HTTP); IPv6 too when
    // dual-stack. Egress: each web service's stack adds one rule on this group, to its tasks'
    // security group on its container port (the port health checks use too). A group with no
    // inline egress rule keeps EC2's default allow-all egress, and standalone egress rules do not
    // remove it: the one inline rule below does (CloudFormation removes the default rule when
    // SecurityGroupEgress is given), and admits nothing (ICMP type 252 code 86 to one unusable
    // address, the AWS CDK's `allowAllOutbound: false` rule).
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html
    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-update-security-groups.html
    const ports = https ? [80, 443] : [80];
    const worlds = dualStack ? [{ CidrIp: '0.0.0.0/0' }, { CidrIpv6: '::/0' }] : [{ CidrIp: '0.0.0.0/0' }];
    const securityGroup = t.resource(
      'LoadBalancerSecurityGroup',
      'AWS::EC2::SecurityGroup',
      {
        GroupDescription: 'Internet-facing load balancer: HTTP(S) in from anywhere, out only to the service tasks on their ports',
        VpcId: p.VpcId.ref,
        SecurityGroupIngress: ports.flatMap((port) =>
          worlds.map((world) => ({
            ...world,
            IpProtocol: 'tcp',
            FromPort: port,
            ToPort: port,
            Description: `${port === 443 ? 'HTTPS' : 'HTTP'} from the internet${'CidrIpv6' in world ? ' (IPv6)' : ''}`,
          })),
        ),
        SecurityGroupEgress: [NO_TRAFFIC_EGRESS],
        Tags: tags('alb'),
      },
      {
        metadata: {
          checkov: {
            skip: [{ id: 'CKV_AWS_260', comment: 'An internet-facing load balancer must accept port 80 from anywhere; it only redirects to HTTPS unless the environment opts in to plain HTTP.' }],
          },
          cfripper: {
            skip: [{ id: 'EC2SecurityGroupOpenToWorldRule', comment: 'The internet-facing load balancer accepts its listener ports (80, which only redirects to HTTPS unless the environment opts in to plain HTTP, and 443) from anywhere, and nothing else.' }],
          },
        },
      },
    );

    const accessLogBucket = lb.accessLogs ? addAccessLogBucket(t, s.logRetentionDays, tags('alb-access-logs')) : undefined;

    // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#load-balancer-attributes
    const attributes: Record<string, Value<string>> = {
      'routing.http.drop_invalid_header_fields.enabled': 'true',
      'routing.http.desync_mitigation_mode': 'defensive',
      'deletion_protection.enabled': String(lb.deletionProtection),
      'idle_timeout.timeout_seconds': String(lb.idleTimeoutSeconds ?? DEFAULT_IDLE_TIMEOUT_SECONDS),
      'access_logs.s3.enabled': String(accessLogBucket !== undefined),
      ...(accessLogBucket ? { 'access_logs.s3.bucket': accessLogBucket.bucket.ref, 'access_logs.s3.prefix': ACCESS_LOG_PREFIX } : {}),
    };
    // The one internet-facing entry point is the design (behind the firewall where it is on).
    const publicEntry = { cfripper: { skip: [{ id: 'PublicELBCheckerRule', comment: 'The estate\'s one entry point from the internet: services are reachable only through its listener rules, tasks have no public address.' }] } };
    const skips = [
      ...(lb.accessLogs ? [] : [{ id: 'CKV_AWS_91', comment: `Access logs are turned off for this environment (${s.file}: loadBalancer.accessLogs).` }]),
      ...(lb.deletionProtection ? [] : [{ id: 'CKV_AWS_150', comment: `Deletion protection is turned off for this environment (${s.file}: loadBalancer.deletionProtection).` }]),
    ];
    const alb = t.resource(
      'LoadBalancer',
      'AWS::ElasticLoadBalancingV2::LoadBalancer',
      {
        Type: 'application',
        Scheme: 'internet-facing',
        IpAddressType: dualStack ? 'dualstack' : 'ipv4',
        Subnets: p.PublicSubnetIds.ref,
        SecurityGroups: [securityGroup.ref],
        LoadBalancerAttributes: Object.entries(attributes).map(([Key, Value]) => ({ Key, Value })),
        Tags: tags('alb'),
      },
      withGuardExemptions(
        {
          // ELB checks that it may write to the bucket when the attribute is set: the policy comes first.
          dependsOn: accessLogBucket ? [accessLogBucket.policy] : [],
          metadata: { ...(skips.length ? { checkov: { skip: skips } } : {}), ...publicEntry },
        },
        [
          !lb.deletionProtection && { rule: 'elbv2_deletion_protection_enabled_check', control: 'CT.ELASTICLOADBALANCING.PR.5', reason: `the environment turns deletion protection off (${s.file}: loadBalancer.deletionProtection), so it is torn down by deleting its stack.` },
          !lb.accessLogs && { rule: 'elbv2_logging_enabled_check', control: 'CT.ELASTICLOADBALANCING.PR.6', reason: `the environment turns access logs off (${s.file}: loadBalancer.accessLogs): no log bucket, and none left behind on teardown.` },
        ],
      ),
    );

    if (hasFirewall(s)) addFirewall(t, s, p.EnvironmentName.ref, alb, tags('alb'));

    // Anything no service rule matches. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/listener-update-rules.html
    const notFound = [{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404', ContentType: 'text/plain', MessageBody: 'Not found' } }];
    let listener: Resource<'AWS::ElasticLoadBalancingV2::Listener'>;
    if (lb.listener.protocol === 'https') {
      const cert = lb.listener.certificate;
      const certificateArn =
        cert.source === 'existing'
          ? p.CertificateArn.ref
          : // ACM writes the validation CNAME into the hosted zone itself and the stack waits for
            // issuance. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-certificatemanager-certificate.html
            t.resource('Certificate', 'AWS::CertificateManager::Certificate', {
              DomainName: cert.domainName,
              ValidationMethod: 'DNS',
              DomainValidationOptions: [{ DomainName: cert.domainName, HostedZoneId: cert.hostedZoneId }],
              Tags: tags('alb'),
            }).ref;
      listener = t.resource(
        'HttpsListener',
        'AWS::ElasticLoadBalancingV2::Listener',
        {
          LoadBalancerArn: alb.ref,
          Port: 443,
          Protocol: 'HTTPS',
          SslPolicy: SSL_POLICY,
          Certificates: [{ CertificateArn: certificateArn }],
          DefaultActions: notFound,
        },
        // The rule accepts an ACM ARN written out or a certificate of the same template; it cannot
        // follow a parameter, whose AllowedPattern here admits ACM certificate ARNs only.
        withGuardExemptions({}, [
          cert.source === 'existing' && {
            rule: 'elbv2_acm_certificate_required_check',
            control: 'CT.ELASTICLOADBALANCING.PR.2',
            reason: `the environment uses an existing certificate (${s.file}: loadBalancer.listener.certificate.source), passed as the CertificateArn parameter, whose AllowedPattern admits only ACM certificate ARNs (${CERTIFICATE_ARN_PATTERN}).`,
          },
        ]),
      );
      t.resource('HttpListener', 'AWS::ElasticLoadBalancingV2::Listener', {
        LoadBalancerArn: alb.ref,
        Port: 80,
        Protocol: 'HTTP',
        // Host, path and query are kept (their defaults). https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-listeners.html#redirect-actions
        DefaultActions: [{ Type: 'redirect', RedirectConfig: { Protocol: 'HTTPS', Port: '443', StatusCode: 'HTTP_301' } }],
      });
    } else {
      listener = t.resource(
        'HttpListener',
        'AWS::ElasticLoadBalancingV2::Listener',
        { LoadBalancerArn: alb.ref, Port: 80, Protocol: 'HTTP', DefaultActions: notFound },
        withGuardExemptions(
          {
            metadata: {
              checkov: {
                skip: ['CKV_AWS_2', 'CKV_AWS_103'].map((id) => ({ id, comment: `Plain HTTP is this environment's explicit opt-in (${s.file}: loadBalancer.listener.allowPlainHttp).` })),
              },
            },
          },
          [{ rule: 'alb_http_to_https_redirection_check', control: 'CT.ELASTICLOADBALANCING.PR.1', reason: `the environment opts into plain HTTP (${s.file}: loadBalancer.listener.allowPlainHttp), so port 80 serves instead of redirecting to HTTPS.` }],
        ),
      );
    }

    // Alias records: free queries, and they follow the ALB's changing addresses.
    // https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-elb-load-balancer.html
    if (lb.dns) {
      const dns = lb.dns;
      const recordTypes = dualStack ? (['A', 'AAAA'] as const) : (['A'] as const);
      for (const type of recordTypes) {
        t.resource(`AliasRecord${type}`, 'AWS::Route53::RecordSet', {
          HostedZoneId: dns.hostedZoneId,
          Name: dns.domainName,
          Type: type,
          AliasTarget: { DNSName: alb.getAtt('DNSName'), HostedZoneId: alb.getAtt('CanonicalHostedZoneID'), EvaluateTargetHealth: true },
        });
      }
    }

    loadBalancerAlarm(t, s, p.EnvironmentName.ref, alb.getAtt('LoadBalancerFullName'));

    const scheme = https ? 'https' : 'http';
    // The estate registry (templates/stacks/shared/registry.ts): service stacks read these by SSM name.
    const listenerParameter = publish(t, 'ListenerArnParameter', p.EnvironmentName.ref, 'listener-arn', listener.ref, 'Listener services add their rules to.');
    const fullNameParameter = publish(t, 'LoadBalancerFullNameParameter', p.EnvironmentName.ref, 'load-balancer-full-name', alb.getAtt('LoadBalancerFullName'), 'Full name of the load balancer, for request-count scaling.');
    return {
      ListenerArnParameter: listenerParameter.ref,
      LoadBalancerFullNameParameter: fullNameParameter.ref,
      LoadBalancerSecurityGroupId: securityGroup.ref,
      ListenerArn: listener.ref,
      LoadBalancerFullName: alb.getAtt('LoadBalancerFullName'),
      LoadBalancerDnsName: alb.getAtt('DNSName'),
      LoadBalancerArn: alb.ref,
      Url: lb.dns ? `${scheme}://${lb.dns.domainName}` : sub`${scheme}://${alb.getAtt('DNSName')}`,
    };
  },
});

/**
 * The 5xx answers the load balancer gives itself: no healthy target to send a request to (503), a
 * target that closed the connection or answered nonsense (502), a target too slow for the idle
 * timeout (504). Per load balancer: these metrics have no target group dimension.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html#http-5xx-issues
 */
function loadBalancerAlarm(t: Template, s: ResolvedSettings, env: Intrinsic<'String'>, fullName: Value<string>): void {
  const { loadBalancerErrorRatePercent: percent } = resolveThresholds([{ at: (f) => at(s.file, `operations.alarms.${f}`), values: s.operations?.alarms }]);
  alarm(t, 'LoadBalancerErrorRateAlarm', {
    name: sub`${env}-load-balancer-5xx-rate`,
    description: `The load balancer answers more than ${percent} % of requests with its own 5xx in 2 of 3 minutes: 503 when a route has no healthy target, 502 or 504 when targets fail or time out. Look at which service's targets are unhealthy (its unhealthy-targets alarm, aws elbv2 describe-target-health) and at the access logs, if on.`,
    watch: {
      expression: 'IF(FILL(requests, 0) > 0, 100 * FILL(errors, 0) / requests, 0)',
      label: 'Load balancer 5xx (% of requests)',
      inputs: { requests: { metric: loadBalancerMetric('RequestCount', fullName), stat: 'Sum' }, errors: { metric: loadBalancerMetric('HTTPCode_ELB_5XX_Count', fullName), stat: 'Sum' } },
    },
    periodSeconds: 60,
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    comparison: 'GreaterThanThreshold',
    threshold: percent,
    missingData: { treat: 'notBreaching', because: 'the load balancer reports nothing while no requests arrive.' },
    topic: alarmTopicArn(env),
  });
}

/**
 * Who writes ALB access logs, per Region. In the Regions available before August 2022 the
 * principal is the Elastic Load Balancing account of the Region (this table, from AWS's page); in
 * Regions opened since, the `logdelivery.elasticloadbalancing.amazonaws.com` service principal.
 * AWS documents no `aws:SourceAccount` / `aws:SourceArn` condition for either: the log objects'
 * path (`AWSLogs/<this account>/`) is what keeps other accounts' load balancers out.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html#attach-bucket-policy
 * The table was checked against the AWS CDK's own copy of that page (`ELBV2_ACCOUNTS` in
 * aws-cdk-lib/region-info/build-tools/fact-tables.ts): the same 26 Regions and accounts.
 */
export const ELB_LOG_ACCOUNTS: { readonly [region: string]: { readonly AccountId: string } } = {
  'us-east-1': { AccountId: '127311923021' },
  'us-east-2': { AccountId: '033677994240' },
  'us-west-1': { AccountId: '027434742980' },
  'us-west-2': { AccountId: '797873946194' },
  'af-south-1': { AccountId: '098369216593' },
  'ap-east-1': { AccountId: '754344448648' },
  'ap-southeast-3': { AccountId: '589379963580' },
  'ap-south-1': { AccountId: '718504428378' },
  'ap-northeast-3': { AccountId: '383597477331' },
  'ap-northeast-2': { AccountId: '600734575887' },
  'ap-southeast-1': { AccountId: '114774131450' },
  'ap-southeast-2': { AccountId: '783225319266' },
  'ap-northeast-1': { AccountId: '582318560864' },
  'ca-central-1': { AccountId: '985666609251' },
  'eu-central-1': { AccountId: '054676820928' },
  'eu-west-1': { AccountId: '156460612806' },
  'eu-west-2': { AccountId: '652711504416' },
  'eu-south-1': { AccountId: '635631232127' },
  'eu-west-3': { AccountId: '009996457667' },
  'eu-north-1': { AccountId: '897822967062' },
  'me-south-1': { AccountId: '076674570225' },
  'sa-east-1': { AccountId: '507241528517' },
  'us-gov-west-1': { AccountId: '048591011584' },
  'us-gov-east-1': { AccountId: '190560391635' },
  'cn-north-1': { AccountId: '638102146993' },
  'cn-northwest-1': { AccountId: '037604701340' },
};

/** `Fn::Or` takes 2 to 10 conditions: an Or of Ors for longer lists. */
function anyOf(conditions: Intrinsic<'Condition'>[]): Intrinsic<'Condition'> {
  if (conditions.length <= 10) return Or(...conditions);
  const groups = Array.from({ length: Math.ceil(conditions.length / 10) }, (_, i) => conditions.slice(i * 10, i * 10 + 10));
  return anyOf(groups.map((g) => (g.length === 1 ? Or(g[0]!, g[0]!) : Or(...g))));
}

/**
 * The access-log bucket and its policy. ALB access logs support only SSE-S3 (AES256), not SSE-KMS.
 * The writer is the Region's ELB account or the log delivery service (see ELB_LOG_ACCOUNTS),
 * chosen by a condition on the stack's Region, so the template is right in whichever Region it is
 * deployed. https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html
 */
function addAccessLogBucket(t: Template, logRetentionDays: number, tags: readonly Tag[]) {
  const accounts = t.mapping('ElbLogDeliveryAccounts', ELB_LOG_ACCOUNTS);
  const legacy = t.condition('IsRegionWithElbAccount', anyOf(Object.keys(ELB_LOG_ACCOUNTS).map((r) => Equals(AWS.Region, r))));
  const bucket = t.resource(
    'AccessLogBucket',
    'AWS::S3::Bucket',
    {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      // Object events go to EventBridge, where security tooling can watch for unexpected deletes
      // or reads of the logs without the bucket knowing its consumers.
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LifecycleConfiguration: {
        Rules: [
          {
            Id: 'expire-access-logs',
            Status: 'Enabled',
            ExpirationInDays: logRetentionDays,
            NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_LOG_DAYS },
          },
        ],
      },
      Tags: tags,
    },
    {
      ...RETAIN,
      metadata: {
        checkov: { skip: [{ id: 'CKV_AWS_18', comment: 'This is the log bucket: logging its own access would need yet another log bucket, and so on.' }] },
      },
    },
  );
  const policy = t.resource('AccessLogBucketPolicy', 'AWS::S3::BucketPolicy', {
    Bucket: bucket.ref,
    PolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'AllowLoadBalancerLogDelivery',
          Effect: 'Allow',
          Principal: If(legacy, { AWS: sub`arn:${AWS.Partition}:iam::${accounts.find(AWS.Region, 'AccountId')}:root` }, { Service: 'logdelivery.elasticloadbalancing.amazonaws.com' }),
          Action: 's3:PutObject',
          // Only under this account's prefix: ELB writes each load balancer's logs under its owner's account ID.
          Resource: sub`${bucket.getAtt('Arn')}/${ACCESS_LOG_PREFIX}/AWSLogs/${AWS.AccountId}/*`,
        },
        {
          Sid: 'DenyInsecureTransport',
          Effect: 'Deny',
          Principal: '*',
          Action: 's3:*',
          // Fn::Join rather than Fn::Sub for the objects: AWS Control Tower's CT.S3.PR.8 rule
          // recognises the bucket's own ARN only in that form.
          Resource: [bucket.getAtt('Arn'), Join('', [bucket.getAtt('Arn'), '/*'])],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
    },
  }, {
    // cfn-lint's I1022 prefers Fn::Sub to an empty-delimiter Fn::Join, but Control Tower's
    // CT.S3.PR.8 only recognises the objects' ARN as Fn::Join (see DenyInsecureTransport).
    metadata: { 'cfn-lint': { config: { ignore_checks: ['I1022'] } } },
  });
  return { bucket, policy };
}
