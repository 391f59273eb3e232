/**
 * EVPN NLRI (RFC 7432 §7, RFC 9136 §3, VXLAN use per RFC 8365), Route Distinguishers (RFC 4364 §4.2)
 * and Ethernet Segment Identifiers (RFC 7432 §5).
 *
 * Owns the route types 1–5 carried in MP_REACH/MP_UNREACH for AFI 25 / SAFI 70 (bgp-update.ts
 * calls `readEvpnNlri`/`writeEvpnNlri` in a loop), their RIB identity (`evpnRouteKey`) and FRR's
 * text form (`formatEvpnRoute`). Guarantees:
 * - the Route Length octet is checked against the buffer (`truncated`) and against the type's
 *   layout (`malformed`, field `route-length`); the body is consumed exactly;
 * - unknown route types (and unknown RD types) are kept byte-exact, so encode(decode(b)) = b for
 *   every b that decodes, and decode(encode(v)) deep-equals v for every valid value;
 * - labels are kept as the raw 24-bit field (RFC 8365 §5.1.3: for VXLAN that is the VNI); convert
 *   with `labelFieldToMpls`/`mplsToLabelField` for MPLS;
 * - errors are `WireError`s with protocol 'evpn', never another exception type.
 */
import {
  colonHexFromBytes,
  ipv4FromBytes,
  ipv6FromBytes,
  macFromBytes,
  readIpv4,
  readIpv6,
  readMac,
  type IpAddress,
  type Ipv4Address,
  type Ipv6Address,
  type Mac,
} from './addr.js';
import { Reader, toHex, u24At, u32At, Writer } from './bytes.js';
import { WireError } from './errors.js';
import { emitMac } from './ethernet.js';
import { emitIpv4Address } from './ipv4.js';
import { emitIpv6Address } from './ipv6.js';

const PROTOCOL = 'evpn';

// RFC 7432 §7 (and RFC 9136 §3 for type 5): IANA "EVPN Route Types".
export const EVPN_ROUTE_ETHERNET_AD = 1;
export const EVPN_ROUTE_MAC_IP = 2;
export const EVPN_ROUTE_INCLUSIVE_MULTICAST = 3;
export const EVPN_ROUTE_ETHERNET_SEGMENT = 4;
export const EVPN_ROUTE_IP_PREFIX = 5;

/** RFC 4364 §4.2: Route Distinguisher types. */
export const RD_TYPE_AS2 = 0;
export const RD_TYPE_IPV4 = 1;
export const RD_TYPE_AS4 = 2;
export const RD_LENGTH = 8;
export const ESI_LENGTH = 10;

/** RFC 7432 §5: ESI types. */
export const ESI_TYPE_ARBITRARY = 0;
export const ESI_TYPE_LACP = 1;
export const ESI_TYPE_BRIDGE = 2;
export const ESI_TYPE_MAC = 3;
export const ESI_TYPE_ROUTER_ID = 4;
export const ESI_TYPE_AS = 5;

// ---------- value types ----------

export type RouteDistinguisher =
  /** 2-octet AS : 4-octet assigned number. */
  | { readonly type: 0; readonly asn: number; readonly assigned: number }
  /** IPv4 address : 2-octet assigned number. */
  | { readonly type: 1; readonly ip: Ipv4Address; readonly assigned: number }
  /** 4-octet AS : 2-octet assigned number. */
  | { readonly type: 2; readonly asn: number; readonly assigned: number }
  /** Any other type code (3..65535), its 6-octet value kept as received. */
  | { readonly type: 'unknown'; readonly typeCode: number; readonly value: Uint8Array };

/** ESI (RFC 7432 §5): 10 octets in canonical text "00:11:22:33:44:55:66:77:88:99" (lowercase hex). */
export type Esi = string & { readonly __brand: 'Esi' };

export const ZERO_ESI = '00:00:00:00:00:00:00:00:00:00' as Esi;

/** The typed view of an ESI (RFC 7432 §5, types 0–5). */
export type EsiFields =
  /** Type 0: operator-configured 9-octet value. */
  | { readonly type: 0; readonly value: Uint8Array }
  /** Type 1: CE LACP system MAC (6) + port key (2) + 0x00. */
  | { readonly type: 1; readonly systemMac: Mac; readonly portKey: number }
  /** Type 2: root bridge MAC (6) + priority (2) + 0x00. */
  | { readonly type: 2; readonly rootBridgeMac: Mac; readonly rootBridgePriority: number }
  /** Type 3: system MAC (6) + local discriminator (3). */
  | { readonly type: 3; readonly systemMac: Mac; readonly localDiscriminator: number }
  /** Type 4: router ID (4) + local discriminator (4) + 0x00. */
  | { readonly type: 4; readonly routerId: Ipv4Address; readonly localDiscriminator: number }
  /** Type 5: AS number (4) + local discriminator (4) + 0x00. */
  | { readonly type: 5; readonly asn: number; readonly localDiscriminator: number }
  /**
   * Any other type (6..255), or type 1/2/4/5 whose last octet (which must be zero) is not: the 9
   * value octets as they are, so no ESI loses bytes.
   */
  | { readonly type: 'unknown'; readonly typeCode: number; readonly value: Uint8Array };

/** RFC 7432 §7.1: Ethernet Auto-Discovery route. */
export interface EthernetAdRoute {
  readonly type: 'ethernet-ad';
  readonly routeType: 1;
  readonly rd: RouteDistinguisher;
  readonly esi: Esi;
  readonly ethernetTag: number;
  /** The 24-bit label field. */
  readonly label: number;
}

/** RFC 7432 §7.2: MAC/IP Advertisement route. */
export interface MacIpRoute {
  readonly type: 'mac-ip';
  readonly routeType: 2;
  readonly rd: RouteDistinguisher;
  readonly esi: Esi;
  readonly ethernetTag: number;
  readonly mac: Mac;
  /** Absent (undefined in a `PackedMacIpRoute`): IP Address Length 0. */
  readonly ip?: IpAddress | undefined;
  /** MPLS Label1 field (RFC 8365 §5.1.3: the L2 VNI for VXLAN). */
  readonly label1: number;
  /** MPLS Label2 field (RFC 9135 §5.1: the L3 VNI with symmetric IRB); absent: one label on the wire. */
  readonly label2?: number | undefined;
}

/** RFC 7432 §7.3: Inclusive Multicast Ethernet Tag route. */
export interface InclusiveMulticastRoute {
  readonly type: 'inclusive-multicast';
  readonly routeType: 3;
  readonly rd: RouteDistinguisher;
  readonly ethernetTag: number;
  readonly originator: IpAddress;
}

