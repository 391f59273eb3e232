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
 */
import { LacpBond, type LacpAction } from '../lacp/bond.js';
import type { Ipv4Address, Mac } from '../wire/addr.js';
import { ipv4ToNumber, macFromBytes } from '../wire/addr.js';
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
import { decodeIpv4, encodeIpv4, IPPROTO_ICMP, IPPROTO_UDP } from '../wire/ipv4.js';
import { decodeUdp, encodeUdp } from '../wire/udp.js';
import { innerFlowHash } from '../wire/vxlan.js';
import { LabLacpDriver } from './lacp-driver.js';
import type { Simulator } from './sim.js';

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
  readonly latencies: number[];
  /** Highest sequence seen, to tell reordering from loss. */
  highest: number;
  readonly seen: Set<number>;
}

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
  readonly arpCache = new Map<Ipv4Address, Mac>();
  /** Packets waiting for ARP resolution of a next hop. */
  private readonly pending = new Map<Ipv4Address, { packets: Uint8Array[]; tries: number }>();
  readonly flowsSent = new Map<string, { id: number; sent: number; stop: () => void }>();
  /** Per flow id (as sent by the source): what arrived here. */
  readonly flowsReceived = new Map<number, FlowReceiveStats>();
  private ipId = 1;
  private readonly pings = new Map<number, { sentAt: number; rttNs?: number }>();
  private nextPing = 1;
  private readonly outByPort = new Map<string, number>();
  /** The bond's driver, if the host is bonded. */
  private readonly lacp: LabLacpDriver | undefined;
  /** Bonded: the ports collecting, as the bond's `port-state` actions last said. */
  private readonly collecting = new Set<string>();
  /** Bonded: the distributing ports in configuration order, updated on `port-state` (the hash indexes it). */
  private distributing: readonly string[] = [];
  /** A gratuitous ARP asked for while no port was distributing: sent when the first one starts. */
  private announcePending = false;

  constructor(
    private readonly sim: Simulator,
    readonly config: HostConfig,
    /** Puts a frame on one of the host's ports. */
    private readonly transmit: (port: string, frame: Uint8Array) => void,
  ) {
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
    return this.outByPort;
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
      if (udp.dstPort === FLOW_PORT) this.onFlowPacket(udp.payload);
    }
  }

  private onFlowPacket(p: Uint8Array): void {
    if (p.length < FLOW_HEADER) return;
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    if (v.getUint32(0) !== FLOW_MAGIC) return;
    const id = v.getUint32(4);
    const seq = v.getUint32(8);
    const sentAt = Number(v.getBigUint64(12));
    let s = this.flowsReceived.get(id);
    if (!s)
      this.flowsReceived.set(
        id,
        (s = { received: 0, duplicated: 0, reordered: 0, latencies: [], highest: -1, seen: new Set() }),
      );
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
    const frame = padEthernetFrame(
      encodeEthernet({ dst, src: this.config.mac, vlans: [], etherType, payload }),
    );
    const port = this.egressPort(frame);
    if (port === undefined) {
      this.counters.noActivePort++;
      return;
    }
    this.counters.framesOut++;
    this.outByPort.set(port, (this.outByPort.get(port) ?? 0) + 1);
    this.transmit(port, frame);
  }

  /**
   * The port a frame leaves by: `eth0` without a bond; else one distributing port by the frame's
   * flow hash, folded so its high bits count too (FNV-1a's low bit alone is a parity of the input).
   */
  private egressPort(frame: Uint8Array): string | undefined {
    if (!this.lacp) return HOST_PORT;
    const ports = this.distributing;
    if (ports.length <= 1) return ports[0];
    let h = innerFlowHash(frame);
    h ^= h >>> 16;
    h ^= h >>> 8;
    return ports[(h >>> 0) % ports.length];
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
    const size = Math.max(FLOW_HEADER, spec.size ?? 64);
    const interval = Math.round(1e9 / spec.rate);
    let seq = 0;
    let stopped = false;
    const state = { id, sent: 0, stop: () => (stopped = true) };
    this.flowsSent.set(spec.name, state);
    const tick = () => {
      if (stopped || (spec.count !== undefined && seq >= spec.count)) return;
      const payload = new Uint8Array(size);
      const v = new DataView(payload.buffer);
      v.setUint32(0, FLOW_MAGIC);
      v.setUint32(4, id);
      v.setUint32(8, seq++);
      v.setBigUint64(12, BigInt(this.sim.now));
      // Source port varies per flow so ECMP and VXLAN entropy spread flows like real ones.
      this.sendIp(
        spec.dst,
        IPPROTO_UDP,
        encodeUdp(
          { srcPort: 40000 + (id % 20000), dstPort: FLOW_PORT, checksum: true, payload },
          this.config.ip,
          spec.dst,
        ),
      );
      state.sent++;
      this.sim.after(interval, tick);
    };
    tick();
  }
}
