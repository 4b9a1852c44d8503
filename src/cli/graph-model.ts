/**
 * What both diagrams are drawn from: one environment's emitted templates read as a graph. Each
 * resource is a node (AZ repeats collapsed), each reference (`Ref`, `GetAtt`, `Sub`) an edge, and
 * nested-stack wiring (a parameter fed from another stack's output) is followed to the resource
 * behind the output, so edges cross stacks. Every node gets a network tier from the subnets it is
 * placed in. Drawn from the templates, not from the estate's TypeScript, so the diagrams show what
 * CloudFormation gets and follow whatever resources the stacks add.
 */

export const TIERS = ['public', 'application', 'database', 'global'] as const;
export type Tier = (typeof TIERS)[number];

export interface GraphTemplate {
  /** File name: `network.yaml`. */
  readonly file: string;
  /** Parsed, intrinsics in long form (see `parseTemplate`). */
  readonly template: unknown;
}

export type Obj = Record<string, unknown>;
export const obj = (v: unknown): Obj => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
/** A template list property as a list: a lone value as one item, none as none. */
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** Logical IDs a value references through `Ref`, `Fn::GetAtt` or `Fn::Sub` placeholders. */
export function references(value: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    value.forEach((v) => references(v, out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Ref' && typeof v === 'string') out.add(v);
      else if (k === 'Fn::GetAtt' && Array.isArray(v) && typeof v[0] === 'string') out.add(v[0]);
      else if (k === 'Fn::Sub') {
        const [text, vars] = Array.isArray(v) ? v : [v, {}];
        const local = new Set(Object.keys(obj(vars)));
        for (const m of String(text).matchAll(/\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}/g)) if (!local.has(m[1]!)) out.add(m[1]!);
        references(vars, out);
      } else references(v, out);
    }
  }
  return out;
}

/** A resource, or a resource repeated per Availability Zone. */
export interface GraphNode {
  /** DOT node name. */
  readonly key: string;
  /** The template's file. */
  readonly stack: string;
  /** Logical IDs it stands for (several for an AZ repeat). */
  readonly ids: string[];
  readonly type: string;
  label: string;
  tier: Tier;
}
type Node = GraphNode;

/**
 * `from` is referenced by `to`. A peer edge is a reference that names a resource without being
 * placed with it: a security group rule's source or destination group.
 */
export interface GraphEdge {
  readonly from: GraphNode;
  readonly to: GraphNode;
  readonly peer: boolean;
}

export interface GraphStack {
  readonly file: string;
  /** The file of the stack that nests it; none for a top-level template. */
  readonly parent?: string;
  /** Resources other than nested stacks. */
  readonly resources: number;
  readonly nested: number;
}

/** A literal a template value comes to, once parameters are followed to what feeds them. */
export type Literal = string | number | boolean;

/** One environment's templates as a graph: stacks (parents before children), nodes and edges. */
export interface GraphModel {
  readonly stacks: readonly GraphStack[];
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** A node's resource (its first logical ID's). */
  resource(node: GraphNode): Obj;
  /** The node of a logical ID of `stack`. */
  node(stack: string, id: string): GraphNode | undefined;
  /** The nodes a value of `stack` references, across stacks through nested-stack wiring. */
  sources(stack: string, value: unknown): Set<GraphNode>;
  /**
   * The literal a value comes to: itself, or for `Ref` to a parameter the value the parent wires
   * into it, else its `Default` (SSM-typed parameters excepted: their default is a parameter's
   * name, not its value). `undefined` when only CloudFormation can tell.
   */
  literal(stack: string, value: unknown): Literal | undefined;
  /** Nodes that reference `node` (peer references left out). */
  users(node: GraphNode): GraphNode[];
  /** Nodes `node` references (peer references left out). */
  used(node: GraphNode): GraphNode[];
}

/**
 * Resource types that sit in the tier of what they are wired to, rather than in a tier of their
 * own: a route in its route table's, a security group rule in its group's, the rest in the tier
 * of the resources that use them (a security group guards the load balancer or the service),
 * else of what they use. A resource that references a subnet takes the subnet's tier (one that
 * references a subnet group, the group's); anything else is global. Subnets themselves are classified by their routes (see {@link subnetTiers}).
 */
