/**
 * RFC 4684 route target constraint in the lab: the generated data-center fabric of the lab-scale
 * bench, small (8 leaves, 2 VNIs of 4 leaves each), over the eBGP overlay and the iBGP one with
 * route-reflector spines, against the same fabric without it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { scaleTopology, type LabScaleOptions } from '../../bench/lab-scale.js';
import { labReport } from '../../src/lab/report.js';
import { buildLab, loadTopology, type BuiltLab } from '../../src/lab/topology.js';

const SIZE: LabScaleOptions = {
  leaves: 8,
  spines: 2,
  hosts: 64,
  seconds: 2,
  leavesPerVni: 4,
  flows: 8,
  rate: 50,
};
const LEAVES = Array.from({ length: SIZE.leaves }, (_, i) => `l${i + 1}`);

function run(rtConstraint: boolean, overlay: 'ebgp' | 'ibgp' = 'ebgp'): BuiltLab {
  let text = scaleTopology({ ...SIZE, rtConstraint });
  if (overlay === 'ibgp')
    text = rtConstraint
      ? text.replace('overlay: { type: ebgp,', 'overlay: { type: ibgp,')
      : text.replace('nodes:', 'overlay: { type: ibgp }\nnodes:');
  const lab = buildLab(loadTopology(text, 'rtc.yaml'));
  for (const n of lab.fabric.nodes.values())
    if (n.kind === 'host') lab.fabric.sim.at(0, () => n.host.gratuitousArp());
  lab.fabric.sim.runUntil(SIZE.seconds * 1e9);
  return lab;
}

/** The route targets of every EVPN route a device holds. */
function targetsHeld(lab: BuiltLab, device: string): Set<string> {
  const speaker = lab.controls.get(device)!.speaker;
  return new Set([...speaker.evpn.destinations.values()].flatMap((d) => d.best!.attrs.routeTargets));
}

function evpnUpdatesReceived(lab: BuiltLab, devices: readonly string[]): number {
  let n = 0;
  for (const d of devices)
    for (const p of lab.controls.get(d)!.speaker.peerList())
      if (p.config.families?.includes('l2vpn-evpn')) n += p.updatesReceived;
  return n;
}

for (const overlay of ['ebgp', 'ibgp'] as const) {
  describe(`route target constraint over the ${overlay} overlay`, () => {
    it('each leaf hears only its VNI’s routes, the spines all of them, and every flow arrives whole', () => {
      const lab = run(true, overlay);
      for (const [i, leaf] of LEAVES.entries()) {
        const vni = 10000 + Math.floor(i / SIZE.leavesPerVni);
        assert.deepEqual([...targetsHeld(lab, leaf)], [`RT:65000:${vni}`], leaf);
        for (const p of lab.controls.get(leaf)!.speaker.peerList()) {
          if (!p.config.families?.includes('l2vpn-evpn')) continue;
          assert.equal(p.session.state, 'Established', `${leaf} → ${p.config.address}`);
          assert.ok(p.rtc?.filter.any, `${leaf}: its spine ${p.config.address} asks for everything`);
        }
      }
      for (const spine of ['s1', 's2']) {
        assert.deepEqual([...targetsHeld(lab, spine)].sort(), ['RT:65000:10000', 'RT:65000:10001'], spine);
        const asked = lab.controls
          .get(spine)!
          .speaker.peerList()
          .filter((p) => p.rtc !== undefined)
          .map((p) => [...p.rtc!.filter.exact]);
        assert.equal(asked.length, SIZE.leaves, `${spine}: one membership set per leaf`);
        assert.ok(asked.every((a) => a.length === 1));
      }
      const report = labReport(lab);
      assert.ok(report.flows.length > 0);
      for (const f of report.flows) {
        assert.ok(f.sent > 0, f.name);
        assert.equal(f.lost, 0, f.name);
      }
    });

    it('without it every leaf is sent every route, and the same flows arrive', () => {
      const plain = run(false, overlay);
      const constrained = run(true, overlay);
      // Auto route targets (AS:VNI) without it: a leaf keeps its VNI's share of what it is sent.
      for (const [i, leaf] of LEAVES.entries()) {
        const vni = 10000 + Math.floor(i / SIZE.leavesPerVni);
        for (const rt of targetsHeld(plain, leaf)) assert.ok(rt.endsWith(`:${vni}`), `${leaf}: ${rt}`);
      }
      const before = evpnUpdatesReceived(plain, LEAVES);
      const after = evpnUpdatesReceived(constrained, LEAVES);
      // (On the eBGP overlay the sessions carry the IPv4 underlay's UPDATEs too.)
      assert.ok(after < before * 0.8, `UPDATEs received by the leaves: ${after} with it, ${before} without`);
      const sent = (lab: BuiltLab) => labReport(lab).flows.map((f) => [f.name, f.sent, f.received]);
      assert.deepEqual(sent(constrained), sent(plain));
    });
  });
}

