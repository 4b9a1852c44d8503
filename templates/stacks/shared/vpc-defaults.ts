/**
 * What CloudFormation cannot say about a VPC, done by one small function behind two custom
 * resources in the network stack:
 *
 * - `Custom::ClosedDefaultSecurityGroup` removes every rule of the VPC's default security group
 *   (EC2 creates it admitting its own members and sending anywhere; a resource that names no group
 *   lands in it). CloudFormation has no property for this, and the choice is between this and a
 *   step in scripts/deploy.sh: only a resource of the template also closes the group when the
 *   stack is created from the console or provisioned by Service Catalog, which never run the
 *   script. The AWS CDK makes the same choice (`restrictDefaultSecurityGroup`). Deleting the
 *   resource leaves the group closed: the VPC, and its default group with it, goes with the stack.
 *   https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html
 *   https://docs.aws.amazon.com/config/latest/developerguide/vpc-default-security-group-closed.html
 * - `Custom::S3PrefixList` answers the ID of the Region's AWS-managed S3 prefix list
 *   (`com.amazonaws.<region>.s3`), which security group rules name to send to S3 through the
 *   gateway endpoint; `Custom::DynamoDbPrefixList` the same for DynamoDB
 *   (`com.amazonaws.<region>.dynamodb`, https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-ddb.html). CloudFormation has no attribute for it (`AWS::EC2::VPCEndpoint` returns no
 *   prefix list, `AWS::EC2::PrefixList` makes customer-managed lists only) and AWS publishes it in
 *   no SSM parameter; the IDs differ by Region, so a table in the template would be a guess.
 *   https://docs.aws.amazon.com/vpc/latest/userguide/working-with-aws-managed-prefix-lists.html
 *
 * CloudFormation invokes the function with the deployer's credentials (so the Service Catalog
 * launch role is granted lambda:InvokeFunction) and waits for its answer at the presigned URL in
 * the event; `ServiceTimeout` makes a lost answer fail the stack in minutes, not an hour.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-custom-resources-lambda.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html
 */
import { AWS, sub, type AnyResource, type Intrinsic, type Template, type UntypedResource } from '../../../src/dsl/index.ts';
import { estateRole, inlinePolicy, serviceTrust } from './iam.ts';
import { logGroupKey } from './kms.ts';
import { RETAIN_EXCEPT_ON_CREATE } from './retention.ts';
import { shortRetention, withGuardExemptions } from './guard.ts';
import type { RetentionDays } from '../../settings/settings.ts';

/** Seconds CloudFormation waits for the function's answer before it fails the resource. */
export const CUSTOM_RESOURCE_TIMEOUT_SECONDS = 300;

/**
 * The function's code (Python, inline: no bucket, no package). It answers CloudFormation itself
 * with the standard library, not the `cfnresponse` module. Delete does nothing: the default group
 * goes with its VPC, and a prefix list lookup holds nothing.
 */
export const VPC_DEFAULTS_HANDLER = `import json
import urllib.request

import boto3

ec2 = boto3.client("ec2")


def close_default_group(group_id):
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    if group["GroupName"] != "default":
        raise ValueError(f"{group_id} is {group['GroupName']}, not a VPC's default security group")
    if group["IpPermissions"]:
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
    if group["IpPermissionsEgress"]:
        ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=group["IpPermissionsEgress"])
    return group_id, {}


def managed_prefix_list(region, service):
    name = f"com.amazonaws.{region}.{service}"
    found = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [name]}])["PrefixLists"]
    if not found:
        raise ValueError(f"no AWS-managed prefix list {name} in this Region")
    return found[0]["PrefixListId"], {"PrefixListId": found[0]["PrefixListId"]}


def handler(event, context):
    physical = event.get("PhysicalResourceId", event["LogicalResourceId"])
    status, data, reason = "SUCCESS", {}, ""
    try:
        props = event["ResourceProperties"]
        if event["RequestType"] != "Delete":
            if event["ResourceType"] == "Custom::ClosedDefaultSecurityGroup":
                physical, data = close_default_group(props["GroupId"])
            elif event["ResourceType"] == "Custom::S3PrefixList":
                physical, data = managed_prefix_list(props["Region"], "s3")
            elif event["ResourceType"] == "Custom::DynamoDbPrefixList":
                physical, data = managed_prefix_list(props["Region"], "dynamodb")
            else:
                raise ValueError(f"unknown resource type {event['ResourceType']}")
    except Exception as e:
        status, reason = "FAILED", f"{type(e).__name__}: {e}"
    print(json.dumps({"RequestType": event["RequestType"], "ResourceType": event["ResourceType"], "Status": status, "Reason": reason}))
    body = json.dumps({
        "Status": status,
        "Reason": reason or "See the function's log group",
        "PhysicalResourceId": physical,
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": data,
    }).encode()
    request = urllib.request.Request(event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""})
    urllib.request.urlopen(request, timeout=30).read()
`;

export interface VpcDefaults {
  /** The default security group, closed. */
  readonly closedDefaultGroup: UntypedResource;
  /** The S3 prefix list (`getAtt('PrefixListId')`), where asked for. */
  readonly s3PrefixList?: UntypedResource;
  /** The DynamoDB prefix list (`getAtt('PrefixListId')`), where asked for. */
  readonly dynamoDbPrefixList?: UntypedResource;
}

