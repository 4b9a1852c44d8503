/**
 * The operations stack: the environment's alarm topic, where every alarm of the estate sends its
 * ALARM and OK notifications and EventBridge rules send the events worth hearing (a scheduled task
 * that stopped with an error); its subscriptions, from `operations.notifications` in the settings;
 * and the topic's key. The topic is `berth-<environment>-alarms`, which berth's stacks build its
 * ARN from; the ARN also goes into the estate registry (`/berth/<env>/alarm-topic-arn`) for stacks
 * beside the estate (a database's alarms, say).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
 */
import { at } from '../../src/settings/loader.ts';
import { AWS, BerthError, contract, defineStack, output, q, sub, type Json, type OutputsOf } from '../../src/dsl/index.ts';
import type { ResolvedSettings } from '../settings/settings.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { customerKey } from './shared/kms.ts';
import { publish } from './shared/registry.ts';
import { RETAIN_EXCEPT_ON_CREATE } from './shared/retention.ts';
import { alarmTopicName } from './shared/alarms.ts';

export const operationsContract = contract({
  name: 'operations',
  description: (s: ResolvedSettings) => {
    const n = (s.operations?.notifications?.emails?.length ?? 0) + (s.operations?.notifications?.httpsEndpoints?.length ?? 0);
    return `berth operations for ${s.name}: the encrypted alarm topic every alarm and event rule of the estate notifies, with ${n} subscription${n === 1 ? '' : 's'}.`;
  },
  parameters: (s: ResolvedSettings) => ({
    EnvironmentName: environmentNameParameter(s.name, 'Name prefix for the resources (tags, the registry entry /berth/<environment>/alarm-topic-arn).'),
  }),
  outputs: {
    AlarmTopicArn: output('String', { description: 'ARN of the alarm topic: alarms and event rules notify it.' }),
    AlarmTopicArnParameter: output('AWS::SSM::Parameter::Name', { description: 'SSM parameter holding the alarm topic ARN (/berth/<env>/alarm-topic-arn), read by the other stacks.' }),
  },
});

/** What the operations stack's `build` returns: a value for each output of its contract. */
export interface OperationsOutputs extends OutputsOf<typeof operationsContract> {}

