/**
 * The in-process IPv4 router of the underlay (spines, and leaves' uplinks): routes outer IP
 * packets by longest prefix match, spreads flows over equal-cost next hops by hashing the
 * 5-tuple (RFC 7938 §6.3 ECMP; VXLAN's source-port entropy makes flows distinct), decrements TTL,
 * and answers ARP for its own interface addresses.
 *
 * Sans-IO: `receive(port, frame, now)` returns frames to transmit, and frames for the router
 * itself (BGP, BFD) go to `toHost`; `originate(packet, dst, now)` routes the router's own packets;
 * `poll(now)` runs the ARP timers, and the `wake` callback tells the driver when to call it next.
 *
 * Next hops are either a neighbour's address on a connected subnet (`{ port, via }`), whose MAC the
 * router resolves with ARP (RFC 826) into a neighbour table kept as Linux keeps its own (NUD states:
 * reachable for 30 s after a reply, then stale, still used, and probed by unicast 5 s after its
 * next use; 3 requests 1 s apart before giving up), or a fixed MAC (`{ port, mac }`, a link inside
 * a device). Packets for a neighbour being resolved wait in a queue of at most `ARP_QUEUE_LIMIT`;
 * the oldest is dropped when it is full, and the whole queue when resolution fails or the link goes
 * down (`arpQueueDrops`). A port that loses carrier forgets its neighbours; they are resolved again
 * when next used.
 */
import type { Ipv4Address, Mac } from '../../wire/addr.js';
import { BROADCAST_MAC, ipv4ToNumber, macToBytes } from '../../wire/addr.js';
import {
  arpReplyFor,
  arpRequest,
  ARP_OP_REPLY,
  ARP_OP_REQUEST,
  decodeArp,
  encodeArp,
  type ArpPacket,
} from '../../wire/arp.js';
import { allocBytes, internetChecksum } from '../../wire/bytes.js';
import { WireError } from '../../wire/errors.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../wire/ethernet.js';
import { decodeIpv4, encodeIpv4 } from '../../wire/ipv4.js';

export interface RouterInterface {
  readonly port: string;
  readonly mac: Mac;
  readonly ip: Ipv4Address;
  readonly prefixLength: number;
}

/** A next hop with a fixed MAC (a link inside a device, or a test's router). */
export interface NextHop {
  readonly port: string;
  /** The neighbour's MAC on that port. */
  readonly mac: Mac;
}

/** A next hop by the neighbour's address on `port`'s connected subnet: its MAC comes from ARP. */
export interface GatewayHop {
  readonly port: string;
  readonly via: Ipv4Address;
}

export type RouteNextHop = NextHop | GatewayHop;

/** A next hop as `lookup` reports it: the MAC of a gateway once ARP has resolved it. */
export interface ResolvedHop {
  readonly port: string;
  readonly via?: Ipv4Address;
  readonly mac?: Mac;
}

/**
 * Neighbour states as Linux's NUD names them (ARP has none of its own): `none` holds no MAC and sends
 * nothing until used; `incomplete` is being resolved by broadcast; `reachable` was confirmed by a
 * reply less than `ARP_REACHABLE_NS` ago; `stale` is still used; `delay` waits before a `probe` by
 * unicast; `permanent` is a fixed MAC.
 */
export type NeighborState = 'none' | 'incomplete' | 'reachable' | 'stale' | 'delay' | 'probe' | 'permanent';

interface Neighbor {
  readonly port: string;
  /** `port`'s number (`SimRouter.portIndex`). */
  readonly portIndex: number;
  readonly ip: Ipv4Address | undefined;
  mac: Mac | undefined;
  /**
   * The MAC's two halves as numbers (valid while `mac` is set): written into each frame from the
   * neighbour itself, not from an array of its own (one more object, so a cache miss, per frame).
   */
  macHigh: number;
  macLow: number;
  state: NeighborState;
  confirmedAt: number;
  /** ARP requests sent in this resolution or probe. */
  requests: number;
  deadline: number | undefined;
  /** Frames waiting for the MAC (destination left zero), oldest first. */
  queue: Uint8Array[];
}

