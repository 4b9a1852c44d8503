/**
 * A store definition resolved against its environment: every check of templates/storage/<name>.ts
 * and of the environment's `stores.<name>` overrides, with located errors, and the defaults filled
 * in. The data stacks and the service stacks that use a store build from the result.
 */
import { BerthError, q } from '../../../src/dsl/index.ts';
import { at as atFile } from '../../../src/settings/loader.ts';
import type { ResolvedSettings, StoreOverrides } from '../../settings/settings.ts';
import { storeFile, type AuroraEngine, type BucketLifecycle, type BucketObjectLock, type GlobalIndex, type StoreDefinition, type StoreOf, type TableBilling, type TableKey } from './definition.ts';
import { GIB_PER_ACU, INSTANCE_CLASS_MEMORY_GIB } from './instance-classes.ts';
import { BUCKET_NAME_OVERHEAD, storeId } from './names.ts';

/** Store names: lower-case words joined by single hyphens, up to 24 characters. */
const STORE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
export const STORE_NAME_MAX = 24;

/** The engine versions berth defaults to, pinned (the newest its tests and docs were checked with). */
export const DEFAULT_ENGINE_VERSION: Readonly<Record<AuroraEngine, string>> = { postgresql: '17.9', mysql: '8.0.mysql_aurora.3.10.1' };
/** Each engine's port. */
export const ENGINE_PORT: Readonly<Record<AuroraEngine, number>> = { postgresql: 5432, mysql: 3306 };
/** @default for `masterUsername`. */
export const DEFAULT_MASTER_USERNAME = 'berth_admin';
/** @default for `backupRetentionDays`. */
export const DEFAULT_BACKUP_RETENTION_DAYS = 7;
/** @default for `lifecycle.noncurrentVersionsExpireAfterDays`. */
export const DEFAULT_NONCURRENT_DAYS = 90;
/** The longest Region code (`ap-southeast-3`), for names that must fit wherever a stack is deployed. */
const LONGEST_REGION = 14;

/**
 * The oldest version of each engine line whose Serverless v2 instances may scale to 0 ACUs (pause).
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2-auto-pause.html
 */
const AUTO_PAUSE_FROM: Readonly<Record<AuroraEngine, readonly string[]>> = {
  postgresql: ['13.15', '14.12', '15.7', '16.3'],
  mysql: ['8.0.mysql_aurora.3.08.0'],
};

interface Common {
  readonly name: string;
  /** `templates/storage/<name>.ts: ` plus a field path. */
  at(path: string): string;
  /** Where an override of `field` would be: `templates/environments/<env>.json: stores.<name>.<field>`. */
  atOverride(field: string): string;
}

export interface ResolvedAurora extends Common {
  readonly kind: 'aurora';
  readonly def: StoreOf<'aurora'>;
  readonly engine: AuroraEngine;
  readonly engineVersion: string;
  /** `aurora-postgresql` or `aurora-mysql`: RDS's engine name. */
  readonly rdsEngine: string;
  /** The cluster parameter group family, `aurora-postgresql16` or `aurora-mysql8.0`. */
  readonly family: string;
  readonly port: number;
  readonly capacity: { readonly type: 'serverless'; readonly minAcu: number; readonly maxAcu: number } | { readonly type: 'provisioned'; readonly instanceClass: string };
  /** Memory of an instance at its most (Serverless v2: at the maximum ACUs). */
  readonly memoryGiB: number;
  readonly readers: number;
  readonly databaseName: string;
  readonly masterUsername: string;
  readonly backupRetentionDays: number;
  readonly deletionProtection: boolean;
  readonly performanceInsights: boolean;
  /** The engine's logs exported to CloudWatch Logs. https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html */
  readonly logExports: readonly string[];
  /** Availability Zones of the database subnets. */
  readonly zones: number;
}

export interface ResolvedTable extends Common {
  readonly kind: 'dynamodb';
  readonly def: StoreOf<'dynamodb'>;
  readonly billing: TableBilling;
  readonly indexes: readonly GlobalIndex[];
  readonly attributes: readonly TableKey[];
  readonly deletionProtection: boolean;
}

export interface ResolvedBucket extends Common {
  readonly kind: 'bucket';
  readonly def: StoreOf<'bucket'>;
  readonly lifecycle: Required<Pick<BucketLifecycle, 'noncurrentVersionsExpireAfterDays'>> & BucketLifecycle;
  readonly objectLock?: BucketObjectLock;
}

export type ResolvedStore = ResolvedAurora | ResolvedTable | ResolvedBucket;

