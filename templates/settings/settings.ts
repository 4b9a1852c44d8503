/**
 * Environment settings: the data each `templates/environments/<env>.json` holds.
 *
 * The schema is written here, typed against the `Settings` interface by ajv's `JSONSchemaType`,
 * so the TypeScript type and the JSON Schema cannot drift apart. `make schema` writes it to
 * `templates/settings/settings.schema.json`, which the environment files name in `$schema` for editor
 * autocompletion. What a schema cannot say (CIDRs fit the VPC, do not overlap) is checked in
 * `checkSettings` below, with the same located messages.
 */
import { basename } from 'node:path';
import type { JSONSchemaType } from 'ajv';
import { cidrProblem, contains, formatCidr, overlaps, parseCidr, reservedRange, subnetAt, type Cidr } from '../../src/settings/cidr.ts';
import { at, SettingsLoader } from '../../src/settings/loader.ts';
import { BerthError, q } from '../../src/dsl/index.ts';
import { allowedFamilies, INSTANCE_TYPES, isArm64InstanceType, similarInstanceTypes } from './instance-types.ts';
import { checkOperations, DEPLOYMENT_SCHEMA, OPERATIONS_SCHEMA, SERVICE_ALARMS_SCHEMA, type AlarmThresholds, type Deployment, type OperationsSettings } from './operations.ts';
import { REGIONS } from './regions.generated.ts';

/** NAT for the application subnets, as pulumi-awsx names the choices. */
export type NatGateways = 'none' | 'single' | 'onePerAz';

/** CloudWatch Logs retention values. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;
export type RetentionDays = (typeof RETENTION_DAYS)[number];

export interface SubnetCidrs {
  readonly public: readonly string[];
  readonly application: readonly string[];
  readonly database: readonly string[];
}

export interface NetworkSettings {
  /** The VPC's IPv4 block. */
  readonly vpcCidr: string;
  /** How many Availability Zones the subnets span (2 or 3). */
  readonly availabilityZones: 2 | 3;
  /** `none`: no egress from the application tier; `single`: one NAT (cheap, one AZ's fate); `onePerAz`: highly available. */
  readonly natGateways: NatGateways;
  /** Subnet CIDRs per tier, one per AZ. @default - carved from `vpcCidr`, see `carveSubnets` */
  readonly subnets?: SubnetCidrs;
  /** Retention of the VPC flow-log group. */
  readonly flowLogRetentionDays: RetentionDays;
  /**
   * Give the VPC an Amazon-provided IPv6 block and each public subnet a /64 of it, for a
   * dual-stack load balancer (`loadBalancer.dns.dualStack`). The application and database tiers
   * stay IPv4-only: nothing there needs to be reachable over IPv6. @default false
   */
  readonly ipv6?: boolean;
  /**
   * VPC interface endpoints, with private DNS, for the AWS APIs the application tier calls (ECR
   * API and Docker, CloudWatch Logs, Secrets Manager, SSM, STS; the ECS agent's and Session
   * Manager's endpoints with EC2 capacity or ECS Exec; SQS where the estate has queues), behind a
   * security group that admits only the application tier. Task and instance security groups then
   * send HTTPS only to those endpoints and to S3 (the gateway endpoint's prefix list): no path to
   * the internet unless a service says `egress: 'internet'` in its definition.
   *
   * The cost trade-off: each interface endpoint is billed per hour in each Availability Zone
   * (about 7 USD a month per endpoint and AZ in us-east-1, so 8 to 12 endpoints in 3 AZs cost
   * 170 to 260 USD a month) plus a charge per GB, against NAT's per-GB processing charge for the
   * same traffic and a route to the internet from every task. Off, tasks and instances reach AWS
   * through NAT on HTTPS to anywhere (`natGateways` must not then be `none`).
   * https://aws.amazon.com/privatelink/pricing/ https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html
   * @default true
   */
  readonly interfaceEndpoints?: boolean;
}

/** Where the HTTPS listener's certificate comes from. */
export type CertificateSettings =
  | { readonly source: 'existing'; readonly certificateArn: string }
  /** A new ACM certificate, validated by a DNS record berth writes into the hosted zone. */
  | { readonly source: 'dnsValidated'; readonly domainName: string; readonly hostedZoneId: string };

/** HTTPS (port 80 redirects to it), or plain HTTP only where an environment opts in explicitly. */
export type ListenerSettings =
  | { readonly protocol: 'https'; readonly certificate: CertificateSettings }
  | { readonly protocol: 'http'; readonly allowPlainHttp: true };

export interface LoadBalancerSettings {
  readonly listener: ListenerSettings;
  /** Route 53 alias record(s) for the estate's domain. @default - no record */
  readonly dns?: { readonly domainName: string; readonly hostedZoneId: string; readonly dualStack?: boolean };
  /** Refuse deletion of the ALB until this is turned off. */
  readonly deletionProtection: boolean;
  /** @default 60 */
  readonly idleTimeoutSeconds?: number;
  /** Access logs to an S3 bucket the stack creates. */
  readonly accessLogs: boolean;
  /** AWS WAF in front of the load balancer. @default - on, with the default rate limit */
  readonly firewall?: FirewallSettings;
}

