/**
 * Ethernet II frames with zero, one or two VLAN tags (IEEE 802.3 §3.1.1, IEEE 802.1Q §9).
 *
 * Owns the destination and source MAC, the tag stack (802.1Q C-tags, TPID 0x8100, and 802.1ad
 * S-tags, TPID 0x88a8, in any order), the EtherType and the payload. It does not own the preamble,
 * the FCS or padding: decode returns every byte after the EtherType as `payload` (a zero-copy view
 * of the input, so padding and a captured FCS stay in it), and encode writes exactly header +
 * payload and never pads (a caller putting the frame on a real link pads it to 60 octets).
 *
 * Guarantees: a frame shorter than its header is `truncated`; a third tag is `unsupported`. A type
 * field below 0x0600 is an IEEE 802.3 length (LLC frames such as STP) and is reported as-is in
 * `etherType` without trimming the payload. For every input b that decodes, encode(decode(b)) = b;
 * for every valid value v, decode(encode(v)) deep-equals v.
 *
 * Also exports the byte-level MAC writer the other wire codecs use (`emitMac`).
 */
import { readMac, type Mac } from './addr.js';
import { allocBytes, Reader } from './bytes.js';
import { WireError } from './errors.js';

const PROTOCOL = 'ethernet';

// IEEE "EtherType" registry (https://standards.ieee.org/products-programs/regauth/ethertype/).
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
/** IEEE 802.1Q Customer VLAN tag (C-tag) TPID. */
export const ETHERTYPE_VLAN = 0x8100;
export const ETHERTYPE_IPV6 = 0x86dd;
/** IEEE 802.3 Annex 57A: Slow Protocols (LACP, Marker, OAM). */
export const ETHERTYPE_SLOW_PROTOCOLS = 0x8809;
/** IEEE 802.1ad Service VLAN tag (S-tag) TPID. */
export const ETHERTYPE_QINQ = 0x88a8;
export const ETHERTYPE_LLDP = 0x88cc;

/** Type field values below this are IEEE 802.3 lengths, not EtherTypes (802.3 §3.2.6). */
export const ETHERTYPE_MIN = 0x0600;
/** Destination + source + type. */
export const ETHERNET_HEADER_LENGTH = 14;
export const VLAN_TAG_LENGTH = 4;
export const ETHERNET_MAX_VLAN_TAGS = 2;
/** 802.3 §4.4.2: minimum frame (64 octets) less the 4-octet FCS; what a sender pads to. */
export const ETHERNET_MIN_FRAME_LENGTH = 60;

/** One 802.1Q / 802.1ad tag (802.1Q §9.6: TPID then TCI = PCP(3) DEI(1) VID(12)). */
export interface VlanTag {
  /** `ETHERTYPE_VLAN` (0x8100, C-tag) or `ETHERTYPE_QINQ` (0x88a8, S-tag). */
  readonly tpid: number;
  /** Priority Code Point, 0..7. */
  readonly pcp: number;
  /** Drop Eligible Indicator. */
  readonly dei: boolean;
  /** VLAN identifier, 0..4095 (0: priority tag only; 4095 reserved, still carried). */
  readonly vid: number;
}

export interface EthernetHeader {
  readonly dst: Mac;
  readonly src: Mac;
  /** Outermost first; at most two. */
  readonly vlans: readonly VlanTag[];
  /** The EtherType after the tags (or an 802.3 length below 0x0600). Never a VLAN TPID. */
  readonly etherType: number;
}

export interface EthernetFrame extends EthernetHeader {
  /** Everything after the EtherType: zero-copy on decode, padding and FCS included if present. */
  readonly payload: Uint8Array;
}

const NO_VLANS: readonly VlanTag[] = Object.freeze([]);

export function isVlanTpid(etherType: number): boolean {
  return etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ;
}

/** A short name for logs: `IPv4`, `ARP`, `802.1Q`, ... or `0x88b5`. */
export function etherTypeName(etherType: number): string {
  switch (etherType) {
    case ETHERTYPE_IPV4:
      return 'IPv4';
    case ETHERTYPE_ARP:
      return 'ARP';
    case ETHERTYPE_VLAN:
      return '802.1Q';
    case ETHERTYPE_IPV6:
      return 'IPv6';
    case ETHERTYPE_SLOW_PROTOCOLS:
      return 'Slow-Protocols';
    case ETHERTYPE_QINQ:
      return '802.1ad';
    case ETHERTYPE_LLDP:
      return 'LLDP';
    default:
      return etherType < ETHERTYPE_MIN
        ? `802.3-length-${etherType}`
        : `0x${etherType.toString(16).padStart(4, '0')}`;
  }
}

/*
 * IEEE 802.3 §3.1.1, 802.1Q §9.3: an Ethernet II frame as captured (no preamble, FCS optional)
 *   Destination MAC (6) | Source MAC (6)
 *   [ TPID 0x88a8 or 0x8100 (2) | TCI: PCP(3) DEI(1) VID(12) (2) ]  x 0..2
 *   EtherType (2) | payload (46.. octets on the wire, padding included)
 */

