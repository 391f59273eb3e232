/**
 * One leaf of an M-LAG pair (seed 001), wired: the DFS group, one LACP port-channel per member
 * port (the shared system id, so a server's bond sees one partner), BFD towards the peer over the
 * DAD path, and the glue between them, the data plane and EVPN. The lab and the daemon use the same
 * wiring; only the timers and the I/O callbacks differ.
 *
 * What the glue decides (seed 000's "forwarding level"):
 * - a MAC learnt on a member port is synced to the peer and advertised with the virtual VTEP as
 *   next hop, by both devices; a single-homed MAC is advertised with our own VTEP address;
 * - MACs the peer syncs go to our member port of the same M-LAG, or over the peer-link;
 * - a member port forwards only when its carrier is up, LACP distributes on it and the DFS group
 *   releases it; BUM isolation follows the DFS group;
 * - the virtual VTEP is announced into the underlay only while this device forwards for the pair
 *   (paired, or alone/master), and withdrawn before its ports go dark (error-down, planned drain),
 *   so the fabric moves away before frames would be lost;
 * - BFD over the DAD path says the peer device died; it only acts once the peer-link is down too,
 *   since a DAD-path failure alone proves nothing about the peer (the peer-link HELLOs still flow).
 */
import type { BfdSessionAction } from '../bfd/session.js';
import { BfdSession } from '../bfd/session.js';
import type { BgpSpeaker } from '../bgp/speaker.js';
import { PEER_LINK_PORT, type SimSwitch, type SwitchEvent } from '../dataplane/sim/switch.js';
import type { EvpnService } from '../evpn/service.js';
import { LacpBond, type LacpAction } from '../lacp/bond.js';
import {
  DfsGroup,
  type DfsGroupAction,
  type DfsGroupConfig,
  type MlagLocalPort,
  type MacTableEntry,
  type NeighborTableEntry,
} from '../mlag/dfs-group.js';
import type { IpAddress, Ipv4Address, Mac, Vni } from '../wire/addr.js';
import type { PathAttribute } from '../wire/bgp-update.js';

/** Milliseconds, and one-shot timers on the same clock (the simulator's, or the real one). */
export interface MlagTimers {
  now(): number;
  at(ms: number, fire: () => void): { cancel(): void };
}

export interface MlagDeviceIo {
  /** One message batch to the peer over the peer-link. */
  sendPeer(bytes: Uint8Array): void;
  /** One DAD probe over the DAD path. */
  sendDad(bytes: Uint8Array): void;
  /** One BFD Control packet to the peer over the DAD path. */
  sendBfd(bytes: Uint8Array): void;
  /** A frame (LACPDU) out of a member port. */
  sendFrame(port: string, frame: Uint8Array): void;
  /** Turns a port's transmitter off (error-down) or on again. */
  setPortEnabled(port: string, enabled: boolean): void;
  /** Control-plane work that changes BGP routes (the lab charges its CPU; output is flushed after). */
  submit(work: () => void): void;
  /** A forwarding-table write (the lab's FIB pipeline takes its time). */
  schedule(write: () => void): void;
  log?(text: string): void;
}

export interface MlagMember {
  readonly mlagId: number;
  readonly port: string;
}

export interface MlagDeviceConfig {
  readonly name: string;
  /** The DFS group, without `bootId` and `memberPorts` (the device picks and fills them). */
  readonly dfs: Omit<DfsGroupConfig, 'bootId' | 'memberPorts'>;
  readonly ownVtepIp: Ipv4Address;
  readonly members: readonly MlagMember[];
  /** Every other port but the peer-link and the DAD path: seed 001 error-downs them on the split backup. */
  readonly nonMemberPorts: readonly string[];
  /** Added to the M-LAG id to make this device's LACP port numbers (the peers' must not overlap). */
  readonly lacpPortBase: number;
  /** BFD towards the peer over the DAD path (RFC 5880 asynchronous mode). */
  readonly bfd: { readonly intervalMs: number; readonly multiplier: number };
  /** From error-down (or drain) to dark ports: time for the withdrawal to reach the fabric. */
  readonly shutdownDelayMs?: number;
  /**
   * Monitor-link (seed 001): the member ports follow these uplinks. When all are down, LACP takes
   * the members out of the servers' bonds (they send to the peer instead of over our peer-link);
   * they return `recoveryDelayMs` after an uplink comes back, once routes had time to converge.
   */
  readonly monitorLink?: { readonly uplinks: readonly string[]; readonly recoveryDelayMs: number };
  /** Nonzero random numbers for boot ids and BFD discriminators (seeded in the lab). */
  readonly random: () => number;
}

