/**
 * The in-process IPv4 router of the underlay (spines, and leaves' uplinks): routes outer IP
 * packets by longest prefix match, spreads flows over equal-cost next hops by hashing the
 * 5-tuple (RFC 7938 §6.3 ECMP; VXLAN's source-port entropy makes flows distinct), decrements TTL,
 * and answers ARP for its own interface addresses.
 *
 * Sans-IO: `receive(port, frame)` returns frames to transmit, and frames for the router itself
 * (BGP, BFD) go to `toHost`; `originate(packet)` routes the router's own packets. Neighbours on
 * connected subnets are static entries (`setNeighbor`), as if ARP had resolved them at link-up.
 */
import type { Ipv4Address, Mac } from '../../wire/addr.js';
import { ipv4ToNumber, macToBytes } from '../../wire/addr.js';
import { arpReplyFor, ARP_OP_REQUEST, decodeArp, encodeArp } from '../../wire/arp.js';
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

export interface NextHop {
  readonly port: string;
  /** The neighbour's MAC on that port. */
  readonly mac: Mac;
}

interface Route {
  readonly prefix: number;
  readonly length: number;
  readonly mask: number;
  nextHops: Hop[];
}

/** A next hop with what forwarding writes resolved once: the egress interface and the MAC's octets. */
interface Hop extends NextHop {
  readonly egress: Interface | undefined;
  readonly macOctets: Uint8Array;
}

interface Interface extends RouterInterface {
  up: boolean;
  readonly macOctets: Uint8Array;
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
}

export interface RouterOutput {
  readonly transmit: { readonly port: string; readonly frame: Uint8Array }[];
  readonly toHost: Uint8Array[];
}

export class SimRouter {
  readonly counters: RouterCounters = {
    forwarded: 0,
    noRoute: 0,
    ttlExpired: 0,
    malformed: 0,
    arpReplies: 0,
  };
  private readonly interfaces = new Map<string, Interface>();
  private readonly routes = new Map<string, Route>();
  /** The /32 routes by address, and the shorter ones longest first (rebuilt when routes change). */
  private readonly hostRoutes = new Map<number, Route>();
  private shorterRoutes: Route[] | undefined;
  /** Our interface addresses, as numbers. */
  private readonly localAddresses = new Set<number>();
  /** port → neighbour IP → MAC. */
  private readonly neighbors = new Map<string, Map<Ipv4Address, Mac>>();

  /**
   * Per-device ECMP hash seed (from the name), as switches configure one: with one shared hash, a
   * leaf that picked spine N by hash % 2 would make every spine pick its leaf by the same parity,
   * sending all of a flow set to one device of an M-LAG pair (ECMP polarization).
   */
  private readonly hashSeed: number;

  constructor(readonly name: string) {
    let h = 0x811c9dc5;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
    this.hashSeed = h >>> 0;
  }

  /** The MAC of `ip`, a neighbour on `port`'s connected subnet. */
  setNeighbor(port: string, ip: Ipv4Address, mac: Mac): void {
    let m = this.neighbors.get(port);
    if (!m) this.neighbors.set(port, (m = new Map()));
    m.set(ip, mac);
  }

  /** The interface whose connected subnet holds `ip` (up or down), if any. */
  connectedInterface(ip: Ipv4Address): (RouterInterface & { readonly up: boolean }) | undefined {
    const d = ipv4ToNumber(ip);
    for (const i of this.interfaces.values()) if ((d & i.mask) >>> 0 === i.network) return i;
    return undefined;
  }

