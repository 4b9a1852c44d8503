/**
 * berth security/lint gate runner.
 *
 *   node --import tsx scripts/lint.ts [dir] [--timings]
 *
 * Runs four gates, concurrently, over every *.yaml / *.yml file under `dir`
 * (default: output/), fully offline:
 *
 *   1. cfn-lint       .venv/bin/cfn-lint, informational rules included (-c I),
 *                     one batched call, --regions us-east-1 eu-west-1.
 *   2. checkov        .venv/bin/checkov --framework cloudformation --skip-download,
 *                     JSON output. Skips are declared per resource in
 *                     `Metadata: checkov: skip: [{id, comment}]`; a skip without a
 *                     comment is reported as a failure.
 *   3. control-tower  cfn-guard + AWS Control Tower proactive-control rules shipped
 *                     in @cdklabs/cdk-validator-cfnguard. Results are counted per
 *                     (rule, resource). Failures matching scripts/guard-allowlist.json
 *                     count as skipped; an allow-list entry without a reason is an error.
 *   4. policy         berth's own checks (scripts/policy.ts) for what the tools above do not
 *                     check. Counted per (rule, subject) evaluation; ECS Exec on a service whose
 *                     definition enables it counts as skipped.
 *
 * Prints one summary line per gate, then failure details; exits 1 if any gate fails
 * (2 on usage errors, e.g. no templates found).
 */
import { spawn } from 'node:child_process';
import { existsSync, constants as fsConstants } from 'node:fs';
import { access, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadSettings } from '../templates/settings.ts';
import { parseTemplate } from '../src/parse.ts';
import { checkTemplates, ecsExecAllowed, parseTemplate as policyTemplate, type PolicyOptions, type PolicyTemplate } from './policy.ts';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CFN_LINT_REGIONS = ['us-east-1', 'eu-west-1'];
export const GUARD_PACKAGE = '@cdklabs/cdk-validator-cfnguard';
export const DEFAULT_ALLOWLIST = path.join(REPO_ROOT, 'scripts', 'guard-allowlist.json');

export type GateName = 'cfn-lint' | 'checkov' | 'control-tower' | 'policy';

export interface Finding {
  file: string;
  /** Logical ID (or e.g. `Parameters/Foo` for non-resource findings). */
  resource: string;
  rule: string;
  message: string;
  /** policy: path of the offending property inside the resource. */
  property?: string;
}

export interface GateResult {
  gate: GateName;
  ok: boolean;
  /** Summary text after the `[pass] gate: ` prefix. */
  summary: string;
  files: number;
  /** cfn-lint: files without findings; checkov: passed checks; control-tower: passed (rule, resource) pairs; policy: passed (rule, subject) evaluations. */
  passed: number;
  /** cfn-lint: findings; checkov: failed checks; control-tower: failed (rule, resource) pairs; policy: findings. */
  failed: number;
  /** checkov: Metadata skips; control-tower: allow-listed failures; policy: allowed ECS Exec; cfn-lint: 0. */
  skipped: number;
  failures: Finding[];
  skips: Finding[];
  /** Tool crashes, unparseable output, invalid allow-list, ... Any error fails the gate. */
  errors: string[];
  /** Non-fatal remarks (e.g. unused allow-list entries). */
  notes: string[];
  durationMs: number;
}

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
  /** Allow-list entries, or a path to a JSON file holding them. Default: scripts/guard-allowlist.json. */
  allowlist?: AllowEntry[] | string;
}

// ---------------------------------------------------------------------------
// helpers

interface RunOutput {
  code: number | null;
  stdout: string;
  stderr: string;
  spawnError?: Error;
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<RunOutput> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => resolve({ code: null, stdout: '', stderr: String(e), spawnError: e }));
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

