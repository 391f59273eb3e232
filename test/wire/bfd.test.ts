import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { concatBytes, fromHex, internetChecksum, Reader } from '../../src/wire/bytes.js';
import { WireError, type WireErrorKind } from '../../src/wire/errors.js';
import {
  BFD_AUTH_DIGEST_OFFSET,
  BFD_CONTROL_PORT,
  BFD_DIAG_REVERSE_CONCATENATED_PATH_DOWN,
  BFD_STATE_UP,
  bfdAuthTypeCode,
  bfdAuthTypeName,
  bfdControlLength,
  bfdDiagnosticName,
  bfdDigestLayout,
  bfdStateName,
  decodeBfdControl,
  encodeBfdControl,
  readBfdControl,
  type BfdControlPacket,
} from '../../src/wire/bfd.js';
import { arbBfdControlPacket } from './arb-lacpbfd.js';
import { checkMutations, valueOrWireError } from './fuzz-lib.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';

// ---------------------------------------------------------------------------------------------
// Golden vectors (UDP payloads)
// ---------------------------------------------------------------------------------------------

/**
 * Open vSwitch 3.1 (`bfd:enable=true bfd:min_tx=100 bfd:min_rx=100`) in Up, captured on the wire
 * after a peer (discriminator 0xabcd) brought the session up through Init.
 */
const OVS_UP = fromHex('20c00318' + '2decae5b' + '0000abcd' + '000186a0' + '000186a0' + '00000000');

/** The same OVS session before it heard its peer: Down, Your Discriminator zero, TX 1 s. */
const OVS_DOWN = fromHex('20400318' + '2decae5b' + '00000000' + '000f4240' + '000186a0' + '00000000');

/** FreeRADIUS's BFD protocol test vector: Up, my 0xdeadbeef, your 0x21126809, 31/127/255 µs. */
const FREERADIUS_UP = fromHex('20c00318deadbeef211268090000001f0000007f000000ff');

// Ryu's test_bfd.py captures (Down, A bit, key id 2, key "secret"), UDP payloads only.
const SIMPLE_PASSWORD = fromHex(
  '20440321' + '00000001' + '00000000' + '000f4240' + '000f4240' + '00000000' + '010902' + '736563726574',
);
const KEYED_MD5 = fromHex(
  '20440330' +
    '00000001' +
    '00000000' +
    '000f4240' +
    '000f4240' +
    '00000000' +
    '02180200' +
    '000041db' +
    '66a8f9255a8bcb7e4bec25a62c23da0f',
);
const KEYED_SHA1 = fromHex(
  '20440334' +
    '00000001' +
    '00000000' +
    '000f4240' +
    '000f4240' +
    '00000000' +
    '041c0200' +
    '000041b1' +
    '4620108103d7f4de87614c24611f3cc16a006923',
);
const SECRET = new TextEncoder().encode('secret');

