/**
 * An S3 store's stack (`data-<name>.yaml`): a bucket with a fixed name, encrypted with the
 * store's own key (with an S3 Bucket Key, so S3 calls KMS once per bucket key rather than per
 * object), versioned, closed to the public, TLS-only, its server access logs in a log bucket of
 * its own, kept when the stack is deleted; and a bucket policy under which only the task roles of
 * the declaring services may read (and, with `readWrite`, write) its objects: see `dataPolicy`.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
 */
import { AWS, contract, defineStack, Join, output, RETAIN, sub, type Intrinsic, type Json, type OutputsOf, type Resource, type S3BucketRule, type Template, type Value } from '../../../src/dsl/index.ts';
import { environmentNameParameter } from '../shared/environment-name.ts';
import { taskRoleName } from '../shared/iam.ts';
import { customerKey } from '../shared/kms.ts';
import { publish } from '../shared/registry.ts';
import { RETAIN_EXCEPT_ON_CREATE } from '../shared/retention.ts';
import { clientsMetadata, storeTags, type DataStackSettings, type StoreClient, type Tags } from './common.ts';
import { bucketName, stackName, storeKey } from './names.ts';
import type { ResolvedBucket } from './resolve.ts';

/** Where the data bucket's server access logs go in the log bucket. */
export const ACCESS_LOG_PREFIX = 'access/';
/** Days a replaced log object is kept (logs are never rewritten; this only bounds a stray overwrite). */
const NONCURRENT_LOG_DAYS = 30;
/** Days after which S3 aborts an unfinished multipart upload, whose parts are billed until then. */
export const ABORT_INCOMPLETE_UPLOAD_DAYS = 7;

/** Object reads and listing: what `read` grants, and what the policy denies everyone else. */
export const READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucket'] as const;
/**
 * Object writes and deletes: what `readWrite` adds. A delete in a versioned bucket leaves a delete
 * marker over the kept versions; deleting a version for good (s3:DeleteObjectVersion) is not granted.
 */
export const WRITE_ACTIONS = ['s3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'] as const;

/**
 * The bucket policy's data statements: every principal but the declaring services' task roles is
 * denied the object reads and listing, and every principal but those with `readWrite` the object
 * writes, deletes and retention changes (the wildcards cover the `...Version`, `...Tagging`,
 * `...Retention` and `...LegalHold` variants, and a Deny may use them safely). The roles are named
 * in a condition on `aws:PrincipalArn` (in any IAM path), not as principals: the services' stacks
 * create them after this one, and a policy may not name a principal that does not exist yet.
 *
 * Where that is safe, and why only data: the bucket's configuration and this policy stay under
 * IAM, so CloudFormation (the deploy role, the Service Catalog launch role) manages the bucket as
 * before, and an administrator can still change the policy, which is the way in for a restore or
 * an investigation (break-glass, recorded by CloudTrail as PutBucketPolicy); if a policy ever
 * locks out the administrators too, the account's root user can delete it.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
 * https://repost.aws/knowledge-center/s3-accidentally-denied-access
 */
export function dataPolicy(env: Intrinsic<'String'>, bucketArn: Value<string>, clients: readonly StoreClient[]): Json[] {
  const roles = (list: readonly StoreClient[]) =>
    list.flatMap((c) => [
      sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/${taskRoleName(env, c.service)}`,
      sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:role/*/${taskRoleName(env, c.service)}`,
    ]);
  const deny = (sid: string, actions: readonly string[], allowed: readonly StoreClient[]): Json => ({
    Sid: sid,
    Effect: 'Deny',
    Principal: '*',
    Action: [...actions],
    Resource: [bucketArn, Join('', [bucketArn, '/*'])],
    ...(allowed.length ? { Condition: { ArnNotLike: { 'aws:PrincipalArn': roles(allowed) } } } : {}),
  });
  return [
    deny('OnlyDeclaringServicesRead', ['s3:GetObject*', 's3:ListBucket*', 's3:ListMultipartUploadParts'], clients),
    deny('OnlyReadWriteServicesWrite', ['s3:PutObject*', 's3:DeleteObject*', 's3:RestoreObject', 's3:AbortMultipartUpload', 's3:BypassGovernanceRetention', 's3:ReplicateObject'], clients.filter((c) => c.access === 'readWrite')),
  ];
}

/** Deny every request over plain HTTP. https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html#transit */
function denyInsecureTransport(bucketArn: Value<string>): Json {
  return {
    Sid: 'DenyInsecureTransport',
    Effect: 'Deny',
    Principal: '*',
    Action: 's3:*',
    // Fn::Join rather than Fn::Sub for the objects: AWS Control Tower's CT.S3.PR.8 rule
    // recognises the bucket's own ARN only in that form.
    Resource: [bucketArn, Join('', [bucketArn, '/*'])],
    Condition: { Bool: { 'aws:SecureTransport': 'false' } },
  };
}

/** cfn-lint's I1022 prefers Fn::Sub to an empty-delimiter Fn::Join, which CT.S3.PR.8 needs (see `denyInsecureTransport`). */
const JOIN_FOR_CONTROL_TOWER = { 'cfn-lint': { config: { ignore_checks: ['I1022'] } } } as const;

const PUBLIC_ACCESS_BLOCKED = { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true } as const;

/**
 * The data bucket's server access log bucket: SSE-S3 (log delivery cannot write to SSE-KMS
 * buckets), versioned, closed, TLS-only, its logs expiring after the environment's log retention;
 * only S3's log delivery may write, and only the logs of `source`.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general
 */
