import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mac } from '../../src/wire/addr.js';
import { fromHex, toHex } from '../../src/wire/bytes.js';
import {
  decodeEthernet,
  emitEthernetHeader,
  emitMac,
  encodeEthernet,
  etherTypeName,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  ethernetHeaderLength,
  type EthernetFrame,
} from '../../src/wire/ethernet.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import { arbEthernetFrame, assertOnlyWireErrors, expectWireError } from './arb-l2l3.js';

// ---------------------------------------------------------------------------------------------
// Golden frames
// ---------------------------------------------------------------------------------------------

/** Linux 6.x, captured with dumpcap on a veth: broadcast ARP request for 192.0.2.2 (42 octets, unpadded). */
const LINUX_ARP_REQUEST = fromHex(
  'ffffffffffff020000000001' + '0806' + '0001080006040001020000000001c0000201000000000000c0000202',
);

/**
 * Linux 6.x: the inner frame of a VXLAN packet — a Neighbor Solicitation sent to the solicited-node
 * group's MAC 33:33:ff:00:00:02.
 */
const LINUX_NS_FRAME = fromHex(
  '3333ff000002020000000a01' +
    '86dd' +
    '6000000000203aff20010db8000100000000000000000001ff0200000000000000000001ff000002' +
    '870012250000000020010db80001000000000000000000020101020000000a01',
);

/** Built by hand (802.1Q §9.6), checked with tshark: C-tag PCP 5 VID 100, ARP, padded to 60. */
const TAGGED_ARP = fromHex(
  '020000000002020000000001' +
    '8100a064' +
    '0806' +
    '0001080006040001020000000001c0000201000000000000c0000202' +
    '00'.repeat(14),
);

/** Built by hand (802.1ad), checked with tshark: S-tag VID 10, C-tag PCP 3 DEI 1 VID 200, IPv4/ICMP. */
const QINQ_IPV4 = fromHex(
  '020000000002020000000001' +
    '88a8000a' +
    '810070c8' +
    '0800' +
    '4500002424ac4000400102290a0100010a010002' +
    '08005435123400016162636465666768',
);

describe('ethernet: golden vectors', () => {
  it('decodes an untagged Linux ARP frame', () => {
    const f = decodeEthernet(LINUX_ARP_REQUEST);
    assert.equal(f.dst, 'ff:ff:ff:ff:ff:ff');
    assert.equal(f.src, '02:00:00:00:00:01');
    assert.deepEqual(f.vlans, []);
    assert.equal(f.etherType, ETHERTYPE_ARP);
    assert.equal(toHex(f.payload), '0001080006040001020000000001c0000201000000000000c0000202');
    assert.deepEqual(encodeEthernet(f), LINUX_ARP_REQUEST);
  });

  it('decodes a Linux IPv6 multicast frame', () => {
    const f = decodeEthernet(LINUX_NS_FRAME);
    assert.equal(f.dst, '33:33:ff:00:00:02');
    assert.equal(f.src, '02:00:00:00:0a:01');
    assert.equal(f.etherType, ETHERTYPE_IPV6);
    assert.equal(f.payload.length, 72);
    assert.deepEqual(encodeEthernet(f), LINUX_NS_FRAME);
  });

  it('decodes an 802.1Q tag, keeping the padding in the payload', () => {
    const f = decodeEthernet(TAGGED_ARP);
    assert.deepEqual(f.vlans, [{ tpid: ETHERTYPE_VLAN, pcp: 5, dei: false, vid: 100 }]);
    assert.equal(f.etherType, ETHERTYPE_ARP);
    assert.equal(f.payload.length, 28 + 14);
    assert.deepEqual(encodeEthernet(f), TAGGED_ARP);
  });

  it('decodes 802.1ad + 802.1Q (QinQ), outermost first', () => {
    const f = decodeEthernet(QINQ_IPV4);
    assert.deepEqual(f, {
      dst: mac('02:00:00:00:00:02'),
      src: mac('02:00:00:00:00:01'),
      vlans: [
        { tpid: ETHERTYPE_QINQ, pcp: 0, dei: false, vid: 10 },
        { tpid: ETHERTYPE_VLAN, pcp: 3, dei: true, vid: 200 },
      ],
      etherType: ETHERTYPE_IPV4,
      payload: QINQ_IPV4.subarray(22),
    } satisfies EthernetFrame);
    assert.deepEqual(encodeEthernet(f), QINQ_IPV4);
  });

  it('returns the payload as a zero-copy view', () => {
    const f = decodeEthernet(QINQ_IPV4);
    assert.equal(f.payload.buffer, QINQ_IPV4.buffer);
    assert.equal(f.payload.byteOffset, QINQ_IPV4.byteOffset + 22);
  });

  it('tshark agrees on every golden frame and sees no errors', () => {
    const frames = [LINUX_ARP_REQUEST, LINUX_NS_FRAME, TAGGED_ARP, QINQ_IPV4];
    withPcap(frames, (path) => {
      assert.deepEqual(tsharkProblems(path), []);
      const got = tsharkFields(path, [
        'eth.dst',
        'eth.src',
        'vlan.id',
        'vlan.priority',
        'vlan.dei',
        'ieee8021ad.id',
      ]);
      assert.deepEqual(got[0]?.['eth.dst'], ['ff:ff:ff:ff:ff:ff']);
      assert.deepEqual(got[1]?.['eth.dst'], ['33:33:ff:00:00:02']);
      assert.deepEqual(got[2]?.['vlan.id'], ['100']);
      assert.deepEqual(got[2]?.['vlan.priority'], ['5']);
      assert.deepEqual(got[3]?.['ieee8021ad.id'], ['10']);
      assert.deepEqual(got[3]?.['vlan.id'], ['200']);
      assert.deepEqual(got[3]?.['vlan.priority'], ['3']);
      assert.deepEqual(got[3]?.['vlan.dei'], ['1']);
    });
  });

  it('names EtherTypes for logs', () => {
    assert.equal(etherTypeName(ETHERTYPE_IPV4), 'IPv4');
    assert.equal(etherTypeName(ETHERTYPE_QINQ), '802.1ad');
    assert.equal(etherTypeName(0x88b5), '0x88b5');
    assert.equal(etherTypeName(0x26), '802.3-length-38');
  });
});

