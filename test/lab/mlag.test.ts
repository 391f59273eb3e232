/**
 * M-LAG pairs in the lab (seed 001, seed 000): examples/mlag.yaml in normal state, and every
 * failure of examples/mlag-failures.yaml, measured with the real DFS group, LACP, BFD, BGP/EVPN
 * and data plane on real frames.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { labReport, type FaultReport } from '../../src/lab/report.js';
import { buildLab, loadScenario, loadTopology, type BuiltLab } from '../../src/lab/topology.js';
import type { SimSwitch } from '../../src/dataplane/sim/switch.js';

const topologyText = readFileSync(new URL('../../../examples/mlag.yaml', import.meta.url), 'utf8');
const scenarioText = readFileSync(new URL('../../../examples/mlag-failures.yaml', import.meta.url), 'utf8');

function leaf(lab: BuiltLab, name: string): SimSwitch {
  const n = lab.fabric.nodes.get(name);
  if (n?.kind !== 'leaf') throw new Error(`${name} is not a leaf`);
  return n.dataplane;
}

/** Frames a 5000 pps flow sends in `ms`. */
const framesIn = (ms: number) => Math.ceil((ms * 5000) / 1000);

describe('M-LAG in the lab: normal state (examples/mlag.yaml)', () => {
  const lab = buildLab(loadTopology(topologyText, 'examples/mlag.yaml'));
  lab.fabric.sim.runUntil(lab.topology.untilNs);
  const report = labReport(lab);

  it('pairs each pair with the configured master and keeps the tables equal', () => {
    for (const [name, role] of [
      ['leaf1', 'master'],
      ['leaf2', 'backup'],
      ['leaf3', 'master'],
      ['leaf4', 'backup'],
    ] as const) {
      const m = lab.mlagDevices.get(name)!;
      assert.equal(m.group.state, 'paired', name);
      assert.equal(m.group.role, role, name);
    }
    const a = lab.mlagDevices.get('leaf1')!.tables();
    assert.ok(a.macs.length >= 3, 'dual- and single-homed MACs are in the table');
    assert.deepEqual(lab.mlagDevices.get('leaf2')!.tables(), a);
  });

  it('every server bond aggregates both links with one partner (the pair’s system id)', () => {
    for (const name of ['srv1', 'srv2', 'srv3', 'srv4']) {
      const bond = lab.fabric.host(name).bond!;
      assert.deepEqual(bond.distributingPorts().sort(), ['eth0', 'eth1'], name);
      const partners = new Set(bond.status().ports.map((p) => p.partner.system));
      assert.equal(partners.size, 1, `${name} sees one LACP partner`);
    }
  });

  it('delivers every frame once, and load-shares both ways over both devices', () => {
    for (const f of report.flows) {
      assert.equal(f.duplicated, 0, f.name);
      // A single-homed server's first frames can go before the far pair has synced where it is.
      if (f.name.includes('single')) assert.ok(f.lost <= 10, `${f.name} lost ${f.lost}`);
      else assert.equal(f.lost, 0, f.name);
    }
    // Servers hash flows over both links; the fabric hashes towards the virtual VTEP over both leaves.
    const srv1 = lab.fabric.host('srv1').framesOutByPort;
    assert.ok((srv1.get('eth0') ?? 0) > 1000 && (srv1.get('eth1') ?? 0) > 1000, JSON.stringify([...srv1]));
    for (const name of ['leaf1', 'leaf2', 'leaf3', 'leaf4'])
      assert.ok(leaf(lab, name).counters.decapsulated > 1000, `${name} receives its share`);
  });

  it('shows the isolation rule in the counters: BUM from the peer-link is not sent to dual-homed servers', () => {
    assert.ok(leaf(lab, 'leaf2').counters.isolationDropped > 0);
    assert.ok(leaf(lab, 'leaf2').isIsolated(1) && leaf(lab, 'leaf2').isIsolated(3));
    // single1 (single-homed on leaf2) got the broadcasts that crossed the peer-link.
    assert.ok(leaf(lab, 'leaf2').counters.peerLinkIn > 0);
  });
});

