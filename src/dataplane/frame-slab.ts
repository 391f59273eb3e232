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
  private slab = new ArrayBuffer(SLAB_OCTETS);
  private used = 0;

  /** A fresh, zero-filled buffer of `length` octets. */
  take(length: number): Uint8Array {
    if (length > OWN_ALLOCATION_OVER) return new Uint8Array(length);
    if (this.used + length > SLAB_OCTETS) {
      this.slab = new ArrayBuffer(SLAB_OCTETS);
      this.used = 0;
    }
    const frame = new Uint8Array(this.slab, this.used, length);
    // Views start on 8-octet boundaries, as separate allocations would.
    this.used += (length + 7) & ~7;
    return frame;
  }
}
