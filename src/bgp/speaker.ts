/**
 * A BGP speaker: its peers' sessions, the RIBs, import checks and export rules, sans-IO.
 *
 * Owns: which peer a connection belongs to, turning UPDATEs into RIB changes (RFC 4271 §9, RFC 7606
 * treat-as-withdraw, loop detection, max-prefix), graceful-restart helper behaviour (RFC 4724),
 * route reflection (RFC 4456), and the Adj-RIB-Out: packing changed routes into as few UPDATEs as
 * fit (many NLRI per shared attribute set), End-of-RIB after the initial table.
 *
 * Guarantees: no I/O, no clock reads. Outbound work is done in bounded batches (`flush(now, budget)`)
 * so a driver can yield between them and keepalives are never late.
 */
import type { IpAddress, Ipv4Address } from '../wire/addr.js';
import { ipv4ToNumber, isIpv4 } from '../wire/addr.js';
import { Writer } from '../wire/bytes.js';
import {
  AFI_IPV4,
  AFI_L2VPN,
  BGP_ERR_CEASE,
  CEASE_MAX_PREFIXES,
  SAFI_EVPN,
  SAFI_RT_CONSTRAINT,
  SAFI_UNICAST,
  encodeBgpMessage,
  type BgpMessageOptions,
  type RouteRefreshMessage,
} from '../wire/bgp-message.js';
import {
  endOfRib,
  endOfRibFamily,
  fromTwoOctetAsAttributes,
  getAttribute,
  ipv4PrefixToString,
  missingWellKnownAttributes,
  type AsPathSegment,
  type Ipv4Prefix,
  type MpNlri,
  type RtMembership,
  type PathAttribute,
  type UpdateMessage,
} from '../wire/bgp-update.js';
import {
  PackedMacIpRoute,
  evpnRouteKey,
  writeEvpnNlri,
  type EvpnRoute,
  type RouteDistinguisher,
} from '../wire/evpn.js';
import {
  FamilyRib,
  LOCAL_PEER,
  newEvpnPath,
  summariseAttributes,
  type BestChange,
  type PathAttrs,
  type RibPath,
  type RibPeer,
} from './rib.js';
import { ChangeLog } from './change-log.js';
import {
  NOTHING,
  ownMemberships,
  rtFilter,
  rtFilterAllows,
  rtFilterGrew,
  rtMembershipKey,
  type RtFilter,
} from './rt-constraint.js';
import {
  BgpSession,
  familyKey,
  type AddressFamily,
  type NegotiatedSession,
  type SessionAction,
} from './session.js';

export const FAMILY_IPV4_UNICAST: AddressFamily = { afi: AFI_IPV4, safi: SAFI_UNICAST };
export const FAMILY_L2VPN_EVPN: AddressFamily = { afi: AFI_L2VPN, safi: SAFI_EVPN };

/** RFC 4684 route target membership (route target constraint). */
export const FAMILY_RT_CONSTRAINT: AddressFamily = { afi: AFI_IPV4, safi: SAFI_RT_CONSTRAINT };

export type FamilyName = 'ipv4-unicast' | 'l2vpn-evpn' | 'rt-constraint';
/** The families whose routes the speaker keeps in a RIB and passes on. */
type RoutedFamily = 'ipv4-unicast' | 'l2vpn-evpn';
export const FAMILIES: Readonly<Record<FamilyName, AddressFamily>> = {
  'ipv4-unicast': FAMILY_IPV4_UNICAST,
  'l2vpn-evpn': FAMILY_L2VPN_EVPN,
  'rt-constraint': FAMILY_RT_CONSTRAINT,
};
export interface MaxPrefixConfig {
  readonly limit: number;
  /** Log a warning when this percentage of the limit is reached (default 75, like FRR). */
  readonly warningPercent?: number;
  /** Only warn; never tear the session down. */
  readonly warningOnly?: boolean;
}

export interface PeerConfig {
  readonly address: string;
  readonly remoteAs: number;
  /**
   * The AS this session speaks as, instead of the speaker's (RFC 7705 local-as with `no-prepend
   * replace-as`: only this AS is prepended towards the peer). Lets one device run an eBGP underlay
   * and an iBGP overlay in another AS, as Junos groups and Arista/FRR `local-as` do.
   */
  readonly localAs?: number;
  readonly port?: number;
  readonly localAddress?: string;
  readonly passive?: boolean;
  readonly families?: readonly FamilyName[];
  readonly routeReflectorClient?: boolean;
  readonly holdTimeSeconds?: number;
  readonly keepaliveSeconds?: number;
  readonly connectRetrySeconds?: number;
  readonly gracefulRestartSeconds?: number;
  readonly maxPrefix?: MaxPrefixConfig;
  readonly description?: string;
  /**
   * Do not send this eBGP peer routes whose AS_PATH holds its AS (default true). Turn off for a
   * peer that accepts them anyway (`allowas-in`, as leaves sharing one AS need).
   */
  readonly senderAsPathLoopDetection?: boolean;
}

export interface SpeakerConfig {
  readonly localAs: number;
  readonly routerId: Ipv4Address;
  /** RFC 4456 §7 CLUSTER_ID; defaults to the router id. */
  readonly clusterId?: Ipv4Address;
  readonly hostname?: string;
  /** Maximum UPDATE size we build (RFC 4271: 4096 unless extended messages were negotiated). */
  readonly maxUpdateBytes?: number;
}

export type SpeakerAction =
  | { readonly type: 'connect'; readonly peer: string; readonly port: number; readonly localAddress?: string }
  | { readonly type: 'send'; readonly connection: number; readonly data: Uint8Array }
  | { readonly type: 'close'; readonly connection: number }
  | {
      readonly type: 'log';
      readonly level: 'info' | 'warn';
      readonly peer: string;
      readonly message: string;
    };

/** A change of best path in the Loc-RIB, for consumers such as the EVPN service. */
export type RouteChange =
  | { readonly family: 'ipv4-unicast'; readonly change: BestChange<Ipv4Prefix> }
  | { readonly family: 'l2vpn-evpn'; readonly change: BestChange<EvpnRoute> };

interface FamilyState {
  /** The family's change log, and where this peer reads it next. */
  readonly log: ChangeLog<RibPath<unknown>>;
  cursor: number;
  /** Initial table dump in progress (iterates the Loc-RIB lazily). */
  dump: Iterator<[string, RibPath<unknown> | undefined]> | undefined;
  endOfRibSent: boolean;
  endOfRibReceived: boolean;
  warned: boolean;
  /** Routes to withdraw at the next flush that no change in the log stands for (a narrower RT filter). */
  withdrawLater: unknown[];
}

/** A peer's side of RFC 4684 route target constraint, while the session has the family. */
interface RtConstraintState {
  /** The memberships the peer advertised, by `rtMembershipKey`. */
  readonly received: Map<string, RtMembership>;
  /** What they ask for: the EVPN routes it may be sent. */
  filter: RtFilter;
  /** The memberships we advertised to it, by key, and `membershipsVersion` then. */
  readonly advertised: Map<string, RtMembership>;
  advertisedVersion: number;
  endOfRibSent: boolean;
  /**
   * RFC 4684 §6: EVPN routes wait for the peer's memberships, which End-of-RIB says are all in, or
   * until `deferUntil` (ms) for a peer that sends none (FRR waits 10 s by default too).
   */
  endOfRibReceived: boolean;
  readonly deferUntil: number;
}

