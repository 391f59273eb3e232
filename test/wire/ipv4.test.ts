import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ipv4, mac } from '../../src/wire/addr.js';
import { concatBytes, fromHex, toHex } from '../../src/wire/bytes.js';
import { encodeEthernet, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import {
  decodeIpv4,
  emitIpv4Address,
  emitIpv4Header,
  encodeIpv4,
  IPPROTO_ICMP,
  IPPROTO_UDP,
  ipProtocolName,
  ipv4AddressValue,
  ipv4HeaderLength,
  ipv4PseudoHeaderSum,
  type Ipv4Packet,
} from '../../src/wire/ipv4.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import {
  arbIpv4Address,
  arbIpv4Packet,
  assertOnlyWireErrors,
  expectWireError,
  withByte,
} from './arb-l2l3.js';

// ---------------------------------------------------------------------------------------------
// Golden packets
// ---------------------------------------------------------------------------------------------

/** Linux 6.x (captured inside VXLAN): ICMP echo request 10.1.0.1 → 10.1.0.2, DF, id 0x24ac. */
const LINUX_ICMP = fromHex('4500002424ac4000400102290a0100010a010002' + '08005435123400016162636465666768');

/** Linux 6.x vxlan driver: the outer IPv4 of an encapsulated ARP request (id 0x2a96, no DF, UDP). */
const LINUX_VXLAN_OUTER = fromHex(
  '4500004e2a9600004011cc05c0000201c0000202' +
    '9d4412b5003a1d69' +
    '0800000000006400' +
    'ffffffffffff020000000a010806' +
    '0001080006040001020000000a010a0100010000000000000a010002',
);

/**
 * The worked example of the IPv4 header checksum (Wikipedia, "Internet checksum"/"IPv4 header
 * checksum"): 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7. Payload zero-filled to 0x73.
 */
const WIKIPEDIA_HEADER = '45000073000040004011b861c0a80001c0a800c7';
const WIKIPEDIA = fromHex(WIKIPEDIA_HEADER + '00'.repeat(0x73 - 20));

/**
 * Built by hand, checked with tshark: IHL 6 with a Router Alert option (RFC 2113, 94 04 0000),
 * DSCP CS6 / ECN 1, TTL 1, protocol 253 (RFC 3692 experimentation), 4-octet payload.
 */
const ROUTER_ALERT = fromHex(
  '4601001c00070000' + '01fd' + '81c1' + 'c0000201e0000016' + '94040000' + 'deadbeef',
);

/** Built by hand: a non-first fragment (MF, offset 185 = 1480 octets) of a UDP datagram. */
const FRAGMENT = fromHex(
  '450000200abc20b94011' + 'cb54' + 'c0000201c0000202' + '0102030405060708' + '090a0b0c',
);

const frame = (ip: Uint8Array): Uint8Array =>
  encodeEthernet({
    dst: mac('02:00:00:00:00:02'),
    src: mac('02:00:00:00:00:01'),
    vlans: [],
    etherType: ETHERTYPE_IPV4,
    payload: ip.length + 14 >= 60 ? ip : concatBytes([ip, new Uint8Array(60 - 14 - ip.length)]),
  });

