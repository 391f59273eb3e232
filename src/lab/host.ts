/**
 * A lab server: one IPv4 interface that speaks ARP (with a cache, retries and gratuitous ARP),
 * answers ICMP echo, pings, and sends and receives UDP test flows whose payload carries a flow id,
 * a sequence number and the virtual send time, so the receiver counts loss, duplicates, reordering
 * and latency exactly.
 *
 * A host with `bond` is dual-homed like a Linux server with `bond0` in 802.3ad mode: an IEEE
 * 802.1AX LACP bond (active, fast rate, key 1, System = the host's MAC at priority 65535) over its
 * ports, run on the simulated clock. It accepts data frames only on collecting ports and sends each
 * frame on one distributing port chosen by a hash of its flow (the shared `innerFlowHash`: MACs,
 * EtherType, IP addresses, protocol and TCP/UDP ports; a host's flow has fixed MACs, so flows
 * spread as with Linux's `xmit_hash_policy=layer3+4` and one flow keeps one link and its order);
 * with no distributing port it drops and counts (`noActivePort`).
 *
 * Flow packets, the bulk of a lab's frames, take a fast path both ways: sent from a per-flow copy of
 * their headers, received by reading the bytes in place. Both write and accept exactly the frames
 * the general path (encode and decode each layer) does.
 */
import { hashBucket } from '../dataplane/sim/router.js';
import { LacpBond, type LacpAction } from '../lacp/bond.js';
import type { Ipv4Address, Mac } from '../wire/addr.js';
import { ipv4FromBytes, ipv4ToNumber, macFromBytes, macToBytes } from '../wire/addr.js';
import { allocBytes, internetChecksum } from '../wire/bytes.js';
import { arpReplyFor, arpRequest, ARP_OP_REPLY, ARP_OP_REQUEST, decodeArp, encodeArp } from '../wire/arp.js';
import { WireError } from '../wire/errors.js';
import {
  decodeEthernet,
  encodeEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_SLOW_PROTOCOLS,
  padEthernetFrame,
} from '../wire/ethernet.js';
import { decodeIcmp, encodeIcmp } from '../wire/icmp.js';
import { decodeIpv4, encodeIpv4, IPPROTO_ICMP, IPPROTO_UDP, ipv4PseudoHeaderSum } from '../wire/ipv4.js';
import { decodeUdp, encodeUdp } from '../wire/udp.js';
import { innerFlowHash } from '../wire/vxlan.js';
import { LabLacpDriver } from './lacp-driver.js';
import type { Firing, Simulator } from './sim.js';

const BROADCAST = 'ff:ff:ff:ff:ff:ff' as Mac;
/** RFC 1122 §2.3.2.1: retransmit ARP requests, at most once per second. */
const ARP_RETRY_NS = 1_000_000_000;
const ARP_RETRIES = 3;
/** Flow payload: magic(4) flow id(4) sequence(4) send time ns(8). */
const FLOW_MAGIC = 0x544c4657; // "TLFW"
const FLOW_HEADER = 20;
export const FLOW_PORT = 5001;
/** The port of a host without a bond. */
const HOST_PORT = 'eth0';
/** Linux bonding's default `ad_actor_sys_prio`. */
const BOND_SYSTEM_PRIORITY = 65535;
const BOND_KEY = 1;

export interface HostBondConfig {
  /** The bond's member ports, e.g. ['eth0', 'eth1']; LACP port numbers 1..n in this order. */
  readonly ports: readonly string[];
}

export interface HostConfig {
  readonly name: string;
  readonly mac: Mac;
  readonly ip: Ipv4Address;
  readonly prefixLength: number;
  readonly gateway?: Ipv4Address;
  /** Dual-homing: an LACP bond over these ports (without it the host has one port, `eth0`). */
  readonly bond?: HostBondConfig;
}

