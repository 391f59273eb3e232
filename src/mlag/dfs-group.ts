/**
 * One device's side of an M-LAG DFS group (seed 001), sans-IO.
 *
 * Owns: pairing with the peer over the peer-link (HELLO two-way handshake), master/backup election
 * without pre-emption, the consistency check, per-M-LAG roles and BUM isolation, MAC and ARP/ND
 * sync (full at pairing, then incremental with per-entry versions: see peer-sync.ts), member-port
 * state sync, dual-active detection over the DAD link, peer-link and device failure handling and
 * the recovery delay. It does not own ports or tables: it returns actions for the data plane.
 *
 * Guarantees: no I/O, no clock reads, no randomness (the driver supplies `bootId`). The driver
 * feeds events with the current time in ms and performs the returned actions; `nextDeadline()`
 * says when to call `poll(now)`. Malformed input from the peer or the DAD link is counted and
 * dropped, never thrown.
 *
 * DFS states and what moves between them (event → next state):
 *
 * | state       | two-way HELLO | peer-link down / HELLO timeout | DAD probe heard | DAD silent for dadTimeout | BFD peer down |
 * |-------------|---------------|--------------------------------|-----------------|---------------------------|---------------|
 * | init        | paired        | (init timer) → dad-check       | -               | -                         | alone         |
 * | negotiating | paired        | dad-check                      | -               | -                         | alone         |
 * | paired      | paired        | dad-check                      | -               | -                         | alone         |
 * | dad-check   | paired        | -                              | split           | alone (dual-master if the DAD link is down) | alone |
 * | split       | paired        | -                              | split           | alone / dual-master       | alone         |
 * | alone       | paired        | -                              | split           | -                         | -             |
 * | dual-master | paired        | -                              | split           | alone (once the DAD link is up) | -       |
 */
import type { IpAddress, Mac, Vni } from '../wire/addr.js';
import { WireError } from '../wire/errors.js';
import {
  MLAG_MAX_MAC_SYNC_ENTRIES,
  MLAG_MAX_NEIGHBOR_SYNC_ENTRIES,
  MlagFrameDecoder,
  chunkEntries,
  decodeMlagMessage,
  encodeMlagMessage,
  type MlagConsistency,
  type MlagDadProbe,
  type MlagDfsState,
  type MlagGateway,
  type MlagHello,
  type MlagMacEntry,
  type MlagMacLocation,
  type MlagMemberPortState,
  type MlagMessage,
  type MlagNeighborEntry,
  type MlagRole,
} from '../wire/mlag.js';
import { compareConsistency, sortGateways, type ConsistencyMismatch } from './consistency.js';
import { VersionedTable, type SyncRecord, type SyncVersion } from './peer-sync.js';

export type { MlagDfsState, MlagRole } from '../wire/mlag.js';
export type { ConsistencyMismatch, ConsistencyParameter } from './consistency.js';

/** Seed 001: after the peer-link recovers, M-LAG member ports come up 4 minutes after renegotiation. */
export const DEFAULT_RECOVERY_DELAY_MS = 240_000;
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000;
export const DEFAULT_HEARTBEAT_TIMEOUT_MS = 3_000;
export const DEFAULT_DAD_INTERVAL_MS = 1_000;
export const DEFAULT_DAD_TIMEOUT_MS = 3_000;
/** Longer than any reordering between the engine and the peer's engine (queues, not the wire). */
export const DEFAULT_TOMBSTONE_LIFETIME_MS = 60_000;

export interface MlagMemberPortConfig {
  /** The M-LAG id both devices give this server's link (the port names differ between them). */
  readonly mlagId: number;
  /** The local interface, for logs. */
  readonly port: string;
}

export interface DfsGroupConfig {
  /** For logs: usually the device name. */
  readonly name: string;
  readonly groupId: number;
  /** 0..65535, higher wins the election. */
  readonly priority: number;
  /** The M-LAG system MAC both devices present (LACP system id); must match the peer's. */
  readonly systemMac: Mac;
  /** This device's own MAC: breaks priority ties (lower wins) and identifies its sync changes. */
  readonly localMac: Mac;
  /** The VTEP address both devices share towards the fabric (seed 001: one virtual VTEP). */
  readonly virtualVtepIp: IpAddress;
  readonly vnis: readonly Vni[];
  readonly memberPorts: readonly MlagMemberPortConfig[];
  /** Distributed gateways (same IP and MAC on both devices, seed 001). */
  readonly gateways?: readonly MlagGateway[];
  /** Nonzero, different at every start (the driver picks it at random). */
  readonly bootId: number;
  readonly recoveryDelayMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly heartbeatTimeoutMs?: number;
  readonly dadIntervalMs?: number;
  /** Seed 001: "if no DAD packet arrives within a certain time the peer is considered down". */
  readonly dadTimeoutMs?: number;
  readonly tombstoneLifetimeMs?: number;
}

/** The consistency-checked parameters that may change at run time (to fix a mismatch). */
export interface DfsGroupReconfiguration {
  readonly systemMac?: Mac;
  readonly virtualVtepIp?: IpAddress;
  readonly vnis?: readonly Vni[];
  readonly gateways?: readonly MlagGateway[];
}

/** Where the local data plane learned a MAC. */
export type MlagLocalPort =
  { readonly kind: 'member'; readonly mlagId: number } | { readonly kind: 'single-homed' };

/** Where the data plane must point a MAC the peer told us about. */
export type MlagInstallPort =
  { readonly kind: 'member'; readonly mlagId: number } | { readonly kind: 'peer-link' };

/** `non-member`: every physical port except M-LAG members, the peer-link and management. */
export type MlagPortTarget =
  { readonly kind: 'member'; readonly mlagId: number } | { readonly kind: 'non-member' };

export type MlagPortState = 'up' | 'down' | 'error-down';

/** Per-M-LAG role (seed 001: M-LAG member ports negotiate master/backup); `down` if the local member is down. */
export type MlagMemberRole = 'master' | 'backup' | 'down';

export type DfsGroupAction =
  | { readonly type: 'send-peer'; readonly data: Uint8Array }
  | { readonly type: 'send-dad'; readonly data: Uint8Array }
  | { readonly type: 'install-mac'; readonly vni: Vni; readonly mac: Mac; readonly port: MlagInstallPort }
  | { readonly type: 'remove-mac'; readonly vni: Vni; readonly mac: Mac }
  | { readonly type: 'install-neighbor'; readonly vni: Vni; readonly ip: IpAddress; readonly mac: Mac }
  | { readonly type: 'remove-neighbor'; readonly vni: Vni; readonly ip: IpAddress }
  | {
      readonly type: 'port-state';
      readonly target: MlagPortTarget;
      readonly state: MlagPortState;
      readonly reason: string;
    }
  /** On: BUM arriving over the peer-link is not sent out of this M-LAG's member port (seed 001). */
  | { readonly type: 'isolation'; readonly mlagId: number; readonly on: boolean }
  | { readonly type: 'role'; readonly from: MlagRole; readonly to: MlagRole; readonly reason: string }
  | { readonly type: 'member-role'; readonly mlagId: number; readonly role: MlagMemberRole }
  | {
      readonly type: 'state';
      readonly from: MlagDfsState;
      readonly to: MlagDfsState;
      readonly reason: string;
    }
  | { readonly type: 'consistency-error'; readonly mismatches: readonly ConsistencyMismatch[] }
  | { readonly type: 'consistency-ok' }
  | { readonly type: 'log'; readonly level: 'info' | 'warn'; readonly text: string };

