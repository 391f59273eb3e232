/**
 * fast-check arbitraries for UPDATE bodies, path attributes and communities (bgp-update.ts,
 * bgp-community.ts). Every value they produce is valid and canonical, so
 * decode(encode(v)) deep-equals v and decoding records no RFC 7606 errors.
 *
 * EVPN routes come from evpn.ts's own arbitraries: pass them as `evpnRoute` (arb-evpn.ts), or leave
 * it out and MP_REACH/MP_UNREACH carry IPv4 unicast and raw families only.
 */
import fc from 'fast-check';
import {
  ipv4FromBytes,
  ipv6FromBytes,
  macFromBytes,
  type Asn,
  type IpAddress,
  type Ipv4Address,
  type Ipv6Address,
  type Mac,
} from '../../src/wire/addr.js';
import { Writer } from '../../src/wire/bytes.js';
import type { Community, ExtendedCommunity, LargeCommunity } from '../../src/wire/bgp-community.js';
import {
  BGP_ATTR_FLAG_EXTENDED_LENGTH,
  BGP_ATTR_FLAG_OPTIONAL,
  BGP_ATTR_FLAG_PARTIAL,
  BGP_ATTR_FLAG_TRANSITIVE,
  canonicalIpv4Prefix,
  isKnownAttributeCode,
  PMSI_TUNNEL_TYPE_INGRESS_REPLICATION,
  writePathAttribute,
  type AsPathSegment,
  type BgpCodecOptions,
  type Ipv4Prefix,
  type MpNextHop,
  type MpNlri,
  type PathAttribute,
  type RtMembership,
  type UpdateMessage,
} from '../../src/wire/bgp-update.js';
import type { EvpnRoute } from '../../src/wire/evpn.js';

export const arbIpv4Address: fc.Arbitrary<Ipv4Address> = fc
  .uint8Array({ minLength: 4, maxLength: 4 })
  .map((b) => ipv4FromBytes(b));

/** A unicast host address usable as NEXT_HOP (not 0/8, 127/8 or class D/E). */
export const arbUnicastIpv4Address: fc.Arbitrary<Ipv4Address> = fc
  .tuple(
    fc.integer({ min: 1, max: 223 }).filter((a) => a !== 127),
    fc.uint8Array({ minLength: 3, maxLength: 3 }),
  )
  .map(([a, rest]) => ipv4FromBytes(Uint8Array.of(a, rest[0]!, rest[1]!, rest[2]!)));

export const arbIpv6Address: fc.Arbitrary<Ipv6Address> = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((b) => ipv6FromBytes(b));

export const arbIpAddress: fc.Arbitrary<IpAddress> = fc.oneof(arbIpv4Address, arbIpv6Address);

export const arbMac: fc.Arbitrary<Mac> = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => macFromBytes(b));

/** AS numbers other than 0 (RFC 7607 makes AS 0 malformed). */
export const arbAsn2: fc.Arbitrary<Asn> = fc.integer({ min: 1, max: 0xffff }).map((n) => n as Asn);
export const arbAsn4: fc.Arbitrary<Asn> = fc
  .oneof(fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 1, max: 0xffffffff }))
  .map((n) => n as Asn);

/** fc.record with ordinary objects (fast-check 4 defaults to null-prototype records). */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true });
}

