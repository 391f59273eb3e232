/**
 * Symmetric IRB with distributed anycast gateways (RFC 9135) in the lab, on
 * examples/two-tenants-irb.yaml: routed traffic between leaves crosses the fabric once, in the
 * tenant's L3VNI, between router MACs, and is routed once at each end; tenants stay apart.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { decodeEthernet, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import { decodeIpv4, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { decodeUdp } from '../../src/wire/udp.js';
import { decodeVxlan } from '../../src/wire/vxlan.js';
import { labReport } from '../../src/lab/report.js';
import { buildLab, loadTopology } from '../../src/lab/topology.js';
import { ConfigError } from '../../src/config/reader.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/two-tenants-irb.yaml');

describe('symmetric IRB (examples/two-tenants-irb.yaml)', () => {
  it('routes red1 → red2 over L3VNI 5001 between router MACs, routed once at each leaf', () => {
    const lab = buildLab(loadTopology(readFileSync(FILE, 'utf8'), FILE));
    const red2Ip = lab.fabric.host('red2').config.ip;
    const overlay: { vni: number; innerSrc: string; innerDst: string; ttl: number }[] = [];
    for (const port of ['up1', 'up2']) {
      lab.fabric.link('leaf1', port)!.onCapture((_t, frame) => {
        const eth = decodeEthernet(frame);
        if (eth.etherType !== ETHERTYPE_IPV4) return;
        const outer = decodeIpv4(eth.payload);
        if (outer.protocol !== IPPROTO_UDP || outer.src !== '10.255.0.1') return;
        const udp = decodeUdp(outer.payload, outer.src, outer.dst);
        if (udp.dstPort !== 4789) return;
        const vx = decodeVxlan(udp.payload);
        const inner = decodeEthernet(vx.innerFrame);
        if (inner.etherType !== ETHERTYPE_IPV4 || decodeIpv4(inner.payload).dst !== red2Ip) return;
        overlay.push({
          vni: vx.vni,
          innerSrc: inner.src,
          innerDst: inner.dst,
          ttl: decodeIpv4(inner.payload).ttl,
        });
      });
    }
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    const r = labReport(lab);
    const flow = (name: string) => r.flows.find((f) => f.name === name)!;
    assert.ok(overlay.length > 1000);
    // leaf1's and leaf3's router MACs (0c:00:00:00:<node index>:fc), the first routing hop done.
    assert.deepEqual(
      [...new Set(overlay.map((o) => `${o.vni} ${o.innerSrc} → ${o.innerDst} ttl ${o.ttl}`))],
      ['5001 0c:00:00:00:03:fc → 0c:00:00:00:05:fc ttl 63'],
    );
    for (const name of ['red1-red2', 'red2-red1', 'red3-red2', 'blue1-blue2', 'blue2-blue1', 'red1-red3']) {
      const f = flow(name);
      // Only the first packets, sent before the destination's host route arrived, may be lost.
      assert.ok(f.lost <= 4 && f.received === f.sent - f.lost, `${name}: ${f.received}/${f.sent}`);
      assert.equal(f.duplicated, 0);
    }
    // leaf3 routes each packet to or from red2 exactly once (red2's own leaf).
    const leaf3 = r.counters.leaf3!;
    assert.equal(
      leaf3.routed,
      flow('red1-red2').received + flow('red3-red2').received + flow('red2-red1').received,
    );
    // Same subnet is bridged, not routed: leaf2 routes only red3's packets to red2.
    assert.equal(r.counters.leaf2!.routed, flow('red3-red2').received);
  });

  it('keeps tenants apart: nothing of red ever reaches blue', () => {
    const lab = buildLab(loadTopology(readFileSync(FILE, 'utf8'), FILE));
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    const r = labReport(lab);
    const cross = r.flows.find((f) => f.name === 'red1-blue1')!;
    assert.deepEqual([cross.received, cross.lost], [0, cross.sent]);
    assert.ok(r.counters.leaf1!.routeDrops! >= cross.sent);
    // The blue host route is in the fabric (the spines carry it) but leaf1, whose VNI and VRF are
    // red's, drops it on receipt: none of its route targets (200, 5002) is one leaf1 imports.
    const blue1 = lab.fabric.host('blue1').config.ip;
    const blueRoutes = (node: string) =>
      [...lab.controls.get(node)!.speaker.evpn.destinations.values()].filter(
        (d) => d.best?.route.type === 'mac-ip' && d.best.route.ip === blue1,
      );
    assert.ok(blueRoutes('spine1').length > 0, 'the blue host route is in the spine’s BGP table');
    assert.ok(
      blueRoutes('spine1').every((d) => d.best!.route.type === 'mac-ip' && d.best!.route.label2 === 5002),
      'with blue’s L3VNI',
    );
    assert.equal(blueRoutes('leaf1').length, 0, 'leaf1 keeps no route that red does not import');
    assert.ok(blueRoutes('leaf4').length > 0, 'leaf4, in blue, keeps it');
  });

  it('refuses a gateway in an unknown VRF and an L3VNI that is also a bridge-domain VNI', () => {
    const text = readFileSync(FILE, 'utf8')
      .replace('gateway: { ip: 10.2.0.1/24, vrf: blue }', 'gateway: { ip: 10.2.0.1/24, vrf: green }')
      .replace('{ name: red, l3vni: 5001 }', '{ name: red, l3vni: 110 }');
    assert.throws(
      () => loadTopology(text, 'irb.yaml'),
      (e: unknown) =>
        e instanceof ConfigError &&
        /vnis\[2\]\.gateway\.vrf: no VRF named "green"/.test(e.message) &&
        /L3VNI 110 is also a VNI/.test(e.message),
    );
  });
});
