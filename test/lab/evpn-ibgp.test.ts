/**
 * The iBGP overlay in the lab (examples/evpn-fabric-ibgp.yaml): an eBGP IPv4 underlay, and EVPN over
 * iBGP between loopbacks in one overlay AS with the spines as route reflectors (RFC 4456).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { Ipv4Address } from '../../src/wire/addr.js';
import { labReport } from '../../src/lab/report.js';
import {
  buildLab,
  loadScenario,
  loadTopology,
  mlagTablesAgree,
  type BuiltLab,
} from '../../src/lab/topology.js';
import { ConfigError } from '../../src/config/reader.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/evpn-fabric-ibgp.yaml');
const LEAVES = ['leaf1', 'leaf2', 'leaf3', 'leaf4'];
const SPINE_LOOPBACKS = ['10.255.255.1', '10.255.255.2'];
const CLUSTER_ID = '10.255.255.100';

function load(): BuiltLab {
  return buildLab(loadTopology(readFileSync(FILE, 'utf8'), FILE));
}

function peers(lab: BuiltLab, device: string) {
  return lab.controls.get(device)!.speaker.peerList();
}

function overlayPeer(lab: BuiltLab, leaf: string, spineLoopback: string) {
  return peers(lab, leaf).find((p) => p.config.address === spineLoopback)!;
}

describe('iBGP EVPN overlay with route-reflector spines (examples/evpn-fabric-ibgp.yaml)', () => {
  it('runs IPv4 on the eBGP link sessions and EVPN on iBGP sessions between loopbacks', () => {
    const lab = load();
    lab.fabric.sim.runUntil(1_100_000_000);
    for (const leaf of LEAVES) {
      for (const p of peers(lab, leaf)) {
        assert.equal(p.session.state, 'Established', `${leaf} → ${p.config.address}`);
        const overlay = SPINE_LOOPBACKS.includes(p.config.address);
        assert.equal(p.ibgp, overlay, `${leaf} → ${p.config.address}`);
        assert.deepEqual(p.config.families, overlay ? ['l2vpn-evpn'] : ['ipv4-unicast']);
      }
    }
    for (const spine of ['spine1', 'spine2']) {
      const clients = peers(lab, spine).filter((p) => p.ibgp);
      assert.equal(clients.length, 4);
      assert.ok(clients.every((p) => p.config.routeReflectorClient === true && p.config.localAs === 65500));
    }
    // Both ends dial: crossing connections are resolved (RFC 4271 §6.8) without a reset, and the
    // overlay is up a few ms after boot rather than after the leaves' SYN retries (1 s).
    for (const device of [...LEAVES, 'spine1', 'spine2']) {
      for (const p of peers(lab, device).filter((q) => q.ibgp)) {
        const c = p.session.counters;
        const name = `${device} → ${p.config.address}`;
        assert.notEqual(p.config.passive, true, name);
        assert.deepEqual([c.establishedTransitions, c.droppedTransitions], [1, 0], name);
        assert.ok(p.session.lastChangeAt < 10, `${name}: up at ${p.session.lastChangeAt} ms`);
      }
    }
    // Loopbacks travel in the underlay: every leaf reaches each spine's loopback over its own link.
    const leaf1 = lab.fabric.nodes.get('leaf1')!;
    assert.ok(leaf1.kind === 'leaf' && leaf1.underlay);
    assert.deepEqual(
      leaf1.underlay.lookup('10.255.255.1' as Ipv4Address).map((h) => h.port),
      ['up1'],
    );
  });

  it('reflects each leaf’s routes to the others with ORIGINATOR_ID, CLUSTER_LIST and the next hop unchanged', () => {
    const lab = load();
    lab.fabric.sim.runUntil(1_300_000_000);
    const leaf2 = lab.controls.get('leaf2')!.speaker;
    // leaf1's routes (its Type-3 and web1's MAC/IP) as leaf2 holds them: one path from each reflector.
    let checked = 0;
    for (const d of leaf2.evpn.destinations.values()) {
      const fromLeaf1 = d.paths.filter((p) => p.attrs.nextHop === '10.255.0.1');
      if (fromLeaf1.length === 0) continue;
      assert.equal(fromLeaf1.length, 2, d.key);
      for (const p of fromLeaf1) {
        assert.ok(p.peer.ibgp);
        assert.ok(SPINE_LOOPBACKS.includes(p.peer.address), p.peer.address);
        assert.equal(p.attrs.originatorId, '10.255.0.1');
        assert.deepEqual(p.attrs.clusterList, [CLUSTER_ID]);
      }
      checked++;
    }
    assert.ok(checked >= 2, `leaf1 routes at leaf2: ${checked}`);
    // A leaf never keeps its own routes reflected back (RFC 4456 §8 ORIGINATOR_ID check).
    const leaf1 = lab.controls.get('leaf1')!.speaker;
    for (const d of leaf1.evpn.destinations.values())
      assert.ok(
        d.paths.every((p) => p.peer.id === 0 || p.attrs.originatorId !== '10.255.0.1'),
        d.key,
      );
  });

  it('carries the traffic, and a spine failure costs the carrier delay as with the eBGP overlay', () => {
    const lab = load();
    lab.fabric.sim.runUntil(1_520_000_000);
    // spine1's loopback left the underlay: the leaves ended their overlay sessions to it at once.
    for (const leaf of LEAVES) {
      const p = overlayPeer(lab, leaf, '10.255.255.1');
      assert.notEqual(p.session.state, 'Established', leaf);
      assert.equal(overlayPeer(lab, leaf, '10.255.255.2').session.state, 'Established', leaf);
    }
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    const report = labReport(lab);
    for (const f of report.flows) {
      assert.equal(f.duplicated, 0, f.name);
      assert.ok(f.received > 8000, `${f.name}: ${f.received}`);
    }
    const spineFault = report.faults.find((f) => f.name === 'spine1-fails')!;
    assert.ok(spineFault.lost > 0 && spineFault.lost <= 110, `lost ${spineFault.lost}`);
    assert.ok(spineFault.convergenceMs! <= 12, `converged in ${spineFault.convergenceMs} ms`);
    assert.equal(report.faults.find((f) => f.name === 'spine1-returns')!.lost, 0);
    // spine1 is back: leaves 1-3 reflect through it again (leaf4 lost its link to it at 2.2 s).
    for (const leaf of ['leaf1', 'leaf2', 'leaf3'])
      assert.equal(overlayPeer(lab, leaf, '10.255.255.1').session.state, 'Established', leaf);
  });

  it('works with M-LAG pairs: the peer-link carries IPv4 only, and a leaf that lost its uplinks reflects through its peer', () => {
    const file = join(dirname(FILE), 'mlag.yaml');
    const text = readFileSync(file, 'utf8').replace(/^until: .*$/m, '$&\noverlay: { type: ibgp }');
    const scenario = `faults:
  - { name: uplinks, at: 3000ms, action: link-down, target: [leaf1:up1, leaf1:up2] }
flows:
  - { name: srv1-srv4, from: srv1, to: srv4, rate: 5000, start: 2500ms, stop: 3900ms }
  - { name: srv4-srv1, from: srv4, to: srv1, rate: 5000, start: 2500ms, stop: 3900ms }
`;
    const t = loadScenario(scenario, 'uplinks.yaml', loadTopology(text, file));
    const lab = buildLab(t);
    lab.fabric.sim.runUntil(2_900_000_000);
    for (const leaf of ['leaf1', 'leaf2', 'leaf3', 'leaf4']) {
      for (const p of peers(lab, leaf))
        assert.equal(p.session.state, 'Established', `${leaf} → ${p.config.address}`);
      const peerLink = peers(lab, leaf).find((p) => p.config.description?.endsWith('(peer-link)'))!;
      assert.deepEqual(peerLink.config.families, ['ipv4-unicast']);
    }
    lab.fabric.sim.runUntil(t.untilNs);
    // leaf1's loopback routes now go through leaf2: its overlay sessions come back that way.
    for (const spine of SPINE_LOOPBACKS)
      assert.equal(overlayPeer(lab, 'leaf1', spine).session.state, 'Established', spine);
    const r = labReport(lab);
    const fault = r.faults[0]!;
    // As with the eBGP overlay: the carrier delay, plus the overlay sessions' move to the peer-link.
    assert.ok(fault.lost > 0 && fault.convergenceMs! < 15, `lost ${fault.lost} in ${fault.convergenceMs} ms`);
    for (const f of r.flows) assert.equal(f.duplicated, 0, f.name);
    assert.equal(fault.tablesAgree ?? mlagTablesAgree(t, lab.mlagDevices), true);
  });

  it('reports overlay mistakes with file, line and field', () => {
    const base = readFileSync(FILE, 'utf8');
    const check = (text: string, pattern: RegExp) => {
      assert.throws(
        () => loadTopology(text, 'bad.yaml'),
        (e: unknown) => e instanceof ConfigError && pattern.test(e.message),
      );
    };
    check(
      base.replace('asn: 65500', 'asn: 65000'),
      /bad\.yaml:\d+:\d+.*overlay\.asn.*65000 is spine1's underlay AS/,
    );
    check(base.replace('type: ibgp', 'type: ospf'), /bad\.yaml:\d+:\d+.*overlay\.type/);
    check(
      base.replace(
        'overlay: { type: ibgp, asn: 65500, cluster-id: 10.255.255.100 }',
        'overlay: { asn: 65500 }',
      ),
      /overlay\.asn.*type: ibgp only/,
    );
  });
});