export const operations = defineStack(operationsContract, {
  build(t, p, s): OperationsOutputs {
    const env = p.EnvironmentName.ref;
    const tags = [{ Key: 'berth:environment', Value: env }];
    const alarmsOfThisAccount = sub`arn:${AWS.Partition}:cloudwatch:${AWS.Region}:${AWS.AccountId}:alarm:*`;
    const rulesOfThisAccount = sub`arn:${AWS.Partition}:events:${AWS.Region}:${AWS.AccountId}:rule/*`;
    // SNS encrypts with the key on behalf of whoever publishes, so the publishers must be admitted
    // in the key policy: CloudWatch (alarm actions) and EventBridge (rule targets). CloudWatch's
    // requests carry aws:SourceAccount and aws:SourceArn (the alarm), which scope it to this
    // account's alarms; EventBridge's do not, and a condition on them would drop every event
    // silently, so EventBridge is admitted as AWS's own example does and scoped on the topic
    // policy instead, where its requests do carry the rule.
    // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
    // https://repost.aws/knowledge-center/sns-not-getting-eventbridge-notification
    const key = customerKey(t, 'AlarmTopicKey', {
      description: sub`Encrypts the alarm topic of ${env}`,
      tags,
      statements: [
        {
          Sid: 'CloudWatchAlarmsOfThisAccount',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': AWS.AccountId }, ArnLike: { 'aws:SourceArn': alarmsOfThisAccount } },
        },
        { Sid: 'EventBridgeRules', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'], Resource: '*' },
        // EC2 capacity: the Auto Scaling group reports failed launches and terminations here
        // (cluster.ts), publishing as its service-linked role, whose permissions include no
        // customer managed key (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
        // Named by aws:PrincipalArn, not as a principal: in a fresh account the role exists only
        // once the first group is created, after this key, and KMS refuses a policy naming a
        // principal that does not exist.
        ...(s.cluster.capacity.type === 'ec2'
          ? [
              {
                Sid: 'AutoScalingNotifications',
                Effect: 'Allow',
                Principal: { AWS: sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:root` },
                Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
                Resource: '*',
                Condition: { ArnEquals: { 'aws:PrincipalArn': sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling` } },
              },
            ]
          : []),
      ],
    });
    // A fixed name, which every stack's alarms build the ARN from (shared/alarms.ts). Kept when
    // the stack is deleted, as the policy gate asks of topics, but not when its own create rolls
    // back, so a failed first deploy can be retried. https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
    const topic = t.resource(
      'AlarmTopic',
      'AWS::SNS::Topic',
      { TopicName: alarmTopicName(env), DisplayName: sub`berth ${env} alarms`, KmsMasterKeyId: key.getAtt('Arn'), Tags: tags },
      RETAIN_EXCEPT_ON_CREATE,
    );
    const statements: Json[] = [
      {
        Sid: 'CloudWatchAlarmsOfThisAccount',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic.ref,
        Condition: { StringEquals: { 'aws:SourceAccount': AWS.AccountId }, ArnLike: { 'aws:SourceArn': alarmsOfThisAccount } },
      },
      {
        Sid: 'EventBridgeRulesOfThisAccount',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: topic.ref,
        Condition: { StringEquals: { 'aws:SourceAccount': AWS.AccountId }, ArnLike: { 'aws:SourceArn': rulesOfThisAccount } },
      },
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 'sns:Publish',
        Resource: topic.ref,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ];
    // The topic's resource policy replaces SNS's default one; IAM policies of this account still
    // govern its own principals. https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
    t.resource('AlarmTopicPolicy', 'AWS::SNS::TopicPolicy', { Topics: [topic.ref], PolicyDocument: { Version: '2012-10-17', Statement: statements } });
    // One resource per endpoint, named after the endpoint rather than its place in the list: a
    // replaced subscription must be confirmed again, so adding or removing one endpoint must leave
    // the others' resources alone. Email and HTTPS endpoints receive a confirmation first and hear
    // nothing until they confirm. https://docs.aws.amazon.com/sns/latest/dg/sns-create-subscribe-endpoint-to-topic.html
    const n = s.operations?.notifications ?? {};
    const ids = new Map<string, string>();
    const subscribe = (kind: 'emails' | 'httpsEndpoints', i: number, endpoint: string) => {
      const id = subscriptionId(kind === 'emails' ? 'Email' : 'Https', endpoint);
      const clash = ids.get(id);
      if (clash) throw new BerthError(at(s.file, `operations.notifications.${kind}[${i}]`), `${q(endpoint)} and ${q(clash)} both become the logical ID ${q(id)} (letters and digits of the endpoint). List one of them once, or change one.`);
      ids.set(id, endpoint);
      t.resource(id, 'AWS::SNS::Subscription', { TopicArn: topic.ref, Protocol: kind === 'emails' ? 'email' : 'https', Endpoint: endpoint });
    };
    (n.emails ?? []).forEach((email, i) => subscribe('emails', i, email));
    (n.httpsEndpoints ?? []).forEach((url, i) => subscribe('httpsEndpoints', i, url));
    const parameter = publish(t, 'AlarmTopicArnParameter', env, 'alarm-topic-arn', topic.ref, 'The alarm topic (berth-<environment>-alarms): every alarm and event rule of the estate notifies it.');
    return { AlarmTopicArn: topic.ref, AlarmTopicArnParameter: parameter.ref };
  },
});

/** `Email` + the endpoint's letters and digits, words capitalised: `oncall@example.com` is `EmailOncallExampleCom`. */
export function subscriptionId(prefix: 'Email' | 'Https', endpoint: string): string {
  const words = endpoint.replace(/^https:\/\//i, '').split(/[^A-Za-z0-9]+/).filter(Boolean);
  return `${prefix}${words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}`.slice(0, 255);
}
