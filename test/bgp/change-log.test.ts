/**
 * The shared Adj-RIB-Out change log: each destination once, earlier bests kept for withdrawals, and
 * readers at different paces each end with the table's exportable state.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ChangeLog } from '../../src/bgp/change-log.js';

/** Paths are numbers here; a peer may be told of the even ones (its export rule). */
const exportable = (path: number) => path % 2 === 0;

function readAll(log: ChangeLog<number>, from: number) {
  const out = [];
  for (let i = from; i < log.end; i++) {
    const c = log.at(i);
    if (c) out.push(c);
  }
  return out;
}

describe('ChangeLog', () => {
  it('keeps a destination once, at its latest change, with the bests before it', () => {
    const log = new ChangeLog<number>();
    const start = log.addReader();
    log.append('a', 'A', 2, undefined);
    log.append('b', 'B', 4, undefined);
    log.append('a', 'A', 3, 2);
    log.append('a', 'A', undefined, 3);
    const seen = readAll(log, start);
    assert.deepEqual(
      seen.map((c) => [c.key, c.best, c.previous]),
      [
        ['b', 4, undefined],
        ['a', undefined, [2, 3]],
      ],
    );
    // Told of 2 (exportable), the reader withdraws a; a reader told of neither would not.
    assert.equal(ChangeLog.withdraws(seen[1]!, exportable), true);
    assert.equal(
      ChangeLog.withdraws(seen[1]!, () => false),
      false,
    );
  });

  it('withdraws to every reader once a destination has changed too often to list its bests', () => {
    const log = new ChangeLog<number>();
    log.addReader();
    for (let i = 1; i <= 20; i++) log.append('a', 'A', i * 2 + 1, (i - 1) * 2 + 1);
    const last = log.at(log.end - 1)!;
    assert.deepEqual(last.previous, []);
    assert.equal(
      ChangeLog.withdraws(last, () => false),
      true,
    );
    log.append('a', 'A', 1001, 41);
    assert.deepEqual(log.at(log.end - 1)!.previous, [], 'still every reader');
  });

  it('keeps nothing without readers, and drops what every reader has read', () => {
    const log = new ChangeLog<number>();
    log.append('a', 'A', 2, undefined);
    assert.equal(log.end, 0);
    const start = log.addReader();
    for (let i = 0; i < 3000; i++) log.append(`k${i}`, i, i, undefined);
    log.discardBefore(start + 2000);
    assert.equal(log.at(start + 1999), undefined);
    assert.equal(log.at(start + 2000)!.key, 'k2000');
    log.append('k2500', 2500, 7, 2500);
    assert.equal(log.at(start + 2500), undefined, 'replaced by the newer change');
    assert.equal(log.at(log.end - 1)!.best, 7);
    log.removeReader();
    assert.equal(log.at(log.end - 1), undefined);
  });

  it('readers at any pace end with exactly the exportable bests', () => {
    type Step = { key: number; best: number | undefined } | { read: number; upTo: number };
    const step = fc.oneof(
      fc.record({ key: fc.nat(5), best: fc.option(fc.nat(9), { nil: undefined }) }),
      fc.record({ read: fc.nat(1), upTo: fc.nat(6) }),
    );
    fc.assert(
      fc.property(fc.array(step as fc.Arbitrary<Step>, { maxLength: 80 }), (steps) => {
        const log = new ChangeLog<number>();
        const table = new Map<string, number>();
        const readers = [0, 1].map(() => ({ cursor: log.addReader(), adjOut: new Map<string, number>() }));
        const read = (r: (typeof readers)[number], max: number) => {
          for (let n = 0; n < max && r.cursor < log.end; r.cursor++) {
            const c = log.at(r.cursor);
            if (!c) continue;
            n++;
            if (c.best !== undefined && exportable(c.best)) r.adjOut.set(c.key, c.best);
            else if (ChangeLog.withdraws(c, exportable)) r.adjOut.delete(c.key);
          }
        };
        for (const s of steps) {
          if ('read' in s) {
            read(readers[s.read]!, s.upTo);
            continue;
          }
          const key = `k${s.key}`;
          const previous = table.get(key);
          if (previous === s.best) continue;
          if (s.best === undefined) table.delete(key);
          else table.set(key, s.best);
          log.append(key, key, s.best, previous);
        }
        const expected = new Map([...table].filter(([, v]) => exportable(v)));
        for (const r of readers) {
          read(r, Number.POSITIVE_INFINITY);
          assert.deepEqual(r.adjOut, expected);
        }
      }),
    );
  });
});
