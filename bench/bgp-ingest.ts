/**
 * `npm run bench -- bgp-ingest [--routes 100000,1000000] [--receivers twinleaf,frr,gobgp] [--json]
 * [--timeout-s 600] [--poll-ms 10]`: how fast a BGP receiver takes in a full EVPN table over one session.
 *
 * A twinleaf-built sender in this process streams pre-encoded UPDATEs (EVPN Type-2 MAC+IP, about 100
 * per 4096-byte message) over TCP to each receiver running in its own network namespace: the twinleaf
 * daemon, FRR's bgpd (+ zebra) and gobgpd. It reports the seconds from the first UPDATE until the
 * receiver's RIB holds every route, routes/s, the CPU seconds the receiver used meanwhile (steadier
 * than seconds on a shared machine), and its peak RSS (VmHWM); for twinleaf also
 * the heap bytes per route. A receiver that does not finish within the timeout is reported as such.
 *
 * The route count is polled every `--poll-ms` over one kept connection to each receiver's own
 * management interface (twinleaf's HTTP API, bgpd's vty socket), so both pay for answering the same
 * way and the finish is seen within a poll; its CPU per poll is measured before the ingest and reported.
 * gobgpd is polled by running its CLI (at least one process start per poll).
 *
 * Needs root (network namespaces) and the Debian packages frr and gobgpd.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, createConnection, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Ipv4Address } from '../src/wire/addr.js';
import {
  AFI_L2VPN,
  BgpFrameDecoder,
  SAFI_EVPN,
  decodeBgpMessage,
  encodeBgpMessage,
  type BgpMessageOptions,
} from '../src/wire/bgp-message.js';
import { endOfRib } from '../src/wire/bgp-update.js';
import { startFrr, frrBgpConfig } from '../test/support/frr.js';
import { startGobgp } from '../test/support/gobgp.js';
import { withNetns, type Lab, type Netns } from '../test/support/netns.js';
import { startTwinleaf } from '../test/support/twinleaf.js';
import { machineLine, printTable } from './lib.js';
import { evpnType2Update } from './wire.js';

const SENDER_IP = '10.77.0.1' as Ipv4Address;
const RECEIVER_IP = '10.77.0.2';
const SENDER_AS = 65001;
const RECEIVER_AS = 65002;
const OPTIONS: BgpMessageOptions = { fourOctetAs: true };

export interface IngestResult {
  readonly receiver: string;
  readonly routes: number;
  readonly seconds: number | null;
  readonly routesPerSec: number | null;
  readonly peakRssMB: number | null;
  /**
   * CPU seconds (user + system, all threads) the receiver process used from the first UPDATE until
   * it held every route: less sensitive than `seconds` to other work on a shared machine.
   */
  readonly cpuSeconds: number | null;
  readonly heapBytesPerRoute?: number;
  /** Seconds the sender needed to hand the whole table to TCP: a floor under every receiver's time. */
  readonly senderSeconds: number | null;
  readonly finished: boolean;
  /** Polls of the receiver's route count during the ingest. */
  readonly polls?: number;
  /**
   * The receiver's CPU milliseconds per poll (measured idle, before the ingest): polls × this is
   * the share of `cpuSeconds` that went to answering the bench rather than taking routes.
   */
  readonly pollCpuMs?: number;
  readonly note?: string;
}

type ReceiverName = 'twinleaf' | 'frr' | 'gobgp';

interface Receiver {
  /** Routes the receiver holds from the sender. */
  count(): Promise<number>;
  readonly pid: number;
  /** Optional: heap bytes in use (after a GC), for bytes/route. */
  heapUsed?(): Promise<number>;
  close?(): void;
}

/** Pre-encodes `n` Type-2 routes as UPDATEs (as many per message as fit 4096 bytes), then End-of-RIB. */
export function encodeTable(n: number): Buffer[] {
  let perUpdate = 100;
  while (encodeBgpMessage(evpnType2Update(perUpdate), OPTIONS).length > 4096) perUpdate--;
  const chunks: Buffer[] = [];
  let pending: Uint8Array[] = [];
  let size = 0;
  const push = (m: Uint8Array) => {
    pending.push(m);
    size += m.length;
    if (size >= 256 * 1024) {
      chunks.push(Buffer.concat(pending));
      pending = [];
      size = 0;
    }
  };
  for (let first = 0; first < n; first += perUpdate) {
    push(encodeBgpMessage(evpnType2Update(Math.min(perUpdate, n - first), first), OPTIONS));
  }
  push(encodeBgpMessage(endOfRib(AFI_L2VPN, SAFI_EVPN), OPTIONS));
  if (pending.length > 0) chunks.push(Buffer.concat(pending));
  return chunks;
}

