/**
 * A lab device's control plane: its IP host stack (packets addressed to the router, the TCP model),
 * the real BGP speaker over that TCP, and a model of the time a switch's control plane takes.
 *
 * Time costs (so convergence figures are not zero by construction): the control-plane CPU handles
 * one piece of work at a time and each BGP UPDATE costs `perUpdateNs`; every FIB/FDB write
 * (underlay route, remote MAC, flood-list entry, neighbour) then takes `perInstallNs` on a second,
 * sequential timeline, the way bgpd hands routes to zebra and zebra to the ASIC SDK. Messages to
 * peers leave when the CPU has processed the input; data-plane writes land one after another.
 * BGP timers run at priority, as on a router: KEEPALIVEs are sent on time whatever the backlog,
 * and input restarts the peer's hold timer when it arrives, not when the CPU gets to it.
 *
 * Link-failure detection: when a port loses carrier (after the link's carrier delay), single-hop
 * BGP sessions over it are torn down at once, as FRR's default `bgp fast-external-failover` does.
 */
import type { Ipv4Address } from '../wire/addr.js';
import type { BgpSpeaker, SpeakerAction } from '../bgp/speaker.js';
import type { SimRouter } from '../dataplane/sim/router.js';
import { decodeEthernet, ETHERTYPE_IPV4 } from '../wire/ethernet.js';
import { decodeIpv4, encodeIpv4, IPPROTO_TCP, IPPROTO_UDP } from '../wire/ipv4.js';
import { decodeUdp, encodeUdp } from '../wire/udp.js';
import { WireError } from '../wire/errors.js';
import { TCP_PORT_BGP } from '../wire/tcp.js';
import { BGP_ERR_HOLD_TIMER_EXPIRED, BGP_MSG_NOTIFICATION } from '../wire/bgp-constants.js';
import { nsAtOrAfterMs, type SeededRandom, type Simulator, type EventHandle } from './sim.js';
import { TcpStack, type TcpConnection, type TcpHandlers } from './tcp.js';

export interface ControlPlaneCosts {
  /** CPU time to process one received BGP UPDATE. */
  readonly perUpdateNs: number;
  /** Time to write one entry into the forwarding hardware (route, MAC, flood entry, neighbour). */
  readonly perInstallNs: number;
}

/**
 * Defaults, from published figures for data-center switches: FRR on a switch CPU handles on the
 * order of 20k UPDATEs/s (50 µs each), and an ASIC SDK programs on the order of 10k routes or MACs
 * per second (100 µs each). See the README ("Modelled time").
 */
export const DEFAULT_CONTROL_PLANE_COSTS: ControlPlaneCosts = { perUpdateNs: 50_000, perInstallNs: 100_000 };

/** Work for the CPU: returns how many UPDATEs it handled and what it sends once done. */
export type CpuWork = () => { readonly updates: number; readonly output?: () => void };

export interface CpuCounters {
  tasks: number;
  updates: number;
  installs: number;
  busyNs: number;
  /** The longest any work waited for the CPU (ns), from submission to start. */
  maxQueueNs: number;
}

/**
 * Fabric links run jumbo frames, as data-center underlays do (MTU 9216: VXLAN adds 50 octets to every
 * server frame, so the underlay must carry more than 1500), and a BGP session's TCP segments are up
 * to 9216 − 40 octets: one segment per 4096-octet UPDATE or more, where 1460 would need three.
 */
const FABRIC_TCP_MSS = 9176;

/** One control-plane CPU plus one FIB-programming pipeline, on the simulated clock. */
export class ControlPlaneCpu {
  readonly counters: CpuCounters = { tasks: 0, updates: 0, installs: 0, busyNs: 0, maxQueueNs: 0 };
  private cpuFreeAt = 0;
  private fibFreeAt = 0;
  /** Work waiting for the CPU from `head` on, with when each was submitted. */
  private queue: CpuWork[] = [];
  private submitted: number[] = [];
  private head = 0;
  private drainScheduled = false;
  /** FIB writes made by the work now running (undefined outside any work). */
  private installs: (() => void)[] | undefined;

