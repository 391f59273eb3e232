/**
 * The EVPN fabric in the lab: the real BGP speaker on every spine and leaf over the emulated links
 * (TCP model), the eBGP underlay with ECMP, EVPN L2 population, and what happens when a spine or an
 * uplink fails — checked on the example shipped in examples/evpn-fabric.yaml.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { Ipv4Address } from '../../src/wire/addr.js';
import { decodeEthernet, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from '../../src/wire/ethernet.js';
import { ARP_OP_REQUEST, decodeArp } from '../../src/wire/arp.js';
import { decodeIpv4, IPPROTO_UDP } from '../../src/wire/ipv4.js';
import { decodeUdp } from '../../src/wire/udp.js';
import { decodeVxlan } from '../../src/wire/vxlan.js';
import { readPcap } from '../../src/wire/pcap.js';
import { labReport } from '../../src/lab/report.js';
import { tsharkFields, tsharkProblems, withPcap } from '../support/tshark.js';
import { buildLab, loadTopology, type BuiltLab } from '../../src/lab/topology.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/evpn-fabric.yaml');
const VTEPS = ['10.255.0.1', '10.255.0.2', '10.255.0.3', '10.255.0.4'] as Ipv4Address[];

function load(): BuiltLab {
  return buildLab(loadTopology(readFileSync(FILE, 'utf8'), FILE));
}

function sessionStates(lab: BuiltLab): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [name, c] of lab.controls) out[name] = c.speaker.peerList().map((p) => p.session.state);
  return out;
}

/** VXLAN packets a leaf sends on its uplinks: outer destination and VNI, from `from` ns on. */
function vxlanSent(lab: BuiltLab, leaf: string, from: number): { dst: string; vni: number }[] {
  const out: { dst: string; vni: number }[] = [];
  for (const port of ['up1', 'up2']) {
    lab.fabric.link(leaf, port)!.onCapture((t, frame) => {
      if (t < from) return;
      const eth = decodeEthernet(frame);
      if (eth.etherType !== ETHERTYPE_IPV4) return;
      const ip = decodeIpv4(eth.payload);
      if (ip.protocol !== IPPROTO_UDP || ip.src !== leafVtep(leaf)) return;
      const udp = decodeUdp(ip.payload, ip.src, ip.dst);
      if (udp.dstPort !== 4789) return;
      out.push({ dst: ip.dst, vni: decodeVxlan(udp.payload).vni });
    });
  }
  return out;
}

function leafVtep(leaf: string): Ipv4Address {
  return `10.255.0.${leaf.slice(4)}` as Ipv4Address;
}