describe('M-LAG in the lab: every failure of seed 001 (examples/mlag-failures.yaml)', () => {
  const base = loadTopology(topologyText, 'examples/mlag.yaml');
  const lab = buildLab(loadScenario(scenarioText, 'examples/mlag-failures.yaml', base));
  const sim = lab.fabric.sim;
  // Isolation while srv1's link to leaf1 is down (member-port failure, 4.0–4.3 s).
  sim.runUntil(4_150_000_000);
  const isolationDuringMemberFailure = [leaf(lab, 'leaf2').isIsolated(1), leaf(lab, 'leaf2').isIsolated(3)];
  sim.runUntil(lab.topology.untilNs);
  const report = labReport(lab);
  const row = (name: string): FaultReport => {
    const r = report.faults.find((f) => f.name === name);
    assert.ok(r, `fault ${name}`);
    return r;
  };
  /** Lost frames of flows between dual-homed servers (single-homed ones die with their leaf). */
  const dualHomedLoss = (r: FaultReport) =>
    Object.entries(r.lostByFlow)
      .filter(([flow]) => !flow.includes('single'))
      .map(([, n]) => n);

  it('no frame is ever duplicated, and no loop or storm forms (no queue drops anywhere)', () => {
    for (const f of report.flows) assert.equal(f.duplicated, 0, f.name);
    for (const l of lab.fabric.links) assert.equal(l.counters.lostQueue, 0, l.name);
  });

  it('member-port failure: ≤ 1 ms of loss, isolation lifted exactly for that M-LAG, re-sync on recovery', () => {
    const r = row('member-port');
    assert.ok(r.convergenceMs <= 1, `convergence ${r.convergenceMs} ms`);
    for (const n of dualHomedLoss(r)) assert.ok(n <= framesIn(1), `${JSON.stringify(r.lostByFlow)}`);
    assert.deepEqual(isolationDuringMemberFailure, [false, true]);
    assert.equal(row('member-port-recovery').lost, 0);
    assert.equal(row('member-port-recovery').tablesAgree, true);
  });

  it('peer-link failure: DAD finds the peer alive, the backup error-downs; dual-homed servers lose ≤ 1 ms', () => {
    const r = row('peer-link');
    for (const n of dualHomedLoss(r)) assert.ok(n <= framesIn(1), JSON.stringify(r.lostByFlow));
    const backupLog = lab.mlagDevices.get('leaf2')!.log.join('\n');
    assert.match(backupLog, /dad-check→split/);
    assert.match(backupLog, /error-down: non-member ports/);
    assert.equal(row('peer-link-recovery').tablesAgree, true);
    for (const n of dualHomedLoss(row('peer-link-recovery'))) assert.equal(n, 0);
  });

  it('device failure: the survivor forwards alone within 3 BFD intervals + 1 ms; roles stay after recovery', () => {
    const r = row('device');
    assert.ok(r.convergenceMs <= 31, `convergence ${r.convergenceMs} ms`);
    for (const n of dualHomedLoss(r)) assert.ok(n <= framesIn(31));
    // The DAD path runs through the management switch: the survivor keeps its carrier, BFD finds
    // the peer dead within 3 intervals of its last packet, and it forwards alone as master.
    const log = lab.mlagDevices.get('leaf2')!.log;
    const alone = log.find((l) => /state=dad-check→alone reason=peer device down \(BFD\)/.test(l));
    assert.ok(alone, log.join('\n'));
    assert.ok(Number.parseFloat(alone) - 11_000 <= 31, alone);
    assert.match(log.join('\n'), /role=backup→master/);
    assert.equal(row('device-recovery').lost, 0);
    assert.equal(row('device-recovery').tablesAgree, true);
    // No pre-emption (seed 001): the recovered leaf1 stays backup.
    assert.equal(lab.mlagDevices.get('leaf1')!.group.role, 'backup');
    assert.equal(lab.mlagDevices.get('leaf2')!.group.role, 'master');
  });

  it('planned upgrade: drain, stop and return lose no frame', () => {
    for (const name of ['planned-upgrade', 'planned-upgrade-stop', 'planned-upgrade-return'])
      assert.equal(row(name).lost, 0, name);
    assert.equal(row('planned-upgrade-return').tablesAgree, true);
  });

  it('peer-link and DAD down together: both masters, no frame lost or duplicated, tables agree after', () => {
    assert.match(lab.mlagDevices.get('leaf4')!.log.join('\n'), /dual-master/);
    assert.equal(row('dual-master').lost, 0);
    assert.equal(row('dual-master-recovery').lost, 0);
    assert.equal(row('dual-master-recovery').tablesAgree, true);
  });

  it('uplink failure: leaf1 reaches the fabric through its peer; only the carrier delay is lost', () => {
    const r = row('uplink');
    assert.ok(r.convergenceMs <= 11, `convergence ${r.convergenceMs} ms`);
    assert.equal(row('uplink-recovery').lost, 0);
  });
});

