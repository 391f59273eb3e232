/**
 * M-LAG in real mode: two twinleaf daemons pair over a real TCP peer-link (127.0.0.1 ↔ 127.0.0.2),
 * with DAD probes and BFD over UDP on a separate path (127.0.1.1 ↔ 127.0.1.2), real timers.
 * They elect the configured master; when the master's process stops, the backup learns it from the
 * closed peer-link, DAD and BFD and forwards alone as master; the returning device pairs again and
 * stays backup (seed 001: no pre-emption).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadDeviceConfig } from '../../src/node/device-config.js';
import { startDaemon, type RunningDaemon } from '../../src/node/daemon.js';

function config(side: 0 | 1): string {
  return [
    `hostname: leaf${side + 1}`,
    `router-id: 10.0.0.${side + 1}`,
    `asn: ${65001 + side}`,
    'listen: false',
    'api: false',
    'evpn:',
    `  vtep-ip: 10.255.0.${side + 1}`,
    '  vnis: [{ vni: 100 }, { vni: 200 }]',
    'mlag:',
    `  priority: ${side === 0 ? 200 : 100}`,
    '  system-mac: 02:4d:00:00:00:01',
    '  virtual-vtep: 10.255.1.12',
    `  peer-link: { local: 127.0.0.${side + 1}, peer: 127.0.0.${2 - side}, port: 18471 }`,
    `  dad: { local: 127.0.1.${side + 1}, peer: 127.0.1.${2 - side}, port: 18472 }`,
    '  recovery-delay: 200ms',
    '  bfd: { interval: 50ms, multiplier: 3 }',
    '  members: [{ id: 1, port: eth1, vni: 100 }, { id: 2, port: eth2, vni: 200 }]',
  ].join('\n');
}

const start = (side: 0 | 1) =>
  startDaemon(loadDeviceConfig(config(side), `leaf${side + 1}.yaml`), { log: () => undefined });

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const status = (d: RunningDaemon) => `${d.mlag!.device.group.state}/${d.mlag!.device.group.role}`;

describe('M-LAG between two daemons over TCP', () => {
  it('pairs, elects, survives the master stopping, and pairs again without pre-emption', async () => {
    const running: RunningDaemon[] = [];
    try {
      let a = await start(0);
      running.push(a);
      const b = await start(1);
      running.push(b);
      await until('pairing', () => status(a) === 'paired/master' && status(b) === 'paired/backup');
      // The lower peer-link address dials; the other listens.
      assert.equal(a.mlag!.peerLink.dials, true);
      assert.equal(b.mlag!.peerLink.dials, false);
      const log = () => b.mlag!.device.log.join('\n');
      assert.match(log(), /bfd:leaf2\/peer state=\w+→Up/);

      await a.stop();
      await until('the backup alone', () => status(b) === 'alone/master');
      assert.match(log(), /peer-link down/);
      assert.match(log(), /role=backup→master/);

      running.splice(running.indexOf(a), 1);
      a = await start(0);
      running.push(a);
      await until('pairing again', () => status(a) === 'paired/backup' && status(b) === 'paired/master');
    } finally {
      for (const d of running) await d.stop();
    }
  });
});
