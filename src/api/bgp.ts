/**
 * The one translation of BGP state into JSON documents, used by the daemon's HTTP API, the CLI's
 * `show` commands (`--json` prints these as they are) and the web dashboard.
 *
 * Field names follow FRR's `show bgp ... json` where FRR has one, so scripts written for FRR need
 * little change.
 */
import type { BgpSpeaker, FamilyName } from '../bgp/speaker.js';
import { rtMembershipText } from '../bgp/rt-constraint.js';
import type { RibPath } from '../bgp/rib.js';
import { asPathToString } from '../wire/bgp-update.js';
import { extendedCommunityToString } from '../wire/bgp-community.js';
import { formatEvpnRoute, formatRd, type EvpnRoute } from '../wire/evpn.js';
import { evpnRouteVni } from '../evpn/routes.js';

export interface BgpPeerSummary {
  readonly peer: string;
  readonly remoteAs: number;
  readonly description?: string;
  readonly state: string;
  /** Seconds in the current state (Established: uptime). */
  readonly stateSeconds: number;
  readonly msgRcvd: number;
  readonly msgSent: number;
  readonly pfxRcd: Record<string, number>;
  readonly hostname?: string;
  readonly lastError?: string;
}

export interface BgpSummary {
  readonly routerId: string;
  readonly as: number;
  readonly ribCount: Record<FamilyName, number>;
  readonly peers: readonly BgpPeerSummary[];
}

export function bgpSummary(speaker: BgpSpeaker, nowMs: number): BgpSummary {
  const peers = speaker.peerList().map((p): BgpPeerSummary => {
    const s = p.session;
    const n = s.negotiated;
    return {
      peer: p.config.address,
      remoteAs: p.config.remoteAs,
      ...(p.config.description !== undefined ? { description: p.config.description } : {}),
      state: s.state,
      stateSeconds: Math.max(0, Math.floor((nowMs - s.lastChangeAt) / 1000)),
      msgRcvd: s.counters.messagesIn,
      msgSent: s.counters.messagesOut,
      pfxRcd: {
        'l2vpn-evpn': speaker.evpn.count(p.rib.id),
        'ipv4-unicast': speaker.ipv4.count(p.rib.id),
        // RFC 4684 route target memberships the peer advertised (they are not passed on).
        ...(p.rtc ? { 'rt-constraint': p.rtc.received.size } : {}),
      },
      ...(n?.peerHostname ? { hostname: n.peerHostname } : {}),
      ...(p.lastError !== undefined ? { lastError: p.lastError } : {}),
    };
  });
  return {
    routerId: speaker.config.routerId,
    as: speaker.config.localAs,
    ribCount: {
      'l2vpn-evpn': speaker.evpn.size,
      'ipv4-unicast': speaker.ipv4.size,
      'rt-constraint': speaker.peerList().reduce((n, p) => n + (p.rtc?.received.size ?? 0), 0),
    },
    peers,
  };
}

export interface EvpnPathJson {
  readonly best: boolean;
  readonly peer: string;
  readonly nexthop: string;
  readonly asPath: string;
  readonly origin: string;
  readonly localPref: number;
  readonly med: number;
  readonly extendedCommunities: readonly string[];
  readonly stale: boolean;
}

export interface EvpnRouteJson {
  readonly rd: string;
  readonly prefix: string;
  readonly routeType: number;
  readonly vni?: number;
  readonly route: EvpnRoute;
  readonly paths: readonly EvpnPathJson[];
}

export interface EvpnRouteFilter {
  readonly type?: number;
  readonly vni?: number;
  readonly limit?: number;
}

function pathJson(p: RibPath<unknown>, best: boolean): EvpnPathJson {
  return {
    best,
    peer: p.peer.address,
    nexthop: p.attrs.nextHop,
    asPath: asPathToString(p.attrs.asPath),
    origin: p.attrs.origin,
    localPref: p.attrs.localPref,
    med: p.attrs.med,
    extendedCommunities: p.attrs.extendedCommunities.map(extendedCommunityToString),
    stale: p.stale === true,
  };
}

