/**
 * ICMPv6 (RFC 4443) with the Neighbor Discovery messages EVPN cares about (RFC 4861).
 *
 * Owns the whole ICMPv6 message (the upper-layer payload of IPv6). Decoded with code 0:
 * Echo Request/Reply (RFC 4443 §4), Neighbor Solicitation (RFC 4861 §4.3) and Neighbor
 * Advertisement (§4.4), whose options are decoded as Source/Target Link-Layer Address (§4.6.1, as a
 * Mac when the option is one 8-octet unit, i.e. Ethernet per RFC 2464 §6) or kept byte-exact as
 * `{ kind: 'unknown', type, data }`. Any other type, or a known type with a non-zero code (which
 * RFC 4861 §7.1 says to discard), is `{ kind: 'other', type, code, rest }`.
 *
 * Guarantees:
 * - The checksum covers the IPv6 pseudo-header (RFC 4443 §2.3), so encode and decode take the IPv6
 *   source and destination; encode computes it, decode verifies it (`checksum` kind).
 * - An option of length 0 is `malformed` (RFC 4861 §4.6); one running past the end is `truncated`.
 * - This is a format codec: the other RFC 4861 §7.1 checks (hop limit 255, target not multicast,
 *   no source link-layer option from the unspecified address, ...) belong to the caller.
 * - The NS/NA Reserved bits are ignored on receipt and sent as zero (RFC 4861 §4.3/§4.4), so
 *   canonical bytes have them zero; for those (and a checksum that is not the 0xffff spelling of a
 *   computed zero) encode(decode(b)) = b. decode(encode(v)) deep-equals v for every valid value.
 * - `data`/`rest` are zero-copy views of the input.
 */
import { ipv6FromBytes, macFromBytes, readIpv6, readMac, type Ipv6Address, type Mac } from './addr.js';
import { internetChecksum, Reader } from './bytes.js';
import { WireError } from './errors.js';
import { emitMac } from './ethernet.js';
import { IPPROTO_ICMPV6 } from './ipv4.js';
import { emitIpv6Address, ipv6PseudoHeaderSum } from './ipv6.js';

const PROTOCOL = 'icmpv6';

// IANA "ICMPv6 'type' Numbers".
export const ICMPV6_TYPE_DESTINATION_UNREACHABLE = 1;
export const ICMPV6_TYPE_PACKET_TOO_BIG = 2;
export const ICMPV6_TYPE_TIME_EXCEEDED = 3;
export const ICMPV6_TYPE_PARAMETER_PROBLEM = 4;
export const ICMPV6_TYPE_ECHO_REQUEST = 128;
export const ICMPV6_TYPE_ECHO_REPLY = 129;
export const ICMPV6_TYPE_ROUTER_SOLICITATION = 133;
export const ICMPV6_TYPE_ROUTER_ADVERTISEMENT = 134;
export const ICMPV6_TYPE_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_TYPE_NEIGHBOR_ADVERTISEMENT = 136;
export const ICMPV6_TYPE_REDIRECT = 137;

// IANA "IPv6 Neighbor Discovery Option Formats".
export const ND_OPTION_SOURCE_LINK_LAYER_ADDRESS = 1;
export const ND_OPTION_TARGET_LINK_LAYER_ADDRESS = 2;

// RFC 4861 §4.4: Neighbor Advertisement flags (first octet after the checksum).
export const ND_NA_FLAG_ROUTER = 0x80;
export const ND_NA_FLAG_SOLICITED = 0x40;
export const ND_NA_FLAG_OVERRIDE = 0x20;

/** RFC 4291 §2.7.1: all-nodes and all-routers link-local multicast. */
export const IPV6_ALL_NODES = 'ff02::1' as Ipv6Address;
export const IPV6_ALL_ROUTERS = 'ff02::2' as Ipv6Address;
/** RFC 4861 §3.1: ND messages are sent with hop limit 255 and dropped otherwise. */
export const ND_HOP_LIMIT = 255;

export interface NdLinkLayerAddressOption {
  readonly kind: 'source-link-layer-address' | 'target-link-layer-address';
  readonly mac: Mac;
}

