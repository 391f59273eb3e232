/**
 * Two DFS-group engines wired back to back in memory: a peer-link and a DAD link that can be cut,
 * devices that can die and restart, and a clock the test moves. Each device keeps a model of what
 * its data plane would hold after performing the engine's actions (port states, isolation, FDB,
 * neighbors), so tests assert on outcomes rather than on action lists.
 */
import { mac, ip, type Mac, type Vni } from '../../src/wire/addr.js';
import { decodeMlagMessage } from '../../src/wire/mlag.js';
import {
  DfsGroup,
  type DfsGroupAction,
  type DfsGroupConfig,
  type MlagInstallPort,
  type MlagLocalPort,
  type MlagMemberRole,
  type MlagPortState,
} from '../../src/mlag/dfs-group.js';

export const SYSTEM_MAC = mac('02:00:00:00:aa:01');
export const VNI = 10000 as Vni;

export function deviceConfig(
  name: string,
  localMac: string,
  priority: number,
  overrides: Partial<DfsGroupConfig> = {},
): DfsGroupConfig {
  return {
    name,
    groupId: 7,
    priority,
    systemMac: SYSTEM_MAC,
    localMac: mac(localMac),
    virtualVtepIp: ip('10.0.0.99'),
    vnis: [10000 as Vni, 10001 as Vni],
    memberPorts: [
      { mlagId: 1, port: `${name}-eth1` },
      { mlagId: 2, port: `${name}-eth2` },
    ],
    bootId: 1,
    ...overrides,
  };
}

/** What the data plane holds for a MAC: learned by itself, or installed by the engine. */
export type FdbEntry =
  | { readonly kind: 'dynamic'; readonly port: MlagLocalPort }
  | { readonly kind: 'static'; readonly port: MlagInstallPort };

export class Device {
  engine: DfsGroup;
  alive = true;
  readonly ports = new Map<string, { state: MlagPortState; reason: string }>();
  readonly isolation = new Map<number, boolean>();
  readonly memberRoles = new Map<number, MlagMemberRole>();
  readonly fdb = new Map<string, FdbEntry>();
  readonly neighbors = new Map<string, Mac>();
  readonly actions: DfsGroupAction[] = [];

  constructor(readonly config: DfsGroupConfig) {
    this.engine = new DfsGroup(config);
  }

  port(target: 'non-member' | number): MlagPortState | undefined {
    return this.ports.get(target === 'non-member' ? 'non-member' : `member:${target}`)?.state;
  }

  portReason(target: 'non-member' | number): string | undefined {
    return this.ports.get(target === 'non-member' ? 'non-member' : `member:${target}`)?.reason;
  }

  of<T extends DfsGroupAction['type']>(type: T): Extract<DfsGroupAction, { type: T }>[] {
    return this.actions.filter((a): a is Extract<DfsGroupAction, { type: T }> => a.type === type);
  }

  apply(a: DfsGroupAction): void {
    this.actions.push(a);
    switch (a.type) {
      case 'port-state':
        this.ports.set(a.target.kind === 'non-member' ? 'non-member' : `member:${a.target.mlagId}`, {
          state: a.state,
          reason: a.reason,
        });
        return;
      case 'isolation':
        this.isolation.set(a.mlagId, a.on);
        return;
      case 'member-role':
        this.memberRoles.set(a.mlagId, a.role);
        return;
      case 'install-mac':
        this.fdb.set(`${a.vni}/${a.mac}`, { kind: 'static', port: a.port });
        return;
      case 'remove-mac':
        this.fdb.delete(`${a.vni}/${a.mac}`);
        return;
      case 'install-neighbor':
        this.neighbors.set(`${a.vni}/${a.ip}`, a.mac);
        return;
      case 'remove-neighbor':
        this.neighbors.delete(`${a.vni}/${a.ip}`);
        return;
      default:
        return;
    }
  }
}

type Side = 'a' | 'b';

export class Pair {
  now = 0;
  readonly devices: Record<Side, Device>;
  peerLink = true;
  dadLink = true;
  /** When set, MAC-SYNC and NEIGHBOR-SYNC messages are held here instead of delivered. */
  holdSync = false;
  readonly held: { readonly to: Side; readonly data: Uint8Array }[] = [];
  private readonly queue: { readonly to: Side; readonly kind: 'peer' | 'dad'; readonly data: Uint8Array }[] =
    [];
  private draining = false;

  constructor(a: DfsGroupConfig, b: DfsGroupConfig) {
    this.devices = { a: new Device(a), b: new Device(b) };
  }

  get a(): Device {
    return this.devices.a;
  }

  get b(): Device {
    return this.devices.b;
  }

  /** Starts both engines and brings the links up (the peer-link only if `peerLink`). */
  start(): this {
    for (const side of ['a', 'b'] as const) this.startDevice(side);
    return this;
  }

  private startDevice(side: Side): void {
    const d = this.devices[side];
    this.run(side, d.engine.start(this.now));
    if (this.peerLink) this.run(side, d.engine.peerLinkUp(this.now));
  }