/**
 * An AWS WAF web ACL on the load balancer: AWS's managed rule groups (the common rule set, known
 * bad inputs, the Amazon IP reputation list) and a rate limit per client IP, logging to an
 * encrypted log group. Billed per web ACL, per rule and per million requests.
 * https://docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html
 * https://aws.amazon.com/waf/pricing/
 */
export interface FirewallSettings {
  /** Off only where an environment says so (prod keeps it on). */
  readonly enabled: boolean;
  /**
   * Requests one client IP may send in 5 minutes before the rest are blocked (AWS WAF's lowest
   * allowed limit is 10). https://docs.aws.amazon.com/waf/latest/developerguide/waf-rule-statement-type-rate-based-high-level-settings.html
   * @default 2000
   */
  readonly requestsPerFiveMinutesPerIp?: number;
}

/** EC2 capacity: an Auto Scaling group of ECS-optimized instances behind a capacity provider. */
export interface Ec2CapacitySettings {
  readonly type: 'ec2';
  /**
   * Instance types of the container instances, in order of preference, all of one architecture
   * (x86_64, or arm64 for Graviton). Two or more similar types let the Auto Scaling group launch
   * another when one runs short in an AZ (AWS Control Tower's CT.AUTOSCALING.PR.6 asks for that).
   * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-mixed-instances-groups.html
   */
  readonly instanceTypes: readonly string[];
  /** gp3 root volume size. */
  readonly volumeSizeGiB: number;
  /** @default - no key pair (use SSM Session Manager) */
  readonly keyPairName?: string;
  /**
   * Fewest and most instances. There is no desired count: ECS managed scaling owns it (a count in
   * the template would reset it on every stack update); a new group starts at `minSize`.
   */
  readonly minSize: number;
  readonly maxSize: number;
  /** Managed scaling target utilisation. @default 100 */
  readonly targetCapacityPercent?: number;
  /**
   * The AMI of the instances. `imageId` pins one (the instances change only when you change it);
   * `ssmParameter` reads a parameter of yours (a golden-AMI pipeline) when the stack is created or
   * updated. @default - the latest recommended ECS-optimized Amazon Linux 2023 AMI, read from AWS's
   * public SSM parameter whenever the cluster stack is created or updated
   */
  readonly ami?: AmiSettings;
  /**
   * Whether the account has ECS's `awsvpcTrunking` setting on, so instances run many more awsvpc
   * tasks (the density check counts the per-type trunk limit instead of network interfaces - 1;
   * every instance type must then support trunking). The deploy preflight reports or turns on the
   * setting. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/container-instance-eni.html
   * @default false
   */
  readonly awsvpcTrunking?: boolean;
}

/** Where the container instances' AMI comes from. */
export type AmiSettings =
  /** A fixed AMI ID, in the environment's Region. */
  | { readonly imageId: string }
  /** An SSM parameter holding an AMI ID, read on every create and update of the cluster stack. */
  | { readonly ssmParameter: string };

/** Fargate only: FARGATE and FARGATE_SPOT providers. */
export interface FargateCapacitySettings {
  readonly type: 'fargate';
  /** Default strategy weight of FARGATE_SPOT against FARGATE's 1. @default 0 */
  readonly spotWeight?: number;
}

export interface ClusterSettings {
  /** CloudWatch Container Insights. https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cloudwatch-container-insights.html */
  readonly containerInsights: 'enabled' | 'enhanced';
  /** EC2 clusters also get the Fargate providers, so Fargate services can run beside EC2 ones. */
  readonly capacity: Ec2CapacitySettings | FargateCapacitySettings;
}

/** Per-environment overrides of a service defined in templates/services/. */
export interface ServiceOverrides {
  readonly desiredCount?: number;
  readonly minCount?: number;
  readonly maxCount?: number;
  readonly image?: string;
  /**
   * ECS Exec (an interactive shell in the running tasks) for this service in this environment:
   * a debugging door, so it is off unless an environment opens it. Adds the Session Manager
   * channel permissions to the task role and writable paths for the agent.
   * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html @default false
   */
  readonly enableExecuteCommand?: boolean;
  /**
   * How this service deploys in this environment: over its definition's `deployment` and the
   * environment's `operations.webDeployment`. Traffic-shifting strategies need a web service.
   * @default - the definition's, else the environment's, else rolling
   */
  readonly deployment?: Deployment;
  /** Alarm thresholds of this service in this environment, over its definition's `alarms` and `operations.alarms`. @default - those */
  readonly alarms?: AlarmThresholds;
}

/**
 * Per-environment overrides of a data store defined in templates/storage/, each for the kinds it
 * names (the build refuses a field the store's kind does not have).
 */
