/**
 * The in-process software VTEP (backend `sim`): bridges real Ethernet frames per VNI and carries
 * them over VXLAN, exactly as seed 004 walks it.
 *
 * Owns: access ports (untagged → one VNI, or 802.1Q trunk: VLAN → VNI), bridge domains with their
 * FDB and flood list, VXLAN encapsulation towards remote VTEPs (head-end replication for BUM) and
 * decapsulation from the underlay port, ARP suppression from the neighbor table, routing between
 * VNIs at gateways (centralized, or distributed anycast with symmetric IRB: tenant VRFs reach
 * remote hosts and prefixes over their L3VNI, RFC 9135 §4.3), counters.
 * Two control modes per VNI: flood-and-learn (static flood list, remote MACs learnt from
 * decapsulated frames, RFC 7348 §4) and EVPN (remote MACs and flood list only from EVPN routes,
 * RFC 8365 §10: no data-plane learning of remote MACs).
 *
 * M-LAG (seed 001, seed 000's "forwarding level"): a leaf of a pair also answers to the pair's
 * virtual VTEP address and sources overlay traffic from it; the peer-link is a pseudo-port whose
 * frames travel as VXLAN between the two devices' own VTEP addresses (so the VNI survives, and the
 * frames are told apart by their outer source); BUM that came over the peer-link never leaves by a
 * member port whose M-LAG is isolated (the server is reached by the peer's own member port), and
 * never goes back into the overlay or the peer-link.
 *
 * Guarantees: sans-IO — `receive(port, frame, now)` returns the frames to transmit and the events
 * for the control plane; malformed frames are dropped and counted, never thrown.
 */
import type { IpAddress, Ipv4Address, Mac, Vni } from '../../wire/addr.js';
import {
  ipv4FromBytes,
  ipv4ToNumber,
  macFromBytes,
  macNumberFromBytes,
  macToNumber,
} from '../../wire/addr.js';
import {
  arpReplyFor,
  arpRequest,
  ARP_OP_REPLY,
  ARP_OP_REQUEST,
  decodeArp,
  encodeArp,
  isGratuitousArp,
} from '../../wire/arp.js';
import { viewOf } from '../../wire/bytes.js';
import { WireError } from '../../wire/errors.js';
import { decodeIcmpv6, encodeIcmpv6, ND_HOP_LIMIT } from '../../wire/icmpv6.js';
import { decodeIpv4, encodeIpv4, IPPROTO_ICMPV6 } from '../../wire/ipv4.js';
import { decodeIpv6, encodeIpv6 } from '../../wire/ipv6.js';
import {
  decodeEthernet,
  encodeEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_VLAN,
  ETHERNET_HEADER_LENGTH,
  isVlanTpid,
  type EthernetFrame,
} from '../../wire/ethernet.js';
import {
  checkVxlanFrame,
  encapsulateVxlanWithTemplate,
  vxlanOuterTemplate,
  VXLAN_OVERHEAD,
  VXLAN_PORT,
  type VxlanOuterTemplate,
} from '../../wire/vxlan.js';
import { Fdb, type FdbEvent, type FdbPortTarget } from '../fdb.js';
import { MLAG_FLOODED_GROUP_POLICY } from '../../wire/mlag.js';
import { FrameSlab } from '../frame-slab.js';
import { flowHash, hashBucket } from './router.js';

export type ControlMode = 'evpn' | 'flood-and-learn';

export interface BridgeDomainConfig {
  readonly vni: number;
  readonly mode: ControlMode;
  /** Answer ARP requests and Neighbor Solicitations for known remote IPs locally (RFC 9161; seed 002). */
  readonly arpSuppression?: boolean;
  /** Flood-and-learn: the remote VTEPs of this VNI (static head-end replication list). */
  readonly floodList?: readonly IpAddress[];
}

export type AccessPortConfig =
  | { readonly name: string; readonly mode: 'access'; readonly vni: number }
  | { readonly name: string; readonly mode: 'trunk'; readonly vlans: Readonly<Record<number, number>> };

export interface VtepConfig {
  /** Our VTEP address (outer source IP) and the MAC of our underlay interface. */
  readonly vtepIp: Ipv4Address;
  readonly underlayMac: Mac;
  /** The underlay port VXLAN frames leave by. */
  readonly underlayPort: string;
  /** Next-hop MAC towards a remote VTEP (the underlay router's); undefined: unreachable. */
  readonly resolveNextHop: (vtep: IpAddress) => Mac | undefined;
  readonly agingNs?: number;
}

export type SwitchEvent =
  | (FdbEvent & { readonly vni: number })
  /** An IP↔MAC binding seen in a local ARP packet (the EVPN service advertises MAC+IP). */
  | { readonly type: 'local-neighbor'; readonly vni: number; readonly ip: IpAddress; readonly mac: Mac };

export interface SwitchOutput {
  readonly transmit: readonly SwitchTransmit[];
  readonly events: readonly SwitchEvent[];
  /** Underlay frames that are not VXLAN for us (BGP, BFD, ...): the host stack's. */
  readonly toHost: readonly Uint8Array[];
}

export interface SwitchTransmit {
  readonly port: string;
  /** `port`'s number (`SimSwitch.portIndex`), or -1 for the underlay port (not a switch port). */
  readonly portIndex: number;
  readonly frame: Uint8Array;
}

const NO_TRANSMIT: readonly SwitchTransmit[] = Object.freeze([]);
const NO_EVENTS: readonly SwitchEvent[] = Object.freeze([]);
const NO_FRAMES: readonly Uint8Array[] = Object.freeze([]);

/**
 * A `SwitchOutput` as `receive` fills it. Each list is made when its first item comes (most frames
 * give one frame to send and no event; empty arrays and a first push's room were a measurable part
 * of the cost per frame, bench dataplane); until then it is a shared frozen empty one.
 */
class Output implements SwitchOutput {
  transmit = NO_TRANSMIT;
  events = NO_EVENTS;
  toHost = NO_FRAMES;

  send(port: string, portIndex: number, frame: Uint8Array): void {
    if (this.transmit === NO_TRANSMIT) this.transmit = [{ port, portIndex, frame }];
    else (this.transmit as SwitchTransmit[]).push({ port, portIndex, frame });
  }

  event(e: SwitchEvent): void {
    if (this.events === NO_EVENTS) this.events = [e];
    else (this.events as SwitchEvent[]).push(e);
  }

  host(frame: Uint8Array): void {
    if (this.toHost === NO_FRAMES) this.toHost = [frame];
    else (this.toHost as Uint8Array[]).push(frame);
  }
}