/** RFC 7432 §7.4: Ethernet Segment route. */
export interface EthernetSegmentRoute {
  readonly type: 'ethernet-segment';
  readonly routeType: 4;
  readonly rd: RouteDistinguisher;
  readonly esi: Esi;
  readonly originator: IpAddress;
}

/** RFC 9136 §3.1: IP Prefix route. Prefix and gateway are the same family. */
export interface IpPrefixRoute {
  readonly type: 'ip-prefix';
  readonly routeType: 5;
  readonly rd: RouteDistinguisher;
  readonly esi: Esi;
  readonly ethernetTag: number;
  /** The prefix octets as received (host bits included). */
  readonly prefix: IpAddress;
  /** 0..32 (IPv4) or 0..128 (IPv6). */
  readonly prefixLength: number;
  readonly gateway: IpAddress;
  readonly label: number;
}

/** A route type this codec does not parse (0, 6..255): its body kept as received. */
export interface UnknownEvpnRoute {
  readonly type: 'unknown';
  readonly routeType: number;
  readonly data: Uint8Array;
}

export type EvpnRoute =
  | EthernetAdRoute
  | MacIpRoute
  | InclusiveMulticastRoute
  | EthernetSegmentRoute
  | IpPrefixRoute
  | UnknownEvpnRoute;

/** Octets of a Type-2 key (`evpnRouteKey`) before the MAC, the IP Address Length and the IP. */
const KEY_MAC = 1 + 8 + 4 + 1;
const KEY_IP_LENGTH = KEY_MAC + 6;

/**
 * A Type-2 route decoded straight into its RIB key (`compact` decoding, the ingest path): RD,
 * Ethernet Tag, MAC and IP stay as the key's octets and are read back on demand; the RD object
 * (shared by an UPDATE's routes), ESI and labels are fields. Five fields instead of a plain route's
 * eight plus a MAC and an IP string. Reads as a `MacIpRoute`; `toJSON` gives the plain form.
 */
export class PackedMacIpRoute implements MacIpRoute {
  constructor(
    /** `evpnRouteKey` of the route. */
    readonly key: string,
    readonly rd: RouteDistinguisher,
    readonly esi: Esi,
    readonly label1: number,
    /** Label2, or -1 when the route carries one label. */
    private readonly label2Field: number,
  ) {}

  get type(): 'mac-ip' {
    return 'mac-ip';
  }

  get routeType(): 2 {
    return 2;
  }

  get ethernetTag(): number {
    return keyU32At(this.key, 1 + 8);
  }

  get mac(): Mac {
    return macFromBytes(keyOctets(this.key, KEY_MAC, 6));
  }

  get ip(): IpAddress | undefined {
    const bits = this.key.charCodeAt(KEY_IP_LENGTH);
    if (bits === 0) return undefined;
    const octets = keyOctets(this.key, KEY_IP_LENGTH + 1, bits >>> 3);
    return bits === 32 ? ipv4FromBytes(octets) : ipv6FromBytes(octets);
  }

  get label2(): number | undefined {
    return this.label2Field < 0 ? undefined : this.label2Field;
  }

  toJSON(): MacIpRoute {
    return macIpFields(this.rd, this.esi, this.ethernetTag, this.mac, this.ip, this.label1, this.label2);
  }
}

/**
 * Makes the route of `compact` decoding from its fields (label2 -1: one label). A RIB passes one that
 * makes its own path object (a subclass), so a route it learns is not copied into another object.
 */
export type PackedMacIpFactory = (
  key: string,
  rd: RouteDistinguisher,
  esi: Esi,
  label1: number,
  label2: number,
) => PackedMacIpRoute;

/** A plain Type-2 route, optional fields absent rather than undefined. */
function macIpFields(
  rd: RouteDistinguisher,
  esi: Esi,
  ethernetTag: number,
  mac: Mac,
  ip: IpAddress | undefined,
  label1: number,
  label2: number | undefined,
): MacIpRoute {
  const base = { type: 'mac-ip', routeType: 2, rd, esi, ethernetTag, mac } as const;
  if (ip === undefined) return label2 === undefined ? { ...base, label1 } : { ...base, label1, label2 };
  return label2 === undefined ? { ...base, ip, label1 } : { ...base, ip, label1, label2 };
}

function keyOctets(key: string, from: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = key.charCodeAt(from + i);
  return out;
}

function keyU32At(key: string, at: number): number {
  return (
    ((key.charCodeAt(at) << 24) |
      (key.charCodeAt(at + 1) << 16) |
      (key.charCodeAt(at + 2) << 8) |
      key.charCodeAt(at + 3)) >>>
    0
  );
}

export function evpnRouteTypeName(routeType: number): string {
  switch (routeType) {
    case EVPN_ROUTE_ETHERNET_AD:
      return 'ethernet-ad';
    case EVPN_ROUTE_MAC_IP:
      return 'mac-ip';
    case EVPN_ROUTE_INCLUSIVE_MULTICAST:
      return 'inclusive-multicast';
    case EVPN_ROUTE_ETHERNET_SEGMENT:
      return 'ethernet-segment';
    case EVPN_ROUTE_IP_PREFIX:
      return 'ip-prefix';
    default:
      return `unknown(${routeType})`;
  }
}

// ---------- small helpers ----------

function invalid(field: string, reason: string, offset = 0): never {
  throw new WireError({ kind: 'malformed', protocol: PROTOCOL, field, offset, reason });
}

function isUint(v: number, max: number): boolean {
  return Number.isInteger(v) && v >= 0 && v <= max;
}

function checkUint(v: number, max: number, field: string): number {
  if (!isUint(v, max)) invalid(field, `${String(v)} is not an integer in 0..${max}`);
  return v;
}

function hexNibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function isIpv6Text(a: IpAddress): boolean {
  return typeof a === 'string' && a.includes(':');
}

/** Writes an address's octets (4 or 16) at the writer's offset; `malformed` naming `field` if bad. */
function writeIpOctets(w: Writer, a: IpAddress, v6: boolean, field: string): void {
  const at = w.offset;
  if (v6) {
    w.zeros(16);
    emitIpv6Address(a as Ipv6Address, w.view(at, at + 16), 0, PROTOCOL, field);
  } else {
    w.zeros(4);
    emitIpv4Address(a as Ipv4Address, w.view(at, at + 4), 0, PROTOCOL, field);
  }
}

/** IP Address Length (in bits: 32 or 128) followed by the address. */
function writeIpWithLength(w: Writer, a: IpAddress, field: string): void {
  const v6 = isIpv6Text(a);
  w.u8(v6 ? 128 : 32);
  writeIpOctets(w, a, v6, field);
}

function writeMacOctets(w: Writer, m: Mac, field: string): void {
  const at = w.offset;
  w.zeros(6);
  emitMac(m, w.view(at, at + 6), 0, PROTOCOL, field);
}