describe('M-LAG in the lab: monitor-link (seed 001: the members follow the uplinks)', () => {
  // leaf1 loses its uplinks, and its peer-link and DAD link too: both leaves go dual-master, and
  // without monitor-link what srv1 hashes to leaf1 has nowhere to go (seed 001's case for it).
  const scenario = `
name: uplinks-and-peer-link
until: 7s
flows:
  - { name: srv1-srv2, from: srv1, to: srv2, rate: 5000, start: 2500ms, stop: 6900ms }
  - { name: srv2-srv1, from: srv2, to: srv1, rate: 5000, start: 2500ms, stop: 6900ms }
  - { name: srv1-srv4, from: srv1, to: srv4, rate: 5000, start: 2500ms, stop: 6900ms }
faults:
  - { name: isolated, at: 3s, action: link-down, target: [leaf1:up1, leaf1:up2, leaf1:peer, leaf1:dad] }
  - { name: back, at: 3300ms, action: link-up, target: [leaf1:up1, leaf1:up2, leaf1:peer, leaf1:dad] }
`;
  const run = (monitorLink: boolean) => {
    const text = monitorLink
      ? topologyText.replace(
          '    recovery-delay: 500ms\n',
          '    recovery-delay: 500ms\n    monitor-link: { recovery-delay: 200ms }\n',
        )
      : topologyText;
    assert.notEqual(monitorLink, text === topologyText, 'the topology got its monitor-link');
    const lab = buildLab(
      loadScenario(scenario, 'uplinks-and-peer-link.yaml', loadTopology(text, 'mlag.yaml')),
    );
    lab.fabric.sim.runUntil(3_200_000_000);
    const srv1During = lab.fabric.host('srv1').bond!.distributingPorts();
    lab.fabric.sim.runUntil(lab.topology.untilNs);
    const report = labReport(lab);
    const row = (name: string) => report.faults.find((f) => f.name === name)!;
    return { lab, report, srv1During, isolated: row('isolated'), back: row('back') };
  };
  const without = run(false);
  const withMonitor = run(true);

  it('without monitor-link, srv1 keeps sending into leaf1, which has no way out', () => {
    assert.deepEqual(without.srv1During.sort(), ['eth0', 'eth1']);
    // Whichever of srv1's flows its bond hashes to leaf1 is lost for the whole outage (300 ms).
    const fromSrv1 = Object.entries(without.isolated.lostByFlow).filter(([flow]) => flow.startsWith('srv1-'));
    assert.ok(
      fromSrv1.some(([, n]) => n > framesIn(250)),
      JSON.stringify(without.isolated.lostByFlow),
    );
  });

  it('with monitor-link, leaf1 takes its members out of the bonds: srv1 sends by leaf2 only, ≤ 11 ms lost', () => {
    assert.deepEqual(withMonitor.srv1During, ['eth1']);
    assert.match(withMonitor.lab.mlagDevices.get('leaf1')!.log.join('\n'), /monitor-link: every uplink down/);
    assert.ok(
      withMonitor.isolated.convergenceMs <= 11,
      `convergence ${withMonitor.isolated.convergenceMs} ms`,
    );
    for (const [flow, n] of Object.entries(withMonitor.isolated.lostByFlow))
      assert.ok(n <= framesIn(11), `${flow} lost ${n}`);
  });

  it('the members rejoin after the uplinks return and the pair re-forms; nothing duplicated', () => {
    assert.match(withMonitor.lab.mlagDevices.get('leaf1')!.log.join('\n'), /monitor-link: member ports up/);
    assert.deepEqual(withMonitor.lab.fabric.host('srv1').bond!.distributingPorts().sort(), ['eth0', 'eth1']);
    assert.equal(withMonitor.back.tablesAgree, true);
    for (const f of withMonitor.report.flows) assert.equal(f.duplicated, 0, f.name);
  });
});

