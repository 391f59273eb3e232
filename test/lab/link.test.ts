import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Link, type LinkEndpoint } from '../../src/lab/link.js';
import { Simulator } from '../../src/lab/sim.js';

function ends(): {
  a: LinkEndpoint;
  b: LinkEndpoint;
  got: { at: number; frame: Uint8Array }[];
  sim: Simulator;
} {
  const sim = new Simulator();
  const got: { at: number; frame: Uint8Array }[] = [];
  return {
    sim,
    got,
    a: { node: 'a', port: 'p', deliver: () => {} },
    b: { node: 'b', port: 'p', deliver: (frame) => got.push({ at: sim.now, frame }) },
  };
}

describe('lab link', () => {
  // 76 bytes + 24 of wire overhead = 800 bits: 800 ns at 1 Gb/s.
  const frame = new Uint8Array(76);

  it('queues frames behind each other, tail-drops past the limit, and frees a slot once a frame is serialized', () => {
    const { sim, a, b, got } = ends();
    const link = new Link(sim, 'a--b', a, b, { bandwidthBps: 1e9, latencyNs: 100, queueLimit: 3 });
    const accepted = [0, 1, 2, 3, 4].map(() => link.send(a, frame));
    assert.deepEqual(accepted, [true, true, true, false, false]);
    assert.equal(link.counters.lostQueue, 2);
    sim.runUntil(799);
    assert.equal(link.send(a, frame), false, 'the first frame is still on the wire');
    sim.runUntil(800);
    assert.equal(link.send(a, frame), true, 'its slot is free the instant it is serialized');
    sim.runUntil(10_000);
    assert.deepEqual(
      got.map((g) => g.at),
      [900, 1700, 2500, 3300],
    );
  });

  it('costs one event per frame when nothing captures it, and captures at the start of transmission', () => {
    const { sim, a, b } = ends();
    const link = new Link(sim, 'a--b', a, b, { bandwidthBps: 1e9, latencyNs: 100 });
    for (let i = 0; i < 10; i++) link.send(a, frame);
    sim.runUntil(100_000);
    assert.equal(sim.eventsExecuted, 10);
    const captured: number[] = [];
    link.onCapture((t) => captured.push(t));
    link.send(a, frame);
    link.send(a, frame);
    sim.runUntil(200_000);
    assert.deepEqual(captured, [100_000, 100_800]);
  });

  it('loses the frames in flight when it goes down, and queues afresh when it comes back', () => {
    const { sim, a, b, got } = ends();
    const link = new Link(sim, 'a--b', a, b, { bandwidthBps: 1e9, latencyNs: 100, queueLimit: 2 });
    link.send(a, frame);
    link.send(a, frame);
    sim.runUntil(500);
    link.setUp(false);
    link.setUp(true);
    assert.equal(link.send(a, frame), true);
    assert.equal(link.send(a, frame), true);
    sim.runUntil(10_000);
    assert.equal(link.counters.lostDown, 2);
    assert.deepEqual(
      got.map((g) => g.at),
      [1400, 2200],
    );
  });

  it('a cable tells both ends; a path through a switch tells only the end whose cable it is', () => {
    for (const switched of [false, true]) {
      const sim = new Simulator();
      const heard: string[] = [];
      const end = (node: string): LinkEndpoint => ({
        node,
        port: 'p',
        deliver: () => heard.push(`${node} got a frame`),
        carrier: (up) => heard.push(`${node} ${up ? 'up' : 'down'}`),
      });
      const a = end('a');
      const b = end('b');
      const link = new Link(sim, 'a--b', a, b, { carrierDelayNs: 10, switched });
      link.setUp(false, a);
      sim.runUntil(100);
      assert.deepEqual(heard, switched ? ['a down'] : ['a down', 'b down'], `switched=${switched}`);
      // Either way nothing crosses while a's cable is out.
      assert.equal(link.send(b, frame), false);
      heard.length = 0;
      link.setUp(true, a);
      sim.runUntil(200);
      assert.deepEqual(heard, switched ? ['a up'] : ['a up', 'b up']);
      link.send(b, frame);
      sim.runUntil(10_000);
      assert.deepEqual(heard.slice(-1), ['a got a frame']);
    }
  });

  it('delivers every frame of a link that is never idle, in order and on time', () => {
    const { sim, a, b, got } = ends();
    const link = new Link(sim, 'a--b', a, b, { bandwidthBps: 1e9, latencyNs: 100, queueLimit: 10_000 });
    const frames = Array.from({ length: 3000 }, (_, i) => new Uint8Array(76).fill(i & 0xff));
    // A new frame every 400 ns, half the serialization time: the wire never empties.
    frames.forEach((f, i) => sim.at(i * 400, () => link.send(a, f)));
    sim.runUntil(1e7);
    assert.equal(got.length, frames.length);
    got.forEach((g, i) => {
      assert.equal(g.frame, frames[i]);
      assert.equal(g.at, (i + 1) * 800 + 100);
    });
  });

  it('delivers, queues and drops exactly as a frame-by-frame model of the wire does (property)', () => {
    type Op =
      | { readonly gap: number; readonly kind: 'send'; readonly size: number }
      | { readonly gap: number; readonly kind: 'down' | 'up' };
    const op = fc.oneof(
      {
        weight: 8,
        arbitrary: fc.record({
          gap: fc.integer({ min: 0, max: 3000 }),
          kind: fc.constant('send' as const),
          size: fc.integer({ min: 60, max: 1500 }),
        }),
      },
      {
        weight: 1,
        arbitrary: fc.record({
          gap: fc.integer({ min: 0, max: 3000 }),
          kind: fc.constantFrom('down' as const, 'up' as const),
        }),
      },
    );
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 300 }),
        fc.integer({ min: 1, max: 6 }),
        (ops: Op[], queueLimit) => {
          const { sim, a, b, got } = ends();
          const link = new Link(sim, 'a--b', a, b, { bandwidthBps: 1e9, latencyNs: 500, queueLimit });
          // The model: every accepted frame's serialization end and arrival, checked one by one.
          const expected: { at: number; size: number }[] = [];
          let up = true;
          let epoch = 0;
          let busyUntil = 0;
          let finishes: number[] = [];
          const arrivals: { at: number; size: number; epoch: number }[] = [];
          const downs: number[] = [];
          let lostQueue = 0;
          let lostDownAtSend = 0;
          let t = 0;
          for (const o of ops) {
            t += o.gap;
            const now = t;
            if (o.kind === 'send') {
              const frame = new Uint8Array(o.size);
              sim.at(now, () => link.send(a, frame));
              if (!up) {
                lostDownAtSend++;
                continue;
              }
              finishes = finishes.filter((f) => f > now);
              if (finishes.length >= queueLimit) {
                lostQueue++;
                continue;
              }
              const start = Math.max(now, busyUntil);
              const done = start + Math.ceil(((o.size + 24) * 8 * 1e9) / 1e9);
              busyUntil = done;
              finishes.push(done);
              arrivals.push({ at: done + 500, size: o.size, epoch });
            } else {
              sim.at(now, () => link.setUp(o.kind === 'up'));
              const goesDown = o.kind === 'down' && up;
              up = o.kind === 'up';
              if (goesDown) {
                epoch++;
                downs.push(now);
                finishes = [];
                busyUntil = now;
              }
            }
          }
          // A frame arrives if the link did not go down between its sending and its arrival (a down
          // at the very instant of arrival runs first when it was scheduled first: ops before sends).
          for (const f of arrivals) {
            const lost = downs.some((d, i) => i >= f.epoch && d <= f.at);
            if (!lost) expected.push({ at: f.at, size: f.size });
          }
          sim.runUntil(t + 10_000_000);
          assert.deepEqual(
            got.map((g) => ({ at: g.at, size: g.frame.length })),
            expected.sort((x, y) => x.at - y.at),
          );
          assert.equal(link.counters.lostQueue, lostQueue);
          assert.equal(link.counters.delivered, expected.length);
          assert.equal(link.counters.lostDown, lostDownAtSend + arrivals.length - expected.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