describe('route target constraint with tenant VRFs (examples/two-tenants-irb.yaml)', () => {
  const file = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/two-tenants-irb.yaml');
  const text = readFileSync(file, 'utf8');
  /** The example with route targets on every VNI and VRF, and route target constraint. */
  const constrained = text
    .replace('vrfs:', 'overlay: { type: ebgp, rt-constraint: true }\nvrfs:')
    .replace('{ name: red, l3vni: 5001 }', '{ name: red, l3vni: 5001, route-target: 65000:5001 }')
    .replace('{ name: blue, l3vni: 5002 }', '{ name: blue, l3vni: 5002, route-target: 65000:5002 }')
    .replace(/- vni: (\d+)\n/g, '- vni: $1\n    route-target: 65000:$1\n');
  const runFile = (yaml: string): BuiltLab => {
    const lab = buildLab(loadTopology(yaml, file));
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    return lab;
  };

  it('a blue-only leaf hears no red route, and every flow fares as without it (red → blue dropped)', () => {
    const plain = runFile(text);
    const lab = runFile(constrained);
    assert.deepEqual([...targetsHeld(lab, 'leaf4')].sort(), ['RT:65000:200', 'RT:65000:5002']);
    assert.ok([...targetsHeld(lab, 'leaf1')].includes('RT:65000:5001'));
    assert.ok(![...targetsHeld(lab, 'leaf1')].some((rt) => rt.endsWith(':200') || rt.endsWith(':5002')));
    // The same frames sent; the first few lost while routes arrive may differ by one or two.
    const before = new Map(labReport(plain).flows.map((f) => [f.name, f]));
    for (const f of labReport(lab).flows) {
      const p = before.get(f.name)!;
      assert.equal(f.sent, p.sent, f.name);
      assert.ok(Math.abs(f.received - p.received) <= 2, `${f.name}: ${f.received} against ${p.received}`);
    }
    assert.equal(labReport(lab).flows.find((f) => f.name === 'red1-blue1')!.received, 0);
    assert.ok(
      labReport(lab)
        .flows.filter((f) => f.name !== 'red1-blue1')
        .every((f) => f.received > 0),
    );
  });
});

describe('route target constraint in topology files', () => {
  it('needs the BGP underlay, and route targets must parse', () => {
    const text = scaleTopology({ ...SIZE, rtConstraint: true });
    assert.throws(
      () => loadTopology(text.replace('nodes:', 'underlay: static\nnodes:'), 'bad.yaml'),
      /bad\.yaml:\d+:\d+: overlay\.rt-constraint: route target constraint needs BGP/,
    );
    assert.throws(
      () => loadTopology(text.replace('route-target: 65000:10000', 'route-target: 65000'), 'bad.yaml'),
      /bad\.yaml:\d+:\d+: vnis\[0\]\.route-target: .*route target/,
    );
  });
});