  constructor(
    private readonly sim: Simulator,
    readonly costs: ControlPlaneCosts,
  ) {}

  submit(work: CpuWork): void {
    this.queue.push(work);
    this.submitted.push(this.sim.now);
    this.scheduleDrain();
  }

  /** Work submitted and not started yet. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /** A forwarding-table write: queued behind the running work's processing, one after another. */
  install(write: () => void): void {
    if (this.installs) this.installs.push(write);
    else this.program([write], this.sim.now);
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    this.sim.at(Math.max(this.sim.now, this.cpuFreeAt), () => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    while (this.head < this.queue.length && this.cpuFreeAt <= this.sim.now) {
      const waited = this.sim.now - this.submitted[this.head]!;
      if (waited > this.counters.maxQueueNs) this.counters.maxQueueNs = waited;
      const work = this.queue[this.head++]!;
      const writes: (() => void)[] = [];
      this.installs = writes;
      let result: ReturnType<CpuWork>;
      try {
        result = work();
      } finally {
        this.installs = undefined;
      }
      const cost = result.updates * this.costs.perUpdateNs;
      const done = this.sim.now + cost;
      this.counters.tasks++;
      this.counters.updates += result.updates;
      this.counters.busyNs += cost;
      this.cpuFreeAt = done;
      if (result.output) {
        if (cost === 0) result.output();
        else this.sim.at(done, result.output);
      }
      this.program(writes, done);
    }
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.submitted.length = 0;
      this.head = 0;
    } else {
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.submitted = this.submitted.slice(this.head);
        this.head = 0;
      }
      this.scheduleDrain();
    }
  }

  private program(writes: readonly (() => void)[], from: number): void {
    for (const w of writes) {
      this.fibFreeAt = Math.max(this.fibFreeAt, from) + this.costs.perInstallNs;
      this.counters.installs++;
      this.sim.at(this.fibFreeAt, w);
    }
  }
}

export interface LabControlPlaneOptions {
  readonly sim: Simulator;
  readonly random: SeededRandom;
  readonly router: SimRouter;
  readonly speaker: BgpSpeaker;
  readonly costs: ControlPlaneCosts;
  /** Sends a frame out of one of the device's ports. */
  readonly transmit: (port: string, frame: Uint8Array) => void;
}

/** Per-session TTL: single-hop eBGP sends with TTL 1 like FRR (RFC 5082 GTSM is not configured). */
const EBGP_TTL = 1;
/** Sessions to a neighbour that is not on a connected subnet (iBGP between loopbacks): TTL 255. */
const MULTIHOP_TTL = 255;

/** A datagram for a local UDP port (M-LAG peer messages, DAD probes, BFD). */
export type UdpHandler = (datagram: {
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  readonly srcPort: number;
  readonly ttl: number;
  readonly payload: Uint8Array;
}) => void;

export class LabControlPlane {
  readonly tcp: TcpStack;
  readonly speaker: BgpSpeaker;
  readonly cpu: ControlPlaneCpu;
  private readonly sim: Simulator;
  private readonly router: SimRouter;
  private readonly transmit: (port: string, frame: Uint8Array) => void;
  /** Connections by the number the speaker knows them by (opening or open). */
  private readonly connections = new Map<number, TcpConnection>();
  private readonly opened = new Set<number>();
  private nextConnection = 1;
  private nextIpId = 1;
  private timer: EventHandle | undefined;
  private flushQueued = false;
  private running = false;
  private readonly udpHandlers = new Map<number, UdpHandler>();
  private readonly portListeners: ((port: string, up: boolean) => void)[] = [];
  /** Multihop peers (not on a connected subnet) the underlay FIB reaches, for peer tracking. */
  private readonly reachablePeers = new Set<string>();
  private multihopPeers: Ipv4Address[] | undefined;
  malformed = 0;
  /** Sessions this device dropped because the peer's hold timer ran out (NOTIFICATIONs it sent). */
  holdTimerExpiries = 0;

