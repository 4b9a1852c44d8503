/**
 * What a deploy needs from the account, read from its templates (scripts/preflight-templates.ts):
 * service-linked roles, hosted zones, given certificates and the host names they must cover,
 * container images, and the SSM parameters and secrets the task definitions reference. And the
 * example values a template must not carry into a deploy (prod keeps them for what only the user
 * can know: the domain, the zone, the images), each a problem found offline.
 */
import type { StackTemplate } from './preflight-templates.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const props = (r: Obj): Obj => (isObj(r.Properties) ? r.Properties : {});

/** Where a value was found, for the message: file, logical ID and property. */
export interface Where {
  readonly file: string;
  readonly logicalId: string;
  readonly property: string;
  /** The template parameter the value came from, when it is a direct `Ref` to one. */
  readonly parameter?: string;
}
export const where = (w: Where): string => `${w.file}: ${w.logicalId} ${w.property}${w.parameter ? ` (parameter ${w.parameter})` : ''}`;

export interface Found<T = string> {
  readonly value: T;
  readonly where: Where;
}

/** The service-linked roles CloudFormation's handlers need, by the service that creates them. */
export const SERVICE_LINKED_ROLES = {
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using-service-linked-roles.html
  'ecs.amazonaws.com': 'AWSServiceRoleForECS',
  // https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-service-linked-roles.html
  'ecs.application-autoscaling.amazonaws.com': 'AWSServiceRoleForApplicationAutoScaling_ECSService',
  // https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-service-linked-roles.html
  'elasticloadbalancing.amazonaws.com': 'AWSServiceRoleForElasticLoadBalancing',
  // https://docs.aws.amazon.com/autoscaling/ec2/userguide/autoscaling-service-linked-role.html
  'autoscaling.amazonaws.com': 'AWSServiceRoleForAutoScaling',
} as const;
export type LinkedService = keyof typeof SERVICE_LINKED_ROLES;

export interface Needs {
  readonly serviceLinkedRoles: readonly LinkedService[];
  /** Hosted zones, each with the DNS names that must be in it. */
  readonly zones: ReadonlyMap<string, { where: Where; names: Set<string> }>;
  /** Certificates given by ARN (not created by the stack): each must be ISSUED and cover `hostNames`. */
  readonly certificates: readonly Found[];
  /** The host names the estate answers on: record names and listener-rule host headers. */
  readonly hostNames: readonly string[];
  /** Where each host name was found first. */
  readonly hostWhere: ReadonlyMap<string, Where>;
  readonly images: readonly Found[];
  /** `ValueFrom` of task definitions' secrets (SSM parameters or Secrets Manager secrets) the stack does not create. */
  readonly secrets: readonly Found[];
  /** Tasks in `awsvpc` mode on EC2 instances: their density depends on ENI trunking. */
  readonly awsvpcOnEc2: boolean;
  /** Values that depend on what the stacks create (a nested stack's output, ...): not checked. */
  readonly unresolved: readonly Where[];
}

const lower = (s: string) => s.toLowerCase().replace(/\.$/, '');

