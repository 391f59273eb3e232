/**
 * Runs the real `twinleaf daemon` (the compiled CLI) in a test namespace and reads its state through
 * `twinleaf show ... --json`, exactly as an operator would.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, waitForPeer, type Lab, type LabProcess, type Netns } from './netns.js';

export const TWINLEAF_CLI = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');

/**
 * The node flags of the CLI's `#!/usr/bin/env -S node ...` line: what an installed `twinleaf` runs
 * with, so the daemon here runs the same way (with this node binary rather than the PATH's).
 */
export function cliNodeFlags(): string[] {
  const first = readFileSync(TWINLEAF_CLI, 'utf8').split('\n', 1)[0]!;
  const m = /^#!\S*env -S node(.*)$/.exec(first);
  return m
    ? m[1]!
        .trim()
        .split(/\s+/)
        .filter((f) => f !== '')
    : [];
}

export class TwinleafDaemon {
  constructor(
    readonly ns: Netns,
    readonly process: LabProcess,
    /** The daemon's API as `host:port` (default 127.0.0.1:7179 inside the namespace). */
    readonly api = '127.0.0.1:7179',
  ) {}

  /** `twinleaf show ARGS --json` inside the namespace, parsed. */
  async show<T>(args: readonly string[]): Promise<T> {
    const out = await exec(
      this.ns,
      process.execPath,
      [TWINLEAF_CLI, 'show', ...args, '--json', '--api', this.api],
      { timeoutMs: 10_000 },
    );
    return JSON.parse(out) as T;
  }

  async waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
    return waitForPeer(
      {
        describe: () => this.process.logTail(40),
        dead: () => {
          const exit = this.process.exitInfo();
          return exit ? `twinleaf daemon exited (${JSON.stringify(exit)})` : undefined;
        },
      },
      probe,
      timeoutMs,
      what,
    );
  }

  async peerState(address: string): Promise<string | undefined> {
    const list = await this.show<{ peer: string; state: string }[]>(['bgp', 'neighbors']);
    return list.find((p) => p.peer === address)?.state;
  }

  async waitEstablished(address: string, timeoutMs = 20_000): Promise<void> {
    await this.waitFor(
      async () => (await this.peerState(address)) === 'Established',
      timeoutMs,
      `twinleaf: neighbor ${address} Established`,
    );
  }
}

/** Writes `configYaml` into the lab directory and starts `twinleaf daemon --config` in `ns`. */
export interface StartTwinleafOptions {
  readonly name?: string;
  /** `host:port` of the API the config sets (default 127.0.0.1:7179). */
  readonly api?: string;
  /** Extra node flags, e.g. --expose-gc. */
  readonly nodeArgs?: readonly string[];
}

export async function startTwinleaf(
  lab: Lab,
  ns: Netns,
  configYaml: string,
  opts: StartTwinleafOptions = {},
): Promise<TwinleafDaemon> {
  const name = opts.name ?? 'twinleaf';
  const dir = lab.subdir(name);
  const file = join(dir, 'twinleaf.yaml');
  writeFileSync(file, configYaml);
  const proc = lab.spawn(
    ns,
    process.execPath,
    [...cliNodeFlags(), ...(opts.nodeArgs ?? []), TWINLEAF_CLI, 'daemon', '--config', file],
    { name },
  );
  const d = new TwinleafDaemon(ns, proc, opts.api);
  await d.waitFor(
    async () => {
      await d.show(['bgp', 'summary']);
      return true;
    },
    15_000,
    `twinleaf daemon in ${ns.name} answering on its API`,
  );
  return d;
}
