import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FrameSlab } from '../../src/dataplane/frame-slab.js';

describe('frame slab', () => {
  it('hands out zero-filled buffers of the asked length that never overlap', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 9000 }), { maxLength: 60 }), (lengths) => {
        const slab = new FrameSlab();
        const frames = lengths.map((n, i) => {
          const f = slab.take(n);
          assert.equal(f.length, n);
          assert.ok(f.every((b) => b === 0));
          f.fill((i % 255) + 1);
          return f;
        });
        // Each still holds what was written into it: no region was handed out twice.
        frames.forEach((f, i) =>
          assert.ok(
            f.every((b) => b === (i % 255) + 1),
            `frame ${i}`,
          ),
        );
      }),
    );
  });

  it('reserve + frame: the frame is what was written into bytes at the offset, large ones included', () => {
    const slab = new FrameSlab();
    const frames = [100, 9000, 60, 65536, 300].map((n, i) => {
      const at = slab.reserve(n);
      slab.bytes.fill(i + 1, at, at + n);
      const f = slab.frame(at, n);
      assert.equal(f.length, n);
      return f;
    });
    frames.forEach((f, i) =>
      assert.ok(
        f.every((b) => b === i + 1),
        `frame ${i}`,
      ),
    );
  });
});
