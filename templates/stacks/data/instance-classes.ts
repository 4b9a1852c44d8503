/**
 * The provisioned Aurora instance classes berth knows, with their memory: it sizes the memory and
 * connection alarms. Burstable `db.t4g` classes are for development and tests only, as AWS advises.
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/Concepts.DBInstanceClass.Summary.html
 */

const SIZES: Readonly<Record<string, number>> = { large: 16, xlarge: 32, '2xlarge': 64, '4xlarge': 128, '8xlarge': 256 };

/** Memory in GiB of each class berth knows. */
export const INSTANCE_CLASS_MEMORY_GIB: ReadonlyMap<string, number> = new Map([
  ['db.t4g.medium', 4],
  ['db.t4g.large', 8],
  ...['r6g', 'r7g', 'r6i', 'r7i'].flatMap((family) => Object.entries(SIZES).map(([size, gib]): [string, number] => [`db.${family}.${size}`, gib])),
]);

/** Memory in GiB of one Aurora Serverless v2 capacity unit. https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.how-it-works.html */
export const GIB_PER_ACU = 2;