export interface FlowSpec {
  readonly name: string;
  readonly dst: Ipv4Address;
  /** Frames per second. */
  readonly rate: number;
  /** Total frames; default: until stopped. */
  readonly count?: number;
  /** UDP payload bytes (≥ 20). */
  readonly size?: number;
}

export interface FlowReceiveStats {
  received: number;
  duplicated: number;
  reordered: number;
  /** One-way latency of every first copy, ns. */
  readonly latencies: LatencySamples;
  /** Highest sequence seen, to tell reordering from loss. */
  highest: number;
  readonly seen: SequenceSet;
}

/** A `Map` that counts its changes, so a reader can tell cheaply whether what it read still holds. */
class VersionedMap<K, V> extends Map<K, V> {
  version = 0;

  override set(key: K, value: V): this {
    this.version++;
    return super.set(key, value);
  }

  override delete(key: K): boolean {
    this.version++;
    return super.delete(key);
  }

  override clear(): void {
    this.version++;
    super.clear();
  }
}

/**
 * A flow's latency samples (ns), in the order they came, kept in typed chunks: appending never
 * copies what is there (an array grew by copying all of it, and every copy went through the
 * young generation into the old one), and the garbage collector has no pointers to trace in them.
 */
export class LatencySamples {
  private readonly chunks: Float64Array[] = [];
  private current = new Float64Array(0);
  private used = 0;
  /** How many samples there are. */
  length = 0;

  push(ns: number): void {
    if (this.used === this.current.length) {
      // 64 samples first, doubling to 4,096 a chunk: short flows stay small.
      this.current = new Float64Array(this.chunks.length < 6 ? 64 << this.chunks.length : 4096);
      this.chunks.push(this.current);
      this.used = 0;
    }
    this.current[this.used++] = ns;
    this.length++;
  }

  /** The samples from `start` up to `end` (exclusive), in order. */
  slice(start = 0, end = this.length): number[] {
    return Array.from(this.all().subarray(start, Math.max(start, end)));
  }

  /** All samples, smallest first. */
  sorted(): Float64Array {
    return this.all().sort();
  }

  /** A copy of all samples in one array. */
  private all(): Float64Array {
    const out = new Float64Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      const n = Math.min(c.length, this.length - at);
      out.set(c.subarray(0, n), at);
      at += n;
    }
    return out;
  }
}

/** The sequence numbers seen, one bit each (a flow's sequences are dense from 0). */
export class SequenceSet {
  private bits = new Uint32Array(64);

  has(seq: number): boolean {
    const w = seq >>> 5;
    return w < this.bits.length && (this.bits[w]! & (1 << (seq & 31))) !== 0;
  }

  add(seq: number): void {
    const w = seq >>> 5;
    if (w >= this.bits.length) {
      const grown = new Uint32Array(Math.max(w + 1, this.bits.length * 2));
      grown.set(this.bits);
      this.bits = grown;
    }
    this.bits[w] = this.bits[w]! | (1 << (seq & 31));
  }
}

const ETHERNET_HEADER = 14;
const IPV4_HEADER = 20;
const UDP_HEADER = 8;
const ETHERNET_MIN_FRAME = 60;

/** `framesIn`/`framesOut` count data frames; the bond counts LACPDUs per port (`bond.portStatus`). */
export interface HostCounters {
  arpRequestsSent: number;
  arpRepliesSent: number;
  arpFailures: number;
  framesIn: number;
  framesOut: number;
  malformed: number;
  echoRepliesReceived: number;
  /** Bonded: frames dropped because no port was distributing. */
  noActivePort: number;
  /** Bonded: frames dropped because they arrived on a port that was not collecting. */
  notCollecting: number;
  /**
   * Bonded: our own LACPDUs heard back (a loop, e.g. through switches that flood them), dropped as
   * Linux bonding does ("illegal loopback"), so the bond never aggregates with itself.
   */
  lacpLoopback: number;
}

