/**
 * The changes of one family's Loc-RIB that some peer has not been sent yet: one queue for all peers,
 * each reading it from its own position (what FRR's update groups and GoBGP's per-table watchers
 * do), rather than a queue per peer. On a spine with 64 leaves a change is then written once, not
 * 64 times, and each peer reads its best path from the entry instead of looking it up again.
 *
 * A destination is in the log at most once: a newer change replaces its entry, and is appended at
 * the end (a peer whose position is past the old entry must still hear of it). An entry keeps every
 * path that was best since the oldest reader's position, so a peer that was told of any of them and
 * may not have the new best gets a withdrawal.
 */

/** One change as a peer reads it. */
export interface LoggedChange<P> {
  readonly key: string;
  /** The destination's route (what a withdrawal names). */
  readonly route: unknown;
  /** The best path now, undefined when the destination is gone. */
  readonly best: P | undefined;
  /** Paths that were best before, which readers may have been told of; undefined when there were none. */
  readonly previous: readonly P[] | undefined;
}

/** Past this many earlier bests an entry stops listing them and every reader gets the withdrawal. */
const MAX_PREVIOUS = 16;

export class ChangeLog<P> {
  private entries: (LoggedChange<P> | undefined)[] = [];
  /** Position of `entries[0]`; positions only grow. */
  private base = 0;
  /** Position of each destination's live entry. */
  private readonly positions = new Map<string, number>();
  /** Peers reading the log: with none, nothing is kept. */
  private readersCount = 0;

  /** The position after the last entry: where a new reader starts. */
  get end(): number {
    return this.base + this.entries.length;
  }

  get readers(): number {
    return this.readersCount;
  }

  addReader(): number {
    this.readersCount++;
    return this.end;
  }

  removeReader(): void {
    this.readersCount--;
    if (this.readersCount === 0) this.clear();
  }

  append(key: string, route: unknown, best: P | undefined, previous: P | undefined): void {
    if (this.readersCount === 0) return;
    let earlier: readonly P[] | undefined = previous === undefined ? undefined : [previous];
    const at = this.positions.get(key);
    if (at !== undefined) {
      const old = this.entries[at - this.base];
      this.entries[at - this.base] = undefined;
      if (old?.previous) {
        // An empty list already means every reader; otherwise both lists count.
        earlier = old.previous.length === 0 ? old.previous : [...old.previous, ...(earlier ?? [])];
      }
    }
    if (earlier && earlier.length > MAX_PREVIOUS) earlier = [];
    this.positions.set(key, this.end);
    this.entries.push({ key, route, best, previous: earlier });
  }

  /** The change at `position`, or undefined where a newer one replaced it (or it was dropped). */
  at(position: number): LoggedChange<P> | undefined {
    return this.entries[position - this.base];
  }

  /**
   * Whether a reader must withdraw a destination it does not announce: some earlier best is one it
   * may have been told of (`told`), or the entry stopped listing them.
   */
  static withdraws<P>(change: LoggedChange<P>, told: (path: P) => boolean): boolean {
    const previous = change.previous;
    if (previous === undefined) return false;
    if (previous.length === 0) return true;
    for (const p of previous) if (told(p)) return true;
    return false;
  }

  /** Drops the entries before `position`, which every reader has read. */
  discardBefore(position: number): void {
    const n = Math.min(position, this.end) - this.base;
    // Only now and then: shifting the arrays costs what is left in them.
    if (n < 1024 || n * 2 < this.entries.length) return;
    for (let i = 0; i < n; i++) {
      const e = this.entries[i];
      if (e && this.positions.get(e.key) === this.base + i) this.positions.delete(e.key);
    }
    this.entries = this.entries.slice(n);
    this.base += n;
  }

  private clear(): void {
    this.base = this.end;
    this.entries = [];
    this.positions.clear();
  }
}
