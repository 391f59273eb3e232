/**
 * The EVPN service of one device (RFC 7432, RFC 8365 VXLAN, RFC 9135/9136 routing), on top of the
 * BGP speaker, sans-IO.
 *
 * Owns: per-VNI EVIs with auto-derived RD (router-id:EVI) and route targets (AS:VNI, FRR's
 * convention), route-target import/export, origination of Type-2 (local MACs, MAC+IP), Type-3
 * (flood list membership, PMSI ingress replication) and Type-5 (VRF prefixes), and MAC mobility
 * across originators (RFC 7432 §15: sticky wins, then the highest sequence, then the lowest VTEP).
 *
 * Emits a stream of events the data plane consumes: where a remote MAC lives, which VTEPs are in a
 * VNI's flood list, which IP↔MAC bindings are known (ARP/ND suppression), which prefixes a VRF
 * reaches through which VTEP and router MAC, and when a locally learnt MAC moved elsewhere.
 *
 * Guarantees: several originators may advertise the same thing (an M-LAG pair: one route per RD,
 * the same anycast next hop), so a flood-list VTEP, an IP↔MAC binding or a VRF route stays while
 * any route holds it and is removed when the last one goes. Paths whose next hop (Type-3: PMSI
 * tunnel id) is one of our own VTEP addresses (`vtepIp`, `ownVtepIp`) are our M-LAG peer's view of
 * what we reach locally: they never become remote state.
 */
import type { BgpSpeaker, RouteChange } from '../bgp/speaker.js';
import type { RibPath } from '../bgp/rib.js';
import type { IpAddress, Ipv4Address, Mac } from '../wire/addr.js';
import type { ExtendedCommunity } from '../wire/bgp-community.js';
import { BGP_ENCAP_TYPE_VXLAN } from '../wire/bgp-community.js';
import { PMSI_TUNNEL_TYPE_INGRESS_REPLICATION, type PathAttribute } from '../wire/bgp-update.js';
import { parseRd, type EvpnRoute, type RouteDistinguisher } from '../wire/evpn.js';
import type { VniConfig, VrfConfig } from './config.js';
import {
  inclusiveMulticastRoute,
  ipPrefixRoute,
  ipPrefixText,
  macIpRoute,
  routeTargetCommunity,
} from './routes.js';

export interface EvpnConfig {
  readonly routerId: Ipv4Address;
  readonly asn: number;
  /**
   * The next hop of our routes and the tunnel id of our Type-3s; on an M-LAG device the pair's shared
   * (anycast) virtual VTEP, which both devices advertise.
   */
  readonly vtepIp: IpAddress;
  /**
   * An M-LAG device's own VTEP address, the next hop of its single-homed MACs (`addLocalMac`'s
   * `vtep`). Paths with this next hop are ours, like `vtepIp` ones (the pair's other device has its
   * own `ownVtepIp`, which is remote to us).
   */
  readonly ownVtepIp?: IpAddress;
  readonly vnis: readonly VniConfig[];
  readonly vrfs: readonly VrfConfig[];
  /**
   * Keep every received EVPN route in the RIB, imported or not (NX-OS `retain route-target all`).
   * By default a device with VNIs or VRFs keeps only the routes one of them imports.
   */
  readonly retainAllRoutes?: boolean;
}

export type EvpnEvent =
  /** The winning location of a MAC in a VNI changed (add = now at `vtep`; remove = no remote owner). */
  | {
      readonly type: 'remote-mac';
      readonly action: 'add' | 'remove';
      readonly vni: number;
      readonly mac: Mac;
      readonly vtep: IpAddress;
      readonly sequence: number;
      readonly sticky: boolean;
    }
  /** An IP↔MAC binding from a Type-2 MAC+IP route, for ARP/ND suppression and host routes. */
  | {
      readonly type: 'remote-neighbor';
      readonly action: 'add' | 'remove';
      readonly vni: number;
      readonly ip: IpAddress;
      readonly mac: Mac;
      readonly vtep: IpAddress;
      readonly l3vni?: number;
      readonly routerMac?: Mac;
    }
  /** VTEP joined/left a VNI's flood list (Type-3 with PMSI ingress replication). */
  | {
      readonly type: 'flood-vtep';
      readonly action: 'add' | 'remove';
      readonly vni: number;
      readonly vtep: IpAddress;
    }
  /** A Type-5 prefix reachable in a VRF (by its L3VNI) through `vtep` with router MAC `routerMac`. */
  | {
      readonly type: 'remote-prefix';
      readonly action: 'add' | 'remove';
      readonly l3vni: number;
      readonly prefix: string;
      readonly vtep: IpAddress;
      readonly routerMac?: Mac;
    }
  /** A MAC we learnt locally is now owned elsewhere with a higher sequence (it moved): forget it locally. */
  | {
      readonly type: 'local-mac-moved';
      readonly vni: number;
      readonly mac: Mac;
      readonly vtep: IpAddress;
      readonly sequence: number;
    };

