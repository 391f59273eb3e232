/**
 * A dual-homed lab host: an LACP bond over eth0 and eth1, cabled to two stand-in leaves that present
 * one System (an M-LAG pair), all on the simulated clock. The bond aggregates both links into one
 * LAG; flows spread over both links by hash and each flow keeps one link; carrier loss and a drain
 * by the partner move every frame to the other link; frames arriving on a port that is not
 * collecting are dropped; the topology file's `bond: lacp` is checked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import { Fabric } from '../../src/lab/fabric.js';
import { NS_PER_MS, NS_PER_SECOND } from '../../src/lab/sim.js';
import { buildLab, loadTopology } from '../../src/lab/topology.js';
import type { Ipv4Address, Mac } from '../../src/wire/addr.js';
import { arpRequest, ARP_OP_REPLY, decodeArp, encodeArp, isGratuitousArp } from '../../src/wire/arp.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP, padEthernetFrame } from '../../src/wire/ethernet.js';
import { encodeUdp } from '../../src/wire/udp.js';
import { IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { LabLacpPartner, labFlowId } from '../support/lab-lacp-partner.js';

const SERVER_MAC = '02:00:00:00:0a:01' as Mac;
const SERVER_IP = '10.0.0.10' as Ipv4Address;
/** The M-LAG pair's shared System. */
const MLAG_SYSTEM = '02:00:00:00:0b:01';
const MLAG_KEY = 10;
/** A host behind the leaves that the server sends its flows to. */
const PEER_IP = '10.0.0.20' as Ipv4Address;
const PEER_MAC = '02:00:00:00:0c:01' as Mac;

function dualHomed() {
  const fabric = new Fabric(7);
  const server = fabric.addHost({
    name: 'server',
    mac: SERVER_MAC,
    ip: SERVER_IP,
    prefixLength: 24,
    bond: { ports: ['eth0', 'eth1'] },
  });
  const leafA = new LabLacpPartner(fabric, 'leafA', {
    systemMac: MLAG_SYSTEM,
    key: MLAG_KEY,
    ports: { swp1: 1 },
  });
  const leafB = new LabLacpPartner(fabric, 'leafB', {
    systemMac: MLAG_SYSTEM,
    key: MLAG_KEY,
    ports: { swp1: 0x8001 },
  });
  fabric.connect('server', 'eth0', 'leafA', 'swp1');
  fabric.connect('server', 'eth1', 'leafB', 'swp1');
  server.arpCache.set(PEER_IP, PEER_MAC);
  const at = (ns: number) => fabric.sim.runUntil(ns);
  return { fabric, server, leafA, leafB, at };
}

/** Starts `n` UDP flows of `count` frames each (ids from `firstId`: distinct source ports). */
function startFlows(server: ReturnType<typeof dualHomed>['server'], n: number, firstId: number, count = 10) {
  for (let id = firstId; id < firstId + n; id++) {
    server.startFlow({ name: `f${id}`, dst: PEER_IP, rate: 10_000, count }, id);
  }
}

/** Flow id → the leaves its frames reached (from `since` ns on). */
function flowPaths(leaves: LabLacpPartner[], since = 0): Map<number, Set<string>> {
  const paths = new Map<number, Set<string>>();
  for (const leaf of leaves) {
    for (const r of leaf.received) {
      const id = r.at >= since ? labFlowId(r.frame) : undefined;
      if (id === undefined) continue;
      let s = paths.get(id);
      if (!s) paths.set(id, (s = new Set()));
      s.add(leaf.name);
    }
  }
  return paths;
}

const out = (server: ReturnType<typeof dualHomed>['server'], port: string) =>
  server.framesOutByPort.get(port) ?? 0;

