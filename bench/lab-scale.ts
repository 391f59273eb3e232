/**
 * `npm run bench -- lab-scale [--leaves 64 --spines 4 --hosts 10000 --seconds 60 --leaves-per-vni 16
 * --flows N --rate PPS --max-wall S] [--no-rt-constraint] [--silent-hosts] [--events-by-kind] [--json]`: a whole
 * EVPN fabric in the lab at data-center size.
 * Generates a topology (spines; leaves with an uplink to every spine; hosts spread over the leaves;
 * one `mode: evpn` VNI with ARP suppression per group of leaves, its route target set, and route target
 * constraint (RFC 4684) on the EVPN sessions, as a fabric of this size would run; UDP flows between
 * host pairs on different leaves of a VNI), loads it with `loadTopology`, builds it with `buildLab` (real eBGP
 * underlay + EVPN) and runs the simulator, reporting wall time, simulated time, events, frames
 * delivered and peak RSS against the goal: the default size in ≤ 60 s wall. It also reports the
 * fabric's health (session drops, hold-timer expiries, TCP retransmissions, control-plane backlog,
 * ARP and floods) and, with `--events-by-kind` (slow), which handlers the events went to.
 */
import { performance } from 'node:perf_hooks';
import { resourceUsage } from 'node:process';
import { buildLab, loadTopology, type BuiltLab } from '../src/lab/topology.js';
import { labReport } from '../src/lab/report.js';
import { LAB_NODE_FLAGS, rerunWithNodeFlags, startedWithNodeFlags } from '../src/cli/node-flags.js';
import { formatCount, machineLine, printTable } from './lib.js';

const GOAL_WALL_S = 60;

export interface LabScaleOptions {
  readonly leaves: number;
  readonly spines: number;
  readonly hosts: number;
  readonly seconds: number;
  readonly leavesPerVni: number;
  readonly flows: number;
  /** Frames per second of each flow. */
  readonly rate: number;
  /**
   * Route target constraint on the EVPN sessions, each VNI with its route target (default true;
   * false: auto route targets, and every leaf hears every route and keeps its VNIs' share).
   */
  readonly rtConstraint?: boolean;
}

/** The topology file text for `o` (YAML in the `examples/` format). */
export function scaleTopology(o: LabScaleOptions): string {
  const lines: string[] = [
    'name: lab-scale',
    `description: ${o.spines} spines, ${o.leaves} leaves, ${o.hosts} hosts, EVPN with ARP suppression`,
    'seed: 7',
    `until: ${o.seconds}s`,
  ];
  const rtConstraint = o.rtConstraint ?? true;
  if (rtConstraint) lines.push('overlay: { type: ebgp, rt-constraint: true }');
  lines.push('nodes:');
  for (let s = 1; s <= o.spines; s++) lines.push(`  s${s}: { kind: spine }`);
  for (let l = 1; l <= o.leaves; l++)
    lines.push(`  l${l}: { kind: leaf, vtep: 10.255.${l >> 8}.${l & 0xff} }`);
  // Host h sits on leaf (h mod leaves); its VNI is its leaf's group, its subnet 10.<group+1>.0.0/16.
  const vniCount = Math.ceil(o.leaves / o.leavesPerVni);
  const members: { name: string; leaf: number; port: string }[][] = Array.from(
    { length: vniCount },
    () => [],
  );
  const perLeaf = new Array<number>(o.leaves).fill(0);
  for (let h = 0; h < o.hosts; h++) {
    const leaf = h % o.leaves;
    const group = Math.floor(leaf / o.leavesPerVni);
    const list = members[group]!;
    const k = list.length + 10;
    lines.push(`  h${h + 1}: { kind: host, ip: 10.${group + 1}.${k >> 8}.${k & 0xff}/16 }`);
    list.push({ name: `h${h + 1}`, leaf, port: `eth${++perLeaf[leaf]!}` });
  }
  lines.push('links:');
  for (let l = 1; l <= o.leaves; l++)
    for (let s = 1; s <= o.spines; s++)
      lines.push(`  - { a: l${l}:up${s}, b: s${s}:p${l}, latency: 2us, bandwidth: 100G }`);
  for (const list of members)
    for (const m of list) lines.push(`  - { a: ${m.name}:eth0, b: l${m.leaf + 1}:${m.port} }`);
  lines.push('vnis:');
  members.forEach((list, g) => {
    if (list.length === 0) return;
    const ports = list.map((m) => `l${m.leaf + 1}:${m.port}`).join(', ');
    const vni = 10000 + g;
    const target = rtConstraint ? `, route-target: 65000:${vni}` : '';
    lines.push(`  - { vni: ${vni}, mode: evpn, arp-suppression: true${target}, ports: [${ports}] }`);
  });
  // Flows start once BGP has had time to converge and are spread over 100 ms; each goes from a
  // host to the host half a VNI away (another leaf whenever the VNI spans several).
  const startMs = flowStartMs(o);
  const stopMs = Math.round(o.seconds * 950);
  const flowLines: string[] = [];
  const all = members.flatMap((list) => list.map((m, i) => ({ list, i, m })));
  const step = Math.max(1, Math.floor(all.length / Math.max(1, o.flows)));
  for (let f = 0; f < o.flows && f * step < all.length; f++) {
    const { list, i, m } = all[f * step]!;
    // Half a VNI away, then on to the next member until it is on another leaf: members go round
    // the VNI's leaves, so half a VNI away is the same leaf whenever the VNI holds an even multiple.
    let j = (i + Math.floor(list.length / 2)) % list.length;
    for (let k = 0; k < list.length && list[j]!.leaf === m.leaf; k++) j = (j + 1) % list.length;
    const dst = list[j]!;
    if (dst === m) continue;
    const start = startMs + (f % 100);
    flowLines.push(
      `  - { name: f${f + 1}, from: ${m.name}, to: ${dst.name}, rate: ${o.rate}, start: ${start}ms, stop: ${stopMs}ms }`,
    );
  }
  if (flowLines.length > 0) lines.push('flows:', ...flowLines);
  return `${lines.join('\n')}\n`;
}

