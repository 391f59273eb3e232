/**
 * Runs twinleaf's BFD UDP driver as a process inside a test namespace (test/support/bfd-peer-main.ts)
 * and reads what it reports: state changes and status snapshots, one JSON object a line in its log.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BfdSessionState, BfdSessionStatus } from '../../src/bfd/session.js';
import type { BfdPeerProcessConfig } from './bfd-peer-main.js';
import { waitForPeer, type Lab, type LabProcess, type Netns, type WaitForOptions } from './netns.js';

export const BFD_PEER_MAIN = join(dirname(fileURLToPath(import.meta.url)), 'bfd-peer-main.js');

export interface BfdPeerStateEvent {
  readonly event: 'state';
  /** Date.now() in the child when the change happened. */
  readonly t: number;
  readonly peer: string;
  readonly from: BfdSessionState;
  readonly to: BfdSessionState;
  readonly diag: number;
  readonly remoteState: BfdSessionState;
  readonly remoteDiag: number;
  readonly status: BfdSessionStatus;
}

type BfdPeerEvent =
  | BfdPeerStateEvent
  | { readonly event: 'ready' | 'fatal' | 'log'; readonly t: number; readonly message?: string }
  | { readonly event: 'status'; readonly t: number; readonly sessions: BfdSessionStatus[] };

export class TwinleafBfd {
  constructor(
    readonly ns: Netns,
    readonly process: LabProcess,
  ) {}

  /** Everything the process has reported so far (lines that are not JSON are skipped). */
  events(): BfdPeerEvent[] {
    let text = '';
    try {
      text = readFileSync(this.process.logFile, 'utf8');
    } catch {
      return [];
    }
    const out: BfdPeerEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as BfdPeerEvent);
      } catch {
        /* a line being written */
      }
    }
    return out;
  }

  stateChanges(peer: string): BfdPeerStateEvent[] {
    return this.events().filter((e): e is BfdPeerStateEvent => e.event === 'state' && e.peer === peer);
  }

  /** The session's state as last reported ('Down' before any change). */
  state(peer: string): BfdSessionState {
    return this.stateChanges(peer).at(-1)?.to ?? 'Down';
  }

  waitFor<T>(
    predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
    timeoutMs: number,
    what: string,
    opts: WaitForOptions = {},
  ): Promise<T> {
    return waitForPeer(
      {
        signal: this.ns.lab.signal,
        describe: () => `--- twinleaf bfd (${this.process.logFile}) ---\n${this.process.logTail(30)}`,
        dead: () => {
          const exit = this.process.exitInfo();
          return exit ? `twinleaf bfd exited (${JSON.stringify(exit)})` : undefined;
        },
      },
      predicate,
      timeoutMs,
      what,
      opts,
    );
  }

  /** A fresh status snapshot of every session (asks the process with SIGHUP). */
  async status(): Promise<BfdSessionStatus[]> {
    const before = this.events().filter((e) => e.event === 'status').length;
    process.kill(this.process.pid, 'SIGHUP');
    const snap = await this.waitFor(
      () => {
        const all = this.events().filter((e) => e.event === 'status');
        return all.length > before ? all.at(-1) : undefined;
      },
      5000,
      'twinleaf bfd status',
      { intervalMs: 20 },
    );
    return snap.event === 'status' ? snap.sessions : [];
  }

  /** Every session AdminDown (RFC 5880 §6.8.16), or enabled again. */
  setAdminDown(adminDown: boolean): void {
    process.kill(this.process.pid, adminDown ? 'SIGUSR1' : 'SIGUSR2');
  }

  /** Kills the process without a word to its peers. */
  kill(): void {
    process.kill(this.process.pid, 'SIGKILL');
  }
}

/** Starts the twinleaf BFD process in `ns`; resolves once its listener is bound and sessions started. */
export async function startTwinleafBfd(
  lab: Lab,
  ns: Netns,
  config: BfdPeerProcessConfig,
): Promise<TwinleafBfd> {
  const proc = lab.spawn(ns, process.execPath, [BFD_PEER_MAIN, JSON.stringify(config)], {
    name: 'twinleaf-bfd',
  });
  const t = new TwinleafBfd(ns, proc);
  await t.waitFor(
    // A start failure prints a fatal line and exits, which fails the wait at once (dead()).
    () => t.events().some((e) => e.event === 'ready'),
    10_000,
    `twinleaf bfd in ${ns.name} ready`,
    { intervalMs: 50 },
  );
  return t;
}
