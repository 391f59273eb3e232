/**
 * IPv6 packets: the fixed header of RFC 8200 §3.
 *
 * Owns the 40-octet fixed header and delimits the payload by Payload Length. Extension headers are
 * NOT parsed: `nextHeader` is reported as found in the fixed header and, if it names an extension
 * header (Hop-by-Hop 0, Routing 43, Fragment 44, ...), the payload starts with that header. Jumbograms
 * (RFC 2675, Payload Length 0 with a Jumbo Payload option) are not supported: Payload Length 0 is
 * an empty payload.
 *
 * Guarantees: version ≠ 6 is `malformed`; Payload Length beyond the buffer is `truncated`; bytes
 * after it (Ethernet padding) are ignored, so canonical bytes are exactly 40 + Payload Length octets
 * and for those encode(decode(b)) = b; decode(encode(v)) deep-equals v for every valid value. The
 * payload is a zero-copy view of the input.
 *
 * Also exports what UDP/TCP/ICMPv6 share: `emitIpv6Address` and the pseudo-header sums
 * (`ipv6PseudoHeaderSum`, and `ipPseudoHeaderSum` for either family).
 */
import {
  ipv6ToBytes,
  ipVersion,
  readIpv6,
  type IpAddress,
  type Ipv4Address,
  type Ipv6Address,
} from './addr.js';
import { onesComplementSum, Reader } from './bytes.js';
import { WireError } from './errors.js';
import { ipv4PseudoHeaderSum } from './ipv4.js';

const PROTOCOL = 'ipv6';

export const IPV6_HEADER_LENGTH = 40;
export const IPV6_MAX_PAYLOAD_LENGTH = 0xffff;

// IANA "Assigned Internet Protocol Numbers": IPv6 extension headers (RFC 8200 §4).
export const IPV6_NEXT_HEADER_HOP_BY_HOP = 0;
export const IPV6_NEXT_HEADER_ROUTING = 43;
export const IPV6_NEXT_HEADER_FRAGMENT = 44;
export const IPV6_NEXT_HEADER_NONE = 59;
export const IPV6_NEXT_HEADER_DESTINATION_OPTIONS = 60;

export interface Ipv6Packet {
  /** Traffic Class, 0..255 (DSCP in the upper 6 bits, ECN in the lower 2). */
  readonly trafficClass: number;
  /** Flow Label, 0..0xfffff. */
  readonly flowLabel: number;
  /** The Next Header of the fixed header (`IPPROTO_*` or an extension header). */
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: Ipv6Address;
  readonly dst: Ipv6Address;
  readonly payload: Uint8Array;
}

/*
 * RFC 8200 §3: IPv6 Header Format
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version| Traffic Class |           Flow Label                  |
 *   |         Payload Length        |  Next Header  |   Hop Limit   |
 *   |                 Source Address (128 bits)                     |
 *   |              Destination Address (128 bits)                   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

export function decodeIpv6(buf: Uint8Array): Ipv6Packet {
  const r = new Reader(buf, PROTOCOL);
  r.need(IPV6_HEADER_LENGTH, 'header');
  const w0 = r.u32('version');
  if (w0 >>> 28 !== 6) r.fail('malformed', 'version', `version ${w0 >>> 28}, expected 6`, 0);
  const payloadLength = r.u16('payloadLength');
  const nextHeader = r.u8('nextHeader');
  const hopLimit = r.u8('hopLimit');
  const src = readIpv6(r, 'src');
  const dst = readIpv6(r, 'dst');
  if (payloadLength > r.remaining) {
    r.fail(
      'truncated',
      'payloadLength',
      `payload length ${payloadLength} but ${r.remaining} octets follow`,
      4,
    );
  }
  return {
    trafficClass: (w0 >>> 20) & 0xff,
    flowLabel: w0 & 0xfffff,
    nextHeader,
    hopLimit,
    src,
    dst,
    payload: r.bytes(payloadLength, 'payload'),
  };
}

function invalid(protocol: string, field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol, field, offset: 0, reason });
}

function checkUint(v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max)
    invalid(PROTOCOL, field, `${v} is not an integer in 0..${max}`);
  return v;
}

/** Writes an IPv6 address (16 octets) at `offset`; `malformed` if it is not one. */
export function emitIpv6Address(
  a: Ipv6Address,
  out: Uint8Array,
  offset: number,
  protocol: string,
  field: string,
): void {
  if (typeof a !== 'string' || !a.includes(':'))
    invalid(protocol, field, `${String(a)} is not an IPv6 address`);
  try {
    ipv6ToBytes(a, out, offset);
  } catch {
    invalid(protocol, field, `${a} is not an IPv6 address`);
  }
}

