/**
 * Open vSwitch in userspace inside a lab namespace: its own ovsdb-server and ovs-vswitchd with every
 * socket, database, pid and log file in a private lab directory (the system service is never
 * touched), bridges with `datapath_type=netdev` (this kernel has no OVS datapath module).
 *
 * A missing binary or a daemon that dies is an error naming the reason and the log tail; never a skip.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  execSync,
  waitForPeer,
  type Lab,
  type LabProcess,
  type Netns,
  type PeerWaitContext,
} from './netns.js';

const SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface OvsLacpMember {
  readonly name: string;
  /** Words after the member name: `current`/`expired`/`defaulted` and `attached`/`detached`. */
  readonly status: readonly string[];
  /** `key: value` lines of the member, e.g. `partner sys_id`, `partner port_id`, `partner state`. */
  readonly fields: ReadonlyMap<string, string>;
}

export interface Ovs extends PeerWaitContext {
  readonly ns: Netns;
  readonly dir: string;
  vsctl(...args: string[]): string;
  appctl(...args: string[]): string;
  /** `ovs-appctl lacp/show BOND`, parsed per member. */
  lacpMembers(bond: string): OvsLacpMember[];
  /** `ovs-appctl bond/show BOND`: member name → enabled. */
  bondMembers(bond: string): Map<string, boolean>;
}

/** Parses `ovs-appctl lacp/show` output (OVS 3.1). */
export function parseLacpShow(text: string): OvsLacpMember[] {
  const members: { name: string; status: string[]; fields: Map<string, string> }[] = [];
  for (const line of text.split('\n')) {
    const m = /^member: ([^:]+):\s*(.*)$/.exec(line);
    if (m) {
      members.push({ name: m[1]!, status: m[2]!.trim().split(/\s+/), fields: new Map() });
      continue;
    }
    const f = /^\s+([^:]+):\s*(.*)$/.exec(line);
    const current = members.at(-1);
    if (f && current) current.fields.set(f[1]!.trim(), f[2]!.trim());
  }
  return members;
}

/** Parses the `member NAME: enabled|disabled` lines of `ovs-appctl bond/show`. */
export function parseBondShow(text: string): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const line of text.split('\n')) {
    const m = /^member ([^:]+): (enabled|disabled)/.exec(line);
    if (m) out.set(m[1]!, m[2] === 'enabled');
  }
  return out;
}

export async function startOvs(lab: Lab, ns: Netns): Promise<Ovs> {
  const dir = lab.subdir(`ovs-${ns.name}`);
  const env = {
    ...process.env,
    OVS_RUNDIR: dir,
    OVS_DBDIR: dir,
    OVS_LOGDIR: dir,
    OVS_SYSCONFDIR: dir,
  };
  const db = `unix:${join(dir, 'db.sock')}`;
  const vswitchdCtl = join(dir, 'ovs-vswitchd.ctl');
  if (!existsSync(SCHEMA)) {
    throw new Error(
      `${SCHEMA} is missing: install Debian's openvswitch-switch (apt-get install openvswitch-switch)`,
    );
  }
  execSync(null, 'ovsdb-tool', ['create', join(dir, 'conf.db'), SCHEMA], { env });
  const procs: LabProcess[] = [];
  procs.push(
    ns.spawn(
      'ovsdb-server',
      [
        join(dir, 'conf.db'),
        `--remote=p${db}`,
        `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
        `--pidfile=${join(dir, 'ovsdb-server.pid')}`,
        `--log-file=${join(dir, 'ovsdb-server.log')}`,
      ],
      { env },
    ),
  );
  const dead = () => {
    for (const p of procs) {
      const e = p.exitInfo();
      if (e)
        return `${p.name} exited (${e.error ?? `code ${String(e.code)}, signal ${String(e.signal)}`}):\n${p.logTail(15)}`;
    }
    return undefined;
  };
  const vsctl = (...args: string[]) =>
    execSync(ns, 'ovs-vsctl', [`--db=${db}`, '--timeout=10', ...args], { env });
  const appctl = (...args: string[]) => execSync(ns, 'ovs-appctl', ['-t', vswitchdCtl, ...args], { env });
  const describe = () => {
    const logs = procs.map((p) => `--- ${p.name} log ---\n${p.logTail(20)}`).join('\n');
    let state = '';
    try {
      state = vsctl('show');
    } catch (e) {
      state = `(ovs-vsctl show failed: ${(e as Error).message})`;
    }
    return `${state}\n${logs}`;
  };
  const ctx: PeerWaitContext = { signal: lab.signal, describe, dead };
  await waitForPeer(ctx, () => existsSync(join(dir, 'db.sock')), 10_000, 'ovsdb-server socket');
  vsctl('--no-wait', 'init');
  procs.push(
    ns.spawn(
      'ovs-vswitchd',
      [
        db,
        `--unixctl=${vswitchdCtl}`,
        `--pidfile=${join(dir, 'ovs-vswitchd.pid')}`,
        `--log-file=${join(dir, 'ovs-vswitchd.log')}`,
      ],
      { env },
    ),
  );
  await waitForPeer(
    ctx,
    () => existsSync(vswitchdCtl) && appctl('version').includes('Open vSwitch'),
    15_000,
    'ovs-vswitchd control socket',
  );
  return {
    ns,
    dir,
    vsctl,
    appctl,
    ...ctx,
    lacpMembers: (bond) => parseLacpShow(appctl('lacp/show', bond)),
    bondMembers: (bond) => parseBondShow(appctl('bond/show', bond)),
  };
}