/** Linux's defaults (net.ipv4.neigh.*): base_reachable_time 30 s, delay_first_probe_time 5 s. */
export const ARP_REACHABLE_NS = 30e9;
export const ARP_DELAY_NS = 5e9;
/** retrans_time 1 s; mcast_solicit and ucast_solicit 3 (RFC 1122 §2.3.2.1: at most one a second). */
export const ARP_RETRANSMIT_NS = 1e9;
export const ARP_MAX_REQUESTS = 3;
/** Frames held per unresolved neighbour (Linux's unres_qlen is 101). */
export const ARP_QUEUE_LIMIT = 101;

interface Route {
  readonly prefix: number;
  readonly length: number;
  readonly mask: number;
  nextHops: Hop[];
}

/** A next hop with what forwarding needs resolved once: the egress interface and the neighbour. */
interface Hop {
  readonly port: string;
  readonly egress: Interface | undefined;
  readonly neighbor: Neighbor;
}

interface Interface extends RouterInterface {
  /** The port's number (`SimRouter.portIndex`). */
  readonly index: number;
  up: boolean;
  /** The MAC's two halves as numbers: compared with a frame's destination, written as its source. */
  readonly macHigh: number;
  readonly macLow: number;
  /** The connected subnet, as numbers. */
  readonly network: number;
  readonly mask: number;
}

const ETHERNET_HEADER = 14;
const IPV4_HEADER = 20;

export interface RouterCounters {
  forwarded: number;
  noRoute: number;
  ttlExpired: number;
  malformed: number;
  arpReplies: number;
  arpRequests: number;
  /** Resolutions and probes that got no reply after `ARP_MAX_REQUESTS` requests. */
  arpFailures: number;
  /** Frames dropped while waiting for ARP: queue full, resolution failed, or link down. */
  arpQueueDrops: number;
}

export interface RouterOptions {
  /** Asks the driver to call `poll` at this time (ns), the next ARP timer. */
  readonly wake?: (at: number) => void;
}

/** A frame to send out of `port`, whose number (`SimRouter.portIndex`) is `portIndex`. */
export interface RouterTransmit {
  readonly port: string;
  readonly portIndex: number;
  readonly frame: Uint8Array;
}

export interface RouterOutput {
  readonly transmit: readonly RouterTransmit[];
  readonly toHost: readonly Uint8Array[];
}

const NO_TRANSMIT: readonly RouterTransmit[] = Object.freeze([]);
const NO_FRAMES: readonly Uint8Array[] = Object.freeze([]);

/**
 * A `RouterOutput` as the router fills it. Each list is made when its first item comes: a
 * forwarded frame gives one frame to send and none for the host, and two empty arrays per frame
 * (a first push then makes room for 16) were most of what a hop allocated.
 */
class Output implements RouterOutput {
  transmit = NO_TRANSMIT;
  toHost = NO_FRAMES;

  send(t: RouterTransmit): void {
    if (this.transmit === NO_TRANSMIT) this.transmit = [t];
    else (this.transmit as RouterTransmit[]).push(t);
  }

  host(frame: Uint8Array): void {
    if (this.toHost === NO_FRAMES) this.toHost = [frame];
    else (this.toHost as Uint8Array[]).push(frame);
  }
}

/** See `SimRouter.interfacesAdded`. */
let interfacesAddedAnywhere = 0;

