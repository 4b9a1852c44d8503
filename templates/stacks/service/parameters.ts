/**
 * The service stack's parameters: the wiring from the other stacks (defaulted from the estate
 * registry in SSM, so the template deploys on its own), the image, and the task counts. A stack
 * declares only the parameters its service uses.
 */
import { parameter, type ParameterHandles } from '../../../src/dsl/index.ts';
import { environmentNameParameter } from '../shared/environment-name.ts';
import { registryParameter } from '../shared/registry.ts';
import { storeParameters } from '../data/grants.ts';
import { hasInterfaceEndpoints } from '../endpoints.ts';
import { imageParameterPattern } from './image.ts';
import { pascal } from './routing.ts';
import type { Resolved } from './resolve.ts';
const WIRING = 'Network and wiring (outputs of the other stacks)';
const CONTAINER = 'Container';
const SCALING = 'Task count';
const QUEUES = 'Queues this service sends to';

function baseParameters(r: Resolved) {
  const ecr = r.imageRef.ecr;
  return {
    EnvironmentName: environmentNameParameter(r.s.name, 'Name prefix for the resources (tags, names, the log group /berth/<environment>/<service>).'),
    VpcId: parameter('AWS::EC2::VPC::Id', { description: 'The VPC of the tasks (the network stack\'s VpcId output).', group: WIRING, label: 'VPC' }),
    ApplicationSubnetIds: parameter('List<AWS::EC2::Subnet::Id>', {
      description: 'Application subnets for the tasks, one per Availability Zone (the network stack\'s ApplicationSubnetIds output). Tasks get no public IP.',
      group: WIRING,
      label: 'Application subnets',
    }),
    ClusterName: registryParameter(r.s.name, 'cluster-name', "Name of the ECS cluster (the cluster stack's ClusterName).", WIRING, 'ECS cluster name'),
    ImageUri: parameter('String', {
      description: ecr
        ? `Container image in ECR repository ${ecr.registry}/${r.imageRef.repository} (the execution role may pull only from it), with a tag or digest. For another repository, set services.${r.name}.image in the environment file and rebuild.`
        : `Container image from any registry but private ECR, with a tag or digest (not latest). For an ECR image, set services.${r.name}.image in the environment file and rebuild, so the execution role may pull it.`,
      default: r.image,
      allowedPattern: imageParameterPattern(r.imageRef),
      constraintDescription: ecr ? `an image of ${ecr.registry}/${r.imageRef.repository}, with :tag or @sha256:digest (not :latest)` : 'an image reference with :tag or @sha256:digest (not :latest), outside private ECR',
      group: CONTAINER,
      label: 'Image URI',
    }),
  } as const;
}

function optionalParameters(r: Resolved) {
  return {
    CapacityProviderName: registryParameter(r.s.name, 'capacity-provider-name', "EC2 capacity provider of the cluster (the cluster stack's CapacityProviderName).", WIRING, 'EC2 capacity provider'),
    ListenerArn: registryParameter(r.s.name, 'listener-arn', "Listener the service adds its rule to (the load-balancer stack's ListenerArn).", WIRING, 'Listener ARN'),
    LoadBalancerSecurityGroupId: parameter('AWS::EC2::SecurityGroup::Id', {
      description: 'Security group of the load balancer, the only source the service admits: the load-balancer stack\'s LoadBalancerSecurityGroupId output.',
      group: WIRING,
      label: 'Load balancer security group',
    }),
    LoadBalancerFullName: registryParameter(r.s.name, 'load-balancer-full-name', 'Full name of the load balancer (app/<name>/<id>) for request-count scaling.', WIRING, 'Load balancer full name'),
    ApplicationSecurityGroupId: registryParameter(r.s.name, 'application-security-group-id', "The application tier's security group, which the VPC endpoints admit (the network stack's).", WIRING, 'Application tier security group', 'AWS::EC2::SecurityGroup::Id'),
    EndpointSecurityGroupId: registryParameter(r.s.name, 'endpoint-security-group-id', "The VPC interface endpoints' security group, where the tasks send HTTPS (the network stack's).", WIRING, 'Endpoint security group', 'AWS::EC2::SecurityGroup::Id'),
    S3PrefixListId: registryParameter(r.s.name, 's3-prefix-list-id', "The Region's S3 prefix list, where the tasks send HTTPS through the gateway endpoint (the network stack's).", WIRING, 'S3 prefix list'),
    DynamoDbPrefixListId: registryParameter(r.s.name, 'dynamodb-prefix-list-id', "The Region's DynamoDB prefix list, where the tasks send HTTPS to the tables they use through the gateway endpoint (the network stack's).", WIRING, 'DynamoDB prefix list'),
    DesiredCount: parameter('Number', {
      description: 'Tasks to run when the service is created or updated.',
      default: r.desiredCount ?? 0,
      minValue: 0,
      group: SCALING,
      label: 'Desired task count',
    }),
    MinCount: parameter('Number', { description: 'Fewest tasks auto scaling keeps.', default: r.scaling?.minCount ?? 0, minValue: 0, group: SCALING, label: 'Minimum task count' }),
    MaxCount: parameter('Number', { description: 'Most tasks auto scaling starts.', default: r.scaling?.maxCount ?? 1, minValue: 1, group: SCALING, label: 'Maximum task count' }),
  } as const;
}