describe('ipv4: golden vectors', () => {
  it('decodes a Linux ICMP packet', () => {
    const p = decodeIpv4(LINUX_ICMP);
    assert.deepEqual(p, {
      dscp: 0,
      ecn: 0,
      id: 0x24ac,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IPPROTO_ICMP,
      src: ipv4('10.1.0.1'),
      dst: ipv4('10.1.0.2'),
      options: new Uint8Array(0),
      payload: fromHex('08005435123400016162636465666768'),
    } satisfies Ipv4Packet);
    assert.equal(ipProtocolName(p.protocol), 'ICMP');
    assert.deepEqual(encodeIpv4(p), LINUX_ICMP);
  });

  it('decodes the outer header of a Linux VXLAN packet', () => {
    const p = decodeIpv4(LINUX_VXLAN_OUTER);
    assert.equal(p.id, 0x2a96);
    assert.equal(p.dontFragment, false);
    assert.equal(p.protocol, IPPROTO_UDP);
    assert.equal(p.src, '192.0.2.1');
    assert.equal(p.dst, '192.0.2.2');
    assert.equal(p.payload.length, 0x4e - 20);
    assert.deepEqual(encodeIpv4(p), LINUX_VXLAN_OUTER);
  });

  it('computes the checksum of the worked example (0xb861)', () => {
    const p = decodeIpv4(WIKIPEDIA);
    assert.equal(p.src, '192.168.0.1');
    assert.equal(p.dst, '192.168.0.199');
    assert.equal(p.ttl, 64);
    assert.equal(toHex(encodeIpv4(p).subarray(0, 20)), WIKIPEDIA_HEADER);
  });

  it('keeps options raw and honours IHL', () => {
    const p = decodeIpv4(ROUTER_ALERT);
    assert.equal(toHex(p.options), '94040000');
    assert.equal(toHex(p.payload), 'deadbeef');
    assert.equal(p.dscp, 0);
    assert.equal(p.ecn, 1);
    assert.equal(p.ttl, 1);
    assert.equal(p.protocol, 253);
    assert.equal(p.dst, '224.0.0.22');
    assert.equal(ipv4HeaderLength(p), 24);
    assert.deepEqual(encodeIpv4(p), ROUTER_ALERT);
  });

  it('reports fragment fields', () => {
    const p = decodeIpv4(FRAGMENT);
    assert.equal(p.moreFragments, true);
    assert.equal(p.dontFragment, false);
    assert.equal(p.fragmentOffset, 185);
    assert.equal(p.payload.length, 12);
    assert.deepEqual(encodeIpv4(p), FRAGMENT);
  });

  it('ignores bytes after Total Length (Ethernet padding)', () => {
    const padded = concatBytes([LINUX_ICMP, new Uint8Array(10)]);
    const p = decodeIpv4(padded);
    assert.equal(p.payload.length, 16);
    assert.deepEqual(encodeIpv4(p), LINUX_ICMP);
  });

  it('tshark verifies every golden checksum and sees no errors', () => {
    const packets = [LINUX_ICMP, LINUX_VXLAN_OUTER, ROUTER_ALERT, FRAGMENT];
    withPcap(packets.map(frame), (path) => {
      assert.deepEqual(tsharkProblems(path), []);
      const got = tsharkFields(path, [
        'ip.checksum.status',
        'ip.id',
        'ip.opt.type',
        'ip.frag_offset',
        'ip.dsfield.ecn',
      ]);
      for (const g of got) assert.deepEqual(g['ip.checksum.status'], ['1']);
      assert.deepEqual(got[0]?.['ip.id'], ['0x24ac']);
      assert.deepEqual(got[2]?.['ip.opt.type'], ['148']);
      assert.deepEqual(got[2]?.['ip.dsfield.ecn'], ['1']);
      assert.deepEqual(got[3]?.['ip.frag_offset'], ['185']); // raw field: 8-octet units
    });
  });
});

