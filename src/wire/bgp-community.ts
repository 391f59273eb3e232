/**
 * BGP communities: standard (RFC 1997), extended (RFC 4360, RFC 7153) and large (RFC 8092).
 *
 * Owns the 4-, 8- and 12-octet community values carried in the COMMUNITIES, EXTENDED_COMMUNITIES
 * and LARGE_COMMUNITY path attributes, their text forms (FRR's `show bgp` spelling, so operators see
 * what they know) and parsers for configuration text. bgp-update.ts frames the attributes.
 *
 * Guarantees: extended communities of a type we do not model are kept as their 8 raw bytes, so a
 * decode → encode round trip is byte-exact for every input except one: fields the RFCs call
 * "reserved" (MUST be zero on send, ignored on receipt) are ignored on decode and written as zero.
 */
import {
  AddressError,
  ipv4,
  ipv4ToBytes,
  macFromBytes,
  macToBytes,
  type Asn,
  type Ipv4Address,
  type Mac,
} from './addr.js';
import type { Reader, Writer } from './bytes.js';
import { WireError } from './errors.js';

const PROTOCOL = 'bgp';

// ---------------------------------------------------------------------------------------------
// Standard communities (RFC 1997): 32 bits, conventionally ASN(16):value(16).
// ---------------------------------------------------------------------------------------------

/** A standard community as its 32-bit value (0..0xffffffff). */
export type Community = number;

// IANA "BGP Well-known Communities" registry.
export const COMMUNITY_GRACEFUL_SHUTDOWN = 0xffff0000; // RFC 8326
export const COMMUNITY_ACCEPT_OWN = 0xffff0001; // RFC 7611
export const COMMUNITY_ROUTE_FILTER_TRANSLATED_V4 = 0xffff0002;
export const COMMUNITY_ROUTE_FILTER_V4 = 0xffff0003;
export const COMMUNITY_ROUTE_FILTER_TRANSLATED_V6 = 0xffff0004;
export const COMMUNITY_ROUTE_FILTER_V6 = 0xffff0005;
export const COMMUNITY_LLGR_STALE = 0xffff0006; // RFC 9494
export const COMMUNITY_NO_LLGR = 0xffff0007; // RFC 9494
export const COMMUNITY_ACCEPT_OWN_NEXTHOP = 0xffff0008;
export const COMMUNITY_BLACKHOLE = 0xffff029a; // RFC 7999
export const COMMUNITY_NO_EXPORT = 0xffffff01; // RFC 1997
export const COMMUNITY_NO_ADVERTISE = 0xffffff02; // RFC 1997
export const COMMUNITY_NO_EXPORT_SUBCONFED = 0xffffff03; // RFC 1997
export const COMMUNITY_NOPEER = 0xffffff04; // RFC 3765

/** [value, IANA name, FRR display name] for the well-known communities. */
const WELL_KNOWN: readonly (readonly [number, string, string])[] = [
  [COMMUNITY_GRACEFUL_SHUTDOWN, 'GRACEFUL_SHUTDOWN', 'graceful-shutdown'],
  [COMMUNITY_ACCEPT_OWN, 'ACCEPT_OWN', 'accept-own'],
  [COMMUNITY_ROUTE_FILTER_TRANSLATED_V4, 'ROUTE_FILTER_TRANSLATED_v4', 'route-filter-translated-v4'],
  [COMMUNITY_ROUTE_FILTER_V4, 'ROUTE_FILTER_v4', 'route-filter-v4'],
  [COMMUNITY_ROUTE_FILTER_TRANSLATED_V6, 'ROUTE_FILTER_TRANSLATED_v6', 'route-filter-translated-v6'],
  [COMMUNITY_ROUTE_FILTER_V6, 'ROUTE_FILTER_v6', 'route-filter-v6'],
  [COMMUNITY_LLGR_STALE, 'LLGR_STALE', 'llgr-stale'],
  [COMMUNITY_NO_LLGR, 'NO_LLGR', 'no-llgr'],
  [COMMUNITY_ACCEPT_OWN_NEXTHOP, 'ACCEPT_OWN_NEXTHOP', 'accept-own-nexthop'],
  [COMMUNITY_BLACKHOLE, 'BLACKHOLE', 'blackhole'],
  [COMMUNITY_NO_EXPORT, 'NO_EXPORT', 'no-export'],
  [COMMUNITY_NO_ADVERTISE, 'NO_ADVERTISE', 'no-advertise'],
  [COMMUNITY_NO_EXPORT_SUBCONFED, 'NO_EXPORT_SUBCONFED', 'local-AS'],
  [COMMUNITY_NOPEER, 'NOPEER', 'no-peer'],
];