export interface SwitchCounters {
  framesIn: number;
  framesOut: number;
  malformed: number;
  /** Frames dropped: unknown VNI/VLAN, no next hop, port down, ... */
  dropped: number;
  encapsulated: number;
  decapsulated: number;
  /** BUM frames replicated to remote VTEPs (one per copy). */
  replicated: number;
  floods: number;
  arpSuppressed: number;
  ndSuppressed: number;
  macMoves: number;
  /** M-LAG: frames sent to / received from the peer over the peer-link. */
  peerLinkOut: number;
  peerLinkIn: number;
  /** M-LAG: copies of BUM from the peer-link not sent out of an isolated member port (seed 001). */
  isolationDropped: number;
  /** Packets routed between VNIs by a gateway on this VTEP. */
  routed: number;
  /** Routed packets dropped: no gateway subnet for the destination, TTL, ARP queue full. */
  routeDrops: number;
}

interface BridgeDomain {
  readonly config: BridgeDomainConfig;
  readonly fdb: Fdb;
  readonly floodList: Set<IpAddress>;
  /** IP → MAC for ARP suppression (remote bindings from EVPN Type-2 MAC+IP). */
  readonly neighbors: Map<IpAddress, Mac>;
  /** The routed interface of this VNI on this VTEP, if it is a gateway for it. */
  gateway: GatewayConfig | undefined;
  /** `gateway.mac` as a number (`macToNumber`), -1 without a gateway: compared per frame. */
  gatewayMac: number;
  /** IP → MAC of hosts seen in this VNI (ARP), for routing into it. */
  readonly hosts: Map<Ipv4Address, Mac>;
  /** Routed packets waiting for ARP resolution of their destination. */
  readonly awaitingArp: Map<Ipv4Address, Uint8Array[]>;
}

/**
 * A VTEP's routed interface on a VNI (seed 004 §4.2.2 centralized gateway; the same on every leaf
 * of a VNI makes a distributed anycast gateway).
 */
export interface GatewayConfig {
  readonly vni: number;
  readonly ip: Ipv4Address;
  readonly prefixLength: number;
  readonly mac: Mac;
  /** The tenant's routing table: packets are routed only between gateways of the same VRF. */
  readonly vrf?: string;
}

/** A tenant VRF for symmetric IRB: its L3VNI and this VTEP's router MAC in it (RFC 9135 §5.1). */
export interface VrfDataplaneConfig {
  readonly name: string;
  readonly l3vni: number;
  readonly routerMac: Mac;
}

interface VrfRoute {
  readonly prefix: number;
  readonly length: number;
  readonly mask: number;
  /** Remote VTEP → its router MAC (several VTEPs: ECMP). */
  readonly vteps: Map<IpAddress, Mac>;
}

interface Vrf {
  readonly config: VrfDataplaneConfig;
  /** Host routes (from Type-2 MAC+IP) and prefixes (Type-5), by "prefix/length". */
  readonly routes: Map<string, VrfRoute>;
  /** The /32s again by address: most routes are hosts, and their lookup must not scan. */
  readonly hosts: Map<number, VrfRoute>;
}

/** The FDB port name of the M-LAG peer-link (a MAC single-homed on the peer, or behind a down member). */
export const PEER_LINK_PORT = 'peer-link';

/** A leaf's part in an M-LAG pair (seed 001). */
export interface MlagDataplaneConfig {
  /** The pair's shared VTEP: accepted as a destination, and the source of our overlay traffic. */
  readonly virtualVtepIp: Ipv4Address;
  /** The peer's own VTEP address: peer-link frames go to it, and frames from it came over the peer-link. */
  readonly peerVtepIp: Ipv4Address;
}

/** Packets queued per unresolved destination while the gateway ARPs for it (like a kernel's neigh queue). */
const ARP_QUEUE_LIMIT = 16;

/** A port as the switch keeps it: its configuration, state and (access) bridge domain. */
type SwitchPort = AccessPortConfig & {
  /** The port's number (`SimSwitch.portIndex`). */
  readonly index: number;
  up: boolean;
  mlagId: number | undefined;
  draining: boolean;
  readonly bd: BridgeDomain | undefined;
};

/** See `SimSwitch.portsAdded`. */
let portsAddedAnywhere = 0;

export class SimSwitch {
  readonly counters: SwitchCounters = {
    framesIn: 0,
    framesOut: 0,
    malformed: 0,
    dropped: 0,
    encapsulated: 0,
    decapsulated: 0,
    replicated: 0,
    floods: 0,
    arpSuppressed: 0,
    ndSuppressed: 0,
    macMoves: 0,
    peerLinkOut: 0,
    peerLinkIn: 0,
    isolationDropped: 0,
    routed: 0,
    routeDrops: 0,
  };
  private readonly domains = new Map<number, BridgeDomain>();
  private readonly ports = new Map<string, SwitchPort>();
  private mlag: (MlagDataplaneConfig & { virtual: number; peer: number }) | undefined;
  private peerLinkUp = false;
  /** M-LAG ids whose member port must not carry BUM that came over the peer-link. */
  private readonly isolated = new Set<number>();
  private readonly vrfs = new Map<string, Vrf>();
  private readonly vrfsByL3vni = new Map<number, Vrf>();

  /** `config.vtepIp` as a number, for the per-frame "is this VXLAN for us" check. */
  private readonly vtepIpNumber: number;

  constructor(readonly config: VtepConfig) {
    this.vtepIpNumber = ipv4ToNumber(config.vtepIp);
  }

  /** A tenant VRF with an L3VNI: gateways in it route to remote hosts and prefixes over the L3VNI. */
  addVrf(c: VrfDataplaneConfig): void {
    if (this.vrfs.has(c.name) || this.vrfsByL3vni.has(c.l3vni) || this.domains.has(c.l3vni))
      throw new RangeError(`VRF ${c.name}: the name or L3VNI ${c.l3vni} is in use`);
    const vrf: Vrf = { config: c, routes: new Map(), hosts: new Map() };
    this.vrfs.set(c.name, vrf);
    this.vrfsByL3vni.set(c.l3vni, vrf);
  }

  /** A remote host (/32 from Type-2) or prefix (Type-5) in a VRF, reached through `vtep`. */
  addVrfRoute(l3vni: number, prefix: string, vtep: IpAddress, routerMac: Mac): void {
    const vrf = this.vrfsByL3vni.get(l3vni);
    const parsed = parseIpv4Prefix(prefix);
    if (!vrf || !parsed) return;
    let r = vrf.routes.get(prefix);
    if (!r) {
      vrf.routes.set(prefix, (r = { ...parsed, vteps: new Map() }));
      if (parsed.length === 32) vrf.hosts.set(parsed.prefix, r);
    }
    r.vteps.set(vtep, routerMac);
    if (parsed.length === 32)
      this.releaseAwaitingArp(vrf, prefix.slice(0, prefix.indexOf('/')) as Ipv4Address);
  }

