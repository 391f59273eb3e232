/**
 * The BFD UDP driver with real sockets and timers on loopback (no namespaces, no root): two drivers
 * on 127.0.0.1 and 127.0.0.2 bring a 20 ms session Up, demultiplex by discriminator and by source
 * address, count datagrams no session wants, and a graceful stop tells the peer AdminDown.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, describe, it } from 'node:test';
import { BfdUdpDriver, type BfdStateChange } from '../../src/node/bfd-udp.js';
import { BFD_DIAG_ADMINISTRATIVELY_DOWN, BFD_STATE_DOWN, encodeBfdControl } from '../../src/wire/bfd.js';

const A = '127.0.0.1';
const B = '127.0.0.2';
/** Not 3784, so the test needs no privileges and cannot meet a real BFD daemon. */
const PORT = 40000 + (process.pid % 20000);
const TIMERS = { desiredMinTxMs: 20, requiredMinRxMs: 20, detectMultiplier: 3 };

async function until(what: string, cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function sendRaw(to: string, bytes: Uint8Array): Promise<void> {
  const s = createSocket('udp4');
  return new Promise((resolve, reject) =>
    s.send(bytes, PORT, to, (e) => {
      s.close();
      if (e) reject(e);
      else resolve();
    }),
  );
}

describe('BFD UDP driver on loopback', () => {
  const changes: Record<string, BfdStateChange[]> = { a: [], b: [] };
  const a = new BfdUdpDriver({
    listenAddress: A,
    port: PORT,
    peerPort: PORT,
    onStateChange: (_peer, c) => changes.a!.push(c),
  });
  const b = new BfdUdpDriver({
    listenAddress: B,
    port: PORT,
    peerPort: PORT,
    onStateChange: (_peer, c) => changes.b!.push(c),
  });
  after(async () => {
    await a.stop();
    await b.stop();
  });

  it('two drivers bring a 20 ms session Up and keep it Up', async () => {
    await a.start();
    await b.start();
    const sa = await a.addPeer({ peer: B, localAddress: A, ...TIMERS });
    const sb = await b.addPeer({ peer: A, localAddress: B, ...TIMERS });
    await until('both Up', () => sa.state === 'Up' && sb.state === 'Up');
    assert.equal(sa.remoteDiscriminator, sb.localDiscriminator);
    assert.equal(sb.remoteDiscriminator, sa.localDiscriminator);
    await until('poll sequences done', () => !sa.pollInProgress && !sb.pollInProgress);
    assert.equal(sa.transmitIntervalMs, 20);
    const sent = sa.counters.packetsOut;
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(sa.state, 'Up');
    assert.equal(sa.counters.downTransitions + sb.counters.downTransitions, 0);
    // 600 ms at 15–20 ms per packet (timers are not exact on a busy machine; allow slack).
    const rate = sa.counters.packetsOut - sent;
    assert.ok(rate >= 15 && rate <= 45, `${rate} packets in 600 ms`);
  });

  it('counts datagrams that are malformed or for no session, without disturbing the session', async () => {
    const sa = a.session(B)!;
    await sendRaw(A, new Uint8Array([0x20, 0x40, 0x03]));
    const stray = {
      diagnostic: 0,
      state: BFD_STATE_DOWN,
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      demand: false,
      detectMultiplier: 3,
      myDiscriminator: 77,
      yourDiscriminator: (sa.localDiscriminator ^ 0x5a5a5a5a) >>> 0 || 1,
      desiredMinTxInterval: 1_000_000,
      requiredMinRxInterval: 1_000_000,
      requiredMinEchoRxInterval: 0,
    } as const;
    await sendRaw(A, encodeBfdControl(stray));
    await until('both counted', () => a.counters.malformed === 1 && a.counters.noSession === 1);
    assert.equal(sa.state, 'Up');
  });

  it('a graceful stop sends AdminDown: the peer goes Down without waiting for its Detection Time', async () => {
    const sa = a.session(B)!;
    const downsBefore = changes.a!.length;
    await b.stop({ adminDown: true });
    await until('a Down', () => sa.state === 'Down', 1000);
    const change = changes.a!.slice(downsBefore).find((c) => c.to === 'Down')!;
    assert.equal(change.remoteState, 'AdminDown');
    assert.equal(change.remoteDiag, BFD_DIAG_ADMINISTRATIVELY_DOWN);
    assert.equal(sa.counters.detectionTimeExpirations, 0);
  });
});
