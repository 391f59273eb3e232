/**
 * The lab control plane's time model: UPDATEs queue for one CPU, but BGP timers do not — KEEPALIVEs
 * leave on time and arriving input restarts the peer's hold timer, so a backlog longer than the hold
 * time does not drop sessions, while a peer that falls silent is still dropped on time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildLab, loadTopology, type BuiltLab } from '../../src/lab/topology.js';

/** One spine, two leaves, twelve hosts in one EVPN VNI, a slow flow from each host. */
function fabric(perUpdate: string): BuiltLab {
  const n = 12;
  const lines = [
    'name: backlog',
    'seed: 3',
    `control-plane: { per-update: ${perUpdate} }`,
    'nodes:',
    '  s1: { kind: spine }',
    '  l1: { kind: leaf, vtep: 10.255.0.1 }',
    '  l2: { kind: leaf, vtep: 10.255.0.2 }',
  ];
  for (let i = 1; i <= n; i++) lines.push(`  h${i}: { kind: host, ip: 10.1.0.${i + 9}/24 }`);
  lines.push('links:', '  - { a: l1:up1, b: s1:p1 }', '  - { a: l2:up1, b: s1:p2 }');
  for (let i = 1; i <= n; i++) lines.push(`  - { a: h${i}:eth0, b: l${(i % 2) + 1}:eth${i} }`);
  const ports = Array.from({ length: n }, (_, i) => `l${((i + 1) % 2) + 1}:eth${i + 1}`).join(', ');
  lines.push('vnis:', `  - { vni: 100, mode: evpn, arp-suppression: true, ports: [${ports}] }`, 'flows:');
  for (let i = 1; i <= n; i++)
    lines.push(
      `  - { name: f${i}, from: h${i}, to: h${(i % n) + 1}, rate: 10, start: ${i * 100}ms, stop: 30s }`,
    );
  return buildLab(loadTopology(`${lines.join('\n')}\n`, 'backlog.yaml'));
}

function sessions(lab: BuiltLab): { established: number; drops: number; holdExpiries: number } {
  let established = 0;
  let drops = 0;
  let holdExpiries = 0;
  for (const c of lab.controls.values()) {
    holdExpiries += c.holdTimerExpiries;
    for (const p of c.speaker.peerList()) {
      if (p.session.state === 'Established') established++;
      drops += p.session.counters.droppedTransitions;
    }
  }
  return { established, drops, holdExpiries };
}

describe('lab control plane', () => {
  it('keeps sessions up through an UPDATE backlog longer than the hold time', () => {
    // 2 s per UPDATE: the spine's CPU is busy for 20 s and work waits up to 16 s for it, against a
    // hold time of 9 s. KEEPALIVEs queued behind that work used to expire the sessions.
    const lab = fabric('2s');
    lab.fabric.sim.runUntil(40e9);
    const spine = lab.controls.get('s1')!;
    assert.ok(spine.cpu.counters.maxQueueNs > 9e9, `backlog ${spine.cpu.counters.maxQueueNs / 1e9} s`);
    assert.deepEqual(sessions(lab), { established: 4, drops: 0, holdExpiries: 0 });
    for (const c of lab.controls.values())
      for (const p of c.speaker.peerList()) assert.ok(p.session.counters.keepalivesIn >= 10);
  });

  it('still drops a session whose peer falls silent, one hold time after the last bytes', () => {
    const lab = fabric('50us');
    const sim = lab.fabric.sim;
    sim.runUntil(5e9);
    assert.deepEqual(sessions(lab), { established: 4, drops: 0, holdExpiries: 0 });
    // Nothing crosses l1–s1 any more, though both ends keep their carrier.
    lab.fabric.link('l1', 'up1')!.setLoss(1);
    sim.runUntil(11e9);
    assert.equal(sessions(lab).holdExpiries, 0, 'keepalives went every 3 s: 9 s of silence not reached');
    sim.runUntil(14.001e9);
    assert.equal(sessions(lab).holdExpiries, 2, 'both ends of l1–s1, nothing else');
    assert.equal(sessions(lab).established, 2);
  });
});
