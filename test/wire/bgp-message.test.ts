import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Ipv4Address, Mac } from '../../src/wire/addr.js';
import { concatBytes, fromHex, Reader, toHex, Writer } from '../../src/wire/bytes.js';
import {
  AFI_IPV4,
  AFI_L2VPN,
  BGP_ERR_CEASE,
  BGP_ERR_MESSAGE_HEADER,
  BGP_ERR_OPEN_MESSAGE,
  BGP_ERR_ROUTE_REFRESH,
  BGP_ERR_UPDATE_MESSAGE,
  BGP_PORT,
  BgpFrameDecoder,
  CEASE_ADMINISTRATIVE_SHUTDOWN,
  HEADER_ERR_BAD_MESSAGE_LENGTH,
  HEADER_ERR_BAD_MESSAGE_TYPE,
  HEADER_ERR_CONNECTION_NOT_SYNCHRONIZED,
  OPEN_ERR_BAD_BGP_IDENTIFIER,
  OPEN_ERR_BAD_PEER_AS,
  OPEN_ERR_UNACCEPTABLE_HOLD_TIME,
  OPEN_ERR_UNSPECIFIC,
  OPEN_ERR_UNSUPPORTED_VERSION,
  ROUTE_REFRESH_ERR_INVALID_MESSAGE_LENGTH,
  SAFI_EVPN,
  SAFI_UNICAST,
  UPDATE_ERR_MALFORMED_ATTRIBUTE_LIST,
  afiSafiName,
  capabilityName,
  decodeBgpMessage,
  encodeBgpMessage,
  messageTypeName,
  notificationName,
  openAsn,
  openCapabilities,
  openMyAs,
  readBgpMessage,
  writeBgpMessage,
  type BgpMessage,
  type BgpMessageOptions,
  type Capability,
  type OpenMessage,
} from '../../src/wire/bgp-message.js';
import { AS_TRANS, endOfRib } from '../../src/wire/bgp-update.js';
import { BgpWireError, WireError } from '../../src/wire/errors.js';
import { TcpStream } from '../../src/wire/sample-frames.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import { valueOrWireError } from './fuzz-lib.js';
import {
  arbBgpMessage,
  arbCapability,
  arbNotificationMessage,
  arbOpenMessage,
  arbRouteRefreshMessage,
} from './arb-bgp-message.js';

const AS4: BgpMessageOptions = { fourOctetAs: true };
const AS2: BgpMessageOptions = { fourOctetAs: false };
const EXT: BgpMessageOptions = { fourOctetAs: true, extendedMessage: true };
const MARKER = 'ffffffffffffffffffffffffffffffff';

function hex(s: string): Uint8Array {
  return fromHex(s);
}

/** Asserts `f` throws a BgpWireError with this NOTIFICATION; returns it. */
function expectNotify(f: () => unknown, code: number, subcode: number, data?: string): BgpWireError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof BgpWireError, `expected BgpWireError, got ${String(e)}`);
    assert.equal(e.handling, 'session-reset');
    assert.deepEqual([e.notify.code, e.notify.subcode], [code, subcode], e.message);
    if (data !== undefined) assert.equal(toHex(e.notify.data), data);
    return e;
  }
  assert.fail(`expected NOTIFICATION ${code}/${subcode}`);
}

/** Anything but a value or a WireError fails the test. */

// --- Golden vectors ----------------------------------------------------------------------------

/** FRR 8.4.4 bgpd (`frr defaults datacenter`, AS 65001, id 10.0.0.1, ipv4-unicast + l2vpn-evpn), captured. */
const FRR_OPEN =
  MARKER +
  '00740104fde900090a0000015702060104000100010206010400190046020280000202020002024600020641040000fde9' +
  '02020600020a4508000101010019460102094907056c656166310002044002c0780210470e0001018000000000194680000000';
/** GoBGP 3.10.0 (AS 65002, id 10.0.0.2, l2vpn-evpn; hostname "vm"), captured. */
const GOBGP_OPEN =
  MARKER + '003b0104fdea00090a0000021e021c0200490402766d0001040019004641040000fdea0506001900460002';
