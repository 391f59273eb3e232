/**
 * The EVPN service over two BGP speakers in memory: auto RD/RT, what the data plane is told (flood
 * list, remote MACs, IP↔MAC bindings, prefixes with router MAC), route-target filtering, and MAC
 * mobility between two VTEPs (RFC 7432 §15); an M-LAG pair sharing one anycast VTEP (two originators,
 * one next hop), and a directly fed Loc-RIB for any interleaving of originators.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  FamilyRib,
  LOCAL_PEER,
  summariseAttributes,
  type BestChange,
  type RibPeer,
} from '../../src/bgp/rib.js';
import { BgpSpeaker, type RouteChange } from '../../src/bgp/speaker.js';
import type { VniConfig } from '../../src/evpn/config.js';
import {
  inclusiveMulticastRoute,
  ipPrefixRoute,
  macIpRoute,
  routeTargetCommunity,
} from '../../src/evpn/routes.js';
import { EvpnService, type EvpnEvent } from '../../src/evpn/service.js';
import type { Asn, IpAddress, Ipv4Address, Mac } from '../../src/wire/addr.js';
import type { ExtendedCommunity } from '../../src/wire/bgp-community.js';
import { PMSI_TUNNEL_TYPE_INGRESS_REPLICATION, type PathAttribute } from '../../src/wire/bgp-update.js';
import { evpnRouteKey, formatRd, parseRd, type EvpnRoute } from '../../src/wire/evpn.js';
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

// ---- M-LAG: one anycast VTEP, two originators --------------------------------------------------

const VTEP_V = '10.255.0.100' as IpAddress; // the pair's shared (virtual) VTEP
const OWN2 = '10.255.1.2' as IpAddress;
const OWN3 = '10.255.1.3' as IpAddress;
const L3 = '10.0.0.3' as Ipv4Address;
const MAC_B = '00:00:5e:00:01:0b' as Mac;
const HOST_IP = '10.1.0.10' as IpAddress;
const PAIR_ROUTER_MAC = '0c:00:00:00:0a:ff' as Mac;

interface LeafSpec {
  readonly address: Ipv4Address;
  readonly asn: number;
  readonly vtepIp: IpAddress;
  readonly ownVtepIp?: IpAddress;
  readonly vnis: readonly VniConfig[];
  readonly prefixes?: readonly string[];
  readonly routerMac?: Mac;
}

/** Leaves in a MemoryNet, with BGP sessions between the given pairs. */
function leaves(specs: readonly LeafSpec[], links: readonly [Ipv4Address, Ipv4Address][]) {
  const net = new MemoryNet();
  const byAddress = new Map<string, { speaker: BgpSpeaker; evpn: EvpnService; events: EvpnEvent[] }>();
  for (const spec of specs) {
    const speaker = new BgpSpeaker({ localAs: spec.asn, routerId: spec.address });
    const evpn = new EvpnService(speaker, {
      routerId: spec.address,
      asn: spec.asn,
      vtepIp: spec.vtepIp,
      ...(spec.ownVtepIp !== undefined ? { ownVtepIp: spec.ownVtepIp } : {}),
      vnis: spec.vnis,
      vrfs: [
        {
          name: 't1',
          l3vni: 5000,
          routerMac: spec.routerMac ?? PAIR_ROUTER_MAC,
          rd: 'auto',
          importTargets: ['auto'],
          exportTargets: ['auto'],
          prefixes: spec.prefixes ?? [],
        },
      ],
    });
    const events: EvpnEvent[] = [];
    evpn.onEvent((e) => events.push(e));
    byAddress.set(spec.address, { speaker, evpn, events });
    net.add(spec.address, speaker);
  }
  const get = (a: string) => byAddress.get(a)!;
  for (const [a, b] of links) {
    get(a).speaker.addPeer({ address: b, remoteAs: get(b).speaker.config.localAs });
    get(b).speaker.addPeer({ address: a, remoteAs: get(a).speaker.config.localAs });
  }
  for (const { evpn } of byAddress.values()) evpn.start();
  net.start();
  net.drain();
  return { net, get };
}

