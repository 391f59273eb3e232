import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ipv6, mac, type Ipv6Address } from '../../src/wire/addr.js';
import { concatBytes, fromHex, internetChecksum, toHex } from '../../src/wire/bytes.js';
import { encodeEthernet, ETHERTYPE_IPV6 } from '../../src/wire/ethernet.js';
import {
  decodeIcmpv6,
  emitIcmpv6,
  encodeIcmpv6,
  ICMPV6_TYPE_DESTINATION_UNREACHABLE,
  icmpv6Length,
  ipv6MulticastMac,
  solicitedNodeAddress,
  solicitedNodeMac,
  type Icmpv6Message,
  type NeighborAdvertisement,
  type NeighborSolicitation,
} from '../../src/wire/icmpv6.js';
import { IPPROTO_ICMPV6 } from '../../src/wire/ipv4.js';
import { encodeIpv6, ipv6PseudoHeaderSum } from '../../src/wire/ipv6.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import { arbIcmpv6Case, arbIpv6Address, assertOnlyWireErrors, expectWireError } from './arb-l2l3.js';

const A1 = ipv6('2001:db8:1::1');
const A2 = ipv6('2001:db8:1::2');
const SOLICITED_A2 = ipv6('ff02::1:ff00:2');

// Linux 6.x, captured inside VXLAN with dumpcap (ICMPv6 messages, i.e. the IPv6 payloads).
/** NS from A1 to the solicited-node group of A2, target A2, source link-layer option 02:00:00:00:0a:01. */
const LINUX_NS = fromHex('870012250000000020010db80001000000000000000000020101020000000a01');
/** The solicited NA from A2 to A1: S and O set, target link-layer option 02:00:00:00:0b:01. */
const LINUX_NA = fromHex('88007f6f6000000020010db80001000000000000000000020201020000000b01');
/** Echo request A1 → A2, id 0x4321 seq 7, "ping6" (raw socket), and the kernel's reply A2 → A1. */
const LINUX_ECHO_REQUEST = fromHex('8000cc474321000770696e6736');
const LINUX_ECHO_REPLY = fromHex('8100cb474321000770696e6736');
/** The kernel's Port Unreachable A2 → A1 quoting the offending UDP packet. */
const LINUX_UNREACHABLE = fromHex(
  '010422790000000060070f5a0011114020010db800010000000000000000000120010db8' +
    '0001000000000000000000029c410009001126597477696e6c65616636',
);

/** Built by hand (RFC 4861 §4.4), checked by tshark: router NA to all-nodes with a Nonce option (RFC 3971). */
const ROUTER_NA: NeighborAdvertisement = {
  kind: 'neighbor-advertisement',
  router: true,
  solicited: false,
  override: true,
  target: A2,
  options: [
    { kind: 'target-link-layer-address', mac: mac('02:00:00:00:0b:01') },
    { kind: 'unknown', type: 14, data: fromHex('0102030405aa') },
  ],
};
/** Built by hand: a DAD probe (RFC 4862 §5.4.2) from :: with no options. */
const DAD_NS: NeighborSolicitation = { kind: 'neighbor-solicitation', target: A1, options: [] };

interface Case {
  readonly bytes: Uint8Array;
  readonly src: Ipv6Address;
  readonly dst: Ipv6Address;
}

const ALL_NODES = ipv6('ff02::1');
const UNSPECIFIED = ipv6('::');
const GOLDEN: readonly Case[] = [
  { bytes: LINUX_NS, src: A1, dst: SOLICITED_A2 },
  { bytes: LINUX_NA, src: A2, dst: A1 },
  { bytes: LINUX_ECHO_REQUEST, src: A1, dst: A2 },
  { bytes: LINUX_ECHO_REPLY, src: A2, dst: A1 },
  { bytes: LINUX_UNREACHABLE, src: A2, dst: A1 },
  { bytes: encodeIcmpv6(ROUTER_NA, A2, ALL_NODES), src: A2, dst: ALL_NODES },
  {
    bytes: encodeIcmpv6(DAD_NS, UNSPECIFIED, solicitedNodeAddress(A1)),
    src: UNSPECIFIED,
    dst: solicitedNodeAddress(A1),
  },
];

