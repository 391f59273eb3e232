/**
 * The software VTEP on real frame bytes, walking seed 004: an ARP request from host A is
 * head-end replicated to exactly the VTEPs of the flood list, each learns MAC_A → VTEP-1 from the
 * decapsulated frame, and the reply comes back unicast to VTEP-1 only. In EVPN mode with ARP
 * suppression (seed 002) the request never leaves the ingress VTEP and the first data frame goes
 * unicast to the right VTEP.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimSwitch, type ControlMode, type SwitchEvent } from '../../src/dataplane/sim/switch.js';
import type { IpAddress, Ipv4Address, Mac, Vni } from '../../src/wire/addr.js';
import { arpReply, arpRequest, decodeArp, encodeArp, ARP_OP_REPLY } from '../../src/wire/arp.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP, ETHERTYPE_VLAN } from '../../src/wire/ethernet.js';
import { decapsulateVxlan, encapsulateVxlan } from '../../src/wire/vxlan.js';
import { udpFrame } from '../../src/wire/sample-frames.js';
import type { Ipv6Address } from '../../src/wire/addr.js';
import {
  decodeIcmpv6,
  encodeIcmpv6,
  ipv6MulticastMac,
  solicitedNodeAddress,
  ND_HOP_LIMIT,
} from '../../src/wire/icmpv6.js';
import { IPPROTO_ICMPV6 } from '../../src/wire/ipv4.js';
import { decodeIpv6, encodeIpv6 } from '../../src/wire/ipv6.js';
import { ETHERTYPE_IPV6 } from '../../src/wire/ethernet.js';

const BROADCAST = 'ff:ff:ff:ff:ff:ff' as Mac;
const ROUTER_MAC = '0c:00:00:00:ff:ff' as Mac;
const HOST = {
  a: { mac: '00:00:5e:00:00:0a' as Mac, ip: '10.1.0.10' as Ipv4Address },
  b: { mac: '00:00:5e:00:00:0b' as Mac, ip: '10.1.0.11' as Ipv4Address },
};

interface Fabric {
  readonly vteps: SimSwitch[];
  /** Frames delivered to host ports, per VTEP index and port. */
  readonly delivered: { vtep: number; port: string; frame: Uint8Array }[];
  /** Every VXLAN frame that crossed the underlay. */
  readonly underlay: { from: number; to: number; frame: Uint8Array }[];
  readonly events: { vtep: number; event: SwitchEvent }[];
  send(vtep: number, port: string, frame: Uint8Array): void;
}

function vtepIp(i: number): Ipv4Address {
  return `10.255.0.${i + 1}` as Ipv4Address;
}

/** Three VTEPs, VNI 100, one access port `eth1` each; underlay frames delivered by outer IP. */
function fabric(mode: ControlMode, arpSuppression = false): Fabric {
  const vteps: SimSwitch[] = [];
  for (let i = 0; i < 3; i++) {
    const sw = new SimSwitch({
      vtepIp: vtepIp(i),
      underlayMac: `0c:00:00:00:0${i}:01` as Mac,
      underlayPort: 'uplink',
      resolveNextHop: () => ROUTER_MAC,
    });
    sw.addBridgeDomain({
      vni: 100,
      mode,
      arpSuppression,
      ...(mode === 'flood-and-learn' ? { floodList: [0, 1, 2].filter((j) => j !== i).map(vtepIp) } : {}),
    });
    sw.addPort({ name: 'eth1', mode: 'access', vni: 100 });
    vteps.push(sw);
  }
  const f: Fabric = {
    vteps,
    delivered: [],
    underlay: [],
    events: [],
    send(vtep, port, frame) {
      const queue = [{ vtep, port, frame }];
      while (queue.length > 0) {
        const x = queue.shift()!;
        const out = vteps[x.vtep]!.receive(x.port, x.frame, 0);
        for (const e of out.events) f.events.push({ vtep: x.vtep, event: e });
        for (const t of out.transmit) {
          if (t.port !== 'uplink') {
            f.delivered.push({ vtep: x.vtep, port: t.port, frame: t.frame });
            continue;
          }
          const to = vteps.findIndex((s) => s.config.vtepIp === decapsulateVxlan(t.frame).outerDstIp);
          f.underlay.push({ from: x.vtep, to, frame: t.frame });
          queue.push({ vtep: to, port: 'uplink', frame: t.frame });
        }
      }
    },
  };
  return f;
}

