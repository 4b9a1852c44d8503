/** Every data store of the estate, in the order their stacks are nested. Services name them in `uses`. */
import type { StoreDefinition } from '../stacks/data/definition.ts';
import { appdb } from './appdb.ts';
import { jobs } from './jobs.ts';
import { reports } from './reports.ts';

export const stores: readonly StoreDefinition[] = [appdb, jobs, reports];
