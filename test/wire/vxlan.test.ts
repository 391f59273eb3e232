import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ipv4, mac, vni, type Vni } from '../../src/wire/addr.js';
import { fromHex, internetChecksum, toHex } from '../../src/wire/bytes.js';
import { decodeEthernet, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import { decodeIpv4, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { decodeUdp } from '../../src/wire/udp.js';
import {
  checkVxlanFrame,
  decapsulateVxlan,
  decodeVxlan,
  encapsulateVxlan,
  encapsulateVxlanInto,
  encapsulateVxlanWithTemplate,
  encodeVxlan,
  innerFlowHash,
  VXLAN_OVERHEAD,
  VXLAN_PORT,
  VXLAN_SOURCE_PORT_MAX,
  VXLAN_SOURCE_PORT_MIN,
  vxlanOuterTemplate,
  vxlanSourcePort,
  type VxlanEncapsulation,
  type VxlanPacket,
} from '../../src/wire/vxlan.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import {
  arbVxlanEncapsulation,
  arbVxlanPacket,
  assertOnlyWireErrors,
  expectWireError,
  withByte,
} from './arb-l2l3.js';

// ---------------------------------------------------------------------------------------------
// Golden frames: Linux 6.x vxlan devices (id 100, dstport 4789, udpcsum) between 192.0.2.1
// (02:00:00:00:00:01) and 192.0.2.2 (02:00:00:00:00:02), captured with dumpcap on the underlay veth.
// ---------------------------------------------------------------------------------------------

const OUTER_A_TO_B = '0200000000020200000000010800';
const OUTER_B_TO_A = '0200000000010200000000020800';

/** Encapsulated broadcast ARP request from the overlay 10.1.0.1 (02:00:00:00:0a:01). */
const INNER_ARP_REQUEST =
  'ffffffffffff020000000a010806' + '0001080006040001020000000a010a0100010000000000000a010002';
const LINUX_ARP_REQUEST = fromHex(
  OUTER_A_TO_B +
    '4500004e2a9600004011cc05c0000201c0000202' +
    '9d4412b5003a1d69' +
    '0800000000006400' +
    INNER_ARP_REQUEST,
);
/** The encapsulated ARP reply, B → A. */
const INNER_ARP_REPLY =
  '020000000a01020000000b010806' + '0001080006040002020000000b010a010002020000000a010a010001';
const LINUX_ARP_REPLY = fromHex(
  OUTER_B_TO_A +
    '4500004e7e24000040117877c0000202c0000201' +
    '9d4412b5003a0366' +
    '0800000000006400' +
    INNER_ARP_REPLY,
);
/** An encapsulated ICMP echo request 10.1.0.1 → 10.1.0.2. */
const INNER_ICMP =
  '020000000b01020000000a010800' +
  '4500002424ac4000400102290a0100010a010002' +
  '08005435123400016162636465666768';
const LINUX_ICMP = fromHex(
  OUTER_A_TO_B +
    '450000562acd00004011cbc6c0000201c0000202' +
    '8d2212b500424e8c' +
    '0800000000006400' +
    INNER_ICMP,
);
/** An encapsulated TCP SYN to port 179. */
const INNER_SYN =
  '020000000b01020000000a010800' +
  '4500003c8a43400040069c740a0100010a010002' +
  'c40400b3fede069700000000a002faf0c6530000020405b40402080a8af61d90000000000103030a';
const LINUX_SYN = fromHex(
  OUTER_A_TO_B +
    '4500006e2af200004011cb89c0000201c0000202' +
    'c92112b5005a2690' +
    '0800000000006400' +
    INNER_SYN,
);
/** An encapsulated IPv6 Neighbor Solicitation. */
const INNER_NS =
  '3333ff000002020000000a0186dd' +
  '6000000000203aff20010db8000100000000000000000001ff0200000000000000000001ff000002' +
  '870012250000000020010db80001000000000000000000020101020000000a01';
const LINUX_NS = fromHex(
  OUTER_A_TO_B +
    '4500007a2b1500004011cb5ac0000201c0000202' +
    'de9312b50066bdfa' +
    '0800000000006400' +
    INNER_NS,
);

const LINUX = [LINUX_ARP_REQUEST, LINUX_ARP_REPLY, LINUX_ICMP, LINUX_SYN, LINUX_NS];

/** Built by hand: a VXLAN-GBP style header (G bit 0x80, Group Policy ID 0x1234 in reserved1), VNI 10100. */
const GBP_HEADER = fromHex('88001234' + '00277400');

const BASE: VxlanEncapsulation = {
  innerFrame: fromHex(INNER_ARP_REQUEST),
  vni: vni(100),
  outerSrcMac: mac('02:00:00:00:00:01'),
  outerDstMac: mac('02:00:00:00:00:02'),
  outerSrcIp: ipv4('192.0.2.1'),
  outerDstIp: ipv4('192.0.2.2'),
};

/** Recomputes the outer IPv4 header checksum after a test patched the header. */
function refreshIpChecksum(frame: Uint8Array): Uint8Array {
  const out = frame.slice();
  const ihl = (out[14]! & 15) * 4;
  out[24] = 0;
  out[25] = 0;
  const c = internetChecksum(out, 14, 14 + ihl);
  out[24] = c >>> 8;
  out[25] = c & 0xff;
  return out;
}

describe('vxlan: golden vectors', () => {
  it('decapsulates Linux frames, verifying both checksums', () => {
    const d = decapsulateVxlan(LINUX_ARP_REQUEST);
    assert.deepEqual(d, {
      vni: 100 as Vni,
      outerSrcMac: mac('02:00:00:00:00:01'),
      outerDstMac: mac('02:00:00:00:00:02'),
      outerSrcIp: ipv4('192.0.2.1'),
      outerDstIp: ipv4('192.0.2.2'),
      srcPort: 0x9d44,
      ttl: 64,
      dscp: 0,
      ecn: 0,
      innerFrame: fromHex(INNER_ARP_REQUEST),
    });
    assert.equal(d.innerFrame.buffer, LINUX_ARP_REQUEST.buffer);
    const inners = [INNER_ARP_REQUEST, INNER_ARP_REPLY, INNER_ICMP, INNER_SYN, INNER_NS];
    LINUX.forEach((f, i) => {
      const x = decapsulateVxlan(f);
      assert.equal(x.vni, 100);
      assert.equal(toHex(x.innerFrame), inners[i]);
    });
    assert.equal(decapsulateVxlan(LINUX_ARP_REPLY).outerSrcIp, '192.0.2.2');
  });

  it('decodes the VXLAN header of a Linux frame and re-encodes it exactly', () => {
    const udpPayload = LINUX_ICMP.subarray(42);
    const p = decodeVxlan(udpPayload);
    assert.deepEqual(p, {
      vni: 100 as Vni,
      reservedFlags: 0,
      reserved1: 0,
      reserved2: 0,
      innerFrame: fromHex(INNER_ICMP),
    } satisfies VxlanPacket);
    assert.deepEqual(encodeVxlan(p), udpPayload);
  });

  it('keeps reserved bits (a VXLAN-GBP header) so re-encoding is exact', () => {
    const p = decodeVxlan(GBP_HEADER);
    assert.deepEqual(p, {
      vni: 10100 as Vni,
      reservedFlags: 0x80,
      reserved1: 0x1234,
      reserved2: 0,
      innerFrame: new Uint8Array(0),
    });
    assert.deepEqual(encodeVxlan(p), GBP_HEADER);
  });

  it('builds the same outer stack as Linux, but DF set, id 0 and our own source port', () => {
    const ours = encapsulateVxlan(BASE);
    assert.equal(ours.length, LINUX_ARP_REQUEST.length);
    assert.equal(toHex(ours.subarray(0, 14)), OUTER_A_TO_B);
    // 4500 004e | id 0000, DF | TTL 64, UDP | checksum | 192.0.2.1 | 192.0.2.2
    assert.equal(toHex(ours.subarray(14, 24)), '4500004e000040004011');
    assert.equal(toHex(ours.subarray(26, 34)), 'c0000201c0000202');
    assert.equal(internetChecksum(ours, 14, 34), 0);
    const port = (ours[34]! << 8) | ours[35]!;
    assert.equal(port, vxlanSourcePort(fromHex(INNER_ARP_REQUEST)));
    assert.equal(toHex(ours.subarray(36, 42)), '12b5003a0000'); // dst 4789, length 58, no checksum
    assert.equal(toHex(ours.subarray(42)), toHex(LINUX_ARP_REQUEST.subarray(42)));
    // With the checksum requested, the UDP datagram verifies like Linux's.
    const summed = encapsulateVxlan({ ...BASE, udpChecksum: true });
    const udp = decodeUdp(summed.subarray(34), BASE.outerSrcIp, BASE.outerDstIp);
    assert.equal(udp.checksum, true);
    assert.equal(udp.dstPort, VXLAN_PORT);
  });

  it('tshark decodes Linux frames and ours (both checksum modes) without errors', () => {
    const ours = [
      encapsulateVxlan(BASE),
      encapsulateVxlan({
        ...BASE,
        innerFrame: fromHex(INNER_SYN),
        udpChecksum: true,
        dscp: 46,
        ecn: 2,
        ttl: 3,
      }),
      encapsulateVxlan({ ...BASE, innerFrame: fromHex(INNER_NS), vni: vni(0xabcdef), dontFragment: false }),
    ];
    withPcap([...LINUX, ...ours], (path) => {
      assert.deepEqual(tsharkProblems(path), []);
      const got = tsharkFields(path, [
        'vxlan.vni',
        'udp.checksum.status',
        'ip.checksum.status',
        'ip.dsfield.dscp',
        'ip.ttl',
        'arp.opcode',
        'icmpv6.type',
      ]);
      for (let i = 0; i < LINUX.length; i++) assert.deepEqual(got[i]?.['vxlan.vni'], ['100']);
      assert.deepEqual(got[5]?.['udp.checksum.status'], ['3']); // not present
      assert.deepEqual(got[5]?.['arp.opcode'], ['1']);
      assert.deepEqual(got[6]?.['udp.checksum.status'], ['1']);
      assert.deepEqual(got[6]?.['ip.dsfield.dscp'], ['46', '0']);
      assert.deepEqual(got[6]?.['ip.ttl'], ['3', '64']);
      assert.deepEqual(got[7]?.['vxlan.vni'], [String(0xabcdef)]);
      assert.deepEqual(got[7]?.['icmpv6.type'], ['135']);
      for (const g of got) assert.deepEqual(g['ip.checksum.status']?.[0], '1');
    });
  });
});

/** Mostly the port-carrying protocols (TCP, UDP, SCTP), sometimes any other. */
const u8Protocol = () => fc.oneof(fc.constantFrom(6, 17, 132), fc.integer({ min: 0, max: 255 }));

describe('vxlan: properties', () => {
  it('decode(encode(v)) deep-equals v and encode(decode(encode(v))) equals encode(v)', () => {
    fc.assert(
      fc.property(arbVxlanPacket, (v) => {
        const bytes = encodeVxlan(v);
        assert.deepEqual(decodeVxlan(bytes), v);
        assert.deepEqual(encodeVxlan(decodeVxlan(bytes)), bytes);
      }),
    );
  });

  it('encapsulate → decapsulate returns the inner frame, VNI and outer fields; the source port is in range and stable', () => {
    fc.assert(
      fc.property(arbVxlanEncapsulation, arbVxlanEncapsulation, (e, other) => {
        const frame = encapsulateVxlan(e);
        assert.equal(frame.length, VXLAN_OVERHEAD + e.innerFrame.length);
        const d = decapsulateVxlan(frame);
        assert.deepEqual(d.innerFrame, e.innerFrame);
        assert.equal(d.vni, e.vni);
        assert.equal(d.outerSrcMac, e.outerSrcMac);
        assert.equal(d.outerDstMac, e.outerDstMac);
        assert.equal(d.outerSrcIp, e.outerSrcIp);
        assert.equal(d.outerDstIp, e.outerDstIp);
        assert.equal(d.ttl, e.ttl ?? 64);
        assert.equal(d.dscp, e.dscp ?? 0);
        assert.equal(d.ecn, e.ecn ?? 0);
        assert.ok(
          d.srcPort >= VXLAN_SOURCE_PORT_MIN && d.srcPort <= VXLAN_SOURCE_PORT_MAX,
          String(d.srcPort),
        );
        // Stable: the same inner frame gets the same port whatever the outer parameters.
        assert.equal(d.srcPort, vxlanSourcePort(e.innerFrame));
        assert.equal(
          decapsulateVxlan(encapsulateVxlan({ ...other, innerFrame: e.innerFrame.slice() })).srcPort,
          d.srcPort,
        );
      }),
    );
  });

  it('encapsulateVxlanInto writes every octet at an offset (reused buffers, headroom)', () => {
    fc.assert(
      fc.property(arbVxlanEncapsulation, fc.integer({ min: 0, max: 9 }), (e, at) => {
        const want = encapsulateVxlan(e);
        const out = new Uint8Array(at + want.length + 3).fill(0xa5);
        assert.equal(encapsulateVxlanInto(e, out, at), at + want.length);
        assert.deepEqual(out.subarray(at, at + want.length), want);
        assert.ok(out.subarray(0, at).every((b) => b === 0xa5));
        assert.ok(out.subarray(at + want.length).every((b) => b === 0xa5));
        // The inner frame already in place behind 50 octets of headroom.
        const headroom = new Uint8Array(at + want.length).fill(0xa5);
        headroom.set(e.innerFrame, at + VXLAN_OVERHEAD);
        const inPlace = headroom.subarray(at + VXLAN_OVERHEAD);
        encapsulateVxlanInto({ ...e, innerFrame: inPlace }, headroom, at);
        assert.deepEqual(headroom.subarray(at), want);
      }),
    );
    expectWireError(
      () => encapsulateVxlanInto(BASE, new Uint8Array(VXLAN_OVERHEAD + 41), 0),
      'malformed',
      'out',
    );
    expectWireError(() => encapsulateVxlanInto(BASE, new Uint8Array(200), -1), 'malformed', 'out');
  });

  it('a tunnel template encapsulates exactly as encapsulateVxlan does (no UDP checksum), at an offset', () => {
    fc.assert(
      fc.property(
        arbVxlanEncapsulation,
        fc.array(fc.tuple(arbVxlanEncapsulation, fc.integer({ min: 0, max: 9 })), {
          minLength: 1,
          maxLength: 4,
        }),
        (tunnel, frames) => {
          // One template, reused for several inner frames and VNIs.
          const t = vxlanOuterTemplate(tunnel);
          for (const [{ innerFrame, vni }, at] of frames) {
            const want = encapsulateVxlan({ ...tunnel, innerFrame, vni, udpChecksum: false });
            const out = new Uint8Array(at + want.length + 3).fill(0xa5);
            assert.equal(encapsulateVxlanWithTemplate(t, vni, innerFrame, out, at), at + want.length);
            assert.deepEqual(out.subarray(at, at + want.length), want);
            assert.ok(out.subarray(0, at).every((b) => b === 0xa5));
            assert.ok(out.subarray(at + want.length).every((b) => b === 0xa5));
          }
        },
      ),
    );
  });

  it('a tunnel template refuses what encapsulateVxlan refuses', () => {
    expectWireError(
      () => vxlanOuterTemplate({ ...BASE, outerDstMac: 'nope' as never }),
      'malformed',
      'outerDstMac',
    );
    expectWireError(() => vxlanOuterTemplate({ ...BASE, ttl: 256 }), 'malformed', 'ttl');
    const t = vxlanOuterTemplate(BASE);
    const inner = BASE.innerFrame;
    const out = new Uint8Array(VXLAN_OVERHEAD + inner.length);
    expectWireError(
      () => encapsulateVxlanWithTemplate(t, (1 << 24) as Vni, inner, out, 0),
      'malformed',
      'vni',
    );
    expectWireError(() => encapsulateVxlanWithTemplate(t, -1 as Vni, inner, out, 0), 'malformed', 'vni');
    expectWireError(() => encapsulateVxlanWithTemplate(t, BASE.vni, inner, out, 1), 'malformed', 'out');
    expectWireError(() => encapsulateVxlanWithTemplate(t, BASE.vni, inner, out, -1), 'malformed', 'out');
    const huge = new Uint8Array(0xffff - 35);
    expectWireError(
      () => encapsulateVxlanWithTemplate(t, BASE.vni, huge, new Uint8Array(0x10000 + 14), 0),
      'malformed',
      'innerFrame',
    );
  });

  it('checkVxlanFrame finds the VNI and inner frame decapsulateVxlan returns', () => {
    fc.assert(
      fc.property(arbVxlanEncapsulation, fc.integer({ min: 0, max: 8 }), (e, padding) => {
        const frame = new Uint8Array(VXLAN_OVERHEAD + e.innerFrame.length + padding);
        encapsulateVxlanInto(e, frame, 0);
        const layout = checkVxlanFrame(frame);
        const d = decapsulateVxlan(frame);
        assert.equal(layout.vni, d.vni);
        assert.equal(layout.innerStart, d.innerFrame.byteOffset);
        assert.equal(layout.innerEnd, d.innerFrame.byteOffset + d.innerFrame.length);
      }),
    );
    for (const f of LINUX)
      assert.deepEqual(checkVxlanFrame(f), { vni: 100, innerStart: 50, innerEnd: f.length });
  });

  it('what encapsulate builds decodes layer by layer with the generic codecs', () => {
    fc.assert(
      fc.property(arbVxlanEncapsulation, (e) => {
        const frame = encapsulateVxlan(e);
        const eth = decodeEthernet(frame);
        assert.equal(eth.etherType, ETHERTYPE_IPV4);
        const ip = decodeIpv4(eth.payload);
        assert.equal(ip.protocol, IPPROTO_UDP);
        assert.equal(ip.dontFragment, e.dontFragment ?? true);
        const udp = decodeUdp(ip.payload, ip.src, ip.dst);
        assert.equal(udp.dstPort, VXLAN_PORT);
        assert.equal(udp.checksum, e.udpChecksum ?? false);
        const vx = decodeVxlan(udp.payload);
        assert.deepEqual(vx, {
          vni: e.vni,
          reservedFlags: 0,
          reserved1: 0,
          reserved2: 0,
          innerFrame: e.innerFrame,
        });
      }),
    );
  });

  it('innerFlowHash never throws, is deterministic and spreads flows over the port range', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => {
        const h = innerFlowHash(b);
        assert.ok(Number.isInteger(h) && h >= 0 && h <= 0xffffffff);
        assert.equal(innerFlowHash(b.slice()), h);
      }),
    );
    // 2000 TCP flows that differ only in the source port land on many distinct UDP ports.
    const inner = fromHex(INNER_SYN);
    const ports = new Set<number>();
    for (let p = 0; p < 2000; p++) {
      inner[34] = p >>> 8;
      inner[35] = p & 0xff;
      ports.add(vxlanSourcePort(inner));
    }
    assert.ok(ports.size > 1800, `${ports.size} distinct ports`);
  });

  it('innerFlowHash of untagged IPv4 frames is FNV-1a over exactly the documented fields', () => {
    // Values from before the unrolled IPv4 path existed: ICMP, a TCP SYN, and that SYN as a fragment.
    const fragment = fromHex(INNER_SYN);
    fragment[20] = 0x20;
    fragment[21] = 0x01;
    assert.deepEqual(
      [fromHex(INNER_ICMP), fromHex(INNER_SYN), fragment].map((f) => innerFlowHash(f).toString(16)),
      ['c0a5ef22', 'b479ebce', '8acf1a23'],
    );
    const fnv1a = (octets: number[]) =>
      octets.reduce((h, b) => Math.imul(h ^ b, 0x01000193), 0x811c9dc5) >>> 0;
    const ipv4Frame = fc
      .tuple(fc.uint8Array({ minLength: 24, maxLength: 80 }), fc.integer({ min: 0, max: 15 }), u8Protocol())
      .map(([rest, ihl, protocol]) => {
        const f = new Uint8Array(14 + rest.length);
        f.set(rest, 14);
        f[12] = 0x08;
        f[13] = 0x00;
        f[14] = (f[14]! & 0xf0) | ihl;
        f[23] = protocol;
        return f;
      });
    fc.assert(
      fc.property(ipv4Frame, (f) => {
        const headerLength = (f[14]! & 0x0f) * 4;
        const fragmented = (f[20]! & 0x3f) !== 0 || f[21]! !== 0;
        const l4 = 14 + headerLength;
        const ports =
          !fragmented && headerLength >= 20 && [6, 17, 132].includes(f[23]!) && l4 + 4 <= f.length
            ? [...f.subarray(l4, l4 + 4)]
            : [];
        const fields = [...f.subarray(0, 14), f[23]!, ...f.subarray(26, 34), ...ports];
        assert.equal(innerFlowHash(f), fnv1a(fields));
      }),
    );
  });

  it('hashes the flow, not the payload: every packet of a TCP flow gets the same port', () => {
    const syn = fromHex(INNER_SYN);
    const later = syn.slice();
    later.fill(0x55, 54); // different TCP seq/flags/options
    later[18] = 0x12; // different IPv4 id
    assert.equal(vxlanSourcePort(later), vxlanSourcePort(syn));
    const reversePorts = syn.slice();
    reversePorts[34] = syn[36]!;
    reversePorts[35] = syn[37]!;
    reversePorts[36] = syn[34]!;
    reversePorts[37] = syn[35]!;
    assert.notEqual(innerFlowHash(reversePorts), innerFlowHash(syn));
  });
});

