import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ipv4, ipv6, mac, type IpAddress } from '../../src/wire/addr.js';
import { concatBytes, fromHex, toHex } from '../../src/wire/bytes.js';
import { IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { ipFrame } from '../../src/wire/sample-frames.js';
import {
  decodeUdp,
  emitUdp,
  encodeUdp,
  UDP_HEADER_LENGTH,
  UDP_PORT_VXLAN,
  type UdpDatagram,
} from '../../src/wire/udp.js';
import { tshark, tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import { arbUdpCase, assertOnlyWireErrors, expectWireError, withByte } from './arb-l2l3.js';

const V4A = ipv4('10.1.0.1');
const V4B = ipv4('10.1.0.2');
const V6A = ipv6('2001:db8:1::1');
const V6B = ipv6('2001:db8:1::2');
const VTEP_A = ipv4('192.0.2.1');
const VTEP_B = ipv4('192.0.2.2');

// Linux 6.x, captured with dumpcap (checksum offload disabled so the checksums are real).
/** 10.1.0.1:40000 → 10.1.0.2:9, "twinleaf". */
const LINUX_V4 = fromHex('9c4000090010a3ce7477696e6c656166');
/** [2001:db8:1::1]:40001 → [2001:db8:1::2]:9, "twinleaf6". */
const LINUX_V6 = fromHex('9c410009001126597477696e6c65616636');
/** The Linux vxlan driver's outer UDP (udpcsum on) around an ARP request, 192.0.2.1 → 192.0.2.2. */
const LINUX_VXLAN = fromHex(
  '9d4412b5003a1d69' +
    '0800000000006400' +
    'ffffffffffff020000000a010806' +
    '0001080006040001020000000a010a0100010000000000000a010002',
);

/** Built by hand, checked with tshark: a datagram with no checksum (49152 → 9). */
const NO_CHECKSUM_V4 = fromHex('c0000009000c0000' + 'deadbeef');
/** Built by hand: VXLAN over IPv6 with a zero checksum (RFC 6935, RFC 7348 §5) around the same ARP request. */
const ZERO_CHECKSUM_VXLAN_V6 = fromHex(
  'd00012b5003a0000' +
    '0800000000006400' +
    'ffffffffffff020000000a010806' +
    '0001080006040001020000000a010a0100010000000000000a010002',
);

interface Case {
  readonly bytes: Uint8Array;
  readonly src: IpAddress;
  readonly dst: IpAddress;
}
const GOLDEN: readonly Case[] = [
  { bytes: LINUX_V4, src: V4A, dst: V4B },
  { bytes: LINUX_V6, src: V6A, dst: V6B },
  { bytes: LINUX_VXLAN, src: VTEP_A, dst: VTEP_B },
  { bytes: NO_CHECKSUM_V4, src: VTEP_A, dst: VTEP_B },
  { bytes: ZERO_CHECKSUM_VXLAN_V6, src: V6A, dst: V6B },
];

function inIp(c: Case): Uint8Array {
  return ipFrame(mac('02:00:00:00:00:01'), mac('02:00:00:00:00:02'), c.src, c.dst, IPPROTO_UDP, c.bytes);
}

describe('udp: golden vectors', () => {
  it('decodes Linux datagrams over IPv4 and IPv6, verifying the checksum', () => {
    const d4 = decodeUdp(LINUX_V4, V4A, V4B);
    assert.deepEqual(d4, {
      srcPort: 40000,
      dstPort: 9,
      checksum: true,
      payload: new TextEncoder().encode('twinleaf'),
    } satisfies UdpDatagram);
    assert.deepEqual(encodeUdp(d4, V4A, V4B), LINUX_V4);
    const d6 = decodeUdp(LINUX_V6, V6A, V6B);
    assert.deepEqual(d6, {
      srcPort: 40001,
      dstPort: 9,
      checksum: true,
      payload: new TextEncoder().encode('twinleaf6'),
    });
    assert.deepEqual(encodeUdp(d6, V6A, V6B), LINUX_V6);
  });

  it('decodes the checksummed outer UDP of a Linux VXLAN packet', () => {
    const d = decodeUdp(LINUX_VXLAN, VTEP_A, VTEP_B);
    assert.equal(d.srcPort, 0x9d44);
    assert.equal(d.dstPort, UDP_PORT_VXLAN);
    assert.equal(d.checksum, true);
    assert.equal(d.payload.length, 0x3a - 8);
    assert.deepEqual(encodeUdp(d, VTEP_A, VTEP_B), LINUX_VXLAN);
  });

  it('accepts a zero checksum over IPv4, and over IPv6 only to the VXLAN port', () => {
    const d = decodeUdp(NO_CHECKSUM_V4, VTEP_A, VTEP_B);
    assert.deepEqual(d, { srcPort: 49152, dstPort: 9, checksum: false, payload: fromHex('deadbeef') });
    assert.deepEqual(encodeUdp(d, VTEP_A, VTEP_B), NO_CHECKSUM_V4);
    const v = decodeUdp(ZERO_CHECKSUM_VXLAN_V6, V6A, V6B);
    assert.equal(v.checksum, false);
    assert.deepEqual(encodeUdp(v, V6A, V6B), ZERO_CHECKSUM_VXLAN_V6);
    const notVxlan = withByte(ZERO_CHECKSUM_VXLAN_V6, 3, 0xb6);
    expectWireError(() => decodeUdp(notVxlan, V6A, V6B), 'malformed', 'checksum');
    expectWireError(() => encodeUdp({ ...v, dstPort: 4790 }, V6A, V6B), 'malformed', 'checksum');
  });

  it('sends a computed zero checksum as 0xffff (RFC 768)', () => {
    // Find a payload whose checksum computes to zero: adjust two octets so the sum is 0xffff.
    const base: UdpDatagram = { srcPort: 1, dstPort: 2, checksum: true, payload: new Uint8Array(2) };
    const first = encodeUdp(base, V4A, V4B);
    const c = (first[6]! << 8) | first[7]!;
    const payload = Uint8Array.of(c >>> 8, c & 0xff);
    const bytes = encodeUdp({ ...base, payload }, V4A, V4B);
    assert.equal(toHex(bytes.subarray(6, 8)), 'ffff');
    assert.deepEqual(decodeUdp(bytes, V4A, V4B).payload, payload);
  });

  it('ignores bytes after Length', () => {
    const d = decodeUdp(concatBytes([LINUX_V4, new Uint8Array(6)]), V4A, V4B);
    assert.deepEqual(encodeUdp(d, V4A, V4B), LINUX_V4);
  });

  it('tshark verifies the checksums and sees no errors', () => {
    withPcap(GOLDEN.map(inIp), (path) => {
      // tshark flags every zero IPv6 UDP checksum unless told about RFC 6935 tunnels.
      const problems = tshark(path, [
        '-o',
        'udp.ignore_ipv6_zero_checksum:TRUE',
        '-Y',
        '_ws.malformed || _ws.expert.severity >= "Error"',
      ]);
      assert.equal(problems.trim(), '');
      assert.deepEqual(
        tsharkProblems(path).map((p) => [p.frame, p.expert]),
        [[5, 'Illegal checksum value (0)']],
      );
      const got = tsharkFields(path, ['udp.checksum.status', 'udp.srcport', 'udp.length', 'vxlan.vni']);
      for (const i of [0, 1, 2]) assert.deepEqual(got[i]?.['udp.checksum.status'], ['1']);
      assert.deepEqual(got[3]?.['udp.checksum.status'], ['3']); // PROTO_CHECKSUM_E_NOT_PRESENT
      assert.deepEqual(got[0]?.['udp.srcport'], ['40000']);
      assert.deepEqual(got[1]?.['udp.length'], ['17']);
      assert.deepEqual(got[2]?.['vxlan.vni'], ['100']);
      assert.deepEqual(got[4]?.['vxlan.vni'], ['100']);
    });
  });
});

describe('udp: properties', () => {
  it('decode(encode(v)) deep-equals v and encode(decode(encode(v))) equals encode(v)', () => {
    fc.assert(
      fc.property(arbUdpCase, ({ datagram, src, dst }) => {
        const bytes = encodeUdp(datagram, src, dst);
        assert.equal(bytes.length, UDP_HEADER_LENGTH + datagram.payload.length);
        assert.deepEqual(decodeUdp(bytes, src, dst), datagram);
        assert.deepEqual(encodeUdp(decodeUdp(bytes, src, dst), src, dst), bytes);
      }),
    );
  });

  it('emits at an offset without touching other bytes', () => {
    fc.assert(
      fc.property(arbUdpCase, fc.integer({ min: 0, max: 8 }), ({ datagram, src, dst }, at) => {
        const n = UDP_HEADER_LENGTH + datagram.payload.length;
        const out = new Uint8Array(at + n + 3).fill(0xa5);
        assert.equal(emitUdp(datagram, src, dst, out, at), at + n);
        assert.deepEqual(out.subarray(at, at + n), encodeUdp(datagram, src, dst));
        assert.ok(out.subarray(0, at).every((b) => b === 0xa5));
        assert.ok(out.subarray(at + n).every((b) => b === 0xa5));
      }),
    );
  });
});

describe('udp: hostile input', () => {
  it('truncations and mutations give a value or a WireError', () => {
    for (const c of GOLDEN) assertOnlyWireErrors((b) => decodeUdp(b, c.src, c.dst), [c.bytes], 600);
  });

  it('reports specific errors', () => {
    expectWireError(() => decodeUdp(LINUX_V4.subarray(0, 7), V4A, V4B), 'truncated', 'header');
    expectWireError(() => decodeUdp(LINUX_V4.subarray(0, 15), V4A, V4B), 'truncated', 'length');
    expectWireError(() => decodeUdp(withByte(LINUX_V4, 5, 7), V4A, V4B), 'malformed', 'length');
    expectWireError(() => decodeUdp(withByte(LINUX_V4, 9, 0), V4A, V4B), 'checksum', 'checksum');
    expectWireError(() => decodeUdp(LINUX_V4, V4A, ipv4('10.1.0.3')), 'checksum', 'checksum');
    expectWireError(() => decodeUdp(LINUX_V4, V4A, V6B), 'malformed', 'dst');
  });

  it('refuses values it cannot encode', () => {
    const d = decodeUdp(LINUX_V4, V4A, V4B);
    expectWireError(() => encodeUdp({ ...d, srcPort: 65536 }, V4A, V4B), 'malformed', 'srcPort');
    expectWireError(() => encodeUdp({ ...d, dstPort: -1 }, V4A, V4B), 'malformed', 'dstPort');
    expectWireError(
      () => encodeUdp({ ...d, payload: new Uint8Array(65528) }, V4A, V4B),
      'malformed',
      'payload',
    );
    expectWireError(() => encodeUdp(d, V4A, V6B), 'malformed', 'dst');
    expectWireError(() => encodeUdp(d, '10.1.0.300' as never, V4B), 'malformed', 'src');
  });
});
