#!/usr/bin/env -S node --min-semi-space-size=4
/**
 * The `twinleaf` command: a thin face over the same device code the lab and the daemon run.
 *
 * Node flags are on the line above, so the installed `twinleaf` gets them (V8 reads heap sizes only
 * at start): the young generation starts at 4 MB semi-spaces, not 1 MB, as a daemon taking in a
 * peer's table allocates in bursts where nearly everything survives, and each scavenge of a small
 * young generation copies the new routes again (100,000 EVPN routes: in-process 5 scavenges instead
 * of 9 and no mark-compact; the daemon uses about 10% less CPU and 3-5 MB more RSS). 16 MB, V8's
 * own ceiling, scavenges less still but cost more CPU in the daemon (more fresh pages, colder
 * caches) and 15 MB of RSS. `twinleaf lab` runs itself again with a larger young generation still
 * (`LAB_NODE_FLAGS`): the lab's garbage is mostly short-lived.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { BgpNeighborJson, BgpSummary, EvpnRouteJson } from '../api/bgp.js';
import { ConfigError } from '../config/reader.js';
import { DEFAULT_API_PORT, loadDeviceConfig } from '../node/device-config.js';
import { jsonReplacer } from '../node/api-server.js';
import { startDaemon } from '../node/daemon.js';
import { labReport, renderLabReport } from '../lab/report.js';
import { startDashboard } from '../web/dashboard.js';
import { buildLab, loadScenario, loadTopology, type BuiltLab, parseDuration } from '../lab/topology.js';
import { buildWireSamples, describeSample, samplesPcap } from '../wire/samples.js';
import { LAB_NODE_FLAGS, rerunWithNodeFlags, startedWithNodeFlags } from './node-flags.js';
import { fetchApi, formatUptime, renderBgpSummary, renderEvpnRoutes, table, type ApiTarget } from './show.js';

function parseApiTarget(text: string): ApiTarget {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  if (!m) throw new InvalidArgumentError('expected HOST:PORT or PORT');
  return { host: m[1] || m[2] || '127.0.0.1', port: Number(m[3]) };
}

const DEFAULT_TOPOLOGY = fileURLToPath(new URL('../../../examples/evpn-fabric.yaml', import.meta.url));

function parseCliDuration(text: string): number {
  try {
    return parseDuration(text);
  } catch (e) {
    throw new InvalidArgumentError(`--until ${text}: ${(e as Error).message}`);
  }
}

function printJson(value: unknown): void {
  console.log(JSON.stringify(value, jsonReplacer, 2));
}

async function runDaemon(opts: { config: string }): Promise<void> {
  // The daemon's hot code (UPDATE decoding, RIB update) is optimised during the first table
  // transfer, where TurboFan compiling it was a quarter of a 100,000-route ingest's instructions.
  // Half the default cumulative inlining budget (920 bytecode bytes) compiles it in about half the
  // time: 17% fewer instructions for that ingest, and a 1,000,000-route one is no slower. Read at
  // each compile, so it applies from here on; set for the daemon only, not the lab or `show`.
  setFlagsFromString('--max-inlined-bytecode-size-cumulative=460');
  let text: string;
  try {
    text = readFileSync(opts.config, 'utf8');
  } catch (e) {
    throw new Error(`cannot read config ${opts.config}: ${(e as Error).message}`);
  }
  const config = loadDeviceConfig(text, opts.config);
  const daemon = await startDaemon(config);
  const shutdown = async (signal: string) => {
    console.log(`${signal}: stopping (sending Cease/Administrative Shutdown to peers)`);
    await daemon.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

function evpnRouteArgs(args: readonly string[]): { type?: number; vni?: number } {
  const out: { type?: number; vni?: number } = {};
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i];
    const value = args[i + 1];
    if ((key !== 'type' && key !== 'vni') || value === undefined || !/^\d+$/.test(value)) {
      throw new InvalidArgumentError(`expected "type N" and/or "vni V", got "${args.join(' ')}"`);
    }
    out[key] = Number(value);
  }
  if (out.type !== undefined && (out.type < 1 || out.type > 5))
    throw new InvalidArgumentError('route type must be 1..5');
  return out;
}

export function buildProgram(): Command {
  const program = new Command('twinleaf')
    .description('EVPN-VXLAN fabric with M-LAG: lab, daemon and operator tools')
    .showHelpAfterError();

  program
    .command('daemon')
    .description('run one device on this host (real BGP sessions)')
    .requiredOption('-c, --config <file>', 'device configuration (YAML)')
    .action(runDaemon);

  const apiOption = () =>
    new Option('--api <host:port>', 'daemon API address')
      .default({ host: '127.0.0.1', port: DEFAULT_API_PORT }, `127.0.0.1:${DEFAULT_API_PORT}`)
      .argParser(parseApiTarget);

  const show = program.command('show').description('show the state of a running daemon');
  show
    .command('mlag')
    .description('the M-LAG pair: DFS state, role, peer-link, synced tables, recent events')
    .addOption(apiOption())
    .option('--json', 'print JSON')
    .action(async (opts: { api: ApiTarget; json?: boolean }) => {
      const s = await fetchApi<Record<string, unknown>>(opts.api, '/api/mlag');
      if (opts.json) return printJson(s);
      if (s.configured !== true) return console.log('M-LAG is not configured on this device');
      console.log(
        `state ${String(s.state)}, role ${String(s.role)}, peer-link ${String(s.peerLink)}, ` +
          `${String(s.macs)} MACs and ${String(s.neighbors)} neighbours in the synced tables`,
      );
      for (const line of (s.log as string[] | undefined) ?? []) console.log(`  ${line}`);
    });
  const bgp = show.command('bgp').description('BGP state');
  bgp
    .command('summary')
    .description('peers, their state and prefix counts')
    .addOption(apiOption())
    .option('--json', 'print JSON')
    .action(async (opts: { api: ApiTarget; json?: boolean }) => {
      const s = await fetchApi<BgpSummary>(opts.api, '/api/bgp/summary');
      if (opts.json) printJson(s);
      else console.log(renderBgpSummary(s));
    });
  bgp
    .command('neighbors')
    .description('per-peer detail: negotiated capabilities, timers, counters, last error')
    .addOption(apiOption())
    .option('--json', 'print JSON')
    .action(async (opts: { api: ApiTarget; json?: boolean }) => {
      const list = await fetchApi<BgpNeighborJson[]>(opts.api, '/api/bgp/neighbors');
      if (opts.json) return printJson(list);
      for (const n of list) {
        console.log(
          `BGP neighbor is ${n.peer}, remote AS ${n.remoteAs}, local AS ${n.localAs}, ${n.type} link`,
        );
        if (n.hostname) console.log(`  Hostname: ${n.hostname}`);
        console.log(
          `  BGP state = ${n.state}, for ${formatUptime(n.stateSeconds)}${n.remoteRouterId ? `, remote router ID ${n.remoteRouterId}` : ''}`,
        );
        if (n.holdTimeSeconds !== undefined)
          console.log(`  Hold time ${n.holdTimeSeconds}s, keepalive ${n.keepaliveSeconds}s`);
        console.log(
          `  Address families: ${n.families.join(', ') || '-'}; capabilities: ${n.capabilities.join(', ') || '-'}`,
        );
        console.log(
          `  Prefixes: ${Object.entries(n.prefixes)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')}${n.maxPrefix ? ` (maximum ${n.maxPrefix})` : ''}`,
        );
        const rtc = n.routeTargetConstraint;
        if (rtc)
          console.log(
            `  Route target constraint: it asks for ${rtc.received.join(', ') || 'nothing'}; we ask for ${rtc.advertised.join(', ') || 'nothing'}${rtc.waitingForEndOfRib ? ' (EVPN waits for its End-of-RIB)' : ''}`,
          );
        console.log(
          `  ${table(
            ['', ...Object.keys(n.counters)],
            [['counters', ...Object.values(n.counters).map(String)]],
          )
            .split('\n')
            .join('\n  ')}`,
        );
        if (n.lastError) console.log(`  Last reset: ${n.lastError}`);
        console.log('');
      }
    });
  bgp
    .command('l2vpn')
    .description('L2VPN routes')
    .command('evpn')
    .command('route')
    .description('EVPN routes: show bgp l2vpn evpn route [type N] [vni V]')
    .argument('[filters...]', 'type N, vni V')
    .addOption(apiOption())
    .option('--json', 'print JSON')
    .action(async (filters: string[], opts: { api: ApiTarget; json?: boolean }) => {
      const f = evpnRouteArgs(filters);
      const q = new URLSearchParams();
      if (f.type !== undefined) q.set('type', String(f.type));
      if (f.vni !== undefined) q.set('vni', String(f.vni));
      const routes = await fetchApi<EvpnRouteJson[]>(opts.api, `/api/bgp/evpn/routes?${q}`);
      if (opts.json) printJson(routes);
      else console.log(renderEvpnRoutes(routes));
    });

  const wire = program.command('wire').description('the wire layer: golden samples and decoding');
  wire
    .command('samples')
    .description('build one frame of every message and route type twinleaf speaks')
    .option('--pcap <file>', 'write them to a pcap file for Wireshark/tshark')
    .option('--json', 'print the decoded values as JSON')
    .action((opts: { pcap?: string; json?: boolean }) => {
      const samples = buildWireSamples();
      if (opts.pcap) writeFileSync(opts.pcap, samplesPcap(samples));
      if (opts.json)
        printJson(
          samples.map((s) => ({ name: s.name, description: s.description, decoded: describeSample(s) })),
        );
      else {
        for (const [i, s] of samples.entries())
          console.log(
            `${String(i + 1).padStart(3)}  ${s.name.padEnd(28)} ${s.frame.length.toString().padStart(5)} B  ${s.description}`,
          );
        if (opts.pcap) console.log(`\nwrote ${samples.length} frames to ${opts.pcap}`);
      }
    });

  program
    .command('lab')
    .description('run a fabric in the lab under the simulated clock and report what happened to every frame')
    .argument('[topology]', 'topology file (YAML)', DEFAULT_TOPOLOGY)
    .option('--scenario <file>', "a timeline of flows and faults to run instead of the topology's own")
    .option('--until <duration>', "simulated time to run, e.g. 2s (default: the file's `until`)")
    .option('--pcap <dir>', 'write one pcap per link into this directory')
    .option('--json', 'print the report as JSON')
    .option(
      '--web [port]',
      'serve the dashboard (default port 8080) while the lab runs in real-time steps, and keep serving',
    )
    .action(async (file: string, opts: LabOptions) => {
      // The lab wants a larger young generation than the `#!` line gives (see LAB_NODE_FLAGS).
      if (!startedWithNodeFlags(LAB_NODE_FLAGS)) {
        process.exitCode = await rerunWithNodeFlags(LAB_NODE_FLAGS);
        return;
      }
      const read = (path: string, what: string) => {
        try {
          return readFileSync(path, 'utf8');
        } catch (e) {
          throw new Error(`cannot read ${what} ${path}: ${(e as Error).message}`);
        }
      };
      let topology = loadTopology(read(file, 'topology'), file);
      if (opts.scenario !== undefined)
        topology = loadScenario(read(opts.scenario, 'scenario'), opts.scenario, topology);
      const lab = buildLab(topology);
      const pcaps = opts.pcap ? lab.fabric.captureAll() : undefined;
      const until = opts.until !== undefined ? parseCliDuration(opts.until) : topology.untilNs;
      if (opts.web !== undefined) await runWithDashboard(lab, until, opts.web);
      else lab.fabric.sim.runUntil(until);
      const report = labReport(lab);
      if (opts.pcap && pcaps) {
        mkdirSync(opts.pcap, { recursive: true });
        for (const [name, w] of pcaps) writeFileSync(join(opts.pcap, `${name}.pcap`), w.finish());
      }
      if (opts.json) printJson(report);
      else {
        console.log(renderLabReport(report));
        if (opts.pcap) console.log(`wrote ${pcaps?.size ?? 0} pcap files to ${opts.pcap}`);
      }
    });

  interface LabOptions {
    scenario?: string;
    until?: string;
    pcap?: string;
    json?: boolean;
    web?: string | true;
  }

  /**
   * Runs the simulation in steps of 1 ms of simulated time per 20 ms of wall time (50× slower than
   * real time), so the dashboard shows the fabric converge and faults happen while you watch.
   */
  async function runWithDashboard(lab: BuiltLab, until: number, web: string | true): Promise<void> {
    const port = web === true ? 8080 : Number(web);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--web: "${web}" is not a port`);
    let running = true;
    const dashboard = await startDashboard(lab, () => running, { port });
    console.log(`dashboard: ${dashboard.url} (Ctrl-C to stop)`);
    const stepNs = 1_000_000;
    while (lab.fabric.sim.now < until) {
      lab.fabric.sim.runUntil(Math.min(until, lab.fabric.sim.now + stepNs));
      await new Promise((r) => setTimeout(r, 20));
    }
    running = false;
  }

  program
    .command('demo')
    .description(
      'what `npm start` runs until the lab exists: golden samples to twinleaf-samples.pcap, decoded',
    )
    .action(() => {
      const samples = buildWireSamples();
      writeFileSync('twinleaf-samples.pcap', samplesPcap(samples));
      for (const s of samples) {
        console.log(`── ${s.name}: ${s.description}`);
        console.log(`   ${JSON.stringify(describeSample(s), jsonReplacer)}`);
      }
      console.log(
        `\nwrote ${samples.length} frames to twinleaf-samples.pcap (open it in Wireshark, or: tshark -r twinleaf-samples.pcap -V)`,
      );
    });

  return program;
}

try {
  await buildProgram().parseAsync(process.argv);
} catch (e) {
  if (e instanceof ConfigError) {
    console.error(`twinleaf: configuration has ${e.problems.length} problem(s):\n${e.message}`);
  } else {
    console.error(`twinleaf: ${(e as Error).message}`);
  }
  process.exitCode = 1;
}
