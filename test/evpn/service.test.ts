/**
 * The EVPN service over two BGP speakers in memory: auto RD/RT, what the data plane is told (flood
 * list, remote MACs, IP↔MAC bindings, prefixes with router MAC), route-target filtering, and MAC
 * mobility between two VTEPs (RFC 7432 §15).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BgpSpeaker } from '../../src/bgp/speaker.js';
import type { VniConfig } from '../../src/evpn/config.js';
import { EvpnService, type EvpnEvent } from '../../src/evpn/service.js';
import type { IpAddress, Ipv4Address, Mac } from '../../src/wire/addr.js';
import { formatRd } from '../../src/wire/evpn.js';
import { MemoryNet } from '../support/bgp-memnet.js';

const L1 = '10.0.0.1' as Ipv4Address;
const L2 = '10.0.0.2' as Ipv4Address;
const VTEP1 = '10.255.0.1' as IpAddress;
const VTEP2 = '10.255.0.2' as IpAddress;
const MAC_A = '00:00:5e:00:01:0a' as Mac;

function vni(n: number, extra: Partial<VniConfig> = {}): VniConfig {
  return { vni: n, rd: 'auto', importTargets: ['auto'], exportTargets: ['auto'], macs: [], ...extra };
}

function fabric(as1: number, as2: number, vnis1: VniConfig[], vnis2: VniConfig[]) {
  const net = new MemoryNet();
  const s1 = new BgpSpeaker({ localAs: as1, routerId: L1 });
  const s2 = new BgpSpeaker({ localAs: as2, routerId: L2 });
  s1.addPeer({ address: L2, remoteAs: as2 });
  s2.addPeer({ address: L1, remoteAs: as1 });
  const e1 = new EvpnService(s1, {
    routerId: L1,
    asn: as1,
    vtepIp: VTEP1,
    vnis: vnis1,
    vrfs: [
      {
        name: 't1',
        l3vni: 5000,
        routerMac: '0c:00:00:00:01:ff' as Mac,
        rd: 'auto',
        importTargets: ['auto'],
        exportTargets: ['auto'],
        prefixes: [],
      },
    ],
  });
  const e2 = new EvpnService(s2, {
    routerId: L2,
    asn: as2,
    vtepIp: VTEP2,
    vnis: vnis2,
    vrfs: [
      {
        name: 't1',
        l3vni: 5000,
        routerMac: '0c:00:00:00:02:ff' as Mac,
        rd: 'auto',
        importTargets: ['auto'],
        exportTargets: ['auto'],
        prefixes: ['10.9.0.0/24'],
      },
    ],
  });
  const events1: EvpnEvent[] = [];
  const events2: EvpnEvent[] = [];
  e1.onEvent((e) => events1.push(e));
  e2.onEvent((e) => events2.push(e));
  net.add(L1, s1);
  net.add(L2, s2);
  e1.start();
  e2.start();
  net.start();
  return { net, e1, e2, events1, events2 };
}

describe('EVPN service', () => {
  it('derives RD router-id:EVI and RT AS:VNI like FRR', () => {
    const { e1 } = fabric(65001, 65002, [vni(100), vni(70000)], [vni(100)]);
    const evi = e1.evis.get(100)!;
    assert.equal(formatRd(evi.rd), '10.0.0.1:100');
    assert.deepEqual(evi.exportTargets, ['65001:100']);
    // A VNI that does not fit RD type 1's 2-octet number gets a free EVI index.
    assert.match(formatRd(e1.evis.get(70000)!.rd), /^10\.0\.0\.1:\d{1,5}$/);
    assert.deepEqual(e1.evis.get(70000)!.exportTargets, ['65001:70000']);
  });

  it('tells the data plane about flood-list VTEPs, remote MACs, IP bindings and prefixes (eBGP, auto import of *:VNI)', () => {
    const { net, e1, events1 } = fabric(
      65001,
      65002,
      [vni(100)],
      [vni(100, { macs: [{ mac: MAC_A, ip: '10.1.0.10' as IpAddress }] })],
    );
    net.drain();
    assert.ok(
      events1.some((e) => e.type === 'flood-vtep' && e.action === 'add' && e.vni === 100 && e.vtep === VTEP2),
    );
    assert.ok(
      events1.some(
        (e) =>
          e.type === 'remote-mac' &&
          e.action === 'add' &&
          e.mac === MAC_A &&
          e.vtep === VTEP2 &&
          e.vni === 100,
      ),
    );
    assert.ok(
      events1.some(
        (e) => e.type === 'remote-neighbor' && e.action === 'add' && e.ip === '10.1.0.10' && e.mac === MAC_A,
      ),
    );
    assert.equal(e1.evis.get(100)!.floodList.has(VTEP2), true);
  });

  it('ignores routes whose route targets a VNI does not import', () => {
    const { net, events1 } = fabric(
      65001,
      65002,
      [vni(100, { importTargets: ['65009:100'], exportTargets: ['auto'] })],
      [vni(100, { macs: [{ mac: MAC_A }] })],
    );
    net.drain();
    assert.deepEqual(
      events1.filter((e) => e.type === 'remote-mac' || e.type === 'flood-vtep'),
      [],
    );
  });

  it('moves a MAC (RFC 7432 §15): sequence +1 at the new VTEP, the old one withdraws and is told', () => {
    const { net, e1, e2, events1, events2 } = fabric(65001, 65002, [vni(100)], [vni(100)]);
    e1.addLocalMac(100, MAC_A);
    net.drain();
    assert.ok(
      events2.some(
        (e) => e.type === 'remote-mac' && e.action === 'add' && e.vtep === VTEP1 && e.sequence === 0,
      ),
    );
    // The VM moves behind leaf2: it is learnt there, advertised with sequence 1.
    e2.addLocalMac(100, MAC_A);
    net.drain();
    const moved = events1.find((e) => e.type === 'local-mac-moved');
    assert.ok(
      moved && moved.type === 'local-mac-moved' && moved.vtep === VTEP2 && moved.sequence === 1,
      JSON.stringify(events1),
    );
    assert.equal(e1.localMacCount(100), 0, 'leaf1 forgot its local entry');
    const last1 = events1.filter((e) => e.type === 'remote-mac').at(-1);
    assert.ok(last1 && last1.action === 'add' && last1.vtep === VTEP2 && last1.sequence === 1);
    // leaf1 withdrew its route: leaf2 has no remote owner left for the MAC.
    const last2 = events2.filter((e) => e.type === 'remote-mac').at(-1);
    assert.ok(last2 && last2.action === 'remove' && last2.vtep === VTEP1);
  });

  it('a Type-5 prefix reaches the VRF with its router MAC; session loss withdraws everything', () => {
    const { net, events1 } = fabric(65001, 65002, [vni(100)], [vni(100)]);
    net.drain();
    const prefix = events1.find((e) => e.type === 'remote-prefix');
    assert.deepEqual(prefix, {
      type: 'remote-prefix',
      action: 'add',
      l3vni: 5000,
      prefix: '10.9.0.0/24',
      vtep: VTEP2,
      routerMac: '0c:00:00:00:02:ff',
    });
    net.cutLink(L1, L2);
    assert.ok(
      events1.some((e) => e.type === 'remote-prefix' && e.action === 'remove' && e.prefix === '10.9.0.0/24'),
    );
    assert.ok(events1.some((e) => e.type === 'flood-vtep' && e.action === 'remove' && e.vtep === VTEP2));
  });
});
