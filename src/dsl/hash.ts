/**
 * A small, stable, non-cryptographic hash for names and keys that must not change between runs or
 * platforms (listener-rule priorities, precompiled-validator keys). Not node:crypto, whose loading
 * alone costs a build about 5 ms.
 */

/** The FNV-1a offset basis; another seed gives an independent hash of the same text. */
export const FNV_OFFSET = 0x811c9dc5;

/** 32-bit FNV-1a over the UTF-8 bytes of `text`. http://www.isthe.com/chongo/tech/comp/fnv/ */
export function fnv1a(text: string, seed: number = FNV_OFFSET): number {
  let h = seed >>> 0;
  for (const byte of new TextEncoder().encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
