/**
 * Every wire decoder as a fuzz target, seeded with valid encodings drawn from the codecs' own
 * fast-check arbitraries (fixed seed, so runs are reproducible).
 */
import fc from 'fast-check';
import type { Ipv4Address, Ipv6Address } from '../../src/wire/addr.js';
import { decodeArp, encodeArp } from '../../src/wire/arp.js';
import { decodeBfdControl, encodeBfdControl } from '../../src/wire/bfd.js';
import { decodeExtendedCommunity, encodeExtendedCommunity } from '../../src/wire/bgp-community.js';
import { decodeUpdateBody, encodeUpdateBody } from '../../src/wire/bgp-update.js';
import { decodeEthernet, encodeEthernet } from '../../src/wire/ethernet.js';
import { decodeIcmp, encodeIcmp } from '../../src/wire/icmp.js';
import { decodeIcmpv6, encodeIcmpv6 } from '../../src/wire/icmpv6.js';
import { decodeIpv4, encodeIpv4 } from '../../src/wire/ipv4.js';
import { decodeIpv6, encodeIpv6 } from '../../src/wire/ipv6.js';
import { decodeSlowProtocols, encodeSlowProtocols } from '../../src/wire/lacp.js';
import { MlagFrameDecoder, decodeMlagMessage, encodeMlagMessage } from '../../src/wire/mlag.js';
import { encodePcap, readPcap } from '../../src/wire/pcap.js';
import { buildWireSamples } from '../../src/wire/samples.js';
import { concatBytes } from '../../src/wire/bytes.js';
import { decodeTcp, encodeTcp } from '../../src/wire/tcp.js';
import { decodeUdp, encodeUdp } from '../../src/wire/udp.js';
import { decapsulateVxlan, decodeVxlan, encapsulateVxlan, encodeVxlan } from '../../src/wire/vxlan.js';
import { arbExtendedCommunity, arbUpdateMessage } from './arb-bgp-update.js';
import {
  arbArpPacket,
  arbEthernetFrame,
  arbIcmpMessage,
  arbIcmpv6Case,
  arbIpv4Packet,
  arbIpv6Packet,
  arbTcpCase,
  arbUdpCase,
  arbVxlanEncapsulation,
  arbVxlanPacket,
} from './arb-l2l3.js';
import { arbBfdControlPacket, arbSlowProtocolsPdu } from './arb-lacpbfd.js';
import { arbMlagMessage } from './arb-mlag.js';
import type { FuzzTarget } from './fuzz-lib.js';
import { extraFuzzTargets } from './fuzz-targets-bgp.js';

const SEEDS_PER_TARGET = 40;

export function sampleEncodings<T>(
  arb: fc.Arbitrary<T>,
  encode: (v: T) => Uint8Array,
  seed = 42,
): Uint8Array[] {
  return fc.sample(arb, { seed, numRuns: SEEDS_PER_TARGET }).map(encode);
}

// Transport checksums need the IP addresses; the fuzzer uses fixed ones and seeds made for them.
const V4_SRC = '10.0.0.1' as Ipv4Address;
const V4_DST = '10.0.0.2' as Ipv4Address;
const V6_SRC = '2001:db8::1' as Ipv6Address;
const V6_DST = '2001:db8::2' as Ipv6Address;

export function fuzzTargets(): FuzzTarget[] {
  const frames = buildWireSamples().map((s) => s.frame);
  return [
    {
      name: 'ethernet',
      decode: decodeEthernet,
      seeds: [...frames, ...sampleEncodings(arbEthernetFrame, encodeEthernet)],
    },
    { name: 'arp', decode: decodeArp, seeds: sampleEncodings(arbArpPacket, encodeArp) },
    { name: 'ipv4', decode: decodeIpv4, seeds: sampleEncodings(arbIpv4Packet, encodeIpv4) },
    { name: 'ipv6', decode: decodeIpv6, seeds: sampleEncodings(arbIpv6Packet, encodeIpv6) },
    { name: 'icmp', decode: decodeIcmp, seeds: sampleEncodings(arbIcmpMessage, encodeIcmp) },
    {
      name: 'icmpv6',
      decode: (b) => decodeIcmpv6(b, V6_SRC, V6_DST),
      seeds: sampleEncodings(arbIcmpv6Case, (c) => encodeIcmpv6(c.message, V6_SRC, V6_DST)),
    },
    {
      name: 'udp',
      decode: (b) => decodeUdp(b, V4_SRC, V4_DST),
      seeds: sampleEncodings(arbUdpCase, (c) => encodeUdp(c.datagram, V4_SRC, V4_DST)),
    },
    {
      name: 'tcp',
      decode: (b) => decodeTcp(b, V4_SRC, V4_DST),
      seeds: sampleEncodings(arbTcpCase, (c) => encodeTcp(c.segment, V4_SRC, V4_DST)),
    },
    { name: 'vxlan', decode: decodeVxlan, seeds: sampleEncodings(arbVxlanPacket, encodeVxlan) },
    {
      name: 'vxlan-decapsulate',
      decode: decapsulateVxlan,
      seeds: [...frames, ...sampleEncodings(arbVxlanEncapsulation, encapsulateVxlan)],
    },
    {
      name: 'bgp-update-body-4octet',
      decode: (b) => decodeUpdateBody(b, { fourOctetAs: true }),
      seeds: sampleEncodings(arbUpdateMessage({ fourOctetAs: true }), (m) =>
        encodeUpdateBody(m, { fourOctetAs: true }),
      ),
    },
    {
      name: 'bgp-update-body-2octet',
      decode: (b) => decodeUpdateBody(b, { fourOctetAs: false, ibgp: true }),
      seeds: sampleEncodings(arbUpdateMessage({ fourOctetAs: false }), (m) =>
        encodeUpdateBody(m, { fourOctetAs: false }),
      ),
    },
    {
      name: 'extended-community',
      decode: decodeExtendedCommunity,
      seeds: sampleEncodings(arbExtendedCommunity, encodeExtendedCommunity),
    },
    {
      name: 'slow-protocols',
      decode: decodeSlowProtocols,
      seeds: sampleEncodings(arbSlowProtocolsPdu, encodeSlowProtocols),
    },
    { name: 'bfd', decode: decodeBfdControl, seeds: sampleEncodings(arbBfdControlPacket, encodeBfdControl) },
    { name: 'mlag', decode: decodeMlagMessage, seeds: sampleEncodings(arbMlagMessage, encodeMlagMessage) },
    {
      // The peer-link stream cut in two: the framer must never buffer a bogus length or throw
      // anything but a WireError.
      name: 'mlag-stream',
      decode: (b) => {
        const d = new MlagFrameDecoder();
        const out = [...d.push(b.subarray(0, b.length >> 1)), ...d.push(b.subarray(b.length >> 1))];
        return out.map(decodeMlagMessage);
      },
      seeds: [0, 1, 2, 3].map((i) =>
        concatBytes(sampleEncodings(arbMlagMessage, encodeMlagMessage, 100 + i).slice(0, 6)),
      ),
    },
    {
      name: 'pcap',
      decode: readPcap,
      seeds: [encodePcap(frames.slice(0, 3).map((data, i) => ({ timestampNs: i * 1000, data })))],
    },
    ...extraFuzzTargets(),
  ];
}
