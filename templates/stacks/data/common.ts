/**
 * What the three data stacks share: their settings (a resolved store and the services that use
 * it), the `EnvironmentName` parameter, tags, and the statement that keeps a bucket or a queue
 * reachable over TLS only.
 */
import type { Intrinsic, Json, Value } from '../../../src/dsl/index.ts';
import type { ResolvedSettings } from '../../settings/settings.ts';
import type { AccessLevel } from './definition.ts';
import type { ResolvedStore } from './resolve.ts';

/** A service that uses a store, and how. */
export interface StoreClient {
  readonly service: string;
  readonly access: AccessLevel;
}

export interface DataStackSettings<R extends ResolvedStore = ResolvedStore> {
  readonly settings: ResolvedSettings;
  readonly store: R;
  /** The services whose `uses` names the store, in estate order. */
  readonly clients: readonly StoreClient[];
}

export type Tags = readonly { readonly Key: string; readonly Value: Value<string> }[];

/** Every resource of a store carries the environment and the store's name. */
export function storeTags(env: Intrinsic<'String'>, store: string): Tags {
  return [
    { Key: 'berth:environment', Value: env },
    { Key: 'berth:store', Value: store },
  ];
}

/**
 * Metadata naming the services a store admits, on the resource that admits them (the database's
 * security group, the bucket's policy): the policy gate checks every grant against it, and a
 * reviewer reads who may reach the data in one place.
 */
export const CLIENTS_MARKER = 'berth:clients';

export function clientsMetadata(clients: readonly StoreClient[]): { readonly [key: string]: Json } {
  return { [CLIENTS_MARKER]: clients.map((c) => `${c.service} (${c.access})`) };
}

/** The console group of a data stack's wiring parameters. */
export const WIRING = 'Network and wiring (outputs of the other stacks)';