/** VTEP 0 with nothing configured, its underlay port `uplink`. */
function vtep0(): SimSwitch {
  return new SimSwitch({
    vtepIp: vtepIp(0),
    underlayMac: '0c:00:00:00:00:01' as Mac,
    underlayPort: 'uplink',
    resolveNextHop: () => ROUTER_MAC,
  });
}

/** One EVPN VTEP, VNIs 100 and 200: `eth1` and `eth2` in 100, `eth3` in 200. */
function threePortSwitch(): SimSwitch {
  const sw = vtep0();
  sw.addBridgeDomain({ vni: 100, mode: 'evpn' });
  sw.addBridgeDomain({ vni: 200, mode: 'evpn' });
  sw.addPort({ name: 'eth1', mode: 'access', vni: 100 });
  sw.addPort({ name: 'eth2', mode: 'access', vni: 100 });
  sw.addPort({ name: 'eth3', mode: 'access', vni: 200 });
  return sw;
}

function arpFrame(src: Mac, dst: Mac, payload: Uint8Array): Uint8Array {
  return encodeEthernet({ dst, src, vlans: [], etherType: ETHERTYPE_ARP, payload });
}

describe('software VTEP: seed 004 walk in flood-and-learn mode', () => {
  it('replicates the ARP request to exactly the flood list; remote VTEPs learn MAC_A → VTEP-1; the reply returns unicast', () => {
    const f = fabric('flood-and-learn');
    f.send(
      0,
      'eth1',
      arpFrame(HOST.a.mac, BROADCAST, encodeArp(arpRequest(HOST.a.mac, HOST.a.ip, HOST.b.ip))),
    );
    // Head-end replication: one copy to VTEP-2 and one to VTEP-3, VNI 100, nothing else.
    assert.deepEqual(
      f.underlay.map((u) => [u.from, u.to, decapsulateVxlan(u.frame).vni]),
      [
        [0, 1, 100],
        [0, 2, 100],
      ],
    );
    assert.equal(f.vteps[0]!.counters.replicated, 2);
    // Both decapsulate and deliver to their hosts; neither sends it back into the overlay.
    assert.deepEqual(
      f.delivered.map((d) => d.vtep),
      [1, 2],
    );
    for (const i of [1, 2]) {
      const e = f.vteps[i]!.domain(100)!.fdb.lookup(HOST.a.mac);
      assert.deepEqual(e && e.kind === 'remote' ? [e.vtep, e.source] : e, [vtepIp(0), 'learnt']);
    }
    // Host B (behind VTEP-2) answers: unicast, straight to VTEP-1.
    f.underlay.length = 0;
    f.delivered.length = 0;
    f.send(
      1,
      'eth1',
      arpFrame(HOST.b.mac, HOST.a.mac, encodeArp(arpReply(HOST.b.mac, HOST.b.ip, HOST.a.mac, HOST.a.ip))),
    );
    assert.deepEqual(
      f.underlay.map((u) => [u.from, u.to]),
      [[1, 0]],
    );
    assert.deepEqual(
      f.delivered.map((d) => d.vtep),
      [0],
    );
    assert.equal(decodeArp(decodeEthernet(f.delivered[0]!.frame).payload).op, ARP_OP_REPLY);
    const learnt = f.vteps[0]!.domain(100)!.fdb.lookup(HOST.b.mac);
    assert.equal(learnt?.kind === 'remote' ? learnt.vtep : undefined, vtepIp(1));
  });

  it('reports local MACs and ARP bindings to the control plane', () => {
    const f = fabric('flood-and-learn');
    f.send(
      0,
      'eth1',
      arpFrame(HOST.a.mac, BROADCAST, encodeArp(arpRequest(HOST.a.mac, HOST.a.ip, HOST.b.ip))),
    );
    const mine = f.events.filter((e) => e.vtep === 0).map((e) => e.event);
    assert.deepEqual(mine, [
      { type: 'local-learnt', mac: HOST.a.mac, port: 'eth1', vni: 100 },
      { type: 'local-neighbor', vni: 100, ip: HOST.a.ip, mac: HOST.a.mac },
    ]);
  });
});

