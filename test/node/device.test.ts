/**
 * Two VTEP devices end to end: real BGP-EVPN between them (in memory), real frames between their
 * software switches. Seed 002's L2 population: once host B has spoken, VTEP-1 knows B's MAC and IP
 * from EVPN, answers A's ARP request itself and sends A's first frame unicast to VTEP-2. Then B
 * migrates to VTEP-1 (RFC 7432 §15): VTEP-2 forgets its local entry and points at VTEP-1.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BgpSpeaker } from '../../src/bgp/speaker.js';
import { SimSwitch } from '../../src/dataplane/sim/switch.js';
import { EvpnService } from '../../src/evpn/service.js';
import { VtepDevice } from '../../src/node/device.js';
import type { Ipv4Address, Mac } from '../../src/wire/addr.js';
import { arpRequest, decodeArp, encodeArp, ARP_OP_REPLY } from '../../src/wire/arp.js';
import { decodeEthernet, encodeEthernet, ETHERTYPE_ARP } from '../../src/wire/ethernet.js';
import { decapsulateVxlan } from '../../src/wire/vxlan.js';
import { MemoryNet } from '../support/bgp-memnet.js';

const BROADCAST = 'ff:ff:ff:ff:ff:ff' as Mac;
const A = { mac: '00:00:5e:00:00:0a' as Mac, ip: '10.1.0.10' as Ipv4Address };
const B = { mac: '00:00:5e:00:00:0b' as Mac, ip: '10.1.0.11' as Ipv4Address };

function device(index: number, asn: number, peerAsn: number): VtepDevice {
  const routerId = `10.0.0.${index}` as Ipv4Address;
  const vtepIp = `10.255.0.${index}` as Ipv4Address;
  const speaker = new BgpSpeaker({ localAs: asn, routerId });
  speaker.addPeer({ address: `10.0.0.${3 - index}`, remoteAs: peerAsn });
  const evpn = new EvpnService(speaker, {
    routerId,
    asn,
    vtepIp,
    vnis: [{ vni: 100, rd: 'auto', importTargets: ['auto'], exportTargets: ['auto'], macs: [] }],
    vrfs: [],
  });
  const dataplane = new SimSwitch({
    vtepIp,
    underlayMac: `0c:00:00:00:0${index}:01` as Mac,
    underlayPort: 'uplink',
    resolveNextHop: () => '0c:00:00:00:ff:ff' as Mac,
  });
  dataplane.addBridgeDomain({ vni: 100, mode: 'evpn', arpSuppression: true });
  dataplane.addPort({ name: 'eth1', mode: 'access', vni: 100 });
  dataplane.addPort({ name: 'eth2', mode: 'access', vni: 100 });
  evpn.start();
  return new VtepDevice({ speaker, evpn, dataplane });
}

function arp(src: Mac, srcIp: Ipv4Address, target: Ipv4Address): Uint8Array {
  return encodeEthernet({
    dst: BROADCAST,
    src,
    vlans: [],
    etherType: ETHERTYPE_ARP,
    payload: encodeArp(arpRequest(src, srcIp, target)),
  });
}

describe('two VTEP devices: EVPN drives the data plane', () => {
  it('L2 population, ARP suppression, unicast first frame, and a VM move', () => {
    const net = new MemoryNet();
    const d1 = device(1, 65001, 65002);
    const d2 = device(2, 65002, 65001);
    net.add('10.0.0.1', d1.speaker);
    net.add('10.0.0.2', d2.speaker);
    net.start();
    const devices = [d1, d2];
    const underlay: { from: number; to: number }[] = [];
    const delivered: { at: number; port: string; frame: Uint8Array }[] = [];
    const send = (at: number, port: string, frame: Uint8Array) => {
      const queue = [{ at, port, frame }];
      while (queue.length > 0) {
        const x = queue.shift()!;
        const d = devices[x.at]!;
        const out = d.dataplane.receive(x.port, x.frame, 0);
        d.onSwitchEvents(out.events, 0);
        for (const t of out.transmit) {
          if (t.port !== 'uplink') {
            delivered.push({ at: x.at, port: t.port, frame: t.frame });
            continue;
          }
          const to = decapsulateVxlan(t.frame).outerDstIp === '10.255.0.1' ? 0 : 1;
          underlay.push({ from: x.at, to });
          queue.push({ at: to, port: 'uplink', frame: t.frame });
        }
      }
      net.drain();
    };
    // Type-3 routes built the flood lists.
    assert.deepEqual([...d1.dataplane.domain(100)!.floodList], ['10.255.0.2']);

    // Host B (VTEP-2, eth1) speaks first: its ARP is flooded once to VTEP-1, and its MAC/IP advertised.
    send(1, 'eth1', arp(B.mac, B.ip, '10.1.0.1' as Ipv4Address));
    assert.deepEqual(underlay, [{ from: 1, to: 0 }]);
    const bAtD1 = d1.dataplane.domain(100)!.fdb.lookup(B.mac);
    assert.deepEqual(bAtD1?.kind === 'remote' ? [bAtD1.vtep, bAtD1.source] : bAtD1, ['10.255.0.2', 'evpn']);
    assert.equal(d1.dataplane.domain(100)!.neighbors.get(B.ip), B.mac);

    // Host A asks for B: VTEP-1 answers, nothing crosses the fabric.
    underlay.length = 0;
    delivered.length = 0;
    send(0, 'eth1', arp(A.mac, A.ip, B.ip));
    assert.deepEqual(underlay, []);
    assert.equal(d1.dataplane.counters.arpSuppressed, 1);
    const reply = decodeArp(decodeEthernet(delivered[0]!.frame).payload);
    assert.deepEqual([reply.op, reply.sha], [ARP_OP_REPLY, B.mac]);

    // A's first data frame goes unicast to VTEP-2 only.
    delivered.length = 0;
    send(
      0,
      'eth1',
      encodeEthernet({ dst: B.mac, src: A.mac, vlans: [], etherType: 0x0800, payload: new Uint8Array(46) }),
    );
    assert.deepEqual(underlay, [{ from: 0, to: 1 }]);
    assert.deepEqual(
      delivered.map((d) => [d.at, d.port]),
      [[1, 'eth1']],
    );

    // B migrates to VTEP-1 (eth2) and announces itself with a gratuitous ARP.
    send(0, 'eth2', arp(B.mac, B.ip, B.ip));
    const bAtD2 = d2.dataplane.domain(100)!.fdb.lookup(B.mac);
    assert.deepEqual(
      bAtD2?.kind === 'remote' ? bAtD2.vtep : bAtD2,
      '10.255.0.1',
      'VTEP-2 now points at VTEP-1',
    );
    assert.equal(d2.evpn.localMacCount(100), 0, 'VTEP-2 withdrew its local B');
    const best = [...d2.speaker.evpn.destinations.values()].find(
      (x) => x.best?.attrs.macMobility?.sequence === 1,
    );
    assert.ok(best, 'VTEP-1 advertised B with MAC mobility sequence 1');
  });
});
