import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Ipv4Address } from '../../src/wire/addr.js';
import { decodeTcp, TCP_FLAG_RST, TCP_FLAG_SYN } from '../../src/wire/tcp.js';
import { Simulator } from '../../src/lab/sim.js';
import { TcpStack, type TcpConnection, type TcpHandlers } from '../../src/lab/tcp.js';

const A = '10.0.0.1' as Ipv4Address;
const B = '10.0.0.2' as Ipv4Address;

/** Two stacks joined by a pipe with a one-way delay; `drop(n)` decides whether the n-th segment is lost. */
function pair(
  options: {
    delayNs?: number;
    drop?: (n: number, from: Ipv4Address) => boolean;
    mss?: Partial<Record<Ipv4Address, number>>;
  } = {},
) {
  const sim = new Simulator(7);
  const delay = options.delayNs ?? 10_000;
  let sent = 0;
  let up = true;
  const segments: { from: Ipv4Address; flags: number; length: number }[] = [];
  const stacks = new Map<Ipv4Address, TcpStack>();
  const make = (self: Ipv4Address) =>
    new TcpStack(
      sim,
      sim.random.fork(self),
      (src, dst, bytes) => {
        const n = sent++;
        const seg = decodeTcp(bytes, src, dst);
        segments.push({ from: src, flags: seg.flags, length: seg.payload.length });
        if (!up || options.drop?.(n, src)) return true;
        sim.after(delay, () => stacks.get(dst)?.receive(src, dst, bytes));
        return true;
      },
      options.mss?.[self] !== undefined ? { mss: options.mss[self] } : {},
    );
  stacks.set(A, make(A));
  stacks.set(B, make(B));
  return {
    sim,
    a: stacks.get(A)!,
    b: stacks.get(B)!,
    segments,
    cut: () => {
      up = false;
    },
  };
}

interface Recorder extends TcpHandlers {
  readonly data: Uint8Array[];
  readonly closes: string[];
  opened: number;
  connection: TcpConnection | undefined;
}

function recorder(): Recorder {
  const r: Recorder = {
    data: [],
    closes: [],
    opened: 0,
    connection: undefined,
    onOpen: (c) => {
      r.opened++;
      r.connection = c;
    },
    onData: (_c, bytes) => r.data.push(bytes),
    onClose: (_c, reason) => r.closes.push(reason),
  };
  return r;
}

function joined(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function payload(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed) & 0xff;
  return out;
}

test('handshake, then 300 kB each way arrive intact and in order', () => {
  const { sim, a, b } = pair();
  const server = recorder();
  b.listen(179, () => server);
  const client = recorder();
  const c = a.connect(A, { ip: B, port: 179 }, client);
  sim.runUntil(1e6);
  assert.equal(client.opened, 1);
  assert.equal(server.opened, 1);
  const up = payload(300_000, 1);
  const down = payload(300_000, 2);
  c.write(up.subarray(0, 1000));
  c.write(up.subarray(1000));
  server.connection!.write(down);
  sim.runUntil(1e9);
  assert.deepEqual(joined(server.data), up);
  assert.deepEqual(joined(client.data), down);
  assert.deepEqual(client.closes, []);
});

test('Nagle and sender SWS avoidance: a burst of writes leaves as full segments and one tail', () => {
  const { sim, a, b } = pair();
  const server = recorder();
  b.listen(179, () => server);
  const client = recorder();
  const c = a.connect(A, { ip: B, port: 179 }, client);
  sim.runUntil(1e6);
  // A lone short write goes at once: nothing is in flight.
  c.write(payload(19, 1));
  sim.runUntil(2e6);
  assert.deepEqual(
    server.data.map((d) => d.length),
    [19],
  );
  // 100 BGP-sized writes in one go (more than the window): full segments, then the tail once the
  // data before it is acknowledged — never one short segment per write or per ACK.
  server.data.length = 0;
  const burst = payload(381_600, 2);
  for (let i = 0; i < 100; i++) c.write(burst.subarray(i * 3816, (i + 1) * 3816));
  sim.runUntil(1e9);
  const sizes = server.data.map((d) => d.length);
  assert.deepEqual(joined(server.data), burst);
  assert.ok(
    sizes.slice(0, -1).every((n) => n === 1460),
    `segment sizes ${[...new Set(sizes)]}`,
  );
  assert.equal(sizes[sizes.length - 1], 381_600 % 1460);
});

