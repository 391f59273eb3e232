/**
 * Output frame buffers for the soft data plane, carved from shared slabs.
 *
 * V8 allocates a typed array over 64 octets outside its heap, which costs several times the work of
 * filling it (bench dataplane: ~300 ns per VXLAN frame). A `FrameSlab` hands out views into one
 * 64 KiB `ArrayBuffer` at a time instead, like Node's `Buffer` pool. Guarantees: every view is a
 * region of its own, never handed out again, so a frame stays valid as long as anyone holds it;
 * the price is that `frame.buffer` is the whole slab (use `byteOffset`/`byteLength`), and one held
 * frame keeps its slab alive. Frames over an eighth of a slab get an allocation of their own.
 */

const SLAB_OCTETS = 64 * 1024;
const OWN_ALLOCATION_OVER = SLAB_OCTETS / 8;

export class FrameSlab {
  private slab = new Uint8Array(SLAB_OCTETS);
  /**
   * `slab.buffer`, kept: the `buffer` getter is a call into the runtime (~120 instructions a frame,
   * bench dataplane).
   */
  private slabBuffer: ArrayBuffer = this.slab.buffer;
  private used = 0;
  /**
   * Where the frame `reserve` last made room for is to be written: the current slab, or a buffer of
   * its own for a large frame. Writing through this long-lived array and making the frame's view
   * afterwards is faster than writing through the fresh view (bench dataplane).
   */
  bytes: Uint8Array = this.slab;

  /** A fresh, zero-filled buffer of `length` octets. */
  take(length: number): Uint8Array {
    return this.frame(this.reserve(length), length);
  }

  /**
   * Makes room for a frame of `length` octets (zero-filled) in `bytes` and returns its offset there;
   * write the frame, then `frame(offset, length)` hands it out.
   */
  reserve(length: number): number {
    if (length > OWN_ALLOCATION_OVER) {
      this.bytes = new Uint8Array(length);
      return 0;
    }
    if (this.used + length > SLAB_OCTETS) {
      this.slab = new Uint8Array(SLAB_OCTETS);
      this.slabBuffer = this.slab.buffer;
      this.used = 0;
    }
    // Stored only when it changes: a store of an object is a write barrier per frame.
    if (this.bytes !== this.slab) this.bytes = this.slab;
    const at = this.used;
    // Views start on 8-octet boundaries, as separate allocations would.
    this.used += (length + 7) & ~7;
    return at;
  }

  /** The frame of `length` octets at `offset` in `bytes`, as `reserve` gave it. */
  frame(offset: number, length: number): Uint8Array {
    const b = this.bytes;
    return b === this.slab ? new Uint8Array(this.slabBuffer, offset, length) : b;
  }
}
