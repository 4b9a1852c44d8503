/**
 * The estate registry: values one stack produces and another consumes, published as SSM
 * parameters under `/berth/<environment>/<key>`. A consumer declares a parameter of type
 * `AWS::SSM::Parameter::Value<String>` defaulting to that name, so every nested template also
 * deploys on its own from the console with all defaults (deploy network, load balancer and
 * cluster first), while the root stack passes the names from the producers' outputs, which also
 * orders creation. Values like a listener ARN cannot be a parameter default any other way.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/parameters-section-structure.html#aws-ssm-parameter-types
 */
import { parameter, sub, type AwsSpecificType, type DefaultOf, type Intrinsic, type Resource, type Template, type Value } from '../../../src/dsl/index.ts';
import type { RegistryEntry } from '../data/names.ts';

export type RegistryKey =
  | 'cluster-name'
  | 'capacity-provider-name'
  | 'listener-arn'
  | 'load-balancer-full-name'
  /** The environment's alarm topic (the operations stack): every alarm of the estate notifies it. */
  | 'alarm-topic-arn'
  /** The network's application-tier group, the endpoints' group and the Region's S3 prefix list (with interface endpoints). */
  | 'application-security-group-id'
  | 'endpoint-security-group-id'
  | 's3-prefix-list-id'
  /** The Region's DynamoDB prefix list (with interface endpoints, where a service uses a table). */
  | 'dynamodb-prefix-list-id'
  /** The load balancer's web ACL (with `loadBalancer.firewall`): the dashboard draws its requests. */
  | 'web-acl-name'
  /** A queue worker's queue, for the services that send to it. */
  | `services/${string}/queue-${'url' | 'arn' | 'key-arn'}`
  /** A data store's endpoints, security group and keys, for the services that use it. */
  | `stores/${string}/${RegistryEntry}`;

/** The SSM parameter name of a registry entry for an environment. */
export function registryName(environment: string, key: RegistryKey): string {
  return `/berth/${environment}/${key}`;
}

/** Publishes `value` under `/berth/<EnvironmentName>/<key>`; the handle's `ref` is the parameter name. */
export function publish(
  t: Template,
  logicalId: string,
  environmentName: Intrinsic<'String'>,
  key: RegistryKey,
  value: Value<string>,
  description: string,
): Resource<'AWS::SSM::Parameter'> {
  return t.resource(logicalId, 'AWS::SSM::Parameter', {
    Name: sub`/berth/${environmentName}/${key}`,
    Type: 'String',
    Value: value,
    Description: description,
  });
}

/**
 * A consumer's parameter for a registry entry, defaulting to this environment's name; `type` is
 * what the value is: an AWS-specific type (a security group ID) gives the `ref` that kind, and
 * CloudFormation checks the value exists.
 */
export function registryParameter<T extends 'String' | AwsSpecificType = 'String'>(environment: string, key: RegistryKey, description: string, group: string, label: string, type?: T) {
  return parameter(`AWS::SSM::Parameter::Value<${type ?? 'String'}>` as `AWS::SSM::Parameter::Value<${T}>`, {
    description: `${description} Read from SSM Parameter Store; the producing stack publishes it there.`,
    // An SSM parameter's default is always the registry entry's name, whatever its value's type.
    default: registryName(environment, key) as DefaultOf<`AWS::SSM::Parameter::Value<${T}>`>,
    group,
    label,
  });
}