export class Host {
  readonly counters: HostCounters = {
    arpRequestsSent: 0,
    arpRepliesSent: 0,
    arpFailures: 0,
    framesIn: 0,
    framesOut: 0,
    malformed: 0,
    echoRepliesReceived: 0,
    noActivePort: 0,
    notCollecting: 0,
    lacpLoopback: 0,
  };
  readonly arpCache = new VersionedMap<Ipv4Address, Mac>();
  /** Packets waiting for ARP resolution of a next hop. */
  private readonly pending = new Map<Ipv4Address, { packets: Uint8Array[]; tries: number }>();
  readonly flowsSent = new Map<string, FlowSender>();
  /** Per flow id (as sent by the source): what arrived here. */
  readonly flowsReceived = new Map<number, FlowReceiveStats>();
  private ipId = 1;
  private readonly pings = new Map<number, { sentAt: number; rttNs?: number }>();
  private nextPing = 1;
  private readonly outByPort = new Map<string, number>();
  private readonly wires = new Map<string, FrameWire>();
  /** The port last sent on and its wire: a server with one port looks nothing up per frame. */
  private wirePort: string | undefined;
  private wire: FrameWire | undefined;
  /** The port the last frame left by and its count so far, written back to `outByPort` when read. */
  private lastOutPort: string | undefined;
  private lastOutCount = 0;
  /** The flow the last flow packet belonged to: a host mostly receives one (no lookup per packet). */
  private lastFlowId = -1;
  private lastFlow: FlowReceiveStats | undefined;
  /** The bond's driver, if the host is bonded. */
  private readonly lacp: LabLacpDriver | undefined;
  /** Bonded: the ports collecting, as the bond's `port-state` actions last said. */
  private readonly collecting = new Set<string>();
  /** Bonded: the distributing ports in configuration order, updated on `port-state` (the hash indexes it). */
  private distributing: readonly string[] = [];
  /** A gratuitous ARP asked for while no port was distributing: sent when the first one starts. */
  private announcePending = false;
  private readonly macOctets: Uint8Array;
  /** The MAC's two halves as numbers: compared per frame without reading another object. */
  private readonly macHigh: number;
  private readonly macLow: number;
  private readonly ipNumber: number;

  constructor(
    private readonly sim: Simulator,
    readonly config: HostConfig,
    /** Puts a frame on one of the host's ports. */
    private readonly transmit: (port: string, frame: Uint8Array) => void,
  ) {
    this.macOctets = macToBytes(config.mac);
    this.macHigh = (this.macOctets[0]! << 16) | (this.macOctets[1]! << 8) | this.macOctets[2]!;
    this.macLow = (this.macOctets[3]! << 16) | (this.macOctets[4]! << 8) | this.macOctets[5]!;
    this.ipNumber = ipv4ToNumber(config.ip);
    const ports = config.bond?.ports;
    if (ports === undefined) return;
    if (ports.length === 0) throw new RangeError(`host ${config.name}: a bond needs at least one port`);
    const bond = new LacpBond({
      name: `${config.name}/bond0`,
      systemMac: config.mac,
      systemPriority: BOND_SYSTEM_PRIORITY,
      key: BOND_KEY,
      mode: 'active',
      rate: 'fast',
      ports: ports.map((id, i) => ({ id, portNumber: i + 1 })),
    });
    this.lacp = new LabLacpDriver(sim, bond, {
      transmit: (port, frame) => this.transmit(port, frame),
      onAction: (a) => this.onBondAction(a),
    });
  }

  /** The host's LACP bond (undefined without `config.bond`): status, LAG ID, per-port counters. */
  get bond(): LacpBond | undefined {
    return this.lacp?.bond;
  }

  /** Data frames sent per port (LACPDUs not included). */
  get framesOutByPort(): ReadonlyMap<string, number> {
    this.settleOutCount();
    return this.outByPort;
  }

  private settleOutCount(): void {
    if (this.lastOutPort !== undefined) this.outByPort.set(this.lastOutPort, this.lastOutCount);
  }

