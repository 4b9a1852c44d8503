/**
 * Remembering lint results per template: the same template, linted by the same gate (its tool's
 * version, its code, its rule set and options), gives the same findings. Each gate remembers what
 * each template contributed to its result, keyed on the template's bytes and on everything else
 * the gate reads for it (cfn-lint: the Regions and what it reads of the templates a root nests; policy: the
 * environment's settings), so editing one service re-lints that service's template, and the
 * templates whose bytes changed with it, not the estate.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseTemplate } from '../../src/emit/parse.ts';
import { findingFile, rel, REPO_ROOT, type FileResult, type GateName, type GateResult } from './common.ts';
import { environmentsDir, regionsOf } from './cfn-lint.ts';
import { DEFAULT_ALLOWLIST, GUARD_PACKAGE, guardPaths, unusedAllowNotes } from './control-tower.ts';

/** Where results are remembered; BERTH_LINT_CACHE_DIR moves it (tests). */
const cacheDir = () => process.env.BERTH_LINT_CACHE_DIR ?? path.join(REPO_ROOT, '.stamps', 'lint');

const here = (f: string) => path.join(REPO_ROOT, 'scripts', 'lint', f);
/** What each gate's results depend on besides the template: its code and what it reads. */
const GATE_CODE: Record<GateName, readonly string[]> = {
  'cfn-lint': [here('common.ts'), here('cfn-lint.ts'), here('gate-server.ts'), here('gate-server.py'), here('cache.ts'), path.join(REPO_ROOT, 'src', 'emit', 'parse.ts'), path.join(REPO_ROOT, 'src', 'emit', 'yaml.ts'), path.join(REPO_ROOT, 'requirements.txt')],
  cfripper: [here('common.ts'), here('cfripper.ts'), here('cfripper-driver.py'), here('gate-server.ts'), here('gate-server.py'), here('cache.ts'), path.join(REPO_ROOT, 'requirements.txt')],
  checkov: [here('common.ts'), here('checkov.ts'), here('checkov-driver.py'), here('gate-server.ts'), here('gate-server.py'), here('cache.ts'), path.join(REPO_ROOT, 'requirements.txt')],
  'control-tower': [here('common.ts'), here('control-tower.ts'), here('cache.ts'), DEFAULT_ALLOWLIST, path.join(REPO_ROOT, 'package-lock.json')],
  policy: [
    here('common.ts'), here('policy.ts'), here('policy-rules.ts'), here('cfn-lint.ts'), here('cache.ts'),
    path.join(REPO_ROOT, 'templates', 'stacks', 'launch-role.ts'), path.join(REPO_ROOT, 'templates', 'stacks', 'launch-role.generated.ts'),
    path.join(REPO_ROOT, 'templates', 'settings', 'settings.ts'), path.join(REPO_ROOT, 'src', 'emit', 'parse.ts'), path.join(REPO_ROOT, 'src', 'emit', 'yaml.ts'),
  ],
};

/** The installed version of a Python tool in .venv (its dist-info folder), or `missing`. */
function pythonToolVersion(distribution: string): string {
  const lib = path.join(REPO_ROOT, '.venv', 'lib');
  if (!existsSync(lib)) return 'missing';
  for (const py of readdirSync(lib)) {
    const site = path.join(lib, py, 'site-packages');
    const found = existsSync(site) ? readdirSync(site).find((d) => d.startsWith(`${distribution}-`) && d.endsWith('.dist-info')) : undefined;
    if (found) return found;
  }
  return 'missing';
}

async function toolVersion(gate: GateName): Promise<string> {
  if (gate === 'cfn-lint') return pythonToolVersion('cfn_lint');
  if (gate === 'checkov') return pythonToolVersion('checkov');
  if (gate === 'cfripper') return pythonToolVersion('cfripper');
  if (gate === 'control-tower') return readFile(path.join(guardPaths().packageDir, 'package.json'), 'utf8').then((t) => `${GUARD_PACKAGE}@${(JSON.parse(t) as { version?: string }).version}`, () => 'missing');
  return 'berth';
}

/** A gate's identity: its name, tool version, code, rule set and options, hashed. */
export async function gateIdentity(gate: GateName): Promise<string> {
  const hash = createHash('sha256').update(`${gate}\0${await toolVersion(gate)}\0`);
  for (const f of GATE_CODE[gate]) hash.update(`${rel(f)}\0`).update(await readFile(f).catch(() => Buffer.from('(missing)'))).update('\0');
  return hash.digest('hex');
}

