import { isIPv4, isIPv6 } from 'node:net';

/** An address block: IPv4 or IPv6 network with its prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly network: bigint;
  readonly prefix: number;
}

function v4ToBigInt(ip: string): bigint {
  return ip.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

function v6ToBigInt(ip: string): bigint {
  let text = ip;
  if (text.includes('.')) {
    // embedded IPv4 (e.g. ::ffff:192.0.2.1): rewrite its last part as two hex groups
    const cut = text.lastIndexOf(':');
    const v4 = v4ToBigInt(text.slice(cut + 1));
    text = `${text.slice(0, cut + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((h) => BigInt(parseInt(h, 16))));
  const left = groups(halves[0]!);
  const right = halves.length > 1 ? groups(halves[1]!) : [];
  const all =
    halves.length > 1 ? [...left, ...Array<bigint>(8 - left.length - right.length).fill(0n), ...right] : left;
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** Parses `10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`; returns null when malformed or when host bits are set. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const ip = slash < 0 ? text : text.slice(0, slash);
  const family = isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : 0;
  if (family === 0) return null;
  const bits = family === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = Number(prefixText);
  if (prefix > bits) return null;
  const value = family === 4 ? v4ToBigInt(ip) : v6ToBigInt(ip);
  const hostMask = (1n << BigInt(bits - prefix)) - 1n;
  if ((value & hostMask) !== 0n) return null;
  return { family, network: value, prefix };
}

function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.prefix > inner.prefix) return false;
  const bits = outer.family === 4 ? 32 : 128;
  const shift = BigInt(bits - outer.prefix);
  return inner.network >> shift === outer.network >> shift;
}

/**
 * The addresses in both lists, as CIDR text. Two blocks either nest or are disjoint,
 * so the intersection of two lists is the narrower block of every nested pair.
 */
export function intersectCidrLists(a: readonly string[], b: readonly string[]): string[] {
  const out = new Set<string>();
  for (const x of a) {
    const cx = parseCidr(x);
    if (!cx) continue;
    for (const y of b) {
      const cy = parseCidr(y);
      if (!cy) continue;
      if (contains(cx, cy)) out.add(y);
      else if (contains(cy, cx)) out.add(x);
    }
  }
  return [...out].sort();
}