const inIpv6 = (c: Case): Uint8Array =>
  encodeEthernet({
    dst: c.dst.startsWith('ff') ? ipv6MulticastMac(c.dst) : mac('02:00:00:00:0b:01'),
    src: mac('02:00:00:00:0a:01'),
    vlans: [],
    etherType: ETHERTYPE_IPV6,
    payload: encodeIpv6({
      trafficClass: 0,
      flowLabel: 0,
      nextHeader: IPPROTO_ICMPV6,
      hopLimit: 255,
      src: c.src,
      dst: c.dst,
      payload: c.bytes,
    }),
  });

describe('icmpv6: golden vectors', () => {
  it('decodes a Linux Neighbor Solicitation', () => {
    const m = decodeIcmpv6(LINUX_NS, A1, SOLICITED_A2);
    assert.deepEqual(m, {
      kind: 'neighbor-solicitation',
      target: A2,
      options: [{ kind: 'source-link-layer-address', mac: mac('02:00:00:00:0a:01') }],
    } satisfies Icmpv6Message);
    assert.deepEqual(encodeIcmpv6(m, A1, SOLICITED_A2), LINUX_NS);
  });

  it('decodes a Linux Neighbor Advertisement', () => {
    const m = decodeIcmpv6(LINUX_NA, A2, A1);
    assert.deepEqual(m, {
      kind: 'neighbor-advertisement',
      router: false,
      solicited: true,
      override: true,
      target: A2,
      options: [{ kind: 'target-link-layer-address', mac: mac('02:00:00:00:0b:01') }],
    } satisfies Icmpv6Message);
    assert.deepEqual(encodeIcmpv6(m, A2, A1), LINUX_NA);
  });

  it('decodes Linux echoes and keeps other messages byte-exact', () => {
    const req = decodeIcmpv6(LINUX_ECHO_REQUEST, A1, A2);
    assert.deepEqual(req, {
      kind: 'echo-request',
      id: 0x4321,
      seq: 7,
      data: new TextEncoder().encode('ping6'),
    });
    assert.deepEqual(encodeIcmpv6(req, A1, A2), LINUX_ECHO_REQUEST);
    const reply = decodeIcmpv6(LINUX_ECHO_REPLY, A2, A1);
    assert.deepEqual(reply, { ...req, kind: 'echo-reply' });
    const other = decodeIcmpv6(LINUX_UNREACHABLE, A2, A1);
    assert.equal(other.kind, 'other');
    if (other.kind !== 'other') return;
    assert.equal(other.type, ICMPV6_TYPE_DESTINATION_UNREACHABLE);
    assert.equal(other.code, 4);
    assert.deepEqual(encodeIcmpv6(other, A2, A1), LINUX_UNREACHABLE);
  });

  it('round-trips the hand-built router NA with an unknown option and a DAD probe', () => {
    const na = GOLDEN[5]!;
    assert.equal(toHex(na.bytes.subarray(4, 8)), 'a0000000');
    assert.equal(toHex(na.bytes.subarray(32)), '0e010102030405aa');
    assert.deepEqual(decodeIcmpv6(na.bytes, na.src, na.dst), ROUTER_NA);
    const dad = GOLDEN[6]!;
    assert.equal(dad.bytes.length, 24);
    assert.deepEqual(decodeIcmpv6(dad.bytes, dad.src, dad.dst), DAD_NS);
  });

  it('derives the solicited-node group and multicast MACs (the capture used them)', () => {
    assert.equal(solicitedNodeAddress(A2), 'ff02::1:ff00:2');
    assert.equal(solicitedNodeAddress(ipv6('fe80::2aa:ff:fe28:9c5a')), 'ff02::1:ff28:9c5a');
    assert.equal(solicitedNodeMac(A2), '33:33:ff:00:00:02');
    assert.equal(ipv6MulticastMac(ipv6('ff02::1')), '33:33:00:00:00:01');
    assert.equal(ipv6MulticastMac(ipv6('ff02::1:ff28:9c5a')), '33:33:ff:28:9c:5a');
  });

  it('tshark verifies the checksums and decodes the same fields without errors', () => {
    withPcap(GOLDEN.map(inIpv6), (path) => {
      assert.deepEqual(tsharkProblems(path), []);
      const got = tsharkFields(path, [
        'icmpv6.checksum.status',
        'icmpv6.nd.ns.target_address',
        'icmpv6.nd.na.target_address',
        'icmpv6.nd.na.flag.r',
        'icmpv6.nd.na.flag.s',
        'icmpv6.opt.linkaddr',
        'icmpv6.opt.type',
        'icmpv6.echo.sequence_number',
      ]);
      for (const g of got) assert.deepEqual(g['icmpv6.checksum.status'], ['1']);
      assert.deepEqual(got[0]?.['icmpv6.nd.ns.target_address'], ['2001:db8:1::2']);
      assert.deepEqual(got[0]?.['icmpv6.opt.linkaddr'], ['02:00:00:00:0a:01']);
      assert.deepEqual(got[1]?.['icmpv6.nd.na.flag.s'], ['1']);
      assert.deepEqual(got[2]?.['icmpv6.echo.sequence_number'], ['7']);
      assert.deepEqual(got[5]?.['icmpv6.nd.na.flag.r'], ['1']);
      assert.deepEqual(got[5]?.['icmpv6.opt.type'], ['2', '14']);
      assert.deepEqual(got[6]?.['icmpv6.nd.ns.target_address'], ['2001:db8:1::1']);
    });
  });
});