export interface StoreOverrides {
  /** Aurora Serverless v2: fewest ACUs (0 to 256, steps of 0.5). */
  readonly minAcu?: number;
  /** Aurora Serverless v2: most ACUs (1 to 256, steps of 0.5). */
  readonly maxAcu?: number;
  /** Aurora provisioned: the instance class, such as `db.r7g.large`. */
  readonly instanceClass?: string;
  /** Aurora: reader instances beside the writer (0 to 15). */
  readonly readers?: number;
  /** Aurora: days of automated backups (1 to 35). */
  readonly backupRetentionDays?: number;
  /** Aurora and DynamoDB: refuse deletion of the cluster or table until this is turned off. @default true */
  readonly deletionProtection?: boolean;
  /** Aurora: Performance Insights on every instance (7 days, encrypted with the store's key). @default true */
  readonly performanceInsights?: boolean;
  /** DynamoDB with provisioned billing: read capacity units. */
  readonly readCapacityUnits?: number;
  /** DynamoDB with provisioned billing: write capacity units. */
  readonly writeCapacityUnits?: number;
}

/**
 * How a stack set rolls one operation out over its targets.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetOperationPreferences.html
 */
export interface OperationPreferences {
  /** Regions one after another (in `regions` order), or all at once. @default 'SEQUENTIAL' */
  readonly regionConcurrencyType?: 'SEQUENTIAL' | 'PARALLEL';
  /** Share of the accounts deployed to at once, per Region (1-100). @default 25 */
  readonly maxConcurrentPercentage?: number;
  /** Share of the accounts that may fail, per Region, before the operation stops there (0-100). @default 0 */
  readonly failureTolerancePercentage?: number;
  /**
   * `STRICT_FAILURE_TOLERANCE` lowers concurrency as failures come; `SOFT_FAILURE_TOLERANCE` keeps
   * it. @default - CloudFormation's default, STRICT_FAILURE_TOLERANCE
   */
  readonly concurrencyMode?: 'STRICT_FAILURE_TOLERANCE' | 'SOFT_FAILURE_TOLERANCE';
}

/**
 * Where a stack set rolls the environment out (`scripts/deploy.sh <env> --stack-set`): AWS
 * Organizations organisational units with service-managed permissions, or explicit accounts with
 * self-managed permissions (the administration and execution roles), in `regions`, in that order.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/what-is-cfnstacksets.html
 */
export type TargetsSettings =
  | {
      readonly permissionModel: 'selfManaged';
      /** Target account IDs. */
      readonly accounts: readonly string[];
      /** Regions in rollout order. */
      readonly regions: readonly string[];
      /** The administration role in this account. @default 'AWSCloudFormationStackSetAdministrationRole' */
      readonly administrationRoleName?: string;
      /** The execution role in each target account. @default 'AWSCloudFormationStackSetExecutionRole' */
      readonly executionRoleName?: string;
      /** @default - see `OperationPreferences` */
      readonly operationPreferences?: OperationPreferences;
    }
  | {
      readonly permissionModel: 'serviceManaged';
      /** Organisational unit IDs (`ou-...`) or the organisation's root (`r-...`). */
      readonly organizationalUnits: readonly string[];
      /** Regions in rollout order. */
      readonly regions: readonly string[];
      /** Deploy to accounts that join the units later; keep or delete their stacks when they leave. @default { enabled: true, retainStacksOnAccountRemoval: false } */
      readonly autoDeployment?: { readonly enabled: boolean; readonly retainStacksOnAccountRemoval: boolean };
      /** `SELF` from the management account, `DELEGATED_ADMIN` from a delegated administrator. @default 'SELF' */
      readonly callAs?: 'SELF' | 'DELEGATED_ADMIN';
      /** @default - see `OperationPreferences` */
      readonly operationPreferences?: OperationPreferences;
    };

export interface Settings {
  readonly $schema?: string;
  /** The environment's name; must match the file name. */
  readonly name: string;
  /** The AWS Region the environment deploys to; cfn-lint checks the templates against it. */
  readonly region: string;
  readonly network: NetworkSettings;
  readonly loadBalancer: LoadBalancerSettings;
  readonly cluster: ClusterSettings;
  /** Application log retention; production keeps at least 365 days. */
  readonly logRetentionDays: RetentionDays;
  /** Per-service overrides, keyed by service name. @default {} */
  readonly services?: { readonly [name: string]: ServiceOverrides };
  /** Per-store overrides, keyed by store name (templates/storage/). @default {} */
  readonly stores?: { readonly [name: string]: StoreOverrides };
  /** Alarms, who hears them, and how web services deploy (docs/operations.md). @default - see `OperationsSettings` */
  readonly operations?: OperationsSettings;
  /** Accounts and Regions of a stack-set rollout. @default - none: the environment deploys as one stack */
  readonly targets?: TargetsSettings;
}