/** The overrides each kind accepts. */
const OVERRIDES: Readonly<Record<StoreDefinition['kind'], readonly (keyof StoreOverrides)[]>> = {
  aurora: ['minAcu', 'maxAcu', 'instanceClass', 'readers', 'backupRetentionDays', 'deletionProtection', 'performanceInsights'],
  dynamodb: ['deletionProtection', 'readCapacityUnits', 'writeCapacityUnits'],
  bucket: [],
};
const KIND_NAME: Readonly<Record<StoreDefinition['kind'], string>> = { aurora: 'an Aurora cluster', dynamodb: 'a DynamoDB table', bucket: 'an S3 bucket' };

function range(where: string, value: number, min: number, max: number, what: string, step = 1): void {
  if (!Number.isFinite(value) || value < min || value > max || Math.round(value / step) * step !== value) {
    throw new BerthError(where, `is ${q(value)}; ${what} must be ${step === 1 ? 'a whole number' : `a multiple of ${step}`} from ${min} to ${max}. Change it.`);
  }
}

/** Resolves one store for an environment. */
export function resolveStore(s: ResolvedSettings, def: StoreDefinition): ResolvedStore {
  const file = storeFile(def);
  const at = (path: string) => `${file}: ${path}`;
  const atOverride = (field: string) => atFile(s.file, `stores.${def.name}.${field}`);
  checkStoreName(at('name'), def.name);
  const override = s.stores?.[def.name] ?? {};
  for (const field of Object.keys(override) as (keyof StoreOverrides)[]) {
    if (!OVERRIDES[def.kind].includes(field)) {
      const allowed = OVERRIDES[def.kind];
      throw new BerthError(
        atOverride(field),
        `does not apply: store ${q(def.name)} (${file}) is ${KIND_NAME[def.kind]}. ${allowed.length ? `Its overrides: ${allowed.map((f) => q(f)).join(', ')}.` : 'It takes no overrides.'} Remove the field.`,
      );
    }
  }
  const common = { name: def.name, at, atOverride };
  switch (def.kind) {
    case 'aurora':
      return resolveAurora(s, def, override, common);
    case 'dynamodb':
      return resolveTable(def, override, common);
    case 'bucket':
      return resolveBucket(s, def, common);
  }
}

function checkStoreName(where: string, name: string): void {
  if (name.length > STORE_NAME_MAX || !STORE_NAME.test(name)) {
    throw new BerthError(
      where,
      `${q(name)} is not a valid store name. Use 1 to ${STORE_NAME_MAX} lower-case letters and digits, starting with a letter, words joined by single hyphens: it names the stack file, the cluster, table or bucket, and the environment variables.`,
    );
  }
}