export class SimRouter {
  readonly counters: RouterCounters = {
    forwarded: 0,
    noRoute: 0,
    ttlExpired: 0,
    malformed: 0,
    arpReplies: 0,
    arpRequests: 0,
    arpFailures: 0,
    arpQueueDrops: 0,
  };
  private readonly interfaces = new Map<string, Interface>();
  /**
   * Ports by number: a port gets the next one the first time it is named (as an interface, or as a
   * next hop's port) and keeps it, so a driver can keep what it knows of a port in an array by
   * number and hand frames in (`receiveAt`) and take them out (`RouterTransmit.portIndex`) without
   * a lookup by name per frame.
   */
  private readonly portIndexes = new Map<string, number>();
  private readonly interfacesByIndex: (Interface | undefined)[] = [];
  private readonly routes = new Map<string, Route>();
  /** The /32 routes by address, and the shorter ones longest first (rebuilt when routes change). */
  private readonly hostRoutes = new Map<number, Route>();
  private shorterRoutes: Route[] | undefined;
  /** Our interface addresses, as numbers. */
  private readonly localAddresses = new Set<number>();
  /** port → neighbour IP → entry. */
  private readonly neighbors = new Map<string, Map<Ipv4Address, Neighbor>>();
  /** Neighbours with a timer running. */
  private readonly timed = new Set<Neighbor>();
  /** The earliest `poll` asked of the driver and not yet run. */
  private wakeAt: number | undefined;
  private readonly wake: ((at: number) => void) | undefined;

  /**
   * Per-device ECMP hash seed (from the name), as switches configure one: with one shared hash, a
   * leaf that picked spine N by hash % 2 would make every spine pick its leaf by the same parity,
   * sending all of a flow set to one device of an M-LAG pair (ECMP polarization).
   */
  private readonly hashSeed: number;

  constructor(
    readonly name: string,
    options: RouterOptions = {},
  ) {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    this.hashSeed = h >>> 0;
    this.wake = options.wake;
  }

  /** The neighbour entry of `ip` on `port`, made (state `none`) when first asked for. */
  private neighbor(port: string, ip: Ipv4Address): Neighbor {
    let m = this.neighbors.get(port);
    if (!m) this.neighbors.set(port, (m = new Map()));
    let n = m.get(ip);
    if (!n) {
      n = {
        port,
        portIndex: this.indexOf(port),
        ip,
        mac: undefined,
        macHigh: 0,
        macLow: 0,
        state: 'none',
        confirmedAt: 0,
        requests: 0,
        deadline: undefined,
        queue: [],
      };
      m.set(ip, n);
    }
    return n;
  }

  /** `port`'s number, given now if it has none yet. */
  private indexOf(port: string): number {
    let index = this.portIndexes.get(port);
    if (index === undefined) {
      index = this.portIndexes.size;
      this.portIndexes.set(port, index);
    }
    return index;
  }

  /** The number of `port` (see `receiveAt`), if it is one of the router's interfaces. */
  portIndex(port: string): number | undefined {
    return this.interfaces.has(port) ? this.portIndexes.get(port) : undefined;
  }

  /** The state and MAC of the neighbour `ip` on `port` (for `show` and tests). */
  neighborEntry(port: string, ip: Ipv4Address): { state: NeighborState; mac: Mac | undefined } | undefined {
    const n = this.neighbors.get(port)?.get(ip);
    return n && { state: n.state, mac: n.mac };
  }

  /** The interface whose connected subnet holds `ip` (up or down), if any. */
  connectedInterface(ip: Ipv4Address): (RouterInterface & { readonly up: boolean }) | undefined {
    const d = ipv4ToNumber(ip);
    for (const i of this.interfaces.values()) if ((d & i.mask) >>> 0 === i.network) return i;
    return undefined;
  }

  /** A next hop for a directly connected neighbour address (a BGP next hop); ARP finds its MAC. */
  resolveNeighbor(ip: Ipv4Address): GatewayHop | undefined {
    const i = this.connectedInterface(ip);
    return i && { port: i.port, via: ip };
  }

  isPortUp(port: string): boolean {
    return this.interfaces.get(port)?.up === true;
  }

  /** The router's address on `port`. */
  interfaceAddress(port: string): Ipv4Address | undefined {
    return this.interfaces.get(port)?.ip;
  }

