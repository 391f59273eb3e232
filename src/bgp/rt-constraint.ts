/**
 * RFC 4684 route target constraint: which EVPN routes a peer asked for, from the route target
 * memberships it advertised (AFI 1 / SAFI 132), and which memberships we advertise.
 *
 * A device that keeps every EVPN route (a spine, a route reflector, a device without VNIs) asks for
 * everything with the default membership, as Junos's `family route-target advertise-default` does on
 * reflectors, and does not pass on its peers' memberships: it only filters what it sends each peer
 * by what that peer asked for. A leaf asks for the route targets its VNIs and VRFs import.
 */
import {
  extendedCommunityFromBytes,
  extendedCommunityToString,
  parseRouteTarget,
} from '../wire/bgp-community.js';
import { extendedCommunityToBytes } from '../wire/bgp-community.js';
import { rtMembership, rtMembershipMatches, type RtMembership } from '../wire/bgp-update.js';
import type { PathAttrs } from './rib.js';

/** What a peer asked for, in the form export checks read. */
export interface RtFilter {
  /** A default membership (or one of origin AS only, prefix length 32): every route target. */
  readonly any: boolean;
  /** Full memberships (prefix length 96), by the route target's display form (`RT:65000:100`). */
  readonly exact: ReadonlySet<string>;
  /** Memberships of a route-target prefix (lengths 33 to 95), matched on the octets. */
  readonly partial: readonly RtMembership[];
}

export const NOTHING: RtFilter = { any: false, exact: new Set(), partial: [] };

/** A membership's identity (RFC 4684 §4: the NLRI is a prefix: its length and significant bits). */
export function rtMembershipKey(m: RtMembership): string {
  if (m.prefixLength === 0) return 'default';
  let hex = '';
  for (const b of m.routeTarget) hex += b.toString(16).padStart(2, '0');
  return `${m.prefixLength}/${m.originAs}/${hex}`;
}

/**
 * A membership as operators read it (GoBGP's form): `default`, `ORIGIN-AS:TARGET` for a full one
 * (`65002:65000:100`), else `ORIGIN-AS:HEX/LENGTH` (the route-target octets the prefix covers).
 */
export function rtMembershipText(m: RtMembership): string {
  if (m.prefixLength === 0) return 'default';
  if (m.prefixLength === 96)
    return `${m.originAs}:${extendedCommunityToString(extendedCommunityFromBytes(m.routeTarget, 0)).replace(/^RT:/, '')}`;
  let hex = '';
  for (const b of m.routeTarget.subarray(0, (m.prefixLength - 32 + 7) >> 3))
    hex += b.toString(16).padStart(2, '0');
  return `${m.originAs}:${hex}/${m.prefixLength}`;
}

/** The filter the memberships a peer advertised make. */
export function rtFilter(memberships: Iterable<RtMembership>): RtFilter {
  let any = false;
  const exact = new Set<string>();
  const partial: RtMembership[] = [];
  for (const m of memberships) {
    if (m.prefixLength <= 32) any = true;
    else if (m.prefixLength === 96)
      exact.add(extendedCommunityToString(extendedCommunityFromBytes(m.routeTarget, 0)));
    else partial.push(m);
  }
  return { any, exact, partial };
}

/**
 * Whether a route with these attributes may go to a peer that asked for `filter`. Routes carrying no
 * route target (an Ethernet Segment route has an ES-Import target instead) are not constrained.
 */
export function rtFilterAllows(filter: RtFilter, attrs: PathAttrs): boolean {
  const targets = attrs.routeTargets;
  if (filter.any || targets.length === 0) return true;
  for (const rt of targets) if (filter.exact.has(rt)) return true;
  if (filter.partial.length > 0) {
    for (const rt of targets) {
      const octets = extendedCommunityToBytes(parseRouteTarget(rt));
      for (const m of filter.partial) if (rtMembershipMatches(m, octets)) return true;
    }
  }
  return false;
}

/** Whether `next` allows some route `previous` did not (the peer must then hear the table again). */
export function rtFilterGrew(previous: RtFilter, next: RtFilter): boolean {
  if (previous.any) return false;
  if (next.any) return true;
  for (const rt of next.exact) if (!previous.exact.has(rt)) return true;
  const before = new Set(previous.partial.map(rtMembershipKey));
  return next.partial.some((m) => !before.has(rtMembershipKey(m)));
}

/**
 * The memberships a speaker advertises: one per imported route target, or the default one when it
 * keeps every route or imports by a rule a route-target prefix cannot express (`imports` undefined:
 * FRR's auto route targets match `*:VNI` in any AS, and the AS is the prefix's leading part).
 */
export function ownMemberships(originAs: number, imports: readonly string[] | undefined): RtMembership[] {
  if (imports === undefined) return [rtMembership(0, undefined)];
  const out = new Map<string, RtMembership>();
  for (const text of imports) {
    const m = rtMembership(originAs, extendedCommunityToBytes(parseRouteTarget(text)));
    out.set(rtMembershipKey(m), m);
  }
  return [...out.values()];
}
