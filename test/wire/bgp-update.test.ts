import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Asn, Ipv4Address } from '../../src/wire/addr.js';
import { concatBytes, fromHex, Reader, toHex, Writer } from '../../src/wire/bytes.js';
import { communityToString, extendedCommunitiesToString } from '../../src/wire/bgp-community.js';
import {
  AS_TRANS,
  asPathLength,
  asPathToString,
  attributeErrorNotification,
  BGP_ATTR_AS_PATH,
  BGP_ATTR_LOCAL_PREF,
  BGP_ATTR_NEXT_HOP,
  BGP_ATTR_ORIGIN,
  canonicalIpv4Prefix,
  decodeIpv4Prefixes,
  decodeUpdateBody,
  encodeIpv4Prefixes,
  encodeUpdateBody,
  endOfRib,
  endOfRibFamily,
  fromTwoOctetAsAttributes,
  getAsPath,
  getAttribute,
  getCommunities,
  getExtendedCommunities,
  getLargeCommunities,
  getMpReach,
  getPmsiTunnel,
  isEndOfRib,
  mergeAs4Path,
  missingWellKnownAttributes,
  readUpdateBody,
  toTwoOctetAsAttributes,
  updateHandling,
  writeUpdateBody,
  rtMembership,
  rtMembershipMatches,
  type AttributeError,
  type BgpCodecOptions,
  type PathAttribute,
  type RtMembership,
  type UpdateMessage,
} from '../../src/wire/bgp-update.js';
import { BgpWireError, WireError, type BgpErrorHandling } from '../../src/wire/errors.js';
import { formatEvpnRoute, formatRd, type EvpnRoute } from '../../src/wire/evpn.js';
import { arbCodecOptions, arbUpdateMessage } from './arb-bgp-update.js';
import { arbEvpnRoute } from './arb-evpn.js';

const AS2: BgpCodecOptions = { fourOctetAs: false };
const AS4: BgpCodecOptions = { fourOctetAs: true };