test('lost segments are retransmitted: the byte stream survives any loss pattern', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 12 }), (losses) => {
      const lost = new Set(losses);
      const { sim, a, b } = pair({ drop: (n) => lost.has(n) });
      const server = recorder();
      b.listen(179, () => server);
      const client = recorder();
      const c = a.connect(A, { ip: B, port: 179 }, client);
      const data = payload(100_000, 3);
      c.write(data);
      sim.runUntil(120e9);
      assert.deepEqual(joined(server.data), data);
      assert.deepEqual(client.closes, []);
    }),
    { numRuns: 40 },
  );
});

test('a port nobody listens on answers RST: connection refused', () => {
  const { sim, a, segments } = pair();
  const client = recorder();
  a.connect(A, { ip: B, port: 179 }, client);
  sim.runUntil(1e6);
  assert.deepEqual(client.closes, ['connection refused']);
  assert.ok(segments.some((s) => s.from === B && (s.flags & TCP_FLAG_RST) !== 0));
});

test('orderly close: data written before close() is delivered, then the peer hears the close', () => {
  const { sim, a, b } = pair();
  const server = recorder();
  b.listen(179, () => server);
  const client = recorder();
  const c = a.connect(A, { ip: B, port: 179 }, client);
  sim.runUntil(1e6);
  c.write(payload(5000, 4));
  c.close();
  sim.runUntil(1e9);
  assert.deepEqual(joined(server.data), payload(5000, 4));
  assert.deepEqual(server.closes, ['closed by peer']);
  assert.deepEqual(client.closes, [], 'a close we asked for is not reported to us');
  assert.equal(a.openConnections, 0);
  assert.equal(b.openConnections, 0);
});

test('a dead path: SYNs back off and connect fails; data times out after the retries', () => {
  const { sim, a, b, segments, cut } = pair();
  const silent = recorder();
  cut();
  a.connect(A, { ip: B, port: 179 }, silent);
  sim.runUntil(60e9);
  // 1 s initial RTO doubling (RFC 6298): SYNs at 0, 1, 3, 7 s, failure at 15 s.
  assert.equal(segments.filter((s) => (s.flags & TCP_FLAG_SYN) !== 0).length, 4);
  assert.deepEqual(silent.closes, ['connection timed out']);

  const p = pair();
  const server = recorder();
  p.b.listen(179, () => server);
  const client = recorder();
  const c = p.a.connect(A, { ip: B, port: 179 }, client);
  p.sim.runUntil(1e6);
  p.cut();
  c.write(payload(100, 5));
  p.sim.runUntil(600e9);
  assert.deepEqual(client.closes, ['connection timed out']);
  void b;
});

test('the same seed sends the same segments', () => {
  const run = () => {
    const { sim, a, b, segments } = pair({ drop: (n) => n % 17 === 5 });
    const server = recorder();
    b.listen(179, () => server);
    const c = a.connect(A, { ip: B, port: 179 }, recorder());
    c.write(payload(50_000, 6));
    sim.runUntil(10e9);
    return JSON.stringify(segments);
  };
  assert.equal(run(), run());
});

test('each side sends segments no larger than the smaller MSS of the two SYNs (RFC 9293 §3.7.1)', () => {
  const { sim, a, b, segments } = pair({ mss: { [A]: 9176, [B]: 1460 } });
  const server = recorder();
  const client = recorder();
  b.listen(179, () => server);
  const c = a.connect(A, { ip: B, port: 179 }, client);
  sim.runUntil(1e6);
  const bytes = payload(50_000, 3);
  c.write(bytes);
  server.connection!.write(bytes);
  sim.runUntil(1e9);
  assert.deepEqual(joined(server.data), bytes);
  assert.deepEqual(joined(client.data), bytes);
  for (const from of [A, B]) {
    const largest = Math.max(...segments.filter((s) => s.from === from).map((s) => s.length));
    assert.equal(largest, 1460, `largest segment from ${from}`);
  }
});

test('both sides with a jumbo MSS send jumbo segments', () => {
  const { sim, a, b, segments } = pair({ mss: { [A]: 9176, [B]: 9176 } });
  const server = recorder();
  b.listen(179, () => server);
  const c = a.connect(A, { ip: B, port: 179 }, recorder());
  sim.runUntil(1e6);
  const bytes = payload(50_000, 4);
  c.write(bytes);
  sim.runUntil(1e9);
  assert.deepEqual(joined(server.data), bytes);
  assert.equal(Math.max(...segments.filter((s) => s.from === A).map((s) => s.length)), 9176);
});