/** Any other option (or a link-layer option that is not one 8-octet unit), kept byte-exact. */
export interface NdUnknownOption {
  readonly kind: 'unknown';
  readonly type: number;
  /** The octets after type and length: 8·Length − 2 of them (6, 14, 22, ...). */
  readonly data: Uint8Array;
}

export type NdOption = NdLinkLayerAddressOption | NdUnknownOption;

export interface Icmpv6Echo {
  readonly kind: 'echo-request' | 'echo-reply';
  readonly id: number;
  readonly seq: number;
  readonly data: Uint8Array;
}

export interface NeighborSolicitation {
  readonly kind: 'neighbor-solicitation';
  readonly target: Ipv6Address;
  readonly options: readonly NdOption[];
}

export interface NeighborAdvertisement {
  readonly kind: 'neighbor-advertisement';
  /** R: the sender is a router. */
  readonly router: boolean;
  /** S: sent in response to a solicitation. */
  readonly solicited: boolean;
  /** O: override an existing cache entry. */
  readonly override: boolean;
  readonly target: Ipv6Address;
  readonly options: readonly NdOption[];
}

export interface Icmpv6Other {
  readonly kind: 'other';
  readonly type: number;
  readonly code: number;
  /** Every octet after the checksum. */
  readonly rest: Uint8Array;
}

export type Icmpv6Message = Icmpv6Echo | NeighborSolicitation | NeighborAdvertisement | Icmpv6Other;

const NO_OPTIONS: readonly NdOption[] = Object.freeze([]);

// ---------------------------------------------------------------------------------------------
// Multicast helpers
// ---------------------------------------------------------------------------------------------

function addressBytes(ip: Ipv6Address): Uint8Array {
  const b = new Uint8Array(16);
  emitIpv6Address(ip, b, 0, PROTOCOL, 'address');
  return b;
}

/** RFC 4291 §2.7.1: the solicited-node multicast address ff02::1:ffXX:XXXX of `ip`. */
export function solicitedNodeAddress(ip: Ipv6Address): Ipv6Address {
  const b = addressBytes(ip);
  const out = new Uint8Array(16);
  out[0] = 0xff;
  out[1] = 0x02;
  out[11] = 0x01;
  out[12] = 0xff;
  out.set(b.subarray(13, 16), 13);
  return ipv6FromBytes(out);
}

/** RFC 2464 §7: the Ethernet address of an IPv6 multicast group, 33:33 + its low 32 bits. */
export function ipv6MulticastMac(ip: Ipv6Address): Mac {
  const b = addressBytes(ip);
  const m = new Uint8Array(6);
  m[0] = 0x33;
  m[1] = 0x33;
  m.set(b.subarray(12, 16), 2);
  return macFromBytes(m);
}

/** The Ethernet address a Neighbor Solicitation for `ip` is sent to: 33:33:ff:XX:XX:XX. */
export function solicitedNodeMac(ip: Ipv6Address): Mac {
  return ipv6MulticastMac(solicitedNodeAddress(ip));
}

// ---------------------------------------------------------------------------------------------
// Codec
// ---------------------------------------------------------------------------------------------

/*
 * RFC 4443 §2.1 / §4.1: message header and Echo Request/Reply
 *   |     Type      |     Code      |          Checksum             |
 *   |           Identifier          |        Sequence Number        |
 *   |     Data ...
 *
 * RFC 4861 §4.3 Neighbor Solicitation        RFC 4861 §4.4 Neighbor Advertisement
 *   | Type=135 | Code=0 | Checksum |           | Type=136 | Code=0 | Checksum |
 *   |          Reserved (32)       |           |R|S|O|     Reserved (29)     |
 *   |     Target Address (128)     |           |     Target Address (128)     |
 *   |   Options ...                            |   Options ...
 *
 * RFC 4861 §4.6 options: | Type (8) | Length (8, units of 8 octets, never 0) | ... |
 * §4.6.1 Source/Target Link-Layer Address: | Type=1/2 | Length=1 | Link-Layer Address (6) |
 */