// ---------- Route Distinguisher ----------

/*
 * RFC 4364 §4.2: Route Distinguisher (8 octets)
 *   +--------+--------+--------+--------+--------+--------+--------+--------+
 *   |   Type (2)      |              Value (6 octets)                       |
 *   +--------+--------+--------+--------+--------+--------+--------+--------+
 *   Type 0: 2-octet ASN + 4-octet number; Type 1: IPv4 + 2-octet number; Type 2: 4-octet ASN + 2-octet number.
 */

/**
 * Lets a run of NLRIs share one RD object when their RD octets are equal (an UPDATE usually
 * carries routes of one RD): less garbage and less RIB memory. One per decode call; never global.
 */
export interface RdCache {
  bytes: Uint8Array | undefined;
  rd: RouteDistinguisher | undefined;
}

export function newRdCache(): RdCache {
  return { bytes: undefined, rd: undefined };
}

export function readRd(r: Reader, cache?: RdCache): RouteDistinguisher {
  if (cache && r.remaining >= RD_LENGTH) {
    const rd = cachedRd(r.buf, r.offset, cache);
    if (rd) {
      r.skip(RD_LENGTH, 'rd');
      return rd;
    }
  }
  const at = r.offset;
  const rd = readRdFields(r);
  if (cache) {
    cache.bytes = r.buf.slice(at, at + RD_LENGTH);
    cache.rd = rd;
  }
  return rd;
}

/** The cached RD when the 8 octets at `o` are the cached ones. */
function cachedRd(b: Uint8Array, o: number, cache: RdCache): RouteDistinguisher | undefined {
  const c = cache.bytes;
  if (cache.rd === undefined || c === undefined) return undefined;
  for (let i = 0; i < RD_LENGTH; i++) if (b[o + i] !== c[i]) return undefined;
  return cache.rd;
}

function readRdFields(r: Reader): RouteDistinguisher {
  const type = r.u16('rd.type');
  switch (type) {
    case RD_TYPE_AS2: {
      const asn = r.u16('rd.asn');
      return { type: 0, asn, assigned: r.u32('rd.assigned') };
    }
    case RD_TYPE_IPV4: {
      const ip = readIpv4(r, 'rd.ip');
      return { type: 1, ip, assigned: r.u16('rd.assigned') };
    }
    case RD_TYPE_AS4: {
      const asn = r.u32('rd.asn');
      return { type: 2, asn, assigned: r.u16('rd.assigned') };
    }
    default:
      return { type: 'unknown', typeCode: type, value: r.copy(6, 'rd.value') };
  }
}

export function writeRd(w: Writer, rd: RouteDistinguisher): void {
  switch (rd.type) {
    case 0:
      w.u16(0)
        .u16(checkUint(rd.asn, 0xffff, 'rd.asn'))
        .u32(checkUint(rd.assigned, 0xffffffff, 'rd.assigned'));
      return;
    case 1: {
      w.u16(1);
      writeIpOctets(w, rd.ip, false, 'rd.ip');
      w.u16(checkUint(rd.assigned, 0xffff, 'rd.assigned'));
      return;
    }
    case 2:
      w.u16(2)
        .u32(checkUint(rd.asn, 0xffffffff, 'rd.asn'))
        .u16(checkUint(rd.assigned, 0xffff, 'rd.assigned'));
      return;
    case 'unknown':
      // Types 0..2 have a typed form; an 'unknown' one would decode differently.
      if (!isUint(rd.typeCode, 0xffff) || rd.typeCode <= RD_TYPE_AS4) {
        invalid('rd.type', `${String(rd.typeCode)} is not an unknown RD type (3..65535)`);
      }
      if (!(rd.value instanceof Uint8Array) || rd.value.length !== 6) {
        invalid('rd.value', 'an unknown RD value must be 6 octets');
      }
      w.u16(rd.typeCode).bytes(rd.value);
      return;
    default:
      invalid('rd.type', `not a Route Distinguisher: ${String((rd as { type: unknown }).type)}`);
  }
}

/** FRR's text (bgpd/bgp_rd.c prefix_rd2str): "65000:100", "10.0.0.1:5", "4200000000:7"; unknown: "type5:<hex>". */
export function formatRd(rd: RouteDistinguisher): string {
  switch (rd.type) {
    case 0:
    case 2:
      return `${rd.asn}:${rd.assigned}`;
    case 1:
      return `${rd.ip}:${rd.assigned}`;
    default:
      return `type${rd.typeCode}:${toHex(rd.value)}`;
  }
}

function parseDecimal(text: string, max: number, field: string, whole: string): number {
  if (text.length === 0 || text.length > 10 || !/^(0|[1-9][0-9]*)$/.test(text)) {
    invalid(field, `not a Route Distinguisher: ${JSON.stringify(whole)}`);
  }
  const n = Number(text);
  if (n > max) invalid(field, `${text} does not fit (max ${max}) in ${JSON.stringify(whole)}`);
  return n;
}

/**
 * Inverse of `formatRd`: "a.b.c.d:n" → type 1; "asn:n" → type 2 if asn > 65535, else type 0;
 * "typeN:<12 hex digits>" → the RD with that type code and value. `malformed` ('rd') on bad text.
 */
export function parseRd(text: string): RouteDistinguisher {
  if (typeof text !== 'string') invalid('rd', 'not a string');
  const colon = text.lastIndexOf(':');
  if (colon <= 0) invalid('rd', `not a Route Distinguisher: ${JSON.stringify(text)}`);
  const left = text.slice(0, colon);
  const right = text.slice(colon + 1);
  if (left.startsWith('type')) {
    const typeCode = parseDecimal(left.slice(4), 0xffff, 'rd', text);
    if (!/^[0-9a-fA-F]{12}$/.test(right)) invalid('rd', `not a Route Distinguisher: ${JSON.stringify(text)}`);
    const w = new Writer(8);
    w.u16(typeCode);
    for (let i = 0; i < 12; i += 2) w.u8(Number.parseInt(right.slice(i, i + 2), 16));
    return readRd(new Reader(w.finish(), PROTOCOL));
  }
  if (left.includes('.')) {
    const parts = left.split('.');
    if (parts.length !== 4) invalid('rd', `not a Route Distinguisher: ${JSON.stringify(text)}`);
    for (const p of parts) {
      if (p.length > 3 || !/^(0|[1-9][0-9]*)$/.test(p) || Number(p) > 255) {
        invalid('rd', `not a Route Distinguisher: ${JSON.stringify(text)}`);
      }
    }
    return { type: 1, ip: left as Ipv4Address, assigned: parseDecimal(right, 0xffff, 'rd', text) };
  }
  const asn = parseDecimal(left, 0xffffffff, 'rd', text);
  if (asn > 0xffff) return { type: 2, asn, assigned: parseDecimal(right, 0xffff, 'rd', text) };
  return { type: 0, asn, assigned: parseDecimal(right, 0xffffffff, 'rd', text) };
}