type Follow = 'users' | { readonly property: string };
const FOLLOWS: ReadonlyMap<string, Follow> = new Map<string, Follow>([
  ['AWS::EC2::Route', { property: 'RouteTableId' }],
  ['AWS::EC2::RouteTable', 'users'],
  ['AWS::EC2::EIP', 'users'],
  ['AWS::EC2::SecurityGroup', 'users'],
  ['AWS::EC2::SecurityGroupIngress', { property: 'GroupId' }],
  ['AWS::EC2::SecurityGroupEgress', { property: 'GroupId' }],
  ['AWS::EC2::LaunchTemplate', 'users'],
  ['AWS::ElasticLoadBalancingV2::Listener', 'users'],
  ['AWS::ElasticLoadBalancingV2::ListenerRule', 'users'],
]);

/**
 * Properties that name another security group as a rule's peer. The group they name is not
 * placed where the rule's group is: a task security group that admits traffic from the load
 * balancer's group does not put the load balancer's group in the application subnets.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ec2-security-group-ingress.html
 */
const PEER_PROPERTIES = new Set(['SourceSecurityGroupId', 'SourceSecurityGroupName', 'DestinationSecurityGroupId']);

/** Splits a value into what it places (the rest) and the security groups it names as peers. */
function splitPeers(value: unknown): { placed: unknown; peers: unknown[] } {
  const peers: unknown[] = [];
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v === null || typeof v !== 'object') return v;
    const out: Obj = {};
    for (const [k, inner] of Object.entries(v)) {
      if (PEER_PROPERTIES.has(k)) peers.push(inner);
      else out[k] = strip(inner);
    }
    return out;
  };
  return { placed: strip(value), peers };
}

/**
 * Resources repeated per Availability Zone (`PublicSubnetA`, `PublicSubnetB`) collapse into one
 * node (`PublicSubnet{A,B}`): the IDs have the same type and differ in one AZ letter, a capital
 * A-F standing alone between a lower-case letter or digit and a capital or the end.
 */
export function collapseRepeats(resources: readonly (readonly [string, string])[]): Map<string, { label: string; ids: string[] }> {
  const groups = new Map<string, string[]>();
  for (const [id, type] of resources) {
    for (let i = 1; i < id.length; i++) {
      if (!/[A-F]/.test(id[i]!) || !/[a-z0-9]/.test(id[i - 1]!) || (i + 1 < id.length && !/[A-Z]/.test(id[i + 1]!))) continue;
      const key = `${type} ${id.slice(0, i)}*${id.slice(i + 1)}`;
      groups.set(key, [...(groups.get(key) ?? []), id]);
    }
  }
  const byId = new Map<string, { label: string; ids: string[] }>();
  for (const [key, ids] of [...groups].sort((a, b) => b[1].length - a[1].length)) {
    if (ids.length < 2 || ids.some((id) => byId.has(id))) continue;
    const pattern = key.slice(key.indexOf(' ') + 1);
    const star = pattern.indexOf('*');
    const letters = ids.map((id) => id[star]!).sort();
    const group = { label: `${pattern.slice(0, star)}{${letters.join(',')}}${pattern.slice(star + 1)}`, ids };
    for (const id of ids) byId.set(id, group);
  }
  for (const [id] of resources) if (!byId.has(id)) byId.set(id, { label: id, ids: [id] });
  return byId;
}

/**
 * Each subnet's tier from its routes, as the VPC console reads them: a default route to an
 * internet gateway makes it public, one to a NAT gateway (or none but other routes) makes it
 * application, no route out makes it database (isolated).
 * https://docs.aws.amazon.com/vpc/latest/userguide/configure-subnets.html#subnet-types
 */
function subnetTiers(resources: Obj): Map<string, Tier> {
  const typeOf = (id: string) => String(obj(resources[id]).Type);
  const tableTier = new Map<string, Tier>();
  for (const r of Object.values(resources).map(obj)) {
    if (r.Type !== 'AWS::EC2::Route') continue;
    const p = obj(r.Properties);
    const table = [...references(p.RouteTableId)][0];
    if (!table) continue;
    const via = [...references(p.GatewayId)].some((g) => typeOf(g) === 'AWS::EC2::InternetGateway') ? 'public' : 'application';
    if (tableTier.get(table) !== 'public') tableTier.set(table, via);
  }
  const tiers = new Map<string, Tier>();
  for (const r of Object.values(resources).map(obj)) {
    if (r.Type !== 'AWS::EC2::SubnetRouteTableAssociation') continue;
    const p = obj(r.Properties);
    const subnet = [...references(p.SubnetId)][0];
    const table = [...references(p.RouteTableId)][0];
    if (subnet && table) tiers.set(subnet, tableTier.get(table) ?? 'database');
  }
  for (const [id, r] of Object.entries(resources)) {
    if (obj(r).Type === 'AWS::EC2::Subnet' && !tiers.has(id)) tiers.set(id, obj(obj(r).Properties).MapPublicIpOnLaunch === true ? 'public' : 'application');
  }
  return tiers;
}