/** GoBGP 3.10.0 KEEPALIVE, captured. */
const GOBGP_KEEPALIVE = MARKER + '001304';
/** GoBGP 3.10.0 `gobgp neighbor 127.0.0.1 disable`: Cease / Administrative Shutdown, captured. */
const GOBGP_NOTIFICATION = MARKER + '0015030602';
/** RFC 2918 §3 ROUTE-REFRESH for l2vpn/evpn, as GoBGP and FRR send it (hand-assembled). */
const ROUTE_REFRESH = MARKER + '0017050019' + '0046';
/** RFC 9072 §2 extended optional parameters: 255, 255, length 9, one capabilities param (2-octet length). */
const EXT_PARAMS_OPEN = MARKER + '00290104fde900b40a000001ffff0009020006010400010001';

describe('bgp-message golden vectors', () => {
  it('decodes an FRR 8.4 OPEN, every capability, and re-encodes it byte for byte', () => {
    const b = hex(FRR_OPEN);
    const m = decodeBgpMessage(b, AS4);
    assert.equal(m.type, 'open');
    const open = m as OpenMessage;
    assert.equal(open.version, 4);
    assert.equal(open.myAs, 65001);
    assert.equal(open.holdTime, 9);
    assert.equal(open.bgpId, '10.0.0.1');
    assert.equal(open.extendedParameters, undefined);
    // FRR sends one capability per optional parameter.
    assert.equal(open.optionalParameters.length, 11);
    assert.deepEqual(openCapabilities(open), [
      { type: 'multiprotocol', afi: AFI_IPV4, safi: SAFI_UNICAST },
      { type: 'multiprotocol', afi: AFI_L2VPN, safi: SAFI_EVPN },
      { type: 'unknown', code: 128, data: new Uint8Array(0) },
      { type: 'route-refresh' },
      { type: 'enhanced-route-refresh' },
      { type: 'four-octet-as', asn: 65001 },
      { type: 'extended-message' },
      {
        type: 'add-path',
        families: [
          { afi: 1, safi: 1, sendReceive: 1 },
          { afi: 25, safi: 70, sendReceive: 1 },
        ],
      },
      { type: 'fqdn', hostname: 'leaf1', domain: '' },
      { type: 'graceful-restart', restartState: true, notification: true, restartTime: 120, families: [] },
      { type: 'unknown', code: 71, data: hex('0001018000000000194680000000') },
    ]);
    assert.equal(openAsn(open), 65001);
    assert.equal(toHex(encodeBgpMessage(m, AS4)), FRR_OPEN);
  });

  it('decodes a GoBGP OPEN (grouped capabilities, extended next hop kept unknown)', () => {
    const m = decodeBgpMessage(hex(GOBGP_OPEN), AS4) as OpenMessage;
    assert.equal(m.myAs, 65002);
    assert.equal(m.bgpId, '10.0.0.2');
    assert.equal(m.optionalParameters.length, 1);
    assert.deepEqual(openCapabilities(m), [
      { type: 'route-refresh' },
      { type: 'fqdn', hostname: 'vm', domain: '' },
      { type: 'multiprotocol', afi: 25, safi: 70 },
      { type: 'four-octet-as', asn: 65002 },
      { type: 'unknown', code: 5, data: hex('001900460002') },
    ]);
    assert.equal(toHex(encodeBgpMessage(m, AS4)), GOBGP_OPEN);
  });

  it('decodes GoBGP KEEPALIVE and NOTIFICATION Cease/Administrative Shutdown, and ROUTE-REFRESH', () => {
    assert.deepEqual(decodeBgpMessage(hex(GOBGP_KEEPALIVE), AS4), { type: 'keepalive' });
    const n = decodeBgpMessage(hex(GOBGP_NOTIFICATION), AS4);
    assert.deepEqual(n, {
      type: 'notification',
      code: BGP_ERR_CEASE,
      subcode: CEASE_ADMINISTRATIVE_SHUTDOWN,
      data: new Uint8Array(0),
    });
    const rr = decodeBgpMessage(hex(ROUTE_REFRESH), AS4);
    assert.deepEqual(rr, { type: 'route-refresh', afi: 25, safi: 70, subtype: 0 });
    for (const [h, m] of [
      [GOBGP_KEEPALIVE, { type: 'keepalive' }],
      [GOBGP_NOTIFICATION, n],
      [ROUTE_REFRESH, rr],
    ] as const) {
      assert.equal(toHex(encodeBgpMessage(m, AS4)), h);
    }
  });

  it('decodes and re-encodes the RFC 9072 extended optional parameters length', () => {
    const m = decodeBgpMessage(hex(EXT_PARAMS_OPEN), AS4) as OpenMessage;
    assert.equal(m.extendedParameters, true);
    assert.equal(m.holdTime, 180);
    assert.deepEqual(m.optionalParameters, [
      { type: 'capabilities', capabilities: [{ type: 'multiprotocol', afi: 1, safi: 1 }] },
    ]);
    assert.equal(toHex(encodeBgpMessage(m, AS4)), EXT_PARAMS_OPEN);
  });

  it('frames an UPDATE body from bgp-update.ts (End-of-RIB)', () => {
    const b = encodeBgpMessage(endOfRib(AFI_IPV4, SAFI_UNICAST), AS4);
    assert.equal(toHex(b), MARKER + '001702' + '00000000');
    assert.deepEqual(decodeBgpMessage(b, AS4), endOfRib(AFI_IPV4, SAFI_UNICAST));
  });

  it('tshark dissects golden and random messages without malformed or expert errors', () => {
    const stream = new TcpStream(
      '0c:00:00:00:01:01' as Mac,
      '0c:00:00:00:02:01' as Mac,
      '10.0.0.1' as Ipv4Address,
      '10.0.0.2' as Ipv4Address,
      40000,
      BGP_PORT,
    );
    // Not EXT_PARAMS_OPEN: tshark 4.0 predates RFC 9072 and reads 255/255 as classic parameters.
    const golden = [FRR_OPEN, GOBGP_OPEN, GOBGP_KEEPALIVE, GOBGP_NOTIFICATION, ROUTE_REFRESH].map(hex);
    // Values tshark can check (random AFIs, next hops and tunnel types draw expert warnings).
    const every: OpenMessage = {
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 9,
      bgpId: '10.0.0.1' as Ipv4Address,
      optionalParameters: [
        {
          type: 'capabilities',
          capabilities: [
            { type: 'multiprotocol', afi: AFI_L2VPN, safi: SAFI_EVPN },
            { type: 'route-refresh' },
            { type: 'enhanced-route-refresh' },
            { type: 'extended-message' },
            { type: 'four-octet-as', asn: 4200000001 },
            {
              type: 'graceful-restart',
              restartState: true,
              notification: false,
              restartTime: 300,
              families: [{ afi: AFI_L2VPN, safi: SAFI_EVPN, forwardingState: true }],
            },
            { type: 'add-path', families: [{ afi: AFI_IPV4, safi: SAFI_UNICAST, sendReceive: 3 }] },
            { type: 'fqdn', hostname: 'leaf1', domain: 'twinleaf.lab' },
            { type: 'unknown', code: 200, data: hex('0102') },
          ],
        },
      ],
    };
    const random = [
      every,
      ...fc.sample(arbNotificationMessage, { numRuns: 10, seed: 42 }),
      ...fc
        .sample(arbRouteRefreshMessage, { numRuns: 20, seed: 42 })
        .filter((m) => [1, 2, 25].includes(m.afi)),
    ].map((m) => encodeBgpMessage(m, AS4));
    const frames = [...golden, ...random].map((b) => stream.segment(b));
    withPcap(frames, (file) => {
      assert.deepEqual(tsharkProblems(file), []);
      const fields = tsharkFields(file, ['bgp.type', 'bgp.open.myas', 'bgp.cap.4as', 'bgp.cap.mp.afi']);
      assert.deepEqual(fields[0]!['bgp.type'], ['1']);
      assert.deepEqual(fields[0]!['bgp.open.myas'], ['65001']);
      assert.deepEqual(fields[0]!['bgp.cap.mp.afi'], ['1', '25']);
      assert.deepEqual(fields[1]!['bgp.cap.4as'], ['65002']);
      assert.deepEqual(fields[2]!['bgp.type'], ['4']);
      assert.deepEqual(fields[3]!['bgp.type'], ['3']);
      assert.deepEqual(fields[4]!['bgp.type'], ['5']);
      assert.deepEqual(fields[5]!['bgp.cap.4as'], ['4200000001']);
    });
  });
});

