/**
 * The file that called a `define...` function, as the user would open it (relative to the working
 * directory), so messages about a service or store name the module that defined it.
 */
import { sourceFile } from '../../../src/dsl/index.ts';

/**
 * The first file on the call stack that `skip` does not match, or `undefined` when it is not
 * known. The stack is taken now (microseconds) and read only when a message asks: in the compiled
 * CLI (`make build` runs dist/berth.cjs) its frames name the bundle, and mapping them to the
 * TypeScript sources reads the bundle's line index (`sourceFile`): a file name only, and the
 * resolvers ask for it on every build.
 */
export function callerFile(skip: RegExp): () => string | undefined {
  const stack = new Error().stack ?? '';
  let file: string | undefined | null = null;
  return () => (file === null ? (file = firstFile(stack, skip)) : file);
}

function firstFile(stack: string, skip: RegExp): string | undefined {
  for (const frame of stack.split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():]+\.[cm]?[jt]s):(\d+):(\d+)\)?$/.exec(frame.trim());
    if (!m) continue;
    const path = sourceFile(m[1]!, Number(m[2]), Number(m[3]));
    if (path === undefined) continue; // code the bundler generated
    if (skip.test(path) || /\/shared\/caller-file\.[cm]?[jt]s$/.test(path)) continue;
    if (!/\.[cm]?ts$/.test(path)) return undefined; // compiled, with no source map beside it
    const cwd = process.cwd();
    return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
  }
  return undefined;
}