const u16 = fc.integer({ min: 0, max: 0xffff });
const u24 = fc.integer({ min: 0, max: 0xffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

/** Canonical IPv4 prefix (host bits zero), length 0..32. */
export const arbIpv4Prefix: fc.Arbitrary<Ipv4Prefix> = fc
  .record({ prefix: arbIpv4Address, length: fc.integer({ min: 0, max: 32 }) })
  .map((p) => canonicalIpv4Prefix(p));

export const arbCommunity: fc.Arbitrary<Community> = fc.oneof(
  u32,
  fc.constantFrom(0xffffff01, 0xffffff02, 0xffffff03, 0xffffff04, 0xffff0000, 0xffff029a),
);

export const arbLargeCommunity: fc.Arbitrary<LargeCommunity> = rec({
  globalAdmin: u32,
  localData1: u32,
  localData2: u32,
});

/** (type, subtype) pairs bgp-community.ts decodes as something other than 'unknown'. */
const KNOWN_EC = new Set([
  0x0002, 0x0003, 0x0102, 0x0103, 0x0202, 0x0203, 0x030c, 0x030d, 0x0600, 0x0601, 0x0602, 0x0603, 0x0606,
]);

export const arbExtendedCommunity: fc.Arbitrary<ExtendedCommunity> = fc.oneof(
  rec({
    kind: fc.constantFrom('route-target' as const, 'route-origin' as const),
    format: fc.constant('as2' as const),
    asn: fc.integer({ min: 0, max: 0xffff }).map((n) => n as Asn),
    value: u32,
  }),
  rec({
    kind: fc.constantFrom('route-target' as const, 'route-origin' as const),
    format: fc.constant('ipv4' as const),
    address: arbIpv4Address,
    value: u16,
  }),
  rec({
    kind: fc.constantFrom('route-target' as const, 'route-origin' as const),
    format: fc.constant('as4' as const),
    asn: u32.map((n) => n as Asn),
    value: u16,
  }),
  rec({ kind: fc.constant('encapsulation' as const), tunnelType: fc.oneof(fc.constant(8), u16) }),
  fc.constant({ kind: 'default-gateway' as const }),
  rec({ kind: fc.constant('mac-mobility' as const), sticky: fc.boolean(), sequence: u32 }),
  rec({ kind: fc.constant('esi-label' as const), singleActive: fc.boolean(), label: u24 }),
  rec({ kind: fc.constant('es-import-route-target' as const), mac: arbMac }),
  rec({ kind: fc.constant('router-mac' as const), mac: arbMac }),
  rec({
    kind: fc.constant('df-election' as const),
    algorithm: fc.integer({ min: 0, max: 31 }),
    bitmap: u16,
    preference: u16,
  }),
  fc
    .uint8Array({ minLength: 8, maxLength: 8 })
    .filter((d) => !KNOWN_EC.has((d[0]! << 8) | d[1]!))
    .map((data) => ({ kind: 'unknown' as const, data })),
);

/** AS_PATH segments: mostly short, sometimes a full 255-AS segment (forces the extended length). */
export function arbAsPathSegments(
  asn: fc.Arbitrary<Asn>,
  options: { readonly confed?: boolean } = {},
): fc.Arbitrary<AsPathSegment[]> {
  const kinds =
    options.confed === false
      ? fc.constantFrom('sequence' as const, 'set' as const)
      : fc.constantFrom(
          'sequence' as const,
          'set' as const,
          'confed-sequence' as const,
          'confed-set' as const,
        );
  const segment = rec({
    kind: kinds,
    asns: fc.oneof(
      { weight: 20, arbitrary: fc.array(asn, { minLength: 1, maxLength: 8 }) },
      { weight: 1, arbitrary: fc.array(asn, { minLength: 255, maxLength: 255 }) },
    ),
  });
  return fc.array(segment, { minLength: 0, maxLength: 4 });
}

const arbNextHop: fc.Arbitrary<MpNextHop> = fc.oneof(
  arbIpv4Address.map((address) => ({ kind: 'ip' as const, address })),
  arbIpv6Address.map((address) => ({ kind: 'ip' as const, address })),
  rec({ kind: fc.constant('ip' as const), address: arbIpv6Address, linkLocal: arbIpv6Address }),
);

const arbRawNextHop: fc.Arbitrary<MpNextHop> = fc
  .uint8Array({ minLength: 0, maxLength: 40 })
  .filter((d) => d.length !== 4 && d.length !== 16 && d.length !== 32)
  .map((data) => ({ kind: 'raw' as const, data }));

/** An AFI/SAFI pair bgp-update.ts does not parse (its NLRI stay raw). */
const arbRawFamily = fc
  .record({ afi: u16, safi: fc.integer({ min: 0, max: 255 }) })
  .filter(
    ({ afi, safi }) =>
      !(afi === 1 && (safi === 1 || safi === 2 || safi === 132)) && !(afi === 25 && safi === 70),
  );

interface FamilyNlri {
  readonly afi: number;
  readonly safi: number;
  readonly nlri: MpNlri;
}

/**
 * RFC 4684 §4 memberships of every length class: the default (0), origin AS only (32), a route-target
 * prefix (33..95), a full one (96). Canonical: the bits past the prefix are zero.
 */
export const arbRtMembership: fc.Arbitrary<RtMembership> = fc
  .record({
    prefixLength: fc.oneof(
      fc.constant(0),
      fc.constant(32),
      fc.integer({ min: 33, max: 95 }),
      fc.constant(96),
    ),
    originAs: fc.integer({ min: 0, max: 0xffffffff }),
    routeTarget: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  })
  .map(({ prefixLength, originAs, routeTarget }): RtMembership => {
    if (prefixLength === 0) return { prefixLength, originAs: 0, routeTarget: new Uint8Array(8) };
    const bits = prefixLength - 32;
    const rt = routeTarget.slice();
    for (let i = 0; i < 8; i++) {
      const keep = Math.max(0, Math.min(8, bits - 8 * i));
      rt[i] = rt[i]! & ((0xff << (8 - keep)) & 0xff);
    }
    return { prefixLength, originAs, routeTarget: rt };
  });

function arbFamilyNlri(evpnRoute: fc.Arbitrary<EvpnRoute> | undefined): fc.Arbitrary<FamilyNlri> {
  const families: fc.Arbitrary<FamilyNlri>[] = [
    rec({
      afi: fc.constant(1),
      safi: fc.constantFrom(1, 2),
      nlri: fc
        .array(arbIpv4Prefix, { maxLength: 6 })
        .map((prefixes) => ({ kind: 'ipv4' as const, prefixes })),
    }),
    rec({
      afi: fc.constant(1),
      safi: fc.constant(132),
      nlri: fc
        .array(arbRtMembership, { maxLength: 6 })
        .map((memberships) => ({ kind: 'rtc' as const, memberships })),
    }),
    arbRawFamily.chain(({ afi, safi }) =>
      rec({
        afi: fc.constant(afi),
        safi: fc.constant(safi),
        nlri: fc.uint8Array({ maxLength: 40 }).map((data) => ({ kind: 'raw' as const, data })),
      }),
    ),
  ];
  if (evpnRoute) {
    families.push(
      rec({
        afi: fc.constant(25),
        safi: fc.constant(70),
        nlri: fc.array(evpnRoute, { maxLength: 5 }).map((routes) => ({ kind: 'evpn' as const, routes })),
      }),
    );
  }
  return fc.oneof(...families);
}

export function arbMpReach(evpnRoute?: fc.Arbitrary<EvpnRoute>): fc.Arbitrary<PathAttribute> {
  return arbFamilyNlri(evpnRoute).chain((f) =>
    (f.nlri.kind === 'raw' ? fc.oneof(arbNextHop, arbRawNextHop) : arbNextHop).map(
      (nextHop): PathAttribute => ({
        type: 'mp-reach-nlri',
        afi: f.afi,
        safi: f.safi,
        nextHop,
        nlri: f.nlri,
      }),
    ),
  );
}

export function arbMpUnreach(evpnRoute?: fc.Arbitrary<EvpnRoute>): fc.Arbitrary<PathAttribute> {
  return arbFamilyNlri(evpnRoute).map((f): PathAttribute => ({
    type: 'mp-unreach-nlri',
    afi: f.afi,
    safi: f.safi,
    nlri: f.nlri,
  }));
}

export const arbPmsiTunnel: fc.Arbitrary<PathAttribute> = fc.oneof(
  rec({
    type: fc.constant('pmsi-tunnel' as const),
    tunnelFlags: fc.integer({ min: 0, max: 255 }),
    tunnelType: fc.constant(PMSI_TUNNEL_TYPE_INGRESS_REPLICATION),
    label: u24,
    tunnelId: arbIpAddress,
  }),
  rec({
    type: fc.constant('pmsi-tunnel' as const),
    tunnelFlags: fc.integer({ min: 0, max: 255 }),
    tunnelType: fc.integer({ min: 0, max: 255 }).filter((t) => t !== PMSI_TUNNEL_TYPE_INGRESS_REPLICATION),
    label: u24,
    tunnelId: fc.uint8Array({ maxLength: 20 }),
  }),
);

/** Unknown attributes: optional (else they are an unrecognized well-known), any unknown code. */
export const arbUnknownAttribute: fc.Arbitrary<PathAttribute> = fc
  .record({
    code: fc.integer({ min: 0, max: 255 }).filter((c) => !isKnownAttributeCode(c)),
    bits: fc.integer({ min: 0, max: 0x7f }),
    data: fc.oneof(
      { weight: 10, arbitrary: fc.uint8Array({ maxLength: 20 }) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 250, maxLength: 300 }) },
    ),
  })
  .map(({ code, bits, data }) => ({
    type: 'unknown' as const,
    code,
    flags: BGP_ATTR_FLAG_OPTIONAL | bits | (data.length > 255 ? BGP_ATTR_FLAG_EXTENDED_LENGTH : 0),
    data,
  }));

