import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ipv4, mac } from '../../src/wire/addr.js';
import { fromHex, toHex } from '../../src/wire/bytes.js';
import { encodeEthernet, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import {
  decodeIcmp,
  emitIcmp,
  encodeIcmp,
  ICMP_TYPE_DESTINATION_UNREACHABLE,
  icmpLength,
  type IcmpMessage,
} from '../../src/wire/icmp.js';
import { encodeIpv4, IPPROTO_ICMP } from '../../src/wire/ipv4.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import { arbIcmpMessage, assertOnlyWireErrors, expectWireError, withByte } from './arb-l2l3.js';

// Linux 6.x, captured inside VXLAN with dumpcap: ICMP messages (the IPv4 payload).
/** Echo request id 0x1234 seq 1, data "abcdefgh" (sent from a raw socket). */
const LINUX_ECHO_REQUEST = fromHex('08005435123400016162636465666768');
/** The kernel's echo reply to it. */
const LINUX_ECHO_REPLY = fromHex('00005c35123400016162636465666768');
/** The kernel's Port Unreachable for a UDP datagram to port 9 (quotes the IPv4 + UDP header + data). */
const LINUX_PORT_UNREACHABLE = fromHex(
  '03031123' + '00000000' + '45000024385040004011ee740a0100010a010002' + '9c4000090010a3ce7477696e6c656166',
);

/** Built by hand: Echo with an odd-length payload (checksum pads with a zero octet, RFC 1071). */
const ODD_ECHO = encodeIcmp({ kind: 'echo-request', id: 7, seq: 9, data: fromHex('616263') });

const inIpv4 = (icmp: Uint8Array, src = '10.1.0.1', dst = '10.1.0.2'): Uint8Array =>
  encodeEthernet({
    dst: mac('02:00:00:00:00:02'),
    src: mac('02:00:00:00:00:01'),
    vlans: [],
    etherType: ETHERTYPE_IPV4,
    payload: encodeIpv4({
      dscp: 0,
      ecn: 0,
      id: 1,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: IPPROTO_ICMP,
      src: ipv4(src),
      dst: ipv4(dst),
      options: new Uint8Array(0),
      payload: icmp,
    }),
  });

describe('icmp: golden vectors', () => {
  it('decodes a Linux echo request and reply', () => {
    const req = decodeIcmp(LINUX_ECHO_REQUEST);
    assert.deepEqual(req, {
      kind: 'echo-request',
      id: 0x1234,
      seq: 1,
      data: new TextEncoder().encode('abcdefgh'),
    } satisfies IcmpMessage);
    assert.deepEqual(encodeIcmp(req), LINUX_ECHO_REQUEST);
    const reply = decodeIcmp(LINUX_ECHO_REPLY);
    assert.deepEqual(reply, { ...req, kind: 'echo-reply' });
    assert.deepEqual(encodeIcmp(reply), LINUX_ECHO_REPLY);
  });

  it('keeps other messages as type, code and rest', () => {
    const m = decodeIcmp(LINUX_PORT_UNREACHABLE);
    assert.equal(m.kind, 'other');
    if (m.kind !== 'other') return;
    assert.equal(m.type, ICMP_TYPE_DESTINATION_UNREACHABLE);
    assert.equal(m.code, 3);
    assert.equal(m.rest.length, LINUX_PORT_UNREACHABLE.length - 4);
    assert.equal(toHex(m.rest.subarray(4, 8)), '45000024');
    assert.deepEqual(encodeIcmp(m), LINUX_PORT_UNREACHABLE);
  });

  it('keeps an echo with a non-zero code as other (byte-exact)', () => {
    const odd = encodeIcmp({ kind: 'other', type: 8, code: 1, rest: fromHex('00010002') });
    assert.deepEqual(decodeIcmp(odd), { kind: 'other', type: 8, code: 1, rest: fromHex('00010002') });
  });

  it('checksums odd-length messages', () => {
    assert.equal(ODD_ECHO.length, 11);
    assert.deepEqual(decodeIcmp(ODD_ECHO), { kind: 'echo-request', id: 7, seq: 9, data: fromHex('616263') });
  });

  it('tshark verifies the checksums and sees no errors', () => {
    const msgs = [LINUX_ECHO_REQUEST, LINUX_ECHO_REPLY, LINUX_PORT_UNREACHABLE, ODD_ECHO];
    withPcap(
      msgs.map((m) => inIpv4(m)),
      (path) => {
        assert.deepEqual(tsharkProblems(path), []);
        const got = tsharkFields(path, [
          'icmp.type',
          'icmp.code',
          'icmp.checksum.status',
          'icmp.ident',
          'icmp.seq',
        ]);
        for (const g of got) assert.deepEqual(g['icmp.checksum.status'], ['1']);
        assert.deepEqual(got[0]?.['icmp.ident'], ['4660']);
        assert.deepEqual(got[1]?.['icmp.type'], ['0']);
        assert.deepEqual(got[2]?.['icmp.code'], ['3']);
        assert.deepEqual(got[3]?.['icmp.seq'], ['9']);
      },
    );
  });
});

describe('icmp: properties', () => {
  it('decode(encode(v)) deep-equals v and encode(decode(encode(v))) equals encode(v)', () => {
    fc.assert(
      fc.property(arbIcmpMessage, (v) => {
        const bytes = encodeIcmp(v);
        assert.equal(bytes.length, icmpLength(v));
        assert.deepEqual(decodeIcmp(bytes), v);
        assert.deepEqual(encodeIcmp(decodeIcmp(bytes)), bytes);
      }),
    );
  });

  it('emits at an offset without touching other bytes', () => {
    fc.assert(
      fc.property(arbIcmpMessage, fc.integer({ min: 0, max: 8 }), (v, at) => {
        const n = icmpLength(v);
        const out = new Uint8Array(at + n + 3).fill(0xa5);
        assert.equal(emitIcmp(v, out, at), at + n);
        assert.deepEqual(out.subarray(at, at + n), encodeIcmp(v));
        assert.ok(out.subarray(0, at).every((b) => b === 0xa5));
        assert.ok(out.subarray(at + n).every((b) => b === 0xa5));
      }),
    );
  });
});

describe('icmp: hostile input', () => {
  it('truncations and mutations give a value or a WireError', () => {
    assertOnlyWireErrors(decodeIcmp, [
      LINUX_ECHO_REQUEST,
      LINUX_ECHO_REPLY,
      LINUX_PORT_UNREACHABLE,
      ODD_ECHO,
    ]);
  });

  it('reports specific errors', () => {
    expectWireError(() => decodeIcmp(LINUX_ECHO_REQUEST.subarray(0, 3)), 'truncated', 'header');
    expectWireError(() => decodeIcmp(withByte(LINUX_ECHO_REQUEST, 9, 0)), 'checksum', 'checksum');
    // A 6-octet echo with a valid checksum: the identifier is there, the sequence number is not.
    expectWireError(() => decodeIcmp(fixEcho6()), 'truncated', 'seq');
  });

  it('refuses values it cannot encode', () => {
    expectWireError(
      () => encodeIcmp({ kind: 'echo-request', id: 65536, seq: 0, data: new Uint8Array(0) }),
      'malformed',
      'id',
    );
    expectWireError(
      () => encodeIcmp({ kind: 'echo-reply', id: 0, seq: -1, data: new Uint8Array(0) }),
      'malformed',
      'seq',
    );
    expectWireError(
      () => encodeIcmp({ kind: 'other', type: 0, code: 0, rest: new Uint8Array(4) }),
      'malformed',
      'type',
    );
    expectWireError(
      () => encodeIcmp({ kind: 'other', type: 256, code: 0, rest: new Uint8Array(4) }),
      'malformed',
      'type',
    );
    expectWireError(() => encodeIcmp({ kind: 'bogus' } as never), 'malformed', 'kind');
  });
});

/** A 6-octet echo request (type 8, code 0, identifier only) with a correct checksum. */
function fixEcho6(): Uint8Array {
  const b = fromHex('08000000' + '1234');
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  const c = ~s & 0xffff;
  b[2] = c >> 8;
  b[3] = c & 0xff;
  return b;
}
