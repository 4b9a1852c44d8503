/**
 * The jobs table: a DynamoDB table the worker reads and writes (`jobs.readWrite`, as
 * `JOBS_TABLE_NAME`), keyed by job and step, with an index by status and items that expire.
 */
import { defineTable } from '../stacks/data/definition.ts';

export const jobs = defineTable({
  name: 'jobs',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  globalIndexes: [{ name: 'by-status', partitionKey: { name: 'status', type: 'S' }, sortKey: { name: 'createdAt', type: 'N' }, projection: 'keysOnly' }],
  timeToLiveAttribute: 'expiresAt',
});