  constructor(options: LabControlPlaneOptions) {
    this.sim = options.sim;
    this.router = options.router;
    this.speaker = options.speaker;
    this.transmit = options.transmit;
    this.cpu = new ControlPlaneCpu(options.sim, options.costs);
    this.tcp = new TcpStack(
      options.sim,
      options.random,
      (src, dst, segment, ttl) => this.sendIp(src, dst, IPPROTO_TCP, segment, ttl),
      { mss: FABRIC_TCP_MSS },
    );
    this.tcp.listen(TCP_PORT_BGP, (remote) => this.accept(remote.ip));
  }

  private get nowMs(): number {
    return this.sim.now / 1e6;
  }

  private readonly startHooks: (() => void)[] = [];

  /** Work to run when the device starts (e.g. the EVPN service originating its routes). */
  onStart(hook: () => void): void {
    this.startHooks.push(hook);
  }

  /** Boots the control plane: sessions start, start hooks run (once, on first boot). */
  start(): void {
    if (this.running) return;
    this.running = true;
    const hooks = this.startHooks.splice(0);
    this.cpu.submit(() => {
      for (const h of hooks) h();
      return { updates: 0, output: this.perform(this.speaker.start(this.nowMs)) };
    });
  }

  /** Runs control-plane work that changes routes outside BGP input (e.g. a MAC learnt locally). */
  submit(work: () => void): void {
    this.cpu.submit(() => {
      work();
      return { updates: 0, output: () => this.afterWork() };
    });
  }

  /** A frame the router addressed to itself. */
  deliver(frame: Uint8Array): void {
    if (!this.running) return;
    try {
      const eth = decodeEthernet(frame);
      if (eth.etherType !== ETHERTYPE_IPV4) return;
      const ip = decodeIpv4(eth.payload);
      if (ip.protocol === IPPROTO_TCP) this.tcp.receive(ip.src, ip.dst, ip.payload, ip.ttl);
      else if (ip.protocol === IPPROTO_UDP) {
        const udp = decodeUdp(ip.payload, ip.src, ip.dst);
        this.udpHandlers.get(udp.dstPort)?.({
          src: ip.src,
          dst: ip.dst,
          srcPort: udp.srcPort,
          ttl: ip.ttl,
          payload: udp.payload,
        });
      }
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.malformed++;
    }
  }

  /**
   * Carrier change on a port. Down: BGP sessions to neighbours on that port's subnet end now
   * (fast external failover); their TCP connections vanish without a segment. Up: those sessions
   * try to connect at once.
   */
  portState(port: string, up: boolean): void {
    for (const l of this.portListeners) l(port, up);
    if (!this.running) return;
    const address = this.router.interfaceAddress(port);
    if (!address) return;
    if (up) {
      for (const p of this.speaker.peerList()) {
        const peer = p.config.address as Ipv4Address;
        if (this.router.connectedInterface(peer)?.port === port)
          this.submitSpeaker(() => this.speaker.peerReachable(peer, this.nowMs));
      }
      return;
    }
    for (const [id, c] of [...this.connections]) {
      if (c.local.ip !== address) continue;
      c.forget();
      this.connections.delete(id);
      if (!this.opened.delete(id)) continue;
      this.submitSpeaker(() => this.speaker.connectionClosed(id, this.nowMs, `interface ${port} down`));
    }
  }

  /**
   * The device fails: every connection is gone without a segment and its sessions drop (their
   * routes are withdrawn locally); `start()` boots it again. Forwarding tables are kept, as after a
   * warm restart.
   */
  halt(): void {
    if (!this.running) return;
    this.running = false;
    this.speaker.stop(this.nowMs, 'device failure');
    this.timer?.cancel();
    this.timer = undefined;
    this.tcp.forgetAll();
    this.connections.clear();
    this.opened.clear();
    this.reachablePeers.clear();
  }

  /** Datagrams to local UDP `port` go to `handler` (while the device runs). */
  onUdp(port: number, handler: UdpHandler): void {
    this.udpHandlers.set(port, handler);
  }

  /** Carrier changes of the device's routed ports, also while it is halted. */
  onPortState(listener: (port: string, up: boolean) => void): void {
    this.portListeners.push(listener);
  }

