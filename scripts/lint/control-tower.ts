/**
 * Gate 3: the AWS Control Tower proactive controls, as cfn-guard rules with AWS's own binary,
 * shipped in @cdklabs/cdk-validator-cfnguard. Results are counted per (rule, resource). A failure
 * counts as skipped when the resource suppresses the rule in its Metadata (`guard:
 * SuppressedRules`, with `Reasons`: what the build writes where a setting justifies the exception,
 * templates/stacks/shared/guard.ts), or when it matches scripts/lint/guard-allowlist.json (the
 * exceptions that hold for every environment). A suppression without a reason, or one that
 * excuses nothing, fails the gate; an allow-list entry without a reason is an error, and an
 * unused one a note. cfn-guard 3.1.1 does not read `SuppressedRules` itself: only rules written
 * to filter on it do, and the Control Tower rules are not.
 */
import { createRequire } from 'node:module';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { attribute, emptyResult, finish, isExecutable, rel, REPO_ROOT, resourceTypes, run, tail, type Finding, type GateResult } from './common.ts';
import { parseTemplate } from '../../src/emit/parse.ts';

export const GUARD_PACKAGE = '@cdklabs/cdk-validator-cfnguard';
export const DEFAULT_ALLOWLIST = path.join(REPO_ROOT, 'scripts', 'lint', 'guard-allowlist.json');

export interface AllowEntry {
  /** Control Tower rule ID (`CT.S3.PR.9`) or guard rule name. */
  rule: string;
  /** Logical ID, or `*`. */
  resource: string;
  /** `load-balancer.yaml` (every environment), `dev/load-balancer.yaml` (one), `dev/service-*.yaml`, or `*`. */
  template: string;
  /** Why the control does not apply or is accepted: shown in `make lint` and listed in the README. */
  reason: string;
}

export interface ControlTowerOptions {
  /** Allow-list entries, or a path to a JSON file holding them. Default: scripts/lint/guard-allowlist.json. */
  allowlist?: AllowEntry[] | string;
}

export interface GuardPaths {
  packageDir: string;
  binary: string;
  rulesDir: string;
  metadataDir: string;
}

function resolveGuardPackage(): string {
  try {
    const req = createRequire(path.join(REPO_ROOT, 'package.json'));
    return path.dirname(req.resolve(`${GUARD_PACKAGE}/package.json`));
  } catch {
    return path.join(REPO_ROOT, 'node_modules', ...GUARD_PACKAGE.split('/'));
  }
}

export function guardPaths(): GuardPaths {
  // Override for an out-of-tree install (e.g. a CI cache): BERTH_CFN_GUARD_PACKAGE_DIR=/path/to/package
  const override = process.env.BERTH_CFN_GUARD_PACKAGE_DIR;
  const packageDir = override ? path.resolve(override) : resolveGuardPackage();
  const platform = process.platform === 'linux' ? 'ubuntu' : process.platform === 'darwin' ? 'macos' : process.platform;
  const arch = process.arch === 'x64' ? 'x86_64' : process.arch === 'arm64' ? 'aarch64' : process.arch;
  return {
    packageDir,
    binary: path.join(packageDir, 'bin', platform, arch, 'cfn-guard'),
    rulesDir: path.join(packageDir, 'rules', 'control-tower', 'cfn-guard'),
    metadataDir: path.join(packageDir, 'rules', 'control-tower', 'metadata'),
  };
}

interface RuleInfo {
  id: string; // CT.SQS.PR.1
  resourceTypes: string[];
  /** The .guard file that holds the rule. */
  file: string;
}

/**
 * guard rule name (e.g. sqs_dlq_check) -> Control Tower control id and evaluated types.
 * Layout: rules/control-tower/cfn-guard/<service>/ct-<x>-pr-<n>.guard, metadata in
 * rules/control-tower/metadata/<service>/ct-<x>-pr-<n>.metadata.json.
 */
async function loadRuleInfo(g: GuardPaths): Promise<Map<string, RuleInfo>> {
  const map = new Map<string, RuleInfo>();
  for (const service of await readdir(g.rulesDir)) {
    for (const f of await readdir(path.join(g.rulesDir, service))) {
      if (!f.endsWith('.guard')) continue;
      const text = await readFile(path.join(g.rulesDir, service, f), 'utf8');
      const base = f.replace(/\.guard$/, '');
      let id = base.replace(/^ct-/, 'CT.').replace(/-pr-(\d+)$/, '.PR.$1').toUpperCase();
      let resourceTypes: string[] = [];
      try {
        const meta = JSON.parse(
          await readFile(path.join(g.metadataDir, service, `${base}.metadata.json`), 'utf8'),
        ) as { Id?: string; EvaluatedResourceTypes?: string[] };
        id = meta.Id ?? id;
        resourceTypes = meta.EvaluatedResourceTypes ?? [];
      } catch {
        /* no metadata: keep the id derived from the file name */
      }
      for (const m of text.matchAll(/^rule\s+(\w+)\s+when\s+is_cfn_template/gm)) {
        if (m[1]) map.set(m[1], { id, resourceTypes, file: path.join(g.rulesDir, service, f) });
      }
    }
  }
  return map;
}