type FlagVariant = 'canonical' | 'extended' | 'partial' | 'low-bits';

/**
 * Gives an attribute a non-canonical flags octet the decoder must preserve: Extended Length on a
 * short value, Partial on an optional transitive one, or unused low bits set.
 */
export function withFlagVariant(
  a: PathAttribute,
  variant: FlagVariant,
  lowBits: number,
  opts: BgpCodecOptions,
): PathAttribute {
  if (variant === 'canonical' || a.type === 'unknown') return a;
  const w = new Writer(64);
  writePathAttribute(w, a, opts);
  const canonical = w.view()[0]!;
  let flags = canonical;
  if (variant === 'extended') flags |= BGP_ATTR_FLAG_EXTENDED_LENGTH;
  else if (variant === 'partial') {
    const ot = BGP_ATTR_FLAG_OPTIONAL | BGP_ATTR_FLAG_TRANSITIVE;
    if ((canonical & ot) === ot) flags |= BGP_ATTR_FLAG_PARTIAL;
  } else flags |= 1 + (lowBits % 15);
  return flags === canonical ? a : { ...a, flags };
}

export interface ArbUpdateOptions {
  readonly fourOctetAs: boolean;
  /** EVPN routes for MP_REACH/MP_UNREACH AFI 25 / SAFI 70 (from arb-evpn.ts); omitted: no EVPN. */
  readonly evpnRoute?: fc.Arbitrary<EvpnRoute>;
}

