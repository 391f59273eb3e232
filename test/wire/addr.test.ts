import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AddressError,
  ipv4,
  ipv4FromBytes,
  ipv4ToBytes,
  ipv6,
  ipv6FromBytes,
  ipv6ToBytes,
  isGroupMac,
  isGroupMacNumber,
  mac,
  macFromBytes,
  macFromNumber,
  macNumberFromBytes,
  macToBytes,
  macToNumber,
  type Mac,
} from '../../src/wire/addr.js';
import { fromHex, internetChecksum, Reader, toHex, Writer } from '../../src/wire/bytes.js';
import { WireError } from '../../src/wire/errors.js';

describe('addresses', () => {
  it('canonicalises MACs', () => {
    assert.equal(mac('AA-BB-CC-00-11-22'), 'aa:bb:cc:00:11:22');
    assert.equal(mac('aabbcc001122'), 'aa:bb:cc:00:11:22');
    assert.throws(() => mac('aa:bb:cc:00:11'), AddressError);
    assert.throws(() => mac('aa:bb-cc:00:11:22'), AddressError);
  });

  it('formats IPv6 per RFC 5952', () => {
    assert.equal(ipv6('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(ipv6('2001:db8:0:1:0:0:0:1'), '2001:db8:0:1::1');
    assert.equal(ipv6('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1');
    assert.equal(ipv6('::'), '::');
    assert.equal(ipv6('::ffff:10.0.0.1'), '::ffff:a00:1');
    assert.throws(() => ipv6('1::2::3'), AddressError);
    assert.throws(() => ipv6('1:2:3:4:5:6:7:8:9'), AddressError);
  });

  it('rejects malformed IPv4', () => {
    assert.equal(ipv4('10.0.0.1'), '10.0.0.1');
    for (const bad of ['10.0.0', '10.0.0.256', '01.2.3.4', 'a.b.c.d', ''])
      assert.throws(() => ipv4(bad), AddressError);
  });

  it('round-trips bytes ↔ text for every address family', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
        assert.deepEqual(macToBytes(macFromBytes(b)), b.subarray(0, 6));
        assert.deepEqual(ipv4ToBytes(ipv4FromBytes(b)), b.subarray(0, 4));
        assert.deepEqual(ipv6ToBytes(ipv6FromBytes(b)), b);
        assert.equal(ipv6(ipv6FromBytes(b)), ipv6FromBytes(b));
      }),
    );
  });
});

describe('MACs as 48-bit numbers', () => {
  it('bytes, text and number agree, and round-trip', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 12 }), fc.nat(6), (b, at) => {
        const o = Math.min(at, b.length - 6);
        const text = macFromBytes(b, o);
        const n = macNumberFromBytes(b, o);
        assert.ok(Number.isSafeInteger(n) && n >= 0 && n < 2 ** 48, String(n));
        assert.equal(macToNumber(text), n);
        assert.equal(macFromNumber(n), text);
        assert.equal(macToNumber(text.toUpperCase() as Mac), n);
        assert.equal(isGroupMacNumber(n), isGroupMac(text));
        // The first octet is the most significant: numbers order as the octets do.
        assert.equal(
          n,
          b.subarray(o, o + 6).reduce((acc, x) => acc * 256 + x, 0),
        );
      }),
    );
  });

  it('reads the extremes and the I/G bit', () => {
    assert.equal(macToNumber(mac('ff:ff:ff:ff:ff:ff')), 0xffff_ffff_ffff);
    assert.equal(macToNumber(mac('00:00:00:00:00:00')), 0);
    assert.equal(macToNumber(mac('01:00:5e:00:00:01')), 0x0100_5e00_0001);
    assert.equal(isGroupMacNumber(0x0100_5e00_0001), true);
    assert.equal(isGroupMacNumber(0x0200_0000_0001), false);
    assert.equal(macFromNumber(0x0c00_0000_ff01), '0c:00:00:00:ff:01');
  });

  it('refuses text that is not a colon-separated MAC', () => {
    for (const bad of ['', 'aa:bb:cc:00:11', 'aa-bb-cc-00-11-22', 'aa:bb:cc:00:11:2g', 'aabbcc001122xxxxx'])
      assert.throws(() => macToNumber(bad as Mac), AddressError, bad);
  });
});

describe('bytes', () => {
  it('reader reports truncation with field and absolute offset', () => {
    const r = new Reader(fromHex('0102030405'), 'test', 1, 4);
    assert.equal(r.u16('a'), 0x0203);
    assert.throws(
      () => r.u16('b'),
      (e: unknown) => e instanceof WireError && e.kind === 'truncated' && e.field === 'b' && e.offset === 3,
    );
  });

  it('reader values match writer values for all widths', () => {
    fc.assert(
      fc.property(
        fc.nat(0xff),
        fc.nat(0xffff),
        fc.nat(0xffffff),
        fc.nat({ max: 0xffffffff }),
        (a, b, c, d) => {
          const w = new Writer(1);
          w.u8(a).u16(b).u24(c).u32(d);
          const r = new Reader(w.finish(), 'test');
          assert.deepEqual([r.u8('a'), r.u16('b'), r.u24('c'), r.u32('d')], [a, b, c, d]);
          assert.ok(r.atEnd);
        },
      ),
    );
  });

  it('computes the RFC 1071 example checksum', () => {
    // RFC 1071 §3 example words 0001 f203 f4f5 f6f7 sum to ddf2 → checksum 220d.
    assert.equal(internetChecksum(fromHex('0001f203f4f5f6f7')), 0x220d);
    assert.equal(toHex(fromHex('00ff')), '00ff');
  });
});
