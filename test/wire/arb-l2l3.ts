/**
 * fast-check arbitraries for the L2/L3/L4 codecs (Ethernet, ARP, IPv4, IPv6, ICMP, ICMPv6, UDP,
 * TCP, VXLAN), plus two small helpers their tests share. Every variant the codecs support is
 * generated and every generated value is valid, so it encodes. UDP/TCP/ICMPv6 need the IP
 * addresses for their checksum, so their arbitraries come as `{ value, src, dst }` cases.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  ipv4FromBytes,
  ipv6FromBytes,
  macFromBytes,
  type IpAddress,
  type Ipv4Address,
  type Ipv6Address,
  type Mac,
  type Vni,
} from '../../src/wire/addr.js';
import { toHex } from '../../src/wire/bytes.js';
import { WireError, type WireErrorKind } from '../../src/wire/errors.js';
import type { ArpPacket } from '../../src/wire/arp.js';
import {
  encodeEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_VLAN,
  isVlanTpid,
  type EthernetFrame,
  type VlanTag,
} from '../../src/wire/ethernet.js';
import type { IcmpMessage } from '../../src/wire/icmp.js';
import type { Icmpv6Message, NdOption } from '../../src/wire/icmpv6.js';
import { encodeIpv4, IPPROTO_TCP, IPPROTO_UDP, type Ipv4Packet } from '../../src/wire/ipv4.js';
import { encodeIpv6, type Ipv6Packet } from '../../src/wire/ipv6.js';
import { encodeTcp, type TcpSegment } from '../../src/wire/tcp.js';
import { encodeUdp, UDP_PORT_VXLAN, type UdpDatagram } from '../../src/wire/udp.js';
import type { VxlanEncapsulation, VxlanPacket } from '../../src/wire/vxlan.js';
import { FuzzRng, mutate } from './fuzz-lib.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u24 = fc.integer({ min: 0, max: 0xffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const rec = { noNullPrototype: true } as const;

export const arbPayload: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 120 });

// ---------- addresses ----------

export const arbMac: fc.Arbitrary<Mac> = fc
  .uint8Array({ minLength: 6, maxLength: 6 })
  .map((b) => macFromBytes(b));

export const arbIpv4Address: fc.Arbitrary<Ipv4Address> = fc
  .uint8Array({ minLength: 4, maxLength: 4 })
  .map((b) => ipv4FromBytes(b));

/** Groups are often zero so that `::` compression is exercised. */
export const arbIpv6Address: fc.Arbitrary<Ipv6Address> = fc
  .array(fc.oneof(fc.constant(0), u16), { minLength: 8, maxLength: 8 })
  .map((groups) => {
    const b = new Uint8Array(16);
    groups.forEach((g, i) => {
      b[i * 2] = g >> 8;
      b[i * 2 + 1] = g & 0xff;
    });
    return ipv6FromBytes(b);
  });

export const arbVni: fc.Arbitrary<Vni> = fc.oneof(
  u24,
  fc.constantFrom(0, 1, 100, 10_100, 0xffffff),
) as fc.Arbitrary<number> as fc.Arbitrary<Vni>;

/** Source and destination of one family (what UDP/TCP checksums are computed over). */
export const arbIpPair: fc.Arbitrary<{ src: IpAddress; dst: IpAddress }> = fc.oneof(
  fc.record({ src: arbIpv4Address, dst: arbIpv4Address }, rec),
  fc.record({ src: arbIpv6Address, dst: arbIpv6Address }, rec),
);

// ---------- Ethernet ----------

export const arbVlanTag: fc.Arbitrary<VlanTag> = fc.record(
  {
    tpid: fc.constantFrom(ETHERTYPE_VLAN, ETHERTYPE_QINQ),
    pcp: fc.integer({ min: 0, max: 7 }),
    dei: fc.boolean(),
    vid: fc.integer({ min: 0, max: 0xfff }),
  },
  rec,
);

export const arbEtherType: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(ETHERTYPE_IPV4, ETHERTYPE_ARP, ETHERTYPE_IPV6, 0x8809, 0x88cc, 0x0026),
  u16.filter((t) => !isVlanTpid(t)),
);

export const arbEthernetFrame: fc.Arbitrary<EthernetFrame> = fc.record(
  {
    dst: arbMac,
    src: arbMac,
    vlans: fc.array(arbVlanTag, { maxLength: 2 }),
    etherType: arbEtherType,
    payload: arbPayload,
  },
  rec,
);

// ---------- ARP ----------

export const arbArpPacket: fc.Arbitrary<ArpPacket> = fc.record(
  {
    op: fc.oneof(fc.constantFrom(1, 2), u16),
    sha: arbMac,
    spa: arbIpv4Address,
    tha: arbMac,
    tpa: arbIpv4Address,
  },
  rec,
);

// ---------- IPv4 / IPv6 ----------

