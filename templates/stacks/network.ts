/**
 * The network stack: a VPC with a public, an application and a database subnet in each of 2 or 3
 * Availability Zones, as the article's architecture draws it. Only the load balancer lives in the
 * public tier; the application tier reaches out through NAT (if any); the database tier has no
 * route out at all.
 */
import { AWS, Cidr, contract, defineStack, GetAZs, Join, output, parameter, Select, sub, type Intrinsic, type OutputsOf, type Resource, type Value } from '../../src/dsl/index.ts';
import { RETAIN_EXCEPT_ON_CREATE } from './shared/retention.ts';
import type { ResolvedSettings } from '../settings/settings.ts';
import { environmentNameParameter } from './shared/environment-name.ts';
import { shortRetention, withGuardExemptions } from './shared/guard.ts';
import { estateRole, inlinePolicy, serviceTrust } from './shared/iam.ts';
import { logGroupKey } from './shared/kms.ts';
import { publish } from './shared/registry.ts';
import { addVpcDefaults } from './shared/vpc-defaults.ts';
import { addEndpoints, endpointServices, hasInterfaceEndpoints, type EndpointNeeds } from './endpoints.ts';

/**
 * The network's settings: the environment's, and what the estate's services need from the
 * endpoints (the root passes it; a network built alone, or for the foundation, provides for any
 * service: queues, ECS Exec and DynamoDB tables).
 */
export type NetworkStackSettings = ResolvedSettings & { readonly endpointNeeds?: EndpointNeeds };
const ALL_NEEDS: EndpointNeeds = { queues: true, exec: true, tables: true };

const CIDR_PATTERN = '^(\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}$';
const CIDR_LIST_PATTERN = '^((\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2},?)+$';

const ZONE_LETTERS = ['A', 'B', 'C'] as const;

/** The DB subnet group's name: `<environment>-database` (RDS stores it in lower case). */
export function dbSubnetGroupName(environment: Value<string>): Intrinsic<'String'> {
  return sub`${environment}-database`;
}

export const networkContract = contract({
  name: 'network',
  description: (s: NetworkStackSettings) =>
    `berth network for ${s.name}: VPC, public / application / database subnets in ${s.network.availabilityZones} AZs, NAT (${s.network.natGateways}), ${s.network.ipv6 ? 'IPv6 in the public tier, ' : ''}` +
    `${hasInterfaceEndpoints(s) ? `${endpointServices(s, s.endpointNeeds ?? ALL_NEEDS).length} interface endpoints, ` : ''}flow logs, the default security group closed.`,
  parameters: (s: NetworkStackSettings) => ({
    EnvironmentName: environmentNameParameter(s.name),
    VpcCidr: parameter('String', {
      description: 'IPv4 CIDR block of the VPC.',
      default: s.network.vpcCidr,
      allowedPattern: CIDR_PATTERN,
      constraintDescription: 'an IPv4 CIDR block such as 10.0.0.0/16',
      group: 'Addressing',
      label: 'VPC CIDR block',
    }),
    PublicSubnetCidrs: parameter('CommaDelimitedList', {
      description: `CIDR blocks of the public subnets, one per Availability Zone (${s.network.availabilityZones}), inside the VPC block.`,
      default: s.network.subnets.public,
      allowedPattern: CIDR_LIST_PATTERN,
      constraintDescription: 'comma-separated IPv4 CIDR blocks',
      group: 'Addressing',
      label: 'Public subnet CIDR blocks',
    }),
    ApplicationSubnetCidrs: parameter('CommaDelimitedList', {
      description: `CIDR blocks of the application subnets, one per Availability Zone (${s.network.availabilityZones}), inside the VPC block.`,
      default: s.network.subnets.application,
      allowedPattern: CIDR_LIST_PATTERN,
      constraintDescription: 'comma-separated IPv4 CIDR blocks',
      group: 'Addressing',
      label: 'Application subnet CIDR blocks',
    }),
    DatabaseSubnetCidrs: parameter('CommaDelimitedList', {
      description: `CIDR blocks of the database subnets, one per Availability Zone (${s.network.availabilityZones}), inside the VPC block.`,
      default: s.network.subnets.database,
      allowedPattern: CIDR_LIST_PATTERN,
      constraintDescription: 'comma-separated IPv4 CIDR blocks',
      group: 'Addressing',
      label: 'Database subnet CIDR blocks',
    }),
  }),
  outputs: {
    VpcId: output('AWS::EC2::VPC::Id', { description: 'The VPC.' }),
    VpcCidr: output('String', { description: 'The IPv4 CIDR block of the VPC.' }),
    PublicSubnetIds: output('List<AWS::EC2::Subnet::Id>', { description: 'Public subnets (load balancer only), one per AZ.' }),
    ApplicationSubnetIds: output('List<AWS::EC2::Subnet::Id>', { description: 'Application subnets (ECS tasks and instances), one per AZ.' }),
    DatabaseSubnetIds: output('List<AWS::EC2::Subnet::Id>', { description: 'Database subnets (no route out), one per AZ.' }),
    ApplicationSubnetCidrs: output('CommaDelimitedList', { description: 'CIDR blocks of the application subnets (for rules of stacks beside the estate).' }),
    DbSubnetGroupName: output('String', { description: 'RDS DB subnet group over the database subnets.' }),
  },
});

