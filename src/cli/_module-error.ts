import { relative } from 'node:path';
import { BerthError, q } from '../dsl/errors.ts';

/**
 * Why the estate module could not be loaded, as one line: a missing file, a folder, a file that is
 * not a module, or a syntax error in it or in a module it imports (`file:line:col: message`, from
 * the TypeScript transform). Anything else (an error thrown by the estate's own code) goes on.
 * Shared by the CLI and scripts/bundle.ts, so `berth build` and `make build` say the same thing.
 */
export function moduleError(e: unknown, file: string, path: string): unknown {
  if (e instanceof BerthError) return e;
  const err = e as NodeJS.ErrnoException;
  const message = String(err?.message ?? e);
  const usage = `Pass the path of a module that exports \`estate\` (default: templates/estate.ts).`;
  if (err?.code === 'ERR_MODULE_NOT_FOUND' && message.includes(path)) return new BerthError('--estate', `cannot find the estate module ${q(file)}. ${usage}`);
  if (err?.code === 'ERR_UNSUPPORTED_DIR_IMPORT') return new BerthError('--estate', `${q(file)} is a folder, not a module. ${usage}`);
  if (err?.code === 'ERR_UNKNOWN_FILE_EXTENSION' || err?.code === 'ERR_IMPORT_ASSERTION_TYPE_MISSING' || err?.code === 'ERR_IMPORT_ATTRIBUTE_MISSING') {
    return new BerthError('--estate', `${q(file)} is not a JavaScript or TypeScript module. ${usage}`);
  }
  if (err?.code === 'ERR_MODULE_NOT_FOUND') return new BerthError(file, `${message.split('\n')[0]!.replace(/ imported from .*$/, '')}, which it imports. Fix the import or add the module.`);
  // tsx (esbuild) reports a syntax error as "Transform failed with N error(s):\n<file>:<line>:<col>: ERROR: <message>",
  // the column counted from 0; editors and tsc count from 1.
  const syntax = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(message);
  if ((err?.name === 'TransformError' || message.startsWith('Transform failed')) && syntax) {
    return new BerthError(`${relative(process.cwd(), syntax[1]!)}:${syntax[2]}:${Number(syntax[3]) + 1}`, `${syntax[4]!.replace(/\.$/, '')}. Fix the syntax there.`);
  }
  if (err?.name === 'SyntaxError') return new BerthError(file, `is not a module berth can load: ${message.split('\n')[0]}. ${usage}`);
  return e;
}

