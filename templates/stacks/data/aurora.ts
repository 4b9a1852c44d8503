/**
 * An Aurora store's stack (`data-<name>.yaml`): a PostgreSQL or MySQL cluster in the network's
 * database subnets, one writer and N readers spread across Availability Zones, Serverless v2 or
 * provisioned; storage, Performance Insights and exported logs encrypted with the store's own
 * keys; the master password generated and rotated by RDS in Secrets Manager under a key of its
 * own; TLS required by the cluster parameter group; a security group that admits nothing by
 * itself (each service that declares the store adds its own rule, from its own stack: see
 * templates/stacks/data/grants.ts); alarms; and the estate registry entries the services read.
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/aurora-serverless-v2.html
 */
import { AWS, contract, defineStack, GetAZs, output, parameter, Select, sub, type OutputsOf, type ResourceOptions } from '../../../src/dsl/index.ts';
import { NO_TRAFFIC_EGRESS } from '../shared/egress.ts';
import { environmentNameParameter } from '../shared/environment-name.ts';
import { estateRole, serviceTrust } from '../shared/iam.ts';
import { shortRetention, withGuardExemptions } from '../shared/guard.ts';
import { customerKey, logGroupsKey } from '../shared/kms.ts';
import { publish, registryParameter } from '../shared/registry.ts';
import { RETAIN_EXCEPT_ON_CREATE } from '../shared/retention.ts';
import { auroraAlarms } from './alarms.ts';
import { clientsMetadata, storeTags, WIRING, type DataStackSettings } from './common.ts';
import { stackName, storeKey, storePhysicalName } from './names.ts';
import type { ResolvedAurora } from './resolve.ts';

/** Days of Performance Insights history: 7 is the free tier. https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_PerfInsights.Overview.cost.html */
export const PERFORMANCE_INSIGHTS_DAYS = 7;
/** Seconds between Enhanced Monitoring samples (OS metrics). https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Monitoring.OS.html */
export const MONITORING_INTERVAL_SECONDS = 60;

/**
 * The cluster parameter each engine needs to refuse connections without TLS.
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraPostgreSQL.Security.html#AuroraPostgreSQL.Security.SSL.Requiring
 * https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/AuroraMySQL.Security.html#AuroraMySQL.Security.SSL.RequireSSL
 * MySQL also writes its slow query log (exported with the error log) for queries over 2 seconds.
 */
function clusterParameters(r: ResolvedAurora): Record<string, string> {
  return r.engine === 'postgresql' ? { 'rds.force_ssl': '1' } : { require_secure_transport: 'ON', slow_query_log: '1', long_query_time: '2' };
}

/** The snapshot policies: a deleted or replaced cluster leaves a final snapshot. */
const SNAPSHOT = { deletionPolicy: 'Snapshot', updateReplacePolicy: 'Snapshot' } as const satisfies ResourceOptions;
/**
 * An instance of the cluster holds no data (the cluster volume does): deleted with the stack,
 * said explicitly. A retained instance would keep the cluster from being deleted (RDS refuses to
 * delete a cluster that still has instances), and `Snapshot` applies to the cluster, not to its
 * instances. https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
 */
const INSTANCE_IN_CLUSTER = { deletionPolicy: 'Delete', updateReplacePolicy: 'Delete' } as const satisfies ResourceOptions;

export const auroraContract = contract({
  name: ({ store }: DataStackSettings<ResolvedAurora>) => stackName(store.name),
  description: ({ settings, store: r }: DataStackSettings<ResolvedAurora>) =>
    `berth data store ${r.name} for ${settings.name}: Aurora ${r.engine === 'postgresql' ? 'PostgreSQL' : 'MySQL'} ${r.engineVersion}, ${
      r.capacity.type === 'serverless' ? `Serverless v2 ${r.capacity.minAcu}-${r.capacity.maxAcu} ACUs` : r.capacity.instanceClass
    }, 1 writer and ${r.readers} reader${r.readers === 1 ? '' : 's'}, in the database subnets.`,
  parameters: ({ settings }: DataStackSettings<ResolvedAurora>) => ({
    EnvironmentName: environmentNameParameter(settings.name, 'Name prefix for the resources (the cluster <environment>-<store>, tags, registry entries).'),
    VpcId: parameter('AWS::EC2::VPC::Id', { description: "The VPC of the database subnets (the network stack's VpcId output).", group: WIRING, label: 'VPC' }),
    DbSubnetGroupName: parameter('String', {
      description: "DB subnet group over the database subnets (the network stack's DbSubnetGroupName output; the network names it <environment>-database).",
      default: `${settings.name}-database`,
      allowedPattern: '^[A-Za-z0-9._ -]{1,255}$',
      constraintDescription: 'a DB subnet group name',
      group: WIRING,
      label: 'DB subnet group',
    }),
    // The environment's alarm topic, from the estate registry: the operations stack publishes its
    // ARN as `/berth/<environment>/alarm-topic-arn` (templates/stacks/shared/registry.ts), so the
    // alarms always notify it, on ALARM and on OK. Deploy the operations stack first.
    AlarmTopicArn: registryParameter(settings.name, 'alarm-topic-arn', "SNS topic the database's alarms notify (the environment's alarm topic, the operations stack's).", 'Alarms', 'Alarm topic ARN'),
  }),
  outputs: {
    ClusterIdentifier: output('String', { description: 'The cluster (<environment>-<store>).' }),
    Endpoint: output('String', { description: 'The writer endpoint (host name).' }),
    ReaderEndpoint: output('String', { description: 'The reader endpoint (host name): the readers, or the writer while there are none.' }),
    Port: output('String', { description: 'The port the cluster listens on.' }),
    SecretArn: output('String', { description: 'The Secrets Manager secret RDS keeps the master credentials in (JSON: username, password).' }),
    SecurityGroupId: output('AWS::EC2::SecurityGroup::Id', { description: "The database's security group: each service that declares the store admits itself here, from its own stack." }),
  },
});