/** How long EVPN routes wait for a peer's route target memberships to be complete (ms). */
export const RT_CONSTRAINT_DEFER_MS = 10_000;

interface Peer {
  readonly config: PeerConfig;
  readonly session: BgpSession;
  /** The AS of this session (the speaker's unless the peer has a local-as). */
  readonly localAs: number;
  rib: RibPeer;
  readonly ibgp: boolean;
  readonly families: Map<string, FamilyState>;
  connections: Set<number>;
  localAddress: string | undefined;
  staleDeadline: number | undefined;
  /** Per-UPDATE attribute summaries reused while the same attribute bytes repeat (ingest fast path). */
  lastAttrsSource: readonly PathAttribute[] | undefined;
  lastAttrs: PathAttrs | undefined;
  /** Encoded outbound attribute sets, per source PathAttrs. */
  readonly outAttrCache: WeakMap<PathAttrs, PathAttribute[]>;
  updatesReceived: number;
  lastError: string | undefined;
  /** Set while the session has negotiated route target constraint. */
  rtc: RtConstraintState | undefined;
}

/** How a family's routes are keyed and encoded. */
interface FamilyOps<R> {
  readonly name: RoutedFamily;
  readonly family: AddressFamily;
  key(route: R): string;
  isMacRoute(route: R): boolean;
}

const IPV4_OPS: FamilyOps<Ipv4Prefix> = {
  name: 'ipv4-unicast',
  family: FAMILY_IPV4_UNICAST,
  key: ipv4PrefixToString,
  isMacRoute: () => false,
};

const EVPN_OPS: FamilyOps<EvpnRoute> = {
  name: 'l2vpn-evpn',
  family: FAMILY_L2VPN_EVPN,
  key: evpnRouteKey,
  isMacRoute: (r) => r.type === 'mac-ip',
};

const EVPN_FAMILY_KEY = familyKey(FAMILY_L2VPN_EVPN);

const DEFAULT_MAX_UPDATE = 4096;
const BGP_HEADER = 19;

export class BgpSpeaker {
  readonly config: SpeakerConfig;
  readonly ipv4 = new FamilyRib<Ipv4Prefix>();
  /** Every peer sends its own copy of a route: the RIB keeps one object per route (sameEvpnRoute). */
  readonly evpn = new FamilyRib<EvpnRoute>((r) => r.type === 'mac-ip', sameEvpnRoute, newEvpnPath);
  private readonly peers = new Map<string, Peer>();
  private readonly byConnection = new Map<number, Peer>();
  private nextPeerId = 1;
  private readonly listeners: ((c: RouteChange) => void)[] = [];
  /**
   * Each EVPN route's NLRI encoding, made once and reused for every peer it goes to (a spine sends
   * each route to every leaf). Route objects are never changed once built.
   */
  private readonly evpnNlri = new WeakMap<EvpnRoute, Uint8Array>();
  /** Attribute summaries of locally originated routes, interned by the caller's attribute list. */
  private readonly localAttrs = new WeakMap<readonly PathAttribute[], Map<string, PathAttrs>>();

  /**
   * Which route targets some local EVI or VRF imports; unset, every EVPN route is kept. A device
   * with VNIs (a leaf) keeps only what it imports, as a VPN PE does (RFC 4364 §4.3.2: routes no VRF
   * imports may be discarded; Junos's default, NX-OS without `retain route-target all`): in a fabric
   * of N VNIs spread over groups of leaves that cuts each leaf's Adj-RIB-Ins to its share.
   */
  private evpnImportFilter: ((routeTargets: readonly string[]) => boolean) | undefined;
  /** The route targets `evpnImportFilter` accepts, as a list (undefined: not expressible as one). */
  private evpnImportTargets: readonly string[] | undefined;
  private readonly updateGroups: UpdateGroups = new Map();
  private readonly changeLogs: Record<RoutedFamily, ChangeLog<RibPath<unknown>>> = {
    'ipv4-unicast': new ChangeLog(),
    'l2vpn-evpn': new ChangeLog(),
  };
  /** Peers that are our route-reflector clients: a reflector keeps every route to reflect it. */
  private reflectorClients = 0;
  /** Changes whenever what `wantedMemberships` returns may have changed. */
  private membershipsVersion = 0;

  constructor(config: SpeakerConfig) {
    this.config = config;
  }

  /**
   * Keep only received EVPN routes whose route targets `imports` accepts (Ethernet Segment routes,
   * which carry an ES-Import target instead, are always kept). Not applied on a route reflector.
   */
  setEvpnImportFilter(
    imports: ((routeTargets: readonly string[]) => boolean) | undefined,
    /**
     * The route targets `imports` accepts, listed, for the memberships advertised to peers that
     * negotiated route target constraint (RFC 4684); without a list they are asked for everything.
     */
    importTargets?: readonly string[],
  ): void {
    this.evpnImportFilter = imports;
    this.evpnImportTargets = imports ? importTargets : undefined;
    this.membershipsVersion++;
  }

  get clusterId(): Ipv4Address {
    return this.config.clusterId ?? this.config.routerId;
  }

  onRouteChange(listener: (c: RouteChange) => void): void {
    this.listeners.push(listener);
  }

  // ---- peers --------------------------------------------------------------------------------

  addPeer(config: PeerConfig): void {
    if (this.peers.has(config.address)) throw new Error(`neighbor ${config.address} is configured twice`);
    const families = (config.families ?? ['l2vpn-evpn']).map((f) => FAMILIES[f]);
    const localAs = config.localAs ?? this.config.localAs;
    const session = new BgpSession({
      name: config.address,
      localAs,
      peerAs: config.remoteAs,
      routerId: this.config.routerId,
      families,
      ...(config.holdTimeSeconds !== undefined ? { holdTimeSeconds: config.holdTimeSeconds } : {}),
      ...(config.keepaliveSeconds !== undefined ? { keepaliveSeconds: config.keepaliveSeconds } : {}),
      ...(config.connectRetrySeconds !== undefined
        ? { connectRetrySeconds: config.connectRetrySeconds }
        : {}),
      ...(config.passive !== undefined ? { passive: config.passive } : {}),
      ...(config.gracefulRestartSeconds !== undefined
        ? { gracefulRestartSeconds: config.gracefulRestartSeconds }
        : {}),
      ...(this.config.hostname !== undefined ? { hostname: this.config.hostname } : {}),
    });
    const id = this.nextPeerId++;
    const ibgp = config.remoteAs === localAs;
    if (config.routeReflectorClient === true) {
      this.reflectorClients++;
      this.membershipsVersion++;
    }
    this.peers.set(config.address, {
      config,
      session,
      localAs,
      rib: {
        id,
        address: config.address,
        addressOrder: isIpv4(config.address) ? ipv4ToNumber(config.address) : Number.MAX_SAFE_INTEGER,
        ibgp,
        routerId: '0.0.0.0' as Ipv4Address,
      },
      ibgp,
      families: new Map(),
      connections: new Set(),
      localAddress: undefined,
      staleDeadline: undefined,
      lastAttrsSource: undefined,
      lastAttrs: undefined,
      outAttrCache: new WeakMap(),
      updatesReceived: 0,
      lastError: undefined,
      rtc: undefined,
    });
  }

  peer(address: string): Peer | undefined {
    return this.peers.get(address);
  }

  peerList(): Peer[] {
    return [...this.peers.values()];
  }