describe('lab host with an LACP bond (dual-homed to an M-LAG pair)', () => {
  it('aggregates both links into one LAG with the pair’s System within a few simulated seconds', () => {
    const { server, leafA, leafB, at } = dualHomed();
    const bond = server.bond!;
    at(1 * NS_PER_SECOND);
    assert.deepEqual(bond.distributingPorts(), [], 'the 2 s aggregate wait has not run out yet');
    at(3 * NS_PER_SECOND);
    assert.deepEqual(bond.distributingPorts(), ['eth0', 'eth1']);
    assert.deepEqual(leafA.bond.distributingPorts(), ['swp1']);
    assert.deepEqual(leafB.bond.distributingPorts(), ['swp1']);
    const status = bond.status();
    assert.equal(
      status.lagId,
      '[(ffff,02-00-00-00-0a-01,0001,0000,0000),(8000,02-00-00-00-0b-01,000a,0000,0000)]',
      'one LAG: our System at Linux’s priority 65535 and key 1, the pair’s System and key',
    );
    for (const p of status.ports) {
      assert.equal(p.selected, 'SELECTED', p.id);
      assert.equal(p.mux, 'COLLECTING_DISTRIBUTING', p.id);
      assert.equal(p.partner.system, MLAG_SYSTEM, p.id);
      assert.equal(p.partner.key, MLAG_KEY, p.id);
      assert.equal(
        p.actor.state,
        0x3f,
        `${p.id}: active, fast, aggregatable, in sync, collecting, distributing`,
      );
    }
    assert.deepEqual(
      status.ports.map((p) => [p.id, p.actor.port, p.partner.port]),
      [
        ['eth0', 1, 1],
        ['eth1', 2, 0x8001],
      ],
    );
    // Steady: a minute later nothing flapped and LACPDUs ran at the fast rate.
    at(63 * NS_PER_SECOND);
    assert.deepEqual(bond.distributingPorts(), ['eth0', 'eth1']);
    for (const id of ['eth0', 'eth1']) {
      const c = bond.portStatus(id)!.counters;
      assert.equal(c.attachedTransitions, 1, id);
      assert.ok(c.lacpdusOut >= 60 && c.lacpdusOut <= 70, `${id}: ${c.lacpdusOut} LACPDUs out`);
    }
    assert.equal(server.counters.framesOut, 0, 'LACPDUs are not data frames');
  });

  it('spreads flows over both links by hash, and keeps each flow on one link', () => {
    const { server, leafA, leafB, at } = dualHomed();
    at(3 * NS_PER_SECOND);
    startFlows(server, 64, 1);
    at(3 * NS_PER_SECOND + 10 * NS_PER_MS);
    const paths = flowPaths([leafA, leafB]);
    assert.equal(paths.size, 64, 'every flow arrived');
    for (const [id, leaves] of paths)
      assert.equal(leaves.size, 1, `flow ${id} used ${[...leaves].join(' and ')}`);
    const onA = [...paths.values()].filter((s) => s.has('leafA')).length;
    assert.ok(onA >= 22 && onA <= 42, `${onA} of 64 flows on eth0`);
    assert.equal(out(server, 'eth0'), onA * 10);
    assert.equal(out(server, 'eth1'), (64 - onA) * 10);
    assert.equal(out(server, 'eth0') + out(server, 'eth1'), server.counters.framesOut);
    assert.equal(server.counters.noActivePort, 0);
  });

  it('after carrier loss on one link every frame takes the other; when it returns both carry flows again', () => {
    const { fabric, server, leafA, leafB, at } = dualHomed();
    at(3 * NS_PER_SECOND);
    fabric.link('server', 'eth0')!.setUp(false);
    at(3 * NS_PER_SECOND + 1);
    assert.deepEqual(server.bond!.distributingPorts(), ['eth1']);
    startFlows(server, 32, 1);
    at(3 * NS_PER_SECOND + 10 * NS_PER_MS);
    assert.equal(out(server, 'eth0'), 0);
    assert.equal(out(server, 'eth1'), 320);
    assert.equal(leafA.received.length, 0);
    assert.equal(flowPaths([leafB]).size, 32);

    fabric.link('server', 'eth0')!.setUp(true);
    at(6 * NS_PER_SECOND);
    assert.deepEqual(server.bond!.distributingPorts(), ['eth0', 'eth1']);
    const since = fabric.sim.now;
    startFlows(server, 32, 100);
    at(6 * NS_PER_SECOND + 10 * NS_PER_MS);
    const paths = flowPaths([leafA, leafB], since);
    assert.equal(paths.size, 32);
    const onA = [...paths.values()].filter((s) => s.has('leafA')).length;
    assert.ok(onA > 0 && onA < 32, `${onA} of 32 flows on eth0 after the link came back`);
  });

  it('stops using a link the partner drains (LACP out of sync), and uses it again when undrained', () => {
    const { fabric, server, leafA, leafB, at } = dualHomed();
    at(3 * NS_PER_SECOND);
    leafA.lacp.setPortDrained('swp1', true);
    at(3 * NS_PER_SECOND + 1 * NS_PER_MS);
    assert.deepEqual(server.bond!.distributingPorts(), ['eth1']);
    assert.equal(server.bond!.portStatus('eth0')!.mux, 'ATTACHED', 'still attached, but not collecting');
    startFlows(server, 32, 1);
    at(3 * NS_PER_SECOND + 10 * NS_PER_MS);
    assert.equal(out(server, 'eth0'), 0);
    assert.equal(out(server, 'eth1'), 320);
    assert.equal(leafA.received.length, 0);
    assert.equal(flowPaths([leafB]).size, 32);

    leafA.lacp.setPortDrained('swp1', false);
    at(6 * NS_PER_SECOND);
    assert.deepEqual(server.bond!.distributingPorts(), ['eth0', 'eth1']);
    const since = fabric.sim.now;
    startFlows(server, 32, 100);
    at(6 * NS_PER_SECOND + 10 * NS_PER_MS);
    const onA = [...flowPaths([leafA, leafB], since).values()].filter((s) => s.has('leafA')).length;
    assert.ok(onA > 0 && onA < 32, `${onA} of 32 flows on eth0 after undrain`);
  });

  it('accepts data frames only on collecting ports', () => {
    const { server, leafA, leafB, at } = dualHomed();
    const request = padEthernetFrame(
      encodeEthernet({
        dst: 'ff:ff:ff:ff:ff:ff' as Mac,
        src: PEER_MAC,
        vlans: [],
        etherType: ETHERTYPE_ARP,
        payload: encodeArp(arpRequest(PEER_MAC, PEER_IP, SERVER_IP)),
      }),
    );
    at(1 * NS_PER_SECOND);
    leafA.send('swp1', request);
    at(1 * NS_PER_SECOND + 1 * NS_PER_MS);
    assert.equal(server.counters.notCollecting, 1, 'eth0 is not collecting before the bond is up');
    assert.equal(server.counters.arpRepliesSent, 0);
    assert.equal(server.counters.framesIn, 0);

    at(3 * NS_PER_SECOND);
    leafB.send('swp1', request);
    at(3 * NS_PER_SECOND + 1 * NS_PER_MS);
    assert.equal(server.counters.framesIn, 1);
    assert.equal(server.counters.arpRepliesSent, 1);
    const replies = [...leafA.received, ...leafB.received].filter((r) => {
      const eth = decodeEthernet(r.frame);
      return eth.etherType === ETHERTYPE_ARP && decodeArp(eth.payload).op === ARP_OP_REPLY;
    });
    assert.equal(replies.length, 1, 'the reply left by one port');
  });

  it('announces itself (gratuitous ARP) once, when its bond comes up; drops and counts with no active port', () => {
    const { fabric, server, leafA, leafB, at } = dualHomed();
    server.gratuitousArp();
    at(1 * NS_PER_SECOND);
    assert.equal(server.counters.noActivePort, 0, 'remembered, not dropped');
    at(3 * NS_PER_SECOND);
    const announcements = [...leafA.received, ...leafB.received].filter((r) => {
      const eth = decodeEthernet(r.frame);
      return eth.etherType === ETHERTYPE_ARP && isGratuitousArp(decodeArp(eth.payload));
    });
    assert.equal(announcements.length, 1);
    assert.ok(announcements[0]!.at > 2 * NS_PER_SECOND, 'sent when the first port started distributing');

    fabric.link('server', 'eth0')!.setUp(false);
    fabric.link('server', 'eth1')!.setUp(false);
    at(3 * NS_PER_SECOND + 1);
    const before = server.counters.framesOut;
    server.sendIp(
      PEER_IP,
      IPPROTO_UDP,
      encodeUdp({ srcPort: 1, dstPort: 2, checksum: true, payload: new Uint8Array(8) }, SERVER_IP, PEER_IP),
    );
    assert.equal(server.counters.noActivePort, 1);
    assert.equal(server.counters.framesOut, before);
  });

  it('never aggregates with itself when its own LACPDUs come back (eth0 cabled to eth1)', () => {
    const fabric = new Fabric(7);
    const server = fabric.addHost({
      name: 'server',
      mac: SERVER_MAC,
      ip: SERVER_IP,
      prefixLength: 24,
      bond: { ports: ['eth0', 'eth1'] },
    });
    fabric.connect('server', 'eth0', 'server', 'eth1');
    fabric.sim.runUntil(10 * NS_PER_SECOND);
    assert.equal(server.bond!.status().lagId, undefined);
    assert.deepEqual(server.bond!.distributingPorts(), []);
    assert.ok(server.counters.lacpLoopback > 0);
  });
});