async function isExecutable(p: string): Promise<boolean> {
  try {
    await access(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function tail(s: string, n = 1500): string {
  const t = s.trim();
  return t.length > n ? '...' + t.slice(-n) : t;
}

function rel(file: string): string {
  const r = path.relative(REPO_ROOT, file);
  return r.startsWith('..') ? file : r;
}

function emptyResult(gate: GateName, files: string[]): GateResult {
  return {
    gate, ok: true, summary: '', files: files.length, passed: 0, failed: 0, skipped: 0,
    failures: [], skips: [], errors: [], notes: [], durationMs: 0,
  };
}

function finish(r: GateResult, start: number, summary: string): GateResult {
  r.durationMs = Math.round(performance.now() - start);
  r.ok = r.failed === 0 && r.errors.length === 0;
  r.summary = r.errors.length ? `${summary} (${r.errors.length} error${r.errors.length > 1 ? 's' : ''})` : summary;
  return r;
}

/** All *.yaml / *.yml files under dir (recursive, sorted, absolute paths). */
export async function findTemplates(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string): Promise<void> {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(path.resolve(p));
    }
  }
  await walk(dir);
  return out.sort();
}

/** logical ID -> resource Type for one template. */
async function resourceTypes(file: string): Promise<Map<string, string>> {
  const doc = parseTemplate(await readFile(file, 'utf8'), rel(file)) as { Resources?: Record<string, { Type?: unknown }> };
  const m = new Map<string, string>();
  for (const [id, r] of Object.entries(doc?.Resources ?? {})) {
    if (r && typeof r.Type === 'string') m.set(id, r.Type);
  }
  return m;
}

// ---------------------------------------------------------------------------
// gate 1: cfn-lint

interface CfnLintMatch {
  Rule: { Id: string };
  Level: string;
  Filename: string;
  Message: string;
  Location: { Path?: (string | number)[]; Start?: { LineNumber?: number } };
}

export async function runCfnLint(files: string[]): Promise<GateResult> {
  const start = performance.now();
  const r = emptyResult('cfn-lint', files);
  const bin = path.join(REPO_ROOT, '.venv', 'bin', 'cfn-lint');
  const summarize = () => `${files.length} files, ${r.failed} findings`;
  if (files.length === 0) return finish(r, start, summarize());
  if (!(await isExecutable(bin))) {
    r.errors.push(`${rel(bin)} not found or not executable (run: make / .venv/bin/pip install -r requirements.txt)`);
    return finish(r, start, summarize());
  }
  // `--` is required: --regions and -c take a variable number of values.
  const res = await run(bin, [
    '--format', 'json', '-c', 'I', '--regions', ...CFN_LINT_REGIONS, '--', ...files,
  ]);
  let matches: CfnLintMatch[];
  try {
    matches = JSON.parse(res.stdout) as CfnLintMatch[];
    if (!Array.isArray(matches)) throw new Error('not an array');
  } catch {
    r.errors.push(`cfn-lint exited ${res.code} without JSON output: ${tail(res.stderr || res.stdout)}`);
    return finish(r, start, summarize());
  }
  // Exit code is a bitmask of 2 (error), 4 (warning), 8 (informational); anything else is a crash.
  if (res.code === null || (res.code & ~0b1110) !== 0) {
    r.errors.push(`cfn-lint exited ${res.code}: ${tail(res.stderr)}`);
  }
  const filesWithFindings = new Set<string>();
  for (const m of matches) {
    const p = m.Location?.Path ?? [];
    const resource = p[0] === 'Resources' && p.length > 1 ? String(p[1]) : p.slice(0, 2).join('/') || '-';
    const line = m.Location?.Start?.LineNumber;
    const file = path.resolve(REPO_ROOT, m.Filename);
    filesWithFindings.add(file);
    r.failures.push({
      file: rel(file) + (line ? `:${line}` : ''),
      resource,
      rule: m.Rule.Id,
      message: `[${m.Level}] ${m.Message}`,
    });
  }
  r.failed = r.failures.length;
  r.passed = files.filter((f) => !filesWithFindings.has(f)).length;
  return finish(r, start, summarize());
}

// ---------------------------------------------------------------------------
// gate 2: checkov

interface CheckovCheck {
  check_id: string;
  check_name: string;
  resource: string;
  file_abs_path?: string;
  file_path?: string;
  file_line_range?: [number, number];
  check_result?: { result: string; suppress_comment?: string };
}
interface CheckovReport {
  check_type?: string;
  results?: {
    passed_checks?: CheckovCheck[];
    failed_checks?: CheckovCheck[];
    skipped_checks?: CheckovCheck[];
    parsing_errors?: string[];
  };
  summary?: { passed: number; failed: number; skipped: number; parsing_errors: number };
  // An empty run prints the bare summary object.
  passed?: number;
  failed?: number;
  skipped?: number;
}

const CHECKOV_NO_COMMENT = 'No comment provided';

function checkovFinding(c: CheckovCheck, message: string): Finding {
  const file = c.file_abs_path ?? c.file_path ?? '?';
  const line = c.file_line_range?.[0];
  return {
    file: rel(path.resolve(REPO_ROOT, file)) + (line ? `:${line}` : ''),
    resource: c.resource.includes('.') ? c.resource.slice(c.resource.indexOf('.') + 1) : c.resource,
    rule: c.check_id,
    message,
  };
}

/** Never talk to the Prisma Cloud platform, even if a developer has an API key exported. */
function checkovEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'WARNING' };
  delete env.BC_API_KEY;
  delete env.PRISMA_API_URL;
  return env;
}