/** When the generated flows start: a fifth into the run, once BGP has had time to converge. */
function flowStartMs(o: LabScaleOptions): number {
  return Math.round(o.seconds * 200);
}

/** What the fabric did besides forwarding the flows: the signs of a run spending its events badly. */
export interface FabricHealth {
  readonly sessionsEstablished: number;
  readonly sessions: number;
  /** Established sessions that went down (hold timer, NOTIFICATION, connection loss). */
  readonly sessionDrops: number;
  readonly notificationsSent: number;
  readonly holdTimerExpiries: number;
  readonly updatesReceived: number;
  readonly keepalivesReceived: number;
  readonly tcpSegments: number;
  readonly tcpRetransmissions: number;
  /** Busiest control-plane CPU: modelled busy time, and the longest any work waited for it (s). */
  readonly maxCpuBusyS: number;
  readonly maxCpuQueueS: number;
  readonly fibWrites: number;
  readonly arpRequests: number;
  readonly arpSuppressed: number;
  /** BUM frames flooded by leaves, and the remote copies made (head-end replication). */
  readonly floods: number;
  readonly replicated: number;
}

export function fabricHealth(lab: BuiltLab): FabricHealth {
  let sessions = 0;
  let established = 0;
  let drops = 0;
  let notifications = 0;
  let holdExpiries = 0;
  let updates = 0;
  let keepalives = 0;
  let segments = 0;
  let retransmissions = 0;
  let busy = 0;
  let queue = 0;
  let fib = 0;
  for (const c of lab.controls.values()) {
    for (const p of c.speaker.peerList()) {
      const s = p.session.counters;
      sessions++;
      if (p.session.state === 'Established') established++;
      drops += s.droppedTransitions;
      notifications += s.notificationsOut;
      updates += s.updatesIn;
      keepalives += s.keepalivesIn;
    }
    holdExpiries += c.holdTimerExpiries;
    segments += c.tcp.counters.segmentsSent;
    retransmissions += c.tcp.counters.retransmissions;
    busy = Math.max(busy, c.cpu.counters.busyNs);
    queue = Math.max(queue, c.cpu.counters.maxQueueNs);
    fib += c.cpu.counters.installs;
  }
  let arpRequests = 0;
  let arpSuppressed = 0;
  let floods = 0;
  let replicated = 0;
  for (const n of lab.fabric.nodes.values()) {
    if (n.kind === 'host') arpRequests += n.host.counters.arpRequestsSent;
    if (n.kind === 'leaf') {
      arpSuppressed += n.dataplane.counters.arpSuppressed;
      floods += n.dataplane.counters.floods;
      replicated += n.dataplane.counters.replicated;
    }
  }
  return {
    sessionsEstablished: established,
    sessions,
    sessionDrops: drops,
    notificationsSent: notifications,
    holdTimerExpiries: holdExpiries,
    updatesReceived: updates,
    keepalivesReceived: keepalives,
    tcpSegments: segments,
    tcpRetransmissions: retransmissions,
    maxCpuBusyS: busy / 1e9,
    maxCpuQueueS: queue / 1e9,
    fibWrites: fib,
    arpRequests,
    arpSuppressed,
    floods,
    replicated,
  };
}

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} expects a positive number`);
  return v;
}

export async function run(args: string[]): Promise<void> {
  // Measured as `twinleaf lab` runs: in a node with the lab's young generation.
  if (!startedWithNodeFlags(LAB_NODE_FLAGS)) {
    process.exitCode = await rerunWithNodeFlags(LAB_NODE_FLAGS);
    return;
  }
  const json = args.includes('--json');
  const hosts = option(args, '--hosts', 10_000);
  const o: LabScaleOptions = {
    leaves: option(args, '--leaves', 64),
    spines: option(args, '--spines', 4),
    hosts,
    seconds: option(args, '--seconds', 60),
    leavesPerVni: option(args, '--leaves-per-vni', 16),
    flows: option(args, '--flows', Math.ceil(hosts / 10)),
    rate: option(args, '--rate', 100),
    rtConstraint: !args.includes('--no-rt-constraint'),
  };
  /** Stop simulating (and say so) once this much wall time has passed. */
  const maxWallS = option(args, '--max-wall', 600);
  let peakRss = process.memoryUsage().rss;
  const sample = () => (peakRss = Math.max(peakRss, process.memoryUsage().rss));

  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const text = scaleTopology(o);
  const topology = loadTopology(text, 'lab-scale.yaml');
  const lab = buildLab(topology);
  const silentHosts = args.includes('--silent-hosts');
  // Servers announce themselves as they boot (one gratuitous ARP, RFC 5227 §2.3), so their leaves
  // learn them and advertise them in EVPN before any flow starts; with ARP suppression a flow's first
  // ARP is then answered by its own leaf. Silent hosts are learnt only when their flows start: every
  // first ARP floods the whole VNI and every reply floods it again as unknown unicast.
  if (!silentHosts)
    for (const n of lab.fabric.nodes.values())
      if (n.kind === 'host') lab.fabric.sim.at(0, () => n.host.gratuitousArp());
  const t1 = performance.now();
  sample();
  const sim = lab.fabric.sim;
  const kinds = args.includes('--events-by-kind') ? sim.countEventsByKind() : undefined;
  const untilNs = o.seconds * 1e9;
  let cut = false;
  let lastSecond = 0;
  // In slices of events (what `runUntil` does), so a long burst of events can still be cut at --max-wall.
  let slices = 0;
  // The boot (BGP convergence, servers' gratuitous ARPs) and the traffic are timed apart: they scale
  // differently, and the traffic's CPU per flow frame is the figure the forwarding path is judged by.
  const flowStartNs = flowStartMs(o) * 1e6;
  let boot: { wallS: number; cpuS: number } | undefined;
  /** Runs the simulation to `until` in slices; false when cut at --max-wall. */
  const runTo = (until: number): boolean => {
    while (!sim.run(until, 4096)) {
      if (++slices % 16 === 0) sample();
      const wall = (performance.now() - t1) / 1000;
      if (!json && Math.floor(sim.now / 1e9) > lastSecond) {
        lastSecond = Math.floor(sim.now / 1e9);
        process.stderr.write(`\r  simulated ${lastSecond} s, wall ${wall.toFixed(1)} s `);
      }
      if (wall > maxWallS) return false;
    }
    return true;
  };
  if (runTo(Math.min(flowStartNs, untilNs))) {
    const c = process.cpuUsage(cpu0);
    boot = { wallS: (performance.now() - t0) / 1000, cpuS: (c.user + c.system) / 1e6 };
    cut = !runTo(untilNs);
  } else cut = true;
  if (!json) process.stderr.write('\n');
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  /** CPU time of this process (user + system): what the run cost on a machine shared with other jobs. */
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const report = labReport(lab);
  let framesDelivered = 0;
  for (const node of lab.fabric.nodes.values())
    if (node.kind === 'host') framesDelivered += node.host.counters.framesIn;
  const sent = report.flows.reduce((s, f) => s + f.sent, 0);
  const received = report.flows.reduce((s, f) => s + f.received, 0);
  const maxRssBytes = Math.max(peakRss, resourceUsage().maxRSS * 1024);
  const runWallS = (t2 - t1) / 1000;
  const totalWallS = (t2 - t0) / 1000;
  const result = {
    ...o,
    silentHosts,
    /** The node flags the run had: `LAB_NODE_FLAGS`, as `twinleaf lab` runs. */
    nodeFlags: process.execArgv,
    topologyLines: text.split('\n').length - 1,
    flowsDefined: topology.flows.length,
    buildWallS: (t1 - t0) / 1000,
    runWallS,
    cpuS,
    totalWallS,
    simulatedS: sim.now / 1e9,
    completed: !cut,
    eventsExecuted: sim.eventsExecuted,
    eventsPerWallS: sim.eventsExecuted / runWallS,
    framesDelivered,
    flowFramesSent: sent,
    flowFramesReceived: received,
    peakRssMiB: maxRssBytes / 2 ** 20,
    /** Load, build and simulation up to the flows' start, wall and CPU seconds. */
    bootWallS: boot?.wallS ?? null,
    bootCpuS: boot?.cpuS ?? null,
    /** CPU microseconds per flow frame sent after the boot (everything else the traffic phase did too). */
    cpuUsPerFlowFrame: boot && sent > 0 ? ((cpuS - boot.cpuS) * 1e6) / sent : null,
    goalWallS: GOAL_WALL_S,
    met: !cut && totalWallS <= GOAL_WALL_S,
    health: fabricHealth(lab),
    ...(kinds
      ? { eventsByKind: Object.fromEntries([...kinds].sort((a, b) => b[1] - a[1]).slice(0, 20)) }
      : {}),
  };
  if (json) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(`lab at scale — ${machineLine()}, node flags ${process.execArgv.join(' ')}`);
  console.log(
    `${o.spines} spines, ${o.leaves} leaves, ${o.hosts} hosts (${silentHosts ? 'silent until their flows' : 'gratuitous ARP at boot'}), ${Math.ceil(o.leaves / o.leavesPerVni)} EVPN VNIs (ARP suppression${o.rtConstraint === false ? '' : ', route target constraint'}), ${result.flowsDefined} flows × ${o.rate} pps, ${o.seconds} s`,
  );
  printTable(
    ['measure', 'value'],
    [
      ['load + build (wall)', `${result.buildWallS.toFixed(1)} s`],
      ['run (wall)', `${runWallS.toFixed(1)} s`],
      ['CPU time, build + run (user + system)', `${cpuS.toFixed(1)} s`],
      ['total (wall)', `${totalWallS.toFixed(1)} s`],
      [
        'boot: build + simulation until the flows start (wall / CPU)',
        boot ? `${boot.wallS.toFixed(1)} s / ${boot.cpuS.toFixed(1)} s` : '–',
      ],
      [
        'traffic: CPU per flow frame',
        result.cpuUsPerFlowFrame !== null ? `${result.cpuUsPerFlowFrame.toFixed(1)} µs` : '–',
      ],
      [
        'simulated',
        `${result.simulatedS.toFixed(1)} s${cut ? ` of ${o.seconds} s (cut at --max-wall ${maxWallS})` : ''}`,
      ],
      ['events executed', formatCount(result.eventsExecuted)],
      ['events / wall s', formatCount(result.eventsPerWallS)],
      ['frames delivered to hosts', formatCount(framesDelivered)],
      ['flow frames sent / received', `${formatCount(sent)} / ${formatCount(received)}`],
      ['peak RSS', `${result.peakRssMiB.toFixed(0)} MiB`],
    ],
  );
  const h = result.health;
  printTable(
    ['fabric health', 'value'],
    [
      ['BGP sessions established', `${h.sessionsEstablished} / ${h.sessions}`],
      ['session drops / hold-timer expiries', `${h.sessionDrops} / ${h.holdTimerExpiries}`],
      ['NOTIFICATIONs sent', String(h.notificationsSent)],
      [
        'UPDATEs / KEEPALIVEs received',
        `${formatCount(h.updatesReceived)} / ${formatCount(h.keepalivesReceived)}`,
      ],
      ['TCP segments / retransmissions', `${formatCount(h.tcpSegments)} / ${h.tcpRetransmissions}`],
      ['busiest CPU: busy / longest wait', `${h.maxCpuBusyS.toFixed(2)} s / ${h.maxCpuQueueS.toFixed(3)} s`],
      ['FIB writes', formatCount(h.fibWrites)],
      ['host ARP requests / suppressed', `${formatCount(h.arpRequests)} / ${formatCount(h.arpSuppressed)}`],
      ['leaf floods / replicated copies', `${formatCount(h.floods)} / ${formatCount(h.replicated)}`],
    ],
  );
  if (result.eventsByKind)
    printTable(
      ['events scheduled, by handler', 'count'],
      Object.entries(result.eventsByKind).map(([k, n]) => [k.replace(/\|/g, '\\|'), formatCount(n)]),
    );
  console.log(
    `goal: ≤ ${GOAL_WALL_S} s wall for the whole run — ${result.met ? 'met' : 'NOT met'} (${totalWallS.toFixed(1)} s${cut ? ', incomplete' : ''})`,
  );
}