function mostCommon<T>(items: readonly T[]): T {
  const counts = new Map<T, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

/** Nodes, tiers and edges of one environment's templates (the first is the root). */
export function graphModel(templates: readonly GraphTemplate[]): GraphModel {
  const byFile = new Map(templates.map((t) => [t.file, obj(t.template)]));
  const resourcesOf = (file: string) => obj(byFile.get(file)?.Resources);
  const childFile = (r: unknown) => {
    const url = obj(obj(r).Properties).TemplateURL;
    return obj(r).Type === 'AWS::CloudFormation::Stack' && typeof url === 'string' && byFile.has(url) ? url : undefined;
  };
  const parentOf = new Map<string, { file: string; id: string }>();
  for (const t of templates) for (const [id, r] of Object.entries(resourcesOf(t.file))) if (childFile(r)) parentOf.set(childFile(r)!, { file: t.file, id });
  const wiredInto = (file: string, parameter: string): unknown => {
    const parent = parentOf.get(file);
    return parent && obj(obj(obj(resourcesOf(parent.file)[parent.id]).Properties).Parameters)[parameter];
  };

  // Nodes: every resource except nested stacks drawn as their own box; AZ repeats collapsed.
  const nodes = new Map<string, Node>(); // by `file id`
  const nodeOf = (file: string, id: string) => nodes.get(`${file} ${id}`);
  for (const t of templates) {
    const entries = Object.entries(resourcesOf(t.file)).filter(([, r]) => !childFile(r));
    const groups = collapseRepeats(entries.map(([id, r]) => [id, String(obj(r).Type)] as const));
    for (const [id, r] of entries) {
      const g = groups.get(id)!;
      const existing = nodeOf(t.file, g.ids[0]!);
      nodes.set(`${t.file} ${id}`, existing ?? { key: `n${nodes.size}`, stack: t.file, ids: g.ids, type: String(obj(r).Type), label: g.label, tier: 'global' });
    }
  }

  // Where a parameter's value comes from: the resources behind the outputs wired into it.
  const parameterSources = (file: string, parameter: string, seen: Set<string>): Node[] => {
    const parent = parentOf.get(file);
    if (!parent || seen.has(`${file} ${parameter}`)) return [];
    seen.add(`${file} ${parameter}`);
    return [...sources(parent.file, wiredInto(file, parameter), seen)];
  };
  const sources = (file: string, value: unknown, seen = new Set<string>()): Set<Node> => {
    const found = new Set<Node>();
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) return v.forEach(visit);
      if (v === null || typeof v !== 'object') return;
      for (const [k, arg] of Object.entries(v)) {
        if (k === 'Fn::GetAtt' && Array.isArray(arg) && String(arg[1]).startsWith('Outputs.')) {
          const child = childFile(resourcesOf(file)[String(arg[0])]);
          const output = obj(obj(byFile.get(child ?? '')?.Outputs)[String(arg[1]).slice('Outputs.'.length)]);
          if (child) sources(child, output.Value, seen).forEach((n) => found.add(n));
        } else if (k === 'Ref' || k === 'Fn::GetAtt' || k === 'Fn::Sub') {
          for (const id of references({ [k]: arg })) {
            const n = nodeOf(file, id);
            if (n) found.add(n);
            else if (obj(byFile.get(file)?.Parameters)[id]) parameterSources(file, id, seen).forEach((s) => found.add(s));
          }
        } else visit(arg);
      }
    };
    visit(value);
    return found;
  };

  const literal = (file: string, value: unknown, depth = 0): Literal | undefined => {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    const v = obj(value);
    const keys = Object.keys(v);
    if (depth > 10 || keys.length !== 1) return undefined;
    if (keys[0] === 'Ref' && typeof v.Ref === 'string') {
      const parameter = obj(obj(byFile.get(file)?.Parameters)[v.Ref]);
      if (!parameter.Type || String(parameter.Type).startsWith('AWS::SSM::Parameter::Value')) return undefined;
      const wired = wiredInto(file, v.Ref);
      return wired === undefined ? literal(file, parameter.Default, depth + 1) : literal(parentOf.get(file)!.file, wired, depth + 1);
    }
    const getAtt = v['Fn::GetAtt'];
    if (Array.isArray(getAtt) && String(getAtt[1]).startsWith('Outputs.')) {
      const child = childFile(resourcesOf(file)[String(getAtt[0])]);
      if (child) return literal(child, obj(obj(byFile.get(child)?.Outputs)[String(getAtt[1]).slice('Outputs.'.length)]).Value, depth + 1);
    }
    return undefined;
  };

  // Edges: from what is used to what uses it. Security groups named as a rule's peer give peer
  // edges: drawn, but not followed when placing a group in a tier.
  const edges = new Map<string, GraphEdge>();
  const link = (from: Node, to: Node, peer: boolean) => {
    const key = `${from.key} ${to.key}`;
    if (from === to || (edges.has(key) && !edges.get(key)!.peer)) return;
    edges.set(key, { from, to, peer });
  };
  for (const t of templates) {
    for (const [id, r] of Object.entries(resourcesOf(t.file))) {
      const user = nodeOf(t.file, id);
      if (!user) continue;
      const { placed, peers } = splitPeers(obj(r).Properties);
      for (const used of sources(t.file, placed)) link(used, user, false);
      for (const peer of sources(t.file, peers)) link(peer, user, true);
    }
  }
  const placedEdges = [...edges.values()].filter((e) => !e.peer);
  const usersOf = new Map<Node, Node[]>();
  const usedBy = new Map<Node, Node[]>();
  for (const e of placedEdges) {
    usersOf.set(e.from, [...(usersOf.get(e.from) ?? []), e.to]);
    usedBy.set(e.to, [...(usedBy.get(e.to) ?? []), e.from]);
  }
  const users = (n: Node) => usersOf.get(n) ?? [];
  const used = (n: Node) => usedBy.get(n) ?? [];

  // Tiers: subnets by their routes, then whatever references a subnet, then the attachments.
  for (const t of templates) {
    for (const [id, tier] of subnetTiers(resourcesOf(t.file))) nodeOf(t.file, id)!.tier = tier;
  }
  // A subnet group (RDS, ElastiCache, ...) takes its subnets' tier, and a database placed in the
  // group the group's: two rounds, subnets first.
  const isSubnet = (n: Node) => n.type === 'AWS::EC2::Subnet';
  const isSubnetGroup = (n: Node) => /SubnetGroup$/.test(n.type);
  for (const placedBy of [isSubnet, isSubnetGroup]) {
    for (const n of nodes.values()) {
      if (isSubnet(n) || FOLLOWS.has(n.type) || n.tier !== 'global') continue;
      const around = used(n).filter((m) => placedBy(m) && m.tier !== 'global');
      if (around.length > 0) n.tier = mostCommon(around.map((m) => m.tier));
    }
  }
  const tiered = (list: readonly Node[]) => list.map((m) => m.tier).filter((t) => t !== 'global');
  for (let pass = 0; pass < 3; pass++) {
    for (const n of new Set(nodes.values())) {
      const rule = FOLLOWS.get(n.type);
      if (!rule) continue;
      let around: Tier[];
      if (rule === 'users') {
        around = tiered(users(n));
        if (around.length === 0) around = tiered(used(n));
      } else {
        const r = obj(resourcesOf(n.stack)[n.ids[0]!]);
        around = tiered([...sources(n.stack, obj(r.Properties)[rule.property])]);
      }
      if (around.length > 0) n.tier = mostCommon(around);
    }
  }

  const stacks = templates.map((t) => {
    const all = Object.values(resourcesOf(t.file));
    const nested = all.filter((r) => childFile(r)).length;
    return { file: t.file, parent: parentOf.get(t.file)?.file, resources: all.length - nested, nested };
  });
  return {
    stacks,
    nodes: [...new Set(nodes.values())],
    edges: [...edges.values()],
    resource: (n) => obj(resourcesOf(n.stack)[n.ids[0]!]),
    node: nodeOf,
    sources: (file, value) => sources(file, value),
    literal: (file, value) => literal(file, value),
    users,
    used,
  };
}