  /** Carrier on `port` came or went; a bonded host's LACP port follows it, others ignore it. */
  linkState(port: string, up: boolean): void {
    if (!this.lacp) return;
    if (up) this.lacp.linkUp(port);
    else this.lacp.linkDown(port);
  }

  private onBondAction(a: LacpAction): void {
    if (a.kind !== 'port-state') return;
    if (a.collecting) this.collecting.add(a.portId);
    else this.collecting.delete(a.portId);
    this.distributing = this.lacp!.bond.distributingPorts();
    if (this.announcePending && this.distributing.length > 0) {
      this.announcePending = false;
      this.gratuitousArp();
    }
  }

  // ---- receive --------------------------------------------------------------------------------

  /** A frame arrived on `port`. */
  receive(port: string, frame: Uint8Array): void {
    if (this.lacp) {
      // Slow Protocols (LACP, Marker) go to the bond whatever the port's state; it decodes them.
      if (frame.length >= 14 && ((frame[12]! << 8) | frame[13]!) === ETHERTYPE_SLOW_PROTOCOLS) {
        if (macFromBytes(frame, 6) === this.config.mac) this.counters.lacpLoopback++;
        else this.lacp.receive(port, frame);
        return;
      }
      if (!this.collecting.has(port)) {
        this.counters.notCollecting++;
        return;
      }
    }
    this.counters.framesIn++;
    if (this.receiveFlowPacket(frame) || this.ignorableArp(frame)) return;
    try {
      const eth = decodeEthernet(frame);
      if (eth.dst !== this.config.mac && eth.dst !== BROADCAST) return;
      if (eth.etherType === ETHERTYPE_ARP) this.onArp(decodeArp(eth.payload));
      else if (eth.etherType === ETHERTYPE_IPV4) this.onIpv4(eth.payload);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.counters.malformed++;
    }
  }

  private onArp(arp: ReturnType<typeof decodeArp>): void {
    // RFC 826: merge the sender's binding if we know it or the request is for us.
    const forUs = arp.tpa === this.config.ip;
    if (forUs || this.arpCache.has(arp.spa)) this.learn(arp.spa, arp.sha);
    if (arp.op === ARP_OP_REQUEST && forUs) {
      this.send(ETHERTYPE_ARP, arp.sha, encodeArp(arpReplyFor(arp, this.config.mac)));
      this.counters.arpRepliesSent++;
    } else if (arp.op === ARP_OP_REPLY && forUs) {
      this.learn(arp.spa, arp.sha);
    }
  }

  private learn(ip: Ipv4Address, mac: Mac): void {
    this.arpCache.set(ip, mac);
    const waiting = this.pending.get(ip);
    if (!waiting) return;
    this.pending.delete(ip);
    for (const p of waiting.packets) this.send(ETHERTYPE_IPV4, mac, p);
  }

  private onIpv4(bytes: Uint8Array): void {
    const ip = decodeIpv4(bytes);
    if (ip.dst !== this.config.ip) return;
    if (ip.protocol === IPPROTO_ICMP) {
      const icmp = decodeIcmp(ip.payload);
      if (icmp.kind === 'echo-request') {
        this.sendIp(
          ip.src,
          IPPROTO_ICMP,
          encodeIcmp({ kind: 'echo-reply', id: icmp.id, seq: icmp.seq, data: icmp.data }),
        );
      } else if (icmp.kind === 'echo-reply') {
        this.counters.echoRepliesReceived++;
        const p = this.pings.get(icmp.seq);
        if (p && p.rttNs === undefined) p.rttNs = this.sim.now - p.sentAt;
      }
      return;
    }
    if (ip.protocol === IPPROTO_UDP) {
      const udp = decodeUdp(ip.payload, ip.src, ip.dst);
      if (udp.dstPort === FLOW_PORT) this.onFlowPacket(udp.payload, 0, udp.payload.length);
    }
  }