export function needs(templates: readonly StackTemplate[]): Needs {
  const linked = new Set<LinkedService>();
  const zones = new Map<string, { where: Where; names: Set<string> }>();
  const certificates: Found[] = [];
  const hostNames = new Map<string, Where>();
  const images: Found[] = [];
  const secrets: Found[] = [];
  const unresolved: Where[] = [];
  let awsvpcOnEc2 = false;

  for (const t of templates) {
    const at = (logicalId: string, property: string, v?: unknown): Where => ({ file: t.file, logicalId, property, parameter: t.parameterOf(v) });
    const value = (logicalId: string, property: string, v: unknown, into: Found[]) => {
      const s = t.resolve(v);
      if (s === undefined) unresolved.push(at(logicalId, property, v));
      else into.push({ value: s, where: at(logicalId, property, v) });
    };
    const zone = (logicalId: string, property: string, v: unknown, name?: string) => {
      const id = t.resolve(v);
      if (id === undefined) return void unresolved.push(at(logicalId, property, v));
      const z = id.replace(/^\/?hostedzone\//, '');
      const entry = zones.get(z) ?? { where: at(logicalId, property, v), names: new Set<string>() };
      zones.set(z, entry);
      if (name) entry.names.add(lower(name));
    };

    if (t.ofType('AWS::ECS::Cluster').length || t.ofType('AWS::ECS::Service').length || t.ofType('AWS::ECS::CapacityProvider').length) linked.add('ecs.amazonaws.com');
    if (t.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer').length) linked.add('elasticloadbalancing.amazonaws.com');
    if (t.ofType('AWS::AutoScaling::AutoScalingGroup').length) linked.add('autoscaling.amazonaws.com');
    for (const [, r] of t.ofType('AWS::ApplicationAutoScaling::ScalableTarget')) {
      if (t.resolve(props(r).ServiceNamespace) === 'ecs') linked.add('ecs.application-autoscaling.amazonaws.com');
    }

    for (const [id, r] of t.ofType('AWS::Route53::RecordSet')) {
      const p = props(r);
      const name = t.resolve(p.Name);
      if (name && !hostNames.has(lower(name))) hostNames.set(lower(name), at(id, 'Name', p.Name));
      if (p.HostedZoneId !== undefined) zone(id, 'HostedZoneId', p.HostedZoneId, name);
    }
    for (const [id, r] of t.ofType('AWS::CertificateManager::Certificate')) {
      for (const [i, o] of t.items(props(r).DomainValidationOptions).entries()) {
        if (isObj(o) && o.HostedZoneId !== undefined) zone(id, `DomainValidationOptions[${i}].HostedZoneId`, o.HostedZoneId, t.resolve(o.DomainName));
      }
    }
    for (const [id, r] of t.ofType('AWS::ElasticLoadBalancingV2::ListenerRule')) {
      for (const c of t.items(props(r).Conditions)) {
        if (!isObj(c) || t.resolve(c.Field) !== 'host-header') continue;
        const cfg = isObj(c.HostHeaderConfig) ? c.HostHeaderConfig.Values : c.Values;
        for (const h of t.items(cfg)) {
          const s = t.resolve(h);
          if (s && !hostNames.has(lower(s))) hostNames.set(lower(s), at(id, 'Conditions host-header', h));
        }
      }
    }
    for (const type of ['AWS::ElasticLoadBalancingV2::Listener', 'AWS::ElasticLoadBalancingV2::ListenerCertificate']) {
      for (const [id, r] of t.ofType(type)) {
        for (const [i, c] of t.items(props(r).Certificates).entries()) {
          if (!isObj(c) || t.createdHere(t.branch(c.CertificateArn))) continue;
          value(id, `Certificates[${i}].CertificateArn`, c.CertificateArn, certificates);
        }
      }
    }

    const ec2Group = t.ofType('AWS::AutoScaling::AutoScalingGroup').length > 0;
    for (const [id, r] of t.ofType('AWS::ECS::TaskDefinition')) {
      const p = props(r);
      const compat = t.items(p.RequiresCompatibilities).map((x) => t.resolve(x));
      if (t.resolve(p.NetworkMode) === 'awsvpc' && (compat.includes('EC2') || ec2Group)) awsvpcOnEc2 = true;
      for (const [i, c] of t.items(p.ContainerDefinitions).entries()) {
        if (!isObj(c)) continue;
        value(id, `ContainerDefinitions[${i}].Image`, c.Image, images);
        // A secret the stack creates itself (a `Ref` to its own resource) needs nothing from the account.
        for (const [j, s] of t.items(c.Secrets).entries()) {
          if (!isObj(s) || t.createdHere(t.branch(s.ValueFrom))) continue;
          value(id, `ContainerDefinitions[${i}].Secrets[${j}].ValueFrom`, s.ValueFrom, secrets);
        }
        const creds = isObj(c.RepositoryCredentials) ? c.RepositoryCredentials.CredentialsParameter : undefined;
        if (creds !== undefined && !t.createdHere(t.branch(creds))) value(id, `ContainerDefinitions[${i}].RepositoryCredentials.CredentialsParameter`, creds, secrets);
      }
    }
  }
  return {
    serviceLinkedRoles: [...linked].sort(),
    zones,
    certificates,
    hostNames: [...hostNames.keys()].sort(),
    hostWhere: hostNames,
    images,
    secrets,
    awsvpcOnEc2,
    unresolved,
  };
}

// ---------------------------------------------------------------------------------------------
// example values

/** The documentation-only domains. https://www.rfc-editor.org/rfc/rfc2606 (section 3) */
const EXAMPLE_DOMAIN = /(^|\.)example\.(com|net|org)$/i;
/** The account ID AWS's documentation uses in examples. */
const EXAMPLE_ACCOUNT = '123456789012';

/** Every example value the templates would deploy: one line each (a value found in several places once). */
export function exampleValues(templates: readonly StackTemplate[], n: Needs, settingsFile: string, parametersGiven = true): string[] {
  const problems = new Map<string, string>();
  const fix = `Set the real value in ${settingsFile} and run \`make build\``;
  const add = (key: string, line: string) => problems.has(key) || problems.set(key, line);
  for (const name of n.hostNames) {
    if (EXAMPLE_DOMAIN.test(name)) add(`domain ${name}`, `${where(n.hostWhere.get(name)!)}: \`${name}\` is an example domain (RFC 2606), not yours. ${fix}.`);
  }
  for (const t of templates) {
    for (const [id, r] of t.ofType('AWS::CertificateManager::Certificate')) {
      const p = props(r);
      for (const d of [p.DomainName, ...t.items(p.SubjectAlternativeNames)]) {
        const s = t.resolve(d);
        if (s && EXAMPLE_DOMAIN.test(s)) add(`domain ${lower(s)}`, `${t.file}: ${id} requests a certificate for \`${s}\`, an example domain (RFC 2606). ${fix}.`);
      }
    }
  }
  for (const [zone, z] of n.zones) {
    if (/EXAMPLE/i.test(zone)) add(`zone ${zone}`, `${where(z.where)}: hosted zone \`${zone}\` is an example ID. ${fix} (\`aws route53 list-hosted-zones\` lists yours).`);
  }
  for (const image of n.images) {
    if (image.value.startsWith(`${EXAMPLE_ACCOUNT}.`)) {
      const how = image.where.parameter && parametersGiven ? `Pass \`--param ${image.where.parameter}=<your image>\`, or set the image in ${settingsFile} and run \`make build\`` : fix;
      add(`image ${image.value}`, `${where(image.where)}: image \`${image.value}\` is in example account ${EXAMPLE_ACCOUNT}. ${how}.`);
    }
  }
  for (const s of n.secrets) {
    if (s.value.includes(`:${EXAMPLE_ACCOUNT}:`)) add(`secret ${s.value}`, `${where(s.where)}: \`${s.value}\` is in example account ${EXAMPLE_ACCOUNT}. ${fix}.`);
  }
  // Alarm subscriptions (operations.notifications): an example address hears nothing.
  for (const t of templates) {
    for (const [id, r] of t.ofType('AWS::SNS::Subscription')) {
      const endpoint = t.resolve(props(r).Endpoint);
      const host = endpoint?.replace(/^https:\/\//i, '').replace(/^[^@]*@/, '').replace(/[/:].*$/, '');
      if (endpoint && host && EXAMPLE_DOMAIN.test(host)) add(`subscription ${endpoint}`, `${t.file}: ${id} Endpoint: \`${endpoint}\` is at an example domain (RFC 2606): nobody would hear the alarms. ${fix} (operations.notifications).`);
    }
  }
  return [...problems.values()];
}
