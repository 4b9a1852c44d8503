/**
 * The network stack's VPC interface endpoints: private paths, with private DNS, to the AWS APIs
 * the application tier calls, so tasks and container instances need no route to the internet to
 * pull images, write logs, read secrets or register with ECS. One endpoint per service, with a
 * network interface in each application subnet, behind a security group that admits HTTPS only
 * from the application tier's group (every task and container instance carries it). The S3
 * gateway endpoint (network.ts) carries the image layers.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
 * https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html
 */
import { AWS, sub, type Intrinsic, type Resource, type Template } from '../../src/dsl/index.ts';
import type { ResolvedSettings } from '../settings/settings.ts';
import { NO_TRAFFIC_EGRESS } from './shared/egress.ts';

/** What the estate's services need beyond what every task needs (the root knows its services; a network built alone assumes all). */
export interface EndpointNeeds {
  /** Some service has an SQS queue (a queue worker, and its senders). */
  readonly queues: boolean;
  /** Some service has ECS Exec on in this environment (the Session Manager channel). */
  readonly exec: boolean;
  /**
   * Some service uses a DynamoDB store (`uses`): the network adds DynamoDB's gateway endpoint and,
   * with interface endpoints, publishes DynamoDB's prefix list for the services' egress.
   * @default false
   */
  readonly tables?: boolean;
}

/** Whether the environment has interface endpoints (on unless `network.interfaceEndpoints` is false). */
export function hasInterfaceEndpoints(s: ResolvedSettings): boolean {
  return s.network.interfaceEndpoints ?? true;
}

/**
 * The services, by the last part of their endpoint name (`com.amazonaws.<region>.<name>`):
 * - every task: ECR's API and Docker registry (image pulls; layers come from S3), CloudWatch Logs
 *   (awslogs), Secrets Manager and SSM (secrets), STS (what the tasks' SDKs call to assume another
 *   role or to ask who they are);
 * - EC2 capacity: the ECS agent's three (ecs, ecs-agent, ecs-telemetry: without all three the agent
 *   falls back to the public endpoints) and Session Manager's (ssmmessages, ec2messages) for the
 *   instances' SSM agent;
 * - ECS Exec: ssmmessages; queues: sqs.
 */
export function endpointServices(s: ResolvedSettings, needs: EndpointNeeds): string[] {
  const ec2 = s.cluster.capacity.type === 'ec2';
  return [
    'ecr.api',
    'ecr.dkr',
    'logs',
    'secretsmanager',
    'ssm',
    'sts',
    ...(ec2 ? ['ecs', 'ecs-agent', 'ecs-telemetry', 'ec2messages'] : []),
    ...(ec2 || needs.exec ? ['ssmmessages'] : []),
    ...(needs.queues ? ['sqs'] : []),
  ];
}

/** `ecr.api` -> `EcrApiEndpoint`. */
export function endpointLogicalId(service: string): string {
  return `${service.split(/[.-]/).map((w) => w[0]!.toUpperCase() + w.slice(1)).join('')}Endpoint`;
}

export interface Endpoints {
  /** Carried by every task and container instance: the only source the endpoints admit. */
  readonly applicationGroup: Resource<'AWS::EC2::SecurityGroup'>;
  readonly endpointGroup: Resource<'AWS::EC2::SecurityGroup'>;
}

export function addEndpoints(
  t: Template,
  s: ResolvedSettings,
  needs: EndpointNeeds,
  props: { readonly env: Intrinsic<'String'>; readonly vpc: Resource<'AWS::EC2::VPC'>; readonly subnets: readonly Resource<'AWS::EC2::Subnet'>[] },
): Endpoints {
  const name = (suffix: string) => [{ Key: 'Name', Value: sub`${props.env}-${suffix}` }];
  const applicationGroup = t.resource('ApplicationSecurityGroup', 'AWS::EC2::SecurityGroup', {
    GroupDescription: 'Application tier: every task and container instance carries it, and the VPC endpoints admit it. It opens nothing itself',
    VpcId: props.vpc.ref,
    SecurityGroupEgress: [NO_TRAFFIC_EGRESS],
    Tags: name('application-tier'),
  });
  const endpointGroup = t.resource('EndpointSecurityGroup', 'AWS::EC2::SecurityGroup', {
    GroupDescription: 'VPC interface endpoints: HTTPS in from the application tier only',
    VpcId: props.vpc.ref,
    SecurityGroupIngress: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, SourceSecurityGroupId: applicationGroup.getAtt('GroupId'), Description: 'HTTPS from the application tier' }],
    // Endpoints answer; they never start a connection.
    SecurityGroupEgress: [NO_TRAFFIC_EGRESS],
    Tags: name('vpc-endpoints'),
  });
  for (const service of endpointServices(s, needs)) {
    t.resource(endpointLogicalId(service), 'AWS::EC2::VPCEndpoint', {
      VpcId: props.vpc.ref,
      ServiceName: sub`com.amazonaws.${AWS.Region}.${service}`,
      VpcEndpointType: 'Interface',
      // The service's own DNS name resolves to the endpoint inside the VPC (the VPC has DNS
      // support and hostnames on), so SDKs and agents need no configuration.
      PrivateDnsEnabled: true,
      SubnetIds: props.subnets.map((sn) => sn.ref),
      SecurityGroupIds: [endpointGroup.getAtt('GroupId')],
      Tags: name(`endpoint-${service}`),
    });
  }
  return { applicationGroup, endpointGroup };
}
