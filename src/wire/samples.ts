/**
 * Golden samples: one frame of every message and route type twinleaf speaks, built with our own
 * encoders, each with the field values tshark must read back from it.
 *
 * Used by `twinleaf wire samples --pcap FILE`, by the tshark test (an independent decoder must agree
 * with us, with no malformed packet or expert error), and as seeds for the fuzzer.
 */
import type { Mac, Vni } from './addr.js';
import { encodeArp, arpReply, arpRequest, decodeArp } from './arp.js';
import { encodeBfdControl, decodeBfdControl, BFD_CONTROL_PORT, type BfdControlPacket } from './bfd.js';
import {
  decodeEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV6,
  ETHERTYPE_QINQ,
  ETHERTYPE_SLOW_PROTOCOLS,
  ETHERTYPE_VLAN,
} from './ethernet.js';
import { decodeIcmp, encodeIcmp } from './icmp.js';
import { ipv6MulticastMac, solicitedNodeAddress } from './icmpv6.js';
import { IPPROTO_ICMP, IPPROTO_UDP } from './ipv4.js';
import { encodeIpv6 } from './ipv6.js';
import {
  LACP_DST_MAC,
  encodeSlowProtocols,
  decodeSlowProtocols,
  LACP_STATE_ACTIVITY,
  LACP_STATE_AGGREGATION,
  LACP_STATE_COLLECTING,
  LACP_STATE_DISTRIBUTING,
  LACP_STATE_SYNCHRONIZATION,
  LACP_STATE_TIMEOUT,
} from './lacp.js';
import { PcapWriter } from './pcap.js';
import { encodeUdp } from './udp.js';
import { decapsulateVxlan, encapsulateVxlan } from './vxlan.js';
import { bgpSamples } from './samples-bgp.js';
import { ethernet, ipv4Frame, ipv6Icmp, SAMPLE, udpFrame, type WireSample } from './sample-frames.js';

export type { WireSample } from './sample-frames.js';

const S = SAMPLE;
const BROADCAST = 'ff:ff:ff:ff:ff:ff' as Mac;

