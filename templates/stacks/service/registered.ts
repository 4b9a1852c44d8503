/**
 * Every service module in the estate's services folder must be listed by its index: a module the
 * index does not import would be left out of the build without a word. The build is one bundle
 * compiled ahead of time (scripts/bundle.ts), so modules cannot be discovered at run time; a
 * forgotten one fails the build instead, with one line naming it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { BerthError, q } from '../../../src/dsl/index.ts';

/**
 * Fails when a `.ts` file beside `indexFile` is not imported by it. Files whose names start with
 * `_` are helpers the services share (the project's convention for private modules), not services.
 */
export function checkRegistered(indexFile: string): void {
  const dir = dirname(indexFile);
  // Comments out first: an import written in a comment imports nothing.
  const code = readFileSync(indexFile, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const imported = new Set([...code.matchAll(/\bfrom\s+['"]\.\/([^'"/]+)['"]/g)].map((m) => m[1]));
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.ts') || file.endsWith('.d.ts') || file.startsWith('_') || file === basename(indexFile) || imported.has(file)) continue;
    const index = relative(process.cwd(), indexFile);
    throw new BerthError(
      relative(process.cwd(), join(dir, file)),
      `a service module that ${index} does not import, so the build would leave it out. Every module in ${relative(process.cwd(), dir)}/ is a service. Import it in ${index} and add it to \`services\`, or name a shared helper ${q(`_${file}`)}.`,
    );
  }
}
