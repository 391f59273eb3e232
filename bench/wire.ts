/**
 * `npm run bench -- wire`: decode and encode rates of the two hot wire paths — a VXLAN frame (the
 * data plane's per-packet work) and an UPDATE carrying 100 EVPN Type-2 routes (BGP ingest).
 */
import type { Ipv4Address, Mac, Vni } from '../src/wire/addr.js';
import { AFI_L2VPN, SAFI_EVPN, decodeBgpMessage, encodeBgpMessage } from '../src/wire/bgp-message.js';
import { BGP_ENCAP_TYPE_VXLAN } from '../src/wire/bgp-community.js';
import type { UpdateMessage } from '../src/wire/bgp-update.js';
import { ZERO_ESI, type MacIpRoute } from '../src/wire/evpn.js';
import { SAMPLE, udpFrame } from '../src/wire/sample-frames.js';
import { decapsulateVxlan, encapsulateVxlan, encapsulateVxlanInto } from '../src/wire/vxlan.js';
import { formatCount, machineLine, measure, printTable, type Rate } from './lib.js';

function macAt(i: number): Mac {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `02:00:${h((i >> 24) & 0xff)}:${h((i >> 16) & 0xff)}:${h((i >> 8) & 0xff)}:${h(i & 0xff)}` as Mac;
}

export function evpnType2Update(count: number, first = 0): UpdateMessage {
  const routes: MacIpRoute[] = [];
  for (let i = 0; i < count; i++) {
    const n = first + i;
    routes.push({
      type: 'mac-ip',
      routeType: 2,
      rd: { type: 1, ip: '10.0.0.1' as Ipv4Address, assigned: 100 },
      esi: ZERO_ESI,
      ethernetTag: 0,
      mac: macAt(n),
      ip: `10.${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}` as Ipv4Address,
      label1: 100,
    });
  }
  return {
    type: 'update',
    withdrawn: [],
    attributes: [
      { type: 'origin', origin: 'igp' },
      { type: 'as-path', segments: [{ kind: 'sequence', asns: [65001 as never] }] },
      {
        type: 'mp-reach-nlri',
        afi: AFI_L2VPN,
        safi: SAFI_EVPN,
        nextHop: { kind: 'ip', address: '10.0.0.1' as Ipv4Address },
        nlri: { kind: 'evpn', routes },
      },
      {
        type: 'extended-communities',
        communities: [
          { kind: 'route-target', format: 'as2', asn: 65001 as never, value: 100 },
          { kind: 'encapsulation', tunnelType: BGP_ENCAP_TYPE_VXLAN },
        ],
      },
    ],
    nlri: [],
  };
}

export function run(args: string[]): void {
  const json = args.includes('--json');
  const inner = udpFrame(
    SAMPLE.host1Mac,
    SAMPLE.host2Mac,
    SAMPLE.host1Ip,
    SAMPLE.host2Ip,
    40000,
    5001,
    new Uint8Array(1000 - 42),
  );
  const encap = {
    innerFrame: inner,
    vni: 100 as Vni,
    outerSrcMac: SAMPLE.leaf1Mac,
    outerDstMac: SAMPLE.leaf2Mac,
    outerSrcIp: SAMPLE.leaf1Ip,
    outerDstIp: SAMPLE.leaf2Ip,
  };
  const vxlanFrame = encapsulateVxlan(encap);
  const scratch = new Uint8Array(vxlanFrame.length + 64);
  const opts = { fourOctetAs: true } as const;
  const update = evpnType2Update(100);
  const updateBytes = encodeBgpMessage(update, opts);
  let sink = 0;
  const rates: Rate[] = [
    measure('VXLAN frame decapsulate (1000 B inner)', vxlanFrame.length, () => {
      sink += decapsulateVxlan(vxlanFrame).vni;
    }),
    measure('VXLAN frame encapsulate (allocating)', vxlanFrame.length, () => {
      sink += encapsulateVxlan(encap).length;
    }),
    measure('VXLAN frame encapsulate (into buffer)', vxlanFrame.length, () => {
      sink += encapsulateVxlanInto(encap, scratch, 0);
    }),
    measure('UPDATE, 100 EVPN Type-2: decode', updateBytes.length, () => {
      sink += decodeBgpMessage(updateBytes, opts).type.length;
    }),
    measure('UPDATE, 100 EVPN Type-2: encode', updateBytes.length, () => {
      sink += encodeBgpMessage(update, opts).length;
    }),
  ];
  if (sink === 42) console.log('');
  if (json) {
    console.log(
      JSON.stringify(
        rates.map((r) => ({
          ...r,
          routesPerSec: r.name.startsWith('UPDATE') ? r.opsPerSec * 100 : undefined,
        })),
      ),
    );
    return;
  }
  console.log(`wire codecs — ${machineLine()}`);
  printTable(
    ['operation', 'bytes', 'messages/s', 'MB/s', 'EVPN routes/s'],
    rates.map((r) => [
      r.name,
      String(r.bytesPerOp),
      formatCount(r.opsPerSec),
      r.mbPerSec.toFixed(0),
      r.name.startsWith('UPDATE') ? formatCount(r.opsPerSec * 100) : '',
    ]),
  );
}
