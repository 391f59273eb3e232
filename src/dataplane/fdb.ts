/**
 * The forwarding database of one bridge domain (one VNI): where each MAC lives.
 *
 * Owns: local entries (learnt on a port, aged out), remote entries (behind a VTEP: from EVPN, or
 * learnt from decapsulated frames in flood-and-learn mode), static entries; and the moves between
 * them. Guarantees: sans-IO (time is passed in), and every change that the control plane must
 * hear of (a local MAC learnt, moved or aged) is returned as an event, never lost.
 *
 * Entries are keyed by the MAC as a 48-bit number (`macToNumber`), so the data plane looks a frame's
 * MAC up straight from its bytes (`lookupNumber`, `learnLocalFrom`) without building its text; the
 * entries and events still carry the canonical text. Lookups go to a `MacTable`, which also keeps
 * each entry's forwarding target (`forwarding`: a port or a VTEP) beside its key, so the per-frame
 * decision reads no entry object; an ordered `Map` keeps iteration (and so the order of aging and
 * flush events) in insertion order.
 */
import { macFromBytes, macNumberFromBytes, macToNumber, type IpAddress, type Mac } from '../wire/addr.js';
import { MacTable, MAX_TAG } from './mac-table.js';

export type FdbEntry =
  | {
      readonly kind: 'local';
      readonly mac: Mac;
      readonly port: string;
      /** Last time a frame from this MAC was seen (ns); drives aging. */
      lastSeen: number;
    }
  | {
      readonly kind: 'remote';
      readonly mac: Mac;
      readonly vtep: IpAddress;
      /** 'evpn': installed from a Type-2 route; 'learnt': from a decapsulated frame (flood-and-learn). */
      readonly source: 'evpn' | 'learnt';
      lastSeen: number;
    }
  | { readonly kind: 'static'; readonly mac: Mac; readonly port: string }
  /**
   * M-LAG: installed from the peer's MAC sync (seed 001), on our member port of the server's M-LAG
   * or on the peer-link. Forwarded like a local entry; never aged here (the peer that learnt it ages
   * it); a frame from the MAC on a local port turns it into a local entry.
   */
  | { readonly kind: 'synced'; readonly mac: Mac; readonly port: string };

export type FdbEvent =
  | { readonly type: 'local-learnt'; readonly mac: Mac; readonly port: string; readonly movedFrom?: string }
  | { readonly type: 'local-aged'; readonly mac: Mac; readonly port: string };

/** Where unicast frames to a MAC go: out of a local port (local, static and synced entries) or to a VTEP. */
export type FdbTarget = FdbPortTarget | { readonly kind: 'vtep'; readonly vtep: IpAddress };

export interface FdbPortTarget {
  readonly kind: 'port';
  readonly port: string;
  /**
   * The FDB's owner's own record of `port` (the switch: its port object), kept here so that a
   * frame's forwarding needs no lookup by name; with the owner's `attachedVersion` of it. Undefined
   * until the owner sets it; the FDB never reads it. Neither is enumerable (`portTarget`).
   */
  attached: unknown;
  attachedVersion: number;
}

/**
 * A port target whose owner's fields are not enumerable: a target still reads (and compares, and
 * prints) as `{ kind, port }`.
 */
function portTarget(port: string): FdbPortTarget {
  const t = { kind: 'port', port } as FdbPortTarget;
  return Object.defineProperties(t, {
    attached: { value: undefined, writable: true },
    attachedVersion: { value: -1, writable: true },
  });
}

/** Linux bridge's default ageing time (300 s), like most switches. */
export const DEFAULT_AGING_NS = 300_000_000_000;

export class Fdb {
  /** Every entry in insertion order, for iteration. */
  private readonly entries = new Map<number, FdbEntry>();
  /** The same entries, for lookups, tagged with their target's index in `targets`. Both change only through `put` and `remove`. */
  private readonly index = new MacTable<FdbEntry>();
  /** Every target an entry has had (a few ports and VTEPs), by `targetKey`. */
  private readonly targets: FdbTarget[] = [];
  private readonly targetIds = new Map<string, number>();

  constructor(readonly agingNs = DEFAULT_AGING_NS) {}