const cidrString = {
  type: 'string',
  pattern: '^\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}/\\d{1,2}$',
  description: 'an IPv4 CIDR block such as 10.0.0.0/16',
} as const;

const domainName = { type: 'string', pattern: '^(\\*\\.)?([a-z0-9-]+\\.)+[a-z]{2,}$', description: 'a lower-case DNS name such as app.example.com' } as const;
const hostedZoneId = { type: 'string', pattern: '^Z[A-Z0-9]{1,31}$', description: 'a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ' } as const;

const cidrList = { type: 'array', items: cidrString, minItems: 2, maxItems: 3 } as const;

const regionList = { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^[a-z]{2}(-gov)?-[a-z]+-\\d$', description: 'an AWS Region code such as eu-west-1' }, description: 'Regions in rollout order' } as const;

const operationPreferences = {
  type: 'object',
  nullable: true,
  additionalProperties: false,
  properties: {
    regionConcurrencyType: { type: 'string', nullable: true, enum: ['SEQUENTIAL', 'PARALLEL'] },
    maxConcurrentPercentage: { type: 'integer', nullable: true, minimum: 1, maximum: 100 },
    failureTolerancePercentage: { type: 'integer', nullable: true, minimum: 0, maximum: 100 },
    concurrencyMode: { type: 'string', nullable: true, enum: ['STRICT_FAILURE_TOLERANCE', 'SOFT_FAILURE_TOLERANCE'] },
  },
} as const;

export const SETTINGS_SCHEMA: JSONSchemaType<Settings> = {
  $id: 'https://berth.dev/settings.schema.json',
  title: 'berth environment settings',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'region', 'network', 'loadBalancer', 'cluster', 'logRetentionDays'],
  properties: {
    $schema: { type: 'string', nullable: true },
    name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,19}$', description: 'lower-case letters, digits and hyphens, up to 20 characters, matching the file name' },
    // Every Region of AWS's own list (`make regions`): a Region that does not exist fails here, not at deploy time.
    region: { type: 'string', enum: Object.keys(REGIONS), description: 'an AWS Region code such as eu-west-1' },
    network: {
      type: 'object',
      additionalProperties: false,
      required: ['vpcCidr', 'availabilityZones', 'natGateways', 'flowLogRetentionDays'],
      properties: {
        vpcCidr: cidrString,
        availabilityZones: { type: 'integer', enum: [2, 3], description: 'how many Availability Zones: 2 or 3' },
        natGateways: { type: 'string', enum: ['none', 'single', 'onePerAz'] },
        ipv6: { type: 'boolean', nullable: true, description: 'IPv6 for the public subnets, needed by a dual-stack load balancer' },
        subnets: {
          type: 'object',
          nullable: true,
          additionalProperties: false,
          required: ['public', 'application', 'database'],
          properties: { public: cidrList, application: cidrList, database: cidrList },
        },
        flowLogRetentionDays: { type: 'integer', enum: [...RETENTION_DAYS] },
        interfaceEndpoints: { type: 'boolean', nullable: true, description: 'VPC interface endpoints for the AWS APIs the tasks call, and egress only to them and S3 (billed per endpoint, hour and AZ); default true' },
      },
    },
    loadBalancer: {
      type: 'object',
      additionalProperties: false,
      required: ['listener', 'deletionProtection', 'accessLogs'],
      properties: {
        listener: {
          type: 'object',
          required: ['protocol'],
          discriminator: { propertyName: 'protocol' },
          oneOf: [
            {
              type: 'object',
              additionalProperties: false,
              required: ['protocol', 'certificate'],
              properties: {
                protocol: { type: 'string', const: 'https' },
                certificate: {
                  type: 'object',
                  required: ['source'],
                  discriminator: { propertyName: 'source' },
                  oneOf: [
                    {
                      type: 'object',
                      additionalProperties: false,
                      required: ['source', 'certificateArn'],
                      properties: {
                        source: { type: 'string', const: 'existing' },
                        certificateArn: { type: 'string', pattern: '^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[A-Za-z0-9-]+$', description: 'an ACM certificate ARN' },
                      },
                    },
                    {
                      type: 'object',
                      additionalProperties: false,
                      required: ['source', 'domainName', 'hostedZoneId'],
                      properties: {
                        source: { type: 'string', const: 'dnsValidated' },
                        domainName: domainName,
                        hostedZoneId: hostedZoneId,
                      },
                    },
                  ],
                },
              },
            },
            {
              type: 'object',
              additionalProperties: false,
              required: ['protocol', 'allowPlainHttp'],
              properties: {
                protocol: { type: 'string', const: 'http' },
                allowPlainHttp: { type: 'boolean', const: true, description: 'plain HTTP must be chosen explicitly: set it to true' },
              },
            },
          ],
        },
        dns: {
          type: 'object',
          nullable: true,
          additionalProperties: false,
          required: ['domainName', 'hostedZoneId'],
          properties: { domainName, hostedZoneId, dualStack: { type: 'boolean', nullable: true } },
        },
        deletionProtection: { type: 'boolean' },
        idleTimeoutSeconds: { type: 'integer', nullable: true, minimum: 1, maximum: 4000 },
        accessLogs: { type: 'boolean' },
        firewall: {
          type: 'object',
          nullable: true,
          additionalProperties: false,
          required: ['enabled'],
          description: 'AWS WAF on the load balancer; default on',
          properties: {
            enabled: { type: 'boolean' },
            requestsPerFiveMinutesPerIp: { type: 'integer', nullable: true, minimum: 10, maximum: 2000000000, description: 'requests per client IP in 5 minutes before blocking, at least 10 (AWS WAF\'s lowest); default 2000' },
          },
        },
      },
    },
    cluster: {
      type: 'object',
      additionalProperties: false,
      required: ['containerInsights', 'capacity'],
      properties: {
        containerInsights: { type: 'string', enum: ['enabled', 'enhanced'] },
        capacity: {
          type: 'object',
          required: ['type'],
          discriminator: { propertyName: 'type' },
          oneOf: [
            {
              type: 'object',
              additionalProperties: false,
              required: ['type', 'instanceTypes', 'volumeSizeGiB', 'minSize', 'maxSize'],
              properties: {
                type: { type: 'string', const: 'ec2' },
                instanceTypes: {
                  type: 'array',
                  minItems: 1,
                  maxItems: 40, // the most overrides a mixed instances policy takes
                  uniqueItems: true,
                  items: { type: 'string', pattern: '^[a-z][a-z0-9-]*\\.[a-z0-9]+$', description: 'an EC2 instance type such as t3.medium' },
                  description: 'instance types in order of preference, one architecture, such as ["m6i.large", "m6a.large"]',
                },
                volumeSizeGiB: { type: 'integer', minimum: 30, maximum: 16384, description: 'the ECS-optimized AMI needs at least 30 GiB' },
                // https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateKeyPair.html: "Up to 255 ASCII characters".
                keyPairName: { type: 'string', nullable: true, maxLength: 255, pattern: '^[\\x20-\\x7E]+$', description: 'an EC2 key pair name: 1 to 255 printable ASCII characters' },
                // An ECS cluster registers at most 5,000 container instances, so a larger group
                // would only launch instances that cannot join it.
                // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/operating-at-scale-service-quotas.html
                minSize: { type: 'integer', minimum: 0, maximum: 5000, description: 'instances, 0 to 5000 (the most an ECS cluster registers)' },
                maxSize: { type: 'integer', minimum: 1, maximum: 5000, description: 'instances, 1 to 5000 (the most an ECS cluster registers)' },
                targetCapacityPercent: { type: 'integer', nullable: true, minimum: 1, maximum: 100 },
                ami: {
                  type: 'object',
                  nullable: true,
                  description: 'the AMI: {"imageId": "ami-..."} pins one, {"ssmParameter": "/..."} reads yours; default: the latest recommended ECS-optimized AMI',
                  oneOf: [
                    { type: 'object', additionalProperties: false, required: ['imageId'], properties: { imageId: { type: 'string', pattern: '^ami-[0-9a-f]{8}([0-9a-f]{9})?$', description: 'an AMI ID such as ami-0123456789abcdef0' } } },
                    { type: 'object', additionalProperties: false, required: ['ssmParameter'], properties: { ssmParameter: { type: 'string', pattern: '^/[A-Za-z0-9_.\\-/]{1,1010}$', description: 'an SSM parameter name such as /golden/ecs/ami' } } },
                  ],
                },
                awsvpcTrunking: { type: 'boolean', nullable: true, description: 'the account has ECS awsvpcTrunking on: instances run the per-type trunk limit of awsvpc tasks' },
              },
            },
            {
              type: 'object',
              additionalProperties: false,
              required: ['type'],
              properties: {
                type: { type: 'string', const: 'fargate' },
                spotWeight: { type: 'integer', nullable: true, minimum: 0, maximum: 1000 },
              },
            },
          ],
        },
      },
    },
    logRetentionDays: { type: 'integer', enum: [...RETENTION_DAYS] },
    targets: {
      type: 'object',
      nullable: true,
      required: ['permissionModel'],
      discriminator: { propertyName: 'permissionModel' },
      description: 'accounts and Regions of a stack-set rollout (scripts/deploy.sh <env> --stack-set)',
      oneOf: [
        {
          type: 'object',
          additionalProperties: false,
          required: ['permissionModel', 'accounts', 'regions'],
          properties: {
            permissionModel: { type: 'string', const: 'selfManaged' },
            accounts: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^\\d{12}$', description: 'a 12-digit AWS account ID' } },
            regions: regionList,
            administrationRoleName: { type: 'string', nullable: true, pattern: '^[\\w+=,.@-]{1,64}$' },
            executionRoleName: { type: 'string', nullable: true, pattern: '^[\\w+=,.@-]{1,64}$' },
            operationPreferences,
          },
        },
        {
          type: 'object',
          additionalProperties: false,
          required: ['permissionModel', 'organizationalUnits', 'regions'],
          properties: {
            permissionModel: { type: 'string', const: 'serviceManaged' },
            organizationalUnits: { type: 'array', minItems: 1, uniqueItems: true, items: { type: 'string', pattern: '^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$', description: 'an organisational unit ID such as ou-ab12-cd345678, or the root r-ab12' } },
            regions: regionList,
            autoDeployment: {
              type: 'object',
              nullable: true,
              additionalProperties: false,
              required: ['enabled', 'retainStacksOnAccountRemoval'],
              properties: { enabled: { type: 'boolean' }, retainStacksOnAccountRemoval: { type: 'boolean' } },
            },
            callAs: { type: 'string', nullable: true, enum: ['SELF', 'DELEGATED_ADMIN'] },
            operationPreferences,
          },
        },
      ],
    },
    services: {
      type: 'object',
      nullable: true,
      required: [],
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          // An ECS service runs at most 5,000 tasks ("Tasks per service").
          // https://docs.aws.amazon.com/general/latest/gr/ecs-service.html#limits_ecs
          desiredCount: { type: 'integer', nullable: true, minimum: 0, maximum: 5000, description: 'tasks, 0 to 5000 (the most an ECS service runs)' },
          enableExecuteCommand: { type: 'boolean', nullable: true, description: 'ECS Exec into this service\'s tasks in this environment' },
          minCount: { type: 'integer', nullable: true, minimum: 0, maximum: 5000, description: 'tasks, 0 to 5000 (the most an ECS service runs)' },
          maxCount: { type: 'integer', nullable: true, minimum: 1, maximum: 5000, description: 'tasks, 1 to 5000 (the most an ECS service runs)' },
          image: { type: 'string', nullable: true, minLength: 1 },
          deployment: { ...DEPLOYMENT_SCHEMA, nullable: true },
          alarms: SERVICE_ALARMS_SCHEMA,
        },
      },
    },
    stores: {
      type: 'object',
      nullable: true,
      required: [],
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          minAcu: { type: 'number', nullable: true, minimum: 0, maximum: 256, multipleOf: 0.5, description: 'Aurora Serverless v2: fewest ACUs' },
          maxAcu: { type: 'number', nullable: true, minimum: 1, maximum: 256, multipleOf: 0.5, description: 'Aurora Serverless v2: most ACUs' },
          instanceClass: { type: 'string', nullable: true, pattern: '^db\\.[a-z0-9]+\\.[a-z0-9]+$', description: 'Aurora provisioned: an instance class such as db.r7g.large' },
          readers: { type: 'integer', nullable: true, minimum: 0, maximum: 15, description: 'Aurora: reader instances beside the writer' },
          backupRetentionDays: { type: 'integer', nullable: true, minimum: 1, maximum: 35, description: 'Aurora: days of automated backups' },
          deletionProtection: { type: 'boolean', nullable: true, description: 'Aurora and DynamoDB: refuse deletion until turned off' },
          performanceInsights: { type: 'boolean', nullable: true, description: 'Aurora: Performance Insights on every instance' },
          readCapacityUnits: { type: 'integer', nullable: true, minimum: 1, description: 'DynamoDB provisioned billing: read capacity units' },
          writeCapacityUnits: { type: 'integer', nullable: true, minimum: 1, description: 'DynamoDB provisioned billing: write capacity units' },
        },
      },
    },
    operations: OPERATIONS_SCHEMA,
  },
} as unknown as JSONSchemaType<Settings>;
// The cast above is only for the `oneOf` branches, which ajv's JSONSchemaType cannot relate to
// TypeScript unions; test/settings.test.ts checks every environment file against both.

