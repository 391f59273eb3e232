/**
 * The replicated tables of an M-LAG pair (MACs, ARP/ND neighbors): one last-writer-wins register
 * per key, ordered by a version (Lamport sequence number, then the origin device's MAC).
 *
 * Why versions: the sync messages of the two devices cross each other and may be applied out of
 * order by the components in between (SONiC MCLAG lost MACs this way, sonic-swss#2810: a delete
 * queued behind a newer add removed it). Here a change applies only if its version is newer than
 * what the table holds, and a delete leaves a tombstone with its version, so a late or duplicated
 * message can never undo a newer one and both devices converge to the newest change whatever the
 * delivery order.
 *
 * Guarantees: no I/O, no clock reads; tombstones are kept for `tombstoneLifetimeMs` after the
 * delete (longer than any reordering the driver can cause) and dropped by `collect(now)`.
 */
import type { Mac } from '../wire/addr.js';

export interface SyncVersion {
  readonly seq: number;
  readonly origin: Mac;
}

/** Total order of versions: sequence first, then the origin MAC (so concurrent changes tie-break alike on both devices). */
export function compareVersions(a: SyncVersion, b: SyncVersion): number {
  if (a.seq !== b.seq) return a.seq < b.seq ? -1 : 1;
  if (a.origin === b.origin) return 0;
  return a.origin < b.origin ? -1 : 1;
}

export interface SyncRecord<V> {
  readonly version: SyncVersion;
  /** Undefined: a tombstone (deleted at `version`). */
  readonly value: V | undefined;
  /** For tombstones: when `collect` may drop it. */
  readonly expiresAt?: number;
}

export type ApplyResult<V> =
  /** The change was newer and is now the table's value; `previous` is what it replaced (live). */
  | { readonly kind: 'applied'; readonly previous: SyncRecord<V> | undefined }
  /** The table already holds this exact version. */
  | { readonly kind: 'duplicate' }
  /** The table holds a newer version: the change is dropped. */
  | { readonly kind: 'stale'; readonly current: SyncRecord<V> };

export class VersionedTable<V> {
  private readonly records = new Map<string, SyncRecord<V>>();

  constructor(private readonly tombstoneLifetimeMs: number) {}

  get(key: string): SyncRecord<V> | undefined {
    return this.records.get(key);
  }

  /** The live value, or undefined if absent or deleted. */
  value(key: string): V | undefined {
    return this.records.get(key)?.value;
  }

  /** Applies a change (value undefined = delete) if its version is newer than the held one. */
  apply(key: string, value: V | undefined, version: SyncVersion, now: number): ApplyResult<V> {
    const current = this.records.get(key);
    if (current !== undefined) {
      const c = compareVersions(version, current.version);
      if (c === 0) return { kind: 'duplicate' };
      if (c < 0) return { kind: 'stale', current };
    }
    this.records.set(
      key,
      value === undefined
        ? { version, value, expiresAt: now + this.tombstoneLifetimeMs }
        : { version, value },
    );
    return { kind: 'applied', previous: current?.value === undefined ? undefined : current };
  }

  /** Forgets a key entirely (no tombstone): for entries swept after a full sync or a peer loss. */
  forget(key: string): void {
    this.records.delete(key);
  }

  /** Live entries, in insertion order. */
  *live(): IterableIterator<[string, SyncRecord<V> & { readonly value: V }]> {
    for (const [k, r] of this.records)
      if (r.value !== undefined) yield [k, r as SyncRecord<V> & { value: V }];
  }

  get liveCount(): number {
    let n = 0;
    for (const r of this.records.values()) if (r.value !== undefined) n++;
    return n;
  }

  /** Drops tombstones whose lifetime ended. */
  collect(now: number): void {
    for (const [k, r] of this.records) {
      if (r.value === undefined && r.expiresAt !== undefined && now >= r.expiresAt) this.records.delete(k);
    }
  }
}
