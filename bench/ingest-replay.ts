/**
 * `node dist/bench/ingest-replay.js [--routes 100000] [--rounds 1] [--chunk 65536]`: the receiving
 * half of `bgp-ingest` in-process, without sockets: one BgpSpeaker with one eBGP peer is fed the
 * same pre-encoded table in TCP-sized chunks, as the daemon's driver would feed it. Prints seconds,
 * CPU seconds (this process, all threads), GC counts and heap bytes per route. Steady enough to
 * compare two builds (or V8 flags) under `valgrind --tool=callgrind` or `perf stat`, which the
 * namespace benchmark is not.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { BgpSpeaker } from '../src/bgp/speaker.js';
import type { Ipv4Address } from '../src/wire/addr.js';
import { AFI_L2VPN, SAFI_EVPN, encodeBgpMessage } from '../src/wire/bgp-message.js';
import { encodeTable } from './bgp-ingest.js';

const SENDER = '10.77.0.1' as Ipv4Address;

function option(args: readonly string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

export function run(args: string[]): void {
  const routes = option(args, '--routes', 100_000);
  const chunkSize = option(args, '--chunk', 65_536);
  // The table is encoded once and kept in a file, so a profile of this process is the ingest alone.
  const file = join(tmpdir(), `twinleaf-ingest-${routes}.bin`);
  if (!existsSync(file)) writeFileSync(file, Buffer.concat(encodeTable(routes)));
  const table = readFileSync(file);
  const gcs: Record<string, number> = {};
  let t0 = Infinity;
  let t1 = Infinity;
  let gcMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      // Only the collections during the ingest (not the forced ones around it).
      if (e.startTime < t0 || e.startTime > t1) continue;
      const kind = String((e as unknown as { detail?: { kind?: number } }).detail?.kind ?? '?');
      gcs[kind] = (gcs[kind] ?? 0) + 1;
      gcMs += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  const speaker = new BgpSpeaker({ localAs: 65002, routerId: '10.77.0.2' as Ipv4Address });
  speaker.addPeer({ address: SENDER, remoteAs: 65001, passive: true, holdTimeSeconds: 180 });
  let now = 0;
  speaker.start(now);
  speaker.connectionOpened(SENDER, 1, 'inbound', now, '10.77.0.2');
  const open = encodeBgpMessage(
    {
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 180,
      bgpId: SENDER,
      optionalParameters: [
        {
          type: 'capabilities',
          capabilities: [
            { type: 'multiprotocol', afi: AFI_L2VPN, safi: SAFI_EVPN },
            { type: 'four-octet-as', asn: 65001 },
            { type: 'route-refresh' },
          ],
        },
      ],
    },
    { fourOctetAs: true },
  );
  speaker.received(1, open, now);
  speaker.received(1, encodeBgpMessage({ type: 'keepalive' }, { fourOctetAs: true }), now);
  // The daemon's driver flushes once the session is up (its End-of-RIB), before the table arrives.
  if (speaker.hasPendingOutput()) speaker.flush(now, 20_000);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  // --feed 0: everything but the ingest, to subtract from an instruction count.
  const feed = option(args, '--feed', 1) !== 0;
  for (let o = 0; feed && o < table.length; o += chunkSize) {
    const c = table.subarray(o, Math.min(o + chunkSize, table.length));
    speaker.received(1, new Uint8Array(c.buffer, c.byteOffset, c.byteLength), now);
    if (speaker.hasPendingOutput()) speaker.flush(now, 20_000);
    now += 1;
  }
  t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  if (feed && speaker.evpn.size !== routes) throw new Error(`held ${speaker.evpn.size} of ${routes} routes`);
  gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  setTimeout(() => {
    obs.disconnect();
    console.log(
      JSON.stringify({
        routes,
        seconds: +((t1 - t0) / 1000).toFixed(4),
        cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(4),
        gcMs: +gcMs.toFixed(1),
        gcs,
        heapBytesPerRoute: gc ? +((heapAfter - heapBefore) / routes).toFixed(1) : undefined,
      }),
    );
  }, 10);
}

run(process.argv.slice(2));
