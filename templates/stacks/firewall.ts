/**
 * The load balancer's web application firewall: an AWS WAF web ACL (REGIONAL, the scope of an
 * Application Load Balancer) with AWS's managed rule groups and a rate limit per client IP,
 * associated with the load balancer and logging to a log group encrypted with its own key.
 * https://docs.aws.amazon.com/waf/latest/developerguide/web-acl.html
 */
import { AWS, Select, Split, sub, type Intrinsic, type Resource, type Template, type Value } from '../../src/dsl/index.ts';
import type { ResolvedSettings } from '../settings/settings.ts';
import { logGroupKey } from './shared/kms.ts';
import type { Metric } from './shared/metrics.ts';
import { publish } from './shared/registry.ts';
import { RETAIN_EXCEPT_ON_CREATE } from './shared/retention.ts';
import { shortRetention, withGuardExemptions } from './shared/guard.ts';

/** Used when `loadBalancer.firewall.requestsPerFiveMinutesPerIp` is not set. */
export const DEFAULT_REQUESTS_PER_FIVE_MINUTES_PER_IP = 2000;

/**
 * AWS's managed rule groups, in evaluation order after the rate limit. Their capacity (25 + 200 +
 * 700 WCUs, plus 2 for the rate rule) stays under the 1,500 WCUs a web ACL has at the base price.
 * https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
 * https://docs.aws.amazon.com/waf/latest/developerguide/aws-waf-capacity-units.html
 */
export const MANAGED_RULE_GROUPS = [
  /** Addresses Amazon threat intelligence reports as bots and sources of attacks. */
  'AWSManagedRulesAmazonIpReputationList',
  /** Request patterns known to be malicious (Log4j's JNDI lookups among them). */
  'AWSManagedRulesKnownBadInputsRuleSet',
  /** OWASP-style protection: oversized bodies, cross-site scripting, path traversal, ... */
  'AWSManagedRulesCommonRuleSet',
] as const;

/** The CloudWatch metric names the web ACL reports under (namespace AWS/WAFV2, dimension Rule), for the dashboard. */
export const FIREWALL_METRICS = { webAcl: 'berth-web-acl', rateLimit: 'rate-limit-per-ip' } as const;

/**
 * A metric of the web ACL `webAclName`: AWS WAF reports a regional web ACL's requests in AWS/WAFV2
 * with the dimensions Region, Rule (a rule's metric name, or `ALL` for the whole web ACL) and
 * WebACL (the web ACL's name).
 * https://docs.aws.amazon.com/waf/latest/developerguide/waf-metrics.html
 */
export function firewallMetric(name: 'AllowedRequests' | 'BlockedRequests' | 'CountedRequests', webAclName: Value<string>, rule: string = 'ALL'): Metric {
  return {
    namespace: 'AWS/WAFV2',
    name,
    dimensions: [
      { name: 'Region', value: AWS.Region },
      { name: 'Rule', value: rule },
      { name: 'WebACL', value: webAclName },
    ],
  };
}

/** Whether the environment has a firewall (on unless `loadBalancer.firewall.enabled` is false). */
export function hasFirewall(s: ResolvedSettings): boolean {
  return s.loadBalancer.firewall?.enabled ?? true;
}

type Tags = readonly { readonly Key: string; readonly Value: Intrinsic<'String'> }[];

const visibility = (MetricName: string) => ({ SampledRequestsEnabled: true, CloudWatchMetricsEnabled: true, MetricName });

/**
 * The web ACL, its association with `loadBalancer`, its logging, and its name in the estate
 * registry (`web-acl-name`, for the dashboard).
 */