  removeVrfRoute(l3vni: number, prefix: string, vtep: IpAddress): void {
    const vrf = this.vrfsByL3vni.get(l3vni);
    const r = vrf?.routes.get(prefix);
    if (!r) return;
    r.vteps.delete(vtep);
    if (r.vteps.size === 0) {
      vrf!.routes.delete(prefix);
      if (r.length === 32) vrf!.hosts.delete(r.prefix);
    }
  }

  /** Packets that waited for ARP of a host the VRF now has a route to go out over the L3VNI. */
  private releaseAwaitingArp(vrf: Vrf, ip: Ipv4Address): void {
    for (const bd of this.domains.values()) {
      if ((bd.gateway?.vrf ?? 'default') !== vrf.config.name) continue;
      const waiting = bd.awaitingArp.get(ip);
      if (!waiting) continue;
      bd.awaitingArp.delete(ip);
      const out = new Output();
      for (const packet of waiting) this.routeViaL3vni(vrf, ipv4ToNumber(ip), packet, out);
      this.pendingTransmit.push(...out.transmit);
    }
  }

  /** Frames the control plane's writes produced (released ARP queues), sent with the next output. */
  private readonly pendingTransmit: SwitchTransmit[] = [];

  /** Frames produced by control-plane writes since the last call (the driver sends them). */
  takePendingTransmit(): SwitchTransmit[] {
    return this.pendingTransmit.splice(0);
  }

  // ---- configuration --------------------------------------------------------------------------

  /** Makes this VTEP one leaf of an M-LAG pair (seed 001). */
  setMlag(c: MlagDataplaneConfig): void {
    this.mlag = { ...c, virtual: ipv4ToNumber(c.virtualVtepIp), peer: ipv4ToNumber(c.peerVtepIp) };
  }

  /** Whether the peer-link forwards (the DFS group says so: up and paired). */
  setPeerLinkUp(up: boolean): void {
    this.peerLinkUp = up;
  }

  /** An access port that is this device's member of M-LAG `mlagId`. */
  setPortMlag(port: string, mlagId: number): void {
    const p = this.ports.get(port);
    if (!p) throw new RangeError(`M-LAG ${mlagId}: port ${port} is not configured`);
    p.mlagId = mlagId;
  }

  /** Seed 001: BUM from the peer-link does not leave by this M-LAG's member port while `on`. */
  setIsolation(mlagId: number, on: boolean): void {
    if (on) this.isolated.add(mlagId);
    else this.isolated.delete(mlagId);
  }

  isIsolated(mlagId: number): boolean {
    return this.isolated.has(mlagId);
  }

  addBridgeDomain(c: BridgeDomainConfig): void {
    if (this.domains.has(c.vni)) throw new RangeError(`VNI ${c.vni} is configured twice`);
    this.domains.set(c.vni, {
      config: c,
      fdb: new Fdb(this.config.agingNs),
      floodList: new Set(c.floodList ?? []),
      neighbors: new Map(),
      gateway: undefined,
      gatewayMac: -1,
      hosts: new Map(),
      awaitingArp: new Map(),
    });
  }

  /** Makes this VTEP route for a VNI: it answers ARP for `ip` with `mac` and routes frames sent to `mac`. */
  addGateway(g: GatewayConfig): void {
    const bd = this.domains.get(g.vni);
    if (!bd) throw new RangeError(`gateway on VNI ${g.vni}: the VNI is not configured`);
    bd.gateway = g;
    bd.gatewayMac = macToNumber(g.mac);
  }

  addPort(c: AccessPortConfig): void {
    if (c.name === PEER_LINK_PORT) throw new RangeError(`port ${c.name}: the name is the peer-link's`);
    const vnis = c.mode === 'access' ? [c.vni] : Object.values(c.vlans);
    for (const v of vnis)
      if (!this.domains.has(v)) throw new RangeError(`port ${c.name}: VNI ${v} is not configured`);
    // An access port's bridge domain is looked up once, here, not per frame.
    const bd = c.mode === 'access' ? this.domains.get(c.vni) : undefined;
    // Every field set here, in one order, from one literal per mode: ports made by spreading the
    // configuration each got a map of their own, and the per-frame reads of their fields became
    // megamorphic (bench dataplane).
    let index = this.portIndexes.get(c.name);
    if (index === undefined) this.portIndexes.set(c.name, (index = this.portIndexes.size));
    const port: SwitchPort =
      c.mode === 'access'
        ? { name: c.name, index, mode: c.mode, vni: c.vni, up: true, mlagId: undefined, draining: false, bd }
        : {
            name: c.name,
            index,
            mode: c.mode,
            vlans: c.vlans,
            up: true,
            mlagId: undefined,
            draining: false,
            bd,
          };
    this.ports.set(c.name, port);
    this.portsByIndex[index] = port;
    portsAddedAnywhere++;
    // FDB targets that kept a port object look it up again (this name may have had another).
    this.portsVersion++;
    this.lastPortName = '';
    this.lastPort = undefined;
  }

  /** Counts `addPort` calls: an FDB target's port object is current while it has this version. */
  private portsVersion = 0;
  /**
   * Ports by number: a port gets the next one when first added and keeps it, so a driver can keep
   * what it knows of a port in an array by number and hand frames in (`receiveAt`) and take them
   * out (`SwitchTransmit.portIndex`) without a lookup by name per frame.
   */
  private readonly portIndexes = new Map<string, number>();
  private readonly portsByIndex: SwitchPort[] = [];

  /**
   * How many ports have been added to any switch in this process: an answer of `portIndex` holds
   * until it changes. One counter for all switches, so a driver checks it per frame without
   * reading the switch (as `SimRouter.interfacesAdded`).
   */
  static get portsAdded(): number {
    return portsAddedAnywhere;
  }

  /** The number of port `name` (see `receiveAt`), if it is one of the switch's ports. */
  portIndex(name: string): number | undefined {
    return name === this.config.underlayPort ? undefined : this.portIndexes.get(name);
  }

  /**
   * The port an FDB target names (undefined for the peer-link or a port not configured), kept on
   * the target: the per-frame `Map` lookup by name was a measurable cost (bench dataplane).
   */
  private targetPort(t: FdbPortTarget): SwitchPort | undefined {
    if (t.attachedVersion === this.portsVersion) return t.attached as SwitchPort | undefined;
    const port = t.port === PEER_LINK_PORT ? undefined : this.ports.get(t.port);
    t.attached = port;
    t.attachedVersion = this.portsVersion;
    return port;
  }

  /**
   * A port just taken out of forwarding by us (LACP told the server to stop): frames the server
   * sent before it heard are still bridged, but nothing is learnt or sent there.
   */
  setPortDraining(name: string, draining: boolean): void {
    const p = this.ports.get(name);
    if (p) p.draining = draining;
  }