// ---------- ESI ----------

/*
 * RFC 7432 §5: Ethernet Segment Identifier (10 octets)
 *   +---+---+---+---+---+---+---+---+---+---+
 *   | T |          ESI Value (9 octets)     |
 *   +---+---+---+---+---+---+---+---+---+---+
 */

export function esiFromBytes(buf: Uint8Array, offset = 0): Esi {
  // Most ESIs are zero (single-homed): share the constant instead of building a string per route.
  let zero = true;
  for (let i = 0; i < ESI_LENGTH && zero; i++) zero = buf[offset + i] === 0;
  return (zero ? ZERO_ESI : colonHexFromBytes(buf, offset, ESI_LENGTH)) as Esi;
}

/** Writes an ESI's 10 octets into `out` at `offset`; `malformed` (field `esi`) if it is not canonical. */
export function emitEsi(e: Esi, out: Uint8Array, offset: number, field = 'esi'): void {
  if (typeof e !== 'string' || e.length !== 29) invalid(field, `${String(e)} is not an ESI`);
  for (let i = 0; i < ESI_LENGTH; i++) {
    const p = i * 3;
    const hi = hexNibble(e.charCodeAt(p));
    const lo = hexNibble(e.charCodeAt(p + 1));
    if (hi < 0 || lo < 0 || (i < 9 && e.charCodeAt(p + 2) !== 58)) invalid(field, `${e} is not an ESI`);
    out[offset + i] = (hi << 4) | lo;
  }
}

export function esiToBytes(e: Esi): Uint8Array {
  const out = new Uint8Array(ESI_LENGTH);
  emitEsi(e, out, 0);
  return out;
}

export function isZeroEsi(e: Esi): boolean {
  return e === ZERO_ESI;
}

export function readEsi(r: Reader, field = 'esi'): Esi {
  const at = r.offset;
  r.skip(ESI_LENGTH, field);
  return esiFromBytes(r.buf, at);
}

export function writeEsi(w: Writer, e: Esi, field = 'esi'): void {
  const at = w.offset;
  w.zeros(ESI_LENGTH);
  emitEsi(e, w.view(at, at + ESI_LENGTH), 0, field);
}

/**
 * Parses "00:11:22:33:44:55:66:77:88:99" (either case; also the 20 hex digits without colons) into
 * the canonical lowercase ESI; `malformed` ('esi') otherwise.
 */
export function parseEsi(text: string): Esi {
  if (typeof text !== 'string') invalid('esi', 'not a string');
  let compact: string;
  if (text.length === 29) {
    compact = '';
    for (let i = 0; i < ESI_LENGTH; i++) {
      if (i < 9 && text.charCodeAt(i * 3 + 2) !== 58) invalid('esi', `not an ESI: ${JSON.stringify(text)}`);
      compact += text.slice(i * 3, i * 3 + 2);
    }
  } else if (text.length === 20) compact = text;
  else return invalid('esi', `not an ESI: ${JSON.stringify(text)}`);
  const b = new Uint8Array(ESI_LENGTH);
  for (let i = 0; i < ESI_LENGTH; i++) {
    const hi = hexNibble(compact.charCodeAt(i * 2));
    const lo = hexNibble(compact.charCodeAt(i * 2 + 1));
    if (hi < 0 || lo < 0) invalid('esi', `not an ESI: ${JSON.stringify(text)}`);
    b[i] = (hi << 4) | lo;
  }
  return esiFromBytes(b);
}

/** The typed view of an ESI (RFC 7432 §5). `esiFromFields(esiFields(e)) === e` for every ESI. */
export function esiFields(e: Esi): EsiFields {
  const b = esiToBytes(e);
  const r = new Reader(b, PROTOCOL);
  const type = r.u8('esi.type');
  const last = b[9]!;
  switch (type) {
    case ESI_TYPE_ARBITRARY:
      return { type: 0, value: b.slice(1) };
    case ESI_TYPE_LACP:
      if (last !== 0) break;
      return { type: 1, systemMac: readMac(r, 'esi.systemMac'), portKey: r.u16('esi.portKey') };
    case ESI_TYPE_BRIDGE:
      if (last !== 0) break;
      return {
        type: 2,
        rootBridgeMac: readMac(r, 'esi.rootBridgeMac'),
        rootBridgePriority: r.u16('esi.rootBridgePriority'),
      };
    case ESI_TYPE_MAC:
      return { type: 3, systemMac: readMac(r, 'esi.systemMac'), localDiscriminator: r.u24('esi.ld') };
    case ESI_TYPE_ROUTER_ID:
      if (last !== 0) break;
      return { type: 4, routerId: readIpv4(r, 'esi.routerId'), localDiscriminator: r.u32('esi.ld') };
    case ESI_TYPE_AS:
      if (last !== 0) break;
      return { type: 5, asn: r.u32('esi.asn'), localDiscriminator: r.u32('esi.ld') };
    default:
      break;
  }
  return { type: 'unknown', typeCode: type, value: b.slice(1) };
}

/** Builds an ESI from its typed view; `malformed` naming the field if a value does not fit. */
export function esiFromFields(f: EsiFields): Esi {
  const w = new Writer(ESI_LENGTH);
  switch (f.type) {
    case 0:
    case 'unknown':
      if (f.type === 'unknown') w.u8(checkUint(f.typeCode, 0xff, 'esi.type'));
      else w.u8(0);
      if (!(f.value instanceof Uint8Array) || f.value.length !== 9) invalid('esi.value', 'must be 9 octets');
      w.bytes(f.value);
      break;
    case 1:
      w.u8(1);
      writeMacOctets(w, f.systemMac, 'esi.systemMac');
      w.u16(checkUint(f.portKey, 0xffff, 'esi.portKey')).u8(0);
      break;
    case 2:
      w.u8(2);
      writeMacOctets(w, f.rootBridgeMac, 'esi.rootBridgeMac');
      w.u16(checkUint(f.rootBridgePriority, 0xffff, 'esi.rootBridgePriority')).u8(0);
      break;
    case 3:
      w.u8(3);
      writeMacOctets(w, f.systemMac, 'esi.systemMac');
      w.u24(checkUint(f.localDiscriminator, 0xffffff, 'esi.localDiscriminator'));
      break;
    case 4:
      w.u8(4);
      writeIpOctets(w, f.routerId, false, 'esi.routerId');
      w.u32(checkUint(f.localDiscriminator, 0xffffffff, 'esi.localDiscriminator')).u8(0);
      break;
    case 5:
      w.u8(5)
        .u32(checkUint(f.asn, 0xffffffff, 'esi.asn'))
        .u32(checkUint(f.localDiscriminator, 0xffffffff, 'esi.localDiscriminator'))
        .u8(0);
      break;
    default:
      invalid('esi.type', `not an ESI type: ${String((f as { type: unknown }).type)}`);
  }
  return esiFromBytes(w.view());
}