/** The IANA registry name of a well-known community (`NO_EXPORT`), or undefined. */
export function wellKnownCommunityName(c: Community): string | undefined {
  for (const [v, name] of WELL_KNOWN) if (v === c) return name;
  return undefined;
}

/** FRR's display form: `65000:100`, or the keyword for a well-known one (`no-export`, `local-AS`). */
export function communityToString(c: Community): string {
  for (const [v, , display] of WELL_KNOWN) if (v === c) return display;
  return `${c >>> 16}:${c & 0xffff}`;
}

/** Parses `65000:100`, an FRR keyword (`no-export`) or an IANA name (`NO_EXPORT`). */
export function parseCommunity(text: string): Community {
  for (const [v, name, display] of WELL_KNOWN) if (text === name || text === display) return v;
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  if (m) {
    const hi = Number(m[1]);
    const lo = Number(m[2]);
    if (hi <= 0xffff && lo <= 0xffff) return ((hi << 16) >>> 0) + lo;
  }
  throw new AddressError('BGP community', text);
}

// ---------------------------------------------------------------------------------------------
// Large communities (RFC 8092 §3): Global Administrator(4) Local Data Part 1(4) Local Data Part 2(4)
// ---------------------------------------------------------------------------------------------

export interface LargeCommunity {
  readonly globalAdmin: number;
  readonly localData1: number;
  readonly localData2: number;
}

/** RFC 8092 §4 canonical text `global:local1:local2` (what FRR prints). */
export function largeCommunityToString(c: LargeCommunity): string {
  return `${c.globalAdmin}:${c.localData1}:${c.localData2}`;
}

export function parseLargeCommunity(text: string): LargeCommunity {
  const m = /^(\d{1,10}):(\d{1,10}):(\d{1,10})$/.exec(text);
  if (m) {
    const globalAdmin = Number(m[1]);
    const localData1 = Number(m[2]);
    const localData2 = Number(m[3]);
    if (globalAdmin <= 0xffffffff && localData1 <= 0xffffffff && localData2 <= 0xffffffff)
      return { globalAdmin, localData1, localData2 };
  }
  throw new AddressError('BGP large community', text);
}

// ---------------------------------------------------------------------------------------------
// Extended communities (RFC 4360 §2, RFC 7153): Type(1) Sub-Type(1) Value(6), 8 octets.
// ---------------------------------------------------------------------------------------------

// IANA "BGP Extended Communities" type registry (high-order octet).
export const EC_TYPE_TRANSITIVE_TWO_OCTET_AS = 0x00; // RFC 7153 §5.1.1
export const EC_TYPE_TRANSITIVE_IPV4_ADDRESS = 0x01; // RFC 7153 §5.1.2
export const EC_TYPE_TRANSITIVE_FOUR_OCTET_AS = 0x02; // RFC 7153 §5.1.3
export const EC_TYPE_TRANSITIVE_OPAQUE = 0x03; // RFC 7153 §5.1.4
export const EC_TYPE_EVPN = 0x06; // RFC 7153 §5.1.6, RFC 7432 §7.11
/** Bit of the type octet that marks a non-transitive community (RFC 4360 §2). */
export const EC_TYPE_FLAG_NON_TRANSITIVE = 0x40;

