/**
 * BGP UPDATE message body (RFC 4271 §4.3) and its path attributes, with RFC 7606 error handling.
 *
 * Owns: withdrawn routes and NLRI (IPv4 prefixes), every path attribute twinleaf speaks (ORIGIN …
 * LARGE_COMMUNITY, MP_REACH/MP_UNREACH_NLRI for IPv4 unicast and EVPN, PMSI_TUNNEL), unknown
 * attributes kept byte-exact, and the classification of attribute errors. The 19-octet header is
 * bgp-message.ts's; EVPN NLRI are evpn.ts's; community values are bgp-community.ts's.
 *
 * Guarantees:
 * - Decoding never throws for an error RFC 7606 lets a speaker survive: it records an
 *   `AttributeError` and applies the action to the value (attribute-discard → the attribute is
 *   dropped; treat-as-withdraw → `treatAsWithdraw: true`, the NLRI kept so the session can withdraw
 *   them). Each error carries the RFC 4271 §6.3 subcode and data a NOTIFICATION would use.
 * - Errors RFC 7606 leaves fatal throw a `BgpWireError` (NOTIFICATION code 3, subcode, data;
 *   `handling: 'session-reset'`): withdrawn/attribute lengths overrunning the message, an NLRI field
 *   that does not parse (3/10), an unrecognized well-known attribute (3/2), MP_REACH/MP_UNREACH twice
 *   or unparsable (3/1, 3/9; the latter recorded as 'afi-safi-disable' instead when the session says
 *   it implements that). Per RFC 7606 §4 an attribute overrunning the attribute section is
 *   treat-as-withdraw (the NLRI field is still found from Total Path Attribute Length) unless it
 *   is MP_REACH/MP_UNREACH itself.
 * - Symmetry: decode(encode(v)) deep-equals v for every valid v; encode(decode(b)) === b for
 *   canonical b. Non-canonical inputs that do not re-encode byte-exact: prefix host bits (kept on
 *   decode, zeroed on encode), the MP_REACH reserved octet and reserved bits inside known extended
 *   communities (ignored on receipt per their RFCs, written as zero). Attribute flags are kept
 *   exactly: a known attribute carries `flags` only when the received octet differs from the
 *   canonical one (type bits, extended length iff the value exceeds 255 octets).
 */
import {
  ipv6FromBytes,
  ipv6ToBytes,
  type Asn,
  type IpAddress,
  type Ipv4Address,
  type Ipv6Address,
} from './addr.js';
import {
  AFI_IPV4,
  AFI_L2VPN,
  BGP_ERR_UPDATE_MESSAGE as ERR_UPDATE_MESSAGE,
  SAFI_EVPN,
  SAFI_MULTICAST,
  SAFI_RT_CONSTRAINT,
  SAFI_UNICAST,
  UPDATE_ERR_ATTRIBUTE_FLAGS as SUB_ATTRIBUTE_FLAGS,
  UPDATE_ERR_ATTRIBUTE_LENGTH as SUB_ATTRIBUTE_LENGTH,
  UPDATE_ERR_INVALID_NETWORK_FIELD as SUB_INVALID_NETWORK_FIELD,
  UPDATE_ERR_INVALID_NEXT_HOP_ATTRIBUTE as SUB_INVALID_NEXT_HOP,
  UPDATE_ERR_INVALID_ORIGIN_ATTRIBUTE as SUB_INVALID_ORIGIN,
  UPDATE_ERR_MALFORMED_AS_PATH as SUB_MALFORMED_AS_PATH,
  UPDATE_ERR_MALFORMED_ATTRIBUTE_LIST as SUB_MALFORMED_ATTRIBUTE_LIST,
  UPDATE_ERR_MISSING_WELL_KNOWN_ATTRIBUTE as SUB_MISSING_WELL_KNOWN,
  UPDATE_ERR_OPTIONAL_ATTRIBUTE as SUB_OPTIONAL_ATTRIBUTE,
  UPDATE_ERR_UNRECOGNIZED_WELL_KNOWN_ATTRIBUTE as SUB_UNRECOGNIZED_WELL_KNOWN,
} from './bgp-constants.js';
import { Reader, u16At, u32At, Writer } from './bytes.js';
import {
  extendedCommunityFromBytes,
  extendedCommunityToBytes,
  type Community,
  type ExtendedCommunity,
  type LargeCommunity,
} from './bgp-community.js';
import {
  BGP_ERROR_HANDLING_SEVERITY,
  BgpWireError,
  WireError,
  type BgpErrorHandling,
  type BgpNotifyData,
} from './errors.js';
import { readEvpnNlriList, writeEvpnNlri, type EvpnRoute, type PackedMacIpFactory } from './evpn.js';

// ---------------------------------------------------------------------------------------------
// Registry constants
// ---------------------------------------------------------------------------------------------

/** RFC 4271 §4.3 attribute flags (high-order bits of the flags octet; the low four are unused). */
export const BGP_ATTR_FLAG_OPTIONAL = 0x80;
export const BGP_ATTR_FLAG_TRANSITIVE = 0x40;
export const BGP_ATTR_FLAG_PARTIAL = 0x20;
export const BGP_ATTR_FLAG_EXTENDED_LENGTH = 0x10;

// IANA "BGP Path Attributes".
export const BGP_ATTR_ORIGIN = 1;
export const BGP_ATTR_AS_PATH = 2;
export const BGP_ATTR_NEXT_HOP = 3;
export const BGP_ATTR_MULTI_EXIT_DISC = 4;
export const BGP_ATTR_LOCAL_PREF = 5;
export const BGP_ATTR_ATOMIC_AGGREGATE = 6;
export const BGP_ATTR_AGGREGATOR = 7;
export const BGP_ATTR_COMMUNITIES = 8;
export const BGP_ATTR_ORIGINATOR_ID = 9;
export const BGP_ATTR_CLUSTER_LIST = 10;
export const BGP_ATTR_MP_REACH_NLRI = 14;
export const BGP_ATTR_MP_UNREACH_NLRI = 15;
export const BGP_ATTR_EXTENDED_COMMUNITIES = 16;
export const BGP_ATTR_AS4_PATH = 17;
export const BGP_ATTR_AS4_AGGREGATOR = 18;
export const BGP_ATTR_PMSI_TUNNEL = 22;
export const BGP_ATTR_LARGE_COMMUNITY = 32;

// RFC 4271 §4.3 / RFC 5065 §3 AS_PATH segment types.
export const AS_PATH_SEGMENT_AS_SET = 1;
export const AS_PATH_SEGMENT_AS_SEQUENCE = 2;
export const AS_PATH_SEGMENT_AS_CONFED_SEQUENCE = 3;
export const AS_PATH_SEGMENT_AS_CONFED_SET = 4;

/** RFC 6793 §9: the 2-octet stand-in for a 4-octet AS number. */
export const AS_TRANS = 23456 as Asn;

// RFC 6514 §5 PMSI tunnel flags and IANA "P-Multicast Service Interface Tunnel (PMSI Tunnel) Tunnel Types".
export const PMSI_FLAG_LEAF_INFO_REQUIRED = 0x01;
export const PMSI_TUNNEL_TYPE_NO_TUNNEL_INFO = 0;
export const PMSI_TUNNEL_TYPE_RSVP_TE_P2MP = 1;
export const PMSI_TUNNEL_TYPE_MLDP_P2MP = 2;
export const PMSI_TUNNEL_TYPE_PIM_SSM = 3;
export const PMSI_TUNNEL_TYPE_PIM_SM = 4;
export const PMSI_TUNNEL_TYPE_BIDIR_PIM = 5;
export const PMSI_TUNNEL_TYPE_INGRESS_REPLICATION = 6;
export const PMSI_TUNNEL_TYPE_MLDP_MP2MP = 7;

const O = BGP_ATTR_FLAG_OPTIONAL;
const T = BGP_ATTR_FLAG_TRANSITIVE;
const P = BGP_ATTR_FLAG_PARTIAL;
const X = BGP_ATTR_FLAG_EXTENDED_LENGTH;

// ---------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------

/** Options negotiated on a session that change how UPDATEs are encoded and checked. */
export interface BgpCodecOptions {
  /** RFC 6793: both sides advertised the 4-octet AS capability (AS_PATH carries 4-byte ASNs). */
  readonly fourOctetAs: boolean;
  /**
   * The peer is internal (true) or external (false). When set, decoding also applies the checks that
   * depend on it: LOCAL_PREF required on iBGP (RFC 7606 §3 d) and ignored from eBGP (§7.5).
   * When absent those two checks are skipped.
   */
  readonly ibgp?: boolean;
  /**
   * The session implements "AFI/SAFI disable" (RFC 7606 §2, RFC 4760 §7). Then an MP_REACH/MP_UNREACH
   * whose next hop or NLRI cannot be parsed, but whose AFI/SAFI and extent are known, is recorded as
   * an `afi-safi-disable` error (the attribute kept with raw NLRI) instead of throwing session-reset.
   */
  readonly afiSafiDisable?: boolean;
  /**
   * Decode EVPN Type-2 routes as `PackedMacIpRoute`s (identity kept as the RIB key's octets), for a
   * RIB that stores millions of them (made by the factory given, if one is). Same checks and errors
   * as the plain form.
   */
  readonly compactEvpn?: boolean | PackedMacIpFactory;
}

/**
 * An IPv4 prefix (RFC 4271 §4.3: length in bits, then the fewest octets that hold it). Canonical form
 * has the host bits of `prefix` zero; decoding keeps host bits as received, encoding zeroes them.
 */
export interface Ipv4Prefix {
  readonly prefix: Ipv4Address;
  readonly length: number;
}

export type Origin = 'igp' | 'egp' | 'incomplete';

export type AsPathSegmentKind = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';

export interface AsPathSegment {
  readonly kind: AsPathSegmentKind;
  /** 1..255 AS numbers. */
  readonly asns: readonly Asn[];
}

/** MP_REACH next hop: an address (IPv4, IPv6, or IPv6 global + link-local) or, for other lengths, raw. */
export type MpNextHop =
  | { readonly kind: 'ip'; readonly address: IpAddress; readonly linkLocal?: Ipv6Address }
  | { readonly kind: 'raw'; readonly data: Uint8Array };

/**
 * NLRI inside MP_REACH/MP_UNREACH. The kind follows AFI/SAFI: 1/1 and 1/2 → 'ipv4', 25/70 → 'evpn',
 * 1/132 → 'rtc', anything else → 'raw'. 'raw' also holds a known family's NLRI that failed to parse
 * when the session chose AFI/SAFI disable.
 */
