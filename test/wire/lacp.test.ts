import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { mac, macToBytes, type Mac } from '../../src/wire/addr.js';
import { concatBytes, fromHex, Reader } from '../../src/wire/bytes.js';
import { WireError, type WireErrorKind } from '../../src/wire/errors.js';
import {
  decodeLacpdu,
  decodeMarkerPdu,
  decodeSlowProtocols,
  encodeLacpdu,
  encodeMarkerPdu,
  encodeSlowProtocols,
  formatLacpState,
  LACP_DST_MAC,
  LACP_STATE_AGGREGATION,
  LACP_STATE_SYNCHRONIZATION,
  LACPDU_LENGTH,
  lacpState,
  lacpStateFlags,
  readSlowProtocols,
  SLOW_PROTOCOLS_ETHERTYPE,
  slowProtocolsLength,
  type Lacpdu,
  type MarkerPdu,
} from '../../src/wire/lacp.js';
import { arbLacpdu, arbMarkerPdu, arbSlowProtocolsPdu } from './arb-lacpbfd.js';
import { checkMutations, valueOrWireError } from './fuzz-lib.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';

// ---------------------------------------------------------------------------------------------
// Golden frames (whole Ethernet frames; the Slow Protocols payload starts at offset 14)
// ---------------------------------------------------------------------------------------------

/**
 * Open vSwitch 3.1 (userspace datapath, `lacp=active other_config:lacp-time=fast`, bridge hwaddr
 * 52:54:00:3b:7c:a6), captured with dumpcap on the veth peer of member 1 once it had heard a partner
 * (system 02:00:00:00:00:aa, key 13, port 1) and reached Collecting/Distributing.
 */
const OVS_LACPDU_IN_SYNC = fromHex(
  '0180c20000023a00970664e38809' +
    '0101' +
    '0114fffe5254003b7ca60001ffff00013f000000' +
    '021480000200000000aa000d800000013f000000' +
    '0310' +
    '00'.repeat(14) +
    '0000' +
    '00'.repeat(50),
);

/** The same OVS member before it heard anyone: partner all zero, Defaulted, not in sync. */
const OVS_LACPDU_DEFAULTED = fromHex(
  '0180c20000023a00970664e38809' +
    '0101' +
    '0114fffe5254003b7ca60001ffff000177000000' +
    '0214' +
    '00'.repeat(18) +
    '0310' +
    '00'.repeat(14) +
    '0000' +
    '00'.repeat(50),
);

/**
 * A Cisco switch: frame 1 of Wireshark's SampleCaptures lacp1.pcap, as reproduced byte for byte in
 * scapy's test/contrib/lacp.uts. Actor port 22 Active/Aggregatable/Expired, CollectorMaxDelay 32768.
 */
const CISCO_LACPDU = fromHex(
  '0180c20000020013c4120f0d8809' +
    '0101' +
    '011480000013c4120f00000d8000001685000000' +
    '02148000000e8316f500000d8000001936000000' +
    '0310' +
    '8000' +
    '00'.repeat(12) +
    '0000' +
    '00'.repeat(50),
);

/** Marker Information, built by hand from 802.1AX §6.5.3.3 (OVS counts these but does not answer). */
const MARKER_INFORMATION = fromHex(
  '0180c2000002020000000001' +
    '8809' +
    '0201' +
    '0110' +
    '0001' +
    '0200000000aa' +
    '01020304' +
    '0000' +
    '0000' +
    '00'.repeat(90),
);

/** Marker Response to it from 52:54:00:3b:7c:a6, built by hand the same way. */
const MARKER_RESPONSE = fromHex(
  '0180c20000025254003b7ca6' +
    '8809' +
    '0201' +
    '0210' +
    '0001' +
    '0200000000aa' +
    '01020304' +
    '0000' +
    '0000' +
    '00'.repeat(90),
);

const payloadOf = (frame: Uint8Array): Uint8Array => frame.subarray(14);