/** `16.6` < `16.10`: numeric parts compared in order. */
function versionAtLeast(version: string, floor: string): boolean {
  const a = version.split(/[.]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  const b = floor.split(/[.]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const [x, y] = [a[i] ?? 0, b[i] ?? 0];
    if (x === y) continue;
    return typeof x === 'number' && typeof y === 'number' ? x > y : String(x) > String(y);
  }
  return true;
}

function resolveAurora(s: ResolvedSettings, def: StoreOf<'aurora'>, o: StoreOverrides, c: Common): ResolvedAurora {
  // A DB subnet group must span at least two Availability Zones, and the cluster's instances are
  // spread over them. https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_VPC.WorkingWithRDSInstanceinaVPC.html#USER_VPC.Subnets
  const zones = s.network.subnets.database.length;
  if (zones < 2) {
    throw new BerthError(
      atFile(s.file, 'network.subnets.database'),
      `has ${zones} database subnet${zones === 1 ? '' : 's'}, but Aurora store ${q(def.name)} (${c.at('')}) needs database subnets in at least two Availability Zones (a DB subnet group must span two). Set \`network.availabilityZones\` to 2 or 3 and give a database subnet for each.`,
    );
  }
  const engine = def.engine;
  const engineVersion = def.engineVersion ?? DEFAULT_ENGINE_VERSION[engine];
  const versionPattern = engine === 'postgresql' ? /^(1[1-9]|[2-9]\d)\.\d+$/ : /^8\.0\.mysql_aurora\.3\.\d{2}\.\d+$/;
  if (!versionPattern.test(engineVersion)) {
    throw new BerthError(
      c.at('engineVersion'),
      `${q(engineVersion)} is not an Aurora ${engine === 'postgresql' ? 'PostgreSQL version such as `17.9`' : 'MySQL 3 version such as `8.0.mysql_aurora.3.10.1`'}. Use one that \`aws rds describe-db-engine-versions --engine aurora-${engine}\` lists, or leave it out for ${q(DEFAULT_ENGINE_VERSION[engine])}.`,
    );
  }
  const family = engine === 'postgresql' ? `aurora-postgresql${engineVersion.split('.')[0]}` : 'aurora-mysql8.0';
  let capacity: ResolvedAurora['capacity'];
  let memoryGiB: number;
  if (def.capacity.type === 'serverless') {
    if (o.instanceClass !== undefined) throw new BerthError(c.atOverride('instanceClass'), `is set, but store ${q(def.name)} runs on Aurora Serverless v2 (\`capacity.type: 'serverless'\`). Override \`minAcu\` / \`maxAcu\` instead, or remove it.`);
    const minAcu = o.minAcu ?? def.capacity.minAcu;
    const maxAcu = o.maxAcu ?? def.capacity.maxAcu;
    const where = (f: 'minAcu' | 'maxAcu') => (o[f] !== undefined ? c.atOverride(f) : c.at(`capacity.${f}`));
    // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.setting-capacity.html
    range(where('minAcu'), minAcu, 0, 256, 'the minimum capacity (ACUs)', 0.5);
    range(where('maxAcu'), maxAcu, 1, 256, 'the maximum capacity (ACUs)', 0.5);
    if (minAcu > maxAcu) throw new BerthError(where('minAcu'), `(${minAcu}) is above maxAcu (${maxAcu}). Make minAcu <= maxAcu.`);
    if (minAcu === 0) {
      const major = Number(engineVersion.split('.')[0]);
      // Newer PostgreSQL lines than those listed support it from their first release.
      const floor = engine === 'mysql' ? AUTO_PAUSE_FROM.mysql[0] : (AUTO_PAUSE_FROM.postgresql.find((f) => Number(f.split('.')[0]) === major) ?? (major > 16 ? `${major}.0` : undefined));
      if (!floor || !versionAtLeast(engineVersion, floor)) {
        throw new BerthError(where('minAcu'), `is 0 (pause when idle), which Aurora ${engine === 'postgresql' ? 'PostgreSQL' : 'MySQL'} ${engineVersion} does not support (from ${AUTO_PAUSE_FROM[engine].join(', ')}). Use 0.5 or more, or a newer engine version.`);
      }
    }
    capacity = { type: 'serverless', minAcu, maxAcu };
    memoryGiB = maxAcu * GIB_PER_ACU;
  } else {
    if (o.minAcu !== undefined || o.maxAcu !== undefined) {
      throw new BerthError(c.atOverride(o.minAcu !== undefined ? 'minAcu' : 'maxAcu'), `is set, but store ${q(def.name)} runs on provisioned instances (\`capacity.type: 'provisioned'\`). Override \`instanceClass\` instead, or remove it.`);
    }
    const instanceClass = o.instanceClass ?? def.capacity.instanceClass;
    const memory = INSTANCE_CLASS_MEMORY_GIB.get(instanceClass);
    if (memory === undefined) {
      throw new BerthError(
        o.instanceClass !== undefined ? c.atOverride('instanceClass') : c.at('capacity.instanceClass'),
        `${q(instanceClass)} is not an Aurora instance class berth knows. Use one of ${[...INSTANCE_CLASS_MEMORY_GIB.keys()].map((k) => q(k)).join(', ')}, or add it with its memory to templates/stacks/data/instance-classes.ts.`,
      );
    }
    capacity = { type: 'provisioned', instanceClass };
    memoryGiB = memory;
  }
  const readers = o.readers ?? def.readers ?? 0;
  // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Aurora.Replication.html (up to 15 Aurora Replicas)
  range(o.readers !== undefined ? c.atOverride('readers') : c.at('readers'), readers, 0, 15, 'the reader count');
  const backupRetentionDays = o.backupRetentionDays ?? def.backupRetentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS;
  range(o.backupRetentionDays !== undefined ? c.atOverride('backupRetentionDays') : c.at('backupRetentionDays'), backupRetentionDays, 1, 35, 'the backup retention (days)');
  const databaseName = def.databaseName ?? def.name.replace(/-/g, '_');
  // https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBCluster.html (DatabaseName, MasterUsername)
  if (!/^[A-Za-z][A-Za-z0-9_]{0,62}$/.test(databaseName)) {
    throw new BerthError(c.at('databaseName'), `${q(databaseName)} is not a database name Aurora accepts. Use 1 to 63 letters, digits and underscores, starting with a letter.`);
  }
  const masterUsername = def.masterUsername ?? DEFAULT_MASTER_USERNAME;
  if (!/^[A-Za-z][A-Za-z0-9_]{0,15}$/.test(masterUsername) || ['rdsadmin', 'postgres', 'admin', 'root'].includes(masterUsername.toLowerCase())) {
    throw new BerthError(c.at('masterUsername'), `${q(masterUsername)} is not a master user name Aurora accepts. Use 1 to 16 letters, digits and underscores, starting with a letter, and not a reserved name (rdsadmin, postgres, admin, root).`);
  }
  return {
    ...c,
    kind: 'aurora',
    def,
    engine,
    engineVersion,
    rdsEngine: `aurora-${engine}`,
    family,
    port: ENGINE_PORT[engine],
    capacity,
    memoryGiB,
    readers,
    databaseName,
    masterUsername,
    backupRetentionDays,
    deletionProtection: o.deletionProtection ?? true,
    performanceInsights: o.performanceInsights ?? true,
    logExports: engine === 'postgresql' ? ['postgresql'] : ['error', 'slowquery'],
    zones,
  };
}

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,255}$/;

