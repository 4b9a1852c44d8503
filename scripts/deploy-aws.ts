/**
 * The AWS CLI for the deploy's own TypeScript steps (the preflight, teardown planning): the
 * long-lived CLI processes of src/cli/aws.ts (each call exactly an `aws ...` call, independent
 * calls concurrently), which CLI to run, and what a failed call or a stack's state means.
 */
import type { AwsResult } from '../src/cli/aws.ts';

export { awsCli, defaultWorkers, makeAws, type Aws, type AwsResult } from '../src/cli/aws.ts';

/**
 * What a failed `aws sts get-caller-identity` means, in one line with the fix: no credentials,
 * rejected credentials, an endpoint that cannot be reached, or a profile that does not exist.
 */
export function explainSts(r: AwsResult, region: string, regionSource: string, env: NodeJS.ProcessEnv): string {
  const s = r.stderr;
  const configure = 'Configure credentials (`aws configure`, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY) and retry.';
  if (/Unable to locate credentials/.test(s)) return `no AWS credentials found: \`aws sts get-caller-identity\` found none in the environment, the profile or instance metadata. ${configure}`;
  const profile = /The config profile \(([^)]*)\) could not be found/.exec(s);
  if (profile) return `AWS profile \`${profile[1]}\` does not exist (AWS_PROFILE). Use a profile from \`aws configure list-profiles\`, or unset AWS_PROFILE.`;
  const unreachable = /Could not connect to the endpoint URL: "([^"]+)"|Connect timeout on endpoint URL: "([^"]+)"/.exec(s);
  if (unreachable) {
    const url = unreachable[1] ?? unreachable[2];
    if (env.AWS_ENDPOINT_URL) return `cannot reach AWS_ENDPOINT_URL=${env.AWS_ENDPOINT_URL} (\`aws sts get-caller-identity\` could not connect to ${url}). Start the endpoint, or unset AWS_ENDPOINT_URL to use AWS.`;
    return `cannot reach AWS STS at ${url} for Region ${region} (${regionSource}): no network, a proxy, or a Region your account cannot use. Check the connection and the Region, then retry.`;
  }
  if (r.code && /InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken|UnrecognizedClient|AuthFailure|AccessDenied|InvalidAccessKeyId/.test(r.code)) {
    return `AWS rejected the credentials (${r.code}: ${r.message}). ${/Expired/.test(r.code) ? 'Refresh the session (`aws sso login`, or new temporary credentials)' : 'Check the access key, the profile or the session'} and retry.`;
  }
  return `\`aws sts get-caller-identity\` failed: ${r.code ? `${r.code}: ` : ''}${r.message || 'no message'}. Fix the AWS CLI configuration and retry.`;
}

/** The states a deploy must not start from, each with what to do. https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes */
export function blockingState(stack: string, status: string, region: string, purpose: 'deploy' | 'delete'): string | undefined {
  const del = `aws cloudformation delete-stack --stack-name ${stack} --region ${region}`;
  if (status.endsWith('_IN_PROGRESS') && !(status === 'REVIEW_IN_PROGRESS')) {
    return `stack ${stack} is busy (${status}). Wait until it settles (\`aws cloudformation describe-stacks --stack-name ${stack} --region ${region}\`), then ${purpose} again.`;
  }
  if (purpose === 'delete') return undefined;
  switch (status) {
    case 'REVIEW_IN_PROGRESS':
      return `stack ${stack} is in REVIEW_IN_PROGRESS: a change set created it and was never executed (an interrupted deploy or preview), and a deploy would wait on it. It holds no resources: delete it, then deploy again: ${del}`;
    case 'ROLLBACK_COMPLETE':
      return `stack ${stack} is in ROLLBACK_COMPLETE: its creation failed and it cannot be updated. Delete it, then deploy again: ${del}`;
    case 'ROLLBACK_FAILED':
      return `stack ${stack} is in ROLLBACK_FAILED: its creation failed and so did the rollback. Delete it (the events say which resources failed), then deploy again: ${del}`;
    case 'DELETE_FAILED':
      return `stack ${stack} is in DELETE_FAILED and cannot be updated. Fix what blocked the delete (its events say), delete it again with \`scripts/deploy.sh <env> --delete\`, then deploy.`;
    case 'UPDATE_ROLLBACK_FAILED':
    case 'IMPORT_ROLLBACK_FAILED':
      return `stack ${stack} is in ${status}: fix what the failed events name, then \`aws cloudformation continue-update-rollback --stack-name ${stack} --region ${region}\` and deploy again.`;
    case 'UPDATE_FAILED':
    case 'CREATE_FAILED':
      return `stack ${stack} is in ${status}. Look at its events (\`aws cloudformation describe-stack-events --stack-name ${stack} --region ${region}\`), then delete it or roll it back before deploying.`;
    default:
      return undefined;
  }
}