export type MpNlri =
  | { readonly kind: 'ipv4'; readonly prefixes: readonly Ipv4Prefix[] }
  | { readonly kind: 'evpn'; readonly routes: readonly EvpnRoute[] }
  | { readonly kind: 'rtc'; readonly memberships: readonly RtMembership[] }
  | { readonly kind: 'raw'; readonly data: Uint8Array };

/**
 * RFC 4684 §4 route target membership NLRI: a prefix of up to 96 bits over the origin AS (4 octets)
 * and a route target (8 octets). Length 0 is the default membership (every route target); 32, the
 * origin AS alone (every route target too); 33 to 96, a route-target prefix.
 */
export interface RtMembership {
  /** In bits: 0, or 32..96. */
  readonly prefixLength: number;
  /** 0 in the default membership. */
  readonly originAs: number;
  /** Always 8 octets; encoding zeroes the bits past the prefix, decoding keeps them as received. */
  readonly routeTarget: Uint8Array;
}

/** A full membership (96 bits) for `routeTarget` (8 octets), or the default one when it is undefined. */
export function rtMembership(originAs: number, routeTarget: Uint8Array | undefined): RtMembership {
  if (routeTarget === undefined) return { prefixLength: 0, originAs: 0, routeTarget: new Uint8Array(8) };
  if (routeTarget.length !== 8) throw new RangeError(`a route target is 8 octets, not ${routeTarget.length}`);
  return { prefixLength: 96, originAs, routeTarget: routeTarget.slice() };
}

/**
 * Whether a route carrying `routeTarget` (8 octets) matches membership `m` (RFC 4684 §4: a prefix
 * match on the route-target bits; the origin AS says who asked, not what).
 */