describe('topology files: bond: lacp', () => {
  const base = (host: string, links: string[], faults: string[] = []) =>
    [
      'nodes:',
      '  spine1: { kind: spine }',
      '  leaf1: { kind: leaf, vtep: 10.255.0.1 }',
      '  leaf2: { kind: leaf, vtep: 10.255.0.2 }',
      `  server: { kind: host, ip: 10.1.0.10/24, ${host} }`,
      '  other: { kind: host, ip: 10.1.0.11/24 }',
      'links:',
      '  - { a: leaf1:uplink, b: spine1:p1 }',
      '  - { a: leaf2:uplink, b: spine1:p2 }',
      ...links,
      'vnis:',
      '  - { vni: 100, ports: [leaf1:eth1, leaf2:eth1, leaf1:eth2, leaf2:eth9] }',
      ...(faults.length > 0 ? ['faults:', ...faults] : []),
    ].join('\n');

  it('gives a bonded host eth0 and eth1 and an LACP bond over them', () => {
    const t = loadTopology(
      base('bond: lacp', [
        '  - { a: server:eth0, b: leaf1:eth1 }',
        '  - { a: server:eth1, b: leaf2:eth1 }',
        '  - { a: other:eth0, b: leaf1:eth2 }',
      ]),
      'bond.yaml',
    );
    assert.equal(t.nodes.find((n) => n.name === 'server')!.bond, 'lacp');
    assert.equal(t.nodes.find((n) => n.name === 'other')!.bond, undefined);
    const lab = buildLab(t);
    assert.deepEqual(
      lab.fabric
        .host('server')
        .bond!.status()
        .ports.map((p) => [p.id, p.enabled]),
      [
        ['eth0', true],
        ['eth1', true],
      ],
    );
    assert.equal(lab.fabric.host('other').bond, undefined);
    // Leaves that are not an M-LAG pair run no LACP: the server's LACPDUs are link-local
    // (01:80:c2:00:00:02), dropped by the switch rather than flooded back to its other port, so the
    // bond never aggregates.
    lab.fabric.sim.runUntil(5 * NS_PER_SECOND);
    const server = lab.fabric.host('server');
    assert.equal(server.bond!.status().lagId, undefined);
    assert.equal(server.counters.lacpLoopback, 0);
  });

  it('reports a wrong bond mode, wrong host ports and moving a bonded host', () => {
    const text = base(
      'bond: active-backup',
      [
        '  - { a: server:eth0, b: leaf1:eth1 }',
        '  - { a: server:eth1, b: leaf2:eth1 }',
        '  - { a: other:eth1, b: leaf1:eth2 }',
      ],
      ['  - { at: 1s, action: move-host, target: server, to: leaf2:eth9 }'],
    );
    assert.throws(
      () => loadTopology(text, 'bad.yaml'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(
          e.message,
          /bad\.yaml:5:\d+: nodes\.server\.bond: "active-backup" is not a bond mode: write bond: lacp/,
        );
        // Without a valid bond the host is single-homed: eth1 is refused.
        assert.match(e.message, /links\[3\]\.a: hosts have one port, eth0 \(got eth1; bond: lacp gives/);
        assert.match(e.message, /links\[4\]\.a: hosts have one port, eth0 \(got eth1/);
        return true;
      },
    );
    const bonded = base(
      'bond: lacp',
      ['  - { a: server:eth0, b: leaf1:eth1 }', '  - { a: server:eth2, b: leaf2:eth1 }'],
      ['  - { at: 1s, action: move-host, target: server, to: leaf2:eth9 }'],
    );
    assert.throws(
      () => loadTopology(bonded, 'bad.yaml'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        assert.match(e.message, /links\[3\]\.a: bonded hosts have two ports, eth0 and eth1 \(got eth2\)/);
        assert.match(
          e.message,
          /faults\[0\]\.target: "server" is bonded \(bond: lacp\): move-host moves single-homed hosts only/,
        );
        return true;
      },
    );
  });
});