export const arbIpv4Packet: fc.Arbitrary<Ipv4Packet> = fc.record(
  {
    dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }),
    id: u16,
    dontFragment: fc.boolean(),
    moreFragments: fc.boolean(),
    fragmentOffset: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0x1fff })),
    ttl: u8,
    protocol: fc.oneof(fc.constantFrom(1, 6, 17), u8),
    src: arbIpv4Address,
    dst: arbIpv4Address,
    options: fc
      .integer({ min: 0, max: 10 })
      .chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })),
    payload: arbPayload,
  },
  rec,
);

export const arbIpv6Packet: fc.Arbitrary<Ipv6Packet> = fc.record(
  {
    trafficClass: u8,
    flowLabel: fc.integer({ min: 0, max: 0xfffff }),
    nextHeader: fc.oneof(fc.constantFrom(0, 6, 17, 44, 58, 59), u8),
    hopLimit: u8,
    src: arbIpv6Address,
    dst: arbIpv6Address,
    payload: arbPayload,
  },
  rec,
);

// ---------- ICMP ----------

export const arbIcmpMessage: fc.Arbitrary<IcmpMessage> = fc.oneof(
  fc.record(
    {
      kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const),
      id: u16,
      seq: u16,
      data: arbPayload,
    },
    rec,
  ),
  fc
    .record({ kind: fc.constant('other' as const), type: u8, code: u8, rest: arbPayload }, rec)
    .filter((m) => !(m.code === 0 && (m.type === 0 || m.type === 8))),
);

// ---------- ICMPv6 ----------

export const arbNdOption: fc.Arbitrary<NdOption> = fc.oneof(
  fc.record(
    {
      kind: fc.constantFrom('source-link-layer-address' as const, 'target-link-layer-address' as const),
      mac: arbMac,
    },
    rec,
  ),
  fc
    .record(
      {
        kind: fc.constant('unknown' as const),
        type: fc.oneof(fc.constantFrom(1, 2, 3, 5, 14), u8),
        data: fc
          .integer({ min: 1, max: 4 })
          .chain((units) => fc.uint8Array({ minLength: units * 8 - 2, maxLength: units * 8 - 2 })),
      },
      rec,
    )
    .filter((o) => !((o.type === 1 || o.type === 2) && o.data.length === 6)),
);

const arbNdOptions = fc.array(arbNdOption, { maxLength: 3 });
const DECODED_ICMPV6_TYPES = [128, 129, 135, 136];

export const arbIcmpv6Message: fc.Arbitrary<Icmpv6Message> = fc.oneof(
  fc.record(
    {
      kind: fc.constantFrom('echo-request' as const, 'echo-reply' as const),
      id: u16,
      seq: u16,
      data: arbPayload,
    },
    rec,
  ),
  fc.record(
    { kind: fc.constant('neighbor-solicitation' as const), target: arbIpv6Address, options: arbNdOptions },
    rec,
  ),
  fc.record(
    {
      kind: fc.constant('neighbor-advertisement' as const),
      router: fc.boolean(),
      solicited: fc.boolean(),
      override: fc.boolean(),
      target: arbIpv6Address,
      options: arbNdOptions,
    },
    rec,
  ),
  fc
    .record(
      {
        kind: fc.constant('other' as const),
        type: fc.oneof(fc.constantFrom(1, 2, 3, 133, 134, 135), u8),
        code: u8,
        rest: arbPayload,
      },
      rec,
    )
    .filter((m) => !(m.code === 0 && DECODED_ICMPV6_TYPES.includes(m.type))),
);

export const arbIcmpv6Case: fc.Arbitrary<{ message: Icmpv6Message; src: Ipv6Address; dst: Ipv6Address }> =
  fc.record({ message: arbIcmpv6Message, src: arbIpv6Address, dst: arbIpv6Address }, rec);

// ---------- UDP / TCP ----------

const arbPort = fc.oneof(fc.constantFrom(9, 53, 179, 3784, 4789, 49152, 65535), u16);

export const arbUdpCase: fc.Arbitrary<{ datagram: UdpDatagram; src: IpAddress; dst: IpAddress }> = fc
  .record(
    {
      datagram: fc.record(
        { srcPort: arbPort, dstPort: arbPort, checksum: fc.boolean(), payload: arbPayload },
        rec,
      ),
      pair: arbIpPair,
    },
    rec,
  )
  .map(({ datagram, pair }) => {
    // RFC 6935: over IPv6 a zero checksum is only valid to the VXLAN port.
    const v6NoChecksum = !datagram.checksum && pair.src.includes(':');
    return {
      datagram: v6NoChecksum ? { ...datagram, dstPort: UDP_PORT_VXLAN } : datagram,
      src: pair.src,
      dst: pair.dst,
    };
  });