/**
 * RFC 8200 §8.1: the not-yet-folded one's complement sum of the IPv6 pseudo-header (source,
 * destination, 32-bit upper-layer length, three zero octets, next header).
 */
export function ipv6PseudoHeaderSum(
  src: Ipv6Address,
  dst: Ipv6Address,
  nextHeader: number,
  length: number,
  wireProtocol: string,
): number {
  const b = new Uint8Array(32);
  emitIpv6Address(src, b, 0, wireProtocol, 'src');
  emitIpv6Address(dst, b, 16, wireProtocol, 'dst');
  return onesComplementSum(b) + Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
}

/** The pseudo-header sum for either family; `malformed` if the addresses' families differ. */
export function ipPseudoHeaderSum(
  src: IpAddress,
  dst: IpAddress,
  protocol: number,
  length: number,
  wireProtocol: string,
): number {
  if (typeof src !== 'string') invalid(wireProtocol, 'src', `${String(src)} is not an IP address`);
  if (typeof dst !== 'string') invalid(wireProtocol, 'dst', `${String(dst)} is not an IP address`);
  const v = ipVersion(src);
  if (ipVersion(dst) !== v) invalid(wireProtocol, 'dst', `${dst} is not of the same family as ${src}`);
  if (v === 4) {
    if (length > 0xffff) invalid(wireProtocol, 'length', `${length} octets do not fit an IPv4 datagram`);
    return ipv4PseudoHeaderSum(src as Ipv4Address, dst as Ipv4Address, protocol, length, wireProtocol);
  }
  return ipv6PseudoHeaderSum(src as Ipv6Address, dst as Ipv6Address, protocol, length, wireProtocol);
}

/** Writes the 40-octet header at `offset` for a payload of `payloadLength` octets; returns the offset after it. */
export function emitIpv6Header(
  v: Omit<Ipv6Packet, 'payload'>,
  out: Uint8Array,
  offset: number,
  payloadLength: number,
): number {
  if (payloadLength > IPV6_MAX_PAYLOAD_LENGTH) {
    invalid(
      PROTOCOL,
      'payload',
      `payload of ${payloadLength} octets exceeds ${IPV6_MAX_PAYLOAD_LENGTH} (no jumbograms)`,
    );
  }
  const tc = checkUint(v.trafficClass, 0xff, 'trafficClass');
  const fl = checkUint(v.flowLabel, 0xfffff, 'flowLabel');
  const o = offset;
  out[o] = 0x60 | (tc >>> 4);
  out[o + 1] = ((tc & 0x0f) << 4) | (fl >>> 16);
  out[o + 2] = (fl >>> 8) & 0xff;
  out[o + 3] = fl & 0xff;
  out[o + 4] = payloadLength >>> 8;
  out[o + 5] = payloadLength & 0xff;
  out[o + 6] = checkUint(v.nextHeader, 0xff, 'nextHeader');
  out[o + 7] = checkUint(v.hopLimit, 0xff, 'hopLimit');
  emitIpv6Address(v.src, out, o + 8, PROTOCOL, 'src');
  emitIpv6Address(v.dst, out, o + 24, PROTOCOL, 'dst');
  return o + IPV6_HEADER_LENGTH;
}

export function encodeIpv6(v: Ipv6Packet): Uint8Array {
  const out = new Uint8Array(IPV6_HEADER_LENGTH + v.payload.length);
  emitIpv6Header(v, out, 0, v.payload.length);
  out.set(v.payload, IPV6_HEADER_LENGTH);
  return out;
}
