/**
 * IPv4 CIDR arithmetic for checking and carving subnets. Plain numbers: a /0..32 block fits
 * in a double exactly.
 */
export interface Cidr {
  readonly network: number;
  readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; `undefined` if it is not a valid, aligned IPv4 CIDR block. */
export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR_PATTERN.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const network = octets.reduce((acc, o) => acc * 256 + o, 0);
  if (network % blockSize(prefix) !== 0) return undefined; // host bits set: 10.0.0.1/16
  return { network, prefix };
}

export function formatCidr(c: Cidr): string {
  const o = [24, 16, 8, 0].map((s) => Math.floor(c.network / 2 ** s) % 256);
  return `${o.join('.')}/${c.prefix}`;
}

export function blockSize(prefix: number): number {
  return 2 ** (32 - prefix);
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && inner.network >= outer.network && inner.network + blockSize(inner.prefix) <= outer.network + blockSize(outer.prefix);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.network < b.network + blockSize(b.prefix) && b.network < a.network + blockSize(a.prefix);
}

/** The `index`-th block of prefix `prefix` inside `outer` (what `Fn::Cidr` computes). */
export function subnetAt(outer: Cidr, prefix: number, index: number): Cidr {
  const network = outer.network + index * blockSize(prefix);
  if (prefix < outer.prefix || network + blockSize(prefix) > outer.network + blockSize(outer.prefix)) {
    throw new RangeError(`block ${index} of /${prefix} does not fit in ${formatCidr(outer)}`);
  }
  return { network, prefix };
}
