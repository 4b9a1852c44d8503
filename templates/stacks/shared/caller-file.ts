/**
 * The file that called a `define...` function, as the user would open it (relative to the working
 * directory), so messages about a service or store name the module that defined it.
 */

/**
 * The first file on the call stack that `skip` does not match, or `undefined` when it is not
 * known (a compiled bundle, whose stack names the bundle rather than the source).
 */
export function callerFile(skip: RegExp): string | undefined {
  const frames = (new Error().stack ?? '').split('\n').slice(1);
  for (const frame of frames) {
    const m = /\(?((?:file:\/\/)?\/[^():]+\.[cm]?[jt]s):\d+:\d+\)?$/.exec(frame.trim());
    if (!m) continue;
    const path = m[1]!.replace(/^file:\/\//, '');
    if (skip.test(path) || /\/shared\/caller-file\.[cm]?[jt]s$/.test(path)) continue;
    if (!/\.[cm]?ts$/.test(path)) return undefined; // compiled: the stack names the bundle, not the source
    const cwd = process.cwd();
    return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
  }
  return undefined;
}