describe('ipv4: properties', () => {
  it('decode(encode(v)) deep-equals v and encode(decode(encode(v))) equals encode(v)', () => {
    fc.assert(
      fc.property(arbIpv4Packet, (v) => {
        const bytes = encodeIpv4(v);
        assert.deepEqual(decodeIpv4(bytes), v);
        assert.deepEqual(encodeIpv4(decodeIpv4(bytes)), bytes);
      }),
    );
  });

  it('emits the header at an offset without touching other bytes', () => {
    fc.assert(
      fc.property(arbIpv4Packet, fc.integer({ min: 0, max: 8 }), (v, at) => {
        const n = ipv4HeaderLength(v);
        const out = new Uint8Array(at + n + 3).fill(0xa5);
        assert.equal(emitIpv4Header(v, out, at, v.payload.length), at + n);
        assert.deepEqual(out.subarray(at, at + n), encodeIpv4(v).subarray(0, n));
        assert.ok(out.subarray(0, at).every((b) => b === 0xa5));
        assert.ok(out.subarray(at + n).every((b) => b === 0xa5));
      }),
    );
  });

  it('any single-bit flip in the header is caught', () => {
    fc.assert(
      fc.property(arbIpv4Packet, fc.nat(), fc.integer({ min: 0, max: 7 }), (v, byteSeed, bit) => {
        const bytes = encodeIpv4(v);
        const at = byteSeed % ipv4HeaderLength(v);
        const flipped = withByte(bytes, at, bytes[at]! ^ (1 << bit));
        assert.throws(() => decodeIpv4(flipped));
      }),
    );
  });

  it('parses and writes addresses without allocating a string array', () => {
    fc.assert(
      fc.property(arbIpv4Address, (a) => {
        const out = new Uint8Array(4);
        emitIpv4Address(a, out, 0, 'test', 'a');
        assert.equal(`${out[0]}.${out[1]}.${out[2]}.${out[3]}`, a);
        assert.equal(
          ipv4AddressValue(a, 'test', 'a'),
          ((out[0]! << 24) >>> 0) + ((out[1]! << 16) | (out[2]! << 8) | out[3]!),
        );
      }),
    );
    for (const bad of [
      '1.2.3',
      '1.2.3.4.5',
      '1.2.3.256',
      '1..2.3',
      '1.2.3.',
      'a.b.c.d',
      '1.2.3.4 ',
      '1111.2.3.4',
      '',
    ])
      expectWireError(() => ipv4AddressValue(bad as never, 'test', 'a'), 'malformed', 'a');
  });

  it('computes the RFC 768 pseudo-header sum', () => {
    // 192.0.2.1 + 192.0.2.2 + 17 + 8, word by word.
    assert.equal(
      ipv4PseudoHeaderSum(ipv4('192.0.2.1'), ipv4('192.0.2.2'), 17, 8, 'test'),
      0xc000 + 0x0201 + 0xc000 + 0x0202 + 17 + 8,
    );
  });
});

describe('ipv4: hostile input', () => {
  it('truncations and mutations give a value or a WireError', () => {
    assertOnlyWireErrors(decodeIpv4, [LINUX_ICMP, LINUX_VXLAN_OUTER, ROUTER_ALERT, FRAGMENT]);
  });

  it('reports specific errors', () => {
    expectWireError(() => decodeIpv4(LINUX_ICMP.subarray(0, 19)), 'truncated', 'header');
    expectWireError(() => decodeIpv4(LINUX_ICMP.subarray(0, 35)), 'truncated', 'totalLength');
    expectWireError(() => decodeIpv4(withByte(LINUX_ICMP, 0, 0x65)), 'malformed', 'version');
    expectWireError(() => decodeIpv4(withByte(LINUX_ICMP, 0, 0x44)), 'malformed', 'ihl');
    expectWireError(() => decodeIpv4(withByte(LINUX_ICMP, 3, 19)), 'malformed', 'totalLength');
    expectWireError(() => decodeIpv4(withByte(LINUX_ICMP, 6, 0xc0)), 'malformed', 'flags');
    expectWireError(() => decodeIpv4(withByte(LINUX_ICMP, 8, 63)), 'checksum', 'checksum');
    // IHL 15 (60 octets) beyond Total Length 36.
    expectWireError(() => decodeIpv4(withByte(LINUX_ICMP, 0, 0x4f)), 'malformed', 'totalLength');
  });

  it('refuses values it cannot encode', () => {
    const p = decodeIpv4(LINUX_ICMP);
    expectWireError(() => encodeIpv4({ ...p, options: new Uint8Array(3) }), 'malformed', 'options');
    expectWireError(() => encodeIpv4({ ...p, options: new Uint8Array(44) }), 'malformed', 'options');
    expectWireError(() => encodeIpv4({ ...p, payload: new Uint8Array(65516) }), 'malformed', 'payload');
    expectWireError(() => encodeIpv4({ ...p, dscp: 64 }), 'malformed', 'dscp');
    expectWireError(() => encodeIpv4({ ...p, ecn: 4 }), 'malformed', 'ecn');
    expectWireError(() => encodeIpv4({ ...p, fragmentOffset: 0x2000 }), 'malformed', 'fragmentOffset');
    expectWireError(() => encodeIpv4({ ...p, ttl: 256 }), 'malformed', 'ttl');
    expectWireError(() => encodeIpv4({ ...p, id: -1 }), 'malformed', 'id');
    expectWireError(() => encodeIpv4({ ...p, src: '10.0.0.1.2' as never }), 'malformed', 'src');
    assert.equal(encodeIpv4({ ...p, payload: new Uint8Array(65515) }).length, 65535);
  });
});
