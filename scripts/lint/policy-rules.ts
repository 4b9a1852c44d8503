/**
 * berth's own policy checks (gate 4 of `make lint`): what cfn-lint, checkov and the AWS Control
 * Tower rules do not check. Pure functions over parsed templates; scripts/lint/main.ts reads the files.
 *
 * Templates are read with src/emit/parse.ts, into CloudFormation's long form
 * (`{ Ref }`, `{ 'Fn::GetAtt': [id, attr] }`, `{ 'Fn::Sub' }`, `{ 'Fn::If' }`, ...). `Fn::If` is
 * followed into both branches: a rule must hold whichever way a condition goes.
 *
 * Rules (ids are what findings and `make lint` print):
 *   ingress-from-security-groups  Application and database tiers admit traffic only from security
 *                       groups: an ingress rule with CidrIp / CidrIpv6 / SourcePrefixListId is a
 *                       finding unless it is on a load balancer's security group, tcp 80 or 443.
 *   no-open-ingress     No 0.0.0.0/0 or ::/0 ingress except a load balancer's security group on
 *                       tcp 80 or 443 (all protocols, `-1`, and port ranges are findings).
 *                       An ingress rule gets one finding at most: open-to-the-world sources are
 *                       reported by this rule, other CIDR and prefix-list sources by the one above.
 *   separate-task-role  A task definition's TaskRoleArn is not the same role as its
 *                       ExecutionRoleArn (no task role at all is fine: the task gets no AWS access).
 *   no-star-action      No Allow statement with Action `*` (or `*:*`), nor with NotAction.
 *   star-resource-only-where-required  An Allow statement may use Resource `*` only if every
 *                       action in it is in RESOURCE_STAR_ACTIONS (actions without resource-level
 *                       permissions); Allow with NotResource is a finding. KMS key policies are
 *                       exempt: there `*` means "this key".
 *   ecs-exec-off        AWS::ECS::Service EnableExecuteCommand is absent or false, unless the
 *                       service is in `ecsExecAllowed` (see ecsExecAllowed below).
 *   awsvpc-block-imds   EC2 user data that joins an ECS cluster (`ECS_CLUSTER=`) also sets
 *                       `ECS_AWSVPC_BLOCK_IMDS=true`.
 *   trust-scoped        A role's trust statement for an AWS service principal carries an
 *                       `aws:SourceAccount` (or `aws:SourceArn`) condition against the confused
 *                       deputy, except for the principals in UNSCOPED_TRUST (EC2 instance roles).
 *   stateful-retained   Resources that hold data (STATEFUL_TYPES: log groups, KMS keys, queues,
 *                       topics, secrets, ...) carry DeletionPolicy and UpdateReplacePolicy that
 *                       keep it (Retain, RetainExceptOnCreate or Snapshot). One with a fixed
 *                       physical name (FIXED_NAME_PROPERTY) must not keep it when the create that
 *                       made it rolls back: RetainExceptOnCreate (or Snapshot), never Retain, or
 *                       every retry of a failed first deploy fails with "already exists".
 *                       The data stores (DATA_STORE_TYPES) are data-store-kept's.
 *   data-store-kept     Every data store keeps its data on delete and replacement: a database (an
 *                       RDS cluster, or an instance of its own) leaves a final snapshot (`Snapshot`
 *                       for both policies); an instance of an Aurora cluster is not retained (RDS
 *                       refuses to delete a cluster that still has instances, so it would block
 *                       the snapshot); DynamoDB tables and S3 buckets are retained (`Retain`, or
 *                       `RetainExceptOnCreate` with a fixed name; they have no `Snapshot`).
 *   database-ingress-declared  A database's security group admits only the security groups of the
 *                       services that declare the store: no rule of its own, and every
 *                       AWS::EC2::SecurityGroupIngress that targets it (in any template of the
 *                       environment's folder, found through the estate registry entry the data
 *                       stack publishes for it) is in the stack of a service its `berth:clients`
 *                       metadata names, from that stack's own security group, on the cluster's port.
 *   data-grants-named   A task role's data permissions (DynamoDB and S3 actions) name specific
 *                       tables, indexes and buckets: no Resource `*`, no wildcard in a table,
 *                       index or bucket name (objects of a named bucket, `<bucket>/*`, are fine).
 *
 * Not here on purpose, because gate 3 (Control Tower) already fails them: privileged containers
 * (CT.ECS.PR.11), root or missing User (CT.ECS.PR.3), missing ReadonlyRootFilesystem
 * (CT.ECS.PR.6), missing memory limit (CT.ECS.PR.7). checkov's CloudFormation checks have no
 * container-level ECS check to duplicate.
 */
import path from 'node:path';
import { parseTemplate as readTemplate } from '../../src/emit/parse.ts';
import { starActions } from '../../templates/stacks/launch-role.ts';

export type PolicyRule =
  | 'ingress-from-security-groups'
  | 'no-open-ingress'
  | 'separate-task-role'
  | 'no-star-action'
  | 'star-resource-only-where-required'
  | 'ecs-exec-off'
  | 'awsvpc-block-imds'
  | 'trust-scoped'
  | 'stateful-retained'
  | 'launch-role-no-escalation'
  | 'data-store-kept'
  | 'database-ingress-declared'
  | 'data-grants-named';

export const POLICY_RULES: readonly PolicyRule[] = [
  'ingress-from-security-groups',
  'no-open-ingress',
  'separate-task-role',
  'no-star-action',
  'star-resource-only-where-required',
  'ecs-exec-off',
  'awsvpc-block-imds',
  'trust-scoped',
  'stateful-retained',
  'launch-role-no-escalation',
  'data-store-kept',
  'database-ingress-declared',
  'data-grants-named',
];

/** One parsed template: the file it came from and its document in long-form intrinsics. */
export interface PolicyTemplate {
  readonly file: string;
  readonly template: unknown;
}