  /** Feeds actions of one device: records them in its model and carries its messages. */
  run(side: Side, actions: DfsGroupAction[]): void {
    const d = this.devices[side];
    if (!d.alive) return;
    const other: Side = side === 'a' ? 'b' : 'a';
    for (const a of actions) {
      d.apply(a);
      if (a.type === 'send-peer' && this.peerLink) {
        if (this.holdSync && isSync(a.data)) this.held.push({ to: other, data: a.data });
        else this.queue.push({ to: other, kind: 'peer', data: a.data });
      } else if (a.type === 'send-dad' && this.dadLink) {
        this.queue.push({ to: other, kind: 'dad', data: a.data });
      }
    }
    this.drain();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const m = this.queue.shift()!;
        const d = this.devices[m.to];
        if (!d.alive) continue;
        this.run(
          m.to,
          m.kind === 'peer' ? d.engine.receivePeer(this.now, m.data) : d.engine.receiveDad(this.now, m.data),
        );
      }
    } finally {
      this.draining = false;
    }
  }

  /** Delivers one held sync message now (the rest stay held). */
  deliverOne(index: number): void {
    const [m] = this.held.splice(index, 1);
    if (m !== undefined && this.devices[m.to].alive) {
      this.run(m.to, this.devices[m.to].engine.receivePeer(this.now, m.data));
    }
  }

  /** Delivers held sync messages in the given order (indexes may repeat: duplicates). */
  deliverHeld(order: readonly number[]): void {
    const batch = [...this.held];
    this.held.length = 0;
    for (const i of order) {
      const m = batch[i];
      if (m === undefined || !this.devices[m.to].alive) continue;
      this.run(m.to, this.devices[m.to].engine.receivePeer(this.now, m.data));
    }
  }

  /** Moves the clock to `t`, firing every deadline of both engines on the way, in order. */
  advanceTo(t: number): void {
    for (;;) {
      let next: number | undefined;
      for (const d of Object.values(this.devices)) {
        if (!d.alive) continue;
        const dl = d.engine.nextDeadline();
        if (dl !== undefined && (next === undefined || dl < next)) next = dl;
      }
      if (next === undefined || next > t) break;
      this.now = Math.max(this.now, next);
      for (const side of ['a', 'b'] as const) {
        const d = this.devices[side];
        const dl = d.engine.nextDeadline();
        if (d.alive && dl !== undefined && dl <= this.now) this.run(side, d.engine.poll(this.now));
      }
    }
    this.now = t;
    for (const side of ['a', 'b'] as const) this.run(side, this.devices[side].engine.poll(this.now));
  }

  advance(ms: number): void {
    this.advanceTo(this.now + ms);
  }

  cutPeerLink(): void {
    this.peerLink = false;
    for (const side of ['a', 'b'] as const) this.run(side, this.devices[side].engine.peerLinkDown(this.now));
  }

  restorePeerLink(): void {
    this.peerLink = true;
    for (const side of ['a', 'b'] as const) this.run(side, this.devices[side].engine.peerLinkUp(this.now));
  }

  /** Cuts the DAD path; `notify` also tells the engines their DAD link is down. */
  cutDad(notify: boolean): void {
    this.dadLink = false;
    if (notify)
      for (const side of ['a', 'b'] as const) this.run(side, this.devices[side].engine.dadLinkDown(this.now));
  }

  restoreDad(notify: boolean): void {
    this.dadLink = true;
    if (notify)
      for (const side of ['a', 'b'] as const) this.run(side, this.devices[side].engine.dadLinkUp(this.now));
  }

  /** The device loses power: it stops sending, and the peer sees its peer-link go down. */
  kill(side: Side): void {
    this.devices[side].alive = false;
    const other: Side = side === 'a' ? 'b' : 'a';
    this.run(other, this.devices[other].engine.peerLinkDown(this.now));
  }

  /** The device boots again with a new boot id; its peer-link comes back. */
  restart(side: Side, bootId: number): void {
    const old = this.devices[side];
    const fresh = new Device({ ...old.config, bootId });
    this.devices[side] = fresh;
    const other: Side = side === 'a' ? 'b' : 'a';
    this.run(side, fresh.engine.start(this.now));
    if (this.peerLink) {
      this.run(other, this.devices[other].engine.peerLinkUp(this.now));
      this.run(side, fresh.engine.peerLinkUp(this.now));
    }
  }

  /** Both devices bring every member port up (servers attached and in LACP sync). */
  allMembersUp(): void {
    for (const side of ['a', 'b'] as const) {
      for (const m of this.devices[side].config.memberPorts) {
        this.run(side, this.devices[side].engine.memberPortUp(this.now, m.mlagId));
      }
    }
  }

  /** The data plane of `side` learned a MAC: its FDB holds it, and the engine is told. */
  learn(side: Side, vni: Vni, m: Mac, port: MlagLocalPort): void {
    const d = this.devices[side];
    d.fdb.set(`${vni}/${m}`, { kind: 'dynamic', port });
    this.run(side, d.engine.localMacLearned(this.now, vni, m, port));
  }

  /** The data plane of `side` aged its own copy of a MAC (it never ages what the engine installed). */
  age(side: Side, vni: Vni, m: Mac): boolean {
    const d = this.devices[side];
    if (d.fdb.get(`${vni}/${m}`)?.kind !== 'dynamic') return false;
    d.fdb.delete(`${vni}/${m}`);
    this.run(side, d.engine.localMacAged(this.now, vni, m));
    return true;
  }
}

function isSync(data: Uint8Array): boolean {
  const t = decodeMlagMessage(data).type;
  return t === 'mac-sync' || t === 'neighbor-sync';
}