// Sub-types (low-order octet).
export const EC_SUBTYPE_ROUTE_TARGET = 0x02; // RFC 4360 §4
export const EC_SUBTYPE_ROUTE_ORIGIN = 0x03; // RFC 4360 §5
export const EC_SUBTYPE_ENCAPSULATION = 0x0c; // RFC 9012 §4.1 (opaque type)
export const EC_SUBTYPE_DEFAULT_GATEWAY = 0x0d; // RFC 7432 §7.8 / §10.1 (opaque type)
export const EC_SUBTYPE_MAC_MOBILITY = 0x00; // RFC 7432 §7.7 (EVPN type)
export const EC_SUBTYPE_ESI_LABEL = 0x01; // RFC 7432 §7.5
export const EC_SUBTYPE_ES_IMPORT_ROUTE_TARGET = 0x02; // RFC 7432 §7.6
export const EC_SUBTYPE_ROUTER_MAC = 0x03; // RFC 9135 §8.1
export const EC_SUBTYPE_DF_ELECTION = 0x06; // RFC 8584 §2.2

/** RFC 7432 §7.7: the low-order bit of the MAC Mobility flags octet. */
export const EC_MAC_MOBILITY_FLAG_STICKY = 0x01;
/** RFC 7432 §7.5: the low-order bit of the ESI Label flags octet. */
export const EC_ESI_LABEL_FLAG_SINGLE_ACTIVE = 0x01;

// IANA "BGP Tunnel Encapsulation Attribute Tunnel Types" (RFC 9012) — values for the encapsulation EC.
export const BGP_ENCAP_TYPE_L2TPV3 = 1;
export const BGP_ENCAP_TYPE_GRE = 2;
export const BGP_ENCAP_TYPE_IP_IN_IP = 7;
export const BGP_ENCAP_TYPE_VXLAN = 8;
export const BGP_ENCAP_TYPE_NVGRE = 9;
export const BGP_ENCAP_TYPE_MPLS = 10;
export const BGP_ENCAP_TYPE_MPLS_IN_GRE = 11;
export const BGP_ENCAP_TYPE_VXLAN_GPE = 12;
export const BGP_ENCAP_TYPE_MPLS_IN_UDP = 13;
export const BGP_ENCAP_TYPE_GENEVE = 19;

// RFC 8584 §3 / RFC 9785 DF election algorithms.
export const EVPN_DF_ALG_DEFAULT = 0;
export const EVPN_DF_ALG_HRW = 1;
export const EVPN_DF_ALG_PREFERENCE = 2;

/** Route Target / Route Origin: the administrator decides the encoding (RFC 4360 §3, RFC 5668). */
export type AdministratorCommunity =
  /** Type 0x00: 2-octet AS administrator, 4-octet assigned number. */
  | {
      readonly kind: 'route-target' | 'route-origin';
      readonly format: 'as2';
      readonly asn: Asn;
      readonly value: number;
    }
  /** Type 0x01: IPv4 address administrator, 2-octet assigned number. */
  | {
      readonly kind: 'route-target' | 'route-origin';
      readonly format: 'ipv4';
      readonly address: Ipv4Address;
      readonly value: number;
    }
  /** Type 0x02: 4-octet AS administrator, 2-octet assigned number. */
  | {
      readonly kind: 'route-target' | 'route-origin';
      readonly format: 'as4';
      readonly asn: Asn;
      readonly value: number;
    };

