/**
 * How an estate describes its data stores, in TypeScript like its services: an Aurora cluster, a
 * DynamoDB table or an S3 bucket, each defined once (templates/storage/<name>.ts) and named by
 * the services that use it through a typed handle with an access level. `appdb.connect`,
 * `jobs.readWrite`, `reports.read`: a store that is not imported does not compile, and an access
 * level the store's kind does not have (`appdb.read`, `jobs.connect`) is a compile error too.
 */
import { callerFile } from '../shared/caller-file.ts';

/** The kinds of store berth builds. */
export type StoreKind = 'aurora' | 'dynamodb' | 'bucket';

/** What a service may do with a store of each kind. */
export interface StoreAccessLevels {
  /** Aurora: reach the cluster on its port, with the master credentials injected as secrets. */
  readonly aurora: 'connect';
  /** DynamoDB: item reads (`read`), or reads and writes (`readWrite`), on the table and its indexes. */
  readonly dynamodb: 'read' | 'readWrite';
  /** S3: object reads and listing (`read`), or reads, writes and deletes (`readWrite`). */
  readonly bucket: 'read' | 'readWrite';
}
export type AccessLevel = StoreAccessLevels[StoreKind];

/**
 * A service's use of a store, from a store's handle (`appdb.connect`): the only way to name one,
 * so a typo or a store of another estate cannot be named.
 */
export class StoreAccess<K extends StoreKind = StoreKind> {
  /** @internal use a store's handle: `defineAurora(...).connect` */
  constructor(
    /** The store's name. */
    readonly store: string,
    readonly kind: K,
    readonly access: StoreAccessLevels[K],
  ) {}
}

// ---------------------------------------------------------------------------------------------
// Aurora

/** The database engine: Aurora PostgreSQL or Aurora MySQL. */
export type AuroraEngine = 'postgresql' | 'mysql';

/**
 * The cluster's instances: Aurora Serverless v2 (`db.serverless`, scaling between two capacities
 * in Aurora capacity units of about 2 GiB of memory each), or a fixed instance class.
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.how-it-works.html
 */
export type AuroraCapacity =
  | {
      readonly type: 'serverless';
      /** Fewest ACUs, 0 to 256 in steps of 0.5 (0 pauses an idle cluster, on engine versions that support it). */
      readonly minAcu: number;
      /** Most ACUs, 1 to 256 in steps of 0.5. */
      readonly maxAcu: number;
    }
  | {
      readonly type: 'provisioned';
      /** A memory-optimized or burstable class berth knows, such as `db.r7g.large` (templates/stacks/data/instance-classes.ts). */
      readonly instanceClass: string;
    };

export interface AuroraProps {
  /** Lower-case name: the stack file is `data-<name>.yaml`, the cluster `<environment>-<name>`, variables `<NAME>_DB_*`. */
  readonly name: string;
  readonly engine: AuroraEngine;
  /**
   * The engine version, pinned so that CloudFormation never changes it unasked (minor versions
   * are upgraded by RDS in the maintenance window). @default - `17.9` for PostgreSQL, `8.0.mysql_aurora.3.10.1` (a long-term support release) for MySQL
   */
  readonly engineVersion?: string;
  /** Environments may override the capacities and the class (`stores.<name>` in the settings file). */
  readonly capacity: AuroraCapacity;
  /** Reader instances beside the writer, each in the next Availability Zone. Environments may override. @default 0 */
  readonly readers?: number;
  /** The database created in the cluster. @default - the store's name with `_` for `-` */
  readonly databaseName?: string;
  /** The master user, whose password RDS generates and keeps in Secrets Manager. @default 'berth_admin' */
  readonly masterUsername?: string;
  /** Days of automated backups (point-in-time restore), 1 to 35. Environments may override. @default 7 */
  readonly backupRetentionDays?: number;
}

// ---------------------------------------------------------------------------------------------
// DynamoDB

/** A key attribute: its name and scalar type (`S` string, `N` number, `B` binary). */
export interface TableKey {
  readonly name: string;
  readonly type: 'S' | 'N' | 'B';
}

/** https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.ReadWriteCapacityMode.html */
export type TableBilling =
  | { readonly mode: 'payPerRequest' }
  | { readonly mode: 'provisioned'; readonly readCapacityUnits: number; readonly writeCapacityUnits: number };

/** https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html */
export interface GlobalIndex {
  readonly name: string;
  readonly partitionKey: TableKey;
  /** @default - none */
  readonly sortKey?: TableKey;
  /** Attributes copied into the index. @default 'all' */
  readonly projection?: 'all' | 'keysOnly' | { readonly include: readonly string[] };
}

