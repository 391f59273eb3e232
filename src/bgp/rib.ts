/**
 * The routing information bases of one speaker: Adj-RIB-In and Loc-RIB per address family, with
 * best-path selection (RFC 4271 §9.1.2, RFC 4456 §9, and RFC 7432 §15 MAC mobility for EVPN).
 *
 * Memory matters (a leaf may hold a million EVPN routes): one table (`RouteTable`) per family from
 * route key to a Destination that holds every peer's path for that route, so Adj-RIB-In and Loc-RIB
 * share their entries. Attributes are summarised once per UPDATE (`PathAttrs`) and shared by all its
 * routes.
 */
import type { IpAddress, Ipv4Address } from '../wire/addr.js';
import { ipToBytes, ipv4ToNumber } from '../wire/addr.js';
import { extendedCommunityToString, type ExtendedCommunity } from '../wire/bgp-community.js';
import {
  asPathLength,
  type AsPathSegment,
  type Origin,
  type PathAttribute,
  type PmsiTunnelAttribute,
} from '../wire/bgp-update.js';
import {
  PackedMacIpRoute,
  type Esi,
  type EvpnRoute,
  type PackedMacIpFactory,
  type RouteDistinguisher,
} from '../wire/evpn.js';
import { RouteTable, routeKeyHash } from './route-table.js';

/** A peer as the RIB sees it. Id 0 is the local speaker (locally originated routes). */
export interface RibPeer {
  readonly id: number;
  readonly address: string;
  /** Numeric form of address for the last tie-break (IPv4 as u32; IPv6 compared as text). */
  readonly addressOrder: number;
  readonly ibgp: boolean;
  readonly routerId: Ipv4Address;
}

export const LOCAL_PEER: RibPeer = {
  id: 0,
  address: 'local',
  addressOrder: -1,
  ibgp: false,
  routerId: '0.0.0.0' as Ipv4Address,
};

/** Attributes of one UPDATE, decoded once and shared by every route it carries. */
export interface PathAttrs {
  /** The attributes to re-advertise (without MP_REACH/MP_UNREACH and NEXT_HOP). */
  readonly attributes: readonly PathAttribute[];
  readonly origin: Origin;
  readonly asPath: readonly AsPathSegment[];
  readonly asPathLength: number;
  /** First AS of the path (the neighbour AS, for MED comparison), 0 if empty. */
  readonly neighborAs: number;
  readonly localPref: number;
  readonly med: number;
  readonly nextHop: IpAddress;
  readonly originatorId?: Ipv4Address;
  readonly clusterList: readonly Ipv4Address[];
  readonly extendedCommunities: readonly ExtendedCommunity[];
  /** Route targets as `RT:asn:value` text, for import matching. */
  readonly routeTargets: readonly string[];
  readonly macMobility?: { readonly sequence: number; readonly sticky: boolean };
  readonly routerMac?: string;
  readonly defaultGateway: boolean;
  readonly pmsi?: PmsiTunnelAttribute;
}

export interface RibPath<R> {
  readonly peer: RibPeer;
  readonly route: R;
  readonly attrs: PathAttrs;
  /**
   * RFC 4724 §4.2: kept from a restarting peer until its End-of-RIB or the restart timer. Absent
   * (not false) on fresh paths, so the common path object has one field fewer.
   */
  stale?: true;
}

/** How a RIB makes a path object (a family may make a leaner one than the plain object). */
export type NewPath<R> = (peer: RibPeer, route: R, attrs: PathAttrs) => RibPath<R>;

function plainPath<R>(peer: RibPeer, route: R, attrs: PathAttrs): RibPath<R> {
  return { peer, route, attrs };
}

/**
 * A path whose route is itself: a packed Type-2 route learned from a peer takes the path's fields, so
 * each route of a table being learned keeps one object besides its key, not a route and a path
 * (memory and GC time at a million routes). Sessions decode Type-2 routes straight into these
 * (`decodedEvpnPath`); the RIB that learns one fills in its peer and attributes. Paths from other
 * peers for the same route are plain paths whose `route` is this object (FamilyRib's `sameRoute`),
 * as with any held route.
 */
class PackedMacIpPath extends PackedMacIpRoute implements RibPath<EvpnRoute> {
  /** Absent on fresh paths, as on plain ones (`RibPath.stale`). */
  declare stale?: true;
  /** Undefined until a RIB learns the route (`newEvpnPath`). */
  peer: RibPeer;
  attrs: PathAttrs;