/** Every attribute type that can appear in a valid UPDATE on this kind of session. */
export function arbOptionalAttributes(o: ArbUpdateOptions): fc.Arbitrary<PathAttribute>[] {
  const asn = o.fourOctetAs ? arbAsn4 : arbAsn2;
  const list: fc.Arbitrary<PathAttribute>[] = [
    rec({ type: fc.constant('med' as const), med: u32 }),
    rec({ type: fc.constant('local-pref' as const), localPref: u32 }),
    fc.constant({ type: 'atomic-aggregate' as const }),
    rec({ type: fc.constant('aggregator' as const), asn, address: arbIpv4Address }),
    rec({
      type: fc.constant('communities' as const),
      communities: fc.oneof(
        { weight: 10, arbitrary: fc.array(arbCommunity, { minLength: 1, maxLength: 6 }) },
        { weight: 1, arbitrary: fc.array(arbCommunity, { minLength: 60, maxLength: 80 }) },
      ),
    }),
    rec({ type: fc.constant('originator-id' as const), originatorId: arbIpv4Address }),
    rec({
      type: fc.constant('cluster-list' as const),
      clusterIds: fc.array(arbIpv4Address, { minLength: 1, maxLength: 4 }),
    }),
    rec({
      type: fc.constant('extended-communities' as const),
      communities: fc.oneof(
        { weight: 10, arbitrary: fc.array(arbExtendedCommunity, { minLength: 1, maxLength: 6 }) },
        { weight: 1, arbitrary: fc.array(arbExtendedCommunity, { minLength: 32, maxLength: 40 }) },
      ),
    }),
    arbPmsiTunnel,
    rec({
      type: fc.constant('large-communities' as const),
      communities: fc.array(arbLargeCommunity, { minLength: 1, maxLength: 4 }),
    }),
  ];
  if (!o.fourOctetAs) {
    // RFC 6793: AS4_* travel only on sessions without the 4-octet AS capability.
    list.push(
      arbAsPathSegments(arbAsn4, { confed: false })
        .filter((s) => s.length > 0)
        .map((segments): PathAttribute => ({ type: 'as4-path', segments })),
      rec({ type: fc.constant('as4-aggregator' as const), asn: arbAsn4, address: arbIpv4Address }),
    );
  }
  return list;
}

