import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ipv4, ipv6, mac, type IpAddress } from '../../src/wire/addr.js';
import { concatBytes, fromHex, toHex } from '../../src/wire/bytes.js';
import { IPPROTO_TCP } from '../../src/wire/ipv4.js';
import { ipFrame } from '../../src/wire/sample-frames.js';
import {
  decodeTcp,
  emitTcp,
  encodeTcp,
  TCP_FLAG_ACK,
  TCP_FLAG_FIN,
  TCP_FLAG_PSH,
  TCP_FLAG_SYN,
  TCP_FLAG_URG,
  TCP_PORT_BGP,
  tcpFlagsText,
  tcpLength,
  tcpMssFromOptions,
  tcpMssOption,
  type TcpSegment,
} from '../../src/wire/tcp.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import { arbTcpCase, assertOnlyWireErrors, expectWireError, withByte } from './arb-l2l3.js';

const A = ipv4('10.1.0.1');
const B = ipv4('10.1.0.2');

// Linux 6.x: a TCP connection to port 179 carrying one BGP KEEPALIVE, captured inside VXLAN with
// dumpcap (checksum offload disabled so the checksums are real). TCP segments only.
/** SYN 50180 → 179, MSS 1460, SACK permitted, timestamps, window scale 10. */
const LINUX_SYN = fromHex('c40400b3fede069700000000a002faf0c6530000020405b40402080a8af61d90000000000103030a');
const LINUX_SYN_ACK = fromHex(
  '00b3c404a7f4ebb8fede0698a012fe8800cb0000020405b40402080ab80d76248af61d900103030a',
);
const LINUX_ACK = fromHex('c40400b3fede0698a7f4ebb98010003f2de400000101080a8af61d90b80d7624');
/** PSH/ACK with the 19-octet KEEPALIVE. */
const LINUX_KEEPALIVE = fromHex(
  'c40400b3fede0698a7f4ebb98018003f29b600000101080a8af61d90b80d7624' + 'ff'.repeat(16) + '001304',
);
const LINUX_KEEPALIVE_ACK = fromHex('00b3c404a7f4ebb9fede06ab801000402dd000000101080ab80d76248af61d90');

interface Case {
  readonly bytes: Uint8Array;
  readonly src: IpAddress;
  readonly dst: IpAddress;
}
const LINUX: readonly Case[] = [
  { bytes: LINUX_SYN, src: A, dst: B },
  { bytes: LINUX_SYN_ACK, src: B, dst: A },
  { bytes: LINUX_ACK, src: A, dst: B },
  { bytes: LINUX_KEEPALIVE, src: A, dst: B },
  { bytes: LINUX_KEEPALIVE_ACK, src: B, dst: A },
];

function inIp(c: Case): Uint8Array {
  return ipFrame(mac('02:00:00:00:00:01'), mac('02:00:00:00:00:02'), c.src, c.dst, IPPROTO_TCP, c.bytes, {
    dscp: 48,
  });
}

/** A whole BGP-over-TCP exchange over IPv6 link-local, built with encodeTcp as a pcap writer would. */
function bgpSessionV6(): Case[] {
  const a = ipv6('fe80::1');
  const b = ipv6('fe80::2');
  const keepalive = fromHex('ff'.repeat(16) + '001304');
  const seg = (over: Partial<TcpSegment>): TcpSegment => ({
    srcPort: 40179,
    dstPort: TCP_PORT_BGP,
    seq: 1000,
    ack: 0,
    flags: TCP_FLAG_ACK,
    window: 65535,
    urgentPointer: 0,
    options: new Uint8Array(0),
    payload: new Uint8Array(0),
    ...over,
  });
  const back = { srcPort: TCP_PORT_BGP, dstPort: 40179 };
  const segments: [TcpSegment, IpAddress, IpAddress][] = [
    [seg({ flags: TCP_FLAG_SYN, options: tcpMssOption(1440) }), a, b],
    [
      seg({ ...back, seq: 5000, ack: 1001, flags: TCP_FLAG_SYN | TCP_FLAG_ACK, options: tcpMssOption(1440) }),
      b,
      a,
    ],
    [seg({ seq: 1001, ack: 5001 }), a, b],
    [seg({ seq: 1001, ack: 5001, flags: TCP_FLAG_PSH | TCP_FLAG_ACK, payload: keepalive }), a, b],
    [seg({ ...back, seq: 5001, ack: 1020, flags: TCP_FLAG_PSH | TCP_FLAG_ACK, payload: keepalive }), b, a],
    [seg({ seq: 1020, ack: 5020, flags: TCP_FLAG_FIN | TCP_FLAG_ACK }), a, b],
  ];
  return segments.map(([s, src, dst]) => ({ bytes: encodeTcp(s, src, dst), src, dst }));
}