  constructor(
    key: string,
    rd: RouteDistinguisher,
    esi: Esi,
    label1: number,
    label2: number,
    peer: RibPeer | undefined,
    attrs: PathAttrs | undefined,
  ) {
    super(key, rd, esi, label1, label2);
    this.peer = peer as RibPeer;
    this.attrs = attrs as PathAttrs;
  }

  get route(): EvpnRoute {
    return this;
  }
}

/** How a session decodes Type-2 routes (`compactEvpn`): as paths no RIB has learned yet. */
export const decodedEvpnPath: PackedMacIpFactory = (key, rd, esi, label1, label2) =>
  new PackedMacIpPath(key, rd, esi, label1, label2, undefined, undefined);

/** `NewPath` of the EVPN RIB: a freshly decoded packed Type-2 route becomes its own path. */
export function newEvpnPath(peer: RibPeer, route: EvpnRoute, attrs: PathAttrs): RibPath<EvpnRoute> {
  if (route instanceof PackedMacIpPath) {
    if ((route.peer as RibPeer | undefined) === undefined) {
      route.peer = peer;
      route.attrs = attrs;
      return route;
    }
  } else if (route instanceof PackedMacIpRoute) {
    return new PackedMacIpPath(route.key, route.rd, route.esi, route.label1, route.label2 ?? -1, peer, attrs);
  }
  return { peer, route, attrs };
}

/** A destination (prefix or EVPN route key) and its paths, as shown to readers (API, tests). */
export interface Destination<R> {
  readonly key: string;
  readonly best: RibPath<R> | undefined;
  /** Every path (a fresh array). */
  readonly paths: readonly RibPath<R>[];
  pathAt(i: number): RibPath<R> | undefined;
}

/** Two or more paths for one destination (the rare case: most have exactly one). */
class MultiPath<R> {
  constructor(
    public paths: RibPath<R>[],
    public best: RibPath<R> | undefined,
  ) {}
}

/**
 * What the table holds per destination: the path itself when it is the only one (no wrapper object:
 * RIB memory per route matters at millions of routes), a MultiPath otherwise.
 */
type Slot<R> = RibPath<R> | MultiPath<R>;

function view<R>(key: string, slot: Slot<R>): Destination<R> {
  if (slot instanceof MultiPath) {
    const paths = slot.paths;
    return { key, best: slot.best, paths: [...paths], pathAt: (i) => paths[i] };
  }
  return { key, best: slot, paths: [slot], pathAt: (i) => (i === 0 ? slot : undefined) };
}

/** Read access to a RIB's destinations, Map-like (views are built on demand). */
export class DestinationTable<R> {
  constructor(private readonly table: RouteTable<Slot<R>>) {}

  get size(): number {
    return this.table.size;
  }

  get(key: string): Destination<R> | undefined {
    const slot = this.table.get(key);
    return slot === undefined ? undefined : view(key, slot);
  }

  *values(): IterableIterator<Destination<R>> {
    for (const [key, slot] of this.table) yield view(key, slot);
  }

  *entries(): IterableIterator<[string, Destination<R>]> {
    for (const [key, slot] of this.table) yield [key, view(key, slot)];
  }
}

export const DEFAULT_LOCAL_PREF = 100;

const ORIGIN_RANK: Readonly<Record<Origin, number>> = { igp: 0, egp: 1, incomplete: 2 };