/** Settings after checks, with subnets carved. */
export interface ResolvedSettings extends Settings {
  readonly network: NetworkSettings & { readonly subnets: SubnetCidrs };
  /** The settings file, for messages. */
  readonly file: string;
}

let loader: SettingsLoader<Settings> | undefined;

/** Loads, validates and checks one environment file. */
export function loadSettings(file: string): ResolvedSettings {
  loader ??= new SettingsLoader<Settings>(SETTINGS_SCHEMA);
  return checkSettings(file, loader.load(file));
}

export const TIERS = ['public', 'application', 'database'] as const;

/**
 * Default subnet layout: the VPC is cut into 16 equal blocks (a /16 gives /20s of 4,096
 * addresses); tier t in AZ i takes block 4t + i, leaving room for a fourth AZ and for a fourth
 * tier in blocks 12-15.
 */
export function carveSubnets(vpc: Cidr, zones: number): SubnetCidrs {
  const prefix = vpc.prefix + 4;
  const tier = (t: number) => Array.from({ length: zones }, (_, i) => formatCidr(subnetAt(vpc, prefix, 4 * t + i)));
  return { public: tier(0), application: tier(1), database: tier(2) };
}

/** Each instance type is one berth knows the figures of (templates/settings/instance-types.ts). */
function checkInstanceTypesExist(file: string, cap: Ec2CapacitySettings): void {
  cap.instanceTypes.forEach((t, i) => {
    if (INSTANCE_TYPES.has(t)) return;
    const similar = similarInstanceTypes(t);
    throw new BerthError(
      at(file, `cluster.capacity.instanceTypes[${i}]`),
      `${q(t)} is not an instance type berth knows${similar.length ? ` (did you mean ${similar.map((x) => q(x)).join(' or ')}?)` : ''}. ` +
        `berth allows the Nitro families ${allowedFamilies()}, large to 4xlarge (Graviton from medium, burstable small to 2xlarge): pick one, or add the type with its figures to templates/settings/instance-types.ts.`,
    );
  });
}

