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
 * entries and events still carry the canonical text.
 */
import { macFromBytes, macNumberFromBytes, macToNumber, type IpAddress, type Mac } from '../wire/addr.js';

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
  | { readonly kind: 'static'; readonly mac: Mac; readonly port: string };

export type FdbEvent =
  | { readonly type: 'local-learnt'; readonly mac: Mac; readonly port: string; readonly movedFrom?: string }
  | { readonly type: 'local-aged'; readonly mac: Mac; readonly port: string };

/** Linux bridge's default ageing time (300 s), like most switches. */
export const DEFAULT_AGING_NS = 300_000_000_000;

export class Fdb {
  private readonly entries = new Map<number, FdbEntry>();

  constructor(readonly agingNs = DEFAULT_AGING_NS) {}

  get size(): number {
    return this.entries.size;
  }

  lookup(mac: Mac): FdbEntry | undefined {
    return this.entries.get(macToNumber(mac));
  }

  /** `lookup` by the MAC as a 48-bit number (`macNumberFromBytes` of a frame's address). */
  lookupNumber(mac: number): FdbEntry | undefined {
    return this.entries.get(mac);
  }

  all(): IterableIterator<FdbEntry> {
    return this.entries.values();
  }

  /**
   * A frame from `mac` arrived on local `port`. Static entries never move; a MAC that was remote
   * (or on another port) moves here — the VM migrated — and the control plane is told.
   */
  learnLocal(mac: Mac, port: string, now: number): FdbEvent | undefined {
    const key = macToNumber(mac);
    return this.learnLocalEntry(key, this.entries.get(key), mac, port, now);
  }

  /**
   * `learnLocal` for the source MAC at `offset` in a frame: a MAC already known on `port` (nearly
   * every frame) is refreshed without its text ever being built.
   */
  learnLocalFrom(frame: Uint8Array, offset: number, port: string, now: number): FdbEvent | undefined {
    const key = macNumberFromBytes(frame, offset);
    const e = this.entries.get(key);
    if (e?.kind === 'local' && e.port === port) {
      e.lastSeen = now;
      return undefined;
    }
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
    this.entries.set(key, { kind: 'local', mac, port, lastSeen: now });
    const movedFrom = e === undefined ? undefined : e.kind === 'local' ? e.port : `vtep ${e.vtep}`;
    return { type: 'local-learnt', mac, port, ...(movedFrom !== undefined ? { movedFrom } : {}) };
  }

  /**
   * Flood-and-learn (RFC 7348 §4.1): a decapsulated frame from `mac` came from `vtep`. EVPN-installed
   * and static entries win over data-plane learning; a local entry moves (the VM went away behind
   * that VTEP) and the control plane hears that the local one is gone.
   */
  learnRemote(mac: Mac, vtep: IpAddress, now: number): FdbEvent | undefined {
    const key = macToNumber(mac);
    const e = this.entries.get(key);
    if (e?.kind === 'static' || (e?.kind === 'remote' && e.source === 'evpn')) return undefined;
    if (e?.kind === 'remote') {
      e.lastSeen = now;
      if (e.vtep === vtep) return undefined;
      this.entries.set(key, { kind: 'remote', mac, vtep, source: 'learnt', lastSeen: now });
      return undefined;
    }
    this.entries.set(key, { kind: 'remote', mac, vtep, source: 'learnt', lastSeen: now });
    return e?.kind === 'local' ? { type: 'local-aged', mac, port: e.port } : undefined;
  }

  /** EVPN says `mac` is at `vtep` (the winning Type-2 route). Replaces any non-static entry. */
  installRemote(mac: Mac, vtep: IpAddress, now: number): void {
    const key = macToNumber(mac);
    if (this.entries.get(key)?.kind === 'static') return;
    this.entries.set(key, { kind: 'remote', mac, vtep, source: 'evpn', lastSeen: now });
  }

  /** The EVPN route went away: forget the remote entry if it is still the one EVPN installed. */
  uninstallRemote(mac: Mac, vtep: IpAddress): void {
    const key = macToNumber(mac);
    const e = this.entries.get(key);
    if (e?.kind === 'remote' && e.source === 'evpn' && e.vtep === vtep) this.entries.delete(key);
  }

  addStatic(mac: Mac, port: string): void {
    this.entries.set(macToNumber(mac), { kind: 'static', mac, port });
  }

  /** Forget a local entry (its port went down, or the MAC moved elsewhere per EVPN). */
  removeLocal(mac: Mac): FdbEvent | undefined {
    const key = macToNumber(mac);
    const e = this.entries.get(key);
    if (e?.kind !== 'local') return undefined;
    this.entries.delete(key);
    return { type: 'local-aged', mac, port: e.port };
  }

  /** Every local entry on `port` (its link went down). */
  flushPort(port: string): FdbEvent[] {
    const out: FdbEvent[] = [];
    for (const [key, e] of [...this.entries]) {
      if (e.kind === 'local' && e.port === port) {
        this.entries.delete(key);
        out.push({ type: 'local-aged', mac: e.mac, port });
      }
    }
    return out;
  }

  /** Ages out local and data-plane-learnt entries not seen for `agingNs`. */
  age(now: number): FdbEvent[] {
    const out: FdbEvent[] = [];
    for (const [key, e] of [...this.entries]) {
      if (e.kind === 'static' || (e.kind === 'remote' && e.source === 'evpn')) continue;
      if (now - e.lastSeen < this.agingNs) continue;
      this.entries.delete(key);
      if (e.kind === 'local') out.push({ type: 'local-aged', mac: e.mac, port: e.port });
    }
    return out;
  }

  /** When the next entry would age out (ns), for the driver's timer. */
  nextAging(): number | undefined {
    let next: number | undefined;
    for (const e of this.entries.values()) {
      if (e.kind === 'static' || (e.kind === 'remote' && e.source === 'evpn')) continue;
      const t = e.lastSeen + this.agingNs;
      if (next === undefined || t < next) next = t;
    }
    return next;
  }
}