  /** A next hop for a directly connected neighbour address (a BGP next hop), if its port is known. */
  resolveNeighbor(ip: Ipv4Address): NextHop | undefined {
    const i = this.connectedInterface(ip);
    const mac = i && this.neighbors.get(i.port)?.get(ip);
    return i && mac ? { port: i.port, mac } : undefined;
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
   * by longest prefix match. Returns the frame to transmit, or undefined when there is no usable
   * route (the caller reports "network unreachable", as a socket would).
   */
  originate(packet: Uint8Array, dst: Ipv4Address): { port: string; frame: Uint8Array } | undefined {
    const connected = this.connectedInterface(dst);
    let hop: NextHop | undefined;
    if (connected) {
      const mac = this.neighbors.get(connected.port)?.get(dst);
      if (!connected.up || !mac) return undefined;
      hop = { port: connected.port, mac };
    } else {
      const hops = this.lookup(dst);
      if (hops.length === 0) return undefined;
      hop = hops.length === 1 ? hops[0]! : hops[hashBucket(flowHash(packet, this.hashSeed), hops.length)]!;
    }
    const egress = this.interfaces.get(hop.port)!;
    return {
      port: hop.port,
      frame: encodeEthernet({
        dst: hop.mac,
        src: egress.mac,
        vlans: [],
        etherType: ETHERTYPE_IPV4,
        payload: packet,
      }),
    };
  }

  addInterface(i: RouterInterface): void {
    const mask = i.prefixLength === 0 ? 0 : (0xffffffff << (32 - i.prefixLength)) >>> 0;
    const network = (ipv4ToNumber(i.ip) & mask) >>> 0;
    this.interfaces.set(i.port, { ...i, up: true, macOctets: macToBytes(i.mac), network, mask });
    this.localAddresses.clear();
    for (const x of this.interfaces.values()) this.localAddresses.add(ipv4ToNumber(x.ip));
    // Routes resolve their hops' interfaces once; a new (or replaced) interface is resolved again.
    for (const r of this.routes.values())
      r.nextHops = r.nextHops.map((h) => ({ ...h, egress: this.interfaces.get(h.port) }));
  }

  hasInterface(port: string): boolean {
    return this.interfaces.has(port);
  }

  /** Link state: routes through a down port are not used (the fast reroute of a real ASIC). */
  setPortUp(port: string, up: boolean): void {
    const i = this.interfaces.get(port);
    if (i) i.up = up;
  }

  /** Installs (or replaces) the next hops of a prefix, e.g. from BGP or static configuration. */
  setRoute(prefix: Ipv4Address, length: number, nextHops: readonly NextHop[]): void {
    const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
    const key = `${prefix}/${length}`;
    const value = (ipv4ToNumber(prefix) & mask) >>> 0;
    if (nextHops.length === 0) {
      this.routes.delete(key);
      if (length === 32) this.hostRoutes.delete(value);
    } else {
      const hops = nextHops.map((h): Hop => ({
        port: h.port,
        mac: h.mac,
        egress: this.interfaces.get(h.port),
        macOctets: macToBytes(h.mac),
      }));
      const route: Route = { prefix: value, length, mask, nextHops: hops };
      this.routes.set(key, route);
      if (length === 32) this.hostRoutes.set(value, route);
    }
    if (length !== 32) this.shorterRoutes = undefined;
  }

  /** Longest-prefix match, over next hops whose port is up. */
  lookup(dst: Ipv4Address): NextHop[] {
    return this.lookupNumber(ipv4ToNumber(dst)).map((h) => ({ port: h.port, mac: h.mac }));
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
   * addressed to this interface's MAC and not to the router. Writes exactly what the general path
   * writes (new Ethernet header, TTL one less, header checksum recomputed; padding dropped) and
   * returns false to leave everything else to it.
   */
  private forwardFast(iface: Interface, frame: Uint8Array, out: RouterOutput): boolean {
    const n = frame.length;
    if (n < ETHERNET_HEADER + IPV4_HEADER || frame[12] !== 0x08 || frame[13] !== 0x00) return false;
    const mac = iface.macOctets;
    for (let i = 0; i < 6; i++) if (frame[i] !== mac[i]) return false;
    const b0 = frame[ETHERNET_HEADER]!;
    const headerLength = (b0 & 0x0f) * 4;
    const totalLength = (frame[ETHERNET_HEADER + 2]! << 8) | frame[ETHERNET_HEADER + 3]!;
    if (b0 >>> 4 !== 4 || headerLength < IPV4_HEADER || totalLength < headerLength) return false;
    if (ETHERNET_HEADER + totalLength > n || (frame[ETHERNET_HEADER + 6]! & 0x80) !== 0) return false;
    if (internetChecksum(frame, ETHERNET_HEADER, ETHERNET_HEADER + headerLength) !== 0) return false;
    const o = ETHERNET_HEADER + 16;
    const dst = ((frame[o]! << 24) | (frame[o + 1]! << 16) | (frame[o + 2]! << 8) | frame[o + 3]!) >>> 0;
    if (this.localAddresses.has(dst)) return false;
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
    copy.set(hop.macOctets, 0);
    copy.set(egress.macOctets, 6);
    copy[12] = 0x08;
    copy.set(frame.subarray(ETHERNET_HEADER, ETHERNET_HEADER + totalLength), ETHERNET_HEADER);
    copy[ETHERNET_HEADER + 8] = ttl - 1;
    copy[ETHERNET_HEADER + 10] = 0;
    copy[ETHERNET_HEADER + 11] = 0;
    const c = internetChecksum(copy, ETHERNET_HEADER, ETHERNET_HEADER + headerLength);
    copy[ETHERNET_HEADER + 10] = c >>> 8;
    copy[ETHERNET_HEADER + 11] = c & 0xff;
    out.transmit.push({ port: hop.port, frame: copy });
    this.counters.forwarded++;
    return true;
  }

  receive(port: string, frame: Uint8Array): RouterOutput {
    const out: RouterOutput = { transmit: [], toHost: [] };
    const iface = this.interfaces.get(port);
    if (!iface || !iface.up) return out;
    if (this.forwardFast(iface, frame, out)) return out;
    try {
      const eth = decodeEthernet(frame);
      if (eth.etherType === ETHERTYPE_ARP) {
        const arp = decodeArp(eth.payload);
        if (arp.op === ARP_OP_REQUEST && arp.tpa === iface.ip) {
          const reply = encodeArp(arpReplyFor(arp, iface.mac));
          out.transmit.push({
            port,
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
        out.toHost.push(frame);
        return out;
      }
      if (ip.ttl <= 1) {
        this.counters.ttlExpired++;
        return out;
      }
      const hops = this.lookup(ip.dst);
      if (hops.length === 0) {
        this.counters.noRoute++;
        return out;
      }
      const hop =
        hops.length === 1 ? hops[0]! : hops[hashBucket(flowHash(eth.payload, this.hashSeed), hops.length)]!;
      const egress = this.interfaces.get(hop.port)!;
      const packet = encodeIpv4({ ...ip, ttl: ip.ttl - 1 });
      out.transmit.push({
        port: hop.port,
        frame: encodeEthernet({
          dst: hop.mac,
          src: egress.mac,
          vlans: [],
          etherType: ETHERTYPE_IPV4,
          payload: packet,
        }),
      });
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