/** `show bgp l2vpn evpn route [type N] [vni V]`. */
export function bgpEvpnRoutes(speaker: BgpSpeaker, filter: EvpnRouteFilter = {}): EvpnRouteJson[] {
  const out: EvpnRouteJson[] = [];
  const limit = filter.limit ?? Number.POSITIVE_INFINITY;
  for (const dest of speaker.evpn.destinations.values()) {
    if (out.length >= limit) break;
    const route = dest.pathAt(0)!.route;
    if (filter.type !== undefined && route.routeType !== filter.type) continue;
    const vni = evpnRouteVni(route, dest.best?.attrs.pmsi?.label);
    if (filter.vni !== undefined && vni !== filter.vni) continue;
    out.push({
      rd: 'rd' in route ? formatRd(route.rd) : '',
      prefix: formatEvpnRoute(route),
      routeType: route.routeType,
      ...(vni !== undefined ? { vni } : {}),
      route,
      paths: dest.paths.map((p) => pathJson(p, p === dest.best)),
    });
  }
  return out;
}

export interface BgpNeighborJson {
  readonly peer: string;
  readonly remoteAs: number;
  readonly localAs: number;
  readonly type: 'internal' | 'external';
  readonly state: string;
  readonly stateSeconds: number;
  readonly routeReflectorClient: boolean;
  readonly remoteRouterId?: string;
  readonly hostname?: string;
  readonly holdTimeSeconds?: number;
  readonly keepaliveSeconds?: number;
  readonly families: readonly string[];
  readonly capabilities: readonly string[];
  readonly gracefulRestart?: { readonly restartTimeSeconds: number };
  readonly counters: Readonly<Record<string, number>>;
  readonly prefixes: Readonly<Record<string, number>>;
  readonly maxPrefix?: number;
  readonly lastError?: string;
  /**
   * RFC 4684, while the session has it: the memberships the peer advertised (what it is sent),
   * ours to it, and whether its EVPN routes still wait for its End-of-RIB.
   */
  readonly routeTargetConstraint?: {
    readonly received: readonly string[];
    readonly advertised: readonly string[];
    readonly waitingForEndOfRib: boolean;
  };
}

/** `show bgp neighbors`. */
export function bgpNeighbors(speaker: BgpSpeaker, nowMs: number): BgpNeighborJson[] {
  return speaker.peerList().map((p) => {
    const s = p.session;
    const n = s.negotiated;
    return {
      peer: p.config.address,
      remoteAs: p.config.remoteAs,
      localAs: speaker.config.localAs,
      type: p.ibgp ? 'internal' : 'external',
      state: s.state,
      stateSeconds: Math.max(0, Math.floor((nowMs - s.lastChangeAt) / 1000)),
      routeReflectorClient: p.config.routeReflectorClient === true,
      ...(n
        ? {
            remoteRouterId: n.peerRouterId,
            holdTimeSeconds: n.holdTimeSeconds,
            keepaliveSeconds: n.keepaliveSeconds,
          }
        : {}),
      ...(n?.peerHostname ? { hostname: n.peerHostname } : {}),
      families: (n?.families ?? []).map((f) =>
        f.afi === 25
          ? 'l2vpn-evpn'
          : f.afi === 1 && f.safi === 1
            ? 'ipv4-unicast'
            : f.afi === 1 && f.safi === 132
              ? 'rt-constraint'
              : `${f.afi}/${f.safi}`,
      ),
      capabilities: (n?.peerCapabilities ?? []).map((c) => c.type),
      ...(n?.peerGracefulRestart
        ? { gracefulRestart: { restartTimeSeconds: n.peerGracefulRestart.restartTimeSeconds } }
        : {}),
      counters: { ...s.counters },
      prefixes: {
        'l2vpn-evpn': speaker.evpn.count(p.rib.id),
        'ipv4-unicast': speaker.ipv4.count(p.rib.id),
        ...(p.rtc ? { 'rt-constraint': p.rtc.received.size } : {}),
      },
      ...(p.config.maxPrefix ? { maxPrefix: p.config.maxPrefix.limit } : {}),
      ...(p.lastError !== undefined ? { lastError: p.lastError } : {}),
      ...(p.rtc
        ? {
            routeTargetConstraint: {
              received: [...p.rtc.received.values()].map(rtMembershipText).sort(),
              advertised: [...p.rtc.advertised.values()].map(rtMembershipText).sort(),
              waitingForEndOfRib: !p.rtc.endOfRibReceived,
            },
          }
        : {}),
    };
  });
}
