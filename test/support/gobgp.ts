/**
 * GoBGP 3.10 (gobgpd + the gobgp CLI) inside a lab namespace (see /work/shared/INTEROP.md).
 *
 * Each instance gets its own gRPC API port (`--api-hosts 127.0.0.1:<port>`, reached with
 * `ip netns exec`) and no pprof listener, so several can run at once, even in one namespace.
 * Failing to start is an Error that says why, never a skip.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  execSync,
  waitFor,
  waitForPeer,
  CommandError,
  type Lab,
  type LabProcess,
  type Netns,
  type WaitForOptions,
} from './netns.js';

export const GOBGPD = 'gobgpd';
export const GOBGP = 'gobgp';

/** `rtc`: RFC 4684 route target membership (GoBGP's name for AFI 1 / SAFI 132). */
export type GobgpFamily = 'l2vpn-evpn' | 'ipv4-unicast' | 'ipv6-unicast' | 'rtc';

export interface GobgpNeighbor {
  readonly address: string;
  readonly remoteAs: number;
  /** Default ['l2vpn-evpn']. */
  readonly families?: readonly GobgpFamily[];
  /** Peer's TCP port when it is not 179. */
  readonly port?: number;
  readonly passive?: boolean;
  readonly localAddress?: string;
  readonly ebgpMultihop?: number;
  /** Default 9 / 3 / 1 s. */
  readonly holdTime?: number;
  readonly keepalive?: number;
  readonly connectRetry?: number;
  readonly description?: string;
}

export interface GobgpOptions {
  readonly asn: number;
  readonly routerId: string;
  /** BGP listen port (default 179; -1: do not listen). */
  readonly listenPort?: number;
  /** Addresses to listen on (default all). */
  readonly listenAddresses?: readonly string[];
  readonly neighbors: readonly GobgpNeighbor[];
}

export interface StartGobgpOptions extends GobgpOptions {
  /** gRPC API port inside the namespace (default: a fresh one per instance). */
  readonly apiPort?: number;
  /** Replaces the generated TOML config. */
  readonly configToml?: string;
  /** gobgpd's log level (default 'info'). */
  readonly logLevel?: 'debug' | 'info' | 'warn' | 'error';
  readonly startTimeoutMs?: number;
}

const q = (s: string) => JSON.stringify(s);

