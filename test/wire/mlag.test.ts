import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ip, mac, type Vni } from '../../src/wire/addr.js';
import { concatBytes, fromHex, Reader, toHex, Writer } from '../../src/wire/bytes.js';
import { WireError, type WireErrorKind } from '../../src/wire/errors.js';
import {
  MLAG_MAX_MAC_SYNC_ENTRIES,
  MLAG_MAX_MESSAGE_LENGTH,
  MlagFrameDecoder,
  chunkEntries,
  decodeMlagMessage,
  encodeMlagMessage,
  mlagMessageLength,
  readMlagMessage,
  writeMlagMessage,
  type MlagConsistency,
  type MlagDadProbe,
  type MlagHello,
  type MlagMacEntry,
  type MlagMacSync,
  type MlagMessage,
} from '../../src/wire/mlag.js';
import { arbMacEntry, arbMlagMessage } from './arb-mlag.js';
import { checkMutations, valueOrWireError } from './fuzz-lib.js';

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

// ---------------------------------------------------------------------------------------------
// Golden vectors, built by hand from the layout in docs/mlag-peer-protocol.md
// ---------------------------------------------------------------------------------------------

const HELLO_BYTES = fromHex(
  '4d4c 01 01 002c 0000' + // magic, version 1, HELLO, length 44, reserved
    '00000001' + // group id 1
    '020000000001' + // local MAC
    '0064' + // priority 100
    '01 02 0000' + // role master, state paired, reserved
    '11223344 55667788' + // boot id, peer boot id
    '0000003c' + // uptime 60 s
    '00000000 00000005', // clock 5
);

const HELLO: MlagHello = {
  type: 'hello',
  groupId: 1,
  localMac: mac('02:00:00:00:00:01'),
  priority: 100,
  role: 'master',
  state: 'paired',
  bootId: 0x11223344,
  peerBootId: 0x55667788,
  uptimeSeconds: 60,
  clock: 5,
};

const DAD_BYTES = fromHex(
  '4d4c 01 08 0024 0000' +
    '00000001' + // group id
    '02000000aa01' + // system MAC
    '020000000002' + // local MAC
    '0032 02 01' + // priority 50, role backup, flags: peer-link up
    '0000beef 00000007', // boot id, sequence
);

const DAD: MlagDadProbe = {
  type: 'dad-probe',
  groupId: 1,
  systemMac: mac('02:00:00:00:aa:01'),
  localMac: mac('02:00:00:00:00:02'),
  priority: 50,
  role: 'backup',
  peerLinkUp: true,
  bootId: 0xbeef,
  sequence: 7,
};

const MAC_SYNC_BYTES = fromHex(
  '4d4c 01 04 0044 0000' + // length 8 + 4 + 2 x 28 = 68
    '0002 0000' + // two entries
    '02 01 0005 00002710 020000000a0b 020000000001 00000000 00000009' + // move to M-LAG 5, vni 10000, seq 9
    '03 00 0000 00002710 020000000a0c 020000000001 00000001 00000000', // delete, seq 2^32
);

const MAC_SYNC: MlagMacSync = {
  type: 'mac-sync',
  entries: [
    {
      op: 'move',
      vni: 10000 as Vni,
      mac: mac('02:00:00:00:0a:0b'),
      location: { kind: 'mlag', mlagId: 5 },
      origin: mac('02:00:00:00:00:01'),
      seq: 9,
    },
    {
      op: 'delete',
      vni: 10000 as Vni,
      mac: mac('02:00:00:00:0a:0c'),
      origin: mac('02:00:00:00:00:01'),
      seq: 2 ** 32,
    },
  ],
};

const CONSISTENCY_BYTES = fromHex(
  '4d4c 01 02 0047 0000' + // length 8 + 63
    '0001 0006 02000000aa01' + // system MAC
    '0002 0004 0a000063' + // virtual VTEP 10.0.0.99
    '0003 0008 00002710 00002711' + // VNIs 10000, 10001
    '0004 0004 0001 0002' + // M-LAG ids 1, 2
    '0005 0010 00002710 04 18 0a0a0001 000000000101' + // gateway vni 10000 10.10.0.1/24
    '0009 0001 ff', // unknown TLV 9
);

