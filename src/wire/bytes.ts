/**
 * Bounds-checked byte reading and growable byte writing shared by every codec.
 *
 * `Reader` never reads past its `end`: each read checks first and throws a `WireError`
 * (`truncated`) naming the field and the absolute offset. `Writer` grows as needed and lets a
 * codec reserve a length field and patch it once the body is written. `allocBytes` hands encoders
 * their output arrays.
 * Only `Uint8Array` is used so the codecs also run in a browser.
 */
import { WireError, type WireErrorKind } from './errors.js';

/** V8 keeps typed arrays up to 64 bytes on its heap; longer ones get their own backing store. */
const ON_HEAP_MAX = 64;
const SLAB_BYTES = 64 * 1024;
/**
 * The slab `allocBytes` carves from, and where its free part starts. This is the one piece of
 * mutable module state in `src/wire`, and it is not observable: a slab is never reused, so every
 * array handed out is fresh and zero-filled, and a slab lives exactly as long as an array cut from it.
 */
let slab = new ArrayBuffer(0);
let slabFree = 0;

/**
 * A new zero-filled array of `n` bytes, as `new Uint8Array(n)` gives, but cheap for frame-sized
 * arrays: V8 gives each typed array over 64 bytes its own backing store (about 300 ns in Node 20,
 * against 30 ns for a view), so arrays of 65 bytes to 8 KiB are views into shared 64 KiB slabs, as
 * Node's Buffer pool does. Code must read `byteOffset` before it uses `.buffer`.
 */
export function allocBytes(n: number): Uint8Array {
  if (n <= ON_HEAP_MAX || n > SLAB_BYTES / 8) return new Uint8Array(n);
  if (slabFree + n > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabFree = 0;
  }
  const out = new Uint8Array(slab, slabFree, n);
  slabFree += (n + 7) & ~7;
  return out;
}

export class Reader {
  /** Absolute offset of the next byte to read. */
  offset: number;