export async function loadAllowlist(src: AllowEntry[] | string = DEFAULT_ALLOWLIST): Promise<{
  entries: AllowEntry[];
  errors: string[];
}> {
  let raw: unknown = src;
  const where = typeof src === 'string' ? rel(src) : 'allow-list';
  if (typeof src === 'string') {
    try {
      raw = JSON.parse(await readFile(src, 'utf8'));
    } catch (e) {
      return { entries: [], errors: [`${where}: cannot read: ${(e as Error).message}`] };
    }
  }
  if (!Array.isArray(raw)) return { entries: [], errors: [`${where}: must be a JSON array`] };
  const entries: AllowEntry[] = [];
  const errors: string[] = [];
  raw.forEach((e: unknown, i) => {
    const o = (e ?? {}) as Record<string, unknown>;
    const missing = (['rule', 'resource', 'template', 'reason'] as const).filter(
      (k) => typeof o[k] !== 'string' || !(o[k] as string).trim(),
    );
    if (typeof e !== 'object' || e === null || missing.length) {
      errors.push(`${where}[${i}]: missing or empty ${missing.join(', ') || 'entry'} (${JSON.stringify(e)})`);
    } else {
      entries.push(o as unknown as AllowEntry);
    }
  });
  return { entries, errors };
}

/** A resource's `Metadata.guard`: the rules it suppresses, each with its reason (undefined: none given). */
type Suppressions = Map<string, Map<string, string | undefined>>;

/** The suppressions each resource of a template declares, and what is malformed about them. */
async function guardSuppressions(file: string): Promise<{ byResource: Suppressions; problems: Finding[] }> {
  const doc = parseTemplate(await readFile(file, 'utf8'), rel(file)) as { Resources?: Record<string, { Metadata?: { guard?: { SuppressedRules?: unknown; Reasons?: unknown } } }> };
  const byResource: Suppressions = new Map();
  const problems: Finding[] = [];
  for (const [id, r] of Object.entries(doc?.Resources ?? {})) {
    const guard = r?.Metadata?.guard;
    if (guard === undefined) continue;
    const rules = guard.SuppressedRules;
    const reasons = (guard.Reasons ?? {}) as Record<string, unknown>;
    if (!Array.isArray(rules) || !rules.every((x) => typeof x === 'string')) {
      problems.push({ file: rel(file), resource: id, rule: 'Metadata.guard', message: 'Metadata.guard.SuppressedRules must be a list of cfn-guard rule names.' });
      continue;
    }
    byResource.set(id, new Map(rules.map((rule: string) => [rule, typeof reasons[rule] === 'string' && reasons[rule].trim() ? reasons[rule] : undefined])));
  }
  return { byResource, problems };
}

/** Logical IDs of the resources a failing guard rule points at. */
function failingResources(node: unknown): Set<string> {
  const ids = new Set<string>();
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) {
      n.forEach(visit);
    } else if (n && typeof n === 'object') {
      for (const [k, v] of Object.entries(n)) {
        if (k === 'path' && typeof v === 'string') {
          const m = /^\/Resources\/([^/]+)/.exec(v);
          if (m?.[1]) ids.add(m[1]);
        } else if (k === 'Disjunctions') {
          // All alternatives failed for the same subject; later alternatives may look up
          // *referenced* resources, so attribute to the first alternative's resources only.
          const checks = (v as { checks?: unknown[] }).checks ?? [];
          for (const c of checks) {
            const sub = failingResources(c);
            if (sub.size) {
              sub.forEach((s) => ids.add(s));
              break;
            }
          }
        } else {
          visit(v);
        }
      }
    }
  };
  visit(node);
  return ids;
}

interface GuardFileResult {
  name: string;
  status: string;
  compliant: string[];
  not_applicable: string[];
  not_compliant: { Rule: { name: string } }[] | Record<string, { Rule: { name: string } }>;
}