describe('M-LAG in the lab: a dual-homed server has twice the bandwidth (examples/mlag-bandwidth.yaml)', () => {
  const text = readFileSync(new URL('../../../examples/mlag-bandwidth.yaml', import.meta.url), 'utf8');
  const lab = buildLab(loadTopology(text, 'examples/mlag-bandwidth.yaml'));
  lab.fabric.sim.runUntil(lab.topology.untilNs);
  const report = labReport(lab);
  const goodput = (prefix: string) =>
    report.flows.filter((f) => f.name.startsWith(prefix)).reduce((sum, f) => sum + f.goodputMbps, 0);
  /** 100 Mb/s of 1472-octet UDP payloads: 1538 octets a frame on the wire with preamble and gap. */
  const linkPayloadMbps = (100 * 1472) / 1538;

  it('a single-homed server offered 2.5 links gets one link: the yardstick', () => {
    const single = goodput('single-');
    assert.ok(single > 0.95 * linkPayloadMbps && single <= linkPayloadMbps * 1.01, `${single} Mb/s`);
  });

  it('the dual-homed server sends and receives at twice that, over both links and both leaves', () => {
    const single = goodput('single-');
    for (const dir of ['out-', 'in-']) {
      const dual = goodput(dir);
      assert.ok(dual >= 1.95 * single && dual <= 2.02 * linkPayloadMbps, `${dir} ${dual} vs ${single} Mb/s`);
    }
    const out = lab.fabric.host('srv1').framesOutByPort;
    for (const port of ['eth0', 'eth1']) assert.ok((out.get(port) ?? 0) > 8000, `${port}: ${out.get(port)}`);
    for (const f of report.flows) assert.equal(f.duplicated, 0, f.name);
  });
});

describe('M-LAG topology errors', () => {
  it('names the file, line and field of every mistake in an mlag section, links and flows', () => {
    const text = topologyText
      .replace('    leaves: [leaf1, leaf2]\n', '    leaves: [leaf1, srv1]\n')
      .replace('    dad-link: leaf3:dad\n', '    dad-link: leaf3:peer\n')
      .replace('    recovery-delay: 500ms\n', '    recovery-delay: 500ms\n    monitor-link: maybe\n')
      .replace(
        '  - { a: leaf1:dad, b: leaf2:dad, latency: 1us, bandwidth: 1G, via-switch: true }',
        '  - { a: leaf1:dad, b: leaf2:dad, via-switch: 3 }',
      )
      .replace(
        '      - { id: 2, ports: [leaf3:eth1, leaf4:eth1] }',
        '      - { id: 2, ports: [leaf3:eth1, leaf3:eth2] }',
      )
      .replace('{ name: srv1-srv2, from: srv1,', '{ name: srv1-srv2, streams: 0, from: srv1,');
    assert.notEqual(text, topologyText);
    assert.throws(
      () => loadTopology(text, 'pairs.yaml'),
      (e: unknown) => {
        const m = (e as Error).message;
        assert.match(m, /pairs\.yaml:\d+:\d+: mlag\[0\]\.leaves\[1\]: "srv1" is not a leaf/);
        assert.match(m, /pairs\.yaml:\d+:\d+: mlag\[1\]\.dad-link: the DAD link must not be the peer-link/);
        assert.match(m, /pairs\.yaml:\d+:\d+: mlag\[0\]\.monitor-link: expected true or false, got "maybe"/);
        assert.match(m, /pairs\.yaml:\d+:\d+: links\[\d+\]\.via-switch: expected true or false, got 3/);
        assert.match(m, /mlag\[1\]\.members\[0\]\.ports: one member port on each leaf/);
        assert.match(m, /pairs\.yaml:\d+:\d+: flows\[0\]\.streams: 0 is out of range/);
        assert.doesNotMatch(m, /YAML:/, 'the edits keep the file valid YAML');
        return true;
      },
    );
  });
});