describe('software VTEP: EVPN mode with ARP suppression (seed 002)', () => {
  function evpnFabric(): Fabric {
    const f = fabric('evpn', true);
    // What the EVPN service installs from Type-3 and Type-2 routes.
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) if (i !== j) f.vteps[i]!.addFloodVtep(100, vtepIp(j));
    f.vteps[0]!.addRemoteMac(100, HOST.b.mac, vtepIp(1), 0);
    f.vteps[0]!.addNeighbor(100, HOST.b.ip as IpAddress, HOST.b.mac);
    return f;
  }

  it('answers the ARP request at the ingress VTEP: nothing crosses the fabric', () => {
    const f = evpnFabric();
    f.send(
      0,
      'eth1',
      arpFrame(HOST.a.mac, BROADCAST, encodeArp(arpRequest(HOST.a.mac, HOST.a.ip, HOST.b.ip))),
    );
    assert.equal(f.underlay.length, 0);
    assert.equal(f.vteps[0]!.counters.arpSuppressed, 1);
    assert.equal(f.delivered.length, 1);
    const reply = decodeEthernet(f.delivered[0]!.frame);
    assert.equal(reply.dst, HOST.a.mac);
    const arp = decodeArp(reply.payload);
    assert.deepEqual([arp.op, arp.sha, arp.spa], [ARP_OP_REPLY, HOST.b.mac, HOST.b.ip]);
  });

  it('sends the first data frame unicast to the right VTEP, and does not learn remote MACs from the data plane', () => {
    const f = evpnFabric();
    const data = encodeEthernet({
      dst: HOST.b.mac,
      src: HOST.a.mac,
      vlans: [],
      etherType: 0x0800,
      payload: new Uint8Array(46),
    });
    f.send(0, 'eth1', data);
    assert.deepEqual(
      f.underlay.map((u) => [u.from, u.to]),
      [[0, 1]],
    );
    assert.deepEqual(
      f.delivered.map((d) => d.vtep),
      [1],
    );
    assert.equal(
      f.vteps[1]!.domain(100)!.fdb.lookup(HOST.a.mac),
      undefined,
      'RFC 8365 §10: no data-plane learning',
    );
  });

  it('answers an IPv6 Neighbor Solicitation for a known address with a solicited NA (ND suppression)', () => {
    const f = evpnFabric();
    const a6 = '2001:db8:1::a' as Ipv6Address;
    const b6 = '2001:db8:1::b' as Ipv6Address;
    f.vteps[0]!.addNeighbor(100, b6, HOST.b.mac);
    const group = solicitedNodeAddress(b6);
    const ns = encodeIcmpv6(
      {
        kind: 'neighbor-solicitation',
        target: b6,
        options: [{ kind: 'source-link-layer-address', mac: HOST.a.mac }],
      },
      a6,
      group,
    );
    const frame = encodeEthernet({
      dst: ipv6MulticastMac(group),
      src: HOST.a.mac,
      vlans: [],
      etherType: ETHERTYPE_IPV6,
      payload: encodeIpv6({
        trafficClass: 0,
        flowLabel: 0,
        nextHeader: IPPROTO_ICMPV6,
        hopLimit: ND_HOP_LIMIT,
        src: a6,
        dst: group,
        payload: ns,
      }),
    });
    f.send(0, 'eth1', frame);
    assert.equal(f.underlay.length, 0);
    assert.equal(f.vteps[0]!.counters.ndSuppressed, 1);
    const eth = decodeEthernet(f.delivered[0]!.frame);
    const ip = decodeIpv6(eth.payload);
    const na = decodeIcmpv6(ip.payload, ip.src, ip.dst);
    assert.equal(eth.src, HOST.b.mac);
    assert.deepEqual([ip.src, ip.dst], [b6, a6]);
    assert.ok(na.kind === 'neighbor-advertisement' && na.solicited && na.target === b6);
    assert.deepEqual(na.options, [{ kind: 'target-link-layer-address', mac: HOST.b.mac }]);
  });

  it('an unknown request (no binding) is still flooded, once per VTEP', () => {
    const f = evpnFabric();
    f.send(
      0,
      'eth1',
      arpFrame(
        HOST.a.mac,
        BROADCAST,
        encodeArp(arpRequest(HOST.a.mac, HOST.a.ip, '10.1.0.99' as Ipv4Address)),
      ),
    );
    assert.equal(f.underlay.length, 2);
    assert.equal(f.vteps[0]!.counters.arpSuppressed, 0);
  });

  it('a gratuitous ARP stays off the fabric with suppression on (EVPN carries it), and floods without', () => {
    const garp = () =>
      arpFrame(HOST.a.mac, BROADCAST, encodeArp(arpRequest(HOST.a.mac, HOST.a.ip, HOST.a.ip)));
    const suppressed = evpnFabric();
    suppressed.send(0, 'eth1', garp());
    assert.equal(suppressed.underlay.length, 0);
    assert.ok(
      suppressed.events.some((e) => e.event.type === 'local-neighbor'),
      'the binding still reaches EVPN',
    );
    const flooding = fabric('evpn', false);
    for (let j = 1; j < 3; j++) flooding.vteps[0]!.addFloodVtep(100, vtepIp(j));
    flooding.send(0, 'eth1', garp());
    assert.equal(flooding.underlay.length, 2);
  });
});

