import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ipv4, ipv6, mac } from '../../src/wire/addr.js';
import { concatBytes, fromHex, toHex } from '../../src/wire/bytes.js';
import { encodeEthernet, ETHERTYPE_IPV6 } from '../../src/wire/ethernet.js';
import { IPPROTO_ICMPV6, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import {
  decodeIpv6,
  emitIpv6Header,
  encodeIpv6,
  IPV6_HEADER_LENGTH,
  IPV6_NEXT_HEADER_NONE,
  ipPseudoHeaderSum,
  ipv6PseudoHeaderSum,
  type Ipv6Packet,
} from '../../src/wire/ipv6.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import { arbIpv6Packet, assertOnlyWireErrors, expectWireError, withByte } from './arb-l2l3.js';

// ---------------------------------------------------------------------------------------------
// Golden packets (Linux 6.x, captured inside VXLAN with dumpcap)
// ---------------------------------------------------------------------------------------------

/** Neighbor Solicitation 2001:db8:1::1 → ff02::1:ff00:2, hop limit 255. */
const LINUX_NS = fromHex(
  '6000000000203aff20010db8000100000000000000000001ff0200000000000000000001ff000002' +
    '870012250000000020010db80001000000000000000000020101020000000a01',
);

/** UDP 2001:db8:1::1 → 2001:db8:1::2, flow label 0x70f5a, hop limit 64. */
const LINUX_UDP = fromHex(
  '60070f5a0011114020010db800010000000000000000000120010db8000100000000000000000002' +
    '9c410009001126597477696e6c65616636',
);

/** Built by hand, checked with tshark: traffic class 0xb8 (DSCP EF), No Next Header, empty payload. */
const NO_NEXT_HEADER = fromHex(
  '6b80000000003b0120010db8000100000000000000000001ff020000000000000000000000000001',
);

const frame = (ip: Uint8Array): Uint8Array =>
  encodeEthernet({
    dst: mac('02:00:00:00:00:02'),
    src: mac('02:00:00:00:00:01'),
    vlans: [],
    etherType: ETHERTYPE_IPV6,
    payload: ip,
  });

describe('ipv6: golden vectors', () => {
  it('decodes a Linux Neighbor Solicitation packet', () => {
    const p = decodeIpv6(LINUX_NS);
    assert.deepEqual(p, {
      trafficClass: 0,
      flowLabel: 0,
      nextHeader: IPPROTO_ICMPV6,
      hopLimit: 255,
      src: ipv6('2001:db8:1::1'),
      dst: ipv6('ff02::1:ff00:2'),
      payload: LINUX_NS.subarray(40),
    } satisfies Ipv6Packet);
    assert.deepEqual(encodeIpv6(p), LINUX_NS);
  });

  it('decodes the flow label of a Linux UDP packet', () => {
    const p = decodeIpv6(LINUX_UDP);
    assert.equal(p.flowLabel, 0x70f5a);
    assert.equal(p.trafficClass, 0);
    assert.equal(p.nextHeader, IPPROTO_UDP);
    assert.equal(p.hopLimit, 64);
    assert.equal(p.payload.length, 17);
    assert.equal(p.payload.buffer, LINUX_UDP.buffer);
    assert.deepEqual(encodeIpv6(p), LINUX_UDP);
  });

  it('decodes the traffic class and an empty payload', () => {
    const p = decodeIpv6(NO_NEXT_HEADER);
    assert.equal(p.trafficClass, 0xb8);
    assert.equal(p.nextHeader, IPV6_NEXT_HEADER_NONE);
    assert.equal(p.hopLimit, 1);
    assert.equal(p.dst, 'ff02::1');
    assert.equal(p.payload.length, 0);
    assert.deepEqual(encodeIpv6(p), NO_NEXT_HEADER);
  });

  it('ignores bytes after Payload Length', () => {
    const p = decodeIpv6(concatBytes([LINUX_UDP, new Uint8Array(7)]));
    assert.deepEqual(encodeIpv6(p), LINUX_UDP);
  });

  it('tshark decodes the same fields without errors', () => {
    withPcap([LINUX_NS, LINUX_UDP, NO_NEXT_HEADER].map(frame), (path) => {
      assert.deepEqual(tsharkProblems(path), []);
      const got = tsharkFields(path, ['ipv6.flow', 'ipv6.tclass', 'ipv6.nxt', 'ipv6.hlim', 'ipv6.plen']);
      assert.deepEqual(got[1]?.['ipv6.flow'], ['0x070f5a']);
      assert.deepEqual(got[2]?.['ipv6.tclass'], ['0x000000b8']);
      assert.deepEqual(got[2]?.['ipv6.nxt'], ['59']);
      assert.deepEqual(got[0]?.['ipv6.hlim'], ['255']);
      assert.deepEqual(got[0]?.['ipv6.plen'], ['32']);
    });
  });
});

describe('ipv6: pseudo-header', () => {
  it('sums RFC 8200 §8.1 fields (and dispatches on the family)', () => {
    const src = ipv6('2001:db8:1::1');
    const dst = ipv6('2001:db8:1::2');
    const expected = 0x2001 + 0x0db8 + 0x0001 + 0x0001 + 0x2001 + 0x0db8 + 0x0001 + 0x0002 + 17 + 58;
    assert.equal(ipv6PseudoHeaderSum(src, dst, 58, 17, 'test'), expected);
    assert.equal(ipPseudoHeaderSum(src, dst, 58, 17, 'test'), expected);
    assert.equal(ipv6PseudoHeaderSum(src, dst, 6, 0x10002, 'test'), expected - 17 - 58 + 1 + 2 + 6);
    expectWireError(() => ipPseudoHeaderSum(src, ipv4('10.0.0.1'), 17, 8, 'udp'), 'malformed', 'dst');
    expectWireError(
      () => ipPseudoHeaderSum(ipv4('10.0.0.1'), ipv4('10.0.0.2'), 6, 70000, 'tcp'),
      'malformed',
      'length',
    );
    expectWireError(() => ipv6PseudoHeaderSum('2001:db8::g' as never, dst, 17, 8, 'udp'), 'malformed', 'src');
  });
});

describe('ipv6: properties', () => {
  it('decode(encode(v)) deep-equals v and encode(decode(encode(v))) equals encode(v)', () => {
    fc.assert(
      fc.property(arbIpv6Packet, (v) => {
        const bytes = encodeIpv6(v);
        assert.deepEqual(decodeIpv6(bytes), v);
        assert.deepEqual(encodeIpv6(decodeIpv6(bytes)), bytes);
      }),
    );
  });

  it('emits the header at an offset without touching other bytes', () => {
    fc.assert(
      fc.property(arbIpv6Packet, fc.integer({ min: 0, max: 8 }), (v, at) => {
        const out = new Uint8Array(at + IPV6_HEADER_LENGTH + 3).fill(0xa5);
        assert.equal(emitIpv6Header(v, out, at, v.payload.length), at + IPV6_HEADER_LENGTH);
        assert.equal(toHex(out.subarray(at, at + 40)), toHex(encodeIpv6(v).subarray(0, 40)));
        assert.ok(out.subarray(0, at).every((b) => b === 0xa5));
        assert.ok(out.subarray(at + 40).every((b) => b === 0xa5));
      }),
    );
  });
});

describe('ipv6: hostile input', () => {
  it('truncations and mutations give a value or a WireError', () => {
    assertOnlyWireErrors(decodeIpv6, [LINUX_NS, LINUX_UDP, NO_NEXT_HEADER]);
  });

  it('reports specific errors', () => {
    expectWireError(() => decodeIpv6(LINUX_NS.subarray(0, 39)), 'truncated', 'header');
    expectWireError(() => decodeIpv6(LINUX_NS.subarray(0, 71)), 'truncated', 'payloadLength');
    expectWireError(() => decodeIpv6(withByte(LINUX_NS, 0, 0x40)), 'malformed', 'version');
  });

  it('refuses values it cannot encode', () => {
    const p = decodeIpv6(LINUX_UDP);
    expectWireError(() => encodeIpv6({ ...p, payload: new Uint8Array(65536) }), 'malformed', 'payload');
    expectWireError(() => encodeIpv6({ ...p, flowLabel: 0x100000 }), 'malformed', 'flowLabel');
    expectWireError(() => encodeIpv6({ ...p, trafficClass: 256 }), 'malformed', 'trafficClass');
    expectWireError(() => encodeIpv6({ ...p, hopLimit: -1 }), 'malformed', 'hopLimit');
    expectWireError(() => encodeIpv6({ ...p, nextHeader: 1.5 }), 'malformed', 'nextHeader');
    expectWireError(() => encodeIpv6({ ...p, src: '10.0.0.1' as never }), 'malformed', 'src');
    expectWireError(() => encodeIpv6({ ...p, dst: '1::2::3' as never }), 'malformed', 'dst');
  });
});
