/**
 * IPv4 datagrams (RFC 791 §3.1; DSCP/ECN per RFC 2474 and RFC 3168).
 *
 * Owns the header (options kept as raw bytes, IHL honoured) and delimits the payload by Total
 * Length. It does not reassemble fragments: the flags and offset are reported and the payload of a
 * fragment is just that fragment's bytes.
 *
 * Guarantees:
 * - The header checksum is computed on encode and verified on decode (`checksum` kind, field
 *   `checksum`). Version ≠ 4, IHL < 5, Total Length < header length or the reserved flag set are
 *   `malformed`; Total Length beyond the buffer is `truncated`. Bytes after Total Length (Ethernet
 *   padding, an FCS) are ignored, so canonical bytes are exactly Total Length octets; for those,
 *   encode(decode(b)) = b, and decode(encode(v)) deep-equals v for every valid value.
 * - `options` and `payload` are zero-copy views of the input.
 *
 * Also exports what the UDP/TCP/ARP/VXLAN codecs share: an allocation-free IPv4 address writer
 * (`emitIpv4Address`) and the RFC 768/9293 pseudo-header sum (`ipv4PseudoHeaderSum`).
 */
import { readIpv4, type Ipv4Address } from './addr.js';
import { allocBytes, internetChecksum, Reader } from './bytes.js';
import { WireError } from './errors.js';

const PROTOCOL = 'ipv4';

// IANA "Assigned Internet Protocol Numbers".
export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

export const IPV4_HEADER_LENGTH = 20;
/** RFC 791 §3.1: IHL is 4 bits of 32-bit words, so options are at most 40 octets. */
export const IPV4_MAX_OPTIONS_LENGTH = 40;
export const IPV4_MAX_TOTAL_LENGTH = 0xffff;

/** An empty view shared by values without options (zero length, so nothing in it can change). */
const EMPTY = new Uint8Array(0);

export interface Ipv4Header {
  /** Differentiated Services Code Point, 0..63 (RFC 2474 §3). */
  readonly dscp: number;
  /** Explicit Congestion Notification, 0..3 (RFC 3168 §5). */
  readonly ecn: number;
  /** Identification, 0..65535. */
  readonly id: number;
  /** DF flag. */
  readonly dontFragment: boolean;
  /** MF flag. */
  readonly moreFragments: boolean;
  /** Fragment Offset in 8-octet units, 0..8191. */
  readonly fragmentOffset: number;
  readonly ttl: number;
  /** `IPPROTO_*`. */
  readonly protocol: number;
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  /** Options and padding as sent: a multiple of 4 octets, at most 40. */
  readonly options: Uint8Array;
}

export interface Ipv4Packet extends Ipv4Header {
  readonly payload: Uint8Array;
}

export function ipProtocolName(protocol: number): string {
  switch (protocol) {
    case IPPROTO_ICMP:
      return 'ICMP';
    case IPPROTO_TCP:
      return 'TCP';
    case IPPROTO_UDP:
      return 'UDP';
    case IPPROTO_ICMPV6:
      return 'ICMPv6';
    default:
      return `proto-${protocol}`;
  }
}

/*
 * RFC 791 §3.1: Internet Header Format
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |Version|  IHL  |   DSCP    |ECN|          Total Length         |
 *   |         Identification        |0|D|M|      Fragment Offset    |
 *   |  Time to Live |    Protocol   |         Header Checksum       |
 *   |                       Source Address                          |
 *   |                    Destination Address                        |
 *   |                    Options                    |    Padding    |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

export function decodeIpv4(buf: Uint8Array): Ipv4Packet {
  const r = new Reader(buf, PROTOCOL);
  r.need(IPV4_HEADER_LENGTH, 'header');
  const b0 = r.u8('version');
  if (b0 >>> 4 !== 4) r.fail('malformed', 'version', `version ${b0 >>> 4}, expected 4`, 0);
  const headerLength = (b0 & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) r.fail('malformed', 'ihl', `IHL ${b0 & 0x0f} is below 5`, 0);
  const tos = r.u8('tos');
  const totalLength = r.u16('totalLength');
  if (totalLength < headerLength) {
    r.fail('malformed', 'totalLength', `total length ${totalLength} < header length ${headerLength}`, 2);
  }
  if (totalLength > r.end) {
    r.fail('truncated', 'totalLength', `total length ${totalLength} but only ${r.end} octets`, 2);
  }
  const id = r.u16('id');
  const fragment = r.u16('flags');
  // RFC 791 §3.1: "Bit 0: reserved, must be zero".
  if ((fragment & 0x8000) !== 0) r.fail('malformed', 'flags', 'reserved flag bit set', 6);
  const ttl = r.u8('ttl');
  const protocol = r.u8('protocol');
  r.skip(2, 'checksum');
  const src = readIpv4(r, 'src');
  const dst = readIpv4(r, 'dst');
  const options =
    headerLength > IPV4_HEADER_LENGTH ? r.bytes(headerLength - IPV4_HEADER_LENGTH, 'options') : EMPTY;
  // RFC 791 §3.1: the checksum field is the 16-bit one's complement of the one's complement sum of
  // all 16-bit words in the header; summed with it in place the result is zero.
  if (internetChecksum(buf, 0, headerLength) !== 0) {
    r.fail('checksum', 'checksum', 'header checksum does not verify', 10);
  }
  return {
    dscp: tos >>> 2,
    ecn: tos & 3,
    id,
    dontFragment: (fragment & 0x4000) !== 0,
    moreFragments: (fragment & 0x2000) !== 0,
    fragmentOffset: fragment & 0x1fff,
    ttl,
    protocol,
    src,
    dst,
    options,
    payload: r.bytes(totalLength - headerLength, 'payload'),
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

/**
 * Parses dotted-quad text into a 32-bit number without allocating (`malformed` naming `protocol`
 * and `field` if it is not an IPv4 address).
 */