  /**
   * Sends one of the router's own packets (BGP, BFD): to a connected neighbour directly, otherwise
   * by longest prefix match. Returns the frames to transmit now (the packet, or an ARP request while
   * the packet waits for the reply), or undefined when there is no usable route (the caller reports
   * "network unreachable", as a socket would).
   */
  originate(packet: Uint8Array, dst: Ipv4Address, now: number): RouterOutput['transmit'] | undefined {
    const connected = this.connectedInterface(dst);
    let neighbor: Neighbor;
    if (connected) {
      if (!connected.up || connected.prefixLength === 32) return undefined;
      neighbor = this.neighbor(connected.port, dst);
    } else {
      const hops = this.lookupNumber(ipv4ToNumber(dst));
      if (hops.length === 0) return undefined;
      neighbor = (
        hops.length === 1 ? hops[0]! : hops[hashBucket(flowHash(packet, this.hashSeed), hops.length)]!
      ).neighbor;
    }
    const egress = this.interfaces.get(neighbor.port)!;
    const frame = encodeEthernet({
      dst: BROADCAST_MAC,
      src: egress.mac,
      vlans: [],
      etherType: ETHERTYPE_IPV4,
      payload: packet,
    });
    const out = new Output();
    this.sendVia(neighbor, frame, now, out);
    return out.transmit;
  }

  // ---- ARP (RFC 826) ------------------------------------------------------------------------

  /** Sends `frame` (destination MAC to be written) to a neighbour, resolving it first if need be. */
  private sendVia(n: Neighbor, frame: Uint8Array, now: number, out: Output): void {
    if (this.macKnown(n, now, out)) {
      writeMacHalves(frame, 0, n.macHigh, n.macLow);
      out.send({ port: n.port, portIndex: n.portIndex, frame });
      return;
    }
    if (n.queue.length >= ARP_QUEUE_LIMIT) {
      n.queue.shift();
      this.counters.arpQueueDrops++;
    }
    n.queue.push(frame);
  }

  /**
   * Whether the neighbour's MAC is there for a frame about to leave, moving its state on as its use
   * requires.
   */
  private macKnown(n: Neighbor, now: number, out: Output): boolean {
    switch (n.state) {
      case 'permanent':
      case 'delay':
      case 'probe':
        return true;
      case 'reachable':
      case 'stale':
        if (n.state === 'reachable' && now - n.confirmedAt < ARP_REACHABLE_NS) return true;
        // Used while stale (or unconfirmed for too long): probed by unicast unless confirmed meanwhile.
        n.state = 'delay';
        this.arm(n, now + ARP_DELAY_NS);
        return true;
      case 'none':
        n.state = 'incomplete';
        n.requests = 0;
        this.request(n, now, out);
        return false;
      case 'incomplete':
        return false;
    }
  }

  /** One ARP request for `n`: broadcast while incomplete, unicast to its known MAC when probing. */
  private request(n: Neighbor, now: number, out: Output): void {
    const i = this.interfaces.get(n.port);
    if (!i || !n.ip) return;
    n.requests++;
    this.arm(n, now + ARP_RETRANSMIT_NS);
    out.send({
      port: n.port,
      portIndex: n.portIndex,
      frame: encodeEthernet({
        dst: n.state === 'probe' && n.mac ? n.mac : BROADCAST_MAC,
        src: i.mac,
        vlans: [],
        etherType: ETHERTYPE_ARP,
        payload: encodeArp(arpRequest(i.mac, i.ip, n.ip)),
      }),
    });
    this.counters.arpRequests++;
  }

  private arm(n: Neighbor, at: number): void {
    n.deadline = at;
    this.timed.add(n);
    if (this.wakeAt === undefined || at < this.wakeAt) {
      this.wakeAt = at;
      this.wake?.(at);
    }
  }

  private disarm(n: Neighbor): void {
    n.deadline = undefined;
    this.timed.delete(n);
  }

