/**
 * EVPN Type-5 in the lab (RFC 9136 with symmetric IRB, RFC 9135): a VRF's gateway subnets announced
 * as IP prefixes let a remote leaf route to a host that no Type-2 route names yet; the leaf owning
 * the subnet finds the host with ARP. Without them the packets have nowhere to go.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import { decodeEthernet, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import { decodeIpv4, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { decodeUdp } from '../../src/wire/udp.js';
import { decodeVxlan } from '../../src/wire/vxlan.js';
import type { EvpnRoute } from '../../src/wire/evpn.js';
import { labReport } from '../../src/lab/report.js';
import { buildLab, loadTopology, type BuiltLab } from '../../src/lab/topology.js';

/** Subnet 10.1.0.0/24 on leaf1 only, 10.2.0.0/24 on leaf2 only, both in VRF red; h2 never speaks first. */
function topology(vrf: string): string {
  return `
name: type5
until: 400ms
nodes:
  spine1: { kind: spine }
  leaf1: { kind: leaf, vtep: 10.255.0.1 }
  leaf2: { kind: leaf, vtep: 10.255.0.2 }
  h1: { kind: host, ip: 10.1.0.11/24, gateway: 10.1.0.1 }
  h2: { kind: host, ip: 10.2.0.22/24, gateway: 10.2.0.1 }
links:
  - { a: leaf1:up1, b: spine1:p1 }
  - { a: leaf2:up1, b: spine1:p2 }
  - { a: h1:eth0, b: leaf1:eth1 }
  - { a: h2:eth0, b: leaf2:eth1 }
vrfs:
  - ${vrf}
vnis:
  - { vni: 100, mode: evpn, arp-suppression: true, ports: [leaf1:eth1], gateway: { ip: 10.1.0.1/24, vrf: red } }
  - { vni: 200, mode: evpn, arp-suppression: true, ports: [leaf2:eth1], gateway: { ip: 10.2.0.1/24, vrf: red } }
flows:
  - { name: h1-h2, from: h1, to: h2, rate: 1000, start: 100ms, stop: 300ms }
`;
}

function routes(lab: BuiltLab, leaf: string): EvpnRoute[] {
  const out: EvpnRoute[] = [];
  for (const d of lab.controls.get(leaf)!.speaker.evpn.destinations.values())
    if (d.best) out.push(d.best.route);
  return out;
}

const hostRouteFor = (lab: BuiltLab, leaf: string, ip: string) =>
  routes(lab, leaf).some((r) => r.type === 'mac-ip' && r.ip === ip);

describe('EVPN Type-5 prefixes in the lab', () => {
  it('routes to a host not yet known by Type-2 through the Type-5 prefix of its subnet', () => {
    const lab = buildLab(
      loadTopology(topology('{ name: red, l3vni: 5001, advertise-subnets: true }'), 'type5.yaml'),
    );
    // The first routed packet leaf1 sends into the L3VNI, and what leaf1 knew of h2 at that moment.
    let first: { t: number; knewHost: boolean; dst: string } | undefined;
    lab.fabric.link('leaf1', 'up1')!.onCapture((t, frame) => {
      const eth = decodeEthernet(frame);
      if (first || eth.etherType !== ETHERTYPE_IPV4) return;
      const ip = decodeIpv4(eth.payload);
      if (ip.protocol !== IPPROTO_UDP) return;
      const udp = decodeUdp(ip.payload, ip.src, ip.dst);
      if (udp.dstPort !== 4789 || decodeVxlan(udp.payload).vni !== 5001) return;
      first = { t, knewHost: hostRouteFor(lab, 'leaf1', '10.2.0.22'), dst: ip.dst };
    });
    lab.fabric.sim.runUntil(99_000_000);
    const prefixes = routes(lab, 'leaf1').filter((r) => r.type === 'ip-prefix');
    assert.deepEqual(
      prefixes.map((r) => r.type === 'ip-prefix' && `${r.prefix}/${r.prefixLength} label ${r.label}`).sort(),
      ['10.1.0.0/24 label 5001', '10.2.0.0/24 label 5001'],
    );
    assert.equal(hostRouteFor(lab, 'leaf1', '10.2.0.22'), false, 'h2 has not spoken');
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    assert.ok(first, 'leaf1 routed into the L3VNI');
    assert.deepEqual({ knewHost: first.knewHost, dst: first.dst }, { knewHost: false, dst: '10.255.0.2' });
    assert.ok(first.t >= 100_000_000 && first.t < 101_000_000);
    const r = labReport(lab);
    const flow = r.flows[0]!;
    // The first packets wait at leaf2 while it ARPs for h2 (RFC 9135 §4.3: the egress leaf resolves
    // the host); none is lost.
    assert.equal(flow.received, flow.sent);
    assert.equal(r.counters.leaf1!.routeDrops, 0);
    assert.ok(r.counters.leaf2!.routed! >= flow.sent);
    // Once h2 answered leaf2's ARP, its MAC+IP route arrives and leaf1 holds a /32 for it too.
    assert.ok(hostRouteFor(lab, 'leaf1', '10.2.0.22'));
  });

  it('without Type-5 the remote leaf has no route to the silent host: every packet is dropped', () => {
    const lab = buildLab(loadTopology(topology('{ name: red, l3vni: 5001 }'), 'type5.yaml'));
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    const r = labReport(lab);
    assert.equal(r.flows[0]!.received, 0);
    assert.equal(r.counters.leaf1!.routeDrops, r.flows[0]!.sent);
    assert.ok(!routes(lab, 'leaf1').some((x) => x.type === 'ip-prefix'));
  });

  it('announces explicit prefixes from the leaves named, and reports mistakes with file, line and field', () => {
    const lab = buildLab(
      loadTopology(
        topology('{ name: red, l3vni: 5001, prefixes: [{ prefix: 10.2.0.0/16, at: [leaf2] }] }'),
        'type5.yaml',
      ),
    );
    lab.fabric.sim.runUntil(50_000_000);
    const p = routes(lab, 'leaf1').filter((x) => x.type === 'ip-prefix');
    assert.deepEqual(
      p.map((x) => x.type === 'ip-prefix' && `${x.prefix}/${x.prefixLength}`),
      ['10.2.0.0/16'],
    );
    const bad = (vrf: string, pattern: RegExp) =>
      assert.throws(
        () => loadTopology(topology(vrf), 'type5.yaml'),
        (e: unknown) => e instanceof ConfigError && pattern.test(e.message),
      );
    bad(
      '{ name: red, l3vni: 5001, prefixes: [{ prefix: 10.2.0.9/16, at: [leaf2] }] }',
      /type5\.yaml:16:\d+.*vrfs\[0\]\.prefixes\[0\]\.prefix.*host bits set: write 10\.2\.0\.0\/16/,
    );
    bad(
      '{ name: red, l3vni: 5001, prefixes: [{ prefix: 10.9.0.0/16, at: [spine1] }] }',
      /vrfs\[0\]\.prefixes\[0\]\.at\[0\].*"spine1" is not a leaf/,
    );
  });
});
