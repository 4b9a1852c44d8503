/**
 * Gate 5: cfripper (Skyscanner's CloudFormation security checker, pinned in requirements.txt),
 * run through scripts/lint/cfripper-driver.py, one process for every template. Chosen over
 * cdk-nag because it is a small Python package beside checkov (cdk-nag needs the AWS CDK and a
 * synthesis per template) and its rules are about real risk: privilege escalation in IAM
 * policies, wildcard actions and resources, open security groups, cross-account trust,
 * public load balancers (docs/lint-gates.md).
 * Suppressions sit in the resource's `Metadata: cfripper: skip: [{id, comment}]`; a suppression
 * without a comment is a finding.
 */
import path from 'node:path';
import { regionsOf } from './cfn-lint.ts';
import { attribute, emptyResult, finish, isExecutable, rel, REPO_ROOT, tail, type GateResult } from './common.ts';
import { runTool } from './gate-server.ts';

interface DriverFinding {
  resource: string;
  rule: string;
  message: string;
  risk: string;
}
interface DriverReport {
  [file: string]: { rules: number; failures: DriverFinding[]; skips: DriverFinding[]; errors: string[] };
}

export { CFRIPPER_DRIVER } from './gate-server.ts';

export async function runCfripper(files: string[]): Promise<GateResult> {
  const start = performance.now();
  const r = emptyResult('cfripper', files);
  const python = path.join(REPO_ROOT, '.venv', 'bin', 'python');
  const summarize = () => `${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped`;
  if (files.length === 0) return finish(r, start, summarize());
  if (!(await isExecutable(python))) {
    r.errors.push(`${rel(python)} not found or not executable (run: make install)`);
    return finish(r, start, summarize());
  }
  // Each template with the Regions it deploys to, where cfripper must read it resolved (the driver's docstring).
  const res = await runTool('cfripper', [JSON.stringify(files.map((file) => ({ file, regions: regionsOf(file) })))]);
  let report: DriverReport;
  try {
    report = JSON.parse(res.stdout) as DriverReport;
  } catch {
    r.errors.push(`cfripper exited ${res.code} without JSON output: ${tail(res.stderr || res.stdout)}`);
    return finish(r, start, summarize());
  }
  // Passed: (rule, template) pairs without an unsuppressed finding.
  const passedIn = new Map<string, number>();
  for (const [file, entry] of Object.entries(report)) {
    const name = rel(file);
    for (const e of entry.errors) r.errors.push(`cfripper could not check ${name}: ${e}`);
    const finding = (f: DriverFinding) => ({ file: name, resource: f.resource, rule: f.rule, message: f.risk ? `${f.message} (${f.risk})` : f.message });
    r.failures.push(...entry.failures.map(finding));
    r.skips.push(...entry.skips.map((f) => ({ file: name, resource: f.resource, rule: f.rule, message: f.message })));
    passedIn.set(name, entry.rules - new Set(entry.failures.map((f) => f.rule)).size);
  }
  r.passed = [...passedIn.values()].reduce((a, b) => a + b, 0);
  r.failed = r.failures.length;
  r.skipped = r.skips.length;
  attribute(r, files, (f) => passedIn.get(rel(f)) ?? 0);
  return finish(r, start, summarize());
}