/** With `awsvpcTrunking`, every type must support ENI trunking, or its instances would get far fewer tasks than counted. */
function checkInstanceTypes(file: string, cap: Ec2CapacitySettings): void {
  if (!cap.awsvpcTrunking) return;
  cap.instanceTypes.forEach((t, i) => {
    if (INSTANCE_TYPES.get(t)?.trunkTaskLimit !== undefined) return;
    throw new BerthError(
      at(file, `cluster.capacity.instanceTypes[${i}]`),
      `${q(t)} does not support ENI trunking, but \`cluster.capacity.awsvpcTrunking\` is true: its instances would run only (network interfaces - 1) awsvpc tasks. Pick a type that supports trunking (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/eni-trunking-supported-instance-types.html), or set \`awsvpcTrunking\` to false.`,
    );
  });
}

/**
 * Some AWS services and Docker (the ECS agent on every container instance) use 172.17.0.0/16 for
 * the docker0 bridge: a VPC there conflicts with them, as AWS warns.
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
 */
const DOCKER_BRIDGE = parseCidr('172.17.0.0/16')!;

/** A CIDR block of the settings: valid, canonical, and outside ranges no VPC can use; located errors otherwise. */
function checkCidr(file: string, path: string, text: string, example: string): Cidr {
  const wrong = cidrProblem(text);
  if (wrong) {
    const fix = wrong.meant ? `Write ${q(wrong.meant)} if that is the block meant` : `Use a block such as ${q(example)}`;
    throw new BerthError(at(file, path), `${q(text)} is not a valid IPv4 CIDR block: ${wrong.problem}. ${fix}.`);
  }
  const c = parseCidr(text)!;
  const reserved = reservedRange(c);
  if (reserved) {
    throw new BerthError(at(file, path), `${q(text)} overlaps ${q(reserved.cidr)}, ${reserved.name}, which no VPC can use. Use a private block (RFC 1918) such as ${q(example)}.`);
  }
  if (overlaps(c, DOCKER_BRIDGE)) {
    throw new BerthError(at(file, path), `${q(text)} overlaps \`172.17.0.0/16\`, the Docker bridge network of every ECS container instance, so tasks could not reach addresses there. Use another private block such as ${q(example)}.`);
  }
  return c;
}

