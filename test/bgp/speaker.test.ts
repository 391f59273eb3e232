/**
 * Two (or three) BGP speakers over in-memory connections, and scripted misbehaving peers: sessions,
 * bulk exchange and withdrawal, route reflection, and the NOTIFICATION (or RFC 7606 treat-as-withdraw)
 * every protocol error earns — with the speaker still serving afterwards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BgpSpeaker,
  RT_CONSTRAINT_DEFER_MS,
  type FamilyName,
  type PeerConfig,
} from '../../src/bgp/speaker.js';
import { macIpRoute, routeTargetCommunity } from '../../src/evpn/routes.js';
import type { Asn, Ipv4Address, Mac } from '../../src/wire/addr.js';
import {
  AFI_IPV4,
  AFI_L2VPN,
  BgpFrameDecoder,
  SAFI_EVPN,
  SAFI_RT_CONSTRAINT,
  SAFI_UNICAST,
  decodeBgpMessage,
  encodeBgpMessage,
  type BgpMessage,
  type Capability,
  type OpenMessage,
} from '../../src/wire/bgp-message.js';
import {
  endOfRib,
  getAttribute,
  rtMembership,
  type PathAttribute,
  type UpdateMessage,
} from '../../src/wire/bgp-update.js';
import { extendedCommunityToBytes } from '../../src/wire/bgp-community.js';
import { encodeEvpnNlriList, evpnRouteKey, parseRd, type Esi, type EvpnRoute } from '../../src/wire/evpn.js';
import { MemoryNet, type RawPeer } from '../support/bgp-memnet.js';

const A = '10.0.0.1' as Ipv4Address;
const B = '10.0.0.2' as Ipv4Address;
const C = '10.0.0.3' as Ipv4Address;
const RD = parseRd(`${A}:100`);

function mac(i: number): Mac {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `02:00:00:${h((i >> 16) & 0xff)}:${h((i >> 8) & 0xff)}:${h(i & 0xff)}` as Mac;
}

const ATTRS: readonly PathAttribute[] = [
  { type: 'origin', origin: 'igp' },
  { type: 'as-path', segments: [] },
  {
    type: 'extended-communities',
    communities: [routeTargetCommunity('65001:100'), { kind: 'encapsulation', tunnelType: 8 }],
  },
];

function routes(n: number, rd = RD): EvpnRoute[] {
  const out: EvpnRoute[] = [];
  for (let i = 0; i < n; i++)
    out.push(
      macIpRoute(
        rd,
        mac(i),
        i % 2 === 0 ? (`10.1.${(i >> 8) & 0xff}.${i & 0xff}` as Ipv4Address) : undefined,
        100,
      ),
    );
  return out;
}

function pair(
  asA: number,
  asB: number,
  extra: { maxPrefix?: number; holdTimeSeconds?: number; gracefulRestartSeconds?: number } = {},
) {
  const net = new MemoryNet();
  const a = new BgpSpeaker({ localAs: asA, routerId: A, hostname: 'a' });
  const b = new BgpSpeaker({ localAs: asB, routerId: B, hostname: 'b' });
  a.addPeer({
    address: B,
    remoteAs: asB,
    families: ['l2vpn-evpn', 'ipv4-unicast'],
    ...(extra.gracefulRestartSeconds !== undefined
      ? { gracefulRestartSeconds: extra.gracefulRestartSeconds }
      : {}),
  });
  b.addPeer({
    address: A,
    remoteAs: asA,
    families: ['l2vpn-evpn', 'ipv4-unicast'],
    ...(extra.maxPrefix !== undefined ? { maxPrefix: { limit: extra.maxPrefix } } : {}),
    ...(extra.holdTimeSeconds !== undefined ? { holdTimeSeconds: extra.holdTimeSeconds } : {}),
  });
  net.add(A, a);
  net.add(B, b);
  net.start();
  return { net, a, b };
}

/** Speakers `{ address: [AS, peers] }` on one in-memory network, started. */
function speakers(specs: Record<string, readonly [number, readonly PeerConfig[]]>): {
  net: MemoryNet;
  at: (address: Ipv4Address) => BgpSpeaker;
} {
  const net = new MemoryNet();
  const byAddress = new Map<string, BgpSpeaker>();
  for (const [address, [localAs, peers]] of Object.entries(specs)) {
    const s = new BgpSpeaker({ localAs, routerId: address as Ipv4Address });
    for (const peer of peers) s.addPeer(peer);
    byAddress.set(address, s);
    net.add(address as Ipv4Address, s);
  }
  net.start();
  return { net, at: (address) => byAddress.get(address)! };
}

