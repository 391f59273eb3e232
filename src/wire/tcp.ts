/**
 * TCP segments (RFC 9293 §3.1) over IPv4 or IPv6, with the checksum over the pseudo-header.
 *
 * Owns the header (options kept as raw bytes, Data Offset honoured) and the payload, which is
 * everything after the header (TCP has no length field: the IP layer delimits the segment). The
 * caller passes the IP source and destination (both IPv4 or both IPv6) because the checksum covers
 * them. Used to write BGP sessions into pcap files and to read them back; it is not a TCP stack.
 *
 * Guarantees: the checksum is computed on encode and verified on decode (`checksum` kind). Data
 * Offset < 5 is `malformed`, beyond the buffer `truncated`. `flags` holds the 12 bits after Data
 * Offset: the eight named control bits plus the four reserved bits (RFC 9293: sent as zero and
 * ignored on receipt; kept here so re-encoding is byte-exact). For every input b that decodes
 * (and whose checksum field is not the 0xffff spelling of a computed zero),
 * encode(decode(b)) = b; decode(encode(v)) deep-equals v for every valid value. `options` and
 * `payload` are zero-copy views of the input.
 */
import type { IpAddress } from './addr.js';
import { allocBytes, internetChecksum, Reader } from './bytes.js';
import { WireError } from './errors.js';
import { IPPROTO_TCP } from './ipv4.js';
import { ipPseudoHeaderSum } from './ipv6.js';

const PROTOCOL = 'tcp';

export const TCP_HEADER_LENGTH = 20;
export const TCP_MAX_OPTIONS_LENGTH = 40;
/** IANA: BGP (RFC 4271 §8.2.1). */
export const TCP_PORT_BGP = 179;

// RFC 9293 §3.1 control bits (ECE and CWR from RFC 3168 §6.1).
export const TCP_FLAG_FIN = 0x01;
export const TCP_FLAG_SYN = 0x02;
export const TCP_FLAG_RST = 0x04;
export const TCP_FLAG_PSH = 0x08;
export const TCP_FLAG_ACK = 0x10;
export const TCP_FLAG_URG = 0x20;
export const TCP_FLAG_ECE = 0x40;
export const TCP_FLAG_CWR = 0x80;
/** The four reserved bits above the control bits (0x100 was the ECN-nonce NS bit, RFC 3540, now historic). */
export const TCP_FLAGS_RESERVED = 0xf00;

// IANA "TCP Option Kind Numbers".
export const TCP_OPTION_END = 0;
export const TCP_OPTION_NOP = 1;
export const TCP_OPTION_MSS = 2;
export const TCP_OPTION_WINDOW_SCALE = 3;
export const TCP_OPTION_SACK_PERMITTED = 4;
export const TCP_OPTION_TIMESTAMPS = 8;

const EMPTY = new Uint8Array(0);

export interface TcpSegment {
  readonly srcPort: number;
  readonly dstPort: number;
  /** Sequence number, 0..2^32-1. */
  readonly seq: number;
  /** Acknowledgment number, 0..2^32-1 (meaningful with ACK). */
  readonly ack: number;
  /** `TCP_FLAG_*` bits, plus any reserved bits (0..0xfff). */
  readonly flags: number;
  readonly window: number;
  readonly urgentPointer: number;
  /** Options as sent, padding included: a multiple of 4 octets, at most 40. */
  readonly options: Uint8Array;
  readonly payload: Uint8Array;
}

const FLAG_NAMES = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'] as const;

/** Names of the set control bits in tshark's order (`SYN,ACK`, `FIN,PSH,ACK`); reserved bits as `RES=0x.`. */
export function tcpFlagsText(flags: number): string {
  const names: string[] = [];
  for (let i = 0; i < FLAG_NAMES.length; i++) if ((flags & (1 << i)) !== 0) names.push(FLAG_NAMES[i]!);
  if ((flags & TCP_FLAGS_RESERVED) !== 0)
    names.push(`RES=0x${((flags & TCP_FLAGS_RESERVED) >>> 8).toString(16)}`);
  return names.length === 0 ? 'none' : names.join(',');
}

/** RFC 9293 §3.2: the Maximum Segment Size option (kind 2, length 4). */
export function tcpMssOption(mss: number): Uint8Array {
  if (!Number.isInteger(mss) || mss < 0 || mss > 0xffff) invalid('options', `MSS ${mss} is not in 0..65535`);
  return Uint8Array.of(TCP_OPTION_MSS, 4, mss >>> 8, mss & 0xff);
}

/**
 * The MSS a segment's options announce, or undefined when they carry none. RFC 9293 §3.2: option
 * kind 0 ends the list, kind 1 is a one-octet no-op, every other kind has a length octet; a list that
 * runs past its end is treated as ending there (the options are already inside a checked header).
 */
export function tcpMssFromOptions(options: Uint8Array): number | undefined {
  let i = 0;
  while (i < options.length) {
    const kind = options[i]!;
    if (kind === 0) return undefined;
    if (kind === 1) {
      i++;
      continue;
    }
    const length = options[i + 1];
    if (length === undefined || length < 2 || i + length > options.length) return undefined;
    if (kind === TCP_OPTION_MSS && length === 4) return (options[i + 2]! << 8) | options[i + 3]!;
    i += length;
  }
  return undefined;
}