function l2l3Samples(): WireSample[] {
  const out: WireSample[] = [];
  const arpReq = ethernet(
    S.host1Mac,
    BROADCAST,
    ETHERTYPE_ARP,
    encodeArp(arpRequest(S.host1Mac, S.host1Ip, S.host2Ip)),
  );
  out.push({
    name: 'arp-request',
    description: `ARP who-has ${S.host2Ip} tell ${S.host1Ip} (broadcast)`,
    frame: arpReq,
    expect: { 'arp.opcode': ['1'], 'arp.src.hw_mac': [S.host1Mac], 'arp.dst.proto_ipv4': [S.host2Ip] },
    decode: () => decodeArp(decodeEthernet(arpReq).payload),
  });
  const arpRep = ethernet(
    S.host2Mac,
    S.host1Mac,
    ETHERTYPE_ARP,
    encodeArp(arpReply(S.host2Mac, S.host2Ip, S.host1Mac, S.host1Ip)),
  );
  out.push({
    name: 'arp-reply',
    description: `ARP ${S.host2Ip} is-at ${S.host2Mac}`,
    frame: arpRep,
    expect: { 'arp.opcode': ['2'], 'arp.src.hw_mac': [S.host2Mac], 'arp.src.proto_ipv4': [S.host2Ip] },
    decode: () => decodeArp(decodeEthernet(arpRep).payload),
  });
  const echo = encodeIcmp({
    kind: 'echo-request',
    id: 0x1234,
    seq: 1,
    data: new TextEncoder().encode('twinleaf ping payload'),
  });
  const tagged = ipv4Frame(S.host1Mac, S.host2Mac, S.host1Ip, S.host2Ip, IPPROTO_ICMP, echo, {
    vlans: [{ tpid: ETHERTYPE_VLAN, pcp: 3, dei: false, vid: 10 }],
  });
  out.push({
    name: 'icmp-echo-802.1q',
    description: 'ICMP echo request in 802.1Q VLAN 10, priority 3',
    frame: tagged,
    expect: {
      'vlan.id': ['10'],
      'vlan.priority': ['3'],
      'icmp.type': ['8'],
      'icmp.ident': ['4660'],
      'ip.checksum.status': ['1'],
    },
    decode: () => decodeEthernet(tagged),
  });
  const reply = encodeIcmp({
    kind: 'echo-reply',
    id: 0x1234,
    seq: 1,
    data: new TextEncoder().encode('twinleaf ping payload'),
  });
  const qinq = ipv4Frame(S.host2Mac, S.host1Mac, S.host2Ip, S.host1Ip, IPPROTO_ICMP, reply, {
    vlans: [
      { tpid: ETHERTYPE_QINQ, pcp: 0, dei: false, vid: 100 },
      { tpid: ETHERTYPE_VLAN, pcp: 0, dei: true, vid: 10 },
    ],
  });
  out.push({
    name: 'icmp-echo-reply-qinq',
    description: 'ICMP echo reply in 802.1ad S-tag 100 + 802.1Q C-tag 10',
    frame: qinq,
    expect: { 'ieee8021ad.id': ['100'], 'vlan.id': ['10'], 'icmp.type': ['0'] },
    decode: () => decodeIcmp(decodeEthernet(qinq).payload.subarray(20)),
  });
  const nsTarget = S.host2Ip6;
  const ns = ipv6Icmp(
    S.host1Mac,
    ipv6MulticastMac(solicitedNodeAddress(nsTarget)),
    S.host1Ip6,
    solicitedNodeAddress(nsTarget),
    {
      kind: 'neighbor-solicitation',
      target: nsTarget,
      options: [{ kind: 'source-link-layer-address', mac: S.host1Mac }],
    },
  );
  out.push({
    name: 'icmpv6-neighbor-solicitation',
    description: `NS for ${nsTarget} to its solicited-node group (ND suppression input)`,
    frame: ns,
    expect: {
      'icmpv6.type': ['135'],
      'icmpv6.nd.ns.target_address': [nsTarget],
      'icmpv6.opt.linkaddr': [S.host1Mac],
      'icmpv6.checksum.status': ['1'],
    },
    decode: () => decodeEthernet(ns),
  });
  const na = ipv6Icmp(S.host2Mac, S.host1Mac, S.host2Ip6, S.host1Ip6, {
    kind: 'neighbor-advertisement',
    router: false,
    solicited: true,
    override: true,
    target: S.host2Ip6,
    options: [{ kind: 'target-link-layer-address', mac: S.host2Mac }],
  });
  out.push({
    name: 'icmpv6-neighbor-advertisement',
    description: `NA ${S.host2Ip6} is at ${S.host2Mac} (solicited, override)`,
    frame: na,
    expect: {
      'icmpv6.type': ['136'],
      'icmpv6.nd.na.target_address': [S.host2Ip6],
      'icmpv6.opt.linkaddr': [S.host2Mac],
      'icmpv6.checksum.status': ['1'],
    },
    decode: () => decodeEthernet(na),
  });
  const echo6 = ipv6Icmp(S.host1Mac, S.host2Mac, S.host1Ip6, S.host2Ip6, {
    kind: 'echo-request',
    id: 7,
    seq: 9,
    data: new Uint8Array([1, 2, 3, 4]),
  });
  out.push({
    name: 'icmpv6-echo-request',
    description: 'ICMPv6 echo request',
    frame: echo6,
    expect: { 'icmpv6.type': ['128'], 'icmpv6.echo.sequence_number': ['9'], 'icmpv6.checksum.status': ['1'] },
    decode: () => decodeEthernet(echo6),
  });
  const udp = udpFrame(
    S.host1Mac,
    S.host2Mac,
    S.host1Ip,
    S.host2Ip,
    40000,
    5001,
    new TextEncoder().encode('twinleaf flow seq=1'),
  );
  out.push({
    name: 'udp-ipv4',
    description: 'UDP datagram with checksum over the IPv4 pseudo-header',
    frame: udp,
    expect: { 'udp.dstport': ['5001'], 'udp.checksum.status': ['1'], 'ip.checksum.status': ['1'] },
    decode: () => decodeEthernet(udp),
  });
  const udp6payload = encodeUdp(
    { srcPort: 40001, dstPort: 5002, checksum: true, payload: new Uint8Array([9, 8, 7]) },
    S.host1Ip6,
    S.host2Ip6,
  );
  const udp6 = ethernet(
    S.host1Mac,
    S.host2Mac,
    ETHERTYPE_IPV6,
    encodeIpv6({
      trafficClass: 0,
      flowLabel: 0x12345,
      nextHeader: IPPROTO_UDP,
      hopLimit: 64,
      src: S.host1Ip6,
      dst: S.host2Ip6,
      payload: udp6payload,
    }),
  );
  out.push({
    name: 'udp-ipv6',
    description: 'UDP datagram over IPv6 (pseudo-header checksum)',
    frame: udp6,
    expect: { 'ipv6.flow': ['0x012345'], 'udp.dstport': ['5002'], 'udp.checksum.status': ['1'] },
    decode: () => decodeEthernet(udp6),
  });
  // VXLAN: the ARP request above, head-end replicated from leaf1 to leaf2 (seed 004's walk).
  const vx = encapsulateVxlan({
    innerFrame: arpReq,
    vni: S.vni,
    outerSrcMac: S.leaf1Mac,
    outerDstMac: S.leaf2Mac,
    outerSrcIp: S.leaf1Ip,
    outerDstIp: S.leaf2Ip,
  });
  out.push({
    name: 'vxlan-arp',
    description: `ARP request in VXLAN VNI ${S.vni}, ${S.leaf1Ip} → ${S.leaf2Ip} (UDP 4789, source port from the inner-flow hash)`,
    frame: vx,
    expect: {
      'vxlan.vni': [String(S.vni)],
      'udp.dstport': ['4789'],
      'arp.dst.proto_ipv4': [S.host2Ip],
      'ip.checksum.status': ['1'],
    },
    decode: () => decapsulateVxlan(vx),
  });
  const vxUdp = encapsulateVxlan({
    innerFrame: udp,
    vni: 200 as Vni,
    outerSrcMac: S.leaf2Mac,
    outerDstMac: S.leaf1Mac,
    outerSrcIp: S.leaf2Ip,
    outerDstIp: S.leaf1Ip,
    udpChecksum: true,
    dscp: 46,
  });
  out.push({
    name: 'vxlan-udp',
    description: 'UDP flow in VXLAN VNI 200 with outer UDP checksum and DSCP EF',
    frame: vxUdp,
    expect: { 'vxlan.vni': ['200'], 'ip.dsfield.dscp': ['46', '0'], 'udp.checksum.status': ['1', '1'] },
    decode: () => decapsulateVxlan(vxUdp),
  });
  return out;
}