export function addFirewall(t: Template, s: ResolvedSettings, env: Intrinsic<'String'>, loadBalancer: Resource<'AWS::ElasticLoadBalancingV2::LoadBalancer'>, tags: Tags): Resource<'AWS::WAFv2::WebACL'> {
  const limit = s.loadBalancer.firewall?.requestsPerFiveMinutesPerIp ?? DEFAULT_REQUESTS_PER_FIVE_MINUTES_PER_IP;
  const webAcl = t.resource('WebAcl', 'AWS::WAFv2::WebACL', {
    // No Name: CloudFormation generates one, so a replacement or a retried create never clashes.
    Scope: 'REGIONAL',
    Description: sub`berth ${env}: AWS managed rules and a rate limit per client IP in front of the load balancer`,
    DefaultAction: { Allow: {} },
    Rules: [
      {
        // First, so a flood is cut before the managed rules spend their capacity on it. Counted
        // per client IP over AWS WAF's default 5-minute window.
        // https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based.html
        Name: FIREWALL_METRICS.rateLimit,
        Priority: 0,
        Action: { Block: {} },
        Statement: { RateBasedStatement: { Limit: limit, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
        VisibilityConfig: visibility(FIREWALL_METRICS.rateLimit),
      },
      ...MANAGED_RULE_GROUPS.map((Name, i) => ({
        Name,
        Priority: i + 1,
        // None: the group's own actions (block) apply.
        OverrideAction: { None: {} },
        Statement: { ManagedRuleGroupStatement: { VendorName: 'AWS', Name } },
        VisibilityConfig: visibility(Name),
      })),
    ],
    VisibilityConfig: visibility(FIREWALL_METRICS.webAcl),
    Tags: tags,
  });
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-wafv2-webaclassociation.html
  t.resource('WebAclAssociation', 'AWS::WAFv2::WebACLAssociation', { ResourceArn: loadBalancer.ref, WebACLArn: webAcl.getAtt('Arn') });

  // The destination's name must start with `aws-waf-logs-`; AWS WAF adds the log group's
  // resource policy for its log delivery itself when logging is configured.
  // https://docs.aws.amazon.com/waf/latest/developerguide/logging-cw-logs.html
  const logGroupName = sub`aws-waf-logs-berth-${env}`;
  const key = logGroupKey(t, 'FirewallLogKey', { description: sub`Encrypts the AWS WAF logs of ${env}`, logGroupName, tags });
  const logGroup = t.resource(
    'FirewallLogGroup',
    'AWS::Logs::LogGroup',
    { LogGroupName: logGroupName, RetentionInDays: s.logRetentionDays, KmsKeyId: key.getAtt('Arn'), Tags: tags },
    // A fixed name: kept on stack deletion, deleted if the create that made it rolls back (a retry creates it again).
    withGuardExemptions(RETAIN_EXCEPT_ON_CREATE, [shortRetention(s.logRetentionDays, s.file, 'logRetentionDays')]),
  );
  t.resource('FirewallLogging', 'AWS::WAFv2::LoggingConfiguration', {
    ResourceArn: webAcl.getAtt('Arn'),
    // The log group's ARN without the `:*` that its `Arn` attribute ends with: AWS WAF refuses that form.
    LogDestinationConfigs: [sub`arn:${AWS.Partition}:logs:${AWS.Region}:${AWS.AccountId}:log-group:${logGroup.ref}`],
    // Credentials and sessions stay out of the logs.
    // https://docs.aws.amazon.com/waf/latest/developerguide/logging-management.html
    RedactedFields: [{ SingleHeader: { Name: 'authorization' } }, { SingleHeader: { Name: 'cookie' } }],
  });
  // The web ACL has no Name attribute (CloudFormation generates the name); its ARN is
  // `arn:<partition>:wafv2:<region>:<account>:regional/webacl/<name>/<id>`, so the name is its third
  // part split on `/`. (Its Ref, `<name>|<id>|<scope>`, would do too, but moto answers no Ref.)
  // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awswafv2.html#awswafv2-resources-for-iam-policies
  publish(t, 'WebAclNameParameter', env, 'web-acl-name', Select(2, Split('/', webAcl.getAtt('Arn'))), 'Name of the web ACL in front of the load balancer, for the dashboard.');
  return webAcl;
}