export function rtMembershipMatches(m: RtMembership, routeTarget: Uint8Array): boolean {
  const bits = m.prefixLength - 32;
  if (bits <= 0) return true;
  const whole = bits >> 3;
  for (let i = 0; i < whole; i++) if (m.routeTarget[i] !== routeTarget[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (m.routeTarget[whole]! & mask) === (routeTarget[whole]! & mask);
}

/** RFC 4684 §4: a membership's length is 0 (default) or covers the origin AS, at most 96 bits. */
function rtMembershipLengthValid(length: number): boolean {
  return Number.isInteger(length) && (length === 0 || (length >= 32 && length <= 96));
}

function readRtMemberships(r: Reader, end: number, field: string): RtMembership[] {
  const b = r.buf;
  const out: RtMembership[] = [];
  let p = r.offset;
  while (p < end) {
    const length = b[p]!;
    if (!rtMembershipLengthValid(length))
      r.fail('malformed', field, `route target membership of ${length} bits, expected 0 or 32..96`, p);
    const n = (length + 7) >> 3;
    if (p + 1 + n > end)
      r.fail('malformed', field, `membership /${length} runs past the end of the field`, p);
    const routeTarget = new Uint8Array(8);
    for (let i = 4; i < n; i++) routeTarget[i - 4] = b[p + 1 + i]!;
    out.push({ prefixLength: length, originAs: length === 0 ? 0 : u32At(b, p + 1), routeTarget });
    p += 1 + n;
  }
  r.offset = end;
  return out;
}

function writeRtMemberships(w: Writer, list: readonly RtMembership[], field: string): void {
  for (const m of list) {
    const length = m.prefixLength;
    if (!rtMembershipLengthValid(length))
      encodeFail(w, `${field}.prefixLength`, `route target membership of ${length} bits: 0 or 32..96`);
    if (m.routeTarget.length !== 8)
      encodeFail(w, `${field}.routeTarget`, `a route target is 8 octets, not ${m.routeTarget.length}`);
    if (!Number.isInteger(m.originAs) || m.originAs < 0 || m.originAs > 0xffffffff)
      encodeFail(w, `${field}.originAs`, `origin AS ${m.originAs} is not a 4-octet AS number`);
    w.u8(length);
    if (length === 0) continue;
    const octets = new Uint8Array(12);
    octets[0] = m.originAs >>> 24;
    octets[1] = (m.originAs >>> 16) & 0xff;
    octets[2] = (m.originAs >>> 8) & 0xff;
    octets[3] = m.originAs & 0xff;
    octets.set(m.routeTarget, 4);
    const n = (length + 7) >> 3;
    // Canonical encoding: the bits past the prefix are zero.
    if (length & 7) octets[n - 1]! &= (0xff << (8 - (length & 7))) & 0xff;
    w.bytes(octets.subarray(0, n));
  }
}

interface Flagged {
  /**
   * The flags octet as received, present only when it differs from the canonical flags for the
   * attribute (its Optional/Transitive bits, Extended Length iff the value exceeds 255 octets).
   * Encoders use it as given (adding Extended Length if the value needs it).
   */
  readonly flags?: number;
}

export interface OriginAttribute extends Flagged {
  readonly type: 'origin';
  readonly origin: Origin;
}
export interface AsPathAttribute extends Flagged {
  readonly type: 'as-path';
  readonly segments: readonly AsPathSegment[];
}
export interface NextHopAttribute extends Flagged {
  readonly type: 'next-hop';
  readonly nextHop: Ipv4Address;
}
export interface MedAttribute extends Flagged {
  readonly type: 'med';
  readonly med: number;
}
export interface LocalPrefAttribute extends Flagged {
  readonly type: 'local-pref';
  readonly localPref: number;
}
export interface AtomicAggregateAttribute extends Flagged {
  readonly type: 'atomic-aggregate';
}
/** AGGREGATOR (RFC 4271 §5.1.7): AS (2 or 4 octets per the session) and IPv4 address. */
export interface AggregatorAttribute extends Flagged {
  readonly type: 'aggregator';
  readonly asn: Asn;
  readonly address: Ipv4Address;
}
/** AS4_AGGREGATOR (RFC 6793 §3): always a 4-octet AS. */
export interface As4AggregatorAttribute extends Flagged {
  readonly type: 'as4-aggregator';
  readonly asn: Asn;
  readonly address: Ipv4Address;
}
export interface CommunitiesAttribute extends Flagged {
  readonly type: 'communities';
  readonly communities: readonly Community[];
}
export interface OriginatorIdAttribute extends Flagged {
  readonly type: 'originator-id';
  readonly originatorId: Ipv4Address;
}
export interface ClusterListAttribute extends Flagged {
  readonly type: 'cluster-list';
  readonly clusterIds: readonly Ipv4Address[];
}
export interface MpReachAttribute extends Flagged {
  readonly type: 'mp-reach-nlri';
  readonly afi: number;
  readonly safi: number;
  readonly nextHop: MpNextHop;
  readonly nlri: MpNlri;
}
export interface MpUnreachAttribute extends Flagged {
  readonly type: 'mp-unreach-nlri';
  readonly afi: number;
  readonly safi: number;
  readonly nlri: MpNlri;
}
export interface ExtendedCommunitiesAttribute extends Flagged {
  readonly type: 'extended-communities';
  readonly communities: readonly ExtendedCommunity[];
}
/** AS4_PATH (RFC 6793 §3): always 4-octet ASNs. */
export interface As4PathAttribute extends Flagged {
  readonly type: 'as4-path';
  readonly segments: readonly AsPathSegment[];
}
/**
 * PMSI_TUNNEL (RFC 6514 §5). `label` is the 3-octet field as carried: for VXLAN the VNI (RFC 8365
 * §5.1.3), for MPLS the label shifted left 4 bits. `tunnelId` is the endpoint address for ingress
 * replication (RFC 6514 §5: the unicast tunnel endpoint), raw octets for other tunnel types.
 */
export interface PmsiTunnelAttribute extends Flagged {
  readonly type: 'pmsi-tunnel';
  readonly tunnelFlags: number;
  readonly tunnelType: number;
  readonly label: number;
  readonly tunnelId: IpAddress | Uint8Array;
}
export interface LargeCommunitiesAttribute extends Flagged {
  readonly type: 'large-communities';
  readonly communities: readonly LargeCommunity[];
}
/** Any other attribute, kept byte-exact (flags as received, including Extended Length). */
export interface UnknownAttribute {
  readonly type: 'unknown';
  readonly code: number;
  readonly flags: number;
  readonly data: Uint8Array;
}

export type PathAttribute =
  | OriginAttribute
  | AsPathAttribute
  | NextHopAttribute
  | MedAttribute
  | LocalPrefAttribute
  | AtomicAggregateAttribute
  | AggregatorAttribute
  | As4AggregatorAttribute
  | CommunitiesAttribute
  | OriginatorIdAttribute
  | ClusterListAttribute
  | MpReachAttribute
  | MpUnreachAttribute
  | ExtendedCommunitiesAttribute
  | As4PathAttribute
  | PmsiTunnelAttribute
  | LargeCommunitiesAttribute
  | UnknownAttribute;

export type PathAttributeType = PathAttribute['type'];

/** One RFC 7606 error found while decoding an UPDATE and handled without a session reset. */
export interface AttributeError {
  /** Attribute type code concerned (for a missing well-known attribute: the missing one). */
  readonly code: number;
  /** Its flags octet as received (0 when the attribute is missing or unreadable). */
  readonly flags: number;
  readonly handling: BgpErrorHandling;
  /** RFC 4271 §6.3 UPDATE Message Error subcode this error maps to (0: none). */
  readonly subcode: number;
  /** NOTIFICATION data per RFC 4271 §6.3 (the attribute, the missing type code, or empty). */
  readonly data: Uint8Array;
  readonly reason: string;
  /** Absolute offset of the attribute (or of the field) in the decoded buffer. */
  readonly offset: number;
  /** For 'afi-safi-disable': the family to disable. */
  readonly afi?: number;
  readonly safi?: number;
}

export interface UpdateMessage {
  readonly type: 'update';
  readonly withdrawn: readonly Ipv4Prefix[];
  readonly attributes: readonly PathAttribute[];
  readonly nlri: readonly Ipv4Prefix[];
  /** Present only on decode, when RFC 7606 errors were found and handled without a reset. */
  readonly errors?: readonly AttributeError[];
  /** Present (true) only on decode, when an error requires treat-as-withdraw (or stronger). */
  readonly treatAsWithdraw?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Names and per-type tables
// ---------------------------------------------------------------------------------------------

const TYPE_CODE: Readonly<Record<Exclude<PathAttributeType, 'unknown'>, number>> = {
  origin: BGP_ATTR_ORIGIN,
  'as-path': BGP_ATTR_AS_PATH,
  'next-hop': BGP_ATTR_NEXT_HOP,
  med: BGP_ATTR_MULTI_EXIT_DISC,
  'local-pref': BGP_ATTR_LOCAL_PREF,
  'atomic-aggregate': BGP_ATTR_ATOMIC_AGGREGATE,
  aggregator: BGP_ATTR_AGGREGATOR,
  communities: BGP_ATTR_COMMUNITIES,
  'originator-id': BGP_ATTR_ORIGINATOR_ID,
  'cluster-list': BGP_ATTR_CLUSTER_LIST,
  'mp-reach-nlri': BGP_ATTR_MP_REACH_NLRI,
  'mp-unreach-nlri': BGP_ATTR_MP_UNREACH_NLRI,
  'extended-communities': BGP_ATTR_EXTENDED_COMMUNITIES,
  'as4-path': BGP_ATTR_AS4_PATH,
  'as4-aggregator': BGP_ATTR_AS4_AGGREGATOR,
  'pmsi-tunnel': BGP_ATTR_PMSI_TUNNEL,
  'large-communities': BGP_ATTR_LARGE_COMMUNITY,
};

/** Optional/Transitive bits each known attribute must carry (RFC 4271 §5, and each attribute's RFC). */
const TYPE_FLAGS: readonly number[] = (() => {
  const f = new Array<number>(256).fill(-1);
  f[BGP_ATTR_ORIGIN] = T;
  f[BGP_ATTR_AS_PATH] = T;
  f[BGP_ATTR_NEXT_HOP] = T;
  f[BGP_ATTR_MULTI_EXIT_DISC] = O;
  f[BGP_ATTR_LOCAL_PREF] = T;
  f[BGP_ATTR_ATOMIC_AGGREGATE] = T;
  f[BGP_ATTR_AGGREGATOR] = O | T;
  f[BGP_ATTR_COMMUNITIES] = O | T;
  f[BGP_ATTR_ORIGINATOR_ID] = O;
  f[BGP_ATTR_CLUSTER_LIST] = O;
  f[BGP_ATTR_MP_REACH_NLRI] = O;
  f[BGP_ATTR_MP_UNREACH_NLRI] = O;
  f[BGP_ATTR_EXTENDED_COMMUNITIES] = O | T;
  f[BGP_ATTR_AS4_PATH] = O | T;
  f[BGP_ATTR_AS4_AGGREGATOR] = O | T;
  f[BGP_ATTR_PMSI_TUNNEL] = O | T;
  f[BGP_ATTR_LARGE_COMMUNITY] = O | T;
  return f;
})();

const ATTR_NAMES: Readonly<Record<number, string>> = {
  1: 'ORIGIN',
  2: 'AS_PATH',
  3: 'NEXT_HOP',
  4: 'MULTI_EXIT_DISC',
  5: 'LOCAL_PREF',
  6: 'ATOMIC_AGGREGATE',
  7: 'AGGREGATOR',
  8: 'COMMUNITIES',
  9: 'ORIGINATOR_ID',
  10: 'CLUSTER_LIST',
  14: 'MP_REACH_NLRI',
  15: 'MP_UNREACH_NLRI',
  16: 'EXTENDED_COMMUNITIES',
  17: 'AS4_PATH',
  18: 'AS4_AGGREGATOR',
  22: 'PMSI_TUNNEL',
  23: 'TUNNEL_ENCAPSULATION',
  26: 'AIGP',
  32: 'LARGE_COMMUNITY',
  35: 'OTC',
  40: 'PREFIX_SID',
  128: 'ATTR_SET',
};

/** Registry name of an attribute type code, for logs (`MP_REACH_NLRI`, `ATTR_99`). */
export function attributeName(code: number): string {
  return ATTR_NAMES[code] ?? `ATTR_${code}`;
}

/** Whether twinleaf decodes this attribute type (others are kept as `unknown`). */
export function isKnownAttributeCode(code: number): boolean {
  return (TYPE_FLAGS[code] ?? -1) >= 0;
}

/** The attribute type code of a value. */
export function attributeCode(a: PathAttribute): number {
  return a.type === 'unknown' ? a.code : TYPE_CODE[a.type];
}

/** Canonical flags octet for a known attribute whose value is `valueLength` octets. */
export function canonicalAttributeFlags(code: number, valueLength: number): number {
  const f = TYPE_FLAGS[code] ?? -1;
  return (f < 0 ? O | T : f) | (valueLength > 255 ? X : 0);
}

const ORIGINS: readonly Origin[] = ['igp', 'egp', 'incomplete'];
const SEGMENT_KINDS: readonly AsPathSegmentKind[] = ['set', 'sequence', 'confed-sequence', 'confed-set'];

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

function ipv4At(b: Uint8Array, o: number): Ipv4Address {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}` as Ipv4Address;
}

function encodeFail(w: Writer, field: string, reason: string): never {
  throw new WireError({ kind: 'malformed', protocol: 'bgp', field, offset: w.offset, reason });
}

/** Parses dotted-quad text to a 32-bit number without allocating; -1 if it is not one. */
function ipv4Number(a: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return -1;
    } else return -1;
  }
  if (digits === 0 || dots !== 3) return -1;
  return n * 256 + part;
}

function writeIpv4(w: Writer, a: string, field: string): void {
  const n = ipv4Number(a);
  if (n < 0) encodeFail(w, field, `not an IPv4 address: ${JSON.stringify(a)}`);
  w.u32(n);
}

function checkUint(w: Writer, v: number, max: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > max) encodeFail(w, field, `${v} is not an integer in 0..${max}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// IPv4 prefixes (RFC 4271 §4.3: Length(1) Prefix(variable, ceil(Length/8) octets))
// ---------------------------------------------------------------------------------------------

/**
 * Reads prefixes from r.offset up to `end`. Throws a plain WireError (malformed) on a length > 32 or
 * a prefix running past `end`; the caller maps it onto the RFC 7606 action for where it was found.
 */
function readPrefixList(r: Reader, end: number, field: string): Ipv4Prefix[] {
  const b = r.buf;
  const out: Ipv4Prefix[] = [];
  let p = r.offset;
  while (p < end) {
    const length = b[p]!;
    if (length > 32) r.fail('malformed', field, `prefix length ${length} > 32`, p);
    const n = (length + 7) >> 3;
    if (p + 1 + n > end) r.fail('malformed', field, `prefix /${length} runs past the end of the field`, p);
    const a0 = n > 0 ? b[p + 1]! : 0;
    const a1 = n > 1 ? b[p + 2]! : 0;
    const a2 = n > 2 ? b[p + 3]! : 0;
    const a3 = n > 3 ? b[p + 4]! : 0;
    out.push({ prefix: `${a0}.${a1}.${a2}.${a3}` as Ipv4Address, length });
    p += 1 + n;
  }
  r.offset = end;
  return out;
}

function writePrefixList(w: Writer, list: readonly Ipv4Prefix[], field: string): void {
  for (const { prefix, length } of list) {
    if (!Number.isInteger(length) || length < 0 || length > 32)
      encodeFail(w, `${field}.length`, `prefix length ${length} is not in 0..32`);
    const a = ipv4Number(prefix);
    if (a < 0) encodeFail(w, `${field}.prefix`, `not an IPv4 address: ${JSON.stringify(prefix)}`);
    w.u8(length);
    // Canonical encoding: host bits zero (the mask also drops octets beyond the length).
    const masked = length === 0 ? 0 : (a & (0xffffffff << (32 - length))) >>> 0;
    const n = (length + 7) >> 3;
    for (let i = 0; i < n; i++) w.u8(masked >>> (24 - 8 * i));
  }
}

/** Encodes a list of IPv4 prefixes as in the withdrawn routes and NLRI fields. */
export function encodeIpv4Prefixes(list: readonly Ipv4Prefix[]): Uint8Array {
  const w = new Writer(list.length * 5);
  writePrefixList(w, list, 'prefix');
  return w.finish();
}

/** Decodes a withdrawn routes / NLRI field (throws a malformed WireError on a bad prefix). */
export function decodeIpv4Prefixes(buf: Uint8Array, protocol = 'bgp'): Ipv4Prefix[] {
  const r = new Reader(buf, protocol);
  return readPrefixList(r, buf.length, 'prefix');
}

/** The canonical form of a prefix (host bits cleared). */
export function canonicalIpv4Prefix(p: Ipv4Prefix): Ipv4Prefix {
  const a = ipv4Number(p.prefix);
  if (a < 0 || !Number.isInteger(p.length) || p.length < 0 || p.length > 32) return p;
  const masked = p.length === 0 ? 0 : (a & (0xffffffff << (32 - p.length))) >>> 0;
  return {
    prefix:
      `${masked >>> 24}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}` as Ipv4Address,
    length: p.length,
  };
}

export function ipv4PrefixToString(p: Ipv4Prefix): string {
  return `${p.prefix}/${p.length}`;
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

/** Per-UPDATE decoding state (one allocation per message). */
class DecodeState {
  readonly attributes: PathAttribute[] = [];
  errors: AttributeError[] | undefined = undefined;
  /** Attribute codes seen, as a 256-bit set. */
  readonly seen = new Uint32Array(8);
  /** Offset of the attribute being decoded (flags octet) and its total extent. */
  attrStart = 0;
  attrEnd = 0;

  constructor(
    readonly r: Reader,
    readonly opts: BgpCodecOptions,
  ) {}

  attrBytes(): Uint8Array {
    return this.r.buf.slice(this.attrStart, this.attrEnd);
  }

  record(
    code: number,
    flags: number,
    handling: BgpErrorHandling,
    subcode: number,
    reason: string,
    data: Uint8Array,
    offset: number = this.attrStart,
    afi?: number,
    safi?: number,
  ): void {
    const e: AttributeError =
      afi === undefined || safi === undefined
        ? { code, flags, handling, subcode, data, reason, offset }
        : { code, flags, handling, subcode, data, reason, offset, afi, safi };
    (this.errors ??= []).push(e);
  }

  /** Records an error about the current attribute, with the attribute as NOTIFICATION data. */
  /**
   * RFC 7606 §7.8, §7.10, §7.14 and RFC 8092 §5: a list attribute whose length is not a non-zero
   * multiple of its item size is treat-as-withdraw. Records the error and returns false then.
   */
  listLengthOk(code: number, flags: number, length: number, itemSize: number): boolean {
    if (length !== 0 && length % itemSize === 0) return true;
    this.attrError(
      code,
      flags,
      'treat-as-withdraw',
      SUB_ATTRIBUTE_LENGTH,
      `length ${length} is not a non-zero multiple of ${itemSize}`,
    );
    return false;
  }

  attrError(code: number, flags: number, handling: BgpErrorHandling, subcode: number, reason: string): void {
    const data =
      subcode === SUB_MALFORMED_AS_PATH || subcode === SUB_MALFORMED_ATTRIBUTE_LIST || subcode === 0
        ? new Uint8Array(0)
        : this.attrBytes();
    this.record(code, flags, handling, subcode, `${attributeName(code)}: ${reason}`, data);
  }

  reset(field: string, subcode: number, reason: string, data: Uint8Array, offset: number): never {
    throw new BgpWireError({
      kind: 'malformed',
      protocol: this.r.protocol,
      field,
      offset,
      reason,
      notify: { code: ERR_UPDATE_MESSAGE, subcode, data },
      handling: 'session-reset',
    });
  }
}

function sessionReset(r: Reader, field: string, subcode: number, reason: string, offset: number): never {
  throw new BgpWireError({
    kind: 'malformed',
    protocol: r.protocol,
    field,
    offset,
    reason,
    notify: { code: ERR_UPDATE_MESSAGE, subcode, data: new Uint8Array(0) },
    handling: 'session-reset',
  });
}

/**
 * RFC 4271 §4.3 UPDATE body, from r.offset to r.end:
 *
 *   +-----------------------------------------------------+
 *   |   Withdrawn Routes Length (2 octets)                |
 *   +-----------------------------------------------------+
 *   |   Withdrawn Routes (variable)                       |
 *   +-----------------------------------------------------+
 *   |   Total Path Attribute Length (2 octets)            |
 *   +-----------------------------------------------------+
 *   |   Path Attributes (variable)                        |
 *   +-----------------------------------------------------+
 *   |   Network Layer Reachability Information (variable) |
 *   +-----------------------------------------------------+
 */
export function readUpdateBody(r: Reader, opts: BgpCodecOptions): UpdateMessage {
  const bodyStart = r.offset;
  const end = r.end;
  // RFC 4271 §6.3: lengths inconsistent with the message → Malformed Attribute List.
  if (end - r.offset < 4) {
    sessionReset(
      r,
      'update.length',
      SUB_MALFORMED_ATTRIBUTE_LIST,
      `UPDATE body of ${end - bodyStart} octets is shorter than 4`,
      bodyStart,
    );
  }
  const withdrawnLength = r.u16('update.withdrawnLength');
  if (withdrawnLength + 2 > end - r.offset) {
    sessionReset(
      r,
      'update.withdrawnLength',
      SUB_MALFORMED_ATTRIBUTE_LIST,
      `withdrawn routes length ${withdrawnLength} overruns the message (${end - r.offset - 2} octets left)`,
      bodyStart,
    );
  }
  let withdrawn: Ipv4Prefix[];
  try {
    withdrawn = readPrefixList(r, r.offset + withdrawnLength, 'update.withdrawn');
  } catch (e) {
    // RFC 7606 §5.3: a withdrawn/NLRI field that cannot be parsed → session reset (Invalid Network Field).
    if (e instanceof WireError) sessionReset(r, e.field, SUB_INVALID_NETWORK_FIELD, e.reason, e.offset);
    throw e;
  }
  const attrLengthAt = r.offset;
  const attrLength = r.u16('update.totalPathAttributeLength');
  if (attrLength > end - r.offset) {
    sessionReset(
      r,
      'update.totalPathAttributeLength',
      SUB_MALFORMED_ATTRIBUTE_LIST,
      `total path attribute length ${attrLength} overruns the message (${end - r.offset} octets left)`,
      attrLengthAt,
    );
  }
  const attrEnd = r.offset + attrLength;
  const st = new DecodeState(r, opts);
  try {
    readAttributes(st, attrEnd);
  } catch (e) {
    if (e instanceof WireError && !(e instanceof BgpWireError)) {
      // Defensive: every attribute path checks its lengths first, so this means a bug, but the
      // session still needs a NOTIFICATION rather than a stray error.
      sessionReset(r, e.field, SUB_MALFORMED_ATTRIBUTE_LIST, e.reason, e.offset);
    }
    throw e;
  }
  r.offset = attrEnd;
  let nlri: Ipv4Prefix[];
  try {
    nlri = readPrefixList(r, end, 'update.nlri');
  } catch (e) {
    if (e instanceof WireError) sessionReset(r, e.field, SUB_INVALID_NETWORK_FIELD, e.reason, e.offset);
    throw e;
  }

  // RFC 7606 §3 d: missing well-known mandatory attributes → treat-as-withdraw. They are mandatory
  // only when the UPDATE carries reachability (RFC 4271 §5; RFC 4760 §3 makes NEXT_HOP needed only
  // for NLRI in the NLRI field).
  if (nlri.length > 0 || seen(st, BGP_ATTR_MP_REACH_NLRI)) {
    const missing = [BGP_ATTR_ORIGIN, BGP_ATTR_AS_PATH];
    if (nlri.length > 0) missing.push(BGP_ATTR_NEXT_HOP);
    if (opts.ibgp === true) missing.push(BGP_ATTR_LOCAL_PREF);
    for (const code of missing) {
      if (!seen(st, code)) {
        st.record(
          code,
          0,
          'treat-as-withdraw',
          SUB_MISSING_WELL_KNOWN,
          `missing well-known attribute ${attributeName(code)}`,
          Uint8Array.of(code),
          attrLengthAt,
        );
      }
    }
  }

  if (st.errors === undefined) return { type: 'update', withdrawn, attributes: st.attributes, nlri };
  let worst = 0;
  for (const e of st.errors) worst = Math.max(worst, BGP_ERROR_HANDLING_SEVERITY[e.handling]);
  const out: UpdateMessage = {
    type: 'update',
    withdrawn,
    attributes: st.attributes,
    nlri,
    errors: st.errors,
  };
  return worst >= BGP_ERROR_HANDLING_SEVERITY['treat-as-withdraw'] ? { ...out, treatAsWithdraw: true } : out;
}

function seen(st: DecodeState, code: number): boolean {
  return (st.seen[code >>> 5]! & (1 << (code & 31))) !== 0;
}

function markSeen(st: DecodeState, code: number): void {
  st.seen[code >>> 5] = st.seen[code >>> 5]! | (1 << (code & 31));
}

/**
 * RFC 4271 §4.3 path attribute:
 *
 *    0                   1
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |O|T|P|E| unused|  Type Code    |   then Length (1 octet, or 2 if E) and the value
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 */
function readAttributes(st: DecodeState, end: number): void {
  const r = st.r;
  const b = r.buf;
  let p = r.offset;
  while (p < end) {
    const flags = b[p]!;
    const header = flags & X ? 4 : 3;
    if (end - p < header) {
      // RFC 7606 §4: too few octets left for an attribute header → treat-as-withdraw; the Total
      // Attribute Length still locates the NLRI.
      st.record(
        end - p >= 2 ? b[p + 1]! : 0,
        flags,
        'treat-as-withdraw',
        SUB_MALFORMED_ATTRIBUTE_LIST,
        `${end - p} octets left in the attribute section, less than an attribute header`,
        new Uint8Array(0),
        p,
      );
      return;
    }
    const code = b[p + 1]!;
    const length = header === 4 ? u16At(b, p + 2) : b[p + 2]!;
    const valueStart = p + header;
    const valueEnd = valueStart + length;
    st.attrStart = p;
    if (valueEnd > end) {
      // RFC 7606 §4: the last attribute overruns Total Attribute Length → treat-as-withdraw …
      // unless it is MP_REACH/MP_UNREACH, whose NLRI could then not be located (§2, §5.3).
      if (code === BGP_ATTR_MP_REACH_NLRI || code === BGP_ATTR_MP_UNREACH_NLRI) {
        st.reset(
          `update.attributes.${attributeName(code)}`,
          SUB_MALFORMED_ATTRIBUTE_LIST,
          `${attributeName(code)} length ${length} overruns the attribute section`,
          new Uint8Array(0),
          p,
        );
      }
      st.record(
        code,
        flags,
        'treat-as-withdraw',
        SUB_MALFORMED_ATTRIBUTE_LIST,
        `${attributeName(code)} length ${length} overruns the attribute section by ${valueEnd - end} octets`,
        new Uint8Array(0),
        p,
      );
      return;
    }
    st.attrEnd = valueEnd;
    if (seen(st, code)) {
      // RFC 7606 §3 g: MP_REACH/MP_UNREACH twice → Malformed Attribute List; any other attribute:
      // keep the first, discard the rest.
      if (code === BGP_ATTR_MP_REACH_NLRI || code === BGP_ATTR_MP_UNREACH_NLRI) {
        st.reset(
          `update.attributes.${attributeName(code)}`,
          SUB_MALFORMED_ATTRIBUTE_LIST,
          `${attributeName(code)} appears more than once`,
          new Uint8Array(0),
          p,
        );
      }
      st.attrError(code, flags, 'attribute-discard', 0, 'duplicate attribute discarded (RFC 7606 §3 g)');
      p = valueEnd;
      continue;
    }
    markSeen(st, code);
    const expected = TYPE_FLAGS[code]!;
    if (expected < 0) {
      // RFC 4271 §6.3: an unrecognized well-known attribute → Unrecognized Well-known Attribute.
      if ((flags & O) === 0) {
        st.reset(
          'update.attributes.flags',
          SUB_UNRECOGNIZED_WELL_KNOWN,
          `unrecognized well-known attribute ${code}`,
          st.attrBytes(),
          p,
        );
      }
      st.attributes.push({ type: 'unknown', code, flags, data: b.slice(valueStart, valueEnd) });
      p = valueEnd;
      continue;
    }
    // RFC 7606 §3 c: Optional/Transitive bits in conflict with the type → treat-as-withdraw. RFC 4271
    // §4.3 also requires Partial = 0 for well-known and optional non-transitive attributes; a set
    // Partial bit there is handled the same way. The unused low bits are ignored (RFC 4271 §4.3).
    if ((flags & (O | T)) !== expected || (flags & P && expected !== (O | T))) {
      st.attrError(
        code,
        flags,
        'treat-as-withdraw',
        SUB_ATTRIBUTE_FLAGS,
        `flags 0x${flags.toString(16)} conflict with the attribute type (RFC 7606 §3 c)`,
      );
    }
    r.offset = valueStart;
    readKnownAttribute(st, code, flags, length, valueStart, valueEnd);
    p = valueEnd;
  }
}

/** Adds `flags` to a freshly built attribute when it differs from the canonical octet. */
function keep(st: DecodeState, a: PathAttribute, code: number, flags: number, length: number): void {
  if (flags !== canonicalAttributeFlags(code, length)) (a as { flags?: number }).flags = flags;
  st.attributes.push(a);
}

function readKnownAttribute(
  st: DecodeState,
  code: number,
  flags: number,
  length: number,
  start: number,
  end: number,
): void {
  const b = st.r.buf;
  const opts = st.opts;
  switch (code) {
    case BGP_ATTR_ORIGIN: {
      // RFC 7606 §7.1: length ≠ 1 or an undefined value → treat-as-withdraw.
      if (length !== 1)
        return st.attrError(code, flags, 'treat-as-withdraw', SUB_ATTRIBUTE_LENGTH, `length ${length} ≠ 1`);
      const v = b[start]!;
      const origin = ORIGINS[v];
      if (origin === undefined)
        return st.attrError(
          code,
          flags,
          'treat-as-withdraw',
          SUB_INVALID_ORIGIN,
          `undefined ORIGIN value ${v}`,
        );
      return keep(st, { type: 'origin', origin }, code, flags, length);
    }
    case BGP_ATTR_AS_PATH: {
      // RFC 7606 §7.2: a malformed AS_PATH → treat-as-withdraw.
      const segments = readAsPath(b, start, end, opts.fourOctetAs ? 4 : 2);
      if (typeof segments === 'string')
        return st.attrError(code, flags, 'treat-as-withdraw', SUB_MALFORMED_AS_PATH, segments);
      // RFC 7607 §2: AS 0 in AS_PATH → malformed, handled per RFC 7606.
      if (hasAsZero(segments))
        return st.attrError(
          code,
          flags,
          'treat-as-withdraw',
          SUB_MALFORMED_AS_PATH,
          'contains AS 0 (RFC 7607)',
        );
      return keep(st, { type: 'as-path', segments }, code, flags, length);
    }
    case BGP_ATTR_NEXT_HOP:
      // RFC 7606 §7.3: length ≠ 4 → treat-as-withdraw.
      if (length !== 4)
        return st.attrError(code, flags, 'treat-as-withdraw', SUB_ATTRIBUTE_LENGTH, `length ${length} ≠ 4`);
      // RFC 4271 §6.3: a syntactically incorrect NEXT_HOP (not a unicast host address: 0/8, 127/8,
      // class D/E as FRR checks) → Invalid NEXT_HOP; RFC 7606 §7.3 makes it treat-as-withdraw.
      // The value is kept so the UPDATE re-encodes exactly.
      if (b[start] === 0 || b[start] === 127 || b[start]! >= 224) {
        st.attrError(
          code,
          flags,
          'treat-as-withdraw',
          SUB_INVALID_NEXT_HOP,
          `${ipv4At(b, start)} is not a unicast host address`,
        );
      }
      return keep(st, { type: 'next-hop', nextHop: ipv4At(b, start) }, code, flags, length);
    case BGP_ATTR_MULTI_EXIT_DISC:
      // RFC 7606 §7.4: length ≠ 4 → treat-as-withdraw.
      if (length !== 4)
        return st.attrError(code, flags, 'treat-as-withdraw', SUB_ATTRIBUTE_LENGTH, `length ${length} ≠ 4`);
      return keep(st, { type: 'med', med: u32At(b, start) }, code, flags, length);
    case BGP_ATTR_LOCAL_PREF:
      // RFC 7606 §7.5: from an external peer → attribute-discard; else length ≠ 4 → treat-as-withdraw.
      if (opts.ibgp === false)
        return st.attrError(
          code,
          flags,
          'attribute-discard',
          0,
          'received from an external peer (RFC 4271 §5.1.5)',
        );
      if (length !== 4)
        return st.attrError(code, flags, 'treat-as-withdraw', SUB_ATTRIBUTE_LENGTH, `length ${length} ≠ 4`);
      return keep(st, { type: 'local-pref', localPref: u32At(b, start) }, code, flags, length);
    case BGP_ATTR_ATOMIC_AGGREGATE:
      // RFC 7606 §7.6: length ≠ 0 → attribute-discard.
      if (length !== 0)
        return st.attrError(code, flags, 'attribute-discard', SUB_ATTRIBUTE_LENGTH, `length ${length} ≠ 0`);
      return keep(st, { type: 'atomic-aggregate' }, code, flags, length);
    case BGP_ATTR_AGGREGATOR:
    case BGP_ATTR_AS4_AGGREGATOR: {
      const as4 = code === BGP_ATTR_AS4_AGGREGATOR;
      // RFC 6793 §4.1: AS4_AGGREGATOR between NEW speakers is discarded.
      if (as4 && opts.fourOctetAs)
        return st.attrError(
          code,
          flags,
          'attribute-discard',
          0,
          'received on a 4-octet-AS session (RFC 6793 §4.1)',
        );
      // RFC 7606 §7.7 (AGGREGATOR: 6 or 8 octets by session), RFC 6793 §6 (AS4_AGGREGATOR: 8) → attribute-discard.
      const wide = as4 || opts.fourOctetAs;
      const want = wide ? 8 : 6;
      if (length !== want)
        return st.attrError(
          code,
          flags,
          'attribute-discard',
          SUB_ATTRIBUTE_LENGTH,
          `length ${length} ≠ ${want}`,
        );
      const asn = (wide ? u32At(b, start) : u16At(b, start)) as Asn;
      // RFC 7607 §2: AS 0 → malformed → attribute-discard.
      if (asn === 0)
        return st.attrError(code, flags, 'attribute-discard', SUB_OPTIONAL_ATTRIBUTE, 'AS 0 (RFC 7607)');
      const address = ipv4At(b, start + (wide ? 4 : 2));
      return keep(st, { type: as4 ? 'as4-aggregator' : 'aggregator', asn, address }, code, flags, length);
    }
    case BGP_ATTR_COMMUNITIES: {
      // RFC 7606 §7.8: length not a non-zero multiple of 4 → treat-as-withdraw.
      if (!st.listLengthOk(code, flags, length, 4)) return;
      const communities: number[] = [];
      for (let o = start; o < end; o += 4) communities.push(u32At(b, o));
      return keep(st, { type: 'communities', communities }, code, flags, length);
    }
    case BGP_ATTR_ORIGINATOR_ID:
      // RFC 7606 §7.9: length ≠ 4 → treat-as-withdraw.
      if (length !== 4)
        return st.attrError(code, flags, 'treat-as-withdraw', SUB_ATTRIBUTE_LENGTH, `length ${length} ≠ 4`);
      return keep(st, { type: 'originator-id', originatorId: ipv4At(b, start) }, code, flags, length);
    case BGP_ATTR_CLUSTER_LIST: {
      // RFC 7606 §7.10: length not a non-zero multiple of 4 → treat-as-withdraw.
      if (!st.listLengthOk(code, flags, length, 4)) return;
      const clusterIds: Ipv4Address[] = [];
      for (let o = start; o < end; o += 4) clusterIds.push(ipv4At(b, o));
      return keep(st, { type: 'cluster-list', clusterIds }, code, flags, length);
    }
    case BGP_ATTR_MP_REACH_NLRI:
      return readMpReach(st, flags, length, start, end);
    case BGP_ATTR_MP_UNREACH_NLRI:
      return readMpUnreach(st, flags, length, start, end);
    case BGP_ATTR_EXTENDED_COMMUNITIES: {
      // RFC 7606 §7.14: length not a non-zero multiple of 8 → treat-as-withdraw.
      if (!st.listLengthOk(code, flags, length, 8)) return;
      const communities: ExtendedCommunity[] = [];
      for (let o = start; o < end; o += 8) communities.push(extendedCommunityFromBytes(b, o));
      return keep(st, { type: 'extended-communities', communities }, code, flags, length);
    }
    case BGP_ATTR_AS4_PATH: {
      // RFC 6793 §4.1: AS4_PATH between NEW speakers is discarded.
      if (opts.fourOctetAs)
        return st.attrError(
          code,
          flags,
          'attribute-discard',
          0,
          'received on a 4-octet-AS session (RFC 6793 §4.1)',
        );
      // RFC 6793 §6: a malformed AS4_PATH → attribute-discard.
      const segments = readAsPath(b, start, end, 4);
      if (typeof segments === 'string')
        return st.attrError(code, flags, 'attribute-discard', SUB_OPTIONAL_ATTRIBUTE, segments);
      // RFC 7607 §2 via RFC 6793 §6: AS 0 → malformed → attribute-discard.
      if (hasAsZero(segments))
        return st.attrError(
          code,
          flags,
          'attribute-discard',
          SUB_OPTIONAL_ATTRIBUTE,
          'contains AS 0 (RFC 7607)',
        );
      // RFC 6793 §3: confederation segments must not appear in AS4_PATH; a receiver discards them
      // and goes on with the rest.
      let kept: AsPathSegment[] = segments;
      for (const s of segments) {
        if (s.kind === 'confed-sequence' || s.kind === 'confed-set') {
          kept = segments.filter((x) => x.kind === 'sequence' || x.kind === 'set');
          st.attrError(code, flags, 'attribute-discard', 0, 'AS_CONFED segments discarded (RFC 6793 §3)');
          if (kept.length === 0) return;
          break;
        }
      }
      return keep(st, { type: 'as4-path', segments: kept }, code, flags, length);
    }
    case BGP_ATTR_PMSI_TUNNEL: {
      // RFC 6514 §5: Flags(1) Tunnel Type(1) MPLS Label(3) Tunnel Identifier(variable). RFC 6514
      // predates RFC 7606 and names no handling; the attribute builds the BUM flood list, so errors
      // are treat-as-withdraw (RFC 7606 §8 guidance; what FRR does).
      if (length < 5)
        return st.attrError(code, flags, 'treat-as-withdraw', SUB_ATTRIBUTE_LENGTH, `length ${length} < 5`);
      const tunnelType = b[start + 1]!;
      const label = (b[start + 2]! << 16) | (b[start + 3]! << 8) | b[start + 4]!;
      const idLength = length - 5;
      let tunnelId: IpAddress | Uint8Array;
      if (tunnelType === PMSI_TUNNEL_TYPE_INGRESS_REPLICATION && idLength === 4)
        tunnelId = ipv4At(b, start + 5);
      else if (tunnelType === PMSI_TUNNEL_TYPE_INGRESS_REPLICATION && idLength === 16)
        tunnelId = ipv6FromBytes(b, start + 5);
      else {
        tunnelId = b.slice(start + 5, end);
        if (tunnelType === PMSI_TUNNEL_TYPE_INGRESS_REPLICATION) {
          st.attrError(
            code,
            flags,
            'treat-as-withdraw',
            SUB_ATTRIBUTE_LENGTH,
            `ingress replication tunnel id of ${idLength} octets (want 4 or 16)`,
          );
        }
      }
      return keep(
        st,
        { type: 'pmsi-tunnel', tunnelFlags: b[start]!, tunnelType, label, tunnelId },
        code,
        flags,
        length,
      );
    }
    case BGP_ATTR_LARGE_COMMUNITY: {
      // RFC 8092 §5: length not a non-zero multiple of 12 → treat-as-withdraw.
      if (!st.listLengthOk(code, flags, length, 12)) return;
      const communities: LargeCommunity[] = [];
      for (let o = start; o < end; o += 12)
        communities.push({
          globalAdmin: u32At(b, o),
          localData1: u32At(b, o + 4),
          localData2: u32At(b, o + 8),
        });
      return keep(st, { type: 'large-communities', communities }, code, flags, length);
    }
  }
}

/**
 * RFC 4271 §4.3 AS_PATH: segments of Type(1) Count(1) ASN(2 or 4 octets each). Returns the reason
 * when malformed per RFC 7606 §7.2 (unknown segment type, zero count, overrun, one octet left).
 */
function readAsPath(b: Uint8Array, start: number, end: number, width: 2 | 4): AsPathSegment[] | string {
  const segments: AsPathSegment[] = [];
  let p = start;
  while (p < end) {
    if (end - p < 2) return 'one octet left after the last segment';
    const t = b[p]!;
    const count = b[p + 1]!;
    const kind = SEGMENT_KINDS[t - 1];
    if (kind === undefined) return `unknown segment type ${t}`;
    if (count === 0) return 'segment with zero AS numbers';
    const next = p + 2 + count * width;
    if (next > end) return `segment of ${count} ASNs overruns the attribute`;
    const asns: Asn[] = new Array<Asn>(count);
    let o = p + 2;
    if (width === 4) for (let i = 0; i < count; i++, o += 4) asns[i] = u32At(b, o) as Asn;
    else for (let i = 0; i < count; i++, o += 2) asns[i] = u16At(b, o) as Asn;
    segments.push({ kind, asns });
    p = next;
  }
  return segments;
}

function hasAsZero(segments: readonly AsPathSegment[]): boolean {
  for (const s of segments) for (const a of s.asns) if (a === 0) return true;
  return false;
}

function mpFamilyKind(afi: number, safi: number): MpNlri['kind'] {
  if (afi === AFI_IPV4 && (safi === SAFI_UNICAST || safi === SAFI_MULTICAST)) return 'ipv4';
  if (afi === AFI_L2VPN && safi === SAFI_EVPN) return 'evpn';
  if (afi === AFI_IPV4 && safi === SAFI_RT_CONSTRAINT) return 'rtc';
  return 'raw';
}

/**
 * An MP_REACH/MP_UNREACH error that leaves the NLRI unusable. RFC 7606 §7.11 / §5.3 and RFC 4760 §7:
 * "session reset" or "AFI/SAFI disable" (NOTIFICATION 3/9 Optional Attribute Error either way).
 * Returns normally (after recording) only in AFI/SAFI-disable mode.
 */
function mpError(
  st: DecodeState,
  code: number,
  flags: number,
  reason: string,
  afi: number,
  safi: number,
): void {
  const text = `${attributeName(code)} (AFI ${afi} SAFI ${safi}): ${reason}`;
  if (st.opts.afiSafiDisable !== true) {
    st.reset(
      `update.attributes.${attributeName(code)}`,
      SUB_OPTIONAL_ATTRIBUTE,
      text,
      st.attrBytes(),
      st.attrStart,
    );
  }
  st.record(
    code,
    flags,
    'afi-safi-disable',
    SUB_OPTIONAL_ATTRIBUTE,
    text,
    st.attrBytes(),
    st.attrStart,
    afi,
    safi,
  );
}

/** Parses the NLRI of a known family; returns a reason string when they do not parse. */
function readMpNlri(st: DecodeState, kind: MpNlri['kind'], start: number, end: number): MpNlri | string {
  const r = st.r;
  if (kind === 'raw') return { kind: 'raw', data: r.buf.slice(start, end) };
  const sub = new Reader(r.buf, r.protocol, start, end);
  try {
    if (kind === 'ipv4') return { kind: 'ipv4', prefixes: readPrefixList(sub, end, 'mpNlri') };
    if (kind === 'rtc') return { kind: 'rtc', memberships: readRtMemberships(sub, end, 'mpNlri') };
    return { kind: 'evpn', routes: readEvpnNlriList(sub, end, st.opts.compactEvpn ?? false) };
  } catch (e) {
    if (e instanceof WireError) return `${e.field}: ${e.reason}`;
    throw e;
  }
}

/**
 * RFC 4760 §3 MP_REACH_NLRI:
 *
 *   +---------------------------------------------------------+
 *   | Address Family Identifier (2 octets)                    |
 *   | Subsequent Address Family Identifier (1 octet)          |
 *   | Length of Next Hop Network Address (1 octet)            |
 *   | Network Address of Next Hop (variable)                  |
 *   | Reserved (1 octet)                                      |
 *   | Network Layer Reachability Information (variable)       |
 *   +---------------------------------------------------------+
 */
function readMpReach(st: DecodeState, flags: number, length: number, start: number, end: number): void {
  const code = BGP_ATTR_MP_REACH_NLRI;
  const b = st.r.buf;
  if (length < 5) {
    // Not even AFI/SAFI/next-hop length/reserved: nothing can be located → session reset.
    st.reset(
      'update.attributes.MP_REACH_NLRI',
      SUB_OPTIONAL_ATTRIBUTE,
      `MP_REACH_NLRI length ${length} < 5`,
      st.attrBytes(),
      st.attrStart,
    );
  }
  const afi = u16At(b, start);
  const safi = b[start + 2]!;
  const nhLength = b[start + 3]!;
  const nhStart = start + 4;
  const nlriStart = nhStart + nhLength + 1;
  if (nlriStart > end) {
    // The next hop runs past the attribute: AFI/SAFI known, NLRI not locatable.
    mpError(st, code, flags, `next hop length ${nhLength} overruns the attribute`, afi, safi);
    return keep(
      st,
      {
        type: 'mp-reach-nlri',
        afi,
        safi,
        nextHop: { kind: 'raw', data: b.slice(nhStart, end) },
        nlri: { kind: 'raw', data: new Uint8Array(0) },
      },
      code,
      flags,
      length,
    );
  }
  let nextHop: MpNextHop;
  if (nhLength === 4) nextHop = { kind: 'ip', address: ipv4At(b, nhStart) };
  else if (nhLength === 16) nextHop = { kind: 'ip', address: ipv6FromBytes(b, nhStart) };
  else if (nhLength === 32)
    nextHop = { kind: 'ip', address: ipv6FromBytes(b, nhStart), linkLocal: ipv6FromBytes(b, nhStart + 16) };
  else nextHop = { kind: 'raw', data: b.slice(nhStart, nhStart + nhLength) };
  // RFC 4760 §3: the reserved octet (formerly the SNPA count) is ignored on receipt.
  const kind = mpFamilyKind(afi, safi);
  // RFC 7606 §7.11: a next hop length inconsistent with the family → session reset / AFI/SAFI disable.
  // IPv4 unicast: 4, or 16/32 with RFC 8950 extended next hop; EVPN: 4 or 16 (32 with a link-local,
  // as FRR sends over IPv6 link-local sessions).
  if (kind !== 'raw' && nhLength !== 4 && nhLength !== 16 && nhLength !== 32) {
    mpError(st, code, flags, `next hop length ${nhLength} is not valid for the family`, afi, safi);
    return keep(
      st,
      { type: 'mp-reach-nlri', afi, safi, nextHop, nlri: { kind: 'raw', data: b.slice(nlriStart, end) } },
      code,
      flags,
      length,
    );
  }
  const nlri = readMpNlri(st, kind, nlriStart, end);
  if (typeof nlri === 'string') {
    mpError(st, code, flags, nlri, afi, safi);
    return keep(
      st,
      { type: 'mp-reach-nlri', afi, safi, nextHop, nlri: { kind: 'raw', data: b.slice(nlriStart, end) } },
      code,
      flags,
      length,
    );
  }
  return keep(st, { type: 'mp-reach-nlri', afi, safi, nextHop, nlri }, code, flags, length);
}

/**
 * RFC 4760 §4 MP_UNREACH_NLRI: AFI(2) SAFI(1) Withdrawn Routes(variable).
 */
function readMpUnreach(st: DecodeState, flags: number, length: number, start: number, end: number): void {
  const code = BGP_ATTR_MP_UNREACH_NLRI;
  const b = st.r.buf;
  if (length < 3) {
    st.reset(
      'update.attributes.MP_UNREACH_NLRI',
      SUB_OPTIONAL_ATTRIBUTE,
      `MP_UNREACH_NLRI length ${length} < 3`,
      st.attrBytes(),
      st.attrStart,
    );
  }
  const afi = u16At(b, start);
  const safi = b[start + 2]!;
  const nlri = readMpNlri(st, mpFamilyKind(afi, safi), start + 3, end);
  if (typeof nlri === 'string') {
    mpError(st, code, flags, nlri, afi, safi);
    return keep(
      st,
      { type: 'mp-unreach-nlri', afi, safi, nlri: { kind: 'raw', data: b.slice(start + 3, end) } },
      code,
      flags,
      length,
    );
  }
  return keep(st, { type: 'mp-unreach-nlri', afi, safi, nlri }, code, flags, length);
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

/** Writes an UPDATE body (see readUpdateBody). `errors` and `treatAsWithdraw` are not encoded. */
export function writeUpdateBody(w: Writer, m: UpdateMessage, opts: BgpCodecOptions): void {
  const wAt = w.reserve(2);
  writePrefixList(w, m.withdrawn, 'withdrawn');
  const wLen = w.offset - wAt - 2;
  if (wLen > 0xffff) encodeFail(w, 'withdrawn', `withdrawn routes of ${wLen} octets exceed 65535`);
  w.patchU16(wAt, wLen);
  const aAt = w.reserve(2);
  for (const a of m.attributes) writePathAttribute(w, a, opts);
  const aLen = w.offset - aAt - 2;
  if (aLen > 0xffff) encodeFail(w, 'attributes', `path attributes of ${aLen} octets exceed 65535`);
  w.patchU16(aAt, aLen);
  writePrefixList(w, m.nlri, 'nlri');
}

/** Writes one path attribute (flags, type, length, value). */
export function writePathAttribute(w: Writer, a: PathAttribute, opts: BgpCodecOptions): void {
  const code = attributeCode(a);
  if (!Number.isInteger(code) || code < 0 || code > 255)
    encodeFail(w, 'attribute.code', `type code ${code} is not in 0..255`);
  let flags = a.flags ?? TYPE_FLAGS[code]!;
  if (!Number.isInteger(flags) || flags < 0 || flags > 255)
    encodeFail(w, 'attribute.flags', `flags ${flags} is not an octet`);
  const start = w.offset;
  w.u8(flags).u8(code);
  const lenAt = w.offset;
  const ext = (flags & X) !== 0;
  if (ext) w.u16(0);
  else w.u8(0);
  const valueStart = w.offset;
  writeAttributeValue(w, a, opts);
  const len = w.offset - valueStart;
  if (len > 0xffff) encodeFail(w, attributeName(code), `value of ${len} octets exceeds 65535`);
  if (ext) w.patchU16(lenAt, len);
  else if (len <= 255) w.patchU8(lenAt, len);
  else {
    // RFC 4271 §4.3: values over 255 octets need the two-octet length; open one octet of room.
    w.zeros(1);
    w.view(valueStart, w.offset).copyWithin(1, 0, len);
    flags |= X;
    w.patchU8(start, flags);
    w.patchU16(lenAt, len);
  }
}

function writeAsPath(w: Writer, segments: readonly AsPathSegment[], width: 2 | 4, field: string): void {
  for (const s of segments) {
    const t = SEGMENT_KINDS.indexOf(s.kind) + 1;
    if (t === 0) encodeFail(w, `${field}.kind`, `unknown segment kind ${String(s.kind)}`);
    const n = s.asns.length;
    if (n < 1 || n > 255) encodeFail(w, `${field}.asns`, `a segment holds 1..255 AS numbers, got ${n}`);
    w.u8(t).u8(n);
    const max = width === 4 ? 0xffffffff : 0xffff;
    for (const asn of s.asns) {
      if (!Number.isInteger(asn) || asn < 0 || asn > max) {
        encodeFail(
          w,
          `${field}.asns`,
          width === 2
            ? `AS ${asn} does not fit a 2-octet AS_PATH (use AS_TRANS and AS4_PATH: toTwoOctetAsAttributes)`
            : `AS ${asn} is not a 4-octet AS number`,
        );
      }
      if (width === 4) w.u32(asn);
      else w.u16(asn);
    }
  }
}

function writeMpNlri(w: Writer, afi: number, safi: number, nlri: MpNlri, field: string): void {
  if (nlri.kind === 'raw') {
    w.bytes(nlri.data);
    return;
  }
  if (mpFamilyKind(afi, safi) !== nlri.kind) {
    encodeFail(w, `${field}.nlri`, `${nlri.kind} NLRI do not match AFI ${afi} SAFI ${safi}`);
  }
  if (nlri.kind === 'ipv4') writePrefixList(w, nlri.prefixes, `${field}.nlri`);
  else if (nlri.kind === 'rtc') writeRtMemberships(w, nlri.memberships, `${field}.nlri`);
  else for (const route of nlri.routes) writeEvpnNlri(w, route);
}

function writeAttributeValue(w: Writer, a: PathAttribute, opts: BgpCodecOptions): void {
  switch (a.type) {
    case 'origin': {
      const v = ORIGINS.indexOf(a.origin);
      if (v < 0) encodeFail(w, 'origin', `unknown origin ${String(a.origin)}`);
      w.u8(v);
      return;
    }
    case 'as-path':
      return writeAsPath(w, a.segments, opts.fourOctetAs ? 4 : 2, 'as-path');
    case 'as4-path':
      return writeAsPath(w, a.segments, 4, 'as4-path');
    case 'next-hop':
      return writeIpv4(w, a.nextHop, 'next-hop');
    case 'med':
      w.u32(checkUint(w, a.med, 0xffffffff, 'med'));
      return;
    case 'local-pref':
      w.u32(checkUint(w, a.localPref, 0xffffffff, 'local-pref'));
      return;
    case 'atomic-aggregate':
      return;
    case 'aggregator':
    case 'as4-aggregator': {
      const wide = a.type === 'as4-aggregator' || opts.fourOctetAs;
      if (wide) w.u32(checkUint(w, a.asn, 0xffffffff, `${a.type}.asn`));
      else w.u16(checkUint(w, a.asn, 0xffff, `${a.type}.asn`));
      return writeIpv4(w, a.address, `${a.type}.address`);
    }
    case 'communities':
      for (const c of a.communities) w.u32(checkUint(w, c, 0xffffffff, 'communities'));
      return;
    case 'originator-id':
      return writeIpv4(w, a.originatorId, 'originator-id');
    case 'cluster-list':
      for (const id of a.clusterIds) writeIpv4(w, id, 'cluster-list');
      return;
    case 'mp-reach-nlri': {
      w.u16(checkUint(w, a.afi, 0xffff, 'mp-reach-nlri.afi'));
      w.u8(checkUint(w, a.safi, 0xff, 'mp-reach-nlri.safi'));
      const nh = a.nextHop;
      if (nh.kind === 'raw') {
        if (nh.data.length > 255)
          encodeFail(w, 'mp-reach-nlri.nextHop', `next hop of ${nh.data.length} octets exceeds 255`);
        w.u8(nh.data.length).bytes(nh.data);
      } else if (nh.address.includes(':')) {
        w.u8(nh.linkLocal === undefined ? 16 : 32);
        w.bytes(ipv6ToBytes(nh.address as Ipv6Address));
        if (nh.linkLocal !== undefined) w.bytes(ipv6ToBytes(nh.linkLocal));
      } else {
        if (nh.linkLocal !== undefined)
          encodeFail(w, 'mp-reach-nlri.nextHop', 'a link-local next hop needs an IPv6 global one');
        w.u8(4);
        writeIpv4(w, nh.address, 'mp-reach-nlri.nextHop');
      }
      w.u8(0); // Reserved
      return writeMpNlri(w, a.afi, a.safi, a.nlri, 'mp-reach-nlri');
    }
    case 'mp-unreach-nlri':
      w.u16(checkUint(w, a.afi, 0xffff, 'mp-unreach-nlri.afi'));
      w.u8(checkUint(w, a.safi, 0xff, 'mp-unreach-nlri.safi'));
      return writeMpNlri(w, a.afi, a.safi, a.nlri, 'mp-unreach-nlri');
    case 'extended-communities':
      for (const c of a.communities) {
        const at = w.offset;
        w.zeros(8);
        extendedCommunityToBytes(c, w.view(at, at + 8), 0);
      }
      return;
    case 'pmsi-tunnel': {
      w.u8(checkUint(w, a.tunnelFlags, 0xff, 'pmsi-tunnel.tunnelFlags'));
      w.u8(checkUint(w, a.tunnelType, 0xff, 'pmsi-tunnel.tunnelType'));
      w.u24(checkUint(w, a.label, 0xffffff, 'pmsi-tunnel.label'));
      const id = a.tunnelId;
      if (typeof id !== 'string') w.bytes(id);
      else if (id.includes(':')) w.bytes(ipv6ToBytes(id as Ipv6Address));
      else writeIpv4(w, id, 'pmsi-tunnel.tunnelId');
      return;
    }
    case 'large-communities':
      for (const c of a.communities) {
        w.u32(checkUint(w, c.globalAdmin, 0xffffffff, 'large-communities.globalAdmin'));
        w.u32(checkUint(w, c.localData1, 0xffffffff, 'large-communities.localData1'));
        w.u32(checkUint(w, c.localData2, 0xffffffff, 'large-communities.localData2'));
      }
      return;
    case 'unknown':
      w.bytes(a.data);
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// Whole-body convenience API
// ---------------------------------------------------------------------------------------------

/** Decodes an UPDATE body (everything after the 19-octet header). */
export function decodeUpdateBody(buf: Uint8Array, opts: BgpCodecOptions, protocol = 'bgp'): UpdateMessage {
  return readUpdateBody(new Reader(buf, protocol), opts);
}

/** Encodes an UPDATE body (everything after the 19-octet header). */
export function encodeUpdateBody(m: UpdateMessage, opts: BgpCodecOptions, w?: Writer): Uint8Array {
  const out = w ?? new Writer(1024);
  const start = out.offset;
  writeUpdateBody(out, m, opts);
  return out.view(start, out.offset).slice();
}

// ---------------------------------------------------------------------------------------------
// Queries over decoded UPDATEs
// ---------------------------------------------------------------------------------------------

/** The first attribute of a type (by tag, e.g. 'as-path') or by type code. */
export function getAttribute<K extends PathAttributeType>(
  update: Pick<UpdateMessage, 'attributes'>,
  type: K,
): Extract<PathAttribute, { type: K }> | undefined;
export function getAttribute(
  update: Pick<UpdateMessage, 'attributes'>,
  code: number,
): PathAttribute | undefined;
export function getAttribute(
  update: Pick<UpdateMessage, 'attributes'>,
  key: string | number,
): PathAttribute | undefined {
  for (const a of update.attributes) {
    if (typeof key === 'number' ? attributeCode(a) === key : a.type === key) return a;
  }
  return undefined;
}

export function getOrigin(u: Pick<UpdateMessage, 'attributes'>): Origin | undefined {
  return getAttribute(u, 'origin')?.origin;
}

export function getAsPath(u: Pick<UpdateMessage, 'attributes'>): readonly AsPathSegment[] | undefined {
  return getAttribute(u, 'as-path')?.segments;
}

export function getMpReach(u: Pick<UpdateMessage, 'attributes'>): MpReachAttribute | undefined {
  return getAttribute(u, 'mp-reach-nlri');
}

export function getMpUnreach(u: Pick<UpdateMessage, 'attributes'>): MpUnreachAttribute | undefined {
  return getAttribute(u, 'mp-unreach-nlri');
}

export function getExtendedCommunities(u: Pick<UpdateMessage, 'attributes'>): readonly ExtendedCommunity[] {
  return getAttribute(u, 'extended-communities')?.communities ?? [];
}

export function getCommunities(u: Pick<UpdateMessage, 'attributes'>): readonly Community[] {
  return getAttribute(u, 'communities')?.communities ?? [];
}

export function getLargeCommunities(u: Pick<UpdateMessage, 'attributes'>): readonly LargeCommunity[] {
  return getAttribute(u, 'large-communities')?.communities ?? [];
}

export function getPmsiTunnel(u: Pick<UpdateMessage, 'attributes'>): PmsiTunnelAttribute | undefined {
  return getAttribute(u, 'pmsi-tunnel');
}

/** Number of ASes in the path for best-path selection (RFC 4271 §9.1.2.2: a set counts 1, confed 0). */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.kind === 'sequence') n += s.asns.length;
    else if (s.kind === 'set') n += 1;
  }
  return n;
}

/** AS path as FRR prints it: `65001 65002 {65003,65004} (65100)` ([] for confed sets). */
export function asPathToString(segments: readonly AsPathSegment[]): string {
  const parts: string[] = [];
  for (const s of segments) {
    const list = s.asns.join(s.kind === 'set' || s.kind === 'confed-set' ? ',' : ' ');
    if (s.kind === 'sequence') parts.push(list);
    else if (s.kind === 'set') parts.push(`{${list}}`);
    else if (s.kind === 'confed-sequence') parts.push(`(${list})`);
    else parts.push(`[${list}]`);
  }
  return parts.join(' ');
}

/** RFC 7606 §3 f: the strongest action among the recorded errors (undefined: none). */
export function updateHandling(update: Pick<UpdateMessage, 'errors'>): BgpErrorHandling | undefined {
  let worst: BgpErrorHandling | undefined;
  for (const e of update.errors ?? []) {
    if (worst === undefined || BGP_ERROR_HANDLING_SEVERITY[e.handling] > BGP_ERROR_HANDLING_SEVERITY[worst])
      worst = e.handling;
  }
  return worst;
}

/** The NOTIFICATION to send if the session resets over this error (e.g. no AFI/SAFI disable). */
export function attributeErrorNotification(e: AttributeError): BgpNotifyData {
  return { code: ERR_UPDATE_MESSAGE, subcode: e.subcode, data: e.data };
}

/** Whether the UPDATE announces anything (NLRI field or MP_REACH_NLRI). */
export function hasReachability(update: Pick<UpdateMessage, 'attributes' | 'nlri'>): boolean {
  return update.nlri.length > 0 || getAttribute(update, 'mp-reach-nlri') !== undefined;
}

/**
 * RFC 7606 §3 d / RFC 4271 §5: well-known mandatory attributes absent from an UPDATE that carries
 * reachability: ORIGIN, AS_PATH, NEXT_HOP (when the NLRI field is non-empty; RFC 4760 §3) and
 * LOCAL_PREF on iBGP. Returns their type codes; an UPDATE missing any is treat-as-withdraw.
 */
export function missingWellKnownAttributes(
  update: Pick<UpdateMessage, 'attributes' | 'nlri'>,
  ctx: { readonly ibgp: boolean },
): number[] {
  if (!hasReachability(update)) return [];
  const out: number[] = [];
  const need = [BGP_ATTR_ORIGIN, BGP_ATTR_AS_PATH];
  if (update.nlri.length > 0) need.push(BGP_ATTR_NEXT_HOP);
  if (ctx.ibgp) need.push(BGP_ATTR_LOCAL_PREF);
  for (const code of need) if (getAttribute(update, code) === undefined) out.push(code);
  return out;
}

function emptyNlri(afi: number, safi: number): MpNlri {
  const kind = mpFamilyKind(afi, safi);
  if (kind === 'ipv4') return { kind, prefixes: [] };
  if (kind === 'evpn') return { kind, routes: [] };
  if (kind === 'rtc') return { kind, memberships: [] };
  return { kind, data: new Uint8Array(0) };
}

/**
 * RFC 4724 §2 End-of-RIB marker: an empty UPDATE for IPv4 unicast; for any other family an UPDATE
 * whose only attribute is an MP_UNREACH_NLRI with no withdrawn routes.
 */
export function endOfRib(afi: number, safi: number): UpdateMessage {
  if (afi === AFI_IPV4 && safi === SAFI_UNICAST)
    return { type: 'update', withdrawn: [], attributes: [], nlri: [] };
  return {
    type: 'update',
    withdrawn: [],
    attributes: [{ type: 'mp-unreach-nlri', afi, safi, nlri: emptyNlri(afi, safi) }],
    nlri: [],
  };
}

function nlriEmpty(n: MpNlri): boolean {
  switch (n.kind) {
    case 'ipv4':
      return n.prefixes.length === 0;
    case 'evpn':
      return n.routes.length === 0;
    case 'rtc':
      return n.memberships.length === 0;
    case 'raw':
      return n.data.length === 0;
  }
}

/** The family an End-of-RIB marker is for, or undefined if the UPDATE is not one. */
export function endOfRibFamily(
  update: UpdateMessage,
): { readonly afi: number; readonly safi: number } | undefined {
  if (update.withdrawn.length > 0 || update.nlri.length > 0) return undefined;
  if (update.attributes.length === 0) return { afi: AFI_IPV4, safi: SAFI_UNICAST };
  if (update.attributes.length !== 1) return undefined;
  const a = update.attributes[0]!;
  if (a.type !== 'mp-unreach-nlri' || !nlriEmpty(a.nlri)) return undefined;
  return { afi: a.afi, safi: a.safi };
}

export function isEndOfRib(update: UpdateMessage): boolean {
  return endOfRibFamily(update) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// RFC 6793 4-octet AS transition helpers (pure functions over attribute lists)
// ---------------------------------------------------------------------------------------------

function pathHasWideAs(segments: readonly AsPathSegment[]): boolean {
  for (const s of segments) for (const a of s.asns) if (a > 0xffff) return true;
  return false;
}

/** Inserts `a` before the first attribute with a higher type code other than MP_REACH/UNREACH. */
function insertInOrder(list: PathAttribute[], a: PathAttribute): void {
  const code = attributeCode(a);
  let i = 0;
  for (; i < list.length; i++) {
    const c = attributeCode(list[i]!);
    if (c > code && c !== BGP_ATTR_MP_REACH_NLRI && c !== BGP_ATTR_MP_UNREACH_NLRI) break;
  }
  list.splice(i, 0, a);
}

/**
 * RFC 6793 §4.2.2: the attributes a NEW speaker sends to an OLD (2-octet) peer. 4-octet ASNs in
 * AS_PATH and AGGREGATOR become AS_TRANS; the true values go in AS4_PATH (without confederation
 * segments) and AS4_AGGREGATOR, added only when needed. Existing AS4_* attributes are replaced.
 */
export function toTwoOctetAsAttributes(attributes: readonly PathAttribute[]): PathAttribute[] {
  const out: PathAttribute[] = [];
  let as4Path: As4PathAttribute | undefined;
  let as4Aggregator: As4AggregatorAttribute | undefined;
  for (const a of attributes) {
    if (a.type === 'as4-path' || a.type === 'as4-aggregator') continue;
    if (a.type === 'as-path' && pathHasWideAs(a.segments)) {
      out.push({
        ...a,
        segments: a.segments.map((s) => ({
          kind: s.kind,
          asns: s.asns.map((x) => (x > 0xffff ? AS_TRANS : x)),
        })),
      });
      const plain = a.segments.filter((s) => s.kind === 'sequence' || s.kind === 'set');
      if (plain.length > 0) as4Path = { type: 'as4-path', segments: plain };
    } else if (a.type === 'aggregator' && a.asn > 0xffff) {
      out.push({ ...a, asn: AS_TRANS });
      as4Aggregator = { type: 'as4-aggregator', asn: a.asn, address: a.address };
    } else out.push(a);
  }
  if (as4Path) insertInOrder(out, as4Path);
  if (as4Aggregator) insertInOrder(out, as4Aggregator);
  return out;
}

/**
 * RFC 6793 §4.2.3: a NEW speaker's view of attributes received from an OLD peer. AS4_AGGREGATOR
 * replaces an AGGREGATOR of AS_TRANS; AS4_PATH is merged into AS_PATH (the leading ASes of AS_PATH
 * that AS4_PATH lacks, then AS4_PATH) unless AS_PATH is shorter or an OLD speaker aggregated
 * (AGGREGATOR not AS_TRANS), in which case AS4_* are ignored. AS4_* attributes are removed.
 */
export function fromTwoOctetAsAttributes(attributes: readonly PathAttribute[]): PathAttribute[] {
  const aggregator = attributes.find((a): a is AggregatorAttribute => a.type === 'aggregator');
  const as4Aggregator = attributes.find((a): a is As4AggregatorAttribute => a.type === 'as4-aggregator');
  const as4Path = attributes.find((a): a is As4PathAttribute => a.type === 'as4-path');
  const ignoreAs4 = aggregator !== undefined && as4Aggregator !== undefined && aggregator.asn !== AS_TRANS;
  const out: PathAttribute[] = [];
  for (const a of attributes) {
    if (a.type === 'as4-path' || a.type === 'as4-aggregator') continue;
    if (!ignoreAs4 && a.type === 'aggregator' && a.asn === AS_TRANS && as4Aggregator !== undefined) {
      out.push({ ...a, asn: as4Aggregator.asn, address: as4Aggregator.address });
    } else if (!ignoreAs4 && a.type === 'as-path' && as4Path !== undefined) {
      out.push({ ...a, segments: mergeAs4Path(a.segments, as4Path.segments) });
    } else out.push(a);
  }
  return out;
}

/** RFC 6793 §4.2.3 AS_PATH + AS4_PATH reconstruction. */
export function mergeAs4Path(
  asPath: readonly AsPathSegment[],
  as4Path: readonly AsPathSegment[],
): AsPathSegment[] {
  let need = asPathLength(asPath) - asPathLength(as4Path);
  if (need < 0) return asPath.slice();
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (s.kind === 'confed-sequence' || s.kind === 'confed-set') {
      if (
        need > 0 ||
        out.length === 0 ||
        out.every((x) => x.kind === 'confed-sequence' || x.kind === 'confed-set')
      )
        out.push(s);
      continue;
    }
    if (need === 0) break;
    if (s.kind === 'set') {
      out.push(s);
      need -= 1;
    } else {
      const take = Math.min(need, s.asns.length);
      out.push({ kind: 'sequence', asns: s.asns.slice(0, take) });
      need -= take;
    }
  }
  for (const s of as4Path) {
    const last = out[out.length - 1];
    if (
      last &&
      last.kind === 'sequence' &&
      s.kind === 'sequence' &&
      last.asns.length + s.asns.length <= 255
    ) {
      out[out.length - 1] = { kind: 'sequence', asns: [...last.asns, ...s.asns] };
    } else out.push(s);
  }
  return out;
}