  /** Starts every peer (ManualStart). */
  start(now: number): SpeakerAction[] {
    const out: SpeakerAction[] = [];
    for (const p of this.peers.values()) this.apply(p, p.session.start(now), now, out);
    return out;
  }

  stop(now: number, message = ''): SpeakerAction[] {
    const out: SpeakerAction[] = [];
    for (const p of this.peers.values()) this.apply(p, p.session.stop(now, message), now, out);
    return out;
  }

  /** The route to a peer came back (its interface is up): connect now instead of at the next retry. */
  peerReachable(address: string, now: number): SpeakerAction[] {
    const p = this.peers.get(address);
    if (!p) return [];
    const out: SpeakerAction[] = [];
    this.apply(p, p.session.retryNow(now), now, out);
    return out;
  }

  /** Which configured peer an inbound connection from `remoteAddress` belongs to. */
  peerForAddress(remoteAddress: string): string | undefined {
    return this.peers.has(remoteAddress) ? remoteAddress : undefined;
  }

  connectionOpened(
    peerAddress: string,
    connection: number,
    direction: 'outbound' | 'inbound',
    now: number,
    localAddress?: string,
  ): SpeakerAction[] {
    const p = this.peers.get(peerAddress);
    if (!p) return [{ type: 'close', connection }];
    p.connections.add(connection);
    this.byConnection.set(connection, p);
    if (localAddress !== undefined) p.localAddress = localAddress;
    const out: SpeakerAction[] = [];
    this.apply(p, p.session.connectionOpened(connection, direction, now), now, out);
    return out;
  }

  connectFailed(peerAddress: string, now: number, reason: string): SpeakerAction[] {
    const p = this.peers.get(peerAddress);
    if (!p) return [];
    const out: SpeakerAction[] = [];
    this.apply(p, p.session.connectFailed(now, reason), now, out);
    return out;
  }

  received(connection: number, chunk: Uint8Array, now: number): SpeakerAction[] {
    const p = this.byConnection.get(connection);
    if (!p) return [];
    const out: SpeakerAction[] = [];
    this.apply(p, p.session.received(connection, chunk, now), now, out);
    return out;
  }

  /** Input from the peer is queued for `received` (see `BgpSession.inputArrived`). */
  inputArrived(connection: number, now: number): void {
    this.byConnection.get(connection)?.session.inputArrived(connection, now);
  }