  get size(): number {
    return this.entries.size;
  }

  lookup(mac: Mac): FdbEntry | undefined {
    return this.index.get(macToNumber(mac));
  }

  /**
   * Where unicast frames to `mac` (a 48-bit number, `macNumberFromBytes`) go per its entry, if it
   * has one: the data plane's lookup.
   */
  forwarding(mac: number): FdbTarget | undefined {
    const id = this.index.tag(mac);
    return id < 0 ? undefined : this.targets[id];
  }

  /** `forwarding` for the MAC at `offset` in `frame`, read in place. */
  forwardingAt(frame: Uint8Array, offset: number): FdbTarget | undefined {
    const id = this.index.tagAt(frame, offset);
    return id < 0 ? undefined : this.targets[id];
  }

  all(): IterableIterator<FdbEntry> {
    return this.entries.values();
  }

  private put(key: number, e: FdbEntry): void {
    this.entries.set(key, e);
    this.index.set(key, e, this.targetId(e));
  }

  private targetId(e: FdbEntry): number {
    const key = e.kind === 'remote' ? `vtep ${e.vtep}` : `port ${e.port}`;
    let id = this.targetIds.get(key);
    if (id !== undefined) return id;
    if (this.targets.length > MAX_TAG) {
      this.compactTargets();
      id = this.targetIds.get(key);
      if (id !== undefined) return id;
    }
    id = this.targets.length;
    this.targets.push(e.kind === 'remote' ? { kind: 'vtep', vtep: e.vtep } : portTarget(e.port));
    this.targetIds.set(key, id);
    return id;
  }

  /**
   * Targets are not freed one by one; when the table's tags run out (tens of thousands of VTEPs
   * seen over time), the targets no entry uses are dropped and every entry is tagged again.
   */
  private compactTargets(): void {
    this.targets.length = 0;
    this.targetIds.clear();
    for (const [key, e] of this.entries) this.index.set(key, e, this.targetId(e));
  }

  private remove(key: number): void {
    this.entries.delete(key);
    this.index.delete(key);
  }

  /**
   * A frame from `mac` arrived on local `port`. Static entries never move; a MAC that was remote
   * (or on another port) moves here — the VM migrated — and the control plane is told.
   */
  learnLocal(mac: Mac, port: string, now: number): FdbEvent | undefined {
    const key = macToNumber(mac);
    return this.learnLocalEntry(key, this.index.get(key), mac, port, now);
  }

  /**
   * `learnLocal` for the source MAC at `offset` in a frame: a MAC already known on `port` (nearly
   * every frame) is refreshed without its text ever being built.
   */
  learnLocalFrom(frame: Uint8Array, offset: number, port: string, now: number): FdbEvent | undefined {
    const e = this.index.getAt(frame, offset);
    // Not `e?.kind`: comparing its `string | undefined` was the generic `===`, a call per frame.
    if (e !== undefined && e.kind === 'local' && e.port === port) {
      e.lastSeen = now;
      return undefined;
    }
    const key = macNumberFromBytes(frame, offset);
    return this.learnLocalEntry(key, e, e?.mac ?? macFromBytes(frame, offset), port, now);
  }

  private learnLocalEntry(
    key: number,
    e: FdbEntry | undefined,
    mac: Mac,
    port: string,
    now: number,
  ): FdbEvent | undefined {
    if (e?.kind === 'static') return undefined;
    if (e?.kind === 'local' && e.port === port) {
      e.lastSeen = now;
      return undefined;
    }
    this.put(key, { kind: 'local', mac, port, lastSeen: now });
    const movedFrom =
      e === undefined || (e.kind === 'synced' && e.port === port)
        ? undefined
        : e.kind === 'remote'
          ? `vtep ${e.vtep}`
          : e.port;
    return { type: 'local-learnt', mac, port, ...(movedFrom !== undefined ? { movedFrom } : {}) };
  }