  /**
   * A broadcast ARP (Ethernet, IPv4) neither for us nor from a neighbour we know: RFC 826 does
   * nothing with it, so it is dropped unread — the gratuitous ARPs every other server on the leaf
   * sends as it boots. False for anything else (the general path reads it).
   */
  private ignorableArp(frame: Uint8Array): boolean {
    if (frame.length < ETHERNET_HEADER + 28 || frame[12] !== 0x08 || frame[13] !== 0x06) return false;
    for (let i = 0; i < 6; i++) if (frame[i] !== 0xff) return false;
    const a = ETHERNET_HEADER;
    if (frame[a] !== 0 || frame[a + 1] !== 1 || frame[a + 2] !== 0x08 || frame[a + 3] !== 0x00) return false;
    if (frame[a + 4] !== 6 || frame[a + 5] !== 4 || readU32(frame, a + 24) === this.ipNumber) return false;
    return this.arpCache.size === 0 || !this.arpCache.has(ipv4FromBytes(frame, a + 14));
  }

  /**
   * The fast path for a flow packet to us: an untagged frame to our MAC carrying an IPv4 header
   * without options that verifies, to our address, and a UDP datagram to the flow port whose
   * checksum verifies. False (nothing done) for anything else, which the general path then handles.
   */
  private receiveFlowPacket(frame: Uint8Array): boolean {
    const n = frame.length;
    if (n < ETHERNET_HEADER + IPV4_HEADER + UDP_HEADER || frame[12] !== 0x08 || frame[13] !== 0x00)
      return false;
    if (((frame[0]! << 16) | (frame[1]! << 8) | frame[2]!) !== this.macHigh) return false;
    if (((frame[3]! << 16) | (frame[4]! << 8) | frame[5]!) !== this.macLow) return false;
    const ip = ETHERNET_HEADER;
    const totalLength = (frame[ip + 2]! << 8) | frame[ip + 3]!;
    if (frame[ip] !== 0x45 || frame[ip + 9] !== IPPROTO_UDP || (frame[ip + 6]! & 0x80) !== 0) return false;
    if (totalLength < IPV4_HEADER + UDP_HEADER || ip + totalLength > n) return false;
    if (readU32(frame, ip + 16) !== this.ipNumber || internetChecksum(frame, ip, ip + IPV4_HEADER) !== 0)
      return false;
    const udp = ip + IPV4_HEADER;
    const length = (frame[udp + 4]! << 8) | frame[udp + 5]!;
    if (((frame[udp + 2]! << 8) | frame[udp + 3]!) !== FLOW_PORT) return false;
    if (length < UDP_HEADER || length > totalLength - IPV4_HEADER) return false;
    if (frame[udp + 6] !== 0 || frame[udp + 7] !== 0) {
      const src = readU32(frame, ip + 12);
      const sum = (src >>> 16) + (src & 0xffff) + (this.ipNumber >>> 16) + (this.ipNumber & 0xffff);
      if (internetChecksum(frame, udp, udp + length, sum + IPPROTO_UDP + length) !== 0) return false;
    }
    this.onFlowPacket(frame, udp + UDP_HEADER, length - UDP_HEADER);
    return true;
  }

  private onFlowPacket(p: Uint8Array, o: number, length: number): void {
    if (length < FLOW_HEADER || readU32(p, o) !== FLOW_MAGIC) return;
    const id = readU32(p, o + 4);
    const seq = readU32(p, o + 8);
    const sentAt = readU32(p, o + 12) * 2 ** 32 + readU32(p, o + 16);
    let s = id === this.lastFlowId ? this.lastFlow : this.flowsReceived.get(id);
    if (!s)
      this.flowsReceived.set(
        id,
        (s = {
          received: 0,
          duplicated: 0,
          reordered: 0,
          latencies: new LatencySamples(),
          highest: -1,
          seen: new SequenceSet(),
        }),
      );
    this.lastFlowId = id;
    this.lastFlow = s;
    if (s.seen.has(seq)) {
      s.duplicated++;
      return;
    }
    s.seen.add(seq);
    s.received++;
    if (seq < s.highest) s.reordered++;
    else s.highest = seq;
    s.latencies.push(this.sim.now - sentAt);
  }

