/**
 * The underlay router on real frame bytes: longest-prefix match with ECMP over ports that are up,
 * TTL and header checksum, packets for the router itself, and the forwarding fast path writing
 * exactly what decoding the packet and encoding it again with TTL - 1 writes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ARP_QUEUE_LIMIT, ARP_REACHABLE_NS, SimRouter } from '../../src/dataplane/sim/router.js';
import {
  arpReply,
  arpRequest,
  ARP_OP_REPLY,
  ARP_OP_REQUEST,
  decodeArp,
  encodeArp,
} from '../../src/wire/arp.js';
import { ipv4FromNumber, type Ipv4Address, type Mac } from '../../src/wire/addr.js';
import {
  decodeEthernet,
  encodeEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  padEthernetFrame,
} from '../../src/wire/ethernet.js';
import { decodeIpv4, encodeIpv4, IPPROTO_UDP, type Ipv4Packet } from '../../src/wire/ipv4.js';

const IN_MAC = '0e:00:00:00:00:01' as Mac;
const PEER_MAC = (n: number) => `0c:00:00:00:00:${n.toString(16).padStart(2, '0')}` as Mac;
const OWN = new Set(['10.254.0.0', '10.254.1.2', '10.254.1.4', '10.254.1.6', '10.254.1.8']);
const OUT_MAC = (n: number) => `0e:00:00:00:01:${n.toString(16).padStart(2, '0')}` as Mac;

/** A router with `in` (10.254.0.0/31) and four uplinks p1..p4 (10.254.1.<2k>/31). */
function router(): SimRouter {
  const r = new SimRouter('r');
  r.addInterface({ port: 'in', mac: IN_MAC, ip: '10.254.0.0' as Ipv4Address, prefixLength: 31 });
  for (let k = 1; k <= 4; k++)
    r.addInterface({
      port: `p${k}`,
      mac: OUT_MAC(k),
      ip: `10.254.1.${2 * k}` as Ipv4Address,
      prefixLength: 31,
    });
  return r;
}

function packet(p: Partial<Ipv4Packet> & { dst: Ipv4Address }): Ipv4Packet {
  return {
    dscp: 0,
    ecn: 0,
    id: 7,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 64,
    protocol: IPPROTO_UDP,
    src: '10.255.0.1' as Ipv4Address,
    options: new Uint8Array(0),
    payload: new Uint8Array([0x9c, 0x40, 0x12, 0xb5, 0, 8, 0, 0]),
    ...p,
  };
}

function frameTo(mac: Mac, ip: Ipv4Packet): Uint8Array {
  return encodeEthernet({
    dst: mac,
    src: PEER_MAC(0),
    vlans: [],
    etherType: ETHERTYPE_IPV4,
    payload: encodeIpv4(ip),
  });
}