/** The sibling templates `file` nests directly (berth writes each `TemplateURL` as a relative file name). */
function nestedTemplates(file: string, text: string): string[] {
  return [...new Set([...text.matchAll(/^\s+TemplateURL: ([\w.-]+\.ya?ml)$/gm)].map((m) => path.join(path.dirname(file), m[1]!)))];
}

/**
 * What cfn-lint reads of a nested template when it lints the parent: the names of its Parameters
 * and whether each has a Default (E3043, NestedStackParameters.py: a parameter without one must be
 * passed, one that does not exist must not be), and the names of its Outputs (a parent's
 * `!GetAtt Child.Outputs.X`, context.py `_nested_stack_get_atts`); nothing else of it, and nothing
 * of its own nested templates. So a service's new image tag, which changes the default of its
 * image parameter, re-lints that service's template and not the service group and root that nest
 * it. A template berth's parser cannot read, or whose sections are not mappings of mappings,
 * counts as its whole text (cfn-lint then reads less of it, never more).
 */
export function nestedInterface(text: string, where: string): string {
  let doc: Record<string, unknown>;
  try {
    doc = parseTemplate(text, where);
  } catch {
    return `text\0${text}`;
  }
  const isMap = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
  const parameters = doc.Parameters ?? {};
  const outputs = doc.Outputs ?? {};
  if (!isMap(parameters) || !isMap(outputs) || !Object.values(parameters).every(isMap)) return `text\0${text}`;
  return JSON.stringify({
    parameters: Object.entries(parameters as Record<string, Record<string, unknown>>).map(([name, p]) => [name, p.Default !== undefined && p.Default !== null]).sort(),
    outputs: Object.keys(outputs).sort(),
  });
}

/**
 * `nestedInterface` of each text, remembered by the text's hash (and the gate's code) beside the results: an edit
 * parses the nested templates it changed, not every service of the estate (about 1 ms each).
 */
async function nestedInterfaces(texts: ReadonlyMap<string, string>, identity: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    [...texts].map(async ([file, text]) => {
      const digest = createHash('sha256').update(text).digest('hex');
      const memo = path.join(cacheDir(), 'cfn-lint-nested', identity.slice(0, 16), digest.slice(0, 2), `${digest}.json`);
      const known = await readFile(memo, 'utf8').catch(() => undefined);
      if (known !== undefined) return out.set(file, known);
      const iface = nestedInterface(text, rel(file));
      out.set(file, iface);
      await mkdir(path.dirname(memo), { recursive: true });
      const staged = `${memo}.${process.pid}.tmp`;
      await writeFile(staged, iface);
      await rename(staged, memo);
    }),
  );
  return out;
}

/** A template's text and the hash of its bytes, read once per run for every gate. */
export interface TemplateText {
  readonly text: string;
  readonly digest: string;
}

/** Reads `files` once for all the gates of a run (their keys all start from the templates' bytes). */
export async function readTemplates(files: readonly string[]): Promise<Map<string, TemplateText>> {
  const out = new Map<string, TemplateText>();
  await Promise.all(
    files.map(async (f) => {
      const text = await readFile(f, 'utf8');
      out.set(f, { text, digest: createHash('sha256').update(text).digest('hex') });
    }),
  );
  return out;
}

/** Per template, the key of what a gate reads for it; `read` shares the templates' reading between gates. */
export async function templateKeys(gate: GateName, files: readonly string[], read: Promise<Map<string, TemplateText>> = readTemplates(files)): Promise<Map<string, string>> {
  const identity = await gateIdentity(gate);
  const texts = await read;
  // cfn-lint: the nested templates' interfaces (a nested template outside the linted set still
  // decides its parent's findings: read it too).
  const children = new Map<string, string>();
  if (gate === 'cfn-lint') {
    for (const f of files) for (const child of nestedTemplates(f, texts.get(f)!.text)) children.set(child, texts.get(child)?.text ?? (existsSync(child) ? readFileSync(child, 'utf8') : '(missing)'));
  }
  const interfaces = await nestedInterfaces(children, identity);
  // The settings each environment folder's templates are checked with, read once per folder.
  const regions = new Map<string, string>();
  const regionsIn = (f: string) => regions.get(path.dirname(f)) ?? regions.set(path.dirname(f), regionsOf(f).join(' ')).get(path.dirname(f))!;
  const settings = new Map<string, string>();
  const keys = new Map<string, string>();
  for (const f of files) {
    const hash = createHash('sha256').update(`${identity}\0${rel(f)}\0${texts.get(f)!.digest}`);
    if (gate === 'cfn-lint' || gate === 'cfripper') hash.update(`\0regions ${regionsIn(f)}`);
    if (gate === 'cfn-lint') {
      for (const child of nestedTemplates(f, texts.get(f)!.text)) hash.update(`\0${path.basename(child)}\0`).update(interfaces.get(child)!);
    }
    if (gate === 'policy') {
      const env = path.join(environmentsDir(), `${path.basename(path.dirname(f))}.json`);
      if (!settings.has(env)) settings.set(env, await readFile(env, 'utf8').catch(() => '(none)'));
      hash.update(`\0settings\0${settings.get(env)}`);
    }
    keys.set(f, hash.digest('hex'));
  }
  return keys;
}

