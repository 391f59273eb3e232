/**
 * An insertion-ordered hash table from route keys (short binary strings, `evpnRouteKey`) to values:
 * the RIB's table of destinations.
 *
 * Why not a `Map`: a lookup of a key the Map does not hold (every route of a table being learned)
 * walks a bucket chain and reads each candidate's key string, scattered over the heap, so a new
 * route costs several cache misses in `get` and again in `set`. Here each bucket keeps the key's
 * 32-bit hash beside its entry number in one `Int32Array`, so a miss usually reads one cache line
 * and the key string is read only when the hashes match; `lookup` then `insertAt` probe once.
 *
 * Iteration is a Map's: insertion order, a replaced value keeps its place, entries added during an
 * iteration are visited and deleted ones are not. Entries live in two arrays in insertion order
 * (deletion leaves a hole); when they are full the table is rebuilt, dropping the holes, and open
 * iterators are moved to the same entry. (`MacTable` in the data plane is unordered and keyed by
 * numbers.)
 */

const MIN_CAPACITY = 16;
/** Int32 words per bucket: the key's hash, then its entry number + 1 (0: empty). */
const STRIDE = 2;

/**
 * MurmurHash3's 32-bit mixing over the key's char codes taken four at a time (route keys are
 * one-byte strings: a 25-octet Type-2 key is seven words), then its finaliser (linear probing uses
 * the low bits).
 */
export function routeKeyHash(key: string): number {
  const n = key.length;
  let h = n;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const word =
      key.charCodeAt(i) |
      (key.charCodeAt(i + 1) << 8) |
      (key.charCodeAt(i + 2) << 16) |
      (key.charCodeAt(i + 3) << 24);
    h = mixWord(h, word);
  }
  let tail = 0;
  for (let shift = 0; i < n; i++, shift += 8) tail |= key.charCodeAt(i) << shift;
  h = mixWord(h, tail);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function mixWord(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Where an open iteration stands: the entry it yielded last. */
interface Cursor {
  at: number;
}

export class RouteTable<V> implements Iterable<[string, V]> {
  /** Keys in insertion order; undefined where an entry was deleted. */
  private keys: (string | undefined)[] = [];
  private values: (V | undefined)[] = [];
  /** Entries the arrays take before the next rebuild. */
  private capacity = MIN_CAPACITY;
  private buckets = new Int32Array(2 * MIN_CAPACITY * STRIDE);
  private mask = 2 * MIN_CAPACITY - 1;
  private live = 0;
  /** Open iterations, held weakly: an abandoned iterator (a dump a session dropped) is collected. */
  private cursors: WeakRef<Cursor>[] = [];

  get size(): number {
    return this.live;
  }

  /** The entry holding `key` (≥ 0), or the negative result to pass to `insertAt`. */
  lookup(key: string, hash: number): number {
    const buckets = this.buckets;
    const mask = this.mask;
    for (let b = hash & mask; ; b = (b + 1) & mask) {
      const entry = buckets[b * STRIDE + 1]! - 1;
      if (entry < 0) return ~b;
      if (buckets[b * STRIDE] === hash && this.keys[entry] === key) return entry;
    }
  }

  valueAt(entry: number): V {
    return this.values[entry]!;
  }

  /** Replaces the value of an entry `lookup` found (it keeps its place in the order). */
  setAt(entry: number, value: V): void {
    this.values[entry] = value;
  }

  /** Adds a key `lookup(key, hash)` just did not find (`missed` is what it returned). */
  insertAt(missed: number, key: string, hash: number, value: V): void {
    let b = ~missed;
    if (this.keys.length === this.capacity) {
      this.rebuild();
      b = ~this.lookup(key, hash);
    }
    const entry = this.keys.length;
    this.keys.push(key);
    this.values.push(value);
    this.buckets[b * STRIDE] = hash;
    this.buckets[b * STRIDE + 1] = entry + 1;
    this.live++;
  }

  /** Removes an entry `lookup` found. Its bucket stays, pointing at the hole, until the next rebuild. */
  deleteAt(entry: number): void {
    this.keys[entry] = undefined;
    this.values[entry] = undefined;
    this.live--;
  }

  get(key: string): V | undefined {
    const entry = this.lookup(key, routeKeyHash(key));
    return entry < 0 ? undefined : this.values[entry];
  }

  set(key: string, value: V): void {
    const hash = routeKeyHash(key);
    const entry = this.lookup(key, hash);
    if (entry >= 0) this.values[entry] = value;
    else this.insertAt(entry, key, hash, value);
  }

  delete(key: string): boolean {
    const entry = this.lookup(key, routeKeyHash(key));
    if (entry < 0) return false;
    this.deleteAt(entry);
    return true;
  }

  *entries(): IterableIterator<[string, V]> {
    const cursor: Cursor = { at: 0 };
    const ref = new WeakRef(cursor);
    // Iterators dropped unfinished are collected; forget them before they pile up.
    if (this.cursors.length >= 16) this.cursors = this.cursors.filter((c) => c.deref() !== undefined);
    this.cursors.push(ref);
    try {
      for (; cursor.at < this.keys.length; cursor.at++) {
        const key = this.keys[cursor.at];
        if (key !== undefined) yield [key, this.values[cursor.at]!];
      }
    } finally {
      this.cursors = this.cursors.filter((c) => c !== ref);
    }
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  /**
   * Makes room for an entry: drops deleted entries, if any (moving open iterators to the same
   * place), and doubles the capacity if the table is over half full; then rebuilds the buckets.
   */
  private rebuild(): void {
    const renumbered = this.live < this.keys.length ? this.compact() : undefined;
    if (this.live * 2 > this.capacity) this.capacity *= 2;
    // The old buckets hold every live entry's hash: no key is hashed again.
    const old = this.buckets;
    const mask = 2 * this.capacity - 1;
    const buckets = new Int32Array(2 * this.capacity * STRIDE);
    for (let ob = 0; ob < old.length; ob += STRIDE) {
      let entry = old[ob + 1]! - 1;
      if (entry < 0) continue;
      if (renumbered) {
        entry = renumbered[entry]!;
        if (entry < 0) continue;
      }
      const hash = old[ob]!;
      let b = hash & mask;
      while (buckets[b * STRIDE + 1] !== 0) b = (b + 1) & mask;
      buckets[b * STRIDE] = hash;
      buckets[b * STRIDE + 1] = entry + 1;
    }
    this.buckets = buckets;
    this.mask = mask;
  }

  /** Drops deleted entries; returns each old entry's new number (-1: deleted). */
  private compact(): Int32Array {
    const { keys, values } = this;
    const renumbered = new Int32Array(keys.length);
    const nextKeys: (string | undefined)[] = [];
    const nextValues: (V | undefined)[] = [];
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === undefined) {
        renumbered[i] = -1;
        continue;
      }
      renumbered[i] = nextKeys.length;
      nextKeys.push(keys[i]);
      nextValues.push(values[i]);
    }
    // An iterator paused on entry `at` continues after it: it now stands on the last live entry
    // up to `at` (or before the first).
    const open: WeakRef<Cursor>[] = [];
    for (const ref of this.cursors) {
      const cursor = ref.deref();
      if (!cursor) continue;
      let at = Math.min(cursor.at, keys.length - 1);
      while (at >= 0 && renumbered[at]! < 0) at--;
      cursor.at = at < 0 ? -1 : renumbered[at]!;
      open.push(ref);
    }
    this.cursors = open;
    this.keys = nextKeys;
    this.values = nextValues;
    return renumbered;
  }
}