// --- Properties --------------------------------------------------------------------------------

function roundTrip(arb: fc.Arbitrary<BgpMessage>, opts: BgpMessageOptions, numRuns = 300): void {
  fc.assert(
    fc.property(arb, (m) => {
      const b = encodeBgpMessage(m, opts);
      const d = decodeBgpMessage(b, opts);
      assert.deepEqual(d, m);
      assert.deepEqual(encodeBgpMessage(d, opts), b);
    }),
    { numRuns },
  );
}

describe('bgp-message round trip', () => {
  it('every message type, 4-octet AS sessions', () => roundTrip(arbBgpMessage(AS4), AS4));
  it('every message type, 2-octet AS sessions', () => roundTrip(arbBgpMessage(AS2), AS2));
  it('extended messages (RFC 8654) beyond 4096 octets', () => roundTrip(arbBgpMessage(EXT), EXT, 100));
  it('OPENs with every capability, unknown params and both parameter encodings', () =>
    roundTrip(arbOpenMessage, AS4, 500));
  it('each capability alone, in classic and extended encodings', () => {
    fc.assert(
      fc.property(arbCapability, fc.boolean(), (c: Capability, extended) => {
        const m: OpenMessage = {
          type: 'open',
          version: 4,
          myAs: 65001,
          holdTime: 90,
          bgpId: '192.0.2.1' as Ipv4Address,
          optionalParameters: [{ type: 'capabilities', capabilities: [c] }],
          ...(extended ? { extendedParameters: true as const } : {}),
        };
        const d = decodeBgpMessage(encodeBgpMessage(m, AS4), AS4);
        assert.deepEqual(d, m);
        assert.deepEqual(openCapabilities(d as OpenMessage), [c]);
      }),
      { numRuns: 500 },
    );
  });
  it('NOTIFICATION and ROUTE-REFRESH', () => {
    roundTrip(arbNotificationMessage, AS4);
    roundTrip(arbRouteRefreshMessage, AS4);
  });
  it('readBgpMessage/writeBgpMessage pack several messages in one buffer', () => {
    fc.assert(
      fc.property(fc.array(arbBgpMessage(AS4), { maxLength: 6 }), (ms) => {
        const w = new Writer(8);
        w.u8(0xa5); // an offset that is not 0
        for (const m of ms) writeBgpMessage(w, m, AS4);
        const buf = w.finish();
        const r = new Reader(buf, 'bgp', 1);
        const out: BgpMessage[] = [];
        while (!r.atEnd) out.push(readBgpMessage(r, AS4));
        assert.deepEqual(out, ms);
      }),
      { numRuns: 100 },
    );
  });
});