describe('tcp: golden vectors', () => {
  it('decodes a Linux SYN with its options kept raw', () => {
    const s = decodeTcp(LINUX_SYN, A, B);
    assert.deepEqual(s, {
      srcPort: 50180,
      dstPort: 179,
      seq: 0xfede0697,
      ack: 0,
      flags: TCP_FLAG_SYN,
      window: 64240,
      urgentPointer: 0,
      options: fromHex('020405b40402080a8af61d90000000000103030a'),
      payload: new Uint8Array(0),
    } satisfies TcpSegment);
    assert.equal(toHex(s.options.subarray(0, 4)), toHex(tcpMssOption(1460)));
    assert.equal(tcpMssFromOptions(s.options), 1460);
    assert.equal(tcpFlagsText(s.flags), 'SYN');
    assert.deepEqual(encodeTcp(s, A, B), LINUX_SYN);
  });

  it('decodes the whole Linux exchange and re-encodes it exactly', () => {
    for (const c of LINUX)
      assert.deepEqual(encodeTcp(decodeTcp(c.bytes, c.src, c.dst), c.src, c.dst), c.bytes);
    const synAck = decodeTcp(LINUX_SYN_ACK, B, A);
    assert.equal(tcpFlagsText(synAck.flags), 'SYN,ACK');
    assert.equal(synAck.ack, 0xfede0698);
    const ka = decodeTcp(LINUX_KEEPALIVE, A, B);
    assert.equal(tcpFlagsText(ka.flags), 'PSH,ACK');
    assert.equal(toHex(ka.payload), 'ff'.repeat(16) + '001304');
    assert.equal(ka.payload.buffer, LINUX_KEEPALIVE.buffer);
  });

  it('keeps reserved bits and the urgent pointer', () => {
    const s: TcpSegment = {
      ...decodeTcp(LINUX_ACK, A, B),
      flags: 0x100 | TCP_FLAG_URG | TCP_FLAG_ACK,
      urgentPointer: 3,
      payload: fromHex('010203'),
    };
    const bytes = encodeTcp(s, A, B);
    assert.equal(toHex(bytes.subarray(12, 14)), '8130');
    assert.deepEqual(decodeTcp(bytes, A, B), s);
    assert.equal(tcpFlagsText(s.flags), 'ACK,URG,RES=0x1');
    assert.equal(tcpFlagsText(0), 'none');
  });

  it('tshark verifies the Linux capture and a BGP session we build, with no errors', () => {
    const frames = [...LINUX, ...bgpSessionV6()].map(inIp);
    withPcap(frames, (path) => {
      assert.deepEqual(tsharkProblems(path), []);
      const got = tsharkFields(path, [
        'tcp.checksum.status',
        'tcp.flags',
        'tcp.options.mss_val',
        'bgp.type',
        'tcp.len',
      ]);
      for (const g of got) assert.deepEqual(g['tcp.checksum.status'], ['1']);
      assert.deepEqual(got[0]?.['tcp.options.mss_val'], ['1460']);
      assert.deepEqual(got[1]?.['tcp.flags'], ['0x0012']);
      assert.deepEqual(got[3]?.['bgp.type'], ['4']);
      assert.deepEqual(got[5]?.['tcp.options.mss_val'], ['1440']);
      assert.deepEqual(got[8]?.['bgp.type'], ['4']);
      assert.deepEqual(got[9]?.['bgp.type'], ['4']);
      assert.deepEqual(got[9]?.['tcp.len'], ['19']);
    });
  });
});