describe('two speakers in memory', () => {
  it('graceful restart helper (RFC 4724): keeps a restarting peer’s routes as stale, flushes what is missing after its End-of-RIB', () => {
    const { net, a, b } = pair(65001, 65002, { gracefulRestartSeconds: 120 });
    const list = routes(3);
    for (const r of list) a.originateEvpn(r, ATTRS, A);
    net.drain();
    assert.equal(b.evpn.size, 3);
    net.cutLink(A, B);
    assert.equal(b.evpn.size, 3, 'routes kept while the peer restarts');
    assert.ok(
      [...b.evpn.destinations.values()].every((d) => d.best?.stale === true),
      'and marked stale',
    );
    // While down, the restarting peer lost one route.
    a.withdrawEvpn(list[0]!);
    net.restore(A, B);
    net.advance(30_000);
    assert.equal(a.peer(B)!.session.state, 'Established');
    assert.equal(b.evpn.size, 2, 'End-of-RIB flushed the stale route that was not re-advertised');
    assert.ok([...b.evpn.destinations.values()].every((d) => d.best?.stale === undefined));
  });

  it('graceful restart helper: the restart timer removes the stale routes if the peer does not come back', () => {
    const { net, a, b } = pair(65001, 65002, { gracefulRestartSeconds: 120 });
    for (const r of routes(3)) a.originateEvpn(r, ATTRS, A);
    net.drain();
    net.cutLink(A, B);
    net.advance(119_000);
    assert.equal(b.evpn.size, 3);
    net.advance(2_000);
    assert.equal(b.evpn.size, 0);
  });

  it('establish over eBGP (collision resolved), exchange 10k EVPN routes packed into few UPDATEs, and withdraw them', () => {
    const { net, a, b } = pair(65001, 65002);
    assert.equal(a.peer(B)!.session.state, 'Established');
    assert.equal(b.peer(A)!.session.state, 'Established');
    assert.equal(b.peer(A)!.session.negotiated!.peerHostname, 'a');
    const list = routes(10_000);
    for (const r of list) a.originateEvpn(r, ATTRS, A);
    net.drain();
    const fromA = b.peer(A)!.rib.id;
    assert.equal(b.evpn.count(fromA), 10_000);
    const updates = b.peer(A)!.session.counters.updatesIn;
    // ~45-byte Type-2 NLRI in 4096-byte UPDATEs: about 90 per message.
    assert.ok(updates < 200, `${updates} UPDATEs for 10k routes: not packed`);
    const best = b.evpn.destinations.values().next().value!.best!;
    assert.equal(best.attrs.nextHop, A, 'EVPN next hop unchanged across eBGP');
    assert.deepEqual(best.attrs.asPath, [{ kind: 'sequence', asns: [65001] }]);
    assert.deepEqual(best.attrs.routeTargets, ['RT:65001:100']);

    for (const r of list) a.withdrawEvpn(r);
    net.drain();
    assert.equal(b.evpn.count(fromA), 0);
    assert.equal(b.evpn.size, 0);
  });

  it('propagates a withdrawal and a session loss within one drain, both directions', () => {
    const { net, a, b } = pair(65001, 65002);
    a.originateEvpn(routes(1)[0]!, ATTRS, A);
    b.originateEvpn(routes(1, parseRd(`${B}:100`))[0]!, ATTRS, B);
    net.drain();
    assert.equal(a.evpn.size, 2);
    assert.equal(b.evpn.size, 2);
    net.cutLink(A, B);
    assert.equal(a.evpn.size, 1, 'a dropped what b had sent');
    assert.equal(b.evpn.size, 1, 'b dropped what a had sent');
    net.restore(A, B);
    net.advance(70_000);
    assert.equal(a.peer(B)!.session.state, 'Established', 'the session comes back after the link does');
    assert.equal(b.evpn.size, 2);
  });

  it('encodes a route once for every peer of an update group (same routes, same outbound attributes)', () => {
    const net = new MemoryNet();
    const spine = new BgpSpeaker({ localAs: 65000, routerId: C });
    const leaves = [A, B, '10.0.0.4' as Ipv4Address].map((address, i) => {
      const leaf = new BgpSpeaker({ localAs: 65001 + i, routerId: address });
      leaf.addPeer({ address: C, remoteAs: 65000 });
      spine.addPeer({ address, remoteAs: 65001 + i });
      net.add(address, leaf);
      return leaf;
    });
    net.add(C, spine);
    const sent = new Map<number, Uint8Array[]>();
    const flush = spine.flush.bind(spine);
    spine.flush = (now, budget) => {
      const out = flush(now, budget);
      for (const a of out)
        if (a.type === 'send') sent.set(a.connection, [...(sent.get(a.connection) ?? []), a.data]);
      return out;
    };
    net.start();
    sent.clear();
    for (const r of routes(500)) leaves[0]!.originateEvpn(r, ATTRS, A);
    net.drain();
    for (const leaf of leaves.slice(1)) {
      assert.equal(leaf.evpn.size, 500);
      const best = leaf.evpn.destinations.values().next().value!.best!;
      assert.deepEqual(best.attrs.asPath, [{ kind: 'sequence', asns: [65000, 65001] }]);
    }
    // Only the two leaves that hear leaf 1's routes got UPDATEs, and the very same arrays.
    const [x, y, ...rest] = [...sent.values()];
    assert.equal(rest.length, 0);
    assert.ok(x && y && x.length === y.length && x.every((m, i) => m === y[i]), 'UPDATEs shared');
  });

  it('reflects client routes between iBGP clients with ORIGINATOR_ID and CLUSTER_LIST', () => {
    const { net, at } = speakers({
      [C]: [
        65000,
        [
          { address: A, remoteAs: 65000, routeReflectorClient: true },
          { address: B, remoteAs: 65000, routeReflectorClient: true },
        ],
      ],
      [A]: [65000, [{ address: C, remoteAs: 65000 }]],
      [B]: [65000, [{ address: C, remoteAs: 65000 }]],
    });
    const [leaf1, leaf2] = [at(A), at(B)];
    leaf1.originateEvpn(routes(1)[0]!, ATTRS, A);
    net.drain();
    assert.equal(leaf2.evpn.size, 1);
    const best = leaf2.evpn.destinations.values().next().value!.best!;
    assert.equal(best.attrs.nextHop, A);
    assert.equal(best.attrs.originatorId, A);
    assert.deepEqual(best.attrs.clusterList, [C]);
    // leaf1 gets its own route back? RFC 4456 §8: the reflector does not send it to the originator's
    // session (it came from there), so leaf1's RIB holds only its local path.
    assert.equal(leaf1.evpn.destinations.values().next().value!.paths.length, 1);
  });

  it('speaks a per-neighbour local-as: iBGP reflection in an overlay AS beside eBGP in its own', () => {
    // RFC 7705: the spine is AS 65000 and each leaf its own AS, but their sessions here speak 65500.
    const net = new MemoryNet();
    const spine = new BgpSpeaker({ localAs: 65000, routerId: C });
    const leaf1 = new BgpSpeaker({ localAs: 65001, routerId: A });
    const leaf2 = new BgpSpeaker({ localAs: 65002, routerId: B });
    const overlay = { remoteAs: 65500, localAs: 65500 };
    spine.addPeer({ address: A, ...overlay, routeReflectorClient: true });
    spine.addPeer({ address: B, ...overlay, routeReflectorClient: true });
    leaf1.addPeer({ address: C, ...overlay });
    leaf2.addPeer({ address: C, ...overlay });
    net.add(C, spine);
    net.add(A, leaf1);
    net.add(B, leaf2);
    net.start();
    leaf1.originateEvpn(routes(1)[0]!, ATTRS, A);
    net.drain();
    assert.ok(spine.peer(A)!.ibgp && leaf2.peer(C)!.ibgp);
    assert.equal(leaf2.peer(C)!.session.state, 'Established');
    const best = leaf2.evpn.destinations.values().next().value!.best!;
    assert.equal(best.attrs.nextHop, A);
    assert.equal(best.attrs.originatorId, A);
    assert.equal(best.attrs.asPathLength, 0, 'iBGP: no AS prepended');
  });

  it('closes the session with Cease/Maximum Number of Prefixes when a peer sends too many', () => {
    const { net, a, b } = pair(65001, 65002, { maxPrefix: 100 });
    for (const r of routes(150)) a.originateEvpn(r, ATTRS, A);
    net.drain();
    assert.notEqual(b.peer(A)!.session.state, 'Established');
    assert.match(a.peer(B)!.lastError ?? '', /Maximum Number of Prefixes/);
    assert.ok(
      net.log.some((l) => /reached 75% of the maximum 100/.test(l)),
      'warning threshold logged',
    );
    assert.equal(b.evpn.size, 0, 'the routes of the closed session are gone');
  });
});

