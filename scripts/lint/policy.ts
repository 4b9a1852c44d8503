/**
 * Gate 4: berth's own policy checks (policy-rules.ts) for what the tools do not check. Counted per
 * (rule, subject) evaluation; ECS Exec on a service whose environment enables it counts as skipped.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadSettings } from '../../templates/settings/settings.ts';
import { attribute, emptyResult, finish, rel, type Finding, type GateResult } from './common.ts';
import { environmentsDir } from './cfn-lint.ts';
import { checkTemplates, ecsExecAllowed, parseTemplate as policyTemplate, type PolicyOptions, type PolicyTemplate } from './policy-rules.ts';

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
    .map((name) => path.join(environmentsDir(), `${name}.json`))
    .filter((file) => existsSync(file))
    .map((file) => loadSettings(file));
  const allowed = { ecsExecAllowed: ecsExecAllowed(environments), ...opts };
  // One template at a time (the checks read one at a time), counted per template for the lint cache.
  const each = templates.map((t) => [t.file, checkTemplates([t], allowed)] as const);
  const passedIn = new Map(each.map(([file, x]) => [file, x.passed]));
  const res = { passed: each.reduce((n, [, x]) => n + x.passed, 0), findings: each.flatMap(([, x]) => x.findings), skipped: each.flatMap(([, x]) => x.skipped) };
  const toFinding = (f: (typeof res.findings)[number]): Finding => ({
    file: f.file, resource: f.logicalId, property: f.property, rule: f.rule, message: f.message,
  });
  r.failures = res.findings.map(toFinding);
  r.skips = res.skipped.map(toFinding);
  r.passed = res.passed;
  r.failed = r.failures.length;
  r.skipped = r.skips.length;
  attribute(r, files, (f) => passedIn.get(rel(f)) ?? 0);
  return finish(r, start, summarize());
}