export const arbTcpSegment: fc.Arbitrary<TcpSegment> = fc.record(
  {
    srcPort: arbPort,
    dstPort: arbPort,
    seq: u32,
    ack: u32,
    flags: fc.oneof(fc.constantFrom(0x02, 0x12, 0x10, 0x18, 0x11, 0x04), fc.integer({ min: 0, max: 0xfff })),
    window: u16,
    urgentPointer: u16,
    options: fc
      .integer({ min: 0, max: 10 })
      .chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 })),
    payload: arbPayload,
  },
  rec,
);

export const arbTcpCase: fc.Arbitrary<{ segment: TcpSegment; src: IpAddress; dst: IpAddress }> = fc
  .record({ segment: arbTcpSegment, pair: arbIpPair }, rec)
  .map(({ segment, pair }) => ({ segment, src: pair.src, dst: pair.dst }));

// ---------- VXLAN ----------

export const arbVxlanPacket: fc.Arbitrary<VxlanPacket> = fc.record(
  {
    vni: arbVni,
    reservedFlags: fc.oneof(
      fc.constant(0),
      u8.map((b) => b & 0xf7),
    ),
    reserved1: fc.oneof(fc.constant(0), u24),
    reserved2: fc.oneof(fc.constant(0), u8),
    innerFrame: arbPayload,
  },
  rec,
);

/** Inner frames as a VTEP sees them: Ethernet with IPv4/IPv6 and TCP/UDP inside, or other L2. */
export const arbInnerFrame: fc.Arbitrary<Uint8Array> = fc.oneof(
  // IPv4 / UDP or TCP, possibly tagged.
  fc
    .record(
      {
        eth: arbEthernetFrame,
        ip: arbIpv4Packet,
        udp: arbUdpCase.map((c) => c.datagram),
        tcp: arbTcpSegment,
        useTcp: fc.boolean(),
      },
      rec,
    )
    .map(({ eth, ip, udp, tcp, useTcp }) => {
      const l4 = useTcp
        ? encodeTcp(tcp, ip.src, ip.dst)
        : encodeUdp({ ...udp, checksum: true }, ip.src, ip.dst);
      const packet = encodeIpv4({ ...ip, protocol: useTcp ? IPPROTO_TCP : IPPROTO_UDP, payload: l4 });
      return encodeEthernet({ ...eth, etherType: ETHERTYPE_IPV4, payload: packet });
    }),
  // IPv6 / UDP.
  fc
    .record({ eth: arbEthernetFrame, ip: arbIpv6Packet, udp: arbUdpCase.map((c) => c.datagram) }, rec)
    .map(({ eth, ip, udp }) => {
      const l4 = encodeUdp({ ...udp, checksum: true }, ip.src, ip.dst);
      return encodeEthernet({
        ...eth,
        etherType: ETHERTYPE_IPV6,
        payload: encodeIpv6({ ...ip, nextHeader: IPPROTO_UDP, payload: l4 }),
      });
    }),
  // Anything else: ARP, LLDP, garbage after a valid Ethernet header.
  arbEthernetFrame.map((f) => encodeEthernet(f)).filter((b) => b.length >= 14),
);

export const arbVxlanEncapsulation: fc.Arbitrary<VxlanEncapsulation> = fc.record(
  {
    innerFrame: arbInnerFrame,
    vni: arbVni,
    outerSrcMac: arbMac,
    outerDstMac: arbMac,
    outerSrcIp: arbIpv4Address,
    outerDstIp: arbIpv4Address,
    ttl: u8,
    dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }),
    dontFragment: fc.boolean(),
    udpChecksum: fc.boolean(),
  },
  { ...rec, requiredKeys: ['innerFrame', 'vni', 'outerSrcMac', 'outerDstMac', 'outerSrcIp', 'outerDstIp'] },
);

// ---------- helpers shared by the L2/L3 tests ----------

/** Runs `f`, asserts it threw a WireError of `kind` (and `field` if given) and returns it. */
export function expectWireError(f: () => unknown, kind: WireErrorKind, field?: string): WireError {
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

/**
 * Every truncation of every seed, and `mutations` random mutations of them (fuzz-lib's mutator),
 * must decode to a value or throw a WireError; anything else fails with the input in hex.
 */
export function assertOnlyWireErrors(
  decode: (buf: Uint8Array) => unknown,
  seeds: readonly Uint8Array[],
  mutations = 3000,
  seed = 0x5eed,
): void {
  const tryOne = (input: Uint8Array): void => {
    try {
      decode(input);
    } catch (e) {
      if (!(e instanceof WireError)) {
        assert.fail(`non-WireError ${String(e)} for input ${toHex(input)}`);
      }
    }
  };
  for (const s of seeds) for (let n = 0; n <= s.length; n++) tryOne(s.subarray(0, n));
  const rng = new FuzzRng(seed);
  for (let i = 0; i < mutations; i++) tryOne(mutate(rng, seeds));
}

/** A copy of `buf` with the octet at `at` replaced. */
export function withByte(buf: Uint8Array, at: number, value: number): Uint8Array {
  const out = buf.slice();
  out[at] = value;
  return out;
}