  // ---- send -------------------------------------------------------------------------------------

  private send(etherType: number, dst: Mac, payload: Uint8Array): void {
    this.emit(padEthernetFrame(encodeEthernet({ dst, src: this.config.mac, vlans: [], etherType, payload })));
  }

  /** Sends a whole frame on its egress port. */
  private emit(frame: Uint8Array): void {
    const port = this.egressPort(frame);
    if (port === undefined) {
      this.counters.noActivePort++;
      return;
    }
    this.counters.framesOut++;
    if (port === this.lastOutPort) this.lastOutCount++;
    else {
      this.settleOutCount();
      this.lastOutPort = port;
      this.lastOutCount = (this.outByPort.get(port) ?? 0) + 1;
    }
    if (port !== this.wirePort) {
      this.wirePort = port;
      this.wire = this.wires.get(port);
    }
    if (this.wire !== undefined) this.wire.send(frame);
    else this.transmit(port, frame);
  }

  /**
   * Plugs what sends on `port` (a link's direction; undefined unplugs): a port with a wire sends on
   * it directly, the others through the `transmit` the host was made with.
   */
  plug(port: string, wire: FrameWire | undefined): void {
    if (wire) this.wires.set(port, wire);
    else this.wires.delete(port);
    this.wirePort = undefined;
  }

  /**
   * The port a frame leaves by: `eth0` without a bond; else one distributing port by the frame's
   * flow hash (`hashBucket`: FNV-1a's low bit alone is a parity of the input).
   */
  private egressPort(frame: Uint8Array): string | undefined {
    if (!this.lacp) return HOST_PORT;
    const ports = this.distributing;
    if (ports.length <= 1) return ports[0];
    return ports[hashBucket(innerFlowHash(frame), ports.length)];
  }

  /** Sends an IPv4 packet, resolving the next hop (the destination on-link, else the gateway). */
  sendIp(dst: Ipv4Address, protocol: number, payload: Uint8Array): void {
    const packet = encodeIpv4({
      dscp: 0,
      ecn: 0,
      id: this.ipId++ & 0xffff,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol,
      src: this.config.ip,
      dst,
      options: new Uint8Array(0),
      payload,
    });
    const nextHop = this.onLink(dst) ? dst : this.config.gateway;
    if (!nextHop) return;
    const mac = this.arpCache.get(nextHop);
    if (mac) {
      this.send(ETHERTYPE_IPV4, mac, packet);
      return;
    }
    const waiting = this.pending.get(nextHop);
    if (waiting) {
      waiting.packets.push(packet);
      return;
    }
    this.pending.set(nextHop, { packets: [packet], tries: 0 });
    this.resolve(nextHop);
  }

  private resolve(ip: Ipv4Address): void {
    const w = this.pending.get(ip);
    if (!w) return;
    if (w.tries >= ARP_RETRIES) {
      this.pending.delete(ip);
      this.counters.arpFailures++;
      return;
    }
    w.tries++;
    this.counters.arpRequestsSent++;
    this.send(ETHERTYPE_ARP, BROADCAST, encodeArp(arpRequest(this.config.mac, this.config.ip, ip)));
    this.sim.after(ARP_RETRY_NS, () => this.resolve(ip));
  }

  private onLink(dst: Ipv4Address): boolean {
    const bits = this.config.prefixLength;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    return (ipv4ToNumber(dst) & mask) >>> 0 === (ipv4ToNumber(this.config.ip) & mask) >>> 0;
  }

  /**
   * RFC 5227 §3: announce our binding (after boot or a VM move) so switches and peers update. A
   * bonded host with no distributing port yet sends it when its bond comes up.
   */
  gratuitousArp(): void {
    if (this.lacp && this.distributing.length === 0) {
      this.announcePending = true;
      return;
    }
    this.send(
      ETHERTYPE_ARP,
      BROADCAST,
      encodeArp(arpRequest(this.config.mac, this.config.ip, this.config.ip)),
    );
  }

