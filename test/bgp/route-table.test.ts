import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RouteTable, routeKeyHash } from '../../src/bgp/route-table.js';

/** Keys from a small pool (so sets, deletes and re-adds collide), binary like route keys. */
const arbKey = fc.integer({ min: 0, max: 23 }).map((i) => String.fromCharCode(2, 0, 1, i >> 3, i & 7, 0xff));

const arbOp = fc.record({
  op: fc.oneof(
    { arbitrary: fc.constantFrom('set', 'delete', 'step'), weight: 6 },
    { arbitrary: fc.constantFrom('get', 'open'), weight: 1 },
  ),
  key: arbKey,
  value: fc.nat(1000),
});

describe('route table', () => {
  it('behaves as a Map, order and open iterators included, over any sequence of operations (rebuilds included)', () => {
    fc.assert(
      fc.property(fc.array(arbOp, { maxLength: 400, size: 'max' }), (ops) => {
        const table = new RouteTable<number>();
        const model = new Map<string, number>();
        // Iterators opened mid-sequence and stepped in lockstep with the Map's.
        const open: [Iterator<[string, number]>, Iterator<[string, number]>][] = [];
        for (const { op, key, value } of ops) {
          if (op === 'set') {
            table.set(key, value);
            model.set(key, value);
          } else if (op === 'delete') assert.equal(table.delete(key), model.delete(key));
          else if (op === 'get') assert.equal(table.get(key), model.get(key));
          else if (op === 'open') open.push([table.entries(), model.entries()]);
          else for (const [t, m] of open) assert.deepEqual(t.next(), m.next());
          assert.equal(table.size, model.size);
        }
        assert.deepEqual([...table], [...model]);
        for (const [t, m] of open)
          assert.deepEqual([...{ [Symbol.iterator]: () => t }], [...{ [Symbol.iterator]: () => m }]);
      }),
    );
  });

  it('moves an open iterator past the holes a rebuild drops', () => {
    const table = new RouteTable<number>();
    const key = (i: number) => String.fromCharCode(2, i);
    for (let i = 0; i < 16; i++) table.set(key(i), i);
    const it = table.entries();
    for (let i = 0; i < 10; i++) it.next();
    for (let i = 0; i < 6; i++) table.delete(key(i));
    table.set(key(99), 99); // the 17th entry: a rebuild
    assert.deepEqual(
      [...{ [Symbol.iterator]: () => it }].map(([, v]) => v),
      [10, 11, 12, 13, 14, 15, 99],
    );
  });

  it('holds many keys through growth and churn', () => {
    const table = new RouteTable<number>();
    const key = (i: number) => String.fromCharCode(2, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
    for (let i = 0; i < 50_000; i++) table.set(key(i), i);
    for (let i = 0; i < 50_000; i += 2) assert.equal(table.delete(key(i)), true);
    for (let i = 0; i < 50_000; i += 4) table.set(key(i), -i);
    assert.equal(table.size, 25_000 + 12_500);
    for (let i = 0; i < 50_000; i++)
      assert.equal(table.get(key(i)), i % 4 === 0 ? -i : i % 2 === 0 ? undefined : i);
    const order = [...table].map(([, v]) => v);
    assert.deepEqual(order.slice(0, 2), [1, 3]);
    // Re-added keys go to the end, as in a Map.
    assert.deepEqual(order.slice(-2), [-49_992, -49_996]);
  });

  it('hashes keys by their char codes', () => {
    assert.equal(routeKeyHash('\x02\x00\x01'), routeKeyHash(String.fromCharCode(2, 0, 1)));
    assert.notEqual(routeKeyHash('\x02\x00\x01'), routeKeyHash('\x02\x01\x00'));
  });
});