function readOptions(r: Reader): readonly NdOption[] {
  if (r.atEnd) return NO_OPTIONS;
  const options: NdOption[] = [];
  while (!r.atEnd) {
    const at = r.offset;
    const type = r.u8('options');
    const units = r.u8('options');
    if (units === 0) r.fail('malformed', 'options', `option type ${type} has length 0`, at + 1);
    r.need(units * 8 - 2, 'options');
    if (
      units === 1 &&
      (type === ND_OPTION_SOURCE_LINK_LAYER_ADDRESS || type === ND_OPTION_TARGET_LINK_LAYER_ADDRESS)
    ) {
      const mac = readMac(r, 'options');
      options.push({
        kind:
          type === ND_OPTION_SOURCE_LINK_LAYER_ADDRESS
            ? 'source-link-layer-address'
            : 'target-link-layer-address',
        mac,
      });
    } else {
      options.push({ kind: 'unknown', type, data: r.bytes(units * 8 - 2, 'options') });
    }
  }
  return options;
}

/** Decodes a message carried from `src` to `dst` (the IPv6 header's addresses). */
export function decodeIcmpv6(buf: Uint8Array, src: Ipv6Address, dst: Ipv6Address): Icmpv6Message {
  const r = new Reader(buf, PROTOCOL);
  r.need(4, 'header');
  const type = r.u8('type');
  const code = r.u8('code');
  r.skip(2, 'checksum');
  const sum = ipv6PseudoHeaderSum(src, dst, IPPROTO_ICMPV6, buf.length, PROTOCOL);
  if (internetChecksum(buf, 0, buf.length, sum) !== 0)
    r.fail('checksum', 'checksum', 'checksum does not verify', 2);
  if (code === 0) {
    switch (type) {
      case ICMPV6_TYPE_ECHO_REQUEST:
      case ICMPV6_TYPE_ECHO_REPLY: {
        const id = r.u16('id');
        const seq = r.u16('seq');
        return {
          kind: type === ICMPV6_TYPE_ECHO_REQUEST ? 'echo-request' : 'echo-reply',
          id,
          seq,
          data: r.rest(),
        };
      }
      case ICMPV6_TYPE_NEIGHBOR_SOLICITATION: {
        r.need(20, 'target');
        r.skip(4, 'reserved');
        const target = readIpv6(r, 'target');
        return { kind: 'neighbor-solicitation', target, options: readOptions(r) };
      }
      case ICMPV6_TYPE_NEIGHBOR_ADVERTISEMENT: {
        r.need(20, 'target');
        const flags = r.u8('flags');
        r.skip(3, 'reserved');
        const target = readIpv6(r, 'target');
        return {
          kind: 'neighbor-advertisement',
          router: (flags & ND_NA_FLAG_ROUTER) !== 0,
          solicited: (flags & ND_NA_FLAG_SOLICITED) !== 0,
          override: (flags & ND_NA_FLAG_OVERRIDE) !== 0,
          target,
          options: readOptions(r),
        };
      }
      default:
        break;
    }
  }
  return { kind: 'other', type, code, rest: r.rest() };
}

function invalid(field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol: PROTOCOL, field, offset: 0, reason });
}

function checkUint(v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) invalid(field, `${v} is not an integer in 0..${max}`);
  return v;
}

function isDecodedType(type: number): boolean {
  return (
    type === ICMPV6_TYPE_ECHO_REQUEST ||
    type === ICMPV6_TYPE_ECHO_REPLY ||
    type === ICMPV6_TYPE_NEIGHBOR_SOLICITATION ||
    type === ICMPV6_TYPE_NEIGHBOR_ADVERTISEMENT
  );
}

function optionLength(o: NdOption): number {
  switch (o.kind) {
    case 'source-link-layer-address':
    case 'target-link-layer-address':
      return 8;
    case 'unknown': {
      const n = 2 + o.data.length;
      if (n % 8 !== 0 || n > 255 * 8) {
        invalid(
          'options',
          `option type ${o.type}: ${o.data.length} data octets (must be 8·k − 2, k in 1..255)`,
        );
      }
      return n;
    }
    default:
      return invalid('options', `unknown ND option kind ${String((o as { kind: unknown }).kind)}`);
  }
}

function optionsLength(options: readonly NdOption[]): number {
  let n = 0;
  for (const o of options) n += optionLength(o);
  return n;
}

