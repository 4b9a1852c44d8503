/**
 * The sample output blocks of docs/many-accounts.md, checked against real runs: a block follows a
 * `<!-- sample: NAME -->` line, and each of its lines must be a line of the run's output (times
 * hh:mm:ss stand for any time; a line ending in `...` stands for any line that starts with the rest).
 * The test that makes the run calls `assertDocSample(NAME, output)`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './_helpers.ts';

const DOC = 'docs/many-accounts.md';

/** The lines of the sample block NAME. */
export function docSample(name: string): string[] {
  const text = readFileSync(join(ROOT, DOC), 'utf8');
  const m = new RegExp(`^<!-- sample: ${name} -->\\n\`\`\`text\\n([\\s\\S]*?)\\n\`\`\`$`, 'm').exec(text);
  assert.ok(m, `${DOC} has no sample block ${name}`);
  return m[1]!.split('\n');
}

export function assertDocSample(name: string, output: string): void {
  const lines = output.split('\n').map((l) => l.replace(/\b\d\d:\d\d:\d\d\b/g, 'hh:mm:ss'));
  for (const line of docSample(name)) {
    const found = line.endsWith('...') ? lines.some((l) => l.startsWith(line.slice(0, -3))) : lines.includes(line);
    assert.ok(found, `${DOC}, sample ${name}: the line\n${line}\nis not in the real output:\n${output}`);
  }
}