  /** Sends a UDP datagram from the device (false: halted or no route, as a socket would say). */
  sendUdp(
    src: Ipv4Address,
    dst: Ipv4Address,
    srcPort: number,
    dstPort: number,
    payload: Uint8Array,
    ttl = 255,
  ): boolean {
    const segment = encodeUdp({ srcPort, dstPort, checksum: true, payload }, src, dst);
    return this.sendIp(src, dst, IPPROTO_UDP, segment, ttl);
  }

  // ---- IP -----------------------------------------------------------------------------------

  private sendIp(
    src: Ipv4Address,
    dst: Ipv4Address,
    protocol: number,
    payload: Uint8Array,
    ttl: number,
  ): boolean {
    if (!this.running) return false;
    const packet = encodeIpv4({
      dscp: 48, // CS6, network control (RFC 4594), as routers mark BGP
      ecn: 0,
      id: this.nextIpId,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl,
      protocol,
      src,
      dst,
      options: new Uint8Array(0),
      payload,
    });
    this.nextIpId = (this.nextIpId + 1) & 0xffff;
    const out = this.router.originate(packet, dst, this.sim.now);
    if (!out) return false;
    for (const f of out) this.transmit(f.port, f.frame);
    return true;
  }

  // ---- BGP over the TCP model ---------------------------------------------------------------

  private accept(remote: Ipv4Address): TcpHandlers | undefined {
    if (!this.running) return undefined;
    const peer = this.speaker.peerForAddress(remote);
    if (!peer) return undefined;
    const id = this.nextConnection++;
    return { ...this.handlers(id, peer, 'inbound'), ttl: this.ttlFor(remote) };
  }

  private ttlFor(peer: Ipv4Address): number {
    return this.router.connectedInterface(peer) ? EBGP_TTL : MULTIHOP_TTL;
  }

  /**
   * Peer tracking for multihop sessions (iBGP between loopbacks), after an underlay FIB change: a
   * peer that became reachable is connected to at once rather than at the next connect-retry, and
   * a session whose peer became unreachable ends now instead of at hold-timer expiry. FRR does both
   * through next-hop tracking of its peers (the second with `bgp fast-convergence`).
   */
  routesChanged(): void {
    if (!this.running) return;
    // Peers are configured before the device starts: which are multihop is found once.
    this.multihopPeers ??= this.speaker
      .peerList()
      .map((p) => p.config.address as Ipv4Address)
      .filter((a) => !this.router.connectedInterface(a));
    for (const peer of this.multihopPeers) {
      const reachable = this.router.lookup(peer).length > 0;
      if (reachable === this.reachablePeers.has(peer)) continue;
      if (reachable) {
        this.reachablePeers.add(peer);
        this.submitSpeaker(() => this.speaker.peerReachable(peer, this.nowMs));
        continue;
      }
      this.reachablePeers.delete(peer);
      for (const [id, c] of [...this.connections]) {
        if (c.remote.ip !== peer) continue;
        c.forget();
        this.connections.delete(id);
        // Connections not open yet are our own attempts (accepted ones are added when they open).
        if (this.opened.delete(id))
          this.submitSpeaker(() => this.speaker.connectionClosed(id, this.nowMs, 'peer unreachable'));
        else this.submitSpeaker(() => this.speaker.connectFailed(peer, this.nowMs, 'peer unreachable'));
      }
    }
  }

  private handlers(id: number, peer: string, direction: 'inbound' | 'outbound'): TcpHandlers {
    return {
      onOpen: (c) => {
        this.connections.set(id, c);
        this.opened.add(id);
        this.submitSpeaker(() => this.speaker.connectionOpened(peer, id, direction, this.nowMs, c.local.ip));
      },
      onData: (_c, bytes) => {
        // The transport has the bytes now; processing them waits for the CPU.
        this.speaker.inputArrived(id, this.nowMs);
        this.submitSpeaker(() => this.speaker.received(id, bytes, this.nowMs), true);
      },
      onClose: (_c, reason) => {
        if (this.connections.get(id) === undefined && direction === 'outbound') return;
        const wasOpen = this.opened.delete(id);
        this.connections.delete(id);
        if (wasOpen) this.submitSpeaker(() => this.speaker.connectionClosed(id, this.nowMs, reason));
        else if (direction === 'outbound')
          this.submitSpeaker(() => this.speaker.connectFailed(peer, this.nowMs, reason));
      },
    };
  }