export function ipv4AddressValue(a: Ipv4Address, protocol: string, field: string): number {
  if (typeof a !== 'string' || a.length < 7 || a.length > 15) {
    invalid(protocol, field, `${String(a)} is not an IPv4 address`);
  }
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) break;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      octet = octet * 10 + (c - 48);
      digits++;
    } else {
      digits = -1;
      break;
    }
    if (octet > 255) break;
  }
  if (dots !== 3 || digits <= 0 || octet > 255) invalid(protocol, field, `${a} is not an IPv4 address`);
  return value * 256 + octet;
}

/** Writes an IPv4 address (four octets) at `offset`; `malformed` if it is not one. */
export function emitIpv4Address(
  a: Ipv4Address,
  out: Uint8Array,
  offset: number,
  protocol: string,
  field: string,
): void {
  const v = ipv4AddressValue(a, protocol, field);
  out[offset] = v >>> 24;
  out[offset + 1] = (v >>> 16) & 0xff;
  out[offset + 2] = (v >>> 8) & 0xff;
  out[offset + 3] = v & 0xff;
}

/**
 * RFC 768 / RFC 9293 §3.1: the not-yet-folded one's complement sum of the IPv4 pseudo-header
 * (source, destination, zero, protocol, upper-layer length), to pass as `initial` to
 * `internetChecksum`.
 */
export function ipv4PseudoHeaderSum(
  src: Ipv4Address,
  dst: Ipv4Address,
  protocol: number,
  length: number,
  wireProtocol: string,
): number {
  const s = ipv4AddressValue(src, wireProtocol, 'src');
  const d = ipv4AddressValue(dst, wireProtocol, 'dst');
  return (s >>> 16) + (s & 0xffff) + (d >>> 16) + (d & 0xffff) + protocol + length;
}

export function ipv4HeaderLength(v: Ipv4Header): number {
  return IPV4_HEADER_LENGTH + v.options.length;
}

/**
 * Writes the header (checksum included) at `offset` for a payload of `payloadLength` octets that
 * the caller writes after it; returns the offset after the header.
 */
export function emitIpv4Header(
  v: Ipv4Header,
  out: Uint8Array,
  offset: number,
  payloadLength: number,
): number {
  const optionsLength = v.options.length;
  if (optionsLength > IPV4_MAX_OPTIONS_LENGTH || optionsLength % 4 !== 0) {
    invalid(PROTOCOL, 'options', `${optionsLength} octets of options (a multiple of 4, at most 40)`);
  }
  const headerLength = IPV4_HEADER_LENGTH + optionsLength;
  const totalLength = headerLength + payloadLength;
  if (totalLength > IPV4_MAX_TOTAL_LENGTH) {
    invalid(PROTOCOL, 'payload', `total length ${totalLength} exceeds ${IPV4_MAX_TOTAL_LENGTH}`);
  }
  const tos = (checkUint(v.dscp, 63, 'dscp') << 2) | checkUint(v.ecn, 3, 'ecn');
  const id = checkUint(v.id, 0xffff, 'id');
  const fragment =
    (v.dontFragment ? 0x4000 : 0) |
    (v.moreFragments ? 0x2000 : 0) |
    checkUint(v.fragmentOffset, 0x1fff, 'fragmentOffset');
  const o = offset;
  out[o] = 0x40 | (headerLength >>> 2);
  out[o + 1] = tos;
  out[o + 2] = totalLength >>> 8;
  out[o + 3] = totalLength & 0xff;
  out[o + 4] = id >>> 8;
  out[o + 5] = id & 0xff;
  out[o + 6] = fragment >>> 8;
  out[o + 7] = fragment & 0xff;
  out[o + 8] = checkUint(v.ttl, 0xff, 'ttl');
  out[o + 9] = checkUint(v.protocol, 0xff, 'protocol');
  out[o + 10] = 0;
  out[o + 11] = 0;
  emitIpv4Address(v.src, out, o + 12, PROTOCOL, 'src');
  emitIpv4Address(v.dst, out, o + 16, PROTOCOL, 'dst');
  out.set(v.options, o + IPV4_HEADER_LENGTH);
  const c = internetChecksum(out, o, o + headerLength);
  out[o + 10] = c >>> 8;
  out[o + 11] = c & 0xff;
  return o + headerLength;
}

export function encodeIpv4(v: Ipv4Packet): Uint8Array {
  const headerLength = ipv4HeaderLength(v);
  const out = allocBytes(headerLength + v.payload.length);
  emitIpv4Header(v, out, 0, v.payload.length);
  out.set(v.payload, headerLength);
  return out;
}