/** The function, its role and log group, and the custom resources. */
export function addVpcDefaults(
  t: Template,
  props: {
    readonly environment: string;
    readonly env: Intrinsic<'String'>;
    readonly defaultSecurityGroup: Intrinsic<'AWS::EC2::SecurityGroup::Id'>;
    readonly retentionDays: RetentionDays;
    /** The settings file, for the reason of a short retention's exemption. */
    readonly settingsFile: string;
    readonly prefixList: boolean;
    /** Look up DynamoDB's prefix list too. @default false */
    readonly dynamoDbPrefixList?: boolean;
    /**
     * What must exist before the group is closed: the VPC's IPv6 block, whose association adds an
     * outbound `::/0` rule to the default group. https://docs.aws.amazon.com/vpc/latest/userguide/default-security-group.html
     * @default - nothing
     */
    readonly closeAfter?: readonly AnyResource[];
  },
): VpcDefaults {
  const tags = [{ Key: 'Name', Value: sub`${props.env}-vpc-defaults` }];
  const logGroupName = sub`/berth/${props.env}/vpc-defaults`;
  const key = logGroupKey(t, 'VpcDefaultsLogKey', { description: sub`Encrypts the logs of the ${props.env} VPC defaults function`, logGroupName, tags });
  const logGroup = t.resource(
    'VpcDefaultsLogGroup',
    'AWS::Logs::LogGroup',
    { LogGroupName: logGroupName, RetentionInDays: props.retentionDays, KmsKeyId: key.getAtt('Arn'), Tags: tags },
    // A fixed name: kept on stack deletion, deleted if the create that made it rolls back.
    withGuardExemptions(RETAIN_EXCEPT_ON_CREATE, [shortRetention(props.retentionDays, props.settingsFile, 'logRetentionDays')]),
  );
  const defaultGroupArn = sub`arn:${AWS.Partition}:ec2:${AWS.Region}:${AWS.AccountId}:security-group/${props.defaultSecurityGroup}`;
  const role = t.resource('VpcDefaultsRole', 'AWS::IAM::Role', {
    Description: 'Closes the VPC\'s default security group and looks up the gateway endpoints\' prefix lists (the network stack\'s custom resources).',
    // Lambda's assume-role request for an execution role carries aws:SourceAccount: AWS's own
    // sample execution-role trust policy conditions on it
    // (https://github.com/aws/agent-toolkit-for-aws, serverless-skills lambda-trust-policy.json).
    // moto does not evaluate trust conditions, so this is the one part of the custom resource no
    // local test shows.
    AssumeRolePolicyDocument: serviceTrust('lambda.amazonaws.com'),
    ...estateRole(t, props.environment, 'lambda.amazonaws.com'),
    Policies: [
      inlinePolicy('vpc-defaults', [
        // Describe calls support no resource-level permission. https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2.html
        { Effect: 'Allow', Action: ['ec2:DescribeSecurityGroups', 'ec2:DescribeManagedPrefixLists'], Resource: '*' },
        { Effect: 'Allow', Action: ['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'], Resource: defaultGroupArn },
        { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: logGroup.getAtt('Arn') },
      ]),
    ],
    Tags: tags,
  });
  const fn = t.resource(
    'VpcDefaultsFunction',
    'AWS::Lambda::Function',
    {
      Description: sub`berth ${props.env}: closes the VPC's default security group and looks up the gateway endpoints' prefix lists (CloudFormation custom resources).`,
      Runtime: 'python3.13',
      Handler: 'index.handler',
      Code: { ZipFile: VPC_DEFAULTS_HANDLER },
      Role: role.getAtt('Arn'),
      Timeout: 60,
      MemorySize: 128,
      LoggingConfig: { LogGroup: logGroup.ref, LogFormat: 'Text' },
      Tags: tags,
    },
    {
      metadata: {
        checkov: {
          skip: [
            { id: 'CKV_AWS_115', comment: 'No reserved concurrency: CloudFormation calls it once per stack operation, and a new account (10 concurrent executions, all unreserved) cannot reserve any.' },
            { id: 'CKV_AWS_116', comment: 'No dead-letter queue: CloudFormation waits for the answer at its URL and fails the stack when none comes (ServiceTimeout); nothing is lost unseen.' },
            { id: 'CKV_AWS_117', comment: 'Outside the VPC: it calls the EC2 API about the VPC it belongs to, and inside it would need the endpoints and routes it helps secure.' },
          ],
        },
      },
    },
  );
  const custom = (logicalId: string, type: string, properties: Record<string, Intrinsic<'String'> | Intrinsic<'AWS::EC2::SecurityGroup::Id'> | string | number>, dependsOn: readonly AnyResource[] = []) =>
    t.untypedResource(logicalId, type, { ServiceToken: fn.getAtt('Arn'), ServiceTimeout: CUSTOM_RESOURCE_TIMEOUT_SECONDS, ...properties }, { dependsOn, reason: 'a custom resource: its properties are the function\'s own (templates/stacks/shared/vpc-defaults.ts)' });
  return {
    closedDefaultGroup: custom('ClosedDefaultSecurityGroup', 'Custom::ClosedDefaultSecurityGroup', { GroupId: props.defaultSecurityGroup }, props.closeAfter ?? []),
    ...(props.prefixList ? { s3PrefixList: custom('S3PrefixList', 'Custom::S3PrefixList', { Region: AWS.Region }) } : {}),
    ...(props.dynamoDbPrefixList ? { dynamoDbPrefixList: custom('DynamoDbPrefixList', 'Custom::DynamoDbPrefixList', { Region: AWS.Region }) } : {}),
  };
}
