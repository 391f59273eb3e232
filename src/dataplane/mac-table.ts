/**
 * A hash table keyed by 48-bit MAC numbers (`macNumberFromBytes`), for the FDB's per-frame lookups.
 *
 * A `Map` with such keys keeps each one as a heap number and compares through it. This table keeps
 * each slot's key and a small integer `tag` the owner chooses in two words of one `Int32Array`: the
 * tag above the key's high 16 bits, then its low 32 bits. At 8 octets a slot, a lookup that needs
 * only the tag (the FDB's forwarding decision) usually touches one cache line; the value (an
 * object) is read only when asked for. Open addressing with linear probing, at most 3/4 full (a
 * smaller table stays in cache: 10k MACs take 128 KiB, not 256; bench dataplane);
 * deletion shifts the following entries back so no tombstones build up. Iteration order is not
 * kept: the FDB keeps an ordered `Map` beside it.
 */

/** A free slot's first word. No key has it: tags stop below 0x7fff. */
const EMPTY = -1;
const MIN_CAPACITY = 16;
const TWO_32 = 0x1_0000_0000;
/** Int32 words per slot: `tag << 16 | high 16 bits of the key` (or EMPTY), then the low 32 bits. */
const STRIDE = 2;
/** Tags are integers in 0..MAX_TAG. */
export const MAX_TAG = 0x7ffe;

export class MacTable<V> {
  private slots: Int32Array = emptySlots(MIN_CAPACITY);
  private values: (V | undefined)[] = new Array<V | undefined>(MIN_CAPACITY).fill(undefined);
  private mask = MIN_CAPACITY - 1;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(mac: number): V | undefined {
    const s = this.find(mac);
    return s < 0 ? undefined : this.values[s];
  }

  /** The tag stored with `mac`, or -1 if it is absent. */
  tag(mac: number): number {
    const s = this.find(mac);
    return s < 0 ? -1 : this.slots[s * STRIDE]! >>> 16;
  }

  /** `get` of the MAC at `offset` in `bytes`, read in place (no 48-bit number built). */
  getAt(bytes: Uint8Array, offset: number): V | undefined {
    const s = this.findAt(bytes, offset);
    return s < 0 ? undefined : this.values[s];
  }

  /** `tag` of the MAC at `offset` in `bytes`: the data plane's per-frame lookup. */
  tagAt(bytes: Uint8Array, offset: number): number {
    const s = this.findAt(bytes, offset);
    return s < 0 ? -1 : this.slots[s * STRIDE]! >>> 16;
  }

  /** Inserts or replaces `mac` with its value and tag (an integer in 0..MAX_TAG). */
  set(mac: number, value: V, tag: number): void {
    if (!Number.isInteger(tag) || tag < 0 || tag > MAX_TAG) throw new RangeError(`MAC table tag ${tag}`);
    const hi = Math.floor(mac / TWO_32);
    const lo = mac | 0;
    let s = this.find(mac);
    const fresh = s < 0;
    if (fresh) {
      s = slotOf(hi, lo, this.mask);
      while (this.slots[s * STRIDE] !== EMPTY) s = (s + 1) & this.mask;
    }
    this.slots[s * STRIDE] = (tag << 16) | hi;
    this.slots[s * STRIDE + 1] = lo;
    this.values[s] = value;
    if (fresh && ++this.count * 4 > (this.mask + 1) * 3) this.resize((this.mask + 1) * 2);
  }

  delete(mac: number): boolean {
    let hole = this.find(mac);
    if (hole < 0) return false;
    const slots = this.slots;
    const mask = this.mask;
    // Backward-shift deletion: a later entry of the probe run moves into the hole unless its home
    // slot lies (cyclically) after the hole, so every key stays reachable from its home slot.
    for (let j = (hole + 1) & mask; slots[j * STRIDE] !== EMPTY; j = (j + 1) & mask) {
      const home = slotOf(slots[j * STRIDE]! & 0xffff, slots[j * STRIDE + 1]!, mask);
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[hole * STRIDE] = slots[j * STRIDE]!;
        slots[hole * STRIDE + 1] = slots[j * STRIDE + 1]!;
        this.values[hole] = this.values[j];
        hole = j;
      }
    }
    slots[hole * STRIDE] = EMPTY;
    this.values[hole] = undefined;
    this.count--;
    return true;
  }

  /** The slot holding `mac`, or -1. */
  private find(mac: number): number {
    return this.findParts(Math.floor(mac / TWO_32), mac | 0);
  }

  /** `find` of the MAC at `offset` in `bytes`: its high 16 bits, then its low 32 as an int32. */
  private findAt(bytes: Uint8Array, offset: number): number {
    return this.findParts(
      (bytes[offset]! << 8) | bytes[offset + 1]!,
      (bytes[offset + 2]! << 24) |
        (bytes[offset + 3]! << 16) |
        (bytes[offset + 4]! << 8) |
        bytes[offset + 5]!,
    );
  }

  /** `find` of the key whose high 16 bits are `hi` and low 32 bits `lo` (as an int32). */
  private findParts(hi: number, lo: number): number {
    const slots = this.slots;
    const mask = this.mask;
    for (let s = slotOf(hi, lo, mask); ; s = (s + 1) & mask) {
      const w = slots[s * STRIDE]!;
      if (w === EMPTY) return -1;
      if ((w & 0xffff) === hi && slots[s * STRIDE + 1] === lo) return s;
    }
  }

  private resize(capacity: number): void {
    const { slots, values } = this;
    this.slots = emptySlots(capacity);
    this.values = new Array<V | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
    for (let s = 0; s < values.length; s++) {
      const w = slots[s * STRIDE]!;
      if (w === EMPTY) continue;
      let t = slotOf(w & 0xffff, slots[s * STRIDE + 1]!, this.mask);
      while (this.slots[t * STRIDE] !== EMPTY) t = (t + 1) & this.mask;
      this.slots[t * STRIDE] = w;
      this.slots[t * STRIDE + 1] = slots[s * STRIDE + 1]!;
      this.values[t] = values[s];
    }
  }
}

function emptySlots(capacity: number): Int32Array {
  const slots = new Int32Array(capacity * STRIDE);
  for (let s = 0; s < capacity; s++) slots[s * STRIDE] = EMPTY;
  return slots;
}

/** Home slot of a key: both halves mixed (locally administered MACs often differ in a few bits). */
function slotOf(hi: number, lo: number, mask: number): number {
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 13;
  return h & mask;
}
