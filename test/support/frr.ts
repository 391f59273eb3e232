/**
 * FRR 8.4 (zebra + bgpd and/or bfdd) inside a lab namespace, with a private directory for its config, pid files,
 * zserv socket, vty sockets and logs (see /work/shared/INTEROP.md).
 *
 * The daemons run in the foreground (no `-d`) as lab processes, so the lab kills them on cleanup. They
 * drop to user `frr`, hence the chown. Failing to start is an Error that says why, never a skip.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  execSync,
  exec,
  fileTail,
  waitForPeer,
  CommandError,
  type Lab,
  type LabProcess,
  type Netns,
  type WaitForOptions,
} from './netns.js';

export { waitFor } from './netns.js';

export const FRR_DIR = '/usr/lib/frr';
export const ZEBRA = `${FRR_DIR}/zebra`;
export const BGPD = `${FRR_DIR}/bgpd`;
export const BFDD = `${FRR_DIR}/bfdd`;
export const VTYSH = 'vtysh';

export type FrrFamily = 'l2vpn-evpn' | 'ipv4-unicast' | 'ipv6-unicast';

export interface FrrNeighbor {
  /** Peer address, or an interface name with `interface: true` (BGP unnumbered). */
  readonly address: string;
  /** AS number, or 'external' / 'internal'. */
  readonly remoteAs: number | 'external' | 'internal';
  /** Default ['l2vpn-evpn']. */
  readonly families?: readonly FrrFamily[];
  readonly interface?: boolean;
  /** Peer's TCP port when it is not 179 (e.g. a speaker under test on a high port). */
  readonly port?: number;
  readonly passive?: boolean;
  readonly updateSource?: string;
  readonly ebgpMultihop?: number;
  /** Seconds between connection attempts (default 1, for fast tests). */
  readonly connectRetry?: number;
  readonly description?: string;
  /** More `neighbor <address> ...` lines (without the prefix), e.g. 'capability extended-nexthop'. */
  readonly extra?: readonly string[];
}

export interface FrrVniConfig {
  readonly vni: number;
  readonly rd?: string;
  /** Both import and export. */
  readonly rt?: readonly string[];
  readonly importRt?: readonly string[];
  readonly exportRt?: readonly string[];
}

export interface FrrBgpConfigOptions {
  readonly asn: number;
  readonly routerId: string;
  readonly hostname?: string;
  readonly neighbors: readonly FrrNeighbor[];
  readonly evpn?: {
    readonly advertiseAllVni?: boolean;
    readonly advertiseSviIp?: boolean;
    readonly advertiseDefaultGw?: boolean;
    readonly vnis?: readonly FrrVniConfig[];
    /** Raw lines inside `address-family l2vpn evpn`. */
    readonly extra?: readonly string[];
  };
  /** `network` statements in address-family ipv4 unicast. */
  readonly ipv4Networks?: readonly string[];
  readonly ipv6Networks?: readonly string[];
  /** Keepalive / hold (default 3 / 9). */
  readonly timers?: { readonly keepalive: number; readonly hold: number };
  /** Raw lines inside `router bgp` before the address families. */
  readonly extraBgp?: readonly string[];
  /** Raw text appended after `router bgp`. */
  readonly extra?: string;
}

const FAMILY_AF: Record<FrrFamily, string> = {
  'l2vpn-evpn': 'l2vpn evpn',
  'ipv4-unicast': 'ipv4 unicast',
  'ipv6-unicast': 'ipv6 unicast',
};

