/**
 * Golden BGP samples: every message type, every path attribute twinleaf knows, every EVPN route
 * type (RFC 7432, RFC 9136), RD type, ESI type and EVPN extended community, each in its own TCP
 * segment to port 179 so tshark dissects it as BGP.
 */
import type { Asn, IpAddress, Ipv4Address, Mac } from './addr.js';
import {
  AFI_IPV4,
  AFI_L2VPN,
  BGP_ERR_CEASE,
  BGP_ERR_OPEN_MESSAGE,
  BGP_PORT,
  CEASE_ADMINISTRATIVE_SHUTDOWN,
  OPEN_ERR_BAD_PEER_AS,
  SAFI_EVPN,
  SAFI_RT_CONSTRAINT,
  SAFI_UNICAST,
  decodeBgpMessage,
  encodeBgpMessage,
  type BgpMessage,
  type BgpMessageOptions,
} from './bgp-message.js';
import {
  BGP_ENCAP_TYPE_VXLAN,
  EVPN_DF_ALG_HRW,
  COMMUNITY_NO_EXPORT,
  extendedCommunityToBytes,
  parseRouteTarget,
  type ExtendedCommunity,
} from './bgp-community.js';
import {
  endOfRib,
  rtMembership,
  PMSI_TUNNEL_TYPE_INGRESS_REPLICATION,
  type PathAttribute,
  type UpdateMessage,
} from './bgp-update.js';
import { toHex, Writer } from './bytes.js';
import { esiFromFields, writeRd, type Esi, type EvpnRoute, type RouteDistinguisher } from './evpn.js';
import { SAMPLE as S, TcpStream, type WireSample } from './sample-frames.js';

const OPTIONS: BgpMessageOptions = { fourOctetAs: true };

/** tshark shows an RD as its 8 octets in hex. */
function rdHex(rd: RouteDistinguisher): string {
  const w = new Writer(8);
  writeRd(w, rd);
  return toHex(w.finish());
}

/** tshark reads an EVPN label field as a 20-bit MPLS label (the high bits of the 24-bit VNI). */
function mplsView(labelField: number): string {
  return String(labelField >> 4);
}

const RD_IP: RouteDistinguisher = { type: 1, ip: S.leaf1Ip, assigned: 100 };
const RD_AS2: RouteDistinguisher = { type: 0, asn: 65001, assigned: 100 };
const RD_AS4: RouteDistinguisher = { type: 2, asn: 4200000001, assigned: 7 };
const ROUTER_MAC = '0c:00:00:00:01:ff' as Mac;
const ESI_LACP: Esi = esiFromFields({ type: 1, systemMac: '02:00:00:00:aa:01' as Mac, portKey: 10 });

const RT_AS2: ExtendedCommunity = { kind: 'route-target', format: 'as2', asn: 65001 as Asn, value: 100 };
const RT_AS4: ExtendedCommunity = {
  kind: 'route-target',
  format: 'as4',
  asn: 4200000001 as Asn,
  value: 5000,
};
const RT_IP: ExtendedCommunity = { kind: 'route-target', format: 'ipv4', address: S.leaf1Ip, value: 100 };
const VXLAN_ENCAP: ExtendedCommunity = { kind: 'encapsulation', tunnelType: BGP_ENCAP_TYPE_VXLAN };

function evpnUpdate(
  routes: readonly EvpnRoute[],
  communities: readonly ExtendedCommunity[],
  extra: readonly PathAttribute[] = [],
): UpdateMessage {
  return {
    type: 'update',
    withdrawn: [],
    attributes: [
      { type: 'origin', origin: 'igp' },
      { type: 'as-path', segments: [{ kind: 'sequence', asns: [S.asn as Asn] }] },
      {
        type: 'mp-reach-nlri',
        afi: AFI_L2VPN,
        safi: SAFI_EVPN,
        nextHop: { kind: 'ip', address: S.leaf1Ip },
        nlri: { kind: 'evpn', routes },
      },
      { type: 'extended-communities', communities },
      ...extra,
    ],
    nlri: [],
  };
}

