/**
 * What a lab run measured: per flow sent/received/lost/duplicated/reordered and latency
 * percentiles; per fault the frames lost and the convergence time (from the fault to the last
 * frame lost because of it); per device its counters. `--json` prints exactly `LabReport`.
 */
import { mlagTablesAgree, type BuiltLab } from './topology.js';

export interface FlowReport {
  readonly name: string;
  readonly src: string;
  readonly dst: string;
  readonly sent: number;
  readonly received: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly reordered: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number } | null;
  /**
   * UDP payload received, in Mb/s, over the time it arrived in: the sending time stretched by the
   * spread of latencies (a queue that filled delays the last frames). Flows that share their start
   * and stop add up to what their path carried.
   */
  readonly goodputMbps: number;
}

export interface FaultReport {
  readonly name: string;
  /** ms of simulated time. */
  readonly at: number;
  readonly action: string;
  readonly target: string;
  /** Frames of every flow sent between this fault and the next one that never arrived. */
  readonly lost: number;
  /** The same, per flow that lost any (flow name → frames). */
  readonly lostByFlow: Readonly<Record<string, number>>;
  /** From the fault to the send time of the last frame lost after it (0 when nothing was lost). */
  readonly convergenceMs: number;
  /** M-LAG labs: both devices of every pair held the same MAC and ARP tables before the next fault. */
  readonly tablesAgree?: boolean;
}

export interface LabReport {
  readonly name: string;
  readonly simulatedMs: number;
  readonly flows: readonly FlowReport[];
  readonly faults: readonly FaultReport[];
  readonly counters: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;

export function labReport(lab: BuiltLab): LabReport {
  const { topology: t, fabric } = lab;
  const flows: FlowReport[] = [];
  /** Send times (ns) of every lost frame, over all flows, and the flow each belongs to. */
  const lostAt: number[] = [];
  const lostFlow: string[] = [];
  for (const f of t.flows) {
    const id = lab.flowIds.get(f.name)!;
    const sender = fabric.host(f.from);
    const sent = sender.flowsSent.get(f.name)?.sent ?? 0;
    const rx = fabric.host(f.to).flowsReceived.get(id);
    const interval = Math.round(1e9 / f.rate);
    for (let seq = 0; seq < sent; seq++) {
      if (rx?.seen.has(seq)) continue;
      lostAt.push(f.startNs + seq * interval);
      lostFlow.push(f.name);
    }
    const lat = rx ? rx.latencies.sorted() : new Float64Array(0);
    const received = rx?.received ?? 0;
    // Frames sent over [start, stop] arrive over [start + min latency, stop + max latency].
    const windowNs =
      lat.length > 0 ? Math.min(f.stopNs, fabric.sim.now) - f.startNs + lat[lat.length - 1]! - lat[0]! : 0;
    flows.push({
      name: f.name,
      src: f.from,
      dst: f.to,
      sent,
      received,
      lost: sent - received,
      duplicated: rx?.duplicated ?? 0,
      reordered: rx?.reordered ?? 0,
      latencyMs:
        lat.length > 0
          ? { p50: ms(percentile(lat, 50)), p99: ms(percentile(lat, 99)), max: ms(lat[lat.length - 1]!) }
          : null,
      goodputMbps: windowNs > 0 ? Math.round((received * f.size * 8 * 1e6) / windowNs) / 1e3 : 0,
    });
  }
  const faults = lab.faultLog.map((f, i, all): FaultReport => {
    const next = all[i + 1]?.atNs ?? Number.POSITIVE_INFINITY;
    const mine: number[] = [];
    const lostByFlow: Record<string, number> = {};
    lostAt.forEach((x, k) => {
      if (x < f.atNs || x >= next) return;
      mine.push(x);
      lostByFlow[lostFlow[k]!] = (lostByFlow[lostFlow[k]!] ?? 0) + 1;
    });
    return {
      name: f.name,
      at: ms(f.atNs),
      action: f.action,
      target: f.target,
      lost: mine.length,
      lostByFlow,
      convergenceMs: mine.length > 0 ? ms(Math.max(...mine) - f.atNs) : 0,
      ...(lab.mlagDevices.size > 0
        ? { tablesAgree: f.tablesAgree ?? (i === all.length - 1 && mlagTablesAgree(t, lab.mlagDevices)) }
        : {}),
    };
  });
  const counters: Record<string, Record<string, number>> = {};
  for (const [name, node] of fabric.nodes) {
    if (node.kind === 'leaf') counters[name] = { ...node.dataplane.counters };
    else if (node.kind === 'router') counters[name] = { ...node.router.counters };
    else if (node.kind === 'host') counters[name] = { ...node.host.counters };
  }
  return { name: t.name, simulatedMs: ms(fabric.sim.now), flows, faults, counters };
}

/** The report as text tables for a terminal. */
export function renderLabReport(r: LabReport): string {
  const lines: string[] = [`lab ${r.name}: ${r.simulatedMs} ms simulated`, ''];
  const table = (headers: string[], rows: string[][]) => {
    const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
    const fmt = (cells: string[]) =>
      cells
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd();
    lines.push(fmt(headers), ...rows.map(fmt), '');
  };
  table(
    ['flow', 'src', 'dst', 'sent', 'received', 'lost', 'dup', 'reord', 'p50 ms', 'p99 ms', 'max ms', 'Mb/s'],
    r.flows.map((f) => [
      f.name,
      f.src,
      f.dst,
      String(f.sent),
      String(f.received),
      String(f.lost),
      String(f.duplicated),
      String(f.reordered),
      f.latencyMs ? f.latencyMs.p50.toFixed(3) : '-',
      f.latencyMs ? f.latencyMs.p99.toFixed(3) : '-',
      f.latencyMs ? f.latencyMs.max.toFixed(3) : '-',
      f.goodputMbps.toFixed(1),
    ]),
  );
  if (r.faults.length > 0) {
    table(
      ['fault', 'at ms', 'action', 'target', 'lost', 'convergence ms', 'tables agree'],
      r.faults.map((f) => [
        f.name,
        String(f.at),
        f.action,
        f.target,
        String(f.lost),
        String(f.convergenceMs),
        f.tablesAgree === undefined ? '' : f.tablesAgree ? 'yes' : 'no',
      ]),
    );
  }
  const keys = [
    'framesIn',
    'encapsulated',
    'decapsulated',
    'replicated',
    'floods',
    'arpSuppressed',
    'macMoves',
    'routed',
    'forwarded',
    'dropped',
  ];
  table(
    ['device', ...keys],
    Object.entries(r.counters).map(([d, c]) => [
      d,
      ...keys.map((k) => (c[k] === undefined ? '' : String(c[k]))),
    ]),
  );
  return lines.join('\n');
}
