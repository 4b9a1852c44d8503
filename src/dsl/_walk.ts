/**
 * Internal: walking a template's values for intrinsics, and reading `Fn::Sub` text at run time
 * (for the texts the compiler could not check: see sub-placeholders.ts).
 */
import { AWS, Intrinsic } from './intrinsic.ts';

/**
 * Calls `f` on every intrinsic in a tree, with its path. The path array is reused along the walk
 * (a copy per node made this a tenth of a build's time): read it during the call, copy it to keep it.
 */
export function walk(value: unknown, f: (i: Intrinsic, path: readonly string[]) => void, path: string[] = []): void {
  if (value instanceof Intrinsic) {
    f(value, path);
    walk(value.args, f, path);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      path.push(String(i));
      walk(value[i], f, path);
      path.pop();
    }
  } else if (value !== null && typeof value === 'object') {
    for (const k of Object.keys(value)) {
      path.push(k);
      walk((value as Record<string, unknown>)[k], f, path);
      path.pop();
    }
  }
}

/** The `${Name}` placeholders of a `Fn::Sub` string, minus `${!Literal}` escapes. */
export function subPlaceholders(text: string): string[] {
  return [...text.matchAll(/\$\{([^!}][^}]*)\}/g)].map((m) => m[1]!.trim());
}

const PSEUDO_NAMES: ReadonlySet<string> = new Set(Object.values(AWS).map((i) => (i as unknown as Intrinsic).args as string));

export function isPseudoParameter(name: string): boolean {
  return PSEUDO_NAMES.has(name);
}
