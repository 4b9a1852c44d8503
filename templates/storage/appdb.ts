/**
 * The application database: Aurora PostgreSQL Serverless v2 in the database subnets, used by
 * `web` (`appdb.connect`), which gets `APPDB_DB_HOST`, `APPDB_DB_PORT`, `APPDB_DB_NAME` and the
 * master credentials `APPDB_DB_USERNAME` / `APPDB_DB_PASSWORD` (docs/data-stores.md). Environments
 * size it in their settings file (`stores.appdb`): prod adds a reader in another Availability Zone.
 */
import { defineAurora } from '../stacks/data/definition.ts';

export const appdb = defineAurora({
  name: 'appdb',
  engine: 'postgresql',
  capacity: { type: 'serverless', minAcu: 0.5, maxAcu: 4 },
  backupRetentionDays: 7,
});