/** frr.conf text for bgpd covering the usual interop cases. */
export function frrBgpConfig(o: FrrBgpConfigOptions): string {
  const timers = o.timers ?? { keepalive: 3, hold: 9 };
  const l: string[] = ['frr defaults datacenter'];
  if (o.hostname) l.push(`hostname ${o.hostname}`);
  l.push('!', `router bgp ${o.asn}`, ` bgp router-id ${o.routerId}`);
  l.push(' no bgp ebgp-requires-policy', ' no bgp default ipv4-unicast', ' no bgp network import-check');
  l.push(` timers bgp ${timers.keepalive} ${timers.hold}`);
  for (const x of o.extraBgp ?? []) l.push(` ${x}`);
  for (const n of o.neighbors) {
    const p = ` neighbor ${n.address}`;
    l.push(n.interface ? `${p} interface remote-as ${n.remoteAs}` : `${p} remote-as ${n.remoteAs}`);
    if (n.description) l.push(`${p} description ${n.description}`);
    if (n.port !== undefined) l.push(`${p} port ${n.port}`);
    if (n.passive) l.push(`${p} passive`);
    if (n.updateSource) l.push(`${p} update-source ${n.updateSource}`);
    if (n.ebgpMultihop !== undefined) l.push(`${p} ebgp-multihop ${n.ebgpMultihop}`);
    l.push(`${p} timers connect ${n.connectRetry ?? 1}`);
    for (const x of n.extra ?? []) l.push(`${p} ${x}`);
  }
  const families: FrrFamily[] = ['ipv4-unicast', 'ipv6-unicast', 'l2vpn-evpn'];
  for (const fam of families) {
    const members = o.neighbors.filter((n) => (n.families ?? ['l2vpn-evpn']).includes(fam));
    const body: string[] = members.map((n) => `  neighbor ${n.address} activate`);
    if (fam === 'ipv4-unicast') for (const net of o.ipv4Networks ?? []) body.push(`  network ${net}`);
    if (fam === 'ipv6-unicast') for (const net of o.ipv6Networks ?? []) body.push(`  network ${net}`);
    if (fam === 'l2vpn-evpn' && o.evpn) {
      if (o.evpn.advertiseAllVni) body.push('  advertise-all-vni');
      if (o.evpn.advertiseSviIp) body.push('  advertise-svi-ip');
      if (o.evpn.advertiseDefaultGw) body.push('  advertise-default-gw');
      for (const v of o.evpn.vnis ?? []) {
        body.push(`  vni ${v.vni}`);
        if (v.rd) body.push(`   rd ${v.rd}`);
        for (const rt of v.rt ?? []) body.push(`   route-target both ${rt}`);
        for (const rt of v.importRt ?? []) body.push(`   route-target import ${rt}`);
        for (const rt of v.exportRt ?? []) body.push(`   route-target export ${rt}`);
        body.push('  exit-vni');
      }
      for (const x of o.evpn.extra ?? []) body.push(`  ${x}`);
    }
    if (body.length === 0) continue;
    l.push(' !', ` address-family ${FAMILY_AF[fam]}`, ...body, ' exit-address-family');
  }
  l.push('exit', '!');
  if (o.extra) l.push(o.extra);
  return `${l.join('\n')}\n`;
}

/** One single-hop (or multihop) `peer` in bfdd's `bfd` node. Intervals in milliseconds. */
export interface FrrBfdPeer {
  readonly peer: string;
  readonly localAddress?: string;
  readonly interface?: string;
  readonly multihop?: boolean;
  readonly receiveIntervalMs?: number;
  readonly transmitIntervalMs?: number;
  readonly detectMultiplier?: number;
  readonly passive?: boolean;
  /** Start administratively down (`shutdown`). */
  readonly shutdown?: boolean;
}

/** bfdd's configuration text: a `bfd` node with these peers. */
export function frrBfdConfig(peers: readonly FrrBfdPeer[], hostname?: string): string {
  const l: string[] = [];
  if (hostname) l.push(`hostname ${hostname}`);
  l.push('!', 'bfd');
  for (const p of peers) {
    let head = ` peer ${p.peer}`;
    if (p.multihop) head += ' multihop';
    if (p.localAddress) head += ` local-address ${p.localAddress}`;
    if (p.interface) head += ` interface ${p.interface}`;
    l.push(head);
    if (p.receiveIntervalMs !== undefined) l.push(`  receive-interval ${p.receiveIntervalMs}`);
    if (p.transmitIntervalMs !== undefined) l.push(`  transmit-interval ${p.transmitIntervalMs}`);
    if (p.detectMultiplier !== undefined) l.push(`  detect-multiplier ${p.detectMultiplier}`);
    if (p.passive) l.push('  passive-mode');
    l.push(p.shutdown ? '  shutdown' : '  no shutdown', ' exit', ' !');
  }
  l.push('exit', '!');
  return `${l.join('\n')}\n`;
}

/** One entry of `show bfd peers json` (FRR 8.4), the fields the tests read. */
export interface FrrBfdPeerJson {
  readonly multihop?: boolean;
  readonly peer: string;
  readonly local?: string;
  readonly interface?: string;
  readonly id?: number;
  readonly 'remote-id'?: number;
  /** 'up', 'down', 'init' or 'shutdown'. */
  readonly status: string;
  readonly diagnostic?: string;
  readonly 'remote-diagnostic'?: string;
  readonly 'receive-interval'?: number;
  readonly 'transmit-interval'?: number;
  readonly 'detect-multiplier'?: number;
  readonly 'remote-receive-interval'?: number;
  readonly 'remote-transmit-interval'?: number;
  readonly 'remote-detect-multiplier'?: number;
  readonly [key: string]: unknown;
}

