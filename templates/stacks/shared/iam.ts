/**
 * IAM document helpers shared by the stacks: service trust policies scoped to this account,
 * inline policies, and where the estate's roles live.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
import { AWS, Equals, If, Select, Split, sub, type Condition, type Intrinsic, type Json, type Template, type Value } from '../../../src/dsl/index.ts';

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

/**
 * The IAM path of the roles (and instance profiles) an environment's stacks create for `service`
 * (the principal that assumes them): `/berth/<environment>/<service>/`. The Service Catalog launch
 * role may write and pass only roles under its environment's path, each only to the service its
 * path names. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-friendly-names
 */
export function rolePath(environment: string, service: string): string {
  return `/berth/${environment}/${service}/`;
}

/**
 * The fixed role name of a service's task role where another stack's policy names it before the
 * role exists (the key policy of a queue the service sends to, the policy of a bucket it uses):
 * `<environment>-<service>-task`, at most 20 + 28 + 6 characters of IAM's 64.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
 */
export function taskRoleName(env: Value<string>, service: string): Intrinsic<'String'> {
  return sub`${env}-${service}-task`;
}

/** The managed policy the Service Catalog portfolio creates as the permissions boundary of the products' roles. */
export const ROLE_BOUNDARY_NAME = 'role-boundary';
export function roleBoundaryArn(environment: string): Value<string> {
  return sub`arn:${AWS.Partition}:iam::${AWS.AccountId}:policy/berth/${environment}/${ROLE_BOUNDARY_NAME}`;
}

const provisioned = new WeakMap<Template, Condition>();

/**
 * `IsServiceCatalog`: the stack was provisioned by Service Catalog, which names every provisioned
 * product's stack (and so its nested stacks) `SC-<account>-pp-<id>...`.
 * https://docs.aws.amazon.com/servicecatalog/latest/adminguide/introduction.html
 */
function isServiceCatalog(t: Template): Condition {
  let c = provisioned.get(t);
  if (!c) {
    c = t.condition('IsServiceCatalog', Equals(Select(0, Split('-', AWS.StackName)), 'SC'));
    provisioned.set(t, c);
  }
  return c;
}

/**
 * Where a role of the estate lives and what bounds it: its path (always), and under Service
 * Catalog the portfolio's permissions boundary, without which the launch role may not create it.
 * Deployed directly (scripts/deploy.sh, the console), a stack needs no portfolio and sets none.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
 */
export function estateRole(t: Template, environment: string, service: string): { Path: string; PermissionsBoundary: Value<string> } {
  return { Path: rolePath(environment, service), PermissionsBoundary: If<Value<string>>(isServiceCatalog(t), roleBoundaryArn(environment), AWS.NoValue) };
}

/**
 * IAM's limit on a role's inline policies together, in characters without whitespace.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-entity-length
 */
export const ROLE_INLINE_POLICY_CHARACTERS = 10_240;

/** The longest value each pseudo parameter and berth parameter can take, for `resolvedLength`. */
const LONGEST: Readonly<Record<string, number>> = {
  'AWS::Partition': 'aws-us-gov'.length,
  'AWS::Region': 'ap-southeast-3'.length,
  'AWS::AccountId': 12,
  'AWS::URLSuffix': 'amazonaws.com.cn'.length,
  EnvironmentName: 20,
};
/** Any other reference (an ARN from a parameter or an attribute): as long as an ARN gets in practice. */
const LONGEST_REFERENCE = 128;

/**
 * The most characters a policy document (plain JSON, long-form intrinsics) can take once
 * CloudFormation resolves it, whitespace left out: each reference at the longest value it can have.
 */
export function resolvedLength(value: unknown): number {
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string') return 'x'.repeat(LONGEST[o.Ref] ?? LONGEST_REFERENCE);
    if ('Fn::GetAtt' in o) return 'x'.repeat(LONGEST_REFERENCE);
    if ('Fn::Sub' in o) {
      const [text, vars] = Array.isArray(o['Fn::Sub']) ? (o['Fn::Sub'] as [string, Record<string, unknown>]) : [String(o['Fn::Sub']), {}];
      return text.replace(/\$\{([^}]+)\}/g, (_, name: string) => (name in vars ? String(resolve(vars[name])) : 'x'.repeat(LONGEST[name] ?? LONGEST_REFERENCE)));
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return Array.isArray(parts) ? parts.map((p) => String(resolve(p))).join(sep) : 'x'.repeat(LONGEST_REFERENCE);
    }
    if ('Fn::If' in o) {
      const [, a, b] = o['Fn::If'] as [string, unknown, unknown];
      const [ra, rb] = [resolve(a), resolve(b)];
      return JSON.stringify(ra).length >= JSON.stringify(rb).length ? ra : rb;
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
  };
  return JSON.stringify(resolve(value)).length;
}
