/**
 * IAM document helpers shared by the stacks: service trust policies scoped to this account, and
 * inline policies.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
import { AWS, type Json } from '../../../src/dsl/index.ts';

/**
 * Trust for an AWS service principal, with confused-deputy protection: only this account's
 * resources of that service may assume the role.
 */
export function serviceTrust(service: string): Json {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': AWS.AccountId } },
      },
    ],
  };
}

/** An inline policy of a role. */
export function inlinePolicy(name: string, statements: readonly Json[]): { PolicyName: string; PolicyDocument: Json } {
  return { PolicyName: name, PolicyDocument: { Version: '2012-10-17', Statement: [...statements] } };
}