/** What the network stack's `build` returns: a value for each output of its contract. */
export interface NetworkOutputs extends OutputsOf<typeof networkContract> {}

export const network = defineStack(networkContract, {
  build(t, p, s): NetworkOutputs {
    const zones = ZONE_LETTERS.slice(0, s.network.availabilityZones);
    const name = (suffix: string) => [{ Key: 'Name', Value: sub`${p.EnvironmentName.ref}-${suffix}` }];

    const vpc = t.resource('Vpc', 'AWS::EC2::VPC', {
      CidrBlock: p.VpcCidr.ref,
      EnableDnsHostnames: true,
      EnableDnsSupport: true,
      Tags: name('vpc'),
    });
    const igw = t.resource('InternetGateway', 'AWS::EC2::InternetGateway', { Tags: name('igw') });
    const attachment = t.resource('InternetGatewayAttachment', 'AWS::EC2::VPCGatewayAttachment', {
      VpcId: vpc.ref,
      InternetGatewayId: igw.ref,
    });

    // IPv6 (opt-in, for a dual-stack load balancer): an Amazon-provided /56 for the VPC and a /64
    // of it for each public subnet, the only tier that faces the internet. Fn::Cidr's last
    // argument counts host bits: 64 leaves /64 subnets.
    // https://docs.aws.amazon.com/vpc/latest/userguide/vpc-migrate-ipv6.html
    const ipv6Block = s.network.ipv6 ? t.resource('Ipv6CidrBlock', 'AWS::EC2::VPCCidrBlock', { VpcId: vpc.ref, AmazonProvidedIpv6CidrBlock: true }) : undefined;
    // One subnet per tier and AZ. AZs are picked by index from the Region's list so the same
    // template deploys in any Region; MapPublicIpOnLaunch is false everywhere, public tier included:
    // only the load balancer (which gets its own addresses) lives there.
    const subnets = (tier: string, label: string, cidrs: typeof p.PublicSubnetCidrs, ipv6?: typeof ipv6Block) =>
      zones.map((zone, i) =>
        t.resource(
          `${tier}Subnet${zone}`,
          'AWS::EC2::Subnet',
          {
            VpcId: vpc.ref,
            CidrBlock: Select(i, cidrs.ref),
            ...(ipv6 ? { Ipv6CidrBlock: Select(i, Cidr(Select(0, vpc.getAtt('Ipv6CidrBlocks')), zones.length, 64)) } : {}),
            AvailabilityZone: Select(i, GetAZs()),
            MapPublicIpOnLaunch: false,
            ...(ipv6 ? { AssignIpv6AddressOnCreation: false } : {}),
            Tags: name(`${label}-${zone.toLowerCase()}`),
          },
          // The VPC's IPv6 block must exist before a subnet takes a part of it.
          { dependsOn: ipv6 ? [ipv6] : [] },
        ),
      );
    const publicSubnets = subnets('Public', 'public', p.PublicSubnetCidrs, ipv6Block);
    const appSubnets = subnets('Application', 'application', p.ApplicationSubnetCidrs);
    const dbSubnets = subnets('Database', 'database', p.DatabaseSubnetCidrs);

    const associate = (tier: string, table: Resource<'AWS::EC2::RouteTable'>, list: readonly Resource<'AWS::EC2::Subnet'>[]) =>
      list.forEach((subnet, i) =>
        t.resource(`${tier}Subnet${zones[i]}RouteTableAssociation`, 'AWS::EC2::SubnetRouteTableAssociation', {
          SubnetId: subnet.ref,
          RouteTableId: table.ref,
        }),
      );

    const publicTable = t.resource('PublicRouteTable', 'AWS::EC2::RouteTable', { VpcId: vpc.ref, Tags: name('public') });
    t.resource(
      'PublicDefaultRoute',
      'AWS::EC2::Route',
      { RouteTableId: publicTable.ref, DestinationCidrBlock: '0.0.0.0/0', GatewayId: igw.ref },
      { dependsOn: [attachment] }, // the route fails until the gateway is attached
    );
    if (ipv6Block) {
      t.resource(
        'PublicDefaultRouteIpv6',
        'AWS::EC2::Route',
        { RouteTableId: publicTable.ref, DestinationIpv6CidrBlock: '::/0', GatewayId: igw.ref },
        { dependsOn: [attachment] },
      );
    }
    associate('Public', publicTable, publicSubnets);

    // NAT: none, one in the first AZ, or one per AZ so an AZ outage leaves the others online.
    const natZones = s.network.natGateways === 'none' ? [] : s.network.natGateways === 'single' ? zones.slice(0, 1) : zones;
    const nats = natZones.map((zone, i) => {
      const eip = t.resource(`NatEip${zone}`, 'AWS::EC2::EIP', { Domain: 'vpc', Tags: name(`nat-${zone.toLowerCase()}`) }, { dependsOn: [attachment] });
      return t.resource(`NatGateway${zone}`, 'AWS::EC2::NatGateway', {
        AllocationId: eip.getAtt('AllocationId'),
        SubnetId: publicSubnets[i]!.ref,
        Tags: name(`nat-${zone.toLowerCase()}`),
      });
    });

    // The application tier gets a route table per AZ, each to its own AZ's NAT where there is one.
    const appTables = zones.map((zone, i) => {
      const table = t.resource(`ApplicationRouteTable${zone}`, 'AWS::EC2::RouteTable', { VpcId: vpc.ref, Tags: name(`application-${zone.toLowerCase()}`) });
      const nat = nats[i] ?? nats[0];
      if (nat) {
        t.resource(`ApplicationDefaultRoute${zone}`, 'AWS::EC2::Route', { RouteTableId: table.ref, DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: nat.ref });
      }
      t.resource(`ApplicationSubnet${zone}RouteTableAssociation`, 'AWS::EC2::SubnetRouteTableAssociation', {
        SubnetId: appSubnets[i]!.ref,
        RouteTableId: table.ref,
      });
      return table;
    });

    // The database tier: one route table with no route beyond the VPC's local one.
    const dbTable = t.resource('DatabaseRouteTable', 'AWS::EC2::RouteTable', { VpcId: vpc.ref, Tags: name('database') });
    associate('Database', dbTable, dbSubnets);

    // S3 gateway endpoint: image layers and artifacts from S3 without paying NAT traffic.
    // https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-s3.html
    t.resource('S3GatewayEndpoint', 'AWS::EC2::VPCEndpoint', {
      VpcId: vpc.ref,
      ServiceName: sub`com.amazonaws.${AWS.Region}.s3`,
      VpcEndpointType: 'Gateway',
      RouteTableIds: appTables.map((rt) => rt.ref),
    });
    // DynamoDB's gateway endpoint, where a service uses a table (templates/stacks/data/): with the
    // interface endpoints, the tasks' only way to DynamoDB (their egress names its prefix list);
    // without them, it spares the NAT traffic. Free, like S3's. Creating it switches the application
    // subnets' routes to DynamoDB, which drops connections open to it at that moment.
    // https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-ddb.html
    const tables = (s.endpointNeeds ?? ALL_NEEDS).tables === true;
    if (tables) {
      t.resource('DynamoDbGatewayEndpoint', 'AWS::EC2::VPCEndpoint', {
        VpcId: vpc.ref,
        ServiceName: sub`com.amazonaws.${AWS.Region}.dynamodb`,
        VpcEndpointType: 'Gateway',
        RouteTableIds: appTables.map((rt) => rt.ref),
      });
    }

    // VPC flow logs, all traffic, to a log group encrypted with its own rotating key; both are
    // kept on stack deletion and replacement. https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-cwl.html
    const flowLogGroupName = sub`/berth/${p.EnvironmentName.ref}/vpc-flow-logs`;
    const flowLogKey = logGroupKey(t, 'FlowLogKey', { description: sub`Encrypts the VPC flow logs of ${p.EnvironmentName.ref}`, logGroupName: flowLogGroupName, tags: name('flow-logs') });
    const flowLogGroup = t.resource(
      'FlowLogGroup',
      'AWS::Logs::LogGroup',
      // Retention is the environment's literal, not a parameter: scanners (AWS Control Tower's
      // CT.CLOUDWATCH.PR.2 asks for a year) can only judge a value they can see.
      { LogGroupName: flowLogGroupName, RetentionInDays: s.network.flowLogRetentionDays, KmsKeyId: flowLogKey.getAtt('Arn'), Tags: name('flow-logs') },
      // A fixed name: kept on stack deletion, deleted if the create that made it rolls back, so a retry can create it again.
      withGuardExemptions(RETAIN_EXCEPT_ON_CREATE, [shortRetention(s.network.flowLogRetentionDays, s.file, 'network.flowLogRetentionDays')]),
    );
    const flowLogRole = t.resource('FlowLogRole', 'AWS::IAM::Role', {
      Description: 'Lets VPC Flow Logs write to the flow-log group.',
      AssumeRolePolicyDocument: serviceTrust('vpc-flow-logs.amazonaws.com'),
      ...estateRole(t, s.name, 'vpc-flow-logs.amazonaws.com'),
      Policies: [
        inlinePolicy('write-flow-logs', [
          { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], Resource: flowLogGroup.getAtt('Arn') },
        ]),
      ],
    });
    t.resource('FlowLog', 'AWS::EC2::FlowLog', {
      ResourceId: vpc.ref,
      ResourceType: 'VPC',
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
      LogGroupName: flowLogGroup.ref,
      DeliverLogsPermissionArn: flowLogRole.getAtt('Arn'),
      Tags: name('flow-log'),
    });

    // The default security group closed, and (with endpoints) the S3 prefix list looked up: see
    // shared/vpc-defaults.ts. The rest of the application tier's way out: endpoints.ts, shared/egress.ts.
    const endpoints = hasInterfaceEndpoints(s);
    const defaults = addVpcDefaults(t, { environment: s.name, env: p.EnvironmentName.ref, defaultSecurityGroup: vpc.getAtt('DefaultSecurityGroup'), retentionDays: s.logRetentionDays, settingsFile: s.file, prefixList: endpoints, dynamoDbPrefixList: endpoints && tables, closeAfter: ipv6Block ? [ipv6Block] : [] });
    if (endpoints) {
      const e = addEndpoints(t, s, s.endpointNeeds ?? ALL_NEEDS, { env: p.EnvironmentName.ref, vpc, subnets: appSubnets });
      // The estate registry (shared/registry.ts): the cluster and service stacks read these by SSM name.
      const env = p.EnvironmentName.ref;
      publish(t, 'ApplicationSecurityGroupParameter', env, 'application-security-group-id', e.applicationGroup.getAtt('GroupId'), 'Security group every task and container instance carries: the VPC endpoints admit it.');
      publish(t, 'EndpointSecurityGroupParameter', env, 'endpoint-security-group-id', e.endpointGroup.getAtt('GroupId'), 'Security group of the VPC interface endpoints: the application tier sends HTTPS to it.');
      publish(t, 'S3PrefixListParameter', env, 's3-prefix-list-id', defaults.s3PrefixList!.getAtt('PrefixListId'), "The Region's S3 prefix list: the application tier sends HTTPS to it (the gateway endpoint).");
      if (defaults.dynamoDbPrefixList) {
        publish(t, 'DynamoDbPrefixListParameter', env, 'dynamodb-prefix-list-id', defaults.dynamoDbPrefixList.getAtt('PrefixListId'), "The Region's DynamoDB prefix list: services that use a table send HTTPS to it (the gateway endpoint).");
      }
    }

    // A fixed name, `<environment>-database`, so a database stack deployed on its own from the
    // console finds it by default (the Aurora stores' DbSubnetGroupName parameter).
    const dbSubnetGroup = t.resource('DbSubnetGroup', 'AWS::RDS::DBSubnetGroup', {
      DBSubnetGroupName: dbSubnetGroupName(p.EnvironmentName.ref),
      DBSubnetGroupDescription: sub`${p.EnvironmentName.ref} database subnets (no route out)`,
      SubnetIds: dbSubnets.map((sn) => sn.ref),
    });

    return {
      VpcId: vpc.ref,
      VpcCidr: vpc.getAtt('CidrBlock'),
      PublicSubnetIds: publicSubnets.map((sn) => sn.ref),
      ApplicationSubnetIds: appSubnets.map((sn) => sn.ref),
      DatabaseSubnetIds: dbSubnets.map((sn) => sn.ref),
      ApplicationSubnetCidrs: Join(',', p.ApplicationSubnetCidrs.ref),
      DbSubnetGroupName: dbSubnetGroup.ref,
    };
  },
});