function ethernet(dst: Mac, src: Mac, ethertype: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(14 + payload.length);
  macToBytes(dst, out, 0);
  macToBytes(src, out, 6);
  out[12] = ethertype >> 8;
  out[13] = ethertype & 0xff;
  out.set(payload, 14);
  return out;
}

function expectWireError(f: () => unknown, kind: WireErrorKind, field?: string): WireError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof WireError, `expected a WireError, got ${String(caught)}`);
  assert.equal(caught.kind, kind, caught.message);
  if (field !== undefined) assert.equal(caught.field, field, caught.message);
  return caught;
}

function withByte(buf: Uint8Array, at: number, value: number): Uint8Array {
  const out = buf.slice();
  out[at] = value;
  return out;
}

// ---------------------------------------------------------------------------------------------

describe('lacp: golden vectors', () => {
  it('decodes an Open vSwitch LACPDU in sync', () => {
    const pdu = decodeSlowProtocols(payloadOf(OVS_LACPDU_IN_SYNC));
    assert.deepEqual(pdu, {
      type: 'lacp',
      actor: {
        systemPriority: 65534,
        system: mac('52:54:00:3b:7c:a6'),
        key: 1,
        portPriority: 65535,
        port: 1,
        state: 0x3f,
      },
      partner: {
        systemPriority: 32768,
        system: mac('02:00:00:00:00:aa'),
        key: 13,
        portPriority: 32768,
        port: 1,
        state: 0x3f,
      },
      collectorMaxDelay: 0,
    } satisfies Lacpdu);
    assert.equal(formatLacpState(pdu.type === 'lacp' ? pdu.actor.state : -1), 'ATGSCD..');
    assert.deepEqual(encodeSlowProtocols(pdu), payloadOf(OVS_LACPDU_IN_SYNC));
  });

  it('decodes an Open vSwitch LACPDU before it heard a partner (Defaulted)', () => {
    const pdu = decodeLacpdu(payloadOf(OVS_LACPDU_DEFAULTED));
    assert.equal(pdu.actor.system, '52:54:00:3b:7c:a6');
    assert.equal(pdu.actor.key, 1);
    assert.equal(pdu.actor.port, 1);
    assert.equal(pdu.actor.state, 0x77);
    assert.equal(formatLacpState(pdu.actor.state), 'ATG.CDF.');
    assert.deepEqual(lacpStateFlags(pdu.actor.state), {
      activity: true,
      timeout: true,
      aggregation: true,
      synchronization: false,
      collecting: true,
      distributing: true,
      defaulted: true,
      expired: false,
    });
    assert.deepEqual(pdu.partner, {
      systemPriority: 0,
      system: '00:00:00:00:00:00',
      key: 0,
      portPriority: 0,
      port: 0,
      state: 0,
    });
    assert.deepEqual(encodeLacpdu(pdu), payloadOf(OVS_LACPDU_DEFAULTED));
  });

  it('decodes the Cisco capture', () => {
    assert.equal(CISCO_LACPDU.length, 124);
    const pdu = decodeLacpdu(payloadOf(CISCO_LACPDU));
    assert.deepEqual(pdu.actor, {
      systemPriority: 32768,
      system: '00:13:c4:12:0f:00',
      key: 13,
      portPriority: 32768,
      port: 22,
      state: 0x85,
    });
    assert.equal(formatLacpState(0x85), 'A.G....E');
    assert.equal(pdu.partner.system, '00:0e:83:16:f5:00');
    assert.equal(pdu.partner.port, 25);
    assert.equal(pdu.partner.state, 0x36);
    assert.equal(pdu.collectorMaxDelay, 32768);
    assert.deepEqual(encodeLacpdu(pdu), payloadOf(CISCO_LACPDU));
  });

  it('decodes Marker Information and Marker Response PDUs', () => {
    const info = decodeMarkerPdu(payloadOf(MARKER_INFORMATION));
    assert.deepEqual(info, {
      type: 'marker',
      markerType: 'information',
      requesterPort: 1,
      requesterSystem: mac('02:00:00:00:00:aa'),
      requesterTransactionId: 0x01020304,
    } satisfies MarkerPdu);
    assert.deepEqual(encodeMarkerPdu(info), payloadOf(MARKER_INFORMATION));
    const response = decodeSlowProtocols(payloadOf(MARKER_RESPONSE));
    assert.deepEqual(response, { ...info, markerType: 'response' });
    assert.deepEqual(encodeSlowProtocols(response), payloadOf(MARKER_RESPONSE));
  });

  it('builds frames tshark decodes with the same fields and no errors', () => {
    const ours = encodeLacpdu({
      type: 'lacp',
      actor: {
        systemPriority: 65535,
        system: mac('52:54:00:3b:7c:a6'),
        key: 9,
        portPriority: 255,
        port: 2,
        state: lacpState({
          activity: true,
          aggregation: true,
          synchronization: true,
          collecting: true,
          distributing: true,
        }),
      },
      partner: decodeLacpdu(payloadOf(OVS_LACPDU_IN_SYNC)).actor,
      collectorMaxDelay: 0,
    });
    const frames = [
      OVS_LACPDU_IN_SYNC,
      OVS_LACPDU_DEFAULTED,
      CISCO_LACPDU,
      MARKER_INFORMATION,
      MARKER_RESPONSE,
      ethernet(LACP_DST_MAC, mac('52:54:00:3b:7c:a6'), SLOW_PROTOCOLS_ETHERTYPE, ours),
    ];
    withPcap(frames, (path) => {
      assert.deepEqual(tsharkProblems(path), []);
      const got = tsharkFields(path, [
        'slow.subtype',
        'lacp.actor.sysid',
        'lacp.actor.key',
        'lacp.actor.port',
        'lacp.actor.state',
        'lacp.partner.sysid',
        'lacp.partner.port',
        'marker.tlvType',
        'marker.requesterSystem',
        'marker.requesterPort',
        'marker.requesterTransId',
      ]);
      assert.equal(got.length, frames.length);
      const [ovs, defaulted, cisco, info, response, built] = got;
      assert.deepEqual(ovs!['lacp.actor.sysid'], ['52:54:00:3b:7c:a6']);
      assert.deepEqual(ovs!['lacp.actor.key'], ['1']);
      assert.deepEqual(ovs!['lacp.actor.port'], ['1']);
      assert.deepEqual(ovs!['lacp.partner.sysid'], ['02:00:00:00:00:aa']);
      assert.deepEqual(defaulted!['lacp.actor.state'], ['0x77']);
      assert.deepEqual(cisco!['lacp.actor.sysid'], ['00:13:c4:12:0f:00']);
      assert.deepEqual(cisco!['lacp.actor.key'], ['13']);
      assert.deepEqual(cisco!['lacp.actor.port'], ['22']);
      assert.deepEqual(cisco!['lacp.partner.port'], ['25']);
      assert.deepEqual(info!['slow.subtype'], ['0x02']);
      assert.equal(info!['marker.tlvType']![0], '0x01');
      assert.deepEqual(info!['marker.requesterSystem'], ['02:00:00:00:00:aa']);
      assert.deepEqual(info!['marker.requesterPort'], ['1']);
      assert.deepEqual(info!['marker.requesterTransId'], ['16909060']);
      assert.equal(response!['marker.tlvType']![0], '0x02');
      assert.deepEqual(built!['lacp.actor.sysid'], ['52:54:00:3b:7c:a6']);
      assert.deepEqual(built!['lacp.actor.key'], ['9']);
      assert.deepEqual(built!['lacp.actor.port'], ['2']);
      assert.deepEqual(built!['lacp.actor.state'], ['0x3d']);
    });
  });
});