const CONSISTENCY: MlagConsistency = {
  type: 'consistency',
  systemMac: mac('02:00:00:00:aa:01'),
  virtualVtepIp: ip('10.0.0.99'),
  vnis: [10000 as Vni, 10001 as Vni],
  mlagIds: [1, 2],
  gateways: [{ vni: 10000 as Vni, ip: ip('10.10.0.1'), prefixLength: 24, mac: mac('00:00:00:00:01:01') }],
  unknownTlvs: [{ tlvType: 9, data: Uint8Array.of(0xff) }],
};

describe('mlag: golden vectors', () => {
  const cases: [string, Uint8Array, MlagMessage][] = [
    ['HELLO', HELLO_BYTES, HELLO],
    ['DAD-PROBE', DAD_BYTES, DAD],
    ['MAC-SYNC', MAC_SYNC_BYTES, MAC_SYNC],
    ['CONSISTENCY', CONSISTENCY_BYTES, CONSISTENCY],
    [
      'MEMBER-PORT-STATE',
      fromHex('4d4c 01 03 0018 0000 00000003 0002 0000 0001 01 01 0002 00 00'),
      {
        type: 'member-port-state',
        seq: 3,
        ports: [
          { mlagId: 1, up: true, lacpSync: true },
          { mlagId: 2, up: false, lacpSync: false },
        ],
      },
    ],
    ['SYNC-REQUEST', fromHex('4d4c 01 06 000c 0000 0000002a'), { type: 'sync-request', requestId: 42 }],
    [
      'SYNC-DONE',
      fromHex('4d4c 01 07 0014 0000 0000002a 00000010 00000002'),
      { type: 'sync-done', requestId: 42, macCount: 16, neighborCount: 2 },
    ],
    [
      'unknown type 200',
      fromHex('4d4c 01 c8 000b 0000 010203'),
      { type: 'unknown', code: 200, body: Uint8Array.of(1, 2, 3) },
    ],
  ];
  for (const [name, bytes, value] of cases) {
    it(`${name}: decodes to the value and encodes back to the same bytes`, () => {
      assert.deepEqual(decodeMlagMessage(bytes), value);
      assert.equal(toHex(encodeMlagMessage(value)), toHex(bytes));
    });
  }

  it('NEIGHBOR-SYNC: IPv4 add and IPv6 delete', () => {
    const bytes = fromHex(
      '4d4c 01 05 0058 0000 0002 0000' + // length 8 + 4 + 32 + 44 = 88
        '01 04 0000 00002710 0a0a0005 020000000a0b 020000000002 00000000 00000004' +
        '03 06 0000 00002710 20010db8000000000000000000000005 000000000000 020000000002 00000000 00000006',
    );
    assert.equal(bytes.length, 88);
    assert.deepEqual(decodeMlagMessage(bytes), {
      type: 'neighbor-sync',
      entries: [
        {
          op: 'add',
          vni: 10000,
          ip: '10.10.0.5',
          mac: '02:00:00:00:0a:0b',
          origin: '02:00:00:00:00:02',
          seq: 4,
        },
        { op: 'delete', vni: 10000, ip: '2001:db8::5', origin: '02:00:00:00:00:02', seq: 6 },
      ],
    });
    assert.equal(toHex(encodeMlagMessage(decodeMlagMessage(bytes))), toHex(bytes));
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

describe('mlag: round trip', () => {
  it('decode(encode(v)) equals v, and the length is what mlagMessageLength says', () => {
    fc.assert(
      fc.property(arbMlagMessage, (m) => {
        const bytes = encodeMlagMessage(m);
        assert.equal(bytes.length, mlagMessageLength(m));
        assert.deepEqual(decodeMlagMessage(bytes), m);
        // Stable re-encode.
        assert.deepEqual(encodeMlagMessage(decodeMlagMessage(bytes)), bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('encodes at an offset after other bytes and reads back from there', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20 }), arbMlagMessage, (prefix, m) => {
        const w = new Writer(4);
        w.bytes(prefix);
        writeMlagMessage(w, m);
        const out = w.finish();
        const r = new Reader(out, 'mlag', prefix.length);
        assert.deepEqual(readMlagMessage(r), m);
        assert.equal(r.offset, out.length);
      }),
    );
  });

  it('the framer returns the same messages however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(arbMlagMessage, { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 10 }),
        (messages, cuts) => {
          const stream = concatBytes(messages.map(encodeMlagMessage));
          const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
          const d = new MlagFrameDecoder();
          const got: MlagMessage[] = [];
          let from = 0;
          for (const p of [...points, stream.length]) {
            for (const f of d.push(stream.subarray(from, p))) got.push(decodeMlagMessage(f));
            from = p;
          }
          assert.deepEqual(got, messages);
          assert.equal(d.buffered, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('batches of the largest size fit one message', () => {
    const entries = fc.sample(arbMacEntry, { seed: 7, numRuns: MLAG_MAX_MAC_SYNC_ENTRIES + 5 });
    const batches = chunkEntries(entries, MLAG_MAX_MAC_SYNC_ENTRIES);
    assert.equal(batches.length, 2);
    const full = encodeMlagMessage({ type: 'mac-sync', entries: batches[0]! });
    assert.ok(full.length <= MLAG_MAX_MESSAGE_LENGTH);
    assert.deepEqual(decodeMlagMessage(full), { type: 'mac-sync', entries: batches[0] });
    expectWireError(() => encodeMlagMessage({ type: 'mac-sync', entries }), 'malformed', 'length');
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed input
// ---------------------------------------------------------------------------------------------

function withByte(buf: Uint8Array, at: number, value: number): Uint8Array {
  const out = buf.slice();
  out[at] = value;
  return out;
}

describe('mlag: malformed input is a WireError naming the field and offset', () => {
  it('header: magic, version, length', () => {
    assert.equal(
      expectWireError(() => decodeMlagMessage(withByte(HELLO_BYTES, 1, 0x4d)), 'malformed', 'magic').offset,
      0,
    );
    const v = expectWireError(() => decodeMlagMessage(withByte(HELLO_BYTES, 2, 2)), 'unsupported', 'version');
    assert.equal(v.offset, 2);
    expectWireError(() => decodeMlagMessage(withByte(HELLO_BYTES, 5, 7)), 'malformed', 'length');
    expectWireError(() => decodeMlagMessage(HELLO_BYTES.subarray(0, 5)), 'truncated', 'header');
    expectWireError(() => decodeMlagMessage(HELLO_BYTES.subarray(0, 30)), 'truncated', 'length');
    expectWireError(
      () => decodeMlagMessage(concatBytes([HELLO_BYTES, Uint8Array.of(0)])),
      'malformed',
      'message',
    );
  });

  it('fixed bodies must have their exact length', () => {
    const short = withByte(HELLO_BYTES.subarray(0, 43), 5, 43);
    assert.equal(expectWireError(() => decodeMlagMessage(short), 'malformed', 'length').offset, 4);
  });

  it('field values: role, state, boot id, sequence, VNI, op and location', () => {
    assert.equal(
      expectWireError(() => decodeMlagMessage(withByte(HELLO_BYTES, 20, 3)), 'malformed', 'role').offset,
      20,
    );
    expectWireError(() => decodeMlagMessage(withByte(HELLO_BYTES, 21, 7)), 'malformed', 'state');
    const zeroBoot = HELLO_BYTES.slice();
    zeroBoot.fill(0, 24, 28);
    expectWireError(() => decodeMlagMessage(zeroBoot), 'malformed', 'boot id');
    const zeroSeq = MAC_SYNC_BYTES.slice();
    zeroSeq.fill(0, 12 + 20, 12 + 28);
    assert.equal(expectWireError(() => decodeMlagMessage(zeroSeq), 'malformed', 'seq').offset, 32);
    const hugeSeq = withByte(MAC_SYNC_BYTES, 32, 0x00);
    hugeSeq[33] = 0x20; // 2^53: past the exact range of a JS number
    expectWireError(() => decodeMlagMessage(hugeSeq), 'malformed', 'seq');
    expectWireError(() => decodeMlagMessage(withByte(MAC_SYNC_BYTES, 16, 1)), 'malformed', 'vni');
    assert.equal(
      expectWireError(() => decodeMlagMessage(withByte(MAC_SYNC_BYTES, 12, 9)), 'malformed', 'op').offset,
      12,
    );
    expectWireError(() => decodeMlagMessage(withByte(MAC_SYNC_BYTES, 13, 3)), 'malformed', 'location');
    // A delete that names a location.
    expectWireError(() => decodeMlagMessage(withByte(MAC_SYNC_BYTES, 41, 1)), 'malformed', 'location');
    // Count says three entries, two are there.
    expectWireError(() => decodeMlagMessage(withByte(MAC_SYNC_BYTES, 9, 3)), 'malformed', 'count');
  });

  it('CONSISTENCY: duplicate and missing TLVs, unsorted lists', () => {
    const dup = fromHex('4d4c 01 02 001c 0000 0001 0006 02000000aa01 0001 0006 02000000aa01');
    expectWireError(() => decodeMlagMessage(dup), 'malformed', 'tlv type');
    const missing = fromHex('4d4c 01 02 0012 0000 0001 0006 02000000aa01');
    expectWireError(() => decodeMlagMessage(missing), 'malformed', 'virtual vtep ip');
    const unsorted = CONSISTENCY_BYTES.slice();
    unsorted.set(fromHex('0002 0001'), 8 + 10 + 8 + 12 + 4);
    expectWireError(() => decodeMlagMessage(unsorted), 'malformed', 'mlag ids');
  });

  it('the framer fails on the first wrong magic octet and then stays failed', () => {
    const d = new MlagFrameDecoder();
    assert.deepEqual(d.push(HELLO_BYTES.subarray(0, 20)), []);
    assert.deepEqual(d.push(HELLO_BYTES.subarray(20)).length, 1);
    const e = expectWireError(() => d.push(Uint8Array.of(0x4d, 0x00)), 'malformed', 'magic');
    assert.equal(e.offset, 1);
    assert.throws(() => d.push(HELLO_BYTES), WireError);
    const d2 = new MlagFrameDecoder();
    expectWireError(() => d2.push(fromHex('4d4c 02')), 'unsupported', 'version');
  });

  it('mutated messages decode to a value that re-encodes to itself, or fail with a WireError', () => {
    const seeds = [
      HELLO_BYTES,
      DAD_BYTES,
      MAC_SYNC_BYTES,
      CONSISTENCY_BYTES,
      ...fc.sample(arbMlagMessage, { seed: 5, numRuns: 60 }).map(encodeMlagMessage),
    ];
    checkMutations(decodeMlagMessage, encodeMlagMessage, seeds, 0x6d6c6167, 20_000);
  });

  it('the framer on hostile streams: whole messages or a WireError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        valueOrWireError(() => new MlagFrameDecoder().push(bytes).map(decodeMlagMessage));
      }),
    );
  });

  it('the encoder refuses values the format cannot carry', () => {
    expectWireError(() => encodeMlagMessage({ ...HELLO, bootId: 0 }), 'malformed', 'boot id');
    expectWireError(
      () => encodeMlagMessage({ ...CONSISTENCY, vnis: [2 as Vni, 1 as Vni] }),
      'malformed',
      'vnis',
    );
    const bad: MlagMacEntry = { ...(MAC_SYNC.entries[0] as MlagMacEntry), seq: 0 };
    expectWireError(() => encodeMlagMessage({ type: 'mac-sync', entries: [bad] }), 'malformed', 'seq');
    expectWireError(
      () => encodeMlagMessage({ type: 'unknown', code: 1, body: new Uint8Array(0) }),
      'malformed',
      'type',
    );
  });
});