describe('vxlan: hostile input', () => {
  it('truncations and mutations give a value or a WireError (decapsulate and decode)', () => {
    const ours = [encapsulateVxlan(BASE), encapsulateVxlan({ ...BASE, udpChecksum: true })];
    assertOnlyWireErrors(decapsulateVxlan, [...LINUX, ...ours]);
    assertOnlyWireErrors(decodeVxlan, [GBP_HEADER, LINUX_ICMP.subarray(42)]);
  });

  it('checkVxlanFrame throws only WireErrors, and otherwise places the inner frame inside the input', () => {
    const seeds = [...LINUX, encapsulateVxlan(BASE), encapsulateVxlan({ ...BASE, udpChecksum: true })];
    assertOnlyWireErrors((b) => {
      const { innerStart, innerEnd } = checkVxlanFrame(b);
      assert.ok(innerStart >= VXLAN_OVERHEAD && innerEnd - innerStart >= 14 && innerEnd <= b.length);
    }, seeds);
  });

  it('reports specific errors', () => {
    const f = encapsulateVxlan(BASE);
    expectWireError(() => decapsulateVxlan(f.subarray(0, 49)), 'truncated', 'outer headers');
    expectWireError(() => decapsulateVxlan(withByte(f, 12, 0x86)), 'unsupported', 'etherType');
    expectWireError(() => decapsulateVxlan(refreshIpChecksum(withByte(f, 14, 0x55))), 'malformed', 'version');
    expectWireError(() => decapsulateVxlan(refreshIpChecksum(withByte(f, 14, 0x44))), 'malformed', 'ihl');
    expectWireError(
      () => decapsulateVxlan(refreshIpChecksum(withByte(f, 17, 0xff))),
      'truncated',
      'totalLength',
    );
    expectWireError(
      () => decapsulateVxlan(refreshIpChecksum(withByte(f, 17, 0x1f))),
      'malformed',
      'totalLength',
    );
    expectWireError(
      () => decapsulateVxlan(refreshIpChecksum(withByte(f, 20, 0x20))),
      'unsupported',
      'fragment',
    );
    expectWireError(
      () => decapsulateVxlan(refreshIpChecksum(withByte(f, 21, 0x01))),
      'unsupported',
      'fragment',
    );
    expectWireError(() => decapsulateVxlan(refreshIpChecksum(withByte(f, 20, 0xc0))), 'malformed', 'flags');
    expectWireError(() => decapsulateVxlan(refreshIpChecksum(withByte(f, 23, 6))), 'unsupported', 'protocol');
    expectWireError(() => decapsulateVxlan(withByte(f, 22, 1)), 'checksum', 'checksum');
    expectWireError(() => decapsulateVxlan(withByte(f, 37, 0xb6)), 'unsupported', 'dstPort');
    expectWireError(() => decapsulateVxlan(withByte(f, 39, 0x3b)), 'malformed', 'udpLength');
    expectWireError(() => decapsulateVxlan(withByte(f, 39, 0x0f)), 'malformed', 'udpLength');
    expectWireError(() => decapsulateVxlan(withByte(f, 42, 0x00)), 'malformed', 'flags');
    expectWireError(() => decapsulateVxlan(withByte(LINUX_ICMP, 60, 0)), 'checksum', 'udpChecksum');
    // UDP length 16 + 13: one octet short of an inner Ethernet header.
    expectWireError(() => decapsulateVxlan(withByte(f, 39, 29)), 'malformed', 'innerFrame');
    expectWireError(() => decodeVxlan(GBP_HEADER.subarray(0, 7)), 'truncated', 'header');
    expectWireError(() => decodeVxlan(withByte(GBP_HEADER, 0, 0x80)), 'malformed', 'flags');
  });

  it('ignores the R bits and trailing padding when decapsulating', () => {
    const f = encapsulateVxlan(BASE);
    const gbp = withByte(withByte(f, 42, 0x88), 44, 0x12);
    assert.equal(decapsulateVxlan(gbp).vni, 100);
    const padded = new Uint8Array(f.length + 4);
    padded.set(f);
    assert.deepEqual(decapsulateVxlan(padded).innerFrame, BASE.innerFrame);
  });

  it('verifies the header checksum of an outer IPv4 header with options too', () => {
    // The frame again with a 4-octet option (NOP NOP NOP EOL): IHL 6, lengths and checksum updated.
    const f = encapsulateVxlan(BASE);
    const withOptions = new Uint8Array(f.length + 4);
    withOptions.set(f.subarray(0, 34));
    withOptions.set([1, 1, 1, 0], 34);
    withOptions.set(f.subarray(34), 38);
    withOptions[14] = 0x46;
    const totalLength = ((f[16]! << 8) | f[17]!) + 4;
    withOptions[16] = totalLength >>> 8;
    withOptions[17] = totalLength & 0xff;
    const good = refreshIpChecksum(withOptions);
    assert.deepEqual(decapsulateVxlan(good).innerFrame, BASE.innerFrame);
    assert.equal(checkVxlanFrame(good).innerStart, 54);
    expectWireError(() => decapsulateVxlan(withByte(good, 35, 2)), 'checksum', 'checksum');
  });

  it('refuses values it cannot encode', () => {
    expectWireError(
      () => encodeVxlan({ ...decodeVxlan(GBP_HEADER), vni: 1 << 24 } as never),
      'malformed',
      'vni',
    );
    expectWireError(
      () => encodeVxlan({ ...decodeVxlan(GBP_HEADER), reservedFlags: 0x08 }),
      'malformed',
      'reservedFlags',
    );
    expectWireError(
      () => encodeVxlan({ ...decodeVxlan(GBP_HEADER), reserved1: -1 }),
      'malformed',
      'reserved1',
    );
    expectWireError(
      () => encodeVxlan({ ...decodeVxlan(GBP_HEADER), reserved2: 256 }),
      'malformed',
      'reserved2',
    );
    expectWireError(() => encapsulateVxlan({ ...BASE, vni: -1 as Vni }), 'malformed', 'vni');
    expectWireError(() => encapsulateVxlan({ ...BASE, ttl: 256 }), 'malformed', 'ttl');
    expectWireError(() => encapsulateVxlan({ ...BASE, dscp: 64 }), 'malformed', 'dscp');
    expectWireError(() => encapsulateVxlan({ ...BASE, ecn: 4 }), 'malformed', 'ecn');
    expectWireError(
      () => encapsulateVxlan({ ...BASE, outerDstIp: '192.0.2' as never }),
      'malformed',
      'outerDstIp',
    );
    expectWireError(
      () => encapsulateVxlan({ ...BASE, outerSrcMac: '02:00' as never }),
      'malformed',
      'outerSrcMac',
    );
    expectWireError(
      () => encapsulateVxlan({ ...BASE, innerFrame: new Uint8Array(65535 - 35) }),
      'malformed',
      'innerFrame',
    );
    assert.equal(encapsulateVxlan({ ...BASE, innerFrame: new Uint8Array(65535 - 36) }).length, 65535 + 14);
  });
});
