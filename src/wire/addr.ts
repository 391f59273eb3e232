/**
 * Addresses and identifiers as branded values.
 *
 * Control-plane values use canonical strings (`aa:bb:cc:dd:ee:ff`, `10.0.0.1`, RFC 5952 IPv6), so
 * they compare with `===`, print as a network engineer expects and survive JSON. Constructors
 * validate and canonicalise; the `*FromBytes` functions are what decoders use and always return
 * canonical form, so decode → encode → decode is stable.
 */
import type { Reader } from './bytes.js';

export type Mac = string & { readonly __brand: 'Mac' };
export type Ipv4Address = string & { readonly __brand: 'Ipv4Address' };
export type Ipv6Address = string & { readonly __brand: 'Ipv6Address' };
export type IpAddress = Ipv4Address | Ipv6Address;
/** VXLAN network identifier, 24 bits (RFC 7348 §5). */
export type Vni = number & { readonly __brand: 'Vni' };
/** Autonomous system number, 4 octets (RFC 6793). */
export type Asn = number & { readonly __brand: 'Asn' };

/** Thrown for a textual address or identifier that does not parse (config, CLI, tests). */
export class AddressError extends Error {
  constructor(
    readonly what: string,
    readonly input: string,
  ) {
    super(`invalid ${what}: ${JSON.stringify(input)}`);
    this.name = 'AddressError';
  }
}

// ---------- MAC ----------

export function mac(text: string): Mac {
  const m =
    /^([0-9a-fA-F]{2})([:-]?)([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})\2([0-9a-fA-F]{2})$/.exec(
      text,
    );
  if (!m) throw new AddressError('MAC address', text);
  return [m[1], m[3], m[4], m[5], m[6], m[7]].join(':').toLowerCase() as Mac;
}

/** Char codes of '0'..'f', for building address text without string concatenation. */
const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

// Text built by concatenation is a tree of rope nodes in V8 (hundreds of bytes for a MAC); these
// builders make flat strings, which matters for RIBs holding millions of addresses.
export function macFromBytes(buf: Uint8Array, offset = 0): Mac {
  const H = HEX_CODES;
  const b0 = buf[offset]!;
  const b1 = buf[offset + 1]!;
  const b2 = buf[offset + 2]!;
  const b3 = buf[offset + 3]!;
  const b4 = buf[offset + 4]!;
  const b5 = buf[offset + 5]!;
  return String.fromCharCode(
    H[b0 >> 4]!,
    H[b0 & 15]!,
    58,
    H[b1 >> 4]!,
    H[b1 & 15]!,
    58,
    H[b2 >> 4]!,
    H[b2 & 15]!,
    58,
    H[b3 >> 4]!,
    H[b3 & 15]!,
    58,
    H[b4 >> 4]!,
    H[b4 & 15]!,
    58,
    H[b5 >> 4]!,
    H[b5 & 15]!,
  ) as Mac;
}

/** `bytes` as colon-separated lowercase hex ("0a:1b:..."), as one flat string. */
export function colonHexFromBytes(buf: Uint8Array, offset: number, length: number): string {
  const codes = new Array<number>(length * 3 - 1);
  for (let i = 0; i < length; i++) {
    const b = buf[offset + i]!;
    codes[i * 3] = HEX_CODES[b >> 4]!;
    codes[i * 3 + 1] = HEX_CODES[b & 15]!;
    if (i + 1 < length) codes[i * 3 + 2] = 58;
  }
  return String.fromCharCode(...codes);
}

export function macToBytes(m: Mac, out: Uint8Array = new Uint8Array(6), offset = 0): Uint8Array {
  for (let i = 0; i < 6; i++) out[offset + i] = Number.parseInt(m.slice(i * 3, i * 3 + 2), 16);
  return out;
}

/*
 * A MAC as a 48-bit number (first octet most significant, exact in a double): the data-plane fast
 * path keys its tables by it and reads it straight from frame bytes, with no text per frame.
 */

/** 2^32, to split a 48-bit MAC number into its high 16 and low 32 bits. */
const TWO_32 = 0x1_0000_0000;

/** The six octets at `offset` as a 48-bit number. The caller has checked that they are there. */
export function macNumberFromBytes(buf: Uint8Array, offset = 0): number {
  const hi = (buf[offset]! << 8) | buf[offset + 1]!;
  const lo =
    ((buf[offset + 2]! << 24) | (buf[offset + 3]! << 16) | (buf[offset + 4]! << 8) | buf[offset + 5]!) >>> 0;
  return hi * TWO_32 + lo;
}

/** `aa:bb:cc:dd:ee:ff` (either case) as a 48-bit number; anything else throws `AddressError`. */
export function macToNumber(m: Mac): number {
  if (typeof m !== 'string' || m.length !== 17) throw new AddressError('MAC address', String(m));
  let n = 0;
  for (let i = 0; i < 17; i += 3) {
    const hi = hexValue(m.charCodeAt(i));
    const lo = hexValue(m.charCodeAt(i + 1));
    if (hi < 0 || lo < 0 || (i < 15 && m.charCodeAt(i + 2) !== 58)) throw new AddressError('MAC address', m);
    n = n * 256 + ((hi << 4) | lo);
  }
  return n;
}

/** The canonical text of a 48-bit MAC number (0 ≤ n < 2^48, an integer). */
export function macFromNumber(n: number): Mac {
  const hi = Math.floor(n / TWO_32);
  const lo = n >>> 0;
  const H = HEX_CODES;
  const b = [hi >>> 8, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff];
  const codes: number[] = [];
  for (let i = 0; i < 6; i++) {
    if (i > 0) codes.push(58);
    codes.push(H[b[i]! >> 4]!, H[b[i]! & 15]!);
  }
  return String.fromCharCode(...codes) as Mac;
}

