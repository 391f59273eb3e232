/**
 * Benchmark helpers: run a function repeatedly for a minimum wall time, report rates, print tables.
 * Benchmarks print figures; they never assert on timings (DEVELOPERS.md: no timed unit tests).
 */
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';

export interface Rate {
  readonly name: string;
  readonly ops: number;
  readonly seconds: number;
  readonly opsPerSec: number;
  /** Bytes processed per op, for MB/s. */
  readonly bytesPerOp: number;
  readonly mbPerSec: number;
}

/** Runs `fn` in batches until `minMs` has passed (after a warm-up) and returns the rate. */
export function measure(name: string, bytesPerOp: number, fn: () => void, minMs = 1000): Rate {
  const warmUntil = performance.now() + Math.min(200, minMs / 4);
  while (performance.now() < warmUntil) fn();
  let ops = 0;
  let batch = 64;
  const start = performance.now();
  let now = start;
  while (now - start < minMs) {
    for (let i = 0; i < batch; i++) fn();
    ops += batch;
    now = performance.now();
    if (now - start < minMs / 10) batch *= 2;
  }
  const seconds = (now - start) / 1000;
  const opsPerSec = ops / seconds;
  return { name, ops, seconds, opsPerSec, bytesPerOp, mbPerSec: (opsPerSec * bytesPerOp) / 1e6 };
}

export function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(0);
}

/** Prints rows as an aligned text table (markdown-compatible, so it can be pasted into the README). */
export function printTable(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  console.log(line(headers));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

export function machineLine(): string {
  const cpu = cpus();
  const model = cpu[0]?.model.trim() ?? 'unknown CPU';
  const gib = Math.round(totalmem() / 2 ** 30);
  return `${new Date().toISOString().slice(0, 10)}, ${model}, ${cpu.length} cores, ${gib} GiB, Node ${process.version}`;
}