export interface PolicyFinding {
  readonly file: string;
  readonly logicalId: string;
  /** Path inside the resource, e.g. `Properties.SecurityGroupIngress[0].CidrIp`. */
  readonly property: string;
  readonly rule: PolicyRule;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

export interface PolicyResult {
  /** (rule, subject) evaluations that passed; a subject is an ingress rule, task definition, policy statement, service or user data. */
  passed: number;
  /** The same count per rule, so a test can tell that a rule ran at all. */
  passedByRule: Record<PolicyRule, number>;
  findings: PolicyFinding[];
  /** Evaluations exempted by an explicit allowance (ECS Exec enabled by a service definition). */
  skipped: PolicyFinding[];
}

export interface PolicyOptions {
  /**
   * Services allowed to run with ECS Exec on, as `<environment>/<template file>/<logical ID>`
   * (the environment is the name of the folder holding the template: output/<env>/).
   * @default - none: every service must have ECS Exec off
   */
  readonly ecsExecAllowed?: ReadonlySet<string>;
}

/**
 * Actions that have no resource-level permissions, so an Allow statement must name Resource `*`
 * for them. Source: the Service Authorization Reference, whose Actions table leaves "Resource
 * types" empty for these ("you must specify all resources (\"*\")"). Only exact action names: a
 * wildcard such as `ssmmessages:*` would also allow actions added later. Add an entry (with its
 * reference page) when a template needs one.
 */
export const RESOURCE_STAR_ACTIONS: Readonly<Record<string, string>> = {
  // Execution role: `docker login` to ECR before pulling (the pull itself is scoped to the repository).
  'ecr:GetAuthorizationToken': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonelasticcontainerregistry.html',
  // Launch role: CloudFormation generates a secret's value (GenerateSecretString) with it.
  'secretsmanager:GetRandomPassword': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssecretsmanager.html',
  // Task role with ECS Exec on: the Session Manager channels.
  // https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html#ecs-exec-required-iam-permissions
  'ssmmessages:CreateControlChannel': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmessagegatewayservice.html',
  'ssmmessages:CreateDataChannel': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmessagegatewayservice.html',
  'ssmmessages:OpenControlChannel': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmessagegatewayservice.html',
  'ssmmessages:OpenDataChannel': 'https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonmessagegatewayservice.html',
  // The Service Catalog launch role (templates/stacks/launch-role.ts): the calls CloudFormation's
  // resource handlers make to create, read and delete the products' resources. Describe and list
  // calls read the account's resources of a type; the create calls make a resource that has no
  // ARN yet.
  ...sar('list_amazonec2.html', [
    'ec2:DescribeAddresses', 'ec2:DescribeFlowLogs', 'ec2:DescribeInternetGateways', 'ec2:DescribeLaunchTemplateVersions', 'ec2:DescribeLaunchTemplates',
    'ec2:DescribeManagedPrefixLists', 'ec2:DescribeNatGateways', 'ec2:DescribeNetworkAcls', 'ec2:DescribePrefixLists', 'ec2:DescribeRouteTables', 'ec2:DescribeSecurityGroupRules',
    'ec2:DescribeSecurityGroups', 'ec2:DescribeSubnets', 'ec2:DescribeVpcAttribute', 'ec2:DescribeVpcEndpoints', 'ec2:DescribeVpcs',
  ]),
  ...sar('list_awselasticloadbalancingv2.html', [
    'elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeLoadBalancerAttributes', 'elasticloadbalancing:DescribeLoadBalancers',
    'elasticloadbalancing:DescribeRules', 'elasticloadbalancing:DescribeTags', 'elasticloadbalancing:DescribeTargetGroupAttributes', 'elasticloadbalancing:DescribeTargetGroups',
  ]),
  ...sar('list_amazonec2autoscaling.html', ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:DescribeScalingActivities']),
  ...sar('list_applicationautoscaling.html', ['application-autoscaling:DescribeScalableTargets', 'application-autoscaling:DescribeScalingPolicies']),
  ...sar('list_amazonelasticcontainerservice.html', ['ecs:RegisterTaskDefinition', 'ecs:DeregisterTaskDefinition', 'ecs:DescribeTaskDefinition', 'ecs:DescribeCapacityProviders']),
  ...sar('list_awskeymanagementservice.html', ['kms:CreateKey']),
  ...sar('list_amazoncloudwatchlogs.html', ['logs:DescribeLogGroups']),
  ...sar('list_amazoncloudwatch.html', ['cloudwatch:DescribeAlarms']),
  ...sar('list_awscertificatemanager.html', ['acm:RequestCertificate']),
  ...sar('list_awscloudformation.html', ['cloudformation:ValidateTemplate', 'cloudformation:GetTemplateSummary']),
};

/**
 * The other actions allowed on `*`: those the launch role's resource handlers call that take no
 * resource type, per the IAM action list of the pinned cfn-lint (templates/stacks/launch-role.generated.ts,
 * regenerated by `make permissions`), wildcard reads such as `ec2:Describe*` included.
 */
const GENERATED_STAR_ACTIONS: ReadonlySet<string> = new Set(starActions());

/** May `action` be allowed on Resource `*`? */
export function starAllowed(action: string): boolean {
  return Object.hasOwn(RESOURCE_STAR_ACTIONS, action) || GENERATED_STAR_ACTIONS.has(action);
}

/** Entries of RESOURCE_STAR_ACTIONS that cite one Service Authorization Reference page. */
function sar(page: string, actions: readonly string[]): Record<string, string> {
  return Object.fromEntries(actions.map((a) => [a, `https://docs.aws.amazon.com/service-authorization/latest/reference/${page}`]));
}

// ---------------------------------------------------------------------------
// reading templates

/** Parses one template's YAML text (short-form tags allowed). */
export function parseTemplate(file: string, text: string): PolicyTemplate {
  return { file, template: readTemplate(text, file) };
}

// ---------------------------------------------------------------------------
// walking values

type Obj = Record<string, unknown>;

function _isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function _key(p: string, k: string): string {
  return p ? `${p}.${k}` : k;
}

/** A value and where it is. */
interface At<T = unknown> {
  readonly value: T;
  readonly path: string;
}

const NO_VALUE = { Ref: 'AWS::NoValue' };

function _isNoValue(v: unknown): boolean {
  return _isObj(v) && v.Ref === NO_VALUE.Ref && Object.keys(v).length === 1;
}

/** The values `v` can take: `Fn::If` branches followed (AWS::NoValue dropped), anything else as is. */
function _alternatives(v: unknown, p: string): At[] {
  if (_isObj(v) && Object.keys(v).length === 1 && Array.isArray(v['Fn::If']) && v['Fn::If'].length === 3) {
    const branches = v['Fn::If'];
    return [1, 2].flatMap((i) => _alternatives(branches[i], `${p}.Fn::If[${i}]`));
  }
  return _isNoValue(v) ? [] : [{ value: v, path: p }];
}

/** Items of a list property (each alternative of the list, and of each item). A single object counts as one item. */
function _items(v: unknown, p: string): At[] {
  return _alternatives(v, p).flatMap((list) =>
    Array.isArray(list.value)
      ? list.value.flatMap((item, i) => _alternatives(item, `${list.path}[${i}]`))
      : [list],
  );
}

/** Literal strings a value (or list of values) can hold, `Fn::If` followed; other intrinsics give none. */
function _literals(v: unknown): string[] {
  return _items(v, '').flatMap((a) =>
    typeof a.value === 'string' ? [a.value] : typeof a.value === 'number' || typeof a.value === 'boolean' ? [String(a.value)] : [],
  );
}

/** Logical IDs a value references with Ref, GetAtt or `${Name}` / `${Name.Attr}` in Fn::Sub. */
function _referencedIds(v: unknown): Set<string> {
  const ids = new Set<string>();
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) n.forEach(visit);
    else if (_isObj(n)) {
      if (typeof n.Ref === 'string') ids.add(n.Ref);
      const ga = n['Fn::GetAtt'];
      if (Array.isArray(ga) && typeof ga[0] === 'string') ids.add(ga[0]);
      Object.values(n).forEach(visit);
    }
  };
  visit(v);
  return ids;
}

interface Resource {
  readonly id: string;
  readonly type: string;
  readonly properties: Obj;
  /** The resource's own entry: DeletionPolicy, UpdateReplacePolicy, Metadata, ... */
  readonly entry: Obj;
}

function _resources(template: unknown): Resource[] {
  const res = _isObj(template) && _isObj(template.Resources) ? template.Resources : {};
  return Object.entries(res).flatMap(([id, r]) =>
    _isObj(r) && typeof r.Type === 'string' ? [{ id, type: r.Type, properties: _isObj(r.Properties) ? r.Properties : {}, entry: r }] : [],
  );
}

// ---------------------------------------------------------------------------
// evaluations