describe('software VTEP: ports', () => {
  it('maps trunk VLANs to VNIs and restores the tag on egress', () => {
    const sw = vtep0();
    sw.addBridgeDomain({ vni: 100, mode: 'evpn' });
    sw.addPort({ name: 'trunk', mode: 'trunk', vlans: { 10: 100 } });
    sw.addPort({ name: 'eth2', mode: 'access', vni: 100 });
    const tagged = encodeEthernet({
      dst: BROADCAST,
      src: HOST.a.mac,
      vlans: [{ tpid: ETHERTYPE_VLAN, pcp: 0, dei: false, vid: 10 }],
      etherType: 0x0800,
      payload: new Uint8Array(46),
    });
    const out = sw.receive('trunk', tagged, 0);
    assert.deepEqual(
      out.transmit.map((t) => t.port),
      ['eth2'],
    );
    assert.deepEqual(decodeEthernet(out.transmit[0]!.frame).vlans, []);
    const back = sw.receive(
      'eth2',
      encodeEthernet({
        dst: HOST.a.mac,
        src: HOST.b.mac,
        vlans: [],
        etherType: 0x0800,
        payload: new Uint8Array(46),
      }),
      0,
    );
    assert.deepEqual(
      back.transmit.map((t) => t.port),
      ['trunk'],
    );
    assert.equal(decodeEthernet(back.transmit[0]!.frame).vlans[0]?.vid, 10);
    // An unmapped VLAN is dropped and counted.
    sw.receive(
      'trunk',
      encodeEthernet({
        dst: BROADCAST,
        src: HOST.a.mac,
        vlans: [{ tpid: ETHERTYPE_VLAN, pcp: 0, dei: false, vid: 20 }],
        etherType: 0x0800,
        payload: new Uint8Array(46),
      }),
      0,
    );
    assert.equal(sw.counters.dropped, 1);
  });

  it('a port configured again takes effect at once (the last port found is not kept past addPort); the peer-link name is reserved', () => {
    const sw = threePortSwitch();
    const frame = (src: Mac) =>
      encodeEthernet({ dst: BROADCAST, src, vlans: [], etherType: 0x0800, payload: new Uint8Array(46) });
    // A name built afresh each time finds the same port as the literal.
    const name = ['eth', '1'].join('');
    assert.deepEqual(
      sw.receive(name, frame(HOST.a.mac), 0).transmit.map((t) => t.port),
      ['eth2'],
    );
    assert.deepEqual(
      sw.receive('eth1', frame(HOST.a.mac), 0).transmit.map((t) => t.port),
      ['eth2'],
    );
    sw.addPort({ name: 'eth1', mode: 'access', vni: 200 });
    assert.deepEqual(
      sw.receive('eth1', frame(HOST.b.mac), 0).transmit.map((t) => t.port),
      ['eth3'],
    );
    assert.equal(sw.receive('eth9', frame(HOST.b.mac), 0).transmit.length, 0);
    assert.throws(() => sw.addPort({ name: 'peer-link', mode: 'access', vni: 100 }), RangeError);
  });

  it('numbers its ports for drivers: a port keeps its number when configured again, frames in by number are frames in by name, frames out carry the number', () => {
    const sw = threePortSwitch();
    sw.addFloodVtep(100, vtepIp(1));
    const eth1 = sw.portIndex('eth1')!;
    assert.deepEqual(
      ['eth1', 'eth2', 'eth3'].map((n) => sw.portIndex(n)),
      [0, 1, 2],
    );
    assert.equal(sw.portIndex('eth9'), undefined);
    assert.equal(sw.portIndex('uplink'), undefined, 'the underlay port is not a switch port');
    const frame = (src: Mac) =>
      encodeEthernet({ dst: BROADCAST, src, vlans: [], etherType: 0x0800, payload: new Uint8Array(46) });
    const byName = sw.receive('eth1', frame(HOST.a.mac), 0).transmit;
    const atNumber = sw.receiveAt(eth1, frame(HOST.a.mac), 0).transmit;
    assert.deepEqual(
      atNumber.map((t) => [t.port, t.portIndex]),
      byName.map((t) => [t.port, t.portIndex]),
    );
    assert.deepEqual(
      atNumber.map((t) => [t.port, t.portIndex]),
      [
        ['eth2', 1],
        ['uplink', -1],
      ],
    );
    // Configured again (now in VNI 200): same number, new behaviour at once.
    sw.addPort({ name: 'eth1', mode: 'access', vni: 200 });
    assert.equal(sw.portIndex('eth1'), eth1);
    assert.deepEqual(
      sw.receiveAt(eth1, frame(HOST.b.mac), 0).transmit.map((t) => [t.port, t.portIndex]),
      [['eth3', 2]],
    );
  });

  it('counts malformed frames instead of throwing, and ages local MACs out', () => {
    const sw = new SimSwitch({
      vtepIp: vtepIp(0),
      underlayMac: '0c:00:00:00:00:01' as Mac,
      underlayPort: 'uplink',
      resolveNextHop: () => ROUTER_MAC,
      agingNs: 1000,
    });
    sw.addBridgeDomain({ vni: 100, mode: 'evpn' });
    sw.addPort({ name: 'eth1', mode: 'access', vni: 100 });
    sw.receive('eth1', new Uint8Array(5), 0);
    assert.equal(sw.counters.malformed, 1);
    sw.receive(
      'eth1',
      encodeEthernet({
        dst: BROADCAST,
        src: HOST.a.mac,
        vlans: [],
        etherType: 0x0800,
        payload: new Uint8Array(46),
      }),
      0,
    );
    assert.equal(sw.nextDeadline(), 1000);
    assert.deepEqual(sw.poll(1000), [{ type: 'local-aged', mac: HOST.a.mac, port: 'eth1', vni: 100 }]);
  });
});