/** What the Aurora stack's `build` returns: a value for each output of its contract. */
export interface AuroraOutputs extends OutputsOf<typeof auroraContract> {}

export const auroraStore = defineStack(auroraContract, {
  build(t, p, { settings, store: r, clients }): AuroraOutputs {
    const env = p.EnvironmentName.ref;
    const tags = storeTags(env, r.name);
    const identifier = storePhysicalName(env, r.name);

    // Three keys, so that each principal decrypts only what it needs: the services' execution
    // roles the secret (never the storage), CloudWatch Logs the exported logs.
    const storageKey = customerKey(t, 'StorageKey', { description: sub`Encrypts the ${env} ${r.name} cluster, its snapshots and Performance Insights`, tags });
    const secretKey = customerKey(t, 'SecretKey', { description: sub`Encrypts the master user secret of the ${env} ${r.name} cluster`, tags });
    // RDS exports each log type to /aws/rds/cluster/<cluster>/<type>; created here first, so they
    // are encrypted, keep the environment's retention and are kept with the data.
    // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_LogAccess.Procedural.UploadtoCloudWatch.html
    const logPrefix = sub`/aws/rds/cluster/${identifier}/`;
    const logKey = logGroupsKey(t, 'LogKey', { description: sub`Encrypts the exported logs of the ${env} ${r.name} cluster`, logGroupNamePrefix: logPrefix, tags });
    const logGroups = r.logExports.map((type) =>
      t.resource(
        `${type === 'postgresql' ? 'Postgresql' : type === 'error' ? 'Error' : 'SlowQuery'}LogGroup`,
        'AWS::Logs::LogGroup',
        { LogGroupName: sub`/aws/rds/cluster/${identifier}/${type}`, RetentionInDays: settings.logRetentionDays, KmsKeyId: logKey.getAtt('Arn'), Tags: tags },
        // A fixed name: kept on stack deletion, deleted if the create that made it rolls back (see RETAIN_EXCEPT_ON_CREATE).
        withGuardExemptions(RETAIN_EXCEPT_ON_CREATE, [shortRetention(settings.logRetentionDays, settings.file, 'logRetentionDays')]),
      ),
    );

    const securityGroup = t.resource(
      'SecurityGroup',
      'AWS::EC2::SecurityGroup',
      {
        GroupDescription: sub`${env} ${r.name} database`,
        VpcId: p.VpcId.ref,
        // No ingress here: each service that declares the store adds an AWS::EC2::SecurityGroupIngress
        // from its own security group, in its own stack (created after this one), so the rules
        // name exactly the declaring services. The policy gate checks them against the metadata.
        // No egress either: a database opens no connections (the rule below matches no traffic,
        // replacing the default allow-all egress).
        SecurityGroupEgress: [{ ...NO_TRAFFIC_EGRESS, Description: 'No egress: the database opens no connections' }],
        Tags: [...tags, { Key: 'Name', Value: sub`${env}-${r.name}-database` }],
      },
      { metadata: clientsMetadata(clients) },
    );

    const parameterGroup = t.resource('ClusterParameterGroup', 'AWS::RDS::DBClusterParameterGroup', {
      Description: sub`${env} ${r.name}: TLS required`,
      Family: r.family,
      Parameters: clusterParameters(r),
      Tags: tags,
    });

    const cluster = t.resource(
      'Cluster',
      'AWS::RDS::DBCluster',
      {
        // A fixed identifier: a change that would replace the cluster fails instead of moving the
        // services to a new, empty one (CloudFormation cannot replace a custom-named resource).
        DBClusterIdentifier: identifier,
        Engine: r.rdsEngine,
        EngineVersion: r.engineVersion,
        DatabaseName: r.databaseName,
        Port: r.port,
        MasterUsername: r.masterUsername,
        // RDS generates the password, keeps it in Secrets Manager under the store's secret key and
        // rotates it (every 7 days by default). https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/rds-secrets-manager.html
        ManageMasterUserPassword: true,
        MasterUserSecret: { KmsKeyId: secretKey.getAtt('Arn') },
        StorageEncrypted: true,
        KmsKeyId: storageKey.getAtt('Arn'),
        DBSubnetGroupName: p.DbSubnetGroupName.ref,
        VpcSecurityGroupIds: [securityGroup.ref],
        DBClusterParameterGroupName: parameterGroup.ref,
        BackupRetentionPeriod: r.backupRetentionDays,
        CopyTagsToSnapshot: true,
        DeletionProtection: r.deletionProtection,
        // IAM database authentication on: it lets an application sign in with its task role
        // instead of the master password, and changes nothing for those that do not.
        // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/UsingWithRDS.IAMDBAuth.html
        EnableIAMDatabaseAuthentication: true,
        EnableCloudwatchLogsExports: [...r.logExports],
        ...(r.capacity.type === 'serverless' ? { ServerlessV2ScalingConfiguration: { MinCapacity: r.capacity.minAcu, MaxCapacity: r.capacity.maxAcu } } : {}),
        Tags: tags,
      },
      // The log groups first: RDS would otherwise create them, unencrypted and kept forever.
      withGuardExemptions({ ...SNAPSHOT, dependsOn: logGroups }, [
        !r.deletionProtection && {
          rule: 'rds_cluster_deletion_protection_enabled_check',
          control: 'CT.RDS.PR.3',
          reason: `the environment turns the cluster's deletion protection off (${settings.file}: stores.${r.name}.deletionProtection), so deleting its stack deletes it; it still leaves a final snapshot (DeletionPolicy: Snapshot).`,
        },
      ]),
    );

    // Enhanced Monitoring's OS metrics, sent by RDS with this role.
    // https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/USER_Monitoring.OS.Enabling.html
    const monitoringRole = t.resource('MonitoringRole', 'AWS::IAM::Role', {
      Description: sub`RDS Enhanced Monitoring of the ${env} ${r.name} cluster.`,
      // aws:SourceAccount against the confused deputy, as the Enhanced Monitoring guide recommends.
      AssumeRolePolicyDocument: serviceTrust('monitoring.rds.amazonaws.com'),
      ManagedPolicyArns: [sub`arn:${AWS.Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole`],
      ...estateRole(t, settings.name, 'monitoring.rds.amazonaws.com'),
    });

    // The writer first, then the readers, each in the next Availability Zone (the zones of the
    // database subnets, picked by index as the network stack picks them), so a zone's outage
    // leaves a reader to promote.
    const instanceClass = r.capacity.type === 'serverless' ? 'db.serverless' : r.capacity.instanceClass;
    for (let i = 0; i <= r.readers; i++) {
      t.resource(
        i === 0 ? 'WriterInstance' : `Reader${i}Instance`,
        'AWS::RDS::DBInstance',
        {
          DBClusterIdentifier: cluster.ref,
          Engine: r.rdsEngine,
          DBInstanceClass: instanceClass,
          AvailabilityZone: Select(i % r.zones, GetAZs()),
          // The writer's failover order: readers promote in tier order.
          PromotionTier: i === 0 ? 0 : 1,
          PubliclyAccessible: false,
          AutoMinorVersionUpgrade: true,
          EnablePerformanceInsights: r.performanceInsights,
          ...(r.performanceInsights ? { PerformanceInsightsKMSKeyId: storageKey.getAtt('Arn'), PerformanceInsightsRetentionPeriod: PERFORMANCE_INSIGHTS_DAYS } : {}),
          MonitoringInterval: MONITORING_INTERVAL_SECONDS,
          MonitoringRoleArn: monitoringRole.getAtt('Arn'),
          Tags: tags,
        },
        INSTANCE_IN_CLUSTER,
      );
    }

    auroraAlarms(t, r, env, cluster.ref, p.AlarmTopicArn.ref);

    // The estate registry: the stacks of the services that use the store read these.
    const entry = (id: string, key: Parameters<typeof storeKey>[1], value: Parameters<typeof publish>[4], what: string) =>
      publish(t, id, env, storeKey(r.name, key), value, `${what} of the ${r.name} store, for the services that use it.`);
    entry('SecurityGroupIdParameter', 'security-group-id', securityGroup.ref, 'Security group');
    entry('EndpointParameter', 'endpoint', cluster.getAtt('Endpoint.Address'), 'Writer endpoint');
    entry('ReaderEndpointParameter', 'reader-endpoint', cluster.getAtt('ReadEndpoint.Address'), 'Reader endpoint');
    entry('SecretArnParameter', 'secret-arn', cluster.getAtt('MasterUserSecret.SecretArn'), 'Master user secret');
    entry('SecretKeyArnParameter', 'secret-key-arn', secretKey.getAtt('Arn'), 'Key of the master user secret');

    return {
      ClusterIdentifier: cluster.ref,
      Endpoint: cluster.getAtt('Endpoint.Address'),
      ReaderEndpoint: cluster.getAtt('ReadEndpoint.Address'),
      Port: String(r.port),
      SecretArn: cluster.getAtt('MasterUserSecret.SecretArn'),
      SecurityGroupId: securityGroup.ref,
    };
  },
});