/** Semantic checks beyond the schema; returns the settings with subnets resolved. */
export function checkSettings(file: string, s: Settings): ResolvedSettings {
  const expectedName = basename(file).replace(/\.json$/, '');
  if (s.name !== expectedName) {
    throw new BerthError(at(file, 'name'), `is ${q(s.name)} but the file is ${q(basename(file))}. Set \`name\` to ${q(expectedName)} or rename the file.`);
  }
  const net = s.network;
  const vpc = checkCidr(file, 'network.vpcCidr', net.vpcCidr, '10.0.0.0/16');
  // https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html: a VPC is /16 to /28.
  if (vpc.prefix < 16 || vpc.prefix > 24) {
    throw new BerthError(at(file, 'network.vpcCidr'), `${q(net.vpcCidr)} has prefix /${vpc.prefix}; berth needs /16 to /24 (AWS allows /16 to /28, and nine subnets must fit). Use a block such as \`10.0.0.0/16\`.`);
  }
  const subnets = net.subnets ?? carveSubnets(vpc, net.availabilityZones);
  const seen: { path: string; cidr: Cidr }[] = [];
  for (const tier of TIERS) {
    const list = subnets[tier];
    if (list.length !== net.availabilityZones) {
      throw new BerthError(at(file, `network.subnets.${tier}`), `has ${list.length} CIDR blocks but \`network.availabilityZones\` is ${net.availabilityZones}. Give one block per Availability Zone.`);
    }
    list.forEach((text, i) => {
      const path = `network.subnets.${tier}[${i}]`;
      const c = checkCidr(file, path, text, '10.0.16.0/20');
      if (c.prefix > 28) throw new BerthError(at(file, path), `${q(text)} is smaller than /28, the smallest subnet AWS allows. Use a /28 or larger block.`);
      if (!contains(vpc, c)) throw new BerthError(at(file, path), `${q(text)} is not inside the VPC block ${q(net.vpcCidr)}. Choose a block within it, or widen \`network.vpcCidr\`.`);
      const clash = seen.find((o) => overlaps(o.cidr, c));
      if (clash) throw new BerthError(at(file, path), `${q(text)} overlaps ${clash.path} (${q(formatCidr(clash.cidr))}). Subnets must not overlap: choose another block.`);
      seen.push({ path, cidr: c });
    });
  }
  // A dualstack ALB needs subnets with IPv6 blocks, which the network creates only when asked:
  // without them the load balancer would fail at deploy time. Refuse it here, where the fix is obvious.
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html#ip-address-type
  if (s.loadBalancer.dns?.dualStack && !net.ipv6) {
    throw new BerthError(at(file, 'loadBalancer.dns.dualStack'), 'is true, but a dual-stack load balancer needs IPv6 in its public subnets. Set `network.ipv6` to true, or remove `dualStack` (an A record is still written).');
  }
  const cap = s.cluster.capacity;
  if (cap.type === 'ec2') checkInstanceTypesExist(file, cap);
  if (cap.type === 'ec2') {
    // One launch template, so one AMI: every type must run on its architecture.
    const first = cap.instanceTypes[0]!;
    const other = cap.instanceTypes.findIndex((t) => isArm64InstanceType(t) !== isArm64InstanceType(first));
    if (other > 0) {
      const arch = (t: string) => (isArm64InstanceType(t) ? 'arm64 (Graviton)' : 'x86_64');
      throw new BerthError(
        at(file, `cluster.capacity.instanceTypes[${other}]`),
        `${q(cap.instanceTypes[other]!)} is ${arch(cap.instanceTypes[other]!)} but ${q(first)} is ${arch(first)}; the instances share one AMI, so all types must have one architecture. Pick types of the same architecture.`,
      );
    }
  }
  if (cap.type === 'ec2') checkInstanceTypes(file, cap);
  checkOperations((path) => at(file, path), s.operations);
  for (const [name, o] of Object.entries(s.services ?? {})) {
    if (o.minCount !== undefined && o.maxCount !== undefined && o.minCount > o.maxCount) {
      throw new BerthError(at(file, `services.${name}`), `minCount (${o.minCount}) is above maxCount (${o.maxCount}). Make minCount <= maxCount.`);
    }
  }
  checkTargets(file, s);
  return { ...s, network: { ...net, subnets }, file };
}