  /** Runs a speaker call on the CPU; with `countUpdates`, its cost is the UPDATEs it handled. */
  private submitSpeaker(call: () => SpeakerAction[], countUpdates = false): void {
    this.cpu.submit(() => {
      const before = countUpdates ? this.updatesReceived() : 0;
      const actions = call();
      const updates = countUpdates ? this.updatesReceived() - before : 0;
      return { updates, output: this.perform(actions) };
    });
  }

  private updatesReceived(): number {
    let n = 0;
    for (const p of this.speaker.peerList()) n += p.updatesReceived;
    return n;
  }

  /**
   * Performs a speaker's actions: connects at once; sends and closes, in order, when the CPU work
   * is done (the returned function), then re-arms the timer and schedules table output.
   */
  private perform(actions: readonly SpeakerAction[]): () => void {
    const later: (SpeakerAction & { type: 'send' | 'close' })[] = [];
    for (const a of actions) {
      if (a.type === 'connect') {
        if (this.running)
          this.connect(a.peer as Ipv4Address, a.port, a.localAddress as Ipv4Address | undefined);
      } else if (a.type === 'send' || a.type === 'close') later.push(a);
    }
    return () => {
      for (const a of later) {
        const c = this.connections.get(a.connection);
        if (!c) continue;
        if (a.type === 'send') {
          // Header: marker (16), length (2), type (1); a NOTIFICATION's error code follows.
          if (a.data[18] === BGP_MSG_NOTIFICATION && a.data[19] === BGP_ERR_HOLD_TIMER_EXPIRED)
            this.holdTimerExpiries++;
          c.write(a.data);
        } else {
          this.connections.delete(a.connection);
          this.opened.delete(a.connection);
          if (c.state === 'syn-sent' || c.state === 'syn-received') c.abort();
          else c.close();
        }
      }
      this.afterWork();
    };
  }

  private afterWork(): void {
    this.armTimer();
    if (this.speaker.hasPendingOutput()) this.scheduleFlush();
  }

  private connect(peer: Ipv4Address, port: number, localAddress: Ipv4Address | undefined): void {
    const local = localAddress ?? this.router.connectedInterface(peer)?.ip;
    if (!local) {
      this.submitSpeaker(() => this.speaker.connectFailed(peer, this.nowMs, 'no route to the neighbour'));
      return;
    }
    const id = this.nextConnection++;
    this.connections.set(
      id,
      this.tcp.connect(local, { ip: peer, port }, this.handlers(id, peer, 'outbound'), {
        ttl: this.ttlFor(peer),
      }),
    );
  }

  private armTimer(): void {
    if (!this.running) return;
    const next = this.speaker.nextDeadline();
    const at = next !== undefined && Number.isFinite(next) ? nsAtOrAfterMs(next) : undefined;
    if (this.timer && at !== undefined && this.timer.at === Math.max(this.sim.now, at)) return;
    this.timer?.cancel();
    this.timer = undefined;
    if (at === undefined) return;
    // The speaker's clock is in ms: `at` is the first ns at which it reads `next`, so the poll finds
    // the timer due (see nsAtOrAfterMs). Timers do not queue behind the CPU's work: KEEPALIVEs leave
    // on time however long the UPDATE backlog (FRR sends them from a thread of their own), and the
    // hold timer only counts silence, since input restarts it as it arrives.
    this.timer = this.sim.at(at, () => {
      this.timer = undefined;
      this.perform(this.speaker.poll(this.nowMs))();
    });
  }

  private scheduleFlush(): void {
    if (this.flushQueued || !this.running) return;
    this.flushQueued = true;
    this.cpu.submit(() => {
      this.flushQueued = false;
      return { updates: 0, output: this.perform(this.speaker.flush(this.nowMs)) };
    });
  }
}