function arbFlagged(a: fc.Arbitrary<PathAttribute>, opts: BgpCodecOptions): fc.Arbitrary<PathAttribute> {
  return fc
    .record({
      a,
      variant: fc.constantFrom<FlagVariant>(
        'canonical',
        'canonical',
        'canonical',
        'extended',
        'partial',
        'low-bits',
      ),
      low: fc.nat(),
    })
    .map(({ a, variant, low }) => withFlagVariant(a, variant, low, opts));
}

/**
 * A valid UPDATE: either withdrawals only (withdrawn prefixes and/or an MP_UNREACH), or an
 * announcement with ORIGIN, AS_PATH (and NEXT_HOP when the NLRI field is used), a random subset of
 * the other attributes (each type at most once), optional unknown attributes, in any order.
 */
export function arbUpdateMessage(o: ArbUpdateOptions): fc.Arbitrary<UpdateMessage> {
  const opts: BgpCodecOptions = { fourOctetAs: o.fourOctetAs };
  const asn = o.fourOctetAs ? arbAsn4 : arbAsn2;
  const withdrawOnly = fc
    .record({
      withdrawn: fc.array(arbIpv4Prefix, { maxLength: 8 }),
      unreach: fc.option(arbFlagged(arbMpUnreach(o.evpnRoute), opts), { nil: undefined }),
    })
    .map(({ withdrawn, unreach }): UpdateMessage => ({
      type: 'update',
      withdrawn,
      attributes: unreach ? [unreach] : [],
      nlri: [],
    }));
  const optional = arbOptionalAttributes(o).map((a) => fc.option(arbFlagged(a, opts), { nil: undefined }));
  const announce = fc
    .record({
      withdrawn: fc.array(arbIpv4Prefix, { maxLength: 4 }),
      nlri: fc.array(arbIpv4Prefix, { maxLength: 8 }),
      origin: arbFlagged(
        fc
          .constantFrom('igp' as const, 'egp' as const, 'incomplete' as const)
          .map((origin): PathAttribute => ({ type: 'origin', origin })),
        opts,
      ),
      asPath: arbFlagged(
        arbAsPathSegments(asn).map((segments): PathAttribute => ({ type: 'as-path', segments })),
        opts,
      ),
      nextHop: arbFlagged(
        arbUnicastIpv4Address.map((nextHop): PathAttribute => ({ type: 'next-hop', nextHop })),
        opts,
      ),
      withNextHop: fc.boolean(),
      reach: fc.option(arbFlagged(arbMpReach(o.evpnRoute), opts), { nil: undefined }),
      unreach: fc.option(arbFlagged(arbMpUnreach(o.evpnRoute), opts), { nil: undefined }),
      optional: fc.tuple(...optional),
      unknown: fc.array(arbUnknownAttribute, { maxLength: 2 }).map((list) => {
        const seen = new Set<number>();
        return list.filter((a) => a.type === 'unknown' && !seen.has(a.code) && seen.add(a.code));
      }),
      order: fc.nat(),
    })
    .chain((v) => {
      const attrs: PathAttribute[] = [v.origin, v.asPath];
      if (v.nlri.length > 0 || v.withNextHop) attrs.push(v.nextHop);
      if (v.reach) attrs.push(v.reach);
      if (v.unreach) attrs.push(v.unreach);
      for (const a of v.optional) if (a) attrs.push(a);
      attrs.push(...v.unknown);
      return fc
        .shuffledSubarray(attrs, { minLength: attrs.length, maxLength: attrs.length })
        .map((attributes): UpdateMessage => ({
          type: 'update',
          withdrawn: v.withdrawn,
          attributes,
          nlri: v.nlri,
        }));
    });
  return fc.oneof({ weight: 1, arbitrary: withdrawOnly }, { weight: 4, arbitrary: announce });
}

/** Session options to pair with arbUpdateMessage. */
export const arbCodecOptions: fc.Arbitrary<BgpCodecOptions> = rec({ fourOctetAs: fc.boolean() });