const entryPath = (gate: GateName, key: string) => path.join(cacheDir(), gate, key.slice(0, 2), `${key}.json`);

/** Remembered results of the templates linted before, by file. */
async function recall(gate: GateName, keys: ReadonlyMap<string, string>): Promise<Map<string, FileResult>> {
  const out = new Map<string, FileResult>();
  await Promise.all(
    [...keys].map(async ([file, key]) => {
      try {
        out.set(file, JSON.parse(await readFile(entryPath(gate, key), 'utf8')) as FileResult);
      } catch {
        // not linted before
      }
    }),
  );
  return out;
}

/** Remembers a clean run's per-template results: a crash (an error) may not happen next time. */
async function remember(gate: GateName, keys: ReadonlyMap<string, string>, r: GateResult): Promise<void> {
  if (r.errors.length) return;
  await Promise.all(
    [...keys].map(async ([file, key]) => {
      const entry = r.byFile[rel(file)];
      if (!entry) return;
      const to = entryPath(gate, key);
      await mkdir(path.dirname(to), { recursive: true });
      // Written aside, then renamed into place: a lint running beside this one (two terminals,
      // `make -j`) reads a whole entry or none, never half of one.
      const staged = `${to}.${process.pid}.tmp`;
      await writeFile(staged, JSON.stringify(entry));
      await rename(staged, to);
    }),
  );
}

/** The summary line after `[pass] gate: `, as each gate words it. */
function summaryOf(r: GateResult): string {
  const counts = r.gate === 'cfn-lint' ? `${r.files} files, ${r.failed} findings` : `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped${r.gate === 'control-tower' ? ' (allow-listed)' : ''}`;
  return r.errors.length ? `${counts} (${r.errors.length} error${r.errors.length > 1 ? 's' : ''})` : counts;
}

/** One gate's result over `files`, from the remembered templates and a run over the others. */
export interface CachedGate {
  readonly result: GateResult;
  /** Templates the gate ran on this time (the others were remembered). */
  readonly linted: number;
}

/**
 * Runs `run` on the templates whose results are not remembered (all of them with `useCache`
 * false), remembers the new ones, and merges the two into one result, as if every template had
 * been linted now.
 */
export async function cachedGate(gate: GateName, files: readonly string[], run: (files: string[]) => Promise<GateResult>, useCache: boolean, read?: Promise<Map<string, TemplateText>>): Promise<CachedGate> {
  const keys = await templateKeys(gate, files, read);
  const known = useCache ? await recall(gate, keys) : new Map<string, FileResult>();
  const todo = files.filter((f) => !known.has(f));
  const fresh = todo.length ? await run(todo) : undefined;
  if (fresh) await remember(gate, new Map(todo.map((f) => [f, keys.get(f)!])), fresh);
  // Nothing remembered: the run is the result, as it came.
  if (fresh && todo.length === files.length) return { result: fresh, linted: todo.length };
  const byFile: Record<string, FileResult> = {};
  for (const f of files) {
    const entry = known.get(f) ?? fresh?.byFile[rel(f)];
    if (entry) byFile[rel(f)] = entry;
  }
  const entries = Object.values(byFile);
  const r: GateResult = {
    gate,
    ok: true,
    summary: '',
    files: files.length,
    passed: entries.reduce((n, e) => n + e.passed, 0),
    failed: 0,
    skipped: 0,
    failures: entries.flatMap((e) => e.failures),
    // Findings a run could not tie to a template it was given (none expected) are kept too.
    skips: entries.flatMap((e) => e.skips),
    errors: fresh?.errors ?? [],
    notes: [],
    durationMs: fresh?.durationMs ?? 0,
    byFile,
  };
  if (fresh) for (const x of fresh.failures) if (!byFile[findingFile(x)]) r.failures.push(x);
  r.failed = r.failures.length;
  r.skipped = r.skips.length;
  if (gate === 'control-tower') {
    r.notes = await unusedAllowNotes(files, new Set(entries.flatMap((e) => e.allowUsed ?? [])));
  } else if (fresh) {
    r.notes = fresh.notes;
  }
  r.ok = r.failed === 0 && r.errors.length === 0;
  r.summary = summaryOf(r);
  return { result: r, linted: todo.length };
}