export interface FrrOptions {
  /** bgpd's configuration (frr.conf text, e.g. from frrBgpConfig); not needed with `bgpd: false`. */
  readonly config?: string;
  /** Start bfdd with this configuration (e.g. from frrBfdConfig). */
  readonly bfddConfig?: string;
  /** zebra's configuration (default: only a hostname). */
  readonly zebraConfig?: string;
  /** Start bgpd too (default true). */
  readonly bgpd?: boolean;
  /** bgpd's listen port (-p; default 179, 0 = do not listen). */
  readonly bgpPort?: number;
  /** Time for both daemons to come up (default 10 s). */
  readonly startTimeoutMs?: number;
  /** Config lines FRR rejects are an error unless this is set. */
  readonly allowConfigErrors?: boolean;
  /** FRR log level for both daemons (default 'debugging'). */
  readonly logLevel?: string;
}

/** One path of `show bgp l2vpn evpn route json`, flattened. */
export interface FrrEvpnPath {
  readonly rd: string;
  /** FRR's prefix string, e.g. `[2]:[0]:[48]:[aa:bb:cc:00:00:01]:[32]:[10.1.1.1]`. */
  readonly prefix: string;
  readonly routeType: number;
  readonly ethTag?: number;
  readonly mac?: string;
  readonly ip?: string;
  readonly nexthops: readonly string[];
  /** `RT:` values from the extended community string, e.g. ['65002:100']. */
  readonly rts: readonly string[];
  readonly extendedCommunity: string;
  readonly valid: boolean;
  readonly bestpath: boolean;
  /** AS path string ('' for local routes). */
  readonly asPath: string;
  readonly peerId?: string;
  readonly raw: Record<string, unknown>;
}

interface FrrPathJson {
  valid?: boolean;
  bestpath?: boolean;
  routeType?: number;
  ethTag?: number;
  mac?: string;
  ip?: string;
  path?: string;
  peerId?: string;
  extendedCommunity?: { string?: string };
  nexthops?: { ip?: string }[];
}

/** Flattens `show bgp l2vpn evpn route json` (RD → prefix → paths[][]). */
export function flattenFrrEvpnRoutes(json: unknown): FrrEvpnPath[] {
  const out: FrrEvpnPath[] = [];
  if (typeof json !== 'object' || json === null) return out;
  for (const [rdKey, rdVal] of Object.entries(json as Record<string, unknown>)) {
    if (typeof rdVal !== 'object' || rdVal === null) continue;
    const rdObj = rdVal as Record<string, unknown>;
    const rd = typeof rdObj.rd === 'string' ? rdObj.rd : rdKey;
    for (const [key, entry] of Object.entries(rdObj)) {
      if (key === 'rd' || typeof entry !== 'object' || entry === null) continue;
      const e = entry as { prefix?: string; paths?: unknown };
      const paths = Array.isArray(e.paths) ? (e.paths.flat() as FrrPathJson[]) : [];
      for (const p of paths) {
        const ec = p.extendedCommunity?.string ?? '';
        out.push({
          rd,
          prefix: e.prefix ?? key,
          routeType: p.routeType ?? Number(/^\[(\d+)\]/.exec(key)?.[1] ?? NaN),
          ...(p.ethTag !== undefined ? { ethTag: p.ethTag } : {}),
          ...(p.mac !== undefined ? { mac: p.mac } : {}),
          ...(p.ip !== undefined ? { ip: p.ip } : {}),
          nexthops: (p.nexthops ?? []).map((n) => n.ip ?? '').filter((s) => s !== ''),
          rts: [...ec.matchAll(/RT:(\S+)/g)].map((m) => m[1]!),
          extendedCommunity: ec,
          valid: p.valid === true,
          bestpath: p.bestpath === true,
          asPath: p.path ?? '',
          ...(p.peerId !== undefined ? { peerId: p.peerId } : {}),
          raw: p as Record<string, unknown>,
        });
      }
    }
  }
  return out;
}

function numbered(text: string): string {
  return text
    .split('\n')
    .map((line, i) => `${String(i + 1).padStart(3)}  ${line}`)
    .join('\n');
}

