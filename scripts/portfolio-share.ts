/**
 * The portfolio shared with the organisation, organisational units or member accounts
 * (`scripts/deploy.sh <env> --template service-catalog --share-with NODE`, `make publish
 * SHARE=...`, which run this once the portfolio stack is deployed).
 * https://docs.aws.amazon.com/servicecatalog/latest/dg/API_CreatePortfolioShare.html
 *
 * - Shares to an organisation node need Service Catalog's access to AWS Organizations
 *   (`aws servicecatalog enable-aws-organizations-access`, once, in the management account), and
 *   only the management account or a delegated administrator can create them: checked first
 *   (API_GetAWSOrganizationsAccessStatus.html), so the refusal names the fix.
 * - Each node's share is created with the portfolio's TagOptions (`--share-tag-options`): the
 *   launch role creates EC2 and KMS resources only with the environment's tag, which the
 *   TagOption puts on what a member account provisions. Principals are not shared: berth's are IAM
 *   ARNs of this account (`PrincipalType: IAM`), which a member account cannot use; its
 *   administrator associates its own (docs/many-accounts.md).
 * - A share that exists is left alone ("this action will have no effect"), or updated with
 *   `update-portfolio-share` if it lacks the TagOptions. Creating and updating a share to a node
 *   is asynchronous: each is followed to its end (API_DescribePortfolioShareStatus.html), and the
 *   accounts it failed in are printed.
 * - The published product templates are under <prefix>/<env>/ in the template bucket; the
 *   foundation product's nested templates are read from there in the member accounts, so the
 *   bucket policy grants the organisation (aws:PrincipalOrgID) or the accounts read on that prefix
 *   (`grantTemplateRead`, as for a stack set).
 * Shares to organisation nodes are imported automatically ("If the recipient is in an
 * organization node, the share is automatically imported": API_PortfolioShareDetail.html).
 *
 *   node --import tsx scripts/portfolio-share.ts <env> --stack-name S --region R --bucket B --key-prefix P --share-with NODE [...]
 */
import { parseArgs } from 'node:util';
import { BerthError } from '../src/dsl/errors.ts';
import { runScript } from './run-script.ts';
import { awsCli, makeAws, type Aws } from './deploy-aws.ts';
import { grantTemplateRead, organizationId, type TemplateReader } from './stackset.ts';

/** A share target as `--share-with` names it. */
export type ShareNode =
  | { readonly type: 'ORGANIZATION'; readonly value?: string }
  | { readonly type: 'ORGANIZATIONAL_UNIT'; readonly value: string }
  | { readonly type: 'ACCOUNT'; readonly value: string };

/**
 * `--share-with` values: `organization` (this organisation), its ID `o-...`, an organisational unit
 * `ou-...`, or a member account's 12-digit ID. The ID patterns are AWS Organizations'.
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_OrganizationalUnit.html
 */
export function parseShareNode(text: string): ShareNode {
  if (text === 'organization' || text === 'organisation') return { type: 'ORGANIZATION' };
  if (/^o-[a-z0-9]{10,32}$/.test(text)) return { type: 'ORGANIZATION', value: text };
  if (/^ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}$/.test(text)) return { type: 'ORGANIZATIONAL_UNIT', value: text };
  if (/^[0-9]{12}$/.test(text)) return { type: 'ACCOUNT', value: text };
  throw new BerthError(
    `\`--share-with ${text}\``,
    'expected `organization`, an organisation ID (o-a1b2c3d4e5), an organisational unit ID (ou-ab12-cd345678) or a member account ID (12 digits). Give one of them (repeat --share-with for several).',
  );
}

/** `describe-portfolio-shares --type` for a node: an account node's share is listed as a member account's. */
export function listType(node: ShareNode): string {
  return node.type === 'ACCOUNT' ? 'ORGANIZATION_MEMBER_ACCOUNT' : node.type;
}

/** The create (or update) request of one node's share, TagOptions shared. */
export function shareArguments(verb: 'create' | 'update', portfolio: string, node: ShareNode & { readonly value: string }): string[] {
  return ['servicecatalog', `${verb}-portfolio-share`, '--portfolio-id', portfolio, '--organization-node', `Type=${node.type},Value=${node.value}`, '--share-tag-options'];
}

/** Statuses of a share still being made. https://docs.aws.amazon.com/servicecatalog/latest/dg/API_DescribePortfolioShareStatus.html */
const RUNNING = new Set(['NOT_STARTED', 'IN_PROGRESS']);

interface ShareError {
  readonly Accounts?: readonly string[];
  readonly Message?: string;
  readonly Error?: string;
}

/** Follows one share to its end; returns whether it completed in every account. */
async function follow(aws: Aws, token: string, label: string, out: (l: string) => void, pollSeconds: number): Promise<boolean> {
  let last = '';
  for (;;) {
    const r = await aws('servicecatalog', 'describe-portfolio-share-status', '--portfolio-share-token', token);
    if (!r.ok) throw new BerthError(`portfolio share ${label}`, `cannot read its status (${r.message}). Look at it with \`aws servicecatalog describe-portfolio-share-status --portfolio-share-token ${token}\`.`);
    const status = String(r.json?.Status ?? 'UNKNOWN');
    if (status !== last) out(`  ${label.padEnd(28)} ${status}`);
    last = status;
    if (!RUNNING.has(status)) {
      const details = r.json?.ShareDetails ?? {};
      for (const e of (details.ShareErrors ?? []) as ShareError[]) {
        out(`    not shared with ${(e.Accounts ?? []).join(', ') || 'some accounts'}: ${e.Error ?? 'error'}${e.Message ? `: ${e.Message}` : ''}`);
      }
      return status === 'COMPLETED';
    }
    await new Promise((resolve) => setTimeout(resolve, pollSeconds * 1000));
  }
}