// ---- scripted peers --------------------------------------------------------------------------------

const OPTS = { fourOctetAs: true } as const;

function open(
  asn: number,
  id: Ipv4Address,
  caps: Capability[] | undefined = undefined,
  holdTime = 9,
): OpenMessage {
  return {
    type: 'open',
    version: 4,
    myAs: asn > 0xffff ? 23456 : asn,
    holdTime,
    bgpId: id,
    optionalParameters: [
      {
        type: 'capabilities',
        capabilities: caps ?? [
          { type: 'multiprotocol', afi: AFI_L2VPN, safi: SAFI_EVPN },
          { type: 'multiprotocol', afi: AFI_IPV4, safi: SAFI_UNICAST },
          { type: 'four-octet-as', asn },
          { type: 'route-refresh' },
        ],
      },
    ],
  };
}

function messages(peer: RawPeer): BgpMessage[] {
  const d = new BgpFrameDecoder({ extendedMessage: true });
  return peer.received
    .flatMap((chunk) => d.push(chunk))
    .map((f) => decodeBgpMessage(f, { fourOctetAs: true, extendedMessage: true }));
}

function lastNotification(peer: RawPeer): { code: number; subcode: number } | undefined {
  const n = messages(peer).filter((m) => m.type === 'notification');
  const last = n[n.length - 1];
  return last && last.type === 'notification' ? { code: last.code, subcode: last.subcode } : undefined;
}