function accessLogBucket(t: Template, source: Value<string>, retentionDays: number, tags: Tags): Resource<'AWS::S3::Bucket'> {
  const logs = t.resource(
    'AccessLogBucket',
    'AWS::S3::Bucket',
    {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: PUBLIC_ACCESS_BLOCKED,
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      // Object events go to EventBridge, where security tooling can watch the logs' deletion.
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventBridge.html
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LifecycleConfiguration: {
        Rules: [{ Id: 'expire-access-logs', Status: 'Enabled', ExpirationInDays: retentionDays, NoncurrentVersionExpiration: { NoncurrentDays: NONCURRENT_LOG_DAYS } }],
      },
      Tags: tags,
    },
    { ...RETAIN, metadata: { checkov: { skip: [{ id: 'CKV_AWS_18', comment: 'This is the log bucket: logging its own access would need yet another log bucket, and so on.' }] } } },
  );
  t.resource(
    'AccessLogBucketPolicy',
    'AWS::S3::BucketPolicy',
    {
      Bucket: logs.ref,
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AllowServerAccessLogDelivery',
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: sub`${logs.getAtt('Arn')}/${ACCESS_LOG_PREFIX}*`,
            Condition: { ArnLike: { 'aws:SourceArn': source }, StringEquals: { 'aws:SourceAccount': AWS.AccountId } },
          },
          denyInsecureTransport(logs.getAtt('Arn')),
        ],
      },
    },
    { metadata: JOIN_FOR_CONTROL_TOWER },
  );
  return logs;
}

export const bucketContract = contract({
  name: ({ store }: DataStackSettings<ResolvedBucket>) => stackName(store.name),
  description: ({ settings, store: r }: DataStackSettings<ResolvedBucket>) =>
    `berth data store ${r.name} for ${settings.name}: S3 bucket, encrypted with its own key, versioned, private, TLS-only${r.objectLock ? `, Object Lock (${r.objectLock.mode} ${r.objectLock.days} days)` : ''}.`,
  parameters: ({ settings }: DataStackSettings<ResolvedBucket>) => ({
    EnvironmentName: environmentNameParameter(settings.name, 'Name prefix for the resources (the bucket <environment>-<store>-<account>-<region>, tags, registry entries).'),
  }),
  outputs: {
    BucketName: output('String', { description: 'The bucket (<environment>-<store>-<account>-<region>).' }),
    BucketArn: output('String', { description: 'The bucket ARN.' }),
    KeyArn: output('String', { description: 'The KMS key that encrypts the objects.' }),
    AccessLogBucketName: output('String', { description: 'The bucket that receives its server access logs.' }),
  },
});

/** What the S3 stack's `build` returns: a value for each output of its contract. */
export interface BucketOutputs extends OutputsOf<typeof bucketContract> {}

export const bucketStore = defineStack(bucketContract, {
  build(t, p, { settings, store: r, clients }): BucketOutputs {
    const env = p.EnvironmentName.ref;
    const tags = storeTags(env, r.name);
    const name = bucketName(env, r.name);
    const arn = sub`arn:${AWS.Partition}:s3:::${name}`;
    // A customer managed key, so a task role's kms:Decrypt and kms:GenerateDataKey name this
    // bucket's key only; S3 uses it on behalf of the caller. https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
    const key = customerKey(t, 'BucketKey', { description: `Encrypts the objects of the ${r.name} bucket`, tags });
    const logs = accessLogBucket(t, arn, settings.logRetentionDays, tags);
    const l = r.lifecycle;
    const rules: S3BucketRule[] = [
      { Id: 'expire-noncurrent-versions', Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: l.noncurrentVersionsExpireAfterDays } },
      { Id: 'abort-incomplete-uploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_INCOMPLETE_UPLOAD_DAYS } },
      ...(l.infrequentAccessAfterDays !== undefined ? [{ Id: 'infrequent-access', Status: 'Enabled' as const, Transitions: [{ StorageClass: 'STANDARD_IA' as const, TransitionInDays: l.infrequentAccessAfterDays }] }] : []),
      ...(l.expireAfterDays !== undefined ? [{ Id: 'expire-objects', Status: 'Enabled' as const, ExpirationInDays: l.expireAfterDays }] : []),
    ];
    const bucket = t.resource(
      'Bucket',
      'AWS::S3::Bucket',
      {
        // A fixed name: the policy and the task roles name it before it exists, and a change that
        // would replace the bucket fails instead of moving the services to a new, empty one.
        BucketName: name,
        BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key.getAtt('Arn') }, BucketKeyEnabled: true }] },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: PUBLIC_ACCESS_BLOCKED,
        OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        LoggingConfiguration: { DestinationBucketName: logs.ref, LogFilePrefix: ACCESS_LOG_PREFIX },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
        LifecycleConfiguration: { Rules: rules },
        ...(r.objectLock
          ? { ObjectLockEnabled: true, ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: r.objectLock.mode, Days: r.objectLock.days } } } }
          : {}),
        Tags: tags,
      },
      // A fixed name: kept on stack deletion, deleted if the create that made it rolls back, so a retry can make it again.
      RETAIN_EXCEPT_ON_CREATE,
    );
    t.resource(
      'BucketPolicy',
      'AWS::S3::BucketPolicy',
      { Bucket: bucket.ref, PolicyDocument: { Version: '2012-10-17', Statement: [denyInsecureTransport(bucket.getAtt('Arn')), ...dataPolicy(env, bucket.getAtt('Arn'), clients)] } },
      { metadata: { ...JOIN_FOR_CONTROL_TOWER, ...clientsMetadata(clients) } },
    );
    publish(t, 'KeyArnParameter', env, storeKey(r.name, 'key-arn'), key.getAtt('Arn'), `Key of the ${r.name} bucket, for the services that use it.`);
    return { BucketName: bucket.ref, BucketArn: bucket.getAtt('Arn'), KeyArn: key.getAtt('Arn'), AccessLogBucketName: logs.ref };
  },
});