/**
 * A stack set deploys one template everywhere: values that name one Region (a certificate ARN, a
 * pinned AMI) and records every instance would write (a DNS name in one hosted zone) are refused
 * when the targets reach further. Values that differ by Region come from the Region instead: the
 * ECS-optimized AMI from its public SSM parameter, the load balancer's log delivery from the
 * Region's principal (templates/stacks/load-balancer.ts).
 */
function checkTargets(file: string, s: Settings): void {
  const targets = s.targets;
  if (!targets) return;
  const regions = targets.regions;
  const listener = s.loadBalancer.listener;
  if (listener.protocol === 'https' && listener.certificate.source === 'existing') {
    const certRegion = listener.certificate.certificateArn.split(':')[3];
    const other = regions.find((r) => r !== certRegion);
    if (other) {
      throw new BerthError(
        at(file, 'loadBalancer.listener.certificate'),
        `names an ACM certificate in ${q(certRegion ?? '')}, but \`targets.regions\` includes ${q(other)}: a load balancer takes a certificate of its own Region only. Use \`{ "source": "dnsValidated", ... }\`, which requests one in each Region, or target ${q(certRegion ?? '')} alone.`,
      );
    }
  }
  const cap = s.cluster.capacity;
  if (cap.type === 'ec2' && cap.ami && 'imageId' in cap.ami && regions.length > 1) {
    throw new BerthError(
      at(file, 'cluster.capacity.ami.imageId'),
      `pins one AMI ID, which exists in one Region, but \`targets.regions\` has ${regions.length} Regions. Remove \`ami\` (the ECS-optimized AMI then comes from each Region's public SSM parameter), or use \`{ "ssmParameter": "/..." }\` published in every Region.`,
    );
  }
  const places = (targets.permissionModel === 'selfManaged' ? targets.accounts.length : Infinity) * regions.length;
  if (s.loadBalancer.dns && places > 1) {
    throw new BerthError(
      at(file, 'loadBalancer.dns'),
      `would make every stack instance write the record ${q(s.loadBalancer.dns.domainName)} into one hosted zone, and \`targets\` has more than one account or Region: the second instance would fail. Remove \`dns\` for a rollout, and point your DNS at the load balancers yourself.`,
    );
  }
}
