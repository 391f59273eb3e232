import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ipv4, mac } from '../../src/wire/addr.js';
import { concatBytes, fromHex, Reader } from '../../src/wire/bytes.js';
import {
  ARP_LENGTH,
  ARP_OP_REPLY,
  ARP_OP_REQUEST,
  arpOpName,
  arpReply,
  arpReplyFor,
  arpRequest,
  decodeArp,
  emitArp,
  encodeArp,
  isGratuitousArp,
  readArp,
  type ArpPacket,
} from '../../src/wire/arp.js';
import { encodeEthernet, ETHERTYPE_ARP } from '../../src/wire/ethernet.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import { arbArpPacket, assertOnlyWireErrors, expectWireError, withByte } from './arb-l2l3.js';

// Linux 6.x, captured with dumpcap (underlay veth and, inside VXLAN, the overlay): ARP payloads.
/** "Who has 192.0.2.2? Tell 192.0.2.1" from 02:00:00:00:00:01. */
const LINUX_REQUEST = fromHex('0001080006040001020000000001c0000201000000000000c0000202');
/** "192.0.2.2 is at 02:00:00:00:00:02". */
const LINUX_REPLY = fromHex('0001080006040002020000000002c0000202020000000001c0000201');
/** Overlay reply carried in VXLAN: "10.1.0.2 is at 02:00:00:00:0b:01". */
const LINUX_OVERLAY_REPLY = fromHex('0001080006040002020000000b010a010002020000000a010a010001');

/** Built by hand: gratuitous ARP request (RFC 5227 §3 announcement) for 10.1.0.9. */
const GRATUITOUS = fromHex('000108000604000102000000000a0a010009' + '000000000000' + '0a010009');

const ethernetFrame = (arp: Uint8Array, dst = 'ff:ff:ff:ff:ff:ff'): Uint8Array => {
  const frame = encodeEthernet({
    dst: mac(dst),
    src: mac('02:00:00:00:00:01'),
    vlans: [],
    etherType: ETHERTYPE_ARP,
    payload: arp,
  });
  return concatBytes([frame, new Uint8Array(Math.max(0, 60 - frame.length))]);
};

describe('arp: golden vectors', () => {
  it('decodes a Linux request', () => {
    const p = decodeArp(LINUX_REQUEST);
    assert.deepEqual(p, {
      op: ARP_OP_REQUEST,
      sha: mac('02:00:00:00:00:01'),
      spa: ipv4('192.0.2.1'),
      tha: mac('00:00:00:00:00:00'),
      tpa: ipv4('192.0.2.2'),
    } satisfies ArpPacket);
    assert.deepEqual(p, arpRequest(mac('02:00:00:00:00:01'), ipv4('192.0.2.1'), ipv4('192.0.2.2')));
    assert.equal(arpOpName(p.op), 'request');
    assert.equal(isGratuitousArp(p), false);
    assert.deepEqual(encodeArp(p), LINUX_REQUEST);
  });

  it('decodes a Linux reply and builds the same reply from the request', () => {
    const p = decodeArp(LINUX_REPLY);
    assert.deepEqual(
      p,
      arpReply(mac('02:00:00:00:00:02'), ipv4('192.0.2.2'), mac('02:00:00:00:00:01'), ipv4('192.0.2.1')),
    );
    assert.deepEqual(arpReplyFor(decodeArp(LINUX_REQUEST), mac('02:00:00:00:00:02')), p);
    assert.deepEqual(encodeArp(p), LINUX_REPLY);
    const overlay = decodeArp(LINUX_OVERLAY_REPLY);
    assert.equal(overlay.op, ARP_OP_REPLY);
    assert.equal(overlay.sha, '02:00:00:00:0b:01');
    assert.equal(overlay.spa, '10.1.0.2');
  });

  it('recognises a gratuitous ARP, but not an ARP probe', () => {
    assert.equal(isGratuitousArp(decodeArp(GRATUITOUS)), true);
    const probe = arpRequest(mac('02:00:00:00:00:0a'), ipv4('0.0.0.0'), ipv4('10.1.0.9'));
    assert.equal(isGratuitousArp(probe), false);
  });

  it('ignores Ethernet padding after the 28 octets (encode emits 28)', () => {
    const padded = concatBytes([LINUX_REQUEST, new Uint8Array(18)]);
    const p = decodeArp(padded);
    assert.deepEqual(p, decodeArp(LINUX_REQUEST));
    assert.equal(encodeArp(p).length, ARP_LENGTH);
    const r = new Reader(padded, 'test');
    readArp(r);
    assert.equal(r.offset, ARP_LENGTH);
  });

  it('tshark decodes the same fields without errors', () => {
    const frames = [LINUX_REQUEST, LINUX_REPLY, GRATUITOUS].map((a) => ethernetFrame(a));
    withPcap(frames, (path) => {
      assert.deepEqual(tsharkProblems(path), []);
      const got = tsharkFields(path, [
        'arp.opcode',
        'arp.src.hw_mac',
        'arp.src.proto_ipv4',
        'arp.dst.proto_ipv4',
        'arp.isgratuitous',
      ]);
      assert.deepEqual(got[0]?.['arp.opcode'], ['1']);
      assert.deepEqual(got[1]?.['arp.opcode'], ['2']);
      assert.deepEqual(got[1]?.['arp.src.hw_mac'], ['02:00:00:00:00:02']);
      assert.deepEqual(got[1]?.['arp.src.proto_ipv4'], ['192.0.2.2']);
      assert.deepEqual(got[0]?.['arp.dst.proto_ipv4'], ['192.0.2.2']);
      assert.deepEqual(got[2]?.['arp.isgratuitous'], ['1']);
    });
  });
});