describe('software VTEP: the byte-level fast path', () => {
  /** One VTEP with 50 remote MACs behind 10.255.0.2, reached through a next hop that can change. */
  function leaf(nextHop: { mac: Mac }): SimSwitch {
    const sw = new SimSwitch({
      vtepIp: vtepIp(0),
      underlayMac: '0c:00:00:00:00:01' as Mac,
      underlayPort: 'uplink',
      resolveNextHop: () => nextHop.mac,
    });
    sw.addBridgeDomain({ vni: 100, mode: 'evpn' });
    sw.addPort({ name: 'eth1', mode: 'access', vni: 100 });
    for (let i = 0; i < 50; i++) sw.addRemoteMac(100, remoteMac(i), vtepIp(1), 0);
    return sw;
  }
  const remoteMac = (i: number) => `02:00:00:00:01:${i.toString(16).padStart(2, '0')}` as Mac;
  const toRemote = (i: number) =>
    udpFrame(
      HOST.a.mac,
      remoteMac(i),
      HOST.a.ip,
      `10.1.1.${i}` as Ipv4Address,
      40000 + i,
      5001,
      new Uint8Array(i),
    );

  it('encapsulates byte for byte as encapsulateVxlan does, and a frame handed out is never overwritten', () => {
    const hop = { mac: ROUTER_MAC };
    const sw = leaf(hop);
    const expected = (i: number, outerDstMac: Mac) =>
      encapsulateVxlan({
        innerFrame: toRemote(i),
        vni: 100 as Vni,
        outerSrcMac: '0c:00:00:00:00:01' as Mac,
        outerDstMac,
        outerSrcIp: vtepIp(0),
        outerDstIp: vtepIp(1),
      });
    const kept: Uint8Array[] = [];
    for (let n = 0; n < 3000; n++) {
      const out = sw.receive('eth1', toRemote(n % 50), 0).transmit;
      assert.equal(out.length, 1);
      if (n < 50) kept.push(out[0]!.frame);
    }
    // 3000 frames of 100-150 octets fill several slabs; the first 50 are as they were built.
    kept.forEach((f, i) => assert.deepEqual(f, expected(i, ROUTER_MAC)));
    // A new next hop towards the same VTEP: the outer header follows it.
    hop.mac = '0c:00:00:00:ff:fe' as Mac;
    assert.deepEqual(sw.receive('eth1', toRemote(7), 0).transmit[0]!.frame, expected(7, hop.mac));
    assert.equal(sw.counters.encapsulated, 3001);
  });

  it('decapsulates from the bytes: unicast to the learnt port, unknown and group MACs flooded, split horizon kept', () => {
    const sw = leaf({ mac: ROUTER_MAC });
    sw.addPort({ name: 'eth2', mode: 'access', vni: 100 });
    sw.receive('eth2', udpFrame(HOST.b.mac, BROADCAST, HOST.b.ip, HOST.a.ip, 1, 2, new Uint8Array(8)), 0);
    const tunnelled = (dst: Mac) =>
      encapsulateVxlan({
        innerFrame: udpFrame(
          remoteMac(1),
          dst,
          '10.1.1.1' as Ipv4Address,
          HOST.b.ip,
          1,
          2,
          new Uint8Array(4),
        ),
        vni: 100 as Vni,
        outerSrcMac: ROUTER_MAC,
        outerDstMac: '0c:00:00:00:00:01' as Mac,
        outerSrcIp: vtepIp(1),
        outerDstIp: vtepIp(0),
      });
    const ports = (dst: Mac) => sw.receive('uplink', tunnelled(dst), 0).transmit.map((t) => t.port);
    assert.deepEqual(ports(HOST.b.mac), ['eth2']);
    assert.deepEqual(ports('00:00:5e:00:00:99' as Mac).sort(), ['eth1', 'eth2']);
    assert.deepEqual(ports(BROADCAST).sort(), ['eth1', 'eth2']);
    const out = sw.receive('uplink', tunnelled(HOST.b.mac), 0).transmit[0]!.frame;
    assert.deepEqual(out, decapsulateVxlan(tunnelled(HOST.b.mac)).innerFrame);
    assert.equal(sw.counters.decapsulated, 4);
    assert.equal(sw.counters.encapsulated, 0);
  });
});