export interface MlagDeviceParts {
  readonly dataplane: SimSwitch;
  readonly speaker: BgpSpeaker;
  readonly evpn: EvpnService;
}

export const DEFAULT_SHUTDOWN_DELAY_MS = 5;

/** The `arm` key of monitor-link's wait before member ports rejoin. */
const MONITOR_LINK_TIMER = 'monitor-link';

const LOCAL_ORIGIN: readonly PathAttribute[] = [{ type: 'origin', origin: 'igp' }];

interface MemberState {
  readonly mlagId: number;
  readonly port: string;
  carrier: boolean;
  distributing: boolean;
  /** The DFS group holds the port (down or error-down). */
  held: boolean;
  /** Last state told to the DFS group. */
  reportedUp: boolean;
}

export class MlagDevice {
  readonly name: string;
  private dfs: DfsGroup;
  private bonds = new Map<string, LacpBond>();
  private bfd: BfdSession;
  private readonly members = new Map<string, MemberState>();
  private readonly byMlagId = new Map<number, MemberState>();
  private readonly timers = new Map<string, { at: number; cancel(): void }>();
  private isRunning = false;
  private boots = 0;
  private peerLinkCarrier = false;
  private dadCarrier = false;
  private bfdDown = false;
  private drained = false;
  /** Monitor-link: uplinks with carrier, and whether the members are down because none has. */
  private readonly uplinksUp = new Set<string>();
  private uplinksLost = false;
  private nonMembersDown = false;
  private virtualAnnounced = false;
  private readonly shutdownDelayMs: number;
  /** Everything the engines said, newest last (for `show` and tests). */
  readonly log: string[] = [];

  constructor(
    readonly config: MlagDeviceConfig,
    private readonly parts: MlagDeviceParts,
    private readonly clock: MlagTimers,
    private readonly io: MlagDeviceIo,
  ) {
    this.name = config.name;
    this.shutdownDelayMs = config.shutdownDelayMs ?? DEFAULT_SHUTDOWN_DELAY_MS;
    // Uplinks start with carrier, like every cabled port; `uplinkState` reports changes.
    for (const u of config.monitorLink?.uplinks ?? []) this.uplinksUp.add(u);
    for (const m of config.members) {
      const s: MemberState = {
        mlagId: m.mlagId,
        port: m.port,
        carrier: false,
        distributing: false,
        held: true,
        reportedUp: false,
      };
      this.members.set(m.port, s);
      this.byMlagId.set(m.mlagId, s);
      parts.dataplane.setPortMlag(m.port, m.mlagId);
      // A member forwards only once LACP and the DFS group let it.
      parts.dataplane.setPortUp(m.port, false);
    }
    ({ dfs: this.dfs, bonds: this.bonds, bfd: this.bfd } = this.engines());
  }

  get running(): boolean {
    return this.isRunning;
  }

  get group(): DfsGroup {
    return this.dfs;
  }

  /** The DFS group's MAC and neighbour tables, in a canonical order (tables agree when these match). */
  tables(): { macs: string[]; neighbors: string[] } {
    const macs = this.dfs
      .macTable()
      .map(
        (e: MacTableEntry) =>
          `${e.vni} ${e.mac} ${e.location.kind === 'mlag' ? e.location.mlagId : 'single'}`,
      )
      .sort();
    const neighbors = this.dfs
      .neighborTable()
      .map((e: NeighborTableEntry) => `${e.vni} ${e.ip} ${e.mac}`)
      .sort();
    return { macs, neighbors };
  }

  // ---- life cycle ---------------------------------------------------------------------------

  /** Boots (again): fresh engines with a new boot id, as a restarted process has. */
  start(): void {
    if (this.isRunning) return;
    if (this.boots++ > 0) ({ dfs: this.dfs, bonds: this.bonds, bfd: this.bfd } = this.engines());
    this.isRunning = true;
    this.drained = false;
    this.uplinksLost = false;
    this.nonMembersDown = false;
    this.bfdDown = false;
    const now = this.clock.now();
    this.runDfs(this.dfs.start(now));
    this.runBfd(this.bfd.start(now));
    if (this.peerLinkCarrier) this.runDfs(this.dfs.peerLinkUp(now));
    if (!this.dadCarrier) this.runDfs(this.dfs.dadLinkDown(now));
    for (const m of this.members.values())
      if (m.carrier) this.runLacp(m.port, this.bondOf(m).linkUp(now, m.port));
  }