  /** Whether an access port forwards (carrier, and for an M-LAG member: LACP and the DFS group). */
  portIsUp(name: string): boolean {
    return this.ports.get(name)?.up === true;
  }

  /** Link state of an access port; going down flushes its MACs (the control plane withdraws them). */
  setPortUp(name: string, up: boolean): SwitchEvent[] {
    const p = this.ports.get(name);
    if (!p) return [];
    p.up = up;
    if (up) return [];
    const events: SwitchEvent[] = [];
    for (const [vni, bd] of this.domains) for (const e of bd.fdb.flushPort(name)) events.push({ ...e, vni });
    return events;
  }

  domain(vni: number): Readonly<BridgeDomain> | undefined {
    return this.domains.get(vni);
  }

  // ---- control-plane input (EVPN) ---------------------------------------------------------------

  addRemoteMac(vni: number, mac: Mac, vtep: IpAddress, now: number): void {
    this.domains.get(vni)?.fdb.installRemote(mac, vtep, now);
  }

  removeRemoteMac(vni: number, mac: Mac, vtep: IpAddress): void {
    this.domains.get(vni)?.fdb.uninstallRemote(mac, vtep);
  }

  /** M-LAG sync: `mac` is behind our member `port` of its M-LAG, or behind `PEER_LINK_PORT`. */
  installSyncedMac(vni: number, mac: Mac, port: string): void {
    this.domains.get(vni)?.fdb.installSynced(mac, port);
  }

  removeSyncedMac(vni: number, mac: Mac): void {
    this.domains.get(vni)?.fdb.uninstallSynced(mac);
  }

  /** Forgets every MAC the M-LAG peer synced (the device restarts: its sync state is gone). */
  flushSynced(): void {
    for (const bd of this.domains.values()) bd.fdb.flushSynced();
  }

  /** A MAC we had locally is now owned elsewhere with a higher sequence (RFC 7432 §15): forget it. */
  removeLocalMac(vni: number, mac: Mac): void {
    this.domains.get(vni)?.fdb.removeLocal(mac);
  }

  addFloodVtep(vni: number, vtep: IpAddress): void {
    this.domains.get(vni)?.floodList.add(vtep);
  }

  removeFloodVtep(vni: number, vtep: IpAddress): void {
    this.domains.get(vni)?.floodList.delete(vtep);
  }

  addNeighbor(vni: number, ip: IpAddress, mac: Mac): void {
    this.domains.get(vni)?.neighbors.set(ip, mac);
  }

  removeNeighbor(vni: number, ip: IpAddress): void {
    this.domains.get(vni)?.neighbors.delete(ip);
  }

  // ---- time ---------------------------------------------------------------------------------------