interface Context {
  readonly file: string;
  readonly resources: readonly Resource[];
  /** The template's Parameters section. */
  readonly parameters: Obj;
  readonly options: PolicyOptions;
}

/** One (rule, subject) evaluation: no findings = passed. */
interface Evaluation {
  readonly rule: PolicyRule;
  readonly findings: PolicyFinding[];
  readonly skipped?: PolicyFinding;
}

function _finding(ctx: Context, r: Resource, property: string, rule: PolicyRule, message: string): PolicyFinding {
  return { file: ctx.file, logicalId: r.id, property, rule, message };
}

// --- rules 1 and 2: ingress ------------------------------------------------------------------

const WORLD = new Set(['0.0.0.0/0', '::/0', '::0/0']);
const SOURCES = ['CidrIp', 'CidrIpv6', 'SourcePrefixListId'] as const;
const LB_PORTS = new Set([80, 443]);

/** Security groups a load balancer in this template uses: the only ones that may admit CIDRs. */
function _loadBalancerGroups(ctx: Context): Set<string> {
  const ids = new Set<string>();
  for (const r of ctx.resources) {
    if (r.type === 'AWS::ElasticLoadBalancingV2::LoadBalancer') {
      for (const id of _referencedIds(r.properties.SecurityGroups)) ids.add(id);
    }
  }
  return ids;
}

function _port(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

/** True only for literal tcp on exactly port 80 or exactly port 443. */
function _isWebPort(rule: Obj): boolean {
  const proto = String(rule.IpProtocol ?? '').toLowerCase();
  const from = _port(rule.FromPort);
  const to = _port(rule.ToPort);
  return (proto === 'tcp' || proto === '6') && from !== undefined && from === to && LB_PORTS.has(from);
}

function _describeTraffic(rule: Obj): string {
  const proto = String(rule.IpProtocol ?? '?').toLowerCase();
  if (proto === '-1' || proto === 'all') return 'all protocols and ports';
  const from = _port(rule.FromPort);
  const to = _port(rule.ToPort);
  if (from === undefined || to === undefined) return `${proto}, ports not literal`;
  return from === to ? `${proto} ${from}` : `${proto} ${from}-${to}`;
}

function _checkIngress(ctx: Context, r: Resource, rule: Obj, at: string, isLoadBalancerGroup: boolean): Evaluation[] {
  const open: PolicyFinding[] = [];
  const cidr: PolicyFinding[] = [];
  const allowed = isLoadBalancerGroup && _isWebPort(rule);
  for (const source of SOURCES) {
    if (rule[source] === undefined || allowed) continue;
    const prop = _key(at, source);
    const values = _literals(rule[source]);
    const traffic = _describeTraffic(rule);
    const world = values.find((v) => WORLD.has(v));
    if (world !== undefined) {
      open.push(
        _finding(ctx, r, prop, 'no-open-ingress',
          `admits \`${world}\` (${traffic}). Only a load balancer's security group may be open to the internet, and only on tcp 80 or 443 (one rule per port). ` +
            (isLoadBalancerGroup
              ? 'Narrow this rule to tcp 80 or 443, or remove it.'
              : 'Admit the load balancer (or the calling tier) with SourceSecurityGroupId instead.')),
      );
    } else {
      const shown = values.length ? values.map((v) => `\`${v}\``).join(' or ') : 'a computed value';
      cidr.push(
        _finding(ctx, r, prop, 'ingress-from-security-groups',
          `admits ${source} ${shown} (${traffic}). Application and database tiers admit traffic only from security groups: ` +
            'use SourceSecurityGroupId (the load balancer\'s or the calling tier\'s security group). ' +
            'Only a load balancer\'s security group may take CIDR sources, on tcp 80 or 443.'),
      );
    }
  }
  return [
    { rule: 'ingress-from-security-groups', findings: cidr },
    { rule: 'no-open-ingress', findings: open },
  ];
}

function _ingress(ctx: Context): Evaluation[] {
  const lbGroups = _loadBalancerGroups(ctx);
  const out: Evaluation[] = [];
  for (const r of ctx.resources) {
    if (r.type === 'AWS::EC2::SecurityGroup') {
      for (const item of _items(r.properties.SecurityGroupIngress, 'Properties.SecurityGroupIngress')) {
        if (_isObj(item.value)) out.push(..._checkIngress(ctx, r, item.value, item.path, lbGroups.has(r.id)));
      }
    } else if (r.type === 'AWS::EC2::SecurityGroupIngress') {
      // A standalone rule belongs to a load balancer's group only if it references that group here.
      const target = _referencedIds([r.properties.GroupId, r.properties.GroupName]);
      const isLb = [...target].some((id) => lbGroups.has(id));
      for (const alt of _alternatives(r.properties, 'Properties')) {
        if (_isObj(alt.value)) out.push(..._checkIngress(ctx, r, alt.value, alt.path, isLb));
      }
    }
  }
  return out;
}

// --- rule 3: task role differs from execution role ------------------------------------------

/**
 * A comparable form of a role reference. `!Ref Role` (the name) and `!GetAtt Role.Arn` name the
 * same role, and so do a literal ARN and its role name: ECS accepts either.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ecs-taskdefinition.html#cfn-ecs-taskdefinition-taskrolearn
 */
function _roleIdentity(v: unknown): string {
  if (_isObj(v) && Object.keys(v).length === 1) {
    if (typeof v.Ref === 'string') return `ref:${v.Ref}`;
    const ga = v['Fn::GetAtt'];
    if (Array.isArray(ga) && ga.length === 2 && ga[1] === 'Arn' && typeof ga[0] === 'string') return `ref:${ga[0]}`;
  }
  if (typeof v === 'string') return `name:${v.replace(/^arn:[^:]+:iam::[^:]*:role\/(?:.*\/)?/, '')}`;
  return `json:${JSON.stringify(v)}`;
}

function _taskRoles(ctx: Context): Evaluation[] {
  return ctx.resources
    .filter((r) => r.type === 'AWS::ECS::TaskDefinition')
    .map((r) => {
      const { TaskRoleArn: task, ExecutionRoleArn: exec } = r.properties;
      const same = task !== undefined && exec !== undefined && _roleIdentity(task) === _roleIdentity(exec);
      return {
        rule: 'separate-task-role',
        findings: same
          ? [
              _finding(ctx, r, 'Properties.TaskRoleArn', 'separate-task-role',
                'is the same role as ExecutionRoleArn: the application code would get the ECS agent\'s permissions (pull images, read every secret of the task). ' +
                  'Give the task its own role with only what the code needs, or leave TaskRoleArn out if the code calls no AWS API. ' +
                  'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html'),
            ]
          : [],
      };
    });
}

// --- rules 4 and 5: IAM statements ------------------------------------------------------------

interface PolicyDoc {
  readonly resource: Resource;
  readonly document: unknown;
  readonly path: string;
  /** Key policies: Resource `*` means "this key". */
  readonly keyPolicy: boolean;
}

/** Identity policies, trust policies and resource policies of the template. */
function _policyDocuments(ctx: Context): PolicyDoc[] {
  const docs: PolicyDoc[] = [];
  const add = (resource: Resource, document: unknown, p: string, keyPolicy = false) => {
    for (const alt of _alternatives(document, p)) docs.push({ resource, document: alt.value, path: alt.path, keyPolicy });
  };
  for (const r of ctx.resources) {
    const props = r.properties;
    switch (r.type) {
      case 'AWS::IAM::Role':
      case 'AWS::IAM::User':
      case 'AWS::IAM::Group':
        if (r.type === 'AWS::IAM::Role') add(r, props.AssumeRolePolicyDocument, 'Properties.AssumeRolePolicyDocument');
        for (const pol of _items(props.Policies, 'Properties.Policies')) {
          if (_isObj(pol.value)) add(r, pol.value.PolicyDocument, _key(pol.path, 'PolicyDocument'));
        }
        break;
      case 'AWS::IAM::Policy':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::IAM::RolePolicy':
      case 'AWS::IAM::UserPolicy':
      case 'AWS::IAM::GroupPolicy':
      case 'AWS::S3::BucketPolicy':
      case 'AWS::SQS::QueuePolicy':
      case 'AWS::SNS::TopicPolicy':
        add(r, props.PolicyDocument, 'Properties.PolicyDocument');
        break;
      case 'AWS::KMS::Key':
        // A key policy's Resource `*` means the key itself, not every resource.
        // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
        add(r, props.KeyPolicy, 'Properties.KeyPolicy', true);
        break;
      case 'AWS::SecretsManager::ResourcePolicy':
        add(r, props.ResourcePolicy, 'Properties.ResourcePolicy');
        break;
      case 'AWS::ECR::Repository':
        add(r, props.RepositoryPolicyText, 'Properties.RepositoryPolicyText');
        break;
    }
  }
  return docs;
}

function _isStarAction(a: string): boolean {
  return a === '*' || a === '*:*';
}

/**
 * Managed policies this template uses as permissions boundaries (named by an
 * `iam:PermissionsBoundary` condition or a role's PermissionsBoundary): a boundary grants nothing
 * by itself, it caps what the roles' own policies grant, so Resource `*` there is no grant.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
 */
function _boundaries(ctx: Context): Set<string> {
  const ids = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!_isObj(v)) return;
    for (const [k, x] of Object.entries(v)) {
      if (k === 'iam:PermissionsBoundary' || k === 'PermissionsBoundary') for (const id of _referencedIds(x)) ids.add(id);
      visit(x);
    }
  };
  ctx.resources.forEach((r) => visit(r.properties));
  return new Set([...ids].filter((id) => ctx.resources.some((r) => r.id === id && r.type === 'AWS::IAM::ManagedPolicy')));
}