  constructor(
    readonly buf: Uint8Array,
    readonly protocol: string,
    offset = 0,
    /** Absolute offset one past the last byte this reader may read. */
    readonly end: number = buf.length,
  ) {
    if (end > buf.length || offset > end || offset < 0) {
      throw new WireError({
        kind: 'truncated',
        protocol,
        field: 'buffer',
        offset,
        reason: `window ${offset}..${end} exceeds buffer of ${buf.length} bytes`,
      });
    }
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  get atEnd(): boolean {
    return this.offset >= this.end;
  }

  fail(kind: WireErrorKind, field: string, reason: string, offset: number = this.offset): never {
    throw new WireError({ kind, protocol: this.protocol, field, offset, reason });
  }

  /** Throws `truncated` unless `n` more bytes are available. */
  need(n: number, field: string): void {
    if (n < 0 || this.offset + n > this.end) {
      this.fail('truncated', field, `needs ${n} bytes, ${this.remaining} left`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.offset++]!;
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  u24(field: string): number {
    this.need(3, field);
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 3;
    return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 4;
    return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
  }

  /** A zero-copy view of the next `n` bytes. */
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** A copy of the next `n` bytes (for values that outlive the input buffer). */
  copy(n: number, field: string): Uint8Array {
    return this.bytes(n, field).slice();
  }

  /** Everything up to `end`, zero-copy. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.offset, this.end);
    this.offset = this.end;
    return v;
  }

  skip(n: number, field: string): void {
    this.need(n, field);
    this.offset += n;
  }

  /** A reader over the next `n` bytes (absolute offsets kept); this reader moves past them. */
  sub(n: number, field: string): Reader {
    this.need(n, field);
    const r = new Reader(this.buf, this.protocol, this.offset, this.offset + n);
    this.offset += n;
    return r;
  }

  /** Throws `malformed` if bytes are left over (for fixed-size bodies). */
  expectEnd(field: string): void {
    if (this.offset !== this.end) {
      this.fail('malformed', field, `${this.end - this.offset} unexpected trailing bytes`);
    }
  }
}

export class Writer {
  private buf: Uint8Array;
  offset = 0;

  constructor(initialCapacity = 256) {
    this.buf = allocBytes(Math.max(16, initialCapacity));
  }

  private ensure(n: number): void {
    const need = this.offset + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = allocBytes(cap);
    next.set(this.buf.subarray(0, this.offset));
    this.buf = next;
  }

  u8(v: number): this {
    this.ensure(1);
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.ensure(2);
    const o = this.offset;
    this.buf[o] = (v >>> 8) & 0xff;
    this.buf[o + 1] = v & 0xff;
    this.offset = o + 2;
    return this;
  }

  u24(v: number): this {
    this.ensure(3);
    const o = this.offset;
    this.buf[o] = (v >>> 16) & 0xff;
    this.buf[o + 1] = (v >>> 8) & 0xff;
    this.buf[o + 2] = v & 0xff;
    this.offset = o + 3;
    return this;
  }

  u32(v: number): this {
    this.ensure(4);
    const o = this.offset;
    this.buf[o] = (v >>> 24) & 0xff;
    this.buf[o + 1] = (v >>> 16) & 0xff;
    this.buf[o + 2] = (v >>> 8) & 0xff;
    this.buf[o + 3] = v & 0xff;
    this.offset = o + 4;
    return this;
  }

  bytes(v: Uint8Array): this {
    this.ensure(v.length);
    this.buf.set(v, this.offset);
    this.offset += v.length;
    return this;
  }

  zeros(n: number): this {
    this.ensure(n);
    this.buf.fill(0, this.offset, this.offset + n);
    this.offset += n;
    return this;
  }

  /** Reserve `width` bytes (1, 2 or 4) for a value patched later; returns its position. */
  reserve(width: 1 | 2 | 4): number {
    const at = this.offset;
    this.zeros(width);
    return at;
  }

  patchU8(at: number, v: number): void {
    this.buf[at] = v & 0xff;
  }

  patchU16(at: number, v: number): void {
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
  }

  patchU32(at: number, v: number): void {
    this.buf[at] = (v >>> 24) & 0xff;
    this.buf[at + 1] = (v >>> 16) & 0xff;
    this.buf[at + 2] = (v >>> 8) & 0xff;
    this.buf[at + 3] = v & 0xff;
  }

  /** Read back written bytes (e.g. to checksum them). */
  view(start = 0, end: number = this.offset): Uint8Array {
    return this.buf.subarray(start, end);
  }

  /** The written bytes as an exactly-sized array (a copy; the writer may be reused). */
  finish(): Uint8Array {
    const out = allocBytes(this.offset);
    out.set(this.buf.subarray(0, this.offset));
    return out;
  }
}

/** Sum of 16-bit big-endian words (odd trailing byte padded with zero), not yet folded. */
/**
 * The shared shape of a stream framer (BGP over TCP, the M-LAG peer protocol): `push` returns the
 * whole messages a chunk completes; once `split` throws, the stream has lost its message boundaries
 * and every later push rethrows the same error, so the caller must reset the connection.
 */
export abstract class StreamFramer {
  /** Octets of the message being assembled. */
  protected have = 0;
  private failed: unknown = undefined;

  /** Octets received but not yet returned as part of a whole message. */
  get buffered(): number {
    return this.have;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failed !== undefined) throw this.failed;
    try {
      return this.split(chunk);
    } catch (e) {
      this.failed = e;
      throw e;
    }
  }

  protected abstract split(chunk: Uint8Array): Uint8Array[];
}

/*
 * Typed-array methods and getters kept from their prototypes and called directly: optimized code
 * in Node 20 does not inline `.set`, `.buffer` or `.byteOffset` looked up on a `Uint8Array`, and
 * goes through the generic property-load IC on every use (60-90 instructions each; bench dataplane).
 */
const typedArraySet = Uint8Array.prototype.set;
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const bufferOf = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'buffer')!.get! as (
  this: Uint8Array,
) => ArrayBufferLike;
const byteOffsetOf = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'byteOffset')!.get! as (
  this: Uint8Array,
) => number;

/** `target.set(source, offset)`, for per-frame copies. */
export function copyBytes(target: Uint8Array, source: Uint8Array, offset: number): void {
  typedArraySet.call(target, source, offset);
}

/**
 * The `length` octets at `start` in `b` as a view of the same memory (`b.subarray`, without its
 * species constructor), for per-frame views. The caller has checked the range lies within `b`.
 */
export function viewOf(b: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(bufferOf.call(b), byteOffsetOf.call(b) + start, length);
}

/** Big-endian 16-bit value at `o` (bounds checked by the caller). */
export function u16At(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

/** Big-endian 24-bit value at `o` (bounds checked by the caller). */
export function u24At(b: Uint8Array, o: number): number {
  return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
}

/** Big-endian 32-bit value at `o`, unsigned (bounds checked by the caller). */
export function u32At(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
}

export function onesComplementSum(buf: Uint8Array, start = 0, end: number = buf.length, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  return sum;
}

/** RFC 1071 Internet checksum: one's complement of the folded one's complement sum. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

export function internetChecksum(buf: Uint8Array, start = 0, end: number = buf.length, initial = 0): number {
  return finishChecksum(onesComplementSum(buf, start, end, initial));
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const HEX = '0123456789abcdef';

export function toHex(buf: Uint8Array): string {
  let s = '';
  for (const b of buf) s += HEX[b >> 4]! + HEX[b & 15]!;
  return s;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) {
    throw new RangeError(`not a hex string: ${JSON.stringify(hex.slice(0, 40))}`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
