/**
 * The estate's way out, checked before a template is written: with the network's interface
 * endpoints (the default) tasks and container instances reach AWS's endpoints and S3 only, so an
 * image from anywhere but this Region's ECR, or a call to the internet, needs a path the settings
 * must give; without the endpoints, everything goes through NAT, which must then exist.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/vpc-endpoints.html
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html
 */
import { at } from '../../../src/settings/loader.ts';
import { BerthError, q } from '../../../src/dsl/index.ts';
import type { ResolvedSettings } from '../../settings/settings.ts';
import { hasInterfaceEndpoints, type EndpointNeeds } from '../endpoints.ts';
import type { ServiceDefinition } from './definition.ts';
import { checkImage } from './image.ts';
import { definitionFile } from './routing.ts';

/** What the estate's services need from the endpoints, for the network stack. */
export function endpointNeeds(s: ResolvedSettings, services: readonly ServiceDefinition[]): EndpointNeeds {
  return {
    queues: services.some((d) => d.role.kind === 'queueWorker'),
    exec: services.some((d) => s.services?.[d.name]?.enableExecuteCommand === true),
    tables: services.some((d) => usesTable(d)),
  };
}

/**
 * Whether the service uses a DynamoDB store: its tasks then send HTTPS to DynamoDB, through the
 * network's gateway endpoint (docs/data-stores.md).
 */
export function usesTable(d: ServiceDefinition): boolean {
  return (d.uses ?? []).some((u) => u.kind === 'dynamodb');
}

export function checkEgress(s: ResolvedSettings, services: readonly ServiceDefinition[]): void {
  const nat = s.network.natGateways !== 'none';
  if (!hasInterfaceEndpoints(s) && !nat) {
    throw new BerthError(
      at(s.file, 'network.interfaceEndpoints'),
      'is false and `network.natGateways` is `none`: tasks and container instances would have no way to ECR, CloudWatch Logs or ECS at all. Remove `interfaceEndpoints` (the endpoints are on by default), or give the network NAT (`single` or `onePerAz`).',
    );
  }
  for (const d of services) {
    const where = (field: string) => `${definitionFile(d)}: ${field}`;
    if (d.egress === 'internet' && !nat) {
      throw new BerthError(where('egress'), `is \`internet\`, but \`network.natGateways\` is \`none\` in ${s.file}: the application subnets have no route to the internet. Give the network NAT (\`single\` or \`onePerAz\`), or remove \`egress\` if the service needs AWS only.`);
    }
    if (!hasInterfaceEndpoints(s)) continue;
    const override = s.services?.[d.name]?.image;
    const image = override ?? d.container.image;
    const ecr = checkImage(override !== undefined ? `${s.file}: services.${d.name}.image` : where('container.image'), image).ecr;
    if (ecr?.region === s.region) continue;
    const from = ecr ? `ECR in ${q(ecr.region)}` : 'a registry outside ECR';
    const fix = `Use an image in ECR in ${q(s.region)} (an ECR pull-through cache rule keeps ECR Public or Docker Hub as its upstream), or set \`network.interfaceEndpoints\` to false in ${s.file} (HTTPS to anywhere through NAT)`;
    if (d.capacity.type === 'ec2') {
      throw new BerthError(
        override !== undefined ? `${s.file}: services.${d.name}.image` : where('container.image'),
        `is ${q(image)}, from ${from}, but the service runs on EC2 capacity and ${s.file} has VPC interface endpoints: the instances pull images through their own network interface, which reaches only AWS's endpoints in ${q(s.region)} and S3. ${fix}.`,
      );
    }
    if (d.egress !== 'internet') {
      throw new BerthError(
        override !== undefined ? `${s.file}: services.${d.name}.image` : where('container.image'),
        `is ${q(image)}, from ${from}, but ${s.file} has VPC interface endpoints and the service does not say \`egress: 'internet'\`: its tasks reach only AWS's endpoints in ${q(s.region)} and S3. ${fix}, or add \`egress: 'internet'\` to the definition.`,
      );
    }
  }
}