/** Whether an entry's `template` names this file: `*`, its base name, or `<env>/<base name>`, with `*` globs. */
function appliesToFile(e: AllowEntry, file: string): boolean {
  if (e.template === '*') return true;
  // `service-web.yaml` matches that template in every environment; `dev/service-web.yaml` in one.
  const glob = new RegExp(`^${e.template.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  return glob.test(path.basename(file)) || glob.test(file.split(path.sep).slice(-2).join('/'));
}

function matchesAllow(e: AllowEntry, ruleId: string, ruleName: string, resource: string, file: string): boolean {
  const rule = e.rule.trim().toUpperCase();
  const ruleOk = rule === ruleId.toUpperCase() || rule === ruleName.toUpperCase();
  const resOk = e.resource === '*' || e.resource === resource;
  return ruleOk && resOk && appliesToFile(e, file);
}

export async function runControlTower(files: string[], opts: ControlTowerOptions = {}): Promise<GateResult> {
  const start = performance.now();
  const r = emptyResult('control-tower', files);
  const summarize = () => `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (allow-listed)`;
  const allow = await loadAllowlist(opts.allowlist);
  r.errors.push(...allow.errors);
  if (files.length === 0) return finish(r, start, summarize());
  const g = guardPaths();
  if (!(await isExecutable(g.binary))) {
    r.errors.push(
      `${rel(g.binary)} not found or not executable (npm install ${GUARD_PACKAGE}; ` +
        `if it exists, chmod +x it)`,
    );
    return finish(r, start, summarize());
  }
  const [rules, types, suppressed] = await Promise.all([
    loadRuleInfo(g),
    Promise.all(files.map((f) => resourceTypes(f).catch(() => new Map<string, string>()))),
    Promise.all(files.map((f) => guardSuppressions(f).catch(() => ({ byResource: new Map() as Suppressions, problems: [] as Finding[] })))),
  ]);
  const suppressionsByFile = new Map(files.map((f, i) => [path.resolve(f), suppressed[i]!.byResource]));
  /** `file\0resource\0rule` of each suppression that excused a failure. */
  const usedSuppressions = new Set<string>();
  // Each template gets only the rule files that evaluate a resource type it uses (or that declare
  // no types): the others could only say "not applicable", and cfn-guard's time grows with rules
  // times templates (about 2 ms each, measured), so templates with the same rule set share one run.
  const groups = new Map<string, { rules: string[]; files: string[] }>();
  files.forEach((file, i) => {
    const present = new Set(types[i]!.values());
    const ruleFiles = [...new Set([...rules.values()].filter((x) => x.resourceTypes.length === 0 || x.resourceTypes.some((t) => present.has(t))).map((x) => x.file))].sort();
    const key = ruleFiles.join('\0');
    groups.set(key, { rules: ruleFiles, files: [...(groups.get(key)?.files ?? []), file] });
  });
  // A template no rule evaluates has nothing to run (cfn-guard wants at least one rule file).
  const runs = await Promise.all(
    [...groups.values()].filter((group) => group.rules.length > 0).map((group) =>
      run(g.binary, ['validate', ...group.rules.flatMap((f) => ['--rules', f]), ...group.files.flatMap((f) => ['--data', f]), '--output-format', 'json', '--show-summary', 'none', '--structured']),
    ),
  );
  const parsed: GuardFileResult[] = [];
  for (const res of runs) {
    try {
      const one = JSON.parse(res.stdout) as GuardFileResult[];
      if (!Array.isArray(one)) throw new Error('not an array');
      parsed.push(...one);
    } catch {
      r.errors.push(`cfn-guard exited ${res.code} without JSON output: ${tail(res.stderr || res.stdout)}`);
      return finish(r, start, summarize());
    }
    // 0 = all compliant, 19 = some rule not compliant; anything else is an error.
    if (res.code !== 0 && res.code !== 19) r.errors.push(`cfn-guard exited ${res.code}: ${tail(res.stderr)}`);
  }

  const typesByFile = new Map(files.map((f, i) => [path.resolve(f), types[i]]));
  const used = new Set<AllowEntry>();
  const passedIn = new Map<string, number>();
  const usedIn = new Map<string, Set<string>>();
  for (const fr of parsed) {
    const file = path.resolve(REPO_ROOT, fr.name);
    const passedBefore = r.passed;
    const resTypes = typesByFile.get(file) ?? new Map<string, string>();
    const applicable = (ruleName: string): string[] => {
      const info = rules.get(ruleName);
      const ids = [...resTypes].filter(([, t]) => info?.resourceTypes.includes(t)).map(([id]) => id);
      return ids.length ? ids : ['*'];
    };
    // A compliant rule passes for every resource of the types it evaluates.
    for (const name of fr.compliant ?? []) r.passed += applicable(name).length;

    for (const nc of Object.values(fr.not_compliant ?? {})) {
      const ruleName = nc.Rule.name;
      const info = rules.get(ruleName);
      const ruleId = info?.id ?? ruleName;
      const failing = failingResources(nc.Rule);
      if (failing.size === 0) failing.add('*');
      r.passed += applicable(ruleName).filter((id) => id !== '*' && !failing.has(id)).length;
      const msg = guardMessage(nc.Rule, ruleName);
      for (const resource of [...failing].sort()) {
        const entry = allow.entries.find((e) => matchesAllow(e, ruleId, ruleName, resource, file));
        const f: Finding = { file: rel(file), resource, rule: ruleId, message: msg };
        const own = suppressionsByFile.get(file)?.get(resource);
        if (own?.has(ruleName)) {
          usedSuppressions.add(`${file}\0${resource}\0${ruleName}`);
          const reason = own.get(ruleName);
          if (reason === undefined) r.failures.push({ ...f, message: `Metadata.guard suppresses ${ruleName} without a reason: add Metadata.guard.Reasons.${ruleName}, saying which setting justifies it.` });
          else r.skips.push({ ...f, message: `suppressed in Metadata: ${reason}` });
        } else if (entry) {
          used.add(entry);
          usedIn.set(rel(file), (usedIn.get(rel(file)) ?? new Set()).add(JSON.stringify(entry)));
          r.skips.push({ ...f, message: `allow-listed: ${entry.reason}` });
        } else {
          r.failures.push(f);
        }
      }
    }
    passedIn.set(rel(file), (passedIn.get(rel(file)) ?? 0) + r.passed - passedBefore);
  }
  // A suppression the build wrote that excused nothing is a build mistake (the control passes or
  // does not apply, or the rule name is wrong): it fails, so exceptions never outlive their reason.
  for (const [i, f] of files.entries()) {
    const file = path.resolve(f);
    r.failures.push(...suppressed[i]!.problems);
    for (const [resource, rulesOf] of suppressionsByFile.get(file) ?? []) {
      for (const ruleName of rulesOf.keys()) {
        if (usedSuppressions.has(`${file}\0${resource}\0${ruleName}`)) continue;
        const known = rules.get(ruleName);
        r.failures.push({
          file: rel(file),
          resource,
          rule: known ? known.id : ruleName,
          message: known
            ? `Metadata.guard suppresses ${ruleName}, but the control passes here: remove the suppression.`
            : `Metadata.guard suppresses ${ruleName}, which is no Control Tower rule: use a rule name from ${rel(g.rulesDir)}.`,
        });
      }
    }
  }
  // An entry for a template that was scanned but excused nothing is stale: say so. (Entries for
  // templates not scanned, say prod's when only output/dev is linted, are simply not in play.)
  for (const e of allow.entries) {
    if (!used.has(e) && files.some((f) => appliesToFile(e, f))) r.notes.push(`unused allow-list entry: ${JSON.stringify(e)}`);
  }
  r.failed = r.failures.length;
  r.skipped = r.skips.length;
  attribute(r, files, (f) => passedIn.get(rel(f)) ?? 0);
  for (const [file, entries] of usedIn) if (r.byFile[file]) r.byFile[file].allowUsed = [...entries].sort();
  return finish(r, start, summarize());
}

/** The notes of unused allow-list entries, from which entries each scanned template used (the lint cache merges templates' results). */
export async function unusedAllowNotes(files: readonly string[], usedEntries: ReadonlySet<string>, allowlist: AllowEntry[] | string = DEFAULT_ALLOWLIST): Promise<string[]> {
  const { entries } = await loadAllowlist(allowlist);
  return entries.filter((e) => !usedEntries.has(JSON.stringify(e)) && files.some((f) => appliesToFile(e, f))).map((e) => `unused allow-list entry: ${JSON.stringify(e)}`);
}

/** The control's title from the rule's custom message, e.g. "Require any Amazon SQS queue ...". */
function guardMessage(rule: unknown, fallback: string): string {
  let found: string | undefined;
  const visit = (n: unknown): void => {
    if (found) return;
    if (Array.isArray(n)) n.forEach(visit);
    else if (n && typeof n === 'object') {
      const msg = (n as { messages?: { custom_message?: unknown } }).messages?.custom_message;
      if (typeof msg === 'string' && /\[CT\.[^\]]+\]/.test(msg)) {
        const lines = msg.split('\n').map((l) => l.trim()).filter(Boolean);
        const title = lines.find((l) => /^\[CT\./.test(l))?.replace(/^\[[^\]]+\]:\s*/, '');
        const fix = lines.find((l) => l.startsWith('[FIX]'))?.replace(/^\[FIX\]:\s*/, '');
        found = [title, fix && `Fix: ${fix}`].filter(Boolean).join(' ');
        return;
      }
      Object.values(n).forEach(visit);
    }
  };
  visit(rule);
  return found ?? fallback;
}

