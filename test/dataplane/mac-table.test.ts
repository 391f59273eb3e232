import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MacTable, MAX_TAG } from '../../src/dataplane/mac-table.js';

/** MAC numbers from a small pool (so sets, deletes and lookups collide) plus arbitrary ones. */
const arbMacNumber = fc.oneof(
  fc.constantFrom(0, 1, 0xffff_ffff_ffff, 0x0200_0000_0001, 0x0200_0001_0000, 0x0201_0000_0000, 2 ** 32),
  fc.integer({ min: 0, max: 0xffff }).map((i) => 0x0200_0000_0000 + i),
  fc.nat({ max: 2 ** 48 - 1 }),
);

const arbOp = fc.record({
  op: fc.constantFrom('set', 'delete', 'get'),
  mac: arbMacNumber,
  value: fc.nat(MAX_TAG),
});

describe('mac table', () => {
  it('behaves as a Map from MAC to (value, tag) over any sequence of sets, deletes and gets (growth included)', () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 300 }), (ops) => {
        const table = new MacTable<string>();
        const model = new Map<number, number>();
        for (const { op, mac, value } of ops) {
          if (op === 'set') {
            table.set(mac, String(value), value);
            model.set(mac, value);
          } else if (op === 'delete') assert.equal(table.delete(mac), model.delete(mac));
          else {
            assert.equal(table.get(mac), model.has(mac) ? String(model.get(mac)) : undefined);
            assert.equal(table.tag(mac), model.get(mac) ?? -1);
          }
          assert.equal(table.size, model.size);
        }
        for (const [mac, value] of model) {
          assert.equal(table.get(mac), String(value));
          assert.equal(table.tag(mac), value);
        }
      }),
    );
  });

  it('keeps every key reachable through many deletions in long probe runs', () => {
    const table = new MacTable<number>();
    const keys = Array.from({ length: 5000 }, (_, i) => 0x0200_0000_0000 + i * 4096);
    keys.forEach((k, i) => table.set(k, i, i));
    keys.forEach((k, i) => {
      if (i % 3 === 0) assert.equal(table.delete(k), true);
    });
    keys.forEach((k, i) => {
      assert.equal(table.get(k), i % 3 === 0 ? undefined : i);
      assert.equal(table.tag(k), i % 3 === 0 ? -1 : i);
    });
    assert.equal(table.size, 5000 - Math.ceil(5000 / 3));
  });

  it('takes tags in 0..MAX_TAG only', () => {
    const table = new MacTable<number>();
    table.set(0xffff_ffff_ffff, 1, MAX_TAG);
    assert.equal(table.tag(0xffff_ffff_ffff), MAX_TAG);
    for (const bad of [-1, MAX_TAG + 1, 0.5]) assert.throws(() => table.set(1, 1, bad), RangeError);
    assert.equal(table.size, 1);
  });

  it('reads keys from frame bytes (getAt, tagAt) as get and tag do from numbers', () => {
    fc.assert(
      fc.property(
        fc.array(arbMacNumber, { maxLength: 40 }),
        arbMacNumber,
        fc.nat({ max: 7 }),
        (keys, probe, at) => {
          const table = new MacTable<number>();
          keys.forEach((k, i) => table.set(k, k, i % (MAX_TAG + 1)));
          const bytes = new Uint8Array(at + 6).fill(0xa5);
          for (let i = 0; i < 6; i++) bytes[at + i] = Math.floor(probe / 2 ** (8 * (5 - i))) & 0xff;
          assert.equal(table.getAt(bytes, at), table.get(probe));
          assert.equal(table.tagAt(bytes, at), table.tag(probe));
        },
      ),
    );
  });
});