/** A speaker `b` (AS 65002, passive toward A) and a scripted peer playing A. */
function scripted(hold = 9) {
  const net = new MemoryNet();
  const b = new BgpSpeaker({ localAs: 65002, routerId: B });
  b.addPeer({
    address: A,
    remoteAs: 65001,
    passive: true,
    holdTimeSeconds: hold,
    families: ['l2vpn-evpn', 'ipv4-unicast'],
  });
  b.addPeer({ address: C, remoteAs: 65003, passive: true });
  net.add(B, b);
  net.start();
  const peer = net.connectRaw(A, B);
  return { net, b, peer };
}

function establish(net: MemoryNet, peer: RawPeer): void {
  net.sendRaw(peer, encodeBgpMessage(open(65001, A), OPTS));
  net.sendRaw(peer, encodeBgpMessage({ type: 'keepalive' }, OPTS));
}

function evpnUpdate(rs: EvpnRoute[], extra: PathAttribute[] = []): UpdateMessage {
  return {
    type: 'update',
    withdrawn: [],
    attributes: [
      { type: 'origin', origin: 'igp' },
      { type: 'as-path', segments: [{ kind: 'sequence', asns: [65001 as Asn] }] },
      {
        type: 'mp-reach-nlri',
        afi: AFI_L2VPN,
        safi: SAFI_EVPN,
        nextHop: { kind: 'ip', address: A },
        nlri: { kind: 'evpn', routes: rs },
      },
      ...extra,
    ],
    nlri: [],
  };
}

describe('large tables', () => {
  it('go out in bounded batches, so a driver can yield between them and keepalives stay on time', () => {
    const { net, b, peer } = scripted();
    establish(net, peer);
    for (const r of routes(30_000, parseRd(`${B}:100`))) b.originateEvpn(r, ATTRS, B);
    const decoder = new BgpFrameDecoder({ extendedMessage: true });
    let batches = 0;
    let announced = 0;
    let endOfRib = false;
    while (b.hasPendingOutput()) {
      const actions = b.flush(net.now, 5_000);
      batches++;
      let inBatch = 0;
      for (const a of actions) {
        if (a.type !== 'send') continue;
        for (const f of decoder.push(a.data)) {
          const m = decodeBgpMessage(f, OPTS);
          if (m.type !== 'update') continue;
          const reach = m.attributes.find((x) => x.type === 'mp-reach-nlri');
          if (reach?.type === 'mp-reach-nlri' && reach.nlri.kind === 'evpn')
            inBatch += reach.nlri.routes.length;
          if (m.attributes.length === 1 && m.attributes[0]!.type === 'mp-unreach-nlri') endOfRib = true;
        }
      }
      assert.ok(inBatch <= 5_000, `a batch carried ${inBatch} routes`);
      announced += inBatch;
      assert.ok(batches < 100, 'flush must make progress');
    }
    assert.equal(announced, 30_000);
    assert.ok(batches >= 6, `${batches} batches`);
    // RFC 4724 §2: End-of-RIB went out once, after the (empty) initial table at session start.
    assert.equal(endOfRib, false);
  });
});