/** gobgpd TOML configuration. */
export function gobgpConfig(o: GobgpOptions): string {
  const l: string[] = [
    '[global.config]',
    `  as = ${o.asn}`,
    `  router-id = ${q(o.routerId)}`,
    `  port = ${o.listenPort ?? 179}`,
  ];
  if (o.listenAddresses) l.push(`  local-address-list = [${o.listenAddresses.map(q).join(', ')}]`);
  for (const n of o.neighbors) {
    l.push(
      '',
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = ${q(n.address)}`,
      `    peer-as = ${n.remoteAs}`,
    );
    if (n.description) l.push(`    description = ${q(n.description)}`);
    if (n.passive || n.port !== undefined || n.localAddress) {
      l.push('  [neighbors.transport.config]');
      if (n.passive) l.push('    passive-mode = true');
      if (n.port !== undefined) l.push(`    remote-port = ${n.port}`);
      if (n.localAddress) l.push(`    local-address = ${q(n.localAddress)}`);
    }
    l.push(
      '  [neighbors.timers.config]',
      `    hold-time = ${n.holdTime ?? 9}`,
      `    keepalive-interval = ${n.keepalive ?? 3}`,
      `    connect-retry = ${n.connectRetry ?? 1}`,
    );
    if (n.ebgpMultihop !== undefined) {
      l.push(
        '  [neighbors.ebgp-multihop.config]',
        '    enabled = true',
        `    multihop-ttl = ${n.ebgpMultihop}`,
      );
    }
    for (const fam of n.families ?? ['l2vpn-evpn']) {
      l.push(
        '  [[neighbors.afi-safis]]',
        '    [neighbors.afi-safis.config]',
        `      afi-safi-name = ${q(fam)}`,
      );
    }
  }
  return `${l.join('\n')}\n`;
}

export interface EvpnMacIpRoute {
  readonly mac: string;
  /** Omitted: a MAC-only route. */
  readonly ip?: string;
  readonly vni: number;
  readonly rd: string;
  readonly rt: string | readonly string[];
  readonly nexthop: string;
  /** Default: the VNI. */
  readonly label?: number;
  readonly etag?: number;
  readonly esi?: string;
  readonly routerMac?: string;
}

export interface EvpnMulticastRoute {
  /** Originating router's IP (the VTEP); also the PMSI tunnel id and default next hop. */
  readonly originator: string;
  readonly vni: number;
  readonly rd: string;
  readonly rt: string | readonly string[];
  readonly nexthop?: string;
  readonly etag?: number;
}

export interface EvpnPrefixRoute {
  readonly prefix: string;
  /** Label (the L3 VNI). */
  readonly vni: number;
  readonly rd: string;
  readonly rt: string | readonly string[];
  readonly nexthop: string;
  /** Default 0.0.0.0 (or :: for an IPv6 prefix). */
  readonly gateway?: string;
  readonly etag?: number;
  readonly esi?: string;
  readonly routerMac?: string;
}

const rts = (rt: string | readonly string[]) => (typeof rt === 'string' ? [rt] : [...rt]);

function macIpArgs(r: EvpnMacIpRoute): string[] {
  return [
    'macadv',
    r.mac,
    r.ip ?? '0.0.0.0',
    ...(r.esi ? ['esi', r.esi] : []),
    'etag',
    String(r.etag ?? 0),
    'label',
    String(r.label ?? r.vni),
    'rd',
    r.rd,
    'rt',
    ...rts(r.rt),
    'encap',
    'vxlan',
    ...(r.routerMac ? ['router-mac', r.routerMac] : []),
    'nexthop',
    r.nexthop,
  ];
}

function multicastArgs(r: EvpnMulticastRoute): string[] {
  return [
    'multicast',
    r.originator,
    'etag',
    String(r.etag ?? 0),
    'rd',
    r.rd,
    'rt',
    ...rts(r.rt),
    'encap',
    'vxlan',
    'pmsi',
    'ingress-repl',
    String(r.vni),
    r.originator,
    'nexthop',
    r.nexthop ?? r.originator,
  ];
}

function prefixArgs(r: EvpnPrefixRoute): string[] {
  return [
    'prefix',
    r.prefix,
    'gw',
    r.gateway ?? (r.prefix.includes(':') ? '::' : '0.0.0.0'),
    ...(r.esi ? ['esi', r.esi] : []),
    'etag',
    String(r.etag ?? 0),
    'label',
    String(r.vni),
    'rd',
    r.rd,
    'rt',
    ...rts(r.rt),
    'encap',
    'vxlan',
    ...(r.routerMac ? ['router-mac', r.routerMac] : []),
    'nexthop',
    r.nexthop,
  ];
}

/** One path of `gobgp -j global rib -a evpn`, flattened. */
export interface GobgpEvpnPath {
  /** GoBGP's key, e.g. `[type:macadv][rd:10.0.0.2:100][etag:0][mac:..][ip:..]`. */
  readonly key: string;
  /** 1..5 (2 = MAC/IP, 3 = inclusive multicast, 5 = IP prefix). */
  readonly type: number;
  readonly rd: string;
  readonly etag?: number;
  readonly mac?: string;
  /** undefined for a MAC-only route. */
  readonly ip?: string;
  readonly labels?: readonly number[];
  readonly prefix?: string;
  readonly gateway?: string;
  readonly esi?: string;
  readonly nexthop?: string;
  /** Route targets, e.g. ['65001:100']. */
  readonly rts: readonly string[];
  /** Encapsulation tunnel type (8 = VXLAN). */
  readonly encap?: number;
  readonly pmsi?: { readonly tunnelType: number; readonly label: number; readonly tunnelId: string };
  readonly asPath: readonly number[];
  /** Peer it was learned from; undefined for local routes. */
  readonly neighborIp?: string;
  readonly best: boolean;
  readonly raw: Record<string, unknown>;
}

interface GobgpPathJson {
  nlri?: { type?: number; value?: Record<string, unknown> };
  best?: boolean;
  attrs?: Record<string, unknown>[];
  'neighbor-ip'?: string;
}

function formatRd(rd: unknown): string {
  if (typeof rd !== 'object' || rd === null) return String(rd);
  const r = rd as { admin?: unknown; assigned?: unknown };
  return `${String(r.admin)}:${String(r.assigned)}`;
}

/** Flattens `gobgp -j global rib -a evpn` (key → paths). */
export function flattenGobgpEvpnRib(json: unknown): GobgpEvpnPath[] {
  const out: GobgpEvpnPath[] = [];
  if (typeof json !== 'object' || json === null) return out;
  for (const [key, paths] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(paths)) continue;
    for (const p of paths as GobgpPathJson[]) {
      const v = p.nlri?.value ?? {};
      const attrs = p.attrs ?? [];
      const ext = attrs.find((a) => a.type === 16);
      const extValues = Array.isArray(ext?.value) ? (ext.value as Record<string, unknown>[]) : [];
      const pmsi = attrs.find((a) => a.type === 22);
      const mp = attrs.find((a) => a.type === 14);
      const asPathAttr = attrs.find((a) => a.type === 2) as { as_paths?: { asns?: number[] }[] } | undefined;
      const ip = typeof v.ip === 'string' && v.ip !== '<nil>' && v.ip !== '' ? v.ip : undefined;
      const str = (x: unknown) => (typeof x === 'string' ? x : undefined);
      const num = (x: unknown) => (typeof x === 'number' ? x : undefined);
      const encap = extValues.find((e) => e.type === 3 && e.subtype === 12);
      const entry: GobgpEvpnPath = {
        key,
        type: p.nlri?.type ?? 0,
        rd: formatRd(v.rd),
        rts: extValues
          .filter((e) => e.subtype === 2 && typeof e.value === 'string')
          .map((e) => e.value as string),
        asPath: (asPathAttr?.as_paths ?? []).flatMap((s) => s.asns ?? []),
        best: p.best === true,
        raw: p as Record<string, unknown>,
        ...(num(v.etag) !== undefined ? { etag: num(v.etag)! } : {}),
        ...(str(v.mac) !== undefined ? { mac: str(v.mac)! } : {}),
        ...(ip !== undefined ? { ip } : {}),
        ...(Array.isArray(v.labels)
          ? { labels: v.labels as number[] }
          : num(v.label) !== undefined
            ? { labels: [num(v.label)!] }
            : {}),
        ...(str(v.prefix) !== undefined ? { prefix: str(v.prefix)! } : {}),
        ...(str(v.gateway) !== undefined ? { gateway: str(v.gateway)! } : {}),
        ...(str(v.esi) !== undefined ? { esi: str(v.esi)! } : {}),
        ...(str(mp?.nexthop) !== undefined ? { nexthop: str(mp?.nexthop)! } : {}),
        ...(num(encap?.tunnel_type) !== undefined ? { encap: num(encap?.tunnel_type)! } : {}),
        ...(pmsi
          ? {
              pmsi: {
                tunnelType: num(pmsi['tunnel-type']) ?? -1,
                label: num(pmsi.label) ?? -1,
                tunnelId: str(pmsi['tunnel-id']) ?? '',
              },
            }
          : {}),
        ...(p['neighbor-ip'] !== undefined ? { neighborIp: p['neighbor-ip'] } : {}),
      };
      out.push(entry);
    }
  }
  return out;
}

const SESSION_STATES = ['unknown', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'];

let apiPortCounter = 0;

/** A running gobgpd. */
export class Gobgp {
  constructor(
    readonly lab: Lab,
    readonly ns: Netns,
    readonly dir: string,
    readonly process: LabProcess,
    readonly apiPort: number,
    readonly configText: string,
  ) {}

  /** `host:port` of the gRPC API, reachable inside the namespace. */
  get apiHost(): string {
    return `127.0.0.1:${this.apiPort}`;
  }

  /** Runs the gobgp CLI against this instance; returns stdout. */
  async gobgp(args: readonly string[], timeoutMs = 15_000): Promise<string> {
    try {
      return await this.ns.exec(GOBGP, ['-u', '127.0.0.1', '-p', String(this.apiPort), ...args], {
        timeoutMs,
      });
    } catch (e) {
      const err = e as CommandError;
      const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim();
      const died = this.#dead();
      throw new Error(
        `gobgp ${args.join(' ')} on ${this.ns.name} failed: ${out || err.message}${died ? `\n${died}\n${this.logTail()}` : ''}`,
      );
    }
  }

  /** `gobgp -j args` parsed. */
  async gobgpJson<T = unknown>(args: readonly string[]): Promise<T> {
    const out = await this.gobgp(['-j', ...args]);
    if (out.trim() === '' || out.trim() === 'null') return null as T;
    try {
      return JSON.parse(out) as T;
    } catch (e) {
      throw new Error(
        `gobgp -j ${args.join(' ')} on ${this.ns.name} did not return JSON (${(e as Error).message}): ${out.slice(0, 2000)}`,
      );
    }
  }

  async addEvpnMacIp(r: EvpnMacIpRoute): Promise<void> {
    await this.gobgp(['global', 'rib', '-a', 'evpn', 'add', ...macIpArgs(r)]);
  }
  async delEvpnMacIp(r: EvpnMacIpRoute): Promise<void> {
    await this.gobgp(['global', 'rib', '-a', 'evpn', 'del', ...macIpArgs(r)]);
  }
  async addEvpnMulticast(r: EvpnMulticastRoute): Promise<void> {
    await this.gobgp(['global', 'rib', '-a', 'evpn', 'add', ...multicastArgs(r)]);
  }
  async delEvpnMulticast(r: EvpnMulticastRoute): Promise<void> {
    await this.gobgp(['global', 'rib', '-a', 'evpn', 'del', ...multicastArgs(r)]);
  }
  /** Type-5 (IP prefix) route. */
  async addEvpnPrefix(r: EvpnPrefixRoute): Promise<void> {
    await this.gobgp(['global', 'rib', '-a', 'evpn', 'add', ...prefixArgs(r)]);
  }
  async delEvpnPrefix(r: EvpnPrefixRoute): Promise<void> {
    await this.gobgp(['global', 'rib', '-a', 'evpn', 'del', ...prefixArgs(r)]);
  }

  /** The global EVPN RIB (local and received best paths), one entry per path. */
  async evpnRib(): Promise<GobgpEvpnPath[]> {
    return flattenGobgpEvpnRib(await this.gobgpJson(['global', 'rib', '-a', 'evpn']));
  }

  /** Routes received from one neighbor (adj-rib-in), raw `-j` output. */
  async adjIn(address: string, family = 'evpn'): Promise<unknown> {
    return this.gobgpJson(['neighbor', address, 'adj-in', '-a', family]);
  }

  /** Session state of a neighbor: 'idle' | 'connect' | 'active' | 'opensent' | 'openconfirm' | 'established'. */
  async neighborState(address: string): Promise<string> {
    const j = await this.gobgpJson<{ state?: { session_state?: number | string } }>(['neighbor', address]);
    const s = j?.state?.session_state;
    return typeof s === 'number' ? (SESSION_STATES[s] ?? `state ${s}`) : String(s ?? 'unknown').toLowerCase();
  }

  async waitEstablished(address: string, timeoutMs = 20_000): Promise<void> {
    await this.waitFor(
      async () => (await this.neighborState(address)) === 'established',
      timeoutMs,
      `GoBGP on ${this.ns.name}: neighbor ${address} established`,
    );
  }

  logTail(lines = 30): string {
    return `--- gobgpd log (${this.process.logFile}) ---\n${this.process.logTail(lines)}`;
  }

  #dead(): string | undefined {
    const info = this.process.exitInfo();
    return info ? `gobgpd on ${this.ns.name} exited (${JSON.stringify(info)})` : undefined;
  }

  /** `gobgp neighbor` plus the log tail: for error messages. */
  async describe(): Promise<string> {
    let neighbors: string;
    try {
      neighbors = (await this.gobgp(['neighbor'], 5000)).trim();
    } catch (e) {
      neighbors = `failed: ${(e as Error).message}`;
    }
    return [`--- gobgp neighbor (${this.ns.name}) ---`, neighbors, this.#dead() ?? '', this.logTail()]
      .filter((s) => s !== '')
      .join('\n');
  }

  /** waitFor with `gobgp neighbor` and the log tail in the timeout error; fails at once if gobgpd dies. */
  waitFor<T>(
    predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
    timeoutMs: number,
    what: string,
    opts: WaitForOptions = {},
  ): Promise<T> {
    const peer = { signal: this.lab.signal, describe: () => this.describe(), dead: () => this.#dead() };
    return waitForPeer(peer, predicate, timeoutMs, what, opts);
  }

  stop(): Promise<void> {
    return this.process.stop();
  }
}

/** Starts gobgpd in `ns`; resolves once its API answers. */
export async function startGobgp(lab: Lab, ns: Netns, opts: StartGobgpOptions): Promise<Gobgp> {
  for (const bin of [GOBGPD, GOBGP]) {
    try {
      execSync(null, bin, ['--help']);
    } catch (e) {
      const err = e as CommandError;
      if (typeof err.code === 'string' || err.code === 127) {
        throw new Error(`${bin} cannot be run (${err.message}); install Debian's gobgpd package`);
      }
    }
  }
  const dir = lab.subdir(`gobgp-${ns.name}`);
  const conf = join(dir, 'gobgpd.toml');
  const configText = opts.configToml ?? gobgpConfig(opts);
  writeFileSync(conf, configText);
  try {
    execSync(null, GOBGPD, ['-f', conf, '-t', 'toml', '-d', '-p']);
  } catch (e) {
    const err = e as CommandError;
    throw new Error(
      `gobgpd rejects its config: ${(err.stderr || err.stdout || err.message).trim()}\n--- ${conf} ---\n${configText}`,
    );
  }
  const apiPort = opts.apiPort ?? 50100 + (apiPortCounter++ % 10_000);
  // A second gobgpd on a taken API port dies at once, but the first one would answer our readiness probe.
  const listening = execSync(ns, 'ss', ['-Hltn', `sport = :${apiPort}`]).trim();
  if (listening !== '')
    throw new Error(`gobgpd API port ${apiPort} is already in use in ${ns.name}: ${listening}`);
  const proc = ns.spawn(
    GOBGPD,
    [
      '-f',
      conf,
      '-t',
      'toml',
      '--api-hosts',
      `127.0.0.1:${apiPort}`,
      '--pprof-disable',
      '-p',
      '-l',
      opts.logLevel ?? 'info',
    ],
    { name: 'gobgpd', logFile: join(dir, 'gobgpd.log') },
  );
  const g = new Gobgp(lab, ns, dir, proc, apiPort, configText);
  await waitFor(
    async () => {
      await g.gobgp(['global'], 3000);
      return true;
    },
    opts.startTimeoutMs ?? 10_000,
    `gobgpd's API on ${ns.name} 127.0.0.1:${apiPort}`,
    {
      signal: lab.signal,
      failIf: () => {
        const info = proc.exitInfo();
        if (!info) return undefined;
        return `gobgpd in ${ns.name} exited during start (${JSON.stringify(info)}); command: ${proc.argv.join(' ')}`;
      },
      describe: () => g.logTail(),
    },
  );
  await new Promise((r) => setTimeout(r, 50));
  const info = proc.exitInfo();
  if (info)
    throw new Error(
      `gobgpd in ${ns.name} exited right after start (${JSON.stringify(info)})\n${g.logTail()}`,
    );
  return g;
}
