/**
 * What berth knows about EC2 instance type names.
 */

/**
 * Graviton instance types (`m7g.large`, `c6gn.xlarge`, `t4g.small`, `a1.medium`) need the arm64 AMI.
 * https://docs.aws.amazon.com/ec2/latest/instancetypes/instance-type-names.html (the `g` attribute)
 */
export function isArm64InstanceType(instanceType: string): boolean {
  return /^(a1|[a-z]+\d+g[a-z-]*)\./.test(instanceType);
}