export interface Evi {
  readonly vni: number;
  readonly evi: number;
  readonly rd: RouteDistinguisher;
  readonly rdText: string;
  readonly importTargets: readonly string[];
  readonly exportTargets: readonly string[];
  readonly importAuto: boolean;
  /** Attributes shared by this EVI's Type-3 route and its MAC routes without mobility. */
  readonly exportAttributes: readonly PathAttribute[];
  /** The remote VTEPs of the VNI's flood list (each held by one or more Type-3 routes). */
  readonly floodList: Set<IpAddress>;
  /** Symmetric IRB: the VRF whose L3VNI and router MAC this VNI's MAC+IP routes carry. */
  readonly irb?: { readonly l3vni: number; readonly targets: readonly string[]; readonly routerMac: Mac };
}

interface MacCandidate {
  readonly vtep: IpAddress;
  readonly sequence: number;
  readonly sticky: boolean;
}

interface LocalMac {
  /** The next hop we advertise the MAC with (`vtepIp`, or `ownVtepIp` for a single-homed MAC). */
  vtep: IpAddress;
  sequence: number;
  sticky: boolean;
  readonly ips: Set<IpAddress>;
}

interface MacState {
  /**
   * Candidates per route key (one per originating RD), including those at our own VTEPs (our M-LAG
   * peer's), which take part in the selection but are never announced as remote.
   */
  readonly remote: FewMap<string, MacCandidate>;
  local: LocalMac | undefined;
  /** The remote owner last announced to the data plane. */
  announced: MacCandidate | undefined;
}

export interface LocalMacOptions {
  /** RFC 7432 §15.2: a static MAC, advertised sticky (it never moves away). */
  readonly sticky?: boolean;
  /**
   * The next hop to advertise the MAC with (default `config.vtepIp`): an M-LAG device advertises
   * its single-homed MACs with its own VTEP, `config.ownVtepIp`.
   */
  readonly vtep?: IpAddress;
}

/**
 * One thing the data plane was told (a flood-list VTEP, an IP↔MAC binding, a VRF route) and the
 * routes, by key, that hold it now, in the order they last changed (newest last).
 */
interface Held<V> {
  readonly routes: FewMap<string, V>;
  shown: V | undefined;
}

/** What a route contributes to one held thing: `id` names the thing, `value` is what the route says. */
interface Hold<V> {
  readonly id: string;
  readonly value: V;
}

interface FloodHold {
  readonly evi: Evi;
  readonly vtep: IpAddress;
}

interface NeighborHold {
  readonly vni: number;
  readonly ip: IpAddress;
  readonly mac: Mac;
  readonly vtep: IpAddress;
  readonly l3vni?: number;
  readonly routerMac?: Mac;
}

interface PrefixHold {
  readonly l3vni: number;
  readonly prefix: string;
  readonly vtep: IpAddress;
  readonly routerMac?: Mac;
}

/**
 * An insertion-ordered map for the few entries a MAC or a binding has (one per originating route):
 * keys and values side by side in one array of exactly their size. A `Map` costs ~175 bytes even
 * empty, and a leaf holds two per remote host (tens of megabytes in a data-center-sized lab).
 */
class FewMap<K, V> {
  private entries: (K | V)[] = [];

  get size(): number {
    return this.entries.length >> 1;
  }

  private indexOf(key: K): number {
    const e = this.entries;
    for (let i = 0; i < e.length; i += 2) if (e[i] === key) return i;
    return -1;
  }

  get(key: K): V | undefined {
    const i = this.indexOf(key);
    return i < 0 ? undefined : (this.entries[i + 1] as V);
  }

  /** Replaces the value of a key in place (keeping its position), or appends the key. */
  set(key: K, value: V): this {
    const i = this.indexOf(key);
    if (i >= 0) this.entries[i + 1] = value;
    // `toSpliced` makes an array of exactly the new size; a spread (`[...entries, key, value]`) or
    // `filter` leaves room for 17 elements, five times what a MAC's one or two routes need.
    else this.entries = this.entries.toSpliced(this.entries.length, 0, key, value);
    return this;
  }