export interface MacTableEntry {
  readonly vni: Vni;
  readonly mac: Mac;
  readonly location: MlagMacLocation;
  /** The device that made the winning change (for single-homed: the device the MAC is behind). */
  readonly origin: Mac;
  readonly seq: number;
}

export interface NeighborTableEntry {
  readonly vni: Vni;
  readonly ip: IpAddress;
  readonly mac: Mac;
  readonly origin: Mac;
  readonly seq: number;
}

export interface DfsGroupCounters {
  peerMessagesIn: number;
  peerMessagesOut: number;
  dadProbesIn: number;
  dadProbesOut: number;
  /** Peer-link messages that did not decode (dropped). */
  malformedPeer: number;
  /** DAD datagrams that did not decode (dropped). */
  malformedDad: number;
  /** The peer-link stream lost message boundaries (decoder reset). */
  framingErrors: number;
  unknownMessages: number;
  /** HELLOs or probes of another DFS group, or our own echoed back. */
  wrongGroup: number;
  /** Sync changes older than what the table holds. */
  staleSyncDropped: number;
  duplicateSyncDropped: number;
  /** Sync changes claiming an origin other than the peer. */
  foreignOriginDropped: number;
  /** Messages that make no sense in the current state (e.g. MAC-SYNC before pairing). */
  outOfStateDropped: number;
  staleMemberStateDropped: number;
  /** Local agings of entries the peer asserts (the peer ages them, not us). */
  agedNotOwned: number;
}

interface MacValue {
  readonly vni: Vni;
  readonly mac: Mac;
  readonly location: MlagMacLocation;
}

interface NeighborValue {
  readonly vni: Vni;
  readonly ip: IpAddress;
  readonly mac: Mac;
}

interface PeerView {
  readonly localMac: Mac;
  readonly bootId: number;
  readonly priority: number;
  readonly role: MlagRole;
}

interface Candidate {
  readonly role: MlagRole;
  readonly priority: number;
  readonly mac: Mac;
}

const macKey = (vni: number, mac: string) => `${vni}/${mac}`;
const neighborKey = (vni: number, ip: string) => `${vni}/${ip}`;

function sameLocation(a: MlagMacLocation, b: MlagMacLocation): boolean {
  return a.kind === b.kind && (a.kind !== 'mlag' || a.mlagId === (b as { mlagId: number }).mlagId);
}

/**
 * The local role after comparing claims. No pre-emption (seed 001: a recovered device does not take
 * the master role back): a side that holds master keeps it against one that does not. Only when
 * neither or both hold master is there an election: higher priority, then lower MAC.
 */
export function electRole(local: Candidate, peer: Candidate): { role: 'master' | 'backup'; reason: string } {
  if (local.role === 'master' && peer.role !== 'master')
    return { role: 'master', reason: 'holds master (no pre-emption)' };
  if (peer.role === 'master' && local.role !== 'master') {
    return { role: 'backup', reason: 'peer holds master (no pre-emption)' };
  }
  const contest = local.role === 'master' ? 'both master: ' : '';
  if (local.priority !== peer.priority) {
    const win = local.priority > peer.priority;
    return {
      role: win ? 'master' : 'backup',
      reason: `${contest}elected on priority ${local.priority} ${win ? '>' : '<'} peer ${peer.priority}`,
    };
  }
  const win = local.mac < peer.mac;
  return {
    role: win ? 'master' : 'backup',
    reason: `${contest}elected on equal priority ${local.priority}, MAC ${local.mac} ${win ? '<' : '>'} peer ${peer.mac}`,
  };
}

export class DfsGroup {
  private cfg: DfsGroupConfig;
  private readonly recoveryDelayMs: number;
  private readonly heartbeatIntervalMs: number;
  private readonly heartbeatTimeoutMs: number;
  private readonly dadIntervalMs: number;
  private readonly dadTimeoutMs: number;
  private readonly memberIds: readonly number[];

  private started = false;
  private startedAt = 0;
  private dfsState: MlagDfsState = 'init';
  private dfsRole: MlagRole = 'none';
  private peerLinkIsUp = false;
  private dadLinkIsUp = true;
  private frames = new MlagFrameDecoder();

  /** The peer as its HELLOs describe it. */
  private peerView: PeerView | undefined;
  /** The peer's MAC, from HELLO or DAD probe: the origin its sync changes carry. */
  private peerMac: Mac | undefined;
  private lastPeerHeardAt = 0;
  private initDeadline: number | undefined;
  private helloDue: number | undefined;
  private dadDue: number | undefined;
  private dadSequence = 0;
  /** DAD probes count as proof of life only when heard after this (the failure event). */
  private dadCheckSince = 0;
  private dadSilenceDeadline: number | undefined;
  private lastDadProbe: MlagDadProbe | undefined;
  private recoveryUntil: number | undefined;
  /** Member ports were last commanded up: transitional states keep them as they are. */
  private membersReleased = false;

  private localConsistency: MlagConsistency;
  private peerConsistency: MlagConsistency | undefined;
  private mismatches: ConsistencyMismatch[] = [];
  private reportedGroupIds = new Set<number>();

  private readonly localMembers = new Map<number, { up: boolean; lacpSync: boolean }>();
  private peerMembers = new Map<number, { up: boolean; lacpSync: boolean }>();
  private peerMemberSeq = -1;
  private memberSeq = 0;

  /** Lamport clock: above every sync sequence used or seen. */
  private clock = 0;
  private readonly macs: VersionedTable<MacValue>;
  private readonly neighbors: VersionedTable<NeighborValue>;
  private syncRequestId = 0;
  /** Peer-asserted keys not yet re-asserted since our last SYNC-REQUEST; swept at SYNC-DONE. */
  private staleFromPeer: { macs: Set<string>; neighbors: Set<string> } | undefined;

  /** Last commanded state per port, with the reason while not up (a new reason is reported again). */
  private readonly emittedPorts = new Map<string, string>();
  private readonly emittedIsolation = new Map<number, boolean>();
  private readonly emittedMemberRoles = new Map<number, MlagMemberRole>();