  /**
   * Flood-and-learn (RFC 7348 §4.1): a decapsulated frame from `mac` came from `vtep`. EVPN-installed
   * and static entries win over data-plane learning; a local entry moves (the VM went away behind
   * that VTEP) and the control plane hears that the local one is gone.
   */
  learnRemote(mac: Mac, vtep: IpAddress, now: number): FdbEvent | undefined {
    const key = macToNumber(mac);
    const e = this.index.get(key);
    if (e?.kind === 'static' || e?.kind === 'synced' || (e?.kind === 'remote' && e.source === 'evpn'))
      return undefined;
    if (e?.kind === 'remote') {
      e.lastSeen = now;
      if (e.vtep === vtep) return undefined;
      this.put(key, { kind: 'remote', mac, vtep, source: 'learnt', lastSeen: now });
      return undefined;
    }
    this.put(key, { kind: 'remote', mac, vtep, source: 'learnt', lastSeen: now });
    return e?.kind === 'local' ? { type: 'local-aged', mac, port: e.port } : undefined;
  }

  /** EVPN says `mac` is at `vtep` (the winning Type-2 route). Replaces any non-static entry. */
  installRemote(mac: Mac, vtep: IpAddress, now: number): void {
    const key = macToNumber(mac);
    if (this.index.get(key)?.kind === 'static') return;
    this.put(key, { kind: 'remote', mac, vtep, source: 'evpn', lastSeen: now });
  }

  /** The EVPN route went away: forget the remote entry if it is still the one EVPN installed. */
  uninstallRemote(mac: Mac, vtep: IpAddress): void {
    const key = macToNumber(mac);
    const e = this.index.get(key);
    if (e?.kind === 'remote' && e.source === 'evpn' && e.vtep === vtep) this.remove(key);
  }

  /** M-LAG sync: the peer says `mac` is behind `port` (our member port of its M-LAG, or the peer-link). */
  installSynced(mac: Mac, port: string): void {
    const key = macToNumber(mac);
    const e = this.index.get(key);
    if (e?.kind === 'static' || (e?.kind === 'local' && e.port === port)) return;
    this.put(key, { kind: 'synced', mac, port });
  }

  /** The peer withdrew `mac`: forget the synced entry (a local or remote one stays). */
  uninstallSynced(mac: Mac): void {
    const key = macToNumber(mac);
    if (this.index.get(key)?.kind === 'synced') this.remove(key);
  }

  /** Every entry the M-LAG peer synced (we restart: the peer's sync state is gone). */
  flushSynced(): void {
    for (const [key, e] of [...this.entries]) if (e.kind === 'synced') this.remove(key);
  }

  addStatic(mac: Mac, port: string): void {
    this.put(macToNumber(mac), { kind: 'static', mac, port });
  }

  /** Forget a local entry (its port went down, or the MAC moved elsewhere per EVPN). */
  removeLocal(mac: Mac): FdbEvent | undefined {
    const key = macToNumber(mac);
    const e = this.index.get(key);
    if (e?.kind !== 'local') return undefined;
    this.remove(key);
    return { type: 'local-aged', mac, port: e.port };
  }

  /** Every local entry on `port` (its link went down). */
  flushPort(port: string): FdbEvent[] {
    const out: FdbEvent[] = [];
    for (const [key, e] of [...this.entries]) {
      if (e.kind === 'local' && e.port === port) {
        this.remove(key);
        out.push({ type: 'local-aged', mac: e.mac, port });
      }
    }
    return out;
  }

  /** Ages out local and data-plane-learnt entries not seen for `agingNs`. */
  age(now: number): FdbEvent[] {
    const out: FdbEvent[] = [];
    for (const [key, e] of [...this.entries]) {
      if (e.kind === 'static' || e.kind === 'synced' || (e.kind === 'remote' && e.source === 'evpn'))
        continue;
      if (now - e.lastSeen < this.agingNs) continue;
      this.remove(key);
      if (e.kind === 'local') out.push({ type: 'local-aged', mac: e.mac, port: e.port });
    }
    return out;
  }

  /** When the next entry would age out (ns), for the driver's timer. */
  nextAging(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) {
      if (e.kind === 'static' || e.kind === 'synced' || (e.kind === 'remote' && e.source === 'evpn'))
        continue;
      const t = e.lastSeen + this.agingNs;
      if (next === undefined || t < next) next = t;
    }
    return next;
  }
}
