/**
 * IPv4 CIDR arithmetic for checking and carving subnets. Plain numbers: a /0..32 block fits
 * in a double exactly.
 */
import { q } from '../dsl/errors.ts';

export interface Cidr {
  readonly network: number;
  readonly prefix: number;
}

const CIDR_PATTERN = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses `a.b.c.d/n`; `undefined` if it is not a valid, aligned IPv4 CIDR block (see cidrProblem). */
export function parseCidr(text: string): Cidr | undefined {
  return cidrProblem(text) === undefined ? parse(text) : undefined;
}

function parse(text: string): Cidr {
  const m = CIDR_PATTERN.exec(text)!;
  return { network: m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0), prefix: Number(m[5]) };
}

/**
 * What is wrong with `text` as an IPv4 CIDR block, in words for a message, and the block it
 * probably means where there is one; `undefined` for a valid block. Leading zeros are refused:
 * `010.0.0.0/16` is 10.0.0.0 to some tools and 8.0.0.0 (octal) to others (inet_aton), so the
 * block meant is not certain.
 */
export function cidrProblem(text: string): { readonly problem: string; readonly meant?: string } | undefined {
  const m = CIDR_PATTERN.exec(text);
  if (!m) return { problem: 'it is not of the form `a.b.c.d/n`' };
  const parts = m.slice(1, 6);
  if (parts.some((p) => p.length > 1 && p.startsWith('0'))) {
    const decimal = `${parts.slice(0, 4).map(Number).join('.')}/${Number(parts[4])}`;
    const problem = `${q(parts.find((p) => p.length > 1 && p.startsWith('0'))!)} has a leading zero, which some tools read as octal`;
    return cidrProblem(decimal) ? { problem } : { problem, meant: decimal };
  }
  const big = parts.slice(0, 4).find((p) => Number(p) > 255);
  if (big !== undefined) return { problem: `octet ${q(big)} is over 255` };
  if (Number(parts[4]) > 32) return { problem: `prefix /${parts[4]} is over 32` };
  const c = parse(text);
  const start = c.network - (c.network % blockSize(c.prefix));
  if (start !== c.network) return { problem: 'host bits are set', meant: formatCidr({ network: start, prefix: c.prefix }) };
  return undefined;
}

/**
 * Address ranges IANA reserves for purposes other than a network's hosts (RFC 6890): a VPC or a
 * subnet there cannot work. Link-local also holds the EC2 instance metadata service and the Amazon
 * DNS server's 169.254.169.253.
 * https://www.iana.org/assignments/iana-ipv4-special-registry/iana-ipv4-special-registry.xhtml
 */
export const RESERVED_RANGES: readonly { readonly cidr: string; readonly name: string }[] = [
  { cidr: '0.0.0.0/8', name: '"this network" (RFC 1122)' },
  { cidr: '127.0.0.0/8', name: 'loopback (RFC 1122)' },
  { cidr: '169.254.0.0/16', name: 'link-local (RFC 3927), where instances reach their metadata service' },
  { cidr: '224.0.0.0/4', name: 'multicast (RFC 5771)' },
  { cidr: '240.0.0.0/4', name: 'reserved for future use, with the broadcast address (RFC 1112)' },
];

/** The reserved range `c` overlaps, if any. */
export function reservedRange(c: Cidr): { readonly cidr: string; readonly name: string } | undefined {
  return RESERVED_RANGES.find((r) => overlaps(parse(r.cidr), c));
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