function _statements(ctx: Context): Evaluation[] {
  const out: Evaluation[] = [];
  const boundaries = _boundaries(ctx);
  for (const doc of _policyDocuments(ctx)) {
    if (!_isObj(doc.document)) continue;
    for (const st of _items(doc.document.Statement, _key(doc.path, 'Statement'))) {
      if (!_isObj(st.value)) continue;
      const s = st.value;
      const r = doc.resource;
      // Deny statements only take permissions away: `Action: "*"` or `Resource: "*"` there is a guard rail.
      const allow = _literals(s.Effect).includes('Allow');
      const actions = _literals(s.Action);
      const star: PolicyFinding[] = [];
      if (allow && actions.some(_isStarAction)) {
        star.push(
          _finding(ctx, r, _key(st.path, 'Action'), 'no-star-action',
            'allows Action `*`: every action of every service. Name the actions the principal needs (see the Service Authorization Reference: https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).'),
        );
      }
      if (allow && s.NotAction !== undefined) {
        star.push(
          _finding(ctx, r, _key(st.path, 'NotAction'), 'no-star-action',
            'allows NotAction: every action except the listed ones, including actions AWS adds later. Use Action with the actions the principal needs.'),
        );
      }
      out.push({ rule: 'no-star-action', findings: star });

      const resource: PolicyFinding[] = [];
      if (allow && !doc.keyPolicy && !boundaries.has(r.id)) {
        if (_literals(s.Resource).includes('*')) {
          const scoped = actions.filter((a) => !starAllowed(a));
          const computed = s.Action !== undefined && actions.length === 0;
          if (scoped.length || computed || s.NotAction !== undefined) {
            const names = scoped.length ? scoped.map((a) => `\`${a}\``).join(', ') : 'actions that are not listed literally';
            resource.push(
              _finding(ctx, r, _key(st.path, 'Resource'), 'star-resource-only-where-required',
                `allows ${names} on Resource \`*\`. Resource \`*\` is only for actions without resource-level permissions (RESOURCE_STAR_ACTIONS in scripts/lint/policy-rules.ts). ` +
                  'Scope Resource to the ARNs the principal needs, or move these actions to their own statement with those ARNs. ' +
                  'If an action really has no resource-level permissions, add it to RESOURCE_STAR_ACTIONS with its Service Authorization Reference page.'),
            );
          }
        }
        if (s.NotResource !== undefined) {
          resource.push(
            _finding(ctx, r, _key(st.path, 'NotResource'), 'star-resource-only-where-required',
              'allows NotResource: every resource except the listed ones. Use Resource with the ARNs the principal needs.'),
          );
        }
      }
      out.push({ rule: 'star-resource-only-where-required', findings: resource });
    }
  }
  return out;
}

// --- rule 6: ECS Exec ---------------------------------------------------------------------------

/** The key `ecsExecAllowed` uses: `<environment folder>/<file name>/<logical ID>`. */
export function ecsExecKey(file: string, logicalId: string): string {
  return `${path.basename(path.dirname(path.resolve(file)))}/${path.basename(file)}/${logicalId}`;
}

/**
 * The services allowed ECS Exec: those an environment file opens it for
 * (`services.<name>.enableExecuteCommand: true` in templates/environments/<env>.json). Anything
 * else that turns ECS Exec on, in any environment, is a finding.
 */
export function ecsExecAllowed(
  environments: readonly { readonly name: string; readonly services?: Readonly<Record<string, { readonly enableExecuteCommand?: boolean }>> }[],
): Set<string> {
  return new Set(
    environments.flatMap((env) =>
      // templates/stacks/service.ts names the stack `service-<name>` and the service resource `Service`.
      Object.entries(env.services ?? {})
        .filter(([, o]) => o.enableExecuteCommand === true)
        .map(([name]) => `${env.name}/service-${name}.yaml/Service`),
    ),
  );
}

function _ecsExec(ctx: Context): Evaluation[] {
  const allowed = ctx.options.ecsExecAllowed ?? new Set<string>();
  return ctx.resources
    .filter((r) => r.type === 'AWS::ECS::Service')
    .map((r): Evaluation => {
      const v = r.properties.EnableExecuteCommand;
      const on = v !== undefined && _alternatives(v, '').some((a) => a.value !== false && a.value !== 'false');
      if (!on) return { rule: 'ecs-exec-off', findings: [] };
      const key = ecsExecKey(ctx.file, r.id);
      const f = _finding(ctx, r, 'Properties.EnableExecuteCommand', 'ecs-exec-off',
        'turns ECS Exec on: anyone allowed ecs:ExecuteCommand on the cluster gets a shell in the tasks. ' +
          'Set it to false (leave `enableExecuteCommand` out of the service definition). If the service needs ECS Exec, ' +
          `set \`enableExecuteCommand: true\` in its definition (templates/services/), which allows \`${key}\`. ` +
          'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html');
      return allowed.has(key)
        ? { rule: 'ecs-exec-off', findings: [], skipped: { ...f, message: 'ECS Exec enabled by the service definition (enableExecuteCommand: true)' } }
        : { rule: 'ecs-exec-off', findings: [f] };
    });
}

