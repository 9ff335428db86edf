import { isIPv6 } from 'node:net';
import { caError } from '../errors';

/** One `source-address` entry: an address family, the network bytes and the prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Buffer;
  readonly prefix: number;
}

function fail(entry: string, problem: string): never {
  throw caError(
    'CA_INVALID_SOURCE_ADDRESS',
    `source-address ${JSON.stringify(entry.slice(0, 64))}: ${problem} (accepted: IPv4 or IPv6 addresses or CIDRs with zero host bits, e.g. 10.0.0.0/8, 192.0.2.7, 2001:db8::/32)`,
  );
}

function parseIPv4(text: string): Buffer | null {
  // Dotted quad of decimal octets without leading zeros ("010" is octal to some parsers).
  const out = Buffer.alloc(4);
  let part = 0;
  let value = -1;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (value < 0 || part > 3) return null;
      out[part++] = value;
      value = -1;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return null;
      value = (value < 0 ? 0 : value * 10) + (c - 0x30);
      if (++digits > 3 || value > 255) return null;
    } else return null;
  }
  return part === 4 ? out : null;
}

function parseIPv6(text: string): Buffer | null {
  if (!isIPv6(text) || text.includes('%')) return null;
  let hex = text;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    // Embedded IPv4 tail (::ffff:192.0.2.1): rewrite it as two hex groups.
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (!v4) return null;
    hex = `${text.slice(0, lastColon + 1)}${v4.readUInt16BE(0).toString(16)}:${v4.readUInt16BE(2).toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return null;
  const left = halves[0] ? halves[0].split(':') : [];
  const right = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = halves.length === 2 ? 8 - left.length - right.length : 0;
  if (fill < 0) return null;
  const groups = [...left, ...Array<string>(fill).fill('0'), ...right];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) return null;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Parses an IP address (no prefix) into family and bytes, or null. */
export function parseIp(text: string): { family: 4 | 6; bytes: Buffer } | null {
  const v4 = parseIPv4(text);
  if (v4) return { family: 4, bytes: v4 };
  const v6 = parseIPv6(text);
  if (v6) {
    // IPv4-mapped IPv6 (::ffff:a.b.c.d) is matched as the IPv4 address, as sshd does for clients.
    if (v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff)
      return { family: 4, bytes: v6.subarray(12) };
    return { family: 6, bytes: v6 };
  }
  return null;
}

/** Parses `ADDR` or `ADDR/LEN`; host bits must be zero. Throws CA_INVALID_SOURCE_ADDRESS. */
export function parseCidr(entry: string): Cidr {
  if (entry.length === 0 || entry.length > 64) fail(entry, 'empty or too long');
  const slash = entry.indexOf('/');
  const addrText = slash < 0 ? entry : entry.slice(0, slash);
  const v4 = parseIPv4(addrText);
  const v6 = v4 ? null : parseIPv6(addrText);
  const bytes = v4 ?? v6;
  if (!bytes) fail(entry, 'not an IP address');
  const family: 4 | 6 = v4 ? 4 : 6;
  const max = family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const lenText = entry.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(lenText)) fail(entry, 'prefix length is not a number');
    prefix = Number(lenText);
    if (prefix > max) fail(entry, `prefix length ${prefix} is above ${max}`);
  }
  for (let bit = prefix; bit < max; bit++) {
    if (bytes[bit >> 3]! & (0x80 >> (bit & 7))) fail(entry, 'host bits are set (write the network address)');
  }
  return { family, bytes, prefix };
}

/** Parses a comma-separated source-address list (at most 64 entries, no empties). */
export function parseCidrList(list: string | readonly string[]): Cidr[] {
  const entries = typeof list === 'string' ? list.split(',') : list.flatMap((e) => e.split(','));
  if (entries.length === 0 || (entries.length === 1 && entries[0] === '')) fail('', 'empty list');
  if (entries.length > 64) fail(entries.slice(0, 3).join(','), `${entries.length} entries, at most 64`);
  return entries.map((e) => parseCidr(e.trim() === e ? e : fail(e, 'contains whitespace')));
}

/** Canonical text of a CIDR: dotted quad or compressed IPv6, `/LEN` unless it is a single host. */
export function formatCidr(c: Cidr): string {
  let addr: string;
  if (c.family === 4) addr = `${c.bytes[0]}.${c.bytes[1]}.${c.bytes[2]}.${c.bytes[3]}`;
  else {
    const groups = Array.from({ length: 8 }, (_, i) => c.bytes.readUInt16BE(i * 2));
    let bestStart = -1;
    let bestLen = 0;
    for (let i = 0; i < 8;) {
      if (groups[i] !== 0) {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > bestLen && j - i >= 2) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    const hex = groups.map((g) => g.toString(16));
    addr =
      bestStart < 0
        ? hex.join(':')
        : `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
  }
  return c.prefix === (c.family === 4 ? 32 : 128) ? addr : `${addr}/${c.prefix}`;
}

/** Whether `ip` (text) lies in any of the CIDRs. Unparseable addresses match nothing. */
export function cidrListContains(list: readonly Cidr[], ip: string): boolean {
  const addr = parseIp(ip);
  if (!addr) return false;
  return list.some((c) => {
    if (c.family !== addr.family) return false;
    for (let bit = 0; bit < c.prefix; bit++) {
      const mask = 0x80 >> (bit & 7);
      if ((c.bytes[bit >> 3]! & mask) !== (addr.bytes[bit >> 3]! & mask)) return false;
    }
    return true;
  });
}
