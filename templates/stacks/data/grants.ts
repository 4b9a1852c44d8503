/**
 * A service's side of the stores it uses (`uses` in its definition), built in its own stack:
 * parameters that read each store's registry entries, the environment variables and secrets its
 * container gets, the exact IAM statements of its access level for the execution and task roles,
 * and, for a database, the security-group rules that admit this service and no other source.
 *
 * The database's ingress rule lives here, not in the data stack: the data stack is created before
 * the services (they read its endpoint), so it cannot name their security groups; each service
 * adds its own `AWS::EC2::SecurityGroupIngress` to the database's group, from its own group, on the
 * engine's port. Deleting the service's stack deletes its rule. The policy gate proves that every
 * rule on a database's group comes from a declaring service (scripts/lint/policy-rules.ts).
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroupingress.html
 */
import { AWS, BerthError, q, sub, type EC2SecurityGroupEgress, type Intrinsic, type Json, type Resource, type Template, type Value } from '../../../src/dsl/index.ts';
import { registryParameter } from '../shared/registry.ts';
import type { AccessLevel } from './definition.ts';
import { READ_ACTIONS, WRITE_ACTIONS } from './bucket.ts';
import { bucketName, REGISTRY_ENTRIES, storeId, storeKey, storeParameterName, storePhysicalName, variablePrefix, type RegistryEntry } from './names.ts';
import type { ResolvedAurora, ResolvedStore } from './resolve.ts';

/** A store a service uses, resolved, with the service's access level. */
export interface StoreUse {
  readonly store: ResolvedStore;
  readonly access: AccessLevel;
}

const GROUP = 'Data stores this service uses';

/**
 * Item-level DynamoDB actions per access level: on the table, and (queries and scans) on each of
 * its indexes. `readWrite` adds the writes and the condition checks of transactions.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html
 */