  /** The device fails: every engine stops where it is (`start` boots it again). */
  halt(): void {
    if (!this.isRunning) return;
    this.isRunning = false;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    this.virtualAnnounced = false;
    // A restarted device has lost what its peer told it; it relearns it at the next full sync.
    this.parts.dataplane.flushSynced();
  }

  // ---- inputs -------------------------------------------------------------------------------

  peerLinkState(up: boolean): void {
    this.peerLinkCarrier = up;
    if (!this.isRunning) return;
    const now = this.clock.now();
    this.runDfs(up ? this.dfs.peerLinkUp(now) : this.dfs.peerLinkDown(now));
    // BFD already said the peer is gone; now that the peer-link is down too, believe it.
    if (!up && this.bfdDown) this.runDfs(this.dfs.peerDeviceDown(now));
  }

  dadLinkState(up: boolean): void {
    this.dadCarrier = up;
    if (!this.isRunning) return;
    const now = this.clock.now();
    this.runDfs(up ? this.dfs.dadLinkUp(now) : this.dfs.dadLinkDown(now));
  }

  receivePeer(bytes: Uint8Array): void {
    if (this.isRunning) this.runDfs(this.dfs.receivePeer(this.clock.now(), bytes));
  }

  receiveDad(bytes: Uint8Array): void {
    if (this.isRunning) this.runDfs(this.dfs.receiveDad(this.clock.now(), bytes));
  }

  receiveBfd(bytes: Uint8Array): void {
    if (this.isRunning) this.runBfd(this.bfd.receive(this.clock.now(), bytes));
  }

  /** Carrier of an uplink (a routed port towards the spines): monitor-link follows them. */
  uplinkState(port: string, up: boolean): void {
    const ml = this.config.monitorLink;
    if (!ml?.uplinks.includes(port)) return;
    if (up) this.uplinksUp.add(port);
    else this.uplinksUp.delete(port);
    if (!this.isRunning) return;
    if (this.uplinksUp.size === 0) {
      this.arm(MONITOR_LINK_TIMER, undefined, () => undefined);
      this.setUplinksLost(true);
    } else if (this.uplinksLost && !this.timers.has(MONITOR_LINK_TIMER)) {
      // `arm` timers die with the device (halt), like the engines'.
      this.arm(MONITOR_LINK_TIMER, this.clock.now() + ml.recoveryDelayMs, () => {
        if (this.uplinksUp.size > 0) this.setUplinksLost(false);
      });
    }
  }

  /** Carrier of an access port. Member ports go through LACP; the others straight to the switch. */
  carrier(port: string, up: boolean): void {
    const m = this.members.get(port);
    if (!m) {
      this.switchEvents(this.parts.dataplane.setPortUp(port, up));
      return;
    }
    m.carrier = up;
    if (!this.isRunning) {
      if (!up) this.updateMember(m);
      return;
    }
    const now = this.clock.now();
    this.runLacp(port, up ? this.bondOf(m).linkUp(now, port) : this.bondOf(m).linkDown(now, port));
    this.updateMember(m);
  }

  slowProtocols(port: string, frame: Uint8Array): void {
    const m = this.members.get(port);
    if (!m || !this.isRunning) return;
    this.runLacp(port, this.bondOf(m).receive(this.clock.now(), port, frame));
  }

  /** Data-plane events (MACs learnt, aged, flushed; ARP bindings seen). */
  switchEvents(events: readonly SwitchEvent[]): void {
    if (events.length === 0 || !this.isRunning) return;
    const now = this.clock.now();
    const evpnWork: (() => void)[] = [];
    for (const e of events) {
      const vni = e.vni as Vni;
      if (e.type === 'local-learnt') {
        this.runDfs(this.dfs.localMacLearned(now, vni, e.mac, this.localPort(e.port)));
        evpnWork.push(() => this.advertise(e.vni, e.mac, undefined, this.members.has(e.port)));
      } else if (e.type === 'local-aged') {
        const m = this.members.get(e.port);
        // A member port leaving forwarding flushes its MACs, but the server is still behind the
        // M-LAG: the DFS group re-points them to the peer-link, and both keep advertising them.
        if (m && !this.forwarding(m)) continue;
        const actions = this.dfs.localMacAged(now, vni, e.mac);
        this.runDfs(actions);
        if (!actions.some((a) => a.type === 'install-mac'))
          evpnWork.push(() => this.parts.evpn.removeLocalMac(e.vni, e.mac));
      } else if (e.type === 'local-neighbor') {
        this.runDfs(this.dfs.localNeighborLearned(now, vni, e.ip, e.mac));
        const entry = this.parts.dataplane.domain(e.vni)?.fdb.lookup(e.mac);
        const dualHomed = entry !== undefined && 'port' in entry && this.members.has(entry.port);
        evpnWork.push(() => this.advertise(e.vni, e.mac, e.ip, dualHomed));
      }
    }
    if (evpnWork.length > 0) this.io.submit(() => evpnWork.forEach((w) => w()));
  }