// --- rule 7: awsvpc tasks cannot reach instance metadata ----------------------------------------

/** The text of user data: literal strings of Fn::Base64 / Fn::Sub / Fn::Join, branches of Fn::If joined. */
function _text(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(_text).join('\n');
  if (!_isObj(v)) return '';
  if ('Fn::Base64' in v) return _text(v['Fn::Base64']);
  const sub = v['Fn::Sub'];
  if (sub !== undefined) return _text(Array.isArray(sub) ? sub[0] : sub);
  const join = v['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) return join[1].map(_text).join(join[0]);
  const branches = v['Fn::If'];
  if (Array.isArray(branches)) return branches.slice(1).map(_text).join('\n');
  return '';
}

const JOINS_CLUSTER = /^[^#\n]*\bECS_CLUSTER=/m;
const BLOCKS_IMDS = /^[^#\n]*\bECS_AWSVPC_BLOCK_IMDS=true\b/m;

function _userData(ctx: Context): Evaluation[] {
  const out: Evaluation[] = [];
  for (const r of ctx.resources) {
    const at =
      r.type === 'AWS::EC2::LaunchTemplate'
        ? { value: _isObj(r.properties.LaunchTemplateData) ? r.properties.LaunchTemplateData.UserData : undefined, path: 'Properties.LaunchTemplateData.UserData' }
        : r.type === 'AWS::EC2::Instance' || r.type === 'AWS::AutoScaling::LaunchConfiguration'
          ? { value: r.properties.UserData, path: 'Properties.UserData' }
          : undefined;
    if (!at || at.value === undefined) continue;
    const text = _text(at.value);
    if (!JOINS_CLUSTER.test(text)) continue; // not an ECS container instance
    out.push({
      rule: 'awsvpc-block-imds',
      findings: BLOCKS_IMDS.test(text)
        ? []
        : [
            _finding(ctx, r, at.path, 'awsvpc-block-imds',
              'joins an ECS cluster but does not set `ECS_AWSVPC_BLOCK_IMDS=true`: awsvpc tasks could read the instance role\'s credentials from instance metadata. ' +
                'Add the line `ECS_AWSVPC_BLOCK_IMDS=true` to /etc/ecs/ecs.config in the user data. ' +
                'https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html'),
          ],
    });
  }
  return out;
}

// ---------------------------------------------------------------------------
// entry points

// --- rule 8: trust policies ----------------------------------------------------------------------

/**
 * Service principals that assume a role without a source to check: EC2 assumes an instance
 * profile's role for the instance itself, not on behalf of a resource in some account, and is not
 * among the services that send aws:SourceAccount; a condition on it would leave the instances
 * without credentials. https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
 */
export const UNSCOPED_TRUST: ReadonlySet<string> = new Set(['ec2.amazonaws.com']);

const SOURCE_KEYS = ['aws:sourceaccount', 'aws:sourcearn', 'aws:sourceorgid', 'aws:sourceorgpaths'];

function _trust(ctx: Context): Evaluation[] {
  const out: Evaluation[] = [];
  for (const r of ctx.resources.filter((x) => x.type === 'AWS::IAM::Role')) {
    for (const doc of _alternatives(r.properties.AssumeRolePolicyDocument, 'Properties.AssumeRolePolicyDocument')) {
      if (!_isObj(doc.value)) continue;
      for (const st of _items(doc.value.Statement, _key(doc.path, 'Statement'))) {
        if (!_isObj(st.value) || !_literals(st.value.Effect).includes('Allow')) continue;
        const principal = st.value.Principal;
        const services = _isObj(principal) ? _literals(principal.Service).filter((svc) => !UNSCOPED_TRUST.has(svc)) : [];
        if (services.length === 0) continue;
        const condition = st.value.Condition;
        const keys = _isObj(condition) ? Object.values(condition).flatMap((block) => (_isObj(block) ? Object.keys(block).map((k) => k.toLowerCase()) : [])) : [];
        const scoped = keys.some((k) => SOURCE_KEYS.includes(k));
        out.push({
          rule: 'trust-scoped',
          findings: scoped
            ? []
            : [
                _finding(ctx, r, _key(st.path, 'Condition'), 'trust-scoped',
                  `lets ${services.map((svc) => `\`${svc}\``).join(', ')} assume the role on behalf of any account (the confused deputy). ` +
                    'Add `Condition: { StringEquals: { aws:SourceAccount: !Ref AWS::AccountId } }`. https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html'),
              ],
        });
      }
    }
  }
  return out;
}

// --- rule 9: stateful resources ----------------------------------------------------------------

/** Types whose deletion or replacement destroys data: logs, keys (and all they encrypt), messages, objects, secrets. */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
  'AWS::Logs::LogGroup', 'AWS::KMS::Key', 'AWS::SQS::Queue', 'AWS::SNS::Topic', 'AWS::S3::Bucket', 'AWS::SecretsManager::Secret',
  'AWS::DynamoDB::Table', 'AWS::RDS::DBInstance', 'AWS::RDS::DBCluster', 'AWS::EFS::FileSystem', 'AWS::ECR::Repository',
]);
const KEEPS = new Set(['Retain', 'RetainExceptOnCreate', 'Snapshot']);

/**
 * The property that gives each data-holding type a fixed physical name. Left out, CloudFormation
 * generates a unique name, and a retry after a failed create makes a new resource beside any kept
 * one; set, the retry needs the name to be free again.
 */
export const FIXED_NAME_PROPERTY: Readonly<Record<string, string>> = {
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::RDS::DBInstance': 'DBInstanceIdentifier',
  'AWS::RDS::DBCluster': 'DBClusterIdentifier',
  'AWS::ECR::Repository': 'RepositoryName',
};

function _stateful(ctx: Context): Evaluation[] {
  return ctx.resources
    .filter((r) => STATEFUL_TYPES.has(r.type) && !DATA_STORE_TYPES.has(r.type))
    .map((r): Evaluation => {
      const findings = (['DeletionPolicy', 'UpdateReplacePolicy'] as const)
        .filter((policy) => !KEEPS.has(String(r.entry[policy])))
        .map((policy) =>
          _finding(ctx, r, policy, 'stateful-retained',
            `is ${r.entry[policy] === undefined ? 'missing' : `\`${String(r.entry[policy])}\``}: deleting the stack${policy === 'UpdateReplacePolicy' ? ' or replacing the resource' : ''} would destroy the data this ${r.type} holds. ` +
              `Set \`${policy}: ${policy === 'DeletionPolicy' && _fixedName(r) ? 'RetainExceptOnCreate' : 'Retain'}\` (or Snapshot where the type has one). https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-${policy.toLowerCase()}.html`),
        );
      const name = _fixedName(r);
      if (name && r.entry.DeletionPolicy === 'Retain') {
        findings.push(
          _finding(ctx, r, 'DeletionPolicy', 'stateful-retained',
            `is \`Retain\` on a ${r.type} with a fixed name (${name}): if the first create fails, the rollback keeps it, and every retry fails with "already exists" until someone deletes it by hand. ` +
              'Set `DeletionPolicy: RetainExceptOnCreate` (kept on stack deletion, deleted with a failed create), or leave the name to CloudFormation. https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html'),
        );
      }
      return { rule: 'stateful-retained', findings };
    });
}

/** `Properties.<name>` when the resource's type has a fixed-name property and it is set. */
function _fixedName(r: { type: string; properties: Record<string, unknown> }): string | undefined {
  const property = FIXED_NAME_PROPERTY[r.type];
  return property !== undefined && r.properties[property] !== undefined ? `Properties.${property}` : undefined;
}

// --- rule 10: a Service Catalog launch role cannot escalate ----------------------------------------

/**
 * IAM actions that change what some principal may do: writing a role's policies, trust or
 * boundary, passing a role, and anything on users, groups, policies and keys. A launch role (a
 * role Service Catalog assumes) may do the role ones only on the estate's own roles (the
 * `/berth/` path), role writes only with the permissions boundary required, PassRole only to a
 * named service; the rest never.
 * https://docs.aws.amazon.com/servicecatalog/latest/adminguide/constraints-launch.html
 */
const ROLE_ESCALATION = ['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:UpdateAssumeRolePolicy', 'iam:PutRolePermissionsBoundary', 'iam:PassRole'];
const BOUNDED = new Set(['iam:CreateRole', 'iam:PutRolePolicy', 'iam:AttachRolePolicy', 'iam:PutRolePermissionsBoundary']);
const NEVER = [
  'iam:DeleteRolePermissionsBoundary', 'iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:CreateUser', 'iam:PutUserPolicy', 'iam:AttachUserPolicy',
  'iam:CreateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile', 'iam:AddUserToGroup', 'iam:PutGroupPolicy', 'iam:AttachGroupPolicy',
  'iam:PutUserPermissionsBoundary', 'iam:DeleteUserPermissionsBoundary',
];

/** Does the policy action `pattern` (wildcards allowed) cover `action`? */
function _covers(pattern: string, action: string): boolean {
  if (pattern === '*') return true;
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i');
  return re.test(action);
}

/** Text of a Resource value (literals and Fn::Sub strings), to see what it names. */
function _resourceTexts(v: unknown): string[] {
  return _items(v, '').map((a) => (typeof a.value === 'string' ? a.value : _isObj(a.value) && 'Fn::Sub' in a.value ? JSON.stringify(a.value['Fn::Sub']) : JSON.stringify(a.value)));
}

function _launchRoles(ctx: Context): Evaluation[] {
  const out: Evaluation[] = [];
  const launchRoles = ctx.resources.filter((r) => r.type === 'AWS::IAM::Role' && JSON.stringify(r.properties.AssumeRolePolicyDocument ?? '').includes('servicecatalog.amazonaws.com'));
  for (const role of launchRoles) {
    // Its inline policies and the managed policies of this template it attaches.
    const attached = _referencedIds(role.properties.ManagedPolicyArns);
    const docs: [Resource, unknown, string][] = [
      ..._items(role.properties.Policies, 'Properties.Policies').flatMap((p): [Resource, unknown, string][] => (_isObj(p.value) ? [[role, p.value.PolicyDocument, _key(p.path, 'PolicyDocument')]] : [])),
      ...ctx.resources.filter((r) => attached.has(r.id) && r.type === 'AWS::IAM::ManagedPolicy').map((r): [Resource, unknown, string] => [r, r.properties.PolicyDocument, 'Properties.PolicyDocument']),
    ];
    for (const [owner, document, path] of docs) {
      if (!_isObj(document)) continue;
      for (const st of _items(document.Statement, _key(path, 'Statement'))) {
        if (!_isObj(st.value) || !_literals(st.value.Effect).includes('Allow')) continue;
        const s = st.value;
        const actions = _literals(s.Action);
        const findings: PolicyFinding[] = [];
        const fail = (message: string) => findings.push(_finding(ctx, owner, _key(st.path, 'Action'), 'launch-role-no-escalation', `lets launch role \`${role.id}\` ${message}`));
        const never = NEVER.filter((a) => actions.some((p) => _covers(p, a)));
        if (never.length || s.NotAction !== undefined) fail(`${never.length ? never.map((a) => `\`${a}\``).join(', ') : 'every action but some (NotAction)'}: a way to grant itself or others more than the products need. Remove ${never.length ? 'them' : 'NotAction'}.`);
        const escalating = ROLE_ESCALATION.filter((a) => actions.some((p) => _covers(p, a)));
        if (escalating.length) {
          const outside = _resourceTexts(s.Resource).filter((t) => !/:role\/berth\/|:instance-profile\/berth\//.test(t));
          if (outside.length || s.NotResource !== undefined) {
            fail(`${escalating.map((a) => `\`${a}\``).join(', ')} on ${outside.length ? outside.map((t) => `\`${t}\``).join(', ') : 'NotResource'}: roles outside the estate (the /berth/<environment>/ path), so it could write or pass any such role. Scope Resource to \`role/berth/<environment>/...\`.`);
          }
          const keys = JSON.stringify(s.Condition ?? {});
          const unbounded = escalating.filter((a) => BOUNDED.has(a));
          if (unbounded.length && !keys.includes('iam:PermissionsBoundary')) {
            fail(`${unbounded.map((a) => `\`${a}\``).join(', ')} without requiring the permissions boundary: a role it writes could hold any permission. Add \`Condition: { StringEquals: { iam:PermissionsBoundary: <the boundary policy> } }\`.`);
          }
          if (escalating.includes('iam:PassRole') && !keys.includes('iam:PassedToService')) {
            fail('`iam:PassRole` to any service: a role could be handed to a service that runs code. Add `Condition: { StringEquals: { iam:PassedToService: <the service> } }`.');
          }
        }
        out.push({ rule: 'launch-role-no-escalation', findings });
      }
    }
  }
  return out;
}

