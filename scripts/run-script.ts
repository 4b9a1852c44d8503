/**
 * The entry point of a deploy helper script (`node --import tsx scripts/<name>.ts ...`, run by
 * scripts/deploy.sh): its `main` runs only when the file is the one node started (tests import
 * the same module), and ends the process with main's exit code; a BerthError is its one-line
 * message (exit 1), anything else is a bug, printed in full (exit 2).
 */
import { pathToFileURL } from 'node:url';
import { BerthError } from '../src/dsl/errors.ts';

export function runScript(meta: ImportMeta, main: (argv: string[]) => Promise<number>): void {
  if (meta.url !== pathToFileURL(process.argv[1] ?? '').href) return;
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      if (e instanceof BerthError) {
        console.error(`error: ${e.message}`);
        process.exitCode = 1;
      } else {
        console.error(e);
        process.exitCode = 2;
      }
    },
  );
}