// --- Errors ------------------------------------------------------------------------------------

function withByte(b: Uint8Array, at: number, v: number): Uint8Array {
  const c = b.slice();
  c[at] = v;
  return c;
}

function header(length: number, type: number): string {
  return MARKER + length.toString(16).padStart(4, '0') + type.toString(16).padStart(2, '0');
}

describe('bgp-message header errors (RFC 4271 §6.1)', () => {
  it('1/1 Connection Not Synchronized when the marker is not all ones', () => {
    const e = expectNotify(
      () => decodeBgpMessage(withByte(hex(GOBGP_KEEPALIVE), 5, 0xfe), AS4),
      BGP_ERR_MESSAGE_HEADER,
      HEADER_ERR_CONNECTION_NOT_SYNCHRONIZED,
      '',
    );
    assert.equal(e.field, 'header.marker');
  });
  it('1/2 Bad Message Length with the length field as data', () => {
    const cases: [string, string][] = [
      [header(18, 4), '0012'],
      [header(4097, 2) + '00'.repeat(4097 - 19), '1001'],
      [header(20, 4) + '00', '0014'],
      [header(28, 1) + '00'.repeat(9), '001c'],
      [header(20, 3) + '06', '0014'],
      [header(22, 2) + '000000', '0016'],
      [header(22, 5) + '000100', '0016'],
      [header(24, 5) + '0001000100', '0018'],
    ];
    for (const [h, data] of cases) {
      expectNotify(
        () => decodeBgpMessage(hex(h), AS4),
        BGP_ERR_MESSAGE_HEADER,
        HEADER_ERR_BAD_MESSAGE_LENGTH,
        data,
      );
    }
    // Up to 65535 with extended messages, but never for OPEN (RFC 8654 §4).
    const bigOpen = header(5000, 1) + '00'.repeat(5000 - 19);
    expectNotify(
      () => decodeBgpMessage(hex(bigOpen), EXT),
      BGP_ERR_MESSAGE_HEADER,
      HEADER_ERR_BAD_MESSAGE_LENGTH,
      '1388',
    );
  });
  it('1/3 Bad Message Type with the type as data', () => {
    for (const t of [0, 6, 255]) {
      expectNotify(
        () => decodeBgpMessage(hex(header(19, t)), AS4),
        BGP_ERR_MESSAGE_HEADER,
        HEADER_ERR_BAD_MESSAGE_TYPE,
        t.toString(16).padStart(2, '0'),
      );
    }
  });
  it('a buffer shorter or longer than its length', () => {
    const e = expectNotify(
      () => decodeBgpMessage(hex(GOBGP_OPEN).subarray(0, 40), AS4),
      BGP_ERR_MESSAGE_HEADER,
      HEADER_ERR_BAD_MESSAGE_LENGTH,
    );
    assert.equal(e.kind, 'truncated');
    expectNotify(
      () => decodeBgpMessage(hex(GOBGP_KEEPALIVE + '00'), AS4),
      BGP_ERR_MESSAGE_HEADER,
      HEADER_ERR_BAD_MESSAGE_LENGTH,
      '0013',
    );
    expectNotify(
      () => decodeBgpMessage(hex('ffff'), AS4),
      BGP_ERR_MESSAGE_HEADER,
      HEADER_ERR_BAD_MESSAGE_LENGTH,
    );
  });
});