// --- rule 11: data stores keep their data ---------------------------------------------------------

/** The data stores: data-store-kept judges them (stateful-retained, the rest). */
export const DATA_STORE_TYPES: ReadonlySet<string> = new Set(['AWS::RDS::DBCluster', 'AWS::RDS::DBInstance', 'AWS::DynamoDB::Table', 'AWS::S3::Bucket']);

function _dataStores(ctx: Context): Evaluation[] {
  const DOCS = 'https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html';
  return ctx.resources
    .filter((r) => DATA_STORE_TYPES.has(r.type))
    .map((r): Evaluation => {
      const findings: PolicyFinding[] = [];
      const policies = ['DeletionPolicy', 'UpdateReplacePolicy'] as const;
      const inCluster = r.type === 'AWS::RDS::DBInstance' && r.properties.DBClusterIdentifier !== undefined;
      if (inCluster) {
        for (const policy of policies.filter((x) => ['Retain', 'RetainExceptOnCreate', 'Snapshot'].includes(String(r.entry[x])))) {
          findings.push(
            _finding(ctx, r, policy, 'data-store-kept',
              `is \`${String(r.entry[policy])}\` on an instance of an Aurora cluster, which holds no data of its own (the cluster volume does): a kept instance keeps RDS from deleting the cluster and taking its final snapshot. ` +
                `Set \`${policy}: Delete\` and keep the data with the cluster's \`Snapshot\`. ${DOCS}`),
          );
        }
      } else if (r.type === 'AWS::RDS::DBCluster' || r.type === 'AWS::RDS::DBInstance') {
        for (const policy of policies.filter((x) => r.entry[x] !== 'Snapshot')) {
          findings.push(
            _finding(ctx, r, policy, 'data-store-kept',
              `is ${r.entry[policy] === undefined ? 'missing' : `\`${String(r.entry[policy])}\``}: deleting the stack${policy === 'UpdateReplacePolicy' ? ' or replacing the database' : ''} must leave a final snapshot of this ${r.type}, the data without a database left running outside any stack. ` +
                `Set \`${policy}: Snapshot\`. ${DOCS}`),
          );
        }
      } else {
        const named = _fixedName(r);
        for (const policy of policies) {
          const value = String(r.entry[policy]);
          const keeps = policy === 'DeletionPolicy' ? ['Retain', 'RetainExceptOnCreate'] : ['Retain'];
          if (keeps.includes(value)) continue;
          findings.push(
            _finding(ctx, r, policy, 'data-store-kept',
              `is ${r.entry[policy] === undefined ? 'missing' : `\`${value}\``}: deleting the stack${policy === 'UpdateReplacePolicy' ? ' or replacing the store' : ''} would ${value === 'Snapshot' ? 'delete this ' + r.type + ', which has no snapshot,' : 'destroy the data this ' + r.type + ' holds'}. ` +
                `Set \`${policy}: ${policy === 'DeletionPolicy' && named ? 'RetainExceptOnCreate' : 'Retain'}\`. ${DOCS}`),
          );
        }
        if (named && r.entry.DeletionPolicy === 'Retain') {
          findings.push(
            _finding(ctx, r, 'DeletionPolicy', 'data-store-kept',
              `is \`Retain\` on a ${r.type} with a fixed name (${named}): if the first create fails, the rollback keeps it, and every retry fails with "already exists". Set \`DeletionPolicy: RetainExceptOnCreate\`. ${DOCS}`),
          );
        }
      }
      return { rule: 'data-store-kept', findings };
    });
}

