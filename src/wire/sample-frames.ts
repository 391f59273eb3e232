/**
 * Frame builders and the addressing plan shared by the golden samples (samples.ts, samples-bgp.ts):
 * whole Ethernet frames, padded like a NIC would, with valid checksums.
 */
import type { IpAddress, Ipv4Address, Ipv6Address, Mac, Vni } from './addr.js';
import {
  encodeEthernet,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  padEthernetFrame,
  type VlanTag,
} from './ethernet.js';
import { encodeIcmpv6, ND_HOP_LIMIT, type Icmpv6Message } from './icmpv6.js';
import { encodeIpv4, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from './ipv4.js';
import { encodeIpv6 } from './ipv6.js';
import { encodeTcp, TCP_FLAG_ACK, TCP_FLAG_PSH } from './tcp.js';
import { encodeUdp } from './udp.js';

export interface WireSample {
  readonly name: string;
  readonly description: string;
  /** The whole Ethernet frame. */
  readonly frame: Uint8Array;
  /** tshark field → the values it must show for this frame (all of them, in order). */
  readonly expect: Readonly<Record<string, readonly string[]>>;
  /** Our own decoding of the interesting layer, for display. */
  readonly decode: () => unknown;
}

// Addresses used throughout the samples: two leaves (VTEPs) and two hosts in VNI 100.
export const SAMPLE = {
  leaf1Mac: '0c:00:00:00:01:01' as Mac,
  leaf2Mac: '0c:00:00:00:02:01' as Mac,
  leaf1Ip: '10.0.0.1' as Ipv4Address,
  leaf2Ip: '10.0.0.2' as Ipv4Address,
  host1Mac: '00:00:5e:00:01:11' as Mac,
  host2Mac: '00:00:5e:00:01:12' as Mac,
  host1Ip: '10.1.0.11' as Ipv4Address,
  host2Ip: '10.1.0.12' as Ipv4Address,
  host1Ip6: '2001:db8:1::11' as Ipv6Address,
  host2Ip6: '2001:db8:1::12' as Ipv6Address,
  vni: 100 as Vni,
  asn: 65001,
  peerAsn: 65002,
} as const;

export function ethernet(
  src: Mac,
  dst: Mac,
  etherType: number,
  payload: Uint8Array,
  vlans: readonly VlanTag[] = [],
): Uint8Array {
  return padEthernetFrame(encodeEthernet({ dst, src, vlans, etherType, payload }));
}

export function ipv4Frame(
  srcMac: Mac,
  dstMac: Mac,
  src: Ipv4Address,
  dst: Ipv4Address,
  protocol: number,
  payload: Uint8Array,
  options: { ttl?: number; vlans?: readonly VlanTag[]; id?: number; dscp?: number } = {},
): Uint8Array {
  const packet = encodeIpv4({
    dscp: options.dscp ?? 0,
    ecn: 0,
    id: options.id ?? 1,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: options.ttl ?? 64,
    protocol,
    src,
    dst,
    options: new Uint8Array(0),
    payload,
  });
  return ethernet(srcMac, dstMac, ETHERTYPE_IPV4, packet, options.vlans ?? []);
}

/** An IPv4 or IPv6 packet (by the addresses' family) carrying `payload` of `protocol`, in a frame. */
export function ipFrame(
  srcMac: Mac,
  dstMac: Mac,
  src: IpAddress,
  dst: IpAddress,
  protocol: number,
  payload: Uint8Array,
  options: { ttl?: number; dscp?: number } = {},
): Uint8Array {
  if (!src.includes(':'))
    return ipv4Frame(srcMac, dstMac, src as Ipv4Address, dst as Ipv4Address, protocol, payload, options);
  const packet = encodeIpv6({
    trafficClass: (options.dscp ?? 0) << 2,
    flowLabel: 0,
    nextHeader: protocol,
    hopLimit: options.ttl ?? 64,
    src: src as Ipv6Address,
    dst: dst as Ipv6Address,
    payload,
  });
  return ethernet(srcMac, dstMac, ETHERTYPE_IPV6, packet);
}

export function udpFrame(
  srcMac: Mac,
  dstMac: Mac,
  src: Ipv4Address,
  dst: Ipv4Address,
  srcPort: number,
  dstPort: number,
  payload: Uint8Array,
  ttl = 64,
): Uint8Array {
  const udp = encodeUdp({ srcPort, dstPort, checksum: true, payload }, src, dst);
  return ipv4Frame(srcMac, dstMac, src, dst, IPPROTO_UDP, udp, { ttl });
}

/**
 * A one-direction TCP byte stream between two BGP speakers, one segment per message, with the
 * sequence numbers a real capture would have (so tshark reassembles and dissects BGP).
 */
export class TcpStream {
  private seq = 1_000_000;
  constructor(
    private readonly srcMac: Mac,
    private readonly dstMac: Mac,
    private readonly src: Ipv4Address,
    private readonly dst: Ipv4Address,
    private readonly srcPort: number,
    private readonly dstPort: number,
  ) {}

  segment(payload: Uint8Array): Uint8Array {
    const tcp = encodeTcp(
      {
        srcPort: this.srcPort,
        dstPort: this.dstPort,
        seq: this.seq,
        ack: 2_000_000,
        flags: TCP_FLAG_PSH | TCP_FLAG_ACK,
        window: 65535,
        urgentPointer: 0,
        options: new Uint8Array(0),
        payload,
      },
      this.src,
      this.dst,
    );
    this.seq = (this.seq + payload.length) >>> 0;
    return ipv4Frame(this.srcMac, this.dstMac, this.src, this.dst, IPPROTO_TCP, tcp, { ttl: 255 });
  }
}

export function ipv6Icmp(
  srcMac: Mac,
  dstMac: Mac,
  src: Ipv6Address,
  dst: Ipv6Address,
  msg: Icmpv6Message,
): Uint8Array {
  const payload = encodeIcmpv6(msg, src, dst);
  const packet = encodeIpv6({
    trafficClass: 0,
    flowLabel: 0,
    nextHeader: IPPROTO_ICMPV6,
    hopLimit: ND_HOP_LIMIT,
    src,
    dst,
    payload,
  });
  return ethernet(srcMac, dstMac, ETHERTYPE_IPV6, packet);
}
