/**
 * `twinleaf daemon`: one device on this host. Wires the BGP speaker and EVPN service to real TCP
 * sockets and timers, and serves the local HTTP API that `twinleaf show` reads.
 *
 * A misbehaving peer costs that peer its session, never the daemon: every input is handled inside
 * the sans-IO engines, which turn bad bytes into NOTIFICATIONs.
 */
import { bgpEvpnRoutes, bgpNeighbors, bgpSummary } from '../api/bgp.js';
import { BgpSpeaker } from '../bgp/speaker.js';
import { EvpnService } from '../evpn/service.js';
import { ApiServer } from './api-server.js';
import { BgpTcpDriver, monotonicMs } from './bgp-tcp.js';
import type { DeviceConfig } from './device-config.js';

export interface DaemonOptions {
  readonly log?: (line: string) => void;
}

export interface RunningDaemon {
  readonly speaker: BgpSpeaker;
  readonly evpn: EvpnService | undefined;
  readonly bgpPort: number | undefined;
  readonly apiPort: number | undefined;
  stop(): Promise<void>;
}

export function buildSpeaker(config: DeviceConfig): { speaker: BgpSpeaker; evpn: EvpnService | undefined } {
  const speaker = new BgpSpeaker({
    localAs: config.asn,
    routerId: config.routerId,
    hostname: config.hostname,
    ...(config.clusterId !== undefined ? { clusterId: config.clusterId } : {}),
  });
  for (const n of config.neighbors) speaker.addPeer(n);
  let evpn: EvpnService | undefined;
  if (config.vtepIp !== undefined) {
    evpn = new EvpnService(speaker, {
      routerId: config.routerId,
      asn: config.asn,
      vtepIp: config.vtepIp,
      vnis: config.vnis,
      vrfs: config.vrfs,
    });
    evpn.start();
  }
  return { speaker, evpn };
}

export async function startDaemon(config: DeviceConfig, options: DaemonOptions = {}): Promise<RunningDaemon> {
  const log = options.log ?? ((line: string) => console.log(line));
  if (config.dataplane !== 'none') {
    throw new Error(
      `dataplane "${config.dataplane}" is not available yet; use dataplane: none (control plane only)`,
    );
  }
  const { speaker, evpn } = buildSpeaker(config);
  const driver = new BgpTcpDriver(speaker, {
    ...(config.listen ? { listen: config.listen } : {}),
    log: (level, peer, message) => log(`${level === 'warn' ? 'WARN ' : ''}bgp:${peer} ${message}`),
  });
  await driver.start();
  let api: ApiServer | undefined;
  if (config.api) {
    api = new ApiServer()
      .route('/api/bgp/summary', () => bgpSummary(speaker, monotonicMs()))
      .route('/api/bgp/neighbors', () => bgpNeighbors(speaker, monotonicMs()))
      // Process metrics; `?gc=1` first collects garbage when node runs with --expose-gc (benchmarks).
      .route('/api/process', (q) => {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (q.get('gc') === '1' && gc) gc();
        return {
          pid: process.pid,
          uptimeSeconds: process.uptime(),
          memory: process.memoryUsage(),
          evpnRoutes: speaker.evpn.size,
        };
      })
      .route('/api/bgp/evpn/routes', (q) => {
        const num = (name: string) => {
          const v = q.get(name);
          if (v === null) return undefined;
          if (!/^\d+$/.test(v)) throw new RangeError(`${name} must be a number, got "${v}"`);
          return Number(v);
        };
        const type = num('type');
        const vni = num('vni');
        const limit = num('limit');
        return bgpEvpnRoutes(speaker, {
          ...(type !== undefined ? { type } : {}),
          ...(vni !== undefined ? { vni } : {}),
          ...(limit !== undefined ? { limit } : {}),
        });
      });
    await api.listen(config.api.address, config.api.port);
  }
  log(
    `twinleaf daemon ${config.hostname}: router-id ${config.routerId}, AS ${config.asn}, ` +
      `BGP ${config.listen ? `${config.listen.address}:${driver.listeningPort}` : 'outbound only'}, ` +
      `API ${config.api ? `http://${config.api.address}:${api?.port}` : 'off'}`,
  );
  return {
    speaker,
    evpn,
    bgpPort: driver.listeningPort,
    apiPort: api?.port,
    async stop() {
      await driver.stop();
      await api?.close();
    },
  };
}