// --- rule 12: database security groups admit only the declaring services ------------------------

/** Where a database resource names its security groups. */
const DATABASE_GROUPS: Readonly<Record<string, string>> = { 'AWS::RDS::DBCluster': 'VpcSecurityGroupIds', 'AWS::RDS::DBInstance': 'VPCSecurityGroups' };
/** The metadata naming the services a store admits (templates/stacks/data/common.ts). */
export const CLIENTS_MARKER = 'berth:clients';

interface DatabaseGroup {
  readonly ctx: Context;
  readonly group: Resource;
  readonly port?: number;
  /** The services its metadata names: `web (connect)` names `web`. */
  readonly clients: ReadonlySet<string>;
  /** The estate registry names (SSM parameters) that publish its ID, with the environment filled in. */
  readonly registry: ReadonlySet<string>;
}

/** The environment a template belongs to: the folder it is in (output/<env>/). */
function _environmentOf(file: string): string {
  return path.basename(path.dirname(path.resolve(file)));
}

/** A literal or Fn::Sub text, or undefined. */
function _subText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (_isObj(v) && 'Fn::Sub' in v) {
    const sub = v['Fn::Sub'];
    const text = Array.isArray(sub) ? sub[0] : sub;
    return typeof text === 'string' ? text : undefined;
  }
  return undefined;
}

function _databaseGroups(ctx: Context): DatabaseGroup[] {
  const env = _environmentOf(ctx.file);
  const byId = new Map(ctx.resources.map((r) => [r.id, r]));
  const out = new Map<string, DatabaseGroup>();
  for (const db of ctx.resources.filter((r) => r.type in DATABASE_GROUPS)) {
    const port = _port(db.properties.Port);
    for (const id of _referencedIds(db.properties[DATABASE_GROUPS[db.type]!])) {
      const group = byId.get(id);
      if (!group || group.type !== 'AWS::EC2::SecurityGroup' || out.has(id)) continue;
      const metadata = _isObj(group.entry.Metadata) ? group.entry.Metadata[CLIENTS_MARKER] : undefined;
      const clients = new Set(_literals(metadata).map((c) => c.split(' ')[0]!));
      const registry = new Set(
        ctx.resources
          .filter((r) => r.type === 'AWS::SSM::Parameter' && _referencedIds(r.properties.Value).has(id))
          .flatMap((r) => {
            const name = _subText(r.properties.Name);
            return name === undefined ? [] : [name.replaceAll('${EnvironmentName}', env)];
          }),
      );
      out.set(id, { ctx, group, ...(port !== undefined ? { port } : {}), clients, registry });
    }
  }
  return [...out.values()];
}

/** The service a template deploys: its task definition's `berth:service` tag, else `service-<name>.yaml`. */
function _serviceOf(ctx: Context): string | undefined {
  for (const r of ctx.resources.filter((x) => x.type === 'AWS::ECS::TaskDefinition')) {
    for (const tag of _items(r.properties.Tags, '')) {
      if (_isObj(tag.value) && tag.value.Key === 'berth:service' && typeof tag.value.Value === 'string') return tag.value.Value;
    }
  }
  const m = /^service-(.+)\.yaml$/.exec(path.basename(ctx.file));
  return m && ctx.resources.some((x) => x.type === 'AWS::ECS::TaskDefinition') ? m[1] : undefined;
}

/** The database group an ingress rule targets: one of this template's, or one named through a registry parameter. */
function _targetGroup(ctx: Context, rule: Resource, groups: readonly DatabaseGroup[]): DatabaseGroup | undefined {
  const ids = _referencedIds(rule.properties.GroupId);
  const own = groups.find((g) => g.ctx === ctx && ids.has(g.group.id));
  if (own) return own;
  const env = _environmentOf(ctx.file);
  for (const id of ids) {
    const p = ctx.parameters[id];
    const name = _isObj(p) ? _subText(p.Default) : undefined;
    if (name === undefined) continue;
    const g = groups.find((x) => _environmentOf(x.ctx.file) === env && x.registry.has(name));
    if (g) return g;
  }
  return undefined;
}