function readTag(r: Reader, tpid: number): VlanTag {
  const tci = r.u16('vlans');
  return { tpid, pcp: tci >>> 13, dei: (tci & 0x1000) !== 0, vid: tci & 0x0fff };
}

export function decodeEthernet(buf: Uint8Array): EthernetFrame {
  const r = new Reader(buf, PROTOCOL);
  r.need(ETHERNET_HEADER_LENGTH, 'header');
  const dst = readMac(r, 'dst');
  const src = readMac(r, 'src');
  let etherType = r.u16('etherType');
  let vlans = NO_VLANS;
  if (isVlanTpid(etherType)) {
    const outer = readTag(r, etherType);
    etherType = r.u16('etherType');
    if (isVlanTpid(etherType)) {
      const inner = readTag(r, etherType);
      etherType = r.u16('etherType');
      if (isVlanTpid(etherType)) {
        r.fail('unsupported', 'vlans', 'more than two VLAN tags', r.offset - 2);
      }
      vlans = [outer, inner];
    } else {
      vlans = [outer];
    }
  }
  return { dst, src, vlans, etherType, payload: r.rest() };
}

function invalid(protocol: string, field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol, field, offset: 0, reason });
}

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

/**
 * Writes a MAC in `aa:bb:cc:dd:ee:ff` form into `out` at `offset` (six octets), checking its shape
 * without allocating. A bad value throws `malformed` naming `protocol` and `field`.
 */
export function emitMac(m: Mac, out: Uint8Array, offset: number, protocol: string, field: string): void {
  if (typeof m !== 'string' || m.length !== 17) invalid(protocol, field, `${String(m)} is not a MAC address`);
  for (let i = 0; i < 6; i++) {
    const p = i * 3;
    const hi = hexNibble(m.charCodeAt(p));
    const lo = hexNibble(m.charCodeAt(p + 1));
    if (hi < 0 || lo < 0 || (i < 5 && m.charCodeAt(p + 2) !== 58)) {
      invalid(protocol, field, `${m} is not a MAC address`);
    }
    out[offset + i] = (hi << 4) | lo;
  }
}

function checkUint(v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max)
    invalid(PROTOCOL, field, `${v} is not an integer in 0..${max}`);
  return v;
}

/** Octets of the header for this many tags (14, 18 or 22). */
export function ethernetHeaderLength(vlanCount: number): number {
  return ETHERNET_HEADER_LENGTH + VLAN_TAG_LENGTH * vlanCount;
}

/** Writes the header at `offset`; returns the offset after it (where the payload goes). */
export function emitEthernetHeader(v: EthernetHeader, out: Uint8Array, offset: number): number {
  const vlans = v.vlans;
  if (vlans.length > ETHERNET_MAX_VLAN_TAGS) {
    invalid(PROTOCOL, 'vlans', `${vlans.length} VLAN tags (at most ${ETHERNET_MAX_VLAN_TAGS})`);
  }
  checkUint(v.etherType, 0xffff, 'etherType');
  if (isVlanTpid(v.etherType)) {
    invalid(PROTOCOL, 'etherType', `0x${v.etherType.toString(16)} is a VLAN TPID; put the tag in vlans`);
  }
  emitMac(v.dst, out, offset, PROTOCOL, 'dst');
  emitMac(v.src, out, offset + 6, PROTOCOL, 'src');
  let o = offset + 12;
  for (const tag of vlans) {
    if (!isVlanTpid(tag.tpid)) invalid(PROTOCOL, 'vlans', `TPID ${String(tag.tpid)} is not 0x8100 or 0x88a8`);
    const tci =
      (checkUint(tag.pcp, 7, 'vlans') << 13) | (tag.dei ? 0x1000 : 0) | checkUint(tag.vid, 0x0fff, 'vlans');
    out[o] = tag.tpid >>> 8;
    out[o + 1] = tag.tpid & 0xff;
    out[o + 2] = tci >>> 8;
    out[o + 3] = tci & 0xff;
    o += 4;
  }
  out[o] = v.etherType >>> 8;
  out[o + 1] = v.etherType & 0xff;
  return o + 2;
}

/** Header + payload in one allocation, not padded. */
export function encodeEthernet(v: EthernetFrame): Uint8Array {
  const headerLength = ethernetHeaderLength(v.vlans.length);
  const out = allocBytes(headerLength + v.payload.length);
  emitEthernetHeader(v, out, 0);
  out.set(v.payload, headerLength);
  return out;
}

/** IEEE 802.3 §4.2.3.3: a frame shorter than the minimum is padded with zeros, as a NIC sends it. */
export function padEthernetFrame(frame: Uint8Array): Uint8Array {
  if (frame.length >= ETHERNET_MIN_FRAME_LENGTH) return frame;
  const padded = new Uint8Array(ETHERNET_MIN_FRAME_LENGTH);
  padded.set(frame);
  return padded;
}