  /**
   * Planned maintenance (seed 001 "each device can be upgraded alone"): LACP tells the servers to
   * stop sending here, the virtual VTEP is withdrawn so the fabric sends to the peer, and nothing
   * is lost; the device can then be stopped. `false` undoes it.
   */
  drain(on: boolean): void {
    if (!this.isRunning || this.drained === on) return;
    const before = this.membersDrained();
    this.drained = on;
    this.note(`drain ${on ? 'on' : 'off'}`);
    this.drainMembers(before);
    this.updateAnnouncement();
  }

  private setUplinksLost(lost: boolean): void {
    if (this.uplinksLost === lost) return;
    const before = this.membersDrained();
    this.uplinksLost = lost;
    this.note(lost ? 'monitor-link: every uplink down, member ports down' : 'monitor-link: member ports up');
    this.drainMembers(before);
  }

  /** Planned drain or monitor-link: either takes the member ports out of the servers' bonds. */
  private membersDrained(): boolean {
    return this.drained || this.uplinksLost;
  }

  private drainMembers(before: boolean): void {
    const on = this.membersDrained();
    if (on === before) return;
    const now = this.clock.now();
    for (const [port, bond] of this.bonds) this.runLacp(port, bond.setDrained(now, on));
  }

  // ---- engines ------------------------------------------------------------------------------

  private engines(): { dfs: DfsGroup; bonds: Map<string, LacpBond>; bfd: BfdSession } {
    const c = this.config;
    const nonzero = () => 1 + Math.floor(this.config.random() * 0xfffffffe);
    const dfs = new DfsGroup({
      ...c.dfs,
      bootId: nonzero(),
      memberPorts: c.members.map((m) => ({ mlagId: m.mlagId, port: m.port })),
    });
    const bonds = new Map<string, LacpBond>();
    for (const m of c.members) {
      // One port-channel per server: the pair's system MAC, the M-LAG id as key (same on both).
      bonds.set(
        m.port,
        new LacpBond({
          name: `${c.name}/mlag${m.mlagId}`,
          systemMac: c.dfs.systemMac,
          key: m.mlagId,
          ports: [{ id: m.port, portNumber: c.lacpPortBase + m.mlagId }],
        }),
      );
    }
    const bfd = new BfdSession({
      name: `${c.name}/peer`,
      localDiscriminator: nonzero(),
      desiredMinTxMs: c.bfd.intervalMs,
      requiredMinRxMs: c.bfd.intervalMs,
      detectMultiplier: c.bfd.multiplier,
      random: c.random,
    });
    for (const m of this.members.values()) {
      m.distributing = false;
      m.held = true;
    }
    return { dfs, bonds, bfd };
  }

  /** Where the DFS group puts a MAC learnt on `port`: behind its M-LAG, or single-homed here. */
  private localPort(port: string): MlagLocalPort {
    const m = this.members.get(port);
    return m ? { kind: 'member', mlagId: m.mlagId } : { kind: 'single-homed' };
  }

  private bondOf(m: MemberState): LacpBond {
    return this.bonds.get(m.port)!;
  }

  private forwarding(m: MemberState): boolean {
    return m.carrier && m.distributing && !m.held && !this.membersDrained();
  }

  /** Applies a member port's state to the switch and reports it to the DFS group when it changed. */
  private updateMember(m: MemberState): void {
    const fwd = this.forwarding(m);
    const dp = this.parts.dataplane;
    const portUp = dp.portIsUp(m.port);
    if (portUp !== fwd) {
      if (!fwd && m.carrier) {
        // We stopped it (drain, hold), the link is fine: frames already on the wire still count.
        dp.setPortDraining(m.port, true);
        this.later(() => dp.setPortDraining(m.port, false));
      }
      this.switchEvents(dp.setPortUp(m.port, fwd));
    }
    if (!this.isRunning) return;
    const up = m.carrier && m.distributing;
    if (up !== m.reportedUp) {
      m.reportedUp = up;
      const now = this.clock.now();
      this.runDfs(up ? this.dfs.memberPortUp(now, m.mlagId) : this.dfs.memberPortDown(now, m.mlagId));
    }
  }