  connectionClosed(connection: number, now: number, reason: string): SpeakerAction[] {
    const p = this.byConnection.get(connection);
    if (!p) return [];
    this.byConnection.delete(connection);
    p.connections.delete(connection);
    const out: SpeakerAction[] = [];
    this.apply(p, p.session.connectionClosed(connection, now, reason), now, out);
    return out;
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const p of this.peers.values()) {
      const t = p.session.nextDeadline();
      if (t !== undefined && (next === undefined || t < next)) next = t;
      const s = p.staleDeadline;
      if (s !== undefined && (next === undefined || s < next)) next = s;
      const d = p.rtc && !p.rtc.endOfRibReceived ? p.rtc.deferUntil : undefined;
      if (d !== undefined && (next === undefined || d < next)) next = d;
    }
    return next;
  }

  poll(now: number): SpeakerAction[] {
    const out: SpeakerAction[] = [];
    for (const p of this.peers.values()) {
      if (p.staleDeadline !== undefined && now >= p.staleDeadline) {
        // RFC 4724 §4.2: the peer did not come back in time; its stale routes go.
        p.staleDeadline = undefined;
        out.push({
          type: 'log',
          level: 'warn',
          peer: p.config.address,
          message: 'graceful restart timer expired',
        });
        this.flushStale(p, undefined);
      }
      if (p.rtc && !p.rtc.endOfRibReceived && now >= p.rtc.deferUntil) {
        p.rtc.endOfRibReceived = true;
        out.push({
          type: 'log',
          level: 'warn',
          peer: p.config.address,
          message: `no route target membership End-of-RIB in ${RT_CONSTRAINT_DEFER_MS / 1000} s: sending EVPN routes by the memberships received (${p.rtc.received.size})`,
        });
      }
      this.apply(p, p.session.poll(now), now, out);
    }
    return out;
  }

  /** Administrative reset of one peer (`clear bgp PEER`). */
  resetPeer(address: string, now: number): SpeakerAction[] {
    const p = this.peers.get(address);
    if (!p) return [];
    const out: SpeakerAction[] = [];
    this.apply(p, p.session.reset(now), now, out);
    return out;
  }

  // ---- local routes -------------------------------------------------------------------------

  /**
   * Originates (or replaces) a local route. `attributes` should be a list the caller reuses for
   * routes that share attributes, so they pack into the same UPDATEs.
   */
  originateEvpn(route: EvpnRoute, attributes: readonly PathAttribute[], nextHop: IpAddress): void {
    this.applyChange(
      'l2vpn-evpn',
      this.evpn.update(evpnRouteKey(route), route, LOCAL_PEER, this.internLocal(attributes, nextHop)),
    );
  }

  withdrawEvpn(route: EvpnRoute): void {
    this.applyChange('l2vpn-evpn', this.evpn.withdraw(evpnRouteKey(route), LOCAL_PEER.id));
  }

  originateIpv4(prefix: Ipv4Prefix, attributes: readonly PathAttribute[], nextHop: IpAddress): void {
    this.applyChange(
      'ipv4-unicast',
      this.ipv4.update(ipv4PrefixToString(prefix), prefix, LOCAL_PEER, this.internLocal(attributes, nextHop)),
    );
  }

  withdrawIpv4(prefix: Ipv4Prefix): void {
    this.applyChange('ipv4-unicast', this.ipv4.withdraw(ipv4PrefixToString(prefix), LOCAL_PEER.id));
  }

  private internLocal(attributes: readonly PathAttribute[], nextHop: IpAddress): PathAttrs {
    let byHop = this.localAttrs.get(attributes);
    if (!byHop) {
      byHop = new Map();
      this.localAttrs.set(attributes, byHop);
    }
    let attrs = byHop.get(nextHop);
    if (!attrs) {
      attrs = summariseAttributes(attributes, nextHop);
      byHop.set(nextHop, attrs);
    }
    return attrs;
  }

  // ---- outbound -----------------------------------------------------------------------------

  /** True when some peer has routes or End-of-RIB markers waiting to be sent. */
  hasPendingOutput(): boolean {
    for (const p of this.peers.values()) {
      if (p.session.state !== 'Established') continue;
      if (p.rtc && this.rtcPending(p.rtc)) return true;
      for (const [key, f] of p.families) {
        if (this.heldForMemberships(p, key)) continue;
        if (f.cursor < f.log.end || f.dump || !f.endOfRibSent || f.withdrawLater.length > 0) return true;
      }
    }
    return false;
  }

  /**
   * Builds and sends UPDATEs for at most `budget` routes in all (then call again). Peers that get
   * the same routes with the same outbound attributes share the encoded UPDATEs (update groups, as
   * FRR and GoBGP form them): a spine encodes a leaf's routes once, not once per other leaf.
   */
  flush(now: number, budget = 20_000): SpeakerAction[] {
    const out: SpeakerAction[] = [];
    const groups = this.updateGroups;
    for (const p of this.peers.values()) {
      if (p.session.state !== 'Established' || budget <= 0) continue;
      if (p.rtc && this.rtcPending(p.rtc)) this.flushRtConstraint(p, p.rtc, now, out);
      for (const [key, f] of p.families) {
        if (budget <= 0) break;
        if (this.heldForMemberships(p, key)) continue;
        const ops = key === familyKey(FAMILY_IPV4_UNICAST) ? IPV4_OPS : EVPN_OPS;
        budget -= this.flushFamily(p, f, ops as FamilyOps<unknown>, now, budget, out, groups);
      }
    }
    for (const log of Object.values(this.changeLogs)) {
      let oldest = log.end;
      for (const p of this.peers.values())
        for (const f of p.families.values()) if (f.log === log) oldest = Math.min(oldest, f.cursor);
      log.discardBefore(oldest);
    }
    return out;
  }

  private flushFamily(
    p: Peer,
    f: FamilyState,
    ops: FamilyOps<unknown>,
    now: number,
    budget: number,
    out: SpeakerAction[],
    groups: UpdateGroups,
  ): number {
    const announce = new Map<PathAttrs, unknown[]>();
    const withdraw: unknown[] = [];
    let used = 0;
    const log = f.log;
    const rtc = ops === EVPN_OPS ? p.rtc : undefined;
    const told = rtc
      ? (path: RibPath<unknown>) => this.exportAllowed(path, p) && rtFilterAllows(rtc.filter, path.attrs)
      : (path: RibPath<unknown>) => this.exportAllowed(path, p);
    if (f.withdrawLater.length > 0) {
      for (const route of f.withdrawLater) withdraw.push(route);
      f.withdrawLater = [];
    }
    while (used < budget && f.cursor < log.end) {
      const change = log.at(f.cursor++);
      if (change === undefined) continue;
      used++;
      const best = change.best;
      if (best && told(best)) {
        let list = announce.get(best.attrs);
        if (!list) announce.set(best.attrs, (list = []));
        list.push(best.route);
      } else if (ChangeLog.withdraws(change, told)) {
        // It was best before, and this peer may have been told: a withdrawal.
        withdraw.push(best?.route ?? change.route);
      }
    }
    if (used < budget && f.dump) {
      for (;;) {
        if (used >= budget) break;
        const next = f.dump.next();
        if (next.done) {
          f.dump = undefined;
          break;
        }
        const best = next.value[1];
        if (best && told(best)) {
          let list = announce.get(best.attrs);
          if (!list) announce.set(best.attrs, (list = []));
          list.push(best.route);
        }
        used++;
      }
    }
    const messages: Uint8Array[] = [];
    const options = p.session.messageOptions;
    const maxBytes = options.extendedMessage ? 65535 : (this.config.maxUpdateBytes ?? DEFAULT_MAX_UPDATE);
    if (withdraw.length > 0) this.packWithdrawals(ops, withdraw, maxBytes, options, messages);
    // What makes two peers' UPDATEs for the same routes differ: exportAttributes (iBGP or the AS
    // prepended) and exportNextHop.
    const groupKey =
      `${ops.name} ${p.ibgp} ${p.localAs} ${options.fourOctetAs} ${maxBytes}` +
      (ops.name === 'ipv4-unicast' ? ` ${p.localAddress}` : '');
    let group = groups.get(groupKey);
    if (!group) groups.set(groupKey, (group = new WeakMap()));
    for (const [attrs, routes] of announce) {
      const shared = group.get(attrs);
      if (shared && sameList(shared.routes, routes)) {
        for (const m of shared.messages) messages.push(m);
        continue;
      }
      const first = messages.length;
      this.packAnnouncements(p, ops, attrs, routes, maxBytes, options, messages);
      group.set(attrs, { routes, messages: messages.slice(first) });
    }
    if (!f.endOfRibSent && !f.dump && f.cursor >= log.end) {
      // RFC 4724 §2: End-of-RIB once the initial table has been sent.
      messages.push(encodeBgpMessage(endOfRib(ops.family.afi, ops.family.safi), options));
      f.endOfRibSent = true;
    }
    if (messages.length > 0) {
      for (const a of p.session.sendRaw(messages, now)) if (a.type === 'send') out.push(a);
    }
    return used;
  }

  // ---- route target constraint (RFC 4684) ----------------------------------------------------

  /** The memberships this speaker asks a peer for (see rt-constraint.ts). */
  private wantedMemberships(p: Peer): RtMembership[] {
    const everything = this.evpnImportFilter === undefined || this.reflectorClients > 0;
    return ownMemberships(p.localAs, everything ? undefined : this.evpnImportTargets);
  }

  /** RFC 4684 §6: a peer's EVPN routes wait until its memberships are in (its End-of-RIB). */
  private heldForMemberships(p: Peer, familyKeyText: string): boolean {
    return p.rtc !== undefined && !p.rtc.endOfRibReceived && familyKeyText === EVPN_FAMILY_KEY;
  }

  private rtcPending(rtc: RtConstraintState): boolean {
    return !rtc.endOfRibSent || rtc.advertisedVersion !== this.membershipsVersion;
  }

  /** Sends a peer the memberships we ask for that it has not heard, withdraws the others, then End-of-RIB. */
  private flushRtConstraint(p: Peer, rtc: RtConstraintState, now: number, out: SpeakerAction[]): void {
    const wanted = new Map(this.wantedMemberships(p).map((m) => [rtMembershipKey(m), m]));
    const announce = [...wanted].filter(([k]) => !rtc.advertised.has(k)).map(([, m]) => m);
    const withdraw = [...rtc.advertised].filter(([k]) => !wanted.has(k)).map(([, m]) => m);
    const options = p.session.messageOptions;
    const messages: Uint8Array[] = [];
    // 13 octets at most per membership: a few hundred fit any UPDATE.
    const per = 250;
    for (let i = 0; i < withdraw.length; i += per) {
      const memberships = withdraw.slice(i, i + per);
      const attributes: PathAttribute[] = [
        { type: 'mp-unreach-nlri', ...FAMILY_RT_CONSTRAINT, nlri: { kind: 'rtc', memberships } },
      ];
      messages.push(encodeBgpMessage({ type: 'update', withdrawn: [], attributes, nlri: [] }, options));
    }
    // RFC 4684 §4: ordinary path attributes; the next hop is ours (RFC 4271 §5.1.3): the session's
    // address, or the router id when the session is not over IPv4.
    const local = p.localAddress;
    const nextHop = local !== undefined && isIpv4(local) ? local : this.config.routerId;
    if (announce.length > 0) {
      const base: PathAttribute[] = [
        { type: 'origin', origin: 'igp' },
        { type: 'as-path', segments: p.ibgp ? [] : prependAs([], p.localAs) },
        ...(p.ibgp ? [{ type: 'local-pref', localPref: 100 } as const] : []),
      ];
      for (let i = 0; i < announce.length; i += per) {
        const memberships = announce.slice(i, i + per);
        const attributes: PathAttribute[] = [
          {
            type: 'mp-reach-nlri',
            ...FAMILY_RT_CONSTRAINT,
            nextHop: { kind: 'ip', address: nextHop },
            nlri: { kind: 'rtc', memberships },
          },
          ...base,
        ];
        messages.push(encodeBgpMessage({ type: 'update', withdrawn: [], attributes, nlri: [] }, options));
      }
    }
    rtc.advertised.clear();
    for (const [k, m] of wanted) rtc.advertised.set(k, m);
    rtc.advertisedVersion = this.membershipsVersion;
    if (!rtc.endOfRibSent) {
      messages.push(encodeBgpMessage(endOfRib(FAMILY_RT_CONSTRAINT.afi, FAMILY_RT_CONSTRAINT.safi), options));
      rtc.endOfRibSent = true;
    }
    if (messages.length > 0)
      for (const a of p.session.sendRaw(messages, now)) if (a.type === 'send') out.push(a);
  }

  /**
   * The peer's memberships changed. Once its EVPN routes flow, routes it no longer asks for are
   * withdrawn, and if it asks for more the table is offered again (the ones it already has are sent
   * again, which BGP treats as an implicit replace).
   */
  private rtConstraintChanged(p: Peer, rtc: RtConstraintState): void {
    const previous = rtc.filter;
    rtc.filter = rtFilter(rtc.received.values());
    const f = p.families.get(familyKey(FAMILY_L2VPN_EVPN));
    if (!f || !rtc.endOfRibReceived) return;
    if (rtFilterGrew(rtc.filter, previous)) {
      for (const [, best] of this.evpn.bests()) {
        if (best && this.exportAllowed(best, p) && rtFilterAllows(previous, best.attrs))
          if (!rtFilterAllows(rtc.filter, best.attrs)) f.withdrawLater.push(best.route);
      }
    }
    if (rtFilterGrew(previous, rtc.filter)) f.dump = this.evpn.bests();
  }

  private packWithdrawals(
    ops: FamilyOps<unknown>,
    routes: unknown[],
    maxBytes: number,
    options: BgpMessageOptions,
    messages: Uint8Array[],
  ): void {
    if (ops.name === 'ipv4-unicast') {
      // 23 bytes of fixed UPDATE, at most 5 bytes per prefix.
      const per = Math.floor((maxBytes - 23) / 5);
      for (let i = 0; i < routes.length; i += per) {
        const update: UpdateMessage = {
          type: 'update',
          withdrawn: routes.slice(i, i + per) as Ipv4Prefix[],
          attributes: [],
          nlri: [],
        };
        messages.push(encodeBgpMessage(update, options));
      }
      return;
    }
    // MP_UNREACH: header 19 + 2 + 2 + attribute header (4, extended length) + AFI/SAFI 3.
    const budget = maxBytes - (BGP_HEADER + 4 + 4 + 3);
    for (const chunk of chunkEvpn(routes as EvpnRoute[], budget, this.evpnNlri)) {
      const update: UpdateMessage = {
        type: 'update',
        withdrawn: [],
        attributes: [
          { type: 'mp-unreach-nlri', afi: AFI_L2VPN, safi: SAFI_EVPN, nlri: { kind: 'raw', data: chunk } },
        ],
        nlri: [],
      };
      messages.push(encodeBgpMessage(update, options));
    }
  }

  private packAnnouncements(
    p: Peer,
    ops: FamilyOps<unknown>,
    attrs: PathAttrs,
    routes: unknown[],
    maxBytes: number,
    options: BgpMessageOptions,
    messages: Uint8Array[],
  ): void {
    const outAttrs = this.exportAttributes(p, attrs);
    const nextHop = this.exportNextHop(p, attrs, ops.name);
    if (ops.name === 'ipv4-unicast') {
      const base: PathAttribute[] = [...outAttrs];
      if (!isIpv4(nextHop)) return;
      base.push({ type: 'next-hop', nextHop });
      const fixed = encodeBgpMessage(
        { type: 'update', withdrawn: [], attributes: base, nlri: [] },
        options,
      ).length;
      const per = Math.max(1, Math.floor((maxBytes - fixed) / 5));
      for (let i = 0; i < routes.length; i += per) {
        messages.push(
          encodeBgpMessage(
            {
              type: 'update',
              withdrawn: [],
              attributes: base,
              nlri: routes.slice(i, i + per) as Ipv4Prefix[],
            },
            options,
          ),
        );
      }
      return;
    }
    const empty: PathAttribute = {
      type: 'mp-reach-nlri',
      afi: AFI_L2VPN,
      safi: SAFI_EVPN,
      nextHop: { kind: 'ip', address: nextHop },
      nlri: { kind: 'raw', data: new Uint8Array(0) },
    };
    // Size of the UPDATE without NLRI, +2 in case the MP_REACH needs the extended length form.
    const fixed =
      encodeBgpMessage({ type: 'update', withdrawn: [], attributes: [empty, ...outAttrs], nlri: [] }, options)
        .length + 2;
    for (const chunk of chunkEvpn(routes as EvpnRoute[], maxBytes - fixed, this.evpnNlri)) {
      const attributes: PathAttribute[] = [
        { ...empty, nlri: { kind: 'raw', data: chunk } } as PathAttribute,
        ...outAttrs,
      ];
      messages.push(encodeBgpMessage({ type: 'update', withdrawn: [], attributes, nlri: [] }, options));
    }
  }

  /** RFC 4271 §9.2 and RFC 4456 §6: may the best path be advertised to this peer? */
  private exportAllowed(best: RibPath<unknown>, to: Peer): boolean {
    const from = best.peer;
    if (from.id === to.rib.id) return false;
    if (from.id === LOCAL_PEER.id || !from.ibgp || !to.ibgp) {
      // Sender-side loop detection (IOS XR's default, FRR's `sender-as-path-loop-detection`): an
      // eBGP peer whose AS is in the path drops the route (RFC 4271 §9.1.2), so it is not sent. In
      // a fabric whose spines share an AS this keeps each leaf from sending every route it learnt
      // from one spine to the others, which would only discard them.
      if (
        !to.ibgp &&
        to.config.senderAsPathLoopDetection !== false &&
        asPathContains(best.attrs.asPath, to.config.remoteAs)
      )
        return false;
      return true;
    }
    // iBGP-learned to an iBGP peer: only by reflection. Client routes go to everyone, non-client
    // routes only to clients.
    const fromPeer = this.peerById(from.id);
    const fromClient = fromPeer?.config.routeReflectorClient === true;
    const toClient = to.config.routeReflectorClient === true;
    return fromClient || toClient;
  }

  private peerById(id: number): Peer | undefined {
    for (const p of this.peers.values()) if (p.rib.id === id) return p;
    return undefined;
  }

  /** The attributes sent to `to` for a path (cached per source attribute set). */
  private exportAttributes(to: Peer, attrs: PathAttrs): PathAttribute[] {
    const cached = to.outAttrCache.get(attrs);
    if (cached) return cached;
    const out: PathAttribute[] = [];
    let hasOrigin = false;
    let hasAsPath = false;
    for (const a of attrs.attributes) {
      switch (a.type) {
        case 'origin':
          hasOrigin = true;
          out.push(a);
          break;
        case 'as-path':
          hasAsPath = true;
          out.push(to.ibgp ? a : { type: 'as-path', segments: prependAs(a.segments, to.localAs) });
          break;
        case 'local-pref':
        case 'originator-id':
        case 'cluster-list':
          // Rebuilt below for iBGP; RFC 4271 §5.1.5 / RFC 4456 §8: never sent to eBGP peers.
          break;
        case 'med':
          // RFC 4271 §5.1.4: a MED received from a neighbouring AS is not propagated to other ASes.
          if (to.ibgp) out.push(a);
          break;
        case 'as4-path':
        case 'as4-aggregator':
          break;
        default:
          out.push(a);
      }
    }
    if (!hasOrigin) out.unshift({ type: 'origin', origin: 'igp' });
    if (!hasAsPath) {
      out.splice(1, 0, {
        type: 'as-path',
        segments: to.ibgp ? [] : [{ kind: 'sequence', asns: [to.localAs as never] }],
      });
    }
    if (to.ibgp) {
      out.push({ type: 'local-pref', localPref: attrs.localPref });
      const learntFrom = this.ibgpLearnedFrom.get(attrs);
      if (attrs.originatorId !== undefined || learntFrom !== undefined) {
        // RFC 4456 §8: ORIGINATOR_ID is the router id of the route's originator in the local AS (the
        // client we learnt it from, unless it is already set); CLUSTER_LIST gets our cluster id prepended.
        out.push({ type: 'originator-id', originatorId: attrs.originatorId ?? learntFrom! });
        out.push({ type: 'cluster-list', clusterIds: [this.clusterId, ...attrs.clusterList] });
      }
    }
    out.sort((a, b) => attrOrder(a) - attrOrder(b));
    to.outAttrCache.set(attrs, out);
    return out;
  }

  /** Attribute sets learnt from iBGP peers → that peer's router id (reflection adds RFC 4456 attributes). */
  private readonly ibgpLearnedFrom = new WeakMap<PathAttrs, Ipv4Address>();

  private exportNextHop(to: Peer, attrs: PathAttrs, family: FamilyName): IpAddress {
    // EVPN: the next hop is the VTEP and stays unchanged across eBGP, as fabrics expect (RFC 7938
    // designs; FRR does the same for l2vpn evpn). IPv4 unicast to eBGP: ourselves (RFC 4271 §5.1.3).
    if (family === 'l2vpn-evpn') return attrs.nextHop;
    const unset = attrs.nextHop === '0.0.0.0';
    if ((!to.ibgp || unset) && to.localAddress !== undefined) return to.localAddress as IpAddress;
    return attrs.nextHop;
  }

  // ---- inbound ------------------------------------------------------------------------------

  private apply(p: Peer, actions: readonly SessionAction[], now: number, out: SpeakerAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'connect':
          out.push({
            type: 'connect',
            peer: p.config.address,
            port: p.config.port ?? 179,
            ...(p.config.localAddress !== undefined ? { localAddress: p.config.localAddress } : {}),
          });
          break;
        case 'send':
          out.push(a);
          break;
        case 'close':
          this.byConnection.delete(a.connection);
          p.connections.delete(a.connection);
          out.push(a);
          break;
        case 'state':
          out.push({
            type: 'log',
            level: 'info',
            peer: p.config.address,
            message: `state ${a.from} → ${a.to} (${a.reason})`,
          });
          break;
        case 'established':
          this.onEstablished(p, a.negotiated, now, out);
          break;
        case 'update':
          this.onUpdate(p, a.update, now, out);
          break;
        case 'route-refresh':
          this.onRouteRefresh(p, a.request);
          break;
        case 'down':
          p.lastError = `${a.reason.kind}: ${a.reason.text}`;
          out.push({
            type: 'log',
            level: 'warn',
            peer: p.config.address,
            message: `session down: ${p.lastError}`,
          });
          this.onDown(p, a.reason.kind, now);
          break;
      }
    }
  }

  private onEstablished(p: Peer, n: NegotiatedSession, now: number, out: SpeakerAction[]): void {
    p.rib = { ...p.rib, routerId: n.peerRouterId };
    this.dropFamilies(p);
    for (const fam of n.families) {
      if (familyKey(fam) === familyKey(FAMILY_RT_CONSTRAINT)) {
        p.rtc = {
          received: new Map(),
          filter: NOTHING,
          advertised: new Map(),
          advertisedVersion: -1,
          endOfRibSent: false,
          endOfRibReceived: false,
          deferUntil: now + RT_CONSTRAINT_DEFER_MS,
        };
        continue;
      }
      const evpn = fam.afi === AFI_L2VPN;
      const rib = evpn ? this.evpn : this.ipv4;
      const log = this.changeLogs[evpn ? 'l2vpn-evpn' : 'ipv4-unicast'];
      // The dump sends what the table holds now; the log, what changes from now on.
      p.families.set(familyKey(fam), {
        log,
        cursor: log.addReader(),
        dump: rib.bests(),
        endOfRibSent: false,
        endOfRibReceived: false,
        warned: false,
        withdrawLater: [],
      });
    }
    out.push({
      type: 'log',
      level: 'info',
      peer: p.config.address,
      message: `established: router-id ${n.peerRouterId}, AS ${n.peerAs}, hold ${n.holdTimeSeconds}s, families ${n.families.map(familyKey).join(' ')}`,
    });
  }

  private onDown(p: Peer, kind: string, now: number): void {
    const gr = p.session.negotiated?.peerGracefulRestart ?? this.lastGr.get(p);
    this.dropFamilies(p);
    // RFC 4724 §4.2: if the peer can restart gracefully and the session did not end with a
    // NOTIFICATION, keep its routes as stale until it returns (or the restart time passes).
    if (gr && kind === 'connection-closed' && gr.restartTimeSeconds > 0) {
      for (const c of this.evpn.markStale(p.rib.id)) this.applyChange('l2vpn-evpn', c);
      for (const c of this.ipv4.markStale(p.rib.id)) this.applyChange('ipv4-unicast', c);
      p.staleDeadline = now + gr.restartTimeSeconds * 1000;
      return;
    }
    p.staleDeadline = undefined;
    for (const c of this.evpn.withdrawPeer(p.rib.id)) this.applyChange('l2vpn-evpn', c);
    for (const c of this.ipv4.withdrawPeer(p.rib.id)) this.applyChange('ipv4-unicast', c);
  }

  /**
   * Whether the one peer reading `log` may hear of `change`. A speaker with a single session (a
   * leaf's daemon under a route server, the ingest benchmark) would otherwise log every route that
   * peer sends only to skip it: its own routes are never sent back.
   */
  private concernsSoleReader(log: ChangeLog<RibPath<unknown>>, change: BestChange<unknown>): boolean {
    for (const p of this.peers.values())
      for (const f of p.families.values())
        if (f.log === log)
          return (
            (change.best !== undefined && this.exportAllowed(change.best, p)) ||
            (change.previous !== undefined && this.exportAllowed(change.previous, p))
          );
    return true;
  }

  /** The peer stops reading the change logs (its session went down or starts again). */
  private dropFamilies(p: Peer): void {
    for (const f of p.families.values()) f.log.removeReader();
    p.families.clear();
    p.rtc = undefined;
  }

  private readonly lastGr = new WeakMap<Peer, NonNullable<NegotiatedSession['peerGracefulRestart']>>();

  private flushStale(p: Peer, family: AddressFamily | undefined): void {
    if (!family || family.afi === AFI_L2VPN) {
      for (const c of this.evpn.withdrawPeer(p.rib.id, true)) this.applyChange('l2vpn-evpn', c);
    }
    if (!family || (family.afi === AFI_IPV4 && family.safi === SAFI_UNICAST)) {
      for (const c of this.ipv4.withdrawPeer(p.rib.id, true)) this.applyChange('ipv4-unicast', c);
    }
  }

  private onRouteRefresh(p: Peer, request: RouteRefreshMessage): void {
    // RFC 2918 §4: re-advertise the Adj-RIB-Out of the family.
    const key = familyKey({ afi: request.afi, safi: request.safi });
    if (key === familyKey(FAMILY_RT_CONSTRAINT) && p.rtc) {
      p.rtc.advertised.clear();
      p.rtc.advertisedVersion = -1;
      p.rtc.endOfRibSent = false;
      return;
    }
    const f = p.families.get(key);
    if (!f) return;
    const rib = request.afi === AFI_L2VPN ? this.evpn : this.ipv4;
    f.dump = rib.bests();
    f.endOfRibSent = false;
  }

  private onUpdate(p: Peer, update: UpdateMessage, now: number, out: SpeakerAction[]): void {
    p.updatesReceived++;
    const negotiated = p.session.negotiated;
    if (negotiated?.peerGracefulRestart) this.lastGr.set(p, negotiated.peerGracefulRestart);
    const eor = endOfRibFamily(update);
    if (eor) {
      const f = p.families.get(familyKey(eor));
      if (f) f.endOfRibReceived = true;
      if (p.rtc && familyKey(eor) === familyKey(FAMILY_RT_CONSTRAINT)) p.rtc.endOfRibReceived = true;
      // RFC 4724 §4.2: End-of-RIB from a restarted peer removes whatever is still stale.
      this.flushStale(p, eor);
      if (p.staleDeadline !== undefined && [...p.families.values()].every((x) => x.endOfRibReceived)) {
        p.staleDeadline = undefined;
      }
      return;
    }
    for (const e of update.errors ?? []) {
      out.push({
        type: 'log',
        level: 'warn',
        peer: p.config.address,
        message: `UPDATE error (${e.handling}): ${e.reason}`,
      });
    }
    // Withdrawals first (RFC 4271 §9: withdrawn routes, then new routes).
    for (const prefix of update.withdrawn) {
      this.applyChange('ipv4-unicast', this.ipv4.withdraw(ipv4PrefixToString(prefix), p.rib.id));
    }
    const unreach = getAttribute(update, 'mp-unreach-nlri');
    if (unreach) this.withdrawMp(p, unreach.afi, unreach.nlri);

    const reach = getAttribute(update, 'mp-reach-nlri');
    if (update.nlri.length === 0 && !reach) return;
    let withdrawReason: string | undefined;
    if (update.treatAsWithdraw) withdrawReason = 'RFC 7606 treat-as-withdraw';
    else {
      const missing = missingWellKnownAttributes(update, { ibgp: p.ibgp });
      if (missing.length > 0)
        withdrawReason = `missing well-known attribute(s) ${missing.join(', ')} (RFC 7606 §3 d)`;
    }
    const attrs = withdrawReason ? undefined : this.importAttributes(p, update, reach);
    if (!attrs) {
      withdrawReason ??= 'loop detected';
      for (const prefix of update.nlri)
        this.applyChange('ipv4-unicast', this.ipv4.withdraw(ipv4PrefixToString(prefix), p.rib.id));
      if (reach) this.withdrawMp(p, reach.afi, reach.nlri);
      if (withdrawReason !== 'loop detected') {
        out.push({
          type: 'log',
          level: 'warn',
          peer: p.config.address,
          message: `routes treated as withdrawn: ${withdrawReason}`,
        });
      }
      return;
    }
    const v4 = attrs.v4;
    if (v4 && p.families.has(familyKey(FAMILY_IPV4_UNICAST))) {
      for (const prefix of update.nlri) {
        this.applyChange('ipv4-unicast', this.ipv4.update(ipv4PrefixToString(prefix), prefix, p.rib, v4));
      }
    }
    if (reach && attrs.mp && reach.nlri.kind === 'rtc' && p.rtc) {
      for (const m of reach.nlri.memberships) p.rtc.received.set(rtMembershipKey(m), m);
      this.rtConstraintChanged(p, p.rtc);
    }
    if (reach && attrs.mp && p.families.has(familyKey(reach))) {
      if (reach.nlri.kind === 'evpn') {
        const filter = this.reflectorClients === 0 ? this.evpnImportFilter : undefined;
        const imported = filter === undefined || filter(attrs.mp.routeTargets);
        for (const route of reach.nlri.routes) {
          const key = evpnRouteKey(route);
          if (imported || route.routeType === 4) {
            this.applyChange('l2vpn-evpn', this.evpn.update(key, route, p.rib, attrs.mp));
          } else {
            // No longer imported (its targets changed): an earlier path from this peer goes.
            this.applyChange('l2vpn-evpn', this.evpn.withdraw(key, p.rib.id));
          }
        }
      } else if (reach.nlri.kind === 'ipv4') {
        for (const prefix of reach.nlri.prefixes) {
          this.applyChange(
            'ipv4-unicast',
            this.ipv4.update(ipv4PrefixToString(prefix), prefix, p.rib, attrs.mp),
          );
        }
      }
    }
    this.checkMaxPrefix(p, now, out);
  }

  private withdrawMp(p: Peer, afi: number, nlri: MpNlri): void {
    if (nlri.kind === 'rtc') {
      if (!p.rtc) return;
      for (const m of nlri.memberships) p.rtc.received.delete(rtMembershipKey(m));
      this.rtConstraintChanged(p, p.rtc);
    } else if (nlri.kind === 'evpn' && afi === AFI_L2VPN) {
      for (const route of nlri.routes)
        this.applyChange('l2vpn-evpn', this.evpn.withdraw(evpnRouteKey(route), p.rib.id));
    } else if (nlri.kind === 'ipv4') {
      for (const prefix of nlri.prefixes)
        this.applyChange('ipv4-unicast', this.ipv4.withdraw(ipv4PrefixToString(prefix), p.rib.id));
    }
  }

  /**
   * Loop checks and the attribute summary for an UPDATE's routes; undefined when the routes must be
   * dropped (RFC 4271 §9.1.2 AS loop, RFC 4456 §8 ORIGINATOR_ID / CLUSTER_LIST loop).
   */
  private importAttributes(
    p: Peer,
    update: UpdateMessage,
    reach: ReturnType<typeof getAttribute<'mp-reach-nlri'>>,
  ): { v4: PathAttrs | undefined; mp: PathAttrs | undefined } | undefined {
    const attributes =
      p.session.negotiated?.fourOctetAs === false
        ? fromTwoOctetAsAttributes(update.attributes)
        : update.attributes;
    const asPath = getAttribute({ attributes }, 'as-path');
    if (!p.ibgp && asPath) {
      for (const s of asPath.segments)
        for (const a of s.asns) if (a === this.config.localAs || a === p.localAs) return undefined;
    }
    const originator = getAttribute({ attributes }, 'originator-id');
    if (originator && originator.originatorId === this.config.routerId) return undefined;
    const clusters = getAttribute({ attributes }, 'cluster-list');
    if (clusters && clusters.clusterIds.includes(this.clusterId)) return undefined;
    // Only the summaries this UPDATE's routes need: the one-entry cache in summaryFor then hits on
    // every UPDATE of a table (an MP_REACH-only UPDATE must not evict it with an unused IPv4 summary).
    let v4: PathAttrs | undefined;
    if (update.nlri.length > 0) {
      const nh = getAttribute({ attributes }, 'next-hop');
      v4 = this.summaryFor(p, attributes, (nh?.nextHop ?? '0.0.0.0') as IpAddress);
    }
    let mp: PathAttrs | undefined;
    if (reach && reach.nextHop.kind === 'ip') mp = this.summaryFor(p, attributes, reach.nextHop.address);
    return { v4, mp };
  }

  /** Reuses the summary of the previous UPDATE when its attributes are byte-identical in value. */
  private summaryFor(p: Peer, attributes: readonly PathAttribute[], nextHop: IpAddress): PathAttrs {
    const last = p.lastAttrs;
    if (
      last &&
      last.nextHop === nextHop &&
      p.lastAttrsSource &&
      sameAttributes(p.lastAttrsSource, attributes)
    )
      return last;
    const attrs = summariseAttributes(attributes, nextHop);
    if (p.ibgp) this.ibgpLearnedFrom.set(attrs, p.rib.routerId);
    p.lastAttrs = attrs;
    p.lastAttrsSource = attributes;
    return attrs;
  }

  private checkMaxPrefix(p: Peer, now: number, out: SpeakerAction[]): void {
    const mp = p.config.maxPrefix;
    if (!mp) return;
    for (const [key, f] of p.families) {
      const fam = key === familyKey(FAMILY_L2VPN_EVPN) ? FAMILY_L2VPN_EVPN : FAMILY_IPV4_UNICAST;
      const count = (fam === FAMILY_L2VPN_EVPN ? this.evpn : this.ipv4).count(p.rib.id);
      const warnAt = Math.ceil((mp.limit * (mp.warningPercent ?? 75)) / 100);
      if (!f.warned && count >= warnAt) {
        f.warned = true;
        out.push({
          type: 'log',
          level: 'warn',
          peer: p.config.address,
          message: `${count} ${key} prefixes reached ${mp.warningPercent ?? 75}% of the maximum ${mp.limit}`,
        });
      }
      if (count > mp.limit && !mp.warningOnly) {
        // RFC 4486 §4: Cease/Maximum Number of Prefixes Reached, data = AFI(2) SAFI(1) limit(4).
        const data = new Writer(7).u16(fam.afi).u8(fam.safi).u32(mp.limit).finish();
        out.push({
          type: 'log',
          level: 'warn',
          peer: p.config.address,
          message: `${count} ${key} prefixes exceed the maximum ${mp.limit}: closing the session`,
        });
        this.apply(p, p.session.terminate(now, BGP_ERR_CEASE, CEASE_MAX_PREFIXES, data), now, out);
        return;
      }
    }
  }

  private applyChange(family: 'l2vpn-evpn', change: BestChange<EvpnRoute> | undefined): void;
  private applyChange(family: 'ipv4-unicast', change: BestChange<Ipv4Prefix> | undefined): void;
  private applyChange(family: RoutedFamily, change: BestChange<unknown> | undefined): void {
    if (!change) return;
    // Adj-RIB-Out: each peer reads the change from the log at flush, where the export rules decide
    // whether it hears of it (never an announcement of its own route back, nor a withdrawal of one).
    const log = this.changeLogs[family];
    if (log.readers !== 1 || this.concernsSoleReader(log, change))
      log.append(change.key, change.route, change.best, change.previous);
    if (this.listeners.length > 0) {
      const event = { family, change } as RouteChange;
      for (const l of this.listeners) l(event);
    }
  }
}