describe('icmpv6: properties', () => {
  it('decode(encode(v)) deep-equals v and encode(decode(encode(v))) equals encode(v)', () => {
    fc.assert(
      fc.property(arbIcmpv6Case, ({ message, src, dst }) => {
        const bytes = encodeIcmpv6(message, src, dst);
        assert.equal(bytes.length, icmpv6Length(message));
        assert.deepEqual(decodeIcmpv6(bytes, src, dst), message);
        assert.deepEqual(encodeIcmpv6(decodeIcmpv6(bytes, src, dst), src, dst), bytes);
      }),
    );
  });

  it('emits at an offset without touching other bytes', () => {
    fc.assert(
      fc.property(arbIcmpv6Case, fc.integer({ min: 0, max: 8 }), ({ message, src, dst }, at) => {
        const n = icmpv6Length(message);
        const out = new Uint8Array(at + n + 3).fill(0xa5);
        assert.equal(emitIcmpv6(message, src, dst, out, at), at + n);
        assert.deepEqual(out.subarray(at, at + n), encodeIcmpv6(message, src, dst));
        assert.ok(out.subarray(0, at).every((b) => b === 0xa5));
        assert.ok(out.subarray(at + n).every((b) => b === 0xa5));
      }),
    );
  });

  it('the checksum binds the addresses', () => {
    fc.assert(
      fc.property(arbIcmpv6Case, arbIpv6Address, ({ message, src, dst }, other) => {
        // One's complement sums are equal modulo 0xffff; only a different sum must be caught.
        const sum = (a: Ipv6Address): number =>
          ipv6PseudoHeaderSum(a, dst, IPPROTO_ICMPV6, 0, 'test') % 0xffff;
        fc.pre(sum(other) !== sum(src));
        const bytes = encodeIcmpv6(message, src, dst);
        expectWireError(() => decodeIcmpv6(bytes, other, dst), 'checksum', 'checksum');
      }),
    );
  });

  it('solicited-node addresses keep the low 24 bits', () => {
    fc.assert(
      fc.property(arbIpv6Address, (a) => {
        const s = solicitedNodeAddress(a);
        assert.ok(s.startsWith('ff02::1:ff'), s);
        assert.ok(solicitedNodeMac(a).startsWith('33:33:ff:'));
        assert.equal(solicitedNodeAddress(s), s);
      }),
    );
  });
});