interface BgpCase {
  readonly name: string;
  readonly description: string;
  readonly message: BgpMessage;
  readonly expect: Readonly<Record<string, readonly string[]>>;
}

function cases(): BgpCase[] {
  const out: BgpCase[] = [];
  out.push({
    name: 'bgp-open',
    description:
      'OPEN with multiprotocol (IPv4 unicast, L2VPN EVPN), route refresh, 4-octet AS, graceful restart, ADD-PATH, FQDN',
    message: {
      type: 'open',
      version: 4,
      myAs: S.asn,
      holdTime: 9,
      bgpId: S.leaf1Ip,
      optionalParameters: [
        {
          type: 'capabilities',
          capabilities: [
            { type: 'multiprotocol', afi: AFI_IPV4, safi: SAFI_UNICAST },
            { type: 'multiprotocol', afi: AFI_L2VPN, safi: SAFI_EVPN },
            { type: 'route-refresh' },
            { type: 'enhanced-route-refresh' },
            { type: 'four-octet-as', asn: S.asn },
            { type: 'extended-message' },
            {
              type: 'graceful-restart',
              restartState: false,
              notification: true,
              restartTime: 120,
              families: [{ afi: AFI_L2VPN, safi: SAFI_EVPN, forwardingState: true }],
            },
            { type: 'add-path', families: [{ afi: AFI_L2VPN, safi: SAFI_EVPN, sendReceive: 1 }] },
            { type: 'fqdn', hostname: 'leaf1', domain: 'twinleaf.lab' },
          ],
        },
      ],
    },
    expect: {
      'bgp.type': ['1'],
      'bgp.open.myas': [String(S.asn)],
      'bgp.open.identifier': [S.leaf1Ip],
      'bgp.cap.mp.afi': ['1', '25'],
      'bgp.cap.mp.safi': ['1', '70'],
      'bgp.cap.4as': [String(S.asn)],
      'bgp.cap.gr.timers.restart_time': ['120'],
      'bgp.cap.orf.fqdn.hostname': ['leaf1'],
    },
  });
  out.push({
    name: 'bgp-keepalive',
    description: 'KEEPALIVE',
    message: { type: 'keepalive' },
    expect: { 'bgp.type': ['4'] },
  });
  out.push({
    name: 'bgp-update-ipv4',
    description:
      'IPv4 unicast UPDATE with every RFC 4271 attribute, communities, route-reflector attributes, an unknown transitive',
    message: {
      type: 'update',
      withdrawn: [{ prefix: '192.0.2.0' as Ipv4Address, length: 24 }],
      attributes: [
        { type: 'origin', origin: 'incomplete' },
        {
          type: 'as-path',
          segments: [
            { kind: 'sequence', asns: [65001 as Asn, 4200000001 as Asn] },
            { kind: 'set', asns: [65010 as Asn, 65011 as Asn] },
          ],
        },
        { type: 'next-hop', nextHop: S.leaf1Ip },
        { type: 'med', med: 50 },
        { type: 'local-pref', localPref: 200 },
        { type: 'atomic-aggregate' },
        { type: 'aggregator', asn: 65001 as Asn, address: S.leaf1Ip },
        { type: 'communities', communities: [65001 * 65536 + 100, COMMUNITY_NO_EXPORT] },
        { type: 'originator-id', originatorId: S.leaf2Ip },
        { type: 'cluster-list', clusterIds: ['10.255.0.1' as Ipv4Address] },
        {
          type: 'large-communities',
          communities: [{ globalAdmin: 4200000001, localData1: 1, localData2: 2 }],
        },
        { type: 'unknown', code: 99, flags: 0xc0, data: new Uint8Array([0xde, 0xad, 0xbe, 0xef]) },
      ],
      nlri: [
        { prefix: '10.1.0.0' as Ipv4Address, length: 16 },
        { prefix: '10.2.3.0' as Ipv4Address, length: 24 },
      ],
    },
    expect: {
      'bgp.type': ['2'],
      'bgp.update.path_attribute.origin': ['2'],
      'bgp.update.path_attribute.next_hop': [S.leaf1Ip],
      'bgp.update.path_attribute.local_pref': ['200'],
      'bgp.update.path_attribute.multi_exit_disc': ['50'],
      'bgp.update.path_attribute.originator_id': [S.leaf2Ip],
      'bgp.mp_reach_nlri_ipv4_prefix': [],
    },
  });
  // EVPN Type-1 (per-EVI A-D) for an LACP-derived ESI (type 1) with the ESI label community.
  out.push({
    name: 'evpn-type1-esi-lacp',
    description: 'EVPN Type-1 Ethernet A-D, ESI type 1 (LACP system MAC + port key), ESI label',
    message: evpnUpdate(
      [{ type: 'ethernet-ad', routeType: 1, rd: RD_IP, esi: ESI_LACP, ethernetTag: 0xffffffff, label: 0 }],
      [RT_AS2, VXLAN_ENCAP, { kind: 'esi-label', singleActive: false, label: 0 }],
    ),
    expect: {
      'bgp.evpn.nlri.rt': ['1'],
      'bgp.evpn.nlri.rd': [rdHex(RD_IP)],
      'bgp.evpn.nlri.esi': [ESI_LACP],
      'bgp.evpn.nlri.esi.type': ['1'],
      'bgp.evpn.nlri.esi.lacp_mac': ['02:00:00:00:aa:01'],
      'bgp.evpn.nlri.esi.lacp_portkey': ['10'],
      'bgp.evpn.nlri.etag': ['4294967295'],
    },
  });
  // ESI types 0, 2, 3, 4, 5 on Type-1 routes, one per route.
  const esis: Esi[] = [
    esiFromFields({ type: 0, value: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) }),
    esiFromFields({ type: 2, rootBridgeMac: '02:00:00:00:bb:01' as Mac, rootBridgePriority: 32768 }),
    esiFromFields({ type: 3, systemMac: '02:00:00:00:cc:01' as Mac, localDiscriminator: 0x123456 }),
    esiFromFields({ type: 4, routerId: S.leaf1Ip, localDiscriminator: 7 }),
    esiFromFields({ type: 5, asn: 65001, localDiscriminator: 8 }),
  ];
  out.push({
    name: 'evpn-type1-esi-types',
    description: 'EVPN Type-1 routes with ESI types 0, 2, 3, 4 and 5',
    message: evpnUpdate(
      esis.map((esi, i) => ({
        type: 'ethernet-ad' as const,
        routeType: 1 as const,
        rd: RD_IP,
        esi,
        ethernetTag: i,
        label: S.vni,
      })),
      [RT_AS2, VXLAN_ENCAP],
    ),
    expect: {
      'bgp.evpn.nlri.rt': ['1', '1', '1', '1', '1'],
      'bgp.evpn.nlri.esi.type': ['0', '2', '3', '4', '5'],
      'bgp.evpn.nlri.esi.router_id': [S.leaf1Ip],
      'bgp.evpn.nlri.esi.asn': ['65001'],
    },
  });
  out.push({
    name: 'evpn-type2-mac',
    description: 'EVPN Type-2 MAC only, one label (L2 VNI), sticky MAC mobility sequence 3, RD type 0',
    message: evpnUpdate(
      [
        {
          type: 'mac-ip',
          routeType: 2,
          rd: RD_AS2,
          esi: esis[0]!,
          ethernetTag: 0,
          mac: S.host1Mac,
          label1: S.vni,
        },
      ],
      [RT_AS2, VXLAN_ENCAP, { kind: 'mac-mobility', sticky: true, sequence: 3 }],
    ),
    expect: {
      'bgp.evpn.nlri.rt': ['2'],
      'bgp.evpn.nlri.mac_addr': [S.host1Mac],
      'bgp.evpn.nlri.rd': [rdHex(RD_AS2)],
      'bgp.evpn.nlri.esi': [esis[0]!],
      'bgp.evpn.nlri.mpls_ls1': [mplsView(S.vni)],
      'bgp.ext_com.value_as2': ['65001'],
      'bgp.ext_com.value_an4': ['100'],
      'bgp.ext_com.tunnel_type': ['8'],
    },
  });
  out.push({
    name: 'evpn-type2-mac-ipv4',
    description:
      'EVPN Type-2 MAC+IPv4, two labels (L2 VNI, L3VNI), router MAC, RD type 2, 4-octet-AS route target',
    message: evpnUpdate(
      [
        {
          type: 'mac-ip',
          routeType: 2,
          rd: RD_AS4,
          esi: esiFromFields({ type: 0, value: new Uint8Array(9) }),
          ethernetTag: 0,
          mac: S.host1Mac,
          ip: S.host1Ip,
          label1: S.vni,
          label2: 5000,
        },
      ],
      [RT_AS4, VXLAN_ENCAP, { kind: 'router-mac', mac: ROUTER_MAC }],
    ),
    expect: {
      'bgp.evpn.nlri.rt': ['2'],
      'bgp.evpn.nlri.rd': [rdHex(RD_AS4)],
      'bgp.evpn.nlri.mac_addr': [S.host1Mac],
      'bgp.evpn.nlri.ip.addr': [S.host1Ip],
      'bgp.evpn.nlri.mpls_ls1': [mplsView(S.vni)],
      'bgp.evpn.nlri.mpls_ls2': [mplsView(5000)],
      'bgp.ext_com.value_as4': ['4200000001'],
      'bgp.ext_com.value_an2': ['5000'],
      'bgp.ext_com_evpn.esi.router_mac': [ROUTER_MAC],
    },
  });
  out.push({
    name: 'evpn-type2-mac-ipv6-gateway',
    description: 'EVPN Type-2 MAC+IPv6 for the anycast gateway (default-gateway community)',
    message: evpnUpdate(
      [
        {
          type: 'mac-ip',
          routeType: 2,
          rd: RD_IP,
          esi: esiFromFields({ type: 0, value: new Uint8Array(9) }),
          ethernetTag: 0,
          mac: ROUTER_MAC,
          ip: S.host1Ip6 as IpAddress,
          label1: S.vni,
        },
      ],
      [RT_AS2, VXLAN_ENCAP, { kind: 'default-gateway' }],
    ),
    expect: { 'bgp.evpn.nlri.rt': ['2'], 'bgp.evpn.nlri.ipv6.addr': [S.host1Ip6] },
  });
  out.push({
    name: 'evpn-type3-pmsi',
    description:
      'EVPN Type-3 inclusive multicast with PMSI ingress replication to our VTEP, IPv4-address route target',
    message: evpnUpdate(
      [{ type: 'inclusive-multicast', routeType: 3, rd: RD_IP, ethernetTag: 0, originator: S.leaf1Ip }],
      [RT_IP, VXLAN_ENCAP],
      [
        {
          type: 'pmsi-tunnel',
          tunnelFlags: 0,
          tunnelType: PMSI_TUNNEL_TYPE_INGRESS_REPLICATION,
          label: S.vni,
          tunnelId: S.leaf1Ip,
        },
      ],
    ),
    expect: {
      'bgp.evpn.nlri.rt': ['3'],
      'bgp.evpn.nlri.ip.addr': [S.leaf1Ip],
      'bgp.evpn.nlri.rd': [rdHex(RD_IP)],
      // tshark takes the VNI from the PMSI label, as RFC 8365 §5.1.3 puts it there.
      'bgp.evpn.nlri.vni': [String(S.vni)],
      'bgp.ext_com.value_IP4': [S.leaf1Ip],
      'bgp.update.path_attribute.pmsi.tunnel.type': ['6'],
      'bgp.update.path_attribute.pmsi.ingress_rep_ip': [S.leaf1Ip],
    },
  });
  out.push({
    name: 'evpn-type4-es',
    description: 'EVPN Type-4 Ethernet segment with ES-import route target and DF election (HRW)',
    message: evpnUpdate(
      [{ type: 'ethernet-segment', routeType: 4, rd: RD_IP, esi: ESI_LACP, originator: S.leaf1Ip }],
      [
        { kind: 'es-import-route-target', mac: '02:00:00:00:aa:01' as Mac },
        { kind: 'df-election', algorithm: EVPN_DF_ALG_HRW, bitmap: 0, preference: 0 },
      ],
    ),
    expect: {
      'bgp.evpn.nlri.rt': ['4'],
      'bgp.evpn.nlri.esi.type': ['1'],
      'bgp.ext_com_evpn.esi.rt': ['02:00:00:00:aa:01'],
    },
  });
  out.push({
    name: 'evpn-type5-ipv4',
    description: 'EVPN Type-5 IPv4 prefix in the tenant L3VNI with router MAC',
    message: evpnUpdate(
      [
        {
          type: 'ip-prefix',
          routeType: 5,
          rd: RD_IP,
          esi: esis[0]!,
          ethernetTag: 0,
          prefix: '10.1.0.0' as IpAddress,
          prefixLength: 16,
          gateway: '0.0.0.0' as IpAddress,
          label: 5000,
        },
      ],
      [RT_AS2, VXLAN_ENCAP, { kind: 'router-mac', mac: ROUTER_MAC }],
    ),
    expect: {
      'bgp.evpn.nlri.rt': ['5'],
      'bgp.evpn.nlri.prefix_len': ['16'],
      'bgp.evpn.nlri.ip.addr': ['10.1.0.0'],
      'bgp.update.path_attribute.mpls_label_value': ['5000'],
    },
  });
  out.push({
    name: 'evpn-type5-ipv6',
    description: 'EVPN Type-5 IPv6 prefix',
    message: evpnUpdate(
      [
        {
          type: 'ip-prefix',
          routeType: 5,
          rd: RD_IP,
          esi: esis[0]!,
          ethernetTag: 0,
          prefix: '2001:db8:1::' as IpAddress,
          prefixLength: 48,
          gateway: '::' as IpAddress,
          label: 5000,
        },
      ],
      [RT_AS2, VXLAN_ENCAP, { kind: 'router-mac', mac: ROUTER_MAC }],
    ),
    expect: {
      'bgp.evpn.nlri.rt': ['5'],
      'bgp.evpn.nlri.prefix_len': ['48'],
      'bgp.evpn.nlri.ipv6.addr': ['2001:db8:1::'],
    },
  });
  out.push({
    name: 'evpn-withdraw',
    description: 'MP_UNREACH_NLRI withdrawing a Type-2 route',
    message: {
      type: 'update',
      withdrawn: [],
      attributes: [
        {
          type: 'mp-unreach-nlri',
          afi: AFI_L2VPN,
          safi: SAFI_EVPN,
          nlri: {
            kind: 'evpn',
            routes: [
              {
                type: 'mac-ip',
                routeType: 2,
                rd: RD_AS2,
                esi: esis[0]!,
                ethernetTag: 0,
                mac: S.host2Mac,
                label1: S.vni,
              },
            ],
          },
        },
      ],
      nlri: [],
    },
    expect: { 'bgp.evpn.nlri.rt': ['2'], 'bgp.evpn.nlri.mac_addr': [S.host2Mac] },
  });
  out.push({
    name: 'bgp-eor-evpn',
    description: 'End-of-RIB for L2VPN EVPN (RFC 4724 §2)',
    message: endOfRib(AFI_L2VPN, SAFI_EVPN),
    expect: { 'bgp.type': ['2'] },
  });
  // RFC 4684 route target constraint: a leaf asks for its VNI's route target; a spine for all.
  const target = extendedCommunityToBytes(parseRouteTarget('65000:10100'));
  out.push({
    name: 'bgp-update-rtc',
    description:
      'Route target membership (RFC 4684, AFI 1 / SAFI 132): the default, a full one (AS 65000:10100), one of origin AS only, a 48-bit prefix',
    message: {
      type: 'update',
      withdrawn: [],
      attributes: [
        {
          type: 'mp-reach-nlri',
          afi: AFI_IPV4,
          safi: SAFI_RT_CONSTRAINT,
          nextHop: { kind: 'ip', address: S.leaf1Ip },
          nlri: {
            kind: 'rtc',
            memberships: [
              rtMembership(0, undefined),
              rtMembership(S.asn, target),
              { prefixLength: 32, originAs: S.asn, routeTarget: new Uint8Array(8) },
              { prefixLength: 48, originAs: S.asn, routeTarget: Uint8Array.of(0x00, 0x02, 0, 0, 0, 0, 0, 0) },
            ],
          },
        },
        { type: 'origin', origin: 'igp' },
        { type: 'as-path', segments: [{ kind: 'sequence', asns: [S.asn as Asn] }] },
      ],
      nlri: [],
    },
    expect: {
      'bgp.update.path_attribute.mp_reach_nlri.safi': ['132'],
      'bgp.prefix_length': ['96', '32', '48'],
      'bgp.originating_as': [String(S.asn), String(S.asn), String(S.asn)],
    },
  });
  out.push({
    name: 'bgp-withdraw-rtc',
    description: 'Route target membership withdrawn (MP_UNREACH, AFI 1 / SAFI 132)',
    message: {
      type: 'update',
      withdrawn: [],
      attributes: [
        {
          type: 'mp-unreach-nlri',
          afi: AFI_IPV4,
          safi: SAFI_RT_CONSTRAINT,
          nlri: { kind: 'rtc', memberships: [rtMembership(S.asn, target)] },
        },
      ],
      nlri: [],
    },
    expect: {
      'bgp.update.path_attribute.mp_unreach_nlri.safi': ['132'],
      'bgp.prefix_length': ['96'],
      'bgp.community_prefix': ['65000:10100'],
    },
  });
  out.push({
    name: 'bgp-eor-rtc',
    description: 'End-of-RIB for route target membership (RFC 4684 §6)',
    message: endOfRib(AFI_IPV4, SAFI_RT_CONSTRAINT),
    expect: { 'bgp.type': ['2'] },
  });
  out.push({
    name: 'bgp-notification-cease',
    description: 'NOTIFICATION Cease / Administrative Shutdown',
    message: {
      type: 'notification',
      code: BGP_ERR_CEASE,
      subcode: CEASE_ADMINISTRATIVE_SHUTDOWN,
      data: new Uint8Array(0),
    },
    expect: { 'bgp.notify.major_error': ['6'], 'bgp.notify.minor_error_cease': ['2'] },
  });
  out.push({
    name: 'bgp-notification-bad-peer-as',
    description: 'NOTIFICATION OPEN Message Error / Bad Peer AS',
    message: {
      type: 'notification',
      code: BGP_ERR_OPEN_MESSAGE,
      subcode: OPEN_ERR_BAD_PEER_AS,
      data: new Uint8Array([0xfd, 0xea]),
    },
    expect: { 'bgp.notify.major_error': ['2'], 'bgp.notify.minor_error_open': ['2'] },
  });
  out.push({
    name: 'bgp-route-refresh',
    description: 'ROUTE-REFRESH for L2VPN EVPN',
    message: { type: 'route-refresh', afi: AFI_L2VPN, safi: SAFI_EVPN, subtype: 0 },
    expect: { 'bgp.type': ['5'], 'bgp.route_refresh.afi': ['25'], 'bgp.route_refresh.safi': ['70'] },
  });
  return out;
}

/** The BGP samples: one TCP segment each, leaf1 → leaf2 port 179. */
export function bgpSamples(): WireSample[] {
  const stream = new TcpStream(S.leaf1Mac, S.leaf2Mac, S.leaf1Ip, S.leaf2Ip, 50179, BGP_PORT);
  return cases().map((c) => {
    const bytes = encodeBgpMessage(c.message, OPTIONS);
    return {
      name: c.name,
      description: c.description,
      frame: stream.segment(bytes),
      // Drop empty expectations (documenting fields tshark shows nothing for).
      expect: Object.fromEntries(Object.entries(c.expect).filter(([, v]) => v.length > 0)),
      decode: () => decodeBgpMessage(bytes, OPTIONS),
    };
  });
}