/** Summarises an attribute list (as received, with AS4 merged) for selection and re-advertisement. */
export function summariseAttributes(attributes: readonly PathAttribute[], nextHop: IpAddress): PathAttrs {
  let origin: Origin = 'incomplete';
  let asPath: readonly AsPathSegment[] = [];
  let localPref = DEFAULT_LOCAL_PREF;
  let med = 0;
  let originatorId: Ipv4Address | undefined;
  let clusterList: readonly Ipv4Address[] = [];
  let extendedCommunities: readonly ExtendedCommunity[] = [];
  let pmsi: PmsiTunnelAttribute | undefined;
  const kept: PathAttribute[] = [];
  for (const a of attributes) {
    switch (a.type) {
      case 'mp-reach-nlri':
      case 'mp-unreach-nlri':
      case 'next-hop':
        continue;
      case 'origin':
        origin = a.origin;
        break;
      case 'as-path':
        asPath = a.segments;
        break;
      case 'local-pref':
        localPref = a.localPref;
        break;
      case 'med':
        med = a.med;
        break;
      case 'originator-id':
        originatorId = a.originatorId;
        break;
      case 'cluster-list':
        clusterList = a.clusterIds;
        break;
      case 'extended-communities':
        extendedCommunities = a.communities;
        break;
      case 'pmsi-tunnel':
        pmsi = a;
        break;
      default:
        break;
    }
    kept.push(a);
  }
  const routeTargets: string[] = [];
  let macMobility: PathAttrs['macMobility'];
  let routerMac: string | undefined;
  let defaultGateway = false;
  for (const c of extendedCommunities) {
    if (c.kind === 'route-target') routeTargets.push(extendedCommunityToString(c));
    else if (c.kind === 'mac-mobility') macMobility = { sequence: c.sequence, sticky: c.sticky };
    else if (c.kind === 'router-mac') routerMac = c.mac;
    else if (c.kind === 'default-gateway') defaultGateway = true;
  }
  const first = asPath.find((s) => s.kind === 'sequence' || s.kind === 'set');
  return {
    attributes: kept,
    origin,
    asPath,
    asPathLength: asPathLength(asPath),
    neighborAs: first?.asns[0] ?? 0,
    localPref,
    med,
    nextHop,
    ...(originatorId !== undefined ? { originatorId } : {}),
    clusterList,
    extendedCommunities,
    routeTargets,
    ...(macMobility ? { macMobility } : {}),
    ...(routerMac !== undefined ? { routerMac } : {}),
    defaultGateway,
    ...(pmsi ? { pmsi } : {}),
  };
}

/** Why one path beat another, named like GoBGP's BestPathReason / FRR's "bestpath reason". */
export type BestPathReason =
  | 'only-path'
  | 'mac-mobility-sticky'
  | 'mac-mobility-sequence'
  | 'mac-mobility-lower-vtep'
  | 'local-pref'
  | 'local-origin'
  | 'as-path-length'
  | 'origin'
  | 'med'
  | 'ebgp-over-ibgp'
  | 'router-id'
  | 'cluster-list-length'
  | 'peer-address'
  | 'not-stale';

export interface Comparison {
  /** Negative when a is better, positive when b is better. */
  readonly order: number;
  readonly reason: BestPathReason;
}

/** Dotted-quad text (already valid) as a number, without allocating: next hops compare per route. */
function dottedOrder(a: string): number {
  let n = 0;
  let octet = 0;
  for (let i = 0; i < a.length; i++) {
    const c = a.charCodeAt(i);
    if (c !== 46) octet = octet * 10 + c - 48;
    else {
      n = n * 256 + octet;
      octet = 0;
    }
  }
  return n * 256 + octet;
}

