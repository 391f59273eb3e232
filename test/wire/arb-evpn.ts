/**
 * fast-check arbitraries for the EVPN codec (src/wire/evpn.ts): Route Distinguishers of every type
 * (unknown ones too), ESIs of every type (via `esiFromFields`, plus raw octets), and every route
 * type — Type-2 with and without an IP of either family and with one or two labels, Type-5 of
 * both families, unknown route types. Every generated value is valid, so it encodes.
 */
import fc from 'fast-check';
import type { IpAddress } from '../../src/wire/addr.js';
import {
  esiFromBytes,
  esiFromFields,
  ZERO_ESI,
  type Esi,
  type EsiFields,
  type EthernetAdRoute,
  type EthernetSegmentRoute,
  type EvpnRoute,
  type InclusiveMulticastRoute,
  type IpPrefixRoute,
  type MacIpRoute,
  type RouteDistinguisher,
  type UnknownEvpnRoute,
} from '../../src/wire/evpn.js';
import { arbIpv4Address, arbIpv6Address, arbMac } from './arb-l2l3.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u24 = fc.integer({ min: 0, max: 0xffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const rec = { noNullPrototype: true } as const;

export const arbRd: fc.Arbitrary<RouteDistinguisher> = fc.oneof(
  fc.record({ type: fc.constant(0 as const), asn: u16, assigned: u32 }, rec),
  fc.record({ type: fc.constant(1 as const), ip: arbIpv4Address, assigned: u16 }, rec),
  fc.record({ type: fc.constant(2 as const), asn: u32, assigned: u16 }, rec),
  fc.record(
    {
      type: fc.constant('unknown' as const),
      typeCode: fc.integer({ min: 3, max: 0xffff }),
      value: fc.uint8Array({ minLength: 6, maxLength: 6 }),
    },
    rec,
  ),
);

/** Every ESI type of RFC 7432 §5 and unknown ones (6..255); `esiFields(esiFromFields(f))` deep-equals f. */
export const arbEsiFields: fc.Arbitrary<EsiFields> = fc.oneof(
  fc.record({ type: fc.constant(0 as const), value: fc.uint8Array({ minLength: 9, maxLength: 9 }) }, rec),
  fc.record({ type: fc.constant(1 as const), systemMac: arbMac, portKey: u16 }, rec),
  fc.record({ type: fc.constant(2 as const), rootBridgeMac: arbMac, rootBridgePriority: u16 }, rec),
  fc.record({ type: fc.constant(3 as const), systemMac: arbMac, localDiscriminator: u24 }, rec),
  fc.record({ type: fc.constant(4 as const), routerId: arbIpv4Address, localDiscriminator: u32 }, rec),
  fc.record({ type: fc.constant(5 as const), asn: u32, localDiscriminator: u32 }, rec),
  fc.record(
    {
      type: fc.constant('unknown' as const),
      typeCode: fc.integer({ min: 6, max: 0xff }),
      value: fc.uint8Array({ minLength: 9, maxLength: 9 }),
    },
    rec,
  ),
);

export const arbEsi: fc.Arbitrary<Esi> = fc.oneof(
  fc.constant(ZERO_ESI),
  arbEsiFields.map(esiFromFields),
  fc.uint8Array({ minLength: 10, maxLength: 10 }).map((b) => esiFromBytes(b)),
);

export const arbEthernetTag: fc.Arbitrary<number> = fc.oneof(fc.constantFrom(0, 100, 0xffffffff), u32);

/** A 24-bit label field: a VNI (RFC 8365) or an MPLS label with the bottom-of-stack bit. */
export const arbLabel: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(0, 100, 10_100, 0xffffff),
  u24,
  fc.integer({ min: 0, max: 0xfffff }).map((l) => l * 16 + 1),
);

export const arbIp: fc.Arbitrary<IpAddress> = fc.oneof(arbIpv4Address, arbIpv6Address);

export const arbEthernetAdRoute: fc.Arbitrary<EthernetAdRoute> = fc.record(
  {
    type: fc.constant('ethernet-ad' as const),
    routeType: fc.constant(1 as const),
    rd: arbRd,
    esi: arbEsi,
    ethernetTag: arbEthernetTag,
    label: arbLabel,
  },
  rec,
);

/** Type-2 with no IP, an IPv4 or an IPv6 address; one or two labels. */
export const arbMacIpRoute: fc.Arbitrary<MacIpRoute> = fc
  .record(
    {
      rd: arbRd,
      esi: arbEsi,
      ethernetTag: arbEthernetTag,
      mac: arbMac,
      ip: fc.option(arbIp, { nil: undefined }),
      label1: arbLabel,
      label2: fc.option(arbLabel, { nil: undefined }),
    },
    rec,
  )
  .map(({ ip, label2, ...rest }): MacIpRoute => ({
    type: 'mac-ip',
    routeType: 2,
    ...rest,
    ...(ip !== undefined ? { ip } : {}),
    ...(label2 !== undefined ? { label2 } : {}),
  }));

export const arbInclusiveMulticastRoute: fc.Arbitrary<InclusiveMulticastRoute> = fc.record(
  {
    type: fc.constant('inclusive-multicast' as const),
    routeType: fc.constant(3 as const),
    rd: arbRd,
    ethernetTag: arbEthernetTag,
    originator: arbIp,
  },
  rec,
);

export const arbEthernetSegmentRoute: fc.Arbitrary<EthernetSegmentRoute> = fc.record(
  {
    type: fc.constant('ethernet-segment' as const),
    routeType: fc.constant(4 as const),
    rd: arbRd,
    esi: arbEsi,
    originator: arbIp,
  },
  rec,
);

/** Type-5 of both families; prefix and gateway of the same family, host bits sometimes set. */
export const arbIpPrefixRoute: fc.Arbitrary<IpPrefixRoute> = fc.boolean().chain((v6) =>
  fc.record(
    {
      type: fc.constant('ip-prefix' as const),
      routeType: fc.constant(5 as const),
      rd: arbRd,
      esi: arbEsi,
      ethernetTag: arbEthernetTag,
      prefix: v6 ? arbIpv6Address : arbIpv4Address,
      prefixLength: fc.integer({ min: 0, max: v6 ? 128 : 32 }),
      gateway: v6 ? arbIpv6Address : arbIpv4Address,
      label: arbLabel,
    },
    rec,
  ),
);

export const arbUnknownEvpnRoute: fc.Arbitrary<UnknownEvpnRoute> = fc.record(
  {
    type: fc.constant('unknown' as const),
    routeType: fc.oneof(fc.constant(0), fc.integer({ min: 6, max: 0xff })),
    data: fc.oneof(
      { weight: 9, arbitrary: fc.uint8Array({ maxLength: 60 }) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 200, maxLength: 255 }) },
    ),
  },
  rec,
);

/** Any EVPN route, every type (unknown included). */
export const arbEvpnRoute: fc.Arbitrary<EvpnRoute> = fc.oneof(
  arbEthernetAdRoute,
  arbMacIpRoute,
  arbInclusiveMulticastRoute,
  arbEthernetSegmentRoute,
  arbIpPrefixRoute,
  arbUnknownEvpnRoute,
);