// ---------- labels ----------

/** RFC 8365 §5.1.3 / RFC 3032: the MPLS label in the high 20 bits of a 24-bit label field. */
export function labelFieldToMpls(field: number): number {
  return (field >>> 4) & 0xfffff;
}

/** The 24-bit label field for an MPLS label (bottom-of-stack bit set unless `bos` is false). */
export function mplsToLabelField(label: number, bos = true): number {
  return checkUint(label, 0xfffff, 'label') * 16 + (bos ? 1 : 0);
}

// ---------- NLRI ----------

/*
 * RFC 7432 §7: EVPN NLRI
 *   +-----------------------------------+
 *   |    Route Type (1 octet)           |
 *   +-----------------------------------+
 *   |     Length (1 octet)              |
 *   +-----------------------------------+
 *   | Route Type specific (variable)    |
 *   +-----------------------------------+
 *
 * §7.1 Ethernet A-D (25 octets):  RD (8) | ESI (10) | Ethernet Tag ID (4) | MPLS Label (3)
 * §7.2 MAC/IP (33..52 octets):    RD (8) | ESI (10) | Ethernet Tag ID (4) | MAC Address Length (1) = 48 |
 *                                 MAC (6) | IP Address Length (1) = 0/32/128 | IP (0/4/16) |
 *                                 MPLS Label1 (3) | MPLS Label2 (0 or 3)
 * §7.3 Inclusive Multicast:       RD (8) | Ethernet Tag ID (4) | IP Address Length (1) | Originating IP (4/16)
 * §7.4 Ethernet Segment:          RD (8) | ESI (10) | IP Address Length (1) | Originating IP (4/16)
 * RFC 9136 §3.1 IP Prefix (34 or 58 octets):
 *                                 RD (8) | ESI (10) | Ethernet Tag ID (4) | IP Prefix Length (1) |
 *                                 IP Prefix (4/16) | GW IP Address (4/16) | MPLS Label (3)
 */

/** Octets of a type-2 route before the IP address: RD, ESI, tag, MAC length, MAC, IP length. */
const MAC_IP_FIXED = 8 + 10 + 4 + 1 + 6 + 1;

function routeLengthError(r: Reader, at: number, routeType: number, len: number, expected: string): never {
  return r.fail(
    'malformed',
    'route-length',
    `${evpnRouteTypeName(routeType)} route length ${len}, expected ${expected}`,
    at,
  );
}

/** IP Address Length in bits (32 or 128) → octets; anything else is `malformed` naming `field`. */
function ipOctets(r: Reader, field: string): number {
  const at = r.offset;
  const bits = r.u8(field);
  if (bits === 32) return 4;
  if (bits === 128) return 16;
  return r.fail('malformed', field, `IP address length ${bits} bits, expected 32 or 128`, at);
}

function readIp(r: Reader, octets: number, field: string): IpAddress {
  return octets === 4 ? readIpv4(r, field) : readIpv6(r, field);
}

/**
 * Reads one EVPN NLRI (route type, length, body) starting at r.offset; errors name protocol 'evpn'.
 * Pass one `rdCache` (newRdCache()) across a list so equal RDs share an object; `compact` decodes
 * Type-2 routes as `PackedMacIpRoute`s (same checks, same errors).
 */
export function readEvpnNlri(
  r: Reader,
  rdCache?: RdCache,
  compact: boolean | PackedMacIpFactory = false,
): EvpnRoute {
  const s = new Reader(r.buf, PROTOCOL, r.offset, r.end);
  const routeType = s.u8('route-type');
  const lenAt = s.offset;
  const len = s.u8('route-length');
  s.need(len, 'route');
  const end = s.offset + len;
  let route: EvpnRoute;
  switch (routeType) {
    case EVPN_ROUTE_ETHERNET_AD: {
      if (len !== 25) routeLengthError(s, lenAt, routeType, len, '25');
      const rd = readRd(s, rdCache);
      const esi = readEsi(s);
      const ethernetTag = s.u32('ethernet-tag');
      route = { type: 'ethernet-ad', routeType: 1, rd, esi, ethernetTag, label: s.u24('label') };
      break;
    }
    case EVPN_ROUTE_MAC_IP:
      route = readMacIp(s, len, lenAt, rdCache, compact);
      break;
    case EVPN_ROUTE_INCLUSIVE_MULTICAST: {
      if (len !== 17 && len !== 29) routeLengthError(s, lenAt, routeType, len, '17 or 29');
      const rd = readRd(s, rdCache);
      const ethernetTag = s.u32('ethernet-tag');
      const octets = ipOctets(s, 'originator-length');
      if (len !== 13 + octets) routeLengthError(s, lenAt, routeType, len, String(13 + octets));
      const originator = readIp(s, octets, 'originator');
      route = { type: 'inclusive-multicast', routeType: 3, rd, ethernetTag, originator };
      break;
    }
    case EVPN_ROUTE_ETHERNET_SEGMENT: {
      if (len !== 23 && len !== 35) routeLengthError(s, lenAt, routeType, len, '23 or 35');
      const rd = readRd(s, rdCache);
      const esi = readEsi(s);
      const octets = ipOctets(s, 'originator-length');
      if (len !== 19 + octets) routeLengthError(s, lenAt, routeType, len, String(19 + octets));
      const originator = readIp(s, octets, 'originator');
      route = { type: 'ethernet-segment', routeType: 4, rd, esi, originator };
      break;
    }
    case EVPN_ROUTE_IP_PREFIX: {
      // RFC 9136 §3.1: "the total length of the NLRI ... 34 octets for IPv4 and 58 for IPv6".
      if (len !== 34 && len !== 58) routeLengthError(s, lenAt, routeType, len, '34 (IPv4) or 58 (IPv6)');
      const octets = len === 34 ? 4 : 16;
      const rd = readRd(s, rdCache);
      const esi = readEsi(s);
      const ethernetTag = s.u32('ethernet-tag');
      const plAt = s.offset;
      const prefixLength = s.u8('prefix-length');
      if (prefixLength > octets * 8) {
        s.fail('malformed', 'prefix-length', `prefix length ${prefixLength} exceeds ${octets * 8}`, plAt);
      }
      const prefix = readIp(s, octets, 'prefix');
      const gateway = readIp(s, octets, 'gateway');
      const label = s.u24('label');
      route = { type: 'ip-prefix', routeType: 5, rd, esi, ethernetTag, prefix, prefixLength, gateway, label };
      break;
    }
    default:
      route = { type: 'unknown', routeType, data: s.copy(len, 'data') };
  }
  // Every branch above reads exactly `len` octets once its length checks pass; this guards that.
  if (s.offset !== end) routeLengthError(s, lenAt, routeType, len, `${len + s.offset - end} by its fields`);
  r.offset = end;
  return route;
}