function lacpBfdSamples(): WireSample[] {
  const out: WireSample[] = [];
  const state =
    LACP_STATE_ACTIVITY |
    LACP_STATE_TIMEOUT |
    LACP_STATE_AGGREGATION |
    LACP_STATE_SYNCHRONIZATION |
    LACP_STATE_COLLECTING |
    LACP_STATE_DISTRIBUTING;
  const mlagSystem = '02:00:00:00:aa:01' as Mac;
  const lacpdu = ethernet(
    S.leaf1Mac,
    LACP_DST_MAC,
    ETHERTYPE_SLOW_PROTOCOLS,
    encodeSlowProtocols({
      type: 'lacp',
      actor: { systemPriority: 32768, system: mlagSystem, key: 10, portPriority: 32768, port: 0x1001, state },
      partner: { systemPriority: 65534, system: S.host1Mac, key: 1, portPriority: 255, port: 1, state },
      collectorMaxDelay: 0,
    }),
  );
  out.push({
    name: 'lacpdu',
    description: 'LACPDU from an M-LAG leaf: the shared system id, in sync, collecting and distributing',
    frame: lacpdu,
    expect: {
      'lacp.actor.sysid': [mlagSystem],
      'lacp.actor.key': ['10'],
      'lacp.actor.port': ['4097'],
      'lacp.partner.sysid': [S.host1Mac],
    },
    decode: () => decodeSlowProtocols(decodeEthernet(lacpdu).payload),
  });
  const marker = ethernet(
    S.host1Mac,
    LACP_DST_MAC,
    ETHERTYPE_SLOW_PROTOCOLS,
    encodeSlowProtocols({
      type: 'marker',
      markerType: 'information',
      requesterPort: 1,
      requesterSystem: S.host1Mac,
      requesterTransactionId: 42,
    }),
  );
  out.push({
    name: 'lacp-marker',
    description: 'LACP Marker Information PDU',
    frame: marker,
    expect: { 'slow.subtype': ['0x02'], 'marker.requesterTransId': ['42'] },
    decode: () => decodeSlowProtocols(decodeEthernet(marker).payload),
  });
  const bfdUp: BfdControlPacket = {
    diagnostic: 0,
    state: 3,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    demand: false,
    detectMultiplier: 3,
    myDiscriminator: 0x11111111,
    yourDiscriminator: 0x22222222,
    desiredMinTxInterval: 10_000,
    requiredMinRxInterval: 10_000,
    requiredMinEchoRxInterval: 0,
  };
  const bfd = udpFrame(
    S.leaf1Mac,
    S.leaf2Mac,
    S.leaf1Ip,
    S.leaf2Ip,
    49152,
    BFD_CONTROL_PORT,
    encodeBfdControl(bfdUp),
    255,
  );
  out.push({
    name: 'bfd-up',
    description: 'BFD control packet, state Up, 10 ms intervals (M-LAG peer detection)',
    frame: bfd,
    expect: {
      'bfd.my_discriminator': ['0x11111111'],
      'bfd.your_discriminator': ['0x22222222'],
      'bfd.sta': ['0x03'],
    },
    decode: () => decodeBfdControl(encodeBfdControl(bfdUp)),
  });
  const bfdAuth: BfdControlPacket = {
    ...bfdUp,
    state: 1,
    yourDiscriminator: 0,
    diagnostic: 1,
    auth: { type: 'keyed-sha1', keyId: 1, sequence: 77, digest: new Uint8Array(20).fill(0xab) },
  };
  const bfd2 = udpFrame(
    S.leaf2Mac,
    S.leaf1Mac,
    S.leaf2Ip,
    S.leaf1Ip,
    49153,
    BFD_CONTROL_PORT,
    encodeBfdControl(bfdAuth),
    255,
  );
  out.push({
    name: 'bfd-down-keyed-sha1',
    description: 'BFD control packet, state Down (detection time expired), keyed SHA1 authentication',
    frame: bfd2,
    expect: {
      'bfd.my_discriminator': ['0x11111111'],
      'bfd.auth.type': ['4'],
      'bfd.auth.seq_num': ['0x0000004d'],
    },
    decode: () => decodeBfdControl(encodeBfdControl(bfdAuth)),
  });
  return out;
}

/** Every golden sample, in a stable order. */
export function buildWireSamples(): WireSample[] {
  return [...l2l3Samples(), ...bgpSamples(), ...lacpBfdSamples()];
}

/** The samples as one pcap file, 1 ms apart. */
export function samplesPcap(samples: readonly WireSample[]): Uint8Array {
  const w = new PcapWriter();
  samples.forEach((s, i) => w.add((i + 1) * 1_000_000, s.frame));
  return w.finish();
}

export function describeSample(s: WireSample): unknown {
  return s.decode();
}
