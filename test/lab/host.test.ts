/**
 * Lab hosts: flow packets go out and come in on a fast path that must write and accept exactly the
 * frames the general path (encode or decode each layer) does.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FLOW_PORT, Host, LatencySamples, SequenceSet } from '../../src/lab/host.js';
import { Simulator } from '../../src/lab/sim.js';
import type { Ipv4Address, Mac } from '../../src/wire/addr.js';
import { arpRequest, encodeArp } from '../../src/wire/arp.js';
import {
  decodeEthernet,
  encodeEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  padEthernetFrame,
} from '../../src/wire/ethernet.js';
import { decodeIpv4, encodeIpv4 } from '../../src/wire/ipv4.js';
import { decodeUdp, encodeUdp } from '../../src/wire/udp.js';

const A = { name: 'a', mac: '02:00:00:00:00:0a' as Mac, ip: '10.1.0.10' as Ipv4Address, prefixLength: 24 };
const B = { name: 'b', mac: '02:00:00:00:00:0b' as Mac, ip: '10.1.0.11' as Ipv4Address, prefixLength: 24 };

/** Two hosts on one wire (1 µs); every frame each sends is kept. */
function pair(): { sim: Simulator; a: Host; b: Host; fromA: Uint8Array[] } {
  const sim = new Simulator();
  const fromA: Uint8Array[] = [];
  const hosts: { a?: Host; b?: Host } = {};
  hosts.a = new Host(sim, A, (_port, f) => {
    fromA.push(f);
    sim.after(1000, () => hosts.b!.receive('eth0', f));
  });
  hosts.b = new Host(sim, B, (_port, f) => sim.after(1000, () => hosts.a!.receive('eth0', f)));
  return { sim, a: hosts.a, b: hosts.b, fromA };
}

describe('lab host', () => {
  it('sends flow packets byte for byte as encoding each layer would, for any size', () => {
    for (const size of [20, 21, 64, 333, 1472]) {
      const { sim, a, b, fromA } = pair();
      a.startFlow({ name: 'f', dst: B.ip, rate: 1000, count: 5, size }, 7);
      sim.runUntil(1e9);
      assert.equal(b.flowsReceived.get(7)?.received, 5, `size ${size}`);
      const packets = fromA.filter((f) => decodeEthernet(f).etherType === ETHERTYPE_IPV4);
      assert.equal(packets.length, 5);
      packets.forEach((frame, i) => {
        const ip = decodeIpv4(decodeEthernet(frame).payload);
        const udp = decodeUdp(ip.payload, ip.src, ip.dst);
        const payload = udp.payload;
        assert.equal((payload[8]! << 24) | (payload[9]! << 16) | (payload[10]! << 8) | payload[11]!, i);
        const expected = padEthernetFrame(
          encodeEthernet({
            dst: B.mac,
            src: A.mac,
            vlans: [],
            etherType: ETHERTYPE_IPV4,
            payload: encodeIpv4({
              ...ip,
              payload: encodeUdp({ srcPort: 40007, dstPort: FLOW_PORT, checksum: true, payload }, A.ip, B.ip),
            }),
          }),
        );
        assert.deepEqual(frame, expected, `size ${size}, packet ${i}`);
      });
    }
  });

  it('counts a flow packet once, and a damaged copy as malformed, not received', () => {
    const { sim, a, b, fromA } = pair();
    a.startFlow({ name: 'f', dst: B.ip, rate: 1000, count: 3 }, 1);
    sim.runUntil(1e9);
    const last = fromA[fromA.length - 1]!;
    b.receive('eth0', last);
    const damaged = last.slice();
    damaged[50] = damaged[50]! ^ 1;
    b.receive('eth0', damaged);
    const stats = b.flowsReceived.get(1)!;
    assert.equal(stats.received, 3);
    assert.equal(stats.duplicated, 1);
    assert.equal(b.counters.malformed, 1);
  });

  it('ignores a gratuitous ARP from a stranger, updates a known neighbour from one, answers one for us', () => {
    const { sim, a, b } = pair();
    const c = { mac: '02:00:00:00:00:0c' as Mac, ip: '10.1.0.12' as Ipv4Address };
    const garp = (mac: Mac, ip: Ipv4Address, target = ip) =>
      encodeEthernet({
        dst: 'ff:ff:ff:ff:ff:ff' as Mac,
        src: mac,
        vlans: [],
        etherType: ETHERTYPE_ARP,
        payload: encodeArp(arpRequest(mac, ip, target)),
      });
    b.receive('eth0', garp(c.mac, c.ip));
    assert.equal(b.arpCache.has(c.ip), false, 'RFC 826: not for us and not known: nothing');
    b.arpCache.set(c.ip, '02:00:00:00:00:99' as Mac);
    b.receive('eth0', garp(c.mac, c.ip));
    assert.equal(b.arpCache.get(c.ip), c.mac, 'a known neighbour moved: merged');
    b.receive('eth0', garp(A.mac, A.ip, B.ip));
    sim.runUntil(1e6);
    assert.equal(b.counters.arpRepliesSent, 1);
    assert.equal(a.arpCache.get(B.ip), B.mac);
    assert.equal(b.counters.malformed, 0);
  });

  it('remembers sequence numbers as a set does', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100_000 })), (seqs) => {
        const set = new SequenceSet();
        const reference = new Set<number>();
        for (const s of seqs) {
          set.add(s);
          reference.add(s);
        }
        for (let s = 0; s < 2000; s++) assert.equal(set.has(s), reference.has(s));
        for (const s of seqs) assert.ok(set.has(s));
      }),
    );
  });

  it('keeps latency samples as an array does, across chunk boundaries', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { maxLength: 9000 }),
        fc.nat(),
        fc.nat(),
        (values, a, b) => {
          const samples = new LatencySamples();
          for (const v of values) samples.push(v);
          assert.equal(samples.length, values.length);
          assert.deepEqual(samples.slice(), values);
          const start = a % (values.length + 1);
          const end = b % (values.length + 1);
          assert.deepEqual(samples.slice(start, end), values.slice(start, end));
          assert.deepEqual(
            Array.from(samples.sorted()),
            [...values].sort((x, y) => x - y),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps a long flow's latency samples (hundreds of chunks)", () => {
    const samples = new LatencySamples();
    for (let i = 0; i < 500_000; i++) samples.push(500_000 - i);
    assert.equal(samples.length, 500_000);
    assert.deepEqual(samples.slice(123_456, 123_459), [376_544, 376_543, 376_542]);
    const sorted = samples.sorted();
    assert.equal(sorted[0], 1);
    assert.equal(sorted[499_999], 500_000);
  });
});