  readonly counters: DfsGroupCounters = {
    peerMessagesIn: 0,
    peerMessagesOut: 0,
    dadProbesIn: 0,
    dadProbesOut: 0,
    malformedPeer: 0,
    malformedDad: 0,
    framingErrors: 0,
    unknownMessages: 0,
    wrongGroup: 0,
    staleSyncDropped: 0,
    duplicateSyncDropped: 0,
    foreignOriginDropped: 0,
    outOfStateDropped: 0,
    staleMemberStateDropped: 0,
    agedNotOwned: 0,
  };

  constructor(config: DfsGroupConfig) {
    const fail = (what: string) => {
      throw new RangeError(`mlag ${config.name}: ${what}`);
    };
    const uint = (v: number, max: number) => Number.isInteger(v) && v >= 0 && v <= max;
    if (!uint(config.groupId, 0xffffffff)) fail(`group id ${config.groupId} is not 0..2^32-1`);
    if (!uint(config.priority, 0xffff)) fail(`priority ${config.priority} is not 0..65535`);
    if (!uint(config.bootId, 0xffffffff) || config.bootId === 0)
      fail(`boot id ${config.bootId} is not 1..2^32-1`);
    if (config.localMac === config.systemMac) fail('the local MAC must differ from the shared system MAC');
    const ids = new Set<number>();
    for (const m of config.memberPorts) {
      if (!uint(m.mlagId, 0xffff) || m.mlagId === 0) fail(`M-LAG id ${m.mlagId} is not 1..65535`);
      if (ids.has(m.mlagId)) fail(`M-LAG id ${m.mlagId} configured twice`);
      ids.add(m.mlagId);
    }
    const positive = (v: number | undefined, d: number, what: string) => {
      const n = v ?? d;
      if (!Number.isFinite(n) || n < 0) fail(`${what} ${n} must be a non-negative number of ms`);
      return n;
    };
    this.cfg = config;
    this.recoveryDelayMs = positive(config.recoveryDelayMs, DEFAULT_RECOVERY_DELAY_MS, 'recovery delay');
    this.heartbeatIntervalMs = positive(
      config.heartbeatIntervalMs,
      DEFAULT_HEARTBEAT_INTERVAL_MS,
      'heartbeat interval',
    );
    this.heartbeatTimeoutMs = positive(
      config.heartbeatTimeoutMs,
      DEFAULT_HEARTBEAT_TIMEOUT_MS,
      'heartbeat timeout',
    );
    this.dadIntervalMs = positive(config.dadIntervalMs, DEFAULT_DAD_INTERVAL_MS, 'DAD interval');
    this.dadTimeoutMs = positive(config.dadTimeoutMs, DEFAULT_DAD_TIMEOUT_MS, 'DAD timeout');
    const tombstones = positive(
      config.tombstoneLifetimeMs,
      DEFAULT_TOMBSTONE_LIFETIME_MS,
      'tombstone lifetime',
    );
    this.macs = new VersionedTable(tombstones);
    this.neighbors = new VersionedTable(tombstones);
    this.memberIds = [...ids].sort((a, b) => a - b);
    for (const id of this.memberIds) this.localMembers.set(id, { up: false, lacpSync: false });
    this.localConsistency = this.buildConsistency();
  }

  // ---- queries ------------------------------------------------------------------------------

  get config(): DfsGroupConfig {
    return this.cfg;
  }

  get state(): MlagDfsState {
    return this.dfsState;
  }

  get role(): MlagRole {
    return this.dfsRole;
  }

  /** The mismatches of the last consistency check (empty when consistent or not yet checked). */
  get consistencyMismatches(): readonly ConsistencyMismatch[] {
    return this.mismatches;
  }

  /** Live MAC entries, as both devices should agree on them. */
  macTable(): MacTableEntry[] {
    const out: MacTableEntry[] = [];
    for (const [, r] of this.macs.live()) {
      out.push({ ...r.value, origin: r.version.origin, seq: r.version.seq });
    }
    return out;
  }

  /** Where the live entry for a MAC says it is (undefined: not in the table). */
  macLocation(vni: number, mac: Mac): MlagMacLocation | undefined {
    return this.macs.value(macKey(vni, mac))?.location;
  }

  neighborTable(): NeighborTableEntry[] {
    const out: NeighborTableEntry[] = [];
    for (const [, r] of this.neighbors.live()) {
      out.push({ ...r.value, origin: r.version.origin, seq: r.version.seq });
    }
    return out;
  }

  /** The peer's member ports as its last MEMBER-PORT-STATE said (empty when not paired). */
  peerMemberPorts(): ReadonlyMap<number, { readonly up: boolean; readonly lacpSync: boolean }> {
    return this.peerMembers;
  }

  nextDeadline(): number | undefined {
    if (!this.started) return undefined;
    let next: number | undefined;
    const consider = (t: number | undefined) => {
      if (t !== undefined && (next === undefined || t < next)) next = t;
    };
    if (this.peerLinkIsUp) consider(this.helloDue);
    if (this.dadLinkIsUp) consider(this.dadDue);
    if (this.dfsState === 'init') consider(this.initDeadline);
    if (this.dfsState === 'paired' || this.dfsState === 'negotiating') {
      consider(this.lastPeerHeardAt + this.heartbeatTimeoutMs);
    }
    consider(this.dadSilenceDeadline);
    consider(this.recoveryUntil);
    return next;
  }

  // ---- inputs -------------------------------------------------------------------------------