export interface TableProps {
  /** Lower-case name: the table is `<environment>-<name>`, the variable `<NAME>_TABLE_NAME`. */
  readonly name: string;
  readonly partitionKey: TableKey;
  /** @default - none */
  readonly sortKey?: TableKey;
  /** @default { mode: 'payPerRequest' } */
  readonly billing?: TableBilling;
  /** @default - none */
  readonly globalIndexes?: readonly GlobalIndex[];
  /** The attribute holding each item's expiry (epoch seconds). @default - no expiry */
  readonly timeToLiveAttribute?: string;
  /** A DynamoDB stream of item changes. @default - none */
  readonly stream?: 'keysOnly' | 'newImage' | 'oldImage' | 'newAndOldImages';
}

// ---------------------------------------------------------------------------------------------
// S3

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html */
export interface BucketLifecycle {
  /** Delete current objects this many days after creation. @default - never */
  readonly expireAfterDays?: number;
  /** Delete replaced and deleted versions this many days after they stop being current. @default 90 */
  readonly noncurrentVersionsExpireAfterDays?: number;
  /** Move objects to S3 Standard-IA this many days after creation (30 or more). @default - never */
  readonly infrequentAccessAfterDays?: number;
}

/** Write-once retention: each new version cannot be deleted or overwritten for `days`. https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock.html */
export interface BucketObjectLock {
  /** `GOVERNANCE`: principals with `s3:BypassGovernanceRetention` may lift it; `COMPLIANCE`: nobody, root included. */
  readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
  readonly days: number;
}

export interface BucketProps {
  /** Lower-case name: the bucket is `<environment>-<name>-<account>-<region>`, the variable `<NAME>_BUCKET_NAME`. */
  readonly name: string;
  /** Buckets are always versioned; this manages the versions. @default - noncurrent versions expire after 90 days */
  readonly lifecycle?: BucketLifecycle;
  /** @default - none */
  readonly objectLock?: BucketObjectLock;
}

// ---------------------------------------------------------------------------------------------
// Definitions and handles

export type StoreDefinition =
  | ({ readonly kind: 'aurora' } & AuroraProps)
  | ({ readonly kind: 'dynamodb' } & TableProps)
  | ({ readonly kind: 'bucket' } & BucketProps);

/** A store of kind `K`. */
export type StoreOf<K extends StoreKind> = Extract<StoreDefinition, { kind: K }>;

/** What `defineAurora` returns: the definition and its one access level. */
export type AuroraStore = StoreOf<'aurora'> & { readonly connect: StoreAccess<'aurora'> };
/** What `defineTable` returns: the definition and its access levels. */
export type TableStore = StoreOf<'dynamodb'> & { readonly read: StoreAccess<'dynamodb'>; readonly readWrite: StoreAccess<'dynamodb'> };
/** What `defineBucket` returns: the definition and its access levels. */
export type BucketStore = StoreOf<'bucket'> & { readonly read: StoreAccess<'bucket'>; readonly readWrite: StoreAccess<'bucket'> };

const DEFINED_IN = Symbol('berth.storeDefinedIn');

function located<T extends object>(value: T): T {
  Object.defineProperty(value, DEFINED_IN, { value: callerFile(/\/data\/definition\.[cm]?[jt]s$/), enumerable: true });
  return value;
}

/** An Aurora cluster (PostgreSQL or MySQL) in the database subnets. Services use it with `.connect`. */
export function defineAurora(props: AuroraProps): AuroraStore {
  return located({ ...props, kind: 'aurora' as const, connect: new StoreAccess(props.name, 'aurora', 'connect') });
}

/** A DynamoDB table. Services use it with `.read` or `.readWrite`. */
export function defineTable(props: TableProps): TableStore {
  return located({ ...props, kind: 'dynamodb' as const, read: new StoreAccess(props.name, 'dynamodb', 'read'), readWrite: new StoreAccess(props.name, 'dynamodb', 'readWrite') });
}

/** An S3 bucket. Services use it with `.read` or `.readWrite`. */
export function defineBucket(props: BucketProps): BucketStore {
  return located({ ...props, kind: 'bucket' as const, read: new StoreAccess(props.name, 'bucket', 'read'), readWrite: new StoreAccess(props.name, 'bucket', 'readWrite') });
}

/**
 * Where a store was defined, as the user would open it, for messages: the file that called
 * `defineAurora` / `defineTable` / `defineBucket`, else `store <name>`.
 */
export function storeFile(store: StoreDefinition): string {
  return (store as { [DEFINED_IN]?: () => string | undefined })[DEFINED_IN]?.() ?? `store \`${store.name}\``;
}