export interface ShareOptions {
  readonly env: string;
  readonly stackName: string;
  readonly nodes: readonly ShareNode[];
  readonly bucket?: string;
  readonly keyPrefix: string;
  readonly pollSeconds: number;
}

/** Shares the portfolio of stack `stackName` with each node; returns the exit code (1: a share failed). */
export async function share(aws: Aws, o: ShareOptions, out: (l: string) => void): Promise<number> {
  const where = `portfolio share (stack ${o.stackName})`;
  const stack = await aws('cloudformation', 'describe-stacks', '--stack-name', o.stackName);
  const outputs = (stack.json?.Stacks?.[0]?.Outputs ?? []) as { OutputKey: string; OutputValue: string }[];
  const portfolio = outputs.find((x) => x.OutputKey === 'PortfolioId')?.OutputValue;
  if (!portfolio) throw new BerthError(where, `${stack.ok ? 'the stack has no PortfolioId output' : `cannot read the stack (${stack.message})`}. Publish the portfolio first: \`make publish ENV=${o.env}\`.`);
  const access = await aws('servicecatalog', 'get-aws-organizations-access-status');
  const status = String(access.json?.AccessStatus ?? '');
  if (!access.ok || status !== 'ENABLED') {
    throw new BerthError(
      where,
      `Service Catalog's access to AWS Organizations is ${access.ok ? status || 'unknown' : `unreadable (${access.message})`}, and shares to an organisation node need it. Run \`aws servicecatalog enable-aws-organizations-access\` once in the organisation's management account, and share from it or from a delegated administrator (docs/many-accounts.md).`,
    );
  }
  const caller = await aws('sts', 'get-caller-identity');
  const partition = String(caller.json?.Arn ?? 'arn:aws:').split(':')[1] || 'aws';
  const needsOrg = o.nodes.some((n) => n.type !== 'ACCOUNT');
  const org = needsOrg ? await organizationId(aws, where) : undefined;
  const nodes = o.nodes.map((n) => ({ ...n, value: n.value ?? org! }));

  out(`==> sharing portfolio ${portfolio} (berth ${o.env}) with ${nodes.map((n) => `${n.type.toLowerCase().replace(/_/g, ' ')} ${n.value}`).join(', ')}`);
  let ok = true;
  for (const node of nodes) {
    const label = `${node.type} ${node.value}`;
    const listed = await aws('servicecatalog', 'describe-portfolio-shares', '--portfolio-id', portfolio, '--type', listType(node));
    const existing = ((listed.json?.PortfolioShareDetails ?? []) as { PrincipalId?: string; ShareTagOptions?: boolean }[]).find((d) => d.PrincipalId === node.value);
    if (existing?.ShareTagOptions) {
      out(`  ${label.padEnd(28)} already shared (TagOptions included)`);
      continue;
    }
    const verb = existing ? 'update' : 'create';
    const r = await aws(...shareArguments(verb, portfolio, node));
    if (!r.ok) throw new BerthError(where, `Service Catalog refused to ${verb} the share with ${label}: ${r.code ? `${r.code}: ` : ''}${r.message}. Share from the management account or a delegated administrator, with a node of this organisation.`);
    const token = r.json?.PortfolioShareToken;
    if (token) ok = (await follow(aws, String(token), label, out, o.pollSeconds)) && ok;
    else out(`  ${label.padEnd(28)} ${verb === 'create' ? 'shared' : 'updated'}`);
  }
  if (o.bucket) {
    const accounts = nodes.filter((n) => n.type === 'ACCOUNT').map((n) => n.value);
    const readers: TemplateReader[] = [...(org ? [{ organizationId: org }] : []), ...(accounts.length && !org ? [{ accounts }] : [])];
    for (const reader of readers) await grantTemplateRead(aws, o.bucket, o.keyPrefix, partition, reader, out);
  }
  out(
    ok
      ? `[pass] portfolio ${portfolio} shared; in a member account, associate a principal and launch (docs/many-accounts.md): aws servicecatalog associate-principal-with-portfolio --portfolio-id ${portfolio} --principal-type IAM --principal-arn arn:${partition}:iam::<member account>:role/<role>`
      : `[fail] portfolio ${portfolio}: a share did not complete in every account (above). Fix what it names and publish again: shares that exist are kept`,
  );
  return ok ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      'stack-name': { type: 'string' },
      region: { type: 'string' },
      bucket: { type: 'string' },
      'key-prefix': { type: 'string' },
      'share-with': { type: 'string', multiple: true },
    },
    allowPositionals: true,
  });
  const env = positionals[0];
  if (!env || !values['stack-name'] || !values.region || !values['share-with']?.length) {
    throw new BerthError('scripts/portfolio-share.ts', 'needs `<env> --stack-name S --region R --share-with NODE`. Run it through `scripts/deploy.sh <env> --template service-catalog --share-with NODE`.');
  }
  const nodes = values['share-with'].map(parseShareNode);
  const aws = makeAws(awsCli(new URL('..', import.meta.url).pathname), values.region);
  try {
    return await share(aws, { env, stackName: values['stack-name'], nodes, bucket: values.bucket, keyPrefix: values['key-prefix'] ?? `berth/${env}`, pollSeconds: Number(process.env.BERTH_POLL_SECONDS ?? '5') }, (l) => console.log(l));
  } finally {
    aws.close();
  }
}

runScript(import.meta, main);