  delete(key: K): boolean {
    const i = this.indexOf(key);
    if (i < 0) return false;
    this.entries = this.entries.toSpliced(i, 2);
    return true;
  }

  values(): V[] {
    const out: V[] = [];
    for (let i = 1; i < this.entries.length; i += 2) out.push(this.entries[i] as V);
    return out;
  }
}

export class EvpnService {
  readonly config: EvpnConfig;
  private readonly speaker: BgpSpeaker;
  readonly evis = new Map<number, Evi>();
  private readonly vrfsByL3vni = new Map<
    number,
    VrfConfig & {
      rdValue: RouteDistinguisher;
      importAuto: boolean;
      exportAttributes: readonly PathAttribute[];
    }
  >();
  private readonly macs = new Map<number, Map<Mac, MacState>>();
  private readonly firstCandidates = new Map<IpAddress, MacCandidate>();
  /** Flood-list members by `vni|vtep`, IP↔MAC bindings by `vni|ip`, VRF routes by `l3vni|prefix|vtep`. */
  private readonly floodHeld = new Map<string, Held<FloodHold>>();
  private readonly neighborHeld = new Map<string, Held<NeighborHold>>();
  private readonly prefixHeld = new Map<string, Held<PrefixHold>>();
  private readonly listeners: ((e: EvpnEvent) => void)[] = [];
  /** Mobility attribute lists, interned by (vni, sequence, sticky) so routes keep packing together. */
  private readonly mobilityAttrs = new Map<string, readonly PathAttribute[]>();

  constructor(speaker: BgpSpeaker, config: EvpnConfig) {
    this.speaker = speaker;
    this.config = config;
    const usedEvi = new Set<number>();
    let nextEvi = 1;
    const vrfsByName = new Map(config.vrfs.map((v) => [v.name, v]));
    for (const v of config.vnis) {
      if (v.vrf !== undefined && !vrfsByName.has(v.vrf))
        throw new RangeError(`VNI ${v.vni}: VRF "${v.vrf}" is not configured`);
      // RD type 1 carries a 2-octet number: VNIs that fit are their own EVI; others get a free index.
      let evi = v.vni <= 0xffff && !usedEvi.has(v.vni) ? v.vni : 0;
      while (evi === 0 || usedEvi.has(evi)) evi = nextEvi++;
      usedEvi.add(evi);
      const rdText = v.rd === 'auto' ? `${config.routerId}:${evi}` : v.rd;
      const rd = parseRd(rdText);
      const exportTargets = v.exportTargets.flatMap((t) => (t === 'auto' ? [this.autoTarget(v.vni)] : [t]));
      const importTargets = v.importTargets.flatMap((t) => (t === 'auto' ? [] : [t]));
      const vrf = v.vrf !== undefined ? vrfsByName.get(v.vrf)! : undefined;
      this.evis.set(v.vni, {
        ...(vrf
          ? {
              irb: {
                l3vni: vrf.l3vni,
                routerMac: vrf.routerMac,
                targets: vrf.exportTargets.flatMap((t) =>
                  t === 'auto' ? [this.autoTarget(vrf.l3vni)] : [t],
                ),
              },
            }
          : {}),
        vni: v.vni,
        evi,
        rd,
        rdText,
        importTargets,
        exportTargets,
        importAuto: v.importTargets.includes('auto'),
        exportAttributes: this.attributes(exportTargets, []),
        floodList: new Set(),
      });
    }
    for (const v of config.vrfs) {
      let evi = nextEvi++;
      while (usedEvi.has(evi)) evi = nextEvi++;
      usedEvi.add(evi);
      const rdText = v.rd === 'auto' ? `${config.routerId}:${evi}` : v.rd;
      const exportTargets = v.exportTargets.flatMap((t) => (t === 'auto' ? [this.autoTarget(v.l3vni)] : [t]));
      this.vrfsByL3vni.set(v.l3vni, {
        ...v,
        rd: rdText,
        rdValue: parseRd(rdText),
        importTargets: v.importTargets.filter((t) => t !== 'auto'),
        exportTargets,
        importAuto: v.importTargets.includes('auto'),
        exportAttributes: this.attributes(exportTargets, [{ kind: 'router-mac', mac: v.routerMac }]),
      });
    }
    speaker.onRouteChange((c) => this.onRouteChange(c));
    if (!config.retainAllRoutes && this.evis.size + this.vrfsByL3vni.size > 0)
      speaker.setEvpnImportFilter((targets) => this.importsAny(targets), this.importTargetList());
  }