/**
 * A remote leaf L1 and an M-LAG pair L2/L3 (one AS, virtual VTEP V, no session between them, so
 * L1 holds each device's routes from that device only and a cut link withdraws exactly those).
 */
function pairAndRemote(pairVni: VniConfig = vni(100, { vrf: 't1' }), prefixes: readonly string[] = []) {
  return leaves(
    [
      { address: L1, asn: 65001, vtepIp: VTEP1, vnis: [vni(100)], routerMac: '0c:00:00:00:01:ff' as Mac },
      { address: L2, asn: 65002, vtepIp: VTEP_V, ownVtepIp: OWN2, vnis: [pairVni], prefixes },
      { address: L3, asn: 65002, vtepIp: VTEP_V, ownVtepIp: OWN3, vnis: [pairVni], prefixes },
    ],
    [
      [L1, L2],
      [L1, L3],
    ],
  );
}

function ofType<T extends EvpnEvent['type']>(events: readonly EvpnEvent[], type: T) {
  return events.filter((e): e is Extract<EvpnEvent, { type: T }> => e.type === type);
}

describe('EVPN service with an M-LAG pair (anycast VTEP)', () => {
  it("keeps the pair's VTEP in the flood list until both Type-3s (two RDs, one tunnel id) are withdrawn", () => {
    const { net, get } = pairAndRemote();
    const l1 = get(L1);
    assert.deepEqual([...l1.evpn.evis.get(100)!.floodList], [VTEP_V]);
    assert.deepEqual(ofType(l1.events, 'flood-vtep'), [
      { type: 'flood-vtep', action: 'add', vni: 100, vtep: VTEP_V },
    ]);
    net.cutLink(L1, L2);
    assert.deepEqual([...l1.evpn.evis.get(100)!.floodList], [VTEP_V], 'L3 still holds it');
    assert.equal(ofType(l1.events, 'flood-vtep').length, 1);
    net.cutLink(L1, L3);
    assert.deepEqual([...l1.evpn.evis.get(100)!.floodList], []);
    assert.deepEqual(ofType(l1.events, 'flood-vtep').at(-1), {
      type: 'flood-vtep',
      action: 'remove',
      vni: 100,
      vtep: VTEP_V,
    });
  });

  it('a dual-homed MAC+IP with an L3VNI: one binding and one host route until the last originator withdraws', () => {
    const { net, get } = pairAndRemote();
    const l1 = get(L1);
    get(L2).evpn.addLocalMac(100, MAC_A, HOST_IP);
    get(L3).evpn.addLocalMac(100, MAC_A, HOST_IP);
    net.drain();
    assert.deepEqual(ofType(l1.events, 'remote-neighbor'), [
      {
        type: 'remote-neighbor',
        action: 'add',
        vni: 100,
        ip: HOST_IP,
        mac: MAC_A,
        vtep: VTEP_V,
        l3vni: 5000,
        routerMac: PAIR_ROUTER_MAC,
      },
    ]);
    assert.deepEqual(ofType(l1.events, 'remote-prefix'), [
      {
        type: 'remote-prefix',
        action: 'add',
        l3vni: 5000,
        prefix: '10.1.0.10/32',
        vtep: VTEP_V,
        routerMac: PAIR_ROUTER_MAC,
      },
    ]);
    assert.equal(ofType(l1.events, 'remote-mac').length, 1);
    const before = l1.events.length;
    get(L2).evpn.removeLocalMac(100, MAC_A);
    net.drain();
    assert.deepEqual(l1.events.slice(before), [], 'L3 still advertises the MAC+IP');
    get(L3).evpn.removeLocalMac(100, MAC_A);
    net.drain();
    assert.deepEqual(
      l1.events
        .slice(before)
        .map((e) => `${e.type} ${'action' in e ? e.action : ''}`)
        .sort(),
      ['remote-mac remove', 'remote-neighbor remove', 'remote-prefix remove'],
    );
    assert.deepEqual(ofType(l1.events, 'remote-neighbor').at(-1), {
      type: 'remote-neighbor',
      action: 'remove',
      vni: 100,
      ip: HOST_IP,
      mac: MAC_A,
      vtep: VTEP_V,
    });
  });

  it('a Type-5 prefix from both devices of the pair stays until both withdraw it', () => {
    const { net, get } = pairAndRemote(undefined, ['10.9.0.0/24']);
    const l1 = get(L1);
    const prefixEvents = () => ofType(l1.events, 'remote-prefix').filter((e) => e.prefix === '10.9.0.0/24');
    assert.deepEqual(
      prefixEvents().map((e) => [e.action, e.vtep]),
      [['add', VTEP_V]],
    );
    net.cutLink(L1, L3);
    assert.equal(prefixEvents().length, 1, 'L2 still advertises it');
    net.cutLink(L1, L2);
    assert.deepEqual(
      prefixEvents().map((e) => [e.action, e.vtep]),
      [
        ['add', VTEP_V],
        ['remove', VTEP_V],
      ],
    );
  });

  it("treats routes with our own VTEP as next hop (the M-LAG peer's) as not remote", () => {
    // The pair has its own session, so each device sees the other's routes at the shared VTEP.
    const { net, get } = leaves(
      [
        { address: L1, asn: 65001, vtepIp: VTEP1, vnis: [vni(100)], routerMac: '0c:00:00:00:01:ff' as Mac },
        {
          address: L2,
          asn: 65002,
          vtepIp: VTEP_V,
          ownVtepIp: OWN2,
          vnis: [vni(100, { vrf: 't1' })],
          prefixes: ['10.9.0.0/24'],
        },
        {
          address: L3,
          asn: 65002,
          vtepIp: VTEP_V,
          ownVtepIp: OWN3,
          vnis: [vni(100, { vrf: 't1' })],
          prefixes: ['10.9.0.0/24'],
        },
      ],
      [
        [L1, L2],
        [L1, L3],
        [L2, L3],
      ],
    );
    const l2 = get(L2);
    get(L3).evpn.addLocalMac(100, MAC_B, '10.1.0.11' as IpAddress);
    get(L2).evpn.addLocalMac(100, MAC_A, HOST_IP);
    net.drain();
    get(L3).evpn.addLocalMac(100, MAC_A, HOST_IP);
    net.drain();
    get(L3).evpn.removeLocalMac(100, MAC_B);
    net.drain();
    net.cutLink(L2, L3);
    net.cutLink(L1, L3);
    // Everything L2 was told is about L1's VTEP; nothing about the pair's own.
    const aboutOwn = l2.events.filter((e) => 'vtep' in e && (e.vtep === VTEP_V || e.vtep === OWN2));
    assert.deepEqual(aboutOwn, []);
    assert.ok(l2.events.some((e) => e.type === 'flood-vtep' && e.vtep === VTEP1));
    // Both devices learnt MAC_A on the shared VTEP: neither saw it move away.
    assert.equal(l2.evpn.localMacCount(100), 1);
    assert.equal(get(L3).evpn.localMacCount(100), 1);
  });

  it("advertises a single-homed MAC with options.vtep; the pair's other device sees it as remote", () => {
    const { net, get } = leaves(
      [
        { address: L1, asn: 65001, vtepIp: VTEP1, vnis: [vni(100)], routerMac: '0c:00:00:00:01:ff' as Mac },
        { address: L2, asn: 65002, vtepIp: VTEP_V, ownVtepIp: OWN2, vnis: [vni(100, { vrf: 't1' })] },
        { address: L3, asn: 65002, vtepIp: VTEP_V, ownVtepIp: OWN3, vnis: [vni(100, { vrf: 't1' })] },
      ],
      [
        [L1, L2],
        [L2, L3],
      ],
    );
    const l2 = get(L2);
    l2.evpn.addLocalMac(100, MAC_B, HOST_IP, { vtep: OWN2 });
    net.drain();
    const rd = l2.evpn.evis.get(100)!.rd;
    const macKey = evpnRouteKey(macIpRoute(rd, MAC_B, undefined, 100));
    const macIpKey = evpnRouteKey(macIpRoute(rd, MAC_B, HOST_IP, 100));
    for (const key of [macKey, macIpKey]) {
      assert.equal(l2.speaker.evpn.best(key)?.attrs.nextHop, OWN2, 'our Loc-RIB');
      assert.equal(get(L1).speaker.evpn.best(key)?.attrs.nextHop, OWN2, "the remote leaf's Loc-RIB");
      assert.equal(get(L3).speaker.evpn.best(key)?.attrs.nextHop, OWN2, "the M-LAG peer's Loc-RIB");
    }
    for (const other of [get(L1), get(L3)]) {
      assert.ok(other.events.some((e) => e.type === 'remote-mac' && e.mac === MAC_B && e.vtep === OWN2));
      assert.ok(
        other.events.some((e) => e.type === 'remote-neighbor' && e.ip === HOST_IP && e.vtep === OWN2),
      );
    }
    // The host moves onto the pair's shared port: same device, new next hop, sequence + 1.
    l2.evpn.addLocalMac(100, MAC_B, undefined, { vtep: VTEP_V });
    net.drain();
    for (const key of [macKey, macIpKey]) {
      const best = get(L1).speaker.evpn.best(key);
      assert.equal(best?.attrs.nextHop, VTEP_V);
      assert.equal(best?.attrs.macMobility?.sequence, 1);
    }
    assert.equal(
      ofType(get(L3).events, 'remote-mac').at(-1)?.action,
      'remove',
      'at the shared VTEP it is not remote to the peer',
    );
    l2.evpn.removeLocalMac(100, MAC_B);
    net.drain();
    assert.equal(get(L1).speaker.evpn.best(macKey), undefined);
    assert.equal(get(L1).speaker.evpn.best(macIpKey), undefined);
    assert.throws(() => l2.evpn.addLocalMac(100, MAC_B, undefined, { vtep: VTEP1 }), RangeError);
  });
});