describe('misbehaving peers', () => {
  it('a well-behaved scripted peer establishes and its routes are learnt', () => {
    const { net, b, peer } = scripted();
    establish(net, peer);
    assert.equal(b.peer(A)!.session.state, 'Established');
    net.sendRaw(peer, encodeBgpMessage(evpnUpdate(routes(3)), OPTS));
    assert.equal(b.evpn.size, 3);
  });

  it('bad marker: NOTIFICATION Message Header Error / Connection Not Synchronized', () => {
    const { net, b, peer } = scripted();
    establish(net, peer);
    const ka = encodeBgpMessage({ type: 'keepalive' }, OPTS);
    ka[3] = 0;
    net.sendRaw(peer, ka);
    assert.deepEqual(lastNotification(peer), { code: 1, subcode: 1 });
    assert.ok(peer.closed);
    assert.notEqual(b.peer(A)!.session.state, 'Established');
  });

  it('bad length: NOTIFICATION Message Header Error / Bad Message Length', () => {
    const { net, peer } = scripted();
    establish(net, peer);
    const ka = encodeBgpMessage({ type: 'keepalive' }, OPTS);
    ka[16] = 0;
    ka[17] = 18; // below the 19-octet minimum
    net.sendRaw(peer, ka);
    assert.deepEqual(lastNotification(peer), { code: 1, subcode: 2 });
  });

  it('unknown capability: ignored (RFC 5492 §3); no common family: OPEN Error / Unsupported Capability', () => {
    const ok = scripted();
    const caps: Capability[] = [
      { type: 'multiprotocol', afi: AFI_L2VPN, safi: SAFI_EVPN },
      { type: 'four-octet-as', asn: 65001 },
      { type: 'unknown', code: 200, data: new Uint8Array([1, 2, 3]) },
    ];
    ok.net.sendRaw(ok.peer, encodeBgpMessage(open(65001, A, caps), OPTS));
    ok.net.sendRaw(ok.peer, encodeBgpMessage({ type: 'keepalive' }, OPTS));
    assert.equal(ok.b.peer(A)!.session.state, 'Established');

    const bad = scripted();
    bad.net.sendRaw(
      bad.peer,
      encodeBgpMessage(
        open(65001, A, [
          { type: 'multiprotocol', afi: 2, safi: 1 },
          { type: 'four-octet-as', asn: 65001 },
        ]),
        OPTS,
      ),
    );
    assert.deepEqual(lastNotification(bad.peer), { code: 2, subcode: 7 });
  });

  it('wrong AS: OPEN Message Error / Bad Peer AS', () => {
    const { net, peer } = scripted();
    net.sendRaw(peer, encodeBgpMessage(open(64999, A), OPTS));
    assert.deepEqual(lastNotification(peer), { code: 2, subcode: 2 });
  });

  it('malformed ORIGIN: treat-as-withdraw (RFC 7606 §7.1), the session stays up', () => {
    const { net, b, peer } = scripted();
    establish(net, peer);
    const rs = routes(2);
    net.sendRaw(peer, encodeBgpMessage(evpnUpdate(rs), OPTS));
    assert.equal(b.evpn.size, 2);
    const bytes = encodeBgpMessage(evpnUpdate(rs), OPTS);
    // The ORIGIN attribute is the first: header 19 + withdrawn length 2 + attrs length 2 + flags/type/len 3.
    assert.equal(bytes[19 + 4 + 1], 1, 'ORIGIN type code where expected');
    bytes[19 + 4 + 3] = 7; // ORIGIN value 7 is undefined
    net.sendRaw(peer, bytes);
    assert.equal(b.peer(A)!.session.state, 'Established');
    assert.equal(b.evpn.size, 0, 'the routes of the UPDATE are withdrawn');
    assert.equal(lastNotification(peer), undefined);
  });

  it('malformed MP_REACH NLRI: NOTIFICATION UPDATE Message Error, other peers unaffected', () => {
    const { net, b, peer } = scripted();
    establish(net, peer);
    const bad = encodeBgpMessage(
      {
        type: 'update',
        withdrawn: [],
        attributes: [
          { type: 'origin', origin: 'igp' },
          { type: 'as-path', segments: [{ kind: 'sequence', asns: [65001 as Asn] }] },
          // A Type-2 whose MAC length says 47 bits.
          {
            type: 'mp-reach-nlri',
            afi: AFI_L2VPN,
            safi: SAFI_EVPN,
            nextHop: { kind: 'ip', address: A },
            nlri: { kind: 'raw', data: corruptMacLength(encodeEvpnNlriList(routes(1))) },
          },
        ],
        nlri: [],
      },
      OPTS,
    );
    net.sendRaw(peer, bad);
    const n = lastNotification(peer);
    assert.equal(n?.code, 3);
    // The speaker goes on serving: a second peer still establishes.
    const other = net.connectRaw(C, B);
    net.sendRaw(other, encodeBgpMessage(open(65003, C), OPTS));
    net.sendRaw(other, encodeBgpMessage({ type: 'keepalive' }, OPTS));
    assert.equal(b.peer(C)!.session.state, 'Established');
  });

  it('hold timer expiry: NOTIFICATION Hold Timer Expired after the negotiated hold time', () => {
    const { net, b, peer } = scripted(9);
    establish(net, peer);
    net.sendRaw(peer, encodeBgpMessage(evpnUpdate(routes(1)), OPTS));
    assert.equal(b.evpn.size, 1);
    net.advance(8_900);
    assert.equal(b.peer(A)!.session.state, 'Established');
    net.advance(200);
    assert.deepEqual(lastNotification(peer), { code: 4, subcode: 0 });
    assert.equal(b.evpn.size, 0);
  });

  it('holds one object for a route that several peers send, and a differing copy as its own', () => {
    const { net, b, peer } = scripted();
    establish(net, peer);
    const other = net.connectRaw(C, B);
    net.sendRaw(other, encodeBgpMessage(open(65003, C), OPTS));
    net.sendRaw(other, encodeBgpMessage({ type: 'keepalive' }, OPTS));
    const route = routes(1)[0]!;
    net.sendRaw(peer, encodeBgpMessage(evpnUpdate([route]), OPTS));
    net.sendRaw(other, encodeBgpMessage(evpnUpdate([route]), OPTS));
    const key = evpnRouteKey(route);
    const [first, second] = b.evpn.multipath(key);
    assert.ok(first && second, 'a path from each peer');
    assert.equal(first.route, second.route, 'the same route object');
    // Same key, another label: C's path keeps what C sent.
    const relabelled = { ...route, label1: 200 } as EvpnRoute;
    net.sendRaw(other, encodeBgpMessage(evpnUpdate([relabelled]), OPTS));
    const labels = b.evpn
      .multipath(key)
      .map((p) => (p.route.type === 'mac-ip' ? p.route.label1 : -1))
      .sort((x, y) => x - y);
    assert.deepEqual(labels, [100, 200]);
  });

  it('input waiting for a busy CPU restarts the hold timer as it arrives, not when it is processed', () => {
    const { net, b, peer } = scripted(9);
    establish(net, peer);
    const connection = [...b.peer(A)!.connections][0]!;
    net.advance(8_000);
    // A KEEPALIVE reached the transport; the driver hands it to `received` once its CPU is free.
    b.inputArrived(connection, net.now);
    net.advance(8_900);
    assert.equal(b.peer(A)!.session.state, 'Established');
    net.advance(200);
    assert.deepEqual(lastNotification(peer), { code: 4, subcode: 0 });
  });
});

