/**
 * A DynamoDB store's stack (`data-<name>.yaml`): one table, encrypted with the store's own key,
 * with point-in-time recovery, deletion protection (unless an environment turns it off) and a
 * fixed name, kept when the stack is deleted; the key's ARN in the estate registry for the
 * services that use it (their task roles get exactly the item-level actions of their access level,
 * in their own stacks: templates/stacks/data/grants.ts).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html
 */
import { contract, defineStack, output, type OutputsOf } from '../../../src/dsl/index.ts';
import { environmentNameParameter } from '../shared/environment-name.ts';
import { customerKey } from '../shared/kms.ts';
import { publish } from '../shared/registry.ts';
import { RETAIN_EXCEPT_ON_CREATE } from '../shared/retention.ts';
import { clientsMetadata, storeTags, type DataStackSettings } from './common.ts';
import type { GlobalIndex, TableKey } from './definition.ts';
import { stackName, storeKey, storePhysicalName } from './names.ts';
import type { ResolvedTable } from './resolve.ts';

const STREAM_VIEW = { keysOnly: 'KEYS_ONLY', newImage: 'NEW_IMAGE', oldImage: 'OLD_IMAGE', newAndOldImages: 'NEW_AND_OLD_IMAGES' } as const;

function keySchema(partition: TableKey, sort: TableKey | undefined) {
  return [{ AttributeName: partition.name, KeyType: 'HASH' }, ...(sort ? [{ AttributeName: sort.name, KeyType: 'RANGE' }] : [])];
}

function projection(p: GlobalIndex['projection']) {
  if (p === undefined || p === 'all') return { ProjectionType: 'ALL' };
  if (p === 'keysOnly') return { ProjectionType: 'KEYS_ONLY' };
  return { ProjectionType: 'INCLUDE', NonKeyAttributes: [...p.include] };
}

export const tableContract = contract({
  name: ({ store }: DataStackSettings<ResolvedTable>) => stackName(store.name),
  description: ({ settings, store: r }: DataStackSettings<ResolvedTable>) =>
    `berth data store ${r.name} for ${settings.name}: DynamoDB table (${r.billing.mode === 'payPerRequest' ? 'on demand' : 'provisioned'}, ${r.indexes.length} global index${r.indexes.length === 1 ? '' : 'es'}), encrypted with its own key, point-in-time recovery.`,
  parameters: ({ settings }: DataStackSettings<ResolvedTable>) => ({
    EnvironmentName: environmentNameParameter(settings.name, 'Name prefix for the resources (the table <environment>-<store>, tags, registry entries).'),
  }),
  outputs: {
    TableName: output('String', { description: 'The table (<environment>-<store>).' }),
    TableArn: output('String', { description: 'The table ARN.' }),
    KeyArn: output('String', { description: 'The KMS key that encrypts the table.' }),
    StreamArn: output('String', { description: 'The table\'s stream, or `none`.' }),
  },
});

/** What the DynamoDB stack's `build` returns: a value for each output of its contract. */
export interface TableOutputs extends OutputsOf<typeof tableContract> {}

export const tableStore = defineStack(tableContract, {
  build(t, p, { store: r, clients }): TableOutputs {
    const env = p.EnvironmentName.ref;
    const tags = storeTags(env, r.name);
    // A customer managed key, so a task role's kms:Decrypt names this table's key only. DynamoDB
    // uses it on behalf of the principal that reads or writes the table (to decrypt the table
    // key), which the services' task roles are granted through DynamoDB only; DynamoDB itself
    // reads the key's metadata, as in the policy of its AWS managed key.
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html
    const key = customerKey(t, 'TableKey', {
      description: `Encrypts the ${r.name} table`,
      statements: [{ Sid: 'DynamoDbDescribesKey', Effect: 'Allow', Principal: { Service: 'dynamodb.amazonaws.com' }, Action: ['kms:Describe*', 'kms:Get*', 'kms:List*'], Resource: '*' }],
      tags,
    });
    const provisioned = r.billing.mode === 'provisioned' ? { ReadCapacityUnits: r.billing.readCapacityUnits, WriteCapacityUnits: r.billing.writeCapacityUnits } : undefined;
    const table = t.resource(
      'Table',
      'AWS::DynamoDB::Table',
      {
        // A fixed name: a change that would replace the table (its key schema) fails instead of
        // moving the services to a new, empty table.
        TableName: storePhysicalName(env, r.name),
        BillingMode: provisioned ? 'PROVISIONED' : 'PAY_PER_REQUEST',
        ...(provisioned ? { ProvisionedThroughput: provisioned } : {}),
        AttributeDefinitions: r.attributes.map((a) => ({ AttributeName: a.name, AttributeType: a.type })),
        KeySchema: keySchema(r.def.partitionKey, r.def.sortKey),
        ...(r.indexes.length
          ? {
              GlobalSecondaryIndexes: r.indexes.map((ix) => ({
                IndexName: ix.name,
                KeySchema: keySchema(ix.partitionKey, ix.sortKey),
                Projection: projection(ix.projection),
                ...(provisioned ? { ProvisionedThroughput: provisioned } : {}),
              })),
            }
          : {}),
        ...(r.def.timeToLiveAttribute ? { TimeToLiveSpecification: { AttributeName: r.def.timeToLiveAttribute, Enabled: true } } : {}),
        ...(r.def.stream ? { StreamSpecification: { StreamViewType: STREAM_VIEW[r.def.stream] } } : {}),
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: key.getAtt('Arn') },
        // Restore to any second of the last 35 days. https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/PointInTimeRecovery.html
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: r.deletionProtection,
        Tags: tags,
      },
      // A fixed name: kept on stack deletion, deleted if the create that made it rolls back, so a retry can make it again.
      { ...RETAIN_EXCEPT_ON_CREATE, metadata: clientsMetadata(clients) },
    );
    publish(t, 'KeyArnParameter', env, storeKey(r.name, 'key-arn'), key.getAtt('Arn'), `Key of the ${r.name} table, for the services that use it.`);
    return { TableName: table.ref, TableArn: table.getAtt('Arn'), KeyArn: key.getAtt('Arn'), StreamArn: r.def.stream ? table.getAtt('StreamArn') : 'none' };
  },
});
