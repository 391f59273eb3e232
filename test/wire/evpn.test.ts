import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { IpAddress, Ipv4Address, Mac } from '../../src/wire/addr.js';
import { concatBytes, fromHex, Reader, toHex, Writer } from '../../src/wire/bytes.js';
import { WireError } from '../../src/wire/errors.js';
import { encodeEthernet, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import {
  decodeEvpnNlriList,
  decodeEvpnRoute,
  encodeEvpnNlriList,
  encodeEvpnRoute,
  esiFields,
  esiFromFields,
  evpnRouteKey,
  evpnRouteTypeName,
  formatEvpnRoute,
  formatRd,
  isZeroEsi,
  labelFieldToMpls,
  mplsToLabelField,
  parseEsi,
  parseRd,
  PackedMacIpRoute,
  readEsi,
  readEvpnNlri,
  readEvpnNlriList,
  readRd,
  writeEsi,
  writeEvpnNlri,
  writeRd,
  ZERO_ESI,
  type Esi,
  type EvpnRoute,
  type MacIpRoute,
  type RouteDistinguisher,
} from '../../src/wire/evpn.js';
import { encodeIpv4, IPPROTO_TCP } from '../../src/wire/ipv4.js';
import { encodeTcp, TCP_FLAG_ACK, TCP_FLAG_PSH } from '../../src/wire/tcp.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import { assertOnlyWireErrors, expectWireError, withByte } from './arb-l2l3.js';
import {
  arbEsi,
  arbEsiFields,
  arbEvpnRoute,
  arbIpPrefixRoute,
  arbMacIpRoute,
  arbRd,
  arbUnknownEvpnRoute,
} from './arb-evpn.js';

function hex(s: string): Uint8Array {
  return fromHex(s.replace(/#[^\n]*/g, ''));
}

/** A decode's outcome as comparable data: the route's JSON, or the WireError's fields. */
function catchWire(f: () => unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(f()));
  } catch (e) {
    assert.ok(e instanceof WireError, String(e));
    return { kind: e.kind, field: e.field, offset: e.offset, message: e.message };
  }
}

// ---------- golden NLRI (hand-made, dissected by tshark 4.0 below) ----------

const T1_LACP = `01 19                      # type 1, length 25
  0001 0a000001 0002                # RD type 1 10.0.0.1:2
  01 aabbccddeeff 0100 00           # ESI type 1 (LACP): system MAC, port key 256, 0x00
  ffffffff                          # Ethernet tag MAX-ET (RFC 7432 §8.2: A-D per ES)
  000000                            # label 0`;
const T2_MAC = `02 21
  0001 0a000001 0002 00000000000000000000 00000000
  30 001122334455                   # MAC length 48, MAC
  00                                # IP length 0
  000064                            # label1 = VNI 100`;
const T2_MAC_IPV4 = `02 28
  0000 fde8 00000064                # RD type 0 65000:100
  00000000000000000000 00000000
  30 aabbccddeeff 20 0a000001       # MAC, IPv4 10.0.0.1
  000064 00ea60                     # label1 VNI 100, label2 L3VNI 60000`;
const T2_MAC_IPV6 = `02 31
  0002 fa56ea00 0007                # RD type 2 4200000000:7
  03 001122334455 000102            # ESI type 3: system MAC + discriminator 258
  00000064                          # Ethernet tag 100
  30 020000000001 80 20010db8000000000000000000000001
  03e801                            # MPLS label 16000, bottom of stack`;
const T3_IPV4 = `03 11 0001 01010101 0001 00000000 20 01010101`;
const T3_IPV6 = `03 1d 0000 fde8 00000001 00000000 80 20010db8000000000000000000000002`;
const T4_IPV4 = `04 17
  0001 01010101 0000
  04 01010101 00000001 00           # ESI type 4: router ID 1.1.1.1, discriminator 1
  20 01010101`;
const T5_IPV4 = `05 22
  0001 0a000001 0003 00000000000000000000 00000000
  18 0a010100 00000000              # 10.1.1.0/24, gateway 0.0.0.0
  001388                            # L3VNI 5000`;
const T5_IPV6 = `05 3a
  0000 fde8 00000005
  05 0000fde8 00000007 00           # ESI type 5: AS 65000, discriminator 7
  00000000
  40 20010db8000100000000000000000000 00000000000000000000000000000000
  001388`;
const UNKNOWN = `0b 03 010203                  # route type 11 (not parsed), 3 octets`;

const GOLDENS = [T1_LACP, T2_MAC, T2_MAC_IPV4, T2_MAC_IPV6, T3_IPV4, T3_IPV6, T4_IPV4, T5_IPV4, T5_IPV6];

const rd0 = (asn: number, assigned: number): RouteDistinguisher => ({ type: 0, asn, assigned });
const rd1 = (ip: string, assigned: number): RouteDistinguisher => ({
  type: 1,
  ip: ip as Ipv4Address,
  assigned,
});

describe('EVPN NLRI: golden vectors', () => {
  it('Type-1 Ethernet A-D with a LACP ESI', () => {
    const r = decodeEvpnRoute(hex(T1_LACP));
    assert.deepEqual(r, {
      type: 'ethernet-ad',
      routeType: 1,
      rd: rd1('10.0.0.1', 2),
      esi: '01:aa:bb:cc:dd:ee:ff:01:00:00',
      ethernetTag: 0xffffffff,
      label: 0,
    });
    assert.equal(formatEvpnRoute(r), '[1]:[4294967295]:[01:aa:bb:cc:dd:ee:ff:01:00:00]:[32]:[0.0.0.0]:[0]');
    if (r.type !== 'ethernet-ad') return;
    assert.deepEqual(esiFields(r.esi), { type: 1, systemMac: 'aa:bb:cc:dd:ee:ff', portKey: 256 });
  });

  it('Type-2 MAC only, MAC + IPv4 with two labels, MAC + IPv6 with an MPLS label', () => {
    const mac = decodeEvpnRoute(hex(T2_MAC));
    assert.deepEqual(mac, {
      type: 'mac-ip',
      routeType: 2,
      rd: rd1('10.0.0.1', 2),
      esi: ZERO_ESI,
      ethernetTag: 0,
      mac: '00:11:22:33:44:55',
      label1: 100,
    });
    assert.ok(!('ip' in mac) && !('label2' in mac), 'absent fields are absent, not undefined');
    assert.equal(formatEvpnRoute(mac), '[2]:[0]:[48]:[00:11:22:33:44:55]');

    const v4 = decodeEvpnRoute(hex(T2_MAC_IPV4));
    assert.deepEqual(v4, {
      type: 'mac-ip',
      routeType: 2,
      rd: rd0(65000, 100),
      esi: ZERO_ESI,
      ethernetTag: 0,
      mac: 'aa:bb:cc:dd:ee:ff',
      ip: '10.0.0.1',
      label1: 100,
      label2: 60000,
    });
    assert.equal(formatEvpnRoute(v4), '[2]:[0]:[48]:[aa:bb:cc:dd:ee:ff]:[32]:[10.0.0.1]');

    const v6 = decodeEvpnRoute(hex(T2_MAC_IPV6));
    assert.deepEqual(v6, {
      type: 'mac-ip',
      routeType: 2,
      rd: { type: 2, asn: 4200000000, assigned: 7 },
      esi: '03:00:11:22:33:44:55:00:01:02',
      ethernetTag: 100,
      mac: '02:00:00:00:00:01',
      ip: '2001:db8::1',
      label1: 0x03e801,
    });
    assert.equal(formatEvpnRoute(v6), '[2]:[100]:[48]:[02:00:00:00:00:01]:[128]:[2001:db8::1]');
    if (v6.type !== 'mac-ip') return;
    assert.equal(labelFieldToMpls(v6.label1), 16000);
    assert.deepEqual(esiFields(v6.esi), { type: 3, systemMac: '00:11:22:33:44:55', localDiscriminator: 258 });
  });

  it('Type-3 inclusive multicast, IPv4 and IPv6 originators', () => {
    const v4 = decodeEvpnRoute(hex(T3_IPV4));
    assert.deepEqual(v4, {
      type: 'inclusive-multicast',
      routeType: 3,
      rd: rd1('1.1.1.1', 1),
      ethernetTag: 0,
      originator: '1.1.1.1',
    });
    assert.equal(formatEvpnRoute(v4), '[3]:[0]:[32]:[1.1.1.1]');
    const v6 = decodeEvpnRoute(hex(T3_IPV6));
    assert.equal(formatEvpnRoute(v6), '[3]:[0]:[128]:[2001:db8::2]');
    assert.equal(v6.type === 'inclusive-multicast' ? v6.originator : '', '2001:db8::2');
  });

  it('Type-4 Ethernet Segment with a router-ID ESI', () => {
    const r = decodeEvpnRoute(hex(T4_IPV4));
    assert.deepEqual(r, {
      type: 'ethernet-segment',
      routeType: 4,
      rd: rd1('1.1.1.1', 0),
      esi: '04:01:01:01:01:00:00:00:01:00',
      originator: '1.1.1.1',
    });
    assert.equal(formatEvpnRoute(r), '[4]:[04:01:01:01:01:00:00:00:01:00]:[32]:[1.1.1.1]');
    if (r.type !== 'ethernet-segment') return;
    assert.deepEqual(esiFields(r.esi), { type: 4, routerId: '1.1.1.1', localDiscriminator: 1 });
  });

  it('Type-5 IP prefix, IPv4 (length 34) and IPv6 (length 58)', () => {
    const v4 = decodeEvpnRoute(hex(T5_IPV4));
    assert.deepEqual(v4, {
      type: 'ip-prefix',
      routeType: 5,
      rd: rd1('10.0.0.1', 3),
      esi: ZERO_ESI,
      ethernetTag: 0,
      prefix: '10.1.1.0',
      prefixLength: 24,
      gateway: '0.0.0.0',
      label: 5000,
    });
    assert.equal(formatEvpnRoute(v4), '[5]:[0]:[24]:[10.1.1.0]');
    const v6 = decodeEvpnRoute(hex(T5_IPV6));
    assert.deepEqual(v6, {
      type: 'ip-prefix',
      routeType: 5,
      rd: rd0(65000, 5),
      esi: '05:00:00:fd:e8:00:00:00:07:00',
      ethernetTag: 0,
      prefix: '2001:db8:1::',
      prefixLength: 64,
      gateway: '::',
      label: 5000,
    });
    assert.equal(formatEvpnRoute(v6), '[5]:[0]:[64]:[2001:db8:1::]');
    if (v6.type !== 'ip-prefix') return;
    assert.deepEqual(esiFields(v6.esi), { type: 5, asn: 65000, localDiscriminator: 7 });
  });

  it('unknown route types are kept byte-exact', () => {
    const r = decodeEvpnRoute(hex(UNKNOWN));
    assert.deepEqual(r, { type: 'unknown', routeType: 11, data: hex('010203') });
    assert.equal(formatEvpnRoute(r), '[11]:[010203]');
    assert.equal(evpnRouteTypeName(11), 'unknown(11)');
  });

  it('every golden re-encodes byte for byte, alone and as one list', () => {
    for (const g of [...GOLDENS, UNKNOWN])
      assert.equal(toHex(encodeEvpnRoute(decodeEvpnRoute(hex(g)))), toHex(hex(g)));
    const all = hex([...GOLDENS, UNKNOWN].join('\n'));
    const routes = decodeEvpnNlriList(all);
    assert.deepEqual(
      routes.map((r) => r.routeType),
      [1, 2, 2, 2, 3, 3, 4, 5, 5, 11],
    );
    assert.equal(toHex(encodeEvpnNlriList(routes)), toHex(all));
  });

  it('FRR prints IPv4-mapped/compatible IPv6 with a dotted tail (glibc inet_ntop), tags of type 2/3/5 signed', () => {
    const base = decodeEvpnRoute(hex(T3_IPV6));
    if (base.type !== 'inclusive-multicast') return assert.fail();
    const f = (originator: string, ethernetTag = 0) =>
      formatEvpnRoute({ ...base, originator: originator as IpAddress, ethernetTag });
    assert.equal(f('::ffff:a00:1'), '[3]:[0]:[128]:[::ffff:10.0.0.1]');
    assert.equal(f('::a00:1'), '[3]:[0]:[128]:[::10.0.0.1]');
    assert.equal(f('::2'), '[3]:[0]:[128]:[::2]');
    assert.equal(f('::'), '[3]:[0]:[128]:[::]');
    assert.equal(f('1.1.1.1', 0x80000000), '[3]:[-2147483648]:[32]:[1.1.1.1]');
  });

  it('tshark 4.0 dissects the goldens in an UPDATE with the same values and no error', () => {
    const routes = decodeEvpnNlriList(hex(GOLDENS.join('\n')));
    const frame = bgpUpdateFrame(encodeEvpnNlriList(routes));
    withPcap([frame], (pcap) => {
      assert.deepEqual(tsharkProblems(pcap), []);
      assertTsharkAgrees(pcap, [routes]);
    });
  });

  it('tshark 4.0 agrees on random routes of every parsed type', () => {
    const lists = fc.sample(
      fc.array(
        arbEvpnRoute.filter((r) => r.type !== 'unknown'),
        { minLength: 1, maxLength: 12 },
      ),
      { numRuns: 40, seed: 7432 },
    );
    withPcap(
      lists.map((l, i) => bgpUpdateFrame(encodeEvpnNlriList(l), i)),
      (pcap) => assertTsharkAgrees(pcap, lists),
    );
  });
});

/** An Ethernet/IPv4/TCP frame to port 179 (from port 40000 + index) holding one UPDATE with MP_REACH_NLRI (AFI 25/SAFI 70). */
function bgpUpdateFrame(nlri: Uint8Array, index = 0): Uint8Array {
  const mp = concatBytes([hex('0019 46 04 0a000001 00'), nlri]);
  const w = new Writer();
  w.u16(0); // withdrawn routes length
  const attrLenAt = w.reserve(2);
  w.u8(0x90).u8(14).u16(mp.length).bytes(mp);
  w.bytes(hex('40 01 01 00')); // ORIGIN IGP
  w.patchU16(attrLenAt, w.offset - attrLenAt - 2);
  const body = w.finish();
  const msg = new Writer();
  msg
    .bytes(new Uint8Array(16).fill(0xff))
    .u16(19 + body.length)
    .u8(2)
    .bytes(body);
  const src = '10.0.0.1' as Ipv4Address;
  const dst = '10.0.0.2' as Ipv4Address;
  const tcp = encodeTcp(
    {
      srcPort: 40000 + index, // one TCP stream per frame, so none looks like a retransmission
      dstPort: 179,
      seq: 1,
      ack: 1,
      flags: TCP_FLAG_PSH | TCP_FLAG_ACK,
      window: 65535,
      urgentPointer: 0,
      options: new Uint8Array(0),
      payload: msg.finish(),
    },
    src,
    dst,
  );
  const ip = encodeIpv4({
    dscp: 48,
    ecn: 0,
    id: 1,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 64,
    protocol: IPPROTO_TCP,
    src,
    dst,
    options: new Uint8Array(0),
    payload: tcp,
  });
  return encodeEthernet({
    dst: '02:00:00:00:00:02' as Mac,
    src: '02:00:00:00:00:01' as Mac,
    vlans: [],
    etherType: ETHERTYPE_IPV4,
    payload: ip,
  });
}

const TSHARK_FIELDS = [
  'bgp.evpn.nlri.rt',
  'bgp.evpn.nlri.len',
  'bgp.evpn.nlri.rd',
  'bgp.evpn.nlri.esi',
  'bgp.evpn.nlri.etag',
  'bgp.evpn.nlri.mac_addr',
  'bgp.evpn.nlri.ip.addr',
  'bgp.evpn.nlri.ipv6.addr',
  'bgp.evpn.nlri.prefix_len',
  'bgp.evpn.nlri.ipv4.gtw_addr',
  'bgp.evpn.nlri.ipv6.gtw_addr',
  'bgp.evpn.nlri.mpls_ls1',
  'bgp.evpn.nlri.mpls_ls2',
] as const;

/** What tshark should show for these routes, field by field, in NLRI order. */
function expectedTshark(routes: readonly EvpnRoute[]): Record<string, string[]> {
  const out: Record<string, string[]> = Object.fromEntries(TSHARK_FIELDS.map((f) => [f, [] as string[]]));
  const push = (f: (typeof TSHARK_FIELDS)[number], v: string | number) => out[f]!.push(String(v));
  const pushIp = (a: IpAddress) =>
    push(a.includes(':') ? 'bgp.evpn.nlri.ipv6.addr' : 'bgp.evpn.nlri.ip.addr', a);
  for (const r of routes) {
    push('bgp.evpn.nlri.rt', r.routeType);
    push('bgp.evpn.nlri.len', encodeEvpnRoute(r).length - 2);
    if (r.type === 'unknown') continue;
    const w = new Writer(8);
    writeRd(w, r.rd);
    push('bgp.evpn.nlri.rd', toHex(w.finish()));
    if ('esi' in r) push('bgp.evpn.nlri.esi', r.esi);
    if ('ethernetTag' in r) push('bgp.evpn.nlri.etag', r.ethernetTag);
    switch (r.type) {
      case 'ethernet-ad':
        push('bgp.evpn.nlri.mpls_ls1', labelFieldToMpls(r.label));
        break;
      case 'mac-ip':
        push('bgp.evpn.nlri.mac_addr', r.mac);
        if (r.ip !== undefined) pushIp(r.ip);
        push('bgp.evpn.nlri.mpls_ls1', labelFieldToMpls(r.label1));
        if (r.label2 !== undefined) push('bgp.evpn.nlri.mpls_ls2', labelFieldToMpls(r.label2));
        break;
      case 'inclusive-multicast':
      case 'ethernet-segment':
        pushIp(r.originator);
        break;
      case 'ip-prefix':
        push('bgp.evpn.nlri.prefix_len', r.prefixLength);
        pushIp(r.prefix);
        push(
          r.gateway.includes(':') ? 'bgp.evpn.nlri.ipv6.gtw_addr' : 'bgp.evpn.nlri.ipv4.gtw_addr',
          r.gateway,
        );
        break;
    }
  }
  return out;
}

function assertTsharkAgrees(pcap: string, frames: readonly (readonly EvpnRoute[])[]): void {
  const got = tsharkFields(pcap, TSHARK_FIELDS);
  assert.equal(got.length, frames.length);
  frames.forEach((routes, i) => {
    const want = expectedTshark(routes);
    for (const f of TSHARK_FIELDS) {
      assert.deepEqual(
        got[i]![f] ?? [],
        want[f],
        `frame ${i + 1} ${f}: ${routes.map(formatEvpnRoute).join(' ')}`,
      );
    }
  });
}

describe('EVPN NLRI: properties', () => {
  it('round-trips every route type: decode(encode(v)) deep-equals v', () => {
    fc.assert(
      fc.property(arbEvpnRoute, (v) => {
        assert.deepEqual(decodeEvpnRoute(encodeEvpnRoute(v)), v);
      }),
      { numRuns: 2000 },
    );
  });

  it('re-encodes byte-exact: encode(decode(encode(v))) equals encode(v); lists too', () => {
    fc.assert(
      fc.property(fc.array(arbEvpnRoute, { maxLength: 8 }), (vs) => {
        const b = encodeEvpnNlriList(vs);
        const d = decodeEvpnNlriList(b);
        assert.deepEqual(d, vs);
        assert.equal(toHex(encodeEvpnNlriList(d)), toHex(b));
      }),
      { numRuns: 500 },
    );
  });

  it('writes into a writer holding stale bytes and reads from a window; errors say protocol evpn', () => {
    fc.assert(
      fc.property(arbEvpnRoute, (v) => {
        const w = new Writer(4);
        w.bytes(hex('a5a5a5'));
        writeEvpnNlri(w, v);
        w.bytes(hex('a5a5'));
        const buf = w.finish();
        const r = new Reader(buf, 'bgp', 3, buf.length - 2);
        assert.deepEqual(readEvpnNlri(r), v);
        assert.equal(r.offset, buf.length - 2);
        // The same NLRI cut short by one octet, read by a BGP reader.
        const cut = new Reader(buf, 'bgp', 3, buf.length - 3);
        const e = expectWireError(() => readEvpnNlri(cut), 'truncated');
        assert.equal(e.protocol, 'evpn');
      }),
      { numRuns: 300 },
    );
  });

  it('compact decoding gives the same route (PackedMacIpRoute for Type-2), key and errors', () => {
    fc.assert(
      fc.property(arbEvpnRoute, fc.nat(), (v, cut) => {
        const buf = encodeEvpnRoute(v);
        const compact = readEvpnNlri(new Reader(buf, 'bgp'), undefined, true);
        const plain = decodeEvpnRoute(buf);
        if (v.type === 'mac-ip') {
          assert.ok(compact instanceof PackedMacIpRoute);
          const c = compact as MacIpRoute;
          for (const k of ['type', 'routeType', 'rd', 'esi', 'ethernetTag', 'mac', 'ip', 'label1', 'label2'])
            assert.deepEqual(c[k as keyof MacIpRoute], v[k as keyof MacIpRoute], k);
          assert.deepEqual(JSON.parse(JSON.stringify(compact)), JSON.parse(JSON.stringify(v)));
          assert.deepEqual(compact.toJSON(), v);
        } else assert.deepEqual(compact, v);
        assert.equal(evpnRouteKey(compact), evpnRouteKey(plain));
        assert.equal(toHex(encodeEvpnRoute(compact)), toHex(buf));
        // Any corruption of the length octet or truncation fails the same way in both forms.
        const bad = withByte(buf, 1, cut & 0xff).subarray(0, buf.length - (cut % 3));
        const e1 = catchWire(() => readEvpnNlri(new Reader(bad, 'bgp'), undefined, true));
        const e2 = catchWire(() => readEvpnNlri(new Reader(bad, 'bgp')));
        assert.deepEqual(e1, e2);
      }),
      { numRuns: 500 },
    );
  });

  it('a list reads as route by route, Type-2 fast path or not, corrupted anywhere', () => {
    const oneByOne = (buf: Uint8Array) => {
      const r = new Reader(buf, 'bgp');
      const out: EvpnRoute[] = [];
      while (!r.atEnd) out.push(readEvpnNlri(r));
      return out;
    };
    fc.assert(
      fc.property(fc.array(arbEvpnRoute, { maxLength: 4 }), fc.nat(), fc.nat(0xff), (v, at, byte) => {
        const good = encodeEvpnNlriList(v);
        const buf = good.length === 0 ? good : withByte(good, at % good.length, byte);
        const expected = catchWire(() => oneByOne(buf));
        assert.deepEqual(
          catchWire(() => readEvpnNlriList(new Reader(buf, 'bgp'), buf.length)),
          expected,
        );
        const compact = catchWire(() => readEvpnNlriList(new Reader(buf, 'bgp'), buf.length, true));
        assert.deepEqual(compact, expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('the arbitraries cover every variant', () => {
    const seen = new Set<string>();
    for (const r of fc.sample(arbEvpnRoute, { numRuns: 3000, seed: 42 })) {
      seen.add(r.type);
      if (r.type === 'mac-ip') {
        seen.add(`ip:${r.ip === undefined ? 'none' : r.ip.includes(':') ? 'v6' : 'v4'}`);
        seen.add(`labels:${r.label2 === undefined ? 1 : 2}`);
      }
      if (r.type === 'ip-prefix') seen.add(`t5:${r.prefix.includes(':') ? 'v6' : 'v4'}`);
      if (r.type === 'inclusive-multicast') seen.add(`t3:${r.originator.includes(':') ? 'v6' : 'v4'}`);
      if (r.type !== 'unknown') seen.add(`rd:${r.rd.type}`);
      if ('esi' in r) seen.add(`esi:${esiFields(r.esi).type}`);
    }
    for (const want of [
      'ethernet-ad',
      'mac-ip',
      'inclusive-multicast',
      'ethernet-segment',
      'ip-prefix',
      'unknown',
      'ip:none',
      'ip:v4',
      'ip:v6',
      'labels:1',
      'labels:2',
      't5:v4',
      't5:v6',
      't3:v4',
      't3:v6',
      'rd:0',
      'rd:1',
      'rd:2',
      'rd:unknown',
      'esi:0',
      'esi:1',
      'esi:2',
      'esi:3',
      'esi:4',
      'esi:5',
      'esi:unknown',
    ]) {
      assert.ok(seen.has(want), `no ${want} generated`);
    }
  });
});

describe('EVPN NLRI: hostile input', () => {
  const seeds = [
    ...[...GOLDENS, UNKNOWN].map(hex),
    hex(GOLDENS.join('\n')),
    ...fc.sample(arbEvpnRoute, { numRuns: 60, seed: 9136 }).map(encodeEvpnRoute),
  ];

  it('truncations and random mutations give a value or a WireError, never another exception', () => {
    assertOnlyWireErrors(decodeEvpnNlriList, seeds, 20_000);
    assertOnlyWireErrors(decodeEvpnRoute, seeds, 5_000, 0xe7e7);
  });

  it('whatever decodes re-encodes to the same bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), fc.integer({ min: 0, max: 12 }), (body, t) => {
        const b = concatBytes([new Uint8Array([t, body.length]), body]);
        let routes: EvpnRoute[];
        try {
          routes = decodeEvpnNlriList(b);
        } catch (e) {
          assert.ok(e instanceof WireError, String(e));
          return;
        }
        assert.equal(toHex(encodeEvpnNlriList(routes)), toHex(b));
      }),
      { numRuns: 3000 },
    );
  });

  it('MAC Address Length other than 48 is malformed (mac-length)', () => {
    const b = hex(T2_MAC);
    const e = expectWireError(() => decodeEvpnRoute(withByte(b, 24, 47)), 'malformed', 'mac-length');
    assert.equal(e.protocol, 'evpn');
    assert.equal(e.offset, 24);
  });

  it('IP Address Length other than 0/32/128 is malformed (ip-length)', () => {
    // Type-2 with IPv4: IP length 24 instead of 32 (the route length still says 40).
    expectWireError(() => decodeEvpnRoute(withByte(hex(T2_MAC_IPV4), 31, 24)), 'malformed', 'ip-length');
    // Type-3 originator length 24; Type-4 originator length 0.
    expectWireError(() => decodeEvpnRoute(withByte(hex(T3_IPV4), 14, 24)), 'malformed', 'originator-length');
    expectWireError(() => decodeEvpnRoute(withByte(hex(T4_IPV4), 20, 0)), 'malformed', 'originator-length');
  });

  it('a route length that disagrees with the layout is malformed (route-length)', () => {
    // Type-1 with 26 octets (one extra).
    const t1 = hex(`01 1a 0001 0a000001 0002 ${'00'.repeat(10)} 00000000 000064 ff`);
    expectWireError(() => decodeEvpnRoute(t1), 'malformed', 'route-length');
    // Type-2 without IP whose route length leaves 4 octets for labels (3 or 6 allowed) …
    const t2 = hex(T2_MAC);
    expectWireError(
      () => decodeEvpnRoute(concatBytes([withByte(t2, 1, 0x22), hex('00')])),
      'malformed',
      'route-length',
    );
    // … and one with IPv4 and 4 octets after the address.
    const t2ip = hex(T2_MAC_IPV4);
    expectWireError(
      () => decodeEvpnRoute(concatBytes([withByte(t2ip, 1, 0x29), hex('00')])),
      'malformed',
      'route-length',
    );
    // Type-2 shorter than its minimum.
    expectWireError(() => decodeEvpnRoute(hex(`02 02 0000`)), 'malformed', 'route-length');
    // Type-3 says 17 but its originator is IPv6 (and 29 with an IPv4 one).
    expectWireError(() => decodeEvpnRoute(withByte(hex(T3_IPV4), 14, 128)), 'malformed', 'route-length');
    const t3v6 = hex(T3_IPV6);
    expectWireError(() => decodeEvpnRoute(withByte(t3v6, 14, 32)), 'malformed', 'route-length');
    // Type-5 with length 40 (neither 34 nor 58).
    const t5 = concatBytes([withByte(hex(T5_IPV4), 1, 40), new Uint8Array(6)]);
    const e = expectWireError(() => decodeEvpnRoute(t5), 'malformed', 'route-length');
    assert.equal(e.offset, 1);
  });

  it('a Type-5 prefix length longer than its family is malformed (prefix-length)', () => {
    expectWireError(() => decodeEvpnRoute(withByte(hex(T5_IPV4), 24, 33)), 'malformed', 'prefix-length');
    expectWireError(() => decodeEvpnRoute(withByte(hex(T5_IPV6), 24, 129)), 'malformed', 'prefix-length');
    assert.equal(decodeEvpnRoute(withByte(hex(T5_IPV6), 24, 128)).type, 'ip-prefix');
  });

  it('a route length beyond the buffer is truncated; trailing octets after one route are malformed', () => {
    const b = hex(T3_IPV4);
    expectWireError(() => decodeEvpnNlriList(b.subarray(0, b.length - 1)), 'truncated', 'route');
    expectWireError(() => decodeEvpnNlriList(hex('02')), 'truncated', 'route-length');
    expectWireError(() => decodeEvpnRoute(concatBytes([b, hex('00')])), 'malformed', 'route');
  });
});

describe('EVPN NLRI: encoder validation', () => {
  const base = decodeEvpnRoute(hex(T2_MAC_IPV4)) as MacIpRoute;
  const t5 = decodeEvpnRoute(hex(T5_IPV4));

  it('rejects values that do not fit, naming the field', () => {
    expectWireError(() => encodeEvpnRoute({ ...base, label1: 0x1000000 }), 'malformed', 'label1');
    expectWireError(() => encodeEvpnRoute({ ...base, label2: -1 }), 'malformed', 'label2');
    expectWireError(() => encodeEvpnRoute({ ...base, ethernetTag: 2 ** 32 }), 'malformed', 'ethernet-tag');
    expectWireError(() => encodeEvpnRoute({ ...base, mac: 'aa:bb' as Mac }), 'malformed', 'mac');
    expectWireError(() => encodeEvpnRoute({ ...base, ip: '10.0.0.256' as IpAddress }), 'malformed', 'ip');
    expectWireError(() => encodeEvpnRoute({ ...base, ip: '1::2::3' as IpAddress }), 'malformed', 'ip');
    expectWireError(
      () => encodeEvpnRoute({ ...base, esi: 'AA:00:00:00:00:00:00:00:00:0g' as Esi }),
      'malformed',
      'esi',
    );
    expectWireError(() => encodeEvpnRoute({ ...base, rd: rd0(70000, 1) }), 'malformed', 'rd.asn');
    expectWireError(
      () => encodeEvpnRoute({ ...base, rd: rd1('10.0.0.1', 65536) }),
      'malformed',
      'rd.assigned',
    );
    expectWireError(
      () => encodeEvpnRoute({ ...base, rd: { type: 'unknown', typeCode: 1, value: new Uint8Array(6) } }),
      'malformed',
      'rd.type',
    );
    if (t5.type !== 'ip-prefix') return assert.fail();
    expectWireError(() => encodeEvpnRoute({ ...t5, gateway: '::' as IpAddress }), 'malformed', 'gateway');
    expectWireError(() => encodeEvpnRoute({ ...t5, prefixLength: 33 }), 'malformed', 'prefix-length');
    expectWireError(
      () => encodeEvpnRoute({ type: 'unknown', routeType: 2, data: new Uint8Array(3) }),
      'malformed',
      'route-type',
    );
    expectWireError(
      () => encodeEvpnRoute({ type: 'unknown', routeType: 9, data: new Uint8Array(256) }),
      'malformed',
      'data',
    );
    expectWireError(
      () => encodeEvpnRoute({ ...base, routeType: 3 } as unknown as EvpnRoute),
      'malformed',
      'route-type',
    );
  });

  it('unknown routes of up to 255 octets encode', () => {
    fc.assert(
      fc.property(arbUnknownEvpnRoute, (r) => {
        assert.equal(encodeEvpnRoute(r).length, r.data.length + 2);
      }),
    );
  });
});

describe('Route Distinguishers', () => {
  it('formats like FRR and parses back', () => {
    assert.equal(formatRd(rd0(65000, 100)), '65000:100');
    assert.equal(formatRd(rd1('10.0.0.1', 5)), '10.0.0.1:5');
    assert.equal(formatRd({ type: 2, asn: 4200000000, assigned: 7 }), '4200000000:7');
    assert.equal(
      formatRd({ type: 'unknown', typeCode: 5, value: hex('0102030405ff') }),
      'type5:0102030405ff',
    );
    assert.deepEqual(parseRd('65000:100'), rd0(65000, 100));
    assert.deepEqual(parseRd('65000:4294967295'), rd0(65000, 4294967295));
    assert.deepEqual(parseRd('10.0.0.1:5'), rd1('10.0.0.1', 5));
    assert.deepEqual(parseRd('4200000000:7'), { type: 2, asn: 4200000000, assigned: 7 });
    assert.deepEqual(parseRd('type5:0102030405FF'), {
      type: 'unknown',
      typeCode: 5,
      value: hex('0102030405ff'),
    });
    assert.deepEqual(parseRd('type0:fde800000064'), rd0(65000, 100));
  });

  it('rejects bad text with malformed rd', () => {
    for (const bad of [
      '',
      'abc',
      '65000',
      ':1',
      '65000:',
      '65000:4294967296',
      '4200000000:65536',
      '4294967296:1',
      '10.0.0.1:65536',
      '1.2.3:4',
      '10.0.0.256:1',
      '01.0.0.1:1',
      '-1:2',
      '65000:1.5',
      '65000:01',
      'type5:zz0000000000',
      'type5:00',
      'type70000:000000000000',
    ]) {
      expectWireError(() => parseRd(bad), 'malformed', 'rd');
    }
  });

  it('parseRd(formatRd(rd)) gives rd back (type 2 with a 2-octet ASN reads as type 0)', () => {
    fc.assert(
      fc.property(arbRd, (rd) => {
        const back = parseRd(formatRd(rd));
        if (rd.type === 2 && rd.asn <= 0xffff) assert.deepEqual(back, { ...rd, type: 0 });
        else assert.deepEqual(back, rd);
      }),
      { numRuns: 1000 },
    );
  });

  it('readRd/writeRd round-trip', () => {
    fc.assert(
      fc.property(arbRd, (rd) => {
        const w = new Writer(8);
        writeRd(w, rd);
        const b = w.finish();
        assert.equal(b.length, 8);
        const r = new Reader(b, 'evpn');
        assert.deepEqual(readRd(r), rd);
        assert.ok(r.atEnd);
      }),
    );
  });
});

describe('ESIs', () => {
  it('parseEsi accepts either case (and bare hex) and returns canonical text', () => {
    assert.equal(parseEsi('00:11:22:33:44:55:66:77:88:99'), '00:11:22:33:44:55:66:77:88:99');
    assert.equal(parseEsi('0A:BB:CC:DD:EE:FF:00:11:22:3F'), '0a:bb:cc:dd:ee:ff:00:11:22:3f');
    assert.equal(parseEsi('0ABBCCDDEEFF0011223F'), '0a:bb:cc:dd:ee:ff:00:11:22:3f');
    assert.ok(isZeroEsi(parseEsi('00:00:00:00:00:00:00:00:00:00')));
    assert.ok(!isZeroEsi(parseEsi('00:00:00:00:00:00:00:00:00:01')));
    for (const bad of [
      '',
      '00:11:22:33:44:55:66:77:88',
      '00:11:22:33:44:55:66:77:88:99:aa',
      '00-11-22-33-44-55-66-77-88-99',
      '00:11:22:33:44:55:66:77:88:9g',
      '0:11:22:33:44:55:66:77:88:999',
      '0ABBCCDDEEFF0011223G',
    ]) {
      expectWireError(() => parseEsi(bad), 'malformed', 'esi');
    }
  });

  it('esiFromFields(esiFields(e)) === e for any 10 octets; readEsi/writeEsi round-trip', () => {
    fc.assert(
      fc.property(arbEsi, fc.uint8Array({ minLength: 10, maxLength: 10 }), (e, raw) => {
        assert.equal(esiFromFields(esiFields(e)), e);
        const fromRaw = readEsi(new Reader(raw, 'evpn'));
        assert.equal(esiFromFields(esiFields(fromRaw)), fromRaw);
        assert.equal(parseEsi(fromRaw.toUpperCase()), fromRaw);
        const w = new Writer(10);
        writeEsi(w, fromRaw);
        assert.deepEqual(w.finish(), raw);
      }),
      { numRuns: 1000 },
    );
  });

  it('esiFields(esiFromFields(f)) deep-equals f for every ESI type', () => {
    fc.assert(
      fc.property(arbEsiFields, (f) => {
        assert.deepEqual(esiFields(esiFromFields(f)), f);
      }),
      { numRuns: 1000 },
    );
  });

  it('RFC 7432 §5 layouts; a non-zero must-be-zero octet reads as unknown so no byte is lost', () => {
    assert.equal(
      esiFromFields({ type: 1, systemMac: 'aa:bb:cc:dd:ee:ff' as Mac, portKey: 0x1234 }),
      '01:aa:bb:cc:dd:ee:ff:12:34:00',
    );
    assert.equal(
      esiFromFields({ type: 2, rootBridgeMac: '00:00:5e:00:53:01' as Mac, rootBridgePriority: 32768 }),
      '02:00:00:5e:00:53:01:80:00:00',
    );
    assert.equal(
      esiFromFields({ type: 3, systemMac: '00:00:5e:00:53:01' as Mac, localDiscriminator: 0xabcdef }),
      '03:00:00:5e:00:53:01:ab:cd:ef',
    );
    assert.equal(
      esiFromFields({ type: 4, routerId: '192.0.2.1' as Ipv4Address, localDiscriminator: 0x01020304 }),
      '04:c0:00:02:01:01:02:03:04:00',
    );
    assert.equal(
      esiFromFields({ type: 5, asn: 4200000000, localDiscriminator: 9 }),
      '05:fa:56:ea:00:00:00:00:09:00',
    );
    const odd = parseEsi('01:aa:bb:cc:dd:ee:ff:12:34:01');
    assert.deepEqual(esiFields(odd), { type: 'unknown', typeCode: 1, value: hex('aabbccddeeff123401') });
    assert.equal(esiFromFields(esiFields(odd)), odd);
    expectWireError(
      () => esiFromFields({ type: 3, systemMac: 'aa:bb:cc:dd:ee:ff' as Mac, localDiscriminator: 2 ** 24 }),
      'malformed',
      'esi.localDiscriminator',
    );
    expectWireError(() => esiFromFields({ type: 0, value: new Uint8Array(8) }), 'malformed', 'esi.value');
  });
});

describe('labels', () => {
  it('MPLS labels sit in the high 20 bits; a VNI uses all 24 (RFC 8365 §5.1.3)', () => {
    assert.equal(mplsToLabelField(16000), 0x03e801);
    assert.equal(mplsToLabelField(16000, false), 0x03e800);
    assert.equal(labelFieldToMpls(0x03e801), 16000);
    assert.equal(labelFieldToMpls(0xffffff), 0xfffff);
    expectWireError(() => mplsToLabelField(0x100000), 'malformed', 'label');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xfffff }), fc.boolean(), (l, bos) => {
        assert.equal(labelFieldToMpls(mplsToLabelField(l, bos)), l);
      }),
    );
  });
});