  /** Sends one ICMP echo request; `pingResult(seq)` says whether (and how fast) it came back. */
  ping(dst: Ipv4Address): number {
    const seq = this.nextPing++;
    this.pings.set(seq, { sentAt: this.sim.now });
    this.sendIp(
      dst,
      IPPROTO_ICMP,
      encodeIcmp({ kind: 'echo-request', id: 0x7e1f, seq, data: new Uint8Array(32) }),
    );
    return seq;
  }

  pingResult(seq: number): { rttNs: number } | undefined {
    const p = this.pings.get(seq);
    return p?.rttNs !== undefined ? { rttNs: p.rttNs } : undefined;
  }

  /** Starts a UDP flow to `spec.dst` at `spec.rate` packets/s; its id is unique per (host, name). */
  startFlow(spec: FlowSpec, id: number): void {
    const nextHop = this.onLink(spec.dst) ? spec.dst : this.config.gateway;
    const flow = new FlowSender(this.sim, this, spec, id, nextHop);
    this.flowsSent.set(spec.name, flow);
    flow.fire();
  }

  /**
   * A flow's next packet is due (called by the flow, `FlowSender.fire`): sent from its template once
   * the next hop's MAC is known, else through `sendIp`, which resolves it.
   */
  sendFlowNext(flow: FlowSender): void {
    if (flow.arpVersion !== this.arpCache.version) {
      flow.arpVersion = this.arpCache.version;
      const mac = flow.nextHop === undefined ? undefined : this.arpCache.get(flow.nextHop);
      if (mac !== flow.mac) {
        flow.mac = mac;
        flow.template = undefined;
      }
    }
    const seq = flow.seq++;
    if (flow.mac !== undefined) {
      flow.template ??= this.flowTemplate(flow.spec.dst, flow.mac, flow.srcPort, flow.size);
      this.sendFlowPacket(flow.template, flow.id, seq);
      return;
    }
    const payload = new Uint8Array(flow.size);
    writeFlowHeader(payload, 0, flow.id, seq, this.sim.now);
    this.sendIp(
      flow.spec.dst,
      IPPROTO_UDP,
      encodeUdp(
        { srcPort: flow.srcPort, dstPort: FLOW_PORT, checksum: true, payload },
        this.config.ip,
        flow.spec.dst,
      ),
    );
  }

  /**
   * The frame every packet of a flow starts from (Ethernet, IPv4 and UDP headers with the id and
   * checksums zero, an empty flow header, padding), and its UDP pseudo-header sum: what `sendIp`
   * and `encodeUdp` write, field for field.
   */
  private flowTemplate(dst: Ipv4Address, mac: Mac, srcPort: number, size: number): FlowTemplate {
    const udpLength = UDP_HEADER + size;
    const totalLength = IPV4_HEADER + udpLength;
    // From the shared slab: the templates of a host's flows lie together, not each on its own.
    const frame = allocBytes(Math.max(ETHERNET_MIN_FRAME, ETHERNET_HEADER + totalLength));
    macToBytes(mac, frame, 0);
    frame.set(this.macOctets, 6);
    frame[12] = 0x08;
    const ip = ETHERNET_HEADER;
    frame[ip] = 0x45;
    frame[ip + 2] = totalLength >>> 8;
    frame[ip + 3] = totalLength & 0xff;
    frame[ip + 6] = 0x40; // don't fragment
    frame[ip + 8] = 64;
    frame[ip + 9] = IPPROTO_UDP;
    writeU32(frame, ip + 12, this.ipNumber);
    writeU32(frame, ip + 16, ipv4ToNumber(dst));
    const udp = ip + IPV4_HEADER;
    frame[udp] = srcPort >>> 8;
    frame[udp + 1] = srcPort & 0xff;
    frame[udp + 2] = FLOW_PORT >>> 8;
    frame[udp + 3] = FLOW_PORT & 0xff;
    frame[udp + 4] = udpLength >>> 8;
    frame[udp + 5] = udpLength & 0xff;
    return { frame, pseudo: ipv4PseudoHeaderSum(this.config.ip, dst, IPPROTO_UDP, udpLength, 'udp') };
  }