/** A minimal BGP sender: OPEN, wait for the peer's OPEN/KEEPALIVE, then stream the table. */
export class Sender {
  private socket: Socket | undefined;
  private keepalive: NodeJS.Timeout | undefined;
  firstUpdateAt = 0;
  lastWriteAt = 0;
  error: string | undefined;

  async establish(
    host: string,
    port: number,
    timeoutMs = 30_000,
    localAddress: string = SENDER_IP,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.tryEstablish(host, port, localAddress);
        return;
      } catch (e) {
        this.socket?.destroy();
        if (Date.now() > deadline)
          throw new Error(`sender could not establish with ${host}:${port}: ${(e as Error).message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private tryEstablish(host: string, port: number, localAddress: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, localAddress });
      this.socket = socket;
      const frames = new BgpFrameDecoder({ extendedMessage: false });
      let gotOpen = false;
      socket.once('error', reject);
      socket.on('connect', () => {
        socket.write(
          encodeBgpMessage(
            {
              type: 'open',
              version: 4,
              myAs: SENDER_AS,
              holdTime: 180,
              bgpId: SENDER_IP,
              optionalParameters: [
                {
                  type: 'capabilities',
                  capabilities: [
                    { type: 'multiprotocol', afi: AFI_L2VPN, safi: SAFI_EVPN },
                    { type: 'four-octet-as', asn: SENDER_AS },
                    { type: 'route-refresh' },
                  ],
                },
              ],
            },
            OPTIONS,
          ),
        );
      });
      socket.on('data', (chunk: Buffer) => {
        try {
          for (const f of frames.push(chunk)) {
            const m = decodeBgpMessage(f, OPTIONS);
            if (m.type === 'open' && !gotOpen) {
              gotOpen = true;
              socket.write(encodeBgpMessage({ type: 'keepalive' }, OPTIONS));
            } else if (m.type === 'keepalive' && gotOpen) {
              resolve();
            } else if (m.type === 'notification') {
              this.error = `NOTIFICATION ${m.code}/${m.subcode} from the receiver`;
              reject(new Error(this.error));
            }
          }
        } catch (e) {
          reject(e as Error);
        }
      });
      socket.on('close', () => reject(new Error('connection closed before Established')));
    });
  }

  /** Streams the chunks with backpressure; keepalives every 20 s meanwhile. */
  async stream(chunks: readonly Buffer[]): Promise<void> {
    const socket = this.socket!;
    socket.removeAllListeners('close');
    socket.on('close', () => {
      this.error ??= 'receiver closed the session';
    });
    socket.removeAllListeners('data');
    socket.on('data', () => {}); // keepalives from the receiver; ignored
    const ka = encodeBgpMessage({ type: 'keepalive' }, OPTIONS);
    this.keepalive = setInterval(() => socket.write(ka), 20_000);
    this.firstUpdateAt = performance.now();
    for (const c of chunks) {
      if (this.error) return;
      if (!socket.write(c)) await new Promise((r) => socket.once('drain', r));
    }
    this.lastWriteAt = performance.now();
  }

  close(): void {
    if (this.keepalive) clearInterval(this.keepalive);
    this.socket?.destroy();
  }
}

/** utime + stime of a process in seconds (/proc/PID/stat fields 14 and 15, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; the fields after it follow its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

function peakRssMB(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmHWM:\s+(\d+) kB/.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * One persistent connection to an FRR daemon's vty socket, speaking vtysh's protocol: a command ends
 * with a NUL, the answer with three NULs and the command's status. Polling through it costs the
 * daemon one command, as an HTTP request on a kept-alive connection costs twinleaf's API, where
 * starting vtysh for each poll also made bgpd accept and tear down a connection every time.
 */
class VtyClient {
  private readonly socket: Socket;
  private buffered = Buffer.alloc(0);
  private pending: { resolve: (s: string) => void; reject: (e: Error) => void } | undefined;

  constructor(path: string) {
    this.socket = createConnection(path);
    this.socket.on('data', (d: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, d]);
      const n = this.buffered.length;
      if (n >= 4 && this.buffered[n - 4] === 0 && this.buffered[n - 3] === 0 && this.buffered[n - 2] === 0) {
        const text = this.buffered.subarray(0, n - 4).toString('utf8');
        const status = this.buffered[n - 1];
        this.buffered = Buffer.alloc(0);
        const p = this.pending;
        this.pending = undefined;
        if (status === 0) p?.resolve(text);
        else p?.reject(new Error(`vty command failed (status ${status}): ${text}`));
      }
    });
    this.socket.on('error', (e) => this.pending?.reject(e));
  }

  command(cmd: string): Promise<string> {
    if (this.pending) throw new Error('one vty command at a time');
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(`${cmd}\0`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

async function startReceiver(name: ReceiverName, lab: Lab, ns: Netns): Promise<Receiver> {
  switch (name) {
    case 'twinleaf': {
      const api = `${RECEIVER_IP}:7179`;
      const tl = await startTwinleaf(
        lab,
        ns,
        `router-id: ${RECEIVER_IP}\nasn: ${RECEIVER_AS}\nlisten: { address: ${RECEIVER_IP}, port: 179 }\napi: { address: ${RECEIVER_IP}, port: 7179 }\n` +
          `bgp:\n  neighbors:\n    - { address: ${SENDER_IP}, remote-as: ${SENDER_AS}, passive: true, timers: { hold: 180 } }\n`,
        { api, nodeArgs: ['--expose-gc', '--max-old-space-size=4096'] },
      );
      const get = async <T>(path: string): Promise<T> =>
        (await (await fetch(`http://${api}${path}`)).json()) as T;
      return {
        pid: tl.process.pid,
        count: async () =>
          (await get<{ peers: { pfxRcd: Record<string, number> }[] }>('/api/bgp/summary')).peers[0]?.pfxRcd[
            'l2vpn-evpn'
          ] ?? 0,
        heapUsed: async () =>
          (await get<{ memory: { heapUsed: number } }>('/api/process?gc=1')).memory.heapUsed,
      };
    }
    case 'frr': {
      const frr = await startFrr(lab, ns, {
        config: frrBgpConfig({
          asn: RECEIVER_AS,
          routerId: RECEIVER_IP,
          neighbors: [{ address: SENDER_IP, remoteAs: SENDER_AS, families: ['l2vpn-evpn'], passive: true }],
        }),
        logLevel: 'warnings',
      });
      const vty = new VtyClient(join(frr.dir, 'bgpd.vty'));
      return {
        pid: frr.bgpd!.pid,
        close: () => vty.close(),
        count: async () => {
          const j = JSON.parse(await vty.command('show bgp l2vpn evpn summary json')) as Record<
            string,
            unknown
          >;
          const peers = (j.peers ?? (j.l2VpnEvpn as { peers?: unknown } | undefined)?.peers) as
            Record<string, { pfxRcd?: number }> | undefined;
          return peers?.[SENDER_IP]?.pfxRcd ?? 0;
        },
      };
    }
    case 'gobgp': {
      const g = await startGobgp(lab, ns, {
        asn: RECEIVER_AS,
        routerId: RECEIVER_IP,
        listenAddresses: [RECEIVER_IP],
        neighbors: [
          {
            address: SENDER_IP,
            remoteAs: SENDER_AS,
            families: ['l2vpn-evpn'],
            passive: true,
            holdTime: 180,
            keepalive: 60,
          },
        ],
        logLevel: 'warn',
      });
      return {
        pid: g.process.pid,
        count: async () => {
          const out = await g.gobgp(['global', 'rib', '-a', 'evpn', 'summary'], 60_000);
          const m = /Destination:\s*(\d+)/.exec(out);
          return m ? Number(m[1]) : 0;
        },
      };
    }
  }
}