describe('SimRouter', () => {
  it('forwards by longest prefix over the ports that are up, spreading flows by their 5-tuple', () => {
    const r = router();
    r.setRoute('0.0.0.0' as Ipv4Address, 0, [{ port: 'p1', mac: PEER_MAC(1) }]);
    r.setRoute('10.255.0.0' as Ipv4Address, 16, [
      { port: 'p2', mac: PEER_MAC(2) },
      { port: 'p3', mac: PEER_MAC(3) },
    ]);
    r.setRoute('10.255.0.9' as Ipv4Address, 32, [{ port: 'p4', mac: PEER_MAC(4) }]);
    const via = (dst: string) =>
      r.receive('in', frameTo(IN_MAC, packet({ dst: dst as Ipv4Address })), 0).transmit;
    assert.equal(via('10.255.0.9')[0]!.port, 'p4');
    assert.equal(via('192.0.2.1')[0]!.port, 'p1');
    // ECMP: one of the equal next hops, the same one for every packet of a flow (the hash is seeded
    // per device, so which one is not fixed here).
    const first = via('10.255.0.7')[0]!.port;
    assert.ok(first === 'p2' || first === 'p3');
    assert.equal(via('10.255.0.7')[0]!.port, first);
    r.setPortUp('p4', false);
    const chosen = via('10.255.0.9')[0]!.port;
    assert.ok(chosen === 'p2' || chosen === 'p3', 'the /32 is unusable: the /16');
    r.setPortUp(chosen, false);
    const left = chosen === 'p2' ? 3 : 2;
    assert.equal(via('10.255.0.9')[0]!.port, `p${left}`, 'one port left');
    assert.deepEqual(r.lookup('10.255.0.9' as Ipv4Address), [{ port: `p${left}`, mac: PEER_MAC(left) }]);
    r.setRoute('10.255.0.0' as Ipv4Address, 16, []);
    assert.equal(via('10.255.0.7')[0]!.port, 'p1');
    assert.equal(r.counters.forwarded, 7);
  });

  it('uses exactly the next hops whose port is up, through any run of carrier changes and re-added interfaces', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('carrier' as const),
        k: fc.integer({ min: 1, max: 4 }),
        up: fc.boolean(),
      }),
      fc.record({ kind: fc.constant('re-add' as const), k: fc.integer({ min: 1, max: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const r = router();
        r.setRoute(
          '10.255.0.0' as Ipv4Address,
          16,
          [1, 2, 3, 4].map((k) => ({ port: `p${k}`, mac: PEER_MAC(k) })),
        );
        const up = [true, true, true, true, true];
        for (const o of ops) {
          if (o.kind === 'carrier') {
            r.setPortUp(`p${o.k}`, o.up);
            up[o.k] = o.up;
          } else {
            // A re-added interface comes up.
            r.addInterface({
              port: `p${o.k}`,
              mac: OUT_MAC(o.k),
              ip: `10.254.1.${2 * o.k}` as Ipv4Address,
              prefixLength: 31,
            });
            up[o.k] = true;
          }
          const expected = [1, 2, 3, 4].filter((k) => up[k]).map((k) => `p${k}`);
          assert.deepEqual(
            r.lookup('10.255.0.7' as Ipv4Address).map((h) => h.port),
            expected,
          );
        }
      }),
    );
  });

  it('uses a route installed before its interface once the interface is added', () => {
    const r = new SimRouter('r');
    r.addInterface({ port: 'in', mac: IN_MAC, ip: '10.254.0.0' as Ipv4Address, prefixLength: 31 });
    r.setRoute('0.0.0.0' as Ipv4Address, 0, [{ port: 'p1', mac: PEER_MAC(1) }]);
    r.addInterface({ port: 'p1', mac: OUT_MAC(1), ip: '10.254.1.2' as Ipv4Address, prefixLength: 31 });
    const out = r.receive('in', frameTo(IN_MAC, packet({ dst: '192.0.2.1' as Ipv4Address })), 0).transmit;
    assert.equal(out.length, 1);
    assert.deepEqual(decodeEthernet(out[0]!.frame).src, OUT_MAC(1));
    r.setPortUp('p1', false);
    assert.equal(
      r.receive('in', frameTo(IN_MAC, packet({ dst: '192.0.2.1' as Ipv4Address })), 0).transmit.length,
      0,
    );
  });

  it('hands packets for its own addresses to the host, drops TTL 1 and unroutable packets', () => {
    const r = router();
    const own = frameTo(IN_MAC, packet({ dst: '10.254.1.4' as Ipv4Address }));
    const out = r.receive('in', own, 0);
    assert.deepEqual(out.toHost, [own]);
    assert.equal(out.transmit.length, 0);
    assert.equal(
      r.receive('in', frameTo(IN_MAC, packet({ dst: '192.0.2.1' as Ipv4Address })), 0).transmit.length,
      0,
    );
    assert.equal(r.counters.noRoute, 1);
    r.setRoute('0.0.0.0' as Ipv4Address, 0, [{ port: 'p1', mac: PEER_MAC(1) }]);
    r.receive('in', frameTo(IN_MAC, packet({ dst: '192.0.2.1' as Ipv4Address, ttl: 1 })), 0);
    assert.equal(r.counters.ttlExpired, 1);
    assert.equal(
      r.receive('in', frameTo(PEER_MAC(9), packet({ dst: '192.0.2.1' as Ipv4Address })), 0).transmit.length,
      0,
    );
    assert.equal(r.counters.forwarded, 0);
  });

  it('writes what decoding and re-encoding with TTL - 1 writes, for any packet; drops broken headers', () => {
    fc.assert(
      fc.property(
        fc.record({
          dst: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0x0afe0000, 0x0afe0104)),
          ttl: fc.integer({ min: 2, max: 255 }),
          dscp: fc.integer({ min: 0, max: 63 }),
          id: fc.integer({ min: 0, max: 0xffff }),
          options: fc.integer({ min: 0, max: 10 }).map((n) => new Uint8Array(n * 4).fill(1)),
          payload: fc.uint8Array({ maxLength: 120 }),
          pad: fc.boolean(),
          corrupt: fc.constantFrom('none', 'checksum', 'reserved', 'length'),
        }),
        (c) => {
          const r = router();
          r.setRoute('0.0.0.0' as Ipv4Address, 0, [
            { port: 'p1', mac: PEER_MAC(1) },
            { port: 'p2', mac: PEER_MAC(2) },
          ]);
          const ip = packet({
            dst: ipv4FromNumber(c.dst),
            ttl: c.ttl,
            dscp: c.dscp,
            id: c.id,
            options: c.options,
            payload: c.payload,
          });
          let frame = frameTo(IN_MAC, ip);
          if (c.pad) frame = padEthernetFrame(frame);
          if (c.corrupt === 'checksum') frame[14 + 11] = frame[14 + 11]! ^ 0x40;
          if (c.corrupt === 'reserved') frame[14 + 6] = frame[14 + 6]! | 0x80;
          if (c.corrupt === 'length') frame[14 + 2] = 0xff;
          const out = r.receive('in', frame, 0);
          if (c.corrupt !== 'none') {
            assert.equal(out.transmit.length, 0);
            assert.equal(r.counters.malformed, 1);
            return;
          }
          if (OWN.has(ipv4FromNumber(c.dst))) {
            assert.deepEqual(out.toHost, [frame]);
            return;
          }
          // The reference: the general path's decode and encode.
          const decoded = decodeIpv4(decodeEthernet(frame).payload);
          const reencoded = encodeIpv4({ ...decoded, ttl: decoded.ttl - 1 });
          assert.equal(out.transmit.length, 1);
          const port = out.transmit[0]!.port;
          assert.ok(port === 'p1' || port === 'p2');
          const expected = encodeEthernet({
            dst: PEER_MAC(Number(port[1])),
            src: OUT_MAC(Number(port[1])),
            vlans: [],
            etherType: ETHERTYPE_IPV4,
            payload: reencoded,
          });
          assert.deepEqual(out.transmit[0]!.frame, expected);
          assert.equal(r.receive('in', frame, 0).transmit[0]!.port, port, 'a flow keeps its next hop');
        },
      ),
    );
  });
});