  private sendFlowPacket(t: FlowTemplate, id: number, seq: number): void {
    const frame = allocBytes(t.frame.length);
    frame.set(t.frame);
    const ip = ETHERNET_HEADER;
    const ipId = this.ipId++ & 0xffff;
    frame[ip + 4] = ipId >>> 8;
    frame[ip + 5] = ipId & 0xff;
    const c = internetChecksum(frame, ip, ip + IPV4_HEADER);
    frame[ip + 10] = c >>> 8;
    frame[ip + 11] = c & 0xff;
    const udp = ip + IPV4_HEADER;
    writeFlowHeader(frame, udp + UDP_HEADER, id, seq, this.sim.now);
    const udpLength = (frame[udp + 4]! << 8) | frame[udp + 5]!;
    // RFC 768: "If the computed checksum is zero, it is transmitted as all ones".
    const u = internetChecksum(frame, udp, udp + udpLength, t.pseudo) || 0xffff;
    frame[udp + 6] = u >>> 8;
    frame[udp + 7] = u & 0xff;
    this.emit(frame);
  }
}

/** What carries a port's frames away (a link's direction, `Link.direction`). */
export interface FrameWire {
  send(frame: Uint8Array): unknown;
}

/**
 * The frame every packet of a flow starts from (Ethernet, IPv4 and UDP headers with the id and
 * checksums zero, an empty flow header, padding), and its UDP pseudo-header sum.
 */
interface FlowTemplate {
  readonly frame: Uint8Array;
  readonly pseudo: number;
}

/**
 * A UDP flow a host sends: its settings and state in one object, which is also its next packet's
 * event (`Simulator.fire`), so a packet reads this object and its host, not a closure and what it
 * holds.
 */
export class FlowSender implements Firing {
  readonly live = true;
  /** Packets sent so far. */
  sent = 0;
  seq = 0;
  private stopped = false;
  /** The next hop's MAC, as of the ARP cache's `arpVersion`, and the template built for it. */
  arpVersion = -1;
  mac: Mac | undefined = undefined;
  template: FlowTemplate | undefined = undefined;
  private readonly interval: number;
  /** Source port varies per flow so ECMP and VXLAN entropy spread flows like real ones. */
  readonly srcPort: number;
  readonly size: number;

  constructor(
    private readonly sim: Simulator,
    private readonly host: Host,
    readonly spec: FlowSpec,
    readonly id: number,
    /** The destination on-link, else the gateway. */
    readonly nextHop: Ipv4Address | undefined,
  ) {
    this.interval = Math.round(1e9 / spec.rate);
    this.srcPort = 40000 + (id % 20000);
    this.size = Math.max(FLOW_HEADER, spec.size ?? 64);
  }

  stop(): void {
    this.stopped = true;
  }

  fire(): void {
    if (this.stopped || (this.spec.count !== undefined && this.seq >= this.spec.count)) return;
    this.host.sendFlowNext(this);
    this.sent++;
    this.sim.fire(this.sim.now + this.interval, this);
  }
}

function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Flow payload header at `o`: magic, flow id, sequence, send time (ns, 64 bits). */
function writeFlowHeader(b: Uint8Array, o: number, id: number, seq: number, sentAt: number): void {
  writeU32(b, o, FLOW_MAGIC);
  writeU32(b, o + 4, id);
  writeU32(b, o + 8, seq);
  writeU32(b, o + 12, Math.floor(sentAt / 2 ** 32));
  writeU32(b, o + 16, sentAt >>> 0);
}