function prependAs(segments: readonly AsPathSegment[], asn: number) {
  const first = segments[0];
  if (first && first.kind === 'sequence' && first.asns.length < 255) {
    return [{ kind: 'sequence' as const, asns: [asn as never, ...first.asns] }, ...segments.slice(1)];
  }
  return [{ kind: 'sequence' as const, asns: [asn as never] }, ...segments];
}

const ATTR_ORDER: Record<string, number> = {
  origin: 1,
  'as-path': 2,
  'next-hop': 3,
  med: 4,
  'local-pref': 5,
  'atomic-aggregate': 6,
  aggregator: 7,
  communities: 8,
  'originator-id': 9,
  'cluster-list': 10,
  'mp-reach-nlri': 14,
  'mp-unreach-nlri': 15,
  'extended-communities': 16,
  'pmsi-tunnel': 22,
  'large-communities': 32,
};

function attrOrder(a: PathAttribute): number {
  return a.type === 'unknown' ? a.code : (ATTR_ORDER[a.type] ?? 255);
}

/** Whether `asn` appears anywhere in an AS_PATH (sequences and sets alike). */
function asPathContains(path: readonly AsPathSegment[], asn: number): boolean {
  for (const segment of path) for (const a of segment.asns) if (a === asn) return true;
  return false;
}