export const TABLE_ACTIONS = {
  read: ['dynamodb:BatchGetItem', 'dynamodb:DescribeTable', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
  write: ['dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  index: ['dynamodb:Query', 'dynamodb:Scan'],
} as const;

/** The environment variables a store's users get, by kind (values from `storeVariables`). */
export function variableNames(store: ResolvedStore): { readonly plain: readonly string[]; readonly secret: readonly string[] } {
  const p = variablePrefix(store.name);
  switch (store.kind) {
    case 'aurora':
      return { plain: [`${p}_DB_HOST`, `${p}_DB_READER_HOST`, `${p}_DB_PORT`, `${p}_DB_NAME`, `${p}_DB_SECRET_ARN`], secret: [`${p}_DB_USERNAME`, `${p}_DB_PASSWORD`] };
    case 'dynamodb':
      return { plain: [`${p}_TABLE_NAME`], secret: [] };
    case 'bucket':
      return { plain: [`${p}_BUCKET_NAME`], secret: [] };
  }
}

/** The parameters of a service stack for its stores: each store's registry entries, defaulting to the environment's. */
export function storeParameters(environment: string, uses: readonly StoreUse[]) {
  const out: Record<string, ReturnType<typeof registryParameter> | ReturnType<typeof registryParameter<'AWS::EC2::SecurityGroup::Id'>>> = {};
  const what: Record<RegistryEntry, string> = {
    'security-group-id': 'Security group of the {} database (this service admits itself to it on the engine\'s port).',
    endpoint: 'Writer endpoint of the {} database.',
    'reader-endpoint': 'Reader endpoint of the {} database.',
    'secret-arn': 'Secrets Manager secret with the {} master credentials (the execution role injects them).',
    'secret-key-arn': 'KMS key of the {} master credentials\' secret.',
    'key-arn': 'KMS key of the {} store (reading and writing need it, through the store\'s service only).',
  };
  for (const { store } of uses) {
    for (const entry of REGISTRY_ENTRIES[store.kind] as readonly RegistryEntry[]) {
      const description = what[entry].replace('{}', store.name);
      const label = `${store.name} ${entry.replace(/-/g, ' ')}`;
      out[storeParameterName(store.name, entry)] =
        entry === 'security-group-id'
          ? registryParameter(environment, storeKey(store.name, entry), description, GROUP, label, 'AWS::EC2::SecurityGroup::Id')
          : registryParameter(environment, storeKey(store.name, entry), description, GROUP, label);
    }
  }
  return out;
}

/** What the stores give a service's stack: its container's variables and secrets, the roles' statements, security-group rules. */
export interface StoreWiring {
  readonly environment: readonly [string, Value<string>][];
  readonly secrets: readonly { readonly name: string; readonly valueFrom: Value<string> }[];
  /** Statements of the execution role (reading the database secrets it injects). */
  readonly execution: readonly Json[];
  /** Statements of the task role. */
  readonly task: readonly Json[];
  /** Egress rules of the service's security group (to its databases). */
  readonly egress: readonly EC2SecurityGroupEgress[];
  /** The task role must have its fixed name: a bucket's policy names it. */
  readonly namedRole: boolean;
  /** `appdb (connect): APPDB_DB_HOST, ...; jobs (readWrite): JOBS_TABLE_NAME`, or `none`: the service stack's `DataStores` output. */
  readonly summary: string;
  /** Adds the ingress rules that admit the service's security group to its databases. */
  admit(t: Template, securityGroup: Resource<'AWS::EC2::SecurityGroup'>): void;
}

type Handles = Record<string, { readonly ref: Intrinsic<'String'> | Intrinsic<'AWS::EC2::SecurityGroup::Id'> } | undefined>;

/** KMS use only through the store's own service: a key grant that cannot be used directly. */
function through(service: string): Json {
  return { StringEquals: { 'kms:ViaService': sub`${service}.${AWS.Region}.amazonaws.com` } };
}

/** A statement over the resources it collects, left out while it has none. */
class Grant {
  private readonly resources: Value<string>[] = [];
  constructor(
    private readonly sid: string,
    private readonly actions: string | readonly string[],
    private readonly condition?: Json,
  ) {}
  add(...resources: Value<string>[]): void {
    this.resources.push(...resources);
  }
  statement(): Json[] {
    if (!this.resources.length) return [];
    const Action = typeof this.actions === 'string' ? this.actions : [...this.actions];
    return [{ Sid: this.sid, Effect: 'Allow', Action, Resource: this.resources.length === 1 ? this.resources[0]! : [...this.resources], ...(this.condition ? { Condition: this.condition } : {}) }];
  }
}

/**
 * Builds a service's wiring to its stores, from its stack's parameter handles (declared by
 * `storeParameters`). The roles' statements are grouped by purpose, each listing the stores it
 * covers (`ReadTables` on each table the service reads), so that a service of many stores stays
 * within IAM's size limit for a role's inline policies (see `checkRolePolicySize`).
 */
export function storeWiring(env: Intrinsic<'String'>, service: string, uses: readonly StoreUse[], handles: Handles): StoreWiring {
  const param = (store: string, entry: RegistryEntry) => {
    const h = handles[storeParameterName(store, entry)];
    if (!h) throw new Error(`berth bug: parameter ${storeParameterName(store, entry)} was used but not declared`);
    return h.ref;
  };
  const environment: [string, Value<string>][] = [];
  const secrets: { name: string; valueFrom: Value<string> }[] = [];
  const egress: EC2SecurityGroupEgress[] = [];
  const databases: { store: ResolvedAurora; group: Intrinsic<'AWS::EC2::SecurityGroup::Id'> }[] = [];
  const summary: string[] = [];
  // The database secrets: the execution role reads exactly them to inject them, decrypting with
  // exactly their keys, through Secrets Manager only. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html#secrets-iam
  // The task role may read them again: RDS rotates the password (every 7 days by default), and a
  // task started before a rotation must fetch the new one to open new connections.
  // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html
  const readSecrets = new Grant('ReadDatabaseSecrets', 'secretsmanager:GetSecretValue');
  const decryptSecrets = new Grant('DecryptDatabaseSecrets', 'kms:Decrypt', through('secretsmanager'));
  // Item-level actions on each table (and queries on its indexes); DynamoDB decrypts the table key
  // with the caller's permission, for reads and writes alike. https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
  const readTables = new Grant('ReadTables', TABLE_ACTIONS.read);
  const writeTables = new Grant('WriteTables', TABLE_ACTIONS.write);
  const queryIndexes = new Grant('QueryIndexes', TABLE_ACTIONS.index);
  const decryptTables = new Grant('DecryptTables', 'kms:Decrypt', through('dynamodb'));
  // SSE-KMS: reading decrypts an object's data key, writing makes one (and multipart uploads
  // decrypt it again). https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms
  const listBuckets = new Grant('ListBuckets', 's3:ListBucket');
  const readObjects = new Grant('ReadObjects', READ_ACTIONS.filter((a) => a !== 's3:ListBucket'));
  const writeObjects = new Grant('WriteObjects', WRITE_ACTIONS);
  const decryptObjects = new Grant('DecryptObjects', 'kms:Decrypt', through('s3'));
  const encryptObjects = new Grant('EncryptObjects', 'kms:GenerateDataKey', through('s3'));
  for (const { store, access } of uses) {
    const names = variableNames(store);
    summary.push(`${store.name} (${access}): ${[...names.plain, ...names.secret.map((n) => `${n} (secret)`)].join(', ')}`);
    switch (store.kind) {
      case 'aurora': {
        const secretArn = param(store.name, 'secret-arn') as Intrinsic<'String'>;
        const [host, reader, port, database, secretVariable] = names.plain as [string, string, string, string, string];
        environment.push(
          [host, param(store.name, 'endpoint') as Intrinsic<'String'>],
          [reader, param(store.name, 'reader-endpoint') as Intrinsic<'String'>],
          [port, String(store.port)],
          [database, store.databaseName],
          [secretVariable, secretArn],
        );
        // One key of the secret's JSON each: https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html
        const [username, password] = names.secret as [string, string];
        secrets.push({ name: username, valueFrom: sub`${secretArn}:username::` }, { name: password, valueFrom: sub`${secretArn}:password::` });
        readSecrets.add(secretArn);
        decryptSecrets.add(param(store.name, 'secret-key-arn') as Intrinsic<'String'>);
        const group = param(store.name, 'security-group-id') as Intrinsic<'AWS::EC2::SecurityGroup::Id'>;
        egress.push({ IpProtocol: 'tcp', FromPort: store.port, ToPort: store.port, DestinationSecurityGroupId: group, Description: `To the ${store.name} database` });
        databases.push({ store, group });
        break;
      }
      case 'dynamodb': {
        const table = sub`arn:${AWS.Partition}:dynamodb:${AWS.Region}:${AWS.AccountId}:table/${storePhysicalName(env, store.name)}`;
        environment.push([names.plain[0]!, storePhysicalName(env, store.name)]);
        readTables.add(table);
        if (access === 'readWrite') writeTables.add(table);
        queryIndexes.add(...store.indexes.map((ix) => sub`${table}/index/${ix.name}`));
        decryptTables.add(param(store.name, 'key-arn') as Intrinsic<'String'>);
        break;
      }
      case 'bucket': {
        const bucket = bucketName(env, store.name);
        const arn = sub`arn:${AWS.Partition}:s3:::${bucket}`;
        environment.push([names.plain[0]!, bucket]);
        const key = param(store.name, 'key-arn') as Intrinsic<'String'>;
        listBuckets.add(arn);
        readObjects.add(sub`${arn}/*`);
        decryptObjects.add(key);
        if (access === 'readWrite') {
          writeObjects.add(sub`${arn}/*`);
          encryptObjects.add(key);
        }
        break;
      }
    }
  }
  const secretStatements = [...readSecrets.statement(), ...decryptSecrets.statement()];
  return {
    environment,
    secrets,
    execution: secretStatements,
    task: [
      ...secretStatements,
      ...[readTables, writeTables, queryIndexes, decryptTables, listBuckets, readObjects, writeObjects, decryptObjects, encryptObjects].flatMap((g) => g.statement()),
    ],
    egress,
    namedRole: uses.some((u) => u.store.kind === 'bucket'),
    summary: summary.length ? summary.join('; ') : 'none',
    admit(t, securityGroup) {
      for (const { store, group } of databases) {
        t.resource(`${storeId(store.name)}DatabaseIngress`, 'AWS::EC2::SecurityGroupIngress', {
          GroupId: group,
          IpProtocol: 'tcp',
          FromPort: store.port,
          ToPort: store.port,
          SourceSecurityGroupId: securityGroup.ref,
          Description: sub`From ${env} ${service} tasks (uses ${store.name})`,
        });
      }
    },
  };
}

/**
 * The stores a service uses, matched with the estate's resolved stores: refuses a store the estate
 * does not have, and a store named twice.
 */
export function storeUses(where: (path: string) => string, uses: readonly { readonly store: string; readonly access: AccessLevel }[], stores: readonly ResolvedStore[]): StoreUse[] {
  const seen = new Set<string>();
  return uses.map((u, i) => {
    const store = stores.find((s) => s.name === u.store);
    if (!store) {
      throw new BerthError(
        where(`uses[${i}]`),
        `names store ${q(u.store)}, which is not a store of this estate. Add it to the estate's stores (templates/storage/index.ts), or remove it from \`uses\`.`,
      );
    }
    if (seen.has(u.store)) throw new BerthError(where(`uses[${i}]`), `names store ${q(u.store)} a second time. Name each store once, with the access level the service needs.`);
    seen.add(u.store);
    return { store, access: u.access };
  });
}
