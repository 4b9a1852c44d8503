/**
 * Type-checks what `make build` compiles (src/ and templates/, tsconfig.build.json) with tsc's
 * incremental mode, and prints each error as one line, `file:line:col: error TSnnnn: message`
 * (tsc continues a message on indented lines). The Makefile runs it only when a source changed,
 * before scripts/bundle.ts: esbuild strips types without checking them, so without this a
 * definition the DSL refuses at compile time (placement on a Fargate service) would build.
 *
 *   node --import tsx scripts/typecheck.ts
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

/** tsc's `--pretty false` output as one line per diagnostic, `file:line:col: ...`. */
export function diagnosticLines(output: string): string[] {
  const lines: string[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const m = /^(.+?)\((\d+),(\d+)\): (.*)$/.exec(line);
    if (m) lines.push(`${m[1]}:${m[2]}:${m[3]}: ${m[4]!.replace(/^error (TS\d+): /, '$1: ')}`);
    else if (/^\s/.test(line) && lines.length > 0) lines[lines.length - 1] += ` ${line.trim()}`;
    else lines.push(line.trim());
  }
  return lines;
}

export function typecheck(): number {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json'), '--pretty', 'false'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status === 0) return 0;
  const lines = diagnosticLines(`${r.stdout}${r.stderr}`);
  for (const line of lines) console.error(`error: ${line}`);
  if (lines.length === 0) console.error(`error: tsc exited with status ${r.status} and no message`);
  return 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = typecheck();
