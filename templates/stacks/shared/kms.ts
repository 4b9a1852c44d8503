/**
 * Customer managed KMS keys: the statements every berth key policy has, a rotating key kept with
 * the data, and the key that encrypts one CloudWatch Logs log group.
 */
import { AWS, RETAIN, sub, type Json, type Resource, type Template, type Value } from '../../../src/dsl/index.ts';

/**
 * Key policy statements every berth key has: the account's IAM policies govern the key (AWS's
 * default key policy), and grants may be created only for AWS services acting on AWS resources.
 * In a key policy, Resource `*` is the key itself.
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
 */
export function baseKeyStatements(): Json[] {
  return [
    { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:root` }, Action: 'kms:*', Resource: '*' },
    {
      Sid: 'GrantsOnlyForAwsServices',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'kms:CreateGrant',
      Resource: '*',
      Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    },
  ];
}

export interface KeyProps {
  readonly description: Value<string>;
  /** Statements beside the base ones: the service principals that may use the key. @default - none */
  readonly statements?: readonly Json[];
  readonly tags?: readonly { readonly Key: string; readonly Value: Value<string> }[];
  /** checkov checks this key is exempt from, each with the reason. @default - none */
  readonly checkovSkips?: readonly { readonly id: string; readonly comment: string }[];
}

/**
 * A customer managed key that rotates yearly and is kept with the stack's data (a deleted key
 * makes everything it encrypted unreadable).
 * https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html
 */
export function customerKey(t: Template, logicalId: string, props: KeyProps): Resource<'AWS::KMS::Key'> {
  return t.resource(
    logicalId,
    'AWS::KMS::Key',
    {
      Description: props.description,
      EnableKeyRotation: true,
      KeyPolicy: { Version: '2012-10-17', Statement: [...baseKeyStatements(), ...(props.statements ?? [])] },
      ...(props.tags ? { Tags: props.tags } : {}),
    },
    {
      ...RETAIN,
      metadata: {
        ...(props.checkovSkips?.length ? { checkov: { skip: props.checkovSkips.map((s) => ({ ...s })) } } : {}),
        cfripper: {
          skip: [
            {
              id: 'GenericResourceWildcardPolicyRule',
              comment:
                "AWS's default key policy: the account administers its own key (kms:* for the account, which IAM policies then govern); service principals get the wildcard actions AWS documents for them, bound to this key's use by conditions.",
            },
          ],
        },
      },
    },
  );
}

export interface LogKeyProps extends Omit<KeyProps, 'statements'> {
  /** The name of the one log group the key may encrypt (CloudWatch Logs puts its ARN in the encryption context). */
  readonly logGroupName: Value<string>;
}

/**
 * A key that CloudWatch Logs may use for one log group only: the service principal may use it
 * when the encryption context names that log group.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function logGroupKey(t: Template, logicalId: string, { logGroupName, ...props }: LogKeyProps): Resource<'AWS::KMS::Key'> {
  return logsKey(t, logicalId, props, { ArnEquals: { 'kms:EncryptionContext:aws:logs:arn': logGroupArn(logGroupName) } });
}

export interface LogGroupsKeyProps extends Omit<KeyProps, 'statements'> {
  /** The log groups the key may encrypt: every group whose name starts with this (`/aws/rds/cluster/<id>/`). */
  readonly logGroupNamePrefix: Value<string>;
}

/**
 * A key that CloudWatch Logs may use for the log groups under one name prefix only (a service
 * such as RDS names one group per log type): as `logGroupKey`, the log group matched by prefix.
 */
export function logGroupsKey(t: Template, logicalId: string, { logGroupNamePrefix, ...props }: LogGroupsKeyProps): Resource<'AWS::KMS::Key'> {
  return logsKey(t, logicalId, props, { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': sub`${logGroupArn(logGroupNamePrefix)}*` } });
}

function logGroupArn(name: Value<string>): Value<string> {
  return sub`arn:${AWS.Partition}:logs:${AWS.Region}:${AWS.AccountId}:log-group:${name}`;
}

/** A key CloudWatch Logs may use for the log groups the condition names. */
function logsKey(t: Template, logicalId: string, props: Omit<KeyProps, 'statements'>, condition: Json): Resource<'AWS::KMS::Key'> {
  return customerKey(t, logicalId, {
    ...props,
    statements: [
      {
        Sid: 'CloudWatchLogsUse',
        Effect: 'Allow',
        Principal: { Service: sub`logs.${AWS.Region}.amazonaws.com` },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: condition,
      },
    ],
  });
}