/** A classic OPEN with these fields and raw optional parameters. */
function open(fields: {
  version?: number;
  as?: number;
  hold?: number;
  id?: string;
  params?: string;
}): Uint8Array {
  const params = fields.params ?? '';
  const body =
    (fields.version ?? 4).toString(16).padStart(2, '0') +
    (fields.as ?? 65001).toString(16).padStart(4, '0') +
    (fields.hold ?? 90).toString(16).padStart(4, '0') +
    (fields.id ?? '0a000001') +
    (params.length / 2).toString(16).padStart(2, '0') +
    params;
  return hex(header(19 + body.length / 2, 1) + body);
}

describe('bgp-message OPEN errors (RFC 4271 §6.2)', () => {
  it('2/1 Unsupported Version Number with 4 as data', () => {
    expectNotify(
      () => decodeBgpMessage(open({ version: 3 }), AS4),
      BGP_ERR_OPEN_MESSAGE,
      OPEN_ERR_UNSUPPORTED_VERSION,
      '0004',
    );
  });
  it('2/2 Bad Peer AS for AS 0 (RFC 7607)', () => {
    expectNotify(() => decodeBgpMessage(open({ as: 0 }), AS4), BGP_ERR_OPEN_MESSAGE, OPEN_ERR_BAD_PEER_AS);
    expectNotify(
      () => decodeBgpMessage(open({ params: '02064104' + '00000000' }), AS4),
      BGP_ERR_OPEN_MESSAGE,
      OPEN_ERR_BAD_PEER_AS,
    );
  });
  it('2/3 Bad BGP Identifier for 0.0.0.0', () => {
    expectNotify(
      () => decodeBgpMessage(open({ id: '00000000' }), AS4),
      BGP_ERR_OPEN_MESSAGE,
      OPEN_ERR_BAD_BGP_IDENTIFIER,
    );
  });
  it('2/6 Unacceptable Hold Time for 1 and 2 seconds (0 and 3 are fine)', () => {
    for (const hold of [1, 2]) {
      expectNotify(
        () => decodeBgpMessage(open({ hold }), AS4),
        BGP_ERR_OPEN_MESSAGE,
        OPEN_ERR_UNACCEPTABLE_HOLD_TIME,
      );
    }
    for (const hold of [0, 3])
      assert.equal((decodeBgpMessage(open({ hold }), AS4) as OpenMessage).holdTime, hold);
  });
  it('2/0 for optional parameters or capabilities that do not fit', () => {
    const bad = [
      '0207' + '010400010001', // parameter longer than the OPEN
      '02', // parameter header cut short
      '0206' + '01050001000100'.slice(0, 12), // capability length 5 overruns its parameter
      '0203' + '010400', // capability overruns its parameter
      '0201' + '01', // capability header cut short by its parameter
      '0205' + '0103000100', // multiprotocol of length 3
      '0203' + '020100', // route refresh with a value
      '0205' + '4103000001', // four-octet AS of length 3
      '0205' + '4003000000', // graceful restart of length 3
      '0202' + '4500', // empty ADD-PATH
    ];
    for (const params of bad) {
      const e = expectNotify(
        () => decodeBgpMessage(open({ params }), AS4),
        BGP_ERR_OPEN_MESSAGE,
        OPEN_ERR_UNSPECIFIC,
      );
      assert.equal(e.kind, 'malformed', params);
    }
    // Opt Parm Len larger than what follows.
    const b = open({ params: '0206010400010001' });
    b[28] = 9;
    expectNotify(() => decodeBgpMessage(b, AS4), BGP_ERR_OPEN_MESSAGE, OPEN_ERR_UNSPECIFIC);
    // RFC 9072 encoding whose extended length disagrees with the message.
    const ext = hex(EXT_PARAMS_OPEN);
    ext[31] = 8;
    expectNotify(() => decodeBgpMessage(ext, AS4), BGP_ERR_OPEN_MESSAGE, OPEN_ERR_UNSPECIFIC);
  });
  it('keeps unknown optional parameters (the session answers 2/4) and unparsable ignorable capabilities', () => {
    const m = decodeBgpMessage(
      open({ params: '0103aabbcc' + '0206' + '450400010104' + '0206' + '4904' + '01ff0000' }),
      AS4,
    );
    assert.deepEqual((m as OpenMessage).optionalParameters, [
      { type: 'unknown', code: 1, data: hex('aabbcc') },
      // RFC 7911 §4: Send/Receive 4 → not understood.
      { type: 'capabilities', capabilities: [{ type: 'unknown', code: 69, data: hex('00010104') }] },
      // Invalid UTF-8 hostname.
      { type: 'capabilities', capabilities: [{ type: 'unknown', code: 73, data: hex('01ff0000') }] },
    ]);
  });
});

