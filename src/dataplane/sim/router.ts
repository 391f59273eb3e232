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
import { ipv4ToNumber } from '../../wire/addr.js';
import { arpReplyFor, ARP_OP_REQUEST, decodeArp, encodeArp } from '../../wire/arp.js';
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
  nextHops: NextHop[];
}

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
  private readonly interfaces = new Map<string, RouterInterface & { up: boolean }>();
  private readonly routes = new Map<string, Route>();
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
    for (const i of this.interfaces.values()) {
      const mask = i.prefixLength === 0 ? 0 : (0xffffffff << (32 - i.prefixLength)) >>> 0;
      if ((d & mask) >>> 0 === (ipv4ToNumber(i.ip) & mask) >>> 0) return i;
    }
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
      hop = hops.length === 1 ? hops[0]! : hops[flowHash(packet, this.hashSeed) % hops.length]!;
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
    this.interfaces.set(i.port, { ...i, up: true });
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
    if (nextHops.length === 0) this.routes.delete(key);
    else
      this.routes.set(key, {
        prefix: (ipv4ToNumber(prefix) & mask) >>> 0,
        length,
        mask,
        nextHops: [...nextHops],
      });
  }

  /** Longest-prefix match, over next hops whose port is up. */
  lookup(dst: Ipv4Address): NextHop[] {
    const d = ipv4ToNumber(dst);
    let best: Route | undefined;
    for (const r of this.routes.values()) {
      if ((d & r.mask) >>> 0 !== r.prefix) continue;
      const usable = r.nextHops.some((h) => this.interfaces.get(h.port)?.up !== false);
      if (usable && (!best || r.length > best.length)) best = r;
    }
    return best ? best.nextHops.filter((h) => this.interfaces.get(h.port)?.up !== false) : [];
  }

  receive(port: string, frame: Uint8Array): RouterOutput {
    const out: RouterOutput = { transmit: [], toHost: [] };
    const iface = this.interfaces.get(port);
    if (!iface || !iface.up) return out;
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
      if ([...this.interfaces.values()].some((i) => i.ip === ip.dst)) {
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
      const hop = hops.length === 1 ? hops[0]! : hops[flowHash(eth.payload, this.hashSeed) % hops.length]!;
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

/** FNV-1a over source/destination address, protocol and the first 4 octets of the transport header (ports). */
export function flowHash(ipPacket: Uint8Array, seed = 0x811c9dc5): number {
  const ihl = (ipPacket[0]! & 0x0f) * 4;
  let h = seed;
  const mix = (b: number) => {
    h = Math.imul(h ^ b, 0x01000193);
  };
  for (let i = 12; i < 20; i++) mix(ipPacket[i]!);
  mix(ipPacket[9]!);
  for (let i = ihl; i < ihl + 4 && i < ipPacket.length; i++) mix(ipPacket[i]!);
  return h >>> 0;
}
