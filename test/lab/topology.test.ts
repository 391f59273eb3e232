/**
 * Topology files: the shipped example runs and its report says what happened (the packet walk's
 * counters, flow loss equal to the outage, convergence), runs are identical for a seed, and a wrong
 * file gets every problem reported with file, line and field.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/config/reader.js';
import { labReport } from '../../src/lab/report.js';
import {
  buildLab,
  loadScenario,
  loadTopology,
  parseBandwidth,
  parseDuration,
} from '../../src/lab/topology.js';

const EXAMPLE = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/seed004-same-subnet.yaml');

describe('lab topology files', () => {
  it('runs examples/seed004-same-subnet.yaml: flows, the uplink fault and the walk’s counters', () => {
    const lab = buildLab(loadTopology(readFileSync(EXAMPLE, 'utf8'), EXAMPLE));
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    const r = labReport(lab);
    assert.equal(r.flows.length, 2);
    for (const f of r.flows) {
      assert.equal(f.sent, 18_900);
      // leaf2's uplink is down for 100 ms of a 10,000 pps flow in each direction, and the routers
      // at its ends take the default 10 ms carrier delay to use it again.
      assert.equal(f.lost, 1100, `${f.name} lost ${f.lost}`);
      assert.equal(f.duplicated, 0);
      assert.ok(f.latencyMs && f.latencyMs.p50 > 0.004 && f.latencyMs.p50 < 0.1, JSON.stringify(f.latencyMs));
    }
    const down = r.faults.find((f) => f.name === 'uplink-down')!;
    assert.equal(down.lost, 2000);
    assert.ok(down.convergenceMs > 99 && down.convergenceMs <= 100, String(down.convergenceMs));
    const up = r.faults.find((f) => f.name === 'uplink-up')!;
    assert.equal(up.lost, 200);
    assert.ok(up.convergenceMs > 9 && up.convergenceMs <= 10, String(up.convergenceMs));
    // Seed 004: one ARP request per direction replicated head-end, everything else unicast.
    assert.equal(r.counters.leaf1!.replicated, 1);
    assert.equal(r.counters.leaf2!.replicated, 1);
    assert.equal(r.counters.leaf1!.malformed, 0);
  });

  it('runs examples/fabric-2x4.yaml: a spine failure costs only the flows hashed onto it, for the detection time', () => {
    const file = join(dirname(EXAMPLE), 'fabric-2x4.yaml');
    const lab = buildLab(loadTopology(readFileSync(file, 'utf8'), file));
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    const r = labReport(lab);
    const fail = r.faults.find((f) => f.action === 'node-down')!;
    // ECMP spread the four flows over both spines; those on spine1 lose 10 ms (carrier delay) of frames.
    const hit = r.flows.filter((f) => f.lost > 0);
    assert.ok(hit.length > 0 && hit.length < 4, `${hit.length} flows lost frames`);
    for (const f of hit) assert.equal(f.lost, 50, f.name);
    assert.equal(fail.lost, hit.length * 50);
    assert.ok(fail.convergenceMs > 9 && fail.convergenceMs <= 10, String(fail.convergenceMs));
    assert.equal(r.faults.find((f) => f.action === 'node-up')!.lost, 0, 'the spine returns without loss');
    assert.ok(
      r.counters.spine1!.forwarded! > 0 && r.counters.spine2!.forwarded! > 0,
      'both spines carried traffic',
    );
  });

  it('runs examples/vm-migration.yaml: EVPN MAC mobility moves the VM everywhere, no leaf keeps a stale entry', () => {
    const file = join(dirname(EXAMPLE), 'vm-migration.yaml');
    const lab = buildLab(loadTopology(readFileSync(file, 'utf8'), file));
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    const r = labReport(lab);
    const move = r.faults.find((f) => f.action === 'move-host')!;
    assert.equal(move.target, 'hostB → leaf3:eth1');
    // Lost: frames on the wire at the unplug, plus those sent to leaf2 until leaf1 installs leaf3's
    // route (one UPDATE processed and one FDB write at each hop: well under a millisecond).
    const toB = r.flows.find((f) => f.name === 'a-to-b')!;
    assert.ok(move.lost > 0 && move.lost <= 10, `lost ${move.lost}`);
    assert.ok(move.convergenceMs! < 1, `converged in ${move.convergenceMs} ms`);
    assert.equal(toB.received, toB.sent - move.lost);
    const mac = lab.fabric.host('hostB').config.mac;
    // RFC 7432 §15: leaf3 advertises the moved MAC with sequence 1; leaf2 withdrew its route.
    const leaf3 = lab.controls.get('leaf3')!.speaker;
    const route = [...leaf3.evpn.destinations.values()].find(
      (d) => d.best?.peer.id === 0 && d.best.route.type === 'mac-ip' && d.best.route.mac === mac,
    );
    assert.equal(route?.best?.attrs.macMobility?.sequence, 1);
    const leaf1 = lab.controls.get('leaf1')!.speaker;
    const fromLeaf2 = [...leaf1.evpn.destinations.values()].filter(
      (d) =>
        d.best?.route.type === 'mac-ip' && d.best.route.mac === mac && d.best.attrs.nextHop === '10.255.0.2',
    );
    assert.deepEqual(fromLeaf2, [], 'leaf2 withdrew its route for the moved MAC');
    // Every VTEP now points hostB's MAC at leaf3 (leaf2 dropped its local entry).
    for (const leaf of ['leaf1', 'leaf2']) {
      const n = lab.fabric.nodes.get(leaf)!;
      assert.ok(n.kind === 'leaf');
      const e = n.dataplane.domain(100)!.fdb.lookup(mac);
      assert.equal(e?.kind === 'remote' ? e.vtep : e?.kind, '10.255.0.3', leaf);
    }
  });

  it('runs examples/seed004-different-subnet.yaml: routed once, by the centralized gateway only', () => {
    const file = join(dirname(EXAMPLE), 'seed004-different-subnet.yaml');
    const lab = buildLab(loadTopology(readFileSync(file, 'utf8'), file));
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    const r = labReport(lab);
    for (const f of r.flows) assert.deepEqual([f.lost, f.received], [0, f.sent], f.name);
    const delivered = r.flows.reduce((n, f) => n + f.received, 0);
    assert.equal(r.counters.leaf2!.routed, delivered, 'every packet routed exactly once, at leaf2');
    assert.equal(r.counters.leaf1!.routed, 0);
    assert.equal(r.counters.leaf3!.routed, 0);
    // leaf1 and leaf3 only bridge: all their traffic goes to or comes from the gateway VTEP.
    const l1 = lab.fabric.nodes.get('leaf1')!;
    assert.ok(l1.kind === 'leaf');
    const gw = l1.dataplane.domain(100)!.fdb.lookup('00:00:5e:00:01:01' as never);
    assert.equal(gw?.kind === 'remote' ? gw.vtep : undefined, '10.255.0.2');
  });

  it('runs examples/two-tenants.yaml: routing stays inside a VRF, cross-tenant traffic is dropped', () => {
    const file = join(dirname(EXAMPLE), 'two-tenants.yaml');
    const lab = buildLab(loadTopology(readFileSync(file, 'utf8'), file));
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    const r = labReport(lab);
    const red = r.flows.find((f) => f.name === 'red1-red2')!;
    const cross = r.flows.find((f) => f.name === 'red1-blue1')!;
    assert.deepEqual([red.lost, red.received], [0, red.sent]);
    assert.deepEqual([cross.received, cross.lost], [0, cross.sent]);
    assert.equal(r.counters.leaf2!.routeDrops, cross.sent, 'every red→blue packet dropped at the gateway');
    assert.equal(lab.fabric.host('blue1').counters.framesIn, 0, 'nothing of red ever reached blue1');
  });

  it('gives the same report for the same seed', () => {
    const run = () => {
      const lab = buildLab(loadTopology(readFileSync(EXAMPLE, 'utf8'), EXAMPLE));
      lab.fabric.sim.runUntil(300_000_000);
      return JSON.stringify(labReport(lab));
    };
    assert.equal(run(), run());
  });

  it('reports every problem in a wrong file with line, column and field', () => {
    const text = [
      'nodes:',
      '  leaf1: { kind: leaf, vtep: 10.255.0.300 }',
      '  hostA: { kind: host, ip: 10.1.0.10 }',
      '  spine1: { kind: spine, colour: red }',
      'links:',
      '  - { a: hostA:eth0, b: leaf9:eth1 }',
      'vnis:',
      '  - { vni: 100, mode: evpn, ports: [hostA:eth0] }',
      'flows:',
      '  - { from: hostA, to: leaf1 }',
      'underlay: static',
    ].join('\n');
    assert.throws(
      () => loadTopology(text, 'bad.yaml'),
      (e: unknown) => {
        assert.ok(e instanceof ConfigError);
        const m = e.message;
        assert.match(
          m,
          /bad\.yaml:2:\d+: nodes\.leaf1\.vtep: "10\.255\.0\.300" is not a valid IPv4 VTEP address/,
        );
        assert.match(m, /bad\.yaml:3:\d+: nodes\.hostA\.ip: .*ADDRESS\/LENGTH/);
        assert.match(m, /bad\.yaml:4:\d+: nodes\.spine1.*colour/);
        assert.match(m, /bad\.yaml:6:\d+: links\[0\]\.b: no node named "leaf9"/);
        assert.match(m, /bad\.yaml:11:\d+: underlay: EVPN VNIs need BGP: use underlay: ebgp/);
        assert.match(m, /vnis\[0\]\.ports\[0\]: hostA is not a leaf/);
        assert.match(m, /bad\.yaml:10:\d+: flows\[0\]\.to: "leaf1" is not a host/);
        assert.match(m, /nodes\.leaf1: a leaf needs at least one link to a spine/);
        return true;
      },
    );
  });

  it('twinleaf lab --json prints the documented report and --pcap writes one capture per link', () => {
    const cli = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
    const dir = mkdtempSync(join(tmpdir(), 'tl-labpcap-'));
    try {
      const out = execFileSync(
        process.execPath,
        [cli, 'lab', EXAMPLE, '--until', '100ms', '--json', '--pcap', dir],
        { encoding: 'utf8' },
      );
      const r = JSON.parse(out) as Record<string, unknown>;
      assert.deepEqual(Object.keys(r).sort(), ['counters', 'faults', 'flows', 'name', 'simulatedMs']);
      assert.equal(r.simulatedMs, 100);
      const flows = r.flows as Record<string, unknown>[];
      assert.deepEqual(Object.keys(flows[0]!).sort(), [
        'dst',
        'duplicated',
        'goodputMbps',
        'latencyMs',
        'lost',
        'name',
        'received',
        'reordered',
        'sent',
        'src',
      ]);
      assert.equal(readdirSync(dir).filter((f) => f.endsWith('.pcap')).length, 4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs a scenario file against a topology: its timeline replaces the topology’s own', () => {
    const topoFile = join(dirname(EXAMPLE), 'evpn-fabric.yaml');
    const scenarioFile = join(dirname(EXAMPLE), 'scenarios/evpn-fabric-spine-maintenance.yaml');
    const topology = loadTopology(readFileSync(topoFile, 'utf8'), topoFile);
    const t = loadScenario(readFileSync(scenarioFile, 'utf8'), scenarioFile, topology);
    assert.deepEqual(
      t.flows.map((f) => f.name),
      ['web1-web2', 'db2-db1'],
    );
    assert.equal(t.untilNs, 1_500_000_000);
    const lab = buildLab(t);
    lab.fabric.sim.runUntil(t.untilNs);
    const r = labReport(lab);
    assert.deepEqual(
      r.faults.map((f) => f.name),
      ['spine2-down', 'spine2-up', 'web2-moves'],
    );
    const web = r.flows.find((f) => f.name === 'web1-web2')!;
    assert.ok(web.lost <= 5 && web.received === web.sent - web.lost, `web lost ${web.lost}`);
    // A scenario that names what the topology lacks is refused, with the scenario's file and line.
    assert.throws(
      () =>
        loadScenario('faults:\n  - { at: 1s, action: node-down, target: spine9 }\n', 'bad.yaml', topology),
      /bad\.yaml:2:\d+: faults\[0\]\.target: no node named "spine9"/,
    );
  });

  it('parses durations and bandwidths with units', () => {
    assert.equal(parseDuration('2us'), 2000);
    assert.equal(parseDuration('1.5s'), 1_500_000_000);
    assert.equal(parseBandwidth('25G'), 25e9);
    assert.throws(() => parseDuration('10'), /unit/);
  });
});