function frrPreflight(bins: readonly string[]): void {
  if (process.getuid?.() !== 0) throw new Error('FRR needs root (it starts as root and drops to user frr)');
  for (const bin of bins) {
    try {
      accessSync(bin, constants.X_OK);
    } catch {
      throw new Error(`FRR binary ${bin} is missing or not executable; install Debian's frr package`);
    }
  }
  try {
    execSync(null, VTYSH, ['--help']);
  } catch (e) {
    throw new Error(`vtysh cannot be run (${(e as Error).message}); install Debian's frr package`);
  }
  const passwd = readFileSync('/etc/passwd', 'utf8');
  if (!/^frr:/m.test(passwd)) {
    throw new Error("user frr does not exist (FRR drops privileges to it); install Debian's frr package");
  }
}

/** A running zebra with bgpd and/or bfdd. */
export class Frr {
  readonly zebra: LabProcess;
  readonly bgpd: LabProcess | undefined;
  readonly bfdd: LabProcess | undefined;

  constructor(
    readonly lab: Lab,
    readonly ns: Netns,
    /** Private directory: configs, pid files, zserv.api, *.vty, *.log. */
    readonly dir: string,
    zebra: LabProcess,
    bgpd: LabProcess | undefined,
    bfdd?: LabProcess,
  ) {
    this.zebra = zebra;
    this.bgpd = bgpd;
    this.bfdd = bfdd;
  }

  get daemons(): LabProcess[] {
    return [this.zebra, this.bgpd, this.bfdd].filter((d): d is LabProcess => d !== undefined);
  }

  /** Runs vtysh commands (each its own `-c`) against this instance; returns the text output. */
  async vtysh(cmd: string | readonly string[], timeoutMs = 15_000): Promise<string> {
    return this.#vtysh(cmd, timeoutMs, true);
  }