/** I/G bit of a 48-bit MAC number: group (multicast or broadcast). */
export function isGroupMacNumber(n: number): boolean {
  return (Math.floor(n / 0x100_0000_0000) & 1) === 1;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

export function readMac(r: Reader, field: string): Mac {
  const at = r.offset;
  r.skip(6, field);
  return macFromBytes(r.buf, at);
}

export const BROADCAST_MAC = 'ff:ff:ff:ff:ff:ff' as Mac;
export const ZERO_MAC = '00:00:00:00:00:00' as Mac;

/** I/G bit: group (multicast or broadcast) destination. */
export function isGroupMac(m: Mac): boolean {
  return (Number.parseInt(m.slice(0, 2), 16) & 1) === 1;
}

// ---------- IPv4 ----------

export function ipv4(text: string): Ipv4Address {
  const parts = text.split('.');
  if (parts.length !== 4) throw new AddressError('IPv4 address', text);
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) throw new AddressError('IPv4 address', text);
    const n = Number(p);
    if (n > 255) throw new AddressError('IPv4 address', text);
    out.push(n);
  }
  return out.join('.') as Ipv4Address;
}

export function ipv4FromBytes(buf: Uint8Array, offset = 0): Ipv4Address {
  // join() makes a flat string (see macFromBytes).
  return [buf[offset]!, buf[offset + 1]!, buf[offset + 2]!, buf[offset + 3]!].join('.') as Ipv4Address;
}

export function ipv4ToBytes(a: Ipv4Address, out: Uint8Array = new Uint8Array(4), offset = 0): Uint8Array {
  let i = 0;
  let n = 0;
  for (let c = 0; c < a.length; c++) {
    const ch = a.charCodeAt(c);
    if (ch === 46) {
      out[offset + i++] = n;
      n = 0;
    } else n = n * 10 + (ch - 48);
  }
  out[offset + i] = n;
  return out;
}

export function ipv4ToNumber(a: Ipv4Address): number {
  const b = ipv4ToBytes(a);
  return ((b[0]! << 24) >>> 0) + ((b[1]! << 16) | (b[2]! << 8) | b[3]!);
}

export function ipv4FromNumber(n: number): Ipv4Address {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}` as Ipv4Address;
}

export function readIpv4(r: Reader, field: string): Ipv4Address {
  const at = r.offset;
  r.skip(4, field);
  return ipv4FromBytes(r.buf, at);
}

export function isIpv4(text: string): text is Ipv4Address {
  try {
    return ipv4(text) === text;
  } catch {
    return false;
  }
}

// ---------- IPv6 ----------

export function ipv6(text: string): Ipv6Address {
  return ipv6FromBytes(ipv6ParseToBytes(text));
}

function ipv6ParseToBytes(text: string): Uint8Array {
  const fail = (): never => {
    throw new AddressError('IPv6 address', text);
  };
  let s = text;
  const out = new Uint8Array(16);
  // Embedded IPv4 tail (::ffff:1.2.3.4).
  let tail: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    try {
      tail = ipv4ToBytes(ipv4(s.slice(lastColon + 1)));
    } catch {
      fail();
    }
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) fail();
  const parseGroups = (h: string): number[] => {
    if (h === '') return [];
    return h.split(':').map((g) => {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) fail();
      return Number.parseInt(g, 16);
    });
  };
  const head = parseGroups(halves[0] ?? '');
  const back = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (halves.length === 1 && head.length !== 8) fail();
  if (halves.length === 2 && head.length + back.length > 7) fail();
  const groups = [...head, ...new Array<number>(8 - head.length - back.length).fill(0), ...back];
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

/** RFC 5952 canonical text: lowercase, no leading zeros, longest run (≥2) of zero groups as `::`. */
export function ipv6FromBytes(buf: Uint8Array, offset = 0): Ipv6Address {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((buf[offset + i * 2]! << 8) | buf[offset + i * 2 + 1]!);
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    g
      .slice(from, to)
      .map((x) => x.toString(16))
      .join(':');
  if (bestLen < 2) return hex(0, 8) as Ipv6Address;
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}` as Ipv6Address;
}

export function ipv6ToBytes(a: Ipv6Address, out: Uint8Array = new Uint8Array(16), offset = 0): Uint8Array {
  out.set(ipv6ParseToBytes(a), offset);
  return out;
}

export function readIpv6(r: Reader, field: string): Ipv6Address {
  const at = r.offset;
  r.skip(16, field);
  return ipv6FromBytes(r.buf, at);
}

export function isIpv6(text: string): text is Ipv6Address {
  try {
    return ipv6(text) === text;
  } catch {
    return false;
  }
}

// ---------- any IP ----------

export function ip(text: string): IpAddress {
  return text.includes(':') ? ipv6(text) : ipv4(text);
}

export function ipVersion(a: IpAddress): 4 | 6 {
  return a.includes(':') ? 6 : 4;
}

export function ipToBytes(a: IpAddress): Uint8Array {
  return ipVersion(a) === 4 ? ipv4ToBytes(a as Ipv4Address) : ipv6ToBytes(a as Ipv6Address);
}

export function ipFromBytes(buf: Uint8Array): IpAddress {
  if (buf.length === 4) return ipv4FromBytes(buf);
  if (buf.length === 16) return ipv6FromBytes(buf);
  throw new AddressError('IP address bytes', `length ${buf.length}`);
}

// ---------- numeric identifiers ----------

export function vni(n: number): Vni {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffff) throw new AddressError('VNI (0..16777215)', String(n));
  return n as Vni;
}

export function asn(n: number): Asn {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new AddressError('AS number (0..4294967295)', String(n));
  return n as Asn;
}