describe('lacp: state octet', () => {
  it('lacpState and lacpStateFlags are inverse for all 256 values', () => {
    const seen = new Set<string>();
    for (let n = 0; n < 256; n++) {
      assert.equal(lacpState(lacpStateFlags(n)), n);
      const text = formatLacpState(n);
      assert.equal(text.length, 8);
      seen.add(text);
    }
    assert.equal(seen.size, 256);
    assert.equal(formatLacpState(0), '........');
    assert.equal(formatLacpState(0xff), 'ATGSCDFE');
    assert.equal(formatLacpState(0x3d), 'A.GSCD..');
    assert.equal(lacpState({ aggregation: true, synchronization: true }), 0x0c);
    assert.equal(LACP_STATE_AGGREGATION | LACP_STATE_SYNCHRONIZATION, 0x0c);
  });
});

describe('lacp: properties', () => {
  it('round-trips every value: decode(encode(v)) equals v', () => {
    fc.assert(
      fc.property(arbSlowProtocolsPdu, (v) => {
        const bytes = encodeSlowProtocols(v);
        assert.equal(bytes.length, slowProtocolsLength(v));
        assert.deepEqual(decodeSlowProtocols(bytes), v);
      }),
      { numRuns: 500 },
    );
  });

  it('re-encodes stably: encode(decode(encode(v))) equals encode(v)', () => {
    fc.assert(
      fc.property(arbSlowProtocolsPdu, (v) => {
        const bytes = encodeSlowProtocols(v);
        assert.deepEqual(encodeSlowProtocols(decodeSlowProtocols(bytes)), bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('ignores Ethernet padding and nonzero reserved octets after and inside a PDU', () => {
    fc.assert(
      fc.property(
        fc.oneof(arbLacpdu, arbMarkerPdu),
        fc.uint8Array({ maxLength: 40 }),
        fc.integer({ min: 0, max: 255 }),
        (v, pad, junk) => {
          const bytes = encodeSlowProtocols(v);
          assert.deepEqual(decodeSlowProtocols(concatBytes([bytes, pad])), v);
          // Reserved octets: actor 19..21, partner 39..41, collector 46..57, after terminator 60..109
          // (LACPDU); pad 16..17 and reserved 20..109 (Marker).
          const reserved = v.type === 'lacp' ? [19, 21, 39, 41, 46, 57, 60, 109] : [16, 17, 20, 109];
          const dirty = bytes.slice();
          for (const at of reserved) dirty[at] = junk;
          assert.deepEqual(decodeSlowProtocols(dirty), v);
          assert.deepEqual(encodeSlowProtocols(decodeSlowProtocols(dirty)), bytes);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('reads from a reader window over a whole frame and consumes it', () => {
    const frame = concatBytes([OVS_LACPDU_IN_SYNC, new Uint8Array(4)]); // plus an FCS left on
    const r = new Reader(frame, 'ethernet', 14);
    const pdu = readSlowProtocols(r);
    assert.equal(pdu.type, 'lacp');
    assert.ok(r.atEnd);
  });

  it('keeps unknown subtypes byte-exact (OAM, padding included)', () => {
    const oam = fromHex('0300500000' + '00'.repeat(41));
    const pdu = decodeSlowProtocols(oam);
    assert.deepEqual(pdu, { type: 'unknown', subtype: 3, data: oam.subarray(1) });
    assert.deepEqual(encodeSlowProtocols(pdu), oam);
  });
});

describe('lacp: hostile input', () => {
  const seeds = [
    payloadOf(OVS_LACPDU_IN_SYNC),
    payloadOf(OVS_LACPDU_DEFAULTED),
    payloadOf(CISCO_LACPDU),
    payloadOf(MARKER_INFORMATION),
    payloadOf(MARKER_RESPONSE),
    fromHex('0a0100'),
  ];

  it('reports every truncation of a LACPDU or Marker PDU as truncated', () => {
    for (const seed of seeds.slice(0, 5)) {
      for (let cut = 0; cut < LACPDU_LENGTH; cut++) {
        expectWireError(() => decodeSlowProtocols(seed.subarray(0, cut)), 'truncated');
      }
    }
  });

  it('gives a value or a WireError for mutated input, and decoded values re-encode', () => {
    checkMutations(decodeSlowProtocols, encodeSlowProtocols, seeds, 0x1acb, 20_000, (a, b, m) =>
      assert.deepEqual(a, b, m),
    );
  });

  it('gives a value or a WireError for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        valueOrWireError(() => decodeSlowProtocols(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('names the TLV whose type or length is wrong', () => {
    const lacp = payloadOf(OVS_LACPDU_IN_SYNC);
    expectWireError(() => decodeSlowProtocols(withByte(lacp, 3, 19)), 'malformed', 'actor information TLV');
    expectWireError(() => decodeSlowProtocols(withByte(lacp, 2, 2)), 'malformed', 'actor information TLV');
    expectWireError(
      () => decodeSlowProtocols(withByte(lacp, 23, 21)),
      'malformed',
      'partner information TLV',
    );
    expectWireError(() => decodeSlowProtocols(withByte(lacp, 22, 1)), 'malformed', 'partner information TLV');
    expectWireError(
      () => decodeSlowProtocols(withByte(lacp, 43, 14)),
      'malformed',
      'collector information TLV',
    );
    expectWireError(() => decodeSlowProtocols(withByte(lacp, 59, 2)), 'malformed', 'terminator TLV');
    expectWireError(() => decodeSlowProtocols(withByte(lacp, 58, 4)), 'malformed', 'terminator TLV');
    const marker = payloadOf(MARKER_INFORMATION);
    expectWireError(() => decodeSlowProtocols(withByte(marker, 2, 3)), 'malformed', 'marker TLV');
    expectWireError(() => decodeSlowProtocols(withByte(marker, 3, 18)), 'malformed', 'marker TLV');
    expectWireError(() => decodeSlowProtocols(withByte(marker, 19, 16)), 'malformed', 'terminator TLV');
  });

  it('reports other versions as unsupported and the wrong subtype as malformed', () => {
    const lacp = payloadOf(OVS_LACPDU_IN_SYNC);
    expectWireError(() => decodeSlowProtocols(withByte(lacp, 1, 2)), 'unsupported', 'version');
    expectWireError(
      () => decodeSlowProtocols(withByte(payloadOf(MARKER_INFORMATION), 1, 0)),
      'unsupported',
      'version',
    );
    expectWireError(() => decodeLacpdu(payloadOf(MARKER_INFORMATION)), 'malformed', 'subtype');
    expectWireError(() => decodeMarkerPdu(lacp), 'malformed', 'subtype');
    expectWireError(() => decodeSlowProtocols(new Uint8Array(0)), 'truncated', 'subtype');
  });

  it('refuses to encode values that do not fit their fields', () => {
    const base = decodeLacpdu(payloadOf(OVS_LACPDU_IN_SYNC));
    expectWireError(
      () => encodeLacpdu({ ...base, actor: { ...base.actor, port: 0x10000 } }),
      'malformed',
      'actor port',
    );
    expectWireError(
      () => encodeLacpdu({ ...base, partner: { ...base.partner, state: 256 } }),
      'malformed',
      'partner state',
    );
    expectWireError(
      () => encodeLacpdu({ ...base, actor: { ...base.actor, key: -1 } }),
      'malformed',
      'actor key',
    );
    expectWireError(
      () => encodeLacpdu({ ...base, collectorMaxDelay: 1.5 }),
      'malformed',
      'collector max delay',
    );
    expectWireError(
      () => encodeLacpdu({ ...base, actor: { ...base.actor, system: 'nope' as Mac } }),
      'malformed',
      'actor system',
    );
    const marker = decodeMarkerPdu(payloadOf(MARKER_INFORMATION));
    expectWireError(
      () => encodeMarkerPdu({ ...marker, requesterTransactionId: 2 ** 32 }),
      'malformed',
      'requester transaction id',
    );
    expectWireError(
      () => encodeSlowProtocols({ type: 'unknown', subtype: 1, data: new Uint8Array(0) }),
      'malformed',
      'subtype',
    );
    expectWireError(
      () => encodeSlowProtocols({ type: 'unknown', subtype: 256, data: new Uint8Array(0) }),
      'malformed',
      'subtype',
    );
  });
});