  /** The earliest ARP timer, if any. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const n of this.timed) if (next === undefined || n.deadline! < next) next = n.deadline;
    return next;
  }

  /** Runs the ARP timers due at `now`: retransmissions, probes, failures. */
  poll(now: number): RouterOutput {
    const out = new Output();
    if (this.wakeAt !== undefined && this.wakeAt <= now) this.wakeAt = undefined;
    for (const n of [...this.timed]) {
      if (n.deadline === undefined || n.deadline > now) continue;
      this.disarm(n);
      if (n.state === 'delay') {
        // RFC 1122 §2.3.2.1 unicast poll: ask the neighbour itself whether it is still there.
        n.state = 'probe';
        n.requests = 0;
        this.request(n, now, out);
      } else if (n.state === 'incomplete' || n.state === 'probe') {
        if (n.requests < ARP_MAX_REQUESTS) this.request(n, now, out);
        else {
          this.counters.arpFailures++;
          this.forget(n);
        }
      }
    }
    const next = this.nextDeadline();
    if (next !== undefined && (this.wakeAt === undefined || next < this.wakeAt)) {
      this.wakeAt = next;
      this.wake?.(next);
    }
    return out;
  }

  /** The neighbour is unknown again: its MAC, timers and waiting frames are gone. */
  private forget(n: Neighbor): void {
    this.disarm(n);
    this.counters.arpQueueDrops += n.queue.length;
    n.queue = [];
    n.mac = undefined;
    n.macHigh = 0;
    n.macLow = 0;
    n.state = 'none';
  }

  /**
   * RFC 826 reception: the sender's entry is updated if we have one ("merge"), and made if the
   * packet is for us. A reply confirms the neighbour (reachable); a request only tells its MAC
   * (stale until used and confirmed). Frames waiting for it leave now.
   */
  private learn(i: Interface, arp: ArpPacket, now: number, out: Output): void {
    if ((ipv4ToNumber(arp.spa) & i.mask) >>> 0 !== i.network || arp.spa === i.ip) return;
    const forUs = arp.tpa === i.ip;
    const n = forUs ? this.neighbor(i.port, arp.spa) : this.neighbors.get(i.port)?.get(arp.spa);
    if (!n) return;
    const changed = n.mac !== arp.sha;
    if (changed) {
      n.mac = arp.sha;
      [n.macHigh, n.macLow] = macHalves(macToBytes(arp.sha));
    }
    if (arp.op === ARP_OP_REPLY && forUs) {
      n.state = 'reachable';
      n.confirmedAt = now;
      this.disarm(n);
    } else if (changed || n.state === 'none' || n.state === 'incomplete') {
      n.state = 'stale';
      this.disarm(n);
    }
    const waiting = n.queue;
    n.queue = [];
    for (const f of waiting) this.sendVia(n, f, now, out);
  }

  addInterface(i: RouterInterface): void {
    const mask = i.prefixLength === 0 ? 0 : (0xffffffff << (32 - i.prefixLength)) >>> 0;
    const network = (ipv4ToNumber(i.ip) & mask) >>> 0;
    const [macHigh, macLow] = macHalves(macToBytes(i.mac));
    const index = this.indexOf(i.port);
    // One literal, every field in one order: interfaces made by spreading their configuration took
    // its shape (callers' objects differ), and the per-frame reads of their fields went megamorphic.
    const iface: Interface = {
      port: i.port,
      mac: i.mac,
      ip: i.ip,
      prefixLength: i.prefixLength,
      index,
      up: true,
      macHigh,
      macLow,
      network,
      mask,
    };
    if (this.interfaces.get(i.port)?.up === false) this.interfacesDown--;
    this.interfaces.set(i.port, iface);
    this.interfacesByIndex[index] = iface;
    interfacesAddedAnywhere++;
    this.localAddresses.clear();
    for (const x of this.interfaces.values()) this.localAddresses.add(ipv4ToNumber(x.ip));
    // Routes resolve their hops' interfaces once; a new (or replaced) interface is resolved again.
    for (const r of this.routes.values())
      r.nextHops = r.nextHops.map((h) => ({
        port: h.port,
        egress: this.interfaces.get(h.port),
        neighbor: h.neighbor,
      }));
  }

