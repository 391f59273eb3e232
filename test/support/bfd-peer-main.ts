/**
 * A twinleaf BFD endpoint as a process, for interop tests: runs `BfdUdpDriver` (src/node/bfd-udp.ts)
 * with the sessions given as JSON in argv[2], inside whatever namespace it was started in
 * (`ip netns exec`), and reports on stdout, one JSON object a line:
 *   {"event":"ready"}                      the listener is bound and the sessions started
 *   {"event":"state","peer":…,"from":…,"to":…,"diag":…,"remoteState":…,"remoteDiag":…,"status":{…}}
 *   {"event":"status","sessions":[…]}      on SIGHUP
 * Signals: SIGUSR1 sets every session AdminDown, SIGUSR2 enables them again, SIGTERM exits at once
 * without telling the peers (they find out through their Detection Time).
 */
import { BfdUdpDriver, type BfdPeerConfig } from '../../src/node/bfd-udp.js';

export interface BfdPeerProcessConfig {
  readonly sessions: readonly BfdPeerConfig[];
}

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ t: Date.now(), ...event })}\n`);
}

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === undefined) throw new Error('usage: bfd-peer-main.js \'{"sessions":[...]}\'');
  const config = JSON.parse(arg) as BfdPeerProcessConfig;
  const driver = new BfdUdpDriver({
    log: (level, peer, message) => emit({ event: 'log', level, peer, message }),
    onStateChange: (peer, change) =>
      emit({ event: 'state', peer, ...change, status: driver.session(peer)?.status() }),
  });
  await driver.start();
  for (const s of config.sessions) await driver.addPeer(s);
  process.on('SIGUSR1', () => {
    for (const s of config.sessions) driver.setAdminDown(s.peer, true);
  });
  process.on('SIGUSR2', () => {
    for (const s of config.sessions) driver.setAdminDown(s.peer, false);
  });
  process.on('SIGHUP', () => emit({ event: 'status', sessions: driver.status() }));
  process.on('SIGTERM', () => process.exit(0));
  emit({ event: 'ready' });
}

main().catch((e: unknown) => {
  emit({ event: 'fatal', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});