/**
 * The receiver's CPU milliseconds per count poll, idle before the ingest (after 100 polls to warm
 * it up, as a running daemon's API is): 500 polls, for the 10 ms clock tick of /proc's CPU times.
 */
async function pollCost(receiver: Receiver): Promise<number | undefined> {
  for (let i = 0; i < 100; i++) await receiver.count();
  const c0 = cpuSeconds(receiver.pid);
  for (let i = 0; i < 500; i++) await receiver.count();
  const c1 = cpuSeconds(receiver.pid);
  return c0 !== null && c1 !== null ? ((c1 - c0) / 500) * 1000 : undefined;
}

async function measure(
  name: ReceiverName,
  routes: number,
  chunks: readonly Buffer[],
  timeoutS: number,
  pollMs: number,
): Promise<IngestResult> {
  return withNetns(
    async (lab) => {
      const ns = lab.netns(`ingest-${name}`);
      lab.veth(null, ns, { addrA: `${SENDER_IP}/30`, addrB: `${RECEIVER_IP}/30` });
      const receiver = await startReceiver(name, lab, ns);
      // gobgpd's poll starts its CLI each time: too slow to repeat 600 times.
      const pollCpuMs = name === 'gobgp' ? undefined : await pollCost(receiver);
      const heapBefore = receiver.heapUsed ? await receiver.heapUsed() : undefined;
      const sender = new Sender();
      await sender.establish(RECEIVER_IP, 179);
      const cpuBefore = cpuSeconds(receiver.pid);
      const streaming = sender.stream(chunks);
      const deadline = performance.now() + timeoutS * 1000;
      let count = 0;
      let finishedAt: number | undefined;
      let cpuAfter: number | null = null;
      let polls = 0;
      try {
        while (performance.now() < deadline) {
          polls++;
          count = await receiver.count().catch(() => count);
          if (count >= routes) {
            finishedAt = performance.now();
            cpuAfter = cpuSeconds(receiver.pid);
            break;
          }
          if (sender.error) break;
          await new Promise((r) => setTimeout(r, pollMs));
        }
        await Promise.race([streaming, new Promise((r) => setTimeout(r, 1000))]);

        const rss = peakRssMB(receiver.pid);
        const heapAfter =
          finishedAt !== undefined && receiver.heapUsed ? await receiver.heapUsed() : undefined;
        const seconds = finishedAt !== undefined ? (finishedAt - sender.firstUpdateAt) / 1000 : null;
        return {
          receiver: name,
          routes,
          seconds,
          routesPerSec: seconds ? routes / seconds : null,
          peakRssMB: rss,
          cpuSeconds: cpuBefore !== null && cpuAfter !== null ? cpuAfter - cpuBefore : null,
          ...(heapBefore !== undefined && heapAfter !== undefined
            ? { heapBytesPerRoute: (heapAfter - heapBefore) / routes }
            : {}),
          senderSeconds: sender.lastWriteAt > 0 ? (sender.lastWriteAt - sender.firstUpdateAt) / 1000 : null,
          finished: finishedAt !== undefined,
          polls,
          ...(pollCpuMs !== undefined ? { pollCpuMs } : {}),
          ...(finishedAt === undefined
            ? { note: sender.error ?? `held ${count} of ${routes} routes after ${timeoutS} s` }
            : {}),
        };
      } finally {
        sender.close();
        receiver.close?.();
      }
    },
    { timeoutMs: (timeoutS + 120) * 1000 },
  );
}

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