  private runLacp(port: string, actions: readonly LacpAction[]): void {
    for (const a of actions) {
      if (a.kind === 'send') this.io.sendFrame(a.portId, a.frame);
      else if (a.kind === 'port-state') {
        const m = this.members.get(a.portId);
        if (m) {
          m.distributing = a.collecting && a.distributing;
          this.updateMember(m);
        }
      }
    }
    this.arm(`lacp:${port}`, this.bonds.get(port)?.nextDeadline(), () =>
      this.runLacp(port, this.bonds.get(port)!.poll(this.clock.now())),
    );
  }

  private runBfd(actions: readonly BfdSessionAction[]): void {
    for (const a of actions) {
      if (a.kind === 'send') this.io.sendBfd(a.bytes);
      else {
        this.note(a.reason);
        const down = a.to !== 'Up';
        if (down === this.bfdDown) continue;
        this.bfdDown = down;
        // RFC 5882 §3.2: a peer that said AdminDown is not a failure.
        if (down && a.remoteState !== 'AdminDown' && !this.peerLinkCarrier)
          this.runDfs(this.dfs.peerDeviceDown(this.clock.now()));
      }
    }
    this.arm('bfd', this.bfd.nextDeadline(), () => this.runBfd(this.bfd.poll(this.clock.now())));
  }

  private runDfs(actions: readonly DfsGroupAction[]): void {
    const dp = this.parts.dataplane;
    const evpnWork: (() => void)[] = [];
    for (const a of actions) {
      switch (a.type) {
        case 'send-peer':
          this.io.sendPeer(a.data);
          break;
        case 'send-dad':
          this.io.sendDad(a.data);
          break;
        case 'install-mac': {
          const location = this.locationOf(a.vni, a.mac);
          const dualHomed = location === 'mlag';
          if (a.port.kind === 'member') {
            const port = this.byMlagId.get(a.port.mlagId)!.port;
            this.io.schedule(() => dp.installSyncedMac(a.vni, a.mac, port));
          } else {
            this.io.schedule(() => {
              // A single-homed MAC of the peer that EVPN already points at the peer's VTEP stays so.
              if (!dualHomed && dp.domain(a.vni)?.fdb.lookup(a.mac)?.kind === 'remote') return;
              dp.installSyncedMac(a.vni, a.mac, PEER_LINK_PORT);
            });
          }
          // Seed 001: both devices advertise a dual-homed server, with the virtual VTEP.
          if (dualHomed) evpnWork.push(() => this.advertise(a.vni, a.mac, undefined, true));
          else evpnWork.push(() => this.unadvertiseIfNotLocal(a.vni, a.mac));
          break;
        }
        case 'remove-mac': {
          const entry = dp.domain(a.vni)?.fdb.lookup(a.mac);
          if (entry?.kind === 'local') {
            // The peer's claim went (it restarted, or the peer-link failed) but we still see the
            // MAC ourselves: assert it now, so the table keeps it and the peer learns it from us.
            this.runDfs(this.dfs.localMacLearned(this.clock.now(), a.vni, a.mac, this.localPort(entry.port)));
            break;
          }
          this.io.schedule(() => dp.removeSyncedMac(a.vni, a.mac));
          evpnWork.push(() => this.unadvertiseIfNotLocal(a.vni, a.mac));
          break;
        }
        case 'install-neighbor':
          this.io.schedule(() => dp.addNeighbor(a.vni, a.ip, a.mac));
          if (this.locationOf(a.vni, a.mac) === 'mlag')
            evpnWork.push(() => this.advertise(a.vni, a.mac, a.ip, true));
          break;
        case 'remove-neighbor':
          this.io.schedule(() => dp.removeNeighbor(a.vni, a.ip));
          break;
        case 'port-state':
          if (a.target.kind === 'member') {
            const m = this.byMlagId.get(a.target.mlagId)!;
            this.setHeld(m, a.state !== 'up', a.state === 'error-down');
          } else this.setNonMembers(a.state !== 'up');
          break;
        case 'isolation':
          dp.setIsolation(a.mlagId, a.on);
          break;
        case 'state':
          // The DFS group logs state and role changes itself (its `log` actions).
          dp.setPeerLinkUp(a.to === 'paired');
          break;
        case 'consistency-error':
          for (const x of a.mismatches)
            this.note(`consistency: ${x.parameter} local=${x.local} peer=${x.peer}`);
          break;
        case 'log':
          this.note(a.text);
          break;
        default:
          break;
      }
    }
    if (evpnWork.length > 0) this.io.submit(() => evpnWork.forEach((w) => w()));
    this.updateAnnouncement();
    this.arm('dfs', this.dfs.nextDeadline(), () => this.runDfs(this.dfs.poll(this.clock.now())));
  }

