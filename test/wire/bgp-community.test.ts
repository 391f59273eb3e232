import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AddressError, type Asn, type Mac } from '../../src/wire/addr.js';
import { fromHex, Reader, toHex, Writer } from '../../src/wire/bytes.js';
import {
  communityToString,
  COMMUNITY_BLACKHOLE,
  COMMUNITY_GRACEFUL_SHUTDOWN,
  COMMUNITY_NO_ADVERTISE,
  COMMUNITY_NO_EXPORT,
  COMMUNITY_NO_EXPORT_SUBCONFED,
  COMMUNITY_NOPEER,
  decodeExtendedCommunity,
  encodeExtendedCommunity,
  extendedCommunitiesToString,
  extendedCommunityEquals,
  extendedCommunityToBytes,
  extendedCommunityToString,
  isTransitiveExtendedCommunity,
  largeCommunityToString,
  parseCommunity,
  parseLargeCommunity,
  parseRouteTarget,
  readExtendedCommunity,
  wellKnownCommunityName,
  writeExtendedCommunity,
  type ExtendedCommunity,
} from '../../src/wire/bgp-community.js';
import { WireError } from '../../src/wire/errors.js';
import { arbExtendedCommunity, arbLargeCommunity } from './arb-bgp-update.js';

/** [hex, value, FRR display] — FRR strings from bgpd/bgp_ecommunity.c ecommunity_ecom2str. */
const GOLDEN: readonly (readonly [string, ExtendedCommunity, string])[] = [
  [
    '0002fde800000064',
    { kind: 'route-target', format: 'as2', asn: 65000 as Asn, value: 100 },
    'RT:65000:100',
  ],
  [
    '01020a0000010005',
    { kind: 'route-target', format: 'ipv4', address: '10.0.0.1' as never, value: 5 },
    'RT:10.0.0.1:5',
  ],
  [
    '0202fa56ea000064',
    { kind: 'route-target', format: 'as4', asn: 4200000000 as Asn, value: 100 },
    'RT:4200000000:100',
  ],
  ['0003fde800000001', { kind: 'route-origin', format: 'as2', asn: 65000 as Asn, value: 1 }, 'SoO:65000:1'],
  ['030c000000000008', { kind: 'encapsulation', tunnelType: 8 }, 'ET:8'],
  ['030d000000000000', { kind: 'default-gateway' }, 'Default Gateway'],
  ['0600000000000005', { kind: 'mac-mobility', sticky: false, sequence: 5 }, 'MM:5'],
  ['0600010000000005', { kind: 'mac-mobility', sticky: true, sequence: 5 }, 'MM:5, sticky MAC'],
  ['0601000000000064', { kind: 'esi-label', singleActive: false, label: 100 }, 'ESI-label-Rt:AA'],
  ['0601010000012345', { kind: 'esi-label', singleActive: true, label: 0x012345 }, 'ESI-label-Rt:SA'],
  [
    '0602001122334455',
    { kind: 'es-import-route-target', mac: '00:11:22:33:44:55' as Mac },
    'ES-Import-Rt:00:11:22:33:44:55',
  ],
  ['0603001122334455', { kind: 'router-mac', mac: '00:11:22:33:44:55' as Mac }, 'Rmac:00:11:22:33:44:55'],
  [
    '0606010000000064',
    { kind: 'df-election', algorithm: 1, bitmap: 0, preference: 100 },
    'DF: (alg: 1, pref: 100)',
  ],
  [
    '0606024000000064',
    { kind: 'df-election', algorithm: 2, bitmap: 0x4000, preference: 100 },
    'DF: (alg: 2, bmap: 0x4000 pref: 100)',
  ],
  ['4004fde84e6e6b28', { kind: 'unknown', data: fromHex('4004fde84e6e6b28') }, 'UNK:64, 4'],
  ['0604000000000000', { kind: 'unknown', data: fromHex('0604000000000000') }, 'UNK:6, 4'],
];

