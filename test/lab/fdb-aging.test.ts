/**
 * MAC aging in the lab: leaves sweep their FDB on the simulated clock, a MAC not heard from for the
 * aging time leaves the table, and with EVPN its routes are withdrawn, so remote leaves forget it too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Mac } from '../../src/wire/addr.js';
import { DEFAULT_AGING_NS } from '../../src/dataplane/fdb.js';
import { ConfigError } from '../../src/config/reader.js';
import { buildLab, loadTopology, type BuiltLab } from '../../src/lab/topology.js';

const H1 = '02:00:00:00:00:01' as Mac;
const H2 = '02:00:00:00:00:02' as Mac;

/** 1 spine, 2 leaves, h1 on leaf1 and h2 on leaf2 in one EVPN VNI; h1 sends to h2 until 500 ms. */
function topology(aging: string | undefined): string {
  return `
name: aging
until: 3s
${aging === undefined ? '' : `mac-aging: ${aging}`}
nodes:
  spine1: { kind: spine }
  leaf1: { kind: leaf, vtep: 10.255.0.1 }
  leaf2: { kind: leaf, vtep: 10.255.0.2 }
  h1: { kind: host, ip: 10.1.0.1/24, mac: ${H1} }
  h2: { kind: host, ip: 10.1.0.2/24, mac: ${H2} }
links:
  - { a: leaf1:up1, b: spine1:p1 }
  - { a: leaf2:up1, b: spine1:p2 }
  - { a: h1:eth0, b: leaf1:eth1 }
  - { a: h2:eth0, b: leaf2:eth1 }
vnis:
  - { vni: 100, mode: evpn, arp-suppression: true, ports: [leaf1:eth1, leaf2:eth1] }
flows:
  - { name: h1-h2, from: h1, to: h2, rate: 1000, start: 20ms, stop: 500ms }
`;
}

function fdbEntry(lab: BuiltLab, leaf: string, mac: Mac) {
  const n = lab.fabric.nodes.get(leaf)!;
  assert.ok(n.kind === 'leaf');
  return n.dataplane.domain(100)!.fdb.lookup(mac);
}

function evpnRoutesFor(lab: BuiltLab, device: string, mac: Mac): number {
  let n = 0;
  for (const d of lab.controls.get(device)!.speaker.evpn.destinations.values())
    if (d.best?.route && (d.best.route as { mac?: Mac }).mac === mac) n++;
  return n;
}

describe('FDB aging in the lab', () => {
  it('ages out a silent MAC after mac-aging, withdraws its EVPN routes, and remote leaves forget it', () => {
    const lab = buildLab(loadTopology(topology('1s'), 'aging.yaml'));
    const sim = lab.fabric.sim;
    sim.runUntil(400_000_000);
    // h2 spoke once (its ARP reply, or gratuitous ARP) at boot; h1 keeps sending until 500 ms.
    assert.equal(fdbEntry(lab, 'leaf2', H2)?.kind, 'local');
    assert.equal(fdbEntry(lab, 'leaf1', H2)?.kind, 'remote');
    assert.ok(evpnRoutesFor(lab, 'leaf1', H2) > 0);
    const h2Seen = (fdbEntry(lab, 'leaf2', H2) as { lastSeen: number }).lastSeen;
    // Sweeps run at most every 100 ms: h2 is gone within 1 s + 100 ms (+ the withdrawal's way).
    sim.runUntil(h2Seen + 1_000_000_000 + 110_000_000);
    assert.equal(fdbEntry(lab, 'leaf2', H2), undefined, 'aged out at leaf2');
    assert.equal(evpnRoutesFor(lab, 'leaf1', H2), 0, 'its routes withdrawn');
    assert.equal(fdbEntry(lab, 'leaf1', H2), undefined, 'leaf1 forgot it');
    // h1 was heard until 500 ms: still there at 1.4 s, gone by 1.62 s.
    sim.runUntil(1_400_000_000);
    assert.equal(fdbEntry(lab, 'leaf1', H1)?.kind, 'local');
    assert.equal(fdbEntry(lab, 'leaf2', H1)?.kind, 'remote');
    sim.runUntil(1_620_000_000);
    assert.equal(fdbEntry(lab, 'leaf1', H1), undefined);
    assert.equal(fdbEntry(lab, 'leaf2', H1), undefined);
  });

  it('keeps MACs for 300 s by default, as switches do', () => {
    const lab = buildLab(loadTopology(topology(undefined), 'aging.yaml'));
    assert.equal(lab.topology.macAgingNs, DEFAULT_AGING_NS);
    assert.equal(DEFAULT_AGING_NS, 300e9);
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    assert.equal(fdbEntry(lab, 'leaf2', H2)?.kind, 'local');
    assert.equal(fdbEntry(lab, 'leaf1', H1)?.kind, 'local');
  });

  it('reports a bad mac-aging with file, line and field', () => {
    assert.throws(
      () => loadTopology(topology('soon'), 'aging.yaml'),
      (e: unknown) => e instanceof ConfigError && /aging\.yaml:4:\d+.*mac-aging/.test(e.message),
    );
  });
});