  private setHeld(m: MemberState, held: boolean, errorDown: boolean): void {
    const now = this.clock.now();
    if (m.held !== held) {
      m.held = held;
      // LACP out of sync first: the server stops sending here before anything goes dark.
      this.runLacp(m.port, this.bondOf(m).setPortDrained(now, m.port, held));
    }
    this.updateMember(m);
    if (errorDown) this.later(() => this.io.setPortEnabled(m.port, false));
    else if (!held) this.io.setPortEnabled(m.port, true);
  }

  /** Seed 001 split backup: error-down every port but the peer-link and the DAD path. */
  private setNonMembers(down: boolean): void {
    if (this.nonMembersDown === down) return;
    this.nonMembersDown = down;
    this.note(down ? 'error-down: non-member ports' : 'non-member ports up');
    this.updateAnnouncement();
    for (const p of this.config.nonMemberPorts) {
      if (down) this.later(() => this.io.setPortEnabled(p, false));
      else this.io.setPortEnabled(p, true);
    }
  }

  /** Runs `fn` after the shutdown delay (withdrawals reach the fabric first), if still running. */
  private later(fn: () => void): void {
    const at = this.clock.now() + this.shutdownDelayMs;
    this.clock.at(at, () => {
      if (this.isRunning) fn();
    });
  }

  /** Announces the virtual VTEP while this device forwards for the pair. */
  private updateAnnouncement(): void {
    const s = this.dfs.state;
    // dad-check keeps forwarding while it finds out (the DFS group keeps the members up too).
    const forwards =
      s === 'paired' || s === 'alone' || s === 'dual-master' || s === 'split' || s === 'dad-check';
    const want = this.isRunning && forwards && !this.drained && !this.nonMembersDown;
    if (want === this.virtualAnnounced) return;
    this.virtualAnnounced = want;
    const prefix = { prefix: this.config.dfs.virtualVtepIp as Ipv4Address, length: 32 };
    this.note(`virtual VTEP ${prefix.prefix} ${want ? 'announced' : 'withdrawn'}`);
    this.io.submit(() => {
      if (want) this.parts.speaker.originateIpv4(prefix, LOCAL_ORIGIN, '0.0.0.0' as Ipv4Address);
      else this.parts.speaker.withdrawIpv4(prefix);
    });
  }

  private locationOf(vni: number, mac: Mac): 'mlag' | 'single-homed' | undefined {
    return this.dfs.macLocation(vni, mac)?.kind;
  }

  private advertise(vni: number, mac: Mac, ip: IpAddress | undefined, dualHomed: boolean): void {
    if (!this.parts.evpn.evis.has(vni)) return;
    this.parts.evpn.addLocalMac(vni, mac, ip, dualHomed ? {} : { vtep: this.config.ownVtepIp });
  }

  private unadvertiseIfNotLocal(vni: number, mac: Mac): void {
    if (!this.parts.evpn.evis.has(vni)) return;
    const e = this.parts.dataplane.domain(vni)?.fdb.lookup(mac);
    if (e?.kind !== 'local') this.parts.evpn.removeLocalMac(vni, mac);
  }

  private arm(key: string, deadline: number | undefined, fire: () => void): void {
    const current = this.timers.get(key);
    if (current && current.at === deadline) return;
    current?.cancel();
    this.timers.delete(key);
    if (deadline === undefined || !this.isRunning) return;
    const handle = this.clock.at(deadline, () => {
      this.timers.delete(key);
      if (this.isRunning) fire();
    });
    this.timers.set(key, { at: deadline, cancel: () => handle.cancel() });
  }

  private note(text: string): void {
    const line = `${this.clock.now().toFixed(3)}ms ${text}`;
    this.log.push(line);
    this.io.log?.(line);
  }
}