function corruptMacLength(nlri: Uint8Array): Uint8Array {
  const out = nlri.slice();
  // type(1) len(1) RD(8) ESI(10) tag(4) → MAC length octet.
  out[2 + 8 + 10 + 4] = 47;
  return out;
}

describe('an EVPN import filter (a leaf keeps only what its VNIs import)', () => {
  const rt = (text: string): PathAttribute => ({
    type: 'extended-communities',
    communities: [routeTargetCommunity(text)],
  });
  const macA = macIpRoute(RD, mac(1), undefined, 100);
  const macB = macIpRoute(RD, mac(2), undefined, 200);
  const segment: EvpnRoute = {
    type: 'ethernet-segment',
    routeType: 4,
    rd: RD,
    esi: '01:02:03:04:05:06:07:08:09:0a' as Esi,
    originator: A,
  };

  function leaf(reflector = false) {
    const s = scripted();
    if (reflector) s.b.addPeer({ address: '10.0.0.9', remoteAs: 65002, routeReflectorClient: true });
    s.b.setEvpnImportFilter((targets) => targets.some((t) => t.endsWith(':100')));
    establish(s.net, s.peer);
    return s;
  }
  const keys = (b: BgpSpeaker) => [...b.evpn.destinations.values()].map((d) => d.key).sort();

  it('drops routes whose targets nothing imports, keeps Ethernet Segment routes, and withdraws a route whose targets stop matching', () => {
    const { net, b, peer } = leaf();
    net.sendRaw(peer, encodeBgpMessage(evpnUpdate([macA], [rt('65001:100')]), OPTS));
    net.sendRaw(peer, encodeBgpMessage(evpnUpdate([macB, segment], [rt('65001:200')]), OPTS));
    net.drain();
    assert.deepEqual(keys(b), [evpnRouteKey(macA), evpnRouteKey(segment)].sort());
    // The same route again with only a target we do not import: the earlier path goes.
    net.sendRaw(peer, encodeBgpMessage(evpnUpdate([macA], [rt('65001:300')]), OPTS));
    net.drain();
    assert.deepEqual(keys(b), [evpnRouteKey(segment)]);
  });

  it('is not applied by a route reflector, which must reflect every route', () => {
    const { net, b, peer } = leaf(true);
    net.sendRaw(peer, encodeBgpMessage(evpnUpdate([macA, macB], [rt('65001:200')]), OPTS));
    net.drain();
    assert.deepEqual(keys(b), [evpnRouteKey(macA), evpnRouteKey(macB)].sort());
  });
});

