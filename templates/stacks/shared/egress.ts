/**
 * Where the application tier may send traffic. With the VPC's interface endpoints (the default),
 * a task or container instance sends HTTPS only to the endpoints' security group and to S3's
 * prefix list (the gateway endpoint): AWS's APIs stay reachable, the internet does not. A service
 * whose definition says `egress: 'internet'` also gets HTTPS to anywhere, through NAT. Without the
 * endpoints, AWS's public endpoints are on the internet, so HTTPS goes to anywhere through NAT.
 * DNS (the VPC resolver), NTP and instance metadata are not filtered by security groups.
 * https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html
 */
import type { KindValue, Value } from '../../../src/dsl/index.ts';

/**
 * An egress rule that admits nothing: it stands in for "no egress" (a group with no egress rule
 * gets EC2's allow-all one, and CloudFormation removes that only when SecurityGroupEgress is
 * given). ICMP type 252 code 86 to 255.255.255.255/32, as the AWS CDK writes it.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-securitygroup.html
 */
export const NO_TRAFFIC_EGRESS = { IpProtocol: 'icmp', FromPort: 252, ToPort: 86, CidrIp: '255.255.255.255/32', Description: 'No traffic (stands in for no egress rule at all)' } as const;

/** HTTPS to anywhere (through NAT). */
export const INTERNET_HTTPS_EGRESS = { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIp: '0.0.0.0/0', Description: 'HTTPS to the internet through NAT' } as const;

/** What the application tier reaches AWS through, when the network has interface endpoints. */
export interface AwsPaths {
  /** The interface endpoints' security group. */
  readonly endpointSecurityGroupId: KindValue<'AWS::EC2::SecurityGroup::Id'>;
  /** The Region's S3 prefix list (the gateway endpoint). */
  readonly s3PrefixListId: Value<string>;
}

/** HTTPS to the interface endpoints and to S3 only. */
export function awsOnlyEgress(paths: AwsPaths) {
  return [
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationSecurityGroupId: paths.endpointSecurityGroupId, Description: 'HTTPS to the VPC interface endpoints (AWS APIs)' },
    { IpProtocol: 'tcp', FromPort: 443, ToPort: 443, DestinationPrefixListId: paths.s3PrefixListId, Description: 'HTTPS to S3 through the gateway endpoint (image layers)' },
  ] as const;
}