describe('icmpv6: hostile input', () => {
  it('truncations and mutations give a value or a WireError', () => {
    for (const c of GOLDEN) {
      assertOnlyWireErrors((b) => decodeIcmpv6(b, c.src, c.dst), [c.bytes], 600);
    }
  });

  it('reports specific errors', () => {
    expectWireError(() => decodeIcmpv6(LINUX_NS.subarray(0, 3), A1, SOLICITED_A2), 'truncated', 'header');
    expectWireError(() => decodeIcmpv6(LINUX_NS, A1, A2), 'checksum', 'checksum');
    // Valid checksums over broken bodies.
    const raw = (type: number, body: string): Uint8Array => {
      const b = concatBytes([Uint8Array.of(type, 0, 0, 0), fromHex(body)]);
      const c = internetChecksum(
        b,
        0,
        b.length,
        ipv6PseudoHeaderSum(A1, A2, IPPROTO_ICMPV6, b.length, 'test'),
      );
      b[2] = c >>> 8;
      b[3] = c & 0xff;
      return b;
    };
    const target = '00000000' + '20010db8000100000000000000000002';
    expectWireError(() => decodeIcmpv6(raw(135, target.slice(0, 30)), A1, A2), 'truncated', 'target');
    expectWireError(
      () => decodeIcmpv6(raw(135, target + '0100' + '000000000000'), A1, A2),
      'malformed',
      'options',
    );
    expectWireError(
      () => decodeIcmpv6(raw(136, target + '0202' + '020000000b01'), A1, A2),
      'truncated',
      'options',
    );
    expectWireError(() => decodeIcmpv6(raw(136, target + '02'), A1, A2), 'truncated', 'options');
    expectWireError(() => decodeIcmpv6(raw(128, '0001'), A1, A2), 'truncated', 'seq');
    // A two-unit link-layer option is not Ethernet: kept as unknown.
    const twoUnits = decodeIcmpv6(raw(135, target + '0102' + '00'.repeat(14)), A1, A2);
    assert.deepEqual(twoUnits, {
      kind: 'neighbor-solicitation',
      target: A2,
      options: [{ kind: 'unknown', type: 1, data: new Uint8Array(14) }],
    });
  });

  it('refuses values it cannot encode', () => {
    const ns = decodeIcmpv6(LINUX_NS, A1, SOLICITED_A2);
    expectWireError(
      () =>
        encodeIcmpv6({ ...DAD_NS, options: [{ kind: 'unknown', type: 1, data: new Uint8Array(6) }] }, A1, A2),
      'malformed',
      'options',
    );
    expectWireError(
      () =>
        encodeIcmpv6({ ...DAD_NS, options: [{ kind: 'unknown', type: 3, data: new Uint8Array(7) }] }, A1, A2),
      'malformed',
      'options',
    );
    expectWireError(
      () =>
        encodeIcmpv6(
          { ...DAD_NS, options: [{ kind: 'source-link-layer-address', mac: 'x' as never }] },
          A1,
          A2,
        ),
      'malformed',
      'options',
    );
    expectWireError(
      () => encodeIcmpv6({ kind: 'other', type: 135, code: 0, rest: new Uint8Array(20) }, A1, A2),
      'malformed',
      'type',
    );
    expectWireError(
      () => encodeIcmpv6({ kind: 'echo-request', id: 1 << 16, seq: 0, data: new Uint8Array(0) }, A1, A2),
      'malformed',
      'id',
    );
    expectWireError(() => encodeIcmpv6(ns, A1, '10.0.0.1' as never), 'malformed', 'dst');
    expectWireError(
      () => encodeIcmpv6({ ...DAD_NS, target: 'nope' as never }, A1, A2),
      'malformed',
      'target',
    );
  });
});