describe('ethernet: properties', () => {
  it('decode(encode(v)) deep-equals v', () => {
    fc.assert(
      fc.property(arbEthernetFrame, (v) => {
        assert.deepEqual(decodeEthernet(encodeEthernet(v)), v);
      }),
    );
  });

  it('encode(decode(encode(v))) equals encode(v), and any decodable bytes re-encode exactly', () => {
    fc.assert(
      fc.property(arbEthernetFrame, (v) => {
        const bytes = encodeEthernet(v);
        assert.deepEqual(encodeEthernet(decodeEthernet(bytes)), bytes);
        assert.equal(bytes.length, ethernetHeaderLength(v.vlans.length) + v.payload.length);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 14, maxLength: 80 }), (bytes) => {
        let f: EthernetFrame;
        try {
          f = decodeEthernet(bytes);
        } catch {
          return;
        }
        assert.deepEqual(encodeEthernet(f), bytes);
      }),
    );
  });

  it('emits at an offset without touching other bytes', () => {
    fc.assert(
      fc.property(arbEthernetFrame, fc.integer({ min: 0, max: 8 }), (v, at) => {
        const n = ethernetHeaderLength(v.vlans.length);
        const out = new Uint8Array(at + n + 3).fill(0xa5);
        assert.equal(emitEthernetHeader(v, out, at), at + n);
        assert.deepEqual(out.subarray(at, at + n), encodeEthernet(v).subarray(0, n));
        assert.ok(out.subarray(0, at).every((b) => b === 0xa5));
        assert.ok(out.subarray(at + n).every((b) => b === 0xa5));
      }),
    );
  });
});

describe('ethernet: hostile input', () => {
  it('truncations and mutations give a value or a WireError', () => {
    assertOnlyWireErrors(decodeEthernet, [LINUX_ARP_REQUEST, TAGGED_ARP, QINQ_IPV4]);
  });

  it('reports specific errors', () => {
    expectWireError(() => decodeEthernet(LINUX_ARP_REQUEST.subarray(0, 13)), 'truncated', 'header');
    expectWireError(() => decodeEthernet(TAGGED_ARP.subarray(0, 17)), 'truncated', 'etherType');
    const threeTags = fromHex('020000000002020000000001' + '88a8000a' + '8100000b' + '8100000c' + '0800');
    expectWireError(() => decodeEthernet(threeTags), 'unsupported', 'vlans');
  });

  it('refuses values it cannot encode', () => {
    const base: EthernetFrame = {
      dst: mac('02:00:00:00:00:02'),
      src: mac('02:00:00:00:00:01'),
      vlans: [],
      etherType: ETHERTYPE_IPV4,
      payload: new Uint8Array(0),
    };
    const tag = { tpid: ETHERTYPE_VLAN, pcp: 0, dei: false, vid: 1 };
    expectWireError(() => encodeEthernet({ ...base, vlans: [tag, tag, tag] }), 'malformed', 'vlans');
    expectWireError(() => encodeEthernet({ ...base, vlans: [{ ...tag, vid: 4096 }] }), 'malformed', 'vlans');
    expectWireError(() => encodeEthernet({ ...base, vlans: [{ ...tag, pcp: 8 }] }), 'malformed', 'vlans');
    expectWireError(
      () => encodeEthernet({ ...base, vlans: [{ ...tag, tpid: 0x9100 }] }),
      'malformed',
      'vlans',
    );
    expectWireError(() => encodeEthernet({ ...base, etherType: ETHERTYPE_VLAN }), 'malformed', 'etherType');
    expectWireError(() => encodeEthernet({ ...base, etherType: 0x10000 }), 'malformed', 'etherType');
    expectWireError(() => encodeEthernet({ ...base, dst: 'ff:ff:ff:ff:ff' as never }), 'malformed', 'dst');
    expectWireError(() => encodeEthernet({ ...base, src: 'zz:ff:ff:ff:ff:ff' as never }), 'malformed', 'src');
  });

  it('emitMac accepts both hex cases and rejects bad separators', () => {
    const out = new Uint8Array(6);
    emitMac('AA:bb:0C:dd:ee:FF' as never, out, 0, 'test', 'mac');
    assert.equal(toHex(out), 'aabb0cddeeff');
    expectWireError(() => emitMac('aa-bb-cc-dd-ee-ff' as never, out, 0, 'test', 'mac'), 'malformed', 'mac');
  });
});