/** RFC 7432 §7.2 MAC/IP Advertisement route body (after the Route Length octet). */
function readMacIp(
  s: Reader,
  len: number,
  lenAt: number,
  rdCache: RdCache | undefined,
  compact: boolean | PackedMacIpFactory,
): EvpnRoute {
  if (len < MAC_IP_FIXED + 3) routeLengthError(s, lenAt, EVPN_ROUTE_MAC_IP, len, 'at least 33');
  const body = s.offset;
  const rd = readRd(s, rdCache);
  const esi = readEsi(s);
  s.skip(4, 'ethernet-tag');
  const macLenAt = s.offset;
  const macBits = s.u8('mac-length');
  // RFC 7432 §7.2: "The MAC Address Length field is in bits, and it is set to 48."
  if (macBits !== 48)
    s.fail('malformed', 'mac-length', `MAC address length ${macBits}, expected 48`, macLenAt);
  s.skip(6, 'mac');
  const ipLenAt = s.offset;
  const ipBits = s.u8('ip-length');
  // §7.2: the IP Address Length is 0, 32 or 128 bits.
  const ipLen = ipBits === 0 ? 0 : ipBits === 32 ? 4 : ipBits === 128 ? 16 : -1;
  if (ipLen < 0)
    s.fail('malformed', 'ip-length', `IP address length ${ipBits}, expected 0, 32 or 128`, ipLenAt);
  // What is left after the IP address is one label (3 octets) or two (6).
  const labels = len - MAC_IP_FIXED - ipLen;
  if (labels !== 3 && labels !== 6) {
    const one = MAC_IP_FIXED + ipLen + 3;
    routeLengthError(s, lenAt, EVPN_ROUTE_MAC_IP, len, `${one} or ${one + 3}`);
  }
  s.skip(ipLen, 'ip');
  const label1 = s.u24('label1');
  const label2 = labels === 6 ? s.u24('label2') : -1;
  return macIpRouteAt(s.buf, body, ipLen, rd, esi, label1, label2, compact);
}

/** The Type-2 route whose (checked) body starts at `o`, packed or plain. */
function macIpRouteAt(
  b: Uint8Array,
  o: number,
  ipLen: number,
  rd: RouteDistinguisher,
  esi: Esi,
  label1: number,
  label2: number,
  compact: boolean | PackedMacIpFactory,
): MacIpRoute {
  if (compact === true) return new PackedMacIpRoute(macIpKey(b, o, ipLen), rd, esi, label1, label2);
  if (compact !== false) return compact(macIpKey(b, o, ipLen), rd, esi, label1, label2);
  const ipAt = o + MAC_IP_FIXED;
  const ip = ipLen === 0 ? undefined : ipLen === 4 ? ipv4FromBytes(b, ipAt) : ipv6FromBytes(b, ipAt);
  const tag = u32At(b, o + 8 + ESI_LENGTH);
  return macIpFields(rd, esi, tag, macFromBytes(b, o + 23), ip, label1, label2 < 0 ? undefined : label2);
}

/**
 * Reads the EVPN NLRI from r.offset to `end` (an MP_REACH/MP_UNREACH NLRI field). Well-formed Type-2
 * routes, the bulk of any table, are read straight off the octets (no Reader per route); any other
 * route, and every malformed one, goes through `readEvpnNlri`, so checks and errors are the same.
 */
export function readEvpnNlriList(
  r: Reader,
  end: number,
  compact: boolean | PackedMacIpFactory = false,
): EvpnRoute[] {
  const b = r.buf;
  const routes: EvpnRoute[] = [];
  const rdCache = newRdCache();
  let p = r.offset;
  while (p < end) {
    const o = p + 2;
    const len = o <= end ? b[p + 1]! : 0;
    if (b[p] === EVPN_ROUTE_MAC_IP && len >= MAC_IP_FIXED + 3 && o + len <= end && b[o + 22] === 48) {
      // RFC 7432 §7.2: MAC Address Length 48; IP Address Length 0, 32 or 128; then 1 or 2 labels.
      const ipBits = b[o + MAC_IP_FIXED - 1]!;
      const ipLen = ipBits === 0 ? 0 : ipBits === 32 ? 4 : ipBits === 128 ? 16 : -1;
      const labels = len - MAC_IP_FIXED - ipLen;
      if (ipLen >= 0 && (labels === 3 || labels === 6)) {
        const at = o + MAC_IP_FIXED + ipLen;
        routes.push(
          macIpRouteAt(
            b,
            o,
            ipLen,
            rdAt(b, o, rdCache),
            esiFromBytes(b, o + 8),
            u24At(b, at),
            labels === 6 ? u24At(b, at + 3) : -1,
            compact,
          ),
        );
        p = o + len;
        continue;
      }
    }
    r.offset = p;
    routes.push(readEvpnNlri(r, rdCache, compact));
    p = r.offset;
  }
  r.offset = p;
  return routes;
}

/** The RD at `o` (8 octets known to be there), shared through `cache` while it repeats. */
function rdAt(b: Uint8Array, o: number, cache: RdCache): RouteDistinguisher {
  return cachedRd(b, o, cache) ?? readRd(new Reader(b, PROTOCOL, o, o + RD_LENGTH), cache);
}

/**
 * `evpnRouteKey` of the Type-2 body at `o`, straight from its octets: route type, RD, then Ethernet
 * Tag through the IP (MAC Address Length, MAC, IP Address Length, IP) as they lie on the wire.
 */
