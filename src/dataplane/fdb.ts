/**
 * The forwarding database of one bridge domain (one VNI): where each MAC lives.
 *
 * Owns: local entries (learnt on a port, aged out), remote entries (behind a VTEP: from EVPN, or
 * learnt from decapsulated frames in flood-and-learn mode), static entries; and the moves between
 * them. Guarantees: sans-IO (time is passed in), and every change that the control plane must
 * hear of (a local MAC learnt, moved or aged) is returned as an event, never lost.
 */
import type { IpAddress, Mac } from '../wire/addr.js';

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

/** Linux bridge's default ageing time (300 s), like most switches. */
export const DEFAULT_AGING_NS = 300_000_000_000;

export class Fdb {
  private readonly entries = new Map<Mac, FdbEntry>();

  constructor(readonly agingNs = DEFAULT_AGING_NS) {}

  get size(): number {
    return this.entries.size;
  }

  lookup(mac: Mac): FdbEntry | undefined {
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
    const e = this.entries.get(mac);
    if (e?.kind === 'static') return undefined;
    if (e?.kind === 'local' && e.port === port) {
      e.lastSeen = now;
      return undefined;
    }
    this.entries.set(mac, { kind: 'local', mac, port, lastSeen: now });
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
    const e = this.entries.get(mac);
    if (e?.kind === 'static' || e?.kind === 'synced' || (e?.kind === 'remote' && e.source === 'evpn'))
      return undefined;
    if (e?.kind === 'remote') {
      e.lastSeen = now;
      if (e.vtep === vtep) return undefined;
      this.entries.set(mac, { kind: 'remote', mac, vtep, source: 'learnt', lastSeen: now });
      return undefined;
    }
    this.entries.set(mac, { kind: 'remote', mac, vtep, source: 'learnt', lastSeen: now });
    return e?.kind === 'local' ? { type: 'local-aged', mac, port: e.port } : undefined;
  }

  /** EVPN says `mac` is at `vtep` (the winning Type-2 route). Replaces any non-static entry. */
  installRemote(mac: Mac, vtep: IpAddress, now: number): void {
    if (this.entries.get(mac)?.kind === 'static') return;
    this.entries.set(mac, { kind: 'remote', mac, vtep, source: 'evpn', lastSeen: now });
  }

  /** The EVPN route went away: forget the remote entry if it is still the one EVPN installed. */
  uninstallRemote(mac: Mac, vtep: IpAddress): void {
    const e = this.entries.get(mac);
    if (e?.kind === 'remote' && e.source === 'evpn' && e.vtep === vtep) this.entries.delete(mac);
  }

  /** M-LAG sync: the peer says `mac` is behind `port` (our member port of its M-LAG, or the peer-link). */
  installSynced(mac: Mac, port: string): void {
    const e = this.entries.get(mac);
    if (e?.kind === 'static' || (e?.kind === 'local' && e.port === port)) return;
    this.entries.set(mac, { kind: 'synced', mac, port });
  }

  /** The peer withdrew `mac`: forget the synced entry (a local or remote one stays). */
  uninstallSynced(mac: Mac): void {
    if (this.entries.get(mac)?.kind === 'synced') this.entries.delete(mac);
  }

  flushSynced(): void {
    for (const e of [...this.entries.values()]) if (e.kind === 'synced') this.entries.delete(e.mac);
  }

  addStatic(mac: Mac, port: string): void {
    this.entries.set(mac, { kind: 'static', mac, port });
  }

  /** Forget a local entry (its port went down, or the MAC moved elsewhere per EVPN). */
  removeLocal(mac: Mac): FdbEvent | undefined {
    const e = this.entries.get(mac);
    if (e?.kind !== 'local') return undefined;
    this.entries.delete(mac);
    return { type: 'local-aged', mac, port: e.port };
  }

  /** Every local entry on `port` (its link went down). */
  flushPort(port: string): FdbEvent[] {
    const out: FdbEvent[] = [];
    for (const e of [...this.entries.values()]) {
      if (e.kind === 'local' && e.port === port) {
        this.entries.delete(e.mac);
        out.push({ type: 'local-aged', mac: e.mac, port });
      }
    }
    return out;
  }

  /** Ages out local and data-plane-learnt entries not seen for `agingNs`. */
  age(now: number): FdbEvent[] {
    const out: FdbEvent[] = [];
    for (const e of [...this.entries.values()]) {
      if (e.kind === 'static' || e.kind === 'synced' || (e.kind === 'remote' && e.source === 'evpn'))
        continue;
      if (now - e.lastSeen < this.agingNs) continue;
      this.entries.delete(e.mac);
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