describe('arp: properties', () => {
  it('decode(encode(v)) deep-equals v and encode(decode(encode(v))) equals encode(v)', () => {
    fc.assert(
      fc.property(arbArpPacket, (v) => {
        const bytes = encodeArp(v);
        assert.equal(bytes.length, ARP_LENGTH);
        assert.deepEqual(decodeArp(bytes), v);
        assert.deepEqual(encodeArp(decodeArp(bytes)), bytes);
      }),
    );
  });

  it('emits at an offset without touching other bytes', () => {
    fc.assert(
      fc.property(arbArpPacket, fc.integer({ min: 0, max: 8 }), (v, at) => {
        const out = new Uint8Array(at + ARP_LENGTH + 2).fill(0xa5);
        assert.equal(emitArp(v, out, at), at + ARP_LENGTH);
        assert.deepEqual(out.subarray(at, at + ARP_LENGTH), encodeArp(v));
        assert.ok(out.subarray(0, at).every((b) => b === 0xa5));
        assert.ok(out.subarray(at + ARP_LENGTH).every((b) => b === 0xa5));
      }),
    );
  });
});

describe('arp: hostile input', () => {
  it('truncations and mutations give a value or a WireError', () => {
    assertOnlyWireErrors(decodeArp, [LINUX_REQUEST, LINUX_REPLY, GRATUITOUS]);
  });

  it('reports specific errors', () => {
    expectWireError(() => decodeArp(LINUX_REQUEST.subarray(0, 27)), 'truncated', 'packet');
    expectWireError(() => decodeArp(withByte(LINUX_REQUEST, 1, 6)), 'unsupported', 'htype');
    expectWireError(() => decodeArp(withByte(LINUX_REQUEST, 2, 0x86)), 'unsupported', 'ptype');
    expectWireError(() => decodeArp(withByte(LINUX_REQUEST, 4, 8)), 'unsupported', 'hlen');
    expectWireError(() => decodeArp(withByte(LINUX_REQUEST, 5, 16)), 'unsupported', 'plen');
  });

  it('refuses values it cannot encode', () => {
    const p = decodeArp(LINUX_REQUEST);
    expectWireError(() => encodeArp({ ...p, op: 0x10000 }), 'malformed', 'op');
    expectWireError(() => encodeArp({ ...p, spa: '10.0.0.256' as never }), 'malformed', 'spa');
    expectWireError(() => encodeArp({ ...p, tpa: '10.0.0' as never }), 'malformed', 'tpa');
    expectWireError(() => encodeArp({ ...p, tha: 'nope' as never }), 'malformed', 'tha');
  });
});