  /**
   * How many interfaces have been added to any router in this process: an answer of
   * `hasInterface` or `portIndex` holds until it changes. One counter for all routers so a driver
   * checks it per frame without reading the router itself (at data-center size, a cache miss).
   */
  static get interfacesAdded(): number {
    return interfacesAddedAnywhere;
  }
  /** How many interfaces are down: with none, a route's next hops are all usable, none read. */
  private interfacesDown = 0;

  hasInterface(port: string): boolean {
    return this.interfaces.has(port);
  }

  /**
   * Link state: routes through a down port are not used (the fast reroute of a real ASIC), and its
   * neighbours are forgotten, as Linux flushes them at carrier loss; they resolve again when used.
   */
  setPortUp(port: string, up: boolean): void {
    const i = this.interfaces.get(port);
    if (i && i.up !== up) {
      i.up = up;
      this.interfacesDown += up ? -1 : 1;
    }
    if (!up) for (const n of this.neighbors.get(port)?.values() ?? []) this.forget(n);
  }

  /** Installs (or replaces) the next hops of a prefix, e.g. from BGP or static configuration. */
  setRoute(prefix: Ipv4Address, length: number, nextHops: readonly RouteNextHop[]): void {
    const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
    const key = `${prefix}/${length}`;
    const value = (ipv4ToNumber(prefix) & mask) >>> 0;
    if (nextHops.length === 0) {
      this.routes.delete(key);
      if (length === 32) this.hostRoutes.delete(value);
    } else {
      const hops = nextHops.map((h): Hop => ({
        port: h.port,
        egress: this.interfaces.get(h.port),
        neighbor: 'via' in h ? this.neighbor(h.port, h.via) : permanentNeighbor(h, this.indexOf(h.port)),
      }));
      const route: Route = { prefix: value, length, mask, nextHops: hops };
      this.routes.set(key, route);
      if (length === 32) this.hostRoutes.set(value, route);
    }
    if (length !== 32) this.shorterRoutes = undefined;
  }

  /** Longest-prefix match, over next hops whose port is up. */
  lookup(dst: Ipv4Address): ResolvedHop[] {
    return this.lookupNumber(ipv4ToNumber(dst)).map(({ port, neighbor: n }) => ({
      port,
      ...(n.ip !== undefined ? { via: n.ip } : {}),
      ...(n.mac !== undefined ? { mac: n.mac } : {}),
    }));
  }

  private lookupNumber(d: number): readonly Hop[] {
    const host = this.hostRoutes.get(d);
    if (host) {
      const hops = this.usableHops(host);
      if (hops.length > 0) return hops;
    }
    if (!this.shorterRoutes) {
      // Longest first; a stable sort keeps insertion order between equal lengths.
      this.shorterRoutes = [...this.routes.values()]
        .filter((r) => r.length !== 32)
        .sort((a, b) => b.length - a.length);
    }
    for (const r of this.shorterRoutes) {
      if ((d & r.mask) >>> 0 !== r.prefix) continue;
      const hops = this.usableHops(r);
      if (hops.length > 0) return hops;
    }
    return [];
  }

  /** The route's next hops whose port is up (the route's own list when all are). */
  private usableHops(r: Route): readonly Hop[] {
    const hops = r.nextHops;
    if (this.interfacesDown === 0) return hops;
    for (const h of hops) {
      if (this.egressOf(h)?.up === false) return hops.filter((x) => this.egressOf(x)?.up !== false);
    }
    return hops;
  }

  private egressOf(h: Hop): Interface | undefined {
    return h.egress;
  }

