/**
 * What happens to a data-holding resource when its stack goes away or replaces it.
 *
 * `RETAIN` (src/dsl/resource.ts) keeps it always: right for resources without a fixed physical
 * name (keys, buckets, queues named by CloudFormation), which a retry simply creates again beside
 * the kept one. A resource with a fixed name (a log group `/berth/<env>/<service>`, a secret
 * `berth/<env>/...`) must not outlive the create that made it: a retained one makes every retry
 * of a failed first deploy fail with "already exists". `RetainExceptOnCreate` keeps it on stack
 * deletion and on every later operation, but deletes it when the operation that created it rolls
 * back. Replacement never happens to a fixed name (CloudFormation cannot replace a custom-named
 * resource), and `UpdateReplacePolicy: Retain` keeps the data if a rename replaces it.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatereplacepolicy.html
 */
import type { ResourceOptions } from '../../../src/dsl/index.ts';

export const RETAIN_EXCEPT_ON_CREATE = { deletionPolicy: 'RetainExceptOnCreate', updateReplacePolicy: 'Retain' } as const satisfies ResourceOptions;