export type ExtendedCommunity =
  | AdministratorCommunity
  /** 0x03/0x0c RFC 9012 §4.1: Reserved(4) Tunnel Type(2). VXLAN = 8. */
  | { readonly kind: 'encapsulation'; readonly tunnelType: number }
  /** 0x03/0x0d RFC 7432 §7.8: the MAC/IP route is for a default gateway; value reserved. */
  | { readonly kind: 'default-gateway' }
  /** 0x06/0x00 RFC 7432 §7.7: Flags(1) Reserved(1) Sequence Number(4). */
  | { readonly kind: 'mac-mobility'; readonly sticky: boolean; readonly sequence: number }
  /**
   * 0x06/0x01 RFC 7432 §7.5: Flags(1) Reserved(2) ESI Label(3). `label` is the 24-bit field as carried:
   * the VNI for VXLAN (RFC 8365 §5.1.3), an MPLS label shifted left 4 bits for MPLS.
   */
  | { readonly kind: 'esi-label'; readonly singleActive: boolean; readonly label: number }
  /** 0x06/0x02 RFC 7432 §7.6: ES-Import Route Target(6), a MAC taken from the ESI. */
  | { readonly kind: 'es-import-route-target'; readonly mac: Mac }
  /** 0x06/0x03 RFC 9135 §8.1: Router's MAC(6). */
  | { readonly kind: 'router-mac'; readonly mac: Mac }
  /**
   * 0x06/0x06 RFC 8584 §2.2: RSV(3 bits) DF Alg(5 bits), Bitmap(2), Reserved(1), and in the last two
   * octets the DF Preference of RFC 9785 (zero for other algorithms).
   */
  | {
      readonly kind: 'df-election';
      readonly algorithm: number;
      readonly bitmap: number;
      readonly preference: number;
    }
  /** Anything else, kept as the 8 octets received. */
  | { readonly kind: 'unknown'; readonly data: Uint8Array };

export type ExtendedCommunityKind = ExtendedCommunity['kind'];

function fail(field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol: PROTOCOL, field, offset: 0, reason });
}

