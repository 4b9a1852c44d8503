/**
 * The overview's words: resource types as people name them, counts with plurals, task sizes and
 * capacity providers as the ECS console shows them.
 */
import type { Literal } from './graph-model.ts';

/** Short names for the types most stacks hold; any other type is named from its own name. */
const TYPE_NAMES: Readonly<Record<string, string>> = {
  'AWS::IAM::Role': 'IAM role',
  'AWS::IAM::Policy': 'IAM policy',
  'AWS::IAM::ManagedPolicy': 'IAM policy',
  'AWS::IAM::InstanceProfile': 'instance profile',
  'AWS::KMS::Key': 'KMS key',
  'AWS::KMS::Alias': 'KMS alias',
  'AWS::Logs::LogGroup': 'log group',
  'AWS::EC2::SecurityGroup': 'security group',
  'AWS::EC2::SecurityGroupIngress': 'security group rule',
  'AWS::EC2::SecurityGroupEgress': 'security group rule',
  'AWS::EC2::FlowLog': 'flow log',
  'AWS::EC2::VPCEndpoint': 'VPC endpoint',
  'AWS::SSM::Parameter': 'SSM parameter',
  'AWS::CloudWatch::Alarm': 'alarm',
  'AWS::CloudWatch::CompositeAlarm': 'composite alarm',
  'AWS::CloudWatch::Dashboard': 'dashboard',
  'AWS::SNS::Topic': 'SNS topic',
  'AWS::SNS::Subscription': 'subscription',
  'AWS::SQS::Queue': 'SQS queue',
  'AWS::S3::Bucket': 'S3 bucket',
  'AWS::S3::BucketPolicy': 'bucket policy',
  'AWS::CertificateManager::Certificate': 'certificate',
  'AWS::Route53::RecordSet': 'DNS record',
  'AWS::SecretsManager::Secret': 'secret',
  'AWS::WAFv2::WebACL': 'web ACL',
  'AWS::WAFv2::WebACLAssociation': 'web ACL association',
  'AWS::ApplicationAutoScaling::ScalingPolicy': 'scaling policy',
  'AWS::RDS::DBSubnetGroup': 'DB subnet group',
  'AWS::EC2::EIP': 'Elastic IP',
  'AWS::EC2::NatGateway': 'NAT gateway',
};

/** `AWS::ServiceCatalog::CloudFormationProduct` -> `CloudFormation product`. */
export function typeName(type: string): string {
  if (TYPE_NAMES[type]) return TYPE_NAMES[type];
  const last = type.split('::').pop() ?? type;
  return last
    .replace(/CloudFormation/g, 'Cloudformation')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(' ')
    .map((w) => (/^[A-Z][a-z]/.test(w) ? w.toLowerCase() : w))
    .join(' ')
    .replace(/cloudformation/g, 'CloudFormation');
}

/** `1 IAM role`, `2 IAM roles`, `3 DNS records`, `2 IAM policies`. */
export function counted(n: number, name: string): string {
  if (n === 1) return `1 ${name}`;
  const plural = /(s|x|sh|ch)$/.test(name) ? `${name}es` : /[^aeiou]y$/.test(name) ? `${name.slice(0, -1)}ies` : `${name}s`;
  return `${n} ${plural}`;
}

/** ECS CPU units and MiB as people say them: `0.5 vCPU, 1 GiB`. */
export function taskSize(cpu: Literal | undefined, memory: Literal | undefined): string | undefined {
  const parts: string[] = [];
  if (cpu !== undefined && Number.isFinite(Number(cpu))) parts.push(`${Number(cpu) / 1024} vCPU`);
  if (memory !== undefined && Number.isFinite(Number(memory))) parts.push(Number(memory) >= 1024 ? `${Number(memory) / 1024} GiB` : `${Number(memory)} MiB`);
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/** Capacity providers and launch types AWS names itself; any other provider is an EC2 capacity provider. */
export const FARGATE_NAMES: Readonly<Record<string, string>> = { FARGATE: 'Fargate', FARGATE_SPOT: 'Fargate Spot', EC2: 'EC2' };