  /**
   * The forwarding fast path, on the frame's bytes: an untagged IPv4 packet with a valid header
   * addressed to this interface's MAC, forwarded or handed to the router's host. Writes exactly what
   * the general path writes (new Ethernet header, TTL one less, header checksum recomputed; padding
   * dropped) and returns false to leave everything else to it.
   */
  private forwardFast(iface: Interface, frame: Uint8Array, now: number, out: Output): boolean {
    const n = frame.length;
    if (n < ETHERNET_HEADER + IPV4_HEADER || frame[12] !== 0x08 || frame[13] !== 0x00) return false;
    if (((frame[0]! << 16) | (frame[1]! << 8) | frame[2]!) !== iface.macHigh) return false;
    if (((frame[3]! << 16) | (frame[4]! << 8) | frame[5]!) !== iface.macLow) return false;
    const b0 = frame[ETHERNET_HEADER]!;
    const headerLength = (b0 & 0x0f) * 4;
    const totalLength = (frame[ETHERNET_HEADER + 2]! << 8) | frame[ETHERNET_HEADER + 3]!;
    if (b0 >>> 4 !== 4 || headerLength < IPV4_HEADER || totalLength < headerLength) return false;
    if (ETHERNET_HEADER + totalLength > n || (frame[ETHERNET_HEADER + 6]! & 0x80) !== 0) return false;
    if (internetChecksum(frame, ETHERNET_HEADER, ETHERNET_HEADER + headerLength) !== 0) return false;
    const o = ETHERNET_HEADER + 16;
    const dst = ((frame[o]! << 24) | (frame[o + 1]! << 16) | (frame[o + 2]! << 8) | frame[o + 3]!) >>> 0;
    if (this.localAddresses.has(dst)) {
      // For us (a VXLAN packet for our VTEP, a BGP segment): checked as the general path checks it.
      out.host(frame);
      return true;
    }
    const ttl = frame[ETHERNET_HEADER + 8]!;
    if (ttl <= 1) {
      this.counters.ttlExpired++;
      return true;
    }
    const hops = this.lookupNumber(dst);
    if (hops.length === 0) {
      this.counters.noRoute++;
      return true;
    }
    const hop =
      hops.length === 1
        ? hops[0]!
        : hops[hashBucket(flowHashAt(frame, ETHERNET_HEADER, this.hashSeed), hops.length)]!;
    const egress = this.egressOf(hop)!;
    const copy = allocBytes(ETHERNET_HEADER + totalLength);
    // The whole frame when it has no padding (every VXLAN frame): a view of its packet costs more
    // than copying the 14 header octets that are then overwritten.
    if (n === copy.length) copy.set(frame);
    else copy.set(frame.subarray(ETHERNET_HEADER, ETHERNET_HEADER + totalLength), ETHERNET_HEADER);
    writeMacHalves(copy, 6, egress.macHigh, egress.macLow);
    copy[12] = 0x08;
    copy[13] = 0x00;
    copy[ETHERNET_HEADER + 8] = ttl - 1;
    copy[ETHERNET_HEADER + 10] = 0;
    copy[ETHERNET_HEADER + 11] = 0;
    const c = internetChecksum(copy, ETHERNET_HEADER, ETHERNET_HEADER + headerLength);
    copy[ETHERNET_HEADER + 10] = c >>> 8;
    copy[ETHERNET_HEADER + 11] = c & 0xff;
    this.sendVia(hop.neighbor, copy, now, out);
    this.counters.forwarded++;
    return true;
  }

  receive(port: string, frame: Uint8Array, now: number): RouterOutput {
    return this.receiveOn(this.interfaces.get(port), frame, now);
  }

  /** `receive` on the port numbered `index` (`portIndex`); a number that is no port's (-1) drops the frame. */
  receiveAt(index: number, frame: Uint8Array, now: number): RouterOutput {
    return this.receiveOn(this.interfacesByIndex[index], frame, now);
  }

