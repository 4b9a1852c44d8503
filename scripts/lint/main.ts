/**
 * berth security/lint gate runner.
 *
 *   node --import tsx scripts/lint/main.ts [dir] [--timings]
 *
 * Runs five gates, concurrently, over every *.yaml / *.yml file under `dir`
 * (default: output/), fully offline:
 *
 *   1. cfn-lint       .venv/bin/cfn-lint, informational rules included (-c I),
 *                     each environment for its own Region (settings `region`).
 *   2. checkov        scripts/lint/checkov-driver.py (checkov's entry point, its JSONPath
 *                     parser built once), --framework cloudformation --skip-download,
 *                     JSON output. Skips are declared per resource in
 *                     `Metadata: checkov: skip: [{id, comment}]`; a skip without a
 *                     comment is reported as a failure.
 *   3. control-tower  cfn-guard + AWS Control Tower proactive-control rules shipped
 *                     in @cdklabs/cdk-validator-cfnguard. Results are counted per
 *                     (rule, resource). Failures matching scripts/lint/guard-allowlist.json
 *                     count as skipped; an allow-list entry without a reason is an error.
 *   4. policy         berth's own checks (scripts/lint/policy-rules.ts) for what the tools above do not
 *                     check. Counted per (rule, subject) evaluation; ECS Exec on a service whose
 *                     definition enables it counts as skipped.
 *   5. cfripper       .venv/bin/python scripts/lint/cfripper-driver.py: cfripper's rules
 *                     (privilege escalation, wildcards, open groups, cross-account
 *                     trust). Skips are declared per resource in
 *                     `Metadata: cfripper: skip: [{id, comment}]`, as for checkov.
 *
 * Prints one summary line per gate, then failure details; exits 1 if any gate fails
 * (2 on usage errors, e.g. no templates found).
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { cachedGate, readTemplates } from './cache.ts';
import { runCfnLint } from './cfn-lint.ts';
import { runCfripper } from './cfripper.ts';
import { checkovEnv, runCheckov } from './checkov.ts';
import { findTemplates, rel, REPO_ROOT, type GateResult } from './common.ts';
import { runControlTower, type ControlTowerOptions } from './control-tower.ts';
import { runningServers, serverMode, serverName, startMissed, startServer, stopServer, type ServedTool } from './gate-server.ts';
import { runPolicy } from './policy.ts';

export type { Finding, GateName, GateResult } from './common.ts';

// ---------------------------------------------------------------------------
// runner

export async function runAllGates(files: string[], opts: ControlTowerOptions = {}): Promise<GateResult[]> {
  return Promise.all([runCfnLint(files), runCheckov(files), runControlTower(files, opts), runPolicy(files), runCfripper(files)]);
}

/**
 * The five gates side by side, each on the templates it has not linted before in the same form
 * (cache.ts); `useCache` false lints every template, and still remembers the results.
 */
export async function runGatesCached(files: string[], useCache: boolean): Promise<{ results: GateResult[]; linted: number }> {
  const read = readTemplates(files);
  const gates = await Promise.all([
    cachedGate('cfn-lint', files, runCfnLint, useCache, read),
    cachedGate('checkov', files, runCheckov, useCache, read),
    cachedGate('control-tower', files, (f) => runControlTower(f), useCache, read),
    cachedGate('policy', files, (f) => runPolicy(f), useCache, read),
    cachedGate('cfripper', files, runCfripper, useCache, read),
  ]);
  return { results: gates.map((g) => g.result), linted: Math.max(...gates.map((g) => g.linted)) };
}

/** The Python gates whose tools can run in a gate server (gate-server.ts). */
export const SERVED_TOOLS: readonly ServedTool[] = ['cfn-lint', 'checkov', 'cfripper'];

/** The environment a gate runs its tool with in a process whose environment is `env`: checkov's adds its own settings (checkov.ts). */
export function gateEnv(tool: ServedTool, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return tool === 'checkov' ? checkovEnv(env) : env;
}

/** The names of the servers the gates of a process with environment `env` look for (none where servers are off). */
export function gateServerNames(env: NodeJS.ProcessEnv = process.env): string[] {
  return SERVED_TOOLS.map((t) => serverName(t, gateEnv(t, env))).filter((n): n is string => n !== undefined);
}

/** Starts, detached, the servers the gates of a process with environment `env` look for; their pids. */
export function startGateServers(env: NodeJS.ProcessEnv = process.env): number[] {
  return SERVED_TOOLS.map((t) => startServer(t, gateEnv(t, env))).filter((p): p is number => p !== undefined);
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

export async function main(
  argv = process.argv.slice(2),
  out: (line: string) => void = console.log,
  err: (line: string) => void = console.error,
  /** The gate servers `--stop-servers` stops: all of this user's (a test names its own). */
  servers: () => string[] = runningServers,
): Promise<number> {
  const flags = ['--timings', '--no-cache', '--stop-servers'];
  const timings = argv.includes('--timings');
  const useCache = !argv.includes('--no-cache');
  const positional = argv.filter((a) => !a.startsWith('--'));
  if (positional.length > 1 || argv.some((a) => a.startsWith('--') && !flags.includes(a))) {
    err('usage: node --import tsx scripts/lint/main.ts [dir] [--timings] [--no-cache] | --stop-servers');
    return 2;
  }
  try {
    serverMode();
  } catch (e) {
    err(`lint: ${(e as Error).message}`);
    return 2;
  }
  if (argv.includes('--stop-servers')) {
    const running = servers();
    const stopped = (await Promise.all(running.map(stopServer))).filter(Boolean).length;
    out(`lint: stopped ${stopped} gate server${stopped === 1 ? '' : 's'}`);
    return 0;
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
  // The same template gives the same findings: each gate lints only the templates it has not
  // seen in this form (an edit to one service re-lints that service's template and the few that
  // change with it). `--no-cache` lints every template, and still leaves the results for the next run.
  const { results, linted } = await runGatesCached(files, useCache);
  for (const r of results) out(formatSummaryLine(r));
  for (const l of formatDetails(results, timings)) out(l);
  if (linted < files.length) out(`  (${linted} of ${files.length} templates linted now; the others' results are remembered from earlier runs on identical templates, gates and settings; --no-cache lints all)`);
  if (timings) out(`  wall: ${((performance.now() - t0) / 1000).toFixed(2)}s`);
  // The Python gates' servers this run found down, started now that the results are out, so the
  // next run starts warm (gate-server.ts).
  startMissed();
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
