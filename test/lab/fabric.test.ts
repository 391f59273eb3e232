/**
 * The seed 004 same-subnet walk in the lab, on the simulated clock: two hosts in VNI 100 behind two
 * flood-and-learn VTEPs and one underlay router. The first ping resolves ARP through head-end
 * replication, then runs unicast; a UDP flow is counted exactly; a link failure loses frames,
 * and the same seed gives the same run to the frame.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Ipv4Address, Mac } from '../../src/wire/addr.js';
import { Fabric } from '../../src/lab/fabric.js';
import { NS_PER_MS, NS_PER_SECOND } from '../../src/lab/sim.js';
import { readPcap } from '../../src/wire/pcap.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';

const SPINE_MAC = (i: number) => `0c:00:00:00:ff:0${i}` as Mac;
const LEAF_MAC = (i: number) => `0c:00:00:00:0${i}:01` as Mac;
const VTEP = (i: number) => `10.255.0.${i}` as Ipv4Address;

function seed004(seed = 1): Fabric {
  const f = new Fabric(seed);
  const spine = f.addRouter('spine1');
  for (const i of [1, 2]) {
    const leaf = f.addLeaf(`leaf${i}`, {
      vtepIp: VTEP(i),
      underlayMac: LEAF_MAC(i),
      resolveNextHop: () => SPINE_MAC(i),
    });
    leaf.addBridgeDomain({ vni: 100, mode: 'flood-and-learn', floodList: [VTEP(3 - i)] });
    leaf.addPort({ name: 'eth1', mode: 'access', vni: 100 });
    spine.addInterface({
      port: `p${i}`,
      mac: SPINE_MAC(i),
      ip: `10.254.${i}.0` as Ipv4Address,
      prefixLength: 31,
    });
    spine.setRoute(VTEP(i), 32, [{ port: `p${i}`, mac: LEAF_MAC(i) }]);
    f.connect(`leaf${i}`, 'uplink', 'spine1', `p${i}`, { latencyNs: 2_000 });
  }
  f.addHost({
    name: 'hostA',
    mac: '00:00:5e:00:00:0a' as Mac,
    ip: '10.1.0.10' as Ipv4Address,
    prefixLength: 24,
  });
  f.addHost({
    name: 'hostB',
    mac: '00:00:5e:00:00:0b' as Mac,
    ip: '10.1.0.11' as Ipv4Address,
    prefixLength: 24,
  });
  f.connect('hostA', 'eth0', 'leaf1', 'eth1');
  f.connect('hostB', 'eth0', 'leaf2', 'eth1');
  return f;
}

describe('lab: seed 004 same-subnet walk', () => {
  it('the first ping crosses the fabric after ARP; both VTEPs learn the remote MAC from the data plane', () => {
    const f = seed004();
    const a = f.host('hostA');
    const seq = a.ping('10.1.0.11' as Ipv4Address);
    f.sim.runUntil(10 * NS_PER_MS);
    const r = a.pingResult(seq);
    assert.ok(r, 'the ping came back');
    // Four link hops each way (host-leaf-spine-leaf-host), plus serialization: microseconds, not zero.
    assert.ok(r.rttNs > 16_000 && r.rttNs < 1_000_000, `rtt ${r.rttNs} ns`);
    const leaf1 = f.nodes.get('leaf1')!;
    const leaf2 = f.nodes.get('leaf2')!;
    assert.ok(leaf1.kind === 'leaf' && leaf2.kind === 'leaf');
    const bAt1 = leaf1.dataplane.domain(100)!.fdb.lookup('00:00:5e:00:00:0b' as Mac);
    assert.equal(bAt1?.kind === 'remote' ? bAt1.vtep : undefined, VTEP(2));
    // Exactly one BUM frame (A's ARP request) was replicated, by leaf1 to leaf2.
    assert.equal(leaf1.dataplane.counters.replicated, 1);
    assert.equal(leaf2.dataplane.counters.replicated, 0);
    assert.equal(a.counters.arpRequestsSent, 1);
  });

  it('counts a UDP flow exactly, loses frames while a link is down, and replays identically from the seed', () => {
    const run = () => {
      const f = seed004(7);
      const a = f.host('hostA');
      const b = f.host('hostB');
      a.startFlow({ name: 'a-to-b', dst: '10.1.0.11' as Ipv4Address, rate: 1000, count: 1000 }, 1);
      f.sim.at(300 * NS_PER_MS, () => f.link('leaf2', 'uplink')!.setUp(false));
      f.sim.at(400 * NS_PER_MS, () => f.link('leaf2', 'uplink')!.setUp(true));
      f.sim.runUntil(2 * NS_PER_SECOND);
      const s = b.flowsReceived.get(1)!;
      return {
        sent: a.flowsSent.get('a-to-b')!.sent,
        received: s.received,
        duplicated: s.duplicated,
        reordered: s.reordered,
        latency: s.latencies.slice(0, 5),
      };
    };
    const first = run();
    assert.equal(first.sent, 1000);
    // 100 ms of a 1000 pps flow cannot arrive (±1 for the edges), and nothing arrives twice.
    assert.ok(first.received >= 898 && first.received <= 901, `received ${first.received}`);
    assert.equal(first.duplicated, 0);
    assert.equal(first.reordered, 0);
    assert.deepEqual(run(), first, 'same seed, same run');
  });

  it('captures each link to pcap that tshark reads without a malformed frame', () => {
    const f = seed004();
    const pcaps = f.captureAll();
    f.host('hostA').ping('10.1.0.11' as Ipv4Address);
    f.sim.runUntil(10 * NS_PER_MS);
    const uplink = pcaps.get('leaf1_uplink--spine1_p1')!;
    const frames = readPcap(uplink.finish()).records.map((r) => Uint8Array.from(r.data));
    assert.ok(frames.length >= 3, `${frames.length} frames on leaf1's uplink`);
    withPcap(frames, (file) => {
      assert.deepEqual(tsharkProblems(file), []);
      const vnis = tsharkFields(file, ['vxlan.vni']).flatMap((x) => x['vxlan.vni'] ?? []);
      assert.ok(vnis.length === frames.length && vnis.every((v) => v === '100'), JSON.stringify(vnis));
    });
  });
});