/*
 * RFC 9293 §3.1: TCP Header Format
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |          Source Port          |       Destination Port        |
 *   |                        Sequence Number                        |
 *   |                    Acknowledgment Number                      |
 *   |  Data |       |C|E|U|A|P|R|S|F|                               |
 *   | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *   |           Checksum            |         Urgent Pointer        |
 *   |                           [Options]                           |
 *   |                             data                              |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */

/** Decodes a segment (the whole IP payload) carried from `src` to `dst`. */
export function decodeTcp(buf: Uint8Array, src: IpAddress, dst: IpAddress): TcpSegment {
  const r = new Reader(buf, PROTOCOL);
  r.need(TCP_HEADER_LENGTH, 'header');
  const srcPort = r.u16('srcPort');
  const dstPort = r.u16('dstPort');
  const seq = r.u32('seq');
  const ack = r.u32('ack');
  const w = r.u16('dataOffset');
  const headerLength = (w >>> 12) * 4;
  if (headerLength < TCP_HEADER_LENGTH)
    r.fail('malformed', 'dataOffset', `data offset ${w >>> 12} is below 5`, 12);
  if (headerLength > r.end) {
    r.fail('truncated', 'dataOffset', `header of ${headerLength} octets but only ${r.end} octets`, 12);
  }
  const window = r.u16('window');
  r.skip(2, 'checksum');
  const urgentPointer = r.u16('urgentPointer');
  const options =
    headerLength > TCP_HEADER_LENGTH ? r.bytes(headerLength - TCP_HEADER_LENGTH, 'options') : EMPTY;
  const sum = ipPseudoHeaderSum(src, dst, IPPROTO_TCP, buf.length, PROTOCOL);
  if (internetChecksum(buf, 0, buf.length, sum) !== 0)
    r.fail('checksum', 'checksum', 'checksum does not verify', 16);
  return { srcPort, dstPort, seq, ack, flags: w & 0x0fff, window, urgentPointer, options, payload: r.rest() };
}

function invalid(field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol: PROTOCOL, field, offset: 0, reason });
}

function checkUint(v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) invalid(field, `${v} is not an integer in 0..${max}`);
  return v;
}

export function tcpLength(v: TcpSegment): number {
  return TCP_HEADER_LENGTH + v.options.length + v.payload.length;
}

/**
 * Writes header + payload at `offset` (the caller has sized `out` with `tcpLength`); returns the
 * offset after them. The checksum covers the bytes written here.
 */
export function emitTcp(
  v: TcpSegment,
  src: IpAddress,
  dst: IpAddress,
  out: Uint8Array,
  offset: number,
): number {
  const optionsLength = v.options.length;
  if (optionsLength > TCP_MAX_OPTIONS_LENGTH || optionsLength % 4 !== 0) {
    invalid('options', `${optionsLength} octets of options (a multiple of 4, at most 40)`);
  }
  const headerLength = TCP_HEADER_LENGTH + optionsLength;
  const length = headerLength + v.payload.length;
  const sum = ipPseudoHeaderSum(src, dst, IPPROTO_TCP, length, PROTOCOL);
  const srcPort = checkUint(v.srcPort, 0xffff, 'srcPort');
  const dstPort = checkUint(v.dstPort, 0xffff, 'dstPort');
  const seq = checkUint(v.seq, 0xffffffff, 'seq');
  const ack = checkUint(v.ack, 0xffffffff, 'ack');
  const w = ((headerLength >>> 2) << 12) | checkUint(v.flags, 0x0fff, 'flags');
  const window = checkUint(v.window, 0xffff, 'window');
  const urgent = checkUint(v.urgentPointer, 0xffff, 'urgentPointer');
  const o = offset;
  out[o] = srcPort >>> 8;
  out[o + 1] = srcPort & 0xff;
  out[o + 2] = dstPort >>> 8;
  out[o + 3] = dstPort & 0xff;
  out[o + 4] = seq >>> 24;
  out[o + 5] = (seq >>> 16) & 0xff;
  out[o + 6] = (seq >>> 8) & 0xff;
  out[o + 7] = seq & 0xff;
  out[o + 8] = ack >>> 24;
  out[o + 9] = (ack >>> 16) & 0xff;
  out[o + 10] = (ack >>> 8) & 0xff;
  out[o + 11] = ack & 0xff;
  out[o + 12] = w >>> 8;
  out[o + 13] = w & 0xff;
  out[o + 14] = window >>> 8;
  out[o + 15] = window & 0xff;
  out[o + 16] = 0;
  out[o + 17] = 0;
  out[o + 18] = urgent >>> 8;
  out[o + 19] = urgent & 0xff;
  out.set(v.options, o + TCP_HEADER_LENGTH);
  out.set(v.payload, o + headerLength);
  const c = internetChecksum(out, o, o + length, sum);
  out[o + 16] = c >>> 8;
  out[o + 17] = c & 0xff;
  return o + length;
}

export function encodeTcp(v: TcpSegment, src: IpAddress, dst: IpAddress): Uint8Array {
  const out = allocBytes(tcpLength(v));
  emitTcp(v, src, dst, out, 0);
  return out;
}