describe('sender-side AS path loop detection', () => {
  /** Spines A and C share AS 65000; leaf B (AS 65002) peers with both. A originates 50 routes. */
  function spinesAndLeaf(detection: boolean | undefined) {
    const toSpine = (address: Ipv4Address): PeerConfig => ({
      address,
      remoteAs: 65000,
      ...(detection !== undefined ? { senderAsPathLoopDetection: detection } : {}),
    });
    const { net, at } = speakers({
      [A]: [65000, [{ address: B, remoteAs: 65002 }]],
      [B]: [65002, [toSpine(A), toSpine(C)]],
      [C]: [65000, [{ address: B, remoteAs: 65002 }]],
    });
    const [a, b, c] = [at(A), at(B), at(C)];
    net.drain();
    for (const r of routes(50)) a.originateEvpn(r, ATTRS, A);
    net.drain();
    return { b, c };
  }
  const routesSent = (from: BgpSpeaker, to: Ipv4Address) => from.peer(to)!.session.counters.updatesOut;

  it('a leaf does not send one spine’s routes to another spine of the same AS, which would drop them', () => {
    const on = spinesAndLeaf(undefined);
    assert.equal(on.b.evpn.size, 50);
    const off = spinesAndLeaf(false);
    assert.equal(off.b.evpn.size, 50);
    // Turned off, the routes go to C, whose loop check (RFC 4271 §9.1.2) drops every one of them.
    assert.ok(routesSent(off.b, C) > routesSent(on.b, C), `${routesSent(off.b, C)} UPDATEs with it off`);
    assert.equal(off.c.evpn.size, 0);
    assert.equal(on.c.evpn.size, 0);
  });
});

describe('update groups', () => {
  for (const count of [100, 45_000])
    it(`peers reached through different local ASes get their own UPDATEs, each with its AS prepended (${count} routes)`, () => {
      const { net, at } = speakers({
        [A]: [
          65000,
          [
            { address: B, remoteAs: 65002 },
            { address: C, remoteAs: 65003, localAs: 65100 },
          ],
        ],
        [B]: [65002, [{ address: A, remoteAs: 65000 }]],
        [C]: [65003, [{ address: A, remoteAs: 65100 }]],
      });
      const [a, b, c] = [at(A), at(B), at(C)];
      net.drain();
      // One flush for both peers, or (45,000) several: the groups outlive a flush.
      for (const r of routes(count)) a.originateEvpn(r, ATTRS, A);
      net.drain();
      const firstAs = (s: BgpSpeaker) =>
        new Set([...s.evpn.destinations.values()].map((d) => d.best!.attrs.asPath[0]!.asns[0]));
      assert.equal(b.evpn.size, count);
      assert.equal(c.evpn.size, count);
      assert.deepEqual(firstAs(b), new Set([65000]));
      assert.deepEqual(firstAs(c), new Set([65100]));
    });
});