function resolveTable(def: StoreOf<'dynamodb'>, o: StoreOverrides, c: Common): ResolvedTable {
  const attributes = new Map<string, { key: TableKey; path: string }>();
  const key = (k: TableKey, path: string) => {
    if (!ATTRIBUTE_NAME.test(k.name)) throw new BerthError(c.at(`${path}.name`), `${q(k.name)} is not an attribute name berth accepts. Use 1 to 255 letters, digits, \`_\`, \`.\` and \`-\`.`);
    const seen = attributes.get(k.name);
    if (seen && seen.key.type !== k.type) {
      throw new BerthError(c.at(`${path}.type`), `is ${q(k.type)}, but attribute ${q(k.name)} is ${q(seen.key.type)} in ${seen.path}. An attribute has one type across the table and its indexes: use the same type.`);
    }
    if (!seen) attributes.set(k.name, { key: k, path });
  };
  key(def.partitionKey, 'partitionKey');
  if (def.sortKey) {
    key(def.sortKey, 'sortKey');
    if (def.sortKey.name === def.partitionKey.name) throw new BerthError(c.at('sortKey.name'), `${q(def.sortKey.name)} is also the partition key. Use another attribute for the sort key.`);
  }
  const indexes = def.globalIndexes ?? [];
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-secondary-indexes (20 per table)
  if (indexes.length > 20) throw new BerthError(c.at('globalIndexes'), `has ${indexes.length} indexes; DynamoDB allows 20 global secondary indexes per table. Remove some.`);
  const names = new Set<string>();
  indexes.forEach((ix, i) => {
    if (!/^[A-Za-z0-9_.-]{3,255}$/.test(ix.name)) throw new BerthError(c.at(`globalIndexes[${i}].name`), `${q(ix.name)} is not an index name DynamoDB accepts. Use 3 to 255 letters, digits, \`_\`, \`.\` and \`-\`.`);
    if (names.has(ix.name)) throw new BerthError(c.at(`globalIndexes[${i}].name`), `${q(ix.name)} names two indexes. Give each index its own name.`);
    names.add(ix.name);
    key(ix.partitionKey, `globalIndexes[${i}].partitionKey`);
    if (ix.sortKey) key(ix.sortKey, `globalIndexes[${i}].sortKey`);
    const p = ix.projection;
    if (p && typeof p === 'object' && (p.include.length === 0 || p.include.length > 100)) {
      throw new BerthError(c.at(`globalIndexes[${i}].projection.include`), `lists ${p.include.length} attributes; an INCLUDE projection takes 1 to 100. Use \`'keysOnly'\` or \`'all'\`, or list the attributes to copy.`);
    }
  });
  if (def.timeToLiveAttribute !== undefined && !ATTRIBUTE_NAME.test(def.timeToLiveAttribute)) {
    throw new BerthError(c.at('timeToLiveAttribute'), `${q(def.timeToLiveAttribute)} is not an attribute name berth accepts. Use 1 to 255 letters, digits, \`_\`, \`.\` and \`-\`.`);
  }
  let billing: TableBilling = def.billing ?? { mode: 'payPerRequest' };
  if (billing.mode === 'payPerRequest') {
    const field = o.readCapacityUnits !== undefined ? 'readCapacityUnits' : o.writeCapacityUnits !== undefined ? 'writeCapacityUnits' : undefined;
    if (field) throw new BerthError(c.atOverride(field), `is set, but table ${q(def.name)} is billed per request (\`billing.mode: 'payPerRequest'\`). Remove it, or give the table \`billing: { mode: 'provisioned', ... }\`.`);
  } else {
    billing = { mode: 'provisioned', readCapacityUnits: o.readCapacityUnits ?? billing.readCapacityUnits, writeCapacityUnits: o.writeCapacityUnits ?? billing.writeCapacityUnits };
    range(o.readCapacityUnits !== undefined ? c.atOverride('readCapacityUnits') : c.at('billing.readCapacityUnits'), billing.readCapacityUnits, 1, 40_000, 'the read capacity');
    range(o.writeCapacityUnits !== undefined ? c.atOverride('writeCapacityUnits') : c.at('billing.writeCapacityUnits'), billing.writeCapacityUnits, 1, 40_000, 'the write capacity');
  }
  return { ...c, kind: 'dynamodb', def, billing, indexes, attributes: [...attributes.values()].map((a) => a.key), deletionProtection: o.deletionProtection ?? true };
}