function macIpKey(b: Uint8Array, o: number, ipLen: number): string {
  const t = o + 8 + ESI_LENGTH;
  if (ipLen === 4) {
    // The common case in one call: a flat string (concatenating parts would make a rope).
    return String.fromCharCode(
      EVPN_ROUTE_MAC_IP,
      b[o]!,
      b[o + 1]!,
      b[o + 2]!,
      b[o + 3]!,
      b[o + 4]!,
      b[o + 5]!,
      b[o + 6]!,
      b[o + 7]!,
      b[t]!,
      b[t + 1]!,
      b[t + 2]!,
      b[t + 3]!,
      b[t + 4]!,
      b[t + 5]!,
      b[t + 6]!,
      b[t + 7]!,
      b[t + 8]!,
      b[t + 9]!,
      b[t + 10]!,
      b[t + 11]!,
      b[t + 12]!,
      b[t + 13]!,
      b[t + 14]!,
      b[t + 15]!,
    );
  }
  if (ipLen === 0) {
    // A MAC-only route (half of what a leaf learns): the same key, without building an array.
    return String.fromCharCode(
      EVPN_ROUTE_MAC_IP,
      b[o]!,
      b[o + 1]!,
      b[o + 2]!,
      b[o + 3]!,
      b[o + 4]!,
      b[o + 5]!,
      b[o + 6]!,
      b[o + 7]!,
      b[t]!,
      b[t + 1]!,
      b[t + 2]!,
      b[t + 3]!,
      b[t + 4]!,
      b[t + 5]!,
      b[t + 6]!,
      b[t + 7]!,
      b[t + 8]!,
      b[t + 9]!,
      b[t + 10]!,
      b[t + 11]!,
    );
  }
  const c: number[] = [EVPN_ROUTE_MAC_IP];
  for (let i = 0; i < 8; i++) c.push(b[o + i]!);
  for (let i = 0; i < 12 + ipLen; i++) c.push(b[t + i]!);
  return String.fromCharCode(...c);
}

const EVPN_ROUTE_CODES = {
  'ethernet-ad': 1,
  'mac-ip': 2,
  'inclusive-multicast': 3,
  'ethernet-segment': 4,
  'ip-prefix': 5,
} as const;

/** Writes one EVPN NLRI (route type, length, body); `malformed` naming the field for a bad value. */
export function writeEvpnNlri(w: Writer, route: EvpnRoute): void {
  const start = w.offset;
  if (route.type !== 'unknown' && route.routeType !== EVPN_ROUTE_CODES[route.type]) {
    invalid('route-type', `${String(route.type)} route with routeType ${String(route.routeType)}`, start);
  }
  w.u8(route.routeType);
  const lenAt = w.reserve(1);
  switch (route.type) {
    case 'ethernet-ad':
      writeRd(w, route.rd);
      writeEsi(w, route.esi);
      w.u32(checkUint(route.ethernetTag, 0xffffffff, 'ethernet-tag'));
      w.u24(checkUint(route.label, 0xffffff, 'label'));
      break;
    case 'mac-ip':
      if (route instanceof PackedMacIpRoute) {
        writePackedMacIp(w, route);
        break;
      }
      writeRd(w, route.rd);
      writeEsi(w, route.esi);
      w.u32(checkUint(route.ethernetTag, 0xffffffff, 'ethernet-tag'));
      w.u8(48);
      writeMacOctets(w, route.mac, 'mac');
      if (route.ip === undefined) w.u8(0);
      else writeIpWithLength(w, route.ip, 'ip');
      w.u24(checkUint(route.label1, 0xffffff, 'label1'));
      if (route.label2 !== undefined) w.u24(checkUint(route.label2, 0xffffff, 'label2'));
      break;
    case 'inclusive-multicast':
      writeRd(w, route.rd);
      w.u32(checkUint(route.ethernetTag, 0xffffffff, 'ethernet-tag'));
      writeIpWithLength(w, route.originator, 'originator');
      break;
    case 'ethernet-segment':
      writeRd(w, route.rd);
      writeEsi(w, route.esi);
      writeIpWithLength(w, route.originator, 'originator');
      break;
    case 'ip-prefix': {
      const v6 = isIpv6Text(route.prefix);
      if (isIpv6Text(route.gateway) !== v6) {
        invalid(
          'gateway',
          `gateway ${String(route.gateway)} is not the family of prefix ${String(route.prefix)}`,
        );
      }
      writeRd(w, route.rd);
      writeEsi(w, route.esi);
      w.u32(checkUint(route.ethernetTag, 0xffffffff, 'ethernet-tag'));
      w.u8(checkUint(route.prefixLength, v6 ? 128 : 32, 'prefix-length'));
      writeIpOctets(w, route.prefix, v6, 'prefix');
      writeIpOctets(w, route.gateway, v6, 'gateway');
      w.u24(checkUint(route.label, 0xffffff, 'label'));
      break;
    }
    case 'unknown':
      // Types 1..5 have a typed form; an 'unknown' one would not decode back to itself.
      if (!isUint(route.routeType, 0xff) || (route.routeType >= 1 && route.routeType <= 5)) {
        invalid('route-type', `${String(route.routeType)} is not an unknown route type (0, 6..255)`, start);
      }
      if (!(route.data instanceof Uint8Array) || route.data.length > 0xff) {
        invalid('data', 'an unknown route body must be at most 255 octets', start);
      }
      w.bytes(route.data);
      break;
    default:
      invalid('route-type', `not an EVPN route: ${String((route as { type: unknown }).type)}`, start);
  }
  w.patchU8(lenAt, w.offset - lenAt - 1);
}

/** A packed Type-2 body from its key's octets (checked when decoded): no MAC or IP text on the way. */
function writePackedMacIp(w: Writer, route: PackedMacIpRoute): void {
  const key = route.key;
  for (let i = 1; i < 1 + RD_LENGTH; i++) w.u8(key.charCodeAt(i));
  writeEsi(w, route.esi);
  for (let i = 1 + RD_LENGTH; i < key.length; i++) w.u8(key.charCodeAt(i));
  w.u24(route.label1);
  if (route.label2 !== undefined) w.u24(route.label2);
}

/** Decodes a whole NLRI field (a sequence of EVPN NLRI). */
export function decodeEvpnNlriList(buf: Uint8Array): EvpnRoute[] {
  return readEvpnNlriList(new Reader(buf, PROTOCOL), buf.length);
}

export function encodeEvpnNlriList(routes: readonly EvpnRoute[]): Uint8Array {
  const w = new Writer(routes.length * 40);
  for (const route of routes) writeEvpnNlri(w, route);
  return w.finish();
}

/** Decodes exactly one EVPN NLRI (`malformed` if octets follow it). */
export function decodeEvpnRoute(buf: Uint8Array): EvpnRoute {
  const r = new Reader(buf, PROTOCOL);
  const route = readEvpnNlri(r);
  r.expectEnd('route');
  return route;
}

export function encodeEvpnRoute(route: EvpnRoute): Uint8Array {
  const w = new Writer(64);
  writeEvpnNlri(w, route);
  return w.finish();
}

// ---------- identity and text ----------