  /** Starts the engine: member ports held down until the group pairs or the peer is found dead. */
  start(now: number): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (this.started) return actions;
    this.started = true;
    this.startedAt = now;
    this.initDeadline = now + this.heartbeatTimeoutMs;
    this.log(
      actions,
      'info',
      `start group=${this.cfg.groupId} priority=${this.cfg.priority} boot=${this.cfg.bootId}`,
    );
    this.sendDadProbe(now, actions);
    this.reconcile(now, actions);
    return actions;
  }

  peerLinkUp(now: number): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started || this.peerLinkIsUp) return actions;
    this.peerLinkIsUp = true;
    this.frames = new MlagFrameDecoder();
    this.log(actions, 'info', 'peer-link up');
    this.sendHello(now, actions);
    this.reconcile(now, actions);
    return actions;
  }

  /** Seed 001: on peer-link down a device at once starts dual-active detection over the DAD link. */
  peerLinkDown(now: number): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started || !this.peerLinkIsUp) return actions;
    this.peerLinkIsUp = false;
    this.frames = new MlagFrameDecoder();
    this.helloDue = undefined;
    this.log(actions, 'warn', 'peer-link down');
    if (this.dfsState === 'paired' || this.dfsState === 'negotiating') {
      this.beginDadCheck(now, actions, 'peer-link down');
    }
    this.reconcile(now, actions);
    return actions;
  }

  /** The DAD path (its interface or route) went down: a peer-link failure can no longer be told from a dead peer. */
  dadLinkDown(now: number): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started || !this.dadLinkIsUp) return actions;
    this.dadLinkIsUp = false;
    this.dadDue = undefined;
    this.log(actions, 'warn', 'DAD link down: a peer-link failure now would leave both devices master');
    if (this.dfsState === 'dad-check') this.enterDualMaster(now, actions, 'peer-link down and DAD link down');
    else if (this.dfsState === 'dual-master') this.dadSilenceDeadline = undefined;
    this.reconcile(now, actions);
    return actions;
  }

  dadLinkUp(now: number): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started || this.dadLinkIsUp) return actions;
    this.dadLinkIsUp = true;
    this.log(actions, 'info', 'DAD link up');
    if (this.dfsState === 'dual-master') {
      this.dadCheckSince = now;
      this.dadSilenceDeadline = now + this.dadTimeoutMs;
    }
    this.sendDadProbe(now, actions);
    this.reconcile(now, actions);
    return actions;
  }

  /** Bytes from the peer-link stream (a TCP segment, or one lab frame's payload). */
  receivePeer(now: number, bytes: Uint8Array): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started || !this.peerLinkIsUp) return actions;
    let frames: Uint8Array[];
    try {
      frames = this.frames.push(bytes);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      // Message boundaries are lost: drop what is buffered and start over at the next chunk.
      this.counters.framingErrors++;
      this.frames = new MlagFrameDecoder();
      this.log(actions, 'warn', `peer-link stream reset: ${e.message}`);
      return actions;
    }
    for (const frame of frames) {
      let m: MlagMessage;
      try {
        m = decodeMlagMessage(frame);
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        this.counters.malformedPeer++;
        this.log(actions, 'warn', `dropped malformed peer message: ${e.message}`);
        continue;
      }
      this.counters.peerMessagesIn++;
      this.handlePeerMessage(now, m, actions);
    }
    this.reconcile(now, actions);
    return actions;
  }

  /** One datagram from the DAD link. */
  receiveDad(now: number, bytes: Uint8Array): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started) return actions;
    let m: MlagMessage;
    try {
      m = decodeMlagMessage(bytes);
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      this.counters.malformedDad++;
      return actions;
    }
    if (m.type !== 'dad-probe') {
      this.counters.outOfStateDropped++;
      return actions;
    }
    this.counters.dadProbesIn++;
    this.onDadProbe(now, m, actions);
    this.reconcile(now, actions);
    return actions;
  }

  /** BFD (or another detector) says the peer device is down: the survivor takes over at once (seed 001). */
  peerDeviceDown(now: number): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started) return actions;
    if (this.dfsState !== 'alone' && this.dfsState !== 'dual-master') {
      this.enterAlone(now, actions, 'peer device down (BFD)');
    }
    this.reconcile(now, actions);
    return actions;
  }

  /** The local data plane learned (or saw move) a MAC. */
  localMacLearned(now: number, vni: Vni, mac: Mac, port: MlagLocalPort): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started) return actions;
    const location: MlagMacLocation =
      port.kind === 'member' ? { kind: 'mlag', mlagId: port.mlagId } : { kind: 'single-homed' };
    const key = macKey(vni, mac);
    const current = this.macs.get(key);
    if (current?.value !== undefined && sameLocation(current.value.location, location)) {
      // Already known there: behind the same M-LAG whoever learned it, or single-homed here.
      if (location.kind === 'mlag' || current.version.origin === this.cfg.localMac) return actions;
    }
    const version = this.nextVersion(current);
    this.macs.apply(key, { vni, mac, location }, version, now);
    this.sendMacEntries(actions, [
      { op: current?.value !== undefined ? 'move' : 'add', vni, mac, location, ...version },
    ]);
    return actions;
  }

  /**
   * The local data plane aged a MAC out. Only the device that asserted the entry deletes it; an entry
   * the peer asserts stays (the peer ages it) and is installed again.
   */
  localMacAged(now: number, vni: Vni, mac: Mac): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started) return actions;
    const key = macKey(vni, mac);
    const current = this.macs.get(key);
    if (current?.value === undefined) return actions;
    if (current.version.origin !== this.cfg.localMac) {
      // The peer asserts this MAC; our data plane only dropped its own copy, so put the synced one back.
      this.counters.agedNotOwned++;
      const port = this.installTarget(current.value.location);
      actions.push({ type: 'install-mac', vni, mac, port });
      return actions;
    }
    const version = this.nextVersion(current);
    this.macs.apply(key, undefined, version, now);
    this.sendMacEntries(actions, [{ op: 'delete', vni, mac, ...version }]);
    return actions;
  }

  /** The local device resolved (or re-resolved) a neighbor by ARP or ND. */
  localNeighborLearned(now: number, vni: Vni, ip: IpAddress, mac: Mac): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started) return actions;
    const key = neighborKey(vni, ip);
    const current = this.neighbors.get(key);
    if (current?.value !== undefined && current.value.mac === mac) return actions;
    const version = this.nextVersion(current);
    this.neighbors.apply(key, { vni, ip, mac }, version, now);
    this.sendNeighborEntries(actions, [
      { op: current?.value !== undefined ? 'move' : 'add', vni, ip, mac, ...version },
    ]);
    return actions;
  }

  localNeighborAged(now: number, vni: Vni, ip: IpAddress): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started) return actions;
    const key = neighborKey(vni, ip);
    const current = this.neighbors.get(key);
    if (current?.value === undefined) return actions;
    if (current.version.origin !== this.cfg.localMac) {
      this.counters.agedNotOwned++;
      actions.push({ type: 'install-neighbor', vni, ip, mac: current.value.mac });
      return actions;
    }
    const version = this.nextVersion(current);
    this.neighbors.apply(key, undefined, version, now);
    this.sendNeighborEntries(actions, [{ op: 'delete', vni, ip, ...version }]);
    return actions;
  }

  /** The local member port of an M-LAG is up (carrier and LACP). */
  memberPortUp(now: number, mlagId: number, lacpSync = true): DfsGroupAction[] {
    return this.setLocalMember(now, mlagId, true, lacpSync);
  }

  memberPortDown(now: number, mlagId: number): DfsGroupAction[] {
    return this.setLocalMember(now, mlagId, false, false);
  }

  /** Changes consistency-checked parameters (to fix a reported mismatch) and re-checks. */
  reconfigure(now: number, change: DfsGroupReconfiguration): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    this.cfg = { ...this.cfg, ...change };
    this.localConsistency = this.buildConsistency();
    if (!this.started) return actions;
    if (this.dfsState === 'paired') {
      this.sendPeer(actions, this.localConsistency);
      this.checkConsistency(actions);
    }
    this.reconcile(now, actions);
    return actions;
  }

  /** Fires the timers that are due. */
  poll(now: number): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started) return actions;
    this.macs.collect(now);
    this.neighbors.collect(now);
    if (this.recoveryUntil !== undefined && now >= this.recoveryUntil) {
      this.recoveryUntil = undefined;
      this.log(actions, 'info', 'recovery delay over: member ports may come up');
    }
    if (this.peerLinkIsUp && this.helloDue !== undefined && now >= this.helloDue)
      this.sendHello(now, actions);
    if (this.dadLinkIsUp && this.dadDue !== undefined && now >= this.dadDue) this.sendDadProbe(now, actions);
    if (this.dfsState === 'init' && this.initDeadline !== undefined && now >= this.initDeadline) {
      this.beginDadCheck(now, actions, 'no peer heard over the peer-link');
    }
    if (
      (this.dfsState === 'paired' || this.dfsState === 'negotiating') &&
      now >= this.lastPeerHeardAt + this.heartbeatTimeoutMs
    ) {
      this.beginDadCheck(now, actions, `no HELLO for ${this.heartbeatTimeoutMs} ms`);
    }
    if (this.dadSilenceDeadline !== undefined && now >= this.dadSilenceDeadline) {
      this.dadSilenceDeadline = undefined;
      const silent = `no DAD probe for ${this.dadTimeoutMs} ms`;
      if (this.dfsState === 'dad-check' || this.dfsState === 'split' || this.dfsState === 'dual-master') {
        if (this.dadLinkIsUp) this.enterAlone(now, actions, `peer dead: ${silent}`);
        else this.enterDualMaster(now, actions, `${silent} and the DAD link is down`);
      }
    }
    this.reconcile(now, actions);
    return actions;
  }

  // ---- peer-link messages -------------------------------------------------------------------

  private handlePeerMessage(now: number, m: MlagMessage, actions: DfsGroupAction[]): void {
    if (m.type === 'hello') return this.onHello(now, m, actions);
    if (m.type === 'unknown') {
      this.counters.unknownMessages++;
      return;
    }
    if (m.type === 'dad-probe') {
      this.counters.outOfStateDropped++;
      return;
    }
    // Everything else belongs to a paired session (the peer sends its two-way HELLO first).
    if (this.dfsState !== 'paired') {
      this.counters.outOfStateDropped++;
      this.log(actions, 'warn', `dropped ${m.type} received in state ${this.dfsState}`);
      return;
    }
    this.lastPeerHeardAt = now;
    switch (m.type) {
      case 'consistency':
        this.peerConsistency = m;
        this.checkConsistency(actions);
        return;
      case 'member-port-state':
        return this.onPeerMemberState(m);
      case 'mac-sync':
        for (const e of m.entries) this.applyPeerMac(now, e, actions);
        return;
      case 'neighbor-sync':
        for (const e of m.entries) this.applyPeerNeighbor(now, e, actions);
        return;
      case 'sync-request':
        return this.answerSyncRequest(m.requestId, actions);
      case 'sync-done':
        return this.onSyncDone(m.requestId, m.macCount, m.neighborCount, actions);
    }
  }

  private onHello(now: number, h: MlagHello, actions: DfsGroupAction[]): void {
    if (h.groupId !== this.cfg.groupId) {
      this.counters.wrongGroup++;
      if (!this.reportedGroupIds.has(h.groupId)) {
        this.reportedGroupIds.add(h.groupId);
        actions.push({
          type: 'consistency-error',
          mismatches: [
            { parameter: 'dfs-group-id', local: String(this.cfg.groupId), peer: String(h.groupId) },
          ],
        });
      }
      return;
    }
    if (h.localMac === this.cfg.localMac) {
      this.counters.wrongGroup++;
      this.log(
        actions,
        'warn',
        'HELLO with our own MAC: the peer-link loops back or both devices share a MAC',
      );
      return;
    }
    this.clock = Math.max(this.clock, h.clock);
    const known = this.peerView;
    if (known !== undefined && known.bootId !== h.bootId) {
      // The peer restarted without us noticing the outage: it was down, so we are the survivor.
      if (this.dfsState === 'paired' || this.dfsState === 'negotiating') {
        this.enterAlone(now, actions, `peer restarted (boot ${known.bootId} → ${h.bootId})`);
      }
    }
    const firstHeard = known === undefined || known.bootId !== h.bootId;
    this.peerView = { localMac: h.localMac, bootId: h.bootId, priority: h.priority, role: h.role };
    this.peerMac = h.localMac;
    this.lastPeerHeardAt = now;
    if (h.peerBootId === this.cfg.bootId) {
      if (this.dfsState !== 'paired') this.pair(now, actions);
      else this.resolveRoleConflict(h.role, h.priority, h.localMac, actions);
      return;
    }
    if (this.dfsState === 'paired') {
      this.setState(actions, 'negotiating', 'peer no longer hears us');
    } else if (this.dfsState === 'init' || this.dfsState === 'dad-check') {
      this.setState(actions, 'negotiating', 'HELLO heard');
    } else if (this.dfsState !== 'negotiating') {
      this.setState(actions, 'negotiating', 'HELLO heard: peer-link restored');
    }
    // Tell the peer at once that we hear it, so the handshake takes one round trip.
    if (firstHeard) this.sendHello(now, actions);
  }

  /** Two-way HELLO: elect, then consistency check, member state and full sync (seed 001 pairing steps). */
  private pair(now: number, actions: DfsGroupAction[]): void {
    const peer = this.peerView!;
    const wasForwarding = this.membersReleased;
    const peerActive = peer.role === 'master';
    const elected = electRole(
      { role: this.dfsRole, priority: this.cfg.priority, mac: this.cfg.localMac },
      { role: peer.role, priority: peer.priority, mac: peer.localMac },
    );
    this.dadSilenceDeadline = undefined;
    this.setState(actions, 'paired', `two-way HELLO with ${peer.localMac} boot ${peer.bootId}`);
    this.setRole(actions, elected.role, elected.reason);
    // Seed 001: a device that joins a forwarding peer (after a peer-link failure or its own
    // restart) brings its M-LAG member ports up only after the recovery delay, so the MAC and ARP
    // tables are synced before servers send to it.
    if (!wasForwarding && peerActive && elected.role !== 'master') {
      this.recoveryUntil = now + this.recoveryDelayMs;
      this.log(
        actions,
        'info',
        `joining a forwarding peer: member ports up at ${this.recoveryUntil} (recovery delay)`,
      );
    }
    this.peerConsistency = undefined;
    this.mismatches = [];
    this.peerMembers = new Map();
    this.peerMemberSeq = -1;
    this.sendHello(now, actions);
    this.sendPeer(actions, this.localConsistency);
    this.sendMemberState(actions);
    this.requestFullSync(actions);
  }

  /** Both claim the same role (e.g. two masters after a dual-master episode): elect again. */
  private resolveRoleConflict(
    peerRole: MlagRole,
    priority: number,
    mac: Mac,
    actions: DfsGroupAction[],
  ): void {
    const conflict =
      (peerRole === 'master' && this.dfsRole === 'master') ||
      (peerRole === 'backup' && this.dfsRole === 'backup');
    if (!conflict) return;
    const elected = electRole(
      { role: this.dfsRole, priority: this.cfg.priority, mac: this.cfg.localMac },
      { role: peerRole, priority, mac },
    );
    this.setRole(actions, elected.role, elected.reason);
  }

  private checkConsistency(actions: DfsGroupAction[]): void {
    if (this.peerConsistency === undefined) return;
    const before = this.mismatches;
    this.mismatches = compareConsistency(this.localConsistency, this.peerConsistency);
    if (this.mismatches.length > 0) {
      if (JSON.stringify(before) !== JSON.stringify(this.mismatches)) {
        actions.push({ type: 'consistency-error', mismatches: this.mismatches });
        for (const x of this.mismatches) {
          this.log(actions, 'warn', `consistency: ${x.parameter} local=${x.local} peer=${x.peer}`);
        }
      }
    } else if (before.length > 0) {
      actions.push({ type: 'consistency-ok' });
      this.log(actions, 'info', 'consistency: parameters match again');
    }
  }

  /** The isolation and per-M-LAG role changes follow in reconcile. */
  private onPeerMemberState(m: MlagMemberPortState): void {
    if (m.seq <= this.peerMemberSeq) {
      this.counters.staleMemberStateDropped++;
      return;
    }
    this.peerMemberSeq = m.seq;
    const next = new Map<number, { up: boolean; lacpSync: boolean }>();
    for (const p of m.ports) next.set(p.mlagId, { up: p.up, lacpSync: p.lacpSync });
    this.peerMembers = next;
  }

  // ---- DAD ----------------------------------------------------------------------------------

  private onDadProbe(now: number, p: MlagDadProbe, actions: DfsGroupAction[]): void {
    if (p.groupId !== this.cfg.groupId || p.localMac === this.cfg.localMac) {
      this.counters.wrongGroup++;
      return;
    }
    this.peerMac = p.localMac;
    this.lastDadProbe = p;
    if (now < this.dadCheckSince) return;
    switch (this.dfsState) {
      case 'dad-check':
      case 'alone':
      case 'dual-master':
        // Seed 001: a DAD probe while the peer-link is down means the peer-link failed, not the peer.
        this.enterSplit(now, p, actions);
        return;
      case 'split':
        this.dadSilenceDeadline = now + this.dadTimeoutMs;
        this.resolveSplitRole(p, actions);
        return;
      default:
        return;
    }
  }

  private beginDadCheck(now: number, actions: DfsGroupAction[], reason: string): void {
    this.setState(actions, 'dad-check', reason);
    this.dadCheckSince = now;
    if (!this.dadLinkIsUp) return this.enterDualMaster(now, actions, `${reason} and the DAD link is down`);
    this.dadSilenceDeadline = now + this.dadTimeoutMs;
    this.sendDadProbe(now, actions);
  }

  /** Peer-link down, peer alive: seed 001 says the backup error-downs all but peer-link and management. */
  private enterSplit(now: number, p: MlagDadProbe, actions: DfsGroupAction[]): void {
    this.dadSilenceDeadline = now + this.dadTimeoutMs;
    if (this.dfsState !== 'split') {
      this.setState(actions, 'split', 'peer alive on the DAD link, peer-link down');
      this.forgetPeerState(actions);
    }
    this.resolveSplitRole(p, actions);
  }

  private resolveSplitRole(p: MlagDadProbe, actions: DfsGroupAction[]): void {
    const elected = electRole(
      { role: this.dfsRole, priority: this.cfg.priority, mac: this.cfg.localMac },
      { role: p.role, priority: p.priority, mac: p.localMac },
    );
    this.setRole(actions, elected.role, `${elected.reason} (over DAD)`);
  }

  /** The peer is gone: forward alone as master (seed 001: the backup is promoted). */
  private enterAlone(now: number, actions: DfsGroupAction[], reason: string): void {
    this.dadSilenceDeadline = undefined;
    this.recoveryUntil = undefined;
    this.setState(actions, 'alone', reason);
    this.setRole(actions, 'master', `survivor: ${reason}`);
    this.forgetPeerState(actions);
  }

  /** Peer-link and DAD both down: we cannot know whether the peer forwards too, so both may be master. */
  private enterDualMaster(now: number, actions: DfsGroupAction[], reason: string): void {
    this.dadSilenceDeadline = this.dadLinkIsUp ? now + this.dadTimeoutMs : undefined;
    this.recoveryUntil = undefined;
    this.setState(actions, 'dual-master', reason);
    this.setRole(actions, 'master', `cannot reach the peer: ${reason}`);
    this.log(actions, 'warn', 'dual-master risk: peer-link and DAD are both down; both devices may forward');
    this.forgetPeerState(actions);
  }

  /**
   * The peer-link is gone: the peer's member state is unknown (so every M-LAG is single-homed here)
   * and MACs single-homed on the peer cannot be reached any more. MACs behind an M-LAG stay: our
   * own member port reaches them.
   */
  private forgetPeerState(actions: DfsGroupAction[]): void {
    this.peerMembers = new Map();
    this.peerMemberSeq = -1;
    this.staleFromPeer = undefined;
    this.peerConsistency = undefined;
    this.mismatches = [];
    const peer = this.peerMac;
    if (peer === undefined) return;
    for (const [key, r] of [...this.macs.live()]) {
      if (r.version.origin === peer && r.value.location.kind === 'single-homed') {
        this.macs.forget(key);
        actions.push({ type: 'remove-mac', vni: r.value.vni, mac: r.value.mac });
      }
    }
    for (const [key, r] of [...this.neighbors.live()]) {
      if (r.version.origin === peer && this.macs.value(macKey(r.value.vni, r.value.mac)) === undefined) {
        this.neighbors.forget(key);
        actions.push({ type: 'remove-neighbor', vni: r.value.vni, ip: r.value.ip });
      }
    }
  }

  // ---- sync ---------------------------------------------------------------------------------

  private nextVersion(current: SyncRecord<unknown> | undefined): SyncVersion {
    this.clock = Math.max(this.clock, current?.version.seq ?? 0) + 1;
    return { seq: this.clock, origin: this.cfg.localMac };
  }

  private installTarget(location: MlagMacLocation): MlagInstallPort {
    if (location.kind === 'mlag' && this.localMembers.get(location.mlagId)?.up === true) {
      return { kind: 'member', mlagId: location.mlagId };
    }
    return { kind: 'peer-link' };
  }

  private applyPeerMac(now: number, e: MlagMacEntry, actions: DfsGroupAction[]): void {
    if (e.origin !== this.peerMac) {
      this.counters.foreignOriginDropped++;
      return;
    }
    this.clock = Math.max(this.clock, e.seq);
    const key = macKey(e.vni, e.mac);
    const value = e.op === 'delete' ? undefined : { vni: e.vni, mac: e.mac, location: e.location };
    const result = this.macs.apply(key, value, { seq: e.seq, origin: e.origin }, now);
    this.staleFromPeer?.macs.delete(key);
    if (result.kind === 'stale') {
      this.counters.staleSyncDropped++;
      return;
    }
    if (result.kind === 'duplicate') {
      this.counters.duplicateSyncDropped++;
      return;
    }
    // A MAC behind M-LAG X on the peer goes to our own member port of X (seed 001), or over the
    // peer-link when ours is down or it is single-homed on the peer.
    if (value !== undefined) {
      actions.push({ type: 'install-mac', vni: e.vni, mac: e.mac, port: this.installTarget(value.location) });
    } else if (result.previous !== undefined) {
      actions.push({ type: 'remove-mac', vni: e.vni, mac: e.mac });
    }
  }

  private applyPeerNeighbor(now: number, e: MlagNeighborEntry, actions: DfsGroupAction[]): void {
    if (e.origin !== this.peerMac) {
      this.counters.foreignOriginDropped++;
      return;
    }
    this.clock = Math.max(this.clock, e.seq);
    const key = neighborKey(e.vni, e.ip);
    const value = e.op === 'delete' ? undefined : { vni: e.vni, ip: e.ip, mac: e.mac };
    const result = this.neighbors.apply(key, value, { seq: e.seq, origin: e.origin }, now);
    this.staleFromPeer?.neighbors.delete(key);
    if (result.kind === 'stale') {
      this.counters.staleSyncDropped++;
      return;
    }
    if (result.kind === 'duplicate') {
      this.counters.duplicateSyncDropped++;
      return;
    }
    if (value !== undefined) actions.push({ type: 'install-neighbor', vni: e.vni, ip: e.ip, mac: value.mac });
    else if (result.previous !== undefined) actions.push({ type: 'remove-neighbor', vni: e.vni, ip: e.ip });
  }

  /** Full sync: everything the peer asserted is stale until its answer re-asserts it. */
  private requestFullSync(actions: DfsGroupAction[]): void {
    this.syncRequestId = (this.syncRequestId + 1) >>> 0;
    const macs = new Set<string>();
    const neighbors = new Set<string>();
    for (const [key, r] of this.macs.live()) if (r.version.origin === this.peerMac) macs.add(key);
    for (const [key, r] of this.neighbors.live()) if (r.version.origin === this.peerMac) neighbors.add(key);
    this.staleFromPeer = { macs, neighbors };
    this.sendPeer(actions, { type: 'sync-request', requestId: this.syncRequestId });
  }

  private answerSyncRequest(requestId: number, actions: DfsGroupAction[]): void {
    const me = this.cfg.localMac;
    const macs: MlagMacEntry[] = [];
    for (const [, r] of this.macs.live()) {
      if (r.version.origin === me) macs.push({ op: 'add', ...r.value, ...r.version });
    }
    const neighbors: MlagNeighborEntry[] = [];
    for (const [, r] of this.neighbors.live()) {
      if (r.version.origin === me) neighbors.push({ op: 'add', ...r.value, ...r.version });
    }
    for (const batch of chunkEntries(macs, MLAG_MAX_MAC_SYNC_ENTRIES)) {
      this.sendPeer(actions, { type: 'mac-sync', entries: batch });
    }
    for (const batch of chunkEntries(neighbors, MLAG_MAX_NEIGHBOR_SYNC_ENTRIES)) {
      this.sendPeer(actions, { type: 'neighbor-sync', entries: batch });
    }
    this.sendPeer(actions, {
      type: 'sync-done',
      requestId,
      macCount: macs.length,
      neighborCount: neighbors.length,
    });
  }

  private onSyncDone(
    requestId: number,
    macCount: number,
    neighborCount: number,
    actions: DfsGroupAction[],
  ): void {
    const stale = this.staleFromPeer;
    if (stale === undefined || requestId !== this.syncRequestId) {
      this.counters.outOfStateDropped++;
      return;
    }
    this.staleFromPeer = undefined;
    let swept = 0;
    for (const key of stale.macs) {
      const r = this.macs.get(key);
      if (r?.value === undefined || r.version.origin !== this.peerMac) continue;
      this.macs.forget(key);
      actions.push({ type: 'remove-mac', vni: r.value.vni, mac: r.value.mac });
      swept++;
    }
    for (const key of stale.neighbors) {
      const r = this.neighbors.get(key);
      if (r?.value === undefined || r.version.origin !== this.peerMac) continue;
      this.neighbors.forget(key);
      actions.push({ type: 'remove-neighbor', vni: r.value.vni, ip: r.value.ip });
      swept++;
    }
    this.log(
      actions,
      'info',
      `full sync done: peer sent ${macCount} MACs, ${neighborCount} neighbors; ${swept} stale entries removed`,
    );
  }

  /** Incremental sync; while unpaired the change waits in the table for the next full sync. */
  private sendMacEntries(actions: DfsGroupAction[], entries: MlagMacEntry[]): void {
    if (this.dfsState === 'paired') this.sendPeer(actions, { type: 'mac-sync', entries });
  }

  private sendNeighborEntries(actions: DfsGroupAction[], entries: MlagNeighborEntry[]): void {
    if (this.dfsState === 'paired') this.sendPeer(actions, { type: 'neighbor-sync', entries });
  }

  // ---- member ports -------------------------------------------------------------------------

  private setLocalMember(now: number, mlagId: number, up: boolean, lacpSync: boolean): DfsGroupAction[] {
    const actions: DfsGroupAction[] = [];
    if (!this.started) return actions;
    const current = this.localMembers.get(mlagId);
    if (current === undefined) {
      this.log(actions, 'warn', `member port event for unconfigured M-LAG ${mlagId} ignored`);
      return actions;
    }
    if (current.up === up && current.lacpSync === lacpSync) return actions;
    this.localMembers.set(mlagId, { up, lacpSync });
    this.log(actions, 'info', `M-LAG ${mlagId} member port ${up ? 'up' : 'down'}`);
    if (current.up !== up) {
      // MACs behind this M-LAG now go out of our member port, or over the peer-link to the peer's.
      for (const [, r] of this.macs.live()) {
        const l = r.value.location;
        if (l.kind === 'mlag' && l.mlagId === mlagId) {
          actions.push({
            type: 'install-mac',
            vni: r.value.vni,
            mac: r.value.mac,
            port: this.installTarget(l),
          });
        }
      }
    }
    if (this.dfsState === 'paired') {
      this.sendMemberState(actions);
      // Seed 001: a member port coming back up triggers a MAC sync of the M-LAG system.
      if (up && !current.up) this.requestFullSync(actions);
    }
    this.reconcile(now, actions);
    return actions;
  }

  private sendMemberState(actions: DfsGroupAction[]): void {
    this.memberSeq = (this.memberSeq + 1) >>> 0;
    this.sendPeer(actions, {
      type: 'member-port-state',
      seq: this.memberSeq,
      ports: this.memberIds.map((mlagId) => {
        const s = this.localMembers.get(mlagId)!;
        return { mlagId, up: s.up, lacpSync: s.lacpSync };
      }),
    });
  }

  // ---- desired port state -------------------------------------------------------------------

  private memberHoldReason(now: number): { state: MlagPortState; reason: string } | undefined {
    const backup = this.dfsRole === 'backup';
    switch (this.dfsState) {
      case 'split':
        return backup
          ? {
              state: 'error-down',
              reason: 'peer-link down and peer alive (DAD): backup error-downs its ports',
            }
          : undefined;
      case 'alone':
      case 'dual-master':
        return undefined;
      case 'paired':
        if (backup && this.mismatches.length > 0) {
          const m = this.mismatches[0]!;
          return {
            state: 'down',
            reason: `consistency check failed: ${m.parameter} local=${m.local} peer=${m.peer}`,
          };
        }
        // Not yet checked: do not bring ports up, but do not take forwarding ones down either.
        if (backup && this.peerConsistency === undefined && !this.membersReleased) {
          return { state: 'down', reason: 'waiting for the consistency check' };
        }
        if (this.recoveryUntil !== undefined && now < this.recoveryUntil) {
          return { state: 'down', reason: `recovery delay until ${this.recoveryUntil}` };
        }
        return undefined;
      default:
        // init, negotiating, dad-check: keep forwarding if we were, otherwise wait for the outcome.
        return this.membersReleased ? undefined : { state: 'down', reason: 'waiting for DFS pairing' };
    }
  }

  /** Emits the port, isolation and per-M-LAG role changes the current state implies. */
  private reconcile(now: number, actions: DfsGroupAction[]): void {
    const splitBackup = this.dfsState === 'split' && this.dfsRole === 'backup';
    this.emitPort(
      actions,
      'non-member',
      { kind: 'non-member' },
      splitBackup ? 'error-down' : 'up',
      splitBackup ? 'peer-link down and peer alive (DAD): backup error-downs its ports' : 'forwarding',
    );
    const hold = this.memberHoldReason(now);
    this.membersReleased = hold === undefined;
    const paired = this.dfsState === 'paired';
    for (const mlagId of this.memberIds) {
      this.emitPort(
        actions,
        `member:${mlagId}`,
        { kind: 'member', mlagId },
        hold?.state ?? 'up',
        hold?.reason ?? 'forwarding',
      );
      // Isolation only while the server is dual-homed: the peer's member port of it is up.
      const isolate = paired && this.peerMembers.get(mlagId)?.up === true;
      const wasIsolated = this.emittedIsolation.get(mlagId);
      if (wasIsolated !== isolate) {
        this.emittedIsolation.set(mlagId, isolate);
        actions.push({ type: 'isolation', mlagId, on: isolate });
        if (wasIsolated === true) {
          this.log(actions, 'info', `M-LAG ${mlagId} single-homed here: BUM isolation lifted`);
        }
      }
      const local = this.localMembers.get(mlagId)!;
      let role: MlagMemberRole = 'down';
      if (local.up && hold === undefined) {
        role = isolate ? (this.dfsRole === 'backup' ? 'backup' : 'master') : 'master';
      }
      if (this.emittedMemberRoles.get(mlagId) !== role) {
        this.emittedMemberRoles.set(mlagId, role);
        actions.push({ type: 'member-role', mlagId, role });
      }
    }
  }

  private emitPort(
    actions: DfsGroupAction[],
    key: string,
    target: MlagPortTarget,
    state: MlagPortState,
    reason: string,
  ): void {
    const commanded = state === 'up' ? state : `${state}: ${reason}`;
    if (this.emittedPorts.get(key) === commanded) return;
    this.emittedPorts.set(key, commanded);
    actions.push({ type: 'port-state', target, state, reason });
  }

  // ---- helpers ------------------------------------------------------------------------------

  private buildConsistency(): MlagConsistency {
    return {
      type: 'consistency',
      systemMac: this.cfg.systemMac,
      virtualVtepIp: this.cfg.virtualVtepIp,
      vnis: [...new Set(this.cfg.vnis)].sort((a, b) => a - b),
      mlagIds: [...new Set(this.cfg.memberPorts.map((m) => m.mlagId))].sort((a, b) => a - b),
      gateways: sortGateways(this.cfg.gateways ?? []),
      unknownTlvs: [],
    };
  }

  private setState(actions: DfsGroupAction[], to: MlagDfsState, reason: string): void {
    const from = this.dfsState;
    if (from === to) return;
    this.dfsState = to;
    // DAD verdicts only matter while the peer-link is not carrying HELLOs.
    if (to === 'negotiating' || to === 'paired') this.dadSilenceDeadline = undefined;
    actions.push({ type: 'state', from, to, reason });
    this.log(
      actions,
      to === 'dual-master' || to === 'split' ? 'warn' : 'info',
      `state=${from}→${to} reason=${reason}`,
    );
  }

  private setRole(actions: DfsGroupAction[], to: MlagRole, reason: string): void {
    const from = this.dfsRole;
    if (from === to) return;
    this.dfsRole = to;
    actions.push({ type: 'role', from, to, reason });
    this.log(actions, 'info', `role=${from}→${to} reason=${reason}`);
  }

  private sendPeer(actions: DfsGroupAction[], m: MlagMessage): void {
    if (!this.peerLinkIsUp) return;
    this.counters.peerMessagesOut++;
    actions.push({ type: 'send-peer', data: encodeMlagMessage(m) });
  }

  private sendHello(now: number, actions: DfsGroupAction[]): void {
    this.helloDue = now + this.heartbeatIntervalMs;
    this.sendPeer(actions, {
      type: 'hello',
      groupId: this.cfg.groupId,
      localMac: this.cfg.localMac,
      priority: this.cfg.priority,
      role: this.dfsRole,
      state: this.dfsState,
      bootId: this.cfg.bootId,
      peerBootId: this.peerView?.bootId ?? 0,
      uptimeSeconds: Math.max(0, Math.floor((now - this.startedAt) / 1000)),
      clock: this.clock,
    });
  }

  private sendDadProbe(now: number, actions: DfsGroupAction[]): void {
    if (!this.dadLinkIsUp) return;
    this.dadDue = now + this.dadIntervalMs;
    this.dadSequence = (this.dadSequence + 1) >>> 0;
    this.counters.dadProbesOut++;
    actions.push({
      type: 'send-dad',
      data: encodeMlagMessage({
        type: 'dad-probe',
        groupId: this.cfg.groupId,
        systemMac: this.cfg.systemMac,
        localMac: this.cfg.localMac,
        priority: this.cfg.priority,
        role: this.dfsRole,
        peerLinkUp: this.peerLinkIsUp,
        bootId: this.cfg.bootId,
        sequence: this.dadSequence,
      }),
    });
  }

  private log(actions: DfsGroupAction[], level: 'info' | 'warn', text: string): void {
    actions.push({ type: 'log', level, text: `mlag:${this.cfg.name} ${text}` });
  }

  /** For `show`: the last DAD probe heard from the peer. */
  get lastPeerDadProbe(): MlagDadProbe | undefined {
    return this.lastDadProbe;
  }
}