function compareIp(a: IpAddress, b: IpAddress): number {
  if (a.indexOf(':') < 0 && b.indexOf(':') < 0) return dottedOrder(a) - dottedOrder(b);
  const x = ipToBytes(a);
  const y = ipToBytes(b);
  if (x.length !== y.length) return x.length - y.length;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/**
 * Compares two paths for the same destination. `macRoute` enables RFC 7432 §15 MAC mobility rules
 * for Type-2 routes, which come before the BGP decision process.
 */
export function comparePaths<R>(a: RibPath<R>, b: RibPath<R>, macRoute: boolean): Comparison {
  if (macRoute) {
    const ma = a.attrs.macMobility;
    const mb = b.attrs.macMobility;
    // RFC 7432 §15.2: a sticky (static) MAC is preferred over a moving one.
    const sa = ma?.sticky === true;
    const sb = mb?.sticky === true;
    if (sa !== sb) return { order: sa ? -1 : 1, reason: 'mac-mobility-sticky' };
    // RFC 7432 §15.1: the highest sequence number wins (no MAC Mobility community = sequence 0).
    const qa = ma?.sequence ?? 0;
    const qb = mb?.sequence ?? 0;
    if (qa !== qb) return { order: qb - qa > 0 ? 1 : -1, reason: 'mac-mobility-sequence' };
    // RFC 7432 §15.1: equal sequence numbers from different PEs: the lowest PE (VTEP) IP address wins.
    if (a.peer.id !== b.peer.id) {
      const c = compareIp(a.attrs.nextHop, b.attrs.nextHop);
      if (c !== 0) return { order: c, reason: 'mac-mobility-lower-vtep' };
    }
  }
  // RFC 4724 §4.2: fresh paths are preferred over stale ones.
  if (a.stale !== b.stale) return { order: a.stale === true ? 1 : -1, reason: 'not-stale' };
  // RFC 4271 §9.1.1: the degree of preference (LOCAL_PREF; eBGP routes count the default).
  const la = a.peer.ibgp || a.peer.id === 0 ? a.attrs.localPref : DEFAULT_LOCAL_PREF;
  const lb = b.peer.ibgp || b.peer.id === 0 ? b.attrs.localPref : DEFAULT_LOCAL_PREF;
  if (la !== lb) return { order: lb - la, reason: 'local-pref' };
  // Locally originated routes first (FRR: weight/local route).
  if ((a.peer.id === 0) !== (b.peer.id === 0))
    return { order: a.peer.id === 0 ? -1 : 1, reason: 'local-origin' };
  // RFC 4271 §9.1.2.2 a) shortest AS_PATH.
  if (a.attrs.asPathLength !== b.attrs.asPathLength) {
    return { order: a.attrs.asPathLength - b.attrs.asPathLength, reason: 'as-path-length' };
  }
  // b) lowest ORIGIN.
  const oa = ORIGIN_RANK[a.attrs.origin];
  const ob = ORIGIN_RANK[b.attrs.origin];
  if (oa !== ob) return { order: oa - ob, reason: 'origin' };
  // c) lowest MED, among routes from the same neighbouring AS.
  if (a.attrs.neighborAs === b.attrs.neighborAs && a.attrs.med !== b.attrs.med) {
    return { order: a.attrs.med < b.attrs.med ? -1 : 1, reason: 'med' };
  }
  // d) eBGP over iBGP.
  if (a.peer.ibgp !== b.peer.ibgp) return { order: a.peer.ibgp ? 1 : -1, reason: 'ebgp-over-ibgp' };
  // f) lowest BGP Identifier; RFC 4456 §9: the ORIGINATOR_ID stands in for it when present.
  const ra = ipv4ToNumber(a.attrs.originatorId ?? a.peer.routerId);
  const rb = ipv4ToNumber(b.attrs.originatorId ?? b.peer.routerId);
  if (ra !== rb) return { order: ra < rb ? -1 : 1, reason: 'router-id' };
  // RFC 4456 §9: shortest CLUSTER_LIST.
  if (a.attrs.clusterList.length !== b.attrs.clusterList.length) {
    return { order: a.attrs.clusterList.length - b.attrs.clusterList.length, reason: 'cluster-list-length' };
  }
  // g) lowest peer address.
  if (a.peer.addressOrder !== b.peer.addressOrder) {
    return { order: a.peer.addressOrder < b.peer.addressOrder ? -1 : 1, reason: 'peer-address' };
  }
  return {
    order: a.peer.address < b.peer.address ? -1 : a.peer.address > b.peer.address ? 1 : 0,
    reason: 'peer-address',
  };
}

/** What a RIB change did to the destination's best path. */
export interface BestChange<R> {
  readonly key: string;
  readonly route: R;
  readonly previous: RibPath<R> | undefined;
  readonly best: RibPath<R> | undefined;
}

/** Steps of the decision process after which equal paths count as equal-cost (multipath). */
const TIE_BREAKS: ReadonlySet<BestPathReason> = new Set(['router-id', 'cluster-list-length', 'peer-address']);

/** Adj-RIB-In + Loc-RIB of one address family. */
export class FamilyRib<R> {
  private readonly table = new RouteTable<Slot<R>>();
  readonly destinations = new DestinationTable<R>(this.table);
  /** Routes held per peer id (for max-prefix and `show bgp summary`); ids are small integers. */
  private readonly counts: number[] = [];
  /** Peers whose paths markStale flagged (End-of-RIB scans the table only for these). */
  private readonly stalePeers = new Set<number>();
  private readonly macRoute: (route: R) => boolean;
  /** Called with a destination's key whenever its set of paths changes, best or not (ECMP installers). */
  private pathWatcher: ((key: string) => void) | undefined;

  /**
   * `sameRoute(held, received)`: a received route equal to the one held for its key is replaced by
   * the held object, so paths from several peers (a leaf hears each route from every spine) share one.
   * `newPath` makes path objects (`newEvpnPath` for EVPN).
   */
  constructor(
    macRoute: (route: R) => boolean = () => false,
    private readonly sameRoute: (held: R, received: R) => boolean = () => false,
    private readonly newPath: NewPath<R> = plainPath,
  ) {
    this.macRoute = macRoute;
  }

  get size(): number {
    return this.table.size;
  }

  /** The best path of a destination (the hot lookup of update generation). */
  best(key: string): RibPath<R> | undefined {
    const slot = this.table.get(key);
    return slot instanceof MultiPath ? slot.best : slot;
  }

  /**
   * The key and best path of every destination held when called, without building views (table
   * dumps to peers). Destinations added later are not visited: a peer hears of them as changes, so a
   * dump begun as a table arrives does not chase it.
   */
  bests(): IterableIterator<[string, RibPath<R> | undefined]> {
    // Counted now: a generator's body (and so its count) would only start at the first `next`.
    return this.firstBests(this.table.size);
  }

  private *firstBests(count: number): IterableIterator<[string, RibPath<R> | undefined]> {
    let left = count;
    for (const [key, slot] of this.table) {
      // Insertion order: once as many as were held have been seen, the rest came later (a deleted
      // one only makes the dump also visit a newer one, which is harmless).
      if (left-- === 0) return;
      yield [key, slot instanceof MultiPath ? slot.best : slot];
    }
  }

  /**
   * Watches every change to any destination's paths, including non-best ones: a multipath (ECMP)
   * installer needs to hear of a second equal path, which does not change the best.
   */
  watchPaths(watcher: (key: string) => void): void {
    const previous = this.pathWatcher;
    this.pathWatcher = previous
      ? (key) => {
          previous(key);
          watcher(key);
        }
      : watcher;
  }

  /**
   * The best path and every other path equal to it up to the router-id tie-break (RFC 4271 §9.1.2.2
   * f): the ECMP set, as FRR selects it with `bgp bestpath as-path multipath-relax` (paths from
   * different neighbour ASes qualify when their AS_PATH lengths are equal, as RFC 7938 §6.3 needs).
   */
  multipath(key: string): RibPath<R>[] {
    const slot = this.table.get(key);
    if (slot === undefined) return [];
    if (!(slot instanceof MultiPath)) return [slot];
    const best = slot.best;
    if (!best) return [];
    const mac = this.macRoute(best.route);
    return slot.paths.filter((p) => {
      if (p === best) return true;
      if (p.stale !== best.stale) return false;
      const c = comparePaths(p, best, mac);
      return c.order === 0 || TIE_BREAKS.has(c.reason);
    });
  }

  private bump(peerId: number, by: number): void {
    this.counts[peerId] = (this.counts[peerId] ?? 0) + by;
  }

  /** Adds or replaces `peer`'s path for `key`; returns the best-path change, if any. */
  update(key: string, route: R, peer: RibPeer, attrs: PathAttrs): BestChange<R> | undefined {
    const change = this.updatePaths(key, route, peer, attrs);
    if (this.pathWatcher) this.pathWatcher(key);
    return change;
  }

  private updatePaths(key: string, received: R, peer: RibPeer, attrs: PathAttrs): BestChange<R> | undefined {
    // One probe finds the key or the place to add it (a table being learned is all new keys).
    const hash = routeKeyHash(key);
    const entry = this.table.lookup(key, hash);
    if (entry < 0) {
      const path = this.newPath(peer, received, attrs);
      this.table.insertAt(entry, key, hash, path);
      this.bump(peer.id, 1);
      return { key, route: path.route, previous: undefined, best: path };
    }
    const slot = this.table.valueAt(entry);
    const held = (slot instanceof MultiPath ? slot.paths[0]! : slot).route;
    const route = this.sameRoute(held, received) ? held : received;
    const path = this.newPath(peer, route, attrs);
    if (!(slot instanceof MultiPath)) {
      if (slot.peer.id === peer.id) {
        // A replaced path object from the same peer is a change even if the peer stays best.
        this.table.setAt(entry, path);
        return { key, route: path.route, previous: slot, best: path };
      }
      this.bump(peer.id, 1);
      const multi = new MultiPath([slot, path], slot);
      this.table.setAt(entry, multi);
      return this.reselect(key, multi, route);
    }
    const i = slot.paths.findIndex((p) => p.peer.id === peer.id);
    if (i >= 0) {
      slot.paths[i] = path;
      return this.reselect(key, slot, route);
    }
    // A new array of exactly the paths: `push` would leave room for 16 more in every route a
    // leaf learns from each of its spines (megabytes per leaf in a data-center-sized lab).
    slot.paths = slot.paths.concat(path);
    this.bump(peer.id, 1);
    // `reselect` scans the paths in order and the best is always its result; with one more path at
    // the end the same scan ends comparing that path with the best of the others. So only that one
    // comparison is made (not a rescan: a leaf adds each route's paths from its spines one by one).
    const previous = slot.best!;
    if (comparePaths(path, previous, this.macRoute(route)).order >= 0) return undefined;
    slot.best = path;
    return { key, route: path.route, previous, best: path };
  }

  /** Removes `peer`'s path for `key`. */
  withdraw(key: string, peerId: number): BestChange<R> | undefined {
    const before = this.pathWatcher ? this.count(peerId) : 0;
    const change = this.withdrawPath(key, peerId);
    if (this.pathWatcher && this.count(peerId) !== before) this.pathWatcher(key);
    return change;
  }

  private withdrawPath(key: string, peerId: number): BestChange<R> | undefined {
    const entry = this.table.lookup(key, routeKeyHash(key));
    if (entry < 0) return undefined;
    const slot = this.table.valueAt(entry);
    if (!(slot instanceof MultiPath)) {
      if (slot.peer.id !== peerId) return undefined;
      this.table.deleteAt(entry);
      this.bump(peerId, -1);
      return { key, route: slot.route, previous: slot, best: undefined };
    }
    const i = slot.paths.findIndex((p) => p.peer.id === peerId);
    if (i < 0) return undefined;
    const [removed] = slot.paths.splice(i, 1);
    this.bump(peerId, -1);
    if (slot.paths.length === 1) {
      const only = slot.paths[0]!;
      this.table.setAt(entry, only);
      return only === slot.best ? undefined : { key, route: only.route, previous: slot.best, best: only };
    }
    return this.reselect(key, slot, removed!.route);
  }

  /** Removes every path of a peer (session down without graceful restart). */
  withdrawPeer(peerId: number, onlyStale = false): BestChange<R>[] {
    const changes: BestChange<R>[] = [];
    if (onlyStale && !this.stalePeers.has(peerId)) return changes;
    this.stalePeers.delete(peerId);
    if (this.count(peerId) === 0) return changes;
    for (const [key, slot] of [...this.table]) {
      const path =
        slot instanceof MultiPath
          ? slot.paths.find((p) => p.peer.id === peerId)
          : slot.peer.id === peerId
            ? slot
            : undefined;
      if (!path || (onlyStale && !path.stale)) continue;
      const c = this.withdraw(key, peerId);
      if (c) changes.push(c);
    }
    return changes;
  }

  /** RFC 4724 §4.2: marks every path of a restarting peer stale; they are kept but lose ties. */
  markStale(peerId: number): BestChange<R>[] {
    const changes: BestChange<R>[] = [];
    if (this.count(peerId) === 0) return changes;
    this.stalePeers.add(peerId);
    for (const [key, slot] of this.table) {
      if (!(slot instanceof MultiPath)) {
        if (slot.peer.id === peerId) slot.stale = true;
        continue;
      }
      const path = slot.paths.find((p) => p.peer.id === peerId);
      if (!path) continue;
      path.stale = true;
      if (this.pathWatcher) this.pathWatcher(key);
      const c = this.reselect(key, slot, path.route);
      if (c) changes.push(c);
    }
    return changes;
  }

  count(peerId: number): number {
    return this.counts[peerId] ?? 0;
  }

  private reselect(key: string, dest: MultiPath<R>, route: R): BestChange<R> | undefined {
    const previous = dest.best;
    const mac = this.macRoute(route);
    let best = dest.paths[0];
    for (let i = 1; i < dest.paths.length; i++) {
      const p = dest.paths[i]!;
      if (comparePaths(p, best!, mac).order < 0) best = p;
    }
    dest.best = best;
    if (best === previous) return undefined;
    return { key, route: best?.route ?? route, previous, best };
  }
}