  private receiveOn(iface: Interface | undefined, frame: Uint8Array, now: number): RouterOutput {
    const out = new Output();
    if (!iface || !iface.up) return out;
    const port = iface.port;
    if (this.forwardFast(iface, frame, now, out)) return out;
    try {
      const eth = decodeEthernet(frame);
      if (eth.etherType === ETHERTYPE_ARP) {
        const arp = decodeArp(eth.payload);
        this.learn(iface, arp, now, out);
        if (arp.op === ARP_OP_REQUEST && arp.tpa === iface.ip) {
          const reply = encodeArp(arpReplyFor(arp, iface.mac));
          out.send({
            port,
            portIndex: iface.index,
            frame: encodeEthernet({
              dst: arp.sha,
              src: iface.mac,
              vlans: [],
              etherType: ETHERTYPE_ARP,
              payload: reply,
            }),
          });
          this.counters.arpReplies++;
        }
        return out;
      }
      if (eth.etherType !== ETHERTYPE_IPV4 || eth.dst !== iface.mac) return out;
      const ip = decodeIpv4(eth.payload);
      if (this.localAddresses.has(ipv4ToNumber(ip.dst))) {
        out.host(frame);
        return out;
      }
      if (ip.ttl <= 1) {
        this.counters.ttlExpired++;
        return out;
      }
      const hops = this.lookupNumber(ipv4ToNumber(ip.dst));
      if (hops.length === 0) {
        this.counters.noRoute++;
        return out;
      }
      const hop =
        hops.length === 1 ? hops[0]! : hops[hashBucket(flowHash(eth.payload, this.hashSeed), hops.length)]!;
      const egress = this.interfaces.get(hop.port)!;
      const packet = encodeIpv4({ ...ip, ttl: ip.ttl - 1 });
      const forwarded = encodeEthernet({
        dst: BROADCAST_MAC,
        src: egress.mac,
        vlans: [],
        etherType: ETHERTYPE_IPV4,
        payload: packet,
      });
      this.sendVia(hop.neighbor, forwarded, now, out);
      this.counters.forwarded++;
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.counters.malformed++;
    }
    return out;
  }
}

/**
 * One of `buckets` (ECMP next hops, bond members) for a flow hash. FNV-1a's low bits are nearly a
 * parity of its input, so `hash % 2` took the same choice at every hop whatever the device's seed
 * (a leaf's spine and the spine's leaf were polarized); murmur3's finalizer spreads every bit first.
 */
export function hashBucket(hash: number, buckets: number): number {
  let h = hash;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % buckets;
}

/** A MAC's first and last three octets, each as a number. */
function macHalves(m: Uint8Array): [number, number] {
  return [(m[0]! << 16) | (m[1]! << 8) | m[2]!, (m[3]! << 16) | (m[4]! << 8) | m[5]!];
}

/** Writes the MAC whose halves are `high` and `low` (`macHalves`) at `offset`. */
function writeMacHalves(b: Uint8Array, offset: number, high: number, low: number): void {
  b[offset] = high >>> 16;
  b[offset + 1] = (high >>> 8) & 0xff;
  b[offset + 2] = high & 0xff;
  b[offset + 3] = low >>> 16;
  b[offset + 4] = (low >>> 8) & 0xff;
  b[offset + 5] = low & 0xff;
}

/** A next hop with a fixed MAC: a neighbour entry that never changes, outside the table. */
function permanentNeighbor(h: NextHop, portIndex: number): Neighbor {
  const halves = macHalves(macToBytes(h.mac));
  return {
    port: h.port,
    portIndex,
    ip: undefined,
    mac: h.mac,
    macHigh: halves[0],
    macLow: halves[1],
    state: 'permanent',
    confirmedAt: 0,
    requests: 0,
    deadline: undefined,
    queue: [],
  };
}

/** FNV-1a over source/destination address, protocol and the first 4 octets of the transport header (ports). */
export function flowHash(ipPacket: Uint8Array, seed = 0x811c9dc5): number {
  return flowHashAt(ipPacket, 0, seed);
}

/** `flowHash` of the IPv4 packet that starts at `start` in `buf` (and runs to its end). */
function flowHashAt(buf: Uint8Array, start: number, seed: number): number {
  const ihl = (buf[start]! & 0x0f) * 4;
  let h = seed;
  for (let i = start + 12; i < start + 20; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  h = Math.imul(h ^ buf[start + 9]!, 0x01000193);
  const end = Math.min(start + ihl + 4, buf.length);
  for (let i = start + ihl; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}