describe('tcp: the MSS option', () => {
  it('is found after other options and NOPs, and is absent past an end-of-list or a broken length', () => {
    // NOP, NOP, timestamps (kind 8, length 10), then MSS 9176.
    assert.equal(tcpMssFromOptions(fromHex('0101080a0000000100000000020423d8')), 9176);
    assert.equal(tcpMssFromOptions(fromHex('0101080a00000001000000000000')), undefined);
    assert.equal(tcpMssFromOptions(fromHex('00020405b4')), undefined, 'after end-of-list');
    assert.equal(tcpMssFromOptions(fromHex('0801020405b4')), undefined, 'a length below 2');
    assert.equal(tcpMssFromOptions(fromHex('0204')), undefined, 'cut short');
    assert.equal(tcpMssFromOptions(new Uint8Array(0)), undefined);
  });
});

describe('tcp: properties', () => {
  it('decode(encode(v)) deep-equals v and encode(decode(encode(v))) equals encode(v)', () => {
    fc.assert(
      fc.property(arbTcpCase, ({ segment, src, dst }) => {
        const bytes = encodeTcp(segment, src, dst);
        assert.equal(bytes.length, tcpLength(segment));
        assert.deepEqual(decodeTcp(bytes, src, dst), segment);
        assert.deepEqual(encodeTcp(decodeTcp(bytes, src, dst), src, dst), bytes);
      }),
    );
  });

  it('emits at an offset without touching other bytes', () => {
    fc.assert(
      fc.property(arbTcpCase, fc.integer({ min: 0, max: 8 }), ({ segment, src, dst }, at) => {
        const n = tcpLength(segment);
        const out = new Uint8Array(at + n + 3).fill(0xa5);
        assert.equal(emitTcp(segment, src, dst, out, at), at + n);
        assert.deepEqual(out.subarray(at, at + n), encodeTcp(segment, src, dst));
        assert.ok(out.subarray(0, at).every((b) => b === 0xa5));
        assert.ok(out.subarray(at + n).every((b) => b === 0xa5));
      }),
    );
  });
});

describe('tcp: hostile input', () => {
  it('truncations and mutations give a value or a WireError', () => {
    for (const c of LINUX) assertOnlyWireErrors((b) => decodeTcp(b, c.src, c.dst), [c.bytes], 600);
  });

  it('reports specific errors', () => {
    expectWireError(() => decodeTcp(LINUX_SYN.subarray(0, 19), A, B), 'truncated', 'header');
    expectWireError(() => decodeTcp(LINUX_SYN.subarray(0, 39), A, B), 'truncated', 'dataOffset');
    expectWireError(() => decodeTcp(withByte(LINUX_SYN, 12, 0x40), A, B), 'malformed', 'dataOffset');
    expectWireError(() => decodeTcp(withByte(LINUX_SYN, 20, 3), A, B), 'checksum', 'checksum');
    expectWireError(() => decodeTcp(LINUX_SYN, A, ipv4('10.1.0.3')), 'checksum', 'checksum');
    expectWireError(
      () => decodeTcp(concatBytes([LINUX_SYN, new Uint8Array(1)]), A, B),
      'checksum',
      'checksum',
    );
  });

  it('refuses values it cannot encode', () => {
    const s = decodeTcp(LINUX_ACK, A, B);
    expectWireError(() => encodeTcp({ ...s, options: new Uint8Array(5) }, A, B), 'malformed', 'options');
    expectWireError(() => encodeTcp({ ...s, options: new Uint8Array(44) }, A, B), 'malformed', 'options');
    expectWireError(() => encodeTcp({ ...s, flags: 0x1000 }, A, B), 'malformed', 'flags');
    expectWireError(() => encodeTcp({ ...s, seq: 2 ** 32 }, A, B), 'malformed', 'seq');
    expectWireError(() => encodeTcp({ ...s, window: 70000 }, A, B), 'malformed', 'window');
    expectWireError(() => encodeTcp(s, A, ipv6('::1')), 'malformed', 'dst');
    expectWireError(() => encodeTcp({ ...s, payload: new Uint8Array(65536) }, A, B), 'malformed', 'length');
    expectWireError(() => tcpMssOption(65536), 'malformed', 'options');
  });
});
