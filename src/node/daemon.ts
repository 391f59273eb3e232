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
import { SimSwitch } from '../dataplane/sim/switch.js';
import type { Ipv4Address, Mac } from '../wire/addr.js';
import { ApiServer } from './api-server.js';
import { BgpTcpDriver, monotonicMs } from './bgp-tcp.js';
import type { DeviceConfig } from './device-config.js';
import { startMlag, type RunningMlag } from './mlag-daemon.js';

export interface DaemonOptions {
  readonly log?: (line: string) => void;
}

export interface RunningDaemon {
  readonly speaker: BgpSpeaker;
  readonly evpn: EvpnService | undefined;
  readonly bgpPort: number | undefined;
  readonly apiPort: number | undefined;
  readonly mlag: RunningMlag | undefined;
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
      // An M-LAG pair advertises dual-homed servers at its virtual VTEP (seed 001), the rest at ours.
      vtepIp: config.mlag ? config.mlag.virtualVtep : config.vtepIp,
      ...(config.mlag ? { ownVtepIp: config.vtepIp as Ipv4Address } : {}),
      vnis: config.vnis,
      vrfs: config.vrfs,
      retainAllRoutes: config.retainAllRoutes,
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
  let mlag: RunningMlag | undefined;
  if (config.mlag && evpn) {
    // The forwarding tables the M-LAG glue keeps (synced MACs, isolation); no frames flow yet.
    const tables = new SimSwitch({
      vtepIp: config.vtepIp as Ipv4Address,
      underlayMac: config.mlag.localMac as Mac,
      underlayPort: 'underlay',
      resolveNextHop: () => undefined,
    });
    for (const v of config.vnis) tables.addBridgeDomain({ vni: v.vni, mode: 'evpn' });
    for (const m of config.mlag.members) tables.addPort({ name: m.port, mode: 'access', vni: m.vni });
    mlag = await startMlag({
      name: config.hostname,
      config: config.mlag,
      ownVtepIp: config.vtepIp as Ipv4Address,
      vnis: config.vnis.map((v) => v.vni),
      dataplane: tables,
      speaker,
      evpn,
      routesChanged: () => driver.routesChanged(),
      log,
    });
  }
  let api: ApiServer | undefined;
  if (config.api) {
    api = new ApiServer()
      .route('/api/mlag', () => (mlag ? mlagStatus(mlag) : { configured: false }))
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
    mlag,
    async stop() {
      await mlag?.stop();
      await driver.stop();
      await api?.close();
    },
  };
}

/** `show mlag`: the DFS group's state, role and peer, the tables it syncs, and its recent log. */
export function mlagStatus(m: RunningMlag): Record<string, unknown> {
  const g = m.device.group;
  const tables = m.device.tables();
  return {
    configured: true,
    state: g.state,
    role: g.role,
    peerLink: m.peerLink.connected ? 'connected' : 'down',
    macs: tables.macs.length,
    neighbors: tables.neighbors.length,
    log: m.device.log.slice(-20),
  };
}