  /**
   * Every route target a local EVI or VRF imports, for route target constraint (RFC 4684); undefined
   * when one imports by auto target, which matches its VNI under any AS (`imports`): a membership is a
   * route-target prefix, and the AS comes first in one, so no list of memberships says that.
   */
  private importTargetList(): string[] | undefined {
    const targets = new Set<string>();
    for (const x of [...this.evis.values(), ...this.vrfsByL3vni.values()]) {
      if (x.importAuto) return undefined;
      for (const t of x.importTargets) targets.add(t);
    }
    return [...targets];
  }

  /** Whether any local EVI or VRF imports a route carrying `routeTargets`. */
  private importsAny(routeTargets: readonly string[]): boolean {
    for (const evi of this.evis.values())
      if (this.imports(evi.importAuto, evi.importTargets, evi.vni, routeTargets)) return true;
    for (const vrf of this.vrfsByL3vni.values())
      if (this.imports(vrf.importAuto, vrf.importTargets, vrf.l3vni, routeTargets)) return true;
    return false;
  }

  onEvent(listener: (e: EvpnEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Originates what the configuration says: Type-3 per VNI, static MACs, VRF prefixes. */
  start(): void {
    for (const evi of this.evis.values()) {
      this.speaker.originateEvpn(
        inclusiveMulticastRoute(evi.rd, this.config.vtepIp),
        [...evi.exportAttributes, this.pmsi(evi.vni)],
        this.config.vtepIp,
      );
    }
    for (const v of this.config.vnis) for (const m of v.macs) this.addLocalMac(v.vni, m.mac, m.ip);
    for (const vrf of this.vrfsByL3vni.values()) {
      for (const prefix of vrf.prefixes) {
        this.speaker.originateEvpn(
          ipPrefixRoute(vrf.rdValue, prefix, vrf.l3vni),
          vrf.exportAttributes,
          this.config.vtepIp,
        );
      }
    }
  }

  /** RFC 8365 §5.1.2.1 / FRR: auto route target AS:VNI (the low 16 bits of a 4-octet AS). */
  autoTarget(vni: number): string {
    return `${this.config.asn > 0xffff ? this.config.asn & 0xffff : this.config.asn}:${vni}`;
  }

  // ---- local MACs ---------------------------------------------------------------------------

  /**
   * A MAC (optionally with an IP) learnt on a local port: advertise it, with mobility if it moved
   * here. `options.vtep` (one of our VTEP addresses) is the next hop to advertise it with.
   */
  addLocalMac(vni: number, mac: Mac, ip?: IpAddress, options: LocalMacOptions = {}): void {
    const evi = this.evis.get(vni);
    if (!evi) throw new RangeError(`VNI ${vni} is not configured`);
    const vtep = options.vtep ?? this.config.vtepIp;
    if (!this.isOwnVtep(vtep)) throw new RangeError(`VTEP ${vtep} is neither our vtepIp nor our ownVtepIp`);
    const state = this.macState(vni, mac);
    const local = state.local;
    if (local && local.vtep === vtep) {
      // Re-learning what is already advertised (every ARP refreshes it) must not re-send routes.
      if (ip === undefined || local.ips.has(ip)) return;
      local.ips.add(ip);
      this.speaker.originateEvpn(
        macIpRoute(evi.rd, mac, ip, vni, evi.irb?.l3vni),
        this.macAttributes(evi, local.sequence, local.sticky, true),
        vtep,
      );
      return;
    }
    // New here, or moved between our own VTEPs (an M-LAG single-homed port ↔ the pair's shared
    // VTEP). RFC 7432 §15.1: a MAC advertised elsewhere is advertised with that sequence + 1; our
    // M-LAG peer's route at this very VTEP is the same location, so its sequence is matched.
    let sequence = local ? local.sequence + 1 : 0;
    for (const c of state.remote.values())
      sequence = Math.max(sequence, c.vtep === vtep ? c.sequence : c.sequence + 1);
    const ips = local?.ips ?? new Set<IpAddress>();
    if (ip !== undefined) ips.add(ip);
    state.local = { vtep, sequence, sticky: local?.sticky ?? options.sticky === true, ips };
    this.originateLocal(evi, mac, state.local);
    this.reselectMac(vni, mac, state);
  }

  /** The MAC aged out or its port went down: withdraw its routes. */
  removeLocalMac(vni: number, mac: Mac): void {
    const evi = this.evis.get(vni);
    const state = this.macs.get(vni)?.get(mac);
    if (!evi || !state?.local) return;
    this.withdrawLocal(evi, mac, state.local);
    state.local = undefined;
    this.reselectMac(vni, mac, state);
  }

  localMacCount(vni: number): number {
    let n = 0;
    for (const s of this.macs.get(vni)?.values() ?? []) if (s.local) n++;
    return n;
  }

  /** (Re-)originates a local MAC's routes: the MAC route and one MAC+IP route per IP. */
  private originateLocal(evi: Evi, mac: Mac, local: LocalMac): void {
    this.speaker.originateEvpn(
      macIpRoute(evi.rd, mac, undefined, evi.vni),
      this.macAttributes(evi, local.sequence, local.sticky, false),
      local.vtep,
    );
    for (const ip of local.ips) {
      this.speaker.originateEvpn(
        macIpRoute(evi.rd, mac, ip, evi.vni, evi.irb?.l3vni),
        this.macAttributes(evi, local.sequence, local.sticky, true),
        local.vtep,
      );
    }
  }

  private withdrawLocal(evi: Evi, mac: Mac, local: LocalMac): void {
    for (const ip of local.ips)
      this.speaker.withdrawEvpn(macIpRoute(evi.rd, mac, ip, evi.vni, evi.irb?.l3vni));
    this.speaker.withdrawEvpn(macIpRoute(evi.rd, mac, undefined, evi.vni));
  }

  /** True for our own VTEP addresses: a path with such a next hop is not remote. */
  private isOwnVtep(vtep: IpAddress): boolean {
    return vtep === this.config.vtepIp || vtep === this.config.ownVtepIp;
  }

  // ---- remote routes ------------------------------------------------------------------------

  private onRouteChange(c: RouteChange): void {
    if (c.family !== 'l2vpn-evpn') return;
    const { previous, best, route, key } = c.change;
    const prev = previous && previous.peer.id !== 0 ? previous : undefined;
    const next = best && best.peer.id !== 0 ? best : undefined;
    if (!prev && !next) return;
    switch (route.type) {
      case 'mac-ip': {
        const prevVnis = prev ? this.importingVnis(prev, labelVni(prev)) : [];
        const nextVnis = next ? this.importingVnis(next, labelVni(next)) : [];
        this.onMacRoute(key, route.mac, prev, next, prevVnis, nextVnis);
        this.settle(
          this.neighborHeld,
          key,
          prev ? this.neighborHolds(prev, prevVnis) : [],
          next ? this.neighborHolds(next, nextVnis) : [],
          sameNeighbor,
          (action, h) => this.emitNeighbor(action, h),
        );
        // RFC 9135 §5.1: a MAC+IP route with an L3VNI is also a host route in that tenant's VRF,
        // whether or not the MAC's own VNI is here.
        this.onPrefixRoute(key, prev, next);
        return;
      }
      case 'inclusive-multicast':
        this.settle(
          this.floodHeld,
          key,
          prev ? this.floodHolds(prev) : [],
          next ? this.floodHolds(next) : [],
          () => true,
          (action, h) => {
            if (action === 'add') h.evi.floodList.add(h.vtep);
            else h.evi.floodList.delete(h.vtep);
            this.emit({ type: 'flood-vtep', action, vni: h.evi.vni, vtep: h.vtep });
          },
        );
        return;
      case 'ip-prefix':
        this.onPrefixRoute(key, prev, next);
        return;
      default:
        return;
    }
  }

  /** The VNIs whose import targets a path's route targets match. */
  private importingVnis(path: RibPath<EvpnRoute>, labelVni: number | undefined): Evi[] {
    const out: Evi[] = [];
    for (const evi of this.evis.values()) {
      if (this.imports(evi.importAuto, evi.importTargets, evi.vni, path.attrs.routeTargets)) out.push(evi);
    }
    // Several EVIs importing the same target: the one the label names is meant.
    if (out.length > 1 && labelVni !== undefined) {
      const exact = out.filter((e) => e.vni === labelVni);
      if (exact.length > 0) return exact;
    }
    return out;
  }

  private imports(
    auto: boolean,
    targets: readonly string[],
    vni: number,
    routeTargets: readonly string[],
  ): boolean {
    for (const rt of routeTargets) {
      const text = rt.startsWith('RT:') ? rt.slice(3) : rt;
      if (targets.includes(text)) return true;
      // FRR's auto mode: match on the VNI part only, so eBGP peers in other ASes interoperate.
      if (auto && text.endsWith(`:${vni}`)) return true;
    }
    return false;
  }

  /**
   * A MAC or MAC+IP route (RFC 7432 §9.2.1: a MAC+IP route advertises the MAC too) as a candidate
   * location of its MAC in each VNI that imports it.
   */
  private onMacRoute(
    key: string,
    mac: Mac,
    prev: RibPath<EvpnRoute> | undefined,
    next: RibPath<EvpnRoute> | undefined,
    prevVnis: readonly Evi[],
    nextVnis: readonly Evi[],
  ): void {
    if (next) {
      const mm = next.attrs.macMobility;
      const candidate =
        mm === undefined || (mm.sequence === 0 && !mm.sticky)
          ? this.firstCandidate(next.attrs.nextHop)
          : { vtep: next.attrs.nextHop, sequence: mm.sequence, sticky: mm.sticky };
      for (const evi of nextVnis) {
        const state = this.macState(evi.vni, mac);
        state.remote.set(key, candidate);
        this.reselectMac(evi.vni, mac, state);
      }
    }
    if (prev) {
      for (const evi of prevVnis) {
        if (nextVnis.includes(evi)) continue;
        const state = this.macState(evi.vni, mac);
        state.remote.delete(key);
        this.reselectMac(evi.vni, mac, state);
      }
    }
  }

  /** The IP↔MAC bindings a MAC+IP path gives (none from our own VTEPs). */
  private neighborHolds(p: RibPath<EvpnRoute>, vnis: readonly Evi[]): Hold<NeighborHold>[] {
    const r = p.route;
    if (r.type !== 'mac-ip' || r.ip === undefined || this.isOwnVtep(p.attrs.nextHop)) return [];
    const ip = r.ip;
    const routerMac = p.attrs.routerMac as Mac | undefined;
    return vnis.map((evi) => ({
      id: `${evi.vni}|${ip}`,
      value: {
        vni: evi.vni,
        ip,
        mac: r.mac,
        vtep: p.attrs.nextHop,
        ...(r.label2 !== undefined ? { l3vni: r.label2 } : {}),
        ...(routerMac !== undefined ? { routerMac } : {}),
      },
    }));
  }

  private emitNeighbor(action: 'add' | 'remove', h: NeighborHold): void {
    if (action === 'remove') {
      this.emit({ type: 'remote-neighbor', action, vni: h.vni, ip: h.ip, mac: h.mac, vtep: h.vtep });
    } else {
      this.emit({ type: 'remote-neighbor', action, ...h });
    }
  }

  /**
   * The VTEP a Type-3 path puts in the flood list of each VNI importing it (none when the VTEP is
   * ours: our M-LAG peer's Type-3 for the shared VTEP).
   */
  private floodHolds(p: RibPath<EvpnRoute>): Hold<FloodHold>[] {
    const pmsi = p.attrs.pmsi;
    let vtep = p.attrs.nextHop;
    let vni: number | undefined;
    // RFC 8365 §5.1.3: ingress replication to the tunnel endpoint, the VNI in the PMSI label.
    if (
      pmsi &&
      pmsi.tunnelType === PMSI_TUNNEL_TYPE_INGRESS_REPLICATION &&
      typeof pmsi.tunnelId === 'string'
    ) {
      vtep = pmsi.tunnelId as IpAddress;
      vni = pmsi.label;
    }
    if (this.isOwnVtep(vtep)) return [];
    return this.importingVnis(p, vni).map((evi) => ({ id: `${evi.vni}|${vtep}`, value: { evi, vtep } }));
  }

  private onPrefixRoute(
    key: string,
    prev: RibPath<EvpnRoute> | undefined,
    next: RibPath<EvpnRoute> | undefined,
  ): void {
    this.settle(
      this.prefixHeld,
      key,
      prev ? this.prefixHolds(prev) : [],
      next ? this.prefixHolds(next) : [],
      (a, b) => a.routerMac === b.routerMac,
      (action, h) => {
        if (action === 'remove') {
          this.emit({ type: 'remote-prefix', action, l3vni: h.l3vni, prefix: h.prefix, vtep: h.vtep });
        } else {
          this.emit({ type: 'remote-prefix', action, ...h });
        }
      },
    );
  }

  /**
   * The VRF routes a path gives: a Type-5 prefix in every VRF importing it, a MAC+IP route with an
   * L3VNI a host route in that VRF (none from our own VTEPs).
   */
  private prefixHolds(p: RibPath<EvpnRoute>): Hold<PrefixHold>[] {
    const r = p.route;
    let prefix: string;
    let l3vni: number | undefined;
    if (r.type === 'mac-ip') {
      if (r.ip === undefined || r.label2 === undefined) return [];
      prefix = hostPrefix(r.ip);
      l3vni = r.label2;
    } else if (r.type === 'ip-prefix') {
      prefix = ipPrefixText(r);
    } else {
      return [];
    }
    const vtep = p.attrs.nextHop;
    if (this.isOwnVtep(vtep)) return [];
    const routerMac = p.attrs.routerMac as Mac | undefined;
    const out: Hold<PrefixHold>[] = [];
    for (const vrf of this.vrfsByL3vni.values()) {
      if (l3vni !== undefined && vrf.l3vni !== l3vni) continue;
      if (!this.imports(vrf.importAuto, vrf.importTargets, vrf.l3vni, p.attrs.routeTargets)) continue;
      out.push({
        id: `${vrf.l3vni}|${prefix}|${vtep}`,
        value: { l3vni: vrf.l3vni, prefix, vtep, ...(routerMac !== undefined ? { routerMac } : {}) },
      });
    }
    return out;
  }

  /**
   * Moves route `key`'s holds from `before` (its previous best path) to `after` (its new one) and
   * tells the data plane what changed: a thing is added when its first route comes or when a route
   * says something new about it (the latest word wins: an IP that moved to another MAC), and removed
   * when its last route goes. New holds are taken first, so a thing both paths hold never flaps.
   */
  private settle<V>(
    table: Map<string, Held<V>>,
    key: string,
    before: readonly Hold<V>[],
    after: readonly Hold<V>[],
    same: (a: V, b: V) => boolean,
    announce: (action: 'add' | 'remove', value: V) => void,
  ): void {
    for (const h of after) {
      let held = table.get(h.id);
      if (!held) table.set(h.id, (held = { routes: new FewMap(), shown: undefined }));
      const old = held.routes.get(key);
      if (old !== undefined && same(old, h.value)) continue;
      held.routes.delete(key);
      held.routes.set(key, h.value);
      if (held.shown !== undefined && same(held.shown, h.value)) continue;
      held.shown = h.value;
      announce('add', h.value);
    }
    for (const h of before) {
      if (after.some((a) => a.id === h.id)) continue;
      const held = table.get(h.id);
      if (!held?.routes.delete(key)) continue;
      const shown = held.shown;
      if (held.routes.size === 0) {
        table.delete(h.id);
        if (shown !== undefined) announce('remove', shown);
        continue;
      }
      let newest: V | undefined;
      let kept = false;
      for (const v of held.routes.values()) {
        newest = v;
        if (shown !== undefined && same(v, shown)) kept = true;
      }
      // The route shown went and no other says the same: show the newest remaining one.
      if (!kept && newest !== undefined) {
        held.shown = newest;
        announce('add', newest);
      }
    }
  }

  /**
   * RFC 7432 §15: picks the MAC's owner among the local entry and every originator. An owner at one
   * of our own VTEPs (our M-LAG peer's route) is never remote and never a move away from us; a
   * higher sequence from our peer at the very VTEP we advertise means the pair saw the MAC move
   * there, so we take that sequence over and both advertise the same.
   */
  private reselectMac(vni: number, mac: Mac, state: MacState): void {
    let winner: MacCandidate | undefined;
    for (const c of state.remote.values()) {
      if (!winner || better(c, winner)) winner = c;
    }
    const local = state.local;
    if (local && winner) {
      const evi = this.evis.get(vni)!;
      if (this.isOwnVtep(winner.vtep)) {
        if (winner.vtep === local.vtep && winner.sequence > local.sequence) {
          local.sequence = winner.sequence;
          this.originateLocal(evi, mac, local);
        }
      } else if (better(winner, { vtep: local.vtep, sequence: local.sequence, sticky: local.sticky })) {
        // Someone advertised the MAC with a higher sequence: it moved away from us.
        this.withdrawLocal(evi, mac, local);
        state.local = undefined;
        this.emit({ type: 'local-mac-moved', vni, mac, vtep: winner.vtep, sequence: winner.sequence });
      }
    }
    // We own it, or it is behind one of our VTEPs (at our M-LAG peer): no remote owner.
    if (winner && (state.local || this.isOwnVtep(winner.vtep))) winner = undefined;
    const before = state.announced;
    if (same(before, winner)) {
      if (!state.local && state.remote.size === 0) this.macs.get(vni)?.delete(mac);
      return;
    }
    state.announced = winner;
    if (winner) {
      this.emit({
        type: 'remote-mac',
        action: 'add',
        vni,
        mac,
        vtep: winner.vtep,
        sequence: winner.sequence,
        sticky: winner.sticky,
      });
    } else if (before) {
      this.emit({
        type: 'remote-mac',
        action: 'remove',
        vni,
        mac,
        vtep: before.vtep,
        sequence: before.sequence,
        sticky: before.sticky,
      });
    }
    if (!state.local && state.remote.size === 0) this.macs.get(vni)?.delete(mac);
  }

  /**
   * The candidate of a MAC never moved (sequence 0, not sticky) at `vtep`: one shared object per VTEP
   * (candidates are never changed), not one per route, as nearly every MAC of a fabric is one.
   */
  private firstCandidate(vtep: IpAddress): MacCandidate {
    let c = this.firstCandidates.get(vtep);
    if (!c) this.firstCandidates.set(vtep, (c = { vtep, sequence: 0, sticky: false }));
    return c;
  }

  private macState(vni: number, mac: Mac): MacState {
    let table = this.macs.get(vni);
    if (!table) this.macs.set(vni, (table = new Map()));
    let s = table.get(mac);
    if (!s) table.set(mac, (s = { remote: new FewMap(), local: undefined, announced: undefined }));
    return s;
  }

  // ---- attributes ---------------------------------------------------------------------------

  private attributes(targets: readonly string[], extra: readonly ExtendedCommunity[]): PathAttribute[] {
    const communities: ExtendedCommunity[] = [
      ...targets.map(routeTargetCommunity),
      // RFC 8365 §5.1.3: the encapsulation extended community says VXLAN.
      { kind: 'encapsulation', tunnelType: BGP_ENCAP_TYPE_VXLAN },
      ...extra,
    ];
    return [
      { type: 'origin', origin: 'igp' },
      { type: 'as-path', segments: [] },
      { type: 'extended-communities', communities },
    ];
  }

  private pmsi(vni: number): PathAttribute {
    // RFC 6514 §5 / RFC 8365 §5.1.3: ingress replication to our VTEP, the VNI in the label field.
    return {
      type: 'pmsi-tunnel',
      tunnelFlags: 0,
      tunnelType: PMSI_TUNNEL_TYPE_INGRESS_REPLICATION,
      label: vni,
      tunnelId: this.config.vtepIp,
    };
  }

  /**
   * Attributes of a MAC or MAC+IP route, interned so routes that share them pack together. MAC+IP
   * routes of a VNI in a VRF also carry the VRF's route target and our router MAC (RFC 9135 §9.1.1).
   */
  private macAttributes(
    evi: Evi,
    sequence: number,
    sticky: boolean,
    withIp: boolean,
  ): readonly PathAttribute[] {
    const irb = withIp ? evi.irb : undefined;
    if (sequence === 0 && !sticky && !irb) return evi.exportAttributes;
    const k = `${evi.vni}/${sequence}/${sticky}/${irb !== undefined}`;
    let attrs = this.mobilityAttrs.get(k);
    if (!attrs) {
      const extra: ExtendedCommunity[] = [];
      if (sequence !== 0 || sticky) extra.push({ kind: 'mac-mobility', sequence, sticky });
      if (irb) extra.push({ kind: 'router-mac', mac: irb.routerMac });
      attrs = this.attributes([...evi.exportTargets, ...(irb?.targets ?? [])], extra);
      this.mobilityAttrs.set(k, attrs);
    }
    return attrs;
  }

  private emit(e: EvpnEvent): void {
    for (const l of this.listeners) l(e);
  }
}

/** The VNI a MAC route's label names (RFC 8365 §5.1.2: Label1). */
function labelVni(p: RibPath<EvpnRoute>): number | undefined {
  return p.route.type === 'mac-ip' ? p.route.label1 : undefined;
}

function sameNeighbor(a: NeighborHold, b: NeighborHold): boolean {
  return a.mac === b.mac && a.vtep === b.vtep && a.l3vni === b.l3vni && a.routerMac === b.routerMac;
}

function hostPrefix(ip: IpAddress): string {
  return ip.includes(':') ? `${ip}/128` : `${ip}/32`;
}

/** RFC 7432 §15.1-15.2: sticky first, then the higher sequence, then the lower VTEP address. */
function better(a: MacCandidate, b: MacCandidate): boolean {
  if (a.sticky !== b.sticky) return a.sticky;
  if (a.sequence !== b.sequence) return a.sequence > b.sequence;
  return compareAddresses(a.vtep, b.vtep) < 0;
}

function same(a: MacCandidate | undefined, b: MacCandidate | undefined): boolean {
  if (!a || !b) return a === b;
  return a.vtep === b.vtep && a.sequence === b.sequence && a.sticky === b.sticky;
}

function compareAddresses(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  if (pa.length === 4 && pb.length === 4) {
    for (let i = 0; i < 4; i++) if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
    return 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}