describe('SimRouter ARP (RFC 826) on routed links', () => {
  const GW = '10.254.1.3' as Ipv4Address; // p1's neighbour on 10.254.1.2/31
  const GW_MAC = PEER_MAC(0x31);

  function arpRouter(): { r: SimRouter; wakes: number[] } {
    const wakes: number[] = [];
    const r = new SimRouter('r', { wake: (at) => wakes.push(at) });
    r.addInterface({ port: 'in', mac: IN_MAC, ip: '10.254.0.0' as Ipv4Address, prefixLength: 31 });
    r.addInterface({ port: 'p1', mac: OUT_MAC(1), ip: '10.254.1.2' as Ipv4Address, prefixLength: 31 });
    r.setRoute('0.0.0.0' as Ipv4Address, 0, [{ port: 'p1', via: GW }]);
    return { r, wakes };
  }

  const data = (id: number) => frameTo(IN_MAC, packet({ dst: '192.0.2.1' as Ipv4Address, id }));
  const arpOf = (frame: Uint8Array) => {
    const eth = decodeEthernet(frame);
    assert.equal(eth.etherType, ETHERTYPE_ARP);
    return { eth, arp: decodeArp(eth.payload) };
  };
  const reply = (at: Ipv4Address = GW, mac: Mac = GW_MAC) =>
    encodeEthernet({
      dst: OUT_MAC(1),
      src: mac,
      vlans: [],
      etherType: ETHERTYPE_ARP,
      payload: encodeArp(arpReply(mac, at, OUT_MAC(1), '10.254.1.2' as Ipv4Address)),
    });

  it('resolves a next hop by broadcast, holds the packet meanwhile and sends it with the reply', () => {
    const { r, wakes } = arpRouter();
    const first = r.receive('in', data(1), 0).transmit;
    assert.equal(first.length, 1);
    const { eth, arp } = arpOf(first[0]!.frame);
    assert.equal(first[0]!.port, 'p1');
    assert.equal(eth.dst, 'ff:ff:ff:ff:ff:ff');
    assert.deepEqual(
      { op: arp.op, sha: arp.sha, spa: arp.spa, tpa: arp.tpa },
      { op: ARP_OP_REQUEST, sha: OUT_MAC(1), spa: '10.254.1.2', tpa: GW },
    );
    assert.deepEqual(wakes, [1e9], 'retransmission timer: 1 s');
    assert.equal(r.receive('in', data(2), 10).transmit.length, 0, 'one request per resolution');
    assert.equal(r.neighborEntry('p1', GW)?.state, 'incomplete');
    const released = r.receive('p1', reply(), 20).transmit;
    assert.deepEqual(
      released.map((t) => decodeIpv4(decodeEthernet(t.frame).payload).id),
      [1, 2],
    );
    assert.ok(released.every((t) => decodeEthernet(t.frame).dst === GW_MAC && t.port === 'p1'));
    assert.deepEqual(r.neighborEntry('p1', GW), { state: 'reachable', mac: GW_MAC });
    assert.deepEqual(r.lookup('192.0.2.1' as Ipv4Address), [{ port: 'p1', via: GW, mac: GW_MAC }]);
    assert.equal(decodeEthernet(r.receive('in', data(3), 30).transmit[0]!.frame).dst, GW_MAC);
    assert.equal(r.counters.arpRequests, 1);
  });

  it('holds at most ARP_QUEUE_LIMIT packets per neighbour, dropping the oldest', () => {
    const { r } = arpRouter();
    for (let i = 0; i < ARP_QUEUE_LIMIT + 4; i++) r.receive('in', data(i), i);
    assert.equal(r.counters.arpQueueDrops, 4);
    const released = r.receive('p1', reply(), 1000).transmit;
    assert.equal(released.length, ARP_QUEUE_LIMIT);
    assert.equal(decodeIpv4(decodeEthernet(released[0]!.frame).payload).id, 4);
  });

  it('retransmits once a second, then gives up and drops what waited', () => {
    const { r } = arpRouter();
    r.receive('in', data(1), 0);
    assert.equal(r.poll(0.5e9).transmit.length, 0);
    assert.equal(arpOf(r.poll(1e9).transmit[0]!.frame).arp.tpa, GW);
    assert.equal(r.poll(2e9).transmit.length, 1);
    assert.equal(r.nextDeadline(), 3e9);
    assert.equal(r.poll(3e9).transmit.length, 0);
    assert.deepEqual(
      { requests: r.counters.arpRequests, failures: r.counters.arpFailures, drops: r.counters.arpQueueDrops },
      { requests: 3, failures: 1, drops: 1 },
    );
    assert.equal(r.nextDeadline(), undefined);
    assert.equal(r.neighborEntry('p1', GW)?.state, 'none');
    assert.equal(arpOf(r.receive('in', data(2), 4e9).transmit[0]!.frame).eth.dst, 'ff:ff:ff:ff:ff:ff');
  });

  it('keeps using a stale entry, probes it by unicast 5 s later, and forgets it if it stays silent', () => {
    const { r } = arpRouter();
    r.receive('in', data(1), 0);
    r.receive('p1', reply(), 0);
    const later = ARP_REACHABLE_NS + 1e9;
    assert.equal(decodeEthernet(r.receive('in', data(2), later).transmit[0]!.frame).dst, GW_MAC);
    assert.equal(r.neighborEntry('p1', GW)?.state, 'delay');
    const probe = r.poll(later + 5e9).transmit;
    assert.equal(arpOf(probe[0]!.frame).eth.dst, GW_MAC, 'unicast to the MAC it had');
    // A reply confirms it again.
    r.receive('p1', reply(), later + 5.1e9);
    assert.equal(r.neighborEntry('p1', GW)?.state, 'reachable');
    assert.equal(r.nextDeadline(), undefined);
    // Silent this time: 3 unicast probes, then the entry is gone.
    const again = later + 5.1e9 + ARP_REACHABLE_NS + 1;
    r.receive('in', data(3), again);
    for (const dt of [5e9, 6e9, 7e9]) r.poll(again + dt);
    r.poll(again + 8e9);
    assert.equal(r.neighborEntry('p1', GW)?.state, 'none');
    assert.equal(r.counters.arpFailures, 1);
  });

  it('forgets a port’s neighbours at carrier loss and resolves them again when used after it returns', () => {
    const { r } = arpRouter();
    r.receive('in', data(1), 0);
    r.receive('p1', reply(), 0);
    r.receive('in', data(2), 10); // waits for nothing: resolved
    r.setPortUp('p1', false);
    assert.equal(r.neighborEntry('p1', GW)?.state, 'none');
    r.setPortUp('p1', true);
    const out = r.receive('in', data(3), 20).transmit;
    assert.equal(arpOf(out[0]!.frame).eth.dst, 'ff:ff:ff:ff:ff:ff');
    assert.equal(r.receive('p1', reply(), 30).transmit.length, 1);
  });

  it('learns the sender of a request for it (RFC 826), and answers it', () => {
    const { r } = arpRouter();
    const request = encodeEthernet({
      dst: 'ff:ff:ff:ff:ff:ff' as Mac,
      src: GW_MAC,
      vlans: [],
      etherType: ETHERTYPE_ARP,
      payload: encodeArp(arpRequest(GW_MAC, GW, '10.254.1.2' as Ipv4Address)),
    });
    const out = r.receive('p1', request, 0).transmit;
    assert.equal(arpOf(out[0]!.frame).arp.op, ARP_OP_REPLY);
    assert.deepEqual(r.neighborEntry('p1', GW), { state: 'stale', mac: GW_MAC });
    // Used at once, unconfirmed: sent, and probed 5 s later.
    assert.equal(decodeEthernet(r.receive('in', data(1), 1).transmit[0]!.frame).dst, GW_MAC);
    assert.equal(r.nextDeadline(), 1 + 5e9);
  });
});
