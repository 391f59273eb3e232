/**
 * Builders for the EVPN routes a VTEP originates, and the VNI a received route is about.
 *
 * The only place that knows how the EVPN service maps its state (VNI, MAC, IP, VTEP, prefix) onto
 * the fields of an NLRI (src/wire/evpn.ts), so RFC 8365's VXLAN conventions live here once.
 */
import { ip as parseIp, type IpAddress, type Mac } from '../wire/addr.js';
import { parseRouteTarget, type ExtendedCommunity } from '../wire/bgp-community.js';
import {
  ZERO_ESI,
  type EvpnRoute,
  type InclusiveMulticastRoute,
  type IpPrefixRoute,
  type MacIpRoute,
  type RouteDistinguisher,
} from '../wire/evpn.js';

/**
 * RFC 8365 §5.1.2 (VLAN-based service): one VNI per EVI, Ethernet Tag ID 0. The VNI rides in the
 * label field: MPLS Label1 of a Type-2 carries the L2 VNI and, with symmetric IRB, Label2 the L3VNI
 * (RFC 9135 §5.1).
 */
export function macIpRoute(
  rd: RouteDistinguisher,
  mac: Mac,
  ip: IpAddress | undefined,
  vni: number,
  l3vni?: number,
): MacIpRoute {
  return {
    type: 'mac-ip',
    routeType: 2,
    rd,
    esi: ZERO_ESI,
    ethernetTag: 0,
    mac,
    ...(ip !== undefined ? { ip } : {}),
    label1: vni,
    ...(ip !== undefined && l3vni !== undefined ? { label2: l3vni } : {}),
  };
}

/** RFC 8365 §5.1.3: one Type-3 per VNI, originator = our VTEP; the VNI itself is in the PMSI label. */
export function inclusiveMulticastRoute(rd: RouteDistinguisher, vtep: IpAddress): InclusiveMulticastRoute {
  return { type: 'inclusive-multicast', routeType: 3, rd, ethernetTag: 0, originator: vtep };
}

/**
 * RFC 9136 §4.4.1 (interface-less model, what FRR does): gateway address zero, the L3VNI in the label,
 * the router MAC in an extended community.
 */
export function ipPrefixRoute(rd: RouteDistinguisher, prefixText: string, l3vni: number): IpPrefixRoute {
  const slash = prefixText.indexOf('/');
  if (slash < 0) throw new RangeError(`prefix ${JSON.stringify(prefixText)} needs a /length`);
  const prefix = parseIp(prefixText.slice(0, slash));
  const prefixLength = Number(prefixText.slice(slash + 1));
  const v6 = prefix.includes(':');
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > (v6 ? 128 : 32)) {
    throw new RangeError(`prefix ${JSON.stringify(prefixText)} has an invalid length`);
  }
  return {
    type: 'ip-prefix',
    routeType: 5,
    rd,
    esi: ZERO_ESI,
    ethernetTag: 0,
    prefix,
    prefixLength,
    gateway: parseIp(v6 ? '::' : '0.0.0.0'),
    label: l3vni,
  };
}

/** The route target `65000:100` (or `10.0.0.1:5`, `4200000000:7`) as an extended community. */
export function routeTargetCommunity(text: string): ExtendedCommunity {
  return parseRouteTarget(text, 'route-target');
}

/**
 * The VNI a route is about (RFC 8365 §5.1.3: the label field carries it; for a Type-3 the PMSI
 * attribute's label, passed as `pmsiLabel`).
 */
export function evpnRouteVni(route: EvpnRoute, pmsiLabel?: number): number | undefined {
  switch (route.type) {
    case 'mac-ip':
      return route.label1;
    case 'ip-prefix':
      return route.label;
    case 'ethernet-ad':
      return route.label;
    case 'inclusive-multicast':
      // VLAN-based service: Ethernet tag 0 and the VNI in the PMSI label; VLAN-aware: the tag.
      return pmsiLabel ?? (route.ethernetTag !== 0 ? route.ethernetTag : undefined);
    default:
      return undefined;
  }
}

/** `10.1.1.0/24` for a Type-5 route. */
export function ipPrefixText(route: IpPrefixRoute): string {
  return `${route.prefix}/${route.prefixLength}`;
}