/** Ethernet / IPv4 (TTL 255, correct header checksum) / UDP (checksum 0) to port 3784. */
function udpFrame(payload: Uint8Array, dstPort = BFD_CONTROL_PORT): Uint8Array {
  const ip = fromHex('45c00000' + '00004000' + 'ff110000' + 'c0000201' + 'c0000202');
  const total = 20 + 8 + payload.length;
  ip[2] = total >> 8;
  ip[3] = total & 0xff;
  const c = internetChecksum(ip);
  ip[10] = c >> 8;
  ip[11] = c & 0xff;
  const udp = new Uint8Array(8);
  udp[0] = 0xc0; // source port 49152 (RFC 5881 §4)
  udp[2] = dstPort >> 8;
  udp[3] = dstPort & 0xff;
  udp[4] = (8 + payload.length) >> 8;
  udp[5] = (8 + payload.length) & 0xff;
  return concatBytes([fromHex('0200000000020200000000010800'), ip, udp, payload]);
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

/** RFC 5880 §6.7.3/§6.7.4: hash the packet with the key (zero-padded) in the digest field. */
function keyedDigest(packet: BfdControlPacket, bytes: Uint8Array, algorithm: 'md5' | 'sha1'): string {
  const layout = bfdDigestLayout(packet);
  assert.ok(layout !== undefined);
  assert.equal(layout.packetLength, bytes.length);
  const scratch = bytes.slice(0, layout.packetLength);
  scratch.fill(0, layout.digestOffset, layout.digestOffset + layout.digestLength);
  scratch.set(SECRET, layout.digestOffset);
  return createHash(algorithm).update(scratch).digest('hex');
}

// ---------------------------------------------------------------------------------------------

describe('bfd: golden vectors', () => {
  it('decodes an Open vSwitch Up packet', () => {
    const p = decodeBfdControl(OVS_UP);
    assert.deepEqual(p, {
      diagnostic: 0,
      state: BFD_STATE_UP,
      poll: false,
      final: false,
      controlPlaneIndependent: false,
      demand: false,
      detectMultiplier: 3,
      myDiscriminator: 0x2decae5b,
      yourDiscriminator: 0xabcd,
      desiredMinTxInterval: 100_000,
      requiredMinRxInterval: 100_000,
      requiredMinEchoRxInterval: 0,
    } satisfies BfdControlPacket);
    assert.equal(bfdStateName(p.state), 'Up');
    assert.deepEqual(encodeBfdControl(p), OVS_UP);
  });

  it('decodes a Down packet with Your Discriminator zero', () => {
    const p = decodeBfdControl(OVS_DOWN);
    assert.equal(bfdStateName(p.state), 'Down');
    assert.equal(p.yourDiscriminator, 0);
    assert.equal(p.desiredMinTxInterval, 1_000_000);
    assert.deepEqual(encodeBfdControl(p), OVS_DOWN);
  });

  it('decodes the FreeRADIUS vector', () => {
    const p = decodeBfdControl(FREERADIUS_UP);
    assert.equal(p.myDiscriminator, 0xdeadbeef);
    assert.equal(p.yourDiscriminator, 0x21126809);
    assert.deepEqual(
      [p.desiredMinTxInterval, p.requiredMinRxInterval, p.requiredMinEchoRxInterval],
      [31, 127, 255],
    );
    assert.deepEqual(encodeBfdControl(p), FREERADIUS_UP);
  });

  it('decodes simple password authentication', () => {
    const p = decodeBfdControl(SIMPLE_PASSWORD);
    assert.equal(p.state, 1);
    assert.equal(p.myDiscriminator, 1);
    assert.deepEqual(p.auth, { type: 'simple-password', keyId: 2, password: SECRET });
    assert.equal(bfdControlLength(p), 33);
    assert.equal(bfdDigestLayout(p), undefined);
    assert.deepEqual(encodeBfdControl(p), SIMPLE_PASSWORD);
  });

  it('decodes keyed MD5 and keyed SHA1, and locates the digest the session verifies', () => {
    const md5 = decodeBfdControl(KEYED_MD5);
    assert.deepEqual(md5.auth, {
      type: 'keyed-md5',
      keyId: 2,
      sequence: 16859,
      digest: fromHex('66a8f9255a8bcb7e4bec25a62c23da0f'),
    });
    assert.equal(keyedDigest(md5, KEYED_MD5, 'md5'), '66a8f9255a8bcb7e4bec25a62c23da0f');
    assert.deepEqual(encodeBfdControl(md5), KEYED_MD5);

    const sha1 = decodeBfdControl(KEYED_SHA1);
    assert.deepEqual(sha1.auth, {
      type: 'keyed-sha1',
      keyId: 2,
      sequence: 16817,
      digest: fromHex('4620108103d7f4de87614c24611f3cc16a006923'),
    });
    assert.equal(bfdAuthTypeCode(sha1.auth!), 4);
    assert.deepEqual(bfdDigestLayout(sha1), {
      packetLength: 52,
      digestOffset: BFD_AUTH_DIGEST_OFFSET,
      digestLength: 20,
    });
    assert.equal(keyedDigest(sha1, KEYED_SHA1, 'sha1'), '4620108103d7f4de87614c24611f3cc16a006923');
    assert.deepEqual(encodeBfdControl(sha1), KEYED_SHA1);
  });

  it('is read by tshark with the same fields and no errors', () => {
    const payloads = [OVS_UP, OVS_DOWN, FREERADIUS_UP, SIMPLE_PASSWORD, KEYED_MD5, KEYED_SHA1];
    withPcap(
      payloads.map((p) => udpFrame(p)),
      (path) => {
        assert.deepEqual(tsharkProblems(path), []);
        const got = tsharkFields(path, [
          'bfd.sta',
          'bfd.my_discriminator',
          'bfd.your_discriminator',
          'bfd.auth.type',
          'bfd.auth.len',
          'bfd.auth.password',
          'bfd.auth.seq_num',
        ]);
        assert.equal(got.length, payloads.length);
        const [up, down, freeradius, simple, md5, sha1] = got;
        assert.deepEqual(up!['bfd.sta'], ['0x03']);
        assert.deepEqual(up!['bfd.my_discriminator'], ['0x2decae5b']);
        assert.deepEqual(up!['bfd.your_discriminator'], ['0x0000abcd']);
        assert.equal(up!['bfd.auth.type'], undefined);
        assert.deepEqual(down!['bfd.your_discriminator'], ['0x00000000']);
        assert.deepEqual(freeradius!['bfd.my_discriminator'], ['0xdeadbeef']);
        assert.deepEqual(simple!['bfd.auth.type'], ['1']);
        assert.deepEqual(simple!['bfd.auth.password'], ['secret']);
        assert.deepEqual(md5!['bfd.auth.type'], ['2']);
        assert.deepEqual(md5!['bfd.auth.seq_num'], ['0x000041db']);
        assert.deepEqual(sha1!['bfd.auth.type'], ['4']);
        assert.deepEqual(sha1!['bfd.auth.len'], ['28']);
      },
    );
  });
});

describe('bfd: names', () => {
  it('names diagnostics, states and auth types as the registries do', () => {
    assert.equal(bfdDiagnosticName(0), 'No Diagnostic');
    assert.equal(bfdDiagnosticName(1), 'Control Detection Time Expired');
    assert.equal(
      bfdDiagnosticName(BFD_DIAG_REVERSE_CONCATENATED_PATH_DOWN),
      'Reverse Concatenated Path Down',
    );
    assert.equal(bfdDiagnosticName(20), 'Unassigned (20)');
    assert.deepEqual([0, 1, 2, 3].map(bfdStateName), ['AdminDown', 'Down', 'Init', 'Up']);
    assert.equal(bfdAuthTypeName(5), 'Meticulous Keyed SHA1');
    assert.equal(bfdAuthTypeName(9), 'Unassigned (9)');
  });
});

describe('bfd: properties', () => {
  it('round-trips every value: decode(encode(v)) equals v', () => {
    fc.assert(
      fc.property(arbBfdControlPacket, (v) => {
        const bytes = encodeBfdControl(v);
        assert.equal(bytes.length, bfdControlLength(v));
        assert.equal(bytes[3], bytes.length);
        assert.deepEqual(decodeBfdControl(bytes), v);
      }),
      { numRuns: 1000 },
    );
  });

  it('re-encodes stably: encode(decode(encode(v))) equals encode(v)', () => {
    fc.assert(
      fc.property(arbBfdControlPacket, (v) => {
        const bytes = encodeBfdControl(v);
        assert.deepEqual(encodeBfdControl(decodeBfdControl(bytes)), bytes);
      }),
      { numRuns: 1000 },
    );
  });

  it('ignores payload octets after Length and the reserved octet of keyed auth', () => {
    fc.assert(
      fc.property(arbBfdControlPacket, fc.uint8Array({ minLength: 1, maxLength: 30 }), (v, extra) => {
        const bytes = encodeBfdControl(v);
        assert.deepEqual(decodeBfdControl(concatBytes([bytes, extra])), v);
        const r = new Reader(concatBytes([bytes, extra]), 'udp');
        readBfdControl(r);
        assert.ok(r.atEnd);
        if (v.auth !== undefined && bfdDigestLayout(v) !== undefined) {
          const dirty = withByte(bytes, 27, 0xff);
          assert.deepEqual(decodeBfdControl(dirty), v);
          assert.deepEqual(encodeBfdControl(decodeBfdControl(dirty)), bytes);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps unknown auth types byte-exact', () => {
    const bytes = fromHex(
      '20c4031f' + '00000001' + '00000002' + '00'.repeat(12) + '07' + '07' + '0102030405',
    );
    const p = decodeBfdControl(bytes);
    assert.deepEqual(p.auth, { type: 'unknown', code: 7, data: fromHex('0102030405') });
    assert.deepEqual(encodeBfdControl(p), bytes);
  });
});

describe('bfd: hostile input', () => {
  const seeds = [OVS_UP, OVS_DOWN, FREERADIUS_UP, SIMPLE_PASSWORD, KEYED_MD5, KEYED_SHA1];

  it('rejects every truncation: truncated header, then Length beyond the payload', () => {
    for (const seed of seeds) {
      for (let cut = 0; cut < seed.length; cut++) {
        const e = expectWireError(
          () => decodeBfdControl(seed.subarray(0, cut)),
          cut < 4 ? 'truncated' : 'malformed',
        );
        if (cut >= 4) assert.equal(e.field, 'length');
      }
    }
  });

  it('gives a value or a WireError for mutated input, and decoded values re-encode', () => {
    checkMutations(decodeBfdControl, encodeBfdControl, seeds, 0xbfd, 20_000, (a, b, m) =>
      assert.deepEqual(a, b, m),
    );
  });

  it('gives a value or a WireError for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        valueOrWireError(() => decodeBfdControl(b));
      }),
      { numRuns: 2000 },
    );
  });

  it('applies the RFC 5880 §6.8.6 format checks, naming the field', () => {
    expectWireError(() => decodeBfdControl(withByte(OVS_UP, 0, 0x00)), 'malformed', 'version');
    expectWireError(() => decodeBfdControl(withByte(OVS_UP, 0, 0x40)), 'malformed', 'version');
    expectWireError(() => decodeBfdControl(withByte(OVS_UP, 1, 0xc1)), 'malformed', 'multipoint');
    expectWireError(() => decodeBfdControl(withByte(OVS_UP, 2, 0)), 'malformed', 'detect mult');
    expectWireError(() => decodeBfdControl(withByte(OVS_UP, 3, 23)), 'malformed', 'length');
    expectWireError(() => decodeBfdControl(withByte(OVS_UP, 3, 25)), 'malformed', 'length');
    expectWireError(
      () => decodeBfdControl(concatBytes([withByte(OVS_UP, 3, 30), new Uint8Array(6)])),
      'malformed',
      'length',
    );
    // A bit set with Length 25 (< 26).
    expectWireError(
      () => decodeBfdControl(concatBytes([withByte(withByte(OVS_UP, 1, 0xc4), 3, 25), fromHex('00')])),
      'malformed',
      'length',
    );
    expectWireError(() => decodeBfdControl(withByte(SIMPLE_PASSWORD, 3, 34)), 'malformed', 'length');
    const noMy = OVS_UP.slice();
    noMy.fill(0, 4, 8);
    expectWireError(() => decodeBfdControl(noMy), 'malformed', 'my discriminator');
    const noYour = OVS_UP.slice();
    noYour.fill(0, 8, 12);
    expectWireError(() => decodeBfdControl(noYour), 'malformed', 'your discriminator');
    expectWireError(() => decodeBfdControl(withByte(noYour, 1, 0x80)), 'malformed', 'your discriminator'); // Init
    assert.equal(decodeBfdControl(withByte(noYour, 1, 0x00)).state, 0); // AdminDown may have it zero
  });

  it('checks the authentication section lengths', () => {
    expectWireError(() => decodeBfdControl(withByte(SIMPLE_PASSWORD, 25, 8)), 'malformed', 'auth len');
    expectWireError(() => decodeBfdControl(withByte(KEYED_SHA1, 25, 24)), 'malformed', 'auth len');
    // SHA1 type with an MD5-sized section.
    expectWireError(() => decodeBfdControl(withByte(KEYED_MD5, 24, 4)), 'malformed', 'auth len');
    // MD5 type in a SHA1-sized section.
    expectWireError(() => decodeBfdControl(withByte(KEYED_SHA1, 24, 3)), 'malformed', 'auth len');
    // Simple password with an empty password (Auth Len 3) or one of 17 octets (Auth Len 20).
    const empty = fromHex('2044031b' + '00000001' + '00000000' + '00'.repeat(12) + '010302');
    expectWireError(() => decodeBfdControl(empty), 'malformed', 'auth len');
    const long = fromHex('2044032c' + '00000001' + '00000000' + '00'.repeat(12) + '011402' + '61'.repeat(17));
    expectWireError(() => decodeBfdControl(long), 'malformed', 'auth len');
  });

  it('refuses to encode values that break the format', () => {
    const up = decodeBfdControl(OVS_UP);
    expectWireError(() => encodeBfdControl({ ...up, myDiscriminator: 0 }), 'malformed', 'my discriminator');
    expectWireError(
      () => encodeBfdControl({ ...up, yourDiscriminator: 0 }),
      'malformed',
      'your discriminator',
    );
    expectWireError(() => encodeBfdControl({ ...up, detectMultiplier: 0 }), 'malformed', 'detect mult');
    expectWireError(() => encodeBfdControl({ ...up, detectMultiplier: 256 }), 'malformed', 'detect mult');
    expectWireError(() => encodeBfdControl({ ...up, diagnostic: 32 }), 'malformed', 'diagnostic');
    expectWireError(
      () => encodeBfdControl({ ...up, desiredMinTxInterval: 2 ** 32 }),
      'malformed',
      'desired min tx interval',
    );
    expectWireError(
      () =>
        encodeBfdControl({
          ...up,
          auth: { type: 'simple-password', keyId: 1, password: new Uint8Array(17) },
        }),
      'malformed',
      'password',
    );
    expectWireError(
      () =>
        encodeBfdControl({ ...up, auth: { type: 'simple-password', keyId: 1, password: new Uint8Array(0) } }),
      'malformed',
      'password',
    );
    expectWireError(
      () =>
        encodeBfdControl({
          ...up,
          auth: { type: 'keyed-sha1', keyId: 1, sequence: 1, digest: new Uint8Array(16) },
        }),
      'malformed',
      'auth digest',
    );
    expectWireError(
      () => encodeBfdControl({ ...up, auth: { type: 'unknown', code: 4, data: new Uint8Array(26) } }),
      'malformed',
      'auth type',
    );
    expectWireError(
      () => encodeBfdControl({ ...up, auth: { type: 'unknown', code: 9, data: new Uint8Array(230) } }),
      'malformed',
      'auth data',
    );
    // The largest unknown section still fits the 8-bit Length field.
    const max = encodeBfdControl({ ...up, auth: { type: 'unknown', code: 9, data: new Uint8Array(229) } });
    assert.equal(max.length, 255);
    assert.equal(max[3], 255);
  });
});
