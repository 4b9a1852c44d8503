/**
 * The reports bucket: where the nightly `report` writes (`reports.readWrite`, as
 * `REPORTS_BUCKET_NAME`). Reports move to S3 Standard-IA after 30 days. Each version is
 * write-once for 30 days (Object Lock, governance mode): a report cannot be overwritten or deleted
 * for good in that time, and a replaced or deleted report's old version goes 30 days later.
 */
import { defineBucket } from '../stacks/data/definition.ts';

export const reports = defineBucket({
  name: 'reports',
  lifecycle: { infrequentAccessAfterDays: 30, noncurrentVersionsExpireAfterDays: 30 },
  objectLock: { mode: 'GOVERNANCE', days: 30 },
});