describe('bgp-message other body errors', () => {
  it('ROUTE-REFRESH BoRR/EoRR of the wrong length → 7/1 with the message as data (RFC 7313 §5)', () => {
    const h = header(24, 5) + '0019014600';
    expectNotify(
      () => decodeBgpMessage(hex(h), AS4),
      BGP_ERR_ROUTE_REFRESH,
      ROUTE_REFRESH_ERR_INVALID_MESSAGE_LENGTH,
      h,
    );
  });
  it('UPDATE body errors come from bgp-update.ts', () => {
    expectNotify(
      () => decodeBgpMessage(hex(header(23, 2) + '00050000'), AS4),
      BGP_ERR_UPDATE_MESSAGE,
      UPDATE_ERR_MALFORMED_ATTRIBUTE_LIST,
    );
  });
});

describe('bgp-message encoder checks', () => {
  const base: OpenMessage = {
    type: 'open',
    version: 4,
    myAs: 65001,
    holdTime: 90,
    bgpId: '10.0.0.1' as Ipv4Address,
    optionalParameters: [],
  };
  function encodeFails(m: BgpMessage, field: string, opts: BgpMessageOptions = AS4): void {
    assert.throws(
      () => encodeBgpMessage(m, opts),
      (e: unknown) => e instanceof WireError && e.kind === 'malformed' && e.field === field,
    );
  }
  it('rejects values that do not fit their fields', () => {
    encodeFails({ ...base, myAs: 70000 }, 'open.myAs');
    encodeFails({ type: 'route-refresh', afi: 1, safi: 256, subtype: 0 }, 'routeRefresh.safi');
    encodeFails({ type: 'notification', code: -1, subcode: 0, data: new Uint8Array(0) }, 'notification.code');
    const caps = (c: Capability): OpenMessage => ({
      ...base,
      optionalParameters: [{ type: 'capabilities', capabilities: [c] }],
    });
    encodeFails(
      caps({
        type: 'graceful-restart',
        restartState: false,
        notification: false,
        restartTime: 4096,
        families: [],
      }),
      'capability.gracefulRestart.restartTime',
    );
    encodeFails(caps({ type: 'unknown', code: 300, data: new Uint8Array(0) }), 'capability.code');
    encodeFails(caps({ type: 'unknown', code: 99, data: new Uint8Array(256) }), 'capability.length');
    encodeFails(caps({ type: 'fqdn', hostname: 'x'.repeat(256), domain: '' }), 'capability.fqdn.hostname');
  });
  it('needs RFC 9072 encoding for more than 255 octets of parameters', () => {
    const big: OpenMessage = {
      ...base,
      optionalParameters: [
        { type: 'unknown', code: 1, data: new Uint8Array(200) },
        { type: 'unknown', code: 1, data: new Uint8Array(200) },
      ],
    };
    encodeFails(big, 'open.optParmLen');
    const ext = { ...big, extendedParameters: true as const };
    assert.deepEqual(decodeBgpMessage(encodeBgpMessage(ext, AS4), AS4), ext);
  });
  it('rejects messages longer than the maximum', () => {
    const m: BgpMessage = { type: 'notification', code: 6, subcode: 0, data: new Uint8Array(5000) };
    encodeFails(m, 'length');
    assert.equal(encodeBgpMessage(m, EXT).length, 5021);
    encodeFails(
      {
        ...base,
        extendedParameters: true,
        optionalParameters: [{ type: 'unknown', code: 1, data: new Uint8Array(5000) }],
      },
      'length',
      EXT,
    );
  });
});