  async #vtysh(cmd: string | readonly string[], timeoutMs: number, withLogs: boolean): Promise<string> {
    const cmds = typeof cmd === 'string' ? [cmd] : cmd;
    const args = ['--vty_socket', this.dir];
    for (const c of cmds) args.push('-c', c);
    try {
      return await exec(null, VTYSH, args, { timeoutMs });
    } catch (e) {
      const died = this.#deadDaemons();
      const err = e as CommandError;
      const out = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim();
      throw new Error(
        `vtysh ${JSON.stringify(cmds)} on ${this.ns.name} failed: ${out || err.message}` +
          (died && withLogs ? `\n${died}\n${this.logTail()}` : ''),
      );
    }
  }

  /** Runs a show command with `json` appended (unless already there) and parses the output. */
  async vtyshJson<T = unknown>(cmd: string): Promise<T> {
    const full = /\bjson$/.test(cmd.trim()) ? cmd : `${cmd} json`;
    const out = await this.vtysh(full);
    try {
      return JSON.parse(out) as T;
    } catch (e) {
      throw new Error(
        `vtysh '${full}' on ${this.ns.name} did not return JSON (${(e as Error).message}): ${out.slice(0, 2000)}`,
      );
    }
  }

  /** `configure terminal` + the lines (each a vtysh -c). */
  configure(lines: readonly string[]): Promise<string> {
    return this.vtysh(['configure terminal', ...lines]);
  }

  /** Routes of `show bgp l2vpn evpn route json`, one entry per path. */
  async evpnRoutes(): Promise<FrrEvpnPath[]> {
    return flattenFrrEvpnRoutes(await this.vtyshJson('show bgp l2vpn evpn route'));
  }

  /** The peer's BGP state as FRR names it ('Established', 'Active', ...), or undefined if unknown. */
  async neighborState(address: string): Promise<string | undefined> {
    const j = await this.vtyshJson<Record<string, { bgpState?: string }>>(`show bgp neighbors ${address}`);
    return Object.values(j)[0]?.bgpState;
  }

  /** `show bfd peers json`. */
  bfdPeers(): Promise<FrrBfdPeerJson[]> {
    return this.vtyshJson<FrrBfdPeerJson[]>('show bfd peers');
  }

  /** bfdd's view of one peer, or undefined when it has no such session. */
  async bfdPeer(address: string): Promise<FrrBfdPeerJson | undefined> {
    return (await this.bfdPeers()).find((p) => p.peer === address);
  }

  async waitEstablished(address: string, timeoutMs = 20_000): Promise<void> {
    await this.waitFor(
      async () => (await this.neighborState(address)) === 'Established',
      timeoutMs,
      `FRR on ${this.ns.name}: neighbor ${address} Established`,
    );
  }

  /** Each daemon's log tail plus its stdout/stderr. */
  logTail(lines = 25): string {
    const parts: string[] = [];
    for (const d of this.daemons) {
      parts.push(
        `--- ${d.name} log (${this.dir}/${d.name}.log) ---`,
        fileTail(join(this.dir, `${d.name}.log`), lines),
      );
      const out = fileTail(d.logFile, 10);
      if (out.trim() !== '') parts.push(`--- ${d.name} stdout/stderr ---`, out);
    }
    return parts.join('\n');
  }

  /** `show bgp summary` and the EVPN summary (or `show bfd peers`), plus log tails: for error messages. */
  async describe(): Promise<string> {
    const parts: string[] = [];
    const cmds = [
      ...(this.bgpd ? ['show bgp summary', 'show bgp l2vpn evpn summary'] : []),
      ...(this.bfdd ? ['show bfd peers'] : []),
    ];
    for (const cmd of cmds) {
      try {
        parts.push(`--- ${cmd} ---`, (await this.#vtysh(cmd, 5000, false)).trim());
      } catch (e) {
        parts.push(`--- ${cmd} --- failed: ${(e as Error).message}`);
      }
    }
    const died = this.#deadDaemons();
    if (died) parts.push(died);
    parts.push(this.logTail());
    return parts.join('\n');
  }

  #deadDaemons(): string | undefined {
    const dead = this.daemons.filter((d) => d.exitInfo() !== undefined);
    if (dead.length === 0) return undefined;
    return dead
      .map((d) => `${d.name} on ${this.ns.name} exited (${JSON.stringify(d.exitInfo())})`)
      .join('; ');
  }

  /**
   * waitFor with this instance's state (`show bgp summary`, log tails) in the timeout error; fails at
   * once if a daemon dies; stops when the lab is cleaned up.
   */
  waitFor<T>(
    predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
    timeoutMs: number,
    what: string,
    opts: WaitForOptions = {},
  ): Promise<T> {
    const peer = {
      signal: this.lab.signal,
      describe: () => this.describe(),
      dead: () => this.#deadDaemons(),
    };
    return waitForPeer(peer, predicate, timeoutMs, what, opts);
  }

  /** Stops bgpd and bfdd, then zebra (the lab would do it anyway). */
  async stop(): Promise<void> {
    if (this.bgpd) await this.bgpd.stop();
    if (this.bfdd) await this.bfdd.stop();
    await this.zebra.stop();
  }
}

/** Dry-runs a daemon's config (`-C`; it exits 0 even when lines fail); returns the rejected lines. */
function dryRun(bin: string, dir: string, conf: string): string[] {
  const args = ['-C', '-f', conf, '-z', join(dir, 'dryrun.api'), '--vty_socket', join(dir, 'dryrun')];
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error) throw new Error(`FRR ${bin} -C could not run: ${r.error.message}`);
  const out = `${r.stdout}\n${r.stderr}`;
  const rejected = out.split('\n').filter((line) => /config line \d+|^%/.test(line.trim()));
  if (r.status !== 0 && rejected.length === 0) {
    rejected.push(`${bin} -C exited with ${String(r.status ?? r.signal)}: ${out.trim().slice(-2000)}`);
  }
  return rejected;
}