type BaseSpecs = ReturnType<typeof baseParameters>;
type OptionalSpecs = ReturnType<typeof optionalParameters>;

/**
 * The stack's parameters: the base set, plus those this service uses (an unused parameter is a
 * cfn-lint warning and a confusing console field).
 */
export function serviceParameters(r: Resolved): BaseSpecs & Partial<OptionalSpecs> {
  const role = r.def.role;
  const used: Record<keyof OptionalSpecs, boolean> = {
    CapacityProviderName: !r.fargate,
    ListenerArn: role.kind === 'web',
    LoadBalancerSecurityGroupId: role.kind === 'web',
    LoadBalancerFullName: role.kind === 'web' && role.scaling?.target.metric === 'requestsPerTarget',
    ApplicationSecurityGroupId: hasInterfaceEndpoints(r.s),
    EndpointSecurityGroupId: hasInterfaceEndpoints(r.s),
    S3PrefixListId: hasInterfaceEndpoints(r.s),
    DynamoDbPrefixListId: hasInterfaceEndpoints(r.s) && r.uses.some((u) => u.store.kind === 'dynamodb'),
    DesiredCount: r.desiredCount !== undefined,
    MinCount: r.scaling !== undefined,
    MaxCount: r.scaling !== undefined,
  };
  const base = baseParameters(r);
  const optional = optionalParameters(r);
  const pick = (...keys: (keyof OptionalSpecs)[]) => Object.fromEntries(keys.filter((k) => used[k]).map((k) => [k, optional[k]]));
  const { EnvironmentName, VpcId, ApplicationSubnetIds, ClusterName, ImageUri } = base;
  return {
    EnvironmentName,
    VpcId,
    ApplicationSubnetIds,
    ClusterName,
    ...pick('CapacityProviderName', 'ListenerArn', 'LoadBalancerSecurityGroupId', 'LoadBalancerFullName', 'ApplicationSecurityGroupId', 'EndpointSecurityGroupId', 'S3PrefixListId', 'DynamoDbPrefixListId'),
    ...sendParameters(r),
    ...storeParameters(r.s.name, r.uses),
    ImageUri,
    ...pick('DesiredCount', 'MinCount', 'MaxCount'),
  } as BaseSpecs & Partial<OptionalSpecs>;
}

export type OptionalHandles = Partial<ParameterHandles<OptionalSpecs>>;

/** The parameters of a queue this service sends to: its URL, ARN and key ARN from the estate registry. */
export function sendParameterNames(service: string) {
  const id = pascal(service);
  return { url: `${id}QueueUrl`, arn: `${id}QueueArn`, keyArn: `${id}QueueKeyArn` } as const;
}

/** Parameters for each queue in `sendsTo`, defaulting to the receiver's registry entries. */
export function sendParameters(r: Resolved) {
  const out: Record<string, ReturnType<typeof registryParameter>> = {};
  for (const h of r.def.sendsTo ?? []) {
    const names = sendParameterNames(h.service);
    out[names.url] = registryParameter(r.s.name, `services/${h.service}/queue-url`, `URL of the ${h.service} queue this service sends to (the ${h.service} stack publishes it).`, QUEUES, `${h.service} queue URL`);
    out[names.arn] = registryParameter(r.s.name, `services/${h.service}/queue-arn`, `ARN of the ${h.service} queue this service sends to.`, QUEUES, `${h.service} queue ARN`);
    out[names.keyArn] = registryParameter(r.s.name, `services/${h.service}/queue-key-arn`, `ARN of the KMS key of the ${h.service} queue (sending needs its data keys).`, QUEUES, `${h.service} queue key ARN`);
  }
  return out;
}

/** A parameter this service declared (see `serviceParameters`); absent means a bug in berth. */
export function need<T>(handle: T | undefined, name: string): T {
  if (handle === undefined) throw new Error(`berth bug: parameter ${name} was used but not declared`);
  return handle;
}
