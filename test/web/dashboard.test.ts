/**
 * The lab dashboard: the page and the JSON it reads, served while a lab runs.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { buildLab, loadTopology } from '../../src/lab/topology.js';
import { startDashboard, type LabSnapshot } from '../../src/web/dashboard.js';

const FILE = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/evpn-fabric.yaml');

describe('lab dashboard', () => {
  it('serves the page and a live snapshot: sessions, links, flows and faults as the lab advances', async () => {
    const lab = buildLab(loadTopology(readFileSync(FILE, 'utf8'), FILE));
    let running = true;
    const dashboard = await startDashboard(lab, () => running, { port: 0 });
    try {
      const page = await (await fetch(dashboard.url)).text();
      assert.match(page, /<title>twinleaf lab<\/title>/);
      assert.match(page, /fetch\('\/api\/lab'\)/);
      const at = async () => (await (await fetch(`${dashboard.url}api/lab`)).json()) as LabSnapshot;
      const before = await at();
      assert.equal(before.nowMs, 0);
      assert.ok(
        Object.values(before.sessions)
          .flat()
          .every((s) => s.state !== 'Established'),
      );
      lab.fabric.sim.runUntil(550_000_000);
      const during = await at();
      assert.equal(during.running, true);
      assert.equal(during.nowMs, 550);
      // spine1 failed at 500 ms: its links are down and the leaves' sessions to it are not up.
      assert.ok(during.links.filter((l) => l.b.startsWith('spine1:')).every((l) => !l.up));
      assert.ok(during.links.filter((l) => l.b.startsWith('spine2:')).every((l) => l.up));
      assert.ok(during.sessions.leaf2!.some((s) => s.description === 'spine2' && s.state === 'Established'));
      assert.ok(during.sessions.leaf2!.some((s) => s.description === 'spine1' && s.state !== 'Established'));
      assert.deepEqual(
        during.report.faults.map((f) => f.name),
        ['spine1-fails'],
      );
      assert.equal(during.report.flows.length, 5);
      assert.deepEqual(during.mlag, [], 'no M-LAG pairs in this fabric');
      running = false;
      assert.equal((await at()).running, false);
    } finally {
      await dashboard.close();
    }
  });

  it('shows each M-LAG leaf’s DFS state and role', async () => {
    const file = join(dirname(FILE), 'mlag.yaml');
    const lab = buildLab(loadTopology(readFileSync(file, 'utf8'), file));
    const dashboard = await startDashboard(lab, () => true, { port: 0 });
    try {
      lab.fabric.sim.runUntil(100_000_000);
      const s = (await (await fetch(`${dashboard.url}api/lab`)).json()) as LabSnapshot;
      assert.deepEqual(
        s.mlag.map((m) => `${m.device} ${m.state} ${m.role}`),
        ['leaf1 paired master', 'leaf2 paired backup', 'leaf3 paired master', 'leaf4 paired backup'],
      );
      assert.match(await (await fetch(dashboard.url)).text(), /id="mlag"/);
    } finally {
      await dashboard.close();
    }
  });
});