  poll(now: number): SwitchEvent[] {
    const events: SwitchEvent[] = [];
    for (const [vni, bd] of this.domains) for (const e of bd.fdb.age(now)) events.push({ ...e, vni });
    return events;
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const bd of this.domains.values()) {
      const t = bd.fdb.nextAging();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  // ---- frames -------------------------------------------------------------------------------------

  receive(port: string, frame: Uint8Array, now: number): SwitchOutput {
    if (port === this.config.underlayPort) return this.receiveFrom(undefined, true, frame, now);
    return this.receiveFrom(this.accessPort(port), false, frame, now);
  }

  /** `receive` on the port numbered `index` (`portIndex`). */
  receiveAt(index: number, frame: Uint8Array, now: number): SwitchOutput {
    return this.receiveFrom(this.portsByIndex[index], false, frame, now);
  }

  private receiveFrom(
    port: SwitchPort | undefined,
    fromUnderlay: boolean,
    frame: Uint8Array,
    now: number,
  ): SwitchOutput {
    const out = new Output();
    this.counters.framesIn++;
    try {
      if (fromUnderlay) this.fromUnderlay(frame, now, out);
      else this.fromAccess(port, frame, now, out);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.counters.malformed++;
    }
    this.counters.framesOut += out.transmit.length;
    return out;
  }

  /** The name `accessPort` last found, as its caller passed it, and that port. */
  private lastPortName = '';
  private lastPort: SwitchPort | undefined;

  /**
   * `ports.get(name)`, remembering the last port found: a driver passes the same string for a port
   * each time, so a repeat is an identity comparison, where the `Map` lookup compared the string's
   * contents with the stored name's (bench dataplane). Ports are only added (`addPort` forgets it).
   */
  private accessPort(name: string): SwitchPort | undefined {
    if (name === this.lastPortName && this.lastPort !== undefined) return this.lastPort;
    const port = this.ports.get(name);
    if (port !== undefined) {
      this.lastPortName = name;
      this.lastPort = port;
    }
    return port;
  }

  private fromAccess(port: SwitchPort | undefined, bytes: Uint8Array, now: number, out: Output): void {
    if (!port || (!port.up && !port.draining)) return this.drop();
    const portName = port.name;
    // IEEE 802.1Q §8.6.3: 01:80:c2:00:00:0x (LACP, STP, ...) is link-local, never bridged.
    if (isLinkLocalGroup(bytes)) return this.drop();
    if (port.mode === 'access' && bytes.length >= ETHERNET_HEADER_LENGTH) {
      const etherType = (bytes[12]! << 8) | bytes[13]!;
      if (etherType !== ETHERTYPE_ARP && etherType !== ETHERTYPE_IPV6 && !isVlanTpid(etherType))
        return this.bridgeFromAccess(port.bd, portName, port.up, etherType, bytes, now, out);
    }
    const eth = decodeEthernet(bytes);
    let vni: number | undefined;
    let inner = eth;
    if (port.mode === 'access') {
      if (eth.vlans.length > 0) return this.drop();
      vni = port.vni;
    } else {
      const tag = eth.vlans[0];
      if (!tag || tag.tpid !== ETHERTYPE_VLAN) return this.drop();
      vni = port.vlans[tag.vid];
      // The bridge domain carries untagged frames; the tag is restored on trunk egress.
      inner = { ...eth, vlans: eth.vlans.slice(1) };
    }
    const bd = vni === undefined ? undefined : this.domains.get(vni);
    if (!bd) return this.drop();
    const frame = inner === eth ? bytes : encodeEthernet(inner);
    // The source MAC's I/G bit, read from the frame (bytes[6]) rather than parsed from its string.
    // A draining port still bridges what is on the wire but learns nothing (setPortDraining).
    if ((bytes[6]! & 1) === 0 && port.up)
      this.learntLocal(bd, bd.fdb.learnLocalFrom(bytes, 6, portName, now), out);
    if (inner.etherType === ETHERTYPE_ARP) {
      const arp = decodeArp(inner.payload);
      // Every ARP a local host sends tells its IP↔MAC binding (advertised as MAC+IP), including
      // the ones addressed to the gateway.
      if ((arp.op === ARP_OP_REQUEST || arp.op === ARP_OP_REPLY) && arp.spa !== '0.0.0.0') {
        out.event({ type: 'local-neighbor', vni: bd.config.vni, ip: arp.spa, mac: arp.sha });
      }
      if (this.gatewayArp(bd, inner, { port: portName }, out)) return;
      if (this.handleArp(bd, portName, arp, out)) return;
      // With suppression a gratuitous ARP stays off the fabric (Linux's neigh_suppress default):
      // EVPN carries the binding (RFC 7432 §10); local ports and the M-LAG peer still get it.
      if (bd.config.arpSuppression && isGratuitousArp(arp))
        return this.forward(bd, portName, frame, out, false);
    }
    if (inner.etherType === ETHERTYPE_IPV6 && this.handleNd(bd, portName, inner, out)) return;
    if (bd.gateway && inner.dst === bd.gateway.mac && inner.etherType === ETHERTYPE_IPV4)
      return this.route(bd.gateway.vrf ?? 'default', inner.payload, out, false);
    this.forward(bd, portName, frame, out, true);
  }

  /**
   * The fast path of `fromAccess`: an untagged frame on an access port that needs no snooping (not
   * ARP or IPv6) is bridged from its bytes, its MACs read as numbers, nothing decoded.
   */
  private bridgeFromAccess(
    bd: BridgeDomain | undefined,
    portName: string,
    learns: boolean,
    etherType: number,
    bytes: Uint8Array,
    now: number,
    out: Output,
  ): void {
    if (!bd) return this.drop();
    if ((bytes[6]! & 1) === 0 && learns)
      this.learntLocal(bd, bd.fdb.learnLocalFrom(bytes, 6, portName, now), out);
    if (bd.gateway && etherType === ETHERTYPE_IPV4 && macNumberFromBytes(bytes, 0) === bd.gatewayMac)
      return this.route(bd.gateway.vrf ?? 'default', bytes.subarray(ETHERNET_HEADER_LENGTH), out, false);
    this.forward(bd, portName, bytes, out, true);
  }

  /** Reports a local MAC the FDB learnt or moved to the control plane. */
  private learntLocal(bd: BridgeDomain, ev: FdbEvent | undefined, out: Output): void {
    if (!ev) return;
    if (ev.type === 'local-learnt' && ev.movedFrom !== undefined) this.counters.macMoves++;
    out.event({ ...ev, vni: bd.config.vni });
  }

  /**
   * The gateway's side of ARP: learns hosts of the VNI from any ARP it sees, answers requests for
   * its own address (back where they came from), and releases packets that waited for a reply.
   * True when the frame was for the gateway itself.
   */
  private gatewayArp(
    bd: BridgeDomain,
    eth: EthernetFrame,
    from: { port?: string; vtep?: IpAddress },
    out: Output,
  ): boolean {
    const g = bd.gateway;
    if (!g) return false;
    const arp = decodeArp(eth.payload);
    if (arp.spa !== '0.0.0.0' && arp.spa !== g.ip) {
      bd.hosts.set(arp.spa, arp.sha);
      const waiting = bd.awaitingArp.get(arp.spa);
      if (waiting) {
        bd.awaitingArp.delete(arp.spa);
        for (const packet of waiting) this.sendRouted(bd, arp.sha, packet, out);
      }
    }
    if (arp.tpa !== g.ip) return false;
    if (arp.op === ARP_OP_REQUEST) {
      const reply = encodeEthernet({
        dst: arp.sha,
        src: g.mac,
        vlans: [],
        etherType: ETHERTYPE_ARP,
        payload: encodeArp(arpReplyFor(arp, g.mac)),
      });
      if (from.port !== undefined) this.emitLocal(from.port, reply, out, bd.config.vni);
      else if (from.vtep !== undefined) this.encapsulate(bd.config.vni, from.vtep, reply, out);
    }
    return true;
  }

  /**
   * Routes an IPv4 packet that arrived at a gateway (or router) MAC, within tenant VRF `vrfName`:
   * to a local host of a gateway subnet; else (symmetric IRB) over the VRF's L3VNI to the VTEP of
   * the longest matching host route or prefix; else into a local gateway subnet, ARPing for the host.
   * A packet that came in over the L3VNI is never routed back into it.
   */
  private route(vrfName: string, bytes: Uint8Array, out: Output, fromL3vni: boolean): void {
    const ip = decodeIpv4(bytes);
    const dst = ipv4ToNumber(ip.dst);
    let egress: BridgeDomain | undefined;
    for (const bd of this.domains.values()) {
      const g = bd.gateway;
      // Tenant isolation: a VRF's packets only ever reach that VRF's subnets.
      if (!g || (g.vrf ?? 'default') !== vrfName) continue;
      const mask = g.prefixLength === 0 ? 0 : (0xffffffff << (32 - g.prefixLength)) >>> 0;
      if ((dst & mask) >>> 0 === (ipv4ToNumber(g.ip) & mask) >>> 0) egress = bd;
    }
    if (ip.ttl <= 1 || (egress && ip.dst === egress.gateway!.ip)) {
      this.counters.routeDrops++;
      return;
    }
    const packet = encodeIpv4({ ...ip, ttl: ip.ttl - 1 });
    const localMac = egress ? this.localHostMac(egress, ip.dst) : undefined;
    if (localMac) return this.sendRouted(egress!, localMac, packet, out);
    const vrf = this.vrfs.get(vrfName);
    if (vrf && !fromL3vni) {
      const r = longestMatch(vrf, dst);
      if (r && (!egress || r.length > egress.gateway!.prefixLength)) {
        this.routeViaL3vni(vrf, dst, packet, out, r);
        return;
      }
    }
    if (!egress) {
      this.counters.routeDrops++;
      return;
    }
    const mac = egress.hosts.get(ip.dst) ?? (egress.neighbors.get(ip.dst) as Mac | undefined);
    if (mac) return this.sendRouted(egress, mac, packet, out);
    // Unknown destination: queue the packet and ask (RFC 1122 §2.3.2.2: keep at least one).
    const waiting = egress.awaitingArp.get(ip.dst);
    if (waiting) {
      if (waiting.length < ARP_QUEUE_LIMIT) waiting.push(packet);
      else this.counters.routeDrops++;
      return;
    }
    egress.awaitingArp.set(ip.dst, [packet]);
    const g = egress.gateway!;
    const request = encodeEthernet({
      dst: 'ff:ff:ff:ff:ff:ff' as Mac,
      src: g.mac,
      vlans: [],
      etherType: ETHERTYPE_ARP,
      payload: encodeArp(arpRequest(g.mac, g.ip, ip.dst)),
    });
    this.forward(egress, undefined, request, out, true);
  }

  /** The MAC of `ip` in `bd` if that host sits on one of our own ports. */
  private localHostMac(bd: BridgeDomain, ip: Ipv4Address): Mac | undefined {
    const mac = bd.hosts.get(ip) ?? (bd.neighbors.get(ip) as Mac | undefined);
    const e = mac ? bd.fdb.lookup(mac) : undefined;
    return e && (e.kind === 'local' || e.kind === 'static' || e.kind === 'synced') ? mac : undefined;
  }

  /**
   * RFC 9135 §4.3 symmetric IRB: the routed packet goes to the remote VTEP in the VRF's L3VNI,
   * inner destination its router MAC, inner source ours; the remote VTEP routes it again.
   */
  private routeViaL3vni(
    vrf: Vrf,
    dst: number,
    packet: Uint8Array,
    out: Output,
    route = longestMatch(vrf, dst),
  ): void {
    if (!route) {
      this.counters.routeDrops++;
      return;
    }
    const vteps = [...route.vteps];
    const [vtep, routerMac] =
      vteps.length === 1 ? vteps[0]! : vteps[hashBucket(flowHash(packet), vteps.length)]!;
    this.counters.routed++;
    const frame = encodeEthernet({
      dst: routerMac,
      src: vrf.config.routerMac,
      vlans: [],
      etherType: ETHERTYPE_IPV4,
      payload: packet,
    });
    this.encapsulate(vrf.config.l3vni, vtep, frame, out);
  }

  private sendRouted(bd: BridgeDomain, dstMac: Mac, packet: Uint8Array, out: Output): void {
    const g = bd.gateway!;
    this.counters.routed++;
    const frame = encodeEthernet({
      dst: dstMac,
      src: g.mac,
      vlans: [],
      etherType: ETHERTYPE_IPV4,
      payload: packet,
    });
    // A routed frame is new in the egress VNI: it may go to a local port or into the overlay.
    this.forward(bd, undefined, frame, out, true);
  }

  /** Snoops ARP for MAC+IP bindings; answers requests for known IPs (suppression). True if consumed. */
  private handleArp(
    bd: BridgeDomain,
    portName: string,
    arp: ReturnType<typeof decodeArp>,
    out: Output,
  ): boolean {
    if (arp.op !== ARP_OP_REQUEST || isGratuitousArp(arp) || !bd.config.arpSuppression) return false;
    const mac = bd.neighbors.get(arp.tpa);
    if (!mac) return false;
    // RFC 9161 §3: the VTEP replies on behalf of the target; the request never crosses the fabric.
    const reply = encodeEthernet({
      dst: arp.sha,
      src: mac,
      vlans: [],
      etherType: ETHERTYPE_ARP,
      payload: encodeArp(arpReplyFor(arp, mac)),
    });
    this.emitLocal(portName, reply, out, bd.config.vni);
    this.counters.arpSuppressed++;
    return true;
  }

  /**
   * IPv6 ND (RFC 4861) the way ARP is handled: NS/NA snooped for bindings; a Neighbor Solicitation
   * for a known remote address answered locally with a solicited NA (RFC 9161 §3.2). DAD probes
   * (unspecified source) are never answered. True if the frame was consumed.
   */
  private handleNd(bd: BridgeDomain, portName: string, eth: EthernetFrame, out: Output): boolean {
    const ip = decodeIpv6(eth.payload);
    if (ip.nextHeader !== IPPROTO_ICMPV6) return false;
    const msg = decodeIcmpv6(ip.payload, ip.src, ip.dst);
    if (msg.kind === 'neighbor-advertisement') {
      out.event({ type: 'local-neighbor', vni: bd.config.vni, ip: msg.target, mac: eth.src });
      return false;
    }
    if (msg.kind !== 'neighbor-solicitation' || ip.src === '::') return false;
    out.event({ type: 'local-neighbor', vni: bd.config.vni, ip: ip.src, mac: eth.src });
    if (!bd.config.arpSuppression) return false;
    const mac = bd.neighbors.get(msg.target);
    if (!mac) return false;
    const na = encodeIcmpv6(
      {
        kind: 'neighbor-advertisement',
        router: false,
        solicited: true,
        override: false,
        target: msg.target,
        options: [{ kind: 'target-link-layer-address', mac }],
      },
      msg.target,
      ip.src,
    );
    const packet = encodeIpv6({
      trafficClass: 0,
      flowLabel: 0,
      nextHeader: IPPROTO_ICMPV6,
      hopLimit: ND_HOP_LIMIT,
      src: msg.target,
      dst: ip.src,
      payload: na,
    });
    this.emitLocal(
      portName,
      encodeEthernet({ dst: eth.src, src: mac, vlans: [], etherType: ETHERTYPE_IPV6, payload: packet }),
      out,
      bd.config.vni,
    );
    this.counters.ndSuppressed++;
    return true;
  }

  private fromUnderlay(bytes: Uint8Array, now: number, out: Output): void {
    if (!this.isVxlanForUs(bytes)) {
      out.host(bytes);
      return;
    }
    const { vni, innerStart, innerEnd } = checkVxlanFrame(bytes);
    const innerFrame = viewOf(bytes, innerStart, innerEnd - innerStart);
    const bd = this.domainOf(vni);
    // The outer IPv4 header is at 14 (checkVxlanFrame), so the source VTEP is at 26.
    if (bd && this.mlag && outerIpv4(bytes, 26) === this.mlag.peer) {
      if (!this.peerLinkUp) return this.drop();
      this.counters.peerLinkIn++;
      this.counters.decapsulated++;
      // The VXLAN header is the 8 octets before the inner frame: flags, then the GBP policy ID at +2.
      const h = innerStart - 8;
      const flooded =
        (bytes[h]! & VXLAN_FLAG_G) !== 0 &&
        ((bytes[h + 2]! << 8) | bytes[h + 3]!) === MLAG_FLOODED_GROUP_POLICY;
      return this.fromPeerLink(bd, innerFrame, out, flooded);
    }
    if (!bd) {
      const vrf = this.vrfsByL3vni.get(vni);
      if (!vrf) return this.drop();
      // The L3VNI carries only routed packets addressed to our router MAC (RFC 9135 §5.1).
      this.counters.decapsulated++;
      const eth = decodeEthernet(innerFrame);
      if (eth.dst !== vrf.config.routerMac || eth.etherType !== ETHERTYPE_IPV4) return this.drop();
      return this.route(vrf.config.name, eth.payload, out, true);
    }
    this.counters.decapsulated++;
    // The inner header is read in place; only a tagged inner frame is decoded (for its EtherType).
    const type = (innerFrame[12]! << 8) | innerFrame[13]!;
    const tagged = isVlanTpid(type) ? decodeEthernet(innerFrame) : undefined;
    const etherType = tagged ? tagged.etherType : type;
    // The outer IPv4 header is at 14 (checkVxlanFrame), so the source VTEP is at 26.
    if (bd.config.mode === 'flood-and-learn' && (innerFrame[6]! & 1) === 0) {
      // RFC 7348 §4.1: learn the inner source MAC against the outer source IP.
      const ev = bd.fdb.learnRemote(macFromBytes(innerFrame, 6), ipv4FromBytes(bytes, 26), now);
      if (ev) {
        this.counters.macMoves++;
        out.event({ ...ev, vni: bd.config.vni });
      }
    }
    if (
      etherType === ETHERTYPE_ARP &&
      bd.gateway &&
      this.gatewayArp(bd, tagged ?? decodeEthernet(innerFrame), { vtep: ipv4FromBytes(bytes, 26) }, out)
    )
      return;
    if (bd.gateway && etherType === ETHERTYPE_IPV4 && macNumberFromBytes(innerFrame, 0) === bd.gatewayMac) {
      const payload = tagged ? tagged.payload : innerFrame.subarray(ETHERNET_HEADER_LENGTH);
      return this.route(bd.gateway.vrf ?? 'default', payload, out, false);
    }
    // Split horizon: what came from the overlay never goes back into it.
    this.forward(bd, undefined, innerFrame, out, false);
  }

  /**
   * A frame the M-LAG peer sent over the peer-link. Not learnt (the peer syncs its MACs); known
   * unicast goes to a local port only; BUM goes to local ports except isolated members, and never
   * into the overlay (the peer replicated it there) or back to the peer.
   */
  private fromPeerLink(bd: BridgeDomain, frame: Uint8Array, out: Output, flooded: boolean): void {
    const eth = decodeEthernet(frame);
    if (eth.etherType === ETHERTYPE_ARP && this.gatewayArp(bd, eth, {}, out)) return;
    if (bd.gateway && eth.dst === bd.gateway.mac && eth.etherType === ETHERTYPE_IPV4)
      return this.route(bd.gateway.vrf ?? 'default', eth.payload, out, false);
    this.forward(bd, PEER_LINK_PORT, frame, out, false, flooded ? FLOODED_BY_PEER : UNICAST_FROM_PEER);
  }

  /** An M-LAG member port that takes nothing from the peer-link (its server is dual-homed now). */
  private isolatedMember(port: SwitchPort): boolean {
    return port.mlagId !== undefined && this.isolated.has(port.mlagId);
  }

  /** The bridge domain the last decapsulated frame found: consecutive frames of one VNI skip the `Map`. */
  private lastDomain: BridgeDomain | undefined;

  /** `domains.get(vni)` (bridge domains are never removed or replaced, so a found one stays valid). */
  private domainOf(vni: number): BridgeDomain | undefined {
    const last = this.lastDomain;
    if (last !== undefined && last.config.vni === vni) return last;
    const bd = this.domains.get(vni);
    if (bd !== undefined) this.lastDomain = bd;
    return bd;
  }

  /** A cheap look at the outer headers: IPv4, UDP to 4789, addressed to our VTEP. */
  private isVxlanForUs(b: Uint8Array): boolean {
    if (b.length < 50 || b[12] !== 0x08 || b[13] !== 0x00 || b[23] !== 17) return false;
    const ihl = (b[14]! & 0x0f) * 4;
    const udp = 14 + ihl;
    if (b.length < udp + 8 || ((b[udp + 2]! << 8) | b[udp + 3]!) !== VXLAN_PORT) return false;
    // Compared as a number: building the dotted string per frame was a measurable cost (bench dataplane).
    const dst = outerIpv4(b, 30);
    return dst === this.vtepIpNumber || dst === this.mlag?.virtual;
  }

  private forward(
    bd: BridgeDomain,
    inPort: string | undefined,
    /** An untagged frame of the bridge domain: its destination MAC is read from its first octets. */
    frame: Uint8Array,
    out: Output,
    toOverlay: boolean,
    /** Whether the frame came over the peer-link (`inPort` is then `PEER_LINK_PORT`), and how. */
    fromPeerLink: PeerLinkOrigin = NOT_FROM_PEER,
  ): void {
    // A number, not `inPort === PEER_LINK_PORT`: port names are often built strings, and comparing
    // one is a call per frame (bench dataplane).
    const fromPeer = fromPeerLink !== NOT_FROM_PEER;
    const peerFlooded = fromPeerLink === FLOODED_BY_PEER;
    // The I/G bit of the destination MAC (IEEE 802 §8.2): unicast frames look their MAC up.
    if ((frame[0]! & 1) === 0) {
      const t = bd.fdb.forwardingAt(frame, 0);
      if (t?.kind === 'port') {
        if (inPort !== undefined && t.port === inPort) return;
        const port = this.targetPort(t);
        // Isolation covers unknown unicast the peer flooded: while the server is dual-homed the peer
        // delivered its own copy. Unicast it redirected to us (its member port is down) passes.
        if (peerFlooded && port && this.isolatedMember(port)) {
          this.counters.isolationDropped++;
          return;
        }
        // Seed 001 member-port failure: a member port that stopped forwarding still has its server
        // behind the peer's; the peer-link reaches it at once, as a LAG fails over in hardware,
        // before the control plane re-points the MAC. Never back where it came from.
        if (!fromPeer && port?.up === false && port.mlagId !== undefined)
          return this.emitLocal(PEER_LINK_PORT, frame, out, bd.config.vni);
        if (port) this.emitOnPort(port, frame, out, bd.config.vni);
        else this.emitLocal(t.port, frame, out, bd.config.vni);
        return;
      }
      // From the peer-link only to our own ports: the peer reaches the overlay itself.
      if (fromPeer) return this.drop();
      if (t?.kind === 'vtep') {
        if (toOverlay) this.encapsulate(bd.config.vni, t.vtep, frame, out);
        return;
      }
    }
    // BUM: every other local port of the VNI, and (from a local port) one copy per flood-list VTEP.
    this.counters.floods++;
    for (const p of this.ports.values()) {
      if (p.name === inPort || !p.up) continue;
      if (p.mode === 'access' ? p.vni === bd.config.vni : Object.values(p.vlans).includes(bd.config.vni)) {
        if (fromPeer && this.isolatedMember(p)) {
          this.counters.isolationDropped++;
          continue;
        }
        // A port object already (never the peer-link: `addPort` refuses its name), not looked up again.
        this.emitOnPort(p, frame, out, bd.config.vni);
      }
    }
    // The peer's single-homed servers get one copy over the peer-link, marked as flooded.
    if (!fromPeer) this.emitLocal(PEER_LINK_PORT, frame, out, bd.config.vni, true);
    if (!toOverlay) return;
    for (const vtep of bd.floodList) {
      this.encapsulate(bd.config.vni, vtep, frame, out);
      this.counters.replicated++;
    }
  }

  /** Per remote VTEP: the outer headers towards it, for the source and next hop they were built with. */
  private readonly tunnels = new Map<IpAddress, Tunnel>();
  /** The tunnel the last frame took: consecutive frames to one VTEP skip the `Map` lookup. */
  private lastTunnel: Tunnel | undefined;
  /** Where encapsulated frames are written (views into shared slabs, see `FrameSlab`). */
  private readonly frames = new FrameSlab();

  private encapsulate(
    vni: number,
    vtep: IpAddress,
    frame: Uint8Array,
    out: Output,
    source: Ipv4Address = this.mlag?.virtualVtepIp ?? this.config.vtepIp,
  ): Uint8Array | undefined {
    const nextHop = this.config.resolveNextHop(vtep);
    if (!nextHop) {
      this.drop();
      return undefined;
    }
    let tunnel = this.lastTunnel;
    if (tunnel?.vtep !== vtep || tunnel.nextHop !== nextHop || tunnel.source !== source) {
      tunnel = this.tunnels.get(vtep);
      if (tunnel?.nextHop !== nextHop || tunnel.source !== source) {
        // Only IPv4 underlays (vxlan.ts): an IPv6 VTEP never gets a tunnel.
        if (vtep.includes(':')) {
          this.drop();
          return undefined;
        }
        const outer = vxlanOuterTemplate({
          outerSrcMac: this.config.underlayMac,
          outerDstMac: nextHop,
          outerSrcIp: source,
          outerDstIp: vtep as Ipv4Address,
        });
        this.tunnels.set(vtep, (tunnel = { vtep, source, nextHop, outer }));
      }
      this.lastTunnel = tunnel;
    }
    const length = VXLAN_OVERHEAD + frame.length;
    const at = this.frames.reserve(length);
    encapsulateVxlanWithTemplate(tunnel.outer, vni as Vni, frame, this.frames.bytes, at);
    const encapsulated = this.frames.frame(at, length);
    out.send(this.config.underlayPort, -1, encapsulated);
    this.counters.encapsulated++;
    return encapsulated;
  }

  /** Sends an untagged bridge-domain frame out of a local port, tagging it on a trunk. */
  private emitLocal(portName: string, frame: Uint8Array, out: Output, vni?: number, flooded = false): void {
    if (portName === PEER_LINK_PORT) {
      // Peer-link frames: VXLAN from our own VTEP address to the peer's, so the VNI travels along.
      if (!this.mlag || !this.peerLinkUp || vni === undefined) return;
      this.counters.peerLinkOut++;
      const sent = this.encapsulate(vni, this.mlag.peerVtepIp, frame, out, this.config.vtepIp);
      if (sent && flooded) {
        // VXLAN-GBP: G flag, then the Group Policy ID in the last two octets of the first word.
        const h = VXLAN_OVERHEAD - 8;
        sent[h] = sent[h]! | VXLAN_FLAG_G;
        sent[h + 2] = MLAG_FLOODED_GROUP_POLICY >>> 8;
        sent[h + 3] = MLAG_FLOODED_GROUP_POLICY & 0xff;
      }
      return;
    }
    const p = this.ports.get(portName);
    if (p) this.emitOnPort(p, frame, out, vni);
  }

  /** `emitLocal` for a port already looked up (not the peer-link): one `Map` lookup less per frame. */
  private emitOnPort(p: SwitchPort, frame: Uint8Array, out: Output, vni: number | undefined): void {
    if (!p.up) return;
    if (p.mode === 'trunk' && vni !== undefined) {
      const vid = Object.entries(p.vlans).find(([, v]) => v === vni)?.[0];
      if (vid === undefined) return;
      const eth = decodeEthernet(frame);
      frame = encodeEthernet({
        ...eth,
        vlans: [{ tpid: ETHERTYPE_VLAN, pcp: 0, dei: false, vid: Number(vid) }, ...eth.vlans],
      });
    }
    out.send(p.name, p.index, frame);
  }

  private drop(): void {
    this.counters.dropped++;
  }
}

/** A remote VTEP's outer headers, for the source and next hop they were built with. */
interface Tunnel {
  readonly vtep: IpAddress;
  readonly source: Ipv4Address;
  readonly nextHop: Mac;
  readonly outer: VxlanOuterTemplate;
}

/** The outer IPv4 source (offset 26) or destination (30) of an Ethernet frame, as a number. */
function outerIpv4(b: Uint8Array, offset: number): number {
  return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
}

/** Where `forward`'s frame came from: a local port or the overlay, or the M-LAG peer (flooded by it, or not). */
type PeerLinkOrigin = typeof NOT_FROM_PEER | typeof UNICAST_FROM_PEER | typeof FLOODED_BY_PEER;
const NOT_FROM_PEER = 0;
const UNICAST_FROM_PEER = 1;
/** The peer flooded this copy (`MLAG_FLOODED_GROUP_POLICY`). */
const FLOODED_BY_PEER = 2;

/** VXLAN-GBP's G flag (draft-smith-vxlan-group-policy §2.1), a reserved bit of RFC 7348's flags. */
const VXLAN_FLAG_G = 0x80;

/** 01:80:c2:00:00:00..0f, the IEEE 802.1Q reserved link-local group addresses. */
function isLinkLocalGroup(b: Uint8Array): boolean {
  return (
    b.length >= 6 &&
    b[0] === 0x01 &&
    b[1] === 0x80 &&
    b[2] === 0xc2 &&
    b[3] === 0 &&
    b[4] === 0 &&
    b[5]! < 0x10
  );
}

/** "10.1.0.0/24" → numeric prefix, length and mask (undefined for anything else, e.g. IPv6). */
function parseIpv4Prefix(text: string): { prefix: number; length: number; mask: number } | undefined {
  const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(text);
  if (!m) return undefined;
  const length = Number(m[2]);
  if (length > 32) return undefined;
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return { prefix: (ipv4ToNumber(m[1] as Ipv4Address) & mask) >>> 0, length, mask };
}

function longestMatch(vrf: Vrf, dst: number): VrfRoute | undefined {
  const host = vrf.hosts.get(dst);
  if (host) return host;
  let best: VrfRoute | undefined;
  if (vrf.routes.size === vrf.hosts.size) return undefined;
  for (const r of vrf.routes.values()) {
    if ((dst & r.mask) >>> 0 === r.prefix && (!best || r.length > best.length)) best = r;
  }
  return best;
}