/**
 * The route's identity in a RIB, as a compact binary string (one char per octet): the route type,
 * then the identity fields in wire form. RFC 7432 §7.2: a Type-2's key is RD + Ethernet Tag + MAC
 * + IP (not the ESI, not the labels); Type-1: RD + ESI + Ethernet Tag; Type-3: RD + Ethernet Tag +
 * originator; Type-4: RD + ESI + originator; Type-5 (RFC 9136 §3.2): RD + Ethernet Tag + prefix
 * length + prefix; unknown types: route type + body. Addresses carry their length in bits before
 * them, so a Type-2 key is its NLRI's octets from the Ethernet Tag to the IP (with the MAC and IP
 * Address Lengths) after the RD: what `compact` decoding reads straight off the wire. 25 octets for
 * a Type-2 with IPv4: RIBs hold millions of these, so they are flat one-byte strings, never ropes.
 */
export function evpnRouteKey(route: EvpnRoute): string {
  if (route instanceof PackedMacIpRoute) return route.key;
  // Char codes straight from the fields: no Writer, no subarray views.
  const c: number[] = [route.routeType];
  switch (route.type) {
    case 'ethernet-ad':
      keyRd(c, route.rd);
      keyColonHex(c, route.esi);
      keyU32(c, route.ethernetTag);
      break;
    case 'mac-ip':
      keyRd(c, route.rd);
      keyU32(c, route.ethernetTag);
      c.push(48);
      keyColonHex(c, route.mac);
      if (route.ip === undefined) c.push(0);
      else keyIp(c, route.ip);
      break;
    case 'inclusive-multicast':
      keyRd(c, route.rd);
      keyU32(c, route.ethernetTag);
      keyIp(c, route.originator);
      break;
    case 'ethernet-segment':
      keyRd(c, route.rd);
      keyColonHex(c, route.esi);
      keyIp(c, route.originator);
      break;
    case 'ip-prefix':
      keyRd(c, route.rd);
      keyU32(c, route.ethernetTag);
      c.push(route.prefixLength);
      keyIp(c, route.prefix);
      break;
    default:
      for (const b of route.data) c.push(b);
  }
  return String.fromCharCode(...c);
}

function keyU32(c: number[], v: number): void {
  c.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
}

function keyRd(c: number[], rd: RouteDistinguisher): void {
  switch (rd.type) {
    case 0:
      c.push(0, 0, (rd.asn >>> 8) & 0xff, rd.asn & 0xff);
      keyU32(c, rd.assigned);
      return;
    case 1:
      c.push(0, 1);
      keyIpv4Octets(c, rd.ip);
      c.push((rd.assigned >>> 8) & 0xff, rd.assigned & 0xff);
      return;
    case 2:
      c.push(0, 2);
      keyU32(c, rd.asn);
      c.push((rd.assigned >>> 8) & 0xff, rd.assigned & 0xff);
      return;
    default:
      c.push((rd.typeCode >>> 8) & 0xff, rd.typeCode & 0xff);
      for (const b of rd.value) c.push(b);
  }
}

/** "aa:bb:..." (a MAC or an ESI, canonical lowercase) as its octets. */
function keyColonHex(c: number[], text: string): void {
  for (let i = 0; i < text.length; i += 3) {
    c.push((hexNibble(text.charCodeAt(i)) << 4) | hexNibble(text.charCodeAt(i + 1)));
  }
}

/** An address as its length in bits, then its octets (IPv4 parsed by hand: the common case). */
function keyIp(c: number[], a: IpAddress): void {
  if (a.indexOf(':') < 0) {
    c.push(32);
    keyIpv4Octets(c, a);
    return;
  }
  const b = new Uint8Array(16);
  emitIpv6Address(a as Ipv6Address, b, 0, PROTOCOL, 'ip');
  c.push(128);
  for (const x of b) c.push(x);
}

function keyIpv4Octets(c: number[], a: string): void {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    const ch = a.charCodeAt(i);
    if (ch === 46) {
      c.push(n);
      n = 0;
    } else n = n * 10 + (ch - 48);
  }
  c.push(n);
}

/**
 * IPv6 text as glibc's inet_ntop prints it (what FRR shows): RFC 5952 except that ::a.b.c.d and
 * ::ffff:a.b.c.d keep a dotted IPv4 tail.
 */
function inetNtop(a: IpAddress): string {
  if (!isIpv6Text(a) || !a.startsWith('::')) return a;
  const b = new Uint8Array(16);
  emitIpv6Address(a as Ipv6Address, b, 0, PROTOCOL, 'ip');
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return a;
  const w5 = (b[10]! << 8) | b[11]!;
  const w6 = (b[12]! << 8) | b[13]!;
  const v4 = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  if (w5 === 0xffff) return `::ffff:${v4}`;
  if (w5 === 0 && w6 !== 0) return `::${v4}`;
  return a;
}

function ipBits(a: IpAddress): number {
  return isIpv6Text(a) ? 128 : 32;
}

/**
 * The prefix as FRR 8.4's `show bgp l2vpn evpn route` prints it (lib/prefix.c prefixevpn2str):
 * - type 1 "[1]:[EthTag]:[ESI]:[32]:[0.0.0.0]:[0]": FRR adds an originator IP and fragment id that
 *   are not in the NLRI; for received routes (bgp_evpn_type1_route_process) they are 0.0.0.0 and 0;
 * - type 2 "[2]:[EthTag]:[48]:[MAC]" or "[2]:[EthTag]:[48]:[MAC]:[32|128]:[IP]";
 * - type 3 "[3]:[EthTag]:[32|128]:[originator]";
 * - type 4 "[4]:[ESI]:[32|128]:[originator]";
 * - type 5 "[5]:[EthTag]:[prefix length]:[prefix]";
 * - unknown types (FRR: "Unsupported EVPN prefix") "[N]:[hex body]".
 * FRR prints the Ethernet Tag with %u for type 1 and %d (signed) for types 2, 3 and 5; so do we.
 */
export function formatEvpnRoute(route: EvpnRoute): string {
  switch (route.type) {
    case 'ethernet-ad':
      return `[1]:[${route.ethernetTag >>> 0}]:[${route.esi}]:[32]:[0.0.0.0]:[0]`;
    case 'mac-ip': {
      const head = `[2]:[${route.ethernetTag | 0}]:[48]:[${route.mac}]`;
      return route.ip === undefined ? head : `${head}:[${ipBits(route.ip)}]:[${inetNtop(route.ip)}]`;
    }
    case 'inclusive-multicast':
      return `[3]:[${route.ethernetTag | 0}]:[${ipBits(route.originator)}]:[${inetNtop(route.originator)}]`;
    case 'ethernet-segment':
      return `[4]:[${route.esi}]:[${ipBits(route.originator)}]:[${inetNtop(route.originator)}]`;
    case 'ip-prefix':
      return `[5]:[${route.ethernetTag | 0}]:[${route.prefixLength}]:[${inetNtop(route.prefix)}]`;
    default:
      return `[${route.routeType}]:[${toHex(route.data)}]`;
  }
}
