import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { nsAtOrAfterMs, SeededRandom, Simulator } from '../../src/lab/sim.js';

describe('lab simulator', () => {
  it('runs events in time order, same-time events in scheduling order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 200 }), (times) => {
        const sim = new Simulator();
        const seen: [number, number][] = [];
        times.forEach((t, i) => sim.at(t, () => seen.push([sim.now, i])));
        sim.runUntil(10_000);
        const expected = times
          .map((t, i) => [t, i] as [number, number])
          .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        assert.deepEqual(seen, expected);
        assert.equal(sim.now, 10_000);
      }),
    );
  });

  it('cancels events and lets handlers schedule more', () => {
    const sim = new Simulator();
    const log: string[] = [];
    const h = sim.after(50, () => log.push('cancelled'));
    sim.after(10, () => {
      log.push(`a@${sim.now}`);
      sim.after(5, () => log.push(`b@${sim.now}`));
    });
    h.cancel();
    sim.runUntil(100);
    assert.deepEqual(log, ['a@10', 'b@15']);
    assert.equal(sim.step(), false);
  });

  it('stops at the horizon and resumes later', () => {
    const sim = new Simulator();
    let fired = 0;
    sim.at(200, () => fired++);
    sim.runUntil(100);
    assert.equal(fired, 0);
    assert.equal(sim.now, 100);
    sim.runUntil(200);
    assert.equal(fired, 1);
  });

  it('gives the same random stream for the same seed and different ones per fork label', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    assert.deepEqual(
      xs,
      Array.from({ length: 5 }, () => b.nextU32()),
    );
    assert.notDeepEqual(
      new SeededRandom(1).fork('leaf1').nextU32(),
      new SeededRandom(1).fork('leaf2').nextU32(),
    );
    const r = new SeededRandom(7);
    for (let i = 0; i < 1000; i++) {
      const v = r.below(10);
      assert.ok(v >= 0 && v < 10 && Number.isInteger(v));
    }
  });

  it('converts a millisecond deadline to a nanosecond at which a ms clock reads it, never earlier', () => {
    // The keepalive deadline (now in ms + 3 s) that Math.round put 1 ns early in lab-scale: the
    // timer fired, the session found nothing due, and it re-armed at the same instant forever.
    const deadline = 1696003204 / 1e6 + 3000;
    assert.ok(Math.round(deadline * 1e6) / 1e6 < deadline);
    assert.equal(nsAtOrAfterMs(deadline), 4696003205);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 50 }),
        fc.integer({ min: 0, max: 100_000 }),
        (nowNs, offsetMs) => {
          const ms = nowNs / 1e6 + offsetMs;
          const ns = nsAtOrAfterMs(ms);
          assert.ok(ns / 1e6 >= ms, 'the clock reads the deadline');
          // Math.ceil may land one past the first such nanosecond (`ms * 1e6` rounded up): harmless.
          assert.ok((ns - 2) / 1e6 < ms, 'and no more than a nanosecond after the first that does');
        },
      ),
    );
  });

  it('counts scheduled events by handler when asked (diagnostics)', () => {
    const sim = new Simulator();
    sim.after(1, () => {});
    const kinds = sim.countEventsByKind();
    const tick = () => {};
    sim.after(1, tick);
    sim.after(2, tick);
    sim.after(3, () => sim.now);
    assert.equal(kinds.get('tick'), 2);
    assert.equal(kinds.get('() => sim.now'), 1);
    assert.equal(kinds.size, 2);
  });

  it('runs in slices of at most a given number of events', () => {
    const sim = new Simulator();
    const seen: number[] = [];
    for (let t = 1; t <= 10; t++) sim.at(t * 10, () => seen.push(sim.now));
    sim.at(35, () => {}).cancel();
    assert.equal(sim.run(1000, 4), false);
    assert.deepEqual(seen, [10, 20, 30, 40], 'a cancelled event is not one of the four');
    assert.equal(sim.run(75, 100), true);
    assert.equal(sim.now, 75);
    assert.equal(sim.run(1000, 3), false);
    assert.equal(sim.run(1000, 3), true);
    assert.equal(seen.length, 10);
    assert.equal(sim.eventsExecuted, 10);
  });
});