describe('evpnRouteKey', () => {
  /** The fields RFC 7432 §7.2 / RFC 9136 §3.2 make part of the route's identity. */
  function identity(r: EvpnRoute): unknown {
    switch (r.type) {
      case 'ethernet-ad':
        return [1, r.rd, r.esi, r.ethernetTag];
      case 'mac-ip':
        return [2, r.rd, r.ethernetTag, r.mac, r.ip ?? null];
      case 'inclusive-multicast':
        return [3, r.rd, r.ethernetTag, r.originator];
      case 'ethernet-segment':
        return [4, r.rd, r.esi, r.originator];
      case 'ip-prefix':
        return [5, r.rd, r.ethernetTag, r.prefixLength, r.prefix];
      default:
        return [r.routeType, toHex(r.data)];
    }
  }

  it('a Type-2 key ignores labels and ESI but not the IP', () => {
    const r = decodeEvpnRoute(hex(T2_MAC_IPV4)) as MacIpRoute;
    const k = evpnRouteKey(r);
    const { label2: _l2, ...oneLabel } = r;
    assert.equal(evpnRouteKey(oneLabel), k);
    assert.equal(evpnRouteKey({ ...r, label1: 5, esi: parseEsi('01:00:00:00:00:00:00:00:00:00') }), k);
    assert.notEqual(evpnRouteKey({ ...r, ip: '10.0.0.2' as IpAddress }), k);
    const { ip: _ip, ...noIp } = r;
    assert.notEqual(evpnRouteKey(noIp), k);
    assert.notEqual(evpnRouteKey({ ...r, rd: { type: 2, asn: 65000, assigned: 100 } }), k, 'RD type counts');
  });

  it('a Type-5 key ignores ESI, gateway and label, and keeps the prefix length', () => {
    fc.assert(
      fc.property(arbIpPrefixRoute, arbEsi, fc.nat(0xffffff), (r, esi, label) => {
        assert.equal(evpnRouteKey({ ...r, esi, label, gateway: r.gateway }), evpnRouteKey(r));
        if (r.prefixLength > 0)
          assert.notEqual(evpnRouteKey({ ...r, prefixLength: r.prefixLength - 1 }), evpnRouteKey(r));
      }),
    );
  });

  it('keys are equal exactly when the identity fields are', () => {
    fc.assert(
      fc.property(arbEvpnRoute, arbEvpnRoute, (a, b) => {
        assert.equal(
          evpnRouteKey(a) === evpnRouteKey(b),
          fc.stringify(identity(a)) === fc.stringify(identity(b)),
        );
        assert.equal(evpnRouteKey(a), evpnRouteKey(decodeEvpnRoute(encodeEvpnRoute(a))));
      }),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        arbMacIpRoute,
        fc.nat(0xffffff),
        fc.option(fc.nat(0xffffff), { nil: undefined }),
        arbEsi,
        (r, l1, l2, esi) => {
          const { label2: _drop, ...rest } = r;
          const other: MacIpRoute = { ...rest, label1: l1, esi, ...(l2 !== undefined ? { label2: l2 } : {}) };
          assert.equal(evpnRouteKey(other), evpnRouteKey(r));
        },
      ),
    );
  });

  it('names route types for logs', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map(evpnRouteTypeName), [
      'ethernet-ad',
      'mac-ip',
      'inclusive-multicast',
      'ethernet-segment',
      'ip-prefix',
    ]);
  });
});