/** Octets `emitIcmpv6` writes for this message. */
export function icmpv6Length(v: Icmpv6Message): number {
  switch (v.kind) {
    case 'echo-request':
    case 'echo-reply':
      return 8 + v.data.length;
    case 'neighbor-solicitation':
    case 'neighbor-advertisement':
      return 24 + optionsLength(v.options);
    case 'other':
      return 4 + v.rest.length;
    default:
      return invalid('kind', `unknown ICMPv6 message kind ${String((v as { kind: unknown }).kind)}`);
  }
}

function emitOptions(options: readonly NdOption[], out: Uint8Array, offset: number): number {
  let o = offset;
  for (const opt of options) {
    if (opt.kind === 'unknown') {
      const type = checkUint(opt.type, 0xff, 'options');
      if (
        opt.data.length === 6 &&
        (type === ND_OPTION_SOURCE_LINK_LAYER_ADDRESS || type === ND_OPTION_TARGET_LINK_LAYER_ADDRESS)
      ) {
        invalid('options', `a 6-octet option type ${type} is a link-layer address; use that kind`);
      }
      const n = optionLength(opt);
      out[o] = type;
      out[o + 1] = n >>> 3;
      out.set(opt.data, o + 2);
      o += n;
    } else {
      out[o] =
        opt.kind === 'source-link-layer-address'
          ? ND_OPTION_SOURCE_LINK_LAYER_ADDRESS
          : ND_OPTION_TARGET_LINK_LAYER_ADDRESS;
      out[o + 1] = 1;
      emitMac(opt.mac, out, o + 2, PROTOCOL, 'options');
      o += 8;
    }
  }
  return o;
}

/**
 * Writes the message at `offset` (the caller has sized `out` with `icmpv6Length`), checksum
 * included; returns the offset after it.
 */
export function emitIcmpv6(
  v: Icmpv6Message,
  src: Ipv6Address,
  dst: Ipv6Address,
  out: Uint8Array,
  offset: number,
): number {
  const o = offset;
  const length = icmpv6Length(v);
  const sum = ipv6PseudoHeaderSum(src, dst, IPPROTO_ICMPV6, length, PROTOCOL);
  out.fill(0, o, o + Math.min(length, 8));
  switch (v.kind) {
    case 'echo-request':
    case 'echo-reply': {
      out[o] = v.kind === 'echo-request' ? ICMPV6_TYPE_ECHO_REQUEST : ICMPV6_TYPE_ECHO_REPLY;
      const id = checkUint(v.id, 0xffff, 'id');
      const seq = checkUint(v.seq, 0xffff, 'seq');
      out[o + 4] = id >>> 8;
      out[o + 5] = id & 0xff;
      out[o + 6] = seq >>> 8;
      out[o + 7] = seq & 0xff;
      out.set(v.data, o + 8);
      break;
    }
    case 'neighbor-solicitation':
      out[o] = ICMPV6_TYPE_NEIGHBOR_SOLICITATION;
      emitIpv6Address(v.target, out, o + 8, PROTOCOL, 'target');
      emitOptions(v.options, out, o + 24);
      break;
    case 'neighbor-advertisement':
      out[o] = ICMPV6_TYPE_NEIGHBOR_ADVERTISEMENT;
      out[o + 4] =
        (v.router ? ND_NA_FLAG_ROUTER : 0) |
        (v.solicited ? ND_NA_FLAG_SOLICITED : 0) |
        (v.override ? ND_NA_FLAG_OVERRIDE : 0);
      emitIpv6Address(v.target, out, o + 8, PROTOCOL, 'target');
      emitOptions(v.options, out, o + 24);
      break;
    case 'other': {
      const type = checkUint(v.type, 0xff, 'type');
      const code = checkUint(v.code, 0xff, 'code');
      if (code === 0 && isDecodedType(type)) {
        invalid('type', `type ${type} code 0 has its own kind; it would not decode as 'other'`);
      }
      out[o] = type;
      out[o + 1] = code;
      out.set(v.rest, o + 4);
      break;
    }
  }
  const c = internetChecksum(out, o, o + length, sum);
  out[o + 2] = c >>> 8;
  out[o + 3] = c & 0xff;
  return o + length;
}

export function encodeIcmpv6(v: Icmpv6Message, src: Ipv6Address, dst: Ipv6Address): Uint8Array {
  const out = new Uint8Array(icmpv6Length(v));
  emitIcmpv6(v, src, dst, out, 0);
  return out;
}