function u16At(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function u32At(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

/**
 * Decodes the 8 octets at `b[o..o+8)`; the caller guarantees they exist (readExtendedCommunity and
 * the attribute decoder check the length first).
 */
export function extendedCommunityFromBytes(b: Uint8Array, o: number): ExtendedCommunity {
  const type = b[o]!;
  const sub = b[o + 1]!;
  switch (type) {
    case EC_TYPE_TRANSITIVE_TWO_OCTET_AS:
      if (sub === EC_SUBTYPE_ROUTE_TARGET || sub === EC_SUBTYPE_ROUTE_ORIGIN) {
        return {
          kind: sub === EC_SUBTYPE_ROUTE_TARGET ? 'route-target' : 'route-origin',
          format: 'as2',
          asn: u16At(b, o + 2) as Asn,
          value: u32At(b, o + 4),
        };
      }
      break;
    case EC_TYPE_TRANSITIVE_IPV4_ADDRESS:
      if (sub === EC_SUBTYPE_ROUTE_TARGET || sub === EC_SUBTYPE_ROUTE_ORIGIN) {
        return {
          kind: sub === EC_SUBTYPE_ROUTE_TARGET ? 'route-target' : 'route-origin',
          format: 'ipv4',
          address: `${b[o + 2]}.${b[o + 3]}.${b[o + 4]}.${b[o + 5]}` as Ipv4Address,
          value: u16At(b, o + 6),
        };
      }
      break;
    case EC_TYPE_TRANSITIVE_FOUR_OCTET_AS:
      if (sub === EC_SUBTYPE_ROUTE_TARGET || sub === EC_SUBTYPE_ROUTE_ORIGIN) {
        return {
          kind: sub === EC_SUBTYPE_ROUTE_TARGET ? 'route-target' : 'route-origin',
          format: 'as4',
          asn: u32At(b, o + 2) as Asn,
          value: u16At(b, o + 6),
        };
      }
      break;
    case EC_TYPE_TRANSITIVE_OPAQUE:
      // RFC 9012 §4.1: the first four value octets are reserved (ignored on receipt).
      if (sub === EC_SUBTYPE_ENCAPSULATION) return { kind: 'encapsulation', tunnelType: u16At(b, o + 6) };
      // RFC 7432 §7.8: the value is reserved.
      if (sub === EC_SUBTYPE_DEFAULT_GATEWAY) return { kind: 'default-gateway' };
      break;
    case EC_TYPE_EVPN:
      switch (sub) {
        case EC_SUBTYPE_MAC_MOBILITY:
          return {
            kind: 'mac-mobility',
            sticky: (b[o + 2]! & EC_MAC_MOBILITY_FLAG_STICKY) !== 0,
            sequence: u32At(b, o + 4),
          };
        case EC_SUBTYPE_ESI_LABEL:
          return {
            kind: 'esi-label',
            singleActive: (b[o + 2]! & EC_ESI_LABEL_FLAG_SINGLE_ACTIVE) !== 0,
            label: (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!,
          };
        case EC_SUBTYPE_ES_IMPORT_ROUTE_TARGET:
          return { kind: 'es-import-route-target', mac: macFromBytes(b, o + 2) };
        case EC_SUBTYPE_ROUTER_MAC:
          return { kind: 'router-mac', mac: macFromBytes(b, o + 2) };
        case EC_SUBTYPE_DF_ELECTION:
          return {
            kind: 'df-election',
            algorithm: b[o + 2]! & 0x1f,
            bitmap: u16At(b, o + 3),
            preference: u16At(b, o + 6),
          };
      }
      break;
  }
  return { kind: 'unknown', data: b.slice(o, o + 8) };
}

export function readExtendedCommunity(r: Reader, field = 'extendedCommunity'): ExtendedCommunity {
  const at = r.offset;
  r.skip(8, field);
  return extendedCommunityFromBytes(r.buf, at);
}

export function decodeExtendedCommunity(buf: Uint8Array): ExtendedCommunity {
  if (buf.length !== 8) {
    throw new WireError({
      kind: buf.length < 8 ? 'truncated' : 'malformed',
      protocol: PROTOCOL,
      field: 'extendedCommunity',
      offset: 0,
      reason: `an extended community is 8 octets, got ${buf.length}`,
    });
  }
  return extendedCommunityFromBytes(buf, 0);
}

function checkUint(v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) fail(field, `${v} is not an integer in 0..${max}`);
  return v;
}

function put16(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 8;
  out[at + 1] = v & 0xff;
}

function put32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = (v >>> 16) & 0xff;
  out[at + 2] = (v >>> 8) & 0xff;
  out[at + 3] = v & 0xff;
}

/** Writes the 8 octets of `c` into `out[o..o+8)`, validating every field. */
export function extendedCommunityToBytes(
  c: ExtendedCommunity,
  out: Uint8Array = new Uint8Array(8),
  o = 0,
): Uint8Array {
  out.fill(0, o, o + 8);
  switch (c.kind) {
    case 'route-target':
    case 'route-origin': {
      out[o + 1] = c.kind === 'route-target' ? EC_SUBTYPE_ROUTE_TARGET : EC_SUBTYPE_ROUTE_ORIGIN;
      if (c.format === 'as2') {
        out[o] = EC_TYPE_TRANSITIVE_TWO_OCTET_AS;
        put16(out, o + 2, checkUint(c.asn, 0xffff, `${c.kind}.asn`));
        put32(out, o + 4, checkUint(c.value, 0xffffffff, `${c.kind}.value`));
      } else if (c.format === 'ipv4') {
        out[o] = EC_TYPE_TRANSITIVE_IPV4_ADDRESS;
        ipv4ToBytes(c.address, out, o + 2);
        put16(out, o + 6, checkUint(c.value, 0xffff, `${c.kind}.value`));
      } else {
        out[o] = EC_TYPE_TRANSITIVE_FOUR_OCTET_AS;
        put32(out, o + 2, checkUint(c.asn, 0xffffffff, `${c.kind}.asn`));
        put16(out, o + 6, checkUint(c.value, 0xffff, `${c.kind}.value`));
      }
      break;
    }
    case 'encapsulation':
      out[o] = EC_TYPE_TRANSITIVE_OPAQUE;
      out[o + 1] = EC_SUBTYPE_ENCAPSULATION;
      put16(out, o + 6, checkUint(c.tunnelType, 0xffff, 'encapsulation.tunnelType'));
      break;
    case 'default-gateway':
      out[o] = EC_TYPE_TRANSITIVE_OPAQUE;
      out[o + 1] = EC_SUBTYPE_DEFAULT_GATEWAY;
      break;
    case 'mac-mobility':
      out[o] = EC_TYPE_EVPN;
      out[o + 1] = EC_SUBTYPE_MAC_MOBILITY;
      out[o + 2] = c.sticky ? EC_MAC_MOBILITY_FLAG_STICKY : 0;
      put32(out, o + 4, checkUint(c.sequence, 0xffffffff, 'mac-mobility.sequence'));
      break;
    case 'esi-label': {
      out[o] = EC_TYPE_EVPN;
      out[o + 1] = EC_SUBTYPE_ESI_LABEL;
      out[o + 2] = c.singleActive ? EC_ESI_LABEL_FLAG_SINGLE_ACTIVE : 0;
      const label = checkUint(c.label, 0xffffff, 'esi-label.label');
      out[o + 5] = label >>> 16;
      put16(out, o + 6, label & 0xffff);
      break;
    }
    case 'es-import-route-target':
    case 'router-mac':
      out[o] = EC_TYPE_EVPN;
      out[o + 1] = c.kind === 'router-mac' ? EC_SUBTYPE_ROUTER_MAC : EC_SUBTYPE_ES_IMPORT_ROUTE_TARGET;
      macToBytes(c.mac, out, o + 2);
      break;
    case 'df-election':
      out[o] = EC_TYPE_EVPN;
      out[o + 1] = EC_SUBTYPE_DF_ELECTION;
      out[o + 2] = checkUint(c.algorithm, 0x1f, 'df-election.algorithm');
      put16(out, o + 3, checkUint(c.bitmap, 0xffff, 'df-election.bitmap'));
      put16(out, o + 6, checkUint(c.preference, 0xffff, 'df-election.preference'));
      break;
    case 'unknown':
      if (c.data.length !== 8) fail('extendedCommunity.data', `must be 8 octets, got ${c.data.length}`);
      out.set(c.data, o);
      break;
  }
  return out;
}

export function writeExtendedCommunity(w: Writer, c: ExtendedCommunity): void {
  const at = w.offset;
  w.zeros(8);
  extendedCommunityToBytes(c, w.view(at, at + 8), 0);
}

export function encodeExtendedCommunity(c: ExtendedCommunity): Uint8Array {
  return extendedCommunityToBytes(c);
}

/** Whether the community is transitive across ASes (RFC 4360 §2: bit 0x40 of the type octet clear). */
export function isTransitiveExtendedCommunity(c: ExtendedCommunity): boolean {
  return c.kind !== 'unknown' || ((c.data[0] ?? 0) & EC_TYPE_FLAG_NON_TRANSITIVE) === 0;
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/**
 * FRR's display form (bgpd/bgp_ecommunity.c ecommunity_ecom2str, ECOMMUNITY_FORMAT_DISPLAY):
 * `RT:65000:100`, `SoO:10.0.0.1:5`, `ET:8`, `Default Gateway`, `MM:5, sticky MAC`, `ESI-label-Rt:AA`,
 * `ES-Import-Rt:00:11:22:33:44:55`, `Rmac:00:11:22:33:44:55`, `DF: (alg: 2, pref: 100)`,
 * `DF: (alg: 2, bmap: 0x4000 pref: 100)`, and `UNK:type, subtype` for the rest.
 */
export function extendedCommunityToString(c: ExtendedCommunity): string {
  switch (c.kind) {
    case 'route-target':
    case 'route-origin': {
      const prefix = c.kind === 'route-target' ? 'RT:' : 'SoO:';
      return c.format === 'ipv4' ? `${prefix}${c.address}:${c.value}` : `${prefix}${c.asn}:${c.value}`;
    }
    case 'encapsulation':
      return `ET:${c.tunnelType}`;
    case 'default-gateway':
      return 'Default Gateway';
    case 'mac-mobility':
      return c.sticky ? `MM:${c.sequence}, sticky MAC` : `MM:${c.sequence}`;
    case 'esi-label':
      return `ESI-label-Rt:${c.singleActive ? 'SA' : 'AA'}`;
    case 'es-import-route-target':
      return `ES-Import-Rt:${c.mac}`;
    case 'router-mac':
      return `Rmac:${c.mac}`;
    case 'df-election':
      return c.bitmap !== 0
        ? `DF: (alg: ${c.algorithm}, bmap: 0x${c.bitmap.toString(16)} pref: ${c.preference})`
        : `DF: (alg: ${c.algorithm}, pref: ${c.preference})`;
    case 'unknown':
      return `UNK:${c.data[0] ?? 0}, ${c.data[1] ?? 0}`;
  }
}

/** The communities of one attribute as FRR prints them: space-separated. */
export function extendedCommunitiesToString(list: readonly ExtendedCommunity[]): string {
  return list.map(extendedCommunityToString).join(' ');
}

/** Hex of an extended community's 8 octets (for logs of unknown ones). */
export function extendedCommunityHex(c: ExtendedCommunity): string {
  const b = extendedCommunityToBytes(c);
  let s = '';
  for (const x of b) s += HEX2[x]!;
  return s;
}

/**
 * Parses a route target or route origin as FRR accepts it in configuration: `65000:100` (2-octet AS),
 * `4200000000:100` (4-octet AS, since the AS does not fit 16 bits) or `10.0.0.1:100`, optionally
 * prefixed `RT:`/`rt ` or `SoO:`/`soo `.
 */
export function parseRouteTarget(
  text: string,
  kind: 'route-target' | 'route-origin' = 'route-target',
): AdministratorCommunity {
  let s = text.trim();
  let k = kind;
  const pre = /^(RT:|rt\s+|SoO:|soo\s+)/i.exec(s);
  if (pre) {
    k = pre[1]!.toLowerCase().startsWith('r') ? 'route-target' : 'route-origin';
    s = s.slice(pre[1]!.length);
  }
  const colon = s.lastIndexOf(':');
  const admin = s.slice(0, colon);
  const valueText = s.slice(colon + 1);
  if (colon > 0 && /^\d{1,10}$/.test(valueText)) {
    const value = Number(valueText);
    if (admin.includes('.')) {
      let address: Ipv4Address | undefined;
      try {
        address = ipv4(admin);
      } catch {
        address = undefined;
      }
      if (address !== undefined && value <= 0xffff) return { kind: k, format: 'ipv4', address, value };
    } else if (/^\d{1,10}$/.test(admin)) {
      const asn = Number(admin);
      if (asn <= 0xffff && value <= 0xffffffff) return { kind: k, format: 'as2', asn: asn as Asn, value };
      if (asn <= 0xffffffff && value <= 0xffff) return { kind: k, format: 'as4', asn: asn as Asn, value };
    }
  }
  throw new AddressError('route target', text);
}

/** Two extended communities are the same community (by their wire octets). */
export function extendedCommunityEquals(a: ExtendedCommunity, b: ExtendedCommunity): boolean {
  const x = extendedCommunityToBytes(a);
  const y = extendedCommunityToBytes(b);
  for (let i = 0; i < 8; i++) if (x[i] !== y[i]) return false;
  return true;
}