describe('EVPN fabric over BGP in the lab (examples/evpn-fabric.yaml)', () => {
  it('brings up every eBGP session and installs each remote VTEP over both spines (ECMP)', () => {
    const lab = load();
    lab.fabric.sim.runUntil(15_000_000);
    for (const [name, states] of Object.entries(sessionStates(lab))) {
      assert.ok(
        states.length > 0 && states.every((s) => s === 'Established'),
        `${name}: ${states.join(',')}`,
      );
    }
    for (const leaf of ['leaf1', 'leaf2', 'leaf3', 'leaf4']) {
      const node = lab.fabric.nodes.get(leaf)!;
      assert.ok(node.kind === 'leaf' && node.underlay);
      for (const vtep of VTEPS.filter((v) => v !== leafVtep(leaf))) {
        assert.deepEqual(
          node.underlay
            .lookup(vtep)
            .map((h) => h.port)
            .sort(),
          ['up1', 'up2'],
          `${leaf} → ${vtep}`,
        );
      }
    }
    // Flood lists come from Type-3 routes: VNI 100 lives on leaves 1-3, VNI 200 on leaves 3-4.
    const leaf3 = lab.fabric.nodes.get('leaf3')!;
    assert.ok(leaf3.kind === 'leaf');
    assert.deepEqual([...leaf3.dataplane.domain(100)!.floodList].sort(), ['10.255.0.1', '10.255.0.2']);
    assert.deepEqual([...leaf3.dataplane.domain(200)!.floodList], ['10.255.0.4']);
  });

  it('L2 population: web3’s ARP for web2 never leaves leaf3, and its first frame goes unicast to leaf2', () => {
    const lab = load();
    // web3's flow starts at 60 ms; by then leaf2 has advertised web2's MAC+IP (web2 ARPed at 20 ms).
    const sent = vxlanSent(lab, 'leaf3', 59_000_000);
    lab.fabric.sim.runUntil(100_000_000);
    const leaf3 = lab.fabric.nodes.get('leaf3')!;
    assert.ok(leaf3.kind === 'leaf');
    assert.equal(leaf3.dataplane.counters.arpSuppressed, 1, 'leaf3 answered web3’s ARP itself');
    const vni100 = sent.filter((p) => p.vni === 100);
    assert.ok(vni100.length > 100);
    assert.deepEqual(new Set(vni100.map((p) => p.dst)), new Set(['10.255.0.2']), 'only unicast to leaf2');
    const web3 = lab.fabric.host('web3');
    assert.equal(web3.counters.arpRequestsSent, 1);
  });

  it('a spine failure costs only the flows that hashed onto it, for the carrier delay; sessions come back', () => {
    const lab = load();
    lab.fabric.sim.runUntil(600_000_000);
    const spine1Peers = ['leaf1', 'leaf2', 'leaf3', 'leaf4'].map(
      (l) => lab.controls.get(l)!.speaker.peerList()[0]!.session.state,
    );
    assert.ok(
      spine1Peers.every((s) => s !== 'Established'),
      `fast external failover: ${spine1Peers.join(',')}`,
    );
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    for (const [name, states] of Object.entries(sessionStates(lab))) {
      if (name === 'spine1' || name === 'leaf4') continue;
      assert.ok(
        states.every((s) => s === 'Established'),
        `${name} after spine1 returned: ${states.join(',')}`,
      );
    }
    const r = labReport(lab);
    const fail = r.faults.find((f) => f.name === 'spine1-fails')!;
    // 5000 frames/s for the 10 ms carrier delay is 50 frames per affected flow, plus a frame in flight.
    assert.ok(fail.lost > 0 && fail.lost % 50 <= 2, `lost ${fail.lost}`);
    assert.ok(fail.convergenceMs! >= 9 && fail.convergenceMs! < 11, `convergence ${fail.convergenceMs} ms`);
    const untouched = r.flows.filter((f) => f.lost === 0);
    assert.ok(untouched.length >= 1, 'flows hashed onto spine2 lost nothing');
    const cut = r.faults.find((f) => f.name === 'leaf4-uplink-cut')!;
    // The BGP withdrawal also has to reach leaf3 through spine1: carrier delay + UPDATE + FIB write.
    assert.ok(cut.convergenceMs! >= 9.8 && cut.convergenceMs! < 11, `uplink cut ${cut.convergenceMs} ms`);
    for (const f of r.flows) assert.equal(f.duplicated, 0, f.name);
  });

  it('resolves neighbours on spine-leaf links with ARP, and again after a spine comes back', () => {
    const lab = load();
    const leaf1 = lab.fabric.nodes.get('leaf1')!;
    const spine1 = lab.fabric.nodes.get('spine1')!;
    assert.ok(leaf1.kind === 'leaf' && leaf1.underlay && spine1.kind === 'router');
    const requests: { t: number; from: string }[] = [];
    lab.fabric.link('leaf1', 'up1')!.onCapture((t, frame) => {
      const eth = decodeEthernet(frame);
      if (eth.etherType === ETHERTYPE_ARP && decodeArp(eth.payload).op === ARP_OP_REQUEST)
        requests.push({ t, from: eth.src });
    });
    lab.fabric.sim.runUntil(15_000_000);
    // leaf1:up1 is 10.254.0.1/31 (MAC 0c:00:00:00:03:01), spine1:p1 10.254.0.0 (0e:00:00:00:01:01).
    assert.deepEqual(leaf1.underlay.neighborEntry('up1', '10.254.0.0' as Ipv4Address), {
      state: 'reachable',
      mac: '0e:00:00:00:01:01',
    });
    assert.equal(spine1.router.neighborEntry('p1', '10.254.0.1' as Ipv4Address)?.mac, '0c:00:00:00:03:01');
    // Both ends connect BGP at once: one request from each, before the first SYN left.
    assert.deepEqual(requests.map((r) => r.from).sort(), ['0c:00:00:00:03:01', '0e:00:00:00:01:01']);
    assert.ok(requests.every((r) => r.t < 1_000_000));
    lab.fabric.sim.runUntil(520_000_000);
    assert.equal(leaf1.underlay.neighborEntry('up1', '10.254.0.0' as Ipv4Address)?.state, 'none');
    lab.fabric.sim.runUntil(900_000_000);
    assert.equal(leaf1.underlay.neighborEntry('up1', '10.254.0.0' as Ipv4Address)?.state, 'reachable');
    // After spine1 booted again: resolved anew as the sessions reconnect, and nothing in between.
    const after = requests.slice(2);
    assert.ok(after.length >= 1 && after.every((r) => r.t > 800_000_000 && r.t < 820_000_000));
    assert.equal(leaf1.underlay.counters.arpQueueDrops + spine1.router.counters.arpQueueDrops, 0);
  });

  it('modelled control-plane time: UPDATEs and FIB writes take time, so convergence is not zero', () => {
    const lab = load();
    lab.fabric.sim.runUntil(15_000_000);
    const leaf1 = lab.controls.get('leaf1')!;
    assert.ok(leaf1.cpu.counters.updates > 0);
    assert.equal(leaf1.cpu.counters.busyNs, leaf1.cpu.counters.updates * 50_000);
    assert.ok(leaf1.cpu.counters.installs >= 3, 'three remote VTEP routes at least');
  });

  it('captures BGP over TCP that tshark decodes cleanly: OPEN, UPDATEs with EVPN NLRI, KEEPALIVE', () => {
    const lab = load();
    const writers = lab.fabric.captureAll();
    lab.fabric.sim.runUntil(70_000_000);
    const pcap = writers.get('leaf1_up1--spine1_p1')!.finish();
    const frames = readPcap(pcap).records.map((r) => Uint8Array.from(r.data));
    withPcap(frames, (file) => {
      assert.deepEqual(tsharkProblems(file), []);
      const types = new Set(tsharkFields(file, ['bgp.type']).flatMap((x) => x['bgp.type'] ?? []));
      for (const t of ['1', '2', '3', '4']) assert.ok(types.has(t), `BGP message type ${t} in ${[...types]}`);
      const evpnTypes = new Set(
        tsharkFields(file, ['bgp.evpn.nlri.rt']).flatMap((x) => x['bgp.evpn.nlri.rt'] ?? []),
      );
      assert.ok(evpnTypes.has('2') && evpnTypes.has('3'), `EVPN route types ${[...evpnTypes]}`);
    });
  });

  it('runs the same way twice: byte-identical captures', () => {
    const run = () => {
      const lab = load();
      const writers = lab.fabric.captureAll();
      lab.fabric.sim.runUntil(80_000_000);
      return [...writers].map(([name, w]) => `${name}:${Buffer.from(w.finish()).toString('base64')}`).join();
    };
    assert.equal(run(), run());
  });
});