// ---- direct RIB injection: many originators, any order ----------------------------------------

/**
 * The EVPN service on a Loc-RIB fed directly: `announce`/`withdraw` put a peer's path in a real
 * FamilyRib and hand the best-path change to the service, as the speaker does; local routes go in
 * as the speaker's own (peer 0).
 */
function ribHarness(config: { vtepIp: IpAddress; ownVtepIp?: IpAddress; vnis?: VniConfig[] }) {
  const rib = new FamilyRib<EvpnRoute>((r) => r.type === 'mac-ip');
  let listener: ((c: RouteChange) => void) | undefined;
  const apply = (change: BestChange<EvpnRoute> | undefined) => {
    if (change) listener?.({ family: 'l2vpn-evpn', change });
  };
  const speaker = {
    onRouteChange: (l: (c: RouteChange) => void) => (listener = l),
    originateEvpn: (route: EvpnRoute, attributes: readonly PathAttribute[], nextHop: IpAddress) =>
      apply(rib.update(evpnRouteKey(route), route, LOCAL_PEER, summariseAttributes(attributes, nextHop))),
    withdrawEvpn: (route: EvpnRoute) => apply(rib.withdraw(evpnRouteKey(route), LOCAL_PEER.id)),
    // This RIB is fed directly, not from peers: there is nothing to filter on receipt.
    setEvpnImportFilter: () => undefined,
  } as unknown as BgpSpeaker;
  const evpn = new EvpnService(speaker, {
    routerId: L1,
    asn: 65001,
    vtepIp: config.vtepIp,
    ...(config.ownVtepIp !== undefined ? { ownVtepIp: config.ownVtepIp } : {}),
    vnis: config.vnis ?? [vni(100, { vrf: 't1' })],
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
  const events: EvpnEvent[] = [];
  evpn.onEvent((e) => events.push(e));
  const peers = new Map<number, RibPeer>();
  const peer = (id: number): RibPeer => {
    let p = peers.get(id);
    if (!p) {
      const address = `10.0.1.${id}` as Ipv4Address;
      peers.set(id, (p = { id, address, addressOrder: id, ibgp: false, routerId: address }));
    }
    return p;
  };
  return {
    evpn,
    events,
    rib,
    announce(peerId: number, route: EvpnRoute, attributes: readonly PathAttribute[], nextHop: IpAddress) {
      apply(rib.update(evpnRouteKey(route), route, peer(peerId), summariseAttributes(attributes, nextHop)));
    },
    withdraw(peerId: number, route: EvpnRoute) {
      apply(rib.withdraw(evpnRouteKey(route), peerId));
    },
  };
}

/** What a remote originator's route carries: route targets, optional mobility, router MAC and PMSI. */
function remoteAttributes(
  targets: readonly string[],
  extra: { sequence?: number; routerMac?: Mac; pmsiVni?: number; tunnel?: IpAddress } = {},
): PathAttribute[] {
  const communities: ExtendedCommunity[] = targets.map(routeTargetCommunity);
  if (extra.sequence !== undefined)
    communities.push({ kind: 'mac-mobility', sequence: extra.sequence, sticky: false });
  if (extra.routerMac !== undefined) communities.push({ kind: 'router-mac', mac: extra.routerMac });
  const attrs: PathAttribute[] = [
    { type: 'origin', origin: 'igp' },
    { type: 'as-path', segments: [{ kind: 'sequence', asns: [65009 as Asn] }] },
    { type: 'extended-communities', communities },
  ];
  if (extra.pmsiVni !== undefined && extra.tunnel !== undefined) {
    attrs.push({
      type: 'pmsi-tunnel',
      tunnelFlags: 0,
      tunnelType: PMSI_TUNNEL_TYPE_INGRESS_REPLICATION,
      label: extra.pmsiVni,
      tunnelId: extra.tunnel,
    });
  }
  return attrs;
}

/** Our local MAC route as the Loc-RIB holds it. */
function localMacPath(h: ReturnType<typeof ribHarness>, mac: Mac) {
  return h.rib.best(evpnRouteKey(macIpRoute(h.evpn.evis.get(100)!.rd, mac, undefined, 100)));
}

describe('EVPN service on a directly fed Loc-RIB', () => {
  const peerRd = (n: number) => parseRd(`10.0.0.${n}:100`);

  it('a higher sequence from our M-LAG peer at our shared VTEP is taken over, not a move away', () => {
    const h = ribHarness({ vtepIp: VTEP_V, ownVtepIp: OWN2 });
    h.evpn.addLocalMac(100, MAC_A);
    assert.equal(localMacPath(h, MAC_A)?.attrs.macMobility, undefined);
    // Our peer saw the MAC arrive from elsewhere and advertises it at the shared VTEP with sequence 2.
    h.announce(
      3,
      macIpRoute(peerRd(3), MAC_A, undefined, 100),
      remoteAttributes(['65009:100'], { sequence: 2 }),
      VTEP_V,
    );
    assert.equal(h.events.length, 0);
    assert.equal(h.evpn.localMacCount(100), 1);
    assert.deepEqual(localMacPath(h, MAC_A)?.attrs.macMobility, { sequence: 2, sticky: false });
    assert.equal(localMacPath(h, MAC_A)?.attrs.nextHop, VTEP_V);
    // A MAC learnt after the peer advertised it at the shared VTEP matches its sequence (no move).
    h.announce(
      3,
      macIpRoute(peerRd(3), MAC_B, undefined, 100),
      remoteAttributes(['65009:100'], { sequence: 4 }),
      VTEP_V,
    );
    h.evpn.addLocalMac(100, MAC_B);
    assert.equal(localMacPath(h, MAC_B)?.attrs.macMobility?.sequence, 4);
    // ... and one learnt on a single-homed port (our own VTEP) moved there: sequence + 1.
    h.evpn.removeLocalMac(100, MAC_B);
    h.evpn.addLocalMac(100, MAC_B, undefined, { vtep: OWN2 });
    assert.deepEqual(localMacPath(h, MAC_B)?.attrs.macMobility?.sequence, 5);
    assert.equal(localMacPath(h, MAC_B)?.attrs.nextHop, OWN2);
    assert.equal(h.events.length, 0);
    // A remote VTEP with a higher sequence still moves it away from us.
    h.announce(
      4,
      macIpRoute(peerRd(4), MAC_A, undefined, 100),
      remoteAttributes(['65009:100'], { sequence: 3 }),
      VTEP2,
    );
    assert.deepEqual(
      h.events.map((e) => e.type),
      ['local-mac-moved', 'remote-mac'],
    );
    assert.equal(h.evpn.localMacCount(100), 1);
    assert.equal(localMacPath(h, MAC_A), undefined, 'withdrawn');
  });

  it('a MAC at our own VTEP suppresses no local entry and is never announced, also on withdrawal', () => {
    const h = ribHarness({ vtepIp: VTEP_V, ownVtepIp: OWN2 });
    const stale = macIpRoute(peerRd(4), MAC_A, undefined, 100);
    const peerRoute = macIpRoute(peerRd(3), MAC_A, undefined, 100);
    h.announce(4, stale, remoteAttributes(['65009:100']), VTEP2);
    assert.equal(ofType(h.events, 'remote-mac').at(-1)?.vtep, VTEP2);
    // Our peer saw it move to the pair (sequence 1): it is no longer remote to us.
    h.announce(3, peerRoute, remoteAttributes(['65009:100'], { sequence: 1 }), VTEP_V);
    assert.deepEqual(ofType(h.events, 'remote-mac').at(-1), {
      type: 'remote-mac',
      action: 'remove',
      vni: 100,
      mac: MAC_A,
      vtep: VTEP2,
      sequence: 0,
      sticky: false,
    });
    const before = h.events.length;
    h.withdraw(4, stale);
    h.withdraw(3, peerRoute);
    assert.deepEqual(h.events.slice(before), []);
  });

  it('an IP that moves to another MAC shows the newest binding, and falls back when it goes', () => {
    const h = ribHarness({ vtepIp: VTEP1 });
    const r1 = macIpRoute(peerRd(2), MAC_A, HOST_IP, 100);
    const r2 = macIpRoute(peerRd(3), MAC_B, HOST_IP, 100);
    const neighbor = () => ofType(h.events, 'remote-neighbor').map((e) => `${e.action} ${e.mac}`);
    h.announce(2, r1, remoteAttributes(['65009:100']), VTEP2);
    h.announce(3, r2, remoteAttributes(['65009:100']), OWN3);
    assert.deepEqual(neighbor(), [`add ${MAC_A}`, `add ${MAC_B}`]);
    h.withdraw(2, r1);
    assert.deepEqual(neighbor(), [`add ${MAC_A}`, `add ${MAC_B}`], 'the old binding going changes nothing');
    h.announce(2, r1, remoteAttributes(['65009:100']), VTEP2);
    h.withdraw(2, r1);
    h.withdraw(3, r2);
    assert.deepEqual(neighbor(), [
      `add ${MAC_A}`,
      `add ${MAC_B}`,
      `add ${MAC_A}`,
      `add ${MAC_B}`,
      `remove ${MAC_B}`,
    ]);
  });

  it('any interleaving of originators leaves the data plane equal to the union of current routes', () => {
    const OUR = VTEP1;
    // Originators 2 and 3 share an anycast VTEP, 4 is alone, 5 is our own M-LAG peer (our VTEP).
    const nextHopOf: Record<number, IpAddress> = { 2: VTEP_V, 3: VTEP_V, 4: VTEP2, 5: OUR };
    const macOf: Record<number, Mac> = { 2: MAC_A, 3: MAC_A, 4: MAC_B, 5: MAC_A };
    const routerMacOf = (vtep: IpAddress) => `0c:00:00:00:0${vtep === VTEP2 ? 2 : 9}:ff` as Mac;
    type Kind = 'imet' | 'mac-ip' | 'prefix' | 'host-prefix';
    const kinds: Kind[] = ['imet', 'mac-ip', 'prefix', 'host-prefix'];
    const routeOf = (o: number, kind: Kind): EvpnRoute => {
      const rd = peerRd(o);
      switch (kind) {
        case 'imet':
          return inclusiveMulticastRoute(rd, nextHopOf[o]!);
        case 'mac-ip':
          return macIpRoute(rd, macOf[o]!, HOST_IP, 100, 5000);
        case 'host-prefix':
          // A Type-5 /32 for the same host: held together with the MAC+IP host route.
          return ipPrefixRoute(parseRd(`10.0.0.${o}:5000`), '10.1.0.10/32', 5000);
        case 'prefix':
          return ipPrefixRoute(parseRd(`10.0.0.${o}:5000`), '10.9.0.0/24', 5000);
      }
    };
    const attrsOf = (o: number, kind: Kind) =>
      kind === 'imet'
        ? remoteAttributes(['65009:100'], { pmsiVni: 100, tunnel: nextHopOf[o]! })
        : kind === 'mac-ip'
          ? remoteAttributes(['65009:100', '65009:5000'], { routerMac: routerMacOf(nextHopOf[o]!) })
          : remoteAttributes(['65009:5000'], { routerMac: routerMacOf(nextHopOf[o]!) });
    const step = fc.record({
      originator: fc.constantFrom(2, 3, 4, 5),
      kind: fc.constantFrom(...kinds),
      announce: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const h = ribHarness({ vtepIp: OUR });
        // The data plane, as the events build it; every add is of something absent or changed,
        // every remove of something present.
        const flood = new Set<string>();
        const neighbors = new Map<string, Mac>();
        const prefixes = new Map<string, Mac | undefined>();
        h.evpn.onEvent((e) => {
          if (e.type === 'flood-vtep') {
            assert.equal(flood.has(e.vtep), e.action === 'remove', JSON.stringify(e));
            if (e.action === 'add') flood.add(e.vtep);
            else flood.delete(e.vtep);
          } else if (e.type === 'remote-neighbor') {
            if (e.action === 'remove') assert.ok(neighbors.has(e.ip), JSON.stringify(e));
            else assert.notEqual(neighbors.get(e.ip), e.mac, JSON.stringify(e));
            if (e.action === 'add') neighbors.set(e.ip, e.mac);
            else neighbors.delete(e.ip);
          } else if (e.type === 'remote-prefix') {
            const k = `${e.prefix} ${e.vtep}`;
            assert.equal(prefixes.has(k), e.action === 'remove', JSON.stringify(e));
            if (e.action === 'add') prefixes.set(k, e.routerMac);
            else prefixes.delete(k);
          } else if (e.type === 'remote-mac') {
            assert.notEqual(e.vtep, OUR);
          }
        });
        const current = new Set<string>();
        for (const s of steps) {
          const route = routeOf(s.originator, s.kind);
          if (s.announce)
            h.announce(s.originator, route, attrsOf(s.originator, s.kind), nextHopOf[s.originator]!);
          else h.withdraw(s.originator, route);
          if (s.announce) current.add(`${s.originator} ${s.kind}`);
          else current.delete(`${s.originator} ${s.kind}`);
          // The union of the current routes that are not ours.
          const live = [...current]
            .map((c) => c.split(' '))
            .map(([o, k]) => ({ o: Number(o), kind: k as Kind }))
            .filter((c) => nextHopOf[c.o] !== OUR);
          const want = {
            flood: new Set(live.filter((c) => c.kind === 'imet').map((c) => nextHopOf[c.o]!)),
            neighborMacs: new Set(live.filter((c) => c.kind === 'mac-ip').map((c) => macOf[c.o]!)),
            prefixes: new Set(
              live
                .filter((c) => c.kind !== 'imet')
                .map((c) => `${c.kind === 'prefix' ? '10.9.0.0/24' : '10.1.0.10/32'} ${nextHopOf[c.o]!}`),
            ),
          };
          assert.deepEqual(flood, want.flood);
          assert.deepEqual([...h.evpn.evis.get(100)!.floodList].sort(), [...want.flood].sort());
          assert.equal(neighbors.has(HOST_IP), want.neighborMacs.size > 0);
          if (neighbors.has(HOST_IP)) assert.ok(want.neighborMacs.has(neighbors.get(HOST_IP)!));
          assert.deepEqual(new Set(prefixes.keys()), want.prefixes);
          for (const [k, routerMac] of prefixes)
            assert.equal(routerMac, routerMacOf(k.split(' ')[1] as IpAddress));
        }
      }),
      { numRuns: 300 },
    );
  });
});