function resolveBucket(s: ResolvedSettings, def: StoreOf<'bucket'>, c: Common): ResolvedBucket {
  // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html: at most 63 characters.
  const length = s.name.length + def.name.length + BUCKET_NAME_OVERHEAD + LONGEST_REGION;
  if (length > 63) {
    throw new BerthError(
      c.at('name'),
      `${q(def.name)} makes bucket names of up to ${length} characters in environment ${q(s.name)} (\`<environment>-<store>-<account>-<region>\`), and S3 allows 63. Shorten the store name to ${def.name.length - (length - 63)} characters or fewer.`,
    );
  }
  const l = def.lifecycle ?? {};
  const lifecycle = { ...l, noncurrentVersionsExpireAfterDays: l.noncurrentVersionsExpireAfterDays ?? DEFAULT_NONCURRENT_DAYS };
  range(c.at('lifecycle.noncurrentVersionsExpireAfterDays'), lifecycle.noncurrentVersionsExpireAfterDays, 1, 36_500, 'the days noncurrent versions are kept');
  if (l.expireAfterDays !== undefined) range(c.at('lifecycle.expireAfterDays'), l.expireAfterDays, 1, 36_500, 'the days objects are kept');
  if (l.infrequentAccessAfterDays !== undefined) {
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-transition-general-considerations.html (30 days in Standard first)
    range(c.at('lifecycle.infrequentAccessAfterDays'), l.infrequentAccessAfterDays, 30, 36_500, 'the days before S3 Standard-IA');
    if (l.expireAfterDays !== undefined && l.expireAfterDays <= l.infrequentAccessAfterDays) {
      throw new BerthError(c.at('lifecycle.expireAfterDays'), `(${l.expireAfterDays}) is not after infrequentAccessAfterDays (${l.infrequentAccessAfterDays}): objects would expire before they move. Remove the transition or expire later.`);
    }
  }
  if (def.objectLock) {
    range(c.at('objectLock.days'), def.objectLock.days, 1, 36_500, 'the Object Lock retention (days)');
    if (l.expireAfterDays !== undefined && l.expireAfterDays < def.objectLock.days) {
      throw new BerthError(c.at('lifecycle.expireAfterDays'), `(${l.expireAfterDays}) is shorter than the Object Lock retention (${def.objectLock.days} days): S3 cannot expire a locked version. Expire after the retention, or shorten it.`);
    }
  }
  return { ...c, kind: 'bucket', def, lifecycle, ...(def.objectLock ? { objectLock: def.objectLock } : {}) };
}

/** The stores of an estate, checked together: unique names, and overrides only for stores that exist. */
export function checkStores(s: ResolvedSettings, stores: readonly StoreDefinition[]): void {
  const seen = new Map<string, StoreDefinition>();
  const ids = new Map<string, StoreDefinition>();
  for (const store of stores) {
    const other = seen.get(store.name);
    if (other) throw new BerthError(`${storeFile(store)}: name`, `${q(store.name)} is also the name of the store in ${storeFile(other)}. Give each store its own name.`);
    seen.set(store.name, store);
    // `a-1` and `a1` would both nest as `A1Store` and name the same variables: refuse the pair.
    const same = ids.get(storeId(store.name));
    if (same) throw new BerthError(`${storeFile(store)}: name`, `${q(store.name)} and ${q(same.name)} (${storeFile(same)}) make the same logical ID ${q(`${storeId(store.name)}Store`)}. Rename one of them.`);
    ids.set(storeId(store.name), store);
  }
  for (const name of Object.keys(s.stores ?? {})) {
    if (!seen.has(name)) {
      throw new BerthError(
        atFile(s.file, `stores.${name}`),
        `overrides store ${q(name)}, which the estate does not define. Stores: ${stores.length ? stores.map((d) => q(d.name)).join(', ') : 'none'} (templates/storage/). Fix the name or remove the entry.`,
      );
    }
  }
}