function hex(s: string): Uint8Array {
  return fromHex(s.replace(/#[^\n]*/g, ''));
}

function decode(b: Uint8Array, opts: BgpCodecOptions = AS4): UpdateMessage {
  return decodeUpdateBody(b, opts);
}

/** An UPDATE body: no withdrawn routes, the given attribute octets, then NLRI octets. */
function body(attrs: string, nlri = '', withdrawn = ''): Uint8Array {
  const a = hex(attrs);
  const w = hex(withdrawn);
  const n = hex(nlri);
  const out = new Writer(64);
  out.u16(w.length).bytes(w).u16(a.length).bytes(a).bytes(n);
  return out.finish();
}

// Well-formed mandatory attributes for a 4-octet session: ORIGIN IGP, AS_PATH [65001], NEXT_HOP 192.0.2.1.
const ORIGIN = '40 01 01 00';
const AS_PATH4 = '40 02 06 02 01 0000fde9';
const NEXT_HOP = '40 03 04 c0000201';
const BASE = `${ORIGIN} ${AS_PATH4} ${NEXT_HOP}`;
const NLRI = '18 0a0101'; // 10.1.1.0/24

function errorsOf(u: UpdateMessage): readonly AttributeError[] {
  return u.errors ?? [];
}

function expectHandling(
  u: UpdateMessage,
  handling: BgpErrorHandling,
  code?: number,
  subcode?: number,
): AttributeError {
  assert.equal(updateHandling(u), handling, JSON.stringify(u.errors?.map((e) => e.reason)));
  const e = errorsOf(u).find((x) => x.handling === handling && (code === undefined || x.code === code));
  assert.ok(e, `no ${handling} error for code ${code}`);
  if (subcode !== undefined) assert.equal(e.subcode, subcode, e.reason);
  if (BGP_SEVERITY[handling] >= 1) assert.equal(u.treatAsWithdraw, true);
  else assert.equal(u.treatAsWithdraw, undefined);
  return e;
}

const BGP_SEVERITY: Record<BgpErrorHandling, number> = {
  'attribute-discard': 0,
  'treat-as-withdraw': 1,
  'afi-safi-disable': 2,
  'session-reset': 3,
};

function expectReset(b: Uint8Array, subcode: number, opts: BgpCodecOptions = AS4): BgpWireError {
  let caught: unknown;
  try {
    decode(b, opts);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof BgpWireError, `expected a BgpWireError, got ${String(caught)}`);
  assert.equal(caught.handling, 'session-reset');
  assert.equal(caught.notify.code, 3);
  assert.equal(caught.notify.subcode, subcode, caught.reason);
  return caught;
}

describe('UPDATE body: properties', () => {
  it('round-trips valid UPDATEs: decode(encode(v)) deep-equals v, no errors recorded', () => {
    fc.assert(
      fc.property(
        arbCodecOptions.chain((opts) => arbUpdateMessage(opts).map((m) => [opts, m] as const)),
        ([opts, m]) => {
          const b = encodeUpdateBody(m, opts);
          const d = decodeUpdateBody(b, opts);
          assert.deepEqual(d, m);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('re-encodes byte-exact: encode(decode(encode(v))) equals encode(v)', () => {
    fc.assert(
      fc.property(
        arbCodecOptions.chain((opts) => arbUpdateMessage(opts).map((m) => [opts, m] as const)),
        ([opts, m]) => {
          const b = encodeUpdateBody(m, opts);
          assert.equal(toHex(encodeUpdateBody(decodeUpdateBody(b, opts), opts)), toHex(b));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips EVPN UPDATEs (every route type from arb-evpn.ts), byte-exact on re-encode', () => {
    fc.assert(
      fc.property(
        arbCodecOptions.chain((opts) =>
          arbUpdateMessage({ ...opts, evpnRoute: arbEvpnRoute }).map((m) => [opts, m] as const),
        ),
        ([opts, m]) => {
          const b = encodeUpdateBody(m, opts);
          const d = decodeUpdateBody(b, opts);
          assert.deepEqual(d, m);
          assert.equal(toHex(encodeUpdateBody(d, opts)), toHex(b));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes at an offset into a writer holding stale bytes, and reads from a window', () => {
    fc.assert(
      fc.property(arbUpdateMessage(AS4), (m) => {
        const w = new Writer(8);
        w.bytes(hex('a5a5a5'));
        writeUpdateBody(w, m, AS4);
        w.bytes(hex('a5a5'));
        const buf = w.finish();
        const r = new Reader(buf, 'bgp', 3, buf.length - 2);
        assert.deepEqual(readUpdateBody(r, AS4), m);
        assert.equal(r.offset, buf.length - 2);
      }),
      { numRuns: 100 },
    );
  });

  it('hostile input: every truncation and random mutations give a value or a WireError', () => {
    const check = (b: Uint8Array, opts: BgpCodecOptions): void => {
      try {
        const d = decodeUpdateBody(b, opts);
        // Whatever decodes re-encodes without throwing anything but WireError.
        try {
          encodeUpdateBody(d, opts);
        } catch (e) {
          assert.ok(e instanceof WireError, `encode threw ${String(e)}`);
        }
      } catch (e) {
        assert.ok(e instanceof WireError, `decode threw ${e instanceof Error ? e.stack : String(e)}`);
      }
    };
    fc.assert(
      fc.property(
        arbCodecOptions.chain((opts) => arbUpdateMessage(opts).map((m) => [opts, m] as const)),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.boolean(),
        ([opts, m], edits, afiSafiDisable) => {
          const b = encodeUpdateBody(m, opts);
          const o = { ...opts, afiSafiDisable, ibgp: edits.length % 2 === 0 };
          for (let n = 0; n < b.length; n++) check(b.subarray(0, n), o);
          const mutated = b.slice();
          for (const [at, v] of edits) if (mutated.length > 0) mutated[at % mutated.length] = v;
          check(mutated, o);
        },
      ),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), arbCodecOptions, (b, opts) => check(b, opts)),
      { numRuns: 1000 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Golden vectors
// ---------------------------------------------------------------------------------------------

/**
 * An IPv4 unicast UPDATE on a 2-octet-AS session (RFC 4271 §4.3, RFC 6793 §4.2.2): two withdrawn
 * routes, ORIGIN, AS_PATH with AS_TRANS standing in for AS 4200000001, NEXT_HOP, MED, COMMUNITIES,
 * AS4_PATH carrying the real path, LARGE_COMMUNITY, and four NLRI including a default route.
 */
const IPV4_UPDATE_AS2 = `
  0008                          # withdrawn routes length
  10 0a01                       # 10.1.0.0/16
  19 c0a80180                   # 192.168.1.128/25
  0042                          # total path attribute length (66)
  40 01 01 00                   # ORIGIN IGP
  40 02 06 02 02 fde8 5ba0      # AS_PATH AS_SEQUENCE 65000 23456 (AS_TRANS)
  40 03 04 c0000201             # NEXT_HOP 192.0.2.1
  80 04 04 0000000a             # MED 10
  c0 08 08 fde80064 ffffff01    # COMMUNITIES 65000:100 NO_EXPORT
  c0 11 0a 02 02 0000fde8 fa56ea01   # AS4_PATH AS_SEQUENCE 65000 4200000001
  c0 20 0c fa56ea01 00000001 00000002 # LARGE_COMMUNITY 4200000001:1:2
  10 0a02                       # 10.2.0.0/16
  18 0a0303                     # 10.3.3.0/24
  00                            # 0.0.0.0/0
  20 0a040404                   # 10.4.4.4/32
`;

/** The same UPDATE on a 4-octet-AS session: AS_PATH carries the real ASNs, no AS4_PATH. */
const IPV4_UPDATE_AS4 = `
  0008 10 0a01 19 c0a80180
  0039
  40 01 01 00
  40 02 0a 02 02 0000fde8 fa56ea01   # AS_PATH AS_SEQUENCE 65000 4200000001 (4-octet)
  40 03 04 c0000201
  80 04 04 0000000a
  c0 08 08 fde80064 ffffff01
  c0 20 0c fa56ea01 00000001 00000002
  10 0a02 18 0a0303 00 20 0a040404
`;

/**
 * EVPN Type-2 UPDATE as FRR builds it (bgpd/bgp_attr.c bgp_packet_attribute): MP_REACH_NLRI first
 * with the Extended Length flag always set, ORIGIN, AS_PATH also always extended-length (0x50),
 * EXTENDED_COMMUNITIES sorted (RT:65000:100, ET:8). Next hop 10.0.0.1 (4 octets), one MAC-only
 * Type-2 route: RD 10.0.0.1:2, ESI 0, tag 0, MAC 00:11:22:33:44:55, label = VNI 100 (RFC 8365 §5.1.2).
 */
const EVPN_TYPE2_UPDATE = `
  0000 0051
  90 0e 002c                    # MP_REACH_NLRI, extended length, 44 octets
     0019 46                    # AFI 25 (L2VPN) SAFI 70 (EVPN)
     04 0a000001 00             # next hop 10.0.0.1, reserved
     02 21                      # route type 2, length 33
        00010a0000010002        # RD type 1 10.0.0.1:2
        00000000000000000000    # ESI 0
        00000000                # Ethernet tag 0
        30 001122334455         # MAC length 48, MAC
        00                      # IP length 0
        000064                  # MPLS label 1 = VNI 100
  40 01 01 00                   # ORIGIN IGP
  50 02 0006 02 01 0000fde9     # AS_PATH (extended length) AS_SEQUENCE 65001
  c0 10 10 0002fde800000064 030c000000000008   # EXT_COMMUNITIES RT:65000:100 ET:8
`;

/** EVPN Type-3 (inclusive multicast) with PMSI_TUNNEL: ingress replication, label = VNI 100, endpoint 10.0.0.1. */
const EVPN_TYPE3_UPDATE = `
  0000 004d
  90 0e 001c 0019 46 04 0a000001 00
     03 11 00010a0000010002 00000000 20 0a000001   # type 3: RD, tag 0, IPv4 originating router
  40 01 01 00
  50 02 0006 02 01 0000fde9
  c0 10 10 0002fde800000064 030c000000000008
  c0 16 09 00 06 000064 0a000001                   # PMSI_TUNNEL: flags 0, type 6 (IR), VNI 100, 10.0.0.1
`;

describe('UPDATE body: golden vectors', () => {
  it('IPv4 unicast UPDATE, 2-octet AS session with AS4_PATH', () => {
    const b = hex(IPV4_UPDATE_AS2);
    const u = decode(b, AS2);
    assert.equal(u.errors, undefined);
    assert.deepEqual(u.withdrawn, [
      { prefix: '10.1.0.0', length: 16 },
      { prefix: '192.168.1.128', length: 25 },
    ]);
    assert.deepEqual(u.nlri, [
      { prefix: '10.2.0.0', length: 16 },
      { prefix: '10.3.3.0', length: 24 },
      { prefix: '0.0.0.0', length: 0 },
      { prefix: '10.4.4.4', length: 32 },
    ]);
    assert.deepEqual(
      u.attributes.map((a) => a.type),
      ['origin', 'as-path', 'next-hop', 'med', 'communities', 'as4-path', 'large-communities'],
    );
    assert.equal(getAttribute(u, 'origin')?.origin, 'igp');
    assert.equal(asPathToString(getAsPath(u) ?? []), '65000 23456');
    assert.equal(getAttribute(u, 'next-hop')?.nextHop, '192.0.2.1');
    assert.equal(getAttribute(u, 'med')?.med, 10);
    assert.deepEqual(getCommunities(u).map(communityToString), ['65000:100', 'no-export']);
    assert.deepEqual(getAttribute(u, 'as4-path')?.segments, [
      { kind: 'sequence', asns: [65000, 4200000001] },
    ]);
    assert.deepEqual(getLargeCommunities(u), [{ globalAdmin: 4200000001, localData1: 1, localData2: 2 }]);
    assert.equal(toHex(encodeUpdateBody(u, AS2)), toHex(b));
  });

  it('IPv4 unicast UPDATE, 4-octet AS session, and the RFC 6793 conversions between the two', () => {
    const b4 = hex(IPV4_UPDATE_AS4);
    const u4 = decode(b4, AS4);
    assert.equal(u4.errors, undefined);
    assert.equal(asPathToString(getAsPath(u4) ?? []), '65000 4200000001');
    assert.equal(toHex(encodeUpdateBody(u4, AS4)), toHex(b4));
    // NEW → OLD (§4.2.2) produces exactly the 2-octet UPDATE …
    const down = { ...u4, attributes: toTwoOctetAsAttributes(u4.attributes) };
    assert.equal(toHex(encodeUpdateBody(down, AS2)), toHex(hex(IPV4_UPDATE_AS2)));
    // … and OLD → NEW (§4.2.3) reconstructs the 4-octet path.
    const u2 = decode(hex(IPV4_UPDATE_AS2), AS2);
    assert.deepEqual({ ...u2, attributes: fromTwoOctetAsAttributes(u2.attributes) }, u4);
    // The 4-octet AS_PATH cannot go on a 2-octet session as is.
    assert.throws(
      () => encodeUpdateBody(u4, AS2),
      (e: unknown) => e instanceof WireError && e.kind === 'malformed' && e.field === 'as-path.asns',
    );
  });

  it('EVPN Type-2 UPDATE as FRR sends it', () => {
    const b = hex(EVPN_TYPE2_UPDATE);
    const u = decode(b, AS4);
    assert.equal(u.errors, undefined);
    assert.deepEqual(
      u.attributes.map((a) => a.type),
      ['mp-reach-nlri', 'origin', 'as-path', 'extended-communities'],
    );
    const mp = getMpReach(u)!;
    assert.equal(mp.flags, 0x90, 'FRR sets Extended Length on MP_REACH_NLRI; kept for byte-exact re-encode');
    assert.equal(mp.afi, 25);
    assert.equal(mp.safi, 70);
    assert.deepEqual(mp.nextHop, { kind: 'ip', address: '10.0.0.1' });
    assert.equal(mp.nlri.kind, 'evpn');
    const routes = mp.nlri.kind === 'evpn' ? mp.nlri.routes : [];
    assert.equal(routes.length, 1);
    assert.deepEqual(routes[0], {
      type: 'mac-ip',
      routeType: 2,
      rd: { type: 1, ip: '10.0.0.1', assigned: 2 },
      esi: '00:00:00:00:00:00:00:00:00:00',
      ethernetTag: 0,
      mac: '00:11:22:33:44:55',
      label1: 100,
    });
    assert.equal(formatEvpnRoute(routes[0] as EvpnRoute), '[2]:[0]:[48]:[00:11:22:33:44:55]');
    assert.equal(getAttribute(u, 'as-path')?.flags, 0x50);
    assert.equal(extendedCommunitiesToString(getExtendedCommunities(u)), 'RT:65000:100 ET:8');
    assert.equal(toHex(encodeUpdateBody(u, AS4)), toHex(b));
  });

  it('EVPN Type-3 UPDATE with PMSI_TUNNEL (ingress replication, VNI as label)', () => {
    const b = hex(EVPN_TYPE3_UPDATE);
    const u = decode(b, AS4);
    assert.equal(u.errors, undefined);
    const mp = getMpReach(u)!;
    assert.equal(mp.nlri.kind === 'evpn' ? mp.nlri.routes.length : -1, 1);
    const route = mp.nlri.kind === 'evpn' ? (mp.nlri.routes[0] as EvpnRoute) : undefined;
    assert.deepEqual(route, {
      type: 'inclusive-multicast',
      routeType: 3,
      rd: { type: 1, ip: '10.0.0.1', assigned: 2 },
      ethernetTag: 0,
      originator: '10.0.0.1',
    });
    assert.equal(formatEvpnRoute(route!), '[3]:[0]:[32]:[10.0.0.1]');
    if (route?.type === 'inclusive-multicast') assert.equal(formatRd(route.rd), '10.0.0.1:2');
    assert.deepEqual(getPmsiTunnel(u), {
      type: 'pmsi-tunnel',
      tunnelFlags: 0,
      tunnelType: 6,
      label: 100,
      tunnelId: '10.0.0.1',
    });
    assert.equal(toHex(encodeUpdateBody(u, AS4)), toHex(b));
  });

  it('the EVPN goldens frame correctly even before evpn.ts exists (raw view of their attributes)', () => {
    // Same bytes with the family changed to an unparsed one (AFI 25 SAFI 71): NLRI stay raw.
    for (const g of [EVPN_TYPE2_UPDATE, EVPN_TYPE3_UPDATE]) {
      const b = hex(g);
      const i = toHex(b).indexOf('001946');
      const m = b.slice();
      m[i / 2 + 2] = 71;
      const u = decode(m, AS4);
      assert.equal(u.errors, undefined);
      const mp = getMpReach(u)!;
      assert.equal(mp.nlri.kind, 'raw');
      assert.equal(toHex(encodeUpdateBody(u, AS4)), toHex(m));
    }
  });

  it('End-of-RIB markers (RFC 4724 §2)', () => {
    assert.equal(toHex(encodeUpdateBody(endOfRib(1, 1), AS4)), '00000000');
    assert.equal(toHex(encodeUpdateBody(endOfRib(25, 70), AS4)), '0000' + '0006' + '800f03001946');
    for (const [afi, safi] of [
      [1, 1],
      [25, 70],
      [2, 1],
    ] as const) {
      const u = decode(encodeUpdateBody(endOfRib(afi, safi), AS4));
      assert.ok(isEndOfRib(u));
      assert.deepEqual(endOfRibFamily(u), { afi, safi });
    }
    assert.ok(!isEndOfRib(decode(body(BASE, NLRI))));
    assert.ok(!isEndOfRib(decode(body('', '', NLRI))));
    assert.ok(!isEndOfRib(decode(body('800f07 0001 01 180a0101'))));
  });
});

// ---------------------------------------------------------------------------------------------
// Prefixes
// ---------------------------------------------------------------------------------------------

describe('IPv4 prefixes', () => {
  it('keep host bits on decode, zero them on encode (canonical form)', () => {
    const b = hex('19 c0a801ff 00 1f 0a0000ff');
    const list = decodeIpv4Prefixes(b);
    assert.deepEqual(list, [
      { prefix: '192.168.1.255', length: 25 },
      { prefix: '0.0.0.0', length: 0 },
      { prefix: '10.0.0.255', length: 31 },
    ]);
    assert.equal(toHex(encodeIpv4Prefixes(list)), '19c0a80180' + '00' + '1f0a0000fe');
    assert.deepEqual(list.map(canonicalIpv4Prefix), [
      { prefix: '192.168.1.128', length: 25 },
      { prefix: '0.0.0.0', length: 0 },
      { prefix: '10.0.0.254', length: 31 },
    ]);
    // A host-bits prefix given to the encoder: octets beyond the length are never written.
    assert.equal(toHex(encodeIpv4Prefixes([{ prefix: '10.1.2.3' as Ipv4Address, length: 8 }])), '080a');
  });

  it('reject length > 32 and prefixes running past the field', () => {
    for (const bad of ['21 0a000000 00', '18 0a01']) {
      assert.throws(
        () => decodeIpv4Prefixes(hex(bad)),
        (e: unknown) => e instanceof WireError && e.kind === 'malformed',
      );
    }
    for (const p of [
      { prefix: '10.0.0.0', length: 33 },
      { prefix: '10.0.0.0', length: -1 },
      { prefix: '10.0.0', length: 8 },
      { prefix: '10.0.0.256', length: 8 },
    ]) {
      assert.throws(
        () => encodeIpv4Prefixes([p as never]),
        (e: unknown) => e instanceof WireError && e.kind === 'malformed',
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------
// RFC 7606 error handling, rule by rule
// ---------------------------------------------------------------------------------------------

describe('RFC 7606: UPDATE-level errors that reset the session', () => {
  it('body shorter than the two length fields → 3/1', () => {
    expectReset(hex('0000'), 1);
  });

  it('withdrawn routes length overruns the message (RFC 4271 §6.3) → 3/1', () => {
    expectReset(hex('0005 18 0a0101 0000'), 1);
  });

  it('total path attribute length overruns the message → 3/1', () => {
    expectReset(hex('0000 0010 40010100'), 1);
  });

  it('NLRI field: prefix length > 32 or overrunning prefix (§5.3) → 3/10 Invalid Network Field', () => {
    expectReset(body(BASE, '21 0a010101 01'), 10);
    expectReset(body(BASE, '18 0a01'), 10);
    expectReset(body('', '', '21 0a010101 01'), 10);
  });

  it('unrecognized well-known attribute (RFC 4271 §6.3) → 3/2 with the attribute as data', () => {
    const e = expectReset(body(`${BASE} 40 63 02 abcd`, NLRI), 2);
    assert.equal(toHex(e.notify.data), '406302abcd');
  });

  it('MP_REACH_NLRI or MP_UNREACH_NLRI twice (§3 g) → 3/1', () => {
    const unreach = '80 0f 03 0019 46';
    expectReset(body(`${unreach} ${unreach}`), 1);
    const reach = '80 0e 09 0001 01 04 c0000201 00';
    expectReset(body(`${BASE} ${reach} ${reach}`), 1);
  });

  it('MP_REACH_NLRI running past the attribute section (§4 exception: its NLRI cannot be located) → 3/1', () => {
    const b = body(`${BASE} 80 0e 09 0001 01 04 c0000201 00`);
    expectReset(b.subarray(0, b.length - 1), 1);
  });
});

describe('RFC 7606: attribute errors handled in the value', () => {
  it('§4: fewer octets than an attribute header left → treat-as-withdraw, NLRI still parsed', () => {
    const u = decode(body(`${BASE} c0 08`, NLRI));
    expectHandling(u, 'treat-as-withdraw', 8, 1);
    assert.deepEqual(u.nlri, [{ prefix: '10.1.1.0', length: 24 }]);
  });

  it('§4: last attribute overruns the attribute section → treat-as-withdraw, NLRI still parsed', () => {
    // COMMUNITIES says 8 octets but the section ends after 4; NLRI located by Total Attribute Length.
    const u = decode(body(`${BASE} c0 08 08 fde80064`, NLRI));
    expectHandling(u, 'treat-as-withdraw', 8, 1);
    assert.deepEqual(u.nlri, [{ prefix: '10.1.1.0', length: 24 }]);
    assert.equal(u.attributes.length, 3);
  });

  it('§3 g: a duplicate attribute is discarded, the first kept', () => {
    const u = decode(body(`${BASE} 80 04 04 00000001 80 04 04 00000002`, NLRI));
    expectHandling(u, 'attribute-discard', 4);
    assert.equal(getAttribute(u, 'med')?.med, 1);
    assert.equal(u.attributes.filter((a) => a.type === 'med').length, 1);
  });

  it('§3 c: Optional/Transitive flags in conflict with the type → treat-as-withdraw (3/4), value kept', () => {
    // ORIGIN marked optional; COMMUNITIES marked well-known; MP_UNREACH marked transitive.
    const u = decode(body(`c0 01 01 00 ${AS_PATH4} ${NEXT_HOP}`, NLRI));
    const e = expectHandling(u, 'treat-as-withdraw', 1, 4);
    assert.equal(toHex(e.data), 'c0010100', 'RFC 4271 §6.3: data is the erroneous attribute');
    assert.equal(getAttribute(u, 'origin')?.flags, 0xc0);
    expectHandling(decode(body(`${BASE} 40 08 04 fde80064`, NLRI)), 'treat-as-withdraw', 8, 4);
    const mp = decode(body('c0 0f 07 0001 01 18 0a0101'));
    expectHandling(mp, 'treat-as-withdraw', 15, 4);
    assert.deepEqual(getAttribute(mp, 'mp-unreach-nlri')?.nlri, {
      kind: 'ipv4',
      prefixes: [{ prefix: '10.1.1.0', length: 24 }],
    });
  });

  it('Partial bit: an error on well-known / optional non-transitive, fine on optional transitive', () => {
    expectHandling(decode(body(`60 01 01 00 ${AS_PATH4} ${NEXT_HOP}`, NLRI)), 'treat-as-withdraw', 1, 4);
    expectHandling(decode(body(`${BASE} a0 04 04 00000001`, NLRI)), 'treat-as-withdraw', 4, 4);
    const u = decode(body(`${BASE} e0 08 04 fde80064`, NLRI));
    assert.equal(u.errors, undefined);
    assert.equal(getAttribute(u, 'communities')?.flags, 0xe0);
  });

  it('unused low flag bits are ignored but kept; Extended Length on a short value is kept', () => {
    const b = body(`41 01 01 00 50 02 0006 02 01 0000fde9 ${NEXT_HOP}`, NLRI);
    const u = decode(b);
    assert.equal(u.errors, undefined);
    assert.equal(getAttribute(u, 'origin')?.flags, 0x41);
    assert.equal(getAttribute(u, 'as-path')?.flags, 0x50);
    assert.equal(toHex(encodeUpdateBody(u, AS4)), toHex(b));
  });

  it('§3 d: missing well-known attributes → treat-as-withdraw (3/3, data = type code)', () => {
    const u = decode(body(`${ORIGIN} ${NEXT_HOP}`, NLRI));
    const e = expectHandling(u, 'treat-as-withdraw', BGP_ATTR_AS_PATH, 3);
    assert.equal(toHex(e.data), '02');
    assert.deepEqual(attributeErrorNotification(e), { code: 3, subcode: 3, data: Uint8Array.of(2) });
    assert.deepEqual(missingWellKnownAttributes(u, { ibgp: false }), [BGP_ATTR_AS_PATH]);
    // NEXT_HOP only when the NLRI field is used (RFC 4760 §3).
    const noNh = decode(body(`${ORIGIN} ${AS_PATH4}`, NLRI));
    expectHandling(noNh, 'treat-as-withdraw', BGP_ATTR_NEXT_HOP, 3);
    const mpOnly = decode(body(`80 0e 09 0001 01 04 c0000201 00 ${ORIGIN} ${AS_PATH4}`));
    assert.equal(mpOnly.errors, undefined);
    assert.deepEqual(missingWellKnownAttributes(mpOnly, { ibgp: false }), []);
    // LOCAL_PREF on iBGP.
    const ibgp = decodeUpdateBody(body(BASE, NLRI), { fourOctetAs: true, ibgp: true });
    expectHandling(ibgp, 'treat-as-withdraw', BGP_ATTR_LOCAL_PREF, 3);
    assert.deepEqual(missingWellKnownAttributes(ibgp, { ibgp: true }), [BGP_ATTR_LOCAL_PREF]);
    // A withdraw-only UPDATE needs no attributes.
    assert.equal(decode(body('', '', NLRI)).errors, undefined);
    assert.deepEqual(missingWellKnownAttributes(decode(body(BASE)), { ibgp: true }), []);
    assert.deepEqual(
      missingWellKnownAttributes(
        { attributes: [], nlri: [{ prefix: '10.0.0.0' as Ipv4Address, length: 8 }] },
        { ibgp: true },
      ),
      [BGP_ATTR_ORIGIN, BGP_ATTR_AS_PATH, BGP_ATTR_NEXT_HOP, BGP_ATTR_LOCAL_PREF],
    );
  });

  it('§7.1 ORIGIN: bad length (3/5) or undefined value (3/6) → treat-as-withdraw', () => {
    expectHandling(decode(body(`40 01 02 0000 ${AS_PATH4} ${NEXT_HOP}`, NLRI)), 'treat-as-withdraw', 1, 5);
    const u = decode(body(`40 01 01 03 ${AS_PATH4} ${NEXT_HOP}`, NLRI));
    expectHandling(u, 'treat-as-withdraw', 1, 6);
    assert.equal(getAttribute(u, 'origin'), undefined);
  });

  it('§7.2 AS_PATH: unknown segment type, zero count, overrun, one octet left, AS 0 → treat-as-withdraw (3/11)', () => {
    for (const asPath of [
      '40 02 06 05 01 0000fde9',
      '40 02 02 02 00',
      '40 02 06 02 02 0000fde9',
      '40 02 07 02 01 0000fde9 02',
      '40 02 06 02 01 00000000',
    ]) {
      const u = decode(body(`${ORIGIN} ${asPath} ${NEXT_HOP}`, NLRI));
      const e = expectHandling(u, 'treat-as-withdraw', 2, 11);
      assert.equal(e.data.length, 0, 'RFC 4271 §6.3: Malformed AS_PATH carries no data');
    }
    // A 2-octet path read on a 4-octet session is malformed, not misread.
    expectHandling(
      decode(body(`${ORIGIN} 40 02 04 02 01 fde9 ${NEXT_HOP}`, NLRI)),
      'treat-as-withdraw',
      2,
      11,
    );
    // An empty AS_PATH (iBGP) is fine.
    assert.equal(decode(body(`${ORIGIN} 40 02 00 ${NEXT_HOP}`, NLRI)).errors, undefined);
  });

  it('§7.3 NEXT_HOP length ≠ 4 → treat-as-withdraw', () => {
    expectHandling(
      decode(body(`${ORIGIN} ${AS_PATH4} 40 03 05 c000020100`, NLRI)),
      'treat-as-withdraw',
      3,
      5,
    );
  });

  it('§7.4 MULTI_EXIT_DISC length ≠ 4 → treat-as-withdraw', () => {
    expectHandling(decode(body(`${BASE} 80 04 03 000001`, NLRI)), 'treat-as-withdraw', 4, 5);
  });

  it('§7.5 LOCAL_PREF: from an external peer → attribute-discard; bad length from internal → treat-as-withdraw', () => {
    const lp = '40 05 04 00000064';
    const ebgp = decodeUpdateBody(body(`${BASE} ${lp}`, NLRI), { fourOctetAs: true, ibgp: false });
    expectHandling(ebgp, 'attribute-discard', 5);
    assert.equal(getAttribute(ebgp, 'local-pref'), undefined);
    const ibgp = decodeUpdateBody(body(`${BASE} ${lp}`, NLRI), { fourOctetAs: true, ibgp: true });
    assert.equal(ibgp.errors, undefined);
    assert.equal(getAttribute(ibgp, 'local-pref')?.localPref, 100);
    expectHandling(
      decodeUpdateBody(body(`${BASE} 40 05 02 0064`, NLRI), { fourOctetAs: true, ibgp: true }),
      'treat-as-withdraw',
      5,
      5,
    );
  });

  it('§7.6 ATOMIC_AGGREGATE length ≠ 0 → attribute-discard', () => {
    const u = decode(body(`${BASE} 40 06 01 00`, NLRI));
    expectHandling(u, 'attribute-discard', 6, 5);
    assert.equal(getAttribute(u, 'atomic-aggregate'), undefined);
  });

  it('§7.7 AGGREGATOR: length not 6/8 by session, or AS 0 (RFC 7607) → attribute-discard', () => {
    const agg4 = 'c0 07 08 0000fde8 0a000001';
    assert.equal(getAttribute(decode(body(`${BASE} ${agg4}`, NLRI)), 'aggregator')?.asn, 65000);
    expectHandling(decode(body(`${BASE} c0 07 06 fde8 0a000001`, NLRI)), 'attribute-discard', 7, 5);
    const as2 = `${ORIGIN} 40 02 04 02 01 fde9 ${NEXT_HOP}`;
    assert.equal(
      getAttribute(decode(body(`${as2} c0 07 06 fde8 0a000001`, NLRI), AS2), 'aggregator')?.asn,
      65000,
    );
    expectHandling(decode(body(`${as2} ${agg4}`, NLRI), AS2), 'attribute-discard', 7, 5);
    expectHandling(decode(body(`${BASE} c0 07 08 00000000 0a000001`, NLRI)), 'attribute-discard', 7);
  });

  it('§7.8 COMMUNITIES length not a non-zero multiple of 4 → treat-as-withdraw', () => {
    expectHandling(decode(body(`${BASE} c0 08 00`, NLRI)), 'treat-as-withdraw', 8, 5);
    expectHandling(decode(body(`${BASE} c0 08 06 fde80064 0001`, NLRI)), 'treat-as-withdraw', 8, 5);
  });

  it('§7.9 ORIGINATOR_ID length ≠ 4, §7.10 CLUSTER_LIST not a non-zero multiple of 4 → treat-as-withdraw', () => {
    expectHandling(decode(body(`${BASE} 80 09 05 0a00000100`, NLRI)), 'treat-as-withdraw', 9, 5);
    expectHandling(decode(body(`${BASE} 80 0a 06 0a0000010000`, NLRI)), 'treat-as-withdraw', 10, 5);
    const ok = decode(body(`${BASE} 80 09 04 0a000001 80 0a 08 0a000001 0a000002`, NLRI));
    assert.equal(ok.errors, undefined);
    assert.deepEqual(getAttribute(ok, 'cluster-list')?.clusterIds, ['10.0.0.1', '10.0.0.2']);
  });

  it('§7.11 MP_REACH_NLRI: next hop length wrong for the family → session reset (3/9) or AFI/SAFI disable', () => {
    // EVPN with a 5-octet next hop.
    const b = body(`80 0e 0a 0019 46 05 0a00000100 00 ${ORIGIN} ${AS_PATH4}`);
    const e = expectReset(b, 9);
    assert.equal(toHex(e.notify.data), '800e0a0019460' + '50a0000010000', 'data: the attribute');
    const u = decodeUpdateBody(b, { fourOctetAs: true, afiSafiDisable: true });
    const err = expectHandling(u, 'afi-safi-disable', 14, 9);
    assert.equal(err.afi, 25);
    assert.equal(err.safi, 70);
    assert.equal(toHex(encodeUpdateBody(u, AS4)), toHex(b), 'kept raw, re-encodes exact');
    // Next hop running past the attribute.
    expectReset(body(`80 0e 06 0001 01 10 0a00 ${ORIGIN} ${AS_PATH4}`), 9);
    // Too short to hold AFI/SAFI/next-hop length/reserved: nothing can be located → reset even in disable mode.
    expectReset(body(`80 0e 03 0001 01 ${ORIGIN} ${AS_PATH4}`), 9, {
      fourOctetAs: true,
      afiSafiDisable: true,
    });
  });

  it('§7.11 / §5.3 MP_REACH_NLRI: NLRI that cannot be parsed → session reset or AFI/SAFI disable', () => {
    const b = body(`80 0e 0c 0001 01 04 c0000201 00 21 0a01 ${ORIGIN} ${AS_PATH4}`);
    expectReset(b, 9);
    const u = decodeUpdateBody(b, { fourOctetAs: true, afiSafiDisable: true });
    const e = expectHandling(u, 'afi-safi-disable', 14, 9);
    assert.deepEqual([e.afi, e.safi], [1, 1]);
    assert.deepEqual(getMpReach(u)?.nlri, { kind: 'raw', data: hex('21 0a01') });
    assert.equal(toHex(encodeUpdateBody(u, AS4)), toHex(b));
  });

  it('RFC 4684 route target membership (AFI 1 / SAFI 132): decoded, and a bad length → session reset or AFI/SAFI disable', () => {
    // Default membership, then AS 65001 + RT 65000:10100 (2-octet AS, route target), then AS only.
    const ok = body(
      `80 0e 1c 0001 84 04 0a000001 00 00 60 0000fde9 0002fde800002774 20 0000fde9 ${ORIGIN} ${AS_PATH4}`,
    );
    const reach = getMpReach(decode(ok));
    assert.deepEqual(reach?.nlri, {
      kind: 'rtc',
      memberships: [
        { prefixLength: 0, originAs: 0, routeTarget: new Uint8Array(8) },
        { prefixLength: 96, originAs: 65001, routeTarget: hex('0002fde800002774') },
        { prefixLength: 32, originAs: 65001, routeTarget: new Uint8Array(8) },
      ],
    });
    assert.equal(toHex(encodeUpdateBody(decode(ok), AS4)), toHex(ok), 're-encodes byte-exact');
    // RFC 4684 §4: 1..31 bits would cut the origin AS; over 96 is longer than the NLRI.
    for (const bad of ['08 fd', '61 0000fde9 0002fde80000277400'] as const) {
      const b = body(
        `80 0e ${(9 + hex(bad).length).toString(16).padStart(2, '0')} 0001 84 04 0a000001 00 ${bad} ${ORIGIN} ${AS_PATH4}`,
      );
      expectReset(b, 9);
      const u = decodeUpdateBody(b, { fourOctetAs: true, afiSafiDisable: true });
      const e = expectHandling(u, 'afi-safi-disable', 14, 9);
      assert.deepEqual([e.afi, e.safi], [1, 132]);
    }
    // A membership running past the attribute.
    expectReset(body(`80 0e 0f 0001 84 04 0a000001 00 60 0000fde9 ${ORIGIN} ${AS_PATH4}`), 9);
  });

  it('RFC 4684 memberships: encoding zeroes the bits past the prefix and rejects impossible ones', () => {
    const attr = (m: RtMembership): PathAttribute => ({
      type: 'mp-unreach-nlri',
      afi: 1,
      safi: 132,
      nlri: { kind: 'rtc', memberships: [m] },
    });
    const update = (m: RtMembership): UpdateMessage => ({
      type: 'update',
      withdrawn: [],
      attributes: [attr(m)],
      nlri: [],
    });
    const partial = { prefixLength: 44, originAs: 65001, routeTarget: hex('00ffffffffffffff') };
    // 44 bits: the AS (4 octets) and 12 bits of the target, the last 4 of them cleared.
    assert.equal(toHex(encodeUpdateBody(update(partial), AS4)), '0000000d800f0a000184' + '2c0000fde900f0');
    for (const bad of [
      { prefixLength: 16, originAs: 1, routeTarget: new Uint8Array(8) },
      { prefixLength: 97, originAs: 1, routeTarget: new Uint8Array(8) },
      { prefixLength: 96, originAs: 1, routeTarget: new Uint8Array(7) },
      { prefixLength: 96, originAs: 2 ** 32, routeTarget: new Uint8Array(8) },
    ])
      assert.throws(() => encodeUpdateBody(update(bad), AS4), WireError, JSON.stringify(bad.prefixLength));
  });

  it('RFC 4684 §4: a membership matches route targets on its route-target bits only', () => {
    const rt = hex('0002fde800002774'); // RT 65000:10100
    const other = hex('0002fde800002775'); // RT 65000:10101
    assert.ok(rtMembershipMatches(rtMembership(0, undefined), rt), 'the default matches everything');
    assert.ok(rtMembershipMatches({ prefixLength: 32, originAs: 7, routeTarget: new Uint8Array(8) }, rt));
    assert.ok(rtMembershipMatches(rtMembership(7, rt), rt), 'the origin AS is not compared');
    assert.ok(!rtMembershipMatches(rtMembership(7, rt), other));
    // 63 bits of the target: the last bit is free, so 10100 (…74) and 10101 (…75) both match.
    const prefix = { prefixLength: 95, originAs: 7, routeTarget: rt };
    assert.ok(rtMembershipMatches(prefix, rt) && rtMembershipMatches(prefix, other));
    assert.ok(!rtMembershipMatches(prefix, hex('0002fde800002776')));
    // 32 bits of the target (64 in all): type, subtype and AS 65000, any value.
    assert.ok(
      rtMembershipMatches({ prefixLength: 64, originAs: 7, routeTarget: rt }, hex('0002fde8ffffffff')),
    );
    assert.ok(
      !rtMembershipMatches({ prefixLength: 64, originAs: 7, routeTarget: rt }, hex('0002fde9ffffffff')),
    );
    assert.throws(() => rtMembership(1, new Uint8Array(4)), RangeError);
  });

  it('§7.12 MP_UNREACH_NLRI: too short or unparsable NLRI → session reset or AFI/SAFI disable', () => {
    expectReset(body('80 0f 02 0001'), 9);
    const b = body('80 0f 05 0001 01 19 0a');
    expectReset(b, 9);
    expectHandling(
      decodeUpdateBody(b, { fourOctetAs: true, afiSafiDisable: true }),
      'afi-safi-disable',
      15,
      9,
    );
  });

  it('§7.14 EXTENDED_COMMUNITIES length not a non-zero multiple of 8 → treat-as-withdraw', () => {
    expectHandling(
      decode(body(`${BASE} c0 10 0c 0002fde800000064 00000000`, NLRI)),
      'treat-as-withdraw',
      16,
      5,
    );
    expectHandling(decode(body(`${BASE} c0 10 00`, NLRI)), 'treat-as-withdraw', 16, 5);
  });

  it('RFC 6793 AS4_PATH / AS4_AGGREGATOR: malformed, AS 0 or on a 4-octet session → attribute-discard', () => {
    const as2 = `${ORIGIN} 40 02 04 02 01 5ba0 ${NEXT_HOP}`;
    const ok = decode(body(`${as2} c0 11 06 02 01 fa56ea01`, NLRI), AS2);
    assert.equal(ok.errors, undefined);
    for (const bad of ['c0 11 06 02 00 fa56ea01', 'c0 11 05 02 01 fa56ea', 'c0 11 06 02 01 00000000']) {
      const u = decode(body(`${as2} ${bad}`, NLRI), AS2);
      expectHandling(u, 'attribute-discard', 17);
      assert.equal(getAttribute(u, 'as4-path'), undefined);
    }
    expectHandling(decode(body(`${BASE} c0 11 06 02 01 fa56ea01`, NLRI), AS4), 'attribute-discard', 17);
    expectHandling(decode(body(`${BASE} c0 12 08 fa56ea01 0a000001`, NLRI), AS4), 'attribute-discard', 18);
    expectHandling(decode(body(`${as2} c0 12 06 fa56 0a000001`, NLRI), AS2), 'attribute-discard', 18, 5);
    expectHandling(decode(body(`${as2} c0 12 08 00000000 0a000001`, NLRI), AS2), 'attribute-discard', 18);
    // RFC 6793 §3: confederation segments in AS4_PATH are discarded, the rest kept.
    const confed = decode(body(`${as2} c0 11 0c 03 01 0000fde8 02 01 fa56ea01`, NLRI), AS2);
    expectHandling(confed, 'attribute-discard', 17);
    assert.deepEqual(getAttribute(confed, 'as4-path')?.segments, [{ kind: 'sequence', asns: [4200000001] }]);
  });

  it('PMSI_TUNNEL (RFC 6514 §5): too short, or an ingress-replication endpoint not 4/16 octets → treat-as-withdraw', () => {
    expectHandling(decode(body(`${BASE} c0 16 04 00 06 0000`, NLRI)), 'treat-as-withdraw', 22, 5);
    const u = decode(body(`${BASE} c0 16 0a 00 06 000064 0a00000101`, NLRI));
    expectHandling(u, 'treat-as-withdraw', 22, 5);
    assert.deepEqual(getPmsiTunnel(u)?.tunnelId, hex('0a00000101'));
    // Other tunnel types keep their identifier raw; IPv6 endpoints decode.
    const mldp = decode(body(`${BASE} c0 16 08 01 02 000000 010203`, NLRI));
    assert.equal(mldp.errors, undefined);
    assert.deepEqual(getPmsiTunnel(mldp)?.tunnelId, hex('010203'));
    const v6 = decode(body(`${BASE} c0 16 15 00 06 000064 20010db8000000000000000000000001`, NLRI));
    assert.equal(getPmsiTunnel(v6)?.tunnelId, '2001:db8::1');
  });

  it('RFC 8092 §5 LARGE_COMMUNITY length not a non-zero multiple of 12 → treat-as-withdraw', () => {
    expectHandling(decode(body(`${BASE} c0 20 0d ${'00'.repeat(13)}`, NLRI)), 'treat-as-withdraw', 32, 5);
  });

  it('§3 f: with several errors the strongest action wins', () => {
    const u = decode(body(`${BASE} 40 06 01 00 c0 08 02 0000`, NLRI));
    assert.deepEqual(
      errorsOf(u).map((e) => e.handling),
      ['attribute-discard', 'treat-as-withdraw'],
    );
    assert.equal(updateHandling(u), 'treat-as-withdraw');
    assert.equal(updateHandling(decode(body(BASE, NLRI))), undefined);
  });

  it('unknown optional attributes are kept byte-exact, including a needless Extended Length flag', () => {
    const b = body(`${BASE} d0 63 0003 abcdef e0 64 01 01`, NLRI);
    const u = decode(b);
    assert.equal(u.errors, undefined);
    assert.deepEqual(getAttribute(u, 99), { type: 'unknown', code: 99, flags: 0xd0, data: hex('abcdef') });
    assert.deepEqual(getAttribute(u, 100), { type: 'unknown', code: 100, flags: 0xe0, data: hex('01') });
    assert.equal(toHex(encodeUpdateBody(u, AS4)), toHex(b));
  });
});

describe('UPDATE body: encoder', () => {
  it('sets Extended Length only for values over 255 octets unless the value asks for it', () => {
    const communities = Array.from({ length: 64 }, (_, i) => i);
    const m: UpdateMessage = {
      type: 'update',
      withdrawn: [],
      attributes: [
        { type: 'communities', communities: communities.slice(0, 63) },
        {
          type: 'large-communities',
          communities: [{ globalAdmin: 1, localData1: 2, localData2: 3 }],
          flags: 0xd0,
        },
      ],
      nlri: [],
    };
    let b = encodeUpdateBody(m, AS4);
    assert.equal(toHex(b.subarray(4, 7)), 'c008fc', '252 octets: one-octet length');
    assert.equal(toHex(b.subarray(4 + 3 + 252, 4 + 3 + 252 + 4)), 'd020000c');
    b = encodeUpdateBody({ ...m, attributes: [{ type: 'communities', communities }] }, AS4);
    assert.equal(toHex(b.subarray(4, 8)), 'd0080100', '256 octets: Extended Length added');
    const d = decode(b);
    assert.equal(getAttribute(d, 'communities')?.flags, undefined, 'canonical, so no flags in the value');
    assert.deepEqual(getCommunities(d), communities);
  });

  it('validates what cannot be encoded', () => {
    const bad: [PathAttribute, BgpCodecOptions, string][] = [
      [{ type: 'as-path', segments: [{ kind: 'sequence', asns: [] }] }, AS4, 'as-path.asns'],
      [
        { type: 'as-path', segments: [{ kind: 'sequence', asns: new Array<Asn>(256).fill(1 as Asn) }] },
        AS4,
        'as-path.asns',
      ],
      [{ type: 'aggregator', asn: 70000 as Asn, address: '10.0.0.1' as Ipv4Address }, AS2, 'aggregator.asn'],
      [{ type: 'med', med: 2 ** 32 }, AS4, 'med'],
      [{ type: 'next-hop', nextHop: '10.0.0' as Ipv4Address }, AS4, 'next-hop'],
      [
        {
          type: 'pmsi-tunnel',
          tunnelFlags: 0,
          tunnelType: 6,
          label: 1 << 24,
          tunnelId: '10.0.0.1' as Ipv4Address,
        },
        AS4,
        'pmsi-tunnel.label',
      ],
      [
        {
          type: 'mp-reach-nlri',
          afi: 25,
          safi: 70,
          nextHop: { kind: 'ip', address: '10.0.0.1' as Ipv4Address },
          nlri: { kind: 'ipv4', prefixes: [] },
        },
        AS4,
        'mp-reach-nlri.nlri',
      ],
      [{ type: 'unknown', code: 300, flags: 0x80, data: new Uint8Array(0) }, AS4, 'attribute.code'],
      [{ type: 'unknown', code: 99, flags: 0x80, data: new Uint8Array(70000) }, AS4, 'ATTR_99'],
    ];
    for (const [a, opts, field] of bad) {
      assert.throws(
        () => encodeUpdateBody({ type: 'update', withdrawn: [], attributes: [a], nlri: [] }, opts),
        (e: unknown) => e instanceof WireError && e.kind === 'malformed' && e.field === field,
        `${a.type} → ${field}`,
      );
    }
  });

  it('encodes unknown attributes as given, so malformed UPDATEs can be built for tests', () => {
    const m: UpdateMessage = {
      type: 'update',
      withdrawn: [],
      attributes: [{ type: 'unknown', code: 1, flags: 0x40, data: Uint8Array.of(7) }],
      nlri: [],
    };
    assert.equal(toHex(encodeUpdateBody(m, AS4)), '0000000440010107');
  });
});

describe('RFC 6793 helpers', () => {
  const seq = (...asns: number[]) => ({ kind: 'sequence' as const, asns: asns as Asn[] });
  it('merges AS4_PATH into AS_PATH (§4.2.3)', () => {
    // An OLD speaker prepended 100 and 200 after the NEW ones.
    assert.deepEqual(mergeAs4Path([seq(100, 200, AS_TRANS, 300)], [seq(4200000001, 300)]), [
      seq(100, 200, 4200000001, 300),
    ]);
    // AS_PATH shorter than AS4_PATH: AS4_PATH ignored.
    assert.deepEqual(mergeAs4Path([seq(AS_TRANS)], [seq(1, 2)]), [seq(AS_TRANS)]);
    // Sets count as one; confederation segments count zero and stay in front.
    assert.deepEqual(
      mergeAs4Path(
        [
          { kind: 'confed-sequence', asns: [65100 as Asn] },
          { kind: 'set', asns: [1, 2] as Asn[] },
          seq(AS_TRANS),
        ],
        [seq(4200000001)],
      ),
      [{ kind: 'confed-sequence', asns: [65100] }, { kind: 'set', asns: [1, 2] }, seq(4200000001)],
    );
    assert.equal(
      asPathLength([
        { kind: 'set', asns: [1, 2] as Asn[] },
        seq(3, 4),
        { kind: 'confed-set', asns: [5] as Asn[] },
      ]),
      3,
    );
    assert.equal(
      asPathToString([
        seq(1, 2),
        { kind: 'set', asns: [3, 4] as Asn[] },
        { kind: 'confed-sequence', asns: [5] as Asn[] },
        { kind: 'confed-set', asns: [6, 7] as Asn[] },
      ]),
      '1 2 {3,4} (5) [6,7]',
    );
  });

  it('ignores AS4_* when an OLD speaker aggregated (AGGREGATOR not AS_TRANS)', () => {
    const attrs: PathAttribute[] = [
      { type: 'as-path', segments: [seq(AS_TRANS)] },
      { type: 'aggregator', asn: 65000 as Asn, address: '10.0.0.1' as Ipv4Address },
      { type: 'as4-path', segments: [seq(4200000001)] },
      { type: 'as4-aggregator', asn: 4200000001 as Asn, address: '10.0.0.2' as Ipv4Address },
    ];
    assert.deepEqual(fromTwoOctetAsAttributes(attrs), attrs.slice(0, 2));
    const viaTrans = fromTwoOctetAsAttributes([
      { type: 'as-path', segments: [seq(AS_TRANS)] },
      { type: 'aggregator', asn: AS_TRANS, address: '10.0.0.1' as Ipv4Address },
      attrs[2]!,
      attrs[3]!,
    ]);
    assert.deepEqual(viaTrans, [
      { type: 'as-path', segments: [seq(4200000001)] },
      { type: 'aggregator', asn: 4200000001, address: '10.0.0.2' },
    ]);
    assert.deepEqual(toTwoOctetAsAttributes(viaTrans), [
      { type: 'as-path', segments: [seq(AS_TRANS)] },
      { type: 'aggregator', asn: AS_TRANS, address: '10.0.0.2' },
      { type: 'as4-path', segments: [seq(4200000001)] },
      { type: 'as4-aggregator', asn: 4200000001, address: '10.0.0.2' },
    ]);
  });
});

describe('UPDATE body: stays linear on large inputs', () => {
  it('decodes a body with 1000 NLRI and 100 attributes', () => {
    const nlri = Array.from({ length: 1000 }, (_, i) => ({
      prefix: `10.${i >> 8}.${i & 255}.0` as Ipv4Address,
      length: 24,
    }));
    const attrs: PathAttribute[] = [
      { type: 'origin', origin: 'igp' },
      { type: 'as-path', segments: [{ kind: 'sequence', asns: [65001 as Asn] }] },
      { type: 'next-hop', nextHop: '192.0.2.1' as Ipv4Address },
      ...Array.from({ length: 100 }, (_, i): PathAttribute => ({
        type: 'unknown',
        code: 150 + i,
        flags: 0xc0,
        data: new Uint8Array(4),
      })),
    ];
    const m: UpdateMessage = { type: 'update', withdrawn: [], attributes: attrs, nlri };
    const b = encodeUpdateBody(m, AS4);
    assert.deepEqual(decode(b), m);
    assert.equal(toHex(concatBytes([b])), toHex(b));
  });
});