/**
 * The last UPDATEs built per peer group (family, iBGP or eBGP, local AS, message options, and for
 * IPv4 the local address that becomes the next hop) and source attribute set, with the routes they
 * carry: a peer whose routes for that attribute set are the same objects in the same order reuses
 * them. Kept from one flush to the next: a flush sends at most its budget of routes, so on a spine
 * each flush serves one or two of the leaves and the next ones get the same routes in a later call.
 * An entry goes when its attribute set does.
 */
type UpdateGroups = Map<string, WeakMap<PathAttrs, { routes: unknown[]; messages: Uint8Array[] }>>;

function sameList(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Cheap equality for consecutive UPDATEs from one peer: same attribute objects or equal values. */
function sameAttributes(a: readonly PathAttribute[], b: readonly PathAttribute[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.type !== y.type) return false;
    if (x.type === 'mp-reach-nlri' || x.type === 'mp-unreach-nlri') continue;
    if (!sameValue(x, y)) return false;
  }
  return true;
}

/** Two decoded EVPN routes are the same (MAC/IP routes, the bulk, compared field by field). */
function sameEvpnRoute(a: EvpnRoute, b: EvpnRoute): boolean {
  if (a instanceof PackedMacIpRoute && b instanceof PackedMacIpRoute) {
    // The key holds RD, Ethernet Tag, MAC and IP; the rest are fields.
    return a.key === b.key && a.esi === b.esi && a.label1 === b.label1 && a.label2 === b.label2;
  }
  if (a.type === 'mac-ip' && b.type === 'mac-ip') {
    return (
      a.mac === b.mac &&
      a.ip === b.ip &&
      a.label1 === b.label1 &&
      a.label2 === b.label2 &&
      a.ethernetTag === b.ethernetTag &&
      a.esi === b.esi &&
      sameRd(a.rd, b.rd)
    );
  }
  return sameValue(a, b);
}

