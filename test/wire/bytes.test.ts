import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { allocBytes, Writer } from '../../src/wire/bytes.js';

describe('allocBytes', () => {
  it('gives fresh zero-filled arrays of the asked length that never share bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 60 }), (sizes) => {
        const arrays = sizes.map((n) => allocBytes(n));
        arrays.forEach((a, i) => {
          assert.equal(a.length, sizes[i]);
          assert.ok(a.every((b) => b === 0));
          a.fill(i + 1);
        });
        arrays.forEach((a, i) => assert.ok(a.every((b) => b === ((i + 1) & 0xff))));
      }),
    );
  });

  it('lets a writer grow and finish into exactly the bytes written', () => {
    const w = new Writer(16);
    for (let i = 0; i < 1000; i++) w.u16(i);
    const out = w.finish();
    assert.equal(out.length, 2000);
    assert.equal((out[1998]! << 8) | out[1999]!, 999);
    w.u8(1);
    assert.equal(out.length, 2000, 'the finished bytes are a copy');
  });
});