// --- Framing -----------------------------------------------------------------------------------

/** Cuts `b` at the given (sorted, deduplicated) offsets. */
function cut(b: Uint8Array, at: readonly number[]): Uint8Array[] {
  const pts = [...new Set(at.map((x) => x % (b.length + 1)))].sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of [...pts, b.length]) {
    out.push(b.subarray(prev, p));
    prev = p;
  }
  return out;
}

describe('BgpFrameDecoder', () => {
  it('gives back exactly the messages of a randomly chunked stream', () => {
    fc.assert(
      fc.property(
        fc.array(arbBgpMessage(EXT), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (ms, cuts) => {
          const encoded = ms.map((m) => encodeBgpMessage(m, EXT));
          const stream = concatBytes(encoded);
          const d = new BgpFrameDecoder({ extendedMessage: true });
          const out: Uint8Array[] = [];
          for (const chunk of cut(stream, cuts)) out.push(...d.push(chunk));
          assert.equal(d.buffered, 0);
          assert.deepEqual(out, encoded);
          assert.deepEqual(
            out.map((f) => decodeBgpMessage(f, EXT)),
            ms,
          );
        },
      ),
      { numRuns: 200 },
    );
  });
  it('returns zero-copy views for whole messages and counts buffered octets', () => {
    const stream = hex(GOBGP_KEEPALIVE + GOBGP_NOTIFICATION + GOBGP_OPEN);
    const d = new BgpFrameDecoder({ extendedMessage: false });
    const out = d.push(stream.subarray(0, 50));
    assert.equal(out.length, 2);
    assert.equal(out[0]!.buffer, stream.buffer);
    assert.equal(d.buffered, 10);
    assert.equal(d.push(new Uint8Array(0)).length, 0);
    const rest = d.push(stream.subarray(50));
    assert.equal(toHex(rest[0]!), GOBGP_OPEN);
    assert.equal(d.buffered, 0);
  });
  it('rejects a bad marker as soon as it arrives (1/1), and stays failed', () => {
    const d = new BgpFrameDecoder({ extendedMessage: false });
    d.push(hex('ffffff'));
    expectNotify(() => d.push(hex('00')), BGP_ERR_MESSAGE_HEADER, HEADER_ERR_CONNECTION_NOT_SYNCHRONIZED);
    expectNotify(
      () => d.push(hex(GOBGP_KEEPALIVE)),
      BGP_ERR_MESSAGE_HEADER,
      HEADER_ERR_CONNECTION_NOT_SYNCHRONIZED,
    );
  });
  it('rejects a bad length once the header is in, before buffering the body (1/2)', () => {
    const d = new BgpFrameDecoder({ extendedMessage: false });
    d.push(hex(MARKER + '10'));
    expectNotify(() => d.push(hex('0102')), BGP_ERR_MESSAGE_HEADER, HEADER_ERR_BAD_MESSAGE_LENGTH, '1001');
    const e = new BgpFrameDecoder({ extendedMessage: false });
    expectNotify(
      () => e.push(hex(header(12, 4))),
      BGP_ERR_MESSAGE_HEADER,
      HEADER_ERR_BAD_MESSAGE_LENGTH,
      '000c',
    );
    // The same length is fine once extended messages are negotiated.
    const x = new BgpFrameDecoder({ extendedMessage: false });
    x.extendedMessage = true;
    assert.deepEqual(x.push(hex(header(4097, 2))), []);
    assert.equal(x.buffered, 19);
  });
});

// --- Hostile input -----------------------------------------------------------------------------

describe('bgp-message hostile input', () => {
  const goldens = [
    FRR_OPEN,
    GOBGP_OPEN,
    GOBGP_KEEPALIVE,
    GOBGP_NOTIFICATION,
    ROUTE_REFRESH,
    EXT_PARAMS_OPEN,
  ].map(hex);
  it('every truncation of the golden vectors is a WireError', () => {
    for (const b of goldens) {
      for (let n = 0; n < b.length; n++) {
        assert.throws(
          () => decodeBgpMessage(b.subarray(0, n), AS4),
          (e: unknown) => e instanceof BgpWireError,
        );
      }
    }
  });
  it('truncations and mutations of random messages give a value or a WireError', () => {
    fc.assert(
      fc.property(
        arbBgpMessage(AS4),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        fc.boolean(),
        (m, mutations, cutAt, extended) => {
          const b = encodeBgpMessage(m, AS4).slice();
          const opts = { fourOctetAs: extended, extendedMessage: extended };
          for (let n = 0; n < b.length; n += 1 + (cutAt % 7))
            valueOrWireError(() => decodeBgpMessage(b.subarray(0, n), opts));
          // Keep the marker intact on some runs so mutations reach the body.
          for (const [at, v] of mutations) b[(at % (b.length - 16)) + 16] = v;
          valueOrWireError(() => decodeBgpMessage(b, opts));
          valueOrWireError(() => new BgpFrameDecoder({ extendedMessage: extended }).push(b));
        },
      ),
      { numRuns: 300 },
    );
  });
  it('random bytes behind a valid marker give a value or a WireError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (tail) => {
        const b = concatBytes([hex(MARKER), tail]);
        valueOrWireError(() => decodeBgpMessage(b, AS4));
        valueOrWireError(() => new BgpFrameDecoder({ extendedMessage: false }).push(b));
      }),
      { numRuns: 1000 },
    );
  });
});