function _databaseIngress(contexts: readonly Context[]): Evaluation[] {
  const groups = contexts.flatMap(_databaseGroups);
  if (groups.length === 0) return [];
  const out: Evaluation[] = [];
  const rule = 'database-ingress-declared';
  for (const g of groups) {
    const inline = _items(g.group.properties.SecurityGroupIngress, 'Properties.SecurityGroupIngress').filter((i) => i.value !== undefined);
    out.push({
      rule,
      findings: inline.length
        ? [
            _finding(g.ctx, g.group, 'Properties.SecurityGroupIngress', rule,
              'is the security group of a database and admits traffic by itself. A database admits only the services that declare its store (`uses`), each by an AWS::EC2::SecurityGroupIngress in its own stack from its own security group: remove these rules.'),
          ]
        : [],
    });
  }
  for (const ctx of contexts) {
    const service = _serviceOf(ctx);
    const own = new Set(ctx.resources.filter((r) => r.type === 'AWS::EC2::SecurityGroup').map((r) => r.id));
    for (const r of ctx.resources.filter((x) => x.type === 'AWS::EC2::SecurityGroupIngress')) {
      const g = _targetGroup(ctx, r, groups);
      if (!g) continue;
      const findings: PolicyFinding[] = [];
      const fail = (property: string, message: string) => findings.push(_finding(ctx, r, property, rule, message));
      const declared = [...g.clients].map((c) => `\`${c}\``).join(', ') || 'no service';
      const store = `the database of ${path.basename(g.ctx.file)} (security group \`${g.group.id}\`)`;
      if (service === undefined || !g.clients.has(service)) {
        fail('Properties.GroupId', `admits traffic to ${store} from ${service ? `service \`${service}\`, which does not declare the store` : 'a stack that is not a service'}; its metadata admits ${declared}. Add the store to the service's \`uses\` (and rebuild), or remove the rule.`);
      }
      for (const source of ['CidrIp', 'CidrIpv6', 'SourcePrefixListId', 'SourceSecurityGroupName', 'SourceSecurityGroupOwnerId'] as const) {
        if (r.properties[source] !== undefined) fail(`Properties.${source}`, `admits ${source} to ${store}. A database admits only the security groups of declaring services: use SourceSecurityGroupId with the service's own security group.`);
      }
      const sources = _referencedIds(r.properties.SourceSecurityGroupId);
      if (r.properties.SourceSecurityGroupId === undefined || ![...sources].some((id) => own.has(id))) {
        fail('Properties.SourceSecurityGroupId', `is not a security group of this stack: the rule must admit the declaring service's own tasks to ${store}. Set SourceSecurityGroupId to the service's security group (\`!Ref SecurityGroup\`).`);
      }
      const from = _port(r.properties.FromPort);
      const to = _port(r.properties.ToPort);
      if (g.port !== undefined && (from !== g.port || to !== g.port)) {
        fail('Properties.FromPort', `opens ${from ?? '?'}-${to ?? '?'} on ${store}, which listens on ${g.port}. Open exactly the database's port.`);
      }
      out.push({ rule, findings });
    }
  }
  return out;
}

// --- rule 13: task roles' data permissions name their stores -------------------------------------

const DATA_SERVICES = new Set(['dynamodb', 's3']);

/** Text of a Resource entry, placeholders kept (`${Table}`), or undefined for a Ref / GetAtt (which names one resource). */
function _resourceText(v: unknown): string | undefined {
  const text = _subText(v);
  if (text !== undefined) return text;
  if (_isObj(v) && Array.isArray(v['Fn::Join']) && Array.isArray(v['Fn::Join'][1])) {
    return (v['Fn::Join'][1] as unknown[]).map((part) => _resourceText(part) ?? '${ref}').join(String(v['Fn::Join'][0]));
  }
  return undefined;
}

/** Why a data resource ARN names no specific store, or undefined when it does. */
function _unnamed(service: string, arn: string): string | undefined {
  if (arn === '*') return 'every resource';
  const literal = arn.replace(/\$\{[^}]*\}/g, 'x');
  if (service === 'dynamodb') {
    const m = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([^/]+)(?:\/(index|stream)\/(.+))?$/.exec(literal);
    if (!m) return 'no specific table';
    if (m[1]!.includes('*')) return 'every table its pattern matches';
    if (m[3]?.includes('*')) return `every ${m[2]} of the table`;
    return undefined;
  }
  const m = /^arn:[^:]+:s3:::([^/]+)(\/.*)?$/.exec(literal);
  if (!m) return 'no specific bucket';
  return m[1]!.includes('*') ? 'every bucket its pattern matches' : undefined;
}

function _dataGrants(ctx: Context): Evaluation[] {
  const out: Evaluation[] = [];
  for (const role of ctx.resources.filter((r) => r.type === 'AWS::IAM::Role' && JSON.stringify(r.properties.AssumeRolePolicyDocument ?? '').includes('ecs-tasks.amazonaws.com'))) {
    for (const pol of _items(role.properties.Policies, 'Properties.Policies')) {
      if (!_isObj(pol.value)) continue;
      const doc = pol.value.PolicyDocument;
      if (!_isObj(doc)) continue;
      for (const st of _items(doc.Statement, _key(_key(pol.path, 'PolicyDocument'), 'Statement'))) {
        if (!_isObj(st.value) || !_literals(st.value.Effect).includes('Allow')) continue;
        const services = [...new Set(_literals(st.value.Action).map((a) => a.slice(0, a.indexOf(':')).toLowerCase()).filter((x) => DATA_SERVICES.has(x)))];
        if (services.length === 0) continue;
        const findings: PolicyFinding[] = [];
        for (const item of _items(st.value.Resource, _key(st.path, 'Resource'))) {
          const text = _resourceText(item.value);
          if (text === undefined) continue; // a Ref or GetAtt names one resource
          for (const service of services) {
            const why = _unnamed(service, text);
            if (why) {
              findings.push(
                _finding(ctx, role, item.path, 'data-grants-named',
                  `grants ${service} actions on \`${text}\`: ${why}. A task role's data permissions name the tables and buckets its service declares (\`uses\`): give the exact ARN, such as \`arn:\${AWS::Partition}:dynamodb:\${AWS::Region}:\${AWS::AccountId}:table/<name>\` or \`arn:\${AWS::Partition}:s3:::<bucket>/*\`.`),
              );
            }
          }
        }
        if (st.value.NotResource !== undefined) findings.push(_finding(ctx, role, _key(st.path, 'NotResource'), 'data-grants-named', 'grants data actions on NotResource: every table and bucket but the listed ones. Use Resource with the exact ARNs.'));
        out.push({ rule: 'data-grants-named', findings });
      }
    }
  }
  return out;
}

function _emptyResult(): PolicyResult {
  const passedByRule = Object.fromEntries(POLICY_RULES.map((r) => [r, 0])) as Record<PolicyRule, number>;
  return { passed: 0, passedByRule, findings: [], skipped: [] };
}

/** Runs every rule over one template (a database's ingress rules in other templates are not seen: see `checkTemplates`). */
export function checkTemplate(t: PolicyTemplate, options: PolicyOptions = {}): PolicyResult {
  return checkTemplates([t], options);
}

function _context(t: PolicyTemplate, options: PolicyOptions): Context {
  const parameters = _isObj(t.template) && _isObj(t.template.Parameters) ? t.template.Parameters : {};
  return { file: t.file, resources: _resources(t.template), parameters, options };
}

/**
 * Runs every rule over every template: each template's own rules, then the rules across the
 * templates of an environment's folder (a database's security group and the ingress rules the
 * services' stacks add to it).
 */
export function checkTemplates(templates: readonly PolicyTemplate[], options: PolicyOptions = {}): PolicyResult {
  const result = _emptyResult();
  const contexts = templates.map((t) => _context(t, options));
  const add = (e: Evaluation) => {
    if (e.skipped) result.skipped.push(e.skipped);
    else if (e.findings.length) result.findings.push(...e.findings);
    else {
      result.passed += 1;
      result.passedByRule[e.rule] += 1;
    }
  };
  for (const ctx of contexts) {
    for (const e of [..._ingress(ctx), ..._taskRoles(ctx), ..._statements(ctx), ..._ecsExec(ctx), ..._userData(ctx), ..._trust(ctx), ..._stateful(ctx), ..._dataStores(ctx), ..._dataGrants(ctx), ..._launchRoles(ctx)]) add(e);
  }
  for (const e of _databaseIngress(contexts)) add(e);
  return result;
}

/** `<file>: <logicalId> <property>: <message> [rule]` */
export function formatFinding(f: PolicyFinding): string {
  return `${f.file}: ${f.logicalId} ${f.property}: ${f.message} [${f.rule}]`;
}