describe('extended communities', () => {
  it('decodes and formats golden values like FRR', () => {
    for (const [hex, value, text] of GOLDEN) {
      const decoded = decodeExtendedCommunity(fromHex(hex));
      assert.deepEqual(decoded, value, hex);
      assert.equal(extendedCommunityToString(decoded), text, hex);
      assert.equal(toHex(encodeExtendedCommunity(value)), hex, hex);
    }
    assert.equal(
      extendedCommunitiesToString([GOLDEN[0]![1], GOLDEN[4]![1]]),
      'RT:65000:100 ET:8',
      'space-separated like FRR',
    );
  });

  it('round-trips every kind (property)', () => {
    fc.assert(
      fc.property(arbExtendedCommunity, (c) => {
        const b = encodeExtendedCommunity(c);
        assert.equal(b.length, 8);
        assert.deepEqual(decodeExtendedCommunity(b), c);
        assert.deepEqual(encodeExtendedCommunity(decodeExtendedCommunity(b)), b);
      }),
    );
  });

  it('reads and writes through Reader/Writer and at an offset', () => {
    const w = new Writer(16);
    w.u8(0xa5);
    writeExtendedCommunity(w, { kind: 'encapsulation', tunnelType: 8 });
    const r = new Reader(w.finish(), 'bgp', 1);
    assert.deepEqual(readExtendedCommunity(r), { kind: 'encapsulation', tunnelType: 8 });
    assert.ok(r.atEnd);
    // A reused buffer full of stale bytes is fully overwritten.
    const out = new Uint8Array(10).fill(0xa5);
    extendedCommunityToBytes({ kind: 'default-gateway' }, out, 1);
    assert.equal(toHex(out), 'a5030d000000000000a5');
  });

  it('ignores reserved fields on receipt (RFC 7432 §7.7, RFC 9012 §4.1) and writes them as zero', () => {
    const mm = decodeExtendedCommunity(fromHex('0600fefe00000007'));
    assert.deepEqual(mm, { kind: 'mac-mobility', sticky: false, sequence: 7 });
    assert.equal(toHex(encodeExtendedCommunity(mm)), '0600000000000007');
    const et = decodeExtendedCommunity(fromHex('030c123456780008'));
    assert.deepEqual(et, { kind: 'encapsulation', tunnelType: 8 });
    const df = decodeExtendedCommunity(fromHex('0606e10000ff0064'));
    assert.deepEqual(df, { kind: 'df-election', algorithm: 1, bitmap: 0, preference: 100 });
  });

  it('rejects bad lengths and unencodable values with WireError', () => {
    for (const n of [0, 7, 9]) {
      assert.throws(
        () => decodeExtendedCommunity(new Uint8Array(n)),
        (e: unknown) => e instanceof WireError && e.field === 'extendedCommunity',
      );
    }
    assert.throws(
      () => readExtendedCommunity(new Reader(new Uint8Array(5), 'bgp')),
      (e: unknown) => e instanceof WireError && e.kind === 'truncated',
    );
    const bad: ExtendedCommunity[] = [
      { kind: 'route-target', format: 'as2', asn: 70000 as Asn, value: 1 },
      { kind: 'route-target', format: 'as4', asn: 1 as Asn, value: 70000 },
      { kind: 'esi-label', singleActive: false, label: 0x1000000 },
      { kind: 'df-election', algorithm: 32, bitmap: 0, preference: 0 },
      { kind: 'encapsulation', tunnelType: -1 },
      { kind: 'unknown', data: new Uint8Array(7) },
    ];
    for (const c of bad) {
      assert.throws(
        () => encodeExtendedCommunity(c),
        (e: unknown) => e instanceof WireError && e.kind === 'malformed',
        JSON.stringify(c),
      );
    }
  });

  it('never throws anything but WireError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
        try {
          const c = decodeExtendedCommunity(b);
          assert.equal(toHex(encodeExtendedCommunity(c)).length, 16);
        } catch (e) {
          assert.ok(e instanceof WireError);
        }
      }),
    );
  });

  it('tells transitive from non-transitive and compares by octets', () => {
    assert.ok(isTransitiveExtendedCommunity({ kind: 'encapsulation', tunnelType: 8 }));
    assert.ok(!isTransitiveExtendedCommunity({ kind: 'unknown', data: fromHex('4004000000000000') }));
    assert.ok(
      extendedCommunityEquals(
        { kind: 'route-target', format: 'as2', asn: 1 as Asn, value: 2 },
        decodeExtendedCommunity(fromHex('0002000100000002')),
      ),
    );
  });

  it('parses route targets as FRR configuration does', () => {
    assert.deepEqual(parseRouteTarget('65000:100'), {
      kind: 'route-target',
      format: 'as2',
      asn: 65000,
      value: 100,
    });
    assert.deepEqual(parseRouteTarget('RT:4200000000:7'), {
      kind: 'route-target',
      format: 'as4',
      asn: 4200000000,
      value: 7,
    });
    assert.deepEqual(parseRouteTarget('soo 10.0.0.1:3'), {
      kind: 'route-origin',
      format: 'ipv4',
      address: '10.0.0.1',
      value: 3,
    });
    for (const bad of ['', '65000', ':1', '4200000000:70000', '10.0.0.256:1', 'x:1', '1:4294967296'])
      assert.throws(() => parseRouteTarget(bad), AddressError, bad);
    // Text → value → text.
    for (const [, value, text] of GOLDEN.slice(0, 4)) {
      if (value.kind === 'route-target' || value.kind === 'route-origin')
        assert.deepEqual(parseRouteTarget(text), value);
    }
  });
});

describe('standard and large communities', () => {
  it('names well-known communities like IANA and FRR', () => {
    assert.equal(wellKnownCommunityName(COMMUNITY_NO_EXPORT), 'NO_EXPORT');
    assert.equal(wellKnownCommunityName(0xfde80064), undefined);
    const cases: [number, string][] = [
      [COMMUNITY_NO_EXPORT, 'no-export'],
      [COMMUNITY_NO_ADVERTISE, 'no-advertise'],
      [COMMUNITY_NO_EXPORT_SUBCONFED, 'local-AS'],
      [COMMUNITY_NOPEER, 'no-peer'],
      [COMMUNITY_GRACEFUL_SHUTDOWN, 'graceful-shutdown'],
      [COMMUNITY_BLACKHOLE, 'blackhole'],
      [0xfde80064, '65000:100'],
      [0, '0:0'],
      [0xffffffff, '65535:65535'],
    ];
    for (const [c, text] of cases) {
      assert.equal(communityToString(c), text);
      assert.equal(parseCommunity(text), c);
    }
    assert.equal(parseCommunity('NO_EXPORT'), COMMUNITY_NO_EXPORT);
    for (const bad of ['65536:1', '1:65536', 'no_export', '1:2:3', ''])
      assert.throws(() => parseCommunity(bad), AddressError, bad);
  });

  it('formats and parses large communities (RFC 8092 §4)', () => {
    fc.assert(
      fc.property(arbLargeCommunity, (c) => {
        assert.deepEqual(parseLargeCommunity(largeCommunityToString(c)), c);
      }),
    );
    assert.equal(
      largeCommunityToString({ globalAdmin: 4200000001, localData1: 1, localData2: 2 }),
      '4200000001:1:2',
    );
    for (const bad of ['1:2', '4294967296:1:1', 'a:b:c'])
      assert.throws(() => parseLargeCommunity(bad), AddressError, bad);
  });
});