export async function runCheckov(files: string[]): Promise<GateResult> {
  const start = performance.now();
  const r = emptyResult('checkov', files);
  const bin = path.join(REPO_ROOT, '.venv', 'bin', 'checkov');
  const summarize = () => `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
  if (files.length === 0) return finish(r, start, summarize());
  if (!(await isExecutable(bin))) {
    r.errors.push(`${rel(bin)} not found or not executable (run: .venv/bin/pip install -r requirements.txt)`);
    return finish(r, start, summarize());
  }
  // --skip-download: otherwise checkov contacts the Prisma Cloud API for guidelines
  // (fails offline with a stack trace on stderr).
  const res = await run(
    bin,
    ['--framework', 'cloudformation', '--output', 'json', '--skip-download', '--compact',
      ...files.flatMap((f) => ['--file', f])],
    checkovEnv(),
  );
  let parsed: CheckovReport | CheckovReport[];
  try {
    parsed = JSON.parse(res.stdout) as CheckovReport | CheckovReport[];
  } catch {
    r.errors.push(`checkov exited ${res.code} without JSON output: ${tail(res.stderr || res.stdout)}`);
    return finish(r, start, summarize());
  }
  // checkov exits 1 when checks fail; anything else non-zero is a crash.
  if (res.code !== 0 && res.code !== 1) r.errors.push(`checkov exited ${res.code}: ${tail(res.stderr)}`);
  for (const rep of Array.isArray(parsed) ? parsed : [parsed]) {
    const res2 = rep.results;
    if (!res2) continue; // bare summary: nothing scanned
    r.passed += res2.passed_checks?.length ?? 0;
    for (const c of res2.failed_checks ?? []) r.failures.push(checkovFinding(c, c.check_name));
    for (const c of res2.skipped_checks ?? []) {
      const comment = c.check_result?.suppress_comment ?? '';
      if (!comment.trim() || comment === CHECKOV_NO_COMMENT) {
        r.failures.push(checkovFinding(c, `skipped in Metadata without a comment (${c.check_name})`));
      } else {
        r.skips.push(checkovFinding(c, comment));
      }
    }
    for (const pe of res2.parsing_errors ?? []) r.errors.push(`checkov could not parse ${rel(pe)}`);
  }
  r.failed = r.failures.length;
  r.skipped = r.skips.length;
  return finish(r, start, summarize());
}

// ---------------------------------------------------------------------------
// gate 3: AWS Control Tower proactive controls (cfn-guard)

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
  const [rules, types] = await Promise.all([
    loadRuleInfo(g),
    Promise.all(files.map((f) => resourceTypes(f).catch(() => new Map<string, string>()))),
  ]);
  // Only the rule files that evaluate a resource type the templates use (or that declare no
  // types): the others could only say "not applicable", and parsing all ~240 of them for every
  // template is most of cfn-guard's time.
  const present = new Set(types.flatMap((m) => [...m.values()]));
  const ruleFiles = [...new Set([...rules.values()].filter((i) => i.resourceTypes.length === 0 || i.resourceTypes.some((t) => present.has(t))).map((i) => i.file))].sort();
  const res = await run(g.binary, [
    'validate', ...ruleFiles.flatMap((f) => ['--rules', f]), ...files.flatMap((f) => ['--data', f]),
    '--output-format', 'json', '--show-summary', 'none', '--structured',
  ]);
  let parsed: GuardFileResult[];
  try {
    parsed = JSON.parse(res.stdout) as GuardFileResult[];
    if (!Array.isArray(parsed)) throw new Error('not an array');
  } catch {
    r.errors.push(`cfn-guard exited ${res.code} without JSON output: ${tail(res.stderr || res.stdout)}`);
    return finish(r, start, summarize());
  }
  // 0 = all compliant, 19 = some rule not compliant; anything else is an error.
  if (res.code !== 0 && res.code !== 19) r.errors.push(`cfn-guard exited ${res.code}: ${tail(res.stderr)}`);

  const typesByFile = new Map(files.map((f, i) => [path.resolve(f), types[i]]));
  const used = new Set<AllowEntry>();
  for (const fr of parsed) {
    const file = path.resolve(REPO_ROOT, fr.name);
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
        if (entry) {
          used.add(entry);
          r.skips.push({ ...f, message: `allow-listed: ${entry.reason}` });
        } else {
          r.failures.push(f);
        }
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
  return finish(r, start, summarize());
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

// ---------------------------------------------------------------------------
// gate 4: berth's own policy checks

/** Default: ECS Exec allowed where the environment file of the folder scanned enables it. */
export async function runPolicy(files: string[], opts: PolicyOptions = {}): Promise<GateResult> {
  const start = performance.now();
  const r = emptyResult('policy', files);
  const summarize = () => `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
  const templates: PolicyTemplate[] = [];
  for (const f of files) {
    try {
      templates.push(policyTemplate(rel(f), await readFile(f, 'utf8')));
    } catch (e) {
      r.errors.push(`cannot parse ${rel(f)}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  // Each folder of templates is an environment; its settings file says where ECS Exec is open.
  const environments = [...new Set(files.map((f) => path.basename(path.dirname(f))))]
    .map((name) => path.join(REPO_ROOT, 'templates', 'environments', `${name}.json`))
    .filter((file) => existsSync(file))
    .map((file) => loadSettings(file));
  const res = checkTemplates(templates, { ecsExecAllowed: ecsExecAllowed(environments), ...opts });
  const toFinding = (f: (typeof res.findings)[number]): Finding => ({
    file: f.file, resource: f.logicalId, property: f.property, rule: f.rule, message: f.message,
  });
  r.failures = res.findings.map(toFinding);
  r.skips = res.skipped.map(toFinding);
  r.passed = res.passed;
  r.failed = r.failures.length;
  r.skipped = r.skips.length;
  return finish(r, start, summarize());
}

// ---------------------------------------------------------------------------
// runner

export async function runAllGates(files: string[], opts: ControlTowerOptions = {}): Promise<GateResult[]> {
  return Promise.all([runCfnLint(files), runCheckov(files), runControlTower(files, opts), runPolicy(files)]);
}

export function formatSummaryLine(r: GateResult): string {
  return `[${r.ok ? 'pass' : 'fail'}] ${r.gate}: ${r.summary}`;
}

export function formatDetails(results: GateResult[], timings = false): string[] {
  const lines: string[] = [];
  for (const r of results) {
    if (r.errors.length || r.failures.length) lines.push('', `${r.gate} failures:`);
    for (const e of r.errors) lines.push(`  ERROR ${e}`);
    for (const f of r.failures) {
      lines.push(
        f.property === undefined
          ? `  ${f.file}  ${f.resource}  ${f.rule}  ${f.message}`
          : `  ${f.file}: ${f.resource} ${f.property}: ${f.message} [${f.rule}]`,
      );
    }
    for (const n of r.notes) lines.push(`  note (${r.gate}): ${n}`);
  }
  if (timings) {
    lines.push('', 'timings:');
    for (const r of results) lines.push(`  ${r.gate}: ${(r.durationMs / 1000).toFixed(2)}s`);
  }
  return lines;
}

/**
 * What a lint result depends on: the templates (names and bytes), the allow-list, the
 * environment files and settings code (the policy gate reads them), the gates' code with the
 * template reader, and the pinned tool versions.
 * Anything else changing the result would be a bug in a tool, not a reason to re-run.
 */
async function cacheKey(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  const inputs = [
    ...files,
    DEFAULT_ALLOWLIST,
    // The gates' code and what it reads templates and settings with: all of scripts/ and src/.
    ...(await codeFiles(path.join(REPO_ROOT, 'scripts'))),
    ...(await codeFiles(path.join(REPO_ROOT, 'src'))),
    path.join(REPO_ROOT, 'templates', 'settings.ts'),
    path.join(REPO_ROOT, 'requirements.txt'),
    path.join(REPO_ROOT, 'package-lock.json'),
    ...(await readdir(path.join(REPO_ROOT, 'templates', 'environments'))).sort().map((f) => path.join(REPO_ROOT, 'templates', 'environments', f)),
  ];
  for (const f of inputs) hash.update(`${rel(f)}\0`).update(await readFile(f).catch(() => Buffer.from('(missing)'))).update('\0');
  return hash.digest('hex');
}

/** Where results are remembered; BERTH_LINT_CACHE_DIR moves it (tests). */
async function codeFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((f) => f.endsWith('.ts')).sort().map((f) => path.join(dir, f));
}

const cacheDir = () => process.env.BERTH_LINT_CACHE_DIR ?? path.join(REPO_ROOT, '.stamps', 'lint');

export async function main(
  argv = process.argv.slice(2),
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
): Promise<number> {
  const flags = ['--timings', '--no-cache'];
  const timings = argv.includes('--timings');
  const useCache = !argv.includes('--no-cache');
  const positional = argv.filter((a) => !a.startsWith('--'));
  if (positional.length > 1 || argv.some((a) => a.startsWith('--') && !flags.includes(a))) {
    err('usage: node --import tsx scripts/lint.ts [dir] [--timings] [--no-cache]');
    return 2;
  }
  const dir = path.resolve(positional[0] ?? path.join(REPO_ROOT, 'output'));
  let files: string[];
  try {
    files = await findTemplates(dir);
  } catch (e) {
    err(`lint: cannot read ${dir}: ${(e as Error).message}`);
    return 2;
  }
  if (files.length === 0) {
    err(`lint: no *.yaml files under ${rel(dir)}`);
    return 2;
  }
  const t0 = performance.now();
  // The same inputs give the same findings: an unchanged tree (the usual case between edits, and
  // before every deploy) is answered from the last run's results. CI and `--no-cache` run all.
  const cacheFile = path.join(cacheDir(), `${await cacheKey(files)}.json`);
  let results: GateResult[] | undefined;
  let cached = false;
  if (useCache) {
    try {
      results = JSON.parse(await readFile(cacheFile, 'utf8')) as GateResult[];
      cached = true;
    } catch {
      /* not linted before */
    }
  }
  if (!results) {
    results = await runAllGates(files);
    // Only clean tool runs are remembered: a crash (an error) may not happen next time.
    // (--no-cache ignores the last run but still leaves this one for the next.)
    if (results.every((r) => r.errors.length === 0)) {
      await mkdir(cacheDir(), { recursive: true });
      await writeFile(cacheFile, JSON.stringify(results));
    }
  }
  for (const r of results) out(formatSummaryLine(r));
  for (const l of formatDetails(results, timings)) out(l);
  if (cached) out(`  (results of an earlier run on identical templates, gates and settings; --no-cache runs the gates again)`);
  if (timings) out(`  wall: ${((performance.now() - t0) / 1000).toFixed(2)}s`);
  return results.every((r) => r.ok) ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(e);
      process.exitCode = 2;
    },
  );
}
