/**
 * The names of a store's resources and of what reaches the services that use it: fixed physical
 * names (a store whose update would need a replacement then fails instead of moving its services
 * to a new, empty store), the estate registry entries, logical IDs and environment variables.
 */
import { AWS, sub, type Intrinsic } from '../../../src/dsl/index.ts';
import { pascal } from '../service/routing.ts';
import type { StoreKind } from './definition.ts';

/** `app-db` becomes `AppDb`: the store's part of a logical ID. */
export const storeId = pascal;

/** `app-db` becomes `APP_DB`: the prefix of the store's environment variables. */
export function variablePrefix(store: string): string {
  return store.toUpperCase().replace(/-/g, '_');
}

/** The stack file of a store: `data-<name>` (`data-<name>.yaml`). */
export function stackName(store: string): string {
  return `data-${store}`;
}

/** The cluster identifier and table name: `<environment>-<store>`. */
export function storePhysicalName(env: Intrinsic<'String'>, store: string): Intrinsic<'String'> {
  return sub`${env}-${store}`;
}

/**
 * A bucket's name: `<environment>-<store>-<account>-<region>`, unique across accounts and Regions
 * (bucket names are global), and predictable, so the bucket policy and task roles can name it.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export function bucketName(env: Intrinsic<'String'>, store: string): Intrinsic<'String'> {
  return sub`${env}-${store}-${AWS.AccountId}-${AWS.Region}`;
}

/** Characters a bucket name adds to the environment and store names: three hyphens and the account. */
export const BUCKET_NAME_OVERHEAD = 3 + 12;

/** What a store publishes in the estate registry, by kind. */
export const REGISTRY_ENTRIES = {
  aurora: ['security-group-id', 'endpoint', 'reader-endpoint', 'secret-arn', 'secret-key-arn'],
  dynamodb: ['key-arn'],
  bucket: ['key-arn'],
} as const satisfies Record<StoreKind, readonly string[]>;
export type RegistryEntry = (typeof REGISTRY_ENTRIES)[StoreKind][number];

/** The registry key of one of a store's entries: `stores/<name>/<entry>`. */
export function storeKey(store: string, entry: RegistryEntry): `stores/${string}/${RegistryEntry}` {
  return `stores/${store}/${entry}`;
}

/** The service stack's parameter that reads one of a store's registry entries: `AppdbEndpoint`, `JobsKeyArn`. */
export function storeParameterName(store: string, entry: RegistryEntry): string {
  return `${storeId(store)}${pascal(entry)}`;
}