describe('route target constraint (RFC 4684)', () => {
  const withTarget = (target: string): PathAttribute[] => [
    { type: 'origin', origin: 'igp' },
    { type: 'as-path', segments: [] },
    {
      type: 'extended-communities',
      communities: [routeTargetCommunity(target), { kind: 'encapsulation', tunnelType: 8 }],
    },
  ];
  const RTC: readonly FamilyName[] = ['l2vpn-evpn', 'rt-constraint'];
  /**
   * Spine A (AS 65000, keeps everything) with leaves B (AS 65002) and C (AS 65003); B imports
   * 65000:100, C imports 65000:200. A originates 20 routes of each target.
   */
  function fabric(families: readonly FamilyName[] = RTC) {
    const { net, at } = speakers({
      [A]: [
        65000,
        [
          { address: B, remoteAs: 65002, families },
          { address: C, remoteAs: 65003, families },
        ],
      ],
      [B]: [65002, [{ address: A, remoteAs: 65000, families }]],
      [C]: [65003, [{ address: A, remoteAs: 65000, families }]],
    });
    const [a, b, c] = [at(A), at(B), at(C)];
    const imports = (s: BgpSpeaker, targets: string[]) =>
      s.setEvpnImportFilter((rts) => rts.some((rt) => targets.includes(rt.slice(3))), targets);
    imports(b, ['65000:100']);
    imports(c, ['65000:200']);
    net.drain();
    for (const r of routes(20, parseRd(`${A}:100`))) a.originateEvpn(r, withTarget('65000:100'), A);
    for (const r of routes(20, parseRd(`${A}:200`))) a.originateEvpn(r, withTarget('65000:200'), A);
    net.drain();
    return { net, a, b, c, imports };
  }
  const updatesTo = (from: BgpSpeaker, to: Ipv4Address) => from.peer(to)!.session.counters.updatesOut;

  it('a spine sends each leaf only the routes of the targets it asked for; the leaves ask for theirs, the spine for all', () => {
    const { a, b, c } = fabric();
    assert.equal(b.evpn.size, 20);
    assert.equal(c.evpn.size, 20);
    assert.ok(
      [...b.evpn.destinations.values()].every((d) => d.best!.attrs.routeTargets[0] === 'RT:65000:100'),
    );
    // What each asked for, as the other end holds it.
    assert.deepEqual([...a.peer(B)!.rtc!.filter.exact], ['RT:65000:100']);
    assert.deepEqual([...a.peer(C)!.rtc!.filter.exact], ['RT:65000:200']);
    assert.equal(b.peer(A)!.rtc!.filter.any, true, 'the spine keeps everything: the default membership');
  });

  it('without the family negotiated on both ends, every route goes (and the import filter drops the rest)', () => {
    const { a, b } = fabric(['l2vpn-evpn']);
    assert.equal(a.peer(B)!.rtc, undefined);
    assert.equal(b.evpn.size, 20);
    // Compared with route target constraint, the spine sent B twice as many routes.
    const rtc = fabric();
    assert.ok(updatesTo(a, B) > updatesTo(rtc.a, B), `${updatesTo(a, B)} vs ${updatesTo(rtc.a, B)} UPDATEs`);
  });

  it('a leaf that asks for another target gets its routes, and loses them when it stops asking', () => {
    const { net, b, imports } = fabric();
    imports(b, ['65000:100', '65000:200']);
    net.drain();
    assert.equal(b.evpn.size, 40);
    imports(b, ['65000:200']);
    net.drain();
    assert.equal(b.evpn.size, 20);
    assert.ok(
      [...b.evpn.destinations.values()].every((d) => d.best!.attrs.routeTargets[0] === 'RT:65000:200'),
    );
  });

  it('a leaf’s own routes reach the spine (default membership) and, through it, the leaves that import them', () => {
    const { net, b, c } = fabric();
    const rd = parseRd(`${B}:100`);
    for (const r of routes(5, rd)) b.originateEvpn(r, withTarget('65000:200'), B);
    net.drain();
    assert.equal(c.evpn.size, 25);
  });

  /** Spine A with ten routes of 65000:100; a scripted leaf B asks for that target, without End-of-RIB. */
  function scriptedLeaf() {
    const net = new MemoryNet();
    const a = new BgpSpeaker({ localAs: 65000, routerId: A });
    a.addPeer({ address: B, remoteAs: 65002, passive: true, families: RTC });
    net.add(A, a);
    net.start();
    for (const r of routes(10)) a.originateEvpn(r, withTarget('65000:100'), A);
    const peer = net.connectRaw(B, A);
    const rtcFamily = { afi: AFI_IPV4, safi: SAFI_RT_CONSTRAINT };
    const caps: Capability[] = [
      { type: 'multiprotocol', afi: AFI_L2VPN, safi: SAFI_EVPN },
      { type: 'multiprotocol', ...rtcFamily },
      { type: 'four-octet-as', asn: 65002 },
    ];
    // Hold time 0: the scripted peer sends no keepalives.
    net.sendRaw(peer, encodeBgpMessage(open(65002, B, caps, 0), OPTS));
    net.sendRaw(peer, encodeBgpMessage({ type: 'keepalive' }, OPTS));
    const target = extendedCommunityToBytes(routeTargetCommunity('65000:100'));
    const membership: UpdateMessage = {
      type: 'update',
      withdrawn: [],
      attributes: [
        { type: 'origin', origin: 'igp' },
        { type: 'as-path', segments: [{ kind: 'sequence', asns: [65002 as Asn] }] },
        {
          type: 'mp-reach-nlri',
          ...rtcFamily,
          nextHop: { kind: 'ip', address: B },
          nlri: { kind: 'rtc', memberships: [rtMembership(65002, target)] },
        },
      ],
      nlri: [],
    };
    net.sendRaw(peer, encodeBgpMessage(membership, OPTS));
    net.drain();
    const evpnRoutesSent = () =>
      messages(peer).flatMap((m) => {
        const reach = m.type === 'update' ? getAttribute(m, 'mp-reach-nlri') : undefined;
        return reach?.nlri.kind === 'evpn' ? reach.nlri.routes : [];
      });
    return { net, a, peer, evpnRoutesSent };
  }

  it('waits for the peer’s memberships (its End-of-RIB) before sending it EVPN routes (RFC 4684 §6)', () => {
    const { net, peer, evpnRoutesSent } = scriptedLeaf();
    assert.equal(evpnRoutesSent().length, 0, 'nothing before the End-of-RIB');
    net.sendRaw(peer, encodeBgpMessage(endOfRib(AFI_IPV4, SAFI_RT_CONSTRAINT), OPTS));
    net.drain();
    assert.equal(evpnRoutesSent().length, 10);
  });

  it(`sends by the memberships it has when no End-of-RIB comes within ${RT_CONSTRAINT_DEFER_MS / 1000} s`, () => {
    const { net, a, evpnRoutesSent } = scriptedLeaf();
    net.advance(RT_CONSTRAINT_DEFER_MS - 100);
    assert.equal(evpnRoutesSent().length, 0);
    assert.equal(a.peer(B)!.session.state, 'Established');
    net.advance(200);
    assert.equal(evpnRoutesSent().length, 10);
  });
});
