/**
 * UDP datagrams (RFC 768) over IPv4 or IPv6, with the checksum over the pseudo-header.
 *
 * Owns the 8-octet header and delimits the payload by the Length field. The caller passes the IP
 * source and destination (both IPv4 or both IPv6) because the checksum covers them.
 *
 * Checksum rules:
 * - `checksum: true`: encode computes it (a computed 0 is sent as 0xffff, RFC 768) and decode
 *   verifies it (`checksum` kind).
 * - `checksum: false`: the field is zero, "no checksum". Always accepted over IPv4 (RFC 768).
 *   Over IPv6 a zero checksum is `malformed` (RFC 8200 §8.1) EXCEPT for datagrams to the VXLAN
 *   port 4789: RFC 6935/6936 allow tunnel protocols a zero checksum and RFC 7348 §5 says a VTEP
 *   MUST accept it, so decode accepts it there and encode allows it there only.
 *
 * Length: below 8 is `malformed`; beyond the buffer is `truncated`; bytes after Length are ignored
 * (canonical bytes are exactly Length octets; for those encode(decode(b)) = b, and decode(encode(v))
 * deep-equals v). The payload is a zero-copy view of the input.
 */
import { ipVersion, type IpAddress } from './addr.js';
import { allocBytes, internetChecksum, Reader } from './bytes.js';
import { WireError } from './errors.js';
import { IPPROTO_UDP } from './ipv4.js';
import { ipPseudoHeaderSum } from './ipv6.js';

const PROTOCOL = 'udp';

export const UDP_HEADER_LENGTH = 8;
/** RFC 7348 §5: the IANA-assigned VXLAN port (the one port where IPv6 zero checksums are accepted). */
export const UDP_PORT_VXLAN = 4789;

export interface UdpDatagram {
  readonly srcPort: number;
  readonly dstPort: number;
  /** Whether the Checksum field carries a checksum (false: it is zero, "no checksum"). */
  readonly checksum: boolean;
  readonly payload: Uint8Array;
}

/*
 * RFC 768: User Datagram Header Format
 *    0      7 8     15 16    23 24    31
 *   +--------+--------+--------+--------+
 *   |     Source      |   Destination   |
 *   |      Port       |      Port       |
 *   +--------+--------+--------+--------+
 *   |                 |                 |
 *   |     Length      |    Checksum     |
 *   +--------+--------+--------+--------+
 *   |          data octets ...
 */

/** Decodes a datagram carried from `src` to `dst` (the IP header's addresses). */
export function decodeUdp(buf: Uint8Array, src: IpAddress, dst: IpAddress): UdpDatagram {
  const r = new Reader(buf, PROTOCOL);
  r.need(UDP_HEADER_LENGTH, 'header');
  const srcPort = r.u16('srcPort');
  const dstPort = r.u16('dstPort');
  const length = r.u16('length');
  const checksum = r.u16('checksum');
  if (length < UDP_HEADER_LENGTH) r.fail('malformed', 'length', `length ${length} is below 8`, 4);
  if (length > r.end) r.fail('truncated', 'length', `length ${length} but only ${r.end} octets`, 4);
  if (checksum === 0) {
    if (ipVersion(src) === 6 && dstPort !== UDP_PORT_VXLAN) {
      // RFC 8200 §8.1: IPv6 receivers MUST discard UDP packets containing a zero checksum.
      r.fail('malformed', 'checksum', 'zero UDP checksum over IPv6', 6);
    }
  } else {
    const sum = ipPseudoHeaderSum(src, dst, IPPROTO_UDP, length, PROTOCOL);
    if (internetChecksum(buf, 0, length, sum) !== 0)
      r.fail('checksum', 'checksum', 'checksum does not verify', 6);
  }
  return {
    srcPort,
    dstPort,
    checksum: checksum !== 0,
    payload: r.bytes(length - UDP_HEADER_LENGTH, 'payload'),
  };
}

function invalid(field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol: PROTOCOL, field, offset: 0, reason });
}

function checkPort(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) invalid(field, `${v} is not a port number`);
  return v;
}

/**
 * Writes header + payload at `offset` (the caller has sized `out`); returns the offset after them.
 * The checksum covers the bytes written here, so write the payload through this function.
 */
export function emitUdp(
  v: UdpDatagram,
  src: IpAddress,
  dst: IpAddress,
  out: Uint8Array,
  offset: number,
): number {
  const length = UDP_HEADER_LENGTH + v.payload.length;
  if (length > 0xffff) invalid('payload', `length ${length} exceeds 65535`);
  const srcPort = checkPort(v.srcPort, 'srcPort');
  const dstPort = checkPort(v.dstPort, 'dstPort');
  // Validates the addresses (and their families) even when no checksum is computed.
  const sum = ipPseudoHeaderSum(src, dst, IPPROTO_UDP, length, PROTOCOL);
  if (!v.checksum && ipVersion(src) === 6 && dstPort !== UDP_PORT_VXLAN) {
    invalid('checksum', 'a zero checksum is only allowed over IPv6 to the VXLAN port (RFC 6935)');
  }
  const o = offset;
  out[o] = srcPort >>> 8;
  out[o + 1] = srcPort & 0xff;
  out[o + 2] = dstPort >>> 8;
  out[o + 3] = dstPort & 0xff;
  out[o + 4] = length >>> 8;
  out[o + 5] = length & 0xff;
  out[o + 6] = 0;
  out[o + 7] = 0;
  out.set(v.payload, o + UDP_HEADER_LENGTH);
  if (v.checksum) {
    // RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
    const c = internetChecksum(out, o, o + length, sum) || 0xffff;
    out[o + 6] = c >>> 8;
    out[o + 7] = c & 0xff;
  }
  return o + length;
}

export function encodeUdp(v: UdpDatagram, src: IpAddress, dst: IpAddress): Uint8Array {
  const out = allocBytes(UDP_HEADER_LENGTH + v.payload.length);
  emitUdp(v, src, dst, out, 0);
  return out;
}