// --- Names -------------------------------------------------------------------------------------

describe('bgp-message names', () => {
  it('notificationName', () => {
    assert.equal(notificationName(6, 1), 'Cease/Maximum Number of Prefixes Reached');
    assert.equal(notificationName(2, 2), 'OPEN Message Error/Bad Peer AS');
    assert.equal(notificationName(4, 0), 'Hold Timer Expired');
    assert.equal(notificationName(6, 42), 'Cease/subcode 42');
    assert.equal(notificationName(9, 3), 'code 9/subcode 3');
  });
  it('afiSafiName, messageTypeName, capabilityName', () => {
    assert.equal(afiSafiName(1, 1), 'ipv4-unicast');
    assert.equal(afiSafiName(25, 70), 'l2vpn-evpn');
    assert.equal(afiSafiName(3, 5), 'afi 3/safi 5');
    assert.equal(messageTypeName(2), 'UPDATE');
    assert.equal(messageTypeName(5), 'ROUTE-REFRESH');
    assert.equal(messageTypeName(9), 'type 9');
    assert.equal(capabilityName({ type: 'multiprotocol', afi: 25, safi: 70 }), 'multiprotocol l2vpn-evpn');
    assert.equal(capabilityName({ type: 'route-refresh' }), 'route-refresh');
    assert.equal(capabilityName({ type: 'fqdn', hostname: 'leaf1', domain: 'lab' }), 'fqdn leaf1.lab');
    assert.equal(
      capabilityName({ type: 'unknown', code: 71, data: new Uint8Array(0) }),
      'long-lived-graceful-restart',
    );
    assert.equal(capabilityName({ type: 'unknown', code: 200, data: new Uint8Array(0) }), 'capability 200');
  });
  it('openAsn prefers the 4-octet AS capability; openMyAs uses AS_TRANS', () => {
    const m: OpenMessage = {
      type: 'open',
      version: 4,
      myAs: openMyAs(4200000001),
      holdTime: 90,
      bgpId: '10.0.0.1' as Ipv4Address,
      optionalParameters: [
        { type: 'unknown', code: 1, data: new Uint8Array(0) },
        { type: 'capabilities', capabilities: [{ type: 'four-octet-as', asn: 4200000001 }] },
      ],
    };
    assert.equal(m.myAs, AS_TRANS);
    assert.equal(openAsn(m), 4200000001);
    assert.equal(openAsn({ ...m, optionalParameters: [] }), AS_TRANS);
    assert.equal(openMyAs(65001), 65001);
  });
});
