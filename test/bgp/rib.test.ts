/**
 * Best-path selection: RFC 7432 §15 MAC mobility for Type-2 routes (sticky, then higher sequence,
 * then lower VTEP), then the RFC 4271 §9.1.2 tie-breaks; and the RIB's bookkeeping.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  comparePaths,
  FamilyRib,
  LOCAL_PEER,
  decodedEvpnPath,
  newEvpnPath,
  summariseAttributes,
  type RibPath,
  type RibPeer,
} from '../../src/bgp/rib.js';
import type { Asn, IpAddress, Ipv4Address } from '../../src/wire/addr.js';
import type { ExtendedCommunity } from '../../src/wire/bgp-community.js';
import type { PathAttribute } from '../../src/wire/bgp-update.js';
import {
  evpnRouteKey,
  PackedMacIpRoute,
  parseRd,
  ZERO_ESI,
  type EvpnRoute,
  type MacIpRoute,
} from '../../src/wire/evpn.js';

function peer(id: number, address: string, ibgp = false): RibPeer {
  const [a, b, c, d] = address.split('.').map(Number) as [number, number, number, number];
  return {
    id,
    address,
    addressOrder: ((a << 24) >>> 0) + (b << 16) + (c << 8) + d,
    ibgp,
    routerId: address as Ipv4Address,
  };
}

function path(
  p: RibPeer,
  nextHop: string,
  opts: {
    seq?: number;
    sticky?: boolean;
    asPath?: number[];
    localPref?: number;
    med?: number;
    origin?: 'igp' | 'incomplete';
  } = {},
): RibPath<string> {
  const communities: ExtendedCommunity[] = [];
  if (opts.seq !== undefined || opts.sticky)
    communities.push({ kind: 'mac-mobility', sequence: opts.seq ?? 0, sticky: opts.sticky ?? false });
  const attributes: PathAttribute[] = [
    { type: 'origin', origin: opts.origin ?? 'igp' },
    { type: 'as-path', segments: opts.asPath ? [{ kind: 'sequence', asns: opts.asPath as Asn[] }] : [] },
    ...(opts.localPref !== undefined ? [{ type: 'local-pref' as const, localPref: opts.localPref }] : []),
    ...(opts.med !== undefined ? [{ type: 'med' as const, med: opts.med }] : []),
    { type: 'extended-communities', communities },
  ];
  return { peer: p, route: 'r', attrs: summariseAttributes(attributes, nextHop as IpAddress) };
}

const P1 = peer(1, '192.0.2.1');
const P2 = peer(2, '192.0.2.2');

describe('best path', () => {
  it('RFC 7432 §15.2: the higher MAC mobility sequence wins, whatever else', () => {
    const a = path(P1, '10.0.0.1', { seq: 2, asPath: [1, 2, 3] });
    const b = path(P2, '10.0.0.2', { seq: 1, asPath: [1] });
    const c = comparePaths(a, b, true);
    assert.ok(c.order < 0);
    assert.equal(c.reason, 'mac-mobility-sequence');
    // Without MAC mobility rules (not a MAC route) the shorter AS path wins.
    assert.ok(comparePaths(a, b, false).order > 0);
  });

  it('RFC 7432 §15.2: a sticky (static) MAC beats any sequence', () => {
    const sticky = path(P2, '10.0.0.2', { sticky: true, seq: 0 });
    const moved = path(P1, '10.0.0.1', { seq: 9 });
    const c = comparePaths(sticky, moved, true);
    assert.ok(c.order < 0);
    assert.equal(c.reason, 'mac-mobility-sticky');
  });

  it('RFC 7432 §15.2: equal sequence numbers, the lower VTEP address wins', () => {
    const low = path(P2, '10.0.0.1', { seq: 3 });
    const high = path(P1, '10.0.0.9', { seq: 3 });
    const c = comparePaths(high, low, true);
    assert.ok(c.order > 0);
    assert.equal(c.reason, 'mac-mobility-lower-vtep');
  });

  it('RFC 4271 §9.1.2: local-pref, AS path length, origin, MED, then peer address', () => {
    const I1 = peer(3, '192.0.2.3', true);
    const I2 = peer(4, '192.0.2.4', true);
    assert.equal(
      comparePaths(path(I1, '1.1.1.1', { localPref: 200 }), path(I2, '1.1.1.1', { localPref: 100 }), false)
        .reason,
      'local-pref',
    );
    // RFC 4271 §5.1.5: LOCAL_PREF from an external peer is not used (the default counts).
    assert.notEqual(
      comparePaths(path(P1, '1.1.1.1', { localPref: 200 }), path(P2, '1.1.1.1', { localPref: 100 }), false)
        .reason,
      'local-pref',
    );
    assert.equal(comparePaths(path(P1, '1.1.1.1'), path(I1, '1.1.1.1'), false).reason, 'ebgp-over-ibgp');
    assert.equal(
      comparePaths(path(P1, '1.1.1.1', { asPath: [1] }), path(P2, '1.1.1.1', { asPath: [1, 2] }), false)
        .reason,
      'as-path-length',
    );
    assert.equal(
      comparePaths(path(P1, '1.1.1.1', { origin: 'incomplete' }), path(P2, '1.1.1.1'), false).reason,
      'origin',
    );
    const med = comparePaths(
      path(P1, '1.1.1.1', { asPath: [7], med: 10 }),
      path(P2, '1.1.1.1', { asPath: [7], med: 5 }),
      false,
    );
    assert.equal(med.reason, 'med');
    assert.ok(med.order > 0);
    const tie = comparePaths(path(P2, '1.1.1.1'), path(P1, '1.1.1.1'), false);
    assert.ok(tie.order > 0, 'lower router id / address wins the last tie-break');
  });

  it('prefers fresh paths over stale ones (RFC 4724 §4.2)', () => {
    const stale = path(P1, '1.1.1.1', { localPref: 500 });
    stale.stale = true;
    const c = comparePaths(stale, path(P2, '1.1.1.1'), false);
    assert.ok(c.order > 0);
    assert.equal(c.reason, 'not-stale');
  });
});

describe('FamilyRib', () => {
  it('reports best-path changes, counts per peer, and withdraws a peer', () => {
    const rib = new FamilyRib<string>(() => true);
    const c1 = rib.update('k', 'r', P1, path(P1, '10.0.0.1', { seq: 1 }).attrs);
    assert.equal(c1?.best?.peer.id, 1);
    const c2 = rib.update('k', 'r', P2, path(P2, '10.0.0.2', { seq: 2 }).attrs);
    assert.equal(c2?.previous?.peer.id, 1);
    assert.equal(c2?.best?.peer.id, 2, 'the MAC moved: the higher sequence takes over');
    assert.equal(rib.destinations.get('k')!.paths.length, 2);
    assert.equal(
      rib.update('k', 'r', P1, path(P1, '10.0.0.1', { seq: 1 }).attrs),
      undefined,
      'a losing path changes nothing',
    );
    assert.deepEqual([rib.count(1), rib.count(2), rib.size], [1, 1, 1]);
    const changes = rib.withdrawPeer(2);
    assert.equal(changes.length, 1);
    assert.equal(changes[0]!.best?.peer.id, 1);
    assert.equal(rib.withdraw('k', 1)?.best, undefined);
    assert.equal(rib.size, 0);
    assert.equal(rib.count(LOCAL_PEER.id), 0);
  });

  it('picks the best of paths arriving one by one as a scan of them in arrival order does', () => {
    // MED compares only paths from the same neighbour AS (RFC 4271 §9.1.2.2 c), so the decision is
    // not transitive and the best can depend on the order paths are compared in: a path added to
    // a destination is compared with its best so far, which must be what a scan of all would give.
    const peers = [1, 2, 3, 4].map((i) => peer(i, `192.0.2.${i}`));
    const attrs = [
      path(peers[0]!, '10.0.0.1', { asPath: [65001], med: 20 }).attrs,
      path(peers[1]!, '10.0.0.2', { asPath: [65002], med: 0 }).attrs,
      path(peers[2]!, '10.0.0.3', { asPath: [65001], med: 10 }).attrs,
      path(peers[3]!, '10.0.0.4', { asPath: [65002, 65009] }).attrs,
    ];
    const orders = (items: number[]): number[][] =>
      items.length <= 1
        ? [items]
        : items.flatMap((x, i) => orders(items.filter((_, j) => j !== i)).map((rest) => [x, ...rest]));
    for (const order of orders([0, 1, 2, 3])) {
      const rib = new FamilyRib<string>();
      const arrived: RibPath<string>[] = [];
      for (const i of order) {
        rib.update('k', 'r', peers[i]!, attrs[i]!);
        arrived.push({ peer: peers[i]!, route: 'r', attrs: attrs[i]! });
        const scan = arrived.reduce((best, p) => (comparePaths(p, best, false).order < 0 ? p : best));
        assert.equal(rib.best('k')?.peer.id, scan.peer.id, `arrival order ${order.join(',')}`);
      }
    }
  });
});

describe('table dumps (bests)', () => {
  it('visit the destinations held when begun, not those added while the dump runs', () => {
    const rib = new FamilyRib<string>();
    const attrs = path(P1, '10.0.0.1').attrs;
    for (const k of ['a', 'b', 'c']) rib.update(k, 'r', P1, attrs);
    const dump = rib.bests();
    assert.equal(dump.next().value?.[0], 'a');
    rib.update('d', 'r', P1, attrs);
    rib.update('b', 'r', P2, attrs);
    assert.deepEqual(
      [...{ [Symbol.iterator]: () => dump }].map(([k]) => k),
      ['b', 'c'],
    );
  });

  it('count the destinations when made, not at the first step', () => {
    const rib = new FamilyRib<string>();
    const attrs = path(P1, '10.0.0.1').attrs;
    rib.update('a', 'r', P1, attrs);
    const dump = rib.bests();
    rib.update('b', 'r', P1, attrs);
    assert.deepEqual(
      [...{ [Symbol.iterator]: () => dump }].map(([k]) => k),
      ['a'],
    );
  });
});

describe('EVPN paths (newEvpnPath)', () => {
  const plain: MacIpRoute = {
    type: 'mac-ip',
    routeType: 2,
    rd: parseRd('10.0.0.1:100'),
    esi: ZERO_ESI,
    ethernetTag: 0,
    mac: '02:00:00:00:00:01' as MacIpRoute['mac'],
    ip: '10.1.0.1' as Ipv4Address,
    label1: 100,
  };
  const packed = () => new PackedMacIpRoute(evpnRouteKey(plain), plain.rd, plain.esi, plain.label1, -1);

  it('a packed Type-2 route learned first is its own path; other peers share it as their route', () => {
    const sameKey = (held: EvpnRoute, received: EvpnRoute) => evpnRouteKey(held) === evpnRouteKey(received);
    const rib = new FamilyRib<EvpnRoute>((r) => r.type === 'mac-ip', sameKey, newEvpnPath);
    const key = evpnRouteKey(plain);
    const first = rib.update(key, packed(), P1, path(P1, '10.0.0.1').attrs)!.best!;
    assert.equal(first.route, first);
    assert.ok(first.route instanceof PackedMacIpRoute);
    assert.deepEqual(JSON.parse(JSON.stringify(first.route)), JSON.parse(JSON.stringify(plain)));
    assert.equal(first.stale, undefined);
    assert.equal(first.peer, P1);
    rib.update(key, packed(), P2, path(P2, '10.0.0.2').attrs);
    const second = rib.destinations.get(key)!.paths[1]!;
    assert.equal(second.peer, P2);
    assert.equal(second.route, first, 'the held route object is shared');
    rib.markStale(1);
    assert.equal(rib.destinations.get(key)!.paths[0]!.stale, true);
    assert.equal(second.stale, undefined);
  });

  it('a route a session decoded (decodedEvpnPath) becomes the path itself, once', () => {
    const rib = new FamilyRib<EvpnRoute>(
      (r) => r.type === 'mac-ip',
      () => false,
      newEvpnPath,
    );
    const key = evpnRouteKey(plain);
    const decoded = decodedEvpnPath(key, plain.rd, plain.esi, plain.label1, -1);
    const first = rib.update(key, decoded, P1, path(P1, '10.0.0.1').attrs)!.best!;
    assert.equal(first, decoded);
    assert.equal(first.peer, P1);
    // Learned again (another RIB, another peer): a path of its own that names it as its route.
    const again = newEvpnPath(P2, decoded, path(P2, '10.0.0.2').attrs);
    assert.notEqual(again, decoded);
    assert.equal(again.route, decoded);
    assert.equal(first.peer, P1, 'the first learner keeps it');
  });
});

describe('multipath (ECMP set)', () => {
  const P3 = peer(3, '192.0.2.3');
  it('paths equal up to the router-id tie-break are all in the set; a longer AS path is not', () => {
    const rib = new FamilyRib<string>();
    const touched: string[] = [];
    rib.watchPaths((k) => touched.push(k));
    rib.update('10.255.0.2/32', 'r', P1, path(P1, '10.254.0.0', { asPath: [65000, 65002] }).attrs);
    rib.update('10.255.0.2/32', 'r', P2, path(P2, '10.254.0.2', { asPath: [65000, 65002] }).attrs);
    rib.update('10.255.0.2/32', 'r', P3, path(P3, '10.254.0.4', { asPath: [65000, 65009, 65002] }).attrs);
    const set = rib.multipath('10.255.0.2/32').map((p) => p.peer.id);
    assert.deepEqual(set.sort(), [1, 2]);
    // Every change is reported, not only best-path changes (the second equal path is not a new best).
    assert.deepEqual(touched, ['10.255.0.2/32', '10.255.0.2/32', '10.255.0.2/32']);
    rib.withdraw('10.255.0.2/32', 1);
    assert.deepEqual(
      rib.multipath('10.255.0.2/32').map((p) => p.peer.id),
      [2],
    );
    assert.equal(touched.length, 4);
    rib.withdraw('10.255.0.2/32', 1);
    assert.equal(touched.length, 4, 'withdrawing a path that is not there changes nothing');
  });

  it('multipath-relax: equal-length paths through different neighbour ASes qualify', () => {
    const rib = new FamilyRib<string>();
    rib.update('p', 'r', P1, path(P1, '10.0.0.1', { asPath: [65101, 65002] }).attrs);
    rib.update('p', 'r', P2, path(P2, '10.0.0.2', { asPath: [65102, 65002] }).attrs);
    assert.equal(rib.multipath('p').length, 2);
    assert.deepEqual(rib.multipath('none'), []);
  });
});