async function waitForSockets(
  frr: { ns: Netns; dir: string },
  proc: LabProcess,
  files: string[],
  timeoutMs: number,
  logFile: string,
): Promise<void> {
  const start = Date.now();
  while (true) {
    const info = proc.exitInfo();
    if (info) {
      const why = info.error ?? (info.signal ? `signal ${info.signal}` : `exit code ${String(info.code)}`);
      throw new Error(
        `FRR ${proc.name} in ${frr.ns.name} exited during start (${why}).\n` +
          `command: ${proc.argv.join(' ')}\n--- stdout/stderr ---\n${proc.logTail(30)}\n--- ${logFile} ---\n${fileTail(logFile, 30)}`,
      );
    }
    if (files.every((f) => existsSync(f))) return;
    if (Date.now() - start > timeoutMs) {
      const missing = files.filter((f) => !existsSync(f));
      throw new Error(
        `FRR ${proc.name} in ${frr.ns.name} did not create ${missing.join(', ')} within ${timeoutMs} ms.\n` +
          `command: ${proc.argv.join(' ')}\n--- stdout/stderr ---\n${proc.logTail(30)}\n--- ${logFile} ---\n${fileTail(logFile, 30)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts zebra (+ bgpd, + bfdd) in `ns`; resolves once vtysh can talk to them. */
export async function startFrr(lab: Lab, ns: Netns, opts: FrrOptions): Promise<Frr> {
  const withBgpd = opts.bgpd ?? true;
  const bfddText = opts.bfddConfig;
  frrPreflight([ZEBRA, ...(withBgpd ? [BGPD] : []), ...(bfddText !== undefined ? [BFDD] : [])]);
  const dir = lab.subdir(`frr-${ns.name}`);
  const zebraConf = join(dir, 'zebra.conf');
  const bgpdConf = join(dir, 'bgpd.conf');
  const bfddConf = join(dir, 'bfdd.conf');
  const zebraText = opts.zebraConfig ?? `hostname ${ns.name}\n`;
  const bgpdText = opts.config ?? '';
  if (withBgpd && opts.config === undefined)
    throw new Error('startFrr: bgpd needs `config` (or pass bgpd: false)');
  writeFileSync(zebraConf, zebraText);
  writeFileSync(bgpdConf, bgpdText);
  if (bfddText !== undefined) writeFileSync(bfddConf, bfddText);
  execSync(null, 'chown', ['-R', 'frr:frr', dir]);

  if (!opts.allowConfigErrors) {
    for (const [bin, conf, text] of [
      [ZEBRA, zebraConf, zebraText],
      ...(withBgpd ? [[BGPD, bgpdConf, bgpdText] as const] : []),
      ...(bfddText !== undefined ? [[BFDD, bfddConf, bfddText] as const] : []),
    ] as const) {
      const rejected = dryRun(bin, dir, conf);
      if (rejected.length > 0) {
        throw new Error(
          `FRR ${bin.split('/').pop()} rejects its config:\n${rejected.join('\n')}\n--- config ---\n${numbered(text)}`,
        );
      }
    }
  }

  const level = opts.logLevel ?? 'debugging';
  const common = (name: string) => [
    '-P',
    '0',
    '-i',
    join(dir, `${name}.pid`),
    '-z',
    join(dir, 'zserv.api'),
    '--vty_socket',
    dir,
    '--log',
    `file:${join(dir, `${name}.log`)}`,
    '--log-level',
    level,
  ];
  const timeoutMs = opts.startTimeoutMs ?? 10_000;
  const zebra = ns.spawn(ZEBRA, ['-s', '90000000', '-f', zebraConf, ...common('zebra')], {
    name: 'zebra',
    logFile: join(dir, 'zebra.out'),
  });
  await waitForSockets(
    { ns, dir },
    zebra,
    [join(dir, 'zebra.vty'), join(dir, 'zserv.api')],
    timeoutMs,
    join(dir, 'zebra.log'),
  );
  let bgpd: LabProcess | undefined;
  if (withBgpd) {
    const port = opts.bgpPort !== undefined ? ['-p', String(opts.bgpPort)] : [];
    bgpd = ns.spawn(BGPD, ['-f', bgpdConf, ...port, ...common('bgpd')], {
      name: 'bgpd',
      logFile: join(dir, 'bgpd.out'),
    });
    await waitForSockets({ ns, dir }, bgpd, [join(dir, 'bgpd.vty')], timeoutMs, join(dir, 'bgpd.log'));
  }
  let bfdd: LabProcess | undefined;
  if (bfddText !== undefined) {
    // --bfdctl: bfdd's control socket defaults to /var/run/frr/bfdd.sock, shared by every instance.
    bfdd = ns.spawn(BFDD, ['-f', bfddConf, '--bfdctl', join(dir, 'bfdd.sock'), ...common('bfdd')], {
      name: 'bfdd',
      logFile: join(dir, 'bfdd.out'),
    });
    await waitForSockets({ ns, dir }, bfdd, [join(dir, 'bfdd.vty')], timeoutMs, join(dir, 'bfdd.log'));
  }
  const frr = new Frr(lab, ns, dir, zebra, bgpd, bfdd);
  // The vty sockets exist before the daemons accept commands; wait until vtysh gets an answer.
  await frr.waitFor(() => frr.vtysh('show version', 3000), timeoutMs, `vtysh to answer on ${ns.name}`);
  return frr;
}