export async function run(args: string[]): Promise<void> {
  const json = args.includes('--json');
  const counts = (option(args, '--routes') ?? '100000').split(',').map((s) => Number(s.replace(/_/g, '')));
  if (counts.some((n) => !Number.isInteger(n) || n <= 0))
    throw new Error('--routes takes positive integers, e.g. 100000,1000000');
  const receivers = (option(args, '--receivers') ?? 'twinleaf,frr,gobgp').split(',') as ReceiverName[];
  for (const r of receivers)
    if (!['twinleaf', 'frr', 'gobgp'].includes(r)) throw new Error(`unknown receiver ${r}`);
  const timeoutS = Number(option(args, '--timeout-s') ?? 600);
  const pollMs = Number(option(args, '--poll-ms') ?? 10);
  const results: IngestResult[] = [];
  for (const n of counts) {
    const chunks = encodeTable(n);
    for (const r of receivers) {
      if (!json) process.stderr.write(`bgp-ingest: ${n} routes → ${r} ...\n`);
      try {
        results.push(await measure(r, n, chunks, timeoutS, pollMs));
      } catch (e) {
        results.push({
          receiver: r,
          routes: n,
          seconds: null,
          routesPerSec: null,
          peakRssMB: null,
          cpuSeconds: null,
          senderSeconds: null,
          finished: false,
          note: (e as Error).message.split('\n')[0]!,
        });
      }
    }
  }
  if (json) {
    console.log(JSON.stringify(results));
    return;
  }
  console.log(`bgp-ingest — ${machineLine()}`);
  printTable(
    [
      'receiver',
      'routes',
      'seconds',
      'routes/s',
      'CPU s',
      'peak RSS MB',
      'heap B/route',
      'polls',
      'poll CPU ms',
      'sender s',
      'finished',
    ],
    results.map((r) => [
      r.receiver,
      String(r.routes),
      r.seconds === null ? '—' : r.seconds.toFixed(2),
      r.routesPerSec === null ? '—' : Math.round(r.routesPerSec).toLocaleString('en-US'),
      r.cpuSeconds === null ? '—' : r.cpuSeconds.toFixed(2),
      r.peakRssMB === null ? '—' : r.peakRssMB.toFixed(0),
      r.heapBytesPerRoute === undefined ? '' : r.heapBytesPerRoute.toFixed(0),
      String(r.polls ?? '—'),
      r.pollCpuMs === undefined ? '—' : r.pollCpuMs.toFixed(2),
      r.senderSeconds === null ? '—' : r.senderSeconds.toFixed(2),
      r.finished ? 'yes' : `no: ${r.note ?? ''}`,
    ]),
  );
}