function sameRd(a: RouteDistinguisher, b: RouteDistinguisher): boolean {
  if (a.type === 'unknown' || b.type === 'unknown') return sameValue(a, b);
  return (
    a.type === b.type &&
    a.assigned === b.assigned &&
    (a.type === 1 ? a.ip === (b as typeof a).ip : a.asn === (b as typeof a).asn)
  );
}

/** Structural equality of decoded wire values (plain objects, strings, numbers, byte arrays). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka)
    if (!sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  return true;
}

/** Encodes EVPN routes and groups their bytes into chunks of at most `budget` bytes. */
function chunkEvpn(
  routes: readonly EvpnRoute[],
  budget: number,
  encoded: WeakMap<EvpnRoute, Uint8Array>,
): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  const w = new Writer(Math.min(budget, 65536));
  let start = 0;
  for (const route of routes) {
    const before = w.offset;
    const known = encoded.get(route);
    if (known) w.bytes(known);
    else {
      writeEvpnNlri(w, route);
      encoded.set(route, w.view(before, w.offset).slice());
    }
    if (w.offset - start > budget && before > start) {
      chunks.push(w.view(start, before).slice());
      start = before;
    }
  }
  if (w.offset > start) chunks.push(w.view(start, w.offset).slice());
  return chunks;
}
